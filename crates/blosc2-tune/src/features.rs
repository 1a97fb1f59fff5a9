//! Cheap features of a chunk (`shared/spec/btune.md` 13, "where to beat it"): a sample of
//! blocks spread over the chunk, for trial compressions before the chunk is committed, the
//! byte entropy of that sample, and the fixed-length vector a model reads
//! ([`chunk_features`], [`FEATURE_NAMES`]).
//!
//! The model's input has [`NFEATURES`] `f32`, in this order:
//!
//! | # | name | what |
//! |---|---|---|
//! | 0 | `log2_typesize` | log2 of the item size |
//! | 1 | `entropy` | byte entropy of the sample, bits per byte / 8 |
//! | 2 | `entropy_shuffled` | mean byte entropy of the shuffled streams (byte j of every item), / 8 |
//! | 3 | `entropy_bytedelta` | the same of the differences of consecutive bytes in each stream |
//! | 4 | `zero_fraction` | fraction of zero bytes in the sample |
//! | 5 | `ln_lz4_ratio` | ln of LZ4 clevel 1's ratio on the sample, no filter |
//! | 6 | `ln_lz4_shuffle_ratio` | the same with shuffle |
//! | 7 | `log2_chunksize` | log2 of the chunk's bytes |
//! | 8 | `log2_blocksize` | log2 of the block size (python-blosc2's default setting's, or the fixed one) |
//! | 9 | `tradeoff` | the tradeoff, 0 (speed) ... 1 (ratio) |
//! | 10-12 | `mode_comp`, `mode_decomp`, `mode_balanced` | the performance mode, one-hot |
//!
//! The sample is [`SAMPLE_PIECES`] pieces of [`SAMPLE_PIECE`] bytes spread over the chunk
//! ([`blocks`]: pieces of zeros replaced by pieces with data), the whole chunk when
//! smaller. Features 0-8 depend on the data only ([`data_features`]); 9-12 are appended
//! per tradeoff and mode ([`with_objective`]).

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
/// piece of its stretch that has data (of up to [`PROBES`] looked at, evenly spaced), so
/// that a sparse chunk is sampled where it holds something (its zero blocks cost every
/// setting the same): a galaxy cube's chunk can hold data in one piece of a hundred.
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
        let step = ((hi - lo) / PROBES).max(1);
        let at = (lo..hi).step_by(step).find(|&j| has_data(&data[j * piece..(j + 1) * piece])).unwrap_or(lo);
        out.extend_from_slice(&data[at * piece..(at + 1) * piece]);
    }
    out
}

/// Bytes of the windows [`anchors`] compares.
pub const WINDOW: usize = 4096;

/// How many windows of a stretch [`anchors`] looks at, at most.
pub const ANCHOR_PROBES: usize = 16;

/// Where a chunk's data are, for trials whose samples must be alike whatever their
/// piece size: for each of `n` equal stretches of `data`, the start of the window of
/// [`WINDOW`] bytes with the most bytes that are not zero in its first eighth, of up to
/// [`ANCHOR_PROBES`] evenly spaced (the first one eighth full ends the look; the stretch's start when all are zeros).
/// On a sparse chunk the pieces of every trial then hold the same data, the densest
/// met: pieces chosen as the first with any data would be an edge of the data for one
/// piece size and its middle for another, and ratios of 350 and 1,900 measured on one
/// chunk whose whole ratio is 116 would rank the settings by where their pieces fell.
pub fn anchors(data: &[u8], n: usize) -> Vec<usize> {
    let n = n.max(1);
    let windows = data.len() / WINDOW;
    if windows < n {
        return (0..n).map(|k| k * data.len() / n).collect();
    }
    // A window's density from its first eighth: 8 stretches of 16 windows count 64 KiB.
    let count = |w: usize| nonzero_bytes(&data[w * WINDOW..w * WINDOW + WINDOW / 8]);
    (0..n)
        .map(|k| {
            let (lo, hi) = (k * windows / n, (k + 1) * windows / n);
            let step = ((hi - lo) / ANCHOR_PROBES).max(1);
            let mut best = (0, lo);
            for w in (lo..hi).step_by(step) {
                let c = count(w);
                if c > best.0 {
                    best = (c, w);
                }
                if c * 64 >= WINDOW {
                    break;
                }
            }
            best.1 * WINDOW
        })
        .collect()
}

