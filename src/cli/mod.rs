//! Command-line interface: argument parsing (clap) and the glue from files to the library.
//! One file per command family; shared file handling lives in `io.rs`.
//!
//! Flags follow Stim's command line (`stim sample`, `stim detect`), spelled with dashes; the
//! underscore spellings (`--out_format`, `--obs_out`, ...) are accepted as aliases.

mod analysis;
mod estimate;
mod generate;
mod io;
mod sampling;
mod sweep;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "qec-sim",
    version,
    about = "Quantum error-correction simulator"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Samples measurement results of a Stim-format circuit.
    Sample(sampling::SampleArgs),
    /// Samples detection events (and observable flips) of a Stim-format circuit.
    Detect(sampling::DetectArgs),
    /// Samples tasks until stopping rules; writes sinter-format statistics.
    Sweep(Box<sweep::SweepArgs>),
    /// Merges statistics files (rows with equal strong_id add up).
    Combine(sweep::CombineArgs),
    /// Plots error and discard rates from statistics files (SVG or PNG) and prints their table
    /// (stratified rows as curves over p).
    Plot(sweep::PlotArgs),
    /// Compares the exact, twirl and proxy CH models on the |H> preparation (d = 3).
    ChModels(sweep::ChModelsArgs),
    /// Prints the detector error model of a circuit in Stim's .dem format.
    AnalyzeErrors(analysis::AnalyzeErrorsArgs),
    /// Enumerates sets of fault events and classifies them (detected, harmless, logical).
    Faults(analysis::FaultsArgs),
    /// Resource estimates: the bottom-up |H> scheme against distillation (reports, JSON).
    Estimate(Box<estimate::EstimateArgs>),
    /// Generates a code's memory-experiment circuit on a qubit layout, with optional noise.
    Gen(generate::GenArgs),
    /// Draws a code's qubit layout as SVG.
    Draw(generate::DrawArgs),
}

/// Runs the command line.
pub fn main() -> Result<()> {
    let command = Cli::parse().command;
    crate::interrupt::install();
    dispatch(command)
}

/// Runs one command from its arguments (`["gen", "--task", "memory-z", ...]`, without the
/// program name) as the command line would, standard output flushed before returning; argument
/// errors come back as one line. For the Python bindings (no signal handlers are installed).
pub fn run_args(args: &[String]) -> Result<()> {
    let argv = std::iter::once("qec-sim".to_string()).chain(args.iter().cloned());
    let command = Cli::try_parse_from(argv)
        .map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("bad arguments");
            anyhow::anyhow!("{}", first.trim_start_matches("error: "))
        })?
        .command;
    let result = dispatch(command);
    std::io::Write::flush(&mut std::io::stdout())?;
    result
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Sample(a) => sampling::sample(&a),
        Command::Detect(a) => sampling::detect(&a),
        Command::Sweep(a) => sweep::sweep(&a),
        Command::Combine(a) => sweep::combine_files(&a),
        Command::Plot(a) => sweep::plot(&a),
        Command::ChModels(a) => sweep::ch_models(&a),
        Command::AnalyzeErrors(a) => analysis::analyze_errors(&a),
        Command::Faults(a) => analysis::faults(&a),
        Command::Estimate(a) => estimate::estimate(&a),
        Command::Gen(a) => generate::generate(&a),
        Command::Draw(a) => generate::draw(&a),
    }
}
