//! zfp's bit stream (`include/zfp/bitstream.inl` of zfp 1.0.1, default 64-bit words): bits go
//! into 64-bit words from the least significant bit up, and the words are stored in machine
//! order, which is little-endian on every platform C-Blosc2's wheels ship for.
//!
//! Unlike the C stream, both ends are bounded: the writer stops storing words at its
//! capacity and remembers that it ran out ([`Writer::overflowed`]); the reader yields zero
//! words past the input and remembers it ([`Reader::overran`]). The callers check these flags
//! after each zfp block, so a short output or a truncated stream costs at most one block's
//! work before it is reported.

/// Bits in a stream word.
const WSIZE: u32 = 64;

/// Writes bits into a byte buffer, a 64-bit little-endian word at a time.
pub(super) struct Writer<'a> {
    out: &'a mut [u8],
    /// Words the output can hold.
    cap: usize,
    /// Index of the next word to write (may pass `cap`).
    pos: usize,
    /// Buffered bits (`buffer < 2^bits`).
    buffer: u64,
    /// Number of buffered bits, `0 <= bits < 64`.
    bits: u32,
    overflowed: bool,
}

impl<'a> Writer<'a> {
    /// A writer into the whole words of `out`.
    pub(super) fn new(out: &'a mut [u8]) -> Writer<'a> {
        let cap = out.len() / 8;
        Writer { out, cap, pos: 0, buffer: 0, bits: 0, overflowed: false }
    }

    #[inline]
    fn write_word(&mut self, w: u64) {
        if self.pos < self.cap {
            self.out[self.pos * 8..self.pos * 8 + 8].copy_from_slice(&w.to_le_bytes());
        } else {
            self.overflowed = true;
        }
        self.pos += 1;
    }

    /// Appends one bit (0 or 1) and returns it (C: `stream_write_bit`).
    #[inline]
    pub(super) fn write_bit(&mut self, bit: u32) -> u32 {
        self.buffer += u64::from(bit) << self.bits;
        self.bits += 1;
        if self.bits == WSIZE {
            self.write_word(self.buffer);
            self.buffer = 0;
            self.bits = 0;
        }
        bit
    }

    /// Appends the low `n <= 64` bits of `value` and returns `value >> n` (C:
    /// `stream_write_bits`).
    #[inline]
    pub(super) fn write_bits(&mut self, mut value: u64, mut n: u32) -> u64 {
        self.buffer = self.buffer.wrapping_add(value << self.bits);
        self.bits += n;
        if self.bits >= WSIZE {
            value >>= 1;
            n -= 1;
            self.bits -= WSIZE;
            self.write_word(self.buffer);
            self.buffer = value >> (n - self.bits);
        }
        self.buffer &= (1u64 << self.bits) - 1;
        value >> n
    }

    /// Appends `n` zero bits (C: `stream_pad`).
    pub(super) fn pad(&mut self, n: u64) {
        let mut bits = u64::from(self.bits) + n;
        while bits >= u64::from(WSIZE) {
            self.write_word(self.buffer);
            self.buffer = 0;
            bits -= u64::from(WSIZE);
        }
        self.bits = bits as u32;
    }

    /// Pads with zeros to the next word boundary (C: `stream_flush`).
    pub(super) fn flush(&mut self) {
        let bits = (WSIZE - self.bits) % WSIZE;
        if bits != 0 {
            self.pad(u64::from(bits));
        }
    }

    /// Bit offset of the next bit to write (C: `stream_wtell`).
    #[inline]
    pub(super) fn wtell(&self) -> u64 {
        self.pos as u64 * u64::from(WSIZE) + u64::from(self.bits)
    }

    /// Bytes in the (flushed) stream, words that did not fit included.
    pub(super) fn size(&self) -> usize {
        self.pos * 8
    }

    /// Whether a word did not fit in the output.
    pub(super) fn overflowed(&self) -> bool {
        self.overflowed
    }
}

/// Reads bits from a byte buffer, a 64-bit little-endian word at a time.
pub(super) struct Reader<'a> {
    data: &'a [u8],
    /// Whole words in `data`.
    words: usize,
    /// Index of the next word to read (may pass `words`).
    pos: usize,
    buffer: u64,
    bits: u32,
    overran: bool,
}

