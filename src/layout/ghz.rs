//! The GHZ network of the global Hadamard measurement on the redundant layout: which
//! ancilla-ancilla couplings join the faces, the GHZ encoding tree, its time steps and the CH
//! controls.
//!
//! Chamberland and Noh (npj Quantum Inf. 6, 91 (2020)) spread the control of the controlled
//! H^{⊗n} over a GHZ state of ancillas ("redundant ancilla encoding") on the same planar,
//! nearest-neighbour hardware that measures the stabilizers. The authors' notebook
//! (github.com/einsteinchris/MagicStatePrep, `DataMagicStatePrepSim.nb`) gives 8 / 13 / 17 time
//! steps per Hadamard measurement at d = 3 / 5 / 7. A GHZ state grown from the lattice's centre
//! needs about twice the network's radius (encode, then undo) plus the CH steps, so that is
//! what we build:
//!
//! - candidate couplings: the faces' own ancilla couplings plus, around every data qubit, the
//!   pairs of ancillas (of different faces) that touch it (planar: they sit around the qubit);
//!   and, across every edge two faces share, one diagonal that crosses no other coupling;
//! - every ancilla takes at most [`MAX_INTER`] = 2 inter-face couplings (degree at most 5:
//!   weight-6 ancillas 1 data + 2 ring + 2; weight-4 flags 2 data + root + 2);
//! - breadth-first trees from a root, pruned to the ancillas that apply a CH and the paths to
//!   them; each parent serves the child that needs the most time first; then a local search
//!   ([`refine`]) that moves CHs between the ancillas touching a data qubit and re-hangs
//!   subtrees;
//! - on every ancilla its sends come first, then its CHs, then the CXs that undo its children,
//!   each as soon as the child's subtree is done ([`Slots`]); a mirrored undo is one such
//!   schedule. CXs and CHs controlled on one ancilla commute, so the unitary is unchanged.
//!
//! The shortest networks are judged inside the protocol (round, measurement, round, ...; see
//! [`design`]): the one that gives the shortest such schedule wins, then the shortest
//! measurement, then the fewest ancillas. [`Layout::new`] keeps it only if the exact engine
//! needs no more active qubits for it than for [`design_mirrored`] (mirrored breadth-first, the
//! construction before [`refine`]); with today's rounds that holds at d = 3, 5 and 7.

use super::{Layout, Role};
use crate::schedule::{round_ops, Op, Schedule};
use petgraph::graph::NodeIndex;
use std::collections::VecDeque;

/// One edge of the GHZ tree: how `child` joins the GHZ state and how it leaves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GhzEdge {
    pub parent: usize,
    pub child: usize,
    /// Step of the encoding CX from `parent` onto `child`.
    pub join: usize,
    /// Step at which the child leaves the GHZ state: the CX that undoes the edge (after the
    /// child's CHs and its own children's undoing, and after every CH of the parent), or the
    /// child's X measurement where `read_x` says so.
    pub leave: usize,
    /// Whether the child is a leaf read out in X: it entangles no other ancilla and leaves by
    /// an X measurement at `leave` instead of a CX from its parent. Its outcome joins the
    /// Hadamard outcome (the XOR of every X measurement of the network), and its parent need
    /// not wait for it.
    pub read_x: bool,
}

impl GhzEdge {
    /// An edge undone by a CX (not read out in X).
    pub fn undone(parent: usize, child: usize, join: usize, leave: usize) -> GhzEdge {
        GhzEdge {
            parent,
            child,
            join,
            leave,
            read_x: false,
        }
    }
}

/// The GHZ network of one layout, with the measurement's time steps: step 0 resets, steps
/// 1..M-1 are gates, step M measures (depth M + 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ghz {
    /// The GHZ root (reset in |+>, measured in X).
    pub root: usize,
    /// The tree's edges in encoding order.
    pub tree: Vec<GhzEdge>,
    /// For every data qubit, the ancilla applying its CH and the step.
    pub ch: Vec<(usize, usize)>,
    /// Step of the final measurements (the measurement takes `measure + 1` steps).
    pub measure: usize,
}

