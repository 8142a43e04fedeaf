//! Compiles a circuit into frame-simulator operations: gate kernels chosen from the gate table's
//! Clifford action, noise channels precomputed, loops kept as loops.

use super::noise::{Bernoulli, PauliChannel};
use crate::circuit::{Circuit, Instruction, Item, Target};
use crate::error::SimError;
use crate::gates::{Basis, CliffordAction, GateId, GateKind};

/// How a single-qubit Clifford moves the (x, z) bits of a frame: the six invertible 2x2 GF(2)
/// matrices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel1 {
    /// x <-> z (H, SQRT_Y, ...)
    Swap,
    /// x ^= z (SQRT_X, H_YZ, ...)
    XorZIntoX,
    /// z ^= x (S, H_XY, ...)
    XorXIntoZ,
    /// X -> Y -> Z -> X (C_XYZ)
    CycleXyz,
    /// X -> Z -> Y -> X (C_ZYX)
    CycleZyx,
}

impl Kernel1 {
    /// The kernel for a gate's bit map, or None for the identity (Pauli gates, I).
    pub fn from_action(a: &CliffordAction) -> Option<Kernel1> {
        match (a.map_bits(1, 0), a.map_bits(0, 1)) {
            ((1, 0), (0, 1)) => None,
            ((0, 1), (1, 0)) => Some(Kernel1::Swap),
            ((1, 0), (1, 1)) => Some(Kernel1::XorZIntoX),
            ((1, 1), (0, 1)) => Some(Kernel1::XorXIntoZ),
            ((1, 1), (1, 0)) => Some(Kernel1::CycleXyz),
            ((0, 1), (1, 1)) => Some(Kernel1::CycleZyx),
            other => unreachable!("not an invertible Clifford bit map: {other:?}"),
        }
    }
}

/// How a two-qubit Clifford moves frame bits: fast kernels for common gates, else a generic
/// GF(2) matrix on (x0, x1, z0, z1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel2 {
    Cx,
    Cy,
    Cz,
    Swap,
    /// `rows[i]` selects (bit j) which input bits XOR into output bit i; bits are
    /// x0 = 1, x1 = 2, z0 = 4, z1 = 8.
    Generic([u8; 4]),
}

impl Kernel2 {
    /// The GF(2) matrix of a gate, rows as in [`Kernel2::Generic`] (the same bit packing as the
    /// action's `x | z << 2` index).
    fn matrix(a: &CliffordAction) -> [u8; 4] {
        let mut rows = [0u8; 4];
        for input in 0..4 {
            let bits = 1u8 << input;
            let (ix, iz) = a.map_bits(bits & 0b11, bits >> 2);
            let out = ix | iz << 2;
            for (bit, row) in rows.iter_mut().enumerate() {
                if out >> bit & 1 == 1 {
                    *row |= bits;
                }
            }
        }
        rows
    }

    pub fn from_action(a: &CliffordAction) -> Kernel2 {
        let m = Self::matrix(a);
        for (name, k) in [
            ("CX", Kernel2::Cx),
            ("CY", Kernel2::Cy),
            ("CZ", Kernel2::Cz),
            ("SWAP", Kernel2::Swap),
        ] {
            let action = GateId::named(name).clifford_action().expect("Clifford");
            if Self::matrix(action) == m {
                return k;
            }
        }
        Kernel2::Generic(m)
    }
}

