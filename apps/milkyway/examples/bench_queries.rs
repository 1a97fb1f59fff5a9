//! Latency of the query layer on one galaxy, single-threaded: projections (sizes, axes,
//! windows, slabs) and region queries, p50 and p95 per kind. Run by `scripts/bench_galaxy_queries.sh`.
//!
//! `cargo run --release -p milkyway --example bench_queries -- GALAXY [ROUNDS]`

use std::time::Instant;

use anyhow::{Context, Result};
use milkyway::explore::{Galaxy, Region};
use milkyway::view::{self, Axis, ProjectionRequest, Source};

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).context("usage: bench_queries GALAXY [ROUNDS]")?;
    let rounds: usize = args.get(2).map_or(Ok(20), |s| s.parse())?;
    let t = Instant::now();
    let g = Galaxy::open(std::path::Path::new(path))?;
    println!("open: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let whole = None;
    let win = |c: [f64; 2], h: f64| Some([(c[0] - h, c[0] + h), (c[1] - h, c[1] + h)]);
    type Case = (&'static str, ProjectionRequest);
    let pr = |axis, slab, window, size| ProjectionRequest { axis, slab, window, size };
    let cases: Vec<Case> = vec![
        ("whole z 256", pr(Axis::Z, None, whole, 256)),
        ("whole z 1024", pr(Axis::Z, None, whole, 1024)),
        ("whole x 2048", pr(Axis::X, None, whole, 2048)),
        ("whole y 512, slab +-500", pr(Axis::Y, Some((-500.0, 500.0)), whole, 512)),
        ("z 1024, 8000 ly window", pr(Axis::Z, None, win([0.0, 0.0], 4000.0), 1024)),
        ("x 1024, 2000 ly window, slab +-1000", pr(Axis::X, Some((-1000.0, 1000.0)), win([500.0, 0.0], 1000.0), 1024)),
        ("z 512, 500 ly window", pr(Axis::Z, None, win([0.0, 0.0], 250.0), 512)),
        ("y 2048, 200 ly window, slab +-100", pr(Axis::Y, Some((-100.0, 100.0)), win([0.0, 0.0], 100.0), 2048)),
    ];
    let regions: Vec<(&str, Region)> = vec![
        ("sphere r=100 at Sun", Region::Sphere { c: [0.0; 3], r: 100.0 }),
        ("sphere r=500 at Sun", Region::Sphere { c: [0.0; 3], r: 500.0 }),
        ("sphere r=1000 at 3000,0,0", Region::Sphere { c: [3000.0, 0.0, 0.0], r: 1000.0 }),
        ("box 2000x2000x400 at Sun", Region::Box { lo: [-1000.0, -1000.0, -200.0], hi: [1000.0, 1000.0, 200.0] }),
    ];
    println!("| query | source | p50 ms | p95 ms | result |");
    println!("|---|---|---:|---:|---|");
    for (name, req) in &cases {
        let src = view::choose_source(&g, req)?;
        let mut ms = Vec::new();
        let mut last = None;
        for _ in 0..rounds {
            let t = Instant::now();
            let p = view::projection(&g, req)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            last = Some(p);
        }
        let p = last.expect("rounds > 0");
        let srcs = match src {
            Source::Stars => "star table".to_string(),
            Source::Level(k) => format!("level {k} ({} ly)", p.cell_ly),
        };
        let (p50, p95) = (pct(&mut ms, 0.5), pct(&mut ms, 0.95));
        println!(
            "| projection {name} | {srcs} | {p50:.1} | {p95:.1} | {}x{} px, {} stars |",
            p.width, p.height, p.total
        );
    }
    for (name, r) in &regions {
        let mut ms = Vec::new();
        let mut count = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            count = view::stars(&g, r, 1000)?.count;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (p50, p95) = (pct(&mut ms, 0.5), pct(&mut ms, 0.95));
        println!("| stars {name}, limit 1000 | star table | {p50:.1} | {p95:.1} | {count} stars |");
    }
    let timed = |name: &str, f: &mut dyn FnMut() -> Result<String>| -> Result<()> {
        let mut ms = Vec::new();
        let mut out = String::new();
        for _ in 0..rounds.min(5) {
            let t = Instant::now();
            out = f()?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (p50, p95) = (pct(&mut ms, 0.5), pct(&mut ms, 0.95));
        println!("| {name} | | {p50:.1} | {p95:.1} | {out} |");
        Ok(())
    };
    let id = view::stars(&g, &Region::Sphere { c: [0.0; 3], r: 50.0 }, 1)?.stars.first().map_or(0, |s| s.source_id);
    timed("summary", &mut || Ok(format!("{} stars", view::summary(&g)?.stars)))?;
    timed("occupancy", &mut || Ok(format!("{} chunks", view::occupancy(&g)?.chunks.len())))?;
    timed("overview (side <= 160)", &mut || {
        let o = view::overview(&g, 160)?;
        Ok(format!("level {}, {} cells", o.level, o.cells.len()))
    })?;
    timed("cell at 10,10,10", &mut || Ok(format!("{} stars", view::cell(&g, [10.0, 10.0, 10.0])?.stars.len())))?;
    timed("star by source_id", &mut || Ok(format!("{}", view::star(&g, id)?.source_id)))?;
    Ok(())
}
