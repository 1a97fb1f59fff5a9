//! Frames: the serialization of super-chunks as one byte sequence (contiguous frame) or a
//! directory of chunk files (sparse frame), byte-compatible with C-Blosc2 3.x
//! (`shared/spec/frame.md`).
//!
//! * [`checksum`]: the optional checksum table (a vlmetalayer);
//! * [`header`]: the fixed header and the metalayers section (spec 3);
//! * [`meta`]: fixed metalayers and variable-length metalayers (spec 3.3, 6.1, 10);
//! * [`trailer`]: vlmetalayers and the trailer length (spec 6);
//! * [`offsets`]: the offsets chunk and special offsets (spec 4);
//! * [`reader`]: [`Frame`], reading any frame from untrusted bytes or files (spec 8);
//! * [`source`]: memory buffers and positioned file reads;
//! * [`writer`]: writing contiguous and sparse frames (spec 1, 7);
//! * `descriptor`: what a frame records about its super-chunk, and the rules for chunk
//!   sizes and special offsets that writing follows;
//! * `disk`: crash-safe in-place changes of frames on disk.

pub mod checksum;
pub(crate) mod descriptor;
pub(crate) mod disk;
pub mod header;
pub mod meta;
mod mpack;
pub mod offsets;
pub mod reader;
pub mod source;
pub mod trailer;
pub mod writer;

pub use header::{FrameHeader, FrameType};
pub use meta::{Metalayers, VlMetalayers};
pub use offsets::Offsets;
pub use reader::{sparse_chunk_name, ChunkInfo, ChunkLocation, Frame, OPEN_ATTEMPTS, SPARSE_INDEX};
pub use writer::FrameWriter;
