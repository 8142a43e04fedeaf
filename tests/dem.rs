//! Detector error models against Stim's (`tests/data/*.dem`, made by make_dem_fixtures.py),
//! and the `.dem` printer / parser.

mod common;
use qec_sim::dem::{self, parse_dem, DemOptions, DetectorErrorModel};

/// Fixtures with a Stim-made `.dem` (see tests/data/README.md).
const DEM_FIXTURES: &[&str] = &[
    "rep_code_d3_r3",
    "surface_rotated_x_d3_r3",
    "surface_unrotated_z_d3_r2",
    "color_xyz_d3_r3",
    "misc_gates",
    "mpp_spp_steane",
    "stim_115_gates",
    "rep_code_d5_r5",
    "surface_rotated_z_d5_r5",
    "color_xyz_d5_r5_p001",
];

fn ours(name: &str) -> DetectorErrorModel {
    let circuit = common::load_circuit(&format!("{name}.stim"));
    let options = DemOptions {
        approximate_disjoint_errors: ["misc_gates", "stim_115_gates"].contains(&name),
    };
    dem::from_circuit(&circuit, options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn stims(name: &str) -> DetectorErrorModel {
    parse_dem(&common::read_data(&format!("{name}.dem")))
        .unwrap_or_else(|e| panic!("{name}.dem:{e}"))
}

/// Largest relative probability difference; panics if the symptom sets differ.
fn compare(name: &str, a: &DetectorErrorModel, b: &DetectorErrorModel) -> f64 {
    let (ea, eb) = (a.canonical_errors(), b.canonical_errors());
    assert_eq!(ea.len(), eb.len(), "{name}: error counts differ");
    let mut worst: f64 = 0.0;
    for (x, y) in ea.iter().zip(&eb) {
        assert_eq!(
            (&x.detectors, x.observables, &x.tag),
            (&y.detectors, y.observables, &y.tag),
            "{name}: symptoms differ"
        );
        worst = worst.max((x.probability - y.probability).abs() / y.probability);
    }
    assert_eq!(
        a.num_detectors(),
        b.num_detectors(),
        "{name}: detector counts"
    );
    assert_eq!(
        a.num_observables(),
        b.num_observables(),
        "{name}: observable counts"
    );
    let (ca, cb) = (a.detector_coords(), b.detector_coords());
    assert_eq!(
        ca.keys().collect::<Vec<_>>(),
        cb.keys().collect::<Vec<_>>(),
        "{name}"
    );
    for (k, v) in &ca {
        for (p, q) in v.iter().zip(&cb[k]) {
            assert!((p - q).abs() < 1e-9, "{name}: coordinates of D{k}");
        }
    }
    worst
}

#[test]
fn dem_matches_stim_on_every_fixture() {
    let mut worst: f64 = 0.0;
    for name in DEM_FIXTURES {
        let w = compare(name, &ours(name), &stims(name));
        assert!(w < 1e-9, "{name}: relative probability difference {w:e}");
        worst = worst.max(w);
    }
    println!(
        "{} fixtures agree with Stim; worst relative difference {worst:e}",
        DEM_FIXTURES.len()
    );
}

#[test]
fn printed_dem_parses_back_to_the_same_model() {
    for name in DEM_FIXTURES {
        let model = ours(name);
        let text = model.to_string();
        let back = parse_dem(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(back, model, "{name}");
        // And Stim's text survives our printer too.
        let theirs = stims(name);
        assert_eq!(parse_dem(&theirs.to_string()).unwrap(), theirs, "{name}");
    }
}

#[test]
fn loops_stay_loops() {
    let model = ours("rep_code_d5_r5");
    let text = model.to_string();
    assert!(text.contains("repeat "), "{text}");
    assert!(text.contains("shift_detectors"), "{text}");
}

#[test]
fn bad_dem_text_is_refused_with_line_and_column() {
    for (text, line, needle) in [
        ("error(0.1) D0\nerror(2) D1\n", 2, "probability"),
        ("error(0.1) D0\n  detector(1, x) D1\n", 2, "bad number"),
        ("repeat 3 {\n    error(0.1) D0\n", 1, "never closed"),
        ("}\n", 1, "closes no repeat"),
        ("error(0.1) D0 X1\n", 1, "bad target 'X1'"),
        ("logical_observable D3\n", 1, "wrong kind of target"),
        ("error(0.1) L64\n", 1, "beyond L63"),
        ("frobnicate D0\n", 1, "unknown instruction"),
        ("repeat 0 {\n}\n", 1, "positive"),
    ] {
        let err = parse_dem(text).expect_err(text);
        assert_eq!(err.line, line, "{text}: {err}");
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
    let err = parse_dem("error(0.1) D0 X1\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "1:15: bad target 'X1' (expected Dk, Lk or ^)"
    );
}

proptest::proptest! {
    #[test]
    fn garbage_never_panics_the_dem_parser(text in "[a-zA-Z0-9_ (){}\\[\\],.^#\\n\\-é]{0,60}") {
        let _ = parse_dem(&text);
    }

    #[test]
    fn dem_lines_from_pieces_never_panic(
        lines in proptest::collection::vec(
            proptest::sample::select(vec![
                "error(0.25) D0 L1", "error(0.5) D3 ^ D4", "detector(1, 2.5) D7",
                "logical_observable L2", "shift_detectors(0, 1) 4", "repeat 2 {", "}",
                "error[t](0.1) D1", "ERROR(0.1) d2", "error(0.1) Dé", "é", "detector D",
            ]),
            0..12,
        )
    ) {
        if let Ok(model) = parse_dem(&lines.join("\n")) {
            let again = parse_dem(&model.to_string()).unwrap();
            proptest::prop_assert_eq!(again, model);
        }
    }
}
