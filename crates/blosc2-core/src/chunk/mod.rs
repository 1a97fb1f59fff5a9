//! Chunks: compress and decompress one buffer of up to 2 GiB, read parts of it, build and
//! recognize special chunks (`shared/spec/chunk.md`).
//!
//! The functions here are the public face; the work is in the private `compressor` and
//! `decompressor` modules, [`blocksize`] and [`special`]. [`partial`] reads only the blocks
//! a range needs from storage read by position.

mod block_view;
pub mod blocksize;
mod compressor;
mod decompressor;
mod dict;
pub mod partial;
mod pool;
pub mod sparse;
pub mod special;

use crate::codec::CodecId;
use crate::error::Result;
use crate::filter::Pipeline;
pub use crate::geometry::NdGeometry;
pub use crate::header::{ChunkHeader, SpecialKind};
pub use block_view::{DecodedBlock, ShuffledBlock, StoredPlanes};
pub use pool::{with_helper, Helper};
pub use sparse::{nonzero_blocks, SparseChunkEncoder};

/// How blocks are split into streams (C: `BLOSC_*_SPLIT`; a frame stores `value - 1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SplitMode {
    /// Always split blocks into `typesize` streams.
    Always,
    /// Never split.
    Never,
    /// Split when it usually pays (python-blosc2's default).
    #[default]
    Auto,
    /// Like `Auto` (C-Blosc2's default).
    ForwardCompat,
}

impl SplitMode {
    /// The C value (1-4).
    pub fn code(self) -> u8 {
        match self {
            SplitMode::Always => 1,
            SplitMode::Never => 2,
            SplitMode::Auto => 3,
            SplitMode::ForwardCompat => 4,
        }
    }

    /// The mode for a C value (1-4).
    pub fn from_code(code: u8) -> Option<SplitMode> {
        Some(match code {
            1 => SplitMode::Always,
            2 => SplitMode::Never,
            3 => SplitMode::Auto,
            4 => SplitMode::ForwardCompat,
            _ => return None,
        })
    }

    /// Name as python-blosc2 spells it, lower case (`always`, `never`, `auto`, `forward_compat`).
    pub fn name(self) -> &'static str {
        match self {
            SplitMode::Always => "always",
            SplitMode::Never => "never",
            SplitMode::Auto => "auto",
            SplitMode::ForwardCompat => "forward_compat",
        }
    }

    /// The mode for a name (also accepts `forward-compat` and python's `*_split` spellings).
    pub fn from_name(name: &str) -> Option<SplitMode> {
        let n = name.to_ascii_lowercase().replace('-', "_");
        let n = n.trim_end_matches("_split");
        Some(match n {
            "always" => SplitMode::Always,
            "never" => SplitMode::Never,
            "auto" => SplitMode::Auto,
            "forward_compat" => SplitMode::ForwardCompat,
            _ => return None,
        })
    }
}

/// Compression parameters, named as in C-Blosc2's `blosc2_cparams`. The default equals
/// python-blosc2's `CParams()`: zstd, clevel 5, typesize 8, shuffle, automatic block size,
/// automatic split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressParams {
    /// The codec.
    pub codec: CodecId,
    /// Codec parameter byte (0 for built-in codecs).
    pub codec_meta: u8,
    /// Compression level 0-9 (0 stores the data as is).
    pub clevel: u8,
    /// Element size in bytes (1..=536,866,816; above 255 the chunk is processed as bytes).
    pub typesize: usize,
    /// The six-slot filter pipeline.
    pub filters: Pipeline,
    /// Block size in bytes; 0 chooses it as C-Blosc2 does.
    pub blocksize: usize,
    /// Stream splitting.
    pub splitmode: SplitMode,
    /// Threads used to compress blocks (1 = in the calling thread).
    pub nthreads: usize,
    /// Compress every stream with a dictionary built from the chunk itself and stored in it
    /// (C: `use_dict`; ZSTD, LZ4 and LZ4HC only, see `shared/spec/chunk.md` 7). Ignored at
    /// clevel 0; chunks too small to give a useful dictionary are compressed without one.
    pub use_dict: bool,
    /// The b2nd geometry of the array the chunk belongs to, for the codecs and filters
    /// that work on n-dimensional blocks (NDLZ, NDCELL, NDMEAN; C-Blosc2's plugins read it
    /// from the super-chunk's `b2nd` metalayer). `None` for plain buffers.
    pub geometry: Option<NdGeometry>,
}

