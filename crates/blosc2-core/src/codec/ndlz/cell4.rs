//! NDLZ with 4x4 cells (`plugins/codecs/ndlz/ndlz4x4.c`).

use super::cells::{self, same, Tables};
use super::{hash, range, read_u16, MAX_DISTANCE};
use crate::error::Result;

/// One more than the largest row-match distance the 4x4 decoder can follow: C's decoder adds
/// 3 (one pair or three rows) or 5 (two pairs) to the `u16` distance in a `u16`, so a match
/// 65531-65534 bytes back wraps around and decodes to other bytes. C's encoder writes such
/// matches anyway (its streams then do not decode to their input); this one does not use
/// them, the only place where its output can differ from C's.
const FAR: usize = 1 << 16;

/// Compresses the `shape[0] x shape[1]` block `src` into `dst`; `None` when C gives up (the
/// output would not fit `dst` or not be smaller than the input).
pub(super) fn compress(shape: [usize; 2], src: &[u8], dst: &mut [u8]) -> Option<usize> {
    cells::compress::<4, 16, 2, 3>(shape, src, dst, encode_cell)
}

/// Row `r` of a cell.
fn row(cell: &[u8; 16], r: usize) -> &[u8] {
    &cell[4 * r..4 * r + 4]
}

/// Encodes a whole 4x4 cell at `anchor` of `dst` (room for 17 bytes checked); returns the
/// position after it.
// The loops follow C's row indices, which also index the pending table updates.
#[allow(clippy::needless_range_loop)]
#[inline(always)]
fn encode_cell(cell: &[u8; 16], anchor: usize, dst: &mut [u8], t: &mut Tables<2, 3>) -> usize {
    let mut op = anchor;
    let hash_cell = hash(cell);
    if let Some(end) = t.whole_cell(cell, hash_cell, anchor, dst) {
        return end;
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

    // A literal cell.
    t.literal(cell, hash_cell, op, &update_triple, &update_pair, dst)
}

/// Decodes the cells of a 4x4 stream into `out` (zeroed, `shape[0] * shape[1]` bytes).
pub(super) fn decompress(shape: [usize; 2], src: &[u8], out: &mut [u8]) -> Result<()> {
    cells::decompress::<4, 16>(shape, src, out, decode_rows)
}

/// Decodes the row-match token `token` at `cur` of `src` into `cell`, moving `ip` past what it reads;
/// `false` for an unknown token.
#[inline(always)]
fn decode_rows(src: &[u8], token: u8, cur: i64, ip: &mut usize, cell: &mut [u8; 16]) -> Result<bool> {
    Ok(match token {
        224.. => {
            // C adds 3 to the u16 offset in a u16 (see `FAR`).
            let offset = read_u16(src, cur + 1)?.wrapping_add(3);
            *ip += 2;
            let (i, j, k) = match token >> 3 {
                28 => (1, 2, 3),
                29 => (0, 1, 2),
                30 => (0, 1, 3),
                _ => (0, 2, 3),
            };
            let r = range(src, cur + 3 - i64::from(offset), 12)?;
            cell[4 * i..4 * i + 4].copy_from_slice(&r[..4]);
            cell[4 * j..4 * j + 4].copy_from_slice(&r[4..8]);
            cell[4 * k..4 * k + 4].copy_from_slice(&r[8..12]);
            let l = (0..4).find(|&l| l != i && l != j && l != k).expect("one row left");
            cell[4 * l..4 * l + 4].copy_from_slice(range(src, *ip as i64, 4)?);
            *ip += 4;
            true
        }
        128..=191 => {
            let offset = read_u16(src, cur + 1)?.wrapping_add(3);
            *ip += 2;
            let (i, j) = if token == 128 {
                (2, 3)
            } else {
                let i = usize::from((token - 128) >> 5);
                (i, usize::from((token - 128) >> 3) - (i << 2))
            };
            let r = range(src, cur + 3 - i64::from(offset), 8)?;
            cell[4 * i..4 * i + 4].copy_from_slice(&r[..4]);
            cell[4 * j..4 * j + 4].copy_from_slice(&r[4..8]);
            for k in (0..4).filter(|&k| k != i && k != j) {
                cell[4 * k..4 * k + 4].copy_from_slice(range(src, *ip as i64, 4)?);
                *ip += 4;
            }
            true
        }
        40..=63 => {
            let offset1 = read_u16(src, cur + 1)?.wrapping_add(5);
            let offset2 = read_u16(src, cur + 3)?.wrapping_add(5);
            *ip += 4;
            let j = usize::from((token - 32) >> 3);
            let (l, m) = match j {
                1 => (2, 3),
                2 => (1, 3),
                _ => (1, 2),
            };
            let r1 = range(src, cur + 5 - i64::from(offset1), 8)?;
            cell[..4].copy_from_slice(&r1[..4]);
            cell[4 * j..4 * j + 4].copy_from_slice(&r1[4..8]);
            let r2 = range(src, cur + 5 - i64::from(offset2), 8)?;
            cell[4 * l..4 * l + 4].copy_from_slice(&r2[..4]);
            cell[4 * m..4 * m + 4].copy_from_slice(&r2[4..8]);
            true
        }
        _ => false,
    })
}
