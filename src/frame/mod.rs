//! Bit-packed Pauli-frame batch sampler.
//!
//! Each shot carries a Pauli frame: the deviation of its noisy run from a noiseless reference
//! run (the convention of Stim, Gidney, Quantum 5, 497 (2021)). Frames of many shots are packed
//! bitwise (bit s of qubit q's row is shot s), so a gate on one qubit updates 64 shots per word.
//! A measurement records the frame's flip of its result; detectors and observables XOR recorded
//! flips, so a detection event is 1 exactly when the noisy parity differs from the noiseless one.
//!
//! Random measurement outcomes come from randomising the frame's component that commutes with
//! the measured or reset basis (it acts trivially on the state). Deterministic parities cannot
//! depend on those random bits, so detection sampling may switch randomisation off: its
//! detection events are exactly the same, and it saves the random words.

mod kernels;
pub mod noise;
mod program;
mod sweep_bits;

pub use program::{
    compile_noiseless, compile_noiseless_with, FrameProgram, Kernel1, Kernel2, NonClifford, Op,
};
pub use sweep_bits::SweepBits;

use crate::bits::{xor_into, BitTable};
use crate::gates::Basis;
use rand_core::RngCore;

/// What a batch produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Detection events and observable flips; frames are not randomised (see module docs).
    Detect,
    /// Every measurement's flip relative to the reference; frames are randomised so that
    /// non-deterministic measurements come out as fair coins.
    Measure,
}

/// Frames, measurement record and results of one batch of `64 * words` shots.
pub struct FrameSimulator {
    words: usize,
    x: BitTable,
    z: BitTable,
    /// Measurement flips: a ring of the last `window` results (Detect) or all of them (Measure).
    record: BitTable,
    measured: u64,
    /// Detector rows, then observable rows (Detect mode only).
    results: BitTable,
    num_detectors: usize,
    next_detector: usize,
    /// Per-shot "some error of this correlated chain fired" flags, and a scratch row.
    chain: Vec<u64>,
    scratch: Vec<u64>,
    /// This batch's sweep bits, one row per `sweep[k]` (all 0 unless loaded).
    sweep: BitTable,
    mode: Mode,
}

impl FrameSimulator {
    /// A simulator for `program`, `words` words (64 shots each) per row; `words` must be a
    /// power of two.
    pub fn new(program: &FrameProgram, words: usize, mode: Mode) -> FrameSimulator {
        assert!(
            words.is_power_of_two(),
            "batch width must be a power of two words"
        );
        let (record_rows, result_rows, num_detectors) = match mode {
            Mode::Detect => (
                program.window,
                program.num_detectors as usize + program.num_observables,
                program.num_detectors as usize,
            ),
            Mode::Measure => ((program.num_measurements as usize).max(1), 0, 0),
        };
        FrameSimulator {
            words,
            x: BitTable::new(program.num_qubits, words),
            z: BitTable::new(program.num_qubits, words),
            record: BitTable::new(record_rows, words),
            measured: 0,
            results: BitTable::new(result_rows, words),
            num_detectors,
            next_detector: 0,
            chain: vec![0; words],
            scratch: vec![0; words],
            sweep: BitTable::new(program.num_sweep_bits, words),
            mode,
        }
    }

    /// Shots per batch.
    pub fn shots(&self) -> usize {
        self.words * 64
    }

    /// Runs one batch from the all-|0> start. Afterwards, [`results`](Self::results) (Detect)
    /// or [`record`](Self::record) (Measure) hold the outcome.
    pub fn run(&mut self, program: &FrameProgram, rng: &mut impl RngCore) {
        self.start();
        if self.mode == Mode::Measure {
            for q in 0..self.z.rows() {
                fill_random(self.z.row_mut(q), rng);
            }
        }
        self.exec(&program.ops, rng);
    }

    /// Loads the sweep bits of the batch whose first shot is `64 * first_word`; they stay
    /// until the next load.
    pub fn load_sweep(&mut self, bits: &SweepBits, first_word: usize) {
        bits.copy_words(first_word, &mut self.sweep);
    }

