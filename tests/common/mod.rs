//! Helpers shared by the integration tests.
#![allow(dead_code)]

use qec_sim::circuit::{parse_circuit, Circuit};
use qec_sim::frame::{FrameProgram, FrameSimulator, Mode};
use qec_sim::sampler::batch_rng;
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
    let mut sim = FrameSimulator::new(&program, words, mode);
    let mut counts = Vec::new();
    for b in 0..batches {
        let mut rng = batch_rng(seed, b);
        sim.run(&program, &mut rng);
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
