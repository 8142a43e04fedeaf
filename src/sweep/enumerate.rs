//! Small strata computed exactly instead of sampled.
//!
//! Stratum k of [`super::subset`] is a distribution over configurations of k faults on distinct
//! channels: channels {i_1..i_k} with probability proportional to c_i1 ... c_ik (the sampler's
//! p -> 0 weights), then one event per channel by its probability within the channel. For
//! k = 1 and 2 the configurations can be listed: every one whose exact symptom on the
//! frame-linear detectors cancels ([`super::screen`]; the others are discarded with certainty and
//! contribute exactly zero) is run on the exact engine once per leaf of its tree of dense
//! outcomes ([`ExactProgram::branches`]), which gives its acceptance and accepted infidelity
//! exactly. Two kinds are known to be discarded without a run: those whose first deciding
//! item in the effect table ([`crate::exact::FaultRows`]) is a postselected detector (before
//! any flipped rotation sign the shot is the noiseless process with its records XORed), and
//! pairs whose earlier fault alone is discarded, in every branch, at a detector evaluated
//! before the later fault happens (the shot is the same up to there). The weighted sums are the
//! stratum's a_k and f_k with no sampling error; the only slack is the probability of branches
//! left out (below [`MIN_BRANCH`]), carried as an upper margin. That is what turns "no failure
//! seen in 1e5 shots" (an upper end of about 2e-5 times the stratum's weight) into a proof that
//! strata below the fault distance contribute exactly
//! zero, and gives their acceptance exactly.

use super::screen::Screen;
use super::subset::Channels;
use crate::exact::{ExactProgram, Injection, ShotEnd};
use crate::magic::HadamardScore;
use anyhow::{bail, Result};
use rayon::prelude::*;

/// Branches whose conditional probability is below this are left out (their mass is kept as
/// `unresolved`).
pub const MIN_BRANCH: f64 = 1e-12;

/// Leaves walked per configuration at most (a configuration that needs more leaves the rest
/// unresolved).
const MAX_LEAVES: u64 = 1 << 12;

/// Configurations listed per stratum at most (before the certificate); larger strata are
/// refused. k = 2 has 3.3e6 at d = 3 (about a second), 1.5e8 at d = 5 (about 2 CPU-minutes)
/// and 1.8e9 at d = 7 (about 5 CPU-hours).
pub const MAX_CONFIGURATIONS: u64 = 4_000_000_000;

/// An enumerated stratum.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Enumerated {
    /// Configurations listed.
    pub configurations: u64,
    /// Of those, discarded with certainty by the frame-linear certificate (not run).
    pub certified: u64,
    /// Shots run (leaves of the outcome trees).
    pub leaves: u64,
    /// The stratum's acceptance a_k and accepted infidelity f_k.
    pub acceptance: f64,
    pub failure: f64,
    /// Probability (within the stratum) of the branches left out: a_k and f_k are exact up to
    /// adding at most this.
    pub unresolved: f64,
    /// Configurations not run because their earlier fault alone is discarded, in every branch,
    /// before the later one happens (so is the pair, with the same branches).
    pub discarded_early: u64,
    /// Configurations not run because a postselected detector fires before their first
    /// flipped rotation sign ([`crate::exact::FaultRows`]): discarded there in every branch.
    pub decided_by_frame: u64,
    /// Configurations run whose effect rows flip no deciding item (accepted in every branch,
    /// the state the noiseless one up to a final Pauli).
    pub linear: u64,
}

/// The names of [`Enumerated::counts`] in an enumerated row's metadata (they describe the
/// enumeration, not the curve the row joins).
pub const COUNT_KEYS: [&str; 5] = [
    "certified",
    "leaves",
    "discarded_early",
    "decided_by_frame",
    "linear",
];

impl Enumerated {
    /// The counts named by [`COUNT_KEYS`], in that order.
    pub fn counts(&self) -> [u64; 5] {
        [
            self.certified,
            self.leaves,
            self.discarded_early,
            self.decided_by_frame,
            self.linear,
        ]
    }

