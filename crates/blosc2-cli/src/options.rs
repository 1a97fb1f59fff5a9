//! Chunk compression options shared by every subcommand that compresses.

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use clap::Args;

/// `--codec`, `--clevel`, `--filter`, ... as python-blosc2 names them.
#[derive(Args, Debug, Clone)]
pub struct ChunkOptions {
    /// Codec: blosclz, lz4, lz4hc, zlib, zstd.
    #[arg(long, default_value = "zstd")]
    pub codec: String,
    /// Compression level, 0 (store) to 9.
    #[arg(long, default_value_t = 5)]
    pub clevel: u8,
    /// Filter for the pipeline, in order (up to 6): nofilter, shuffle, bitshuffle, delta,
    /// trunc_prec, bytedelta, int_trunc. Append `:META` for the meta byte (e.g. trunc_prec:10).
    /// Default: shuffle.
    #[arg(long = "filter")]
    pub filters: Vec<String>,
    /// Element size in bytes.
    #[arg(long, default_value_t = 8)]
    pub typesize: usize,
    /// Block size in bytes (0 = automatic).
    #[arg(long, default_value_t = 0)]
    pub blocksize: usize,
    /// Split mode: always, never, auto, forward_compat.
    #[arg(long, default_value = "auto")]
    pub splitmode: String,
    /// Threads (0 = the available cores). The bytes written do not depend on it.
    #[arg(long, default_value_t = crate::threads::available())]
    pub nthreads: usize,
}

impl ChunkOptions {
    /// The core parameters these options describe.
    pub fn params(&self) -> Result<CompressParams> {
        let codec = CodecId::from_name(&self.codec)
            .with_context(|| format!("unknown codec '{}' (expected blosclz, lz4, lz4hc, zlib or zstd)", self.codec))?;
        if self.clevel > 9 {
            bail!("clevel {} out of range 0..=9", self.clevel);
        }
        let splitmode = SplitMode::from_name(&self.splitmode).with_context(|| {
            format!("unknown split mode '{}' (expected always, never, auto, forward_compat)", self.splitmode)
        })?;
        let filters = if self.filters.is_empty() { Pipeline::shuffle() } else { parse_pipeline(&self.filters)? };
        if self.typesize == 0 {
            bail!("typesize must be at least 1");
        }
        Ok(CompressParams {
            codec,
            codec_meta: 0,
            clevel: self.clevel,
            typesize: self.typesize,
            filters,
            blocksize: self.blocksize,
            splitmode,
            nthreads: crate::threads::resolve(self.nthreads),
        })
    }
}

/// Lays `names` out in the last slots of the pipeline, like python-blosc2 does.
fn parse_pipeline(names: &[String]) -> Result<Pipeline> {
    if names.len() > 6 {
        bail!("at most 6 filters, got {}", names.len());
    }
    let mut p = Pipeline::default();
    let first = 6 - names.len();
    for (k, spec) in names.iter().enumerate() {
        let (name, meta) = match spec.split_once(':') {
            Some((n, m)) => {
                let m: i16 = m.parse().with_context(|| format!("filter meta '{m}' is not a number"))?;
                if !(-128..=255).contains(&m) {
                    bail!("filter meta {m} does not fit a byte");
                }
                (n, m as u8)
            }
            None => (spec.as_str(), 0),
        };
        let id = FilterId::from_name(name).with_context(|| {
            format!("unknown filter '{name}' (expected nofilter, shuffle, bitshuffle, delta, trunc_prec, bytedelta, int_trunc)")
        })?;
        p.filters[first + k] = id.0;
        p.meta[first + k] = meta;
    }
    Ok(p)
}
