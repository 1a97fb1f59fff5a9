//! Fast paths for chunks that are almost all zeros (a cube chunk of 250^3 cells usually holds
//! a handful of stars in 1000 blocks): encoding a chunk from its non-zero blocks only, and
//! finding the non-zero blocks of a stored chunk without decompressing it.
//!
//! Both rely on the chunk format of `shared/spec/chunk.md`: after the 32-byte extended header
//! come one `i32` block start per block, and a block whose single stream is a run of zeros is
//! stored as a stream size of 0 (C-Blosc2 writes exactly this, see the golden cube). Blocks
//! with data are compressed by `blosc2-core` as one-block chunks whose stream is moved into
//! place, so their bytes are what `chunk::compress` would write for them. Most blocks of a
//! sparse cube hold a single star, so the stream of a block with one non-zero byte is
//! computed once per (offset, value) and then reused.

use std::collections::HashMap;
use std::sync::RwLock;

use anyhow::{bail, ensure, Result};
use blosc2_core::chunk::{self, ChunkHeader, CompressParams};
use blosc2_core::header::{flags, EXTENDED_HEADER_LEN};

/// Most streams of single-byte blocks remembered (a few tens of bytes each).
const MEMO_MAX: usize = 1 << 17;

/// Block streams by (offset, value) of a block's only non-zero byte.
type Memo = HashMap<(u32, u8), Box<[u8]>>;

/// Builds chunks of `nblocks` blocks of `params.blocksize` bytes from their non-zero blocks.
#[derive(Debug)]
pub struct SparseChunkEncoder {
    params: CompressParams,
    nblocks: usize,
    header: [u8; EXTENDED_HEADER_LEN],
    /// Stream bytes of blocks whose only non-zero byte is `value` at `offset`, by
    /// `(offset, value)`.
    memo: RwLock<Memo>,
}

impl SparseChunkEncoder {
    /// An encoder for 1-byte items (the only case where a block is a single stream).
    ///
    /// # Errors
    /// Parameters other than typesize 1 with a fixed block size.
    pub fn new(params: &CompressParams, nblocks: usize) -> Result<SparseChunkEncoder> {
        ensure!(params.typesize == 1 && params.blocksize > 0, "sparse chunks need typesize 1 and a fixed block size");
        let mut probe = vec![0u8; params.blocksize];
        probe[0] = 1;
        let c = chunk::compress(params, &probe)?;
        let h = ChunkHeader::parse(&c)?;
        ensure!(
            h.flags & flags::MEMCPYED == 0 && h.special().is_none() && h.blocksize_field == params.blocksize,
            "unexpected probe chunk"
        );
        let mut header = [0u8; EXTENDED_HEADER_LEN];
        header.copy_from_slice(&c[..EXTENDED_HEADER_LEN]);
        Ok(SparseChunkEncoder { params: params.clone(), nblocks, header, memo: RwLock::new(HashMap::new()) })
    }

    /// The chunk whose blocks are all zero except `blocks` (block index, block bytes), in
    /// increasing block order.
    ///
    /// # Errors
    /// Blocks out of order or of the wrong size; compression errors.
    pub fn encode(&self, blocks: &[(usize, Vec<u8>)]) -> Result<Vec<u8>> {
        let bs = self.params.blocksize;
        self.assemble(blocks, |data, out| {
            ensure!(data.len() == bs, "block of {} bytes, expected {bs}", data.len());
            match single_nonzero(data) {
                Some(key) => self.push_single(key, out),
                None => self.compress_block(data, out),
            }
        })
    }

    /// As [`SparseChunkEncoder::encode`], each block given by its non-zero bytes (offset in
    /// the block, value), in any order, offsets distinct.
    ///
    /// # Errors
    /// Blocks out of order, offsets beyond the block; compression errors.
    pub fn encode_cells(&self, blocks: &[(usize, Vec<(u32, u8)>)]) -> Result<Vec<u8>> {
        let bs = self.params.blocksize;
        self.assemble(blocks, |cells, out| {
            ensure!(cells.iter().all(|&(o, _)| (o as usize) < bs), "cell offset beyond the block of {bs} bytes");
            match cells.as_slice() {
                [(o, v)] if *v != 0 => self.push_single((*o, *v), out),
                _ => {
                    let mut data = vec![0u8; bs];
                    for &(o, v) in cells {
                        data[o as usize] = v;
                    }
                    self.compress_block(&data, out)
                }
            }
        })
    }

