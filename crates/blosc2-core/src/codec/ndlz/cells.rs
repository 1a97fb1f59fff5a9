//! What the 4x4 and 8x8 formats share: the walk over the cells of a block (edge cells
//! stored as cut-short literals), the hash tables and their updates, and the tokens for
//! whole cells. `SIDE` is the cell side and `CELL` its bytes (`SIDE * SIDE`); the row
//! matches, which differ, come in as functions (monomorphized, no dynamic dispatch).

use super::{corrupt, extent, place, range, read_u16, write_header, HEADER, MAX_DISTANCE, TABLE};
use crate::error::Result;

/// A literal cell: its bytes follow (rows cut short at the block's edges).
pub(super) const LITERAL: u8 = 0;
/// Every byte of the cell equal: one byte follows.
pub(super) const SAME_BYTE: u8 = 1 << 6;
/// Equal to an earlier literal cell: a `u16` distance back from the token follows.
pub(super) const CELL_MATCH: u8 = (1 << 7) | (1 << 6);

/// The state of C's `ndlz4_compress` / `ndlz8_compress` that outlives a cell: the tables of
/// cells, triples and pairs of rows, and the hashes last recorded for the `T` triples and
/// `P` pairs of a cell. C keeps those hashes across cells (only the positions are reset),
/// and so writes stale slots.
pub(super) struct Tables<const T: usize, const P: usize> {
    pub(super) cell: Vec<u32>,
    pub(super) triple: Vec<u32>,
    pub(super) pair: Vec<u32>,
    pub(super) hash_triple: [usize; T],
    pub(super) hash_pair: [usize; P],
}

impl<const T: usize, const P: usize> Tables<T, P> {
    fn new() -> Self {
        Tables {
            cell: vec![0; TABLE],
            triple: vec![0; TABLE],
            pair: vec![0; TABLE],
            hash_triple: [0; T],
            hash_pair: [0; P],
        }
    }

    /// Writes the whole `cell` at `anchor` of `dst` as a same-byte cell or a match of an
    /// earlier literal cell when it is one; returns the position after it, or `None`.
    #[inline(always)]
    pub(super) fn whole_cell<const CELL: usize>(
        &self,
        cell: &[u8; CELL],
        hash_cell: usize,
        anchor: usize,
        dst: &mut [u8],
    ) -> Option<usize> {
        let slot = self.cell[hash_cell];
        let distance = if same(dst, slot, cell) { anchor - slot as usize } else { 0 };
        if cell.iter().all(|&b| b == cell[0]) {
            dst[anchor] = SAME_BYTE;
            dst[anchor + 1] = cell[0];
            return Some(anchor + 2);
        }
        if distance != 0 && distance < MAX_DISTANCE {
            dst[anchor] = CELL_MATCH;
            dst[anchor + 1..anchor + 3].copy_from_slice(&(distance as u16).to_le_bytes());
            return Some(anchor + 3);
        }
        None
    }

    /// Writes `cell` at `op` of `dst` as a literal, recording it, its triples and pairs of
    /// rows (C's exact updates, including the stale hashes of slots it found taken); returns
    /// the position after it.
    #[inline(always)]
    pub(super) fn literal<const CELL: usize>(
        &mut self,
        cell: &[u8; CELL],
        hash_cell: usize,
        op: usize,
        update_triple: &[u32; T],
        update_pair: &[u32; P],
        dst: &mut [u8],
    ) -> usize {
        self.cell[hash_cell] = (op + 1) as u32;
        if update_triple[0] != 0 {
            for (&h, &u) in self.hash_triple.iter().zip(update_triple) {
                self.triple[h] = u;
            }
        }
        if update_pair[0] != 0 {
            for (&h, &u) in self.hash_pair.iter().zip(update_pair) {
                self.pair[h] = u;
            }
        }
        dst[op] = LITERAL;
        dst[op + 1..op + 1 + CELL].copy_from_slice(cell);
        op + 1 + CELL
    }
}

/// Whether the bytes at `at` in `out` (an earlier literal) equal `want`; a slot of 0 is
/// empty.
#[inline(always)]
pub(super) fn same(out: &[u8], at: u32, want: &[u8]) -> bool {
    at != 0 && out[at as usize..at as usize + want.len()] == *want
}

