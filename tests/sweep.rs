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
            vec![
                "sweep",
                "--task",
                "hadamard-prep",
                "--ch-model",
                "exact",
                "--distances",
                "4",
            ],
            "--distance must be odd",
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
        // Flags the chosen tasks would ignore (issue 14, item 10).
        (
            vec!["sweep", "--circuits", c, "--decoder", "hadamard-prep"],
            "scoring-tail detectors",
        ),
        (
            vec!["sweep", "--task", "hadamard-prep", "--layout", "standard"],
            "--layout standard cannot run the Hadamard measurement",
        ),
        (
            vec!["sweep", "--task", "memory-x", "--ch-model", "proxy"],
            "--ch-model applies to --task hadamard-prep",
        ),
        (
            vec!["sweep", "--task", "memory-z", "--stage", "growth"],
            "--stage applies to --task hadamard-prep",
        ),
        (
            vec!["sweep", "--circuits", c, "--start", "perfect"],
            "--start shapes generated tasks",
        ),
        (
            vec!["sweep", "--circuits", c, "--lookup-faults", "2"],
            "--lookup-faults applies to --decoder lookup",
        ),
        (
            vec!["sweep", "--task", "hadamard-prep", "--enumerate", "1"],
            "--enumerate applies to --method screened",
        ),
        (
            "sweep --task hadamard-prep --ch-model exact --method screened --enumerate 3"
                .split(' ')
                .collect(),
            "--enumerate takes 1 or 2",
        ),
        (
            vec!["sweep", "--circuits", c, "--p", "1e-3"],
            "--p shapes generated tasks",
        ),
        (
            vec!["sweep", "--task", "hadamard-prep", "--rounds", "3"],
            "--rounds does not apply",
        ),
        (
            vec!["sweep", "--task", "hadamard-prep", "--decoder", "lookup"],
            "not --decoder lookup",
        ),
        (
            vec![
                "sweep", "--task", "memory-x", "--p", "0.2", "--noise", "si1000",
            ],
            "clamp",
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
        // (clap adds a blank line and a pointer to --help after its own one-line errors)
        let lines = err
            .lines()
            .filter(|l| !(l.is_empty() || l.starts_with("warning") || l.contains("--help")))
            .count();
        assert_eq!(lines, 1, "{args:?}: {err}");
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
    // The default job (exact model) with fewer shots (its own default is 1e6 for the heaviest
    // stratum).
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
        .all(|r| r.json_metadata["method"] == "subset" && r.json_metadata["ch_model"] == "exact"));
}

/// `sweep --task hadamard-prep` by Monte Carlo at d = 3, p = 1e-3 with CH model `model`,
/// writing `out`.
fn prep_d3<'a>(model: &'a str, out: &'a str) -> [&'a str; 13] {
    [
        "sweep",
        "--task",
        "hadamard-prep",
        "--distances",
        "3",
        "--ch-model",
        model,
        "--p",
        "1e-3",
        "--method",
        "mc",
        "--out",
        out,
    ]
}

/// Acceptance by stage of hadamard-prep at d = 3, p = 1e-3 (proxy, 20000 shots, fixed seed):
/// the growing stage alone keeps the most, the checks from a perfect start fewer, the whole
/// protocol fewest (0.953 / 0.824 / 0.730 with 4e5 shots, seed 12, 2026-12-06, the depth3
/// rounds; binomial error here about 0.003); the rows say which stage they are.
#[test]
fn prep_stage_acceptances_are_ordered() {
    let dir = tempfile::tempdir().unwrap();
    let accept = |extra: &[&str], out: &str| -> f64 {
        let common = ["--max-shots", "20000", "--seed", "4", "--threads", "2"];
        ok(
            &[&prep_d3("proxy", out)[..], &common, extra].concat(),
            dir.path(),
        );
        let row = &stats(&dir.path().join(out))[0];
        for flag in extra.chunks(2) {
            assert_eq!(row.json_metadata[flag[0].trim_start_matches("--")], flag[1]);
        }
        1.0 - row.discards as f64 / row.shots as f64
    };
    let growth = accept(&["--stage", "growth"], "growth.csv");
    let perfect = accept(&["--start", "perfect"], "perfect.csv");
    let whole = accept(&[], "whole.csv");
    assert!(
        growth > perfect + 0.1 && perfect > whole + 0.06,
        "{growth} {perfect} {whole}"
    );
    assert!((whole - 0.730).abs() < 0.02, "{whole}");
}

