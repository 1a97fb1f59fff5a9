//! What a frame records about the super-chunk it holds, apart from the chunks: compression
//! parameters, the chunk-size state C-Blosc2 keeps, the uncompressed total, metalayers,
//! vlmetalayers and the optional checksum table (`shared/spec/frame.md` 3.1, 5, 6.1).
//!
//! A super-chunk (`schunk::SChunk`) and the [`super::FrameWriter`] each keep a
//! [`Descriptor`] and follow the frame's rules through it, so each rule is written once:
//!
//! * which chunks a frame accepts and how they set its chunk size ([`Descriptor::admit`],
//!   C-Blosc2's rules for appended, inserted and updated chunks);
//! * which chunks take no space, stored as special offsets ([`Descriptor::special_offset`]);
//! * the header, offsets chunk and trailer around the chunks ([`Descriptor::header`],
//!   [`Descriptor::parts`]);
//! * the checksum table kept in the vlmetalayers ([`super::checksum`]).

use std::borrow::Cow;

use super::checksum::{chunk_checksum, read_table, table_chunk, table_err, NAME as CHECKSUMS};
use super::header::{
    FrameHeader, FrameType, FLAG_OFFSETS_64, FLAG_VARIABLE_CHUNKS, FLAG_VL_BLOCKS, VERSION_FIXED, VERSION_VARIABLE,
};
use super::meta::{Metalayers, VlMetalayers, MAX_METALAYERS};
use super::offsets::{encode_offsets, special_offset, OffsetsStyle};
use super::reader::Frame;
use super::trailer::trailer_bytes;
use crate::chunk::{CompressParams, SpecialKind};
use crate::error::{Error, Result};
use crate::header::ChunkHeader;

/// How a chunk joins the others; C-Blosc2's chunk-size rules differ for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkOp {
    /// After the last chunk.
    Append,
    /// Before chunk `i` (`i == nchunks` appends).
    Insert(u64),
    /// In place of chunk `i`.
    Update(u64),
}

/// The chunk-size state C-Blosc2 keeps for a super-chunk (header fields `chunksize` and
/// the VL-blocks flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkSizes {
    /// > 0 fixed, 0 variable, -1 before the first chunk.
    pub(crate) chunksize: i32,
    /// Whether the chunks are VL-block chunks.
    pub(crate) vl_blocks: bool,
}

/// The state of a super-chunk that its frame records, besides the chunks themselves.
#[derive(Debug, Clone)]
pub(crate) struct Descriptor {
    /// Parameters new chunks are compressed with; the header records all but the geometry
    /// (its `use_dict` flag is `cparams.use_dict`).
    pub(crate) cparams: CompressParams,
    /// Threads used to decompress (recorded in the header).
    pub(crate) dnthreads: usize,
    /// The chunk size field: > 0 fixed, 0 variable, -1 before the first chunk.
    pub(crate) chunksize: i32,
    /// Whether the chunks are VL-block chunks.
    pub(crate) vl_blocks: bool,
    /// Sum of the chunks' uncompressed sizes.
    pub(crate) nbytes: u64,
    /// The fixed metalayers (in the header).
    pub(crate) metalayers: Metalayers,
    /// The variable-length metalayers (in the trailer).
    pub(crate) vlmetalayers: VlMetalayers,
    /// One checksum per chunk when checksums are on ([`super::checksum`]); stored in the
    /// vlmetalayers by [`Descriptor::sync_checksums`].
    pub(crate) checksums: Option<Vec<u32>>,
}

/// Parameters of a super-chunk stored in a frame header.
fn cparams_from_header(h: &FrameHeader) -> CompressParams {
    CompressParams {
        codec: h.codec,
        codec_meta: h.codec_meta,
        clevel: h.clevel,
        typesize: h.typesize,
        filters: h.filters,
        blocksize: h.blocksize,
        splitmode: h.splitmode,
        nthreads: h.nthreads_compress.max(1) as usize,
        use_dict: h.use_dict,
        geometry: None,
    }
}

/// The parts of a frame around its chunks.
pub(crate) struct FrameParts {
    /// The header, with its final `header_len` and `frame_len`.
    pub(crate) header: FrameHeader,
    /// The header as written (fixed part and metalayers).
    pub(crate) header_bytes: Vec<u8>,
    /// The offsets chunk (empty without chunks).
    pub(crate) offsets: Vec<u8>,
    /// The trailer (vlmetalayers).
    pub(crate) trailer: Vec<u8>,
}

impl Descriptor {
    /// A super-chunk without chunks, metalayers or checksums, whose chunks are compressed
    /// with `cparams`.
    pub(crate) fn new(cparams: CompressParams) -> Descriptor {
        Descriptor {
            cparams,
            dnthreads: 1,
            chunksize: -1,
            vl_blocks: false,
            nbytes: 0,
            metalayers: Metalayers::new(),
            vlmetalayers: VlMetalayers::new(),
            checksums: None,
        }
    }

