//! Compares round searches on the redundant-ghz layout (mirrored GHZ network): for every seed,
//! the round's time steps, the round + (d-1)/2 x [Hadamard measurement, round] schedule, and
//! the exact engine's peak active width (`magic::exact_width`, only for rounds of at most 18
//! steps). How `layout::round_search` chose the d = 7 seed (docs/hadamard-prep.md):
//!
//!     cargo run --release --example round_seeds -- 7 6000 crowd 0 1 2 3 4 5 6 7 8 9 10 11
//!
//! Seed 0 is `RoundSearch::default()`'s seed; seed k > 0 is k times 0x9E3779B97F4A7C15.
use qec_sim::layout::{GhzDesign, Layout};
use qec_sim::schedule::{round_depth, round_ops, RoundSearch, Schedule};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = (|| -> Option<(usize, u64, bool, Vec<u64>)> {
        let d = args.first()?.parse().ok()?;
        let steps = args.get(1)?.parse().ok()?;
        let crowd = args.get(2)? == "crowd";
        let seeds = args[3..]
            .iter()
            .map(|s| s.parse().ok())
            .collect::<Option<_>>()?;
        Some((d, steps, crowd, seeds))
    })();
    let Some((d, steps, crowd, seeds)) = parsed.filter(|p| p.0 >= 3 && p.0 % 2 == 1) else {
        eprintln!("usage: round_seeds D STEPS crowd|plain SEED...   (odd D >= 3)");
        std::process::exit(2);
    };
    for seed in seeds {
        let search = RoundSearch {
            steps,
            seed: if seed == 0 {
                RoundSearch::default().seed
            } else {
                seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            },
            crowd,
        };
        let layout = Layout::redundant_ghz_searched(d, GhzDesign::Mirrored, search);
        let round = round_ops(&layout);
        let h = qec_sim::magic::hadamard_ops(&layout).expect("a GHZ network");
        let mut ops = round.clone();
        for _ in 0..(d - 1) / 2 {
            ops.extend(h.iter().cloned());
            ops.extend(round.iter().cloned());
        }
        let checks = Schedule::asap(ops, layout.num_qubits()).depth();
        let r = round_depth(&layout);
        let width = if r <= 18 {
            qec_sim::magic::exact_width(&layout).to_string()
        } else {
            "-".to_string()
        };
        println!("seed {seed}: round {r}, round + checks {checks}, exact width {width}");
    }
}
