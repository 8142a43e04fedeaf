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
use crate::layout::{FaceAncillas, Layout, Role};

/// One gate on one or two qubits, named as in the gate table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub gate: &'static str,
    pub qubits: Qubits,
}

impl Op {
    /// Gate `gate` on `qubits` (one or two).
    pub fn new(gate: &'static str, qubits: &[usize]) -> Op {
        Op {
            gate,
            qubits: Qubits::new(qubits),
        }
    }
}

/// The one or two qubits of an [`Op`], kept inline: the layout searches build and score
/// thousands of rounds, and a heap list per gate was most of their time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Qubits {
    q: [usize; 2],
    len: u8,
}

impl Qubits {
    /// `qubits` (one or two; more is a bug in the caller).
    pub fn new(qubits: &[usize]) -> Qubits {
        assert!(
            (1..=2).contains(&qubits.len()),
            "a scheduled gate acts on one or two qubits"
        );
        Qubits {
            q: [qubits[0], qubits[qubits.len() - 1]],
            len: qubits.len() as u8,
        }
    }
}

impl std::ops::Deref for Qubits {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.q[..self.len as usize]
    }
}

impl<'a> IntoIterator for &'a Qubits {
    type Item = &'a usize;
    type IntoIter = std::slice::Iter<'a, usize>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
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
        asap_layers(ops, num_qubits).collect()
    }

    pub fn depth(&self) -> usize {
        self.layers.len()
    }

    /// The depth [`Schedule::asap`] would give `ops`, without building it (the layout searches
    /// score thousands of candidates this way).
    pub fn asap_depth<'a>(ops: impl IntoIterator<Item = &'a Op>, num_qubits: usize) -> usize {
        asap_layers(ops, num_qubits)
            .map(|t| t + 1)
            .max()
            .unwrap_or(0)
    }
}

/// Each op's layer as [`Schedule::asap`] places it: the first after every earlier op on its
/// qubits.
fn asap_layers<'a, I: IntoIterator<Item = &'a Op>>(
    ops: I,
    num_qubits: usize,
) -> impl Iterator<Item = usize> + use<'a, I> {
    let mut free_at = vec![0usize; num_qubits];
    ops.into_iter().map(move |o| {
        let t = o.qubits.iter().map(|&q| free_at[q]).max().unwrap_or(0);
        for &q in &o.qubits {
            free_at[q] = t + 1;
        }
        t
    })
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
        Pauli::X => Op::new("CX", &[a, b]),
        Pauli::Z => Op::new("CX", &[b, a]),
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
    let depth = |ops: &Vec<Op>| Schedule::asap_depth((0..4).flat_map(|_| ops), layout.num_qubits());
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

/// Steps of the local search of [`shortest_round`].
const SEARCH_STEPS: u64 = 3000;

/// Xorshift stream for the searches here (fixed seed: the layouts are reproducible).
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, k: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % k as u64) as usize
    }
}

/// The encoding tree of a ring of 6 ancillas (`ring` in cyclic order) from `ring[root]`: both
/// neighbours, their outer neighbours, and the opposite ancilla from the outer neighbour on
/// side `+1` or `-1` (`side`); breadth-first order.
fn ring_tree(ring: &[usize], root: usize, side: bool) -> Vec<(usize, usize)> {
    let at = |k: isize| ring[(root as isize + k).rem_euclid(6) as usize];
    let far = if side { 2 } else { -2 };
    vec![
        (at(0), at(1)),
        (at(0), at(-1)),
        (at(1), at(2)),
        (at(-1), at(-2)),
        (at(far), at(3)),
    ]
}

