//! The density-matrix calculation behind Litinski's cost model (Quantum 3, 205 (2019)): a
//! handful of logical qubits start in |+>, undergo Z-type π/8 Pauli-product
//! rotations that may be over- or under-rotated, and suffer single-qubit Pauli storage errors;
//! at the end the check qubits are measured in the X basis and the run is kept only if all read +.
//!
//! Every operation is diagonal in the Z basis or a bit flip, so each costs O(4^n) on the
//! 2^n x 2^n matrix (n ≤ 7 here). To keep the tiny output errors (1e-8 down to 1e-25) free of
//! cancellation, the state is split as ρ = w |ψ><ψ| + Δ: `ψ` is the ideal (error-free) trajectory
//! with weight `w`, and `Δ` (positive, trace 1 - w) collects every branch with at least one fault.
//! The ideal output passes post-selection with certainty and has fidelity 1, so both the failure
//! probability and the infidelity are read off `Δ` alone, never as 1 minus a number close to 1.
//! The amplitude type is generic ([`Amp`]): f64 complex numbers, or double-double ones when the
//! remaining round-off (~1e-22 absolute) matters.

use super::ddouble::Amp;
use num_complex::Complex64 as C;
use std::f64::consts::PI;

/// The angles a faulty π/8 rotation may apply instead (Litinski's faulty-rotation channel, App.
/// A): π/8 + π/2 (a Pauli error), π/8 - π/4 and π/8 + π/4 (Clifford errors).
const FAULT_ANGLES: [f64; 3] = [5.0 * PI / 8.0, -PI / 8.0, 3.0 * PI / 8.0];

/// ρ = w |ψ><ψ| + Δ on `n` qubits; basis index bit q is qubit q (Z eigenvalue (-1)^bit).
/// Amplitudes are `A`: [`C`] normally, double-double when that cannot resolve the result.
#[derive(Clone, Debug)]
pub struct NoisyState<A> {
    ideal: Vec<A>,
    weight: f64,
    faulty: Vec<A>,
}

impl<A: Amp> NoisyState<A> {
    /// |+>^n, with no faults yet.
    pub fn plus(n: usize) -> Self {
        let dim = 1usize << n;
        let amp = A::from_c64(C::new(1.0 / (dim as f64).sqrt(), 0.0));
        NoisyState {
            ideal: vec![amp; dim],
            weight: 1.0,
            faulty: vec![A::from_c64(C::new(0.0, 0.0)); dim * dim],
        }
    }

    fn dim(&self) -> usize {
        self.ideal.len()
    }

    /// Multiplies the state vector by the global phase exp(iφ): no physical change, but every
    /// later rounding differs, which exposes round-off.
    pub fn rephase(&mut self, phi: f64) {
        let g = A::from_c64(C::from_polar(1.0, phi));
        for a in &mut self.ideal {
            *a = *a * g;
        }
    }

    /// The error-free trajectory's state vector.
    pub fn ideal(&self) -> &[A] {
        &self.ideal
    }

    /// Eigenvalue (±1) of the Pauli product ±Z^mask on basis state `j`.
    fn eigen(mask: u32, negative: bool, j: usize) -> f64 {
        let odd = (j as u32 & mask).count_ones() % 2 == 1;
        if odd != negative {
            -1.0
        } else {
            1.0
        }
    }

    /// Applies exp(iπ/8 P), P = ±Z^mask, which with probabilities `faults[k]` applies
    /// `exp(i FAULT_ANGLES[k] P)` instead.
    pub fn rotate(&mut self, mask: u32, negative: bool, faults: [f64; 3]) {
        let ok = 1.0 - faults.iter().sum::<f64>();
        // Conjugating by exp(iθP) multiplies entry (j, k) by h_j conj(h_k), h = exp(iθ s), s = ±1.
        // Tabulate the channel's factor for s_j - s_k = -2, 0, 2 (index (s_j - s_k)/2 + 1) as
        // products of the same h the ideal amplitudes get, so that the error-free part of the
        // channel is exactly the congruence applied to ψ (no spurious cancellation error).
        let factors = |theta: f64| {
            let h = A::from_c64(C::from_polar(1.0, theta));
            [h.conj() * h.conj(), h * h.conj(), h * h]
        };
        let zero = A::from_c64(C::new(0.0, 0.0));
        let mut keep = factors(PI / 8.0).map(|f| f.scale(ok));
        let mut fresh = [zero; 3];
        for (theta, p) in FAULT_ANGLES.iter().zip(faults) {
            for (slot, f) in factors(*theta).into_iter().enumerate() {
                keep[slot] = keep[slot] + f.scale(p);
                fresh[slot] = fresh[slot] + f.scale(p * self.weight);
            }
        }
        let dim = self.dim();
        let s: Vec<f64> = (0..dim).map(|j| Self::eigen(mask, negative, j)).collect();
        for j in 0..dim {
            for k in 0..dim {
                let slot = ((s[j] - s[k]) / 2.0 + 1.0) as usize;
                let outer = self.ideal[j] * self.ideal[k].conj();
                let e = &mut self.faulty[j * dim + k];
                *e = *e * keep[slot] + outer * fresh[slot];
            }
        }
        let h = A::from_c64(C::from_polar(1.0, PI / 8.0));
        for (a, sj) in self.ideal.iter_mut().zip(&s) {
            *a = *a * if *sj > 0.0 { h } else { h.conj() };
        }
        self.weight *= ok;
    }

