//! Frame-linear detectors: the detectors of a compiled program whose value, for a fixed set of
//! placed faults, is the same in every shot and linear in the faults.
//!
//! A shot ([`ExactProgram::run_shot`]) keeps a Pauli frame (bits) and a dense vector. The
//! frame only ever changes by GF(2)-affine steps: virtual Cliffords ([`Op::Reduce`], the frame
//! half of [`Op::Dense`]), XORs of constant Paulis (faults, [`Op::Correlated`]), and XORs of a
//! constant Pauli times a bit (the reset after a measurement whose outcome is 1, feedback from a
//! record; an activation clears the z bit of its dormant qubit, a gauge). A rotation
//! ([`Op::Rotate`]) only flips its angle's sign when the frame anticommutes with it: it changes
//! the dense vector, never the frame. A record is
//! affine in the frame and in one fresh bit per non-deterministic outcome: a fixed measurement
//! is its sign XOR the frame's anticommutation with a constant Pauli; a random one XORs in a
//! fair coin; a dense one XORs in a bit sampled from the amplitudes (which depend on the angles
//! and so on the frame in no affine way: an opaque variable). Which of the three a measurement
//! is was decided by the compiler from the tableau alone (whether the measured image has X on
//! a dormant qubit or touches an active one), never from the amplitudes; no step is skipped
//! or chosen by an outcome, except that a shot may stop at a firing postselected detector,
//! which only ends it.
//!
//! So running the frame steps on bit-vector rows instead of bits (one column per variable: each
//! coin, each dense outcome, each fault generator) gives every detector as an affine form. A
//! detector whose form has no coin and no dense outcome is *frame-linear*: its detection event
//! (value XOR its noiseless value, which is the form's constant) is the XOR of its fault
//! columns, in every shot, whatever the angles and the dense state do. The resets that follow
//! random measurements are run like any other step, so a coin that a reset cancels cancels
//! here too.
//!
//! Faults are placed as in [`super::NoiseMode::Fixed`]: a Pauli on a channel target XORs its
//! X and Z images (one variable each per qubit); a measurement flip or a correlated error
//! applies once however many faults are placed on it, so symptoms add only for configurations
//! with at most one fault per such operation ([`frame_linear`] refuses a list with two).

use super::program::{ExactProgram, FinalObservable, Injection, MeasureKind, Op};
use crate::frame::noise::PauliChannel;

/// The frame-linear detectors of a program and each listed fault's symptom on them.
#[derive(Clone, Debug)]
pub struct FrameLinear {
    /// Per detector `0..detectors`: whether it is frame-linear.
    pub linear: Vec<bool>,
    /// Words per fault in `symptoms`.
    pub words: usize,
    /// Per listed fault, `words` words: bit i is its detection event on detector i (0 on the
    /// detectors that are not frame-linear).
    pub symptoms: Vec<u64>,
}

/// Affine forms over the variables (packed rows; the constant is dropped: every step maps
/// linear parts to linear parts, and the constants are the noiseless values).
struct Rows {
    width: usize,
    data: Vec<u64>,
}

impl Rows {
    fn row(&self, r: usize) -> &[u64] {
        &self.data[r * self.width..(r + 1) * self.width]
    }

    /// row dst ^= row src.
    fn xor(&mut self, dst: usize, src: usize) {
        if dst == src {
            self.data[dst * self.width..(dst + 1) * self.width].fill(0);
            return;
        }
        let w = self.width;
        let (lo, hi) = self.data.split_at_mut(dst.max(src) * w);
        let (d, s) = if dst < src {
            (&mut lo[dst * w..(dst + 1) * w], &hi[..w])
        } else {
            (&mut hi[..w], &lo[src * w..(src + 1) * w])
        };
        for (a, b) in d.iter_mut().zip(s) {
            *a ^= b;
        }
    }

    fn copy(&mut self, dst: usize, src: usize) {
        let w = self.width;
        self.data.copy_within(src * w..(src + 1) * w, dst * w);
    }

    fn clear(&mut self, r: usize) {
        self.data[r * self.width..(r + 1) * self.width].fill(0);
    }

