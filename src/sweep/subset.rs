//! Stratified ("subset") sampling by fault count, for logical error rates far below what plain
//! Monte Carlo reaches.
//!
//! The noise of a circuit is a list of independent channels (one noise instruction's target or
//! target pair, or one measurement's flip), channel i firing with probability q_i(p) = c_i p
//! (our noise models are linear in p). Conditioned on exactly k channels firing, the set S that
//! fires has probability proportional to prod_{i in S} q_i / (1 - q_i); we sample it with
//! weights c_i (the p -> 0 limit, relative error O(max q_i), below 1e-3 for p <= 1e-3) by
//! drawing k channels i.i.d. proportional to c_i and redrawing when one repeats, then one term
//! of each channel proportional to its probability. Stratum k estimates the acceptance a_k and
//! the accepted-failure fraction f_k; at any p,
//!
//!   P(accept) = sum_k P_k(p) a_k,   P(accept and fail) = sum_k P_k(p) f_k,
//!
//! with P_k(p) the exact (Poisson-binomial) probability that k channels fire. Strata above the
//! largest sampled k contribute an unknown amount in [0, P(K > kmax)], carried into the
//! confidence interval. Bravyi and Vargo, PRA 88, 062308 (2013), use the same decomposition.

use super::fit::fit_binomial;
use super::stats::TaskStats;
use crate::faults::Injector;
use rand_core::RngCore;
use serde_json::Value;
use std::collections::BTreeMap;

/// The channels of a circuit, as the sampler draws them.
#[derive(Clone, Debug)]
pub struct Channels {
    /// First event and number of events of each channel (events numbered as the injector's).
    spans: Vec<(u32, u32)>,
    /// Per event, its probability (to pick a term within its channel).
    event_probability: Vec<f64>,
    /// Running sums of the channel weights c_i, for drawing.
    cumulative: Vec<f64>,
    /// Distinct weights c and how many channels have each: what P_k(p) needs.
    pub classes: Vec<(f64, u64)>,
}

/// Rounds a weight to 9 significant digits so that equal channels share a class.
fn round9(x: f64) -> f64 {
    format!("{x:.8e}").parse().unwrap_or(x)
}

