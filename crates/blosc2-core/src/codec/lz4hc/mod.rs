//! The LZ4HC encoder: LZ4 block streams with the output of liblz4 1.10's `LZ4_compress_HC`,
//! byte for byte, at HC levels 1-9 (Blosc2's clevels).
//!
//! liblz4 1.10 has two strategies below its optimal parser (levels 10-12, which Blosc2 never
//! asks for):
//!
//! * levels 1-2, [`mid`]: one candidate from a table of 8-byte hashes, then one from a table
//!   of 4-byte hashes, one look at the next position for a longer match;
//! * levels 3-9, [`chain`]: a hash chain over the last 64 KiB walked for up to
//!   4, 8, ..., 256 candidates (`2^(level - 1)`), with the lazy evaluation of up to three
//!   overlapping matches of liblz4's `LZ4HC_compress_hashChain`; level 9 also skips along
//!   runs of one byte value (liblz4's "pattern analysis").
//!
//! Every decision that shapes the output (the candidates' order, the quick two-byte test
//! before a candidate is counted, the tie rules, the way a match is shortened to make room
//! for the next one, the output-room tests of liblz4's `limitedOutput` mode) follows liblz4;
//! how the bytes are counted and the tables kept is this crate's own. Each search strategy
//! is compiled once per level (the number of candidates is a constant).
//!
//! The tables (128 KiB of hash heads, 128 KiB of chain links) live in an [`Encoder`] that
//! is reused from one call to the next: instead of clearing them, each call numbers its
//! positions more than 64 KiB above every position of the calls before, where liblz4's
//! matches cannot reach, so old entries read exactly like the empty ones of a fresh liblz4
//! state. The tables are cleared only when the numbers grow past 1 GiB.
//!
//! The search loops of levels 3-9 read the input without bounds checks ([`access`],
//! listed in `docs/unsafe.md`), on indices that their invariants keep inside; the tests
//! run them with checked reads too.
#![allow(unsafe_code)]

mod access;
mod chain;
mod mid;

use access::Access;

/// Shortest match (C: `MINMATCH`).
const MIN_MATCH: usize = 4;
/// The last match must start this many bytes before the end (C: `MFLIMIT`).
const MF_LIMIT: usize = 12;
/// A stream ends with at least this many literals (C: `LASTLITERALS`).
const LAST_LITERALS: usize = 5;
/// Shorter inputs are stored as literals only (C: `LZ4_minLength`).
const MIN_LENGTH: usize = MF_LIMIT + 1;
/// The farthest a match can reach back (C: `LZ4_DISTANCE_MAX`).
const MAX_DISTANCE: u32 = 65_535;
/// The match-length and literal-run fields of a token (C: `ML_MASK`, `RUN_MASK`).
const ML_MASK: usize = 15;
const RUN_MASK: usize = 15;
/// The longest match liblz4 keeps whole when the next one overlaps it (C: `OPTIMAL_ML`).
const OPTIMAL_ML: isize = (ML_MASK as isize - 1) + MIN_MATCH as isize;
/// The largest input liblz4 compresses (C: `LZ4_MAX_INPUT_SIZE`).
pub const MAX_INPUT_SIZE: usize = 0x7E00_0000;

/// log2 of the hash table's entries (C: `LZ4HC_HASH_LOG`); levels 1-2 split it in two.
const HASH_LOG: u32 = 15;
const HASH_SIZE: usize = 1 << HASH_LOG;
/// Entries of the chain table, one per position of the 64 KiB window (C: `LZ4HC_MAXD`).
const CHAIN_SIZE: usize = 1 << 16;
/// Position numbers start here, as in liblz4 (C: `LZ4HC_init_internal`, 64 KB).
const FIRST_INDEX: u32 = 1 << 16;
/// Room between the positions of two calls: more than any match distance.
const CALL_GAP: u32 = 1 << 17;
/// Position numbers beyond which the tables are cleared (C: the 1 GB of `LZ4HC_init_internal`).
const INDEX_LIMIT: u64 = 1 << 30;

