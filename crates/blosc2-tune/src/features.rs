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

/// Bytes of each window a [`DataMap`] looks at.
pub const PROBE: usize = 64;

/// Most windows a [`DataMap`] looks at (64 KiB read on a chunk of 8 MiB or more).
pub const MAX_PROBES: usize = 1024;

/// How many windows a [`DataMap`] looks at first ([`DataMap::probe`]).
pub const FIRST_LOOK: usize = 64;

/// Where a chunk holds data: one window of [`PROBE`] bytes in each of up to
/// [`MAX_PROBES`] equal slots of it (one per 4 KiB at least), at an offset in its slot
/// that varies from slot to slot. Windows at one offset of slots a power of two apart
/// would see the same row of every plane of a cube: on `sparse_cube_u8` (planes of 64 KiB,
/// data in their middle rows) every window at a slot's start was zeros, and every trial
/// compressed zeros.
///
/// It tells the trials where to take their pieces ([`DataMap::anchors`]) and how many of
/// a chunk's blocks hold no data ([`DataMap::empty_fraction`]): a block of zeros costs a
/// setting its filters and a scan, whatever the codec, and nothing to store, so a trial
/// on the blocks with data only says how the chunk's data compress, not the chunk.
#[derive(Clone, Debug, Default)]
pub struct DataMap {
    len: usize,
    /// Start of each window and whether it holds a byte that is not zero.
    windows: Vec<(usize, bool)>,
}

impl DataMap {
    /// Looks at `data`'s windows: first at [`FIRST_LOOK`] of them evenly spaced, and at all
    /// of them only when one of those holds zeros only (a dense chunk costs 64 reads, not
    /// a thousand: the reads of a chunk not in the cache took 5-10 % of the star table's
    /// runs of a millisecond).
    pub fn probe(data: &[u8]) -> DataMap {
        let n = (data.len() / 4096).clamp(1, MAX_PROBES);
        let slot = data.len() / n;
        let window = |i: usize| {
            // A multiplicative hash of the slot's index picks the window in it.
            let spots = (slot / PROBE).max(1);
            let h = (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
            let at = i * slot + (h as usize % spots) * PROBE;
            let end = (at + PROBE).min(data.len());
            (at, has_data(&data[at.min(end)..end]))
        };
        let first: Vec<(usize, bool)> = (0..n).step_by((n / FIRST_LOOK).max(1)).map(window).collect();
        let windows = if first.iter().all(|w| w.1) { first } else { (0..n).map(window).collect() };
        DataMap { len: data.len(), windows }
    }

    /// `n` places to take pieces from: the windows with data at `n` evenly spaced ranks
    /// (the first of each n-th), so that the pieces fall among the data as evenly as the
    /// data lie, neither where they are densest nor at their edges; evenly spaced places
    /// when no window has data.
    pub fn anchors(&self, n: usize) -> Vec<usize> {
        let n = n.max(1);
        let full: Vec<usize> = self.windows.iter().filter(|w| w.1).map(|w| w.0).collect();
        if full.is_empty() {
            return (0..n).map(|k| k * self.len / n).collect();
        }
        (0..n).map(|k| full[k * full.len() / n]).collect()
    }

    /// The fraction of the blocks of `blocksize` bytes of `data` (the data probed) that
    /// hold zeros only, of those that hold a window (a block smaller than a slot may hold
    /// none): the blocks whose windows all hold zeros, of which up to [`VERIFIED`] evenly
    /// spaced are read whole (and no more than [`VERIFIED_BYTES`]), since windows of 64 bytes miss data that fill less than one
    /// byte in a hundred (`sparse_cube_u8`'s chunks of 512 KiB: their blocks of 16 KiB
    /// looked empty, and BloscLZ's small blocks won at t = 0.9 at half the best ratio).
    pub fn empty_fraction(&self, data: &[u8], blocksize: usize) -> f64 {
        let bs = blocksize.max(1);
        let len = self.len.min(data.len());
        let nblocks = len.div_ceil(bs);
        if nblocks == 0 {
            return 0.0;
        }
        // Per block: (windows, windows with data).
        let mut seen = vec![(0u32, 0u32); nblocks];
        for &(at, full) in &self.windows {
            let b = &mut seen[(at / bs).min(nblocks - 1)];
            b.0 += 1;
            b.1 += u32::from(full);
        }
        let blank: Vec<usize> = (0..nblocks).filter(|&j| seen[j].0 > 0 && seen[j].1 == 0).collect();
        if blank.is_empty() {
            return 0.0;
        }
        let looked = seen.iter().filter(|b| b.0 > 0).count();
        // At most VERIFIED blocks, and as many as VERIFIED_BYTES hold (at least one).
        let m = blank.len().min(VERIFIED).min((VERIFIED_BYTES / bs).max(1));
        let zeros = (0..m)
            .filter(|k| {
                let j = blank[k * blank.len() / m];
                !has_data(&data[j * bs..((j + 1) * bs).min(len)])
            })
            .count();
        blank.len() as f64 / looked as f64 * zeros as f64 / m as f64
    }
}

/// How many blocks that look empty [`DataMap::empty_fraction`] reads whole, at most.
pub const VERIFIED: usize = 4;

/// How many bytes [`DataMap::empty_fraction`] reads, at most, unless one block is more.
pub const VERIFIED_BYTES: usize = 512 << 10;

/// `nparts` pieces of `piece` bytes of `data` (the whole of `data` when it is no larger),
/// each the piece (aligned to `piece`) that holds one of `anchors` ([`DataMap::anchors`]), spread
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
    let mut h = [0u64; 256];
    for &b in bytes {
        h[b as usize] += 1;
    }
    entropy_of(&h, bytes.len())
}

