//! Exact shots 512 at a time: the bit-packed executor behind [`super::BatchSpec::run`].
//!
//! Every per-shot operation of a compiled program but the dense ones is GF(2)-linear in the
//! Pauli frame and the record (reductions, frame Cliffords, channels, feedback, resets,
//! measurement tests, detectors), so it runs on a block of [`LANES`] x 64 shots at once, as in
//! the frame sampler (`src/frame/`): the frame is transposed, one row of [`LANES`] words per
//! frame bit, bit s of word j of every row being shot 64j + s. Channel hits are drawn by
//! geometric gaps over (trial, shot) pairs, so their cost follows the hits, as in a single shot.
//!
//! Before that, most shots never reach the step list: a block's hits (or a fault source's
//! chosen faults) are drawn first, and a shot whose faults flip no rotation's sign, or that a
//! postselected detector discards before its first flipped sign, is finished from the effect
//! table ([`NoiseEffects`]). The others queue, renumbered, until they fill a block.
//!
//! A dense step is a fixed function of the vector before it and of each shot's decision (the
//! frame's sign bits; a dense measurement's outcome), so the shots of a batch travel in
//! *groups* that took the same decisions: a group is a set of shots (a mask) with one
//! [`Cursor`] in the worker's trajectory trie and one vector. At a dense step each group splits
//! by its shots' decisions (at most four children), and the step costs per group, not per
//! shot: nearly every shot stays in the noiseless group. A dense measurement draws the outcomes
//! of a group's shots from the group's weights (p0, p1), one Bernoulli word. Off the trie (a
//! rare path, or the trie's budget spent), a group keeps its own vector, which the batch frees
//! when the group empties, so memory is bounded by [`SHOTS`] vectors (see [`PACKED_MAX_ACTIVE`]).
//!
//! A shot that fires a postselected detector leaves its group and the batch stops when none
//! is left. A completed shot's end-of-shot observables get the state a single shot would have:
//! its frame extracted from the words and its group's final vector (docs/exact-engine.md,
//! "Packed shots").

use super::batch::{EndOfShot, FaultSource};
use super::linear::{first_common, NoiseEffects};
use super::program::{
    activate, apply_dense, project, rotate_step, ExactProgram, Hits, Injection, Workspace,
};
use super::steps::{Gate, Step, Steps, Then, NONE};
use super::trajectory::{Cursor, Trajectories};
use crate::bits::BitTable;
use num_complex::Complex64 as C;
use rand_core::RngCore;

/// The widest dense vector the packed executor takes: a block may hold up to [`SHOTS`] = 512
/// groups off the trie, each with its own vector (512 x 2^12 amplitudes: 32 MiB, reached only
/// when every shot of the block is on its own path at the widest vector). Wider programs run one shot at
/// a time, whose memory is one vector.
pub const PACKED_MAX_ACTIVE: usize = 12;

/// The group vectors of all workers' packed blocks together stay under this (2 GiB): a run
/// uses at most [`ExactProgram::max_packed_workers`] workers, which changes no output (seeded
/// output is the same for any thread count), only how many blocks run at once.
pub const PACKED_TOTAL_BYTES: usize = 2 << 30;

/// Words of 64 shots that walk the step list together: every step is dispatched, every Pauli's
/// rows decoded and every group's trie step taken once per [`SHOTS`] shots, and the frame
/// operations run on all the words at once (one AVX2 register).
const LANES: usize = 8;
/// Shots run together (a *block*).
const SHOTS: usize = 64 * LANES;
/// log2([`SHOTS`]): channel trials and shots are numbered trial * SHOTS + shot.
const SHIFT: u32 = SHOTS.trailing_zeros();

/// One bit per shot of a block: bit s of word j is shot 64j + s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct L([u64; LANES]);

impl L {
    const ZERO: L = L([0; LANES]);

    /// All shots when `b`, none otherwise.
    #[inline(always)]
    fn all(b: bool) -> L {
        L([0u64.wrapping_sub(u64::from(b)); LANES])
    }

    /// The first `n` shots.
    #[inline(always)]
    fn first(n: usize) -> L {
        L(std::array::from_fn(|j| {
            let k = n.saturating_sub(64 * j).min(64);
            if k == 64 {
                !0
            } else {
                (1u64 << k) - 1
            }
        }))
    }

    /// Shot `s` alone.
    #[inline(always)]
    fn shot(s: usize) -> L {
        let mut l = L::ZERO;
        l.set(s);
        l
    }

    /// Adds shot `s`.
    #[inline(always)]
    fn set(&mut self, s: usize) {
        self.0[s >> 6] |= 1 << (s & 63);
    }

    #[inline(always)]
    fn has(self, s: usize) -> bool {
        self.0[s >> 6] >> (s & 63) & 1 == 1
    }

    #[inline(always)]
    fn none(self) -> bool {
        self.0.iter().fold(0, |a, &w| a | w) == 0
    }

    /// A word of random bits per lane.
    #[inline(always)]
    fn random(rng: &mut impl RngCore) -> L {
        L(std::array::from_fn(|_| rng.next_u64()))
    }

    /// The shots of the block, lowest first.
    #[inline(always)]
    fn ones(self) -> impl Iterator<Item = usize> {
        (0..LANES).flat_map(move |j| Ones(self.0[j]).map(move |s| 64 * j + s))
    }
}

macro_rules! lane_op {
    ($tr:ident, $f:ident, $tra:ident, $fa:ident, $op:tt) => {
        impl std::ops::$tr for L {
            type Output = L;
            #[inline(always)]
            fn $f(self, o: L) -> L {
                L(std::array::from_fn(|j| self.0[j] $op o.0[j]))
            }
        }
        impl std::ops::$tra for L {
            #[inline(always)]
            fn $fa(&mut self, o: L) {
                *self = *self $op o;
            }
        }
    };
}
lane_op!(BitAnd, bitand, BitAndAssign, bitand_assign, &);
lane_op!(BitOr, bitor, BitOrAssign, bitor_assign, |);
lane_op!(BitXor, bitxor, BitXorAssign, bitxor_assign, ^);

impl std::ops::Not for L {
    type Output = L;
    #[inline(always)]
    fn not(self) -> L {
        L(self.0.map(|w| !w))
    }
}

