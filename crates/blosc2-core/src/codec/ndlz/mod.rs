//! NDLZ (codec id 32), the C-Blosc2 plugin codec for 2-d blocks of bytes
//! (`plugins/codecs/ndlz/` in C-Blosc2): a Lempel-Ziv codec on 4x4 or 8x8 cells
//! (`codec_meta` 4 or 8) that refers back to earlier cells, or pairs and triples of their
//! rows, through hash tables of the xxHash32 of cells and rows ([`xxh32`]).
//!
//! This is a port of C-Blosc2's encoder and decoder: the hash tables start empty for every
//! stream, so the output is a function of the input and is the same as C's, byte for byte.
//!
//! A stream starts with `2` (ndim), then the block shape as two little-endian `i32`; then
//! one token per cell, cells in C order:
//!
//! | token | cell |
//! |---|---|
//! | 0 | literal: the cell's bytes (rows cut short at the block's edges) |
//! | 64 | every byte equal: one byte follows |
//! | 192 | equal to an earlier literal cell: `u16` distance back from the token |
//! | 4x4 pairs, triples | some rows equal to rows of an earlier literal cell: `u16` distance(s), then the other rows |
//! | 8x8 `168 + r` / `136 + r` | rows `r..r+3` / `r..r+2` equal to rows of an earlier literal: `u16` distance, then the other rows |
//!
//! Requirements, as C-Blosc2's encoder has them (it fails otherwise, and so do we, with
//! [`Error::InvalidCodecParams`]): a 2-d array; each stream exactly `blockshape[0] *
//! blockshape[1]` bytes, so 1-byte elements, or blocks split into one stream per byte
//! (split mode "always", which python-blosc2 then needs for wider types); a chunk whose last
//! block is partial fails for that block. The decoder needs no geometry: the block shape is
//! in the stream.
//!
//! One difference: C's encoder fails when it is given fewer than 9 bytes of room for a
//! stream (which happens only when the chunk is about to overflow its destination); here the
//! stream is then stored as it is, as for any codec that cannot compress it, and the chunk
//! is still one C-Blosc2 decodes.

mod cell4;
mod cell8;
mod cells;
pub mod xxh32;

use crate::error::{Error, Result};
use crate::geometry::NdGeometry;

use super::CodecId;

/// Bytes of the stream header: ndim and two `i32`.
const HEADER: usize = 9;
/// Matches at this distance or more are not used (C: `MAX_DISTANCE`).
const MAX_DISTANCE: usize = 65535;
/// Hash table size (C: `1 << 12`); hashes keep their top 12 bits.
const TABLE: usize = 1 << 12;

#[inline(always)]
fn hash(bytes: &[u8]) -> usize {
    (xxh32::xxh32(bytes, 1) >> 20) as usize
}

fn corrupt(reason: impl Into<String>) -> Error {
    Error::CorruptStream { codec: "ndlz", reason: reason.into() }
}

/// Compresses one stream of a block of the array described by `geometry` into `dst` (its
/// length is the room allowed). Returns the compressed length, or 0 when NDLZ gives up or
/// the result would not fit (the caller stores the stream as it is).
///
/// # Errors
/// [`Error::InvalidCodecParams`] where C-Blosc2's `ndlz_compress` fails: a meta other than
/// 4 or 8, an array that is not 2-d, a stream that is not `prod(blockshape)` bytes.
pub fn compress(meta: u8, typesize: usize, geometry: &NdGeometry, src: &[u8], dst: &mut [u8]) -> Result<usize> {
    let invalid = |reason| Error::InvalidCodecParams { codec: CodecId::NDLZ.0, typesize, meta, reason };
    if meta != 4 && meta != 8 {
        return Err(invalid("NDLZ's cell side (codec_meta) must be 4 or 8"));
    }
    if geometry.ndim() != 2 {
        return Err(invalid("NDLZ works on 2-d arrays only"));
    }
    let bs = geometry.blockshape();
    if bs[0].checked_mul(bs[1]) != Some(src.len()) {
        return Err(invalid(
            "a stream must be blockshape[0] * blockshape[1] bytes: 1-byte elements, or split mode always (one stream per byte)",
        ));
    }
    if dst.len() < HEADER {
        return Ok(0);
    }
    let shape = [bs[0], bs[1]];
    let n = if meta == 4 { cell4::compress(shape, src, dst) } else { cell8::compress(shape, src, dst) };
    Ok(n.unwrap_or(0))
}

