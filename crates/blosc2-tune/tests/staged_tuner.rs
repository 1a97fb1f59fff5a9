//! The staged search in a super-chunk: every chunk decompresses to its input, unchanging
//! data are searched once, not chunk after chunk. (When a change in the data starts a new
//! search depends on the time trials took against the compression's: tested with a
//! scripted clock in `tuner.rs`.)

use blosc2_core::chunk::CompressParams;
use blosc2_core::schunk::SChunk;
use blosc2_tune::{Btune, BtuneConfig, SearchSpace, Setting};

fn counters(n: usize, seed: u64) -> Vec<u8> {
    (0..n as u64).flat_map(|i| (seed + 3 * i + (i / 17) % 5).to_le_bytes()).collect()
}

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed;
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

#[test]
fn unchanging_data_are_searched_once() {
    for t in [0.1, 0.5, 0.9] {
        let tuner = Btune::new(BtuneConfig { tradeoff: t, ..BtuneConfig::default() }, SearchSpace::default());
        let record = tuner.record();
        let mut s = SChunk::new(CompressParams { typesize: 8, nthreads: 1, ..CompressParams::default() });
        s.set_tuner(Some(Box::new(tuner)));
        let mut inputs = Vec::new();
        let mut trials = Vec::new();
        // Sixty chunks of counters, then two of noise: trials that do not fit a chunk's
        // share of time wait for later chunks, so the search may span many chunks.
        let n = 62u64;
        for k in 0..n {
            let c = if k < n - 2 { counters(40_000, k * 8) } else { noise(320_000, k) };
            s.append_buffer(&c).unwrap();
            inputs.push(c);
            trials.push(record.tuning().1);
        }
        for (i, c) in inputs.iter().enumerate() {
            assert_eq!(&s.decompress_chunk(i as u64).unwrap(), c, "t={t} chunk {i}");
        }
        assert!(trials[0] >= 1, "t={t}: the first chunk is decided by trials: {trials:?}");
        // One search over unchanging data: at most the staged search's trials (four
        // filters, a dozen codecs, three clevels of two pairs, three confirmations), not a
        // search per chunk.
        let last = (n - 3) as usize;
        assert!(trials[last] <= 25, "t={t}: one search: {trials:?}");
        let choices = record.choices();
        assert_eq!(choices.len(), n as usize);
        let space: Vec<Setting> = SearchSpace::default().iter().collect();
        for c in &choices {
            let p = CompressParams {
                codec: blosc2_core::codec::CodecId::from_name(&c.codec).unwrap(),
                filters: blosc2_core::filter::Pipeline { filters: c.filters, meta: c.filters_meta },
                clevel: c.clevel,
                typesize: 8,
                ..CompressParams::default()
            };
            assert!(space.contains(&Setting::of(&p).unwrap()), "t={t}: {c:?} is in the space");
        }
    }
}
