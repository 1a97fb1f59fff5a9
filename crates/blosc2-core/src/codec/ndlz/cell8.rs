//! NDLZ with 8x8 cells (`plugins/codecs/ndlz/ndlz8x8.c`).

use super::cells::{self, same, Tables};
use super::{corrupt, hash, range, read_u16, MAX_DISTANCE};
use crate::error::Result;

/// `TRIPLE + r`: rows `r..r + 3` equal three rows of an earlier literal.
const TRIPLE: u8 = 21 << 3;
/// `PAIR + r`: rows `r..r + 2` equal two rows of an earlier literal.
const PAIR: u8 = 17 << 3;

/// Compresses the `shape[0] x shape[1]` block `src` into `dst`; `None` when C gives up (the
/// output would not fit `dst` or not be smaller than the input).
pub(super) fn compress(shape: [usize; 2], src: &[u8], dst: &mut [u8]) -> Option<usize> {
    cells::compress::<8, 64, 6, 7>(shape, src, dst, encode_cell)
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
#[inline(always)]
fn encode_cell(cell: &[u8; 64], anchor: usize, dst: &mut [u8], t: &mut Tables<6, 7>) -> usize {
    let hash_cell = hash(cell);
    if let Some(end) = t.whole_cell(cell, hash_cell, anchor, dst) {
        return end;
    }
    let mut update_triple = [0u32; 6];
    let mut update_pair = [0u32; 7];

    // Rows r..r+3, then r..r+2, equal to rows of an earlier literal.
    if let Some(end) = run_match::<3, 6>(cell, anchor, dst, &t.triple, &mut update_triple, &mut t.hash_triple, TRIPLE) {
        return end;
    }
    if let Some(end) = run_match::<2, 7>(cell, anchor, dst, &t.pair, &mut update_pair, &mut t.hash_pair, PAIR) {
        return end;
    }

    // A literal cell.
    t.literal(cell, hash_cell, anchor, &update_triple, &update_pair, dst)
}

/// Looks for rows `r..r + N` of `cell` (`R = 9 - N` runs) in `table`, in C's order, and
/// writes the first match at `anchor` (token `token + r`, distance, the other rows); returns
/// the position after it, or `None`, having noted in `update` and `hashes` the empty slots
/// to fill should the cell be a literal.
#[inline(always)]
fn run_match<const N: usize, const R: usize>(
    cell: &[u8; 64],
    anchor: usize,
    dst: &mut [u8],
    table: &[u32],
    update: &mut [u32; R],
    hashes: &mut [usize; R],
    token: u8,
) -> Option<usize> {
    for r in 0..R {
        let rows = &cell[8 * r..8 * (r + N)];
        let h = hash(rows);
        let slot = table[h];
        if slot == 0 {
            update[r] = (anchor + 1 + 8 * r) as u32;
            hashes[r] = h;
            continue;
        }
        let d = anchor - slot as usize;
        if !same(dst, slot, rows) || d + 8 * r >= MAX_DISTANCE {
            continue;
        }
        dst[anchor] = token | r as u8;
        dst[anchor + 1..anchor + 3].copy_from_slice(&(d as u16).to_le_bytes());
        return Some(other_rows(cell, r, N, dst, anchor + 3));
    }
    None
}

/// Decodes the cells of an 8x8 stream into `out` (zeroed, `shape[0] * shape[1]` bytes).
pub(super) fn decompress(shape: [usize; 2], src: &[u8], out: &mut [u8]) -> Result<()> {
    cells::decompress::<8, 64>(shape, src, out, decode_rows)
}

/// Decodes the row-match token `token` at `cur` of `src` into `cell`, moving `ip` past what
/// it reads; `false` for an unknown token.
#[inline(always)]
fn decode_rows(src: &[u8], token: u8, cur: i64, ip: &mut usize, cell: &mut [u8; 64]) -> Result<bool> {
    if token >> 3 != TRIPLE >> 3 && token >> 3 != PAIR >> 3 {
        return Ok(false);
    }
    let n = if token >> 3 == TRIPLE >> 3 { 3 } else { 2 };
    let r = usize::from(token & 7);
    if r + n > 8 {
        return Err(corrupt(format!("token {token}: rows {r}..{} outside the cell", r + n)));
    }
    let offset = read_u16(src, cur + 1)?;
    *ip += 2;
    let refd = range(src, cur - i64::from(offset), 8 * n)?;
    cell[8 * r..8 * (r + n)].copy_from_slice(refd);
    for l in (0..8).filter(|&l| l < r || l >= r + n) {
        cell[8 * l..8 * l + 8].copy_from_slice(range(src, *ip as i64, 8)?);
        *ip += 8;
    }
    Ok(true)
}