/// Scratch of the packed executor (per worker, in the [`Workspace`]).
#[derive(Clone, Debug, Default)]
pub(super) struct Packed {
    /// Frame bit k of every shot of the block: rows 0..64w are x of the virtual qubits, 64w..
    /// their z (the bit numbering of a Pauli's words in the program's pool).
    frame: Vec<L>,
    /// The frame by shot at the end of a block (end-of-shot observables).
    frames: Vec<u64>,
    record: Vec<L>,
    detectors: Vec<L>,
    observables: Vec<L>,
    groups: Vec<Group>,
    /// Vectors of groups that emptied, for reuse.
    spare: Vec<Vec<C>>,
    /// The block's hits, before it runs: its channel hits and measurement flips drawn class
    /// by class, or its chosen faults shot by shot.
    hits: Vec<Hit>,
    /// Per shot of the block, the XOR of its hits' effect rows ([`NoiseEffects`]).
    effects: Vec<u64>,
    /// The items that decide a shot's fate: the signs and the postselected detectors.
    deciding: Vec<u64>,
    /// One shot's faults from a [`FaultSource`].
    placed: Vec<Injection>,
    /// Shots that the step list must run, gathered from blocks until they fill one.
    queue: Queue,
    /// The queued block's results, before they go to their shots' columns.
    scratch: BitTable,
}

/// Where a block on the step list takes its hits from.
enum Source<'a> {
    /// Drawn before the block ran (in operation order), from `cursor` on.
    Drawn { list: &'a [Hit], cursor: usize },
    /// Drawn as the steps reach them: per noise class, the next hit.
    Lazy(&'a mut Hits),
}

impl Source<'_> {
    /// The operation of the next hit (`u32::MAX`: none).
    #[inline(always)]
    fn next(&self) -> u32 {
        match self {
            Source::Drawn { list, cursor } => list.get(*cursor).map_or(u32::MAX, |h| h.at),
            Source::Lazy(hits) => hits.next().1,
        }
    }
}

/// Shots waiting for the step list, renumbered 0.. in the order they came, with their hits.
#[derive(Clone, Debug, Default)]
struct Queue {
    /// Each queued shot's column in the batch's table.
    shots: Vec<u32>,
    hits: Vec<Hit>,
    /// Scratch of the counting sort by operation: the sorted hits, and per operation a count.
    sorted: Vec<Hit>,
    counts: Vec<u32>,
}

impl Queue {
    /// Puts the hits in operation order, keeping the order of hits at one operation: a
    /// counting sort over the `ops` operations (the hits come as many sorted runs, one per
    /// noise class and block; a stable comparison sort of them took 8% of a d = 3 run).
    fn sort_hits(&mut self, ops: usize) {
        let counts = &mut self.counts;
        counts.clear();
        counts.resize(ops + 1, 0);
        for h in &self.hits {
            counts[h.at as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let Some(&any) = self.hits.first() else {
            return;
        };
        self.sorted.clear();
        self.sorted.resize(self.hits.len(), any);
        for &h in &self.hits {
            let slot = &mut counts[h.at as usize];
            self.sorted[*slot as usize] = h;
            *slot += 1;
        }
        std::mem::swap(&mut self.hits, &mut self.sorted);
    }
}

/// One channel hit or measurement flip of a block, drawn before the block runs.
#[derive(Clone, Copy, Debug)]
pub(super) struct Hit {
    /// The operation where it happens.
    at: u32,
    shot: u16,
    /// A channel hit's Pauli bits (as [`crate::frame::noise::PauliChannel`] packs them); 1 for
    /// a flip.
    pub(super) outcome: u8,
    /// Offset in the pool of the hit target's images (NONE: a measurement flip).
    images: u32,
    /// The hit target's first generator in the effect table (NONE: none there).
    pub(super) generator: u32,
}

impl Hit {
    /// Fills slots that are written before they are read.
    const NONE: Hit = Hit {
        at: NONE,
        shot: 0,
        outcome: 0,
        images: NONE,
        generator: NONE,
    };
}

/// Shots that have made the same dense decisions so far: their trie cursor and vector.
#[derive(Clone, Debug)]
struct Group {
    mask: L,
    cur: Cursor,
    amps: Vec<C>,
}

/// The set bits of a word, lowest first (shot numbers).
struct Ones(u64);

impl Iterator for Ones {
    type Item = usize;
    #[inline(always)]
    fn next(&mut self) -> Option<usize> {
        (self.0 != 0).then(|| {
            let k = self.0.trailing_zeros() as usize;
            self.0 &= self.0 - 1;
            k
        })
    }
}

/// Calls `f` with the row (frame bit number) of every set bit of a Pauli's words `p`, in order.
#[inline(always)]
fn for_rows(p: &[u64], mut f: impl FnMut(usize)) {
    for (i, &word) in p.iter().enumerate() {
        let mut b = word;
        while b != 0 {
            f(64 * i + b.trailing_zeros() as usize);
            b &= b - 1;
        }
    }
}

/// frame <- frame * P on the shots of `on`, for the Pauli's words `p` (x words then z words).
#[inline(always)]
fn xor_pauli(frame: &mut [L], p: &[u64], on: L) {
    for_rows(p, |k| frame[k] ^= on);
}

/// [`xor_pauli`] on shot `s` alone.
#[inline(always)]
fn xor_pauli_shot(frame: &mut [L], p: &[u64], s: usize) {
    let (j, bit) = (s >> 6, 1u64 << (s & 63));
    for_rows(p, |k| frame[k].0[j] ^= bit);
}

/// Per shot, whether the frame anticommutes with the Pauli `p` (2w words): x of the frame
/// against z of `p` and z against x.
#[inline(always)]
fn anticommutes(frame: &[L], p: &[u64], w: usize) -> L {
    let half = 64 * w;
    let mut acc = L::ZERO;
    for_rows(&p[..w], |k| acc ^= frame[half + k]);
    for_rows(&p[w..2 * w], |k| acc ^= frame[k]);
    acc
}

/// A virtual Clifford on the frames (as `frame_gate` in one shot).
#[inline(always)]
fn gate(frame: &mut [L], half: usize, gate: Gate, [a, b]: [u32; 2]) {
    let (a, b) = (a as usize, b as usize);
    match gate {
        Gate::H => frame.swap(a, half + a),
        Gate::S | Gate::SDag => frame[half + a] ^= frame[a],
        Gate::Cx => {
            frame[b] ^= frame[a];
            frame[half + a] ^= frame[half + b];
        }
        Gate::Cz => {
            frame[half + b] ^= frame[a];
            frame[half + a] ^= frame[b];
        }
    }
}

/// A [`super::program::FrameReduction`] on the frames, in the order `frame_reduce` takes it.
#[inline(always)]
fn reduce(frame: &mut [L], w: usize, j: u32, masks: &[u64], sdag: bool) {
    let (half, j) = (64 * w, j as usize);
    let (cx, cz) = (&masks[..w], &masks[w..2 * w]);
    let xj = frame[j];
    let mut acc = L::ZERO;
    for_rows(cx, |k| acc ^= frame[half + k]);
    for_rows(cx, |k| frame[k] ^= xj);
    for_rows(cz, |k| frame[half + k] ^= xj);
    for_rows(cz, |k| acc ^= frame[k]);
    if sdag {
        acc ^= xj;
    }
    frame[half + j] ^= acc;
}

/// The shots of `mask` for which a uniform U in (0, 1) falls below `p`: U's binary digits are
/// drawn one word at a time and compared with p's until every shot is decided (about
/// log2(64) + 2 words; one for p = 1/2).
#[inline(always)]
fn bernoulli_word(p: f64, mask: u64, rng: &mut impl RngCore) -> u64 {
    if p >= 1.0 {
        return mask;
    }
    let (mut undecided, mut ones, mut frac) = (mask, 0u64, p.max(0.0));
    while undecided != 0 && frac > 0.0 {
        frac *= 2.0;
        let digit = if frac >= 1.0 {
            frac -= 1.0;
            !0u64
        } else {
            0
        };
        let differ = (rng.next_u64() ^ digit) & undecided;
        ones |= differ & digit;
        undecided &= !differ;
    }
    ones
}

/// [`bernoulli_word`] on every word of a block (no draw for a word without shots).
#[inline(always)]
fn bernoulli(p: f64, mask: L, rng: &mut impl RngCore) -> L {
    L(std::array::from_fn(|j| bernoulli_word(p, mask.0[j], rng)))
}

/// What a batch reads out, and how.
#[derive(Clone, Copy)]
pub(super) struct Readout<'a> {
    pub noise: PackedNoise<'a>,
    pub postselect: Option<&'a [bool]>,
    pub end_of_shot: Option<&'a dyn EndOfShot>,
}

/// Where a packed shot's faults come from.
#[derive(Clone, Copy)]
pub(super) enum PackedNoise<'a> {
    /// None: the noiseless circuit.
    Off,
    /// Channels and flips sampled with their probabilities.
    Sampled,
    /// Each shot's faults chosen by this source (stratified sampling).
    Chosen(&'a dyn FaultSource),
}

/// The groups of a batch and what they need to run dense steps.
struct Groups<'a, R> {
    /// Amplitudes of the widest vector.
    len: usize,
    groups: &'a mut Vec<Group>,
    spare: &'a mut Vec<Vec<C>>,
    traj: &'a mut Trajectories,
    replay: &'a R,
    /// The shots the groups were last cut down to (they hold no other).
    pruned: L,
}

