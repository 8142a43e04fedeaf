//! The likeliest observable flip of a small cluster of fired detectors among its explanations
//! by one or two error mechanisms, or failing that by three: what a lookup table of one and
//! two faults (`--decoder lookup --lookup-faults 2`) would answer, found per cluster instead
//! of stored, and the same for three.
//!
//! Used by the colour decoder for Stim's unflagged `memory_xyz` circuits, whose measurement
//! and data errors flip several detectors of one colour: the matching graphs see such a
//! mechanism only split into parts that each cost a fault, so a pair of faults is often
//! explained by a cheaper wrong set. Here every mechanism costs one fault, whatever its shape.
//!
//! How: of two faults whose syndromes add up to the cluster, exactly one flips the cluster's
//! lowest detector, and the other's syndrome is what is left. So the faults on that detector
//! are tried in turn, each with a look-up of the rest among the single faults' syndromes
//! (keyed by the sorted detectors): a few dozen look-ups per cluster, and a table of single
//! faults only. Three faults: one (or all three) of them flips the lowest detector, so each
//! fault on it is tried with the two-fault search of what is left (a few thousand candidate
//! pairs; a fault is only merged with the rest when the count of detectors they share, from
//! a stamp per detector, says the difference is small enough). Only clusters that one or two
//! faults do not explain are searched for three, and only up to three times the largest
//! fault's size.

use crate::bits::xor_sorted_into;
use std::collections::HashMap;

/// One fault: its sorted detectors, its observable flips and its probability.
pub type Fault = (Vec<u32>, u64, f64);

/// The single faults, indexed for pairing (see module docs).
pub struct FaultPairs {
    faults: Vec<Fault>,
    /// Faults by detector (`on[d]`: indices into `faults`).
    on: HashMap<u32, Vec<usize>>,
    /// Syndrome (sorted detectors) -> probability of each observable flip among the faults with
    /// exactly that syndrome.
    singles: HashMap<Vec<u32>, Vec<(u64, f64)>>,
    /// Most detectors of one fault.
    largest: usize,
}

/// Per-caller buffers of [`FaultPairs::explain`].
#[derive(Default)]
pub struct Scratch {
    /// What the other faults must flip, for two faults and for three.
    rest: [Vec<u32>; 2],
    classes: Vec<(u64, f64)>,
    /// `stamp[d] == generation` marks the detectors of the set being differenced.
    stamp: Vec<u32>,
    generation: u32,
}

impl Scratch {
    /// Marks the detectors of `set` (unmarking the previous set).
    fn mark(&mut self, set: &[u32]) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        let top = set.iter().max().map_or(0, |&d| d as usize + 1);
        if self.stamp.len() < top {
            self.stamp.resize(top, 0);
        }
        for &d in set {
            self.stamp[d as usize] = self.generation;
        }
    }

    /// Size of the symmetric difference of the marked set (of `marked` detectors) and `dets`.
    fn difference_size(&self, marked: usize, dets: &[u32]) -> usize {
        let shared = dets
            .iter()
            .filter(|&&d| self.stamp.get(d as usize) == Some(&self.generation))
            .count();
        marked + dets.len() - 2 * shared
    }
}

/// Adds probability `p` to flip class `flips`.
fn add(classes: &mut Vec<(u64, f64)>, flips: u64, p: f64) {
    match classes.iter_mut().find(|c| c.0 == flips) {
        Some(c) => c.1 += p,
        None => classes.push((flips, p)),
    }
}

impl FaultPairs {
    pub fn new(faults: Vec<Fault>) -> FaultPairs {
        let mut on: HashMap<u32, Vec<usize>> = HashMap::new();
        let mut singles: HashMap<Vec<u32>, Vec<(u64, f64)>> = HashMap::new();
        for (i, (dets, flips, p)) in faults.iter().enumerate() {
            for &d in dets {
                on.entry(d).or_default().push(i);
            }
            add(singles.entry(dets.clone()).or_default(), *flips, *p);
        }
        let largest = faults.iter().map(|f| f.0.len()).max().unwrap_or(0);
        FaultPairs {
            faults,
            on,
            singles,
            largest,
        }
    }

    /// The explanation of a cluster (sorted detectors) by one or two faults, or failing that
    /// by three: (likeliest flip, its probability, probability of the other flips), None when
    /// there is none.
    pub fn explain(&self, cluster: &[u32], scratch: &mut Scratch) -> Option<(u64, f64, f64)> {
        if cluster.is_empty() || cluster.len() > 3 * self.largest {
            return None;
        }
        scratch.classes.clear();
        let mut rest = std::mem::take(&mut scratch.rest);
        let [two, three] = &mut rest;
        if cluster.len() <= 2 * self.largest {
            self.pairs(cluster, 1.0, 0, two, scratch);
        }
        if scratch.classes.is_empty() {
            // Three faults (module docs; a triple whose three faults all flip the lowest
            // detector is counted three times).
            scratch.mark(cluster);
            for &i in self.on.get(&cluster[0]).into_iter().flatten() {
                let (dets, flips, p) = &self.faults[i];
                let size = scratch.difference_size(cluster.len(), dets);
                if size == 0 || size > 2 * self.largest {
                    continue;
                }
                xor_sorted_into(cluster, dets, three);
                self.pairs(three, *p, *flips, two, scratch);
                scratch.mark(cluster);
            }
        }
        scratch.rest = rest;
        let classes = &scratch.classes;
        let &(flip, p) = classes
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
        let others = classes.iter().filter(|c| c.0 != flip).map(|c| c.1).sum();
        Some((flip, p, others))
    }

