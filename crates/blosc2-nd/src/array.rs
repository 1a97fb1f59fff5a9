//! [`NdArray`]: a super-chunk with the `b2nd` metalayer (`shared/spec/b2nd.md` 1, 4, 7):
//! constructors, storage (memory, contiguous and sparse frames), accessors and the chunk
//! metadata walk.

use std::path::Path;

use blosc2_core::chunk::{CompressParams, SpecialKind};
use blosc2_core::cpu::CacheSizes;
use blosc2_core::filter::FilterId;
use blosc2_core::schunk::SChunk;
use blosc2_core::tune::Tuner;

use crate::auto::{chunks_blocks, chunks_blocks_for};
use crate::dtype::{check_element, to_bytes, to_values, DType, Element};
use crate::error::{Error, Result};
use crate::geometry::Geometry;
use crate::metalayer::{B2ndMeta, NAME};
use crate::region::Region;
use crate::selection::{Selection, SliceItem};

/// How to build a new array: chunk and block shapes (automatic when `None`), compression
/// parameters (`typesize` and `blocksize` are set from the dtype and block shape) and
/// extra fixed metalayers.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Chunk shape; `None` chooses it as python-blosc2 does.
    pub chunks: Option<Vec<u64>>,
    /// Block shape; `None` chooses it as python-blosc2 does.
    pub blocks: Option<Vec<u64>>,
    /// Compression parameters; `None` gives python-blosc2's defaults (zstd clevel 5 with
    /// shuffle, whose meta is 4 for unicode dtypes as python-blosc2 sets it).
    pub cparams: Option<CompressParams>,
    /// Cache sizes for the automatic shapes (default: detected on this machine).
    pub caches: Option<CacheSizes>,
    /// Extra fixed metalayers stored after `b2nd` (name, msgpack content).
    pub metalayers: Vec<(String, Vec<u8>)>,
}

impl Options {
    /// Default options.
    pub fn new() -> Options {
        Options::default()
    }

    /// Sets the chunk shape.
    pub fn chunks(mut self, chunks: &[u64]) -> Options {
        self.chunks = Some(chunks.to_vec());
        self
    }

    /// Sets the block shape.
    pub fn blocks(mut self, blocks: &[u64]) -> Options {
        self.blocks = Some(blocks.to_vec());
        self
    }

    /// Sets the compression parameters.
    pub fn cparams(mut self, cparams: CompressParams) -> Options {
        self.cparams = Some(cparams);
        self
    }

    /// Adds a fixed metalayer stored after `b2nd` (python-blosc2's `meta={name: value}`
    /// stores msgpack-encoded values).
    pub fn metalayer(mut self, name: &str, content: &[u8]) -> Options {
        self.metalayers.push((name.to_string(), content.to_vec()));
        self
    }
}

/// Metadata of one chunk of an array, read without decompressing (like python-blosc2's
/// `iterchunks_info`).
#[derive(Debug, Clone, PartialEq)]
pub struct NdChunkInfo {
    /// Chunk index in the super-chunk.
    pub index: u64,
    /// Coordinates in the chunk grid.
    pub coords: Vec<u64>,
    /// Uncompressed size (padding included).
    pub nbytes: usize,
    /// Compressed size.
    pub cbytes: usize,
    /// The special kind, if any.
    pub special: Option<SpecialKind>,
    /// The repeated value of a repeated-value chunk.
    pub value: Option<Vec<u8>>,
}

impl NdChunkInfo {
    /// Compression ratio `nbytes / cbytes`.
    pub fn ratio(&self) -> f64 {
        if self.cbytes == 0 {
            0.0
        } else {
            self.nbytes as f64 / self.cbytes as f64
        }
    }
}

/// A compressed n-dimensional array.
#[derive(Debug)]
pub struct NdArray {
    pub(crate) schunk: SChunk,
    pub(crate) geom: Geometry,
    pub(crate) dtype: DType,
    pub(crate) meta: B2ndMeta,
    /// Parameters for new chunks (the super-chunk's, one thread, blocksize = block bytes).
    pub(crate) cparams: CompressParams,
}