impl<R: Fn(u32, usize, &mut Vec<C>)> Groups<'_, R> {
    /// A new vector with room for the widest state (no reallocation as it grows).
    #[cold]
    fn vector(&self) -> Vec<C> {
        Vec::with_capacity(self.len)
    }

    /// One group of all the shots of `live` at the trie's root, vector (1); the previous
    /// block's vectors become spares.
    fn start(&mut self, live: L) {
        self.spare.extend(self.groups.drain(..).map(|g| g.amps));
        let mut amps = self.spare.pop().unwrap_or_else(|| self.vector());
        amps.clear();
        amps.push(C::new(1.0, 0.0));
        let cur = self.traj.begin();
        self.groups.push(Group {
            mask: live,
            cur,
            amps,
        });
    }

    /// Drops the shots outside `alive` from every group, and the groups left empty (only when
    /// shots ended since the last call); starts loading the trie nodes of the groups.
    #[inline(always)]
    fn prune(&mut self, alive: L) {
        if alive != self.pruned {
            self.pruned = alive;
            let mut g = 0;
            while g < self.groups.len() {
                self.groups[g].mask &= alive;
                if self.groups[g].mask.none() {
                    let gone = self.groups.swap_remove(g);
                    self.spare.push(gone.amps);
                } else {
                    g += 1;
                }
            }
        }
        for group in self.groups.iter() {
            self.traj.prefetch(&group.cur);
        }
    }

    /// Dense step `at` on every group, each split by its shots' decision keys: shot s takes
    /// key bit0(s) + 2 bit1(s) (0..4) for `bits` = [bit0, bit1]; `compute(key, amps)` is the
    /// step.
    #[inline(always)]
    fn step(&mut self, alive: L, at: u32, bits: [L; 2], compute: impl Fn(usize, &mut Vec<C>)) {
        self.prune(alive);
        for g in 0..self.groups.len() {
            self.split(g, at, bits, &compute);
        }
    }

    /// An activation (dense step `at`, `sin_cos` of its angle), the same in every shot (the
    /// frame's Z on the qubit was cleared: a gauge).
    #[inline(always)]
    fn activate(&mut self, alive: L, at: u32, sin_cos: (f64, f64)) {
        self.step(alive, at, [L::ZERO; 2], |_, a| activate(a, sin_cos));
    }

    /// Group `g` takes dense step `at`, its shots split by their keys (`bits` as in
    /// [`Self::step`]). Most groups take one key: they move on without splitting.
    #[inline(always)]
    fn split(&mut self, g: usize, at: u32, bits: [L; 2], compute: &impl Fn(usize, &mut Vec<C>)) {
        let mask = self.groups[g].mask;
        let (a, b) = (mask & bits[0], mask & bits[1]);
        if b.none() {
            if a.none() {
                return self.advance(g, at, 0, compute);
            }
            if a == mask {
                return self.advance(g, at, 1, compute);
            }
        }
        self.split_keys(g, at, [mask & !(a | b), a & !b, b & !a, a & b], compute);
    }

    /// Group `g` takes dense step `at` with key `k`, all its shots together.
    #[inline(always)]
    fn advance(&mut self, g: usize, at: u32, k: usize, compute: &impl Fn(usize, &mut Vec<C>)) {
        let group = &mut self.groups[g];
        let compute = |a: &mut Vec<C>| compute(k, a);
        (self.traj).step(&mut group.cur, at, k, &mut group.amps, compute, self.replay);
    }

    /// Group `g` takes dense step `at`: the shots of `masks[k]` with key k (their union is the
    /// group). The first non-empty key keeps the group, the others start new groups.
    #[inline(always)]
    fn split_keys(
        &mut self,
        g: usize,
        at: u32,
        masks: [L; 4],
        compute: &impl Fn(usize, &mut Vec<C>),
    ) {
        let first = (0..4)
            .find(|&k| !masks[k].none())
            .expect("a group is never empty");
        // Whether the group leaves the trie here: a child that leaves it too then copies the
        // group's vector, brought up to date once for both, rather than rebuild it again.
        let leaves = self.traj.misses(&self.groups[g].cur, first);
        for (k, &mask) in masks.iter().enumerate().skip(first + 1) {
            if mask.none() {
                continue;
            }
            // Before the group itself moves on: the child starts where it stands.
            let mut amps = self.spare.pop().unwrap_or_else(|| self.vector());
            let parent = &mut self.groups[g];
            let cur = match parent.cur.detached() {
                Some(cur) if !(leaves && self.traj.misses(&parent.cur, k)) => cur,
                _ => {
                    (self.traj).sync_vector(&mut parent.cur, &mut parent.amps, self.replay);
                    amps.clear();
                    amps.extend_from_slice(&parent.amps);
                    parent.cur
                }
            };
            let mut child = Group { mask, cur, amps };
            let compute = |a: &mut Vec<C>| compute(k, a);
            (self.traj).step(&mut child.cur, at, k, &mut child.amps, compute, self.replay);
            self.groups.push(child);
        }
        self.groups[g].mask = masks[first];
        self.advance(g, at, first, compute);
    }
}

