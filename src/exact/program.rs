//! A compiled exact program and its per-shot executor.
//!
//! A shot's state is U P (phi (x) |0...0>): the Clifford U is fixed at compile time (it lives
//! in the compiler's tableau and is gone by now), P is the shot's Pauli frame over virtual
//! qubits, and phi is a dense vector over the active virtual qubits. Every [`Op`] touches only
//! the frame, the dense vector and the measurement record.

use super::pauli::{and_parity, bit, FrameBits, Pauli, VGate};
use crate::error::SimError;
use crate::frame::noise::{uniform_open0, Bernoulli, PauliChannel};
use crate::gates::Basis;
use num_complex::Complex64 as C;
use rand_core::RngCore;

/// A Clifford gate on slots of the dense vector (slot s = bit s of the amplitude index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenseGate {
    H(usize),
    S(usize),
    SDag(usize),
    Cx(usize, usize),
    Cz(usize, usize),
}

/// How a measurement's outcome arises (before the frame's flip and the target's `!`).
#[derive(Clone, Debug, PartialEq)]
pub enum MeasureKind {
    /// The measured image acts as +-1 on the state: the outcome is its sign, flipped when the
    /// frame anticommutes with `test` (the image's bits).
    Fixed { negative: bool, test: Vec<u64> },
    /// The image was reduced to +-X_qubit with `qubit` dormant: a fair coin; afterwards a
    /// Hadamard on `qubit` keeps it dormant.
    Random { qubit: usize, negative: bool },
    /// The image was reduced to +-Z on `slot` (virtual `qubit`): sampled from the amplitudes,
    /// then the slot is projected out and the qubit becomes dormant again.
    Dense {
        slot: usize,
        qubit: usize,
        negative: bool,
        test: Vec<u64>,
    },
}

/// The virtual basis change that reduces a Pauli with X on the dormant `qubit` j to X_j: CX(j,
/// q) for every q in `cx`, then CZ(j, q) for every q in `cz`, then S^dag_j when `sdag`. Every
/// gate is controlled by j, which is |0>, so the state is untouched and only the frame follows,
/// in one step: the CXs (which commute, sharing their control) flip x on `cx` when x_j is set
/// and flip z_j by the parity of z on `cx`; the CZs flip z on `cz` when x_j is set and flip z_j
/// by the parity of x on `cz`; S^dag flips z_j when x_j is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameReduction {
    pub qubit: usize,
    pub cx: Vec<u64>,
    pub cz: Vec<u64>,
    pub sdag: bool,
}

impl FrameReduction {
    fn apply(&self, frame: &mut FrameBits) {
        let j = self.qubit;
        let xj = frame.get(j).0;
        let w = frame.words;
        let (x, z) = frame.bits.split_at_mut(w);
        let mut zj = and_parity(z, &self.cx);
        if xj {
            for (xw, m) in x.iter_mut().zip(&self.cx) {
                *xw ^= m;
            }
            for (zw, m) in z.iter_mut().zip(&self.cz) {
                *zw ^= m;
            }
        }
        zj ^= and_parity(x, &self.cz);
        zj ^= xj && self.sdag;
        if zj {
            z[j / 64] ^= 1 << (j % 64);
        }
    }
}

