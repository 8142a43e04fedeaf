//! Layouts, flagged syndrome-measurement schedules, memory circuits and noise passes for the
//! 6.6.6 color code: structure, determinism, couplings, and flag fault tolerance by enumeration.

mod common;
use common::single_faults::{fault_terms, propagate, uniform_noisy_items};
use qec_sim::circuit::{Circuit, Item};
use qec_sim::code::Pauli;
use qec_sim::gates::GateKind;
use qec_sim::layout::{Layout, LayoutKind, Role};
use qec_sim::noise::{strip, NoiseModel, MODELS};
use qec_sim::reference::check_deterministic;
use qec_sim::schedule::{
    memory_circuit, round_circuit_of, round_ops_with, MeasureInfo, Task, Undo,
};
use std::collections::BTreeSet;

const KINDS: [LayoutKind; 2] = [LayoutKind::Standard, LayoutKind::Redundant];
const TASKS: [Task; 2] = [Task::MemoryX, Task::MemoryZ];

#[test]
fn layouts_are_trivalent_and_count_as_claimed() {
    for d in (3..=15).step_by(2) {
        for kind in KINDS {
            let l = Layout::new(d, kind);
            assert!(l.max_degree() <= 3, "{kind:?} d={d}");
            let ancillas = l.num_qubits() - l.num_data();
            let w6 = (3 * d * d - 12 * d + 9) / 8;
            let w4 = 3 * (d - 1) / 2;
            match kind {
                LayoutKind::Standard => assert_eq!(ancillas, 4 * w6 + 2 * w4),
                LayoutKind::Redundant | LayoutKind::RedundantGhz | LayoutKind::RedundantGhzX => {
                    assert_eq!(l.num_qubits(), (6 * d * d - 9 * d + 5) / 2);
                    // Every data qubit is next to an ancilla of each of its faces.
                    for f in &l.faces {
                        for &q in &f.data {
                            assert!(f.ancillas.iter().any(|&a| l.coupled(a, q)));
                        }
                    }
                }
            }
            // Ancillas couple only within their face; data never couple to data.
            for e in l.graph.edge_indices() {
                let (a, b) = l.graph.edge_endpoints(e).unwrap();
                assert!(l.roles[a.index()] != Role::Data || l.roles[b.index()] != Role::Data);
            }
        }
    }
    assert_eq!(Layout::new(3, LayoutKind::Redundant).num_qubits(), 16);
    assert_eq!(Layout::new(5, LayoutKind::Redundant).num_qubits(), 55);
    assert_eq!(Layout::new(7, LayoutKind::Redundant).num_qubits(), 118);
}

/// Qubits touched by each TICK-delimited step must be distinct.
fn assert_one_gate_per_qubit_per_step(circuit: &Circuit) {
    let mut used = BTreeSet::new();
    for item in &circuit.items {
        let Item::Instruction(ins) = item else {
            panic!("no loops expected")
        };
        match ins.gate.kind() {
            GateKind::Tick => used.clear(),
            GateKind::Clifford1
            | GateKind::Clifford2
            | GateKind::Reset(_)
            | GateKind::Measure(_)
            | GateKind::MeasureReset(_) => {
                for t in &ins.targets {
                    let q = t.qubit_index().unwrap();
                    assert!(used.insert(q), "qubit {q} used twice in one step");
                }
            }
            _ => {}
        }
    }
}

#[test]
fn memory_circuits_are_deterministic_coupled_and_noise_passes_keep_detectors() {
    for d in [3, 5, 7] {
        for kind in KINDS {
            let l = Layout::new(d, kind);
            for task in TASKS {
                let m = memory_circuit(&l, task, 3);
                check_deterministic(&m.circuit).unwrap_or_else(|e| panic!("{kind:?} d={d}: {e}"));
                l.check_couplings(&m.circuit).unwrap();
                assert_one_gate_per_qubit_per_step(&m.circuit);
                let stats = m.circuit.stats();
                let flags = l.roles.iter().filter(|&&r| r == Role::Flag).count() as u64;
                let faces = l.faces.len() as u64;
                // Per round: every flag twice; stabilizers of the kept basis every round, of
                // the other basis from round 2; the final data round.
                assert_eq!(
                    stats.num_detectors,
                    3 * 2 * flags + 3 * faces + 2 * faces + faces
                );
                assert_eq!(stats.num_observables, 1);
                if d == 3 {
                    for model in MODELS {
                        let noisy = model.apply(&m.circuit, 1e-3);
                        assert_eq!(strip(&noisy), m.circuit, "{}", model.name);
                        check_deterministic(&noisy).unwrap();
                    }
                }
            }
        }
    }
}

#[test]
fn detector_coordinates_follow_chromobius() {
    let l = Layout::new(5, LayoutKind::Standard);
    let m = memory_circuit(&l, Task::MemoryZ, 2);
    let mut seen = BTreeSet::new();
    for item in &m.circuit.items {
        if let Item::Instruction(ins) = item {
            if ins.gate.kind() == GateKind::Detector {
                assert_eq!(ins.args.len(), 4);
                seen.insert(ins.args[3] as i64);
            }
        }
    }
    assert_eq!(seen, BTreeSet::from([-1, 0, 1, 2, 3, 4, 5]));
}

