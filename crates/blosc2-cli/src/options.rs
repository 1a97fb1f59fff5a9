//! Chunk compression options shared by every subcommand that compresses.

use anyhow::{bail, Context, Result};
use blosc2_core::chunk::{CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use clap::Args;

/// `--codec`, `--clevel`, `--filter`, ... as python-blosc2 names them.
#[derive(Args, Debug, Clone)]
pub struct ChunkOptions {
    /// Codec: blosclz, lz4, lz4hc, zlib, zstd, or ndlz (the plugin codec for b2nd arrays of
    /// 2-d blocks). Append `:META` for the codec's meta byte (`ndlz:4` or `ndlz:8`, the cell
    /// side).
    #[arg(long, default_value = "zstd")]
    pub codec: String,
    /// Compression level, 0 (store) to 9.
    #[arg(long, default_value_t = 5)]
    pub clevel: u8,
    /// Filter for the pipeline, in order (up to 6): nofilter, shuffle, bitshuffle, delta,
    /// trunc_prec, bytedelta, int_trunc, and for b2nd arrays ndcell, ndmean. Append `:META`
    /// for the meta byte (e.g. trunc_prec:10, ndmean:4 for 4x4 cells). Default: shuffle.
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
    /// Compress each chunk with a dictionary built from it and stored in it (zstd, lz4 and
    /// lz4hc; python-blosc2's `use_dict=True`).
    #[arg(long)]
    pub use_dict: bool,
}

impl ChunkOptions {
    /// The core parameters these options describe.
    pub fn params(&self) -> Result<CompressParams> {
        let (codec, codec_meta) = parse_codec(&self.codec)?;
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
        if self.use_dict && !matches!(codec, CodecId::ZSTD | CodecId::LZ4 | CodecId::LZ4HC) {
            bail!("--use-dict is only supported for the zstd, lz4 and lz4hc codecs, not {codec}");
        }
        Ok(CompressParams {
            codec,
            codec_meta,
            clevel: self.clevel,
            typesize: self.typesize,
            filters,
            blocksize: self.blocksize,
            splitmode,
            nthreads: crate::threads::resolve(self.nthreads),
            use_dict: self.use_dict,
            geometry: None,
        })
    }
}

/// A meta byte written after `:` (-128..=255, as python-blosc2's int8 metas or bytes).
fn parse_meta(m: &str, what: &str) -> Result<u8> {
    let v: i16 = m.parse().with_context(|| format!("{what} meta '{m}' is not a number"))?;
    if !(-128..=255).contains(&v) {
        bail!("{what} meta {v} does not fit a byte");
    }
    Ok(v as u8)
}

/// `NAME[:META]` of `--codec`.
fn parse_codec(spec: &str) -> Result<(CodecId, u8)> {
    let (name, meta) = match spec.split_once(':') {
        Some((n, m)) => (n, parse_meta(m, "codec")?),
        None => (spec, 0),
    };
    let codec = CodecId::from_name(name)
        .with_context(|| format!("unknown codec '{name}' (expected blosclz, lz4, lz4hc, zlib, zstd or ndlz)"))?;
    Ok((codec, meta))
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
            Some((n, m)) => (n, parse_meta(m, "filter")?),
            None => (spec.as_str(), 0),
        };
        let id = FilterId::from_name(name).with_context(|| {
            format!(
                "unknown filter '{name}' (expected nofilter, shuffle, bitshuffle, delta, trunc_prec, bytedelta, int_trunc, ndcell or ndmean)"
            )
        })?;
        p.filters[first + k] = id.0;
        p.meta[first + k] = meta;
    }
    Ok(p)
}

/// The codec or filter of `p` that works on the blocks of b2nd arrays (and needs their
/// geometry), if any.
pub fn nd_plugin(p: &CompressParams) -> Option<String> {
    if CodecId::PLUGINS.contains(&p.codec) {
        return Some(p.codec.to_string());
    }
    [FilterId::NDCELL, FilterId::NDMEAN].into_iter().find(|&f| p.filters.contains(f)).map(|f| f.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_and_filter_metas() {
        assert_eq!(parse_codec("ndlz:8").unwrap(), (CodecId::NDLZ, 8));
        assert_eq!(parse_codec("NDLZ:4").unwrap(), (CodecId::NDLZ, 4));
        assert_eq!(parse_codec("zstd").unwrap(), (CodecId::ZSTD, 0));
        assert!(parse_codec("ndlz:x").is_err());
        assert!(parse_codec("ndlz:300").is_err());
        assert!(parse_codec("snappy").is_err());
        let p = parse_pipeline(&["ndmean:4".into(), "shuffle".into()]).unwrap();
        assert_eq!((p.filters, p.meta), ([0, 0, 0, 0, 33, 1], [0, 0, 0, 0, 4, 0]));
        let p = parse_pipeline(&["ndcell:-1".into()]).unwrap();
        assert_eq!((p.filters[5], p.meta[5]), (32, 255));
    }
}
