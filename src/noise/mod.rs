//! Noise models as passes over clean circuits.
//!
//! A pass walks the circuit one time step at a time (the instructions between two `TICK`s) and
//! adds noise after each gate and on every qubit left idle in that step; measurements get a
//! flip probability. It only ever adds noise instructions and flip arguments, so the clean
//! circuit's detectors and observables are untouched. Circuits therefore need explicit time
//! steps: without TICKs the whole circuit is one step and nothing idles. A step in which no
//! gate, reset or measurement acts (e.g. only the detectors after the last TICK) adds no idle
//! noise.
//!
//! | location | `uniform` | `cn20` | `si1000` |
//! |---|---|---|---|
//! | 1-qubit gate (Clifford, T, R_X, ..., U3) | DEPOLARIZE1(p) | X, Y, Z each p/3 | DEPOLARIZE1(p/10) |
//! | 2-qubit gate (CX, CZ, ..., CH) | DEPOLARIZE2(p) | each of the 15 Paulis p/15 | DEPOLARIZE2(p) |
//! | reset (R, RX, RY; RH into \|H>) | flip with p | flip with 2p/3 | flip with 2p |
//! | measurement (M, ..., MPP per product) | flip with p | flip with 2p/3 | flip with 5p |
//! | Pauli-product rotation (SPP) | none (its qubits are busy, not idle) | none | none |
//! | idle qubit in a step | DEPOLARIZE1(p) | X, Y, Z each p/3 | DEPOLARIZE1(p/10) |
//! | idle qubit in a step with a measurement or reset | as idle | as idle | DEPOLARIZE1(2p) |
//!
//! `cn20` is the circuit-level model of Chamberland and Noh, npj Quantum Inf. 6, 91 (2020)
//! (X/Y/Z each p/3 equals DEPOLARIZE1(p); the 15 two-qubit Paulis each p/15 equal
//! DEPOLARIZE2(p)). `si1000` is the superconducting-inspired model of Gidney, Newman, Fowler and
//! Broughton, "A fault-tolerant honeycomb memory", Quantum 5, 605 (2021). A reset flip is an
//! X error after R (Z error after RX, Y error after RH: Y|H> is orthogonal to |H>); a measurement flip is the measurement's own argument,
//! `M(q)`, as in Stim. "Idle" qubits are those of the circuit that no gate of the step touches.

use crate::circuit::{Circuit, Instruction, Item, Target};
use crate::gates::{Basis, GateId, GateKind};
use std::collections::BTreeSet;

/// A noise model as multiples of the base error rate p.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoiseModel {
    pub name: &'static str,
    pub gate1: f64,
    pub gate2: f64,
    pub reset: f64,
    pub measure: f64,
    pub idle: f64,
    /// Idle noise in steps that contain a measurement or reset, if different.
    pub idle_during_readout: Option<f64>,
}

/// The shipped models; see the module table.
pub const MODELS: [NoiseModel; 3] = [
    NoiseModel {
        name: "uniform",
        gate1: 1.0,
        gate2: 1.0,
        reset: 1.0,
        measure: 1.0,
        idle: 1.0,
        idle_during_readout: None,
    },
    NoiseModel {
        name: "cn20",
        gate1: 1.0,
        gate2: 1.0,
        reset: 2.0 / 3.0,
        measure: 2.0 / 3.0,
        idle: 1.0,
        idle_during_readout: None,
    },
    NoiseModel {
        name: "si1000",
        gate1: 0.1,
        gate2: 1.0,
        reset: 2.0,
        measure: 5.0,
        idle: 0.1,
        idle_during_readout: Some(2.0),
    },
];

impl NoiseModel {
    pub fn named(name: &str) -> Option<NoiseModel> {
        MODELS.iter().copied().find(|m| m.name == name)
    }

