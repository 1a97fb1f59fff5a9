//! Portable byte transposition (`shared/spec/filters.md` 2): the reference implementation and
//! the oracle of the SIMD kernels.
//!
//! The kernels work on a tile of elements at a time so that the source tile stays in the L1
//! cache while every byte-plane is written, and they are monomorphised for element sizes up to
//! 16 so that the compiler sees constant strides.

/// Elements per tile of the scalar kernels.
const TILE: usize = 128;

/// Forward SHUFFLE of a whole buffer: `dst[j*n + i] = src[i*s + j]`, leftover bytes copied.
///
/// `s == 0` and `s == 1` are plain copies.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn shuffle(s: usize, src: &[u8], dst: &mut [u8]) {
    super::SCALAR.shuffle(s, src, dst);
}

/// Backward SHUFFLE of a whole buffer: `dst[i*s + j] = src[j*n + i]`, leftover bytes copied.
///
/// # Panics
///
/// If `src.len() != dst.len()`.
pub fn unshuffle(s: usize, src: &[u8], dst: &mut [u8]) {
    super::SCALAR.unshuffle(s, src, dst);
}

/// Checks the slice bounds shared by [`transpose`] and [`untranspose`]: `elems` must hold
/// `count * s` bytes and `planes` must hold `s` planes of `count` bytes, `stride` apart.
#[inline]
pub(crate) fn check_bounds(s: usize, count: usize, elems: usize, planes: usize, stride: usize) {
    if count == 0 || s == 0 {
        return;
    }
    let need_elems = count.checked_mul(s).expect("element bytes overflow");
    let need_planes = (s - 1).checked_mul(stride).and_then(|v| v.checked_add(count)).expect("plane bytes overflow");
    assert!(stride >= count, "plane stride {stride} below count {count}");
    assert!(elems >= need_elems, "element buffer too short: {elems} < {need_elems}");
    assert!(planes >= need_planes, "plane buffer too short: {planes} < {need_planes}");
}

/// Strided forward transpose: `dst[j*stride + i] = src[i*s + j]` for `i < count`, `j < s`.
///
/// # Panics
///
/// If the buffers are too short for `count` elements of `s` bytes, or `stride < count`.
pub fn transpose(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    check_bounds(s, count, src.len(), dst.len(), stride);
    if count == 0 || s == 0 {
        return;
    }
    match s {
        1 => dst[..count].copy_from_slice(&src[..count]),
        2 => fwd_const::<2>(count, src, dst, stride),
        3 => fwd_const::<3>(count, src, dst, stride),
        4 => fwd_const::<4>(count, src, dst, stride),
        5 => fwd_const::<5>(count, src, dst, stride),
        6 => fwd_const::<6>(count, src, dst, stride),
        7 => fwd_const::<7>(count, src, dst, stride),
        8 => fwd_const::<8>(count, src, dst, stride),
        9 => fwd_const::<9>(count, src, dst, stride),
        10 => fwd_const::<10>(count, src, dst, stride),
        11 => fwd_const::<11>(count, src, dst, stride),
        12 => fwd_const::<12>(count, src, dst, stride),
        13 => fwd_const::<13>(count, src, dst, stride),
        14 => fwd_const::<14>(count, src, dst, stride),
        15 => fwd_const::<15>(count, src, dst, stride),
        16 => fwd_const::<16>(count, src, dst, stride),
        _ => fwd_generic(s, count, src, dst, stride),
    }
}

/// Strided backward transpose: `dst[i*s + j] = src[j*stride + i]` for `i < count`, `j < s`.
///
/// # Panics
///
/// If the buffers are too short for `count` elements of `s` bytes, or `stride < count`.
pub fn untranspose(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    check_bounds(s, count, dst.len(), src.len(), stride);
    if count == 0 || s == 0 {
        return;
    }
    match s {
        1 => dst[..count].copy_from_slice(&src[..count]),
        2 => bwd_const::<2>(count, src, dst, stride),
        3 => bwd_const::<3>(count, src, dst, stride),
        4 => bwd_const::<4>(count, src, dst, stride),
        5 => bwd_const::<5>(count, src, dst, stride),
        6 => bwd_const::<6>(count, src, dst, stride),
        7 => bwd_const::<7>(count, src, dst, stride),
        8 => bwd_const::<8>(count, src, dst, stride),
        9 => bwd_const::<9>(count, src, dst, stride),
        10 => bwd_const::<10>(count, src, dst, stride),
        11 => bwd_const::<11>(count, src, dst, stride),
        12 => bwd_const::<12>(count, src, dst, stride),
        13 => bwd_const::<13>(count, src, dst, stride),
        14 => bwd_const::<14>(count, src, dst, stride),
        15 => bwd_const::<15>(count, src, dst, stride),
        16 => bwd_const::<16>(count, src, dst, stride),
        _ => bwd_generic(s, count, src, dst, stride),
    }
}

