//! Compressed n-dimensional arrays (b2nd), byte-compatible with C-Blosc2's b2nd and
//! python-blosc2's `NDArray` (`shared/spec/b2nd.md`).
//!
//! An [`NdArray`] is a super-chunk whose first metalayer, `b2nd`, gives the shape, chunk
//! shape, block shape and dtype. Reads decode only the blocks a box touches; writes
//! recompress only the chunks it touches; empty regions are special zero chunks that take
//! no space. An [`ArrayWriter`] streams an array to a file chunk by chunk, for arrays too
//! large to hold or whose shape is known only at the end.
//!
//! ```
//! use blosc2_nd::{NdArray, Options};
//!
//! let opts = Options::new().chunks(&[10, 10]).blocks(&[5, 5]);
//! let values: Vec<f64> = (0..600).map(f64::from).collect();
//! let mut a = NdArray::from_slice(&[20, 30], &values, &opts).unwrap();
//! let part = a.read_box(&[2, 3], &[4, 6]).unwrap();
//! assert_eq!(part.len(), 2 * 3 * 8);
//! assert_eq!(a.get::<f64>(&[19, 29]).unwrap(), 599.0);
//! a.resize(&[25, 30]).unwrap();
//! assert_eq!(a.get::<f64>(&[24, 0]).unwrap(), 0.0);
//! ```
#![forbid(unsafe_code)]

pub mod array;
pub mod auto;
pub mod dtype;
pub mod error;
pub mod metalayer;
pub mod npy;
mod partial;
pub mod resize;
pub mod shape;
pub mod slice;
pub mod writer;

pub use array::{NdArray, NdChunkInfo, Options};
pub use dtype::{DType, Element, Kind};
pub use error::{Error, Result, ShapeErrorKind};
pub use metalayer::B2ndMeta;
pub use shape::{parse_selection, Geometry, Selection, SliceItem};
pub use writer::ArrayWriter;
