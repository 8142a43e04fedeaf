//! Flagged stabilizer measurement on a [`Layout`], and memory-experiment circuits.
//!
//! Each face measures its X stabilizer, then its Z stabilizer, with a GHZ-type encoding of its
//! ancilla tree (the scheme Chamberland and Noh, npj Quantum Inf. 6, 91 (2020), use on the
//! redundant layout):
//!
//! 1. reset the root in |+> and the flags in |0>; CNOT down the tree (a cat state);
//! 2. CNOT from each ancilla to each data qubit it touches (X^{⊗w} controlled on the cat);
//! 3. undo the tree; measure the root in X (the stabilizer value) and the flags in Z.
//!
//! The Z stabilizer is the same circuit conjugated by Hadamards (roles of X and Z swapped,
//! CNOTs reversed). Without faults the flags read 0. A single ancilla fault that spreads to two
//! or more data qubits leaves a pattern on the tree that is neither all-zero nor all-one, which
//! the undone tree maps onto some flag; all-one patterns act as the stabilizer itself. So a
//! single fault leaves a data error of weight <= 1 or raises a flag (checked by enumeration in
//! `tests/color_circuits.rs`).
//!
//! Gates are placed as early as possible in program order, qubit by qubit ("as soon as
//! possible" list scheduling); on every data qubit all X-stabilizer gates precede all
//! Z-stabilizer gates, so the interleaving of faces is equivalent to measuring them one by one.

mod memory;

pub use memory::{coords_of, memory_circuit, round_circuit, round_circuit_of, Memory, Task};

use crate::code::Pauli;
use crate::layout::{Layout, Role};

/// One gate on one or two qubits, named as in the gate table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub gate: &'static str,
    pub qubits: Vec<usize>,
}

fn op(gate: &'static str, qubits: &[usize]) -> Op {
    Op {
        gate,
        qubits: qubits.to_vec(),
    }
}

/// What a measurement of the round means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasureInfo {
    pub qubit: usize,
    /// Index into `layout.faces`.
    pub face: usize,
    /// Which stabilizer type this measurement belongs to.
    pub basis: Pauli,
    pub role: Role,
}

/// The gates of a time step.
pub type Layer = Vec<Op>;

/// A scheduled piece of circuit: layers of gates on distinct qubits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schedule {
    pub layers: Vec<Layer>,
}

impl Schedule {
    /// Places each op in the first layer after every earlier op on its qubits.
    pub fn asap(ops: Vec<Op>, num_qubits: usize) -> Schedule {
        let times = Schedule::asap_times(&ops, num_qubits);
        let mut layers: Vec<Layer> =
            vec![Vec::new(); times.iter().map(|t| t + 1).max().unwrap_or(0)];
        for (o, t) in ops.into_iter().zip(times) {
            layers[t].push(o);
        }
        Schedule { layers }
    }

    /// The layer [`Schedule::asap`] gives each op.
    pub fn asap_times<'a>(ops: impl IntoIterator<Item = &'a Op>, num_qubits: usize) -> Vec<usize> {
        let mut free_at = vec![0usize; num_qubits];
        ops.into_iter()
            .map(|o| {
                let t = o.qubits.iter().map(|&q| free_at[q]).max().unwrap_or(0);
                for &q in &o.qubits {
                    free_at[q] = t + 1;
                }
                t
            })
            .collect()
    }

    pub fn depth(&self) -> usize {
        self.layers.len()
    }
}

/// The gate names for one stabilizer type: (root reset, flag reset, root measure, flag measure).
fn basis_gates(basis: Pauli) -> [&'static str; 4] {
    match basis {
        Pauli::X => ["RX", "R", "MX", "M"],
        Pauli::Z => ["R", "RX", "M", "MX"],
    }
}

/// CNOT between ancilla `a` and data or ancilla `b` for a stabilizer of type `basis`: X-type
/// checks copy X from ancilla to target; Z-type checks are the Hadamard-conjugate.
fn directed(basis: Pauli, a: usize, b: usize) -> Op {
    match basis {
        Pauli::X => op("CX", &[a, b]),
        Pauli::Z => op("CX", &[b, a]),
    }
}

/// The encoding tree's edges in an order that undoes it: a child's own subtree before the edge
/// to its parent (those CNOTs do not commute), siblings in encoding order (CNOTs from one control
/// commute), so the ancilla encoded first, which finishes its data gates first, is undone first.
fn post_order(tree: &[(usize, usize)]) -> Vec<(usize, usize)> {
    fn visit(node: usize, tree: &[(usize, usize)], out: &mut Vec<(usize, usize)>) {
        for &(p, c) in tree.iter().filter(|e| e.0 == node) {
            visit(c, tree, out);
            out.push((p, c));
        }
    }
    let mut out = Vec::with_capacity(tree.len());
    if let Some(&(root, _)) = tree.first() {
        visit(root, tree, &mut out);
    }
    out
}

/// How a face's encoding tree is undone after its data gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Undo {
    /// Exactly the encoding CNOTs in reverse order.
    Reverse,
    /// Subtrees first, siblings in encoding order (see `post_order`).
    PostOrder,
}

fn undo_edges(tree: &[(usize, usize)], undo: Undo) -> Vec<(usize, usize)> {
    match undo {
        Undo::Reverse => tree.iter().rev().copied().collect(),
        Undo::PostOrder => post_order(tree),
    }
}