    fn flip(&mut self, r: usize, var: usize) {
        self.data[r * self.width + var / 64] ^= 1 << (var % 64);
    }

    fn swap(&mut self, a: usize, b: usize) {
        for k in 0..self.width {
            self.data.swap(a * self.width + k, b * self.width + k);
        }
    }
}

/// Bits set in the first `n` bits of `words`.
fn ones(words: &[u64], n: usize) -> impl Iterator<Item = usize> + '_ {
    words.iter().enumerate().flat_map(move |(k, &w)| {
        let mut rest = w;
        std::iter::from_fn(move || {
            (rest != 0).then(|| {
                let b = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                64 * k + b
            })
        })
        .take_while(move |&q| q < n)
    })
}

/// An affine form the walk reports: what it is the value of.
#[derive(Clone, Copy, Debug)]
enum Form {
    Detector(u32),
    Observable(u32),
    /// The sign of a rotation's angle on the active qubits (its frame test).
    Sign,
    /// The frame's anticommutation, at the end of the shot, with one of the Paulis the walk was
    /// given (final observables: the sign of their expectation value).
    Final,
}

/// Runs the frame steps of `program` on affine forms over `vars` variables: the generators of
/// the operations that `base` numbers (a Noise op's generators from `base[op]` on, target by
/// target; one for a recorded measurement's flip or a correlated error) and, when `coins`, the
/// coins and dense outcomes first (variables `0..`, one per random or dense measurement).
/// Calls `seen(op, form, row)` with the form of every detector, observable and sign, then
/// (op = the number of ops) with the final frame's anticommutation with each of `finals`
/// (x words then z words).
fn walk(
    program: &ExactProgram,
    base: &[Option<usize>],
    vars: usize,
    coins: bool,
    finals: &[Vec<u64>],
    mut seen: impl FnMut(usize, Form, &[u64]),
) {
    let ops = &program.ops;
    let (n, w) = (program.num_qubits, program.words);
    let width = vars.div_ceil(64).max(1);
    // Rows: frame x (0..n), frame z (n..2n), two scratch rows, then the records.
    let (t0, t1, rec0) = (2 * n, 2 * n + 1, 2 * n + 2);
    let mut rows = Rows {
        width,
        data: vec![0; (rec0 + program.num_measurements) * width],
    };
    // row dst ^= the frame's anticommutation with the Pauli `p` (x words then z words).
    let anticommutation = |rows: &mut Rows, dst: usize, p: &[u64]| {
        for q in ones(&p[w..2 * w], n) {
            rows.xor(dst, q);
        }
        for q in ones(&p[..w], n) {
            rows.xor(dst, n + q);
        }
    };
    // The frame ^= the Pauli `p` times row `src`.
    let conditional = |rows: &mut Rows, p: &[u64], src: usize| {
        for q in ones(&p[..w], n) {
            rows.xor(q, src);
        }
        for q in ones(&p[w..2 * w], n) {
            rows.xor(n + q, src);
        }
    };
    // A coin or dense outcome: variable `random` when coins are variables, else nothing.
    let mut random = 0usize;
    let coin = |rows: &mut Rows, r: usize, random: usize| {
        if coins {
            rows.flip(r, random);
        }
    };
    for (i, op) in ops.iter().enumerate() {
        match op {
            Op::Reduce(r) => {
                let j = r.qubit;
                rows.copy(t0, j);
                rows.clear(t1);
                for q in ones(&r.cx, n) {
                    rows.xor(t1, n + q);
                }
                for q in ones(&r.cx, n) {
                    rows.xor(q, t0);
                }
                for q in ones(&r.cz, n) {
                    rows.xor(n + q, t0);
                }
                for q in ones(&r.cz, n) {
                    rows.xor(t1, q);
                }
                if r.sdag {
                    rows.xor(t1, t0);
                }
                rows.xor(n + j, t1);
            }
            Op::Dense(g, _) => {
                use super::pauli::VGate;
                match *g {
                    VGate::H(a) => rows.swap(a, n + a),
                    VGate::S(a) | VGate::SDag(a) => rows.xor(n + a, a),
                    VGate::Cx(a, b) => {
                        rows.xor(b, a);
                        rows.xor(n + a, n + b);
                    }
                    VGate::Cz(a, b) => {
                        rows.xor(n + b, a);
                        rows.xor(n + a, b);
                    }
                }
            }
            // The executors clear the frame's z bit of the qubit that joins the vector (a
            // gauge), so an activation's sign never flips.
            Op::Activate { qubit, .. } => rows.clear(n + qubit),
            Op::Rotate { test, .. } => {
                rows.clear(t0);
                anticommutation(&mut rows, t0, test);
                seen(i, Form::Sign, rows.row(t0));
            }
            Op::Measure {
                kind,
                record,
                reset,
                ..
            } => {
                // t0: the outcome before the record's flip.
                rows.clear(t0);
                match kind {
                    MeasureKind::Fixed { test, .. } => anticommutation(&mut rows, t0, test),
                    MeasureKind::Random { qubit, .. } => {
                        let q = *qubit;
                        rows.copy(t0, n + q);
                        coin(&mut rows, t0, random);
                        rows.swap(q, n + q);
                        coin(&mut rows, q, random);
                        random += 1;
                    }
                    MeasureKind::Dense { qubit, test, .. } => {
                        anticommutation(&mut rows, t0, test);
                        coin(&mut rows, t0, random);
                        coin(&mut rows, *qubit, random);
                        random += 1;
                    }
                }
                if let Some(reset) = reset {
                    conditional(&mut rows, reset, t0);
                }
                if let Some(r) = record {
                    let r = rec0 + *r as usize;
                    rows.copy(r, t0);
                    if let Some(v) = base[i] {
                        rows.flip(r, v);
                    }
                }
            }
            Op::FrameIfRecord { record, bits } => {
                conditional(&mut rows, bits, rec0 + *record as usize)
            }
            Op::Noise {
                arity,
                targets,
                images,
                ..
            } => {
                let Some(v) = base[i] else { continue };
                let stride = 2 * w;
                for g in 0..2 * arity * targets {
                    let image = &images[g * stride..(g + 1) * stride];
                    for q in ones(&image[..w], n) {
                        rows.flip(q, v + g);
                    }
                    for q in ones(&image[w..], n) {
                        rows.flip(n + q, v + g);
                    }
                }
            }
            Op::Correlated { bits, .. } => {
                let Some(v) = base[i] else { continue };
                for q in ones(&bits[..w], n) {
                    rows.flip(q, v);
                }
                for q in ones(&bits[w..], n) {
                    rows.flip(n + q, v);
                }
            }
            Op::Detector { index, records } | Op::Observable { index, records } => {
                rows.clear(t0);
                for &r in records {
                    rows.xor(t0, rec0 + r as usize);
                }
                let form = match op {
                    Op::Detector { .. } => Form::Detector(*index),
                    _ => Form::Observable(*index),
                };
                seen(i, form, rows.row(t0));
            }
        }
    }
    for p in finals {
        rows.clear(t0);
        anticommutation(&mut rows, t0, p);
        seen(ops.len(), Form::Final, rows.row(t0));
    }
}