impl Default for CompressParams {
    fn default() -> Self {
        CompressParams {
            codec: CodecId::ZSTD,
            codec_meta: 0,
            clevel: 5,
            typesize: 8,
            filters: Pipeline::shuffle(),
            blocksize: 0,
            splitmode: SplitMode::Auto,
            nthreads: 1,
            use_dict: false,
            geometry: None,
        }
    }
}

/// The thread pool of `nthreads` workers that [`compress`] (with `params.nthreads ==
/// nthreads`) and [`decompress_into`] (with `nthreads`) spread blocks over, built on first
/// use and shared for the life of the process.
///
/// For callers that also spread chunks over threads (a pipeline compressing the next chunk
/// while the previous one is written): calls of those functions from work running on this
/// pool use it as it is, so chunks and their blocks share the same `nthreads` workers
/// instead of starting a second pool.
pub fn thread_pool(nthreads: usize) -> std::sync::Arc<rayon::ThreadPool> {
    pool::pool(nthreads.max(1))
}

/// Compresses `src` into a new chunk (a [`Compressor`] made for one call).
///
/// # Errors
/// [`crate::Error::InvalidParam`] for parameters out of range, filter errors for filters
/// that cannot run with this typesize, codec errors.
pub fn compress(params: &CompressParams, src: &[u8]) -> Result<Vec<u8>> {
    compressor::compress(params, src, compressor::Threads::Own)
}

/// Compresses `src` into `dst`, returning the chunk length. A `dst` of
/// `src.len() + MAX_OVERHEAD` bytes always suffices.
///
/// # Errors
/// As [`compress`], plus [`crate::Error::DestinationTooSmall`] when not even a memcpyed
/// chunk fits `dst`.
pub fn compress_into(params: &CompressParams, src: &[u8], dst: &mut [u8]) -> Result<usize> {
    compressor::compress_into(params, src, dst, compressor::Threads::Own)
}

/// As [`compress_into`], except that an input stored as is (incompressible) is not copied:
/// its chunk header is returned instead, for callers that write the header and the input
/// where they are (a frame writer that has room before the input). The chunk is the same.
///
/// # Errors
/// As [`compress_into`].
pub fn compress_into_or_stored(params: &CompressParams, src: &[u8], dst: &mut [u8]) -> Result<Encoded> {
    compressor::compress_into_or_stored(params, src, dst, compressor::Threads::Own)
}

/// What [`Compressor::compress_into_or_stored`] produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoded {
    /// A chunk of this many bytes at the start of the destination.
    Chunk(usize),
    /// The input is to be stored as is (it does not compress): the chunk is this header
    /// followed by the input. Nothing was written to the destination.
    Stored([u8; crate::header::EXTENDED_HEADER_LEN]),
}

/// Compresses chunks (C: a compression context, `blosc2_create_cctx`): the parameters and
/// the threads the blocks of a chunk run on.
///
/// Blocks run on the shared pool of `params.nthreads` workers ([`thread_pool`]; serially
/// for one), or, with [`Compressor::on_current_pool`], on the rayon pool the caller runs
/// on. The bytes written do not depend on the threads. [`Compressor::compress`] works in
/// an output buffer of the calling thread's, kept from chunk to chunk (chunks up to 32
/// MiB), so a writer of many chunks allocates only the chunks it keeps; a compressor is
/// `Sync` and can be shared by the threads of a parallel writer.
///
/// ```
/// use blosc2_core::chunk::{CompressParams, Compressor, Decompressor};
///
/// let data: Vec<u8> = (0..100_000u32).flat_map(|v| (v / 7).to_le_bytes()).collect();
/// let c = Compressor::new(CompressParams { typesize: 4, nthreads: 2, ..CompressParams::default() });
/// let chunk = c.compress(&data).unwrap();
/// assert!(chunk.len() < data.len() / 10);
/// let mut out = vec![0u8; data.len()];
/// Decompressor::default().with_nthreads(2).decompress_into(&chunk, &mut out).unwrap();
/// assert_eq!(out, data);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Compressor {
    params: CompressParams,
    threads: compressor::Threads,
}

impl Compressor {
    /// A compressor whose blocks run on the shared pool of `params.nthreads` workers.
    pub fn new(params: CompressParams) -> Compressor {
        Compressor { params, threads: compressor::Threads::Own }
    }

