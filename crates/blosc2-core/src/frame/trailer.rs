//! The frame trailer: vlmetalayers, trailer length and fingerprint
//! (`shared/spec/frame.md` 6).

use super::meta::{VlMetalayers, MAX_METALAYERS};
use super::mpack::{put, put_bin32, put_fixstr, Reader};
use crate::error::{Error, FramePart, Result};

/// Length of the part every trailer ends with: `ce <u32> d8 <type> <16 bytes>`.
pub const TRAILER_TAIL_LEN: usize = 23;
/// Shortest trailer C-Blosc2 accepts.
pub const MIN_TRAILER_LEN: usize = 25;
/// Most vlmetalayers the C reader accepts (writers stop at 16).
const MAX_READ_VLMETALAYERS: usize = 8192;

/// Reads `trailer_len` from the last 23 bytes of a frame (`tail` = those bytes).
///
/// # Errors
/// [`Error::InvalidFrame`] (part `Trailer`) when the `ce` marker is missing. `tail_pos` is
/// the frame position of `tail[0]`, used in errors.
pub fn parse_trailer_len(tail: &[u8], tail_pos: u64) -> Result<u32> {
    let mut r = Reader::new(tail, FramePart::Trailer, tail_pos);
    let len = r.u32("trailer length")?;
    r.marker(0xd8, "fingerprint")?;
    Ok(len)
}

/// Parses a whole trailer (`trailer` = its bytes; `pos` = frame position of its start).
///
/// # Errors
/// [`Error::InvalidFrame`] (part `Trailer` or `VlMetalayers`) for wrong markers, names,
/// offsets or lengths.
pub fn parse_trailer(trailer: &[u8], pos: u64) -> Result<VlMetalayers> {
    let mut r = Reader::new(trailer, FramePart::Trailer, pos);
    r.marker(0x94, "trailer array")?;
    let version = r.u8()?;
    if version > 0x7f {
        return Err(r.err_at(1, format!("trailer version marker {version:#04x} is not a fixint")));
    }
    let mut r = Reader::new(trailer, FramePart::VlMetalayers, pos);
    r.seek(2)?;
    r.marker(0x93, "vlmetalayers section")?;
    r.u16_with(0xcd, "vlmetalayer index size")?;
    let n = usize::from(r.u16_with(0xde, "vlmetalayer map")?);
    if n > MAX_READ_VLMETALAYERS {
        return Err(r.err(format!("{n} vlmetalayers (at most {MAX_READ_VLMETALAYERS})")));
    }
    let mut index: Vec<(String, i32, usize)> = Vec::with_capacity(n.min(MAX_METALAYERS));
    for _ in 0..n {
        let at = r.pos();
        let name = r.fixstr("vlmetalayer name")?;
        let name = std::str::from_utf8(name).map_err(|_| r.err_at(at, "vlmetalayer name is not UTF-8".into()))?;
        if name.is_empty() || index.iter().any(|(n, _, _)| n == name) {
            return Err(r.err_at(at, format!("empty or repeated vlmetalayer name {name:?}")));
        }
        let off = r.i32("vlmetalayer offset")?;
        index.push((name.to_string(), off, at));
    }
    let content_end = trailer.len().saturating_sub(TRAILER_TAIL_LEN);
    let mut out = VlMetalayers::new();
    for (name, off, at) in index {
        if off < 0 || off as usize >= content_end {
            return Err(r.err_at(at, format!("vlmetalayer {name:?} offset {off} outside the trailer")));
        }
        r.seek(off as usize)?;
        let content = r.bin32("vlmetalayer content")?;
        if r.pos() > content_end {
            return Err(r.err_at(off as usize, format!("vlmetalayer {name:?} overlaps the trailer length")));
        }
        out.push_parsed(name, content.to_vec());
    }
    Ok(out)
}

/// Serializes a trailer exactly as C-Blosc2 does.
///
/// # Errors
/// [`Error::Metalayer`] for more than 16 vlmetalayers.
pub fn trailer_bytes(vl: &VlMetalayers) -> Result<Vec<u8>> {
    if vl.len() > MAX_METALAYERS {
        return Err(Error::Metalayer { name: String::new(), reason: "at most 16 vlmetalayers" });
    }
    let mut t = vec![0x94, 0x01, 0x93];
    put(&mut t, 0xcd, &[0, 0]);
    put(&mut t, 0xde, &(vl.len() as u16).to_be_bytes());
    let mut slots = Vec::with_capacity(vl.len());
    for (name, _) in vl.iter_chunks() {
        put_fixstr(&mut t, name.as_bytes());
        t.push(0xd2);
        slots.push(t.len());
        t.extend_from_slice(&[0; 4]);
    }
    // The index size counts from the `cd` byte (not the `93`), unlike the header's.
    let idx_size = (t.len() - 3) as u16;
    t[4..6].copy_from_slice(&idx_size.to_be_bytes());
    put(&mut t, 0xdc, &(vl.len() as u16).to_be_bytes());
    for ((_, chunk), slot) in vl.iter_chunks().zip(slots) {
        let at = t.len() as i32;
        t[slot..slot + 4].copy_from_slice(&at.to_be_bytes());
        put_bin32(&mut t, chunk);
    }
    let len = (t.len() + TRAILER_TAIL_LEN) as u32;
    put(&mut t, 0xce, &len.to_be_bytes());
    t.push(0xd8);
    t.push(0);
    t.extend_from_slice(&[0; 16]);
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_trailer_matches_the_spec() {
        let t = trailer_bytes(&VlMetalayers::new()).unwrap();
        let mut expected = vec![0x94, 1, 0x93, 0xcd, 0, 6, 0xde, 0, 0, 0xdc, 0, 0, 0xce, 0, 0, 0, 0x23, 0xd8, 0];
        expected.extend_from_slice(&[0; 16]);
        assert_eq!(t, expected);
        assert_eq!(parse_trailer_len(&t[t.len() - 23..], 0).unwrap(), 35);
        assert!(parse_trailer(&t, 0).unwrap().is_empty());
    }

    #[test]
    fn vlmetalayers_round_trip_and_bad_offsets_fail() {
        let mut vl = VlMetalayers::new();
        vl.set_chunk("note", crate::chunk::compress(&Default::default(), b"\xa6sparse").unwrap()).unwrap();
        let t = trailer_bytes(&vl).unwrap();
        assert_eq!(parse_trailer(&t, 0).unwrap(), vl);
        let mut bad = t.clone();
        // The offset of "note" sits after 94 01 93 cd xx xx de 00 01 a4 "note" d2.
        bad[15..19].copy_from_slice(&(t.len() as i32 - 5).to_be_bytes());
        assert!(matches!(parse_trailer(&bad, 0), Err(Error::InvalidFrame { part: FramePart::VlMetalayers, .. })));
    }
}
