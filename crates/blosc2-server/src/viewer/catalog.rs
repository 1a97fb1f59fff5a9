//! The arrays a viewer serves: `.b2nd` and `.b2frame` files found under the given files
//! and folders, opened once, read-only. A `.b2frame` without a `b2nd` metalayer (a plain
//! super-chunk) is served as a 1-D array of its items ([`NdArray::from_plain_schunk`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use blosc2_nd::NdArray;

/// Most files a catalog looks at (a folder with more is cut there, with a warning).
pub const MAX_FILES: usize = 100_000;

/// One array of a catalog.
#[derive(Debug)]
pub struct Entry {
    /// The name clients use: the path relative to the folder given (with `/`), or the
    /// file name when the file itself was given.
    pub name: String,
    /// Where it is.
    pub path: PathBuf,
    /// The array, open for reading.
    pub array: Arc<NdArray>,
    /// Chunk kinds counted over the whole array (chunk headers read), once.
    pub(crate) counts: Arc<OnceLock<ChunkCounts>>,
    /// Whether that count has been started in the background.
    pub(crate) counting: AtomicBool,
}

/// How many chunks of each kind an array has (read from chunk metadata only).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChunkCounts {
    /// Whether every stored chunk's header was read; `false` for a count from the frame's
    /// offsets alone, where `stored` also counts the repeated-value chunks (stored as small
    /// chunks) and `value` and `unreadable` are 0.
    pub exact: bool,
    /// Chunks with stored blocks.
    pub stored: u64,
    /// Special all-zero chunks.
    pub zeros: u64,
    /// Special all-NaN chunks.
    pub nans: u64,
    /// Special uninitialized chunks.
    pub uninit: u64,
    /// Special repeated-value chunks.
    pub value: u64,
    /// Chunks whose metadata could not be read.
    pub unreadable: u64,
}

/// The arrays found, in name order, and the files that could not be opened.
#[derive(Debug, Default)]
pub struct Catalog {
    /// The arrays.
    pub entries: Vec<Entry>,
    /// Files skipped, with the reason (for a warning at start).
    pub skipped: Vec<(PathBuf, String)>,
}

fn is_array_name(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("b2nd" | "b2frame"))
}

fn open(path: &Path) -> blosc2_nd::Result<NdArray> {
    let array = if path.is_file() { NdArray::open_mapped(path) } else { NdArray::open(path) };
    match array {
        Err(blosc2_nd::Error::NotAnArray) if path.is_file() => NdArray::open_plain_mapped(path),
        Err(blosc2_nd::Error::NotAnArray) => NdArray::open_plain(path),
        other => other,
    }
}

impl Catalog {
    /// The arrays under `roots` (files, or folders searched recursively; a folder named
    /// `*.b2nd` or `*.b2frame` is a sparse frame, not searched).
    pub fn find(roots: &[PathBuf]) -> Catalog {
        let mut found: Vec<(String, PathBuf)> = Vec::new();
        let mut skipped = Vec::new();
        for root in roots {
            if is_array_name(root) || root.is_file() {
                let name = root.file_name().map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into());
                found.push((name, root.clone()));
                continue;
            }
            let mut stack = vec![root.clone()];
            while let Some(dir) = stack.pop() {
                let Ok(rd) = std::fs::read_dir(&dir) else {
                    skipped.push((dir.clone(), "cannot list the folder".to_string()));
                    continue;
                };
                let mut items: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                items.sort();
                for p in items.into_iter().rev() {
                    if is_array_name(&p) {
                        let rel = p.strip_prefix(root).unwrap_or(&p);
                        let name =
                            rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                        found.push((name, p));
                    } else if p.is_dir() && !p.is_symlink() {
                        stack.push(p);
                    }
                }
                if found.len() >= MAX_FILES {
                    skipped.push((root.clone(), format!("more than {MAX_FILES} files: the rest is left out")));
                    break;
                }
            }
        }
        found.sort();
        let mut entries: Vec<Entry> = Vec::new();
        for (name, path) in found {
            if entries.iter().any(|e| e.name == name) {
                skipped.push((path, format!("another file is named {name}")));
                continue;
            }
            match open(&path) {
                Ok(a) => entries.push(Entry::new(name, path, a)),
                Err(e) => skipped.push((path, e.to_string())),
            }
        }
        Catalog { entries, skipped }
    }

    /// The entry named `name`.
    ///
    /// # Errors
    /// [`crate::Error::NotFound`].
    pub fn get(&self, name: &str) -> crate::Result<&Entry> {
        self.entries
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| crate::Error::NotFound { what: "array", name: name.into() })
    }
}

impl Entry {
    /// An entry serving `array` as `name`.
    pub fn new(name: String, path: PathBuf, array: NdArray) -> Entry {
        Entry { name, path, array: Arc::new(array), counts: Arc::default(), counting: AtomicBool::new(false) }
    }

    /// The chunk kinds of the whole array (counted once, from chunk metadata: the offsets
    /// and the header of every stored chunk).
    pub fn counts(&self) -> &ChunkCounts {
        self.counts.get_or_init(|| exact_counts(&self.array))
    }

    /// The chunk kinds at once: the exact count when it is done, else the count from the
    /// frame's offsets alone (no chunk read; see [`ChunkCounts::exact`]) while the exact
    /// one runs in the background.
    pub fn quick_counts(&self) -> ChunkCounts {
        if let Some(c) = self.counts.get() {
            return c.clone();
        }
        let Some(quick) = offset_counts(&self.array) else { return self.counts().clone() };
        if !self.counting.swap(true, Ordering::SeqCst) {
            let (array, counts) = (Arc::clone(&self.array), Arc::clone(&self.counts));
            std::thread::spawn(move || {
                counts.get_or_init(|| exact_counts(&array));
            });
        }
        quick
    }
}

fn exact_counts(a: &NdArray) -> ChunkCounts {
    use blosc2_core::chunk::SpecialKind;
    let mut c = ChunkCounts { exact: true, ..ChunkCounts::default() };
    for info in a.chunk_infos() {
        match info.map(|i| i.special) {
            Ok(None) => c.stored += 1,
            Ok(Some(SpecialKind::Zeros)) => c.zeros += 1,
            Ok(Some(SpecialKind::Nan)) => c.nans += 1,
            Ok(Some(SpecialKind::Uninit)) => c.uninit += 1,
            Ok(Some(SpecialKind::Value)) => c.value += 1,
            Err(_) => c.unreadable += 1,
        }
    }
    c
}

/// The chunk kinds the offsets of a frame tell (special offsets by kind, every other chunk
/// stored), or `None` for arrays without a frame (in memory) and unreadable offsets.
fn offset_counts(a: &NdArray) -> Option<ChunkCounts> {
    use blosc2_core::chunk::SpecialKind;
    use blosc2_core::frame::offsets::special_kind;
    let offsets = a.schunk().frame()?.offsets();
    let mut c = ChunkCounts::default();
    for i in 0..offsets.len() {
        let o = offsets.get(i).ok()??;
        if o >= 0 {
            c.stored += 1;
            continue;
        }
        match special_kind(o, i).ok()? {
            SpecialKind::Zeros => c.zeros += 1,
            SpecialKind::Nan => c.nans += 1,
            SpecialKind::Uninit => c.uninit += 1,
            SpecialKind::Value => c.value += 1,
        }
    }
    Some(c)
}
