//! Strided and block-reduced reads (`shared/spec/b2nd.md` 3): every k-th element of a box
//! ([`NdArray::read_strided`]) or one number per k-box of it ([`NdArray::read_reduced`]:
//! mean, maximum or minimum), decoding only the blocks that hold wanted elements and none
//! of the blocks a chunk stores as runs of zeros
//! ([`blosc2_core::chunk::sparse::nonzero_blocks`]), nor any block of a special zero chunk.
//!
//! Memory: the answer, plus one block (and, for files read without a memory map, the
//! fetched blocks of one chunk) per thread, whatever the size of the array or the box.
//!
//! ```
//! use blosc2_nd::{NdArray, Options, Reduce, Selection, SliceItem};
//!
//! let values: Vec<f32> = (0..400).map(|i| i as f32).collect();
//! let a = NdArray::from_slice(&[20, 20], &values, &Options::new().chunks(&[10, 10]).blocks(&[5, 5])).unwrap();
//! let every_4th = SliceItem::Range { start: None, stop: None, step: 4 };
//! let sel = Selection::resolve(&[SliceItem::Index(2), every_4th], a.shape()).unwrap();
//! let bytes = a.read_strided(&sel).unwrap();
//! assert_eq!(bytes, [40f32, 44.0, 48.0, 52.0, 56.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
//! let f32_value = |b: &[u8]| f64::from(f32::from_le_bytes(b.try_into().unwrap()));
//! let maxima = a.read_reduced(&sel, Reduce::Max, f32_value).unwrap();
//! assert_eq!(maxima, [43.0, 47.0, 51.0, 55.0, 59.0]);
//! ```

use std::borrow::Cow;
use std::ops::Range;

use blosc2_core::chunk::{nonzero_blocks, ChunkHeader, SpecialKind};
use blosc2_core::frame::offsets::special_kind;
use rayon::prelude::*;

use crate::array::NdArray;
use crate::error::{Error, Result, ShapeErrorKind};
use crate::geometry::{product, ravel, strides};
use crate::region::Region;
use crate::selection::Selection;

/// How the elements of a box become one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reduce {
    /// Mean of the values that are not NaN (NaN when all are), as NumPy's `nanmean`.
    Mean,
    /// Largest value that is not NaN (NaN when all are), as NumPy's `nanmax`.
    Max,
    /// Smallest value that is not NaN (NaN when all are), as NumPy's `nanmin`.
    Min,
}

/// A block along one dimension that holds wanted elements.
#[derive(Debug, Clone)]
struct Span {
    /// Chunk coordinate along the dimension.
    chunk: u64,
    /// Block coordinate inside the chunk.
    block: u64,
    /// Array index of the block's first element.
    origin: u64,
    /// Array indices of the wanted elements in the block (inside its chunk and the box).
    cells: Range<u64>,
    /// Output indices of those elements.
    out: Range<u64>,
}

/// The spans of one dimension, grouped by chunk.
#[derive(Debug, Clone)]
struct Axis {
    spans: Vec<Span>,
    /// Ranges of `spans` with the same chunk.
    chunks: Vec<Range<usize>>,
}

impl Axis {
    fn new(spans: Vec<Span>) -> Axis {
        let mut chunks: Vec<Range<usize>> = Vec::new();
        for (i, s) in spans.iter().enumerate() {
            match chunks.last_mut() {
                Some(r) if spans[r.start].chunk == s.chunk => r.end = i + 1,
                _ => chunks.push(i..i + 1),
            }
        }
        Axis { spans, chunks }
    }
}

/// The blocks of the selected indices `start + j * step` (`j < count`) along a dimension of
/// chunks `cs` and blocks `bs`: one span per block, found block by block.
fn strided_spans(start: u64, step: u64, count: u64, cs: u64, bs: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut j = 0;
    while j < count {
        let idx = start + j * step;
        let (chunk, block) = (idx / cs, (idx % cs) / bs);
        let origin = chunk * cs + block * bs;
        let end = (origin + bs).min((chunk + 1) * cs);
        // The last selected index below `end`.
        let last = ((end - 1 - start) / step).min(count - 1);
        spans.push(Span { chunk, block, origin, cells: idx..start + last * step + 1, out: j..last + 1 });
        j = last + 1;
    }
    spans
}