/// The random (coin and dense outcome) measurements of a program.
fn coin_count(ops: &[Op]) -> usize {
    ops.iter()
        .filter(|op| {
            matches!(
                op,
                Op::Measure {
                    kind: MeasureKind::Random { .. } | MeasureKind::Dense { .. },
                    ..
                }
            )
        })
        .count()
}

/// Generators an operation has as variables: every Pauli of a channel's targets, and one for
/// a recorded measurement's flip or a correlated error.
fn generators(op: &Op) -> usize {
    match op {
        Op::Noise { arity, targets, .. } => 2 * arity * targets,
        Op::Measure {
            flip: Some(_),
            record: Some(_),
            ..
        }
        | Op::Correlated { .. } => 1,
        _ => 0,
    }
}

/// The effect table of every noise generator of a program on the noiseless process: which
/// rotation signs it flips, and which detectors and observables it flips (its *Pauli-frame
/// effect*, docs/exact-engine.md, "Noise that commutes with every rotation").
///
/// A shot whose faults together flip no sign is the noiseless process with its records XORed
/// by the faults' frame: every detector and observable is deterministic in the noiseless
/// circuit, so their values are the XOR of the faults' columns, with no dense work at all.
/// And until the first flipped sign, any shot is such a process: a postselected detector that
/// fires before it ends the shot there, as the engine would.
#[derive(Clone, Debug)]
pub(super) struct NoiseEffects {
    /// Per operation, its first generator (`u32::MAX`: none): a channel's generator
    /// `2 arity t + k` of target `t` is bit k of a hit's outcome; a flip has one.
    pub first: Vec<u32>,
    /// The *items* a generator can flip are numbered: the signs and detectors in operation
    /// order (where a shot's fate can be decided), then the observables.
    pub decisions: usize,
    /// Per item below `decisions`: its detector, or `u32::MAX` for a sign.
    pub item_detector: Vec<u32>,
    /// Per detector, its item.
    pub detector_item: Vec<u32>,
    /// Words of one effect row (bit i: item i).
    pub words: usize,
    /// The signs as a row.
    pub sign_row: Vec<u64>,
    /// Per generator g, its effect row (the items it flips): `rows[g words..(g + 1) words]`.
    pub rows: Vec<u64>,
    /// Per noise class, per trial: everything a drawn hit needs, so that it never looks up
    /// its operation.
    pub trials: Vec<Vec<Trial>>,
    /// The distinct channels of the program (a few), which pick a hit's Pauli.
    pub pickers: Vec<PauliChannel>,
}

