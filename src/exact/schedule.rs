//! Active-width scheduling: the compiler may take a circuit's operations in any order that
//! keeps, for every qubit, its own operations in sequence, and puts every measurement before
//! the detectors and feedback that read it. Such an order is the same physical process (the
//! operations it swaps act on different qubits and commute), so sampling it is exact.
//!
//! The order decides how many qubits are active at once, and the dense vector's size is 2 to
//! that power. The greedy rule here: whenever something is ready, take first detectors and
//! observables (a shot can stop early), then measurements and resets (they shrink the active
//! set), then Clifford gates and noise (free), and only then non-Clifford gates, preferring one
//! that activates no new qubit. In the |H> preparation this decodes each branch of the GHZ
//! control as soon as its controlled-Hadamards are done, instead of after all of them.
//! (Clifft's `ActiveWidthSchedulePass` reorders for the same reason.)

use super::compile::{is_noise_site, Compiler};
use crate::circuit::{Circuit, Instruction, Target};
use crate::error::SimError;
use crate::gates::{rotation_steps, GateKind, RotationStep};
use std::collections::BTreeSet;

/// A piece of one instruction (one target or target pair), or a whole correlated-error chain.
struct Unit {
    /// Each with its noise site and first target group, if noisy.
    instructions: Vec<(Instruction, Option<(u32, u32)>)>,
    record_base: u32,
    detector_base: u32,
    class: usize,
}

/// Priority classes, most urgent first.
const DETECTOR: usize = 0;
const MEASURE: usize = 1;
const CLIFFORD: usize = 2;
const NON_CLIFFORD: usize = 3;

fn class_of(kind: GateKind) -> usize {
    match kind {
        GateKind::Detector | GateKind::ObservableInclude => DETECTOR,
        GateKind::Measure(_)
        | GateKind::MeasureReset(_)
        | GateKind::Reset(_)
        | GateKind::PauliProductMeasure => MEASURE,
        GateKind::NonClifford1 | GateKind::NonClifford2 | GateKind::MagicReset => NON_CLIFFORD,
        _ => CLIFFORD,
    }
}

/// Splits the flat circuit into units with their record and detector positions.
fn units(circuit: &Circuit) -> Result<Vec<Unit>, SimError> {
    let mut out: Vec<Unit> = Vec::new();
    let (mut records, mut detectors, mut sites) = (0u32, 0u32, 0u32);
    circuit.for_each_flat(&mut |ins| {
        let kind = ins.gate.kind();
        let site = is_noise_site(ins).then_some(sites);
        match kind {
            GateKind::QubitCoords | GateKind::ShiftCoords | GateKind::Tick => {}
            GateKind::Correlated { else_branch: true } => match out.last_mut() {
                Some(u)
                    if matches!(u.instructions[0].0.gate.kind(), GateKind::Correlated { .. }) =>
                {
                    u.instructions.push((ins.clone(), site.map(|s| (s, 0))))
                }
                _ => out.push(unit(ins.clone(), records, detectors, site.map(|s| (s, 0)))),
            },
            GateKind::Detector
            | GateKind::ObservableInclude
            | GateKind::Correlated { .. }
            | GateKind::PauliProductMeasure
            | GateKind::PauliProductRotation { .. } => {
                out.push(unit(ins.clone(), records, detectors, site.map(|s| (s, 0))))
            }
            _ => {
                let group = if ins.gate.is_pairwise() { 2 } else { 1 };
                let mut base = records;
                for (g, targets) in ins.targets.chunks(group).enumerate() {
                    let mut piece = ins.clone();
                    piece.targets = targets.to_vec();
                    out.push(unit(piece, base, detectors, site.map(|s| (s, g as u32))));
                    base += u32::from(ins.gate.measures()) * targets.len() as u32;
                }
            }
        }
        records += ins.num_measurements() as u32;
        detectors += u32::from(kind == GateKind::Detector);
        sites += u32::from(site.is_some());
        Ok::<(), SimError>(())
    })?;
    Ok(out)
}

fn unit(ins: Instruction, record_base: u32, detector_base: u32, site: Option<(u32, u32)>) -> Unit {
    let class = class_of(ins.gate.kind());
    Unit {
        instructions: vec![(ins, site)],
        record_base,
        detector_base,
        class,
    }
}

/// How the greedy order chooses among ready non-Clifford gates, after preferring those that
/// activate no qubit: with `completion`, the one closest to completing a measurement (see
/// [`Completion`]); remaining ties by `tiebreak`. No rule wins on every circuit (on the d = 7
/// |H> preparation the dense work differs 5x between them), so the compiler tries each of
/// [`RULES`] and keeps the program with the least dense work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Rule {
    pub completion: bool,
    pub tiebreak: Tiebreak,
}