/// The shipped protocol circuits through `--circuits` (issue 14, item 5): their scoring-tail
/// marks select the hadamard-prep decoder, and with the same seed the counts equal the built-in
/// task's exactly; plain postselection (asked for explicitly) also discards on the tail.
#[test]
fn shipped_prep_circuits_give_the_built_in_answer() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("circuits");
    for model in ["proxy", "twirl"] {
        let file = shipped.join(format!("hadamard_prep_d3_{model}_cn20_p001.stim"));
        let common = ["--max-shots", "40000", "--seed", "11", "--threads", "2"];
        let f = format!("file_{model}.csv");
        let b = format!("task_{model}.csv");
        ok(
            &[
                &["sweep", "--circuits", file.to_str().unwrap(), "--out", &f][..],
                &common,
            ]
            .concat(),
            dir.path(),
        );
        ok(&[&prep_d3(model, &b)[..], &common].concat(), dir.path());
        let (file_rows, task_rows) = (stats(&dir.path().join(&f)), stats(&dir.path().join(&b)));
        assert_eq!(file_rows[0].decoder, "hadamard-prep");
        assert_eq!(counts(&file_rows), counts(&task_rows), "{model}");
        assert!(file_rows[0].errors > 5, "{model}: {:?}", counts(&file_rows));
        assert_eq!(file_rows[0].custom_counts, task_rows[0].custom_counts);
    }
    // A file of the layout whose leaves are undone (more body detectors than the default's, the
    // same tail) is recognised as that layout's protocol.
    let undo = dir.path().join("undo.stim");
    ok(
        &[
            "gen",
            "-d",
            "3",
            "--task",
            "hadamard-prep",
            "--layout",
            "redundant-ghz",
            "--ch-model",
            "proxy",
            "--noise",
            "cn20",
            "--p",
            "0.001",
            "--out",
            undo.to_str().unwrap(),
        ],
        dir.path(),
    );
    let common = ["--max-shots", "40000", "--seed", "11", "--threads", "2"];
    ok(
        &[
            &[
                "sweep",
                "--circuits",
                undo.to_str().unwrap(),
                "--out",
                "fu.csv",
            ][..],
            &common,
        ]
        .concat(),
        dir.path(),
    );
    let task = prep_d3("proxy", "tu.csv");
    let with_layout = [&task[..], &["--layout", "redundant-ghz"], &common].concat();
    ok(&with_layout, dir.path());
    let (fu, tu) = (
        stats(&dir.path().join("fu.csv")),
        stats(&dir.path().join("tu.csv")),
    );
    assert_eq!(fu[0].decoder, "hadamard-prep");
    assert_eq!(counts(&fu), counts(&tu));
    assert_ne!(
        counts(&fu),
        counts(&stats(&dir.path().join("file_proxy.csv")))
    );
    // Asked for explicitly, postselection keeps the old meaning (with a warning) and discards
    // every shot whose tail sees an undetected error: far fewer errors per kept shot.
    let proxy = shipped.join("hadamard_prep_d3_proxy_cn20_p001.stim");
    let out = ok(
        &[
            "sweep",
            "--circuits",
            proxy.to_str().unwrap(),
            "--decoder",
            "postselect",
            "--max-shots",
            "40000",
            "--seed",
            "11",
            "--out",
            "post.csv",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("scoring tail"));
    let post = stats(&dir.path().join("post.csv"));
    let prep = stats(&dir.path().join("file_proxy.csv"));
    assert!(post[0].discards > prep[0].discards && post[0].errors < prep[0].errors);
}