/// One per-shot operation.
#[derive(Clone, Debug)]
pub enum Op {
    /// A virtual basis change that leaves the state untouched: only the frame follows it.
    Reduce(FrameReduction),
    /// A virtual basis change among active qubits: frame and dense vector.
    Dense(VGate, DenseGate),
    /// exp(-i angle X_qubit) on the dormant `qubit`, which then joins the dense vector as its
    /// new highest slot; `sin_cos` of the angle, which flips sign when the frame has Z or Y on
    /// `qubit`.
    Activate {
        qubit: usize,
        sin_cos: (f64, f64),
    },
    /// exp(-i angle Q) with Q = i^phase X^xmask Z^zmask on the slots (dormant Zs act as +1),
    /// `sin_cos` of the angle; the angle flips sign when the frame anticommutes with `test`.
    Rotate {
        xmask: u64,
        zmask: u64,
        phase: u8,
        sin_cos: (f64, f64),
        test: Vec<u64>,
    },
    Measure {
        kind: MeasureKind,
        /// Record index (None: a reset's hidden measurement).
        record: Option<u32>,
        /// The target's `!`: the recorded bit is inverted (the reset still follows the state).
        invert: bool,
        /// Classical flip of the recorded bit: its noise class and trial number (see [`Op::Noise`]).
        flip: Option<(u32, u64)>,
        /// Frame bits to apply when the outcome is 1 (the reset that follows, if any).
        reset: Option<Vec<u64>>,
        /// Noise site and target group of the flip, when noisy.
        site: Option<(u32, u32)>,
    },
    /// Feedback: XOR `bits` into the frame when record `record` is 1.
    FrameIfRecord {
        record: u32,
        bits: Vec<u64>,
    },
    /// A Pauli channel on `targets` groups of `arity` qubits; `images` holds, per target, the
    /// frame bits of X and Z of each of its qubits. Its trials are numbers `first..first +
    /// targets` of noise class `class` (all trials with one probability), so that a shot draws
    /// one geometric gap per hit of a class instead of one per instruction.
    Noise {
        /// Noise site (as [`crate::faults::FaultSet`] numbers them) and its first group here.
        site: (u32, u32),
        class: u32,
        first: u64,
        channel: PauliChannel,
        arity: usize,
        targets: usize,
        images: Vec<u64>,
    },
    /// E / ELSE_CORRELATED_ERROR with the frame bits of its Pauli product.
    Correlated {
        site: u32,
        trial: Bernoulli,
        else_branch: bool,
        bits: Vec<u64>,
    },
    Detector {
        index: u32,
        records: Vec<u32>,
    },
    Observable {
        index: u32,
        records: Vec<u32>,
    },
}

/// A circuit compiled for the exact engine: compile once, then run many shots.
#[derive(Clone, Debug)]
pub struct ExactProgram {
    pub(super) ops: Vec<Op>,
    pub num_qubits: usize,
    pub(super) words: usize,
    pub num_measurements: usize,
    pub num_detectors: usize,
    pub num_observables: usize,
    /// Most active qubits at any point: the dense vector holds at most 2^max_active amplitudes.
    pub max_active: usize,
    pub(super) detector_lines: Vec<u32>,
    /// Noiseless value of every detector and observable (detection events are flips of these).
    pub(super) expected_detectors: Vec<bool>,
    pub(super) expected_observables: Vec<bool>,
    /// The tableau at the end of the circuit, for end-of-shot expectation values.
    pub(super) final_images: Vec<Pauli>,
    pub(super) final_slots: Vec<usize>,
    /// The Bernoulli trial of each noise class, and its number of trials.
    pub(super) noise_classes: Vec<(Bernoulli, u64)>,
    /// (site, first group, groups, operation) of every noisy operation, sorted.
    pub(super) site_table: Vec<(u32, u32, u32, u32)>,
    /// Every operation except the Pauli channels, which a shot visits only when they hit: its
    /// index in `ops`, and a copy of it, contiguous for the cache.
    pub(super) structural: Vec<(u32, Op)>,
    /// Per noise class, (first trial, trials, operation) of each operation drawing from it, in
    /// trial order: where a class's next hit happens.
    pub(super) class_ops: Vec<Vec<(u64, u64, u32)>>,
}

/// How noise is treated in a shot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseMode<'a> {
    /// Every channel and measurement flip sampled with its probability.
    Sample,
    /// Noise ignored (the noiseless circuit).
    Off,
    /// Exactly these faults and no others (sorted by operation; see
    /// [`ExactProgram::injection`]).
    Fixed(&'a [Injection]),
}

/// One fault placed in a shot: outcome `outcome` (Pauli bits as [`PauliChannel`] packs them:
/// bit 0 X and bit 1 Z on the first qubit, bits 2, 3 on the second; any non-zero value for a
/// measurement flip or a correlated error) of target `target` of operation `op`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Injection {
    pub op: u32,
    pub target: u32,
    pub outcome: u8,
}

