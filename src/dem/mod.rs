//! Detector error models: which independent error mechanisms flip which detectors and
//! observables, in Stim's `.dem` format
//! (<https://github.com/quantumlib/Stim/blob/main/doc/file_format_dem_detector_error_model.md>).
//!
//! [`DetectorErrorModel`] keeps the text's structure (`repeat` blocks, `shift_detectors`);
//! [`DetectorErrorModel::errors`] gives the flattened view with absolute indices that decoders
//! and comparisons use. [`from_circuit`] computes the model of a circuit by propagating every
//! fault event (see [`crate::faults`]), not by sampling.

mod build;
mod text;

pub use build::{from_circuit, from_faults, DemOptions};
pub use text::{parse_dem, DemParseError};

use std::collections::{BTreeMap, HashMap};

/// A target of an `error` (or `detector` / `logical_observable`) instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DemTarget {
    /// `Dk`, relative to the enclosing `shift_detectors` offset.
    Detector(u64),
    /// `Lk`.
    Observable(u32),
    /// `^`: separates the components of a suggested decomposition.
    Separator,
}

/// One line (or block) of a detector error model.
#[derive(Clone, Debug, PartialEq)]
pub enum DemItem {
    /// `error[tag](p) D0 D5 L0`: an independent mechanism firing with probability p. The tag
    /// (empty when absent) is the noise instruction's; Stim never merges differently tagged
    /// mechanisms.
    Error {
        tag: String,
        probability: f64,
        targets: Vec<DemTarget>,
    },
    /// `detector(coords) Dk`: declares a detector (with coordinates relative to the offset).
    Detector { coords: Vec<f64>, id: u64 },
    /// `logical_observable Lk`: declares an observable.
    LogicalObservable(u32),
    /// `shift_detectors(coords) k`: adds to the detector index and coordinate offsets.
    ShiftDetectors { coords: Vec<f64>, shift: u64 },
    /// `repeat N { ... }`.
    Repeat { count: u64, body: Vec<DemItem> },
}

/// A detector error model: items in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DetectorErrorModel {
    pub items: Vec<DemItem>,
}

/// An error mechanism with absolute, sorted targets (pairs of equal targets cancel, separators
/// dropped).
#[derive(Clone, Debug, PartialEq)]
pub struct FlatError {
    pub tag: String,
    pub probability: f64,
    pub detectors: Vec<u64>,
    /// Bit k set when observable k flips (observables beyond 63 are refused by the parser).
    pub observables: u64,
}

/// Combined probability of two independent mechanisms with the same symptoms: exactly one of
/// them fires, p1 (1 - p2) + p2 (1 - p1).
pub fn xor_probability(p1: f64, p2: f64) -> f64 {
    p1 * (1.0 - p2) + p2 * (1.0 - p1)
}

/// The flattened contents: errors, detector coordinates and sizes.
struct Flat {
    errors: Vec<FlatError>,
    coords: BTreeMap<u64, Vec<f64>>,
    num_detectors: u64,
    num_observables: u32,
}

fn flatten_into(
    items: &[DemItem],
    det_offset: &mut u64,
    coord_offset: &mut Vec<f64>,
    out: &mut Flat,
) {
    for item in items {
        match item {
            DemItem::Error {
                tag,
                probability,
                targets,
            } => {
                let mut detectors = Vec::new();
                let mut observables = 0u64;
                for t in targets {
                    match *t {
                        DemTarget::Detector(d) => detectors.push(d + *det_offset),
                        DemTarget::Observable(k) => observables ^= 1 << k,
                        DemTarget::Separator => {}
                    }
                }
                detectors.sort_unstable();
                let detectors = cancel_pairs(detectors);
                if let Some(&d) = detectors.last() {
                    out.num_detectors = out.num_detectors.max(d + 1);
                }
                for t in targets {
                    if let DemTarget::Observable(k) = *t {
                        out.num_observables = out.num_observables.max(k + 1);
                    }
                }
                out.errors.push(FlatError {
                    tag: tag.clone(),
                    probability: *probability,
                    detectors,
                    observables,
                });
            }
            DemItem::Detector { coords, id } => {
                let id = id + *det_offset;
                out.num_detectors = out.num_detectors.max(id + 1);
                if !coords.is_empty() {
                    let abs = coords
                        .iter()
                        .enumerate()
                        .map(|(i, c)| c + coord_offset.get(i).copied().unwrap_or(0.0))
                        .collect();
                    out.coords.insert(id, abs);
                }
            }
            DemItem::LogicalObservable(k) => {
                out.num_observables = out.num_observables.max(k + 1);
            }
            DemItem::ShiftDetectors { coords, shift } => {
                *det_offset += shift;
                if coord_offset.len() < coords.len() {
                    coord_offset.resize(coords.len(), 0.0);
                }
                for (o, c) in coord_offset.iter_mut().zip(coords) {
                    *o += c;
                }
            }
            DemItem::Repeat { count, body } => {
                for _ in 0..*count {
                    flatten_into(body, det_offset, coord_offset, out);
                }
            }
        }
    }
}

