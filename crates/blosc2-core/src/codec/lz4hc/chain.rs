//! Levels 3-9: liblz4 1.10's hash-chain strategy (C: `LZ4HC_compress_hashChain` and
//! `LZ4HC_InsertAndGetWiderMatch`), without dictionary.
//!
//! Every position is linked to the previous one with the same 4-byte hash, 64 KiB back at
//! most. At each position the chain is walked for up to `ATTEMPTS` candidates; a candidate
//! is counted only when its two bytes at the end of the best match so far agree (liblz4's
//! quick test, which shapes the output: it is kept as is). Once a match is found, the parser
//! looks for a longer one starting inside it, near its end, and then a third, and writes
//! the first one shortened so that the next one fits (the "ML1, ML2, ML3" evaluation).
//!
//! With `PATTERNS` (level 9), a position inside a run of one byte value jumps along the run
//! instead of walking the chain one position at a time (liblz4's pattern analysis).
//!
//! The search loops read through an [`Access`]; with [`super::access::Unchecked`] their
//! bounds rest on these invariants of a [`Finder`] (its `src` is the whole input, whose
//! last [`MF_LIMIT`] bytes are never searched from):
//!
//! * positions searched are at most `src.len() - MF_LIMIT`, and matches end by `high =
//!   src.len() - LAST_LITERALS`;
//! * every position number in the tables at or above `base` is that of a position entered
//!   before the one searched, and every link read (at a number at or above `lowest >=
//!   base`, so written by this call) is at least 1: positions are entered once each, in
//!   increasing order (see [`Finder::insert`]), each linked to a smaller number. A
//!   candidate is thus always before the position searched.

use super::access::Access;
use super::{
    count, count_back, read16, read32, run_prefix, run_suffix, Full, Sink, CHAIN_SIZE, HASH_LOG, HASH_SIZE,
    LAST_LITERALS, MAX_DISTANCE, MF_LIMIT, MIN_LENGTH, MIN_MATCH, OPTIMAL_ML,
};

/// The hash of 4 bytes (C: `LZ4HC_hashPtr`).
#[inline(always)]
fn hash(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_LOG)) as usize
}

/// A match: `len` bytes at distance `dist`, starting `back` bytes before the position
/// searched (C: `LZ4HC_match_t`, whose `back` is negative).
#[derive(Debug, Clone, Copy)]
struct Match {
    len: isize,
    dist: u32,
    back: isize,
}

const NO_MATCH: Match = Match { len: 0, dist: 0, back: 0 };

/// The match finder: the tables and the input, positions numbered from `base` for `src[0]`.
struct Finder<'a> {
    src: &'a [u8],
    hash: &'a mut [u32; HASH_SIZE],
    chain: &'a mut [u16; CHAIN_SIZE],
    base: u32,
    /// The first position not yet in the tables (C: `nextToUpdate`).
    next: u32,
}

