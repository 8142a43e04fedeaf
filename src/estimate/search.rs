//! The cheapest of Litinski's distillation protocols ([`super::distillation`]) whose output error
//! meets a target: an exhaustive search over a space of code distances, made fast without
//! changing its answer.
//!
//! A [`FactorySearch`] holds one physical error rate's search: the level-1 costs, and every
//! two-level candidate ordered by a lower bound on its space-time (its cost without level-2
//! failures, which needs no simulation). A query walks the candidates in that order and stops at
//! the first whose bound reaches the best cost found, so it simulates only candidates that could
//! win. Candidates whose output error provably exceeds the target
//! ([`TwoLevel::output_error_floor`]) are skipped unsimulated, and every simulated cost is kept
//! for the next target at the same p. The answer is the exhaustive search's: the least space-time
//! per output state, ties going to the protocol first in the enumeration order (level 1, then
//! copies, second-level kind, level-2 distances), one-level protocols first.

use super::distillation::{DistillationCost, Protocol, Protocol15To1, SecondLevel, TwoLevel};
use super::schedule::Schedule;
use super::surface::check_physical;
use super::EstimateError;
use std::collections::HashMap;

/// Odd distances from `min` to `max` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DistanceRange {
    pub min: u32,
    pub max: u32,
}

impl DistanceRange {
    fn values(self) -> impl Iterator<Item = u32> + Clone {
        (self.min..=self.max).filter(|d| d % 2 == 1)
    }

    /// All (dX, dZ, dm) in range with dZ, dm ≤ dX (the checks never need more than dX).
    fn triples(self) -> Vec<Protocol15To1> {
        let mut out = Vec::new();
        for dx in self.values() {
            for dz in self.values().filter(|&d| d <= dx) {
                for dm in self.values().filter(|&d| d <= dx) {
                    out.push(Protocol15To1::new(dx, dz, dm));
                }
            }
        }
        out
    }
}

/// The protocols [`cheapest`] considers.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchSpace {
    /// Level-1 (and one-level) distances.
    pub level1: DistanceRange,
    /// Two-level factories, if any.
    pub two_level: Option<TwoLevelSpace>,
}

/// The two-level part of a [`SearchSpace`].
#[derive(Clone, Debug, PartialEq)]
pub struct TwoLevelSpace {
    pub copies: Vec<u32>,
    pub level2: DistanceRange,
    pub kinds: Vec<SecondLevel>,
}

/// A lower bound on the output error must exceed the target by this factor before a candidate
/// is skipped unsimulated: simulated output errors carry up to 0.1% of relative round-off.
const BOUND_MARGIN: f64 = 1.01;

/// A two-level protocol of the space.
struct Candidate {
    proto: TwoLevel,
    /// Its first level's index in [`FactorySearch::level1`].
    first: usize,
    /// Position in the enumeration order (ties go to the earlier).
    order: usize,
    /// Space-time per output state without level-2 failures: a lower bound on its cost.
    floor: f64,
}

/// The searches at one physical error rate over one [`SearchSpace`], sharing their work.
pub struct FactorySearch {
    p: f64,
    /// Level-1 protocols of the space whose model holds, with their costs (enumeration order).
    level1: Vec<(Protocol15To1, DistillationCost)>,
    /// Two-level candidates by increasing `floor`, then enumeration order.
    candidates: Vec<Candidate>,
    schedules: HashMap<SecondLevel, Schedule>,
    /// Per candidate (index into `candidates`): lower bound on its output error, and whether it
    /// is the full one.
    error_floor: Vec<Option<(f64, bool)>>,
    /// Per (first level, kind): the input part of the quick output-error bound.
    input_floor: HashMap<(usize, SecondLevel), f64>,
    /// Per candidate: the double-precision screening cost (None where the model breaks down).
    rough: HashMap<usize, Option<DistillationCost>>,
    /// Per candidate: the round-off-checked cost.
    checked: HashMap<usize, Option<DistillationCost>>,
}

/// The best protocol so far and its position in the enumeration order.
type Best = Option<(Protocol, DistillationCost, usize)>;

impl FactorySearch {
    /// Computes the level-1 costs and orders the two-level candidates (no level-2 simulation).
    pub fn new(p: f64, space: &SearchSpace) -> Result<Self, EstimateError> {
        check_physical(p)?;
        let level1: Vec<_> = space
            .level1
            .triples()
            .into_iter()
            .filter_map(|d| d.cost(p).ok().map(|c| (d, c)))
            .collect();
        let mut candidates = Vec::new();
        let mut schedules = HashMap::new();
        if let Some(two) = &space.two_level {
            let seconds = two.level2.triples();
            for &kind in &two.kinds {
                schedules.insert(kind, kind.schedule());
            }
            for (first, (d1, c1)) in level1.iter().enumerate() {
                for &copies in two.copies.iter().filter(|&&n| n > 0) {
                    for &kind in &two.kinds {
                        for &second in &seconds {
                            let proto = TwoLevel {
                                first: *d1,
                                copies,
                                second,
                                kind,
                            };
                            candidates.push(Candidate {
                                proto,
                                first,
                                order: level1.len() + candidates.len(),
                                floor: proto.qubit_cycles_floor(c1.failure_probability),
                            });
                        }
                    }
                }
            }
        }
        candidates.sort_by(|a, b| a.floor.total_cmp(&b.floor).then(a.order.cmp(&b.order)));
        Ok(FactorySearch {
            p,
            level1,
            error_floor: vec![None; candidates.len()],
            candidates,
            schedules,
            input_floor: HashMap::new(),
            rough: HashMap::new(),
            checked: HashMap::new(),
        })
    }

