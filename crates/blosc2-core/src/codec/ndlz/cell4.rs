//! NDLZ with 4x4 cells (`plugins/codecs/ndlz/ndlz4x4.c`).

use super::{corrupt, extent, hash, place, range, read_u16, write_header, HEADER, MAX_DISTANCE, TABLE};
use crate::error::Result;

/// Tokens of the 4x4 format.
const LITERAL: u8 = 0;
const SAME_BYTE: u8 = 1 << 6;
const CELL_MATCH: u8 = (1 << 7) | (1 << 6);

/// One more than the largest row-match distance the 4x4 decoder can follow: C's decoder adds
/// 3 (one pair or three rows) or 5 (two pairs) to the `u16` distance in a `u16`, so a match
/// 65531-65534 bytes back wraps around and decodes to other bytes. C's encoder writes such
/// matches anyway (its streams then do not decode to their input); this one does not use
/// them, the only place where its output can differ from C's.
const FAR: usize = 1 << 16;

/// The state of C's `ndlz4_compress` that outlives a cell.
struct Tables {
    cell: Vec<u32>,
    triple: Vec<u32>,
    pair: Vec<u32>,
    /// The hashes last recorded for the adjacent triples and pairs of a cell; C keeps them
    /// across cells (only the positions are reset), and so writes stale slots.
    hash_triple: [usize; 2],
    hash_pair: [usize; 3],
}

/// Whether the `n` bytes at `at` in `out` (an earlier literal) equal `want`; a slot of 0 is
/// empty.
fn same(out: &[u8], at: u32, want: &[u8]) -> bool {
    at != 0 && out[at as usize..at as usize + want.len()] == *want
}

