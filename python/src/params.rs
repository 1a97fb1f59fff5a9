//! Compression parameters from Python: a dict (or python-blosc2's `CParams`) with
//! python-blosc2's keys, accepting names (`"zstd"`, `"BITSHUFFLE"`, `"auto"`) or
//! python-blosc2's ints and enums.

use blosc2_core::chunk::{CompressParams, SplitMode};
use blosc2_core::codec::CodecId;
use blosc2_core::filter::{FilterId, Pipeline};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

/// The keys python-blosc2's `CParams` has.
const KEYS: [&str; 11] = [
    "codec",
    "codec_meta",
    "clevel",
    "use_dict",
    "typesize",
    "nthreads",
    "blocksize",
    "splitmode",
    "filters",
    "filters_meta",
    "tuner",
];

/// Parameters read from Python, before the typesize is known.
#[derive(Debug, Clone)]
pub struct CParams {
    /// The parameters.
    pub params: CompressParams,
    /// Whether `typesize` was given.
    pub typesize_given: bool,
    /// Whether `nthreads` was given.
    pub nthreads_given: bool,
}

impl Default for CParams {
    /// python-blosc2's `CParams()`: zstd, clevel 5, shuffle, typesize 8, every core.
    fn default() -> CParams {
        CParams {
            params: CompressParams { nthreads: cores(), ..CompressParams::default() },
            typesize_given: false,
            nthreads_given: false,
        }
    }
}

/// The number of cores (python-blosc2's default `nthreads`).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn name_or_int(v: &Bound<'_, PyAny>) -> PyResult<Result<String, i64>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Ok(s.to_cow()?.into_owned()));
    }
    if let Ok(n) = v.extract::<i64>() {
        return Ok(Err(n));
    }
    // python-blosc2's enums (`blosc2.Codec.ZSTD`, ...) hold the int in `value`.
    match v.getattr("value").and_then(|x| x.extract::<i64>()) {
        Ok(n) => Ok(Err(n)),
        Err(_) => Err(PyTypeError::new_err(format!("expected a name, an int or a blosc2 enum, not {v}"))),
    }
}

fn u8_in(name: &str, v: i64, lo: i64, hi: i64) -> PyResult<u8> {
    if v < lo || v > hi {
        return Err(PyValueError::new_err(format!("{name} must be in {lo}..={hi}, not {v}")));
    }
    Ok(v as u8)
}

/// A codec from a name or a python-blosc2 int.
pub fn codec(v: &Bound<'_, PyAny>) -> PyResult<CodecId> {
    match name_or_int(v)? {
        Ok(name) => CodecId::from_name(&name).ok_or_else(|| PyValueError::new_err(format!("unknown codec {name:?}"))),
        Err(n) => Ok(CodecId(u8_in("codec", n, 0, 255)?)),
    }
}

/// A filter from a name or a python-blosc2 int.
pub fn filter(v: &Bound<'_, PyAny>) -> PyResult<u8> {
    match name_or_int(v)? {
        Ok(name) => FilterId::from_name(&name)
            .map(|f| f.0)
            .ok_or_else(|| PyValueError::new_err(format!("unknown filter {name:?}"))),
        Err(n) => u8_in("filter", n, 0, 255),
    }
}

/// A split mode from a name or a python-blosc2 int (1-4).
pub fn splitmode(v: &Bound<'_, PyAny>) -> PyResult<SplitMode> {
    let mode = match name_or_int(v)? {
        Ok(name) => SplitMode::from_name(&name),
        Err(n) => u8::try_from(n).ok().and_then(SplitMode::from_code),
    };
    mode.ok_or_else(|| PyValueError::new_err(format!("unknown split mode {v}")))
}

/// A list (or one item) of filters.
pub fn filter_list(v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if v.cast::<PyString>().is_ok() || v.extract::<i64>().is_ok() || v.hasattr("value")? {
        return Ok(vec![filter(v)?]);
    }
    let items: Vec<Bound<'_, PyAny>> = v.try_iter()?.collect::<PyResult<_>>()?;
    if items.len() > 6 {
        return Err(PyValueError::new_err(format!("at most 6 filters, not {}", items.len())));
    }
    items.iter().map(filter).collect()
}

/// A meta byte: -128..=255, negative values stored as their byte (python-blosc2 does so for
/// TRUNC_PREC, INT_TRUNC and ZFP_ACC).
fn meta_byte(name: &str, m: i64) -> PyResult<u8> {
    match m {
        -128..=-1 => Ok(m as i8 as u8),
        0..=255 => Ok(m as u8),
        _ => Err(PyValueError::new_err(format!("{name} must be in -128..=255, not {m}"))),
    }
}

/// Filter metas: a list of ints (or one int).
pub fn meta_list(v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let items: Vec<i64> = match v.extract::<i64>() {
        Ok(n) => vec![n],
        Err(_) => v.extract().map_err(|_| PyTypeError::new_err("filters_meta is a list of ints"))?,
    };
    items.into_iter().map(|m| meta_byte("filters_meta", m)).collect()
}

