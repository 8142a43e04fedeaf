//! Exact minimum-weight matching for a shot with few defects, without a blossom solver.
//!
//! A decoding graph with one virtual boundary vertex asks for a minimum-weight set of edges
//! in which every defect has odd degree and every other real vertex even degree. With all
//! weights non-negative, such a set is the symmetric difference of shortest paths that pair
//! each defect with another defect or with the boundary, and the best pairing is a minimum-
//! weight perfect matching on the defects' complete graph (Edmonds; Dennis et al., J. Math.
//! Phys. 43, 4452 (2002), for the decoding picture). For n defects the pairing is found by a
//! dynamic programme over subsets, O(2^n n), after all-pairs shortest paths are computed once
//! per graph:
//!
//! ```text
//!   cost(S) = min( dist(i, boundary) + cost(S \ {i}),
//!                  min over j in S, j != i: dist(i, j) + cost(S \ {i, j}) ),   i = min S
//! ```
//!
//! In a sampled colour-code shot at p = 1e-3 a graph sees a handful of defects, so this
//! replaces the blossom solver's per-solve set-up with a few table look-ups. The weight is the
//! same as any exact matcher's; when several matchings tie, the edges may differ.

use fusion_blossom::util::Weight;
use std::collections::BinaryHeap;

/// Largest defect count the subset programme takes (2^14 sets, 986 of them reached); more
/// goes to the solver.
pub const MAX_DEFECTS: usize = 14;
/// Largest vertex count whose tables (8 bytes per vertex pair) are built.
pub const MAX_VERTICES: usize = 2048;

/// All-pairs shortest paths of one decoding graph, and the edge that starts each path.
pub struct ShortestPaths {
    vertices: usize,
    /// `distance[t * vertices + v]`: weight of a shortest path from v to t.
    distance: Vec<u32>,
    /// `first_edge[t * vertices + v]`: the first edge of that path from v (u32::MAX at t).
    first_edge: Vec<u32>,
    /// `(a, b)` of each edge, to walk a path.
    ends: Vec<(u32, u32)>,
    weights: Vec<Weight>,
}

impl ShortestPaths {
    /// Tables for a graph of `vertices` vertices and weighted edges `(a, b, w)` (weights
    /// non-negative and small enough that any path fits a u32). None when the graph has more
    /// than [`MAX_VERTICES`] vertices or a weight out of range.
    pub fn new(vertices: usize, edges: &[(usize, usize, Weight)]) -> Option<ShortestPaths> {
        if vertices > MAX_VERTICES
            || edges
                .iter()
                .any(|&(_, _, w)| w < 0 || w as u64 * vertices as u64 >= u32::MAX as u64)
        {
            return None;
        }
        // Adjacency in compressed rows: (neighbour, edge) per vertex.
        let mut degree = vec![0usize; vertices + 1];
        for &(a, b, _) in edges {
            degree[a + 1] += 1;
            degree[b + 1] += 1;
        }
        for v in 0..vertices {
            degree[v + 1] += degree[v];
        }
        let mut fill = degree.clone();
        let mut adjacent = vec![(0u32, 0u32); degree[vertices]];
        for (e, &(a, b, _)) in edges.iter().enumerate() {
            adjacent[fill[a]] = (b as u32, e as u32);
            fill[a] += 1;
            adjacent[fill[b]] = (a as u32, e as u32);
            fill[b] += 1;
        }
        let mut distance = vec![u32::MAX; vertices * vertices];
        let mut first_edge = vec![u32::MAX; vertices * vertices];
        let mut heap = BinaryHeap::new();
        // Dijkstra from each target t; the edge by which v was reached is v's first step to t.
        for t in 0..vertices {
            let row = t * vertices;
            distance[row + t] = 0;
            heap.push(std::cmp::Reverse((0u32, t as u32)));
            while let Some(std::cmp::Reverse((d, v))) = heap.pop() {
                let v = v as usize;
                if d > distance[row + v] {
                    continue;
                }
                for &(u, e) in &adjacent[degree[v]..degree[v + 1]] {
                    let nd = d + edges[e as usize].2 as u32;
                    if nd < distance[row + u as usize] {
                        distance[row + u as usize] = nd;
                        first_edge[row + u as usize] = e;
                        heap.push(std::cmp::Reverse((nd, u)));
                    }
                }
            }
        }
        Some(ShortestPaths {
            vertices,
            distance,
            first_edge,
            ends: edges
                .iter()
                .map(|&(a, b, _)| (a as u32, b as u32))
                .collect(),
            weights: edges.iter().map(|e| e.2).collect(),
        })
    }

