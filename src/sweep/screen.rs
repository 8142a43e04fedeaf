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
//! Certified rejects. A postselected detector that is frame-linear in the exact program
//! ([`crate::exact::linear`]) has, for a fixed configuration S, the detection event "XOR of the
//! exact symptoms of S's events" in every shot, whatever the random outcomes and the angles. A
//! configuration for which that is 1 on some such detector is discarded by the exact engine
//! with certainty (the shot stops there or earlier), so it contributes exactly zero to
//! acceptance and to accepted failure: that share C_k of the stratum gets no shots, and
//!
//!   f_k = A_k E[F | pass] + U_k E[F | uncertified reject],   U_k = 1 - A_k - C_k.
//!
//! The effect table ([`crate::exact::FaultRows`]) certifies more: until the first rotation
//! whose sign the faults flip, a shot is the noiseless process with its records XORed by the
//! faults' frame, so a configuration whose first deciding item (signs and postselected
//! detectors in operation order) is a detector is discarded there with certainty, also when
//! that detector reads a dense outcome (noiselessly deterministic). At d = 7 this takes the
//! uncertified rejects from 0.38 / 0.39 / 0.31 / 0.23 of strata k = 1..4 to 0.12 / 0.12 / 0.10
//! / 0.08; what is left starts with a flipped sign.
//!
//! The certificate is checked before the proxy: a configuration that the proxy passes but that
//! the certificate rejects is a certified reject too. Rows also carry `"certified"` (screen
//! draws that were certified rejects) and `"certificate"` ([`CERTIFICATE`]; rows of the
//! frame-linear detectors alone say `"frame-linear"`, rows of the earlier light-cone
//! certificate have no such key: each forms a curve of its own).
//!
//! Intervals (95%, likelihood ratio): every part's binomial interval and A_k's, combined at
//! their worst ends, weighted by P_k(p), plus [0, P(K > kmax)] for strata not sampled
//! (fault counts beyond the largest stratum), as in [`super::subset::combine_strata`].

use super::fit::fit_binomial;
use super::stats::TaskStats;
use super::subset::{combine_by_stratum, Channels, Estimate, ExactStratum, SubsetPoint};
use crate::circuit::Circuit;
use crate::exact::{frame_linear, ExactProgram, FaultRows, Injection};
use crate::faults::{FaultSet, Injector};
use rand_core::{RngCore, SeedableRng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

thread_local! {
    /// The effect-table row of a configuration being screened.
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Likelihood-ratio factor of a 95% interval: exp(chi2_1(0.95) / 2) = exp(1.92).
pub const FACTOR_95: f64 = 6.826;

/// Every fault event's symptom on the screened detectors, in the Clifford proxy.
#[derive(Clone, Debug)]
pub struct Screen {
    /// Words per event.
    words: usize,
    /// Per event, `words` words of detector bits.
    symptoms: Vec<u64>,
    /// Per event, the exact program's symptom on the certified (frame-linear) detectors.
    certified: Vec<u64>,
    /// Per event, its row in the exact program's effect table (None without a table): a
    /// configuration whose first deciding item there is a postselected detector is discarded
    /// with certainty too.
    rows: Option<FaultRows>,
}

/// The certificate of this module's certified rejects, as rows name it (`"certificate"`):
/// frame-linear detectors, then the effect table. Rows of the frame-linear detectors alone
/// (`"frame-linear"`) and of the earlier light cone (no key) form curves of their own.
pub const CERTIFICATE: &str = "frame-linear+effects";

/// Where the screen puts a fault configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its proxy symptoms cancel on every screened detector.
    Pass,
    /// Its exact symptom is non-zero on a certified detector, or its first deciding item in the
    /// effect table is a postselected detector: the exact model discards it.
    CertifiedReject,
    /// Rejected by the proxy on uncertified detectors only: the exact model may accept it.
    Reject,
}

/// Screen draws of one stratum: how many passed and how many were certified rejects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub draws: u64,
    pub passed: u64,
    pub certified: u64,
}

