//! The `exact` CH model (state vector, d = 3) of the Chamberland-Noh |H> preparation:
//! noiseless runs, single-fault tolerance under postselection, a harmful fault pair, and plain
//! Monte Carlo against the stratified (subset-sampling) combination.

use qec_sim::faults::Effect;
use qec_sim::magic::exact::ExactPrep;
use qec_sim::magic::HadamardPrep;
use qec_sim::noise::NoiseModel;
use qec_sim::sampler::batch_rng;
use std::time::Instant;

fn exact(p: f64) -> ExactPrep {
    let prep = HadamardPrep::new(3).unwrap();
    ExactPrep::new(&prep, &NoiseModel::named("cn20").unwrap(), p).unwrap()
}

#[test]
fn noiseless_runs_accept_with_certainty_and_output_h() {
    let e = exact(0.0);
    assert_eq!(e.events().num_events(), 0);
    let start = Instant::now();
    for seed in 0..8 {
        let shot = e.sample(&mut batch_rng(seed, 0));
        eprintln!("seed {seed}: {shot:?}");
        assert!((shot.accept - 1.0).abs() < 1e-9, "seed {seed}: {shot:?}");
        assert!(shot.infidelity.abs() < 1e-9, "seed {seed}: {shot:?}");
    }
    eprintln!("{:.2} ms/shot", start.elapsed().as_secs_f64() * 1e3 / 8.0);
}
