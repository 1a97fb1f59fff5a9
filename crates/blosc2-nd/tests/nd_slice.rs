//! Box reads and writes against `ndarray` as the model (proptest: item sizes 1 to 16 bytes,
//! arrays with zero, repeated-value and all-zero chunks), resizing, huge sparse arrays,
//! `.npy` round trips and error cases; the metalayer, dtype, selection and `.npy` header
//! decoders on random and on structured input.

use blosc2_core::chunk::{self, SpecialKind};
use blosc2_nd::{parse_selection, DType, Error, NdArray, Options, Region, ShapeErrorKind, SliceItem};
use blosc2_testkit::data::{sm64, Rand, XorShift64, GAMMA};
use blosc2_testkit::temp_dir;
use ndarray::{ArrayD, Dimension, IxDyn, SliceInfoElem};
use proptest::prelude::*;

/// A random geometry: shape, chunks and blocks with blocks <= chunks, 1 to 4 dimensions.
fn geometry() -> impl Strategy<Value = (Vec<u64>, Vec<u64>, Vec<u64>)> {
    prop::collection::vec((1u64..13, 1u64..8, 1u64..8), 1..=4).prop_map(|dims| {
        let shape = dims.iter().map(|d| d.0).collect();
        let chunks: Vec<u64> = dims.iter().map(|d| d.1).collect();
        let blocks = dims.iter().zip(&chunks).map(|(d, &c)| d.2.min(c)).collect();
        (shape, chunks, blocks)
    })
}

fn boxes(shape: &[u64]) -> impl Strategy<Value = Vec<(u64, u64)>> {
    let dims: Vec<_> = shape.iter().map(|&s| (0..=s, 0..=s).prop_map(|(a, b)| (a.min(b), a.max(b)))).collect();
    dims
}

fn model(shape: &[u64]) -> ArrayD<i32> {
    let n: u64 = shape.iter().product();
    let dims: Vec<usize> = shape.iter().map(|&s| s as usize).collect();
    ArrayD::from_shape_vec(IxDyn(&dims), (0..n as i32).map(|v| v * 7 - 3).collect()).unwrap()
}

fn info(b: &[(u64, u64)]) -> Vec<SliceInfoElem> {
    b.iter().map(|&(a, z)| SliceInfoElem::Slice { start: a as isize, end: Some(z as isize), step: 1 }).collect()
}

/// How a patterned model array and the array under test are made (see [`patterned`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// Every element different, written whole (`from_bytes`).
    Distinct,
    /// Zeros: special zero chunks only (`zeros`).
    Zeros,
    /// Special zero chunks (`zeros`), then some chunks written with one repeated value and
    /// some with distinct elements.
    OverZeros,
    /// Special repeated-value chunks (`full`), then some chunks written with zeros (stored
    /// all-zero chunks) and some with distinct elements.
    OverValue,
}

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![Just(Pattern::Distinct), Just(Pattern::Zeros), Just(Pattern::OverZeros), Just(Pattern::OverValue)]
}

/// The value of the special chunks of `Pattern::OverValue`.
const FULL: u8 = 0xa5;

/// What chunk `c` (grid coordinates) holds: 0 the base (zeros or `FULL`), 1 the other
/// constant, 2 distinct elements.
fn chunk_kind(pattern: Pattern, c: &[u64]) -> u64 {
    match pattern {
        Pattern::Distinct => 2,
        Pattern::Zeros => 0,
        Pattern::OverZeros | Pattern::OverValue => c.iter().sum::<u64>() % 3,
    }
}

/// The model array of `N`-byte items for `pattern`.
fn patterned<const N: usize>(shape: &[u64], chunks: &[u64], pattern: Pattern) -> ArrayD<[u8; N]> {
    let dims: Vec<usize> = shape.iter().map(|&s| s as usize).collect();
    let (base, other) = if pattern == Pattern::OverValue { ([FULL; N], [0; N]) } else { ([0; N], [0x3c; N]) };
    let mut flat = 0u64;
    ArrayD::from_shape_fn(IxDyn(&dims), |ix| {
        flat += 1;
        let c: Vec<u64> = (0..ix.ndim()).map(|d| ix[d] as u64 / chunks[d]).collect();
        match chunk_kind(pattern, &c) {
            0 => base,
            1 => other,
            _ => std::array::from_fn(|j| (sm64(flat, j as u64) | 1) as u8),
        }
    })
}