/// The most expected hits per shot at which blocks use the effect table. Beyond, nearly every
/// shot has a fault that flips a sign and nearly every one is discarded early, so drawing all
/// of a block's hits up front may cost more than the table saves (and the block's hits are
/// held at once). Measured with the table as dense rows (2026-12-07 16:15 UTC, one thread,
/// table against hits drawn as the steps reach them): Clifft's d = 5 cultivation circuit at
/// p = 1e-2, 35.6 hits per shot, 1.29x faster with the table (0.82M -> 1.06M shots/s); at
/// p = 2e-2, 71 hits, 1.1x faster (0.49M -> 0.54M). (With the table in transposed words it
/// was 1.25x slower at 35.6 hits, and the limit was 20.)
const EFFECTS_MAX_HITS: f64 = 80.0;

impl ExactProgram {
    /// Whether packed blocks finish shots from the effect table ([`NoiseEffects`]): the table
    /// exists and a shot expects at most [`EFFECTS_MAX_HITS`] hits.
    fn uses_effects(&self) -> bool {
        let hits: f64 = (self.noise_classes.iter())
            .map(|(trial, n)| trial.p * *n as f64)
            .sum();
        self.effects.is_some() && hits <= EFFECTS_MAX_HITS
    }

    /// Drops the effect table: every packed shot then runs the step list, with its hits drawn
    /// as the steps reach them (for tests and comparisons; the shots' distribution is the same).
    pub fn drop_effect_table(&mut self) {
        self.effects = None;
    }

    /// Whether [`super::BatchSpec::run`] may run this program's shots in packed blocks.
    pub(super) fn packs(&self) -> bool {
        self.max_active <= PACKED_MAX_ACTIVE
    }

    /// The most workers whose packed blocks fit in [`PACKED_TOTAL_BYTES`] together, each at its
    /// worst: one vector of 2^max_active amplitudes per shot of a block (64 workers at 12
    /// active qubits, 1024 at 8 or fewer). Unbounded for programs that do not pack.
    pub fn max_packed_workers(&self) -> usize {
        if !self.packs() {
            return usize::MAX;
        }
        let worst = (SHOTS << self.max_active) * std::mem::size_of::<C>();
        (PACKED_TOTAL_BYTES / worst).max(1)
    }

    /// Runs `shots` shots (at most 64 per word of `table`) into `table` (cleared), [`SHOTS`] at
    /// a time, from one random stream.
    pub(super) fn run_packed(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        shots: usize,
        out: Readout,
        table: &mut BitTable,
    ) {
        #[cfg(target_arch = "x86_64")]
        if crate::bits::Isa::has_avx2_fma_popcnt() {
            // SAFETY: the CPU has the features the function is compiled for.
            return unsafe { self.run_packed_avx2(ws, rng, shots, out, table) };
        }
        self.packed_batch::<false>(ws, rng, shots, out, table)
    }

    /// [`Self::packed_batch`] compiled for AVX2, FMA and POPCNT (as `run_shot_avx2`).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,popcnt")]
    fn run_packed_avx2(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        shots: usize,
        out: Readout,
        table: &mut BitTable,
    ) {
        self.packed_batch::<true>(ws, rng, shots, out, table)
    }

    #[inline(always)]
    fn packed_batch<const AVX: bool>(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        shots: usize,
        out: Readout,
        table: &mut BitTable,
    ) {
        table.clear();
        if ws.trajectories.program() != self.id {
            ws.trajectories = Trajectories::new(self.id, self.trajectory_budget());
        }
        if !matches!(out.noise, PackedNoise::Chosen(_)) && !self.uses_effects() {
            // Hits drawn as the step list reaches them: a block whose shots all end early
            // never draws the rest.
            for block in 0..shots.div_ceil(SHOTS) {
                let live = L::first(shots - SHOTS * block);
                let col = LANES * block;
                let alive = self.packed_block::<AVX>(ws, rng, live, None, out, table, col);
                if !alive.none() {
                    self.packed_finish::<AVX>(ws, rng, alive, out, table, col);
                }
            }
            return;
        }
        let mut queue = std::mem::take(&mut ws.packed.queue);
        let mut hits = std::mem::take(&mut ws.packed.hits);
        queue.shots.clear();
        queue.hits.clear();
        let mut lane = [0u16; SHOTS];
        if let Some(e) = &self.effects {
            e.deciding_row(out.postselect, &mut ws.packed.deciding);
        }
        for block in 0..shots.div_ceil(SHOTS) {
            let live = L::first(shots - SHOTS * block);
            hits.clear();
            let p = &mut *ws.packed;
            if let PackedNoise::Chosen(source) = out.noise {
                self.place_faults(source, rng, live, &mut hits, &mut p.placed);
            }
            // Shots whose faults flip no rotation's sign, or that a postselected detector
            // discards before the first flipped sign, are finished from the effect table.
            let hard = match &self.effects {
                Some(e) => {
                    if let PackedNoise::Sampled = out.noise {
                        self.draw_hits(e, rng, live, &mut hits);
                    }
                    let effects = &mut p.effects;
                    effects.clear();
                    effects.resize(SHOTS * e.words, 0);
                    let touched = xor_hits(effects, e, &hits);
                    let (effects, deciding) = (&p.effects[..], &p.deciding[..]);
                    let col = LANES * block;
                    self.finish_linear(e, live, touched, out, effects, deciding, table, col)
                }
                None => live,
            };
            // The others wait until they fill a block of the step list.
            let n = hard
                .0
                .iter()
                .map(|w| w.count_ones() as usize)
                .sum::<usize>();
            if queue.shots.len() + n > SHOTS {
                self.run_queue::<AVX>(ws, rng, &mut queue, out, table);
            }
            for s in hard.ones() {
                lane[s] = queue.shots.len() as u16;
                queue.shots.push((SHOTS * block + s) as u32);
            }
            // Without a branch per hit: every hit is written, and the queue grows by the
            // hard ones.
            let mut kept = queue.hits.len();
            queue.hits.resize(kept + hits.len(), Hit::NONE);
            for h in &hits {
                let s = h.shot as usize;
                queue.hits[kept] = Hit {
                    shot: lane[s],
                    ..*h
                };
                kept += usize::from(hard.has(s));
            }
            queue.hits.truncate(kept);
        }
        if !queue.shots.is_empty() {
            self.run_queue::<AVX>(ws, rng, &mut queue, out, table);
        }
        ws.packed.queue = queue;
        ws.packed.hits = hits;
    }

