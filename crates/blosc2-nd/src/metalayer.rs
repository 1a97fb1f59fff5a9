//! The `b2nd` metalayer (`shared/spec/b2nd.md` 1): a msgpack array of version, ndim, shape,
//! chunk shape, block shape, dtype format and dtype string, always in the fixed-width
//! encodings C-Blosc2 writes.

use crate::error::{Error, Result};

/// Name of the metalayer.
pub const NAME: &str = "b2nd";

/// Most dimensions the format can describe (C: `B2ND_MAX_DIM`).
pub const MAX_DIM: usize = 16;

/// The decoded `b2nd` metalayer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct B2ndMeta {
    /// Format version (0).
    pub version: u8,
    /// Array shape.
    pub shape: Vec<i64>,
    /// Chunk shape.
    pub chunkshape: Vec<i32>,
    /// Block shape.
    pub blockshape: Vec<i32>,
    /// Dtype format (0 = NumPy).
    pub dtype_format: u8,
    /// The dtype string; `None` when the content ends after the block shape.
    pub dtype: Option<String>,
}

impl B2ndMeta {
    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// The chunk and block shapes as the core's codecs and filters take them (NDLZ,
    /// NDCELL, NDMEAN read them from this metalayer in C-Blosc2).
    ///
    /// # Errors
    /// [`Error::InvalidMetalayer`] for a negative dimension or shapes of different lengths.
    pub fn nd_geometry(&self) -> Result<blosc2_core::geometry::NdGeometry> {
        let dims = |v: &[i32]| v.iter().map(|&x| usize::try_from(x)).collect::<std::result::Result<Vec<_>, _>>();
        let bad = |reason| Error::InvalidMetalayer { offset: 0, reason };
        let chunks = dims(&self.chunkshape).map_err(|_| bad("negative chunk shape"))?;
        let blocks = dims(&self.blockshape).map_err(|_| bad("negative block shape"))?;
        blosc2_core::geometry::NdGeometry::new(&chunks, &blocks).map_err(|_| bad("chunk and block shapes do not fit"))
    }

    /// Encodes the metalayer content exactly as C-Blosc2 does (`12 + 19 * ndim + len(dtype)`
    /// bytes). A metalayer decoded without a dtype is encoded without one again, so that
    /// rewriting it in place keeps its length.
    pub fn encode(&self) -> Vec<u8> {
        let n = self.shape.len();
        let mut out = Vec::with_capacity(12 + 19 * n + self.dtype.as_ref().map_or(0, String::len));
        out.push(0x97);
        out.push(self.version & 0x7f);
        out.push(n as u8);
        out.push(0x90 + n as u8);
        for &s in &self.shape {
            out.push(0xd3);
            out.extend_from_slice(&s.to_be_bytes());
        }
        for shape in [&self.chunkshape, &self.blockshape] {
            out.push(0x90 + n as u8);
            for &c in shape.iter() {
                out.push(0xd2);
                out.extend_from_slice(&c.to_be_bytes());
            }
        }
        let Some(dtype) = self.dtype.as_deref() else { return out };
        out.push(self.dtype_format & 0x7f);
        out.push(0xdb);
        out.extend_from_slice(&(dtype.len() as u32).to_be_bytes());
        out.extend_from_slice(dtype.as_bytes());
        out
    }