/// The array under test for the model `m` made with `pattern`.
fn build<const N: usize>(m: &ArrayD<[u8; N]>, pattern: Pattern, chunks: &[u64], blocks: &[u64]) -> NdArray {
    let shape: Vec<u64> = m.shape().iter().map(|&s| s as u64).collect();
    let (dtype, opts) = (dtype_of(N), Options::new().chunks(chunks).blocks(blocks));
    let mut a = match pattern {
        Pattern::Distinct => return NdArray::from_bytes(&shape, &dtype, &flat_bytes(m), &opts).unwrap(),
        Pattern::Zeros | Pattern::OverZeros => NdArray::zeros(&shape, &dtype, &opts).unwrap(),
        Pattern::OverValue => NdArray::full(&shape, &dtype, &[FULL; N], &opts).unwrap(),
    };
    // Chunk by chunk, those not of the base kind.
    let grid: Vec<usize> = shape.iter().zip(chunks).map(|(&s, &c)| s.div_ceil(c) as usize).collect();
    for c in ndarray::indices(IxDyn(&grid)) {
        let c: Vec<u64> = (0..grid.len()).map(|d| c[d] as u64).collect();
        if chunk_kind(pattern, &c) == 0 {
            continue;
        }
        let lo: Vec<u64> = c.iter().zip(chunks).map(|(&x, &w)| x * w).collect();
        let hi: Vec<u64> = (0..lo.len()).map(|d| (lo[d] + chunks[d]).min(shape[d])).collect();
        let b: Vec<(u64, u64)> = lo.iter().copied().zip(hi.iter().copied()).collect();
        let part: Vec<u8> = m.slice(info(&b).as_slice()).iter().flatten().copied().collect();
        a.write_box(&Region::from_start_stop(&lo, &hi).unwrap(), &part).unwrap();
    }
    a
}
/// A dtype of `N`-byte items.
fn dtype_of(n: usize) -> DType {
    DType::parse(match n {
        1 => "|u1",
        2 => "<i2",
        4 => "<u4",
        8 => "<f8",
        other => return DType::parse(&format!("|V{other}")).unwrap(),
    })
    .unwrap()
}

fn flat_bytes<const N: usize>(m: &ArrayD<[u8; N]>) -> Vec<u8> {
    m.iter().flatten().copied().collect()
}

