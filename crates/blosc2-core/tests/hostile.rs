//! Hostile sizes, hand-built: chunk headers claiming 2 GiB in a few bytes, frame headers
//! claiming 2^63 bytes, offsets chunks claiming billions of chunks, offsets past the end,
//! every offset pointing at one chunk. Each invalid input gives a typed error, each legal
//! claim reads what the input holds, all without allocating beyond 64 MiB and within a
//! second; a counting global allocator measures every case.

use blosc2_core::chunk::{self, CompressParams};
use blosc2_core::codec::CodecId;
use blosc2_core::frame::Frame;
use blosc2_core::schunk::SChunk;
use blosc2_core::Error;
use blosc2_testkit::corrupt::patched;
use blosc2_testkit::data::random_bytes;
use blosc2_testkit::fs::testdata;
use blosc2_testkit::{alloc, temp_dir};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(testdata("fixtures/frames").join(name)).unwrap()
}

/// Runs `f` under the bounds (64 MiB above the start, one second) and checks that any
/// error is typed.
fn bounded<T>(what: &str, f: impl FnOnce() -> Result<T, Error>) -> Option<T> {
    bounded_above(what, 0, f)
}

/// As [`bounded`], allowing `justified` heap bytes more.
fn bounded_above<T>(what: &str, justified: usize, f: impl FnOnce() -> Result<T, Error>) -> Option<T> {
    let (r, cost) = alloc::measure(f);
    alloc::check(cost, justified, &what);
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(e.code() < 0 && !e.to_string().is_empty(), "{what}: {e:?}");
            None
        }
    }
}

/// As [`bounded`], for an invalid input: `f` must fail with a typed error.
fn rejected<T>(what: &str, f: impl FnOnce() -> Result<T, Error>) {
    assert!(bounded(what, f).is_none(), "{what}: accepted");
}

/// A 32-byte extended chunk header (`shared/spec/chunk.md` 2) followed by `body`.
fn chunk_with(
    flags: u8,
    typesize: u8,
    nbytes: i32,
    blocksize: i32,
    cbytes: i32,
    blosc2_flags: u8,
    body: &[u8],
) -> Vec<u8> {
    let mut c = vec![2u8, 1, flags, typesize];
    c.extend_from_slice(&nbytes.to_le_bytes());
    c.extend_from_slice(&blocksize.to_le_bytes());
    c.extend_from_slice(&cbytes.to_le_bytes());
    c.extend_from_slice(&[0; 16]);
    c[31] = blosc2_flags;
    c.extend_from_slice(body);
    c
}

