//! `blosc2 info` shows, for every chunk, what its own header records: codec with meta,
//! filters with metas, split mode and block size, which may differ from chunk to chunk
//! (python-blosc2 lets a super-chunk change its compression parameters between appends).

mod common;

use std::ffi::OsStr;
use std::process::Command;

use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;
use common::{info_json, ok};
use serde_json::Value;

fn filters(chunk: &Value) -> Vec<(String, u64)> {
    chunk["filters"]
        .as_array()
        .unwrap_or_else(|| panic!("no filters in {chunk}"))
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_string(), f["meta"].as_u64().unwrap()))
        .collect()
}

/// Three chunks written by python-blosc2 with three sets of parameters.
const WRITE: &str = r#"
import sys
import numpy as np
import blosc2
data = (np.arange(250_000, dtype=np.float64) / 3).tobytes()
s = blosc2.SChunk(chunksize=len(data), urlpath=sys.argv[1], contiguous=True, mode="w",
                  cparams=blosc2.CParams(codec=blosc2.Codec.ZSTD, clevel=5, typesize=8,
                                         filters=[blosc2.Filter.SHUFFLE], filters_meta=[0]))
s.append_data(data)
s.cparams = blosc2.CParams(codec=blosc2.Codec.LZ4, clevel=5, typesize=8, blocksize=65536,
                           filters=[blosc2.Filter.DELTA, blosc2.Filter.BITSHUFFLE], filters_meta=[0, 0],
                           splitmode=blosc2.SplitMode.NEVER_SPLIT)
s.append_data(data)
s.cparams = blosc2.CParams(codec=blosc2.Codec.BLOSCLZ, clevel=9, typesize=8,
                           filters=[blosc2.Filter.SHUFFLE, blosc2.Filter.BYTEDELTA], filters_meta=[0, 0],
                           splitmode=blosc2.SplitMode.ALWAYS_SPLIT)
s.append_data(data)
"#;

#[test]
fn info_reports_each_chunks_own_coding() {
    let t = temp_dir!("cli-info-chunks");
    let frame = t.0.join("mixed.b2frame");
    let out = Command::new(python()).args(["-c", WRITE]).arg(&frame).output().unwrap();
    assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
    let j = info_json(&frame);
    let chunks = j["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 3);
    let want = [
        ("zstd", vec![("shuffle", 0)], true, None),
        ("lz4", vec![("delta", 0), ("bitshuffle", 0)], false, Some(65536)),
        // python-blosc2 writes BYTEDELTA's meta as the typesize.
        ("blosclz", vec![("shuffle", 0), ("bytedelta", 8)], true, None),
    ];
    for (c, (codec, filt, split, blocksize)) in chunks.iter().zip(want) {
        assert_eq!(c["codec"], codec, "{c}");
        let filt: Vec<(String, u64)> = filt.into_iter().map(|(n, m)| (n.to_string(), m)).collect();
        assert_eq!(filters(c), filt, "{c}");
        assert_eq!(c["split"], split, "{c}");
        assert_eq!(c["memcpyed"], false, "{c}");
        if let Some(bs) = blocksize {
            assert_eq!(c["blocksize"], bs, "{c}");
        }
        assert!(c["blocksize"].as_u64().unwrap() > 0, "{c}");
    }
    // The text table has the same per-chunk coding.
    let text = String::from_utf8(ok(&[OsStr::new("info"), frame.as_os_str()]).stdout).unwrap();
    assert!(text.contains("lz4:0 [delta:0 bitshuffle:0] unsplit bs=65536"), "{text}");
    assert!(text.contains("blosclz:0 [shuffle:0 bytedelta:8] split"), "{text}");
}

#[test]
fn info_reports_the_options_blosc2_compress_was_given() {
    let t = temp_dir!("cli-info-options");
    let input = t.0.join("in.bin");
    std::fs::write(&input, (0..300_000u32).flat_map(|i| (i / 7).to_le_bytes()).collect::<Vec<u8>>()).unwrap();
    let frame = t.0.join("out.b2frame");
    ok(&[
        OsStr::new("compress"),
        input.as_os_str(),
        frame.as_os_str(),
        OsStr::new("--codec"),
        OsStr::new("lz4hc"),
        OsStr::new("--typesize"),
        OsStr::new("4"),
        OsStr::new("--filter"),
        OsStr::new("shuffle"),
        OsStr::new("--filter"),
        OsStr::new("bytedelta"),
        OsStr::new("--blocksize"),
        OsStr::new("16384"),
        OsStr::new("--splitmode"),
        OsStr::new("never"),
        OsStr::new("--chunksize"),
        OsStr::new("400000"),
    ]);
    let j = info_json(&frame);
    let chunks = j["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 3);
    for c in chunks {
        assert_eq!(c["codec"], "lz4hc", "{c}");
        assert_eq!(filters(c), vec![("shuffle".to_string(), 0), ("bytedelta".to_string(), 4)], "{c}");
        assert_eq!(c["split"], false, "{c}");
        assert_eq!(c["blocksize"], 16384, "{c}");
        assert_eq!(c["typesize"], 4, "{c}");
    }
}
