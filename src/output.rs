//! Sample formats, byte-compatible with Stim's result formats
//! (<https://github.com/quantumlib/Stim/blob/main/doc/result_formats.md>):
//!
//! * `01`: one line of '0'/'1' characters per shot;
//! * `b8`: each shot's bits packed into little-endian bytes, padded with zeros to a whole byte;
//! * `r8`: each shot as run lengths: one byte per 1 bit giving the number of 0s before it, the
//!   shot ending with an implicit 1 after its last bit; a run of 255 or more 0s writes 255 and
//!   continues counting (so 255 means "255 zeros, no 1 yet");
//! * `hits`: one line per shot, the indices of its 1 bits separated by commas;
//! * `dets`: one line per shot, `shot` then ` D5`, ` L0` or ` M3` for each 1 bit (detector,
//!   observable or measurement index);
//! * `ptb64`: shots in groups of 64; for each group and each bit, 8 bytes holding that bit of
//!   the 64 shots (shot k of the group in bit k, little-endian). Needs a multiple of 64 shots.

use crate::bits::{transpose64, BitTable};
use crate::faults::set_bits;
use std::ops::Range;
use std::str::FromStr;

/// A sample file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// '0'/'1' characters, one line per shot.
    Text01,
    /// Bit-packed bytes, little-endian within each byte, each shot padded to a byte.
    B8,
    /// Run lengths of zeros between ones, one byte each.
    R8,
    /// Comma-separated indices of the 1 bits, one line per shot.
    Hits,
    /// `shot D0 L1 M2` lines naming the 1 bits.
    Dets,
    /// 64 shots at a time, bit-major, one little-endian u64 per bit.
    Ptb64,
}

/// What the bits of a shot are called in the `dets` format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitNames {
    /// Measurement results `M0`, `M1`, ...
    Measurements,
    /// Table rows below `num_detectors` are detectors `D<row>`, the rest observables
    /// `L<row - num_detectors>` (rows count from the table's first row, not the range's).
    DetectorsThenObservables { num_detectors: usize },
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "01" => Ok(Format::Text01),
            "b8" => Ok(Format::B8),
            "r8" => Ok(Format::R8),
            "hits" => Ok(Format::Hits),
            "dets" => Ok(Format::Dets),
            "ptb64" => Ok(Format::Ptb64),
            other => Err(format!(
                "unknown format '{other}' (expected 01, b8, r8, hits, dets or ptb64)"
            )),
        }
    }
}

impl Format {
    /// Bytes one shot of `bits` bits takes, for the fixed-size formats (None for the others,
    /// whose size depends on the bits).
    pub fn bytes_per_shot(self, bits: usize) -> Option<usize> {
        match self {
            Format::Text01 => Some(bits + 1),
            Format::B8 => Some(bits.div_ceil(8)),
            Format::Ptb64 => Some(bits),
            Format::R8 | Format::Hits | Format::Dets => None,
        }
    }

    /// The number of shots this format can hold must be a multiple of this (64 for `ptb64`).
    pub fn shot_multiple(self) -> u64 {
        if self == Format::Ptb64 {
            64
        } else {
            1
        }
    }
}

