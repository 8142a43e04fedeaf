//! The detector error model of a circuit, following Stim's `analyze_errors` conventions:
//!
//! * `DEPOLARIZE1(p)` becomes three independent mechanisms (X, Y, Z), each with probability
//!   q = (1 - sqrt(1 - 4p/3)) / 2, which reproduces the channel exactly; `DEPOLARIZE2(p)`
//!   fifteen with q = (1 - (1 - 16p/15)^(1/8)) / 2.
//! * `PAULI_CHANNEL_1(px, py, pz)` becomes independent X, Y, Z mechanisms when an exact
//!   decomposition exists (solved in closed form from the channel's Pauli eigenvalues); else,
//!   and for `PAULI_CHANNEL_2` with more than one non-zero term, it needs the approximation
//!   option: the disjoint probabilities of terms with equal symptoms are summed and the sums
//!   treated as independent mechanisms.
//! * `ELSE_CORRELATED_ERROR(p)` needs the approximation option too: branch k becomes an
//!   independent mechanism with probability p_k times the chance no earlier branch fired.
//! * `X_ERROR`, `E`, measurement flips `M(p)`: one mechanism each.
//! * Mechanisms with equal symptoms merge (p1 (1 - p2) + p2 (1 - p1)); mechanisms that flip
//!   nothing are dropped; a merged error stands where its first mechanism happened.
//! * Detectors are declared (`detector(coords) Dk`) when they have coordinates or no error
//!   flips them; observables no error flips are declared with `logical_observable Lk`.

use super::{xor_probability, DemItem, DemTarget, DetectorErrorModel};
use crate::circuit::Circuit;
use crate::error::SimError;
use crate::faults::{iter_bits, set_bits, FaultSet, LoopSpan, Site};
use crate::gates::{GateKind, NoiseShape};
use std::collections::HashMap;

/// Options of the analysis, named as Stim's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemOptions {
    /// Accept channels without an exact independent-mechanism form (see module docs).
    pub approximate_disjoint_errors: bool,
}

/// How a site's terms become independent mechanisms.
enum Conversion {
    /// Independent probability per term (same order as the site's terms).
    PerTerm(Vec<f64>),
    /// Sum the disjoint probabilities of terms with equal symptoms within each channel.
    SumBySymptom,
}

/// Independent X, Y, Z probabilities reproducing PAULI_CHANNEL_1(px, py, pz) exactly, if any.
///
/// Independent flips a, b, c multiply the channel's Pauli eigenvalues: with
/// lx = 1 - 2(py + pz) (and cyclically), lx = (1-2b)(1-2c), ly = (1-2a)(1-2c),
/// lz = (1-2a)(1-2b), so 1 - 2a = sqrt(ly lz / lx).
fn pauli1_independent(px: f64, py: f64, pz: f64) -> Option<[f64; 3]> {
    let l = [
        1.0 - 2.0 * (py + pz),
        1.0 - 2.0 * (px + pz),
        1.0 - 2.0 * (px + py),
    ];
    if l.iter().any(|&v| v <= 0.0) {
        return None;
    }
    let solve = |a: f64, b: f64, c: f64| (1.0 - (b * c / a).sqrt()) / 2.0;
    let out = [
        solve(l[0], l[1], l[2]),
        solve(l[1], l[0], l[2]),
        solve(l[2], l[0], l[1]),
    ];
    const TOL: f64 = 1e-12;
    if out.iter().any(|&v| !(-TOL..=0.5).contains(&v)) {
        return None;
    }
    Some(out.map(|v| v.max(0.0)))
}