impl Finder<'_> {
    /// Enters the positions up to `ip` (excluded) in the tables (C: `LZ4HC_Insert`).
    ///
    /// The parser searches at increasing positions: after a search at `p` comes one at `p +
    /// len - 2` (`len >= 4`, the match found at `p`), or one at `q + len' - 3` after a match
    /// found at `q` reaching `len' >= 4` bytes on from the position searched (corrections
    /// move `q` and `len'` together), or one where the matches written end, past every
    /// position searched for them. So liblz4's step back of `nextToUpdate` never happens,
    /// and a search may enter its own position early ([`enter`]).
    ///
    /// # Safety
    ///
    /// `ip + 3 <= src.len()`.
    #[inline(always)]
    unsafe fn insert<A: Access>(&mut self, ip: usize) {
        let (src, base) = (self.src, self.base);
        let target = base + ip as u32;
        debug_assert!(target >= self.next, "searches go forward");
        let (hash_table, chain) = (&mut *self.hash, &mut *self.chain);
        let mut index = self.next;
        while index < target {
            // SAFETY: index < target, so the position p = index - base is below ip, and
            // p + 4 <= ip + 3 <= src.len() (the caller's contract).
            let h = hash(unsafe { A::read32(src, (index - base) as usize) });
            let delta = index.wrapping_sub(hash_table[h]).min(MAX_DISTANCE);
            chain[usize::from(index as u16)] = delta as u16;
            hash_table[h] = index;
            index += 1;
        }
        self.next = self.next.max(target);
    }

    /// The first position from `ip` to `last` with a match (C: the main loop's calls of
    /// `LZ4HC_InsertAndFindBestMatch`, one position at a time), and that match; a `len`
    /// below [`MIN_MATCH`] when there is none. A function of its own: the positions
    /// without a match, most of them, go through this loop alone, with the tables and the
    /// input in registers.
    #[inline(never)]
    fn scan<A: Access, const ATTEMPTS: u32, const PATTERNS: bool>(
        &mut self,
        mut ip: usize,
        last: usize,
        high: usize,
    ) -> (usize, Match) {
        assert!(ip <= last && last + MF_LIMIT <= self.src.len() && high + LAST_LITERALS == self.src.len());
        // SAFETY: ip + 3 < last + MF_LIMIT <= src.len() (asserted above).
        unsafe { self.insert::<A>(ip) };
        let (src, base) = (self.src, self.base);
        let hash_table = &mut *self.hash;
        let chain = &mut *self.chain;
        loop {
            let ip_index = base + ip as u32;
            // SAFETY: ip <= last <= src.len() - MF_LIMIT; the tables are the Finder's.
            let (index, lowest, pattern) = unsafe { enter::<A>(src, hash_table, chain, base, ip) };
            if index >= lowest {
                // SAFETY: as above; no look-back, and ip + 3 <= high.
                let m = unsafe {
                    candidates::<A, ATTEMPTS, PATTERNS, false>(
                        src,
                        chain,
                        base,
                        ip,
                        ip,
                        high,
                        MIN_MATCH - 1,
                        pattern,
                        index,
                        lowest,
                    )
                };
                if m.len >= MIN_MATCH as isize {
                    self.next = ip_index + 1;
                    return (ip, m);
                }
            }
            if ip == last {
                self.next = ip_index + 1;
                return (ip, Match { len: 0, dist: 0, back: 0 });
            }
            ip += 1;
        }
    }

    /// The longest match at `ip` longer than `longest`, which may start up to `ip - low`
    /// bytes earlier and ends by `high` (C: `LZ4HC_InsertAndGetWiderMatch` without chain
    /// swap, dictionary or preference for decoding speed). No match: `len` stays `longest`
    /// and `dist` is 0.
    ///
    /// The parser calls it at `ip = low + longest - 2` or `- 3` with `low + longest` at most
    /// `src.len() - MF_LIMIT`, so the bounds of [`candidates`] hold; they are checked here.
    #[inline(never)]
    fn wider<A: Access, const ATTEMPTS: u32, const PATTERNS: bool>(
        &mut self,
        ip: usize,
        low: usize,
        high: usize,
        longest: usize,
    ) -> Match {
        assert!(low <= ip && ip < low + longest && low + longest <= high && high + LAST_LITERALS == self.src.len());
        // SAFETY: ip < high < src.len() - 3 (asserted above).
        unsafe { self.insert::<A>(ip) };
        // SAFETY: ip < low + longest <= high < src.len() - 3 (asserted above), so
        // ip + 4 <= src.len(); the tables are the Finder's.
        let (index, lowest, pattern) = unsafe { enter::<A>(self.src, self.hash, self.chain, self.base, ip) };
        self.next = self.base + ip as u32 + 1;
        if index < lowest {
            return Match { len: longest as isize, dist: 0, back: 0 };
        }
        // SAFETY: low <= ip < low + longest <= high (asserted above).
        unsafe {
            candidates::<A, ATTEMPTS, PATTERNS, true>(
                self.src, self.chain, self.base, ip, low, high, longest, pattern, index, lowest,
            )
        }
    }
}

/// The chain link of position number `index`.
#[inline(always)]
fn link(chain: &[u16; CHAIN_SIZE], index: u32) -> u32 {
    u32::from(chain[usize::from(index as u16)])
}

/// Enters position `ip` in the tables and gives the previous position with its hash (the
/// first candidate), the lowest position number a match may come from and the 4 bytes at
/// `ip`. liblz4 enters `ip` at the start of the next search; doing it now, while the
/// hash is at hand, changes nothing: that search is further on (see [`Finder::insert`]),
/// and this one reads neither the head nor the link just written.
///
/// # Safety
///
/// `ip + 4 <= src.len()`.
#[inline(always)]
unsafe fn enter<A: Access>(
    src: &[u8],
    hash_table: &mut [u32; HASH_SIZE],
    chain: &mut [u16; CHAIN_SIZE],
    base: u32,
    ip: usize,
) -> (u32, u32, u32) {
    let ip_index = base + ip as u32;
    // C: lowLimit + 64 Ki > ipIndex ? lowLimit : ipIndex - 65535
    let lowest = if ip as u32 <= MAX_DISTANCE { base } else { ip_index - MAX_DISTANCE };
    // SAFETY: ip + 4 <= src.len() (the caller's contract).
    let pattern = unsafe { A::read32(src, ip) };
    let h = hash(pattern);
    let index = hash_table[h];
    chain[usize::from(ip_index as u16)] = ip_index.wrapping_sub(index).min(MAX_DISTANCE) as u16;
    hash_table[h] = ip_index;
    (index, lowest, pattern)
}