    /// The super-chunk `frame` holds. A readable checksum table turns checksums on; a
    /// damaged one is left to verification.
    pub(crate) fn of_frame(frame: &Frame) -> Descriptor {
        let h = frame.header();
        let vlmetalayers = frame.vlmetalayers().clone();
        let checksums = read_table(&vlmetalayers, frame.nchunks()).and_then(Result::ok);
        Descriptor {
            cparams: cparams_from_header(h),
            dnthreads: h.nthreads_decompress.max(1) as usize,
            chunksize: h.chunksize,
            vl_blocks: h.general_flags & FLAG_VL_BLOCKS != 0,
            nbytes: h.nbytes,
            metalayers: frame.metalayers().clone(),
            vlmetalayers,
            checksums,
        }
    }

    /// Admits a chunk with header `h` joining `n` chunks by `op` under C-Blosc2's rules
    /// and returns the chunk-size state after it (to [`Descriptor::set_sizes`] once the
    /// chunk is stored): regular and VL-block chunks do not mix, a chunk holds at most
    /// 2 GiB, and the chunk size (set by the first chunk) turns variable (0) when a chunk is
    /// bigger, when a chunk follows a short last one, or when a chunk of another size goes
    /// anywhere but last. `last_nbytes` gives the uncompressed size of the current last
    /// chunk (called only when the rules need it).
    ///
    /// # Errors
    /// [`Error::IncompatibleChunk`]; errors of `last_nbytes`.
    pub(crate) fn admit(
        &self,
        h: &ChunkHeader,
        op: ChunkOp,
        n: u64,
        last_nbytes: impl FnOnce() -> Result<usize>,
    ) -> Result<ChunkSizes> {
        if n > 0 && h.is_vl_blocks() != self.vl_blocks {
            return Err(Error::IncompatibleChunk { reason: "regular and VL-block chunks cannot be mixed" });
        }
        if h.nbytes > i32::MAX as usize {
            return Err(Error::IncompatibleChunk { reason: "chunk above 2 GiB" });
        }
        let nb = h.nbytes as i32;
        let cs = if self.chunksize == -1 { nb } else { self.chunksize };
        let mut chunksize = cs;
        if cs > 0 {
            let variable = match op {
                ChunkOp::Append | ChunkOp::Insert(_) => {
                    let last_short = n > 0 && last_nbytes()? < cs as usize;
                    let mid = matches!(op, ChunkOp::Insert(i) if i != n) && nb != cs;
                    last_short || nb > cs || mid
                }
                ChunkOp::Update(i) => nb > cs || (i + 1 != n && nb != cs),
            };
            if variable {
                chunksize = 0;
            }
        }
        let vl_blocks = if n == 0 || (op == ChunkOp::Update(0) && n == 1) { h.is_vl_blocks() } else { self.vl_blocks };
        Ok(ChunkSizes { chunksize, vl_blocks })
    }

    /// The chunk-size state.
    pub(crate) fn sizes(&self) -> ChunkSizes {
        ChunkSizes { chunksize: self.chunksize, vl_blocks: self.vl_blocks }
    }

    /// Sets the chunk-size state (from [`Descriptor::admit`], or back to an earlier one).
    pub(crate) fn set_sizes(&mut self, sizes: ChunkSizes) {
        self.chunksize = sizes.chunksize;
        self.vl_blocks = sizes.vl_blocks;
    }

    /// The special offset a chunk of special kind `kind` is stored as, if any: zero, NaN
    /// and uninitialized chunks take no space while the chunk size is fixed (a frame of
    /// variable chunk size stores every chunk).
    pub(crate) fn special_offset(&self, kind: Option<SpecialKind>) -> Option<i64> {
        if self.chunksize <= 0 {
            return None;
        }
        kind.and_then(special_offset)
    }

    /// The frame header of this super-chunk with `data_len` bytes of chunks (`frame_len`
    /// and `header_len` left 0).
    pub(crate) fn header(&self, frame_type: FrameType, data_len: u64) -> FrameHeader {
        let variable = self.chunksize == 0;
        let mut flags = FLAG_OFFSETS_64;
        flags |= if variable || self.vl_blocks { VERSION_VARIABLE } else { VERSION_FIXED };
        if variable {
            flags |= FLAG_VARIABLE_CHUNKS;
        }
        if self.vl_blocks {
            flags |= FLAG_VL_BLOCKS;
        }
        let p = &self.cparams;
        FrameHeader {
            header_len: 0,
            frame_len: 0,
            general_flags: flags,
            frame_type,
            codec: p.codec,
            clevel: p.clevel,
            splitmode: p.splitmode,
            nbytes: self.nbytes,
            cbytes: data_len,
            typesize: p.typesize,
            blocksize: p.blocksize,
            chunksize: self.chunksize,
            nthreads_compress: p.nthreads.min(i16::MAX as usize) as i16,
            nthreads_decompress: self.dnthreads.min(i16::MAX as usize) as i16,
            has_vlmetalayers: !self.vlmetalayers.is_empty() || self.checksums.is_some(),
            filters: p.filters,
            codec_meta: p.codec_meta,
            use_dict: p.use_dict,
        }
    }