/// Applies `key: value` to `p`.
fn apply(
    p: &mut CParams,
    key: &str,
    v: &Bound<'_, PyAny>,
    filters: &mut Option<Vec<u8>>,
    metas: &mut Option<Vec<u8>>,
) -> PyResult<()> {
    let q = &mut p.params;
    match key {
        "codec" => q.codec = codec(v)?,
        "codec_meta" => q.codec_meta = meta_byte("codec_meta", v.extract()?)?,
        "clevel" => q.clevel = u8_in("clevel", v.extract()?, 0, 9)?,
        "use_dict" => q.use_dict = v.is_truthy()?,
        "typesize" => {
            let t: i64 = v.extract()?;
            if t < 1 {
                return Err(PyValueError::new_err(format!("typesize must be positive, not {t}")));
            }
            q.typesize = t as usize;
            p.typesize_given = true;
        }
        "nthreads" => {
            let n: i64 = v.extract()?;
            q.nthreads = if n <= 0 { cores() } else { n as usize };
            p.nthreads_given = true;
        }
        "blocksize" => {
            let b: i64 = v.extract()?;
            q.blocksize = usize::try_from(b).map_err(|_| PyValueError::new_err("blocksize must be >= 0"))?;
        }
        "splitmode" => q.splitmode = splitmode(v)?,
        "filters" => *filters = Some(filter_list(v)?),
        "filters_meta" => *metas = Some(meta_list(v)?),
        "tuner" => {
            // Only python-blosc2's default tuner (STUNE, 0) exists here.
            let stune = match name_or_int(v)? {
                Ok(s) => s.eq_ignore_ascii_case("stune"),
                Err(n) => n == 0,
            };
            if !stune {
                return Err(PyValueError::new_err(format!("only the STUNE tuner is supported, not {v}")));
            }
        }
        other => {
            return Err(PyTypeError::new_err(format!(
                "unknown compression parameter {other:?} (known: {})",
                KEYS.join(", ")
            )))
        }
    }
    Ok(())
}

/// Puts `filters` in slots 0.. of the pipeline as python-blosc2 does, with `metas` (zeros
/// when not given; a longer meta list is cut to the filters).
fn pipeline(filters: Option<Vec<u8>>, metas: Option<Vec<u8>>, current: Pipeline) -> PyResult<Pipeline> {
    let Some(filters) = filters else {
        return match metas {
            // Metas for python-blosc2's six default slots.
            Some(m) if m.len() == 6 => Ok(Pipeline { filters: current.filters, meta: m.try_into().expect("6") }),
            Some(m) => Err(PyValueError::new_err(format!("{} filters_meta for the 6 default filters", m.len()))),
            None => Ok(current),
        };
    };
    let metas = metas.unwrap_or_else(|| vec![0; filters.len()]);
    if metas.len() < filters.len() {
        return Err(PyValueError::new_err("the number of filters cannot exceed the number of filters_meta"));
    }
    let mut p = Pipeline::default();
    for (i, (&f, &m)) in filters.iter().zip(&metas).enumerate() {
        p.filters[i] = f;
        p.meta[i] = m;
    }
    Ok(p)
}

/// Reads a cparams argument (`None`, a dict or an object with python-blosc2's `CParams`
/// attributes) over `base`, then the single keyword overrides in `overrides` (name,
/// value; `None` values skipped).
pub fn parse(
    py: Python<'_>,
    cparams: Option<&Bound<'_, PyAny>>,
    overrides: &[(&str, Option<&Bound<'_, PyAny>>)],
) -> PyResult<Option<CParams>> {
    let mut p = CParams::default();
    let mut any = false;
    let mut filters = None;
    let mut metas = None;
    if let Some(c) = cparams.filter(|c| !c.is_none()) {
        any = true;
        let dict = if let Ok(d) = c.cast::<PyDict>() {
            d.clone()
        } else if c.hasattr("__dataclass_fields__")? {
            py.import("dataclasses")?.call_method1("asdict", (c,))?.cast_into::<PyDict>()?
        } else {
            return Err(PyTypeError::new_err(format!("cparams must be a dict or a blosc2.CParams, not {c}")));
        };
        for (k, v) in dict.iter() {
            let key: String = k.extract()?;
            if v.is_none() {
                continue;
            }
            apply(&mut p, &key, &v, &mut filters, &mut metas)?;
        }
    }
    for (key, v) in overrides {
        if let Some(v) = v.filter(|v| !v.is_none()) {
            any = true;
            apply(&mut p, key, v, &mut filters, &mut metas)?;
        }
    }
    p.params.filters = pipeline(filters, metas, p.params.filters)?;
    Ok(any.then_some(p))
}

impl CParams {
    /// Sets the typesize (unless given) and applies python-blosc2's BYTEDELTA rules: a
    /// meta of 0 means the typesize, and at typesize 1 the filter is dropped.
    pub fn finish(&mut self, typesize: usize, force_typesize: bool) {
        if force_typesize || !self.typesize_given {
            self.params.typesize = typesize;
        }
        let ts = self.params.typesize;
        let f = &mut self.params.filters;
        for i in 0..6 {
            if f.filters[i] == FilterId::BYTEDELTA.0 {
                if ts == 1 {
                    f.filters[i] = 0;
                    f.meta[i] = 0;
                } else if f.meta[i] == 0 {
                    f.meta[i] = ts.min(255) as u8;
                }
            }
        }
    }
}

/// python-blosc2-like view of parameters: a dict with names for the codec, filters and
/// split mode.
pub fn to_dict<'py>(py: Python<'py>, p: &CompressParams) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    match p.codec.name() {
        Some(n) => d.set_item("codec", n)?,
        None => d.set_item("codec", p.codec.0)?,
    }
    d.set_item("codec_meta", p.codec_meta)?;
    d.set_item("clevel", p.clevel)?;
    d.set_item("use_dict", p.use_dict)?;
    d.set_item("typesize", p.typesize)?;
    d.set_item("nthreads", p.nthreads)?;
    d.set_item("blocksize", p.blocksize)?;
    d.set_item("splitmode", p.splitmode.name())?;
    let filters = PyList::empty(py);
    for &f in &p.filters.filters {
        match FilterId(f).name() {
            Some(n) => filters.append(n)?,
            None => filters.append(f)?,
        }
    }
    d.set_item("filters", filters)?;
    d.set_item("filters_meta", p.filters.meta.iter().map(|&m| i64::from(m)).collect::<Vec<_>>())?;
    Ok(d)
}