/// The block starts of `nblocks` blocks all pointing past them, where a stream of 12 bytes
/// claims to be the first block's only split.
fn big_block_body(nblocks: usize) -> Vec<u8> {
    let at = 32 + 4 * nblocks as i32;
    let mut b: Vec<u8> = vec![at; nblocks].iter().flat_map(|v| v.to_le_bytes()).collect();
    b.extend_from_slice(&12i32.to_le_bytes());
    b.extend_from_slice(&[0x1f, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    b
}

#[test]
fn chunks_claiming_two_gib_fail_without_allocating() {
    let _g = alloc::lock();
    // The largest nbytes a chunk may claim (2 GiB less the 32-byte header, as in C-Blosc2):
    // above it the header alone is refused, before any of the claims below is looked at.
    let max = i32::MAX - 32;
    // flags 0x01 (byte shuffle off) | 0x10 (dont split), codec 0 in bits 5-7; extended
    // header flags (0x04 | 0x01 = 0x05 needs the extended bit): C writes 0x05|... for v2.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("2 GiB of blosclz in 48 bytes", chunk_with(0x15, 1, max, 536_866_816, 48, 0, &[0; 16])),
        ("2 GiB blocks of 1 byte", chunk_with(0x15, 1, max, 1, 48, 0, &[0; 16])),
        ("2 GiB memcpyed in 48 bytes", chunk_with(0x17, 1, max, 536_866_816, 48, 0, &[0; 16])),
        ("cbytes past the end", chunk_with(0x15, 1, 1000, 1000, max, 0, &[0; 16])),
        ("negative nbytes", chunk_with(0x15, 1, -5, 16, 48, 0, &[0; 16])),
        ("negative blocksize", chunk_with(0x15, 1, 1000, -1, 48, 0, &[0; 16])),
        ("zero blocksize", chunk_with(0x15, 1, 1000, 0, 48, 0, &[0; 16])),
        ("2 GiB block starts", chunk_with(0x15, 8, max, 8, 32, 0, &[])),
    ];
    // None of them is a valid chunk: every read fails.
    for (what, c) in cases {
        rejected(what, || chunk::getitems(&c, 0, 1));
        rejected(what, || chunk::decompress_block(&c, 0));
        rejected(what, || chunk::decompress_range(&c, 1000, &mut [0; 8]));
        rejected(what, || chunk::decompress(&c));
        let mut small = vec![0u8; 1024];
        rejected(what, || chunk::decompress_into(&c, &mut small, 1));
    }
    // 2 GiB in 128 blocks of 16 MiB, every block start at one 12-byte stream: structurally
    // sound, so the block reads allocate the claimed block (16 MiB, within the bound) before
    // the stream fails to fill it, and whole decompression allocates the claimed 2 GiB
    // output first (justified by the checked nbytes, as the corruption suite counts it).
    let c = chunk_with(0x15, 1, max, 16 << 20, 32 + 4 * 128 + 16, 0, &big_block_body(128));
    let what = "16 MiB blocks with a 12-byte stream";
    rejected(what, || chunk::getitems(&c, 0, 1));
    rejected(what, || chunk::decompress_block(&c, 0));
    rejected(what, || chunk::decompress_range(&c, 1000, &mut [0; 8]));
    assert!(bounded_above(what, max as usize, || chunk::decompress(&c)).is_none(), "{what}: accepted");
    rejected(what, || chunk::decompress_into(&c, &mut [0u8; 1024], 1));
}

#[test]
fn frame_headers_claiming_two_to_the_63_are_rejected() {
    let _g = alloc::lock();
    let base = fixture("schunk-basic-lz4.b2frame");
    let big = &(i64::MAX).to_be_bytes();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("frame_len 2^63", patched(&base, 16, &(1u64 << 63).to_be_bytes())),
        ("frame_len max", patched(&base, 16, &u64::MAX.to_be_bytes())),
        ("nbytes 2^63-1", patched(&base, 30, big)),
        ("cbytes 2^63-1", patched(&base, 39, big)),
        ("nbytes -1", patched(&base, 30, &(-1i64).to_be_bytes())),
        ("cbytes -1", patched(&base, 39, &(-1i64).to_be_bytes())),
        ("header_len max", patched(&base, 11, &i32::MAX.to_be_bytes())),
        ("header_len -1", patched(&base, 11, &(-1i32).to_be_bytes())),
        ("chunksize max", patched(&base, 58, &i32::MAX.to_be_bytes())),
        ("trailer length max", patched(&base, base.len() - 22, &u32::MAX.to_be_bytes())),
    ];
    for (what, b) in cases {
        rejected(what, || Frame::from_bytes(b.clone()));
        rejected(what, || SChunk::from_cframe(b.clone()).map(drop));
    }
    // The header's block size and type size only describe the chunks, which carry their
    // own: huge values are legal to open, and every chunk reads as in the original frame.
    let original = Frame::from_bytes(base.clone()).unwrap();
    for (what, b) in [
        ("blocksize max", patched(&base, 53, &i32::MAX.to_be_bytes())),
        ("typesize max", patched(&base, 48, &i32::MAX.to_be_bytes())),
    ] {
        let f = bounded(what, || Frame::from_bytes(b.clone())).unwrap_or_else(|| panic!("{what}: rejected"));
        assert_eq!(f.nchunks(), original.nchunks(), "{what}");
        for i in 0..f.nchunks() {
            let got = bounded(what, || f.decompress_chunk(i)).unwrap_or_else(|| panic!("{what}: chunk {i} unreadable"));
            assert_eq!(got, original.decompress_chunk(i).unwrap(), "{what}: chunk {i}");
        }
        bounded(what, || SChunk::from_cframe(b.clone()).map(drop)).unwrap_or_else(|| panic!("{what}: not loaded"));
    }
}

/// `schunk-fill-zeros.b2frame`: 11 zero chunks of 8000 bytes, all special offsets, stored
/// as one repeated-value offsets chunk at byte 97 (its nbytes at 101).
fn billions_of_chunks(n: u64) -> Vec<u8> {
    let base = fixture("schunk-fill-zeros.b2frame");
    let b = patched(&base, 30, &((n * 8000) as i64).to_be_bytes());
    patched(&b, 101, &((n * 8) as i32).to_le_bytes())
}

#[test]
fn chunk_counts_in_the_hundreds_of_millions_cost_nothing_to_open() {
    let _g = alloc::lock();
    let n = 260_000_000u64;
    let b = billions_of_chunks(n);
    let f = bounded("open", || Frame::from_bytes(b.clone())).expect("a legal frame of zero chunks");
    assert_eq!(f.nchunks(), n);
    let info = bounded("last chunk", || f.chunk_info(n - 1)).unwrap();
    assert_eq!(info.nbytes, 8000);
    bounded("last chunk data", || f.decompress_chunk(n - 1)).unwrap();
    rejected("past the end", || f.chunk_info(n).map(drop));
    // Loading it into memory would need a chunk table of n entries: a typed error.
    let r = bounded("load", || SChunk::from_cframe(b.clone()).map(drop));
    assert!(r.is_none(), "a 172-byte frame cannot justify a table of {n} chunks");
    // The frame as written (11 chunks) still loads.
    let s = SChunk::from_cframe(billions_of_chunks(11)).unwrap();
    assert_eq!(s.decompress_chunk(10).unwrap(), vec![0; 8000]);
    // Lazily opened from a file, it reads like any frame.
    let tmp = temp_dir!("hostile-count");
    let path = tmp.0.join("many.b2frame");
    std::fs::write(&path, &b).unwrap();
    let s = bounded("open lazily", || SChunk::open(&path)).unwrap();
    let items = bounded("slice at the end", || s.get_slice(n * 1000 - 4, n * 1000)).unwrap();
    assert_eq!(items, vec![0; 32]);
    // More chunks than one offsets chunk can list: rejected from the header alone.
    let b = patched(&b, 30, &(i64::MAX - 7).to_be_bytes());
    rejected("too many chunks", || Frame::from_bytes(b.clone()).map(drop));
}

