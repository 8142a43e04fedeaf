//! `qec-sim estimate` end to end on the synthetic statistics tests/data/hprep_synthetic.csv
//! (made by tests/data/make_hprep_synthetic.py; NOT simulation output): reports, fits files,
//! JSON, and one-line errors for bad input.

mod common;
use std::path::Path;
use std::process::{Command, Output};

fn qec_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stats() -> String {
    common::data_path("hprep_synthetic.csv")
        .display()
        .to_string()
}

/// Fast settings: loose targets (the distillation search stays small).
const FAST: [&str; 4] = ["--targets", "1e-7,1e-6", "--target", "1e-6"];

/// Runs a command that must fail; returns its one-line error.
fn fails(args: &[&str]) -> String {
    let out = qec_sim(args);
    assert!(!out.status.success(), "{args:?} succeeded");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("warning")).collect();
    assert_eq!(lines.len(), 1, "{args:?}: not one line: {err}");
    lines[0].to_string()
}

fn ok(args: &[&str]) -> Output {
    let out = qec_sim(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn assert_report_has(md: &str, needles: &[&str]) {
    for needle in needles {
        assert!(md.contains(needle), "report lacks '{needle}'");
    }
}

#[test]
fn report_files_are_written_and_sane() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("synthetic");
    let s = stats();
    let mut args = vec![
        "estimate",
        "--stats",
        &s,
        "--p",
        "1e-4,1e-3",
        "--report",
        base.to_str().unwrap(),
        "--hardware",
        "25,500",
        "--logical-qubits",
        "100",
        "--t-count",
        "1e3",
        "--error-budget",
        "0.01",
    ];
    args.extend(FAST);
    ok(&args);
    let md = std::fs::read_to_string(base.with_extension("md")).unwrap();
    assert_report_has(
        &md,
        &[
            "## Summary at target 1.00e-6",
            "bottom-up \\|H>, level 1 (ours, simulated; in the colour code)",
            "bottom-up \\|H>, level 1, moved into the surface code (ours + move model)",
            "Litinski 15-to-1, one level",
            "cultivation (quoted, not simulated)",
            "One surface-code cycle = 8 physical time steps",
            "code cycle = (8 - 1) gate steps of 25 ns + 1 measurement step of 500 ns",
            "hprep_synthetic.csv` (sha256 ",
            "| 3 | 4 | 0.0001..0.001 |",
            "## Application",
            "## Assumptions and formulas",
        ],
    );
    let csv = std::fs::read_to_string(base.with_extension("csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    // 2 p x (targets 1e-7, 1e-6, and eps_T = 0.01 / 2e3 = 5e-6) x 6 schemes (ours in the
    // colour code and moved, Litinski's two, the textbook, cultivation).
    assert_eq!(rows.len(), 2 * 3 * 6);
    let ours = rows
        .iter()
        .find(|r| &r[0] == "1e-4" && &r[1] == "1e-6" && &r[2] == "bottom-up-L1")
        .unwrap();
    assert!(ours[10].parse::<f64>().unwrap() > 0.0, "{ours:?}");
    let svg = std::fs::read_to_string(base.with_extension("svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Space-time per T state"));
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn fits_file_round_trip_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let fits = dir.path().join("fits.json");
    let s = stats();
    ok(&[
        "estimate",
        "fit",
        "--stats",
        &s,
        "-o",
        fits.to_str().unwrap(),
    ]);
    let mut args = vec!["estimate", "--fits", fits.to_str().unwrap(), "--json"];
    args.extend(FAST);
    let out = ok(&args);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fits"]["fits"].as_array().unwrap().len(), 3);
    assert!(v["fits"]["source"]
        .as_str()
        .unwrap()
        .contains("estimate fit"));
    assert_eq!(v["comparisons"].as_array().unwrap().len(), 2);
    let e = fails(&[
        "estimate",
        "--fits",
        fits.to_str().unwrap(),
        "--distances",
        "3,9",
    ]);
    assert!(e.contains("no fit for d = 9"), "{e}");
}

#[test]
fn extrapolation_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("x");
    let s = stats();
    let mut args = vec![
        "estimate",
        "--stats",
        &s,
        "--p",
        "5e-5",
        "--report",
        base.to_str().unwrap(),
    ];
    args.extend(FAST);
    let out = ok(&args);
    assert!(String::from_utf8_lossy(&out.stderr).contains("EXTRAPOLATED"));
    let md = std::fs::read_to_string(base.with_extension("md")).unwrap();
    assert!(md.contains("## Flags") && md.contains("EXTRAPOLATED: p = 0.00005"));
}

#[test]
fn progress_lines_reach_a_log_that_is_not_a_terminal() {
    let s = stats();
    let out = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(["estimate", "--stats", &s, "--p", "1e-4"])
        .args(FAST)
        .env("QEC_SIM_PROGRESS_SECONDS", "0")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("progress: estimate: 1 of 2 done (p = 1e-4, target 1e-6)")
            && err.contains("progress: estimate: 2 of 2 done"),
        "{err}"
    );
}

#[test]
fn bad_input_gives_one_line_errors() {
    let s = stats();
    let e = fails(&["estimate", "--stats", &s, "--target", "1"]);
    assert!(e.contains("must lie in (0, 1)"), "{e}");
    let e = fails(&["estimate", "--stats", &s, "--target=-1e-3"]);
    assert!(e.contains("must lie in (0, 1)"), "{e}");
    let e = fails(&["estimate", "--stats", &s, "--p", "0.7"]);
    assert!(e.contains("outside (0, 0.5]"), "{e}");
    let e = fails(&["estimate", "--stats", &s, "--p", "5e-3"]);
    assert!(
        e.contains("outside the fitted range") && e.contains("d=3 at p 0.0001..0.001"),
        "{e}"
    );
    let e = fails(&["estimate", "--stats", &s, "--p", "1e-6"]);
    assert!(e.contains("statistics at p = 0.000001 are missing"), "{e}");
    let e = fails(&["estimate", "--stats", &s, "--distances", "3,9,11"]);
    assert!(e.contains("no hadamard-prep data for d = 9, 11"), "{e}");
    let e = fails(&["estimate", "--stats", &s, "--levels", "3"]);
    assert!(e.contains("--levels"), "{e}");
    let e = fails(&["estimate", "--stats", &s, "--t-count", "100"]);
    assert!(e.contains("--logical-qubits"), "{e}");
    let e = fails(&["estimate", "--fits", "/nonexistent/fits.json"]);
    assert!(
        e.contains("no built-in fits") && e.contains("estimate fit"),
        "{e}"
    );
    let e = fails(&["estimate", "--stats", "/nonexistent/stats.csv"]);
    assert!(e.contains("cannot read statistics file"), "{e}");
}

#[test]
fn malformed_and_unsuitable_stats_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let good = std::fs::read_to_string(stats()).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    lines[3] = "  12,x,0,0.1,d,id,{},";
    let bad = write("bad.csv", &(lines.join("\n") + "\n"));
    let e = fails(&["estimate", "--stats", &bad]);
    assert!(e.contains("bad.csv:4:") && e.contains("errors 'x'"), "{e}");
    let subset = write(
        "subset.csv",
        &good.replace(r#"""method"":""mc"""#, r#"""method"":""subset"""#),
    );
    // Subset rows go through the stratified reconstruction, which needs their strata.
    let e = fails(&["estimate", "--stats", &subset]);
    assert!(e.contains("subset") && e.contains("\"k\""), "{e}");
    let memory = write(
        "memory.csv",
        &format!(
            "{}\n{}\n",
            lines[0],
            r#"      1000,         5,         0,    1.00,lookup,m1,"{""task"":""memory-x"",""d"":3,""p"":0.001}","#
        ),
    );
    let e = fails(&["estimate", "--stats", &memory]);
    assert!(e.contains("no hadamard-prep rows"), "{e}");
}

#[test]
fn the_synthetic_data_is_what_its_script_says() {
    // Guard against editing the data without rerunning the script: its first row.
    let text = std::fs::read_to_string(stats()).unwrap();
    let first = text.lines().nth(1).unwrap();
    let cells: Vec<&str> = first.split(',').map(str::trim).collect();
    assert_eq!(&cells[..3], ["100000000", "29", "2955447"]);
    // 1e8 (1 - exp(-300e-4)) = 2955447.3, and round(kept * 30 * 1e-8) = 29.
    let discards = (1e8 * (1.0 - (-300.0f64 * 1e-4).exp())).round();
    assert_eq!(discards, 2955447.0);
    assert_eq!(((1e8 - discards) * 30.0 * 1e-8).round(), 29.0);
    assert!(Path::new(&common::data_path("make_hprep_synthetic.py")).exists());
}

/// `estimate fit` needs -o (the shipped fits are replaced only when named), creates no
/// directories, says what it wrote, and shows the FIT REJECTED warnings that `estimate` prints
/// (issue 14, item 9).
#[test]
fn fit_needs_an_output_and_shows_rejected_fits() {
    let dir = tempfile::tempdir().unwrap();
    let s = stats();
    let e = fails(&["estimate", "fit", "--stats", &s]);
    assert!(e.contains("needs -o FILE"), "{e}");
    let nested = dir.path().join("no/such/dir/fits.json");
    fails(&[
        "estimate",
        "fit",
        "--stats",
        &s,
        "-o",
        nested.to_str().unwrap(),
    ]);
    assert!(!dir.path().join("no").exists());
    // d = 3 at p = 1e-3 with ten times the errors: no A p^2 law fits.
    let text = std::fs::read_to_string(&s)
        .unwrap()
        .replacen("      2222,", "     22220,", 1);
    let bent = dir.path().join("bent.csv");
    std::fs::write(&bent, text).unwrap();
    let fits = dir.path().join("fits.json");
    let out = ok(&[
        "estimate",
        "fit",
        "--stats",
        bent.to_str().unwrap(),
        "-o",
        fits.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("FIT REJECTED: d = 3"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("wrote {}", fits.display())),
        "{stdout}"
    );
    assert!(fits.exists());
}

#[test]
fn sampled_cultivation_rows_enter_the_comparison_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let header = qec_sim::sweep::CSV_HEADER;
    let good = dir.path().join("cult.csv");
    // Two rows of one task (merged): 1e6 shots, half discarded, 1 error in 5e5 kept.
    std::fs::write(
        &good,
        format!(
            "{header}\n500000,1,250000,1.0,exact,abc,\"{{\"\"p\"\":0.001,\"\"qubits\"\":463,\"\"rounds\"\":20,\"\"d1\"\":5,\"\"d2\"\":15}}\",\n500000,0,250000,1.0,exact,abc,\"{{\"\"p\"\":0.001,\"\"qubits\"\":463,\"\"rounds\"\":20,\"\"d1\"\":5,\"\"d2\"\":15}}\",\n"
        ),
    )
    .unwrap();
    let base = dir.path().join("r");
    let s = stats();
    let mut args = vec![
        "estimate",
        "--stats",
        &s,
        "--p",
        "1e-3",
        "--cultivation-stats",
        good.to_str().unwrap(),
        "--report",
        base.to_str().unwrap(),
    ];
    args.extend(["--targets", "1e-6,1e-5", "--target", "1e-5"]);
    ok(&args);
    let md = std::fs::read_to_string(base.with_extension("md")).unwrap();
    assert_report_has(
        &md,
        &[
            "cultivation (sampled exactly, --cultivation-stats)",
            "ASSUMPTION T ~ 2 x S-proxy",
            "## Moving the state into the surface code (OUR MODEL)",
            "1 task(s) from",
        ],
    );
    let csv = std::fs::read_to_string(base.with_extension("csv")).unwrap();
    // 2e-6 per kept shot, acceptance 1/2: 40 rounds, 463 x 40 qubit-rounds.
    let row = csv
        .lines()
        .find(|l| l.starts_with("1e-3,1e-5,cultivation-sampled"))
        .unwrap();
    assert!(
        row.contains("d1=5 d2=15") && row.contains("1.852e4"),
        "{row}"
    );
    // Bad input: one line naming the file (and line).
    let missing = dir.path().join("none.csv");
    let e = fails(&["estimate", "--cultivation-stats", missing.to_str().unwrap()]);
    assert!(
        e.contains("cannot read cultivation statistics file") && e.contains("none.csv"),
        "{e}"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}\n10,0,0,1.0,exact,x,\"{{\"\"p\"\":0.001,\"\"rounds\"\":20}}\",\n"),
    )
    .unwrap();
    let e = fails(&["estimate", "--cultivation-stats", bad.to_str().unwrap()]);
    assert!(e.contains("bad.csv:2:") && e.contains("\"qubits\""), "{e}");
    let cols = dir.path().join("cols.csv");
    std::fs::write(&cols, "p,qubits,rounds\n0.001,463,20\n").unwrap();
    let e = fails(&["estimate", "--cultivation-stats", cols.to_str().unwrap()]);
    assert!(e.contains("cols.csv:1") && e.contains("header"), "{e}");
}