/// The ops of one round of flagged syndrome measurement, in program order, with whichever way
/// of undoing the trees gives the shorter schedule over a few overlapping rounds (both are the
/// same unitary; which is faster depends on how faces' data gates interleave).
pub fn round_ops(layout: &Layout) -> Vec<Op> {
    round_ops_in(layout, &layout.face_order)
}

/// [`round_ops`] with the faces' data gates in `order`.
fn round_ops_in(layout: &Layout, order: &[usize]) -> Vec<Op> {
    let depth = |ops: &Vec<Op>| {
        let repeated: Vec<Op> = (0..4).flat_map(|_| ops.iter().cloned()).collect();
        Schedule::asap(repeated, layout.num_qubits()).depth()
    };
    [Undo::Reverse, Undo::PostOrder]
        .iter()
        .map(|&u| round_ops_ordered(layout, u, order))
        .min_by_key(depth)
        .expect("two candidates")
}

/// The ops of one round, undoing the trees as `undo` says, data gates in the layout's
/// `face_order`.
pub fn round_ops_with(layout: &Layout, undo: Undo) -> Vec<Op> {
    round_ops_ordered(layout, undo, &layout.face_order)
}

/// Shuffled face orders tried by [`shortest_face_order`].
const ORDERS_TRIED: u64 = 300;

/// The order of the faces' data gates (see [`round_ops_ordered`]) that gives the shortest
/// schedule of `between` (e.g. a global Hadamard measurement) between rounds: round, then
/// `between`, round, `between`, round (just the round when `between` is empty), as early as
/// possible, among the given order and [`ORDERS_TRIED`] shuffles (fixed seed, xorshift). Ties go
/// to the shorter round alone. With `between` the search favours orders whose faces finish
/// where the next stage starts (the GHZ root first), so consecutive stages overlap.
pub fn shortest_face_order(layout: &Layout, between: &[Op]) -> Vec<usize> {
    let n = layout.num_qubits();
    let depth = |order: &[usize]| {
        let round = round_ops_in(layout, order);
        let alone = Schedule::asap(round.clone(), n).depth();
        if between.is_empty() {
            return (alone, alone);
        }
        let mut ops = round.clone();
        for _ in 0..2 {
            ops.extend(between.iter().cloned());
            ops.extend(round.iter().cloned());
        }
        (Schedule::asap(ops, n).depth(), alone)
    };
    let mut best = layout.face_order.clone();
    let mut best_depth = depth(&best);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..ORDERS_TRIED {
        let mut order: Vec<usize> = (0..layout.faces.len()).collect();
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let t = depth(&order);
        if t < best_depth {
            (best, best_depth) = (order, t);
        }
    }
    best
}

/// [`round_ops_with`] with the faces' data gates issued in `order` (indices into
/// `layout.faces`) within each slot: the order decides which face waits when two want the same
/// data qubit.
pub fn round_ops_ordered(layout: &Layout, undo: Undo, order: &[usize]) -> Vec<Op> {
    let mut ops = Vec::new();
    for basis in [Pauli::X, Pauli::Z] {
        let [root_reset, flag_reset, _, _] = basis_gates(basis);
        for f in &layout.faces {
            ops.push(op(root_reset, &[f.root]));
            ops.extend(f.flags().iter().map(|&q| op(flag_reset, &[q])));
        }
        for f in &layout.faces {
            ops.extend(f.tree.iter().map(|&(p, c)| directed(basis, p, c)));
        }
        // First touches of every ancilla, then second touches: this spreads the data gates.
        let slots = layout
            .faces
            .iter()
            .flat_map(|f| f.touches.iter().map(Vec::len));
        for slot in 0..slots.max().unwrap_or(0) {
            for f in order.iter().map(|&k| &layout.faces[k]) {
                for (a, touched) in f.ancillas.iter().zip(&f.touches) {
                    if let Some(&q) = touched.get(slot) {
                        ops.push(directed(basis, *a, q));
                    }
                }
            }
        }
        for f in &layout.faces {
            let edges = undo_edges(&f.tree, undo);
            ops.extend(edges.iter().map(|&(p, c)| directed(basis, p, c)));
        }
        let [_, _, root_measure, flag_measure] = basis_gates(basis);
        for f in &layout.faces {
            ops.push(op(root_measure, &[f.root]));
            ops.extend(f.flags().iter().map(|&q| op(flag_measure, &[q])));
        }
    }
    ops
}

/// Meaning of a measurement op `o` of [`round_ops`] (None for other ops).
pub fn measure_info(layout: &Layout, o: &Op) -> Option<MeasureInfo> {
    if !o.gate.starts_with('M') {
        return None;
    }
    let q = o.qubits[0];
    let face = layout.faces.iter().position(|f| f.ancillas.contains(&q))?;
    let role = layout.roles[q];
    // The root is measured in the stabilizer's basis, flags in the other one.
    let basis = match (role, o.gate == "MX") {
        (Role::Syndrome, true) | (Role::Flag, false) => Pauli::X,
        _ => Pauli::Z,
    };
    Some(MeasureInfo {
        qubit: q,
        face,
        basis,
        role,
    })
}

/// The time steps of one syndrome-measurement round on `layout`.
pub fn round_depth(layout: &Layout) -> usize {
    Schedule::asap(round_ops(layout), layout.num_qubits()).depth()
}
