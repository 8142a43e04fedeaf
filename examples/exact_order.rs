//! Prints what the exact engine's order search achieves on circuit files: peak active width,
//! amplitudes a noiseless shot touches (the dense work) and compile time (docs/exact-engine.md,
//! "Order"):
//!
//!     cargo run --release --example exact_order -- FILE...
use qec_sim::circuit::parse_circuit;
use qec_sim::exact::ExactProgram;
use std::time::Instant;

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: exact_order FILE...");
        std::process::exit(2);
    }
    for f in files {
        let circuit = std::fs::read_to_string(&f)
            .map_err(|e| e.to_string())
            .and_then(|t| parse_circuit(&t).map_err(|e| format!("{f}:{e}")));
        let circuit = match circuit {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        };
        let start = Instant::now();
        match ExactProgram::compile(&circuit) {
            Ok(p) => println!(
                "{f}: peak width {}, dense work {} amplitudes per noiseless shot, compiled in {:.2} s",
                p.max_active,
                p.dense_work(),
                start.elapsed().as_secs_f64()
            ),
            Err(e) => println!("{f}: {e}"),
        }
    }
}