/// One noise trial of the effect table (`u32::MAX`: none, in every field).
#[derive(Clone, Copy, Debug)]
pub(super) struct Trial {
    /// Its target's first generator: its effect row.
    pub generator: u32,
    /// Its channel in [`NoiseEffects::pickers`] (none: a measurement flip).
    pub picker: u32,
    /// Its operation, and where its target's images start in the step list's pool (none: a
    /// measurement flip), for the hits of the shots that the step list runs.
    pub at: u32,
    pub images: u32,
}

/// The effect tables are not built beyond this many bytes (the walk's forms or the table).
const EFFECTS_MAX_BYTES: usize = 256 << 20;

/// The lowest bit set in both `a` and `b`: with `b` the deciding items of
/// [`NoiseEffects::deciding_row`], the item that decides a shot whose effect row is `a`.
#[inline(always)]
pub(super) fn first_common(a: &[u64], b: &[u64]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x & y != 0)
        .map(|k| 64 * k + (a[k] & b[k]).trailing_zeros() as usize)
}

impl NoiseEffects {
    /// XORs into `row` (`W` words; `self.words` when `W` is 0) the effect rows of the
    /// generators that Pauli bits `outcome` pick from generator `first` on (only those:
    /// masking all four candidates instead of branching was 10% slower at d = 5, for the loads).
    #[inline(always)]
    pub fn xor_picked<const W: usize>(&self, row: &mut [u64], first: u32, outcome: u8) {
        let w = if W == 0 { self.words } else { W };
        let row = &mut row[..w];
        let mut bits = outcome;
        while bits != 0 {
            let g = first as usize + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            for (a, &b) in row.iter_mut().zip(&self.rows[g * w..][..w]) {
                *a ^= b;
            }
        }
    }

    /// The items that decide a shot's fate, into `row`: the signs and the detectors
    /// `postselect` marks.
    pub fn deciding_row(&self, postselect: Option<&[bool]>, row: &mut Vec<u64>) {
        row.clear();
        row.extend_from_slice(&self.sign_row);
        for (d, _) in postselect
            .unwrap_or(&[])
            .iter()
            .enumerate()
            .filter(|p| *p.1)
        {
            if let Some(&item) = self.detector_item.get(d) {
                row[item as usize / 64] |= 1 << (item % 64);
            }
        }
    }

