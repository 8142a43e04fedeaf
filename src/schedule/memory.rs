//! Memory experiments: prepare |0>_L or |+>_L, run rounds of flagged syndrome measurement,
//! measure the data, with a DETECTOR on every deterministic parity and the logical observable.
//!
//! Detector coordinates are (x, y, round, c) with (x, y) the lattice coordinates of the face
//! centre (or of the flag qubit) and c Chromobius's colour-and-basis index: 0/1/2 for a red,
//! green or blue X stabilizer, 3/4/5 for Z, and -1 for flags.

use super::{round_ops, MeasureInfo, Op, RoundMeanings, Schedule};
use crate::circuit::{Circuit, Instruction, Target};
use crate::code::{lattice_coords, Pauli};
use crate::gates::GateId;
use crate::layout::{Layout, Role};

/// Which logical state is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Task {
    /// Prepare |+>_L, measure X stabilizers against it, read logical X.
    MemoryX,
    /// Prepare |0>_L, measure Z stabilizers against it, read logical Z.
    MemoryZ,
}

impl Task {
    pub fn basis(self) -> Pauli {
        match self {
            Task::MemoryX => Pauli::X,
            Task::MemoryZ => Pauli::Z,
        }
    }
}

/// A generated memory circuit and facts about its schedule.
#[derive(Clone, Debug)]
pub struct Memory {
    pub circuit: Circuit,
    /// Time steps (TICK-delimited layers) of one syndrome-measurement round on its own.
    pub ticks_per_round: usize,
    /// Time steps of the whole circuit: data preparation, the rounds (overlapping where
    /// faces allow) and the final data measurement.
    pub ticks_total: usize,
}

/// Lattice coordinates of a plane point (the inverse of `code::plane`), rounded for printing.
pub fn coords_of(p: [f64; 2]) -> [f64; 2] {
    let r = |v: f64| (v * 1000.0).round() / 1000.0;
    [r(2.0 * p[0]), r(2.0 * p[1] / 3f64.sqrt())]
}

/// Builds the circuit while tracking where every measurement landed in the record.
struct Builder<'a> {
    meanings: RoundMeanings<'a>,
    circuit: Circuit,
    num_measurements: usize,
}

impl Builder<'_> {
    fn push(&mut self, name: &str, args: Vec<f64>, targets: Vec<Target>) {
        self.circuit
            .push(Instruction::new(GateId::named(name), args, targets));
    }

    /// Emits a schedule, one TICK after each layer. Returns each measurement's record index
    /// and meaning.
    fn emit(&mut self, schedule: &Schedule) -> Vec<(usize, Option<MeasureInfo>)> {
        schedule
            .layers
            .iter()
            .flat_map(|layer| self.emit_layer(layer))
            .collect()
    }

    /// Emits one layer and a TICK, merging equal gates into one instruction.
    fn emit_layer(&mut self, layer: &[Op]) -> Vec<(usize, Option<MeasureInfo>)> {
        let mut out = Vec::new();
        let mut names: Vec<&'static str> = Vec::new();
        for o in layer {
            if !names.contains(&o.gate) {
                names.push(o.gate);
            }
        }
        for name in names {
            let ops: Vec<&Op> = layer.iter().filter(|o| o.gate == name).collect();
            let targets = ops
                .iter()
                .flat_map(|o| o.qubits.iter().map(|&q| Target::qubit(q as u32)))
                .collect();
            if name.starts_with('M') {
                for o in &ops {
                    out.push((self.num_measurements, self.meanings.next(o)));
                    self.num_measurements += 1;
                }
            }
            self.push(name, vec![], targets);
        }
        self.push("TICK", vec![], vec![]);
        out
    }

    fn rec(&self, index: usize) -> Target {
        Target::Rec((self.num_measurements - index) as u32)
    }

    fn detector(&mut self, coords: Vec<f64>, records: &[usize]) {
        let targets = records.iter().map(|&m| self.rec(m)).collect();
        self.push("DETECTOR", coords, targets);
    }
}

/// Colour-and-basis index of a stabilizer for the 4th detector coordinate.
fn chromobius_index(layout: &Layout, face: usize, basis: Pauli) -> f64 {
    let color = layout.code.faces[layout.faces[face].face].color.index();
    (color + if basis == Pauli::Z { 3 } else { 0 }) as f64
}

