//! The tuner hook in super-chunks and frame writers: every chunk compressed from a buffer
//! goes through the tuner, which sees its index and bytes; the chunks decode to their
//! input; without a tuner the bytes are those of the container's own parameters.

use std::sync::{Arc, Mutex};

use blosc2_core::chunk::{self, CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::frame::{Frame, FrameWriter, Metalayers};
use blosc2_core::schunk::SChunk;
use blosc2_core::tune::{ChunkInput, Outcome, Tuner};
use blosc2_testkit::temp_dir;

/// Cycles through codecs and filters by chunk index and records what it saw.
struct Cycle(Arc<Mutex<Vec<(u64, usize, Outcome)>>>);

impl Tuner for Cycle {
    fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
        let i = chunk.index as usize;
        let filters = [Pipeline::default(), Pipeline::shuffle(), Pipeline::single(FilterId::BITSHUFFLE)];
        CompressParams {
            codec: CodecId::ALL[i % 5],
            clevel: 1 + (i % 9) as u8,
            filters: filters[i % 3],
            splitmode: if i.is_multiple_of(2) { SplitMode::Always } else { SplitMode::Never },
            blocksize: 16384,
            typesize: 1,
            ..chunk.base.clone()
        }
    }
    fn update(&mut self, outcome: &Outcome) {
        self.0.lock().unwrap().push((outcome.index, outcome.nbytes, outcome.clone()));
    }
}

fn data(i: usize) -> Vec<u8> {
    (0..50_000u32).flat_map(|k| (k / (i as u32 + 1)).to_le_bytes()).collect()
}

#[test]
fn schunk_buffers_go_through_the_tuner() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let base = CompressParams { typesize: 4, ..CompressParams::default() };
    let mut s = SChunk::new(base.clone());
    s.set_tuner(Some(Box::new(Cycle(seen.clone()))));
    for i in 0..6 {
        s.append_buffer(&data(i)).unwrap();
    }
    s.insert_buffer(2, &data(7)).unwrap();
    s.update_buffer(4, &data(8)).unwrap();
    let expect = [0, 1, 7, 2, 8, 4, 5];
    for (k, &i) in expect.iter().enumerate() {
        assert_eq!(s.decompress_chunk(k as u64).unwrap(), data(i), "chunk {k}");
        let h = chunk::ChunkHeader::parse(&s.chunk(k as u64).unwrap()).unwrap();
        assert_eq!(h.typesize, 4, "the typesize stays the container's");
    }
    let indices: Vec<u64> = seen.lock().unwrap().iter().map(|s| s.0).collect();
    assert_eq!(indices, [0, 1, 2, 3, 4, 5, 2, 4]);
    let codecs: Vec<CodecId> = seen.lock().unwrap().iter().map(|s| s.2.params.codec).collect();
    assert_eq!(codecs[..5], CodecId::ALL);
    // Without a tuner: the super-chunk's own parameters, byte for byte.
    assert!(s.take_tuner().is_some());
    s.append_buffer(&data(3)).unwrap();
    assert_eq!(&*s.chunk(7).unwrap(), &chunk::compress(&base, &data(3)).unwrap()[..]);
}

#[test]
fn frame_writer_buffers_go_through_the_tuner() {
    let dir = temp_dir!("tuner-hook");
    let path = dir.join("t.b2frame");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let base = CompressParams { typesize: 4, ..CompressParams::default() };
    let mut w = FrameWriter::create(&path, base.clone(), Metalayers::default(), false).unwrap();
    w.set_tuner(Some(Box::new(Cycle(seen.clone()))));
    for i in 0..5 {
        w.append_buffer(&data(i)).unwrap();
    }
    w.set_tuner(None);
    w.append_buffer(&data(5)).unwrap();
    w.finish().unwrap();
    let f = Frame::open(&path).unwrap();
    for i in 0..6 {
        assert_eq!(f.decompress_chunk(i).unwrap(), data(i as usize));
    }
    assert_eq!(f.chunk(5).unwrap().as_ref(), &chunk::compress(&base, &data(5)).unwrap()[..]);
    let got = seen.lock().unwrap();
    assert_eq!(got.iter().map(|s| s.0).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert!(got.iter().all(|s| s.1 == 200_000 && s.2.cbytes > 0));
}
