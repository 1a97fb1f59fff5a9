//! The search space (`shared/spec/btune.md` 3): codecs x filter pipelines x clevels x
//! split modes, one definition iterated by the tuner and by the oracle.

use blosc2_core::chunk::{CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};

/// The filter pipelines a tuner chooses between. SHUFFLE and BYTEDELTA carry their meta
/// (the typesize), so python-blosc2 and C-Blosc2 read the chunks whatever the container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterKind {
    /// No filter.
    None,
    /// Byte shuffle.
    Shuffle,
    /// Bit shuffle.
    Bitshuffle,
    /// Byte shuffle then BYTEDELTA.
    ShuffleBytedelta,
}

impl FilterKind {
    /// All four, in the trace's order.
    pub const ALL: [FilterKind; 4] =
        [FilterKind::None, FilterKind::Shuffle, FilterKind::Bitshuffle, FilterKind::ShuffleBytedelta];

    /// The id of the last slot (35 for bytedelta), as the trace prints it.
    pub fn id(self) -> u8 {
        match self {
            FilterKind::None => 0,
            FilterKind::Shuffle => 1,
            FilterKind::Bitshuffle => 2,
            FilterKind::ShuffleBytedelta => 35,
        }
    }

    /// A short name: `nofilter`, `shuffle`, `bitshuffle`, `shuffle+bytedelta`.
    pub fn name(self) -> &'static str {
        match self {
            FilterKind::None => "nofilter",
            FilterKind::Shuffle => "shuffle",
            FilterKind::Bitshuffle => "bitshuffle",
            FilterKind::ShuffleBytedelta => "shuffle+bytedelta",
        }
    }

    /// The pipeline for elements of `typesize` bytes.
    pub fn pipeline(self, typesize: usize) -> Pipeline {
        let ts = u8::try_from(typesize).unwrap_or(0);
        let mut p = Pipeline::default();
        match self {
            FilterKind::None => {}
            FilterKind::Shuffle => (p.filters[5], p.meta[5]) = (FilterId::SHUFFLE.0, ts),
            FilterKind::Bitshuffle => p.filters[5] = FilterId::BITSHUFFLE.0,
            FilterKind::ShuffleBytedelta => {
                (p.filters[4], p.meta[4]) = (FilterId::SHUFFLE.0, ts);
                (p.filters[5], p.meta[5]) = (FilterId::BYTEDELTA.0, ts);
            }
        }
        p
    }

    /// The kind of a pipeline, when it is one of the four.
    pub fn of(p: &Pipeline) -> Option<FilterKind> {
        let active: Vec<u8> = p.filters.iter().copied().filter(|&f| f != 0).collect();
        match active[..] {
            [] => Some(FilterKind::None),
            [1] => Some(FilterKind::Shuffle),
            [2] => Some(FilterKind::Bitshuffle),
            [1, 35] => Some(FilterKind::ShuffleBytedelta),
            _ => None,
        }
    }
}

/// One point of the space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Setting {
    /// The codec.
    pub codec: CodecId,
    /// The filter pipeline.
    pub filter: FilterKind,
    /// The compression level.
    pub clevel: u8,
    /// The split mode.
    pub split: SplitMode,
}

impl Setting {
    /// python-blosc2's default: Zstd, clevel 5, shuffle, automatic split.
    pub const DEFAULT: Setting =
        Setting { codec: CodecId::ZSTD, filter: FilterKind::Shuffle, clevel: 5, split: SplitMode::Auto };

    /// `base` with this setting's codec, filters, clevel and split (typesize, block size,
    /// threads and geometry kept).
    pub fn apply(&self, base: &CompressParams) -> CompressParams {
        CompressParams {
            codec: self.codec,
            codec_meta: 0,
            clevel: self.clevel,
            filters: self.filter.pipeline(base.typesize),
            splitmode: self.split,
            ..base.clone()
        }
    }

    /// The setting of `p` when its filters are one of the four kinds.
    pub fn of(p: &CompressParams) -> Option<Setting> {
        Some(Setting { codec: p.codec, filter: FilterKind::of(&p.filters)?, clevel: p.clevel, split: p.splitmode })
    }

