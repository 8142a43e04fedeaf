//! `qec-sim gen` and `qec-sim draw` end to end.

use qec_sim::circuit::parse_circuit;
use qec_sim::reference::check_deterministic;
use std::process::{Command, Output};

fn qec_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn gen_writes_a_deterministic_noisy_circuit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.stim");
    let p = path.to_str().unwrap();
    for (layout, task, noise) in [
        ("standard", "memory-x", "uniform"),
        ("redundant", "memory-z", "cn20"),
        ("redundant", "memory-x", "si1000"),
    ] {
        let out = qec_sim(&[
            "gen",
            "--code",
            "color666",
            "--distance",
            "5",
            "--task",
            task,
            "--rounds",
            "2",
            "--layout",
            layout,
            "--noise",
            noise,
            "--p",
            "0.001",
            "-o",
            p,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let circuit = parse_circuit(&std::fs::read_to_string(&path).unwrap()).unwrap();
        check_deterministic(&circuit).unwrap();
        assert!(circuit.to_string().contains("DEPOLARIZE2(0.001)"));
    }
    // Standard output, default rounds = d, no noise.
    let out = qec_sim(&["gen", "-d", "3", "--task", "memory-z"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("DEPOLARIZE"));
    assert_eq!(parse_circuit(&text).unwrap().stats().num_observables, 1);
}

#[test]
fn gen_stats_report_time_steps() {
    let out = qec_sim(&["gen", "-d", "3", "--task", "memory-x", "--stats"]);
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("qubits 13 (data 7)") && err.contains("time steps per round 14 alone"),
        "{err}"
    );
}

#[test]
fn draw_writes_svg() {
    let out = qec_sim(&["draw", "-d", "5", "--layout", "redundant", "--schedule"]);
    assert!(out.status.success());
    let svg = String::from_utf8(out.stdout).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg.matches("<circle").count(),
        19,
        "one disc per data qubit"
    );
    assert!(svg.contains("<text"));
}

#[test]
fn bad_input_gives_one_line_errors() {
    for args in [
        vec!["gen", "-d", "4", "--task", "memory-x"],
        vec!["gen", "-d", "1", "--task", "memory-x"],
        vec!["gen", "-d", "3", "--task", "memory-x", "--rounds", "0"],
        vec![
            "gen", "-d", "3", "--task", "memory-x", "--noise", "cn20", "--p", "1.5",
        ],
        vec!["gen", "-d", "3", "--task", "memory-x", "--p", "0.01"],
        vec![
            "gen", "-d", "3", "--task", "memory-x", "--rounds", "99999999",
        ],
        vec![
            "gen", "-d", "3", "--task", "memory-x", "--noise", "cn20", "--p", "NaN",
        ],
        vec!["draw", "-d", "1000001"],
    ] {
        let out = qec_sim(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("error: ") && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
}

#[test]
fn gen_writes_a_hadamard_measurement_and_its_proxy() {
    let base = ["gen", "-d", "3", "--task", "hadamard-measurement"];
    let out = qec_sim(&base);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let circuit = parse_circuit(&text).unwrap();
    assert_eq!(text.lines().filter(|l| l.starts_with("CH ")).count(), 7);
    // The default layout, redundant-ghz-x: 8 steps (the notebook's tHd3).
    assert_eq!(circuit.stats().num_ticks, 8);
    let proxy = qec_sim(&[&base[..], &["--proxy", "--noise", "cn20", "--p", "0.001"]].concat());
    assert!(proxy.status.success());
    let text = String::from_utf8(proxy.stdout).unwrap();
    assert_eq!(text.matches("CX[proxy:CH]").count(), 7);
    assert!(!text.contains("CH "));
    let layout_error = "cannot run the Hadamard measurement";
    for (task, layout, d, expect) in [
        ("hadamard-measurement", "redundant", "3", layout_error),
        ("hadamard-prep", "redundant", "3", layout_error),
        ("hadamard-prep", "standard", "3", layout_error),
    ] {
        for command in ["gen", "draw"] {
            let args = [command, "-d", d, "--layout", layout, "--task", task];
            let out = qec_sim(&args);
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(
                !out.status.success() && err.contains(expect) && err.lines().count() == 1,
                "{args:?} should fail in one line: {err}"
            );
        }
    }
    let out = qec_sim(&["gen", "-d", "3", "--task", "memory-x", "--proxy"]);
    assert!(!out.status.success());
}

/// Flags that used to be ignored or quietly bent are errors (issue 14, item 10).
#[test]
fn ignored_or_clamped_flags_are_refused() {
    for (args, expect) in [
        (
            vec!["gen", "-d", "3", "--task", "memory-x", "--noise", "cn20"],
            "--noise cn20 needs --p",
        ),
        (
            vec![
                "gen", "-d", "3", "--task", "memory-x", "--noise", "cn20", "--p", "0.9",
            ],
            "would clamp",
        ),
        (
            vec![
                "gen", "-d", "3", "--task", "memory-x", "--noise", "si1000", "--p", "0.2",
            ],
            "it takes p up to 0.1",
        ),
        (
            vec![
                "gen",
                "-d",
                "3",
                "--task",
                "memory-x",
                "--ch-model",
                "proxy",
            ],
            "--ch-model applies to --task hadamard-prep",
        ),
        (
            vec!["gen", "-d", "3", "--task", "hadamard-prep", "--rounds", "2"],
            "--rounds applies to memory tasks",
        ),
        (vec!["draw", "-d", "3", "-o", "x.png"], "draw writes SVG"),
        (
            vec!["gen", "-d", "3", "--task", "memory-x", "--start", "perfect"],
            "--start applies to --task hadamard-prep only",
        ),
        (
            vec![
                "gen",
                "-d",
                "3",
                "--task",
                "hadamard-measurement",
                "--stage",
                "growth",
            ],
            "--stage applies to --task hadamard-prep only",
        ),
        (
            vec![
                "gen",
                "-d",
                "3",
                "--task",
                "hadamard-prep",
                "--start",
                "perfect",
                "--stage",
                "growth",
            ],
            "--start perfect skips the growth stage",
        ),
    ] {
        let out = qec_sim(&args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            !out.status.success() && err.contains(expect) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    assert!(!std::path::Path::new("x.png").exists());
    // At the largest rate that does not clamp, the circuit is written.
    let out = qec_sim(&[
        "gen", "-d", "3", "--task", "memory-x", "--noise", "si1000", "--p", "0.1",
    ]);
    assert!(out.status.success());
}