impl Channels {
    /// The channels of `injector`'s circuit, whose noise was generated at rate `p0`.
    pub fn new(injector: &Injector, p0: f64) -> Channels {
        let events = injector.events();
        let mut spans: Vec<(u32, u32)> = Vec::new();
        let mut totals: Vec<f64> = Vec::new();
        for (e, info) in events.iter().enumerate() {
            match spans.last_mut() {
                Some((first, n)) if events[*first as usize].channel == info.channel => {
                    *n += 1;
                    *totals.last_mut().expect("same length") += info.probability;
                }
                _ => {
                    spans.push((e as u32, 1));
                    totals.push(info.probability);
                }
            }
        }
        let mut cumulative = Vec::with_capacity(totals.len());
        let mut sum = 0.0;
        let mut classes: BTreeMap<u64, (f64, u64)> = BTreeMap::new();
        for &q in &totals {
            let c = round9(q / p0);
            sum += c;
            cumulative.push(sum);
            classes.entry(c.to_bits()).or_insert((c, 0)).1 += 1;
        }
        Channels {
            spans,
            event_probability: events.iter().map(|e| e.probability).collect(),
            cumulative,
            classes: classes.into_values().collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Channel `i`'s weight c_i.
    pub fn weight(&self, i: usize) -> f64 {
        self.cumulative[i] - if i == 0 { 0.0 } else { self.cumulative[i - 1] }
    }

    /// Channel `i`'s events with their probabilities given that it fires (summing to 1).
    pub fn events_of(&self, i: usize) -> impl Iterator<Item = (u32, f64)> + '_ {
        let (first, n) = self.spans[i];
        let probs = &self.event_probability[first as usize..(first + n) as usize];
        let total: f64 = probs.iter().sum();
        (first..).zip(probs.iter().map(move |p| p / total))
    }

    fn uniform(rng: &mut impl RngCore) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn draw_channel(&self, rng: &mut impl RngCore) -> usize {
        let total = *self.cumulative.last().expect("channels");
        let u = Self::uniform(rng) * total;
        self.cumulative
            .partition_point(|&c| c <= u)
            .min(self.len() - 1)
    }

    fn draw_event(&self, channel: usize, rng: &mut impl RngCore) -> u32 {
        let (first, n) = self.spans[channel];
        let probs = &self.event_probability[first as usize..(first + n) as usize];
        let total: f64 = probs.iter().sum();
        let mut u = Self::uniform(rng) * total;
        for (i, &p) in probs.iter().enumerate() {
            if u < p {
                return first + i as u32;
            }
            u -= p;
        }
        first + n - 1
    }

    /// One fault configuration of exactly `k` distinct channels for each of `lanes` lanes, as
    /// (event, lane) pairs sorted by event.
    pub fn draw(&self, k: usize, lanes: usize, rng: &mut impl RngCore) -> Vec<(u32, u32)> {
        assert!(k <= self.len(), "more faults than channels");
        let mut out = Vec::with_capacity(k * lanes);
        let mut chosen = Vec::with_capacity(k);
        for lane in 0..lanes {
            loop {
                chosen.clear();
                chosen.extend((0..k).map(|_| self.draw_channel(rng)));
                chosen.sort_unstable();
                if chosen.windows(2).all(|w| w[0] != w[1]) {
                    break;
                }
            }
            for &c in &chosen {
                out.push((self.draw_event(c, rng), lane as u32));
            }
        }
        out.sort_unstable();
        out
    }
}

/// Exactly `k` faults per shot drawn from [`Channels`], placed in the exact engine: the one
/// channel table serves the frame injector and the exact engine alike.
pub struct ExactStratum {
    pub channels: std::sync::Arc<Channels>,
    /// The exact program's placement of each injector event.
    pub placement: Vec<crate::exact::Injection>,
    pub k: usize,
}

impl ExactStratum {
    /// Places every event of `injector` in `program` (both built from the same circuit).
    pub fn new(
        injector: &Injector,
        program: &crate::exact::ExactProgram,
        channels: std::sync::Arc<Channels>,
        k: usize,
    ) -> Result<ExactStratum, String> {
        let placement = (0..injector.events().len())
            .map(|e| {
                let info = injector.events()[e];
                let term = injector.term(e);
                program
                    .injection(info.site, term.group, term.index)
                    .ok_or_else(|| format!("fault event {e} (site {}) has no place", info.site))
            })
            .collect::<Result<_, _>>()?;
        Ok(ExactStratum {
            channels,
            placement,
            k,
        })
    }
}

impl crate::exact::FaultSource for ExactStratum {
    fn draw(&self, mut rng: &mut dyn RngCore, out: &mut Vec<crate::exact::Injection>) {
        for (event, _) in self.channels.draw(self.k, 1, &mut rng) {
            out.push(self.placement[event as usize]);
        }
    }
}

/// P(exactly k channels fire) for k = 0..=kmax and the probability that more than kmax fire,
/// for channels with probabilities c p given as (c, count) classes.
pub fn fault_count_distribution(classes: &[(f64, u64)], p: f64, kmax: usize) -> (Vec<f64>, f64) {
    let mut dist = vec![0.0; kmax + 1];
    dist[0] = 1.0;
    for &(c, count) in classes {
        let q = (c * p).min(1.0);
        // Binomial(count, q) for this class, truncated at kmax, convolved in.
        let mut binom = vec![0.0; kmax + 1];
        let ln_miss = (count as f64) * (-q).ln_1p();
        let mut term = ln_miss.exp();
        for (j, b) in binom.iter_mut().enumerate() {
            *b = term;
            if j as u64 >= count {
                break;
            }
            term *= (count - j as u64) as f64 / (j as f64 + 1.0) * q / (1.0 - q);
        }
        let mut next = vec![0.0; kmax + 1];
        for (i, &a) in dist.iter().enumerate() {
            if a == 0.0 {
                continue;
            }
            for (j, &b) in binom.iter().enumerate().take(kmax + 1 - i) {
                next[i + j] += a * b;
            }
        }
        dist = next;
    }
    let tail = (1.0 - dist.iter().sum::<f64>()).max(0.0);
    (dist, tail)
}

/// An estimate with a confidence interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// The curve point a set of strata gives at one p.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SubsetPoint {
    pub p: f64,
    /// P(accept).
    pub acceptance: Estimate,
    /// P(accept and fail).
    pub joint_failure: Estimate,
    /// Logical error per accepted state, P(fail | accept).
    pub logical: Estimate,
    /// Probability of more faults than the largest sampled stratum (inside the intervals).
    pub unsampled: f64,
}