    /// Runs the queued shots through the step list and puts their results into their columns
    /// of `table`; empties the queue.
    #[inline(always)]
    fn run_queue<const AVX: bool>(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        queue: &mut Queue,
        out: Readout,
        table: &mut BitTable,
    ) {
        // In operation order (drawn hits come class by class).
        queue.sort_hits(self.ops.len());
        let mut scratch = std::mem::take(&mut ws.packed.scratch);
        if scratch.rows() != table.rows() || scratch.words() != LANES {
            scratch = BitTable::new(table.rows(), LANES);
        }
        scratch.clear();
        let live = L::first(queue.shots.len());
        let hits = Some(&queue.hits[..]);
        let alive = self.packed_block::<AVX>(ws, rng, live, hits, out, &mut scratch, 0);
        if !alive.none() {
            self.packed_finish::<AVX>(ws, rng, alive, out, &mut scratch, 0);
        }
        for r in 0..table.rows() {
            for (j, &word) in scratch.row(r).iter().enumerate() {
                for b in Ones(word) {
                    let shot = queue.shots[64 * j + b] as usize;
                    table.row_mut(r)[shot >> 6] |= 1 << (shot & 63);
                }
            }
        }
        ws.packed.scratch = scratch;
        queue.shots.clear();
        queue.hits.clear();
    }

