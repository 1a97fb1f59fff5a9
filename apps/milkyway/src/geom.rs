//! Units, the (ra, dec, parallax) to Cartesian light-year conversion and the cube grid
//! (`shared/spec/gaia.md` 3.2-3.5).

/// Light years per parsec (rounded as in the spec; exact value 3.2615637771).
pub const LY_PER_PC: f64 = 3.26156;
/// Distance constant K (ly x mas) with 1 pc = 3.26156 ly: `d_ly = K / parallax_mas`.
pub const K_EXACT: f64 = 3261.56;
/// The talk's distance constant (3.26 ly per pc folded in).
pub const K_TALK: f64 = 3260.0;
/// The talk's selection radius in ly.
pub const DEFAULT_RADIUS_LY: f64 = 10_000.0;

/// ICRS to Galactic rotation (Hipparcos definition): `v_gal = A_G v_icrs`.
#[allow(clippy::excessive_precision)]
pub const A_G: [[f64; 3]; 3] = [
    [-0.0548755604162154, -0.8734370902348850, -0.4838350155487132],
    [0.4941094278755837, -0.4448296299600112, 0.7469822444972189],
    [-0.8676661490190047, -0.1980763734312015, 0.4559837761750669],
];

/// Distance in ly of a parallax in mas, or `None` when the star is not selected
/// (parallax not positive, or `K / p` not strictly below `radius_ly`).
pub fn select_distance(parallax_mas: f64, k: f64, radius_ly: f64) -> Option<f64> {
    if parallax_mas.is_nan() || parallax_mas <= 0.0 {
        return None;
    }
    let d = k / parallax_mas;
    (d > 0.0 && d < radius_ly).then_some(d)
}

/// Cartesian ICRS position in ly of a star at `ra_deg`, `dec_deg` and distance `d_ly`:
/// +x to (ra 0, dec 0), +y to (ra 90, dec 0), +z to the north celestial pole.
pub fn to_cartesian(ra_deg: f64, dec_deg: f64, d_ly: f64) -> [f64; 3] {
    let a = ra_deg.to_radians();
    let b = dec_deg.to_radians();
    let (sa, ca) = a.sin_cos();
    let (sb, cb) = b.sin_cos();
    [d_ly * cb * ca, d_ly * cb * sa, d_ly * sb]
}

/// Rotates an ICRS vector into the Galactic frame.
pub fn icrs_to_galactic(v: [f64; 3]) -> [f64; 3] {
    let m = &A_G;
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

/// Rotates a Galactic vector into ICRS (`A_G^T v`).
pub fn galactic_to_icrs(v: [f64; 3]) -> [f64; 3] {
    let m = &A_G;
    [
        m[0][0] * v[0] + m[1][0] * v[1] + m[2][0] * v[2],
        m[0][1] * v[0] + m[1][1] * v[1] + m[2][1] * v[2],
        m[0][2] * v[0] + m[1][2] * v[1] + m[2][2] * v[2],
    ]
}

/// Galactic longitude and latitude in degrees of an ICRS position `ra`, `dec` (degrees).
pub fn galactic_lb(ra_deg: f64, dec_deg: f64) -> (f64, f64) {
    let g = icrs_to_galactic(to_cartesian(ra_deg, dec_deg, 1.0));
    let l = g[1].atan2(g[0]).to_degrees().rem_euclid(360.0);
    let b = g[2].clamp(-1.0, 1.0).asin().to_degrees();
    (l, b)
}

/// The cube: a cubic grid of cells of `cell_ly` around the Sun, `side` cells per axis,
/// split in chunks and blocks (cell units) as a b2nd array.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Grid {
    /// Selection radius in ly.
    pub radius_ly: f64,
    /// Cell edge in ly.
    pub cell_ly: f64,
    /// Cells per axis.
    pub side: u64,
    /// Index of the Sun's cell along each axis.
    pub offset: i64,
    /// Chunk edge in cells.
    pub chunk: u64,
    /// Block edge in cells.
    pub block: u64,
}

