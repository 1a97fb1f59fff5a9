//! `blosc2 info FILE [--json]`: what a frame holds, from its metadata alone (header,
//! metalayers, vlmetalayers, offsets and each chunk's 32-byte header; no chunk is
//! decompressed).
//!
//! The report is built as [`Report`] and printed as JSON or as text. `.b2nd` files are
//! frames too and are reported at the frame level; the array layer adds its own section
//! through [`array_section`] (see the marked hook below).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use blosc2_core::chunk::{ChunkHeader, SpecialKind};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::frame::{ChunkLocation, Frame, FrameHeader};
use clap::Args;
use serde::Serialize;
use serde_json::Value;

/// Arguments of `blosc2 info`.
#[derive(Args, Debug)]
pub struct InfoArgs {
    /// A contiguous frame (`.b2frame`, `.b2nd`), or a sparse-frame directory.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Everything `info` reports.
#[derive(Serialize, Debug)]
pub struct Report {
    /// The path given.
    pub path: String,
    /// `frame` or `b2nd` (a frame with a `b2nd` metalayer).
    pub kind: &'static str,
    /// The fixed header fields.
    pub header: HeaderReport,
    /// Length of the trailer in bytes.
    pub trailer_len: u64,
    /// Number of chunks.
    pub nchunks: u64,
    /// Fixed metalayers in order.
    pub metalayers: Vec<MetaReport>,
    /// Variable-length metalayers in order.
    pub vlmetalayers: Vec<VlMetaReport>,
    /// Array-level information added by the array layer (`None` for plain frames).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub array: Option<Value>,
    /// The chunk table.
    pub chunks: Vec<ChunkReport>,
}

/// The fixed frame header: the core's [`FrameHeader`], reported with the names of its codec,
/// filters, frame type and split mode and its compression ratio (JSON fields in this order:
/// `version header_len frame_len general_flags frame_type codec codec_id codec_meta clevel
/// splitmode nbytes cbytes ratio typesize blocksize chunksize nthreads_compress
/// nthreads_decompress has_vlmetalayers filters use_dict`).
#[derive(Debug)]
pub struct HeaderReport(pub FrameHeader);

impl HeaderReport {
    /// The general flags as `0x..`.
    fn general_flags(&self) -> String {
        format!("{:#04x}", self.0.general_flags)
    }

    /// `nbytes / cbytes`.
    fn ratio(&self) -> f64 {
        ratio(self.0.nbytes, self.0.cbytes)
    }
}

impl Serialize for HeaderReport {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let h = &self.0;
        let mut s = ser.serialize_struct("HeaderReport", 21)?;
        s.serialize_field("version", &h.version())?;
        s.serialize_field("header_len", &h.header_len)?;
        s.serialize_field("frame_len", &h.frame_len)?;
        s.serialize_field("general_flags", &self.general_flags())?;
        s.serialize_field("frame_type", h.frame_type.name())?;
        s.serialize_field("codec", &codec_name(h.codec))?;
        s.serialize_field("codec_id", &h.codec.0)?;
        s.serialize_field("codec_meta", &h.codec_meta)?;
        s.serialize_field("clevel", &h.clevel)?;
        s.serialize_field("splitmode", h.splitmode.name())?;
        s.serialize_field("nbytes", &h.nbytes)?;
        s.serialize_field("cbytes", &h.cbytes)?;
        s.serialize_field("ratio", &self.ratio())?;
        s.serialize_field("typesize", &h.typesize)?;
        s.serialize_field("blocksize", &h.blocksize)?;
        s.serialize_field("chunksize", &h.chunksize)?;
        s.serialize_field("nthreads_compress", &h.nthreads_compress)?;
        s.serialize_field("nthreads_decompress", &h.nthreads_decompress)?;
        s.serialize_field("has_vlmetalayers", &h.has_vlmetalayers)?;
        s.serialize_field("filters", &filter_reports(&h.filters))?;
        s.serialize_field("use_dict", &h.use_dict)?;
        s.end()
    }
}

/// One filter slot.
#[derive(Serialize, Debug)]
pub struct FilterReport {
    /// Slot 0..5.
    pub slot: usize,
    /// Filter id.
    pub id: u8,
    /// Filter name (or `filter-N`).
    pub name: String,
    /// Meta byte.
    pub meta: u8,
}

/// One fixed metalayer.
#[derive(Serialize, Debug)]
pub struct MetaReport {
    /// Name.
    pub name: String,
    /// Content size in bytes.
    pub size: usize,
    /// The content decoded as msgpack, when it is msgpack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The raw content in hex (first 1024 bytes).
    pub raw_hex: String,
}

