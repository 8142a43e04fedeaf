//! The per-shot form of a compiled program: compact steps that index shared pools.
//!
//! [`Op`] is the compiler's form, convenient to build and inspect but about 140 bytes with heap
//! vectors. A shot walks [`Step`]s instead: 24 bytes, `Copy`, with every bit mask (frame
//! images, reduction masks) in one pool of words, every angle in one table and every record list
//! in one pool of indices, so that the loop over a shot streams through a few contiguous arrays.
//! Pauli channels are not steps: a shot reaches them only where they hit, through
//! [`ChannelIndex`].

use super::pauli::VGate;
use super::program::{DenseGate, MeasureKind, Op};
use crate::frame::noise::PauliChannel;

/// "No value" in a u32 field (no record, no flip, no reset).
pub(super) const NONE: u32 = u32::MAX;

/// A virtual Clifford gate on the frame, with the dense vector's slots when it also acts there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Gate {
    H,
    S,
    SDag,
    Cx,
    Cz,
}

/// What a [`Step::Reduce`] runs in the same dispatch: the step after it in the list, when that
/// is a random measurement or an activation at the very next operation (see [`Steps::pair`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Then {
    Nothing,
    MeasureRandom,
    Activate,
}

/// One per-shot step. Offsets (`masks`, `test`, `bits`, `reset`) point into
/// [`Steps::pool`]; a Pauli there takes `2 * words` words (x then z).
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    /// A reduction to X on the dormant `qubit` (see [`super::program::FrameReduction`]): `masks`
    /// holds the CX targets then the CZ targets, `words` each. `then`: the next step runs in
    /// this one's dispatch.
    Reduce {
        qubit: u32,
        masks: u32,
        sdag: bool,
        then: Then,
    },
    /// A Clifford among active qubits: virtual qubits `q` for the frame, slots `s` for the dense
    /// vector.
    Dense {
        gate: Gate,
        q: [u32; 2],
        s: [u8; 2],
    },
    /// exp(-i angle X_qubit) on a dormant qubit, which joins the dense vector; `angle` indexes
    /// [`Steps::angles`].
    Activate {
        qubit: u32,
        angle: u32,
    },
    /// exp(-i angle Q) on the slots: `masks` holds Q's x and z slot masks (two words), `test` its
    /// frame image.
    Rotate {
        masks: u32,
        test: u32,
        angle: u32,
        phase: u8,
    },
    /// Two rotations exp(-i a Q) exp(-i b Q) about the same Q, one after the other (only
    /// channels between them), as one pass over the amplitudes by the angle a + b, none when
    /// that is 0 (T then T^dag, when no fault came between). `tests` (offsets of the two frame
    /// images, the second's at `second`, where the channel hits before the second rotation are
    /// applied); `angle` indexes (sin, cos) of theta1 + theta2 and, after it, of
    /// theta1 - theta2 (used when exactly one of the two angles is flipped).
    RotatePair {
        masks: u32,
        tests: [u32; 2],
        second: u32,
        angle: u32,
        phase: u8,
    },
    /// A deterministic measurement, then its record. Every measurement has `record` (NONE: a
    /// reset's hidden measurement), `invert` (the target's `!`), `flip` (an index into
    /// [`Steps::flips`], NONE when noiseless) and `reset` (the Pauli applied when the outcome is
    /// 1, NONE when none). `then` (an index into [`Steps::fused`], NONE when none) is the
    /// detector that the next step checked: one dispatch fewer (see [`Steps::fuse`]).
    MeasureFixed {
        test: u32,
        negative: bool,
        invert: bool,
        record: u32,
        flip: u32,
        reset: u32,
        then: u32,
    },
    MeasureRandom {
        qubit: u32,
        negative: bool,
        invert: bool,
        record: u32,
        flip: u32,
        reset: u32,
        then: u32,
    },
    MeasureDense {
        qubit: u32,
        test: u32,
        slot: u8,
        negative: bool,
        invert: bool,
        record: u32,
        flip: u32,
        reset: u32,
    },
    /// Feedback: for each (record, bits) in `feedback[first..first + len]`, XOR the Pauli at
    /// `bits` into the frame when the record is 1. Consecutive feedback steps are one step.
    FrameIfRecord {
        first: u32,
        len: u32,
    },
    /// E / ELSE_CORRELATED_ERROR: probability `p` (an f64's bits in the pool), Pauli at `bits`.
    Correlated {
        p: u32,
        bits: u32,
        else_branch: bool,
    },
    /// Detector `index` over records `lists[first..first + len]`.
    Detector {
        index: u32,
        first: u32,
        len: u32,
    },
    Observable {
        index: u32,
        first: u32,
        len: u32,
    },
}

