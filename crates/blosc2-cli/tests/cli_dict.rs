//! `--use-dict`: `blosc2 chunk compress`, `blosc2 compress` and `blosc2 convert` write
//! chunks with dictionaries that python-blosc2 4.14.1 reads, and that are byte for byte the
//! chunks python-blosc2 makes with `use_dict=True`; codecs without dictionaries are refused.

use std::ffi::OsStr;

mod common;
use blosc2_testkit::python::run_python_code;
use blosc2_testkit::temp_dir;
use common::{blosc2, compress_args, ok, p};

/// int64 records: an id, a small category and a noisy measurement.
fn records(n: usize) -> Vec<u8> {
    (0..n as u64 / 8)
        .flat_map(|i| {
            let v: u64 = match i % 3 {
                0 => 1_000_000 + i / 3,
                1 => ((i * 2_654_435_761) >> 7) % 5,
                _ => 20_000 + ((i * 40_503) >> 5) % 300,
            };
            v.to_le_bytes()
        })
        .collect()
}

const CHECK_CHUNK: &str = "import sys, blosc2\n\
src = open(sys.argv[1], 'rb').read()\n\
ours = open(sys.argv[2], 'rb').read()\n\
assert blosc2.decompress2(ours) == src, 'decodes to other bytes'\n\
theirs = bytes(blosc2.compress2(src, codec=blosc2.Codec[sys.argv[3].upper()], clevel=5, typesize=8,\n\
    blocksize=16384, use_dict=True, nthreads=1))\n\
print(theirs == ours, ours[31] & 1)\n";

#[test]
fn chunk_compress_use_dict_gives_python_blosc2_bytes() {
    let t = temp_dir!("cli-dict-chunk");
    let input = t.0.join("in.bin");
    std::fs::write(&input, records(300_000)).unwrap();
    for codec in ["zstd", "lz4", "lz4hc"] {
        let chunk = t.0.join(format!("{codec}.chunk"));
        ok(&[
            "chunk".as_ref(),
            "compress".as_ref(),
            p(&input),
            p(&chunk),
            "--codec".as_ref(),
            codec.as_ref(),
            "--typesize".as_ref(),
            "8".as_ref(),
            "--blocksize".as_ref(),
            "16384".as_ref(),
            "--use-dict".as_ref(),
        ]);
        let out = run_python_code(CHECK_CHUNK, &[p(&input), p(&chunk), codec.as_ref()]);
        assert_eq!(out, "True 1", "{codec}: python-blosc2's bytes and the dictionary flag");
        // And our own decompression.
        let back = t.0.join(format!("{codec}.out"));
        ok(&["chunk".as_ref(), "decompress".as_ref(), p(&chunk), p(&back)]);
        assert_eq!(std::fs::read(&back).unwrap(), std::fs::read(&input).unwrap());
    }
}

const CHECK_FRAME: &str = "import sys, blosc2\n\
src = open(sys.argv[1], 'rb').read()\n\
s = blosc2.open(sys.argv[2])\n\
cs = s.chunksize\n\
same = all(bytes(s.get_chunk(i)) == bytes(blosc2.compress2(src[i * cs:(i + 1) * cs], codec=blosc2.Codec.LZ4,\n\
    clevel=5, typesize=8, blocksize=8192, use_dict=True, nthreads=1)) for i in range(s.nchunks))\n\
data = b''.join(s.decompress_chunk(i) for i in range(s.nchunks))\n\
print(s.nchunks, s.cparams.use_dict, data == src, same)\n";

const CHECK_ARRAY: &str = "import sys, numpy as np, blosc2\n\
a = np.load(sys.argv[1])\n\
b = blosc2.open(sys.argv[2])\n\
print(b.schunk.cparams.use_dict, np.array_equal(b[:], a), all(b.schunk.get_chunk(i)[31] & 1 for i in range(b.schunk.nchunks)))\n";

#[test]
fn frames_and_arrays_written_with_use_dict_open_in_python_blosc2() {
    let t = temp_dir!("cli-dict-frame");
    let input = t.0.join("in.bin");
    let data = records(5 * 65_536 + 4_000);
    std::fs::write(&input, &data).unwrap();
    let frame = t.0.join("f.b2frame");
    let mut args = compress_args(&input, &frame, "lz4", "8");
    args.extend(["--blocksize", "8192", "--use-dict"].map(OsStr::new));
    ok(&args);
    assert_eq!(run_python_code(CHECK_FRAME, &[p(&input), p(&frame)]), "6 True True True");
    let back = t.0.join("back.bin");
    ok(&["decompress".as_ref(), p(&frame), p(&back)]);
    assert_eq!(std::fs::read(&back).unwrap(), data);

    // convert: an array written by numpy, to .b2nd with dictionaries.
    let npy = t.0.join("a.npy");
    run_python_code(
        "import sys, numpy as np\n\
         i = np.arange(200_000)\n\
         np.save(sys.argv[1], (np.sin(i / 500.0) * 1000).astype('<i4').reshape(400, 500))\n",
        &[p(&npy)],
    );
    let b2nd = t.0.join("a.b2nd");
    ok(&["convert".as_ref(), p(&npy), p(&b2nd), "--codec".as_ref(), "zstd".as_ref(), "--use-dict".as_ref()]);
    assert_eq!(run_python_code(CHECK_ARRAY, &[p(&npy), p(&b2nd)]), "True True True");
}

#[test]
fn use_dict_with_other_codecs_is_refused() {
    let t = temp_dir!("cli-dict-refused");
    let input = t.0.join("in.bin");
    std::fs::write(&input, records(100_000)).unwrap();
    for codec in ["blosclz", "zlib"] {
        let chunk = t.0.join("c.chunk");
        let r = blosc2(&[
            "chunk".as_ref(),
            "compress".as_ref(),
            p(&input),
            p(&chunk),
            "--codec".as_ref(),
            OsStr::new(codec),
            "--use-dict".as_ref(),
        ]);
        assert_eq!(r.status.code(), Some(1), "{codec}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains("--use-dict is only supported for the zstd, lz4 and lz4hc codecs"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!chunk.exists());
    }
}
