//! Exact sums over a shot's random outcomes, for a fixed set of faults.
//!
//! With the faults fixed ([`NoiseMode::Fixed`]), what is left random in a shot is the outcome
//! of each measurement: the fair coins of frame-random measurements and the outcomes of dense
//! measurements, drawn from the dense vector. Sampling them estimates a configuration's
//! acceptance and infidelity; walking the tree of dense outcomes computes them exactly, each
//! leaf weighted by the product of the probabilities of the outcomes on its path.
//!
//! The coins need no walk ([`ExactProgram::coins_are_gauge`], [`coin_bounds`]) when every coin
//! is either the reset of a qubit in a product state with the rest (the outcome it forgets
//! changes nothing) or a measurement before the first non-Clifford gate in circuit order (a
//! reset into a magic state such as `RH` does not count: its rotation acts on a fresh |0>). Up
//! to that gate every fault is a Pauli, a coin's two branches differ by a stabilizer g of the
//! state before it (the engine's reason to call it random) applied after it, and the Pauli
//! feedback that follows makes both the same state again (the noiseless protocol is accepted
//! with the same state for every coin; a Pauli fault E only adds the coin-independent factor E
//! and its coin-independent flips of the records). So one coin stream serves every leaf. Shots
//! of the |H> preparation satisfy this: their coins are the gauge of the growth round
//! (docs/hadamard-prep.md) and resets of measured ancillas. A coin after a non-Clifford gate
//! is admitted too when the frame shows it to be a gauge ([`super::linear::gauge_coins`]: the
//! Pauli it applies flips no rotation sign and reaches no detector, observable or scored
//! expectation), as for GHZ leaves read out in X after their CHs.
//!
//! The walk re-runs the shot with the outcomes of a path forced (no copies of the state): a
//! depth-first enumeration in which each run takes the more probable outcome at every dense
//! measurement past its forced prefix, and the next run flips the deepest such outcome whose
//! other branch has probability at least `min_branch`. Branches below that (conditional)
//! probability are left out; their total is returned, so a sum over leaves is exact up to it.

use super::linear::first_common;
use super::program::{ExactProgram, FinalObservable, Injection, NoiseMode, ShotEnd, Workspace};
use super::steps::Step;
use crate::circuit::Circuit;
use crate::gates::{rotation_steps, GateKind, RotationStep};
use rand_core::SeedableRng;

/// Where a circuit's fair coins are harmless for fixed Pauli faults (see the module note).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoinBounds {
    /// Measurement records written before the first non-Clifford gate that acts on qubits as
    /// they are (a reset into a magic state such as `RH` does not count: its rotation acts on
    /// a fresh |0>).
    pub records_before_non_clifford: u64,
    /// Whether every reset acts on a qubit that no multi-qubit gate has touched since its last
    /// measurement or reset (such a qubit is in a product state with the rest, so the random
    /// outcome a reset forgets changes nothing).
    pub product_resets: bool,
}