    /// With probability `p`, a Z error on qubit `q`.
    pub fn phase_flip(&mut self, q: usize, p: f64) {
        if p == 0.0 {
            return;
        }
        let dim = self.dim();
        let sign = |j: usize| if j >> q & 1 == 1 { -1.0 } else { 1.0 };
        for j in 0..dim {
            for k in 0..dim {
                let flipped = sign(j) * sign(k);
                let outer = self.ideal[j] * self.ideal[k].conj();
                let e = &mut self.faulty[j * dim + k];
                *e = e.scale(1.0 - p + p * flipped) + outer.scale(p * self.weight * flipped);
            }
        }
        self.weight *= 1.0 - p;
    }

    /// With probability `p`, an X error on qubit `q`.
    pub fn bit_flip(&mut self, q: usize, p: f64) {
        if p == 0.0 {
            return;
        }
        let dim = self.dim();
        let m = 1usize << q;
        for j in (0..dim).filter(|j| j & m == 0) {
            for k in 0..dim {
                let (a, b) = (j * dim + k, (j ^ m) * dim + (k ^ m));
                let (ea, eb) = (self.faulty[a], self.faulty[b]);
                // X|ψ><ψ|X has entry (j, k) = ψ_{j^m} ψ*_{k^m}.
                let pw = p * self.weight;
                let fresh_a = (self.ideal[j ^ m] * self.ideal[k ^ m].conj()).scale(pw);
                let fresh_b = (self.ideal[j] * self.ideal[k].conj()).scale(pw);
                self.faulty[a] = ea.scale(1.0 - p) + eb.scale(p) + fresh_a;
                self.faulty[b] = eb.scale(1.0 - p) + ea.scale(p) + fresh_b;
            }
        }
        self.weight *= 1.0 - p;
    }

    /// Post-selects the qubits in `checks` on X = +1 and returns (failure probability,
    /// infidelity of the kept state with the ideal output).
    pub fn outcome(&self, checks: u32) -> (f64, f64) {
        let dim = self.dim();
        let free = !(checks as usize) & (dim - 1);
        let scale = 0.5f64.powi(checks.count_ones() as i32);
        // Π = ⊗_checks |+><+|: entry (k, j) = 2^-c when j, k agree off the checks, else 0.
        let zero = A::from_c64(C::new(0.0, 0.0));
        let (mut trace, mut agree, mut ideal_overlap) = (zero, zero, zero);
        for j in 0..dim {
            for k in 0..dim {
                let e = self.faulty[j * dim + k];
                if j == k {
                    trace = trace + e;
                }
                if j & free == k & free {
                    agree = agree + e;
                }
                ideal_overlap = ideal_overlap + self.ideal[j].conj() * e * self.ideal[k];
            }
        }
        // |ψ|^2 drifts from 1 by round-off of the phases; normalising here keeps Π - |ψ><ψ|/|ψ|^2
        // an exact projector, so the harmless part of Δ cancels to the working precision.
        let norm = self.ideal.iter().fold(zero, |acc, a| acc + a.conj() * *a);
        let kept = agree.scale(scale);
        let fail = (trace - kept).real();
        let lost = (kept * norm - ideal_overlap).real() / norm.real();
        let infidelity = lost / (self.weight * norm.real() + kept.real());
        (fail, infidelity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full density matrix w|ψ><ψ| + Δ, for checks against the plain formulas.
    fn full(s: &NoisyState<C>) -> Vec<C> {
        let dim = s.dim();
        let mut rho = s.faulty.clone();
        for j in 0..dim {
            for k in 0..dim {
                rho[j * dim + k] += s.ideal[j] * s.ideal[k].conj() * s.weight;
            }
        }
        rho
    }

    #[test]
    fn trace_stays_one_and_faults_reach_the_output() {
        let mut s = NoisyState::<C>::plus(2);
        s.rotate(0b11, false, [0.01, 0.02, 0.03]);
        s.bit_flip(0, 0.05);
        s.phase_flip(1, 0.07);
        s.rotate(0b01, true, [0.0, 0.1, 0.0]);
        let rho = full(&s);
        let tr: f64 = (0..4).map(|j| rho[j * 4 + j].re).sum();
        assert!((tr - 1.0).abs() < 1e-14);
        let (fail, infid) = s.outcome(0b10);
        assert!(fail > 0.0 && fail < 1.0 && infid > 0.0 && infid < 1.0);
    }

    #[test]
    fn single_rotation_pauli_fault_is_a_z_error() {
        // exp(iπ/8 Z)|+> with a Z error of probability p: the infidelity is p exactly.
        let mut s = NoisyState::<C>::plus(1);
        s.rotate(1, false, [0.125, 0.0, 0.0]);
        let (fail, infid) = s.outcome(0);
        assert!(fail.abs() < 1e-15);
        assert!((infid - 0.125).abs() < 1e-14);
        // A bit flip after the rotation turns it into exp(-iπ/8 Z): fidelity cos^2(π/4).
        let mut s = NoisyState::<C>::plus(1);
        s.rotate(1, false, [0.0; 3]);
        s.bit_flip(0, 1.0);
        let (_, infid) = s.outcome(0);
        assert!((infid - 0.5).abs() < 1e-14, "{infid}");
    }

    #[test]
    fn a_flagged_error_is_discarded() {
        // Z on a check qubit in |+> flips its X outcome: always rejected.
        let mut s = NoisyState::<C>::plus(2);
        s.phase_flip(1, 0.3);
        let (fail, infid) = s.outcome(0b10);
        assert!((fail - 0.3).abs() < 1e-15);
        assert!(infid.abs() < 1e-15);
    }
}
