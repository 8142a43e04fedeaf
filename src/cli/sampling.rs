//! `qec-sim sample` and `qec-sim detect`: the frame sampler on a circuit file, or the exact
//! engine when the circuit has non-Clifford gates.

use super::io::{parse_count, seed, threads, Loaded, Output};
use crate::bits::BitTable;
use crate::exact::{BatchSpec, ExactProgram, NoiseMode};
use crate::frame::{FrameProgram, Mode};
use crate::output::{check_shots, write_shots, BitNames, Format};
use crate::reference;
use crate::sampler::{run_batches, run_batches_with, BatchPlan};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Options shared by the sampling commands.
#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Circuit file in Stim's format; '-' or absent reads standard input.
    #[arg(long, visible_alias = "in")]
    circuit: Option<PathBuf>,
    /// Number of shots (`1000000` or `1e6`).
    #[arg(long, default_value_t = 1, value_parser = parse_count)]
    shots: u64,
    /// Seed; with a seed the output is identical whatever the thread count.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores; at most 1024).
    #[arg(long)]
    threads: Option<usize>,
    /// Output file; absent writes standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format: 01, b8, r8, hits, dets or ptb64 (Stim's result formats).
    #[arg(long, alias = "out_format", default_value = "01")]
    out_format: Format,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Writes observable flips to this file (same shots, own format).
    #[arg(long, alias = "obs_out")]
    obs_out: Option<PathBuf>,
    /// Format of --obs-out: 01, b8, r8, hits, dets or ptb64.
    #[arg(long, alias = "obs_out_format", default_value = "01")]
    obs_out_format: Format,
    /// Appends the observable flips after each shot's detection events.
    #[arg(long, alias = "append_observables")]
    append_observables: bool,
}

