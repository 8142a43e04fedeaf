//! Magic-state preparation circuits: the global Hadamard measurement of Chamberland and Noh,
//! "Very low overhead fault-tolerant magic state preparation using redundant ancilla encoding
//! and flag qubits", npj Quantum Inf. 6, 91 (2020). Design notes: `docs/hadamard-prep.md`.
//!
//! The 6.6.6 color code is self-dual, so transversal H is the logical Hadamard and a measurement
//! of H^{⊗n} projects a code state onto |H>_L (outcome +1) or |H⊥>_L. The single control qubit
//! of that controlled-H^{⊗n} is spread over the ancillas as a GHZ state ("redundant ancilla
//! encoding"), each data qubit gets one CH from an adjacent ancilla, the GHZ state is unwound
//! and its root measured in X; the other ancillas are measured in Z and act as flags.
//!
//! The GHZ tree may only use ancilla-ancilla couplings of the layout. The layouts of
//! [`crate::layout`] couple ancillas only inside a face, so on them [`hadamard_ops`] reports the
//! disconnected faces; [`bridged`] adds one ancilla-ancilla coupling per pair of faces in a
//! spanning tree of the face adjacency, between two ancillas next to a shared data qubit (the
//! extra couplings the paper's hardware graph would need; see the design note).

mod prep;
mod score;

pub use prep::{
    proxy_prep, residual_pauli, ChModel, HadamardPrep, PrepDecoder, HADAMARD_COORD, TAIL_COORD,
};
pub use score::HadamardScore;

use crate::circuit::{Circuit, Instruction, Item, Target};
use crate::gates::GateId;
use crate::layout::{Layout, Role};
use crate::schedule::{Op, Schedule};
use petgraph::graph::NodeIndex;
use std::collections::VecDeque;

fn op(gate: &'static str, qubits: &[usize]) -> Op {
    Op {
        gate,
        qubits: qubits.to_vec(),
    }
}

/// The ancillas of a layout (every qubit that is not data).
pub fn ancillas(layout: &Layout) -> Vec<usize> {
    (0..layout.num_qubits())
        .filter(|&q| layout.roles[q] != Role::Data)
        .collect()
}

/// Ancilla neighbours of qubit `q` in the coupling graph, in ascending order.
fn ancilla_neighbours(layout: &Layout, q: usize) -> Vec<usize> {
    let mut out: Vec<usize> = layout
        .graph
        .neighbors(NodeIndex::new(q))
        .map(|n| n.index())
        .filter(|&a| layout.roles[a] != Role::Data)
        .collect();
    out.sort_unstable();
    out
}

/// Breadth-first tree over ancilla-ancilla couplings from `root`: (parent, child) edges in BFS
/// order and the depth of every reached ancilla (None if unreached).
fn ancilla_bfs(layout: &Layout, root: usize) -> (Vec<(usize, usize)>, Vec<Option<usize>>) {
    let mut depth = vec![None; layout.num_qubits()];
    depth[root] = Some(0);
    let mut queue = VecDeque::from([root]);
    let mut edges = Vec::new();
    while let Some(a) = queue.pop_front() {
        for b in ancilla_neighbours(layout, a) {
            if depth[b].is_none() {
                depth[b] = depth[a].map(|t| t + 1);
                edges.push((a, b));
                queue.push_back(b);
            }
        }
    }
    (edges, depth)
}

/// Connected components of the ancilla-ancilla coupling graph, each sorted, by first ancilla.
pub fn ancilla_components(layout: &Layout) -> Vec<Vec<usize>> {
    let mut seen = vec![false; layout.num_qubits()];
    let mut out = Vec::new();
    for a in ancillas(layout) {
        if seen[a] {
            continue;
        }
        let (_, depth) = ancilla_bfs(layout, a);
        let comp: Vec<usize> = (0..depth.len()).filter(|&q| depth[q].is_some()).collect();
        for &q in &comp {
            seen[q] = true;
        }
        out.push(comp);
    }
    out
}

/// Height of the subtree below every node of a tree given as (parent, child) edges.
fn subtree_heights(tree: &[(usize, usize)], n: usize) -> Vec<usize> {
    let mut height = vec![0usize; n];
    // Children follow their parents in BFS order, so a reverse sweep sees children first.
    for &(p, c) in tree.iter().rev() {
        height[p] = height[p].max(height[c] + 1);
    }
    height
}

/// The tree's edges in encoding order: level by level, each parent serving its deeper subtrees
/// first (a parent sends one CX per time step, so the longest branch should start earliest).
fn encoding_order(tree: &[(usize, usize)], n: usize) -> Vec<(usize, usize)> {
    let height = subtree_heights(tree, n);
    let mut level = vec![0usize; n];
    for &(p, c) in tree {
        level[c] = level[p] + 1;
    }
    let mut edges = tree.to_vec();
    edges.sort_by_key(|&(p, c)| (level[p], p, std::cmp::Reverse(height[c]), c));
    edges
}

