//! A compiled exact program and its per-shot executor.
//!
//! A shot's state is U P (phi (x) |0...0>): the Clifford U is fixed at compile time (it lives
//! in the compiler's tableau and is gone by now), P is the shot's Pauli frame over virtual
//! qubits, and phi is a dense vector over the active virtual qubits. Every [`Op`] touches only
//! the frame, the dense vector and the measurement record.

use super::packed::Packed;
use super::pauli::{and_parity, bit, FrameBits, Pauli, VGate};
use super::steps::{Gate, Step, Steps, Then, NONE};
use super::trajectory::{slot_weights, Trajectories, MIN_CACHED_WORK, TRAJECTORY_BUDGET};
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
    /// Every noise generator's flips of signs, detectors and observables, for the shots
    /// whose faults flip no sign ([`super::linear::NoiseEffects`]; `None`: not built).
    pub(super) effects: Option<std::sync::Arc<super::linear::NoiseEffects>>,
    /// The tableau at the end of the circuit, for end-of-shot expectation values.
    pub(super) final_images: Vec<Pauli>,
    pub(super) final_slots: Vec<usize>,
    /// The Bernoulli trial of each noise class, and its number of trials.
    pub(super) noise_classes: Vec<(Bernoulli, u64)>,
    /// (site, first group, groups, operation) of every noisy operation, sorted.
    pub(super) site_table: Vec<(u32, u32, u32, u32)>,
    /// The per-shot form of `ops`: compact steps, the channels a shot visits only where they
    /// hit, and where each noise class's hits happen.
    pub(super) steps: Steps,
    /// A number no other compiled program has (clones share it: they are the same program).
    pub(super) id: u64,
    /// Amplitudes a noiseless shot touches ([`super::compile::dense_work`]).
    pub(super) dense_work: u128,
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
    pub(super) amps: Vec<C>,
    pub(super) frame: FrameBits,
    /// Recorded measurement bits, one byte each.
    pub record: Vec<bool>,
    /// Detection events (flips of the noiseless detector values).
    pub detectors: Vec<bool>,
    /// Observable flips.
    pub observables: Vec<bool>,
    pub(super) hits: Hits,
    /// The dense vector's trajectories met so far (memoisation; see [`Trajectories`]).
    pub(super) trajectories: Trajectories,
    /// Scratch of the bit-packed executor ([`super::packed`]).
    pub(super) packed: Box<Packed>,
    /// Dense outcomes chosen instead of drawn ([`ExactProgram::branches`]); None: drawn.
    pub(super) script: Option<super::branches::OutcomeScript>,
}

impl Workspace {
    /// Sets the byte budget of the trajectory cache (0: no cache) and empties it. Shots are the
    /// same with any budget; only their speed changes. [`ExactProgram::workspace`] chooses it.
    pub fn set_trajectory_budget(&mut self, bytes: usize) {
        self.trajectories = Trajectories::new(self.trajectories.program(), bytes);
    }

    /// The byte budget of the trajectory cache (0: none).
    pub fn trajectory_budget(&self) -> usize {
        self.trajectories.budget()
    }

    /// Nodes the trajectory cache holds (0 without a cache; 1, the root, before any is stored).
    pub fn trajectory_nodes(&self) -> usize {
        self.trajectories.nodes()
    }

    /// The dense vector (over the active qubits, in slot order) that a completed shot left: the
    /// state the end-of-shot expectations read.
    pub fn dense_state(&self) -> &[C] {
        &self.amps
    }
}

/// Per noise class: the trial number of its next hit, the operation where it happens
/// (u32::MAX: none) and the channel it hits (NONE for a measurement flip).
#[derive(Clone, Debug)]
pub(super) struct Hits {
    pub trial: Vec<u64>,
    pub op: Vec<u32>,
    pub channel: Vec<u32>,
}

impl Hits {
    /// The noise class whose next hit comes first, and the operation it hits (u32::MAX: none).
    #[inline(always)]
    pub fn next(&self) -> (usize, u32) {
        self.op
            .iter()
            .copied()
            .enumerate()
            .min_by_key(|&(_, op)| op)
            .unwrap_or((0, u32::MAX))
    }

    /// Sets class `class`'s next hit to trial `trial`.
    #[inline(always)]
    pub fn set(&mut self, steps: &Steps, class: usize, trial: u64) {
        self.trial[class] = trial;
        (self.op[class], self.channel[class]) = steps.classes[class].hit(trial);
    }
}

/// A product of Paulis pulled back through the whole circuit ([`ExactProgram::final_observable`]):
/// its virtual image, whether that has X or Y on a dormant qubit (expectation 0), and its x and z
/// masks on the dense vector's slots.
#[derive(Clone, Debug)]
pub struct FinalObservable {
    image: Pauli,
    dormant_x: bool,
    xmask: u64,
    zmask: u64,
}