/// How many bytes of `bytes` are not zero, eight at a time: a byte's high bit is set
/// after `((x & 0x7f..) + 0x7f..) | x` exactly when the byte is not zero.
pub fn nonzero_bytes(bytes: &[u8]) -> usize {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut words = bytes.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let x = u64::from_le_bytes(w.try_into().unwrap_or_default());
        n += ((((x & LOW) + LOW) | x) & !LOW).count_ones() as usize;
    }
    n + words.remainder().iter().filter(|&&b| b != 0).count()
}

/// `nparts` pieces of `piece` bytes of `data` (the whole of `data` when it is no larger),
/// each the piece (aligned to `piece`) that holds one of `anchors` ([`anchors`]), spread
/// over them; a piece already taken gives way to the next one.
pub fn blocks_at(data: &[u8], piece: usize, nparts: usize, anchors: &[usize]) -> Vec<u8> {
    let piece = piece.max(1);
    let slots = data.len() / piece;
    let n = nparts.max(1);
    if slots <= n || anchors.is_empty() {
        return if slots <= n { data.to_vec() } else { blocks(data, piece, n) };
    }
    let mut taken: Vec<usize> = Vec::with_capacity(n);
    for k in 0..n {
        let a = anchors[((2 * k + 1) * anchors.len() / (2 * n)).min(anchors.len() - 1)];
        let mut j = (a / piece).min(slots - 1);
        while taken.contains(&j) {
            j = (j + 1) % slots;
        }
        taken.push(j);
    }
    taken.sort_unstable();
    let mut out = Vec::with_capacity(piece * n);
    for j in taken {
        out.extend_from_slice(&data[j * piece..(j + 1) * piece]);
    }
    out
}

/// How many pieces of a stretch [`blocks`] looks at for one with data.
pub const PROBES: usize = 64;

/// Whether `bytes` holds a byte that is not zero: 4 KiB at a time, each folded without
/// a branch (so vectorised), stopping at the first window with data.
pub fn has_data(bytes: &[u8]) -> bool {
    bytes.chunks(4096).any(|w| w.iter().fold(0u8, |a, &b| a | b) != 0)
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

/// Number of inputs of a model.
pub const NFEATURES: usize = 13;

/// Number of inputs that depend on the data only (the first ones).
pub const NDATA: usize = 9;

/// The inputs' names, in order (a model file lists them and must match).
pub const FEATURE_NAMES: [&str; NFEATURES] = [
    "log2_typesize",
    "entropy",
    "entropy_shuffled",
    "entropy_bytedelta",
    "zero_fraction",
    "ln_lz4_ratio",
    "ln_lz4_shuffle_ratio",
    "log2_chunksize",
    "log2_blocksize",
    "tradeoff",
    "mode_comp",
    "mode_decomp",
    "mode_balanced",
];

/// Bytes of each sampled piece.
pub const SAMPLE_PIECE: usize = 16 << 10;

/// Pieces sampled per chunk.
pub const SAMPLE_PIECES: usize = 4;

/// The mean over the `typesize` byte streams of `data`'s items (byte j of every item) of
/// each stream's byte entropy, and of the entropy of its consecutive differences (what
/// shuffle, and shuffle + bytedelta, leave to the codec), bits per byte.
pub fn stream_entropies(data: &[u8], typesize: usize) -> (f64, f64) {
    let ts = typesize.max(1);
    let n = data.len() / ts;
    if n == 0 {
        return (0.0, 0.0);
    }
    let (mut plain, mut delta) = (0.0, 0.0);
    for j in 0..ts {
        let mut h = [0u64; 256];
        let mut d = [0u64; 256];
        let mut prev = 0u8;
        for item in data.chunks_exact(ts) {
            let b = item[j];
            h[b as usize] += 1;
            d[b.wrapping_sub(prev) as usize] += 1;
            prev = b;
        }
        plain += entropy_of(&h, n);
        delta += entropy_of(&d, n);
    }
    (plain / ts as f64, delta / ts as f64)
}

fn entropy_of(h: &[u64; 256], n: usize) -> f64 {
    let n = n as f64;
    h.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|p| -p * p.log2()).sum()
}

