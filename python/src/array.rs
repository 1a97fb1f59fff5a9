//! `NDArray`: a b2nd array (a `.b2nd` file, a sparse-frame directory, a memory-mapped file
//! or memory) read and written with NumPy's basic indexing, and the functions that open or
//! create one.
//!
//! Reads decode only the blocks the selection touches (blosc2-nd's box reads) with the GIL
//! released; one array object serves any number of Python threads at once.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

use blosc2_core::chunk::SpecialKind;
use blosc2_nd::{NdArray, NdChunkInfo, Options, Region, SliceItem};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyEllipsis, PyList, PySlice, PyTuple};

use crate::convert::{
    as_contiguous, byte_view, dtype_of, empty_bytes, np, numpy_dtype, opt_shape, read_bytes, shape_arg, shape_tuple,
    shaped,
};
use crate::errors::Lib;
use crate::handle::{open_in_mode, ratio, read_only, Handle, Location};
use crate::index::{self, Plan};
use crate::params;

/// Reads of more bytes than this go into memory NumPy allocates, left unset until the read
/// writes it (a `MemoryError` when it is not there); smaller ones into a zeroed buffer the
/// library allocates and NumPy adopts (cheaper for a few elements, where the call into
/// NumPy would cost more than zeroing).
static ALLOC_THRESHOLD: AtomicU64 = AtomicU64::new(1 << 20);

/// Sets the size above which reads go into NumPy-allocated memory (for tests).
#[pyfunction]
pub fn _set_alloc_threshold(bytes: u64) {
    ALLOC_THRESHOLD.store(bytes, Ordering::Relaxed);
}

/// Reads in flight in this process, over every array.
static READS: AtomicUsize = AtomicUsize::new(0);

/// One read in flight, counted in [`READS`] while it lives.
struct InFlight;

impl InFlight {
    /// Counts a read; gives the number in flight with it.
    fn start() -> (InFlight, usize) {
        (InFlight, READS.fetch_add(1, Ordering::Relaxed) + 1)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        READS.fetch_sub(1, Ordering::Relaxed);
    }
}

fn nbytes(shape: &[u64], itemsize: usize) -> PyResult<u64> {
    shape
        .iter()
        .try_fold(itemsize as u64, |acc, &s| acc.checked_mul(s))
        .ok_or_else(|| PyMemoryError::new_err(format!("an array of shape {shape:?} does not fit in memory")))
}

fn special_name(k: SpecialKind) -> &'static str {
    match k {
        SpecialKind::Zeros => "zeros",
        SpecialKind::Nan => "nan",
        SpecialKind::Value => "value",
        SpecialKind::Uninit => "uninit",
    }
}

/// A `slice(None, None, step)`.
fn step_slice<'py>(py: Python<'py>, step: i64) -> PyResult<Bound<'py, PyAny>> {
    py.get_type::<PySlice>().call1((py.None(), py.None(), step))
}