    /// Writes the header, the block starts and, block by block, `push`'s stream for the
    /// given blocks and a zero run for the others.
    fn assemble<T>(
        &self,
        blocks: &[(usize, T)],
        mut push: impl FnMut(&T, &mut Vec<u8>) -> Result<()>,
    ) -> Result<Vec<u8>> {
        let bs = self.params.blocksize;
        let n = self.nblocks;
        let mut out = Vec::with_capacity(EXTENDED_HEADER_LEN + 8 * n + blocks.len() * 64);
        out.extend_from_slice(&self.header);
        out.resize(EXTENDED_HEADER_LEN + 4 * n, 0);
        let mut next = blocks.iter().peekable();
        let mut last = None;
        for j in 0..n {
            let start = out.len() as i32;
            out[EXTENDED_HEADER_LEN + 4 * j..EXTENDED_HEADER_LEN + 4 * j + 4].copy_from_slice(&start.to_le_bytes());
            match next.peek() {
                Some((b, data)) if *b == j => {
                    ensure!(last.is_none_or(|l| l < j), "blocks out of order");
                    last = Some(j);
                    push(data, &mut out)?;
                    next.next();
                }
                _ => out.extend_from_slice(&0i32.to_le_bytes()),
            }
        }
        if next.peek().is_some() {
            bail!("block index beyond {n} or blocks out of order");
        }
        let nbytes = (n * bs) as i32;
        let cbytes = i32::try_from(out.len())?;
        out[4..8].copy_from_slice(&nbytes.to_le_bytes());
        out[12..16].copy_from_slice(&cbytes.to_le_bytes());
        Ok(out)
    }

    /// The stream of a block whose only non-zero byte is `value` at `offset`, from the memo
    /// or compressed (and remembered).
    fn push_single(&self, (offset, value): (u32, u8), out: &mut Vec<u8>) -> Result<()> {
        if let Ok(m) = self.memo.read() {
            if let Some(stream) = m.get(&(offset, value)) {
                out.extend_from_slice(stream);
                return Ok(());
            }
        }
        let mut data = vec![0u8; self.params.blocksize];
        data[offset as usize] = value;
        let at = out.len();
        self.compress_block(&data, out)?;
        if let Ok(mut m) = self.memo.write() {
            if m.len() < MEMO_MAX {
                m.insert((offset, value), out[at..].into());
            }
        }
        Ok(())
    }

    fn compress_block(&self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let c = chunk::compress(&self.params, data)?;
        let h = ChunkHeader::parse(&c)?;
        if h.special().is_some() {
            // Cannot happen for a block with data; store it raw to be safe.
            out.extend_from_slice(&(data.len() as i32).to_le_bytes());
            out.extend_from_slice(data);
        } else if h.flags & flags::MEMCPYED != 0 {
            out.extend_from_slice(&(data.len() as i32).to_le_bytes());
            out.extend_from_slice(data);
        } else {
            ensure!(h.cbytes <= c.len(), "short probe chunk");
            out.extend_from_slice(&c[EXTENDED_HEADER_LEN + 4..h.cbytes]);
        }
        Ok(())
    }
}

/// `(offset, value)` of the only non-zero byte of `data`, if it has exactly one.
fn single_nonzero(data: &[u8]) -> Option<(u32, u8)> {
    let first = data.iter().position(|&b| b != 0)?;
    if data[first + 1..].iter().any(|&b| b != 0) {
        return None;
    }
    Some((u32::try_from(first).ok()?, data[first]))
}