    /// The table of `program`; `None` when it has correlated errors (drawn in the step list,
    /// not up front) or when the table would pass [`EFFECTS_MAX_BYTES`].
    pub fn new(program: &ExactProgram) -> Option<NoiseEffects> {
        let ops = &program.ops;
        if ops.iter().any(|op| matches!(op, Op::Correlated { .. })) {
            return None;
        }
        let mut base = vec![None; ops.len()];
        let mut vars = 0usize;
        for (i, op) in ops.iter().enumerate() {
            let g = generators(op);
            if g > 0 {
                base[i] = Some(vars);
                vars += g;
            }
        }
        let signs = ops
            .iter()
            .filter(|op| matches!(op, Op::Rotate { .. }))
            .count();
        let (dets, obs) = (program.num_detectors, program.num_observables);
        let width = vars.div_ceil(64).max(1);
        let forms = (2 * program.num_qubits + 2 + program.num_measurements + signs + dets + obs)
            .saturating_mul(width);
        let all_trials: u64 = program.noise_classes.iter().map(|c| c.1).sum();
        let all_trials = usize::try_from(all_trials).unwrap_or(usize::MAX);
        // Items: the signs and detectors in operation order, then the observables.
        let decisions = signs + dets;
        let words = (decisions + obs).div_ceil(64).max(1);
        let rows_len = vars.saturating_mul(words);
        if forms.max(all_trials).saturating_mul(16) > EFFECTS_MAX_BYTES
            || rows_len.saturating_mul(8) > EFFECTS_MAX_BYTES
        {
            return None;
        }
        let mut rows = vec![0u64; rows_len];
        let mut item_detector = Vec::with_capacity(decisions);
        let mut detector_item = vec![u32::MAX; dets];
        // Bit `item` of the row of every generator the form has.
        let mut column = |row: &[u64], item: usize| {
            for v in ones(row, vars) {
                rows[v * words + item / 64] ^= 1 << (item % 64);
            }
        };
        walk(
            program,
            &base,
            vars,
            false,
            &[],
            |_, form, row| match form {
                Form::Sign => {
                    column(row, item_detector.len());
                    item_detector.push(u32::MAX);
                }
                Form::Detector(d) if (d as usize) < dets => {
                    let item = item_detector.len();
                    column(row, item);
                    detector_item[d as usize] = item as u32;
                    item_detector.push(d);
                }
                Form::Observable(o) if (o as usize) < obs => column(row, decisions + o as usize),
                _ => {}
            },
        );
        // Every sign and detector has its item (an unused one would read as a sign nobody flips).
        debug_assert_eq!(item_detector.len(), decisions);
        item_detector.resize(decisions, u32::MAX);
        let mut sign_row = vec![0u64; words];
        for (i, _) in item_detector
            .iter()
            .enumerate()
            .filter(|d| *d.1 == u32::MAX)
        {
            sign_row[i / 64] |= 1 << (i % 64);
        }
        let first: Vec<u32> = base
            .iter()
            .map(|b| b.map_or(u32::MAX, |v| v as u32))
            .collect();
        let steps = &program.steps;
        let mut pickers: Vec<PauliChannel> = Vec::new();
        let picker = |pickers: &mut Vec<PauliChannel>, ch: &PauliChannel| {
            let k = pickers.iter().position(|p| p == ch).unwrap_or_else(|| {
                pickers.push(ch.clone());
                pickers.len() - 1
            });
            k as u32
        };
        let mut trials = Vec::with_capacity(program.noise_classes.len());
        for (c, &(_, n)) in program.noise_classes.iter().enumerate() {
            let mut by_trial = Vec::with_capacity(n as usize);
            for t in 0..n {
                let (at, channel) = steps.classes[c].hit(t);
                let generator = first.get(at as usize).copied().unwrap_or(u32::MAX);
                by_trial.push(match steps.channels.get(channel as usize) {
                    Some(ch) => {
                        let target = (t - ch.first) as u32;
                        Trial {
                            generator: ch.target_generator(generator, target),
                            picker: picker(&mut pickers, &ch.channel),
                            at,
                            images: ch.target_images(target, program.words),
                        }
                    }
                    None => Trial {
                        generator,
                        picker: u32::MAX,
                        at,
                        images: u32::MAX,
                    },
                });
            }
            trials.push(by_trial);
        }
        Some(NoiseEffects {
            first,
            decisions,
            item_detector,
            detector_item,
            words,
            sign_row,
            rows,
            trials,
            pickers,
        })
    }
}

