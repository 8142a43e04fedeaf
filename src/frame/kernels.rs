//! The frame sampler's row kernels, compiled for the widest vector unit the CPU has.
//!
//! A frame row is `words` u64 words (256 to 8192 shots). The kernels are plain word loops over a
//! whole instruction's targets; compiled with AVX-512 or AVX2 enabled, LLVM turns them into
//! 512- or 256-bit XORs, where the default x86-64 target only has 128-bit SSE2. The CPU is
//! probed once (`is_x86_feature_detected!`); other CPUs and architectures run the same source
//! compiled for the baseline (see [`Isa`]). XOR is exact, so every path writes the same bits
//! (checked by the tests below on whatever this CPU supports).

use super::program::{Kernel1, Kernel2};
use crate::bits::{multiversion, BitTable};

multiversion! {
    /// Applies the single-qubit kernel `k` to the frames of each of `qubits`.
    fn gate1 / gate1_on(x: &mut BitTable, z: &mut BitTable, k: Kernel1, qubits: &[u32]) {
        for &q in qubits {
            let x = x.row_mut(q as usize);
            let z = z.row_mut(q as usize);
            let z = &mut z[..x.len()];
            match k {
                Kernel1::Swap => x.swap_with_slice(z),
                Kernel1::XorZIntoX => {
                    for (a, b) in x.iter_mut().zip(z.iter()) {
                        *a ^= *b;
                    }
                }
                Kernel1::XorXIntoZ => {
                    for (a, b) in x.iter().zip(z.iter_mut()) {
                        *b ^= *a;
                    }
                }
                Kernel1::CycleXyz => {
                    for (a, b) in x.iter_mut().zip(z.iter_mut()) {
                        let old_x = *a;
                        *a ^= *b;
                        *b = old_x;
                    }
                }
                Kernel1::CycleZyx => {
                    for (a, b) in x.iter_mut().zip(z.iter_mut()) {
                        let old_z = *b;
                        *b ^= *a;
                        *a = old_z;
                    }
                }
            }
        }
    }
}

multiversion! {
    /// Applies the two-qubit kernel `k` to the frames of each pair of `pairs` (distinct qubits).
    fn gate2 / gate2_on(x: &mut BitTable, z: &mut BitTable, k: Kernel2, pairs: &[(u32, u32)]) {
        for &(a, b) in pairs {
            let (xa, xb) = x.two_rows_mut(a as usize, b as usize);
            let (za, zb) = z.two_rows_mut(a as usize, b as usize);
            // Equal lengths, stated once so that the loops below carry no bounds checks.
            let n = xa.len();
            let (xb, za, zb) = (&mut xb[..n], &mut za[..n], &mut zb[..n]);
            match k {
                Kernel2::Cx => {
                    for i in 0..n {
                        xb[i] ^= xa[i];
                        za[i] ^= zb[i];
                    }
                }
                Kernel2::Cz => {
                    for i in 0..n {
                        za[i] ^= xb[i];
                        zb[i] ^= xa[i];
                    }
                }
                Kernel2::Cy => {
                    for i in 0..n {
                        za[i] ^= xb[i] ^ zb[i];
                        xb[i] ^= xa[i];
                        zb[i] ^= xa[i];
                    }
                }
                Kernel2::Swap => {
                    xa.swap_with_slice(xb);
                    za.swap_with_slice(zb);
                }
                Kernel2::Generic(m) => {
                    for i in 0..n {
                        let input = [xa[i], xb[i], za[i], zb[i]];
                        let mut out = [0u64; 4];
                        for (o, row) in out.iter_mut().zip(m) {
                            for (j, v) in input.iter().enumerate() {
                                if row >> j & 1 == 1 {
                                    *o ^= v;
                                }
                            }
                        }
                        [xa[i], xb[i], za[i], zb[i]] = out;
                    }
                }
            }
        }
    }
}

multiversion! {
    /// `dst ^=` the record rows `rec[-k]` for each k of `lookbacks`, `measured` results having
    /// been recorded into the ring `record` (a detector or an observable).
    fn xor_lookbacks / xor_lookbacks_on(
        dst: &mut [u64],
        record: &BitTable,
        measured: u64,
        lookbacks: &[u32]
    ) {
        let rows = record.rows() as u64;
        for &k in lookbacks {
            let src = record.row(((measured - k as u64) % rows) as usize);
            let src = &src[..dst.len()];
            for (d, s) in dst.iter_mut().zip(src) {
                *d ^= *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::Isa;

    fn random_table(rows: usize, words: usize, seed: u64) -> BitTable {
        let mut t = BitTable::new(rows, words);
        let mut s = seed;
        for r in 0..rows {
            for bit in 0..words * 64 {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                if s & 1 == 1 {
                    t.flip(r, bit);
                }
            }
        }
        t
    }

    fn same(a: &BitTable, b: &BitTable) -> bool {
        a.as_words() == b.as_words()
    }

    /// Every instruction set this CPU runs gives the baseline's bits, for every kernel, on rows
    /// of 1 word (no full vector) and 16 words.
    #[test]
    fn every_instruction_set_writes_the_same_bits() {
        let isas = [Isa::Avx512, Isa::Avx2, Isa::Baseline];
        let k1 = [
            Kernel1::Swap,
            Kernel1::XorZIntoX,
            Kernel1::XorXIntoZ,
            Kernel1::CycleXyz,
            Kernel1::CycleZyx,
        ];
        let k2 = [
            Kernel2::Cx,
            Kernel2::Cy,
            Kernel2::Cz,
            Kernel2::Swap,
            Kernel2::Generic([0b0101, 0b0010, 0b1100, 0b1011]),
        ];
        for words in [1, 16] {
            let (x0, z0) = (random_table(6, words, 1), random_table(6, words, 2));
            let mut outs = Vec::new();
            for isa in isas.into_iter().filter(|i| i.supported()) {
                let (mut x, mut z) = (x0.clone(), z0.clone());
                for k in k1 {
                    gate1_on(isa, &mut x, &mut z, k, &[0, 3, 5]);
                }
                for k in k2 {
                    gate2_on(isa, &mut x, &mut z, k, &[(0, 1), (4, 2), (5, 3)]);
                }
                let mut dst = z.row(0).to_vec();
                xor_lookbacks_on(isa, &mut dst, &x, 9, &[1, 2, 6]);
                outs.push((x, z, dst));
            }
            let base = outs.last().unwrap();
            assert!(!same(&base.0, &x0), "the kernels changed nothing");
            for o in &outs {
                assert!(same(&o.0, &base.0) && same(&o.1, &base.1) && o.2 == base.2);
            }
        }
    }
}
