//! The bottom-up |H> preparation of Chamberland and Noh (npj Quantum Inf. 6, 91 (2020)) as a
//! magic-state source: fits of our own sweep statistics and the cost of one accepted state.
//!
//! Data: one [`CurvePoint`] per (distance, p): the logical error per *accepted* state and the
//! acceptance probability, each with sinter's likelihood-ratio interval (factor 1000,
//! [`crate::sweep::fit::fit_binomial`]). Monte Carlo rows of a statistics file become points
//! here ([`curve_points`]); stratified (`"method": "subset"`) rows are turned into points by the
//! magic-state module and handed in as extra points (the hook of [`curve_points`]).
//!
//! Fits per distance (both by maximum likelihood, intervals by the same likelihood ratio 1000):
//! - p_L(p) = A p^((d+1)/2), the exponent fixed to the fault distance (d+1)/2 of the
//!   postselected protocol (Chamberland-Noh, Sec. "Results"); only A is fitted.
//! - P_acc(p) = exp(-B p): each of ~B fault locations fires with probability ~p and any firing
//!   is detected and discarded (Poisson approximation of (1-p)^B).
//!
//! Each point enters the likelihood as binomial counts. For a Monte Carlo point those are its
//! counts; in general they are the *effective* counts (k, n) whose likelihood-ratio interval is
//! the point's interval: n = ln(1000) / KL(r || edge) for either edge of the interval (the
//! defining equation of the interval, solved for n), k = r n.
//!
//! Cost of one accepted state at distance d (Chamberland-Noh's accounting): N_d = (6d^2-9d+5)/2
//! qubits of the redundant-ancilla layout, T_d time steps per attempt read from our generated
//! circuit ([`crate::magic::prep_timing`]; fewer than t_grow + (d-1)/2 (t_H + t_EC) because
//! the Hadamard measurements and rounds overlap when scheduled together); expected time per
//! accepted state T_d / P_acc (attempts run back to back on the same qubits), expected
//! space-time N_d T_d / P_acc, and N_d / P_acc qubits to deliver one state per T_d on average.

use crate::sweep::fit::fit_binomial;
use crate::sweep::stats::{combine, TaskStats};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// sinter's likelihood-ratio factor for confidence intervals.
pub const LIKELIHOOD_FACTOR: f64 = 1000.0;

/// Points whose p lies below the simulated range by at most this factor are extrapolated (and
/// flagged); further below, or anywhere above the simulated range, the fits are refused.
pub const EXTRAPOLATION_FACTOR: f64 = 10.0;

/// An estimate with its confidence interval (likelihood ratio 1000 unless stated).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub est: f64,
    pub lo: f64,
    pub hi: f64,
}

impl Interval {
    pub fn new(est: f64, lo: f64, hi: f64) -> Self {
        Interval { est, lo, hi }
    }

    fn from_tuple(t: (f64, f64, f64)) -> Self {
        Interval::new(t.0, t.1, t.2)
    }

    /// Applies a monotone increasing map to all three values.
    pub fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Interval::new(f(self.est), f(self.lo), f(self.hi))
    }
}

/// One simulated point of the bottom-up protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    pub d: usize,
    pub p: f64,
    /// Logical error per accepted state: (estimate, low, high).
    pub logical: (f64, f64, f64),
    /// Acceptance probability: (estimate, low, high).
    pub acceptance: (f64, f64, f64),
    /// Likelihood-ratio factor of both intervals: [`LIKELIHOOD_FACTOR`] for Monte Carlo and
    /// subset points, [`crate::sweep::screen::FACTOR_95`] for screened ones (fits files
    /// written before the field existed hold only factor-1000 points).
    #[serde(default = "default_likelihood_factor")]
    pub likelihood_factor: f64,
}

fn default_likelihood_factor() -> f64 {
    LIKELIHOOD_FACTOR
}

