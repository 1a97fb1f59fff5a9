//! Truncated, corrupted and lying frames give `Ok` or a typed error, never a panic and never
//! an allocation sized from an unchecked field: every truncation and byte flips at every
//! position of small frame fixtures (sampled positions of larger ones), then every chunk,
//! chunk header and vlmetalayer of whatever still opens is read. Writers killed with
//! SIGKILL while appending, inserting, updating or deleting leave frames that open and hold
//! every acknowledged change (`killed_writers_keep_every_acknowledged_change`).

use blosc2_core::frame::Frame;
use blosc2_core::Error;
use blosc2_testkit::data::{random_bytes, sm64};
use blosc2_testkit::fs::testdata;
use blosc2_testkit::temp_dir;

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
        let mut names: Vec<_> = std::fs::read_dir(testdata("fixtures").join(sub))
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
    let bytes = std::fs::read(testdata("fixtures").join("frames/schunk-basic-lz4.b2frame")).unwrap();
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
    // An offset pointing past the chunks section, or an unknown special value: the offsets
    // chunk of this frame is memcpyed (flags 0x17), so its values sit in plain sight after
    // its 32-byte header. Offsets are decoded and checked a block at a time when first
    // used, so the frame opens and reading chunk 1 is refused.
    let off_pos = 134 + 1749 + 32 + 8;
    for bad in [100_000i64, 0x8000_0000_0000_0000u64 as i64] {
        let f = Frame::from_bytes(set(off_pos, &bad.to_le_bytes())).unwrap();
        assert!(matches!(f.decompress_chunk(1), Err(Error::InvalidFrame { .. })), "offset {bad:#x}");
        assert!(matches!(f.chunk_info(1), Err(Error::InvalidFrame { .. })), "offset {bad:#x}");
    }
}

#[test]
fn damaged_sparse_frames_fail_with_typed_errors() {
    let tmp = temp_dir!("sframe-mutation");
    let src = testdata("fixtures").join("sframes/schunk-sparse.b2frame");
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

/// What a chunk of the crash test holds: data derived from a key, or zeros (a special
/// chunk, stored as a special offset while the frame has a fixed chunk size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Key(u64),
    Zeros,
}

impl Content {
    fn bytes(self) -> Vec<u8> {
        match self {
            // One key in 29 gives a half-size chunk: the frame turns variable-size and its
            // special offsets are materialized, a multi-commit change.
            Content::Key(k) => {
                let n = if k.is_multiple_of(29) { 500 } else { 1000 };
                (0..n).flat_map(|v: u32| (v.wrapping_mul(k as u32 | 1) ^ (k >> 7) as u32).to_le_bytes()).collect()
            }
            Content::Zeros => vec![0u8; 4000],
        }
    }
}

/// One change the crash child makes; chosen from `(seed, step, nchunks)` alone so the
/// parent can replay it.
#[derive(Debug, Clone, Copy)]
enum CrashOp {
    Append(Content),
    Insert(u64, Content),
    Update(u64, Content),
    Delete(u64),
    /// Set the `count` vlmetalayer and flush.
    Vlmeta(u64),
}

fn crash_op(seed: u64, step: u64, n: u64) -> CrashOp {
    let r = sm64(seed, step);
    let key = (seed << 20) + step;
    let content = if (r >> 40).is_multiple_of(9) { Content::Zeros } else { Content::Key(key) };
    let at = (r >> 8) % n.max(1);
    match r % 100 {
        _ if n == 0 => CrashOp::Append(content),
        k if k < 30 && n > 60 => CrashOp::Delete(at),
        0..35 => CrashOp::Append(content),
        35..55 => CrashOp::Insert((r >> 8) % (n + 1), content),
        55..85 => CrashOp::Update(at, content),
        // Vlmeta flushes (with an fsync) are rare: they would take most of the children's
        // time and most kills would land in the fsync, after the commit.
        85..97 => CrashOp::Delete(at),
        _ => CrashOp::Vlmeta(key),
    }
}

/// The logical content of a frame: chunks and the `count` vlmetalayer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Model {
    chunks: Vec<Content>,
    count: Option<u64>,
}

impl Model {
    fn apply(&mut self, op: CrashOp) {
        match op {
            CrashOp::Append(c) => self.chunks.push(c),
            CrashOp::Insert(i, c) => self.chunks.insert(i as usize, c),
            CrashOp::Update(i, c) => self.chunks[i as usize] = c,
            CrashOp::Delete(i) => {
                self.chunks.remove(i as usize);
            }
            CrashOp::Vlmeta(k) => self.count = Some(k),
        }
    }

