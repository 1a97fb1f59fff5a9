//! A block decoded as far as its byte shuffle ([`super::Decompressor::decode_block`]): its
//! byte planes, read where they are, in the caller's buffer or in the chunk itself.

/// Whether [`super::Decompressor::decode_block`] copies the streams a chunk stores as they
/// are (incompressible byte planes) into the output, or leaves them in the chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredPlanes {
    /// Every plane in the output buffer.
    Copy,
    /// Planes stored as they are read from the chunk (one copy less; scattered reads of
    /// memory not yet in the cache may cost more than the copy).
    InPlace,
}

/// What [`super::Decompressor::decode_block`] gives.
#[derive(Debug)]
pub enum DecodedBlock<'a> {
    /// The decoded block (the output buffer).
    Plain(&'a [u8]),
    /// The block byte-shuffled: its planes.
    Shuffled(ShuffledBlock<'a>),
}

/// A block left byte-shuffled with element size `typesize`: byte `j` of element `e` is
/// byte `e` of plane `j`, and the last `len % typesize` bytes are in place after the
/// planes ([`ShuffledBlock::tail`]).
#[derive(Debug)]
pub struct ShuffledBlock<'a> {
    typesize: usize,
    out: &'a [u8],
    chunk: &'a [u8],
    /// Per codec stream of the block: `Some(at)` when the stream is `chunk[at..at + n]`
    /// (`n = out.len() / stored.len()`), `None` when it is in `out`. Empty: all in `out`.
    stored: Vec<Option<usize>>,
}

