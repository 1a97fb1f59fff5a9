//! Disk buckets of selected stars, one per slab of chunk rows along axis 0, so that the cube
//! can be built slab by slab in chunk order with bounded memory (`shared/spec/gaia.md` 3.4).
//! The buckets stay in memory as long as they hold at most a given number of stars in all,
//! and go to files when that is exceeded.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::geom::Grid;
use crate::reader::Star;

/// Bytes of one spilled star: source_id, x, y, z, d (f64) and magnitude (f32).
pub const RECORD: usize = 8 + 8 * 4 + 4;
/// Most buckets used.
pub const MAX_BUCKETS: u64 = 128;

/// Stars spilled to bucket files.
pub struct Spill {
    dir: PathBuf,
    grid: Grid,
    nbuckets: u64,
    writers: Vec<Option<BufWriter<File>>>,
    counts: Vec<u64>,
    /// The buckets while they are kept in memory (`None` once they went to files).
    mem: Option<Vec<Vec<Star>>>,
    /// Most stars kept in memory in all.
    mem_limit: u64,
    total: u64,
}

impl Spill {
    /// Creates the bucket directory `dir`.
    ///
    /// # Errors
    /// I/O errors.
    pub fn create(dir: &Path, grid: Grid) -> Result<Spill> {
        Self::create_in_memory_up_to(dir, grid, 0)
    }