/// Writes the elements of `src` (C order, shape `count`) into every `step`-th element of
/// `dst` (C order, shape `dst_shape`), starting at its first.
fn scatter_steps(dst: &mut [u8], dst_shape: &[u64], step: &[u64], src: &[u8], count: &[u64], ts: usize) {
    let n = count.len();
    if n == 0 {
        dst[..ts].copy_from_slice(&src[..ts]);
        return;
    }
    if count.contains(&0) {
        return;
    }
    let mut strides = vec![1u64; n];
    for d in (0..n - 1).rev() {
        strides[d] = strides[d + 1] * dst_shape[d + 1];
    }
    let inner = count[n - 1] as usize;
    let hop = step[n - 1] as usize * ts;
    let mut idx = vec![0u64; n - 1];
    let mut s = 0;
    loop {
        let base: u64 = (0..n - 1).map(|d| idx[d] * step[d] * strides[d]).sum();
        let mut o = base as usize * ts;
        for _ in 0..inner {
            dst[o..o + ts].copy_from_slice(&src[s..s + ts]);
            s += ts;
            o += hop;
        }
        let mut d = n - 1;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            idx[d] += 1;
            if idx[d] < count[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Metadata of one chunk of an array, read without decompressing it.
#[pyclass(frozen, name = "ChunkInfo", module = "blosc2rs")]
pub struct ChunkInfo {
    info: NdChunkInfo,
}

#[pymethods]
impl ChunkInfo {
    /// Chunk index in the super-chunk (python-blosc2's name).
    #[getter]
    fn nchunk(&self) -> u64 {
        self.info.index
    }

    /// Chunk index in the super-chunk (same as `nchunk`).
    #[getter]
    fn index(&self) -> u64 {
        self.info.index
    }

    /// Coordinates in the chunk grid.
    #[getter]
    fn coords<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        shape_tuple(py, &self.info.coords)
    }

    /// Compressed size in bytes.
    #[getter]
    fn cbytes(&self) -> usize {
        self.info.cbytes
    }

    /// Uncompressed size in bytes (padding included).
    #[getter]
    fn nbytes(&self) -> usize {
        self.info.nbytes
    }

    /// `nbytes / cbytes`.
    #[getter]
    fn cratio(&self) -> f64 {
        self.info.ratio()
    }

    /// `None`, or the special kind of a chunk stored without data: `"zeros"`, `"nan"`,
    /// `"value"` (one repeated value) or `"uninit"`.
    #[getter]
    fn special(&self) -> Option<&'static str> {
        self.info.special.map(special_name)
    }

    /// The bytes of the repeated value of a `"value"` chunk.
    #[getter]
    fn repeated_value<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.info.value.as_ref().map(|v| PyBytes::new(py, v))
    }

    fn __repr__(&self) -> String {
        format!(
            "ChunkInfo(nchunk={}, coords=({}), cbytes={}, nbytes={}, special={})",
            self.info.index,
            self.info.coords.iter().map(|c| format!("{c},")).collect::<String>(),
            self.info.cbytes,
            self.info.nbytes,
            self.info.special.map_or("None".to_string(), |k| format!("'{}'", special_name(k)))
        )
    }
}

/// A compressed n-dimensional array (b2nd), indexed like a NumPy array.
///
/// Made by `open`, `asarray`, `zeros`, `empty`, `full` and `ndarray_from_cframe`. Reads
/// (`a[...]`, `numpy.asarray(a)`) decode only the blocks they touch, with the GIL
/// released, and may run from any number of threads at once. Arrays opened with mode
/// `"a"` or created by this package can be written (`a[...] = v`, `resize`).
#[pyclass(frozen, name = "NDArray", module = "blosc2rs")]
pub struct PyNdArray {
    handle: Handle<NdArray>,
    dtype: Py<PyAny>,
    location: Location,
    /// The most threads one read uses; 0: the cores, shared among the reads in flight.
    nthreads: AtomicUsize,
}

impl PyNdArray {
    fn wrap(py: Python<'_>, a: NdArray, writable: bool, urlpath: Option<PathBuf>, mapped: bool) -> PyResult<PyNdArray> {
        let dtype = numpy_dtype(py, a.dtype())?.unbind();
        let nthreads = AtomicUsize::new(0);
        Ok(PyNdArray { handle: Handle::new(a, writable), dtype, location: Location { urlpath, mapped }, nthreads })
    }

