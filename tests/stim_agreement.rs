//! Agreement with Stim on Stim-made fixtures (tests/data/README.md says how they were made):
//! exact text round trips, and detection-event rates of the frame sampler.

mod common;
use common::*;
use qec_sim::circuit::parse_circuit;
use qec_sim::frame::Mode;

#[test]
fn stim_printed_circuits_round_trip_exactly() {
    for name in FIXTURES {
        let text = read_data(&format!("{name}.stim"));
        let circuit = parse_circuit(&text).unwrap();
        assert_eq!(circuit.to_string(), text, "{name}");
    }
}

#[test]
fn detection_rates_match_stim() {
    // 200 batches of 1024 shots = 204800 shots per circuit; 5 sigma per row keeps the chance of
    // a false alarm over all ~250 rows below 1e-4 (and the seed is fixed).
    for name in FIXTURES {
        let circuit = load_circuit(&format!("{name}.stim"));
        let shots = 200 * 1024;
        let counts = row_counts(&circuit, Mode::Detect, 16, 200, 2024);
        let stats = circuit.stats();
        let expected = stim_rates(name);
        assert_eq!(
            expected.len(),
            stats.num_detectors as usize + stats.num_observables as usize,
            "{name}"
        );
        for (kind, index, rate, stim_shots) in expected {
            let row = if kind == "D" {
                index
            } else {
                stats.num_detectors as usize + index
            };
            let ours = counts[row] as f64 / shots as f64;
            assert!(
                rates_agree(ours, shots, rate, stim_shots, 5.0),
                "{name} {kind}{index}: qec-sim {ours} vs stim {rate}"
            );
        }
    }
}
