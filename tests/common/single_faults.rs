//! Single Pauli faults pushed through a flat Clifford circuit, for fault-tolerance enumerations.

use qec_sim::circuit::{Circuit, Instruction, Item};
use qec_sim::gates::{Basis, GateKind};
use qec_sim::noise::NoiseModel;

/// A Pauli frame over qubits: (x, z) bits.
#[derive(Clone)]
pub struct Frame {
    pub x: Vec<bool>,
    pub z: Vec<bool>,
}

/// The Paulis (as x, z bit pairs over 1 or 2 qubits) a noise instruction can apply per target group.
pub fn fault_terms(ins: &Instruction) -> Vec<(u8, u8)> {
    match ins.gate.name() {
        "X_ERROR" => vec![(1, 0)],
        "Z_ERROR" => vec![(0, 1)],
        "DEPOLARIZE1" => vec![(1, 0), (1, 1), (0, 1)],
        "DEPOLARIZE2" => (1..16u8).map(|b| (b & 3, b >> 2)).collect(),
        other => panic!("unexpected noise {other}"),
    }
}

/// Runs the flat circuit with no noise but one injected Pauli right after instruction `at`,
/// returning the measurement flips and the final frame.
pub fn propagate(
    items: &[Instruction],
    at: usize,
    qubits: &[u32],
    pauli: (u8, u8),
    n: usize,
) -> (Vec<bool>, Frame) {
    let mut f = Frame {
        x: vec![false; n],
        z: vec![false; n],
    };
    let mut flips = Vec::new();
    for (k, ins) in items.iter().enumerate() {
        let qs = qubits_of(ins);
        match ins.gate.kind() {
            GateKind::Clifford1 | GateKind::Clifford2 => {
                let action = ins.gate.clifford_action().unwrap();
                for group in qs.chunks(action.num_qubits) {
                    let (mut x, mut z) = (0u8, 0u8);
                    for (b, &q) in group.iter().enumerate() {
                        x |= u8::from(f.x[q]) << b;
                        z |= u8::from(f.z[q]) << b;
                    }
                    let (x, z) = action.map_bits(x, z);
                    for (b, &q) in group.iter().enumerate() {
                        f.x[q] = x >> b & 1 == 1;
                        f.z[q] = z >> b & 1 == 1;
                    }
                }
            }
            GateKind::Reset(_) => qs.iter().for_each(|&q| (f.x[q], f.z[q]) = (false, false)),
            GateKind::Measure(basis) => {
                for &q in &qs {
                    flips.push(match basis {
                        Basis::X => f.z[q],
                        Basis::Z => f.x[q],
                        Basis::Y => f.x[q] ^ f.z[q],
                    });
                }
            }
            _ => {}
        }
        if k == at {
            for (b, &q) in qubits.iter().enumerate() {
                f.x[q as usize] ^= pauli.0 >> b & 1 == 1;
                f.z[q as usize] ^= pauli.1 >> b & 1 == 1;
            }
        }
    }
    (flips, f)
}

/// The instructions of a flat clean circuit with `uniform` noise (p = 1e-3) added: the fault
/// locations to enumerate.
pub fn uniform_noisy_items(clean: &Circuit) -> Vec<Instruction> {
    let noisy = NoiseModel::named("uniform").unwrap().apply(clean, 1e-3);
    noisy
        .items
        .iter()
        .map(|i| match i {
            Item::Instruction(ins) => ins.clone(),
            Item::Repeat(_) => panic!("flat circuit expected"),
        })
        .collect()
}

/// The qubit targets of an instruction, in order.
pub fn qubits_of(ins: &Instruction) -> Vec<usize> {
    ins.targets
        .iter()
        .filter_map(|t| t.qubit_index())
        .map(|q| q as usize)
        .collect()
}
