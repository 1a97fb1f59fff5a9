//! zfp's lossy block codec for `float` and `double` (zfp 1.0.1: `src/template/{encode,
//! decode,encodef,decodef,codecf}.c` and `encode{1,2,3,4}.c`), built with zfp's defaults
//! (`ZFP_ROUNDING_MODE = ZFP_ROUND_NEVER`, no `ZFP_WITH_DAZ`, 64-bit stream words), as
//! C-Blosc2 builds it.
//!
//! A field of up to 4 dimensions is cut into cells of 4^d values (partial cells at the far
//! edges are padded as zfp pads them). Each cell is coded as: a bit saying whether it is
//! non-zero; the largest exponent of its values; its values as integers relative to that
//! exponent, decorrelated by zfp's lifting transform, reordered by frequency
//! ([`super::perm`]), mapped to negabinary and written one bit plane at a time with group
//! tests. The mode parameters ([`Params`]) bound the bits and bit planes per cell.
//!
//! Integer arithmetic wraps as the C code's does in practice (the forward transform cannot
//! overflow on values from a finite cell; the inverse one can on corrupt streams). Float to
//! integer conversion of values that do not fit (non-finite inputs, cells of subnormals whose
//! scale factor overflows) gives the integer minimum, as the x86-64 instructions the
//! reference build uses do.

use super::bitstream::{Reader, Writer};
use super::perm::{PERM_1, PERM_2, PERM_3, PERM_4};

/// zfp's per-stream parameters (`zfp_stream`'s `minbits`, `maxbits`, `maxprec`, `minexp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Params {
    /// Fewest bits per cell (cells are padded up to it).
    pub minbits: u32,
    /// Most bits per cell.
    pub maxbits: u32,
    /// Most bit planes coded per cell.
    pub maxprec: u32,
    /// Smallest exponent of a coded bit plane (fixed-accuracy mode).
    pub minexp: i32,
}

/// `ZFP_MIN_BITS`, `ZFP_MAX_BITS`, `ZFP_MAX_PREC`, `ZFP_MIN_EXP` of zfp.h.
pub(super) const MIN_BITS: u32 = 1;
pub(super) const MAX_BITS: u32 = 16658;
pub(super) const MAX_PREC: u32 = 64;
pub(super) const MIN_EXP: i32 = -1074;

/// The extents of a field, fastest axis first (zfp's nx, ny, nz, nw; 1 past `dims`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Extents {
    pub dims: usize,
    pub n: [usize; 4],
}

impl Extents {
    /// Number of values.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.n.iter().product()
    }

    /// Calls `f(origin, sizes)` for each cell in zfp's order (x fastest), with the cell's
    /// first value's coordinates and its extent per axis (4, or less at the far edges).
    fn for_each_cell(&self, mut f: impl FnMut([usize; 4], [usize; 4]) -> bool) -> bool {
        let n = self.n;
        let step = |k: usize| if k < self.dims { 4 } else { 1 };
        let mut w = 0;
        while w < n[3] {
            let mut z = 0;
            while z < n[2] {
                let mut y = 0;
                while y < n[1] {
                    let mut x = 0;
                    while x < n[0] {
                        let o = [x, y, z, w];
                        let mut size = [1usize; 4];
                        for k in 0..self.dims {
                            size[k] = (n[k] - o[k]).min(4);
                        }
                        if !f(o, size) {
                            return false;
                        }
                        x += step(0);
                    }
                    y += step(1);
                }
                z += step(2);
            }
            w += step(3);
        }
        true
    }
}

/// zfp's `precision()`: bit planes to code for a cell whose largest exponent is `emax`.
fn precision(emax: i32, maxprec: u32, minexp: i32, dims: usize) -> u32 {
    let p = i64::from(emax) - i64::from(minexp) + 2 * dims as i64 + 2;
    maxprec.min(p.max(0) as u32)
}

/// zfp's `with_maxbits()`: whether `maxbits` may cut the bit planes short.
fn with_maxbits(maxbits: u32, maxprec: u32, size: usize) -> bool {
    (u64::from(maxprec) + 1) * size as u64 - 1 > u64::from(maxbits)
}

fn perm(dims: usize) -> &'static [u8] {
    match dims {
        1 => &PERM_1,
        2 => &PERM_2,
        3 => &PERM_3,
        _ => &PERM_4,
    }
}