/// Which rows of a statistics file are used.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Only rows whose metadata "ch_model" equals this.
    pub ch_model: Option<String>,
    /// Only rows whose metadata "noise" equals this.
    pub noise: Option<String>,
}

impl Selection {
    /// Whether `meta` is a hadamard-prep row's metadata that this selection keeps.
    pub fn keeps(&self, meta: &Value) -> bool {
        meta.get("task").and_then(Value::as_str) == Some("hadamard-prep")
            && self
                .ch_model
                .as_ref()
                .is_none_or(|c| *c == text_of(meta, "ch_model"))
            && self
                .noise
                .as_ref()
                .is_none_or(|n| *n == text_of(meta, "noise"))
    }
}

/// Curve points and what they were made of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointSet {
    pub points: Vec<CurvePoint>,
    /// Monte Carlo rows used (after merging equal strong ids).
    pub mc_rows: usize,
    /// Points handed in from stratified (subset) rows.
    pub subset_points: usize,
    /// "ch_model" and "noise" of the rows used (empty string when absent).
    pub ch_model: String,
    pub noise: String,
}

fn text_of(meta: &Value, key: &str) -> String {
    match meta.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// Curve points from sweep rows: rows with `"task": "hadamard-prep"`, integer `"d"`, numeric
/// `"p"` and `"method"` absent or `"mc"`, merged first by strong id and then by (d, p,
/// ch_model, noise). `subset_points` is the hook for stratified rows: points the magic-state
/// module reconstructed from `"method": "subset"` rows; they are appended as they are. A file
/// with only subset rows and no such points is refused (not yet supported).
pub fn curve_points(
    rows: &[TaskStats],
    subset_points: Vec<CurvePoint>,
    selection: &Selection,
) -> Result<PointSet, String> {
    let merged = combine(rows.iter().cloned());
    let mut groups: BTreeMap<(usize, u64, String, String), TaskStats> = BTreeMap::new();
    let mut subset_rows = 0usize;
    let mut mc_rows = 0usize;
    for row in merged {
        let meta = &row.json_metadata;
        if !selection.keeps(meta) {
            continue;
        }
        let ch = text_of(meta, "ch_model");
        let noise = text_of(meta, "noise");
        match meta.get("method").and_then(Value::as_str) {
            None | Some("mc") => {}
            Some("subset" | "screened") => {
                subset_rows += 1;
                continue;
            }
            Some(other) => return Err(format!("hadamard-prep row with unknown method '{other}'")),
        }
        let d = meta
            .get("d")
            .and_then(Value::as_u64)
            .ok_or("hadamard-prep row without an integer \"d\" in its json_metadata")?
            as usize;
        let p = meta
            .get("p")
            .and_then(Value::as_f64)
            .ok_or("hadamard-prep row without a numeric \"p\" in its json_metadata")?;
        if !(p > 0.0 && p <= 0.5) {
            return Err(format!("hadamard-prep row with p = {p} outside (0, 0.5]"));
        }
        if d < 3 || d.is_multiple_of(2) {
            return Err(format!(
                "hadamard-prep row with d = {d} (the color code needs an odd d >= 3)"
            ));
        }
        mc_rows += 1;
        groups
            .entry((d, p.to_bits(), ch, noise))
            .and_modify(|s| s.add(&row))
            .or_insert(row);
    }
    if groups.is_empty() && subset_points.is_empty() {
        if subset_rows > 0 {
            return Err(format!(
                "the statistics hold only stratified rows ({subset_rows} with \"method\": \"subset\"); subset rows need the reconstruction of the curve over p from crate::magic (not yet supported)"
            ));
        }
        return Err(
            "no hadamard-prep rows (json_metadata \"task\": \"hadamard-prep\") match".into(),
        );
    }
    let models: std::collections::BTreeSet<(&str, &str)> = groups
        .keys()
        .map(|(_, _, c, n)| (c.as_str(), n.as_str()))
        .collect();
    one_model(&models)?;
    let (ch_model, noise) = models
        .iter()
        .next()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .unwrap_or_default();
    let mut points: Vec<CurvePoint> = groups
        .into_iter()
        .filter(|(_, s)| s.shots > 0)
        .map(|((d, p, _, _), s)| point_from_counts(d, f64::from_bits(p), &s))
        .collect();
    let subset = subset_points.len();
    points.extend(subset_points);
    points.sort_by(|a, b| a.d.cmp(&b.d).then(a.p.total_cmp(&b.p)));
    Ok(PointSet {
        points,
        mc_rows,
        subset_points: subset,
        ch_model,
        noise,
    })
}

/// Curve points from stratified (`"method": "subset"` or `"screened"`) hadamard-prep rows: each curve is
/// rebuilt over its "p_values" by [`crate::sweep::subset::subset_curves`] (strata weighted by
/// the exact fault-count probabilities, sinter's likelihood-ratio intervals); rows outside
/// `selection` are left out. Returns the points and the (ch_model, noise) they come from; a mix
/// of models is refused as in [`curve_points`].
pub fn subset_points(
    rows: &[TaskStats],
    selection: &Selection,
) -> Result<(Vec<CurvePoint>, String, String), String> {
    let wanted: Vec<TaskStats> = combine(rows.iter().cloned())
        .into_iter()
        .filter(|r| {
            let m = &r.json_metadata;
            selection.keeps(m)
                && matches!(
                    m.get("method").and_then(Value::as_str),
                    Some("subset" | "screened")
                )
        })
        .collect();
    if wanted.is_empty() {
        return Ok((Vec::new(), String::new(), String::new()));
    }
    let curves = crate::sweep::subset::subset_curves(&wanted)
        .map_err(|e| format!("stratified (subset) rows: {e}"))?;
    let mut models = std::collections::BTreeSet::new();
    let mut points = Vec::new();
    for c in curves {
        let m = &c.metadata;
        models.insert((text_of(m, "ch_model"), text_of(m, "noise")));
        let d = m
            .get("d")
            .and_then(Value::as_u64)
            .ok_or("a subset curve without an integer \"d\" in its json_metadata")?
            as usize;
        let likelihood_factor = c.likelihood_factor;
        for pt in c.points {
            points.push(CurvePoint {
                d,
                p: pt.p,
                logical: (pt.logical.value, pt.logical.low, pt.logical.high),
                acceptance: (pt.acceptance.value, pt.acceptance.low, pt.acceptance.high),
                likelihood_factor,
            });
        }
    }
    one_model(&models)?;
    let (ch, noise) = models.into_iter().next().unwrap_or_default();
    Ok((points, ch, noise))
}

/// A point from Monte Carlo counts: logical = errors / kept, acceptance = kept / shots.
pub fn point_from_counts(d: usize, p: f64, s: &TaskStats) -> CurvePoint {
    let l = fit_binomial(s.errors, s.kept(), LIKELIHOOD_FACTOR);
    let a = fit_binomial(s.kept(), s.shots, LIKELIHOOD_FACTOR);
    CurvePoint {
        d,
        p,
        logical: (l.best, l.low, l.high),
        acceptance: (a.best, a.low, a.high),
        likelihood_factor: LIKELIHOOD_FACTOR,
    }
}

/// Kullback-Leibler divergence of Bernoulli(r) from Bernoulli(x), 0 ln 0 = 0.
fn kl(r: f64, x: f64) -> f64 {
    let term = |a: f64, b: f64| if a == 0.0 { 0.0 } else { a * (a / b).ln() };
    term(r, x) + term(1.0 - r, 1.0 - x)
}

/// Effective binomial counts (hits, trials) whose likelihood-ratio interval (factor `factor`)
/// is `[lo, hi]` around `est`: n = ln(factor) / KL(est || edge), the smaller over the edges that
/// lie strictly inside (0, 1); None if neither does (no information). For a binomial interval
/// both edges give the same n; a stratified interval is lopsided (its upper end carries the
/// unsampled and uncertified parts), and the smaller n keeps the wider side's uncertainty
/// instead of letting the narrow side make the point look precise.
pub fn effective_counts(est: f64, lo: f64, hi: f64, factor: f64) -> Option<(f64, f64)> {
    let ln_f = factor.ln();
    let mut ns = Vec::new();
    for edge in [lo, hi] {
        if edge > 0.0 && edge < 1.0 && edge != est {
            let div = kl(est, edge);
            if div > 0.0 && div.is_finite() {
                ns.push(ln_f / div);
            }
        }
    }
    let n = ns.into_iter().reduce(f64::min)?;
    Some((est * n, n))
}

/// Maximum-likelihood fit of one non-negative parameter θ in [0, upper) of a log-likelihood
/// that is concave in θ, with the likelihood-ratio interval (factor 1000). `zero` says the
/// maximum sits at θ = 0 (no events), where the estimate is reported as exactly 0.
fn fit_parameter(ll: impl Fn(f64) -> f64, upper: f64, zero: bool) -> Interval {
    let (umin, umax) = (upper.ln() - 700.0, upper.ln() - 1e-9);
    let lu = |u: f64| ll(u.exp());
    // Golden-section search for the maximum of ll(e^u) (unimodal: ll concave in θ).
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut a, mut b) = (umin, umax);
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let (mut fc, mut fd) = (lu(c), lu(d));
    for _ in 0..300 {
        if fc >= fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = lu(c);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = lu(d);
        }
    }
    let best = 0.5 * (a + b);
    let top = if zero { ll(0.0) } else { lu(best) };
    let target = top - LIKELIHOOD_FACTOR.ln();
    let edge = |mut inner: f64, mut outer: f64| {
        for _ in 0..200 {
            let mid = 0.5 * (inner + outer);
            if lu(mid) >= target {
                inner = mid;
            } else {
                outer = mid;
            }
        }
        inner.exp()
    };
    let lo = if zero || lu(umin) >= target {
        0.0
    } else {
        edge(best, umin)
    };
    let hi = if lu(umax) >= target {
        upper
    } else {
        edge(best, umax)
    };
    Interval::new(if zero { 0.0 } else { best.exp() }, lo, hi)
}

