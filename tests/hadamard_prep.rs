//! The whole |H> preparation protocol (`magic::HadamardPrep`): structure, determinism of its
//! Clifford proxy, and fault tolerance by exhaustive fault enumeration.

use qec_sim::layout::LayoutKind;
use qec_sim::magic::{ChModel, HadamardPrep, Stages};
use qec_sim::noise::NoiseModel;
use qec_sim::reference::check_deterministic;

fn cn20() -> NoiseModel {
    NoiseModel::named("cn20").unwrap()
}

#[test]
fn proxy_protocol_is_deterministic_and_coupled() {
    let kinds = [LayoutKind::RedundantGhz, LayoutKind::RedundantGhzX];
    for (d, kind) in [3, 5, 7].into_iter().flat_map(|d| kinds.map(|k| (d, k))) {
        let prep = HadamardPrep::on(d, kind).unwrap();
        let proxy = prep.circuit(&cn20(), 0.0, ChModel::Proxy);
        check_deterministic(&proxy).unwrap_or_else(|e| panic!("{kind:?}, d = {d}: {e}"));
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

/// Exhaustive enumeration of the proxy (Clifford, so symptoms of fault sets are XORs): no set of
/// fewer than (d+1)/2 fault events is accepted with a logical failure. Sets of two events can
/// only be accepted when their postselected symptoms are equal, so pairs are enumerated within
/// buckets of equal body symptoms. Returns (events, accepted failing singles, accepted failing
/// pairs).
fn proxy_low_weight_failures(
    kind: LayoutKind,
    d: usize,
    max_faults: usize,
) -> (usize, usize, usize) {
    use std::collections::HashMap;
    let prep = HadamardPrep::on(d, kind).unwrap();
    let circuit = prep.circuit(&cn20(), 1e-3, ChModel::Proxy);
    let fs = qec_sim::faults::FaultSet::from_circuit(&circuit).unwrap();
    let decoder = prep.decoder(ChModel::Proxy).unwrap();
    let body = prep.num_body_detectors;
    let body_bits = |e: usize| -> Vec<u64> {
        let mut v = fs.detector_bits(e).to_vec();
        for (w, word) in v.iter_mut().enumerate() {
            let lo = w * 64;
            if lo >= body {
                *word = 0;
            } else if body - lo < 64 {
                *word &= (1u64 << (body - lo)) - 1;
            }
        }
        v
    };
    let fails =
        |bits: &[u64], obs: u64| matches!(decoder.decode(bits), Decision::Predict(p) if p != obs);
    let n = fs.num_events();
    let singles = (0..n)
        .filter(|&e| fails(fs.detector_bits(e), fs.observable_mask(e)))
        .count();
    let mut pairs = 0;
    if max_faults >= 2 {
        // Within a bucket a pair's fate depends only on its two events' full symptoms (tail
        // included) and observables: decide each pair of distinct (symptom, observable)
        // classes once, then count the event pairs of failing class pairs that lie on two
        // channels.
        // A class: (full symptom, observable mask); its events.
        type Classes = HashMap<(Vec<u64>, u64), Vec<usize>>;
        let mut buckets: HashMap<Vec<u64>, Classes> = HashMap::new();
        for e in 0..n {
            let class = (fs.detector_bits(e).to_vec(), fs.observable_mask(e));
            buckets
                .entry(body_bits(e))
                .or_default()
                .entry(class)
                .or_default()
                .push(e);
        }
        for classes in buckets.values() {
            let classes: Vec<_> = classes.iter().collect();
            for (i, &((bits_a, obs_a), events_a)) in classes.iter().enumerate() {
                for &((bits_b, obs_b), events_b) in &classes[i..] {
                    let bits: Vec<u64> = bits_a.iter().zip(bits_b).map(|(x, y)| x ^ y).collect();
                    if !fails(&bits, obs_a ^ obs_b) {
                        continue;
                    }
                    let same = std::ptr::eq(events_a, events_b);
                    for (j, &a) in events_a.iter().enumerate() {
                        let others = if same {
                            &events_b[j + 1..]
                        } else {
                            &events_b[..]
                        };
                        // Two terms of one channel cannot happen together.
                        pairs += others
                            .iter()
                            .filter(|&&b| fs.events[a].channel != fs.events[b].channel)
                            .count();
                    }
                }
            }
        }
    }
    (n, singles, pairs)
}

/// On both networks: undone by CXs (`redundant-ghz`) and with leaves read out in X
/// (`redundant-ghz-x`).
#[test]
fn proxy_fault_distance_is_d_plus_one_over_two() {
    for kind in [LayoutKind::RedundantGhz, LayoutKind::RedundantGhzX] {
        // d = 3: no single fault is an accepted failure, but some pair is (so the check has
        // teeth).
        let (n, singles, pairs) = proxy_low_weight_failures(kind, 3, 2);
        eprintln!("{kind:?}, d = 3: {n} events, {singles} failing singles, {pairs} failing pairs");
        assert_eq!(singles, 0);
        assert!(pairs > 0, "fault distance is exactly 2 at d = 3");
        // d = 5 and 7: neither singles nor pairs.
        for d in [5, 7] {
            let (n, singles, pairs) = proxy_low_weight_failures(kind, d, 2);
            eprintln!(
                "{kind:?}, d = {d}: {n} events, {singles} failing singles, {pairs} failing pairs"
            );
            assert_eq!((singles, pairs), (0, 0));
        }
    }
}

/// Per time step (the instructions between TICKs) of a flat circuit: (has an operation on
/// qubits -- gate, reset or measurement, not a classically controlled Pauli --, has noise).
fn steps(circuit: &qec_sim::circuit::Circuit) -> Vec<(bool, bool)> {
    use qec_sim::gates::GateKind;
    let mut out = vec![(false, false)];
    circuit
        .for_each_flat(&mut |ins| {
            let last = out.last_mut().unwrap();
            match ins.gate.kind() {
                GateKind::Tick => out.push((false, false)),
                GateKind::Noise1 | GateKind::Noise2 => last.1 = true,
                _ => last.0 |= qec_sim::noise::is_operation(ins),
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    out
}

/// Every idle location belongs to a real time step: the protocol has no empty step, and the
/// noise pass puts no noise into the detector-only remainder after the body's last TICK (it used
/// to depolarise all qubits there, undetectably, just before the scoring tail).
#[test]
fn every_noisy_time_step_has_an_operation() {
    for d in [3, 5, 7] {
        let prep = HadamardPrep::new(d).unwrap();
        let clean = steps(&prep.body);
        // The body ends with a TICK followed by detectors only.
        assert_eq!(clean.last(), Some(&(false, false)), "d = {d}");
        assert_eq!(clean.len(), prep.ticks + 1, "d = {d}");
        for (t, &(op, _)) in clean[..prep.ticks].iter().enumerate() {
            assert!(op, "d = {d}: time step {t} of the body has no operation");
        }
        let noisy = steps(&cn20().apply(&prep.body, 1e-3));
        assert_eq!(noisy.len(), clean.len(), "d = {d}");
        for (t, &(op, noise)) in noisy.iter().enumerate() {
            assert!(
                op || !noise,
                "d = {d}: noise in time step {t} without an operation"
            );
        }
        // The last real step still idles the qubits it does not touch.
        assert!(noisy[prep.ticks - 1].1, "d = {d}");
    }
}

/// Time step (TICKs before it) of the first CH gate of a circuit.
fn first_ch_tick(circuit: &qec_sim::circuit::Circuit) -> u64 {
    let mut ticks = 0;
    let mut found = None;
    circuit
        .for_each_flat(&mut |ins| {
            match ins.gate.name() {
                "TICK" => ticks += 1,
                "CH" if found.is_none() => found = Some(ticks),
                _ => {}
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    found.expect("a CH gate")
}

/// Under the twirl model, the single faults that end in an accepted logical error are of two
/// kinds only: before the first CH gate, during injection and growth (a fault that amounts to a
/// logical X or Z on the injected state) or the first GHZ encoding; and X(x)X or Y(x)Y on the
/// GHZ root and its first partner right after their CX (a stabilizer of that pair) in any
/// Hadamard measurement. Every other single fault is flagged, detected or harmless. Both kinds
/// are harmless physically -- the Hadamard measurement projects X_L|H> or Z_L|H> back onto
/// |H>_L -- but per-gate twirling scrambles such a frame into a random pattern, some of which
/// are logical. The exact model (tests/hadamard_exact.rs) has no failing single fault.
/// Twirl draws per fault event.
const DRAWS: usize = 64;

#[test]
fn twirl_single_fault_failures_all_precede_the_first_ch() {
    for d in [3, 5] {
        let prep = HadamardPrep::new(d).unwrap();
        let first_ch = first_ch_tick(&prep.body);
        let (_, failures) = single_fault_failures(d, ChModel::Twirl, DRAWS);
        let fs =
            qec_sim::faults::FaultSet::from_circuit(&prep.circuit(&cn20(), 1e-3, ChModel::Proxy))
                .unwrap();
        let failing: Vec<usize> = (0..failures.len()).filter(|&e| failures[e] > 0).collect();
        // X(x)X or Y(x)Y on the GHZ root and its first partner: a stabilizer of that pair.
        let (r, c) = qec_sim::magic::ghz_first_pair(&prep.layout).unwrap();
        let ghz_stabilizer = |e: usize| match &fs.term_of(&fs.events[e]).effect {
            qec_sim::faults::Effect::Pauli(ps) => {
                let mut qs: Vec<u32> = ps.iter().map(|&(q, _)| q).collect();
                qs.sort_unstable();
                let mut pair = [r as u32, c as u32];
                pair.sort_unstable();
                qs == pair && ps[0].1 == ps[1].1 && ps[0].1 != 'Z'
            }
            _ => false,
        };
        let late: Vec<String> = failing
            .iter()
            .filter(|&&e| fs.events[e].tick >= first_ch && !ghz_stabilizer(e))
            .map(|&e| fs.describe(e))
            .collect();
        eprintln!(
            "d = {d}: {} events, {} with an accepted failure in some of {DRAWS} twirl draws, first CH at tick {first_ch}",
            failures.len(),
            failing.len()
        );
        assert!(
            late.is_empty(),
            "d = {d}: single faults after the first CH fail: {late:?}"
        );
        if d == 3 {
            assert!(
                !failing.is_empty(),
                "the twirl artefact is expected at d = 3"
            );
        }
    }
}

/// The shipped protocol circuits and drawings (circuits/hadamard_prep_*) are what `gen` and
/// `draw` write today; `UPDATE_CIRCUITS=1` rewrites them after a deliberate change.
#[test]
fn shipped_prep_circuits_and_drawings_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits");
    let update = std::env::var_os("UPDATE_CIRCUITS").is_some();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_qec-sim"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    for d in ["3", "5", "7"] {
        let mut files = Vec::new();
        for model in ["twirl", "proxy"] {
            let text = run(&[
                "gen",
                "-d",
                d,
                "--task",
                "hadamard-prep",
                "--ch-model",
                model,
                "--noise",
                "cn20",
                "--p",
                "0.001",
            ]);
            files.push((format!("hadamard_prep_d{d}_{model}_cn20_p001.stim"), text));
        }
        let svg = run(&["draw", "-d", d, "--task", "hadamard-prep"]);
        files.push((format!("hadamard_prep_d{d}.svg"), svg));
        for (name, text) in files {
            let path = dir.join(&name);
            if update {
                std::fs::write(&path, &text).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{name}: {e} (UPDATE_CIRCUITS=1 regenerates it)"));
            assert!(
                on_disk == text,
                "circuits/{name} is stale (UPDATE_CIRCUITS=1 regenerates it)"
            );
        }
    }
}

/// Noise channels of a circuit (instructions of noise kind).
fn noise_channels(circuit: &qec_sim::circuit::Circuit) -> usize {
    let mut n = 0;
    circuit
        .for_each_flat(&mut |ins| {
            if matches!(
                ins.gate.kind(),
                qec_sim::gates::GateKind::Noise1 | qec_sim::gates::GateKind::Noise2
            ) {
                n += ins.targets.len();
            }
            Ok::<(), ()>(())
        })
        .unwrap();
    n
}

/// `Stages`: growth alone keeps the growth round's detectors and steps; the perfect start keeps
/// every detector but puts noise on the checks only; between them they carry the whole
/// protocol's noise (up to the one step they share); all three proxies are deterministic.
#[test]
fn stages_split_the_protocol() {
    for d in [3, 5] {
        let whole = HadamardPrep::new(d).unwrap();
        let growth = HadamardPrep::staged(d, Stages::Growth).unwrap();
        let perfect = HadamardPrep::staged(d, Stages::PerfectStart).unwrap();
        assert!(growth.num_body_detectors < whole.num_body_detectors);
        assert_eq!(growth.ticks, whole.timing.grow);
        assert_eq!(perfect.num_body_detectors, whole.num_body_detectors);
        let noise = |prep: &HadamardPrep| {
            let c = prep.circuit(&cn20(), 1e-3, ChModel::Proxy);
            check_deterministic(&c).unwrap_or_else(|e| panic!("d = {d}: {e}"));
            noise_channels(&c)
        };
        let (w, g, f) = (noise(&whole), noise(&growth), noise(&perfect));
        assert!(g < w && f < w, "d = {d}: {g} {f} {w}");
        let shared = whole.layout.num_qubits();
        assert!(
            g + f <= w + shared && g + f + shared >= w,
            "d = {d}: {g} + {f} vs {w}"
        );
    }
}
