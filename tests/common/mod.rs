//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod single_faults;

use proptest::prelude::*;
use qec_sim::circuit::{parse_circuit, Circuit};
use qec_sim::frame::{FrameProgram, FrameSimulator, Mode};
use qec_sim::gates::{GateKind, GATES};
use qec_sim::sampler::batch_rng;
use qec_sim::tableau::{Outcomes, TableauSimulator};
use std::path::PathBuf;

pub fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn read_data(name: &str) -> String {
    std::fs::read_to_string(data_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn load_circuit(name: &str) -> Circuit {
    parse_circuit(&read_data(name)).unwrap_or_else(|e| panic!("{name}:{e}"))
}

/// The Stim-made fixtures under tests/data (see tests/data/README.md).
pub const FIXTURES: &[&str] = &[
    "rep_code_d3_r3",
    "surface_rotated_x_d3_r3",
    "surface_unrotated_z_d3_r2",
    "color_xyz_d3_r3",
    "misc_gates",
    "mpp_spp_steane",
    "stim_115_gates",
];

/// Counts how often each row of the frame simulator's output is 1 over `batches` batches of
/// `64 * words` shots (detectors then observables in Detect mode; measurement flips in Measure mode).
pub fn row_counts(
    circuit: &Circuit,
    mode: Mode,
    words: usize,
    batches: u64,
    seed: u64,
) -> Vec<u64> {
    let program = FrameProgram::compile(circuit).expect("Clifford circuit");
    program_row_counts(&program, mode, words, batches, seed)
}

/// [`row_counts`] for an already compiled program (e.g. one compiled with the CH twirl model).
pub fn program_row_counts(
    program: &FrameProgram,
    mode: Mode,
    words: usize,
    batches: u64,
    seed: u64,
) -> Vec<u64> {
    let mut sim = FrameSimulator::new(program, words, mode);
    let mut counts = Vec::new();
    for b in 0..batches {
        let mut rng = batch_rng(seed, b);
        sim.run(program, &mut rng);
        let table = match mode {
            Mode::Detect => sim.results(),
            Mode::Measure => sim.record(),
        };
        counts.resize(table.rows(), 0);
        for (r, c) in counts.iter_mut().enumerate() {
            *c += table
                .row(r)
                .iter()
                .map(|w| w.count_ones() as u64)
                .sum::<u64>();
        }
    }
    counts
}

/// Rows of a `kind,index,rate,shots` file written by tests/data/make_fixtures.py.
pub fn stim_rates(name: &str) -> Vec<(String, usize, f64, u64)> {
    read_data(&format!("{name}.rates.csv"))
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            (
                f[0].to_string(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

/// Two binomial rate estimates agree within `z` standard deviations of their difference
/// (variance taken at the pooled rate, floored at one event so that zero rates still get a scale).
pub fn rates_agree(r1: f64, n1: u64, r2: f64, n2: u64, z: f64) -> bool {
    let pooled = ((r1 * n1 as f64 + r2 * n2 as f64) / (n1 + n2) as f64).max(1.0 / (n1 + n2) as f64);
    let sd = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    (r1 - r2).abs() <= z * sd
}

pub fn gates_of(kind: fn(GateKind) -> bool) -> Vec<&'static str> {
    GATES
        .iter()
        .filter(|g| kind(g.kind))
        .map(|g| g.name)
        .collect()
}

/// One random operation: (kind, gate choice, first qubit, second qubit offset, inverted).
pub type RandomOp = (u8, usize, u32, u32, bool);

/// Circuit text for random operations on `n` qubits, ending with a measurement of every qubit.
pub fn circuit_text(n: u32, ops: &[RandomOp], final_bases: &[usize]) -> String {
    let c1 = gates_of(|k| k == GateKind::Clifford1);
    let c2 = gates_of(|k| k == GateKind::Clifford2);
    let resets = ["R", "RX", "RY"];
    let measures = ["M", "MX", "MY"];
    let measure_resets = ["MR", "MRX", "MRY"];
    let feedback = ["CX", "CY", "CZ"];
    let mut text = String::new();
    let mut measured = false;
    for &(kind, choice, a, off, inv) in ops {
        let a = a % n;
        let b = (a + 1 + off % (n - 1)) % n;
        let bang = if inv { "!" } else { "" };
        // A one- or two-factor Pauli product on a (and b), optionally negated: `!X3*Z1`.
        let product = || {
            let letter = |k: usize| ["X", "Y", "Z"][k % 3];
            match choice / 9 % 2 {
                0 => format!("{bang}{}{a}", letter(choice)),
                _ => format!("{bang}{}{a}*{}{b}", letter(choice), letter(choice / 3)),
            }
        };
        let line = match kind % 8 {
            0 | 1 => format!("{} {a}", c1[choice % c1.len()]),
            2 => format!("{} {a} {b}", c2[choice % c2.len()]),
            3 => format!("{} {a}", resets[choice % 3]),
            4 => {
                measured = true;
                format!("{} {bang}{a}", measures[choice % 3])
            }
            5 if measured => format!("{} rec[-1] {a}", feedback[choice % 3]),
            5 => {
                measured = true;
                format!("{} {a}", measure_resets[choice % 3])
            }
            6 => format!("{} {}", ["SPP", "SPP_DAG"][choice / 18 % 2], product()),
            _ => {
                measured = true;
                format!("MPP {}", product())
            }
        };
        text.push_str(&line);
        text.push('\n');
    }
    for (q, &basis) in final_bases.iter().enumerate().take(n as usize) {
        text.push_str(&format!("{} {q}\n", measures[basis % 3]));
    }
    text
}

/// The tableau's symbolic result of every measurement: (value, sorted random-variable indices).
pub fn tableau_results(circuit: &Circuit) -> Vec<(bool, Vec<u64>)> {
    let stats = circuit.stats();
    let total = stats.num_measurements as usize;
    let mut sim = TableauSimulator::new(stats.num_qubits as usize, Outcomes::Zero)
        .unwrap()
        .with_symbolic_signs(total.max(1));
    sim.run(circuit).unwrap();
    (0..total)
        .map(|m| {
            // `vars` lists the indices of the random outcomes the result depends on.
            let (value, vars) = sim.lookback((total - m) as u32);
            (value, vars.to_vec())
        })
        .collect()
}

/// Random operations for [`circuit_text`].
pub fn op_strategy() -> impl Strategy<Value = RandomOp> {
    (0u8..8, 0usize..64, 0u32..64, 0u32..64, any::<bool>())
}

/// Starts `qec-sim` with SIGINT, SIGTERM and SIGHUP at their defaults (a test harness run from
/// a script may inherit them ignored, and qec-sim keeps ignored signals ignored).
pub fn spawn_qec_sim(args: &[&str], dir: &std::path::Path) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qec-sim"));
    command
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
                libc::signal(sig, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    command.spawn().unwrap()
}

/// Waits (up to 60 s) until `ready` holds, sends `signal` (e.g. "TERM") to the child and waits
/// (up to 60 s) for it to exit; returns its exit status and standard error. A child that does
/// not stop is killed and the test fails.
pub fn signal_child(
    mut child: std::process::Child,
    signal: &str,
    ready: impl Fn() -> bool,
) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = child.kill();
            panic!("the child never became ready for the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let sent = std::process::Command::new("kill")
        .args(["-s", signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("SIG{signal} did not stop the child");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status, err)
}

/// Hidden files (`.NAME.partial-PID`) in a directory.
pub fn hidden_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect()
}