fn fwd_const<const S: usize>(count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    let (elems, _) = src[..count * S].as_chunks::<S>();
    let mut i0 = 0;
    for tile in elems.chunks(TILE) {
        for j in 0..S {
            let start = j * stride + i0;
            let out = &mut dst[start..start + tile.len()];
            for (o, e) in out.iter_mut().zip(tile) {
                *o = e[j];
            }
        }
        i0 += tile.len();
    }
}

fn bwd_const<const S: usize>(count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    let (elems, _) = dst[..count * S].as_chunks_mut::<S>();
    let mut i0 = 0;
    for tile in elems.chunks_mut(TILE) {
        for j in 0..S {
            let start = j * stride + i0;
            let plane = &src[start..start + tile.len()];
            for (e, &b) in tile.iter_mut().zip(plane) {
                e[j] = b;
            }
        }
        i0 += tile.len();
    }
}

fn fwd_generic(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    let mut i0 = 0;
    for tile in src[..count * s].chunks(TILE * s) {
        let len = tile.len() / s;
        for j in 0..s {
            let start = j * stride + i0;
            let out = &mut dst[start..start + len];
            for (o, e) in out.iter_mut().zip(tile.chunks_exact(s)) {
                *o = e[j];
            }
        }
        i0 += len;
    }
}

fn bwd_generic(s: usize, count: usize, src: &[u8], dst: &mut [u8], stride: usize) {
    let mut i0 = 0;
    for tile in dst[..count * s].chunks_mut(TILE * s) {
        let len = tile.len() / s;
        for j in 0..s {
            let start = j * stride + i0;
            let plane = &src[start..start + len];
            for (e, &b) in tile.chunks_exact_mut(s).zip(plane) {
                e[j] = b;
            }
        }
        i0 += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_s4_bsize14() {
        let src = [0x44, 0x33, 0x22, 0x11, 0x88, 0x77, 0x66, 0x55, 0xcc, 0xbb, 0xaa, 0x99, 0xee, 0xff];
        let want = [0x44, 0x88, 0xcc, 0x33, 0x77, 0xbb, 0x22, 0x66, 0xaa, 0x11, 0x55, 0x99, 0xee, 0xff];
        let mut out = [0u8; 14];
        shuffle(4, &src, &mut out);
        assert_eq!(out, want);
        let mut back = [0u8; 14];
        unshuffle(4, &out, &mut back);
        assert_eq!(back, src);
    }

    #[test]
    fn naive_agrees_all_sizes() {
        let src: Vec<u8> = (0..1000u32).map(|v| (v * 7 + v / 3) as u8).collect();
        for s in 1..=40usize {
            let mut out = vec![0u8; src.len()];
            shuffle(s, &src, &mut out);
            let n = src.len() / s;
            let mut want = src.clone();
            for i in 0..n {
                for j in 0..s {
                    want[j * n + i] = src[i * s + j];
                }
            }
            assert_eq!(out, want, "s={s}");
            let mut back = vec![0u8; src.len()];
            unshuffle(s, &out, &mut back);
            assert_eq!(back, src, "s={s}");
        }
    }

    #[test]
    fn typesize_larger_than_buffer_copies() {
        let src = [1u8, 2, 3];
        let mut out = [0u8; 3];
        shuffle(255, &src, &mut out);
        assert_eq!(out, src);
        unshuffle(255, &src, &mut out);
        assert_eq!(out, src);
        shuffle(0, &src, &mut out);
        assert_eq!(out, src);
    }
}
