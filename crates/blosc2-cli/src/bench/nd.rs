//! The `nd-read` and `nd-lazy` workloads (WORKLOADS.md section 4) through `blosc2_nd`, with
//! the timed operations, repetition rules and record fields of `anchor.py`'s `wl_nd_read`
//! and `wl_nd_lazy` (plus `"impl"`).
//!
//! Parallelism: `blosc2_nd` decodes and encodes chunks in parallel on the rayon pool it
//! runs in, one thread per chunk; both workloads run inside a pool of `max(--nthreads)`
//! threads (the Blosc2 thread count of the reference side).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use blosc2_core::chunk::{CompressParams, SpecialKind};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::FilterId;
use blosc2_nd::{DType, NdArray, Options, Region};
use serde_json::{json, Map, Value};

use super::codecs::params_for;
use super::datasets::{self, nd_positions, NdPositions};
use super::record::{process_cpu_s, summarize, time_adaptive, timestamp, Adaptive, Sink, Summary};
use super::{BenchArgs, IMPL};

/// Shape of the `nd-read` array.
pub const ND_SHAPE: [u64; 3] = [640, 640, 640];
/// Chunk and block shapes python-blosc2 4.14.1 chooses for [`ND_SHAPE`] float32 on the
/// machine of WORKLOADS.md (backend `b2nd-default-wl`). The shapes depend on the CPU cache
/// sizes: on a machine with 512 KiB L2 and 16 MiB L3 python-blosc2 chooses (2, 640, 640) /
/// (1, 40, 640), so `b2nd-default` uses `blosc2_nd`'s automatic shapes, which follow the
/// same rule on the same machine (the records carry both sides' shapes).
pub const WL_DEFAULT_SHAPES: ([u64; 3], [u64; 3]) = ([5, 640, 640], [1, 80, 640]);
/// Chunk and block shapes of `b2nd-explicit` and `b2nd-mem`.
pub const EXPLICIT_SHAPES: ([u64; 3], [u64; 3]) = ([100, 100, 100], [20, 20, 20]);
/// `nd-read` create: 3 runs below 0.5 s, 2 below 8 s (from 2 s the warm-up counts), else 1.
const CREATE: Adaptive = Adaptive { fast: 0.5, slow: 2.0, vslow: 8.0, nfast: 3, nmid: 2, nslow: 2 };

/// Runs `f` in a rayon pool of `nthreads` threads (the pool `blosc2_nd` parallelises on).
fn in_pool<R: Send>(nthreads: usize, f: impl FnOnce() -> Result<R> + Send) -> Result<R> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(nthreads).build().context("rayon thread pool")?;
    pool.install(f)
}

/// Wall time of one call of `f`, and its result.
fn timed<R>(f: impl FnOnce() -> Result<R>) -> Result<(f64, R)> {
    let t0 = Instant::now();
    let r = f()?;
    Ok((t0.elapsed().as_secs_f64(), r))
}

/// A summary as a JSON value.
fn sv(s: &Summary) -> Value {
    serde_json::to_value(s).expect("summaries serialise")
}

