//! The `exact` CH model (state vector, d = 3) of the Chamberland-Noh |H> preparation:
//! noiseless runs, single-fault tolerance under postselection, a harmful fault pair, and plain
//! Monte Carlo against the stratified (subset-sampling) combination.

use qec_sim::faults::Effect;
use qec_sim::frame::noise::uniform_open0;
use qec_sim::magic::exact::{ExactPrep, ExactShot};
use qec_sim::magic::HadamardPrep;
use qec_sim::noise::NoiseModel;
use qec_sim::sampler::batch_rng;
use rayon::prelude::*;
use std::time::Instant;

fn exact(p: f64) -> ExactPrep {
    let prep = HadamardPrep::new(3).unwrap();
    ExactPrep::new(&prep, &NoiseModel::named("cn20").unwrap(), p).unwrap()
}

#[test]
fn larger_distances_are_refused() {
    let prep = HadamardPrep::new(5).unwrap();
    let err = ExactPrep::new(&prep, &NoiseModel::named("cn20").unwrap(), 1e-3).unwrap_err();
    assert!(err.contains("d = 3 only"), "{err}");
}

/// Acceptance 1 and output |H>_L for several seeds (different gauge outcomes of the growth
/// round): injection, gauge fixing and the Hadamard measurement are consistent.
#[test]
fn noiseless_runs_accept_with_certainty_and_output_h() {
    let e = exact(0.0);
    assert_eq!(e.events().num_events(), 0);
    let (measurements, postselected) = e.measurement_counts();
    assert_eq!((measurements, postselected), (45, 39));
    let start = Instant::now();
    // 6 gauge outcomes, each a fair coin: 20 seeds see many of the 64 patterns.
    let shots = 20;
    for seed in 0..shots {
        let shot = e.sample(&mut batch_rng(seed, 0));
        assert!((shot.accept - 1.0).abs() < 1e-9, "seed {seed}: {shot:?}");
        assert!(shot.infidelity.abs() < 1e-9, "seed {seed}: {shot:?}");
    }
    eprintln!(
        "noiseless: {:.2} ms/shot",
        start.elapsed().as_secs_f64() * 1e3 / shots as f64
    );
}

/// Fault distance >= 2 = (d+1)/2 under postselection: no single fault event is accepted with
/// a decoded output other than |H>_L. The k = 1 stratum agrees with the per-event results.
#[test]
fn single_faults_are_rejected_or_corrected() {
    let e = exact(1e-3);
    let start = Instant::now();
    let shots = e.single_faults(7);
    let secs = start.elapsed().as_secs_f64();
    let n = shots.len();
    assert_eq!(n, e.events().num_events());
    let accepted = shots.iter().filter(|s| s.accept > 1e-9).count();
    let worst = (0..n)
        .max_by(|&a, &b| shots[a].fail().total_cmp(&shots[b].fail()))
        .unwrap();
    eprintln!(
        "{n} single faults in {secs:.1} s ({:.2} ms each): {accepted} accepted with probability \
         > 0; largest accept x infidelity {:e} ({})",
        secs * 1e3 / n as f64,
        shots[worst].fail(),
        e.events().describe(worst)
    );
    for (i, s) in shots.iter().enumerate() {
        assert!(
            s.fail() < 1e-9,
            "single fault {} accepted with infidelity: {s:?}",
            e.events().describe(i)
        );
    }
    // Not vacuous: some single faults are accepted (harmless or corrected), most are caught.
    assert!(accepted > 100 && accepted < n, "{accepted} of {n}");
    // The shared-prefix runs agree with runs from scratch (other gauge samples) on a spread of
    // events: the acceptance of a single fault does not depend on the gauge outcomes.
    for i in (0..n).step_by(97) {
        let alone = e.with_faults(&[i], &mut batch_rng(8, i as u64));
        assert!(
            (alone.accept - shots[i].accept).abs() < 1e-9 && alone.fail() < 1e-9,
            "{}: {alone:?} vs {:?}",
            e.events().describe(i),
            shots[i]
        );
    }
}