    /// A compressor whose blocks run on the rayon pool of the calling thread, all of its
    /// workers (`params.nthreads` is not used): for callers that compress several chunks in
    /// parallel on that pool, so that a worker out of chunks takes blocks of a costly one.
    pub fn on_current_pool(params: CompressParams) -> Compressor {
        Compressor { params, threads: compressor::Threads::Current }
    }

    /// The parameters of the next chunks.
    pub fn params(&self) -> &CompressParams {
        &self.params
    }

    /// Changes the parameters of the next chunks (threads stay where they run).
    pub fn set_params(&mut self, params: CompressParams) {
        self.params = params;
    }

    /// Compresses `src` into a new chunk.
    ///
    /// # Errors
    /// As [`compress`].
    pub fn compress(&self, src: &[u8]) -> Result<Vec<u8>> {
        compressor::compress(&self.params, src, self.threads)
    }

    /// Compresses `src` into `dst`, returning the chunk length (see [`compress_into`]).
    ///
    /// # Errors
    /// As [`compress_into`].
    pub fn compress_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        compressor::compress_into(&self.params, src, dst, self.threads)
    }

    /// As [`Compressor::compress_into`], except that an input stored as is is not copied
    /// (see [`compress_into_or_stored`]).
    ///
    /// # Errors
    /// As [`compress_into`].
    pub fn compress_into_or_stored(&self, src: &[u8], dst: &mut [u8]) -> Result<Encoded> {
        compressor::compress_into_or_stored(&self.params, src, dst, self.threads)
    }
}

/// Decompresses a whole chunk into a new vector (single-threaded), with no array
/// geometry (see [`Decompressor`]).
///
/// # Errors
/// Any header, size or stream problem as a typed error.
pub fn decompress(chunk: &[u8]) -> Result<Vec<u8>> {
    Decompressor::default().decompress(chunk)
}

/// Decompresses a whole chunk into `dst` using `nthreads` threads; returns `nbytes`
/// (a [`Decompressor`] with `nthreads` threads and no geometry).
///
/// # Errors
/// [`crate::Error::DestinationTooSmall`] when `dst` cannot hold `nbytes`; any header, size
/// or stream problem as a typed error.
pub fn decompress_into(chunk: &[u8], dst: &mut [u8], nthreads: usize) -> Result<usize> {
    Decompressor::default().with_nthreads(nthreads).decompress_into(chunk, dst)
}

/// Decompresses bytes `start..start + dst.len()` of the chunk's content into `dst`, decoding
/// only the blocks they touch (and block 0 when DELTA needs it).
///
/// # Errors
/// [`crate::Error::RangeOutOfBounds`] when the range exceeds `nbytes`; any problem in the
/// blocks read.
pub fn decompress_range(chunk: &[u8], start: usize, dst: &mut [u8]) -> Result<()> {
    Decompressor::default().decompress_range(chunk, start, dst)
}

/// Decompresses items `start..start + n` (in units of the header typesize, like C-Blosc2's
/// `getitem`) into a new vector.
///
/// # Errors
/// As [`decompress_range`].
pub fn getitems(chunk: &[u8], start: usize, n: usize) -> Result<Vec<u8>> {
    Decompressor::default().getitems(chunk, start, n)
}

/// Decompresses block `index` into a new vector.
///
/// # Errors
/// [`crate::Error::RangeOutOfBounds`] for an index past the last block; any problem in the
/// block.
pub fn decompress_block(chunk: &[u8], index: usize) -> Result<Vec<u8>> {
    Decompressor::default().decompress_block(chunk, index)
}

/// Where the output of a whole-chunk decompression goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Output {
    /// To memory: chunks of [`crate::streaming::MIN_LEN`] bytes or more are written with
    /// streaming stores where the CPU has them, without first reading the destination into
    /// the cache (what a large destination array wants).
    #[default]
    Memory,
    /// Through the cache, for destinations read again right away (a scratch copy).
    Cached,
}