    /// Whether frame `f` holds exactly this content.
    fn matches(&self, f: &Frame) -> bool {
        if f.nchunks() != self.chunks.len() as u64 {
            return false;
        }
        let count = f.vlmetalayers().get("count").ok().map(|b| u64::from_le_bytes(b.try_into().unwrap()));
        count == self.count
            && self.chunks.iter().enumerate().all(|(i, c)| f.decompress_chunk(i as u64).ok() == Some(c.bytes()))
    }
}

fn apply_to_schunk(s: &mut blosc2_core::schunk::SChunk, op: CrashOp) {
    use blosc2_core::chunk::SpecialKind;
    let chunk = |s: &blosc2_core::schunk::SChunk, c: Content| match c {
        Content::Key(_) => blosc2_core::chunk::compress(s.cparams(), &c.bytes()).unwrap(),
        Content::Zeros => s.special_chunk(SpecialKind::Zeros, 4000, &[]).unwrap(),
    };
    match op {
        CrashOp::Append(c) => {
            s.append_chunk(chunk(s, c)).unwrap();
        }
        CrashOp::Insert(i, c) => {
            s.insert_chunk(i, chunk(s, c)).unwrap();
        }
        CrashOp::Update(i, c) => s.update_chunk(i, chunk(s, c)).unwrap(),
        CrashOp::Delete(i) => {
            s.delete_chunk(i).unwrap();
        }
        CrashOp::Vlmeta(k) => {
            s.vlmetalayers_mut().set("count", &k.to_le_bytes()).unwrap();
            s.flush().unwrap();
        }
    }
}

/// Child process of `killed_writers_keep_every_acknowledged_change` (not a test: run by it
/// as this binary with `--ignored --exact crash_writer_child`; alone, it fails): opens the
/// frame named by `B2_CRASH_FRAME`, prints `ready`, then makes the changes
/// `crash_op(B2_CRASH_SEED, 0..)` until killed, printing each step number after its call
/// returns (the acknowledgement).
#[test]
#[ignore = "child process of killed_writers_keep_every_acknowledged_change"]
fn crash_writer_child() {
    use std::io::Write;
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: this helper only runs as a child of another test"))
    };
    let path = var("B2_CRASH_FRAME");
    let seed: u64 = var("B2_CRASH_SEED").parse().unwrap();
    let mut s = blosc2_core::schunk::SChunk::open_mut(&path).unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    for step in 0.. {
        let op = crash_op(seed, step, s.nchunks());
        apply_to_schunk(&mut s, op);
        writeln!(out, "{step}").unwrap();
        out.flush().unwrap();
    }
}

