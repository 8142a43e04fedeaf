//! Proxy-screened strata: stratified sampling by fault count ([`super::subset`]) that spends
//! the exact engine's shots where accepted failures live.
//!
//! In stratum k almost every fault configuration S fires a postselected detector: at d = 7,
//! k = 4, about 7 in 10,000 are accepted. A cheap screen splits the stratum in two: S *passes*
//! when its symptoms on the postselected detectors cancel in the Clifford proxy of the circuit
//! (CH -> CX, |H> -> |+>), the XOR of per-event symptom vectors ([`FaultSet`]). With A_k the
//! share of the stratum's weight that passes,
//!
//!   f_k = A_k E[F | pass] + (1 - A_k) E[F | reject]
//!
//! for any per-shot quantity F (acceptance, accepted failure) of the exact engine. This is
//! stratified sampling with two sub-strata (Cochran, *Sampling Techniques*, ch. 5), so it is
//! unbiased whatever the screen gets wrong: configurations the proxy rejects but the exact
//! model accepts (a Pauli before a CH gives a random symptom there) are sampled in the reject
//! part, which is run too and only gets fewer shots. A_k is estimated by drawing many
//! configurations and screening them (a few XORs each, no simulation); each part draws its
//! configurations by rejection from the stratum's distribution. Rows carry `"method":
//! "screened"`, `"part": "pass" | "reject"` and `"screen": [passed, draws]`.
//!
//! Intervals (95%, likelihood ratio): every part's binomial interval and A_k's, combined at
//! their worst ends, weighted by P_k(p), plus [0, P(K > kmax)] for strata not sampled
//! (fault counts beyond the largest stratum), as in [`super::subset::combine_strata`].

use super::fit::fit_binomial;
use super::stats::TaskStats;
use super::subset::{combine_by_stratum, Channels, Estimate, ExactStratum, SubsetPoint};
use crate::circuit::Circuit;
use crate::faults::{FaultSet, Injector};
use rand_core::{RngCore, SeedableRng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Likelihood-ratio factor of a 95% interval: exp(chi2_1(0.95) / 2) = exp(1.92).
pub const FACTOR_95: f64 = 6.826;

/// Every fault event's symptom on the screened detectors, in the Clifford proxy.
#[derive(Clone, Debug)]
pub struct Screen {
    /// Words per event.
    words: usize,
    /// Per event, `words` words of detector bits.
    symptoms: Vec<u64>,
}

impl Screen {
    /// The symptoms on detectors `0..detectors` of every event of `proxy`, the Clifford proxy
    /// of `injector`'s circuit (the same noise, so the same event numbering; checked).
    pub fn new(proxy: &Circuit, detectors: usize, injector: &Injector) -> Result<Screen, String> {
        let set = FaultSet::from_circuit(proxy).map_err(|e| format!("the proxy circuit: {e}"))?;
        let events = injector.events();
        if set.num_events() != events.len() || set.num_detectors() < detectors {
            return Err(format!(
                "the proxy circuit has {} fault events and {} detectors, the circuit {} events and at least {detectors} detectors",
                set.num_events(),
                set.num_detectors(),
                events.len()
            ));
        }
        let words = detectors.div_ceil(64).max(1);
        let mut symptoms = Vec::with_capacity(words * events.len());
        for (e, info) in events.iter().enumerate() {
            let proxy_event = &set.events[e];
            if proxy_event.site != info.site
                || proxy_event.term != info.term
                || set.term_of(proxy_event).probability != info.probability
            {
                return Err(format!(
                    "fault event {e} differs between the circuit and its proxy"
                ));
            }
            let bits = set.detector_bits(e);
            for w in 0..words {
                let keep = match detectors - 64 * w {
                    n if n >= 64 => u64::MAX,
                    n => (1u64 << n) - 1,
                };
                symptoms.push(bits.get(w).copied().unwrap_or(0) & keep);
            }
        }
        Ok(Screen { words, symptoms })
    }

    /// Whether the proxy symptoms of these events cancel on every screened detector.
    pub fn passes(&self, events: impl Iterator<Item = u32> + Clone) -> bool {
        (0..self.words).all(|w| {
            events.clone().fold(0u64, |acc, e| {
                acc ^ self.symptoms[e as usize * self.words + w]
            }) == 0
        })
    }

    /// How many of `draws` configurations of stratum `k` pass (a fixed stream per k).
    pub fn passed(&self, channels: &Channels, k: usize, draws: u64) -> u64 {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
            0x5C2E_E11E_D000_0000 ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        (0..draws)
            .filter(|_| {
                let draw = channels.draw(k, 1, &mut rng);
                self.passes(draw.iter().map(|&(e, _)| e))
            })
            .count() as u64
    }
}

/// The shots of one part of a screened stratum: exactly `k` faults drawn from the stratum's
/// distribution conditioned on passing (or failing) the screen, placed in the exact engine.
pub struct ScreenedStratum {
    pub stratum: ExactStratum,
    pub screen: Arc<Screen>,
    /// Draw the configurations that pass (else those that are rejected).
    pub passing: bool,
}

impl crate::exact::FaultSource for ScreenedStratum {
    fn draw(&self, mut rng: &mut dyn RngCore, out: &mut Vec<crate::exact::Injection>) {
        let s = &self.stratum;
        // Rejection from the stratum's distribution; the part was measured to be non-empty.
        loop {
            let draw = s.channels.draw(s.k, 1, &mut rng);
            if self.screen.passes(draw.iter().map(|&(e, _)| e)) == self.passing {
                out.extend(draw.iter().map(|&(e, _)| s.placement[e as usize]));
                return;
            }
        }
    }
}

/// Counts of one screened stratum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScreenedCounts {
    /// Screen draws and how many passed.
    pub draws: u64,
    pub passed: u64,
    /// (shots, discards, errors) of the passing and the rejected part.
    pub pass: (u64, u64, u64),
    pub reject: (u64, u64, u64),
}