/// Per detector `0..detectors` of `program`, whether it is frame-linear, and the symptom of
/// each of `faults` (see the module documentation). An error when two faults share a
/// measurement flip or a correlated error (their effects would not add).
pub fn frame_linear(
    program: &ExactProgram,
    faults: &[Injection],
    detectors: usize,
) -> Result<FrameLinear, String> {
    let ops = &program.ops;
    // Variables: coins and dense outcomes first, then the generators of every operation a
    // listed fault is placed on.
    let randoms = coin_count(ops);
    let mut base: Vec<Option<usize>> = vec![None; ops.len()];
    let mut vars = randoms;
    let mut sorted: Vec<usize> = (0..faults.len()).collect();
    sorted.sort_unstable_by_key(|&i| faults[i]);
    for pair in sorted.windows(2) {
        let (a, b) = (faults[pair[0]], faults[pair[1]]);
        if a.op == b.op && a.target == b.target && a != b {
            if let Some(Op::Measure { .. } | Op::Correlated { .. }) = ops.get(a.op as usize) {
                return Err(format!(
                    "two faults on operation {} (a flip or correlated error applies once)",
                    a.op
                ));
            }
        }
    }
    for f in faults {
        let op = f.op as usize;
        if base.get(op).is_some_and(Option::is_none) {
            base[op] = Some(vars);
            vars += match &ops[op] {
                Op::Noise { arity, targets, .. } => 2 * arity * targets,
                _ => 1,
            };
        }
    }
    let mut forms: Vec<Option<Vec<u64>>> = vec![None; detectors];
    walk(program, &base, vars, true, &[], |_, form, row| {
        if let Form::Detector(d) = form {
            if let Some(slot) = forms.get_mut(d as usize) {
                *slot = Some(row.to_vec());
            }
        }
    });
    // A form with no random variable is frame-linear; its fault columns are the symptoms.
    let random_free = |form: &[u64]| {
        let full = randoms / 64;
        form[..full].iter().all(|&x| x == 0)
            && (randoms.is_multiple_of(64) || form[full] & ((1u64 << (randoms % 64)) - 1) == 0)
    };
    let linear: Vec<bool> = forms
        .iter()
        .map(|f| f.as_deref().is_some_and(random_free))
        .collect();
    // Per variable, the linear detectors it flips.
    let words = detectors.div_ceil(64).max(1);
    let mut columns = vec![0u64; vars.max(1) * words];
    for (d, form) in forms.iter().enumerate().filter(|&(d, _)| linear[d]) {
        for v in ones(form.as_deref().unwrap_or(&[]), vars) {
            columns[v * words + d / 64] |= 1 << (d % 64);
        }
    }
    let mut symptoms = vec![0u64; faults.len() * words];
    for (f, out) in faults.iter().zip(symptoms.chunks_mut(words)) {
        let Some(v) = base.get(f.op as usize).copied().flatten() else {
            continue;
        };
        let generators: Vec<usize> = match &ops[f.op as usize] {
            Op::Noise { arity, .. } => {
                let first = v + f.target as usize * 2 * arity;
                (0..2 * arity)
                    .filter(|g| f.outcome >> g & 1 == 1)
                    .map(|g| first + g)
                    .collect()
            }
            Op::Measure {
                record: Some(_), ..
            }
            | Op::Correlated { .. } => vec![v],
            _ => Vec::new(),
        };
        for g in generators {
            for (o, c) in out.iter_mut().zip(&columns[g * words..(g + 1) * words]) {
                *o ^= c;
            }
        }
    }
    Ok(FrameLinear {
        linear,
        words,
        symptoms,
    })
}

