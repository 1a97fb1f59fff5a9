//! The multiscale pyramid and the query layer on a small synthetic galaxy, against
//! brute-force computations over the star table; python-blosc2 reads every level.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use blosc2_testkit::python::run_python_code;
use blosc2_testkit::temp_dir;
use milkyway::explore::{self, FoundStar, Galaxy, Region};
use milkyway::geom::Grid;
use milkyway::ingest::{ingest, list_inputs, merge, IngestOptions};
use milkyway::pyramid::{level_file, level_side, levels, Pyramid};
use milkyway::reader::Star;
use milkyway::synth::{synth, Model, Rng};
use milkyway::view::{self, Axis, ProjectionRequest, Source, ViewError};

fn grid() -> Grid {
    // 50 ly cells: 400^3 cells, 8^3 chunks of 50^3, blocks of 10^3; levels 1 (200^3) to 6 (7^3).
    Grid::new(10_000.0, 50.0, 50, 10).unwrap()
}

fn build(tmp: &Path) -> (PathBuf, Vec<PathBuf>) {
    let cat = tmp.join("cat");
    synth(&cat, 40_000, 7, Some(3), &Model::default()).unwrap();
    let files = list_inputs(std::slice::from_ref(&cat), None).unwrap();
    let out = tmp.join("galaxy");
    ingest(&files, &out, &IngestOptions::new(grid())).unwrap();
    (out, files)
}

fn level_counts(g: &Grid, k: u32, stars: &[Star]) -> HashMap<[u64; 3], u32> {
    let mut m = HashMap::new();
    for s in stars {
        let c = g.cell(s.pos).unwrap().map(|v| v >> k);
        *m.entry(c).or_default() += 1;
    }
    m
}

#[test]
fn levels_equal_brute_force_and_python_reads_them() {
    let tmp = temp_dir!("milkyway-pyramid-levels");
    let (out, files) = build(tmp.path());
    let g = grid();
    assert_eq!(levels(&g), vec![1, 2, 3, 4, 5, 6]);
    let stars = common::table_stars(&out);
    assert!(stars.len() > 10_000);
    let p = Pyramid::open(&out, &g).unwrap().expect("a pyramid");
    let mut sums = Vec::new();
    for l in &p.levels {
        let n = level_side(&g, l.k);
        assert_eq!(l.side, n);
        let want = level_counts(&g, l.k, &stars);
        let got = l.read([0; 3], [n; 3]).unwrap();
        let mut nonzero = 0;
        for (f, &v) in got.iter().enumerate() {
            let f = f as u64;
            let c = [f / (n * n), (f / n) % n, f % n];
            assert_eq!(v, want.get(&c).copied().unwrap_or(0), "level {} cell {c:?}", l.k);
            nonzero += u64::from(v > 0);
        }
        assert_eq!(nonzero, want.len() as u64);
        sums.push((l.k, got.iter().map(|&v| u64::from(v)).sum::<u64>(), nonzero));
    }
    // python-blosc2 opens every level and reads the same sums and non-empty cells.
    let code = "import sys, blosc2, numpy as np\n\
                for f in sys.argv[1:]:\n\
                \x20   a = blosc2.open(f)[:]\n\
                \x20   print(a.dtype, a.shape[0], int(a.sum(dtype=np.uint64)), int(np.count_nonzero(a)))\n";
    let paths: Vec<PathBuf> = p.levels.iter().map(|l| Pyramid::dir(&out).join(level_file(l.k))).collect();
    let py = run_python_code(code, &paths);
    let lines: Vec<&str> = py.lines().collect();
    assert_eq!(lines.len(), sums.len());
    for ((k, sum, nz), line) in sums.iter().zip(lines) {
        assert_eq!(line, format!("uint32 {} {sum} {nz}", level_side(&g, *k)), "level {k}");
        assert_eq!(*sum, stars.len() as u64);
    }

    // `index` rebuilds the same files; merged shards get the same pyramid as one ingest.
    let saved: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    std::fs::remove_dir_all(Pyramid::dir(&out)).unwrap();
    assert!(Pyramid::open(&out, &g).unwrap().is_none());
    milkyway::pyramid::index(&out).unwrap();
    for (p, s) in paths.iter().zip(&saved) {
        assert!(std::fs::read(p).unwrap() == *s, "{} differs after index", p.display());
    }
    let mut parts = Vec::new();
    for i in 0..2 {
        let part = tmp.join(format!("part{i}"));
        let shard: Vec<PathBuf> = files.iter().skip(i).step_by(2).cloned().collect();
        ingest(&shard, &part, &IngestOptions::new(g)).unwrap();
        parts.push(part);
    }
    let merged = tmp.join("merged");
    merge(&parts, &merged, false).unwrap();
    for (l, s) in p.levels.iter().zip(&saved) {
        assert!(std::fs::read(Pyramid::dir(&merged).join(level_file(l.k))).unwrap() == *s, "merged level {}", l.k);
    }
}

