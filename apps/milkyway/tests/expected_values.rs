//! The real Gaia rows of `testdata/gaia` (ESA/Gaia/DPAC) read, selected and binned by the
//! reader and the geometry give every value of `expected_values.json`.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use milkyway::geom::{galactic_lb, icrs_to_galactic, Grid, K_EXACT, K_TALK};
use milkyway::reader::{read_file, Selection, Star};
use serde_json::Value;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn check(file: &str, k: f64, key: &str) {
    let exp = common::expected();
    let e = &exp[key];
    assert!(e.is_object(), "no expected values for {key}");
    let path = common::gaia_dir().join(file);
    let res = read_file(&path, Selection { k, radius_ly: 10_000.0 }).unwrap();
    let c = res.counts;
    assert_eq!(c.rows, u(&e["rows"]), "{key} rows");
    assert_eq!(c.missing_parallax, u(&e["null_parallax"]), "{key} null");
    assert_eq!(c.negative_parallax, u(&e["negative_parallax"]), "{key} negative");
    assert_eq!(c.zero_parallax, u(&e["zero_parallax"]), "{key} zero");
    assert_eq!(c.positive_parallax, u(&e["positive_parallax"]), "{key} positive");
    assert_eq!(c.selected, u(&e["selected_within_10000_ly"]), "{key} selected");
    assert_eq!(c.malformed, 0);
    let stars: &Vec<Star> = &res.stars;
    assert_eq!(stars.len() as u64, c.selected);
    // p > 1/3 mas <=> d < 3 K.
    let near = stars.iter().filter(|s| s.d_ly < 3.0 * k).count() as u64;
    assert_eq!(near, u(&e["parallax_gt_one_third_mas_(within_3000_pc)"]), "{key} within 3000 pc");

    let g = Grid::talk();
    let cells: Vec<[u64; 3]> = stars.iter().map(|s| g.cell(s.pos).unwrap()).collect();
    for (a, name) in ["x", "y", "z"].iter().enumerate() {
        let lo = stars.iter().map(|s| s.pos[a]).fold(f64::INFINITY, f64::min);
        let hi = stars.iter().map(|s| s.pos[a]).fold(f64::NEG_INFINITY, f64::max);
        let eb = &e["bbox_ly"][name];
        assert!(close(lo, eb[0].as_f64().unwrap()) && close(hi, eb[1].as_f64().unwrap()), "{key} bbox {name}");
        let cname = ["i", "j", "k"][a];
        let clo = cells.iter().map(|c| c[a]).min().unwrap();
        let chi = cells.iter().map(|c| c[a]).max().unwrap();
        assert_eq!([clo, chi], [u(&e["bbox_cells"][cname][0]), u(&e["bbox_cells"][cname][1])], "{key} cells {cname}");
        let sum: u64 = cells.iter().map(|c| c[a]).sum();
        assert_eq!(sum, u(&e["sum_cell_indices"][cname]), "{key} sum {cname}");
    }
    let mut per_cell: HashMap<[u64; 3], u64> = HashMap::new();
    let mut per_chunk: HashMap<u64, u64> = HashMap::new();
    let mut blocks = HashSet::new();
    for c in &cells {
        *per_cell.entry(*c).or_default() += 1;
        *per_chunk.entry(g.nchunk(g.chunk_coords(*c))).or_default() += 1;
        blocks.insert(c.map(|v| v / 25));
    }
    assert_eq!(per_cell.len() as u64, u(&e["distinct_cells"]), "{key} distinct cells");
    assert_eq!(*per_cell.values().max().unwrap(), u(&e["max_stars_per_cell"]));
    assert_eq!(per_chunk.len() as u64, u(&e["nonempty_chunks_250"]), "{key} chunks");
    assert_eq!(*per_chunk.values().max().unwrap(), u(&e["max_stars_per_chunk_250"]));
    assert_eq!(blocks.len() as u64, u(&e["nonempty_blocks_25"]), "{key} blocks");

    let mut oct: BTreeMap<String, u64> = BTreeMap::new();
    for s in stars {
        let sign = |v: f64| if v >= 0.0 { '+' } else { '-' };
        *oct.entry(s.pos.iter().map(|&v| sign(v)).collect()).or_default() += 1;
    }
    let eo: BTreeMap<String, u64> =
        e["octant_counts_xyz_sign"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), u(v))).collect();
    assert_eq!(oct, eo, "{key} octants");

    let mut by_d: Vec<(usize, f64)> = stars.iter().enumerate().map(|(i, s)| (i, s.d_ly)).collect();
    by_d.sort_by(|a, b| a.1.total_cmp(&b.1));
    for (n, en) in e["nearest3"].as_array().unwrap().iter().enumerate() {
        let (i, d) = by_d[n];
        assert_eq!(stars[i].source_id as u64, u(&en["source_id"]), "{key} nearest {n}");
        assert!(close(d, en["d_ly"].as_f64().unwrap()), "{key} nearest d {n}");
        let ec: Vec<u64> = en["cell"].as_array().unwrap().iter().map(u).collect();
        assert_eq!(cells[i].to_vec(), ec);
    }
    let (fi, fd) = *by_d.last().unwrap();
    assert_eq!(stars[fi].source_id as u64, u(&e["farthest"]["source_id"]));
    assert!(close(fd, e["farthest"]["d_ly"].as_f64().unwrap()));
    let ec: Vec<u64> = e["farthest"]["cell"].as_array().unwrap().iter().map(u).collect();
    assert_eq!(cells[fi].to_vec(), ec);

    let mut hist = vec![0u64; 10];
    for s in stars {
        hist[(s.d_ly / 1000.0) as usize] += 1;
    }
    let eh: Vec<u64> = e["hist_d_ly_bins_of_1000"].as_array().unwrap().iter().map(u).collect();
    assert_eq!(hist, eh, "{key} histogram");

    let mut coarse: HashMap<[u64; 3], u64> = HashMap::new();
    let mut columns = HashSet::new();
    for c in &cells {
        *coarse.entry(c.map(|v| v / 1000)).or_default() += 1;
        columns.insert([c[0] / 1000, c[1] / 1000]);
    }
    assert_eq!(coarse.len() as u64, u(&e["coarse1000_nonempty"]));
    assert_eq!(*coarse.values().max().unwrap(), u(&e["coarse1000_max"]));
    assert_eq!(columns.len() as u64, u(&e["projection_z_coarse1000_nonempty_columns"]));
    let inbox = cells.iter().filter(|c| c.iter().all(|&v| (9000..11000).contains(&v))).count() as u64;
    assert_eq!(inbox, u(&e["in_box_i_j_k_9000_to_10999"]));

    let gal: Vec<[f64; 3]> = stars.iter().map(|s| icrs_to_galactic(s.pos)).collect();
    assert_eq!(gal.iter().filter(|v| v[2].abs() < 1000.0).count() as u64, u(&e["galactic_abs_Z_lt_1000_ly"]));
    assert_eq!(gal.iter().filter(|v| v[0] > 0.0).count() as u64, u(&e["galactic_X_gt_0_toward_GC"]));
}

