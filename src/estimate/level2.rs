//! Second level of the bottom-up scheme (optional, `--levels 2`): level-1 |H> states feed a
//! Hadamard measurement of a larger distance-d2 color code built from encoded Clifford gates,
//! in the spirit of Chamberland-Noh's second level (npj Quantum Inf. 6, 91 (2020)). This is
//! OUR simplified cost model, not a simulation: its assumptions are stated here and in every
//! report that uses it.
//!
//! Gadget (per attempt): the input level-1 state is grown into a distance-d2 patch (d2 rounds);
//! the logical Hadamard is measured [`MEASUREMENTS`] = m times, each with a controlled-H from a
//! control patch, CH = (I x Ry(pi/4)) CZ (I x Ry(-pi/4)), each Ry(±pi/4) by teleportation of one
//! level-1 |H> state (Ry(pi/4)|0> = |H>; the correction is Clifford), the CZ by lattice surgery
//! (d2 rounds each step: 3 d2 rounds per measurement). Postselect on all outcomes +1.
//!
//! - inputs n_in = 1 + 2m level-1 states; rounds R2 = d2 (1 + 3m); time T2 = R2 t_EC(d2), with
//!   t_EC(d2) the time steps of one stabilizer round of our generated distance-d2 circuit;
//! - level-1 factories k1 = ceil(n_in (T1 / P1) / T2), so the inputs arrive in time;
//! - qubits Q2 = 2 N(d2) + k1 N(d1) (data and control patches, level-1 factories);
//! - acceptance P2 = (1 - eps1)^n_in: ASSUMED, every single faulty level-1 state is detected
//!   (the design goal of the second level; not verified by simulation here);
//! - output error eps2 = C(n_in, 2) eps1^2 + 2 R2 p_mem(d2): every pair of faulty level-1 states
//!   assumed to give an accepted failure (an upper bound on that term), plus memory errors of
//!   the two patches over R2 rounds;
//! - p_mem(d2) per round from a fit of color-code memory statistics at d2 if given, otherwise
//!   the ASSUMED surface-code-like model 0.1 (100 p)^((d2+1)/2) (Litinski's, Quantum 3, 205).

use super::bottom_up::{
    effective_counts, fit_amplitude, BottomUpCost, Interval, LIKELIHOOD_FACTOR,
};
use crate::sweep::fit::fit_binomial;
use crate::sweep::stats::{combine, TaskStats};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Hadamard measurements per level-2 attempt.
pub const MEASUREMENTS: u64 = 2;
/// Level-1 states consumed per attempt: the input and two per controlled-H.
pub const INPUTS: u64 = 1 + 2 * MEASUREMENTS;

/// A per-round logical error fit p_mem(p) = A p^((d+1)/2) of a color-code memory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryFit {
    pub d: usize,
    pub a: Interval,
    pub points: usize,
    pub p_min: f64,
    pub p_max: f64,
    /// The memory tasks behind it: `memory-x`, `memory-z`, or `memory-x + memory-z` when A is
    /// the sum of the two bases' fits (a stored patch fails by either logical flip). Empty in
    /// fits files written before this field existed.
    #[serde(default)]
    pub tasks: String,
}

/// Where p_mem comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct MemoryModel {
    /// Fits from memory statistics (possibly none).
    pub fits: Vec<MemoryFit>,
}

impl MemoryModel {
    /// p_mem(d2) per round, and whether it is the assumed model (no fit at d2).
    pub fn per_round(&self, p: f64, d: usize) -> (f64, bool) {
        match self.fits.iter().find(|f| f.d == d) {
            Some(f) => ((f.a.est * p.powf((d as f64 + 1.0) / 2.0)).min(1.0), false),
            None => (
                super::surface::logical_error_per_cycle(p, d as u32).min(1.0),
                true,
            ),
        }
    }
}

