//! State-vector simulator: complex amplitudes of every basis state, so it runs any gate,
//! including the non-Clifford ones (CH, T, rotations) and Pauli-product measurements and
//! rotations (MPP, SPP), at a cost of 2^n amplitudes per gate.
//! It is the `exact` reference for magic-state circuits at small size (d = 3).
//!
//! Amplitude index bit q is qubit q. Gate matrices come from the gate table: Clifford matrices are
//! reconstructed from their Pauli images (`U ∝ Σ_P (U P U†) M P` for any Pauli M with
//! Tr(U† M) ≠ 0, since Σ_P P A P = 2^k Tr(A) I on k qubits), non-Clifford ones are stored there.
//! Noise channels are sampled per target, so a run is one noisy trajectory.

use crate::circuit::{Circuit, Instruction, Target};
use crate::error::SimError;
use crate::frame::noise::{uniform_open0, PauliChannel};
use crate::gates::{ArgRule, Basis, GateId, GateKind};
use crate::tableau::feedback_pauli;
use num_complex::Complex64 as C;
use rand_core::RngCore;

/// Most qubits a state vector may have (2^30 amplitudes = 16 GiB).
pub const MAX_STATEVEC_QUBITS: usize = 30;

const ZERO: C = C::new(0.0, 0.0);
const ONE: C = C::new(1.0, 0.0);

/// A square matrix on 1 or 2 qubits, row-major, index = b0 + 2 b1.
pub type Matrix = Vec<C>;

/// The single-qubit Pauli with bits (x, z) (Y when both), as a 2x2 matrix.
fn pauli1(x: bool, z: bool) -> [C; 4] {
    let i = C::new(0.0, 1.0);
    match (x, z) {
        (false, false) => [ONE, ZERO, ZERO, ONE],
        (true, false) => [ZERO, ONE, ONE, ZERO],
        (false, true) => [ONE, ZERO, ZERO, -ONE],
        (true, true) => [ZERO, -i, i, ZERO],
    }
}

/// The k-qubit Pauli with bit masks (x, z) (qubit q = bit q), as a 2^k x 2^k matrix.
fn pauli_matrix(k: usize, x: u8, z: u8) -> Matrix {
    let dim = 1 << k;
    let mut m = vec![ONE; dim * dim];
    for q in 0..k {
        let p = pauli1(x >> q & 1 == 1, z >> q & 1 == 1);
        for r in 0..dim {
            for c in 0..dim {
                m[r * dim + c] *= p[(r >> q & 1) * 2 + (c >> q & 1)];
            }
        }
    }
    m
}

fn mat_mul(a: &[C], b: &[C], dim: usize) -> Matrix {
    let mut out = vec![ZERO; dim * dim];
    for r in 0..dim {
        for k in 0..dim {
            let v = a[r * dim + k];
            if v != ZERO {
                for c in 0..dim {
                    out[r * dim + c] += v * b[k * dim + c];
                }
            }
        }
    }
    out
}

/// The unitary of a gate without arguments (up to global phase for Cliffords), or None for
/// non-unitaries and for gates that need angles (see [`gate_matrix_with`]).
pub fn gate_matrix(gate: GateId) -> Option<Matrix> {
    gate_matrix_with(gate, &[])
}