/// The move into the surface code adds the colour code's memory error over the merge: where
/// the moved state would miss the target (p = 1e-4, target 1e-10: d = 7's memory error per
/// round alone is ~5e-8 in the shipped fits), the report says so and gives no ratio.
#[test]
fn the_moved_rows_count_the_move_and_a_colour_choice_that_misses_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("r");
    let s = "estimates/data/hadamard_prep_cn20.csv";
    let x = "estimates/data/color_memory_x_cn20.csv";
    let z = "estimates/data/color_memory_z_cn20.csv";
    let args = [
        "estimate",
        "--stats",
        s,
        x,
        z,
        "--ch-model",
        "exact",
        "--p",
        "1e-4",
        "--target",
        "1e-8",
        "--targets",
        "1e-8",
        "--report",
        base.to_str().unwrap(),
    ];
    ok(&args);
    let md = std::fs::read_to_string(base.with_extension("md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| 0.0001 | bottom-up-L1 |"))
        .unwrap_or_else(|| panic!("no move row in\n{md}"));
    assert!(row.contains("(above the target)"), "{row}");
    // The moved row, which counts the move, reaches no state at 1e-8 (the d = 7 state does in
    // the colour code); at 1e-6 the d = 7 state does, once moved, where the d = 5 one (the
    // colour-code choice) does not.
    assert!(md.contains("| bottom-up \\|H>, level 1, moved into the surface code (ours + move model) | not reachable: the states that reach it in the colour code miss it once the move's error is added |"), "{md}");
    let base = dir.path().join("r6");
    let mut args6 = args;
    args6[10] = "1e-6";
    args6[12] = "1e-6";
    args6[14] = base.to_str().unwrap();
    ok(&args6);
    let md = std::fs::read_to_string(base.with_extension("md")).unwrap();
    let row = |prefix: &str| {
        md.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{md}"))
            .to_string()
    };
    assert!(row("| 0.0001 | bottom-up-L1 | 5 |").contains("(above the target)"));
    assert!(!row("| 0.0001 | bottom-up-L1-moved | 7 |").contains("above"));
    assert!(row("| bottom-up \\|H>, level 1, moved").contains("| d=7 "));
}