impl FinalObservable {
    /// The Pauli whose anticommutation with the final frame gives the sign of this
    /// observable's expectation (x words then z words); all zero when the expectation is 0
    /// whatever the frame (X or Y on a dormant qubit).
    pub fn frame_test(&self) -> Vec<u64> {
        let mut p = self.image.x.clone();
        p.extend_from_slice(&self.image.z);
        if self.dormant_x {
            p.fill(0);
        }
        p
    }
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

const R2: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// A uniform random bit.
#[inline]
fn coin(rng: &mut impl RngCore) -> bool {
    rng.next_u64() >> 63 == 1
}

/// Frame words per Pauli half: the constant `W`, or `words` when `W` is 0 (any size).
#[inline(always)]
fn frame_words<const W: usize>(words: usize) -> usize {
    if W == 0 {
        words
    } else {
        W
    }
}

/// Bit `q` of the frame's x (`half` 0) or z (`half` 1) words.
#[inline(always)]
fn frame_bit(f: &[u64], w: usize, half: usize, q: u32) -> bool {
    f[half * w + q as usize / 64] >> (q % 64) & 1 == 1
}

/// Clears the frame's Z on `q`, a dormant qubit about to be activated. Z on a qubit in |0> is
/// a phase (and Y is i X), so the bit is a gauge: cleared, the activation takes the compiled
/// sign in every shot instead of a sign that differs between shots representing the same state
/// (docs/exact-engine.md, "Instructions").
#[inline(always)]
fn clear_dormant_z(f: &mut [u64], w: usize, q: u32) {
    f[w + q as usize / 64] &= !(1 << (q % 64));
}

#[inline(always)]
fn frame_flip(f: &mut [u64], w: usize, half: usize, q: u32) {
    f[half * w + q as usize / 64] ^= 1 << (q % 64);
}

/// frame <- frame * P for the Pauli bits `p` (x words then z words).
#[inline(always)]
fn frame_xor(f: &mut [u64], p: &[u64], w: usize) {
    for (a, b) in f[..2 * w].iter_mut().zip(&p[..2 * w]) {
        *a ^= b;
    }
}

/// Whether the frame anticommutes with the Pauli bits `p`: one popcount for all words.
#[inline(always)]
fn frame_anticommutes(f: &[u64], p: &[u64], w: usize) -> bool {
    let mut acc = 0u64;
    for k in 0..w {
        acc ^= (f[k] & p[w + k]) ^ (f[w + k] & p[k]);
    }
    acc.count_ones() & 1 == 1
}

/// XORs into the frame the image of Pauli `outcome` (bit pairs X, Z per qubit, as
/// [`PauliChannel`] packs them) on target `t` of a channel with these `images`.
#[inline(always)]
fn frame_fault(f: &mut [u64], images: &[u64], w: usize, arity: usize, t: usize, outcome: u8) {
    let stride = 2 * w;
    let base = t * 2 * arity * stride;
    for g in 0..2 * arity {
        if outcome >> g & 1 == 1 {
            frame_xor(f, &images[base + g * stride..], w);
        }
    }
}

/// The frame's half of a virtual Clifford (bits only; see [`FrameBits::conjugate`]).
#[inline(always)]
fn frame_gate(f: &mut [u64], w: usize, gate: Gate, q: [u32; 2]) {
    let [a, b] = q;
    match gate {
        Gate::H => {
            let (x, z) = (frame_bit(f, w, 0, a), frame_bit(f, w, 1, a));
            if x != z {
                frame_flip(f, w, 0, a);
                frame_flip(f, w, 1, a);
            }
        }
        Gate::S | Gate::SDag => {
            if frame_bit(f, w, 0, a) {
                frame_flip(f, w, 1, a);
            }
        }
        Gate::Cx => {
            if frame_bit(f, w, 0, a) {
                frame_flip(f, w, 0, b);
            }
            if frame_bit(f, w, 1, b) {
                frame_flip(f, w, 1, a);
            }
        }
        Gate::Cz => {
            let (xa, xb) = (frame_bit(f, w, 0, a), frame_bit(f, w, 0, b));
            if xa {
                frame_flip(f, w, 1, b);
            }
            if xb {
                frame_flip(f, w, 1, a);
            }
        }
    }
}

/// exp(-i angle X_q) on a dormant qubit q (`sin_cos` of the angle), which joins the dense
/// vector as its new highest slot. Its sign is the compiled one in every shot: the frame's Z
/// on q is a gauge that the executors clear first (docs/exact-engine.md, "Instructions").
#[inline(always)]
pub(super) fn activate(amps: &mut Vec<C>, sin_cos: (f64, f64)) {
    let (s, c) = sin_cos;
    let len = amps.len();
    amps.extend_from_within(..);
    let (low, high) = amps.split_at_mut(len);
    let c1 = C::new(0.0, -s);
    for (a, b) in low.iter_mut().zip(high.iter_mut()) {
        *b *= c1;
        *a *= c;
    }
}

/// A [`Step::MeasureRandom`]: X on its dormant qubit q is a fair coin r, then H keeps q dormant
/// and X^r goes into the frame; the frame's Z on q flips the outcome. Returns the outcome and
/// the measurement's (invert, record, flip, reset, then), as the shot loop reads them.
#[inline(always)]
fn measure_random(
    step: Step,
    f: &mut [u64],
    w: usize,
    rng: &mut impl RngCore,
) -> (bool, bool, u32, u32, u32, u32) {
    let Step::MeasureRandom {
        qubit: q,
        negative,
        invert,
        record,
        flip,
        reset,
        then,
    } = step
    else {
        unreachable!("not a random measurement")
    };
    let z = frame_bit(f, w, 1, q);
    let r = coin(rng);
    frame_gate(f, w, Gate::H, [q, q]);
    if r {
        frame_flip(f, w, 0, q);
    }
    (r ^ z ^ negative, invert, record, flip, reset, then)
}

/// The frame step of a [`FrameReduction`], with its masks from the pool (`cx` words then `cz`
/// words).
#[inline(always)]
fn frame_reduce(f: &mut [u64], w: usize, j: u32, masks: &[u64], sdag: bool) {
    let xj = frame_bit(f, w, 0, j);
    let (cx, cz) = (&masks[..w], &masks[w..2 * w]);
    let (x, z) = f[..2 * w].split_at_mut(w);
    let mut acc = 0u64;
    for k in 0..w {
        acc ^= z[k] & cx[k];
    }
    let on = 0u64.wrapping_sub(u64::from(xj));
    for k in 0..w {
        x[k] ^= cx[k] & on;
        z[k] ^= cz[k] & on;
    }
    for k in 0..w {
        acc ^= x[k] & cz[k];
    }
    let zj = (acc.count_ones() & 1 == 1) ^ (xj && sdag);
    if zj {
        frame_flip(f, w, 1, j);
    }
}

impl ExactProgram {
    /// Scratch for shots of this program.
    pub fn workspace(&self) -> Workspace {
        let classes = self.noise_classes.len();
        Workspace {
            amps: Vec::with_capacity(1 << self.max_active),
            frame: FrameBits::new(self.words),
            record: vec![false; self.num_measurements],
            detectors: vec![false; self.num_detectors],
            observables: vec![false; self.num_observables],
            hits: Hits {
                trial: vec![0; classes],
                op: vec![u32::MAX; classes],
                channel: vec![NONE; classes],
            },
            trajectories: Trajectories::new(self.id, self.trajectory_budget()),
            packed: Box::default(),
            script: None,
        }
    }

