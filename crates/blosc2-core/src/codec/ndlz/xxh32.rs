//! XXH32, the 32-bit xxHash of Yann Collet, as NDLZ uses it to hash cells and rows
//! (`plugins/codecs/ndlz/xxhash.c` in C-Blosc2; the algorithm is specified in xxHash's
//! `doc/xxhash_spec.md`).

const P1: u32 = 0x9E37_79B1;
const P2: u32 = 0x85EB_CA77;
const P3: u32 = 0xC2B2_AE3D;
const P4: u32 = 0x27D4_EB2F;
const P5: u32 = 0x1656_67B1;

#[inline(always)]
fn read32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[inline(always)]
fn round(acc: u32, input: u32) -> u32 {
    acc.wrapping_add(input.wrapping_mul(P2)).rotate_left(13).wrapping_mul(P1)
}

/// The XXH32 hash of `data` with `seed`.
#[inline(always)]
pub fn xxh32(data: &[u8], seed: u32) -> u32 {
    let mut rest = data;
    let mut h = if data.len() >= 16 {
        let mut v = [seed.wrapping_add(P1).wrapping_add(P2), seed.wrapping_add(P2), seed, seed.wrapping_sub(P1)];
        while rest.len() >= 16 {
            for (k, acc) in v.iter_mut().enumerate() {
                *acc = round(*acc, read32(&rest[4 * k..]));
            }
            rest = &rest[16..];
        }
        v[0].rotate_left(1)
            .wrapping_add(v[1].rotate_left(7))
            .wrapping_add(v[2].rotate_left(12))
            .wrapping_add(v[3].rotate_left(18))
    } else {
        seed.wrapping_add(P5)
    };
    h = h.wrapping_add(data.len() as u32);
    while rest.len() >= 4 {
        h = h.wrapping_add(read32(rest).wrapping_mul(P3)).rotate_left(17).wrapping_mul(P4);
        rest = &rest[4..];
    }
    for &b in rest {
        h = h.wrapping_add(u32::from(b).wrapping_mul(P5)).rotate_left(11).wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::xxh32;

    /// Values of C-Blosc2's `plugins/codecs/ndlz/xxhash.c` (`XXH32`), for short inputs and
    /// for the lengths NDLZ hashes (8, 12, 16, 24, 64 bytes, seed 1).
    #[test]
    fn equals_the_c_implementation() {
        assert_eq!(xxh32(b"", 0), 0x02CC_5D05);
        assert_eq!(xxh32(b"", 1), 0x0B2C_B792);
        assert_eq!(xxh32(b"a", 0), 0x550D_7456);
        assert_eq!(xxh32(b"a", 1), 0xF514_706F);
        assert_eq!(xxh32(b"abc", 0), 0x32D1_53FF);
        assert_eq!(xxh32(b"Nobody inspects the spammish repetition", 1), 0x5344_69EA);
        let b: Vec<u8> = (0..100u32).map(|i| (i * 7 + 3) as u8).collect();
        let got: Vec<u32> = [8, 12, 16, 24, 64].iter().map(|&n| xxh32(&b[..n], 1)).collect();
        assert_eq!(got, [0xF8EE_68C7, 0x093B_9B70, 0xB9DE_69C0, 0x9C54_2296, 0x9F39_9169]);
    }
}
