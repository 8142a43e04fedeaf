//! Analytic checks of the noise channels in the frame sampler: each measured rate is compared
//! with its exact value within 5 binomial standard deviations (fixed seeds, so not flaky).

mod common;
use common::row_counts;
use qec_sim::circuit::parse_circuit;
use qec_sim::frame::Mode;

const WORDS: usize = 16;
const BATCHES: u64 = 100;
const SHOTS: f64 = (WORDS as u64 * 64 * BATCHES) as f64;

/// Detector rates of a circuit over 102400 shots.
fn rates(text: &str) -> Vec<f64> {
    let circuit = parse_circuit(text).unwrap();
    row_counts(&circuit, Mode::Detect, WORDS, BATCHES, 99)
        .into_iter()
        .map(|c| c as f64 / SHOTS)
        .collect()
}

fn assert_rate(measured: f64, expected: f64, what: &str) {
    let sd = (expected * (1.0 - expected) / SHOTS)
        .sqrt()
        .max(1.0 / SHOTS);
    assert!(
        (measured - expected).abs() <= 5.0 * sd,
        "{what}: measured {measured}, expected {expected} (sd {sd})"
    );
}

#[test]
fn x_error_before_measurement_fires_at_rate_p() {
    for p in [0.001, 0.03, 0.25, 0.5, 0.9] {
        let r = rates(&format!(
            "X_ERROR({p}) 0 1 2\nM 0 1 2\nDETECTOR rec[-3]\nDETECTOR rec[-1]\n"
        ));
        assert_rate(r[0], p, &format!("X_ERROR({p})"));
        assert_rate(r[1], p, &format!("X_ERROR({p}) on another qubit"));
    }
}

#[test]
fn pauli_errors_flip_only_anticommuting_measurements() {
    let r = rates(
        "RX 1\nZ_ERROR(0.2) 0 1\nY_ERROR(0.1) 0\nM 0\nMX 1\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n",
    );
    assert_rate(r[0], 0.1, "Y flips Z measurement; Z does not");
    assert_rate(r[1], 0.2, "Z flips X measurement");
}

#[test]
fn depolarize1_flips_a_z_measurement_two_thirds_of_the_time() {
    let r = rates("DEPOLARIZE1(0.3) 0\nM 0\nDETECTOR rec[-1]\n");
    assert_rate(r[0], 0.2, "DEPOLARIZE1");
}

#[test]
fn depolarize2_flips_each_qubit_with_probability_8_over_15() {
    let r = rates("DEPOLARIZE2(0.15) 0 1\nM 0 1\nDETECTOR rec[-2]\nDETECTOR rec[-1]\nDETECTOR rec[-1] rec[-2]\n");
    assert_rate(r[0], 0.08, "first qubit");
    assert_rate(r[1], 0.08, "second qubit");
    // Parity flips when exactly one of the two carries X or Y: 8 of the 15 Paulis.
    assert_rate(r[2], 0.08, "parity");
}

#[test]
fn pauli_channels_use_stim_argument_order() {
    let r = rates("PAULI_CHANNEL_1(0.1, 0.2, 0.3) 0\nM 0\nDETECTOR rec[-1]\n");
    assert_rate(r[0], 0.3, "X and Y flip Z measurements");
    let mut args = vec!["0"; 15];
    args[3] = "0.25"; // XI: X on the first target
    let r = rates(&format!(
        "PAULI_CHANNEL_2({}) 0 1\nM 0 1\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n",
        args.join(", ")
    ));
    assert_rate(r[0], 0.25, "XI hits the first target");
    assert_rate(r[1], 0.0, "XI leaves the second target");
}

#[test]
fn measurement_flip_probability_and_reset_flips() {
    let r = rates(
        "M(0.125) 0\nMR(0.25) 1\nM 1\nDETECTOR rec[-3]\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n",
    );
    assert_rate(r[0], 0.125, "M(p)");
    assert_rate(r[1], 0.25, "MR(p)");
    assert_rate(r[2], 0.0, "MR flips the result, not the state");
}

#[test]
fn correlated_error_chains_are_exclusive() {
    // E(0.2), then ELSE(0.5) fires only when E did not: 0.8 * 0.5 = 0.4; then ELSE(1): 0.4.
    let r = rates(
        "E(0.2) X0\nELSE_CORRELATED_ERROR(0.5) X1\nELSE_CORRELATED_ERROR(1) X2 X3\nM 0 1 2 3\n\
         DETECTOR rec[-4]\nDETECTOR rec[-3]\nDETECTOR rec[-2]\nDETECTOR rec[-4] rec[-3] rec[-2]\nDETECTOR rec[-2] rec[-1]\n",
    );
    assert_rate(r[0], 0.2, "E");
    assert_rate(r[1], 0.4, "first ELSE");
    assert_rate(r[2], 0.4, "second ELSE");
    assert_rate(r[3], 1.0, "exactly one branch fires");
    assert_rate(r[4], 0.0, "a branch's Paulis fire together");
}

#[test]
fn errors_spread_through_gates_and_loops() {
    // An X before CX spreads to the target; five noisy rounds in a REPEAT accumulate.
    let r = rates("X_ERROR(0.1) 0\nCX 0 1\nM 1\nDETECTOR rec[-1]\nREPEAT 5 {\n    X_ERROR(0.1) 2\n}\nM 2\nDETECTOR rec[-1]\n");
    assert_rate(r[0], 0.1, "CX spreads X");
    // Odd number of 5 flips at 0.1: (1 - 0.8^5) / 2.
    assert_rate(r[1], (1.0 - 0.8f64.powi(5)) / 2.0, "REPEAT");
}
