//! The `codecs` workload (WORKLOADS.md section 4): the data set x nthreads x codec x filter
//! x clevel x typesize matrix, compressed and decompressed in 8 MiB pieces, with the same
//! timing rules and record fields as `anchor.py`'s `wl_codecs`.
//!
//! APIs: `chunk` (every 8 MiB slice is an independent chunk, decompressed into its slice of
//! the pre-allocated output), `schunk` (an in-memory super-chunk of 8 MiB chunks built with
//! `append_buffer`, decompressed chunk by chunk into the output) and `ndarray` (an in-memory
//! `blosc2_nd::NdArray` with the default chunk and block shapes, read back whole with
//! `read_box_into` into the pre-allocated output, in a rayon pool of `nthreads` threads).

use anyhow::{bail, ensure, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::schunk::SChunk;
use blosc2_nd::{DType, NdArray, Options, Region};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::datasets::{self, DatasetSpec};
use super::mem::{self, OpPeak};
use super::memcpy::memcpy_ref;
use super::record::{summarize, time_adaptive, timestamp, Adaptive, Sink, Summary};
use super::{loadavg, BenchArgs, IMPL};

/// Codecs of the default matrix, in `anchor.py`'s order.
pub const CODECS: [&str; 5] = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"];
/// Filters of the default matrix.
pub const FILTERS: [&str; 3] = ["nofilter", "shuffle", "bitshuffle"];
/// APIs this implementation can run.
const APIS_DONE: [&str; 3] = ["schunk", "chunk", "ndarray"];

/// The filter of the last pipeline slot for a name.
fn filter_id(name: &str) -> Result<FilterId> {
    Ok(match name {
        "nofilter" => FilterId::NOFILTER,
        "shuffle" => FilterId::SHUFFLE,
        "bitshuffle" => FilterId::BITSHUFFLE,
        other => bail!("unknown filter '{other}' (expected nofilter, shuffle or bitshuffle)"),
    })
}

/// `anchor.py`'s `cparams_for`: pipeline `[0, 0, 0, 0, 0, F]`, meta all 0, automatic block
/// size, automatic split.
pub(crate) fn params_for(
    codec: CodecId,
    filter: FilterId,
    clevel: u8,
    typesize: usize,
    nthreads: usize,
) -> CompressParams {
    CompressParams {
        codec,
        codec_meta: 0,
        clevel,
        typesize,
        filters: Pipeline { filters: [0, 0, 0, 0, 0, filter.0], meta: [0; 6] },
        blocksize: 0,
        splitmode: SplitMode::Auto,
        nthreads,
        use_dict: false,
        geometry: None,
    }
}

/// One `codecs` measurement (the keys of `anchor.py`, plus `impl`).
#[derive(Serialize)]
struct CodecsRecord<'a> {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'static str,
    api: &'a str,
    dataset: &'a str,
    codec: &'a str,
    filter: &'a str,
    clevel: u8,
    typesize: usize,
    nthreads: usize,
    nbytes: usize,
    chunksize: usize,
    /// api = ndarray: the chunk shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    chunks: Option<Vec<u64>>,
    /// api = ndarray: the block shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    blocks: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    blocksize: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cbytes: Option<usize>,
    /// api = chunk: SHA-256 of the compressed chunks, concatenated in order (the reference
    /// side of `scripts/compare.py --ratio-only` records the same, and compare.py checks
    /// that the two are equal).
    #[serde(skip_serializing_if = "Option::is_none")]
    chunks_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cratio: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    roundtrip_ok: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compress: Option<Summary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decompress: Option<Summary>,
    /// Set with `--ratio-only` (no timing).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    ratio_only: bool,
    /// Why the configuration could not be measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// Peak resident memory of the timed operations (Linux).
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<Memory>,
    memcpy_gbps_same_run: f64,
    memcpy2t_gbps_same_run: f64,
    ts: String,
}

/// The end-of-data-set memcpy record.
#[derive(Serialize)]
struct CodecsMemcpyRecord<'a> {
    workload: &'static str,
    #[serde(rename = "impl")]
    implementation: &'static str,
    dataset: &'a str,
    nbytes: usize,
    api: &'a str,
    start: Summary,
    end: Summary,
    start_2t: Summary,
    end_2t: Summary,
    loadavg_end: Vec<f64>,
    /// The process's peak resident set so far (`ru_maxrss`), in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    process_peak_rss_bytes: Option<u64>,
    ts: String,
}

