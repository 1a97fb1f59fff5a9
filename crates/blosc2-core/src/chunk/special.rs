//! Special chunks: zeros, NaN, uninitialized and repeated value, built and decoded without
//! touching data (`shared/spec/chunk.md` 6).

use super::blocksize::{compute_blocksize, header_typesize};
use super::CompressParams;
use crate::error::{Error, Part, Result};
use crate::filter::Pipeline;
use crate::header::{ChunkHeader, SpecialKind, EXTENDED_HEADER_LEN, MAX_BLOCKSIZE, MAX_BUFFERSIZE};

fn special_header(params: &CompressParams, kind: SpecialKind, nbytes: usize, body: usize) -> Result<ChunkHeader> {
    if nbytes > MAX_BUFFERSIZE {
        return Err(Error::InvalidParam {
            name: "nbytes",
            value: nbytes as i64,
            reason: "above the 2 GiB chunk limit",
        });
    }
    let ts = header_typesize(params.typesize);
    if ts == 0 {
        return Err(Error::InvalidParam { name: "typesize", value: 0, reason: "must be at least 1" });
    }
    if !nbytes.is_multiple_of(ts) && kind != SpecialKind::Zeros {
        return Err(Error::InvalidParam {
            name: "nbytes",
            value: nbytes as i64,
            reason: "not a multiple of the typesize",
        });
    }
    let blocksize = if nbytes == 0 { 1 } else { compute_blocksize(params, nbytes).max(1) };
    Ok(ChunkHeader {
        version: 5,
        versionlz: 1,
        flags: 0x05,
        typesize: ts as u8,
        nbytes,
        blocksize_field: blocksize,
        cbytes: EXTENDED_HEADER_LEN + body,
        filters: Pipeline::default(),
        udcodec: 0,
        compcode_meta: 0,
        flags2: 0,
        blosc2_flags: kind.code() << 4,
    })
}

/// A special chunk of `nbytes` zero bytes (C: `blosc2_chunk_zeros`).
///
/// # Errors
/// [`Error::InvalidParam`] when `nbytes` exceeds the chunk limit.
pub fn zeros(params: &CompressParams, nbytes: usize) -> Result<Vec<u8>> {
    Ok(special_header(params, SpecialKind::Zeros, nbytes, 0)?.to_bytes().to_vec())
}

/// A special chunk of NaNs (typesize 4 or 8) (C: `blosc2_chunk_nans`).
///
/// # Errors
/// [`Error::InvalidParam`] for other typesizes or an `nbytes` that is not a multiple of it.
pub fn nans(params: &CompressParams, nbytes: usize) -> Result<Vec<u8>> {
    if params.typesize != 4 && params.typesize != 8 {
        return Err(Error::InvalidParam {
            name: "typesize",
            value: params.typesize as i64,
            reason: "NaN chunks need typesize 4 or 8",
        });
    }
    Ok(special_header(params, SpecialKind::Nan, nbytes, 0)?.to_bytes().to_vec())
}

/// A special chunk whose content is undefined (read back as zeros) (C: `blosc2_chunk_uninit`).
///
/// # Errors
/// [`Error::InvalidParam`] when `nbytes` is not a multiple of the typesize.
pub fn uninit(params: &CompressParams, nbytes: usize) -> Result<Vec<u8>> {
    Ok(special_header(params, SpecialKind::Uninit, nbytes, 0)?.to_bytes().to_vec())
}

/// A special chunk repeating `value` (C: `blosc2_chunk_repeatval`); `value.len()` is the
/// element size and may differ from the header typesize.
///
/// # Errors
/// [`Error::InvalidParam`] when the value is empty, too large, or does not divide `nbytes`.
pub fn repeat_value(params: &CompressParams, nbytes: usize, value: &[u8]) -> Result<Vec<u8>> {
    if value.is_empty() || value.len() > MAX_BLOCKSIZE || !nbytes.is_multiple_of(value.len()) {
        return Err(Error::InvalidParam {
            name: "value",
            value: value.len() as i64,
            reason: "value size must be 1..=536866816 and divide nbytes",
        });
    }
    let mut p = params.clone();
    p.typesize = value.len();
    let mut h = special_header(&p, SpecialKind::Value, nbytes, value.len())?;
    h.typesize = header_typesize(params.typesize) as u8;
    let mut out = h.to_bytes().to_vec();
    out.extend_from_slice(value);
    Ok(out)
}

