//! NumPy dtype strings (`shared/spec/b2nd.md` 1): the string is kept as written; its kind,
//! byte order and item size are derived from it. Structured dtypes (python-blosc2 writes
//! `str(dtype)`, the repr of the field list or dict) are parsed only to compute their size.

use crate::error::{Error, Result};

/// What kind of values a dtype holds (NumPy's `dtype.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `b`: booleans (one byte each).
    Bool,
    /// `i`: signed integers.
    Int,
    /// `u`: unsigned integers.
    UInt,
    /// `f`: IEEE floats (2, 4, 8, 16 bytes).
    Float,
    /// `c`: complex numbers (two floats).
    Complex,
    /// `S`: fixed-size byte strings.
    Bytes,
    /// `U`: fixed-size UCS-4 strings.
    Unicode,
    /// `V`: raw bytes.
    Void,
    /// `M`: datetime64.
    DateTime,
    /// `m`: timedelta64.
    TimeDelta,
    /// A structured dtype (fields), kept as its string.
    Structured,
}

/// Byte order of a dtype's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ByteOrder {
    /// `<`
    Little,
    /// `>`
    Big,
    /// `|`: not applicable (one-byte values, strings, structures).
    NotApplicable,
}

/// One field of a structured dtype ([`DType::fields`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Byte offset of the field in an element.
    pub offset: usize,
    /// The field's dtype (the element type of a sub-array field).
    pub dtype: DType,
    /// Number of values of `dtype` (1 unless the field is a sub-array).
    pub count: usize,
}

/// A NumPy dtype: its string and what follows from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DType {
    string: String,
    kind: Kind,
    order: ByteOrder,
    itemsize: usize,
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.string)
    }
}

impl std::str::FromStr for DType {
    type Err = Error;
    fn from_str(s: &str) -> Result<DType> {
        DType::parse(s)
    }
}

fn unknown(s: &str) -> Error {
    Error::UnknownDtype { dtype: s.to_string() }
}

impl DType {
    /// Parses a dtype string: NumPy's `dtype.str` (`"<f8"`, `"|b1"`, `"|S3"`, `"<U5"`,
    /// `"<M8[ns]"`, `">i4"`, ...), a structured dtype's `str(dtype)`, or a common name
    /// (`"float32"`, `"uint8"`, `"bool"`, ...; normalized to the little-endian type string).
    ///
    /// # Errors
    /// [`Error::UnknownDtype`] for anything else (object dtypes included) and for zero-size
    /// dtypes.
    pub fn parse(s: &str) -> Result<DType> {
        let t = s.trim();
        if t.starts_with('[') || t.starts_with('{') {
            let v = pylit::parse(t).ok_or_else(|| unknown(s))?;
            let itemsize = structured_size(&v).ok_or_else(|| unknown(s))?;
            if itemsize == 0 {
                return Err(unknown(s));
            }
            return Ok(DType {
                string: s.to_string(),
                kind: Kind::Structured,
                order: ByteOrder::NotApplicable,
                itemsize,
            });
        }
        if let Some(canon) = named(t) {
            return DType::parse(canon);
        }
        let (kind, order, itemsize) = simple(t).ok_or_else(|| unknown(s))?;
        if itemsize == 0 {
            return Err(unknown(s));
        }
        Ok(DType { string: s.to_string(), kind, order, itemsize })
    }

    /// The dtype string, as stored in the `b2nd` metalayer.
    pub fn as_str(&self) -> &str {
        &self.string
    }

    /// The kind of values.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The byte order.
    pub fn byte_order(&self) -> ByteOrder {
        self.order
    }

    /// Bytes per element (the super-chunk typesize).
    pub fn itemsize(&self) -> usize {
        self.itemsize
    }

    /// The `S<typesize>` dtype python-blosc2 assumes when the metalayer has none.
    pub fn bytes_of(typesize: usize) -> DType {
        DType {
            string: format!("|S{typesize}"),
            kind: Kind::Bytes,
            order: ByteOrder::NotApplicable,
            itemsize: typesize,
        }
    }

