//! The error type of the n-dimensional array crate.

/// Errors of `blosc2-nd`.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An error of the format crate (chunks, frames, metalayers, I/O).
    #[error(transparent)]
    Core(#[from] blosc2_core::Error),
    /// The super-chunk has no `b2nd` metalayer: it is not an n-dimensional array.
    #[error("the super-chunk has no b2nd metalayer")]
    NotAnArray,
    /// The `b2nd` metalayer is malformed.
    #[error("invalid b2nd metalayer at byte {offset}: {reason}")]
    InvalidMetalayer {
        /// Byte offset inside the metalayer content.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The `b2nd` metalayer has a version this crate does not know.
    #[error("unsupported b2nd metalayer version {found} (expected 0)")]
    MetalayerVersion {
        /// The version found.
        found: u8,
    },
    /// The dtype format of the `b2nd` metalayer is not 0 (NumPy).
    #[error("unsupported b2nd dtype format {found} (expected 0, NumPy)")]
    DtypeFormat {
        /// The format found.
        found: u8,
    },
    /// A dtype string this crate does not understand.
    #[error("unknown dtype {dtype:?}")]
    UnknownDtype {
        /// The string.
        dtype: String,
    },
    /// The dtype does not match the Rust element type asked for, or the frame typesize.
    #[error("dtype mismatch: expected {expected}, found {found}")]
    DtypeMismatch {
        /// What was expected.
        expected: String,
        /// What was found.
        found: String,
    },
    /// A shape, chunk shape or block shape problem.
    #[error("{kind}: {what} dimension {dim}: {value} (limit {limit})")]
    Shape {
        /// What kind of problem.
        kind: ShapeErrorKind,
        /// Which shape (`shape`, `chunks`, `blocks`, `buffer`, ...).
        what: &'static str,
        /// The dimension (0 when the problem is not about one dimension).
        dim: usize,
        /// The value found.
        value: i64,
        /// The limit or expected value it was compared with.
        limit: i64,
    },
    /// A slice or index outside the array in one dimension.
    #[error("dimension {dim}: {start}..{stop} out of range 0..{len}")]
    OutOfRange {
        /// The dimension.
        dim: usize,
        /// First index asked for.
        start: i64,
        /// One past the last index asked for.
        stop: i64,
        /// Length of the dimension.
        len: u64,
    },
    /// A slice expression that cannot be parsed.
    #[error("bad slice {text:?}: {reason}")]
    SliceSyntax {
        /// The text.
        text: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A chunk of the array does not match its geometry.
    #[error("chunk {index}: {reason} (expected {expected}, found {found})")]
    ChunkMismatch {
        /// The chunk index.
        index: u64,
        /// What is wrong.
        reason: &'static str,
        /// The expected value.
        expected: u64,
        /// The value found.
        found: u64,
    },
    /// A buffer has the wrong length.
    #[error("buffer of {found} bytes, expected {expected}")]
    BufferSize {
        /// Expected length in bytes.
        expected: u64,
        /// Length given.
        found: u64,
    },
    /// A `.npy` file is malformed or uses a feature this crate does not support.
    #[error("invalid .npy data at byte {offset}: {reason}")]
    Npy {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The operation needs something the array does not provide.
    #[error("{operation} is not supported: {reason}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// The kinds of shape problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShapeErrorKind {
    /// More dimensions than supported.
    TooManyDims,
    /// Two shapes that must have the same number of dimensions do not.
    RankMismatch,
    /// A negative extent.
    Negative,
    /// A zero chunk or block extent where data exists.
    Zero,
    /// A block larger than its chunk, or a chunk larger than the format allows.
    NotNested,
    /// A product of extents overflows or exceeds a format limit.
    Overflow,
    /// Two shapes that must be equal differ.
    Mismatch,
}

impl std::fmt::Display for ShapeErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShapeErrorKind::TooManyDims => "too many dimensions",
            ShapeErrorKind::RankMismatch => "number of dimensions differs",
            ShapeErrorKind::Negative => "negative extent",
            ShapeErrorKind::Zero => "zero extent",
            ShapeErrorKind::NotNested => "blocks do not nest in chunks",
            ShapeErrorKind::Overflow => "size overflow",
            ShapeErrorKind::Mismatch => "shapes differ",
        })
    }
}

impl Error {
    /// The C-Blosc2 error number closest to this error.
    pub fn code(&self) -> i32 {
        match self {
            Error::Core(e) => e.code(),
            Error::NotAnArray => -34,          // BLOSC2_ERROR_METALAYER_NOT_FOUND
            Error::OutOfRange { .. } => -12,   // BLOSC2_ERROR_INVALID_PARAM
            Error::ChunkMismatch { .. } => -7, // BLOSC2_ERROR_DATA
            Error::Npy { .. } => -7,
            Error::InvalidMetalayer { .. } | Error::MetalayerVersion { .. } | Error::DtypeFormat { .. } => -7,
            _ => -12,
        }
    }

    pub(crate) fn shape(kind: ShapeErrorKind, what: &'static str, dim: usize, value: i64, limit: i64) -> Error {
        Error::Shape { kind, what, dim, value, limit }
    }
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