/// Order among otherwise equal candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tiebreak {
    /// Earliest in the circuit first.
    Earliest,
    /// Latest in the circuit first.
    Latest,
    /// A fixed pseudo-random order (a multiplicative hash of the position with this salt).
    Shuffled(u64),
}

impl Tiebreak {
    fn key(self, unit: usize) -> u64 {
        match self {
            Tiebreak::Earliest => unit as u64,
            Tiebreak::Latest => u64::MAX - unit as u64,
            Tiebreak::Shuffled(salt) => (unit as u64 ^ salt).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        }
    }
}

/// The rules the compiler tries (measured on the |H> preparation at d = 5 and 7 and on
/// cultivation; shuffled orders without `completion` were never the best and are left out).
pub(super) const RULES: [Rule; 8] = {
    use Tiebreak::*;
    const fn rule(completion: bool, tiebreak: Tiebreak) -> Rule {
        Rule {
            completion,
            tiebreak,
        }
    }
    [
        rule(true, Earliest),
        rule(true, Latest),
        rule(false, Earliest),
        rule(false, Latest),
        rule(true, Shuffled(1)),
        rule(true, Shuffled(2)),
        rule(true, Shuffled(3)),
        rule(true, Shuffled(4)),
    ]
};

/// How many more rules the compiler tries after [`RULES`] on a program of `ops` operations:
/// shuffled tie-breaks (with and without completion, alternately) up to about
/// [`SEARCH_BUDGET`] compiled operations in all, at most [`MAX_EXTRA_RULES`]. The dense work
/// of shuffled orders varies widely: on the d = 5 |H> preparation (cn20) the best of the eight
/// does 35.5k amplitude visits per noiseless shot, the best of 104 does 10.4k and samples 1.7x
/// faster (2026-12-06). A function of the program's size only, so that every run compiles the
/// same program (seeded output must not depend on the machine's speed).
pub(super) fn extra_rules(ops: usize) -> impl Iterator<Item = Rule> {
    let count = (SEARCH_BUDGET / ops.max(1)).min(MAX_EXTRA_RULES);
    (0..count as u64).map(|k| Rule {
        completion: k % 2 == 0,
        tiebreak: Tiebreak::Shuffled(5 + k / 2),
    })
}

/// Compiled operations the extra rules may cost in all (about 0.6 s at d = 5).
const SEARCH_BUDGET: usize = 1 << 19;

/// At most this many extra rules, however small the program.
pub(super) const MAX_EXTRA_RULES: usize = 96;

/// Compiles `circuit` in the greedy order described in the module docs.
pub(super) fn compile_scheduled(
    c: &mut Compiler,
    circuit: &Circuit,
    rule: Rule,
) -> Result<(), SimError> {
    let units = units(circuit)?;
    // Dependencies: the previous unit on each qubit, and the unit that wrote each record read.
    let mut waiting = vec![0usize; units.len()];
    let mut after: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    let mut last_on_qubit: Vec<Option<usize>> = vec![None; circuit.stats().num_qubits as usize];
    let mut writer: Vec<usize> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let mut deps = Vec::new();
        for (ins, _) in &u.instructions {
            for t in &ins.targets {
                match *t {
                    Target::Rec(k) => {
                        let r = u.record_base.checked_sub(k).ok_or_else(|| {
                            SimError::Unsupported(format!(
                                "line {}: rec[-{k}] reaches before the first measurement",
                                ins.line
                            ))
                        })?;
                        deps.push(writer[r as usize]);
                    }
                    _ => {
                        if let Some(q) = t.qubit_index() {
                            match last_on_qubit[q as usize].replace(i) {
                                Some(prev) if prev != i => deps.push(prev),
                                _ => {}
                            }
                        }
                    }
                }
            }
            writer.extend(std::iter::repeat_n(i, ins.num_measurements() as usize));
        }
        deps.sort_unstable();
        deps.dedup();
        waiting[i] = deps.len();
        for d in deps {
            after[d].push(i);
        }
    }
    let mut ready: [BTreeSet<usize>; 4] = Default::default();
    for (i, u) in units.iter().enumerate() {
        if waiting[i] == 0 {
            ready[u.class].insert(i);
        }
    }
    let mut progress = Completion::new(&units, &after);
    let mut compiled = 0;
    while let Some(i) = pick(c, &units, &mut ready, &progress, rule) {
        compiled += 1;
        progress.done(i);
        let u = &units[i];
        let mut base = u.record_base;
        for (ins, site) in &u.instructions {
            c.instruction_at(ins, base, u.detector_base, *site)?;
            base += ins.num_measurements() as u32;
        }
        for &j in &after[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready[units[j].class].insert(j);
            }
        }
    }
    debug_assert_eq!(compiled, units.len(), "the dependencies have no cycle");
    if compiled < units.len() {
        return Err(SimError::Unsupported(
            "internal error: the exact engine's scheduler left operations out".into(),
        ));
    }
    Ok(())
}