/// Offset of (x, y, z, w) in the field.
#[inline]
fn field_index(n: &[usize; 4], c: [usize; 4]) -> usize {
    c[0] + n[0] * (c[1] + n[1] * (c[2] + n[2] * c[3]))
}

/// Visits the cell positions inside `size` and the field offsets of those values.
#[inline]
fn for_each_value(n: &[usize; 4], origin: [usize; 4], size: [usize; 4], mut f: impl FnMut(usize, usize)) {
    for w in 0..size[3] {
        for z in 0..size[2] {
            for y in 0..size[1] {
                let row = field_index(n, [origin[0], origin[1] + y, origin[2] + z, origin[3] + w]);
                let q = 64 * w + 16 * z + 4 * y;
                for x in 0..size[0] {
                    f(q + x, row + x);
                }
            }
        }
    }
}

/// zfp's `pad_block`: fills a partial line of `n` values with stride `s`.
fn pad_line<T: Copy + Default>(q: &mut [T], base: usize, n: usize, s: usize) {
    match n {
        0 => {
            q[base] = T::default();
            q[base + s] = q[base];
            q[base + 2 * s] = q[base + s];
            q[base + 3 * s] = q[base];
        }
        1 => {
            q[base + s] = q[base];
            q[base + 2 * s] = q[base + s];
            q[base + 3 * s] = q[base];
        }
        2 => {
            q[base + 2 * s] = q[base + s];
            q[base + 3 * s] = q[base];
        }
        3 => q[base + 3 * s] = q[base],
        _ => {}
    }
}

/// Pads a gathered partial cell along each axis in turn, as zfp's `gather_partial` does:
/// axis `d` is padded on the lines whose coordinates past `d` are inside the cell.
fn pad_cell<T: Copy + Default>(q: &mut [T], dims: usize, size: [usize; 4]) {
    for d in 0..dims {
        if size[d] == 4 {
            continue;
        }
        let stride = 1 << (2 * d);
        for base in 0..1usize << (2 * dims) {
            let digit = |k: usize| (base >> (2 * k)) & 3;
            if digit(d) == 0 && (d + 1..dims).all(|k| digit(k) < size[k]) {
                pad_line(q, base, size[d], stride);
            }
        }
    }
}

