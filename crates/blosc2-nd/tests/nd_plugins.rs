//! Arrays written with the plugin codecs and filters python-blosc2 registers (NDLZ, ZFP,
//! NDCELL, NDMEAN): python-blosc2 reads ours to the values we decode and, where C-Blosc2 is
//! deterministic, writes the same chunk bytes from the same data; NDMEAN's values follow an
//! independent model of cell means.

use std::ffi::OsStr;

use blosc2_core::chunk::{ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_nd::{DType, NdArray, Options, Region};
use blosc2_testkit::data::{random_bytes, sm64};
use blosc2_testkit::fs::testdata;
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use serde_json::json;

/// One array to write.
struct Case {
    name: &'static str,
    shape: Vec<u64>,
    chunks: Vec<u64>,
    blocks: Vec<u64>,
    dtype: &'static str,
    params: CompressParams,
    /// Whether python-blosc2 must write the same chunk bytes.
    same_bytes: bool,
}

/// A pipeline of `(filter, meta)` in slots 0, 1, ... as python-blosc2's `filters=[...]`.
fn pipeline(steps: &[(FilterId, u8)]) -> Pipeline {
    let mut p = Pipeline::default();
    for (k, &(f, m)) in steps.iter().enumerate() {
        p.filters[k] = f.0;
        p.meta[k] = m;
    }
    p
}

/// `p` with its blocks split into one stream per byte of the element.
fn split(p: CompressParams) -> CompressParams {
    CompressParams { splitmode: SplitMode::Always, ..p }
}

fn params(codec: CodecId, codec_meta: u8, steps: &[(FilterId, u8)]) -> CompressParams {
    CompressParams { codec, codec_meta, filters: pipeline(steps), ..CompressParams::default() }
}

#[allow(clippy::too_many_arguments)]
fn case(
    name: &'static str,
    shape: &[u64],
    chunks: &[u64],
    blocks: &[u64],
    dtype: &'static str,
    params: CompressParams,
    same_bytes: bool,
) -> Case {
    Case { name, shape: shape.to_vec(), chunks: chunks.to_vec(), blocks: blocks.to_vec(), dtype, params, same_bytes }
}

/// Smooth values with some noise, as little-endian elements of `dtype`.
fn values(n: usize, dtype: &str, seed: u64) -> Vec<u8> {
    let x = |i: usize| {
        let noise = (sm64(seed, i as u64) % 1000) as f64 / 1000.0;
        (i as f64 / 37.0).sin() * 100.0 + (i % 13) as f64 + noise
    };
    match dtype {
        "<f4" => (0..n).flat_map(|i| (x(i) as f32).to_le_bytes()).collect(),
        "<f8" => (0..n).flat_map(|i| x(i).to_le_bytes()).collect(),
        "|u1" => (0..n)
            .map(|i| {
                let r = sm64(seed, i as u64);
                let v = ((i % 24) / 6 * 40 + (i / 1000) % 3) as u8;
                if r.is_multiple_of(16) {
                    v ^ (r >> 8) as u8
                } else {
                    v
                }
            })
            .collect(),
        "<i2" => (0..n).flat_map(|i| (x(i) as i16).to_le_bytes()).collect(),
        "<i8" => (0..n).flat_map(|i| (x(i) as i64 * 1000).to_le_bytes()).collect(),
        _ => unreachable!("{dtype}"),
    }
}

fn cases() -> Vec<Case> {
    use FilterId as F;
    let blosclz = CodecId::BLOSCLZ;
    vec![
        // NDCELL: lossless, any typesize and ndim 1..=8, alone or before a shuffle.
        case("ndcell-u1-2d", &[100, 130], &[60, 70], &[30, 40], "|u1", params(blosclz, 0, &[(F::NDCELL, 4)]), true),
        case(
            "ndcell-f4-3d",
            &[20, 30, 25],
            &[12, 16, 20],
            &[5, 7, 9],
            "<f4",
            params(blosclz, 0, &[(F::NDCELL, 3), (F::SHUFFLE, 0)]),
            true,
        ),
        case("ndcell-i8-1d", &[5000], &[1500], &[400], "<i8", params(blosclz, 0, &[(F::NDCELL, 7)]), true),
        case(
            "ndcell-i2-zstd",
            &[64, 64],
            &[40, 40],
            &[16, 24],
            "<i2",
            params(CodecId::ZSTD, 0, &[(F::NDCELL, 8)]),
            true,
        ),
        // NDMEAN: float32 / float64, edge cells cut short, cells wider than a block.
        case("ndmean-f4-2d", &[100, 130], &[60, 70], &[30, 40], "<f4", params(blosclz, 0, &[(F::NDMEAN, 4)]), true),
        case(
            "ndmean-f8-3d",
            &[20, 30, 25],
            &[12, 16, 20],
            &[5, 7, 9],
            "<f8",
            params(blosclz, 0, &[(F::NDMEAN, 3), (F::SHUFFLE, 0)]),
            true,
        ),
        case("ndmean-f4-1d", &[3001], &[1000], &[128], "<f4", params(blosclz, 0, &[(F::NDMEAN, 5)]), true),
        case(
            "ndmean-f4-wide",
            &[50, 40],
            &[30, 20],
            &[3, 4],
            "<f4",
            split(params(blosclz, 0, &[(F::NDMEAN, 5), (F::SHUFFLE, 0)])),
            true,
        ),
        case(
            "ndmean-f8-zstd",
            &[64, 64],
            &[40, 40],
            &[16, 24],
            "<f8",
            params(CodecId::ZSTD, 0, &[(F::NDMEAN, 6)]),
            true,
        ),
        // NDLZ: 2-d, 1-byte elements or split streams; edge blocks not multiples of a cell.
        case("ndlz4-u1", &[100, 130], &[60, 70], &[30, 40], "|u1", params(CodecId::NDLZ, 4, &[]), true),
        case("ndlz8-u1", &[200, 300], &[128, 128], &[64, 72], "|u1", params(CodecId::NDLZ, 8, &[]), true),
        case("ndlz4-u1-edges", &[97, 101], &[50, 60], &[22, 30], "|u1", params(CodecId::NDLZ, 4, &[]), true),
        case("ndlz8-u1-edges", &[97, 101], &[50, 60], &[22, 30], "|u1", params(CodecId::NDLZ, 8, &[]), true),
        case(
            "ndlz4-f4-split",
            &[120, 90],
            &[64, 64],
            &[32, 32],
            "<f4",
            split(params(CodecId::NDLZ, 4, &[(F::SHUFFLE, 0)])),
            true,
        ),
        case(
            "ndlz8-i2-split",
            &[120, 90],
            &[64, 64],
            &[32, 40],
            "<i2",
            split(params(CodecId::NDLZ, 8, &[(F::SHUFFLE, 0)])),
            true,
        ),
        case(
            "ndlz4-ndcell",
            &[100, 130],
            &[60, 70],
            &[30, 40],
            "|u1",
            params(CodecId::NDLZ, 4, &[(F::NDCELL, 4)]),
            true,
        ),
        // ZFP (lossy): float32 / float64, 1-d to 4-d, blocks that divide neither the chunks
        // nor 4; the meta is log2 of the tolerance, the precision or the rate (percent).
        case(
            "zfp-acc-f4-3d",
            &[40, 36, 30],
            &[24, 20, 16],
            &[8, 10, 12],
            "<f4",
            params(CodecId::ZFP_ACC, -10i8 as u8, &[]),
            true,
        ),
        case("zfp-prec-f8-2d", &[100, 130], &[60, 70], &[30, 40], "<f8", params(CodecId::ZFP_PREC, 20, &[]), true),
        case(
            "zfp-rate-f4-4d",
            &[12, 10, 9, 8],
            &[8, 8, 6, 8],
            &[4, 5, 6, 4],
            "<f4",
            params(CodecId::ZFP_RATE, 50, &[]),
            true,
        ),
        case("zfp-prec-f4-1d", &[5000], &[1500], &[400], "<f4", params(CodecId::ZFP_PREC, 12, &[]), true),
        case("zfp-acc-f8-1d", &[3001], &[1000], &[128], "<f8", params(CodecId::ZFP_ACC, 0, &[]), true),
    ]
}

fn npy(path: &std::path::Path, dtype: &DType, shape: &[u64], bytes: &[u8]) {
    let mut out = blosc2_nd::npy::header_bytes(dtype, shape).unwrap();
    out.extend_from_slice(bytes);
    std::fs::write(path, out).unwrap();
}

/// NDMEAN's values by a direct model: every element is the mean, accumulated in the element
/// type in C order, of the elements of its cell within its (zero-padded) chunk's block.
fn ndmean_model(c: &Case, orig: &[u8], side: usize) -> Vec<u8> {
    let (shape, ch, bs) = (&c.shape, &c.chunks, &c.blocks);
    let n = shape.len();
    let ts = if c.dtype == "<f4" { 4 } else { 8 };
    let total: u64 = shape.iter().product();
    // Element `g` of the chunk starting at `co`: padding (0) past the chunk or the array.
    let value = |g: &[u64], co: &[u64]| -> f64 {
        if (0..n).any(|d| g[d] >= shape[d] || g[d] - co[d] >= ch[d]) {
            return 0.0;
        }
        let i = (0..n).fold(0u64, |acc, d| acc * shape[d] + g[d]) as usize * ts;
        if ts == 4 {
            f64::from(f32::from_le_bytes(orig[i..i + 4].try_into().unwrap()))
        } else {
            f64::from_le_bytes(orig[i..i + 8].try_into().unwrap())
        }
    };
    let mut out = Vec::with_capacity(orig.len());
    for k in 0..total {
        let mut g = vec![0u64; n];
        let mut rem = k;
        for d in (0..n).rev() {
            g[d] = rem % shape[d];
            rem /= shape[d];
        }
        // The cell's first element and extent, in global coordinates.
        let (mut lo, mut ext, mut co) = (vec![0u64; n], vec![0u64; n], vec![0u64; n]);
        for d in 0..n {
            let q = g[d] % ch[d];
            co[d] = g[d] - q;
            let (bo, r) = (q / bs[d] * bs[d], q % bs[d]);
            let cs = (side as u64).min(bs[d]);
            let cell0 = r / cs * cs;
            lo[d] = co[d] + bo + cell0;
            ext[d] = cs.min(bs[d] - cell0);
        }
        let count: u64 = ext.iter().product();
        let (mut s32, mut s64) = (0f32, 0f64);
        for m in 0..count {
            let mut at = lo.clone();
            let mut rem = m;
            for d in (0..n).rev() {
                at[d] += rem % ext[d];
                rem /= ext[d];
            }
            s32 += value(&at, &co) as f32;
            s64 += value(&at, &co);
        }
        if ts == 4 {
            out.extend_from_slice(&(s32 / count as f32).to_le_bytes());
        } else {
            out.extend_from_slice(&(s64 / count as f64).to_le_bytes());
        }
    }
    out
}

#[test]
fn python_reads_our_plugin_arrays_and_writes_the_same_chunks() {
    let tmp = temp_dir!("nd-plugins-ours");
    let dir = &tmp.0;
    let mut listed = Vec::new();
    for (k, c) in cases().iter().enumerate() {
        let dtype = DType::parse(c.dtype).unwrap();
        let n: u64 = c.shape.iter().product();
        let orig = values(n as usize, c.dtype, k as u64);
        let opts = Options::new().chunks(&c.chunks).blocks(&c.blocks).cparams(c.params.clone());
        let a = NdArray::from_bytes(&c.shape, &dtype, &orig, &opts).unwrap();
        let decoded = a.to_bytes().unwrap();
        let mut stored = 0;
        for info in a.chunk_infos() {
            let info = info.unwrap();
            stored += usize::from(info.special.is_none() && info.cbytes < info.nbytes);
        }
        assert!(stored > 0, "{}: no chunk went through the filters", c.name);
        let ratio = a.schunk().nbytes() as f64 / a.schunk().cbytes() as f64;
        assert!(ratio > 1.1, "{}: ratio {ratio:.2}", c.name);
        match c.params.filters.filters.iter().find(|&&f| f == FilterId::NDMEAN.0) {
            Some(_) => {
                // The model is that of chunks that went through the filter.
                for i in 0..a.nchunks() {
                    let h = ChunkHeader::parse(&a.schunk().chunk(i).unwrap()).unwrap();
                    assert!(!h.is_memcpyed() && h.special().is_none(), "{} chunk {i}", c.name);
                }
                let side = usize::from(c.params.filters.meta[0]);
                let model = ndmean_model(c, &orig, side);
                let first = decoded.iter().zip(&model).position(|(a, b)| a != b);
                assert!(first.is_none(), "{}: differs from the model at byte {first:?}", c.name);
                assert_ne!(decoded, orig, "{}: NDMEAN changed nothing", c.name);
            }
            // ZFP is lossy: its values are checked against python-blosc2's below.
            None if matches!(c.params.codec, CodecId::ZFP_ACC | CodecId::ZFP_PREC | CodecId::ZFP_RATE) => {
                assert_eq!(decoded.len(), orig.len(), "{}", c.name);
            }
            None => assert_eq!(decoded, orig, "{}", c.name),
        }
        // Read back from the file, through the geometry of the b2nd metalayer.
        let file = format!("{}.b2nd", c.name);
        a.save(dir.join(&file)).unwrap();
        assert_eq!(NdArray::open(dir.join(&file)).unwrap().to_bytes().unwrap(), decoded, "{}", c.name);
        // Written straight to a file: the same bytes.
        let direct = dir.join(format!("{}-direct.b2nd", c.name));
        NdArray::from_bytes_at(&direct, &c.shape, &dtype, &orig, &opts).unwrap();
        assert!(std::fs::read(&direct).unwrap() == std::fs::read(dir.join(&file)).unwrap(), "{}", c.name);
        let box_lo: Vec<u64> = c.shape.iter().map(|&s| s / 3).collect();
        let box_hi: Vec<u64> = c.shape.iter().map(|&s| s / 3 + s / 2).collect();
        let part = NdArray::open(dir.join(&file))
            .unwrap()
            .read_box(&Region::from_start_stop(&box_lo, &box_hi).unwrap())
            .unwrap();
        assert_eq!(part, a.read_box(&Region::from_start_stop(&box_lo, &box_hi).unwrap()).unwrap(), "{}", c.name);
        npy(&dir.join(format!("{}.npy", c.name)), &dtype, &c.shape, &decoded);
        npy(&dir.join(format!("{}-orig.npy", c.name)), &dtype, &c.shape, &orig);
        let p = &c.params;
        listed.push(json!({
            "file": file, "npy": format!("{}.npy", c.name), "orig": format!("{}-orig.npy", c.name),
            "chunks": c.chunks, "blocks": c.blocks, "same_bytes": c.same_bytes,
            "cparams": {"codec": p.codec.0, "codec_meta": p.codec_meta, "clevel": p.clevel,
                "filters": p.filters.filters, "filters_meta": p.filters.meta, "splitmode": p.splitmode.code()},
        }));
    }
    // Sparse frames (a directory of chunk files) too.
    for name in ["ndlz8-u1", "ndmean-f4-2d", "ndcell-f4-3d"] {
        let mut item = listed.iter().find(|it| it["file"] == format!("{name}.b2nd")).unwrap().clone();
        let a = NdArray::open(dir.join(format!("{name}.b2nd"))).unwrap();
        a.save_sparse(dir.join(format!("{name}-sparse.b2nd"))).unwrap();
        item["file"] = json!(format!("{name}-sparse.b2nd"));
        listed.push(item);
    }
    std::fs::write(dir.join("ours.json"), serde_json::to_vec(&listed).unwrap()).unwrap();
    run_python(python_script!("nd_plugins.py"), &[OsStr::new("check"), dir.as_os_str()]);
}

/// Where C-Blosc2 fails to compress, so do we, with a typed error naming the filter.
#[test]
fn refused_where_c_refuses() {
    use FilterId as F;
    let f = |dtype: &str, shape: &[u64], blocks: &[u64], steps: &[(FilterId, u8)]| {
        let dtype = DType::parse(dtype).unwrap();
        let n: u64 = shape.iter().product();
        let opts = Options::new().chunks(shape).blocks(blocks).cparams(params(CodecId::BLOSCLZ, 0, steps));
        NdArray::from_bytes(shape, &dtype, &random_bytes(n as usize * dtype.itemsize(), 1), &opts)
    };
    let filter_error = |r: blosc2_nd::Result<NdArray>| match r {
        Err(blosc2_nd::Error::Core(blosc2_core::Error::InvalidFilterParams { filter, .. })) => filter,
        other => panic!("{other:?}"),
    };
    // NDMEAN on 2-byte elements; a meta above 127; cells larger than the block (NDCELL).
    assert_eq!(filter_error(f("<i2", &[64, 64], &[16, 16], &[(F::NDMEAN, 4)])), 33);
    assert_eq!(filter_error(f("<f4", &[64, 64], &[16, 16], &[(F::NDMEAN, 200)])), 33);
    assert_eq!(filter_error(f("<f4", &[64, 64], &[3, 5], &[(F::NDCELL, 4)])), 32);
    assert_eq!(filter_error(f("<f4", &[64, 64], &[16, 16], &[(F::NDCELL, 0)])), 32);
    // NDMEAN whose first block dimension is narrower than the cell but another wider.
    assert_eq!(filter_error(f("<f4", &[64, 64], &[2, 16], &[(F::NDMEAN, 4)])), 33);
    // NDLZ: not 2-d, wider elements without split streams, a cell side other than 4 or 8.
    let g = |dtype: &str, shape: &[u64], blocks: &[u64], p: CompressParams| {
        let dtype = DType::parse(dtype).unwrap();
        let n: u64 = shape.iter().product();
        let opts = Options::new().chunks(shape).blocks(blocks).cparams(p);
        match NdArray::from_bytes(shape, &dtype, &random_bytes(n as usize * dtype.itemsize(), 2), &opts) {
            Err(blosc2_nd::Error::Core(blosc2_core::Error::InvalidCodecParams { codec, meta, .. })) => (codec, meta),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(g("|u1", &[16, 16, 16], &[8, 8, 8], params(CodecId::NDLZ, 4, &[])), (32, 4));
    assert_eq!(g("<f4", &[64, 64], &[32, 32], params(CodecId::NDLZ, 4, &[(F::SHUFFLE, 0)])), (32, 4));
    assert_eq!(g("|u1", &[64, 64], &[32, 32], params(CodecId::NDLZ, 6, &[])), (32, 6));
    // 9 dimensions.
    let s9 = [2u64, 2, 2, 2, 2, 2, 2, 2, 4];
    assert_eq!(filter_error(f("<f8", &s9, &s9, &[(F::NDCELL, 2)])), 32);
}

fn fixtures() -> Vec<serde_json::Value> {
    let p = testdata("plugins/manifest.json");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
    m["files"].as_array().unwrap().clone()
}

fn u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect()
}

/// The elements of box `start..stop` of a C-order array of `shape`, naively.
fn naive_box(full: &[u8], shape: &[u64], start: &[u64], stop: &[u64], ts: usize) -> Vec<u8> {
    let n = shape.len();
    let ext: Vec<u64> = (0..n).map(|d| stop[d] - start[d]).collect();
    let mut out = Vec::new();
    for k in 0..ext.iter().product::<u64>() {
        let (mut rem, mut off) = (k, 0u64);
        let mut idx = vec![0u64; n];
        for d in (0..n).rev() {
            idx[d] = start[d] + rem % ext[d];
            rem /= ext[d];
        }
        for d in 0..n {
            off = off * shape[d] + idx[d];
        }
        out.extend_from_slice(&full[off as usize * ts..(off as usize + 1) * ts]);
    }
    out
}

/// python-blosc2's plugin arrays (`testdata/plugins`, contiguous and sparse frames) read to
/// python's values, whole and by boxes, from files, mapped and loaded; the lossless ones,
/// rebuilt by us from those values with the same parameters, have the same chunk bytes.
#[test]
fn python_plugin_arrays_read_to_python_values() {
    let dir = testdata("plugins");
    let mut checked = 0;
    for f in fixtures().iter().filter(|f| f["kind"].as_str().unwrap().starts_with("b2nd")) {
        let path = f["path"].as_str().unwrap();
        let (h, want) = blosc2_nd::npy::read(&std::fs::read(dir.join(f["npy"].as_str().unwrap())).unwrap()).unwrap();
        let a = NdArray::open(dir.join(path)).unwrap();
        assert_eq!(
            (a.shape(), a.chunks(), a.blocks()),
            (&h.shape[..], &u64s(&f["chunks"])[..], &u64s(&f["blocks"])[..])
        );
        assert_eq!(a.to_bytes().unwrap(), want, "{path}");
        assert_eq!(NdArray::load(dir.join(path)).unwrap().to_bytes().unwrap(), want, "{path} loaded");
        #[cfg(feature = "mmap")]
        assert_eq!(NdArray::open_mapped(dir.join(path)).unwrap().to_bytes().unwrap(), want, "{path} mapped");
        let ts = a.dtype().itemsize();
        for k in 0..12u64 {
            let (mut lo, mut hi) = (Vec::new(), Vec::new());
            for (d, &s) in a.shape().iter().enumerate() {
                let (r1, r2) = (sm64(k, 2 * d as u64) % (s + 1), sm64(k, 2 * d as u64 + 1) % (s + 1));
                lo.push(r1.min(r2));
                hi.push(r1.max(r2));
            }
            assert_eq!(
                a.read_box(&Region::from_start_stop(&lo, &hi).unwrap()).unwrap(),
                naive_box(&want, a.shape(), &lo, &hi, ts),
                "{path} box {k}"
            );
        }
        if f["lossless"].as_bool().unwrap() {
            let mut p = a.schunk().cparams().clone();
            p.nthreads = 1;
            let opts = Options::new().chunks(a.chunks()).blocks(a.blocks()).cparams(p);
            let ours = NdArray::from_bytes(a.shape(), a.dtype(), &want, &opts).unwrap();
            for i in 0..a.nchunks() {
                assert!(ours.schunk().chunk(i).unwrap() == a.schunk().chunk(i).unwrap(), "{path} chunk {i}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 15);
}

/// Automatic chunk and block shapes with the plugins equal python-blosc2's (which starts
/// from C-Blosc2's block size for 8 MiB with those parameters instead of 32 KiB).
#[test]
fn automatic_shapes_with_plugins_match_python() {
    use blosc2_nd::auto::{chunks_blocks_for, CacheSizes};
    use FilterId as F;
    let tmp = temp_dir!("nd-plugins-auto");
    let dir = &tmp.0;
    let cases: Vec<(Vec<u64>, &str, CompressParams)> = vec![
        (vec![1000, 1000], "|u1", params(CodecId::NDLZ, 4, &[])),
        (vec![3000, 2000], "|u1", params(CodecId::NDLZ, 8, &[(F::SHUFFLE, 0)])),
        (vec![1000, 1000], "<f4", split(params(CodecId::NDLZ, 4, &[(F::SHUFFLE, 0)]))),
        (vec![1000, 1000], "<f4", params(CodecId::ZSTD, 0, &[(F::NDMEAN, 4)])),
        (vec![200, 300, 400], "<f8", params(CodecId::ZSTD, 0, &[(F::NDCELL, 4)])),
        (
            vec![5000, 700],
            "<f4",
            CompressParams { clevel: 9, ..params(CodecId::LZ4, 0, &[(F::NDCELL, 4), (F::SHUFFLE, 0)]) },
        ),
        (
            vec![100_000],
            "<f8",
            CompressParams { clevel: 1, ..params(CodecId::BLOSCLZ, 0, &[(F::NDMEAN, 3), (F::BITSHUFFLE, 0)]) },
        ),
        (vec![1000, 1000], "<f8", params(CodecId::ZSTD, 0, &[(F::SHUFFLE, 0)])),
        // Where the hint exceeds python's minimum block size (L2 / 4 on x86-64 with L2 under
        // 2 MiB): shapes that differ from the 32 KiB start.
        (vec![2000, 3000], "<f4", CompressParams { clevel: 9, ..params(CodecId::ZSTD, 0, &[(F::NDMEAN, 4)]) }),
        (vec![4000, 1500], "<f4", CompressParams { clevel: 9, ..split(params(CodecId::NDLZ, 8, &[(F::SHUFFLE, 0)])) }),
    ];
    let input: Vec<serde_json::Value> = cases
        .iter()
        .map(|(s, d, p)| {
            json!([s, d, {"codec": p.codec.0, "codec_meta": p.codec_meta, "clevel": p.clevel,
                "filters": p.filters.filters, "filters_meta": p.filters.meta, "splitmode": p.splitmode.code()}])
        })
        .collect();
    std::fs::write(dir.join("auto_in.json"), serde_json::to_vec(&input).unwrap()).unwrap();
    run_python(python_script!("nd_plugins.py"), &[OsStr::new("auto"), dir.as_os_str()]);
    let out: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("auto_out.json")).unwrap()).unwrap();
    let caches = CacheSizes::detect();
    for ((shape, dt, p), want) in cases.iter().zip(out.as_array().unwrap()) {
        let itemsize = DType::parse(dt).unwrap().itemsize();
        let (c, b) = chunks_blocks_for(shape, None, None, itemsize, &caches, p).unwrap();
        assert_eq!((c, b), (u64s(&want[0]), u64s(&want[1])), "{shape:?} {dt} {:?}", p.codec);
    }
}