/// The projection of `req` from level `k` computed from the stars, with the layer's rules:
/// a level cell counts when its centre lies in the slab and the window and goes to the pixel
/// under its centre; stars (k = None) by their position.
fn brute_projection(g: &Grid, stars: &[Star], p: &view::Projection, k: Option<u32>) -> Vec<f32> {
    let (ua, va) = p.axis.image_axes();
    let a = p.axis.index();
    let (w, h) = (p.width as usize, p.height as usize);
    let px = ((p.window[0].1 - p.window[0].0) / w as f64, (p.window[1].1 - p.window[1].0) / h as f64);
    let mut img = vec![0f32; w * h];
    for s in stars {
        let pos = match k {
            Some(k) => g.cell(s.pos).unwrap().map(|i| view::level_centre(g, k, i >> k)),
            None => s.pos,
        };
        let inside = |x: usize, r: (f64, f64)| pos[x] >= r.0 && pos[x] < r.1;
        if inside(a, p.slab) && inside(ua, p.window[0]) && inside(va, p.window[1]) {
            let i = (((pos[ua] - p.window[0].0) / px.0).floor() as usize).min(w - 1);
            let j = (((pos[va] - p.window[1].0) / px.1).floor() as usize).min(h - 1);
            img[(h - 1 - j) * w + i] += 1.0;
        }
    }
    img
}