/// Decompresses chunks (C: a decompression context, `blosc2_create_dctx`): the threads a
/// chunk's blocks run on, where the output goes, and what chunks may need besides their
/// bytes (C: `blosc2_dparams`): the b2nd geometry of the array they belong to, without
/// which the NDCELL and NDMEAN filters cannot be undone. The free functions of this module
/// are those of `Decompressor::default()` (one thread, no geometry), which decodes every
/// other chunk. A decompressor is small and `Copy`: make one per call where threads vary.
///
/// ```
/// use blosc2_core::chunk::{CompressParams, Decompressor, NdGeometry};
/// use blosc2_core::filter::{FilterId, Pipeline};
///
/// let geometry = NdGeometry::new(&[16, 16], &[16, 16]).unwrap();
/// let mut filters = Pipeline::single(FilterId::NDCELL);
/// filters.meta[5] = 4; // 4x4 cells
/// let p = CompressParams { typesize: 4, filters, geometry: Some(geometry), ..CompressParams::default() };
/// let data: Vec<u8> = (0..256u32).flat_map(|v| (v % 16 + v / 64).to_le_bytes()).collect();
/// let chunk = blosc2_core::chunk::compress(&p, &data).unwrap();
/// assert_eq!(Decompressor::new(Some(geometry)).decompress(&chunk).unwrap(), data);
/// // Without the geometry NDCELL cannot be undone.
/// assert!(blosc2_core::chunk::decompress(&chunk).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decompressor {
    geometry: Option<NdGeometry>,
    nthreads: usize,
    output: Output,
}

impl Default for Decompressor {
    fn default() -> Decompressor {
        Decompressor::new(None)
    }
}

impl Decompressor {
    /// A one-thread decompressor for the chunks of an array of this geometry (`None`:
    /// plain buffers).
    pub fn new(geometry: Option<NdGeometry>) -> Decompressor {
        Decompressor { geometry, nthreads: 1, output: Output::Memory }
    }

    /// The same decompressor with the blocks of a whole chunk spread over the shared pool
    /// of `nthreads` workers ([`thread_pool`]; 0 counts as 1).
    #[must_use]
    pub fn with_nthreads(self, nthreads: usize) -> Decompressor {
        Decompressor { nthreads: nthreads.max(1), ..self }
    }

    /// The same decompressor writing whole chunks to `output`.
    #[must_use]
    pub fn with_output(self, output: Output) -> Decompressor {
        Decompressor { output, ..self }
    }

    /// The geometry given to the codecs and filters.
    pub fn geometry(&self) -> Option<&NdGeometry> {
        self.geometry.as_ref()
    }

    /// The threads a whole chunk's blocks are spread over.
    pub fn nthreads(&self) -> usize {
        self.nthreads
    }

    /// Decompresses a whole chunk into a new vector (on one thread).
    ///
    /// # Errors
    /// Any header, size or stream problem as a typed error.
    pub fn decompress(&self, chunk: &[u8]) -> Result<Vec<u8>> {
        decompressor::decompress(chunk, self.geometry())
    }

    /// Decompresses a whole chunk into `dst`; returns `nbytes`.
    ///
    /// # Errors
    /// [`crate::Error::DestinationTooSmall`] when `dst` cannot hold `nbytes`; any header,
    /// size or stream problem as a typed error.
    pub fn decompress_into(&self, chunk: &[u8], dst: &mut [u8]) -> Result<usize> {
        decompressor::decompress_into(chunk, self.geometry(), dst, self.nthreads, self.output == Output::Memory)
    }

    /// [`decompress_range`] with this decompressor's geometry.
    ///
    /// # Errors
    /// As [`decompress_range`].
    pub fn decompress_range(&self, chunk: &[u8], start: usize, dst: &mut [u8]) -> Result<()> {
        decompressor::decompress_range(chunk, self.geometry(), start, dst)
    }

    /// [`getitems`] with this decompressor's geometry.
    ///
    /// # Errors
    /// As [`decompress_range`].
    pub fn getitems(&self, chunk: &[u8], start: usize, n: usize) -> Result<Vec<u8>> {
        let h = ChunkHeader::parse(chunk)?;
        let ts = usize::from(h.typesize);
        let (a, len) = match (start.checked_mul(ts), n.checked_mul(ts)) {
            (Some(a), Some(len)) if a.checked_add(len).is_some_and(|e| e <= h.nbytes) => (a, len),
            _ => {
                return Err(crate::Error::RangeOutOfBounds { start, end: start.saturating_add(n), len: h.nbytes / ts })
            }
        };
        let mut out = crate::buffer::zeroed(len);
        decompressor::decompress_range(chunk, self.geometry(), a, &mut out)?;
        Ok(out)
    }

    /// [`decompress_block`] with this decompressor's geometry.
    ///
    /// # Errors
    /// As [`decompress_block`].
    pub fn decompress_block(&self, chunk: &[u8], index: usize) -> Result<Vec<u8>> {
        decompressor::decompress_block(chunk, self.geometry(), index)
    }