fn conversion(site: &Site, options: DemOptions) -> Result<Conversion, SimError> {
    let kind = site.gate.kind();
    let needs_approx = || -> Result<Conversion, SimError> {
        if options.approximate_disjoint_errors {
            Ok(Conversion::SumBySymptom)
        } else {
            Err(SimError::NeedsApproximation {
                gate: site.gate.name(),
                line: site.line,
            })
        }
    };
    let per_term = |f: &dyn Fn(&crate::faults::Term) -> f64| {
        Ok(Conversion::PerTerm(site.terms.iter().map(f).collect()))
    };
    match (kind, site.gate.def().noise) {
        (GateKind::Correlated { else_branch: true }, _) => {
            needs_approx()?;
            per_term(&|t| t.probability)
        }
        (GateKind::Noise1 | GateKind::Noise2, Some(NoiseShape::Uniform)) => {
            let p = site.args[0];
            let q = if kind == GateKind::Noise1 {
                (1.0 - (1.0 - 4.0 * p / 3.0).sqrt()) / 2.0
            } else {
                (1.0 - (1.0 - 16.0 * p / 15.0).powf(0.125)) / 2.0
            };
            per_term(&|_| q)
        }
        (GateKind::Noise1, Some(NoiseShape::PerPauli)) => {
            match pauli1_independent(site.args[0], site.args[1], site.args[2]) {
                Some(ind) => per_term(&|t| ind[t.index as usize - 1]),
                None => needs_approx(),
            }
        }
        // Heralded outcomes are disjoint; exact only when at most one has weight (Stim's rule).
        (GateKind::HeraldedNoise, Some(shape)) => {
            let w = crate::frame::noise::heralded_weights(shape, &site.args);
            if w.iter().filter(|&&a| a > 0.0).count() <= 1 {
                per_term(&|t| t.probability)
            } else {
                needs_approx()
            }
        }
        (GateKind::Noise2, Some(NoiseShape::PerPauli)) => {
            if site.args.iter().filter(|&&a| a > 0.0).count() <= 1 {
                per_term(&|t| t.probability)
            } else {
                needs_approx()
            }
        }
        _ => per_term(&|t| t.probability),
    }
}

/// A merged mechanism: probability, symptom, tag, and the first event that caused it.
struct Merged {
    p: f64,
    det: Vec<u64>,
    obs: u64,
    tag: String,
    event: usize,
}

/// Merged mechanisms keyed by (detector words, observable mask, tag).
struct Merger<'a> {
    faults: &'a FaultSet,
    index: HashMap<(Vec<u64>, u64, &'a str), usize>,
    errors: Vec<Merged>,
}

impl<'a> Merger<'a> {
    /// Adds event `i`'s symptom as a mechanism of probability `p`.
    fn add(&mut self, p: f64, i: usize) {
        let det = self.faults.detector_bits(i);
        let obs = self.faults.observable_mask(i);
        if p <= 0.0 || (obs == 0 && det.iter().all(|&w| w == 0)) {
            return;
        }
        let faults: &'a FaultSet = self.faults;
        let tag = faults.site_of(&faults.events[i]).tag.as_str();
        let key = (det.to_vec(), obs, tag);
        match self.index.get(&key) {
            Some(&k) => self.errors[k].p = xor_probability(self.errors[k].p, p),
            None => {
                self.index.insert(key, self.errors.len());
                self.errors.push(Merged {
                    p,
                    det: det.to_vec(),
                    obs,
                    tag: tag.to_string(),
                    event: i,
                });
            }
        }
    }
}

/// Computes the detector error model of a Clifford circuit (see module docs).
pub fn from_circuit(
    circuit: &Circuit,
    options: DemOptions,
) -> Result<DetectorErrorModel, SimError> {
    from_faults(&FaultSet::from_circuit(circuit)?, options)
}

/// The detector error model from already propagated fault events.
pub fn from_faults(faults: &FaultSet, options: DemOptions) -> Result<DetectorErrorModel, SimError> {
    let conversions = faults
        .sites
        .iter()
        .map(|s| conversion(s, options))
        .collect::<Result<Vec<_>, _>>()?;
    let mut merger = Merger {
        faults,
        index: HashMap::new(),
        errors: Vec::new(),
    };
    let events = &faults.events;
    let mut start = 0;
    while start < events.len() {
        let channel = events[start].channel;
        let end = start
            + events[start..]
                .iter()
                .take_while(|e| e.channel == channel)
                .count();
        match &conversions[events[start].site as usize] {
            Conversion::PerTerm(probs) => {
                for (i, e) in (start..end).zip(&events[start..end]) {
                    let p = probs[e.term as usize];
                    merger.add(p, i);
                }
            }
            Conversion::SumBySymptom => {
                let mut sums: Vec<(usize, f64)> = Vec::new();
                for (i, e) in (start..end).zip(&events[start..end]) {
                    let p = faults.term_of(e).probability;
                    let same = |&(j, _): &(usize, f64)| {
                        faults.detector_bits(j) == faults.detector_bits(i)
                            && faults.observable_mask(j) == faults.observable_mask(i)
                    };
                    match sums.iter().position(same) {
                        Some(k) => sums[k].1 += p,
                        None => sums.push((i, p)),
                    }
                }
                for (i, p) in sums {
                    merger.add(p, i);
                }
            }
        }
        start = end;
    }
    Ok(emit(faults, merger.errors))
}