impl Ghz {
    /// The ops of one global Hadamard measurement on this network, in the order of its time
    /// steps: reset the root in |+> and the other members in |0>, CX down the tree, `CH
    /// ancilla data` on every data qubit, CX up the tree (each edge at its undo step; a leaf
    /// read out in X is measured in X there instead), measure the root in X and the other
    /// members in Z (flags, 0 without faults). The XOR of all X outcomes is 0 when the state
    /// was projected onto |H>_L.
    pub fn ops(&self) -> Vec<Op> {
        let op = Op::new;
        let members = self.members();
        let mut timed: Vec<(usize, Op)> = vec![(0, op("RX", &[self.root]))];
        timed.extend(members[1..].iter().map(|&a| (0, op("R", &[a]))));
        for e in &self.tree {
            let (p, c) = (e.parent, e.child);
            timed.push((e.join, op("CX", &[p, c])));
            let leave = if e.read_x {
                op("MX", &[c])
            } else {
                op("CX", &[p, c])
            };
            timed.push((e.leave, leave));
        }
        for (q, &(a, t)) in self.ch.iter().enumerate() {
            timed.push((t, op("CH", &[a, q])));
        }
        timed.push((self.measure, op("MX", &[self.root])));
        let flags = self.tree.iter().filter(|e| !e.read_x);
        timed.extend(flags.map(|e| (self.measure, op("M", &[e.child]))));
        // Stable: within a step, program order as pushed.
        timed.sort_by_key(|(t, _)| *t);
        timed.into_iter().map(|(_, o)| o).collect()
    }

    /// This network with every leaf (a member that entangles no other) read out in X at its
    /// undo step instead of undone there: the same steps, one gate and one flag fewer per leaf.
    /// The `redundant-ghz-x` network where no solver network is stored.
    pub fn with_leaves_read_in_x(mut self) -> Ghz {
        let parents: Vec<usize> = self.tree.iter().map(|e| e.parent).collect();
        for e in &mut self.tree {
            e.read_x = !parents.contains(&e.child);
        }
        self
    }

    /// The ancillas in the GHZ state, root first.
    pub fn members(&self) -> Vec<usize> {
        let mut out = vec![self.root];
        out.extend(self.tree.iter().map(|e| e.child));
        out
    }

    /// The couplings of the tree that join two faces.
    pub fn inter_face(&self, layout: &Layout) -> Vec<(usize, usize)> {
        let face_of = face_of_ancilla(layout);
        self.tree
            .iter()
            .filter(|e| face_of[e.parent] != face_of[e.child])
            .map(|e| (e.parent, e.child))
            .collect()
    }
}

/// The face (index into `layout.faces`) of every ancilla (usize::MAX for data).
fn face_of_ancilla(layout: &Layout) -> Vec<usize> {
    let mut out = vec![usize::MAX; layout.num_qubits()];
    for (f, face) in layout.faces.iter().enumerate() {
        for &a in &face.ancillas {
            out[a] = f;
        }
    }
    out
}

/// For every data qubit, the ancillas touching it (one per face containing it).
fn touchers(layout: &Layout) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); layout.num_data()];
    for f in &layout.faces {
        for (&a, touched) in f.ancillas.iter().zip(&f.touches) {
            for &q in touched {
                out[q].push(a);
            }
        }
    }
    out
}