/// Reads a box of an array of `N`-byte items built from `pattern`, and writes a box of
/// distinct items into it, each against the model.
fn read_and_write_box<const N: usize>(
    (shape, chunks, blocks): &(Vec<u64>, Vec<u64>, Vec<u64>),
    b: &[(u64, u64)],
    pattern: Pattern,
) -> Result<(), TestCaseError> {
    let mut m = patterned::<N>(shape, chunks, pattern);
    let mut a = build(&m, pattern, chunks, blocks);
    prop_assert_eq!(a.to_bytes().unwrap(), flat_bytes(&m), "built");
    let start: Vec<u64> = b.iter().map(|x| x.0).collect();
    let stop: Vec<u64> = b.iter().map(|x| x.1).collect();
    let r = Region::from_start_stop(&start, &stop).unwrap();
    let want: Vec<u8> = m.slice(info(b).as_slice()).iter().flatten().copied().collect();
    prop_assert_eq!(a.read_box(&r).unwrap(), want, "read");
    let bshape: Vec<usize> = b.iter().map(|&(x, y)| (y - x) as usize).collect();
    let patch = ArrayD::from_shape_fn(IxDyn(&bshape), |ix| {
        let k: usize = (0..ix.ndim()).map(|d| ix[d] * 31usize.pow(d as u32)).sum();
        std::array::from_fn::<u8, N, _>(|j| (k * 7 + j) as u8 ^ 0x5a)
    });
    a.write_box(&r, &flat_bytes(&patch)).unwrap();
    m.slice_mut(info(b).as_slice()).assign(&patch);
    prop_assert_eq!(a.to_bytes().unwrap(), flat_bytes(&m), "after the write");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn boxes_of_every_item_size_and_chunk_kind_equal_ndarray(
        (g, b) in geometry().prop_flat_map(|g| { let s = g.0.clone(); (Just(g), boxes(&s)) }),
        itemsize in prop::sample::select(vec![1usize, 2, 3, 4, 8, 16]),
        pattern in pattern(),
    ) {
        match itemsize {
            1 => read_and_write_box::<1>(&g, &b, pattern)?,
            2 => read_and_write_box::<2>(&g, &b, pattern)?,
            3 => read_and_write_box::<3>(&g, &b, pattern)?,
            4 => read_and_write_box::<4>(&g, &b, pattern)?,
            8 => read_and_write_box::<8>(&g, &b, pattern)?,
            _ => read_and_write_box::<16>(&g, &b, pattern)?,
        }
    }

    #[test]
    fn structured_metalayers_decode_or_fail_typed(
        version in prop_oneof![9 => Just(0u8), 1 => 1u8..3],
        (shape, mut chunkshape, mut blockshape) in (0usize..18).prop_flat_map(|n| (
            prop::collection::vec(prop_oneof![3 => 0i64..40, 1 => any::<i64>()], n),
            prop::collection::vec(prop_oneof![3 => 0i32..20, 1 => any::<i32>()], n),
            prop::collection::vec(prop_oneof![3 => 0i32..20, 1 => any::<i32>()], n),
        )),
        // Now and then a chunk or block shape of another length than the shape.
        extra in prop_oneof![8 => Just((0usize, 0usize)), 1 => (0usize..3, 0usize..3)],
        dtype_format in prop_oneof![9 => Just(0u8), 1 => Just(1u8)],
        dtype in prop_oneof![
            Just(None),
            prop::sample::select(vec!["<f8", "|u1", "<i4", ">i2", "|V3", "<U5", "|S0", "<M8[ns]", "<c16", "|b1"])
                .prop_map(|d| Some(d.to_string())),
            ".{0,12}".prop_map(Some),
        ],
        cut in any::<prop::sample::Index>(),
        flip in any::<Option<(prop::sample::Index, u8)>>(),
    ) {
        chunkshape.extend(std::iter::repeat_n(7, extra.0));
        blockshape.truncate(blockshape.len().saturating_sub(extra.1));
        let meta = blosc2_nd::B2ndMeta { version, shape, chunkshape, blockshape, dtype_format, dtype };
        let mut bytes = meta.encode();
        // Decoding what was encoded gives it back, or a typed error (version, dtype format,
        // shapes of another length than the shape, more than 16 dimensions).
        match blosc2_nd::B2ndMeta::decode(&bytes) {
            Ok(back) => {
                prop_assert_eq!(back.encode(), bytes.clone());
                // Without a dtype string the dtype format is not written either.
                let mut want = meta.clone();
                if want.dtype.is_none() {
                    want.dtype_format = 0;
                }
                prop_assert_eq!(back, want);
            }
            Err(e) => prop_assert!(e.code() < 0 && !e.to_string().is_empty()),
        }
        // The metalayer of a frame: opening checks the geometry against the chunks.
        let mut sc = blosc2_core::schunk::SChunk::new(blosc2_core::chunk::CompressParams::default());
        if sc.metalayers_mut().add("b2nd", &bytes).is_ok() {
            if let Ok(a) = NdArray::from_schunk(sc) {
                let _ = a.to_bytes();
            }
        }
        // Cut short and changed in one byte.
        if let Some((at, v)) = flip {
            let i = at.index(bytes.len().max(1));
            if let Some(b) = bytes.get_mut(i) {
                *b ^= v;
            }
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        if let Err(e) = blosc2_nd::B2ndMeta::decode(&bytes) {
            prop_assert!(e.code() < 0 && !e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn reading_a_box_equals_slicing_ndarray(
        (g, b) in geometry().prop_flat_map(|g| { let s = g.0.clone(); (Just(g), boxes(&s)) })
    ) {
        let (shape, chunks, blocks) = g;
        let m = model(&shape);
        let a = NdArray::from_ndarray(&m, &Options::new().chunks(&chunks).blocks(&blocks)).unwrap();
        let start: Vec<u64> = b.iter().map(|x| x.0).collect();
        let stop: Vec<u64> = b.iter().map(|x| x.1).collect();
        let got = a.read_box(&Region::from_start_stop(&start, &stop).unwrap()).unwrap();
        let want: Vec<i32> = m.slice(info(&b).as_slice()).iter().copied().collect();
        let want: Vec<u8> = want.iter().flat_map(|v| v.to_le_bytes()).collect();
        prop_assert_eq!(got, want);
        // The same through the typed selection API.
        let items: Vec<SliceItem> = b.iter().map(|&(x, y)| SliceItem::Range { start: Some(x as i64), stop: Some(y as i64), step: 1 }).collect();
        let nd = a.slice_ndarray::<i32>(&items).unwrap();
        prop_assert_eq!(nd, m.slice(info(&b).as_slice()).to_owned());
    }

    #[test]
    fn writing_a_box_equals_assigning_in_ndarray(
        (g, b) in geometry().prop_flat_map(|g| { let s = g.0.clone(); (Just(g), boxes(&s)) })
    ) {
        let (shape, chunks, blocks) = g;
        let mut m = model(&shape);
        let mut a = NdArray::from_ndarray(&m, &Options::new().chunks(&chunks).blocks(&blocks)).unwrap();
        let bshape: Vec<usize> = b.iter().map(|&(x, y)| (y - x) as usize).collect();
        let n: usize = bshape.iter().product();
        let patch = ArrayD::from_shape_vec(IxDyn(&bshape), (0..n as i32).map(|v| -v - 1).collect()).unwrap();
        let start: Vec<u64> = b.iter().map(|x| x.0).collect();
        a.write_ndarray(&start, &patch).unwrap();
        m.slice_mut(info(&b).as_slice()).assign(&patch);
        prop_assert_eq!(a.to_ndarray::<i32>().unwrap(), m);
    }

    #[test]
    fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..120), text in ".{0,60}") {
        let _ = blosc2_nd::B2ndMeta::decode(&bytes);
        let _ = blosc2_nd::npy::parse_header(&bytes);
        let _ = DType::parse(&text);
        let _ = parse_selection(&text);
        let mut npy = b"\x93NUMPY\x01\x00".to_vec();
        npy.extend_from_slice(&(text.len() as u16).to_le_bytes());
        npy.extend_from_slice(text.as_bytes());
        let _ = blosc2_nd::npy::parse_header(&npy);
    }

    #[test]
    fn resizing_equals_padding_with_zeros(
        (g, new) in geometry().prop_flat_map(|g| { let n = g.0.len(); (Just(g), prop::collection::vec(0u64..15, n)) })
    ) {
        let (shape, chunks, blocks) = g;
        let m = model(&shape);
        let mut a = NdArray::from_ndarray(&m, &Options::new().chunks(&chunks).blocks(&blocks)).unwrap();
        a.resize(&new).unwrap();
        prop_assert_eq!(a.shape(), new.as_slice());
        let got = a.to_ndarray::<i32>().unwrap();
        let dims: Vec<usize> = new.iter().map(|&s| s as usize).collect();
        let want = ArrayD::from_shape_fn(IxDyn(&dims), |ix| {
            let inside = (0..ix.ndim()).all(|d| ix[d] < shape[d] as usize);
            if inside { m[&ix] } else { 0 }
        });
        prop_assert_eq!(got, want);
        // The frame survives a save and reopen.
        let back = NdArray::from_cframe(a.to_cframe().unwrap()).unwrap();
        prop_assert_eq!(back.to_ndarray::<i32>().unwrap(), a.to_ndarray::<i32>().unwrap());
    }
}

/// The patterns give the arrays of the proptest above the chunks they are meant to: special
/// zero and repeated-value chunks, stored all-zero and constant chunks, stored data.
#[test]
fn patterned_arrays_hold_special_chunks() {
    let (shape, chunks, blocks) = ([12u64, 10], [4u64, 5], [2u64, 5]);
    for n in [1usize, 3, 16] {
        for (pattern, want) in [
            (Pattern::OverZeros, [None, Some(SpecialKind::Zeros)]),
            (Pattern::OverValue, [None, Some(SpecialKind::Value)]),
            (Pattern::Zeros, [Some(SpecialKind::Zeros), Some(SpecialKind::Zeros)]),
        ] {
            let (a, bytes) = match n {
                1 => {
                    let m = patterned::<1>(&shape, &chunks, pattern);
                    (build(&m, pattern, &chunks, &blocks), flat_bytes(&m))
                }
                3 => {
                    let m = patterned::<3>(&shape, &chunks, pattern);
                    (build(&m, pattern, &chunks, &blocks), flat_bytes(&m))
                }
                _ => {
                    let m = patterned::<16>(&shape, &chunks, pattern);
                    (build(&m, pattern, &chunks, &blocks), flat_bytes(&m))
                }
            };
            let kinds: Vec<_> = a.chunk_infos().map(|i| i.unwrap().special).collect();
            for k in want {
                assert!(kinds.contains(&k), "itemsize {n}, {pattern:?}: no chunk of kind {k:?} in {kinds:?}");
            }
            assert_eq!(a.to_bytes().unwrap(), bytes, "itemsize {n}, {pattern:?}");
        }
    }
}

#[test]
fn integer_indices_drop_dimensions_and_steps_stride() {
    let m = model(&[6, 7, 8]);
    let a = NdArray::from_ndarray(&m, &Options::new().chunks(&[4, 3, 5]).blocks(&[2, 3, 2])).unwrap();
    let got = a.slice_ndarray::<i32>(&parse_selection("1:5, 3, ::3").unwrap()).unwrap();
    let want = m.slice(ndarray::s![1..5, 3, ..;3]).to_owned().into_dyn();
    assert_eq!(got, want);
    let got = a.slice_ndarray::<i32>(&parse_selection("-1, -2:, 0").unwrap()).unwrap();
    assert_eq!(got, m.slice(ndarray::s![5, 5.., 0]).to_owned().into_dyn());
    assert_eq!(a.get::<i32>(&[5, 6, 7]).unwrap(), m[[5, 6, 7]]);
    match a.read_selection(&parse_selection(":, 0:9").unwrap()) {
        Err(Error::OutOfRange { dim: 1, len: 7, .. }) => {}
        other => panic!("{other:?}"),
    }
    let past = Region::from_start_stop(&[0, 0, 0], &[6, 7, 9]).unwrap();
    assert_eq!(a.read_box(&past), Err(Error::OutOfRange { dim: 2, start: 0, stop: 9, len: 8 }));
    let flat = Region::whole(&[6, 7]);
    let e = a.read_box(&flat).unwrap_err();
    assert!(matches!(e, Error::Shape { kind: ShapeErrorKind::RankMismatch, value: 2, limit: 3, .. }), "{e}");
    let e = a.get_bytes(&[0, u64::MAX, 0]).unwrap_err();
    assert!(matches!(e, Error::OutOfRange { dim: 1, len: 7, .. }), "{e}");
    assert!(matches!(a.get_bytes(&[0, 0]), Err(Error::Shape { kind: ShapeErrorKind::RankMismatch, .. })));
    assert!(matches!(a.get::<f32>(&[0, 0, 0]), Err(Error::DtypeMismatch { .. })));
    let mut b = NdArray::from_ndarray(&m, &Options::new()).unwrap();
    let past = Region::from_start_shape(&[5, 0, 0], &[2, 1, 1]).unwrap();
    assert!(matches!(b.write_box(&past, &[0; 8]), Err(Error::OutOfRange { dim: 0, .. })));
    let one = Region::from_start_shape(&[0, 0, 0], &[1, 1, 1]).unwrap();
    assert!(matches!(b.write_box(&one, &[0; 3]), Err(Error::BufferSize { .. })));
    assert!(matches!(b.write_box(&flat, &[0; 4 * 42]), Err(Error::Shape { kind: ShapeErrorKind::RankMismatch, .. })));
    // Empty regions read nothing and write nothing, wherever they start inside the array.
    let empty = Region::from_start_shape(&[6, 3, 0], &[0, 2, 8]).unwrap();
    assert_eq!(a.read_box(&empty).unwrap(), Vec::<u8>::new());
    b.write_box(&empty, &[]).unwrap();
    assert_eq!(b.to_ndarray::<i32>().unwrap(), m);
}

#[test]
fn chunks_in_c_order_decode_straight_into_the_output() {
    // Blocks 1 x 3 x 8 in chunks 4 x 6 x 8: the decompressed chunk is the C-order chunk.
    for (shape, chunks, blocks) in [([8u64, 12, 8], [4u64, 6, 8], [1u64, 3, 8]), ([9, 13, 8], [4, 6, 8], [1, 1, 4])] {
        let m = model(&shape);
        let a = NdArray::from_ndarray(&m, &Options::new().chunks(&chunks).blocks(&blocks)).unwrap();
        assert_eq!(a.to_ndarray::<i32>().unwrap(), m);
        let got = a.read_box(&Region::from_start_stop(&[4, 0, 0], &[8, 12, 8]).unwrap()).unwrap();
        let want: Vec<u8> = m.slice(ndarray::s![4..8, 0..12, ..]).iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn blocks_that_are_runs_of_the_box_decode_straight_into_it() {
    // Blocks 1 x 4 x 8 in chunks 3 x 12 x 8: in a box spanning whole rows of the last
    // dimension, a block inside the box is one run of the output; blocks cut by the box are
    // copied as before. One and two threads, boxes in one chunk and across chunks.
    let shape = [7u64, 12, 8];
    let m = model(&shape);
    let a = NdArray::from_ndarray(&m, &Options::new().chunks(&[3, 12, 8]).blocks(&[1, 4, 8])).unwrap();
    let boxes: [([u64; 3], [u64; 3]); 7] = [
        ([1, 0, 0], [2, 12, 8]), // a plane: every block of it is a run
        ([4, 4, 0], [5, 12, 8]), // block-aligned part of a plane
        ([4, 2, 0], [5, 10, 8]), // blocks cut at both ends, one whole block between
        ([0, 0, 0], [3, 12, 8]), // a whole chunk (decoded whole)
        ([2, 0, 0], [5, 12, 8]), // across two chunks
        ([6, 0, 0], [7, 12, 8]), // the last, partial chunk
        ([1, 4, 2], [2, 8, 6]),  // inside one block: no run
    ];
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        for (lo, hi) in &boxes {
            let r = Region::from_start_stop(lo, hi).unwrap();
            let got = pool.install(|| a.read_box(&r)).unwrap();
            let want: Vec<u8> = m
                .slice(ndarray::s![
                    lo[0] as usize..hi[0] as usize,
                    lo[1] as usize..hi[1] as usize,
                    lo[2] as usize..hi[2] as usize
                ])
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            assert_eq!(got, want, "box {lo:?}..{hi:?}, {threads} threads");
        }
    }
}

#[test]
fn boxes_gathered_from_shuffled_blocks_equal_the_data() {
    // Planes and small boxes take a few elements of each block: with a byte shuffle as the
    // only filter, they are put back together from the shuffled bytes. Element sizes with
    // and without a fixed-size path, noisy blocks and constant ones, one and two threads
    // (a box inside one chunk decodes its blocks in parallel).
    let shape = [9u64, 20, 24];
    let n = shape.iter().product::<u64>() as usize;
    let mut rng = XorShift64(GAMMA);
    for dtype in ["|u1", "<u2", "<f4", "<i8", "|V16", "|V3"] {
        let dt = DType::parse(dtype).unwrap();
        let ts = dt.itemsize();
        let data: Vec<u8> = (0..n * ts)
            .map(|i| {
                let x = rng.next_u64();
                // The first rows are zeros: blocks of one repeated byte. Elsewhere the
                // first byte of each element is noise the codec stores as it is, the others
                // compress.
                if i < 2 * 20 * 24 * ts {
                    0
                } else if i % ts == 0 {
                    (x >> 32) as u8
                } else {
                    (x >> 32) as u8 & 0x3
                }
            })
            .collect();
        let opts = Options::new().chunks(&[6, 10, 24]).blocks(&[3, 10, 12]);
        let a = NdArray::from_bytes(&shape, &dt, &data, &opts).unwrap();
        if ts > 1 {
            // Gathers read such stored byte planes in place in the chunk.
            let c = a.schunk().chunk(2).unwrap();
            let mut block = vec![0u8; 3 * 10 * 12 * ts];
            let d = chunk::Decompressor::default();
            let chunk::DecodedBlock::Shuffled(v) =
                d.decode_block(&c, 0, &mut block, chunk::StoredPlanes::InPlace).unwrap()
            else {
                panic!("{dtype}: block 0 not left shuffled");
            };
            let in_chunk = |p: &[u8]| c.as_ptr_range().contains(&p.as_ptr());
            assert_eq!(v.typesize(), ts, "{dtype}");
            assert!(in_chunk(v.plane(0)) && (1..ts).all(|j| !in_chunk(v.plane(j))), "{dtype}: planes in place");
        }
        let boxes: [([u64; 3], [u64; 3]); 8] = [
            ([0, 0, 5], [9, 20, 6]),   // plane across the last axis, every chunk
            ([0, 7, 0], [9, 8, 24]),   // plane across the middle axis
            ([4, 0, 0], [5, 20, 24]),  // plane across the first axis (too much of a block)
            ([1, 2, 3], [3, 5, 5]),    // small box in one chunk, two blocks
            ([0, 0, 13], [3, 10, 14]), // a column of one block
            ([2, 9, 11], [4, 11, 13]), // small box across chunks and blocks
            ([0, 0, 0], [1, 1, 1]),    // an element of a constant block
            ([8, 19, 23], [9, 20, 24]),
        ];
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for (lo, hi) in &boxes {
                let r = Region::from_start_stop(lo, hi).unwrap();
                let got = pool.install(|| a.read_box(&r)).unwrap();
                let mut want = Vec::new();
                for i in lo[0]..hi[0] {
                    for j in lo[1]..hi[1] {
                        let at = ((i * 20 + j) * 24 + lo[2]) as usize * ts;
                        want.extend_from_slice(&data[at..at + (hi[2] - lo[2]) as usize * ts]);
                    }
                }
                assert_eq!(got, want, "{dtype}: box {lo:?}..{hi:?}, {threads} threads");
            }
        }
    }
}

/// A `.b2nd` file read through a memory map gives the boxes positioned reads give (whole
/// chunks borrowed from the map instead of the blocks fetched), with one and two threads;
/// a writer appending to the file (growing the array) leaves the mapped snapshot intact.
#[cfg(feature = "mmap")]
#[test]
fn mapped_files_read_the_same_boxes() {
    let tmp = temp_dir!("nd-mapped");
    let path = tmp.0.join("m.b2nd");
    let shape = [9u64, 20, 24];
    let m = model(&shape);
    let a = NdArray::from_ndarray(&m, &Options::new().chunks(&[4, 10, 24]).blocks(&[2, 5, 6])).unwrap();
    a.save(&path).unwrap();
    let plain = NdArray::open(&path).unwrap();
    let mapped = NdArray::open_mapped(&path).unwrap();
    assert!(mapped.schunk().frame().unwrap().is_mapped());
    assert!(!plain.schunk().frame().unwrap().is_mapped());
    let boxes: [([u64; 3], [u64; 3]); 6] = [
        ([0, 0, 5], [9, 20, 6]),
        ([4, 0, 0], [5, 20, 24]),
        ([0, 7, 0], [9, 8, 24]),
        ([1, 2, 3], [3, 5, 5]),
        ([0, 0, 0], [9, 20, 24]),
        ([8, 19, 23], [9, 20, 24]),
    ];
    let check = |arr: &NdArray, what: &str| {
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            for (lo, hi) in &boxes {
                let r = Region::from_start_stop(lo, hi).unwrap();
                let got = pool.install(|| arr.read_box(&r)).unwrap();
                assert_eq!(got, plain.read_box(&r).unwrap(), "{what}: box {r}, {threads} threads");
            }
        }
    };
    check(&mapped, "mapped");
    // A writer grows the array by one chunk along the first axis (appended chunks, then
    // the new shape): the open snapshot still reads what it had.
    let mut w = NdArray::open_mut(&path).unwrap();
    w.resize(&[13, 20, 24]).unwrap();
    drop(w);
    check(&mapped, "mapped, after the file grew");
    let grown = NdArray::open_mapped(&path).unwrap();
    assert_eq!(grown.shape(), &[13, 20, 24]);
    let old = Region::whole(&shape);
    assert_eq!(grown.read_box(&old).unwrap(), plain.read_box(&old).unwrap());
}

/// An array written straight to a file, chunks compressed and written a batch at a time,
/// is the file `from_bytes` then `save` write, byte for byte: more chunks than a batch,
/// edge chunks, one and two threads.
#[test]
fn arrays_written_straight_to_a_file_equal_saved_ones() {
    let tmp = temp_dir!("nd-from-bytes-at");
    for (shape, chunks, blocks) in [
        (vec![37u64, 23, 11], vec![4u64, 6, 11], vec![2u64, 3, 4]),
        (vec![1000], vec![64], vec![16]),
        (vec![5, 5], vec![5, 5], vec![5, 5]),
    ] {
        let m = model(&shape);
        let data: Vec<u8> = m.iter().flat_map(|v| v.to_le_bytes()).collect();
        let dt = DType::parse("<i4").unwrap();
        let opts = Options::new().chunks(&chunks).blocks(&blocks);
        let saved = tmp.0.join("saved.b2nd");
        NdArray::from_bytes(&shape, &dt, &data, &opts).unwrap().save(&saved).unwrap();
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let direct = tmp.0.join(format!("direct-{threads}.b2nd"));
            let a = pool.install(|| NdArray::from_bytes_at(&direct, &shape, &dt, &data, &opts)).unwrap();
            assert_eq!(std::fs::read(&direct).unwrap(), std::fs::read(&saved).unwrap(), "{shape:?}, {threads} threads");
            assert_eq!(a.read_box(&Region::whole(&shape)).unwrap(), data);
        }
        let e = NdArray::from_bytes_at(tmp.0.join("short.b2nd"), &shape, &dt, &data[4..], &opts).unwrap_err();
        assert!(matches!(e, Error::BufferSize { .. }), "{e}");
        assert!(!tmp.0.join("short.b2nd").exists());
    }
}