/// One printable entry of the flat timeline, in absolute terms.
#[derive(Clone, Debug, PartialEq)]
enum Entry {
    Error(f64, Vec<u64>, u64, String),
    Detector(u64, Vec<f64>),
}

/// Lays the merged errors and detector declarations out in time order, folding top-level loops
/// whose iterations repeat up to a detector shift into `repeat` blocks.
fn emit(faults: &FaultSet, errors: Vec<Merged>) -> DetectorErrorModel {
    let num_detectors = faults.num_detectors();
    let mut mentioned = vec![false; num_detectors];
    let mut obs_mentioned = 0u64;
    for e in &errors {
        for d in set_bits(&e.det) {
            mentioned[d] = true;
        }
        obs_mentioned |= e.obs;
    }
    // (position, order, entry): a detector declared after n events stands before event n;
    // detectors at the same position keep their index order.
    let mut timeline: Vec<(usize, usize, Entry)> = errors
        .into_iter()
        .map(|e| {
            let ids = set_bits(&e.det).map(|d| d as u64).collect();
            (e.event, usize::MAX, Entry::Error(e.p, ids, e.obs, e.tag))
        })
        .collect();
    for (id, info) in faults.detectors.iter().enumerate() {
        if !info.coords.is_empty() || !mentioned[id] {
            let entry = Entry::Detector(id as u64, info.coords.clone());
            timeline.push((info.events_before, id, entry));
        }
    }
    timeline.sort_by_key(|t| (t.0, t.1));
    let mut out = Emitter {
        items: Vec::new(),
        det_offset: 0,
        coord_offset: Vec::new(),
    };
    let mut pos = 0; // index into timeline
    for span in &faults.loops {
        // Timeline ranges of each iteration (events, then the detectors declared with them).
        let bounds: Vec<usize> = span
            .event_starts
            .iter()
            .zip(&span.detector_starts)
            .map(|(&e, &d)| timeline.partition_point(|t| before(t, e, d)))
            .collect();
        let Some((a, b)) = longest_repeat(&timeline, &bounds, span) else {
            continue;
        };
        out.push_all(&timeline[pos..bounds[a]]);
        let per_iter = (span.detector_starts[a + 1] - span.detector_starts[a]) as u64;
        let mut body = Emitter {
            items: Vec::new(),
            det_offset: out.det_offset,
            coord_offset: out.coord_offset.clone(),
        };
        body.push_all(&timeline[bounds[a]..bounds[a + 1]]);
        body.items.push(DemItem::ShiftDetectors {
            coords: span.coord_shift.clone(),
            shift: per_iter,
        });
        out.items.push(DemItem::Repeat {
            count: (b - a) as u64,
            body: body.items,
        });
        out.det_offset += per_iter * (b - a) as u64;
        out.coord_offset = add_coords(&out.coord_offset, &span.coord_shift, (b - a) as f64);
        pos = bounds[b];
    }
    out.push_all(&timeline[pos..]);
    for k in 0..faults.num_observables {
        if obs_mentioned >> k & 1 == 0 {
            out.items.push(DemItem::LogicalObservable(k as u32));
        }
    }
    DetectorErrorModel { items: out.items }
}

/// True if a timeline entry comes before the boundary at (events, detectors).
fn before(t: &(usize, usize, Entry), events: usize, detectors: usize) -> bool {
    match &t.2 {
        Entry::Error(..) => t.0 < events,
        Entry::Detector(id, _) => (*id as usize) < detectors,
    }
}

