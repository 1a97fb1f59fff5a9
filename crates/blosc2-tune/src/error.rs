//! The crate's error type.

/// Errors of configuration, model files and compression.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A tradeoff that is not a number in [0, 1] nor a valid triple.
    #[error("invalid tradeoff {0:?}: expected a number in [0, 1] or a triple (ratio, speed, quality) summing to 1")]
    Tradeoff(String),
    /// An unknown performance mode.
    #[error("invalid performance mode {0:?}: expected comp, decomp or balanced")]
    Mode(String),
    /// A `BTUNE_USE_INFERENCE` that is not an integer.
    #[error("invalid BTUNE_USE_INFERENCE {0:?}: expected an integer")]
    Inference(String),
    /// A model file that cannot be read or is not a valid model.
    #[error("model {source_name}: {reason}")]
    Model {
        /// The file (or `built-in`).
        source_name: String,
        /// What is wrong, in one line.
        reason: String,
    },
    /// Training examples that cannot make a model.
    #[error("cannot train a model: {0}")]
    Training(String),
    /// A compression error while measuring a trial.
    #[error(transparent)]
    Core(#[from] blosc2_core::Error),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
