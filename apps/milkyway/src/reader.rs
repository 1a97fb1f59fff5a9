//! Reading Gaia `gaia_source` files: gzip-compressed or plain ECSV/CSV, `#` header lines,
//! columns found by name, `null`/empty/`nan` as missing (`shared/spec/gaia.md` 2 and 3.1).
//!
//! A [`GaiaReader`] reads the header and then hands out [`Batch`]es of whole lines, which
//! [`parse_batch`] turns into counts and selected stars; the two halves run on different
//! threads during an ingest.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use flate2::read::MultiGzDecoder;

use crate::geom::{select_distance, to_cartesian};

/// Where the columns the pipeline uses are in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    /// Number of columns of the header line.
    pub ncols: usize,
    /// Index of `ra`.
    pub ra: usize,
    /// Index of `dec`.
    pub dec: usize,
    /// Index of `parallax`.
    pub parallax: usize,
    /// Index of `source_id`, if present.
    pub source_id: Option<usize>,
    /// Index of `phot_g_mean_mag`, if present.
    pub mag: Option<usize>,
}

impl Columns {
    /// Finds the columns in a header line.
    ///
    /// # Errors
    /// A required column (`ra`, `dec`, `parallax`) is missing; the message names it and
    /// lists the columns found.
    pub fn from_header(line: &str) -> Result<Columns> {
        let names: Vec<&str> =
            line.trim_end_matches(['\r', '\n']).split(',').map(|s| s.trim().trim_matches('"')).collect();
        let find = |n: &str| names.iter().position(|c| *c == n);
        let need = |n: &str| -> Result<usize> {
            find(n).with_context(|| {
                let shown: Vec<&str> = names.iter().take(12).copied().collect();
                format!(
                    "required column `{n}` not found in the header line (columns: {}{})",
                    shown.join(", "),
                    if names.len() > 12 { ", ..." } else { "" }
                )
            })
        };
        Ok(Columns {
            ncols: names.len(),
            ra: need("ra")?,
            dec: need("dec")?,
            parallax: need("parallax")?,
            source_id: find("source_id"),
            mag: find("phot_g_mean_mag"),
        })
    }
}

/// Opens a file for reading, decompressing gzip (any number of members) when the file
/// starts with the gzip magic bytes.
///
/// # Errors
/// The file cannot be opened or read.
pub fn open_maybe_gzip(path: &Path, counter: Option<Arc<AtomicU64>>) -> Result<Box<dyn Read + Send>> {
    let mut f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut magic = [0u8; 2];
    let n = read_full(&mut f, &mut magic).with_context(|| format!("cannot read {}", path.display()))?;
    let f =
        CountingReader { inner: File::open(path).with_context(|| format!("cannot open {}", path.display()))?, counter };
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 20, f))))
    } else {
        Ok(Box::new(f))
    }
}

