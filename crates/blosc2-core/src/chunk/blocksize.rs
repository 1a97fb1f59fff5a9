//! The automatic block size and the split decision of C-Blosc2 (`shared/spec/chunk.md` 9.1
//! and 9.2).

use super::{CompressParams, SplitMode};
use crate::codec::CodecId;
use crate::filter::FilterId;
use crate::header::{MAX_TYPESIZE, MIN_BUFFERSIZE};

/// Level-1 cache size C-Blosc2 assumes.
const L1: usize = 32 * 1024;
/// Most streams a block can be split into (C: `BLOSC2_MAXTYPESIZE` for splitting).
const MAX_STREAMS: usize = 16;

/// The typesize written in the header and used by filters: 1 for typesizes above 255.
pub fn header_typesize(typesize: usize) -> usize {
    if typesize > MAX_TYPESIZE {
        1
    } else {
        typesize
    }
}

/// Whether blocks of `blocksize` bytes are split into `typesize` streams.
pub fn split_block(params: &CompressParams, blocksize: usize) -> bool {
    let ts = header_typesize(params.typesize);
    match params.splitmode {
        SplitMode::Always => true,
        SplitMode::Never => false,
        SplitMode::Auto | SplitMode::ForwardCompat => {
            let codec_ok = params.codec == CodecId::BLOSCLZ
                || params.codec == CodecId::LZ4
                || (params.codec == CodecId::ZSTD && params.clevel <= 5);
            codec_ok
                && params.filters.contains(FilterId::SHUFFLE)
                && ts <= MAX_STREAMS
                && blocksize / ts >= MIN_BUFFERSIZE
        }
    }
}

/// The block size C-Blosc2 uses for `nbytes` bytes with these parameters (the caller's
/// `params.blocksize` when non-zero, adjusted the same way).
pub fn compute_blocksize(params: &CompressParams, nbytes: usize) -> usize {
    let ts = header_typesize(params.typesize);
    let clevel = params.clevel;
    if params.blocksize != 0 {
        // C-Blosc2 3.3.5 takes the caller's block size as it is, only capped at the input
        // size, without the element rounding of the automatic size (measured through
        // python-blosc2 4.14.1). A block of partial elements is never split by us (the
        // compressor's `dont_split`), where C-Blosc2 splits it and cannot decode the result.
        return params.blocksize.min(nbytes).max(1);
    }
    if nbytes < ts {
        return 1;
    }
    let mut bs;
    {
        let split = split_block(params, nbytes);
        bs = nbytes;
        if nbytes >= L1 {
            let hcr = params.codec.is_hcr();
            bs = L1;
            if hcr {
                bs *= 2;
            }
            match clevel {
                0 => bs /= 4,
                1 => bs /= 2,
                2 => {}
                3 => bs *= 2,
                4 | 5 => bs *= 4,
                6..=8 => bs *= 8,
                _ => {
                    bs *= 8;
                    if hcr {
                        bs *= 2;
                    }
                }
            }
        }
        if clevel > 0 && split {
            bs = match clevel {
                1..=3 => 32 * 1024,
                4..=6 => 64 * 1024,
                7 => 128 * 1024,
                8 => 256 * 1024,
                _ => 512 * 1024,
            };
            bs = (bs * ts).clamp(32 * 1024, 4 * 1024 * 1024);
        }
    }
    if bs > nbytes {
        bs = nbytes;
    }
    if bs > ts {
        bs = bs / ts * ts;
    }
    bs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Pipeline;

    fn p(codec: CodecId, clevel: u8, ts: usize) -> CompressParams {
        CompressParams { codec, clevel, typesize: ts, filters: Pipeline::shuffle(), ..CompressParams::default() }
    }

    #[test]
    fn spec_examples() {
        assert_eq!(compute_blocksize(&p(CodecId::BLOSCLZ, 5, 4), 4000), 4000);
        assert_eq!(compute_blocksize(&p(CodecId::BLOSCLZ, 5, 4), 1 << 20), 256 * 1024);
        assert_eq!(compute_blocksize(&p(CodecId::ZSTD, 9, 8), 1 << 20), 1 << 20);
        // The codecs bench record: 8 MiB of float64, zstd 5, shuffle -> 512 KiB blocks.
        assert_eq!(compute_blocksize(&p(CodecId::ZSTD, 5, 8), 8 << 20), 512 * 1024);
        assert_eq!(compute_blocksize(&p(CodecId::ZSTD, 1, 1), 100), 100);
        assert_eq!(compute_blocksize(&p(CodecId::ZSTD, 1, 8), 7), 1);
    }
}