/// The candidates of a search at `ip` from `index` on (the rest of
/// [`Finder::wider`]); `pattern` is the 4 bytes at `ip`. `BACK`: whether matches may
/// start before `ip` (`low < ip`; the parser's first search has no look-back, the
/// others always have some).
///
/// # Safety
///
/// `low <= ip < low + longest <= high < src.len()`, and the tables hold the invariants of
/// the module documentation for `base` (every candidate at or above `lowest` is before
/// `ip`).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn candidates<A: Access, const ATTEMPTS: u32, const PATTERNS: bool, const BACK: bool>(
    src: &[u8],
    chain: &[u16; CHAIN_SIZE],
    base: u32,
    ip: usize,
    low: usize,
    high: usize,
    longest: usize,
    pattern: u32,
    mut index: u32,
    lowest: u32,
) -> Match {
    let ip_index = base + ip as u32;
    debug_assert!(BACK == (low < ip));
    let look_back = if BACK { ip - low } else { 0 };
    let mut longest = longest;
    let mut dist = 0u32;
    let mut back = 0usize;
    let mut attempts = ATTEMPTS;
    // A longer match has the same two bytes as the source at its end: `tail` at
    // `low + longest - 1`, that is `at` bytes after the candidate (C's quick test). A
    // match never runs past `high`, so neither do these: `low + longest <= high`.
    // SAFETY: low + longest + 1 <= high + 1 <= src.len() (the caller's contract).
    let mut tail = unsafe { A::read16(src, low + longest - 1) };
    let mut at = (longest - 1 - look_back) as u32;
    let mut run = RUN_UNTESTED;

    loop {
        // Here index >= lowest and attempts > 0.
        attempts -= 1;
        let m = index - base;
        debug_assert!((m as usize) < ip);
        // SAFETY: m < ip (the candidates are before ip), so m + at + 2 < ip + at + 2 =
        // low + longest + 1 <= high + 1 <= src.len(), and m + 4 <= ip + 3 < src.len().
        if unsafe { A::read16(src, (m + at) as usize) == tail && A::read32(src, m as usize) == pattern } {
            // SAFETY: m < ip < high < src.len().
            let (len, b) = unsafe { match_length::<A, BACK>(src, ip, m as usize, look_back, high) };
            if len > longest {
                longest = len;
                dist = ip_index - index;
                back = b;
                tail = read16(src, low + longest - 1);
                at = (longest - 1 - look_back) as u32;
            }
        }

        if PATTERNS && link(chain, index) == 1 {
            let out = run_step(src, chain, base, run, ip, look_back, high, lowest, index, longest);
            run = out.run;
            if out.len as usize != longest {
                longest = out.len as usize;
                dist = out.dist;
                back = 0;
                tail = read16(src, low + longest - 1);
                at = (longest - 1 - look_back) as u32;
            }
            if out.next != RUN_FOLLOW {
                index = out.next;
                if index < lowest || attempts == 0 {
                    break;
                }
                continue;
            }
        }

        index -= link(chain, index);
        if index < lowest || attempts == 0 {
            break;
        }
    }
    Match { len: longest as isize, dist, back: back as isize }
}