    fn add(&mut self, o: &Enumerated) {
        self.configurations += o.configurations;
        self.certified += o.certified;
        self.leaves += o.leaves;
        self.acceptance += o.acceptance;
        self.failure += o.failure;
        self.unresolved += o.unresolved;
        self.discarded_early += o.discarded_early;
        self.decided_by_frame += o.decided_by_frame;
        self.linear += o.linear;
    }
}

/// What one fault alone does: the latest operation at which it is discarded over its branches
/// (u32::MAX when a branch is accepted) and the probability of its branches left out.
#[derive(Clone, Copy, Debug)]
struct Reach {
    discarded_by: u32,
    unresolved: f64,
}

/// What the enumeration runs on: the exact program, the body's postselection mask, the score
/// of an accepted state, every event's place in the program and the certificate.
pub struct Enumerator<'a> {
    pub program: &'a ExactProgram,
    pub postselect: &'a [bool],
    pub score: &'a HadamardScore,
    pub placement: &'a [Injection],
    pub screen: &'a Screen,
    pub channels: &'a Channels,
    /// [`crate::exact::coin_bounds`] of the circuit.
    pub coins: crate::exact::CoinBounds,
    /// The coins' stream ([`crate::exact::COIN_SEED`]; any other gives the same sums).
    pub coin_seed: u64,
}

/// Configurations of `k` faults on distinct channels of `channels` (events per channel summed).
pub fn configurations(channels: &Channels, k: usize) -> u64 {
    let sizes: Vec<u64> = (0..channels.len())
        .map(|i| channels.events_of(i).count() as u64)
        .collect();
    // Elementary symmetric sums of the channel sizes, up to k, saturating.
    let mut e = vec![0u64; k + 1];
    e[0] = 1;
    for &n in &sizes {
        for j in (1..=k).rev() {
            e[j] = e[j].saturating_add(e[j - 1].saturating_mul(n));
        }
    }
    e[k]
}