    /// Resets to the all-|0> start (zero frames, empty record and results), running nothing.
    /// With [`exec`](Self::exec) and the `inject_*` methods this drives deterministic fault
    /// propagation, one fault per shot lane, as the error analysis does.
    pub fn start(&mut self) {
        self.x.clear();
        self.z.clear();
        self.measured = 0;
        self.next_detector = 0;
        self.results.clear();
        self.chain.fill(0);
    }

    /// XORs the Pauli with bits (x, z) on qubit `q` into the frame of shot `shot`.
    pub fn inject_pauli(&mut self, q: usize, shot: usize, x: bool, z: bool) {
        if x {
            self.x.flip(q, shot);
        }
        if z {
            self.z.flip(q, shot);
        }
    }

    /// Flips the recorded result `rec[-k]` (k >= 1) of shot `shot`: a measurement error.
    pub fn inject_record_flip(&mut self, k: u32, shot: usize) {
        let r = self.record_row(k);
        self.record.flip(r, shot);
    }

    /// Detector rows followed by observable rows, one bit per shot (Detect mode).
    pub fn results(&self) -> &BitTable {
        &self.results
    }

    /// Measurement flips in record order, one bit per shot (Measure mode).
    pub fn record(&self) -> &BitTable {
        &self.record
    }

    /// Applies `ops` to the current state (a whole program via [`run`](Self::run), or pieces of
    /// one between fault injections).
    pub fn exec(&mut self, ops: &[Op], rng: &mut impl RngCore) {
        for op in ops {
            match op {
                Op::Gate1(k, qubits) => kernels::gate1(&mut self.x, &mut self.z, *k, qubits),
                Op::Gate2(k, pairs) => kernels::gate2(&mut self.x, &mut self.z, *k, pairs),
                Op::Feedback(list) => {
                    for &(k, q, fx, fz) in list {
                        let r = self.record_row(k);
                        if fx {
                            xor_into(self.x.row_mut(q as usize), self.record.row(r));
                        }
                        if fz {
                            xor_into(self.z.row_mut(q as usize), self.record.row(r));
                        }
                    }
                }
                Op::SweepControlled(list) => {
                    for &(k, q, fx, fz) in list {
                        let row = self.sweep.row(k as usize);
                        if fx {
                            xor_into(self.x.row_mut(q as usize), row);
                        }
                        if fz {
                            xor_into(self.z.row_mut(q as usize), row);
                        }
                    }
                }
                Op::Measure {
                    basis,
                    reset,
                    flip,
                    qubits,
                } => self.measure(*basis, *reset, flip, qubits, rng),
                Op::MeasureProducts { flip, products } => {
                    self.measure_products(flip, products, rng)
                }
                Op::RotateProducts(products) => {
                    for factors in products {
                        self.anticommutation_into_scratch(factors);
                        self.xor_scratch_times(factors);
                    }
                }
                Op::Reset(basis, qubits) => {
                    for &q in qubits {
                        self.reset(*basis, q as usize, rng);
                    }
                }
                Op::Pad { flip, count } => {
                    let first = self.measured;
                    for _ in 0..*count {
                        let r = (self.measured % self.record.rows() as u64) as usize;
                        self.measured += 1;
                        self.record.row_mut(r).fill(0);
                    }
                    self.flip_results(first, *count, flip, rng);
                }
                Op::Herald(ch, qubits) => {
                    let first = self.measured;
                    for _ in qubits {
                        let r = (self.measured % self.record.rows() as u64) as usize;
                        self.measured += 1;
                        self.record.row_mut(r).fill(0);
                    }
                    let (shift, mask) = self.shot_bits();
                    let rows = self.record.rows() as u64;
                    let trials = (qubits.len() as u64) << shift;
                    ch.trial.for_each_hit(trials, rng, |i, rng| {
                        let k = i >> shift;
                        let q = qubits[k as usize] as usize;
                        let s = (i & mask) as usize;
                        self.record.flip(((first + k) % rows) as usize, s);
                        let bits = ch.pick(rng);
                        self.x.xor_bit(q, s, bits & 1 != 0);
                        self.z.xor_bit(q, s, bits & 2 != 0);
                    });
                }
                Op::Noise1(ch, qubits) => {
                    let (shift, mask) = self.shot_bits();
                    let trials = (qubits.len() as u64) << shift;
                    ch.trial.for_each_hit(trials, rng, |i, rng| {
                        let q = qubits[(i >> shift) as usize] as usize;
                        let s = (i & mask) as usize;
                        let bits = ch.pick(rng);
                        self.x.xor_bit(q, s, bits & 1 != 0);
                        self.z.xor_bit(q, s, bits & 2 != 0);
                    });
                }
                Op::Noise2(ch, pairs) => {
                    let (shift, mask) = self.shot_bits();
                    let trials = (pairs.len() as u64) << shift;
                    ch.trial.for_each_hit(trials, rng, |i, rng| {
                        let (a, b) = pairs[(i >> shift) as usize];
                        let s = (i & mask) as usize;
                        let bits = ch.pick(rng);
                        let (a, b) = (a as usize, b as usize);
                        self.x.xor_bit(a, s, bits & 1 != 0);
                        self.z.xor_bit(a, s, bits & 2 != 0);
                        self.x.xor_bit(b, s, bits & 4 != 0);
                        self.z.xor_bit(b, s, bits & 8 != 0);
                    });
                }
                Op::Correlated {
                    trial,
                    else_branch,
                    paulis,
                } => {
                    self.scratch.fill(0);
                    let scratch = &mut self.scratch;
                    trial.for_each_hit(self.words as u64 * 64, rng, |s, _| {
                        scratch[(s / 64) as usize] ^= 1 << (s % 64);
                    });
                    for (hit, fired) in self.scratch.iter_mut().zip(self.chain.iter_mut()) {
                        if *else_branch {
                            *hit &= !*fired;
                            *fired |= *hit;
                        } else {
                            *fired = *hit;
                        }
                    }
                    for &(q, px, pz) in paulis {
                        if px {
                            xor_into(self.x.row_mut(q as usize), &self.scratch);
                        }
                        if pz {
                            xor_into(self.z.row_mut(q as usize), &self.scratch);
                        }
                    }
                }
                Op::TwirledCh(pairs) => {
                    for &(c, t) in pairs {
                        self.twirl(t as usize, rng);
                        kernels::gate2(&mut self.x, &mut self.z, Kernel2::Cz, &[(c, t)]);
                        self.twirl(t as usize, rng);
                    }
                }
                Op::Detector(recs) => {
                    if self.results.rows() > 0 {
                        let row = self.next_detector;
                        self.next_detector += 1;
                        self.xor_records_into_result(recs, row);
                    }
                }
                Op::Observable(index, recs, paulis) => {
                    if self.results.rows() > 0 {
                        let row = self.num_detectors + *index as usize;
                        self.xor_records_into_result(recs, row);
                        if !paulis.is_empty() {
                            self.anticommutation_into_scratch(paulis);
                            xor_into(self.results.row_mut(row), &self.scratch);
                        }
                    }
                }
                Op::Repeat(count, body) => {
                    for _ in 0..*count {
                        self.exec(body, rng);
                    }
                }
            }
        }
    }