    /// The fields of a structured dtype in order (`None` for other dtypes): name, byte
    /// offset in the element and the field's own dtype. A field with a sub-array shape
    /// (`('p', '<f4', (2, 3))`) has `count` > 1 and `dtype` its element type; a nested
    /// structure is a field of [`Kind::Structured`].
    pub fn fields(&self) -> Option<Vec<Field>> {
        use pylit::Value;
        if self.kind != Kind::Structured {
            return None;
        }
        let field_dtype = |v: &Value| -> Option<DType> {
            match v {
                Value::Str(s) => DType::parse(s).ok(),
                Value::List(_) | Value::Dict(_) => DType::parse(&pylit::repr(v)).ok(),
                _ => None,
            }
        };
        match pylit::parse(self.string.trim())? {
            Value::List(items) => {
                let mut offset = 0usize;
                let mut out = Vec::with_capacity(items.len());
                for f in &items {
                    let Value::Tuple(parts) = f else { return None };
                    let (name, dtype, count) = match parts.as_slice() {
                        [Value::Str(n), fmt] => (n.clone(), field_dtype(fmt)?, 1),
                        [Value::Str(n), fmt, shape] => (n.clone(), field_dtype(fmt)?, shape_count(shape)?),
                        _ => return None,
                    };
                    let size = dtype.itemsize.checked_mul(count)?;
                    out.push(Field { name, offset, dtype, count });
                    offset = offset.checked_add(size)?;
                }
                Some(out)
            }
            Value::Dict(entries) => {
                let get =
                    |k: &str| entries.iter().find(|(key, _)| matches!(key, Value::Str(s) if s == k)).map(|(_, v)| v);
                let (Some(Value::List(names)), Some(Value::List(formats))) = (get("names"), get("formats")) else {
                    return None;
                };
                if names.len() != formats.len() {
                    return None;
                }
                let offsets: Option<Vec<usize>> = match get("offsets") {
                    Some(Value::List(o)) if o.len() == names.len() => o
                        .iter()
                        .map(|v| match v {
                            Value::Int(i) => usize::try_from(*i).ok(),
                            _ => None,
                        })
                        .collect(),
                    Some(_) => return None,
                    None => None,
                };
                let mut pos = 0usize;
                let mut out = Vec::with_capacity(names.len());
                for (i, (n, fmt)) in names.iter().zip(formats).enumerate() {
                    let Value::Str(name) = n else { return None };
                    let dtype = field_dtype(fmt)?;
                    let offset = offsets.as_ref().map_or(pos, |o| o[i]);
                    pos = offset.checked_add(dtype.itemsize)?;
                    out.push(Field { name: name.clone(), offset, dtype, count: 1 });
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// The `filters_meta` python-blosc2 gives SHUFFLE for this dtype (4 for unicode).
    pub fn shuffle_meta(&self) -> u8 {
        if self.kind == Kind::Unicode {
            4
        } else {
            0
        }
    }
}

fn named(t: &str) -> Option<&'static str> {
    Some(match t {
        "bool" => "|b1",
        "int8" => "|i1",
        "uint8" => "|u1",
        "int16" => "<i2",
        "uint16" => "<u2",
        "int32" => "<i4",
        "uint32" => "<u4",
        "int64" => "<i8",
        "uint64" => "<u8",
        "float16" => "<f2",
        "float32" => "<f4",
        "float64" => "<f8",
        "complex64" => "<c8",
        "complex128" => "<c16",
        _ => return None,
    })
}

/// Kind, byte order and size of a non-structured type string.
fn simple(t: &str) -> Option<(Kind, ByteOrder, usize)> {
    let (order_char, rest) = match t.chars().next()? {
        c @ ('<' | '>' | '|' | '=') => (Some(c), &t[1..]),
        _ => (None, t),
    };
    let code = rest.chars().next()?;
    let tail = &rest[code.len_utf8()..];
    let (digits, unit) = match tail.find('[') {
        Some(p) => (&tail[..p], Some(&tail[p..])),
        None => (tail, None),
    };
    let num: Option<usize> = if digits.is_empty() {
        None
    } else {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(digits.parse().ok()?)
    };
    let (kind, size) = match (code, num) {
        ('?', None) | ('b', Some(1)) => (Kind::Bool, 1),
        ('b', None) => (Kind::Int, 1),
        ('B', None) => (Kind::UInt, 1),
        ('h', None) => (Kind::Int, 2),
        ('H', None) => (Kind::UInt, 2),
        ('i', None) | ('l', None) => (Kind::Int, 4 + 4 * usize::from(code == 'l')),
        ('I', None) | ('L', None) => (Kind::UInt, 4 + 4 * usize::from(code == 'L')),
        ('q', None) => (Kind::Int, 8),
        ('Q', None) => (Kind::UInt, 8),
        ('e', None) => (Kind::Float, 2),
        ('f', None) => (Kind::Float, 4),
        ('d', None) => (Kind::Float, 8),
        ('F', None) => (Kind::Complex, 8),
        ('D', None) => (Kind::Complex, 16),
        ('i', Some(n @ (1 | 2 | 4 | 8))) => (Kind::Int, n),
        ('u', Some(n @ (1 | 2 | 4 | 8))) => (Kind::UInt, n),
        ('f', Some(n @ (2 | 4 | 8 | 16))) => (Kind::Float, n),
        ('c', Some(n @ (8 | 16 | 32))) => (Kind::Complex, n),
        ('S' | 'a', Some(n)) => (Kind::Bytes, n),
        ('U', Some(n)) => (Kind::Unicode, n.checked_mul(4)?),
        ('V', Some(n)) => (Kind::Void, n),
        ('M', Some(8)) | ('M', None) => (Kind::DateTime, 8),
        ('m', Some(8)) | ('m', None) => (Kind::TimeDelta, 8),
        _ => return None,
    };
    if let Some(u) = unit {
        let ok = matches!(kind, Kind::DateTime | Kind::TimeDelta)
            && u.ends_with(']')
            && u[1..u.len() - 1].bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            return None;
        }
    }
    let order = match order_char {
        Some('<') => ByteOrder::Little,
        Some('>') => ByteOrder::Big,
        Some('|') => ByteOrder::NotApplicable,
        _ if size == 1 || matches!(kind, Kind::Bytes | Kind::Void) => ByteOrder::NotApplicable,
        _ => ByteOrder::Little, // '=' or none: native (little-endian targets)
    };
    Some((kind, order, size))
}

/// Size of a field format: a type string, a nested field list or a dict form.
fn format_size(v: &pylit::Value) -> Option<usize> {
    match v {
        pylit::Value::Str(s) => {
            let d = DType::parse(s).ok()?;
            Some(d.itemsize)
        }
        pylit::Value::List(_) | pylit::Value::Dict(_) => structured_size(v),
        _ => None,
    }
}

/// Size of a structured dtype given as its list or dict repr.
fn structured_size(v: &pylit::Value) -> Option<usize> {
    use pylit::Value;
    match v {
        Value::List(fields) => {
            let mut total = 0usize;
            for f in fields {
                let Value::Tuple(parts) = f else { return None };
                let size = match parts.as_slice() {
                    [Value::Str(_), fmt] => format_size(fmt)?,
                    [Value::Str(_), fmt, shape] => format_size(fmt)?.checked_mul(shape_count(shape)?)?,
                    _ => return None,
                };
                total = total.checked_add(size)?;
            }
            Some(total)
        }
        Value::Dict(entries) => {
            let get = |k: &str| entries.iter().find(|(key, _)| matches!(key, Value::Str(s) if s == k)).map(|(_, v)| v);
            let Some(Value::List(formats)) = get("formats") else { return None };
            if let Some(Value::Int(n)) = get("itemsize") {
                return usize::try_from(*n).ok();
            }
            let sizes: Vec<usize> = formats.iter().map(format_size).collect::<Option<_>>()?;
            match get("offsets") {
                Some(Value::List(offs)) if offs.len() == sizes.len() => {
                    let mut end = 0usize;
                    for (o, s) in offs.iter().zip(&sizes) {
                        let Value::Int(o) = o else { return None };
                        end = end.max(usize::try_from(*o).ok()?.checked_add(*s)?);
                    }
                    Some(end)
                }
                None => sizes.iter().try_fold(0usize, |a, &s| a.checked_add(s)),
                _ => None,
            }
        }
        _ => None,
    }
}

fn shape_count(v: &pylit::Value) -> Option<usize> {
    match v {
        pylit::Value::Int(n) => usize::try_from(*n).ok(),
        pylit::Value::Tuple(items) => items.iter().try_fold(1usize, |a, x| match x {
            pylit::Value::Int(n) => a.checked_mul(usize::try_from(*n).ok()?),
            _ => None,
        }),
        _ => None,
    }
}

/// A parser for the Python literals that appear in structured dtype reprs and `.npy`
/// headers.
pub(crate) mod pylit {
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Str(String),
        Int(i64),
        Bool(bool),
        List(Vec<Value>),
        Tuple(Vec<Value>),
        Dict(Vec<(Value, Value)>),
    }

    /// The Python repr of a value (single quotes, `(a,)` for one-item tuples).
    pub fn repr(v: &Value) -> String {
        let join = |items: &[Value]| items.iter().map(repr).collect::<Vec<_>>().join(", ");
        match v {
            Value::Str(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => (if *b { "True" } else { "False" }).to_string(),
            Value::List(items) => format!("[{}]", join(items)),
            Value::Tuple(items) if items.len() == 1 => format!("({},)", repr(&items[0])),
            Value::Tuple(items) => format!("({})", join(items)),
            Value::Dict(items) => {
                let parts: Vec<String> = items.iter().map(|(k, v)| format!("{}: {}", repr(k), repr(v))).collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }

    pub fn parse(s: &str) -> Option<Value> {
        let mut p = P { b: s.as_bytes(), i: 0, depth: 0 };
        let v = p.value()?;
        p.ws();
        (p.i == p.b.len()).then_some(v)
    }

    struct P<'a> {
        b: &'a [u8],
        i: usize,
        depth: usize,
    }

    impl P<'_> {
        fn ws(&mut self) {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
        }

        fn peek(&mut self) -> Option<u8> {
            self.ws();
            self.b.get(self.i).copied()
        }

        fn value(&mut self) -> Option<Value> {
            self.depth += 1;
            if self.depth > 32 {
                return None;
            }
            let v = match self.peek()? {
                b'\'' | b'"' => Value::Str(self.string()?),
                b'[' => Value::List(self.seq(b']')?),
                b'(' => Value::Tuple(self.seq(b')')?),
                b'{' => self.dict()?,
                b'-' | b'0'..=b'9' => self.int()?,
                b'T' if self.b[self.i..].starts_with(b"True") => {
                    self.i += 4;
                    Value::Bool(true)
                }
                b'F' if self.b[self.i..].starts_with(b"False") => {
                    self.i += 5;
                    Value::Bool(false)
                }
                _ => return None,
            };
            self.depth -= 1;
            Some(v)
        }

        fn string(&mut self) -> Option<String> {
            let q = self.b[self.i];
            self.i += 1;
            let mut out = Vec::new();
            loop {
                let c = *self.b.get(self.i)?;
                self.i += 1;
                if c == q {
                    return String::from_utf8(out).ok();
                }
                if c == b'\\' {
                    out.push(*self.b.get(self.i)?);
                    self.i += 1;
                } else {
                    out.push(c);
                }
            }
        }

        fn int(&mut self) -> Option<Value> {
            let start = self.i;
            if self.b[self.i] == b'-' {
                self.i += 1;
            }
            while self.i < self.b.len() && self.b[self.i].is_ascii_digit() {
                self.i += 1;
            }
            std::str::from_utf8(&self.b[start..self.i]).ok()?.parse().ok().map(Value::Int)
        }

        fn seq(&mut self, close: u8) -> Option<Vec<Value>> {
            self.i += 1;
            let mut items = Vec::new();
            loop {
                if self.peek()? == close {
                    self.i += 1;
                    return Some(items);
                }
                items.push(self.value()?);
                match self.peek()? {
                    b',' => self.i += 1,
                    c if c == close => {}
                    _ => return None,
                }
            }
        }

        fn dict(&mut self) -> Option<Value> {
            self.i += 1;
            let mut items = Vec::new();
            loop {
                if self.peek()? == b'}' {
                    self.i += 1;
                    return Some(Value::Dict(items));
                }
                let k = self.value()?;
                if self.peek()? != b':' {
                    return None;
                }
                self.i += 1;
                let v = self.value()?;
                items.push((k, v));
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {}
                    _ => return None,
                }
            }
        }
    }
}

/// Rust types that can view the elements of an array of a matching dtype.
pub trait Element: Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + 'static {
    /// The dtype kind.
    const KIND: Kind;
    /// Bytes per element.
    const SIZE: usize;
    /// The little-endian NumPy type string (`"<f4"`, `"|u1"`, ...).
    const DTYPE: &'static str;
    /// Reads one element.
    fn read(b: &[u8], big_endian: bool) -> Self;
    /// Writes one element.
    fn write(self, out: &mut [u8], big_endian: bool);