/// One compiled operation. Qubit numbers index frame rows; look-backs index the record.
#[derive(Clone, Debug)]
pub enum Op {
    Gate1(Kernel1, Vec<u32>),
    Gate2(Kernel2, Vec<(u32, u32)>),
    /// Classically controlled Pauli from a measurement record: (look-back, qubit, x, z).
    Feedback(Vec<(u32, u32, bool, bool)>),
    /// Pauli controlled by a sweep bit: (sweep index, qubit, x, z). The reference run has all
    /// sweep bits 0, so a shot whose bit is 1 deviates from it by exactly this Pauli.
    SweepControlled(Vec<(u32, u32, bool, bool)>),
    Measure {
        basis: Basis,
        reset: bool,
        flip: Bernoulli,
        qubits: Vec<u32>,
    },
    /// MPP: the factors (qubit, x, z) of each product. A result flips when the frame
    /// anticommutes with its product, and with probability `flip`.
    MeasureProducts {
        flip: Bernoulli,
        products: Vec<Vec<(u32, bool, bool)>>,
    },
    /// SPP / SPP_DAG: exp(-+i pi/4 P) F exp(+-i pi/4 P) = F when F commutes with P, and
    /// +-i F P when it anticommutes: such frames pick up P (signs do not matter to frames).
    RotateProducts(Vec<Vec<(u32, bool, bool)>>),
    Reset(Basis, Vec<u32>),
    /// `MPAD` (and the heralds of a noiseless heralded channel): appends `count` results that
    /// never differ from the reference, each then flipped with probability `flip`.
    Pad {
        flip: Bernoulli,
        count: u64,
    },
    /// Heralded noise: one herald result per qubit, set when the channel fires (the channel's
    /// outcome, possibly the identity, is then applied to the frame).
    Herald(PauliChannel, Vec<u32>),
    Noise1(PauliChannel, Vec<u32>),
    Noise2(PauliChannel, Vec<(u32, u32)>),
    /// E / ELSE_CORRELATED_ERROR: (qubit, x, z) per Pauli target.
    Correlated {
        trial: Bernoulli,
        else_branch: bool,
        paulis: Vec<(u32, bool, bool)>,
    },
    /// Controlled-Hadamard under the twirl approximation (see [`NonClifford::Twirl`]).
    TwirledCh(Vec<(u32, u32)>),
    Detector(Vec<u32>),
    /// `OBSERVABLE_INCLUDE(k)`: its record look-backs and its Pauli targets (qubit, x, z); a
    /// frame flips the observable when it anticommutes with the Pauli part.
    Observable(u32, Vec<u32>, Vec<(u32, bool, bool)>),
    Repeat(u64, Vec<Op>),
}

/// How the frame simulator treats the non-Clifford controlled-Hadamard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NonClifford {
    /// Refuse circuits containing CH (Pauli frames cannot follow it exactly).
    #[default]
    Refuse,
    /// The approximation of Chamberland and Noh (npj Quantum Inf. 6, 91 (2020)): write
    /// CH = Ry(pi/4)_t CZ Ry(-pi/4)_t; at each pi/8 rotation a frame's X or Z component on the
    /// target becomes X or Z with probability 1/2 each (Y and I unchanged). Frames then describe
    /// deviations from the noiseless run, which is assumed to have trivial detectors.
    Twirl,
}

/// A circuit compiled for the frame simulator, with its sizes.
#[derive(Clone, Debug)]
pub struct FrameProgram {
    pub ops: Vec<Op>,
    pub num_qubits: usize,
    pub num_measurements: u64,
    pub num_detectors: u64,
    pub num_observables: usize,
    /// Largest `rec[-k]` look-back (at least 1).
    pub window: usize,
    /// One more than the largest `sweep[k]` index.
    pub num_sweep_bits: usize,
}

impl FrameProgram {
    /// Compiles; refuses non-Clifford gates.
    pub fn compile(circuit: &Circuit) -> Result<FrameProgram, SimError> {
        Self::compile_with(circuit, NonClifford::Refuse)
    }

    /// Compiles with the given treatment of non-Clifford gates.
    pub fn compile_with(circuit: &Circuit, model: NonClifford) -> Result<FrameProgram, SimError> {
        let stats = circuit.stats();
        Ok(FrameProgram {
            ops: compile_items(&circuit.items, model)?,
            num_qubits: stats.num_qubits as usize,
            num_measurements: stats.num_measurements,
            num_detectors: stats.num_detectors,
            num_observables: stats.num_observables as usize,
            window: stats.max_lookback.max(1) as usize,
            num_sweep_bits: stats.num_sweep_bits as usize,
        })
    }
}