macro_rules! scalar_codec {
    ($name:ident, $S:ty, $I:ty, $U:ty, $ebits:expr, $nbmask:expr) => {
        /// The codec for one scalar type.
        pub(super) mod $name {
            use super::*;

            const EBITS: u32 = $ebits;
            const EBIAS: i32 = (1 << (EBITS - 1)) - 1;
            const INTPREC: u32 = <$U>::BITS;
            const NBMASK: $U = $nbmask;
            /// Bits the values are scaled to: `|int| <= 2^(INTPREC - 2)`.
            const SHIFT: i32 = INTPREC as i32 - 2;
            /// Bytes per value.
            pub(in super::super) const SIZE: usize = std::mem::size_of::<$S>();
            const MANT: u32 = <$S>::MANTISSA_DIGITS - 1;
            const EMASK: u64 = (1 << EBITS) - 1;

            /// `ldexp(1, e)` in this type, correctly rounded (0 below the subnormals, inf above
            /// the largest power).
            fn pow2(e: i32) -> $S {
                let min_normal = 1 - EBIAS;
                if e > EBIAS {
                    <$S>::INFINITY
                } else if e >= min_normal {
                    <$S>::from_bits(((e + EBIAS) as u64 as $U) << MANT)
                } else if e >= min_normal - MANT as i32 {
                    <$S>::from_bits((1 as $U) << (e - (min_normal - MANT as i32)))
                } else {
                    // 2^(min subnormal - 1) is a tie and rounds to even: zero.
                    0.0
                }
            }

            /// zfp's `exponent()`: the exponent of glibc's `frexp` of `x >= 0`, at least
            /// `1 - EBIAS`; `-EBIAS` for zero; 0 for infinity (glibc's `frexp` leaves 0 there).
            fn exponent(x: $S) -> i32 {
                if x > 0.0 {
                    if x.is_infinite() {
                        return 0;
                    }
                    let biased = ((x.to_bits() >> MANT) as u64 & EMASK) as i32;
                    // Subnormals have frexp exponents below 1 - EBIAS: clamped to it.
                    (biased - (EBIAS - 1)).max(1 - EBIAS)
                } else {
                    -EBIAS
                }
            }

            /// Float to integer conversion as x86-64's truncating conversion: values that
            /// do not fit, and NaN, give the integer minimum.
            #[inline]
            fn to_int(x: $S) -> $I {
                const LIMIT: $S = -(<$I>::MIN as $S);
                if (-LIMIT..LIMIT).contains(&x) {
                    x as $I
                } else {
                    <$I>::MIN
                }
            }

            #[inline]
            fn fwd_lift(p: &mut [$I], b: usize, s: usize) {
                let (mut x, mut y, mut z, mut w) = (p[b], p[b + s], p[b + 2 * s], p[b + 3 * s]);
                x = x.wrapping_add(w);
                x >>= 1;
                w = w.wrapping_sub(x);
                z = z.wrapping_add(y);
                z >>= 1;
                y = y.wrapping_sub(z);
                x = x.wrapping_add(z);
                x >>= 1;
                z = z.wrapping_sub(x);
                w = w.wrapping_add(y);
                w >>= 1;
                y = y.wrapping_sub(w);
                w = w.wrapping_add(y >> 1);
                y = y.wrapping_sub(w >> 1);
                p[b] = x;
                p[b + s] = y;
                p[b + 2 * s] = z;
                p[b + 3 * s] = w;
            }

            #[inline]
            fn inv_lift(p: &mut [$I], b: usize, s: usize) {
                let (mut x, mut y, mut z, mut w) = (p[b], p[b + s], p[b + 2 * s], p[b + 3 * s]);
                y = y.wrapping_add(w >> 1);
                w = w.wrapping_sub(y >> 1);
                y = y.wrapping_add(w);
                w = w.wrapping_sub(y.wrapping_sub(w));
                z = z.wrapping_add(x);
                x = x.wrapping_sub(z.wrapping_sub(x));
                y = y.wrapping_add(z);
                z = z.wrapping_sub(y.wrapping_sub(z));
                w = w.wrapping_add(x);
                x = x.wrapping_sub(w.wrapping_sub(x));
                p[b] = x;
                p[b + s] = y;
                p[b + 2 * s] = z;
                p[b + 3 * s] = w;
            }

            /// Applies `lift` to every line along axis `d` of a cell.
            #[inline]
            fn lift_axis<const D: usize>(p: &mut [$I], d: usize, lift: fn(&mut [$I], usize, usize)) {
                let s = 1 << (2 * d);
                for hi in 0..1usize << (2 * (D - 1 - d)) {
                    for lo in 0..s {
                        lift(p, hi * 4 * s + lo, s);
                    }
                }
            }

            fn fwd_xform<const D: usize>(p: &mut [$I]) {
                for d in 0..D {
                    lift_axis::<D>(p, d, fwd_lift);
                }
            }

            fn inv_xform<const D: usize>(p: &mut [$I]) {
                for d in (0..D).rev() {
                    lift_axis::<D>(p, d, inv_lift);
                }
            }

            #[inline]
            fn int2uint(x: $I) -> $U {
                (x as $U).wrapping_add(NBMASK) ^ NBMASK
            }

            #[inline]
            fn uint2int(x: $U) -> $I {
                (x ^ NBMASK).wrapping_sub(NBMASK) as $I
            }

            #[inline]
            fn plane(data: &[$U], k: u32) -> u64 {
                let mut x = 0u64;
                for (i, &v) in data.iter().enumerate() {
                    x += (((v >> k) & 1) as u64) << i;
                }
                x
            }

            fn encode_ints<const D: usize>(w: &mut Writer, maxbits: u32, maxprec: u32, data: &[$U]) -> u32 {
                let size = 1 << (2 * D);
                let data = &data[..size];
                let kmin = INTPREC.saturating_sub(maxprec);
                if with_maxbits(maxbits, maxprec, size) {
                    let mut bits = maxbits;
                    let mut k = INTPREC;
                    let mut n = 0usize;
                    while bits != 0 && k > kmin {
                        k -= 1;
                        if size <= 64 {
                            let mut x = plane(data, k);
                            let m = (n as u32).min(bits);
                            bits -= m;
                            x = w.write_bits(x, m);
                            while bits != 0 && n < size {
                                bits -= 1;
                                if w.write_bit((x != 0) as u32) == 0 {
                                    break;
                                }
                                while bits != 0 && n < size - 1 {
                                    bits -= 1;
                                    if w.write_bit((x & 1) as u32) != 0 {
                                        break;
                                    }
                                    x >>= 1;
                                    n += 1;
                                }
                                x >>= 1;
                                n += 1;
                            }
                        } else {
                            let m = (n as u32).min(bits) as usize;
                            bits -= m as u32;
                            for &v in &data[..m] {
                                w.write_bit(((v >> k) & 1) as u32);
                            }
                            let mut c: u32 = data[m..].iter().map(|&v| ((v >> k) & 1) as u32).sum();
                            while bits != 0 && n < size {
                                bits -= 1;
                                if w.write_bit((c != 0) as u32) == 0 {
                                    break;
                                }
                                c -= 1;
                                while bits != 0 && n < size - 1 {
                                    bits -= 1;
                                    if w.write_bit(((data[n] >> k) & 1) as u32) != 0 {
                                        break;
                                    }
                                    n += 1;
                                }
                                n += 1;
                            }
                        }
                    }
                    maxbits - bits
                } else {
                    let start = w.wtell();
                    let mut n = 0usize;
                    for k in (kmin..INTPREC).rev() {
                        if size <= 64 {
                            let mut x = plane(data, k);
                            x = w.write_bits(x, n as u32);
                            while n < size && w.write_bit((x != 0) as u32) != 0 {
                                while n < size - 1 && w.write_bit((x & 1) as u32) == 0 {
                                    x >>= 1;
                                    n += 1;
                                }
                                x >>= 1;
                                n += 1;
                            }
                        } else {
                            for &v in &data[..n] {
                                w.write_bit(((v >> k) & 1) as u32);
                            }
                            let mut c: u32 = data[n..].iter().map(|&v| ((v >> k) & 1) as u32).sum();
                            while n < size && w.write_bit((c != 0) as u32) != 0 {
                                c -= 1;
                                while n < size - 1 && w.write_bit(((data[n] >> k) & 1) as u32) == 0 {
                                    n += 1;
                                }
                                n += 1;
                            }
                        }
                    }
                    (w.wtell() - start) as u32
                }
            }

            fn decode_ints<const D: usize>(r: &mut Reader, maxbits: u32, maxprec: u32, data: &mut [$U]) -> u32 {
                let size = 1 << (2 * D);
                let data = &mut data[..size];
                let kmin = INTPREC.saturating_sub(maxprec);
                data.fill(0);
                if with_maxbits(maxbits, maxprec, size) {
                    let mut bits = maxbits;
                    let mut k = INTPREC;
                    let mut n = 0usize;
                    while bits != 0 && k > kmin {
                        k -= 1;
                        if size <= 64 {
                            let m = (n as u32).min(bits);
                            bits -= m;
                            let mut x = r.read_bits(m);
                            while bits != 0 && n < size {
                                bits -= 1;
                                if r.read_bit() == 0 {
                                    break;
                                }
                                while bits != 0 && n < size - 1 {
                                    bits -= 1;
                                    if r.read_bit() != 0 {
                                        break;
                                    }
                                    n += 1;
                                }
                                x += 1u64 << n;
                                n += 1;
                            }
                            deposit(data, x, k);
                        } else {
                            let m = (n as u32).min(bits) as usize;
                            bits -= m as u32;
                            for v in &mut data[..m] {
                                if r.read_bit() != 0 {
                                    *v += 1 << k;
                                }
                            }
                            while bits != 0 && n < size {
                                bits -= 1;
                                if r.read_bit() == 0 {
                                    break;
                                }
                                while bits != 0 && n < size - 1 {
                                    bits -= 1;
                                    if r.read_bit() != 0 {
                                        break;
                                    }
                                    n += 1;
                                }
                                data[n] += 1 << k;
                                n += 1;
                            }
                        }
                    }
                    maxbits - bits
                } else {
                    let start = r.rtell();
                    let mut n = 0usize;
                    for k in (kmin..INTPREC).rev() {
                        if size <= 64 {
                            let mut x = r.read_bits(n as u32);
                            while n < size && r.read_bit() != 0 {
                                while n < size - 1 && r.read_bit() == 0 {
                                    n += 1;
                                }
                                x += 1u64 << n;
                                n += 1;
                            }
                            deposit(data, x, k);
                        } else {
                            for v in &mut data[..n] {
                                if r.read_bit() != 0 {
                                    *v += 1 << k;
                                }
                            }
                            while n < size && r.read_bit() != 0 {
                                while n < size - 1 && r.read_bit() == 0 {
                                    n += 1;
                                }
                                data[n] += 1 << k;
                                n += 1;
                            }
                        }
                    }
                    (r.rtell() - start) as u32
                }
            }

            /// Adds bit plane `k` from the bits of `x` (bit i for value i), visiting only the
            /// set bits (zfp walks every bit up to the highest; the sums are the same).
            #[inline]
            fn deposit(data: &mut [$U], mut x: u64, k: u32) {
                while x != 0 {
                    data[x.trailing_zeros() as usize] += 1 << k;
                    x &= x - 1;
                }
            }

            /// Encodes one cell of `4^dims` values (zfp's `encode_block` for floats).
            fn encode_cell<const D: usize>(w: &mut Writer, p: &Params, fblock: &[$S]) {
                let size = 1 << (2 * D);
                let fblock = &fblock[..size];
                let mut bits = 1u32;
                let mut max: $S = 0.0;
                for &f in fblock {
                    let f = f.abs();
                    if max < f {
                        max = f;
                    }
                }
                let emax = exponent(max);
                let maxprec = precision(emax, p.maxprec, p.minexp, D);
                let e = if maxprec != 0 { (emax + EBIAS) as u32 } else { 0 };
                if e != 0 {
                    bits += EBITS;
                    w.write_bits(2 * u64::from(e) + 1, bits);
                    let s = pow2(SHIFT - emax);
                    let mut iblock = [0 as $I; 256];
                    for (i, &f) in iblock.iter_mut().zip(fblock) {
                        *i = to_int(s * f);
                    }
                    let iblock = &mut iblock[..size];
                    fwd_xform::<D>(iblock);
                    let mut ublock = [0 as $U; 256];
                    for (u, &j) in ublock.iter_mut().zip(perm(D)) {
                        *u = int2uint(iblock[j as usize]);
                    }
                    let minbits = p.minbits - bits.min(p.minbits);
                    let maxbits = p.maxbits.saturating_sub(bits);
                    let ibits = encode_ints::<D>(w, maxbits, maxprec, &ublock);
                    if ibits < minbits {
                        w.pad(u64::from(minbits - ibits));
                    }
                } else {
                    w.write_bit(0);
                    if p.minbits > bits {
                        w.pad(u64::from(p.minbits - bits));
                    }
                }
            }

            /// Decodes one cell (zfp's `decode_block` for floats).
            fn decode_cell<const D: usize>(r: &mut Reader, p: &Params, fblock: &mut [$S]) {
                let size = 1 << (2 * D);
                let fblock = &mut fblock[..size];
                let mut bits = 1u32;
                if r.read_bit() != 0 {
                    bits += EBITS;
                    let emax = r.read_bits(EBITS) as i32 - EBIAS;
                    let maxprec = precision(emax, p.maxprec, p.minexp, D);
                    let minbits = p.minbits - bits.min(p.minbits);
                    let maxbits = p.maxbits.saturating_sub(bits);
                    let mut ublock = [0 as $U; 256];
                    let ibits = decode_ints::<D>(r, maxbits, maxprec, &mut ublock);
                    if ibits < minbits {
                        r.skip(u64::from(minbits - ibits));
                    }
                    let mut iblock = [0 as $I; 256];
                    for (&u, &j) in ublock.iter().zip(perm(D)) {
                        iblock[j as usize] = uint2int(u);
                    }
                    let iblock = &mut iblock[..size];
                    inv_xform::<D>(iblock);
                    let s = pow2(emax - SHIFT);
                    for (f, &i) in fblock.iter_mut().zip(iblock.iter()) {
                        *f = s * i as $S;
                    }
                } else {
                    fblock.fill(0.0);
                    if p.minbits > bits {
                        r.skip(u64::from(p.minbits - bits));
                    }
                }
            }

            /// Compresses the field in `src` (little-endian values, `ext.len()` of them) into
            /// `w`; `false` as soon as the writer ran out of room.
            pub(in super::super) fn compress(w: &mut Writer, p: &Params, ext: &Extents, src: &[u8]) -> bool {
                match ext.dims {
                    1 => compress_cells::<1>(w, p, ext, src),
                    2 => compress_cells::<2>(w, p, ext, src),
                    3 => compress_cells::<3>(w, p, ext, src),
                    _ => compress_cells::<4>(w, p, ext, src),
                }
            }

            fn compress_cells<const D: usize>(w: &mut Writer, p: &Params, ext: &Extents, src: &[u8]) -> bool {
                let n = ext.n;
                let mut fblock: [$S; 256] = [0.0; 256];
                ext.for_each_cell(|origin, size| {
                    for_each_value(&n, origin, size, |q, i| {
                        let b = &src[i * SIZE..i * SIZE + SIZE];
                        fblock[q] = <$S>::from_le_bytes(b.try_into().expect("SIZE bytes"));
                    });
                    pad_cell(&mut fblock, D, size);
                    encode_cell::<D>(w, p, &fblock);
                    !w.overflowed()
                })
            }

            /// Decompresses a field of `ext.len()` values from `r` into `dst`; `false` as soon
            /// as the reader ran past its input.
            pub(in super::super) fn decompress(r: &mut Reader, p: &Params, ext: &Extents, dst: &mut [u8]) -> bool {
                match ext.dims {
                    1 => decompress_cells::<1>(r, p, ext, dst),
                    2 => decompress_cells::<2>(r, p, ext, dst),
                    3 => decompress_cells::<3>(r, p, ext, dst),
                    _ => decompress_cells::<4>(r, p, ext, dst),
                }
            }

            fn decompress_cells<const D: usize>(r: &mut Reader, p: &Params, ext: &Extents, dst: &mut [u8]) -> bool {
                let n = ext.n;
                let mut fblock: [$S; 256] = [0.0; 256];
                ext.for_each_cell(|origin, size| {
                    decode_cell::<D>(r, p, &mut fblock);
                    if r.overran() {
                        return false;
                    }
                    for_each_value(&n, origin, size, |q, i| {
                        dst[i * SIZE..i * SIZE + SIZE].copy_from_slice(&fblock[q].to_le_bytes());
                    });
                    true
                })
            }
        }
    };
}

