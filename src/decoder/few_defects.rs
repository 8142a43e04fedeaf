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

/// Largest defect count the subset programme takes (2^12 states); more goes to the solver.
pub const MAX_DEFECTS: usize = 12;
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
    /// edge's own). None when the tables cannot answer: more than [`MAX_DEFECTS`] defects, too
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
    ) -> Option<Vec<usize>> {
        let n = defects.len();
        if n > MAX_DEFECTS || lowered.len() > MAX_LOWERED {
            return None;
        }
        // Points: the defects, the boundary, then the lowered edges' ends.
        let points = &mut scratch.points;
        points.clear();
        points.extend_from_slice(defects);
        points.push(boundary);
        for &(e, w) in lowered {
            if w < 0 || w > self.weights[e] {
                return None;
            }
            let (a, b) = self.ends[e];
            for v in [a as usize, b as usize] {
                if !points.contains(&v) {
                    points.push(v);
                }
            }
        }
        let m = points.len();
        // Small graph: distance and how to walk it (NONE: an old path; else a lowered edge or,
        // after Floyd-Warshall, an intermediate point + VIA).
        let (dist, step) = (&mut scratch.dist, &mut scratch.step);
        dist.clear();
        step.clear();
        for &a in points.iter() {
            for &b in points.iter() {
                let d = self.distance(a, b);
                dist.push(if d == u32::MAX { u64::MAX } else { d as u64 });
                step.push(NONE);
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
        let ends = &mut scratch.ends;
        ends.clear();
        for &(e, _) in lowered {
            let (a, b) = self.ends[e];
            for v in [a as usize, b as usize] {
                let k = index(v);
                if !ends.contains(&k) {
                    ends.push(k);
                }
            }
        }
        {
            for &k in ends.iter() {
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
        for set in 1..=full {
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
            return None;
        }
        let mut edges = Vec::new();
        let mut set = full;
        while set != 0 {
            let i = set.trailing_zeros() as usize;
            let j = table[set].1 as usize;
            let partner = if j == i { n } else { j };
            self.push_small_path(points, step, m, i, partner, &mut edges);
            set &= !((1 << i) | (1 << j));
        }
        // An edge used by two paths cancels (parity).
        edges.sort_unstable();
        let mut parity = Vec::with_capacity(edges.len());
        for e in edges {
            if parity.last() == Some(&e) {
                parity.pop();
            } else {
                parity.push(e);
            }
        }
        Some(parity)
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

/// Largest number of flag-lowered edges handled without the solver.
const MAX_LOWERED: usize = 16;
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
                let ours = paths
                    .parity_subgraph(&defects, real, &lowered, &mut scratch)
                    .expect("matchable");
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
}
