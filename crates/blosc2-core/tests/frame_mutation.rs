//! Truncated, corrupted and lying frames give `Ok` or a typed error, never a panic and never
//! an allocation sized from an unchecked field: every truncation and byte flips at every
//! position of small frame fixtures (sampled positions of larger ones), then every chunk,
//! chunk header and vlmetalayer of whatever still opens is read.

mod common;

use std::path::PathBuf;

use blosc2_core::frame::Frame;
use blosc2_core::Error;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fixtures")
}

/// Opens `bytes` and reads everything; returns whether it opened.
fn exercise(bytes: Vec<u8>) -> bool {
    let Ok(f) = Frame::from_bytes(bytes) else { return false };
    exercise_frame(&f);
    true
}

fn exercise_frame(f: &Frame) {
    for name in f.vlmetalayers().names() {
        let _ = f.vlmetalayers().get(name);
    }
    for i in 0..f.nchunks().min(8) {
        match f.chunk_info(i) {
            // Big claims are legal (a special chunk of 2 GiB is 32 bytes); skip decoding them
            // to keep the test fast.
            Ok(info) if info.nbytes <= 1 << 24 => {
                let _ = f.decompress_chunk(i);
            }
            Ok(_) => {}
            Err(e) => assert_typed(&e),
        }
    }
}

fn assert_typed(e: &Error) {
    // Every error must name what is wrong; Display must not panic either.
    assert!(!e.to_string().is_empty());
    assert!(e.code() < 0);
}

fn positions(len: usize, dense_below: usize) -> Vec<usize> {
    if len <= dense_below {
        (0..len).collect()
    } else {
        let mut v: Vec<usize> = (0..200).collect();
        v.extend((len - 200..len).rev());
        v.extend((0..len).step_by(len / 100 + 1));
        v.sort_unstable();
        v.dedup();
        v
    }
}

fn contiguous_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["frames", "b2nd"] {
        let mut names: Vec<_> = std::fs::read_dir(fixtures_dir().join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".bin"))
            .collect();
        names.sort();
        for p in names {
            let b = std::fs::read(&p).unwrap();
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), b));
        }
    }
    out
}

#[test]
fn truncated_frames_fail_with_typed_errors() {
    for (name, bytes) in contiguous_fixtures() {
        for cut in positions(bytes.len(), 2500) {
            match Frame::from_bytes(bytes[..cut].to_vec()) {
                Ok(_) => panic!("{name}: truncated to {cut} bytes still opens"),
                Err(e) => assert_typed(&e),
            }
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let mut opened = 0;
    let mut total = 0;
    for (name, bytes) in contiguous_fixtures() {
        let _ = &name;
        for at in positions(bytes.len(), 1200) {
            for mask in [0xffu8, 0x01] {
                let mut b = bytes.clone();
                b[at] ^= mask;
                total += 1;
                if exercise(b) {
                    opened += 1;
                }
            }
        }
    }
    assert!(total > 1000);
    assert!(opened > 0);
}

#[test]
fn lying_sizes_are_rejected() {
    let bytes = std::fs::read(fixtures_dir().join("frames/schunk-basic-lz4.b2frame")).unwrap();
    let set = |at: usize, v: &[u8]| {
        let mut b = bytes.clone();
        b[at..at + v.len()].copy_from_slice(v);
        b
    };
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("header_len huge", set(11, &i32::MAX.to_be_bytes())),
        ("header_len small", set(11, &50i32.to_be_bytes())),
        ("frame_len huge", set(16, &u64::MAX.to_be_bytes())),
        ("nbytes huge", set(30, &(i64::MAX / 2).to_be_bytes())),
        ("cbytes huge", set(39, &(1i64 << 40).to_be_bytes())),
        ("chunksize 1", set(58, &1i32.to_be_bytes())),
        ("chunksize -7", set(58, &(-7i32).to_be_bytes())),
        ("typesize 0", set(48, &0i32.to_be_bytes())),
        ("metalayer count", set(92, &[0xff, 0xff])),
        ("metalayer offset", set(0x62, &0x7fff_ffffi32.to_be_bytes())),
        ("trailer len", set(bytes.len() - 22, &u32::MAX.to_be_bytes())),
        ("trailer len small", set(bytes.len() - 22, &3u32.to_be_bytes())),
    ];
    for (what, b) in cases {
        match Frame::from_bytes(b) {
            Ok(_) => panic!("{what}: accepted"),
            Err(e) => {
                assert!(matches!(e, Error::InvalidFrame { .. } | Error::NotAFrame { .. }), "{what}: {e:?}");
            }
        }
    }
    // An offset pointing past the chunks section: the offsets chunk of this frame is
    // memcpyed (flags 0x17), so its values sit in plain sight after its 32-byte header.
    let off_pos = 134 + 1749 + 32 + 8;
    let b = set(off_pos, &100_000i64.to_le_bytes());
    assert!(matches!(Frame::from_bytes(b), Err(Error::InvalidFrame { .. })));
    let b = set(off_pos, &(0x8000_0000_0000_0000u64 as i64).to_le_bytes());
    assert!(matches!(Frame::from_bytes(b), Err(Error::InvalidFrame { .. })));
}

#[test]
fn damaged_sparse_frames_fail_with_typed_errors() {
    let tmp = common::TempDir::new("sframe-mutation");
    let src = fixtures_dir().join("sframes/schunk-sparse.b2frame");
    let copy = |name: &str| {
        let d = tmp.0.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, d.join(p.file_name().unwrap())).unwrap();
        }
        d
    };
    // A missing chunk file and a truncated one: opening works, reading those chunks fails.
    let d = copy("missing");
    std::fs::remove_file(d.join("00000003.chunk")).unwrap();
    let f = Frame::open(&d).unwrap();
    assert!(matches!(f.chunk(1), Err(Error::Io { .. })));
    let d = copy("truncated");
    let c = std::fs::read(d.join("00000000.chunk")).unwrap();
    std::fs::write(d.join("00000000.chunk"), &c[..c.len() / 2]).unwrap();
    let f = Frame::open(&d).unwrap();
    assert!(f.chunk(0).is_err());
    assert!(f.chunk_info(0).is_err());
    // Every truncation and flip of the index.
    let d = copy("index");
    let index = std::fs::read(src.join("chunks.b2frame")).unwrap();
    for cut in 0..index.len() {
        std::fs::write(d.join("chunks.b2frame"), &index[..cut]).unwrap();
        assert!(Frame::open(&d).is_err(), "cut {cut}");
    }
    for at in 0..index.len() {
        let mut b = index.clone();
        b[at] ^= 0xff;
        std::fs::write(d.join("chunks.b2frame"), &b).unwrap();
        if let Ok(f) = Frame::open(&d) {
            exercise_frame(&f);
        }
    }
}

