//! The fixed-size msgpack subset of frame headers and trailers (`shared/spec/frame.md` 2):
//! a bounds-checked big-endian reader that names the frame part on every error, and the
//! matching writers.

use crate::error::{Error, FramePart, Result};

/// A cursor over untrusted bytes of one frame part. `base` is the frame position of
/// `buf[0]`, so errors report frame offsets.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    part: FramePart,
    base: u64,
}

impl<'a> Reader<'a> {
    /// A reader of `buf`, which starts at frame byte `base`.
    pub(crate) fn new(buf: &'a [u8], part: FramePart, base: u64) -> Reader<'a> {
        Reader { buf, pos: 0, part, base }
    }

    /// Current position inside `buf`.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Moves to `pos` (checked against the buffer).
    pub(crate) fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.buf.len() {
            return Err(self.err_at(pos, format!("position {pos} past the end ({} bytes)", self.buf.len())));
        }
        self.pos = pos;
        Ok(())
    }

    /// An error at buffer position `pos`.
    pub(crate) fn err_at(&self, pos: usize, reason: String) -> Error {
        Error::InvalidFrame { part: self.part, offset: self.base + pos as u64, reason }
    }

    /// An error at the current position.
    pub(crate) fn err(&self, reason: String) -> Error {
        self.err_at(self.pos, reason)
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let left = self.buf.len() - self.pos;
        if n > left {
            return Err(self.err(format!("truncated: need {n} bytes, {left} left")));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// One byte.
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// Checks that the next byte is `marker`.
    pub(crate) fn marker(&mut self, marker: u8, what: &str) -> Result<()> {
        let at = self.pos;
        let b = self.u8()?;
        if b != marker {
            return Err(self.err_at(at, format!("{what}: expected msgpack marker {marker:#04x}, found {b:#04x}")));
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// Marker then a big-endian u16.
    pub(crate) fn u16_with(&mut self, marker: u8, what: &str) -> Result<u16> {
        self.marker(marker, what)?;
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// `0xd1` + big-endian i16.
    pub(crate) fn i16(&mut self, what: &str) -> Result<i16> {
        self.marker(0xd1, what)?;
        Ok(i16::from_be_bytes(self.array()?))
    }

    /// `0xd2` + big-endian i32.
    pub(crate) fn i32(&mut self, what: &str) -> Result<i32> {
        self.marker(0xd2, what)?;
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// `0xd3` + big-endian i64.
    pub(crate) fn i64(&mut self, what: &str) -> Result<i64> {
        self.marker(0xd3, what)?;
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// `0xce` + big-endian u32.
    pub(crate) fn u32(&mut self, what: &str) -> Result<u32> {
        self.marker(0xce, what)?;
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// `0xcf` + big-endian u64.
    pub(crate) fn u64(&mut self, what: &str) -> Result<u64> {
        self.marker(0xcf, what)?;
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A fixstr (`0xa0 + n`, n <= 31); returns its bytes.
    pub(crate) fn fixstr(&mut self, what: &str) -> Result<&'a [u8]> {
        let at = self.pos;
        let b = self.u8()?;
        if b & 0xe0 != 0xa0 {
            return Err(self.err_at(at, format!("{what}: expected a msgpack fixstr, found marker {b:#04x}")));
        }
        self.take(usize::from(b & 0x1f))
    }

    /// A bin32 (`0xc6` + u32 length + bytes).
    pub(crate) fn bin32(&mut self, what: &str) -> Result<&'a [u8]> {
        self.marker(0xc6, what)?;
        let n = u32::from_be_bytes(self.array()?) as usize;
        self.take(n)
    }
}

/// Appends `marker` + big-endian bytes.
pub(crate) fn put(out: &mut Vec<u8>, marker: u8, be: &[u8]) {
    out.push(marker);
    out.extend_from_slice(be);
}

/// Appends a fixstr; `s` must be at most 31 bytes (checked by the callers).
pub(crate) fn put_fixstr(out: &mut Vec<u8>, s: &[u8]) {
    debug_assert!(s.len() < 32);
    out.push(0xa0 | s.len() as u8);
    out.extend_from_slice(s);
}

/// Appends a bin32.
pub(crate) fn put_bin32(out: &mut Vec<u8>, b: &[u8]) {
    put(out, 0xc6, &(b.len() as u32).to_be_bytes());
    out.extend_from_slice(b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reports_part_and_offset() {
        let mut r = Reader::new(&[0xd2, 0, 0, 1, 0, 0xd3, 0], FramePart::Trailer, 100);
        assert_eq!(r.i32("x").unwrap(), 256);
        let e = r.i64("y").unwrap_err();
        assert!(matches!(e, Error::InvalidFrame { part: FramePart::Trailer, offset: 106, .. }), "{e}");
        let mut r = Reader::new(&[0xc3], FramePart::Header, 0);
        assert!(matches!(r.marker(0xc2, "flag"), Err(Error::InvalidFrame { offset: 0, .. })));
    }

    #[test]
    fn bin32_length_is_checked() {
        let mut r = Reader::new(&[0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2], FramePart::Metalayers, 0);
        assert!(r.bin32("content").is_err());
        let mut r = Reader::new(&[0xa2, b'a', b'b', 0xc6, 0, 0, 0, 1, 9], FramePart::Metalayers, 0);
        assert_eq!(r.fixstr("name").unwrap(), b"ab");
        assert_eq!(r.bin32("content").unwrap(), &[9]);
    }
}
