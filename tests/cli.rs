//! The `qec-sim` command end to end: formats, seeds and threads, observables, stdin, errors.

mod common;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn qec_sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(args)
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = qec_sim(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn circuit() -> String {
    common::data_path("surface_rotated_x_d3_r3.stim")
        .display()
        .to_string()
}

/// Decodes shot-major b8 data with `bits` bits per shot into rows of bools.
fn decode_b8(bytes: &[u8], bits: usize) -> Vec<Vec<bool>> {
    bytes
        .chunks(bits.div_ceil(8))
        .map(|shot| (0..bits).map(|i| shot[i / 8] >> (i % 8) & 1 == 1).collect())
        .collect()
}

fn decode_01(text: &[u8]) -> Vec<Vec<bool>> {
    String::from_utf8(text.to_vec())
        .unwrap()
        .lines()
        .map(|l| l.bytes().map(|b| b == b'1').collect())
        .collect()
}

#[test]
fn seeded_output_is_identical_for_any_thread_count() {
    let c = circuit();
    let run = |threads: &str| {
        ok(&[
            "detect",
            "--circuit",
            &c,
            "--shots",
            "50001",
            "--seed",
            "5",
            "--threads",
            threads,
            "--out-format",
            "b8",
        ])
    };
    let one = run("1");
    assert_eq!(one.len(), 50001 * 3, "24 detectors -> 3 bytes per shot");
    assert_eq!(run("2"), one);
    assert_eq!(run("3"), one);
    let other_seed = ok(&[
        "detect",
        "--circuit",
        &c,
        "--shots",
        "50001",
        "--seed",
        "6",
        "--out-format",
        "b8",
    ]);
    assert_ne!(other_seed, one);
}

#[test]
fn formats_agree_and_observables_can_be_appended_or_split() {
    let c = circuit();
    let dir = tempfile::tempdir().unwrap();
    let obs = dir.path().join("obs.b8");
    let base = ["detect", "--circuit", &c, "--shots", "1000", "--seed", "9"];
    let b8 = ok(&[
        &base[..],
        &[
            "--out-format",
            "b8",
            "--obs-out",
            obs.to_str().unwrap(),
            "--obs-out-format",
            "b8",
        ],
    ]
    .concat());
    let text = ok(&[&base[..], &["--out-format", "01", "--append-observables"]].concat());
    let dets = decode_b8(&b8, 24);
    let appended = decode_01(&text);
    let observables = decode_b8(&std::fs::read(&obs).unwrap(), 1);
    assert_eq!(appended.len(), 1000);
    for s in 0..1000 {
        assert_eq!(appended[s][..24], dets[s][..]);
        assert_eq!(appended[s][24], observables[s][0]);
    }
    assert!(
        dets.iter().flatten().any(|&b| b),
        "noise fires some detectors"
    );
}

#[test]
fn stim_underscore_flags_and_stdin_work() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(["sample", "--shots", "3", "--out_format", "01"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"X 0\nM 0 1 !1\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"101\n101\n101\n");
}

#[test]
fn sample_gives_fair_coins_for_random_measurements() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.stim");
    std::fs::write(&path, "H 0\nCX 0 1\nM 0 1\n").unwrap();
    let text = ok(&[
        "sample",
        "--circuit",
        path.to_str().unwrap(),
        "--shots",
        "4000",
        "--seed",
        "1",
    ]);
    let shots = decode_01(&text);
    let ones = shots.iter().filter(|s| s[0]).count() as f64;
    // Fair coin over 4000 shots: sd ~ 31.6; allow 5 sd. Bell pair: results always equal.
    assert!((ones - 2000.0).abs() < 160.0, "{ones}");
    assert!(shots.iter().all(|s| s[0] == s[1]));
}

#[test]
fn errors_are_one_line_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.stim");
    let out_path = dir.path().join("out.b8");
    // CH now runs on the exact engine; a random detector is still refused.
    std::fs::write(&bad, "H 0\nCH 0 1\nM 0\nDETECTOR rec[-1]\n").unwrap();
    let out = qec_sim(&[
        "detect",
        "--circuit",
        bad.to_str().unwrap(),
        "--out",
        out_path.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.stim:4: DETECTOR #0 (counting from 0) is not deterministic"),
        "{err}"
    );
    assert!(!Path::new(&out_path).exists());

    let missing = qec_sim(&["detect", "--circuit", "no/such/file.stim"]);
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.starts_with("error: cannot read circuit file no/such/file.stim"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);

    let zero_threads = qec_sim(&["detect", "--circuit", &circuit(), "--threads", "0"]);
    assert!(String::from_utf8_lossy(&zero_threads.stderr).contains("--threads must be at least 1"));

    let bad_format = qec_sim(&["detect", "--circuit", &circuit(), "--out-format", "ptb64"]);
    assert!(!bad_format.status.success());
}

#[test]
fn an_interrupted_detect_leaves_no_partial_file() {
    for signal in ["INT", "TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let c = circuit();
        // The output exists only as a hidden partial file until it is complete.
        let child = common::spawn_qec_sim(
            &[
                "detect",
                "--circuit",
                &c,
                "--shots",
                "1e10",
                "--out-format",
                "b8",
                "--out",
                "big.b8",
            ],
            dir.path(),
        );
        let (status, _) = common::signal_child(child, signal, || {
            common::hidden_files(dir.path())
                .iter()
                .any(|n| n.starts_with(".big.b8.partial-"))
        });
        assert_eq!(status.code(), Some(130), "SIG{signal}");
        assert!(common::hidden_files(dir.path()).is_empty(), "SIG{signal}");
        assert!(!dir.path().join("big.b8").exists());
    }
}

#[test]
fn absurd_thread_counts_are_refused_and_counts_take_scientific_notation() {
    for command in ["detect", "sample"] {
        let out = qec_sim(&[command, "--circuit", &circuit(), "--threads", "100000"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("--threads 100000 is too many: at most 1024"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let sci = ok(&[
        "detect",
        "--circuit",
        &circuit(),
        "--shots",
        "1e3",
        "--seed",
        "5",
    ]);
    let plain = ok(&[
        "detect",
        "--circuit",
        &circuit(),
        "--shots",
        "1000",
        "--seed",
        "5",
    ]);
    assert_eq!(sci, plain);
    let half = qec_sim(&["detect", "--circuit", &circuit(), "--shots", "1.5"]);
    assert!(!half.status.success());
    assert!(String::from_utf8_lossy(&half.stderr).contains("'1.5' is not a whole number"));
}

#[test]
fn a_closed_pipe_is_a_quiet_normal_end() {
    // `detect ... | head -1`: the reader goes away after one line.
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args(["detect", "--circuit", &circuit(), "--shots", "1e7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(!line.is_empty());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn generated_circuits_too_big_to_build_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.stim");
    let gen = qec_sim(&[
        "gen",
        "--task",
        "memory-x",
        "-d",
        "101",
        "--rounds",
        "10000",
        "--noise",
        "cn20",
        "--p",
        "1e-3",
        "-o",
        out.to_str().unwrap(),
    ]);
    let sweep = Command::new(env!("CARGO_BIN_EXE_qec-sim"))
        .args([
            "sweep",
            "--task",
            "memory-z",
            "--distances",
            "3,101",
            "--rounds",
            "10000",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    for result in [gen, sweep] {
        let err = String::from_utf8_lossy(&result.stderr);
        assert!(!result.status.success());
        assert!(err.contains("GB of memory (limit 2.1 GB"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

#[test]
fn devices_and_pipes_are_written_in_place_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    ok(&[
        "detect",
        "--circuit",
        &circuit(),
        "--shots",
        "100",
        "--out-format",
        "b8",
        "--out",
        fifo.to_str().unwrap(),
    ]);
    assert_eq!(reader.join().unwrap().len(), 300);
    let kind = std::fs::metadata(&fifo).unwrap().file_type();
    assert!(!kind.is_file(), "the FIFO was replaced by a regular file");
}

#[test]
fn a_full_disk_is_a_clear_error() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let out = qec_sim(&[
        "detect",
        "--circuit",
        &circuit(),
        "--shots",
        "100000",
        "--out",
        "/dev/full",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.starts_with("error: cannot write /dev/full"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn circuits_too_big_to_sample_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.stim");
    std::fs::write(
        &path,
        "REPEAT 1000000000 {\n    M 0\n    DETECTOR rec[-1]\n}\n",
    )
    .unwrap();
    for command in ["detect", "sample"] {
        let out = qec_sim(&[
            command,
            "--circuit",
            path.to_str().unwrap(),
            "--shots",
            "10",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            err.contains("would take") && err.contains("GB of memory"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1);
    }
}

#[test]
fn stim_result_formats_name_detectors_and_observables() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.stim");
    let text =
        "X_ERROR(1) 0\nM 0 1\nDETECTOR rec[-2]\nDETECTOR rec[-1]\nOBSERVABLE_INCLUDE(0) rec[-2]\n";
    std::fs::write(&path, text).unwrap();
    let c = path.to_str().unwrap();
    let detect = |format: &str, shots: &str| {
        ok(&[
            "detect",
            "--circuit",
            c,
            "--shots",
            shots,
            "--append-observables",
            "--out-format",
            format,
        ])
    };
    // Bits per shot: D0 = 1, D1 = 0, L0 = 1.
    assert_eq!(detect("dets", "3"), b"shot D0 L0\n".repeat(3));
    assert_eq!(detect("hits", "2"), b"0,2\n".repeat(2));
    assert_eq!(detect("r8", "2"), [0u8, 1, 0].repeat(2));
    let ptb = detect("ptb64", "64");
    assert_eq!(ptb.len(), 3 * 8);
    assert_eq!(&ptb[..8], &[255; 8]);
    assert_eq!(&ptb[8..16], &[0; 8]);
    let out = qec_sim(&[
        "detect",
        "--circuit",
        c,
        "--shots",
        "100",
        "--out-format",
        "ptb64",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("multiple of 64"));
    let sample = ok(&[
        "sample",
        "--circuit",
        c,
        "--shots",
        "2",
        "--out-format",
        "dets",
    ]);
    assert_eq!(sample, b"shot M0\n".repeat(2));
}

/// `--sweep` against tests/data/sweep (made by tests/data/make_sweep_fixtures.py, stim 1.15.0):
/// measurements equal Stim's with each shot's sweep bits, detection events and observables
/// equal Stim's `m2d --sweep` of those measurements, bit for bit.
#[test]
fn sweep_data_controls_gates_as_in_stim() {
    let path = |name: &str| {
        common::data_path(&format!("sweep/{name}"))
            .display()
            .to_string()
    };
    let (c, sweep) = (path("circuit.stim"), path("sweep.01"));
    let expected = |name: &str| std::fs::read(path(name)).unwrap();
    for threads in ["1", "2"] {
        let common = ["--circuit", &c, "--sweep", &sweep, "--shots", "100"];
        let common = [&common[..], &["--threads", threads, "--seed", "3"]].concat();
        let sample = ok(&[&["sample"], &common[..]].concat());
        assert_eq!(sample, expected("sample.01"));
        let detect = ok(&[&["detect", "--append_observables"], &common[..]].concat());
        assert_eq!(detect, expected("detect.01"));
    }
    // Without sweep data every sweep bit is 0: the first shot's bits 0101 differ.
    let plain = ok(&["sample", "--circuit", &c, "--shots", "1"]);
    assert_eq!(plain, b"000000\n");
}

/// Shot i reads line i across batches (a batch holds at most 8192 shots): a one-qubit circuit
/// measures its sweep bit.
#[test]
fn sweep_lines_follow_shots_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.stim");
    std::fs::write(&c, "R 0\nCX sweep[0] 0\nM 0\n").unwrap();
    let shots = 20_000u64;
    let lines: String = (0..shots)
        .map(|i| {
            if (i * i / 7 + i) % 3 == 0 {
                "1\n"
            } else {
                "0\n"
            }
        })
        .collect();
    let s = dir.path().join("s.01");
    std::fs::write(&s, &lines).unwrap();
    let (c, s) = (c.to_str().unwrap(), s.to_str().unwrap());
    let out = ok(&[
        "sample",
        "--circuit",
        c,
        "--sweep",
        s,
        "--shots",
        "20000",
        "--threads",
        "2",
    ]);
    assert_eq!(String::from_utf8(out).unwrap(), lines);
}

#[test]
fn bad_sweep_data_is_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.stim");
    std::fs::write(&c, "R 0 1\nCX sweep[1] 0\nM 0\n").unwrap();
    let s = dir.path().join("s.01");
    let c = c.to_str().unwrap();
    let run = |data: &str, shots: &str| {
        std::fs::write(&s, data).unwrap();
        let out = qec_sim(&[
            "sample",
            "--circuit",
            c,
            "--sweep",
            s.to_str().unwrap(),
            "--shots",
            shots,
        ]);
        assert!(!out.status.success());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        err
    };
    assert!(run("01\n10\n", "3").contains("s.01:3: sweep data ends after 2 shot(s)"));
    assert!(run("01\n1z\n", "2").contains("s.01:2:2: expected '0' or '1'"));
    assert!(run("01\n1\n", "2").contains("s.01:2: 1 sweep bit(s) on this line"));
    // The exact engine refuses sweep data.
    let t = dir.path().join("t.stim");
    std::fs::write(&t, "H 0\nT 0\nCX sweep[0] 1\nM 0 1\n").unwrap();
    std::fs::write(&s, "1\n").unwrap();
    let out = qec_sim(&[
        "sample",
        "--circuit",
        t.to_str().unwrap(),
        "--sweep",
        s.to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("t.stim: sweep data (--sweep) is not supported"),
        "{err}"
    );
}

/// FNV-1a, 64 bits: a fingerprint of a whole output.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// The frame sampler's output for a seed is pinned: these fingerprints were taken from the
/// binary before the SIMD kernels, the new b8 writer and the buffer pool (issue 17), and any
/// speed work must keep them (detection events in b8 and 01, observables appended, and
/// measurements, whose frames are randomised).
#[test]
fn seeded_frame_output_is_pinned() {
    let path = |name: &str| common::data_path(name).display().to_string();
    let cases: [(&[&str], &str, u64); 4] = [
        (
            &["detect", "--out-format", "b8", "--threads", "2"],
            "color_xyz_d5_r5_p001.stim",
            0x7e73_4342_2474_6caf,
        ),
        (
            &["detect", "--out-format", "b8", "--append-observables"],
            "surface_rotated_z_d5_r5.stim",
            0x1acf_a3f0_7e74_006a,
        ),
        (
            &["detect", "--out-format", "01", "--shots", "3000"],
            "color_xyz_d5_r5_p001.stim",
            0xcad7_3576_ce45_c6c3,
        ),
        (
            &["sample", "--out-format", "b8", "--threads", "2"],
            "surface_rotated_x_d3_r3.stim",
            0x83cb_edb1_6ac5_a5b3,
        ),
    ];
    for (args, circuit, want) in cases {
        let c = path(circuit);
        let mut all = args.to_vec();
        all.extend(["--circuit", &c, "--seed", "11"]);
        if !args.contains(&"--shots") {
            all.extend(["--shots", "30000"]);
        }
        if !args.contains(&"--threads") {
            all.extend(["--threads", "1"]);
        }
        assert_eq!(fnv1a(&ok(&all)), want, "{all:?}");
    }
}
