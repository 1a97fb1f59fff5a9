//! Copy kernels: copying a box between row-major buffers of elements, from plain or from
//! byte-shuffled sources (the reads and writes of boxes, `box_io.rs`, place every block
//! and chunk part with these).

use crate::geometry::strides;

/// Copies the box of `shape` at `src_start` in the row-major array `src` (of
/// `src_shape`, elements of `ts` bytes) to `dst_start` in the row-major array `dst`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_box(
    ts: usize,
    src: &[u8],
    src_shape: &[u64],
    src_start: &[u64],
    dst: &mut [u8],
    dst_shape: &[u64],
    dst_start: &[u64],
    shape: &[u64],
) {
    box_runs(ts, src_shape, src_start, dst_shape, dst_start, shape, |runs, run_bytes| match run_bytes {
        1 => runs.copy::<1>(src, dst),
        2 => runs.copy::<2>(src, dst),
        4 => runs.copy::<4>(src, dst),
        8 => runs.copy::<8>(src, dst),
        16 => runs.copy::<16>(src, dst),
        n => runs.copy_len(n, src, dst),
    });
}

/// [`copy_box`] from a source whose bytes are byte-shuffled with element size `planes.len()`
/// (as a block before its shuffle is undone), given as its byte planes: byte `j` of element
/// `e` is `planes[j][e]`. Only the elements of the box are put back together.
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_box_unshuffling(
    planes: &[&[u8]],
    src_shape: &[u64],
    src_start: &[u64],
    dst: &mut [u8],
    dst_shape: &[u64],
    dst_start: &[u64],
    shape: &[u64],
) {
    let ts = planes.len();
    box_runs(ts, src_shape, src_start, dst_shape, dst_start, shape, |runs, run_bytes| match planes {
        [a, b] => runs.unshuffle(&[*a, *b], run_bytes / 2, dst),
        [a, b, c, d] => runs.unshuffle(&[*a, *b, *c, *d], run_bytes / 4, dst),
        [a, b, c, d, e, f, g, h] => runs.unshuffle(&[*a, *b, *c, *d, *e, *f, *g, *h], run_bytes / 8, dst),
        _ => runs.unshuffle_len(planes, run_bytes / ts, dst),
    });
}

/// Sets the box of `shape` at `dst_start` in the row-major array `dst` (of `dst_shape`,
/// elements of `ts` bytes) to zero bytes.
pub(crate) fn zero_box(ts: usize, dst: &mut [u8], dst_shape: &[u64], dst_start: &[u64], shape: &[u64]) {
    let origin = vec![0; shape.len()];
    box_runs(ts, shape, &origin, dst_shape, dst_start, shape, |runs, run_bytes| {
        let mut d = runs.dst_at;
        for _ in 0..runs.count {
            dst[d..d + run_bytes].fill(0);
            d += runs.dstep;
        }
    });
}