/// The largest stream [`Encoder::compress`] can write for `len` input bytes (C:
/// `LZ4_compressBound`); 0 for inputs above [`MAX_INPUT_SIZE`]. With at least this much
/// room the encoder does not check for room (liblz4's `notLimited` mode).
pub fn compress_bound(len: usize) -> usize {
    if len > MAX_INPUT_SIZE {
        0
    } else {
        len + len / 255 + 16
    }
}

/// Whether [`Encoder::compress`] implements `level` (1-9; liblz4's optimal parser of levels
/// 10-12 is not here).
pub fn supports(level: u8) -> bool {
    (1..=9).contains(&level)
}

/// An LZ4HC encoder with its match-finder tables, reusable from one stream to the next
/// (each stream is independent: no dictionary, no history).
pub struct Encoder {
    /// Hash heads: the last position number of each 4-byte hash (levels 3-9), or the 4-byte
    /// and the 8-byte hash tables of levels 1-2 (the first and the second half).
    hash: Box<[u32; HASH_SIZE]>,
    /// For each position modulo 64 Ki, the distance to the previous position of the same
    /// hash, at most [`MAX_DISTANCE`] (levels 3-9).
    chain: Box<[u16; CHAIN_SIZE]>,
    /// The number of the next stream's first byte.
    next_base: u32,
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("lz4hc::Encoder").field("next_base", &self.next_base).finish_non_exhaustive()
    }
}

impl Encoder {
    /// An encoder with empty tables (256 KiB).
    pub fn new() -> Encoder {
        Encoder {
            hash: vec![0u32; HASH_SIZE].into_boxed_slice().try_into().expect("HASH_SIZE entries"),
            chain: vec![0u16; CHAIN_SIZE].into_boxed_slice().try_into().expect("CHAIN_SIZE entries"),
            next_base: FIRST_INDEX,
        }
    }

    /// Compresses `src` into `dst` as liblz4 1.10's `LZ4_compress_HC(src, dst, src.len(),
    /// dst.len(), level)` does: the same bytes, and 0 exactly when liblz4 gives up for lack
    /// of room (with less than [`compress_bound`] room liblz4 checks the room before every
    /// sequence with a margin, and may give up on a stream that would have fitted).
    /// Returns 0 for inputs above [`MAX_INPUT_SIZE`].
    ///
    /// # Panics
    /// If `level` is not one of 1-9 (see [`supports`]).
    pub fn compress(&mut self, level: u8, src: &[u8], dst: &mut [u8]) -> usize {
        self.compress_as::<access::Unchecked>(level, src, dst)
    }

    /// [`Encoder::compress`] with the hot loops' reads of `A`.
    fn compress_as<A: Access>(&mut self, level: u8, src: &[u8], dst: &mut [u8]) -> usize {
        assert!(supports(level), "LZ4HC level {level} is not implemented (1-9 are)");
        if src.len() > MAX_INPUT_SIZE {
            return 0;
        }
        // liblz4 takes the room as an `int`.
        let cap = dst.len().min(i32::MAX as usize);
        let dst = &mut dst[..cap];
        let limited = cap < compress_bound(src.len());
        let base = self.start(src.len());
        let mut out = Sink { dst, op: 0, limited };
        let done = match level {
            1 | 2 => mid::compress(&mut self.hash, base, src, &mut out),
            3 => chain::compress::<A, 4, false>(&mut self.hash, &mut self.chain, base, src, &mut out),
            4 => chain::compress::<A, 8, false>(&mut self.hash, &mut self.chain, base, src, &mut out),
            5 => chain::compress::<A, 16, false>(&mut self.hash, &mut self.chain, base, src, &mut out),
            6 => chain::compress::<A, 32, false>(&mut self.hash, &mut self.chain, base, src, &mut out),
            7 => chain::compress::<A, 64, false>(&mut self.hash, &mut self.chain, base, src, &mut out),
            8 => chain::compress::<A, 128, false>(&mut self.hash, &mut self.chain, base, src, &mut out),
            _ => chain::compress::<A, 256, true>(&mut self.hash, &mut self.chain, base, src, &mut out),
        };
        match done {
            Ok(anchor) => out.last_literals(&src[anchor..]).unwrap_or(0),
            Err(Full) => 0,
        }
    }