/// One Pauli channel: its trials are `first..` of its noise class; `images` (an offset in the
/// pool) holds, per target, the frame images of X and Z of each of its `arity` qubits.
#[derive(Clone, Debug)]
pub(super) struct ChannelStep {
    pub first: u64,
    pub channel: PauliChannel,
    pub arity: u8,
    pub images: u32,
}

impl ChannelStep {
    /// Where in the pool the images of target `target`'s Paulis start (`2 arity` images of
    /// two halves of `words` words each per target).
    #[inline(always)]
    pub fn target_images(&self, target: u32, words: usize) -> u32 {
        self.images + target * 2 * u32::from(self.arity) * 2 * words as u32
    }

    /// Target `target`'s first generator in an effect table where the channel's first is
    /// `first` (`NONE` stays `NONE`): `2 arity` generators per target.
    #[inline(always)]
    pub fn target_generator(&self, first: u32, target: u32) -> u32 {
        if first == NONE {
            NONE
        } else {
            first + target * 2 * u32::from(self.arity)
        }
    }
}

/// Where the trials of one noise class happen: entries (first trial, trials, operation,
/// channel or NONE for a measurement flip) sorted by trial, and for every bucket of 2^shift
/// trials the entry holding the bucket's first trial, so that finding a hit's operation is a
/// lookup and a short scan instead of a binary search. Buckets are at least 8 trials and at most
/// about two per entry, so the index is never larger than the entries.
#[derive(Clone, Debug, Default)]
pub(super) struct ChannelIndex {
    entries: Vec<(u64, u64, u32, u32)>,
    bucket: Vec<u32>,
    shift: u32,
}

impl ChannelIndex {
    fn new(mut entries: Vec<(u64, u64, u32, u32)>) -> ChannelIndex {
        entries.sort_unstable();
        let end = entries.last().map_or(0, |e| e.0 + e.1);
        let per_bucket = (end / (2 * entries.len() as u64).max(1)).max(8);
        let shift = 64 - (per_bucket - 1).leading_zeros();
        let buckets = end.div_ceil(1 << shift) as usize;
        let mut bucket = Vec::with_capacity(buckets);
        let mut i = 0usize;
        for b in 0..buckets as u64 {
            let t = b << shift;
            while i + 1 < entries.len() && entries[i + 1].0 <= t {
                i += 1;
            }
            bucket.push(i as u32);
        }
        ChannelIndex {
            entries,
            bucket,
            shift,
        }
    }

    /// The (operation, channel) where trial `trial` happens ((NONE, NONE): after the last).
    #[inline]
    pub fn hit(&self, trial: u64) -> (u32, u32) {
        let Some(&start) = self.bucket.get((trial >> self.shift) as usize) else {
            return (NONE, NONE);
        };
        let mut i = start as usize;
        while i + 1 < self.entries.len() && self.entries[i + 1].0 <= trial {
            i += 1;
        }
        let (first, trials, op, channel) = self.entries[i];
        if first <= trial && trial - first < trials {
            (op, channel)
        } else {
            (NONE, NONE)
        }
    }
}

/// The per-shot program.
#[derive(Clone, Debug, Default)]
pub(super) struct Steps {
    /// Every step but the channels, with its position in the compiler's operation list (the
    /// order channel hits are placed in).
    pub steps: Vec<(u32, Step)>,
    pub pool: Vec<u64>,
    pub angles: Vec<(f64, f64)>,
    pub lists: Vec<u32>,
    /// (noise class, trial) of each measurement flip.
    pub flips: Vec<(u32, u64)>,
    /// Detectors checked by the measurement before them: (index, first, len) as in
    /// [`Step::Detector`].
    pub fused: Vec<(u32, u32, u32)>,
    /// (record, frame bits) of every feedback Pauli ([`Step::FrameIfRecord`]).
    pub feedback: Vec<(u32, u32)>,
    pub channels: Vec<ChannelStep>,
    /// Per operation, its channel in `channels` (NONE: not a channel).
    pub channel_at: Vec<u32>,
    /// Per noise class.
    pub classes: Vec<ChannelIndex>,
}