    /// Header, offsets chunk and trailer of a frame of this super-chunk whose chunks are at
    /// `offsets` and take `data_len` bytes (the chunks section of a contiguous frame, the
    /// chunk files of a sparse one), with `vlmetalayers` in the trailer: these, or
    /// [`Descriptor::vlmetalayers_to_write`].
    ///
    /// # Errors
    /// As [`encode_offsets`], [`trailer_bytes`] and [`FrameHeader::to_bytes`].
    pub(crate) fn parts(
        &self,
        frame_type: FrameType,
        offsets: &[i64],
        data_len: u64,
        vlmetalayers: &VlMetalayers,
    ) -> Result<FrameParts> {
        let offsets = if offsets.is_empty() { Vec::new() } else { encode_offsets(offsets, OffsetsStyle::Appended)? };
        let trailer = trailer_bytes(vlmetalayers)?;
        let mut header = self.header(frame_type, data_len);
        let header_len = header.to_bytes(&self.metalayers)?.len();
        let data = if frame_type == FrameType::Contiguous { data_len } else { 0 };
        header.frame_len = header_len as u64 + data + offsets.len() as u64 + trailer.len() as u64;
        let header_bytes = header.to_bytes(&self.metalayers)?;
        header.header_len = header_len;
        Ok(FrameParts { header, header_bytes, offsets, trailer })
    }

    /// Fails when the vlmetalayers have no room left for the checksum table.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when 16 other vlmetalayers exist.
    pub(crate) fn checksums_room(&self) -> Result<()> {
        if !self.vlmetalayers.contains(CHECKSUMS) && self.vlmetalayers.len() >= MAX_METALAYERS {
            return Err(table_err("no room for the checksum vlmetalayer (16 vlmetalayers exist)"));
        }
        Ok(())
    }

    /// Turns checksums on with the table `sums` (one per chunk) and stores it.
    ///
    /// # Errors
    /// As [`Descriptor::sync_checksums`].
    pub(crate) fn start_checksums(&mut self, sums: Vec<u32>) -> Result<()> {
        self.checksums = Some(sums);
        self.sync_checksums()
    }

    /// Records the checksum of a chunk inserted at `i`.
    pub(crate) fn checksum_insert(&mut self, i: u64, chunk: &[u8]) {
        if let Some(t) = &mut self.checksums {
            t.insert(i as usize, chunk_checksum(chunk));
        }
    }

    /// Records `count` copies of one chunk appended.
    pub(crate) fn checksum_extend(&mut self, chunk: &[u8], count: usize) {
        if let Some(t) = &mut self.checksums {
            t.extend(std::iter::repeat_n(chunk_checksum(chunk), count));
        }
    }

    /// Records the checksum of chunk `i` replaced.
    pub(crate) fn checksum_update(&mut self, i: u64, chunk: &[u8]) {
        if let Some(t) = &mut self.checksums {
            t[i as usize] = chunk_checksum(chunk);
        }
    }

    /// Forgets the checksum of chunk `i` deleted.
    pub(crate) fn checksum_remove(&mut self, i: u64) {
        if let Some(t) = &mut self.checksums {
            t.remove(i as usize);
        }
    }

    /// Stores the current checksum table in the vlmetalayers.
    ///
    /// # Errors
    /// Compression errors of the table.
    pub(crate) fn sync_checksums(&mut self) -> Result<()> {
        if let Some(t) = &self.checksums {
            let c = table_chunk(t)?;
            self.vlmetalayers.set_chunk(CHECKSUMS, c)?;
        }
        Ok(())
    }

    /// The vlmetalayers to write: the current ones with the checksum table refreshed.
    ///
    /// # Errors
    /// Compression errors of the table.
    pub(crate) fn vlmetalayers_to_write(&self) -> Result<Cow<'_, VlMetalayers>> {
        let Some(t) = &self.checksums else { return Ok(Cow::Borrowed(&self.vlmetalayers)) };
        let mut vl = self.vlmetalayers.clone();
        vl.set_chunk(CHECKSUMS, table_chunk(t)?)?;
        Ok(Cow::Owned(vl))
    }
}