fn crash_params() -> blosc2_core::chunk::CompressParams {
    blosc2_core::chunk::CompressParams {
        codec: blosc2_core::codec::CodecId::LZ4,
        typesize: 4,
        ..blosc2_core::chunk::CompressParams::default()
    }
}

fn crash_chunk(n: u64) -> Vec<u8> {
    (0..1000u32).flat_map(|v| (v.wrapping_mul(n as u32 + 1) ^ n as u32).to_le_bytes()).collect()
}

/// Child mode of `killed_appends_keep_every_returned_chunk`: appends to the frame named by
/// `B2_CRASH_FRAME` until killed, printing the number of chunks after each append returns.
#[test]
fn crash_writer_child() {
    use std::io::Write;
    let Ok(path) = std::env::var("B2_CRASH_FRAME") else { return };
    let mut s = blosc2_core::schunk::SChunk::open_mut(&path).unwrap();
    let mut out = std::io::stdout();
    loop {
        let n = s.nchunks();
        if n % 7 == 5 {
            s.append_special(blosc2_core::chunk::SpecialKind::Zeros, 4000, &[]).unwrap();
        } else {
            s.append_buffer(&crash_chunk(n)).unwrap();
        }
        if n.is_multiple_of(11) {
            s.vlmetalayers_mut().set("count", &n.to_le_bytes()).unwrap();
            s.flush().unwrap();
        }
        writeln!(out, "appended {}", n + 1).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn killed_appends_keep_every_returned_chunk() {
    use std::io::BufRead;
    let tmp = common::TempDir::new("crash-appends");
    // More rounds on demand: B2_CRASH_ROUNDS=200 cargo test --test frame_mutation killed
    let rounds = std::env::var("B2_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5u64);
    for round in 0..rounds {
        let sparse = round % 2 == 1;
        let path = tmp.0.join(format!("crash-{round}.b2frame"));
        let mut s = blosc2_core::schunk::SChunk::new(crash_params());
        s.metalayers_mut().add("round", &round.to_le_bytes()).unwrap();
        s.append_buffer(&crash_chunk(0)).unwrap();
        drop(if sparse { s.into_sparse(&path).unwrap() } else { s.into_file(&path).unwrap() });
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["crash_writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env("B2_CRASH_FRAME", &path)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let target = 5 + round * 23 % 150;
        let mut returned = 0u64;
        while returned < target {
            match lines.next() {
                Some(Ok(l)) => {
                    if let Some(n) = l.strip_prefix("appended ") {
                        returned = n.parse().unwrap();
                    }
                }
                _ => panic!("writer stopped early"),
            }
        }
        std::thread::sleep(std::time::Duration::from_micros(137 * round % 2000));
        child.kill().unwrap();
        child.wait().unwrap();
        for l in lines.map_while(Result::ok) {
            if let Some(n) = l.strip_prefix("appended ") {
                returned = n.parse().unwrap();
            }
        }
        let f = Frame::open(&path).unwrap_or_else(|e| panic!("round {round}: killed writer left a broken frame: {e}"));
        assert!(f.nchunks() >= returned, "round {round}: {} chunks, {returned} returned", f.nchunks());
        for i in 0..f.nchunks() {
            let want = if i % 7 == 5 { vec![0u8; 4000] } else { crash_chunk(i) };
            assert_eq!(f.decompress_chunk(i).unwrap(), want, "round {round}: chunk {i}");
        }
        assert_eq!(f.metalayers().get("round"), Some(&round.to_le_bytes()[..]));
        // The frame takes further appends.
        let mut s = blosc2_core::schunk::SChunk::open_mut(&path).unwrap();
        let n = s.nchunks();
        s.append_buffer(&crash_chunk(n)).unwrap();
        assert_eq!(Frame::open(&path).unwrap().decompress_chunk(n).unwrap(), crash_chunk(n));
    }
}
