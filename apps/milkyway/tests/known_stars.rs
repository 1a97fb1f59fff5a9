//! A hand-made catalogue of known stars (Proxima Centauri, Sirius, missing and negative
//! parallaxes, stars just inside and just outside the radius) goes through the `milkyway`
//! binary and lands in the expected cells.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use blosc2_nd::NdArray;
use blosc2_testkit::temp_dir;
use common::milkyway;
use milkyway::cube_store::{chunk_kind, read_chunk, ChunkKind};
use milkyway::geom::Grid;

const K: f64 = 3261.56;

fn catalogue() -> String {
    let inside = K / 9999.9;
    let outside = K / 10000.1;
    let edge = K / 10000.0;
    let mut s = String::new();
    s.push_str("# %ECSV 1.0\n# ---\n# a hand-made catalogue in any column order\n");
    s.push_str("designation,parallax,dec,source_id,phot_g_mean_mag,ra\n");
    s.push_str("\"Proxima Centauri\",768.0665,-62.67949,5853498713190525696,8.98,217.42895\n");
    s.push_str("Sirius,379.21,-16.71611586,2947050466531873024,-1.46,101.28715533\n");
    s.push_str("no parallax,null,10.0,1,15.0,20.0\n");
    s.push_str("empty parallax,,10.0,2,15.0,20.0\n");
    s.push_str("nan parallax,NaN,10.0,3,15.0,20.0\n");
    s.push_str("negative,-0.5,10.0,4,15.0,20.0\n");
    s.push_str("zero,0,10.0,5,15.0,20.0\n");
    s.push_str("# a comment line among the data is skipped\n");
    s.push_str(&format!("inside +x,{inside},0.0,6,20.0,0.0\n"));
    s.push_str(&format!("inside -x,{inside},0.0,7,20.0,180.0\n"));
    s.push_str(&format!("outside,{outside},0.0,8,20.0,0.0\n"));
    s.push_str(&format!("at the radius,{edge},0.0,9,20.0,0.0\n"));
    s.push_str("Proxima twin,768.0665,-62.67949,10,11.0,217.42895\r\n");
    s
}

fn cell_value(cube: &Path, c: [u64; 3]) -> u8 {
    let g = Grid::talk();
    let a = NdArray::open(cube).unwrap();
    let n = g.nchunk(g.chunk_coords(c));
    if chunk_kind(&a, n).unwrap().0 == ChunkKind::Zero {
        return 0;
    }
    let mut buf = vec![0u8; a.geometry().chunk_nbytes()];
    read_chunk(&a, n, &mut buf).unwrap();
    buf[g.offset_in_chunk(c)]
}

#[test]
fn known_stars_land_in_their_cells() {
    let tmp = temp_dir!("milkyway-known");
    let csv = tmp.join("known.csv");
    std::fs::write(&csv, catalogue()).unwrap();
    let out = tmp.join("galaxy");
    let (code, _, err) = milkyway(&[OsStr::new("ingest"), csv.as_os_str(), OsStr::new("-o"), out.as_os_str()]);
    assert_eq!(code, 0, "{err}");
    let s: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let c = &s["counts"];
    assert_eq!(c["rows"], 12);
    assert_eq!(c["missing_parallax"], 3);
    assert_eq!(c["negative_parallax"], 1);
    assert_eq!(c["zero_parallax"], 1);
    assert_eq!(c["positive_parallax"], 7);
    assert_eq!(c["selected"], 5);
    assert_eq!(c["comment_lines"], 1);
    assert_eq!(s["cube"]["nonempty_cells"], 4);
    assert_eq!(s["cube"]["max_cell"], serde_json::json!([[9998, 9998, 9996], 2]));
    let cube = out.join("cube.b2nd");
    assert_eq!(cell_value(&cube, [9998, 9998, 9996]), 2, "Proxima Centauri and its twin");
    assert_eq!(cell_value(&cube, [9998, 10008, 9997]), 1, "Sirius");
    assert_eq!(cell_value(&cube, [19999, 10000, 10000]), 1, "just inside on +x");
    assert_eq!(cell_value(&cube, [0, 10000, 10000]), 1, "just inside on -x");
    assert_eq!(cell_value(&cube, [9999, 9999, 9999]), 0);

    // The two nearest stars are found by a sphere query around the Sun.
    let (code, out_json, err) = milkyway(&[
        OsStr::new("query"),
        out.as_os_str(),
        OsStr::new("--sphere"),
        OsStr::new("0,0,0,10"),
        OsStr::new("--json"),
    ]);
    assert_eq!(code, 0, "{err}");
    let q: serde_json::Value = serde_json::from_str(&out_json).unwrap();
    assert_eq!(q["count"], 3);
    let ids: Vec<i64> = q["stars"].as_array().unwrap().iter().map(|s| s["source_id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&5853498713190525696) && ids.contains(&2947050466531873024) && ids.contains(&10));
    for st in q["stars"].as_array().unwrap() {
        if st["source_id"] == 5853498713190525696i64 {
            assert!((st["distance_ly"].as_f64().unwrap() - 4.2464552).abs() < 1e-6);
        }
    }
    // Stats agree.
    let (code, out_json, _) = milkyway(&[OsStr::new("stats"), out.as_os_str(), OsStr::new("--json")]);
    assert_eq!(code, 0);
    let st: serde_json::Value = serde_json::from_str(&out_json).unwrap();
    assert_eq!(st["stars"], 5);
    assert_eq!(st["nonempty_cells"], 4);
    assert_eq!(st["max_cell"]["cell"], serde_json::json!([9998, 9998, 9996]));
    assert_eq!(st["bbox"]["lo_cell"], serde_json::json!([0, 9998, 9996]));
    assert_eq!(st["bbox"]["hi_cell"], serde_json::json!([19999, 10008, 10000]));
}
