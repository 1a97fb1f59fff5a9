//! On a synthetic catalogue: `stats` and `query` equal a brute-force computation over the
//! selected stars; N shards merged equal one ingest; synth is deterministic.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use blosc2_nd::NdArray;
use blosc2_testkit::temp_dir;
use milkyway::cube_store::chunk_kind;
use milkyway::explore::{hist_bin, query, stats, Galaxy, Region};
use milkyway::geom::Grid;
use milkyway::ingest::{ingest, list_inputs, merge, IngestOptions};
use milkyway::reader::{read_file, Selection, Star};
use milkyway::synth::{synth, Model, Rng};

fn all_stars(files: &[PathBuf], sel: Selection) -> Vec<Star> {
    let mut v = Vec::new();
    for f in files {
        v.extend(read_file(f, sel).unwrap().stars);
    }
    v
}

fn grid() -> Grid {
    // 10 ly cells: 2000^3 cells, 8^3 chunks of 250^3, blocks of 25^3.
    Grid::new(10_000.0, 10.0, 250, 25).unwrap()
}

#[test]
fn stats_and_query_equal_brute_force() {
    let tmp = temp_dir!("milkyway-synth-explore");
    let cat = tmp.join("cat");
    let rep = synth(&cat, 30_000, 11, Some(3), &Model::default()).unwrap();
    assert_eq!(rep.files.len(), 3);
    let g = grid();
    let opts = IngestOptions::new(g);
    let files = list_inputs(std::slice::from_ref(&cat), None).unwrap();
    assert_eq!(files.len(), 3);
    let out = tmp.join("galaxy");
    let summary = ingest(&files, &out, &opts).unwrap();
    let stars = all_stars(&files, opts.sel);
    assert_eq!(summary.counts.rows, 30_000);
    assert_eq!(summary.counts.selected as usize, stars.len());
    assert_eq!(summary.counts.selected, rep.selected);

    // Brute force over cells.
    let mut cells: HashMap<[u64; 3], u64> = HashMap::new();
    for s in &stars {
        *cells.entry(g.cell(s.pos).unwrap()).or_default() += 1;
    }
    let chunks: std::collections::HashSet<u64> = cells.keys().map(|c| g.nchunk(g.chunk_coords(*c))).collect();
    let (max_cell, max_n) =
        cells.iter().map(|(c, n)| (*c, *n)).max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).unwrap();
    let mut hist = vec![0u64; 10];
    for (c, n) in &cells {
        hist[hist_bin(&g, *c, 1000.0, 10)] += n;
    }
    let lo = [0, 1, 2].map(|a| cells.keys().map(|c| c[a]).min().unwrap());
    let hi = [0, 1, 2].map(|a| cells.keys().map(|c| c[a]).max().unwrap());

    let gal = Galaxy::open(&out).unwrap();
    let st = stats(&gal, 1000.0).unwrap();
    assert_eq!(st.stars, stars.len() as u64);
    assert_eq!(st.nonempty_cells, cells.len() as u64);
    assert_eq!(st.nonempty_chunks, chunks.len() as u64);
    assert_eq!(st.nchunks, 512);
    let m = st.max_cell.clone().unwrap();
    assert_eq!((m.cell, m.count), (max_cell, max_n.min(255)));
    let b = st.bbox.clone().unwrap();
    assert_eq!((b.lo_cell, b.hi_cell), (lo, hi));
    assert_eq!(st.distance_histogram.counts, hist);
    assert_eq!(summary.cube.nonempty_cells, cells.len() as u64);
    assert_eq!(summary.cube.max_cell, Some((max_cell, max_n)));

    // Queries: random spheres and boxes.
    let mut rng = Rng::new(5, 0);
    for t in 0..40 {
        let c = [0, 1, 2].map(|_| (rng.uniform() - 0.5) * 16_000.0);
        let region = if t % 2 == 0 {
            Region::Sphere { c, r: rng.uniform() * 4000.0 }
        } else {
            let h = [0, 1, 2].map(|_| rng.uniform() * 3000.0);
            Region::Box { lo: [0, 1, 2].map(|a| c[a] - h[a]), hi: [0, 1, 2].map(|a| c[a] + h[a]) }
        };
        let want: Vec<i64> = {
            let mut v: Vec<i64> = stars.iter().filter(|s| region.contains(s.pos)).map(|s| s.source_id).collect();
            v.sort();
            v
        };
        let got = query(&gal, &region, None).unwrap();
        assert_eq!(got.count as usize, want.len(), "{region:?}");
        let mut ids: Vec<i64> = got.stars.iter().map(|s| s.source_id).collect();
        ids.sort();
        assert_eq!(ids, want, "{region:?}");
    }
    // The whole sphere.
    let all = query(&gal, &Region::Sphere { c: [0.0; 3], r: 10_000.0 }, Some(3)).unwrap();
    assert_eq!(all.count as usize, stars.len());
    assert_eq!(all.stars.len(), 3);
}

fn same_galaxy(a: &Path, b: &Path) {
    for f in ["cube.b2nd", "stars/source_id.b2nd", "stars/x.b2nd", "stars/mag.b2nd", "stars/chunk_nchunk.b2nd"] {
        let ra = NdArray::open(a.join(f)).unwrap();
        let rb = NdArray::open(b.join(f)).unwrap();
        assert_eq!(ra.meta(), rb.meta(), "{f}");
        for i in 0..ra.nchunks() {
            assert_eq!(chunk_kind(&ra, i).unwrap().0, chunk_kind(&rb, i).unwrap().0, "{f} chunk {i}");
            assert!(ra.schunk().chunk(i).unwrap() == rb.schunk().chunk(i).unwrap(), "{f} chunk {i} bytes");
        }
    }
}

