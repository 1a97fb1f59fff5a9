//! Issue 18: every chunk and frame that C-Blosc 1.x, C-Blosc2 and the python-blosc /
//! python-blosc2 releases of `testdata/compat/` wrote decodes as C-Blosc2 3.3.5 (python-blosc2
//! 4.14.1) decodes it, byte for byte, and to the original data where C-Blosc2 gives it.
//!
//! The corpus is C-Blosc2's own `compat/` files (listed in [`C_CORPUS`]) and
//! `testdata/compat/releases/*/manifest.json` (written by `gen_releases.sh`). Every file is
//! decoded by us (chunks with `chunk::decompress`, frames with `SChunk::from_cframe` and
//! `decompress_chunk`) and by python-blosc2 at test time (`tests/python/compat_corpus.py`).
//! Files that C-Blosc2 3.3.5 itself does not decode are listed in [`C_REFUSES`] with the reason;
//! on those we may fail too, but never panic.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use blosc2_core::chunk::{self, ChunkHeader};
use blosc2_core::schunk::SChunk;
use blosc2_testkit::data::{random_bytes, smooth_bytes};
use blosc2_testkit::fs::testdata;
use blosc2_testkit::python::run_python;
use blosc2_testkit::{python_script, temp_dir};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The releases under `testdata/compat/releases/` (one directory each): a missing one fails.
const RELEASES: &[&str] = &[
    "blosc-1.11.0",
    "blosc-1.11.4",
    "blosc2-0.5.2",
    "blosc2-2.0.0",
    "blosc2-2.2.9",
    "blosc2-2.5.1",
    "blosc2-3.0.0",
    "blosc2-3.6.1",
    "blosc2-3.12.2",
    "blosc2-4.0.0",
    "blosc2-4.2.0",
    "blosc2-4.8.0",
];

/// At least this many files in the release manifests (6,914 when written).
const MIN_RELEASE_FILES: usize = 6_914;

/// What a file of C-Blosc2's `compat/` folder holds once decoded.
#[derive(Clone, Copy, Debug)]
enum COriginal {
    /// `compat/filegen.c`: the int32 sequence 0..1,000,000 in one chunk.
    Int32Seq,
    /// The first `nbytes` (641,091 or 641,092) bytes of that sequence, which `filegen.c`
    /// compares the `*-bitshuffle*` files with.
    Int32Prefix,
    /// `compat/filegen-vl.c`: `vlblocks-*-fixed`: five chunks of four VL blocks.
    VlFixed,
    /// `compat/filegen-vl.c`: `vlblocks-*-variable`: five chunks of 2 to 6 VL blocks.
    VlVariable,
    /// `compat/filegen-vl.c`: `varchunks-*`: five regular chunks of different sizes.
    VarChunks,
}