#[test]
fn dr3_random1000_exact_k() {
    check("dr3_random1000.csv", K_EXACT, "dr3_random1000.csv K=3261.56");
}

#[test]
fn dr3_random1000_gz_equals_csv() {
    check("dr3_random1000.csv.gz", K_EXACT, "dr3_random1000.csv K=3261.56");
}

#[test]
fn dr3_random1000_talk_k() {
    check("dr3_random1000.csv", K_TALK, "dr3_random1000.csv K=3260.0");
}

#[test]
fn dr3_cone50_both_k() {
    check("dr3_cone50.csv", K_EXACT, "dr3_cone50.csv K=3261.56");
    check("dr3_cone50.csv", K_TALK, "dr3_cone50.csv K=3260.0");
}

#[test]
fn edr3_random1000_by_column_name() {
    check("edr3_random1000.csv", K_EXACT, "edr3_random1000.csv K=3261.56");
    check("edr3_random1000.csv", K_TALK, "edr3_random1000.csv K=3260.0");
}

/// The Galactic rotation reproduces the files' own `l`, `b` columns.
#[test]
fn galactic_l_b_match_the_catalogue() {
    for file in ["dr3_random1000.csv", "dr3_cone50.csv", "edr3_random1000.csv"] {
        let text = std::fs::read_to_string(common::gaia_dir().join(file)).unwrap();
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
        let (ra, dec, l, b) = (col("ra"), col("dec"), col("l"), col("b"));
        let mut n = 0;
        for line in lines {
            let f: Vec<&str> = line.split(',').collect();
            let (cl, cb) = galactic_lb(f[ra].parse().unwrap(), f[dec].parse().unwrap());
            let (fl, fb): (f64, f64) = (f[l].parse().unwrap(), f[b].parse().unwrap());
            let dl = (cl - fl).abs().min(360.0 - (cl - fl).abs());
            assert!(dl < 1e-9 && (cb - fb).abs() < 1e-9, "{file}: l, b ({cl}, {cb}) vs ({fl}, {fb})");
            n += 1;
        }
        assert!(n >= 50);
    }
}