/// Checks a special chunk's sizes (as C-Blosc2 3.3 does) and returns the repeated value
/// (empty for other kinds).
pub(crate) fn check<'a>(h: &ChunkHeader, chunk: &'a [u8], kind: SpecialKind) -> Result<&'a [u8]> {
    let ts = usize::from(h.typesize);
    let bad = |field, value: usize, reason| Error::InvalidHeader { field, value: value as i64, reason };
    match kind {
        SpecialKind::Zeros => Ok(&[]),
        SpecialKind::Nan => {
            if ts != 4 && ts != 8 {
                return Err(bad("typesize", ts, "NaN chunks need typesize 4 or 8"));
            }
            if !h.nbytes.is_multiple_of(ts) {
                return Err(bad("nbytes", h.nbytes, "not a multiple of the typesize"));
            }
            Ok(&[])
        }
        SpecialKind::Uninit => {
            if !h.nbytes.is_multiple_of(ts) {
                return Err(bad("nbytes", h.nbytes, "not a multiple of the typesize"));
            }
            Ok(&[])
        }
        SpecialKind::Value => {
            let vsize = h.cbytes - EXTENDED_HEADER_LEN;
            if vsize == 0 || vsize > MAX_BLOCKSIZE || (h.nbytes > 0 && vsize > h.nbytes) {
                return Err(bad("cbytes", h.cbytes, "repeated value size out of range"));
            }
            if !h.nbytes.is_multiple_of(vsize) {
                return Err(bad("nbytes", h.nbytes, "not a multiple of the repeated value size"));
            }
            chunk.get(EXTENDED_HEADER_LEN..h.cbytes).ok_or(Error::Truncated {
                part: Part::SpecialValue,
                offset: EXTENDED_HEADER_LEN,
                needed: vsize,
                available: chunk.len().saturating_sub(EXTENDED_HEADER_LEN),
            })
        }
    }
}

/// Writes the content of a special chunk for bytes `start..start + dst.len()`.
pub(crate) fn fill(kind: SpecialKind, typesize: usize, value: &[u8], start: usize, dst: &mut [u8]) {
    match kind {
        SpecialKind::Zeros | SpecialKind::Uninit => dst.fill(0),
        SpecialKind::Nan => {
            let pattern: &[u8] = if typesize == 4 { &[0, 0, 0xC0, 0x7F] } else { &[0, 0, 0, 0, 0, 0, 0xF8, 0x7F] };
            fill_pattern(pattern, start, dst);
        }
        SpecialKind::Value => fill_pattern(value, start, dst),
    }
}

fn fill_pattern(pattern: &[u8], start: usize, dst: &mut [u8]) {
    if pattern.iter().all(|&b| b == pattern[0]) {
        dst.fill(pattern[0]);
        return;
    }
    let plen = pattern.len();
    let phase = start % plen;
    // Write the first pattern-aligned piece, then double the filled prefix.
    let mut filled = 0;
    while filled < dst.len() && filled < plen {
        dst[filled] = pattern[(phase + filled) % plen];
        filled += 1;
    }
    while filled < dst.len() {
        let n = filled.min(dst.len() - filled);
        dst.copy_within(0..n, filled);
        filled += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_header_matches_spec() {
        let p = CompressParams { typesize: 4, ..CompressParams::default() };
        let c = nans(&p, 4000).unwrap();
        assert_eq!(hex::encode(&c), "05010504a00f0000a00f00002000000000000000000000000000000000000020");
        let v = repeat_value(&p, 4000, &3.5f32.to_le_bytes()).unwrap();
        assert_eq!(hex::encode(&v), "05010504a00f0000a00f0000240000000000000000000000000000000000003000006040");
    }

    #[test]
    fn pattern_fill_respects_phase() {
        let mut d = [0u8; 7];
        fill_pattern(&[1, 2, 3], 2, &mut d);
        assert_eq!(d, [3, 1, 2, 3, 1, 2, 3]);
    }
}
