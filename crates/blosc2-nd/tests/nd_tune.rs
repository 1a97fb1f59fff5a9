//! Arrays written through a tuner: chunk by chunk, with the tuner's codec, filters and
//! clevel, the array's typesize and block size; the values read back are those written.

use std::sync::{Arc, Mutex};

use blosc2_core::chunk::{ChunkHeader, CompressParams};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use blosc2_core::tune::{ChunkInput, Outcome, Tuner};
use blosc2_nd::{ArrayWriter, DType, NdArray, Options, Region};
use blosc2_testkit::temp_dir;

struct Cycle(Arc<Mutex<Vec<u64>>>);

impl Tuner for Cycle {
    fn next_params(&mut self, chunk: &ChunkInput<'_>) -> CompressParams {
        let i = chunk.index as usize;
        assert!(chunk.fixed.blocksize);
        let filters = [Pipeline::default(), Pipeline::single(FilterId::BITSHUFFLE), Pipeline::shuffle()];
        CompressParams {
            codec: CodecId::ALL[i % 5],
            clevel: 1 + (i % 9) as u8,
            filters: filters[i % 3],
            typesize: 1,
            blocksize: 1000,
            ..chunk.base.clone()
        }
    }
    fn update(&mut self, outcome: &Outcome) {
        self.0.lock().unwrap().push(outcome.index);
    }
}

fn values(n: usize) -> Vec<u8> {
    (0..n as u64).flat_map(|k| (k * k / 7).to_le_bytes()).collect()
}

#[test]
fn tuned_arrays_read_back_what_was_written() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let dtype = DType::parse("<u8").unwrap();
    let opts = Options::new().chunks(&[40, 50]).blocks(&[10, 25]);
    let data = values(100 * 120);
    let mut a = NdArray::from_bytes_tuned(&[100, 120], &dtype, &data, &opts, Box::new(Cycle(seen.clone()))).unwrap();
    assert_eq!(a.to_bytes().unwrap(), data);
    assert_eq!(*seen.lock().unwrap(), (0..9).collect::<Vec<u64>>());
    for i in 0..a.nchunks() {
        let h = ChunkHeader::parse(&a.schunk().chunk(i).unwrap()).unwrap();
        assert_eq!((h.typesize, h.blocksize_field), (8, 10 * 25 * 8), "chunk {i}");
        assert_eq!(h.filters.filters[5], [0, 2, 1][i as usize % 3], "chunk {i}");
    }
    // A box write goes through the tuner too, for the chunks it touches.
    let r = Region::from_start_shape(&[30, 40], &[20, 20]).unwrap();
    a.write_box(&r, &vec![9u8; 400 * 8]).unwrap();
    assert_eq!(seen.lock().unwrap()[9..], [0, 1, 3, 4]);
    assert_eq!(a.read_box(&r).unwrap(), vec![9u8; 400 * 8]);

    let dir = temp_dir!("nd-tune");
    let path = dir.join("w.b2nd");
    let mut w = ArrayWriter::create(&path, &[100, 120], &dtype, &opts).unwrap();
    w.set_tuner(Some(Box::new(Cycle(seen.clone()))));
    let chunk: Vec<u8> = values(40 * 50);
    for _ in 0..9 {
        w.append_chunk(&chunk).unwrap();
    }
    w.finish().unwrap();
    let b = NdArray::open(&path).unwrap();
    for i in 0..9 {
        assert_eq!(b.schunk().decompress_chunk(i).unwrap(), chunk, "chunk {i}");
    }
}