    /// The largest base rate at which no channel reaches its cap (a flip probability 1/2,
    /// `DEPOLARIZE1` 3/4, `DEPOLARIZE2` 15/16), beyond which [`NoiseModel::apply`] would clamp.
    pub fn max_p(&self) -> f64 {
        [
            (self.gate1, 0.75),
            (self.gate2, 15.0 / 16.0),
            (self.reset, 0.5),
            (self.measure, 0.5),
            (self.idle, 0.75),
            (self.idle_during_readout.unwrap_or(0.0), 0.75),
        ]
        .iter()
        .filter(|(rate, _)| *rate > 0.0)
        .map(|(rate, cap)| cap / rate)
        .fold(f64::INFINITY, f64::min)
    }

    /// Returns `circuit` with this model's noise at base rate `p` added.
    pub fn apply(&self, circuit: &Circuit, p: f64) -> Circuit {
        let mut qubits = BTreeSet::new();
        collect_qubits(circuit, &mut qubits);
        let all: Vec<u32> = qubits.into_iter().collect();
        let mut out = Circuit::new();
        let mut step: Vec<Instruction> = Vec::new();
        self.walk(circuit, p, &all, &mut step, &mut out);
        self.flush(&mut step, p, &all, &mut out);
        out
    }

    fn walk(
        &self,
        circuit: &Circuit,
        p: f64,
        all: &[u32],
        step: &mut Vec<Instruction>,
        out: &mut Circuit,
    ) {
        for item in &circuit.items {
            match item {
                Item::Instruction(ins) if ins.gate.kind() == GateKind::Tick => {
                    self.flush(step, p, all, out);
                    out.push(ins.clone());
                }
                Item::Instruction(ins) => step.push(ins.clone()),
                Item::Repeat(r) => {
                    self.flush(step, p, all, out);
                    let mut body = Circuit::new();
                    let mut inner = Vec::new();
                    self.walk(&r.body, p, all, &mut inner, &mut body);
                    self.flush(&mut inner, p, all, &mut body);
                    let mut rep = r.clone();
                    rep.body = body;
                    out.items.push(Item::Repeat(rep));
                }
            }
        }
    }

    /// Writes one time step with its noise: each instruction followed by its gate noise, then
    /// idle noise on the untouched qubits.
    fn flush(&self, step: &mut Vec<Instruction>, p: f64, all: &[u32], out: &mut Circuit) {
        if step.is_empty() {
            return;
        }
        let mut busy = BTreeSet::new();
        let mut readout = false;
        for ins in step.drain(..) {
            // Classically controlled Paulis (`CX rec[-1] q`) are Pauli-frame updates: noiseless.
            if ins
                .targets
                .iter()
                .any(|t| matches!(t, Target::Rec(_) | Target::Sweep(_)))
            {
                out.push(ins);
                continue;
            }
            let kind = ins.gate.kind();
            let qs: Vec<u32> = ins.targets.iter().filter_map(|t| t.qubit_index()).collect();
            if is_operation(&ins) {
                busy.extend(qs.iter().copied());
            }
            readout |= matches!(
                kind,
                GateKind::Reset(_)
                    | GateKind::MagicReset
                    | GateKind::Measure(_)
                    | GateKind::MeasureReset(_)
                    | GateKind::PauliProductMeasure
            );
            let after = self.after(&ins, &qs, p);
            let mut ins = ins;
            if let GateKind::Measure(_)
            | GateKind::MeasureReset(_)
            | GateKind::PauliProductMeasure = kind
            {
                if ins.args.is_empty() && self.measure * p > 0.0 {
                    ins.args = vec![clamp(self.measure * p, 0.5)];
                }
            }
            out.push(ins);
            out.items.extend(after.into_iter().map(Item::Instruction));
        }
        // A step without any operation on qubits (only detectors, observables, coordinates or
        // classically controlled Paulis, e.g. the detectors after a circuit's last TICK) is no
        // time step of the protocol: nothing idles in it.
        if busy.is_empty() {
            return;
        }
        let idle: Vec<u32> = all.iter().copied().filter(|q| !busy.contains(q)).collect();
        let rate = match self.idle_during_readout {
            Some(r) if readout => r,
            _ => self.idle,
        };
        if !idle.is_empty() && rate * p > 0.0 {
            out.push(noise("DEPOLARIZE1", clamp(rate * p, 0.75), &idle));
        }
    }

