//! `blosc2 compress|decompress`: a file <-> a frame of many chunks (contiguous `.b2frame`
//! file or sparse-frame directory). Both stream through [`pipeline`]: reading, coding (on
//! all threads) and writing overlap, and memory holds a few chunks (plus the frame's
//! offsets), never the whole file. `-` reads the standard input or writes the standard
//! output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use anyhow::{bail, Context, Result};
use blosc2_core::buffer::zeroed;
use blosc2_core::chunk::{self, ChunkHeader, Encoded, SpecialKind};
use blosc2_core::frame::reader::SPARSE_INDEX;
use blosc2_core::frame::{Frame, FrameWriter};
use blosc2_core::header::{MAX_BUFFERSIZE, MAX_OVERHEAD};
use blosc2_core::schunk::Metalayers;
use clap::Args;

use crate::options::ChunkOptions;
use crate::output::{self, OutFile, OutputArgs};
use crate::pipeline;
use crate::progress::Progress;
use crate::threads::ThreadsArg;

/// Default chunk size of `blosc2 compress`: 8 MiB.
pub const DEFAULT_CHUNKSIZE: usize = 8 << 20;

/// Arguments of `blosc2 compress`.
#[derive(Args, Debug)]
pub struct CompressArgs {
    /// Input file (any size; read chunk by chunk), or `-` for the standard input.
    pub input: PathBuf,
    /// Output frame: a `.b2frame` file, a directory with `--sparse`, or `-` for the standard
    /// output (the frame is put together in a temporary file first: its header, which comes
    /// first, holds sizes known at the end).
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
    #[command(flatten)]
    pub tune: crate::tune_cmd::TuneArgs,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Arguments of `blosc2 decompress`.
#[derive(Args, Debug)]
pub struct DecompressArgs {
    /// Input frame: a contiguous frame file, a sparse-frame directory, or `-` for a
    /// contiguous frame on the standard input (kept in a temporary file while it is read:
    /// its chunk index comes last).
    pub input: PathBuf,
    /// Output file with the concatenated chunks, or `-` for the standard output.
    pub output: PathBuf,
    #[command(flatten)]
    pub threads: ThreadsArg,
    #[command(flatten)]
    pub out: OutputArgs,
}

/// Whether `b` holds only zeros (scanned 4 KiB at a time: a vectorized OR per piece, and
/// an early end at the first piece that is not zero).
fn all_zeros(b: &[u8]) -> bool {
    b.chunks(4096).all(|piece| piece.iter().fold(0u8, |acc, &x| acc | x) == 0)
}

/// Room for a chunk header before the input of `compress`.
const HEAD: usize = blosc2_core::header::EXTENDED_HEADER_LEN;

/// A compressed chunk, `buf[..clen]`, of `len` bytes of input: in an output buffer, or
/// (`stored`) in the input buffer, the input after the header of a chunk stored as is.
struct Compressed {
    buf: Vec<u8>,
    clen: usize,
    len: usize,
    stored: bool,
}

/// Runs `blosc2 compress`.
pub fn compress(args: CompressArgs) -> Result<()> {
    let params = args.options.params()?;
    let tuning = args.tune.tuning()?;
    if let Some(name) = crate::options::nd_plugin(&params) {
        bail!(
            "{name} works on the blocks of b2nd arrays, and a frame of plain chunks has no array geometry: \
             use 'blosc2 convert IN.npy OUT.b2nd' with the same options"
        );
    }
    if args.chunksize == 0 || args.chunksize > MAX_BUFFERSIZE {
        bail!("--chunksize {} out of range 1..={MAX_BUFFERSIZE}", args.chunksize);
    }
    let (input, output) = (&args.input, &args.output);
    let from_stdin = output::is_stdio(input);
    let to_stdout = output::is_stdio(output);
    if to_stdout && args.sparse {
        bail!("a sparse frame is a directory; it cannot go to the standard output");
    }
    let shown_in = output::shown(input, "the standard input");
    let mut f = if from_stdin {
        output::stdin()?
    } else {
        let f = std::fs::File::open(input).with_context(|| format!("cannot read {shown_in}"))?;
        if f.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            bail!("{shown_in} is a directory");
        }
        f
    };
    let total = f.metadata().ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
    // Where the frame is put together: a temporary name beside the target, or in the
    // temporary directory when it goes to the standard output.
    let target =
        if to_stdout { std::env::temp_dir().join("blosc2-stdout.b2frame") } else { output::resolve_target(output) };
    if !to_stdout {
        check_frame_target(&target, args.sparse)?;
    }
    output::remove_stale_temps(&target);
    let staged = output::temp_path(&target);
    // The header records one thread whatever the count used, so that the bytes written do
    // not depend on it (and equal those of earlier versions, whose default was 1).
    let recorded = blosc2_core::chunk::CompressParams { nthreads: 1, ..params.clone() };
    let mut w = FrameWriter::create(&staged, recorded, Metalayers::new(), args.sparse)
        .with_context(|| format!("cannot create {}", staged.display()))?;
    if args.checksum {
        w.enable_checksums()?;
    }
    let progress = Progress::new(total, "compress", args.out.quiet);
    if let Some(t) = tuning {
        // Tuned: chunks go one at a time through the tuner, in order.
        w.set_tuner(Some(Box::new(t.tuner)));
        let mut input = zeroed(args.chunksize);
        loop {
            let len = output::read_full(&mut f, &mut input).with_context(|| format!("cannot read {shown_in}"))?;
            if len == 0 {
                break;
            }
            w.append_buffer(&input[..len]).with_context(|| format!("cannot write {}", staged.display()))?;
            progress.inc(len as u64);
            if len < args.chunksize {
                break;
            }
        }
        w.vlmetalayers_mut().set_value("btune", &crate::tune_cmd::record_value(&t.cfg, &t.record))?;
        w.finish().with_context(|| format!("cannot write {}", staged.display()))?;
        progress.finish();
        return finish_output(output::Staged::new(staged), &target, to_stdout, args.out.sync);
    }
    let nthreads = params.nthreads;
    let chunksize = args.chunksize;
    let blocks = chunksize.div_ceil(blosc2_core::chunk::blocksize::compute_blocksize(&params, chunksize).max(1));
    // Buffers go round: the reader fills an input buffer, a worker compresses it into an
    // output buffer and hands the input back at once, the writer appends the output and
    // hands it back. So no more input buffers are made than chunks being read or coded, nor
    // output buffers than chunks being coded or written.
    let (free_in_tx, free_in_rx) = mpsc::channel::<Vec<u8>>();
    let (free_out_tx, free_out_rx) = mpsc::channel::<Vec<u8>>();
    let free_out_rx = Mutex::new(free_out_rx);
    let free_out_tx_w = free_out_tx.clone();
    let mut at_end = false;
    let source = move || -> Result<Option<(Vec<u8>, usize)>> {
        if at_end {
            return Ok(None);
        }
        // Read whole: huge pages (fewer faults). The room before the data takes the chunk
        // header when the chunk is stored as is.
        let mut input = free_in_rx.try_recv().unwrap_or_else(|_| zeroed(HEAD + chunksize));
        let len = output::read_full(&mut f, &mut input[HEAD..]).with_context(|| format!("cannot read {shown_in}"))?;
        at_end = len < chunksize;
        Ok((len > 0).then_some((input, len)))
    };
    let free_inputs = free_in_tx.clone();
    // The chunk of the last input of zeros (its length and bytes): a chunk of zeros of the
    // same length is the same chunk, so it is compressed once.
    let zero_chunk: Mutex<Option<(usize, Vec<u8>)>> = Mutex::new(None);
    let work = move |(mut input, len): (Vec<u8>, usize)| -> Result<Compressed> {
        // Written only as far as the chunk goes: plain pages, touched as needed.
        let reused = free_out_rx.lock().ok().and_then(|r| r.try_recv().ok());
        let mut out = reused.unwrap_or_else(|| vec![0u8; chunksize + MAX_OVERHEAD]);
        let zeros = all_zeros(&input[HEAD..HEAD + len]);
        if zeros {
            let known = zero_chunk.lock().ok().and_then(|z| z.as_ref().filter(|z| z.0 == len).map(|z| z.1.clone()));
            if let Some(c) = known {
                out[..c.len()].copy_from_slice(&c);
                let _ = free_in_tx.send(input);
                return Ok(Compressed { buf: out, clen: c.len(), len, stored: false });
            }
        }
        match chunk::compress_into_or_stored(&params, &input[HEAD..HEAD + len], &mut out) {
            Ok(Encoded::Chunk(clen)) if zeros => {
                if let Ok(mut z) = zero_chunk.lock() {
                    *z = Some((len, out[..clen].to_vec()));
                }
                let _ = free_in_tx.send(input);
                Ok(Compressed { buf: out, clen, len, stored: false })
            }
            Ok(Encoded::Chunk(clen)) => {
                let _ = free_in_tx.send(input);
                Ok(Compressed { buf: out, clen, len, stored: false })
            }
            Ok(Encoded::Stored(header)) => {
                // Incompressible: the chunk is the header and the input, where it was read.
                let _ = free_out_tx_w.send(out);
                input[..HEAD].copy_from_slice(&header);
                Ok(Compressed { buf: input, clen: HEAD + len, len, stored: true })
            }
            Err(e) => Err(e.into()),
        }
    };
    let sink = |c: Compressed| -> Result<()> {
        w.append_chunk_bytes(&c.buf[..c.clen]).with_context(|| format!("cannot write {}", staged.display()))?;
        progress.inc(c.len as u64);
        let _ = if c.stored { free_inputs.send(c.buf) } else { free_out_tx.send(c.buf) };
        Ok(())
    };
    pipeline::run(nthreads, pipeline::lanes(nthreads, blocks), source, work, sink)?;
    w.finish().with_context(|| format!("cannot write {}", staged.display()))?;
    progress.finish();
    finish_output(output::Staged::new(staged), &target, to_stdout, args.out.sync)
}