impl Screen {
    /// The symptoms on detectors `0..detectors` of every event of `proxy`, the Clifford proxy
    /// of `injector`'s circuit (the same noise, so the same event numbering; checked). The
    /// certified detectors are those of `program` (the exact program of the same circuit, whose
    /// place for event e is `placement[e]`) that are frame-linear ([`crate::exact::linear`]);
    /// their symptoms are the exact program's.
    pub fn new(
        proxy: &Circuit,
        detectors: usize,
        injector: &Injector,
        program: &ExactProgram,
        placement: &[Injection],
        postselect: &[bool],
    ) -> Result<Screen, String> {
        let set = FaultSet::from_circuit(proxy).map_err(|e| format!("the proxy circuit: {e}"))?;
        let events = injector.events();
        if set.num_events() != events.len()
            || placement.len() != events.len()
            || set.num_detectors() < detectors
            || program.num_detectors < detectors
        {
            return Err(format!(
                "the proxy circuit has {} fault events and {} detectors, the exact program {} detectors and {} placed events, the circuit {} events and at least {detectors} detectors",
                set.num_events(),
                set.num_detectors(),
                program.num_detectors,
                placement.len(),
                events.len()
            ));
        }
        let linear = frame_linear(program, placement, detectors)?;
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
        Ok(Screen {
            words,
            symptoms,
            certified: linear.symptoms,
            rows: program.fault_rows(placement, postselect),
        })
    }

    /// Whether the XOR of these events' `bits` vanishes.
    fn cancels(&self, bits: &[u64], events: impl Iterator<Item = u32> + Clone) -> bool {
        (0..self.words).all(|w| {
            events
                .clone()
                .fold(0u64, |acc, e| acc ^ bits[e as usize * self.words + w])
                == 0
        })
    }

    /// Whether the proxy symptoms of these events cancel on every screened detector.
    pub fn passes(&self, events: impl Iterator<Item = u32> + Clone) -> bool {
        self.cancels(&self.symptoms, events)
    }

    /// The XOR of these events' symptoms on the certified detectors (bit i: detector i): the
    /// exact model's detection events there, for every configuration of events on distinct
    /// channels.
    pub fn certified_symptom(&self, events: impl Iterator<Item = u32> + Clone) -> Vec<u64> {
        (0..self.words)
            .map(|w| {
                events.clone().fold(0u64, |acc, e| {
                    acc ^ self.certified[e as usize * self.words + w]
                })
            })
            .collect()
    }

    /// Whether these events' exact symptoms on the certified detectors cancel (else the exact
    /// model discards the configuration with certainty).
    pub fn certified_cancel(&self, events: impl Iterator<Item = u32> + Clone) -> bool {
        self.cancels(&self.certified, events)
    }

    /// The effect rows of every event (None when the exact program has no effect table).
    pub fn effect_rows(&self) -> Option<&FaultRows> {
        self.rows.as_ref()
    }

    /// Whether the effect table discards these events with certainty
    /// ([`FaultRows::discarded`]; never without a table).
    fn decided_by_effects(&self, events: impl Iterator<Item = u32>) -> bool {
        let Some(rows) = &self.rows else {
            return false;
        };
        SCRATCH.with_borrow_mut(|scratch| rows.discarded(events, scratch))
    }

    /// The screen's verdict on these events.
    pub fn verdict(&self, events: impl Iterator<Item = u32> + Clone) -> Verdict {
        if !self.certified_cancel(events.clone()) || self.decided_by_effects(events.clone()) {
            Verdict::CertifiedReject
        } else if self.passes(events) {
            Verdict::Pass
        } else {
            Verdict::Reject
        }
    }

    /// The verdicts on `draws` configurations of stratum `k` (a fixed stream per k).
    pub fn tally(&self, channels: &Channels, k: usize, draws: u64) -> Tally {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(
            0x5C2E_E11E_D000_0000 ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let mut tally = Tally {
            draws,
            ..Tally::default()
        };
        for _ in 0..draws {
            let draw = channels.draw(k, 1, &mut rng);
            match self.verdict(draw.iter().map(|&(e, _)| e)) {
                Verdict::Pass => tally.passed += 1,
                Verdict::CertifiedReject => tally.certified += 1,
                Verdict::Reject => {}
            }
        }
        tally
    }
}

/// The shots of one part of a screened stratum: exactly `k` faults drawn from the stratum's
/// distribution conditioned on passing (or failing) the screen, placed in the exact engine.
pub struct ScreenedStratum {
    pub stratum: ExactStratum,
    pub screen: Arc<Screen>,
    /// Draw the configurations that pass (else the uncertified rejects: certified rejects
    /// are discarded with certainty and never sampled).
    pub passing: bool,
}

impl crate::exact::FaultSource for ScreenedStratum {
    fn draw(&self, mut rng: &mut dyn RngCore, out: &mut Vec<crate::exact::Injection>) {
        let s = &self.stratum;
        let want = if self.passing {
            Verdict::Pass
        } else {
            Verdict::Reject
        };
        // Rejection from the stratum's distribution; the part was measured to be non-empty.
        loop {
            let draw = s.channels.draw(s.k, 1, &mut rng);
            if self.screen.verdict(draw.iter().map(|&(e, _)| e)) == want {
                out.extend(draw.iter().map(|&(e, _)| s.placement[e as usize]));
                return;
            }
        }
    }
}

/// Counts of one screened stratum.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ScreenedCounts {
    /// Screen draws, how many passed and how many were certified rejects (0 in rows written
    /// before the certificate, whose reject part sampled every reject).
    pub draws: u64,
    pub passed: u64,
    pub certified: u64,
    /// (shots, discards, errors) of the passing and the (uncertified) rejected part.
    pub pass: (u64, u64, u64),
    pub reject: (u64, u64, u64),
    /// The stratum computed exactly ([`super::enumerate`]): acceptance, accepted failure and
    /// the probability left unresolved. When present it replaces the sampled parts.
    pub exact: Option<(f64, f64, f64)>,
}