/// [`CoinBounds`] of `circuit`. Loops count as unrolled.
pub fn coin_bounds(circuit: &Circuit) -> CoinBounds {
    let mut records = 0u64;
    let mut before_non_clifford = true;
    let mut product_resets = true;
    // Qubits touched by a multi-qubit gate since their last measurement or reset.
    let mut entangled: Vec<bool> = Vec::new();
    let set = |q: Option<u32>, v: bool, e: &mut Vec<bool>| -> bool {
        let Some(q) = q.map(|q| q as usize) else {
            return false;
        };
        if e.len() <= q {
            e.resize(q + 1, false);
        }
        std::mem::replace(&mut e[q], v)
    };
    let _ = circuit.for_each_flat(&mut |ins| -> Result<(), ()> {
        let kind = ins.gate.kind();
        if before_non_clifford {
            if let Some(steps) = rotation_steps(ins.gate, &ins.args) {
                let prepares = matches!(steps.first(),
                    Some(RotationStep::Clifford { gate, .. }) if gate.name() == "R");
                before_non_clifford = prepares;
            }
        }
        if before_non_clifford {
            records += ins.num_measurements();
        }
        match kind {
            GateKind::Reset(_) | GateKind::MagicReset | GateKind::MeasureReset(_) => {
                for t in &ins.targets {
                    if set(t.qubit_index(), false, &mut entangled) {
                        product_resets = false;
                    }
                }
            }
            GateKind::Measure(_) => {
                for t in &ins.targets {
                    set(t.qubit_index(), false, &mut entangled);
                }
            }
            GateKind::Clifford2 | GateKind::NonClifford2 => {
                for pair in ins.targets.chunks(2) {
                    // A classically controlled Pauli (a record or sweep bit as one target)
                    // entangles nothing.
                    if pair.iter().all(|t| t.qubit_index().is_some()) {
                        for t in pair {
                            set(t.qubit_index(), true, &mut entangled);
                        }
                    }
                }
            }
            GateKind::PauliProductMeasure | GateKind::PauliProductRotation { .. } => {
                for t in &ins.targets {
                    set(t.qubit_index(), true, &mut entangled);
                }
            }
            _ => {}
        }
        Ok(())
    });
    CoinBounds {
        records_before_non_clifford: records,
        product_resets,
    }
}

/// One dense measurement on a path: its outcome and whether that is its less probable one,
/// taken after the other's subtree was walked.
#[derive(Clone, Copy, Debug)]
struct Turn {
    outcome: bool,
    flipped: bool,
}

/// Dense outcomes taken by choice: the forced prefix of a path, then the more probable one.
#[derive(Clone, Debug, Default)]
pub(super) struct OutcomeScript {
    forced: Vec<Turn>,
    /// Per dense measurement reached: the probabilities of outcomes 0 and 1, and the turn.
    seen: Vec<([f64; 2], Turn)>,
}

impl OutcomeScript {
    /// The outcome of the next dense measurement, whose outcome weights are `weights`.
    pub(super) fn choose(&mut self, [w0, w1]: [f64; 2]) -> bool {
        let total = w0 + w1;
        let probs = [w0 / total, w1 / total];
        let turn = match self.forced.get(self.seen.len()) {
            Some(&turn) => turn,
            None => Turn {
                outcome: probs[1] > probs[0],
                flipped: false,
            },
        };
        self.seen.push((probs, turn));
        turn.outcome
    }
}

/// What the walk over one configuration's outcomes found.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BranchSum {
    /// Leaves visited (shots run).
    pub leaves: u64,
    /// Probability of the leaves left out (branches below `min_branch`, or past `max_leaves`).
    pub unresolved: f64,
}

/// Seed of the one coin stream every leaf uses (any fixed stream will do: see the module note;
/// `tests/subset.rs` checks that another gives the same sums).
pub const COIN_SEED: u64 = 0xC01D_5EED;

impl ExactProgram {
    /// Whether every fair coin of a shot is harmless for fixed Pauli faults, given
    /// [`coin_bounds`] of its circuit and the observables whose final expectation is scored:
    /// a measurement whose record comes before the first non-Clifford gate, or a reset (no
    /// record) when every reset acts on a product state, or a coin the frame shows to be a
    /// gauge ([`super::linear::gauge_coins`]). (The compiler may run a coin after a
    /// non-Clifford gate on other qubits; records keep circuit order.)
    pub fn coins_are_gauge(&self, coins: CoinBounds, scored: &[&FinalObservable]) -> bool {
        let mut by_frame: Option<Vec<u32>> = None;
        self.steps.steps.iter().all(|(_, s)| match s {
            Step::MeasureRandom { record, .. } if *record == u32::MAX => coins.product_resets,
            Step::MeasureRandom { record, .. } => {
                u64::from(*record) < coins.records_before_non_clifford
                    || by_frame
                        .get_or_insert_with(|| super::linear::gauge_coins(self, scored))
                        .binary_search(record)
                        .is_ok()
            }
            _ => true,
        })
    }