    /// As [`Spill::create`], keeping the buckets in memory while they hold at most
    /// `mem_limit` stars in all.
    ///
    /// # Errors
    /// I/O errors.
    pub fn create_in_memory_up_to(dir: &Path, grid: Grid, mem_limit: u64) -> Result<Spill> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let nbuckets = grid.chunks_per_axis().min(MAX_BUCKETS);
        Ok(Spill {
            dir: dir.to_path_buf(),
            grid,
            nbuckets,
            writers: (0..nbuckets).map(|_| None).collect(),
            counts: vec![0; nbuckets as usize],
            mem: (mem_limit > 0).then(|| (0..nbuckets).map(|_| Vec::new()).collect()),
            mem_limit,
            total: 0,
        })
    }

    /// Number of buckets.
    pub fn nbuckets(&self) -> u64 {
        self.nbuckets
    }

    /// Stars in bucket `b`.
    pub fn count(&self, b: u64) -> u64 {
        self.counts[b as usize]
    }

    fn bucket_path(&self, b: u64) -> PathBuf {
        self.dir.join(format!("bucket{b:04}.bin"))
    }

    /// Appends a star to its bucket.
    ///
    /// # Errors
    /// A star outside the cube; I/O errors.
    pub fn push(&mut self, s: &Star) -> Result<()> {
        let i = self.grid.axis_index(s.pos[0]).context("star outside the cube")?;
        let b = (i / self.grid.chunk) * self.nbuckets / self.grid.chunks_per_axis();
        if let Some(mem) = &mut self.mem {
            if self.total < self.mem_limit {
                mem[b as usize].push(*s);
                self.counts[b as usize] += 1;
                self.total += 1;
                return Ok(());
            }
            // Over the limit: everything goes to the files from now on.
            let mem = self.mem.take().unwrap_or_default();
            self.counts.iter_mut().for_each(|c| *c = 0);
            self.total = 0;
            for bucket in mem {
                for star in &bucket {
                    self.write(star)?;
                }
            }
        }
        self.write(s)
    }

    fn write(&mut self, s: &Star) -> Result<()> {
        let i = self.grid.axis_index(s.pos[0]).context("star outside the cube")?;
        let b = (i / self.grid.chunk) * self.nbuckets / self.grid.chunks_per_axis();
        self.total += 1;
        let w = match &mut self.writers[b as usize] {
            Some(w) => w,
            slot => {
                let p = self.dir.join(format!("bucket{b:04}.bin"));
                let f = File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
                slot.insert(BufWriter::with_capacity(1 << 18, f))
            }
        };
        let mut rec = [0u8; RECORD];
        rec[0..8].copy_from_slice(&s.source_id.to_le_bytes());
        for a in 0..3 {
            rec[8 + 8 * a..16 + 8 * a].copy_from_slice(&s.pos[a].to_le_bytes());
        }
        rec[32..40].copy_from_slice(&s.d_ly.to_le_bytes());
        rec[40..44].copy_from_slice(&s.mag.to_le_bytes());
        w.write_all(&rec).context("writing a spill file")?;
        self.counts[b as usize] += 1;
        Ok(())
    }

    /// Flushes every bucket file.
    ///
    /// # Errors
    /// I/O errors.
    pub fn flush(&mut self) -> Result<()> {
        for w in self.writers.iter_mut().flatten() {
            w.flush().context("writing a spill file")?;
        }
        Ok(())
    }

    /// Reads bucket `b` back (and deletes its file).
    ///
    /// # Errors
    /// I/O errors.
    pub fn take_bucket(&mut self, b: u64) -> Result<Vec<Star>> {
        if let Some(mem) = &mut self.mem {
            return Ok(std::mem::take(&mut mem[b as usize]));
        }
        let out = self.read_bucket(b, |_| true)?;
        self.remove_bucket(b);
        Ok(out)
    }

    /// Flushes bucket `b` and calls `f` with each of its stars, in file order.
    ///
    /// # Errors
    /// I/O errors and the errors of `f`.
    pub fn scan_bucket(&mut self, b: u64, mut f: impl FnMut(Star) -> Result<()>) -> Result<()> {
        if let Some(mem) = &self.mem {
            for s in &mem[b as usize] {
                f(*s)?;
            }
            return Ok(());
        }
        match &mut self.writers[b as usize] {
            Some(w) => w.flush().context("writing a spill file")?,
            None => return Ok(()),
        }
        let p = self.bucket_path(b);
        let file = File::open(&p).with_context(|| format!("cannot open {}", p.display()))?;
        let mut r = BufReader::with_capacity(1 << 20, file);
        let mut rec = [0u8; RECORD];
        for _ in 0..self.counts[b as usize] {
            r.read_exact(&mut rec).with_context(|| format!("reading {}", p.display()))?;
            let f64at = |o: usize| f64::from_le_bytes(rec[o..o + 8].try_into().expect("8"));
            f(Star {
                source_id: i64::from_le_bytes(rec[0..8].try_into().expect("8")),
                pos: [f64at(8), f64at(16), f64at(24)],
                d_ly: f64at(32),
                mag: f32::from_le_bytes(rec[40..44].try_into().expect("4")),
            })?;
        }
        Ok(())
    }

    /// The stars of bucket `b` for which `keep` holds.
    ///
    /// # Errors
    /// I/O errors.
    pub fn read_bucket(&mut self, b: u64, keep: impl Fn(&Star) -> bool) -> Result<Vec<Star>> {
        let mut out = Vec::new();
        self.scan_bucket(b, |s| {
            if keep(&s) {
                out.push(s);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Deletes the file of bucket `b`.
    pub fn remove_bucket(&mut self, b: u64) {
        if let Some(mem) = &mut self.mem {
            mem[b as usize] = Vec::new();
        }
        if self.writers[b as usize].take().is_some() {
            let _ = std::fs::remove_file(self.bucket_path(b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stars() -> Vec<Star> {
        (0..40)
            .map(|i| {
                let x = (i as f64 * 977.0) % 19_000.0 - 9_500.0;
                Star { source_id: i, pos: [x, -x / 2.0, 3.0], d_ly: x.abs(), mag: i as f32 }
            })
            .collect()
    }

    /// Buckets kept in memory, moved to files past the limit, or in files from the start
    /// hand back the same stars in the same order.
    #[test]
    fn memory_and_files_give_the_same_buckets() {
        let grid = Grid::talk();
        let dir = std::env::temp_dir().join(format!("milkyway-spill-test-{}", std::process::id()));
        let mut all = Vec::new();
        for limit in [0, 10, 1000] {
            let d = dir.join(limit.to_string());
            let mut s = Spill::create_in_memory_up_to(&d, grid, limit).unwrap();
            for st in stars() {
                s.push(&st).unwrap();
            }
            s.flush().unwrap();
            assert_eq!(s.mem.is_some(), limit == 1000);
            let mut got = Vec::new();
            for b in 0..s.nbuckets() {
                let mut scanned = Vec::new();
                s.scan_bucket(b, |x| {
                    scanned.push(x);
                    Ok(())
                })
                .unwrap();
                let taken = s.take_bucket(b).unwrap();
                assert_eq!(scanned, taken);
                assert_eq!(taken.len() as u64, s.count(b));
                got.push(taken);
            }
            all.push(got);
        }
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(all[0], all[1]);
        assert_eq!(all[0], all[2]);
        assert_eq!(all[0].iter().map(Vec::len).sum::<usize>(), 40);
    }
}