/// Per-thread scratch for running shots.
#[derive(Clone, Debug)]
pub struct Workspace {
    amps: Vec<C>,
    frame: FrameBits,
    /// Recorded measurement bits, one byte each.
    pub record: Vec<bool>,
    /// Detection events (flips of the noiseless detector values).
    pub detectors: Vec<bool>,
    /// Observable flips.
    pub observables: Vec<bool>,
    chain_fired: bool,
    /// Per noise class, the trial number of its next hit, and the operation where it happens
    /// (u32::MAX: none).
    next_hit: Vec<u64>,
    next_op: Vec<u32>,
}

/// How a shot ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShotEnd {
    Completed,
    /// A postselected detector fired; the shot stopped there.
    Discarded {
        detector: u32,
    },
}

/// The noise class whose next hit comes first, and the operation it hits (u32::MAX: none).
fn next_channel_hit(ws: &Workspace) -> (usize, u32) {
    ws.next_op
        .iter()
        .copied()
        .enumerate()
        .min_by_key(|&(_, op)| op)
        .unwrap_or((0, u32::MAX))
}

const R2: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// A uniform random bit.
#[inline]
fn coin(rng: &mut impl RngCore) -> bool {
    rng.next_u64() >> 63 == 1
}

fn parity(record: &[bool], records: &[u32]) -> bool {
    records
        .iter()
        .fold(false, |acc, &r| acc ^ record[r as usize])
}

