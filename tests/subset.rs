//! Stratified (subset) sampling against plain Monte Carlo on the |H> preparation at d = 3,
//! where both are feasible (p >= 5e-4).

use qec_sim::magic::{ChModel, HadamardPrep};
use qec_sim::noise::NoiseModel;
use qec_sim::sweep::subset::{subset_curves, SubsetPoint};
use qec_sim::sweep::tasks::{hadamard_prep_tasks, Method};
use qec_sim::sweep::{fit::fit_binomial, run_sweep, RunConfig, Shard, StopRule, TaskStats};
use serde_json::json;

/// Two threads, whole runs, seeded.
fn config(seed: u64) -> RunConfig {
    RunConfig {
        seed,
        threads: 2,
        shard: Shard::WHOLE,
        max_round_batches: 64,
    }
}

/// Stop after `shots` shots.
fn rule(shots: u64) -> StopRule {
    StopRule {
        max_shots: shots,
        max_errors: None,
        max_seconds: None,
    }
}

/// The Monte Carlo row's intervals (likelihood ratio 1000, beyond 3.5 sigma) must overlap the
/// stratified point's, for acceptance and for logical error per accepted state.
fn assert_overlap(label: &str, row: &TaskStats, point: &SubsetPoint) {
    let acc = fit_binomial(row.kept(), row.shots, 1000.0);
    let err = fit_binomial(row.errors, row.kept(), 1000.0);
    eprintln!(
        "{label} p = {}: MC acceptance {:.4} [{:.4}, {:.4}] error {:.3e} [{:.2e}, {:.2e}] ({} errors); stratified {:.4} [{:.4}, {:.4}] {:.3e} [{:.2e}, {:.2e}]",
        point.p, acc.best, acc.low, acc.high, err.best, err.low, err.high, row.errors,
        point.acceptance.value, point.acceptance.low, point.acceptance.high,
        point.logical.value, point.logical.low, point.logical.high
    );
    assert!(acc.low <= point.acceptance.high && point.acceptance.low <= acc.high);
    assert!(err.low <= point.logical.high && point.logical.low <= err.high);
}

#[test]
fn subset_curve_agrees_with_monte_carlo() {
    let prep = HadamardPrep::new(3).unwrap();
    let noise = NoiseModel::named("cn20").unwrap();
    let ps = [5e-4, 1e-3];
    let base = json!({"task": "hadamard-prep"});
    let config = config(11);
    for model in [ChModel::Twirl, ChModel::Proxy] {
        let mc_tasks =
            hadamard_prep_tasks(&prep, model, &noise, &ps, Method::MonteCarlo, &base).unwrap();
        let mc = run_sweep(&mc_tasks, &rule(400_000), &config, None, &mut |_| {}).unwrap();
        let strata = hadamard_prep_tasks(
            &prep,
            model,
            &noise,
            &ps,
            Method::Subset { max_faults: None },
            &base,
        )
        .unwrap();
        let rows = run_sweep(&strata, &rule(400_000), &config, None, &mut |_| {}).unwrap();
        let curves = subset_curves(&rows).unwrap();
        assert_eq!(curves.len(), 1);
        for (row, point) in mc.iter().zip(&curves[0].points) {
            assert_eq!(row.json_metadata["p"].as_f64().unwrap(), point.p);
            assert_overlap(&format!("{model:?}"), row, point);
        }
    }
}

/// The proxy-screened strata (exact model) against plain Monte Carlo at d = 3, p = 1e-3: the
/// screened 95% intervals must overlap Monte Carlo's (likelihood ratio 1000).
#[test]
fn screened_curve_agrees_with_monte_carlo_at_d3() {
    let prep = HadamardPrep::new(3).unwrap();
    let noise = NoiseModel::named("cn20").unwrap();
    let ps = [1e-3];
    let base = json!({"task": "hadamard-prep"});
    let config = config(12);
    let model = ChModel::Exact;
    let mc_tasks =
        hadamard_prep_tasks(&prep, model, &noise, &ps, Method::MonteCarlo, &base).unwrap();
    let mc = run_sweep(&mc_tasks, &rule(MC_SHOTS), &config, None, &mut |_| {}).unwrap();
    let method = Method::Screened {
        min_faults: 1,
        max_faults: Some(5),
        screen_draws: 1_000_000,
    };
    let strata = hadamard_prep_tasks(&prep, model, &noise, &ps, method, &base).unwrap();
    assert!(strata
        .iter()
        .any(|t| t.json_metadata["part"] == "pass" && t.json_metadata["k"] == 2));
    let rows = run_sweep(&strata, &rule(SCREENED_SHOTS), &config, None, &mut |_| {}).unwrap();
    let curves = subset_curves(&rows).unwrap();
    assert_eq!(curves.len(), 1);
    assert_eq!(curves[0].metadata["method"], "screened");
    let (row, point) = (&mc[0], &curves[0].points[0]);
    assert!(row.errors >= 10, "Monte Carlo must see failures to compare");
    assert_overlap("exact, screened", row, point);
    // The screened interval must be informative, not just wide enough to overlap.
    assert!(point.logical.high < 3.0 * point.logical.low.max(f64::MIN_POSITIVE));
    // The estimator takes the screened rows as it takes subset rows.
    let selection = qec_sim::estimate::bottom_up::Selection {
        ch_model: None,
        noise: None,
    };
    let (points, ch_model, _) =
        qec_sim::estimate::bottom_up::subset_points(&rows, &selection).unwrap();
    assert_eq!((points.len(), ch_model.as_str()), (1, "exact"));
}

