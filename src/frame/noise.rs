//! Pauli noise channels as disjoint outcomes, and geometric skipping over Bernoulli trials.
//!
//! A channel with total error probability p over N independent trials (targets x shots) is
//! sampled by jumping straight from one hit to the next: the gap before the next hit is
//! geometric, floor(ln U / ln(1 - p)) for U uniform in (0, 1]. The cost is proportional to the
//! number of hits, not the number of trials.

use crate::gates::{GateId, NoiseShape};
use rand_core::RngCore;

/// A uniform double in (0, 1].
#[inline]
pub fn uniform_open0(rng: &mut impl RngCore) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Bernoulli(p) trials with geometric skipping.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bernoulli {
    pub p: f64,
    /// 1 / ln(1 - p), cached; 0 when p is 0 or 1.
    inv_log_miss: f64,
}

impl Bernoulli {
    pub fn new(p: f64) -> Bernoulli {
        let inv_log_miss = if p > 0.0 && p < 1.0 {
            1.0 / (-p).ln_1p()
        } else {
            0.0
        };
        Bernoulli { p, inv_log_miss }
    }

    /// The number of failed trials before the next success (u64::MAX when p is 0).
    #[inline]
    pub fn gap(&self, rng: &mut impl RngCore) -> u64 {
        if self.p <= 0.0 {
            u64::MAX
        } else if self.p >= 1.0 {
            0
        } else {
            (uniform_open0(rng).ln() * self.inv_log_miss) as u64
        }
    }

    /// Calls `hit(i, rng)` for each successful trial among `0..trials`, in increasing order
    /// (the callback gets the generator back, e.g. to pick the error).
    #[inline]
    pub fn for_each_hit<R: RngCore>(
        &self,
        trials: u64,
        rng: &mut R,
        mut hit: impl FnMut(u64, &mut R),
    ) {
        if self.p <= 0.0 {
            return;
        }
        if self.p >= 1.0 {
            for i in 0..trials {
                hit(i, rng);
            }
            return;
        }
        let mut pos: u64 = 0;
        loop {
            // Via i64: a plain truncation, where `as u64` adds a saturation sequence to the
            // loop's critical path. Gaps of 2^63 or more (rare, and only then different) end
            // the loop either way, as trials < 2^63.
            let gap = (uniform_open0(rng).ln() * self.inv_log_miss) as i64 as u64;
            pos = pos.saturating_add(gap);
            if pos >= trials {
                return;
            }
            hit(pos, rng);
            pos += 1;
        }
    }
}

/// A Pauli channel: with total probability `p` one of several Pauli outcomes happens.
///
/// Outcomes are packed Pauli bits for up to two qubits: bit 0 = X on the first qubit, bit 1 = Z
/// on the first, bit 2 = X on the second, bit 3 = Z on the second.
#[derive(Clone, Debug, PartialEq)]
pub struct PauliChannel {
    pub trial: Bernoulli,
    /// All outcomes equally likely (depolarizing): pick by one integer draw, no search.
    uniform: bool,
    /// Cumulative conditional probabilities (last entry 1) of `outcomes`, given a hit.
    cdf: Vec<f64>,
    /// The first `count` entries (at most 15: two qubits), in the channel itself so that a
    /// pick reads no other memory.
    outcomes: [u8; 16],
    count: u8,
}

/// Packed bits of the Pauli with Stim's letter index (0 = I, 1 = X, 2 = Y, 3 = Z) on one qubit.
fn letter_bits(letter: usize) -> u8 {
    [0b00, 0b01, 0b11, 0b10][letter]
}

/// The disjoint probabilities of a heralded channel's outcomes I, X, Y, Z (each heralded):
/// `HERALDED_ERASE(p)` gives p/4 each, `HERALDED_PAULI_CHANNEL_1` its four arguments.
pub fn heralded_weights(shape: NoiseShape, args: &[f64]) -> [f64; 4] {
    match shape {
        NoiseShape::HeraldedUniform => [args[0] / 4.0; 4],
        _ => [args[0], args[1], args[2], args[3]],
    }
}