/// The memory experiment on `layout` with `rounds` >= 1 rounds.
pub fn memory_circuit(layout: &Layout, task: Task, rounds: usize) -> Memory {
    let n = layout.num_qubits();
    let basis = task.basis();
    let mut b = Builder {
        meanings: RoundMeanings::new(layout),
        circuit: Circuit::new(),
        num_measurements: 0,
    };
    for (q, &p) in layout.positions.iter().enumerate() {
        b.push(
            "QUBIT_COORDS",
            coords_of(p).to_vec(),
            vec![Target::qubit(q as u32)],
        );
    }
    let data: Vec<usize> = (0..layout.num_data()).collect();
    let data_reset = if basis == Pauli::X { "RX" } else { "R" };
    let round = round_ops(layout);
    let ticks_per_round = Schedule::asap_depth(&round, n);
    // All rounds are scheduled together, so a face starts its next round as soon as its own
    // qubits are free; per-qubit gate order (hence every detector) is as if rounds ran apart.
    let mut ops: Vec<Op> = data.iter().map(|&q| Op::new(data_reset, &[q])).collect();
    for _ in 0..rounds {
        ops.extend(round.iter().cloned());
    }
    let schedule = Schedule::asap(ops, n);
    // previous[face][basis]: record index of the last syndrome measurement; seen[qubit][basis]:
    // how many rounds of that ancilla have been measured (its round index).
    let mut previous: Vec<[Option<usize>; 2]> = vec![[None, None]; layout.faces.len()];
    let mut seen: Vec<[usize; 2]> = vec![[0, 0]; n];
    let bi = |p: Pauli| usize::from(p == Pauli::Z);
    for layer in &schedule.layers {
        for (m, info) in b.emit_layer(layer) {
            let Some(info) = info else { continue };
            let t = seen[info.qubit][bi(info.basis)] as f64;
            seen[info.qubit][bi(info.basis)] += 1;
            if info.role == Role::Flag {
                let [x, y] = coords_of(layout.positions[info.qubit]);
                b.detector(vec![x, y, t, -1.0], &[m]);
                continue;
            }
            let center = lattice_coords(layout.code.faces[layout.faces[info.face].face].center);
            let coords = vec![
                center[0],
                center[1],
                t,
                chromobius_index(layout, info.face, info.basis),
            ];
            match previous[info.face][bi(info.basis)] {
                Some(prev) => b.detector(coords, &[m, prev]),
                None if info.basis == basis => b.detector(coords, &[m]),
                None => {}
            }
            previous[info.face][bi(info.basis)] = Some(m);
        }
    }
    // Final data measurement.
    let data_measure = if basis == Pauli::X { "MX" } else { "M" };
    let first = b.num_measurements;
    b.push(
        data_measure,
        vec![],
        data.iter().map(|&q| Target::qubit(q as u32)).collect(),
    );
    b.num_measurements += data.len();
    for (k, f) in layout.faces.iter().enumerate() {
        let face = &layout.code.faces[f.face];
        let mut records: Vec<usize> = face.qubits.iter().map(|&q| first + q).collect();
        records.extend(previous[k][bi(basis)]);
        let center = lattice_coords(face.center);
        let coords = vec![
            center[0],
            center[1],
            rounds as f64,
            chromobius_index(layout, k, basis),
        ];
        b.detector(coords, &records);
    }
    let logical: Vec<Target> = layout
        .code
        .logical_support()
        .iter()
        .map(|&q| b.rec(first + q))
        .collect();
    b.push("OBSERVABLE_INCLUDE", vec![0.0], logical);
    Memory {
        circuit: b.circuit,
        ticks_per_round,
        ticks_total: schedule.depth() + 1,
    }
}

/// One bare round of syndrome measurement (no data preparation, no detectors) and the meaning
/// of each of its measurements in record order: the unit the flag fault-tolerance test
/// enumerates faults over.
pub fn round_circuit(layout: &Layout) -> (Circuit, Vec<MeasureInfo>) {
    round_circuit_of(layout, round_ops(layout))
}

/// [`round_circuit`] for given round ops (e.g. [`super::round_ops_with`] another undo order).
pub fn round_circuit_of(layout: &Layout, ops: Vec<Op>) -> (Circuit, Vec<MeasureInfo>) {
    let mut b = Builder {
        meanings: RoundMeanings::new(layout),
        circuit: Circuit::new(),
        num_measurements: 0,
    };
    let measured = b.emit(&Schedule::asap(ops, layout.num_qubits()));
    let infos = measured
        .into_iter()
        .map(|(_, info)| info.expect("round measurements are ancillas"))
        .collect();
    (b.circuit, infos)
}
