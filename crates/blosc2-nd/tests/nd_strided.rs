//! Strided and block-reduced reads against models: `read_strided` equals `read_selection`
//! (the box read whole, then the steps applied) and `read_reduced` equals a reduction of
//! the box computed cell by cell, for 1-D to 8-D arrays (proptest), arrays that are mostly
//! zeros (blocks stored as runs of zeros, special zero chunks), NaN and repeated-value
//! chunks, in memory, in files read through a memory map or in parts, and sparse frames.

use blosc2_nd::{DType, NdArray, Options, Reduce, Region, Selection, SliceItem};
use blosc2_testkit::temp_dir;
use proptest::prelude::*;

/// A random geometry of 1 to `max_dims` dimensions (blocks <= chunks).
fn geometry(max_dims: usize) -> impl Strategy<Value = (Vec<u64>, Vec<u64>, Vec<u64>)> {
    prop::collection::vec((1u64..11, 1u64..6, 1u64..5), 1..=max_dims).prop_map(|dims| {
        let shape = dims.iter().map(|d| d.0).collect();
        let chunks: Vec<u64> = dims.iter().map(|d| d.1).collect();
        let blocks = dims.iter().zip(&chunks).map(|(d, &c)| d.2.min(c)).collect();
        (shape, chunks, blocks)
    })
}

/// A selection item for a dimension of `len` from random numbers: an index, or a range
/// with a step.
fn item(len: u64, (kind, a, b, step): (u8, u64, u64, u64)) -> SliceItem {
    if kind == 0 {
        return SliceItem::Index((a % len) as i64);
    }
    let (a, b) = (a % (len + 1), b % (len + 1));
    SliceItem::Range { start: Some(a.min(b) as i64), stop: Some(a.max(b) as i64), step: step as i64 }
}

/// Values of an array of `n` elements: `sparse` leaves most of them zero (a non-zero value
/// every 37th element on average), else every element differs.
fn values(n: u64, sparse: bool, seed: u64) -> Vec<f32> {
    let mut x = seed | 1;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if !sparse {
                i as f32 * 0.5 - 7.0
            } else if x.is_multiple_of(37) {
                (x % 1000) as f32 + 1.0
            } else {
                0.0
            }
        })
        .collect()
}

fn f32_value(b: &[u8]) -> f64 {
    f64::from(f32::from_le_bytes(b.try_into().unwrap()))
}