/// Maximum-likelihood amplitude A of binomial rates A x_i for effective counts (k_i, n_i),
/// with its likelihood-ratio interval.
pub(crate) fn fit_amplitude(xs: &[f64], counts: &[(f64, f64)]) -> Interval {
    let ll = |a: f64| -> f64 {
        counts
            .iter()
            .zip(xs)
            .map(|(&(k, n), &x)| {
                let r = a * x;
                let hit = if k > 0.0 { k * r.ln() } else { 0.0 };
                hit + (n - k) * (-r).ln_1p()
            })
            .sum()
    };
    let none = counts.iter().all(|&(k, _)| k <= 0.0);
    let x_max = xs.iter().cloned().fold(0.0, f64::max);
    fit_parameter(ll, 1.0 / x_max, none)
}

/// The fit of one distance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DistanceFit {
    pub d: usize,
    /// Points that entered the fits.
    pub points: usize,
    /// Simulated p range.
    pub p_min: f64,
    pub p_max: f64,
    /// p_L(p) = A p^exponent with exponent (d+1)/2.
    pub exponent: f64,
    pub a: Interval,
    /// Deviance of the p_L fit (about `dof` if the model describes the data).
    pub a_deviance: f64,
    /// Slope of a free power law through the points with errors (weighted least squares in
    /// log-log, weights = effective error counts), as a check of the fixed exponent.
    pub free_exponent: Option<f64>,
    /// P_acc(p) = exp(-B p).
    pub b: Interval,
    pub b_deviance: f64,
    /// Degrees of freedom of each fit: points - 1.
    pub dof: usize,
}

