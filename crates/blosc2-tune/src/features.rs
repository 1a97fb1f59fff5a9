//! Cheap features of a chunk (`shared/spec/btune.md` 13, "where to beat it"): a sample of
//! blocks spread over the chunk, for trial compressions before the chunk is committed, and
//! the byte entropy of that sample.

/// Up to `budget` bytes of `data` in `nparts` pieces spread evenly over it, each a whole
/// number of `unit` bytes (the element size, so filters see aligned elements). The whole
/// of `data` when it is no larger than `budget`.
pub fn sample(data: &[u8], unit: usize, budget: usize, nparts: usize) -> Vec<u8> {
    let unit = unit.max(1);
    if data.len() <= budget || nparts == 0 {
        return data.to_vec();
    }
    let part = (budget / nparts / unit).max(1) * unit;
    let n = (data.len() / part).max(1);
    let mut out = Vec::with_capacity(part * nparts);
    for k in 0..nparts.min(n) {
        // Piece k starts at the k-th of nparts evenly spaced piece boundaries.
        let at = (k * n / nparts.min(n)) * part;
        out.extend_from_slice(&data[at..(at + part).min(data.len())]);
    }
    out
}

/// `nparts` pieces of `piece` bytes of `data` (the whole of `data` when it is no larger),
/// each starting at a multiple of `piece` (so at a block boundary when `piece` divides
/// the block size), spread evenly over it. A piece of zeros is replaced by the next
/// piece of its stretch that has data (of eight looked at), so that a sparse chunk is sampled where it holds
/// something (its zero blocks cost every setting the same).
pub fn blocks(data: &[u8], piece: usize, nparts: usize) -> Vec<u8> {
    let piece = piece.max(1);
    let slots = data.len() / piece;
    if slots <= nparts.max(1) {
        return data.to_vec();
    }
    let n = nparts.max(1);
    let mut out = Vec::with_capacity(piece * n);
    for k in 0..n {
        let (lo, hi) = (k * slots / n, (k + 1) * slots / n);
        let step = ((hi - lo) / 8).max(1);
        let at =
            (lo..hi).step_by(step).find(|&j| data[j * piece..(j + 1) * piece].iter().any(|&b| b != 0)).unwrap_or(lo);
        out.extend_from_slice(&data[at * piece..(at + 1) * piece]);
    }
    out
}

/// Whether `data` looks all zeros, from 64 windows of 64 bytes spread over it (all of it
/// when short): a cheap test, wrong only for chunks that are zeros nearly everywhere.
pub fn looks_empty(data: &[u8]) -> bool {
    if data.len() <= 64 * 64 {
        return data.iter().all(|&b| b == 0);
    }
    let last = data.len() - 64;
    (0..64).all(|k| {
        let at = k * last / 63;
        data[at..at + 64].iter().all(|&b| b == 0)
    })
}

/// Shannon entropy of the byte histogram, bits per byte (0..=8).
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut h = [0u64; 256];
    for &b in bytes {
        h[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    h.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_spread_and_aligned() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i / 1000) as u8).collect();
        let s = sample(&data, 8, 8000, 4);
        assert_eq!(s.len(), 8000);
        assert_eq!((s[0], s[2000], s[4000], s[6000]), (0, 24, 50, 74));
        assert_eq!(sample(&data[..500], 8, 8000, 4), &data[..500]);
        assert_eq!(entropy(&[7; 100]), 0.0);
        let mut sparse = vec![0u8; 64_000];
        sparse[4_500] = 9;
        sparse[40_123] = 4;
        let b = blocks(&sparse, 1000, 2);
        assert_eq!(b.len(), 2000);
        assert_eq!((b[500], b[1123]), (9, 4));
        assert_eq!(&blocks(&data, 1000, 3)[..1000], &data[4000..5000]);
        assert_eq!(blocks(&data, 1000, 3)[1000], 33);
        assert_eq!(blocks(&data[..1500], 1000, 3), &data[..1500]);
        assert!(looks_empty(&vec![0u8; 1 << 20]) && looks_empty(&[0u8; 100]) && !looks_empty(&[0, 1, 0]));
        let mut end = vec![0u8; 1 << 20];
        end[(1 << 20) - 1] = 1;
        assert!(!looks_empty(&end), "the last window reaches the end");
        assert!((entropy(&(0..=255u8).collect::<Vec<_>>()) - 8.0).abs() < 1e-12);
    }
}
