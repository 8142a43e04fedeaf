//! `qec-sim analyze-errors` and `qec-sim faults` end to end.

mod common;
use qec_sim::dem::parse_dem;
use std::process::{Command, Output};

fn qec_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(args)
        .output()
        .unwrap()
}

fn data(name: &str) -> String {
    common::data_path(name).display().to_string()
}

/// Runs a command that must fail; returns its one-line error.
fn failure(args: &[&str]) -> String {
    let out = qec_sim(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn analyze_errors_writes_the_model_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.dem");
    let circuit = data("surface_rotated_x_d3_r3.stim");
    let out = qec_sim(&[
        "analyze-errors",
        "--circuit",
        &circuit,
        "--out",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = parse_dem(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let stims = parse_dem(&common::read_data("surface_rotated_x_d3_r3.dem")).unwrap();
    assert_eq!(
        ours.canonical_errors().len(),
        stims.canonical_errors().len()
    );
}

#[test]
fn analyze_errors_refuses_channels_that_need_approximation() {
    let circuit = data("misc_gates.stim");
    let err = failure(&["analyze-errors", "--circuit", &circuit]);
    assert!(err.contains("misc_gates.stim:55: PAULI_CHANNEL_2"), "{err}");
    assert!(err.contains("--approximate-disjoint-errors"), "{err}");
    let ok = qec_sim(&[
        "analyze-errors",
        "--circuit",
        &circuit,
        "--approximate-disjoint-errors",
    ]);
    assert!(ok.status.success());
}

#[test]
fn analysis_errors_name_file_and_line() {
    let bad = data("malformed/nondeterministic_detector.stim");
    for cmd in ["analyze-errors", "faults"] {
        let err = failure(&[cmd, "--circuit", &bad]);
        assert!(err.contains("nondeterministic_detector.stim:"), "{err}");
        assert!(err.contains("not deterministic"), "{err}");
    }
    let circuit = data("rep_code_d3_r3.stim");
    let err = failure(&["faults", "--circuit", &circuit, "--max-faults", "0"]);
    assert!(err.contains("--max-faults must be at least 1"), "{err}");
    let err = failure(&["faults", "--circuit", &circuit, "--decoder", "mwpm"]);
    assert!(err.contains("unknown decoder 'mwpm'"), "{err}");
}

#[test]
fn faults_reports_counts_and_the_shortest_logical_error() {
    let circuit = data("surface_rotated_x_d3_r3.stim");
    let out = qec_sim(&[
        "faults",
        "--circuit",
        &circuit,
        "--max-faults",
        "2",
        "--shortest",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let row1 = text.lines().find(|l| l.starts_with("1\t")).unwrap();
    let fields: Vec<&str> = row1.split('\t').collect();
    assert_eq!(fields[4], "0", "{text}"); // no single fault is an undetected logical
                                          // Pairs exceed what a one-fault table corrects at d = 3: the first such sets are printed.
    let row2 = text.lines().find(|l| l.starts_with("2\t")).unwrap();
    let wrong: u64 = row2.split('\t').nth(6).unwrap().parse().unwrap();
    assert!(wrong > 0, "{text}");
    assert!(
        text.contains("decoder-wrong set 1 of size 2 (lookup):"),
        "{text}"
    );
    assert!(
        text.contains("shortest undetected logical error: 3 faults"),
        "{text}"
    );
    assert!(text.contains("line "), "{text}");
}

#[test]
fn huge_unrolled_loops_are_refused_not_attempted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("long.stim");
    let text = "REPEAT 100000000 {\n    DEPOLARIZE1(0.01) 0\n    M 0\n    DETECTOR rec[-1]\n}\n";
    std::fs::write(&path, text).unwrap();
    let err = failure(&["analyze-errors", "--circuit", path.to_str().unwrap()]);
    assert!(err.contains("fault events"), "{err}");
}
