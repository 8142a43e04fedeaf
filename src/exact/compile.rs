//! The compiler: one pass over the circuit that follows the Clifford part symbolically and
//! writes the short list of per-shot operations ([`Op`]) the executor runs.
//!
//! It keeps the inverse tableau of the Clifford U (the virtual image U^dag P U of every physical
//! generator P) and the set of active virtual qubits. Each instruction becomes:
//! - a Clifford gate: nothing per shot (the tableau absorbs it);
//! - a Pauli rotation exp(-i theta P) (T, CH, RH are built from these): a dense rotation when
//!   the image of P has no X/Y on dormant qubits, otherwise a basis change controlled by one
//!   dormant qubit that reduces the image to X_j, then j joins the active set;
//! - a measurement of P: deterministic (image trivial on the state), random (X/Y on a dormant
//!   qubit: a fair coin and a Hadamard on that qubit), or dense (reduced on the active qubits to
//!   Z_a, sampled from the amplitudes, after which a leaves the active set);
//! - noise, feedback: a Pauli whose virtual image is XOR-ed into the per-shot frame.
//!
//! See docs/exact-engine.md for the derivations.

use super::beam::{beam_order, BEAM_WIDTH};
use super::pauli::{packed, Pauli, VGate};
use super::program::{image_of, DenseGate, ExactProgram, FrameReduction, MeasureKind, Op};
use super::schedule::{compile_scheduled, Graph, RULES};
use super::steps::Steps;
use crate::circuit::{Circuit, Instruction, Target};
use crate::error::SimError;
use crate::frame::noise::{Bernoulli, PauliChannel};
use crate::gates::{rotation_steps, Basis, GateId, GateKind, NoiseShape, RotationStep};
use crate::tableau::feedback_pauli;

/// Default limit on the number of active qubits (2^26 amplitudes = 1 GiB).
pub const DEFAULT_MAX_ACTIVE: usize = 26;

/// Most operations a compiled program may hold (loops are unrolled).
const MAX_OPS: usize = 50_000_000;

pub(super) fn basis_bits(b: Basis) -> (bool, bool) {
    match b {
        Basis::X => (true, false),
        Basis::Y => (true, true),
        Basis::Z => (false, true),
    }
}

/// The compiler's state while it walks the circuit. Cloned by the order search
/// ([`super::beam`]), which drops the operations as it goes ([`Compiler::count_ops`]).
#[derive(Clone)]
pub(super) struct Compiler {
    n: usize,
    words: usize,
    /// img[2q] = U^dag X_q U, img[2q + 1] = U^dag Z_q U (virtual Paulis with phase).
    img: Vec<Pauli>,
    /// Slot in the dense state of each virtual qubit (None: dormant, in |0>).
    slot_of: Vec<Option<usize>>,
    /// Virtual qubit held by each slot.
    slots: Vec<usize>,
    ops: Vec<Op>,
    num_records: u32,
    num_detectors: u32,
    /// Record index of the current instruction's first measurement (records are numbered in
    /// circuit order, whatever order the instructions are compiled in).
    record_base: u32,
    /// Index of the current instruction's detector, likewise.
    detector_base: u32,
    /// The current instruction's noise site (numbered as [`crate::faults::FaultSet`] numbers
    /// them) and the index of its first target group, when it is noisy.
    site: Option<(u32, u32)>,
    num_observables: u32,
    max_active: usize,
    limit: usize,
    detector_lines: Vec<u32>,
    pub(super) observable_lines: Vec<u32>,
    /// Noise classes: (probability bits, trials so far).
    noise_classes: Vec<(u64, u64)>,
    /// Qubits no instruction has acted on yet: in |0>, unentangled, never in a frame (their
    /// virtual qubit is in no other qubit's image). Resetting one needs no measurement.
    fresh: Vec<bool>,
}

impl Compiler {
    pub(super) fn new(n: usize, limit: usize) -> Compiler {
        let words = n.div_ceil(64).max(1);
        let img = (0..2 * n)
            .map(|i| Pauli::single(words, i / 2, i % 2 == 0, i % 2 == 1))
            .collect();
        Compiler {
            n,
            words,
            img,
            slot_of: vec![None; n],
            slots: Vec::new(),
            ops: Vec::new(),
            num_records: 0,
            num_detectors: 0,
            record_base: 0,
            detector_base: 0,
            site: None,
            num_observables: 0,
            max_active: 0,
            limit,
            detector_lines: Vec::new(),
            observable_lines: Vec::new(),
            noise_classes: Vec::new(),
            fresh: vec![true; n],
        }
    }