/// C-Blosc2's compatibility corpus, copied from its `compat/` folder (`shuffle-2.20.0.cdata`
/// and `bitshuffle-2.20.0.cdata` are shuffled buffers, not chunks, and are not copied).
const C_CORPUS: &[(&str, COriginal)] = &[
    ("blosc-1.3.0-blosclz.cdata", COriginal::Int32Seq),
    ("blosc-1.3.0-lz4.cdata", COriginal::Int32Seq),
    ("blosc-1.3.0-lz4hc.cdata", COriginal::Int32Seq),
    ("blosc-1.3.0-zlib.cdata", COriginal::Int32Seq),
    ("blosc-1.7.0-blosclz.cdata", COriginal::Int32Seq),
    ("blosc-1.7.0-lz4.cdata", COriginal::Int32Seq),
    ("blosc-1.7.0-lz4hc.cdata", COriginal::Int32Seq),
    ("blosc-1.7.0-zlib.cdata", COriginal::Int32Seq),
    ("blosc-1.11.1-blosclz.cdata", COriginal::Int32Seq),
    ("blosc-1.11.1-lz4.cdata", COriginal::Int32Seq),
    ("blosc-1.11.1-lz4hc.cdata", COriginal::Int32Seq),
    ("blosc-1.11.1-zlib.cdata", COriginal::Int32Seq),
    ("blosc-1.11.1-zstd.cdata", COriginal::Int32Seq),
    ("blosc-1.14.0-blosclz.cdata", COriginal::Int32Seq),
    ("blosc-1.14.0-lz4.cdata", COriginal::Int32Seq),
    ("blosc-1.14.0-lz4hc.cdata", COriginal::Int32Seq),
    ("blosc-1.14.0-zlib.cdata", COriginal::Int32Seq),
    ("blosc-1.14.0-zstd.cdata", COriginal::Int32Seq),
    ("blosc-1.17.1-lz4-bitshuffle4-memcpy.cdata", COriginal::Int32Prefix),
    ("blosc-1.17.1-lz4-bitshuffle8-nomemcpy.cdata", COriginal::Int32Prefix),
    ("blosc-1.18.0-lz4-bitshuffle4-memcpy.cdata", COriginal::Int32Prefix),
    ("blosc-1.18.0-lz4-bitshuffle8-nomemcpy.cdata", COriginal::Int32Prefix),
    ("blosc-2.0.0-lz4-bitshuffle4-memcpy.cdata", COriginal::Int32Prefix),
    ("blosc-2.0.0-lz4-bitshuffle8-nomemcpy.cdata", COriginal::Int32Prefix),
    ("blosc-blosclz-3.0.0.cdata", COriginal::Int32Seq),
    ("blosc-lz4-3.0.0.cdata", COriginal::Int32Seq),
    ("blosc-zstd-3.0.0.cdata", COriginal::Int32Seq),
    ("varchunks-lz4-3.0.0.b2frame", COriginal::VarChunks),
    ("vlblocks-lz4-fixed-3.0.0.b2frame", COriginal::VlFixed),
    ("vlblocks-lz4-variable-3.0.0.b2frame", COriginal::VlVariable),
];

/// Files (paths under `testdata/compat/`) that C-Blosc2 3.3.5 does not decode, with the reason.
/// On these we may fail as well (we must not panic); the test fails if C-Blosc2 decodes one
/// of them, or refuses any file not listed.
const C_REFUSES: &[(&str, &str)] = &[];

/// Chunks whose last bytes C-Blosc2 3.3.5 leaves unwritten: (file, bytes, reason). Its output
/// there is whatever the destination buffer held (python-blosc2 gives zeros or heap garbage;
/// `blosc2.decompress(.., dst=)` keeps `dst`'s bytes), so these bytes are compared with neither
/// C-Blosc2's output nor the original data; every other byte is.
const C_UNWRITTEN_TAIL: &[(&str, usize, &str)] = &[
    ("blosc-1.17.1-lz4-bitshuffle8-nomemcpy.cdata", 4, BITSHUFFLE_V2_TAIL),
    ("blosc-1.18.0-lz4-bitshuffle4-memcpy.cdata", 3, BITSHUFFLE_V2_TAIL),
    ("blosc-1.18.0-lz4-bitshuffle8-nomemcpy.cdata", 3, BITSHUFFLE_V2_TAIL),
];

const BITSHUFFLE_V2_TAIL: &str = "format version 2 with bitshuffle, the last block's element count a multiple of 8 \
    but its size not a multiple of the typesize: C-Blosc 1.17/1.18 bitshuffled the whole elements and stored no \
    leftover bytes (the stream holds stale bytes there), and C-Blosc2's bitunshuffle (blosc/shuffle.c, \
    format_version == 2) does not write the last blocksize % typesize bytes either; we give the bytes the stream \
    holds there (filegen.c does not compare them: \"do not check unaligned data\")";