/// Whether segments p1-p2 and p3-p4 cross at a point inside both (shared endpoints and
/// touching do not count).
pub fn segments_cross(p1: [f64; 2], p2: [f64; 2], p3: [f64; 2], p4: [f64; 2]) -> bool {
    let orient = |a: [f64; 2], b: [f64; 2], c: [f64; 2]| {
        (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    };
    let eps = 1e-9;
    let (d1, d2) = (orient(p3, p4, p1), orient(p3, p4, p2));
    let (d3, d4) = (orient(p1, p2, p3), orient(p1, p2, p4));
    ((d1 > eps && d2 < -eps) || (d1 < -eps && d2 > eps))
        && ((d3 > eps && d4 < -eps) || (d3 < -eps && d4 > eps))
}

/// The problem a GHZ network is chosen from on the plain redundant `layout`: the candidate
/// couplings ([`candidates`]) and, for every data qubit, the ancillas touching it
/// (`examples/dump_ghz_problem.rs` prints it for `tools/ghz_cpsat.py`).
pub fn problem(layout: &Layout) -> (Candidates, Vec<Vec<usize>>) {
    (candidates(layout), touchers(layout))
}

/// Per qubit, its candidate couplings: (neighbour, joins two faces?), sorted.
pub type Candidates = Vec<Vec<(usize, bool)>>;

/// Candidate ancilla-ancilla couplings: (neighbour, joins two faces?) per ancilla, sorted.
/// Inter-face candidates: around every data qubit, the ancillas of different faces touching it;
/// across every edge shared by two faces, one diagonal (an ancilla of one face next to one end
/// to the ancilla of the other face next to the other end), kept only if it crosses no coupling
/// or candidate nearby (both faces' couplings), so the graph stays planar.
fn candidates(layout: &Layout) -> Candidates {
    let n = layout.num_qubits();
    let pos = &layout.positions;
    let mut adj: Vec<Vec<(usize, bool)>> = vec![Vec::new(); n];
    let add = |adj: &mut Vec<Vec<(usize, bool)>>, a: usize, b: usize, inter: bool| {
        if a != b && !adj[a].iter().any(|&(x, _)| x == b) {
            adj[a].push((b, inter));
            adj[b].push((a, inter));
        }
    };
    for e in layout.graph.edge_indices() {
        let (a, b) = layout.graph.edge_endpoints(e).expect("edge");
        let (a, b) = (a.index(), b.index());
        if layout.roles[a] != Role::Data && layout.roles[b] != Role::Data {
            add(&mut adj, a, b, false);
        }
    }
    for around in touchers(layout) {
        for (i, &a) in around.iter().enumerate() {
            for &b in &around[i + 1..] {
                add(&mut adj, a, b, true);
            }
        }
    }
    let toucher = |f: usize, q: usize| {
        let face = &layout.faces[f];
        face.ancillas
            .iter()
            .zip(&face.touches)
            .find(|(_, t)| t.contains(&q))
            .map(|(&a, _)| a)
    };
    for f in 0..layout.faces.len() {
        for g in f + 1..layout.faces.len() {
            let shared: Vec<usize> = layout.faces[f]
                .data
                .iter()
                .copied()
                .filter(|q| layout.faces[g].data.contains(q))
                .collect();
            let &[q1, q2] = shared.as_slice() else {
                continue;
            };
            let (Some(a), Some(b)) = (toucher(f, q1), toucher(g, q2)) else {
                continue;
            };
            // Couplings near the diagonal: every edge (coupling or candidate) at an ancilla of
            // either face, and the data couplings of those ancillas.
            let local: Vec<usize> = layout.faces[f]
                .ancillas
                .iter()
                .chain(&layout.faces[g].ancillas)
                .copied()
                .collect();
            let crosses = local.iter().any(|&x| {
                let data = layout
                    .graph
                    .neighbors(NodeIndex::new(x))
                    .map(|y| y.index())
                    .filter(|&y| layout.roles[y] == Role::Data);
                let anc = adj[x].iter().map(|&(y, _)| y);
                data.chain(anc)
                    .any(|y| segments_cross(pos[a], pos[b], pos[x], pos[y]))
            });
            if !crosses {
                add(&mut adj, a, b, true);
            }
        }
    }
    for list in &mut adj {
        list.sort_unstable();
    }
    adj
}

/// Breadth-first tree from `root` over the candidates, at most [`MAX_INTER`] inter-face
/// couplings per ancilla; seed 0 explores the faces' own couplings first, seed 1 the
/// inter-face ones, others in a shuffled order. Parent per node.
fn bfs(adj: &[Vec<(usize, bool)>], root: usize, seed: u64) -> Vec<Option<usize>> {
    let inter_first = seed & 1 == 1;
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rand = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let n = adj.len();
    let mut parent = vec![None; n];
    let mut seen = vec![false; n];
    let mut inter_used = vec![0usize; n];
    seen[root] = true;
    let mut queue = VecDeque::from([root]);
    while let Some(a) = queue.pop_front() {
        let mut next: Vec<(u64, usize, bool)> = adj[a]
            .iter()
            .map(|&(b, inter)| (if seed < 2 { b as u64 } else { rand() }, b, inter))
            .collect();
        next.sort_by_key(|&(r, _, inter)| (inter != inter_first, r));
        let next: Vec<(usize, bool)> = next.into_iter().map(|(_, b, i)| (b, i)).collect();
        for (b, inter) in next {
            if seen[b] || (inter && (inter_used[a] >= MAX_INTER || inter_used[b] >= MAX_INTER)) {
                continue;
            }
            if inter {
                inter_used[a] += 1;
                inter_used[b] += 1;
            }
            seen[b] = true;
            parent[b] = Some(a);
            queue.push_back(b);
        }
    }
    parent
}

/// A node's steps relative to the step at which it joins the GHZ state: its children join at
/// 1..=m (in the order they are served), its CHs follow at m+1..=m+load, then each child is
/// undone as soon as it is ready and the node is free, in the order the children get ready.
/// So on every ancilla all sends precede all CHs, which precede all undoing CXs (as with a
/// mirrored undo, which is one such schedule), but a child that finishes early is released early.
struct Slots {
    /// Last step (relative) the node acts in its subtree's work: it is ready to be undone one
    /// step later.
    finish: usize,
    /// Undo step (relative to the node's join) of each child, in the served order.
    undo: Vec<usize>,
}

/// [`Slots`] of `a` given its (kept) children and CH load; sorts the children in place, the
/// longest-working first.
fn slots(a: usize, children: &mut [Vec<usize>], load: &[usize], memo: &mut [Slots]) -> usize {
    let mut kids = std::mem::take(&mut children[a]);
    for &c in &kids {
        slots(c, children, load, memo);
    }
    kids.sort_by_key(|&c| (std::cmp::Reverse(memo[c].finish), c));
    let m = kids.len();
    // Child i joins at i + 1 and is ready at i + 1 + finish + 1.
    let mut ready: Vec<(usize, usize)> = kids
        .iter()
        .enumerate()
        .map(|(i, &c)| (i + 2 + memo[c].finish, i))
        .collect();
    ready.sort_unstable();
    let mut undo = vec![0usize; m];
    let mut next = m + load[a] + 1;
    for (r, i) in ready {
        let u = next.max(r);
        undo[i] = u;
        next = u + 1;
    }
    memo[a] = Slots {
        finish: next - 1,
        undo,
    };
    children[a] = kids;
    memo[a].finish
}

/// The network from one root and one exploration order, or None if some data qubit has no
/// reachable ancilla.
fn from_root(
    layout: &Layout,
    adj: &[Vec<(usize, bool)>],
    root: usize,
    seed: u64,
    mirrored: bool,
) -> Option<Ghz> {
    let parent = bfs(adj, root, seed);
    let control = initial_controls(layout, root, &parent)?;
    network(layout, adj, root, &parent, &control, mirrored)
}

/// The time steps needed below `a` with a mirrored undo (the edge encoded at t undone at M - t):
/// its m children join at 1..=m, its CHs follow, then the children are undone in reverse, so
/// `a` needs 2 m + load + 1 steps and child i needs 2 (i + 1) + its own; sorts the children in
/// place, the neediest first.
fn need(a: usize, children: &mut [Vec<usize>], load: &[usize], memo: &mut [usize]) -> usize {
    let mut kids = std::mem::take(&mut children[a]);
    for &c in &kids {
        memo[c] = need(c, children, load, memo);
    }
    kids.sort_by_key(|&c| (std::cmp::Reverse(memo[c]), c));
    let m = kids.len();
    let own = 2 * m + load[a] + 1;
    let r = kids
        .iter()
        .enumerate()
        .map(|(i, &c)| 2 * (i + 1) + memo[c])
        .max()
        .unwrap_or(0)
        .max(own);
    children[a] = kids;
    r
}

/// Breadth-first level of every node of the tree given by `parent` (usize::MAX off the tree).
fn levels(root: usize, parent: &[Option<usize>]) -> Vec<usize> {
    let n = parent.len();
    let mut level = vec![usize::MAX; n];
    level[root] = 0;
    let mut changed = true;
    while changed {
        changed = false;
        for a in 0..n {
            if let Some(p) = parent[a].filter(|&p| level[p] != usize::MAX && level[a] == usize::MAX)
            {
                level[a] = level[p] + 1;
                changed = true;
            }
        }
    }
    level
}

/// CH controls: for every data qubit the shallowest toucher on the tree, then the least loaded.
fn initial_controls(layout: &Layout, root: usize, parent: &[Option<usize>]) -> Option<Vec<usize>> {
    let level = levels(root, parent);
    let mut load = vec![0usize; parent.len()];
    let mut control = Vec::with_capacity(layout.num_data());
    for around in touchers(layout) {
        let a = *around
            .iter()
            .filter(|&&a| level[a] != usize::MAX)
            .min_by_key(|&&a| (2 * level[a] + load[a], a))?;
        load[a] += 1;
        control.push(a);
    }
    Some(control)
}

/// The network of a tree (`parent`, rooted at `root`) and the CH `control` of every data qubit:
/// pruned to the controls and their paths to the root, children served in decreasing need, CHs
/// in the free slots after the sends. None if an ancilla would get more than [`MAX_INTER`]
/// inter-face couplings.
fn network(
    layout: &Layout,
    adj: &[Vec<(usize, bool)>],
    root: usize,
    parent: &[Option<usize>],
    control: &[usize],
    mirrored: bool,
) -> Option<Ghz> {
    let n = layout.num_qubits();
    let mut load = vec![0usize; n];
    for &a in control {
        load[a] += 1;
    }
    // Keep the controls and their paths to the root.
    let mut keep = vec![false; n];
    for &a in control {
        let mut x = a;
        while !keep[x] {
            keep[x] = true;
            match parent[x] {
                Some(p) => x = p,
                None => break,
            }
        }
    }
    let mut inter = vec![0usize; n];
    let mut children = vec![Vec::new(); n];
    for c in 0..n {
        if let (true, Some(p)) = (keep[c], parent[c]) {
            children[p].push(c);
            if adj[c].iter().any(|&(x, i)| x == p && i) {
                inter[c] += 1;
                inter[p] += 1;
            }
        }
    }
    if inter.iter().any(|&k| k > MAX_INTER) {
        return None;
    }
    let mut memo: Vec<Slots> = (0..n)
        .map(|_| Slots {
            finish: 0,
            undo: Vec::new(),
        })
        .collect();
    let measure = if mirrored {
        let mut need_memo = vec![0usize; n];
        need(root, &mut children, &load, &mut need_memo)
    } else {
        slots(root, &mut children, &load, &mut memo) + 1
    };
    // Absolute steps: children in the served order, CHs after the sends.
    let mut tree = Vec::new();
    let mut joined = vec![0usize; n];
    let mut first_ch = vec![0usize; n];
    let mut queue = VecDeque::from([root]);
    while let Some(a) = queue.pop_front() {
        for (i, &c) in children[a].iter().enumerate() {
            joined[c] = joined[a] + i + 1;
            let undo = if mirrored {
                measure - joined[c]
            } else {
                joined[a] + memo[a].undo[i]
            };
            tree.push(GhzEdge::undone(a, c, joined[c], undo));
            queue.push_back(c);
        }
        first_ch[a] = joined[a] + children[a].len() + 1;
    }
    tree.sort_by_key(|e| (e.join, e.parent, e.child));
    let mut used = vec![0usize; n];
    let ch = control
        .iter()
        .map(|&a| {
            let t = first_ch[a] + used[a];
            used[a] += 1;
            (a, t)
        })
        .collect();
    Some(Ghz {
        root,
        tree,
        ch,
        measure,
    })
}

/// How crowded the late steps are: the sum of 4^step over every undoing CX and CH. At equal
/// measurement length, the local search prefers less work near the end (fewer critical
/// paths), which lets a later move shorten the measurement.
fn pressure(g: &Ghz) -> u128 {
    g.tree
        .iter()
        .map(|e| e.leave)
        .chain(g.ch.iter().map(|&(_, t)| t))
        .map(|t| 4u128.pow(t as u32))
        .sum()
}

/// Ancillas nearest the centre refined by [`refine`] as root, and exploration orders per root.
const ROOTS_REFINED: usize = 8;
const REFINE_SEEDS: u64 = 2;
/// Networks with the shortest measurements that [`design`] judges inside the protocol.
const SHORTLIST: usize = 48;

/// Moves tried by [`refine`] per starting network.
const REFINE_MOVES: usize = 4000;

/// Local search from a breadth-first network (a plateau walk: a move is kept unless it makes
/// the measurement longer or, at equal length, the tree larger). A move either hands a data
/// qubit's CH to another ancilla touching it, or re-hangs an ancilla (with its subtree) from
/// another candidate neighbour on the tree; every candidate network is re-timed by [`network`].
/// Breadth-first trees lose steps to branching (a parent sends one CX per step); this trades
/// depth in couplings for fewer children on the critical path.
fn refine(layout: &Layout, adj: &[Vec<(usize, bool)>], root: usize, seed: u64) -> Option<Ghz> {
    let mut parent = bfs(adj, root, seed);
    let mut control = initial_controls(layout, root, &parent)?;
    let mut best = network(layout, adj, root, &parent, &control, false)?;
    let around = touchers(layout);
    let n = layout.num_qubits();
    let mut state = (seed ^ (root as u64) << 32).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut rand = move |k: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % k as u64) as usize
    };
    let on_tree = |parent: &[Option<usize>], mut x: usize| {
        while x != root {
            match parent[x] {
                Some(p) => x = p,
                None => return false,
            }
        }
        true
    };
    let below = |parent: &[Option<usize>], mut y: usize, x: usize| {
        // Is y in the subtree of x?
        loop {
            if y == x {
                return true;
            }
            match parent[y] {
                Some(p) => y = p,
                None => return false,
            }
        }
    };
    for _ in 0..REFINE_MOVES {
        let (mut p2, mut c2) = (None, None);
        if rand(2) == 0 {
            let q = rand(control.len());
            let a = around[q][rand(around[q].len())];
            if a == control[q] || !on_tree(&parent, a) {
                continue;
            }
            let mut c = control.clone();
            c[q] = a;
            c2 = Some(c);
        } else {
            let x = rand(n);
            if x == root || layout.roles[x] == Role::Data || adj[x].is_empty() {
                continue;
            }
            let (y, _) = adj[x][rand(adj[x].len())];
            if parent[x] == Some(y) || !on_tree(&parent, y) || below(&parent, y, x) {
                continue;
            }
            let mut p = parent.clone();
            p[x] = Some(y);
            p2 = Some(p);
        }
        let (p, c) = (
            p2.as_ref().unwrap_or(&parent),
            c2.as_ref().unwrap_or(&control),
        );
        let Some(g) = network(layout, adj, root, p, c, false) else {
            continue;
        };
        if (g.measure, pressure(&g)) <= (best.measure, pressure(&best)) {
            best = g;
            if let Some(p) = p2 {
                parent = p;
            }
            if let Some(c) = c2 {
                control = c;
            }
        }
    }
    Some(best)
}

