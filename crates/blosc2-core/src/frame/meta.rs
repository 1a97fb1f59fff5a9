//! Fixed metalayers and variable-length metalayers of a super-chunk, as its frame stores
//! them (`shared/spec/frame.md` 3.3, 6.1 and 10). Also reachable as `schunk::meta`.
//!
//! Fixed metalayers are named byte strings set at creation; their content can later be
//! replaced only by one of the same length (the frame header length never changes).
//! Variable-length metalayers are named values stored as Blosc2 chunks in the trailer; they
//! can be added, updated and deleted. python-blosc2 stores msgpack values in both; the
//! `*_value` helpers encode and decode them with `rmpv`.

use crate::chunk::{self, CompressParams};
use crate::codec::CodecId;
use crate::error::{Error, Result};
use crate::header::ChunkHeader;

/// Most metalayers (and vlmetalayers) a frame holds (C: `BLOSC2_MAX_METALAYERS`).
pub const MAX_METALAYERS: usize = 16;
/// Longest metalayer name in bytes (names are msgpack fixstrs).
pub const MAX_NAME_LEN: usize = 31;

fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::Metalayer { name: name.to_string(), reason: "names must be 1 to 31 bytes long" });
    }
    Ok(())
}

/// Encodes a msgpack value (python-blosc2 packs metalayer values this way).
///
/// # Errors
/// [`Error::InvalidMsgpack`] if the encoder fails.
pub fn pack_value(name: &str, value: &rmpv::Value) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, value)
        .map_err(|e| Error::InvalidMsgpack { name: name.to_string(), reason: e.to_string() })?;
    Ok(out)
}

/// Decodes one msgpack value that must fill `bytes` exactly. Strings that are not UTF-8
/// and unknown extension types are kept as raw bytes by `rmpv`.
///
/// # Errors
/// [`Error::InvalidMsgpack`] for malformed or trailing bytes.
pub fn unpack_value(name: &str, bytes: &[u8]) -> Result<rmpv::Value> {
    let bad = |reason: String| Error::InvalidMsgpack { name: name.to_string(), reason };
    let mut cur = bytes;
    // Depth limit keeps hostile nesting from exhausting the stack.
    let v = rmpv::decode::read_value_with_max_depth(&mut cur, 256).map_err(|e| bad(e.to_string()))?;
    if !cur.is_empty() {
        return Err(bad(format!("{} bytes after the value", cur.len())));
    }
    Ok(v)
}

/// The fixed metalayers of a super-chunk, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metalayers {
    entries: Vec<(String, Vec<u8>)>,
}

impl Metalayers {
    /// No metalayers.
    pub fn new() -> Metalayers {
        Metalayers::default()
    }

    /// Number of metalayers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Names and contents in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(n, c)| (n.as_str(), c.as_slice()))
    }

    /// The content of `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_slice())
    }

    /// Whether `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Adds a metalayer (a frame on disk gets it at the next commit; a contiguous frame is
    /// then rewritten because its header grows).
    ///
    /// # Errors
    /// [`Error::Metalayer`] for a bad or duplicate name, or when 16 already exist.
    pub fn add(&mut self, name: &str, content: &[u8]) -> Result<()> {
        check_name(name)?;
        if self.contains(name) {
            return Err(Error::Metalayer { name: name.to_string(), reason: "already exists" });
        }
        if self.entries.len() >= MAX_METALAYERS {
            return Err(Error::Metalayer { name: name.to_string(), reason: "at most 16 metalayers" });
        }
        if content.len() > i32::MAX as usize {
            return Err(Error::Metalayer { name: name.to_string(), reason: "content above 2 GiB" });
        }
        self.entries.push((name.to_string(), content.to_vec()));
        Ok(())
    }

    /// Replaces the content of `name` by one of exactly the same length.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when it does not exist or the length differs.
    pub fn update(&mut self, name: &str, content: &[u8]) -> Result<()> {
        let e = self
            .entries
            .iter_mut()
            .find(|(n, _)| n == name)
            .ok_or_else(|| Error::Metalayer { name: name.to_string(), reason: "not found" })?;
        if e.1.len() != content.len() {
            return Err(Error::Metalayer { name: name.to_string(), reason: "new content must have the same length" });
        }
        e.1.copy_from_slice(content);
        Ok(())
    }

    /// Decodes the content of `name` as msgpack.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when absent, [`Error::InvalidMsgpack`] when not msgpack.
    pub fn get_value(&self, name: &str) -> Result<rmpv::Value> {
        let c = self.get(name).ok_or_else(|| Error::Metalayer { name: name.to_string(), reason: "not found" })?;
        unpack_value(name, c)
    }

    /// Adds a metalayer holding `value` packed as msgpack.
    ///
    /// # Errors
    /// As [`Metalayers::add`] and [`pack_value`].
    pub fn add_value(&mut self, name: &str, value: &rmpv::Value) -> Result<()> {
        let c = pack_value(name, value)?;
        self.add(name, &c)
    }

    /// Adds a metalayer read from a frame (name and size already checked by the parser).
    pub(crate) fn push_parsed(&mut self, name: String, content: Vec<u8>) {
        self.entries.push((name, content));
    }
}

/// The variable-length metalayers: each value is kept as the Blosc2 chunk it is stored as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VlMetalayers {
    entries: Vec<(String, Vec<u8>)>,
}

