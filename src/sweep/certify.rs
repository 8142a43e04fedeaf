//! The light-cone certificate of the proxy screen ([`super::screen`]): the detectors whose
//! symptom in the Clifford proxy is the exact model's symptom, for every fault configuration.
//!
//! Claim. Let C be the exact circuit and C' its proxy, equal to C except at some instructions
//! (CH -> CX, RH -> RX, on the same targets). Call a measurement *untainted* when no differing
//! instruction lies in its causal past (defined below). Then for every fault configuration S
//! (fixed Paulis and record flips at the noise sites, nothing else), a detector made only of
//! untainted measurements takes in C the value it takes in C', which is deterministic:
//! noiseless value XOR the proxy symptom of S ([`crate::faults::FaultSet`]).
//!
//! Proof. Read a circuit with S fixed as a DAG of quantum instruments: one node per
//! instruction, wires for qubits and classical edges from a record to the gates it controls
//! and the detectors that read it. A reset is the channel rho -> Tr(rho)|0><0|, whose output
//! does not depend on its input, so it is a discard followed by a fresh preparation: it cuts
//! its qubit's wire. The Paulis of S act on one qubit each and join no wires. The descendants
//! of a node outside the ancestors of a set M of measurements are outside them too, so a
//! topological order runs all ancestors of M first; what runs after (trace preserving once its
//! outcomes are ignored) cannot change the joint law of M's outcomes, which therefore depends
//! only on M's ancestors (no-signalling). When M is untainted, its ancestors contain no
//! differing instruction and are the same instruments in C and C' (the noise sites are the
//! same events; the screen checks this), so M's outcomes have the same law in both. In C',
//! a Clifford circuit with Pauli faults, a detector is a fixed value XOR the parity of its
//! faults' symptoms, and the reference (S empty) is the same in both.
//!
//! Consequence: a configuration whose proxy symptom is non-zero on a certified postselected
//! detector is discarded by the exact model with certainty; it contributes exactly zero to
//! acceptance and to accepted failure.
//!
//! The causal past is tracked conservatively, forward in time: a qubit is tainted by a
//! differing (or non-Clifford) instruction on it, a gate or noise channel on several qubits
//! taints all of them when one is tainted, a gate controlled by a tainted record taints its
//! target, a measurement's record is tainted when one of its qubits is, and a reset (also a
//! measure-reset, after its record) clears its qubit. Over-tainting only certifies fewer
//! detectors.

use crate::circuit::{Circuit, Instruction, Target};
use crate::gates::GateKind;

/// Per detector `0..detectors` of `circuit`, whether it is certified against `proxy` (see the
/// module documentation). The two circuits must have the same shape (the proxy rewrites
/// instructions in place); an error otherwise.
pub fn certified_detectors(
    circuit: &Circuit,
    proxy: &Circuit,
    detectors: usize,
) -> Result<Vec<bool>, String> {
    let flat = |c: &Circuit| {
        let mut out: Vec<Instruction> = Vec::new();
        let _ = c.for_each_flat(&mut |ins| -> Result<(), ()> {
            out.push(ins.clone());
            Ok(())
        });
        out
    };
    let (exact, approx) = (flat(circuit), flat(proxy));
    if exact.len() != approx.len() {
        return Err(format!(
            "the proxy has {} instructions, the circuit {}",
            approx.len(),
            exact.len()
        ));
    }
    let qubits = circuit.stats().num_qubits as usize;
    let mut tainted = vec![false; qubits];
    let mut records: Vec<bool> = Vec::new();
    let mut certified = Vec::with_capacity(detectors);
    // A look-back outside the record (refused by the parser) counts as tainted.
    let past = |records: &[bool], k: u32| {
        records
            .len()
            .checked_sub(k as usize)
            .is_none_or(|i| records[i])
    };
    for (ins, other) in exact.iter().zip(&approx) {
        let qs: Vec<usize> = ins
            .targets
            .iter()
            .filter_map(|t| t.qubit_index())
            .map(|q| q as usize)
            .collect();
        let differs =
            ins.gate != other.gate || ins.args != other.args || ins.targets != other.targets;
        if differs || ins.gate.is_non_clifford() {
            for &q in &qs {
                tainted[q] = true;
            }
        }
        let any = qs.iter().any(|&q| tainted[q]);
        match ins.gate.kind() {
            GateKind::Clifford1 | GateKind::Noise1 | GateKind::NonClifford1 => {}
            GateKind::Clifford2 | GateKind::NonClifford2 | GateKind::Noise2 => {
                for pair in ins.targets.chunks(2) {
                    let taint = pair.iter().any(|&t| match t {
                        Target::Rec(k) => past(&records, k),
                        Target::Sweep(_) => false,
                        _ => t.qubit_index().is_some_and(|q| tainted[q as usize]),
                    });
                    for q in pair.iter().filter_map(|t| t.qubit_index()) {
                        tainted[q as usize] |= taint;
                    }
                }
            }
            GateKind::PauliProductRotation { .. } | GateKind::Correlated { .. } => {
                for &q in &qs {
                    tainted[q] |= any;
                }
            }
            GateKind::PauliProductMeasure => {
                let products = ins
                    .targets
                    .iter()
                    .filter(|t| matches!(t, Target::Pauli { .. }))
                    .count()
                    - ins
                        .targets
                        .iter()
                        .filter(|t| matches!(t, Target::Combiner))
                        .count();
                records.extend(std::iter::repeat_n(any, products));
                for &q in &qs {
                    tainted[q] |= any;
                }
            }
            GateKind::Reset(_) => {
                for &q in &qs {
                    tainted[q] = false;
                }
            }
            GateKind::MagicReset => {}
            GateKind::Measure(_) | GateKind::HeraldedNoise => {
                records.extend(qs.iter().map(|&q| tainted[q]));
            }
            GateKind::MeasureReset(_) => {
                records.extend(qs.iter().map(|&q| tainted[q]));
                for &q in &qs {
                    tainted[q] = false;
                }
            }
            GateKind::MeasurePad => {
                records.extend(std::iter::repeat_n(false, ins.targets.len()));
            }
            GateKind::Detector if certified.len() < detectors => {
                let clean = ins.targets.iter().all(|&t| match t {
                    Target::Rec(k) => !past(&records, k),
                    _ => true,
                });
                certified.push(clean);
            }
            _ => {}
        }
    }
    if certified.len() < detectors {
        return Err(format!(
            "the circuit has {} detectors, fewer than {detectors}",
            certified.len()
        ));
    }
    Ok(certified)
}