impl Grid {
    /// The talk's grid for a radius and cell size, with chunk and block edges in cells.
    ///
    /// # Errors
    /// Non-positive sizes, a block larger than a chunk, or a cube too large.
    pub fn new(radius_ly: f64, cell_ly: f64, chunk: u64, block: u64) -> anyhow::Result<Grid> {
        anyhow::ensure!(radius_ly > 0.0 && radius_ly.is_finite(), "radius must be positive, got {radius_ly}");
        anyhow::ensure!(cell_ly > 0.0 && cell_ly.is_finite(), "cell size must be positive, got {cell_ly}");
        let offset = (radius_ly / cell_ly).ceil();
        anyhow::ensure!(offset <= 1e9, "cube of {} cells a side is too large", 2.0 * offset);
        let offset = offset as i64;
        let side = 2 * offset as u64;
        anyhow::ensure!(chunk >= 1 && block >= 1 && block <= chunk, "need 1 <= block ({block}) <= chunk ({chunk})");
        anyhow::ensure!(chunk.pow(3) <= 1 << 30, "chunk of {chunk}^3 cells is above 1 GiB");
        Ok(Grid { radius_ly, cell_ly, side, offset, chunk: chunk.min(side), block: block.min(side) })
    }

    /// The talk's layout: radius 10,000 ly, 1 ly cells, chunks 250^3, blocks 25^3.
    pub fn talk() -> Grid {
        Grid::new(DEFAULT_RADIUS_LY, 1.0, 250, 25).expect("valid")
    }

    /// Chunks per axis.
    pub fn chunks_per_axis(&self) -> u64 {
        self.side.div_ceil(self.chunk)
    }

    /// Total number of chunks.
    pub fn nchunks(&self) -> u64 {
        self.chunks_per_axis().pow(3)
    }

    /// Blocks per chunk axis.
    pub fn blocks_per_chunk_axis(&self) -> u64 {
        self.chunk.div_ceil(self.block)
    }

    /// Cells in one (padded) chunk buffer: blocks per chunk times block volume.
    pub fn chunk_cells(&self) -> usize {
        (self.blocks_per_chunk_axis().pow(3) * self.block.pow(3)) as usize
    }

    /// Cells in one block.
    pub fn block_cells(&self) -> usize {
        self.block.pow(3) as usize
    }

    /// Cell index along one axis of a coordinate in ly: `floor(v / S) + OFF`, or `None`
    /// outside the cube.
    pub fn axis_index(&self, v: f64) -> Option<u64> {
        let i = (v / self.cell_ly).floor() + self.offset as f64;
        (i >= 0.0 && i < self.side as f64).then_some(i as u64)
    }

    /// Cell of a position in ly.
    pub fn cell(&self, p: [f64; 3]) -> Option<[u64; 3]> {
        Some([self.axis_index(p[0])?, self.axis_index(p[1])?, self.axis_index(p[2])?])
    }

    /// C-order flat index of a cell.
    pub fn flat(&self, c: [u64; 3]) -> u64 {
        (c[0] * self.side + c[1]) * self.side + c[2]
    }

    /// Chunk coordinates of a cell.
    pub fn chunk_coords(&self, c: [u64; 3]) -> [u64; 3] {
        [c[0] / self.chunk, c[1] / self.chunk, c[2] / self.chunk]
    }

    /// Linear chunk number of chunk coordinates.
    pub fn nchunk(&self, cc: [u64; 3]) -> u64 {
        let g = self.chunks_per_axis();
        (cc[0] * g + cc[1]) * g + cc[2]
    }

    /// Chunk coordinates of a linear chunk number.
    pub fn chunk_of(&self, nchunk: u64) -> [u64; 3] {
        let g = self.chunks_per_axis();
        [nchunk / (g * g), (nchunk / g) % g, nchunk % g]
    }