/// A random variant of one face's round that measures the same stabilizers with the same
/// flags: each ancilla's two data gates in either order; each tree's edges in a random order
/// that keeps parents first (siblings are encoded in either order); on a ring, the opposite
/// ancilla hung from either side.
fn vary_face(f: &mut FaceAncillas, rng: &mut Xorshift) {
    for t in &mut f.touches {
        if rng.below(2) == 1 {
            t.reverse();
        }
    }
    let ring = f.ancillas.len() == 6;
    for basis in [Pauli::X, Pauli::Z] {
        let root = f.root_of(basis);
        let mut tree: Vec<(usize, usize)> = if ring {
            let pos = f.ancillas.iter().position(|&a| a == root).expect("root");
            ring_tree(&f.ancillas, pos, rng.below(2) == 1)
        } else {
            f.tree_of(basis).to_vec()
        };
        let level = |tree: &[(usize, usize)], mut c: usize| {
            let mut l = 0;
            while let Some(&(p, _)) = tree.iter().find(|e| e.1 == c) {
                (c, l) = (p, l + 1);
            }
            l
        };
        let keys: Vec<(usize, usize)> = tree
            .iter()
            .map(|e| (level(&tree, e.1), rng.below(1 << 16)))
            .collect();
        let mut order: Vec<usize> = (0..tree.len()).collect();
        order.sort_by_key(|&k| keys[k]);
        tree = order.iter().map(|&k| tree[k]).collect();
        match basis {
            Pauli::X => f.tree = tree,
            Pauli::Z => f.z_tree = tree,
        }
    }
}

/// The faces' round variants ([`vary_face`]) and data-gate order (see [`round_ops_ordered`])
/// that give the shortest round alone, then the shortest schedule of `between` (e.g. a global
/// Hadamard measurement) between rounds: round, `between`, round, `between`, round, as early
/// as possible. A local search from the layout's own faces and order ([`SEARCH_STEPS`] moves,
/// fixed seed): a move re-draws one face's variant or swaps two faces in the order, and is kept
/// unless it makes the schedule longer. With `between` the search favours rounds whose faces
/// finish where the next stage starts, so consecutive stages overlap.
pub fn shortest_round(layout: &mut Layout, between: &[Op]) {
    shortest_round_by(layout, between, RoundSearch::default());
}

/// How long [`shortest_round`] searches, from which seed, and whether ties go to the round whose
/// last steps are least crowded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundSearch {
    pub steps: u64,
    pub seed: u64,
    /// Among equal lengths prefer the round with less work late (sum of 4^step over its ops):
    /// fewer critical paths, so a later move can shorten it.
    pub crowd: bool,
}

impl Default for RoundSearch {
    fn default() -> RoundSearch {
        RoundSearch {
            steps: SEARCH_STEPS,
            seed: 0x2545_F491_4F6C_DD1D,
            crowd: false,
        }
    }
}

/// [`shortest_round`] with the search of `search`.
pub fn shortest_round_by(layout: &mut Layout, between: &[Op], search: RoundSearch) {
    let n = layout.num_qubits();
    let score = |layout: &Layout, order: &[usize]| {
        let round = round_ops_in(layout, order);
        let times = Schedule::asap_times(&round, n);
        let alone = times.iter().max().map_or(0, |t| t + 1);
        let crowd: u128 = if search.crowd {
            times.iter().map(|&t| 4u128.pow(t as u32)).sum()
        } else {
            0
        };
        if between.is_empty() {
            return (alone, alone, crowd);
        }
        let twice = (0..2).flat_map(|_| between.iter().chain(&round));
        (
            alone,
            Schedule::asap_depth(round.iter().chain(twice), n),
            crowd,
        )
    };
    let mut order = layout.face_order.clone();
    let mut best = score(layout, &order);
    let mut rng = Xorshift(search.seed | 1);
    let faces = layout.faces.len();
    // At large d (minutes at d = 101) the search says how far it is, once it has run a while.
    let start = std::time::Instant::now();
    let mut progress = None;
    let note = format!("{n} qubits");
    for step in 0..search.steps {
        if progress.is_none() && start.elapsed().as_secs_f64() > PROGRESS_AFTER_SECONDS {
            let what = "layout: shortest-round search";
            progress = Some(crate::progress::Steps::resume(what, search.steps, step));
        }
        if let Some(p) = progress.as_mut() {
            p.step(&note);
        }
        let mut new_order = order.clone();
        let mut changed = None;
        if rng.below(2) == 0 {
            let f = rng.below(faces);
            let old = layout.faces[f].clone();
            vary_face(&mut layout.faces[f], &mut rng);
            changed = Some((f, old));
        } else {
            new_order.swap(rng.below(faces), rng.below(faces));
        }
        let s = score(layout, &new_order);
        if s <= best {
            (best, order) = (s, new_order);
        } else if let Some((f, old)) = changed {
            layout.faces[f] = old;
        }
    }
    if let Some(p) = progress {
        p.finish();
    }
    layout.face_order = order;
}

