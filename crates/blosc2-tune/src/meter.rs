//! Trial compressions of a setting on sampled pieces of a chunk, and what they say of
//! one of its blocks ([`Meter::measure_setting`]). A [`Meter`] holds one thread's buffers
//! and what it learned of the chunk being searched, so that two trials can run at once,
//! each on its own thread with its own meter ([`Meter::follow`]).

use std::sync::Arc;

use blosc2_core::chunk::{self, ChunkHeader, CompressParams, SplitMode};
use blosc2_core::tune::{ChunkInput, Clock, SystemClock};

use crate::config::PerfMode;
use crate::features;
use crate::search::Measure;
use crate::space::{FilterKind, Setting};
use crate::staged::slow;

/// A trial compression (or decompression) that took less than this many seconds is
/// timed again and the faster of the two kept ([`timed`]).
const RETIME_BELOW: f64 = 100e-6;

/// The least cost per byte a block is taken to have, as a share of the larger piece's
/// ([`Meter::measure_setting`]): the cost per byte falls with the size on data that
/// compress well (LZ4 9 + shuffle on `arange_i64`: 2.5x from a 3.8 KB piece to a 4 MiB
/// block), so a share of at most a half would make such blocks look slower than they are.
pub(crate) const PIECE_COST_FLOOR: f64 = 0.25;

/// Runs `f` and times it with `clock`; `None` when `f` fails. A short timing is at the
/// mercy of a cold start and of the scheduler: a filter's first call in the process ran
/// 3x slower than its next (bitshuffle on 6.8 KB pieces of the README's `temps.npy`:
/// 15 us, then 5 us), and one preemption in a few hundred calls takes tens of us. So a
/// run under [`RETIME_BELOW`] is taken twice and the faster time kept (with the second
/// run's result).
fn timed<T>(clock: &dyn Clock, mut f: impl FnMut() -> Option<T>) -> Option<(T, f64)> {
    let t0 = clock.now();
    let mut out = f()?;
    let mut secs = (clock.now() - t0).as_secs_f64();
    if secs < RETIME_BELOW {
        let t1 = clock.now();
        out = f()?;
        secs = secs.min((clock.now() - t1).as_secs_f64());
    }
    Some((out, secs))
}

/// One thread's trial compressions of the chunk being searched.
#[derive(Clone)]
pub(crate) struct Meter {
    pub(crate) clock: Arc<dyn Clock>,
    /// Whether trials time decompression too (not in COMP mode).
    pub(crate) mode: PerfMode,
    /// Output buffer of the trials.
    scratch: Vec<u8>,
    /// Bytes and timed seconds (compression and decompression, without the codec's set-up)
    /// of the trial compressions since the last [`Meter::measure_setting`] began.
    pub(crate) timed: (usize, f64),
    /// Where the chunk being searched holds its data ([`features::DataMap`]).
    pub(crate) map: features::DataMap,
    /// Where every trial's pieces are taken ([`features::DataMap::anchors`]).
    pub(crate) anchors: Vec<usize>,
    /// Which chunk's map this is: counts the chunks mapped ([`Meter::map_chunk`]).
    mapped: u64,
    /// What a block of zeros costs, by filter pipeline, split mode and block size, in the
    /// chunk being searched ([`Meter::zero_block`]).
    zeros: Vec<((FilterKind, SplitMode, usize), Measure)>,
    /// The fraction of blocks of zeros, by block size, in the chunk being searched.
    empties: Vec<(usize, f64)>,
}

impl Default for Meter {
    fn default() -> Meter {
        Meter::new(Arc::new(SystemClock), PerfMode::Comp)
    }
}

impl Meter {
    /// A meter timing with `clock`, decompressions too unless `mode` is COMP.
    pub(crate) fn new(clock: Arc<dyn Clock>, mode: PerfMode) -> Meter {
        Meter {
            clock,
            mode,
            scratch: Vec::new(),
            timed: (0, 0.0),
            map: features::DataMap::default(),
            anchors: Vec::new(),
            mapped: 0,
            zeros: Vec::new(),
            empties: Vec::new(),
        }
    }

    /// Finds where `data` holds its data ([`features::DataMap`]): the chunk about to be
    /// searched, whose trials take their pieces there.
    pub(crate) fn map_chunk(&mut self, data: &[u8]) {
        self.map = features::DataMap::probe(data);
        self.anchors = self.map.anchors(8);
        self.zeros.clear();
        self.empties.clear();
        self.mapped += 1;
    }