/// Combines strata at rate `p`. `strata` maps k >= 1 to its counts (shots, discards, errors);
/// the noiseless stratum k = 0 is taken as accepted without failure (the protocols' noiseless
/// runs are checked to be so). Intervals: each stratum's likelihood-ratio interval (sinter's
/// factor 1000, [`fit_binomial`]) weighted by P_k, plus [0, P(k > kmax)] for unsampled strata;
/// per accepted state, the ratio of the extreme ends.
pub fn combine_strata(
    classes: &[(f64, u64)],
    strata: &BTreeMap<usize, (u64, u64, u64)>,
    p: f64,
) -> SubsetPoint {
    combine_by_stratum(classes, strata, p, |&(shots, discards, errors)| {
        (
            fit_binomial(shots - discards, shots, SUBSET_FACTOR).into(),
            fit_binomial(errors, shots, SUBSET_FACTOR).into(),
        )
    })
}

/// sum_k P_k(p) (a_k, f_k) over the sampled strata, with `rates` giving a stratum's
/// acceptance and accepted failure; the noiseless stratum is accepted without failure, and
/// strata not sampled (above the largest, or gaps) count as unknown, in [0, P_k].
pub fn combine_by_stratum<T>(
    classes: &[(f64, u64)],
    strata: &BTreeMap<usize, T>,
    p: f64,
    rates: impl Fn(&T) -> (Estimate, Estimate),
) -> SubsetPoint {
    let kmax = strata.keys().copied().max().unwrap_or(0);
    let (dist, mut unsampled) = fault_count_distribution(classes, p, kmax);
    let mut acc = Estimate {
        value: dist[0],
        low: dist[0],
        high: dist[0],
    };
    let mut fail = Estimate {
        value: 0.0,
        low: 0.0,
        high: 0.0,
    };
    for (k, &pk) in dist.iter().enumerate().skip(1) {
        match strata.get(&k) {
            Some(counts) => {
                let (a, f) = rates(counts);
                acc.add_scaled(pk, a);
                fail.add_scaled(pk, f);
            }
            None => unsampled += pk,
        }
    }
    SubsetPoint::new(p, acc, fail, unsampled)
}

impl Estimate {
    /// Adds `w` times `other` (value and both ends).
    pub fn add_scaled(&mut self, w: f64, other: Estimate) {
        self.value += w * other.value;
        self.low += w * other.low;
        self.high += w * other.high;
    }
}

impl From<super::fit::RateFit> for Estimate {
    fn from(f: super::fit::RateFit) -> Estimate {
        Estimate {
            value: f.best,
            low: f.low,
            high: f.high,
        }
    }
}

impl SubsetPoint {
    /// The point from the sampled strata's P(accept) and P(accept and fail), with the
    /// probability `unsampled` of strata not sampled added to both upper ends; per accepted
    /// state, the ratio of the extreme ends.
    pub fn new(p: f64, mut acc: Estimate, mut fail: Estimate, unsampled: f64) -> SubsetPoint {
        acc.high += unsampled;
        fail.high += unsampled;
        let logical = Estimate {
            value: fail.value / acc.value.max(f64::MIN_POSITIVE),
            low: fail.low / acc.high.max(f64::MIN_POSITIVE),
            high: (fail.high / acc.low.max(f64::MIN_POSITIVE)).min(1.0),
        };
        SubsetPoint {
            p,
            acceptance: acc,
            joint_failure: fail,
            logical,
            unsampled,
        }
    }
}