/// The blocks of the indices `start..stop` along a dimension, each with the output indices
/// (`(index - start) / step`) of the boxes its elements fall in.
fn box_spans(start: u64, stop: u64, step: u64, cs: u64, bs: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut idx = start;
    while idx < stop {
        let (chunk, block) = (idx / cs, (idx % cs) / bs);
        let origin = chunk * cs + block * bs;
        let end = (origin + bs).min((chunk + 1) * cs).min(stop);
        spans.push(Span {
            chunk,
            block,
            origin,
            cells: idx..end,
            out: (idx - start) / step..(end - 1 - start) / step + 1,
        });
        idx = end;
    }
    spans
}

/// What a read does with the blocks it decodes.
trait Visit: Sync {
    /// Per-task state (a part of the answer).
    type Part<'a>: Send;
    /// Whether the elements of `span` wanted along a dimension are the selected ones
    /// (strided) or all the elements of the boxes (reduced).
    const STRIDED: bool;
    /// Handles the cells of a block (`offsets` per dimension: element offset in the block,
    /// element offset in the task's part).
    fn block(&self, part: &mut Self::Part<'_>, block: &[u8], offsets: &[Vec<(usize, usize)>]);
}

/// One piece of parallel work: a range of output indices along the first dimension with
/// more than one output index, and the spans of that dimension it reads.
struct Task {
    rows: Range<u64>,
    spans: Range<usize>,
}

/// The read plan of a selection.
struct Plan {
    axes: Vec<Axis>,
    out_shape: Vec<u64>,
    out_strides: Vec<u64>,
    /// The dimension split into tasks.
    d0: usize,
    tasks: Vec<Task>,
}

impl Plan {
    /// The parts of the answer `out` each task writes, in task order: its rows of
    /// dimension `d0`, `row` items each.
    fn split<'o, T>(&self, out: &'o mut [T], row: usize) -> Vec<&'o mut [T]> {
        let mut parts = Vec::with_capacity(self.tasks.len());
        let mut rest = out;
        let mut at = 0u64;
        for t in &self.tasks {
            let (_, tail) = std::mem::take(&mut rest).split_at_mut((t.rows.start - at) as usize * row);
            let (part, tail) = tail.split_at_mut((t.rows.end - t.rows.start) as usize * row);
            parts.push(part);
            rest = tail;
            at = t.rows.end;
        }
        parts
    }
}

impl NdArray {
    fn plan(&self, sel: &Selection, strided: bool) -> Result<Plan> {
        let g = &self.geom;
        let n = g.ndim();
        let r = sel.region();
        if r.ndim() != n {
            return Err(Error::shape(ShapeErrorKind::RankMismatch, "selection", 0, r.ndim() as i64, n as i64));
        }
        r.check_within(self.shape())?;
        let out_shape = sel.stepped_shape();
        let step = sel.step();
        let axes: Vec<Axis> = (0..n)
            .map(|d| {
                let (cs, bs) = (g.chunkshape()[d], g.blockshape()[d]);
                Axis::new(if strided {
                    strided_spans(r.start()[d], step[d], out_shape[d], cs, bs)
                } else {
                    box_spans(r.start()[d], r.stop()[d], step[d], cs, bs)
                })
            })
            .collect();
        let d0 = (0..n).find(|&d| out_shape[d] > 1).unwrap_or(0);
        // One task per chunk along d0, or per block when there are few chunks; each task
        // owns the output indices from its first span's (or the previous task's end) on.
        let axis = &axes[d0];
        let groups: Vec<Range<usize>> = if axis.chunks.len() >= 2 * rayon::current_num_threads() {
            axis.chunks.clone()
        } else {
            (0..axis.spans.len()).map(|i| i..i + 1).collect()
        };
        let mut tasks: Vec<Task> = Vec::with_capacity(groups.len());
        for gr in groups {
            let lo = tasks.last().map_or(0, |t| t.rows.end).max(axis.spans[gr.start].out.start);
            let hi = axis.spans[gr.end - 1].out.end;
            if lo < hi {
                tasks.push(Task { rows: lo..hi, spans: gr });
            }
        }
        // The spans a task reads: every span whose output indices meet its rows (for
        // reduced reads, a box may straddle two spans).
        for t in &mut tasks {
            while t.spans.start > 0 && axis.spans[t.spans.start - 1].out.end > t.rows.start {
                t.spans.start -= 1;
            }
            while t.spans.end < axis.spans.len() && axis.spans[t.spans.end].out.start < t.rows.end {
                t.spans.end += 1;
            }
        }
        Ok(Plan { out_strides: strides(&out_shape), out_shape, axes, d0, tasks })
    }

