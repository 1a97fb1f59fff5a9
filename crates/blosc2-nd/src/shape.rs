//! Array geometry and subset maths (`shared/spec/b2nd.md` 2 and 3): chunk and block grids,
//! where an element lives, and copying boxes between row-major buffers.

use crate::error::{Error, Result, ShapeErrorKind as K};
use crate::metalayer::MAX_DIM;
use blosc2_core::header::{MAX_BLOCKSIZE, MAX_BUFFERSIZE};

/// The geometry of an array: shape, chunk shape, block shape and element size, with the
/// derived grids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    shape: Vec<u64>,
    chunkshape: Vec<u64>,
    blockshape: Vec<u64>,
    typesize: usize,
    extchunkshape: Vec<u64>,
    grid: Vec<u64>,
    blocks_per_chunk: Vec<u64>,
    nchunks: u64,
}

/// Number of items of a shape (1 for 0-d), or `None` on overflow.
pub fn product(shape: &[u64]) -> Option<u64> {
    shape.iter().try_fold(1u64, |a, &s| a.checked_mul(s))
}

/// Row-major strides (in elements) of `shape`.
pub fn strides(shape: &[u64]) -> Vec<u64> {
    let mut s = vec![1u64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// Converts signed extents, rejecting negative ones.
pub fn to_unsigned(what: &'static str, v: &[i64]) -> Result<Vec<u64>> {
    v.iter().enumerate().map(|(d, &x)| u64::try_from(x).map_err(|_| Error::shape(K::Negative, what, d, x, 0))).collect()
}

impl Geometry {
    /// Checks and derives a geometry. Rules of C-Blosc2 3.3 plus python-blosc2's
    /// `blocks <= chunks`; every product checked for overflow and the chunk and block sizes
    /// against the format limits.
    ///
    /// # Errors
    /// [`Error::Shape`] naming the shape and dimension at fault.
    pub fn new(shape: &[u64], chunkshape: &[u64], blockshape: &[u64], typesize: usize) -> Result<Geometry> {
        let n = shape.len();
        if n > MAX_DIM {
            return Err(Error::shape(K::TooManyDims, "shape", n, n as i64, MAX_DIM as i64));
        }
        for (what, s) in [("chunks", chunkshape), ("blocks", blockshape)] {
            if s.len() != n {
                return Err(Error::shape(K::RankMismatch, what, 0, s.len() as i64, n as i64));
            }
        }
        if typesize == 0 {
            return Err(Error::shape(K::Zero, "typesize", 0, 0, 1));
        }
        let big = |what, d, v: u64| Error::shape(K::Overflow, what, d, v.min(i64::MAX as u64) as i64, i64::MAX);
        let mut extchunkshape = Vec::with_capacity(n);
        let mut grid = Vec::with_capacity(n);
        let mut bpc = Vec::with_capacity(n);
        for d in 0..n {
            let (s, c, b) = (shape[d], chunkshape[d], blockshape[d]);
            if s > i64::MAX as u64 {
                return Err(big("shape", d, s));
            }
            if c > i32::MAX as u64 {
                return Err(big("chunks", d, c));
            }
            if c == 0 && s > 0 {
                return Err(Error::shape(K::Zero, "chunks", d, 0, 1));
            }
            if b == 0 && c > 0 {
                return Err(Error::shape(K::Zero, "blocks", d, 0, 1));
            }
            if b > c {
                return Err(Error::shape(K::NotNested, "blocks", d, b as i64, c as i64));
            }
            let ext = if b == 0 { 0 } else { c.div_ceil(b) * b };
            extchunkshape.push(ext);
            grid.push(if c == 0 { 0 } else { s.div_ceil(c) });
            bpc.push(ext.checked_div(b).unwrap_or(0));
        }
        let chunk_items = product(&extchunkshape).ok_or_else(|| big("chunks", 0, u64::MAX))?;
        let chunk_bytes = chunk_items.checked_mul(typesize as u64).ok_or_else(|| big("chunks", 0, u64::MAX))?;
        if chunk_bytes > MAX_BUFFERSIZE as u64 {
            return Err(Error::shape(K::Overflow, "chunks", 0, chunk_bytes as i64, MAX_BUFFERSIZE as i64));
        }
        let block_bytes = product(blockshape).unwrap_or(u64::MAX).saturating_mul(typesize as u64);
        if block_bytes > MAX_BLOCKSIZE as u64 {
            return Err(Error::shape(K::Overflow, "blocks", 0, block_bytes as i64, MAX_BLOCKSIZE as i64));
        }
        let nchunks = if shape.contains(&0) { 0 } else { product(&grid).ok_or_else(|| big("shape", 0, u64::MAX))? };
        let nitems = product(shape).ok_or_else(|| big("shape", 0, u64::MAX))?;
        nitems.checked_mul(typesize as u64).ok_or_else(|| big("shape", 0, u64::MAX))?;
        nchunks.checked_mul(chunk_bytes).filter(|&v| v <= i64::MAX as u64).ok_or_else(|| big("shape", 0, u64::MAX))?;
        Ok(Geometry {
            shape: shape.to_vec(),
            chunkshape: chunkshape.to_vec(),
            blockshape: blockshape.to_vec(),
            typesize,
            extchunkshape,
            grid,
            blocks_per_chunk: bpc,
            nchunks,
        })
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The array shape.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// The chunk shape.
    pub fn chunkshape(&self) -> &[u64] {
        &self.chunkshape
    }

    /// The block shape.
    pub fn blockshape(&self) -> &[u64] {
        &self.blockshape
    }

    /// Element size in bytes.
    pub fn typesize(&self) -> usize {
        self.typesize
    }

    /// The chunk shape rounded up to whole blocks.
    pub fn extchunkshape(&self) -> &[u64] {
        &self.extchunkshape
    }

    /// Chunks per dimension.
    pub fn chunk_grid(&self) -> &[u64] {
        &self.grid
    }

    /// Blocks per chunk per dimension.
    pub fn blocks_per_chunk(&self) -> &[u64] {
        &self.blocks_per_chunk
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.nchunks
    }

    /// Number of elements.
    pub fn nitems(&self) -> u64 {
        product(&self.shape).expect("checked in new")
    }

    /// Uncompressed bytes of every chunk (padding included).
    pub fn chunk_nbytes(&self) -> usize {
        product(&self.extchunkshape).expect("checked") as usize * self.typesize
    }

    /// Items per block.
    pub fn block_items(&self) -> usize {
        product(&self.blockshape).expect("checked") as usize
    }

    /// Bytes per block.
    pub fn block_nbytes(&self) -> usize {
        self.block_items() * self.typesize
    }

    /// Blocks per chunk.
    pub fn nblocks(&self) -> usize {
        product(&self.blocks_per_chunk).expect("checked") as usize
    }

    /// Chunk coordinates of chunk `index`.
    pub fn chunk_coords(&self, index: u64) -> Vec<u64> {
        unravel(index, &self.grid)
    }

    /// Chunk index of chunk coordinates.
    pub fn chunk_index(&self, coords: &[u64]) -> u64 {
        ravel(coords, &self.grid)
    }

    /// The chunk index of element `idx` and its byte offset in the decompressed chunk
    /// (`shared/spec/b2nd.md` 3); `None` when `idx` is not inside the array.
    pub fn locate(&self, idx: &[u64]) -> Option<(u64, usize)> {
        let n = self.ndim();
        if idx.len() != n || (0..n).any(|d| idx[d] >= self.shape[d]) {
            return None;
        }
        let mut c = vec![0; n];
        let mut b = vec![0; n];
        let mut q = vec![0; n];
        for d in 0..n {
            c[d] = idx[d] / self.chunkshape[d];
            let p = idx[d] % self.chunkshape[d];
            b[d] = p / self.blockshape[d];
            q[d] = p % self.blockshape[d];
        }
        let bi = ravel(&b, &self.blocks_per_chunk) as usize;
        let ei = ravel(&q, &self.blockshape) as usize;
        Some((self.chunk_index(&c), (bi * self.block_items() + ei) * self.typesize))
    }
}

/// C-order linear index of `coords` in `grid`.
pub fn ravel(coords: &[u64], grid: &[u64]) -> u64 {
    coords.iter().zip(grid).fold(0u64, |a, (&c, &g)| a * g + c)
}

/// Coordinates of C-order linear index `i` in `grid`.
pub fn unravel(mut i: u64, grid: &[u64]) -> Vec<u64> {
    let mut out = vec![0; grid.len()];
    for d in (0..grid.len()).rev() {
        if grid[d] > 0 {
            out[d] = i % grid[d];
            i /= grid[d];
        }
    }
    out
}

/// Copies the box of shape `region` at `src_start` in the row-major array `src` (of
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
    region: &[u64],
) {
    box_runs(ts, src_shape, src_start, dst_shape, dst_start, region, |runs, run_bytes| match run_bytes {
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
    region: &[u64],
) {
    let ts = planes.len();
    box_runs(ts, src_shape, src_start, dst_shape, dst_start, region, |runs, run_bytes| match planes {
        [a, b] => runs.unshuffle(&[*a, *b], run_bytes / 2, dst),
        [a, b, c, d] => runs.unshuffle(&[*a, *b, *c, *d], run_bytes / 4, dst),
        [a, b, c, d, e, f, g, h] => runs.unshuffle(&[*a, *b, *c, *d, *e, *f, *g, *h], run_bytes / 8, dst),
        _ => runs.unshuffle_len(planes, run_bytes / ts, dst),
    });
}

/// Calls `f` with the runs of the box of shape `region` at `src_start` in `src_shape`
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
    region: &[u64],
    mut f: impl FnMut(&Runs, usize),
) {
    let n = region.len();
    let single = |src_at: usize, dst_at: usize, run_bytes: usize| {
        (Runs { src_at, dst_at, sstep: 0, dstep: 0, count: 1 }, run_bytes)
    };
    if n == 0 {
        let (runs, len) = single(0, 0, ts);
        f(&runs, len);
        return;
    }
    if region.contains(&0) {
        return;
    }
    // Merge trailing dimensions that are whole in source, destination and region.
    let mut k = n - 1;
    let mut run = region[k];
    while k > 0 && region[k] == src_shape[k] && region[k] == dst_shape[k] {
        k -= 1;
        run *= region[k];
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
    let count = region[j] as usize;
    let outer = &region[..j];
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

/// One item of a selection: an index (drops the dimension) or a range with a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SliceItem {
    /// A single index; negative counts from the end.
    Index(i64),
    /// `start:stop:step`; negative bounds count from the end, `None` means the whole way.
    Range {
        /// First index.
        start: Option<i64>,
        /// One past the last index.
        stop: Option<i64>,
        /// Step (positive).
        step: i64,
    },
}

impl SliceItem {
    /// The whole dimension (`:`).
    pub const FULL: SliceItem = SliceItem::Range { start: None, stop: None, step: 1 };
}

/// A box in an array, resolved: per dimension start, stop and step, and which dimensions an
/// integer index drops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// First index per dimension.
    pub start: Vec<u64>,
    /// One past the last index per dimension.
    pub stop: Vec<u64>,
    /// Step per dimension (1 for plain boxes).
    pub step: Vec<u64>,
    /// Dimensions selected by an integer index (dropped from the result's shape).
    pub dropped: Vec<bool>,
}

impl Selection {
    /// Resolves `items` (fewer than ndim: the rest are `:`) against `shape`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; [`Error::SliceSyntax`] for a zero or
    /// negative step or too many items.
    pub fn resolve(items: &[SliceItem], shape: &[u64]) -> Result<Selection> {
        if items.len() > shape.len() {
            return Err(Error::SliceSyntax { text: format!("{items:?}"), reason: "more items than dimensions" });
        }
        let n = shape.len();
        let mut sel = Selection { start: vec![0; n], stop: shape.to_vec(), step: vec![1; n], dropped: vec![false; n] };
        for (d, item) in items.iter().enumerate() {
            let len = shape[d];
            let abs = |v: i64| if v < 0 { v + len as i64 } else { v };
            match *item {
                SliceItem::Index(i) => {
                    let a = abs(i);
                    if a < 0 || a as u64 >= len {
                        return Err(Error::OutOfRange { dim: d, start: i, stop: i.saturating_add(1), len });
                    }
                    sel.start[d] = a as u64;
                    sel.stop[d] = a as u64 + 1;
                    sel.dropped[d] = true;
                }
                SliceItem::Range { start, stop, step } => {
                    if step <= 0 {
                        return Err(Error::SliceSyntax { text: format!("{item:?}"), reason: "step must be positive" });
                    }
                    let a = start.map_or(0, abs);
                    let b = stop.map_or(len as i64, abs);
                    if a < 0 || b < 0 || a as u64 > len || b as u64 > len || a > b {
                        return Err(Error::OutOfRange {
                            dim: d,
                            start: start.unwrap_or(0),
                            stop: stop.unwrap_or(len as i64),
                            len,
                        });
                    }
                    sel.start[d] = a as u64;
                    sel.stop[d] = b as u64;
                    sel.step[d] = step as u64;
                }
            }
        }
        Ok(sel)
    }

    /// A plain box `start..stop` checked against `shape`.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; [`Error::Shape`] on a rank mismatch.
    pub fn boxed(start: &[u64], stop: &[u64], shape: &[u64]) -> Result<Selection> {
        let n = shape.len();
        if start.len() != n || stop.len() != n {
            return Err(Error::shape(K::RankMismatch, "box", 0, start.len().max(stop.len()) as i64, n as i64));
        }
        for d in 0..n {
            if start[d] > stop[d] || stop[d] > shape[d] {
                return Err(Error::OutOfRange {
                    dim: d,
                    start: start[d].min(i64::MAX as u64) as i64,
                    stop: stop[d].min(i64::MAX as u64) as i64,
                    len: shape[d],
                });
            }
        }
        Ok(Selection { start: start.to_vec(), stop: stop.to_vec(), step: vec![1; n], dropped: vec![false; n] })
    }

    /// Shape of the selected box (steps applied, dropped dimensions kept as 1).
    pub fn box_shape(&self) -> Vec<u64> {
        (0..self.start.len()).map(|d| (self.stop[d] - self.start[d]).div_ceil(self.step[d])).collect()
    }

    /// Shape of the result (dropped dimensions removed).
    pub fn result_shape(&self) -> Vec<u64> {
        self.box_shape().into_iter().zip(&self.dropped).filter(|(_, &d)| !d).map(|(s, _)| s).collect()
    }
}

/// Parses a NumPy-style selection such as `"0:10, 5, -3:, ::2"` (also `...` is not
/// supported; missing trailing items mean `:`).
///
/// # Errors
/// [`Error::SliceSyntax`].
pub fn parse_selection(text: &str) -> Result<Vec<SliceItem>> {
    let bad = |reason| Error::SliceSyntax { text: text.to_string(), reason };
    let t = text.trim();
    if t.is_empty() {
        return Ok(Vec::new());
    }
    let num = |s: &str| -> Result<Option<i64>> {
        let s = s.trim();
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<i64>().map(Some).map_err(|_| bad("not an integer"))
        }
    };
    t.split(',')
        .map(|part| {
            let pieces: Vec<&str> = part.split(':').collect();
            match pieces.as_slice() {
                [i] => num(i)?.map(SliceItem::Index).ok_or_else(|| bad("empty item")),
                [a, b] => Ok(SliceItem::Range { start: num(a)?, stop: num(b)?, step: 1 }),
                [a, b, c] => Ok(SliceItem::Range { start: num(a)?, stop: num(b)?, step: num(c)?.unwrap_or(1) }),
                _ => Err(bad("too many ':'")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_worked_example() {
        let g = Geometry::new(&[7, 10, 13], &[4, 6, 5], &[3, 4, 2], 4).unwrap();
        assert_eq!(g.extchunkshape(), &[6, 8, 6]);
        assert_eq!(g.chunk_grid(), &[2, 2, 3]);
        assert_eq!(g.nchunks(), 12);
        assert_eq!(g.chunk_nbytes(), 1152);
        assert_eq!(g.block_nbytes(), 96);
        assert_eq!(g.locate(&[6, 9, 12]), Some((11, 184)));
        assert_eq!(g.locate(&[1, 5, 3]), Some((0, 428)));
        assert_eq!(g.locate(&[5, 7, 11]), Some((11, 44)));
        assert_eq!(g.locate(&[7, 0, 0]), None);
    }

    #[test]
    fn invalid_geometries_are_typed_errors() {
        let e = Geometry::new(&[10, 10], &[5, 5], &[6, 5], 4).unwrap_err();
        assert!(matches!(e, Error::Shape { kind: K::NotNested, dim: 0, .. }), "{e}");
        assert!(matches!(Geometry::new(&[10], &[0], &[0], 4), Err(Error::Shape { kind: K::Zero, .. })));
        assert!(matches!(Geometry::new(&[10], &[5, 5], &[5, 5], 4), Err(Error::Shape { kind: K::RankMismatch, .. })));
        assert!(matches!(
            Geometry::new(&[1 << 40, 1 << 40], &[1 << 20, 1 << 20], &[1, 1], 1),
            Err(Error::Shape { kind: K::Overflow, .. })
        ));
        assert!(matches!(Geometry::new(&[u64::MAX; 3], &[1; 3], &[1; 3], 1), Err(Error::Shape { .. })));
        assert!(matches!(to_unsigned("shape", &[3, -1]), Err(Error::Shape { kind: K::Negative, dim: 1, .. })));
        assert_eq!(Geometry::new(&[0, 5], &[0, 5], &[0, 5], 4).unwrap().nchunks(), 0);
        assert_eq!(Geometry::new(&[], &[], &[], 8).unwrap().chunk_nbytes(), 8);
    }

    #[test]
    fn selections() {
        let items = parse_selection("1:3, -1, ::2").unwrap();
        let s = Selection::resolve(&items, &[5, 6, 7]).unwrap();
        assert_eq!(s.start, vec![1, 5, 0]);
        assert_eq!(s.stop, vec![3, 6, 7]);
        assert_eq!(s.result_shape(), vec![2, 4]);
        let e = Selection::resolve(&parse_selection("0:9").unwrap(), &[5]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { dim: 0, .. }));
        let e = Selection::resolve(&parse_selection(":,7").unwrap(), &[5, 6]).unwrap_err();
        assert!(matches!(e, Error::OutOfRange { dim: 1, .. }));
        assert!(parse_selection("1:2:3:4").is_err());
        assert!(parse_selection("a").is_err());
    }

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
            let region: Vec<u64> = (0..n).map(|d| 1 + next(src_shape[d].min(dst_shape[d]))).collect();
            let src_start: Vec<u64> = (0..n).map(|d| next(src_shape[d] - region[d] + 1)).collect();
            let dst_start: Vec<u64> = (0..n).map(|d| next(dst_shape[d] - region[d] + 1)).collect();
            let src: Vec<u8> = (0..product(&src_shape).unwrap() as usize * ts).map(|i| (i * 7 + 1) as u8).collect();
            let mut got = vec![0u8; product(&dst_shape).unwrap() as usize * ts];
            let mut want = got.clone();
            copy_box(ts, &src, &src_shape, &src_start, &mut got, &dst_shape, &dst_start, &region);
            let (ss, ds) = (strides(&src_shape), strides(&dst_shape));
            for e in 0..product(&region).unwrap() {
                let at = unravel(e, &region);
                let s: u64 = (0..n).map(|d| (src_start[d] + at[d]) * ss[d]).sum();
                let t: u64 = (0..n).map(|d| (dst_start[d] + at[d]) * ds[d]).sum();
                let (s, t) = (s as usize * ts, t as usize * ts);
                want[t..t + ts].copy_from_slice(&src[s..s + ts]);
            }
            assert_eq!(got, want, "case {case}: ts {ts} src {src_shape:?} dst {dst_shape:?} region {region:?}");
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
            copy_box_unshuffling(&planes, &src_shape, &src_start, &mut got, &dst_shape, &dst_start, &region);
            assert_eq!(
                got, want,
                "case {case} shuffled: ts {ts} src {src_shape:?} dst {dst_shape:?} region {region:?}"
            );
            // Planes that are separate buffers (some read where a chunk stores them).
            let apart: Vec<Vec<u8>> = planes.iter().map(|p| p.to_vec()).collect();
            let planes: Vec<&[u8]> = apart.iter().map(Vec::as_slice).collect();
            let mut got = vec![0u8; want.len()];
            copy_box_unshuffling(&planes, &src_shape, &src_start, &mut got, &dst_shape, &dst_start, &region);
            assert_eq!(
                got, want,
                "case {case} shuffled: ts {ts} src {src_shape:?} dst {dst_shape:?} region {region:?}"
            );
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
