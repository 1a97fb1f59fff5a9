//! NDLZ with 8x8 cells (`plugins/codecs/ndlz/ndlz8x8.c`).

use super::{corrupt, extent, hash, place, range, read_u16, write_header, HEADER, MAX_DISTANCE, TABLE};
use crate::error::Result;

/// Tokens of the 8x8 format.
const LITERAL: u8 = 0;
const SAME_BYTE: u8 = 1 << 6;
const CELL_MATCH: u8 = (1 << 7) | (1 << 6);
/// `TRIPLE + r`: rows `r..r + 3` equal three rows of an earlier literal.
const TRIPLE: u8 = 21 << 3;
/// `PAIR + r`: rows `r..r + 2` equal two rows of an earlier literal.
const PAIR: u8 = 17 << 3;

/// The state of C's `ndlz8_compress` that outlives a cell.
struct Tables {
    cell: Vec<u32>,
    triple: Vec<u32>,
    pair: Vec<u32>,
    /// The hashes last recorded for each triple and pair of rows; C keeps them across
    /// cells (only the positions are reset), and so writes stale slots.
    hash_triple: [usize; 6],
    hash_pair: [usize; 7],
}

/// Whether the bytes at `at` in `out` (an earlier literal) equal `want`; a slot of 0 is
/// empty.
fn same(out: &[u8], at: u32, want: &[u8]) -> bool {
    at != 0 && out[at as usize..at as usize + want.len()] == *want
}