    fn distance(&self, from: usize, to: usize) -> u32 {
        self.distance[to * self.vertices + from]
    }

    /// Appends the edges of a shortest path from `from` to `to`.
    fn push_path(&self, mut from: usize, to: usize, edges: &mut Vec<usize>) {
        let row = to * self.vertices;
        while from != to {
            let e = self.first_edge[row + from];
            debug_assert!(e != u32::MAX, "no path from {from} to {to}");
            edges.push(e as usize);
            let (a, b) = self.ends[e as usize];
            from = if a as usize == from { b } else { a } as usize;
        }
    }

    /// The edges of a minimum-weight parity subgraph for `defects` (distinct real vertices),
    /// with `boundary` free and the edges of `lowered` reweighted (each weight at most the
    /// edge's own), into `parity` (cleared first). False when the tables cannot answer: more than [`MAX_DEFECTS`] defects, too
    /// many lowered edges, a weight raised, or a defect with no partner.
    ///
    /// Lowered edges: a shortest path of the reweighted graph alternates lowered edges with
    /// stretches that use none (or use one at its old weight), and each stretch costs at least
    /// the old distance between its ends, which some old path attains. So the new distances
    /// among the defects, the boundary and the lowered edges' ends are the shortest paths of the
    /// small graph on those points whose edges are the old distances and the lowered edges.
    pub fn parity_subgraph(
        &self,
        defects: &[usize],
        boundary: usize,
        lowered: &[(usize, Weight)],
        scratch: &mut Scratch,
        parity: &mut Vec<usize>,
    ) -> bool {
        let n = defects.len();
        if !scratch.place_points(
            defects,
            boundary,
            lowered.iter().copied(),
            &self.ends,
            &self.weights,
        ) {
            return false;
        }
        let points = &scratch.points;
        let m = points.len();
        // Small graph: distance and how to walk it (NONE: an old path; else a lowered edge or,
        // after Floyd-Warshall, an intermediate point + VIA).
        let (dist, step) = (&mut scratch.dist, &mut scratch.step);
        dist.clear();
        dist.resize(m * m, u64::MAX);
        step.clear();
        step.resize(m * m, NONE);
        for i in 0..m {
            for j in i..m {
                let d = self.distance(points[i], points[j]);
                dist[i * m + j] = if d == u32::MAX { u64::MAX } else { d as u64 };
                dist[j * m + i] = dist[i * m + j];
            }
        }
        let index = |v: usize| points.iter().position(|&p| p == v).expect("a point");
        for &(e, w) in lowered {
            let (a, b) = self.ends[e];
            let (i, j) = (index(a as usize), index(b as usize));
            if (w as u64) < dist[i * m + j] {
                dist[i * m + j] = w as u64;
                dist[j * m + i] = w as u64;
                step[i * m + j] = e as u32;
                step[j * m + i] = e as u32;
            }
        }
        // Only a lowered edge's end can be an intermediate point of a shorter path.
        {
            for &k in scratch.ends.iter() {
                for i in 0..m {
                    let dik = dist[i * m + k];
                    if dik == u64::MAX {
                        continue;
                    }
                    for j in 0..m {
                        let dkj = dist[k * m + j];
                        if dkj != u64::MAX && dik + dkj < dist[i * m + j] {
                            dist[i * m + j] = dik + dkj;
                            step[i * m + j] = VIA | k as u32;
                        }
                    }
                }
            }
        }
        // Subset programme over the defects; table[S] = (cost of matching S, partner of min S,
        // itself for the boundary); a cost of u64::MAX means unmatchable.
        let full = (1usize << n) - 1;
        let table = &mut scratch.table;
        table.clear();
        table.resize(1 << n, (u64::MAX, u32::MAX));
        table[0].0 = 0;
        for set in (1..=full).filter(|&set| reachable(set, n)) {
            let i = set.trailing_zeros() as usize;
            let rest = set & !(1 << i);
            let (mut best, mut choice) = (u64::MAX, u32::MAX);
            let to_boundary = dist[i * m + n];
            if to_boundary != u64::MAX && table[rest].0 != u64::MAX {
                best = to_boundary + table[rest].0;
                choice = i as u32;
            }
            let mut others = rest;
            while others != 0 {
                let j = others.trailing_zeros() as usize;
                others &= others - 1;
                let pair = dist[i * m + j];
                let remaining = rest & !(1 << j);
                if pair != u64::MAX && table[remaining].0 != u64::MAX {
                    let c = pair + table[remaining].0;
                    if c < best {
                        best = c;
                        choice = j as u32;
                    }
                }
            }
            table[set] = (best, choice);
        }
        if table[full].0 == u64::MAX {
            return false;
        }
        let edges = &mut scratch.path_edges;
        edges.clear();
        let mut set = full;
        while set != 0 {
            let i = set.trailing_zeros() as usize;
            let j = table[set].1 as usize;
            let partner = if j == i { n } else { j };
            self.push_small_path(points, step, m, i, partner, edges);
            set &= !((1 << i) | (1 << j));
        }
        // An edge used by two paths cancels (parity).
        edges.sort_unstable();
        parity.clear();
        for &e in edges.iter() {
            if parity.last() == Some(&e) {
                parity.pop();
            } else {
                parity.push(e);
            }
        }
        true
    }