impl ExactProgram {
    /// Scratch for shots of this program.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            amps: Vec::with_capacity(1 << self.max_active),
            frame: FrameBits::new(self.words),
            record: vec![false; self.num_measurements],
            detectors: vec![false; self.num_detectors],
            observables: vec![false; self.num_observables],
            chain_fired: false,
            next_hit: vec![0; self.noise_classes.len()],
            next_op: vec![u32::MAX; self.noise_classes.len()],
        }
    }

    /// Runs one shot. With `postselect` (a mask over detectors), the shot stops at the first
    /// postselected detector that fires. Detection events and observable flips are left in the
    /// workspace (the ones after a discard are not computed).
    pub fn run_shot(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        noise: NoiseMode,
        postselect: Option<&[bool]>,
    ) -> ShotEnd {
        let mut fixed: &[Injection] = match noise {
            NoiseMode::Fixed(list) => list,
            _ => &[],
        };
        ws.amps.clear();
        ws.amps.push(C::new(1.0, 0.0));
        ws.frame.clear();
        ws.chain_fired = false;
        ws.observables.iter_mut().for_each(|o| *o = false);
        let noisy = noise == NoiseMode::Sample;
        for c in 0..self.noise_classes.len() {
            ws.next_hit[c] = if noisy {
                self.noise_classes[c].0.gap(rng)
            } else {
                u64::MAX
            };
            ws.next_op[c] = self.hit_op(c, ws.next_hit[c]);
        }
        // The earliest operation where a channel hits.
        let mut pending = next_channel_hit(ws).1;
        for (at, op) in &self.structural {
            let at = *at;
            // Channels are visited only where they hit, or where a fault is placed (their frame
            // flips all commute, so only their place among the other operations matters).
            if pending < at {
                pending = self.channel_hits(ws, rng, at);
            }
            while let Some(f) = fixed.first().filter(|f| f.op < at) {
                self.place(ws, f);
                fixed = &fixed[1..];
            }
            // The faults placed at this operation, in Fixed mode.
            let here = fixed.partition_point(|f| f.op <= at);
            let placed: &[Injection];
            (placed, fixed) = fixed.split_at(here);
            match op {
                Op::Reduce(r) => r.apply(&mut ws.frame),
                Op::Dense(g, d) => {
                    ws.frame.conjugate(*g);
                    apply_dense(&mut ws.amps, *d);
                }
                Op::Activate { qubit, sin_cos } => {
                    // The frame's Z or Y on the qubit flips the angle: sin changes sign.
                    let (s, c) = if ws.frame.get(*qubit).1 {
                        (-sin_cos.0, sin_cos.1)
                    } else {
                        *sin_cos
                    };
                    let len = ws.amps.len();
                    ws.amps.extend_from_within(..);
                    let (low, high) = ws.amps.split_at_mut(len);
                    let c1 = C::new(0.0, -s);
                    for (a, b) in low.iter_mut().zip(high.iter_mut()) {
                        *b *= c1;
                        *a *= c;
                    }
                }
                Op::Rotate {
                    xmask,
                    zmask,
                    phase,
                    sin_cos,
                    test,
                } => {
                    let (s, c) = if ws.frame.anticommutes(test) {
                        (-sin_cos.0, sin_cos.1)
                    } else {
                        *sin_cos
                    };
                    rotate_pauli(&mut ws.amps, *xmask, *zmask, *phase, s, c);
                }
                Op::Measure {
                    kind,
                    record,
                    invert,
                    flip,
                    reset,
                    site: _,
                } => {
                    let m = match kind {
                        MeasureKind::Fixed { negative, test } => {
                            negative ^ ws.frame.anticommutes(test)
                        }
                        MeasureKind::Random { qubit, negative } => {
                            let f = ws.frame.get(*qubit).1;
                            let r = coin(rng);
                            ws.frame.conjugate(VGate::H(*qubit));
                            if r {
                                ws.frame.flip_x(*qubit);
                            }
                            r ^ f ^ negative
                        }
                        MeasureKind::Dense {
                            slot,
                            qubit,
                            negative,
                            test,
                        } => {
                            let f = ws.frame.anticommutes(test);
                            let m = measure_slot(&mut ws.amps, *slot, rng);
                            if m {
                                ws.frame.flip_x(*qubit);
                            }
                            m ^ f ^ negative
                        }
                    };
                    if m {
                        if let Some(bits) = reset {
                            ws.frame.xor(bits);
                        }
                    }
                    if let Some(r) = record {
                        let mut flipped = !placed.is_empty();
                        if let Some((class, trial)) = flip {
                            let c = *class as usize;
                            if ws.next_hit[c] == *trial {
                                flipped = true;
                                self.advance(ws, rng, c);
                                pending = next_channel_hit(ws).1;
                            }
                        }
                        ws.record[*r as usize] = m ^ flipped ^ invert;
                    }
                }
                Op::FrameIfRecord { record, bits } => {
                    if ws.record[*record as usize] {
                        ws.frame.xor(bits);
                    }
                }
                // Channels are not in `structural`: `channel_hits` and `place` apply them.
                Op::Noise { .. } => {}
                Op::Correlated {
                    site: _,
                    trial,
                    else_branch,
                    bits,
                } => {
                    if !placed.is_empty() {
                        ws.frame.xor(bits);
                    }
                    if !else_branch {
                        ws.chain_fired = false;
                    }
                    if noisy && !ws.chain_fired && uniform_open0(rng) <= trial.p {
                        ws.chain_fired = true;
                        ws.frame.xor(bits);
                    }
                }
                Op::Detector { index, records } => {
                    let i = *index as usize;
                    let event = parity(&ws.record, records)
                        ^ self.expected_detectors.get(i).copied().unwrap_or(false);
                    ws.detectors[i] = event;
                    if event && postselect.is_some_and(|m| m[i]) {
                        return ShotEnd::Discarded { detector: *index };
                    }
                }
                Op::Observable { index, records } => {
                    ws.observables[*index as usize] ^= parity(&ws.record, records);
                }
            }
        }
        // Hits after the last other operation still move the frame (end-of-shot expectations).
        self.channel_hits(ws, rng, u32::MAX);
        for f in fixed {
            self.place(ws, f);
        }
        for (o, e) in ws.observables.iter_mut().zip(&self.expected_observables) {
            *o ^= e;
        }
        ShotEnd::Completed
    }

    /// The operation where trial `trial` of noise class `class` happens (u32::MAX: none).
    fn hit_op(&self, class: usize, trial: u64) -> u32 {
        let table = &self.class_ops[class];
        let i = table.partition_point(|e| e.0 <= trial);
        match i.checked_sub(1).map(|i| table[i]) {
            Some((first, trials, op)) if trial - first < trials => op,
            _ => u32::MAX,
        }
    }

    /// Draws the next hit of noise class `class` after the current one.
    fn advance(&self, ws: &mut Workspace, rng: &mut impl RngCore, class: usize) {
        let gap = self.noise_classes[class].0.gap(rng);
        let next = ws.next_hit[class].saturating_add(1).saturating_add(gap);
        ws.next_hit[class] = next;
        ws.next_op[class] = self.hit_op(class, next);
    }

    /// Applies every channel hit at an operation before `limit`, in operation order; returns the
    /// operation of the next hit.
    fn channel_hits(&self, ws: &mut Workspace, rng: &mut impl RngCore, limit: u32) -> u32 {
        loop {
            let (c, at) = next_channel_hit(ws);
            if at >= limit || at == u32::MAX {
                return at;
            }
            let Op::Noise {
                first,
                channel,
                arity,
                images,
                ..
            } = &self.ops[at as usize]
            else {
                unreachable!("noise classes hit channels and measurements only");
            };
            let t = (ws.next_hit[c] - first) as usize;
            let outcome = channel.pick(rng);
            self.flip_frame(ws, images, *arity, t, outcome);
            self.advance(ws, rng, c);
        }
    }

    /// Applies a fault placed on a channel.
    fn place(&self, ws: &mut Workspace, f: &Injection) {
        if let Op::Noise { arity, images, .. } = &self.ops[f.op as usize] {
            self.flip_frame(ws, images, *arity, f.target as usize, f.outcome);
        }
    }

    /// XORs into the frame the image of Pauli `outcome` (bit pairs X, Z per qubit, as
    /// [`PauliChannel`] packs them) on target `t` of a channel with these `images`.
    fn flip_frame(&self, ws: &mut Workspace, images: &[u64], arity: usize, t: usize, outcome: u8) {
        let stride = 2 * self.words;
        let base = t * 2 * arity * stride;
        for g in 0..2 * arity {
            if outcome >> g & 1 == 1 {
                ws.frame.xor(&images[base + g * stride..][..stride]);
            }
        }
    }

    /// Where fault `index` (Stim's term index: 1..=3 for X, Y, Z; 1..=15 for IX..ZZ; anything
    /// for a flip or correlated error) of target group `group` of noise site `site` (numbered as
    /// [`crate::faults::FaultSet`] numbers them) happens, or None if the site is unknown.
    pub fn injection(&self, site: u32, group: u32, index: u8) -> Option<Injection> {
        let i = self
            .site_table
            .partition_point(|&(s, g, _, _)| (s, g) <= (site, group));
        let &(s, g0, n, op) = self.site_table.get(i.checked_sub(1)?)?;
        if s != site || group >= g0 + n {
            return None;
        }
        let letter = |l: u8| [0b00u8, 0b01, 0b11, 0b10][l as usize & 3];
        let outcome = match &self.ops[op as usize] {
            Op::Noise { arity: 2, .. } => letter(index / 4) | letter(index % 4) << 2,
            Op::Noise { .. } => letter(index),
            _ => 1,
        };
        Some(Injection {
            op,
            target: group - g0,
            outcome,
        })
    }

    /// The expectation value, in the state a completed shot left in `ws`, of the Hermitian
    /// product of single-qubit Paulis `factors` (qubit, basis) taken in order.
    pub fn expectation(&self, ws: &Workspace, factors: &[(usize, Basis)]) -> f64 {
        let p = image_of(&self.final_images, self.words, factors);
        let n = self.num_qubits;
        let dormant_x = (0..n).any(|q| !self.final_slots.contains(&q) && bit(&p.x, q));
        if dormant_x {
            return 0.0;
        }
        let (mut xmask, mut zmask) = (0u64, 0u64);
        for (s, &q) in self.final_slots.iter().enumerate() {
            let (x, z) = p.get(q);
            xmask |= u64::from(x) << s;
            zmask |= u64::from(z) << s;
        }
        let frame_anticommutes = and_parity(ws.frame.x(), &p.z) ^ and_parity(ws.frame.z(), &p.x);
        let sign = if frame_anticommutes { -1.0 } else { 1.0 };
        let ip = C::new(0.0, 1.0).powu(p.phase as u32);
        let mut acc = C::new(0.0, 0.0);
        for (k, a) in ws.amps.iter().enumerate() {
            let k = k as u64;
            let z_sign = if (zmask & k).count_ones() % 2 == 1 {
                -1.0
            } else {
                1.0
            };
            acc += ws.amps[(k ^ xmask) as usize].conj() * a * z_sign;
        }
        sign * (acc * ip).re
    }

    /// Computes the noiseless detector and observable values from `trials` noiseless shots,
    /// and refuses detectors or observables whose value changes between them.
    pub(super) fn set_reference(
        &mut self,
        trials: usize,
        seed: u64,
        observable_lines: &[u32],
    ) -> Result<(), SimError> {
        self.expected_detectors.clear();
        self.expected_observables.clear();
        let mut ws = self.workspace();
        let mut first: Option<(Vec<bool>, Vec<bool>)> = None;
        for t in 0..trials {
            let mut rng = crate::sampler::batch_rng(seed, t as u64);
            self.run_shot(&mut ws, &mut rng, NoiseMode::Off, None);
            match &first {
                None => first = Some((ws.detectors.clone(), ws.observables.clone())),
                Some((d, o)) => {
                    if let Some(i) = (0..d.len()).find(|&i| d[i] != ws.detectors[i]) {
                        return Err(SimError::NonDeterministic {
                            what: format!("DETECTOR #{i} (counting from 0)"),
                            line: self.detector_lines[i],
                        });
                    }
                    if let Some(i) = (0..o.len()).find(|&i| o[i] != ws.observables[i]) {
                        return Err(SimError::NonDeterministic {
                            what: format!("OBSERVABLE_INCLUDE({i})"),
                            line: observable_lines.get(i).copied().unwrap_or(0),
                        });
                    }
                }
            }
        }
        let (d, o) = first.unwrap_or_default();
        self.expected_detectors = d;
        self.expected_observables = o;
        Ok(())
    }
}