/// Compresses the `shape[0] x shape[1]` block `src` into `dst`; `None` when C gives up (the
/// output would not fit `dst` or not be smaller than the input).
pub(super) fn compress(shape: [usize; 2], src: &[u8], dst: &mut [u8]) -> Option<usize> {
    let (input_len, room) = (src.len(), dst.len());
    // C: `overhead = 17 + (bs0 * bs1 / 64 - 1) * 2`.
    let overhead = 17 + ((input_len / 64) as i64 - 1) * 2;
    if input_len < 64 || (room as i64) < overhead {
        return None;
    }
    write_header(shape, dst);
    let mut op = HEADER;
    let mut t = Tables {
        cell: vec![0; TABLE],
        triple: vec![0; TABLE],
        pair: vec![0; TABLE],
        hash_triple: [0; 6],
        hash_pair: [0; 7],
    };
    let stop = [shape[0].div_ceil(8), shape[1].div_ceil(8)];
    let width = shape[1];
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            if op + 64 + 1 > room {
                return None;
            }
            let orig = i0 * 8 * width + i1 * 8;
            let padded = (!shape[0].is_multiple_of(8) && i0 == stop[0] - 1)
                || (!shape[1].is_multiple_of(8) && i1 == stop[1] - 1);
            if padded {
                let pad = [extent(i0, stop[0], shape[0], 8), extent(i1, stop[1], shape[1], 8)];
                dst[op] = LITERAL;
                op += 1;
                for i in 0..pad[0] {
                    let at = orig + i * width;
                    dst[op..op + pad[1]].copy_from_slice(&src[at..at + pad[1]]);
                    op += pad[1];
                }
            } else {
                let mut cell = [0u8; 64];
                for i in 0..8 {
                    let at = orig + i * width;
                    cell[8 * i..8 * i + 8].copy_from_slice(&src[at..at + 8]);
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

/// Writes the rows of `cell` outside `r..r + n` after the token and distance.
fn other_rows(cell: &[u8; 64], r: usize, n: usize, dst: &mut [u8], mut op: usize) -> usize {
    for l in (0..8).filter(|&l| l < r || l >= r + n) {
        dst[op..op + 8].copy_from_slice(&cell[8 * l..8 * l + 8]);
        op += 8;
    }
    op
}

/// Encodes a whole 8x8 cell at `anchor` of `dst` (room for 65 bytes checked); returns the
/// position after it.
fn encode_cell(cell: &[u8; 64], anchor: usize, dst: &mut [u8], t: &mut Tables) -> usize {
    let op = anchor;
    let hash_cell = hash(cell);
    let slot = t.cell[hash_cell];
    let distance = if same(dst, slot, cell) { anchor - slot as usize } else { 0 };
    if cell.iter().all(|&b| b == cell[0]) {
        dst[op] = SAME_BYTE;
        dst[op + 1] = cell[0];
        return op + 2;
    }
    if distance != 0 && distance < MAX_DISTANCE {
        dst[op] = CELL_MATCH;
        dst[op + 1..op + 3].copy_from_slice(&(distance as u16).to_le_bytes());
        return op + 3;
    }
    let mut update_triple = [0u32; 6];
    let mut update_pair = [0u32; 7];

    // Rows r..r+3 equal to three rows of an earlier literal.
    for r in 0..6 {
        let rows = &cell[8 * r..8 * r + 24];
        let h = hash(rows);
        let slot = t.triple[h];
        if slot == 0 {
            update_triple[r] = (anchor + 1 + 8 * r) as u32;
            t.hash_triple[r] = h;
            continue;
        }
        let d = anchor - slot as usize;
        if !same(dst, slot, rows) || d + 8 * r >= MAX_DISTANCE {
            continue;
        }
        dst[op] = TRIPLE | r as u8;
        dst[op + 1..op + 3].copy_from_slice(&(d as u16).to_le_bytes());
        return other_rows(cell, r, 3, dst, op + 3);
    }

    // Rows r..r+2 equal to two rows of an earlier literal.
    for r in 0..7 {
        let rows = &cell[8 * r..8 * r + 16];
        let h = hash(rows);
        let slot = t.pair[h];
        if slot == 0 {
            update_pair[r] = (anchor + 1 + 8 * r) as u32;
            t.hash_pair[r] = h;
            continue;
        }
        let d = anchor - slot as usize;
        if !same(dst, slot, rows) || d + 8 * r >= MAX_DISTANCE {
            continue;
        }
        dst[op] = PAIR | r as u8;
        dst[op + 1..op + 3].copy_from_slice(&(d as u16).to_le_bytes());
        return other_rows(cell, r, 2, dst, op + 3);
    }

    // A literal cell: record it, its triples and pairs (C's exact updates, including the
    // stale hashes of slots it found taken).
    t.cell[hash_cell] = (anchor + 1) as u32;
    if update_triple[0] != 0 {
        for (&h, &u) in t.hash_triple.iter().zip(&update_triple) {
            t.triple[h] = u;
        }
    }
    if update_pair[0] != 0 {
        for (&h, &u) in t.hash_pair.iter().zip(&update_pair) {
            t.pair[h] = u;
        }
    }
    dst[op] = LITERAL;
    dst[op + 1..op + 65].copy_from_slice(cell);
    op + 65
}

/// Decodes the cells of an 8x8 stream into `out` (zeroed, `shape[0] * shape[1]` bytes).
pub(super) fn decompress(shape: [usize; 2], src: &[u8], out: &mut [u8]) -> Result<()> {
    let stop = [shape[0].div_ceil(8), shape[1].div_ceil(8)];
    let mut ip = HEADER;
    let mut local = [0u8; 64];
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            let pad = [extent(i0, stop[0], shape[0], 8), extent(i1, stop[1], shape[1], 8)];
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
                    local = [range(src, cur + 1, 1)?[0]; 64];
                    ip += 1;
                    &local
                }
                _ if token >> 3 == TRIPLE >> 3 || token >> 3 == PAIR >> 3 => {
                    let n = if token >> 3 == TRIPLE >> 3 { 3 } else { 2 };
                    let r = usize::from(token & 7);
                    if r + n > 8 {
                        return Err(corrupt(format!("token {token}: rows {r}..{} outside the cell", r + n)));
                    }
                    let offset = read_u16(src, cur + 1)?;
                    ip += 2;
                    let refd = range(src, cur - i64::from(offset), 8 * n)?;
                    local[8 * r..8 * (r + n)].copy_from_slice(refd);
                    for l in (0..8).filter(|&l| l < r || l >= r + n) {
                        local[8 * l..8 * l + 8].copy_from_slice(range(src, ip as i64, 8)?);
                        ip += 8;
                    }
                    &local
                }
                _ => return Err(corrupt(format!("invalid token {token} at cell [{i0}, {i1}]"))),
            };
            place::<8>(cell, pad, i0 * 8 * shape[1] + i1 * 8, shape[1], out);
        }
    }
    Ok(())
}
