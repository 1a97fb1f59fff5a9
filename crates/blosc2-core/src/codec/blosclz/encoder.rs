//! The BloscLZ encoder (`shared/spec/blosclz.md` section 3): C-Blosc2 3.3.5's
//! `blosclz_compress` byte for byte.
//!
//! The two hot loops read through [`Access`] so that the same code runs with and without
//! bounds checks (see `access.rs`); each unchecked access states why it is in bounds.
#![allow(unsafe_code)]

use super::access::{Access, Unchecked};
use super::{HashTable, HASH_LOG_MAX, HASH_MUL, HTAB_SIZE, IPSHIFT, MAX_COPY, MAX_DISTANCE, MAX_FARDISTANCE, MINLEN};

#[inline(always)]
fn read64(buf: &[u8], p: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&buf[p..p + 8]);
    u64::from_le_bytes(b)
}

#[inline(always)]
fn read128(buf: &[u8], p: usize) -> u128 {
    let mut b = [0u8; 16];
    b.copy_from_slice(&buf[p..p + 16]);
    u128::from_le_bytes(b)
}

#[inline(always)]
fn hash(v: u32, hashlog: u32) -> usize {
    // The mask is a no-op (hashlog <= HASH_LOG_MAX); it lets the compiler drop the bounds
    // checks on the fixed-size table.
    (v.wrapping_mul(HASH_MUL) >> (32 - hashlog)) as usize & (HTAB_SIZE - 1)
}

/// `min(first_mismatch + 1, bound)` where `first_mismatch` is the first `q >= ip` with
/// `buf[q] != buf[q - (ip - rf)]` (spec 3.1 `match_end`). Requires
/// `rf < ip < bound <= buf.len()`.
#[inline(always)]
fn match_end(buf: &[u8], ip: usize, rf: usize, bound: usize) -> usize {
    let n = bound - ip;
    let (a, b) = (&buf[ip..bound], &buf[rf..rf + n]);
    // Whole 16-byte steps on sub-slices of known length: no bounds checks in the loop, and
    // an array comparison the compiler turns into one vector compare.
    let mut at = 0;
    for (x, y) in a.chunks_exact(16).zip(b.chunks_exact(16)) {
        if x != y {
            return ip + at + first_difference(x, y) + 1;
        }
        at += 16;
    }
    if at + 8 <= n {
        let x = read64(a, at) ^ read64(b, at);
        if x != 0 {
            return ip + at + (x.trailing_zeros() / 8) as usize + 1;
        }
        at += 8;
    }
    while at < n {
        if a[at] != b[at] {
            return ip + at + 1;
        }
        at += 1;
    }
    bound
}

/// `min(q + 1, bound)` for the first `q >= ip` with `buf[q] != buf[ip - 1]` (spec 3.1
/// `run_end`). Requires `0 < ip < bound <= buf.len()`.
#[inline(always)]
fn run_end(buf: &[u8], ip: usize, bound: usize) -> usize {
    let x = buf[ip - 1];
    let a = &buf[ip..bound];
    let pattern = u64::from(x) * 0x0101_0101_0101_0101;
    let mut at = 0;
    for c in a.chunks_exact(8) {
        let v = read64(c, 0) ^ pattern;
        if v != 0 {
            return ip + at + (v.trailing_zeros() / 8) as usize + 1;
        }
        at += 8;
    }
    while at < a.len() {
        if a[at] != x {
            return ip + at + 1;
        }
        at += 1;
    }
    bound
}

/// The index of the first byte where two 16-byte pieces differ (they do differ).
#[inline(always)]
fn first_difference(x: &[u8], y: &[u8]) -> usize {
    let v = read128(x, 0) ^ read128(y, 0);
    (v.trailing_zeros() / 8) as usize
}

/// `dist != 0 && dist < MAX_FARDISTANCE` in one unsigned comparison: a usable match
/// distance.
#[inline(always)]
fn near(dist: usize) -> bool {
    dist.wrapping_sub(1) < MAX_FARDISTANCE - 1
}

/// Hash table size (log2) per clevel 1..=9.
fn hashlog_for(clevel: u8) -> u32 {
    match clevel {
        1 => HASH_LOG_MAX - 2,
        2 => HASH_LOG_MAX - 1,
        _ => HASH_LOG_MAX,
    }
}

/// Minimum estimated ratio per clevel 1..=9 below which the stream is declared
/// incompressible.
fn threshold_for(clevel: u8) -> f64 {
    match clevel {
        1 => 2.0,
        2 => 1.5,
        3..=6 => 1.2,
        7 => 1.15,
        8 => 1.1,
        _ => 1.0,
    }
}

