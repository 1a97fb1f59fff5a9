//! Any bytes decoded as a metalayer / vlmetalayer msgpack value
//! (`blosc2_core::schunk::meta::unpack_value`), then as a b2nd metalayer. Ok or a typed
//! error; decoded values re-encode and decode to themselves.
#![no_main]

use blosc2_core::schunk::meta::{pack_value, unpack_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = unpack_value("fuzz", data) {
        let again = pack_value("fuzz", &v).expect("a decoded value encodes");
        let back = unpack_value("fuzz", &again).expect("an encoded value decodes");
        // NaN floats are not equal to themselves; compare the encodings instead.
        assert_eq!(pack_value("fuzz", &back).unwrap(), again);
    }
    let _ = blosc2_nd::B2ndMeta::decode(data);
});
