//! Prints the GHZ network problem of the plain redundant layout of distance D as JSON (qubit
//! count, data count, candidate couplings with their inter-face bit, ancillas touching each data
//! qubit), for `tools/ghz_cpsat.py`:
//!
//!     cargo run --release --example dump_ghz_problem -- 5 > p5.json
use qec_sim::layout::{ghz, Layout, LayoutKind};

fn main() {
    let Some(d) = std::env::args()
        .nth(1)
        .and_then(|s| s.parse::<usize>().ok())
    else {
        eprintln!("usage: dump_ghz_problem D   (odd D >= 3)");
        std::process::exit(2);
    };
    if d < 3 || d.is_multiple_of(2) {
        eprintln!("distance {d}: the 6.6.6 color code needs odd d >= 3");
        std::process::exit(2);
    }
    let layout = Layout::new(d, LayoutKind::Redundant);
    let (adj, touch) = ghz::problem(&layout);
    let adj: Vec<Vec<(usize, u8)>> = adj
        .iter()
        .map(|l| l.iter().map(|&(b, i)| (b, u8::from(i))).collect())
        .collect();
    let out = serde_json::json!({
        "n": layout.num_qubits(),
        "data": layout.num_data(),
        "adj": adj,
        "touch": touch,
    });
    println!("{out}");
}