impl Steps {
    /// Lowers the compiler's operations (frame words per Pauli half: `words`).
    pub fn new(ops: &[Op], words: usize, classes: usize) -> Steps {
        let mut s = Steps::default();
        let mut class_entries = vec![Vec::new(); classes];
        let opt = |v: Option<u32>| v.unwrap_or(NONE);
        for (i, op) in ops.iter().enumerate() {
            let at = i as u32;
            let step = match op {
                Op::Reduce(r) => {
                    debug_assert_eq!(r.cx.len(), words);
                    let masks = s.put(&r.cx);
                    s.pool.extend_from_slice(&r.cz);
                    Step::Reduce {
                        qubit: r.qubit as u32,
                        masks,
                        sdag: r.sdag,
                        then: Then::Nothing,
                    }
                }
                Op::Dense(g, d) => {
                    let (gate, q) = match *g {
                        VGate::H(a) => (Gate::H, [a, a]),
                        VGate::S(a) => (Gate::S, [a, a]),
                        VGate::SDag(a) => (Gate::SDag, [a, a]),
                        VGate::Cx(a, b) => (Gate::Cx, [a, b]),
                        VGate::Cz(a, b) => (Gate::Cz, [a, b]),
                    };
                    let sl = match *d {
                        DenseGate::H(a) | DenseGate::S(a) | DenseGate::SDag(a) => [a, a],
                        DenseGate::Cx(a, b) | DenseGate::Cz(a, b) => [a, b],
                    };
                    Step::Dense {
                        gate,
                        q: [q[0] as u32, q[1] as u32],
                        s: [sl[0] as u8, sl[1] as u8],
                    }
                }
                Op::Activate { qubit, sin_cos } => Step::Activate {
                    qubit: *qubit as u32,
                    angle: s.angle(*sin_cos),
                },
                Op::Rotate {
                    xmask,
                    zmask,
                    phase,
                    sin_cos,
                    test,
                } => {
                    let masks = s.put(&[*xmask, *zmask]);
                    Step::Rotate {
                        masks,
                        test: s.put(test),
                        angle: s.angle(*sin_cos),
                        phase: *phase,
                    }
                }
                Op::Measure {
                    kind,
                    record,
                    invert,
                    flip,
                    reset,
                    site: _,
                } => {
                    let record = opt(*record);
                    let invert = *invert;
                    let flip = match *flip {
                        Some((class, trial)) => {
                            class_entries[class as usize].push((trial, 1, at, NONE));
                            s.flips.push((class, trial));
                            s.flips.len() as u32 - 1
                        }
                        None => NONE,
                    };
                    let reset = reset.as_ref().map_or(NONE, |r| s.put(r));
                    match kind {
                        MeasureKind::Fixed { negative, test } => Step::MeasureFixed {
                            test: s.put(test),
                            negative: *negative,
                            invert,
                            record,
                            flip,
                            reset,
                            then: NONE,
                        },
                        MeasureKind::Random { qubit, negative } => Step::MeasureRandom {
                            qubit: *qubit as u32,
                            negative: *negative,
                            invert,
                            record,
                            flip,
                            reset,
                            then: NONE,
                        },
                        MeasureKind::Dense {
                            slot,
                            qubit,
                            negative,
                            test,
                        } => Step::MeasureDense {
                            qubit: *qubit as u32,
                            test: s.put(test),
                            slot: *slot as u8,
                            negative: *negative,
                            invert,
                            record,
                            flip,
                            reset,
                        },
                    }
                }
                Op::FrameIfRecord { record, bits } => {
                    let bits = s.put(bits);
                    s.feedback.push((*record, bits));
                    Step::FrameIfRecord {
                        first: s.feedback.len() as u32 - 1,
                        len: 1,
                    }
                }
                Op::Noise {
                    class,
                    first,
                    channel,
                    arity,
                    targets,
                    images,
                    ..
                } => {
                    let c = s.channels.len() as u32;
                    s.channel_at.resize(i, NONE);
                    s.channel_at.push(c);
                    let images = s.put(images);
                    s.channels.push(ChannelStep {
                        first: *first,
                        channel: channel.clone(),
                        arity: *arity as u8,
                        images,
                    });
                    class_entries[*class as usize].push((*first, *targets as u64, at, c));
                    continue;
                }
                Op::Correlated {
                    trial,
                    else_branch,
                    bits,
                    ..
                } => Step::Correlated {
                    p: s.put(&[trial.p.to_bits()]),
                    bits: s.put(bits),
                    else_branch: *else_branch,
                },
                Op::Detector { index, records } => {
                    let (first, len) = s.list(records);
                    Step::Detector {
                        index: *index,
                        first,
                        len,
                    }
                }
                Op::Observable { index, records } => {
                    let (first, len) = s.list(records);
                    Step::Observable {
                        index: *index,
                        first,
                        len,
                    }
                }
            };
            s.steps.push((at, step));
        }
        s.channel_at.resize(ops.len(), NONE);
        s.classes = class_entries.into_iter().map(ChannelIndex::new).collect();
        s.fuse();
        s.pair();
        s
    }