/// The most inter-face couplings of one ancilla in the GHZ tree. With breadth-first trees alone,
/// one kept every degree at 4 but gave 11 / 17 / 23 steps per Hadamard measurement at
/// d = 3 / 5 / 7, two 9 / 15 / 19 at degree 5 (three: no shorter). With [`refine`] and early
/// undo, two give 9 / 14 / 19; [`solved`] gives 13 at d = 5, and an exact solver proves 9 and 19
/// the least at d = 3 and 7 with any cap (`docs/hadamard-prep.md`): the paper's 8 / 17 are not
/// reached.
const MAX_INTER: usize = 2;

/// How many ancillas nearest the lattice's centre are tried as the GHZ root.
const ROOTS_TRIED: usize = 24;
/// Exploration orders tried per root (0, 1: faces' own couplings or inter-face ones first;
/// further ones shuffled with a fixed seed).
const TRIALS: u64 = 200;

/// The GHZ network of the plain redundant `layout`: breadth-first networks from the
/// [`ROOTS_TRIED`] ancillas nearest the centre ([`TRIALS`] exploration orders each) and
/// [`refine`]d ones; of the [`SHORTLIST`] with the shortest measurement, the one whose round,
/// measurement, round, measurement, round schedule is shortest; ties go to the shorter
/// measurement, the fewest ancillas, then the lowest root.
pub fn design(layout: &Layout) -> Option<Ghz> {
    let adj = candidates(layout);
    let roots = central_roots(layout);
    let bfs_best = roots
        .iter()
        .flat_map(|&root| (0..TRIALS).map(move |seed| (root, seed)))
        .filter_map(|(root, seed)| from_root(layout, &adj, root, seed, false));
    let refined = roots
        .iter()
        .take(ROOTS_REFINED)
        .flat_map(|&root| (0..REFINE_SEEDS).map(move |seed| (root, seed)))
        .filter_map(|(root, seed)| refine(layout, &adj, root, seed));
    // Judged inside the protocol: round, measurement, round, measurement, round, as early as
    // possible (a network whose root starts where the round ends first overlaps the stages).
    let round = round_ops(layout);
    let n = layout.num_qubits();
    let protocol = |g: &Ghz| {
        let h = g.ops();
        let twice = (0..2).flat_map(|_| h.iter().chain(&round));
        Schedule::asap_depth(round.iter().chain(twice), n)
    };
    let mut all: Vec<Ghz> = bfs_best.chain(refined).collect();
    all.sort_by_key(|g| (g.measure, g.tree.len(), g.root));
    all.truncate(SHORTLIST);
    all.into_iter()
        .map(|g| (protocol(&g), g))
        .min_by_key(|(t, g)| (*t, g.measure, g.tree.len(), g.root))
        .map(|(_, g)| g)
}