/// The GHZ root and encoding tree: the breadth-first tree (in [`encoding_order`]) from whichever
/// ancilla gives the shortest whole measurement; None if the ancillas are not connected.
fn ghz_tree(layout: &Layout) -> Option<(usize, Vec<(usize, usize)>)> {
    let all = ancillas(layout);
    all.iter()
        .filter_map(|&root| {
            let (edges, depth) = ancilla_bfs(layout, root);
            let reached = depth.iter().flatten().count();
            (reached == all.len()).then(|| (root, encoding_order(&edges, layout.num_qubits())))
        })
        .min_by_key(|(root, tree)| {
            let ops = ops_with_tree(layout, *root, tree);
            (Schedule::asap(ops, layout.num_qubits()).depth(), *root)
        })
}

/// The GHZ encoding tree's (parent, child) edges in encoding order (empty if there is none).
pub fn ghz_tree_edges(layout: &Layout) -> Vec<(usize, usize)> {
    ghz_tree(layout).map_or(Vec::new(), |(_, tree)| tree)
}

/// The GHZ root and the first ancilla it entangles (the pair whose X(x)X is a stabilizer right
/// after their CX), or None if the layout has no GHZ tree.
pub fn ghz_first_pair(layout: &Layout) -> Option<(usize, usize)> {
    ghz_tree(layout).and_then(|(_, tree)| tree.first().copied())
}

/// For every data qubit, the ancilla that applies its CH: an adjacent ancilla, chosen greedily
/// as the least-loaded one (fewest CHs so far, then lowest index), so no ancilla controls more
/// data qubits than it must.
pub fn ch_controls(layout: &Layout) -> Vec<usize> {
    let mut load = vec![0usize; layout.num_qubits()];
    (0..layout.num_data())
        .map(|q| {
            let a = ancilla_neighbours(layout, q)
                .into_iter()
                .min_by_key(|&a| (load[a], a))
                .expect("every data qubit of the redundant layout has an adjacent ancilla");
            load[a] += 1;
            a
        })
        .collect()
}

/// The ops of one global Hadamard measurement: reset the GHZ root in |+> and the other ancillas
/// in |0>, CX down the GHZ tree, `CH ancilla data` on every data qubit, CX up the tree in reverse,
/// measure the root in X (+1 = projected onto |H>_L) and the other ancillas in Z (flags, 0
/// without faults). Err names the disconnected ancilla groups if the layout has no GHZ tree.
pub fn hadamard_ops(layout: &Layout) -> Result<Vec<Op>, String> {
    let Some((root, tree)) = ghz_tree(layout) else {
        let comps = ancilla_components(layout);
        return Err(format!(
            "the ancillas of this layout form {} disconnected groups (ancilla-ancilla couplings \
             only inside faces, first group {:?}); a GHZ state over all of them needs couplings \
             between faces",
            comps.len(),
            comps[0]
        ));
    };
    Ok(ops_with_tree(layout, root, &tree))
}

/// [`hadamard_ops`] for a given GHZ root and encoding tree.
fn ops_with_tree(layout: &Layout, root: usize, tree: &[(usize, usize)]) -> Vec<Op> {
    let others: Vec<usize> = ancillas(layout)
        .into_iter()
        .filter(|&a| a != root)
        .collect();
    let mut ops = vec![op("RX", &[root])];
    ops.extend(others.iter().map(|&a| op("R", &[a])));
    ops.extend(tree.iter().map(|&(p, c)| op("CX", &[p, c])));
    for (q, a) in ch_controls(layout).into_iter().enumerate() {
        ops.push(op("CH", &[a, q]));
    }
    ops.extend(tree.iter().rev().map(|&(p, c)| op("CX", &[p, c])));
    ops.push(op("MX", &[root]));
    ops.extend(others.iter().map(|&a| op("M", &[a])));
    ops
}

/// Emits a schedule as a circuit: each op its own instruction, a TICK after every layer.
pub fn schedule_circuit(schedule: &Schedule) -> Circuit {
    let mut c = Circuit::new();
    for layer in &schedule.layers {
        for o in layer {
            let targets = o.qubits.iter().map(|&q| Target::qubit(q as u32)).collect();
            c.push(Instruction::new(GateId::named(o.gate), vec![], targets));
        }
        c.push(Instruction::new(GateId::named("TICK"), vec![], vec![]));
    }
    c
}

/// One global Hadamard measurement on `layout`, gates as early as possible, every two-qubit
/// gate checked against the layout's couplings. Its measurements: one MX (the GHZ root; 0 =
/// outcome +1) and one M per other ancilla (flags), in the order their qubits finish.
pub fn hadamard_measurement(layout: &Layout) -> Result<Circuit, String> {
    let ops = hadamard_ops(layout)?;
    let circuit = schedule_circuit(&Schedule::asap(ops, layout.num_qubits()));
    layout.check_couplings(&circuit)?;
    Ok(circuit)
}

