//! Corrupted copies of valid inputs for the corruption and hostile-input suites: byte
//! changes at chosen positions, every other value of a byte, sampled truncations, random
//! flips at deterministic positions, and size fields that lie; the structural ranges of
//! a frame, and [`structural_suite`], which runs all of these on an input of known
//! structure.
//!
//! Each function returns the inputs (or positions) in a fixed order, so that a suite runs
//! the same cases on every run and a failure names a case that can be replayed.

use std::ops::Range;

use crate::data::sm64;

/// The byte changes tried at every structural position: the complement, the low bit, the
/// high bit, zero.
pub const CHANGES: [fn(u8) -> u8; 4] = [|b| !b, |b| b ^ 1, |b| b ^ 0x80, |_| 0];

/// `bytes` with [`CHANGES`]`[k]` applied at `at`, for every position of `positions` and
/// every `k` (position by position): `(at, k, changed copy)`. A change that leaves the
/// byte as it was (zero on a zero) is included; callers skip it by comparing `copy[at]`
/// with `bytes[at]` where they want to.
pub fn byte_changes<'a>(
    bytes: &'a [u8],
    positions: impl IntoIterator<Item = usize> + 'a,
) -> impl Iterator<Item = (usize, usize, Vec<u8>)> + 'a {
    positions.into_iter().flat_map(move |at| {
        CHANGES.iter().enumerate().map(move |(k, change)| {
            let mut b = bytes.to_vec();
            b[at] = change(b[at]);
            (at, k, b)
        })
    })
}

/// `bytes` with each of the 255 other values at every position of `positions` (position
/// by position, values ascending): `(at, value, changed copy)`.
pub fn other_values<'a>(
    bytes: &'a [u8],
    positions: impl IntoIterator<Item = usize> + 'a,
) -> impl Iterator<Item = (usize, u8, Vec<u8>)> + 'a {
    positions.into_iter().flat_map(move |at| {
        (0..=255u8).filter(move |&v| v != bytes[at]).map(move |v| {
            let mut b = bytes.to_vec();
            b[at] = v;
            (at, v, b)
        })
    })
}

/// The lengths to cut an input of `len` bytes to: every position of `structural` and
/// about `samples` evenly spaced ones (every `len / samples + 1`-th), ascending, each once.
pub fn cuts(len: usize, structural: impl IntoIterator<Item = usize>, samples: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = structural.into_iter().collect();
    cuts.extend((0..len).step_by(len / samples + 1));
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// The positions below `len` outside all of `ranges` (the data between the structural
/// parts of an input), ascending.
pub fn outside(len: usize, ranges: &[Range<usize>]) -> Vec<usize> {
    (0..len).filter(|p| !ranges.iter().any(|r| r.contains(p))).collect()
}

/// `n` positions drawn from `positions` (repeats possible), the `j`-th by splitmix64
/// output `j` of `seed`; none when `positions` is empty.
pub fn sample(positions: &[usize], n: usize, seed: u64) -> Vec<usize> {
    if positions.is_empty() {
        return Vec::new();
    }
    (0..n as u64).map(|j| positions[(sm64(seed, j) % positions.len() as u64) as usize]).collect()
}

/// A mask that changes a byte when xored into it: the low byte of splitmix64 output `j` of
/// `seed`, 1 where that is 0.
pub fn flip_mask(seed: u64, j: u64) -> u8 {
    (sm64(seed, j) as u8).max(1)
}

/// The structural byte ranges of a frame of `bytes`: its header (`header_len` bytes, with
/// the metalayers), the headers of its first 16 chunks, and everything after its `cbytes`
/// of chunks (offsets and trailer). `chunk_head` gives the header length and `cbytes` of
/// the chunk that starts a slice, `None` where none parses.
pub fn frame_structure(
    bytes: &[u8],
    header_len: usize,
    cbytes: u64,
    chunk_head: impl Fn(&[u8]) -> Option<(usize, usize)>,
) -> Vec<Range<usize>> {
    let data_end = (header_len as u64 + cbytes).min(bytes.len() as u64) as usize;
    let mut v = vec![0..header_len.min(bytes.len()), data_end..bytes.len()];
    let mut pos = header_len;
    for _ in 0..16 {
        if pos >= data_end {
            break;
        }
        let Some((len, cbytes)) = chunk_head(&bytes[pos..data_end]) else { break };
        v.push(pos..(pos + len).min(data_end));
        pos += cbytes.max(1);
    }
    v
}

/// Runs the corrupted copies of `bytes` (named `name`) whose `structure` is known, each
/// with its description: `cut` on every cut at a structural position and about `samples` more ([`cuts`]), `change` on
/// every [`byte_changes`] of the structural bytes that changes one, and on `flips` random
/// changes of the other bytes (masks [`flip_mask`] of `seed`). Returns the inputs run.
pub fn structural_suite(
    name: &str,
    bytes: &[u8],
    structure: &[Range<usize>],
    (samples, flips, seed): (usize, usize, u64),
    mut cut: impl FnMut(Vec<u8>, &str),
    mut change: impl FnMut(Vec<u8>, &str),
) -> usize {
    let mut n = 0;
    for at in cuts(bytes.len(), structure.iter().flat_map(|r| r.clone()), samples) {
        cut(bytes[..at].to_vec(), &format!("{name} cut to {at}"));
        n += 1;
    }
    for (at, k, b) in byte_changes(bytes, structure.iter().flat_map(|r| r.clone())) {
        if b[at] != bytes[at] {
            change(b, &format!("{name}: change {k} at {at}"));
            n += 1;
        }
    }
    let data = outside(bytes.len(), structure);
    for (j, at) in sample(&data, flips, name.len() as u64).into_iter().enumerate() {
        let mut b = bytes.to_vec();
        b[at] ^= flip_mask(seed, j as u64);
        change(b, &format!("{name}: data flip {j} at {at}"));
        n += 1;
    }
    n
}

/// A copy of `bytes` with `v` written at `at`.
pub fn patched(bytes: &[u8], at: usize, v: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + v.len()].copy_from_slice(v);
    b
}

