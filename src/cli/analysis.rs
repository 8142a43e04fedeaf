//! `qec-sim analyze-errors` (the detector error model) and `qec-sim faults` (fault
//! enumeration and the shortest undetectable logical error).

use super::io::{Loaded, Output};
use crate::decoder::{by_name, DecoderInput};
use crate::dem::{self, DemOptions};
use crate::faults::{
    enumerate_size, shortest_decoder_failure, shortest_undetected_logical, FaultSet,
};
use crate::reference;
use anyhow::{bail, Result};
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

/// Most fault sets `faults` enumerates in one run.
const MAX_SETS: u128 = 100_000_000_000;

#[derive(Args, Debug)]
pub struct AnalyzeErrorsArgs {
    /// Circuit file in Stim's format; '-' or absent reads standard input.
    #[arg(long, visible_alias = "in")]
    circuit: Option<PathBuf>,
    /// Output file for the .dem text; absent writes standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Accept PAULI_CHANNEL_2, non-decomposable PAULI_CHANNEL_1 and ELSE_CORRELATED_ERROR by
    /// treating their disjoint probabilities as independent (Stim's option of the same name).
    #[arg(long, alias = "approximate_disjoint_errors")]
    approximate_disjoint_errors: bool,
}

#[derive(Args, Debug)]
pub struct FaultsArgs {
    /// Circuit file in Stim's format; '-' or absent reads standard input.
    #[arg(long, visible_alias = "in")]
    circuit: Option<PathBuf>,
    /// Enumerates every set of 1..=K fault events.
    #[arg(long, alias = "max_faults", default_value_t = 1)]
    max_faults: usize,
    /// How many undetected-logical (and decoder-failure) sets to print per size.
    #[arg(long, default_value_t = 3)]
    examples: usize,
    /// Also finds the fewest faults that flip an observable unnoticed (postselection) and the
    /// fewest (up to --max-faults) that the decoder gets wrong.
    #[arg(long)]
    shortest: bool,
    /// Largest set size the --shortest search under postselection considers.
    #[arg(long, default_value_t = 12)]
    shortest_limit: usize,
    /// The search skips partial syndromes with more fired detectors than this (see docs of
    /// `shortest_undetected_logical`).
    #[arg(long, default_value_t = 4)]
    max_active: usize,
    /// Decoder applied to every enumerated set: lookup, postselect or color.
    #[arg(long, default_value = "lookup")]
    decoder: String,
    /// Error mechanisms per syndrome tabulated by the lookup decoder.
    #[arg(long, default_value_t = 1)]
    decoder_faults: usize,
    /// Output file for the report; absent writes standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// As for analyze-errors (needed by the lookup decoder's model on such circuits).
    #[arg(long, alias = "approximate_disjoint_errors")]
    approximate_disjoint_errors: bool,
}

/// Loads a circuit and propagates its fault events; then checks that its detectors and
/// observables are deterministic, as the analysis assumes (after, so that oversized circuits
/// are refused before the tableau simulation runs through them).
fn load_faults(path: Option<&std::path::Path>) -> Result<(Loaded, FaultSet)> {
    let loaded = Loaded::read(path)?;
    let faults = FaultSet::from_circuit(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    reference::check_deterministic(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    Ok((loaded, faults))
}

pub fn analyze_errors(args: &AnalyzeErrorsArgs) -> Result<()> {
    let (loaded, faults) = load_faults(args.circuit.as_deref())?;
    let options = DemOptions {
        approximate_disjoint_errors: args.approximate_disjoint_errors,
    };
    let model = dem::from_faults(&faults, options).map_err(|e| loaded.blame(e))?;
    let mut out = Output::create(args.out.as_deref())?;
    out.write(model.to_string().as_bytes())?;
    out.finish()
}

pub fn faults(args: &FaultsArgs) -> Result<()> {
    if args.max_faults == 0 {
        bail!("--max-faults must be at least 1");
    }
    let (loaded, faults) = load_faults(args.circuit.as_deref())?;
    let n = faults.num_events();
    let sets: u128 = (1..=args.max_faults)
        .map(|k| crate::decoder::binomial(n, k))
        .sum();
    if sets > MAX_SETS {
        bail!(
            "{}: {sets} sets of up to {} of {n} fault events is more than this command enumerates \
             ({MAX_SETS}); lower --max-faults",
            loaded.name,
            args.max_faults
        );
    }
    let options = DemOptions {
        approximate_disjoint_errors: args.approximate_disjoint_errors,
    };
    let model = dem::from_faults(&faults, options).map_err(|e| loaded.blame(e))?;
    let input = DecoderInput {
        dem: Some(&model),
        max_faults: args.decoder_faults,
        ..DecoderInput::default()
    };
    let decoder = by_name(&args.decoder, &input)?;
    let mut r = String::new();
    writeln!(
        r,
        "{}: {n} fault events, {} detectors, {} observables; decoder {}",
        loaded.name,
        faults.num_detectors(),
        faults.num_observables,
        decoder.name()
    )?;
    writeln!(
        r,
        "size\tsets\tdetected\tundetected-harmless\tundetected-logical\tdecoder-discarded\tdecoder-wrong"
    )?;
    let mut reports = Vec::new();
    for k in 1..=args.max_faults {
        let rep = enumerate_size(&faults, k, args.examples, Some(decoder.as_ref()));
        let c = rep.counts;
        writeln!(
            r,
            "{k}\t{}\t{}\t{}\t{}\t{}\t{}",
            c.total(),
            c.detected,
            c.harmless,
            c.logical,
            c.decoder_discarded,
            c.decoder_wrong
        )?;
        reports.push(rep);
    }
    for rep in &reports {
        for (i, set) in rep.logical_examples.iter().enumerate() {
            writeln!(r, "undetected-logical set {} of size {}:", i + 1, rep.size)?;
            describe_set(&mut r, &faults, set)?;
        }
        for (i, set) in rep.decoder_examples.iter().enumerate() {
            writeln!(
                r,
                "decoder-wrong set {} of size {} ({}):",
                i + 1,
                rep.size,
                decoder.name()
            )?;
            describe_set(&mut r, &faults, set)?;
        }
    }
    if args.shortest {
        match shortest_undetected_logical(&faults, args.shortest_limit, args.max_active) {
            Some(set) => {
                writeln!(r, "shortest undetected logical error: {} faults", set.len())?;
                describe_set(&mut r, &faults, &set)?;
            }
            None => writeln!(
                r,
                "shortest undetected logical error: none of at most {} faults (searched with \
                 --max-active {})",
                args.shortest_limit, args.max_active
            )?,
        }
        match shortest_decoder_failure(&faults, decoder.as_ref(), args.max_faults) {
            Some(set) => {
                writeln!(
                    r,
                    "shortest decoder failure ({}): {} faults",
                    decoder.name(),
                    set.len()
                )?;
                describe_set(&mut r, &faults, &set)?;
            }
            None => writeln!(
                r,
                "shortest decoder failure ({}): none of at most {} faults",
                decoder.name(),
                args.max_faults
            )?,
        }
    }
    let mut out = Output::create(args.out.as_deref())?;
    out.write(r.as_bytes())?;
    out.finish()
}

fn describe_set(r: &mut String, faults: &FaultSet, set: &[usize]) -> std::fmt::Result {
    for &e in set {
        writeln!(r, "    {}", faults.describe(e))?;
    }
    Ok(())
}