    /// The dtype of this type.
    fn dtype() -> DType {
        DType::parse(Self::DTYPE).expect("built-in dtype")
    }

    /// Whether values of `dtype` can be viewed as this type.
    fn matches(dtype: &DType) -> bool {
        dtype.kind() == Self::KIND && dtype.itemsize() == Self::SIZE
    }
}

macro_rules! element {
    ($t:ty, $kind:expr, $s:expr) => {
        impl Element for $t {
            const KIND: Kind = $kind;
            const SIZE: usize = std::mem::size_of::<$t>();
            const DTYPE: &'static str = $s;
            fn read(b: &[u8], big_endian: bool) -> Self {
                let a = b[..Self::SIZE].try_into().expect("element size");
                if big_endian {
                    <$t>::from_be_bytes(a)
                } else {
                    <$t>::from_le_bytes(a)
                }
            }
            fn write(self, out: &mut [u8], big_endian: bool) {
                let a = if big_endian { self.to_be_bytes() } else { self.to_le_bytes() };
                out[..Self::SIZE].copy_from_slice(&a);
            }
        }
    };
}

element!(i8, Kind::Int, "|i1");
element!(i16, Kind::Int, "<i2");
element!(i32, Kind::Int, "<i4");
element!(i64, Kind::Int, "<i8");
element!(u8, Kind::UInt, "|u1");
element!(u16, Kind::UInt, "<u2");
element!(u32, Kind::UInt, "<u4");
element!(u64, Kind::UInt, "<u8");
element!(f32, Kind::Float, "<f4");
element!(f64, Kind::Float, "<f8");

