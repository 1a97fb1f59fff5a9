//! `milkyway serve`'s API on a small synthetic galaxy: every endpoint's answer against a
//! brute-force computation over the star table, every bad parameter answered with 400 (or
//! 404/413) and one line of JSON, and a bounded load test on loopback.

mod common;

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use blosc2_testkit::temp_dir;
use http_body_util::BodyExt;
use milkyway::explore::Galaxy;
use milkyway::geom::Grid;
use milkyway::ingest::{ingest, list_inputs, IngestOptions};
use milkyway::reader::Star;
use milkyway::serve::{limits, router};
use milkyway::synth::{synth, Model};
use milkyway::view;
use serde_json::Value;
use tower::ServiceExt;

fn grid() -> Grid {
    // 50 ly cells: 400^3 cells, 8^3 chunks of 50^3, blocks of 10^3; levels 1 (200^3) to 6 (7^3).
    Grid::new(10_000.0, 50.0, 50, 10).unwrap()
}

fn build(tmp: &Path) -> PathBuf {
    let cat = tmp.join("cat");
    synth(&cat, 40_000, 7, Some(3), &Model::default()).unwrap();
    let files = list_inputs(std::slice::from_ref(&cat), None).unwrap();
    let out = tmp.join("galaxy");
    ingest(&files, &out, &IngestOptions::new(grid())).unwrap();
    out
}

fn app(galaxy: &Path) -> Router {
    blosc2_server::layered(router(Arc::new(Galaxy::open(galaxy).unwrap())), &limits())
}