    /// The special kind chunk `index` is stored as in the offsets index, if any (no chunk
    /// bytes read).
    fn offset_special(&self, index: u64) -> Option<SpecialKind> {
        let o = self.schunk.frame()?.offsets().get(index).ok()??;
        (o < 0).then(|| special_kind(o, index).ok()).flatten()
    }

    /// Runs `visit` over the blocks of task `t` of `plan`.
    fn run_task<V: Visit>(
        &self,
        plan: &Plan,
        sel: &Selection,
        t: &Task,
        visit: &V,
        part: &mut V::Part<'_>,
    ) -> Result<()> {
        let g = &self.geom;
        let n = g.ndim();
        let bb = g.block_nbytes();
        let bstrides = strides(g.blockshape());
        let (start, step) = (sel.region().start(), sel.step());
        // The chunk groups of each dimension this task reads (d0: its spans only).
        let groups: Vec<Vec<Range<usize>>> = (0..n)
            .map(|d| {
                if d == plan.d0 {
                    let mut v: Vec<Range<usize>> = Vec::new();
                    for i in t.spans.clone() {
                        match v.last_mut() {
                            Some(r) if plan.axes[d].spans[r.start].chunk == plan.axes[d].spans[i].chunk => {
                                r.end = i + 1
                            }
                            _ => v.push(i..i + 1),
                        }
                    }
                    v
                } else {
                    plan.axes[d].chunks.clone()
                }
            })
            .collect();
        if groups.iter().any(Vec::is_empty) {
            return Ok(());
        }
        let mut block = vec![0u8; bb];
        let nbytes = |index: u64| self.expected_chunk_nbytes(index);
        let mut fetched: Vec<u8> = Vec::new();
        let mut offsets: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut ci = vec![0usize; n];
        let mut coords = vec![0u64; n];
        loop {
            // This chunk: one group per dimension.
            let spans: Vec<&[Span]> = (0..n).map(|d| &plan.axes[d].spans[groups[d][ci[d]].clone()]).collect();
            for d in 0..n {
                coords[d] = spans[d][0].chunk;
            }
            let index = g.chunk_index(&coords);
            if !matches!(self.offset_special(index), Some(SpecialKind::Zeros | SpecialKind::Uninit)) {
                self.chunk_blocks(index, &spans, &mut fetched, |c, nonzero, bcoords, sp| {
                    let bi = ravel(bcoords, g.blocks_per_chunk()) as usize;
                    if nonzero.is_some_and(|nz| nz.binary_search(&bi).is_err()) {
                        return Ok(());
                    }
                    // The last block of a plain super-chunk's last chunk may be short.
                    let len = bb.min(nbytes(index).saturating_sub(bi * bb));
                    self.schunk.decompressor().decompress_range(c, bi * bb, &mut block[..len])?;
                    for d in 0..n {
                        let rows = if d == plan.d0 { t.rows.clone() } else { 0..plan.out_shape[d] };
                        let base = if d == plan.d0 { t.rows.start } else { 0 };
                        let (os, bs) = (plan.out_strides[d] as usize, bstrides[d] as usize);
                        let o = &mut offsets[d];
                        o.clear();
                        let s = sp[d];
                        if V::STRIDED {
                            for j in s.out.start.max(rows.start)..s.out.end.min(rows.end) {
                                let idx = start[d] + j * step[d];
                                o.push(((idx - s.origin) as usize * bs, (j - base) as usize * os));
                            }
                        } else {
                            let lo = s.cells.start.max(start[d] + rows.start * step[d]);
                            let hi = s.cells.end.min(start[d] + rows.end * step[d]);
                            for idx in lo..hi {
                                let j = (idx - start[d]) / step[d];
                                o.push(((idx - s.origin) as usize * bs, (j - base) as usize * os));
                            }
                        }
                        if o.is_empty() {
                            return Ok(());
                        }
                    }
                    visit.block(part, &block, &offsets);
                    Ok(())
                })?;
            }
            // Next chunk (odometer, last dimension fastest).
            let mut d = n;
            loop {
                if d == 0 {
                    return Ok(());
                }
                d -= 1;
                ci[d] += 1;
                if ci[d] < groups[d].len() {
                    break;
                }
                ci[d] = 0;
            }
        }
    }