/// The unitary of a gate applied with `args` (the angles of `R_X(0.25)`; ignored by gates
/// without angles), or None for non-unitaries and a wrong number of angles.
pub fn gate_matrix_with(gate: GateId, args: &[f64]) -> Option<Matrix> {
    if let Some(unitary) = gate.def().unitary {
        if let ArgRule::Angles { count } = gate.def().args {
            if args.len() != count {
                return None;
            }
        }
        return Some(
            unitary(args)
                .into_iter()
                .map(|(re, im)| C::new(re, im))
                .collect(),
        );
    }
    let action = gate.clifford_action()?;
    let k = action.num_qubits;
    let dim = 1 << k;
    let paulis = 1u8 << (2 * k);
    let mask = (1u8 << k) - 1;
    for probe in 0..paulis {
        let m = pauli_matrix(k, probe & mask, probe >> k);
        let mut sum = vec![ZERO; dim * dim];
        for bits in 0..paulis {
            let (ix, iz, negative) = action.images[bits as usize];
            let image = pauli_matrix(k, ix, iz);
            let p = pauli_matrix(k, bits & mask, bits >> k);
            let term = mat_mul(&mat_mul(&image, &m, dim), &p, dim);
            let sign = if negative { -1.0 } else { 1.0 };
            for (s, t) in sum.iter_mut().zip(term) {
                *s += t * sign;
            }
        }
        // sum = 2^k Tr(U† M) U; normalise by the norm of its first column.
        let norm: f64 = (0..dim)
            .map(|r| sum[r * dim].norm_sqr())
            .sum::<f64>()
            .sqrt();
        if norm > 1e-9 {
            let phase = sum
                .iter()
                .find(|v| v.norm() > 1e-9)
                .map_or(ONE, |v| v / v.norm());
            return Some(sum.iter().map(|v| v / (norm * phase)).collect());
        }
    }
    unreachable!("some Pauli has a non-zero overlap with any unitary")
}

/// The state of `n` qubits as 2^n complex amplitudes.
#[derive(Clone, Debug)]
pub struct StateVector {
    n: usize,
    amps: Vec<C>,
    record: Vec<bool>,
    /// "Some error of the current correlated-error chain fired" (E / ELSE_CORRELATED_ERROR).
    chain_fired: bool,
}

impl StateVector {
    /// |0...0> on `n` qubits.
    pub fn new(n: usize) -> Result<StateVector, SimError> {
        if n > MAX_STATEVEC_QUBITS {
            return Err(SimError::TooManyQubits {
                qubits: n as u64,
                engine: "state-vector simulator",
                limit: MAX_STATEVEC_QUBITS as u64,
            });
        }
        let mut amps = vec![ZERO; 1 << n];
        amps[0] = ONE;
        Ok(StateVector {
            n,
            amps,
            record: Vec::new(),
            chain_fired: false,
        })
    }

    pub fn num_qubits(&self) -> usize {
        self.n
    }

    pub fn amplitudes(&self) -> &[C] {
        &self.amps
    }

    /// Measurement results so far, in order (inverted targets already applied).
    pub fn record(&self) -> &[bool] {
        &self.record
    }

    /// <self|other>.
    pub fn inner(&self, other: &StateVector) -> C {
        self.amps
            .iter()
            .zip(&other.amps)
            .map(|(a, b)| a.conj() * b)
            .sum()
    }

    /// Applies a 2x2 matrix to qubit q.
    pub fn apply1(&mut self, m: &[C], q: usize) {
        let bit = 1 << q;
        for base in (0..self.amps.len()).filter(|i| i & bit == 0) {
            let (a0, a1) = (self.amps[base], self.amps[base | bit]);
            self.amps[base] = m[0] * a0 + m[1] * a1;
            self.amps[base | bit] = m[2] * a0 + m[3] * a1;
        }
    }

    /// Applies a 4x4 matrix to qubits (a, b), with a as the low bit of the matrix index.
    pub fn apply2(&mut self, m: &[C], a: usize, b: usize) {
        let (ba, bb) = (1 << a, 1 << b);
        for base in (0..self.amps.len()).filter(|i| i & (ba | bb) == 0) {
            let idx = [base, base | ba, base | bb, base | ba | bb];
            let v = idx.map(|i| self.amps[i]);
            for (r, &i) in idx.iter().enumerate() {
                self.amps[i] = (0..4).map(|c| m[r * 4 + c] * v[c]).sum();
            }
        }
    }

    /// Applies the Pauli X^x Z^z to qubit q (up to phase).
    pub fn apply_pauli(&mut self, q: usize, x: bool, z: bool) {
        if x || z {
            self.apply1(&pauli1(x, z), q);
        }
    }

    /// Probability that measuring qubit q in the Z basis gives 1.
    pub fn prob_one(&self, q: usize) -> f64 {
        let bit = 1 << q;
        self.amps
            .iter()
            .enumerate()
            .filter(|(i, _)| i & bit != 0)
            .map(|(_, a)| a.norm_sqr())
            .sum()
    }

