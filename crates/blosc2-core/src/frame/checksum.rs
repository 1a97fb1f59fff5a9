//! The checksum table of a frame: one CRC-32 per chunk in a variable-length metalayer.
//!
//! Blosc2 frames carry no checksums (`shared/spec/frame.md` 6.1 leaves vlmetalayers to
//! applications). A frame written with checksums on holds a table of one CRC-32 (IEEE,
//! `crc32fast`) per chunk, hashed over the **compressed** chunk bytes so a check needs no
//! decompression, in a variable-length metalayer named [`NAME`], which C-Blosc2 and
//! python-blosc2 carry along without reading. Its value is the msgpack map
//! `{"algorithm": "crc32", "sums": bin}` where `sums` holds one little-endian `u32` per
//! chunk, in chunk order.
//!
//! CRC-32 detects every change of up to 32 consecutive bits, so any single-byte change of
//! a chunk is always caught. Zero, NaN and uninitialized chunks are hashed by what defines
//! their content (kind and size), because frames store them as special offsets and their
//! bytes are synthesized on read.
//!
//! Super-chunks keep the table current and verify it (`schunk::checksum`); the frame
//! writer records it as it goes.

use super::meta::{pack_value, unpack_value, vlmeta_params, VlMetalayers};
use crate::chunk::{self, SpecialKind};
use crate::error::{Error, Result};
use crate::header::ChunkHeader;

/// Name of the vlmetalayer holding the table.
pub const NAME: &str = "checksums";

/// The hash algorithm recorded in the table.
pub const ALGORITHM: &str = "crc32";

/// The checksum of one compressed chunk as the table records it.
pub fn chunk_checksum(chunk: &[u8]) -> u32 {
    if let Ok(h) = ChunkHeader::parse_prefix(chunk) {
        if let Some(kind @ (SpecialKind::Zeros | SpecialKind::Nan | SpecialKind::Uninit)) = h.special() {
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(b"blosc2 special chunk");
            hasher.update(&[kind.code()]);
            hasher.update(&(h.nbytes as u64).to_le_bytes());
            return hasher.finalize();
        }
    }
    crc32fast::hash(chunk)
}

/// A [`Error::Metalayer`] about the table.
pub(crate) fn table_err(reason: &'static str) -> Error {
    Error::Metalayer { name: NAME.to_string(), reason }
}

/// Encodes a table as the vlmetalayer value.
///
/// # Errors
/// As [`pack_value`].
pub fn encode_table(sums: &[u32]) -> Result<Vec<u8>> {
    let bin: Vec<u8> = sums.iter().flat_map(|s| s.to_le_bytes()).collect();
    let v = rmpv::Value::Map(vec![
        (rmpv::Value::from("algorithm"), rmpv::Value::from(ALGORITHM)),
        (rmpv::Value::from("sums"), rmpv::Value::Binary(bin)),
    ]);
    pack_value(NAME, &v)
}

/// Decodes the vlmetalayer value into one checksum per chunk.
///
/// # Errors
/// [`Error::InvalidMsgpack`]; [`Error::Metalayer`] for an unknown algorithm or a
/// malformed table.
pub fn decode_table(bytes: &[u8]) -> Result<Vec<u32>> {
    let v = unpack_value(NAME, bytes)?;
    let rmpv::Value::Map(entries) = v else { return Err(table_err("not a msgpack map")) };
    let field = |name: &str| entries.iter().find(|(k, _)| k.as_str() == Some(name)).map(|(_, v)| v);
    if field("algorithm").and_then(rmpv::Value::as_str) != Some(ALGORITHM) {
        return Err(table_err("algorithm is not crc32"));
    }
    let Some(rmpv::Value::Binary(bin)) = field("sums") else { return Err(table_err("no binary 'sums' entry")) };
    if bin.len() % 4 != 0 {
        return Err(table_err("'sums' is not a whole number of 4-byte sums"));
    }
    Ok(bin.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// Reads the table from `vl`, if present, for a super-chunk of `nchunks` chunks. A table
/// whose chunk claims more bytes than `nchunks` sums need is rejected before decoding.
///
/// # Errors
/// As [`decode_table`]; [`Error::Metalayer`] for an oversized table; chunk errors.
pub fn read_table(vl: &VlMetalayers, nchunks: u64) -> Option<Result<Vec<u32>>> {
    let c = vl.get_chunk(NAME)?;
    let limit = nchunks.saturating_mul(4).saturating_add(64);
    Some(match ChunkHeader::parse(c) {
        Ok(h) if h.nbytes as u64 > limit => Err(table_err("larger than the chunk count needs")),
        Ok(_) => chunk::decompress(c).and_then(|b| decode_table(&b)),
        Err(e) => Err(e),
    })
}

/// The table as the chunk stored in the vlmetalayer (compressed as python-blosc2
/// compresses vlmetalayer values).
///
/// # Errors
/// As [`encode_table`]; compression errors.
pub(crate) fn table_chunk(sums: &[u32]) -> Result<Vec<u8>> {
    chunk::compress(&vlmeta_params(), &encode_table(sums)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips_and_rejects_bad_values() {
        let sums = vec![1, 0xdead_beef, 7];
        assert_eq!(decode_table(&encode_table(&sums).unwrap()).unwrap(), sums);
        assert!(decode_table(&[0x90]).is_err());
        let bad = pack_value(NAME, &rmpv::Value::Map(vec![("algorithm".into(), "md5".into())])).unwrap();
        assert!(decode_table(&bad).is_err());
        let odd = pack_value(
            NAME,
            &rmpv::Value::Map(vec![
                ("algorithm".into(), "crc32".into()),
                ("sums".into(), rmpv::Value::Binary(vec![1; 5])),
            ]),
        )
        .unwrap();
        assert!(decode_table(&odd).is_err());
    }

    #[test]
    fn every_single_byte_change_changes_the_checksum() {
        let c = chunk::compress(&crate::chunk::CompressParams::default(), &[7u8; 1000]).unwrap();
        let sum = chunk_checksum(&c);
        for at in 0..c.len() {
            for bit in 0..8 {
                let mut b = c.clone();
                b[at] ^= 1 << bit;
                assert_ne!(chunk_checksum(&b), sum, "byte {at} bit {bit}");
            }
        }
    }
}