    /// The number of `src[0]` for a stream of `len` bytes, and the next stream's.
    fn start(&mut self, len: usize) -> u32 {
        let mut base = self.next_base;
        if u64::from(base) + len as u64 > INDEX_LIMIT {
            // A fresh liblz4 state: empty hash heads. (Chain links are only ever read at
            // positions of the current stream, which writes them first.)
            self.hash.fill(0);
            self.chain.fill(0);
            base = FIRST_INDEX;
        }
        // len <= MAX_INPUT_SIZE and base <= INDEX_LIMIT + CALL_GAP: no overflow.
        self.next_base = base + len as u32 + CALL_GAP;
        base
    }
}

/// The stream did not fit (liblz4's `limitedOutput` gave up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Full;

/// The output stream: `dst[..op]` written so far.
struct Sink<'a> {
    dst: &'a mut [u8],
    op: usize,
    /// Room is checked (liblz4's `limitedOutput`): `dst` is smaller than the bound.
    limited: bool,
}

impl Sink<'_> {
    /// Writes the literals `lit` then a match of `len` bytes at distance `dist` (C:
    /// `LZ4HC_encodeSequence`), with liblz4's room tests in limited mode.
    #[inline]
    fn sequence(&mut self, lit: &[u8], len: usize, dist: u32) -> Result<(), Full> {
        debug_assert!(len >= MIN_MATCH && (1..=MAX_DISTANCE).contains(&dist));
        let ll = lit.len();
        let token = self.op;
        let mut op = token + 1;
        // C: op + length/255 + length + (2 + 1 + LASTLITERALS) > oend
        if self.limited && op + ll / 255 + ll + 2 + 1 + LAST_LITERALS > self.dst.len() {
            return Err(Full);
        }
        let mut tok;
        if ll >= RUN_MASK {
            tok = (RUN_MASK << 4) as u8;
            let mut rest = ll - RUN_MASK;
            while rest >= 255 {
                self.dst[op] = 255;
                op += 1;
                rest -= 255;
            }
            self.dst[op] = rest as u8;
            op += 1;
        } else {
            tok = (ll << 4) as u8;
        }
        self.dst[op..op + ll].copy_from_slice(lit);
        op += ll;
        self.dst[op..op + 2].copy_from_slice(&(dist as u16).to_le_bytes());
        op += 2;
        let ml = len - MIN_MATCH;
        // C: op + length/255 + (1 + LASTLITERALS) > oend
        if self.limited && op + ml / 255 + 1 + LAST_LITERALS > self.dst.len() {
            return Err(Full);
        }
        if ml >= ML_MASK {
            tok += ML_MASK as u8;
            let mut rest = ml - ML_MASK;
            while rest >= 255 {
                self.dst[op] = 255;
                op += 1;
                rest -= 255;
            }
            self.dst[op] = rest as u8;
            op += 1;
        } else {
            tok += ml as u8;
        }
        self.dst[token] = tok;
        self.op = op;
        Ok(())
    }

    /// Ends the stream with the literals `lit`; the stream's length (C: `_last_literals`).
    fn last_literals(&mut self, lit: &[u8]) -> Result<usize, Full> {
        let ll = lit.len();
        let total = 1 + (ll + 255 - RUN_MASK) / 255 + ll;
        if self.limited && self.op + total > self.dst.len() {
            return Err(Full);
        }
        let mut op = self.op;
        if ll >= RUN_MASK {
            self.dst[op] = (RUN_MASK << 4) as u8;
            op += 1;
            let mut rest = ll - RUN_MASK;
            while rest >= 255 {
                self.dst[op] = 255;
                op += 1;
                rest -= 255;
            }
            self.dst[op] = rest as u8;
            op += 1;
        } else {
            self.dst[op] = (ll << 4) as u8;
            op += 1;
        }
        self.dst[op..op + ll].copy_from_slice(lit);
        op += ll;
        self.op = op;
        Ok(op)
    }
}