/// The largest stratum (`max_faults`, or enough that more faults happen with probability below
/// 1e-9 at the largest p) and each stratum's largest weight P_k(p) over `ps` relative to the
/// heaviest stratum's (entry k - 1 for stratum k): how strata share the shots.
pub fn strata_shares(channels: &Channels, ps: &[f64], max_faults: Option<usize>) -> Vec<f64> {
    let p0 = ps.iter().copied().fold(0.0, f64::max);
    let kmax = max_faults
        .unwrap_or_else(|| strata_needed(&channels.classes, p0, 1e-9, 64))
        .min(channels.len());
    let weights: Vec<f64> = (1..=kmax)
        .map(|k| {
            ps.iter()
                .map(|&p| fault_count_distribution(&channels.classes, p, k).0[k])
                .fold(0.0, f64::max)
        })
        .collect();
    let heaviest = weights
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    weights.iter().map(|w| w / heaviest).collect()
}

/// Smallest k such that, at rate `p`, more than k faults happen with probability below `tail`
/// (at most `cap`).
pub fn strata_needed(classes: &[(f64, u64)], p: f64, tail: f64, cap: usize) -> usize {
    (1..=cap)
        .find(|&k| fault_count_distribution(classes, p, k).1 < tail)
        .unwrap_or(cap)
}

/// The fault classes written into a stratum row's metadata: [[c, count], ...].
pub fn classes_json(classes: &[(f64, u64)]) -> Value {
    Value::Array(
        classes
            .iter()
            .map(|&(c, n)| serde_json::json!([c, n]))
            .collect(),
    )
}

/// Reads the classes back from a stratum row's metadata.
pub fn classes_from_json(v: &Value) -> Option<Vec<(f64, u64)>> {
    v.as_array()?
        .iter()
        .map(|pair| Some((pair.get(0)?.as_f64()?, pair.get(1)?.as_u64()?)))
        .collect()
}

/// Per stratum k: (shots, discards, errors).
pub type Strata = BTreeMap<usize, (u64, u64, u64)>;

/// A stratified curve: its metadata without the stratum's keys, its channel classes, and its
/// strata by k.
pub type CurveStrata<S> = (Value, Vec<(f64, u64)>, BTreeMap<usize, S>);

/// A curve's strata: its metadata without "k", its channel classes, its strata.
pub type StrataGroup = CurveStrata<(u64, u64, u64)>;

/// Groups subset rows (json_metadata with "method": "subset", "k", "fault_classes") by their
/// metadata without "k": one group per curve, with its classes and strata.
pub fn group_strata(rows: &[TaskStats]) -> Result<Vec<StrataGroup>, String> {
    let mut groups: Vec<StrataGroup> = Vec::new();
    for row in rows {
        let meta = &row.json_metadata;
        if meta.get("method").and_then(Value::as_str) != Some("subset") {
            continue;
        }
        let k = stratum_k(meta, "subset")?;
        let classes = fault_classes(meta, "subset")?;
        let s = curve_strata(&mut groups, without_k(meta), classes)
            .entry(k)
            .or_insert((0, 0, 0));
        s.0 += row.shots;
        s.1 += row.discards;
        s.2 += row.errors;
    }
    Ok(groups)
}

/// One rebuilt curve: the group's metadata (without "k") and its points at the group's
/// "p_values".
pub struct SubsetCurve {
    pub metadata: Value,
    pub decoder: String,
    pub points: Vec<SubsetPoint>,
    /// Likelihood-ratio factor of the points' intervals: [`SUBSET_FACTOR`] for subset curves,
    /// [`super::screen::FACTOR_95`] for screened ones.
    pub likelihood_factor: f64,
}

/// Likelihood-ratio factor of the subset strata's intervals (sinter's 1000).
pub const SUBSET_FACTOR: f64 = 1000.0;