scalar_codec!(float, f32, i32, u32, 8, 0xaaaa_aaaa);
scalar_codec!(double, f64, i64, u64, 11, 0xaaaa_aaaa_aaaa_aaaa);

#[cfg(test)]
mod tests {
    use super::{double, float};

    #[test]
    fn cells_cover_the_field_once() {
        for (dims, n) in [(1, [9, 1, 1, 1]), (2, [5, 7, 1, 1]), (3, [4, 6, 3, 1]), (4, [5, 4, 6, 2])] {
            let ext = super::Extents { dims, n };
            let mut seen = vec![0u32; ext.len()];
            ext.for_each_cell(|o, s| {
                super::for_each_value(&n, o, s, |_, i| seen[i] += 1);
                true
            });
            assert!(seen.iter().all(|&c| c == 1), "{dims}-D {n:?}");
        }
        let _ = (float::SIZE, double::SIZE);
    }

    #[test]
    fn coefficient_orders_sort_by_degree_then_squares() {
        for dims in 1..=4 {
            let perm = super::perm(dims);
            assert_eq!(perm.len(), 1 << (2 * dims));
            let mut seen = vec![false; perm.len()];
            let key = |i: usize| {
                let digits: Vec<usize> = (0..dims).map(|k| (i >> (2 * k)) & 3).collect();
                (digits.iter().sum::<usize>(), digits.iter().map(|d| d * d).sum::<usize>())
            };
            for w in perm.windows(2) {
                assert!(key(w[0] as usize) <= key(w[1] as usize), "{dims}-D: {} before {}", w[0], w[1]);
            }
            for &i in perm {
                assert!(!std::mem::replace(&mut seen[i as usize], true), "{dims}-D: {i} twice");
            }
        }
    }
}