/// A part's rate with its binomial interval (95%).
fn part_rate(hits: u64, shots: u64) -> Estimate {
    fit_binomial(hits, shots, FACTOR_95).into()
}

/// A f_pass + (1 - A) f_reject over the interval of A and of both parts: value, lowest, highest.
fn mix(a: Estimate, pass: Estimate, reject: Estimate) -> Estimate {
    let at = |a: f64, g: f64, b: f64| a * g + (1.0 - a) * b;
    Estimate {
        value: at(a.value, pass.value, reject.value),
        low: at(a.low, pass.low, reject.low).min(at(a.high, pass.low, reject.low)),
        high: at(a.low, pass.high, reject.high).max(at(a.high, pass.high, reject.high)),
    }
}

/// Combines screened strata at rate `p` into acceptance, accepted failure and logical error per
/// accepted state, with 95% intervals (see the module documentation). The noiseless stratum
/// k = 0 is accepted without failure; a missing stratum or part counts as unknown, in [0, its
/// weight].
pub fn combine_screened(
    classes: &[(f64, u64)],
    strata: &BTreeMap<usize, ScreenedCounts>,
    p: f64,
) -> SubsetPoint {
    combine_by_stratum(classes, strata, p, |c| {
        let a = part_rate(c.passed, c.draws);
        // A part without shots (e.g. nothing passed the screen) is unknown: [0, 1].
        let kept = |(shots, discards, _): (u64, u64, u64)| part_rate(shots - discards, shots);
        let errors = |(shots, _, errors): (u64, u64, u64)| part_rate(errors, shots);
        (
            mix(a, kept(c.pass), kept(c.reject)),
            mix(a, errors(c.pass), errors(c.reject)),
        )
    })
}

/// A curve's screened strata: its metadata without "k", "part" and "screen", its channel
/// classes, its strata.
pub type ScreenedGroup = (Value, Vec<(f64, u64)>, BTreeMap<usize, ScreenedCounts>);

/// Groups screened rows (`"method": "screened"`) into curves.
pub fn group_screened(rows: &[TaskStats]) -> Result<Vec<ScreenedGroup>, String> {
    let mut groups: Vec<ScreenedGroup> = Vec::new();
    for row in rows {
        let meta = &row.json_metadata;
        if meta.get("method").and_then(Value::as_str) != Some("screened") {
            continue;
        }
        let k = meta
            .get("k")
            .and_then(Value::as_u64)
            .ok_or("a screened row has no integer \"k\" in its json_metadata")?
            as usize;
        let passing = match meta.get("part").and_then(Value::as_str) {
            Some("pass") => true,
            Some("reject") => false,
            _ => return Err("a screened row has no \"part\" (pass or reject)".into()),
        };
        let screen = meta
            .get("screen")
            .and_then(Value::as_array)
            .and_then(|a| Some((a.first()?.as_u64()?, a.get(1)?.as_u64()?)))
            .filter(|(passed, draws)| passed <= draws)
            .ok_or("a screened row has no \"screen\": [passed, draws] in its json_metadata")?;
        let classes = meta
            .get("fault_classes")
            .and_then(super::subset::classes_from_json)
            .ok_or("a screened row has no \"fault_classes\" in its json_metadata")?;
        let key = curve_key(meta);
        let entry = match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g,
            None => {
                groups.push((key, classes, BTreeMap::new()));
                groups.last_mut().expect("just pushed")
            }
        };
        let s = entry.2.entry(k).or_default();
        if s.draws != 0 && (s.passed, s.draws) != screen {
            return Err(format!(
                "screened rows of stratum k = {k} disagree on their screen counts"
            ));
        }
        (s.passed, s.draws) = screen;
        let part = if passing { &mut s.pass } else { &mut s.reject };
        part.0 += row.shots;
        part.1 += row.discards;
        part.2 += row.errors;
    }
    Ok(groups)
}

/// A screened row's curve: its metadata without the stratum's keys.
pub fn curve_key(meta: &Value) -> Value {
    let mut key = meta.clone();
    if let Some(obj) = key.as_object_mut() {
        for k in ["k", "part", "screen"] {
            obj.remove(k);
        }
    }
    key
}
