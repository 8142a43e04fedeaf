//! Enumeration of fault-event sets (classes and decoder outcomes), the shortest decoder failure,
//! and the shortest undetectable logical error.

use super::{set_bits, FaultSet};
use crate::decoder::{Decision, Decoder};
use rayon::prelude::*;
use std::collections::HashMap;

/// How a set of fault events ends under postselection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Some detector fires: postselection would discard the shot.
    Detected,
    /// No detector fires and no observable flips.
    Harmless,
    /// No detector fires but an observable flips: an undetectable logical error.
    Logical,
}

/// Counts of the sets of one size, by class, and by what a decoder made of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassCounts {
    pub detected: u64,
    pub harmless: u64,
    pub logical: u64,
    /// With a decoder: sets it discarded.
    pub decoder_discarded: u64,
    /// With a decoder: sets it kept but predicted the wrong observable flips for.
    pub decoder_wrong: u64,
}

impl ClassCounts {
    fn add(&mut self, o: &ClassCounts) {
        self.detected += o.detected;
        self.harmless += o.harmless;
        self.logical += o.logical;
        self.decoder_discarded += o.decoder_discarded;
        self.decoder_wrong += o.decoder_wrong;
    }

    pub fn total(&self) -> u64 {
        self.detected + self.harmless + self.logical
    }
}

/// The result of enumerating all sets of exactly `size` fault events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SizeReport {
    pub size: usize,
    pub counts: ClassCounts,
    /// The first few undetected-logical sets (event indices, lexicographic order).
    pub logical_examples: Vec<Vec<usize>>,
    /// The first few sets the decoder kept and got wrong.
    pub decoder_examples: Vec<Vec<usize>>,
}

/// Classifies one set from its XORed symptom.
fn classify(det: &[u64], obs: u64) -> Class {
    if det.iter().any(|&w| w != 0) {
        Class::Detected
    } else if obs != 0 {
        Class::Logical
    } else {
        Class::Harmless
    }
}

/// Enumerates every set of exactly `size` distinct fault events (in parallel over the first
/// member), counting classes and, with a decoder, its discards and wrong predictions; keeps
/// the first `examples` sets of each kind of failure.
pub fn enumerate_size(
    faults: &FaultSet,
    size: usize,
    examples: usize,
    decoder: Option<&dyn Decoder>,
) -> SizeReport {
    let n = faults.num_events();
    let mut report = SizeReport {
        size,
        ..SizeReport::default()
    };
    if size == 0 || size > n {
        return report;
    }
    let parts: Vec<SizeReport> = (0..=n - size)
        .into_par_iter()
        .map(|first| {
            let mut walk = Walk {
                faults,
                decoder,
                examples,
                acc: faults.detector_bits(first).to_vec(),
                chosen: vec![first],
                report: SizeReport::default(),
            };
            walk.descend(first + 1, size - 1, faults.observable_mask(first));
            walk.report
        })
        .collect();
    for part in parts {
        report.counts.add(&part.counts);
        for (mine, theirs) in [
            (&mut report.logical_examples, part.logical_examples),
            (&mut report.decoder_examples, part.decoder_examples),
        ] {
            let room = examples.saturating_sub(mine.len());
            mine.extend(theirs.into_iter().take(room));
        }
    }
    report
}

/// Depth-first state of one enumeration subtree.
struct Walk<'a> {
    faults: &'a FaultSet,
    decoder: Option<&'a dyn Decoder>,
    examples: usize,
    acc: Vec<u64>,
    chosen: Vec<usize>,
    report: SizeReport,
}

impl Walk<'_> {
    fn descend(&mut self, from: usize, left: usize, obs: u64) {
        if left == 0 {
            self.leaf(obs);
            return;
        }
        for e in from..=self.faults.num_events() - left {
            xor_words(&mut self.acc, self.faults.detector_bits(e));
            self.chosen.push(e);
            self.descend(e + 1, left - 1, obs ^ self.faults.observable_mask(e));
            self.chosen.pop();
            xor_words(&mut self.acc, self.faults.detector_bits(e));
        }
    }

    fn leaf(&mut self, obs: u64) {
        let counts = &mut self.report.counts;
        match classify(&self.acc, obs) {
            Class::Detected => counts.detected += 1,
            Class::Harmless => counts.harmless += 1,
            Class::Logical => {
                counts.logical += 1;
                if self.report.logical_examples.len() < self.examples {
                    self.report.logical_examples.push(self.chosen.clone());
                }
            }
        }
        if let Some(d) = self.decoder {
            match d.decode(&self.acc) {
                Decision::Discard => counts.decoder_discarded += 1,
                Decision::Predict(p) if p != obs => {
                    counts.decoder_wrong += 1;
                    if self.report.decoder_examples.len() < self.examples {
                        self.report.decoder_examples.push(self.chosen.clone());
                    }
                }
                Decision::Predict(_) => {}
            }
        }
    }
}