#[test]
fn uniform_noise_lands_where_the_table_says() {
    let text = "R 0 1 2\nTICK\nH 0\nCX 1 2\nTICK\nM 0 1\nTICK\n";
    let clean = qec_sim::circuit::parse_circuit(text).unwrap();
    let noisy = NoiseModel::named("cn20").unwrap().apply(&clean, 0.03);
    let want = "R 0 1 2\nX_ERROR(0.02) 0 1 2\nTICK\nH 0\nDEPOLARIZE1(0.03) 0\nCX 1 2\n\
                DEPOLARIZE2(0.03) 1 2\nTICK\nM(0.02) 0 1\nDEPOLARIZE1(0.03) 2\nTICK\n";
    assert_eq!(noisy.to_string(), want);
}

/// Single faults of one noisy round that raise no flag yet leave a data error that is not
/// equivalent (up to stabilizers) to weight <= 1 in both its X and Z parts. With
/// `ignore_flags`, flags are treated as never firing (a broken protocol).
fn bad_faults(d: usize, kind: LayoutKind, undo: Undo, ignore_flags: bool) -> (usize, Vec<String>) {
    let layout = Layout::new(d, kind);
    let code = layout.code.code();
    let (clean, infos) = round_circuit_of(&layout, round_ops_with(&layout, undo));
    let items = uniform_noisy_items(&clean);
    let is_flag = |m: &MeasureInfo| m.role == Role::Flag;
    let n = layout.num_qubits();
    let mut count = 0;
    let mut bad = Vec::new();
    for (k, ins) in items.iter().enumerate() {
        if !matches!(ins.gate.kind(), GateKind::Noise1 | GateKind::Noise2) {
            continue;
        }
        let width = if ins.gate.kind() == GateKind::Noise2 {
            2
        } else {
            1
        };
        let qs: Vec<u32> = ins.targets.iter().filter_map(|t| t.qubit_index()).collect();
        for group in qs.chunks(width) {
            for term in fault_terms(ins) {
                count += 1;
                let (flips, frame) = propagate(&items, k, group, term, n);
                let flagged = flips.iter().zip(&infos).any(|(&f, m)| f && is_flag(m));
                if flagged && !ignore_flags {
                    continue;
                }
                let part = |bits: &[bool]| -> Vec<usize> {
                    (0..layout.num_data()).filter(|&q| bits[q]).collect()
                };
                let wx = code.reduced_weight(Pauli::X, &part(&frame.x));
                let wz = code.reduced_weight(Pauli::Z, &part(&frame.z));
                if wx > 1 || wz > 1 {
                    bad.push(format!(
                        "{} {group:?} term {term:?}: X weight {wx}, Z weight {wz}",
                        ins.gate.name()
                    ));
                }
            }
        }
    }
    (count, bad)
}

/// d = 3 and 5, both layouts, both ways of undoing the trees (the generator picks either).
fn cases() -> Vec<(usize, LayoutKind, Undo)> {
    let mut v = Vec::new();
    for d in [3, 5] {
        for kind in KINDS {
            for undo in [Undo::Reverse, Undo::PostOrder] {
                v.push((d, kind, undo));
            }
        }
    }
    v
}

#[test]
fn every_single_fault_is_flagged_or_leaves_weight_at_most_one() {
    for (d, kind, undo) in cases() {
        let (count, bad) = bad_faults(d, kind, undo, false);
        assert!(count > 500, "{kind:?} d={d}: only {count} faults");
        assert!(
            bad.is_empty(),
            "{kind:?} {undo:?} d={d}: {} bad faults, e.g. {}",
            bad.len(),
            bad[0]
        );
    }
}

#[test]
fn without_flags_some_single_faults_are_harmful() {
    // The enumeration is not vacuous: the same faults with flags ignored include hooks.
    for kind in KINDS {
        let (_, bad) = bad_faults(5, kind, Undo::Reverse, true);
        assert!(!bad.is_empty(), "{kind:?}: flags should matter");
    }
}

#[test]
fn generation_up_to_d15_is_fast() {
    let start = std::time::Instant::now();
    for kind in KINDS {
        let l = Layout::new(15, kind);
        let m = memory_circuit(&l, Task::MemoryX, 15);
        let noisy = NoiseModel::named("si1000").unwrap().apply(&m.circuit, 1e-3);
        assert!(noisy.to_string().len() > 1000);
        l.check_couplings(&noisy).unwrap();
    }
    assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
}

/// The shipped circuits and drawings under circuits/: (file name, contents).
fn shipped_files() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for d in [3, 5, 7] {
        for kind in KINDS {
            let l = Layout::new(d, kind);
            let labels = qec_sim::layout::draw::schedule_labels(&l);
            let svg = qec_sim::layout::draw::svg(&l, &labels);
            files.push((format!("color666_{}_d{d}.svg", kind.name()), svg));
            for (task, t) in [(Task::MemoryX, "x"), (Task::MemoryZ, "z")] {
                let m = memory_circuit(&l, task, d);
                let noisy = NoiseModel::named("cn20").unwrap().apply(&m.circuit, 1e-3);
                let name = format!(
                    "color666_{}_d{d}_r{d}_memory_{t}_cn20_p001.stim",
                    kind.name()
                );
                files.push((name, noisy.to_string()));
            }
        }
    }
    files
}

#[test]
fn shipped_circuits_and_drawings_are_up_to_date() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits");
    let update = std::env::var_os("UPDATE_CIRCUITS").is_some();
    for (name, text) in shipped_files() {
        let path = dir.join(&name);
        if update {
            std::fs::write(&path, &text).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("{name}: {e} (run UPDATE_CIRCUITS=1 cargo test --test color_circuits)")
        });
        assert!(
            on_disk == text,
            "circuits/{name} is stale (UPDATE_CIRCUITS=1 regenerates it)"
        );
    }
}