/// A part's rate with its binomial interval (95%).
fn part_rate(hits: u64, shots: u64) -> Estimate {
    fit_binomial(hits, shots, FACTOR_95).into()
}

/// A f_pass + U f_reject + C * 0 over the intervals of the pass share A, the uncertified
/// reject share U (with A + U <= 1) and both parts: value, lowest, highest. The certified
/// rejects C = 1 - A - U are discarded with certainty and contribute exactly zero.
fn mix(a: Estimate, u: Estimate, pass: Estimate, reject: Estimate) -> Estimate {
    let at = |a: f64, g: f64, u: f64, b: f64| a * g + u.min(1.0 - a) * b;
    Estimate {
        value: at(a.value, pass.value, u.value, reject.value),
        low: at(a.low, pass.low, u.low, reject.low).min(at(a.high, pass.low, u.low, reject.low)),
        high: at(a.low, pass.high, u.high, reject.high).max(at(
            a.high,
            pass.high,
            u.high,
            reject.high,
        )),
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
        if let Some((acceptance, failure, unresolved)) = c.exact {
            let exact = |v: f64| Estimate {
                value: v,
                low: v,
                high: (v + unresolved).min(1.0),
            };
            return (exact(acceptance), exact(failure));
        }
        let a = part_rate(c.passed, c.draws);
        let u = part_rate(c.draws - c.passed - c.certified, c.draws);
        // A part without shots (e.g. nothing passed the screen) is unknown: [0, 1].
        let kept = |(shots, discards, _): (u64, u64, u64)| part_rate(shots - discards, shots);
        let errors = |(shots, _, errors): (u64, u64, u64)| part_rate(errors, shots);
        (
            mix(a, u, kept(c.pass), kept(c.reject)),
            mix(a, u, errors(c.pass), errors(c.reject)),
        )
    })
}

/// A curve's screened strata: its metadata without "k", "part", "screen" and "certified", its channel
/// classes, its strata.
pub type ScreenedGroup = super::subset::CurveStrata<ScreenedCounts>;

/// Groups screened rows (`"method": "screened"`) into curves.
pub fn group_screened(rows: &[TaskStats]) -> Result<Vec<ScreenedGroup>, String> {
    let mut groups: Vec<ScreenedGroup> = Vec::new();
    for row in rows {
        let meta = &row.json_metadata;
        if meta.get("method").and_then(Value::as_str) != Some("screened") {
            continue;
        }
        let k = super::subset::stratum_k(meta, "screened")?;
        let part = meta.get("part").and_then(Value::as_str);
        if !matches!(part, Some("pass" | "reject" | "enumerated")) {
            return Err("a screened row has no \"part\" (pass, reject or enumerated)".into());
        }
        let classes = super::subset::fault_classes(meta, "screened")?;
        let s = super::subset::curve_strata(&mut groups, curve_key(meta), classes)
            .entry(k)
            .or_default();
        if part == Some("enumerated") {
            let exact = enumerated_values(meta)?;
            if s.exact.is_some_and(|e| e != exact) {
                return Err(format!(
                    "enumerated rows of stratum k = {k} disagree on their values"
                ));
            }
            s.exact = Some(exact);
            continue;
        }
        let screen = meta
            .get("screen")
            .and_then(Value::as_array)
            .and_then(|a| Some((a.first()?.as_u64()?, a.get(1)?.as_u64()?)))
            .filter(|(passed, draws)| passed <= draws)
            .ok_or("a screened row has no \"screen\": [passed, draws] in its json_metadata")?;
        // Rows written before the certificate have no "certified": none.
        let certified = match meta.get("certified") {
            None => 0,
            Some(v) => v
                .as_u64()
                .filter(|&c| c <= screen.1 - screen.0)
                .ok_or("a screened row's \"certified\" is not a count of its screen's rejects")?,
        };
        if s.draws != 0 && (s.passed, s.draws, s.certified) != (screen.0, screen.1, certified) {
            return Err(format!(
                "screened rows of stratum k = {k} disagree on their screen counts"
            ));
        }
        (s.passed, s.draws, s.certified) = (screen.0, screen.1, certified);
        let counts = if part == Some("pass") {
            &mut s.pass
        } else {
            &mut s.reject
        };
        counts.0 += row.shots;
        counts.1 += row.discards;
        counts.2 += row.errors;
    }
    Ok(groups)
}