    /// Offset of a cell in its chunk's decompressed (block-major) buffer.
    pub fn offset_in_chunk(&self, c: [u64; 3]) -> usize {
        let (ch, bl) = (self.chunk, self.block);
        let nb = self.blocks_per_chunk_axis();
        let l = [c[0] % ch, c[1] % ch, c[2] % ch];
        let bn = ((l[0] / bl) * nb + l[1] / bl) * nb + l[2] / bl;
        let inb = ((l[0] % bl) * bl + l[1] % bl) * bl + l[2] % bl;
        (bn * bl * bl * bl + inb) as usize
    }

    /// The cell at `offset` of chunk `nchunk`'s decompressed buffer, or `None` for padding
    /// outside the cube.
    pub fn cell_at(&self, nchunk: u64, offset: usize) -> Option<[u64; 3]> {
        let (ch, bl) = (self.chunk, self.block);
        let nb = self.blocks_per_chunk_axis();
        let bv = bl * bl * bl;
        let o = offset as u64;
        let (bn, inb) = (o / bv, o % bv);
        let b = [bn / (nb * nb), (bn / nb) % nb, bn % nb];
        let w = [inb / (bl * bl), (inb / bl) % bl, inb % bl];
        let cc = self.chunk_of(nchunk);
        let mut cell = [0; 3];
        for a in 0..3 {
            let local = b[a] * bl + w[a];
            if local >= ch {
                return None;
            }
            cell[a] = cc[a] * ch + local;
            if cell[a] >= self.side {
                return None;
            }
        }
        Some(cell)
    }

    /// Centre of a cell in ly around the Sun.
    pub fn cell_center(&self, c: [u64; 3]) -> [f64; 3] {
        c.map(|i| (i as f64 - self.offset as f64 + 0.5) * self.cell_ly)
    }

    /// Lower corner of a cell in ly.
    pub fn cell_corner(&self, c: [u64; 3]) -> [f64; 3] {
        c.map(|i| (i as f64 - self.offset as f64) * self.cell_ly)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example_of_the_spec() {
        let (ra, dec, p) = (286.7169128963743, 0.27619460064099405, 1.08492385925788);
        let d = select_distance(p, K_EXACT, DEFAULT_RADIUS_LY).unwrap();
        assert!((d - 3006.2570494403).abs() < 1e-6);
        let v = to_cartesian(ra, dec, d);
        assert!((v[0] - 864.71948).abs() < 1e-4 && (v[1] + 2879.17204).abs() < 1e-4 && (v[2] - 14.49162).abs() < 1e-4);
        let g = Grid::talk();
        let c = g.cell(v).unwrap();
        assert_eq!(c, [10864, 7120, 10014]);
        assert_eq!(g.flat(c), 4_345_742_410_014);
        let cc = g.chunk_coords(c);
        assert_eq!(cc, [43, 28, 40]);
        assert_eq!(g.nchunk(cc), 277_480);
        assert_eq!(g.offset_in_chunk(c), 6_884_264);
        assert_eq!(g.cell_at(277_480, 6_884_264), Some(c));
        assert_eq!(g.nchunks(), 512_000);
    }

    #[test]
    fn selection_bounds() {
        assert!(select_distance(-1.0, K_EXACT, 1e4).is_none());
        assert!(select_distance(0.0, K_EXACT, 1e4).is_none());
        assert!(select_distance(f64::NAN, K_EXACT, 1e4).is_none());
        assert!(select_distance(0.326156, K_EXACT, 1e4).is_none());
        assert!(select_distance(0.3262, K_EXACT, 1e4).is_some());
    }

    #[test]
    fn cell_at_inverts_offset_in_padded_grids() {
        let g = Grid::new(100.0, 1.0, 30, 7).unwrap();
        for c in [[0, 0, 0], [199, 5, 77], [150, 199, 31], [29, 30, 31]] {
            let n = g.nchunk(g.chunk_coords(c));
            assert_eq!(g.cell_at(n, g.offset_in_chunk(c)), Some(c));
        }
    }

    #[test]
    fn galactic_rotation_is_orthonormal() {
        let v = [0.3, -0.5, 0.8];
        let w = galactic_to_icrs(icrs_to_galactic(v));
        for a in 0..3 {
            assert!((v[a] - w[a]).abs() < 1e-12);
        }
    }
}
