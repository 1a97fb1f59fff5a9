//! Frame measurements for `scripts/bench_frames.py`, which runs the same steps with
//! python-blosc2 and prints both side by side. Prints one JSON object per measurement.
//!
//! ```text
//! cargo run --release -p blosc2-core --example bench_frames -- make FRAME NCHUNKS
//! cargo run --release -p blosc2-core --example bench_frames -- open FRAME RUNS
//! cargo run --release -p blosc2-core --example bench_frames -- append DIR MIB CHUNK_MIB NTHREADS RUNS
//! ```
//!
//! * `make`: writes a contiguous frame of `NCHUNKS` chunks of 100 float64 (zstd 5 shuffle)
//!   built in memory and saved once (C-Blosc2's `to_cframe` is quadratic in the chunks).
//! * `open`: opens the frame file `RUNS` times (`SChunk::open`: header, trailer, offsets)
//!   and walks every chunk's metadata (`chunk_infos`); reports the medians.
//! * `append`: appends `MIB` MiB of smooth float64 (i/3 + i mod 17) in chunks of
//!   `CHUNK_MIB` MiB, zstd clevel 5 shuffle, to a contiguous frame on disk opened with
//!   `SChunk::into_file` (crash-safe commits); reports the best of `RUNS`. The data is
//!   generated before the clock starts.

use std::time::Instant;

use blosc2_core::chunk::CompressParams;
use blosc2_core::codec::CodecId;
use blosc2_core::schunk::SChunk;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn open(path: &str, runs: usize) {
    let mut opens = Vec::new();
    let mut walks = Vec::new();
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let s = SChunk::open(path).expect("frame opens");
        opens.push(t.elapsed().as_secs_f64());
        n = s.nchunks();
        let t = Instant::now();
        let mut nbytes = 0u64;
        for info in s.chunk_infos() {
            nbytes += info.expect("chunk info").nbytes as u64;
        }
        walks.push(t.elapsed().as_secs_f64());
        assert_eq!(nbytes, s.nbytes());
    }
    println!(
        "{{\"impl\":\"blosc2-rs\",\"what\":\"open\",\"nchunks\":{n},\"open_s\":{},\"walk_s\":{}}}",
        median(opens),
        median(walks)
    );
}

fn make(path: &str, nchunks: usize) {
    let params = CompressParams { codec: CodecId::ZSTD, clevel: 5, typesize: 8, ..CompressParams::default() };
    let mut s = SChunk::new(params);
    for k in 0..nchunks {
        s.append_buffer(&smooth(k * 100, 100)).expect("append");
    }
    s.save(path).expect("save");
}

fn smooth(start: usize, n: usize) -> Vec<u8> {
    (start..start + n).flat_map(|i| (i as f64 / 3.0 + (i % 17) as f64).to_le_bytes()).collect()
}

fn append(dir: &str, mib: usize, chunk_mib: usize, nthreads: usize, runs: usize) {
    let per = (chunk_mib << 20) / 8;
    let nchunks = mib / chunk_mib;
    let chunks: Vec<Vec<u8>> = (0..nchunks).map(|k| smooth(k * per, per)).collect();
    let params = CompressParams { codec: CodecId::ZSTD, clevel: 5, typesize: 8, nthreads, ..CompressParams::default() };
    let path = std::path::Path::new(dir).join(format!("rs-append-{nthreads}.b2frame"));
    let mut best = f64::INFINITY;
    let mut cbytes = 0;
    for _ in 0..runs {
        let _ = std::fs::remove_file(&path);
        let t = Instant::now();
        let mut s = SChunk::new(params.clone()).into_file(&path).expect("frame file");
        for c in &chunks {
            s.append_buffer(c).expect("append");
        }
        drop(s);
        best = best.min(t.elapsed().as_secs_f64());
        cbytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    }
    let _ = std::fs::remove_file(&path);
    println!(
        "{{\"impl\":\"blosc2-rs\",\"what\":\"append\",\"nthreads\":{nthreads},\"mib\":{mib},\"seconds\":{best},\"frame_bytes\":{cbytes}}}"
    );
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize| -> usize { a[i].parse().expect("a number") };
    match a.first().map(String::as_str) {
        Some("make") if a.len() == 3 => make(&a[1], num(2)),
        Some("open") if a.len() == 3 => open(&a[1], num(2)),
        Some("append") if a.len() == 6 => append(&a[1], num(2), num(3), num(4), num(5)),
        _ => {
            eprintln!(
                "usage: bench_frames make FRAME NCHUNKS | open FRAME RUNS | append DIR MIB CHUNK_MIB NTHREADS RUNS"
            );
            std::process::exit(2);
        }
    }
}
