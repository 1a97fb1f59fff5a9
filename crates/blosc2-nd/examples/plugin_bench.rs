//! Times writing and reading one array with given compression parameters, for
//! `scripts/bench_plugins.py` (which times python-blosc2 on the same array in the same run).
//!
//! ```sh
//! cargo run --release -p blosc2-nd --example plugin_bench -- IN.npy CHUNKS BLOCKS CODEC META FILTERS REPS
//! ```
//! `CHUNKS`, `BLOCKS`: `a,b`; `CODEC`: a python-blosc2 codec name; `FILTERS`: up to six
//! `name:meta` joined by `+`, laid out in slots 0, 1, ... as python-blosc2's `filters=[...]`
//! (`-` for none), `always` appended as a filter sets split mode always. Prints one JSON
//! line: the best compression and decompression wall times, the mean CPU times per run
//! (from `/proc/self/stat`, in seconds; what a loaded machine distorts least) and the
//! compressed size.

use std::time::Instant;

use blosc2_core::chunk::{CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_nd::{NdArray, Options};

/// CPU time of this process so far in seconds (user + system; Linux), or 0.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    // Fields after the command name (which is in parentheses): utime and stime are the
    // 12th and 13th, in clock ticks of 1/100 s.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 2)..];
    let f: Vec<f64> = rest.split(' ').skip(11).take(2).map(|x| x.parse().unwrap_or(0.0)).collect();
    f.iter().sum::<f64>() / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert_eq!(args.len(), 7, "usage: IN.npy CHUNKS BLOCKS CODEC META FILTERS REPS");
    let shape = |s: &str| s.split(',').map(|x| x.parse::<u64>().unwrap()).collect::<Vec<_>>();
    let src = NdArray::from_npy(&args[0], &Options::new()).unwrap();
    let (dims, dtype, data) = (src.shape().to_vec(), src.dtype().clone(), src.to_bytes().unwrap());
    let mut p = CompressParams {
        codec: CodecId::from_name(&args[3]).unwrap(),
        codec_meta: args[4].parse().unwrap(),
        filters: Pipeline::default(),
        nthreads: 1,
        ..CompressParams::default()
    };
    let mut slot = 0;
    for f in args[5].split('+').filter(|f| *f != "-") {
        if f == "always" {
            p.splitmode = SplitMode::Always;
            continue;
        }
        let (name, meta) = f.split_once(':').unwrap_or((f, "0"));
        p.filters.filters[slot] = FilterId::from_name(name).unwrap().0;
        p.filters.meta[slot] = meta.parse().unwrap();
        slot += 1;
    }
    let opts = Options::new().chunks(&shape(&args[1])).blocks(&shape(&args[2])).cparams(p);
    let reps: usize = args[6].parse().unwrap();
    let (mut best_c, mut best_d, mut cpu_c, mut cpu_d, mut cbytes) = (f64::MAX, f64::MAX, 0.0, 0.0, 0);
    for _ in 0..reps {
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let a = NdArray::from_bytes(&dims, &dtype, &data, &opts).unwrap();
        best_c = best_c.min(t.elapsed().as_secs_f64());
        cpu_c += cpu_seconds() - cpu;
        cbytes = a.schunk().cbytes();
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let back = a.to_bytes().unwrap();
        best_d = best_d.min(t.elapsed().as_secs_f64());
        cpu_d += cpu_seconds() - cpu;
        assert_eq!(back.len(), data.len());
    }
    let (cpu_c, cpu_d) = (cpu_c / reps as f64, cpu_d / reps as f64);
    println!(
        "{{\"compress_s\": {best_c}, \"decompress_s\": {best_d}, \"compress_cpu_s\": {cpu_c}, \"decompress_cpu_s\": {cpu_d}, \"cbytes\": {cbytes}}}"
    );
}
