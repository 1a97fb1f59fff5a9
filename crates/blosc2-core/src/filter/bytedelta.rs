//! BYTEDELTA (filter id 35) and the legacy BYTEDELTA_BUGGY (id 34),
//! `shared/spec/filters.md` 7.
//!
//! The block is seen as `s` planes of `n = len / s` bytes (what SHUFFLE produces); each plane
//! is replaced by its byte-wise differences (mod 256), the first byte kept. The `len % s`
//! trailing bytes are copied. Decoding is a running sum within each plane.
//!
//! Id 34 reproduces the SIMD behaviour of old C-Blosc2 builds: when a plane has `n > 15` bytes
//! and `n` is not a multiple of 16, the byte at `16 * (n / 16)` is coded against 0 instead of
//! its predecessor.
//!
//! The group size `s` is the slot's meta byte, or the typesize when it is 0 (resolved by the
//! pipeline). Here `s == 0` means "nothing to do" (a copy).

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod simd;

/// Position in a plane of `n` bytes where id 34 restarts the running value, if any.
fn restart(n: usize) -> Option<usize> {
    (n > 15 && !n.is_multiple_of(16)).then_some(16 * (n / 16))
}

fn plane_len(s: usize, len: usize) -> usize {
    len.checked_div(s).unwrap_or(0)
}

/// The plane length `n` and the `n * s` bytes of whole elements of `src` (for `dst`, as
/// long), the bytes after them copied to `dst`; or all of `src` copied and `None` when
/// there is no whole element.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
fn planes(s: usize, src: &[u8], dst: &mut [u8]) -> Option<(usize, usize)> {
    assert_eq!(src.len(), dst.len(), "bytedelta: source and destination differ in length");
    let n = plane_len(s, src.len());
    if n == 0 {
        dst.copy_from_slice(src);
        return None;
    }
    let body = n * s;
    dst[body..].copy_from_slice(&src[body..]);
    Some((n, body))
}

fn encode_impl(s: usize, src: &[u8], dst: &mut [u8], buggy: bool) {
    let Some((n, body)) = planes(s, src, dst) else { return };
    for (p, o) in src[..body].chunks_exact(n).zip(dst[..body].chunks_exact_mut(n)) {
        o[0] = p[0];
        for ((o, &b), &a) in o[1..].iter_mut().zip(&p[1..]).zip(&p[..n - 1]) {
            *o = b.wrapping_sub(a);
        }
        if buggy {
            if let Some(r) = restart(n) {
                o[r] = p[r];
            }
        }
    }
}

/// Running sum (mod 256) of `p` in place, starting from `acc`; returns the last value.
#[inline]
fn running_sum(p: &mut [u8], acc: u8) -> u8 {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    let (done, acc) = if crate::cpu::force_scalar() { (0, acc) } else { simd::running_sum(p, acc) };
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let done = 0;
    scalar_running_sum(&mut p[done..], acc)
}

/// Running sum (mod 256) of `src` into `dst` (same length), starting from `acc`.
#[inline]
fn running_sum_into(src: &[u8], dst: &mut [u8], acc: u8) -> u8 {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    let (done, acc) = if crate::cpu::force_scalar() { (0, acc) } else { simd::running_sum_into(src, dst, acc) };
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let done = 0;
    let mut acc = acc;
    for (o, &d) in dst[done..].iter_mut().zip(&src[done..]) {
        acc = acc.wrapping_add(d);
        *o = acc;
    }
    acc
}

/// The scalar running sum, the reference of the SIMD one.
fn scalar_running_sum(p: &mut [u8], mut acc: u8) -> u8 {
    for b in p {
        acc = acc.wrapping_add(*b);
        *b = acc;
    }
    acc
}

fn decode_impl(s: usize, buf: &mut [u8], buggy: bool) {
    let n = plane_len(s, buf.len());
    if n == 0 {
        return;
    }
    let body = n * s;
    for p in buf[..body].chunks_exact_mut(n) {
        match restart(n).filter(|_| buggy) {
            Some(r) => {
                let (head, tail) = p.split_at_mut(r);
                running_sum(head, 0);
                running_sum(tail, 0);
            }
            None => {
                running_sum(p, 0);
            }
        }
    }
}

/// Forward BYTEDELTA (id 35) of a block with group size `s`.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn encode(s: usize, src: &[u8], dst: &mut [u8]) {
    encode_impl(s, src, dst, false);
}

