//! Active-width scheduling: the compiler may take a circuit's operations in any order that
//! keeps, for every wire, its own operations in sequence, and puts every measurement before
//! the detectors and feedback that read it. Such an order is the same physical process (the
//! operations it swaps act on different qubits and commute), so sampling it is exact.
//!
//! A *wire* is one life of a qubit: a reset of a qubit that something acted on before starts a
//! new one, which waits on nothing earlier (register renaming). The wire takes a free qubit
//! index when its reset is compiled: one no live wire holds, or one of the spare indices up to
//! a whole frame word (64 per word, so the per-shot frame does not grow). Resets that start
//! wires go in circuit order, so whenever one is the earliest unit left an index is free (the
//! circuit itself never holds more wires than qubits); a qubit's last wire keeps its index to
//! the end, and the final tableau is relabelled so that it names circuit qubits. A new wire's
//! reset (the hidden measurement of the index's old content) acts on nothing a later operation
//! touches, so when it happens does not matter. In the |H> preparation this lets the next
//! stabilizer round start on data qubits whose controlled-Hadamards are done while the GHZ
//! ancillas, whose qubits that round reuses, are still being decoded.
//!
//! The order decides how many qubits are active at once, and the dense vector's size is 2 to
//! that power. The greedy rules here: whenever something is ready, take first detectors and
//! observables (a shot can stop early), then measurements and resets (they shrink the active
//! set), then Clifford gates and noise (free), and only then non-Clifford gates, preferring one
//! that activates no new qubit. In the |H> preparation this decodes each branch of the GHZ
//! control as soon as its controlled-Hadamards are done, instead of after all of them.
//! [`super::beam`] searches the same choices with the compiler's real state.

use super::compile::{is_noise_site, Compiler};
use crate::circuit::{Circuit, Instruction, Target};
use crate::error::SimError;
use crate::gates::{rotation_steps, GateKind, RotationStep};
use std::collections::{BTreeSet, HashMap};

