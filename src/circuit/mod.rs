//! Circuit intermediate representation, in the shape of Stim's circuit language.
//!
//! A [`Circuit`] is a list of [`Item`]s: instructions and `REPEAT` blocks. Loops stay loops: a
//! `REPEAT 1000000 { ... }` costs the memory of its body once.

mod parse;
mod print;

pub use parse::{parse_circuit, ParseError};

use crate::gates::{Basis, GateId, GateKind, TargetRule};

/// One target of an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A qubit, optionally inverted (`!5`, measurement result flipped).
    Qubit { index: u32, inverted: bool },
    /// A measurement-record look-back `rec[-k]`; holds k >= 1.
    Rec(u32),
    /// A sweep bit `sweep[k]`, a classical control like `rec[-k]`, read per shot from sweep
    /// data (`--sweep FILE`, frame sampler only); without sweep data every sweep bit is 0, as
    /// in Stim, and the gates it controls do nothing.
    Sweep(u32),
    /// A Pauli target such as `X5` (for `E`, `MPP`, `SPP`); `pauli` is 'X', 'Y' or 'Z'.
    /// `inverted` (`!X5`, Pauli products only) negates the product it belongs to.
    Pauli {
        pauli: char,
        index: u32,
        inverted: bool,
    },
    /// The `*` joining two Pauli targets into one product (`X1*Z2`, Pauli products only).
    Combiner,
}

impl Target {
    pub fn qubit(index: u32) -> Target {
        Target::Qubit {
            index,
            inverted: false,
        }
    }

    /// The qubit this target touches, if any.
    pub fn qubit_index(self) -> Option<u32> {
        match self {
            Target::Qubit { index, .. } | Target::Pauli { index, .. } => Some(index),
            Target::Rec(_) | Target::Sweep(_) | Target::Combiner => None,
        }
    }
}

/// One Pauli product of an `MPP` / `SPP` target list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PauliProduct {
    /// (qubit, x, z) per factor, Y meaning x = z = 1; qubits are distinct (the parser checks).
    pub factors: Vec<(u32, bool, bool)>,
    /// An odd number of `!` among the factors: the product is negated.
    pub inverted: bool,
}

/// One gate application: `NAME[tag](args) targets`. Equality ignores the source line.
#[derive(Clone, Debug)]
pub struct Instruction {
    pub gate: GateId,
    /// Free-form tag between square brackets; empty when absent.
    pub tag: String,
    pub args: Vec<f64>,
    pub targets: Vec<Target>,
    /// 1-based source line, 0 for instructions built in code.
    pub line: u32,
}

impl Instruction {
    pub fn new(gate: GateId, args: Vec<f64>, targets: Vec<Target>) -> Instruction {
        Instruction {
            gate,
            tag: String::new(),
            args,
            targets,
            line: 0,
        }
    }

    /// Number of results this instruction appends to the measurement record.
    pub fn num_measurements(&self) -> u64 {
        if self.gate.measures() {
            self.targets.len() as u64
        } else if self.gate.kind() == GateKind::PauliProductMeasure {
            self.pauli_products().len() as u64
        } else {
            0
        }
    }

    /// The Pauli products of the target list (`X1*Z2 !Y3` gives two), for `MPP` / `SPP`;
    /// for `MXX`/`MYY`/`MZZ` one product per target pair (`MXX !0 1` is -X0*X1).
    pub fn pauli_products(&self) -> Vec<PauliProduct> {
        if let TargetRule::PauliPairs(basis) = self.gate.def().targets {
            let (x, z) = (basis != Basis::Z, basis != Basis::X);
            return self
                .targets
                .chunks_exact(2)
                .map(|pair| {
                    let mut p = PauliProduct {
                        factors: Vec::new(),
                        inverted: false,
                    };
                    for t in pair {
                        if let Target::Qubit { index, inverted } = *t {
                            p.factors.push((index, x, z));
                            p.inverted ^= inverted;
                        }
                    }
                    p
                })
                .collect();
        }
        let mut out: Vec<PauliProduct> = Vec::new();
        let mut joined = false;
        for t in &self.targets {
            match *t {
                Target::Combiner => joined = true,
                Target::Pauli {
                    pauli,
                    index,
                    inverted,
                } => {
                    if !joined || out.is_empty() {
                        out.push(PauliProduct {
                            factors: Vec::new(),
                            inverted: false,
                        });
                    }
                    joined = false;
                    let p = out.last_mut().expect("pushed");
                    p.factors.push((index, pauli != 'Z', pauli != 'X'));
                    p.inverted ^= inverted;
                }
                Target::Qubit { .. } | Target::Rec(_) | Target::Sweep(_) => {}
            }
        }
        out
    }
}

/// A `REPEAT count { body }` block. Equality ignores the source line.
#[derive(Clone, Debug)]
pub struct Repeat {
    pub count: u64,
    pub tag: String,
    pub body: Circuit,
    pub line: u32,
}

impl PartialEq for Instruction {
    fn eq(&self, other: &Self) -> bool {
        self.gate == other.gate
            && self.tag == other.tag
            && self.args == other.args
            && self.targets == other.targets
    }
}

impl PartialEq for Repeat {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.tag == other.tag && self.body == other.body
    }
}

/// An element of a circuit.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Instruction(Instruction),
    Repeat(Repeat),
}

/// A circuit: instructions and loops, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Circuit {
    pub items: Vec<Item>,
}