/// Files that C-Blosc2 3.3.5 decodes but not to the original data (lossless pipelines), with
/// the reason; we must give C-Blosc2's bytes all the same.
const C_NOT_ORIGINAL: &[(&str, &str)] = &[];

fn compat_dir() -> PathBuf {
    testdata("compat")
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// `compat/filegen.c`'s data: int32 i for i in 0..1,000,000, little-endian.
fn int32_seq() -> Vec<u8> {
    (0..1_000_000i32).flat_map(i32::to_le_bytes).collect()
}

/// A C string literal of `compat/filegen-vl.c` as its 50 bytes in memory (49 characters and
/// the NUL that `memcpy(.., 50)` copies with them).
fn c50(s: &str) -> Vec<u8> {
    assert_eq!(s.len(), 49, "{s}");
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// `filegen-vl.c`: each VL block is its 50-byte pattern repeated `BLOCK_REPEATS` (10) times.
fn vl_chunks(chunks: &[&[&str]]) -> Vec<Vec<u8>> {
    chunks.iter().map(|blocks| blocks.iter().flat_map(|p| c50(p).repeat(10)).collect()).collect()
}

fn c_original(kind: COriginal) -> Vec<Vec<u8>> {
    const ALPHA: &str = "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuv";
    const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ-ABCDEFGHIJKLMNOPQRSTUV";
    const DIGITS: &str = "0123456789-0123456789-0123456789-0123456789-01234";
    const FOX: &str = "the-quick-brown-fox-jumps-over-the-lazy-dog-finis";
    const PLANETS: &str = "mercury-venus-earth-mars-jupiter-saturn-uranus-ne";
    const SKY: &str = "sun-moon-milky-way-galaxy-star-pulsar-quasar-nova";
    const STARS: &str = "andromeda-galaxy-pegasus-cygnus-orion-lyra-aquila";
    const HOLES: &str = "black-hole-neutron-star-white-dwarf-red-giant-sun";
    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "ccccccccccccccccccccccccccccccccccccccccccccccccc";
    const D: &str = "ddddddddddddddddddddddddddddddddddddddddddddddddd";
    const HEX: &str = "0xdeadbeef-0xcafebabe-0x01234567-0x89abcdef-0xfff";
    const PI: &str = "3.14159265-2.71828182-1.41421356-1.73205080-3.141";
    const HASH: &str = "sha256-md5-sha1-sha512-hmac-aes256-rsa4096-ecdsa-";
    const CODECS: &str = "blosc2-lz4-zstd-zlib-blosclz-lz4hc-snappy-gzip-bl";
    const BOX: &str = "pack-my-box-with-five-dozen-liquor-jugs-and-bread";
    const ZEBRA: &str = "how-vexingly-quick-daft-zebras-jump-high-overhead";
    const SPHINX: &str = "sphinx-of-black-quartz-judge-my-vow-and-be-feared";
    const QUINCY: &str = "foxy-quincy-jumps-over-a-wilted-zinnia-bed-bright";
    match kind {
        COriginal::Int32Seq => vec![int32_seq()],
        COriginal::Int32Prefix => unreachable!("depends on the chunk"),
        COriginal::VlFixed => vl_chunks(&[
            &[ALPHA, UPPER, DIGITS, FOX],
            &[PLANETS, SKY, STARS, HOLES],
            &[A, B, C, D],
            &[HEX, PI, HASH, CODECS],
            &[BOX, ZEBRA, SPHINX, QUINCY],
        ]),
        COriginal::VlVariable => vl_chunks(&[
            &[PLANETS, STARS],
            &[CODECS, PI, HEX],
            &[A, B, BOX, ZEBRA],
            &[ALPHA, UPPER, DIGITS, FOX, QUINCY],
            &[SKY, HOLES, SPHINX, C, D, HASH],
        ]),
        // `fill_pattern`: the 50-byte pattern tiled to the chunk's size.
        COriginal::VarChunks => [(ALPHA, 1000), (UPPER, 500), (DIGITS, 2000), (FOX, 520), (A, 301)]
            .iter()
            .map(|&(p, n)| c50(p).into_iter().cycle().take(n).collect())
            .collect(),
    }
}

fn json_u64(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// The data recipes of `gen_release_chunks.py` (see testdata/compat/README.md).
fn make_data(r: &Value) -> Vec<u8> {
    match r["kind"].as_str().unwrap() {
        "intseq" => {
            let w = json_u64(r, "width") as usize;
            let n = json_u64(r, "count");
            (0..n).flat_map(|i| i.to_le_bytes().into_iter().take(w)).collect()
        }
        "smooth_f64" => smooth_bytes(json_u64(r, "nbytes") as usize),
        "random" => random_bytes(json_u64(r, "nbytes") as usize, json_u64(r, "seed")),
        "const" => vec![json_u64(r, "byte") as u8; json_u64(r, "nbytes") as usize],
        k => panic!("unknown recipe {k}"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Chunk,
    Frame,
}

/// One file to check.
struct Item {
    /// Path under `testdata/compat/` as the lists name it.
    name: String,
    /// The file read (a release's entry may point to an earlier release's identical file).
    path: PathBuf,
    kind: Kind,
    /// The original data, chunk by chunk, where C-Blosc2 should give it back.
    original: Option<Vec<Vec<u8>>>,
    /// For lossy pipelines and b2nd frames: what the writing release itself decoded (SHA-256
    /// of all chunks).
    writer_decoded: Option<String>,
}

fn release_items(checked_files: &mut BTreeSet<PathBuf>) -> Vec<Item> {
    let dir = compat_dir().join("releases");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut want: Vec<String> = RELEASES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(on_disk, want, "releases/ holds other releases than the test lists");
    let mut items = Vec::new();
    for rel in RELEASES {
        let text = std::fs::read_to_string(dir.join(rel).join("manifest.json")).unwrap();
        let m: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(format!("{}-{}", m["package"].as_str().unwrap(), m["version"].as_str().unwrap()), *rel);
        for e in m["files"].as_array().unwrap() {
            let file = e["file"].as_str().unwrap();
            let home = e["same_bytes_as"].as_str().unwrap_or(rel);
            let path = dir.join(home).join(file);
            let bytes = std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            let name = format!("releases/{rel}/{file}");
            assert_eq!(sha256_hex(&bytes), e["payload_sha256"].as_str().unwrap(), "{name}: not the bytes written");
            assert_eq!(bytes.len() as u64, json_u64(e, "size"), "{name}");
            let data = make_data(&e["data"]);
            assert_eq!(data.len() as u64, json_u64(e, "nbytes"), "{name}: recipe");
            assert_eq!(sha256_hex(&data), e["sha256"].as_str().unwrap(), "{name}: recipe gives other data");
            let kind = match e["kind"].as_str().unwrap() {
                "chunk" => Kind::Chunk,
                "frame" => Kind::Frame,
                k => panic!("{name}: kind {k}"),
            };
            let lossy = e["lossy"].as_bool().unwrap_or(false);
            // A b2nd frame's chunks hold the array in its chunk/block layout, not the data in order.
            let b2nd = e["layout"] == "b2nd";
            let original = (!lossy && !b2nd).then(|| match kind {
                Kind::Chunk => vec![data.clone()],
                Kind::Frame => {
                    let cs = json_u64(e, "chunksize") as usize;
                    data.chunks(cs).map(<[u8]>::to_vec).collect()
                }
            });
            if kind == Kind::Chunk {
                let h = &e["header"];
                assert_eq!(u64::from(bytes[0]), json_u64(h, "version"), "{name}");
                assert_eq!(format!("{:#04x}", bytes[2]), h["flags"].as_str().unwrap(), "{name}");
            }
            let writer_decoded = (lossy || b2nd).then(|| {
                let w = e["writer_decoded_sha256"].as_str();
                w.unwrap_or_else(|| panic!("{name}: no writer_decoded_sha256")).to_string()
            });
            checked_files.insert(path.clone());
            items.push(Item { name, path, kind, original, writer_decoded });
        }
    }
    assert!(items.len() >= MIN_RELEASE_FILES, "only {} files in the release manifests", items.len());
    items
}

fn c_items(dir: &Path, checked_files: &mut BTreeSet<PathBuf>) -> Vec<Item> {
    C_CORPUS
        .iter()
        .map(|&(file, orig)| {
            let path = dir.join(file);
            assert!(path.is_file(), "{}: missing; it is a file of C-Blosc2's compat/ folder", path.display());
            checked_files.insert(path.clone());
            let kind = if file.ends_with(".b2frame") { Kind::Frame } else { Kind::Chunk };
            let original = match orig {
                COriginal::Int32Prefix => {
                    let h = ChunkHeader::parse(&std::fs::read(&path).unwrap()).unwrap();
                    assert!(h.nbytes < 4_000_000, "{file}");
                    vec![int32_seq()[..h.nbytes].to_vec()]
                }
                _ => c_original(orig),
            };
            Item { name: file.to_string(), path, kind, original: Some(original), writer_decoded: None }
        })
        .collect()
}

/// Every data file under `dir` (not the manifests, scripts or README).
fn data_files(dir: &Path, out: &mut BTreeSet<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            data_files(&p, out);
        } else {
            let n = p.file_name().unwrap().to_str().unwrap();
            if !(n == "manifest.json" || n == "README.md" || n.ends_with(".py") || n.ends_with(".sh")) {
                out.insert(p);
            }
        }
    }
}

/// A decoding: the chunks, or the error.
type Decoded = Result<Vec<Vec<u8>>, String>;

/// Our decoding: the chunks, or the error; a panic is caught and reported as such.
fn decode_ours(item: &Item) -> Decoded {
    let bytes = std::fs::read(&item.path).unwrap();
    let kind = item.kind;
    let r = catch_unwind(AssertUnwindSafe(move || -> Decoded {
        match kind {
            Kind::Chunk => {
                let out = chunk::decompress(&bytes).map_err(|e| e.to_string())?;
                let h = ChunkHeader::parse(&bytes).map_err(|e| e.to_string())?;
                assert_eq!(out.len(), h.nbytes, "decompress gave other than the header's nbytes");
                Ok(vec![out])
            }
            Kind::Frame => {
                let s = SChunk::from_cframe(bytes).map_err(|e| e.to_string())?;
                (0..s.nchunks()).map(|i| s.decompress_chunk(i).map_err(|e| format!("chunk {i}: {e}"))).collect()
            }
        }
    }));
    match r {
        Ok(x) => x,
        Err(p) => {
            let msg = p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(format!("PANIC: {}", msg.unwrap_or_default()))
        }
    }
}

/// python-blosc2's decoding of every item: `Ok(chunks)` or `Err(error)`.
fn decode_c(items: &[Item], tag: &str) -> (String, Vec<Decoded>) {
    // Tests run in parallel threads of one process: each its own directory.
    let tmp = temp_dir!(&format!("compat-corpus-{tag}"));
    let list: Vec<Value> = items
        .iter()
        .map(|it| {
            serde_json::json!({
                "path": it.path.to_str().unwrap(),
                "kind": if it.kind == Kind::Chunk { "chunk" } else { "frame" },
            })
        })
        .collect();
    std::fs::write(tmp.0.join("items.json"), serde_json::to_string(&list).unwrap()).unwrap();
    run_python(python_script!("compat_corpus.py"), &[tmp.0.as_os_str()]);
    let res: Value = serde_json::from_str(&std::fs::read_to_string(tmp.0.join("results.json")).unwrap()).unwrap();
    let decoded = std::fs::read(tmp.0.join("decoded.bin")).unwrap();
    let version = format!("python-blosc2 {} (C-Blosc2 {})", res["blosc2"], res["clib"]);
    let results = res["results"].as_array().unwrap();
    assert_eq!(results.len(), items.len());
    let out = results
        .iter()
        .map(|r| {
            if r["ok"].as_bool().unwrap() {
                let mut off = json_u64(r, "offset") as usize;
                Ok(r["chunks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| {
                        let n = n.as_u64().unwrap() as usize;
                        off += n;
                        decoded[off - n..off].to_vec()
                    })
                    .collect())
            } else {
                Err(r["error"].as_str().unwrap().to_string())
            }
        })
        .collect();
    (version, out)
}

/// Where two decodings differ: chunk sizes, or the first chunk that differs, its first
/// differing offset and how many bytes differ.
fn diff(a: &[Vec<u8>], b: &[Vec<u8>]) -> String {
    let (na, nb): (Vec<_>, Vec<_>) = (a.iter().map(Vec::len).collect(), b.iter().map(Vec::len).collect());
    if na != nb {
        return format!("chunk sizes {na:?} and {nb:?}");
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            let first = x.iter().zip(y).position(|(p, q)| p != q).unwrap();
            let count = x.iter().zip(y).filter(|(p, q)| p != q).count();
            return format!("chunk {i} ({} bytes): {count} bytes differ, the first at offset {first}", x.len());
        }
    }
    "equal".into()
}

fn listed(list: &[(&str, &str)], name: &str) -> bool {
    list.iter().any(|(n, _)| *n == name)
}

/// Chunks with the plain 16-byte header carrying version bytes 3 and 4, as C-Blosc2 2.x's
/// Blosc1 API wrote them (the releases here write 2 or 5 there): every 16-byte-header chunk
/// of the release corpus, its version byte rewritten. C-Blosc2 reads the filters of such
/// headers from the flags whatever the version; the test checks that we decode them as it does.
fn relabelled_items(release: &[Item], dir: &Path) -> Vec<Item> {
    let mut out = Vec::new();
    for item in release.iter().filter(|i| matches!(i.kind, Kind::Chunk)) {
        let bytes = std::fs::read(&item.path).unwrap();
        let Ok(h) = ChunkHeader::parse(&bytes) else { continue };
        if h.is_extended() {
            continue;
        }
        for version in [3u8, 4] {
            let mut b = bytes.clone();
            b[0] = version;
            let name = format!("{}@v{version}", item.name);
            let path = dir.join(name.replace('/', "_"));
            std::fs::write(&path, &b).unwrap();
            // Version 2 decides how bitshuffled leftovers were written: a relabelled chunk is
            // compared with C-Blosc2's decoding, not with the data it was made from.
            out.push(Item { name, path, kind: Kind::Chunk, original: None, writer_decoded: None });
        }
    }
    out
}

#[test]
fn every_release_file_decodes_as_c_blosc2_decodes_it() {
    let mut checked_files = BTreeSet::new();
    let mut items = release_items(&mut checked_files);
    // No data file escapes the manifests.
    let mut on_disk = BTreeSet::new();
    data_files(&compat_dir().join("releases"), &mut on_disk);
    let unlisted: Vec<_> = on_disk.difference(&checked_files).collect();
    assert!(unlisted.is_empty(), "files in no manifest: {unlisted:?}");
    let tmp = temp_dir!("compat-relabelled");
    let relabelled = relabelled_items(&items, &tmp.0);
    assert!(relabelled.len() >= 100, "only {} chunks with 16-byte headers to relabel", relabelled.len());
    items.extend(relabelled);
    check(&items, "releases", "releases and relabelled 16-byte headers");
}

/// C-Blosc2's own compatibility files (its `compat/` folder: chunks written by C-Blosc 1.3-1.18
/// and C-Blosc2 2.0/3.0, and variable-chunk and VL-block frames), which this repository does not
/// ship: run with `BLOSC2_C_COMPAT_DIR=<that folder> cargo test -p blosc2-core --test
/// compat_corpus -- --ignored`.
#[test]
#[ignore = "needs BLOSC2_C_COMPAT_DIR, a copy of C-Blosc2's compat/ folder"]
fn c_blosc2_compat_folder_decodes_as_c_blosc2_decodes_it() {
    let dir = std::env::var_os("BLOSC2_C_COMPAT_DIR")
        .map(PathBuf::from)
        .expect("set BLOSC2_C_COMPAT_DIR to a copy of C-Blosc2's compat/ folder");
    let mut checked_files = BTreeSet::new();
    let items = c_items(&dir, &mut checked_files);
    check(&items, "c", "C-Blosc2's compat/ folder");
}

fn check(items: &[Item], tag: &str, what: &str) {
    let (c_version, theirs) = decode_c(items, tag);
    assert!(c_version.contains("4.14.1") && c_version.contains("3.3.5"), "{c_version}");
    let mut failures = Vec::new();
    let (mut same, mut c_refused, mut original_checked) = (0usize, 0usize, 0usize);
    for (item, theirs) in items.iter().zip(&theirs) {
        let mut ours = decode_ours(item);
        let mut theirs = theirs.clone();
        let mut original = item.original.clone();
        if let Some(&(_, k, _)) = C_UNWRITTEN_TAIL.iter().find(|(n, _, _)| *n == item.name) {
            let cut = |r: &mut Vec<Vec<u8>>| {
                assert_eq!(r.len(), 1, "{}", item.name);
                let n = r[0].len();
                r[0].truncate(n - k);
            };
            for r in [&mut ours, &mut theirs].into_iter().flat_map(|r| r.as_mut().ok()) {
                cut(r);
            }
            cut(original.as_mut().unwrap());
        }
        let theirs = &theirs;
        if let Err(e) = &ours {
            if e.starts_with("PANIC") {
                failures.push(format!("{}: our decoder panics: {e}", item.name));
                continue;
            }
        }
        match theirs {
            Err(c_err) => {
                c_refused += 1;
                if !listed(C_REFUSES, &item.name) {
                    failures.push(format!("{}: C-Blosc2 refuses it ({c_err}), not in C_REFUSES", item.name));
                }
            }
            Ok(c_chunks) => {
                if listed(C_REFUSES, &item.name) {
                    failures.push(format!("{}: in C_REFUSES, but C-Blosc2 decodes it", item.name));
                }
                match &ours {
                    Err(e) => failures.push(format!("{}: C-Blosc2 decodes it, we refuse: {e}", item.name)),
                    Ok(o) if o != c_chunks => failures.push(format!(
                        "{}: we decode other bytes than C-Blosc2: {}",
                        item.name,
                        diff(o, c_chunks)
                    )),
                    Ok(_) => same += 1,
                }
                if let Some(orig) = &original {
                    let c_gives_original = c_chunks == orig;
                    if c_gives_original == listed(C_NOT_ORIGINAL, &item.name) {
                        failures.push(format!(
                            "{}: C-Blosc2 gives the original data: {c_gives_original} ({}), C_NOT_ORIGINAL disagrees",
                            item.name,
                            diff(c_chunks, orig)
                        ));
                    }
                    original_checked += 1;
                }
                if let Some(w) = &item.writer_decoded {
                    if sha256_hex(&c_chunks.concat()) != *w {
                        failures.push(format!("{}: C-Blosc2 decodes it unlike its writer", item.name));
                    }
                }
            }
        }
    }
    eprintln!(
        "compat corpus, {what}: {} files against {c_version}: {same} decoded as C-Blosc2 decodes them \
         ({original_checked} checked against the original), {c_refused} refused by C-Blosc2",
        items.len(),
    );
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(same + c_refused, items.len());
}
