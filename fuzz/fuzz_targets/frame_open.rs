//! Any bytes opened as a contiguous frame: header, trailer, metalayers, vlmetalayers, the
//! chunk metadata walk and every chunk read. Ok or a typed error.
#![no_main]

#[path = "claims.rs"]
mod claims;

use blosc2_core::frame::Frame;
use claims::claims_too_many_chunks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if claims_too_many_chunks(data) {
        return;
    }
    let Ok(frame) = Frame::from_bytes(data.to_vec()) else { return };
    for (name, _) in frame.metalayers().iter() {
        let _ = frame.metalayers().get_value(name);
    }
    let names: Vec<String> = frame.vlmetalayers().names().map(str::to_owned).collect();
    for name in names {
        let _ = frame.vlmetalayers().get_value(&name);
    }
    for info in frame.chunk_infos().take(4096) {
        let _ = info;
    }
    for i in 0..frame.nchunks().min(256) {
        if let Ok(info) = frame.chunk_info(i) {
            if info.nbytes > 1 << 22 {
                continue;
            }
        }
        let _ = frame.decompress_chunk(i);
    }
});