struct Answer {
    status: StatusCode,
    content_type: String,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        assert!(self.content_type.starts_with("application/json"), "{}", self.content_type);
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> f64 {
        self.headers[name].to_str().unwrap().parse().unwrap()
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    let r = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let content_type = headers.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
    Answer { status, content_type, headers, body }
}

async fn ok_json(app: &Router, uri: &str) -> Value {
    let a = get(app, uri).await;
    assert_eq!(a.status, StatusCode::OK, "{uri}: {}", String::from_utf8_lossy(&a.body));
    a.json()
}

fn in_sphere(p: [f64; 3], c: [f64; 3], r: f64) -> bool {
    (0..3).map(|i| (p[i] - c[i]).powi(2)).sum::<f64>().sqrt() <= r
}

fn in_box(p: [f64; 3], lo: [f64; 3], hi: [f64; 3]) -> bool {
    (0..3).all(|i| lo[i] <= p[i] && p[i] <= hi[i])
}

/// Stars per pixel of `p` binned from the stars (or from the centres of their level-k cells).
fn brute_projection(g: &Grid, stars: &[Star], p: &Value) -> Vec<f32> {
    let axis = view::Axis::parse(p["axis"].as_str().unwrap()).unwrap();
    let k = p["level"].as_u64().unwrap() as u32;
    let (ua, va) = axis.image_axes();
    let a = axis.index();
    let (w, h) = (p["width"].as_u64().unwrap() as usize, p["height"].as_u64().unwrap() as usize);
    let r = |v: &Value| (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    let (wu, wv, slab) = (r(&p["window"][0]), r(&p["window"][1]), r(&p["slab"]));
    let px = ((wu.1 - wu.0) / w as f64, (wv.1 - wv.0) / h as f64);
    let mut img = vec![0f32; w * h];
    for s in stars {
        let pos = if k == 0 { s.pos } else { g.cell(s.pos).unwrap().map(|i| view::level_centre(g, k, i >> k)) };
        let inside = |x: usize, r: (f64, f64)| pos[x] >= r.0 && pos[x] < r.1;
        if inside(a, slab) && inside(ua, wu) && inside(va, wv) {
            let i = (((pos[ua] - wu.0) / px.0).floor() as usize).min(w - 1);
            let j = (((pos[va] - wv.0) / px.1).floor() as usize).min(h - 1);
            img[(h - 1 - j) * w + i] += 1.0;
        }
    }
    img
}

#[tokio::test]
async fn every_endpoint_equals_brute_force() {
    let tmp = temp_dir!("milkyway-serve-api");
    let out = build(tmp.path());
    let g = grid();
    let stars = common::table_stars(&out);
    assert!(stars.len() > 10_000);
    let app = app(&out);

    // Summary.
    let s = ok_json(&app, "/api/summary").await;
    assert_eq!(s["stars"].as_u64().unwrap(), stars.len() as u64);
    let cells: HashSet<[u64; 3]> = stars.iter().map(|s| g.cell(s.pos).unwrap()).collect();
    assert_eq!(s["nonempty_cells"].as_u64().unwrap(), cells.len() as u64);
    let mut per_chunk: HashMap<[u64; 3], u64> = HashMap::new();
    for st in &stars {
        *per_chunk.entry(g.cell(st.pos).unwrap().map(|i| i / g.chunk)).or_default() += 1;
    }
    assert_eq!(s["nonempty_chunks"].as_u64().unwrap(), per_chunk.len() as u64);
    assert_eq!(s["levels"].as_array().unwrap().len(), 6);

    // Regions: count, limit, omitted, every listed star inside, and the full list equal to
    // brute force when the limit allows.
    let spheres = [([0.0, 0.0, 0.0], 300.0), ([1000.0, -500.0, 200.0], 800.0), ([0.0, 0.0, 0.0], 0.0)];
    for (c, r) in spheres {
        let want: HashSet<i64> = stars.iter().filter(|s| in_sphere(s.pos, c, r)).map(|s| s.source_id).collect();
        for limit in [0usize, 5, 100_000] {
            let uri = format!("/api/stars?sphere={},{},{},{r}&limit={limit}", c[0], c[1], c[2]);
            let a = ok_json(&app, &uri).await;
            assert_eq!(a["count"].as_u64().unwrap(), want.len() as u64, "{uri}");
            let listed = a["stars"].as_array().unwrap();
            assert_eq!(listed.len(), want.len().min(limit), "{uri}");
            assert_eq!(a["omitted"].as_u64().unwrap(), (want.len() - listed.len()) as u64);
            let got: HashSet<i64> = listed.iter().map(|s| s["source_id"].as_i64().unwrap()).collect();
            assert!(got.is_subset(&want), "{uri}");
            if limit >= want.len() {
                assert_eq!(got, want, "{uri}");
            }
            for s in listed {
                for key in ["x", "y", "z", "mag"] {
                    assert!(s.get(key).is_some(), "{key}");
                }
            }
        }
    }
    let boxes = [([-500.0, -500.0, -100.0], [500.0, 500.0, 100.0]), ([2000.0, -3000.0, -50.0], [4000.0, 0.0, 50.0])];
    for (lo, hi) in boxes {
        let want: HashSet<i64> = stars.iter().filter(|s| in_box(s.pos, lo, hi)).map(|s| s.source_id).collect();
        let uri = format!("/api/stars?box={}:{},{}:{},{}:{}&limit=100000", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]);
        let a = ok_json(&app, &uri).await;
        assert_eq!(a["count"].as_u64().unwrap(), want.len() as u64, "{uri}");
        let got: HashSet<i64> =
            a["stars"].as_array().unwrap().iter().map(|s| s["source_id"].as_i64().unwrap()).collect();
        assert_eq!(got, want, "{uri}");
        // Positions listed are those of the table.
        let by_id: HashMap<i64, &Star> = stars.iter().map(|s| (s.source_id, s)).collect();
        for s in a["stars"].as_array().unwrap().iter().take(50) {
            let t = by_id[&s["source_id"].as_i64().unwrap()];
            assert_eq!([s["x"].as_f64().unwrap(), s["y"].as_f64().unwrap(), s["z"].as_f64().unwrap()], t.pos);
        }
    }
    // Default limit.
    let a = ok_json(&app, "/api/stars?sphere=0,0,0,5000").await;
    assert_eq!(a["stars"].as_array().unwrap().len() as u64, a["count"].as_u64().unwrap().min(1000));

    // Projections: JSON counts equal brute-force binning (views whose cells are no larger
    // than a pixel), the PNG and f32 answers have the JSON's size, the headers its level.
    let views = [
        "axis=z&size=64",
        "axis=x&size=50",
        "axis=y&size=40&slab=-500:500",
        "axis=z&size=100&window=-1000:1000,-1000:1000",
        "axis=x&size=80&slab=-200:200&window=-2000:2000,-1000:1000",
    ];
    for v in views {
        let p = ok_json(&app, &format!("/api/projection?{v}&format=json")).await;
        let (w, h) = (p["width"].as_u64().unwrap(), p["height"].as_u64().unwrap());
        let data: Vec<f32> = p["data"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
        assert_eq!(data.len() as u64, w * h, "{v}");
        let px = (p["window"][0][1].as_f64().unwrap() - p["window"][0][0].as_f64().unwrap()) / w as f64;
        let from_table = p["level"].as_u64().unwrap() == 0;
        assert!(from_table || p["cell_ly"].as_f64().unwrap() <= px + 1e-9, "{v}: level cells larger than pixels");
        assert_eq!(data, brute_projection(&g, &stars, &p), "{v}");
        assert_eq!(p["total"].as_f64().unwrap(), data.iter().map(|&x| f64::from(x)).sum::<f64>(), "{v}");
        if !v.contains("slab") && !v.contains("window") {
            assert_eq!(p["total"].as_u64().unwrap(), stars.len() as u64, "{v}");
        }

        let png = get(&app, &format!("/api/projection?{v}")).await;
        assert_eq!(png.status, StatusCode::OK);
        assert_eq!(png.content_type, "image/png");
        assert_eq!(png.header("x-level") as u64, p["level"].as_u64().unwrap());
        assert_eq!(png.header("x-total") as u64, p["total"].as_u64().unwrap());
        let dec = png::Decoder::new(std::io::Cursor::new(png.body)).read_info().unwrap();
        assert_eq!((u64::from(dec.info().width), u64::from(dec.info().height)), (w, h), "{v}");

        let raw = get(&app, &format!("/api/projection?{v}&format=f32")).await;
        assert_eq!(raw.status, StatusCode::OK);
        let vals: Vec<f32> = raw.body.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(vals, data, "{v}");
    }
    // The largest size is served (pixels finer than a cell: binned from the star table).
    let big = get(&app, "/api/projection?axis=y&size=2048").await;
    assert_eq!(big.status, StatusCode::OK);
    assert_eq!((big.header("x-width"), big.header("x-level")), (2048.0, 0.0));
    assert_eq!(big.header("x-total") as usize, stars.len());

    // A cell and a star.
    let st = &stars[stars.len() / 2];
    let c = ok_json(&app, &format!("/api/cell?at={},{},{}", st.pos[0], st.pos[1], st.pos[2])).await;
    let cell = g.cell(st.pos).unwrap();
    let in_cell: HashSet<i64> = stars.iter().filter(|s| g.cell(s.pos).unwrap() == cell).map(|s| s.source_id).collect();
    assert_eq!(c["cell"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect::<Vec<_>>(), cell);
    assert_eq!(c["stored"].as_u64().unwrap(), (in_cell.len() as u64).min(255));
    let got: HashSet<i64> = c["stars"].as_array().unwrap().iter().map(|s| s["source_id"].as_i64().unwrap()).collect();
    assert_eq!(got, in_cell);
    let s = ok_json(&app, &format!("/api/star?source_id={}", st.source_id)).await;
    assert_eq!(s["source_id"].as_i64().unwrap(), st.source_id);
    assert_eq!([s["x"].as_f64().unwrap(), s["y"].as_f64().unwrap(), s["z"].as_f64().unwrap()], st.pos);

    // Occupancy: stars per non-empty chunk.
    let o = ok_json(&app, "/api/occupancy").await;
    let got: HashMap<[u64; 3], u64> = o["chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let i = e[0].as_array().unwrap();
            ([i[0].as_u64().unwrap(), i[1].as_u64().unwrap(), i[2].as_u64().unwrap()], e[1].as_u64().unwrap())
        })
        .collect();
    assert_eq!(got, per_chunk);

    // Overview: the non-empty cells of the finest level of at most `side` cells a side.
    for (side, k) in [(None, 2u32), (Some(50), 3), (Some(7), 6)] {
        let uri = side.map_or("/api/overview".to_string(), |s| format!("/api/overview?side={s}"));
        let o = ok_json(&app, &uri).await;
        assert_eq!(o["level"].as_u64().unwrap(), u64::from(k), "{uri}");
        let mut want: HashMap<[u64; 3], u64> = HashMap::new();
        for st in &stars {
            *want.entry(g.cell(st.pos).unwrap().map(|i| i >> k)).or_default() += 1;
        }
        let cells = o["cells"].as_array().unwrap();
        assert_eq!(cells.len(), want.len(), "{uri}");
        assert_eq!(cells.iter().map(|c| c[1].as_u64().unwrap()).sum::<u64>(), stars.len() as u64);
    }

    // The page and its assets.
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    for name in ["serve.js", "plotly.min.js"] {
        assert_eq!(get(&app, &format!("/assets/{name}")).await.status, StatusCode::OK, "{name}");
    }
}

#[tokio::test]
async fn bad_parameters_get_one_line_json_errors() {
    let tmp = temp_dir!("milkyway-serve-bad");
    let out = build(tmp.path());
    let app = app(&out);
    let cases: &[(&str, u16, &str)] = &[
        ("/api/projection?axis=w&size=10", 400, "axis"),
        ("/api/projection?size=10", 400, "axis"),
        ("/api/projection?axis=x", 400, "size"),
        ("/api/projection?axis=x&size=0", 400, "size"),
        ("/api/projection?axis=x&size=abc", 400, "size"),
        ("/api/projection?axis=x&size=-5", 400, "size"),
        ("/api/projection?axis=x&size=4096", 413, "size"),
        ("/api/projection?axis=x&size=99999999999999999999999", 400, "size"),
        ("/api/projection?axis=x&size=10&slab=5:1", 400, "slab"),
        ("/api/projection?axis=x&size=10&slab=1", 400, "slab"),
        ("/api/projection?axis=x&size=10&slab=a:b", 400, "slab"),
        ("/api/projection?axis=x&size=10&slab=nan:1", 400, "slab"),
        ("/api/projection?axis=x&size=10&slab=-inf:inf", 400, "slab"),
        ("/api/projection?axis=x&size=10&window=0:1", 400, "window"),
        ("/api/projection?axis=x&size=10&window=1:0,0:1", 400, "window"),
        ("/api/projection?axis=x&size=10&window=0:1,0:x", 400, "window"),
        ("/api/projection?axis=x&size=10&format=gif", 400, "format"),
        ("/api/projection?axis=x&size=10&cmap=jet", 400, "cmap"),
        ("/api/projection?axis=x&size=10&zoom=2", 400, "zoom"),
        ("/api/projection?axis=x&axis=y&size=10", 400, "axis"),
        ("/api/stars", 400, "sphere"),
        ("/api/stars?sphere=0,0,0,1&box=0:1,0:1,0:1", 400, "exactly one"),
        ("/api/stars?sphere=1,2,3", 400, "sphere"),
        ("/api/stars?sphere=1,2,3,-1", 400, "sphere"),
        ("/api/stars?sphere=1,2,3,x", 400, "sphere"),
        ("/api/stars?sphere=1e400,0,0,1", 400, "sphere"),
        ("/api/stars?box=1:0,0:1,0:1", 400, "box"),
        ("/api/stars?box=0:1,0:1", 400, "box"),
        ("/api/stars?box=a", 400, "box"),
        ("/api/stars?sphere=0,0,0,1&limit=abc", 400, "limit"),
        ("/api/stars?sphere=0,0,0,1&limit=-1", 400, "limit"),
        ("/api/stars?sphere=0,0,0,1&limit=200000", 413, "limit"),
        ("/api/cell", 400, "at"),
        ("/api/cell?at=1,2", 400, "cell"),
        ("/api/cell?at=inf,0,0", 400, "cell"),
        ("/api/star", 400, "source_id"),
        ("/api/star?source_id=abc", 400, "source_id"),
        ("/api/star?source_id=1", 404, "source_id"),
        ("/api/overview?side=0", 400, "side"),
        ("/api/overview?side=x", 400, "side"),
        ("/api/overview?side=1000", 413, "side"),
        ("/api/occupancy?x=1", 400, "x"),
        ("/api/summary/../../Cargo.toml", 404, "no such path"),
        ("/assets/..%2F..%2FCargo.toml", 404, "asset"),
        ("/assets/serve.rs", 404, "asset"),
        ("/etc/passwd", 404, "no such path"),
    ];
    for &(uri, status, needle) in cases {
        let a = get(&app, uri).await;
        assert_eq!(a.status.as_u16(), status, "{uri}: {}", String::from_utf8_lossy(&a.body));
        let text = String::from_utf8(a.body.clone()).unwrap();
        assert!(!text.trim_end().contains('\n'), "{uri}: {text}");
        let msg = a.json()["error"].as_str().unwrap().to_string();
        assert!(msg.contains(needle), "{uri}: {msg}");
    }
    // One bad request does not affect the next.
    assert!(ok_json(&app, "/api/summary").await["stars"].as_u64().unwrap() > 0);
}

/// One GET over a fresh loopback connection: (status, body).
fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("a header");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, buf[split + 4..].to_vec())
}

