//! The ZFP codecs (`codec::zfp`) against python-blosc2 4.14.1 (C-Blosc2 3.3.5, zfp 1.0.1):
//! the golden chunks of `testdata/zfp/` (every mode, float32 and float64, 1-4 dimensions,
//! blocks that divide neither the chunks nor zfp's 4-value cells, special values, extreme
//! metas) are taken apart block by block; each zfp stream decodes to exactly the values
//! python-blosc2 decodes, and compressing the block python-blosc2 compressed gives exactly
//! its stream (or 0 where it stored the block raw). Damaged streams give errors, not panics.

use std::collections::BTreeSet;

use blosc2_core::codec::zfp::{self, ZfpMode};
use blosc2_testkit::fs::testdata;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One block's stored form in a golden chunk.
enum Stored<'a> {
    /// A zfp stream.
    Stream(&'a [u8]),
    /// The block's bytes, uncompressed (the codec gave 0).
    Raw,
    /// A run of one byte value (the codec was not called).
    Run,
}

struct Block<'a> {
    case: String,
    mode: ZfpMode,
    meta: u8,
    typesize: usize,
    blockshape: Vec<usize>,
    stored: Stored<'a>,
    /// The block as given to the codec, and as python-blosc2 decoded it.
    input: &'a [u8],
    output: &'a [u8],
}

fn read_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

struct Golden {
    cases: Vec<(Value, Vec<u8>)>,
}

impl Golden {
    fn load() -> Golden {
        let text = std::fs::read_to_string(testdata("zfp").join("manifest.json")).expect("testdata/zfp/manifest.json");
        let manifest: Value = serde_json::from_str(&text).unwrap();
        let cases: Vec<_> = manifest["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let bin = std::fs::read(testdata("zfp").join(c["file"].as_str().unwrap())).unwrap();
                assert_eq!(hex::encode(Sha256::digest(&bin)), c["sha256"].as_str().unwrap(), "{}", c["name"]);
                (c.clone(), bin)
            })
            .collect();
        assert!(cases.len() >= 40, "expected the whole golden set, found {} cases", cases.len());
        Golden { cases }
    }

    /// Every block of every regular chunk; memcpyed and special chunks are checked here
    /// (they are lossless) and not returned.
    fn blocks(&self) -> Vec<Block<'_>> {
        let mut out = Vec::new();
        for (c, bin) in &self.cases {
            let name = c["name"].as_str().unwrap().to_string();
            let mode = ZfpMode::from_codec_id(c["codec"].as_u64().unwrap() as u8).unwrap();
            let meta = c["codec_meta"].as_u64().unwrap() as u8;
            let typesize = c["typesize"].as_u64().unwrap() as usize;
            let blockshape = usizes(&c["blocks"]);
            let block_bytes = blockshape.iter().product::<usize>() * typesize;
            for (i, e) in c["chunk_entries"].as_array().unwrap().iter().enumerate() {
                let section = |key: &str| {
                    let v = usizes(&e[key]);
                    &bin[v[0]..v[0] + v[1]]
                };
                let (chunk, input, output) = (section("chunk"), section("input"), section("output"));
                assert_eq!(chunk[22], mode.codec_id(), "{name} chunk {i}: udcodec");
                assert_eq!(chunk[23], meta, "{name} chunk {i}: compcode_meta");
                assert_eq!(chunk[3] as usize, typesize, "{name} chunk {i}: typesize");
                let nbytes = read_i32(chunk, 4) as usize;
                let blocksize = read_i32(chunk, 8) as usize;
                assert_eq!((nbytes, input.len(), output.len()), (input.len(), nbytes, nbytes), "{name} chunk {i}");
                assert_eq!(blocksize, block_bytes, "{name} chunk {i}: blocksize");
                assert_eq!(chunk[2] & 0x10, 0x10, "{name} chunk {i}: ZFP blocks are single streams");
                if chunk[2] & 0x02 != 0 {
                    assert_eq!(&chunk[32..32 + nbytes], output, "{name} chunk {i}: memcpyed");
                    assert_eq!(input, output, "{name} chunk {i}: memcpyed");
                    continue;
                }
                if chunk[31] & 0x70 != 0 {
                    // A special chunk (all zeros here): the codec was not used.
                    assert_eq!(chunk[31] & 0x70, 0x10, "{name} chunk {i}: only zero special chunks expected");
                    assert!(output.iter().all(|&x| x == 0) && input == output, "{name} chunk {i}: zeros");
                    continue;
                }
                assert_eq!(nbytes % blocksize, 0, "{name} chunk {i}: b2nd chunks hold whole blocks");
                for b in 0..nbytes / blocksize {
                    let start = read_i32(chunk, 32 + 4 * b) as usize;
                    let csize = read_i32(chunk, start);
                    let stored = match csize {
                        c if c <= 0 => Stored::Run,
                        c if c as usize == blocksize => Stored::Raw,
                        c => Stored::Stream(&chunk[start + 4..start + 4 + c as usize]),
                    };
                    let range = b * blocksize..(b + 1) * blocksize;
                    out.push(Block {
                        case: format!("{name} chunk {i} block {b}"),
                        mode,
                        meta,
                        typesize,
                        blockshape: blockshape.clone(),
                        stored,
                        input: &input[range.clone()],
                        output: &output[range],
                    });
                }
            }
        }
        out
    }
}