impl<'a> ShuffledBlock<'a> {
    /// The view of a block decoded into `out` but left shuffled, whose streams listed
    /// `Some` in `stored` were left in `chunk`. Where a plane is not inside one stream (a
    /// chunk whose streams are not its shuffle's byte planes), those streams are copied
    /// into `out` first.
    pub(crate) fn new(
        typesize: usize,
        out: &'a mut [u8],
        chunk: &'a [u8],
        mut stored: Vec<Option<usize>>,
    ) -> ShuffledBlock<'a> {
        if stored.iter().any(Option::is_some) {
            let plane = out.len() / typesize;
            let n = out.len() / stored.len();
            let inside = |j: usize| (j * plane) % n + plane <= n;
            if !(0..typesize).all(inside) {
                for (k, s) in stored.iter().enumerate() {
                    if let Some(o) = *s {
                        out[k * n..(k + 1) * n].copy_from_slice(&chunk[o..o + n]);
                    }
                }
                stored.clear();
            }
        } else {
            stored.clear();
        }
        ShuffledBlock { typesize, out, chunk, stored }
    }

    /// The element size of the shuffle.
    pub fn typesize(&self) -> usize {
        self.typesize
    }

    /// Bytes of the block.
    pub fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether the block has no bytes.
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    /// Plane `j` (`j < typesize`): byte `j` of every whole element of the block.
    ///
    /// # Panics
    /// When `j >= typesize`.
    pub fn plane(&self, j: usize) -> &'a [u8] {
        assert!(j < self.typesize, "plane {j} of a shuffle of {} bytes", self.typesize);
        let plane = self.out.len() / self.typesize;
        let from = j * plane;
        if !self.stored.is_empty() {
            let n = self.out.len() / self.stored.len();
            if let Some(Some(o)) = self.stored.get(from / n) {
                return &self.chunk[o + from % n..][..plane];
            }
        }
        &self.out[from..from + plane]
    }

    /// The last `len % typesize` bytes of the block, not shuffled.
    pub fn tail(&self) -> &'a [u8] {
        &self.out[self.out.len() - self.out.len() % self.typesize..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{compress, CompressParams, Decompressor, SplitMode};
    use crate::codec::CodecId;
    use crate::filter::Pipeline;
    use blosc2_testkit::data::{Rand, XorShift64};

    /// Unshuffles a view back to the block's bytes.
    fn unshuffled(v: &ShuffledBlock<'_>) -> Vec<u8> {
        let ts = v.typesize();
        let plane = v.len() / ts;
        let mut out = vec![0u8; v.len()];
        for j in 0..ts {
            for (e, &b) in v.plane(j).iter().enumerate() {
                out[e * ts + j] = b;
            }
        }
        out[plane * ts..].copy_from_slice(v.tail());
        out
    }

    #[test]
    fn views_give_back_every_block() {
        let mut rng = XorShift64::new(7);
        for (ts, split, blocksize, n) in [
            (4, SplitMode::Always, 4096, 40_000),
            (8, SplitMode::Never, 2048, 16_003),
            (3, SplitMode::Always, 999, 7_000),
        ] {
            let mut data = vec![0u8; n];
            // Half the elements random (incompressible planes), half smooth.
            for (i, b) in data.iter_mut().enumerate() {
                *b = if (i / 512) % 2 == 0 { rng.next_u64() as u8 } else { (i / ts / 64) as u8 };
            }
            let p = CompressParams {
                codec: CodecId::LZ4,
                typesize: ts,
                blocksize,
                splitmode: split,
                filters: Pipeline::shuffle(),
                ..CompressParams::default()
            };
            let c = compress(&p, &data).unwrap();
            let d = Decompressor::default();
            for stored in [StoredPlanes::Copy, StoredPlanes::InPlace] {
                let mut at = 0;
                let mut index = 0;
                while at < n {
                    let len = blocksize.min(n - at);
                    let mut out = vec![0u8; len];
                    let got = match d.decode_block(&c, index, &mut out, stored).unwrap() {
                        DecodedBlock::Plain(b) => b.to_vec(),
                        DecodedBlock::Shuffled(v) => {
                            assert_eq!(v.typesize(), ts);
                            unshuffled(&v)
                        }
                    };
                    assert_eq!(got, &data[at..at + len], "block {index} ({ts}, {split:?}, {stored:?})");
                    at += len;
                    index += 1;
                }
            }
        }
    }

    #[test]
    fn planes_across_stored_streams_are_copied_first() {
        // A 16-byte block shuffled with 2-byte elements (planes of 8 bytes) in four 4-byte
        // streams (a chunk whose typesize is 4 and whose shuffle meta says 2): streams 1 and
        // 3 stored in the chunk at 100 and 110. Planes span two streams each.
        let mut c = vec![0u8; 120];
        c[100..104].copy_from_slice(&[4, 5, 6, 7]);
        c[110..114].copy_from_slice(&[12, 13, 14, 15]);
        let mut block = [0, 1, 2, 3, 99, 99, 99, 99, 8, 9, 10, 11, 99, 99, 99, 99];
        let v = ShuffledBlock::new(2, &mut block, &c, vec![None, Some(100), None, Some(110)]);
        assert_eq!([v.plane(0), v.plane(1)], [&(0..8).collect::<Vec<u8>>()[..], &(8..16).collect::<Vec<u8>>()[..]]);
        // One stream per plane: read in place, the block's bytes for it untouched.
        let mut block = [0, 1, 2, 3, 99, 99, 99, 99];
        let v = ShuffledBlock::new(2, &mut block, &c, vec![None, Some(100)]);
        assert_eq!([v.plane(0), v.plane(1)], [&[0u8, 1, 2, 3][..], &[4, 5, 6, 7]]);
        assert!(c.as_ptr_range().contains(&v.plane(1).as_ptr()));
        assert_eq!(block[4..], [99; 4]);
        // A tail of bytes past the last whole element.
        let mut block = [0, 1, 2, 3, 4, 5, 6];
        let v = ShuffledBlock::new(3, &mut block, &c, vec![None]);
        assert_eq!((v.plane(2), v.tail()), (&[4u8, 5][..], &[6u8][..]));
    }
}