impl<'a> Reader<'a> {
    /// A reader of the whole words of `data` (a trailing partial word is never read: C's
    /// stream would read past the buffer there).
    pub(super) fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, words: data.len() / 8, pos: 0, buffer: 0, bits: 0, overran: false }
    }

    #[inline]
    fn read_word(&mut self) -> u64 {
        let w = if self.pos < self.words {
            let b = &self.data[self.pos * 8..self.pos * 8 + 8];
            u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
        } else {
            self.overran = true;
            0
        };
        self.pos += 1;
        w
    }

    /// Reads one bit (C: `stream_read_bit`).
    #[inline]
    pub(super) fn read_bit(&mut self) -> u32 {
        if self.bits == 0 {
            self.buffer = self.read_word();
            self.bits = WSIZE;
        }
        self.bits -= 1;
        let bit = (self.buffer & 1) as u32;
        self.buffer >>= 1;
        bit
    }

    /// Reads `n <= 64` bits (C: `stream_read_bits`).
    #[inline]
    pub(super) fn read_bits(&mut self, n: u32) -> u64 {
        let mut value = self.buffer;
        if self.bits < n {
            self.buffer = self.read_word();
            value = value.wrapping_add(self.buffer << self.bits);
            self.bits += WSIZE;
            self.bits -= n;
            if self.bits == 0 {
                self.buffer = 0;
            } else {
                self.buffer >>= WSIZE - self.bits;
                value &= (2u64 << (n - 1)).wrapping_sub(1);
            }
        } else {
            self.bits -= n;
            self.buffer = if n < WSIZE { self.buffer >> n } else { 0 };
            value &= (1u64 << n) - 1;
        }
        value
    }

    /// Bit offset of the next bit to read (C: `stream_rtell`).
    #[inline]
    pub(super) fn rtell(&self) -> u64 {
        self.pos as u64 * u64::from(WSIZE) - u64::from(self.bits)
    }

    /// Skips `n` bits (C: `stream_skip`, a seek to `rtell + n`).
    pub(super) fn skip(&mut self, n: u64) {
        let offset = self.rtell() + n;
        let within = (offset % u64::from(WSIZE)) as u32;
        // An offset past the input marks the overrun without moving beyond it.
        let word = usize::try_from(offset / u64::from(WSIZE)).unwrap_or(usize::MAX);
        self.pos = word.min(self.words + 1);
        if self.pos > self.words {
            self.overran = true;
        }
        if within != 0 {
            self.buffer = self.read_word() >> within;
            self.bits = WSIZE - within;
        } else {
            self.buffer = 0;
            self.bits = 0;
        }
    }

    /// Whether a word past the end of the input was asked for.
    pub(super) fn overran(&self) -> bool {
        self.overran
    }
}

#[cfg(test)]
mod tests {
    use super::{Reader, Writer};

    #[test]
    fn bits_read_back_in_the_order_written() {
        let mut buf = vec![0u8; 512];
        let fields: Vec<(u64, u32)> =
            (0..40u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15), (i * 7 % 65) as u32)).collect();
        let mut w = Writer::new(&mut buf);
        let mut total = 0u64;
        for &(v, n) in &fields {
            let rest = w.write_bits(v, n);
            assert_eq!(rest, if n == 64 { 0 } else { v >> n });
            total += u64::from(n);
            assert_eq!(w.wtell(), total);
        }
        w.write_bit(1);
        w.pad(3);
        w.flush();
        assert!(!w.overflowed());
        let size = w.size();
        assert_eq!(size as u64, (total + 4).div_ceil(64) * 8);
        let mut r = Reader::new(&buf[..size]);
        for &(v, n) in &fields {
            let mask = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            assert_eq!(r.read_bits(n), v & mask);
        }
        assert_eq!(r.read_bit(), 1);
        r.skip(3);
        assert_eq!(r.rtell(), total + 4);
        assert!(!r.overran());
        r.skip(size as u64 * 8 - total - 4);
        assert!(!r.overran());
        r.read_bit();
        assert!(r.overran());
    }

    #[test]
    fn writer_stops_at_its_capacity() {
        let mut buf = vec![0u8; 12];
        let mut w = Writer::new(&mut buf);
        w.write_bits(u64::MAX, 64);
        assert!(!w.overflowed());
        w.write_bits(u64::MAX, 64);
        assert!(w.overflowed());
        assert_eq!(&buf[8..], &[0, 0, 0, 0]);
    }
}