/// Pattern analysis at candidate `index`, whose link is 1 (C: the `patternAnalysis`
/// branch of `LZ4HC_InsertAndGetWiderMatch`): when the source at `ip` is a run of one
/// byte value and so is the candidate before `index`, jump along that run, and with no
/// look-back take the run's match if it is longer than `longest`. `run` is what is
/// known of the source's run ([`RUN_UNTESTED`], 0 for none, or its length). Out of the
/// search loop, and with a result that fits two registers: rare except on long runs,
/// where each call saves many candidates.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn run_step(
    src: &[u8],
    chain: &[u16; CHAIN_SIZE],
    base: u32,
    mut run: u32,
    ip: usize,
    look_back: usize,
    high: usize,
    lowest: u32,
    index: u32,
    longest: usize,
) -> RunOut {
    let pattern = read32(src, ip);
    let mut out = RunOut { run, next: RUN_FOLLOW, len: longest as u32, dist: 0 };
    if run == RUN_UNTESTED {
        // One byte value repeated (C checks the 4 bytes' halves and ends).
        run = if pattern & 0xFFFF == pattern >> 16 && pattern & 0xFF == pattern >> 24 {
            (MIN_MATCH + count_run(src, ip + MIN_MATCH, high, pattern as u8)) as u32
        } else {
            0
        };
        out.run = run;
    }
    let cand = index - 1;
    if run == 0 || cand < lowest {
        return out;
    }
    let c = (cand - base) as usize;
    if read32(src, c) != pattern {
        return out;
    }
    let src_len = run as usize;
    let forward = MIN_MATCH + count_run(src, c + MIN_MATCH, high, pattern as u8);
    let back = count_run_back(src, c, pattern as u8);
    let back = (cand - (cand - back as u32).max(lowest)) as usize;
    let segment = back + forward;
    if segment >= src_len && forward <= src_len {
        // The candidate whose run ends where the source's does.
        out.next = cand + forward as u32 - src_len as u32;
        return out;
    }
    // The farthest position of this run.
    let mut index = cand - back as u32;
    if look_back == 0 {
        let ip_index = base + ip as u32;
        let max_len = segment.min(src_len);
        if longest < max_len {
            if ip_index - index > MAX_DISTANCE {
                out.next = RUN_STOP;
                return out;
            }
            out.len = max_len as u32;
            out.dist = ip_index - index;
        }
        let next = link(chain, index);
        if next > index {
            out.next = RUN_STOP;
            return out;
        }
        index -= next;
    }
    out.next = index;
    out
}

/// [`run_step`]'s `run` before the source's run is measured.
const RUN_UNTESTED: u32 = u32::MAX;
/// [`RunOut::next`]: follow the chain as usual (never a position number: those stay below
/// 2^32 - 2^31).
const RUN_FOLLOW: u32 = u32::MAX;
/// [`RunOut::next`]: end the search (position numbers start at [`super::FIRST_INDEX`]).
const RUN_STOP: u32 = 0;

/// What pattern analysis makes of a candidate.
#[derive(Debug, Clone, Copy)]
struct RunOut {
    /// What is now known of the source's run.
    run: u32,
    /// The next candidate, [`RUN_FOLLOW`] or [`RUN_STOP`].
    next: u32,
    /// The longest match so far, and its distance when it changed (a run's match, which
    /// starts at the position searched).
    len: u32,
    dist: u32,
}

/// The length of the match of `src[ip..]` with `src[m..]` (their first 4 bytes are known
/// equal), extended backwards by up to `look_back` bytes and forwards to `high`; with how
/// many bytes it reaches back.
///
/// # Safety
///
/// `m < ip < high <= src.len()`.
#[inline(always)]
unsafe fn match_length<A: Access, const BACK: bool>(
    src: &[u8],
    ip: usize,
    m: usize,
    look_back: usize,
    high: usize,
) -> (usize, usize) {
    // SAFETY: m < ip <= src.len() (the caller's contract).
    let back = if BACK { unsafe { count_back::<A>(src, ip, m, look_back.min(m)) } } else { 0 };
    // SAFETY: m + 4 < ip + 4, and high <= src.len() (the caller's contract).
    (MIN_MATCH + unsafe { count::<A>(src, ip + MIN_MATCH, m + MIN_MATCH, high) } + back, back)
}

/// How many bytes from `src[i]` on equal `byte`, stopping at `limit`.
#[inline]
fn count_run(src: &[u8], i: usize, limit: usize, byte: u8) -> usize {
    if i >= limit {
        return 0;
    }
    run_prefix(&src[i..limit], byte)
}

/// How many bytes before `src[i]` equal `byte`.
#[inline]
fn count_run_back(src: &[u8], i: usize, byte: u8) -> usize {
    run_suffix(&src[..i], byte)
}

/// Writes the match `m` at `at` after the literals since `anchor` (C: the
/// `LZ4HC_encodeSequence` calls); the anchor moves to its end.
#[inline(always)]
fn emit(out: &mut Sink<'_>, src: &[u8], anchor: &mut usize, at: isize, m: Match) -> Result<(), Full> {
    let at = at as usize;
    out.sequence(&src[*anchor..at], m.len as usize, m.dist)?;
    *anchor = at + m.len as usize;
    Ok(())
}