/// Fits the per-round logical error of color-code memory rows (`"task"`: `memory-x` or
/// `memory-z`, integer `"d"` and `"rounds"`, numeric `"p"`): per-shot rate P (errors / kept)
/// becomes 1 - (1 - P)^(1/rounds) per round (interval edges mapped the same way), and
/// A is fitted by maximum likelihood on the effective counts of the per-round intervals
/// (as in [`super::bottom_up`]), per task and distance.
///
/// A memory-x experiment sees logical Z flips and a memory-z one logical X flips; a patch that
/// stores a state fails by either, so where both tasks were sampled at a distance the two fits
/// are added (A_x + A_z, interval edges added: conservative, as the two are independent).
///
/// Only points below threshold enter: a p counts when the largest distance sampled there (for
/// the same task) has a lower per-round error than the smallest (p^((d+1)/2) holds only where
/// more distance helps). With a single distance at some p, that p is kept.
pub fn memory_fits(rows: &[TaskStats]) -> Vec<MemoryFit> {
    // (task, d) -> (p, per-round interval) points.
    let mut by_task: BTreeMap<(String, usize), Vec<(f64, Interval)>> = BTreeMap::new();
    for row in combine(rows.iter().cloned()) {
        let m = &row.json_metadata;
        let task = match m.get("task").and_then(Value::as_str) {
            Some(t @ ("memory-x" | "memory-z")) => t.to_string(),
            _ => continue,
        };
        if m.get("code").and_then(Value::as_str).unwrap_or("color666") != "color666" {
            continue;
        }
        let (Some(d), Some(r), Some(p)) = (
            m.get("d").and_then(Value::as_u64),
            m.get("rounds").and_then(Value::as_u64),
            m.get("p").and_then(Value::as_f64),
        ) else {
            continue;
        };
        if r == 0 || row.kept() == 0 {
            continue;
        }
        let f = fit_binomial(row.errors, row.kept(), LIKELIHOOD_FACTOR);
        let per_round = |x: f64| 1.0 - (1.0 - x.min(1.0)).powf(1.0 / r as f64);
        by_task
            .entry((task, d as usize))
            .or_default()
            .push((p, Interval::new(f.best, f.low, f.high).map(per_round)));
    }
    // Per task and p (by its bits): (smallest d, its rate), (largest d, its rate).
    type Ends = ((usize, f64), (usize, f64));
    let mut ends: BTreeMap<(&str, u64), Ends> = BTreeMap::new();
    for ((task, d), pts) in &by_task {
        for (p, i) in pts {
            let e = ends
                .entry((task.as_str(), p.to_bits()))
                .or_insert(((*d, i.est), (*d, i.est)));
            if *d < e.0 .0 {
                e.0 = (*d, i.est);
            }
            if *d > e.1 .0 {
                e.1 = (*d, i.est);
            }
        }
    }
    let below_threshold = |task: &str, p: f64| {
        let ((d_lo, small), (d_hi, large)) = ends[&(task, p.to_bits())];
        d_lo == d_hi || large < small
    };
    // Per distance, the fits of each task, then added.
    let mut per_d: BTreeMap<usize, Vec<MemoryFit>> = BTreeMap::new();
    for ((task, d), pts) in &by_task {
        let pts: Vec<&(f64, Interval)> = pts
            .iter()
            .filter(|(p, _)| below_threshold(task, *p))
            .collect();
        let k = (*d as f64 + 1.0) / 2.0;
        let counts: Vec<(f64, (f64, f64))> = pts
            .iter()
            .filter_map(|(p, i)| {
                effective_counts(i.est, i.lo, i.hi, LIKELIHOOD_FACTOR).map(|c| (p.powf(k), c))
            })
            .collect();
        if counts.is_empty() {
            continue;
        }
        let xs: Vec<f64> = counts.iter().map(|c| c.0).collect();
        let cs: Vec<(f64, f64)> = counts.iter().map(|c| c.1).collect();
        per_d.entry(*d).or_default().push(MemoryFit {
            d: *d,
            a: fit_amplitude(&xs, &cs),
            points: counts.len(),
            p_min: pts.iter().map(|t| t.0).fold(f64::INFINITY, f64::min),
            p_max: pts.iter().map(|t| t.0).fold(0.0, f64::max),
            tasks: task.clone(),
        });
    }
    per_d
        .into_values()
        .filter_map(|fits| {
            fits.into_iter().reduce(|a, b| MemoryFit {
                d: a.d,
                a: Interval::new(a.a.est + b.a.est, a.a.lo + b.a.lo, a.a.hi + b.a.hi),
                points: a.points + b.points,
                p_min: a.p_min.min(b.p_min),
                p_max: a.p_max.max(b.p_max),
                tasks: format!("{} + {}", a.tasks, b.tasks),
            })
        })
        .collect()
}

/// Time steps of one stabilizer round of the distance-d redundant-layout circuit.
pub fn round_steps(d: usize) -> u64 {
    let layout = crate::layout::Layout::new(d, crate::layout::LayoutKind::Redundant);
    crate::schedule::round_depth(&layout) as u64
}

/// Cost of one level-2 output state.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Level2Cost {
    pub d1: usize,
    pub d2: usize,
    pub level1_factories: u64,
    pub qubits: u64,
    pub rounds: u64,
    pub round_steps: u64,
    pub steps: u64,
    pub acceptance: f64,
    /// Output error (estimate; low/high from level 1's interval).
    pub logical: Interval,
    pub memory_per_round: f64,
    pub memory_assumed: bool,
    pub expected_steps: f64,
    pub spacetime: f64,
}

/// n choose 2.
fn pairs(n: u64) -> f64 {
    (n * (n - 1) / 2) as f64
}

/// The level-2 cost on top of level-1 cost `l1` (its d is d1), distance `d2`, physical `p`;
/// `round_steps` = [`round_steps`]`(d2)`.
pub fn cost(
    l1: &BottomUpCost,
    d2: usize,
    round_steps: u64,
    p: f64,
    memory: &MemoryModel,
) -> Level2Cost {
    let rounds = d2 as u64 * (1 + 3 * MEASUREMENTS);
    let steps = rounds * round_steps;
    let per_l1 = l1.expected_steps.est;
    let k1 = ((INPUTS as f64 * per_l1 / steps as f64).ceil() as u64).max(1);
    let qubits = 2 * super::bottom_up::qubits(d2) + k1 * l1.qubits;
    let (pm, assumed) = memory.per_round(p, d2);
    let out = |e: f64| pairs(INPUTS) * e * e + 2.0 * rounds as f64 * pm;
    // A level 1 without observed errors is judged by its upper bound (as in `compare`).
    let e1 = super::compare::judged(l1.logical);
    let eps = Interval::new(out(e1), out(l1.logical.lo), out(l1.logical.hi));
    let acceptance = (1.0 - e1).powi(INPUTS as i32);
    let expected = steps as f64 / acceptance;
    Level2Cost {
        d1: l1.d,
        d2,
        level1_factories: k1,
        qubits,
        rounds,
        round_steps,
        steps,
        acceptance,
        logical: eps,
        memory_per_round: pm,
        memory_assumed: assumed,
        expected_steps: expected,
        spacetime: expected * qubits as f64,
    }
}
