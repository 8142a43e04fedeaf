//! `qec-sim sample` and `qec-sim detect`: the frame sampler on a circuit file, or the exact
//! engine when the circuit has non-Clifford gates.

use super::io::{parse_count, seed, threads, Loaded, Output};
use crate::bits::BitTable;
use crate::frame::SweepBits;
use crate::output::{check_shots, write_shots, BitNames, BufferPool, Format};
use crate::shots::{Produce, ShotSampler};
use anyhow::{anyhow, Result};
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
    /// Sweep data as in Stim's `--sweep` with `--sweep_format 01`: line i holds shot i's bits,
    /// one `0`/`1` per `sweep[k]` of the circuit. Absent: every sweep bit is 0. Detection
    /// events are relative to the noiseless run with the same sweep bits (as Stim's `m2d`).
    #[arg(long)]
    sweep: Option<PathBuf>,
    /// Format of --sweep: only 01.
    #[arg(long, alias = "sweep_format", default_value = "01", value_parser = ["01"])]
    sweep_format: String,
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

/// The sampler for the loaded circuit with the `--sweep` data, errors naming their files.
fn sampler(c: &CommonArgs, loaded: &Loaded, produce: Produce) -> Result<ShotSampler> {
    let sampler = ShotSampler::new(
        &loaded.circuit,
        produce,
        c.shots,
        seed(c.seed),
        threads(c.threads)?,
    )
    .map_err(|e| loaded.blame(e))?;
    let Some(path) = &c.sweep else {
        return Ok(sampler);
    };
    sampler
        .check_sweep_supported()
        .map_err(|e| anyhow!("{}: {e}", loaded.name))?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow!("cannot read sweep data {}: {e}", path.display()))?;
    let name = path.display().to_string();
    let bits = SweepBits::parse_01(&text, &name, c.shots, sampler.num_sweep_bits())
        .map_err(anyhow::Error::msg)?;
    sampler.with_sweep(bits).map_err(anyhow::Error::msg)
}

pub fn sample(args: &SampleArgs) -> Result<()> {
    let c = &args.common;
    check_shots(c.out_format, c.shots).map_err(anyhow::Error::msg)?;
    let loaded = Loaded::read(c.circuit.as_deref())?;
    let sampler = sampler(c, &loaded, Produce::Measurements)?;
    let mut out = Output::create(c.out.as_deref())?;
    let rows = sampler.num_measurements();
    let pool = BufferPool::default();
    sampler.run(
        |t: &BitTable, shots, invert| {
            let mut buf = pool.take();
            let names = BitNames::Measurements;
            write_shots(t, 0..rows, shots, invert, c.out_format, names, &mut buf);
            buf
        },
        |buf| {
            out.write(&buf)?;
            pool.give(buf);
            Ok::<(), anyhow::Error>(())
        },
    )?;
    out.finish()
}

pub fn detect(args: &DetectArgs) -> Result<()> {
    let c = &args.common;
    check_shots(c.out_format, c.shots).map_err(anyhow::Error::msg)?;
    if args.obs_out.is_some() {
        check_shots(args.obs_out_format, c.shots).map_err(anyhow::Error::msg)?;
    }
    let loaded = Loaded::read(c.circuit.as_deref())?;
    let sampler = sampler(c, &loaded, Produce::Detections)?;
    let (dets, obs) = (sampler.num_detectors(), sampler.num_observables());
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
    let pool = BufferPool::default();
    let encode = |results: &BitTable, shots: usize, _: Option<&[bool]>| {
        let mut main = pool.take();
        let f = c.out_format;
        write_shots(results, main_rows.clone(), shots, None, f, names, &mut main);
        let mut side = pool.take();
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
        pool.give(main);
        pool.give(side);
        Ok::<(), anyhow::Error>(())
    };
    sampler.run(encode, emit)?;
    out.finish()?;
    if let Some(o) = obs_out {
        o.finish()?;
    }
    Ok(())
}