/// The records (ascending) of the random measurements of `program` whose coin is a *gauge* by
/// the frame: its variable is in no detector's, observable's or rotation sign's form, nor in
/// the final frame's anticommutation with any of `finals` (the scored observables). Such a
/// coin XORs a fixed Pauli into the frame (the same whatever the faults: the walk is affine)
/// that flips no sign, so the dense vector is the same for both outcomes, and no detector,
/// observable or scored expectation sees it: both outcomes count alike, so a sum over the
/// other randomness need not walk it (docs/exact-engine.md, "Sums over outcomes"). E.g. a GHZ
/// leaf read out in X after its CH: its coin is a Z string on GHZ ancillas that the root's X
/// outcome cancels.
pub fn gauge_coins(program: &ExactProgram, finals: &[&FinalObservable]) -> Vec<u32> {
    let ops = &program.ops;
    let vars = coin_count(ops);
    let base = vec![None; ops.len()];
    let finals: Vec<Vec<u64>> = finals.iter().map(|f| f.frame_test()).collect();
    let width = vars.div_ceil(64).max(1);
    let mut seen_vars = vec![0u64; width];
    walk(program, &base, vars, true, &finals, |_, _, row| {
        for (a, b) in seen_vars.iter_mut().zip(row) {
            *a |= b;
        }
    });
    // Variables in walk order: one per random or dense measurement.
    let mut out = Vec::new();
    let mut v = 0usize;
    for op in ops {
        let Op::Measure { kind, record, .. } = op else {
            continue;
        };
        match kind {
            MeasureKind::Random { .. } => {
                if seen_vars[v / 64] >> (v % 64) & 1 == 0 {
                    if let Some(r) = record {
                        out.push(*r);
                    }
                }
                v += 1;
            }
            MeasureKind::Dense { .. } => v += 1,
            MeasureKind::Fixed { .. } => {}
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::parse_circuit;
    use crate::exact::{NoiseMode, ShotEnd};
    use rand_core::SeedableRng;

    /// Qubit 0 goes through T then T_DAG (an active qubit: its measurement is sampled from the
    /// amplitudes, so its detector is not frame-linear, although it is deterministic); qubit 1
    /// is plain; qubit 2 is measured at random and reset by MR, whose reset cancels the coin in
    /// the next measurement.
    const CIRCUIT: &str = "R 0 1
H 0
T 0
T_DAG 0
H 0
RX 2
MR 2
X_ERROR(0.1) 0 1 2
M 0 1 2
DETECTOR rec[-3]
DETECTOR rec[-2]
DETECTOR rec[-1]
";

    #[test]
    fn dense_outcomes_are_opaque_and_resets_cancel_coins() {
        let circuit = parse_circuit(CIRCUIT).unwrap();
        let program = ExactProgram::compile(&circuit).unwrap();
        // X on qubits 0, 1, 2: site 0, groups 0..3, term 1.
        let faults: Vec<Injection> = (0..3)
            .map(|g| program.injection(0, g, 1).unwrap())
            .collect();
        let fl = frame_linear(&program, &faults, 3).unwrap();
        assert_eq!(fl.linear, vec![false, true, true]);
        assert_eq!(fl.words, 1);
        assert_eq!(fl.symptoms, vec![0b000, 0b010, 0b100]);
        // The engine agrees on the frame-linear detectors, whatever its random outcomes; the
        // dense one still fires under its X (it is only not certified).
        let mut ws = program.workspace();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        for (f, want) in faults.iter().zip([0b001u64, 0b010, 0b100]) {
            for _ in 0..8 {
                let end = program.run_shot(&mut ws, &mut rng, NoiseMode::Fixed(&[*f]), None);
                assert_eq!(end, ShotEnd::Completed);
                let seen = (0..3).fold(0u64, |acc, d| acc | u64::from(ws.detectors[d]) << d);
                assert_eq!(seen, want, "{f:?}");
            }
        }
    }

    #[test]
    fn two_faults_on_one_flip_are_refused() {
        let circuit = parse_circuit("R 0\nM(0.1) 0\nDETECTOR rec[-1]\n").unwrap();
        let program = ExactProgram::compile(&circuit).unwrap();
        let flip = program.injection(0, 0, 1).unwrap();
        let other = Injection { outcome: 2, ..flip };
        assert!(frame_linear(&program, &[flip], 1).is_ok());
        assert!(frame_linear(&program, &[flip, other], 1).is_err());
    }
}
