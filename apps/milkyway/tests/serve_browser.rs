//! The page of `milkyway serve` in headless Chromium through Playwright
//! (`tests/browser/serve.test.js`): overview, slab slider, a dragged region, a star search,
//! the URL state and a reload. Needs `node`, Chromium (`CHROMIUM` may name the binary) and
//! playwright-core from `npm ci --prefix crates/blosc2-server/tests/browser` (`scripts/test.sh`
//! runs it). Screenshots go to `target/tmp/serve-screenshots`.

use std::path::Path;
use std::sync::Arc;

use blosc2_testkit::{browser, temp_dir};
use milkyway::explore::Galaxy;
use milkyway::geom::Grid;
use milkyway::ingest::{ingest, list_inputs, IngestOptions};
use milkyway::serve::{limits, router};
use milkyway::synth::{synth, Model};

#[test]
fn page_in_headless_chromium() {
    browser::node_modules();
    let tmp = temp_dir!("milkyway-serve-browser");
    let cat = tmp.join("cat");
    synth(&cat, 40_000, 7, Some(3), &Model::default()).unwrap();
    let files = list_inputs(std::slice::from_ref(&cat), None).unwrap();
    let out = tmp.join("galaxy");
    ingest(&files, &out, &IngestOptions::new(Grid::new(10_000.0, 50.0, 50, 10).unwrap())).unwrap();

    let app = blosc2_server::layered(router(Arc::new(Galaxy::open(&out).unwrap())), &limits());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app).await });
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve-screenshots");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/serve.test.js");
    let shots_expected = ["01-open.png", "02-slab.png", "03-region.png", "04-star.png", "05-reloaded.png"];
    let stdout = browser::run_page_test(&script, &format!("http://127.0.0.1:{port}"), &shots, &shots_expected);
    eprintln!("{stdout}");
}