/// Binomial deviance 2 Σ [k ln(k/μ) + (n-k) ln((n-k)/(n-μ))], μ = n·rate.
fn deviance(counts: &[(f64, f64)], rates: &[f64]) -> f64 {
    let term = |a: f64, b: f64| if a <= 0.0 { 0.0 } else { a * (a / b).ln() };
    2.0 * counts
        .iter()
        .zip(rates)
        .map(|(&(k, n), &r)| term(k, n * r) + term(n - k, n * (1.0 - r)))
        .sum::<f64>()
}

/// Fits p_L and P_acc of one distance from its points.
pub fn fit_distance(d: usize, points: &[CurvePoint]) -> Result<DistanceFit, String> {
    let exponent = (d as f64 + 1.0) / 2.0;
    let mut logical = Vec::new();
    let mut accept = Vec::new();
    for pt in points.iter().filter(|pt| pt.d == d) {
        let (e, l, h) = pt.logical;
        if let Some(c) = effective_counts(e, l, h, pt.likelihood_factor) {
            logical.push((pt.p, c));
        }
        let (e, l, h) = pt.acceptance;
        if let Some(c) = effective_counts(e, l, h, pt.likelihood_factor) {
            accept.push((pt.p, c));
        }
    }
    if logical.is_empty() || accept.is_empty() {
        return Err(format!(
            "d = {d}: no point with a usable confidence interval (no accepted shots?)"
        ));
    }
    // p_L: rate_i = A x_i, x_i = p_i^exponent.
    let xs: Vec<f64> = logical.iter().map(|(p, _)| p.powf(exponent)).collect();
    let lc: Vec<(f64, f64)> = logical.iter().map(|(_, c)| *c).collect();
    let a = fit_amplitude(&xs, &lc);
    let a_rates: Vec<f64> = xs.iter().map(|x| (a.est * x).min(1.0)).collect();
    let a_deviance = deviance(&lc, &a_rates);
    // Free exponent: weighted least squares of ln r against ln p over points with errors.
    let with_errors: Vec<(f64, f64, f64)> = logical
        .iter()
        .filter(|(_, (k, _))| *k > 0.0)
        .map(|(p, (k, n))| (p.ln(), (k / n).ln(), *k))
        .collect();
    let free_exponent = (with_errors.len() >= 2)
        .then(|| {
            let w: f64 = with_errors.iter().map(|t| t.2).sum();
            let mx = with_errors.iter().map(|t| t.2 * t.0).sum::<f64>() / w;
            let my = with_errors.iter().map(|t| t.2 * t.1).sum::<f64>() / w;
            let sxx: f64 = with_errors.iter().map(|t| t.2 * (t.0 - mx).powi(2)).sum();
            let sxy: f64 = with_errors
                .iter()
                .map(|t| t.2 * (t.0 - mx) * (t.1 - my))
                .sum();
            (sxx > 0.0).then(|| sxy / sxx)
        })
        .flatten();
    // P_acc: rate_i = exp(-B p_i).
    let ac: Vec<(f64, f64)> = accept.iter().map(|(_, c)| *c).collect();
    let ps: Vec<f64> = accept.iter().map(|(p, _)| *p).collect();
    let ll_b = |b: f64| -> f64 {
        ac.iter()
            .zip(&ps)
            .map(|(&(k, n), &p)| {
                let rej = if n - k > 0.0 {
                    (n - k) * (-(-b * p).exp_m1()).ln()
                } else {
                    0.0
                };
                -k * b * p + rej
            })
            .sum()
    };
    let all_kept = ac.iter().all(|&(k, n)| n - k <= 0.0);
    let p_min_acc = ps.iter().cloned().fold(f64::INFINITY, f64::min);
    let b = fit_parameter(ll_b, 200.0 / p_min_acc, all_kept);
    let b_rates: Vec<f64> = ps.iter().map(|p| (-b.est * p).exp()).collect();
    let b_deviance = deviance(&ac, &b_rates);
    let all_p = points.iter().filter(|pt| pt.d == d).map(|pt| pt.p);
    let p_min = all_p.clone().fold(f64::INFINITY, f64::min);
    let p_max = all_p.fold(0.0, f64::max);
    Ok(DistanceFit {
        d,
        points: logical.len().max(accept.len()),
        p_min,
        p_max,
        exponent,
        a,
        a_deviance,
        free_exponent,
        b,
        b_deviance,
        dof: logical.len().saturating_sub(1),
    })
}