    pub(super) fn finish(self, circuit_records: u64) -> (ExactProgram, Vec<u32>) {
        debug_assert_eq!(self.num_records as u64, circuit_records);
        let mut site_table: Vec<(u32, u32, u32, u32)> = Vec::new();
        for (i, op) in self.ops.iter().enumerate() {
            let entry = match op {
                Op::Noise {
                    site: (s, g),
                    targets,
                    ..
                } => Some((*s, *g, *targets as u32)),
                Op::Measure {
                    site: Some((s, g)), ..
                } => Some((*s, *g, 1)),
                Op::Correlated { site, .. } => Some((*site, 0, 1)),
                _ => None,
            };
            if let Some((s, g, n)) = entry {
                site_table.push((s, g, n, i as u32));
            }
        }
        site_table.sort_unstable();
        let steps = Steps::new(&self.ops, self.words, self.noise_classes.len());
        let program = ExactProgram {
            steps,
            dense_work: dense_work(&self.ops),
            id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
            site_table,
            ops: self.ops,
            num_qubits: self.n,
            words: self.words,
            num_measurements: self.num_records as usize,
            num_detectors: self.num_detectors as usize,
            num_observables: self.num_observables as usize,
            max_active: self.max_active,
            detector_lines: self.detector_lines,
            expected_detectors: Vec::new(),
            expected_observables: Vec::new(),
            effects: None,
            final_images: self.img,
            final_slots: self.slots,
            noise_classes: self
                .noise_classes
                .iter()
                .map(|&(bits, n)| (Bernoulli::new(f64::from_bits(bits)), n))
                .collect(),
        };
        (program, self.observable_lines)
    }

    /// The virtual image of the Hermitian Pauli X^x Z^z (Y where both) on `qubits`.
    fn image(&self, qubits: &[usize], x: u8, z: u8) -> Pauli {
        let mut p = Pauli::identity(self.words);
        p.phase = ((x & z).count_ones() % 4) as u8;
        for (k, &q) in qubits.iter().enumerate() {
            if x >> k & 1 == 1 {
                p.mul_assign(&self.img[2 * q]);
            }
        }
        for (k, &q) in qubits.iter().enumerate() {
            if z >> k & 1 == 1 {
                p.mul_assign(&self.img[2 * q + 1]);
            }
        }
        p
    }

    /// The image of a product of single-qubit Paulis (qubit, basis), in the given order.
    pub(super) fn product_image(&self, factors: &[(usize, Basis)]) -> Pauli {
        image_of(&self.img, self.words, factors)
    }

    /// U <- G U for a physical Clifford G on `qubits`: img(P) <- img(G^dag P G).
    fn prepend_clifford(&mut self, gate: GateId, qubits: &[usize]) {
        let action = gate.clifford_action().expect("Clifford gate");
        let k = action.num_qubits;
        let mut new = Vec::with_capacity(2 * k);
        for slot in 0..k {
            for (gx, gz) in [(1u8 << slot, 0u8), (0, 1u8 << slot)] {
                // Find b with G P(b) G^dag = +-P(gx, gz); then G^dag P(gx, gz) G = +-P(b).
                let b = (0..action.images.len())
                    .find(|&b| (action.images[b].0, action.images[b].1) == (gx, gz))
                    .expect("Clifford images are a bijection");
                let negative = action.images[b].2;
                let mask = (1u8 << k) - 1;
                let mut p = self.image(qubits, b as u8 & mask, (b as u8) >> k);
                if negative {
                    p.phase = (p.phase + 2) % 4;
                }
                new.push(p);
            }
        }
        for (slot, &q) in qubits.iter().enumerate() {
            self.img[2 * q] = new[2 * slot].clone();
            self.img[2 * q + 1] = new[2 * slot + 1].clone();
        }
    }

    /// U <- G U for G = exp(-i pi/4 P) (`dagger`: exp(+i pi/4 P)), P the product `factors`
    /// (Stim's SPP): G^dag Q G = Q if Q commutes with P, else -i Q P (`dagger`: +i Q P).
    fn prepend_product_rotation(&mut self, factors: &[(usize, Basis)], dagger: bool) {
        let image = self.product_image(factors);
        let turn = if dagger { 1 } else { 3 };
        for &(q, b) in factors {
            let (x, z) = basis_bits(b);
            // X_q anticommutes with the factor on q when it has Z; Z_q when it has X.
            for (row, anticommutes) in [(2 * q, z), (2 * q + 1, x)] {
                if anticommutes {
                    let p = &mut self.img[row];
                    p.mul_assign(&image);
                    p.phase = (p.phase + turn) % 4;
                }
            }
        }
    }