/// Counts the bytes read from a file (compressed bytes, for the progress bar).
struct CountingReader {
    inner: File,
    counter: Option<Arc<AtomicU64>>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(c) = &self.counter {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut at = 0;
    while at < buf.len() {
        match r.read(&mut buf[at..]) {
            Ok(0) => break,
            Ok(n) => at += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(at)
}

/// A run of whole data lines of one file.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Index of the file in the ingest's file list.
    pub file: usize,
    /// 1-based line number of the first line in `data`.
    pub first_line: u64,
    /// The lines, each ending with `\n` except possibly the last line of the file.
    pub data: Vec<u8>,
}

/// A streaming reader of one Gaia file.
pub struct GaiaReader {
    path: PathBuf,
    inner: Box<dyn Read + Send>,
    /// The columns of this file.
    pub columns: Columns,
    /// Lines of the `#` header block.
    pub header_lines: u64,
    carry: Vec<u8>,
    next_line: u64,
    eof: bool,
    /// Uncompressed bytes read so far.
    pub bytes_read: u64,
}

impl GaiaReader {
    /// Opens `path` and reads its header: every line starting with `#`, then the column
    /// names.
    ///
    /// # Errors
    /// Unreadable or corrupt (gzip) file, no header line, a header that is not text, or a
    /// missing required column; messages name the file.
    pub fn open(path: &Path) -> Result<GaiaReader> {
        Self::open_counted(path, None)
    }

    /// As [`GaiaReader::open`], adding the bytes read from the file to `counter`.
    ///
    /// # Errors
    /// As [`GaiaReader::open`].
    pub fn open_counted(path: &Path, counter: Option<Arc<AtomicU64>>) -> Result<GaiaReader> {
        let inner = open_maybe_gzip(path, counter)?;
        let mut r = GaiaReader {
            path: path.to_path_buf(),
            inner,
            columns: Columns { ncols: 0, ra: 0, dec: 0, parallax: 0, source_id: None, mag: None },
            header_lines: 0,
            carry: Vec::new(),
            next_line: 1,
            eof: false,
            bytes_read: 0,
        };
        loop {
            let line = r.read_line()?;
            let Some(line) = line else {
                bail!("{}: no column-name line (empty file or only `#` lines)", path.display());
            };
            let lineno = r.next_line - 1;
            if line.starts_with(b"#") {
                r.header_lines += 1;
                continue;
            }
            let text = std::str::from_utf8(&line).map_err(|_| {
                anyhow::anyhow!("{}:{lineno}: the header line is not text (not a CSV file?)", path.display())
            })?;
            if text.bytes().any(|b| b == 0 || (b < 0x20 && b != b'\t' && b != b'\r' && b != b'\n')) {
                bail!("{}:{lineno}: the header line is not text (not a CSV file?)", path.display());
            }
            r.columns = Columns::from_header(text).with_context(|| format!("{}:{lineno}", path.display()))?;
            return Ok(r);
        }
    }

    /// The file path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn fill(&mut self, want: usize) -> Result<()> {
        // Decompress straight into the spare room of `carry` (no bounce buffer).
        self.carry.reserve(want.saturating_sub(self.carry.len()));
        while !self.eof && self.carry.len() < want {
            let at = self.carry.len();
            let room = (want - at).clamp(1 << 16, 1 << 20);
            self.carry.resize(at + room, 0);
            let got = self.inner.read(&mut self.carry[at..]);
            self.carry.truncate(at + *got.as_ref().unwrap_or(&0));
            match got {
                Ok(0) => self.eof = true,
                Ok(n) => self.bytes_read += n as u64,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                        "{}: read error after line {} (corrupt or truncated gzip?)",
                        self.path.display(),
                        self.next_line - 1
                    )))
                }
            }
        }
        Ok(())
    }

    /// Reads one line (without its end) during the header.
    fn read_line(&mut self) -> Result<Option<Vec<u8>>> {
        loop {
            if let Some(p) = memchr::memchr(b'\n', &self.carry) {
                let mut line: Vec<u8> = self.carry.drain(..=p).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.next_line += 1;
                return Ok(Some(line));
            }
            if self.eof {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                self.next_line += 1;
                return Ok(Some(std::mem::take(&mut self.carry)));
            }
            if self.carry.len() > 64 << 20 {
                bail!("{}:{}: line longer than 64 MiB (not a CSV file?)", self.path.display(), self.next_line);
            }
            let want = self.carry.len() + (1 << 16);
            self.fill(want)?;
        }
    }

    /// The next batch of about `target` bytes of whole lines, `None` at the end.
    ///
    /// # Errors
    /// Read or gzip errors, naming the file.
    pub fn next_batch(&mut self, file: usize, target: usize) -> Result<Option<Batch>> {
        self.fill(target)?;
        if self.carry.is_empty() {
            return Ok(None);
        }
        let cut = if self.eof {
            self.carry.len()
        } else {
            match memchr::memrchr(b'\n', &self.carry) {
                Some(p) => p + 1,
                None => {
                    // One very long line: read on until it ends.
                    loop {
                        if self.carry.len() > 64 << 20 {
                            bail!(
                                "{}:{}: line longer than 64 MiB (not a CSV file?)",
                                self.path.display(),
                                self.next_line
                            );
                        }
                        let want = self.carry.len() + (1 << 20);
                        self.fill(want)?;
                        if let Some(p) = memchr::memrchr(b'\n', &self.carry) {
                            break p + 1;
                        }
                        if self.eof {
                            break self.carry.len();
                        }
                    }
                }
            }
        };
        let rest = self.carry.split_off(cut);
        let data = std::mem::replace(&mut self.carry, rest);
        let first_line = self.next_line;
        let mut n = memchr::memchr_iter(b'\n', &data).count() as u64;
        if data.last() != Some(&b'\n') {
            n += 1;
        }
        self.next_line += n;
        Ok(Some(Batch { file, first_line, data }))
    }
}