    /// Appends the edges of the small graph's shortest path between points i and j.
    fn push_small_path(
        &self,
        points: &[usize],
        step: &[u32],
        m: usize,
        i: usize,
        j: usize,
        edges: &mut Vec<usize>,
    ) {
        match step[i * m + j] {
            NONE => self.push_path(points[i], points[j], edges),
            s if s & VIA != 0 => {
                let k = (s & !VIA) as usize;
                self.push_small_path(points, step, m, i, k, edges);
                self.push_small_path(points, step, m, k, j, edges);
            }
            e => edges.push(e as usize),
        }
    }
}

/// All-pairs shortest walks of one decoding graph by observable parity: the graph's double
/// cover, whose sheets are the two values of one observable (an edge that flips it crosses
/// sheets). Parallel edges are allowed (the same detectors with either flip). It gives the
/// minimum weight of a parity subgraph with the observable forced to each value, the two
/// numbers whose difference is the complementary gap (Gidney, Shutty and Jones,
/// arXiv:2409.17595, use it to postselect magic-state cultivation).
pub struct ParityDistances {
    vertices: usize,
    /// `table[t * vertices + v]`: weight of a shortest walk from v to t with even and odd flips.
    table: Vec<[u32; 2]>,
    /// `(a, b)` of each edge, to place a lowered edge.
    ends: Vec<(u32, u32)>,
    weights: Vec<Weight>,
    /// Weight of the lightest closed walk with an odd flip (a logical operator): the odd
    /// parity's matching when nothing fired.
    odd_cycle: u64,
}

