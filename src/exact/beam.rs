//! A state-aware beam search over compile orders (docs/exact-engine.md, "Order").
//!
//! The greedy rules of [`super::schedule`] guess a rotation's cost from the tableau before
//! compiling it. Here the cost is the real one: a state is the compiler itself (tableau images
//! and active set) with the order's frontier (ready units, the wires' qubit indices), and a
//! candidate is scored after it has been compiled. The only decisions are which ready non-Clifford unit comes next; after each one,
//! detectors, measurements, Cliffords and noise are taken greedily as in the rules (they never
//! widen the dense vector). Every state of the beam expands by each of its ready rotations; the
//! children are ranked by [`DenseCost`] (peak width so far, then width now, then the amplitudes
//! touched so far), children that have compiled the same set of rotations (the same physical
//! state, reached in another order) are merged, and the best `width` are kept.
//!
//! The search keeps only each state's order (a trail of unit numbers shared between states),
//! not its operations; the caller compiles the winning order once more ([`Graph::replay`]).

use super::compile::{Compiler, DenseCost};
use super::schedule::{pick_rotation, Frontier, Graph, RULES};
use crate::error::SimError;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::rc::Rc;

/// States the beam keeps.
pub(super) const BEAM_WIDTH: usize = 8;

/// Children the search may evaluate, times the circuit's qubit count (a child costs a copy of
/// the tableau, which grows with it). Each decision may spend its share of what is left; the
/// beam narrows where that is not enough for all its states, down to the first greedy rule's
/// choice. A function of the program only, so that every run compiles the same program.
const SEARCH_BUDGET: usize = 1 << 22;

/// The units compiled between two decisions, after those of the trail it extends.
struct Trail {
    before: Option<Rc<Trail>>,
    units: Vec<u32>,
}

/// One partial order: the compiler after it, what is ready next, and what it has cost.
#[derive(Clone)]
struct State {
    c: Compiler,
    f: Frontier,
    cost: DenseCost,
    trail: Option<Rc<Trail>>,
}

impl State {
    /// Compiles `rotation` (if any), then every free unit it makes ready, and counts the cost.
    fn advance(&mut self, graph: &Graph, rotation: Option<usize>) -> Result<(), SimError> {
        let mut units = Vec::new();
        if let Some(i) = rotation {
            graph.take(&mut self.c, &mut self.f, i)?;
            units.push(i as u32);
        }
        while let Some(i) = graph.next_free(&self.f) {
            graph.take(&mut self.c, &mut self.f, i)?;
            units.push(i as u32);
        }
        self.c.count_ops(&mut self.cost);
        self.trail = Some(Rc::new(Trail {
            before: self.trail.take(),
            units,
        }));
        Ok(())
    }

    /// Every unit compiled, in order.
    fn order(&self) -> Vec<usize> {
        let mut pieces = Vec::new();
        let mut t = self.trail.as_deref();
        while let Some(trail) = t {
            pieces.push(&trail.units);
            t = trail.before.as_deref();
        }
        pieces
            .into_iter()
            .rev()
            .flatten()
            .map(|&i| i as usize)
            .collect()
    }
}

/// The best complete order a beam of `width` states finds, starting from `start` (a fresh
/// compiler), with its cost; None when no order fits the compiler's limit on active qubits.
pub(super) fn beam_order(
    graph: &Graph,
    start: Compiler,
    width: usize,
) -> Option<(Vec<usize>, DenseCost)> {
    let mut root = State {
        c: start,
        f: graph.start(),
        cost: DenseCost::default(),
        trail: None,
    };
    root.advance(graph, None).ok()?;
    let mut beam = vec![root];
    let mut children_left = SEARCH_BUDGET / graph.num_qubits().max(1);
    loop {
        let mut children: Vec<State> = Vec::new();
        let mut seen: HashMap<Vec<u64>, usize> = HashMap::new();
        // What is left of the budget, shared evenly by the decisions left: the best states
        // expand while it lasts; when even the best one's rotations do not fit, it takes the
        // first greedy rule's choice alone.
        let decisions_left = graph.rotations_left(&beam[0].f).max(1);
        let share = children_left / decisions_left;
        let mut spent = 0;
        for (k, s) in beam.iter().enumerate() {
            let mut candidates: Vec<usize> = graph.ready_rotations(&s.f).collect();
            if spent + candidates.len() > share {
                if k > 0 {
                    break;
                }
                candidates = pick_rotation(&s.c, graph, &s.f, RULES[0])
                    .into_iter()
                    .collect();
            }
            spent += candidates.len();
            children_left = children_left.saturating_sub(candidates.len());
            for i in candidates {
                let mut child = s.clone();
                // A child that passes the limit on active qubits is dropped.
                if child.advance(graph, Some(i)).is_err() {
                    continue;
                }
                match seen.entry(child.f.done.clone()) {
                    Entry::Occupied(e) => {
                        let k = *e.get();
                        if child.cost < children[k].cost {
                            children[k] = child;
                        }
                    }
                    Entry::Vacant(e) => {
                        e.insert(children.len());
                        children.push(child);
                    }
                }
            }
        }
        if children.is_empty() {
            break;
        }
        // Stable: equal costs keep the order they were found in, so the search is deterministic.
        children.sort_by_key(|s| s.cost);
        children.truncate(width.max(1));
        beam = children;
    }
    let best = beam.into_iter().next()?;
    graph
        .is_complete(&best.f)
        .then(|| (best.order(), best.cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::magic::{ChModel, HadamardPrep};
    use crate::noise::NoiseModel;

    /// The cost the search counts is that of the program its order compiles to, and on the d = 3
    /// |H> preparation it is no worse than the first greedy rule's.
    #[test]
    fn the_counted_cost_is_the_compiled_one() {
        let prep = HadamardPrep::new(3).unwrap();
        let circuit = prep.circuit(&NoiseModel::named("cn20").unwrap(), 1e-3, ChModel::Exact);
        let graph = Graph::new(&circuit, true).unwrap();
        let (order, cost) = beam_order(&graph, graph.compiler(26), BEAM_WIDTH).unwrap();
        assert_eq!(order.len(), graph.num_units());
        let mut replayed = graph.replay(&order, 26).unwrap();
        let mut counted = DenseCost::default();
        replayed.count_ops(&mut counted);
        assert_eq!(counted, cost);
        let mut greedy = graph.compiler(26);
        super::super::schedule::compile_scheduled(&mut greedy, &graph, RULES[0]).unwrap();
        let mut by_rule = DenseCost::default();
        greedy.count_ops(&mut by_rule);
        assert!(cost.peak <= by_rule.peak, "{cost:?} vs {by_rule:?}");
    }
}
