//! Writing a super-chunk as a contiguous frame (to a buffer, any writer or a file) or as a
//! sparse-frame directory, laid out as C-Blosc2 3.x lays out a frame that chunks were
//! appended to (`shared/spec/frame.md` 1, 3, 4.3, 6 and 7): zero, NaN and uninitialized
//! chunks become special offsets while the chunk size is fixed, the offsets chunk is
//! compressed as appends compress it. The frame layer supplies the layout
//! ([`crate::frame::descriptor`]); this module feeds it the chunks.
//!
//! Files are written in the order chunk data, offsets, header, trailer, to a temporary
//! name renamed over the target at the end, so a crash never leaves a half-written frame
//! under the target name.

use std::io::Write;
use std::path::Path;

use super::SChunk;
use crate::chunk::SpecialKind;
use crate::error::{Error, Result};
use crate::frame::descriptor::FrameParts;
use crate::frame::disk::{crash_point, temp_name, write_atomically};
use crate::frame::offsets::{repeated_offsets, special_offset};
use crate::frame::reader::{sparse_chunk_name, SPARSE_INDEX};
use crate::frame::trailer::trailer_bytes;
use crate::frame::FrameType;

/// The plan of a frame: one offset per chunk and the bytes that precede the chunks.
struct Plan {
    offsets: Vec<i64>,
    /// Indices of the chunks stored as data, in file order.
    stored: Vec<u64>,
    /// Length of the chunks section (contiguous) or sum of the chunk files (sparse).
    data_len: u64,
}

fn io_err(e: &std::io::Error, path: &Path) -> Error {
    Error::io(e, path)
}

impl SChunk {
    fn plan(&self, sparse: bool) -> Result<Plan> {
        let n = self.nchunks();
        let mut offsets = Vec::with_capacity(n.min(1 << 24) as usize);
        let mut stored = Vec::new();
        let mut data_len = 0u64;
        for i in 0..n {
            let info = self.chunk_info(i)?;
            match self.desc.special_offset(info.special) {
                Some(o) => offsets.push(o),
                None => {
                    offsets.push(if sparse { stored.len() as i64 } else { data_len as i64 });
                    stored.push(i);
                    data_len += info.cbytes as u64;
                }
            }
        }
        Ok(Plan { offsets, stored, data_len })
    }

    /// Header, offsets chunk and trailer of a frame with this plan.
    fn frame_parts(&self, plan: &Plan, frame_type: FrameType) -> Result<FrameParts> {
        let vl = self.desc.vlmetalayers_to_write()?;
        self.desc.parts(frame_type, &plan.offsets, plan.data_len, &vl)
    }

    /// Serializes the super-chunk as a contiguous frame in a new buffer (each chunk is
    /// copied once).
    ///
    /// # Errors
    /// Chunk read errors; [`Error::Metalayer`] for metadata that does not fit a frame.
    pub fn to_cframe(&self) -> Result<Vec<u8>> {
        let plan = self.plan(false)?;
        let parts = self.frame_parts(&plan, FrameType::Contiguous)?;
        let mut out = Vec::with_capacity(usize::try_from(parts.header.frame_len).unwrap_or(0));
        out.extend_from_slice(&parts.header_bytes);
        for &i in &plan.stored {
            out.extend_from_slice(&self.chunk(i)?);
        }
        out.extend_from_slice(&parts.offsets);
        out.extend_from_slice(&parts.trailer);
        Ok(out)
    }

    /// Writes the super-chunk as a contiguous frame to `w` (chunk data, then offsets,
    /// trailer; the header is computed first and written at the start); returns the frame
    /// length.
    ///
    /// # Errors
    /// As [`SChunk::to_cframe`], plus [`Error::Io`].
    pub fn write_cframe<W: Write>(&self, w: &mut W) -> Result<u64> {
        let plan = self.plan(false)?;
        let parts = self.frame_parts(&plan, FrameType::Contiguous)?;
        let here = Path::new("<writer>");
        w.write_all(&parts.header_bytes).map_err(|e| io_err(&e, here))?;
        for &i in &plan.stored {
            w.write_all(&self.chunk(i)?).map_err(|e| io_err(&e, here))?;
        }
        w.write_all(&parts.offsets).map_err(|e| io_err(&e, here))?;
        w.write_all(&parts.trailer).map_err(|e| io_err(&e, here))?;
        Ok(parts.header.frame_len)
    }