/// Decodes one stream into `dst` (the stream's decoded size as the chunk says); returns the
/// bytes decoded, `blockshape[0] * blockshape[1]` as the stream says (the caller checks that
/// this is `dst.len()`).
///
/// # Errors
/// [`Error::InvalidCodecParams`] for a meta other than 4 or 8; [`Error::CorruptStream`]
/// where C-Blosc2's `ndlz_decompress` fails: a short or inconsistent header, a block shape
/// larger than `dst`, an unknown token, a reference or literal outside the stream.
pub fn decompress(meta: u8, src: &[u8], dst: &mut [u8]) -> Result<usize> {
    if meta != 4 && meta != 8 {
        return Err(Error::InvalidCodecParams {
            codec: CodecId::NDLZ.0,
            typesize: 1,
            meta,
            reason: "NDLZ's cell side (codec_meta) must be 4 or 8",
        });
    }
    if src.len() < HEADER {
        return Err(corrupt(format!("{} bytes, shorter than the 9-byte header", src.len())));
    }
    if src[0] != 2 {
        return Err(corrupt(format!("ndim {} (NDLZ streams are 2-d)", src[0])));
    }
    let dim = |at: usize| i32::from_le_bytes([src[at], src[at + 1], src[at + 2], src[at + 3]]);
    let (b0, b1) = (dim(1), dim(5));
    let (Ok(b0), Ok(b1)) = (usize::try_from(b0), usize::try_from(b1)) else {
        return Err(corrupt(format!("negative block shape [{b0}, {b1}]")));
    };
    let n = b0 as u64 * b1 as u64;
    if n > dst.len() as u64 {
        return Err(corrupt(format!("block shape [{b0}, {b1}] is larger than the {} bytes to decode", dst.len())));
    }
    let out = &mut dst[..n as usize];
    out.fill(0);
    if meta == 4 {
        cell4::decompress([b0, b1], src, out)?;
    } else {
        cell8::decompress([b0, b1], src, out)?;
    }
    Ok(n as usize)
}

/// A checked read of `len` bytes at `pos` of the stream (C: `NDLZ*_CHECK_RANGE`).
fn range(src: &[u8], pos: i64, len: usize) -> Result<&[u8]> {
    if pos < 0 || pos as u64 + len as u64 > src.len() as u64 {
        return Err(corrupt(format!(
            "reference to bytes {pos}..{} outside the {}-byte stream",
            pos + len as i64,
            src.len()
        )));
    }
    Ok(&src[pos as usize..pos as usize + len])
}

/// The `u16` at `pos` of the stream, checked.
fn read_u16(src: &[u8], pos: i64) -> Result<u16> {
    let b = range(src, pos, 2)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// Writes the header of a stream for a block of `shape` into `dst` (at least 9 bytes).
fn write_header(shape: [usize; 2], dst: &mut [u8]) {
    dst[0] = 2;
    dst[1..5].copy_from_slice(&(shape[0] as i32).to_le_bytes());
    dst[5..9].copy_from_slice(&(shape[1] as i32).to_le_bytes());
}

/// The extent of cell `i` of `ncells` along a dimension of `len` with cells of `side`: the
/// last one is cut short when `len` is not a multiple of `side`.
fn extent(i: usize, ncells: usize, len: usize, side: usize) -> usize {
    if i == ncells - 1 && !len.is_multiple_of(side) {
        len % side
    } else {
        side
    }
}

/// Copies the cell `cell` (rows of `pad[1]` bytes, one after the other, `pad[0]` of them)
/// to its place at `orig` in the block `out` of `width` columns.
/// Whole cells (`pad` is `[SIDE, SIDE]`) are copied row by row with fixed-size copies.
#[inline]
fn place<const SIDE: usize>(cell: &[u8], pad: [usize; 2], orig: usize, width: usize, out: &mut [u8]) {
    if pad == [SIDE, SIDE] && cell.len() >= SIDE * SIDE {
        for (i, row) in cell[..SIDE * SIDE].chunks_exact(SIDE).enumerate() {
            let at = orig + i * width;
            out[at..at + SIDE].copy_from_slice(row);
        }
        return;
    }
    for i in 0..pad[0] {
        let at = orig + i * width;
        out[at..at + pad[1]].copy_from_slice(&cell[i * pad[1]..(i + 1) * pad[1]]);
    }
}

#[cfg(test)]
mod tests;