/// A fresh temporary directory under `--workdir` (default: the system temporary directory).
fn temp_dir(args: &BenchArgs) -> Result<PathBuf> {
    let base = args.workdir.clone().unwrap_or_else(std::env::temp_dir);
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let dir = base.join(format!("b2rs-bench-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// Removes the temporary directory unless `--keep`.
fn cleanup(args: &BenchArgs, dir: &Path) {
    if !args.keep {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Removes a file or directory if present.
fn remove_path(p: &Path) {
    if p.is_dir() {
        let _ = std::fs::remove_dir_all(p);
    } else {
        let _ = std::fs::remove_file(p);
    }
}

/// A comma list of positive integers (`--nd-shape`, `--lazy-shape`, `--lazy-chunks`).
fn parse_dims(opt: &str, s: &str) -> Result<Vec<u64>> {
    s.split(',')
        .map(|x| match x.trim().parse::<u64>() {
            Ok(v) if v > 0 => Ok(v),
            _ => bail!("{opt}: '{x}' is not a positive number"),
        })
        .collect()
}

/// The `nd-read` compression: zstd clevel 5, byte shuffle, typesize 4.
fn nd_cparams(nthreads: usize) -> CompressParams {
    params_for(CodecId::ZSTD, FilterId::SHUFFLE, 5, 4, nthreads)
}

/// Start and stop of the plane `k` of axis `ax`.
fn plane_box(shape: &[u64; 3], ax: usize, k: u64) -> ([u64; 3], [u64; 3]) {
    let (mut start, mut stop) = ([0; 3], *shape);
    start[ax] = k;
    stop[ax] = k + 1;
    (start, stop)
}

/// The `nd-read` positions of a shape, as arrays.
fn positions(shape: &[u64; 3]) -> NdPositions {
    nd_positions(*shape, 5, 100, 100)
}

/// The bytes of plane `k` of axis `ax` of a C-order float32 array (for the spot check).
fn plane_of(data: &[u8], shape: &[u64; 3], ax: usize, k: u64) -> Vec<u8> {
    let (start, stop) = plane_box(shape, ax, k);
    let [n0, n1, n2] = shape.map(|x| x as usize);
    let mut out = Vec::with_capacity(data.len() / shape[ax] as usize);
    for i in start[0] as usize..stop[0] as usize {
        for j in start[1] as usize..stop[1] as usize {
            let row = ((i * n1 + j) * n2) * 4;
            out.extend_from_slice(&data[row + start[2] as usize * 4..row + stop[2] as usize * 4]);
        }
    }
    debug_assert_eq!(out.len(), n0 * n1 * n2 * 4 / shape[ax] as usize);
    out
}

/// Times a read of every box in `boxes` once (one run each); the summary also carries the
/// process CPU time of each read (not in `anchor.py`'s records; CPU / wall shows how many
/// cores a read kept busy).
fn time_boxes(a: &NdArray, boxes: &[([u64; 3], [u64; 3])], nbytes: Option<usize>) -> Result<Summary> {
    let (mut times, mut cpu) = (Vec::with_capacity(boxes.len()), Vec::with_capacity(boxes.len()));
    for (start, stop) in boxes {
        let c0 = process_cpu_s();
        let (t, out) = timed(|| Ok(a.read_box(&Region::from_start_stop(start, stop)?)?))?;
        cpu.push(process_cpu_s() - c0);
        times.push(t);
        drop(out);
    }
    Ok(summarize(&times, nbytes, &cpu))
}

/// A grow + shrink pair taking longer than this is not repeated (`runs` = 1 in the record).
const RESIZE_ONCE_S: f64 = 20.0;

/// Grows axis 0 of `a` by one chunk and shrinks it back, 3 times (once when the first pair
/// takes [`RESIZE_ONCE_S`] or more): (grow, shrink, grown shape).
fn time_resize(a: &mut NdArray, shape: &[u64]) -> Result<(Summary, Summary, Vec<u64>)> {
    let mut big = shape.to_vec();
    big[0] += a.chunks()[0];
    let (mut grow, mut shrink) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        grow.push(timed(|| Ok(a.resize(&big)?))?.0);
        shrink.push(timed(|| Ok(a.resize(shape)?))?.0);
        eprintln!("  resize grow {:.3} s, shrink {:.3} s", grow[grow.len() - 1], shrink[shrink.len() - 1]);
        if grow[0] + shrink[0] >= RESIZE_ONCE_S {
            break;
        }
    }
    Ok((summarize(&grow, None, &[]), summarize(&shrink, None, &[]), big))
}

/// One `nd-read` backend: the record of `anchor.py`'s `wl_nd_read`.
fn nd_read_backend(
    args: &BenchArgs,
    be: &str,
    data: &[u8],
    shape: &[u64; 3],
    pos: &NdPositions,
    workdir: &Path,
    nt: usize,
) -> Result<Map<String, Value>> {
    let shapes = match be {
        "b2nd-default" => None,
        "b2nd-default-wl" => Some(WL_DEFAULT_SHAPES),
        "b2nd-explicit" | "b2nd-mem" => Some(EXPLICIT_SHAPES),
        other => {
            bail!("unknown backend '{other}' (expected b2nd-default, b2nd-default-wl, b2nd-explicit or b2nd-mem)")
        }
    };
    let in_memory = be == "b2nd-mem";
    let path = workdir.join(format!("{be}.b2nd"));
    let dtype = DType::parse("<f4")?;
    let mut opts = Options::new().cparams(nd_cparams(nt));
    if let Some((chunks, blocks)) = shapes {
        opts = opts.chunks(&chunks).blocks(&blocks);
    }
    let mut rec = Map::new();
    for (k, v) in [
        ("workload", json!("nd-read")),
        ("impl", json!(IMPL)),
        ("backend", json!(be)),
        ("shape", json!(shape)),
        ("dtype", json!("float32")),
        ("nbytes", json!(data.len())),
        ("nthreads", json!(nt)),
        ("codec", json!("zstd")),
        ("clevel", json!(5)),
        ("filter", json!("shuffle")),
        ("typesize", json!(4)),
        ("mmap", json!(args.mmap && !in_memory)),
    ] {
        rec.insert(k.into(), v);
    }
    let create = || -> Result<NdArray> {
        if in_memory {
            return Ok(NdArray::from_bytes(shape, &dtype, data, &opts)?);
        }
        remove_path(&path);
        Ok(NdArray::from_bytes_at(&path, shape, &dtype, data, &opts)?)
    };
    let (ctimes, ccpu, arr) = time_adaptive(CREATE, create)?;
    rec.insert("chunks".into(), json!(arr.chunks()));
    rec.insert("blocks".into(), json!(arr.blocks()));
    let cbytes = arr.schunk().cbytes();
    rec.insert("cbytes".into(), json!(cbytes));
    let mut arr = if in_memory {
        arr
    } else {
        drop(arr);
        let (t, a) = timed(|| Ok(if args.mmap { NdArray::open_mapped(&path)? } else { NdArray::open(&path)? }))?;
        rec.insert("open_s".into(), json!(t));
        rec.insert("disk_bytes".into(), json!(std::fs::metadata(&path)?.len()));
        a
    };
    rec.insert("create".into(), sv(&summarize(&ctimes, Some(data.len()), &ccpu)));
    rec.insert("cratio".into(), json!(data.len() as f64 / cbytes as f64));
    // Correctness spot check (outside the timings).
    let k = pos.planes[0][0];
    let (start, stop) = plane_box(shape, 0, k);
    let plane = Region::from_start_stop(&start, &stop)?;
    ensure!(arr.read_box(&plane)? == plane_of(data, shape, 0, k), "{be}: plane 0 differs from the data");
    // (i) planes
    for ax in 0..3 {
        let boxes: Vec<_> = pos.planes[ax].iter().map(|&k| plane_box(shape, ax, k)).collect();
        let s = time_boxes(&arr, &boxes, Some(data.len() / shape[ax] as usize))?;
        rec.insert(format!("plane_axis{ax}"), sv(&s));
    }
    // (ii) 10^3 cubes, (iii) elements
    let cubes: Vec<_> = pos.cubes.iter().map(|c| ([c[0], c[1], c[2]], [c[0] + 10, c[1] + 10, c[2] + 10])).collect();
    rec.insert("cube10".into(), sv(&time_boxes(&arr, &cubes, None)?));
    let elems: Vec<_> = pos.elems.iter().map(|e| ([e[0], e[1], e[2]], [e[0] + 1, e[1] + 1, e[2] + 1])).collect();
    rec.insert("element".into(), sv(&time_boxes(&arr, &elems, None)?));
    // (iv) the whole array
    let full: Vec<_> = (0..args.runs.unwrap_or(3)).map(|_| ([0; 3], *shape)).collect();
    rec.insert("full".into(), sv(&time_boxes(&arr, &full, Some(data.len()))?));
    if !args.no_resize {
        if !in_memory {
            drop(arr);
            arr = NdArray::open_mut(&path)?;
        }
        let (grow, shrink, big) = time_resize(&mut arr, shape)?;
        rec.insert("resize_grow".into(), sv(&grow));
        rec.insert("resize_shrink".into(), sv(&shrink));
        rec.insert("resize_to".into(), json!(big));
    }
    drop(arr);
    if !args.keep {
        remove_path(&path);
    }
    rec.insert("ts".into(), json!(timestamp()));
    Ok(rec)
}

/// The `nd-read` workload.
///
/// # Errors
/// Bad options, array errors, a spot check that fails, sink errors.
pub fn run_read(args: &BenchArgs, sink: &mut Sink) -> Result<()> {
    let shape: [u64; 3] = match &args.nd_shape {
        Some(s) => parse_dims("--nd-shape", s)?.try_into().map_err(|_| anyhow::anyhow!("--nd-shape: 3 values"))?,
        None => ND_SHAPE,
    };
    let backends: Vec<String> = match &args.backend {
        Some(b) => b.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        None => vec!["b2nd-default".into(), "b2nd-explicit".into()],
    };
    let nt = args.nthreads_list()?.into_iter().max().unwrap_or(1);
    let n = shape.iter().product::<u64>() as usize;
    let t0 = Instant::now();
    let data = datasets::smooth_noise_f32(n, datasets::SEED_SMOOTH);
    eprintln!("generated {} B in {:.1} s", data.len(), t0.elapsed().as_secs_f64());
    let pos = positions(&shape);
    let workdir = temp_dir(args)?;
    let res = in_pool(nt, || {
        for be in &backends {
            let rec = nd_read_backend(args, be, &data, &shape, &pos, &workdir, nt)?;
            let ms = |k: &str| rec[k]["median_s"].as_f64().unwrap_or(f64::NAN);
            eprintln!(
                "[{be}] create {:.2}s ratio {:.2} planes [{:.2}, {:.2}, {:.2}] ms cube10 {:.0} us elem {:.0} us full {:.2}s",
                ms("create"),
                rec["cratio"].as_f64().unwrap_or(f64::NAN),
                ms("plane_axis0") * 1e3,
                ms("plane_axis1") * 1e3,
                ms("plane_axis2") * 1e3,
                ms("cube10") * 1e6,
                ms("element") * 1e6,
                ms("full"),
            );
            sink.emit(&rec)?;
        }
        Ok(())
    });
    cleanup(args, &workdir);
    res
}

/// python-blosc2's `str(SpecialValue)` for a chunk's special kind.
fn special_name(s: Option<SpecialKind>) -> &'static str {
    match s {
        None => "SpecialValue.NOT_SPECIAL",
        Some(SpecialKind::Zeros) => "SpecialValue.ZERO",
        Some(SpecialKind::Nan) => "SpecialValue.NAN",
        Some(SpecialKind::Value) => "SpecialValue.VALUE",
        Some(SpecialKind::Uninit) => "SpecialValue.UNINIT",
    }
}

/// The `nd-lazy` record body (runs inside the thread pool).
fn nd_lazy_record(
    args: &BenchArgs,
    shape: &[u64],
    chunks: &[u64],
    path: &Path,
    nt: usize,
) -> Result<Map<String, Value>> {
    let dtype = DType::parse("|u1")?;
    let opts = Options::new().chunks(chunks);
    let mut rec = Map::new();
    for (k, v) in [
        ("workload", json!("nd-lazy")),
        ("impl", json!(IMPL)),
        ("shape", json!(shape)),
        ("chunks", json!(chunks)),
        ("dtype", json!("uint8")),
        ("nthreads", json!(nt)),
        ("logical_bytes", json!(shape.iter().map(|&s| s as f64).product::<f64>() as u64)),
    ] {
        rec.insert(k.into(), v);
    }
    let mut times = Vec::new();
    for _ in 0..3 {
        remove_path(path);
        let (t, a) = timed(|| Ok(NdArray::zeros_at(path, shape, &dtype, &opts)?))?;
        times.push(t);
        rec.insert("blocks".into(), json!(a.blocks()));
        rec.insert("nchunks".into(), json!(a.nchunks()));
    }
    rec.insert("create".into(), sv(&summarize(&times, None, &[])));
    rec.insert("disk_bytes".into(), json!(std::fs::metadata(path)?.len()));
    eprintln!("  create {:.3} s (median of 3)", super::record::median(&times));
    let mut times = Vec::new();
    let mut a = None;
    for _ in 0..5 {
        drop(a.take());
        let (t, opened) = timed(|| Ok(NdArray::open(path)?))?;
        times.push(t);
        a = Some(opened);
    }
    let a = a.expect("opened five times");
    rec.insert("open".into(), sv(&summarize(&times, None, &[])));
    let (mut times, mut counts, mut n) = (Vec::new(), BTreeMap::<&str, u64>::new(), 0u64);
    for _ in 0..args.runs.unwrap_or(3) {
        counts.clear();
        n = 0;
        let t0 = Instant::now();
        for info in a.chunk_infos() {
            let info = info?;
            n += 1;
            std::hint::black_box((info.index, &info.coords, info.ratio()));
            *counts.entry(special_name(info.special)).or_default() += 1;
        }
        times.push(t0.elapsed().as_secs_f64());
    }
    let mut it = sv(&summarize(&times, None, &[]));
    let med = super::record::median(&times);
    it["per_chunk_us"] = json!(med / n.max(1) as f64 * 1e6);
    it["nchunks_seen"] = json!(n);
    rec.insert("iterchunks_info".into(), it);
    rec.insert("special_counts".into(), json!(counts));
    eprintln!("  chunk walk {:.3} s for {n} chunks", med);
    let centre: Vec<u64> = shape.iter().map(|&s| s / 2).collect();
    let (t, v) = timed(|| Ok(a.get_bytes(&centre)?))?;
    ensure!(v.iter().all(|&b| b == 0), "centre element is not zero");
    rec.insert("element_s".into(), json!(t));
    let zero = vec![0; shape.len()];
    let ten: Vec<u64> = shape.iter().map(|&s| s.min(10)).collect();
    let (t, v) = timed(|| Ok(a.read_box(&Region::from_start_stop(&zero, &ten)?)?))?;
    ensure!(v.iter().all(|&b| b == 0), "cube [0:10]^3 is not zero");
    rec.insert("cube10_s".into(), json!(t));
    drop(a);
    let mut times = Vec::new();
    for _ in 0..3 {
        let (t, m) = timed(|| Ok(NdArray::zeros(shape, &dtype, &opts)?))?;
        times.push(t);
        drop(m);
    }
    rec.insert("create_in_memory".into(), sv(&summarize(&times, None, &[])));
    if !args.no_resize {
        let mut a = NdArray::open_mut(path)?;
        let (grow, shrink, big) = time_resize(&mut a, shape)?;
        rec.insert("resize_grow".into(), sv(&grow));
        rec.insert("resize_shrink".into(), sv(&shrink));
        rec.insert("resize_to".into(), json!(big));
        drop(a);
        rec.insert("disk_bytes_after_resize".into(), json!(std::fs::metadata(path)?.len()));
    }
    rec.insert("ts".into(), json!(timestamp()));
    Ok(rec)
}

/// The `nd-lazy` workload.
///
/// # Errors
/// Bad options, array and I/O errors, sink errors.
pub fn run_lazy(args: &BenchArgs, sink: &mut Sink) -> Result<()> {
    let shape = parse_dims("--lazy-shape", &args.lazy_shape)?;
    let chunks = parse_dims("--lazy-chunks", &args.lazy_chunks)?;
    ensure!(shape.len() == chunks.len(), "--lazy-shape and --lazy-chunks differ in length");
    let nt = args.nthreads_list()?.into_iter().max().unwrap_or(1);
    let workdir = temp_dir(args)?;
    let path = workdir.join("zeros.b2nd");
    let res = in_pool(nt, || nd_lazy_record(args, &shape, &chunks, &path, nt));
    cleanup(args, &workdir);
    let rec = res?;
    eprintln!("{}", &serde_json::to_string(&rec)?.chars().take(1500).collect::<String>());
    sink.emit(&rec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_generators_first_values() {
        let p = positions(&ND_SHAPE);
        assert_eq!(p.planes[0], [13, 522, 155, 62, 411]);
        assert_eq!(p.planes[1], [605, 92, 594, 188, 582]);
        assert_eq!(p.planes[2], [70, 82, 421, 438, 522]);
        assert_eq!(p.cubes.len(), 100);
        assert_eq!(p.elems.len(), 100);
        assert_eq!(p.cubes[0], [131, 230, 476]);
        assert_eq!(p.cubes[1], [138, 227, 606]);
        assert_eq!(p.elems[0], [482, 380, 83]);
        assert_eq!(p.elems[1], [372, 185, 632]);
        assert!(p.cubes.iter().flatten().all(|&c| c <= 630));
        assert!(p.elems.iter().flatten().all(|&e| e < 640));
    }

    #[test]
    fn plane_of_matches_read_box() {
        let shape = [6u64, 5, 4];
        let values: Vec<f32> = (0..120).map(|i| i as f32).collect();
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let a = NdArray::from_bytes(
            &shape,
            &DType::parse("<f4").unwrap(),
            &data,
            &Options::new().chunks(&[3, 3, 3]).blocks(&[2, 2, 2]).cparams(nd_cparams(1)),
        )
        .unwrap();
        for ax in 0..3 {
            let (start, stop) = plane_box(&shape, ax, 2);
            let plane = Region::from_start_stop(&start, &stop).unwrap();
            assert_eq!(a.read_box(&plane).unwrap(), plane_of(&data, &shape, ax, 2), "axis {ax}");
        }
    }
}
