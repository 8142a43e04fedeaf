//! Agreement with Stim on Stim-made fixtures (tests/data/README.md says how they were made):
//! exact text round trips, and detection-event rates of the frame sampler.

mod common;
use common::*;
use qec_sim::bits::BitTable;
use qec_sim::circuit::parse_circuit;
use qec_sim::frame::Mode;
use qec_sim::output::{read_shots, write_shots, BitNames, Format};

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

/// A row-per-bit table of shots (what the samplers produce).
fn table_of(shots: &[Vec<bool>], bits: usize) -> BitTable {
    let mut t = BitTable::new(bits, shots.len().div_ceil(64));
    for (s, shot) in shots.iter().enumerate() {
        for (r, &b) in shot.iter().enumerate() {
            if b {
                t.flip(r, s);
            }
        }
    }
    t
}

#[test]
fn result_formats_are_byte_identical_to_stims() {
    // tests/data/formats: 128 shots of 270 bits written by Stim in each format (see
    // make_format_fixtures.py).
    let (bits, m) = (270, BitNames::Measurements);
    let read = |name: &str| std::fs::read(data_path(&format!("formats/{name}"))).unwrap();
    let shots = read_shots(&read("shots.01"), Format::Text01, bits, m).unwrap();
    assert_eq!(shots.len(), 128);
    let table = table_of(&shots, bits);
    for f in ["01", "b8", "r8", "hits", "dets", "ptb64"] {
        let format: Format = f.parse().unwrap();
        let stims = read(&format!("shots.{f}"));
        let mut ours = Vec::new();
        write_shots(&table, 0..bits, 128, None, format, m, &mut ours);
        assert!(ours == stims, "{f}: our bytes differ from Stim's");
        assert_eq!(read_shots(&stims, format, bits, m).unwrap(), shots, "{f}");
    }
    // Detection events: 190 detectors then 10 observables, and the observables alone.
    let names = BitNames::DetectorsThenObservables { num_detectors: 190 };
    let mut dets = Vec::new();
    write_shots(&table, 0..200, 128, None, Format::Dets, names, &mut dets);
    assert!(
        dets == read("detect.dets"),
        "detection dets differ from Stim's"
    );
    let back = read_shots(&dets, Format::Dets, 200, names).unwrap();
    assert!(back.iter().zip(&shots).all(|(a, b)| a[..] == b[..200]));
    let mut obs = Vec::new();
    write_shots(&table, 190..200, 128, None, Format::Text01, names, &mut obs);
    assert!(obs == read("detect_obs.01"));
    // Broken input is an error, not a panic.
    assert!(read_shots(b"shot D1 X2\n", Format::Dets, 5, names).is_err());
    assert!(read_shots(&[3, 255], Format::R8, 5, m).is_err());
    assert!(read_shots(b"0101\n", Format::Text01, 5, m).is_err());
    assert!(read_shots(&[0; 7], Format::Ptb64, 5, m).is_err());
}
