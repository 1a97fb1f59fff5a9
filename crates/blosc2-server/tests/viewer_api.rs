//! The viewer's API in-process (`tower::ServiceExt::oneshot`) against arrays written by
//! python-blosc2: every dtype family, 0-D to 8-D, contiguous and sparse frames, special
//! chunks, mostly-empty arrays, plain super-chunks (`.b2frame` without a `b2nd` metalayer).
//! Every slice equals NumPy's, every block reduction NumPy's `nanmax` / `nanmean` / `nanmin`
//! of the boxes; bad requests get 400, unknown names 404, answers
//! over the budget 413, each with one line of JSON.

use std::ffi::OsStr;
use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use blosc2_server::{layered, viewer, Limits};
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn app(dir: &Path, limits: Limits) -> Router {
    let catalog = viewer::Catalog::find(&[dir.join("arrays")]);
    assert!(catalog.skipped.is_empty(), "{:?}", catalog.skipped);
    layered(viewer::router(catalog, limits.clone()), &limits)
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Vec<u8>, axum::http::HeaderMap) {
    let r = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, body, headers)
}

async fn json(app: &Router, uri: &str) -> serde_json::Value {
    let (s, b, _) = get(app, uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&b));
    serde_json::from_slice(&b).unwrap()
}

async fn error(app: &Router, uri: &str, want: StatusCode) -> String {
    let (s, b, h) = get(app, uri).await;
    let text = String::from_utf8_lossy(&b).to_string();
    assert_eq!(s, want, "{uri}: {text}");
    assert_eq!(h["content-type"], "application/json", "{uri}");
    assert!(!text.trim_end().contains('\n'), "{uri}: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["error"].as_str().unwrap().to_string()
}

fn make(tmp: &Path) {
    run_python(python_script!("viewer_arrays.py"), &[tmp.as_os_str()]);
}

#[tokio::test]
async fn slices_equal_numpy() {
    let tmp = temp_dir!("viewer-slices");
    make(tmp.path());
    let app = app(tmp.path(), Limits::default());
    let list = json(&app, "/api/arrays").await;
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"sub/struct_2d.b2nd") && names.contains(&"i2_3d.b2nd") && names.contains(&"scalar.b2nd"),
        "{names:?}"
    );
    assert_eq!(list[0]["shape"], serde_json::json!([15, 16]));
    let manifest: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(tmp.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.len() > 90);
    for case in &manifest {
        let (array, index) = (case["array"].as_str().unwrap(), case["index"].as_str().unwrap());
        let mut uri = format!("/api/slice?array={}&index={}&format=npy", enc(array), enc(index));
        if let Some(f) = case["field"].as_str() {
            uri += &format!("&field={f}");
        }
        if let (Some(step), Some(how)) = (case["step"].as_str(), case["reduce"].as_str()) {
            uri += &format!("&step={step}&reduce={how}");
        }
        let (s, body, _) = get(&app, &uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&body));
        let want = std::fs::read(tmp.join("expected").join(case["npy"].as_str().unwrap())).unwrap();
        let (wh, wd) = blosc2_nd::npy::read(&want).unwrap();
        let (gh, gd) = blosc2_nd::npy::read(&body).unwrap();
        assert_eq!(gh.shape, wh.shape, "{uri}");
        if case["reduce"].as_str() == Some("mean") {
            // Sums in another order: equal to the last bits.
            let f = |b: &[u8]| b.chunks_exact(8).map(|x| f64::from_le_bytes(x.try_into().unwrap())).collect::<Vec<_>>();
            assert_eq!(gh.dtype.as_str(), "<f8", "{uri}");
            for (g, w) in f(&gd).iter().zip(f(&wd)) {
                assert!((g.is_nan() && w.is_nan()) || (g - w).abs() <= 1e-12 * w.abs().max(1.0), "{uri}: {g} != {w}");
            }
            continue;
        }
        assert_eq!(gh.dtype.kind(), wh.dtype.kind(), "{uri}");
        assert_eq!(gh.dtype.itemsize(), wh.dtype.itemsize(), "{uri}");
        assert_eq!(gd, wd, "{uri}");
        // The JSON answer holds the same numbers.
        if wh.dtype.kind() == blosc2_nd::Kind::Float && wh.dtype.itemsize() == 8 && case["field"].is_null() {
            let j = json(&app, &uri.replace("format=npy", "format=json")).await;
            let vals = j["values"].as_array().unwrap();
            assert_eq!(vals.len(), wd.len() / 8);
            for (v, w) in vals.iter().zip(wd.chunks_exact(8)) {
                let mut b = [0u8; 8];
                b.copy_from_slice(w);
                let w = if wh.dtype.byte_order() == blosc2_nd::dtype::ByteOrder::Big {
                    f64::from_be_bytes(b)
                } else {
                    f64::from_le_bytes(b)
                };
                match v.as_f64() {
                    Some(x) => assert_eq!(x, w, "{uri}"),
                    None => assert!(w.is_nan(), "{uri}"),
                }
            }
        }
    }
    // Ranges are clipped as NumPy clips them.
    let (_, a, _) = get(&app, "/api/slice?array=f4_2d.b2nd&index=-99:99,5:2&format=npy").await;
    assert_eq!(blosc2_nd::npy::read(&a).unwrap().0.shape, [13, 0]);
    // A step parameter multiplies the selection's own steps.
    let (_, a, _) = get(&app, "/api/slice?array=f4_2d.b2nd&index=::2,::3&format=npy").await;
    let (_, b, _) = get(&app, "/api/slice?array=f4_2d.b2nd&step=2,3&format=npy").await;
    assert_eq!(a, b);
    let j = json(&app, "/api/slice?array=i1_2d.b2nd&index=1:3,4:6&format=json").await;
    assert_eq!(j["shape"], serde_json::json!([2, 2]));
    assert!(j["values"][0].is_i64());
    let j = json(&app, "/api/slice?array=b1_2d.b2nd&index=0,0:2&format=json").await;
    assert!(j["values"][0].is_boolean());
    let j = json(&app, "/api/slice?array=c8_2d.b2nd&index=0,0:2&format=json").await;
    assert_eq!(j["values"][0].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn meta_chunkmap_stats_png_and_means() {
    let tmp = temp_dir!("viewer-meta");
    make(tmp.path());
    let app = app(tmp.path(), Limits::default());
    let m = json(&app, "/api/meta?array=zeros_f4.b2nd").await;
    assert_eq!(m["chunks"], serde_json::json!([10, 10]));
    assert_eq!(m["blocks"], serde_json::json!([5, 5]));
    assert_eq!(m["dtype"], "<f4");
    assert_eq!(m["codec"], "zstd");
    // 20 chunks, of which the write at [12:18, 21:29] touched one (rows 10-19, columns 20-29).
    assert_eq!(m["chunk_kinds"]["stored"], 1);
    assert_eq!(m["chunk_kinds"]["zeros"], 19);
    assert_eq!((m["sparse"].as_bool(), m["layout"].as_str()), (Some(true), Some("b2nd")));
    // The count from the offsets comes first; the exact one follows from a background read.
    let mut exact = m["chunk_kinds"]["exact"].as_bool().unwrap();
    for _ in 0..200 {
        if exact {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        exact = json(&app, "/api/meta?array=zeros_f4.b2nd").await["chunk_kinds"]["exact"].as_bool().unwrap();
    }
    assert!(exact);
    let m = json(&app, "/api/meta?array=zeros_f4.b2nd").await;
    assert_eq!((m["chunk_kinds"]["stored"].as_u64(), m["chunk_kinds"]["zeros"].as_u64()), (Some(1), Some(19)));
    let m = json(&app, "/api/meta?array=plain_u4.b2frame").await;
    assert_eq!((m["layout"].as_str(), m["dtype"].as_str()), (Some("super-chunk"), Some("<u4")));
    assert_eq!(
        (m["shape"].clone(), m["chunks"].clone(), m["nchunks"].as_u64()),
        (serde_json::json!([10007]), serde_json::json!([1000]), Some(11))
    );
    let m = json(&app, "/api/meta?array=u1_8d.b2nd").await;
    assert_eq!(m["shape"], serde_json::json!([2, 2, 3, 2, 3, 2, 2, 4]));
    let c = json(&app, "/api/chunkmap?array=u1_8d.b2nd&axes=7,2&at=1,1,0,0,0,0,0,0").await;
    assert_eq!(c["grid"], serde_json::json!([2, 2]));
    let m = json(&app, "/api/meta?array=sub%2Fstruct_2d.b2nd").await;
    let fields: Vec<&str> = m["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(fields, ["x", "y", "flag"]);
    let c = json(&app, "/api/chunkmap?array=zeros_f4.b2nd&axes=0,1").await;
    assert_eq!(c["grid"], serde_json::json!([4, 5]));
    let kinds: Vec<u64> = c["kinds"].as_array().unwrap().iter().map(|k| k.as_u64().unwrap()).collect();
    let stored: Vec<usize> = kinds.iter().enumerate().filter(|(_, &k)| k == 0).map(|(i, _)| i).collect();
    assert_eq!(stored, [7]); // chunk (1, 2)
    assert!(c["cbytes"][7].as_u64().unwrap() > 0);
    let c = json(&app, "/api/chunkmap?array=zeros_f4.b2nd&axes=1,0").await;
    assert_eq!(c["grid"], serde_json::json!([5, 4]));
    let c = json(&app, "/api/chunkmap?array=f8_3d.b2nd&axes=2,0&at=0,6,0").await;
    assert_eq!(c["grid"], serde_json::json!([2, 3]));
    // Statistics of a region: the written values 1..=48 and the zeros around them.
    let s = json(&app, "/api/stats?array=zeros_f4.b2nd&index=10:20,20:30").await;
    assert_eq!(s["count"], 100);
    assert_eq!(s["nonzero"], 48);
    assert_eq!((s["min"].as_f64(), s["max"].as_f64()), (Some(0.0), Some(48.0)));
    assert_eq!(s["mean"].as_f64(), Some(49.0 * 24.0 / 100.0));
    let s = json(&app, "/api/stats?array=nan_f8.b2nd").await;
    assert_eq!((s["nan"].as_u64(), s["min"].clone()), (Some(400), serde_json::Value::Null));
    // Block means: each 2x2 box of the written block.
    let j = json(&app, "/api/slice?array=zeros_f4.b2nd&index=12:18,21:29&step=2&reduce=mean&format=json").await;
    assert_eq!(j["shape"], serde_json::json!([3, 4]));
    assert_eq!(j["values"][0].as_f64(), Some((1.0 + 2.0 + 9.0 + 10.0) / 4.0));
    let j = json(&app, "/api/slice?array=zeros_f4.b2nd&index=12:17,21:29&step=2&reduce=mean&format=json").await;
    assert_eq!(j["values"][8].as_f64(), Some(33.5)); // last row of boxes: one row (33, 34)
                                                     // PNG of a 2-D view.
    let (s, png_bytes, h) = get(&app, "/api/slice?array=zeros_f4.b2nd&format=png&cmap=gray&vmin=0&vmax=48").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "image/png");
    let mut r = png::Decoder::new(std::io::Cursor::new(png_bytes)).read_info().unwrap();
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (50, 40));
    let px = |y: usize, x: usize| buf[(y * 50 + x) * 4];
    assert_eq!((px(0, 0), px(17, 28)), (0, 255));
    // The page's binary format: f32 values and the limits in headers.
    let (s, b, h) = get(&app, "/api/slice?array=zeros_f4.b2nd&index=12:14,21:23&format=f32").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["x-shape"], "2,2");
    assert_eq!(b, [1f32, 2.0, 9.0, 10.0].iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
    // ... and the statistics of its values, as /api/stats gives them.
    let stats: serde_json::Value = serde_json::from_str(h["x-stats"].to_str().unwrap()).unwrap();
    assert_eq!(stats, json(&app, "/api/stats?array=zeros_f4.b2nd&index=12:14,21:23").await);
    let (_, _, h) = get(&app, "/api/slice?array=sparse_u1_3d.b2nd&index=:,:,5&step=7,3,1&reduce=max&format=f32").await;
    let stats: serde_json::Value = serde_json::from_str(h["x-stats"].to_str().unwrap()).unwrap();
    assert_eq!(stats, json(&app, "/api/stats?array=sparse_u1_3d.b2nd&index=:,:,5&step=7,3,1&reduce=max").await);
    assert_eq!(stats["count"], 9 * 17);
    // The page and its script.
    let (s, page, _) = get(&app, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8_lossy(&page).contains("viewer.js"));
    let (s, _, _) = get(&app, "/assets/viewer.js").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn bad_requests() {
    let tmp = temp_dir!("viewer-bad");
    make(tmp.path());
    let limits = Limits { cell_budget: 200, ..Limits::default() };
    let app = app(tmp.path(), limits);
    let bad = StatusCode::BAD_REQUEST;
    for uri in [
        "/api/slice?array=f4_2d.b2nd&index=a",
        "/api/slice?array=f4_2d.b2nd&index=1:2:3:4",
        "/api/slice?array=f4_2d.b2nd&index=::0",
        "/api/slice?array=f4_2d.b2nd&index=::-1",
        "/api/slice?array=f4_2d.b2nd&index=1,2,3",
        "/api/slice?array=f4_2d.b2nd&index=-20",
        "/api/slice?array=f4_2d.b2nd&step=0",
        "/api/slice?array=f4_2d.b2nd&step=1,2,3",
        "/api/slice?array=f4_2d.b2nd&step=x",
        "/api/slice?array=f4_2d.b2nd&format=tiff",
        "/api/slice?array=f4_2d.b2nd&format=png&cmap=jet",
        "/api/slice?array=f4_2d.b2nd&format=png&vmin=abc",
        "/api/slice?array=f4_2d.b2nd&reduce=median",
        "/api/slice?array=f8_3d.b2nd&index=0:2,0:2,0:2&format=png",
        "/api/slice?array=sub%2Fstruct_2d.b2nd&format=json",
        "/api/slice?array=sub%2Fstruct_2d.b2nd&field=zz",
        "/api/slice?array=f4_2d.b2nd&field=x",
        "/api/slice?index=0",
        "/api/chunkmap?array=f4_2d.b2nd&axes=0,0",
        "/api/chunkmap?array=f4_2d.b2nd&axes=2",
        "/api/chunkmap?array=f4_2d.b2nd&axes=0,1&at=0",
        "/api/chunkmap?array=f4_2d.b2nd&axes=0,1&at=0,99",
        "/api/stats?array=f4_2d.b2nd&index=;",
    ] {
        error(&app, uri, bad).await;
    }
    let e = error(&app, "/api/slice?array=nope.b2nd", StatusCode::NOT_FOUND).await;
    assert!(e.contains("nope.b2nd"), "{e}");
    error(&app, "/api/meta?array=..%2F..%2Fetc%2Fpasswd", StatusCode::NOT_FOUND).await;
    error(&app, "/assets/..%2FCargo.toml", StatusCode::NOT_FOUND).await;
    error(&app, "/no/such/path", StatusCode::NOT_FOUND).await;
    // 13 x 17 = 221 cells > 200: refused at once; with a step it fits.
    let e = error(&app, "/api/slice?array=f4_2d.b2nd", StatusCode::PAYLOAD_TOO_LARGE).await;
    assert!(e.contains("221") && e.contains("200"), "{e}");
    error(&app, "/api/stats?array=f4_2d.b2nd", StatusCode::PAYLOAD_TOO_LARGE).await;
    json(&app, "/api/slice?array=f4_2d.b2nd&step=2&format=json").await;
    // The server keeps serving after all of that.
    json(&app, "/api/arrays").await;
    let _ = OsStr::new("");
}