    /// Takes what `lead` knows of the chunk being searched (its map, what blocks of zeros
    /// cost), keeping its own buffers: a second thread's meter before a trial.
    pub(crate) fn follow(&mut self, lead: &Meter) {
        if self.mapped != lead.mapped {
            self.map.clone_from(&lead.map);
            self.anchors.clone_from(&lead.anchors);
            self.mapped = lead.mapped;
        }
        self.zeros.clone_from(&lead.zeros);
        self.empties.clone_from(&lead.empties);
        self.clock = Arc::clone(&lead.clock);
        self.mode = lead.mode;
    }

    /// Takes what `other` learned of the chunk that this meter does not know (what blocks
    /// of zeros cost): after a trial on another thread.
    pub(crate) fn learn(&mut self, other: &Meter) {
        for z in &other.zeros {
            if !self.zeros.iter().any(|(k, _)| *k == z.0) {
                self.zeros.push(*z);
            }
        }
        for e in &other.empties {
            if !self.empties.iter().any(|(b, _)| *b == e.0) {
                self.empties.push(*e);
            }
        }
    }

    /// How many chunks this meter has mapped or followed the map of.
    #[cfg(test)]
    pub(crate) fn chunks_mapped(&self) -> u64 {
        self.mapped
    }

    /// [`Meter::measure_setting`] with the bytes and timed seconds of its compressions and
    /// its wall time (the rest: a codec context for a new level, the pieces gathered).
    pub(crate) fn measure_timed(
        &mut self,
        s: &Setting,
        chunk: &ChunkInput<'_>,
        allow: usize,
    ) -> (Measure, (usize, f64), f64) {
        self.timed = (0, 0.0);
        let t0 = self.clock.now();
        let m = self.measure_setting(s, chunk, allow);
        let wall = (self.clock.now() - t0).as_secs_f64();
        (m, self.timed, wall)
    }

    /// Compresses `sample` as blocks of `blocksize` with `p` (one thread) and times it, and
    /// says whether it was stored whole (memcpyed: no block compressed well enough);
    /// `None` when it cannot be compressed.
    pub(crate) fn trial(&mut self, p: &CompressParams, sample: &[u8], blocksize: usize) -> Option<(Measure, bool)> {
        let p = CompressParams { blocksize, nthreads: 1, ..p.clone() };
        let need = sample.len() + blosc2_core::header::MAX_OVERHEAD;
        if self.scratch.len() < need {
            self.scratch.resize(need, 0);
        }
        // Untimed, on a small piece: codec contexts made for a new level (Zstd's, per
        // thread) are set up once per chunk in a real run, not once per block. The fast
        // codecs keep no such state.
        if slow(p.codec) {
            let warm = &sample[..sample.len().min(4096)];
            chunk::compress_into(&CompressParams { blocksize: 0, ..p.clone() }, warm, &mut self.scratch).ok()?;
        }
        let scratch = &mut self.scratch;
        let (n, ctime) = timed(&*self.clock, || chunk::compress_into(&p, sample, scratch).ok())?;
        let c = &self.scratch[..n];
        let mut dtime = 0.0;
        if self.mode != PerfMode::Comp {
            let mut out = vec![0u8; sample.len()];
            dtime = timed(&*self.clock, || chunk::decompress_into(c, &mut out, 1).ok())?.1;
        }
        // The speed a trial says (per byte: the faster timings); the second timing of a
        // short one falls in the trial's fixed part ([`Costs::record`]).
        self.timed.0 += sample.len();
        self.timed.1 += ctime + dtime;
        let header = ChunkHeader::parse(c).ok();
        let special = header.as_ref().and_then(|h| h.special()).is_some();
        let stored = header.is_some_and(|h| h.is_memcpyed());
        Some((Measure { nbytes: sample.len(), cbytes: n, ctime, dtime, special }, stored))
    }