    /// The operation at which each detector is evaluated (the `op` of [`Injection`]s): a fault
    /// placed at a later operation cannot change whether a shot was discarded there.
    pub fn detector_ops(&self) -> Vec<u32> {
        let st = &self.steps;
        let mut ops = vec![u32::MAX; self.num_detectors];
        for &(at, step) in &st.steps {
            let index = match step {
                Step::Detector { index, .. } => index,
                Step::MeasureFixed { then, .. } | Step::MeasureRandom { then, .. }
                    if then != super::steps::NONE =>
                {
                    st.fused[then as usize].0
                }
                _ => continue,
            };
            ops[index as usize] = at;
        }
        ops
    }

    /// Runs the shot with exactly the faults `placed` (sorted, as for [`NoiseMode::Fixed`])
    /// once per leaf of its tree of dense outcomes, calling `leaf(workspace, end, probability)`
    /// after each; branches whose conditional probability is below `min_branch` are left out,
    /// and at most `max_leaves` leaves are run. The coins come from one stream seeded with
    /// `coin_seed` (usually [`COIN_SEED`]). Needs [`Self::coins_are_gauge`] (checked by the
    /// caller once per program).
    #[allow(clippy::too_many_arguments)]
    pub fn branches(
        &self,
        ws: &mut Workspace,
        placed: &[Injection],
        postselect: Option<&[bool]>,
        min_branch: f64,
        max_leaves: u64,
        coin_seed: u64,
        mut leaf: impl FnMut(&Workspace, ShotEnd, f64),
    ) -> BranchSum {
        let mut forced: Vec<Turn> = Vec::new();
        let mut sum = BranchSum::default();
        let mut covered = 0.0;
        loop {
            ws.script = Some(OutcomeScript {
                forced,
                seen: Vec::new(),
            });
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(coin_seed);
            let end = self.run_shot(ws, &mut rng, NoiseMode::Fixed(placed), postselect);
            let script = ws.script.take().expect("set above");
            let probability: f64 = script
                .seen
                .iter()
                .map(|(p, t)| p[usize::from(t.outcome)])
                .product();
            leaf(ws, end, probability);
            sum.leaves += 1;
            covered += probability;
            // The next path: the deepest measurement whose other outcome is still to be walked.
            let next = script
                .seen
                .iter()
                .rposition(|(p, t)| !t.flipped && p[usize::from(!t.outcome)] >= min_branch);
            match next {
                Some(i) if sum.leaves < max_leaves => {
                    forced = script.seen[..i].iter().map(|&(_, t)| t).collect();
                    forced.push(Turn {
                        outcome: !script.seen[i].1.outcome,
                        flipped: true,
                    });
                }
                _ => break,
            }
        }
        sum.unresolved = (1.0 - covered).max(0.0);
        sum
    }
}

/// Each fault's effect row ([`super::linear`]'s table: the rotation signs, detectors and
/// observables it flips on the noiseless process) and the items that decide a shot's fate, so
/// that a set of faults whose first deciding item is a postselected detector is known to be
/// discarded there, in every branch, without running it: until the first flipped sign a shot
/// is the noiseless process with its records XORed by the faults' frame.
#[derive(Clone, Debug)]
pub struct FaultRows {
    words: usize,
    /// Per fault (the order of the placements given), its row.
    rows: Vec<u64>,
    /// The signs and the postselected detectors.
    deciding: Vec<u64>,
    /// Per deciding item: a detector (true) or a sign.
    is_detector: Vec<bool>,
}

/// What the effect table says of a set of faults ([`FaultRows::decide`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameVerdict {
    /// Their first deciding item is a postselected detector: discarded there in every branch.
    Discarded,
    /// No deciding item at all: the shot is the noiseless process with its records XORed and
    /// a final Pauli, accepted in every branch.
    Linear,
    /// Their first deciding item is a flipped rotation sign: the dense state decides.
    Sign,
}