/// LZ4 clevel 1's ratio on `sample` (blocks of [`SAMPLE_PIECE`], one thread), with or
/// without shuffle; 1 when it cannot be compressed.
fn lz4_ratio(sample: &[u8], typesize: usize, shuffle: bool) -> f64 {
    use crate::space::FilterKind;
    use blosc2_core::chunk::{self, CompressParams};
    use blosc2_core::codec::CodecId;
    if sample.is_empty() {
        return 1.0;
    }
    let filters = if shuffle { FilterKind::Shuffle } else { FilterKind::None }.pipeline(typesize);
    let p = CompressParams {
        codec: CodecId::LZ4,
        clevel: 1,
        typesize,
        filters,
        blocksize: SAMPLE_PIECE.min(sample.len()),
        nthreads: 1,
        ..CompressParams::default()
    };
    match chunk::compress(&p, sample) {
        Ok(c) => sample.len() as f64 / c.len().max(1) as f64,
        Err(_) => 1.0,
    }
}

/// The data features (the first [`NDATA`] inputs) of a chunk of items of `typesize` bytes,
/// to be compressed in blocks of `blocksize` bytes (0: the block size python-blosc2's
/// default setting gets).
pub fn data_features(data: &[u8], typesize: usize, blocksize: usize) -> [f32; NDATA] {
    use blosc2_core::chunk::{blocksize::compute_blocksize, CompressParams};
    let ts = typesize.max(1);
    let piece = (SAMPLE_PIECE / ts).max(1) * ts;
    let sample = blocks(data, piece, SAMPLE_PIECES);
    let (streams, deltas) = stream_entropies(&sample, ts);
    let zeros = sample.iter().filter(|&&b| b == 0).count() as f64 / sample.len().max(1) as f64;
    let bs = if blocksize > 0 {
        blocksize.min(data.len().max(1))
    } else {
        let p = crate::Setting::DEFAULT.apply(&CompressParams { typesize: ts, ..CompressParams::default() });
        compute_blocksize(&CompressParams { blocksize: 0, ..p }, data.len())
    };
    [
        (ts as f64).log2() as f32,
        (entropy(&sample) / 8.0) as f32,
        (streams / 8.0) as f32,
        (deltas / 8.0) as f32,
        zeros as f32,
        lz4_ratio(&sample, ts, false).ln() as f32,
        lz4_ratio(&sample, ts, true).ln() as f32,
        (data.len().max(1) as f64).log2() as f32,
        (bs.max(1) as f64).log2() as f32,
    ]
}

/// The model's input: the data features followed by the tradeoff and the mode.
pub fn with_objective(data: &[f32; NDATA], tradeoff: f64, mode: crate::PerfMode) -> [f32; NFEATURES] {
    let mut x = [0f32; NFEATURES];
    x[..NDATA].copy_from_slice(data);
    x[NDATA] = tradeoff as f32;
    x[NDATA + 1 + mode_index(mode)] = 1.0;
    x
}

/// 0 for COMP, 1 for DECOMP, 2 for BALANCED.
pub fn mode_index(mode: crate::PerfMode) -> usize {
    match mode {
        crate::PerfMode::Comp => 0,
        crate::PerfMode::Decomp => 1,
        crate::PerfMode::Balanced => 2,
    }
}