    /// Runs read `f` with the GIL released, giving it the number of threads it may use:
    /// `nthreads` when set, else the cores divided among the reads in flight (reads from
    /// several Python threads at once, as Dask's, each decode on their own thread rather
    /// than all queueing for the same pool).
    fn read<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&NdArray, usize) -> R + Send) -> R {
        let set = self.nthreads.load(Ordering::Relaxed);
        self.handle.read(py, |a| {
            let (_flight, n) = InFlight::start();
            let threads = if set > 0 { set } else { (cores() / n).max(1) };
            f(a, threads)
        })
    }

    fn shape_vec(&self, py: Python<'_>) -> Vec<u64> {
        self.handle.peek(py, |a| a.shape().to_vec())
    }

    fn itemsize(&self, py: Python<'_>) -> usize {
        self.handle.peek(py, |a| a.dtype().itemsize())
    }

    /// The box `start..stop` (of `n` bytes) as a 1-d `uint8` array.
    fn read_box_bytes<'py>(
        &self,
        py: Python<'py>,
        start: &[u64],
        stop: &[u64],
        n: u64,
    ) -> PyResult<Bound<'py, PyArray1<u8>>> {
        if n <= ALLOC_THRESHOLD.load(Ordering::Relaxed) {
            let v = self.read(py, |a, t| a.read_box_threads(&Region::from_start_stop(start, stop)?, t)).lib()?;
            return Ok(PyArray1::from_vec(py, v));
        }
        let n = usize::try_from(n).map_err(|_| PyMemoryError::new_err(format!("{n} bytes do not fit in memory")))?;
        let out = empty_bytes(py, n)?;
        {
            let mut rw = out.try_readwrite().map_err(|e| PyValueError::new_err(e.to_string()))?;
            let buf = rw.as_slice_mut().map_err(|e| PyValueError::new_err(e.to_string()))?;
            self.read(py, |a, t| a.read_box_into_threads(&Region::from_start_stop(start, stop)?, buf, t)).lib()?;
        }
        Ok(out)
    }

    /// The elements a plan selects, as NumPy returns them.
    fn read_plan<'py>(&self, py: Python<'py>, plan: &Plan) -> PyResult<Bound<'py, PyAny>> {
        let ts = self.itemsize(py);
        let dtype = self.dtype.bind(py);
        // Integer indices and `None` only change the shape: the elements read (in C order,
        // `plan.count` per dimension) are given the result's shape directly.
        let shape = &plan.out_shape;
        let mut out = if plan.is_empty() {
            shaped(py, PyArray1::from_vec(py, Vec::new()), dtype, shape)?
        } else if !plan.stepped() {
            let n = nbytes(&plan.box_shape(), ts)?;
            shaped(py, self.read_box_bytes(py, &plan.start, &plan.stop, n)?, dtype, shape)?
        } else {
            let bbox = plan.box_shape();
            let n = nbytes(&bbox, ts)?;
            if n <= ALLOC_THRESHOLD.load(Ordering::Relaxed) {
                let items: Vec<SliceItem> = (0..plan.start.len())
                    .map(|d| SliceItem::Range {
                        start: Some(plan.start[d] as i64),
                        stop: Some(plan.stop[d] as i64),
                        step: plan.step[d] as i64,
                    })
                    .collect();
                let (v, _) = self.read(py, |a, t| a.read_selection_threads(&items, t)).lib()?;
                shaped(py, PyArray1::from_vec(py, v), dtype, shape)?
            } else {
                let full = shaped(py, self.read_box_bytes(py, &plan.start, &plan.stop, n)?, dtype, &bbox)?;
                let key = PyTuple::new(
                    py,
                    plan.step.iter().map(|&s| step_slice(py, s as i64)).collect::<PyResult<Vec<_>>>()?,
                )?;
                let picked = np(py)?.call_method1(intern!(py, "ascontiguousarray"), (full.get_item(key)?,))?;
                picked.call_method1(intern!(py, "reshape"), (shape_tuple(py, shape)?,))?
            }
        };
        if !plan.flip.is_empty() {
            let key = (0..plan.out_shape.len())
                .map(|ax| step_slice(py, if plan.flip.contains(&ax) { -1 } else { 1 }))
                .collect::<PyResult<Vec<_>>>()?;
            out = out.get_item(PyTuple::new(py, key)?)?;
        }
        if plan.scalar {
            out = out.get_item(PyTuple::empty(py))?;
        }
        Ok(out)
    }

    fn read_all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let plan = index::plan(py, &PyEllipsis::get(py), &self.shape_vec(py))?;
        self.read_plan(py, &plan)
    }
}