const MC_SHOTS: u64 = 300_000;
const SCREENED_SHOTS: u64 = 100_000;

/// The exact model of the |H> preparation at distance d, p = 1e-3, with what the screened and
/// enumerated strata need: the circuit, its exact program, channels, every event's place in
/// the program, the screen and the body's postselection mask.
struct ScreenFixture {
    prep: HadamardPrep,
    circuit: qec_sim::circuit::Circuit,
    program: qec_sim::exact::ExactProgram,
    channels: std::sync::Arc<qec_sim::sweep::subset::Channels>,
    placed: qec_sim::sweep::subset::ExactStratum,
    screen: qec_sim::sweep::screen::Screen,
    postselect: Vec<bool>,
}

impl ScreenFixture {
    fn new(d: usize) -> ScreenFixture {
        Self::on(d, qec_sim::layout::LayoutKind::RedundantGhz)
    }

    fn on(d: usize, kind: qec_sim::layout::LayoutKind) -> ScreenFixture {
        use qec_sim::faults::Injector;
        use qec_sim::frame::NonClifford;
        use qec_sim::sweep::subset::{Channels, ExactStratum};
        let prep = HadamardPrep::on(d, kind).unwrap();
        let noise = NoiseModel::named("cn20").unwrap();
        let circuit = prep.circuit(&noise, 1e-3, ChModel::Exact);
        let injector = Injector::new(&circuit, NonClifford::Twirl).unwrap();
        let body = prep.num_body_detectors;
        let program = qec_sim::exact::ExactProgram::compile(&circuit).unwrap();
        let channels = std::sync::Arc::new(Channels::new(&injector, 1e-3));
        let placed = ExactStratum::new(&injector, &program, channels.clone(), 1).unwrap();
        let postselect: Vec<bool> = (0..program.num_detectors).map(|i| i < body).collect();
        let screen = qec_sim::sweep::screen::Screen::new(
            &qec_sim::magic::proxy_prep(&circuit),
            body,
            &injector,
            &program,
            &placed.placement,
            &postselect,
        )
        .unwrap();
        ScreenFixture {
            prep,
            circuit,
            program,
            channels,
            placed,
            screen,
            postselect,
        }
    }
}

/// The certificate (frame-linear detectors, then the effect table) at d = 3 and 5, p = 1e-3: on a few hundred configurations per
/// stratum k = 1..3, the exact engine's detection events on the frame-linear detectors equal
/// the predicted symptom, whatever its random branches (three seeds each); every configuration
/// the screen certifies as rejected is discarded when postselected; and the certificate
/// covers most body detectors.
#[test]
fn certified_rejects_are_discarded_by_the_exact_engine() {
    use qec_sim::exact::{frame_linear, NoiseMode, ShotEnd};
    use qec_sim::sweep::screen::Verdict;
    use rand_core::SeedableRng;

    for (d, configurations) in [(3, 300), (5, 100)] {
        let ScreenFixture {
            prep,
            program,
            channels,
            placed,
            screen,
            postselect,
            ..
        } = ScreenFixture::new(d);
        let body = prep.num_body_detectors;
        let linear = frame_linear(&program, &placed.placement, body)
            .unwrap()
            .linear;
        let certified = linear.iter().filter(|&&l| l).count();
        // More than the light cone certified (10 of 37 at d = 3, 53 of 247 at d = 5), not all.
        assert!(
            4 * certified > 3 * body && certified < body,
            "d = {d}: {certified} of {body}"
        );
        let mut ws = program.workspace();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(13);
        for k in 1..=3 {
            let (mut rejects, mut by_effects) = (0, 0);
            for _ in 0..configurations {
                let draw = channels.draw(k, 1, &mut rng);
                let events = draw.iter().map(|&(e, _)| e);
                let symptom = screen.certified_symptom(events.clone());
                let verdict = screen.verdict(events.clone());
                let mut faults: Vec<_> = events.map(|e| placed.placement[e as usize]).collect();
                faults.sort_unstable();
                for _ in 0..3 {
                    let end = program.run_shot(&mut ws, &mut rng, NoiseMode::Fixed(&faults), None);
                    assert_eq!(end, ShotEnd::Completed);
                    let mut seen = vec![0u64; symptom.len()];
                    for i in (0..body).filter(|&i| linear[i] && ws.detectors[i]) {
                        seen[i / 64] |= 1 << (i % 64);
                    }
                    assert_eq!(seen, symptom, "d = {d}, k = {k}: {faults:?}");
                    if verdict == Verdict::CertifiedReject {
                        let end = program.run_shot(
                            &mut ws,
                            &mut rng,
                            NoiseMode::Fixed(&faults),
                            Some(&postselect),
                        );
                        assert!(
                            matches!(end, ShotEnd::Discarded { .. }),
                            "d = {d}, k = {k}: {faults:?}"
                        );
                    }
                }
                rejects += usize::from(verdict == Verdict::CertifiedReject);
                by_effects += usize::from(
                    verdict == Verdict::CertifiedReject && symptom.iter().all(|&w| w == 0),
                );
            }
            assert!(
                rejects * 10 > configurations,
                "d = {d}, k = {k}: only {rejects} certified rejects"
            );
            // The effect table certifies rejects that fire no frame-linear detector (they fire
            // a detector that reads a dense outcome, before any rotation's sign is flipped).
            assert!(
                by_effects * 20 > configurations,
                "d = {d}, k = {k}: only {by_effects} rejects certified by the effect table"
            );
        }
    }
}