    /// Runs the shots of `live` (a block) through the step list into column words `col..` of
    /// `table` (the discarding detector of each discarded shot), with their hits `drawn` (in
    /// operation order) or, when `None`, hits drawn as the steps reach them; returns the shots
    /// that completed.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn packed_block<const AVX: bool>(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        live: L,
        drawn: Option<&[Hit]>,
        out: Readout,
        table: &mut BitTable,
        col: usize,
    ) -> L {
        let w = self.words;
        let half = 64 * w;
        let st = &self.steps;
        let pool = &st.pool[..];
        let Workspace {
            hits,
            trajectories,
            packed,
            ..
        } = ws;
        let Packed {
            frame,
            record,
            detectors,
            observables,
            groups,
            spare,
            ..
        } = &mut **packed;
        frame.clear();
        frame.resize(2 * half, L::ZERO);
        record.clear();
        record.resize(self.num_measurements, L::ZERO);
        detectors.clear();
        detectors.resize(self.num_detectors, L::ZERO);
        observables.clear();
        observables.resize(self.num_observables, L::ZERO);
        let replay = |at: u32, key: usize, amps: &mut Vec<C>| self.dense_step::<AVX>(at, key, amps);
        let mut g = Groups {
            len: 1 << self.max_active,
            groups,
            spare,
            traj: trajectories,
            replay: &replay,
            pruned: live,
        };
        g.start(live);
        let mut alive = live;
        let mut source = match drawn {
            Some(list) => Source::Drawn { list, cursor: 0 },
            None => {
                for c in 0..self.noise_classes.len() {
                    let flat = if matches!(out.noise, PackedNoise::Sampled) {
                        self.noise_classes[c].0.gap(rng)
                    } else {
                        u64::MAX
                    };
                    set_hit(hits, st, c, flat);
                }
                Source::Lazy(hits)
            }
        };
        let mut pending = source.next();
        let mut chain = L::ZERO;
        let mut i = 0usize;
        while i < st.steps.len() {
            let (at, step) = st.steps[i];
            i += 1;
            if pending < at {
                pending = self.packed_hits(frame, &mut source, rng, at, alive);
            }
            // A measurement's outcomes (before the record's flip and `!`), its shared fields
            // and the detector fused into it.
            let (m, invert, rec, flip, reset, then) = match step {
                Step::Reduce {
                    qubit,
                    masks,
                    sdag,
                    then,
                } => {
                    reduce(frame, w, qubit, &pool[masks as usize..], sdag);
                    match then {
                        Then::Nothing => continue,
                        Then::Activate => {
                            let (_, Step::Activate { qubit, angle }) = st.steps[i] else {
                                unreachable!("a reduction paired with an activation")
                            };
                            i += 1;
                            // A dormant qubit's Z is a gauge (as `clear_dormant_z`).
                            frame[half + qubit as usize] = L::ZERO;
                            g.activate(alive, i as u32 - 1, st.angles[angle as usize]);
                            continue;
                        }
                        Then::MeasureRandom => {
                            let next = st.steps[i].1;
                            i += 1;
                            measure_random(next, frame, half, rng)
                        }
                    }
                }
                Step::Dense { gate: gt, q, s } => {
                    gate(frame, half, gt, q);
                    let compute = |_: usize, a: &mut Vec<C>| apply_dense(a, gt, s);
                    g.step(alive, i as u32 - 1, [L::ZERO; 2], compute);
                    continue;
                }
                Step::Activate { qubit, angle } => {
                    frame[half + qubit as usize] = L::ZERO;
                    g.activate(alive, i as u32 - 1, st.angles[angle as usize]);
                    continue;
                }
                Step::Rotate {
                    masks,
                    test,
                    angle,
                    phase,
                } => {
                    let flips = anticommutes(frame, &pool[test as usize..], w);
                    let sin_cos = st.angles[angle as usize];
                    let compute = |k: usize, a: &mut Vec<C>| {
                        rotate_step::<AVX>(a, pool, masks, phase, sin_cos, k == 1)
                    };
                    g.step(alive, i as u32 - 1, [flips, L::ZERO], compute);
                    continue;
                }
                Step::RotatePair {
                    masks,
                    tests,
                    second,
                    angle,
                    phase,
                } => {
                    let flip1 = anticommutes(frame, &pool[tests[0] as usize..], w);
                    if pending < second {
                        pending = self.packed_hits(frame, &mut source, rng, second, alive);
                    }
                    let flip2 = anticommutes(frame, &pool[tests[1] as usize..], w);
                    // Keys as in one shot: flip1, and flip1 != flip2 in bit 1.
                    let keys = [flip1, flip1 ^ flip2];
                    let compute = |k: usize, a: &mut Vec<C>| {
                        let sin_cos = st.angles[angle as usize + (k >> 1)];
                        rotate_step::<AVX>(a, pool, masks, phase, sin_cos, k & 1 == 1)
                    };
                    g.step(alive, i as u32 - 1, keys, compute);
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
                    let m = anticommutes(frame, &pool[test as usize..], w) ^ L::all(negative);
                    (m, invert, record, flip, reset, then)
                }
                Step::MeasureRandom { .. } => measure_random(step, frame, half, rng),
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
                    let anti = anticommutes(frame, &pool[test as usize..], w);
                    let slot = slot as usize;
                    g.prune(alive);
                    let mut ones = L::ZERO;
                    for k in 0..g.groups.len() {
                        let group = &mut g.groups[k];
                        let (cur, amps) = (&mut group.cur, &mut group.amps);
                        let weights = g.traj.weights(cur, amps, slot, g.replay);
                        let [p0, p1] = weights;
                        let mask = group.mask;
                        let m = bernoulli(p1 / (p0 + p1), mask, rng);
                        ones |= m;
                        let compute =
                            |key: usize, a: &mut Vec<C>| project(a, slot, key == 1, weights);
                        g.split(k, i as u32 - 1, [m, L::ZERO], &compute);
                    }
                    frame[qubit as usize] ^= ones;
                    (
                        ones ^ anti ^ L::all(negative),
                        invert,
                        record,
                        flip,
                        reset,
                        NONE,
                    )
                }
                Step::FrameIfRecord { first, len } => {
                    for &(r, bits) in &st.feedback[first as usize..][..len as usize] {
                        xor_pauli(frame, &pool[bits as usize..][..2 * w], record[r as usize]);
                    }
                    continue;
                }
                Step::Correlated {
                    p,
                    bits,
                    else_branch,
                } => {
                    if !else_branch {
                        chain = L::ZERO;
                    }
                    if matches!(out.noise, PackedNoise::Sampled) {
                        let p = f64::from_bits(pool[p as usize]);
                        let fired = bernoulli(p, alive & !chain, rng);
                        chain |= fired;
                        xor_pauli(frame, &pool[bits as usize..][..2 * w], fired);
                    }
                    continue;
                }
                Step::Detector { index, first, len } => {
                    alive = self.packed_detector(
                        detectors,
                        record,
                        out,
                        alive,
                        table,
                        col,
                        (index, first, len),
                    );
                    if alive.none() {
                        return alive;
                    }
                    continue;
                }
                Step::Observable { index, first, len } => {
                    observables[index as usize] ^=
                        parity(record, &st.lists[first as usize..][..len as usize]);
                    continue;
                }
            };
            if reset != NONE {
                xor_pauli(frame, &pool[reset as usize..][..2 * w], m);
            }
            if rec != NONE {
                let mut flipped = L::ZERO;
                if flip != NONE {
                    flipped = self.packed_flips(&mut source, rng, at, flip);
                    pending = source.next();
                }
                record[rec as usize] = m ^ flipped ^ L::all(invert);
            }
            if then != NONE {
                alive = self.packed_detector(
                    detectors,
                    record,
                    out,
                    alive,
                    table,
                    col,
                    st.fused[then as usize],
                );
                if alive.none() {
                    return alive;
                }
            }
        }
        if out.end_of_shot.is_some() {
            // Hits after the last other operation still move the frame.
            self.packed_hits(frame, &mut source, rng, u32::MAX, alive);
        }
        alive
    }

    /// Sets detector `index` (records `lists[first..first + len]`) for every shot; a
    /// postselected one that fires ends its shots, whose table column gets that detector only.
    /// Returns the shots still running.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn packed_detector(
        &self,
        detectors: &mut [L],
        record: &[L],
        out: Readout,
        alive: L,
        table: &mut BitTable,
        col: usize,
        (index, first, len): (u32, u32, u32),
    ) -> L {
        let i = index as usize;
        let list = &self.steps.lists[first as usize..][..len as usize];
        let expected = self.expected_detectors.get(i).copied().unwrap_or(false);
        let events = parity(record, list) ^ L::all(expected);
        detectors[i] = events;
        if !out.postselect.is_some_and(|mask| mask[i]) {
            return alive;
        }
        let fired = events & alive;
        if !fired.none() {
            set_words(table.row_mut(i), col, fired);
        }
        alive & !fired
    }

    /// Writes the completed shots `alive` of a block into column words `col..` of `table`: their
    /// detection events, and their observables or end-of-shot observables.
    #[inline(always)]
    fn packed_finish<const AVX: bool>(
        &self,
        ws: &mut Workspace,
        rng: &mut impl RngCore,
        alive: L,
        out: Readout,
        table: &mut BitTable,
        col: usize,
    ) {
        let dets = self.num_detectors;
        for (d, &events) in ws.packed.detectors.iter().enumerate() {
            set_words(table.row_mut(d), col, events & alive);
        }
        let Some(e) = out.end_of_shot else {
            for (k, (&o, &e)) in ws
                .packed
                .observables
                .iter()
                .zip(&self.expected_observables)
                .enumerate()
            {
                set_words(table.row_mut(dets + k), col, (o ^ L::all(e)) & alive);
            }
            return;
        };
        let replay = |at: u32, key: usize, amps: &mut Vec<C>| self.dense_step::<AVX>(at, key, amps);
        let mut groups = std::mem::take(&mut ws.packed.groups);
        // The frames by shot: 64 x 64 bit transposes of each word's frame rows (rows 64b.. of
        // shot 64j + s at j * rows + 64b + s, rows being the frame's row count), so that a
        // shot's frame words are read, not gathered bit by bit.
        let mut frames = std::mem::take(&mut ws.packed.frames);
        frames.clear();
        let rows = ws.packed.frame.len();
        for j in 0..LANES {
            for chunk in ws.packed.frame.chunks_exact(64) {
                let mut block: [u64; 64] = std::array::from_fn(|r| chunk[r].0[j]);
                crate::bits::transpose64(&mut block);
                frames.extend_from_slice(&block);
            }
        }
        for group in &mut groups {
            let mask = group.mask & alive;
            if mask.none() {
                continue;
            }
            ws.trajectories
                .finish(&mut group.cur, &mut group.amps, &replay);
            std::mem::swap(&mut ws.amps, &mut group.amps);
            for shot in mask.ones() {
                let p = &ws.packed;
                let (j, s) = (shot >> 6, shot & 63);
                let bit = |word: &L| word.0[j] >> s & 1 == 1;
                let base = j * rows;
                for (b, f) in ws.frame.bits.iter_mut().enumerate() {
                    *f = frames[base + 64 * b + s];
                }
                for (b, word) in ws.detectors.iter_mut().zip(&p.detectors) {
                    *b = bit(word);
                }
                for (b, word) in ws.record.iter_mut().zip(&p.record) {
                    *b = bit(word);
                }
                for ((b, word), &e) in ws
                    .observables
                    .iter_mut()
                    .zip(&p.observables)
                    .zip(&self.expected_observables)
                {
                    *b = bit(word) ^ e;
                }
                let obs = e.observables(self, ws, rng);
                for k in 0..e.count().min(64) {
                    table.row_mut(dets + k)[col + j] |= (obs >> k & 1) << s;
                }
            }
            std::mem::swap(&mut ws.amps, &mut group.amps);
        }
        ws.packed.groups = groups;
        ws.packed.frames = frames;
    }

    /// The hit at operation `at` on shot `shot`: a measurement flip when `channel` is NONE,
    /// else Pauli bits `outcome` on target `target` of that channel (its images and first
    /// generator, `2 arity` of each per target).
    #[inline(always)]
    pub(super) fn hit(&self, at: u32, shot: usize, channel: u32, target: u32, outcome: u8) -> Hit {
        let first = self.effects.as_ref().map_or(NONE, |e| e.first[at as usize]);
        let shot = shot as u16;
        if channel == NONE {
            return Hit {
                at,
                shot,
                outcome: 1,
                images: NONE,
                generator: first,
            };
        }
        let ch = &self.steps.channels[channel as usize];
        Hit {
            at,
            shot,
            outcome,
            images: ch.target_images(target, self.words),
            generator: ch.target_generator(first, target),
        }
    }

    /// Draws the channel hits and measurement flips of the shots of `live` (a block) into
    /// `hits`: geometric gaps over (trial, shot) pairs numbered trial * SHOTS + shot, one noise
    /// class after another, as the frame sampler draws. Effects add in any order, and only the
    /// few shots the step list runs need their hits in operation order (the queue sorts them).
    fn draw_hits(&self, e: &NoiseEffects, rng: &mut impl RngCore, live: L, hits: &mut Vec<Hit>) {
        for (c, (trial, n)) in self.noise_classes.iter().enumerate() {
            let by_trial = &e.trials[c];
            trial.for_each_hit(n << SHIFT, rng, |flat, rng| {
                let s = flat as usize & (SHOTS - 1);
                if !live.has(s) {
                    return;
                }
                let t = &by_trial[(flat >> SHIFT) as usize];
                let outcome = e
                    .pickers
                    .get(t.picker as usize)
                    .map_or(1, |ch| ch.pick(rng));
                hits.push(Hit {
                    at: t.at,
                    shot: s as u16,
                    outcome,
                    images: t.images,
                    generator: t.generator,
                });
            });
        }
    }

    /// Each shot of `live` draws its faults from `source`; they go into `list` as hits, shot
    /// by shot, each shot's in operation order (the queue sorts the step list's by operation).
    /// A measurement flip applies once however many faults are placed on it (as in
    /// [`super::NoiseMode::Fixed`]).
    fn place_faults(
        &self,
        source: &dyn FaultSource,
        rng: &mut impl RngCore,
        live: L,
        list: &mut Vec<Hit>,
        placed: &mut Vec<Injection>,
    ) {
        for shot in live.ones() {
            placed.clear();
            source.draw(rng, placed);
            placed.sort_unstable();
            let mut flipped_at = NONE;
            for inj in placed.iter() {
                let channel = self.steps.channel_at[inj.op as usize];
                if channel == NONE {
                    if inj.op == flipped_at {
                        continue;
                    }
                    flipped_at = inj.op;
                }
                list.push(self.hit(inj.op, shot, channel, inj.target, inj.outcome));
            }
        }
    }

    /// Finishes from the effect table `e` the shots of `live` (a block) whose fate the frame
    /// decides (docs/exact-engine.md, "Noise that commutes with every rotation"), writing them
    /// into column words `col..` of `table`: a shot that a postselected detector discards
    /// before its first flipped sign (that detector alone), and, unless the final state is
    /// read, a shot whose hits flip no sign (its detection events and observables). `effects`
    /// holds the effect row of each shot of `touched` (the others had no hit) and `deciding`
    /// the items that decide a fate (the signs and postselected detectors): as items are
    /// numbered in operation order, a shot's first deciding item is its fate. Returns the
    /// others, which the step list runs.
    #[allow(clippy::too_many_arguments)]
    fn finish_linear(
        &self,
        e: &NoiseEffects,
        live: L,
        touched: L,
        out: Readout,
        effects: &[u64],
        deciding: &[u64],
        table: &mut BitTable,
        col: usize,
    ) -> L {
        let (w, dets) = (e.words, self.num_detectors);
        let state = out.end_of_shot.is_some();
        let mut hard = L::ZERO;
        // Shots without a hit are noiseless.
        let mut accepted = live & !touched;
        for s in (live & touched).ones() {
            let row = &effects[s * w..][..w];
            let (j, bit) = (col + (s >> 6), 1u64 << (s & 63));
            match first_common(row, deciding) {
                None => {
                    accepted.set(s);
                    if state {
                        continue;
                    }
                    // Only non-postselected detectors and observables are left in the row.
                    for i in ones_of(row) {
                        let r = match e.item_detector.get(i) {
                            Some(&d) => d as usize,
                            None => dets + i - e.decisions,
                        };
                        table.row_mut(r)[j] ^= bit;
                    }
                }
                Some(i) => match e.item_detector[i] {
                    NONE => hard.set(s),
                    d => table.row_mut(d as usize)[j] |= bit,
                },
            }
        }
        if state {
            return hard | accepted;
        }
        for (k, _) in self
            .expected_observables
            .iter()
            .enumerate()
            .filter(|x| *x.1)
        {
            // An accepted shot's observable row holds its flips: XOR with the noiseless value.
            let row = table.row_mut(dets + k);
            for (word, &b) in row[col..].iter_mut().zip(&accepted.0) {
                *word ^= b;
            }
        }
        hard
    }

    /// Applies every channel hit at an operation before `limit` to the shots of `alive` (the
    /// others' are skipped, a lazily drawn one without drawing its Pauli); returns the
    /// operation of the next hit.
    #[inline(always)]
    fn packed_hits(
        &self,
        frame: &mut [L],
        source: &mut Source,
        rng: &mut impl RngCore,
        limit: u32,
        alive: L,
    ) -> u32 {
        let stride = 2 * self.words;
        let pool = &self.steps.pool;
        let apply = |frame: &mut [L], images: usize, outcome: u8, shot: usize| {
            let mut bits = outcome;
            while bits != 0 {
                let k = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                xor_pauli_shot(frame, &pool[images + k * stride..][..stride], shot);
            }
        };
        match source {
            Source::Drawn { list, cursor } => {
                while let Some(h) = list.get(*cursor) {
                    if h.at >= limit {
                        return h.at;
                    }
                    *cursor += 1;
                    let shot = h.shot as usize;
                    if h.images != NONE && alive.has(shot) {
                        apply(frame, h.images as usize, h.outcome, shot);
                    }
                }
                u32::MAX
            }
            Source::Lazy(hits) => loop {
                let (c, at) = hits.next();
                if at >= limit || at == u32::MAX {
                    return at;
                }
                let channel = hits.channel[c];
                let ch = &self.steps.channels[channel as usize];
                let flat = hits.trial[c];
                let target = ((flat >> SHIFT) - ch.first) as u32;
                let shot = flat as usize & (SHOTS - 1);
                if alive.has(shot) {
                    let h = self.hit(at, shot, channel, target, ch.channel.pick(rng));
                    apply(frame, h.images as usize, h.outcome, shot);
                }
                self.advance_hit(hits, rng, c);
            },
        }
    }

    /// The shots whose record of the measurement at operation `at` (flip `flip`) is flipped.
    #[inline(always)]
    fn packed_flips(&self, source: &mut Source, rng: &mut impl RngCore, at: u32, flip: u32) -> L {
        let mut flipped = L::ZERO;
        match source {
            // The hits at a measurement's operation are its flips.
            Source::Drawn { list, cursor } => {
                while let Some(h) = list.get(*cursor).filter(|h| h.at == at) {
                    flipped |= L::shot(h.shot as usize);
                    *cursor += 1;
                }
            }
            Source::Lazy(hits) => {
                let (class, trial) = self.steps.flips[flip as usize];
                let c = class as usize;
                while hits.trial[c] >> SHIFT == trial {
                    flipped |= L::shot(hits.trial[c] as usize & (SHOTS - 1));
                    self.advance_hit(hits, rng, c);
                }
            }
        }
        flipped
    }

    /// Draws the next hit of noise class `class` after the current one, over (trial, shot)
    /// pairs numbered trial * SHOTS + shot.
    #[inline(always)]
    fn advance_hit(&self, hits: &mut Hits, rng: &mut impl RngCore, class: usize) {
        let gap = self.noise_classes[class].0.gap(rng);
        let next = hits.trial[class].saturating_add(1).saturating_add(gap);
        set_hit(hits, &self.steps, class, next);
    }
}