/// Time steps (TICKs) of one global Hadamard measurement on `layout`.
pub fn hadamard_depth(layout: &Layout) -> Result<usize, String> {
    Ok(Schedule::asap(hadamard_ops(layout)?, layout.num_qubits()).depth())
}

/// Pairs of faces (indices into `layout.faces`) that share a data qubit, with that qubit.
fn face_contacts(layout: &Layout) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for (i, f) in layout.faces.iter().enumerate() {
        for (j, g) in layout.faces.iter().enumerate().skip(i + 1) {
            if let Some(&q) = f.data.iter().find(|q| g.data.contains(q)) {
                out.push((i, j, q));
            }
        }
    }
    out
}

/// The ancilla of a face that touches data qubit `q` (None if none does).
fn toucher(layout: &Layout, face: usize, q: usize) -> Option<usize> {
    let f = &layout.faces[face];
    f.ancillas
        .iter()
        .zip(&f.touches)
        .find(|(_, t)| t.contains(&q))
        .map(|(&a, _)| a)
}

/// Breadth-first tree of the face adjacency from face `start`: (face, neighbour face, shared data
/// qubit) per tree edge, and the tree's height.
fn face_tree(layout: &Layout, start: usize) -> (Vec<(usize, usize, usize)>, usize) {
    let contacts = face_contacts(layout);
    let mut level: Vec<Option<usize>> = vec![None; layout.faces.len()];
    level[start] = Some(0);
    let mut queue = VecDeque::from([start]);
    let mut edges = Vec::new();
    while let Some(f) = queue.pop_front() {
        for &(i, j, q) in &contacts {
            let g = if i == f {
                j
            } else if j == f {
                i
            } else {
                continue;
            };
            if level[g].is_none() {
                level[g] = level[f].map(|l| l + 1);
                edges.push((f, g, q));
                queue.push_back(g);
            }
        }
    }
    (edges, level.iter().flatten().max().copied().unwrap_or(0))
}

/// Ancilla pairs that would join the faces' ancilla trees into one connected graph: a spanning
/// tree of the face adjacency (faces sharing a data qubit, breadth-first from the most central
/// face), each edge realised between the two ancillas that touch the shared data qubit. These
/// couplings are NOT in [`Layout::new`]'s graph.
pub fn face_bridges(layout: &Layout) -> Vec<(usize, usize)> {
    let Some(start) = (0..layout.faces.len()).min_by_key(|&f| (face_tree(layout, f).1, f)) else {
        return Vec::new();
    };
    face_tree(layout, start)
        .0
        .into_iter()
        .filter_map(|(f, g, q)| Some((toucher(layout, f, q)?, toucher(layout, g, q)?)))
        .collect()
}

/// A copy of `layout` with the [`face_bridges`] couplings added.
pub fn bridged(layout: &Layout) -> Layout {
    let mut out = layout.clone();
    for (a, b) in face_bridges(layout) {
        out.graph.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
    }
    out
}

/// Tag that marks a `CX` standing in for a `CH` in a [`proxy`] circuit.
pub const PROXY_TAG: &str = "proxy:CH";

/// The Clifford proxy of a magic-state circuit (Stim-compatible): every `CH` becomes `CX[proxy:CH]`
/// on the same pair, so the global Hadamard measurement becomes a measurement of X^{(x)n} = X_L
/// with the same gates, time steps and fault locations. Loops are kept.
pub fn proxy(circuit: &Circuit) -> Circuit {
    let items = circuit
        .items
        .iter()
        .map(|item| match item {
            Item::Instruction(ins) if ins.gate.name() == "CH" => {
                let mut cx = ins.clone();
                cx.gate = GateId::named("CX");
                cx.tag = PROXY_TAG.to_string();
                Item::Instruction(cx)
            }
            Item::Repeat(r) => {
                let mut r = r.clone();
                r.body = proxy(&r.body);
                Item::Repeat(r)
            }
            other => other.clone(),
        })
        .collect();
    Circuit { items }
}

/// Time steps of one |H> preparation attempt at distance d, read off the generated circuit (the
/// resource estimate takes T_d = `attempt` from here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrepTiming {
    /// Injection and growth (error-detection round included).
    pub grow: usize,
    /// One global Hadamard measurement.
    pub hadamard: usize,
    /// One flagged stabilizer round.
    pub round: usize,
    /// The whole attempt as generated (`gen --stats`): the (d-1)/2 Hadamard measurements and
    /// rounds are scheduled together as early as possible, so they overlap and the attempt is
    /// shorter than grow + (d-1)/2 (hadamard + round).
    pub attempt: usize,
}

/// [`PrepTiming`] of the distance-`d` protocol ([`HadamardPrep`]).
pub fn prep_timing(d: usize) -> Result<PrepTiming, String> {
    Ok(HadamardPrep::new(d)?.timing)
}
