//! BloscLZ codec: implements `shared/spec/blosclz.md` (section 1 token grammar, section 2
//! decoder, section 3 encoder of C-Blosc2 3.x).
//!
//! The encoder reproduces C-Blosc2 3.3.5's `blosclz_compress` byte for byte: the entropy
//! probe (3.2), the main loop (3.3) and its output bound checks. The decoder performs every
//! check of the reference decoder, so untrusted streams never make it panic, read or write
//! out of bounds, or loop forever.

use crate::error::{Error, Result};

/// Longest literal run of one token.
const MAX_COPY: usize = 32;
/// Largest distance - 1 encodable in a near match (13 bits, all ones reserved as far escape).
const MAX_DISTANCE: usize = 8191;
/// Matches at distance >= this are not used by the encoder.
const MAX_FARDISTANCE: usize = 65535 + MAX_DISTANCE - 1;
/// Bias subtracted from the match end (`ipshift`).
const IPSHIFT: usize = 4;
/// Shortest encoded match length `L` (`minlen`).
const MINLEN: usize = 4;
/// Multiplier of the hash function.
const HASH_MUL: u32 = 2_654_435_761;
/// Largest hash table size (log2), used from clevel 3 on.
const HASH_LOG_MAX: u32 = 14;
/// Entries of the hash table allocated for every clevel (only `2^hashlog` are used).
const HTAB_SIZE: usize = 1 << HASH_LOG_MAX;

/// Hash table: input positions indexed by the hash of 4 input bytes.
type HashTable = [u32; HTAB_SIZE];

fn corrupt(reason: &str) -> Error {
    Error::CorruptStream { codec: "blosclz", reason: reason.to_string() }
}

// ---------------------------------------------------------------------------------------------
// Decoder (spec section 2)
// ---------------------------------------------------------------------------------------------

/// Decodes a BloscLZ stream into `dst`, which has exactly the expected decoded size.
///
/// Returns the number of bytes produced (the caller checks it equals `dst.len()`; a
/// well-formed stream may legitimately describe fewer bytes than `dst` holds, which the
/// caller must then reject).
///
/// # Errors
///
/// [`Error::CorruptStream`] with codec `"blosclz"` when the stream is empty, a token is
/// truncated, a literal run or match would write past the end of `dst`, a match refers to
/// data before the start of the output, or the stream ends with a match token (C-Blosc2
/// parses but never executes such a token, so its output is always short).
pub fn decompress(src: &[u8], dst: &mut [u8]) -> Result<usize> {
    let in_len = src.len();
    let out_len = dst.len();
    if in_len == 0 {
        return Err(corrupt("empty stream"));
    }
    let mut ip = 1usize;
    let mut op = 0usize;
    let mut ctrl = usize::from(src[0] & 31);
    loop {
        if ctrl >= 32 {
            // Match token.
            let mut len = (ctrl >> 5) - 1;
            let ofs = (ctrl & 31) << 8;
            if len == 6 {
                loop {
                    if ip + 1 >= in_len {
                        return Err(corrupt("truncated match length"));
                    }
                    let code = src[ip];
                    ip += 1;
                    len += usize::from(code);
                    if code != 255 {
                        break;
                    }
                    if len > out_len {
                        // Keeps `len` from growing without bound on hostile input.
                        return Err(corrupt("match longer than the output"));
                    }
                }
            } else if ip + 1 >= in_len {
                return Err(corrupt("truncated match distance"));
            }
            // ip < in_len is guaranteed by the checks above.
            let code = usize::from(src[ip]);
            ip += 1;
            len += 3;
            let mut dist = ofs + code + 1;
            if code == 255 && ofs == 31 << 8 {
                if ip + 1 >= in_len {
                    return Err(corrupt("truncated far distance"));
                }
                dist = (usize::from(src[ip]) << 8) + usize::from(src[ip + 1]) + 8192;
                ip += 2;
            }
            if len > out_len - op {
                return Err(corrupt("match runs past the end of the output"));
            }
            if dist > op {
                return Err(corrupt("match distance before the start of the output"));
            }
            if ip >= in_len {
                return Err(corrupt("stream ends with a match"));
            }
            ctrl = usize::from(src[ip]);
            ip += 1;
            copy_match(dst, op, dist, len);
            op += len;
        } else {
            // Literal run.
            let n = ctrl + 1;
            if n > out_len - op {
                return Err(corrupt("literal run past the end of the output"));
            }
            if n > in_len - ip {
                return Err(corrupt("truncated literal run"));
            }
            if ip + MAX_COPY <= in_len && op + MAX_COPY <= out_len {
                // Fixed-size copy (cheaper than a variable-length memcpy); the bytes past
                // `n` are overwritten by the following tokens.
                dst[op..op + MAX_COPY].copy_from_slice(&src[ip..ip + MAX_COPY]);
            } else {
                dst[op..op + n].copy_from_slice(&src[ip..ip + n]);
            }
            op += n;
            ip += n;
            if ip >= in_len {
                break;
            }
            ctrl = usize::from(src[ip]);
            ip += 1;
        }
    }
    Ok(op)
}