    /// The noise that follows one instruction.
    fn after(&self, ins: &Instruction, qs: &[u32], p: f64) -> Option<Instruction> {
        let reset_flip = |basis: Basis| match basis {
            Basis::X => "Z_ERROR",
            Basis::Y | Basis::Z => "X_ERROR",
        };
        let (name, rate, cap) = match ins.gate.kind() {
            GateKind::Clifford1 | GateKind::NonClifford1 => ("DEPOLARIZE1", self.gate1, 0.75),
            GateKind::Clifford2 | GateKind::NonClifford2 => {
                ("DEPOLARIZE2", self.gate2, 15.0 / 16.0)
            }
            GateKind::Reset(b) | GateKind::MeasureReset(b) => (reset_flip(b), self.reset, 0.5),
            // The state orthogonal to |H> is Y|H>.
            GateKind::MagicReset => ("Y_ERROR", self.reset, 0.5),
            _ => return None,
        };
        (rate * p > 0.0 && !qs.is_empty()).then(|| noise(name, clamp(rate * p, cap), qs))
    }
}

/// True for an operation on qubits that occupies them for a time step: a gate, reset or
/// measurement, but not a classically controlled Pauli (`CX rec[-1] q`, a Pauli-frame update),
/// noise or an annotation.
pub fn is_operation(ins: &Instruction) -> bool {
    matches!(
        ins.gate.kind(),
        GateKind::Clifford1
            | GateKind::Clifford2
            | GateKind::NonClifford1
            | GateKind::NonClifford2
            | GateKind::Reset(_)
            | GateKind::MagicReset
            | GateKind::Measure(_)
            | GateKind::MeasureReset(_)
            | GateKind::PauliProductMeasure
            | GateKind::PauliProductRotation { .. }
    ) && !ins
        .targets
        .iter()
        .any(|t| matches!(t, Target::Rec(_) | Target::Sweep(_)))
}

/// Caps a rate and rounds it to 12 significant digits, so 2p/3 prints as 0.02, not
/// 0.019999999999999997.
fn clamp(v: f64, max: f64) -> f64 {
    format!("{:.11e}", v.min(max)).parse().unwrap_or(v.min(max))
}

fn noise(name: &str, p: f64, qubits: &[u32]) -> Instruction {
    Instruction::new(
        GateId::named(name),
        vec![p],
        qubits.iter().map(|&q| Target::qubit(q)).collect(),
    )
}

fn collect_qubits(circuit: &Circuit, set: &mut BTreeSet<u32>) {
    for item in &circuit.items {
        match item {
            Item::Instruction(ins) => {
                if !matches!(
                    ins.gate.kind(),
                    GateKind::QubitCoords | GateKind::Detector | GateKind::ObservableInclude
                ) {
                    set.extend(ins.targets.iter().filter_map(|t| t.qubit_index()));
                }
            }
            Item::Repeat(r) => collect_qubits(&r.body, set),
        }
    }
}

/// Removes every noise instruction and measurement flip argument: the inverse of a pass.
pub fn strip(circuit: &Circuit) -> Circuit {
    let mut out = Circuit::new();
    for item in &circuit.items {
        match item {
            Item::Instruction(ins) => match ins.gate.kind() {
                GateKind::Noise1 | GateKind::Noise2 | GateKind::Correlated { .. } => {}
                GateKind::Measure(_)
                | GateKind::MeasureReset(_)
                | GateKind::PauliProductMeasure => {
                    let mut i = ins.clone();
                    i.args.clear();
                    out.push(i);
                }
                _ => out.push(ins.clone()),
            },
            Item::Repeat(r) => {
                let mut rep = r.clone();
                rep.body = strip(&r.body);
                out.items.push(Item::Repeat(rep));
            }
        }
    }
    out
}