    /// The physical error rate searched.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// [`cheapest_below`] at this search's p and space.
    pub fn cheapest_below(
        &mut self,
        target: f64,
        ceiling: f64,
    ) -> Result<Option<(Protocol, DistillationCost)>, EstimateError> {
        if !(target > 0.0 && target < 1.0) {
            return Err(EstimateError::Target(target));
        }
        let mut best: Best = None;
        for (order, &(d, cost)) in self.level1.iter().enumerate() {
            if cost.qubit_cycles < ceiling {
                consider(&mut best, target, Protocol::OneLevel(d), cost, order);
            }
        }
        for i in 0..self.candidates.len() {
            let bound = best.as_ref().map_or(ceiling, |b| b.1.qubit_cycles);
            let (proto, order) = (self.candidates[i].proto, self.candidates[i].order);
            // Candidates are ordered by their floor: none from here on can win.
            if self.candidates[i].floor >= bound {
                break;
            }
            let limit = target * BOUND_MARGIN;
            if self.output_error_floor(i, limit) > limit {
                continue;
            }
            let Some(rough) = self.cost(i, false) else {
                continue;
            };
            if rough.qubit_cycles >= ceiling || !wins(&best, target, &rough, order) {
                continue;
            }
            let Some(cost) = self.cost(i, true) else {
                continue;
            };
            if cost.qubit_cycles < ceiling {
                consider(&mut best, target, Protocol::TwoLevel(proto), cost, order);
            }
        }
        Ok(best.map(|(proto, cost, _)| (proto, cost)))
    }

    /// Candidate `i`'s cost: screened in double precision, or `checked` against round-off.
    fn cost(&mut self, i: usize, checked: bool) -> Option<DistillationCost> {
        let (proto, first) = (self.candidates[i].proto, self.candidates[i].first);
        let (_, c1) = self.level1[first];
        let p = self.p;
        let memo = if checked {
            &mut self.checked
        } else {
            &mut self.rough
        };
        *memo.entry(i).or_insert_with(|| {
            proto
                .cost_given_first(p, c1.failure_probability, c1.output_error, checked)
                .ok()
        })
    }

    /// A lower bound on candidate `i`'s output error: the quick one if it exceeds `limit`,
    /// else the full one.
    fn output_error_floor(&mut self, i: usize, limit: f64) -> f64 {
        let c = &self.candidates[i];
        let (_, c1) = self.level1[c.first];
        let kind = c.proto.kind;
        let floor = |input: Option<f64>| {
            c.proto.output_error_floor(
                &self.schedules[&kind],
                self.p,
                (c1.failure_probability, c1.output_error),
                input,
            )
        };
        let quick = match self.error_floor[i] {
            Some((f, full)) if full || f > limit => return f,
            Some((f, _)) => f,
            None => {
                let input = *self
                    .input_floor
                    .entry((c.first, kind))
                    .or_insert_with(|| kind.input_floor(c1.output_error));
                floor(Some(input))
            }
        };
        let known = if quick > limit {
            (quick, false)
        } else {
            (floor(None), true)
        };
        self.error_floor[i] = Some(known);
        known.0
    }
}

/// The cheapest protocol (least qubit-cycles per output state) whose output error is at most
/// `target` at physical error `p`, or None if the space holds none. Protocols where the model
/// breaks down are skipped. Two-level candidates are screened with one double-precision run and
/// only possible winners are computed in full, so for targets below ~1e-21 (where that screen
/// is swamped by round-off) the search may miss protocols. For several targets at one p, a
/// [`FactorySearch`] shares the work.
pub fn cheapest(
    p: f64,
    target: f64,
    space: &SearchSpace,
) -> Result<Option<(Protocol, DistillationCost)>, EstimateError> {
    cheapest_below(p, target, space, f64::INFINITY)
}

/// [`cheapest`] among the protocols costing less than `ceiling` qubit-cycles per output state
/// (None if there is none).
pub fn cheapest_below(
    p: f64,
    target: f64,
    space: &SearchSpace,
    ceiling: f64,
) -> Result<Option<(Protocol, DistillationCost)>, EstimateError> {
    check_physical(p)?;
    if !(target > 0.0 && target < 1.0) {
        return Err(EstimateError::Target(target));
    }
    FactorySearch::new(p, space)?.cheapest_below(target, ceiling)
}

/// Whether `cost` (at position `order`) meets `target` and beats the best so far.
fn wins(best: &Best, target: f64, cost: &DistillationCost, order: usize) -> bool {
    let better = match best {
        None => true,
        Some((_, b, o)) => {
            cost.qubit_cycles < b.qubit_cycles
                || (cost.qubit_cycles == b.qubit_cycles && order < *o)
        }
    };
    cost.output_error <= target && better
}

/// Keeps `cost` if it [`wins`].
fn consider(best: &mut Best, target: f64, proto: Protocol, cost: DistillationCost, order: usize) {
    if wins(best, target, &cost, order) {
        *best = Some((proto, cost, order));
    }
}
