//! The cube of the real DR3 sample equals the golden cubes written by python-blosc2 4.14.1
//! cell for cell, with the same chunks stored as ZERO; python-blosc2 opens our cubes.

mod common;

use std::path::Path;
use std::process::Command;

use blosc2_nd::NdArray;
use blosc2_testkit::python::python;
use blosc2_testkit::temp_dir;
use milkyway::cube_store::{chunk_kind, read_chunk, ChunkKind};
use milkyway::geom::Grid;
use milkyway::ingest::{ingest, IngestOptions};

fn compare(ours: &Path, golden: &Path) -> (u64, u64) {
    let a = NdArray::open(ours).unwrap();
    let b = NdArray::open(golden).unwrap();
    assert_eq!(a.meta(), b.meta());
    assert_eq!(a.nchunks(), b.nchunks());
    let mut buf_a = vec![0u8; a.geometry().chunk_nbytes()];
    let mut buf_b = vec![0u8; b.geometry().chunk_nbytes()];
    let (mut data, mut sum) = (0, 0);
    for i in 0..a.nchunks() {
        let (ka, _) = chunk_kind(&a, i).unwrap();
        let (kb, _) = chunk_kind(&b, i).unwrap();
        assert_eq!(ka, kb, "chunk {i} kind");
        if ka == ChunkKind::Data {
            read_chunk(&a, i, &mut buf_a).unwrap();
            read_chunk(&b, i, &mut buf_b).unwrap();
            assert!(buf_a == buf_b, "chunk {i} content differs");
            data += 1;
            sum += buf_a.iter().map(|&v| u64::from(v)).sum::<u64>();
        }
    }
    (data, sum)
}

#[test]
fn talk_layout_equals_golden_cube() {
    let tmp = temp_dir!("milkyway-golden-r1");
    let golden = tmp.join("golden.b2nd");
    common::gunzip(&common::gaia_dir().join("dr3_random1000_R1_talk_layout.b2nd.gz"), &golden);
    let out = tmp.join("galaxy");
    let opts = IngestOptions::new(Grid::talk());
    let s = ingest(&[common::gaia_dir().join("dr3_random1000.csv.gz")], &out, &opts).unwrap();
    assert_eq!(s.counts.selected, 477);
    assert_eq!(s.cube.nonempty_chunks, 468);
    assert_eq!(s.cube.nonempty_cells, 477);
    let (data, sum) = compare(&out.join("cube.b2nd"), &golden);
    assert_eq!((data, sum), (468, 477));
    // The metadata walk reads python-blosc2's chunks too (only their non-empty blocks).
    let st = milkyway::explore::stats(&milkyway::explore::Galaxy::open(&golden).unwrap(), 1000.0).unwrap();
    assert_eq!((st.stars, st.nonempty_cells, st.nonempty_chunks, st.zero_chunks), (477, 477, 468, 511_532));
    assert_eq!(st.distance_histogram.counts.iter().sum::<u64>(), 477);
    let ours = milkyway::explore::stats(&milkyway::explore::Galaxy::open(&out).unwrap(), 1000.0).unwrap();
    assert_eq!(ours, st);
    // The non-special chunks and their sums listed in b2nd_expected.json.
    let exp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::gaia_dir().join("b2nd_expected.json")).unwrap()).unwrap();
    let list = exp["R1_talk_layout"]["not_special_chunks_list_[nchunk, ci, cj, ck, sum]"].as_array().unwrap();
    let a = NdArray::open(out.join("cube.b2nd")).unwrap();
    let mut buf = vec![0u8; a.geometry().chunk_nbytes()];
    for e in list.iter().take(20) {
        let n = e[0].as_u64().unwrap();
        assert_eq!(chunk_kind(&a, n).unwrap().0, ChunkKind::Data);
        read_chunk(&a, n, &mut buf).unwrap();
        assert_eq!(buf.iter().map(|&v| u64::from(v)).sum::<u64>(), e[4].as_u64().unwrap());
    }

    // python-blosc2 opens our cube and finds the worked example's star.
    let script = r#"
import sys, blosc2
a = blosc2.open(sys.argv[1])
assert a.shape == (20000, 20000, 20000), a.shape
assert a.chunks == (250, 250, 250) and a.blocks == (25, 25, 25), (a.chunks, a.blocks)
assert str(a.dtype) == 'uint8'
assert int(a[10864, 7120, 10014]) == 1
assert int(a[10863:10866, 7119:7122, 10013:10016].sum()) == 1
assert a.schunk.nchunks == 512000
print("ok")
"#;
    let out_py = Command::new(python()).arg("-c").arg(script).arg(out.join("cube.b2nd")).output().unwrap();
    assert!(
        out_py.status.success(),
        "python-blosc2 failed: {}{}",
        String::from_utf8_lossy(&out_py.stdout),
        String::from_utf8_lossy(&out_py.stderr)
    );
}

#[test]
fn r100_layout_equals_golden_cube() {
    let tmp = temp_dir!("milkyway-golden-r100");
    let out = tmp.join("galaxy");
    let opts = IngestOptions::new(Grid::new(10_000.0, 100.0, 50, 10).unwrap());
    ingest(&[common::gaia_dir().join("dr3_random1000.csv")], &out, &opts).unwrap();
    let (data, sum) = compare(&out.join("cube.b2nd"), &common::gaia_dir().join("dr3_random1000_R100.b2nd"));
    assert_eq!((data, sum), (39, 477));
    let script = r#"
import sys, blosc2, numpy as np
a = blosc2.open(sys.argv[1])
b = blosc2.open(sys.argv[2])
assert a.shape == (200, 200, 200)
assert np.array_equal(a[:], b[:])
assert int(a[:].sum()) == 477
ta = blosc2.open(sys.argv[3])
assert ta.shape == (477,) and str(ta.dtype) == 'int64'
print("ok")
"#;
    let o = Command::new(python())
        .arg("-c")
        .arg(script)
        .arg(out.join("cube.b2nd"))
        .arg(common::gaia_dir().join("dr3_random1000_R100.b2nd"))
        .arg(out.join("stars/source_id.b2nd"))
        .output()
        .unwrap();
    assert!(o.status.success(), "python-blosc2 failed: {}", String::from_utf8_lossy(&o.stderr));
}