/// Calls `f` with the runs of the box of `shape` at `src_start` in `src_shape`
/// and `dst_start` in `dst_shape` (elements of `ts` bytes, byte offsets), with the length
/// of each run in bytes: trailing dimensions that are whole everywhere make one run, and
/// the runs along the last outer dimension are one [`Runs`].
#[allow(clippy::too_many_arguments)]
fn box_runs(
    ts: usize,
    src_shape: &[u64],
    src_start: &[u64],
    dst_shape: &[u64],
    dst_start: &[u64],
    shape: &[u64],
    mut f: impl FnMut(&Runs, usize),
) {
    let n = shape.len();
    let single = |src_at: usize, dst_at: usize, run_bytes: usize| {
        (Runs { src_at, dst_at, sstep: 0, dstep: 0, count: 1 }, run_bytes)
    };
    if n == 0 {
        let (runs, len) = single(0, 0, ts);
        f(&runs, len);
        return;
    }
    if shape.contains(&0) {
        return;
    }
    // Merge trailing dimensions that are whole in source, destination and box.
    let mut k = n - 1;
    let mut run = shape[k];
    while k > 0 && shape[k] == src_shape[k] && shape[k] == dst_shape[k] {
        k -= 1;
        run *= shape[k];
    }
    let run_bytes = run as usize * ts;
    let ss = strides(src_shape);
    let ds = strides(dst_shape);
    if k == 0 {
        let (so, dof) = ((src_start[0] * ss[0]) as usize * ts, (dst_start[0] * ds[0]) as usize * ts);
        let (runs, len) = single(so, dof, run_bytes);
        f(&runs, len);
        return;
    }
    // Runs along the last outer dimension are one `Runs` with fixed steps; an odometer
    // walks the dimensions before it.
    let j = k - 1;
    let (sstep, dstep) = (ss[j] as usize * ts, ds[j] as usize * ts);
    let count = shape[j] as usize;
    let outer = &shape[..j];
    let mut idx = vec![0u64; j];
    loop {
        let mut so = src_start[k] * ss[k] + src_start[j] * ss[j];
        let mut dof = dst_start[k] * ds[k] + dst_start[j] * ds[j];
        for d in 0..j {
            so += (src_start[d] + idx[d]) * ss[d];
            dof += (dst_start[d] + idx[d]) * ds[d];
        }
        f(&Runs { src_at: so as usize * ts, dst_at: dof as usize * ts, sstep, dstep, count }, run_bytes);
        // Odometer over the dimensions before `j`.
        let mut d = j;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < outer[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// `count` runs of equal length, each `sstep` / `dstep` bytes after the previous one.
struct Runs {
    src_at: usize,
    dst_at: usize,
    sstep: usize,
    dstep: usize,
    count: usize,
}

impl Runs {
    /// Runs of `N` bytes: a fixed-size copy each (no `memcpy` call for an element or two).
    fn copy<const N: usize>(&self, src: &[u8], dst: &mut [u8]) {
        let (mut s, mut d) = (self.src_at, self.dst_at);
        for _ in 0..self.count {
            let from: &[u8; N] = src[s..s + N].try_into().expect("N bytes");
            dst[d..d + N].copy_from_slice(from);
            s += self.sstep;
            d += self.dstep;
        }
    }

    fn copy_len(&self, n: usize, src: &[u8], dst: &mut [u8]) {
        let (mut s, mut d) = (self.src_at, self.dst_at);
        for _ in 0..self.count {
            dst[d..d + n].copy_from_slice(&src[s..s + n]);
            s += self.sstep;
            d += self.dstep;
        }
    }

    /// Runs of `len` elements of `T` bytes from a byte-shuffled source whose byte planes
    /// are `plane` bytes apart (the source offsets are those of the unshuffled bytes).
    fn unshuffle<const T: usize>(&self, planes: &[&[u8]; T], len: usize, dst: &mut [u8]) {
        let (mut s, mut d) = (self.src_at / T, self.dst_at);
        for _ in 0..self.count {
            let planes: [&[u8]; T] = std::array::from_fn(|j| &planes[j][s..][..len]);
            for (i, out) in dst[d..d + len * T].chunks_exact_mut(T).enumerate() {
                for (o, p) in out.iter_mut().zip(&planes) {
                    *o = p[i];
                }
            }
            s += self.sstep / T;
            d += self.dstep;
        }
    }

    fn unshuffle_len(&self, planes: &[&[u8]], len: usize, dst: &mut [u8]) {
        let ts = planes.len();
        let (mut s, mut d) = (self.src_at / ts, self.dst_at);
        for _ in 0..self.count {
            for (i, out) in dst[d..d + len * ts].chunks_exact_mut(ts).enumerate() {
                for (o, p) in out.iter_mut().zip(planes) {
                    *o = p[s + i];
                }
            }
            s += self.sstep / ts;
            d += self.dstep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::{product, unravel};

    #[test]
    fn box_copies_equal_an_element_by_element_copy() {
        // Element sizes with and without a fixed-size path, shapes of 1-4 dimensions with
        // whole and partial extents (a small LCG for reproducible variety).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        for case in 0..400 {
            let ts = [1usize, 2, 3, 4, 8, 16][case % 6];
            let n = 1 + (case / 6) % 4;
            let src_shape: Vec<u64> = (0..n).map(|_| 1 + next(6)).collect();
            let dst_shape: Vec<u64> = (0..n).map(|_| 1 + next(6)).collect();
            let shape: Vec<u64> = (0..n).map(|d| 1 + next(src_shape[d].min(dst_shape[d]))).collect();
            let src_start: Vec<u64> = (0..n).map(|d| next(src_shape[d] - shape[d] + 1)).collect();
            let dst_start: Vec<u64> = (0..n).map(|d| next(dst_shape[d] - shape[d] + 1)).collect();
            let src: Vec<u8> = (0..product(&src_shape).unwrap() as usize * ts).map(|i| (i * 7 + 1) as u8).collect();
            let mut got = vec![0u8; product(&dst_shape).unwrap() as usize * ts];
            let mut want = got.clone();
            copy_box(ts, &src, &src_shape, &src_start, &mut got, &dst_shape, &dst_start, &shape);
            let (ss, ds) = (strides(&src_shape), strides(&dst_shape));
            for e in 0..product(&shape).unwrap() {
                let at = unravel(e, &shape);
                let s: u64 = (0..n).map(|d| (src_start[d] + at[d]) * ss[d]).sum();
                let t: u64 = (0..n).map(|d| (dst_start[d] + at[d]) * ds[d]).sum();
                let (s, t) = (s as usize * ts, t as usize * ts);
                want[t..t + ts].copy_from_slice(&src[s..s + ts]);
            }
            assert_eq!(got, want, "case {case}: ts {ts} src {src_shape:?} dst {dst_shape:?} shape {shape:?}");
            // The same box from the byte-shuffled source.
            let plane = src.len() / ts;
            let mut shuffled = vec![0u8; src.len()];
            for (e, item) in src.chunks_exact(ts).enumerate() {
                for (j, &b) in item.iter().enumerate() {
                    shuffled[j * plane + e] = b;
                }
            }
            let mut got = vec![0u8; want.len()];
            let planes: Vec<&[u8]> = shuffled.chunks_exact(plane).collect();
            copy_box_unshuffling(&planes, &src_shape, &src_start, &mut got, &dst_shape, &dst_start, &shape);
            assert_eq!(got, want, "case {case} shuffled: ts {ts} src {src_shape:?} dst {dst_shape:?} shape {shape:?}");
            // Planes that are separate buffers (some read where a chunk stores them).
            let apart: Vec<Vec<u8>> = planes.iter().map(|p| p.to_vec()).collect();
            let planes: Vec<&[u8]> = apart.iter().map(Vec::as_slice).collect();
            let mut got = vec![0u8; want.len()];
            copy_box_unshuffling(&planes, &src_shape, &src_start, &mut got, &dst_shape, &dst_start, &shape);
            assert_eq!(got, want, "case {case} shuffled: ts {ts} src {src_shape:?} dst {dst_shape:?} shape {shape:?}");
            // Zeroing the box leaves the bytes outside it as they were.
            let mut got: Vec<u8> = (0..want.len()).map(|i| (i * 5 + 3) as u8 | 1).collect();
            let mut want = got.clone();
            zero_box(ts, &mut got, &dst_shape, &dst_start, &shape);
            for e in 0..product(&shape).unwrap() {
                let at = unravel(e, &shape);
                let t: u64 = (0..n).map(|d| (dst_start[d] + at[d]) * ds[d]).sum();
                want[t as usize * ts..(t as usize + 1) * ts].fill(0);
            }
            assert_eq!(got, want, "case {case} zeroed: ts {ts} dst {dst_shape:?} shape {shape:?}");
        }
    }

    #[test]
    fn copy_box_matches_naive() {
        let src: Vec<u8> = (0..60).collect();
        let mut dst = vec![0u8; 24];
        copy_box(1, &src, &[3, 4, 5], &[1, 1, 2], &mut dst, &[2, 3, 4], &[0, 1, 1], &[2, 2, 3]);
        for i in 0..2 {
            for j in 0..2 {
                for k in 0..3 {
                    assert_eq!(dst[i * 12 + (j + 1) * 4 + k + 1], src[(i + 1) * 20 + (j + 1) * 5 + k + 2]);
                }
            }
        }
    }
}