    /// Decodes block `index` into `out` (exactly the block's length), leaving a byte
    /// shuffle undone when it is the only filter to undo: a reader that needs a few
    /// elements of the block gathers them from the byte planes ([`ShuffledBlock`]) instead
    /// of unshuffling it all. With [`StoredPlanes::InPlace`], the codec streams the chunk
    /// holds as they are (incompressible planes) are not copied: the view reads them where
    /// they lie in `chunk`.
    ///
    /// Gives [`DecodedBlock::Plain`] for any other pipeline, blocks of one repeated byte,
    /// special and memcpyed chunks.
    ///
    /// # Errors
    /// [`crate::Error::RangeOutOfBounds`] for an index past the last block,
    /// [`crate::Error::InvalidParam`] when `out` is not the block's length; any problem in
    /// the block.
    pub fn decode_block<'a>(
        &self,
        chunk: &'a [u8],
        index: usize,
        out: &'a mut [u8],
        stored: StoredPlanes,
    ) -> Result<DecodedBlock<'a>> {
        decompressor::decode_block(chunk, self.geometry(), index, out, stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::flags;
    use crate::Error;

    /// Plugin codecs are flagged as C writes them: format 6 in the flags, the id in byte 22,
    /// the meta in byte 23, the plugin's version (1) in byte 1, and their blocks are not
    /// split under the automatic split mode.
    #[test]
    fn plugin_codec_header_fields() {
        // Every stream is a run: the codec itself is never called, as in C.
        let data = vec![7u8; 4096];
        for codec in CodecId::PLUGINS {
            let p = CompressParams { codec, codec_meta: 4, typesize: 1, ..CompressParams::default() };
            let c = compress(&p, &data).unwrap();
            let h = ChunkHeader::parse(&c).unwrap();
            assert_eq!((h.format(), h.udcodec, h.compcode_meta, h.versionlz), (6, codec.0, 4, 1), "{codec}");
            assert!(h.dont_split(), "{codec}");
            assert_ne!(h.flags & flags::MEMCPYED, flags::MEMCPYED);
            assert_eq!(decompress(&c).unwrap(), data, "{codec}");
        }
    }

    #[test]
    fn plugin_codecs_need_the_geometry_to_compress() {
        let data: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
        let p = CompressParams { codec: CodecId::NDLZ, codec_meta: 4, typesize: 1, ..CompressParams::default() };
        assert_eq!(compress(&p, &data), Err(Error::MissingGeometry { needed_by: "NDLZ" }));
        for codec in [CodecId::ZFP_ACC, CodecId::ZFP_PREC, CodecId::ZFP_RATE] {
            let p = CompressParams { codec, typesize: 4, ..CompressParams::default() };
            assert!(matches!(compress(&p, &data), Err(Error::MissingGeometry { .. })), "{codec}");
            // ZFP codes float32 and float64 values only, as C-Blosc2's plugin.
            let geometry = Some(NdGeometry::new(&[32, 32], &[32, 32]).unwrap());
            let p = CompressParams { codec, typesize: 1, geometry, ..CompressParams::default() };
            assert!(matches!(compress(&p, &data), Err(Error::InvalidParam { name: "typesize", .. })), "{codec}");
        }
        let p = CompressParams { codec: CodecId::NDLZ, codec_meta: 4, typesize: 1, ..CompressParams::default() };
        // Stored as is (clevel 0): no codec runs, the header still names it.
        let p = CompressParams { clevel: 0, ..p };
        let c = compress(&p, &data).unwrap();
        assert_eq!((c[22], c[23]), (CodecId::NDLZ.0, 4));
        assert_eq!(decompress(&c).unwrap(), data);
    }

    #[test]
    fn decoders_carry_their_geometry() {
        let g = NdGeometry::new(&[10, 20], &[5, 4]).unwrap();
        assert_eq!(Decompressor::new(Some(g)).geometry(), Some(&g));
        assert_eq!(Decompressor::default().geometry(), None);
        let data: Vec<u8> = (0..4000u32).flat_map(|i| (i / 3).to_le_bytes()).collect();
        let c = compress(&CompressParams { typesize: 4, blocksize: 1024, ..CompressParams::default() }, &data).unwrap();
        let d = Decompressor::new(Some(g));
        assert_eq!(d.decompress(&c).unwrap(), data);
        assert_eq!(d.getitems(&c, 10, 5).unwrap(), data[40..60]);
        assert_eq!(d.decompress_block(&c, 2).unwrap(), data[2048..3072]);
    }
}