/// XORs into shot `s`'s row of `effects` the effect rows of the generators that Pauli bits
/// `outcome` pick from generator `first` on ([`NoiseEffects::xor_picked`]).
#[inline(always)]
fn xor_effect<const W: usize>(
    effects: &mut [u64],
    e: &NoiseEffects,
    first: u32,
    outcome: u8,
    s: usize,
) {
    let w = if W == 0 { e.words } else { W };
    e.xor_picked::<W>(&mut effects[s * w..], first, outcome);
}

/// XORs each hit's effect rows into its shot's row of `effects`; returns the shots with such a
/// hit. This is a second pass after the draw: the rows' loads are independent, so they overlap
/// here rather than wait behind each draw's logarithm. Kept out of the AVX2 executor: compiled
/// for AVX2 these short row loops were slower (docs/exact-engine.md, "Layouts tried").
#[inline(never)]
fn xor_hits(effects: &mut [u64], e: &NoiseEffects, hits: &[Hit]) -> L {
    // Rows of a few words are XORed at a length known when compiling.
    match e.words {
        1 => xor_hits_in::<1>(effects, e, hits),
        2 => xor_hits_in::<2>(effects, e, hits),
        3 => xor_hits_in::<3>(effects, e, hits),
        4 => xor_hits_in::<4>(effects, e, hits),
        5 => xor_hits_in::<5>(effects, e, hits),
        6 => xor_hits_in::<6>(effects, e, hits),
        7 => xor_hits_in::<7>(effects, e, hits),
        8 => xor_hits_in::<8>(effects, e, hits),
        _ => xor_hits_in::<0>(effects, e, hits),
    }
}