    /// Projects qubit q onto Z = (-1)^outcome and renormalises.
    fn collapse(&mut self, q: usize, outcome: bool, prob: f64) {
        let bit = 1 << q;
        let scale = 1.0 / prob.sqrt();
        for (i, a) in self.amps.iter_mut().enumerate() {
            if (i & bit != 0) == outcome {
                *a *= scale;
            } else {
                *a = ZERO;
            }
        }
    }

    /// Projects qubit q onto the given outcome of a `basis` measurement and renormalises;
    /// returns that outcome's probability (the state is unchanged when it is 0). Tests use it
    /// to replay another engine's outcomes.
    pub fn project(&mut self, q: usize, basis: Basis, outcome: bool) -> f64 {
        let change = basis_change(basis);
        if let Some(m) = &change {
            self.apply1(m, q);
        }
        let p1 = self.prob_one(q).clamp(0.0, 1.0);
        let p = if outcome { p1 } else { 1.0 - p1 };
        if p > 0.0 {
            self.collapse(q, outcome, p);
        }
        if let Some(m) = &change {
            self.apply1(m, q);
        }
        p
    }

    /// Measures qubit q in `basis`, collapsing the state; returns the outcome.
    pub fn measure(&mut self, q: usize, basis: Basis, rng: &mut impl RngCore) -> bool {
        let change = basis_change(basis);
        if let Some(m) = &change {
            self.apply1(m, q);
        }
        let p1 = self.prob_one(q).clamp(0.0, 1.0);
        let outcome = uniform_open0(rng) <= p1;
        self.collapse(q, outcome, if outcome { p1 } else { 1.0 - p1 });
        if let Some(m) = &change {
            self.apply1(m, q);
        }
        outcome
    }

    /// P|self> for the Pauli product `factors` ((qubit, x, z), distinct qubits).
    fn product_applied(&self, factors: &[(u32, bool, bool)]) -> Vec<C> {
        let mut moved = self.clone();
        for &(q, x, z) in factors {
            moved.apply_pauli(q as usize, x, z);
        }
        moved.amps
    }

    /// Measures the Hermitian Pauli product P = `factors` projectively: outcome 1 (eigenvalue
    /// -1) with probability (1 - <P>)/2, then the state becomes (1 +- P)|psi> / norm.
    pub fn measure_product(
        &mut self,
        factors: &[(u32, bool, bool)],
        rng: &mut impl RngCore,
    ) -> bool {
        let moved = self.product_applied(factors);
        let expectation: f64 = self
            .amps
            .iter()
            .zip(&moved)
            .map(|(a, b)| (a.conj() * b).re)
            .sum();
        let p1 = ((1.0 - expectation) / 2.0).clamp(0.0, 1.0);
        let outcome = uniform_open0(rng) <= p1;
        let sign = if outcome { -1.0 } else { 1.0 };
        let scale = 0.5 / (if outcome { p1 } else { 1.0 - p1 }).sqrt();
        for (a, b) in self.amps.iter_mut().zip(moved) {
            *a = (*a + b * sign) * scale;
        }
        outcome
    }

    /// Applies exp(-i pi/4 P) = (1 - i P)/sqrt(2) for the Pauli product P = `factors`
    /// (`dagger`: exp(+i pi/4 P)), Stim's SPP (SPP_DAG) up to global phase.
    pub fn rotate_product(&mut self, factors: &[(u32, bool, bool)], dagger: bool) {
        let moved = self.product_applied(factors);
        let coeff = C::new(0.0, if dagger { 1.0 } else { -1.0 });
        let r = std::f64::consts::FRAC_1_SQRT_2;
        for (a, b) in self.amps.iter_mut().zip(moved) {
            *a = (*a + coeff * b) * r;
        }
    }

    /// Resets qubit q to the +1 eigenstate of `basis`.
    pub fn reset(&mut self, q: usize, basis: Basis, rng: &mut impl RngCore) {
        if self.measure(q, Basis::Z, rng) {
            self.apply_pauli(q, true, false);
        }
        if let Some(m) = basis_change(basis) {
            self.apply1(&m, q);
        }
    }

