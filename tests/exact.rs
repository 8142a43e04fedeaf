//! The exact engine against the dense state vector (its oracle) and the frame sampler.
//!
//! - Noiseless random circuits (Cliffords, SPP, CH, RH, T, rotations, U3, measurements in three
//!   bases, feedback): every
//!   engine shot is replayed in the state vector with the same outcomes. Each outcome must have
//!   non-zero probability there, the final states must agree on Pauli expectation values to
//!   1e-9, and the frequency of each record must match its exact probability (binomial bounds).
//! - Noisy random circuits: record distributions of both engines agree (two-sample chi-square).
//! - Clifford circuits: per-detector rates agree with the frame sampler.

use num_complex::Complex64 as C;
use qec_sim::circuit::{parse_circuit, Circuit, Target};
use qec_sim::exact::{ExactProgram, NoiseMode, Order, ShotEnd, DEFAULT_MAX_ACTIVE};
use qec_sim::gates::{Basis, GateKind};
use qec_sim::magic::{ChModel, HadamardPrep};
use qec_sim::noise::NoiseModel;
use qec_sim::sampler::batch_rng;
use qec_sim::statevec::{gate_matrix, StateVector};
use qec_sim::tableau::feedback_pauli;
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashMap;

/// A random circuit on `n` qubits. Resets (R, RX, RY, RH) only follow a Z measurement of the
/// same qubit (or act on an untouched qubit), so the qubit is not entangled: the reset's hidden
/// outcome cannot change the rest of the state, and a replay is exact.
fn random_circuit(rng: &mut Xoshiro256PlusPlus, n: usize, len: usize, noise: f64) -> String {
    let one = [
        "H", "S", "S_DAG", "SQRT_X", "SQRT_Y", "H_YZ", "C_XYZ", "X", "Y", "Z",
    ];
    let two = ["CX", "CY", "CZ", "SWAP", "CH", "CH", "CH"];
    let rotations = [
        "T",
        "T_DAG",
        "R_X(0.3)",
        "R_Y(-0.7)",
        "R_Z(0.125)",
        "U3(0.2, 0.3, 0.4)",
    ];
    let mut out = String::new();
    // untouched or just measured in Z.
    let mut resettable = vec![true; n];
    let mut measurements = 0;
    let pick = |rng: &mut Xoshiro256PlusPlus, k: usize| (rng.next_u64() % k as u64) as usize;
    for _ in 0..len {
        let q = pick(rng, n);
        let mut r = pick(rng, n - 1);
        if r >= q {
            r += 1;
        }
        match pick(rng, 12) {
            0..=1 => {
                out += &format!("{} {q}\n", one[pick(rng, one.len())]);
                resettable[q] = false;
            }
            2 | 10 => {
                out += &format!("{} {q}\n", rotations[pick(rng, rotations.len())]);
                resettable[q] = false;
            }
            11 => {
                // A Pauli-product rotation (Clifford) across two qubits.
                let (a, b) = (["X", "Y", "Z"][pick(rng, 3)], ["X", "Y", "Z"][pick(rng, 3)]);
                let g = ["SPP", "SPP_DAG"][pick(rng, 2)];
                out += &format!("{g} {a}{q}*{b}{r}\n");
                resettable[q] = false;
                resettable[r] = false;
            }
            3..=5 => {
                out += &format!("{} {q} {r}\n", two[pick(rng, two.len())]);
                resettable[q] = false;
                resettable[r] = false;
            }
            6 => {
                let basis = ["M", "MX", "MY", "MR"][pick(rng, 4)];
                let bang = if pick(rng, 3) == 0 { "!" } else { "" };
                if noise > 0.0 {
                    out += &format!("{basis}({noise}) {bang}{q}\n");
                } else {
                    out += &format!("{basis} {bang}{q}\n");
                }
                resettable[q] = basis == "M" || basis == "MR";
                measurements += 1;
            }
            7 if resettable[q] => {
                out += &format!("{} {q}\n", ["RH", "R", "RX", "RY"][pick(rng, 4)]);
                resettable[q] = false;
            }
            8 if measurements > 0 => {
                let k = 1 + pick(rng, measurements.min(3));
                let g = ["CX", "CY", "CZ"][pick(rng, 3)];
                out += &format!("{g} rec[-{k}] {q}\n");
                resettable[q] = false;
            }
            9 if noise > 0.0 => {
                let g = ["DEPOLARIZE1", "X_ERROR", "Z_ERROR"][pick(rng, 3)];
                out += &format!("{g}({noise}) {q}\nDEPOLARIZE2({noise}) {q} {r}\n");
                // A noisy Pauli-product measurement (only in noisy circuits: the exact replay
                // of noiseless ones forces single-qubit outcomes only).
                out += &format!("MPP({noise}) X{q}*Z{r} Y{r}\n");
                measurements += 2;
                resettable[q] = false;
                resettable[r] = false;
            }
            _ => {}
        }
    }
    // Measure everything at the end so the record sees the final state too.
    for q in 0..n {
        out += &format!("M {q}\n");
    }
    out
}