#[test]
fn query_layer_equals_brute_force() {
    let tmp = temp_dir!("milkyway-view");
    let (out, _) = build(tmp.path());
    let g = grid();
    let stars = common::table_stars(&out);
    let gal = Galaxy::open(&out).unwrap();

    // Summary.
    let s = view::summary(&gal).unwrap();
    assert_eq!(s.stars, stars.len() as u64);
    assert_eq!(s.levels.iter().map(|l| l.k).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(s.extent_ly, (-10_000.0, 10_000.0));
    assert_eq!(s.histogram.counts.iter().sum::<u64>(), stars.len() as u64);
    let cells: std::collections::HashSet<[u64; 3]> = stars.iter().map(|s| g.cell(s.pos).unwrap()).collect();
    assert_eq!(s.nonempty_cells, cells.len() as u64);

    // Projections: the chosen source, and every level and the star table, on several views.
    let mut rng = Rng::new(9, 0);
    let mut reqs = vec![
        ProjectionRequest { axis: Axis::Z, slab: None, window: None, size: 512 },
        ProjectionRequest { axis: Axis::X, slab: Some((-500.0, 700.0)), window: None, size: 64 },
        ProjectionRequest { axis: Axis::Y, slab: None, window: Some([(-3000.0, 1000.0), (-800.0, 900.0)]), size: 300 },
        ProjectionRequest {
            axis: Axis::Z,
            slab: Some((-12_000.0, 0.0)),
            window: Some([(0.0, 20_000.0), (-50.0, 50.0)]),
            size: 7,
        },
    ];
    for _ in 0..6 {
        let axis = [Axis::X, Axis::Y, Axis::Z][(rng.uniform() * 3.0) as usize % 3];
        let c = [0, 1].map(|_| (rng.uniform() - 0.5) * 12_000.0);
        let half = 200.0 + rng.uniform() * 4000.0;
        let d = (rng.uniform() - 0.5) * 2000.0;
        reqs.push(ProjectionRequest {
            axis,
            slab: Some((d - half, d + half)),
            window: Some([(c[0] - half, c[0] + half), (c[1] - half * 0.7, c[1] + half * 0.7)]),
            size: 16 + (rng.uniform() * 400.0) as u32,
        });
    }
    for req in &reqs {
        let chosen = view::choose_source(&gal, req).unwrap();
        let p = view::projection(&gal, req).unwrap();
        assert_eq!(p.level, if let Source::Level(k) = chosen { k } else { 0 });
        for src in [Source::Stars, Source::Level(1), Source::Level(2), Source::Level(3), Source::Level(5)] {
            let p = view::projection_from(&gal, req, src).unwrap();
            let k = if let Source::Level(k) = src { Some(k) } else { None };
            let cell = k.map_or(g.cell_ly, |k| g.cell_ly * f64::from(1u32 << k));
            let px = (p.window[0].1 - p.window[0].0) / f64::from(p.width);
            if cell > px {
                // Cells larger than pixels: each pixel gets its share; the total is the sum of
                // the cells read.
                let want = brute_projection(&g, &stars, &p, k);
                assert!(p.total as f64 >= want.iter().map(|&v| f64::from(v)).sum::<f64>(), "{req:?} {src:?}");
                continue;
            }
            let want = brute_projection(&g, &stars, &p, k);
            assert_eq!(p.data, want, "{req:?} from {src:?}");
            assert_eq!(p.total as f32, want.iter().sum::<f32>());
        }
    }
    // The level that fits: 64 pixels over 20,000 ly are 312 ly, level 2 has 200 ly cells;
    // 2048 pixels are finer than level 1 and the galaxy's 10^4 stars are within the budget.
    let whole = |size| ProjectionRequest { axis: Axis::Z, slab: None, window: None, size };
    assert_eq!(view::choose_source(&gal, &whole(64)).unwrap(), Source::Level(2));
    assert_eq!(view::choose_source(&gal, &whole(20)).unwrap(), Source::Level(4));
    assert_eq!(view::choose_source(&gal, &whole(2048)).unwrap(), Source::Stars);

    // Regions: count and listing as `milkyway query`, with the limit.
    for t in 0..30 {
        let c = [0, 1, 2].map(|_| (rng.uniform() - 0.5) * 8_000.0);
        let r = rng.uniform() * 3000.0;
        let region = if t % 2 == 0 {
            Region::Sphere { c, r }
        } else {
            Region::Box { lo: c.map(|v| v - r), hi: c.map(|v| v + r * 0.5) }
        };
        let want: Vec<&Star> = stars.iter().filter(|s| region.contains(s.pos)).collect();
        let limit = (rng.uniform() * 50.0) as usize;
        let got = view::stars(&gal, &region, limit).unwrap();
        assert_eq!(got.count, want.len() as u64);
        assert_eq!(got.stars.len(), want.len().min(limit));
        assert_eq!(got.omitted, got.count - got.stars.len() as u64);
        for s in &got.stars {
            assert!(region.contains([s.x, s.y, s.z]));
            assert!(want.iter().any(|w| w.source_id == s.source_id && w.mag.to_bits() == s.mag.to_bits()));
        }
    }

    // A cell and a star.
    for s in stars.iter().step_by(997) {
        let c = view::cell(&gal, s.pos).unwrap();
        let inside: Vec<&Star> = stars.iter().filter(|t| g.cell(t.pos) == g.cell(s.pos)).collect();
        assert_eq!(c.stars.len(), inside.len());
        assert_eq!(u64::from(c.stored), (inside.len() as u64).min(255));
        assert!(c.stars.iter().any(|f| f.source_id == s.source_id));
        let f = view::star(&gal, s.source_id).unwrap();
        assert_eq!((f.x, f.y, f.z), (s.pos[0], s.pos[1], s.pos[2]));
    }
    assert!(matches!(view::star(&gal, -5), Err(ViewError::StarNotFound { source_id: -5 })));
    assert!(matches!(view::cell(&gal, [0.0, 0.0, 10_000.0]), Err(ViewError::OutOfRange { .. })));

    // Occupancy of the chunk grid.
    let occ = view::occupancy(&gal).unwrap();
    let mut per_chunk: HashMap<[u64; 3], u64> = HashMap::new();
    for s in &stars {
        *per_chunk.entry(g.chunk_coords(g.cell(s.pos).unwrap())).or_default() += 1;
    }
    assert_eq!(occ.chunks.len(), per_chunk.len());
    for (c, n) in &occ.chunks {
        assert_eq!(per_chunk[c], *n);
    }
    assert_eq!(occ.chunks_per_axis, 8);

    // Overview: the non-empty cells of the finest level of at most 64 cells a side.
    let ov = view::overview(&gal, 64).unwrap();
    assert_eq!(ov.level, 3);
    let want = level_counts(&g, 3, &stars);
    assert_eq!(ov.cells.len(), want.len());
    assert_eq!(ov.cells.iter().map(|c| u64::from(c.1)).sum::<u64>(), stars.len() as u64);
}

fn unit<T>(r: Result<T, ViewError>) -> Result<(), ViewError> {
    r.map(|_| ())
}

#[test]
fn bad_parameters_are_typed_errors() {
    use view::*;
    let malformed = |r: Result<(), ViewError>| matches!(r, Err(ViewError::Malformed { .. }));
    let range = |r: Result<(), ViewError>| matches!(r, Err(ViewError::OutOfRange { .. }));
    let large = |r: Result<(), ViewError>| matches!(r, Err(ViewError::TooLarge { .. }));
    assert!(malformed(unit(Axis::parse("w"))));
    assert!(malformed(unit(parse_range("slab", "1,2"))));
    assert!(malformed(unit(parse_range("slab", "a:2"))));
    assert!(range(unit(parse_range("slab", "2:1"))));
    assert!(range(unit(parse_range("slab", "inf:1"))));
    assert!(range(unit(parse_range("slab", "NaN:1"))));
    assert!(malformed(unit(parse_window("1:2"))));
    assert!(large(unit(parse_size("4096"))));
    assert!(range(unit(parse_size("0"))));
    assert!(malformed(unit(parse_size("-3"))));
    assert!(malformed(unit(parse_size("12px"))));
    assert!(large(unit(parse_limit("1000000"))));
    assert!(malformed(unit(parse_limit("ten"))));
    assert!(malformed(unit(parse_sphere("1,2,3"))));
    assert!(malformed(unit(parse_sphere("1,2,3,-4"))));
    assert!(range(unit(parse_sphere("1,2,inf,4"))));
    assert!(malformed(unit(parse_box("0:1,0:1"))));
    assert!(malformed(unit(parse_box("1:0,0:1,0:1"))));
    assert!(malformed(unit(parse_point("1,2"))));
    assert!(malformed(unit(parse_source_id("12x"))));
    assert_eq!(parse_window("-1:2,3:4.5").unwrap(), [(-1.0, 2.0), (3.0, 4.5)]);
    assert_eq!(parse_size("2048").unwrap(), 2048);
    let e = parse_size("99999").unwrap_err();
    assert_eq!(e.status(), 413);
    assert_eq!(e.to_string(), "size: 99999 is too large (at most 2048)");
    assert_eq!(Axis::parse("q").unwrap_err().status(), 400);
    assert!(!Axis::parse("q\n\"x").unwrap_err().to_string().contains('\n'));

    let tmp = temp_dir!("milkyway-view-bad");
    let (out, _) = build(tmp.path());
    let gal = Galaxy::open(&out).unwrap();
    let req = |slab, window, size| ProjectionRequest { axis: Axis::X, slab, window, size };
    assert!(range(unit(projection(&gal, &req(Some((20_000.0, 30_000.0)), None, 10)))));
    assert!(range(unit(projection(&gal, &req(None, Some([(0.0, 1.0), (5.0, 5.0)]), 10)))));
    assert!(large(unit(projection(&gal, &req(None, None, 5000)))));
    assert!(large(unit(stars(&gal, &Region::Sphere { c: [0.0; 3], r: 1.0 }, MAX_LIMIT + 1))));
    assert!(large(unit(overview(&gal, 100_000))));
}

#[test]
fn level_sums_and_chunk_counts_equal_the_cells_and_stars() {
    let tmp = temp_dir!("milkyway-view-sums");
    let (out, _) = build(tmp.path());
    let g = grid();
    let mut gal = Galaxy::open(&out).unwrap();
    let mut rng = Rng::new(11, 0);

    // Sums of levels kept in memory (every level): any slab and window equals the cells
    // summed; then with no level in memory (sums over whole axes and the non-empty cells by
    // slab).
    for cached in [true, false] {
        gal.pyramid = Pyramid::open_caching(&out, &g, if cached { u64::MAX } else { 0 }).unwrap();
        let p = gal.pyramid.as_ref().unwrap();
        for l in &p.levels {
            assert_eq!(l.cached.is_some(), cached);
            let n = l.side;
            for t in 0..12 {
                let axis = [Axis::X, Axis::Y, Axis::Z][t % 3];
                let a = axis.index();
                let mut r = [0, 1, 2].map(|_| {
                    let i0 = (rng.uniform() * n as f64) as u64 % n;
                    (i0, i0 + 1 + (rng.uniform() * (n - i0) as f64) as u64 % (n - i0))
                });
                if t < 3 {
                    r[a] = (0, n);
                }
                // Kept in memory: cumulative sums; else sums over whole axes and the
                // non-empty cells listed by slab.
                assert_eq!(l.sums().unwrap()[a].prefix.is_empty(), !cached);
                assert_eq!(l.sums().unwrap()[a].slabs.is_some(), !cached);
                let (ua, va) = axis.image_axes();
                let got = l.slab_image(a, r[a], r[ua], r[va]).unwrap().expect("sums for this slab");
                let lo = r.map(|x| x.0);
                let hi = r.map(|x| x.1);
                let want = view::level_image_from_cells(l, lo, hi, axis).unwrap();
                assert_eq!(got, want, "level {} axis {a} {r:?}", l.k);
            }
        }
        // Whole views at every size come from the level that fits (or the finest).
        for size in [7, 64, 400, 2048] {
            for axis in [Axis::X, Axis::Y, Axis::Z] {
                let req = ProjectionRequest { axis, slab: None, window: None, size };
                let p = view::projection(&gal, &req).unwrap();
                assert_eq!(p.total, view::summary(&gal).unwrap().stars, "{req:?}");
            }
        }
    }

    // Regions as large as the cube (chunks wholly inside counted from the chunk index): the
    // same count and the same stars in the same order as testing every star in table order.
    for t in 0..24 {
        let c = [0, 1, 2].map(|_| (rng.uniform() - 0.5) * 6_000.0);
        let r = 1000.0 + rng.uniform() * 9000.0;
        let region = if t % 2 == 0 {
            Region::Sphere { c, r }
        } else {
            Region::Box { lo: c.map(|v| v - r), hi: c.map(|v| v + r * 0.8) }
        };
        let mut all: Vec<FoundStar> = Vec::new();
        explore::for_each_star_in(&gal, &region, |s| {
            all.push(FoundStar::from(s));
            Ok(())
        })
        .unwrap();
        for limit in [None, Some(0), Some(7), Some(all.len() / 2), Some(all.len() + 1)] {
            let got = explore::query(&gal, &region, limit).unwrap();
            assert_eq!(got.count, all.len() as u64, "{region:?}");
            let n = limit.unwrap_or(usize::MAX).min(all.len());
            assert_eq!(got.stars.len(), n);
            for (a, b) in got.stars.iter().zip(&all) {
                assert_eq!(
                    (a.source_id, a.x.to_bits(), a.y.to_bits(), a.z.to_bits()),
                    (b.source_id, b.x.to_bits(), b.y.to_bits(), b.z.to_bits())
                );
            }
        }
    }
}