impl Element for bool {
    const KIND: Kind = Kind::Bool;
    const SIZE: usize = 1;
    const DTYPE: &'static str = "|b1";
    fn read(b: &[u8], _: bool) -> Self {
        b[0] != 0
    }
    fn write(self, out: &mut [u8], _: bool) {
        out[0] = u8::from(self);
    }
}

/// Decodes little- or big-endian element bytes into values.
pub(crate) fn to_values<T: Element>(bytes: &[u8], dtype: &DType) -> Vec<T> {
    let big = dtype.byte_order() == ByteOrder::Big;
    bytes.chunks_exact(T::SIZE).map(|c| T::read(c, big)).collect()
}

/// Encodes values into element bytes in `dtype`'s byte order.
pub(crate) fn to_bytes<T: Element>(values: &[T], dtype: &DType) -> Vec<u8> {
    let big = dtype.byte_order() == ByteOrder::Big;
    let mut out = vec![0u8; values.len() * T::SIZE];
    for (v, o) in values.iter().zip(out.chunks_exact_mut(T::SIZE)) {
        v.write(o, big);
    }
    out
}

/// Checks that `T` can view `dtype`.
pub(crate) fn check_element<T: Element>(dtype: &DType) -> Result<()> {
    if T::matches(dtype) {
        Ok(())
    } else {
        Err(Error::DtypeMismatch { expected: T::DTYPE.to_string(), found: dtype.as_str().to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_strings() {
        for (s, kind, size) in [
            ("<f8", Kind::Float, 8),
            ("|b1", Kind::Bool, 1),
            ("|S3", Kind::Bytes, 3),
            ("<U5", Kind::Unicode, 20),
            ("<c16", Kind::Complex, 16),
            ("<M8[ns]", Kind::DateTime, 8),
            (">i4", Kind::Int, 4),
            ("|V7", Kind::Void, 7),
            ("<f2", Kind::Float, 2),
            ("float32", Kind::Float, 4),
        ] {
            let d = DType::parse(s).unwrap();
            assert_eq!((d.kind(), d.itemsize()), (kind, size), "{s}");
            if !s.starts_with('f') {
                assert_eq!(d.as_str(), s);
            }
        }
        assert_eq!(DType::parse("float32").unwrap().as_str(), "<f4");
        assert_eq!(DType::parse(">i4").unwrap().byte_order(), ByteOrder::Big);
        for bad in ["", "<x4", "<i3", "|O", "<U0", "<M8[n s]", "[('a', '<q9')]", "[('a'", "{'names': 1}"] {
            assert!(matches!(DType::parse(bad), Err(Error::UnknownDtype { .. })), "{bad}");
        }
    }

    #[test]
    fn structured_sizes() {
        for (s, size) in [
            ("[('x', '<i4'), ('y', '<f8'), ('name', 'S5')]", 17),
            (
                "[('a', '?'), ('b', 'i1'), ('c', 'u1'), ('d', '>i4'), ('e', '<U3'), ('f', 'S2'), ('g', '<f2'), ('h', '<c8'), ('i', '<M8[ns]'), ('j', 'V3')]",
                42,
            ),
            ("[('p', '<f4', (2, 3)), ('q', [('x', '<i2'), ('y', 'u1')])]", 27),
            ("{'names': ['a', 'b'], 'formats': ['<i2', '<f4'], 'offsets': [0, 4], 'itemsize': 12}", 12),
            ("{'names': ['a', 'b'], 'formats': ['<i2', '<f4'], 'offsets': [0, 4]}", 8),
            ("{'names': ['a', 'b'], 'formats': ['<i4', 'i1'], 'offsets': [0, 4], 'itemsize': 8, 'aligned': True}", 8),
        ] {
            let d = DType::parse(s).unwrap();
            assert_eq!(d.kind(), Kind::Structured);
            assert_eq!(d.itemsize(), size, "{s}");
            let fields = d.fields().unwrap();
            let end = fields.iter().map(|f| f.offset + f.dtype.itemsize() * f.count).max().unwrap();
            assert!(end <= size, "{s}");
        }
    }

    #[test]
    fn structured_fields() {
        let d = DType::parse("[('x', '<i4'), ('y', '<f8', (2,)), ('q', [('a', '<i2'), ('b', 'u1')])]").unwrap();
        let f = d.fields().unwrap();
        let got: Vec<(&str, usize, &str, usize)> =
            f.iter().map(|f| (f.name.as_str(), f.offset, f.dtype.as_str(), f.count)).collect();
        assert_eq!(got, [("x", 0, "<i4", 1), ("y", 4, "<f8", 2), ("q", 20, "[('a', '<i2'), ('b', 'u1')]", 1)]);
        let d = DType::parse("{'names': ['a', 'b'], 'formats': ['<i2', '<f4'], 'offsets': [0, 4], 'itemsize': 12}")
            .unwrap();
        let f = d.fields().unwrap();
        assert_eq!((f[1].name.as_str(), f[1].offset, f[1].dtype.as_str()), ("b", 4, "<f4"));
        assert!(DType::parse("<f4").unwrap().fields().is_none());
    }
}