/// Compresses `src` (its first byte numbered `base`) into `out` up to the last literals;
/// where those begin, or [`Full`].
pub(super) fn compress<A: Access, const ATTEMPTS: u32, const PATTERNS: bool>(
    hash: &mut [u32; HASH_SIZE],
    chain: &mut [u16; CHAIN_SIZE],
    base: u32,
    src: &[u8],
    out: &mut Sink<'_>,
) -> Result<usize, Full> {
    let n = src.len();
    let mut anchor = 0usize;
    if n < MIN_LENGTH {
        return Ok(anchor);
    }
    let mut f = Finder { src, hash, chain, base, next: base };
    let mf_limit = (n - MF_LIMIT) as isize;
    let high = n - LAST_LITERALS;

    let mut ip: isize = 0;
    'main: while ip <= mf_limit {
        let (at, mut m1) = f.scan::<A, ATTEMPTS, PATTERNS>(ip as usize, mf_limit as usize, high);
        ip = at as isize;
        if m1.len < MIN_MATCH as isize {
            break;
        }
        // Kept in case the next matches push the start too far.
        let mut start0 = ip;
        let mut m0 = m1;

        // C: _Search2
        'search2: loop {
            let mut start2;
            let mut m2;
            if ip + m1.len <= mf_limit {
                start2 = ip + m1.len - 2;
                m2 = f.wider::<A, ATTEMPTS, PATTERNS>(start2 as usize, ip as usize, high, m1.len as usize);
                start2 -= m2.back;
            } else {
                start2 = 0;
                m2 = NO_MATCH;
            }

            if m2.len <= m1.len {
                // No better match: write the first one.
                emit(out, src, &mut anchor, ip, m1)?;
                ip += m1.len;
                continue 'main;
            }

            if start0 < ip && start2 < ip + m0.len {
                // The first match was skipped, but the second starts within the original
                // first: take the original back.
                ip = start0;
                m1 = m0;
            }

            if start2 - ip < 3 {
                // The first match is too short to keep: the second replaces it.
                ip = start2;
                m1 = m2;
                continue 'search2;
            }

            // C: _Search3
            loop {
                if start2 - ip < OPTIMAL_ML {
                    let mut new_len = m1.len.min(OPTIMAL_ML);
                    if ip + new_len > start2 + m2.len - MIN_MATCH as isize {
                        new_len = start2 - ip + m2.len - MIN_MATCH as isize;
                    }
                    let correction = new_len - (start2 - ip);
                    if correction > 0 {
                        start2 += correction;
                        m2.len -= correction;
                    }
                }

                let mut start3 = 0;
                let m3;
                if start2 + m2.len <= mf_limit {
                    start3 = start2 + m2.len - 3;
                    m3 = f.wider::<A, ATTEMPTS, PATTERNS>(start3 as usize, start2 as usize, high, m2.len as usize);
                    start3 -= m3.back;
                } else {
                    m3 = NO_MATCH;
                }

                if m3.len <= m2.len {
                    // No better third match: write the first two.
                    if start2 < ip + m1.len {
                        m1.len = start2 - ip;
                    }
                    emit(out, src, &mut anchor, ip, m1)?;
                    emit(out, src, &mut anchor, start2, m2)?;
                    ip = start2 + m2.len;
                    continue 'main;
                }

                if start3 < ip + m1.len + 3 {
                    // No room for the second match between the first and the third.
                    if start3 >= ip + m1.len {
                        // The first one can be written: the third takes the second's place.
                        if start2 < ip + m1.len {
                            let correction = ip + m1.len - start2;
                            start2 += correction;
                            m2.len -= correction;
                            if m2.len < MIN_MATCH as isize {
                                start2 = start3;
                                m2 = m3;
                            }
                        }
                        emit(out, src, &mut anchor, ip, m1)?;
                        ip = start3;
                        m1 = m3;
                        start0 = start2;
                        m0 = m2;
                        continue 'search2;
                    }
                    start2 = start3;
                    m2 = m3;
                    continue;
                }

                // Three ascending matches: write the first, shortened to leave the second
                // some room.
                if start2 < ip + m1.len {
                    if start2 - ip < OPTIMAL_ML {
                        if m1.len > OPTIMAL_ML {
                            m1.len = OPTIMAL_ML;
                        }
                        if ip + m1.len > start2 + m2.len - MIN_MATCH as isize {
                            m1.len = start2 - ip + m2.len - MIN_MATCH as isize;
                        }
                        let correction = m1.len - (start2 - ip);
                        if correction > 0 {
                            start2 += correction;
                            m2.len -= correction;
                        }
                    } else {
                        m1.len = start2 - ip;
                    }
                }
                emit(out, src, &mut anchor, ip, m1)?;
                ip = start2;
                m1 = m2;
                start2 = start3;
                m2 = m3;
            }
        }
    }
    Ok(anchor)
}