/// Replays `circuit` in the state vector with the given recorded outcomes. Returns the
/// probability of the whole record and the final state.
fn replay(circuit: &Circuit, n: usize, record: &[bool]) -> (f64, StateVector) {
    let mut sv = StateVector::new(n).unwrap();
    let mut prob = 1.0;
    let mut taken: Vec<bool> = Vec::new();
    let mut dummy = Xoshiro256PlusPlus::seed_from_u64(0);
    circuit
        .for_each_flat(&mut |ins| -> Result<(), ()> {
            let qubits: Vec<usize> = ins
                .targets
                .iter()
                .filter_map(|t| t.qubit_index().map(|q| q as usize))
                .collect();
            match ins.gate.kind() {
                GateKind::Measure(b) | GateKind::MeasureReset(b) => {
                    for t in &ins.targets {
                        let Target::Qubit { index, inverted } = *t else {
                            unreachable!()
                        };
                        let want = record[taken.len()] ^ inverted;
                        prob *= sv.project(index as usize, b, want);
                        if matches!(ins.gate.kind(), GateKind::MeasureReset(_)) {
                            sv.reset(index as usize, b, &mut dummy);
                        }
                        taken.push(want ^ inverted);
                    }
                }
                GateKind::Clifford2 | GateKind::NonClifford2 => {
                    let m = gate_matrix(ins.gate).unwrap();
                    for pair in ins.targets.chunks(2) {
                        if let Target::Rec(k) = pair[0] {
                            let (x, z) = feedback_pauli(ins.gate.clifford_action().unwrap(), 0);
                            if taken[taken.len() - k as usize] {
                                sv.apply_pauli(pair[1].qubit_index().unwrap() as usize, x, z);
                            }
                        } else {
                            sv.apply2(
                                &m,
                                pair[0].qubit_index().unwrap() as usize,
                                pair[1].qubit_index().unwrap() as usize,
                            );
                        }
                    }
                }
                GateKind::Clifford1 => {
                    let m = gate_matrix(ins.gate).unwrap();
                    for q in qubits {
                        sv.apply1(&m, q);
                    }
                }
                _ => sv.execute(ins, &mut dummy).unwrap(),
            }
            Ok(())
        })
        .unwrap();
    (prob, sv)
}

fn sv_expectation(sv: &StateVector, factors: &[(usize, Basis)]) -> f64 {
    let mut other = sv.clone();
    for &(q, b) in factors {
        let (x, z) = match b {
            Basis::X => (true, false),
            Basis::Y => (true, true),
            Basis::Z => (false, true),
        };
        other.apply_pauli(q, x, z);
    }
    let v: C = sv.inner(&other);
    v.re
}

/// Circuits without the final measurements, to compare final states.
fn strip_final_measurements(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[..lines.len() - n].join("\n") + "\n"
}