    /// Calls `f(chunk bytes, non-zero blocks, block coordinates, spans)` for every block of
    /// chunk `index` in the product of `spans` (the spans of each dimension in this chunk),
    /// unless the chunk is a special zero or uninitialized chunk.
    fn chunk_blocks(
        &self,
        index: u64,
        spans: &[&[Span]],
        fetched: &mut Vec<u8>,
        mut f: impl FnMut(&[u8], Option<&[usize]>, &[u64], &[&Span]) -> Result<()>,
    ) -> Result<()> {
        let g = &self.geom;
        let n = g.ndim();
        let bb = g.block_nbytes();
        // The blocks wanted: the product of the spans, last dimension fastest.
        let blocks = || {
            let mut picked = vec![0usize; n];
            let mut done = spans.iter().any(|s| s.is_empty());
            std::iter::from_fn(move || {
                if done {
                    return None;
                }
                let item = picked.clone();
                done = true;
                for d in (0..n).rev() {
                    picked[d] += 1;
                    if picked[d] < spans[d].len() {
                        done = false;
                        break;
                    }
                    picked[d] = 0;
                }
                Some(item)
            })
        };
        let block_index = |picked: &[usize], bcoords: &mut [u64]| {
            for d in 0..n {
                bcoords[d] = spans[d][picked[d]].block;
            }
            ravel(bcoords, g.blocks_per_chunk()) as usize
        };
        let mut bcoords = vec![0u64; n];
        // Whole chunks where they are borrowed (memory, memory maps), else only the blocks
        // wanted, fetched from the file.
        let borrowed = self.schunk.frame().is_none_or(|fr| fr.is_in_memory() || fr.is_mapped());
        let chunk: Cow<'_, [u8]> = if borrowed {
            self.schunk.chunk(index)?
        } else {
            let end = self.expected_chunk_nbytes(index);
            let mut ranges: Vec<(usize, usize)> = blocks()
                .map(|p| block_index(&p, &mut bcoords))
                .map(|bi| (bi * bb, ((bi + 1) * bb).min(end)))
                .filter(|(a, b)| a < b)
                .collect();
            ranges.sort_unstable();
            match self.partial_chunk(index, &ranges, fetched, 1) {
                Some(len) => Cow::Borrowed(&fetched[..len]),
                None => self.schunk.chunk(index)?,
            }
        };
        let h = ChunkHeader::parse(&chunk)?;
        crate::box_io::check_chunk_nbytes(index, &h, self.expected_chunk_nbytes(index))?;
        if matches!(h.special(), Some(SpecialKind::Zeros | SpecialKind::Uninit)) {
            return Ok(());
        }
        // The layout of a partial chunk only describes the blocks fetched; the block
        // numbers of the chunk are the array's only when its block size is.
        let nonzero =
            if borrowed && h.special().is_none() && h.blocksize() == bb { nonzero_blocks(&chunk) } else { None };
        let mut sp: Vec<&Span> = Vec::with_capacity(n);
        for picked in blocks() {
            block_index(&picked, &mut bcoords);
            sp.clear();
            sp.extend((0..n).map(|d| &spans[d][picked[d]]));
            f(&chunk, nonzero.as_deref(), &bcoords, &sp)?;
        }
        Ok(())
    }

    /// Runs `visit` over the whole plan, the tasks in parallel, each with its part of the
    /// answer (`parts`, one per task, in task order).
    fn run<V: Visit>(&self, plan: &Plan, sel: &Selection, visit: &V, parts: Vec<V::Part<'_>>) -> Result<()> {
        plan.tasks
            .par_iter()
            .zip(parts)
            .with_max_len(1)
            .try_for_each(|(t, mut part)| self.run_task(plan, sel, t, visit, &mut part))
    }

    /// The elements of `sel` with its steps applied (every `step`-th index from the start
    /// of each range; dropped dimensions kept as 1), as C-order bytes of
    /// [`Selection::stepped_shape`]: what [`NdArray::read_selection`] gives, read without
    /// the box between the selected elements. Only the blocks holding selected elements
    /// are decoded, and of those not the ones a chunk stores as runs of zeros.
    ///
    /// # Errors
    /// [`Error::Shape`] when `sel` has another number of dimensions than the array,
    /// [`Error::OutOfRange`] when it does not lie inside it, chunk errors.
    pub fn read_strided(&self, sel: &Selection) -> Result<Vec<u8>> {
        let ts = self.geom.typesize();
        let cells = product(&sel.stepped_shape()).ok_or_else(|| too_large("selection"))?;
        let len = usize::try_from(cells).ok().and_then(|c| c.checked_mul(ts)).ok_or_else(|| too_large("selection"))?;
        let plain = self.is_plain();
        if self.geom.ndim() == 0 || (sel.step().iter().all(|&k| k == 1) && !plain) || cells == 0 {
            if sel.region().ndim() != self.geom.ndim() {
                let (a, b) = (sel.region().ndim() as i64, self.geom.ndim() as i64);
                return Err(Error::shape(ShapeErrorKind::RankMismatch, "selection", 0, a, b));
            }
            if cells == 0 {
                sel.region().check_within(self.shape())?;
                return Ok(Vec::new());
            }
            return self.read_box(sel.region());
        }
        let plan = self.plan(sel, true)?;
        let mut out = blosc2_core::buffer::zeroed(len);
        let parts = plan.split(&mut out, plan.out_strides[plan.d0] as usize * ts);
        self.run(&plan, sel, &Gather { ts }, parts)?;
        Ok(out)
    }

    /// One number per box of `sel`: for each element of the strided selection
    /// ([`NdArray::read_strided`]), the box from it to the next selected element (cut at
    /// the end of the selection's region), reduced by `how` over the values `value` gives
    /// for the elements' bytes; C order of [`Selection::stepped_shape`]. NaN values are
    /// left out (a box of NaN only gives NaN).
    ///
    /// Every block of the region is decoded, except the special zero chunks and the
    /// blocks a chunk stores as runs of zeros: those count as elements of all-zero bytes.
    ///
    /// # Errors
    /// [`Error::Shape`] when `sel` has another number of dimensions than the array or its
    /// boxes more than `u32::MAX` elements, [`Error::OutOfRange`] when it does not lie
    /// inside the array, chunk errors.
    pub fn read_reduced<F>(&self, sel: &Selection, how: Reduce, value: F) -> Result<Vec<f64>>
    where
        F: Fn(&[u8]) -> f64 + Sync,
    {
        let g = &self.geom;
        let ts = g.typesize();
        let out_shape = sel.stepped_shape();
        let cells = product(&out_shape).ok_or_else(|| too_large("selection"))?;
        let cells = usize::try_from(cells).map_err(|_| too_large("selection"))?;
        if product(sel.step()).is_none_or(|v| v > u64::from(u32::MAX)) {
            return Err(too_large("box"));
        }
        let zero = value(&vec![0u8; ts]);
        if g.ndim() == 0 {
            if sel.region().ndim() != 0 {
                let a = sel.region().ndim() as i64;
                return Err(Error::shape(ShapeErrorKind::RankMismatch, "selection", 0, a, 0));
            }
            let v = value(&self.read_box(&Region::whole(&[]))?);
            return Ok(vec![v]);
        }
        let plan = self.plan(sel, false)?;
        let mut acc = vec![Acc { value: 0.0, seen: 0, nan: 0 }; cells];
        if cells > 0 {
            let parts = plan.split(&mut acc, plan.out_strides[plan.d0] as usize);
            self.run(&plan, sel, &Fold { ts, how, value: &value }, parts)?;
        }
        // The elements not decoded are zeros: count them in. A box's size is the product
        // of its extent in each dimension (the step, or less at the region's end).
        let (start, stop, step) = (sel.region().start(), sel.region().stop(), sel.step());
        let n = g.ndim();
        let extents: Vec<Vec<u64>> = (0..n)
            .map(|d| (0..out_shape[d]).map(|k| step[d].min(stop[d] - (start[d] + k * step[d]))).collect())
            .collect();
        let mut out = Vec::with_capacity(cells);
        let inner = out_shape[n - 1] as usize;
        let mut k = vec![0usize; n - 1];
        for row in acc.chunks_exact(inner.max(1)) {
            let outer: u64 = (0..n - 1).map(|d| extents[d][k[d]]).product();
            for (a, &e) in row.iter().zip(&extents[n - 1]) {
                out.push(a.finish(how, zero, outer * e - u64::from(a.seen)));
            }
            for d in (0..n - 1).rev() {
                k[d] += 1;
                if k[d] < out_shape[d] as usize {
                    break;
                }
                k[d] = 0;
            }
        }
        Ok(out)
    }
}