/// The longest run of consecutive iterations (a..b, at least two) whose entries agree after
/// shifting back by whole iterations.
fn longest_repeat(
    timeline: &[(usize, usize, Entry)],
    bounds: &[usize],
    span: &LoopSpan,
) -> Option<(usize, usize)> {
    let iters = bounds.len() - 1;
    let relative = |i: usize| -> Vec<Entry> {
        let shift = (span.detector_starts[i] - span.detector_starts[0]) as u64;
        let k = i as f64;
        timeline[bounds[i]..bounds[i + 1]]
            .iter()
            .map(|t| match &t.2 {
                Entry::Error(p, ids, obs, tag) => Entry::Error(
                    *p,
                    ids.iter().map(|d| d - shift).collect(),
                    *obs,
                    tag.clone(),
                ),
                Entry::Detector(id, c) => {
                    Entry::Detector(id - shift, add_coords(c, &span.coord_shift, -k))
                }
            })
            .collect()
    };
    let rel: Vec<Vec<Entry>> = (0..iters).map(relative).collect();
    let close = |x: &[Entry], y: &[Entry]| {
        x.len() == y.len()
            && x.iter().zip(y).all(|pair| match pair {
                (Entry::Detector(i, a), Entry::Detector(j, b)) => {
                    i == j
                        && a.len() == b.len()
                        && a.iter()
                            .zip(b)
                            .all(|(u, v)| (u - v).abs() <= 1e-9 * u.abs().max(1.0))
                }
                (u, v) => u == v,
            })
    };
    let mut best: Option<(usize, usize)> = None;
    let mut a = 0;
    while a < iters {
        let mut b = a + 1;
        while b < iters && close(&rel[a], &rel[b]) {
            b += 1;
        }
        if b - a >= 2 && best.is_none_or(|(x, y)| b - a > y - x) {
            best = Some((a, b));
        }
        a = b;
    }
    best
}

/// `base + factor * shift`, coordinate-wise, padding the shorter with zeros (only as long as
/// `base` when `shift` is empty).
fn add_coords(base: &[f64], shift: &[f64], factor: f64) -> Vec<f64> {
    let n = base.len().max(shift.len());
    (0..n)
        .map(|i| {
            base.get(i).copied().unwrap_or(0.0) + factor * shift.get(i).copied().unwrap_or(0.0)
        })
        .collect()
}

/// Writes entries relative to the current detector and coordinate offsets.
struct Emitter {
    items: Vec<DemItem>,
    det_offset: u64,
    coord_offset: Vec<f64>,
}

impl Emitter {
    fn push_all(&mut self, entries: &[(usize, usize, Entry)]) {
        for (_, _, e) in entries {
            let item = match e {
                Entry::Error(p, ids, obs, tag) => DemItem::Error {
                    tag: tag.clone(),
                    probability: *p,
                    targets: ids
                        .iter()
                        .map(|d| DemTarget::Detector(d - self.det_offset))
                        .chain(iter_bits(*obs).map(|k| DemTarget::Observable(k as u32)))
                        .collect(),
                },
                Entry::Detector(id, coords) => DemItem::Detector {
                    coords: coords
                        .iter()
                        .enumerate()
                        .map(|(i, c)| c - self.coord_offset.get(i).copied().unwrap_or(0.0))
                        .collect(),
                    id: id - self.det_offset,
                },
            };
            self.items.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Disjoint X, Y, Z probabilities of independent X, Y, Z flips a, b, c.
    fn disjoint(a: f64, b: f64, c: f64) -> [f64; 3] {
        [
            a * (1.0 - b) * (1.0 - c) + (1.0 - a) * b * c,
            b * (1.0 - a) * (1.0 - c) + (1.0 - b) * a * c,
            c * (1.0 - a) * (1.0 - b) + (1.0 - c) * a * b,
        ]
    }

    #[test]
    fn pauli_channel_1_decomposition_is_exact_when_it_exists() {
        for (px, py, pz) in [
            (0.1, 0.2, 0.15),
            (0.01, 0.02, 0.03),
            (0.1, 0.0, 0.0),
            (0.2, 0.2, 0.2),
        ] {
            let [a, b, c] = pauli1_independent(px, py, pz).expect("decomposable");
            let back = disjoint(a, b, c);
            for (x, y) in back.iter().zip([px, py, pz]) {
                assert!((x - y).abs() < 1e-12, "{px} {py} {pz}: {back:?}");
            }
        }
        // X and Z without Y cannot come from independent flips (X and Z together make Y).
        assert!(pauli1_independent(0.1, 0.0, 0.2).is_none());
        // Nor can a channel this strong (Stim refuses both too).
        assert!(pauli1_independent(0.3, 0.3, 0.3).is_none());
    }

    #[test]
    fn depolarizing_split_reproduces_the_channel() {
        // DEPOLARIZE1(p): independent X, Y, Z with q each give each Pauli with p / 3.
        let p: f64 = 0.1;
        let q = (1.0 - (1.0 - 4.0 * p / 3.0).sqrt()) / 2.0;
        for x in disjoint(q, q, q) {
            assert!((x - p / 3.0).abs() < 1e-15);
        }
    }
}
