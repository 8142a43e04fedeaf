//! The exact engine: noisy Clifford + non-Clifford circuits (CH, RH and single-qubit Pauli
//! rotations) sampled without approximation, at a cost set by the number of *active* qubits
//! (non-stabilizer degrees of freedom alive at once), not by the qubit count.
//!
//! Pipeline (compile once, sample many): [`compile`] walks the circuit with a stabilizer
//! tableau and writes a list of per-shot operations; [`ExactProgram::run_shot`] executes them on
//! a Pauli frame plus a dense vector over the active qubits. The idea follows the "Clifford
//! frame plus active state" engines (Clifft's active width; the generalized-stabilizer
//! literature); the derivations are in docs/exact-engine.md.
//!
//! The dense state-vector simulator [`crate::statevec`] is the oracle this engine is tested
//! against.

mod batch;
mod beam;
mod branches;
mod compile;
pub mod linear;
mod packed;
pub mod pauli;
mod program;
mod schedule;
mod steps;
mod trajectory;

pub use batch::{BatchSpec, EndOfShot, FaultSource};
pub use branches::{coin_bounds, BranchSum, CoinBounds, FaultRows, FrameVerdict, COIN_SEED};
pub use compile::{Order, DEFAULT_MAX_ACTIVE};
pub use linear::{frame_linear, FrameLinear};
pub use packed::{PACKED_MAX_ACTIVE, PACKED_TOTAL_BYTES};
pub use program::{ExactProgram, FinalObservable, Injection, NoiseMode, ShotEnd, Workspace};
pub use trajectory::{TRAJECTORY_BUDGET, TRAJECTORY_TOTAL};

use crate::circuit::Circuit;
use crate::error::SimError;

/// Noiseless shots used to find (and check) the detectors' and observables' reference values.
const REFERENCE_TRIALS: usize = 64;

impl ExactProgram {
    /// Compiles `circuit` with at most [`DEFAULT_MAX_ACTIVE`] active qubits.
    pub fn compile(circuit: &Circuit) -> Result<ExactProgram, SimError> {
        Self::compile_with_limit(circuit, DEFAULT_MAX_ACTIVE)
    }

    /// Compiles with at most `max_active` active qubits (refused before sampling, naming the
    /// instruction, when the circuit needs more). Detectors and observables whose noiseless
    /// value varies between a few noiseless shots are refused, naming them.
    pub fn compile_with_limit(
        circuit: &Circuit,
        max_active: usize,
    ) -> Result<ExactProgram, SimError> {
        Self::compile_with(circuit, max_active, Order::default())
    }

    /// Compiles with an active-qubit limit and an instruction order.
    pub fn compile_with(
        circuit: &Circuit,
        max_active: usize,
        order: Order,
    ) -> Result<ExactProgram, SimError> {
        let (mut program, observable_lines) = compile::compile(circuit, max_active, order)?;
        program.set_reference(REFERENCE_TRIALS, 0x5eed_ec5a, &observable_lines)?;
        program.effects = linear::NoiseEffects::new(&program).map(std::sync::Arc::new);
        Ok(program)
    }

    /// Amplitudes a noiseless shot touches on the dense vector (the sum of 2^width over the
    /// dense operations; a shot that stops early does less): the cost the order search
    /// minimises (docs/exact-engine.md, "Order").
    pub fn dense_work(&self) -> u128 {
        self.dense_work
    }
}