/// The little-endian `u32` at `src[p..p + 4]`.
#[inline(always)]
fn read32(src: &[u8], p: usize) -> u32 {
    u32::from_le_bytes(src[p..p + 4].try_into().expect("4 bytes"))
}

/// The little-endian `u16` at `src[p..p + 2]`.
#[inline(always)]
fn read16(src: &[u8], p: usize) -> u16 {
    u16::from_le_bytes(src[p..p + 2].try_into().expect("2 bytes"))
}

/// The little-endian `u64` at `src[p..p + 8]`.
#[inline(always)]
fn read64(src: &[u8], p: usize) -> u64 {
    u64::from_le_bytes(src[p..p + 8].try_into().expect("8 bytes"))
}

/// How many bytes from `src[i]` on equal those from `src[m]` on, stopping at `limit` for
/// `i` (C: `LZ4_count`); `m < i`, so the match side stays inside too. Compares 8 bytes at a
/// time; most matches end within the first 8, which are compared here, the rest in
/// [`count_on`].
///
/// # Safety
///
/// `m < i`, and `limit <= src.len()`.
#[inline(always)]
unsafe fn count<A: Access>(src: &[u8], i: usize, m: usize, limit: usize) -> usize {
    debug_assert!(m < i && limit <= src.len());
    if i + 8 <= limit {
        // SAFETY: i + 8 <= limit <= src.len(), and m < i (the caller's contract).
        let d = unsafe { A::read64(src, i) ^ A::read64(src, m) };
        if d != 0 {
            return (d.trailing_zeros() / 8) as usize;
        }
        // SAFETY: m + 8 < i + 8 <= limit: the caller's contract holds 8 bytes on.
        return 8 + unsafe { count_on::<A>(src, i + 8, m + 8, limit) };
    }
    // SAFETY: the caller's contract.
    unsafe { count_on::<A>(src, i, m, limit) }
}

/// [`count`] in safe code, for levels 1-2 (`m < i` and `limit <= src.len()`, else it
/// panics): the first 8 bytes, then [`count_rest`].
#[inline(always)]
fn count_checked(src: &[u8], i: usize, m: usize, limit: usize) -> usize {
    assert!(m < i);
    let s = &src[..limit];
    if i + 8 <= s.len() {
        let d = read64(s, i) ^ read64(s, m);
        if d != 0 {
            return (d.trailing_zeros() / 8) as usize;
        }
        return 8 + count_rest(s, i + 8, m + 8);
    }
    count_rest(s, i, m)
}

