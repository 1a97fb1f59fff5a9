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
        assert!((entropy(&(0..=255u8).collect::<Vec<_>>()) - 8.0).abs() < 1e-12);
    }
}
