//! The noiseless reference sample and the determinism check, from one tableau run.
//!
//! The reference is the circuit with all noise removed (noise channels, `E`/`ELSE_CORRELATED_ERROR`
//! and measurement flip probabilities are ignored) and every random measurement outcome chosen as
//! 0, target by target. Stim's reference sample may choose some random outcomes differently (it
//! collapses multi-target `MX`/`MY` in qubit order, for one); deterministic measurements, detectors
//! and observables agree. Detectors are numbered in execution order from 0, as in Stim.

use crate::circuit::{Circuit, Target};
use crate::error::SimError;
use crate::gates::GateKind;
use crate::tableau::{Outcomes, SymbolicBit, TableauSimulator};

/// Noiseless results: every measurement, and the parity of every detector and observable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reference {
    pub measurements: Vec<bool>,
    pub detectors: Vec<bool>,
    pub observables: Vec<bool>,
}

/// The reference sample (fast: no determinism bookkeeping).
pub fn reference_sample(circuit: &Circuit) -> Result<Reference, SimError> {
    run(circuit, false)
}

/// Checks that every detector and observable is deterministic in the noiseless circuit.
///
/// The first non-deterministic detector (in execution order) is reported; observables are checked
/// after the whole circuit ran (later includes may cancel earlier randomness), lowest index first,
/// and reported with the line of the last `OBSERVABLE_INCLUDE` that touched them.
pub fn check_deterministic(circuit: &Circuit) -> Result<(), SimError> {
    analyze(circuit).map(drop)
}

/// [`check_deterministic`] and [`reference_sample`] in one pass.
pub fn analyze(circuit: &Circuit) -> Result<Reference, SimError> {
    run(circuit, true)
}

fn run(circuit: &Circuit, symbolic: bool) -> Result<Reference, SimError> {
    if let Some(ins) = circuit.first_non_clifford() {
        return Err(SimError::NonClifford {
            gate: ins.gate.name(),
            line: ins.line,
        });
    }
    let stats = circuit.stats();
    let mut sim = TableauSimulator::new(stats.num_qubits as usize, Outcomes::Zero)?;
    if symbolic {
        sim = sim.with_symbolic_signs(stats.max_lookback as usize);
    }
    let mut detectors = Vec::new();
    let mut observables = vec![SymbolicBit::default(); stats.num_observables as usize];
    let mut observable_lines = vec![0u32; stats.num_observables as usize];
    circuit.for_each_flat(&mut |ins| {
        let kind = ins.gate.kind();
        if !matches!(kind, GateKind::Detector | GateKind::ObservableInclude) {
            return sim.execute(ins);
        }
        let mut parity = SymbolicBit::default();
        let mut random_pauli = false;
        for t in &ins.targets {
            if let Target::Rec(k) = *t {
                let (value, vars) = sim.lookback(k);
                parity.xor_with(value, vars);
            }
        }
        // Pauli targets (`OBSERVABLE_INCLUDE(0) X5 Z6`): their product's noiseless value.
        let paulis: Vec<(u32, bool, bool)> = ins
            .targets
            .iter()
            .filter_map(|t| match *t {
                Target::Pauli { pauli, index, .. } => Some((index, pauli != 'Z', pauli != 'X')),
                _ => None,
            })
            .collect();
        if !paulis.is_empty() {
            match sim.peek_product(&paulis) {
                Some(v) => parity.xor_with(v.value, &v.vars),
                None => random_pauli = true,
            }
        }
        if kind == GateKind::Detector {
            if !parity.is_deterministic() {
                return Err(SimError::NonDeterministic {
                    what: format!("detector D{}", detectors.len()),
                    line: ins.line,
                });
            }
            detectors.push(parity.value);
        } else {
            let index = ins.args[0] as usize;
            if random_pauli && symbolic {
                return Err(SimError::NonDeterministic {
                    what: format!("observable L{index} (its Pauli targets)"),
                    line: ins.line,
                });
            }
            observables[index].xor_with(parity.value, &parity.vars);
            observable_lines[index] = ins.line;
        }
        Ok(())
    })?;
    if let Some(index) = observables.iter().position(|o| !o.is_deterministic()) {
        return Err(SimError::NonDeterministic {
            what: format!("observable L{index}"),
            line: observable_lines[index],
        });
    }
    Ok(Reference {
        measurements: sim.record().to_vec(),
        detectors,
        observables: observables.iter().map(|o| o.value).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::parse_circuit;

    #[test]
    fn pauli_targets_of_observables_are_peeked_not_measured() {
        // |+> and |1>: X0 = +1 and Z1 = -1 are deterministic, Z0 is not.
        let c = parse_circuit("RX 0\nX 1\nOBSERVABLE_INCLUDE(0) X0 Z1\nMX 0\n").unwrap();
        let r = analyze(&c).unwrap();
        assert_eq!(r.observables, vec![true]);
        assert_eq!(r.measurements, vec![false]);
        let c = parse_circuit("RX 0\nOBSERVABLE_INCLUDE(0) Z0\n").unwrap();
        let e = analyze(&c).unwrap_err().to_string();
        assert!(e.contains("L0"), "{e}");
    }

    #[test]
    fn random_detector_is_reported() {
        let c = parse_circuit("R 0\nH 0\nM 0\nDETECTOR rec[-1]\n").unwrap();
        assert_eq!(
            check_deterministic(&c),
            Err(SimError::NonDeterministic {
                what: "detector D0".into(),
                line: 4
            })
        );
        // The reference itself still exists, with the random outcome chosen as 0.
        let r = reference_sample(&c).unwrap();
        assert_eq!(r.measurements, vec![false]);
    }

    #[test]
    fn cancelling_observable_includes_are_deterministic() {
        let c = parse_circuit(
            "H 0\nM 0\nOBSERVABLE_INCLUDE(0) rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-1]\n",
        )
        .unwrap();
        assert!(check_deterministic(&c).is_ok());
        let c = parse_circuit("H 0\nM 0\nOBSERVABLE_INCLUDE(1) rec[-1]\nX 0\n").unwrap();
        assert_eq!(
            check_deterministic(&c),
            Err(SimError::NonDeterministic {
                what: "observable L1".into(),
                line: 3
            })
        );
    }
}