#[pymethods]
impl PyNdArray {
    /// The shape.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        shape_tuple(py, &self.shape_vec(py))
    }

    /// The NumPy dtype.
    #[getter]
    fn dtype(&self, py: Python<'_>) -> Py<PyAny> {
        self.dtype.clone_ref(py)
    }

    /// Number of dimensions.
    #[getter]
    fn ndim(&self, py: Python<'_>) -> usize {
        self.handle.peek(py, |a| a.ndim())
    }

    /// The chunk shape.
    #[getter]
    fn chunks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        shape_tuple(py, &self.handle.peek(py, |a| a.chunks().to_vec()))
    }

    /// The block shape.
    #[getter]
    fn blocks<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        shape_tuple(py, &self.handle.peek(py, |a| a.blocks().to_vec()))
    }

    /// Number of elements.
    #[getter]
    fn size(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |a| a.len())
    }

    /// Bytes per element.
    #[getter(itemsize)]
    fn itemsize_getter(&self, py: Python<'_>) -> usize {
        self.itemsize(py)
    }

    /// Uncompressed size in bytes (`size * itemsize`).
    #[getter]
    fn nbytes(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |a| a.len() * a.dtype().itemsize() as u64)
    }

    /// Compressed size in bytes (the chunks).
    #[getter]
    fn cbytes(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |a| a.schunk().cbytes())
    }

    /// `nbytes / cbytes`.
    #[getter]
    fn cratio(&self, py: Python<'_>) -> f64 {
        let (n, c) = self.handle.peek(py, |a| (a.len() * a.dtype().itemsize() as u64, a.schunk().cbytes()));
        ratio(n, c)
    }

    /// Number of chunks.
    #[getter]
    fn nchunks(&self, py: Python<'_>) -> u64 {
        self.handle.peek(py, |a| a.nchunks())
    }

    /// The file or directory the array lives in, `None` in memory.
    #[getter]
    fn urlpath(&self) -> Option<String> {
        self.location.urlpath()
    }

    /// `"r"` (read-only) or `"a"` (writable).
    #[getter]
    fn mode(&self) -> &'static str {
        self.handle.mode()
    }

    /// Whether the file is read through a memory map.
    #[getter]
    fn mmap(&self) -> bool {
        self.location.mapped
    }

    /// The most threads one read decodes with (`None`: every core, shared among the reads
    /// running at once). 1 reads on the calling thread only, for programs that read from
    /// many threads themselves.
    #[getter]
    fn get_nthreads(&self) -> Option<usize> {
        Some(self.nthreads.load(Ordering::Relaxed)).filter(|&n| n > 0)
    }

    #[setter]
    fn set_nthreads(&self, n: Option<usize>) -> PyResult<()> {
        if n == Some(0) {
            return Err(PyValueError::new_err("nthreads must be at least 1 (or None)"));
        }
        self.nthreads.store(n.unwrap_or(0), Ordering::Relaxed);
        Ok(())
    }

    /// The compression parameters new chunks are written with (python-blosc2's keys).
    #[getter]
    fn cparams<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = self.handle.peek(py, |a| a.schunk().cparams().clone());
        Ok(params::to_dict(py, &p)?.into_any())
    }

    /// NumPy basic indexing: integers, slices with any step, `...`, `None`. Returns a new
    /// NumPy array (a NumPy scalar when every dimension is indexed by an integer).
    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let plan = index::plan(py, key, &self.shape_vec(py))?;
        self.read_plan(py, &plan)
    }

    /// Writes `value` (broadcast and cast to the dtype as NumPy does) into the selection;
    /// only the chunks it touches are recompressed.
    fn __setitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if !self.handle.writable() {
            return Err(read_only());
        }
        let plan = index::plan(py, key, &self.shape_vec(py))?;
        let np = np(py)?;
        let dtype = self.dtype.bind(py);
        let mut vals = np.call_method1(intern!(py, "asarray"), (value, dtype))?;
        // As NumPy, a value may have more leading dimensions of length 1 than the target.
        loop {
            let shape: Vec<u64> = vals.getattr(intern!(py, "shape"))?.extract()?;
            if shape.len() <= plan.out_shape.len() || shape[0] != 1 {
                break;
            }
            vals = vals.get_item(0)?;
        }
        let mut vals = np.call_method1(intern!(py, "broadcast_to"), (vals, shape_tuple(py, &plan.out_shape)?))?;
        if !plan.flip.is_empty() {
            let key = (0..plan.out_shape.len())
                .map(|ax| step_slice(py, if plan.flip.contains(&ax) { -1 } else { 1 }))
                .collect::<PyResult<Vec<_>>>()?;
            vals = vals.get_item(PyTuple::new(py, key)?)?;
        }
        if plan.is_empty() {
            return Ok(());
        }
        let vals =
            as_contiguous(py, &vals.call_method1(intern!(py, "reshape"), (shape_tuple(py, &plan.count)?,))?, None)?;
        let bytes = byte_view(py, &vals)?;
        let ro = read_bytes(&bytes)?;
        let src = ro.as_slice().map_err(|e| PyValueError::new_err(e.to_string()))?;
        let ts = self.itemsize(py);
        if !plan.stepped() {
            return self
                .handle
                .write(py, |a| a.write_box(&Region::from_start_shape(&plan.start, &plan.count)?, src))?
                .lib();
        }
        // Steps: the box holding the selection is read, changed and written back, all under
        // the write lock.
        let bbox = plan.box_shape();
        nbytes(&bbox, ts)?;
        self.handle
            .write(py, |a| {
                let region = Region::from_start_stop(&plan.start, &plan.stop)?;
                let mut buf = a.read_box(&region)?;
                scatter_steps(&mut buf, &bbox, &plan.step, src, &plan.count, ts);
                a.write_box(&region, &buf)
            })?
            .lib()
    }

    /// Changes the shape (same number of dimensions); new elements read as zeros.
    fn resize(&self, py: Python<'_>, newshape: &Bound<'_, PyAny>) -> PyResult<()> {
        let shape = shape_arg(newshape)?;
        self.handle.write(py, |a| a.resize(&shape))?.lib()
    }

    /// Metadata of every chunk (index, grid coordinates, sizes, special kind), read
    /// without decompressing anything.
    fn iterchunks_info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let infos = self.handle.read(py, |a| a.chunk_infos().collect::<blosc2_nd::Result<Vec<_>>>()).lib()?;
        PyList::new(py, infos.into_iter().map(|info| ChunkInfo { info }))
    }

    /// The length of the first dimension.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        match self.shape_vec(py).first() {
            Some(&n) => usize::try_from(n).map_err(|_| PyValueError::new_err("length too large")),
            None => Err(PyTypeError::new_err("len() of unsized object")),
        }
    }

    /// The whole array as a NumPy array (`numpy.asarray(a)`).
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        &self,
        py: Python<'py>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if copy == Some(false) {
            return Err(PyValueError::new_err(
                "a compressed array is decoded into a new array: copy=False is impossible",
            ));
        }
        let a = self.read_all(py)?;
        match dtype {
            Some(d) if !d.is_none() => a.call_method1(intern!(py, "astype"), (d,)),
            _ => Ok(a),
        }
    }

    /// The array as a contiguous frame (the bytes of a `.b2nd` file).
    fn to_cframe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let v = self.handle.read(py, |a| a.to_cframe()).lib()?;
        Ok(PyBytes::new(py, &v))
    }

    /// Saves the array to `urlpath`: a `.b2nd` file, or a sparse-frame directory with
    /// `contiguous=False`.
    #[pyo3(signature = (urlpath, contiguous=true))]
    fn save(&self, py: Python<'_>, urlpath: PathBuf, contiguous: bool) -> PyResult<()> {
        self.handle.read(py, |a| if contiguous { a.save(&urlpath) } else { a.save_sparse(&urlpath) }).lib()
    }

    /// Pickling: arrays in a file reopen it read-only (`open(urlpath, "r", mmap)`), arrays
    /// in memory travel as their frame.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        self.location.reduce(py, "open", "ndarray_from_cframe", || self.to_cframe(py))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let (shape, chunks, blocks) =
            self.handle.peek(py, |a| (a.shape().to_vec(), a.chunks().to_vec(), a.blocks().to_vec()));
        let t = |v: &[u64]| match v.len() {
            1 => format!("({},)", v[0]),
            _ => format!("({})", v.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")),
        };
        let place = self.location.repr_part();
        Ok(format!(
            "NDArray(shape={}, dtype={}, chunks={}, blocks={}{place}, mode='{}')",
            t(&shape),
            self.dtype.bind(py).str()?,
            t(&chunks),
            t(&blocks),
            self.mode()
        ))
    }
}