impl NdArray {
    /// An array of `shape` with no chunks yet (used by the constructors and
    /// [`crate::ArrayWriter`]).
    pub(crate) fn create(shape: &[u64], dtype: &DType, opts: &Options) -> Result<NdArray> {
        let caches = opts.caches.unwrap_or_else(CacheSizes::detect);
        let (chunks, blocks) = match &opts.cparams {
            Some(p) => {
                chunks_blocks_for(shape, opts.chunks.as_deref(), opts.blocks.as_deref(), dtype.itemsize(), &caches, p)?
            }
            None => chunks_blocks(shape, opts.chunks.as_deref(), opts.blocks.as_deref(), dtype.itemsize(), &caches)?,
        };
        let geom = Geometry::new(shape, &chunks, &blocks, dtype.itemsize())?;
        let mut cparams = match &opts.cparams {
            Some(p) => p.clone(),
            None => {
                let mut p = CompressParams::default();
                if dtype.shuffle_meta() != 0 {
                    let slot = p.filters.filters.iter().position(|&f| f == FilterId::SHUFFLE.0).expect("shuffle slot");
                    p.filters.meta[slot] = dtype.shuffle_meta();
                }
                p
            }
        };
        cparams.typesize = dtype.itemsize();
        cparams.blocksize = geom.block_nbytes();
        let meta = B2ndMeta {
            version: 0,
            shape: shape.iter().map(|&s| s as i64).collect(),
            chunkshape: chunks.iter().map(|&c| c as i32).collect(),
            blockshape: blocks.iter().map(|&b| b as i32).collect(),
            dtype_format: 0,
            dtype: Some(dtype.as_str().to_string()),
        };
        cparams.geometry = Some(meta.nd_geometry()?);
        let mut schunk = SChunk::new(cparams.clone());
        // As C-Blosc2's b2nd arrays: the chunk size from the chunk shape, also while (or
        // when, for an empty shape) there is no chunk.
        schunk.set_chunksize(if geom.ndim() == 0 { geom.typesize() } else { geom.chunk_nbytes() })?;
        schunk.metalayers_mut().add(NAME, &meta.encode())?;
        for (name, content) in &opts.metalayers {
            schunk.metalayers_mut().add(name, content)?;
        }
        let mut work = cparams;
        work.nthreads = 1;
        Ok(NdArray { schunk, geom, dtype: dtype.clone(), meta, cparams: work })
    }

    fn fill_special(mut self, kind: SpecialKind, value: &[u8]) -> Result<NdArray> {
        let nbytes = if self.geom.ndim() == 0 { self.geom.typesize() } else { self.geom.chunk_nbytes() };
        let chunk = match kind {
            SpecialKind::Value => blosc2_core::chunk::special::repeat_value(&self.cparams, nbytes, value)?,
            _ => self.schunk.special_chunk(kind, nbytes, value)?,
        };
        self.schunk.append_chunk_repeated(chunk, self.geom.nchunks())?;
        Ok(self)
    }

    /// An array of zeros: every chunk a special zero chunk (no data stored). This is also
    /// what python-blosc2's `empty` writes.
    ///
    /// # Errors
    /// [`Error::Shape`] for invalid shapes; core errors.
    pub fn zeros(shape: &[u64], dtype: &DType, opts: &Options) -> Result<NdArray> {
        Self::create(shape, dtype, opts)?.fill_special(SpecialKind::Zeros, &[])
    }

    /// An array of zeros created directly as a contiguous frame file at `path` (replaced
    /// if it exists) and returned opened read-only (use [`NdArray::open_mut`] to write
    /// into it). Every chunk is a special zero chunk stored as a special offset, so the
    /// work and the file size do not depend on the number of chunks: a 20,000^3 array of
    /// a million chunks is a file of a few hundred bytes, written in microseconds
    /// (python-blosc2's `zeros(..., urlpath=...)`).
    ///
    /// # Errors
    /// As [`NdArray::zeros`], plus [`Error::Core`] for I/O errors.
    pub fn zeros_at(path: impl AsRef<Path>, shape: &[u64], dtype: &DType, opts: &Options) -> Result<NdArray> {
        let a = Self::create(shape, dtype, opts)?;
        let nbytes = if a.geom.ndim() == 0 { a.geom.typesize() } else { a.geom.chunk_nbytes() };
        a.schunk.save_special(path.as_ref(), SpecialKind::Zeros, nbytes, a.geom.nchunks())?;
        Self::open(path)
    }

    /// Same as [`NdArray::zeros`] (python-blosc2's `empty`).
    ///
    /// # Errors
    /// As [`NdArray::zeros`].
    pub fn empty(shape: &[u64], dtype: &DType, opts: &Options) -> Result<NdArray> {
        Self::zeros(shape, dtype, opts)
    }