    /// What `s` gives on one block of the chunk, from trial compressions of `allow` bytes
    /// ([`Meter::sample_bytes`]) of sampled blocks on one thread. The block size is the one the chunk would get: when whole
    /// blocks fit the trial's bytes, whole blocks spread over the chunk are compressed as
    /// such; otherwise pieces of two sizes are, and compressed size and times per block
    /// are extrapolated linearly in the block size (a block's fixed cost, headers and
    /// codec set-up, and its cost per byte), since ratios grow with the block size; the
    /// times with a cost per byte of at least [`PIECE_COST_FLOOR`] of the larger piece's.
    ///
    /// The blocks of zeros of the chunk ([`features::DataMap::empty_fraction`]) are
    /// counted at their own cost ([`Meter::zero_block`]): the pieces are taken among the
    /// data, and a chunk of `galaxy_u8` whose 32 blocks hold data in 11 compressed (one
    /// thread) at 53 us a block without a filter and 79 with bitshuffle, where its pieces
    /// said 151 and 125: bitshuffle costs as much on zeros as on data, LZ4 alone scans
    /// them, and COMP 0.1 chose bitshuffle.
    pub(crate) fn measure_setting(&mut self, s: &Setting, chunk: &ChunkInput<'_>, allow: usize) -> Measure {
        let m = self.measure_data(s, chunk, allow);
        let mut p = s.apply(chunk.base);
        let bs = block_size(&mut p, chunk).max(1);
        let e = match self.empties.iter().find(|(b, _)| *b == bs) {
            Some(&(_, e)) => e,
            None => {
                let e = self.map.empty_fraction(chunk.data, bs);
                self.empties.push((bs, e));
                e
            }
        };
        if m.special || m.nbytes == 0 || e <= 0.0 || e >= 1.0 {
            return m;
        }
        let Some(z) = self.zero_block(s, &p, bs) else {
            return m;
        };
        // m per block (it may be of several blocks), then the mean of a block with data and
        // one without (z is of one block).
        let per = bs as f64 / m.nbytes as f64;
        let mix = |d: f64, z: f64| (1.0 - e) * d * per + e * z;
        Measure {
            nbytes: bs,
            cbytes: (mix(m.cbytes as f64, z.cbytes as f64).round() as usize).max(1),
            ctime: mix(m.ctime, z.ctime),
            dtime: mix(m.dtime, z.dtime),
            special: false,
        }
    }

    /// What `s` (whose parameters are `p`) costs on a block of `bs` zeros: its filters and
    /// a scan of their output, whatever its codec (a run is stored as such), from a trial
    /// on at most 32 KiB of zeros (and a last item that is not, so the trial is not a
    /// special chunk), times scaled to the block; stored, a 4-byte marker per stream and
    /// the block's offset. Measured once per filter pipeline, split mode and block size in
    /// a chunk.
    pub(crate) fn zero_block(&mut self, s: &Setting, p: &CompressParams, bs: usize) -> Option<Measure> {
        let key = (s.filter, s.split, bs);
        if let Some((_, m)) = self.zeros.iter().find(|(k, _)| *k == key) {
            return Some(*m);
        }
        let ts = p.typesize.max(1);
        let z = (bs.min(32 << 10) / ts).max(1) * ts;
        let mut sample = vec![0u8; z + ts];
        sample[z] = 1;
        let (t, _) = self.trial(p, &sample, z)?;
        let scale = bs as f64 / sample.len() as f64;
        let m =
            Measure { nbytes: bs, cbytes: 4 * ts + 4, ctime: t.ctime * scale, dtime: t.dtime * scale, special: false };
        self.zeros.push((key, m));
        Some(m)
    }

    /// [`Meter::measure_setting`] on the chunk's pieces with data only.
    pub(crate) fn measure_data(&mut self, s: &Setting, chunk: &ChunkInput<'_>, allow: usize) -> Measure {
        let failed = |n| Measure { nbytes: n, cbytes: n, ctime: 1.0, dtime: 1.0, special: true };
        let ts = chunk.base.typesize.max(1);
        let mut p = s.apply(chunk.base);
        p.nthreads = 1;
        let bs = block_size(&mut p, chunk);
        if bs <= allow {
            let sample = features::blocks_at(chunk.data, bs, (allow / bs).clamp(1, 8), &self.anchors);
            let m = self.trial(&p, &sample, bs.min(sample.len()));
            return m.map_or_else(|| failed(sample.len()), |(m, _)| m);
        }
        // Two pieces of `big` bytes, then their first halves as blocks of `small`.
        let big = (allow / 2 / ts).max(2) * ts;
        let small = (big / 2 / ts).max(1) * ts;
        let sample = features::blocks_at(chunk.data, big, 2, &self.anchors);
        // Of each piece, its first half, or its second when the first is zeros.
        let mut halves = Vec::with_capacity(sample.len() / 2 + small);
        for c in sample.chunks(big) {
            let (a, b) = c.split_at(small.min(c.len()));
            let h = if features::has_data(a) || !features::has_data(b) { a } else { &b[..small.min(b.len())] };
            halves.extend_from_slice(h);
        }
        // The halves first: the smaller compression takes the setting's cold start.
        let (Some((ms, stored_s)), Some((mb, stored_b))) =
            (self.trial(&p, &halves, small), self.trial(&p, &sample, big))
        else {
            return failed(bs);
        };
        if mb.special || ms.special {
            return Measure { special: true, ..mb };
        }
        let nb = mb.nbytes.div_ceil(big) as f64;
        let ns = ms.nbytes.div_ceil(small) as f64;
        // Per block: y = a + b x, from (big, yb / nb) and (small, ys / ns); (a, b). Times
        // (`time`) with the cost per byte kept within [PIECE_COST_FLOOR, 1] of the larger
        // piece's: the difference of two timings of a few us, extrapolated 19x-37x to a
        // block, is mostly noise (over 60 runs of the README's example, unbounded, LZ4 9 +
        // shuffle came out at 245-568 us a block, it runs at 248, and one setting in ten
        // runs went 2-6x off either way). Sizes keep the line: a ratio can grow
        // twenty-fold from a piece to a block.
        let line = |yb: f64, ys: f64, time: bool| {
            let (pb, psm) = (yb / nb, ys / ns);
            let slope = (pb - psm) / (big - small) as f64;
            let per_byte = pb / big as f64;
            let b = if time { slope.clamp(PIECE_COST_FLOOR * per_byte, per_byte) } else { slope.max(0.0) };
            ((pb - b * big as f64).max(0.0), b)
        };
        let fit = |yb: f64, ys: f64, time: bool| {
            let (a, b) = line(yb, ys, time);
            a + b * bs as f64
        };
        let cbytes = fit(mb.cbytes as f64, ms.cbytes as f64, false).max(1.0);
        // A sample stored whole decompresses as one copy, and so would the chunk: the fixed
        // part of its time is paid once per chunk, not once per block. Counted per block,
        // it made stored chunks look slower to decompress than they are, and DECOMP 0.5
        // chose LZ4HC + shuffle (ratio 1.23) over stored chunks that decompress 2.6x
        // faster (the star table's `x`).
        let dtime = if stored_b && stored_s {
            // At most 30 GB/s (a copy's speed), whatever the noise of two short timings.
            (line(mb.dtime, ms.dtime, true).1 * bs as f64).max(bs as f64 / 3e10)
        } else {
            fit(mb.dtime, ms.dtime, true)
        };
        Measure {
            nbytes: bs,
            cbytes: (cbytes.round() as usize).max(1),
            ctime: fit(mb.ctime, ms.ctime, true).max(1e-9),
            dtime,
            special: false,
        }
    }
}