    /// Changes the virtual basis by `g`, a gate among active qubits: the tableau's images are
    /// conjugated, and per shot the frame and the dense state.
    fn dense_gate(&mut self, g: VGate) {
        for p in &mut self.img {
            p.conjugate(g);
        }
        let s = |q: usize| self.slot_of[q].expect("active qubit");
        let d = match g {
            VGate::H(q) => DenseGate::H(s(q)),
            VGate::S(q) => DenseGate::S(s(q)),
            VGate::SDag(q) => DenseGate::SDag(s(q)),
            VGate::Cx(c, t) => DenseGate::Cx(s(c), s(t)),
            VGate::Cz(a, b) => DenseGate::Cz(s(a), s(b)),
        };
        self.ops.push(Op::Dense(g, d));
    }

    fn is_dormant(&self, q: usize) -> bool {
        self.slot_of[q].is_none()
    }

    /// First dormant virtual qubit on which `p` has an X or Y.
    pub(super) fn dormant_x(&self, p: &Pauli) -> Option<usize> {
        (0..self.n).find(|&q| self.is_dormant(q) && p.get(q).0)
    }

    /// Reduces `p` (X or Y on dormant `j`) to +-X_j with gates controlled by j, which leave the
    /// state (|0> on j) unchanged. Returns whether the result is -X_j.
    fn reduce_to_dormant_x(&mut self, p: &mut Pauli, j: usize) -> bool {
        let mut gates = Vec::new();
        for q in 0..self.n {
            if q != j && p.get(q).0 {
                gates.push(VGate::Cx(j, q));
            }
        }
        for &g in &gates {
            p.conjugate(g);
        }
        let mut more = Vec::new();
        for q in 0..self.n {
            if q != j && p.get(q).1 {
                more.push(VGate::Cz(j, q));
            }
        }
        for &g in &more {
            p.conjugate(g);
        }
        gates.extend(more);
        let sdag = p.get(j).1;
        if sdag {
            p.conjugate(VGate::SDag(j));
            gates.push(VGate::SDag(j));
        }
        // The frame follows all of them in one step (see `FrameReduction`).
        let mut reduction = FrameReduction {
            qubit: j,
            cx: vec![0; self.words],
            cz: vec![0; self.words],
            sdag,
        };
        for &g in &gates {
            match g {
                VGate::Cx(_, t) => reduction.cx[t / 64] |= 1 << (t % 64),
                VGate::Cz(_, t) => reduction.cz[t / 64] |= 1 << (t % 64),
                _ => {}
            }
        }
        for q in &mut self.img {
            q.conjugate_reduction(j, &reduction.cx, &reduction.cz, sdag);
        }
        self.ops.push(Op::Reduce(reduction));
        debug_assert!(p.x.iter().zip(&p.z).enumerate().all(|(w, (x, z))| {
            let jw = j / 64;
            let want = if w == jw { 1u64 << (j % 64) } else { 0 };
            *x == want && *z == 0
        }));
        p.negative()
    }

    /// Reduces `p` (no X/Y on dormant qubits, some X/Y/Z on active ones) with gates among the
    /// active qubits to +-Z_a (times Zs on dormant qubits). Returns a.
    fn reduce_to_active_z(&mut self, p: &mut Pauli) -> usize {
        let active: Vec<usize> = self.slots.clone();
        let mut gates = Vec::new();
        if let Some(&a) = active.iter().find(|&&q| p.get(q).0) {
            for &q in &active {
                if q != a && p.get(q).0 {
                    let g = VGate::Cx(a, q);
                    p.conjugate(g);
                    gates.push(g);
                }
            }
            for &q in &active {
                if q != a && p.get(q).1 {
                    let g = VGate::Cz(a, q);
                    p.conjugate(g);
                    gates.push(g);
                }
            }
            if p.get(a).1 {
                p.conjugate(VGate::SDag(a));
                gates.push(VGate::SDag(a));
            }
            p.conjugate(VGate::H(a));
            gates.push(VGate::H(a));
            for g in gates {
                self.dense_gate(g);
            }
            a
        } else {
            let a = *active
                .iter()
                .find(|&&q| p.get(q).1)
                .expect("p acts on an active qubit");
            for &q in &active {
                if q != a && p.get(q).1 {
                    let g = VGate::Cx(q, a);
                    p.conjugate(g);
                    gates.push(g);
                }
            }
            for g in gates {
                self.dense_gate(g);
            }
            a
        }
    }

