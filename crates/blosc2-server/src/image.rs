//! 2-D images of values: colour maps and PNG encoding.

use std::str::FromStr;

/// A colour map: values from the low to the high limit go through its colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorMap {
    /// Dark blue through green to yellow (matplotlib's default).
    Viridis,
    /// Black through purple and orange to light yellow.
    Magma,
    /// Black to white.
    Gray,
    /// Blue through white to red (for values around zero).
    Coolwarm,
}

impl ColorMap {
    /// Every colour map, by name.
    pub const ALL: [(&'static str, ColorMap); 4] = [
        ("viridis", ColorMap::Viridis),
        ("magma", ColorMap::Magma),
        ("gray", ColorMap::Gray),
        ("coolwarm", ColorMap::Coolwarm),
    ];

    fn stops(self) -> &'static [[u8; 3]] {
        match self {
            ColorMap::Viridis => &[
                [68, 1, 84],
                [72, 40, 120],
                [62, 74, 137],
                [49, 104, 142],
                [38, 130, 142],
                [31, 158, 137],
                [53, 183, 121],
                [110, 206, 88],
                [181, 222, 43],
                [253, 231, 37],
            ],
            ColorMap::Magma => &[
                [0, 0, 4],
                [28, 16, 68],
                [79, 18, 123],
                [129, 37, 129],
                [181, 54, 122],
                [229, 80, 100],
                [251, 135, 97],
                [254, 194, 135],
                [252, 253, 191],
            ],
            ColorMap::Gray => &[[0, 0, 0], [255, 255, 255]],
            ColorMap::Coolwarm => &[[59, 76, 192], [141, 176, 254], [221, 221, 221], [244, 154, 123], [180, 4, 38]],
        }
    }

    /// The colour of `t` in 0..=1 (clamped).
    pub fn color(self, t: f64) -> [u8; 3] {
        let stops = self.stops();
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let x = t * (stops.len() - 1) as f64;
        let i = (x.floor() as usize).min(stops.len() - 2);
        let f = x - i as f64;
        let (a, b) = (stops[i], stops[i + 1]);
        let mix = |k: usize| (f64::from(a[k]) + (f64::from(b[k]) - f64::from(a[k])) * f).round() as u8;
        [mix(0), mix(1), mix(2)]
    }
}

impl FromStr for ColorMap {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<ColorMap> {
        ColorMap::ALL.iter().find(|(n, _)| *n == s).map(|&(_, c)| c).ok_or_else(|| {
            crate::Error::bad("cmap", format!("unknown colour map {s:?} (viridis, magma, gray, coolwarm)"))
        })
    }
}

/// The finite minimum and maximum of `values` (`None` when none is finite).
pub fn finite_range(values: &[f64]) -> Option<(f64, f64)> {
    values.iter().filter(|v| v.is_finite()).fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

/// A `width` x `height` RGBA PNG of `values` (row-major, first row on top) through `cmap`
/// between `lo` and `hi`; values that are not finite are transparent.
///
/// # Panics
/// When `values.len() != width * height`.
pub fn encode_png(width: u32, height: u32, values: &[f64], lo: f64, hi: f64, cmap: ColorMap) -> Vec<u8> {
    assert_eq!(values.len(), width as usize * height as usize, "one value per pixel");
    let span = if hi > lo { hi - lo } else { 1.0 };
    let lut: Vec<[u8; 3]> = (0..256).map(|i| cmap.color(f64::from(i) / 255.0)).collect();
    let mut rgba = Vec::with_capacity(values.len() * 4);
    for &v in values {
        if v.is_finite() {
            let k = (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as usize;
            let c = lut[k];
            rgba.extend_from_slice(&[c[0], c[1], c[2], 255]);
        } else {
            rgba.extend_from_slice(&[0, 0, 0, 0]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().expect("writing to a Vec");
        w.write_image_data(&rgba).expect("writing to a Vec");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_and_png() {
        assert_eq!(ColorMap::Gray.color(0.0), [0, 0, 0]);
        assert_eq!(ColorMap::Gray.color(1.0), [255, 255, 255]);
        assert_eq!(ColorMap::Viridis.color(2.0), [253, 231, 37]);
        let v = [0.0, 1.0, f64::NAN, 2.0];
        let png = encode_png(2, 2, &v, 0.0, 2.0, ColorMap::Gray);
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size()];
        r.next_frame(&mut buf).unwrap();
        assert_eq!(&buf[..4], &[0, 0, 0, 255]);
        assert_eq!(&buf[4..8], &[128, 128, 128, 255]);
        assert_eq!(buf[11], 0);
        assert_eq!(&buf[12..16], &[255, 255, 255, 255]);
        assert_eq!(finite_range(&v), Some((0.0, 2.0)));
        assert!("jet".parse::<ColorMap>().is_err());
    }
}