/// A contiguous frame with 4 chunks written by us, its offsets chunk stored memcpyed
/// (typesize 8, no filters) so its values can be patched.
fn four_chunk_frame() -> (Vec<u8>, usize) {
    let p = CompressParams { codec: CodecId::LZ4, typesize: 4, ..CompressParams::default() };
    let mut s = SChunk::new(p);
    for k in 0..4 {
        s.append_buffer(&random_bytes(4000, k)).unwrap();
    }
    let b = s.to_cframe().unwrap();
    let f = Frame::from_bytes(b.clone()).unwrap();
    let pos = f.header().header_len + f.header().cbytes as usize;
    (b, pos)
}

#[test]
fn offsets_past_the_end_or_repeated_are_handled() {
    let _g = alloc::lock();
    let (b, pos) = four_chunk_frame();
    let h = blosc2_core::header::ChunkHeader::parse(&b[pos..]).unwrap();
    assert!(h.is_memcpyed(), "offsets chunk of random data is stored memcpyed");
    let at = |i: usize| pos + h.header_len() + 8 * i;
    let first = i64::from_le_bytes(b[at(0)..at(0) + 8].try_into().unwrap());
    for (what, v) in [("past the end", 1i64 << 40), ("far past the end", i64::MAX), ("just past the end", 1 << 14)] {
        let bad = patched(&b, at(2), &v.to_le_bytes());
        // A frame opened for reading checks its offsets a block at a time, when a chunk of
        // that block is first asked for: the frame opens, reading the chunk is refused.
        let f = bounded(what, || Frame::from_bytes(bad.clone())).expect("offsets are checked when read");
        rejected(what, || f.decompress_chunk(2).map(drop));
        rejected(what, || f.chunk_info(2).map(drop));
        rejected(what, || SChunk::from_cframe(bad.clone()).map(drop));
    }
    // Every offset pointing at the first chunk (a cycle over one chunk): legal (the chunks
    // are all the same size, so the nbytes total adds up), and every read gives that chunk.
    let mut cycle = b.clone();
    for i in 0..4 {
        cycle[at(i)..at(i) + 8].copy_from_slice(&first.to_le_bytes());
    }
    let chunk0 = random_bytes(4000, 0);
    let f = bounded("cycle", || Frame::from_bytes(cycle.clone())).expect("cycle: rejected");
    for i in 0..4 {
        assert_eq!(bounded("cycle read", || f.decompress_chunk(i)).as_ref(), Some(&chunk0), "cycle: chunk {i}");
    }
    let s = bounded("cycle load", || SChunk::from_cframe(cycle.clone())).expect("cycle: not loaded");
    assert_eq!(s.decompress_chunk(3).unwrap(), chunk0);
    // An offset pointing into the middle of another chunk: rejected when opened or when
    // that chunk is read.
    let mid = patched(&b, at(1), &(first + 17).to_le_bytes());
    if let Some(f) = bounded("mid", || Frame::from_bytes(mid.clone())) {
        rejected("mid read", || f.decompress_chunk(1).map(drop));
    }
}

/// A `checksums` vlmetalayer that is a zero chunk claiming 2 GiB: opening and verifying
/// must not decode it (a table for 2 chunks needs 8 bytes).
#[test]
fn an_oversized_checksum_table_is_not_decoded() {
    let _g = alloc::lock();
    let p = CompressParams::default();
    let mut s = SChunk::new(p.clone());
    s.append_buffer(&[1; 1000]).unwrap();
    s.append_buffer(&[2; 1000]).unwrap();
    let huge = chunk::special::zeros(&p, i32::MAX as usize - 64).unwrap();
    s.vlmetalayers_mut().set_chunk(blosc2_core::schunk::checksum::NAME, huge).unwrap();
    let b = s.to_cframe().unwrap();
    let loaded = bounded("load", || SChunk::from_cframe(b.clone())).unwrap();
    assert!(!loaded.has_checksums());
    let (problem, cost) = alloc::measure(|| loaded.verify(true));
    alloc::check(cost, 0, &"verify");
    assert!(matches!(problem, Some(blosc2_core::schunk::checksum::Problem::Table { .. })), "{problem:?}");
}