impl ParityDistances {
    /// Tables for a graph of `vertices` vertices and edges `(a, b, w, flips)`. None under the
    /// same limits as [`ShortestPaths::new`].
    pub fn new(vertices: usize, edges: &[(usize, usize, Weight, bool)]) -> Option<ParityDistances> {
        if vertices > MAX_VERTICES
            || edges
                .iter()
                .any(|&(_, _, w, _)| w < 0 || w as u64 * 2 * vertices as u64 >= u32::MAX as u64)
        {
            return None;
        }
        let mut degree = vec![0usize; vertices + 1];
        for &(a, b, _, _) in edges {
            degree[a + 1] += 1;
            degree[b + 1] += 1;
        }
        for v in 0..vertices {
            degree[v + 1] += degree[v];
        }
        let mut fill = degree.clone();
        // (neighbour, weight, flip) per vertex.
        let mut adjacent = vec![(0u32, 0u32, 0u32); degree[vertices]];
        for &(a, b, w, flip) in edges {
            adjacent[fill[a]] = (b as u32, w as u32, flip as u32);
            fill[a] += 1;
            adjacent[fill[b]] = (a as u32, w as u32, flip as u32);
            fill[b] += 1;
        }
        let mut table = vec![[u32::MAX; 2]; vertices * vertices];
        let mut heap = BinaryHeap::new();
        let mut odd_cycle = u64::MAX;
        // Dijkstra on the double cover from (t, even).
        for t in 0..vertices {
            let row = &mut table[t * vertices..(t + 1) * vertices];
            row[t][0] = 0;
            heap.push(std::cmp::Reverse((0u32, t as u32, 0u32)));
            while let Some(std::cmp::Reverse((d, v, s))) = heap.pop() {
                let v = v as usize;
                if d > row[v][s as usize] {
                    continue;
                }
                for &(u, w, flip) in &adjacent[degree[v]..degree[v + 1]] {
                    let (nd, ns) = (d + w, s ^ flip);
                    if nd < row[u as usize][ns as usize] {
                        row[u as usize][ns as usize] = nd;
                        heap.push(std::cmp::Reverse((nd, u, ns)));
                    }
                }
            }
            if row[t][1] != u32::MAX {
                odd_cycle = odd_cycle.min(row[t][1] as u64);
            }
        }
        Some(ParityDistances {
            vertices,
            table,
            ends: edges
                .iter()
                .map(|&(a, b, _, _)| (a as u32, b as u32))
                .collect(),
            weights: edges.iter().map(|e| e.2).collect(),
            odd_cycle,
        })
    }

    /// Weight of the lightest closed walk with an odd flip (u64::MAX when there is none).
    pub fn odd_cycle(&self) -> u64 {
        self.odd_cycle
    }

