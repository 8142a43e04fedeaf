//! Lookup decoding on a detector error model: every syndrome of up to t mechanisms.

use super::{Decision, Decoder, DecoderError};
use crate::dem::DetectorErrorModel;
use std::collections::HashMap;

/// Most subsets [`DemLookup::new`] will tabulate.
const MAX_SUBSETS: u128 = 50_000_000;

/// A table from each syndrome produced by at most `max_faults` distinct error mechanisms of a
/// detector error model to the observable flip of the most likely such set (largest product of
/// p / (1 - p), which also prefers fewer mechanisms when probabilities are below 1/2).
/// Syndromes outside the table are discarded: the decoder does not guess.
#[derive(Clone, Debug)]
pub struct DemLookup {
    /// Syndrome words -> (log-likelihood, observable flips).
    table: HashMap<Box<[u64]>, (f64, u64)>,
    words: usize,
}

/// One distinct mechanism: detector words, observables, log(p / (1 - p)).
struct Mechanism {
    det: Vec<u64>,
    obs: u64,
    weight: f64,
}

impl DemLookup {
    /// Tabulates all sets of at most `max_faults` mechanisms (refuses more than 5 * 10^7 sets).
    pub fn new(dem: &DetectorErrorModel, max_faults: usize) -> Result<DemLookup, DecoderError> {
        let words = (dem.num_detectors() as usize).div_ceil(64).max(1);
        let mechanisms: Vec<Mechanism> = dem
            .canonical_errors()
            .into_iter()
            .filter(|e| e.probability > 0.0)
            .map(|e| {
                let mut det = vec![0u64; words];
                for &d in &e.detectors {
                    det[d as usize / 64] |= 1 << (d % 64);
                }
                let p = e.probability.min(1.0 - 1e-15);
                Mechanism {
                    det,
                    obs: e.observables,
                    weight: (p / (1.0 - p)).ln(),
                }
            })
            .collect();
        let subsets: u128 = (0..=max_faults)
            .map(|k| binomial(mechanisms.len(), k))
            .sum();
        if subsets > MAX_SUBSETS {
            return Err(DecoderError::TooLarge(format!(
                "a lookup table of up to {max_faults} of {} mechanisms needs {subsets} entries \
                 (limit {MAX_SUBSETS})",
                mechanisms.len()
            )));
        }
        let mut table = HashMap::new();
        let mut acc = vec![0u64; words];
        fill(&mechanisms, 0, max_faults, &mut acc, 0, 0.0, &mut table);
        Ok(DemLookup { table, words })
    }

    /// Number of syndromes in the table.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// n choose k, saturating.
pub fn binomial(n: usize, k: usize) -> u128 {
    if k > n {
        return 0;
    }
    (0..k).fold(1u128, |acc, i| {
        acc.saturating_mul((n - i) as u128) / (i as u128 + 1)
    })
}

/// Depth-first over subsets of `mechanisms[from..]` with at most `left` more members.
fn fill(
    mechanisms: &[Mechanism],
    from: usize,
    left: usize,
    acc: &mut Vec<u64>,
    obs: u64,
    weight: f64,
    table: &mut HashMap<Box<[u64]>, (f64, u64)>,
) {
    let entry = table
        .entry(acc.clone().into_boxed_slice())
        .or_insert((f64::NEG_INFINITY, 0));
    if weight > entry.0 {
        *entry = (weight, obs);
    }
    if left == 0 {
        return;
    }
    for i in from..mechanisms.len() {
        let m = &mechanisms[i];
        xor(acc, &m.det);
        fill(
            mechanisms,
            i + 1,
            left - 1,
            acc,
            obs ^ m.obs,
            weight + m.weight,
            table,
        );
        xor(acc, &m.det);
    }
}

fn xor(acc: &mut [u64], other: &[u64]) {
    for (a, b) in acc.iter_mut().zip(other) {
        *a ^= b;
    }
}

impl Decoder for DemLookup {
    fn name(&self) -> &'static str {
        "lookup"
    }

    fn decode(&self, detectors: &[u64]) -> Decision {
        let mut key = vec![0u64; self.words];
        for (k, d) in key.iter_mut().zip(detectors) {
            *k = *d;
        }
        if detectors.iter().skip(self.words).any(|&w| w != 0) {
            return Decision::Discard;
        }
        match self.table.get(key.as_slice()) {
            Some(&(_, obs)) => Decision::Predict(obs),
            None => Decision::Discard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dem::parse_dem;

    #[test]
    fn repetition_code_dem_is_decoded_by_majority() {
        // Three bits, two parity detectors; L0 on bit 0.
        let dem = parse_dem("error(0.1) D0 L0\nerror(0.1) D0 D1\nerror(0.1) D1\n").unwrap();
        let dec = DemLookup::new(&dem, 1).unwrap();
        assert_eq!(dec.decode(&[0b01]), Decision::Predict(1));
        assert_eq!(dec.decode(&[0b11]), Decision::Predict(0));
        assert_eq!(dec.decode(&[0b10]), Decision::Predict(0));
        assert_eq!(dec.decode(&[0]), Decision::Predict(0));
        assert_eq!(dec.len(), 4);
    }

    #[test]
    fn most_likely_set_wins() {
        // D0 alone: either the rare L0 mechanism or two likely ones (D0 D1 + D1).
        let dem = parse_dem("error(0.001) D0 L0\nerror(0.2) D0 D1\nerror(0.2) D1\n").unwrap();
        let dec = DemLookup::new(&dem, 2).unwrap();
        assert_eq!(dec.decode(&[0b01]), Decision::Predict(0));
        assert_eq!(binomial(5, 2), 10);
    }
}