/// Sizes that simulators need before they start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CircuitStats {
    pub num_qubits: u32,
    pub num_measurements: u64,
    pub num_detectors: u64,
    pub num_observables: u32,
    /// The largest k of any `rec[-k]`.
    pub max_lookback: u32,
    pub num_ticks: u64,
    /// One more than the largest k of any `sweep[k]` (Stim's `num_sweep_bits`).
    pub num_sweep_bits: u32,
}

impl Circuit {
    pub fn new() -> Circuit {
        Circuit::default()
    }

    /// Appends an instruction.
    pub fn push(&mut self, instruction: Instruction) {
        self.items.push(Item::Instruction(instruction));
    }

    /// Appends `NAME targets` with no arguments, for building circuits in code and tests.
    pub fn append(&mut self, gate: &str, args: &[f64], targets: &[u32]) {
        self.push(Instruction::new(
            GateId::named(gate),
            args.to_vec(),
            targets.iter().map(|&q| Target::qubit(q)).collect(),
        ));
    }

    /// Counts qubits, measurements, detectors, observables and the look-back window.
    pub fn stats(&self) -> CircuitStats {
        let mut s = CircuitStats::default();
        self.accumulate(&mut s);
        s
    }

    fn accumulate(&self, s: &mut CircuitStats) {
        for item in &self.items {
            match item {
                Item::Instruction(ins) => {
                    for t in &ins.targets {
                        match *t {
                            Target::Rec(k) => s.max_lookback = s.max_lookback.max(k),
                            Target::Sweep(k) => s.num_sweep_bits = s.num_sweep_bits.max(k + 1),
                            _ => {
                                if let Some(q) = t.qubit_index() {
                                    s.num_qubits = s.num_qubits.max(q + 1);
                                }
                            }
                        }
                    }
                    s.num_measurements += ins.num_measurements();
                    match ins.gate.kind() {
                        GateKind::Detector => s.num_detectors += 1,
                        GateKind::ObservableInclude => {
                            s.num_observables = s.num_observables.max(ins.args[0] as u32 + 1)
                        }
                        GateKind::Tick => s.num_ticks += 1,
                        _ => {}
                    }
                }
                Item::Repeat(r) => {
                    let mut inner = CircuitStats::default();
                    r.body.accumulate(&mut inner);
                    s.num_qubits = s.num_qubits.max(inner.num_qubits);
                    s.max_lookback = s.max_lookback.max(inner.max_lookback);
                    s.num_sweep_bits = s.num_sweep_bits.max(inner.num_sweep_bits);
                    s.num_observables = s.num_observables.max(inner.num_observables);
                    s.num_measurements += inner.num_measurements * r.count;
                    s.num_detectors += inner.num_detectors * r.count;
                    s.num_ticks += inner.num_ticks * r.count;
                }
            }
        }
    }

    /// Approximate bytes the circuit holds in memory (items, targets, arguments, tags; a
    /// REPEAT body counted once), for refusing circuits too big to build before building them.
    pub fn approx_bytes(&self) -> u64 {
        self.items
            .iter()
            .map(|item| {
                std::mem::size_of::<Item>() as u64
                    + match item {
                        Item::Instruction(ins) => {
                            (ins.targets.capacity() * std::mem::size_of::<Target>()
                                + ins.args.capacity() * 8
                                + ins.tag.capacity()) as u64
                        }
                        Item::Repeat(r) => r.body.approx_bytes() + r.tag.capacity() as u64,
                    }
            })
            .sum()
    }

    /// Visits every instruction in execution order, loops unrolled on the fly (nothing is copied).
    pub fn for_each_flat<E>(
        &self,
        f: &mut impl FnMut(&Instruction) -> Result<(), E>,
    ) -> Result<(), E> {
        for item in &self.items {
            match item {
                Item::Instruction(ins) => f(ins)?,
                Item::Repeat(r) => {
                    for _ in 0..r.count {
                        r.body.for_each_flat(f)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Each detector's coordinates in execution order, `SHIFT_COORDS` applied (empty when the
    /// detector has none), as Stim's `get_detector_coordinates` gives them.
    pub fn detector_coords(&self) -> Vec<Vec<f64>> {
        let mut shift: Vec<f64> = Vec::new();
        let mut out = Vec::new();
        let _ = self.for_each_flat(&mut |ins| -> Result<(), ()> {
            match ins.gate.kind() {
                GateKind::ShiftCoords => {
                    if shift.len() < ins.args.len() {
                        shift.resize(ins.args.len(), 0.0);
                    }
                    for (s, a) in shift.iter_mut().zip(&ins.args) {
                        *s += a;
                    }
                }
                GateKind::Detector => out.push(
                    ins.args
                        .iter()
                        .enumerate()
                        .map(|(i, c)| c + shift.get(i).copied().unwrap_or(0.0))
                        .collect(),
                ),
                _ => {}
            }
            Ok(())
        });
        out
    }

    /// First instruction of a non-Clifford gate, if any (Clifford engines refuse such circuits).
    pub fn first_non_clifford(&self) -> Option<&Instruction> {
        self.items.iter().find_map(|item| match item {
            Item::Instruction(ins) if ins.gate.is_non_clifford() => Some(ins),
            Item::Instruction(_) => None,
            Item::Repeat(r) => r.body.first_non_clifford(),
        })
    }
}