/// A selected star: inside the radius, with its position in ly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Star {
    /// Gaia `source_id` (0 when the file has no such column).
    pub source_id: i64,
    /// Position in ly (ICRS axes, Sun at the origin).
    pub pos: [f64; 3],
    /// Distance in ly.
    pub d_ly: f64,
    /// `phot_g_mean_mag` (NaN when missing).
    pub mag: f32,
}

/// Counts of one file or of a whole ingest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Data rows read (malformed ones included).
    pub rows: u64,
    /// Rows without a usable ra, dec or parallax.
    pub missing_parallax: u64,
    /// Rows with a negative parallax.
    pub negative_parallax: u64,
    /// Rows with a zero parallax.
    pub zero_parallax: u64,
    /// Rows with a positive parallax.
    pub positive_parallax: u64,
    /// Rows selected (0 < d < radius).
    pub selected: u64,
    /// Malformed rows skipped.
    pub malformed: u64,
    /// `#` lines found among the data lines (skipped).
    pub comment_lines: u64,
}

impl Counts {
    /// Adds `o` to `self`.
    pub fn add(&mut self, o: &Counts) {
        self.rows += o.rows;
        self.missing_parallax += o.missing_parallax;
        self.negative_parallax += o.negative_parallax;
        self.zero_parallax += o.zero_parallax;
        self.positive_parallax += o.positive_parallax;
        self.selected += o.selected;
        self.malformed += o.malformed;
        self.comment_lines += o.comment_lines;
    }
}

/// Selection parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    /// Distance constant (ly x mas).
    pub k: f64,
    /// Radius in ly.
    pub radius_ly: f64,
}

/// What one batch yields.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// Index of the file.
    pub file: usize,
    /// Its counts.
    pub counts: Counts,
    /// Its selected stars, in line order.
    pub stars: Vec<Star>,
    /// The first malformed rows: (line, message).
    pub bad: Vec<(u64, String)>,
}

/// How many malformed rows a batch keeps messages for.
pub const MAX_BAD_KEPT: usize = 5;

/// One parsed data row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    /// `source_id` (0 when absent or missing).
    pub source_id: i64,
    /// ra in degrees (None when missing).
    pub ra: Option<f64>,
    /// dec in degrees.
    pub dec: Option<f64>,
    /// parallax in mas.
    pub parallax: Option<f64>,
    /// phot_g_mean_mag.
    pub mag: Option<f64>,
}

fn is_missing(f: &[u8]) -> bool {
    matches!(f.len(), 0 | 3 | 4) && (f.is_empty() || f.eq_ignore_ascii_case(b"nan") || f.eq_ignore_ascii_case(b"null"))
}

/// `f` as text. When `f` lies inside `text` (the batch, already checked to be UTF-8) this is
/// the same bytes taken from `text` without checking them again; otherwise they are checked.
fn as_text<'a>(f: &'a [u8], text: Option<&'a str>) -> Option<&'a str> {
    if let Some(t) = text {
        let start = (f.as_ptr() as usize).wrapping_sub(t.as_ptr() as usize);
        if let Some(s) = start.checked_add(f.len()).and_then(|end| t.get(start..end)) {
            return Some(s);
        }
    }
    std::str::from_utf8(f).ok()
}

fn num(f: &[u8], name: &str, text: Option<&str>) -> std::result::Result<Option<f64>, String> {
    let f = trim(f);
    if is_missing(f) {
        return Ok(None);
    }
    let s = as_text(f, text).ok_or_else(|| format!("column `{name}`: not text"))?;
    let v: f64 = s.parse().map_err(|_| format!("column `{name}`: `{}` is not a number", shorten(s)))?;
    Ok(if v.is_nan() { None } else { Some(v) })
}