/// The single events of the injection's Y error (|H> -> |H⊥>) and of the measurement flips of
/// MX results.
fn injection_y_and_mx_flips(e: &ExactPrep) -> (usize, Vec<usize>) {
    let f = e.events();
    let mut y = None;
    let mut flips = Vec::new();
    for (i, ev) in f.events.iter().enumerate() {
        let site = f.site_of(ev);
        match (&f.term_of(ev).effect, site.gate.name()) {
            (Effect::Pauli(ps), "Y_ERROR") if ps.len() == 1 && y.is_none() => y = Some(i),
            (Effect::MeasurementFlip(_), "MX") => flips.push(i),
            _ => {}
        }
    }
    (y.expect("the injection's Y_ERROR"), flips)
}

/// Two faults can be accepted with a wrong output (the fault distance is not more than 2): the
/// injected |H> flipped to |H⊥> (Y error after RH) and the Hadamard measurement's root result
/// flipped, which postselection cannot tell from a good run.
#[test]
fn a_fault_pair_is_accepted_with_a_wrong_output() {
    let e = exact(1e-3);
    let (y, flips) = injection_y_and_mx_flips(&e);
    let alone = e.with_faults(&[y], &mut batch_rng(3, 0));
    assert!(
        alone.accept < 1e-9,
        "|H⊥> alone must be rejected: {alone:?}"
    );
    let harmful: Vec<(usize, ExactShot)> = flips
        .iter()
        .map(|&m| (m, e.with_faults(&[y, m], &mut batch_rng(3, m as u64))))
        .filter(|(_, s)| s.fail() > 1e-3)
        .collect();
    for (m, s) in &harmful {
        eprintln!("Y after RH + {}: {s:?}", e.events().describe(*m));
    }
    assert!(
        !harmful.is_empty(),
        "no harmful pair among {} MX flips",
        flips.len()
    );
    let (_, s) = harmful[0];
    assert!(s.accept > 0.99 && s.infidelity > 0.99, "{s:?}");
}

/// Plain Monte Carlo acceptance against the stratified combination sum_k P(k) a_k (k = 0: 1,
/// k = 1: exhaustive, k = 2: sampled), at p where P(k >= 3) is small; tolerance 5 standard
/// errors plus P(k >= 3) (unknown a_k in [0, 1]) plus the O(p) bias of the p -> 0 weights.
#[test]
fn monte_carlo_acceptance_matches_the_strata() {
    let p = 2e-4;
    let e = exact(p);
    let dist = e.fault_count_distribution(2);
    let tail = 1.0 - dist.iter().sum::<f64>();
    // k = 1, exhaustive; each event's acceptance is one gauge sample: variance <= 1/4 each.
    let (a1, f1) = e.stratum_k1();
    assert!(f1 < 1e-9, "k = 1 stratum fails: {f1}");
    let total: f64 = (0..e.events().num_events())
        .map(|i| e.event_probability(i))
        .sum();
    let var1: f64 = (0..e.events().num_events())
        .map(|i| (e.event_probability(i) / total).powi(2) * 0.25)
        .sum();
    // k = 2, sampled (acceptance in [0, 1]: variance <= 1/4).
    let n2 = 200;
    let (sum2, fail2) = e.sample_stratum(2, n2, 21);
    let (a2, var2) = (sum2 / n2 as f64, 0.25);
    assert!(fail2 <= sum2);
    let strat = dist[0] + dist[1] * a1 + dist[2] * a2;
    let strat_var = dist[1].powi(2) * var1 + dist[2].powi(2) * var2 / n2 as f64;
    // Plain Monte Carlo.
    let n = 1000;
    let start = Instant::now();
    let mc: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|s| e.sample(&mut batch_rng(31, s as u64)).accept)
        .collect();
    let secs = start.elapsed().as_secs_f64();
    let (a_mc, var_mc) = mean_var(&mc);
    let sigma = (var_mc / n as f64 + strat_var).sqrt();
    let bias = 2.0 * p * (dist[1] + dist[2]);
    eprintln!(
        "p = {p}: P(k) = {dist:?}, P(k>=3) = {tail:e}; a1 = {a1:.4}, a2 = {a2:.4} (accepted \
         failure {:e}); stratified {strat:.4}, Monte Carlo {a_mc:.4} ({n} shots, {:.2} ms/shot \
         on the pool), sigma {sigma:.4}",
        fail2 / n2 as f64,
        secs * 1e3 / n as f64
    );
    assert!(
        (a_mc - strat).abs() <= 5.0 * sigma + tail + bias,
        "MC {a_mc} vs stratified {strat} (sigma {sigma}, tail {tail})"
    );
}

