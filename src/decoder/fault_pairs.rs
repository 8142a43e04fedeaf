//! The likeliest observable flip of a small cluster of fired detectors among its explanations
//! by one or two error mechanisms: what a lookup table of one and two faults
//! (`--decoder lookup --lookup-faults 2`) would answer, found per cluster instead of stored.
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
//! faults only.

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

    /// The explanation of a cluster (sorted detectors) by one or two faults: (likeliest flip,
    /// its probability, probability of the other flips), None when there is none. `rest` and
    /// `classes` are scratch buffers.
    pub fn explain(
        &self,
        cluster: &[u32],
        rest: &mut Vec<u32>,
        classes: &mut Vec<(u64, f64)>,
    ) -> Option<(u64, f64, f64)> {
        if cluster.is_empty() || cluster.len() > 2 * self.largest {
            return None;
        }
        classes.clear();
        for &i in self.on.get(&cluster[0]).into_iter().flatten() {
            let (dets, flips, p) = &self.faults[i];
            // What the second fault must flip: the cluster minus this fault, plus what this
            // fault flips outside it.
            rest.clear();
            rest.extend(cluster.iter().filter(|d| dets.binary_search(d).is_err()));
            rest.extend(dets.iter().filter(|d| cluster.binary_search(d).is_err()));
            if rest.is_empty() {
                add(classes, *flips, *p);
                continue;
            }
            if rest.len() > self.largest {
                continue;
            }
            rest.sort_unstable();
            for &(other, q) in self.singles.get(rest.as_slice()).into_iter().flatten() {
                add(classes, flips ^ other, p * q);
            }
        }
        let &(flip, p) = classes
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))?;
        let others = classes.iter().filter(|c| c.0 != flip).map(|c| c.1).sum();
        Some((flip, p, others))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_a_cluster_by_its_likeliest_one_or_two_faults() {
        // A chain 0-1-2-3 with a hyperedge {0, 1, 2} that flips the observable.
        let pairs = FaultPairs::new(vec![
            (vec![0, 1], 0, 0.01),
            (vec![1, 2], 0, 0.01),
            (vec![2, 3], 0, 0.01),
            (vec![0, 1, 2], 1, 0.001),
            (vec![3], 1, 0.02),
        ]);
        let (mut rest, mut classes) = (Vec::new(), Vec::new());
        let mut explain = |c: &[u32]| pairs.explain(c, &mut rest, &mut classes);
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
        // Three faults needed.
        assert_eq!(explain(&[0, 3]), None);
        // The lowest detector's faults {0, 1} and {0, 1, 2} leave no single fault's syndrome.
        assert_eq!(explain(&[1, 2, 3]), Some((1, 0.01 * 0.02, 0.0)));
    }
}