/// Peak resident memory of the compression and of the decompression of one configuration.
#[derive(Serialize, Default)]
struct Memory {
    #[serde(skip_serializing_if = "Option::is_none")]
    compress: Option<OpPeak>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decompress: Option<OpPeak>,
}

impl Memory {
    fn new(compress: Option<OpPeak>, decompress: Option<OpPeak>) -> Option<Memory> {
        (compress.is_some() || decompress.is_some()).then_some(Memory { compress, decompress })
    }
}

/// Parsed matrix options.
struct Matrix {
    codecs: Vec<(String, CodecId)>,
    filters: Vec<(String, FilterId)>,
    clevels: Vec<u8>,
    typesizes: Vec<usize>,
    nthreads: Vec<usize>,
    apis: Vec<String>,
}

fn parse_matrix(args: &BenchArgs) -> Result<Matrix> {
    let list = |opt: &Option<String>, dflt: &[&str]| -> Vec<String> {
        match opt {
            Some(s) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
            None => dflt.iter().map(|s| s.to_string()).collect(),
        }
    };
    let codecs = list(&args.codecs, &CODECS)
        .into_iter()
        .map(|c| {
            let id = CodecId::from_name(&c)
                .with_context(|| format!("unknown codec '{c}' (expected blosclz, lz4, lz4hc, zlib or zstd)"))?;
            Ok((c, id))
        })
        .collect::<Result<Vec<_>>>()?;
    let filters = list(&args.filters, &FILTERS)
        .into_iter()
        .map(|f| Ok((f.clone(), filter_id(&f)?)))
        .collect::<Result<Vec<_>>>()?;
    let clevels = list(&args.clevels, &["1", "5", "9"])
        .iter()
        .map(|c| match c.parse::<u8>() {
            Ok(v) if v <= 9 => Ok(v),
            _ => bail!("clevel '{c}' is not in 0..=9"),
        })
        .collect::<Result<Vec<_>>>()?;
    let typesizes = list(&args.typesizes, &["4", "8"])
        .iter()
        .map(|t| match t.parse::<usize>() {
            Ok(v) if (1..=255).contains(&v) => Ok(v),
            _ => bail!("typesize '{t}' is not in 1..=255"),
        })
        .collect::<Result<Vec<_>>>()?;
    let apis: Vec<String> = args.api.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
    for api in &apis {
        match api.as_str() {
            a if APIS_DONE.contains(&a) => {}
            other => bail!("unknown api '{other}' (expected schunk, chunk or ndarray)"),
        }
    }
    Ok(Matrix { codecs, filters, clevels, typesizes, nthreads: args.nthreads_list()?, apis })
}

/// The result of one configuration.
struct Measured {
    blocksize: usize,
    cbytes: usize,
    /// api = chunk: SHA-256 of the compressed chunks in order, lower-case hex.
    chunks_sha256: Option<String>,
    roundtrip_ok: bool,
    compress: Option<Summary>,
    decompress: Option<Summary>,
    /// api = ndarray: chunk shape, block shape, chunk bytes.
    layout: Option<(Vec<u64>, Vec<u64>, usize)>,
    /// Peak resident memory of the operations.
    memory: Option<Memory>,
}

