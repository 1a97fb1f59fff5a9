//! The `codecs` workload (WORKLOADS.md section 4): the data set x nthreads x codec x filter
//! x clevel x typesize matrix, compressed and decompressed in 8 MiB pieces, with the same
//! timing rules and record fields as `anchor.py`'s `wl_codecs`.
//!
//! Implemented APIs: `chunk` (every 8 MiB slice is an independent chunk, decompressed into
//! its slice of the pre-allocated output). `schunk` and `ndarray` are refused until the
//! super-chunk and b2nd layers exist.

use anyhow::{bail, ensure, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use serde::Serialize;

use super::datasets::{self, DatasetSpec};
use super::memcpy::memcpy_ref;
use super::record::{summarize, time_adaptive, timestamp, Adaptive, Sink, Summary};
use super::{loadavg, BenchArgs, IMPL};

/// Codecs of the default matrix, in `anchor.py`'s order.
pub const CODECS: [&str; 5] = ["blosclz", "lz4", "lz4hc", "zlib", "zstd"];
/// Filters of the default matrix.
pub const FILTERS: [&str; 3] = ["nofilter", "shuffle", "bitshuffle"];
/// APIs this implementation can run.
const APIS_DONE: [&str; 1] = ["chunk"];

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
fn params_for(codec: CodecId, filter: FilterId, clevel: u8, typesize: usize, nthreads: usize) -> CompressParams {
    CompressParams {
        codec,
        codec_meta: 0,
        clevel,
        typesize,
        filters: Pipeline { filters: [0, 0, 0, 0, 0, filter.0], meta: [0; 6] },
        blocksize: 0,
        splitmode: SplitMode::Auto,
        nthreads,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    blocksize: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cbytes: Option<usize>,
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
    ts: String,
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
    let apis = list(&Some(args.api.clone()), &[]);
    for api in &apis {
        match api.as_str() {
            a if APIS_DONE.contains(&a) => {}
            "schunk" | "ndarray" => {
                bail!("schunk/ndarray: not yet implemented in blosc2-rs (--api {api}); use --api chunk")
            }
            other => bail!("unknown api '{other}' (expected schunk, chunk or ndarray)"),
        }
    }
    Ok(Matrix { codecs, filters, clevels, typesizes, nthreads: args.nthreads_list()?, apis })
}

/// The result of one configuration.
struct Measured {
    blocksize: usize,
    cbytes: usize,
    roundtrip_ok: bool,
    compress: Option<Summary>,
    decompress: Option<Summary>,
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
    let (ctimes, ccpu, chunks) =
        if ratio_only { (Vec::new(), Vec::new(), comp()?) } else { time_adaptive(Adaptive::COMPRESS, || Ok(comp()?))? };
    let cbytes = chunks.iter().map(Vec::len).sum();
    let blocksize = ChunkHeader::parse(&chunks[0])?.blocksize_field;
    let decomp = |dst: &mut [u8]| -> Result<()> {
        for (c, out) in chunks.iter().zip(dst.chunks_mut(chunk)) {
            chunk::decompress_into(c, out, nt)?;
        }
        Ok(())
    };
    dst.fill(0);
    let (roundtrip_ok, decompressed) = match decomp(dst) {
        Ok(()) => (dst == buf, true),
        Err(e) => {
            eprintln!("    decompression failed: {e:#}");
            (false, false)
        }
    };
    if ratio_only || !decompressed {
        return Ok(Measured { blocksize, cbytes, roundtrip_ok, compress: None, decompress: None });
    }
    let (dtimes, dcpu, ()) = time_adaptive(Adaptive::DECOMPRESS, || decomp(dst))?;
    let n = buf.len();
    Ok(Measured {
        blocksize,
        cbytes,
        roundtrip_ok,
        compress: Some(summarize(&ctimes, Some(n), &ccpu)),
        decompress: Some(summarize(&dtimes, Some(n), &dcpu)),
    })
}

/// Names of one configuration of the matrix.
struct Cell<'a> {
    api: &'a str,
    dataset: &'a str,
    codec: (&'a str, CodecId),
    filter: (&'a str, FilterId),
}

/// Measures one configuration and builds its record (an `error` record when it fails).
#[allow(clippy::too_many_arguments)]
fn measure_cell<'a>(
    cell: &Cell<'a>,
    clevel: u8,
    ts: usize,
    nt: usize,
    buf: &[u8],
    dst: &mut [u8],
    chunk: usize,
    args: &BenchArgs,
    (g1, g2): (f64, f64),
) -> CodecsRecord<'a> {
    let (cname, codec) = cell.codec;
    let (fname, filter) = cell.filter;
    let api = cell.api;
    let params = params_for(codec, filter, clevel, ts, nt);
    let res = match api {
        "chunk" => measure_chunk_api(&params, buf, dst, chunk, args.ratio_only),
        other => Err(anyhow::anyhow!("api {other}: not yet implemented")),
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
        blocksize: None,
        cbytes: None,
        cratio: None,
        roundtrip_ok: None,
        compress: None,
        decompress: None,
        ratio_only: args.ratio_only,
        error: None,
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
            rec.cratio = Some(cratio);
            rec.roundtrip_ok = Some(r.roundtrip_ok);
            rec.compress = r.compress;
            rec.decompress = r.decompress;
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
            nbytes.is_multiple_of(chunk),
            "{name}: {nbytes} bytes is not a multiple of the {chunk}-byte chunk size"
        );
        let mut dst = vec![0u8; nbytes];
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
                                let cell =
                                    Cell { api, dataset: name, codec: (cname, *codec), filter: (fname, *filter) };
                                let rec = measure_cell(&cell, clevel, ts, nt, &buf, &mut dst, chunk, args, same_run);
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
            ts: timestamp(),
        })?;
    }
    Ok(())
}
