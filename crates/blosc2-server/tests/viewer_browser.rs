//! The viewer page in headless Chromium through Playwright (`tests/browser/view.test.js`):
//! pick an array, move a slider, zoom; the drawn image changes and the URL keeps the view.
//! Needs `node`, `npm ci` run in `tests/browser` (`.ci/run` does it) and Chromium
//! (`CHROMIUM` may name the binary). Screenshots go to `target/tmp/viewer-screenshots`.

use std::path::Path;

use blosc2_server::{layered, viewer, Limits};
use blosc2_testkit::python::run_python;
use blosc2_testkit::{browser, python_script, temp_dir};

#[test]
fn page_in_headless_chromium() {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    browser::node_modules();
    let tmp = temp_dir!("viewer-browser");
    run_python(python_script!("viewer_arrays.py"), &[tmp.path().as_os_str()]);
    let catalog = viewer::Catalog::find(&[tmp.join("arrays")]);
    let limits = Limits::default();
    let app = layered(viewer::router(catalog, limits.clone()), &limits);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    rt.spawn(async move { axum::serve(listener, app).await });
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("viewer-screenshots");
    let url = format!("http://127.0.0.1:{port}");
    browser::run_page_test(
        &browser_dir.join("view.test.js"),
        &url,
        &out,
        &["01-first-array.png", "03-slider-zoom.png", "05-line.png"],
    );
}