/// An enumerated row's acceptance, failure and unresolved probability, each in [0, 1].
pub(crate) fn enumerated_values(meta: &Value) -> Result<(f64, f64, f64), String> {
    let value = |key: &str| {
        meta.get(key)
            .and_then(Value::as_f64)
            .filter(|v| (0.0..=1.0).contains(v))
            .ok_or_else(|| {
                format!("an enumerated row has no \"{key}\" between 0 and 1 in its json_metadata")
            })
    };
    Ok((
        value("acceptance")?,
        value("failure")?,
        value("unresolved")?,
    ))
}

/// A screened row's curve: its metadata without the stratum's keys (a sampled part's, an
/// enumerated stratum's values and its [`super::enumerate::COUNT_KEYS`]).
pub fn curve_key(meta: &Value) -> Value {
    let mut key = meta.clone();
    if let Some(obj) = key.as_object_mut() {
        let stratum = ["k", "part", "screen", "acceptance", "failure", "unresolved"];
        for k in stratum.iter().chain(&super::enumerate::COUNT_KEYS) {
            obj.remove(*k);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(meta: Value) -> TaskStats {
        TaskStats {
            shots: 10,
            errors: 0,
            discards: 0,
            seconds: 0.0,
            decoder: "postselect".into(),
            strong_id: "x".into(),
            json_metadata: meta,
            custom_counts: Default::default(),
        }
    }

    fn enumerated(k: u64, acceptance: f64, failure: f64) -> Value {
        json!({"method": "screened", "part": "enumerated", "k": k, "d": 3,
            "fault_classes": [[1.0, 100]], "acceptance": acceptance, "failure": failure,
            "unresolved": 1e-9, "certified": 4, "leaves": 7, "discarded_early": 2,
            "decided_by_frame": 3, "linear": 1 + k})
    }

    /// An enumerated stratum enters the curve with its exact values (interval: the unresolved
    /// probability above them), in the same curve as sampled rows of the same parameters.
    #[test]
    fn enumerated_strata_are_exact_in_the_curve() {
        let mut pass = enumerated(2, 0.0, 0.0);
        pass["part"] = json!("pass");
        pass["screen"] = json!([5, 10]);
        pass["certified"] = json!(3);
        for key in ["acceptance", "failure", "unresolved"]
            .iter()
            .chain(&super::super::enumerate::COUNT_KEYS[1..])
        {
            pass.as_object_mut().unwrap().remove(*key);
        }
        let rows = [row(enumerated(1, 0.25, 0.0)), row(pass)];
        let groups = group_screened(&rows).unwrap();
        assert_eq!(groups.len(), 1);
        let (_, classes, strata) = &groups[0];
        assert_eq!(strata[&1].exact, Some((0.25, 0.0, 1e-9)));
        let point = combine_screened(classes, strata, 1e-4);
        // k = 0 (accepted), k = 1 exact; k >= 2 partly unknown.
        let (p0, p1) = (
            (1.0f64 - 1e-4).powi(100),
            100.0 * 1e-4 * (1.0f64 - 1e-4).powi(99),
        );
        assert!(point.acceptance.low >= p0 + 0.25 * p1 - 1e-12);
        assert!(point.acceptance.value >= point.acceptance.low);
    }

    #[test]
    fn enumerated_rows_without_their_values_are_refused() {
        let mut meta = enumerated(1, 0.25, 0.0);
        meta.as_object_mut().unwrap().remove("failure");
        let err = group_screened(&[row(meta)]).unwrap_err();
        assert!(err.contains("\"failure\""), "{err}");
        let err = group_screened(&[row(enumerated(1, 1.5, 0.0))]).unwrap_err();
        assert!(err.contains("\"acceptance\""), "{err}");
    }
}
