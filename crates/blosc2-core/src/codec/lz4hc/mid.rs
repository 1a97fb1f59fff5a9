//! Levels 1-2: liblz4 1.10's `lz4mid` strategy (C: `LZ4MID_compress`), without dictionary.
//!
//! Two tables of last positions share the encoder's hash table: one keyed by a hash of 4
//! bytes, one by a hash of 8. At each position the 8-byte candidate is tried first, then the
//! 4-byte one, and a 4-byte match is traded for a longer match at the next position when
//! the 8-byte table has one. Matches are extended backwards over the pending literals; the
//! tables are fed a few positions at both ends of each match; positions without a match are
//! skipped faster the longer the literal run grows.

use super::{
    count_checked, read32, read64, Full, Sink, HASH_SIZE, LAST_LITERALS, MAX_DISTANCE, MF_LIMIT, MIN_LENGTH, MIN_MATCH,
};

/// log2 of each of the two tables' entries (C: `LZ4MID_HASHLOG`).
const MID_HASH_LOG: u32 = super::HASH_LOG - 1;
const MID_HASH_SIZE: usize = 1 << MID_HASH_LOG;
/// Bytes the 8-byte hash reads (C: `LZ4MID_HASHSIZE`).
const HASH8_BYTES: usize = 8;

/// The 4-byte hash (C: `LZ4MID_hash4`).
#[inline(always)]
fn hash4(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - MID_HASH_LOG)) as usize
}

/// The hash of the low 7 bytes of an 8-byte little-endian read (C: `LZ4MID_hash7`).
#[inline(always)]
fn hash8(v: u64) -> usize {
    ((v << 8).wrapping_mul(58_295_818_150_454_627) >> (64 - MID_HASH_LOG)) as usize
}

/// The two tables, positions numbered from `base` for `src[0]`.
struct Tables<'a> {
    h4: &'a mut [u32; MID_HASH_SIZE],
    h8: &'a mut [u32; MID_HASH_SIZE],
}

impl Tables<'_> {
    /// Enters the 8 bytes at `w[p..]` under `index` (`w`: a fixed-size window of the input,
    /// so that the compiler sees the bounds).
    #[inline(always)]
    fn add8<const N: usize>(&mut self, w: &[u8; N], p: usize, index: u32) {
        self.h8[hash8(read64(w, p))] = index;
    }

    /// Enters the 4 bytes at `w[p..]` under `index`.
    #[inline(always)]
    fn add4<const N: usize>(&mut self, w: &[u8; N], p: usize, index: u32) {
        self.h4[hash4(read32(w, p))] = index;
    }
}

/// The `N` bytes of `src` from `p` as an array (one bounds check for all the reads in it).
#[inline(always)]
fn window<const N: usize>(src: &[u8], p: usize) -> &[u8; N] {
    src[p..p + N].try_into().expect("N bytes")
}

/// Compresses `src` (its first byte numbered `base`) into `out` up to the last literals;
/// where those begin, or [`Full`].
pub(super) fn compress(hash: &mut [u32; HASH_SIZE], base: u32, src: &[u8], out: &mut Sink<'_>) -> Result<usize, Full> {
    let n = src.len();
    let mut anchor = 0usize;
    if n < MIN_LENGTH {
        return Ok(anchor);
    }
    let (h4, h8) = hash.split_at_mut(MID_HASH_SIZE);
    let mut t = Tables { h4: h4.try_into().expect("half"), h8: h8.try_into().expect("half") };
    let mf_limit = n - MF_LIMIT;
    let match_limit = n - LAST_LITERALS;
    // Position numbers below this one leave room for an 8-byte read at the end of a match.
    let i_limit_index = base + (n - HASH8_BYTES) as u32;
    // The length of the match of `ip` (numbered `ip_index`) with the earlier position `pos`
    // a table gave, when `pos` is within reach and the match at least MIN_MATCH long.
    let match_at = |ip: usize, ip_index: u32, pos: u32| {
        if ip_index.wrapping_sub(pos) <= MAX_DISTANCE && pos >= base {
            let len = count_checked(src, ip, (pos - base) as usize, match_limit);
            return (len >= MIN_MATCH).then_some(len);
        }
        None
    };
    let mut ip = 0usize;

    'main: while ip <= mf_limit {
        let ip_index = base + ip as u32;
        // The bytes the hashes read: ip + MF_LIMIT <= src.len().
        let w: &[u8; MF_LIMIT] = window(src, ip);
        let mut len;
        let mut dist;
        'found: {
            // A long match: the last position with the same 8-byte hash.
            let pos8 = std::mem::replace(&mut t.h8[hash8(read64(w, 0))], ip_index);
            if let Some(l) = match_at(ip, ip_index, pos8) {
                (len, dist) = (l, ip_index - pos8);
                break 'found;
            }
            // A short match: the same 4-byte hash.
            let pos4 = std::mem::replace(&mut t.h4[hash4(read32(w, 0))], ip_index);
            if let Some(l) = match_at(ip, ip_index, pos4) {
                (len, dist) = (l, ip_index - pos4);
                // Is there a longer match at the next position?
                let h = hash8(read64(w, 1));
                let pos8 = t.h8[h];
                if ip < mf_limit {
                    if let Some(l2) = match_at(ip + 1, ip_index + 1, pos8).filter(|&l2| l2 > len) {
                        t.h8[h] = ip_index + 1;
                        ip += 1;
                        (len, dist) = (l2, (ip_index + 1).wrapping_sub(pos8));
                    }
                }
                break 'found;
            }
            // No match: skip, faster over long literal runs.
            ip += 1 + ((ip - anchor) >> 9);
            continue 'main;
        }

        // Extend the match backwards over the literals.
        while ip > anchor && ip > dist as usize && src[ip - 1] == src[ip - 1 - dist as usize] {
            ip -= 1;
            len += 1;
        }
        // liblz4 numbers these from the position the search started at (ip, moved back, is
        // still at most mf_limit).
        let w: &[u8; MF_LIMIT] = window(src, ip);
        t.add8(w, 1, ip_index + 1);
        t.add8(w, 2, ip_index + 2);
        t.add4(w, 1, ip_index + 1);

        out.sequence(&src[anchor..ip], len, dist)?;
        ip += len;
        anchor = ip;

        // The positions just before the match's end.
        let end_index = base + ip as u32;
        if end_index - 2 < i_limit_index {
            // ip + 6 < src.len(), and ip >= 4 (a match of 4 bytes at least ends here).
            if ip > 5 {
                t.add8(window::<8>(src, ip - 5), 0, end_index - 5);
            }
            let w: &[u8; 9] = window(src, ip - 3);
            t.add8(w, 0, end_index - 3);
            t.add8(w, 1, end_index - 2);
            t.add4(w, 1, end_index - 2);
            t.add4(w, 2, end_index - 1);
        }
    }
    Ok(anchor)
}