/// Entropy probe (spec 3.2): a dry run of the main loop over `buf` counting output bytes.
/// Returns the estimated compression ratio.
/// `htab` must be all zeros on entry.
fn probe<A: Access>(buf: &[u8], hashlog: u32, htab: &mut HashTable) -> f64 {
    let limit = buf.len().min(1usize << hashlog);
    if limit < 13 {
        return 0.0;
    }
    let buf = &buf[..limit];
    let bound = limit - 1;
    let ip_limit = limit - 12;
    let mut ip = 0usize;
    let mut copy = 4usize;
    let mut oc = 5usize;
    while ip < ip_limit {
        let anchor = ip;
        // SAFETY: ip < ip_limit = limit - 12 = buf.len() - 12.
        let seq = unsafe { A::read32(buf, ip) };
        let h = hash(seq, hashlog);
        let rf = htab[h] as usize;
        htab[h] = anchor as u32;
        // The table only holds earlier positions; were it otherwise the distance would wrap
        // and fail the test below.
        let mut dist = anchor.wrapping_sub(rf);
        // SAFETY (read at rf): 1 <= dist means rf < anchor < buf.len() - 12.
        let mut literal = !near(dist) || unsafe { A::read32(buf, rf) } != seq;
        if !literal {
            ip = anchor + 4;
            dist -= 1;
            ip = if dist == 0 { run_end(buf, ip, bound) } else { match_end(buf, ip, rf + 4, bound) };
            ip -= IPSHIFT;
            let len = ip - anchor;
            if len < MINLEN {
                literal = true;
            } else {
                if copy == 0 {
                    oc -= 1;
                }
                copy = 0;
                if len >= 7 {
                    oc += (len - 7) / 255 + 1;
                }
                oc += if dist < MAX_DISTANCE { 2 } else { 4 };
                // SAFETY: ip = end - 4 with end <= bound = buf.len() - 1.
                htab[hash(unsafe { A::read32(buf, ip) }, hashlog)] = ip as u32;
                ip += 2;
                oc += 1;
            }
        }
        if literal {
            oc += 1;
            ip = anchor + 1;
            copy += 1;
            if copy == MAX_COPY {
                copy = 0;
                oc += 1;
            }
        }
    }
    ip as f64 / oc as f64
}

/// Compresses `src` at `clevel` (1..=9) into `dst`; `dst.len()` is `maxout`.
///
/// Returns the compressed length, or 0 when the input is declared incompressible or does
/// not fit (the chunk layer then stores the stream raw), exactly as C-Blosc2's
/// `blosclz_compress`. A `clevel` of 0 returns 0 (no compression); values above 9 are
/// treated as 9.
pub fn compress(clevel: u8, src: &[u8], dst: &mut [u8]) -> usize {
    compress_with::<Unchecked>(clevel, src, dst)
}

/// [`compress`] with the given byte access (the tests compare both).
pub(super) fn compress_with<A: Access>(clevel: u8, src: &[u8], dst: &mut [u8]) -> usize {
    if clevel == 0 {
        return 0;
    }
    let clevel = clevel.min(9);
    let len = src.len();
    let maxout = dst.len();
    let hashlog = hashlog_for(clevel);
    let mut htab: Box<HashTable> = match vec![0u32; HTAB_SIZE].into_boxed_slice().try_into() {
        Ok(t) => t,
        Err(_) => unreachable!("the vector has HTAB_SIZE entries"),
    };

    // Entropy probe on the last `maxlen` bytes.
    let maxlen = match clevel {
        1 => len / 8,
        2 | 3 => len / 4,
        4..=6 => len / 2,
        _ => len,
    };
    let ratio = probe::<A>(&src[len - maxlen..], hashlog, &mut htab);
    if ratio < threshold_for(clevel) {
        return 0;
    }
    if len < 16 || maxout < 66 {
        return 0;
    }
    htab[..1 << hashlog].fill(0);
    let out = if clevel == 9 {
        compress_main::<true, A>(src, dst, hashlog, &mut htab)
    } else {
        compress_main::<false, A>(src, dst, hashlog, &mut htab)
    };
    out.unwrap_or(0)
}