fn qubits(ins: &Instruction) -> Vec<u32> {
    ins.targets.iter().filter_map(|t| t.qubit_index()).collect()
}

fn records(ins: &Instruction) -> Vec<u32> {
    ins.targets
        .iter()
        .filter_map(|t| match t {
            Target::Rec(k) => Some(*k),
            _ => None,
        })
        .collect()
}

/// The Pauli targets `X5 Y6` of an instruction as (qubit, x, z).
fn pauli_targets(ins: &Instruction) -> Vec<(u32, bool, bool)> {
    ins.targets
        .iter()
        .filter_map(|t| match *t {
            Target::Pauli { pauli, index, .. } => Some((index, pauli != 'Z', pauli != 'X')),
            _ => None,
        })
        .collect()
}

fn product_factors(ins: &Instruction) -> Vec<Vec<(u32, bool, bool)>> {
    ins.pauli_products()
        .into_iter()
        .map(|p| p.factors)
        .collect()
}

fn compile_items(items: &[Item], model: NonClifford) -> Result<Vec<Op>, SimError> {
    let mut ops = Vec::new();
    for item in items {
        match item {
            Item::Repeat(r) => ops.push(Op::Repeat(r.count, compile_items(&r.body.items, model)?)),
            Item::Instruction(ins) => compile_instruction(ins, model, &mut ops)?,
        }
    }
    Ok(ops)
}

/// Compiles one instruction without its noise: noise channels vanish and measurements keep no
/// flip probability. The error analysis runs these between deterministic fault injections.
pub fn compile_noiseless(ins: &Instruction) -> Result<Vec<Op>, SimError> {
    compile_noiseless_with(ins, NonClifford::Refuse)
}

/// [`compile_noiseless`] with a model for the non-Clifford gates.
pub fn compile_noiseless_with(ins: &Instruction, model: NonClifford) -> Result<Vec<Op>, SimError> {
    let mut ops = Vec::new();
    match ins.gate.kind() {
        GateKind::Noise1 | GateKind::Noise2 | GateKind::Correlated { .. } => {}
        GateKind::HeraldedNoise => ops.push(Op::Pad {
            flip: Bernoulli::new(0.0),
            count: ins.targets.len() as u64,
        }),
        GateKind::Measure(_)
        | GateKind::MeasureReset(_)
        | GateKind::PauliProductMeasure
        | GateKind::MeasurePad => {
            let mut quiet = ins.clone();
            quiet.args.clear();
            compile_instruction(&quiet, model, &mut ops)?;
        }
        _ => compile_instruction(ins, model, &mut ops)?,
    }
    Ok(ops)
}

