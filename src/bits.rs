//! Bit-packed tables: the word layer under the frame simulator, kept apart from the physics.
//!
//! A [`BitTable`] holds `rows` rows of `words` 64-bit words each; in the frame simulator a row is
//! one qubit (or measurement, or detector) and bit `s` of the row is shot `s`. Row operations are
//! plain loops over word slices, which the compiler vectorises; the hot ones are compiled for
//! AVX-512 and AVX2 too and picked at run time ([`Isa`], [`multiversion`]).

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

    /// XORs `v` into bit `bit` of row `r`, without a branch on `v` (noise outcomes are random,
    /// and a mispredicted branch per hit costs more than the store).
    #[inline]
    pub fn xor_bit(&mut self, r: usize, bit: usize, v: bool) {
        self.data[r * self.words + bit / 64] ^= (v as u64) << (bit % 64);
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

/// The symmetric difference of two sorted sets (sorted index lists, the sparse form of
/// [`xor_into`]), sorted, into `out`: a merge.
pub fn xor_sorted_into<T: Ord + Copy>(a: &[T], b: &[T], out: &mut Vec<T>) {
    out.clear();
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
}

/// The instruction sets the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Avx512,
    Avx2,
    /// The target's baseline (SSE2 on x86-64).
    Baseline,
}

impl Isa {
    /// The widest instruction set this CPU runs, probed once.
    pub fn detect() -> Isa {
        static ISA: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *ISA.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    return Isa::Avx512;
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    return Isa::Avx2;
                }
            }
            Isa::Baseline
        })
    }

    /// Whether this CPU has AVX2, FMA and POPCNT (the exact engine's shot loop), probed once.
    pub fn has_avx2_fma_popcnt() -> bool {
        static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *HAS.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("popcnt")
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                false
            }
        })
    }

    /// Whether this CPU can run code compiled for `self`.
    pub fn supported(self) -> bool {
        match self {
            Isa::Baseline => true,
            Isa::Avx2 => Isa::detect() != Isa::Baseline,
            Isa::Avx512 => Isa::detect() == Isa::Avx512,
        }
    }
}

/// Defines `name(args)` running `body` on the probed instruction set, and `name_on(isa, args)`
/// for a chosen one (the caller checks [`Isa::supported`]; unsupported ones fall back to the
/// baseline).
macro_rules! multiversion {
    ($(#[$m:meta])* fn $name:ident / $name_on:ident ($($arg:ident: $ty:ty),*) $body:block) => {
        $(#[$m])*
        #[inline]
        pub fn $name($($arg: $ty),*) {
            $name_on($crate::bits::Isa::detect(), $($arg),*)
        }

        /// As the function without `_on`, compiled for `isa`.
        pub fn $name_on(isa: $crate::bits::Isa, $($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) {
                    body($($arg),*)
                }
                #[target_feature(enable = "avx2")]
                fn avx2($($arg: $ty),*) {
                    body($($arg),*)
                }
                if isa.supported() {
                    match isa {
                        // SAFETY: the CPU was probed for the feature just above.
                        $crate::bits::Isa::Avx512 => return unsafe { avx512($($arg),*) },
                        // SAFETY: as above.
                        $crate::bits::Isa::Avx2 => return unsafe { avx2($($arg),*) },
                        $crate::bits::Isa::Baseline => {}
                    }
                }
            }
            let _ = isa;
            body($($arg),*)
        }
    };
}
pub(crate) use multiversion;

multiversion! {
    /// Transposes a 64x64 bit block in place: bit j of word i moves to bit i of word j.
    ///
    /// The classic recursive block swap (Hacker's Delight, section 7-3): swap the off-diagonal
    /// 32x32 quadrants, then 16x16 within each, down to single bits.
    ///
    /// Compiled for AVX-512 / AVX2 where the CPU has them: the swaps of 32-, 16-, 8- and
    /// 4-word halves become vector operations (the output writers call this once per 64 x 64
    /// bits).
    fn transpose64 / transpose64_on(block: &mut [u64; 64]) {
        transpose64_words(block)
    }
}

#[inline(always)]
fn transpose64_words(block: &mut [u64; 64]) {
    swap_stage::<32>(block, 0x0000_0000_FFFF_FFFF);
    swap_stage::<16>(block, 0x0000_FFFF_0000_FFFF);
    swap_stage::<8>(block, 0x00FF_00FF_00FF_00FF);
    swap_stage::<4>(block, 0x0F0F_0F0F_0F0F_0F0F);
    swap_stage::<2>(block, 0x3333_3333_3333_3333);
    swap_stage::<1>(block, 0x5555_5555_5555_5555);
}

/// One stage of [`transpose64`]: in each group of 2W words, swap the upper-right and lower-left
/// W x W bit blocks (constant W, so that the loop vectorises).
#[inline(always)]
fn swap_stage<const W: usize>(block: &mut [u64; 64], mask: u64) {
    for k in (0..64).step_by(2 * W) {
        for i in k..k + W {
            let (a, b) = (block[i], block[i + W]);
            let t = ((a >> W) ^ b) & mask;
            block[i] = a ^ (t << W);
            block[i + W] = b ^ t;
        }
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
        for isa in [Isa::Avx512, Isa::Avx2, Isa::Baseline] {
            let mut other = orig;
            transpose64_on(isa, &mut other);
            assert_eq!(other, block, "{isa:?}");
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