#[test]
fn huge_sparse_array_is_cheap() {
    let tmp = temp_dir!("nd-huge");
    let path = tmp.0.join("huge.b2nd");
    let t = std::time::Instant::now();
    let a = NdArray::zeros(&[20000, 20000, 20000], &DType::parse("|u1").unwrap(), &Options::new()).unwrap();
    let mut a = a.into_file(&path).unwrap();
    let created = t.elapsed();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < 4 << 20, "{size} bytes");
    let patch: Vec<u8> = (0..1000).map(|i| (i % 251) as u8 + 1).collect();
    let corners = [[0u64, 0, 0], [12345, 6789, 19990], [19990, 19990, 0]];
    for c in corners {
        a.write_box(&Region::from_start_shape(&c, &[10, 10, 10]).unwrap(), &patch).unwrap();
    }
    let a = NdArray::open(&path).unwrap();
    for c in corners {
        let stop: Vec<u64> = c.iter().map(|x| x + 10).collect();
        assert_eq!(a.read_box(&Region::from_start_stop(&c, &stop).unwrap()).unwrap(), patch);
    }
    assert_eq!(
        a.read_box(&Region::from_start_stop(&[5000, 5000, 5000], &[5010, 5010, 5010]).unwrap()).unwrap(),
        vec![0u8; 1000]
    );
    let stored = a.chunk_infos().filter(|i| i.as_ref().unwrap().special != Some(SpecialKind::Zeros)).count();
    // Each 10-deep box spans 10 chunks of depth 1.
    assert_eq!(stored, 30);
    eprintln!(
        "20000^3 zeros created in {created:?}, {size} bytes; with 3 boxes {} bytes",
        std::fs::metadata(&path).unwrap().len()
    );
}

