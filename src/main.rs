//! The `qec-sim` command: parses arguments and hands over to [`qec_sim::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    match qec_sim::cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