/// Removes pairs of equal entries from a sorted list (a target named twice flips twice).
fn cancel_pairs(sorted: Vec<u64>) -> Vec<u64> {
    let mut out: Vec<u64> = Vec::with_capacity(sorted.len());
    for d in sorted {
        if out.last() == Some(&d) {
            out.pop();
        } else {
            out.push(d);
        }
    }
    out
}

impl DetectorErrorModel {
    fn flat(&self) -> Flat {
        let mut out = Flat {
            errors: Vec::new(),
            coords: BTreeMap::new(),
            num_detectors: 0,
            num_observables: 0,
        };
        flatten_into(&self.items, &mut 0, &mut Vec::new(), &mut out);
        out
    }

    /// Every error with absolute targets, loops unrolled, in file order.
    pub fn errors(&self) -> Vec<FlatError> {
        self.flat().errors
    }

    /// The errors in canonical form: sorted by (detectors, observables), mechanisms with equal
    /// symptoms merged with [`xor_probability`], symptom-free mechanisms dropped. Two models
    /// describe the same noise exactly when their canonical errors agree.
    pub fn canonical_errors(&self) -> Vec<FlatError> {
        let mut merged: HashMap<(Vec<u64>, u64, String), f64> = HashMap::new();
        for e in self.errors() {
            if e.detectors.is_empty() && e.observables == 0 {
                continue;
            }
            let p = merged
                .entry((e.detectors, e.observables, e.tag))
                .or_insert(0.0);
            *p = xor_probability(*p, e.probability);
        }
        let mut out: Vec<FlatError> = merged
            .into_iter()
            .map(|((detectors, observables, tag), probability)| FlatError {
                tag,
                probability,
                detectors,
                observables,
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.detectors, a.observables, &a.tag).cmp(&(&b.detectors, b.observables, &b.tag))
        });
        out
    }

    /// Absolute coordinates of every detector declared with coordinates.
    pub fn detector_coords(&self) -> BTreeMap<u64, Vec<f64>> {
        self.flat().coords
    }

    /// One more than the largest detector index mentioned anywhere.
    pub fn num_detectors(&self) -> u64 {
        self.flat().num_detectors
    }

    /// One more than the largest observable index mentioned anywhere.
    pub fn num_observables(&self) -> u32 {
        self.flat().num_observables
    }

    /// The same model with loops unrolled, absolute indices and coordinates, no shifts.
    pub fn flattened(&self) -> DetectorErrorModel {
        let flat = self.flat();
        let mut items: Vec<DemItem> = flat
            .errors
            .into_iter()
            .map(|e| DemItem::Error {
                tag: e.tag,
                probability: e.probability,
                targets: e
                    .detectors
                    .iter()
                    .map(|&d| DemTarget::Detector(d))
                    .chain(
                        crate::faults::iter_bits(e.observables)
                            .map(|k| DemTarget::Observable(k as u32)),
                    )
                    .collect(),
            })
            .collect();
        items.extend(
            flat.coords
                .into_iter()
                .map(|(id, coords)| DemItem::Detector { coords, id }),
        );
        DetectorErrorModel { items }
    }
}