/// Whether the fits may be used at `p`: inside the simulated range, extrapolated (down to
/// p_min / [`EXTRAPOLATION_FACTOR`]), or refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Validity {
    Simulated,
    Extrapolated,
    Refused,
}

impl DistanceFit {
    pub fn validity(&self, p: f64) -> Validity {
        let tol = 1e-9;
        if p >= self.p_min * (1.0 - tol) && p <= self.p_max * (1.0 + tol) {
            Validity::Simulated
        } else if p < self.p_min && p >= self.p_min / EXTRAPOLATION_FACTOR * (1.0 - tol) {
            Validity::Extrapolated
        } else {
            Validity::Refused
        }
    }

    /// p_L(p) with its interval (from A's).
    pub fn logical(&self, p: f64) -> Interval {
        let x = p.powf(self.exponent);
        self.a.map(|a| (a * x).min(1.0))
    }

    /// P_acc(p) with its interval (from B's).
    pub fn acceptance(&self, p: f64) -> Interval {
        Interval::new(
            (-self.b.est * p).exp(),
            (-self.b.hi * p).exp(),
            (-self.b.lo * p).exp(),
        )
    }
}

/// The fits of all distances, with where the data came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BottomUpFits {
    pub fits: Vec<DistanceFit>,
    pub points: Vec<CurvePoint>,
    /// Provenance, e.g. "stats.csv (sha256 ..., 12 rows)".
    pub source: String,
    pub ch_model: String,
    pub noise: String,
    pub mc_rows: usize,
    pub subset_points: usize,
    /// The layout of the circuits the rows were sampled on (metadata "layout"; T_d is read
    /// from that layout's circuits). Fits files written before the field hold `redundant-ghz`'s.
    #[serde(default = "unnamed_layout")]
    pub layout: String,
}