impl FaultRows {
    /// Whether the faults `events` (indices into the placements) are discarded with certainty
    /// by the frame: their first deciding item is a detector. `scratch` is reused.
    pub fn discarded(&self, events: impl IntoIterator<Item = u32>, scratch: &mut Vec<u64>) -> bool {
        self.decide(events, scratch) == FrameVerdict::Discarded
    }

    /// The effect table's verdict on the faults `events`; `scratch` keeps their XORed row.
    pub fn decide(
        &self,
        events: impl IntoIterator<Item = u32>,
        scratch: &mut Vec<u64>,
    ) -> FrameVerdict {
        let w = self.words;
        scratch.clear();
        scratch.resize(w, 0);
        for e in events {
            for (a, &b) in scratch.iter_mut().zip(&self.rows[e as usize * w..][..w]) {
                *a ^= b;
            }
        }
        match first_common(scratch, &self.deciding) {
            None => FrameVerdict::Linear,
            Some(item) if self.is_detector[item] => FrameVerdict::Discarded,
            Some(_) => FrameVerdict::Sign,
        }
    }
}

impl ExactProgram {
    /// The effect rows of the faults `placement` and the deciding items under `postselect`
    /// (None when the program has no effect table). A fault's generators are those of the hit
    /// the packed executor would place for it.
    pub fn fault_rows(&self, placement: &[Injection], postselect: &[bool]) -> Option<FaultRows> {
        let e = self.effects.as_ref()?;
        let w = e.words;
        let mut rows = vec![0u64; placement.len() * w];
        for (row, inj) in rows.chunks_mut(w).zip(placement) {
            let channel = self.steps.channel_at[inj.op as usize];
            let hit = self.hit(inj.op, 0, channel, inj.target, inj.outcome);
            if hit.generator != super::steps::NONE {
                e.xor_picked::<0>(row, hit.generator, hit.outcome);
            }
        }
        let mut deciding = Vec::new();
        e.deciding_row(Some(postselect), &mut deciding);
        let is_detector = (0..e.decisions)
            .map(|i| e.item_detector[i] != u32::MAX)
            .collect();
        Some(FaultRows {
            words: w,
            rows,
            deciding,
            is_detector,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::parse_circuit;
    use crate::gates::Basis;

    fn admitted(text: &str, scored: &[(usize, Basis)]) -> bool {
        let circuit = parse_circuit(text).unwrap();
        let program = ExactProgram::compile(&circuit).unwrap();
        let coins = coin_bounds(&circuit);
        assert_eq!(
            coins.records_before_non_clifford, 0,
            "a rotation comes first"
        );
        let finals: Vec<FinalObservable> = scored
            .iter()
            .map(|&f| program.final_observable(&[f]))
            .collect();
        let finals: Vec<&FinalObservable> = finals.iter().collect();
        program.coins_are_gauge(coins, &finals)
    }

    /// A coin after a rotation is admitted only where the frame shows it changes nothing
    /// counted: a GHZ member read out in X whose coin the other member's X outcome cancels in
    /// the detector, but not a coin that a later rotation sees, nor one a scored observable
    /// sees.
    #[test]
    fn coins_after_a_rotation_are_admitted_only_as_frame_gauges() {
        let ghz_leaf = "R 2\nH 2\nT 2\nRX 0\nR 1\nCX 0 1\nMX 1\nMX 0\nDETECTOR rec[-1] rec[-2]\n";
        assert!(admitted(ghz_leaf, &[]));
        // The coin's X on qubit 0 reaches the rotation on qubit 1 through the CX.
        let rotated = "R 1\nH 1\nT 1\nRX 0\nM 0\nCX 0 1\nT 1\nH 1\nM 1\n";
        assert!(!admitted(rotated, &[]));
        // Nothing sees the outcome of M 0 unless Z_0 is scored.
        let scored = "R 1\nH 1\nT 1\nRX 0\nM 0\n";
        assert!(admitted(scored, &[]));
        assert!(!admitted(scored, &[(0, Basis::Z)]));
    }
}
