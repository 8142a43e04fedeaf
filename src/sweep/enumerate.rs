//! Small strata computed exactly instead of sampled.
//!
//! Stratum k of [`super::subset`] is a distribution over configurations of k faults on distinct
//! channels: channels {i_1..i_k} with probability proportional to c_i1 ... c_ik (the sampler's
//! p -> 0 weights), then one event per channel by its probability within the channel. For
//! k = 1 and 2 the configurations can be listed: every one whose exact symptom on the
//! frame-linear detectors cancels ([`super::screen`]; the others are discarded with certainty and
//! contribute exactly zero) is run on the exact engine once per leaf of its tree of dense
//! outcomes ([`ExactProgram::branches`]), which gives its acceptance and accepted infidelity
//! exactly. Their weighted sums are the stratum's a_k and f_k with no sampling error; the only
//! slack is the probability of branches left out (below [`MIN_BRANCH`]), carried as an upper
//! margin. That is what turns "no failure seen in 1e5 shots" (an upper end of about 2e-5 times
//! the stratum's weight) into a proof that strata below the fault distance contribute exactly
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

/// Configurations listed per stratum at most (before the certificate): k = 2 at d = 5 has about
/// 3e8 and takes hours; larger strata are refused.
pub const MAX_CONFIGURATIONS: u64 = 400_000_000;

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
}

impl Enumerated {
    fn add(&mut self, o: &Enumerated) {
        self.configurations += o.configurations;
        self.certified += o.certified;
        self.leaves += o.leaves;
        self.acceptance += o.acceptance;
        self.failure += o.failure;
        self.unresolved += o.unresolved;
    }
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
    pub coins: (u64, bool),
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
        if !self.program.coins_are_gauge(self.coins) {
            bail!("the circuit has random measurements after a non-Clifford gate; their coins would have to be enumerated too");
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
        let mut progress = crate::progress::Steps::new("enumerating stratum", n as u64);
        let mut sum = Enumerated::default();
        // Channels in blocks, each block's channels in parallel; partial sums are added in
        // channel order, so the result does not depend on the thread count.
        const BLOCK: usize = 256;
        for start in (0..n).step_by(BLOCK) {
            let end = (start + BLOCK).min(n);
            let parts: Vec<Enumerated> = pool.install(|| {
                (start..end)
                    .into_par_iter()
                    .map_init(
                        || self.program.workspace(),
                        |ws, i| self.from_channel(ws, k, i, &weights, norm),
                    )
                    .collect()
            });
            for part in &parts {
                sum.add(part);
            }
            for i in start..end {
                progress.step(&format!("channel {i}"));
            }
        }
        progress.finish();
        Ok(sum)
    }

    /// The configurations whose first (lowest) channel is `i`, weighted.
    fn from_channel(
        &self,
        ws: &mut crate::exact::Workspace,
        k: usize,
        i: usize,
        weights: &[f64],
        norm: f64,
    ) -> Enumerated {
        let mut sum = Enumerated::default();
        let mut run = |events: &[u32], weight: f64, sum: &mut Enumerated| {
            sum.configurations += 1;
            if self
                .screen
                .certified_symptom(events.iter().copied())
                .iter()
                .any(|&w| w != 0)
            {
                sum.certified += 1;
                return;
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