/// Kills a child process when dropped (a failing assertion must not leave it running).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The crash test: children append, insert, update, delete chunks and rewrite
/// vlmetalayers of an on-disk frame (contiguous and sparse, alternately) and are killed
/// with SIGKILL after a random delay; after each kill the frame opens and holds exactly the
/// content after the last acknowledged change, or after the one in flight. The frames live
/// on across kills (each child reopens what the last one left) and are recreated every 40
/// kills. `B2_CRASH_ROUNDS` sets the number of kills (default 240).
#[test]
fn killed_writers_keep_every_acknowledged_change() {
    use std::io::BufRead;
    let tmp = temp_dir!("crash-writers");
    let rounds = std::env::var("B2_CRASH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(240u64);
    let mut models = [Model::default(), Model::default()];
    let mut paths = [tmp.0.join("none"), tmp.0.join("none")];
    let (mut acked_total, mut in_flight_seen, mut ops_by_kind) = (0u64, 0u64, [0u64; 5]);
    for round in 0..rounds {
        let kind = (round % 2) as usize;
        let sparse = kind == 1;
        if round % 40 < 2 {
            // A fresh frame with a fixed metalayer and one chunk.
            let path = tmp.0.join(format!("crash-{round}.b2frame"));
            let mut s = blosc2_core::schunk::SChunk::new(crash_params());
            s.metalayers_mut().add("round", &round.to_le_bytes()).unwrap();
            let first = Content::Key(round << 40 | 1);
            s.append_buffer(&first.bytes()).unwrap();
            drop(if sparse { s.into_sparse(&path).unwrap() } else { s.into_file(&path).unwrap() });
            models[kind] = Model { chunks: vec![first], count: None };
            paths[kind] = path;
        }
        let path = &paths[kind];
        let seed = 0x5eed_0000 + round;
        let mut child = KillOnDrop(
            std::process::Command::new(std::env::current_exe().unwrap())
                .args(["crash_writer_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
                .env("B2_CRASH_FRAME", path)
                .env("B2_CRASH_SEED", seed.to_string())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut lines = std::io::BufReader::new(child.0.stdout.take().unwrap()).lines();
        loop {
            match lines.next() {
                // libtest prints "test crash_writer_child ... " before it without a newline.
                Some(Ok(l)) if l.ends_with("ready") => break,
                Some(Ok(l)) => assert!(l.parse::<u64>().is_err(), "round {round}: no ready line before {l}"),
                _ => panic!("round {round}: the writer died before it was ready"),
            }
        }
        let delay = sm64(round, 999) % 6000;
        std::thread::sleep(std::time::Duration::from_micros(delay));
        child.0.kill().unwrap();
        let status = child.0.wait().unwrap();
        // Died of the SIGKILL, not of its own failure (a writer that panicked or exited
        // before the kill would leave a frame that proves nothing).
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "round {round}: the writer was not killed by SIGKILL but ended with {status}"
        );
        // A writer that failed just before the kill landed may still die of it: it must
        // not have panicked.
        let err = std::io::read_to_string(child.0.stderr.take().unwrap()).unwrap();
        assert!(!err.contains("panicked"), "round {round}: the writer failed before it was killed:\n{err}");
        let mut acked = 0u64;
        for l in lines.map_while(Result::ok) {
            if let Ok(step) = l.parse::<u64>() {
                assert_eq!(step, acked, "round {round}: acknowledgements in order");
                acked = step + 1;
            }
        }
        drop(child);
        // Replay the acknowledged steps on the model.
        let model = &mut models[kind];
        for step in 0..acked {
            let op = crash_op(seed, step, model.chunks.len() as u64);
            ops_by_kind[match op {
                CrashOp::Append(_) => 0,
                CrashOp::Insert(..) => 1,
                CrashOp::Update(..) => 2,
                CrashOp::Delete(_) => 3,
                CrashOp::Vlmeta(_) => 4,
            }] += 1;
            model.apply(op);
        }
        acked_total += acked;
        let f = Frame::open(path)
            .unwrap_or_else(|e| panic!("round {round} (sparse={sparse}): killed writer left a broken frame: {e}"));
        assert_eq!(f.metalayers().get("round").map(<[u8]>::len), Some(8), "round {round}");
        if !model.matches(&f) {
            let mut next = model.clone();
            next.apply(crash_op(seed, acked, model.chunks.len() as u64));
            assert!(
                next.matches(&f),
                "round {round} (sparse={sparse}): after {acked} acknowledged steps the frame holds neither \
                 that state nor the next one ({} chunks, model {})",
                f.nchunks(),
                model.chunks.len()
            );
            *model = next;
            in_flight_seen += 1;
        }
    }
    // The run exercised every kind of change and killed some of them in flight.
    assert!(acked_total >= rounds, "only {acked_total} acknowledged changes");
    if rounds >= 100 {
        assert!(ops_by_kind.iter().all(|&n| n > 0), "{ops_by_kind:?}");
        // Some kills landed after a change reached the file and before its acknowledgement:
        // the in-flight branch above was taken, not only the acknowledged one.
        assert!(in_flight_seen > 0, "no kill found an in-flight change committed in {rounds} rounds");
    }
    eprintln!("{rounds} kills, {acked_total} acknowledged changes {ops_by_kind:?}, {in_flight_seen} in-flight changes found committed");
}

#[test]
fn only_read_only_contiguous_frames_lend_their_file() {
    use blosc2_core::schunk::SChunk;
    let tmp = temp_dir!("frame-file");
    let mut sc = SChunk::new(blosc2_core::chunk::CompressParams::default());
    sc.append_buffer(&random_bytes(4096, 3)).unwrap();
    assert!(sc.frame_file().is_none(), "in memory");
    let file = tmp.0.join("a.b2frame");
    let dir = tmp.0.join("a-sparse.b2frame");
    sc.save(&file).unwrap();
    sc.save_sparse(&dir).unwrap();
    let ro = SChunk::open(&file).unwrap();
    let f = ro.frame_file().expect("a read-only contiguous frame keeps its file open");
    assert_eq!(f.metadata().unwrap().len(), std::fs::metadata(&file).unwrap().len());
    assert!(SChunk::open(&dir).unwrap().frame_file().is_none(), "sparse");
    assert!(SChunk::open_mut(&file).unwrap().frame_file().is_none(), "opened for modification");
}