fn compile_instruction(
    ins: &Instruction,
    model: NonClifford,
    ops: &mut Vec<Op>,
) -> Result<(), SimError> {
    let gate = ins.gate;
    match gate.kind() {
        GateKind::Clifford1 => {
            let action = gate.clifford_action().expect("Clifford");
            if let Some(k) = Kernel1::from_action(action) {
                ops.push(Op::Gate1(k, qubits(ins)));
            }
        }
        GateKind::Clifford2 => compile_two_qubit(ins, ops),
        GateKind::NonClifford2 if model == NonClifford::Twirl => {
            let q = qubits(ins);
            ops.push(Op::TwirledCh(q.chunks(2).map(|p| (p[0], p[1])).collect()));
        }
        GateKind::PauliProductMeasure => ops.push(Op::MeasureProducts {
            flip: Bernoulli::new(ins.args.first().copied().unwrap_or(0.0)),
            products: product_factors(ins),
        }),
        GateKind::PauliProductRotation { .. } => ops.push(Op::RotateProducts(product_factors(ins))),
        GateKind::NonClifford1 | GateKind::NonClifford2 => {
            return Err(SimError::NonClifford {
                gate: gate.name(),
                line: ins.line,
            })
        }
        GateKind::Reset(basis) => ops.push(Op::Reset(basis, qubits(ins))),
        // Frames track deviations from the noiseless run: a fresh |H> carries none.
        GateKind::MagicReset if model == NonClifford::Twirl => {
            ops.push(Op::Reset(Basis::Z, qubits(ins)))
        }
        GateKind::MagicReset => {
            return Err(SimError::NonClifford {
                gate: gate.name(),
                line: ins.line,
            })
        }
        GateKind::Measure(basis) | GateKind::MeasureReset(basis) => ops.push(Op::Measure {
            basis,
            reset: matches!(gate.kind(), GateKind::MeasureReset(_)),
            flip: Bernoulli::new(ins.args.first().copied().unwrap_or(0.0)),
            qubits: qubits(ins),
        }),
        GateKind::Noise1 => {
            let ch = PauliChannel::for_gate(gate, &ins.args, false);
            if ch.trial.p > 0.0 {
                ops.push(Op::Noise1(ch, qubits(ins)));
            }
        }
        GateKind::Noise2 => {
            let ch = PauliChannel::for_gate(gate, &ins.args, true);
            if ch.trial.p > 0.0 {
                let q = qubits(ins);
                ops.push(Op::Noise2(ch, q.chunks(2).map(|p| (p[0], p[1])).collect()));
            }
        }
        GateKind::Correlated { else_branch } => {
            ops.push(Op::Correlated {
                trial: Bernoulli::new(ins.args[0]),
                else_branch,
                paulis: pauli_targets(ins),
            });
        }
        GateKind::MeasurePad => ops.push(Op::Pad {
            flip: Bernoulli::new(ins.args.first().copied().unwrap_or(0.0)),
            count: ins.targets.len() as u64,
        }),
        GateKind::HeraldedNoise => ops.push(Op::Herald(
            PauliChannel::for_gate(gate, &ins.args, false),
            qubits(ins),
        )),
        GateKind::Detector => ops.push(Op::Detector(records(ins))),
        GateKind::ObservableInclude => ops.push(Op::Observable(
            ins.args[0] as u32,
            records(ins),
            pauli_targets(ins),
        )),
        GateKind::QubitCoords
        | GateKind::ShiftCoords
        | GateKind::Tick
        | GateKind::IdentityNoise => {}
    }
    Ok(())
}

/// Two-qubit Cliffords: runs of quantum pairs become kernel ops, record-controlled pairs become
/// feedback ops, in the order they appear.
fn compile_two_qubit(ins: &Instruction, ops: &mut Vec<Op>) {
    let action = ins.gate.clifford_action().expect("Clifford");
    let kernel = Kernel2::from_action(action);
    for pair in ins.targets.chunks(2) {
        match (pair[0], pair[1]) {
            (Target::Rec(k) | Target::Sweep(k), t) | (t, Target::Rec(k) | Target::Sweep(k)) => {
                let slot = usize::from(matches!(pair[0], Target::Qubit { .. }));
                // The Pauli applied when the control bit is 1: image of X on the control's slot,
                // restricted to the other slot.
                let (ix, iz) = action.map_bits(1 << slot, 0);
                let other = 1 - slot;
                let q = t.qubit_index().expect("qubit");
                let entry = (k, q, ix >> other & 1 == 1, iz >> other & 1 == 1);
                let sweep = matches!(pair[slot], Target::Sweep(_));
                match (ops.last_mut(), sweep) {
                    (Some(Op::Feedback(list)), false) | (Some(Op::SweepControlled(list)), true) => {
                        list.push(entry)
                    }
                    (_, false) => ops.push(Op::Feedback(vec![entry])),
                    (_, true) => ops.push(Op::SweepControlled(vec![entry])),
                }
            }
            (a, b) => {
                let entry = (
                    a.qubit_index().expect("qubit"),
                    b.qubit_index().expect("qubit"),
                );
                match ops.last_mut() {
                    Some(Op::Gate2(k, list)) if *k == kernel => list.push(entry),
                    _ => ops.push(Op::Gate2(kernel, vec![entry])),
                }
            }
        }
    }
}
