//! `blosc2rs._blosc2rs._milkyway`: the Milky Way explorer's library (`apps/milkyway`) for
//! `blosc2rs.milkyway`. Each function converts its arguments, calls the library with the GIL
//! released and returns plain values: summaries and statistics as the JSON the `milkyway`
//! command prints, query results as NumPy columns (the Python module builds the structured
//! array).

use std::path::PathBuf;

use milkyway::explore::{self, Galaxy, Region};
use milkyway::geom::{Grid, K_EXACT, K_TALK};
use milkyway::ingest::{self as lib_ingest, IngestOptions};
use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::{blosc2_error, io_error_type};

/// An explorer error as an exception: `Blosc2IOError` (an `OSError`) when an I/O error (of
/// the system or of the format crates) is behind it, `Blosc2Error` otherwise; the message is the whole chain, as `milkyway` prints
/// it.
fn to_py(e: &anyhow::Error) -> PyErr {
    let message = format!("{e:#}");
    let io = e.chain().any(|c| {
        c.is::<std::io::Error>()
            || matches!(c.downcast_ref(), Some(blosc2_core::Error::Io { .. }))
            || matches!(c.downcast_ref(), Some(blosc2_nd::Error::Core(blosc2_core::Error::Io { .. })))
    });
    if io {
        Python::attach(|py| match io_error_type(py) {
            Ok(t) => PyErr::from_type(t.clone(), (message,)),
            Err(failed) => failed,
        })
    } else {
        blosc2_error(message)
    }
}

trait Explorer<T> {
    fn mw(self) -> PyResult<T>;
}

impl<T> Explorer<T> for anyhow::Result<T> {
    fn mw(self) -> PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}

fn shard_arg(shard: Option<(usize, usize)>) -> PyResult<Option<(usize, usize)>> {
    match shard {
        Some((i, n)) if n == 0 || i >= n => Err(blosc2_error(format!("shard ({i}, {n}): need 0 <= i < n"))),
        s => Ok(s),
    }
}

/// The input files of `milkyway ingest FILES_OR_DIRS... [--shard I/N]`: directories
/// expanded, sorted by name, restricted to shard `(i, n)` when given.
#[pyfunction]
#[pyo3(signature = (files, shard=None))]
pub fn list_inputs(py: Python<'_>, files: Vec<PathBuf>, shard: Option<(usize, usize)>) -> PyResult<Vec<PathBuf>> {
    let shard = shard_arg(shard)?;
    py.detach(|| lib_ingest::list_inputs(&files, shard)).mw()
}

/// `milkyway ingest`; returns `summary.json`'s text.
#[pyfunction]
#[pyo3(signature = (
    files, out, *, radius_ly=10_000.0, cell_ly=1.0, chunk=250, block=25, k=None, talk_k=false,
    max_bad_rows=0, jobs=None, shard=None, force=false, sync=false
))]
#[allow(clippy::too_many_arguments)]
pub fn ingest(
    py: Python<'_>,
    files: Vec<PathBuf>,
    out: PathBuf,
    radius_ly: f64,
    cell_ly: f64,
    chunk: u64,
    block: u64,
    k: Option<f64>,
    talk_k: bool,
    max_bad_rows: u64,
    jobs: Option<usize>,
    shard: Option<(usize, usize)>,
    force: bool,
    sync: bool,
) -> PyResult<String> {
    if talk_k && k.is_some() {
        return Err(blosc2_error("give k or talk_k, not both"));
    }
    let shard = shard_arg(shard)?;
    let grid = Grid::new(radius_ly, cell_ly, chunk, block).mw()?;
    let mut opts = IngestOptions::new(grid);
    opts.sel.k = if talk_k { K_TALK } else { k.unwrap_or(K_EXACT) };
    opts.max_bad_rows = max_bad_rows;
    if let Some(j) = jobs {
        opts.jobs = j.max(1);
    }
    opts.shard = shard;
    opts.force = force;
    opts.sync = sync;
    py.detach(|| {
        let files = lib_ingest::list_inputs(&files, opts.shard)?;
        anyhow::ensure!(!files.is_empty(), "no input files");
        let s = lib_ingest::ingest(&files, &out, &opts)?;
        Ok(serde_json::to_string(&s)?)
    })
    .mw()
}