    /// Runs every instruction of a circuit (loops included) as one noisy trajectory.
    pub fn run(&mut self, circuit: &Circuit, rng: &mut impl RngCore) -> Result<(), SimError> {
        circuit.for_each_flat(&mut |ins| self.execute(ins, rng))
    }

    /// Executes one instruction; noise channels are sampled, annotations ignored.
    pub fn execute(&mut self, ins: &Instruction, rng: &mut impl RngCore) -> Result<(), SimError> {
        let qubit = |t: &Target| t.qubit_index().map(|q| q as usize);
        if let Some(q) = ins.targets.iter().filter_map(qubit).find(|&q| q >= self.n) {
            return Err(SimError::TooManyQubits {
                qubits: q as u64 + 1,
                engine: "state vector of this size",
                limit: self.n as u64,
            });
        }
        match ins.gate.kind() {
            GateKind::Clifford1 => {
                let m = gate_matrix(ins.gate).expect("unitary");
                for q in ins.targets.iter().filter_map(qubit) {
                    self.apply1(&m, q);
                }
            }
            GateKind::Clifford2 | GateKind::NonClifford2 => {
                let m = gate_matrix(ins.gate).expect("unitary");
                for pair in ins.targets.chunks(2) {
                    match (pair[0], pair[1]) {
                        // Sweep bits are all 0: nothing happens.
                        (Target::Sweep(_), _) | (_, Target::Sweep(_)) => {}
                        (Target::Rec(k), t) | (t, Target::Rec(k)) => {
                            let slot = usize::from(matches!(pair[1], Target::Rec(_)));
                            let action = ins.gate.clifford_action().expect("feedback is Clifford");
                            let (x, z) = feedback_pauli(action, slot);
                            if self.record[self.record.len() - k as usize] {
                                self.apply_pauli(qubit(&t).expect("qubit"), x, z);
                            }
                        }
                        (a, b) => self.apply2(&m, qubit(&a).expect("q"), qubit(&b).expect("q")),
                    }
                }
            }
            GateKind::NonClifford1 => {
                let m = gate_matrix_with(ins.gate, &ins.args).expect("parser checked the angles");
                for q in ins.targets.iter().filter_map(qubit) {
                    self.apply1(&m, q);
                }
            }
            GateKind::PauliProductMeasure => {
                let flip = ins.args.first().copied().unwrap_or(0.0);
                for product in ins.pauli_products() {
                    let mut outcome = self.measure_product(&product.factors, rng);
                    if flip > 0.0 && uniform_open0(rng) <= flip {
                        outcome = !outcome;
                    }
                    self.record.push(outcome ^ product.inverted);
                }
            }
            GateKind::PauliProductRotation { dagger } => {
                for product in ins.pauli_products() {
                    self.rotate_product(&product.factors, dagger ^ product.inverted);
                }
            }
            GateKind::Reset(basis) => {
                for q in ins.targets.iter().filter_map(qubit) {
                    self.reset(q, basis, rng);
                }
            }
            GateKind::MagicReset => {
                let m = gate_matrix(ins.gate).expect("RH has a matrix");
                for q in ins.targets.iter().filter_map(qubit) {
                    self.reset(q, Basis::Z, rng);
                    self.apply1(&m, q);
                }
            }
            GateKind::Measure(basis) | GateKind::MeasureReset(basis) => {
                let flip = ins.args.first().copied().unwrap_or(0.0);
                for t in &ins.targets {
                    let q = qubit(t).expect("qubit");
                    let mut outcome = self.measure(q, basis, rng);
                    if matches!(ins.gate.kind(), GateKind::MeasureReset(_)) {
                        self.reset(q, basis, rng);
                    }
                    if flip > 0.0 && uniform_open0(rng) <= flip {
                        outcome = !outcome;
                    }
                    let inverted = matches!(t, Target::Qubit { inverted: true, .. });
                    self.record.push(outcome ^ inverted);
                }
            }
            GateKind::Noise1 | GateKind::Noise2 => {
                let two = ins.gate.kind() == GateKind::Noise2;
                let channel = PauliChannel::for_gate(ins.gate, &ins.args, two);
                let qs: Vec<usize> = ins.targets.iter().filter_map(qubit).collect();
                for group in qs.chunks(if two { 2 } else { 1 }) {
                    if uniform_open0(rng) <= channel.trial.p {
                        let bits = channel.pick(rng);
                        for (j, &q) in group.iter().enumerate() {
                            self.apply_pauli(
                                q,
                                bits >> (2 * j) & 1 == 1,
                                bits >> (2 * j + 1) & 1 == 1,
                            );
                        }
                    }
                }
            }
            GateKind::MeasurePad => {
                let flip = ins.args.first().copied().unwrap_or(0.0);
                for t in &ins.targets {
                    let noisy = flip > 0.0 && uniform_open0(rng) <= flip;
                    self.record.push((t.qubit_index() == Some(1)) ^ noisy);
                }
            }
            GateKind::HeraldedNoise => {
                let channel = PauliChannel::for_gate(ins.gate, &ins.args, false);
                for q in ins.targets.iter().filter_map(qubit) {
                    let fired = uniform_open0(rng) <= channel.trial.p;
                    if fired {
                        let bits = channel.pick(rng);
                        self.apply_pauli(q, bits & 1 == 1, bits & 2 == 2);
                    }
                    self.record.push(fired);
                }
            }
            GateKind::IdentityNoise => {}
            GateKind::Correlated { else_branch } => {
                if !else_branch {
                    self.chain_fired = false;
                }
                if !self.chain_fired && uniform_open0(rng) <= ins.args[0] {
                    self.chain_fired = true;
                    for t in &ins.targets {
                        if let Target::Pauli { pauli, index, .. } = *t {
                            self.apply_pauli(index as usize, pauli != 'Z', pauli != 'X');
                        }
                    }
                }
            }
            GateKind::Detector
            | GateKind::ObservableInclude
            | GateKind::QubitCoords
            | GateKind::ShiftCoords
            | GateKind::Tick => {}
        }
        Ok(())
    }
}