    /// Minimum weights of a parity subgraph for `defects` (distinct real vertices) with
    /// `boundary` free, with an even and with an odd observable flip (u64::MAX: none), the
    /// edges of `lowered` reweighted to `(edge, weight, flip)` (each weight at most the edge's
    /// own; the flip may differ from the static edge's). None when the tables cannot answer:
    /// more than [`MAX_DEFECTS`] defects, too many lowered edges or a weight raised.
    ///
    /// A parity subgraph is a set of paths pairing the defects (with each other or the
    /// boundary) plus cycles, and its flip is the sum of theirs; one odd cycle at most is
    /// worth adding. So the subset programme of [`ShortestPaths::parity_subgraph`] runs with
    /// a parity per state, starting from the empty set's `[0, odd cycle]`. Lowered edges
    /// enter as there, by a Floyd-Warshall over their ends, here on both sheets (where a walk
    /// may also take one odd loop at an intermediate point).
    pub fn weights(
        &self,
        defects: &[usize],
        boundary: usize,
        lowered: &[(usize, Weight, bool)],
        scratch: &mut Scratch,
    ) -> Option<[u64; 2]> {
        let n = defects.len();
        if !scratch.place_points(
            defects,
            boundary,
            lowered.iter().map(|&(e, w, _)| (e, w)),
            &self.ends,
            &self.weights,
        ) {
            return None;
        }
        let points = &scratch.points;
        let m = points.len();
        let dist = &mut scratch.parity_dist;
        dist.clear();
        dist.resize(m * m, [NO_WALK; 2]);
        let widen = |d: u32| if d == u32::MAX { NO_WALK } else { d as u64 };
        for i in 0..m {
            let row = points[i] * self.vertices;
            for j in i..m {
                let [even, odd] = self.table[row + points[j]];
                dist[i * m + j] = [widen(even), widen(odd)];
                dist[j * m + i] = dist[i * m + j];
            }
        }
        let mut odd_cycle = self.odd_cycle.min(NO_WALK);
        if !lowered.is_empty() {
            let index = |v: usize| points.iter().position(|&p| p == v).expect("a point");
            for &(e, w, flip) in lowered {
                let (a, b) = self.ends[e];
                let (i, j) = (index(a as usize), index(b as usize));
                let slot = &mut dist[i * m + j][flip as usize];
                *slot = (*slot).min(w as u64);
                dist[j * m + i][flip as usize] = *slot;
            }
            // Only a lowered edge's end can be an intermediate point of a lighter walk.
            for &k in scratch.ends.iter() {
                let odd_loop = dist[k * m + k][1];
                for i in 0..m {
                    let [e0, e1] = dist[i * m + k];
                    // To k, then maybe once round an odd loop at k.
                    let to_k = [e0.min(e1 + odd_loop), e1.min(e0 + odd_loop)];
                    if to_k == [NO_WALK; 2] {
                        continue;
                    }
                    for j in 0..m {
                        let from_k = dist[k * m + j];
                        dist[i * m + j] = join(dist[i * m + j], to_k, from_k);
                    }
                }
            }
            for k in 0..m {
                odd_cycle = odd_cycle.min(dist[k * m + k][1]);
            }
        }
        // Subset programme with a parity per set: table[S][p] = lightest matching of S whose
        // paths (and cycle) flip the observable p times mod 2.
        let full = (1usize << n) - 1;
        let table = &mut scratch.parity_table;
        table.clear();
        table.resize(1 << n, [NO_WALK; 2]);
        table[0] = [0, odd_cycle];
        for set in (1..=full).filter(|&set| reachable(set, n)) {
            let i = set.trailing_zeros() as usize;
            let rest = set & !(1 << i);
            let mut best = join([NO_WALK; 2], dist[i * m + n], table[rest]);
            let mut others = rest;
            while others != 0 {
                let j = others.trailing_zeros() as usize;
                others &= others - 1;
                best = join(best, dist[i * m + j], table[rest & !(1 << j)]);
            }
            table[set] = best;
        }
        Some(table[full].map(|w| if w >= NO_WALK { u64::MAX } else { w }))
    }
}

/// Whether the subset programme on `n` defects ever asks for `set`: each step removes the
/// lowest defect and at most one other, so the defects removed above the lowest one left
/// are at most as many as those below it. At 12 defects, 376 of the 4096 sets.
fn reachable(set: usize, n: usize) -> bool {
    let lowest = set.trailing_zeros();
    n as u32 - lowest - set.count_ones() <= lowest
}

/// "No walk" in [`ParityDistances::weights`]: large, yet the sum of two does not overflow.
const NO_WALK: u64 = u64::MAX >> 2;

/// `best` improved by a walk of `a` then one of `b` (weights by flip parity, at most
/// [`NO_WALK`] each): the flips add.
fn join(best: [u64; 2], a: [u64; 2], b: [u64; 2]) -> [u64; 2] {
    [
        best[0].min(a[0] + b[0]).min(a[1] + b[1]),
        best[1].min(a[0] + b[1]).min(a[1] + b[0]),
    ]
}

/// Largest number of flag-lowered edges handled without the solver.
const MAX_LOWERED: usize = 64;
/// Small-graph step: an old shortest path.
const NONE: u32 = u32::MAX;
/// Small-graph step flag: through the intermediate point in the low bits.
const VIA: u32 = 1 << 31;

/// Reusable buffers of [`ShortestPaths::parity_subgraph`].
#[derive(Default)]
pub struct Scratch {
    points: Vec<usize>,
    dist: Vec<u64>,
    step: Vec<u32>,
    ends: Vec<usize>,
    table: Vec<(u64, u32)>,
    path_edges: Vec<usize>,
    parity_dist: Vec<[u64; 2]>,
    parity_table: Vec<[u64; 2]>,
}