/// Compression parameters python-blosc2 uses for vlmetalayer values: its defaults
/// (zstd clevel 5, shuffle, split auto) with typesize 1.
pub fn vlmeta_params() -> CompressParams {
    CompressParams { typesize: 1, codec: CodecId::ZSTD, ..CompressParams::default() }
}

impl VlMetalayers {
    /// No vlmetalayers.
    pub fn new() -> VlMetalayers {
        VlMetalayers::default()
    }

    /// Number of vlmetalayers.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// Names and stored chunks in order.
    pub fn iter_chunks(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.entries.iter().map(|(n, c)| (n.as_str(), c.as_slice()))
    }

    /// Whether `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.iter().any(|(n, _)| n == name)
    }

    /// The stored (compressed) chunk of `name`.
    pub fn get_chunk(&self, name: &str) -> Option<&[u8]> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_slice())
    }

    /// The decompressed bytes of `name`.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when absent; chunk errors when its chunk is corrupt.
    pub fn get(&self, name: &str) -> Result<Vec<u8>> {
        let c = self.get_chunk(name).ok_or_else(|| Error::Metalayer { name: name.to_string(), reason: "not found" })?;
        chunk::decompress(c)
    }

    /// The value of `name` decoded as msgpack.
    ///
    /// # Errors
    /// As [`VlMetalayers::get`] and [`unpack_value`].
    pub fn get_value(&self, name: &str) -> Result<rmpv::Value> {
        unpack_value(name, &self.get(name)?)
    }

    /// Adds or replaces `name` with `content` compressed by `params`.
    ///
    /// # Errors
    /// [`Error::Metalayer`] for a bad name or a 17th vlmetalayer; compression errors.
    pub fn set_with(&mut self, name: &str, content: &[u8], params: &CompressParams) -> Result<()> {
        let c = chunk::compress(params, content)?;
        self.set_chunk(name, c)
    }

    /// Adds or replaces `name` with `content`, compressed as python-blosc2 does.
    ///
    /// # Errors
    /// As [`VlMetalayers::set_with`].
    pub fn set(&mut self, name: &str, content: &[u8]) -> Result<()> {
        self.set_with(name, content, &vlmeta_params())
    }

    /// Adds or replaces `name` with `value` packed as msgpack and compressed as
    /// python-blosc2 does.
    ///
    /// # Errors
    /// As [`VlMetalayers::set_with`] and [`pack_value`].
    pub fn set_value(&mut self, name: &str, value: &rmpv::Value) -> Result<()> {
        let c = pack_value(name, value)?;
        self.set(name, &c)
    }

    /// Adds or replaces `name` with an already compressed chunk.
    ///
    /// # Errors
    /// [`Error::Metalayer`] for a bad name or a 17th vlmetalayer; header errors when `chunk`
    /// is not a whole chunk.
    pub fn set_chunk(&mut self, name: &str, chunk: Vec<u8>) -> Result<()> {
        check_name(name)?;
        let h = ChunkHeader::parse(&chunk)?;
        let mut chunk = chunk;
        chunk.truncate(h.cbytes);
        if let Some(e) = self.entries.iter_mut().find(|(n, _)| n == name) {
            e.1 = chunk;
            return Ok(());
        }
        if self.entries.len() >= MAX_METALAYERS {
            return Err(Error::Metalayer { name: name.to_string(), reason: "at most 16 vlmetalayers" });
        }
        self.entries.push((name.to_string(), chunk));
        Ok(())
    }

    /// Deletes `name`; the others keep their order.
    ///
    /// # Errors
    /// [`Error::Metalayer`] when absent.
    pub fn delete(&mut self, name: &str) -> Result<()> {
        let i = self
            .entries
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| Error::Metalayer { name: name.to_string(), reason: "not found" })?;
        self.entries.remove(i);
        Ok(())
    }

    /// Adds a vlmetalayer read from a frame (checked by the parser).
    pub(crate) fn push_parsed(&mut self, name: String, chunk: Vec<u8>) {
        self.entries.push((name, chunk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metalayer_rules() {
        let mut m = Metalayers::new();
        m.add("m1", &[0x93, 1, 2, 3]).unwrap();
        assert!(m.add("m1", &[1]).is_err());
        assert!(m.add("", &[1]).is_err());
        assert!(m.add(&"x".repeat(32), &[1]).is_err());
        assert!(m.update("m1", &[1, 2]).is_err());
        m.update("m1", &[0x93, 4, 5, 6]).unwrap();
        assert_eq!(m.get_value("m1").unwrap(), rmpv::Value::Array(vec![4.into(), 5.into(), 6.into()]));
        for i in 0..15 {
            m.add(&format!("n{i}"), &[]).unwrap();
        }
        assert!(matches!(m.add("one-too-many", &[]), Err(Error::Metalayer { .. })));
    }

    #[test]
    fn msgpack_errors_are_typed() {
        assert!(matches!(unpack_value("x", &[0x93, 1]), Err(Error::InvalidMsgpack { .. })));
        assert!(matches!(unpack_value("x", &[1, 2]), Err(Error::InvalidMsgpack { .. })));
        let deep = vec![0x91u8; 100_000];
        assert!(unpack_value("x", &deep).is_err());
    }
}