    /// Puts the images of qubit index `at[q]` in the rows of qubit `q` (the final tableau names
    /// circuit qubits; the scheduler may have moved a qubit's last wire to another index), the
    /// other indices' after them in order.
    pub(super) fn relabel_final(&mut self, at: &[usize]) {
        let mut used = vec![false; self.n];
        for &a in at {
            used[a] = true;
        }
        let order: Vec<usize> = at
            .iter()
            .copied()
            .chain((0..self.n).filter(|&p| !used[p]))
            .collect();
        self.img = order
            .iter()
            .flat_map(|&p| [self.img[2 * p].clone(), self.img[2 * p + 1].clone()])
            .collect();
    }

    /// Adds the operations compiled so far to `cost` and drops them: the order search keeps the
    /// order and its cost, not the operations.
    pub(super) fn count_ops(&mut self, cost: &mut DenseCost) {
        cost.add(&self.ops);
        self.ops.clear();
    }

    /// Whether `p` acts on an active qubit (assuming no X/Y on dormant ones).
    fn touches_active(&self, p: &Pauli) -> bool {
        self.slots.iter().any(|&q| {
            let (x, z) = p.get(q);
            x || z
        })
    }

    fn activate(&mut self, j: usize, line: u32) -> Result<(), SimError> {
        self.slot_of[j] = Some(self.slots.len());
        self.slots.push(j);
        if self.slots.len() > self.max_active {
            self.max_active = self.slots.len();
        }
        if self.slots.len() > self.limit {
            return Err(SimError::TooBig {
                what: format!(
                    "{} active qubits after the instruction on line {line} (2^{} amplitudes; \
                     the exact engine allows at most {} active qubits)",
                    self.slots.len(),
                    self.slots.len(),
                    self.limit
                ),
                bytes: 16u64 << self.slots.len().min(62),
                limit: 16u64 << self.limit,
            });
        }
        Ok(())
    }

    fn deactivate(&mut self, j: usize) {
        let slot = self.slot_of[j].take().expect("active");
        self.slots.remove(slot);
        for (s, &q) in self.slots.iter().enumerate().skip(slot) {
            self.slot_of[q] = Some(s);
        }
    }

    /// exp(-i angle P) for the Hermitian virtual Pauli `p`.
    fn rotate(&mut self, mut p: Pauli, angle: f64, line: u32) -> Result<(), SimError> {
        if let Some(j) = self.dormant_x(&p) {
            let negative = self.reduce_to_dormant_x(&mut p, j);
            let angle = if negative { -angle } else { angle };
            self.activate(j, line)?;
            self.ops.push(Op::Activate {
                qubit: j,
                sin_cos: angle.sin_cos(),
            });
        } else if self.touches_active(&p) {
            let (mut xmask, mut zmask) = (0u64, 0u64);
            for (s, &q) in self.slots.iter().enumerate() {
                let (x, z) = p.get(q);
                xmask |= u64::from(x) << s;
                zmask |= u64::from(z) << s;
            }
            // p = i^phase X^x Z^z; on the active slots, with dormant Zs acting as +1.
            self.ops.push(Op::Rotate {
                xmask,
                zmask,
                phase: p.phase,
                sin_cos: angle.sin_cos(),
                test: packed(&p),
            });
        }
        // Otherwise p acts as +-1 on the state: a global phase.
        Ok(())
    }

    /// Measures the Hermitian virtual Pauli `p` (the image of the measured observable).
    /// `reset` is the physical Pauli that flips the outcome (applied when the true outcome is 1).
    fn measure(
        &mut self,
        mut p: Pauli,
        record: Option<u32>,
        invert: bool,
        flip: f64,
        reset: Option<&[(usize, Basis)]>,
    ) {
        let kind = if let Some(j) = self.dormant_x(&p) {
            let negative = self.reduce_to_dormant_x(&mut p, j);
            for q in &mut self.img {
                q.conjugate(VGate::H(j));
            }
            MeasureKind::Random { qubit: j, negative }
        } else if self.touches_active(&p) {
            let j = self.reduce_to_active_z(&mut p);
            let slot = self.slot_of[j].expect("active");
            let negative = p.negative();
            self.deactivate(j);
            MeasureKind::Dense {
                slot,
                qubit: j,
                negative,
                test: packed(&p),
            }
        } else {
            MeasureKind::Fixed {
                negative: p.negative(),
                test: packed(&p),
            }
        };
        let reset = reset.map(|f| packed(&self.product_image(f)));
        let flip = (flip > 0.0).then(|| self.noise_trials(flip, 1));
        let site = flip.and(self.site);
        if let Some((_, group)) = &mut self.site {
            *group += 1;
        }
        self.ops.push(Op::Measure {
            kind,
            record,
            invert,
            flip,
            reset,
            site,
        });
    }