fn trim(f: &[u8]) -> &[u8] {
    let mut f = f;
    while let [b' ' | b'\t', rest @ ..] = f {
        f = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = f {
        f = rest;
    }
    if f.len() >= 2 && f[0] == b'"' && f[f.len() - 1] == b'"' {
        f = &f[1..f.len() - 1];
    }
    f
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Splits a quoted CSV line into fields (slow path, for lines with `"`).
fn split_quoted(line: &[u8]) -> std::result::Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    let mut inq = false;
    let mut i = 0;
    while i < line.len() {
        let c = line[i];
        if inq {
            if c == b'"' {
                if line.get(i + 1) == Some(&b'"') {
                    cur.push(b'"');
                    i += 1;
                } else {
                    inq = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == b'"' {
            inq = true;
        } else if c == b',' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        i += 1;
    }
    if inq {
        return Err("unterminated quoted field".into());
    }
    out.push(cur);
    Ok(out)
}

/// Parses one data line (without its `\n`).
///
/// # Errors
/// A message (without file and line) for a wrong field count or a non-numeric field.
pub fn parse_line(line: &[u8], cols: &Columns) -> std::result::Result<Row, String> {
    parse_line_in(line, cols, None)
}

/// As [`parse_line`], `line` lying in `text` when the whole batch is valid UTF-8.
fn parse_line_in(line: &[u8], cols: &Columns, text: Option<&str>) -> std::result::Result<Row, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let idx = [cols.ra, cols.dec, cols.parallax, cols.source_id.unwrap_or(usize::MAX), cols.mag.unwrap_or(usize::MAX)];
    let mut fields: [&[u8]; 5] = [b""; 5];
    let owned;
    let nfields;
    if memchr::memchr(b'"', line).is_some() {
        owned = split_quoted(line)?;
        nfields = owned.len();
        for (slot, &i) in idx.iter().enumerate() {
            if i < owned.len() {
                fields[slot] = &owned[i];
            }
        }
    } else {
        // Walk the fields up to the last one needed, then only count the remaining commas.
        let last = idx.iter().copied().filter(|&i| i != usize::MAX).max().unwrap_or(0);
        let mut start = 0;
        let mut n = 0;
        let mut it = memchr::memchr_iter(b',', line);
        loop {
            let end = it.next();
            let e = end.unwrap_or(line.len());
            for (slot, &i) in idx.iter().enumerate() {
                if i == n {
                    fields[slot] = &line[start..e];
                }
            }
            n += 1;
            match end {
                Some(p) if n > last => {
                    n += 1 + memchr::memchr_iter(b',', &line[p + 1..]).count();
                    break;
                }
                Some(p) => start = p + 1,
                None => break,
            }
        }
        nfields = n;
    }
    if nfields != cols.ncols {
        return Err(format!("{nfields} fields, the header has {}", cols.ncols));
    }
    let ra = num(fields[0], "ra", text)?;
    let dec = num(fields[1], "dec", text)?;
    let parallax = num(fields[2], "parallax", text)?;
    let mag = if cols.mag.is_some() { num(fields[4], "phot_g_mean_mag", text)? } else { None };
    let source_id = if cols.source_id.is_some() {
        let f = trim(fields[3]);
        if is_missing(f) {
            0
        } else {
            let s = as_text(f, text).ok_or_else(|| "column `source_id`: not text".to_string())?;
            s.parse::<i64>().map_err(|_| format!("column `source_id`: `{}` is not an integer", shorten(s)))?
        }
    } else {
        0
    };
    Ok(Row { source_id, ra, dec, parallax, mag })
}

/// Counts and selects the rows of a batch.
pub fn parse_batch(batch: &Batch, cols: &Columns, sel: Selection) -> BatchResult {
    let mut res = BatchResult { file: batch.file, ..Default::default() };
    let mut lineno = batch.first_line;
    let data = &batch.data;
    // One UTF-8 check for the whole batch instead of one per field (fields of a batch that
    // fails it are checked one by one, as before).
    let text = std::str::from_utf8(data).ok();
    let mut start = 0;
    while start < data.len() {
        let end = memchr::memchr(b'\n', &data[start..]).map(|p| start + p).unwrap_or(data.len());
        let line = &data[start..end];
        start = end + 1;
        let this = lineno;
        lineno += 1;
        if line.first() == Some(&b'#') {
            res.counts.comment_lines += 1;
            continue;
        }
        if line.is_empty() || line == b"\r" {
            continue;
        }
        res.counts.rows += 1;
        match parse_line_in(line, cols, text) {
            Err(msg) => {
                res.counts.malformed += 1;
                if res.bad.len() < MAX_BAD_KEPT {
                    res.bad.push((this, msg));
                }
            }
            Ok(row) => classify(&row, sel, &mut res),
        }
    }
    res
}

fn classify(row: &Row, sel: Selection, res: &mut BatchResult) {
    let (Some(ra), Some(dec), Some(p)) = (row.ra, row.dec, row.parallax) else {
        res.counts.missing_parallax += 1;
        return;
    };
    if p < 0.0 {
        res.counts.negative_parallax += 1;
    } else if p == 0.0 {
        res.counts.zero_parallax += 1;
    } else {
        res.counts.positive_parallax += 1;
    }
    if let Some(d) = select_distance(p, sel.k, sel.radius_ly) {
        let pos = to_cartesian(ra, dec, d);
        res.counts.selected += 1;
        res.stars.push(Star { source_id: row.source_id, pos, d_ly: d, mag: row.mag.map_or(f32::NAN, |m| m as f32) });
    }
}

/// Reads a whole file in the calling thread (for tests and small inputs): counts, selected
/// stars and malformed rows.
///
/// # Errors
/// As [`GaiaReader::open`] and [`GaiaReader::next_batch`].
pub fn read_file(path: &Path, sel: Selection) -> Result<BatchResult> {
    let mut r = GaiaReader::open(path)?;
    let cols = r.columns.clone();
    let mut total = BatchResult::default();
    while let Some(b) = r.next_batch(0, 1 << 22)? {
        let res = parse_batch(&b, &cols, sel);
        total.counts.add(&res.counts);
        total.stars.extend(res.stars);
        for b in res.bad {
            if total.bad.len() < MAX_BAD_KEPT {
                total.bad.push(b);
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Columns {
        Columns::from_header("source_id,ra,dec,parallax,phot_g_mean_mag").unwrap()
    }

    #[test]
    fn missing_tokens_and_quotes() {
        let c = cols();
        let r = parse_line(b"5,10.5,-3,null,12", &c).unwrap();
        assert_eq!(r.parallax, None);
        let r = parse_line(b"5,10.5,-3,NaN,", &c).unwrap();
        assert_eq!((r.parallax, r.mag), (None, None));
        let r = parse_line(b"5,\"10.5\",-3,2.5,nan\r", &c).unwrap();
        assert_eq!((r.ra, r.parallax), (Some(10.5), Some(2.5)));
        assert!(parse_line(b"5,10.5,-3,abc,1", &c).unwrap_err().contains("parallax"));
        assert!(parse_line(b"5,10.5,-3", &c).unwrap_err().contains("3 fields"));
        assert!(parse_line(b"5,10.5,-3,1,2,7", &c).unwrap_err().contains("6 fields"));
        assert!(parse_line(b"5,10.5,-3,1,2,7,,", &c).unwrap_err().contains("8 fields"));
        assert!(parse_line(b"x,10.5,-3,1,1", &c).unwrap_err().contains("source_id"));
    }

    #[test]
    fn fields_of_a_checked_batch_read_as_before() {
        let c = cols();
        let text = "5,10.5,-3,2.5,12\n6,x,1,1,1\n";
        let lines: Vec<&[u8]> = text.as_bytes().split(|&b| b == b'\n').collect();
        assert_eq!(parse_line_in(lines[0], &c, Some(text)), parse_line(lines[0], &c));
        assert_eq!(parse_line_in(lines[1], &c, Some(text)), parse_line(lines[1], &c));
        // A field outside `text` (here: another buffer) is checked on its own.
        let other = b"5,10.5,-3,2.5,\xff";
        assert_eq!(as_text(&other[..3], Some(text)), Some("5,1"));
        assert_eq!(as_text(&other[14..], Some(text)), None);
        assert_eq!(as_text(b"", Some(text)), Some(""));
        assert!(parse_line_in(other, &c, Some(text)).unwrap_err().contains("not text"));
    }

    #[test]
    fn header_names_missing_column() {
        let e = Columns::from_header("source_id,ra,decl,parallax").unwrap_err();
        assert!(format!("{e:#}").contains("`dec`"));
    }
}