/// Compiles the circuit for the frame sampler and plans the batches (refusing circuits too big
/// to sample): everything both commands do before sampling.
fn prepare(c: &CommonArgs, loaded: &Loaded, mode: Mode) -> Result<(FrameProgram, BatchPlan)> {
    let program = FrameProgram::compile(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    let plan = BatchPlan::new(&program, mode, c.shots, seed(c.seed), threads(c.threads)?)
        .map_err(|e| loaded.blame(e))?;
    Ok((program, plan))
}

/// A non-Clifford circuit compiled for the exact engine, with its batch plan (64 shots a batch).
fn prepare_exact(c: &CommonArgs, loaded: &Loaded) -> Result<(ExactProgram, BatchPlan)> {
    let program = ExactProgram::compile(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    let plan = BatchPlan {
        shots: c.shots,
        seed: seed(c.seed),
        threads: threads(c.threads)?,
        words: 1,
    };
    Ok((program, plan))
}

/// Runs the exact engine over `plan`; `encode(table, shots)` turns each batch's table (detectors
/// then observables, or with `measurements` the record) into output, which `emit` writes in order.
fn exact_batches<T: Send>(
    spec: &BatchSpec,
    plan: &BatchPlan,
    measurements: bool,
    encode: impl Fn(&BitTable, usize) -> T + Sync + Send,
    emit: impl FnMut(T) -> Result<()> + Send,
) -> Result<()> {
    let table = || {
        if measurements {
            BitTable::new(spec.program.num_measurements.max(1), plan.words)
        } else {
            spec.table(plan.words)
        }
    };
    run_batches_with(
        plan,
        || (spec.program.workspace(), table()),
        |(ws, t), rng, shots| {
            if measurements {
                spec.run_measurements(ws, rng, shots, t);
            } else {
                spec.run(ws, rng, shots, t);
            }
            encode(t, shots)
        },
        emit,
    )
}

pub fn sample(args: &SampleArgs) -> Result<()> {
    let c = &args.common;
    check_shots(c.out_format, c.shots).map_err(anyhow::Error::msg)?;
    let loaded = Loaded::read(c.circuit.as_deref())?;
    if loaded.circuit.first_non_clifford().is_some() {
        let (program, plan) = prepare_exact(c, &loaded)?;
        let spec = exact_spec(&program);
        let mut out = Output::create(c.out.as_deref())?;
        let rows = 0..program.num_measurements;
        let encode = |t: &BitTable, shots: usize| {
            let mut buf = Vec::new();
            let names = BitNames::Measurements;
            write_shots(t, rows.clone(), shots, None, c.out_format, names, &mut buf);
            buf
        };
        exact_batches(&spec, &plan, true, encode, |b| out.write(&b))?;
        return out.finish();
    }
    let (program, plan) = prepare(c, &loaded, Mode::Measure)?;
    let reference = reference::reference_sample(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    let mut out = Output::create(c.out.as_deref())?;
    let rows = program.num_measurements as usize;
    let invert = reference.measurements;
    run_batches(
        &program,
        Mode::Measure,
        &plan,
        |sim, shots| {
            let mut buf = Vec::new();
            write_shots(
                sim.record(),
                0..rows,
                shots,
                Some(&invert),
                c.out_format,
                BitNames::Measurements,
                &mut buf,
            );
            buf
        },
        |buf| out.write(&buf),
    )?;
    out.finish()
}

fn exact_spec(program: &ExactProgram) -> BatchSpec<'_> {
    BatchSpec {
        program,
        postselect: None,
        end_of_shot: None,
        noise: NoiseMode::Sample,
        faults: None,
    }
}

pub fn detect(args: &DetectArgs) -> Result<()> {
    let c = &args.common;
    check_shots(c.out_format, c.shots).map_err(anyhow::Error::msg)?;
    if args.obs_out.is_some() {
        check_shots(args.obs_out_format, c.shots).map_err(anyhow::Error::msg)?;
    }
    let loaded = Loaded::read(c.circuit.as_deref())?;
    // The frame sampler for Clifford circuits, the exact engine for the others; both leave
    // detectors then observables in a table, encoded alike.
    enum Engine {
        Frame(FrameProgram, BatchPlan),
        Exact(ExactProgram, BatchPlan),
    }
    let engine = match loaded.circuit.first_non_clifford() {
        Some(_) => {
            let (program, plan) = prepare_exact(c, &loaded)?;
            Engine::Exact(program, plan)
        }
        None => {
            let (program, plan) = prepare(c, &loaded, Mode::Detect)?;
            reference::check_deterministic(&loaded.circuit).map_err(|e| loaded.blame(e))?;
            Engine::Frame(program, plan)
        }
    };
    let (dets, obs) = match &engine {
        Engine::Exact(p, _) => (p.num_detectors, p.num_observables),
        Engine::Frame(p, _) => (p.num_detectors as usize, p.num_observables),
    };
    let main_rows = if args.append_observables {
        0..dets + obs
    } else {
        0..dets
    };
    let mut out = Output::create(c.out.as_deref())?;
    let mut obs_out = match &args.obs_out {
        Some(p) => Some(Output::create(Some(p))?),
        None => None,
    };
    let want_obs = obs_out.is_some();
    let names = BitNames::DetectorsThenObservables {
        num_detectors: dets,
    };
    let encode = |results: &BitTable, shots: usize| {
        let mut main = Vec::new();
        let f = c.out_format;
        write_shots(results, main_rows.clone(), shots, None, f, names, &mut main);
        let mut side = Vec::new();
        if want_obs {
            let f = args.obs_out_format;
            write_shots(results, dets..dets + obs, shots, None, f, names, &mut side);
        }
        (main, side)
    };
    let emit = |(main, side): (Vec<u8>, Vec<u8>)| {
        out.write(&main)?;
        if let Some(o) = obs_out.as_mut() {
            o.write(&side)?;
        }
        Ok::<(), anyhow::Error>(())
    };
    match &engine {
        Engine::Exact(program, plan) => {
            exact_batches(&exact_spec(program), plan, false, encode, emit)?
        }
        Engine::Frame(program, plan) => run_batches(
            program,
            Mode::Detect,
            plan,
            |sim, shots| encode(sim.results(), shots),
            emit,
        )?,
    }
    out.finish()?;
    if let Some(o) = obs_out {
        o.finish()?;
    }
    Ok(())
}