/// Seconds the round search runs silently before it shows progress.
const PROGRESS_AFTER_SECONDS: f64 = 2.0;

/// [`round_ops_with`] with the faces' data gates issued in `order` (indices into
/// `layout.faces`) within each slot: the order decides which face waits when two want the same
/// data qubit.
pub fn round_ops_ordered(layout: &Layout, undo: Undo, order: &[usize]) -> Vec<Op> {
    let mut ops = Vec::new();
    for basis in [Pauli::X, Pauli::Z] {
        let [root_reset, flag_reset, _, _] = basis_gates(basis);
        for f in &layout.faces {
            ops.push(Op::new(root_reset, &[f.root_of(basis)]));
            ops.extend(f.flags_of(basis).map(|q| Op::new(flag_reset, &[q])));
        }
        for f in &layout.faces {
            ops.extend(f.tree_of(basis).iter().map(|&(p, c)| directed(basis, p, c)));
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
            let edges = undo_edges(f.tree_of(basis), undo);
            ops.extend(edges.iter().map(|&(p, c)| directed(basis, p, c)));
        }
        let [_, _, root_measure, flag_measure] = basis_gates(basis);
        for f in &layout.faces {
            ops.push(Op::new(root_measure, &[f.root_of(basis)]));
            ops.extend(f.flags_of(basis).map(|q| Op::new(flag_measure, &[q])));
        }
    }
    ops
}

/// Meanings of the measurements of rounds ([`round_ops`]), given in the order each qubit is
/// measured (record order, or any order that keeps every qubit's own measurements in program
/// order). A round measures every ancilla once for the X stabilizers, then once for the Z
/// stabilizers, so a qubit's k-th measurement belongs to the X stabilizers for even k. Where a
/// face roots its two measurements at different ancillas (`FaceAncillas::z_root`) the gate
/// alone does not say which: the X root is measured in X as the X syndrome and again in X as a
/// flag of the Z measurement.
pub struct RoundMeanings<'a> {
    layout: &'a Layout,
    /// Measurements seen per qubit.
    seen: Vec<usize>,
}

impl<'a> RoundMeanings<'a> {
    pub fn new(layout: &'a Layout) -> RoundMeanings<'a> {
        RoundMeanings {
            layout,
            seen: vec![0; layout.num_qubits()],
        }
    }

    /// Meaning of the next measurement op `o` of the rounds (None for other ops).
    pub fn next(&mut self, o: &Op) -> Option<MeasureInfo> {
        if !o.gate.starts_with('M') {
            return None;
        }
        let q = o.qubits[0];
        let face = self
            .layout
            .faces
            .iter()
            .position(|f| f.ancillas.contains(&q))?;
        let basis = if self.seen[q].is_multiple_of(2) {
            Pauli::X
        } else {
            Pauli::Z
        };
        self.seen[q] += 1;
        let root = self.layout.faces[face].root_of(basis);
        Some(MeasureInfo {
            qubit: q,
            face,
            basis,
            role: if q == root {
                Role::Syndrome
            } else {
                Role::Flag
            },
        })
    }
}

/// The time steps of one syndrome-measurement round on `layout`.
pub fn round_depth(layout: &Layout) -> usize {
    Schedule::asap_depth(&round_ops(layout), layout.num_qubits())
}
