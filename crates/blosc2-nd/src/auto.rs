//! Automatic chunk and block shapes, chosen as python-blosc2 4.14 chooses them
//! (`compute_chunks_blocks`, `shared/spec/b2nd.md` 8) from the CPU cache sizes (and, for
//! the plugin codecs and filters, from the compression parameters).

use crate::error::{Error, Result, ShapeErrorKind as K};
use blosc2_core::chunk::blocksize::compute_blocksize;
use blosc2_core::chunk::CompressParams;
use blosc2_core::codec::CodecId;
use blosc2_core::filter::FilterId;
use blosc2_core::header::{MAX_BLOCKSIZE, MAX_BUFFERSIZE};

/// The CPU data-cache sizes and the platform rule the shapes start from (see
/// [`blosc2_core::cpu::CacheSizes`]).
pub use blosc2_core::cpu::{Arch, CacheSizes};

/// The divisor of `a` closest to `b` (python-blosc2's Cython `nearest_divisor`).
pub fn nearest_divisor(a: u64, b: u64, strict: bool) -> u64 {
    if a > 100_000 || strict {
        let mut i = b;
        while i > 0 {
            if a.is_multiple_of(i) {
                return i;
            }
            i -= 1;
        }
        return 1;
    }
    let (mut closest, mut min_diff, mut found) = (1u64, a, false);
    let mut i = 1u64;
    while i * i <= a {
        if a.is_multiple_of(i) {
            for cand in [i, a / i] {
                let diff = cand.abs_diff(b);
                if diff < min_diff {
                    min_diff = diff;
                    closest = cand;
                    found = true;
                }
            }
        }
        i += 1;
    }
    if found {
        closest
    } else {
        1
    }
}

/// python-blosc2's `compute_partition`.
fn partition(nitems: u64, maxshape: &[u64], minpart: Option<&[u64]>) -> Result<Vec<u64>> {
    if let Some(d) = maxshape.iter().position(|&s| s == 0) {
        return Err(Error::shape(K::Zero, "shape", d, 0, 1));
    }
    if nitems == 0 {
        return Err(Error::shape(K::Zero, "partition", 0, 0, 1));
    }
    let n = maxshape.len();
    let mut left = nitems;
    let mut part = vec![1u64; n];
    for d in (0..n).rev() {
        if left <= 1 {
            break;
        }
        let size = maxshape[d];
        let minsize = minpart.map_or(1, |m| m[d]);
        let mut r = size.max(minsize);
        if r <= left {
            if !size.is_multiple_of(r) {
                r = nearest_divisor(size, r, false);
            }
        } else {
            r = left.max(minsize);
            let r2 = if size.is_multiple_of(r) { r } else { nearest_divisor(size, r, true) };
            if r / 2 < r2 && r2 < r * 2 {
                r = r2;
            }
        }
        part[d] = r;
        left /= r;
    }
    Ok(part)
}

/// python-blosc2's `get_chunksize`.
fn chunk_bytes(blocksize: u64, c: &CacheSizes) -> u64 {
    let mut cs = if blocksize * 32 < (1 << 26) { blocksize * 32 } else { blocksize };
    if c.l3 > 0 {
        if c.l3 > c.l2 {
            cs = c.l3;
        }
        cs /= 4;
    }
    if c.l2 > cs {
        cs = if c.arch == Arch::AppleArm { c.l2 } else { (c.l2 / 4).max(cs) };
    }
    cs.max(4 << 20).min(MAX_BUFFERSIZE as u64).max(blocksize)
}

/// Chunk and block shapes for an array of `shape` and `itemsize`, filling in what is not
/// given as python-blosc2's `compute_chunks_blocks` does with the cache sizes `caches`.
/// (Like python-blosc2, when only `blocks` is given its product sets the block size and
/// the block shape itself is recomputed.)
///
/// # Errors
/// [`Error::Shape`] for rank mismatches, zero extents, blocks larger than chunks or a
/// block size above the format limit.
pub fn chunks_blocks(
    shape: &[u64],
    chunks: Option<&[u64]>,
    blocks: Option<&[u64]>,
    itemsize: usize,
    caches: &CacheSizes,
) -> Result<(Vec<u64>, Vec<u64>)> {
    shapes_from(shape, chunks, blocks, itemsize, caches, 32 << 10)
}

/// [`chunks_blocks`] for arrays compressed with `cparams`: as python-blosc2, the plugin
/// codecs and filters (NDLZ, ZFP, NDCELL, NDMEAN) start from [`blocksize_hint`] instead of
/// 32 KiB.
///
/// # Errors
/// As [`chunks_blocks`].
pub fn chunks_blocks_for(
    shape: &[u64],
    chunks: Option<&[u64]>,
    blocks: Option<&[u64]>,
    itemsize: usize,
    caches: &CacheSizes,
    cparams: &CompressParams,
) -> Result<(Vec<u64>, Vec<u64>)> {
    shapes_from(shape, chunks, blocks, itemsize, caches, blocksize_hint(cparams, itemsize))
}

