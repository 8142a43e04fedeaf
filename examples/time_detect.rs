use qec_sim::circuit::parse_circuit;
use qec_sim::frame::{FrameProgram, Mode};
use qec_sim::output::{write_shot_major, Format};
use qec_sim::sampler::{run_batches, BatchPlan};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).unwrap();
    let shots: u64 = args[2].parse().unwrap();
    let threads: usize = args[3].parse().unwrap();
    let words: Option<usize> = args.get(4).map(|w| w.parse().unwrap());
    let c = parse_circuit(&text).unwrap();
    let p = FrameProgram::compile(&c).unwrap();
    let mut plan = BatchPlan::new(&p, Mode::Detect, shots, 1, threads).unwrap();
    if let Some(w) = words {
        plan.words = w;
    }
    let t = std::time::Instant::now();
    let mut total = 0usize;
    let dets = p.num_detectors as usize;
    run_batches(
        &p,
        Mode::Detect,
        &plan,
        |sim, n| {
            let mut v = Vec::new();
            write_shot_major(sim.results(), 0..dets, n, None, Format::B8, &mut v);
            v
        },
        |v| {
            total += v.len();
            Ok::<(), ()>(())
        },
    )
    .unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} words={} shots/s={:.0} bytes={}",
        args[1],
        plan.words,
        shots as f64 / s,
        total
    );
}