/// [`xor_hits`] with rows of `W` words (`e.words` when `W` is 0).
fn xor_hits_in<const W: usize>(effects: &mut [u64], e: &NoiseEffects, hits: &[Hit]) -> L {
    let mut touched = L::ZERO;
    for h in hits.iter().filter(|h| h.generator != NONE) {
        xor_effect::<W>(effects, e, h.generator, h.outcome, h.shot as usize);
        touched.set(h.shot as usize);
    }
    touched
}

/// The set bits of `words`, lowest first.
fn ones_of(words: &[u64]) -> impl Iterator<Item = usize> + '_ {
    words
        .iter()
        .enumerate()
        .flat_map(|(k, &w)| Ones(w).map(move |b| 64 * k + b))
}

/// Sets class `class`'s next hit to the pair numbered `flat` (trial * SHOTS + shot).
#[inline(always)]
fn set_hit(hits: &mut Hits, steps: &Steps, class: usize, flat: u64) {
    hits.set(steps, class, flat >> SHIFT);
    hits.trial[class] = flat;
}

/// ORs a block's bits into the column words `col..` of a table row (the words of the block
/// past the row's end hold no shot).
#[inline(always)]
fn set_words(row: &mut [u64], col: usize, bits: L) {
    for (word, &b) in row[col..].iter_mut().zip(&bits.0) {
        *word |= b;
    }
}

/// The parity of the records `list`, per shot.
#[inline(always)]
fn parity(record: &[L], list: &[u32]) -> L {
    list.iter()
        .fold(L::ZERO, |acc, &r| acc ^ record[r as usize])
}

/// A [`Step::MeasureRandom`] on every shot (as `measure_random` in one shot): a fair coin per
/// shot, then H on the qubit and the coin's X into the frame.
#[inline(always)]
fn measure_random(
    step: Step,
    frame: &mut [L],
    half: usize,
    rng: &mut impl RngCore,
) -> (L, bool, u32, u32, u32, u32) {
    let Step::MeasureRandom {
        qubit,
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
    let q = qubit as usize;
    let z = frame[half + q];
    let r = L::random(rng);
    frame.swap(q, half + q);
    frame[q] ^= r;
    (r ^ z ^ L::all(negative), invert, record, flip, reset, then)
}