/// Counts below this have their `c log2 c` in a table ([`c_log2_c_table`]).
const C_LOG2_C_TABLE: usize = 4096;

/// `c log2 c` (0 for 0).
fn c_log2_c(c: u64) -> f64 {
    if c == 0 {
        0.0
    } else {
        c as f64 * (c as f64).log2()
    }
}

/// [`c_log2_c`] of the counts below [`C_LOG2_C_TABLE`], the counts a sample's histograms
/// mostly hold: a histogram's entropy takes up to 256 of them, 17 histograms a chunk's
/// features, and a `log2` call for each took more time than the counting.
fn c_log2_c_table() -> &'static [f64] {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| (0..C_LOG2_C_TABLE as u64).map(c_log2_c).collect())
}

/// The entropy, bits per symbol, of the histogram `h` of `n` symbols:
/// `log2 n - (1/n) sum c log2 c`.
fn entropy_of(h: &[u64; 256], n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let table = c_log2_c_table();
    let sum: f64 = h
        .iter()
        .map(|&c| usize::try_from(c).ok().and_then(|i| table.get(i).copied()).unwrap_or_else(|| c_log2_c(c)))
        .sum();
    ((n as f64).log2() - sum / n as f64).max(0.0)
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

/// Bytes of each sampled piece. Four pieces of 4 KiB cost 35 us a chunk, four of 16 KiB
/// 123 us (`feature_cost`), where the search's four trials on the star table's columns at
/// t = 0.1 take 50-100 us; models trained on either read the held-back chunks as well
/// (model J / oracle J 0.950 and 0.955, means of four draws, on the shipped model's
/// measured table).
pub const SAMPLE_PIECE: usize = 4 << 10;

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
    use proptest::prelude::*;

    proptest! {
        /// On any data, sparse or not: anchors inside the data, a fraction of empty blocks
        /// in [0, 1] that is 0 when no block is all zeros, and reads within a shorter view.
        #[test]
        fn the_data_map_stays_within_the_data(
            len in 0usize..300_000,
            marks in proptest::collection::vec((0usize..300_000, 1u8..=255), 0..40),
            bs in 1usize..70_000,
        ) {
            let mut data = vec![0u8; len];
            for (at, v) in marks {
                if at < len {
                    data[at] = v;
                }
            }
            let map = DataMap::probe(&data);
            for a in map.anchors(8) {
                prop_assert!(a < len.max(1));
            }
            let e = map.empty_fraction(&data, bs);
            prop_assert!((0.0..=1.0).contains(&e), "{e}");
            if data.chunks(bs).all(has_data) {
                prop_assert_eq!(e, 0.0);
            }
            let half = map.empty_fraction(&data[..len / 2], bs);
            prop_assert!((0.0..=1.0).contains(&half), "{half}");
        }
    }

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
        // Pieces are taken among the data, at the same places whatever their size.
        let w = 4096;
        let mut cube = vec![0u8; 64 * w];
        cube[10 * w..11 * w].fill(5);
        cube[40 * w..42 * w].fill(6);
        let map = DataMap::probe(&cube);
        let a = map.anchors(2);
        assert!(a[0] >= 10 * w && a[0] < 11 * w && a[1] >= 40 * w && a[1] < 42 * w, "{a:?}");
        let small = blocks_at(&cube, w, 2, &a);
        assert_eq!((small[0], small[w + 100]), (5, 6));
        let big = blocks_at(&cube, 4 * w, 2, &a);
        assert_eq!((big[2 * w], big[4 * w + 100]), (5, 6), "the pieces that hold the anchors");
        let one = blocks_at(&cube, 16 * w, 2, &[0, 0]);
        assert_eq!(one.len(), 32 * w, "a piece taken gives way to the next");
        assert_eq!(DataMap::probe(&[0u8; 100]).anchors(2), vec![0, 50]);
        // Blocks of zeros: 61 of 64 blocks of 4 KiB, 14 of 16 of 16 KiB, none of one.
        assert!((map.empty_fraction(&cube, w) - 61.0 / 64.0).abs() < 1e-12);
        assert!((map.empty_fraction(&cube, 4 * w) - 14.0 / 16.0).abs() < 1e-12);
        assert_eq!(map.empty_fraction(&cube, 64 * w), 0.0);
        assert_eq!(DataMap::probe(&[1u8; 100_000]).empty_fraction(&[1u8; 100_000], 4096), 0.0);
        // Planes of 64 KiB with data in their middle rows only: windows in the same place
        // of every slot would find none.
        let mut planes = vec![0u8; 1 << 20];
        for p in planes.chunks_mut(1 << 16) {
            p[30_000..34_000].fill(1);
        }
        let map = DataMap::probe(&planes);
        assert!(map.anchors(8).iter().all(|&a| planes[a..a + PROBE].contains(&1)), "{:?}", map.anchors(8));
        // Planes whose windows miss their data are read whole.
        assert_eq!(map.empty_fraction(&planes, 1 << 16), 0.0);
        // One byte in a block of 16 KiB: its windows miss it, the reading finds it.
        let mut dust = vec![0u8; 1 << 20];
        dust.iter_mut().step_by(5000).for_each(|b| *b = 1);
        let map = DataMap::probe(&dust);
        assert_eq!(map.empty_fraction(&dust, 16 << 10), 0.0);
        assert!(map.empty_fraction(&dust, 1024) > 0.5, "blocks of 1 KiB are mostly zeros");
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
        let sample = blocks(&data, SAMPLE_PIECE, SAMPLE_PIECES);
        let per = |f: &dyn Fn() -> f64| {
            let t = std::time::Instant::now();
            for _ in 0..n {
                std::hint::black_box(f());
            }
            t.elapsed().as_secs_f64() / f64::from(n) * 1e6
        };
        let parts = [
            ("the sample", per(&|| blocks(std::hint::black_box(&data), SAMPLE_PIECE, SAMPLE_PIECES).len() as f64)),
            ("its entropy", per(&|| entropy(std::hint::black_box(&sample)))),
            ("its streams' entropies", per(&|| stream_entropies(std::hint::black_box(&sample), 8).0)),
            ("LZ4", per(&|| lz4_ratio(std::hint::black_box(&sample), 8, false))),
            ("LZ4 + shuffle", per(&|| lz4_ratio(std::hint::black_box(&sample), 8, true))),
        ];
        for (name, us) in parts {
            println!("  {name}: {us:.1} us");
        }
    }
}