/// The block size the chunk would get with `p` (whose block size it sets to 0, for
/// automatic, unless the container fixes it).
pub(crate) fn block_size(p: &mut CompressParams, chunk: &ChunkInput<'_>) -> usize {
    if chunk.fixed.blocksize && chunk.base.blocksize > 0 {
        chunk.base.blocksize
    } else {
        p.blocksize = 0;
        chunk::blocksize::compute_blocksize(p, chunk.data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blosc2_core::tune::Fixed;

    fn ramp(n: usize) -> Vec<u8> {
        (0..n as u64 / 8).flat_map(|i| (i / 3).to_le_bytes()).collect()
    }

    #[test]
    fn a_meter_that_follows_another_measures_as_it_does_and_shares_what_it_learns() {
        // 16 blocks of 64 KiB, data in the last 4.
        let mut data = vec![0u8; 1 << 20];
        data[12 << 16..].copy_from_slice(&ramp(4 << 16));
        let base = CompressParams { typesize: 8, nthreads: 1, blocksize: 1 << 16, ..CompressParams::default() };
        let chunk = ChunkInput { index: 0, data: &data, base: &base, fixed: Fixed { blocksize: true } };
        let mut lead = Meter::default();
        lead.map_chunk(&data);
        let mut other = Meter::default();
        other.follow(&lead);
        assert_eq!((other.chunks_mapped(), &other.anchors), (lead.chunks_mapped(), &lead.anchors));
        // The same pieces, so the same compressed sizes; the blocks of zeros learned by
        // the one are the other's after `learn`.
        let lz4 = Setting { codec: blosc2_core::codec::CodecId::LZ4, ..Setting::DEFAULT };
        let (m, timed, wall) = other.measure_timed(&lz4, &chunk, 2 << 16);
        assert_eq!(m.cbytes, lead.measure_setting(&lz4, &chunk, 2 << 16).cbytes);
        assert!(timed.0 > 0 && timed.1 > 0.0 && wall >= timed.1, "{timed:?} {wall}");
        let before = lead.zeros.len();
        let mut fresh = Meter::default();
        fresh.learn(&other);
        assert_eq!((fresh.zeros.len(), fresh.empties.len()), (other.zeros.len(), other.empties.len()));
        lead.learn(&other);
        assert_eq!(lead.zeros.len(), before, "nothing twice");
        // A new chunk mapped: the follower takes the new map.
        lead.map_chunk(&ramp(1 << 20));
        other.follow(&lead);
        assert_eq!((other.chunks_mapped(), &other.anchors), (lead.chunks_mapped(), &lead.anchors));
        assert!(other.zeros.is_empty());
    }
}