    /// Reserves `trials` trials of probability `p`: (class, number of the first).
    fn noise_trials(&mut self, p: f64, trials: u64) -> (u32, u64) {
        let bits = p.to_bits();
        let class = match self.noise_classes.iter().position(|c| c.0 == bits) {
            Some(c) => c,
            None => {
                self.noise_classes.push((bits, 0));
                self.noise_classes.len() - 1
            }
        };
        let first = self.noise_classes[class].1;
        self.noise_classes[class].1 += trials;
        (class as u32, first)
    }

    fn noise_images(&self, qubits: &[usize]) -> Vec<u64> {
        let mut out = Vec::new();
        for &q in qubits {
            out.extend(packed(&self.img[2 * q]));
            out.extend(packed(&self.img[2 * q + 1]));
        }
        out
    }

    fn record_index(&self, k: u32, line: u32) -> Result<u32, SimError> {
        self.record_base.checked_sub(k).ok_or_else(|| {
            SimError::Unsupported(format!(
                "line {line}: rec[-{k}] reaches before the first measurement"
            ))
        })
    }

    fn qubits(ins: &Instruction) -> Vec<usize> {
        ins.targets
            .iter()
            .filter_map(|t| t.qubit_index().map(|q| q as usize))
            .collect()
    }

    /// A reset of qubit `q` to the +1 eigenstate of `basis`. On a fresh qubit (see
    /// `Compiler::fresh`) it is no operation at all: R leaves |0> as it is, RX and RY are the
    /// Cliffords H and S H that take |0> to |+> and |+i>. Otherwise, a measurement with no record
    /// and a flip of the outcome when it is 1.
    fn reset(&mut self, q: usize, basis: Basis) {
        if !self.fresh[q] {
            let p = self.product_image(&[(q, basis)]);
            self.measure(p, None, false, 0.0, Some(&[(q, flipper(basis))]));
            return;
        }
        if basis != Basis::Z {
            self.prepend_clifford(GateId::named("H"), &[q]);
            if basis == Basis::Y {
                self.prepend_clifford(GateId::named("S"), &[q]);
            }
            // |+> and |+i> are not |0>: the qubit's images are no longer X and Z.
            self.fresh[q] = false;
        }
    }

    /// Compiles one (flat) instruction whose first measurement is record `record_base` and
    /// whose detector (if it is one) is number `detector_base`, both counted in circuit order.
    pub(super) fn instruction_at(
        &mut self,
        ins: &Instruction,
        record_base: u32,
        detector_base: u32,
        site: Option<(u32, u32)>,
    ) -> Result<(), SimError> {
        self.record_base = record_base;
        self.detector_base = detector_base;
        self.site = site;
        self.instruction(ins)
    }

    fn instruction(&mut self, ins: &Instruction) -> Result<(), SimError> {
        if self.ops.len() >= MAX_OPS {
            return Err(SimError::Unsupported(format!(
                "the exact engine unrolls loops and this circuit needs more than {MAX_OPS} \
                 operations; shorten its REPEAT blocks"
            )));
        }
        let kind = ins.gate.kind();
        self.instruction_body(ins, kind)?;
        // Whatever acted on a qubit may have entangled it or put it into a frame (a reset
        // keeps track itself).
        if !matches!(kind, GateKind::QubitCoords | GateKind::Reset(_)) {
            for q in Self::qubits(ins) {
                self.fresh[q] = false;
            }
        }
        Ok(())
    }