    /// Adds to `scratch.classes` the explanations of `cluster` by one or two faults, their
    /// probability times `p0` and their flips xor `flips0` (module docs). `rest` is a buffer.
    fn pairs(
        &self,
        cluster: &[u32],
        p0: f64,
        flips0: u64,
        rest: &mut Vec<u32>,
        scratch: &mut Scratch,
    ) {
        scratch.mark(cluster);
        for &i in self.on.get(&cluster[0]).into_iter().flatten() {
            let (dets, flips, p) = &self.faults[i];
            // What the second fault must flip: the cluster minus this fault, plus what this
            // fault flips outside it.
            let size = scratch.difference_size(cluster.len(), dets);
            if size == 0 {
                add(&mut scratch.classes, flips0 ^ flips, p0 * p);
                continue;
            }
            if size > self.largest {
                continue;
            }
            xor_sorted_into(cluster, dets, rest);
            for &(other, q) in self.singles.get(rest.as_slice()).into_iter().flatten() {
                add(&mut scratch.classes, flips0 ^ flips ^ other, p0 * p * q);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_a_cluster_by_its_likeliest_one_two_or_three_faults() {
        // A chain 0-1-2-3 with a hyperedge {0, 1, 2} that flips the observable.
        let pairs = FaultPairs::new(vec![
            (vec![0, 1], 0, 0.01),
            (vec![1, 2], 0, 0.01),
            (vec![2, 3], 0, 0.01),
            (vec![0, 1, 2], 1, 0.001),
            (vec![3], 1, 0.02),
        ]);
        let mut scratch = Scratch::default();
        let mut explain = |c: &[u32]| pairs.explain(c, &mut scratch);
        // One fault: the hyperedge (its rivals need three faults).
        assert_eq!(explain(&[0, 1, 2]), Some((1, 0.001, 0.0)));
        // Two faults, both ways without a flip: {0, 1} + {2, 3} (1e-4) and {0, 1, 2} + {3}
        // (2e-5, two flips).
        let (flip, p, others) = explain(&[0, 1, 2, 3]).unwrap();
        assert_eq!(flip, 0);
        assert!((p - (0.01 * 0.01 + 0.001 * 0.02)).abs() < 1e-12, "{p}");
        assert_eq!(others, 0.0);
        // Faults that cancel outside the cluster: {0, 1} + {1, 2}.
        assert_eq!(explain(&[0, 2]), Some((0, 0.01 * 0.01, 0.0)));
        // The lowest detector's faults {0, 1} and {0, 1, 2} leave no single fault's syndrome.
        assert_eq!(explain(&[1, 2, 3]), Some((1, 0.01 * 0.02, 0.0)));
        // Three faults: {0, 1} + {1, 2} + {2, 3} (1e-6) and {0, 1, 2} + {1, 2} + {3} (2e-7),
        // neither flipping.
        let (flip, p, others) = explain(&[0, 3]).unwrap();
        assert_eq!((flip, others), (0, 0.0));
        assert!((p - (1e-6 + 0.001 * 0.01 * 0.02)).abs() < 1e-15, "{p}");
    }

    #[test]
    fn three_faults_only_where_two_do_not_explain_and_never_four() {
        // A chain 0-1-2-3-4 with a boundary fault on 4 that flips the observable.
        let chain = FaultPairs::new(vec![
            (vec![0, 1], 0, 0.01),
            (vec![1, 2], 0, 0.01),
            (vec![2, 3], 0, 0.01),
            (vec![3, 4], 0, 0.01),
            (vec![4], 1, 0.01),
        ]);
        let mut scratch = Scratch::default();
        // (flip, probability) of the likeliest explanation, and that it is the only one.
        let mut explain = |c: &[u32]| {
            chain.explain(c, &mut scratch).map(|(flip, p, others)| {
                assert_eq!(others, 0.0, "{c:?}");
                (flip, (p * 1e12).round() / 1e12)
            })
        };
        // {0, 2}: two faults.
        assert_eq!(explain(&[0, 2]), Some((0, 1e-4)));
        // {0, 3}: three faults along the chain; {0, 4}: four, so none.
        assert_eq!(explain(&[0, 3]), Some((0, 1e-6)));
        assert_eq!(explain(&[0, 4]), None);
        // {0}: four to the boundary, or none.
        assert_eq!(explain(&[0]), None);
        // {2, 3, 4}: {2, 3} + {4} (two faults) flips.
        assert_eq!(explain(&[2, 3, 4]), Some((1, 1e-4)));
        // {1, 4}: {1, 2} + {2, 3} + {3, 4}.
        assert_eq!(explain(&[1, 4]), Some((0, 1e-6)));
        // {1}: {1, 2} + {2, 3} + {3, 4} + {4} is four: none.
        assert_eq!(explain(&[1]), None);
        // {3}: {3, 4} + {4} (two faults, flips).
        assert_eq!(explain(&[3]), Some((1, 1e-4)));
        // {2}: {2, 3} + {3, 4} + {4} (three, flips).
        assert_eq!(explain(&[2]), Some((1, 1e-6)));
    }
}