/// The self-inverse single-qubit Clifford taking `basis` to Z (None for Z).
fn basis_change(basis: Basis) -> Option<Matrix> {
    match basis {
        Basis::Z => None,
        Basis::X => gate_matrix(GateId::named("H")),
        Basis::Y => gate_matrix(GateId::named("H_YZ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gates::GATES;

    fn close(a: &[C], b: &[C]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).norm() < 1e-12)
    }

    #[test]
    fn derived_matrices_conjugate_paulis_as_the_table_says() {
        for (i, g) in GATES.iter().enumerate() {
            let gate = GateId(i as u8);
            let Some(action) = gate.clifford_action() else {
                continue;
            };
            let u = gate_matrix(gate).unwrap();
            let k = action.num_qubits;
            let dim = 1 << k;
            let u_dag: Matrix = (0..dim * dim)
                .map(|idx| u[(idx % dim) * dim + idx / dim].conj())
                .collect();
            assert!(
                close(&mat_mul(&u, &u_dag, dim), &pauli_matrix(k, 0, 0)),
                "{} not unitary",
                g.name
            );
            let mask = (1u8 << k) - 1;
            for bits in 0..1u8 << (2 * k) {
                let (ix, iz, negative) = action.images[bits as usize];
                let lhs = mat_mul(
                    &mat_mul(&u, &pauli_matrix(k, bits & mask, bits >> k), dim),
                    &u_dag,
                    dim,
                );
                let sign = if negative { -1.0 } else { 1.0 };
                let rhs: Matrix = pauli_matrix(k, ix, iz).iter().map(|v| v * sign).collect();
                assert!(close(&lhs, &rhs), "{}: Pauli {bits:04b}", g.name);
            }
        }
    }

    #[test]
    fn hadamard_and_s_have_their_textbook_matrices() {
        let r = std::f64::consts::FRAC_1_SQRT_2;
        let h = gate_matrix(GateId::named("H")).unwrap();
        assert!(close(
            &h,
            &[
                C::new(r, 0.0),
                C::new(r, 0.0),
                C::new(r, 0.0),
                C::new(-r, 0.0)
            ]
        ));
        let s = gate_matrix(GateId::named("S")).unwrap();
        assert!(close(&s, &[ONE, ZERO, ZERO, C::new(0.0, 1.0)]));
    }
}