    fn instruction_body(&mut self, ins: &Instruction, kind: GateKind) -> Result<(), SimError> {
        match kind {
            GateKind::Clifford1 => {
                for q in Self::qubits(ins) {
                    self.prepend_clifford(ins.gate, &[q]);
                }
            }
            GateKind::Clifford2 => {
                let action = ins.gate.clifford_action().expect("Clifford");
                for pair in ins.targets.chunks(2) {
                    match (pair[0], pair[1]) {
                        (Target::Rec(k), t) | (t, Target::Rec(k)) if t.qubit_index().is_some() => {
                            let rec_slot = usize::from(matches!(pair[1], Target::Rec(_)));
                            let (x, z) = feedback_pauli(action, rec_slot);
                            let q = t.qubit_index().unwrap_or_default() as usize;
                            let record = self.record_index(k, ins.line)?;
                            let bits = packed(&self.image(&[q], u8::from(x), u8::from(z)));
                            self.ops.push(Op::FrameIfRecord { record, bits });
                        }
                        (a, b) => {
                            // Two record targets are purely classical: no effect on the state.
                            if let (Some(a), Some(b)) = (a.qubit_index(), b.qubit_index()) {
                                self.prepend_clifford(ins.gate, &[a as usize, b as usize]);
                            }
                        }
                    }
                }
            }
            GateKind::NonClifford1 | GateKind::NonClifford2 | GateKind::MagicReset => {
                let steps = rotation_steps(ins.gate, &ins.args).ok_or_else(|| {
                    SimError::Unsupported(format!(
                        "line {}: the exact engine has no decomposition of {}",
                        ins.line,
                        ins.gate.name()
                    ))
                })?;
                let arity = if kind == GateKind::NonClifford2 { 2 } else { 1 };
                let qs = Self::qubits(ins);
                for group in qs.chunks(arity) {
                    for step in &steps {
                        match *step {
                            RotationStep::Clifford { gate, slots } => match gate.kind() {
                                GateKind::Reset(Basis::Z) => self.reset(group[slots[0]], Basis::Z),
                                _ => {
                                    let a = gate.clifford_action().expect("Clifford").num_qubits;
                                    let targets: Vec<usize> =
                                        slots[..a].iter().map(|&s| group[s]).collect();
                                    self.prepend_clifford(gate, &targets);
                                    for q in targets {
                                        self.fresh[q] = false;
                                    }
                                }
                            },
                            RotationStep::Rotate { axis, slot, angle } => {
                                let p = self.product_image(&[(group[slot], axis)]);
                                self.rotate(p, angle, ins.line)?;
                                self.fresh[group[slot]] = false;
                            }
                        }
                    }
                }
            }
            GateKind::PauliProductMeasure => {
                let flip = ins.args.first().copied().unwrap_or(0.0);
                for product in ins.pauli_products() {
                    let p = self.product_image(&factors_of(&product.factors));
                    self.num_records += 1;
                    self.record_base += 1;
                    let record = Some(self.record_base - 1);
                    self.measure(p, record, product.inverted, flip, None);
                }
            }
            GateKind::PauliProductRotation { dagger } => {
                for product in ins.pauli_products() {
                    self.prepend_product_rotation(
                        &factors_of(&product.factors),
                        dagger ^ product.inverted,
                    );
                }
            }
            GateKind::Reset(b) => {
                for q in Self::qubits(ins) {
                    self.reset(q, b);
                }
            }
            GateKind::Measure(b) | GateKind::MeasureReset(b) => {
                let flip = ins.args.first().copied().unwrap_or(0.0);
                let resets = kind != GateKind::Measure(b);
                for t in &ins.targets {
                    let Target::Qubit { index, inverted } = *t else {
                        continue;
                    };
                    let q = index as usize;
                    let p = self.product_image(&[(q, b)]);
                    self.num_records += 1;
                    self.record_base += 1;
                    let record = Some(self.record_base - 1);
                    let flip_factor = [(q, flipper(b))];
                    self.measure(
                        p,
                        record,
                        inverted,
                        flip,
                        resets.then_some(&flip_factor[..]),
                    );
                }
            }
            GateKind::Noise1 | GateKind::Noise2 => {
                let two = kind == GateKind::Noise2;
                let channel = PauliChannel::for_gate(ins.gate, &ins.args, two);
                // DEPOLARIZE's chance of a fault is its argument; the sum of its 3 or 15 equal
                // parts can differ from it in the last bit, which would make the same p two
                // noise classes (one more geometric draw per shot).
                let p = match ins.gate.def().noise {
                    Some(NoiseShape::Uniform) => ins.args[0].min(1.0),
                    _ => channel.trial.p,
                };
                if p > 0.0 {
                    let qs = Self::qubits(ins);
                    let images = self.noise_images(&qs);
                    let targets = if two { qs.len() / 2 } else { qs.len() };
                    let (class, first) = self.noise_trials(p, targets as u64);
                    self.ops.push(Op::Noise {
                        site: self.site.unwrap_or_default(),
                        class,
                        first,
                        channel,
                        arity: if two { 2 } else { 1 },
                        targets,
                        images,
                    });
                }
            }
            GateKind::Correlated { else_branch } => {
                let factors: Vec<(usize, Basis)> = ins
                    .targets
                    .iter()
                    .filter_map(|t| match *t {
                        Target::Pauli { pauli, index, .. } => Some((
                            index as usize,
                            match pauli {
                                'X' => Basis::X,
                                'Y' => Basis::Y,
                                _ => Basis::Z,
                            },
                        )),
                        _ => None,
                    })
                    .collect();
                let bits = packed(&self.product_image(&factors));
                self.ops.push(Op::Correlated {
                    site: self.site.map_or(0, |s| s.0),
                    trial: Bernoulli::new(ins.args[0]),
                    else_branch,
                    bits,
                });
            }
            GateKind::MeasurePad | GateKind::HeraldedNoise => {
                return Err(SimError::Unsupported(format!(
                    "line {}: the exact engine does not run {} yet",
                    ins.line,
                    ins.gate.name()
                )))
            }
            GateKind::ObservableInclude
                if ins.targets.iter().any(|t| matches!(t, Target::Pauli { .. })) =>
            {
                return Err(SimError::Unsupported(format!(
                    "line {}: the exact engine does not run OBSERVABLE_INCLUDE with Pauli targets yet",
                    ins.line
                )))
            }
            GateKind::Detector | GateKind::ObservableInclude => {
                let mut records = Vec::new();
                for t in &ins.targets {
                    if let Target::Rec(k) = *t {
                        records.push(self.record_index(k, ins.line)?);
                    }
                }
                if kind == GateKind::Detector {
                    let index = self.detector_base;
                    if self.detector_lines.len() <= index as usize {
                        self.detector_lines.resize(index as usize + 1, 0);
                    }
                    self.detector_lines[index as usize] = ins.line;
                    self.num_detectors += 1;
                    self.ops.push(Op::Detector { index, records });
                } else {
                    let index = ins.args[0] as u32;
                    self.num_observables = self.num_observables.max(index + 1);
                    if self.observable_lines.len() <= index as usize {
                        self.observable_lines.resize(index as usize + 1, ins.line);
                    }
                    self.ops.push(Op::Observable { index, records });
                }
            }
            GateKind::QubitCoords
            | GateKind::ShiftCoords
            | GateKind::Tick
            | GateKind::IdentityNoise => {}
        }
        Ok(())
    }
}