/// Which measurements wait on which non-Clifford units: every measurement's set of
/// non-Clifford ancestors, as a bit set over the non-Clifford units. The scheduler finishes the
/// measurement closest to ready first: a dense measurement is the only thing that shrinks the
/// active set, so non-Clifford gates are best taken in the order that completes such
/// measurements soonest (in the |H> preparation: one GHZ branch after another).
struct Completion {
    /// Bit of each non-Clifford unit (None for other units).
    bit_of: Vec<Option<usize>>,
    words: usize,
    /// (unit, its non-Clifford ancestors) for every measurement unit not yet compiled.
    pending: Vec<(usize, Vec<u64>)>,
    /// Non-Clifford units already compiled.
    done: Vec<u64>,
}

/// Beyond this many non-Clifford units the ancestor sets are not built (memory grows as units x
/// non-Clifford units) and the scheduler falls back to circuit order among rotations.
const MAX_TRACKED: usize = 4096;

impl Completion {
    fn new(units: &[Unit], after: &[Vec<usize>]) -> Completion {
        let mut bit_of = vec![None; units.len()];
        let mut k = 0usize;
        for (i, u) in units.iter().enumerate() {
            if u.class == NON_CLIFFORD {
                bit_of[i] = Some(k);
                k += 1;
            }
        }
        let words = k.div_ceil(64);
        let mut pending = Vec::new();
        if k > 0 && k <= MAX_TRACKED {
            // Units are in a topological order (dependencies come first), so one forward pass
            // propagates ancestor sets along `after`.
            let mut ancestors = vec![vec![0u64; words]; units.len()];
            for i in 0..units.len() {
                let mine = std::mem::take(&mut ancestors[i]);
                let mut passed = mine.clone();
                if let Some(b) = bit_of[i] {
                    passed[b / 64] |= 1 << (b % 64);
                }
                for &j in &after[i] {
                    for (a, p) in ancestors[j].iter_mut().zip(&passed) {
                        *a |= p;
                    }
                }
                if units[i].class == MEASURE && mine.iter().any(|&w| w != 0) {
                    pending.push((i, mine));
                }
            }
        }
        Completion {
            bit_of,
            words,
            pending,
            done: vec![0; words],
        }
    }

    fn done(&mut self, unit: usize) {
        if let Some(b) = self.bit_of[unit] {
            self.done[b / 64] |= 1 << (b % 64);
        }
        self.pending.retain(|(u, _)| *u != unit);
    }

    /// For each non-Clifford unit, the fewest non-Clifford units still missing before some
    /// measurement that waits on it (usize::MAX if none does).
    fn urgency(&self) -> Vec<usize> {
        let mut best = vec![usize::MAX; self.words * 64];
        for (_, anc) in &self.pending {
            let missing: usize = anc
                .iter()
                .zip(&self.done)
                .map(|(a, d)| (a & !d).count_ones() as usize)
                .sum();
            for (w, (&a, &d)) in anc.iter().zip(&self.done).enumerate() {
                let mut left = a & !d;
                while left != 0 {
                    let b = w * 64 + left.trailing_zeros() as usize;
                    best[b] = best[b].min(missing);
                    left &= left - 1;
                }
            }
        }
        best
    }
}

/// Takes the next unit to compile (see the module docs).
fn pick(
    c: &Compiler,
    units: &[Unit],
    ready: &mut [BTreeSet<usize>; 4],
    progress: &Completion,
    rule: Rule,
) -> Option<usize> {
    for class in [DETECTOR, MEASURE, CLIFFORD] {
        if let Some(i) = ready[class].pop_first() {
            return Some(i);
        }
    }
    let activates = |i: usize| {
        let ins = &units[i].instructions[0].0;
        // A gate's first step, if a rotation, activates a qubit when the image of its Pauli has
        // an X or Y on a dormant qubit. RH starts with a reset: always a fresh active qubit.
        match rotation_steps(ins.gate, &ins.args).and_then(|s| s.first().copied()) {
            Some(RotationStep::Rotate { axis, slot, .. }) => !ins
                .targets
                .get(slot)
                .and_then(|t| t.qubit_index())
                .is_some_and(|q| {
                    c.dormant_x(&c.product_image(&[(q as usize, axis)]))
                        .is_none()
                }),
            _ => true,
        }
    };
    let urgency = if rule.completion {
        progress.urgency()
    } else {
        Vec::new()
    };
    let score = |i: usize| {
        let u = progress.bit_of[i].map_or(usize::MAX, |b| urgency.get(b).copied().unwrap_or(0));
        (activates(i), u, rule.tiebreak.key(i))
    };
    let i = ready[NON_CLIFFORD]
        .iter()
        .copied()
        .min_by_key(|&i| score(i))?;
    ready[NON_CLIFFORD].remove(&i);
    Some(i)
}