#[test]
fn npy_round_trips() {
    let tmp = temp_dir!("nd-npy");
    let m = model(&[5, 9, 4]);
    let a = NdArray::from_ndarray(&m, &Options::new().chunks(&[2, 4, 4]).blocks(&[1, 2, 4])).unwrap();
    let p = tmp.0.join("a.npy");
    a.to_npy(&p).unwrap();
    let b = NdArray::from_npy(&p, &Options::new().metalayer("units", b"\xa6parsec")).unwrap();
    assert_eq!(b.schunk().metalayers().get("units"), Some(&b"\xa6parsec"[..]));
    assert_eq!(b.to_ndarray::<i32>().unwrap(), m);
    assert_eq!(b.dtype().as_str(), "<i4");
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.truncate(bytes.len() - 1);
    assert!(matches!(NdArray::from_npy_bytes(&bytes, &Options::new()), Err(Error::Npy { .. })));
}

#[test]
fn sparse_frames_and_in_place_changes() {
    let tmp = temp_dir!("nd-sframe");
    let m = model(&[30, 40]);
    let a = NdArray::from_ndarray(&m, &Options::new().chunks(&[10, 16]).blocks(&[5, 8])).unwrap();
    let dir = tmp.0.join("s.b2nd");
    let mut s = a.into_sparse(&dir).unwrap();
    s.write_box(&Region::from_start_shape(&[29, 39], &[1, 1]).unwrap(), &(-5i32).to_le_bytes()).unwrap();
    s.resize(&[35, 41]).unwrap();
    let back = NdArray::open(&dir).unwrap();
    assert_eq!(back.shape(), &[35, 41]);
    assert_eq!(back.get::<i32>(&[29, 39]).unwrap(), -5);
    assert_eq!(back.get::<i32>(&[3, 4]).unwrap(), m[[3, 4]]);
    assert_eq!(back.get::<i32>(&[34, 40]).unwrap(), 0);
    let file = tmp.0.join("c.b2nd");
    back.save(&file).unwrap();
    let mut c = NdArray::open_mut(&file).unwrap();
    c.resize(&[12, 12]).unwrap();
    // The resize alone is committed: chunks and shape together.
    let seen = NdArray::open(&file).unwrap();
    assert_eq!(seen.shape(), &[12, 12]);
    assert_eq!(seen.get::<i32>(&[11, 11]).unwrap(), m[[11, 11]]);
    c.write_box(&Region::from_start_shape(&[0, 0], &[1, 2]).unwrap(), &[0u8; 8]).unwrap();
    // Read back through the array changed in place (partial block reads of the new bytes).
    assert_eq!(c.get::<i32>(&[0, 1]).unwrap(), 0);
    assert_eq!(c.get::<i32>(&[0, 2]).unwrap(), m[[0, 2]]);
    assert_eq!(c.get::<i32>(&[11, 11]).unwrap(), m[[11, 11]]);
    let c = NdArray::open(&file).unwrap();
    assert_eq!(c.shape(), &[12, 12]);
    assert_eq!(c.get::<i32>(&[0, 1]).unwrap(), 0);
    assert_eq!(c.get::<i32>(&[11, 11]).unwrap(), m[[11, 11]]);
    // Read-only arrays refuse changes with a typed error.
    let mut ro = NdArray::open(&file).unwrap();
    assert!(matches!(
        ro.write_box(&Region::from_start_shape(&[0, 0], &[1, 1]).unwrap(), &[0u8; 4]),
        Err(Error::Core(_))
    ));
    let meta = ro.schunk().metalayers().get("b2nd").unwrap().to_vec();
    assert!(matches!(ro.resize(&[5, 5]), Err(Error::Core(_))));
    assert_eq!(ro.shape(), &[12, 12]);
    assert_eq!(ro.schunk().metalayers().get("b2nd").unwrap(), &meta[..], "a failed resize leaves the metalayer");
}