/// The lies tried for a 32-bit size field whose true value is `truth`: zero and one, the
/// values around the truth, its double and half, -1, the extremes and 1 MiB.
pub fn lies_i32(truth: i32) -> [i32; 10] {
    [
        0,
        1,
        truth.saturating_sub(1),
        truth.saturating_add(1),
        truth.saturating_mul(2),
        truth / 2,
        -1,
        i32::MAX,
        i32::MIN,
        1 << 20,
    ]
}

/// Asserts that the error `$e` is a typed one: a message that is not empty and a negative
/// code (`$e.code()`, as the library's error types give), `$what` naming the input in the
/// panic message. A macro, so that it takes any error type with a `code` method.
#[macro_export]
macro_rules! assert_typed {
    ($e:expr, $what:expr) => {{
        let (e, what) = (&$e, &$what);
        assert!(!e.to_string().is_empty(), "{what}: empty message");
        assert!(e.code() < 0, "{what}: code {}", e.code());
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_cover_each_position_in_order() {
        let bytes = [0u8, 0xF0];
        let got: Vec<_> = byte_changes(&bytes, 0..2).map(|(at, k, b)| (at, k, b[at])).collect();
        assert_eq!(
            got,
            [(0, 0, 0xFF), (0, 1, 1), (0, 2, 0x80), (0, 3, 0), (1, 0, 0x0F), (1, 1, 0xF1), (1, 2, 0x70), (1, 3, 0)]
        );
        let values: Vec<_> = other_values(&bytes, [1]).collect();
        assert_eq!(values.len(), 255);
        assert!(values.iter().all(|(at, v, b)| *at == 1 && b[1] == *v && *v != 0xF0 && b[0] == 0));
    }

    #[test]
    fn positions() {
        assert_eq!(cuts(10, [9, 3, 3], 4), [0, 3, 6, 9]);
        assert_eq!(outside(6, &[0..2, 4..5]), [2, 3, 5]);
        assert!(sample(&[], 5, 1).is_empty());
        let s = sample(&[7, 8, 9], 100, 3);
        assert!(s.len() == 100 && s.iter().all(|p| (7..10).contains(p)));
        assert!((0..1000).all(|j| flip_mask(7, j) != 0));
        assert_eq!(patched(&[1, 2, 3, 4], 1, &[9, 9]), [1, 9, 9, 4]);
        assert_eq!(lies_i32(i32::MAX)[3], i32::MAX);
    }
}