/// The reduction of `sel`'s boxes computed from the box read whole, cell by cell.
fn model_reduced(a: &NdArray, sel: &Selection, how: Reduce, value: impl Fn(&[u8]) -> f64) -> Vec<f64> {
    let ts = a.dtype().itemsize();
    let r = sel.region();
    let bytes = a.read_box(r).unwrap();
    let out_shape = sel.stepped_shape();
    let n = out_shape.len();
    let cells: u64 = out_shape.iter().product();
    let (mut acc, mut count) = (vec![f64::NAN; cells as usize], vec![0u64; cells as usize]);
    let mut idx = vec![0u64; n];
    for e in bytes.chunks_exact(ts) {
        let o = (0..n).fold(0u64, |o, d| o * out_shape[d] + idx[d] / sel.step()[d]) as usize;
        let v = value(e);
        if !v.is_nan() {
            acc[o] = match (how, count[o]) {
                (_, 0) => v,
                (Reduce::Mean, _) => acc[o] + v,
                (Reduce::Max, _) => acc[o].max(v),
                (_, _) => acc[o].min(v),
            };
            count[o] += 1;
        }
        for d in (0..n).rev() {
            idx[d] += 1;
            if idx[d] < r.shape()[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    if how == Reduce::Mean {
        for (a, &c) in acc.iter_mut().zip(&count) {
            if c > 0 {
                *a /= c as f64;
            }
        }
    }
    if n == 0 {
        return vec![value(&bytes)];
    }
    acc
}

fn same(got: &[f64], want: &[f64]) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(g, w)| (g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-9 * w.abs().max(1.0))
}

fn check(a: &NdArray, items: &[SliceItem]) -> Result<(), TestCaseError> {
    let sel = Selection::resolve(items, a.shape()).unwrap();
    let (want, _) = a.read_selection(items).unwrap();
    prop_assert_eq!(a.read_strided(&sel).unwrap(), want, "{:?}", items);
    for how in [Reduce::Mean, Reduce::Max, Reduce::Min] {
        let got = a.read_reduced(&sel, how, f32_value).unwrap();
        let want = model_reduced(a, &sel, how, f32_value);
        prop_assert!(same(&got, &want), "{:?} {:?}: {:?} != {:?}", how, items, got, want);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn strided_and_reduced_reads_equal_the_models(
        (shape, chunks, blocks) in geometry(8),
        sparse in any::<bool>(),
        seed in any::<u64>(),
        picks in prop::collection::vec((0u8..4, any::<u64>(), any::<u64>(), 1u64..6), 8),
    ) {
        let n: u64 = shape.iter().product();
        let opts = Options::new().chunks(&chunks).blocks(&blocks);
        let a = NdArray::from_slice(&shape, &values(n, sparse, seed), &opts).unwrap();
        let items: Vec<SliceItem> = shape.iter().zip(&picks).map(|(&len, &p)| item(len, p)).collect();
        check(&a, &items)?;
    }
}

/// Mostly-empty arrays: special zero chunks, chunks whose blocks are mostly runs of zeros,
/// NaN chunks and repeated-value chunks, in memory and in files of every kind.
#[test]
fn sparse_special_and_file_arrays() {
    let tmp = temp_dir!("nd-strided");
    let shape = [40u64, 36, 30];
    let opts = Options::new().chunks(&[10, 12, 10]).blocks(&[5, 4, 5]);
    let f4 = DType::parse("<f4").unwrap();
    let mut a = NdArray::zeros(&shape, &f4, &opts).unwrap();
    // A few stars in some chunks, one chunk of NaN, one repeated value, one dense chunk.
    for (i, p) in [[1u64, 2, 3], [17, 30, 29], [39, 35, 0], [22, 5, 14], [23, 5, 14]].iter().enumerate() {
        let r = Region::from_start_shape(p, &[1, 1, 1]).unwrap();
        a.write_box(&r, &(i as f32 + 1.5).to_le_bytes()).unwrap();
    }
    let nan = vec![f32::NAN; 10 * 12 * 10];
    let r = Region::from_start_shape(&[10, 0, 0], &[10, 12, 10]).unwrap();
    a.write_box(&r, &nan.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let r = Region::from_start_shape(&[30, 24, 20], &[10, 12, 10]).unwrap();
    let dense: Vec<u8> = (0..1200).flat_map(|i| (i as f32 - 600.0).to_le_bytes()).collect();
    a.write_box(&r, &dense).unwrap();
    let mut full = NdArray::full_value(&shape, 2.5f32, &opts).unwrap();
    full.write_box(&Region::from_start_shape(&[3, 4, 5], &[1, 1, 1]).unwrap(), &(-1f32).to_le_bytes()).unwrap();
    let nans = NdArray::nans(&shape, &f4, &opts).unwrap();
    let file = tmp.join("a.b2nd");
    a.save(&file).unwrap();
    let dir = tmp.join("a-sparse.b2nd");
    a.save_sparse(&dir).unwrap();
    let arrays = [
        a,
        full,
        nans,
        NdArray::open(&file).unwrap(),
        NdArray::open_mapped(&file).unwrap(),
        NdArray::open(&dir).unwrap(),
    ];
    let r = |a: u64, b: u64, k: u64| SliceItem::Range { start: Some(a as i64), stop: Some(b as i64), step: k as i64 };
    let selections = [
        vec![r(0, 40, 3), r(0, 36, 7), SliceItem::Index(14)],
        vec![SliceItem::Index(22), r(0, 36, 2), r(0, 30, 5)],
        vec![r(1, 40, 11), SliceItem::Index(5), r(3, 30, 4)],
        vec![r(0, 40, 40), r(0, 36, 36), r(0, 30, 30)],
        vec![r(5, 39, 6), r(2, 35, 5), r(1, 29, 9)],
        vec![r(0, 40, 1), r(0, 36, 1), SliceItem::Index(29)],
        vec![r(7, 7, 2), r(0, 36, 2), SliceItem::Index(3)],
    ];
    for a in &arrays {
        for items in &selections {
            check(a, items).unwrap();
        }
    }
}

/// 0-D arrays, other element sizes, and selections that do not fit the array.
#[test]
fn scalars_item_sizes_and_errors() {
    let s = NdArray::from_slice(&[], &[4.25f64], &Options::new()).unwrap();
    let sel = Selection::resolve(&[], &[]).unwrap();
    assert_eq!(s.read_strided(&sel).unwrap(), 4.25f64.to_le_bytes());
    let f64_value = |b: &[u8]| f64::from_le_bytes(b.try_into().unwrap());
    assert_eq!(s.read_reduced(&sel, Reduce::Mean, f64_value).unwrap(), [4.25]);
    for ts in [1usize, 2, 3, 8, 16, 24] {
        let dt = DType::parse(&format!("|V{ts}")).unwrap();
        let data: Vec<u8> = (0..17 * 19 * ts).map(|i| (i * 31 % 251) as u8).collect();
        let a = NdArray::from_bytes(&[17, 19], &dt, &data, &Options::new().chunks(&[6, 7]).blocks(&[4, 3])).unwrap();
        let items = [
            SliceItem::Range { start: Some(1), stop: Some(17), step: 3 },
            SliceItem::Range { start: None, stop: None, step: 4 },
        ];
        let sel = Selection::resolve(&items, a.shape()).unwrap();
        assert_eq!(a.read_strided(&sel).unwrap(), a.read_selection(&items).unwrap().0, "itemsize {ts}");
    }
    let a = NdArray::from_slice(&[10, 10], &[1u8; 100], &Options::new()).unwrap();
    let other = Selection::resolve(&[], &[20, 20]).unwrap();
    assert!(a.read_strided(&other).is_err());
    assert!(a.read_reduced(&other, Reduce::Max, |b| f64::from(b[0])).is_err());
    let flat = Selection::resolve(&[], &[100]).unwrap();
    assert!(a.read_strided(&flat).is_err());
    assert!(a.read_reduced(&flat, Reduce::Max, |b| f64::from(b[0])).is_err());
}

/// Plain super-chunks (no `b2nd` metalayer, a short last chunk) read as 1-D arrays.
#[test]
fn plain_super_chunks() {
    use blosc2_core::chunk::{CompressParams, SpecialKind};
    use blosc2_core::schunk::SChunk;
    let tmp = temp_dir!("nd-strided-plain");
    // 10,007 little-endian u32 items in chunks of 1000 (the last of 7), blocks of 256
    // items, mostly zeros; one special zero chunk in the middle.
    let items: Vec<u32> = (0..10_007u32).map(|i| if i % 97 == 0 || i > 9_990 { i * 3 + 1 } else { 0 }).collect();
    let bytes: Vec<u8> = items.iter().flat_map(|v| v.to_le_bytes()).collect();
    let p = CompressParams { typesize: 4, blocksize: 1024, ..CompressParams::default() };
    let mut s = SChunk::new(p.clone());
    s.append_data(&bytes[..4000 * 4], 4000).unwrap();
    s.append_special(SpecialKind::Zeros, 4000, &[]).unwrap();
    s.append_data(&bytes[5000 * 4..], 4000).unwrap();
    let mut want = bytes.clone();
    want[4000 * 4..5000 * 4].fill(0);
    let file = tmp.join("plain.b2frame");
    s.save(&file).unwrap();
    let dir = tmp.join("plain-sparse.b2frame");
    s.save_sparse(&dir).unwrap();
    let u32_value = |b: &[u8]| f64::from(u32::from_le_bytes(b.try_into().unwrap()));
    for a in [
        NdArray::open_plain(&file).unwrap(),
        NdArray::open_plain_mapped(&file).unwrap(),
        NdArray::open_plain(&dir).unwrap(),
    ] {
        assert!(a.is_plain());
        assert_eq!(
            (a.shape(), a.chunks(), a.blocks(), a.dtype().as_str()),
            (&[10_007][..], &[1000][..], &[256][..], "<u4")
        );
        for (start, stop, step) in
            [(0, 10_007, 1), (0, 10_007, 10), (3990, 5010, 7), (9_000, 10_007, 1), (10_006, 10_007, 3), (5, 6, 1)]
        {
            let item = [SliceItem::Range { start: Some(start), stop: Some(stop), step }];
            let sel = Selection::resolve(&item, a.shape()).unwrap();
            let got = a.read_strided(&sel).unwrap();
            let expect: Vec<u8> = (start..stop)
                .step_by(step as usize)
                .flat_map(|i| want[i as usize * 4..i as usize * 4 + 4].to_vec())
                .collect();
            assert_eq!(got, expect, "{start}:{stop}:{step}");
            for how in [Reduce::Max, Reduce::Mean, Reduce::Min] {
                let got = a.read_reduced(&sel, how, u32_value).unwrap();
                let model: Vec<f64> = (start..stop)
                    .step_by(step as usize)
                    .map(|i0| {
                        let vals =
                            (i0..(i0 + step).min(stop)).map(|i| u32_value(&want[i as usize * 4..i as usize * 4 + 4]));
                        match how {
                            Reduce::Max => vals.fold(f64::NEG_INFINITY, f64::max),
                            Reduce::Min => vals.fold(f64::INFINITY, f64::min),
                            _ => {
                                let v: Vec<f64> = vals.collect();
                                v.iter().sum::<f64>() / v.len() as f64
                            }
                        }
                    })
                    .collect();
                assert!(same(&got, &model), "{how:?} {start}:{stop}:{step}");
            }
        }
        assert_eq!(a.chunk_info(4).unwrap().special, Some(SpecialKind::Zeros));
    }
    // A b2nd array is not a plain super-chunk, and a plain one is not an array.
    let arr = tmp.join("arr.b2nd");
    NdArray::from_slice(&[10], &[1u8; 10], &Options::new()).unwrap().save(&arr).unwrap();
    assert!(NdArray::open_plain(&arr).is_err());
    assert!(NdArray::open(&file).is_err());
    assert!(!NdArray::open(&arr).unwrap().is_plain());
}