/// Compresses the `shape[0] x shape[1]` block `src` into `dst`; `None` when C gives up (the
/// output would not fit `dst` or not be smaller than the input).
pub(super) fn compress(shape: [usize; 2], src: &[u8], dst: &mut [u8]) -> Option<usize> {
    let (input_len, room) = (src.len(), dst.len());
    // C: `overhead = 17 + (bs0 * bs1 / 16 - 1) * 2`.
    let overhead = 17 + ((input_len / 16) as i64 - 1) * 2;
    if input_len < 16 || (room as i64) < overhead {
        return None;
    }
    write_header(shape, dst);
    let mut op = HEADER;
    let mut t = Tables {
        cell: vec![0; TABLE],
        triple: vec![0; TABLE],
        pair: vec![0; TABLE],
        hash_triple: [0; 2],
        hash_pair: [0; 3],
    };
    let stop = [shape[0].div_ceil(4), shape[1].div_ceil(4)];
    let width = shape[1];
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            if op + 16 + 1 > room {
                return None;
            }
            let orig = i0 * 4 * width + i1 * 4;
            let padded = (!shape[0].is_multiple_of(4) && i0 == stop[0] - 1)
                || (!shape[1].is_multiple_of(4) && i1 == stop[1] - 1);
            if padded {
                let pad = [extent(i0, stop[0], shape[0], 4), extent(i1, stop[1], shape[1], 4)];
                dst[op] = LITERAL;
                op += 1;
                for i in 0..pad[0] {
                    let at = orig + i * width;
                    dst[op..op + pad[1]].copy_from_slice(&src[at..at + pad[1]]);
                    op += pad[1];
                }
            } else {
                let mut cell = [0u8; 16];
                for i in 0..4 {
                    let at = orig + i * width;
                    cell[4 * i..4 * i + 4].copy_from_slice(&src[at..at + 4]);
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

/// Row `r` of a cell.
fn row(cell: &[u8; 16], r: usize) -> &[u8] {
    &cell[4 * r..4 * r + 4]
}

/// Encodes a whole 4x4 cell at `anchor` of `dst` (room for 17 bytes checked); returns the
/// position after it.
// The loops follow C's row indices, which also index the pending table updates.
#[allow(clippy::needless_range_loop)]
fn encode_cell(cell: &[u8; 16], anchor: usize, dst: &mut [u8], t: &mut Tables) -> usize {
    let mut op = anchor;
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
    let mut update_triple = [0u32; 2];
    let mut update_pair = [0u32; 3];
    let mut buf = [0u8; 12];

    // Two pairs of rows: row 0 with row j, and the other two rows.
    for j in 1..4 {
        buf[..4].copy_from_slice(row(cell, 0));
        buf[4..8].copy_from_slice(row(cell, j));
        let slot = t.pair[hash(&buf[..8])];
        if !same(dst, slot, &buf[..8]) {
            continue;
        }
        let d = anchor - slot as usize;
        if d >= MAX_DISTANCE || d + 5 >= FAR {
            continue;
        }
        let offset = d as u16;
        let (l, m) = match j {
            1 => (2, 3),
            2 => (1, 3),
            _ => (1, 2),
        };
        buf[..4].copy_from_slice(row(cell, l));
        buf[4..8].copy_from_slice(row(cell, m));
        let slot2 = t.pair[hash(&buf[..8])];
        if !same(dst, slot2, &buf[..8]) {
            continue;
        }
        let d2 = anchor + l * 4 - slot2 as usize;
        if d2 < MAX_DISTANCE {
            dst[op] = (1 << 5) | ((j as u8) << 3);
            dst[op + 1..op + 3].copy_from_slice(&offset.to_le_bytes());
            dst[op + 3..op + 5].copy_from_slice(&((anchor - slot2 as usize) as u16).to_le_bytes());
            return op + 5;
        }
    }

    // Three rows.
    for i in 0..2 {
        for j in i + 1..3 {
            for k in j + 1..4 {
                buf[..4].copy_from_slice(row(cell, i));
                buf[4..8].copy_from_slice(row(cell, j));
                buf[8..12].copy_from_slice(row(cell, k));
                let h = hash(&buf);
                let slot = t.triple[h];
                if slot == 0 {
                    if j - i == 1 && k - j == 1 {
                        update_triple[i] = (anchor + 1 + i * 4) as u32;
                        t.hash_triple[i] = h;
                    }
                    continue;
                }
                let d = anchor - slot as usize;
                if !same(dst, slot, &buf) || d + i * 4 >= MAX_DISTANCE || d + 3 >= FAR {
                    continue;
                }
                dst[op] = if i == 1 { 7 << 5 } else { (7 << 5) | (((j + k - 2) as u8) << 3) };
                dst[op + 1..op + 3].copy_from_slice(&(d as u16).to_le_bytes());
                op += 3;
                let l = (0..4).find(|&l| l != i && l != j && l != k).expect("one row left");
                dst[op..op + 4].copy_from_slice(row(cell, l));
                return op + 4;
            }
        }
    }

    // One pair of rows.
    for i in 0..3 {
        for j in i + 1..4 {
            buf[..4].copy_from_slice(row(cell, i));
            buf[4..8].copy_from_slice(row(cell, j));
            let h = hash(&buf[..8]);
            let slot = t.pair[h];
            if slot == 0 {
                if j - i == 1 {
                    update_pair[i] = (anchor + 1 + i * 4) as u32;
                    t.hash_pair[i] = h;
                }
                continue;
            }
            let d = anchor - slot as usize;
            if !same(dst, slot, &buf[..8]) || d + i * 4 >= MAX_DISTANCE || d + 3 >= FAR {
                continue;
            }
            dst[op] = if i == 2 { 1 << 7 } else { (1 << 7) | ((i as u8) << 5) | ((j as u8) << 3) };
            dst[op + 1..op + 3].copy_from_slice(&(d as u16).to_le_bytes());
            op += 3;
            for k in (0..4).filter(|&k| k != i && k != j) {
                dst[op..op + 4].copy_from_slice(row(cell, k));
                op += 4;
            }
            return op;
        }
    }

    // A literal cell: record it, its adjacent triples and pairs (C's exact updates,
    // including the stale hashes of slots it found taken).
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
    dst[op + 1..op + 17].copy_from_slice(cell);
    op + 17
}

/// Decodes the cells of a 4x4 stream into `out` (zeroed, `shape[0] * shape[1]` bytes).
pub(super) fn decompress(shape: [usize; 2], src: &[u8], out: &mut [u8]) -> Result<()> {
    let stop = [shape[0].div_ceil(4), shape[1].div_ceil(4)];
    let mut ip = HEADER;
    let mut local = [0u8; 16];
    for i0 in 0..stop[0] {
        for i1 in 0..stop[1] {
            let pad = [extent(i0, stop[0], shape[0], 4), extent(i1, stop[1], shape[1], 4)];
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
                    local = [range(src, cur + 1, 1)?[0]; 16];
                    ip += 1;
                    &local
                }
                224.. => {
                    // C adds 3 to the u16 offset in a u16 (see `FAR`).
                    let offset = read_u16(src, cur + 1)?.wrapping_add(3);
                    ip += 2;
                    let (i, j, k) = match token >> 3 {
                        28 => (1, 2, 3),
                        29 => (0, 1, 2),
                        30 => (0, 1, 3),
                        _ => (0, 2, 3),
                    };
                    let r = range(src, cur + 3 - i64::from(offset), 12)?;
                    local[4 * i..4 * i + 4].copy_from_slice(&r[..4]);
                    local[4 * j..4 * j + 4].copy_from_slice(&r[4..8]);
                    local[4 * k..4 * k + 4].copy_from_slice(&r[8..12]);
                    let l = (0..4).find(|&l| l != i && l != j && l != k).expect("one row left");
                    local[4 * l..4 * l + 4].copy_from_slice(range(src, ip as i64, 4)?);
                    ip += 4;
                    &local
                }
                128..=191 => {
                    let offset = read_u16(src, cur + 1)?.wrapping_add(3);
                    ip += 2;
                    let (i, j) = if token == 128 {
                        (2, 3)
                    } else {
                        let i = usize::from((token - 128) >> 5);
                        (i, usize::from((token - 128) >> 3) - (i << 2))
                    };
                    let r = range(src, cur + 3 - i64::from(offset), 8)?;
                    local[4 * i..4 * i + 4].copy_from_slice(&r[..4]);
                    local[4 * j..4 * j + 4].copy_from_slice(&r[4..8]);
                    for k in (0..4).filter(|&k| k != i && k != j) {
                        local[4 * k..4 * k + 4].copy_from_slice(range(src, ip as i64, 4)?);
                        ip += 4;
                    }
                    &local
                }
                40..=63 => {
                    let offset1 = read_u16(src, cur + 1)?.wrapping_add(5);
                    let offset2 = read_u16(src, cur + 3)?.wrapping_add(5);
                    ip += 4;
                    let j = usize::from((token - 32) >> 3);
                    let (l, m) = match j {
                        1 => (2, 3),
                        2 => (1, 3),
                        _ => (1, 2),
                    };
                    let r1 = range(src, cur + 5 - i64::from(offset1), 8)?;
                    local[..4].copy_from_slice(&r1[..4]);
                    local[4 * j..4 * j + 4].copy_from_slice(&r1[4..8]);
                    let r2 = range(src, cur + 5 - i64::from(offset2), 8)?;
                    local[4 * l..4 * l + 4].copy_from_slice(&r2[..4]);
                    local[4 * m..4 * m + 4].copy_from_slice(&r2[4..8]);
                    &local
                }
                _ => return Err(corrupt(format!("invalid token {token} at cell [{i0}, {i1}]"))),
            };
            place::<4>(cell, pad, i0 * 4 * shape[1] + i1 * 4, shape[1], out);
        }
    }
    Ok(())
}