/// Compresses the `shape[0] x shape[1]` block `src` into `dst` with `encode_cell` for the
/// whole cells (it writes one at the given position, with room for `CELL + 1` bytes, and
/// returns the position after it); `None` when C gives up (the output would not fit `dst`
/// or not be smaller than the input).
#[inline(always)]
pub(super) fn compress<const SIDE: usize, const CELL: usize, const T: usize, const P: usize>(
    shape: [usize; 2],
    src: &[u8],
    dst: &mut [u8],
    encode_cell: impl Fn(&[u8; CELL], usize, &mut [u8], &mut Tables<T, P>) -> usize,
) -> Option<usize> {
    const { assert!(CELL == SIDE * SIDE) };
    let (input_len, room) = (src.len(), dst.len());
    // C: `overhead = 17 + (bs0 * bs1 / CELL - 1) * 2`.
    let overhead = 17 + ((input_len / CELL) as i64 - 1) * 2;
    if input_len < CELL || (room as i64) < overhead {
        return None;
    }
    write_header(shape, dst);
    let mut op = HEADER;
    let mut t = Tables::new();
    let stop = [shape[0].div_ceil(SIDE), shape[1].div_ceil(SIDE)];
    let width = shape[1];
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            if op + CELL + 1 > room {
                return None;
            }
            let orig = i0 * SIDE * width + i1 * SIDE;
            let padded = (!shape[0].is_multiple_of(SIDE) && i0 == stop[0] - 1)
                || (!shape[1].is_multiple_of(SIDE) && i1 == stop[1] - 1);
            if padded {
                let pad = [extent(i0, stop[0], shape[0], SIDE), extent(i1, stop[1], shape[1], SIDE)];
                dst[op] = LITERAL;
                op += 1;
                for i in 0..pad[0] {
                    let at = orig + i * width;
                    dst[op..op + pad[1]].copy_from_slice(&src[at..at + pad[1]]);
                    op += pad[1];
                }
            } else {
                let mut cell = [0u8; CELL];
                for i in 0..SIDE {
                    let at = orig + i * width;
                    cell[SIDE * i..SIDE * i + SIDE].copy_from_slice(&src[at..at + SIDE]);
                }
                op = encode_cell(&cell, op, dst, &mut t);
            }
            if op > input_len {
                return None;
            }
        }
    }
    Some(op)
}

/// Decodes the cells of a stream into `out` (zeroed, `shape[0] * shape[1]` bytes), with
/// `decode_rows` for the tokens other than the whole-cell ones: given the stream, the token,
/// its position, the read position (after the token, to move past what it reads) and the cell
/// to fill, it returns `false` for a token it does not know.
#[inline(always)]
pub(super) fn decompress<const SIDE: usize, const CELL: usize>(
    shape: [usize; 2],
    src: &[u8],
    out: &mut [u8],
    decode_rows: impl Fn(&[u8], u8, i64, &mut usize, &mut [u8; CELL]) -> Result<bool>,
) -> Result<()> {
    const { assert!(CELL == SIDE * SIDE) };
    let stop = [shape[0].div_ceil(SIDE), shape[1].div_ceil(SIDE)];
    let mut ip = HEADER;
    let mut local = [0u8; CELL];
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            let pad = [extent(i0, stop[0], shape[0], SIDE), extent(i1, stop[1], shape[1], SIDE)];
            let cur = ip as i64;
            let token = range(src, cur, 1)?[0];
            ip += 1;
            let cell: &[u8] = match token {
                LITERAL => {
                    let n = pad[0] * pad[1];
                    let lit = range(src, cur + 1, n)?;
                    ip += n;
                    lit
                }
                CELL_MATCH => {
                    let offset = read_u16(src, cur + 1)?;
                    ip += 2;
                    range(src, cur - i64::from(offset), pad[0] * pad[1])?
                }
                SAME_BYTE => {
                    local = [range(src, cur + 1, 1)?[0]; CELL];
                    ip += 1;
                    &local
                }
                _ => {
                    if !decode_rows(src, token, cur, &mut ip, &mut local)? {
                        return Err(corrupt(format!("invalid token {token} at cell [{i0}, {i1}]")));
                    }
                    &local
                }
            };
            place::<SIDE>(cell, pad, i0 * SIDE * shape[1] + i1 * SIDE, shape[1], out);
        }
    }
    Ok(())
}