/// The Pauli that flips a measurement in `basis` (what a reset applies when the outcome is 1).
fn flipper(basis: Basis) -> Basis {
    match basis {
        Basis::Z => Basis::X,
        Basis::X | Basis::Y => Basis::Z,
    }
}

/// The dense vector's width and work along a noiseless shot, followed operation by operation.
/// Ordered by peak width, then width, then work: the beam search's score
/// ([`super::beam`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct DenseCost {
    /// Most active qubits so far.
    pub peak: u32,
    /// Active qubits now.
    pub width: u32,
    /// Amplitudes touched so far by the operations on the dense vector.
    pub work: u128,
}

impl DenseCost {
    /// Follows `ops`, compiled after those already counted.
    pub(super) fn add(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Activate { .. } => {
                    self.width += 1;
                    self.peak = self.peak.max(self.width);
                    self.work += 1 << self.width;
                }
                Op::Rotate { .. } | Op::Dense(..) => self.work += 1 << self.width,
                Op::Measure {
                    kind: MeasureKind::Dense { .. },
                    ..
                } => {
                    self.work += 1 << self.width;
                    self.width = self.width.saturating_sub(1);
                }
                _ => {}
            }
        }
    }
}

/// The dense work of one noiseless shot through `ops`: amplitudes touched by every operation on
/// the dense vector (a shot that stops early does less).
pub(super) fn dense_work(ops: &[Op]) -> u128 {
    let mut cost = DenseCost::default();
    cost.add(ops);
    cost.work
}

/// Pauli-product factors (qubit, x, z) as (qubit, basis).
fn factors_of(factors: &[(u32, bool, bool)]) -> Vec<(usize, Basis)> {
    factors
        .iter()
        .map(|&(q, x, z)| {
            let b = match (x, z) {
                (true, false) => Basis::X,
                (true, true) => Basis::Y,
                _ => Basis::Z,
            };
            (q as usize, b)
        })
        .collect()
}