/// SHA-256 of `chunks` concatenated, lower-case hex.
fn sha256_hex(chunks: &[Vec<u8>]) -> String {
    let mut h = Sha256::new();
    for c in chunks {
        h.update(c);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Compresses `buf` as independent `chunk`-byte chunks and back (api = chunk).
fn measure_chunk_api(
    params: &CompressParams,
    buf: &[u8],
    dst: &mut [u8],
    chunk: usize,
    ratio_only: bool,
) -> Result<Measured> {
    let nt = params.nthreads;
    let comp = || buf.chunks(chunk).map(|c| chunk::compress(params, c)).collect::<Result<Vec<_>, _>>();
    let probe = mem::start();
    let (ctimes, ccpu, chunks) =
        if ratio_only { (Vec::new(), Vec::new(), comp()?) } else { time_adaptive(Adaptive::COMPRESS, || Ok(comp()?))? };
    let cbytes: usize = chunks.iter().map(Vec::len).sum();
    let cmem = probe.and_then(|p| p.finish((cbytes + nt * chunk) as u64));
    let chunks_sha256 = Some(sha256_hex(&chunks));
    let blocksize = ChunkHeader::parse(&chunks[0])?.blocksize_field;
    let decomp = |dst: &mut [u8]| -> Result<()> {
        for (c, out) in chunks.iter().zip(dst.chunks_mut(chunk)) {
            chunk::decompress_into(c, out, nt)?;
        }
        Ok(())
    };
    let (roundtrip_ok, decompress, dmem) = check_and_time_decompress(buf, dst, ratio_only, nt * chunk, decomp)?;
    let compress = (!ratio_only && decompress.is_some()).then(|| summarize(&ctimes, Some(buf.len()), &ccpu));
    Ok(Measured {
        blocksize,
        cbytes,
        chunks_sha256,
        roundtrip_ok,
        compress,
        decompress,
        layout: None,
        memory: Memory::new(cmem, dmem),
    })
}

/// The round-trip check and the timed decompression shared by the three APIs: `decomp`
/// fills `dst` from the compressed form.
/// `budget` is the memory the decompression may add (one chunk per thread); the peak is
/// returned with the summary.
fn check_and_time_decompress(
    buf: &[u8],
    dst: &mut [u8],
    ratio_only: bool,
    budget: usize,
    mut decomp: impl FnMut(&mut [u8]) -> Result<()>,
) -> Result<(bool, Option<Summary>, Option<OpPeak>)> {
    dst.fill(0);
    let ok = match decomp(dst) {
        Ok(()) => dst == buf,
        Err(e) => {
            eprintln!("    decompression failed: {e:#}");
            return Ok((false, None, None));
        }
    };
    if ratio_only {
        return Ok((ok, None, None));
    }
    let probe = mem::start();
    let (dtimes, dcpu, ()) = time_adaptive(Adaptive::DECOMPRESS, || decomp(dst))?;
    let peak = probe.and_then(|p| p.finish(budget as u64));
    Ok((ok, Some(summarize(&dtimes, Some(buf.len()), &dcpu)), peak))
}

/// Builds an in-memory (sparse) super-chunk of `chunk`-byte chunks from `buf` and
/// decompresses it chunk by chunk into `dst` (api = schunk; python-blosc2's
/// `SChunk(chunksize=..., data=...)` and `decompress_chunk(i, dst)`).
fn measure_schunk_api(
    params: &CompressParams,
    buf: &[u8],
    dst: &mut [u8],
    chunk: usize,
    ratio_only: bool,
) -> Result<Measured> {
    let nt = params.nthreads;
    let comp = || -> Result<SChunk> {
        let mut sc = SChunk::new(params.clone());
        sc.set_dnthreads(nt);
        for piece in buf.chunks(chunk) {
            sc.append_buffer(piece)?;
        }
        Ok(sc)
    };
    let probe = mem::start();
    let (ctimes, ccpu, sc) =
        if ratio_only { (Vec::new(), Vec::new(), comp()?) } else { time_adaptive(Adaptive::COMPRESS, comp)? };
    let cbytes = sc.cbytes() as usize;
    let cmem = probe.and_then(|p| p.finish((cbytes + nt * chunk) as u64));
    let blocksize = ChunkHeader::parse(&sc.chunk(0)?)?.blocksize_field;
    let decomp = |dst: &mut [u8]| -> Result<()> {
        for (i, out) in dst.chunks_mut(chunk).enumerate() {
            sc.decompress_chunk_into(i as u64, out)?;
        }
        Ok(())
    };
    let (roundtrip_ok, decompress, dmem) = check_and_time_decompress(buf, dst, ratio_only, nt * chunk, decomp)?;
    let compress = (!ratio_only && decompress.is_some()).then(|| summarize(&ctimes, Some(buf.len()), &ccpu));
    Ok(Measured {
        blocksize,
        cbytes,
        chunks_sha256: None,
        roundtrip_ok,
        compress,
        decompress,
        layout: None,
        memory: Memory::new(cmem, dmem),
    })
}

/// The typed array of api = ndarray: the data set viewed as unsigned integers of
/// `typesize` bytes, 1-D, except a multi-dimensional data set whose element size is
/// `typesize` (galaxy_u8 with typesize 1), which keeps its shape.
fn ndarray_view(spec: &DatasetSpec, nbytes: usize, typesize: usize) -> Result<(Vec<u64>, DType)> {
    let dtype = DType::parse(match typesize {
        1 => "|u1",
        2 => "<u2",
        4 => "<u4",
        8 => "<u8",
        other => bail!("api ndarray: typesize {other} has no unsigned integer dtype (1, 2, 4 or 8)"),
    })?;
    let shape = datasets::shape(spec, nbytes);
    let shape = if shape.len() > 1 && spec.dtype.size() == typesize {
        shape.iter().map(|&s| s as u64).collect()
    } else {
        vec![(nbytes / typesize) as u64]
    };
    Ok((shape, dtype))
}

/// Builds an in-memory NDArray with the default chunk and block shapes from `buf` and
/// reads it all back into `dst` (api = ndarray), in a rayon pool of `nthreads` threads.
fn measure_ndarray_api(
    params: &CompressParams,
    spec: &DatasetSpec,
    buf: &[u8],
    dst: &mut [u8],
    ratio_only: bool,
) -> Result<Measured> {
    let (shape, dtype) = ndarray_view(spec, buf.len(), params.typesize)?;
    let opts = Options::new().cparams(params.clone());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(params.nthreads).build().context("rayon thread pool")?;
    pool.install(|| {
        let comp = || Ok(NdArray::from_bytes(&shape, &dtype, buf, &opts)?);
        let probe = mem::start();
        let (ctimes, ccpu, nd) =
            if ratio_only { (Vec::new(), Vec::new(), comp()?) } else { time_adaptive(Adaptive::COMPRESS, comp)? };
        let cbytes = nd.schunk().cbytes() as usize;
        let chunk_bytes = nd.schunk().chunksize().max(0) as usize;
        let nt = params.nthreads;
        let cmem = probe.and_then(|p| p.finish((cbytes + nt * chunk_bytes) as u64));
        let blocksize = ChunkHeader::parse(&nd.schunk().chunk(0)?)?.blocksize_field;
        let layout = Some((nd.chunks().to_vec(), nd.blocks().to_vec(), chunk_bytes));
        let whole = Region::whole(&shape);
        let decomp = |dst: &mut [u8]| -> Result<()> { Ok(nd.read_box_into(&whole, dst)?) };
        let (roundtrip_ok, decompress, dmem) =
            check_and_time_decompress(buf, dst, ratio_only, nt * chunk_bytes, decomp)?;
        let compress = (!ratio_only && decompress.is_some()).then(|| summarize(&ctimes, Some(buf.len()), &ccpu));
        let memory = Memory::new(cmem, dmem);
        Ok(Measured { blocksize, cbytes, chunks_sha256: None, roundtrip_ok, compress, decompress, layout, memory })
    })
}

/// One configuration of the matrix.
struct Cell<'a> {
    api: &'a str,
    dataset: &'a str,
    codec: (&'a str, CodecId),
    filter: (&'a str, FilterId),
    clevel: u8,
    typesize: usize,
    nthreads: usize,
}

/// Measures one configuration and builds its record (an `error` record when it fails).
fn measure_cell<'a>(
    cell: &Cell<'a>,
    buf: &[u8],
    dst: &mut [u8],
    chunk: usize,
    args: &BenchArgs,
    (g1, g2): (f64, f64),
) -> CodecsRecord<'a> {
    let (cname, codec) = cell.codec;
    let (fname, filter) = cell.filter;
    let (api, clevel, ts, nt) = (cell.api, cell.clevel, cell.typesize, cell.nthreads);
    let params = params_for(codec, filter, clevel, ts, nt);
    let res = match api {
        "chunk" => measure_chunk_api(&params, buf, dst, chunk, args.ratio_only),
        "schunk" => measure_schunk_api(&params, buf, dst, chunk, args.ratio_only),
        "ndarray" => {
            datasets::spec(cell.dataset).and_then(|spec| measure_ndarray_api(&params, spec, buf, dst, args.ratio_only))
        }
        other => Err(anyhow::anyhow!("unknown api {other}")),
    };
    let nbytes = buf.len();
    let mut rec = CodecsRecord {
        workload: "codecs",
        implementation: IMPL,
        api,
        dataset: cell.dataset,
        codec: cname,
        filter: fname,
        clevel,
        typesize: ts,
        nthreads: nt,
        nbytes,
        chunksize: chunk,
        chunks: None,
        blocks: None,
        blocksize: None,
        cbytes: None,
        chunks_sha256: None,
        cratio: None,
        roundtrip_ok: None,
        compress: None,
        decompress: None,
        ratio_only: args.ratio_only,
        error: None,
        memory: None,
        memcpy_gbps_same_run: g1,
        memcpy2t_gbps_same_run: g2,
        ts: timestamp(),
    };
    let head = format!("  {api:7} nt={nt} {cname:8} {fname:10} c{clevel} ts{ts}:");
    match res {
        Ok(r) => {
            let cratio = nbytes as f64 / r.cbytes as f64;
            let speeds = match (&r.compress, &r.decompress) {
                (Some(c), Some(d)) => format!(
                    "C {:7.3} GB/s ({}) D {:7.3} GB/s",
                    c.gbps_median.unwrap_or(f64::NAN),
                    c.runs,
                    d.gbps_median.unwrap_or(f64::NAN)
                ),
                _ => "(not timed)".to_string(),
            };
            let failed = if r.roundtrip_ok { "" } else { " ROUNDTRIP FAILED" };
            eprintln!("{head} ratio {cratio:9.2} {speeds} bs={}{failed}", r.blocksize);
            rec.blocksize = Some(r.blocksize);
            rec.cbytes = Some(r.cbytes);
            rec.chunks_sha256 = r.chunks_sha256;
            rec.cratio = Some(cratio);
            rec.roundtrip_ok = Some(r.roundtrip_ok);
            rec.compress = r.compress;
            rec.decompress = r.decompress;
            rec.memory = r.memory;
            if let Some((chunks, blocks, chunksize)) = r.layout {
                rec.chunks = Some(chunks);
                rec.blocks = Some(blocks);
                rec.chunksize = chunksize;
            }
        }
        Err(e) => {
            eprintln!("{head} ERROR {e:#}");
            rec.error = Some(format!("{e:#}"));
        }
    }
    rec
}

/// The `codecs` workload.
///
/// # Errors
/// Bad options, an unknown data set, a data set that is not a whole number of chunks, sink
/// errors. A configuration that fails to compress is recorded with an `error` field and the
/// matrix goes on.
pub fn run(args: &BenchArgs, sink: &mut Sink) -> Result<()> {
    let m = parse_matrix(args)?;
    let specs: Vec<&DatasetSpec> = args.dataset_names().iter().map(|n| datasets::spec(n)).collect::<Result<_>>()?;
    ensure!(args.chunk_mib > 0, "--chunk-mib must be positive");
    let chunk = args.chunk_mib << 20;
    for spec in specs {
        let name = spec.name;
        let buf = datasets::make(spec, args.size_mib);
        let nbytes = buf.len();
        ensure!(
            nbytes > 0 && nbytes.is_multiple_of(chunk),
            "{name}: {nbytes} bytes is not a multiple of the {chunk}-byte chunk size"
        );
        let mut dst = blosc2_core::buffer::zeroed(nbytes);
        let mref = memcpy_ref(&buf, 11, 1);
        let mref2t = memcpy_ref(&buf, 11, 2);
        let g1 = mref.gbps_median.unwrap_or(0.0);
        let g2 = mref2t.gbps_median.unwrap_or(0.0);
        eprintln!("[{name}] {nbytes} B, memcpy {g1:.2} GB/s (1 thread), {g2:.2} GB/s (2 threads)");
        let same_run = (g1, g2);
        for &nt in &m.nthreads {
            for (cname, codec) in &m.codecs {
                for (fname, filter) in &m.filters {
                    for &clevel in &m.clevels {
                        for &ts in &m.typesizes {
                            for api in &m.apis {
                                let cell = Cell {
                                    api,
                                    dataset: name,
                                    codec: (cname, *codec),
                                    filter: (fname, *filter),
                                    clevel,
                                    typesize: ts,
                                    nthreads: nt,
                                };
                                let rec = measure_cell(&cell, &buf, &mut dst, chunk, args, same_run);
                                sink.emit(&rec)?;
                            }
                        }
                    }
                }
            }
        }
        let end = memcpy_ref(&buf, 11, 1);
        let end_2t = memcpy_ref(&buf, 11, 2);
        sink.emit(&CodecsMemcpyRecord {
            workload: "codecs-memcpy",
            implementation: IMPL,
            dataset: name,
            nbytes,
            api: &args.api,
            start: mref,
            end,
            start_2t: mref2t,
            end_2t,
            loadavg_end: loadavg(),
            process_peak_rss_bytes: mem::process_peak_rss_bytes(),
            ts: timestamp(),
        })?;
    }
    Ok(())
}