/// Moves the finished frame to its target, or copies it to the standard output.
fn finish_output(staged: output::Staged, target: &Path, to_stdout: bool, sync: bool) -> Result<()> {
    if to_stdout {
        let mut frame =
            std::fs::File::open(staged.path()).with_context(|| format!("cannot read {}", staged.path().display()))?;
        drop(staged);
        let mut out = output::stdout()?;
        std::io::copy(&mut frame, &mut out).context("cannot write to the standard output")?;
        return Ok(());
    }
    staged.commit(target, sync)
}

/// Refuses targets a frame cannot replace: a directory for a contiguous frame, anything
/// but a sparse frame for a sparse one.
pub fn check_frame_target(target: &Path, sparse: bool) -> Result<()> {
    let Ok(meta) = std::fs::metadata(target) else { return Ok(()) };
    if sparse && !target.join(SPARSE_INDEX).is_file() {
        bail!("cannot create {}: the target of a sparse frame exists and is not a sparse frame", target.display());
    }
    if !sparse && meta.is_dir() {
        bail!("cannot create {}: it is a directory", target.display());
    }
    Ok(())
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

/// A frame read from the standard input into a temporary file (removed once the frame is
/// open: the open file stays readable).
fn spool_stdin() -> Result<Frame> {
    let target = std::env::temp_dir().join("blosc2-stdin.b2frame");
    output::remove_stale_temps(&target);
    let path = output::temp_path(&target);
    let result = (|| {
        let mut f = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        std::io::copy(&mut output::stdin()?, &mut f).context("cannot read the standard input")?;
        drop(f);
        Frame::open(&path).context("cannot open the standard input as a Blosc2 frame")
    })();
    let _ = std::fs::remove_file(&path);
    result
}

/// An empty buffer with room for `room` bytes of chunk, in huge pages where the system gives
/// them (fewer page faults when it fills).
fn chunk_buffer(room: usize) -> Vec<u8> {
    let mut c = zeroed(room);
    c.clear();
    c
}

/// A decompressed chunk: `buf[at..at + len]`, or `len` zero bytes to leave as a hole.
struct Decompressed {
    buf: Vec<u8>,
    at: usize,
    len: usize,
    from: Where,
}

/// Where a decompressed chunk's bytes are.
enum Where {
    /// In a content buffer.
    Decoded,
    /// In the chunk buffer itself (a chunk stored as is).
    Chunk,
    /// Nowhere: zeros, left as a hole in the output file.
    Hole,
}

/// Where `decompress` writes: a file under the durability rule, or the standard output.
enum Out {
    File(OutFile),
    Stdout(std::fs::File),
}

impl Out {
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Out::File(f) => f.write_all(b),
            Out::Stdout(f) => f.write_all(b),
        }
    }

    /// Leaves `n` zero bytes as a hole (a file only: the position moves on, and the length
    /// is set at the end).
    fn skip(&mut self, n: u64) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        match self {
            Out::File(f) => {
                f.file().seek(SeekFrom::Current(i64::try_from(n).map_err(std::io::Error::other)?)).map(drop)
            }
            Out::Stdout(_) => Err(std::io::Error::other("no holes in a stream")),
        }
    }
}