/// Opens a `.b2nd` file or a sparse-frame directory written by blosc2rs, python-blosc2 or
/// C-Blosc2. `mode="r"` reads (lazily: chunks are read as needed), `mode="a"` also
/// writes in place (one writer at a time: the file is locked while the array is open).
/// `mmap=True` reads a file through a memory map (read-only; the file must not be
/// truncated by another program meanwhile). `nthreads` sets the array's `nthreads`.
#[pyfunction]
#[pyo3(signature = (urlpath, mode="r", mmap=false, nthreads=None))]
pub fn open(py: Python<'_>, urlpath: PathBuf, mode: &str, mmap: bool, nthreads: Option<usize>) -> PyResult<PyNdArray> {
    let (a, writable) = open_in_mode::<NdArray>(py, &urlpath, mode, mmap)?;
    let a = PyNdArray::wrap(py, a, writable, Some(urlpath), mmap)?;
    a.set_nthreads(nthreads)?;
    Ok(a)
}

/// The cores reads share.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Creation options from Python arguments, and the thread count asked for.
fn options(
    py: Python<'_>,
    chunks: Option<&Bound<'_, PyAny>>,
    blocks: Option<&Bound<'_, PyAny>>,
    cparams: Option<&Bound<'_, PyAny>>,
    itemsize: usize,
) -> PyResult<(Options, Option<usize>)> {
    let mut o = Options::new();
    o.chunks = opt_shape(chunks)?;
    o.blocks = opt_shape(blocks)?;
    let mut nthreads = None;
    if let Some(mut cp) = params::parse(py, cparams, &[])? {
        cp.finish(itemsize, true);
        if cp.nthreads_given {
            nthreads = Some(cp.params.nthreads);
        }
        o.cparams = Some(cp.params);
    }
    Ok((o, nthreads))
}

