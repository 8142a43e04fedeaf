//! Stabilizer tableau simulator with destabilizers (Aaronson & Gottesman, PRA 70, 052328 (2004)).
//!
//! Rows follow the paper: row `i < n` is destabilizer i, the matching stabilizer sits `64 * half`
//! rows later (`half = ceil(n / 64)`, so both halves start on a word boundary). Paulis use the
//! paper's Hermitian convention: bits x = z = 1 mean Y. The bits are stored column-major (for each
//! qubit, one bit per row), so a gate updates 64 rows per word operation.
//!
//! Gates are fully table driven: [`CliffordAction`] gives the signed image of every local Pauli,
//! which is turned once into algebraic normal form (XOR of ANDs of the input bits) per output bit
//! and evaluated bit-sliced. Only stabilizer signs are maintained; destabilizer signs are never read.
//!
//! **Symbolic signs.** Optionally every stabilizer sign also carries the set of random measurement
//! variables it depends on: each non-deterministic measurement k introduces a variable v_k, which
//! stands for "this outcome differs from the one chosen in this run". A measurement result is then
//! an affine function `value + sum(vars)`; its `value` is the result in this run (all v_k = 0), and
//! it is deterministic exactly when `vars` is empty.

use crate::circuit::{Circuit, Instruction, Target};
use crate::error::SimError;
use crate::gates::{Basis, CliffordAction, GateId, GateKind, GATES};
use rand_core::RngCore;
use std::collections::VecDeque;
use std::sync::OnceLock;

/// The largest qubit count the tableau accepts; its bits take about n^2 / 2 bytes (128 MiB here).
pub const MAX_TABLEAU_QUBITS: u64 = 16_384;

/// A growable, packed bit vector: bit i is bit `i % 64` of word `i / 64`; unused bits are zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BitVec {
    words: Vec<u64>,
    len: usize,
}

impl BitVec {
    pub fn new() -> BitVec {
        BitVec::default()
    }

