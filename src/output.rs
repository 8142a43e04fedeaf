//! Shot-major sample formats, byte-compatible with Stim's result formats
//! (<https://github.com/quantumlib/Stim/blob/main/doc/result_formats.md>):
//! `01` writes one line of '0'/'1' characters per shot; `b8` packs each shot's bits into
//! little-endian bytes, padded with zeros to a whole byte.

use crate::bits::{transpose64, BitTable};
use std::ops::Range;
use std::str::FromStr;

/// A sample file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// '0'/'1' characters, one line per shot.
    Text01,
    /// Bit-packed bytes, little-endian within each byte, each shot padded to a byte.
    B8,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "01" => Ok(Format::Text01),
            "b8" => Ok(Format::B8),
            other => Err(format!("unknown format '{other}' (expected 01 or b8)")),
        }
    }
}

impl Format {
    /// Bytes one shot of `bits` bits takes.
    pub fn bytes_per_shot(self, bits: usize) -> usize {
        match self {
            Format::Text01 => bits + 1,
            Format::B8 => bits.div_ceil(8),
        }
    }
}

/// Appends shots `0..shots` of the rows `rows` of a row-per-bit table to `out`, shot-major.
///
/// `invert` (if given) holds one flag per row of the range: those rows are written inverted
/// (measurement flips become measurement results by XOR with the reference sample).
pub fn write_shot_major(
    table: &BitTable,
    rows: Range<usize>,
    shots: usize,
    invert: Option<&[bool]>,
    format: Format,
    out: &mut Vec<u8>,
) {
    let bits = rows.len();
    let stride = format.bytes_per_shot(bits);
    let base = out.len();
    out.resize(base + stride * shots, 0);
    let buf = &mut out[base..];
    if format == Format::Text01 {
        for s in 0..shots {
            buf[s * stride + bits] = b'\n';
        }
    }
    let mut block = [0u64; 64];
    for r0 in (0..bits).step_by(64) {
        let n_rows = (bits - r0).min(64);
        for w in 0..shots.div_ceil(64) {
            for (i, slot) in block.iter_mut().enumerate() {
                *slot = if i < n_rows {
                    let word = table.row(rows.start + r0 + i)[w];
                    match invert {
                        Some(inv) if inv[r0 + i] => !word,
                        _ => word,
                    }
                } else {
                    0
                };
            }
            transpose64(&mut block);
            let n_shots = (shots - w * 64).min(64);
            for (j, &word) in block.iter().enumerate().take(n_shots) {
                let shot = &mut buf[(w * 64 + j) * stride..];
                match format {
                    Format::B8 => {
                        let n_bytes = n_rows.div_ceil(8);
                        shot[r0 / 8..r0 / 8 + n_bytes]
                            .copy_from_slice(&word.to_le_bytes()[..n_bytes]);
                    }
                    Format::Text01 => {
                        for (i, c) in shot[r0..r0 + n_rows].iter_mut().enumerate() {
                            *c = b'0' + (word >> i & 1) as u8;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_with(bits: &[(usize, usize)], rows: usize, words: usize) -> BitTable {
        let mut t = BitTable::new(rows, words);
        for &(r, s) in bits {
            t.flip(r, s);
        }
        t
    }

    #[test]
    fn text_format_is_one_line_per_shot() {
        let t = table_with(&[(0, 0), (2, 1)], 3, 1);
        let mut out = Vec::new();
        write_shot_major(&t, 0..3, 2, None, Format::Text01, &mut out);
        assert_eq!(out, b"100\n001\n");
    }

    #[test]
    fn b8_is_little_endian_and_padded() {
        // 70 rows -> 9 bytes per shot; row 65 of shot 100 is bit 1 of byte 8.
        let t = table_with(&[(65, 100), (0, 100), (9, 3)], 70, 2);
        let mut out = Vec::new();
        write_shot_major(&t, 0..70, 101, None, Format::B8, &mut out);
        assert_eq!(out.len(), 9 * 101);
        assert_eq!(out[100 * 9], 0b1);
        assert_eq!(out[100 * 9 + 8], 0b10);
        assert_eq!(out[3 * 9 + 1], 0b10);
        assert_eq!(out.iter().map(|b| b.count_ones()).sum::<u32>(), 3);
    }

    #[test]
    fn inverted_rows_flip() {
        let t = table_with(&[(1, 0)], 2, 1);
        let mut out = Vec::new();
        write_shot_major(&t, 0..2, 1, Some(&[true, true]), Format::Text01, &mut out);
        assert_eq!(out, b"10\n");
    }
}