/// One variable-length metalayer.
#[derive(Serialize, Debug)]
pub struct VlMetaReport {
    /// Name.
    pub name: String,
    /// Decompressed size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<usize>,
    /// Size of the stored chunk.
    pub cbytes: usize,
    /// The value decoded as msgpack, when it is msgpack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Why the value could not be read, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One row of the chunk table.
#[derive(Serialize, Debug)]
pub struct ChunkReport {
    /// Chunk index.
    pub index: u64,
    /// Uncompressed size.
    pub nbytes: usize,
    /// Compressed size.
    pub cbytes: usize,
    /// `nbytes / cbytes`.
    pub ratio: f64,
    /// `none`, `zero`, `nan`, `value` or `uninit`.
    pub special: &'static str,
    /// The repeated value of a `value` chunk, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where the chunk is: `offset N`, `file N` or `special offset`.
    pub location: String,
    /// What the chunk's own header records (absent for special offsets and unreadable
    /// chunks).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub coding: Option<ChunkCoding>,
    /// Why the chunk header could not be read, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How one chunk is coded, from its header: what it was written with, which may differ
/// from the frame's defaults.
#[derive(Serialize, Debug)]
pub struct ChunkCoding {
    /// Chunk format version (header byte 0).
    pub version: u8,
    /// Codec name (or `codec-N`).
    pub codec: String,
    /// Codec id.
    pub codec_id: u8,
    /// Codec meta byte.
    pub codec_meta: u8,
    /// Filter pipeline, the non-empty slots in order.
    pub filters: Vec<FilterReport>,
    /// Whether blocks are split into one stream per byte of the element.
    pub split: bool,
    /// Block size in bytes.
    pub blocksize: usize,
    /// Header typesize byte.
    pub typesize: u8,
    /// Whether the data is stored uncompressed.
    pub memcpyed: bool,
    /// Whether the chunk carries a dictionary.
    pub dict: bool,
}

impl ChunkCoding {
    fn of(h: &ChunkHeader) -> ChunkCoding {
        let codec = h.codec();
        ChunkCoding {
            version: h.version,
            codec: codec_name(codec),
            codec_id: codec.0,
            codec_meta: h.compcode_meta,
            filters: filter_reports(&h.filters),
            split: !h.dont_split() && !h.is_memcpyed() && h.special().is_none(),
            blocksize: h.blocksize(),
            typesize: h.typesize,
            memcpyed: h.is_memcpyed(),
            dict: h.has_dict(),
        }
    }

