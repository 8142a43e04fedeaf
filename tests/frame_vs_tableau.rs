//! The tableau simulator is the oracle for the frame sampler. On random Clifford circuits with
//! resets, measurements in every basis and feedback:
//! - every measurement the tableau finds deterministic comes out the same in every frame shot,
//!   and random ones are fair coins with the correlations the tableau predicts;
//! - one injected Pauli fault (`X_ERROR(1)` etc.) changes frame results exactly as the same
//!   Pauli gate changes the tableau's deterministic results.

mod common;
use common::{circuit_text, op_strategy, tableau_results};
use proptest::prelude::*;
use qec_sim::circuit::{parse_circuit, Circuit};
use qec_sim::frame::{FrameProgram, FrameSimulator, Mode};
use qec_sim::reference::reference_sample;
use qec_sim::sampler::batch_rng;

/// Measurement results of a batch of 256 frame shots: `results[m][s]`.
fn frame_results(circuit: &Circuit, seed: u64) -> Vec<Vec<bool>> {
    let program = FrameProgram::compile(circuit).unwrap();
    let reference = reference_sample(circuit).unwrap();
    let mut sim = FrameSimulator::new(&program, 4, Mode::Measure);
    sim.run(&program, &mut batch_rng(seed, 0));
    (0..program.num_measurements as usize)
        .map(|m| {
            (0..256)
                .map(|s| sim.record().get(m, s) ^ reference.measurements[m])
                .collect()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn deterministic_results_agree_and_random_ones_are_fair(
        n in 2u32..7,
        ops in prop::collection::vec(op_strategy(), 0..40),
        bases in prop::collection::vec(0usize..3, 6),
        seed in any::<u64>(),
    ) {
        let text = circuit_text(n, &ops, &bases);
        let circuit = parse_circuit(&text).unwrap();
        let frame = frame_results(&circuit, seed);
        let tableau = tableau_results(&circuit);
        for (m, (value, vars)) in tableau.iter().enumerate() {
            let ones = frame[m].iter().filter(|&&b| b).count();
            if vars.is_empty() {
                prop_assert!(frame[m].iter().all(|&b| b == *value),
                    "measurement {} should always be {}:\n{}", m, value, text);
            } else {
                // A fair coin over 256 shots lands within 8 standard deviations of 128.
                prop_assert!((64..=192).contains(&ones),
                    "measurement {} random but {} of 256 ones:\n{}", m, ones, text);
            }
        }
        // Pairs with the same random variables have a fixed XOR.
        for i in 0..tableau.len() {
            for j in i + 1..tableau.len() {
                if !tableau[i].1.is_empty() && tableau[i].1 == tableau[j].1 {
                    let expect = tableau[i].0 ^ tableau[j].0;
                    prop_assert!((0..256).all(|s| frame[i][s] ^ frame[j][s] == expect),
                        "measurements {} and {} should XOR to {}:\n{}", i, j, expect, text);
                }
            }
        }
    }

    #[test]
    fn injected_faults_propagate_like_pauli_gates(
        n in 2u32..7,
        ops in prop::collection::vec(op_strategy(), 1..40),
        bases in prop::collection::vec(0usize..3, 6),
        at in 0usize..40,
        fault in 0usize..3,
        fault_qubit in 0u32..6,
    ) {
        let text = circuit_text(n, &ops, &bases);
        let lines: Vec<&str> = text.lines().collect();
        let at = at % (lines.len() + 1);
        let pauli = ["X", "Y", "Z"][fault];
        let q = fault_qubit % n;
        let with = |line: String| {
            let mut l: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            l.insert(at, line);
            l.join("\n") + "\n"
        };
        let noisy = parse_circuit(&with(format!("{pauli}_ERROR(1) {q}"))).unwrap();
        let gated = parse_circuit(&with(format!("{pauli} {q}"))).unwrap();
        let frame = frame_results(&noisy, 1);
        for (m, (value, vars)) in tableau_results(&gated).iter().enumerate() {
            if vars.is_empty() {
                prop_assert!(frame[m].iter().all(|&b| b == *value),
                    "after {}_ERROR(1) {} at line {}, measurement {} should be {}:\n{}",
                    pauli, q, at + 1, m, value, with(format!("{pauli}_ERROR(1) {q}")));
            }
        }
    }
}

#[test]
fn measurement_flip_probability_one_inverts_results() {
    let circuit = parse_circuit("X 1\nM(1) 0 1\nMX(1) 0\n").unwrap();
    let frame = frame_results(&circuit, 3);
    assert!(frame[0].iter().all(|&b| b));
    assert!(frame[1].iter().all(|&b| !b));
}