/// Copies `len` bytes from `op - dist` to `op` inside `dst`, byte-by-byte semantics
/// (overlapping copies replicate the pattern). The caller guarantees
/// `1 <= dist <= op` and `op + len <= dst.len()`.
#[inline(always)]
fn copy_match(dst: &mut [u8], op: usize, dist: usize, len: usize) {
    let start = op - dist;
    if len <= 8 && dist >= 8 && op + 8 <= dst.len() {
        // Short non-overlapping match (the common case): fixed-size copy through a register.
        let mut tmp = [0u8; 8];
        tmp.copy_from_slice(&dst[start..start + 8]);
        dst[op..op + 8].copy_from_slice(&tmp);
    } else if len <= 16 && dist >= 16 && op + 16 <= dst.len() {
        // Short non-overlapping match: fixed-size copy through a register.
        let mut tmp = [0u8; 16];
        tmp.copy_from_slice(&dst[start..start + 16]);
        dst[op..op + 16].copy_from_slice(&tmp);
    } else if dist >= len {
        dst.copy_within(start..start + len, op);
    } else if dist == 1 {
        let b = dst[start];
        dst[op..op + len].fill(b);
    } else {
        // Pattern doubling: the bytes start..op+done always hold a valid prefix of the
        // periodic output, so each copy below is non-overlapping.
        let mut done = 0;
        while done < len {
            let n = (dist + done).min(len - done);
            dst.copy_within(start..start + n, op + done);
            done += n;
        }
    }
}

mod access;
mod encoder;