    /// Moves every detector that is the very next operation after a fixed or random
    /// measurement into that measurement's step. Only when nothing at all comes between them:
    /// a channel between them would draw random numbers before a discarding detector stops the
    /// shot, and the next shot of the batch continues the same random stream.
    fn fuse(&mut self) {
        let mut out: Vec<(u32, Step)> = Vec::with_capacity(self.steps.len());
        for &(at, step) in &self.steps {
            if let Step::Detector { index, first, len } = step {
                if let Some((
                    before,
                    Step::MeasureFixed { then, .. } | Step::MeasureRandom { then, .. },
                )) = out.last_mut()
                {
                    if *then == NONE && *before + 1 == at {
                        *then = self.fused.len() as u32;
                        self.fused.push((index, first, len));
                        continue;
                    }
                }
            }
            out.push((at, step));
        }
        self.steps = out;
    }

    /// Fewer dispatches per shot: two rotations about the same Pauli in a row are one
    /// ([`Step::RotatePair`]); a reduction runs the random measurement or activation that
    /// follows it at the very next operation (its usual company: the reduction exists for it),
    /// taking that step's position, so that a fault placed on the measurement and the channel
    /// hits before it stay where they were; and a run of feedback steps becomes one step (frame
    /// XORs commute with the channel hits that may lie between them, and draw nothing).
    fn pair(&mut self) {
        let mut out: Vec<(u32, Step)> = Vec::with_capacity(self.steps.len());
        let mut i = 0;
        while i < self.steps.len() {
            let (at, step) = self.steps[i];
            i += 1;
            match (step, self.steps.get(i)) {
                (
                    Step::Reduce {
                        qubit, masks, sdag, ..
                    },
                    Some(&(next_at, next)),
                ) if next_at == at + 1 => {
                    let then = match next {
                        Step::MeasureRandom { .. } => Then::MeasureRandom,
                        Step::Activate { .. } => Then::Activate,
                        _ => Then::Nothing,
                    };
                    if then == Then::Nothing {
                        out.push((at, step));
                    } else {
                        out.push((
                            next_at,
                            Step::Reduce {
                                qubit,
                                masks,
                                sdag,
                                then,
                            },
                        ));
                        out.push((next_at, next));
                        i += 1;
                    }
                }
                (
                    Step::Rotate {
                        masks,
                        test,
                        angle,
                        phase,
                    },
                    Some(&(
                        second,
                        Step::Rotate {
                            masks: masks2,
                            test: test2,
                            angle: angle2,
                            phase: phase2,
                        },
                    )),
                ) if phase == phase2
                    && self.pool[masks as usize..][..2] == self.pool[masks2 as usize..][..2] =>
                {
                    let ((s1, c1), (s2, c2)) =
                        (self.angles[angle as usize], self.angles[angle2 as usize]);
                    let sum = self.angle((s1 * c2 + c1 * s2, c1 * c2 - s1 * s2));
                    self.angle((s1 * c2 - c1 * s2, c1 * c2 + s1 * s2));
                    out.push((
                        at,
                        Step::RotatePair {
                            masks,
                            tests: [test, test2],
                            second,
                            angle: sum,
                            phase,
                        },
                    ));
                    i += 1;
                }
                (Step::FrameIfRecord { len, .. }, _) => match out.last_mut() {
                    Some((_, Step::FrameIfRecord { len: run, .. })) => *run += len,
                    _ => out.push((at, step)),
                },
                _ => out.push((at, step)),
            }
        }
        self.steps = out;
    }

    fn put(&mut self, words: &[u64]) -> u32 {
        let at = self.pool.len() as u32;
        self.pool.extend_from_slice(words);
        at
    }

    fn angle(&mut self, sin_cos: (f64, f64)) -> u32 {
        self.angles.push(sin_cos);
        self.angles.len() as u32 - 1
    }

    fn list(&mut self, records: &[u32]) -> (u32, u32) {
        let first = self.lists.len() as u32;
        self.lists.extend_from_slice(records);
        (first, records.len() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_small() {
        assert!(std::mem::size_of::<Step>() <= 24);
    }

    #[test]
    fn channel_index_finds_every_trial() {
        // Entries with gaps between them (trials of other operations of the class).
        let entries = vec![
            (0, 3, 10, 0),
            (3, 1, 11, NONE),
            (9, 20, 12, 1),
            (29, 1, 13, 2),
        ];
        let index = ChannelIndex::new(entries.clone());
        for t in 0..40u64 {
            let want = entries
                .iter()
                .find(|e| e.0 <= t && t < e.0 + e.1)
                .map_or((NONE, NONE), |e| (e.2, e.3));
            assert_eq!(index.hit(t), want, "trial {t}");
        }
    }
}
