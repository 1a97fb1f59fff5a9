//! `blosc2 tune plot DATA -o OUT.png`: a PNG of the expected size that decodes and shows
//! the points in the codecs' colours; bad input writes nothing.

mod common;

use blosc2_testkit::temp_dir;
use common::blosc2;

/// Decodes a PNG: (width, height, RGB bytes).
fn decode(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn the_plot_decodes_has_its_size_and_shows_every_codec() {
    let dir = temp_dir!("tune-plot");
    let raw = dir.join("data.raw");
    let data: Vec<u8> = (0..60_000u64).flat_map(|i| (i * 3 + (i % 7)).to_le_bytes()).collect();
    std::fs::write(&raw, &data).unwrap();
    for (mode, size) in [("comp", ("900", "600")), ("balanced", ("1000", "700"))] {
        let out = dir.join(format!("plot-{mode}.png"));
        let o = blosc2(&[
            "tune",
            "plot",
            raw.to_str().unwrap(),
            "--typesize",
            "8",
            "-o",
            out.to_str().unwrap(),
            "--tradeoff",
            "0.6",
            "--mode",
            mode,
            "--rounds",
            "1",
            "--nthreads",
            "1",
            "--chunksize",
            "131072",
            "--width",
            size.0,
            "--height",
            size.1,
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{err}");
        assert!(err.contains("60 settings"), "{err}");
        let (w, h, rgb) = decode(&out);
        assert_eq!((w.to_string(), h.to_string()), (size.0.to_string(), size.1.to_string()));
        assert_eq!(rgb.len(), (w * h * 3) as usize);
        let px: Vec<[u8; 3]> = rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
        let white = px.iter().filter(|p| **p == [255, 255, 255]).count();
        assert!(white < px.len() * 99 / 100, "{mode}: blank");
        assert!(white > px.len() / 2, "{mode}: mostly background expected");
        // Every codec's colour is drawn (legend and points).
        for (codec, c) in [
            ("blosclz", [31, 119, 180]),
            ("lz4", [255, 127, 14]),
            ("lz4hc", [44, 160, 44]),
            ("zlib", [214, 39, 40]),
            ("zstd", [148, 103, 189]),
        ] {
            let n = px.iter().filter(|p| **p == c).count();
            assert!(n > 150, "{mode}: {codec} drawn in {n} pixels");
        }
        // No temporary file left beside it.
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(left.iter().all(|f| f == "data.raw" || f.to_string_lossy().ends_with(".png")), "{left:?}");
    }
}

#[test]
fn bad_plot_input_writes_nothing() {
    let dir = temp_dir!("tune-plot-bad");
    let raw = dir.join("x.bin");
    std::fs::write(&raw, [7u8; 8192]).unwrap();
    let r = raw.to_str().unwrap();
    let out = dir.join("out.png");
    let o = out.to_str().unwrap();
    let cases: [&[&str]; 6] = [
        &["tune", "plot", "missing.npy", "-o", o],
        &["tune", "plot", r, "-o", o],
        &["tune", "plot", r, "--typesize", "1", "-o", o, "--tradeoff", "1.2"],
        &["tune", "plot", r, "--typesize", "1", "-o", o, "--mode", "fast"],
        &["tune", "plot", r, "--typesize", "1", "-o", o, "--chunksize", "1024,2048"],
        &["tune", "plot", r, "--typesize", "1", "-o", o, "--width", "10"],
    ];
    for args in cases {
        let p = blosc2(args);
        assert_eq!(p.status.code(), Some(1), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&p.stderr).trim().lines().count(), 1, "{args:?}");
        assert!(!out.exists(), "{args:?}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{args:?}: something written");
    }
}