fn xor_words(acc: &mut [u64], other: &[u64]) {
    for (a, b) in acc.iter_mut().zip(other) {
        *a ^= b;
    }
}

/// The fewest fault events (up to `max_size`) whose combination the decoder keeps and decodes
/// wrongly, with one such set; None if every set up to `max_size` is discarded or corrected.
/// Found by exhaustive enumeration, size by size.
pub fn shortest_decoder_failure(
    faults: &FaultSet,
    decoder: &dyn Decoder,
    max_size: usize,
) -> Option<Vec<usize>> {
    (1..=max_size).find_map(|k| {
        enumerate_size(faults, k, 1, Some(decoder))
            .decoder_examples
            .into_iter()
            .next()
    })
}

/// The fewest fault events that flip an observable without firing any detector (the circuit's
/// distance under postselection), with one such set; None if there is none of at most
/// `max_size` events within the search limits.
///
/// Breadth-first search over partial syndromes, as Stim's undetectable-logical search does:
/// only distinct symptoms matter, and from a non-empty syndrome only mechanisms touching its
/// lowest fired detector need trying (some member of any completion must cancel it), so the
/// first completion found has minimum size. Partial syndromes with more than `max_active`
/// fired detectors are not explored; with a limit at least the largest a minimum set passes
/// through the answer is exact, otherwise it is an upper bound on the distance.
pub fn shortest_undetected_logical(
    faults: &FaultSet,
    max_size: usize,
    max_active: usize,
) -> Option<Vec<usize>> {
    // Distinct symptoms, each with a representative event.
    let mut seen: HashMap<(&[u64], u64), usize> = HashMap::new();
    let mut mechanisms: Vec<(Vec<u32>, u64, usize)> = Vec::new();
    for e in 0..faults.num_events() {
        let key = (faults.detector_bits(e), faults.observable_mask(e));
        if key.0.iter().all(|&w| w == 0) && key.1 == 0 {
            continue;
        }
        if let std::collections::hash_map::Entry::Vacant(v) = seen.entry(key) {
            v.insert(mechanisms.len());
            let dets = set_bits(key.0).map(|d| d as u32).collect();
            mechanisms.push((dets, key.1, e));
        }
    }
    let mut touching: Vec<Vec<usize>> = vec![Vec::new(); faults.num_detectors()];
    for (m, (dets, _, _)) in mechanisms.iter().enumerate() {
        for &d in dets {
            touching[d as usize].push(m);
        }
    }
    // States: (fired detectors, observables), with the (parent state, mechanism) that reached them.
    type State = (Vec<u32>, u64);
    let mut states: Vec<(State, usize, usize)> = vec![((Vec::new(), 0), usize::MAX, usize::MAX)];
    let mut index: HashMap<State, usize> = HashMap::new();
    index.insert((Vec::new(), 0), 0);
    let mut frontier = vec![0usize];
    for _depth in 0..max_size {
        let mut next = Vec::new();
        for &s in &frontier {
            let (dets, obs) = states[s].0.clone();
            let candidates: Box<dyn Iterator<Item = usize>> = match dets.first() {
                None => Box::new(0..mechanisms.len()),
                Some(&d) => Box::new(touching[d as usize].iter().copied()),
            };
            for m in candidates {
                let new_dets = symmetric_difference(&dets, &mechanisms[m].0);
                let new_obs = obs ^ mechanisms[m].1;
                if new_dets.len() > max_active {
                    continue;
                }
                if new_dets.is_empty() {
                    if new_obs == 0 {
                        continue;
                    }
                    let mut path = vec![mechanisms[m].2];
                    let mut at = s;
                    while at != 0 {
                        path.push(mechanisms[states[at].2].2);
                        at = states[at].1;
                    }
                    path.sort_unstable();
                    return Some(path);
                }
                let key = (new_dets, new_obs);
                if !index.contains_key(&key) {
                    index.insert(key.clone(), states.len());
                    next.push(states.len());
                    states.push((key, s, m));
                }
            }
        }
        frontier = next;
    }
    None
}

/// Symmetric difference of two sorted lists.
fn symmetric_difference(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    crate::bits::xor_sorted_into(a, b, &mut out);
    out
}