/// The GHZ network with the shortest mirrored measurement (edge encoded at t undone at M - t)
/// among breadth-first networks from the [`ROOTS_TRIED`] central roots, [`TRIALS`] orders each;
/// ties go to the fewest ancillas, then the lowest root. Its CHs are spread out in time, which
/// can keep the exact engine narrower than the protocol-judged network of [`design`].
pub fn design_mirrored(layout: &Layout) -> Option<Ghz> {
    let adj = candidates(layout);
    central_roots(layout)
        .into_iter()
        .flat_map(|root| (0..TRIALS).map(move |seed| (root, seed)))
        .filter_map(|(root, seed)| from_root(layout, &adj, root, seed, true))
        .min_by_key(|g| (g.measure, g.tree.len(), g.root))
}

/// The [`ROOTS_TRIED`] ancillas nearest the lattice's centre.
fn central_roots(layout: &Layout) -> Vec<usize> {
    let data = &layout.positions[..layout.num_data()];
    let n = data.len() as f64;
    let centre = [
        data.iter().map(|p| p[0]).sum::<f64>() / n,
        data.iter().map(|p| p[1]).sum::<f64>() / n,
    ];
    let dist = |a: usize| {
        let p = layout.positions[a];
        (p[0] - centre[0]).powi(2) + (p[1] - centre[1]).powi(2)
    };
    let mut roots: Vec<usize> = (0..layout.num_qubits())
        .filter(|&a| layout.roles[a] != Role::Data)
        .collect();
    roots.sort_by(|&a, &b| dist(a).total_cmp(&dist(b)).then(a.cmp(&b)));
    roots.truncate(ROOTS_TRIED);
    roots
}