    /// The trajectory cache's budget for this program: [`TRAJECTORY_BUDGET`] when a noiseless
    /// shot's dense work reaches [`MIN_CACHED_WORK`], else none.
    pub(super) fn trajectory_budget(&self) -> usize {
        if self.dense_work >= MIN_CACHED_WORK {
            TRAJECTORY_BUDGET
        } else {
            0
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
        #[cfg(target_arch = "x86_64")]
        if crate::bits::Isa::has_avx2_fma_popcnt() {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { self.run_shot_avx2(ws, rng, noise, postselect) };
        }
        self.shot::<0, false>(ws, rng, noise, postselect)
    }

    /// [`Self::shot`] compiled for AVX2, FMA and POPCNT (the same code, the same results: no
    /// floating-point contraction), specialised for one and two frame words.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,popcnt")]
    fn run_shot_avx2(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        noise: NoiseMode,
        postselect: Option<&[bool]>,
    ) -> ShotEnd {
        match self.words {
            1 => self.shot::<1, true>(ws, rng, noise, postselect),
            2 => self.shot::<2, true>(ws, rng, noise, postselect),
            _ => self.shot::<0, true>(ws, rng, noise, postselect),
        }
    }

    /// One shot with `W` frame words per half (0: `self.words`); `AVX`: inside
    /// [`Self::run_shot_avx2`], where the rotation kernel is called without a CPU check.
    #[inline(always)]
    fn shot<const W: usize, const AVX: bool>(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        noise: NoiseMode,
        postselect: Option<&[bool]>,
    ) -> ShotEnd {
        let w = frame_words::<W>(self.words);
        let st = &self.steps;
        let pool = &st.pool[..];
        let mut fixed: &[Injection] = match noise {
            NoiseMode::Fixed(list) => list,
            _ => &[],
        };
        let Workspace {
            amps,
            frame,
            record,
            detectors,
            observables,
            hits,
            trajectories: traj,
            packed: _,
            script,
        } = ws;
        let f = &mut frame.bits[..2 * w];
        f.fill(0);
        amps.clear();
        amps.push(C::new(1.0, 0.0));
        if traj.program() != self.id {
            *traj = Trajectories::new(self.id, self.trajectory_budget());
        }
        let mut cur = traj.begin();
        let replay = |at: u32, key: usize, amps: &mut Vec<C>| self.dense_step::<AVX>(at, key, amps);
        // The index of the step `list` gave last.
        let index = |list: &std::slice::Iter<(u32, Step)>| (st.steps.len() - list.len() - 1) as u32;
        observables.fill(false);
        let mut chain_fired = false;
        let noisy = noise == NoiseMode::Sample;
        for c in 0..self.noise_classes.len() {
            let trial = if noisy {
                self.noise_classes[c].0.gap(rng)
            } else {
                u64::MAX
            };
            hits.set(st, c, trial);
        }
        // The earliest operation where a channel hits.
        let mut pending = hits.next().1;
        let mut list = st.steps.iter();
        while let Some(&(at, step)) = list.next() {
            // Channels are visited only where they hit, or where a fault is placed (their frame
            // flips all commute, so only their place among the other operations matters).
            if pending < at {
                pending = self.channel_hits(f, w, hits, rng, at);
            }
            // The faults placed at this operation, in Fixed mode.
            let mut placed: &[Injection] = &[];
            if !fixed.is_empty() {
                while let Some(inj) = fixed.first().filter(|inj| inj.op < at) {
                    self.place(f, w, inj);
                    fixed = &fixed[1..];
                }
                let here = fixed.partition_point(|inj| inj.op <= at);
                (placed, fixed) = fixed.split_at(here);
            }
            // A measurement's outcome (before the record's flip and `!`), its shared fields and
            // the detector fused into it.
            let (m, invert, rec, flip, reset, then) = match step {
                Step::Reduce {
                    qubit,
                    masks,
                    sdag,
                    then,
                } => {
                    frame_reduce(f, w, qubit, &pool[masks as usize..], sdag);
                    // The step after it, run in this dispatch (see `Steps::pair`).
                    match then {
                        Then::Nothing => continue,
                        Then::Activate => {
                            let Some(&(_, Step::Activate { qubit, angle })) = list.next() else {
                                unreachable!("a reduction paired with an activation")
                            };
                            clear_dormant_z(f, w, qubit);
                            let sin_cos = st.angles[angle as usize];
                            let at = index(&list);
                            let compute = |amps: &mut Vec<C>| activate(amps, sin_cos);
                            traj.step(&mut cur, at, 0, amps, compute, &replay);
                            continue;
                        }
                        Then::MeasureRandom => {
                            let Some(&(_, next)) = list.next() else {
                                unreachable!("a reduction paired with a random measurement")
                            };
                            measure_random(next, f, w, rng)
                        }
                    }
                }
                Step::Dense { gate, q, s } => {
                    frame_gate(f, w, gate, q);
                    let compute = |amps: &mut Vec<C>| apply_dense(amps, gate, s);
                    traj.step(&mut cur, index(&list), 0, amps, compute, &replay);
                    continue;
                }
                Step::Activate { qubit, angle } => {
                    clear_dormant_z(f, w, qubit);
                    let sin_cos = st.angles[angle as usize];
                    let compute = |amps: &mut Vec<C>| activate(amps, sin_cos);
                    let at = index(&list);
                    traj.step(&mut cur, at, 0, amps, compute, &replay);
                    continue;
                }
                Step::Rotate {
                    masks,
                    test,
                    angle,
                    phase,
                } => {
                    let flip = frame_anticommutes(f, &pool[test as usize..], w);
                    let sin_cos = st.angles[angle as usize];
                    let compute = |amps: &mut Vec<C>| {
                        rotate_step::<AVX>(amps, pool, masks, phase, sin_cos, flip)
                    };
                    let at = index(&list);
                    traj.step(&mut cur, at, usize::from(flip), amps, compute, &replay);
                    continue;
                }
                Step::RotatePair {
                    masks,
                    tests,
                    second,
                    angle,
                    phase,
                } => {
                    let flip1 = frame_anticommutes(f, &pool[tests[0] as usize..], w);
                    // What lies between the two: channel hits and placed faults.
                    if pending < second {
                        pending = self.channel_hits(f, w, hits, rng, second);
                    }
                    while let Some(inj) = fixed.first().filter(|inj| inj.op < second) {
                        self.place(f, w, inj);
                        fixed = &fixed[1..];
                    }
                    let flip2 = frame_anticommutes(f, &pool[tests[1] as usize..], w);
                    // theta1 + theta2 when both or neither flip, else theta1 - theta2; the
                    // first's flip flips the sum.
                    let key = usize::from(flip1) | usize::from(flip1 != flip2) << 1;
                    let sin_cos = st.angles[angle as usize + (key >> 1)];
                    let compute = |amps: &mut Vec<C>| {
                        rotate_step::<AVX>(amps, pool, masks, phase, sin_cos, flip1)
                    };
                    traj.step(&mut cur, index(&list), key, amps, compute, &replay);
                    continue;
                }
                Step::MeasureFixed {
                    test,
                    negative,
                    invert,
                    record,
                    flip,
                    reset,
                    then,
                } => {
                    let m = negative ^ frame_anticommutes(f, &pool[test as usize..], w);
                    (m, invert, record, flip, reset, then)
                }
                Step::MeasureRandom { .. } => measure_random(step, f, w, rng),
                Step::MeasureDense {
                    qubit,
                    test,
                    slot,
                    negative,
                    invert,
                    record,
                    flip,
                    reset,
                } => {
                    let anti = frame_anticommutes(f, &pool[test as usize..], w);
                    let slot = slot as usize;
                    let weights = traj.weights(&mut cur, amps, slot, &replay);
                    let m = match script {
                        None => draw_outcome(weights, rng),
                        Some(script) => script.choose(weights),
                    };
                    let compute = |amps: &mut Vec<C>| project(amps, slot, m, weights);
                    let at = index(&list);
                    traj.step(&mut cur, at, usize::from(m), amps, compute, &replay);
                    if m {
                        frame_flip(f, w, 0, qubit);
                    }
                    (m ^ anti ^ negative, invert, record, flip, reset, NONE)
                }
                Step::FrameIfRecord { first, len } => {
                    for &(r, bits) in &st.feedback[first as usize..][..len as usize] {
                        if record[r as usize] {
                            frame_xor(f, &pool[bits as usize..], w);
                        }
                    }
                    continue;
                }
                Step::Correlated {
                    p,
                    bits,
                    else_branch,
                } => {
                    let bits = &pool[bits as usize..];
                    if !placed.is_empty() {
                        frame_xor(f, bits, w);
                    }
                    if !else_branch {
                        chain_fired = false;
                    }
                    if noisy
                        && !chain_fired
                        && uniform_open0(rng) <= f64::from_bits(pool[p as usize])
                    {
                        chain_fired = true;
                        frame_xor(f, bits, w);
                    }
                    continue;
                }
                Step::Detector { index, first, len } => {
                    if self.detector(record, detectors, postselect, index, first, len) {
                        return ShotEnd::Discarded { detector: index };
                    }
                    continue;
                }
                Step::Observable { index, first, len } => {
                    let list = &st.lists[first as usize..][..len as usize];
                    observables[index as usize] ^=
                        list.iter().fold(false, |acc, &r| acc ^ record[r as usize]);
                    continue;
                }
            };
            if m && reset != NONE {
                frame_xor(f, &pool[reset as usize..], w);
            }
            if rec != NONE {
                let mut flipped = !placed.is_empty();
                if flip != NONE {
                    let (class, trial) = st.flips[flip as usize];
                    let c = class as usize;
                    if hits.trial[c] == trial {
                        flipped = true;
                        self.advance(hits, rng, c);
                        pending = hits.next().1;
                    }
                }
                record[rec as usize] = m ^ flipped ^ invert;
            }
            if then != NONE {
                let (index, first, len) = st.fused[then as usize];
                if self.detector(record, detectors, postselect, index, first, len) {
                    return ShotEnd::Discarded { detector: index };
                }
            }
        }
        // The final vector, for end-of-shot expectations.
        traj.finish(&mut cur, amps, &replay);
        // Hits after the last other operation still move the frame (end-of-shot expectations).
        self.channel_hits(f, w, hits, rng, u32::MAX);
        for inj in fixed {
            self.place(f, w, inj);
        }
        for (o, e) in observables.iter_mut().zip(&self.expected_observables) {
            *o ^= e;
        }
        ShotEnd::Completed
    }

    /// Applies the dense step at index `at` of the step list to `amps`, with decision `key`
    /// (as [`Self::shot`] reads it: 0 for an activation, the frame's flip of a rotation, the
    /// two bits flip1 and flip1 != flip2 of a pair of rotations, a dense measurement's
    /// outcome), exactly as the shot computes it; the trajectory cache rebuilds vectors with it.
    #[inline(always)]
    pub(super) fn dense_step<const AVX: bool>(&self, at: u32, key: usize, amps: &mut Vec<C>) {
        let st = &self.steps;
        match st.steps[at as usize].1 {
            Step::Activate { angle, .. } => {
                debug_assert_eq!(key, 0, "an activation takes no decision");
                activate(amps, st.angles[angle as usize])
            }
            Step::Dense { gate, s, .. } => apply_dense(amps, gate, s),
            Step::Rotate {
                masks,
                angle,
                phase,
                ..
            } => {
                let sin_cos = st.angles[angle as usize];
                rotate_step::<AVX>(amps, &st.pool, masks, phase, sin_cos, key == 1)
            }
            Step::RotatePair {
                masks,
                angle,
                phase,
                ..
            } => {
                let sin_cos = st.angles[angle as usize + (key >> 1)];
                rotate_step::<AVX>(amps, &st.pool, masks, phase, sin_cos, key & 1 == 1)
            }
            Step::MeasureDense { slot, .. } => {
                let slot = slot as usize;
                let weights = slot_weights(amps, slot);
                project(amps, slot, key == 1, weights)
            }
            _ => unreachable!("not a dense step"),
        }
    }

    /// Sets detector `index` (records `lists[first..first + len]`); true if it fired and is
    /// postselected (the shot stops).
    #[inline(always)]
    fn detector(
        &self,
        record: &[bool],
        detectors: &mut [bool],
        postselect: Option<&[bool]>,
        index: u32,
        first: u32,
        len: u32,
    ) -> bool {
        let i = index as usize;
        let list = &self.steps.lists[first as usize..][..len as usize];
        let event = list.iter().fold(false, |acc, &r| acc ^ record[r as usize])
            ^ self.expected_detectors.get(i).copied().unwrap_or(false);
        detectors[i] = event;
        event && postselect.is_some_and(|mask| mask[i])
    }

    /// Draws the next hit of noise class `class` after the current one.
    #[inline(always)]
    fn advance(&self, hits: &mut Hits, rng: &mut impl RngCore, class: usize) {
        let gap = self.noise_classes[class].0.gap(rng);
        let next = hits.trial[class].saturating_add(1).saturating_add(gap);
        hits.set(&self.steps, class, next);
    }

    /// Applies every channel hit at an operation before `limit`, in operation order; returns the
    /// operation of the next hit.
    #[inline(always)]
    fn channel_hits(
        &self,
        f: &mut [u64],
        w: usize,
        hits: &mut Hits,
        rng: &mut impl RngCore,
        limit: u32,
    ) -> u32 {
        loop {
            let (c, at) = hits.next();
            if at >= limit || at == u32::MAX {
                return at;
            }
            let ch = &self.steps.channels[hits.channel[c] as usize];
            let t = (hits.trial[c] - ch.first) as usize;
            let outcome = ch.channel.pick(rng);
            let images = &self.steps.pool[ch.images as usize..];
            frame_fault(f, images, w, ch.arity as usize, t, outcome);
            self.advance(hits, rng, c);
        }
    }

    /// Applies a fault placed on a channel.
    fn place(&self, f: &mut [u64], w: usize, inj: &Injection) {
        if let Op::Noise { arity, images, .. } = &self.ops[inj.op as usize] {
            frame_fault(f, images, w, *arity, inj.target as usize, inj.outcome);
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

    /// A number that tells this program (and its clones) apart from every other compiled in
    /// this process, e.g. to cache what depends only on the program.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The expectation value, in the state a completed shot left in `ws`, of the Hermitian
    /// product of single-qubit Paulis `factors` (qubit, basis) taken in order.
    pub fn expectation(&self, ws: &Workspace, factors: &[(usize, Basis)]) -> f64 {
        self.expectation_of(ws, &self.final_observable(factors))
    }

    /// The Hermitian product of single-qubit Paulis `factors` (qubit, basis), taken in order, as
    /// seen at the end of every shot: its image under the final tableau, computed once.
    pub fn final_observable(&self, factors: &[(usize, Basis)]) -> FinalObservable {
        let image = image_of(&self.final_images, self.words, factors);
        let dormant_x =
            (0..self.num_qubits).any(|q| !self.final_slots.contains(&q) && bit(&image.x, q));
        let (mut xmask, mut zmask) = (0u64, 0u64);
        for (s, &q) in self.final_slots.iter().enumerate() {
            let (x, z) = image.get(q);
            xmask |= u64::from(x) << s;
            zmask |= u64::from(z) << s;
        }
        FinalObservable {
            image,
            dormant_x,
            xmask,
            zmask,
        }
    }

    /// [`Self::expectation`] of an observable prepared by [`Self::final_observable`].
    pub fn expectation_of(&self, ws: &Workspace, o: &FinalObservable) -> f64 {
        if o.dormant_x {
            return 0.0;
        }
        let p = &o.image;
        let (xmask, zmask) = (o.xmask, o.zmask);
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

/// A Clifford on slots `s` of the dense vector, in blocks of the index bits below and above
/// the slots (no test per amplitude).
#[inline(always)]
pub(super) fn apply_dense(amps: &mut [C], gate: Gate, s: [u8; 2]) {
    let len = amps.len();
    let b = 1usize << s[0];
    match gate {
        Gate::H => {
            for base in (0..len).step_by(2 * b) {
                let (lo, hi) = amps[base..base + 2 * b].split_at_mut(b);
                for (u, v) in lo.iter_mut().zip(hi.iter_mut()) {
                    let (x, y) = (*u, *v);
                    *u = (x + y) * R2;
                    *v = (x - y) * R2;
                }
            }
        }
        Gate::S | Gate::SDag => {
            let f = if gate == Gate::S {
                C::new(0.0, 1.0)
            } else {
                C::new(0.0, -1.0)
            };
            for base in (b..len).step_by(2 * b) {
                for a in &mut amps[base..base + b] {
                    *a *= f;
                }
            }
        }
        // Both visit the indices with both bits set only: i <- (i + 1) | m steps through the
        // supersets of m in increasing order.
        Gate::Cx => {
            let tb = 1usize << s[1];
            let m = b | tb;
            let mut i = m;
            while i < len {
                amps.swap(i ^ tb, i);
                i = (i + 1) | m;
            }
        }
        Gate::Cz => {
            let m = b | (1usize << s[1]);
            let mut i = m;
            while i < len {
                amps[i] = -amps[i];
                i = (i + 1) | m;
            }
        }
    }
}

/// A rotation step: exp(-i theta Q) with Q's x and z slot masks at `masks` in the pool,
/// `sin_cos` of theta, whose sign the frame flips when `flip`; no pass when sin is 0 (the
/// identity).
#[inline(always)]
pub(super) fn rotate_step<const AVX: bool>(
    amps: &mut [C],
    pool: &[u64],
    masks: u32,
    phase: u8,
    sin_cos: (f64, f64),
    flip: bool,
) {
    let (s, c) = sin_cos;
    if s != 0.0 {
        let s = if flip { -s } else { s };
        let (x, z) = (pool[masks as usize], pool[masks as usize + 1]);
        rotate_pauli::<AVX>(amps, x, z, phase, s, c);
    }
}

/// amps <- exp(-i theta Q) amps with Q = i^phase X^x Z^z on the slots; (s, c) = (sin, cos) of
/// theta.
///
/// The hot loop of the engine. With j = i ^ x, (Q amps)[i] = i^phase (-1)^(z.j) amps[j], so
/// each pair (i, j) mixes with the coefficient k = -i sin(theta) i^phase, which is real or
/// imaginary, and the signs of the pair differ by the constant parity of z.x.
///
/// `AVX`: the caller runs with AVX2, FMA and POPCNT enabled (see [`ExactProgram::run_shot`]),
/// so the AVX2 kernel is inlined into it.
#[inline(always)]
fn rotate_pauli<const AVX: bool>(amps: &mut [C], x: u64, z: u64, phase: u8, s: f64, c: f64) {
    // -i s i^phase = s i^(phase + 3): a real multiple of 1 or of i.
    let turn = (phase + 3) % 4;
    let k = if turn >= 2 { -s } else { s };
    let (x, z, imaginary) = (x as usize, z as usize, !turn.is_multiple_of(2));
    #[cfg(target_arch = "x86_64")]
    if AVX {
        // SAFETY: AVX is only set inside run_shot_avx2, which runs on CPUs with these features.
        unsafe { rotate_pairs_avx2(amps, x, z, k, c, imaginary) };
        return;
    }
    rotate_pairs_either(amps, x, z, k, c, imaginary)
}

/// [`rotate_pairs`] with its real-or-imaginary coefficient chosen at run time.
#[inline(always)]
fn rotate_pairs_either(amps: &mut [C], x: usize, z: usize, k: f64, c: f64, imaginary: bool) {
    if imaginary {
        rotate_pairs::<true>(amps, x, z, k, c)
    } else {
        rotate_pairs::<false>(amps, x, z, k, c)
    }
}

/// [`rotate_pairs`] compiled for AVX2, FMA and POPCNT; two pairs per step where the lowest
/// index bit is free ([`rotate_pairs_wide`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,popcnt")]
#[inline]
fn rotate_pairs_avx2(amps: &mut [C], x: usize, z: usize, k: f64, c: f64, imaginary: bool) {
    if amps.len() >= 4 && x != 1 {
        rotate_pairs_wide(amps, x, z, k, c, imaginary);
    } else {
        rotate_pairs_either(amps, x, z, k, c, imaginary)
    }
}

/// [`rotate_pairs`] on two neighbouring indices i, i + 1 (i even) at once, in 256-bit registers:
/// their partners i ^ x and (i + 1) ^ x are neighbours too (in reverse order when x is odd), and
/// the parity of z.(i + 1) is that of z.i flipped by bit 0 of z. Each lane computes what
/// [`rotate_pairs`] computes, operation for operation (a c + k b; the imaginary case's
/// a.re c + (-k) b.im as a.re c - k b.im, which is the same number), so results are identical.
/// Needs at least 4 amplitudes and x != 1 (else i + 1 is i's own partner).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,popcnt")]
#[inline]
fn rotate_pairs_wide(amps: &mut [C], x: usize, z: usize, k: f64, c: f64, imaginary: bool) {
    use std::arch::x86_64::*;
    let len = amps.len();
    assert!(len >= 4 && len.is_power_of_two() && x < len && x != 1);
    let ptr = amps.as_mut_ptr().cast::<f64>();
    let cv = _mm256_set1_pd(c);
    let kb = k.to_bits();
    let signed = |odd: u32| f64::from_bits(kb ^ (u64::from(odd & 1) << 63));
    let z1 = (z & 1) as u32;
    // a c + k b per lane, with k b times i when imaginary.
    let mix = |a: __m256d, b: __m256d, k: __m256d| {
        if imaginary {
            _mm256_addsub_pd(
                _mm256_mul_pd(a, cv),
                _mm256_mul_pd(k, _mm256_permute_pd(b, 0b0101)),
            )
        } else {
            _mm256_add_pd(_mm256_mul_pd(a, cv), _mm256_mul_pd(k, b))
        }
    };
    let ks = |odd: u32| {
        let (k0, k1) = (signed(odd), signed(odd ^ z1));
        _mm256_setr_pd(k0, k0, k1, k1)
    };
    if x == 0 {
        for i in (0..len).step_by(2) {
            // SAFETY: i + 1 < len (len is even).
            unsafe {
                let a = _mm256_loadu_pd(ptr.add(2 * i));
                _mm256_storeu_pd(ptr.add(2 * i), mix(a, a, ks((z & i).count_ones())));
            }
        }
        return;
    }
    let top = 1usize << (usize::BITS - 1 - x.leading_zeros());
    let flip = (z & x).count_ones();
    let odd_x = x & 1 == 1;
    for base in (0..len).step_by(2 * top) {
        for i in (base..base + top).step_by(2) {
            let j = i ^ x;
            let lo = j & !1;
            let si = (z & i).count_ones();
            // SAFETY: i + 1 and lo + 1 are below len (both even, len even), and the two pairs
            // are disjoint (i, i + 1 have bit `top` clear; lo, lo + 1 have it set).
            unsafe {
                let a = _mm256_loadu_pd(ptr.add(2 * i));
                let mut b = _mm256_loadu_pd(ptr.add(2 * lo));
                if odd_x {
                    b = _mm256_permute2f128_pd(b, b, 1);
                }
                let na = mix(a, b, ks(si ^ flip));
                let mut nb = mix(b, a, ks(si));
                if odd_x {
                    nb = _mm256_permute2f128_pd(nb, nb, 1);
                }
                _mm256_storeu_pd(ptr.add(2 * i), na);
                _mm256_storeu_pd(ptr.add(2 * lo), nb);
            }
        }
    }
}

/// [`rotate_pauli`] with the coefficient k (times i when `IMAGINARY`). The sign of k for index
/// i is set from the parity of z.i by flipping the sign bit, without a branch (the signs look
/// random to a branch predictor); the arithmetic is the same as with the branch.
#[inline(always)]
fn rotate_pairs<const IMAGINARY: bool>(amps: &mut [C], x: usize, z: usize, k: f64, c: f64) {
    // a c + k' b, with k' = k (times i when IMAGINARY).
    let mix = |a: C, b: C, k: f64| {
        if IMAGINARY {
            C::new(a.re * c + -k * b.im, a.im * c + k * b.re)
        } else {
            C::new(a.re * c + k * b.re, a.im * c + k * b.im)
        }
    };
    let kb = k.to_bits();
    let signed = |odd: usize| f64::from_bits(kb ^ ((odd as u64 & 1) << 63));
    let odd = |i: usize| (z & i).count_ones() as usize;
    if x == 0 {
        for (i, a) in amps.iter_mut().enumerate() {
            *a = mix(*a, *a, signed(odd(i)));
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
            amps[i] = mix(a, b, signed(si ^ flip));
            amps[j] = mix(b, a, signed(si));
        }
    }
}

/// The outcome of a Z measurement with outcome weights (p0, p1)
/// ([`super::trajectory::slot_weights`]): 1 with probability p1 / (p0 + p1), from one uniform
/// draw.
#[inline(always)]
fn draw_outcome([p0, p1]: [f64; 2], rng: &mut impl RngCore) -> bool {
    uniform_open0(rng) * (p0 + p1) > p0
}

/// Projects onto outcome `m` of a Z measurement of `slot` (outcome weights `weights`, as
/// [`super::trajectory::slot_weights`] gives them), normalises, and removes the slot.
#[inline(always)]
pub(super) fn project(amps: &mut Vec<C>, slot: usize, m: bool, [p0, p1]: [f64; 2]) {
    let b = 1usize << slot;
    let norm = 1.0 / if m { p1 } else { p0 }.sqrt();
    let keep = if m { b } else { 0 };
    let half = amps.len() / 2;
    let low = b - 1;
    for i in 0..half {
        let src = (i & low) | ((i & !low) << 1) | keep;
        amps[i] = amps[src] * norm;
    }
    amps.truncate(half);
}
