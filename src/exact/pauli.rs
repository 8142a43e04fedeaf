//! Pauli strings over the engine's *virtual* qubits, with and without phases.
//!
//! A [`Pauli`] is the operator i^phase X^x Z^z (all X factors to the left of all Z factors), so
//! the Hermitian Y on one qubit is (x, z, phase) = (1, 1, 1). Compile-time images carry the
//! phase; the per-shot Pauli frame ([`FrameBits`]) does not need it, since the frame only ever
//! multiplies the state and a global phase is unobservable.

/// Bit `q` of a word slice.
#[inline]
pub fn bit(words: &[u64], q: usize) -> bool {
    words[q / 64] >> (q % 64) & 1 == 1
}

#[inline]
fn flip(words: &mut [u64], q: usize) {
    words[q / 64] ^= 1 << (q % 64);
}

#[inline]
fn put(words: &mut [u64], q: usize, v: bool) {
    if bit(words, q) != v {
        flip(words, q);
    }
}

/// Parity of the popcount of `a & b` over whole words.
#[inline]
pub fn and_parity(a: &[u64], b: &[u64]) -> bool {
    a.iter()
        .zip(b)
        .fold(0u32, |acc, (x, y)| acc ^ (x & y).count_ones())
        & 1
        == 1
}

/// A Pauli operator with phase: i^phase X^x Z^z over `x.len() * 64` virtual qubits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pauli {
    pub x: Vec<u64>,
    pub z: Vec<u64>,
    pub phase: u8,
}

/// One of the four virtual Clifford gates the compiler uses to change the virtual basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VGate {
    H(usize),
    S(usize),
    SDag(usize),
    /// Control, target.
    Cx(usize, usize),
    Cz(usize, usize),
}

impl Pauli {
    pub fn identity(words: usize) -> Pauli {
        Pauli {
            x: vec![0; words],
            z: vec![0; words],
            phase: 0,
        }
    }

    /// The Hermitian single-qubit Pauli X^x Z^z (Y when both) on qubit `q`.
    pub fn single(words: usize, q: usize, x: bool, z: bool) -> Pauli {
        let mut p = Pauli::identity(words);
        put(&mut p.x, q, x);
        put(&mut p.z, q, z);
        p.phase = u8::from(x && z);
        p
    }

    pub fn get(&self, q: usize) -> (bool, bool) {
        (bit(&self.x, q), bit(&self.z, q))
    }

    pub fn is_identity(&self) -> bool {
        self.x.iter().chain(&self.z).all(|&w| w == 0)
    }

    /// self <- self * other.
    pub fn mul_assign(&mut self, other: &Pauli) {
        // X^a Z^b X^c Z^d = (-1)^{b.c} X^{a+c} Z^{b+d}.
        let swaps = and_parity(&self.z, &other.x);
        self.phase = (self.phase + other.phase + if swaps { 2 } else { 0 }) % 4;
        for (s, o) in self.x.iter_mut().zip(&other.x) {
            *s ^= o;
        }
        for (s, o) in self.z.iter_mut().zip(&other.z) {
            *s ^= o;
        }
    }

    /// Whether this and `other` anticommute.
    pub fn anticommutes(&self, other: &Pauli) -> bool {
        and_parity(&self.x, &other.z) ^ and_parity(&self.z, &other.x)
    }

    /// The sign s of a Hermitian Pauli s * (X^x Z^z with Y counted as Y): true for -1.
    pub fn negative(&self) -> bool {
        let ys: u32 = self
            .x
            .iter()
            .zip(&self.z)
            .map(|(a, b)| (a & b).count_ones())
            .sum();
        // i^phase X^x Z^z = i^phase i^{-ys} (Hermitian form); the remaining factor is +-1.
        let rest = (self.phase as u32 + 4 - ys % 4) % 4;
        debug_assert!(rest.is_multiple_of(2), "not Hermitian");
        rest == 2
    }