/// A piece of one instruction (one target or target pair), or a whole correlated-error chain.
struct Unit {
    /// Each with its noise site and first target group, if noisy.
    instructions: Vec<(Instruction, Option<(u32, u32)>)>,
    record_base: u32,
    detector_base: u32,
    class: usize,
    /// The wire of each qubit target, in the order of the targets (see [`Graph`]).
    wires: Vec<u32>,
    /// Whether the unit is a reset that starts a new wire.
    starts_wire: bool,
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
        wires: Vec::new(),
        starts_wire: false,
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

/// A circuit's units and the dependencies between them: what every order shares.
pub(super) struct Graph {
    units: Vec<Unit>,
    /// The units that wait on each unit.
    after: Vec<Vec<usize>>,
    /// How many units each unit waits on.
    deps: Vec<u32>,
    completion: Completion,
    num_qubits: usize,
    /// Qubit indices the compiler holds: the circuit's qubits and the spare ones up to a whole
    /// frame word.
    indices: usize,
    /// Units on each wire.
    wire_units: Vec<u32>,
    /// Each qubit's last wire.
    last_wire: Vec<u32>,
}

/// Where one order has got to: the units ready to compile, and how far the others are.
#[derive(Clone)]
pub(super) struct Frontier {
    ready: [BTreeSet<usize>; 4],
    /// Dependencies met so far, for units that wait on some (not all) of theirs still.
    met: HashMap<usize, u32>,
    /// Non-Clifford units compiled (a bit set, numbered as [`Completion`] numbers them).
    pub(super) done: Vec<u64>,
    compiled: usize,
    /// The qubit index of each wire started (u32::MAX: not yet).
    index_of: Vec<u32>,
    /// Units each wire has left.
    left: Vec<u32>,
    /// Indices no live wire holds.
    free: BTreeSet<u32>,
    /// Resets that start a wire, ready but for an index.
    waiting: BTreeSet<usize>,
}

impl Frontier {
    fn make_ready(&mut self, units: &[Unit], i: usize) {
        if units[i].starts_wire {
            self.waiting.insert(i);
        } else {
            self.ready[units[i].class].insert(i);
        }
    }
}

impl Graph {
    /// Splits `circuit` into units: the previous unit on each wire, and the unit that wrote
    /// each record read, come first. With `rename`, resets of used qubits start new wires (see
    /// the module docs); without, every qubit is one wire.
    pub(super) fn new(circuit: &Circuit, rename: bool) -> Result<Graph, SimError> {
        let mut units = units(circuit)?;
        let n = circuit.stats().num_qubits as usize;
        let mut deps = vec![0u32; units.len()];
        let mut after: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
        let mut last_on_qubit: Vec<Option<usize>> = vec![None; n];
        // Wire q is qubit q's first; a reset of a qubit something acted on before starts a new
        // one, which waits on nothing before it.
        let mut wire_of: Vec<u32> = (0..n as u32).collect();
        let mut wire_units = vec![0u32; n];
        let mut writer: Vec<usize> = Vec::new();
        for (i, u) in units.iter_mut().enumerate() {
            let mut mine = Vec::new();
            u.starts_wire = rename
                && u.instructions.len() == 1
                && matches!(u.instructions[0].0.gate.kind(), GateKind::Reset(_))
                && u.instructions[0].0.targets.len() == 1;
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
                            mine.push(writer[r as usize]);
                        }
                        _ => {
                            if let Some(q) = t.qubit_index() {
                                let q = q as usize;
                                match last_on_qubit[q].replace(i) {
                                    Some(_) if u.starts_wire => {
                                        wire_of[q] = wire_units.len() as u32;
                                        wire_units.push(0);
                                    }
                                    Some(prev) if prev != i => mine.push(prev),
                                    _ => {}
                                }
                                if !u.wires.contains(&wire_of[q]) {
                                    wire_units[wire_of[q] as usize] += 1;
                                }
                                u.wires.push(wire_of[q]);
                            }
                        }
                    }
                }
                writer.extend(std::iter::repeat_n(i, ins.num_measurements() as usize));
            }
            u.starts_wire &= u.wires.first().is_some_and(|&w| w as usize >= n);
            mine.sort_unstable();
            mine.dedup();
            deps[i] = mine.len() as u32;
            for d in mine {
                after[d].push(i);
            }
        }
        let completion = Completion::new(&units, &after);
        Ok(Graph {
            units,
            after,
            deps,
            completion,
            num_qubits: n,
            indices: n.div_ceil(64).max(1) * 64,
            wire_units,
            last_wire: wire_of,
        })
    }

    /// Nothing compiled yet.
    pub(super) fn start(&self) -> Frontier {
        let n = self.num_qubits;
        let mut index_of = vec![u32::MAX; self.wire_units.len()];
        for (q, w) in index_of.iter_mut().enumerate().take(n) {
            *w = q as u32;
        }
        let free = (n as u32..self.indices as u32).collect();
        let mut f = Frontier {
            ready: Default::default(),
            met: HashMap::new(),
            done: vec![0; self.completion.words],
            compiled: 0,
            index_of,
            left: self.wire_units.clone(),
            free,
            waiting: BTreeSet::new(),
        };
        for i in (0..self.units.len()).filter(|&i| self.deps[i] == 0) {
            f.make_ready(&self.units, i);
        }
        f
    }

    /// Compiles unit `i` (ready in `f`) and releases the units waiting on it.
    pub(super) fn take(
        &self,
        c: &mut Compiler,
        f: &mut Frontier,
        i: usize,
    ) -> Result<(), SimError> {
        let u = &self.units[i];
        f.ready[u.class].remove(&i);
        f.waiting.remove(&i);
        if u.starts_wire {
            let index = f.free.pop_first().ok_or_else(|| {
                SimError::Unsupported("internal error: the exact engine ran out of qubits".into())
            })?;
            f.index_of[u.wires[0] as usize] = index;
        }
        self.compile_unit(c, i, &f.index_of)?;
        for (k, &w) in u.wires.iter().enumerate() {
            if u.wires[..k].contains(&w) {
                continue;
            }
            let w = w as usize;
            f.left[w] -= 1;
            // A qubit's last wire keeps its index to the end (end-of-shot observables read it).
            if f.left[w] == 0 && self.last_wire[self.qubit_of_wire(u, k)] != w as u32 {
                f.free.insert(f.index_of[w]);
            }
        }
        f.compiled += 1;
        if let Some(b) = self.completion.bit_of[i] {
            f.done[b / 64] |= 1 << (b % 64);
        }
        for &j in &self.after[i] {
            let need = self.deps[j];
            let met = f.met.entry(j).or_insert(0);
            *met += 1;
            if *met == need {
                f.met.remove(&j);
                f.make_ready(&self.units, j);
            }
        }
        Ok(())
    }

    /// The circuit qubit of the `k`-th qubit target of `u`.
    fn qubit_of_wire(&self, u: &Unit, k: usize) -> usize {
        u.instructions
            .iter()
            .flat_map(|(ins, _)| ins.targets.iter().filter_map(|t| t.qubit_index()))
            .nth(k)
            .expect("a wire per qubit target") as usize
    }

    /// Compiles unit `i` with each wire on its index in `index_of`.
    fn compile_unit(&self, c: &mut Compiler, i: usize, index_of: &[u32]) -> Result<(), SimError> {
        let u = &self.units[i];
        let mut base = u.record_base;
        let mut wires = u.wires.iter();
        for (ins, site) in &u.instructions {
            let mut moved = None::<Instruction>;
            for (k, t) in ins.targets.iter().enumerate() {
                if let Some(q) = t.qubit_index() {
                    let w = *wires.next().expect("a wire per qubit target");
                    let index = index_of[w as usize];
                    if index != q {
                        let m = moved.get_or_insert_with(|| ins.clone());
                        m.targets[k] = match *t {
                            Target::Qubit { inverted, .. } => Target::Qubit { index, inverted },
                            Target::Pauli {
                                pauli, inverted, ..
                            } => Target::Pauli {
                                pauli,
                                index,
                                inverted,
                            },
                            other => other,
                        };
                    }
                }
            }
            c.instruction_at(moved.as_ref().unwrap_or(ins), base, u.detector_base, *site)?;
            base += ins.num_measurements() as u32;
        }
        Ok(())
    }

    /// A fresh compiler for this graph's orders: the circuit's qubits and the spare indices.
    pub(super) fn compiler(&self, limit: usize) -> Compiler {
        Compiler::new(self.indices, limit)
    }

    /// Compiles the units in `order` (an order found before) from a fresh compiler, and
    /// finishes it as [`Graph::finish`] does.
    pub(super) fn replay(&self, order: &[usize], limit: usize) -> Result<Compiler, SimError> {
        let mut c = self.compiler(limit);
        let mut f = self.start();
        for &i in order {
            self.take(&mut c, &mut f, i)?;
        }
        self.finish(&mut c, &f)?;
        Ok(c)
    }

    /// Checks that `f` compiled every unit, and gives every circuit qubit its last wire's images
    /// in the final tableau (end-of-shot observables name circuit qubits).
    pub(super) fn finish(&self, c: &mut Compiler, f: &Frontier) -> Result<(), SimError> {
        self.check_complete(f)?;
        let at: Vec<usize> = self
            .last_wire
            .iter()
            .map(|&w| f.index_of[w as usize] as usize)
            .collect();
        c.relabel_final(&at);
        Ok(())
    }

    /// The next free unit: detectors and observables first (a shot can stop early), then
    /// measurements and resets (they shrink the active set), then Clifford gates and noise.
    pub(super) fn next_free(&self, f: &Frontier) -> Option<usize> {
        // A reset that starts a wire waits for a free index (resets start wires in circuit
        // order, so some index is free whenever it is the earliest unit left).
        let reset = f.waiting.first().filter(|_| !f.free.is_empty());
        let measure = match (f.ready[MEASURE].first(), reset) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        f.ready[DETECTOR]
            .first()
            .or(measure)
            .or(f.ready[CLIFFORD].first())
            .copied()
    }

    /// The non-Clifford units ready in `f`, in circuit order.
    pub(super) fn ready_rotations<'a>(&self, f: &'a Frontier) -> impl Iterator<Item = usize> + 'a {
        f.ready[NON_CLIFFORD].iter().copied()
    }

    /// Number of units.
    #[cfg(test)]
    pub(super) fn num_units(&self) -> usize {
        self.units.len()
    }

    /// Non-Clifford units `f` has not compiled yet.
    pub(super) fn rotations_left(&self, f: &Frontier) -> usize {
        let done: u32 = f.done.iter().map(|w| w.count_ones()).sum();
        self.completion.rotations - done as usize
    }

    /// The circuit's qubit count.
    pub(super) fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    /// Whether `f` has compiled every unit.
    pub(super) fn is_complete(&self, f: &Frontier) -> bool {
        f.compiled == self.units.len()
    }

    /// Checks that an order that can go no further compiled every unit.
    fn check_complete(&self, f: &Frontier) -> Result<(), SimError> {
        debug_assert!(self.is_complete(f), "the dependencies have no cycle");
        if !self.is_complete(f) {
            return Err(SimError::Unsupported(
                "internal error: the exact engine's scheduler left operations out".into(),
            ));
        }
        Ok(())
    }
}