/// The virtual image of a product of single-qubit Paulis under the tableau `img`.
pub(super) fn image_of(img: &[Pauli], words: usize, factors: &[(usize, Basis)]) -> Pauli {
    let mut p = Pauli::identity(words);
    for &(q, b) in factors {
        // Y = i X Z: the i is a scalar, so it goes straight into p's phase.
        let (x, z) = super::compile::basis_bits(b);
        if x && z {
            p.phase = (p.phase + 1) % 4;
        }
        if x {
            p.mul_assign(&img[2 * q]);
        }
        if z {
            p.mul_assign(&img[2 * q + 1]);
        }
    }
    p
}

fn apply_dense(amps: &mut [C], g: DenseGate) {
    match g {
        DenseGate::H(s) => {
            let b = 1usize << s;
            for i in 0..amps.len() {
                if i & b == 0 {
                    let (u, v) = (amps[i], amps[i | b]);
                    amps[i] = (u + v) * R2;
                    amps[i | b] = (u - v) * R2;
                }
            }
        }
        DenseGate::S(s) | DenseGate::SDag(s) => {
            let b = 1usize << s;
            let f = if matches!(g, DenseGate::S(_)) {
                C::new(0.0, 1.0)
            } else {
                C::new(0.0, -1.0)
            };
            for (i, a) in amps.iter_mut().enumerate() {
                if i & b != 0 {
                    *a *= f;
                }
            }
        }
        DenseGate::Cx(c, t) => {
            let (cb, tb) = (1usize << c, 1usize << t);
            for i in 0..amps.len() {
                if i & cb != 0 && i & tb == 0 {
                    amps.swap(i, i | tb);
                }
            }
        }
        DenseGate::Cz(a, b) => {
            let m = (1usize << a) | (1usize << b);
            for (i, v) in amps.iter_mut().enumerate() {
                if i & m == m {
                    *v = -*v;
                }
            }
        }
    }
}