/// The decoded fidelity on exactly computable cases: two single-qubit Paulis on different data
/// qubits after the last stabilizer round (each the last single-qubit event on its qubit) are
/// never detected; ideal decoding turns a weight-2 X (Z) part into the logical X_L (Z_L) and
/// corrects a weight-1 part, and |<H|X|H>|^2 = |<H|Z|H>|^2 = 1/2, <H|Y|H> = 0. So X_i X_j and
/// Z_i Z_j leave infidelity 1/2, Y_i Y_j 1, X_i Z_j 0, Y_i X_j 1/2 -- the same average over the
/// nine Pauli pairs as the proxy's count of logical Z or Y (4/9 each).
#[test]
fn late_data_pauli_pairs_have_the_analytic_fidelity() {
    let e = exact(1e-3);
    let f = e.events();
    // The last single-qubit event of each letter on data qubits 0 and 1.
    let last = |q: u32, letter: char| {
        (0..f.num_events())
            .rev()
            .find(|&i| f.term_of(&f.events[i]).effect == Effect::Pauli(vec![(q, letter)]))
            .unwrap()
    };
    let cases = [
        ('X', 'X', 0.5),
        ('Z', 'Z', 0.5),
        ('Y', 'Y', 1.0),
        ('X', 'Z', 0.0),
        ('Z', 'X', 0.0),
        ('Y', 'X', 0.5),
        ('Z', 'Y', 0.5),
    ];
    for (a, b, infidelity) in cases {
        let events = [last(0, a), last(1, b)];
        let shot = e.with_faults(&events, &mut batch_rng(5, 0));
        assert!(
            (shot.accept - 1.0).abs() < 1e-9 && (shot.infidelity - infidelity).abs() < 1e-9,
            "{a}0 {b}1 ({} | {}): {shot:?}, expected infidelity {infidelity}",
            f.describe(events[0]),
            f.describe(events[1])
        );
    }
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Exactly `k` fault events drawn the plain Monte Carlo way: every channel sampled
/// independently with its probability at the construction's p, redrawn until exactly k fire.
/// This is the true conditional distribution given k faults (no p -> 0 limit).
fn independent_k_faults(e: &ExactPrep, k: usize, rng: &mut impl rand_core::RngCore) -> Vec<usize> {
    loop {
        let mut events = Vec::new();
        for (q, members) in e.channels() {
            let mut u = uniform_open0(rng);
            if u > *q {
                continue;
            }
            for &m in members {
                u -= e.event_probability(m);
                if u <= 0.0 {
                    events.push(m);
                    break;
                }
            }
        }
        if events.len() == k {
            return events;
        }
    }
}

/// Mean and standard error of the acceptance and of the accepted failure of some shots.
fn stratum_means(shots: &[(f64, f64)]) -> [(f64, f64); 2] {
    let n = shots.len() as f64;
    let col = |f: fn(&(f64, f64)) -> f64| {
        let (m, v) = mean_var(&shots.iter().map(f).collect::<Vec<_>>());
        (m, (v / n).sqrt())
    };
    [col(|s| s.0), col(|s| s.1)]
}

/// Asserts that the (accept, accept x failure) shots of the k = 2 stratum drawn by
/// [`ExactPrep::draw_faults`] and by plain Monte Carlo agree in both means within 5 combined
/// standard errors plus the O(p) relative bias of the p -> 0 weights.
fn assert_k2_agree(model: &str, drawn: &[(f64, f64)], plain: &[(f64, f64)], p: f64) {
    let means = [stratum_means(drawn), stratum_means(plain)];
    for (i, what) in ["acceptance", "accepted failure"].iter().enumerate() {
        let (a, b) = (means[0][i], means[1][i]);
        let sigma = (a.1 * a.1 + b.1 * b.1).sqrt();
        eprintln!(
            "{model} k = 2 {what}: {:.6} +- {:.6} vs {:.6} +- {:.6}",
            a.0, a.1, b.0, b.1
        );
        assert!(
            (a.0 - b.0).abs() <= 5.0 * sigma + 2.0 * p * b.0,
            "{model} k = 2 {what}: {a:?} vs {b:?}"
        );
    }
}

/// The stratified sampler's k-fault draw ([`ExactPrep::draw_faults`]: channels by weight,
/// redrawn on a repeat) is the conditional distribution of plain Monte Carlo given k faults.
/// Scored cheaply on the Clifford proxy (same fault events; accepted and failing pairs from the
/// symptoms and the protocol's decoder), k = 2 at p = 1e-3: acceptance and accepted failure of
/// the pairs agree within 5 standard errors plus the O(p) bias of the p -> 0 weights.
#[test]
fn k_fault_draw_is_the_plain_monte_carlo_conditional() {
    use qec_sim::decoder::{Decision, Decoder};
    use qec_sim::faults::FaultSet;
    use qec_sim::magic::ChModel;
    let p = 1e-3;
    let prep = HadamardPrep::new(3).unwrap();
    let noise = NoiseModel::named("cn20").unwrap();
    let e = ExactPrep::new(&prep, &noise, p).unwrap();
    let proxy = FaultSet::from_circuit(&prep.circuit(&noise, p, ChModel::Proxy)).unwrap();
    assert_eq!(proxy.num_events(), e.events().num_events());
    let decoder = prep.decoder(ChModel::Proxy).unwrap();
    let score = |events: &[usize]| -> (f64, f64) {
        let mut det = vec![0u64; proxy.det_words];
        let mut obs = 0;
        for &i in events {
            det.iter_mut()
                .zip(proxy.detector_bits(i))
                .for_each(|(w, x)| *w ^= x);
            obs ^= proxy.observable_mask(i);
        }
        match decoder.decode(&det) {
            Decision::Discard => (0.0, 0.0),
            Decision::Predict(m) => (1.0, ((m ^ obs) & 1) as f64),
        }
    };
    let n = 120_000;
    let drawn: Vec<(f64, f64)> = (0..n)
        .into_par_iter()
        .map(|s| score(&e.draw_faults(2, &mut batch_rng(93, s))))
        .collect();
    let plain: Vec<(f64, f64)> = (0..n)
        .into_par_iter()
        .map(|s| score(&independent_k_faults(&e, 2, &mut batch_rng(94, s))))
        .collect();
    // Not vacuous: accepted failing pairs are a few per mille of the stratum.
    assert!(stratum_means(&plain)[1].0 > 1e-3);
    assert_k2_agree("proxy", &drawn, &plain, p);
}

/// The decisive check of the exact model's k = 2 stratum (slow: minutes; run with `--ignored`,
/// `EXACT_K2_SHOTS` shots per side, default 6000): state-vector trajectories on pairs from
/// [`ExactPrep::draw_faults`] against pairs from independent channel sampling at p = 1e-3.
#[test]
#[ignore]
fn exact_k2_stratum_matches_plain_monte_carlo() {
    let n: u64 = std::env::var("EXACT_K2_SHOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6000);
    let p = 1e-3;
    let e = exact(p);
    let run = |seed: u64, plain: bool| -> Vec<(f64, f64)> {
        (0..n)
            .into_par_iter()
            .map(|s| {
                let mut rng = batch_rng(seed, s);
                let events = if plain {
                    independent_k_faults(&e, 2, &mut rng)
                } else {
                    e.draw_faults(2, &mut rng)
                };
                let shot = e.with_faults(&events, &mut rng);
                (shot.accept, shot.fail())
            })
            .collect()
    };
    assert_k2_agree("exact", &run(91, false), &run(92, true), p);
}