    /// `len` zero bits.
    pub fn zeros(len: usize) -> BitVec {
        BitVec {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`; panics if out of range.
    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "bit {i} out of range (len {})", self.len);
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Sets bit `i`; panics if out of range.
    pub fn set(&mut self, i: usize, value: bool) {
        assert!(i < self.len, "bit {i} out of range (len {})", self.len);
        let bit = 1u64 << (i % 64);
        if value {
            self.words[i / 64] |= bit;
        } else {
            self.words[i / 64] &= !bit;
        }
    }

    pub fn push(&mut self, value: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        self.len += 1;
        self.set(self.len - 1, value);
    }

    /// The packed words (bit i in word i / 64).
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(move |i| self.get(i))
    }

    pub fn to_vec(&self) -> Vec<bool> {
        self.iter().collect()
    }
}

impl FromIterator<bool> for BitVec {
    fn from_iter<I: IntoIterator<Item = bool>>(iter: I) -> BitVec {
        let mut v = BitVec::new();
        for b in iter {
            v.push(b);
        }
        v
    }
}

/// A bit as an affine function of the random measurement variables (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SymbolicBit {
    /// The value in this run (every variable 0).
    pub value: bool,
    /// Sorted indices of the variables it depends on; empty when deterministic (or not tracked).
    pub vars: Vec<u64>,
}

impl SymbolicBit {
    pub fn constant(value: bool) -> SymbolicBit {
        SymbolicBit {
            value,
            vars: Vec::new(),
        }
    }

    pub fn is_deterministic(&self) -> bool {
        self.vars.is_empty()
    }

    /// Adds (XORs) `value + sum(vars)` into this bit.
    pub fn xor_with(&mut self, value: bool, vars: &[u64]) {
        self.value ^= value;
        xor_sorted(&mut self.vars, vars);
    }
}

/// How the simulator picks the outcome of a random measurement.
pub enum Outcomes {
    /// Always 0 (the reference-sample convention, as in Stim).
    Zero,
    /// Fair coin flips drawn from the generator.
    Random(Box<dyn RngCore + Send>),
}

impl Outcomes {
    fn choose(&mut self) -> bool {
        match self {
            Outcomes::Zero => false,
            Outcomes::Random(rng) => rng.next_u32() & 1 == 1,
        }
    }
}

/// A Clifford action in algebraic normal form, for bit-sliced evaluation.
///
/// Inputs are numbered like [`CliffordAction`] indices: bit j < k is x of slot j, bit k + j is z
/// of slot j. Output o < 2k is the new input bit o, output 2k the sign flip. Each output is the XOR
/// over its monomials of the AND of the input bits in the monomial's mask.
struct SlicedGate {
    k: usize,
    terms: Vec<Vec<u8>>,
}

impl SlicedGate {
    fn new(action: &CliffordAction) -> SlicedGate {
        let k = action.num_qubits;
        let size = 1usize << (2 * k);
        let terms = (0..=2 * k)
            .map(|o| {
                let mut table: Vec<bool> = action
                    .images
                    .iter()
                    .map(|&(x, z, neg)| match o {
                        o if o < k => x >> o & 1 == 1,
                        o if o < 2 * k => z >> (o - k) & 1 == 1,
                        _ => neg,
                    })
                    .collect();
                // Moebius transform: truth table -> ANF coefficients.
                for j in 0..2 * k {
                    for idx in 0..size {
                        if idx >> j & 1 == 1 {
                            table[idx] ^= table[idx ^ (1 << j)];
                        }
                    }
                }
                (0..size).filter(|&i| table[i]).map(|i| i as u8).collect()
            })
            .collect();
        SlicedGate { k, terms }
    }

    /// Applies the action to 64 rows at once: `inputs` holds the input words, rewritten in place;
    /// returns the sign-flip word.
    #[inline]
    fn eval(&self, inputs: &mut [u64; 4]) -> u64 {
        let nin = 2 * self.k;
        let mut out = [0u64; 5];
        for (o, terms) in self.terms.iter().enumerate() {
            for &m in terms {
                let mut p = !0u64;
                for (j, &w) in inputs.iter().enumerate().take(nin) {
                    if m >> j & 1 == 1 {
                        p &= w;
                    }
                }
                out[o] ^= p;
            }
        }
        inputs[..nin].copy_from_slice(&out[..nin]);
        out[nin]
    }
}

/// Bit-sliced form of every Clifford gate in the table, by gate index.
fn sliced(gate: GateId) -> Option<&'static SlicedGate> {
    static SLICED: OnceLock<Vec<Option<SlicedGate>>> = OnceLock::new();
    SLICED
        .get_or_init(|| {
            (0..GATES.len())
                .map(|i| GateId(i as u8).clifford_action().map(SlicedGate::new))
                .collect()
        })
        .get(gate.0 as usize)
        .and_then(|g| g.as_ref())
}

/// The Pauli (x, z) that a feedback gate applies to its qubit slot when the record in `rec_slot`
/// is 1: the image of X on the record's slot, with that slot's part dropped (CX: X, CY: Y, CZ: Z).
pub fn feedback_pauli(action: &CliffordAction, rec_slot: usize) -> (bool, bool) {
    let (x, z, _) = action.images[1 << rec_slot];
    let other = 1 - rec_slot;
    (x >> other & 1 == 1, z >> other & 1 == 1)
}

/// Symbolic-sign state: per-stabilizer variable sets and the recent measurement expressions.
struct Symbolic {
    rows: Vec<Vec<u64>>,
    next_var: u64,
    recent: VecDeque<Vec<u64>>,
    window: usize,
}

/// A stabilizer tableau simulator; see the module docs. Noise is ignored (noiseless runs only).
pub struct TableauSimulator {
    n: usize,
    /// Words per half (destabilizers / stabilizers) of a column.
    half: usize,
    /// Column-major bits: qubit q's column is `xs[q * 2 * half..(q + 1) * 2 * half]`.
    xs: Vec<u64>,
    zs: Vec<u64>,
    /// One bit per row; only the stabilizer half is meaningful.
    signs: Vec<u64>,
    outcomes: Outcomes,
    symbolic: Option<Symbolic>,
    record: BitVec,
    h: &'static SlicedGate,
    h_yz: &'static SlicedGate,
    cx: &'static SlicedGate,
    s: &'static SlicedGate,
    s_dag: &'static SlicedGate,
}

impl TableauSimulator {
    /// The state |0...0> on `num_qubits` qubits; refuses more than [`MAX_TABLEAU_QUBITS`].
    pub fn new(num_qubits: usize, outcomes: Outcomes) -> Result<TableauSimulator, SimError> {
        if num_qubits as u64 > MAX_TABLEAU_QUBITS {
            return Err(SimError::TooManyQubits {
                qubits: num_qubits as u64,
                engine: "tableau simulator",
                limit: MAX_TABLEAU_QUBITS,
            });
        }
        let n = num_qubits;
        let half = n.div_ceil(64);
        let stride = 2 * half;
        let mut xs = vec![0u64; n * stride];
        let mut zs = vec![0u64; n * stride];
        for q in 0..n {
            // Destabilizer q = X_q, stabilizer q = Z_q.
            xs[q * stride + q / 64] |= 1 << (q % 64);
            zs[q * stride + half + q / 64] |= 1 << (q % 64);
        }
        let basis_change = |name| sliced(GateId::named(name)).expect("basis change is Clifford");
        Ok(TableauSimulator {
            n,
            half,
            xs,
            zs,
            signs: vec![0; stride],
            outcomes,
            symbolic: None,
            record: BitVec::new(),
            h: basis_change("H"),
            h_yz: basis_change("H_YZ"),
            cx: basis_change("CX"),
            s: basis_change("S"),
            s_dag: basis_change("S_DAG"),
        })
    }

    /// Turns on symbolic signs (see the module docs), keeping the expressions of the last `window`
    /// measurements for `rec[-k]` look-ups (`window` >= the largest k used).
    pub fn with_symbolic_signs(mut self, window: usize) -> TableauSimulator {
        self.symbolic = Some(Symbolic {
            rows: vec![Vec::new(); self.n],
            next_var: 0,
            recent: VecDeque::new(),
            window,
        });
        self
    }

    pub fn num_qubits(&self) -> usize {
        self.n
    }

    /// Number of random variables introduced so far (0 unless symbolic).
    pub fn num_random_variables(&self) -> u64 {
        self.symbolic.as_ref().map_or(0, |s| s.next_var)
    }

    /// Every measurement result recorded by [`execute`](Self::execute), in order.
    pub fn record(&self) -> &BitVec {
        &self.record
    }

    /// `rec[-k]`: its value and (when symbolic) its variables. Panics if k is 0, reaches before the
    /// first measurement, or (symbolic) is beyond the window.
    pub fn lookback(&self, k: u32) -> (bool, &[u64]) {
        let k = k as usize;
        assert!(k >= 1 && k <= self.record.len(), "rec[-{k}] out of range");
        let value = self.record.get(self.record.len() - k);
        let vars = match &self.symbolic {
            Some(s) => {
                assert!(
                    k <= s.recent.len(),
                    "rec[-{k}] is outside the symbolic window"
                );
                &s.recent[s.recent.len() - k][..]
            }
            None => &[][..],
        };
        (value, vars)
    }

    /// Applies a Clifford gate from the table to `qubits` (consecutive pairs for two-qubit gates).
    /// Panics if the gate is not a Clifford unitary.
    pub fn apply_gate(&mut self, gate: GateId, qubits: &[u32]) {
        let g = sliced(gate).unwrap_or_else(|| panic!("{} is not a Clifford unitary", gate.name()));
        for chunk in qubits.chunks_exact(g.k) {
            self.apply_sliced(g, chunk[0] as usize, chunk.get(1).map(|&q| q as usize));
        }
    }

    fn apply_sliced(&mut self, g: &SlicedGate, a: usize, b: Option<usize>) {
        let stride = 2 * self.half;
        let ca = a * stride;
        match b {
            None => {
                for w in 0..stride {
                    let mut inp = [self.xs[ca + w], self.zs[ca + w], 0, 0];
                    let flip = g.eval(&mut inp);
                    self.xs[ca + w] = inp[0];
                    self.zs[ca + w] = inp[1];
                    self.signs[w] ^= flip;
                }
            }
            Some(b) => {
                let cb = b * stride;
                for w in 0..stride {
                    let mut inp = [
                        self.xs[ca + w],
                        self.xs[cb + w],
                        self.zs[ca + w],
                        self.zs[cb + w],
                    ];
                    let flip = g.eval(&mut inp);
                    self.xs[ca + w] = inp[0];
                    self.xs[cb + w] = inp[1];
                    self.zs[ca + w] = inp[2];
                    self.zs[cb + w] = inp[3];
                    self.signs[w] ^= flip;
                }
            }
        }
    }

    /// Applies the Pauli with bits (x, z) to qubit `q` if `condition` is 1 (symbolically: the
    /// condition is XORed into the sign of every stabilizer row anticommuting with the Pauli).
    pub fn apply_pauli_if(&mut self, q: u32, x: bool, z: bool, condition: (bool, &[u64])) {
        let (value, vars) = condition;
        let track = self.symbolic.is_some() && !vars.is_empty();
        if !value && !track {
            return;
        }
        let col = q as usize * 2 * self.half;
        for w in self.half..2 * self.half {
            let anti =
                (if x { self.zs[col + w] } else { 0 }) ^ (if z { self.xs[col + w] } else { 0 });
            if value {
                self.signs[w] ^= anti;
            }
            if track {
                let rows = &mut self.symbolic.as_mut().expect("tracked").rows;
                for_each_bit(anti, |b| {
                    xor_sorted(&mut rows[(w - self.half) * 64 + b], vars);
                });
            }
        }
    }

    /// Measures qubit `q` in `basis`; the state collapses accordingly. Not recorded.
    pub fn measure(&mut self, q: u32, basis: Basis) -> SymbolicBit {
        self.in_basis(q as usize, basis, |s, q| s.measure_z(q))
    }

    /// Resets qubit `q` to the +1 eigenstate of `basis`.
    pub fn reset(&mut self, q: u32, basis: Basis) {
        self.in_basis(q as usize, basis, |s, q| s.reset_z(q))
    }

    /// Measures qubit `q` in `basis`, then resets it to the basis' +1 eigenstate. Not recorded.
    pub fn measure_reset(&mut self, q: u32, basis: Basis) -> SymbolicBit {
        self.in_basis(q as usize, basis, |s, q| {
            let r = s.measure_z(q);
            s.apply_pauli_if(q as u32, true, false, (r.value, &r.vars));
            r
        })
    }

    /// Runs `f` on qubit q with `basis` rotated onto Z (H for X, H_YZ for Y), then rotates back.
    fn in_basis<T>(&mut self, q: usize, basis: Basis, f: impl FnOnce(&mut Self, usize) -> T) -> T {
        let change = match basis {
            Basis::Z => None,
            Basis::X => Some(self.h),
            Basis::Y => Some(self.h_yz),
        };
        if let Some(g) = change {
            self.apply_sliced(g, q, None);
        }
        let r = f(self, q);
        if let Some(g) = change {
            self.apply_sliced(g, q, None);
        }
        r
    }

    /// Runs `f` with the Pauli product `factors` ((qubit, x, z), distinct qubits) rotated onto
    /// Z of its first qubit, the pivot, then rotates back. The rotation takes each factor to Z
    /// (H for X, H_YZ for Y; both send their Pauli to +Z), then folds every other factor onto the
    /// pivot with CX (other -> pivot), which sends Z_a Z_pivot to Z_pivot: +P becomes +Z_pivot.
    fn on_product_pivot<T>(
        &mut self,
        factors: &[(u32, bool, bool)],
        f: impl FnOnce(&mut Self, usize) -> T,
    ) -> T {
        let pivot = factors[0].0 as usize;
        let change = |s: &Self, x: bool, z: bool| match (x, z) {
            (true, false) => Some(s.h),
            (true, true) => Some(s.h_yz),
            _ => None,
        };
        for &(q, x, z) in factors {
            if let Some(g) = change(self, x, z) {
                self.apply_sliced(g, q as usize, None);
            }
        }
        for &(q, _, _) in &factors[1..] {
            self.apply_sliced(self.cx, q as usize, Some(pivot));
        }
        let r = f(self, pivot);
        for &(q, _, _) in factors[1..].iter().rev() {
            self.apply_sliced(self.cx, q as usize, Some(pivot));
        }
        for &(q, x, z) in factors {
            if let Some(g) = change(self, x, z) {
                self.apply_sliced(g, q as usize, None);
            }
        }
        r
    }

    /// Measures the Pauli product `factors` (distinct qubits); the state collapses. Not recorded.
    pub fn measure_product(&mut self, factors: &[(u32, bool, bool)]) -> SymbolicBit {
        self.on_product_pivot(factors, |s, q| s.measure_z(q))
    }

    /// The value of the Pauli product `factors` if the state is its eigenstate (None when a
    /// measurement of it would be random), without collapsing anything: what a Pauli target of
    /// `OBSERVABLE_INCLUDE` contributes to the noiseless observable.
    pub fn peek_product(&mut self, factors: &[(u32, bool, bool)]) -> Option<SymbolicBit> {
        self.on_product_pivot(factors, |s, q| {
            s.anticommuting_stabilizer(q)
                .is_none()
                .then(|| s.deterministic_z(q))
        })
    }

    /// Applies exp(-i pi/4 P) (`dagger`: exp(+i pi/4 P)) for the Pauli product P = `factors`,
    /// up to global phase: conjugated onto the pivot, it is S (resp. S_DAG) there.
    pub fn rotate_product(&mut self, factors: &[(u32, bool, bool)], dagger: bool) {
        let g = if dagger { self.s_dag } else { self.s };
        self.on_product_pivot(factors, |s, q| s.apply_sliced(g, q, None))
    }

    /// A stabilizer row (global index) anticommuting with Z_q, if any.
    fn anticommuting_stabilizer(&self, q: usize) -> Option<usize> {
        let col = q * 2 * self.half;
        (self.half..2 * self.half).find_map(|w| {
            let m = self.xs[col + w];
            (m != 0).then(|| w * 64 + m.trailing_zeros() as usize)
        })
    }

    fn measure_z(&mut self, q: usize) -> SymbolicBit {
        match self.anticommuting_stabilizer(q) {
            Some(p) => {
                let value = self.outcomes.choose();
                let vars = match &mut self.symbolic {
                    Some(s) => {
                        s.next_var += 1;
                        vec![s.next_var - 1]
                    }
                    None => Vec::new(),
                };
                self.collapse(q, p, value, vars.clone());
                SymbolicBit { value, vars }
            }
            None => self.deterministic_z(q),
        }
    }

    /// Reset = measure, then X if the result was 1. A random result still gets a variable: the
    /// other qubits' state depends on it when q was entangled.
    fn reset_z(&mut self, q: usize) {
        let r = self.measure_z(q);
        self.apply_pauli_if(q as u32, true, false, (r.value, &r.vars));
    }

    /// Random Z_q measurement (AG's case 1): stabilizer row `p` anticommutes with Z_q. Every other
    /// row anticommuting with Z_q is multiplied by row p; row p moves to its destabilizer and is
    /// replaced by Z_q with sign `value + vars`.
    fn collapse(&mut self, q: usize, p: usize, value: bool, vars: Vec<u64>) {
        let half = self.half;
        let stride = 2 * half;
        let (pw, bit) = (p / 64, 1u64 << (p % 64));
        let qcol = q * stride;
        let targets: Vec<(usize, u64)> = (0..stride)
            .filter_map(|w| {
                let m = self.xs[qcol + w] & if w == pw { !bit } else { !0 };
                (m != 0).then_some((w, m))
            })
            .collect();
        // Bit-sliced mod-4 counters of the phase exponent sum_k g(p_k, row_k) (AG's rowsum).
        let mut lo = vec![0u64; targets.len()];
        let mut hi = vec![0u64; targets.len()];
        for k in 0..self.n {
            let base = k * stride;
            let px = self.xs[base + pw] & bit != 0;
            let pz = self.zs[base + pw] & bit != 0;
            if !px && !pz {
                continue;
            }
            for (i, &(w, m)) in targets.iter().enumerate() {
                let (x, z) = (self.xs[base + w], self.zs[base + w]);
                // i^g = phase of P_k * R_k for the Hermitian single-qubit Paulis.
                let (inc, dec) = match (px, pz) {
                    (true, false) => (x & z, !x & z),
                    (true, true) => (!x & z, x & !z),
                    _ => (x & !z, x & z),
                };
                let (inc, dec) = (inc & m, dec & m);
                let carry = lo[i] & inc;
                lo[i] ^= inc;
                hi[i] ^= carry;
                let borrow = !lo[i] & dec;
                lo[i] ^= dec;
                hi[i] ^= borrow;
                if px {
                    self.xs[base + w] ^= m;
                }
                if pz {
                    self.zs[base + w] ^= m;
                }
            }
        }
        let sp = 0u64.wrapping_sub(self.signs[pw] >> (p % 64) & 1);
        for (i, &(w, m)) in targets.iter().enumerate() {
            if w >= half {
                // Stabilizers commute with row p, so the exponent is 0 or 2: lo is clear.
                debug_assert_eq!(lo[i] & m, 0, "stabilizers must commute");
                self.signs[w] ^= (sp ^ hi[i]) & m;
            }
        }
        let ip = p - 64 * half;
        if let Some(s) = &mut self.symbolic {
            let src = std::mem::take(&mut s.rows[ip]);
            if !src.is_empty() {
                for &(w, m) in targets.iter().filter(|t| t.0 >= half) {
                    for_each_bit(m, |b| xor_sorted(&mut s.rows[(w - half) * 64 + b], &src));
                }
            }
            s.rows[ip] = vars;
        }
        // Destabilizer ip := old row p; row p := Z_q.
        let dw = pw - half;
        for k in 0..self.n {
            let base = k * stride;
            for col in [&mut self.xs, &mut self.zs] {
                let v = col[base + pw] & bit;
                col[base + dw] = (col[base + dw] & !bit) | v;
                col[base + pw] &= !bit;
            }
        }
        self.zs[qcol + pw] |= bit;
        if value {
            self.signs[pw] |= bit;
        } else {
            self.signs[pw] &= !bit;
        }
    }

    /// Deterministic Z_q measurement (AG's case 2): Z_q = +-(product of the stabilizers whose
    /// destabilizers anticommute with Z_q). The product's sign is computed qubit by qubit: for
    /// Paulis P_i = i^{x_i z_i} X^{x_i} Z^{z_i} in row order, prod P_i = i^e X^X Z^Z with
    /// e = sum x_i z_i + 2 sum_{i<j} z_i x_j, and here X = 0 on every qubit.
    fn deterministic_z(&mut self, q: usize) -> SymbolicBit {
        let half = self.half;
        let stride = 2 * half;
        let qcol = q * stride;
        let sel: Vec<(usize, u64)> = (0..half)
            .filter_map(|w| {
                let m = self.xs[qcol + w];
                (m != 0).then_some((w, m))
            })
            .collect();
        let mut e: u64 = 0;
        for k in 0..self.n {
            let base = k * stride + half;
            let mut zpar = 0u64;
            let mut pairs = 0u32;
            for &(w, m) in &sel {
                let x = self.xs[base + w] & m;
                let z = self.zs[base + w] & m;
                if x | z == 0 {
                    continue;
                }
                e += (x & z).count_ones() as u64;
                pairs ^= (x & (exclusive_prefix_parity(z) ^ zpar)).count_ones() & 1;
                if z.count_ones() & 1 == 1 {
                    zpar = !zpar;
                }
            }
            e += 2 * pairs as u64;
        }
        debug_assert_eq!(e % 2, 0, "product of commuting stabilizers is Hermitian");
        let mut value = e >> 1 & 1 == 1;
        for &(w, m) in &sel {
            value ^= (self.signs[half + w] & m).count_ones() & 1 == 1;
        }
        let mut vars = Vec::new();
        if let Some(s) = &self.symbolic {
            for &(w, m) in &sel {
                for_each_bit(m, |b| xor_sorted(&mut vars, &s.rows[w * 64 + b]));
            }
        }
        SymbolicBit { value, vars }
    }

    fn push_record(&mut self, r: SymbolicBit) {
        self.record.push(r.value);
        if let Some(s) = &mut self.symbolic {
            s.recent.push_back(r.vars);
            if s.recent.len() > s.window {
                s.recent.pop_front();
            }
        }
    }

    /// Executes one instruction: unitaries (including feedback `CX rec[-k] q` and Pauli-product
    /// rotations `SPP`), measurements (recorded; `!q` flips the result; `MPP` products too),
    /// resets. Noise, measurement flip probabilities and
    /// annotations (DETECTOR, OBSERVABLE_INCLUDE, coordinates, TICK) are ignored. Qubit indices
    /// must be below [`num_qubits`](Self::num_qubits).
    pub fn execute(&mut self, ins: &Instruction) -> Result<(), SimError> {
        match ins.gate.kind() {
            GateKind::Clifford1 => {
                let g = sliced(ins.gate).expect("Clifford1 gates have actions");
                for t in &ins.targets {
                    if let Some(q) = t.qubit_index() {
                        self.apply_sliced(g, q as usize, None);
                    }
                }
            }
            GateKind::Clifford2 => {
                let g = sliced(ins.gate).expect("Clifford2 gates have actions");
                let action = ins
                    .gate
                    .clifford_action()
                    .expect("Clifford2 gates have actions");
                for pair in ins.targets.chunks_exact(2) {
                    match (pair[0], pair[1]) {
                        (Target::Rec(k), t) | (t, Target::Rec(k)) if t.qubit_index().is_some() => {
                            let rec_slot = usize::from(matches!(pair[1], Target::Rec(_)));
                            let (x, z) = feedback_pauli(action, rec_slot);
                            let q = t.qubit_index().expect("checked");
                            let (value, vars) = self.lookback(k);
                            let vars = vars.to_vec();
                            self.apply_pauli_if(q, x, z, (value, &vars));
                        }
                        (a, b) => {
                            if let (Some(a), Some(b)) = (a.qubit_index(), b.qubit_index()) {
                                self.apply_sliced(g, a as usize, Some(b as usize));
                            }
                            // Two record targets: purely classical, no effect on the state.
                        }
                    }
                }
            }
            GateKind::PauliProductMeasure => {
                for p in ins.pauli_products() {
                    let mut r = self.measure_product(&p.factors);
                    r.value ^= p.inverted;
                    self.push_record(r);
                }
            }
            GateKind::PauliProductRotation { dagger } => {
                for p in ins.pauli_products() {
                    self.rotate_product(&p.factors, dagger ^ p.inverted);
                }
            }
            GateKind::NonClifford1 | GateKind::NonClifford2 | GateKind::MagicReset => {
                return Err(SimError::NonClifford {
                    gate: ins.gate.name(),
                    line: ins.line,
                })
            }
            GateKind::Reset(basis) => {
                for t in &ins.targets {
                    if let Some(q) = t.qubit_index() {
                        self.reset(q, basis);
                    }
                }
            }
            GateKind::Measure(basis) | GateKind::MeasureReset(basis) => {
                let reset = matches!(ins.gate.kind(), GateKind::MeasureReset(_));
                for t in &ins.targets {
                    if let Target::Qubit { index, inverted } = *t {
                        let mut r = if reset {
                            self.measure_reset(index, basis)
                        } else {
                            self.measure(index, basis)
                        };
                        r.value ^= inverted;
                        self.push_record(r);
                    }
                }
            }
            // MPAD records its bit; a noiseless heralded channel records 0 (never fired).
            GateKind::MeasurePad | GateKind::HeraldedNoise => {
                let pad = ins.gate.kind() == GateKind::MeasurePad;
                for t in &ins.targets {
                    let bit = pad && t.qubit_index() == Some(1);
                    self.push_record(SymbolicBit::constant(bit));
                }
            }
            GateKind::Noise1
            | GateKind::Noise2
            | GateKind::IdentityNoise
            | GateKind::Correlated { .. }
            | GateKind::Detector
            | GateKind::ObservableInclude
            | GateKind::QubitCoords
            | GateKind::ShiftCoords
            | GateKind::Tick => {}
        }
        Ok(())
    }

    /// Executes every instruction of `circuit` in order, loops unrolled on the fly.
    pub fn run(&mut self, circuit: &Circuit) -> Result<(), SimError> {
        circuit.for_each_flat(&mut |ins| self.execute(ins))
    }
}

/// Bit j of the result is the XOR of bits 0..j (exclusive) of `v`.
fn exclusive_prefix_parity(v: u64) -> u64 {
    let mut e = v << 1;
    e ^= e << 1;
    e ^= e << 2;
    e ^= e << 4;
    e ^= e << 8;
    e ^= e << 16;
    e ^= e << 32;
    e
}

fn for_each_bit(mut word: u64, mut f: impl FnMut(usize)) {
    while word != 0 {
        f(word.trailing_zeros() as usize);
        word &= word - 1;
    }
}

/// `dst ^= src` for sets stored as sorted vectors.
fn xor_sorted(dst: &mut Vec<u64>, src: &[u64]) {
    if src.is_empty() {
        return;
    }
    if dst.is_empty() {
        dst.extend_from_slice(src);
        return;
    }
    let mut out = Vec::with_capacity(dst.len() + src.len());
    crate::bits::xor_sorted_into(dst, src, &mut out);
    *dst = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(n: usize) -> TableauSimulator {
        TableauSimulator::new(n, Outcomes::Zero)
            .unwrap()
            .with_symbolic_signs(usize::MAX)
    }

    #[test]
    fn prefix_parity() {
        assert_eq!(exclusive_prefix_parity(0b1), !0 << 1);
        assert_eq!(exclusive_prefix_parity(0b101), 0b0110);
        assert_eq!(exclusive_prefix_parity(1 << 63), 0);
    }

    #[test]
    fn sorted_xor() {
        let mut a = vec![1, 3, 5];
        xor_sorted(&mut a, &[2, 3, 6]);
        assert_eq!(a, vec![1, 2, 5, 6]);
        xor_sorted(&mut a, &[1, 2, 5, 6]);
        assert!(a.is_empty());
    }

    #[test]
    fn anf_of_cx_is_linear_plus_quadratic_sign() {
        let g = sliced(GateId::named("CX")).unwrap();
        // x1' = x0 ^ x1 (inputs: x0=bit0, x1=bit1, z0=bit2, z1=bit3).
        assert_eq!(g.terms[1], vec![0b0001, 0b0010]);
        // z0' = z0 ^ z1.
        assert_eq!(g.terms[2], vec![0b0100, 0b1000]);
        // Sign flip for CX: x0 z1 (x1 ^ z0 ^ 1).
        let mut flips: Vec<u8> = g.terms[4].clone();
        flips.sort();
        assert_eq!(flips, vec![0b1001, 0b1011, 0b1101]);
    }

    #[test]
    fn deterministic_and_random_z() {
        let mut s = sim(2);
        assert_eq!(s.measure(0, Basis::Z), SymbolicBit::constant(false));
        s.apply_gate(GateId::named("X"), &[1]);
        assert_eq!(s.measure(1, Basis::Z), SymbolicBit::constant(true));
        let r = s.measure(0, Basis::X);
        assert_eq!(r.vars, vec![0]);
        // Repeating the measurement returns the same expression.
        assert_eq!(s.measure(0, Basis::X), r);
        assert_eq!(s.num_random_variables(), 1);
    }

    #[test]
    fn bitvec_basics() {
        let mut v = BitVec::zeros(70);
        v.set(65, true);
        v.push(true);
        assert_eq!(v.len(), 71);
        assert!(v.get(65) && v.get(70) && !v.get(0));
        assert_eq!(v.count_ones(), 2);
        let w: BitVec = v.iter().collect();
        assert_eq!(w, v);
    }
}