/// The block size python-blosc2's automatic shapes start from: 32 KiB, or, when `cparams`
/// use a plugin codec or filter (NDLZ, ZFP, NDCELL, NDMEAN), the block size C-Blosc2 picks
/// for 8 MiB of `itemsize` items with those parameters, its filters other than shuffle and
/// bitshuffle left out (python-blosc2 compresses 8 MiB of zeros that way to learn it).
pub fn blocksize_hint(cparams: &CompressParams, itemsize: usize) -> u64 {
    let plugin_filter = [FilterId::NDCELL, FilterId::NDMEAN].iter().any(|&f| cparams.filters.contains(f));
    if !CodecId::PLUGINS.contains(&cparams.codec) && !plugin_filter {
        return 32 << 10;
    }
    let mut p = cparams.clone();
    p.typesize = itemsize.max(1);
    for f in &mut p.filters.filters {
        if *f != FilterId::SHUFFLE.0 && *f != FilterId::BITSHUFFLE.0 {
            *f = FilterId::NOFILTER.0;
        }
    }
    let nbytes = (1 << 23) / p.typesize * p.typesize;
    compute_blocksize(&p, nbytes) as u64
}

fn shapes_from(
    shape: &[u64],
    chunks: Option<&[u64]>,
    blocks: Option<&[u64]>,
    itemsize: usize,
    caches: &CacheSizes,
    hint: u64,
) -> Result<(Vec<u64>, Vec<u64>)> {
    let n = shape.len();
    if shape.contains(&0) && chunks.is_none() && blocks.is_none() {
        return Ok((shape.to_vec(), shape.to_vec()));
    }
    for (what, s) in [("chunks", chunks), ("blocks", blocks)] {
        if let Some(s) = s {
            if s.len() != n {
                return Err(Error::shape(K::RankMismatch, what, 0, s.len() as i64, n as i64));
            }
            for d in 0..n {
                if s[d] == 0 && shape[d] != 0 {
                    return Err(Error::shape(K::Zero, what, d, 0, 1));
                }
            }
        }
    }
    if let (Some(c), Some(b)) = (chunks, blocks) {
        for d in 0..n {
            if b[d] > c[d] {
                return Err(Error::shape(K::NotNested, "blocks", d, b[d] as i64, c[d] as i64));
            }
        }
        return Ok((c.to_vec(), b.to_vec()));
    }
    let itemsize = itemsize.max(1) as u64;
    let blocksize = match blocks {
        None => {
            let min = match caches.arch {
                Arch::X86_64 if caches.l2 >= 1 << 21 => caches.l1 * 4,
                Arch::X86_64 => caches.l2 / 4,
                Arch::AppleArm | Arch::Other => caches.l1,
            };
            hint.max(min).max(itemsize)
        }
        Some(b) => b.iter().try_fold(itemsize, |a, &x| a.checked_mul(x)).unwrap_or(u64::MAX),
    };
    if blocksize > MAX_BLOCKSIZE as u64 {
        return Err(Error::shape(
            K::Overflow,
            "blocks",
            0,
            blocksize.min(i64::MAX as u64) as i64,
            MAX_BLOCKSIZE as i64,
        ));
    }
    let maxshape = chunks.unwrap_or(shape);
    let blocks = partition(blocksize / itemsize, maxshape, None)?;
    let chunks = match chunks {
        Some(c) => c.to_vec(),
        None => {
            let bs = blocks.iter().product::<u64>() * itemsize;
            let mut cs = chunk_bytes(bs, caches);
            cs = cs / bs * bs;
            let c = partition(cs / itemsize, shape, Some(&blocks))?;
            (0..n).map(|d| shape[d].min(c[d].div_ceil(blocks[d]) * blocks[d])).collect()
        }
    };
    Ok((chunks, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let c = CacheSizes { l1: 32 << 10, l2: 1 << 20, l3: 32 << 20, arch: Arch::X86_64 };
        type Case<'a> = (&'a [u64], usize, &'a [u64], &'a [u64]);
        let cases: [Case; 6] = [
            (&[1000, 1000], 8, &[1000, 1000], &[25, 1000]),
            (&[10_000_000], 4, &[2_000_000], &[62500]),
            (&[100, 200, 300], 4, &[25, 200, 300], &[1, 200, 300]),
            (&[1_048_576, 3], 4, &[524_288, 3], &[16384, 3]),
            (&[20000, 20000, 20000], 1, &[1, 400, 20000], &[1, 10, 20000]),
            (&[50], 8, &[50], &[50]),
        ];
        for (shape, itemsize, chunks, blocks) in cases {
            let (ch, bl) = chunks_blocks(shape, None, None, itemsize, &c).unwrap();
            assert_eq!((ch.as_slice(), bl.as_slice()), (chunks, blocks), "{shape:?}");
        }
    }

    #[test]
    fn nearest_divisor_ties_follow_cython() {
        assert_eq!(nearest_divisor(12, 5, false), 6);
        assert_eq!(nearest_divisor(10, 3, false), 2);
        assert_eq!(nearest_divisor(7, 100, false), 1, "no divisor closer than a itself: 1");
        assert_eq!(nearest_divisor(200_000, 7, false), 5);
    }
}
