//! `qec-sim sweep` and `qec-sim combine` end to end: determinism across threads, exact agreement
//! with `detect`, shards that add up to one run, and resuming after SIGKILL or a cut line.

mod common;
use qec_sim::sweep::{parse_stats, TaskStats};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(args: &[&str], dir: &Path) -> Output {
    let out = run(args, dir);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A working directory holding one Stim fixture under a metadata-bearing name.
fn setup(fixture: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::copy(common::data_path(fixture), &path).unwrap();
    (dir, path)
}

fn stats(path: &Path) -> Vec<TaskStats> {
    parse_stats(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .rows
}

fn counts(rows: &[TaskStats]) -> Vec<(u64, u64, u64)> {
    rows.iter()
        .map(|r| (r.shots, r.errors, r.discards))
        .collect()
}

#[test]
fn counts_do_not_depend_on_threads_and_match_detect() {
    let (dir, circuit) = setup("color_xyz_d3_r3.stim", "d=3,p=0.005.stim");
    let c = circuit.to_str().unwrap();
    let base = [
        "sweep",
        "--circuits",
        c,
        "--max-shots",
        "300000",
        "--seed",
        "4",
    ];
    ok(
        &[&base[..], &["--threads", "1", "--out", "t1.csv"]].concat(),
        dir.path(),
    );
    ok(
        &[&base[..], &["--threads", "2", "--out", "t2.csv"]].concat(),
        dir.path(),
    );
    let one = stats(&dir.path().join("t1.csv"));
    assert_eq!(counts(&one), counts(&stats(&dir.path().join("t2.csv"))));
    assert_eq!(
        one[0].json_metadata,
        serde_json::json!({"d": 3, "p": 0.005})
    );
    // The same seed and shots through `detect`: discards are exactly the shots with any event.
    let detect = ok(
        &[
            "detect",
            "--circuit",
            c,
            "--shots",
            "300000",
            "--seed",
            "4",
            "--out-format",
            "01",
        ],
        dir.path(),
    );
    let fired = String::from_utf8(detect.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.contains('1'))
        .count();
    assert_eq!(one[0].discards, fired as u64);
}

#[test]
fn four_shards_combine_into_one_run() {
    let (dir, circuit) = setup("surface_rotated_x_d3_r3.stim", "surface.stim");
    let c = circuit.to_str().unwrap();
    let base = [
        "sweep",
        "--circuits",
        c,
        "--max-shots",
        "500000",
        "--seed",
        "9",
    ];
    ok(&[&base[..], &["--out", "whole.csv"]].concat(), dir.path());
    let mut files = Vec::new();
    for i in 0..4 {
        let name = format!("shard{i}.csv");
        ok(
            &[&base[..], &["--shard", &format!("{i}/4"), "--out", &name]].concat(),
            dir.path(),
        );
        files.push(name);
    }
    let mut args = vec!["combine", "--out", "combined.csv"];
    args.extend(files.iter().map(|s| s.as_str()));
    ok(&args, dir.path());
    let whole = stats(&dir.path().join("whole.csv"));
    let combined = stats(&dir.path().join("combined.csv"));
    assert_eq!(counts(&combined), counts(&whole));
    assert_eq!(combined[0].strong_id, whole[0].strong_id);
}

#[test]
fn a_killed_sweep_resumes_without_losing_or_duplicating_counts() {
    let (dir, circuit) = setup("color_xyz_d3_r3.stim", "color.stim");
    let c = circuit.to_str().unwrap().to_string();
    let resume = dir.path().join("resume.csv");
    let max = "200000000";
    let mut child = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args([
            "sweep",
            "--circuits",
            &c,
            "--max-shots",
            max,
            "--seed",
            "2",
            "--threads",
            "1",
        ])
        .args([
            "--save-resume",
            resume.to_str().unwrap(),
            "--out",
            "first.csv",
        ])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a few rounds are on disk.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(&resume).map_or(0, |t| t.lines().count()) < 4 {
        assert!(std::time::Instant::now() < deadline, "no rows appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !dir.path().join("first.csv").exists(),
        "an interrupted sweep must not write its summary"
    );
    let before = stats(&resume).iter().map(|r| r.shots).sum::<u64>();
    assert!(before > 0 && before < 200_000_000);
    // Simulate a kill mid-write too: a cut line at the end is dropped, not counted.
    let mut text = std::fs::read_to_string(&resume).unwrap();
    text.push_str("     12345,    ");
    std::fs::write(&resume, text).unwrap();
    let out = ok(
        &[
            "sweep",
            "--circuits",
            &c,
            "--max-shots",
            max,
            "--seed",
            "2",
            "--max-seconds",
            "0.5",
            "--save-resume",
            resume.to_str().unwrap(),
            "--out",
            "second.csv",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("unfinished last line"));
    let rows = stats(&resume);
    let after: u64 = rows.iter().map(|r| r.shots).sum();
    assert!(after > before, "resumed run added nothing");
    let summary = stats(&dir.path().join("second.csv"));
    assert_eq!(
        summary[0].shots, after,
        "summary counts the rows from before the kill"
    );
}

#[test]
fn bad_sweep_input_gets_one_line_errors() {
    let (dir, circuit) = setup("rep_code_d3_r3.stim", "rep.stim");
    let c = circuit.to_str().unwrap();
    for (args, expect) in [
        (
            vec!["sweep", "--task", "memory-x", "--method", "subset"],
            "--method subset needs --task hadamard-prep",
        ),
        (
            vec!["sweep", "--task", "hadamard-prep", "--ch-model", "exact"],
            "state-vector",
        ),
        (vec!["sweep", "--p", "0.7"], "outside (0, 0.5]"),
        (
            vec!["sweep", "--circuits", c, "--decoder", "magic"],
            "unknown decoder 'magic'",
        ),
        (
            vec!["sweep", "--circuits", c, "--shard", "4/4"],
            "need 0 <= I < N",
        ),
        (
            vec!["sweep", "--circuits", c, "--max-shots", "0"],
            "--max-shots must be at least 1",
        ),
        (
            vec!["sweep", "--circuits", "missing.stim"],
            "cannot read circuit file missing.stim",
        ),
        (
            vec!["combine", "missing.csv"],
            "cannot read statistics file missing.csv",
        ),
    ] {
        let out = run(&args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    std::fs::write(dir.path().join("bad.csv"), "     shots,    errors,  discards, seconds,decoder,strong_id,json_metadata,custom_counts\n1,2,3\n").unwrap();
    let out = run(&["combine", "bad.csv"], dir.path());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: bad.csv:2:"));
}

#[test]
fn logs_get_progress_lines_and_a_whole_sweep_budget_holds() {
    let (dir, first) = setup("color_xyz_d3_r3.stim", "d=3,p=0.005.stim");
    let second = dir.path().join("d=3,p=0.004.stim");
    std::fs::copy(&first, &second).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(["sweep", "--circuits", first.to_str().unwrap()])
        .args([
            second.to_str().unwrap(),
            "--max-shots",
            "1e12",
            "--threads",
            "1",
        ])
        .args(["--max-total-seconds", "1"])
        .env("QEC_SIM_PROGRESS_SECONDS", "0")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("progress: task 1 of 2 (d=3 p=0.005): ")
            && err.contains(" errors, ")
            && err.contains(" shots/s, ~"),
        "{err}"
    );
    assert!(
        err.contains("the time budget ran out; 1 task(s) were not sampled"),
        "{err}"
    );
    // Only the sampled task has a row (no row of 0 shots for the other).
    let rows = stats(&dir.path().join("stats.csv"));
    assert_eq!(rows.len(), 1);
    assert!(rows[0].shots > 0 && rows[0].shots < 1_000_000_000_000);
}

#[test]
fn sweeps_say_what_they_wrote_and_warn_about_suspicious_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d=3,run2.stim"), "M 0\nDETECTOR rec[-1]\n").unwrap();
    std::fs::write(dir.path().join("empty.stim"), "").unwrap();
    let args = [
        "sweep",
        "--circuits",
        "d=3,run2.stim",
        "empty.stim",
        "--max-shots",
        "1e3",
        "--max-errors",
        "1e3",
    ];
    let first = ok(&args, dir.path());
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(
        err.contains("d=3,run2.stim: the file name parts 'run2' are not key=value pairs"),
        "{err}"
    );
    assert!(
        err.contains("d=3,run2.stim: the circuit has no OBSERVABLE_INCLUDE"),
        "{err}"
    );
    assert!(err.contains("empty.stim: the circuit is empty"), "{err}");
    assert!(String::from_utf8_lossy(&first.stdout).contains("wrote stats.csv\n"));
    let second = ok(&args, dir.path());
    assert!(String::from_utf8_lossy(&second.stdout)
        .contains("wrote stats.csv (replacing the earlier one)"));
    assert_eq!(stats(&dir.path().join("stats.csv"))[0].shots, 1000);
    // No rows of 0 shots: --max-errors 0 is refused.
    let zero = run(
        &["sweep", "--circuits", "empty.stim", "--max-errors", "0"],
        dir.path(),
    );
    assert!(!zero.status.success());
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--max-errors must be at least 1"));
}

#[test]
fn a_huge_shot_budget_with_max_errors_runs_in_constant_memory() {
    // The sinter idiom: unbounded shots, stop on errors. Batches were once listed up front,
    // which for 2^64 - 1 shots overflowed or tried to allocate exabytes.
    let (dir, circuit) = setup("color_xyz_d3_r3.stim", "d=3.stim");
    for max_shots in ["18446744073709551615", "1e15"] {
        ok(
            &[
                "sweep",
                "--circuits",
                circuit.to_str().unwrap(),
                "--max-shots",
                max_shots,
                "--max-errors",
                "50",
                "--seed",
                "1",
                "--threads",
                "2",
            ],
            dir.path(),
        );
        let rows = stats(&dir.path().join("stats.csv"));
        assert!(
            rows[0].errors >= 50 && rows[0].shots < 100_000_000,
            "{:?}",
            counts(&rows)
        );
    }
}

#[test]
fn sigterm_stops_a_sweep_after_its_round_and_leaves_no_partial_file() {
    let (dir, circuit) = setup("color_xyz_d3_r3.stim", "d=3.stim");
    let resume = dir.path().join("resume.csv");
    let child = common::spawn_qec_sim(
        &[
            "sweep",
            "--circuits",
            circuit.to_str().unwrap(),
            "--max-shots",
            "1e12",
            "--threads",
            "1",
            "--seed",
            "3",
            "--save-resume",
            "resume.csv",
            "--out",
            "o2.csv",
        ],
        dir.path(),
    );
    let (status, err) = common::signal_child(child, "TERM", || {
        std::fs::read_to_string(&resume).map_or(0, |t| t.lines().count()) >= 3
    });
    assert!(!status.success());
    assert!(
        err.contains("finished rounds are saved in resume.csv; run the same command again"),
        "{err}"
    );
    assert!(common::hidden_files(dir.path()).is_empty());
    assert!(!dir.path().join("o2.csv").exists());
    // Every line of the resume file is complete.
    let text = std::fs::read_to_string(&resume).unwrap();
    assert!(!parse_stats(&text).unwrap().truncated_last_line);
}

#[test]
fn plots_are_drawn_with_fits_and_bad_keys_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    for p in ["0.004", "0.008"] {
        std::fs::copy(
            common::data_path("color_xyz_d3_r3.stim"),
            dir.path().join(format!("d=3,p={p}.stim")),
        )
        .unwrap();
    }
    ok(
        &[
            "sweep",
            "--circuits",
            "d=3,p=0.004.stim",
            "d=3,p=0.008.stim",
            "--max-shots",
            "200000",
            "--seed",
            "1",
        ],
        dir.path(),
    );
    let out = ok(&["plot", "stats.csv", "-o", "plot.svg"], dir.path());
    let svg = std::fs::read_to_string(dir.path().join("plot.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("d=3 (postselect)"),
        "{}",
        &svg[..200]
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("d=3 (postselect): error rate ~"));
    ok(&["plot", "stats.csv", "-o", "plot.png"], dir.path());
    let png = std::fs::read(dir.path().join("plot.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let bad = run(
        &["plot", "stats.csv", "--x", "noise", "-o", "x.svg"],
        dir.path(),
    );
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("no statistics row has a numeric 'noise'")
    );
    let bad = run(&["plot", "stats.csv", "-o", "x.pdf"], dir.path());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("must end in .svg or .png"));
}

#[test]
fn lookup_and_flag_postselection_judge_flagged_color_code_circuits() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("circuits/color666_redundant_d3_r3_memory_x_cn20_p001.stim");
    std::fs::copy(&src, dir.path().join("d=3,p=0.001.stim")).unwrap();
    let base = [
        "sweep",
        "--circuits",
        "d=3,p=0.001.stim",
        "--max-shots",
        "100000",
        "--seed",
        "5",
    ];
    let mut rows = Vec::new();
    for extra in [
        &["--decoder", "postselect"][..],
        &["--decoder", "lookup"],
        &["--decoder", "lookup", "--postselect-flags"],
    ] {
        ok(
            &[&base[..], extra, &["--out", "s.csv"]].concat(),
            dir.path(),
        );
        rows.push(stats(&dir.path().join("s.csv")).remove(0));
    }
    let labels: Vec<&str> = rows.iter().map(|r| r.decoder.as_str()).collect();
    assert_eq!(
        labels,
        ["postselect", "lookup", "lookup+flag-postselection"]
    );
    // Postselecting on everything discards most; lookup keeps most shots; flag postselection
    // discards more than plain lookup (it adds the flags) but less than full postselection.
    assert!(
        rows[1].discards < rows[2].discards && rows[2].discards < rows[0].discards,
        "{rows:?}"
    );
    assert_ne!(rows[1].strong_id, rows[2].strong_id);
    let none = run(
        &[
            "sweep",
            "--circuits",
            "d=3,p=0.001.stim",
            "--postselect-flags",
            "--decoder",
            "lookup",
        ],
        dir.path(),
    );
    assert!(none.status.success());
    std::fs::copy(
        common::data_path("rep_code_d3_r3.stim"),
        dir.path().join("rep.stim"),
    )
    .unwrap();
    let no_flags = run(
        &["sweep", "--circuits", "rep.stim", "--postselect-flags"],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&no_flags.stderr).contains("no flag detectors"));
}

#[test]
fn generated_memory_tasks_form_a_grid_over_distance_and_p() {
    let dir = tempfile::tempdir().unwrap();
    ok(
        &[
            "sweep",
            "--task",
            "memory-z",
            "--distances",
            "3",
            "--p",
            "1e-3:4e-3:log2",
            "--max-shots",
            "20000",
            "--seed",
            "3",
        ],
        dir.path(),
    );
    let rows = stats(&dir.path().join("stats.csv"));
    let ps: Vec<f64> = rows
        .iter()
        .map(|r| r.json_metadata["p"].as_f64().unwrap())
        .collect();
    assert_eq!(ps, vec![0.001, 0.002, 0.004]);
    let meta = &rows[0].json_metadata;
    assert_eq!(
        (
            meta["task"].as_str(),
            meta["d"].as_u64(),
            meta["noise"].as_str()
        ),
        (Some("memory-z"), Some(3), Some("cn20"))
    );
    // More noise, more discards.
    assert!(rows[0].discards < rows[1].discards && rows[1].discards < rows[2].discards);
    let bad = run(
        &["sweep", "--task", "memory-x", "--distances", "4"],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--distance must be odd"));
}

#[test]
fn the_default_job_writes_stats_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    // The default job with fewer shots (its own default is 5e7 per stratum).
    let out = ok(
        &["sweep", "--max-shots", "20000", "--threads", "2"],
        dir.path(),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rebuilt from strata"), "{text}");
    assert!(dir.path().join("plot.svg").exists());
    let rows = stats(&dir.path().join("stats.csv"));
    let ds: std::collections::BTreeSet<u64> = rows
        .iter()
        .map(|r| r.json_metadata["d"].as_u64().unwrap())
        .collect();
    assert_eq!(ds.into_iter().collect::<Vec<_>>(), vec![3, 5]);
    assert!(rows
        .iter()
        .all(|r| r.json_metadata["method"] == "subset" && r.json_metadata["ch_model"] == "twirl"));
}