#[test]
fn python_streams_decode_to_the_values_python_decodes() {
    let golden = Golden::load();
    let mut streams = 0;
    let mut kinds = BTreeSet::new();
    for b in golden.blocks() {
        match b.stored {
            Stored::Stream(s) => {
                let mut out = vec![0u8; b.output.len()];
                let n = zfp::decompress(b.mode, b.meta, b.typesize, &b.blockshape, s, &mut out)
                    .unwrap_or_else(|e| panic!("{}: {e}", b.case));
                assert_eq!(n, out.len(), "{}", b.case);
                if out != b.output {
                    let at = out.iter().zip(b.output).position(|(x, y)| x != y).unwrap() / b.typesize;
                    panic!("{}: value {at} differs from python-blosc2's", b.case);
                }
                streams += 1;
                kinds.insert((b.mode.codec_id(), b.typesize, b.blockshape.len()));
            }
            Stored::Raw => assert_eq!(b.input, b.output, "{}: raw", b.case),
            Stored::Run => assert_eq!(b.input, b.output, "{}: run", b.case),
        }
    }
    assert!(streams >= 400, "only {streams} zfp streams checked");
    assert_eq!(kinds.len(), 3 * 2 * 4, "every mode x dtype x ndim has streams: {kinds:?}");
}

#[test]
fn compressing_python_inputs_gives_python_streams() {
    let golden = Golden::load();
    let (mut streams, mut raws) = (0, 0);
    for b in golden.blocks() {
        let mut dst = vec![0u8; b.input.len()];
        let n = zfp::compress(b.mode, b.meta, b.typesize, &b.blockshape, b.input, &mut dst)
            .unwrap_or_else(|e| panic!("{}: {e}", b.case));
        match b.stored {
            Stored::Stream(s) => {
                assert_eq!(n, s.len(), "{}: stream size", b.case);
                assert!(dst[..n] == *s, "{}: stream bytes differ from python-blosc2's", b.case);
                streams += 1;
            }
            Stored::Raw => {
                assert_eq!(n, 0, "{}: python-blosc2 stored this block raw", b.case);
                raws += 1;
            }
            Stored::Run => {}
        }
    }
    assert!(streams >= 400 && raws >= 50, "only {streams} streams and {raws} raw blocks checked");
}

#[test]
fn our_streams_decode_back_to_what_python_decodes_of_them() {
    // Our streams equal python-blosc2's (test above); here the round trip through our own
    // decoder also lands on python-blosc2's values, with a destination larger than the block.
    let golden = Golden::load();
    for b in golden.blocks().iter().filter(|b| matches!(b.stored, Stored::Stream(_))).step_by(7) {
        let mut stream = vec![0u8; b.input.len()];
        let n = zfp::compress(b.mode, b.meta, b.typesize, &b.blockshape, b.input, &mut stream).unwrap();
        let mut out = vec![0xA5u8; b.output.len() + 5];
        let m = zfp::decompress(b.mode, b.meta, b.typesize, &b.blockshape, &stream[..n], &mut out).unwrap();
        assert_eq!(m, b.output.len(), "{}", b.case);
        assert_eq!(&out[..m], b.output, "{}", b.case);
        assert_eq!(&out[m..], &[0xA5; 5], "{}: bytes past the block untouched", b.case);
    }
}

#[test]
fn short_destinations_and_partial_inputs_give_zero() {
    let golden = Golden::load();
    let blocks = golden.blocks();
    let b = blocks.iter().find(|b| matches!(b.stored, Stored::Stream(_))).unwrap();
    let Stored::Stream(s) = b.stored else { unreachable!() };
    let mut dst = vec![0u8; s.len() - 1];
    assert_eq!(zfp::compress(b.mode, b.meta, b.typesize, &b.blockshape, b.input, &mut dst), Ok(0));
    let mut dst = vec![0u8; s.len()];
    assert_eq!(zfp::compress(b.mode, b.meta, b.typesize, &b.blockshape, b.input, &mut dst), Ok(s.len()));
    // Not one whole block (a leftover block, or a split block): C stores it raw.
    let mut dst = vec![0u8; b.input.len()];
    let short = &b.input[..b.input.len() - b.typesize];
    assert_eq!(zfp::compress(b.mode, b.meta, b.typesize, &b.blockshape, short, &mut dst), Ok(0));
}