/// Forward legacy BYTEDELTA_BUGGY (id 34): like [`encode`] but with the restart of
/// `filters.md` 7. Only for tests; writers should use id 35.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn encode_buggy(s: usize, src: &[u8], dst: &mut [u8]) {
    encode_impl(s, src, dst, true);
}

/// Backward BYTEDELTA (id 35), in place.
pub fn decode(s: usize, buf: &mut [u8]) {
    decode_impl(s, buf, false);
}

/// Backward legacy BYTEDELTA_BUGGY (id 34), in place.
pub fn decode_buggy(s: usize, buf: &mut [u8]) {
    decode_impl(s, buf, true);
}

/// Backward BYTEDELTA (id 35 or, with `buggy`, id 34) from `src` into `dst`.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn decode_into(s: usize, src: &[u8], dst: &mut [u8], buggy: bool) {
    let Some((n, body)) = planes(s, src, dst) else { return };
    let r = restart(n).filter(|_| buggy);
    for (p, o) in src[..body].chunks_exact(n).zip(dst[..body].chunks_exact_mut(n)) {
        match r {
            Some(r) => {
                running_sum_into(&p[..r], &mut o[..r], 0);
                running_sum_into(&p[r..], &mut o[r..], 0);
            }
            None => {
                running_sum_into(p, o, 0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_one_plane() {
        let src = [10u8, 12, 15, 15];
        let mut out = [0u8; 4];
        encode(1, &src, &mut out);
        assert_eq!(out, [10, 2, 3, 0]);
        decode(1, &mut out);
        assert_eq!(out, src);
    }

    #[test]
    fn planes_and_trailing_bytes() {
        // s = 2, 7 bytes: planes [1,2,4] and [10,20,40], trailing 99.
        let src = [1u8, 2, 4, 10, 20, 40, 99];
        let mut out = [0u8; 7];
        encode(2, &src, &mut out);
        assert_eq!(out, [1, 1, 2, 10, 10, 20, 99]);
        let mut back = [0u8; 7];
        decode_into(2, &out, &mut back, false);
        assert_eq!(back, src);
    }

    #[test]
    fn buggy_restart_rule() {
        // One plane of 20 bytes: position 16 is stored minus 0.
        let src: Vec<u8> = (0..20u8).map(|v| v * 3 + 1).collect();
        let mut good = vec![0u8; 20];
        encode(1, &src, &mut good);
        let mut bug = vec![0u8; 20];
        encode_buggy(1, &src, &mut bug);
        assert_eq!(bug[..16], good[..16]);
        assert_eq!(bug[16], src[16]);
        assert_eq!(bug[17..], good[17..]);
        let mut back = bug.clone();
        decode_buggy(1, &mut back);
        assert_eq!(back, src);
        let mut back2 = vec![0u8; 20];
        decode_into(1, &bug, &mut back2, true);
        assert_eq!(back2, src);
        // Decoding id-34 data as id 35 gives a different result.
        let mut wrong = bug.clone();
        decode(1, &mut wrong);
        assert_ne!(wrong, src);
        // No restart for n <= 15 or n a multiple of 16.
        for n in [15usize, 16, 32] {
            let src: Vec<u8> = (0..n as u8).map(|v| v.wrapping_mul(7)).collect();
            let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
            encode(1, &src, &mut a);
            encode_buggy(1, &src, &mut b);
            assert_eq!(a, b, "n={n}");
        }
    }

    #[test]
    fn simd_running_sum_matches_scalar() {
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 1000] {
            let src: Vec<u8> = (0..len).map(|i| (i * 97 + i / 7) as u8).collect();
            for acc in [0u8, 1, 200] {
                let mut want = src.clone();
                let want_acc = scalar_running_sum(&mut want, acc);
                let mut got = src.clone();
                assert_eq!(running_sum(&mut got, acc), want_acc, "len={len}");
                assert_eq!(got, want, "len={len}");
                let mut got2 = vec![0u8; len];
                assert_eq!(running_sum_into(&src, &mut got2, acc), want_acc, "len={len}");
                assert_eq!(got2, want, "len={len}");
            }
        }
    }

    #[test]
    fn degenerate_sizes() {
        let src = [5u8, 6, 7];
        let mut out = [0u8; 3];
        encode(0, &src, &mut out);
        assert_eq!(out, src);
        encode(4, &src, &mut out);
        assert_eq!(out, src);
        decode(4, &mut out);
        assert_eq!(out, src);
    }
}