    /// Conjugates by CX(j, t) for every t in `cx`, then CZ(j, t) for every t in `cz`, then
    /// S^dag_j when `sdag` (j in neither mask): the gates that reduce a Pauli to X_j
    /// (`Compiler::reduce_to_dormant_x`), in O(words) instead of one [`Pauli::conjugate`] each.
    /// They share the control j, whose X bit none of them changes.
    pub fn conjugate_reduction(&mut self, j: usize, cx: &[u64], cz: &[u64], sdag: bool) {
        let xj = bit(&self.x, j);
        // CX(j, t): X_j -> X_j X_t and Z_t -> Z_j Z_t.
        if and_parity(&self.z, cx) {
            flip(&mut self.z, j);
        }
        if xj {
            for (x, m) in self.x.iter_mut().zip(cx) {
                *x ^= m;
            }
        }
        // CZ(j, t): X_j -> X_j Z_t and X_t -> Z_j X_t, a sign when both carry X.
        let both: u32 = self
            .x
            .iter()
            .zip(cz)
            .map(|(x, m)| (x & m).count_ones())
            .sum();
        if both % 2 == 1 {
            flip(&mut self.z, j);
        }
        if xj {
            self.phase = ((self.phase as u32 + 2 * both) % 4) as u8;
            for (z, m) in self.z.iter_mut().zip(cz) {
                *z ^= m;
            }
            if sdag {
                self.phase = (self.phase + 3) % 4;
                flip(&mut self.z, j);
            }
        }
    }

    /// Conjugates by a virtual gate: self <- V self V^dagger.
    pub fn conjugate(&mut self, g: VGate) {
        match g {
            VGate::H(q) => {
                let (x, z) = self.get(q);
                if x && z {
                    self.phase = (self.phase + 2) % 4;
                }
                put(&mut self.x, q, z);
                put(&mut self.z, q, x);
            }
            VGate::S(q) | VGate::SDag(q) => {
                // S X S^dag = Y = iXZ; S^dag X S = -Y = -iXZ.
                if bit(&self.x, q) {
                    let turn = if matches!(g, VGate::S(_)) { 1 } else { 3 };
                    self.phase = (self.phase + turn) % 4;
                    flip(&mut self.z, q);
                }
            }
            VGate::Cx(c, t) => {
                if bit(&self.x, c) {
                    flip(&mut self.x, t);
                }
                if bit(&self.z, t) {
                    flip(&mut self.z, c);
                }
            }
            VGate::Cz(a, b) => {
                let (xa, xb) = (bit(&self.x, a), bit(&self.x, b));
                if xa && xb {
                    self.phase = (self.phase + 2) % 4;
                }
                if xa {
                    flip(&mut self.z, b);
                }
                if xb {
                    flip(&mut self.z, a);
                }
            }
        }
    }
}

/// The per-shot Pauli frame over virtual qubits (x words then z words), phase dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameBits {
    pub words: usize,
    pub bits: Vec<u64>,
}

impl FrameBits {
    pub fn new(words: usize) -> FrameBits {
        FrameBits {
            words,
            bits: vec![0; 2 * words],
        }
    }

    pub fn clear(&mut self) {
        self.bits.iter_mut().for_each(|w| *w = 0);
    }

    #[inline]
    pub fn x(&self) -> &[u64] {
        &self.bits[..self.words]
    }

    #[inline]
    pub fn z(&self) -> &[u64] {
        &self.bits[self.words..]
    }

    /// frame <- frame * p (bits only).
    #[inline]
    pub fn xor(&mut self, p: &[u64]) {
        for (f, b) in self.bits.iter_mut().zip(p) {
            *f ^= b;
        }
    }

    /// Whether the frame anticommutes with the Pauli whose bits (x words then z words) are `p`.
    #[inline]
    pub fn anticommutes(&self, p: &[u64]) -> bool {
        let (px, pz) = p.split_at(self.words);
        and_parity(self.x(), pz) ^ and_parity(self.z(), px)
    }

    #[inline]
    pub fn get(&self, q: usize) -> (bool, bool) {
        (bit(self.x(), q), bit(self.z(), q))
    }

    #[inline]
    pub fn flip_x(&mut self, q: usize) {
        flip(&mut self.bits[..self.words], q);
    }