    /// An array whose content is undefined (special uninitialized chunks; read as zeros).
    ///
    /// # Errors
    /// As [`NdArray::zeros`].
    pub fn uninit(shape: &[u64], dtype: &DType, opts: &Options) -> Result<NdArray> {
        Self::create(shape, dtype, opts)?.fill_special(SpecialKind::Uninit, &[])
    }

    /// An array of NaNs (float32 or float64 dtypes).
    ///
    /// # Errors
    /// As [`NdArray::zeros`]; [`Error::DtypeMismatch`] for other dtypes.
    pub fn nans(shape: &[u64], dtype: &DType, opts: &Options) -> Result<NdArray> {
        if dtype.kind() != crate::dtype::Kind::Float || !matches!(dtype.itemsize(), 4 | 8) {
            return Err(Error::DtypeMismatch { expected: "<f4 or <f8".into(), found: dtype.to_string() });
        }
        Self::create(shape, dtype, opts)?.fill_special(SpecialKind::Nan, &[])
    }

    /// An array with every element equal to `value` (the element's bytes): one
    /// repeated-value chunk per chunk, as python-blosc2's `full` writes.
    ///
    /// # Errors
    /// As [`NdArray::zeros`]; [`Error::BufferSize`] when `value` is not one element.
    pub fn full(shape: &[u64], dtype: &DType, value: &[u8], opts: &Options) -> Result<NdArray> {
        if value.len() != dtype.itemsize() {
            return Err(Error::BufferSize { expected: dtype.itemsize() as u64, found: value.len() as u64 });
        }
        Self::create(shape, dtype, opts)?.fill_special(SpecialKind::Value, value)
    }

    /// [`NdArray::full`] with a typed value.
    ///
    /// # Errors
    /// As [`NdArray::full`].
    pub fn full_value<T: Element>(shape: &[u64], value: T, opts: &Options) -> Result<NdArray> {
        let dtype = T::dtype();
        Self::full(shape, &dtype, &to_bytes(&[value], &dtype), opts)
    }

    /// An array holding `data`, the C-order bytes of an array of `shape` and `dtype`
    /// (python-blosc2's `asarray`/`frombuffer`): chunks that are all zeros become special
    /// zero chunks.
    ///
    /// # Errors
    /// [`Error::BufferSize`] when `data` does not hold the array; as [`NdArray::zeros`].
    pub fn from_bytes(shape: &[u64], dtype: &DType, data: &[u8], opts: &Options) -> Result<NdArray> {
        let mut a = Self::zeros(shape, dtype, opts)?;
        let expected = a.geom.nitems() * dtype.itemsize() as u64;
        if data.len() as u64 != expected {
            return Err(Error::BufferSize { expected, found: data.len() as u64 });
        }
        a.write_box(&Region::whole(shape), data)?;
        Ok(a)
    }

    /// An array holding typed values in C order.
    ///
    /// # Errors
    /// As [`NdArray::from_bytes`].
    pub fn from_slice<T: Element>(shape: &[u64], values: &[T], opts: &Options) -> Result<NdArray> {
        let dtype = T::dtype();
        Self::from_bytes(shape, &dtype, &to_bytes(values, &dtype), opts)
    }

    /// An array holding the elements of an `ndarray` array (any memory layout).
    ///
    /// # Errors
    /// As [`NdArray::from_bytes`].
    pub fn from_ndarray<T, S, D>(a: &ndarray::ArrayBase<S, D>, opts: &Options) -> Result<NdArray>
    where
        T: Element,
        S: ndarray::Data<Elem = T>,
        D: ndarray::Dimension,
    {
        let shape: Vec<u64> = a.shape().iter().map(|&s| s as u64).collect();
        let values: Vec<T> = a.iter().copied().collect();
        Self::from_slice(&shape, &values, opts)
    }