fn too_large(what: &'static str) -> Error {
    Error::shape(ShapeErrorKind::Overflow, what, 0, i64::MAX, i64::MAX)
}

/// Copies the selected elements of each block to the answer.
struct Gather {
    ts: usize,
}

impl Visit for Gather {
    type Part<'a> = &'a mut [u8];
    const STRIDED: bool = true;

    fn block(&self, part: &mut &mut [u8], block: &[u8], offsets: &[Vec<(usize, usize)>]) {
        match self.ts {
            1 => gather::<1>(part, block, offsets),
            2 => gather::<2>(part, block, offsets),
            4 => gather::<4>(part, block, offsets),
            8 => gather::<8>(part, block, offsets),
            16 => gather::<16>(part, block, offsets),
            ts => each_cell(offsets, 0, 0, 0, &mut |s, d| {
                part[d * ts..(d + 1) * ts].copy_from_slice(&block[s * ts..(s + 1) * ts]);
            }),
        }
    }
}

fn gather<const TS: usize>(part: &mut [u8], block: &[u8], offsets: &[Vec<(usize, usize)>]) {
    each_cell(offsets, 0, 0, 0, &mut |s, d| {
        part[d * TS..(d + 1) * TS].copy_from_slice(&block[s * TS..(s + 1) * TS]);
    });
}