/// Strata computed exactly (`--enumerate`, [`qec_sim::sweep::enumerate`]) against sampled
/// strata at d = 3, p = 1e-3: k = 1 and 2 (fault distance 2, so k = 2 has failures). The exact
/// acceptance and failure must lie in the sampled rows' intervals (likelihood ratio 1000); the
/// sums must not depend on the coin stream (the module's argument that the growth round's coins
/// and the resets' coins change nothing for fixed faults); nothing is left unresolved but
/// rounding.
#[test]
fn enumerated_strata_agree_with_sampled_strata_at_d3() {
    enumerated_strata_agree(qec_sim::layout::LayoutKind::RedundantGhz);
}

/// The same with GHZ leaves read out in X (`redundant-ghz-x`): their coins come after the CHs
/// and are admitted as gauges by the frame (`exact::linear::gauge_coins`), so the sums must not
/// depend on the coin stream either.
#[test]
fn enumerated_strata_agree_with_leaves_read_out_in_x() {
    enumerated_strata_agree(qec_sim::layout::LayoutKind::RedundantGhzX);
}

fn enumerated_strata_agree(kind: qec_sim::layout::LayoutKind) {
    use qec_sim::exact::{coin_bounds, COIN_SEED};
    use qec_sim::sweep::enumerate::Enumerator;

    let f = ScreenFixture::on(3, kind);
    let (prep, noise) = (&f.prep, NoiseModel::named("cn20").unwrap());
    let score = prep.score().unwrap();
    let enumerator = |coin_seed| Enumerator {
        program: &f.program,
        postselect: &f.postselect,
        score: &score,
        placement: &f.placed.placement,
        screen: &f.screen,
        channels: &f.channels,
        coins: coin_bounds(&f.circuit),
        coin_seed,
    };
    let exact = [1, 2].map(|k| enumerator(COIN_SEED).stratum(k, 2).unwrap());
    for (k, e) in [1, 2].into_iter().zip(&exact) {
        // Nothing left out but rounding: with leaves read out in X, branches of probability 0
        // up to floating error (3.6e-20 in all at k = 2).
        assert!(e.unresolved < 1e-15, "k = {k}: {}", e.unresolved);
        assert!(e.certified > 0 && e.certified < e.configurations, "k = {k}");
        let other = enumerator(7).stratum(k, 1).unwrap();
        assert_eq!(
            (other.acceptance, other.failure),
            (e.acceptance, e.failure),
            "k = {k}"
        );
    }
    // Fault distance 2: no single fault leaves a wrong accepted state; pairs do.
    assert_eq!(exact[0].failure, 0.0);
    assert!(exact[1].failure > 1e-3);

    let base = json!({"task": "hadamard-prep"});
    let method = Method::Subset {
        max_faults: Some(2),
    };
    let strata = hadamard_prep_tasks(prep, ChModel::Exact, &noise, &[1e-3], method, &base).unwrap();
    let rows = run_sweep(&strata, &rule(400_000), &config(14), None, &mut |_| {}).unwrap();
    for row in &rows {
        let k = row.json_metadata["k"].as_u64().unwrap() as usize;
        let e = &exact[k - 1];
        let acc = fit_binomial(row.kept(), row.shots, 1000.0);
        let fail = fit_binomial(row.errors, row.shots, 1000.0);
        eprintln!(
            "k = {k}: exact acceptance {:.5}, failure {:.3e}; sampled {:.5} [{:.5}, {:.5}], {:.3e} [{:.2e}, {:.2e}] ({} shots)",
            e.acceptance, e.failure, acc.best, acc.low, acc.high, fail.best, fail.low, fail.high, row.shots
        );
        assert!(
            acc.low <= e.acceptance && e.acceptance <= acc.high,
            "k = {k}"
        );
        assert!(fail.low <= e.failure && e.failure <= fail.high, "k = {k}");
    }
}
