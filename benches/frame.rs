//! Criterion benchmarks of the frame sampler's hot paths, on Stim-made fixtures from
//! tests/data and on circuits/ (see benches/compare_stim.sh for the side-by-side with Stim).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use qec_sim::circuit::parse_circuit;
use qec_sim::frame::{FrameProgram, FrameSimulator, Mode};
use qec_sim::output::{write_shots, BitNames, Format};
use qec_sim::sampler::batch_rng;
use std::hint::black_box;

fn circuits() -> Vec<(String, String)> {
    let root = env!("CARGO_MANIFEST_DIR");
    [
        "tests/data/color_xyz_d3_r3.stim",
        "tests/data/surface_rotated_x_d3_r3.stim",
        "circuits/color_xyz_d5_r5_p001.stim",
    ]
    .iter()
    .filter_map(|p| {
        let text = std::fs::read_to_string(format!("{root}/{p}")).ok()?;
        Some((p.rsplit('/').next().unwrap().to_string(), text))
    })
    .collect()
}

fn detect_batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("detect_batch");
    for (name, text) in circuits() {
        let circuit = parse_circuit(&text).unwrap();
        let program = FrameProgram::compile(&circuit).unwrap();
        for words in [16usize, 64] {
            let mut sim = FrameSimulator::new(&program, words, Mode::Detect);
            group.throughput(Throughput::Elements(64 * words as u64));
            group.bench_with_input(
                BenchmarkId::new(name.clone(), words * 64),
                &words,
                |b, _| {
                    let mut i = 0;
                    b.iter(|| {
                        let mut rng = batch_rng(1, i);
                        i += 1;
                        sim.run(&program, &mut rng);
                        black_box(sim.results().row(0)[0]);
                    })
                },
            );
        }
    }
    group.finish();
}

fn transpose_b8(c: &mut Criterion) {
    let (_, text) = circuits().into_iter().last().unwrap();
    let circuit = parse_circuit(&text).unwrap();
    let program = FrameProgram::compile(&circuit).unwrap();
    let mut sim = FrameSimulator::new(&program, 64, Mode::Detect);
    sim.run(&program, &mut batch_rng(1, 0));
    let rows = sim.results().rows();
    let mut out = Vec::new();
    let mut group = c.benchmark_group("write_shot_major");
    group.throughput(Throughput::Elements(64 * 64));
    group.bench_function("b8", |b| {
        b.iter(|| {
            out.clear();
            let names = BitNames::Measurements;
            write_shots(
                sim.results(),
                0..rows,
                64 * 64,
                None,
                Format::B8,
                names,
                &mut out,
            );
            black_box(out.len());
        })
    });
    group.finish();
}

criterion_group!(benches, detect_batch, transpose_b8);
criterion_main!(benches);