#[test]
fn noiseless_shots_replay_exactly_in_the_state_vector() {
    let mut gen = Xoshiro256PlusPlus::seed_from_u64(2026);
    let bases = [Basis::X, Basis::Y, Basis::Z];
    for case in 0..120 {
        let n = 2 + case % 4;
        let text = random_circuit(&mut gen, n, 30, 0.0);
        let body = strip_final_measurements(&text, n);
        let circuit = parse_circuit(&body).unwrap();
        // Every other case in the beam search's order alone (the default order may be a rule's).
        let order = [Order::ActiveWidth, Order::Beam][case % 2];
        let program = ExactProgram::compile_with(&circuit, DEFAULT_MAX_ACTIVE, order).unwrap();
        let mut ws = program.workspace();
        for shot in 0..6 {
            let mut rng = batch_rng(case as u64, shot);
            assert_eq!(
                program.run_shot(&mut ws, &mut rng, NoiseMode::Off, None),
                ShotEnd::Completed
            );
            let (prob, sv) = replay(&circuit, n, &ws.record);
            assert!(prob > 1e-9, "case {case}: impossible record\n{body}");
            for q in 0..n {
                for &b in &bases {
                    let e = program.expectation(&ws, &[(q, b)]);
                    let want = sv_expectation(&sv, &[(q, b)]);
                    assert!(
                        (e - want).abs() < 1e-9,
                        "case {case} shot {shot}: <{b:?}{q}> = {e}, state vector {want}\n{body}"
                    );
                }
            }
            for (a, b) in [(0usize, 1usize), (1, n - 1)] {
                if a == b {
                    continue;
                }
                for &ba in &bases {
                    for &bb in &bases {
                        let f = [(a, ba), (b, bb)];
                        let (e, want) = (program.expectation(&ws, &f), sv_expectation(&sv, &f));
                        assert!(
                            (e - want).abs() < 1e-9,
                            "case {case}: {f:?} {e} vs {want}\n{body}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn noiseless_record_frequencies_match_exact_probabilities() {
    let mut gen = Xoshiro256PlusPlus::seed_from_u64(7);
    let shots = 3000u64;
    for case in 0..25 {
        let n = 2 + case % 3;
        let text = random_circuit(&mut gen, n, 18, 0.0);
        let circuit = parse_circuit(&text).unwrap();
        let program = ExactProgram::compile(&circuit).unwrap();
        let mut ws = program.workspace();
        let mut counts: HashMap<Vec<bool>, u64> = HashMap::new();
        for shot in 0..shots {
            let mut rng = batch_rng(100 + case as u64, shot);
            program.run_shot(&mut ws, &mut rng, NoiseMode::Off, None);
            *counts.entry(ws.record.clone()).or_default() += 1;
        }
        let mut seen_mass = 0.0;
        for (record, &count) in &counts {
            let (p, _) = replay(&circuit, n, record);
            seen_mass += p;
            let mean = p * shots as f64;
            let sd = (mean * (1.0 - p)).sqrt();
            assert!(
                (count as f64 - mean).abs() <= 5.0 * sd + 2.0,
                "case {case}: record {record:?} seen {count} times, expected {mean:.1}\n{text}"
            );
        }
        assert!(
            seen_mass > 0.97,
            "case {case}: unseen mass {}\n{text}",
            1.0 - seen_mass
        );
    }
}

/// Two-sample chi-square statistic over records, bins with few counts pooled.
fn chi_square(a: &HashMap<Vec<bool>, u64>, b: &HashMap<Vec<bool>, u64>) -> (f64, usize) {
    let mut keys: Vec<&Vec<bool>> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    let (mut chi, mut dof, mut pool_a, mut pool_b) = (0.0, 0usize, 0.0, 0.0);
    let mut add = |x: f64, y: f64| {
        chi += (x - y) * (x - y) / (x + y);
        dof += 1;
    };
    for k in keys {
        let (x, y) = (
            *a.get(k).unwrap_or(&0) as f64,
            *b.get(k).unwrap_or(&0) as f64,
        );
        if x + y < 20.0 {
            pool_a += x;
            pool_b += y;
        } else {
            add(x, y);
        }
    }
    if pool_a + pool_b > 0.0 {
        add(pool_a, pool_b);
    }
    (chi, dof.saturating_sub(1))
}

/// Fails unless the two samples pass [`chi_square`] within 6 standard deviations of its mean
/// (dof, sd sqrt(2 dof)): far beyond chance for fixed seeds, so a failure is a real difference.
fn assert_same_distribution(
    a: &HashMap<Vec<bool>, u64>,
    b: &HashMap<Vec<bool>, u64>,
    what: impl std::fmt::Display,
) {
    let (chi, dof) = chi_square(a, b);
    let bound = dof as f64 + 6.0 * (2.0 * dof as f64).sqrt() + 10.0;
    assert!(chi < bound, "{what}: chi2 {chi:.1} on {dof} dof");
}

#[test]
fn noisy_record_distributions_match_the_state_vector() {
    let mut gen = Xoshiro256PlusPlus::seed_from_u64(11);
    let shots = 6000u64;
    for case in 0..12 {
        let n = 2 + case % 3;
        let text = random_circuit(&mut gen, n, 16, 0.05);
        let circuit = parse_circuit(&text).unwrap();
        let order = [Order::ActiveWidth, Order::Beam][case % 2];
        let program = ExactProgram::compile_with(&circuit, DEFAULT_MAX_ACTIVE, order).unwrap();
        let mut ws = program.workspace();
        let (mut ours, mut oracle) = (HashMap::new(), HashMap::new());
        for shot in 0..shots {
            let mut rng = batch_rng(500 + case as u64, shot);
            program.run_shot(&mut ws, &mut rng, NoiseMode::Sample, None);
            *ours.entry(ws.record.clone()).or_insert(0u64) += 1;
            let mut sv = StateVector::new(n).unwrap();
            let mut rng = batch_rng(900 + case as u64, shot);
            sv.run(&circuit, &mut rng).unwrap();
            *oracle.entry(sv.record().to_vec()).or_insert(0u64) += 1;
        }
        assert_same_distribution(&ours, &oracle, format!("case {case}\n{text}"));
    }
}

#[test]
fn clifford_detector_rates_match_the_frame_sampler() {
    use qec_sim::frame::{FrameProgram, FrameSimulator, Mode};
    let text = std::fs::read_to_string("circuits/color_xyz_d5_r5_p001.stim")
        .or_else(|_| std::fs::read_to_string("../circuits/color_xyz_d5_r5_p001.stim"))
        .unwrap();
    let circuit = parse_circuit(&text).unwrap();
    let program = ExactProgram::compile(&circuit).unwrap();
    assert_eq!(
        program.max_active, 0,
        "a Clifford circuit needs no dense state"
    );
    let shots = 20_000u64;
    let mut ours = vec![0u64; program.num_detectors];
    let mut ws = program.workspace();
    for shot in 0..shots {
        let mut rng = batch_rng(1, shot);
        program.run_shot(&mut ws, &mut rng, NoiseMode::Sample, None);
        for (c, &d) in ours.iter_mut().zip(&ws.detectors) {
            *c += u64::from(d);
        }
    }
    let frame = FrameProgram::compile(&circuit).unwrap();
    let words = (shots as usize).div_ceil(64).next_power_of_two();
    let mut sim = FrameSimulator::new(&frame, words, Mode::Detect);
    sim.run(&frame, &mut batch_rng(2, 0));
    let theirs: Vec<u64> = (0..program.num_detectors)
        .map(|d| {
            sim.results()
                .row(d)
                .iter()
                .map(|w| w.count_ones() as u64)
                .sum()
        })
        .collect();
    let frame_shots = (words * 64) as f64;
    for d in 0..program.num_detectors {
        let (a, b) = (
            ours[d] as f64 / shots as f64,
            theirs[d] as f64 / frame_shots,
        );
        let p = (a + b) / 2.0;
        let sd = (p * (1.0 - p) * (1.0 / shots as f64 + 1.0 / frame_shots)).sqrt();
        assert!((a - b).abs() <= 5.0 * sd + 1e-4, "detector {d}: {a} vs {b}");
    }
}

/// `detect` and `sample` route non-Clifford circuits to the exact engine; with a seed the output
/// does not depend on the thread count.
#[test]
fn cli_runs_non_clifford_circuits_identically_on_any_thread_count() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.stim");
    std::fs::write(
        &path,
        "RH 0\nH 1\nCH 1 0\nDEPOLARIZE1(0.1) 0 1\nM 0 1\nX_ERROR(0.1) 0\nCX 0 2\nM 2\nDETECTOR rec[-1] rec[-3]\n",
    )
    .unwrap();
    let run = |cmd: &str, threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
            .args([cmd, "--circuit", path.to_str().unwrap(), "--shots", "3000"])
            .args(["--seed", "5", "--threads", threads])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for cmd in ["detect", "sample"] {
        let one = run(cmd, "1");
        assert_eq!(one, run(cmd, "2"), "{cmd}");
        assert_eq!(one.iter().filter(|&&b| b == b'\n').count(), 3000);
    }
    // The detector compares M 2 (a copy of qubit 0 after an X_ERROR(0.1)) with M 0.
    let events = run("detect", "2");
    let fired = events.iter().filter(|&&b| b == b'1').count() as f64 / 3000.0;
    assert!(
        (fired - 0.1).abs() < 5.0 * (0.1f64 * 0.9 / 3000.0).sqrt(),
        "{fired}"
    );
}

/// What a shot leaves: its end, record, detection events, observables and the bits of the final
/// dense vector (completed shots).
type ShotOutput = (ShotEnd, Vec<bool>, Vec<bool>, Vec<bool>, Vec<u64>);

/// The outputs of seeded shots with the workspace's trajectory cache holding at most `budget`
/// bytes, and the nodes the cache stored.
fn shots_with_budget(
    program: &ExactProgram,
    budget: usize,
    shots: u64,
    seed: u64,
    postselect: Option<&[bool]>,
) -> (Vec<ShotOutput>, usize) {
    let mut ws = program.workspace();
    ws.set_trajectory_budget(budget);
    // One stream for all the shots, as a batch runs them.
    let mut rng = batch_rng(seed, 0);
    let out = (0..shots)
        .map(|_| {
            let end = program.run_shot(&mut ws, &mut rng, NoiseMode::Sample, postselect);
            let amps = match end {
                ShotEnd::Completed => ws
                    .dense_state()
                    .iter()
                    .flat_map(|a| [a.re.to_bits(), a.im.to_bits()])
                    .collect(),
                ShotEnd::Discarded { .. } => Vec::new(),
            };
            let detectors = ws.detectors.clone();
            (
                end,
                ws.record.clone(),
                detectors,
                ws.observables.clone(),
                amps,
            )
        })
        .collect();
    (out, ws.trajectory_nodes())
}

/// The trajectory cache changes no output: the same seeded shots with the cache off, on, and on
/// with a budget too small for the paths met (so that shots leave the trie and nodes stop being
/// stored) give the same records, detection events, observables and final dense vectors, bit
/// for bit; on random noisy Clifford + T/CH/rotation circuits with postselected detectors placed
/// between the operations, and on hadamard-prep at d = 3 (with its end-of-shot fidelity).
#[test]
fn trajectory_cache_leaves_every_shot_unchanged() {
    use qec_sim::exact::TRAJECTORY_BUDGET;
    let mut gen = Xoshiro256PlusPlus::seed_from_u64(31);
    let mut stored = 0;
    for case in 0..40 {
        let n = 3 + case % 4;
        let text = random_circuit(&mut gen, n, 40, 0.01);
        // Repeated measurements with noise, checked by detectors, between the operations.
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        for _ in 0..3 {
            let at = (gen.next_u64() % lines.len() as u64) as usize;
            let q = gen.next_u64() % n as u64;
            let check = format!("M(0.01) {q}\nM(0.01) {q}\nDETECTOR rec[-1] rec[-2]");
            lines.insert(at, check);
        }
        let text = lines.join("\n") + "\n";
        let circuit = parse_circuit(&text).unwrap();
        let program = ExactProgram::compile(&circuit).unwrap();
        let postselect = vec![true; program.num_detectors];
        let run = |budget| shots_with_budget(&program, budget, 400, case as u64, Some(&postselect));
        let (off, none) = run(0);
        assert_eq!(none, 0);
        for budget in [TRAJECTORY_BUDGET, 1 << 10] {
            let (on, nodes) = run(budget);
            assert!(
                on == off,
                "case {case}, budget {budget}: shots differ\n{text}"
            );
            stored += nodes;
        }
    }
    // The cache was used: nodes beyond the 80 roots.
    assert!(stored > 2000, "{stored} nodes stored");

    let prep = HadamardPrep::new(3).unwrap();
    let circuit = prep.circuit(&NoiseModel::named("cn20").unwrap(), 1e-3, ChModel::Exact);
    let program = ExactProgram::compile(&circuit).unwrap();
    let score = prep.score().unwrap();
    let body: Vec<bool> = (0..program.num_detectors)
        .map(|d| d < prep.num_body_detectors)
        .collect();
    let fidelities = |budget| {
        let mut ws = program.workspace();
        ws.set_trajectory_budget(budget);
        let mut rng = batch_rng(3, 0);
        let mut out = Vec::new();
        for _ in 0..4000 {
            let end = program.run_shot(&mut ws, &mut rng, NoiseMode::Sample, Some(&body));
            let f = (end == ShotEnd::Completed)
                .then(|| score.fidelity(&program, &ws).map(f64::to_bits))
                .flatten();
            out.push((end, ws.detectors.clone(), f));
        }
        (out, ws.trajectory_nodes())
    };
    let (off, _) = fidelities(0);
    let (on, nodes) = fidelities(TRAJECTORY_BUDGET);
    assert!(nodes > 100, "{nodes} nodes stored");
    assert!(on == off, "hadamard-prep d = 3: shots differ");
    assert!(off.iter().filter(|s| s.2.is_some()).count() > 1000);
    let (records_off, _) = shots_with_budget(&program, 0, 2000, 5, Some(&body));
    let (records_on, _) = shots_with_budget(&program, TRAJECTORY_BUDGET, 2000, 5, Some(&body));
    assert!(
        records_on == records_off,
        "hadamard-prep d = 3: records differ"
    );
}

/// End-of-shot observables read from the exact final state: bit k is a noiseless measurement of
/// the k-th Pauli product, 1 with probability (1 - <P>) / 2.
struct Measured(Vec<Vec<(usize, Basis)>>);

impl qec_sim::exact::EndOfShot for Measured {
    fn count(&self) -> usize {
        self.0.len()
    }

    fn observables(
        &self,
        program: &ExactProgram,
        ws: &qec_sim::exact::Workspace,
        rng: &mut dyn RngCore,
    ) -> u64 {
        let mut rng = rng;
        self.0.iter().enumerate().fold(0, |acc, (k, p)| {
            let one = qec_sim::frame::noise::uniform_open0(&mut rng)
                > (1.0 + program.expectation(ws, p)) / 2.0;
            acc | u64::from(one) << k
        })
    }
}

/// The columns of a batch table (detectors, then observables), counted.
fn count_columns(
    table: &qec_sim::bits::BitTable,
    shots: usize,
    into: &mut HashMap<Vec<bool>, u64>,
) {
    for s in 0..shots {
        let column = (0..table.rows()).map(|r| table.get(r, s)).collect();
        *into.entry(column).or_insert(0) += 1;
    }
}

/// The column counts ([`count_columns`]) of `batches` batches of `shots` single shots of `spec`
/// (batch b drawn from `batch_rng(seed, b)`): the reference the packed executor is held to.
fn single_shot_counts(
    spec: &qec_sim::exact::BatchSpec,
    seed: u64,
    batches: u64,
    shots: usize,
    table: &mut qec_sim::bits::BitTable,
) -> HashMap<Vec<bool>, u64> {
    let mut counts = HashMap::new();
    let mut ws = spec.program.workspace();
    for b in 0..batches {
        spec.run_scalar(&mut ws, &mut batch_rng(seed, b), shots, table);
        count_columns(table, shots, &mut counts);
    }
    counts
}

/// A random noisy circuit on `n` qubits (no final measurements) with three checks inserted at
/// random places: a qubit measured twice (M(0.02)) and a detector comparing the two, the first
/// also an observable when `observable`.
fn checked_random_circuit(gen: &mut Xoshiro256PlusPlus, n: usize, observable: bool) -> String {
    let text = strip_final_measurements(&random_circuit(gen, n, 30, 0.03), n);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for c in 0..3 {
        let at = (gen.next_u64() % (lines.len() as u64 + 1)) as usize;
        let q = gen.next_u64() % n as u64;
        let mut check = format!("M(0.02) {q}\nM(0.02) {q}\nDETECTOR rec[-1] rec[-2]");
        if c == 0 && observable {
            check += "\nOBSERVABLE_INCLUDE(0) rec[-1] rec[-2]";
        }
        lines.insert(at, check);
    }
    lines.join("\n") + "\n"
}

/// `BatchSpec::run` takes 64 shots at a time (the packed executor); its shots must follow the
/// distribution of single shots (`run_scalar`, itself checked against the state vector above):
/// random noisy Clifford + T/CH/rotation circuits with feedback, postselected detectors between
/// the operations, an observable and end-of-shot measurements of the final state, with the
/// trajectory cache on, starved and off (groups of shots then carry their own vectors).
#[test]
fn packed_shots_follow_the_single_shot_distribution() {
    use qec_sim::exact::{BatchSpec, TRAJECTORY_BUDGET};
    let mut gen = Xoshiro256PlusPlus::seed_from_u64(41);
    let budgets = [TRAJECTORY_BUDGET, 1 << 10, 0];
    for case in 0..18 {
        let n = 2 + case % 4;
        let text = checked_random_circuit(&mut gen, n, true);
        let circuit = parse_circuit(&text).unwrap();
        let program = ExactProgram::compile(&circuit).unwrap();
        let postselect: Vec<bool> = (0..program.num_detectors).map(|d| d != 1).collect();
        let paulis = (0..n)
            .map(|q| vec![(q, Basis::Z)])
            .chain([vec![(0, Basis::X)], vec![(0, Basis::Y), (1, Basis::X)]])
            .collect();
        let measured = Measured(paulis);
        let with_state = case % 3 != 2;
        let spec = BatchSpec {
            program: &program,
            postselect: Some(&postselect),
            end_of_shot: with_state.then_some(&measured as &dyn qec_sim::exact::EndOfShot),
            noise: NoiseMode::Sample,
            faults: None,
        };
        // Ten words: two packed blocks of eight words, the second past the table's end.
        let (batches, words) = (24u64, 10usize);
        let shots = 64 * words;
        let mut table = spec.table(words);
        let single = single_shot_counts(&spec, 700 + case as u64, batches, shots, &mut table);
        // Without the effect table too: every shot on the step list, hits drawn lazily.
        let mut bare = program.clone();
        bare.drop_effect_table();
        let bare_spec = BatchSpec {
            program: &bare,
            ..spec
        };
        for (budget, spec) in budgets
            .iter()
            .map(|&b| (b, &spec))
            .chain([(TRAJECTORY_BUDGET, &bare_spec)])
        {
            let mut ws = spec.program.workspace();
            ws.set_trajectory_budget(budget);
            let mut packed = HashMap::new();
            for b in 0..batches {
                // An odd shot count: the last word is partial.
                let shots = shots - 5;
                spec.run(
                    &mut ws,
                    &mut batch_rng(800 + case as u64, b),
                    shots,
                    &mut table,
                );
                let unused =
                    (shots..64 * words).any(|s| (0..table.rows()).any(|r| table.get(r, s)));
                assert!(!unused, "case {case}: bits set past the shots");
                count_columns(&table, shots, &mut packed);
            }
            let table_on = !std::ptr::eq(spec.program, &bare);
            let what = format!("case {case}, budget {budget}, table {table_on}\n{text}");
            assert_same_distribution(&single, &packed, what);
        }
    }
}

/// Hadamard-prep d = 3 through the packed executor: acceptance and mean fidelity of accepted
/// shots agree with single shots (binomial and sample standard errors).
#[test]
fn packed_hadamard_prep_matches_single_shots() {
    use qec_sim::exact::{BatchSpec, EndOfShot, Workspace};
    use std::sync::Mutex;
    /// The score's fidelities, kept.
    struct Kept(qec_sim::magic::HadamardScore, Mutex<Vec<f64>>);
    impl EndOfShot for Kept {
        fn count(&self) -> usize {
            1
        }
        fn observables(&self, p: &ExactProgram, ws: &Workspace, _: &mut dyn RngCore) -> u64 {
            if let Some(f) = self.0.fidelity(p, ws) {
                self.1.lock().unwrap().push(f);
            }
            0
        }
    }
    let prep = HadamardPrep::new(3).unwrap();
    let circuit = prep.circuit(&NoiseModel::named("cn20").unwrap(), 1e-3, ChModel::Exact);
    let program = ExactProgram::compile(&circuit).unwrap();
    let body: Vec<bool> = (0..program.num_detectors)
        .map(|d| d < prep.num_body_detectors)
        .collect();
    let run = |packed: bool| {
        let kept = Kept(prep.score().unwrap(), Mutex::new(Vec::new()));
        let spec = BatchSpec {
            program: &program,
            postselect: Some(&body),
            end_of_shot: Some(&kept),
            noise: NoiseMode::Sample,
            faults: None,
        };
        let mut ws = program.workspace();
        let mut table = spec.table(8);
        let batches = 120u64;
        for b in 0..batches {
            let mut rng = batch_rng(if packed { 2 } else { 1 }, b);
            if packed {
                spec.run(&mut ws, &mut rng, 512, &mut table);
            } else {
                spec.run_scalar(&mut ws, &mut rng, 512, &mut table);
            }
        }
        let f = kept.1.into_inner().unwrap();
        let mean = f.iter().sum::<f64>() / f.len() as f64;
        let var = f.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f.len() as f64;
        let shots = (batches * 512) as f64;
        (
            f.len() as f64 / shots,
            mean,
            (var / f.len() as f64).sqrt(),
            shots,
        )
    };
    let (a1, f1, e1, shots) = run(false);
    let (a2, f2, e2, _) = run(true);
    let sd = (a1 * (1.0 - a1) * 2.0 / shots).sqrt();
    assert!((a1 - a2).abs() < 5.0 * sd, "acceptance {a1} vs {a2}");
    assert!(
        (f1 - f2).abs() < 5.0 * (e1 * e1 + e2 * e2).sqrt() + 1e-9,
        "fidelity {f1} ± {e1} vs {f2} ± {e2}"
    );
    assert!(1.0 - f1 > 0.0 && 1.0 - f2 > 0.0);
}

/// The packed executor finishes a shot from its faults' frame effects alone when they flip no
/// rotation's sign, or when a postselected detector fires before the first flipped sign; the
/// other shots must still see what the flip does. An X between T and T_DAG turns their
/// product into S, so MX of |+> is a fair coin instead of 0 (which the frame alone would say);
/// the postselected detector before the rotations discards by its frame. Exact frequencies:
/// discarded 0.3, kept with the second detector 0.7 x 0.3 x 0.5, kept quiet the rest.
#[test]
fn packed_shots_see_what_a_flipped_rotation_does() {
    use qec_sim::exact::BatchSpec;
    let text = "RX 0\nR 1\nX_ERROR(0.3) 1\nM 1\nDETECTOR rec[-1]\nT 0\nX_ERROR(0.3) 0\nT_DAG 0\nMX 0\nDETECTOR rec[-1]\n";
    let program = ExactProgram::compile(&parse_circuit(text).unwrap()).unwrap();
    let postselect = [true, false];
    let spec = BatchSpec {
        program: &program,
        postselect: Some(&postselect),
        end_of_shot: None,
        noise: NoiseMode::Sample,
        faults: None,
    };
    let (words, batches) = (64usize, 10u64);
    let shots = 64 * words;
    let total = (shots as u64 * batches) as f64;
    let mut bare = program.clone();
    bare.drop_effect_table();
    for (packed, spec) in [
        (false, spec),
        (true, spec),
        (
            true,
            BatchSpec {
                program: &bare,
                ..spec
            },
        ),
    ] {
        let mut ws = spec.program.workspace();
        let mut table = spec.table(words);
        let mut counts = [0u64; 3];
        for b in 0..batches {
            let mut rng = batch_rng(90 + u64::from(packed), b);
            if packed {
                spec.run(&mut ws, &mut rng, shots, &mut table);
            } else {
                spec.run_scalar(&mut ws, &mut rng, shots, &mut table);
            }
            for s in 0..shots {
                let (first, second) = (table.get(0, s), table.get(1, s));
                assert!(!(first && second), "a discarded shot has one detector");
                counts[if first {
                    0
                } else if second {
                    1
                } else {
                    2
                }] += 1;
            }
        }
        for (&n, p) in counts.iter().zip([0.3, 0.7 * 0.15, 0.7 * 0.85]) {
            let sd = (p * (1.0 - p) / total).sqrt();
            let seen = n as f64 / total;
            assert!((seen - p).abs() < 5.0 * sd, "packed {packed}: {counts:?}");
        }
    }
}

/// Chooses `k` distinct faults uniformly among `candidates` for every shot.
struct KFaults {
    candidates: Vec<qec_sim::exact::Injection>,
    k: usize,
}

impl qec_sim::exact::FaultSource for KFaults {
    fn draw(&self, rng: &mut dyn RngCore, out: &mut Vec<qec_sim::exact::Injection>) {
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < self.k.min(self.candidates.len()) {
            let i = (rng.next_u64() % self.candidates.len() as u64) as usize;
            if !chosen.contains(&i) {
                chosen.push(i);
                out.push(self.candidates[i]);
            }
        }
    }
}

/// Chosen faults (stratified sampling's `FaultSource`) run in packed blocks, through the
/// effect table, and must follow the single shots' distribution: random noisy circuits with
/// 1 to 3 faults per shot among every placement (Paulis of every channel target, measurement
/// flips), postselected detectors between the operations, with and without end-of-shot
/// measurements of the state; and the flipped T/T_DAG pair with its X always placed.
#[test]
fn packed_chosen_faults_follow_the_single_shot_distribution() {
    use qec_sim::exact::BatchSpec;
    let mut gen = Xoshiro256PlusPlus::seed_from_u64(43);
    for case in 0..9 {
        let n = 2 + case % 3;
        let text = checked_random_circuit(&mut gen, n, false);
        let program = ExactProgram::compile(&parse_circuit(&text).unwrap()).unwrap();
        let mut candidates: Vec<_> = (0..400u32)
            .flat_map(|site| (0..8u32).flat_map(move |g| (1..16u8).map(move |i| (site, g, i))))
            .filter_map(|(site, g, i)| program.injection(site, g, i))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        assert!(!candidates.is_empty(), "case {case}: no fault places");
        let source = KFaults {
            candidates,
            k: 1 + case % 3,
        };
        let postselect: Vec<bool> = (0..program.num_detectors).map(|d| d != 1).collect();
        let measured = Measured((0..n).map(|q| vec![(q, Basis::X)]).collect());
        let spec = BatchSpec {
            program: &program,
            postselect: Some(&postselect),
            end_of_shot: (case % 2 == 0).then_some(&measured as &dyn qec_sim::exact::EndOfShot),
            noise: NoiseMode::Sample,
            faults: Some(&source),
        };
        let (words, batches) = (10usize, 16u64);
        let shots = 64 * words;
        let mut table = spec.table(words);
        let single = single_shot_counts(&spec, 300 + case as u64, batches, shots, &mut table);
        let mut packed = HashMap::new();
        let mut ws = program.workspace();
        for b in 0..batches {
            spec.run(
                &mut ws,
                &mut batch_rng(400 + case as u64, b),
                shots - 3,
                &mut table,
            );
            count_columns(&table, shots - 3, &mut packed);
        }
        assert_same_distribution(&single, &packed, format!("case {case}\n{text}"));
    }
    // The X between T and T_DAG of qubit 1 (the channel's second target) on every shot: its
    // MX is a fair coin, qubit 0's stays 0.
    let text =
        "RX 0 1\nT 0 1\nX_ERROR(0.3) 0 1\nT_DAG 0 1\nMX 0 1\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n";
    let program = ExactProgram::compile(&parse_circuit(text).unwrap()).unwrap();
    let x = program.injection(0, 1, 1).unwrap();
    let source = KFaults {
        candidates: vec![x],
        k: 1,
    };
    let spec = BatchSpec {
        program: &program,
        postselect: None,
        end_of_shot: None,
        noise: NoiseMode::Sample,
        faults: Some(&source),
    };
    let mut ws = program.workspace();
    let mut table = spec.table(64);
    let mut fired = [0u64; 2];
    for b in 0..4 {
        spec.run(&mut ws, &mut batch_rng(5, b), 4096, &mut table);
        for (d, f) in fired.iter_mut().enumerate() {
            *f += (0..4096).filter(|&s| table.get(d, s)).count() as u64;
        }
    }
    let sd = (0.25f64 / 16384.0).sqrt();
    assert_eq!(fired[0], 0);
    assert!(
        (fired[1] as f64 / 16384.0 - 0.5).abs() < 5.0 * sd,
        "{fired:?} of 16384"
    );
}

/// `--threads` cannot multiply the packed blocks' worst case past the total: 12 active qubits
/// (one vector of 2^12 amplitudes per shot of a 512-shot block, 32 MiB) allow 64 workers.
#[test]
fn packed_workers_are_bounded_by_their_worst_case_memory() {
    let text = "H 0 1\nT 0 1\nCX 0 1\nT 1\nH 0 1\nM 0 1\n";
    let mut program = ExactProgram::compile(&parse_circuit(text).unwrap()).unwrap();
    let worst = |active: usize| (512usize << active) * 16; // shots x amplitudes x bytes
    let total = qec_sim::exact::PACKED_TOTAL_BYTES;
    assert_eq!(
        program.max_packed_workers(),
        total / worst(program.max_active)
    );
    program.max_active = 12;
    assert_eq!(program.max_packed_workers(), 64);
    assert!(program.max_packed_workers() * worst(12) <= total);
    program.max_active = 13; // wider programs run one shot at a time: one vector per worker
    assert_eq!(program.max_packed_workers(), usize::MAX);
}