    /// Saves the super-chunk as a contiguous frame file (`.b2frame`), replacing `path`
    /// atomically (written under a temporary name, then renamed). Like a commit it is not
    /// `fsync`ed: open the file and [`SChunk::flush`] it when the frame must survive a power
    /// loss.
    ///
    /// # Errors
    /// As [`SChunk::write_cframe`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let tmp = temp_name(path);
        let res = (|| {
            let f = std::fs::File::create(&tmp).map_err(|e| io_err(&e, &tmp))?;
            let mut w = std::io::BufWriter::new(f);
            self.write_cframe(&mut w)?;
            crash_point(&tmp)?;
            w.into_inner().map_err(|e| io_err(e.error(), &tmp))?;
            crash_point(path)?;
            std::fs::rename(&tmp, path).map_err(|e| io_err(&e, path))
        })();
        if res.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        res
    }

    /// Writes a new contiguous frame at `path` holding `nchunks` special chunks of kind
    /// `kind` (zeros, NaN or uninitialized) of `chunk_nbytes` bytes each, with this
    /// (empty) super-chunk's parameters, metalayers and vlmetalayers. Neither the work nor
    /// the file size depends on `nchunks`: the offsets are one 40-byte repeated-value
    /// chunk, as C-Blosc2's `fill_special` writes, so a frame of a million chunks takes
    /// microseconds. The file is written under a temporary name and renamed over `path`;
    /// like a commit it is not `fsync`ed (open it and [`SChunk::flush`] for that).
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when the super-chunk already has chunks, for a `Value` kind,
    /// or when the sizes do not fit a frame; [`Error::Io`].
    pub fn save_special(
        &self,
        path: impl AsRef<Path>,
        kind: SpecialKind,
        chunk_nbytes: usize,
        nchunks: u64,
    ) -> Result<()> {
        let path = path.as_ref();
        let bad = |name: &'static str, value: i64, reason: &'static str| Error::InvalidParam { name, value, reason };
        if self.nchunks() != 0 {
            return Err(bad("nchunks", self.nchunks() as i64, "save_special needs an empty super-chunk"));
        }
        let special = special_offset(kind).ok_or(bad("kind", 0, "special offsets exist for zeros, NaN and uninit"))?;
        let chunksize = i32::try_from(chunk_nbytes)
            .ok()
            .filter(|&c| c > 0 && (c as usize) <= crate::header::MAX_BUFFERSIZE)
            .ok_or(bad("chunk_nbytes", chunk_nbytes as i64, "a chunk holds 1 byte to 2 GiB"))?;
        let mut h = self.desc.header(FrameType::Contiguous, 0);
        if nchunks > 0 {
            // As the first appended chunk would set it.
            h.chunksize = chunksize;
        }
        h.nbytes = nchunks.checked_mul(chunk_nbytes as u64).ok_or(bad(
            "nchunks",
            nchunks as i64,
            "the total size overflows",
        ))?;
        let offsets = if nchunks == 0 { Vec::new() } else { repeated_offsets(special, nchunks)? };
        let trailer = trailer_bytes(&*self.desc.vlmetalayers_to_write()?)?;
        let header_len = h.to_bytes(&self.desc.metalayers)?.len() as u64;
        h.frame_len = header_len + offsets.len() as u64 + trailer.len() as u64;
        let mut bytes = h.to_bytes(&self.desc.metalayers)?;
        bytes.extend_from_slice(&offsets);
        bytes.extend_from_slice(&trailer);
        write_atomically(path, &bytes)
    }

    /// Saves the super-chunk as a sparse frame: directory `dir` with one
    /// `NNNNNNNN.chunk` file per stored chunk and the index `chunks.b2frame`. Chunk files
    /// left from an earlier content of `dir` are removed.
    ///
    /// # Errors
    /// As [`SChunk::save`].
    pub fn save_sparse(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| io_err(&e, dir))?;
        let plan = self.plan(true)?;
        let mut keep = std::collections::HashSet::new();
        for (id, &i) in plan.stored.iter().enumerate() {
            let name = sparse_chunk_name(id as u64);
            let path = dir.join(&name);
            std::fs::write(&path, &*self.chunk(i)?).map_err(|e| io_err(&e, &path))?;
            keep.insert(name);
        }
        let parts = self.frame_parts(&plan, FrameType::Sparse)?;
        let index = dir.join(SPARSE_INDEX);
        let tmp = temp_name(&index);
        let mut bytes = parts.header_bytes;
        bytes.extend_from_slice(&parts.offsets);
        bytes.extend_from_slice(&parts.trailer);
        std::fs::write(&tmp, &bytes).map_err(|e| io_err(&e, &tmp))?;
        std::fs::rename(&tmp, &index).map_err(|e| io_err(&e, &index))?;
        for entry in std::fs::read_dir(dir).map_err(|e| io_err(&e, dir))? {
            let entry = entry.map_err(|e| io_err(&e, dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_chunk = name.len() == 14 && name.ends_with(".chunk");
            if is_chunk && !keep.contains(&name) {
                let p = entry.path();
                std::fs::remove_file(&p).map_err(|e| io_err(&e, &p))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::chunk::{CompressParams, SpecialKind};
    use crate::frame::{Frame, FrameWriter};
    use crate::schunk::{Metalayers, SChunk};

    fn params() -> CompressParams {
        CompressParams { typesize: 4, codec: crate::codec::CodecId::LZ4, ..CompressParams::default() }
    }

    fn items(k: u32, n: u32) -> Vec<u8> {
        (k..k + n).flat_map(|v| (v / 3).to_le_bytes()).collect()
    }

    #[test]
    fn streamed_frames_equal_saved_ones() {
        let dir = std::env::temp_dir().join(format!("b2-fw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut meta = Metalayers::new();
        meta.add("m", &[0x93, 1, 2, 3]).unwrap();
        // Fixed chunk size with special chunks (bytes identical to save), then a variable
        // one whose special chunk must be materialized (same content).
        for (variable, sparse) in [(false, false), (false, true), (true, false), (true, true)] {
            let name = format!("f-{variable}-{sparse}");
            let (a, b) = (dir.join(format!("{name}.stream")), dir.join(format!("{name}.saved")));
            let mut w = FrameWriter::create(&a, params(), meta.clone(), sparse).unwrap();
            let mut s = SChunk::new(params());
            s.metalayers_mut().add("m", &[0x93, 1, 2, 3]).unwrap();
            for k in 0..5u32 {
                let n = if variable && k == 3 { 50 } else { 100 };
                let c = if k == 2 {
                    s.special_chunk(SpecialKind::Zeros, 400, &[]).unwrap()
                } else {
                    crate::chunk::compress(&params(), &items(k * 100, n)).unwrap()
                };
                w.append_chunk(c.clone()).unwrap();
                s.append_chunk(c).unwrap();
            }
            w.vlmetalayers_mut().set("v", b"x").unwrap();
            s.vlmetalayers_mut().set("v", b"x").unwrap();
            w.finish().unwrap();
            if sparse {
                s.save_sparse(&b).unwrap();
            } else {
                s.save(&b).unwrap();
            }
            let (fa, fb) = (Frame::open(&a).unwrap(), Frame::open(&b).unwrap());
            assert_eq!(fa.header(), fb.header(), "{name}");
            for i in 0..5 {
                assert_eq!(fa.decompress_chunk(i).unwrap(), fb.decompress_chunk(i).unwrap(), "{name} {i}");
            }
            if !variable && !sparse {
                assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), "{name}");
            }
        }
        // An unfinished writer leaves nothing behind.
        let c = dir.join("dropped");
        drop(FrameWriter::create(&c, params(), Metalayers::new(), false).unwrap());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 8);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn repeated_chunks_equal_chunks_appended_one_by_one() {
        let dir = std::env::temp_dir().join(format!("b2-fw-rep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = SChunk::new(params());
        let zeros = s.special_chunk(SpecialKind::Zeros, 400, &[]).unwrap();
        let nans = s.special_chunk(SpecialKind::Nan, 400, &[]).unwrap();
        let value = s.special_chunk(SpecialKind::Value, 400, &7u32.to_le_bytes()).unwrap();
        let data = crate::chunk::compress(&params(), &items(0, 100)).unwrap();
        let short = crate::chunk::compress(&params(), &items(0, 50)).unwrap();
        let short_zeros = s.special_chunk(SpecialKind::Zeros, 200, &[]).unwrap();
        // (chunk, count) runs: special runs at the start, after data, of another kind, of
        // a value chunk (written each time), and runs that turn the chunk size variable.
        let cases: Vec<Vec<(&[u8], u64)>> = vec![
            vec![(&zeros, 3), (&data, 1), (&zeros, 1000), (&nans, 2), (&zeros, 0), (&data, 2), (&zeros, 5)],
            vec![(&data, 1), (&value, 3), (&zeros, 4)],
            vec![(&zeros, 3), (&short_zeros, 2), (&zeros, 2)],
            vec![(&zeros, 4), (&short, 1), (&zeros, 3)],
            vec![(&short_zeros, 3), (&zeros, 2)],
        ];
        for (k, runs) in cases.iter().enumerate() {
            for checksums in [false, true] {
                let (a, b) = (dir.join(format!("{k}-{checksums}.rep")), dir.join(format!("{k}-{checksums}.one")));
                let mut wa = FrameWriter::create(&a, params(), Metalayers::new(), false).unwrap();
                let mut wb = FrameWriter::create(&b, params(), Metalayers::new(), false).unwrap();
                if checksums {
                    wa.enable_checksums().unwrap();
                    wb.enable_checksums().unwrap();
                }
                for &(c, n) in runs {
                    let na = wa.append_chunk_repeated(c, n).unwrap();
                    for _ in 0..n {
                        wb.append_chunk_bytes(c).unwrap();
                    }
                    assert_eq!(na, wb.nchunks());
                }
                assert_eq!(wa.nbytes(), wb.nbytes());
                wa.finish().unwrap();
                wb.finish().unwrap();
                let (fa, fb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
                assert_eq!(fa, fb, "case {k}, checksums {checksums}");
                let f = Frame::open(&a).unwrap();
                let total: u64 = runs.iter().map(|r| r.1).sum();
                assert_eq!(f.nchunks(), total);
                for i in 0..total {
                    f.decompress_chunk(i).unwrap();
                }
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn chunk_size_and_metalayer_set_before_finishing() {
        let dir = std::env::temp_dir().join(format!("b2-fw-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut meta = Metalayers::new();
        meta.add("m", &[0x93, 1, 2, 3]).unwrap();
        // No chunk: the header tells the chunk size given beforehand, or -1.
        for (set, want) in [(None, -1), (Some(400), 400)] {
            let p = dir.join(format!("empty-{want}"));
            let mut w = FrameWriter::create(&p, params(), meta.clone(), false).unwrap();
            if let Some(n) = set {
                w.set_chunksize(n).unwrap();
            }
            w.update_metalayer("m", &[0x93, 4, 5, 6]).unwrap();
            assert!(w.update_metalayer("m", &[0x92, 4, 5]).is_err(), "another length");
            assert!(w.update_metalayer("n", &[0x90]).is_err(), "no such metalayer");
            assert_eq!(w.metalayers().get("m"), Some(&[0x93, 4, 5, 6][..]));
            w.finish().unwrap();
            let f = Frame::open(&p).unwrap();
            assert_eq!((f.header().chunksize, f.nchunks()), (want, 0));
            assert_eq!(f.metalayers().get("m"), Some(&[0x93, 4, 5, 6][..]));
        }
        // With chunks the first chunk sets it, as without.
        let (a, b) = (dir.join("a"), dir.join("b"));
        let mut wa = FrameWriter::create(&a, params(), meta.clone(), false).unwrap();
        let mut wb = FrameWriter::create(&b, params(), meta.clone(), false).unwrap();
        wa.set_chunksize(1000).unwrap();
        for w in [&mut wa, &mut wb] {
            w.append_buffer(&items(0, 100)).unwrap();
            assert!(w.set_chunksize(400).is_err());
        }
        wa.finish().unwrap();
        wb.finish().unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