/// How many bytes from `s[i]` on equal those from `s[m]` on (`m < i`), 8 at a time on
/// slices whose bounds the compiler sees.
#[inline(always)]
fn count_rest(s: &[u8], i: usize, m: usize) -> usize {
    if i >= s.len() {
        return 0;
    }
    let a = &s[i..];
    let b = &s[m..m + a.len()];
    let mut n = 0;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let d = u64::from_le_bytes(x.try_into().expect("8 bytes")) ^ u64::from_le_bytes(y.try_into().expect("8 bytes"));
        if d != 0 {
            return n + (d.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + a[n..].iter().zip(&b[n..]).take_while(|(x, y)| x == y).count()
}

/// [`count`] from its start, 8 bytes at a time then byte by byte.
///
/// # Safety
///
/// As [`count`].
#[inline(never)]
unsafe fn count_on<A: Access>(src: &[u8], i: usize, m: usize, limit: usize) -> usize {
    let room = limit.saturating_sub(i);
    let words = room & !7;
    let mut n = 0;
    while n < words {
        // SAFETY: i + n + 8 <= i + room = limit <= src.len(), and m < i.
        let d = unsafe { A::read64(src, i + n) ^ A::read64(src, m + n) };
        if d != 0 {
            return n + (d.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while n < room && src[i + n] == src[m + n] {
        n += 1;
    }
    n
}

/// How many bytes before `src[i]` equal those before `src[m]`, at most `max` (C:
/// `LZ4HC_countBack`, as a positive count); `m < i` and `max <= m`. Compares 8 bytes at a
/// time, also before `m - max` where there are bytes (the count is then cut to `max`); the
/// first 8 here, the rest in [`count_back_on`].
///
/// # Safety
///
/// `m < i <= src.len()`.
#[inline(always)]
unsafe fn count_back<A: Access>(src: &[u8], i: usize, m: usize, max: usize) -> usize {
    debug_assert!(m < i && i <= src.len() && max <= m);
    if m >= 8 {
        // SAFETY: 8 <= m < i <= src.len() (the caller's contract).
        let d = unsafe { A::read64(src, i - 8) ^ A::read64(src, m - 8) };
        if d != 0 || max <= 8 {
            return ((d.leading_zeros() / 8) as usize).min(max);
        }
        // SAFETY: m - 8 < i - 8 <= src.len(): the contract holds 8 bytes back.
        return 8 + unsafe { count_back_on::<A>(src, i - 8, m - 8, max - 8) };
    }
    // SAFETY: the caller's contract.
    unsafe { count_back_on::<A>(src, i, m, max) }
}

/// [`count_back`] from its start, 8 bytes at a time while there are 8 before `m`, then
/// byte by byte.
///
/// # Safety
///
/// As [`count_back`].
#[inline(never)]
unsafe fn count_back_on<A: Access>(src: &[u8], i: usize, m: usize, max: usize) -> usize {
    // Words while fewer than `max` bytes are counted and 8 bytes precede `m - n`: both
    // bounds are multiples of 8 for the word loop's `n`.
    let words = ((max + 7) & !7).min(m & !7);
    let mut n = 0;
    while n < words {
        // SAFETY: n + 8 <= m < i <= src.len().
        let d = unsafe { A::read64(src, i - n - 8) ^ A::read64(src, m - n - 8) };
        if d != 0 {
            return (n + (d.leading_zeros() / 8) as usize).min(max);
        }
        n += 8;
    }
    while n < max && src[i - n - 1] == src[m - n - 1] {
        n += 1;
    }
    n.min(max)
}

/// How many leading bytes of `a` equal `byte`, 8 at a time.
#[inline(always)]
fn run_prefix(a: &[u8], byte: u8) -> usize {
    let word = u64::from_ne_bytes([byte; 8]);
    let mut n = 0;
    for x in a.chunks_exact(8) {
        let d = u64::from_le_bytes(x.try_into().expect("8 bytes")) ^ word;
        if d != 0 {
            return n + (d.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + a[n..].iter().take_while(|&&x| x == byte).count()
}

/// How many trailing bytes of `a` equal `byte`, 8 at a time.
#[inline(always)]
fn run_suffix(a: &[u8], byte: u8) -> usize {
    let word = u64::from_ne_bytes([byte; 8]);
    let mut n = 0;
    for x in a.rchunks_exact(8) {
        let d = u64::from_le_bytes(x.try_into().expect("8 bytes")) ^ word;
        if d != 0 {
            return n + (d.leading_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + a[..a.len() - n].iter().rev().take_while(|&&x| x == byte).count()
}

#[cfg(test)]
mod tests;