    /// Wraps a super-chunk that has a `b2nd` metalayer, checking it against its chunks.
    ///
    /// # Errors
    /// [`Error::NotAnArray`] without the metalayer; metalayer, dtype and shape errors;
    /// [`Error::ChunkMismatch`] when the chunk count or size disagrees with the geometry.
    pub fn from_schunk(schunk: SChunk) -> Result<NdArray> {
        let bytes = schunk.metalayers().get(NAME).ok_or(Error::NotAnArray)?;
        let meta = B2ndMeta::decode(bytes)?;
        let shape = crate::geometry::to_unsigned("shape", &meta.shape)?;
        let wide = |v: &[i32]| v.iter().map(|&x| i64::from(x)).collect::<Vec<_>>();
        let chunks = crate::geometry::to_unsigned("chunks", &wide(&meta.chunkshape))?;
        let blocks = crate::geometry::to_unsigned("blocks", &wide(&meta.blockshape))?;
        let dtype = match &meta.dtype {
            Some(s) => DType::parse(s)?,
            None => DType::bytes_of(schunk.typesize()),
        };
        if dtype.itemsize() != schunk.typesize() {
            return Err(Error::DtypeMismatch {
                expected: format!("itemsize {} (the frame typesize)", schunk.typesize()),
                found: format!("{} (itemsize {})", dtype, dtype.itemsize()),
            });
        }
        let geom = Geometry::new(&shape, &chunks, &blocks, dtype.itemsize())?;
        let want = if geom.ndim() == 0 { 1 } else { geom.nchunks() };
        if schunk.nchunks() != want {
            return Err(Error::ChunkMismatch {
                index: schunk.nchunks().min(want),
                reason: "number of chunks differs from the chunk grid",
                expected: want,
                found: schunk.nchunks(),
            });
        }
        let chunk_nbytes = if geom.ndim() == 0 { geom.typesize() } else { geom.chunk_nbytes() };
        if want > 0 && schunk.chunksize() > 0 && schunk.chunksize() as usize != chunk_nbytes {
            return Err(Error::ChunkMismatch {
                index: 0,
                reason: "frame chunk size differs from the padded chunk shape",
                expected: chunk_nbytes as u64,
                found: schunk.chunksize() as u64,
            });
        }
        let mut schunk = schunk;
        schunk.set_geometry(Some(meta.nd_geometry()?));
        let mut cparams = schunk.cparams().clone();
        cparams.blocksize = geom.block_nbytes();
        cparams.nthreads = 1;
        Ok(NdArray { schunk, geom, dtype, meta, cparams })
    }

    /// Opens a `.b2nd` file or sparse-frame directory read-only, lazily (chunks are read
    /// when needed).
    ///
    /// # Errors
    /// Frame errors; as [`NdArray::from_schunk`].
    pub fn open(path: impl AsRef<Path>) -> Result<NdArray> {
        Self::from_schunk(SChunk::open(path.as_ref())?)
    }

    /// As [`NdArray::open`], reading a `.b2nd` file through a memory map: chunks are
    /// borrowed from the map, not read into buffers, which saves a copy per read when the
    /// file is in the page cache (planes and whole reads of a cached file: 4-12 % faster).
    /// The file must not be truncated or rewritten in place by another program while the
    /// array is open (the process would be killed by `SIGBUS`); this library's writers only
    /// append to it. A sparse-frame directory is opened as by [`NdArray::open`].
    ///
    /// # Errors
    /// As [`NdArray::open`], plus [`blosc2_core::Error::Io`] when the file cannot be mapped.
    #[cfg(feature = "mmap")]
    pub fn open_mapped(path: impl AsRef<Path>) -> Result<NdArray> {
        Self::from_schunk(SChunk::open_mapped(path.as_ref())?)
    }

    /// Opens a `.b2nd` file or sparse-frame directory for modification in place.
    ///
    /// # Errors
    /// As [`NdArray::open`].
    pub fn open_mut(path: impl AsRef<Path>) -> Result<NdArray> {
        Self::from_schunk(SChunk::open_mut(path.as_ref())?)
    }

    /// Reads a `.b2nd` file or sparse-frame directory into memory.
    ///
    /// # Errors
    /// As [`NdArray::open`].
    pub fn load(path: impl AsRef<Path>) -> Result<NdArray> {
        Self::from_schunk(SChunk::load(path)?)
    }

    /// An in-memory array from a contiguous frame.
    ///
    /// # Errors
    /// As [`NdArray::open`].
    pub fn from_cframe(cframe: Vec<u8>) -> Result<NdArray> {
        Self::from_schunk(SChunk::from_cframe(cframe)?)
    }

    /// The array as a contiguous frame.
    ///
    /// # Errors
    /// Core errors.
    pub fn to_cframe(&self) -> Result<Vec<u8>> {
        Ok(self.schunk.to_cframe()?)
    }