/// The main loop of spec 3.3. Returns `None` when the output does not fit in `dst`.
/// Requires `src.len() >= 16` and `dst.len() >= 66`. `SECOND_HASH` is true for clevel 9.
fn compress_main<const SECOND_HASH: bool, A: Access>(
    src: &[u8],
    dst: &mut [u8],
    hashlog: u32,
    htab: &mut HashTable,
) -> Option<usize> {
    let len = src.len();
    let maxout = dst.len();
    if len < 16 || maxout < 66 {
        return None;
    }
    let bound = len - 1;
    let ip_limit = len - 12;

    dst[0] = (MAX_COPY - 1) as u8;
    dst[1..5].copy_from_slice(&src[..4]);
    let mut op = 5usize;
    let mut ip = 4usize;
    let mut copy = 4usize;

    while ip < ip_limit {
        let anchor = ip;
        // SAFETY: ip < ip_limit = len - 12.
        let seq = unsafe { A::read32(src, ip) };
        let h = hash(seq, hashlog);
        let rf = htab[h] as usize;
        htab[h] = anchor as u32;
        // As in `probe`: a table entry at or after `anchor` would fail `near`.
        let mut dist = anchor.wrapping_sub(rf);
        // SAFETY (read at rf): near(dist) means rf < anchor < len - 12.
        let is_match = near(dist) && unsafe { A::read32(src, rf) } == seq;
        let mut mlen = 0usize;
        if is_match {
            dist -= 1;
            let end =
                if dist == 0 { run_end(src, anchor + 4, bound) } else { match_end(src, anchor + 4, rf + 4, bound) };
            ip = end - IPSHIFT;
            mlen = ip - anchor;
        }
        if !is_match || mlen < MINLEN || (mlen <= 5 && dist >= MAX_DISTANCE) {
            // LITERAL()
            if op + 2 > maxout {
                return None;
            }
            // SAFETY: op + 2 <= maxout = dst.len() (both writes); anchor < len - 12.
            unsafe { A::set(dst, op, A::byte(src, anchor)) };
            op += 1;
            ip = anchor + 1;
            copy += 1;
            if copy == MAX_COPY {
                copy = 0;
                // SAFETY: op + 1 <= maxout, checked above before the first increment.
                unsafe { A::set(dst, op, (MAX_COPY - 1) as u8) };
                op += 1;
            }
            continue;
        }

        // Close the pending literal run.
        if copy > 0 {
            dst[op - copy - 1] = (copy - 1) as u8;
        } else {
            op -= 1;
        }
        copy = 0;

        // Emit the match.
        if dist < MAX_DISTANCE {
            if mlen < 7 {
                if op + 2 > maxout {
                    return None;
                }
                dst[op] = ((mlen << 5) + (dist >> 8)) as u8;
                dst[op + 1] = (dist & 255) as u8;
                op += 2;
            } else {
                let rest = mlen - 7;
                let nff = rest / 255;
                if op + 3 + nff > maxout {
                    return None;
                }
                dst[op] = (0xE0 + (dist >> 8)) as u8;
                op += 1;
                dst[op..op + nff].fill(255);
                op += nff;
                dst[op] = (rest % 255) as u8;
                dst[op + 1] = (dist & 255) as u8;
                op += 2;
            }
        } else {
            let far = dist - MAX_DISTANCE;
            if mlen < 7 {
                if op + 4 > maxout {
                    return None;
                }
                dst[op] = ((mlen << 5) + 31) as u8;
                dst[op + 1] = 255;
                dst[op + 2] = (far >> 8) as u8;
                dst[op + 3] = (far & 255) as u8;
                op += 4;
            } else {
                let rest = mlen - 7;
                let nff = rest / 255;
                if op + 5 + nff > maxout {
                    return None;
                }
                dst[op] = 0xFF;
                op += 1;
                dst[op..op + nff].fill(255);
                op += nff;
                dst[op] = (rest % 255) as u8;
                dst[op + 1] = 255;
                dst[op + 2] = (far >> 8) as u8;
                dst[op + 3] = (far & 255) as u8;
                op += 4;
            }
        }

        // Update the hash at the match boundary.
        // SAFETY: ip = end - 4 with end <= bound = len - 1.
        let seq = unsafe { A::read32(src, ip) };
        htab[hash(seq, hashlog)] = ip as u32;
        ip += 1;
        if SECOND_HASH {
            htab[hash(seq >> 8, hashlog)] = ip as u32;
        }
        ip += 1;

        if op + 1 > maxout {
            return None;
        }
        dst[op] = (MAX_COPY - 1) as u8;
        op += 1;
    }

    // Trailing literals (at least one byte).
    while ip <= bound {
        if op + 2 > maxout {
            return None;
        }
        dst[op] = src[ip];
        op += 1;
        ip += 1;
        copy += 1;
        if copy == MAX_COPY {
            copy = 0;
            dst[op] = (MAX_COPY - 1) as u8;
            op += 1;
        }
    }
    if copy > 0 {
        dst[op - copy - 1] = (copy - 1) as u8;
    } else {
        op -= 1;
    }
    dst[0] |= 0x20;
    Some(op)
}