/// Output buffers passed back from the writer to the workers to be filled again. A batch's
/// encoding is hundreds of kilobytes: allocated afresh each time, it is mapped and faulted in
/// page by page (a quarter of `detect`'s time on a d=15 surface code). The pool holds at most
/// the buffers in flight, so memory stays flat.
#[derive(Debug, Default)]
pub struct BufferPool(std::sync::Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    /// An empty buffer, with the capacity of one given back earlier if there is one.
    pub fn take(&self) -> Vec<u8> {
        let mut buf = self.lock().pop().unwrap_or_default();
        buf.clear();
        buf
    }

    /// Hands a written-out buffer back for reuse.
    pub fn give(&self, buf: Vec<u8>) {
        if buf.capacity() > 0 {
            self.lock().push(buf);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Vec<u8>>> {
        // A panicking holder cannot leave the list of buffers half-changed.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Refuses a shot count the format cannot hold, with Stim's rule spelled out.
pub fn check_shots(format: Format, shots: u64) -> Result<(), String> {
    let m = format.shot_multiple();
    if !shots.is_multiple_of(m) {
        return Err(format!(
            "the ptb64 format holds shots in groups of 64, but {shots} shots is not a multiple of 64"
        ));
    }
    Ok(())
}

/// Appends shots `0..shots` of the rows `rows` of a row-per-bit table to `out`, in `format`
/// (`names` labels the bits for `dets`). With `ptb64`, `shots` must be a multiple of 64 unless
/// it is the table's last batch (see [`check_shots`]).
///
/// `invert` (if given) holds one flag per row of the range: those rows are written inverted
/// (measurement flips become measurement results by XOR with the reference sample).
pub fn write_shots(
    table: &BitTable,
    rows: Range<usize>,
    shots: usize,
    invert: Option<&[bool]>,
    format: Format,
    names: BitNames,
    out: &mut Vec<u8>,
) {
    let word = |r: usize, w: usize| -> u64 {
        let v = table.row(rows.start + r)[w];
        match invert {
            Some(inv) if inv[r] => !v,
            _ => v,
        }
    };
    match format {
        Format::Text01 | Format::B8 => write_fixed(word, rows.len(), shots, format, out),
        Format::Ptb64 => {
            for w in 0..shots.div_ceil(64) {
                for r in 0..rows.len() {
                    out.extend_from_slice(&word(r, w).to_le_bytes());
                }
            }
        }
        Format::R8 | Format::Hits | Format::Dets => {
            let bits = rows.len();
            let per_shot = bits.div_ceil(64).max(1);
            let mut shot_words = vec![0u64; per_shot * 64];
            let mut block = [0u64; 64];
            for w in 0..shots.div_ceil(64) {
                shot_words.fill(0);
                for r0 in (0..bits).step_by(64) {
                    let n_rows = (bits - r0).min(64);
                    for (i, slot) in block.iter_mut().enumerate() {
                        *slot = if i < n_rows { word(r0 + i, w) } else { 0 };
                    }
                    transpose64(&mut block);
                    for (j, &v) in block.iter().enumerate() {
                        shot_words[j * per_shot + r0 / 64] = v;
                    }
                }
                for j in 0..(shots - w * 64).min(64) {
                    let ones = set_bits(&shot_words[j * per_shot..(j + 1) * per_shot]);
                    encode_sparse(ones, bits, rows.start, format, names, out);
                }
            }
        }
    }
}

/// One shot of `bits` bits with 1s at `ones`, in a format that names the 1 bits.
fn encode_sparse(
    ones: impl Iterator<Item = usize>,
    bits: usize,
    first_row: usize,
    format: Format,
    names: BitNames,
    out: &mut Vec<u8>,
) {
    use std::io::Write;
    match format {
        Format::R8 => {
            let mut prev = 0;
            for i in ones.chain(std::iter::once(bits)) {
                let mut gap = i - prev;
                while gap >= 255 {
                    out.push(255);
                    gap -= 255;
                }
                out.push(gap as u8);
                prev = i + 1;
            }
        }
        Format::Hits => {
            for (n, i) in ones.enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{i}");
            }
            out.push(b'\n');
        }
        Format::Dets => {
            out.extend_from_slice(b"shot");
            for i in ones {
                let _ = match names {
                    BitNames::Measurements => write!(out, " M{i}"),
                    BitNames::DetectorsThenObservables { num_detectors } => {
                        let row = first_row + i;
                        if row < num_detectors {
                            write!(out, " D{row}")
                        } else {
                            write!(out, " L{}", row - num_detectors)
                        }
                    }
                };
            }
            out.push(b'\n');
        }
        _ => unreachable!("fixed-size formats are written by write_fixed"),
    }
}

/// `01` and `b8`: every shot takes the same number of bytes, written in place.
///
/// Works in 64 x 64 bit blocks (64 rows, 64 shots): gather one word of each row, transpose,
/// and each resulting word is one shot's 64 bits. `word` is generic (not `dyn`) so that the
/// gather inlines: it runs once per 64 bits of output.
fn write_fixed(
    word: impl Fn(usize, usize) -> u64,
    bits: usize,
    shots: usize,
    format: Format,
    out: &mut Vec<u8>,
) {
    let stride = format.bytes_per_shot(bits).expect("fixed-size format");
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
        let n_bytes = n_rows.div_ceil(8);
        for w in 0..shots.div_ceil(64) {
            for (i, slot) in block.iter_mut().enumerate() {
                *slot = if i < n_rows { word(r0 + i, w) } else { 0 };
            }
            transpose64(&mut block);
            let n_shots = (shots - w * 64).min(64);
            let first = w * 64 * stride;
            match format {
                // A full block is one 8-byte store per shot (a fixed-size copy, no memcpy call).
                Format::B8 if n_bytes == 8 => {
                    for (j, &word) in block.iter().enumerate().take(n_shots) {
                        let at = first + j * stride + r0 / 8;
                        buf[at..at + 8].copy_from_slice(&word.to_le_bytes());
                    }
                }
                Format::B8 => {
                    for (j, &word) in block.iter().enumerate().take(n_shots) {
                        let at = first + j * stride + r0 / 8;
                        buf[at..at + n_bytes].copy_from_slice(&word.to_le_bytes()[..n_bytes]);
                    }
                }
                _ => {
                    for (j, &word) in block.iter().enumerate().take(n_shots) {
                        let at = first + j * stride + r0;
                        for (i, c) in buf[at..at + n_rows].iter_mut().enumerate() {
                            *c = b'0' + (word >> i & 1) as u8;
                        }
                    }
                }
            }
        }
    }
}

/// Reads shots written in `format`, each `bits` bits long (`names` gives the bit order of `dets`
/// lines, as for [`write_shots`]); the inverse of [`write_shots`]. Errors name the shot.
pub fn read_shots(
    data: &[u8],
    format: Format,
    bits: usize,
    names: BitNames,
) -> Result<Vec<Vec<bool>>, String> {
    let mut shots = Vec::new();
    match format {
        Format::Text01 | Format::Hits | Format::Dets => {
            let text = std::str::from_utf8(data).map_err(|_| "not UTF-8 text".to_string())?;
            let mut lines: Vec<&str> = text.split('\n').collect();
            if lines.last() == Some(&"") {
                lines.pop();
            } else if !text.is_empty() {
                return Err("the last shot has no terminating newline".into());
            }
            for (n, line) in lines.iter().enumerate() {
                let bad = |what: &str| format!("shot {n}: {what}");
                let mut shot = vec![false; bits];
                let mut set = |i: usize| -> Result<(), String> {
                    let slot = shot
                        .get_mut(i)
                        .ok_or_else(|| bad("bit index out of range"))?;
                    *slot = true;
                    Ok(())
                };
                match format {
                    Format::Text01 => {
                        if line.len() != bits {
                            return Err(bad(&format!(
                                "{} characters, expected {bits}",
                                line.len()
                            )));
                        }
                        for (i, c) in line.bytes().enumerate() {
                            match c {
                                b'0' => {}
                                b'1' => set(i)?,
                                _ => return Err(bad("characters other than 0 and 1")),
                            }
                        }
                    }
                    Format::Hits => {
                        for t in line.split(',').filter(|t| !t.is_empty()) {
                            set(t.parse().map_err(|_| bad(&format!("bad index '{t}'")))?)?;
                        }
                    }
                    _ => {
                        let mut words = line.split(' ');
                        if words.next() != Some("shot") {
                            return Err(bad("a dets line starts with 'shot'"));
                        }
                        for w in words.filter(|w| !w.is_empty()) {
                            let (kind, index) = w.split_at(1);
                            let index: usize = index
                                .parse()
                                .map_err(|_| bad(&format!("bad token '{w}'")))?;
                            let row = match (kind, names) {
                                ("M", BitNames::Measurements) => index,
                                ("D", BitNames::DetectorsThenObservables { num_detectors })
                                    if index < num_detectors =>
                                {
                                    index
                                }
                                ("L", BitNames::DetectorsThenObservables { num_detectors }) => {
                                    num_detectors + index
                                }
                                _ => return Err(bad(&format!("unexpected token '{w}'"))),
                            };
                            set(row)?;
                        }
                    }
                }
                shots.push(shot);
            }
        }
        Format::B8 => {
            let stride = bits.div_ceil(8);
            if stride == 0 || !data.len().is_multiple_of(stride) {
                return Err(format!(
                    "{} bytes is not a whole number of {stride}-byte shots",
                    data.len()
                ));
            }
            for chunk in data.chunks(stride) {
                shots.push(
                    (0..bits)
                        .map(|i| chunk[i / 8] >> (i % 8) & 1 == 1)
                        .collect(),
                );
            }
        }
        Format::Ptb64 => {
            let group = bits * 8;
            if group == 0 || !data.len().is_multiple_of(group) {
                return Err(format!(
                    "{} bytes is not a whole number of 64-shot groups",
                    data.len()
                ));
            }
            for chunk in data.chunks(group) {
                let word = |r: usize| {
                    u64::from_le_bytes(chunk[r * 8..r * 8 + 8].try_into().expect("8 bytes"))
                };
                for k in 0..64 {
                    shots.push((0..bits).map(|r| word(r) >> k & 1 == 1).collect());
                }
            }
        }
        Format::R8 => {
            let mut shot = Vec::with_capacity(bits + 1);
            for &b in data {
                shot.extend(std::iter::repeat_n(false, b as usize));
                if b != 255 {
                    shot.push(true);
                    if shot.len() > bits {
                        if shot.len() != bits + 1 {
                            return Err(format!(
                                "shot {}: runs overshoot {bits} bits",
                                shots.len()
                            ));
                        }
                        shot.pop();
                        shots.push(std::mem::replace(&mut shot, Vec::with_capacity(bits + 1)));
                    }
                }
            }
            if !shot.is_empty() {
                return Err(format!("shot {}: truncated run-length data", shots.len()));
            }
        }
    }
    Ok(shots)
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: BitNames = BitNames::Measurements;

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
        write_shots(&t, 0..3, 2, None, Format::Text01, M, &mut out);
        assert_eq!(out, b"100\n001\n");
    }

    #[test]
    fn b8_is_little_endian_and_padded() {
        // 70 rows -> 9 bytes per shot; row 65 of shot 100 is bit 1 of byte 8.
        let t = table_with(&[(65, 100), (0, 100), (9, 3)], 70, 2);
        let mut out = Vec::new();
        write_shots(&t, 0..70, 101, None, Format::B8, M, &mut out);
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
        write_shots(
            &t,
            0..2,
            1,
            Some(&[true, true]),
            Format::Text01,
            M,
            &mut out,
        );
        assert_eq!(out, b"10\n");
    }
}
