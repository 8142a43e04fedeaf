//! The twirl model of the controlled-Hadamard in the frame simulator (Chamberland-Noh 2020):
//! Y on the target passes every pi/8 rotation unchanged, X and Z are scrambled to X or Z.

mod common;
use common::program_row_counts;
use qec_sim::circuit::parse_circuit;
use qec_sim::frame::{FrameProgram, Mode, NonClifford};

/// Detector rates over 64 batches of 1024 shots under the twirl model.
fn twirl_rates(text: &str) -> Vec<f64> {
    let circuit = parse_circuit(text).unwrap();
    assert!(
        FrameProgram::compile(&circuit).is_err(),
        "plain compile must refuse CH"
    );
    let program = FrameProgram::compile_with(&circuit, NonClifford::Twirl).unwrap();
    let counts = program_row_counts(&program, Mode::Detect, 16, 64, 8);
    counts.iter().map(|&c| c as f64 / 65536.0).collect()
}

#[test]
fn y_on_the_target_passes_deterministically_and_kicks_the_control() {
    // Y_t -> (twirl) Y_t -> (CZ) Z_c Y_t -> (twirl) Z_c Y_t: both measurements flip every shot.
    let r = twirl_rates("Y_ERROR(1) 1\nCH 0 1\nM 1\nMX 0\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n");
    assert_eq!(r, vec![1.0, 1.0]);
}

#[test]
fn x_on_the_target_is_scrambled() {
    // X_t -> X or Z (1/2) -> CZ kicks Z_c only for X -> second twirl: X or Z (1/2).
    let r = twirl_rates("X_ERROR(1) 1\nCH 0 1\nM 1\nMX 0\nDETECTOR rec[-2]\nDETECTOR rec[-1]\n");
    // 65536 shots: sd = 0.002; allow 5 sd.
    assert!((r[0] - 0.5).abs() < 0.01, "{r:?}");
    assert!((r[1] - 0.5).abs() < 0.01, "{r:?}");
}

#[test]
fn frames_without_errors_stay_clean() {
    let r = twirl_rates(
        "CH 0 1\nCH 1 2\nM 0 1 2\nDETECTOR rec[-1]\nDETECTOR rec[-2]\nDETECTOR rec[-3]\n",
    );
    assert_eq!(r, vec![0.0, 0.0, 0.0]);
}