/// The |H> preparation's default layout (that of the attempt's time steps when no rows say).
pub const DEFAULT_PREP_LAYOUT: &str = crate::layout::LayoutKind::HADAMARD.name();

/// The layout of rows and fits files that name none: they were written before the field, when
/// `redundant-ghz` was the only layout of the |H> preparation.
pub const UNNAMED_PREP_LAYOUT: &str = crate::layout::LayoutKind::RedundantGhz.name();

fn unnamed_layout() -> String {
    UNNAMED_PREP_LAYOUT.to_string()
}

/// The one layout of the hadamard-prep rows in `selection` (metadata "layout", absent meaning
/// [`UNNAMED_PREP_LAYOUT`]; no rows at all, [`DEFAULT_PREP_LAYOUT`]): rows of two layouts are
/// refused, as their circuits differ.
pub fn layout_of(rows: &[TaskStats], selection: &Selection) -> Result<String, String> {
    let mut layouts = std::collections::BTreeSet::new();
    for m in rows.iter().map(|r| &r.json_metadata) {
        if !selection.keeps(m) {
            continue;
        }
        layouts.insert(match m.get("layout").and_then(Value::as_str) {
            Some(l) => l.to_string(),
            None => unnamed_layout(),
        });
    }
    match layouts.len() {
        0 | 1 => Ok(layouts
            .into_iter()
            .next()
            .unwrap_or_else(|| DEFAULT_PREP_LAYOUT.to_string())),
        _ => Err(format!(
            "hadamard-prep rows of {} layouts ({}): their circuits differ, so give the rows of one layout",
            layouts.len(),
            layouts.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

impl BottomUpFits {
    /// Fits every distance of the point set; `needed` distances (if any) must all be there.
    pub fn from_points(set: PointSet, needed: &[usize], source: String) -> Result<Self, String> {
        let mut ds: Vec<usize> = set.points.iter().map(|p| p.d).collect();
        ds.sort_unstable();
        ds.dedup();
        let missing: Vec<String> = needed
            .iter()
            .filter(|d| !ds.contains(d))
            .map(|d| d.to_string())
            .collect();
        if !missing.is_empty() {
            let found: Vec<String> = ds.iter().map(|d| d.to_string()).collect();
            return Err(format!(
                "{source} has no hadamard-prep data for d = {} (it has d = {})",
                missing.join(", "),
                if found.is_empty() {
                    "none".into()
                } else {
                    found.join(", ")
                }
            ));
        }
        let use_ds: Vec<usize> = if needed.is_empty() {
            ds
        } else {
            needed.to_vec()
        };
        let fits = use_ds
            .iter()
            .map(|&d| fit_distance(d, &set.points))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BottomUpFits {
            fits,
            points: set.points,
            source,
            ch_model: set.ch_model,
            noise: set.noise,
            mc_rows: set.mc_rows,
            subset_points: set.subset_points,
            layout: DEFAULT_PREP_LAYOUT.to_string(),
        })
    }
}

/// Qubits of the distance-d redundant-ancilla layout: (6d^2 - 9d + 5)/2 (Chamberland-Noh;
/// equal to `Layout::new(d, LayoutKind::Redundant).num_qubits()`, checked by a test).
pub fn qubits(d: usize) -> u64 {
    let d = d as u64;
    (6 * d * d + 5 - 9 * d) / 2
}

/// Time steps of one attempt at distance d, read from the generated circuits (default layout).
pub fn attempt_steps(d: usize) -> Result<u64, String> {
    attempt_steps_on(d, DEFAULT_PREP_LAYOUT)
}

/// Time steps of one attempt at distance d on the named layout (`redundant-ghz` or
/// `redundant-ghz-x`), read from the generated circuit.
pub fn attempt_steps_on(d: usize, layout: &str) -> Result<u64, String> {
    Ok(crate::magic::prep_timing_on(d, layout)?.attempt as u64)
}

/// The cost of one accepted state at distance d.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BottomUpCost {
    pub d: usize,
    pub qubits: u64,
    /// Time steps per attempt.
    pub steps: u64,
    pub logical: Interval,
    pub acceptance: Interval,
    /// Expected time steps per accepted state, T_d / P_acc (interval from P_acc's).
    pub expected_steps: Interval,
    /// Expected space-time, N_d T_d / P_acc, in qubit x time steps.
    pub spacetime: Interval,
    /// N_d / P_acc: qubits to deliver one state per attempt time on average.
    pub expected_qubits: f64,
    pub validity: Validity,
    pub source: CostSource,
}

/// Cost at distance fit `fit` and physical error `p`; `steps` from [`attempt_steps`]. Where a
/// simulated point of this distance lies at exactly this p, its measured values (and
/// intervals) are used instead of the fit: the fit only interpolates between simulated p and
/// extrapolates below them. Where several curves (e.g. subset and screened strata) have a
/// point there, the one with the narrowest logical-error interval (ratio of its ends) is used.
pub fn cost(fit: &DistanceFit, p: f64, steps: u64, points: &[CurvePoint]) -> BottomUpCost {
    let width = |pt: &&CurvePoint| {
        let (_, lo, hi) = pt.logical;
        if lo > 0.0 {
            hi / lo
        } else {
            f64::INFINITY
        }
    };
    let measured = points
        .iter()
        .filter(|pt| pt.d == fit.d && (pt.p / p - 1.0).abs() < 1e-9)
        .min_by(|a, b| width(a).total_cmp(&width(b)));
    let (logical, acc, source) = match measured {
        Some(pt) => (
            Interval::from(pt.logical),
            Interval::from(pt.acceptance),
            CostSource::Point,
        ),
        None => (fit.logical(p), fit.acceptance(p), CostSource::Fit),
    };
    let n = qubits(fit.d);
    let t = steps as f64;
    let per = Interval::new(t / acc.est, t / acc.hi, t / acc.lo);
    BottomUpCost {
        d: fit.d,
        qubits: n,
        steps,
        logical,
        acceptance: acc,
        expected_steps: per,
        spacetime: per.map(|x| x * n as f64),
        expected_qubits: n as f64 / acc.est,
        validity: fit.validity(p),
        source,
    }
}

/// Where a cost's error and acceptance come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum CostSource {
    /// The simulated point at this p.
    Point,
    /// The fit (between or below simulated p).
    Fit,
}

impl From<(f64, f64, f64)> for Interval {
    fn from(t: (f64, f64, f64)) -> Self {
        Interval::from_tuple(t)
    }
}

/// Refuses statistics that mix CH models or noise models (one curve per distance is fitted).
fn one_model<C: AsRef<str>, N: AsRef<str>>(
    models: &std::collections::BTreeSet<(C, N)>,
) -> Result<(), String> {
    if models.len() <= 1 {
        return Ok(());
    }
    let list: Vec<String> = models
        .iter()
        .map(|(c, n)| format!("ch_model={} noise={}", c.as_ref(), n.as_ref()))
        .collect();
    Err(format!(
        "the statistics mix {} models ({}); choose one with --ch-model and --noise",
        models.len(),
        list.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_counts_invert_the_interval() {
        let f = fit_binomial(37, 20_000, LIKELIHOOD_FACTOR);
        let (k, n) = effective_counts(f.best, f.low, f.high, LIKELIHOOD_FACTOR).unwrap();
        assert!((n / 20_000.0 - 1.0).abs() < 1e-6, "{n}");
        assert!((k - 37.0).abs() < 1e-4, "{k}");
        let z = fit_binomial(0, 5000, LIKELIHOOD_FACTOR);
        let (k, n) = effective_counts(z.best, z.low, z.high, LIKELIHOOD_FACTOR).unwrap();
        assert_eq!(k, 0.0);
        assert!((n / 5000.0 - 1.0).abs() < 1e-6, "{n}");
        assert!(effective_counts(0.0, 0.0, 1.0, LIKELIHOOD_FACTOR).is_none());
        // A lopsided interval counts as its wider side, and a 95% interval as fewer trials
        // than the same interval at factor 1000.
        let (_, narrow) = effective_counts(1e-3, 9e-4, 1.1e-3, LIKELIHOOD_FACTOR).unwrap();
        let (_, lopsided) = effective_counts(1e-3, 9e-4, 1e-2, LIKELIHOOD_FACTOR).unwrap();
        assert!(lopsided < narrow / 10.0, "{lopsided} vs {narrow}");
        let (_, at95) =
            effective_counts(1e-3, 9e-4, 1.1e-3, crate::sweep::screen::FACTOR_95).unwrap();
        assert!(
            (at95 / narrow - 1.92 / 1000f64.ln()).abs() < 1e-3,
            "{at95} vs {narrow}"
        );
    }

    #[test]
    fn layout_qubits_match_the_formula() {
        use crate::layout::{Layout, LayoutKind};
        for d in [3, 5, 7, 9] {
            assert_eq!(
                qubits(d),
                Layout::new(d, LayoutKind::Redundant).num_qubits() as u64,
                "d = {d}"
            );
        }
        assert_eq!((qubits(3), qubits(5), qubits(7)), (16, 55, 118));
    }
}