#[test]
fn fifty_clients_on_loopback() {
    const CLIENTS: usize = 50;
    const PER_CLIENT: usize = 6;
    let tmp = temp_dir!("milkyway-serve-load");
    let out = build(tmp.path());
    let stars = common::table_stars(&out);
    let sphere_count = stars.iter().filter(|s| in_sphere(s.pos, [0.0; 3], 1000.0)).count() as u64;
    let box_lo = [-2000.0, -2000.0, -300.0];
    let box_hi = [2000.0, 2000.0, 300.0];
    let box_count = stars.iter().filter(|s| in_box(s.pos, box_lo, box_hi)).count() as u64;
    let n = stars.len() as u64;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rt.spawn(async move { axum::serve(listener, app(&out)).await });

    let started = std::time::Instant::now();
    let handles: Vec<_> = (0..CLIENTS)
        .map(|c| {
            std::thread::spawn(move || {
                for r in 0..PER_CLIENT {
                    let axis = ["x", "y", "z"][(c + r) % 3];
                    match (c + r) % 4 {
                        0 => {
                            let (st, body) =
                                http_get(addr, &format!("/api/projection?axis={axis}&size=256&format=json"));
                            assert_eq!(st, 200);
                            let v: Value = serde_json::from_slice(&body).unwrap();
                            assert_eq!(v["total"].as_u64().unwrap(), n);
                        }
                        1 => {
                            let (st, body) =
                                http_get(addr, &format!("/api/projection?axis={axis}&size=512&slab=-500:500"));
                            assert_eq!(st, 200);
                            assert_eq!(&body[1..4], b"PNG");
                        }
                        2 => {
                            let (st, body) = http_get(addr, "/api/stars?sphere=0,0,0,1000&limit=100");
                            assert_eq!(st, 200);
                            let v: Value = serde_json::from_slice(&body).unwrap();
                            assert_eq!(v["count"].as_u64().unwrap(), sphere_count);
                        }
                        _ => {
                            let uri = format!(
                                "/api/stars?box={}:{},{}:{},{}:{}&limit=500",
                                box_lo[0], box_hi[0], box_lo[1], box_hi[1], box_lo[2], box_hi[2]
                            );
                            let (st, body) = http_get(addr, &uri);
                            assert_eq!(st, 200);
                            let v: Value = serde_json::from_slice(&body).unwrap();
                            assert_eq!(v["count"].as_u64().unwrap(), box_count);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a client thread");
    }
    // Bounded: 300 requests, every socket read times out after 60 s.
    eprintln!("{} requests from {CLIENTS} clients in {:?}", CLIENTS * PER_CLIENT, started.elapsed());
    server.abort();
}