/// `milkyway merge PARTS... -o OUT`; returns `summary.json`'s text.
#[pyfunction]
#[pyo3(signature = (parts, out, *, force=false))]
pub fn merge(py: Python<'_>, parts: Vec<PathBuf>, out: PathBuf, force: bool) -> PyResult<String> {
    py.detach(|| {
        let s = lib_ingest::merge(&parts, &out, force)?;
        Ok(serde_json::to_string(&s)?)
    })
    .mw()
}

/// `milkyway stats GALAXY --json [--bin-ly B]`: the JSON text.
#[pyfunction]
#[pyo3(signature = (galaxy, bin_ly=1000.0))]
pub fn stats(py: Python<'_>, galaxy: PathBuf, bin_ly: f64) -> PyResult<String> {
    // Written so that NaN is refused too, as the command's `ensure!(bin_ly > 0.0)`.
    if bin_ly.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(blosc2_error("bin_ly must be positive"));
    }
    py.detach(|| {
        let g = Galaxy::open(&galaxy)?;
        Ok(serde_json::to_string(&explore::stats(&g, bin_ly)?)?)
    })
    .mw()
}

type Box3 = ((f64, f64), (f64, f64), (f64, f64));

/// `milkyway query GALAXY --sphere x,y,z,r | --box x0:x1,y0:y1,z0:z1`: every star of the
/// region as five NumPy columns `(source_id, x, y, z, mag)` in table order.
#[pyfunction]
#[pyo3(signature = (galaxy, sphere=None, r#box=None))]
pub fn query<'py>(
    py: Python<'py>,
    galaxy: PathBuf,
    sphere: Option<(f64, f64, f64, f64)>,
    r#box: Option<Box3>,
) -> PyResult<Bound<'py, PyTuple>> {
    let region = match (sphere, r#box) {
        (Some((x, y, z, r)), None) => Region::sphere([x, y, z], r).mw()?,
        (None, Some(((x0, x1), (y0, y1), (z0, z1)))) => Region::cuboid([x0, y0, z0], [x1, y1, z1]).mw()?,
        _ => return Err(blosc2_error("give exactly one of sphere=(x, y, z, r) or box=((x0, x1), (y0, y1), (z0, z1))")),
    };
    let (ids, xs, ys, zs, mags) = py
        .detach(|| {
            let g = Galaxy::open(&galaxy)?;
            let mut cols = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            explore::for_each_star_in(&g, &region, |s| {
                cols.0.push(s.source_id);
                cols.1.push(s.pos[0]);
                cols.2.push(s.pos[1]);
                cols.3.push(s.pos[2]);
                cols.4.push(s.mag);
                Ok(())
            })?;
            Ok(cols)
        })
        .mw()?;
    PyTuple::new(
        py,
        [
            PyArray1::from_vec(py, ids).into_any(),
            PyArray1::from_vec(py, xs).into_any(),
            PyArray1::from_vec(py, ys).into_any(),
            PyArray1::from_vec(py, zs).into_any(),
            PyArray1::from_vec(py, mags).into_any(),
        ],
    )
}

/// `milkyway synth -o DIR --stars N [--seed S] [--files K]`: a synthetic Gaia-like
/// catalogue; returns the files written.
#[pyfunction]
#[pyo3(signature = (out, stars, *, seed=1, files=None))]
pub fn synth(py: Python<'_>, out: PathBuf, stars: u64, seed: u64, files: Option<u64>) -> PyResult<Vec<PathBuf>> {
    if stars == 0 {
        return Err(blosc2_error("stars must be positive"));
    }
    py.detach(|| milkyway::synth::synth(&out, stars, seed, files, &milkyway::synth::Model::default()))
        .map(|r| r.files)
        .mw()
}

/// The submodule `_milkyway`.
pub fn module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    let m = PyModule::new(py, "_milkyway")?;
    m.add_function(wrap_pyfunction!(list_inputs, &m)?)?;
    m.add_function(wrap_pyfunction!(ingest, &m)?)?;
    m.add_function(wrap_pyfunction!(merge, &m)?)?;
    m.add_function(wrap_pyfunction!(stats, &m)?)?;
    m.add_function(wrap_pyfunction!(query, &m)?)?;
    m.add_function(wrap_pyfunction!(synth, &m)?)?;
    m.add("K_EXACT", K_EXACT)?;
    m.add("K_TALK", K_TALK)?;
    Ok(m)
}