pub use encoder::compress;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/fixtures");

    fn read_fixture(rel: &str) -> Vec<u8> {
        let path = format!("{FIXTURES}/{rel}");
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }

    fn le_i32(b: &[u8], p: usize) -> i32 {
        i32::from_le_bytes([b[p], b[p + 1], b[p + 2], b[p + 3]])
    }

    /// One stream of a chunk as seen by the codec layer.
    #[derive(Debug)]
    struct Stream {
        block: usize,
        index: usize,
        /// Offset of the stream body (after the csize field) in the chunk.
        offset: usize,
        csize: i32,
        neblock: usize,
        /// `maxout` the writer gave the codec for this stream.
        maxout: usize,
    }

    /// Lists the streams of a regular BloscLZ chunk written by one thread, or `None` for
    /// chunks that hold no BloscLZ streams (memcpyed, special, other codec, VL blocks, dict).
    fn blosclz_streams(chunk: &[u8]) -> Option<Vec<Stream>> {
        let flags = chunk[2];
        if flags & 0x02 != 0 || flags >> 5 != 0 || chunk[31] & 0x71 != 0 || chunk[30] & 1 != 0 {
            return None;
        }
        let typesize = usize::from(chunk[3]);
        let nbytes = le_i32(chunk, 4) as usize;
        let blocksize = (le_i32(chunk, 8) as usize).min(nbytes);
        let cbytes = le_i32(chunk, 12) as usize;
        assert_eq!(cbytes, chunk.len());
        if nbytes == 0 {
            return None;
        }
        let destsize = nbytes + 32;
        let nblocks = nbytes.div_ceil(blocksize);
        let leftover = nbytes % blocksize;
        let mut out = Vec::new();
        for block in 0..nblocks {
            let is_leftover = leftover != 0 && block == nblocks - 1;
            let bsize = if is_leftover { leftover } else { blocksize };
            let nstreams = if flags & 0x10 == 0 && !is_leftover { typesize } else { 1 };
            let neblock = bsize / nstreams;
            let mut pos = le_i32(chunk, 32 + 4 * block) as usize;
            for index in 0..nstreams {
                let csize = le_i32(chunk, pos);
                pos += 4;
                let maxout = neblock.min(destsize - pos);
                out.push(Stream { block, index, offset: pos, csize, neblock, maxout });
                pos += match csize {
                    0 => 0,
                    c if c < 0 => 1,
                    c => c as usize,
                };
            }
        }
        Some(out)
    }

    fn decode_exact(stream: &[u8], n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        let got = decompress(stream, &mut out).expect("decoding failed");
        assert_eq!(got, n, "short output");
        out
    }

    fn encode(clevel: u8, src: &[u8], maxout: usize) -> Vec<u8> {
        let mut dst = vec![0u8; maxout];
        let n = compress(clevel, src, &mut dst);
        dst.truncate(n);
        dst
    }

    #[test]
    fn worked_example_1_arange() {
        let chunk = read_fixture("chunks/doc/arange1000-i4-blosclz.chunk");
        assert_eq!(chunk.len(), 355);
        let destsize = 4000 + 32;

        // Stream 0: the low byte plane.
        assert_eq!(le_i32(&chunk, 0x24), 273);
        let s0 = &chunk[0x28..0x28 + 273];
        assert_eq!(s0[0], 0x3f);
        assert_eq!(&s0[264..], &[0xe0, 0xff, 0xff, 0xde, 0xff, 0x02, 0xe5, 0xe6, 0xe7]);
        let plane0 = decode_exact(s0, 1000);
        let want0: Vec<u8> = (0..1000u32).map(|i| (i % 256) as u8).collect();
        assert_eq!(plane0, want0);
        assert_eq!(encode(5, &plane0, 1000.min(destsize - 0x28)), s0);

        // Stream 1: the second byte plane.
        assert_eq!(le_i32(&chunk, 0x139), 30);
        let s1 = &chunk[0x13d..0x13d + 30];
        let want_s1: [u8; 30] = [
            0x23, 0, 0, 0, 0, 0xe0, 0xf2, 0x03, 0x01, 0x00, 0x01, 0xe0, 0xf5, 0x00, 0x01, 0x01, 0x02, 0xe0, 0xf5, 0x00,
            0x01, 0x02, 0x03, 0xe0, 0xdb, 0x00, 0x02, 0x03, 0x03, 0x03,
        ];
        assert_eq!(s1, &want_s1);
        let plane1 = decode_exact(s1, 1000);
        let want1: Vec<u8> = (0..1000u32).map(|i| (i / 256) as u8).collect();
        assert_eq!(plane1, want1);
        assert_eq!(encode(5, &plane1, 1000.min(destsize - 0x13d)), s1);
    }

    #[test]
    fn worked_example_2_short_matches() {
        let chunk = read_fixture("chunks/doc/blosclz-short-matches.chunk");
        let text: Vec<u8> =
            (0..12).flat_map(|i| format!("star{:03}:mag={}.{}; ", i, i % 7, i % 3).into_bytes()).collect();
        assert_eq!(text.len(), 204);
        let streams = blosclz_streams(&chunk).unwrap();
        assert_eq!(streams.len(), 1);
        let st = &streams[0];
        assert_eq!(st.csize, 157);
        let s = &chunk[st.offset..st.offset + 157];
        let mut head = vec![0x3f];
        head.extend_from_slice(b"star000:mag=0.0; star001:mag=1.1");
        head.extend_from_slice(&[0xa0, 0x10, 0x09]);
        head.extend_from_slice(b"02:mag=2.2");
        head.extend_from_slice(&[0xa0, 0x10, 0x07]);
        head.extend_from_slice(b"03:mag=3");
        head.extend_from_slice(&[0xe0, 0x00, 0x32, 0x07]);
        head.extend_from_slice(b"04:mag=4");
        assert_eq!(&s[..head.len()], &head[..]);
        let mut tail = vec![0xc0, 0x32, 0x0c];
        tail.extend_from_slice(b"011:mag=4.2; ");
        assert_eq!(&s[157 - tail.len()..], &tail[..]);
        assert_eq!(decode_exact(s, 204), text);
        assert_eq!(encode(9, &text, st.maxout), s);
    }

    /// Every BloscLZ stream of every single-threaded fixture chunk must decode and re-encode
    /// to the same bytes; every raw stream must be rejected by the encoder.
    #[test]
    fn fixture_streams_are_reproduced_exactly() {
        let manifest: serde_json::Value = serde_json::from_slice(&read_fixture("manifest.json")).expect("manifest");
        let mut matched = 0usize;
        let mut raw_rejected = 0usize;
        let mut failures = Vec::new();
        for file in manifest["files"].as_array().unwrap() {
            let path = file["path"].as_str().unwrap();
            if file["kind"] != "chunk" || !path.starts_with("chunks/") {
                continue;
            }
            if file["params"]["nthreads"].as_u64().unwrap_or(1) != 1 {
                continue;
            }
            let chunk = read_fixture(path);
            if chunk.len() < 32 {
                continue;
            }
            let Some(streams) = blosclz_streams(&chunk) else {
                continue;
            };
            let clevel = file["params"]["clevel"].as_u64().unwrap() as u8;
            for st in streams {
                let body = &chunk[st.offset..];
                if st.csize > 0 && (st.csize as usize) < st.neblock {
                    let stream = &body[..st.csize as usize];
                    let plain = decode_exact(stream, st.neblock);
                    let again = encode(clevel, &plain, st.maxout);
                    if again == stream {
                        matched += 1;
                    } else {
                        failures.push(format!(
                            "{path} block {} stream {}: C {} bytes, ours {} bytes",
                            st.block,
                            st.index,
                            stream.len(),
                            again.len()
                        ));
                    }
                } else if st.csize as usize == st.neblock {
                    let plain = &body[..st.neblock];
                    let mut dst = vec![0u8; st.maxout];
                    let n = compress(clevel, plain, &mut dst);
                    if n == 0 || n >= st.neblock {
                        raw_rejected += 1;
                    } else {
                        failures.push(format!(
                            "{path} block {} stream {}: C stored raw, ours compressed to {n}",
                            st.block, st.index
                        ));
                    }
                }
            }
        }
        eprintln!("blosclz fixture streams: {matched} matched, {raw_rejected} raw rejected");
        assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
        assert!(matched > 0);
    }

    #[test]
    fn decoder_rejects_bad_streams() {
        let mut out = [0u8; 64];
        // Empty stream.
        assert!(decompress(&[], &mut out).is_err());
        // Literal run longer than the input.
        assert!(decompress(&[0x23, 1, 2], &mut out).is_err());
        // Literal run longer than the output.
        assert!(decompress(&[0x23, 1, 2, 3, 4], &mut out[..3]).is_err());
        // Match before the start of the output (distance 2 after 1 byte).
        assert!(decompress(&[0x20, 7, 0x20, 1, 0x00, 9], &mut out).is_err());
        // Match running past the end of the output.
        assert!(decompress(&[0x20, 7, 0x20, 0, 0x00, 9], &mut out[..3]).is_err());
        // Truncated match token.
        assert!(decompress(&[0x20, 7, 0x20], &mut out).is_err());
        // Truncated long match (extension bytes never end).
        assert!(decompress(&[0x20, 7, 0xe0, 255, 255], &mut out).is_err());
        // Truncated far distance.
        assert!(decompress(&[0x20, 7, 0x3f, 255, 0], &mut out).is_err());
        // Stream ending with a match.
        assert!(decompress(&[0x20, 7, 0x20, 0], &mut out).is_err());
        // A valid stream: literal 7, run of 3 x 7 (distance 1), literal 9.
        let n = decompress(&[0x20, 7, 0x20, 0, 0x00, 9], &mut out).unwrap();
        assert_eq!(&out[..n], &[7, 7, 7, 7, 9]);
        // Overlapping copy with distance 3 replicates the pattern.
        let n = decompress(&[0x22, 1, 2, 3, 0xe0, 3, 2, 0x00, 4], &mut out).unwrap();
        assert_eq!(&out[..n], &[1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 4]);
        // A far match: distance 8192 + 0x0001 = 8193.
        let mut big = vec![0u8; 8193 + 9];
        let mut s = Vec::new();
        let lit: Vec<u8> = (0..8193u32).map(|i| (i * 7 % 251) as u8).collect();
        for (k, c) in lit.chunks(32).enumerate() {
            s.push((c.len() - 1) as u8 | if k == 0 { 0x20 } else { 0 });
            s.extend_from_slice(c);
        }
        s.extend_from_slice(&[0xbf, 255, 0, 1, 0x00, 0xaa]); // copy 7 from 8193, literal
        let n = decompress(&s, &mut big[..8193 + 8]).unwrap();
        assert_eq!(n, 8201);
        assert_eq!(&big[8193..8200], &lit[..7]);
        assert_eq!(big[8200], 0xaa);
    }

    #[test]
    fn tiny_and_degenerate_inputs() {
        for clevel in 0..=10u8 {
            for len in 0..40usize {
                let src = vec![0u8; len];
                let mut dst = vec![0u8; 100];
                let n = compress(clevel, &src, &mut dst);
                if n > 0 {
                    assert_eq!(decode_exact(&dst[..n], len), src);
                }
                // maxout below 66 always gives 0.
                assert_eq!(compress(clevel, &src, &mut dst[..65]), 0);
            }
        }
    }

    /// Data of a few distinct byte values in runs and repeats (compresses well).
    fn low_entropy() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec((0u8..4, 1usize..40, 0usize..3), 0..300).prop_map(|parts| {
            let mut v = Vec::new();
            for (b, n, kind) in parts {
                match kind {
                    0 => v.extend(std::iter::repeat_n(b, n)),
                    1 => v.extend((0..n).map(|i| b.wrapping_add((i % 5) as u8))),
                    _ => {
                        let back = n.min(v.len());
                        let start = v.len() - back;
                        for i in 0..n {
                            let x = v.get(start + i % back.max(1)).copied().unwrap_or(b);
                            v.push(x);
                        }
                    }
                }
            }
            v
        })
    }

    fn check_round_trip(clevel: u8, src: &[u8]) -> std::result::Result<(), TestCaseError> {
        let maxout = src.len().max(66) + 64;
        let mut dst = vec![0u8; maxout];
        let n = compress(clevel, src, &mut dst);
        // The encoder without bounds checks equals its checked twin, also when the output
        // runs out of room.
        for room in [maxout, n + 1, n, n / 2, 65, 3] {
            let (mut a, mut b) = (vec![0u8; room], vec![0u8; room]);
            let na = encoder::compress_with::<access::Checked>(clevel, src, &mut a);
            let nb = encoder::compress_with::<access::Unchecked>(clevel, src, &mut b);
            prop_assert_eq!(na, nb, "room {}", room);
            prop_assert_eq!(&a[..na], &b[..nb], "room {}", room);
        }
        if n > 0 {
            prop_assert!(n < maxout);
            let mut out = vec![0u8; src.len()];
            let got = decompress(&dst[..n], &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(got, src.len());
            prop_assert_eq!(&out[..], src);
            // The output bound checks: n + 1 bytes suffice, n do not.
            if n >= 66 {
                let mut tight = vec![0u8; n + 1];
                prop_assert_eq!(compress(clevel, src, &mut tight), n);
                prop_assert_eq!(&tight[..n], &dst[..n]);
                prop_assert_eq!(compress(clevel, src, &mut tight[..n]), 0);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn round_trip_random(src in prop::collection::vec(any::<u8>(), 0..3000), clevel in 1u8..=9) {
            check_round_trip(clevel, &src)?;
        }

        #[test]
        fn round_trip_low_entropy(src in low_entropy(), clevel in 1u8..=9) {
            check_round_trip(clevel, &src)?;
        }

        #[test]
        fn round_trip_long_repeats(
            seed in prop::collection::vec(any::<u8>(), 1..64),
            len in 0usize..200_000,
            clevel in 1u8..=9,
        ) {
            // Periodic data with the period far enough to produce far matches sometimes.
            let period = seed.len() * 1237;
            let src: Vec<u8> = (0..len)
                .map(|i| seed[(i % period) % seed.len()].wrapping_add(((i % period) / 97) as u8))
                .collect();
            check_round_trip(clevel, &src)?;
        }

        #[test]
        fn decoding_garbage_never_panics(
            src in prop::collection::vec(any::<u8>(), 0..600),
            out_len in 0usize..2000,
        ) {
            let mut out = vec![0u8; out_len];
            if let Ok(n) = decompress(&src, &mut out) {
                prop_assert!(n <= out_len);
            }
        }

        #[test]
        fn decoding_mutated_streams_never_panics(
            src in low_entropy(),
            flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut dst = vec![0u8; src.len().max(66) + 64];
            let n = compress(9, &src, &mut dst);
            dst.truncate(n);
            if n > 0 {
                for (i, b) in flips {
                    let i = i % n;
                    dst[i] ^= b;
                }
                dst.truncate(cut % (n + 1));
            }
            let mut out = vec![0u8; src.len()];
            let _ = decompress(&dst, &mut out);
        }
    }
}