/// GHZ networks found by an exact solver, by distance: CP-SAT (`tools/ghz_cpsat.py`) on the
/// problem of [`problem`], shortest measurement first, then the fewest CHs in the busiest step
/// (which kept the exact engine's peak active width at the search's; see
/// `docs/hadamard-prep.md`). Data, not code: [`solved`] checks every one against the layout.
const SOLVED: &str = include_str!("ghz_solved.json");

/// As [`SOLVED`], with leaves read out in X (`tools/ghz_cpsat.py --leaf-x`), for the
/// `redundant-ghz-x` layout.
const SOLVED_LEAVES_X: &str = include_str!("ghz_solved_leaves_x.json");

/// How the GHZ ancillas leave the state after their CHs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readout {
    /// Every member but the root is undone by a CX from its parent and measured in Z (a flag).
    Undo,
    /// As `Undo`, except that leaves may be measured in X instead ([`GhzEdge::read_x`]).
    LeavesX,
}

/// One stored network as the solver writes it: tree edges `[parent, child, step, undo step]`,
/// CHs `[ancilla, step]` per data qubit, the measurement step and the children read out in X
/// (their "undo step" is that of their X measurement).
#[derive(serde::Deserialize)]
struct StoredNetwork {
    root: usize,
    measure: usize,
    tree: Vec<[usize; 4]>,
    ch: Vec<[usize; 2]>,
    #[serde(default)]
    read_x: Vec<usize>,
}