    /// Shots per batch as (log2, mask): batches are a power of two wide, so a flat trial index
    /// splits into (target, shot) by shift and mask.
    #[inline]
    fn shot_bits(&self) -> (u32, u64) {
        let shots = self.shots() as u64;
        (shots.trailing_zeros(), shots - 1)
    }

    /// Record row of `rec[-k]`.
    #[inline]
    fn record_row(&self, k: u32) -> usize {
        ((self.measured - k as u64) % self.record.rows() as u64) as usize
    }

    fn xor_records_into_result(&mut self, recs: &[u32], row: usize) {
        let dst = self.results.row_mut(row);
        kernels::xor_lookbacks(dst, &self.record, self.measured, recs);
    }

    /// Twirled pi/8 Y-rotation on qubit q: lanes carrying X or Z (not Y) swap X <-> Z with
    /// probability 1/2.
    fn twirl(&mut self, q: usize, rng: &mut impl RngCore) {
        let x = self.x.row_mut(q);
        let z = self.z.row_mut(q);
        for (a, b) in x.iter_mut().zip(z.iter_mut()) {
            let swap = (*a ^ *b) & rng.next_u64();
            *a ^= swap;
            *b ^= swap;
        }
    }

    fn measure(
        &mut self,
        basis: Basis,
        reset: bool,
        flip: &noise::Bernoulli,
        qubits: &[u32],
        rng: &mut impl RngCore,
    ) {
        let first = self.measured;
        for &q in qubits {
            let q = q as usize;
            let r = (self.measured % self.record.rows() as u64) as usize;
            self.measured += 1;
            let out = self.record.row_mut(r);
            let (x, z) = (self.x.row(q), self.z.row(q));
            match basis {
                Basis::Z => out.copy_from_slice(x),
                Basis::X => out.copy_from_slice(z),
                Basis::Y => {
                    for ((o, a), b) in out.iter_mut().zip(x).zip(z) {
                        *o = a ^ b;
                    }
                }
            }
            if reset {
                self.reset(basis, q, rng);
            } else if self.mode == Mode::Measure {
                // Randomise the component that commutes with the measured Pauli.
                match basis {
                    Basis::Z => fill_random(self.z.row_mut(q), rng),
                    Basis::X => fill_random(self.x.row_mut(q), rng),
                    Basis::Y => {
                        fill_random(&mut self.scratch, rng);
                        xor_into(self.x.row_mut(q), &self.scratch);
                        xor_into(self.z.row_mut(q), &self.scratch);
                    }
                }
            }
        }
        self.flip_results(first, qubits.len() as u64, flip, rng);
    }