/// Runs `f` on a pool of `nthreads` threads when asked, else on the current one.
fn in_pool<R: Send>(nthreads: Option<usize>, f: impl FnOnce() -> R + Send) -> R {
    match nthreads {
        Some(n) => blosc2_core::chunk::thread_pool(n).install(f),
        None => f(),
    }
}

/// Where a new array goes.
enum Place {
    Memory,
    File(PathBuf),
    Sparse(PathBuf),
}

impl Place {
    fn new(urlpath: Option<PathBuf>, contiguous: bool) -> Place {
        match urlpath {
            None => Place::Memory,
            Some(p) if contiguous => Place::File(p),
            Some(p) => Place::Sparse(p),
        }
    }

    fn path(&self) -> Option<PathBuf> {
        match self {
            Place::Memory => None,
            Place::File(p) | Place::Sparse(p) => Some(p.clone()),
        }
    }

    /// An in-memory array moved to its place, writable.
    fn store(&self, a: NdArray) -> blosc2_nd::Result<NdArray> {
        match self {
            Place::Memory => Ok(a),
            Place::File(p) => a.into_file(p),
            Place::Sparse(p) => a.into_sparse(p),
        }
    }
}

/// A compressed copy of a NumPy array (or anything `numpy.asarray` takes), in memory or
/// at `urlpath` (a `.b2nd` file, or a sparse-frame directory with `contiguous=False`).
/// `chunks`/`blocks` default to python-blosc2's choice; `cparams` is a dict like
/// python-blosc2's (`codec`, `clevel`, `filters`, `filters_meta`, `splitmode`,
/// `nthreads`, ...; names or python-blosc2's ints and enums).
#[pyfunction]
#[pyo3(signature = (array, urlpath=None, chunks=None, blocks=None, cparams=None, contiguous=true, dtype=None))]
#[allow(clippy::too_many_arguments)]
pub fn asarray(
    py: Python<'_>,
    array: &Bound<'_, PyAny>,
    urlpath: Option<PathBuf>,
    chunks: Option<&Bound<'_, PyAny>>,
    blocks: Option<&Bound<'_, PyAny>>,
    cparams: Option<&Bound<'_, PyAny>>,
    contiguous: bool,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyNdArray> {
    let a = as_contiguous(py, array, dtype.filter(|d| !d.is_none()))?;
    let dt = dtype_of(py, &a.getattr(intern!(py, "dtype"))?)?;
    let shape: Vec<u64> = a.getattr(intern!(py, "shape"))?.extract()?;
    let (opts, nthreads) = options(py, chunks, blocks, cparams, dt.itemsize())?;
    let bytes = byte_view(py, &a)?;
    let ro = read_bytes(&bytes)?;
    let data = ro.as_slice().map_err(|e| PyValueError::new_err(e.to_string()))?;
    let place = Place::new(urlpath, contiguous);
    let nd = py
        .detach(|| {
            in_pool(nthreads, || match &place {
                Place::File(p) => {
                    // Written straight to the file, then reopened for writing.
                    drop(NdArray::from_bytes_at(p, &shape, &dt, data, &opts)?);
                    NdArray::open_mut(p)
                }
                _ => place.store(NdArray::from_bytes(&shape, &dt, data, &opts)?),
            })
        })
        .lib()?;
    PyNdArray::wrap(py, nd, true, place.path(), false)
}

fn dtype_or_default(py: Python<'_>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<blosc2_nd::DType> {
    match dtype.filter(|d| !d.is_none()) {
        Some(d) => dtype_of(py, d),
        None => dtype_of(py, &np(py)?.getattr(intern!(py, "float64"))?),
    }
}

/// An array of zeros (no data stored: every chunk is a special zero chunk). `empty` is the
/// same (python-blosc2 writes zeros for it too).
#[pyfunction]
#[pyo3(signature = (shape, dtype=None, urlpath=None, chunks=None, blocks=None, cparams=None, contiguous=true))]
#[allow(clippy::too_many_arguments)]
pub fn zeros(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    urlpath: Option<PathBuf>,
    chunks: Option<&Bound<'_, PyAny>>,
    blocks: Option<&Bound<'_, PyAny>>,
    cparams: Option<&Bound<'_, PyAny>>,
    contiguous: bool,
) -> PyResult<PyNdArray> {
    let shape = shape_arg(shape)?;
    let dt = dtype_or_default(py, dtype)?;
    let (opts, nthreads) = options(py, chunks, blocks, cparams, dt.itemsize())?;
    let place = Place::new(urlpath, contiguous);
    let nd = py
        .detach(|| {
            in_pool(nthreads, || match &place {
                Place::File(p) => {
                    // Special zero chunks written as special offsets: a few hundred bytes.
                    drop(NdArray::zeros_at(p, &shape, &dt, &opts)?);
                    NdArray::open_mut(p)
                }
                _ => place.store(NdArray::zeros(&shape, &dt, &opts)?),
            })
        })
        .lib()?;
    PyNdArray::wrap(py, nd, true, place.path(), false)
}

/// An array with every element `fill_value` (one repeated-value chunk per chunk, as
/// python-blosc2 writes it). `dtype` defaults to `numpy.asarray(fill_value).dtype`.
#[pyfunction]
#[pyo3(signature = (shape, fill_value, dtype=None, urlpath=None, chunks=None, blocks=None, cparams=None, contiguous=true))]
#[allow(clippy::too_many_arguments)]
pub fn full(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    urlpath: Option<PathBuf>,
    chunks: Option<&Bound<'_, PyAny>>,
    blocks: Option<&Bound<'_, PyAny>>,
    cparams: Option<&Bound<'_, PyAny>>,
    contiguous: bool,
) -> PyResult<PyNdArray> {
    let shape = shape_arg(shape)?;
    let np = np(py)?;
    let value = match dtype.filter(|d| !d.is_none()) {
        Some(d) => np.call_method1(intern!(py, "asarray"), (fill_value, d))?,
        None => np.call_method1(intern!(py, "asarray"), (fill_value,))?,
    };
    if value.getattr(intern!(py, "ndim"))?.extract::<usize>()? != 0 {
        return Err(PyValueError::new_err("fill_value must be a scalar"));
    }
    let dt = dtype_of(py, &value.getattr(intern!(py, "dtype"))?)?;
    let bytes: Vec<u8> = value.call_method0(intern!(py, "tobytes"))?.extract()?;
    let (opts, nthreads) = options(py, chunks, blocks, cparams, dt.itemsize())?;
    let place = Place::new(urlpath, contiguous);
    let nd = py.detach(|| in_pool(nthreads, || place.store(NdArray::full(&shape, &dt, &bytes, &opts)?))).lib()?;
    PyNdArray::wrap(py, nd, true, place.path(), false)
}

/// An in-memory, writable array from the bytes of a contiguous frame (`to_cframe`, or a
/// `.b2nd` file's content).
#[pyfunction]
pub fn ndarray_from_cframe(py: Python<'_>, cframe: &Bound<'_, PyBytes>) -> PyResult<PyNdArray> {
    let bytes = cframe.as_bytes().to_vec();
    let a = py.detach(|| NdArray::from_cframe(bytes)).lib()?;
    PyNdArray::wrap(py, a, true, None, false)
}