/// Whether an instruction is a noise site of [`crate::faults::FaultSet`]: a channel, a
/// correlated error or a noisy measurement with some positive probability.
pub(super) fn is_noise_site(ins: &Instruction) -> bool {
    match ins.gate.kind() {
        GateKind::Noise1 | GateKind::Noise2 => {
            PauliChannel::for_gate(ins.gate, &ins.args, ins.gate.kind() == GateKind::Noise2)
                .trial
                .p
                > 0.0
        }
        GateKind::Correlated { .. }
        | GateKind::Measure(_)
        | GateKind::MeasureReset(_)
        | GateKind::PauliProductMeasure => ins.args.first().is_some_and(|&p| p > 0.0),
        _ => false,
    }
}

/// The order in which instructions are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// As written.
    Circuit,
    /// Any order that respects each qubit's sequence of operations and the measurement record,
    /// chosen to keep few qubits active: the best of the greedy rules of [`super::schedule`]
    /// and the beam search of [`super::beam`].
    #[default]
    ActiveWidth,
    /// The beam search's order alone (for tests and comparisons; the first greedy rule's
    /// when the beam finds no order within the limit on active qubits).
    Beam,
}

/// The compiled order with the least dense work so far, and the first error (too many active
/// qubits) of an order that failed.
#[derive(Default)]
struct Best {
    /// The program and its dense work.
    program: Option<(Compiler, u128)>,
    error: Option<SimError>,
}

impl Best {
    fn offer(&mut self, c: Result<Compiler, SimError>) {
        match c {
            Ok(c) => {
                let work = dense_work(&c.ops);
                if self.program.as_ref().is_none_or(|b| work < b.1) {
                    self.program = Some((c, work));
                }
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }
}

/// Compiles a whole circuit (loops unrolled) with at most `limit` active qubits; also returns
/// the line of each observable's first `OBSERVABLE_INCLUDE`.
pub(super) fn compile(
    circuit: &Circuit,
    limit: usize,
    order: Order,
) -> Result<(ExactProgram, Vec<u32>), SimError> {
    let stats = circuit.stats();
    let n = stats.num_qubits as usize;
    if n > 1 << 20 {
        return Err(SimError::TooManyQubits {
            qubits: n as u64,
            engine: "exact engine",
            limit: 1 << 20,
        });
    }
    match order {
        Order::Circuit => {
            let mut c = Compiler::new(n, limit);
            let (mut records, mut detectors, mut sites) = (0u32, 0u32, 0u32);
            circuit.for_each_flat(&mut |ins| {
                let site = is_noise_site(ins).then_some((sites, 0));
                c.instruction_at(ins, records, detectors, site)?;
                records += ins.num_measurements() as u32;
                detectors += u32::from(ins.gate.kind() == GateKind::Detector);
                sites += u32::from(site.is_some());
                Ok::<(), SimError>(())
            })?;
            Ok(c.finish(stats.num_measurements))
        }
        Order::ActiveWidth | Order::Beam => {
            // Every scheduling rule and the beam search, keeping the program with the least
            // dense work; an error (too many active qubits) only when every order fails.
            let plain = Graph::new(circuit, false)?;
            let graph = Graph::new(circuit, true)?;
            let mut best = Best::default();
            let by_rule = |graph: &Graph, rule| {
                let mut c = graph.compiler(limit);
                compile_scheduled(&mut c, graph, rule).map(|()| c)
            };
            if order == Order::ActiveWidth {
                for g in [&plain, &graph] {
                    for rule in RULES {
                        best.offer(by_rule(g, rule));
                    }
                }
            }
            // The beam search (not when no rule compiled: the circuit is too wide whatever the
            // order).
            if order == Order::Beam || best.program.is_some() {
                if let Some((order, _)) = beam_order(&graph, graph.compiler(limit), BEAM_WIDTH) {
                    best.offer(graph.replay(&order, limit));
                }
            }
            if best.program.is_none() && best.error.is_none() {
                best.offer(by_rule(&graph, RULES[0]));
            }
            match best {
                Best {
                    program: Some((c, _)),
                    ..
                } => Ok(c.finish(stats.num_measurements)),
                Best { error: Some(e), .. } => Err(e),
                _ => unreachable!("an order compiled or failed"),
            }
        }
    }
}