    /// A label such as `zstd-5-shuffle-auto`.
    pub fn label(&self) -> String {
        format!("{}-{}-{}-{}", self.codec.name().unwrap_or("?"), self.clevel, self.filter.name(), self.split.name())
    }
}

/// The space: every combination of its lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSpace {
    /// Codecs, in sweep order.
    pub codecs: Vec<CodecId>,
    /// Filter pipelines, in sweep order.
    pub filters: Vec<FilterKind>,
    /// Compression levels, increasing.
    pub clevels: Vec<u8>,
    /// Split modes (`[Auto]`, or `[Always, Never]` to try both).
    pub splits: Vec<SplitMode>,
}

impl Default for SearchSpace {
    /// The space of `shared/bench/WORKLOADS.md`'s `tune` workload: the five codecs, four
    /// pipelines, clevels 1, 5 and 9, automatic split (60 settings).
    fn default() -> Self {
        SearchSpace {
            codecs: CodecId::ALL.to_vec(),
            filters: FilterKind::ALL.to_vec(),
            clevels: vec![1, 5, 9],
            splits: vec![SplitMode::Auto],
        }
    }
}

impl SearchSpace {
    /// The reference's codec list for a tradeoff and mode (spec 3.1), with its three
    /// filters (no bytedelta), clevels 1-9 and both split modes.
    pub fn reference(tradeoff: f64, mode: crate::PerfMode) -> SearchSpace {
        let decomp = mode == crate::PerfMode::Decomp;
        let mut codecs = if tradeoff >= 2.0 / 3.0 {
            vec![CodecId::ZSTD, CodecId::ZLIB]
        } else if tradeoff >= 1.0 / 3.0 {
            vec![CodecId::LZ4, CodecId::BLOSCLZ]
        } else {
            vec![CodecId::LZ4]
        };
        if decomp && tradeoff < 2.0 / 3.0 {
            codecs.push(CodecId::LZ4HC);
        }
        SearchSpace {
            codecs,
            filters: vec![FilterKind::None, FilterKind::Shuffle, FilterKind::Bitshuffle],
            clevels: (1..=9).collect(),
            splits: vec![SplitMode::Always, SplitMode::Never],
        }
    }

    /// Every setting, codec-major then filter, split, clevel.
    pub fn iter(&self) -> impl Iterator<Item = Setting> + '_ {
        self.codecs.iter().flat_map(move |&codec| {
            self.filters.iter().flat_map(move |&filter| {
                self.splits.iter().flat_map(move |&split| {
                    self.clevels.iter().map(move |&clevel| Setting { codec, filter, clevel, split })
                })
            })
        })
    }

    /// Number of settings.
    pub fn len(&self) -> usize {
        self.codecs.len() * self.filters.len() * self.clevels.len() * self.splits.len()
    }

    /// Whether the space is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blosc2_core::chunk;

    #[test]
    fn the_space_is_every_combination_and_each_setting_round_trips() {
        let s = SearchSpace::default();
        let all: Vec<Setting> = s.iter().collect();
        assert_eq!(all.len(), 60);
        assert_eq!(s.len(), 60);
        let unique: std::collections::HashSet<_> = all.iter().collect();
        assert_eq!(unique.len(), 60);
        let data: Vec<u8> = (0..20_000u32).flat_map(|i| (i * 3).to_le_bytes()).collect();
        let base = CompressParams { typesize: 4, ..CompressParams::default() };
        for st in &all {
            let p = st.apply(&base);
            assert_eq!(Setting::of(&p), Some(*st));
            let c = chunk::compress(&p, &data).unwrap();
            assert_eq!(chunk::decompress(&c).unwrap(), data, "{}", st.label());
        }
        assert_eq!(SearchSpace::reference(0.1, crate::PerfMode::Comp).iter().count(), 6 * 9);
        assert_eq!(SearchSpace::reference(0.5, crate::PerfMode::Decomp).iter().count(), 18 * 9);
    }
}