impl PauliChannel {
    /// Builds the channel of a noise gate (`X_ERROR`, `DEPOLARIZE2`, `PAULI_CHANNEL_1`, ...) from
    /// its arguments, following the gate table's [`NoiseShape`]. Stim orders two-qubit Paulis
    /// IX, IY, IZ, XI, ..., ZZ with the first letter on the first target.
    pub fn for_gate(gate: GateId, args: &[f64], two_qubit: bool) -> PauliChannel {
        let n_outcomes = if two_qubit { 15 } else { 3 };
        let outcome_bits = |i: usize| -> u8 {
            if two_qubit {
                letter_bits(i / 4) | letter_bits(i % 4) << 2
            } else {
                letter_bits(i)
            }
        };
        let shape = gate.def().noise.expect("noise gate");
        let weighted: Vec<(f64, u8)> = match shape {
            NoiseShape::Fixed(c) => {
                let letter = "IXYZ".find(c).expect("Pauli letter");
                vec![(args[0], letter_bits(letter))]
            }
            NoiseShape::Uniform => (1..=n_outcomes)
                .map(|i| (args[0] / n_outcomes as f64, outcome_bits(i)))
                .collect(),
            NoiseShape::PerPauli => (1..=n_outcomes)
                .map(|i| (args[i - 1], outcome_bits(i)))
                .collect(),
            NoiseShape::HeraldedUniform | NoiseShape::HeraldedPerPauli => {
                let w = heralded_weights(shape, args);
                (0..4).map(|i| (w[i], letter_bits(i))).collect()
            }
        };
        PauliChannel::from_weighted(&weighted)
    }

    /// A channel from (probability, outcome) pairs of disjoint outcomes.
    pub fn from_weighted(weighted: &[(f64, u8)]) -> PauliChannel {
        let total: f64 = weighted.iter().map(|w| w.0).sum();
        let mut cdf = Vec::new();
        let mut outcomes = [0u8; 16];
        let mut acc = 0.0;
        for (k, &(p, bits)) in weighted.iter().filter(|w| w.0 > 0.0).enumerate() {
            acc += p / total;
            cdf.push(acc);
            outcomes[k] = bits;
        }
        if let Some(last) = cdf.last_mut() {
            *last = 1.0;
        }
        let uniform = weighted.windows(2).all(|w| w[0].0 == w[1].0);
        PauliChannel {
            trial: Bernoulli::new(total.min(1.0)),
            uniform,
            count: cdf.len() as u8,
            cdf,
            outcomes,
        }
    }

    /// Picks the outcome of one hit.
    #[inline]
    pub fn pick(&self, rng: &mut impl RngCore) -> u8 {
        let n = self.count as usize;
        if n == 1 {
            return self.outcomes[0];
        }
        if self.uniform {
            // Multiply-shift maps 32 random bits onto 0..n (bias below 2^-28 for n <= 15).
            let i = ((rng.next_u64() >> 32) * n as u64) >> 32;
            return self.outcomes[i as usize & 15];
        }
        let u = uniform_open0(rng);
        let i = self.cdf.partition_point(|&c| c < u);
        self.outcomes[i.min(n.saturating_sub(1)) & 15]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn hit_count_matches_probability() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let b = Bernoulli::new(0.01);
        let trials = 1_000_000u64;
        let mut hits = 0u64;
        let mut last = None;
        b.for_each_hit(trials, &mut rng, |i, _| {
            assert!(last.is_none_or(|l| i > l));
            last = Some(i);
            hits += 1;
        });
        // mean 10000, sd ~ 99.5: allow 5 sd.
        assert!((hits as f64 - 10_000.0).abs() < 5.0 * 99.5, "hits = {hits}");
    }

    #[test]
    fn depolarize2_outcomes_are_uniform_and_non_identity() {
        let ch = PauliChannel::for_gate(GateId::named("DEPOLARIZE2"), &[0.3], true);
        assert!((ch.trial.p - 0.3).abs() < 1e-15);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut counts = [0u32; 16];
        for _ in 0..150_000 {
            counts[ch.pick(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[0], 0);
        for &c in &counts[1..] {
            // mean 10000, sd ~ 97: allow 5 sd.
            assert!((c as f64 - 10_000.0).abs() < 500.0, "{counts:?}");
        }
    }

    #[test]
    fn pauli_channel_2_orders_first_letter_on_first_target() {
        let mut args = [0.0; 15];
        args[3] = 0.2; // XI
        let ch = PauliChannel::for_gate(GateId::named("PAULI_CHANNEL_2"), &args, true);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(ch.pick(&mut rng), 0b0001);
    }
}