    /// Conjugates by a virtual gate (bits only).
    #[inline]
    pub fn conjugate(&mut self, g: VGate) {
        let w = self.words;
        let (x, z) = self.bits.split_at_mut(w);
        match g {
            VGate::H(q) => {
                let (a, b) = (bit(x, q), bit(z, q));
                put(x, q, b);
                put(z, q, a);
            }
            VGate::S(q) | VGate::SDag(q) => {
                if bit(x, q) {
                    flip(z, q);
                }
            }
            VGate::Cx(c, t) => {
                if bit(x, c) {
                    flip(x, t);
                }
                if bit(z, t) {
                    flip(z, c);
                }
            }
            VGate::Cz(a, b) => {
                let (xa, xb) = (bit(x, a), bit(x, b));
                if xa {
                    flip(z, b);
                }
                if xb {
                    flip(z, a);
                }
            }
        }
    }
}

/// The bits of a Pauli as one slice (x words then z words), the layout [`FrameBits`] uses.
pub fn packed(p: &Pauli) -> Vec<u64> {
    p.x.iter().chain(&p.z).copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn y_is_hermitian_positive() {
        let y = Pauli::single(1, 3, true, true);
        assert!(!y.negative());
        let mut yy = y.clone();
        yy.mul_assign(&y);
        assert!(yy.is_identity());
        assert_eq!(yy.phase, 0, "Y*Y = +I");
    }

    #[test]
    fn xz_is_minus_i_y() {
        let mut p = Pauli::single(1, 0, true, false);
        p.mul_assign(&Pauli::single(1, 0, false, true));
        // X Z = -i Y: phase 0 with x=z=1 means X Z, whose Hermitian form is -iY... not Hermitian.
        assert_eq!(p.phase, 0);
        let mut q = Pauli::single(1, 0, false, true);
        q.mul_assign(&Pauli::single(1, 0, true, false));
        // Z X = i Y: X^1 Z^1 with phase 2 (ZX = -XZ).
        assert_eq!(q.phase, 2);
    }

    #[test]
    fn conjugations_match_known_images() {
        let mut y = Pauli::single(1, 0, true, true);
        y.conjugate(VGate::S(0));
        assert_eq!(
            (y.get(0), y.negative()),
            ((true, false), true),
            "S Y S^dag = -X"
        );
        let mut y = Pauli::single(1, 0, true, true);
        y.conjugate(VGate::H(0));
        assert_eq!((y.get(0), y.negative()), ((true, true), true), "H Y H = -Y");
        let mut xx = Pauli::single(1, 0, true, false);
        xx.mul_assign(&Pauli::single(1, 1, true, false));
        xx.conjugate(VGate::Cz(0, 1));
        // CZ (X X) CZ = (XZ)(ZX) = Y Y.
        assert_eq!((xx.get(0), xx.get(1)), ((true, true), (true, true)));
        assert!(!xx.negative());
    }

    /// One pass of [`Pauli::conjugate_reduction`] equals its gates one by one, on random
    /// Paulis over two words (fixed seed).
    #[test]
    fn reduction_in_one_pass_equals_its_gates() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..400 {
            let j = (next() % 128) as usize;
            let not_j = |m: u64, w: usize| if j / 64 == w { m & !(1 << (j % 64)) } else { m };
            let cx: Vec<u64> = (0..2).map(|w| not_j(next() & next(), w)).collect();
            let cz: Vec<u64> = (0..2).map(|w| not_j(next() & next() & !cx[w], w)).collect();
            let sdag = case % 3 == 0;
            let p = Pauli {
                x: vec![next(), next()],
                z: vec![next(), next()],
                phase: (next() % 4) as u8,
            };
            let mut one_by_one = p.clone();
            for (mask, cz_gate) in [(&cx, false), (&cz, true)] {
                for t in (0..128).filter(|&t| bit(mask, t)) {
                    one_by_one.conjugate(if cz_gate {
                        VGate::Cz(j, t)
                    } else {
                        VGate::Cx(j, t)
                    });
                }
            }
            if sdag {
                one_by_one.conjugate(VGate::SDag(j));
            }
            let mut fast = p.clone();
            fast.conjugate_reduction(j, &cx, &cz, sdag);
            assert_eq!(fast, one_by_one, "case {case}");
        }
    }
}