/// amps <- exp(-i theta Q) amps with Q = i^phase X^x Z^z on the slots; (s, c) = (sin, cos) of
/// theta.
///
/// The hot loop of the engine. With j = i ^ x, (Q amps)[i] = i^phase (-1)^(z.j) amps[j], so
/// each pair (i, j) mixes with the coefficient k = -i sin(theta) i^phase, which is real or
/// imaginary, and the signs of the pair differ by the constant parity of z.x.
fn rotate_pauli(amps: &mut [C], x: u64, z: u64, phase: u8, s: f64, c: f64) {
    // -i s i^phase = s i^(phase + 3): a real multiple of 1 or of i.
    let turn = (phase + 3) % 4;
    let k = if turn >= 2 { -s } else { s };
    let (x, z, imaginary) = (x as usize, z as usize, !turn.is_multiple_of(2));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { rotate_pairs_avx2(amps, x, z, k, c, imaginary) };
        return;
    }
    if imaginary {
        rotate_pairs::<true>(amps, x, z, k, c)
    } else {
        rotate_pairs::<false>(amps, x, z, k, c)
    }
}

/// [`rotate_pairs`] compiled for AVX2 and FMA (the same code; wider registers).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn rotate_pairs_avx2(amps: &mut [C], x: usize, z: usize, k: f64, c: f64, imaginary: bool) {
    if imaginary {
        rotate_pairs::<true>(amps, x, z, k, c)
    } else {
        rotate_pairs::<false>(amps, x, z, k, c)
    }
}