impl Scratch {
    /// The small graph's points: the defects, the boundary, then the ends of the lowered edges
    /// `(edge, weight)` (of a graph with edge ends `edge_ends` and weights `weights`), with
    /// `ends` their indices among the points. False when the tables cannot take them (more
    /// than [`MAX_DEFECTS`] defects or [`MAX_LOWERED`] lowered edges) or a lowered weight is
    /// negative or above the edge's own.
    fn place_points(
        &mut self,
        defects: &[usize],
        boundary: usize,
        lowered: impl ExactSizeIterator<Item = (usize, Weight)>,
        edge_ends: &[(u32, u32)],
        weights: &[Weight],
    ) -> bool {
        if defects.len() > MAX_DEFECTS || lowered.len() > MAX_LOWERED {
            return false;
        }
        self.points.clear();
        self.points.extend_from_slice(defects);
        self.points.push(boundary);
        self.ends.clear();
        for (e, w) in lowered {
            if w < 0 || w > weights[e] {
                return false;
            }
            let (a, b) = edge_ends[e];
            for v in [a as usize, b as usize] {
                let k = match self.points.iter().position(|&p| p == v) {
                    Some(k) => k,
                    None => {
                        self.points.push(v);
                        self.points.len() - 1
                    }
                };
                if !self.ends.contains(&k) {
                    self.ends.push(k);
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fusion_blossom::mwpm_solver::{PrimalDualSolver, SolverSerial};
    use fusion_blossom::util::{SolverInitializer, SyndromePattern};
    use rand_core::{RngCore, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Uniform in lo..hi (modulo bias is irrelevant here).
    fn below(rng: &mut Xoshiro256PlusPlus, lo: usize, hi: usize) -> usize {
        lo + (rng.next_u64() % (hi - lo) as u64) as usize
    }

    /// Weight of an edge set under the lowered weights, and whether it has the defects' parity.
    fn weigh(
        edges: &[usize],
        all: &[(usize, usize, Weight)],
        lowered: &[(usize, Weight)],
        defects: &[usize],
        boundary: usize,
    ) -> (Weight, bool) {
        let mut degree = vec![0usize; boundary + 1];
        let mut weight = 0;
        for &e in edges {
            let (a, b, w) = all[e];
            degree[a] += 1;
            degree[b] += 1;
            weight += lowered.iter().find(|l| l.0 == e).map_or(w, |l| l.1);
        }
        let parity = (0..boundary).all(|v| degree[v] % 2 == usize::from(defects.contains(&v)));
        (weight, parity)
    }

    /// Same weight as fusion-blossom's exact matching, and a valid parity subgraph, on random
    /// graphs, defect sets and flag-lowered edges.
    #[test]
    fn matches_fusion_blossom_weights() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        for trial in 0..200 {
            let real = below(&mut rng, 4, 40);
            let mut edges: Vec<(usize, usize, Weight)> = Vec::new();
            for a in 0..real {
                for _ in 0..2 {
                    let b = below(&mut rng, 0, real);
                    if b != a && !edges.iter().any(|e| (e.0, e.1) == (a.min(b), a.max(b))) {
                        edges.push((a.min(b), a.max(b), 2 * below(&mut rng, 0, 100) as Weight));
                    }
                }
                let to_boundary = if below(&mut rng, 0, 5) == 0 {
                    2 * below(&mut rng, 0, 100) as Weight
                } else {
                    4000
                };
                edges.push((a, real, to_boundary));
            }
            let paths = ShortestPaths::new(real + 1, &edges).expect("small graph");
            let mut solver =
                SolverSerial::new(&SolverInitializer::new(real + 1, edges.clone(), vec![real]));
            let mut scratch = Scratch::default();
            for _ in 0..10 {
                let n = below(&mut rng, 1, real.min(MAX_DEFECTS) + 1);
                let mut defects: Vec<usize> = Vec::new();
                while defects.len() < n {
                    let v = below(&mut rng, 0, real);
                    if !defects.contains(&v) {
                        defects.push(v);
                    }
                }
                let mut lowered: Vec<(usize, Weight)> = Vec::new();
                for _ in 0..below(&mut rng, 0, 4) {
                    let e = below(&mut rng, 0, edges.len());
                    if !lowered.iter().any(|l| l.0 == e) {
                        lowered.push((
                            e,
                            2 * below(&mut rng, 0, edges[e].2 as usize / 2 + 1) as Weight,
                        ));
                    }
                }
                lowered.sort_unstable();
                let mut ours = Vec::new();
                assert!(paths.parity_subgraph(&defects, real, &lowered, &mut scratch, &mut ours));
                solver.solve(&SyndromePattern {
                    defect_vertices: defects.clone(),
                    erasures: Vec::new(),
                    dynamic_weights: lowered.clone(),
                });
                let theirs = solver.subgraph();
                solver.clear();
                let (w_ours, ok) = weigh(&ours, &edges, &lowered, &defects, real);
                let (w_theirs, _) = weigh(&theirs, &edges, &lowered, &defects, real);
                assert!(ok, "trial {trial}: not a parity subgraph");
                assert_eq!(w_ours, w_theirs, "trial {trial}: {defects:?} {lowered:?}");
            }
        }
    }

    /// The parity tables' two weights are those of the lightest edge subsets with the defects'
    /// parity and an even or odd number of flipping edges, by exhaustion on small random
    /// graphs with parallel edges of either flip and flag-lowered edges.
    #[test]
    fn parity_weights_match_exhaustive_search() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
        for trial in 0..300 {
            let real = below(&mut rng, 2, 6);
            let mut edges: Vec<(usize, usize, Weight, bool)> = Vec::new();
            while edges.len() < below(&mut rng, real, 13) {
                let a = below(&mut rng, 0, real);
                let b = below(&mut rng, 0, real + 1);
                if a != b {
                    let flip = below(&mut rng, 0, 3) == 0;
                    edges.push((
                        a.min(b),
                        a.max(b),
                        2 * below(&mut rng, 0, 50) as Weight,
                        flip,
                    ));
                }
            }
            let tables = ParityDistances::new(real + 1, &edges).expect("small graph");
            let mut scratch = Scratch::default();
            for _ in 0..6 {
                let defects: Vec<usize> =
                    (0..real).filter(|_| below(&mut rng, 0, 2) == 0).collect();
                let mut lowered: Vec<(usize, Weight, bool)> = Vec::new();
                for _ in 0..below(&mut rng, 0, 3) {
                    let e = below(&mut rng, 0, edges.len());
                    if !lowered.iter().any(|l| l.0 == e) {
                        let w = 2 * below(&mut rng, 0, edges[e].2 as usize / 2 + 1) as Weight;
                        lowered.push((e, w, below(&mut rng, 0, 2) == 0));
                    }
                }
                // Every subset of the edges, a lowered edge also present as its static self.
                let all: Vec<(usize, usize, Weight, bool)> = edges
                    .iter()
                    .copied()
                    .chain(
                        lowered
                            .iter()
                            .map(|&(e, w, f)| (edges[e].0, edges[e].1, w, f)),
                    )
                    .collect();
                let mut best = [u64::MAX; 2];
                for subset in 0u32..1 << all.len() {
                    let mut degree = vec![0usize; real + 1];
                    let (mut weight, mut flip) = (0u64, 0usize);
                    for (i, &(a, b, w, f)) in all.iter().enumerate() {
                        if subset >> i & 1 == 1 {
                            degree[a] += 1;
                            degree[b] += 1;
                            weight += w as u64;
                            flip ^= f as usize;
                        }
                    }
                    if (0..real).all(|v| degree[v] % 2 == usize::from(defects.contains(&v))) {
                        best[flip] = best[flip].min(weight);
                    }
                }
                let ours = tables
                    .weights(&defects, real, &lowered, &mut scratch)
                    .expect("few defects");
                assert_eq!(
                    ours, best,
                    "trial {trial}: {edges:?} {defects:?} {lowered:?}"
                );
            }
        }
    }
}