/// Calls `f(source offset, destination offset)` for every cell of the product of
/// `offsets[d..]`, starting from offsets `s` and `t`.
fn each_cell(offsets: &[Vec<(usize, usize)>], d: usize, s: usize, t: usize, f: &mut impl FnMut(usize, usize)) {
    if d + 1 == offsets.len() {
        for &(a, b) in &offsets[d] {
            f(s + a, t + b);
        }
        return;
    }
    for &(a, b) in &offsets[d] {
        each_cell(offsets, d + 1, s + a, t + b, f);
    }
}

/// What a box holds so far.
#[derive(Debug, Clone, Copy)]
struct Acc {
    /// Sum, maximum or minimum of the values seen that are not NaN.
    value: f64,
    /// Elements decoded (NaN included).
    seen: u32,
    /// NaN values among them.
    nan: u32,
}

impl Acc {
    fn add(&mut self, how: Reduce, v: f64) {
        self.seen += 1;
        if v.is_nan() {
            self.nan += 1;
            return;
        }
        let first = self.seen - self.nan == 1;
        self.value = match how {
            Reduce::Mean => self.value + v,
            Reduce::Max if first || v > self.value => v,
            Reduce::Min if first || v < self.value => v,
            _ => self.value,
        };
    }

    /// The box's number, with `skipped` more elements of value `zero`.
    fn finish(&self, how: Reduce, zero: f64, skipped: u64) -> f64 {
        let (mut count, mut value) = (u64::from(self.seen - self.nan), self.value);
        if skipped > 0 && !zero.is_nan() {
            value = match how {
                Reduce::Mean => value + zero * skipped as f64,
                Reduce::Max if count == 0 => zero,
                Reduce::Min if count == 0 => zero,
                Reduce::Max => value.max(zero),
                Reduce::Min => value.min(zero),
            };
            count += skipped;
        }
        match (how, count) {
            (_, 0) => f64::NAN,
            (Reduce::Mean, c) => value / c as f64,
            _ => value,
        }
    }
}

/// Folds the values of each block into the boxes.
struct Fold<'v, F> {
    ts: usize,
    how: Reduce,
    value: &'v F,
}

impl<F: Fn(&[u8]) -> f64 + Sync> Visit for Fold<'_, F> {
    type Part<'a> = &'a mut [Acc];
    const STRIDED: bool = false;

    fn block(&self, part: &mut &mut [Acc], block: &[u8], offsets: &[Vec<(usize, usize)>]) {
        let ts = self.ts;
        each_cell(offsets, 0, 0, 0, &mut |s, d| {
            part[d].add(self.how, (self.value)(&block[s * ts..(s + 1) * ts]));
        });
    }
}
