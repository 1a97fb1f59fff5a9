//! `blosc2 compress|decompress`: a file <-> a frame of many chunks (contiguous `.b2frame`
//! file or sparse-frame directory). Both stream: memory holds one chunk of input and one
//! compressed chunk (plus the frame's offsets), never the whole file.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{self, ChunkHeader};
use blosc2_core::frame::{Frame, FrameWriter};
use blosc2_core::header::MAX_BUFFERSIZE;
use blosc2_core::schunk::Metalayers;
use clap::Args;

use crate::options::ChunkOptions;

/// Default chunk size of `blosc2 compress`: 8 MiB.
pub const DEFAULT_CHUNKSIZE: usize = 8 << 20;

/// Arguments of `blosc2 compress`.
#[derive(Args, Debug)]
pub struct CompressArgs {
    /// Input file (any size; read chunk by chunk).
    pub input: PathBuf,
    /// Output frame: a `.b2frame` file, or a directory with `--sparse`.
    pub output: PathBuf,
    #[command(flatten)]
    pub options: ChunkOptions,
    /// Uncompressed bytes per chunk (the last chunk may be shorter).
    #[arg(long, default_value_t = DEFAULT_CHUNKSIZE)]
    pub chunksize: usize,
    /// Write a sparse frame: a directory with one file per chunk and a `chunks.b2frame` index.
    #[arg(long)]
    pub sparse: bool,
    /// Record a CRC-32 of every compressed chunk in a `checksums` vlmetalayer (ignored by
    /// python-blosc2 and C-Blosc2; checked by `blosc2 verify`).
    #[arg(long)]
    pub checksum: bool,
}

/// Arguments of `blosc2 decompress`.
#[derive(Args, Debug)]
pub struct DecompressArgs {
    /// Input frame: a contiguous frame file or a sparse-frame directory.
    pub input: PathBuf,
    /// Output file with the concatenated chunks.
    pub output: PathBuf,
    /// Threads per chunk.
    #[arg(long, default_value_t = 1)]
    pub nthreads: usize,
}

/// Fills `buf` from `r` as far as the input allows; returns the bytes read (short only at
/// the end of the input).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Runs `blosc2 compress`.
pub fn compress(args: CompressArgs) -> Result<()> {
    let params = args.options.params()?;
    if let Some(name) = crate::options::nd_plugin(&params) {
        bail!(
            "{name} works on the blocks of b2nd arrays, and a frame of plain chunks has no array geometry: \
             use 'blosc2 convert IN.npy OUT.b2nd' with the same options"
        );
    }
    if args.chunksize == 0 || args.chunksize > MAX_BUFFERSIZE {
        bail!("--chunksize {} out of range 1..={MAX_BUFFERSIZE}", args.chunksize);
    }
    let input = &args.input;
    let mut f = std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        bail!("{} is a directory", input.display());
    }
    let mut w = FrameWriter::create(&args.output, params, Metalayers::new(), args.sparse)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    if args.checksum {
        w.enable_checksums()?;
    }
    let mut buf = vec![0u8; args.chunksize];
    loop {
        let n = read_full(&mut f, &mut buf).with_context(|| format!("cannot read {}", input.display()))?;
        if n > 0 {
            w.append_buffer(&buf[..n])?;
        }
        if n < buf.len() {
            break;
        }
    }
    w.finish().with_context(|| format!("cannot write {}", args.output.display()))
}

/// Whether `path` holds a b2nd array (by extension or by its `b2nd` metalayer).
pub fn is_b2nd(path: &Path, frame: Option<&Frame>) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("b2nd"))
        || frame.is_some_and(|f| f.metalayers().contains("b2nd"))
}

/// Opens a frame file or sparse directory with a message naming the path.
pub fn open_frame(path: &Path) -> Result<Frame> {
    Frame::open(path).with_context(|| format!("cannot open {} as a Blosc2 frame", path.display()))
}

/// Runs `blosc2 decompress`.
pub fn decompress(args: DecompressArgs) -> Result<()> {
    let input = &args.input;
    if is_b2nd(input, None) {
        bail!("{} is a b2nd array file; extract its data with 'blosc2 slice' or 'blosc2 convert'", input.display());
    }
    let frame = open_frame(input)?;
    if is_b2nd(input, Some(&frame)) {
        bail!(
            "{} is a b2nd array (it has a b2nd metalayer); extract its data with 'blosc2 slice' or 'blosc2 convert'",
            input.display()
        );
    }
    let out = &args.output;
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut buf = Vec::new();
        let mut total = 0u64;
        for i in 0..frame.nchunks() {
            let c = frame.chunk(i).with_context(|| format!("{}: cannot read chunk {i}", input.display()))?;
            let h = ChunkHeader::parse(&c).with_context(|| format!("{}: chunk {i} is invalid", input.display()))?;
            buf.resize(h.nbytes, 0);
            chunk::decompress_into(&c, &mut buf, args.nthreads.max(1))
                .with_context(|| format!("{}: cannot decompress chunk {i}", input.display()))?;
            w.write_all(&buf).with_context(|| format!("cannot write {}", tmp.display()))?;
            total += buf.len() as u64;
        }
        if total != frame.header().nbytes {
            bail!("{}: chunks hold {total} bytes but the header says {}", input.display(), frame.header().nbytes);
        }
        let file =
            w.into_inner().map_err(|e| e.into_error()).with_context(|| format!("cannot write {}", tmp.display()))?;
        file.sync_all().ok();
        std::fs::rename(&tmp, out).with_context(|| format!("cannot rename to {}", out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
