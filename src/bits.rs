//! Bit-packed tables: the word layer under the frame simulator, kept apart from the physics.
//!
//! A [`BitTable`] holds `rows` rows of `words` 64-bit words each; in the frame simulator a row is
//! one qubit (or measurement, or detector) and bit `s` of the row is shot `s`. Row operations are
//! plain loops over word slices, which the compiler vectorises.

/// A dense table of bits, row-major, each row `words` u64 words long.
#[derive(Clone, Debug, Default)]
pub struct BitTable {
    data: Vec<u64>,
    rows: usize,
    words: usize,
}

impl BitTable {
    /// A table of zeros.
    pub fn new(rows: usize, words: usize) -> BitTable {
        BitTable {
            data: vec![0; rows * words],
            rows,
            words,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Words per row.
    pub fn words(&self) -> usize {
        self.words
    }

    pub fn clear(&mut self) {
        self.data.fill(0);
    }

    #[inline]
    pub fn row(&self, r: usize) -> &[u64] {
        &self.data[r * self.words..(r + 1) * self.words]
    }

    #[inline]
    pub fn row_mut(&mut self, r: usize) -> &mut [u64] {
        &mut self.data[r * self.words..(r + 1) * self.words]
    }

    /// Two distinct rows, both mutable.
    #[inline]
    pub fn two_rows_mut(&mut self, a: usize, b: usize) -> (&mut [u64], &mut [u64]) {
        assert!(a != b, "two_rows_mut needs distinct rows");
        let w = self.words;
        if a < b {
            let (lo, hi) = self.data.split_at_mut(b * w);
            (&mut lo[a * w..(a + 1) * w], &mut hi[..w])
        } else {
            let (lo, hi) = self.data.split_at_mut(a * w);
            (&mut hi[..w], &mut lo[b * w..(b + 1) * w])
        }
    }

    /// Row `dst` ^= row `src` (distinct rows).
    #[inline]
    pub fn xor_row_into(&mut self, src: usize, dst: usize) {
        let (s, d) = self.two_rows_mut(src, dst);
        xor_into(d, s);
    }

    #[inline]
    pub fn get(&self, r: usize, bit: usize) -> bool {
        self.data[r * self.words + bit / 64] >> (bit % 64) & 1 == 1
    }

    #[inline]
    pub fn flip(&mut self, r: usize, bit: usize) {
        self.data[r * self.words + bit / 64] ^= 1 << (bit % 64);
    }

    /// Bits `rows x (64 * words)` as one flat slice of words.
    pub fn as_words(&self) -> &[u64] {
        &self.data
    }
}

/// `dst ^= src`, word by word.
#[inline]
pub fn xor_into(dst: &mut [u64], src: &[u64]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d ^= *s;
    }
}

/// Transposes a 64x64 bit block in place: bit j of word i moves to bit i of word j.
///
/// The classic recursive block swap (Hacker's Delight, section 7-3): swap the off-diagonal
/// 32x32 quadrants, then 16x16 within each, down to single bits.
pub fn transpose64(block: &mut [u64; 64]) {
    let mut width = 32;
    let mut mask: u64 = 0x0000_0000_FFFF_FFFF;
    while width != 0 {
        let mut k = 0;
        while k < 64 {
            for i in k..k + width {
                let a = block[i];
                let b = block[i + width];
                let t = ((a >> width) ^ b) & mask;
                block[i] = a ^ (t << width);
                block[i + width] = b ^ t;
            }
            k += 2 * width;
        }
        width >>= 1;
        mask ^= mask << width;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_moves_every_bit() {
        let mut block = [0u64; 64];
        let mut seed = 0x1234_5678_9abc_def0u64;
        for w in block.iter_mut() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *w = seed;
        }
        let orig = block;
        transpose64(&mut block);
        for (i, row) in orig.iter().enumerate() {
            for (j, col) in block.iter().enumerate() {
                assert_eq!(row >> j & 1, col >> i & 1);
            }
        }
    }

    #[test]
    fn rows_xor_and_flip() {
        let mut t = BitTable::new(3, 2);
        t.flip(0, 70);
        t.xor_row_into(0, 2);
        assert!(t.get(2, 70));
        t.xor_row_into(2, 0);
        assert!(!t.get(0, 70));
        let (a, b) = t.two_rows_mut(2, 1);
        b.copy_from_slice(a);
        assert!(t.get(1, 70));
    }
}