    /// Flips each of the `count` results recorded from measurement `first` on with probability
    /// `flip`, independently per shot.
    fn flip_results(
        &mut self,
        first: u64,
        count: u64,
        flip: &noise::Bernoulli,
        rng: &mut impl RngCore,
    ) {
        let (shift, mask) = self.shot_bits();
        let rows = self.record.rows() as u64;
        let record = &mut self.record;
        flip.for_each_hit(count << shift, rng, |i, _| {
            let r = ((first + (i >> shift)) % rows) as usize;
            record.flip(r, (i & mask) as usize);
        });
    }

    /// Sets the scratch row to the frames' anticommutation with the Pauli product `factors`:
    /// the parity over factors of x_frame z_P + z_frame x_P.
    fn anticommutation_into_scratch(&mut self, factors: &[(u32, bool, bool)]) {
        self.scratch.fill(0);
        for &(q, px, pz) in factors {
            if pz {
                xor_into(&mut self.scratch, self.x.row(q as usize));
            }
            if px {
                xor_into(&mut self.scratch, self.z.row(q as usize));
            }
        }
    }

    /// Multiplies the Pauli product `factors` into the frames of the shots set in the scratch row.
    fn xor_scratch_times(&mut self, factors: &[(u32, bool, bool)]) {
        for &(q, px, pz) in factors {
            if px {
                xor_into(self.x.row_mut(q as usize), &self.scratch);
            }
            if pz {
                xor_into(self.z.row_mut(q as usize), &self.scratch);
            }
        }
    }

    /// MPP: each product's result flips with the frame's anticommutation with it. In Measure
    /// mode the product itself is then multiplied into a random half of the frames (it acts
    /// trivially on the collapsed state), which makes random products come out as fair coins.
    fn measure_products(
        &mut self,
        flip: &noise::Bernoulli,
        products: &[Vec<(u32, bool, bool)>],
        rng: &mut impl RngCore,
    ) {
        let first = self.measured;
        for factors in products {
            self.anticommutation_into_scratch(factors);
            let r = (self.measured % self.record.rows() as u64) as usize;
            self.measured += 1;
            self.record.row_mut(r).copy_from_slice(&self.scratch);
            if self.mode == Mode::Measure {
                fill_random(&mut self.scratch, rng);
                self.xor_scratch_times(factors);
            }
        }
        self.flip_results(first, products.len() as u64, flip, rng);
    }

    fn reset(&mut self, basis: Basis, q: usize, rng: &mut impl RngCore) {
        let randomize = self.mode == Mode::Measure;
        let x = self.x.row_mut(q);
        let z = self.z.row_mut(q);
        x.fill(0);
        z.fill(0);
        if randomize {
            match basis {
                Basis::Z => fill_random(z, rng),
                Basis::X => fill_random(x, rng),
                Basis::Y => {
                    fill_random(x, rng);
                    z.copy_from_slice(x);
                }
            }
        }
    }
}

fn fill_random(row: &mut [u64], rng: &mut impl RngCore) {
    for w in row {
        *w = rng.next_u64();
    }
}