/// The same task listed twice (a repeated path, a repeated p) is sampled once, with a warning
/// (issue 14, item 7): otherwise both copies draw the same random streams and `combine`
/// counts the same shots twice.
#[test]
fn duplicate_tasks_are_sampled_once() {
    let (dir, circuit) = setup("rep_code_d3_r3.stim", "d=3,p=0.01.stim");
    let c = circuit.to_str().unwrap();
    let out = ok(
        &[
            "sweep",
            "--circuits",
            c,
            c,
            "--max-shots",
            "1000",
            "--seed",
            "1",
            "--out",
            "twice.csv",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("listed more than once"));
    let rows = stats(&dir.path().join("twice.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].shots, 1000);
    let out = ok(
        &[
            "sweep",
            "--task",
            "memory-x",
            "--distances",
            "3,3",
            "--p",
            "1e-3,0.001",
            "--max-shots",
            "1000",
            "--out",
            "grid.csv",
        ],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--p lists 0.001 more than once"), "{err}");
    assert!(err.contains("listed more than once"), "{err}");
    assert_eq!(stats(&dir.path().join("grid.csv")).len(), 1);
}

/// Range values are rounded to the range's precision, so they combine with a run at the same
/// value given directly; ranges longer than 1000 values are refused (issue 14, item 6).
#[test]
fn p_ranges_give_clean_values() {
    let dir = tempfile::tempdir().unwrap();
    let args = |p: &'static str, out: &'static str| {
        vec![
            "sweep",
            "--task",
            "memory-x",
            "--distances",
            "3",
            "--p",
            p,
            "--max-shots",
            "1000",
            "--seed",
            "2",
            "--out",
            out,
        ]
    };
    ok(&args("1e-4:1e-3:1e-4", "range.csv"), dir.path());
    ok(&args("3e-4", "one.csv"), dir.path());
    let range = stats(&dir.path().join("range.csv"));
    let ps: Vec<f64> = range
        .iter()
        .map(|r| r.json_metadata["p"].as_f64().unwrap())
        .collect();
    assert_eq!(
        ps,
        vec![1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4, 7e-4, 8e-4, 9e-4, 1e-3]
    );
    let text = std::fs::read_to_string(dir.path().join("range.csv")).unwrap();
    assert!(!text.contains("0000000000"), "{text}");
    let one = stats(&dir.path().join("one.csv"));
    assert!(range.iter().any(|r| r.strong_id == one[0].strong_id));
    let long = run(&args("1e-4:0.5:1e-4", "long.csv"), dir.path());
    assert!(String::from_utf8_lossy(&long.stderr).contains("more than 1000 values"));
}

/// Statistics rows of a two-model grid (d x ch_model x p), written by hand.
fn two_model_stats() -> String {
    let mut text = String::from(
        "shots,errors,discards,seconds,decoder,strong_id,json_metadata,custom_counts\n",
    );
    let mut id = 0;
    for (d, base) in [(3, 40u64), (5, 4)] {
        for (model, factor) in [("twirl", 5u64), ("proxy", 1)] {
            for (p, scale) in [("0.001", 1u64), ("0.002", 4)] {
                id += 1;
                text.push_str(&format!(
                    "100000,{},1000,1.0,postselect,id{id},\"{{\"\"ch_model\"\":\"\"{model}\"\",\"\"d\"\":{d},\"\"p\"\":{p}}}\",\n",
                    base * factor * scale
                ));
            }
        }
    }
    text
}

/// Several group keys, unknown keys refused, every varying key in the legend (so the two
/// models never merge into one zig-zag curve), ticks within a decade, readable fits and the
/// discard panel named after its cause (issue 14, item 8).
#[test]
fn plots_separate_every_varying_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("grid.csv"), two_model_stats()).unwrap();
    let out = ok(&["plot", "grid.csv", "-o", "grid.svg"], dir.path());
    let fits = String::from_utf8_lossy(&out.stdout).to_string();
    // The table of the eight rows (and its header), then one fit per curve.
    assert_eq!(fits.lines().count(), 9 + 4, "{fits}");
    assert_eq!(
        fits.lines().filter(|l| l.contains("error rate ~")).count(),
        4
    );
    // d=3 twirl: 200 errors at 1e-3, 800 at 2e-3 per 99000 kept: 2 p^2 on 99000 kept.
    assert!(
        fits.contains("d=3 ch_model=twirl (postselect): error rate ~ 2020 p^2.00"),
        "{fits}"
    );
    let svg = std::fs::read_to_string(dir.path().join("grid.svg")).unwrap();
    for text in [
        "d=3 ch_model=proxy (postselect)",
        "d=5 ch_model=twirl (postselect)",
        "Discarded shots (any detector fired)",
        "\n2e-3\n",
        "\n9e-4\n",
    ] {
        assert!(svg.contains(text), "{text}");
    }
    assert!(!svg.contains("e0 p^"));
    ok(
        &["plot", "grid.csv", "--group", "ch_model,d", "-o", "g2.svg"],
        dir.path(),
    );
    let svg = std::fs::read_to_string(dir.path().join("g2.svg")).unwrap();
    assert!(svg.contains("ch_model=proxy d=5 (postselect)"));
    let bad = run(
        &["plot", "grid.csv", "--group", "d,chmodel", "-o", "x.svg"],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        !bad.status.success() && err.contains("no statistics row has 'chmodel'"),
        "{err}"
    );
}

/// Stim's memory_xyz d = 5 (rotating colours, p = 1e-3): clusters of fired detectors that
/// three faults explain are decoded by the fault-pair pre-decoder's three-fault search
/// (seed 1, 1e5 shots: 92 errors; 151 when only one or two faults were looked for, binomial
/// sd about 10 and 12).
#[test]
fn color_decoder_explains_three_fault_clusters_of_memory_xyz() {
    let (dir, circuit) = setup("color_xyz_d5_r5_p001_rotating.stim", "xyz.stim");
    let c = circuit.to_str().unwrap();
    ok(
        &[
            "sweep",
            "--circuits",
            c,
            "--decoder",
            "color",
            "--max-shots",
            "100000",
            "--max-errors",
            "1000000",
            "--threads",
            "1",
            "--seed",
            "1",
            "--out",
            "s.csv",
        ],
        dir.path(),
    );
    let row = stats(&dir.path().join("s.csv")).remove(0);
    assert_eq!((row.shots, row.discards), (100_000, 0));
    assert!(row.errors < 120, "{:?}", counts(&[row]));
}

#[test]
fn color_decoder_sweeps_improve_with_distance_and_gap_cuts_postselect() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "sweep",
        "--task",
        "memory-x",
        "--noise",
        "cn20",
        "--decoder",
        "color",
        "--p",
        "5e-4",
        "--max-shots",
        "60000",
        "--seed",
        "7",
    ];
    ok(
        &[&base[..], &["--distances", "3,5", "--out", "s.csv"]].concat(),
        dir.path(),
    );
    let rows = stats(&dir.path().join("s.csv"));
    let (d3, d5) = (&rows[0], &rows[1]);
    assert_eq!((d3.discards, d5.discards), (0, 0));
    // Below threshold: d = 5 fails at about half the rate of d = 3 (84 vs 41 expected).
    assert!(
        d5.errors as f64 * 1.3 < d3.errors as f64,
        "{:?}",
        counts(&rows)
    );
    // The gap histogram covers every shot; its E bins are the logical errors.
    for r in &rows {
        let sum = |prefix: char| -> u64 {
            r.custom_counts
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(_, v)| v)
                .sum()
        };
        assert_eq!(sum('C') + sum('E'), r.shots);
        assert_eq!(sum('E'), r.errors);
    }
    // A gap cut discards the least confident shots: fewer errors per kept shot, same histogram.
    ok(
        &[
            &base[..],
            &["--distances", "3", "--gap-cut", "10", "--out", "cut.csv"],
        ]
        .concat(),
        dir.path(),
    );
    let cut = stats(&dir.path().join("cut.csv")).remove(0);
    assert_eq!(cut.decoder, "color+gap-cut=10");
    assert_eq!(cut.custom_counts, d3.custom_counts);
    let below: u64 = d3
        .custom_counts
        .iter()
        .filter(|(k, _)| k[1..].parse::<f64>().is_ok_and(|g| g < 10.0))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(cut.discards, below);
    assert!(cut.discards > 0);
    // The discarded shots fail hundreds of times more often than the average shot (seed 7,
    // complementary gap: 28 of 90, against 72 of 60000; the colour gap caught 14 of 34).
    let discarded_errors = d3.errors - cut.errors;
    assert!(
        discarded_errors as f64 / cut.discards as f64 > 100.0 * d3.errors as f64 / d3.shots as f64,
        "{cut:?} vs {d3:?}"
    );
    let bad = run(
        &[
            "sweep",
            "--task",
            "memory-x",
            "--noise",
            "cn20",
            "--gap-cut",
            "3",
        ],
        dir.path(),
    );
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--gap-cut applies to --decoder color"));
    // Stim's own memory_xyz circuit has no colour coordinates: a one-line error naming D0.
    std::fs::copy(
        common::data_path("color_xyz_d3_r3.stim"),
        dir.path().join("xyz.stim"),
    )
    .unwrap();
    let bad = run(
        &["sweep", "--circuits", "xyz.stim", "--decoder", "color"],
        dir.path(),
    );
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(
        err.trim().lines().count() == 1 && err.contains("D0 has no 4th coordinate"),
        "{err}"
    );
}