/// [`rotate_pauli`] with the coefficient k (times i when `IMAGINARY`).
#[inline(always)]
fn rotate_pairs<const IMAGINARY: bool>(amps: &mut [C], x: usize, z: usize, k: f64, c: f64) {
    // k times a, and -k times a.
    let times = |k: f64, a: C| {
        if IMAGINARY {
            C::new(-k * a.im, k * a.re)
        } else {
            C::new(k * a.re, k * a.im)
        }
    };
    let odd = |i: usize| (z & i).count_ones() & 1 == 1;
    if x == 0 {
        for (i, a) in amps.iter_mut().enumerate() {
            let k = if odd(i) { -k } else { k };
            *a = *a * c + times(k, *a);
        }
        return;
    }
    let top = 1usize << (usize::BITS - 1 - x.leading_zeros());
    let flip = odd(x);
    let len = amps.len();
    for base in (0..len).step_by(2 * top) {
        for i in base..base + top {
            let j = i ^ x;
            let (a, b) = (amps[i], amps[j]);
            let si = odd(i);
            let ki = if si { -k } else { k };
            let kj = if si ^ flip { -k } else { k };
            amps[i] = a * c + times(kj, b);
            amps[j] = b * c + times(ki, a);
        }
    }
}

/// Samples a Z measurement of `slot`, projects onto the outcome and removes the slot.
fn measure_slot(amps: &mut Vec<C>, slot: usize, rng: &mut impl RngCore) -> bool {
    let b = 1usize << slot;
    // One pass; each sum still adds its terms in index order.
    let (mut p0, mut p1) = (0.0f64, 0.0f64);
    for (i, a) in amps.iter().enumerate() {
        if i & b == 0 {
            p0 += a.norm_sqr();
        } else {
            p1 += a.norm_sqr();
        }
    }
    let m = uniform_open0(rng) * (p0 + p1) > p0;
    let norm = 1.0 / if m { p1 } else { p0 }.sqrt();
    let keep = if m { b } else { 0 };
    let half = amps.len() / 2;
    let low = b - 1;
    for i in 0..half {
        let src = (i & low) | ((i & !low) << 1) | keep;
        amps[i] = amps[src] * norm;
    }
    amps.truncate(half);
    m
}