/// Rebuilds every stratified curve of `rows`: subset rows ([`combine_strata`]) and screened
/// rows ([`super::screen::combine_screened`]); rows of other methods are ignored.
pub fn subset_curves(rows: &[TaskStats]) -> Result<Vec<SubsetCurve>, String> {
    let p_values = |meta: &Value| -> Vec<f64> {
        meta.get("p_values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    // The decoder of the rows whose curve key is `meta`.
    let decoder = |meta: &Value, key: fn(&Value) -> Value| {
        rows.iter()
            .find(|r| key(&r.json_metadata) == *meta)
            .map_or(String::new(), |r| r.decoder.clone())
    };
    let mut out = Vec::new();
    for (meta, classes, strata) in group_strata(rows)? {
        out.push(SubsetCurve {
            points: p_values(&meta)
                .iter()
                .map(|&p| combine_strata(&classes, &strata, p))
                .collect(),
            decoder: decoder(&meta, without_k),
            metadata: meta,
            likelihood_factor: SUBSET_FACTOR,
        });
    }
    for (meta, classes, strata) in super::screen::group_screened(rows)? {
        out.push(SubsetCurve {
            points: p_values(&meta)
                .iter()
                .map(|&p| super::screen::combine_screened(&classes, &strata, p))
                .collect(),
            decoder: decoder(&meta, super::screen::curve_key),
            metadata: meta,
            likelihood_factor: super::screen::FACTOR_95,
        });
    }
    Ok(out)
}

/// A subset row's curve: its metadata without "k".
/// The stratum `"k"` of a stratified row (`method` names the row kind in the error).
pub(crate) fn stratum_k(meta: &Value, method: &str) -> Result<usize, String> {
    meta.get("k")
        .and_then(Value::as_u64)
        .map(|k| k as usize)
        .ok_or_else(|| format!("a {method} row has no integer \"k\" in its json_metadata"))
}

/// The `"fault_classes"` of a stratified row (`method` names the row kind in the error).
pub(crate) fn fault_classes(meta: &Value, method: &str) -> Result<Vec<(f64, u64)>, String> {
    meta.get("fault_classes")
        .and_then(classes_from_json)
        .ok_or_else(|| format!("a {method} row has no \"fault_classes\" in its json_metadata"))
}

/// The strata of the curve `key` in `groups` (a curve's metadata, classes, strata), created
/// with `classes` and no strata when absent.
pub(crate) fn curve_strata<S>(
    groups: &mut Vec<CurveStrata<S>>,
    key: Value,
    classes: Vec<(f64, u64)>,
) -> &mut BTreeMap<usize, S> {
    let i = match groups.iter().position(|g| g.0 == key) {
        Some(i) => i,
        None => {
            groups.push((key, classes, BTreeMap::new()));
            groups.len() - 1
        }
    };
    &mut groups[i].2
}

fn without_k(meta: &Value) -> Value {
    let mut key = meta.clone();
    if let Some(obj) = key.as_object_mut() {
        obj.remove("k");
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_counts_are_binomial_for_one_class() {
        let (dist, tail) = fault_count_distribution(&[(1.0, 100)], 0.01, 3);
        let exact = |k: i32| {
            let c = [1.0, 100.0, 4950.0, 161700.0][k as usize];
            c * 0.01f64.powi(k) * 0.99f64.powi(100 - k)
        };
        for (k, &pk) in dist.iter().enumerate() {
            assert!((pk - exact(k as i32)).abs() < 1e-12, "k = {k}");
        }
        assert!((tail - (1.0 - (0..=3).map(exact).sum::<f64>())).abs() < 1e-12);
    }

    #[test]
    fn two_classes_convolve() {
        // One channel at 0.1 and one at 0.2: P0 = 0.72, P1 = 0.26, P2 = 0.02.
        let (dist, tail) = fault_count_distribution(&[(1.0, 1), (2.0, 1)], 0.1, 2);
        assert!((dist[0] - 0.72).abs() < 1e-12);
        assert!((dist[1] - 0.26).abs() < 1e-12);
        assert!((dist[2] - 0.02).abs() < 1e-12);
        assert!(tail.abs() < 1e-12);
    }
}
