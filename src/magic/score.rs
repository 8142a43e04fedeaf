//! Scoring an exact |H> preparation shot: the logical state itself, not a sampled proxy.
//!
//! After the noiseless syndrome tail, ideal decoding picks a Pauli correction C from the
//! syndromes ([`PrepDecoder`]). The corrected logical state rho has fidelity with |H>_L
//! F = (1 + <H_L>) / 2 with H_L = (X_L + Z_L) / sqrt 2 (|H> is its +1 eigenstate), and
//! <C X_L C> = +-<X_L>, <C Z_L C> = +-<Z_L> by whether C anticommutes with each. The engine gives
//! <X_L> and <Z_L> of the shot's final state exactly. The shot then reports one observable: a
//! noiseless measurement of H_L, which reads -1 (a logical error) with probability 1 - F, so
//! errors per kept shot estimate the infidelity per accepted state.

use super::PrepDecoder;
use crate::decoder::{Decision, Decoder};
use crate::exact::{EndOfShot, ExactProgram, FinalObservable, Workspace};
use crate::frame::noise::uniform_open0;
use crate::gates::Basis;
use rand_core::RngCore;
use std::sync::OnceLock;

/// [`EndOfShot`] for the exact model of [`super::HadamardPrep`].
pub struct HadamardScore {
    pub decoder: PrepDecoder,
    /// Logical X and Z as products of single-qubit Paulis on the data.
    pub logical_x: Vec<(usize, Basis)>,
    pub logical_z: Vec<(usize, Basis)>,
    /// X_L and Z_L at the end of the circuit, computed on the first shot, with the
    /// [`ExactProgram::id`] of the program they belong to (another program computes its own
    /// every shot).
    pub images: OnceLock<(u64, [FinalObservable; 2])>,
}

impl HadamardScore {
    /// The logical X and Z as `program` sees them at the end of a shot: the observables whose
    /// expectations the fidelity is made of.
    pub fn scored(&self, program: &ExactProgram) -> [FinalObservable; 2] {
        [
            program.final_observable(&self.logical_x),
            program.final_observable(&self.logical_z),
        ]
    }

    /// Fidelity with |H>_L of the decoded logical state a completed shot left in `ws`
    /// (None when the decoder discards the shot).
    pub fn fidelity(&self, program: &ExactProgram, ws: &Workspace) -> Option<f64> {
        let mut words = vec![0u64; ws.detectors.len().div_ceil(64)];
        for (i, &d) in ws.detectors.iter().enumerate() {
            words[i / 64] |= u64::from(d) << (i % 64);
        }
        let Decision::Predict(flips) = self.decoder.decode(&words) else {
            return None;
        };
        // Bit 0: the correction anticommutes with X_L; bit 1: with Z_L.
        let sign = |bit: u64| if flips >> bit & 1 == 1 { -1.0 } else { 1.0 };
        let key = program.id();
        let prepare = || self.scored(program);
        let (owner, images) = self.images.get_or_init(|| (key, prepare()));
        let fresh;
        let [lx, lz] = if *owner == key {
            images
        } else {
            fresh = prepare();
            &fresh
        };
        let x = sign(0) * program.expectation_of(ws, lx);
        let z = sign(1) * program.expectation_of(ws, lz);
        Some((1.0 + (x + z) * std::f64::consts::FRAC_1_SQRT_2) / 2.0)
    }
}

impl EndOfShot for HadamardScore {
    fn count(&self) -> usize {
        1
    }

    fn observables(&self, program: &ExactProgram, ws: &Workspace, rng: &mut dyn RngCore) -> u64 {
        match self.fidelity(program, ws) {
            Some(f) => u64::from(uniform_open0(&mut &mut *rng) > f),
            None => 0,
        }
    }
}