impl Enumerator<'_> {
    /// Stratum `k` (1 or 2) computed exactly with `threads` threads.
    pub fn stratum(&self, k: usize, threads: usize) -> Result<Enumerated> {
        if !(1..=2).contains(&k) {
            bail!("only strata of 1 and 2 faults are enumerated, not {k}");
        }
        let [lx, lz] = self.score.scored(self.program);
        if !self.program.coins_are_gauge(self.coins, &[&lx, &lz]) {
            bail!("the circuit has random measurements after a non-Clifford gate that the frame does not show to be gauges; their coins would have to be enumerated too");
        }
        let count = configurations(self.channels, k);
        if count > MAX_CONFIGURATIONS {
            bail!(
                "stratum k = {k} has {count} fault configurations, more than the {MAX_CONFIGURATIONS} enumerated at most; sample it instead (--method screened)"
            );
        }
        let n = self.channels.len();
        let weights: Vec<f64> = (0..n).map(|i| self.channels.weight(i)).collect();
        let total: f64 = weights.iter().sum();
        // Normalisation of the weights of channel sets: e_k(c) / total^k.
        let norm = match k {
            1 => total,
            _ => (total * total - weights.iter().map(|c| c * c).sum::<f64>()) / 2.0,
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()?;
        let reach = if k == 2 {
            let detector_ops = self.program.detector_ops();
            let events = self.placement.len();
            pool.install(|| {
                (0..events as u32)
                    .into_par_iter()
                    .map_init(
                        || self.program.workspace(),
                        |ws, e| self.reach(ws, e, &detector_ops),
                    )
                    .collect()
            })
        } else {
            Vec::new()
        };
        let mut progress = crate::progress::Steps::new("enumerating configurations", count);
        let mut sum = Enumerated::default();
        // Channels in blocks, each block's channels in parallel; partial sums are added in
        // channel order, so the result does not depend on the thread count. Pairs make a
        // channel's work thousands of times larger: smaller blocks keep the progress moving.
        let block = if k == 1 { 256 } else { 16 };
        for start in (0..n).step_by(block) {
            let end = (start + block).min(n);
            let parts: Vec<Enumerated> = pool.install(|| {
                (start..end)
                    .into_par_iter()
                    .map_init(
                        || self.program.workspace(),
                        |ws, i| self.starting_at(ws, k, i, &weights, norm, &reach),
                    )
                    .collect()
            });
            let before = sum.configurations;
            for part in &parts {
                sum.add(part);
            }
            progress.advance(
                sum.configurations - before,
                &format!("k = {k}, channels {start}..{end} of {n}"),
            );
        }
        progress.finish();
        Ok(sum)
    }

    /// Event `e` alone: where it is discarded at the latest ([`Reach`]).
    fn reach(&self, ws: &mut crate::exact::Workspace, e: u32, detector_ops: &[u32]) -> Reach {
        let mut discarded_by = 0;
        let walk = self.program.branches(
            ws,
            &[self.placement[e as usize]],
            Some(self.postselect),
            MIN_BRANCH,
            MAX_LEAVES,
            self.coin_seed,
            |_, end, _| {
                let at = match end {
                    ShotEnd::Discarded { detector } => detector_ops[detector as usize],
                    ShotEnd::Completed => u32::MAX,
                };
                discarded_by = discarded_by.max(at);
            },
        );
        Reach {
            discarded_by,
            unresolved: walk.unresolved,
        }
    }

    /// The configurations whose first (lowest) channel is `i`, weighted (`reach`: every
    /// event's, for k = 2).
    fn starting_at(
        &self,
        ws: &mut crate::exact::Workspace,
        k: usize,
        i: usize,
        weights: &[f64],
        norm: f64,
        reach: &[Reach],
    ) -> Enumerated {
        let frame = self.screen.effect_rows();
        let mut sum = Enumerated::default();
        let mut scratch = Vec::new();
        let mut run = |events: &[u32], weight: f64, sum: &mut Enumerated| {
            sum.configurations += 1;
            if !self.screen.certified_cancel(events.iter().copied()) {
                sum.certified += 1;
                return;
            }
            match frame.map(|f| f.decide(events.iter().copied(), &mut scratch)) {
                Some(crate::exact::FrameVerdict::Discarded) => {
                    sum.decided_by_frame += 1;
                    return;
                }
                Some(crate::exact::FrameVerdict::Linear) => sum.linear += 1,
                _ => {}
            }
            if let [a, b] = *events {
                let (pa, pb) = (self.placement[a as usize], self.placement[b as usize]);
                let (first, later) = if pa.op <= pb.op { (a, pb) } else { (b, pa) };
                let r = reach[first as usize];
                if later.op > r.discarded_by {
                    sum.discarded_early += 1;
                    sum.unresolved += weight * r.unresolved;
                    return;
                }
            }
            let mut placed: Vec<Injection> =
                events.iter().map(|&e| self.placement[e as usize]).collect();
            placed.sort_unstable();
            let (mut accepted, mut infidelity) = (0.0, 0.0);
            let walk = self.program.branches(
                ws,
                &placed,
                Some(self.postselect),
                MIN_BRANCH,
                MAX_LEAVES,
                self.coin_seed,
                |ws, end, probability| {
                    if end == ShotEnd::Completed {
                        if let Some(f) = self.score.fidelity(self.program, ws) {
                            accepted += probability;
                            infidelity += probability * (1.0 - f).max(0.0);
                        }
                    }
                },
            );
            sum.leaves += walk.leaves;
            sum.acceptance += weight * accepted;
            sum.failure += weight * infidelity;
            sum.unresolved += weight * walk.unresolved;
        };
        let ci = weights[i] / norm;
        for (e, qe) in self.channels.events_of(i) {
            if k == 1 {
                run(&[e], ci * qe, &mut sum);
                continue;
            }
            for (j, &cj) in weights.iter().enumerate().skip(i + 1) {
                for (f, qf) in self.channels.events_of(j) {
                    run(&[e, f], ci * qe * cj * qf, &mut sum);
                }
            }
        }
        sum
    }
}