/// The blocks of a stored chunk of 1-byte items that are not zero runs, or `None` when the
/// chunk's layout does not allow telling without decompressing (memcpyed, split streams,
/// dictionaries, variable-length blocks).
pub fn nonzero_blocks(c: &[u8]) -> Option<Vec<usize>> {
    let h = ChunkHeader::parse(c).ok()?;
    if h.special().is_some() {
        return if h.special() == Some(blosc2_core::chunk::SpecialKind::Zeros) { Some(Vec::new()) } else { None };
    }
    if h.typesize != 1 || h.flags & flags::MEMCPYED != 0 || h.has_dict() || h.is_vl_blocks() || h.nbytes == 0 {
        return None;
    }
    if h.flags & flags::EXTENDED != flags::EXTENDED {
        return None;
    }
    let bs = h.blocksize();
    let n = h.nbytes.div_ceil(bs);
    let mut out = Vec::new();
    for j in 0..n {
        let at = EXTENDED_HEADER_LEN + 4 * j;
        let start = i32::from_le_bytes(c.get(at..at + 4)?.try_into().ok()?);
        let start = usize::try_from(start).ok()?;
        let size = i32::from_le_bytes(c.get(start..start + 4)?.try_into().ok()?);
        if size != 0 {
            out.push(j);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use blosc2_core::codec::CodecId;
    use blosc2_core::filter::Pipeline;

    fn params(bs: usize) -> CompressParams {
        CompressParams {
            codec: CodecId::ZSTD,
            codec_meta: 0,
            clevel: 1,
            typesize: 1,
            filters: Pipeline::shuffle(),
            blocksize: bs,
            splitmode: blosc2_core::chunk::SplitMode::Auto,
            nthreads: 1,
            use_dict: false,
            geometry: None,
        }
    }

    #[test]
    fn sparse_encoding_decodes_to_the_dense_chunk() {
        let bs = 1000;
        let n = 40;
        let p = params(bs);
        let enc = SparseChunkEncoder::new(&p, n).unwrap();
        let mut dense = vec![0u8; bs * n];
        let mut blocks = Vec::new();
        for (j, fill) in [(0usize, 1u8), (7, 3), (8, 0xff), (39, 2)] {
            let mut b = vec![0u8; bs];
            if fill == 0xff {
                // Incompressible block: stored raw.
                let mut x = 12345u32;
                for v in b.iter_mut() {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    *v = (x >> 24) as u8;
                }
            } else {
                b[j % bs] = fill;
                b[bs - 1] = fill;
            }
            dense[j * bs..(j + 1) * bs].copy_from_slice(&b);
            blocks.push((j, b));
        }
        let c = enc.encode(&blocks).unwrap();
        assert_eq!(chunk::decompress(&c).unwrap(), dense);
        assert_eq!(nonzero_blocks(&c).unwrap(), vec![0, 7, 8, 39]);
        let normal = chunk::compress(&p, &dense).unwrap();
        assert_eq!(nonzero_blocks(&normal).unwrap(), vec![0, 7, 8, 39]);
        assert_eq!(c, normal, "same bytes as compressing the dense chunk");
    }

    #[test]
    fn remembered_single_byte_blocks_give_the_same_bytes() {
        let bs = 1000;
        let n = 10;
        let p = params(bs);
        let enc = SparseChunkEncoder::new(&p, n).unwrap();
        let block = |at: usize, v: u8| {
            let mut b = vec![0u8; bs];
            b[at] = v;
            b
        };
        // Block 3 twice with the same single byte (the second from the memo), one with two.
        let mut two = block(17, 5);
        two[900] = 1;
        for blocks in
            [vec![(3, block(17, 5)), (4, block(999, 1))], vec![(0, block(999, 1)), (3, block(17, 5)), (9, two)]]
        {
            let mut dense = vec![0u8; bs * n];
            for (j, b) in &blocks {
                dense[j * bs..(j + 1) * bs].copy_from_slice(b);
            }
            let c = enc.encode(&blocks).unwrap();
            assert_eq!(c, chunk::compress(&p, &dense).unwrap());
            assert_eq!(chunk::decompress(&c).unwrap(), dense);
        }
        assert_eq!(enc.memo.read().unwrap().len(), 2);
        // The same chunks from cell lists.
        let cells = [(0, vec![(999, 1)]), (3, vec![(17, 5)]), (9, vec![(900, 1), (17, 5)])];
        let mut dense = vec![0u8; bs * n];
        for (j, cs) in &cells {
            for &(o, v) in cs {
                dense[j * bs + o as usize] = v;
            }
        }
        assert_eq!(enc.encode_cells(&cells).unwrap(), chunk::compress(&p, &dense).unwrap());
        assert!(enc.encode_cells(&[(0, vec![(1000, 1)])]).is_err());
        assert!(enc.encode_cells(&[(3, vec![(1, 1)]), (2, vec![(1, 1)])]).is_err());
        assert!(enc.encode_cells(&[(10, vec![(1, 1)])]).is_err());
    }
}