#[test]
fn shards_merged_equal_one_ingest() {
    let tmp = temp_dir!("milkyway-synth-shards");
    let cat = tmp.join("cat");
    synth(&cat, 12_000, 3, Some(4), &Model::default()).unwrap();
    let g = grid();
    let opts = IngestOptions::new(g);
    let inputs = [cat.clone()];
    let one = tmp.join("one");
    let s1 = ingest(&list_inputs(&inputs, None).unwrap(), &one, &opts).unwrap();
    let mut parts = Vec::new();
    for i in 0..3 {
        let mut o = opts.clone();
        o.shard = Some((i, 3));
        let p = tmp.join(format!("part{i}"));
        ingest(&list_inputs(&inputs, o.shard).unwrap(), &p, &o).unwrap();
        parts.push(p);
    }
    let merged = tmp.join("merged");
    let sm = merge(&parts, &merged, false).unwrap();
    assert_eq!(sm.counts, s1.counts);
    assert_eq!(sm.cube.nonempty_cells, s1.cube.nonempty_cells);
    assert_eq!(sm.cube.distance_histogram, s1.cube.distance_histogram);
    same_galaxy(&one, &merged);

    // Building slabs in several bounded passes gives the same galaxy.
    let mut small = opts.clone();
    small.max_stars_in_memory = 50;
    let multi = tmp.join("multipass");
    let s3 = ingest(&list_inputs(&inputs, None).unwrap(), &multi, &small).unwrap();
    // Equal statistics but for the pyramid's build time.
    let untimed = |mut c: milkyway::cube::CubeStats| {
        if let Some(p) = &mut c.pyramid {
            p.build_s = 0.0;
        }
        c
    };
    assert_eq!(untimed(s3.cube), untimed(s1.cube.clone()));
    same_galaxy(&one, &multi);
}

#[test]
fn synth_is_deterministic_and_realistic() {
    let tmp = temp_dir!("milkyway-synth-det");
    let a = synth(&tmp.join("a"), 5_000, 9, Some(2), &Model::default()).unwrap();
    let b = synth(&tmp.join("b"), 5_000, 9, Some(2), &Model::default()).unwrap();
    for (fa, fb) in a.files.iter().zip(&b.files) {
        assert_eq!(fa.file_name(), fb.file_name());
        assert!(std::fs::read(fa).unwrap() == std::fs::read(fb).unwrap());
    }
    // Real-format files: rows sorted by source_id, file names after level-8 pixel ranges.
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(&a.files[0]).unwrap()).read_to_string(&mut s).unwrap();
        s
    };
    let mut ids = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
        ids.push(line.split(',').next().unwrap().parse::<i64>().unwrap());
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert!(a.files[0].file_name().unwrap().to_str().unwrap().starts_with("GaiaSource_000000-"));
    assert!(a.files[1].file_name().unwrap().to_str().unwrap().ends_with("-786431.csv.gz"));
    // Rough realism (the 10^6-row targets are checked by hand, see the report).
    let miss = a.missing as f64 / a.rows as f64;
    let neg = a.negative as f64 / (a.rows - a.missing) as f64;
    assert!((0.10..0.25).contains(&miss), "missing {miss}");
    assert!((0.18..0.32).contains(&neg), "negative {neg}");
}

/// Level-12 HEALPix of real DR3 positions equals `source_id >> 35` for nearly all rows.
#[test]
fn healpix_matches_real_source_ids() {
    let text = std::fs::read_to_string(common::gaia_dir().join("dr3_random1000.csv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (sid, ra, dec) = (col("source_id"), col("ra"), col("dec"));
    let (mut ok, mut n) = (0, 0);
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let id: u64 = f[sid].parse().unwrap();
        let pix = milkyway::synth::ang2pix_nest(12, f[ra].parse().unwrap(), f[dec].parse().unwrap());
        n += 1;
        if pix == id >> 35 {
            ok += 1;
        }
    }
    assert!(ok as f64 >= 0.99 * n as f64, "{ok} of {n}");
    let _ = Selection { k: 1.0, radius_ly: 1.0 };
}

/// Full mode writes the 152 DR3 columns around the same simulated values as fast mode.
#[test]
fn full_mode_has_the_dr3_layout_and_the_same_stars() {
    use milkyway::synth::{synth_with, ColumnMode};
    let tmp = temp_dir!("milkyway-synth-full");
    let fast = synth_with(&tmp.join("fast"), 3000, 4, Some(1), &Model::default(), ColumnMode::Fast).unwrap();
    let full = synth_with(&tmp.join("full"), 3000, 4, Some(1), &Model::default(), ColumnMode::Full).unwrap();
    assert_eq!(fast.files[0].file_name(), full.files[0].file_name());
    let sel = Selection { k: milkyway::geom::K_EXACT, radius_ly: 10_000.0 };
    let a = read_file(&fast.files[0], sel).unwrap();
    let b = read_file(&full.files[0], sel).unwrap();
    assert_eq!(a.counts, b.counts);
    assert_eq!(a.stars, b.stars);
    let r = milkyway::reader::GaiaReader::open(&full.files[0]).unwrap();
    assert_eq!(r.columns.ncols, 152);
    assert!(r.header_lines > 150);
}
