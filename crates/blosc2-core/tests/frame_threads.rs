//! Frames and super-chunks opened read-only are `Send + Sync` and serve reads from several
//! threads at once (positioned reads, no shared cursor).

use blosc2_core::chunk::CompressParams;
use blosc2_core::codec::CodecId;
use blosc2_core::frame::Frame;
use blosc2_core::schunk::SChunk;
use blosc2_testkit::data::smooth_bytes;
use blosc2_testkit::temp_dir;

/// Compile-time check: these types can be shared between threads.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Frame>();
    send_sync::<SChunk>();
    send_sync::<blosc2_core::frame::FrameWriter>();
};

#[test]
fn read_only_frames_serve_many_threads() {
    let tmp = temp_dir!("threads");
    let params = CompressParams { codec: CodecId::ZSTD, typesize: 8, ..CompressParams::default() };
    let mut s = SChunk::new(params);
    let chunk = |k: usize| smooth_bytes(80_000 + k * 8).split_off(k * 8);
    for k in 0..40 {
        s.append_buffer(&chunk(k)).unwrap();
    }
    let file = tmp.0.join("t.b2frame");
    let dir = tmp.0.join("t-sparse.b2frame");
    s.save(&file).unwrap();
    s.save_sparse(&dir).unwrap();
    for path in [&file, &dir] {
        let ro = SChunk::open(path).unwrap();
        let frame = Frame::open(path).unwrap();
        std::thread::scope(|sc| {
            for t in 0..4 {
                let (ro, frame) = (&ro, &frame);
                sc.spawn(move || {
                    for round in 0..3 {
                        for k in (0..40).map(|k| (k * 7 + t * 11 + round) % 40) {
                            assert_eq!(ro.decompress_chunk(k as u64).unwrap(), chunk(k), "thread {t} chunk {k}");
                            assert_eq!(frame.chunk_info(k as u64).unwrap().nbytes, 80_000);
                            let items = ro.get_slice(k as u64 * 10_000 + 5, k as u64 * 10_000 + 15).unwrap();
                            assert_eq!(items, chunk(k)[40..120]);
                        }
                    }
                });
            }
        });
    }
}