/// The stored networks of `readout`, by distance.
fn stored(readout: Readout) -> std::collections::HashMap<String, StoredNetwork> {
    let text = match readout {
        Readout::Undo => SOLVED,
        Readout::LeavesX => SOLVED_LEAVES_X,
    };
    serde_json::from_str(text).expect("the stored GHZ networks parse")
}

/// Whether a solver's network of `readout` is stored for distance `d`.
pub fn has_solved(readout: Readout, d: usize) -> bool {
    stored(readout).contains_key(&d.to_string())
}

/// The solver's network of `readout` for `layout`'s distance, if there is one, checked by
/// [`check`].
pub fn solved(layout: &Layout, readout: Readout) -> Option<Ghz> {
    let net = stored(readout).remove(&layout.code.distance.to_string())?;
    let g = Ghz {
        root: net.root,
        tree: net
            .tree
            .iter()
            .map(|e| GhzEdge {
                read_x: net.read_x.contains(&e[1]),
                ..GhzEdge::undone(e[0], e[1], e[2], e[3])
            })
            .collect(),
        ch: net.ch.iter().map(|c| (c[0], c[1])).collect(),
        measure: net.measure,
    };
    if let Err(e) = check(layout, &g) {
        panic!(
            "stored GHZ network ({readout:?}), d = {}: {e}",
            layout.code.distance
        );
    }
    Some(g)
}