/// Compiles the circuit of `graph` in the greedy order of `rule` (see the module docs).
pub(super) fn compile_scheduled(
    c: &mut Compiler,
    graph: &Graph,
    rule: Rule,
) -> Result<(), SimError> {
    let mut f = graph.start();
    while let Some(i) = graph
        .next_free(&f)
        .or_else(|| pick_rotation(c, graph, &f, rule))
    {
        graph.take(c, &mut f, i)?;
    }
    graph.finish(c, &f)
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
    /// Number of non-Clifford units.
    rotations: usize,
    /// The non-Clifford ancestors of every measurement unit that has some.
    measurements: Vec<Vec<u64>>,
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
        let mut measurements = Vec::new();
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
                    measurements.push(mine);
                }
            }
        }
        Completion {
            bit_of,
            words,
            rotations: k,
            measurements,
        }
    }

    /// For each non-Clifford unit, the fewest non-Clifford units still missing (not in
    /// `done`) before some measurement that waits on it (usize::MAX if none does). Measurements
    /// already compiled miss none and count for no unit.
    fn urgency(&self, done: &[u64]) -> Vec<usize> {
        let mut best = vec![usize::MAX; self.words * 64];
        for anc in &self.measurements {
            let missing: usize = anc
                .iter()
                .zip(done)
                .map(|(a, d)| (a & !d).count_ones() as usize)
                .sum();
            for (w, (&a, &d)) in anc.iter().zip(done).enumerate() {
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

/// Takes the next non-Clifford unit by `rule` (see the module docs).
pub(super) fn pick_rotation(
    c: &Compiler,
    graph: &Graph,
    f: &Frontier,
    rule: Rule,
) -> Option<usize> {
    let units = &graph.units;
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
        graph.completion.urgency(&f.done)
    } else {
        Vec::new()
    };
    let score = |i: usize| {
        let u =
            graph.completion.bit_of[i].map_or(usize::MAX, |b| urgency.get(b).copied().unwrap_or(0));
        (activates(i), u, rule.tiebreak.key(i))
    };
    graph.ready_rotations(f).min_by_key(|&i| score(i))
}
