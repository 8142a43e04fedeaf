//! Per-shot sweep-bit data (Stim's `--sweep FILE` with `--sweep_format 01`): line i holds shot
//! i's bits, one `0`/`1` character per `sweep[k]` of the circuit. Kept transposed (one row per
//! sweep bit, bit s of a row is shot s) so a frame-sampler batch takes whole words.

use crate::bits::BitTable;

/// Sweep bits of every shot of a run.
#[derive(Clone, Debug)]
pub struct SweepBits {
    table: BitTable,
}

impl SweepBits {
    /// Parses `text` (named `name` in errors) for `shots` shots of `num_bits` sweep bits each.
    /// Every line up to the `shots`-th must hold exactly `num_bits` characters `0`/`1` (as
    /// Stim's `01` reader); lines after it are not read. Errors are one line,
    /// `name:line[:col]: message`; the line count is checked before the table is allocated.
    pub fn parse_01(text: &str, name: &str, shots: u64, num_bits: usize) -> Result<Self, String> {
        let available = text.lines().count() as u64;
        if available < shots {
            return Err(format!(
                "{name}:{}: sweep data ends after {available} shot(s), but {shots} shots were asked for (one line of sweep bits per shot)",
                available + 1
            ));
        }
        let mut table = BitTable::new(num_bits, shots.div_ceil(64) as usize);
        for (shot, line) in text.lines().take(shots as usize).enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            for (col, c) in line.chars().enumerate() {
                match c {
                    '0' | '1' if col >= num_bits => {
                        return Err(format!(
                            "{name}:{}:{}: too many sweep bits: {}",
                            shot + 1,
                            col + 1,
                            uses(num_bits)
                        ));
                    }
                    '0' => {}
                    '1' => table.flip(col, shot),
                    other => {
                        return Err(format!(
                            "{name}:{}:{}: expected '0' or '1' in sweep data, found {other:?}",
                            shot + 1,
                            col + 1
                        ))
                    }
                }
            }
            let len = line.chars().count();
            if len < num_bits {
                return Err(format!(
                    "{name}:{}: {len} sweep bit(s) on this line, but {}",
                    shot + 1,
                    uses(num_bits)
                ));
            }
        }
        Ok(SweepBits { table })
    }

    /// Number of sweep bits per shot.
    pub fn num_bits(&self) -> usize {
        self.table.rows()
    }

    /// Copies the bits of the shots starting at word `first_word` (shot `64 * first_word`) into
    /// `dst`, one row per sweep bit; words past the last shot are zero.
    pub fn copy_words(&self, first_word: usize, dst: &mut BitTable) {
        for r in 0..dst.rows().min(self.table.rows()) {
            let src = self.table.row(r);
            let out = dst.row_mut(r);
            out.fill(0);
            if first_word < src.len() {
                let n = out.len().min(src.len() - first_word);
                out[..n].copy_from_slice(&src[first_word..first_word + n]);
            }
        }
    }
}

/// How many sweep bits the circuit reads, for error messages.
fn uses(num_bits: usize) -> String {
    match num_bits {
        0 => "the circuit has no sweep[k] targets".into(),
        n => format!("the circuit uses {n} (sweep[0] to sweep[{}])", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_as_shots() {
        let s = SweepBits::parse_01("01\n10\r\n11\nxx\n", "f", 3, 2).unwrap();
        let mut t = BitTable::new(2, 1);
        s.copy_words(0, &mut t);
        assert_eq!(t.row(0)[0], 0b110);
        assert_eq!(t.row(1)[0], 0b101);
    }

    #[test]
    fn bad_data_names_file_line_and_column() {
        let e = SweepBits::parse_01("01\n", "f", 2, 2).unwrap_err();
        assert!(e.starts_with("f:2: sweep data ends after 1 shot(s)"), "{e}");
        let e = SweepBits::parse_01("01\n0x\n", "f", 2, 2).unwrap_err();
        assert!(e.starts_with("f:2:2: expected '0' or '1'"), "{e}");
        let e = SweepBits::parse_01("010\n", "f", 1, 2).unwrap_err();
        assert!(e.starts_with("f:1:3: too many sweep bits"), "{e}");
        let e = SweepBits::parse_01("0\n", "f", 1, 2).unwrap_err();
        assert!(e.starts_with("f:1: 1 sweep bit(s)"), "{e}");
    }
}
