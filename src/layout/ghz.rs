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
//! - breadth-first tree from a root, pruned to the ancillas that apply a CH and the paths to
//!   them; each parent serves the child that needs the most time first;
//! - undoing mirrors encoding: the CX of a tree edge encoded at step t is undone at step M - t,
//!   and every CH sits between its control's encoding and undoing ([`Ghz`] holds the steps).
//!   A node's CH commutes with its other CXs (both are controlled on it), so CHs fill free slots.
//!
//! The ancillas nearest the centre are tried as root, with several exploration orders each; the
//! shortest measurement wins, then the fewest ancillas.

use super::{Layout, Role};
use petgraph::graph::NodeIndex;
use std::collections::VecDeque;

/// The GHZ network of one layout, with the measurement's time steps: step 0 resets, steps
/// 1..M-1 are gates, step M measures (depth M + 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ghz {
    /// The GHZ root (reset in |+>, measured in X).
    pub root: usize,
    /// Encoding CXs (parent, child, step) in encoding order; each is undone at step
    /// `measure - step`.
    pub tree: Vec<(usize, usize, usize)>,
    /// For every data qubit, the ancilla applying its CH and the step.
    pub ch: Vec<(usize, usize)>,
    /// Step of the final measurements (the measurement takes `measure + 1` steps).
    pub measure: usize,
}

impl Ghz {
    /// The ancillas in the GHZ state, root first.
    pub fn members(&self) -> Vec<usize> {
        let mut out = vec![self.root];
        out.extend(self.tree.iter().map(|&(_, c, _)| c));
        out
    }

    /// The couplings of the tree that join two faces.
    pub fn inter_face(&self, layout: &Layout) -> Vec<(usize, usize)> {
        let face_of = face_of_ancilla(layout);
        self.tree
            .iter()
            .filter(|&&(p, c, _)| face_of[p] != face_of[c])
            .map(|&(p, c, _)| (p, c))
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

/// Candidate ancilla-ancilla couplings: (neighbour, joins two faces?) per ancilla, sorted.
/// Inter-face candidates: around every data qubit, the ancillas of different faces touching it;
/// across every edge shared by two faces, one diagonal (an ancilla of one face next to one end
/// to the ancilla of the other face next to the other end), kept only if it crosses no coupling
/// or candidate nearby (both faces' couplings), so the graph stays planar.
fn candidates(layout: &Layout) -> Vec<Vec<(usize, bool)>> {
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

/// Breadth-first tree from `root` over the candidates, at most one inter-face coupling per
/// ancilla ([`MAX_INTER`]); seed 0 explores the faces' own couplings first, seed 1 the
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

/// Time the subtree below `a` needs: the least M - 2 t_a (t_a = step at which `a` joins) that
/// fits its children (served in decreasing need) and its own CHs. Children get sorted in place.
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

/// The network from one root and one exploration order, or None if some data qubit has no
/// reachable ancilla.
fn from_root(layout: &Layout, adj: &[Vec<(usize, bool)>], root: usize, seed: u64) -> Option<Ghz> {
    let n = layout.num_qubits();
    let parent = bfs(adj, root, seed);
    // Levels in breadth-first order: a parent is always reached before its children.
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
    // CH controls: the shallowest reached toucher, then the least loaded.
    let mut load = vec![0usize; n];
    let mut control = Vec::with_capacity(layout.num_data());
    for around in touchers(layout) {
        let a = *around
            .iter()
            .filter(|&&a| level[a] != usize::MAX)
            .min_by_key(|&&a| (2 * level[a] + load[a], a))?;
        load[a] += 1;
        control.push(a);
    }
    // Keep the controls and their paths to the root.
    let mut keep = vec![false; n];
    for &a in &control {
        let mut x = a;
        while !keep[x] {
            keep[x] = true;
            match parent[x] {
                Some(p) => x = p,
                None => break,
            }
        }
    }
    let mut children = vec![Vec::new(); n];
    for c in 0..n {
        if let (true, Some(p)) = (keep[c], parent[c]) {
            children[p].push(c);
        }
    }
    let mut memo = vec![0usize; n];
    let measure = need(root, &mut children, &load, &mut memo);
    // Steps: children in order; CHs in the free slots after the sends.
    let mut tree = Vec::new();
    let mut joined = vec![0usize; n];
    let mut first_ch = vec![0usize; n];
    let mut queue = VecDeque::from([root]);
    while let Some(a) = queue.pop_front() {
        for (i, &c) in children[a].iter().enumerate() {
            joined[c] = joined[a] + i + 1;
            tree.push((a, c, joined[c]));
            queue.push_back(c);
        }
        first_ch[a] = joined[a] + children[a].len() + 1;
    }
    tree.sort_by_key(|&(p, c, t)| (t, p, c));
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

/// The most inter-face couplings of one ancilla in the GHZ tree. One keeps every degree at 4
/// but gives 11 / 17 / 23 steps per Hadamard measurement at d = 3 / 5 / 7; two give 9 / 15 / 19
/// at degree 5 (three: no shorter). The paper's 8 / 13 / 17 are below what breadth-first trees
/// reach on these candidates.
const MAX_INTER: usize = 2;

/// How many ancillas nearest the lattice's centre are tried as the GHZ root.
const ROOTS_TRIED: usize = 24;
/// Exploration orders tried per root (0, 1: faces' own couplings or inter-face ones first;
/// further ones shuffled with a fixed seed).
const TRIALS: u64 = 200;

/// The GHZ network with the shortest measurement on the plain redundant `layout`: the
/// [`ROOTS_TRIED`] ancillas nearest the centre as root, both exploration orders; ties go to the
/// fewest ancillas, then the lowest root.
pub fn design(layout: &Layout) -> Option<Ghz> {
    let adj = candidates(layout);
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
        .into_iter()
        .flat_map(|root| (0..TRIALS).map(move |seed| (root, seed)))
        .filter_map(|(root, seed)| from_root(layout, &adj, root, seed))
        .min_by_key(|g| (g.measure, g.tree.len(), g.root))
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
/// to the nearest ancilla touching each data qubit. A measurement with mirrored undo takes at
/// least 2 r + 3 steps (reset, r encoding steps, a CH, r undoing steps, measurement).
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