    /// `zstd:0 [shuffle:0 bytedelta:8] split bs=65536` for the text table.
    fn summary(&self) -> String {
        let filters: Vec<String> = self.filters.iter().map(|f| format!("{}:{}", f.name, f.meta)).collect();
        let mut s = format!("{}:{} [{}]", self.codec, self.codec_meta, filters.join(" "));
        s.push_str(if self.memcpyed {
            " memcpyed"
        } else if self.split {
            " split"
        } else {
            " unsplit"
        });
        s.push_str(&format!(" bs={}", self.blocksize));
        if self.dict {
            s.push_str(" dict");
        }
        s
    }
}

fn codec_name(c: CodecId) -> String {
    c.name().map(str::to_string).unwrap_or_else(|| format!("codec-{}", c.0))
}

fn filter_reports(p: &Pipeline) -> Vec<FilterReport> {
    (0..6)
        .filter(|&k| p.filters[k] != 0)
        .map(|k| {
            let id = p.filters[k];
            FilterReport {
                slot: k,
                id,
                name: FilterId(id).name().map(str::to_string).unwrap_or_else(|| format!("filter-{id}")),
                meta: p.meta[k],
            }
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Converts a msgpack value to JSON: binaries and extension values become
/// `{"bin": hex}` / `{"ext": type, "hex": ...}`, maps with non-string keys become lists of
/// pairs, non-finite floats become strings.
pub fn msgpack_to_json(v: &rmpv::Value) -> Value {
    use rmpv::Value as M;
    match v {
        M::Nil => Value::Null,
        M::Boolean(b) => Value::Bool(*b),
        M::Integer(i) => i
            .as_i64()
            .map(Value::from)
            .or_else(|| i.as_u64().map(Value::from))
            .unwrap_or_else(|| Value::String(i.to_string())),
        M::F32(f) => float(f64::from(*f)),
        M::F64(f) => float(*f),
        M::String(s) => match s.as_str() {
            Some(s) => Value::String(s.to_string()),
            None => serde_json::json!({ "bin": hex(s.as_bytes()) }),
        },
        M::Binary(b) => serde_json::json!({ "bin": hex(b) }),
        M::Array(a) => Value::Array(a.iter().map(msgpack_to_json).collect()),
        M::Map(m) => {
            if m.iter().all(|(k, _)| k.as_str().is_some()) {
                let mut o = serde_json::Map::new();
                for (k, v) in m {
                    o.insert(k.as_str().unwrap_or_default().to_string(), msgpack_to_json(v));
                }
                Value::Object(o)
            } else {
                Value::Array(
                    m.iter().map(|(k, v)| Value::Array(vec![msgpack_to_json(k), msgpack_to_json(v)])).collect(),
                )
            }
        }
        M::Ext(t, d) => serde_json::json!({ "ext": t, "hex": hex(d) }),
    }
}

fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map(Value::Number).unwrap_or_else(|| Value::String(f.to_string()))
}

fn ratio(n: u64, c: u64) -> f64 {
    if c == 0 {
        0.0
    } else {
        (n as f64 / c as f64 * 1000.0).round() / 1000.0
    }
}

// ---------------------------------------------------------------------------------------
// ARRAY LAYER HOOK. The b2nd layer extends `info` here: return `Some(object)` with the
// array's fields (shape, chunks, blocks, dtype, ...) for frames holding an array. Text
// output prints each key of the object as `  key: value` under an `array:` heading; JSON
// output puts the object under "array". Until then `.b2nd` files are reported at the
// frame level (their `b2nd` metalayer appears decoded among the metalayers).
// ---------------------------------------------------------------------------------------
/// The array section of the report for a frame holding a b2nd array, if any.
pub fn array_section(path: &Path, frame: &Frame) -> Option<Value> {
    crate::nd_cmd::array_section(path, frame)
}

/// Builds the report of the frame at `path`.
pub fn report(path: &Path, frame: &Frame) -> Report {
    let header = HeaderReport(frame.header().clone());
    let metalayers = frame
        .metalayers()
        .iter()
        .map(|(name, content)| MetaReport {
            name: name.to_string(),
            size: content.len(),
            value: blosc2_core::schunk::meta::unpack_value(name, content).ok().map(|v| msgpack_to_json(&v)),
            raw_hex: hex(&content[..content.len().min(1024)]),
        })
        .collect();
    let vlmetalayers = frame
        .vlmetalayers()
        .iter_chunks()
        .map(|(name, c)| {
            let mut r = VlMetaReport { name: name.to_string(), size: None, cbytes: c.len(), value: None, error: None };
            match frame.vlmetalayers().get(name) {
                Ok(bytes) => {
                    r.size = Some(bytes.len());
                    match blosc2_core::schunk::meta::unpack_value(name, &bytes) {
                        Ok(v) => r.value = Some(msgpack_to_json(&v)),
                        Err(_) => r.value = Some(serde_json::json!({ "bin": hex(&bytes[..bytes.len().min(1024)]) })),
                    }
                }
                Err(e) => r.error = Some(e.to_string()),
            }
            r
        })
        .collect();
    let chunks = (0..frame.nchunks())
        .map(|i| match frame.chunk_info(i) {
            Ok(c) => ChunkReport {
                index: i,
                nbytes: c.nbytes,
                cbytes: c.cbytes,
                ratio: ratio(c.nbytes as u64, c.cbytes as u64),
                special: c.special.map_or("none", SpecialKind::python_name),
                value: c.value.as_deref().map(hex),
                location: match c.location {
                    ChunkLocation::Offset(o) => format!("offset {o}"),
                    ChunkLocation::File(id) => format!("file {id}"),
                    ChunkLocation::SpecialOffset => "special offset".to_string(),
                    ChunkLocation::Memory => "memory".to_string(),
                },
                coding: c.header.as_ref().map(ChunkCoding::of),
                error: None,
            },
            Err(e) => ChunkReport {
                index: i,
                nbytes: 0,
                cbytes: 0,
                ratio: 0.0,
                special: "none",
                value: None,
                location: String::new(),
                coding: None,
                error: Some(e.to_string()),
            },
        })
        .collect();
    let kind = if frame.metalayers().contains("b2nd") { "b2nd" } else { "frame" };
    Report {
        path: path.display().to_string(),
        kind,
        header,
        trailer_len: frame.trailer_len(),
        nchunks: frame.nchunks(),
        metalayers,
        vlmetalayers,
        array: array_section(path, frame),
        chunks,
    }
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        format!("{}... ({} chars)", &s[..s.char_indices().nth(197).map(|(i, _)| i).unwrap_or(s.len())], s.len())
    } else {
        s
    }
}

/// Prints the report as text.
fn print_text(r: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let (report, h) = (&r.header, &r.header.0);
    writeln!(out, "{}: {} ({} frame)", r.path, r.kind, h.frame_type.name())?;
    writeln!(out, "header:")?;
    writeln!(out, "  version: {}  header_len: {}  frame_len: {}", h.version(), h.header_len, h.frame_len)?;
    writeln!(out, "  general_flags: {}  trailer_len: {}", report.general_flags(), r.trailer_len)?;
    writeln!(
        out,
        "  codec: {} (id {}, meta {})  clevel: {}  splitmode: {}",
        codec_name(h.codec),
        h.codec.0,
        h.codec_meta,
        h.clevel,
        h.splitmode.name()
    )?;
    let filters: Vec<String> = filter_reports(&h.filters).iter().map(|f| format!("{}:{}", f.name, f.meta)).collect();
    writeln!(out, "  filters: [{}]  use_dict: {}", filters.join(", "), h.use_dict)?;
    writeln!(out, "  typesize: {}  blocksize: {}  chunksize: {}", h.typesize, h.blocksize, h.chunksize)?;
    writeln!(out, "  nbytes: {}  cbytes: {}  ratio: {:.3}", h.nbytes, h.cbytes, report.ratio())?;
    writeln!(out, "  nthreads: {} compress, {} decompress", h.nthreads_compress, h.nthreads_decompress)?;
    writeln!(out, "metalayers: {}", r.metalayers.len())?;
    for m in &r.metalayers {
        match &m.value {
            Some(v) => writeln!(out, "  {}: {} bytes = {}", m.name, m.size, compact(v))?,
            None => {
                writeln!(out, "  {}: {} bytes (not msgpack) {}", m.name, m.size, &m.raw_hex[..m.raw_hex.len().min(64)])?
            }
        }
    }
    writeln!(out, "vlmetalayers: {}", r.vlmetalayers.len())?;
    for m in &r.vlmetalayers {
        match (&m.value, &m.error) {
            (_, Some(e)) => writeln!(out, "  {}: {} bytes stored, unreadable: {e}", m.name, m.cbytes)?,
            (Some(v), None) => {
                writeln!(out, "  {}: {} bytes ({} stored) = {}", m.name, m.size.unwrap_or(0), m.cbytes, compact(v))?
            }
            (None, None) => writeln!(out, "  {}: {} bytes stored", m.name, m.cbytes)?,
        }
    }
    if let Some(Value::Object(a)) = &r.array {
        writeln!(out, "array:")?;
        for (k, v) in a {
            writeln!(out, "  {k}: {}", compact(v))?;
        }
    }
    writeln!(out, "chunks: {}", r.nchunks)?;
    if !r.chunks.is_empty() {
        writeln!(
            out,
            "  {:>8} {:>12} {:>12} {:>9}  {:<8} {:<24} coding",
            "index", "nbytes", "cbytes", "ratio", "special", "location"
        )?;
    }
    for c in &r.chunks {
        if let Some(e) = &c.error {
            writeln!(out, "  {:>8} unreadable: {e}", c.index)?;
            continue;
        }
        let special = match &c.value {
            Some(v) => format!("{}={v}", c.special),
            None => c.special.to_string(),
        };
        let coding = c.coding.as_ref().map(ChunkCoding::summary).unwrap_or_default();
        writeln!(
            out,
            "  {:>8} {:>12} {:>12} {:>9.3}  {:<8} {:<24} {coding}",
            c.index, c.nbytes, c.cbytes, c.ratio, special, c.location
        )?;
    }
    Ok(())
}

/// Runs `blosc2 info`.
pub fn run(args: InfoArgs) -> Result<()> {
    let frame = crate::frame_cmd::open_frame(&args.file)?;
    let r = report(&args.file, &frame);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &r)?;
        writeln!(out)?;
    } else {
        print_text(&r, &mut out)?;
    }
    std::io::Write::flush(&mut out)?;
    let bad = r.chunks.iter().filter(|c| c.error.is_some()).count();
    if bad > 0 {
        bail!("{}: {bad} of {} chunk headers are unreadable", args.file.display(), r.nchunks);
    }
    Ok(())
}

use std::io::Write as _;
