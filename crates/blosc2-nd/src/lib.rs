//! Compressed n-dimensional arrays (b2nd), byte-compatible with C-Blosc2's b2nd and
//! python-blosc2's `NDArray` (`shared/spec/b2nd.md`).
//!
//! An [`NdArray`] is a super-chunk whose first metalayer, `b2nd`, gives the shape, chunk
//! shape, block shape and dtype. Reads decode only the blocks a box touches; writes
//! recompress only the chunks it touches; parts of an array never written are special zero
//! chunks that take no space.
//!
//! A box of an array is a [`Region`], made from a start and a shape
//! ([`Region::from_start_shape`]) or a start and a stop ([`Region::from_start_stop`]), or
//! [`Region::whole`]; [`NdArray::read_box`], [`NdArray::read_box_into`] and
//! [`NdArray::write_box`] take one. Selections with steps and dropped dimensions
//! (`"0:10, 5, ::2"`) are [`parse_selection`] and [`NdArray::read_selection`];
//! [`NdArray::read_strided`] reads only the blocks holding their elements and
//! [`NdArray::read_reduced`] gives one mean, maximum or minimum per step box.
//!
//! An [`ArrayWriter`] streams an array to a file chunk by chunk, for arrays too large to
//! hold or whose shape is known only at the end.
//!
//! ```
//! use blosc2_nd::{NdArray, Options, Region};
//!
//! let opts = Options::new().chunks(&[10, 10]).blocks(&[5, 5]);
//! let values: Vec<f64> = (0..600).map(f64::from).collect();
//! let mut a = NdArray::from_slice(&[20, 30], &values, &opts).unwrap();
//! let part = a.read_box(&Region::from_start_stop(&[2, 3], &[4, 6]).unwrap()).unwrap();
//! assert_eq!(part.len(), 2 * 3 * 8);
//! let ones = [1f64.to_le_bytes(); 6].concat();
//! a.write_box(&Region::from_start_shape(&[2, 3], &[2, 3]).unwrap(), &ones).unwrap();
//! assert_eq!(a.get::<f64>(&[3, 5]).unwrap(), 1.0);
//! assert_eq!(a.get::<f64>(&[19, 29]).unwrap(), 599.0);
//! a.resize(&[25, 30]).unwrap();
//! assert_eq!(a.get::<f64>(&[24, 0]).unwrap(), 0.0);
//! ```
//!
//! Modules: [`array`](mod@array) (the type, constructors, storage), [`region`], [`geometry`] (chunk and
//! block grids, strides), [`selection`] (parsing and resolving selections), [`resize`],
//! [`dtype`], [`metalayer`], [`npy`], [`auto`] (automatic chunk and block shapes); box reads
//! and writes and the copy kernels are private modules.
#![forbid(unsafe_code)]

pub mod array;
pub mod auto;
mod box_io;
mod copy;
pub mod dtype;
pub mod error;
pub mod geometry;
pub mod metalayer;
pub mod npy;
mod plain;
pub mod region;
pub mod resize;
pub mod selection;
mod strided;
pub mod writer;

pub use array::{NdArray, NdChunkInfo, Options};
pub use dtype::{DType, Element, Field, Kind};
pub use error::{Error, Result, ShapeErrorKind};
pub use geometry::Geometry;
pub use metalayer::B2ndMeta;
pub use region::Region;
pub use selection::{parse_selection, Selection, SliceItem};
pub use strided::Reduce;
pub use writer::ArrayWriter;