#[test]
fn bad_geometry_and_dtypes_are_typed_errors() {
    let d = DType::parse("<f4").unwrap();
    assert!(matches!(
        NdArray::zeros(&[10, 10], &d, &Options::new().chunks(&[5, 5]).blocks(&[6, 5])),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(
        NdArray::zeros(&[10], &d, &Options::new().chunks(&[5, 5]).blocks(&[5, 5])),
        Err(Error::Shape { .. })
    ));
    assert!(matches!(DType::parse("<q7"), Err(Error::UnknownDtype { .. })));
    assert!(matches!(
        NdArray::zeros(&[1 << 40, 1 << 40, 1 << 40], &d, &Options::new().chunks(&[1, 1, 1]).blocks(&[1, 1, 1])),
        Err(Error::Shape { .. })
    ));
    let mut dims = vec![2u64; 17];
    assert!(matches!(NdArray::zeros(&dims, &d, &Options::new().chunks(&dims).blocks(&dims)), Err(Error::Shape { .. })));
    dims.truncate(8);
    let a = NdArray::zeros(&dims, &d, &Options::new().chunks(&dims).blocks(&dims)).unwrap();
    assert_eq!(a.ndim(), 8);
    // A frame whose chunks do not match the metalayer.
    let mut sc =
        blosc2_core::schunk::SChunk::new(blosc2_core::chunk::CompressParams { typesize: 4, ..Default::default() });
    let meta = blosc2_nd::B2ndMeta {
        version: 0,
        shape: vec![10],
        chunkshape: vec![5],
        blockshape: vec![5],
        dtype_format: 0,
        dtype: Some("<f4".into()),
    };
    sc.metalayers_mut().add("b2nd", &meta.encode()).unwrap();
    sc.append_buffer(&[0u8; 20]).unwrap();
    assert!(matches!(NdArray::from_schunk(sc), Err(Error::ChunkMismatch { .. })));
    let sc = blosc2_core::schunk::SChunk::new(blosc2_core::chunk::CompressParams::default());
    assert!(matches!(NdArray::from_schunk(sc), Err(Error::NotAnArray)));
}

/// `zeros_at` writes the same file as building the zeros array in memory and saving it,
/// without work per chunk; the array reads as zeros and can be opened for writing.
#[test]
fn zeros_at_equals_zeros_then_save() {
    let tmp = temp_dir!("zeros-at");
    let dtype = DType::parse("<f8").unwrap();
    for (k, (shape, chunks)) in [
        (vec![1000u64, 1000, 100], vec![100u64, 100, 10]),
        (vec![7, 0, 3], vec![2, 2, 2]),
        (vec![5], vec![5]),
        (vec![], vec![]),
    ]
    .into_iter()
    .enumerate()
    {
        let opts = Options::new().chunks(&chunks).blocks(&chunks);
        let direct = tmp.0.join(format!("direct-{k}.b2nd"));
        let saved = tmp.0.join(format!("saved-{k}.b2nd"));
        let a = NdArray::zeros_at(&direct, &shape, &dtype, &opts).unwrap();
        NdArray::zeros(&shape, &dtype, &opts).unwrap().save(&saved).unwrap();
        assert_eq!(std::fs::read(&direct).unwrap(), std::fs::read(&saved).unwrap(), "shape {shape:?}");
        assert_eq!(a.shape(), &shape[..]);
        if !a.is_empty() {
            let last: Vec<u64> = shape.iter().map(|&s| s - 1).collect();
            assert_eq!(a.get::<f64>(&last).unwrap(), 0.0);
        }
        drop(a);
        let mut w = NdArray::open_mut(&direct).unwrap();
        if !w.is_empty() {
            let start = vec![0u64; shape.len()];
            let one = ndarray::ArrayD::<f64>::from_elem(IxDyn(&vec![1usize; shape.len()]), 2.5);
            w.write_ndarray(&start, &one).unwrap();
            assert_eq!(w.get::<f64>(&start).unwrap(), 2.5);
        }
    }
}

#[test]
fn chunks_in_c_order_compress_straight_from_the_input() {
    // Whole C-order chunks are compressed from the caller's buffer; written instead one
    // row at a time (through a chunk buffer), every chunk must come out byte for byte the
    // same, and hold the model's rows.
    for (shape, chunks, blocks) in [([8u64, 12, 8], [4u64, 12, 8], [1u64, 3, 8]), ([9, 6, 8], [2, 6, 8], [1, 6, 8])] {
        let m = model(&shape);
        let opts = Options::new().chunks(&chunks).blocks(&blocks);
        let direct = NdArray::from_ndarray(&m, &opts).unwrap();
        let mut by_rows = NdArray::zeros(&shape, &DType::parse("<i4").unwrap(), &opts).unwrap();
        for i in 0..shape[0] {
            let row = m.slice(ndarray::s![i as usize..i as usize + 1, .., ..]).to_owned();
            by_rows.write_ndarray(&[i, 0, 0], &row).unwrap();
        }
        let row_bytes = (shape[1] * shape[2] * 4) as usize;
        let flat: Vec<u8> = m.iter().flat_map(|v| v.to_le_bytes()).collect();
        for c in 0..direct.schunk().nchunks() {
            let a = direct.schunk().chunk(c).unwrap();
            assert_eq!(a, by_rows.schunk().chunk(c).unwrap(), "chunk {c}");
            let rows = blosc2_core::chunk::decompress(&a).unwrap();
            let at = c as usize * chunks[0] as usize * row_bytes;
            let end = flat.len().min(at + rows.len());
            assert_eq!(rows[..end - at], flat[at..end], "chunk {c} content");
        }
    }
}