/// Runs `blosc2 decompress`.
pub fn decompress(args: DecompressArgs) -> Result<()> {
    let input = &args.input;
    let shown_in = output::shown(input, "the standard input");
    let frame = if output::is_stdio(input) {
        spool_stdin()?
    } else {
        if is_b2nd(input, None) {
            bail!("{shown_in} is a b2nd array file; extract its data with 'blosc2 slice' or 'blosc2 convert'");
        }
        open_frame(input)?
    };
    if is_b2nd(input, Some(&frame)) {
        bail!(
            "{shown_in} is a b2nd array (it has a b2nd metalayer); extract its data with 'blosc2 slice' or 'blosc2 convert'"
        );
    }
    let nthreads = args.threads.get();
    let expected = frame.header().nbytes;
    let nchunks = frame.nchunks();
    let shown_out = output::shown(&args.output, "the standard output");
    let mut out = if output::is_stdio(&args.output) {
        Out::Stdout(output::stdout()?)
    } else {
        Out::File(OutFile::create(&args.output, args.out.sync)?)
    };
    let progress = Progress::new(Some(expected), "decompress", args.out.quiet);
    // Chunks of zeros (special chunks: known without decoding) become holes in an output
    // file, as `cp --sparse=auto` leaves them: nothing to fill, copy or store.
    let holes = matches!(out, Out::File(_));
    // Buffers go round: the reader fills a chunk buffer, a worker decompresses it into a
    // content buffer and hands the chunk buffer back at once, the writer writes the content
    // and hands it back.
    let (free_in_tx, free_in_rx) = mpsc::channel::<Vec<u8>>();
    let (free_out_tx, free_out_rx) = mpsc::channel::<Vec<u8>>();
    let free_out_rx = Mutex::new(free_out_rx);
    // The first chunk is read here: its blocks per chunk set how many chunks are in flight.
    let room = usize::try_from(frame.header().chunksize).unwrap_or(0).min(MAX_BUFFERSIZE) + MAX_OVERHEAD;
    let mut first = None;
    let mut blocks = 1;
    if nchunks > 0 {
        let mut c = chunk_buffer(room);
        frame.chunk_into(0, &mut c).with_context(|| format!("{shown_in}: cannot read chunk 0"))?;
        if let Ok(h) = ChunkHeader::parse(&c) {
            blocks = h.nbytes.div_ceil(h.blocksize());
        }
        first = Some((0, c));
    }
    let mut i = u64::from(first.is_some());
    let shown = shown_in.clone();
    let source = move || -> Result<Option<(u64, Vec<u8>)>> {
        if let Some(c) = first.take() {
            return Ok(Some(c));
        }
        if i == nchunks {
            return Ok(None);
        }
        let mut c = free_in_rx.try_recv().unwrap_or_else(|_| chunk_buffer(room));
        frame.chunk_into(i, &mut c).with_context(|| format!("{shown}: cannot read chunk {i}"))?;
        i += 1;
        Ok(Some((i - 1, c)))
    };
    let shown = shown_in.clone();
    let free_chunks = free_in_tx.clone();
    let work = move |(i, c): (u64, Vec<u8>)| -> Result<Decompressed> {
        let h = ChunkHeader::parse(&c).with_context(|| format!("{shown}: chunk {i} is invalid"))?;
        if holes && h.special() == Some(SpecialKind::Zeros) {
            let _ = free_in_tx.send(c);
            return Ok(Decompressed { buf: Vec::new(), at: 0, len: h.nbytes, from: Where::Hole });
        }
        if h.is_memcpyed() && !h.is_vl_blocks() && h.special().is_none() && h.cbytes == h.header_len() + h.nbytes {
            // Stored as is (incompressible data): the content is the chunk after its header,
            // written from where it was read.
            return Ok(Decompressed { at: h.header_len(), len: h.nbytes, buf: c, from: Where::Chunk });
        }
        let reused = free_out_rx.lock().ok().and_then(|r| r.try_recv().ok());
        let mut out = reused.filter(|o| o.len() >= h.nbytes).unwrap_or_else(|| zeroed(h.nbytes));
        let d = chunk::Decompressor::default().with_nthreads(nthreads).with_output(chunk::Output::Cached);
        let done = d.decompress_into(&c, &mut out[..h.nbytes]);
        let _ = free_in_tx.send(c);
        done.with_context(|| format!("{shown}: cannot decompress chunk {i}"))?;
        Ok(Decompressed { buf: out, at: 0, len: h.nbytes, from: Where::Decoded })
    };
    let mut total = 0u64;
    let sink = |d: Decompressed| -> Result<()> {
        match d.from {
            Where::Hole => out.skip(d.len as u64),
            _ => out.write_all(&d.buf[d.at..d.at + d.len]),
        }
        .with_context(|| format!("cannot write {shown_out}"))?;
        total += d.len as u64;
        progress.inc(d.len as u64);
        let _ = match d.from {
            Where::Decoded => free_out_tx.send(d.buf),
            Where::Chunk => free_chunks.send(d.buf),
            Where::Hole => Ok(()),
        };
        Ok(())
    };
    pipeline::run(nthreads, pipeline::lanes(nthreads, blocks), source, work, sink)?;
    progress.finish();
    if total != expected {
        bail!("{shown_in}: chunks hold {total} bytes but the header says {expected}");
    }
    match out {
        Out::File(mut f) => {
            // Trailing holes: the length the skipped zeros end at.
            f.file().set_len(total).with_context(|| format!("cannot write {shown_out}"))?;
            f.commit()
        }
        Out::Stdout(_) => Ok(()),
    }
}