/// [`data_features`] then [`with_objective`].
pub fn chunk_features(
    data: &[u8],
    typesize: usize,
    blocksize: usize,
    tradeoff: f64,
    mode: crate::PerfMode,
) -> [f32; NFEATURES] {
    with_objective(&data_features(data, typesize, blocksize), tradeoff, mode)
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
        assert_eq!(&blocks(&data, 1000, 3)[..1000], &data[1000..2000]);
        assert_eq!(blocks(&data, 1000, 3)[1000], 33);
        assert_eq!(blocks(&data[..1500], 1000, 3), &data[..1500]);
        // Data in one piece of fifty in each stretch is found.
        let mut rare = vec![0u8; 100 * 1000];
        rare[37 * 1000 + 5] = 1;
        rare[71 * 1000 + 999] = 2;
        let b = blocks(&rare, 1000, 2);
        assert_eq!((b[5], b[1999]), (1, 2));
        assert!(has_data(&rare[37_000..38_000]) && !has_data(&rare[..37_000]) && !has_data(&[]));
        // The densest window of each stretch anchors every piece size's sample.
        let mut cube = vec![0u8; 64 * WINDOW];
        cube[4 * WINDOW + 7] = 1; // an edge of the data
        cube[10 * WINDOW..11 * WINDOW].fill(5); // its middle
        cube[40 * WINDOW + 100..40 * WINDOW + 300].fill(6);
        let a = anchors(&cube, 2);
        assert_eq!(a, vec![10 * WINDOW, 40 * WINDOW]);
        let small = blocks_at(&cube, WINDOW, 2, &a);
        assert_eq!((small[0], small[WINDOW + 100]), (5, 6));
        let big = blocks_at(&cube, 4 * WINDOW, 2, &a);
        assert_eq!((big[2 * WINDOW], big[4 * WINDOW + 100]), (5, 6), "the pieces that hold the anchors");
        let one = blocks_at(&cube, 16 * WINDOW, 2, &[0, 0]);
        assert_eq!(one.len(), 32 * WINDOW, "a piece taken gives way to the next");
        assert_eq!(anchors(&[1u8; 100], 2), vec![0, 50]);
        let mixed: Vec<u8> = (0..1001u32).map(|i| if i % 3 == 0 { 0 } else { (i % 256) as u8 }).collect();
        assert_eq!(nonzero_bytes(&mixed), mixed.iter().filter(|&&b| b != 0).count());
        assert_eq!(nonzero_bytes(&[0x80, 0, 1, 0x7f, 0, 0, 0, 0xff, 0]), 4);
        assert!(looks_empty(&vec![0u8; 1 << 20]) && looks_empty(&[0u8; 100]) && !looks_empty(&[0, 1, 0]));
        let mut end = vec![0u8; 1 << 20];
        end[(1 << 20) - 1] = 1;
        assert!(!looks_empty(&end), "the last window reaches the end");
        assert!((entropy(&(0..=255u8).collect::<Vec<_>>()) - 8.0).abs() < 1e-12);
    }

    #[test]
    fn the_feature_vector_reads_what_the_data_hold() {
        // Streams (1, 3, 5) and (2, 2, 2): entropies log2(3) and 0; differences (1, 2, 2)
        // and (2, 0, 0): 0.918 each.
        let (p, d) = stream_entropies(&[1, 2, 3, 2, 5, 2, 9], 2);
        assert!((p - 3f64.log2() / 2.0).abs() < 1e-12 && (d - 0.918_295_834).abs() < 1e-6, "{p} {d}");
        // Counting u32: shuffle leaves the high bytes zero, byte deltas make the low ones
        // constant.
        let ramp: Vec<u8> = (0..262_144u32).flat_map(|i| i.to_le_bytes()).collect();
        let f = data_features(&ramp, 4, 0);
        assert_eq!(f[0], 2.0);
        assert!(f[3] < f[2] && f[2] <= f[1] + 1e-6, "{f:?}");
        assert!(f[6] > f[5], "shuffle helps LZ4 on a ramp: {f:?}");
        assert_eq!(f[7], 20.0);
        let z = data_features(&vec![0u8; 1 << 16], 8, 4096);
        assert_eq!((z[1], z[4], z[8]), (0.0, 1.0, 12.0));
        let x = with_objective(&f, 0.3, crate::PerfMode::Decomp);
        assert_eq!(&x[..NDATA], &f[..]);
        assert_eq!(&x[NDATA..], &[0.3, 0.0, 1.0, 0.0]);
        assert!(data_features(&[], 4, 0).iter().all(|v| v.is_finite()));
        assert!(data_features(&[1, 2, 3], 8, 0).iter().all(|v| v.is_finite()));
    }

    /// Feature extraction cost per chunk (not a test of speed: run with `--ignored
    /// --nocapture` to print it).
    #[test]
    #[ignore]
    fn feature_cost() {
        let data: Vec<u8> = (0..(1u64 << 20)).flat_map(|i| ((i as f64).sin() * 1e3).to_le_bytes()).collect();
        let n = 200;
        let t = std::time::Instant::now();
        let mut acc = 0f32;
        for _ in 0..n {
            acc += data_features(std::hint::black_box(&data), 8, 0)[1];
        }
        let us = t.elapsed().as_secs_f64() / f64::from(n) * 1e6;
        println!("features of an 8 MiB chunk: {us:.1} us ({acc})");
    }
}