#[test]
fn invalid_parameters_are_errors() {
    let src = vec![0u8; 4 * 64];
    let mut dst = vec![0u8; 4 * 64];
    for (typesize, shape) in [(2usize, vec![4usize, 4, 4]), (4, vec![]), (4, vec![4, 4, 4, 4, 4]), (4, vec![3, 4])] {
        for mode in [ZfpMode::Accuracy, ZfpMode::Precision, ZfpMode::Rate] {
            assert!(zfp::compress(mode, 10, typesize, &shape, &src, &mut dst).is_err(), "{typesize} {shape:?}");
        }
    }
    // Decoding takes block dimensions under 4 (C does) but not zero ones.
    assert!(zfp::decompress(ZfpMode::Rate, 50, 4, &[2, 3], &[0u8; 64], &mut dst).is_ok());
    assert!(zfp::decompress(ZfpMode::Rate, 50, 4, &[0, 3], &[0u8; 64], &mut dst).is_err());
    assert!(zfp::decompress(ZfpMode::Rate, 50, 4, &[usize::MAX, 3], &[0u8; 64], &mut dst).is_err());
    // The block must fit the destination.
    assert!(zfp::decompress(ZfpMode::Rate, 50, 8, &[8, 8], &[0u8; 64], &mut dst).is_err());
}

#[test]
fn damaged_streams_give_errors_not_panics() {
    let golden = Golden::load();
    let blocks = golden.blocks();
    let mut errors = 0;
    let mut tried = 0;
    for b in blocks.iter().filter(|b| matches!(b.stored, Stored::Stream(_))).step_by(5) {
        let Stored::Stream(s) = b.stored else { unreachable!() };
        let mut out = vec![0u8; b.output.len()];
        let mut run = |stream: &[u8], out: &mut [u8]| {
            tried += 1;
            if zfp::decompress(b.mode, b.meta, b.typesize, &b.blockshape, stream, out).is_err() {
                errors += 1;
            }
        };
        // Cut at every 8-byte step and at odd lengths.
        for cut in (0..s.len()).step_by(8).chain([1, s.len() / 2 + 3, s.len() - 1]) {
            run(&s[..cut], &mut out);
        }
        // Flipped bits and bytes.
        let mut m = s.to_vec();
        for k in (0..m.len() * 8).step_by(37) {
            m[k / 8] ^= 1 << (k % 8);
            run(&m, &mut out);
            m[k / 8] ^= 1 << (k % 8);
        }
        // Garbage: all ones (every cell non-zero, the longest reads), a pseudo-random stream.
        run(&vec![0xFF; s.len()], &mut out);
        let garbage: Vec<u8> =
            (0..s.len() as u64).map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8).collect();
        run(&garbage, &mut out);
        // Another mode's or meta's reading of the stream.
        for mode in [ZfpMode::Accuracy, ZfpMode::Precision, ZfpMode::Rate] {
            for meta in [0u8, 1, 100, 200, 255] {
                tried += 1;
                if zfp::decompress(mode, meta, b.typesize, &b.blockshape, s, &mut out).is_err() {
                    errors += 1;
                }
            }
        }
    }
    // A cut stream is an error: those are a good share of what was tried.
    assert!(tried > 2000 && errors > tried / 10, "{errors} errors in {tried} damaged streams");
}

#[test]
fn cut_fixed_rate_streams_are_errors() {
    // A fixed-rate stream holds exactly its cells' bits, so cutting a word loses part of the
    // last cell. (The other modes' last word may be padding only.)
    let golden = Golden::load();
    let mut cut = 0;
    for b in golden.blocks().iter().filter(|b| b.mode == ZfpMode::Rate) {
        let Stored::Stream(s) = b.stored else { continue };
        let mut out = vec![0u8; b.output.len()];
        let r = zfp::decompress(b.mode, b.meta, b.typesize, &b.blockshape, &s[..s.len() - 8], &mut out);
        assert!(r.is_err(), "{}: a fixed-rate stream cut by 8 bytes decoded", b.case);
        cut += 1;
    }
    assert!(cut >= 100, "only {cut} fixed-rate streams");
}