    /// Saves the array as a contiguous frame file (`.b2nd`).
    ///
    /// # Errors
    /// Core I/O errors.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        Ok(self.schunk.save(path)?)
    }

    /// Saves the array as a sparse frame directory.
    ///
    /// # Errors
    /// Core I/O errors.
    pub fn save_sparse(&self, dir: impl AsRef<Path>) -> Result<()> {
        Ok(self.schunk.save_sparse(dir)?)
    }

    /// Saves the array to a contiguous frame file and returns it backed by that file
    /// (changes are then written in place).
    ///
    /// # Errors
    /// Core I/O errors.
    pub fn into_file(self, path: impl AsRef<Path>) -> Result<NdArray> {
        let NdArray { schunk, geom, dtype, meta, cparams } = self;
        Ok(NdArray { schunk: schunk.into_file(path.as_ref())?, geom, dtype, meta, cparams })
    }

    /// Saves the array to a sparse frame directory and returns it backed by it.
    ///
    /// # Errors
    /// Core I/O errors.
    pub fn into_sparse(self, dir: impl AsRef<Path>) -> Result<NdArray> {
        let NdArray { schunk, geom, dtype, meta, cparams } = self;
        Ok(NdArray { schunk: schunk.into_sparse(dir.as_ref())?, geom, dtype, meta, cparams })
    }

    /// Sets the tuner that chooses the parameters of every chunk [`NdArray::write_box`]
    /// compresses from then on (chunks are then compressed one at a time, in order); `None`
    /// goes back to the array's parameters. The typesize and the block size stay the
    /// array's (its block shape sets the latter).
    pub fn set_tuner(&mut self, tuner: Option<Box<dyn Tuner>>) {
        self.schunk.set_tuner(tuner);
    }

    /// Takes the tuner out (see [`NdArray::set_tuner`]).
    pub fn take_tuner(&mut self) -> Option<Box<dyn Tuner>> {
        self.schunk.take_tuner()
    }

    /// As [`NdArray::from_bytes`], every chunk compressed with the parameters `tuner`
    /// chooses; the tuner stays set on the array.
    ///
    /// # Errors
    /// As [`NdArray::from_bytes`].
    pub fn from_bytes_tuned(
        shape: &[u64],
        dtype: &DType,
        data: &[u8],
        opts: &Options,
        tuner: Box<dyn Tuner>,
    ) -> Result<NdArray> {
        let mut a = Self::zeros(shape, dtype, opts)?;
        let expected = a.geom.nitems() * dtype.itemsize() as u64;
        if data.len() as u64 != expected {
            return Err(Error::BufferSize { expected, found: data.len() as u64 });
        }
        a.set_tuner(Some(tuner));
        a.write_box(&Region::whole(shape), data)?;
        Ok(a)
    }

    /// The underlying super-chunk.
    pub fn schunk(&self) -> &SChunk {
        &self.schunk
    }

    /// The underlying super-chunk, for metalayer and vlmetalayer changes (changing its
    /// chunks directly can break the array).
    pub fn schunk_mut(&mut self) -> &mut SChunk {
        &mut self.schunk
    }

    /// The super-chunk, consuming the array.
    pub fn into_schunk(self) -> SChunk {
        self.schunk
    }

    /// The geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geom
    }

    /// The decoded `b2nd` metalayer.
    pub fn meta(&self) -> &B2ndMeta {
        &self.meta
    }

    /// Array shape.
    pub fn shape(&self) -> &[u64] {
        self.geom.shape()
    }

    /// Chunk shape.
    pub fn chunks(&self) -> &[u64] {
        self.geom.chunkshape()
    }

    /// Block shape.
    pub fn blocks(&self) -> &[u64] {
        self.geom.blockshape()
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.geom.ndim()
    }

    /// The dtype.
    pub fn dtype(&self) -> &DType {
        &self.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.geom.nitems()
    }

    /// Whether the array has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.schunk.nchunks()
    }

    /// Metadata of every chunk in order, decompressing nothing.
    pub fn chunk_infos(&self) -> impl Iterator<Item = Result<NdChunkInfo>> + '_ {
        (0..self.schunk.nchunks()).map(move |i| self.chunk_info(i))
    }

    /// Metadata of chunk `index` (C order in the chunk grid), decompressing nothing: only
    /// the offsets index and the chunk's header are read.
    ///
    /// # Errors
    /// Frame errors; an index past the last chunk.
    pub fn chunk_info(&self, index: u64) -> Result<NdChunkInfo> {
        let info = self.schunk.chunk_info(index)?;
        Ok(NdChunkInfo {
            index,
            coords: self.geom.chunk_coords(index),
            nbytes: info.nbytes,
            cbytes: info.cbytes,
            special: info.special,
            value: info.value,
        })
    }

    /// The whole array as C-order bytes.
    ///
    /// # Errors
    /// Chunk errors.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        self.read_box(&Region::whole(self.shape()))
    }

    /// The whole array as typed values in C order.
    ///
    /// # Errors
    /// [`Error::DtypeMismatch`] when `T` does not match the dtype; chunk errors.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        check_element::<T>(&self.dtype)?;
        Ok(to_values(&self.to_bytes()?, &self.dtype))
    }

    /// The whole array as an `ndarray` array.
    ///
    /// # Errors
    /// As [`NdArray::to_vec`].
    pub fn to_ndarray<T: Element>(&self) -> Result<ndarray::ArrayD<T>> {
        let shape: Vec<usize> = self.shape().iter().map(|&s| s as usize).collect();
        Ok(ndarray::ArrayD::from_shape_vec(shape, self.to_vec()?).expect("length matches the shape"))
    }

    /// A selection (ranges with steps, integer indices dropping their dimension) as an
    /// `ndarray` array.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; as [`NdArray::to_vec`].
    pub fn slice_ndarray<T: Element>(&self, items: &[SliceItem]) -> Result<ndarray::ArrayD<T>> {
        check_element::<T>(&self.dtype)?;
        let (bytes, shape) = self.read_selection(items)?;
        let shape: Vec<usize> = shape.iter().map(|&s| s as usize).collect();
        Ok(ndarray::ArrayD::from_shape_vec(shape, to_values(&bytes, &self.dtype)).expect("length matches"))
    }

    /// One element's bytes.
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; [`Error::Shape`] when `index` has
    /// another number of dimensions than the array.
    pub fn get_bytes(&self, index: &[u64]) -> Result<Vec<u8>> {
        // An index of u64::MAX gives an empty region, past every array's end: OutOfRange.
        let stop: Vec<u64> = index.iter().map(|&i| i.saturating_add(1)).collect();
        self.read_box(&Region::from_start_stop(index, &stop)?)
    }

    /// One element.
    ///
    /// # Errors
    /// As [`NdArray::get_bytes`], plus [`Error::DtypeMismatch`].
    pub fn get<T: Element>(&self, index: &[u64]) -> Result<T> {
        check_element::<T>(&self.dtype)?;
        Ok(to_values::<T>(&self.get_bytes(index)?, &self.dtype)[0])
    }

    /// Writes an `ndarray` array (any layout) at `start`: the region of the array's shape
    /// there.
    ///
    /// # Errors
    /// As [`Region::from_start_shape`] and [`NdArray::write_box`], plus
    /// [`Error::DtypeMismatch`].
    pub fn write_ndarray<T, S, D>(&mut self, start: &[u64], a: &ndarray::ArrayBase<S, D>) -> Result<()>
    where
        T: Element,
        S: ndarray::Data<Elem = T>,
        D: ndarray::Dimension,
    {
        check_element::<T>(&self.dtype)?;
        let shape: Vec<u64> = a.shape().iter().map(|&s| s as u64).collect();
        let values: Vec<T> = a.iter().copied().collect();
        self.write_box(&Region::from_start_shape(start, &shape)?, &to_bytes(&values, &self.dtype))
    }

    /// Resolves a selection and reads it: the bytes in C order and the result shape (dropped
    /// dimensions removed).
    ///
    /// # Errors
    /// [`Error::OutOfRange`] naming the dimension; chunk errors.
    pub fn read_selection(&self, items: &[SliceItem]) -> Result<(Vec<u8>, Vec<u64>)> {
        self.read_selection_threads(items, rayon::current_num_threads())
    }

    /// [`NdArray::read_selection`] on at most `threads` threads (as
    /// [`NdArray::read_box_into_threads`]).
    ///
    /// # Errors
    /// As [`NdArray::read_selection`].
    pub fn read_selection_threads(&self, items: &[SliceItem], threads: usize) -> Result<(Vec<u8>, Vec<u64>)> {
        let sel = Selection::resolve(items, self.shape())?;
        let bytes = self.read_box_threads(sel.region(), threads)?;
        let bytes = if sel.step().iter().all(|&s| s == 1) {
            bytes
        } else {
            crate::selection::gather_steps(&bytes, sel.region().shape(), sel.step(), self.geom.typesize())
        };
        Ok((bytes, sel.result_shape()))
    }
}