    /// Decodes a metalayer content, checking every marker and length.
    ///
    /// # Errors
    /// [`Error::InvalidMetalayer`] for malformed bytes, [`Error::MetalayerVersion`] for a
    /// version other than 0, [`Error::DtypeFormat`] for a dtype format other than 0.
    pub fn decode(bytes: &[u8]) -> Result<B2ndMeta> {
        let mut r = Reader { b: bytes, pos: 0 };
        if r.u8()? != 0x97 {
            return Err(r.err_at(0, "expected a msgpack array of 7 items (0x97)"));
        }
        let version = r.fixint("version: expected a positive fixint")?;
        if version != 0 {
            return Err(Error::MetalayerVersion { found: version });
        }
        let ndim = r.fixint("ndim: expected a positive fixint")? as usize;
        if ndim > MAX_DIM {
            return Err(r.err_at(2, "ndim above 16"));
        }
        let mut shape = Vec::with_capacity(ndim);
        r.array_marker(ndim, "shape: expected an array of ndim items")?;
        for _ in 0..ndim {
            if r.u8()? != 0xd3 {
                return Err(r.err_back("shape: expected an int64 (0xd3)"));
            }
            shape.push(i64::from_be_bytes(r.take::<8>()?));
        }
        let mut shapes = [Vec::with_capacity(ndim), Vec::with_capacity(ndim)];
        for s in &mut shapes {
            r.array_marker(ndim, "chunkshape/blockshape: expected an array of ndim items")?;
            for _ in 0..ndim {
                if r.u8()? != 0xd2 {
                    return Err(r.err_back("chunkshape/blockshape: expected an int32 (0xd2)"));
                }
                s.push(i32::from_be_bytes(r.take::<4>()?));
            }
        }
        let [chunkshape, blockshape] = shapes;
        if r.pos == bytes.len() {
            return Ok(B2ndMeta { version, shape, chunkshape, blockshape, dtype_format: 0, dtype: None });
        }
        let dtype_format = r.fixint("dtype format: expected a positive fixint")?;
        if dtype_format != 0 {
            return Err(Error::DtypeFormat { found: dtype_format });
        }
        if r.u8()? != 0xdb {
            return Err(r.err_back("dtype: expected a str32 (0xdb)"));
        }
        let len = u32::from_be_bytes(r.take::<4>()?) as usize;
        let start = r.pos;
        let s = bytes
            .get(start..start.saturating_add(len))
            .ok_or(Error::InvalidMetalayer { offset: start, reason: "dtype string longer than the metalayer" })?;
        if start + len != bytes.len() {
            return Err(Error::InvalidMetalayer { offset: start + len, reason: "trailing bytes after the dtype" });
        }
        let dtype = std::str::from_utf8(s)
            .map_err(|_| Error::InvalidMetalayer { offset: start, reason: "dtype string is not UTF-8" })?
            .to_string();
        Ok(B2ndMeta { version, shape, chunkshape, blockshape, dtype_format, dtype: Some(dtype) })
    }
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn err_at(&self, offset: usize, reason: &'static str) -> Error {
        Error::InvalidMetalayer { offset, reason }
    }

    fn err_back(&self, reason: &'static str) -> Error {
        Error::InvalidMetalayer { offset: self.pos.saturating_sub(1), reason }
    }

    fn u8(&mut self) -> Result<u8> {
        let v = *self.b.get(self.pos).ok_or(Error::InvalidMetalayer { offset: self.pos, reason: "truncated" })?;
        self.pos += 1;
        Ok(v)
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self
            .b
            .get(self.pos..self.pos + N)
            .ok_or(Error::InvalidMetalayer { offset: self.pos, reason: "truncated" })?;
        self.pos += N;
        Ok(s.try_into().expect("length checked"))
    }

    fn fixint(&mut self, reason: &'static str) -> Result<u8> {
        let v = self.u8()?;
        if v > 0x7f {
            return Err(self.err_back(reason));
        }
        Ok(v)
    }

    fn array_marker(&mut self, n: usize, reason: &'static str) -> Result<()> {
        // C writes 0x90 + ndim even for ndim 16 (where it overflows into 0xa0).
        if usize::from(self.u8()?) != 0x90 + n {
            return Err(self.err_back(reason));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_round_trips() {
        let hex = "97000393d30000000000000007d3000000000000000ad3000000000000000d93d200000004d200000006d20000000593d200000003d200000004d20000000200db000000033c6634";
        let bytes: Vec<u8> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        let m = B2ndMeta::decode(&bytes).unwrap();
        assert_eq!(m.shape, vec![7, 10, 13]);
        assert_eq!(m.chunkshape, vec![4, 6, 5]);
        assert_eq!(m.blockshape, vec![3, 4, 2]);
        assert_eq!(m.dtype.as_deref(), Some("<f4"));
        assert_eq!(m.encode(), bytes);
        assert_eq!(bytes.len(), 72);
        // Every truncation is an error, never a panic.
        for n in 0..bytes.len() {
            assert!(B2ndMeta::decode(&bytes[..n]).is_err() || n == 63, "prefix {n}");
        }
        let mut v = bytes.clone();
        v[1] = 1;
        assert_eq!(B2ndMeta::decode(&v), Err(Error::MetalayerVersion { found: 1 }));
    }

    #[test]
    fn scalar_and_sixteen_dims() {
        let m = B2ndMeta {
            version: 0,
            shape: vec![],
            chunkshape: vec![],
            blockshape: vec![],
            dtype_format: 0,
            dtype: Some("<f8".into()),
        };
        let b = m.encode();
        assert_eq!(b, [0x97, 0, 0, 0x90, 0x90, 0x90, 0, 0xdb, 0, 0, 0, 3, b'<', b'f', b'8']);
        assert_eq!(B2ndMeta::decode(&b).unwrap(), m);
        let m16 = B2ndMeta { shape: vec![1; 16], chunkshape: vec![1; 16], blockshape: vec![1; 16], ..m };
        assert_eq!(B2ndMeta::decode(&m16.encode()).unwrap(), m16);
        let bare = B2ndMeta { dtype: None, ..m16 };
        assert_eq!(bare.encode().len(), 3 + 3 * (1 + 16) + 16 * (8 + 4 + 4));
        assert_eq!(B2ndMeta::decode(&bare.encode()).unwrap(), bare);
    }
}
