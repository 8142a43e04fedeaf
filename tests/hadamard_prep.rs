//! The whole |H> preparation protocol (`magic::HadamardPrep`): structure, determinism of its
//! Clifford proxy, and fault tolerance by exhaustive fault enumeration.

use qec_sim::magic::{ChModel, HadamardPrep};
use qec_sim::noise::NoiseModel;
use qec_sim::reference::check_deterministic;

fn cn20() -> NoiseModel {
    NoiseModel::named("cn20").unwrap()
}

#[test]
fn proxy_protocol_is_deterministic_and_coupled() {
    for d in [3, 5, 7] {
        let prep = HadamardPrep::new(d).unwrap();
        let proxy = prep.circuit(&cn20(), 0.0, ChModel::Proxy);
        check_deterministic(&proxy).unwrap_or_else(|e| panic!("d = {d}: {e}"));
        prep.layout.check_couplings(&prep.body).unwrap();
        assert_eq!(prep.layout.num_qubits(), (6 * d * d - 9 * d + 5) / 2);
        let t = prep.timing;
        assert_eq!(prep.ticks, prep.ticks.max(t.grow + t.hadamard));
    }
}

use qec_sim::decoder::{Decision, Decoder};
use qec_sim::faults::Injector;
use qec_sim::frame::{FrameSimulator, Mode, NonClifford};
use qec_sim::sampler::batch_rng;

/// Runs every single fault event of the d-distance protocol in `lanes_per_event` lanes each and
/// returns, per event, how many lanes were accepted with a logical failure.
fn single_fault_failures(d: usize, model: ChModel, lanes_per_event: usize) -> (Injector, Vec<u32>) {
    let prep = HadamardPrep::new(d).unwrap();
    let circuit = prep.circuit(&cn20(), 1e-3, model);
    let nc = if model == ChModel::Twirl {
        NonClifford::Twirl
    } else {
        NonClifford::Refuse
    };
    let injector = Injector::new(&circuit, nc).unwrap();
    let decoder = prep.decoder(model).unwrap();
    let n = injector.events().len();
    let mut failures = vec![0u32; n];
    let words = 64;
    let lanes = words * 64;
    let mut sim = FrameSimulator::new(&injector.program, words, Mode::Detect);
    let dets = injector.program.num_detectors as usize;
    let obs = injector.program.num_observables;
    let jobs: Vec<(u32, u32)> = (0..n as u32)
        .flat_map(|e| std::iter::repeat_n(e, lanes_per_event))
        .enumerate()
        .map(|(i, e)| (e, i as u32))
        .collect();
    let mut rng = batch_rng(7, 0);
    for chunk in jobs.chunks(lanes) {
        let base = chunk[0].1;
        let inj: Vec<(u32, u32)> = chunk.iter().map(|&(e, l)| (e, l - base)).collect();
        injector.run(&mut sim, &inj, &mut rng);
        let results = sim.results();
        for &(e, lane) in &inj {
            let lane = lane as usize;
            let mut words = vec![0u64; dets.div_ceil(64)];
            for k in 0..dets {
                if results.get(k, lane) {
                    words[k / 64] |= 1 << (k % 64);
                }
            }
            if let Decision::Predict(pred) = decoder.decode(&words) {
                let actual =
                    (0..obs).fold(0u64, |a, k| a | (results.get(dets + k, lane) as u64) << k);
                if actual != pred {
                    failures[e as usize] += 1;
                }
            }
        }
    }
    (injector, failures)
}

#[test]
fn single_faults_report() {
    for model in [ChModel::Proxy, ChModel::Twirl] {
        let (inj, f) =
            single_fault_failures(3, model, if model == ChModel::Twirl { 16 } else { 1 });
        let bad: Vec<usize> = (0..f.len()).filter(|&e| f[e] > 0).collect();
        let prep = HadamardPrep::new(3).unwrap();
        let fs =
            qec_sim::faults::FaultSet::from_circuit(&prep.circuit(&cn20(), 1e-3, ChModel::Proxy))
                .unwrap();
        eprintln!(
            "{model:?}: {} events, {} with accepted failures; grow ticks {}",
            f.len(),
            bad.len(),
            prep.timing.grow
        );
        let ticks: Vec<u64> = bad.iter().map(|&e| fs.events[e].tick).collect();
        eprintln!("  ticks of failing events: {:?}", ticks);
        for &e in bad
            .iter()
            .filter(|&&e| fs.events[e].tick >= prep.timing.grow as u64)
        {
            eprintln!("  late: {} fails {}/16", fs.describe(e), f[e]);
        }
        let _ = inj;
    }
}