/// Whether `g` is a valid GHZ network on the plain redundant `layout`: every tree edge a
/// candidate coupling, at most [`MAX_INTER`] inter-face couplings per ancilla, each ancilla
/// encoded once from a member that joined earlier and undone by the same parent before that
/// parent is (or, a leaf read out in X, measured in X at the latest with the root), every gate
/// of an ancilla (sends, CHs, undoing CXs) strictly between its join and its undo, one CH per
/// data qubit from an ancilla touching it, and at most one gate per qubit per step, all before
/// the measurement.
pub fn check(layout: &Layout, g: &Ghz) -> Result<(), String> {
    let adj = candidates(layout);
    let around = touchers(layout);
    let n = layout.num_qubits();
    let mut join = vec![None; n];
    let mut undo = vec![None; n];
    join[g.root] = Some(0);
    undo[g.root] = Some(g.measure);
    let mut busy = std::collections::HashSet::new();
    let mut occupy = |q: usize, t: usize| {
        if t == 0 || t >= g.measure || !busy.insert((q, t)) {
            return Err(format!(
                "qubit {q} has a second gate, or a gate outside 1..M, at step {t}"
            ));
        }
        Ok(())
    };
    let mut inter = vec![0usize; n];
    for e in &g.tree {
        let (p, c, t, u) = (e.parent, e.child, e.join, e.leave);
        let Some(&(_, is_inter)) = adj[p].iter().find(|&&(x, _)| x == c) else {
            return Err(format!("{p}-{c} is not a candidate coupling"));
        };
        if is_inter {
            inter[p] += 1;
            inter[c] += 1;
        }
        if join[c].is_some() || join[p].is_none_or(|j| j >= t) {
            return Err(format!(
                "{p} -> {c} at step {t}: child twice or parent not yet joined"
            ));
        }
        join[c] = Some(t);
        undo[c] = Some(u);
        occupy(p, t)?;
        occupy(c, t)?;
        if e.read_x {
            // The leaf's own X measurement (at the latest with the root's).
            if u > g.measure || g.tree.iter().any(|f| f.parent == c) {
                return Err(format!(
                    "{c}, read out in X at step {u}: not a leaf, or after the measurement"
                ));
            }
            if u < g.measure {
                occupy(c, u)?;
            }
        } else {
            occupy(p, u)?;
            occupy(c, u)?;
        }
    }
    if let Some(a) = (0..n).find(|&a| inter[a] > MAX_INTER) {
        return Err(format!("ancilla {a} has {} inter-face couplings", inter[a]));
    }
    let inside =
        |a: usize, t: usize| matches!((join[a], undo[a]), (Some(j), Some(u)) if j < t && t < u);
    for e in &g.tree {
        let (p, c, t, u) = (e.parent, e.child, e.join, e.leave);
        if !inside(p, t) || (!e.read_x && !inside(p, u)) || u <= t {
            return Err(format!(
                "{p} -> {c}: encoded at {t}, undone at {u}, outside {p}'s window"
            ));
        }
    }
    if g.ch.len() != layout.num_data() {
        return Err(format!(
            "{} CHs for {} data qubits",
            g.ch.len(),
            layout.num_data()
        ));
    }
    for (q, &(a, t)) in g.ch.iter().enumerate() {
        if !around[q].contains(&a) || !inside(a, t) {
            return Err(format!(
                "CH {a} {q} at step {t}: not a toucher inside its window"
            ));
        }
        occupy(a, t)?;
    }
    Ok(())
}

/// Adds the network's inter-face couplings to `layout`'s graph.
pub fn add_couplings(layout: &mut Layout, ghz: &Ghz) {
    for (a, b) in ghz.inter_face(layout) {
        layout
            .graph
            .add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
    }
}

/// The least radius, in couplings, of any GHZ tree over the candidate couplings of the plain
/// redundant `layout` (no cap on inter-face couplings): over every root, the largest distance
/// to the nearest ancilla touching each data qubit. A measurement takes at least 2 r + 3 steps (reset, r encoding steps, a CH, r undoing steps, measurement).
pub fn radius_floor(layout: &Layout) -> usize {
    let adj = candidates(layout);
    let around = touchers(layout);
    (0..layout.num_qubits())
        .filter(|&a| layout.roles[a] != Role::Data)
        .map(|root| {
            let mut dist = vec![usize::MAX; adj.len()];
            dist[root] = 0;
            let mut queue = VecDeque::from([root]);
            while let Some(a) = queue.pop_front() {
                for &(b, _) in &adj[a] {
                    if dist[b] == usize::MAX {
                        dist[b] = dist[a] + 1;
                        queue.push_back(b);
                    }
                }
            }
            around
                .iter()
                .map(|t| t.iter().map(|&a| dist[a]).min().unwrap_or(usize::MAX))
                .max()
                .unwrap_or(0)
        })
        .min()
        .unwrap_or(0)
}
