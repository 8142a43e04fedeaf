//! Command-line interface: argument parsing (clap) and the glue from files to the library.
//!
//! Flags follow Stim's command line (`stim sample`, `stim detect`), spelled with dashes; the
//! underscore spellings (`--out_format`, `--obs_out`, ...) are accepted as aliases.

use crate::circuit::{parse_circuit, Circuit};
use crate::error::SimError;
use crate::frame::{FrameProgram, Mode};
use crate::output::{write_shot_major, Format};
use crate::reference;
use crate::sampler::{run_batches, BatchPlan};
use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

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
    Sample(SampleArgs),
    /// Samples detection events (and observable flips) of a Stim-format circuit.
    Detect(DetectArgs),
}

/// Options shared by the sampling commands.
#[derive(Args, Debug)]
struct CommonArgs {
    /// Circuit file in Stim's format; '-' or absent reads standard input.
    #[arg(long, visible_alias = "in")]
    circuit: Option<PathBuf>,
    /// Number of shots.
    #[arg(long, default_value_t = 1)]
    shots: u64,
    /// Seed; with a seed the output is identical whatever the thread count.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Output file; absent writes standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Output format: 01 or b8.
    #[arg(long, alias = "out_format", default_value = "01")]
    out_format: Format,
}

#[derive(Args, Debug)]
struct SampleArgs {
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct DetectArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Writes observable flips to this file (same shots, own format).
    #[arg(long, alias = "obs_out")]
    obs_out: Option<PathBuf>,
    /// Format of --obs-out: 01 or b8.
    #[arg(long, alias = "obs_out_format", default_value = "01")]
    obs_out_format: Format,
    /// Appends the observable flips after each shot's detection events.
    #[arg(long, alias = "append_observables")]
    append_observables: bool,
}

/// Runs the command line.
pub fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Sample(a) => sample(&a),
        Command::Detect(a) => detect(&a),
    }
}

/// A circuit and the name to blame in errors.
struct Loaded {
    circuit: Circuit,
    name: String,
}

impl Loaded {
    /// Reads and parses the circuit, errors as `FILE:LINE:COL: message`.
    fn read(path: Option<&Path>) -> Result<Loaded> {
        let (name, text) = match path {
            Some(p) if p.as_os_str() != "-" => {
                let name = p.display().to_string();
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read circuit file {name}"))?;
                (name, text)
            }
            _ => {
                let mut text = String::new();
                io::stdin()
                    .read_to_string(&mut text)
                    .context("cannot read the circuit from standard input")?;
                ("<stdin>".to_string(), text)
            }
        };
        let circuit = parse_circuit(&text).map_err(|e| anyhow!("{name}:{e}"))?;
        Ok(Loaded { circuit, name })
    }

    /// Turns a simulator error into `FILE:LINE: message`.
    fn blame(&self, e: SimError) -> anyhow::Error {
        match e.line() {
            Some(line) if line > 0 => anyhow!("{}:{line}: {e}", self.name),
            _ => anyhow!("{}: {e}", self.name),
        }
    }
}

/// An output stream that only becomes the named file once complete: data for a regular file
/// goes to a temporary file beside it, renamed over the target by [`Output::finish`]; dropped
/// unfinished, the temporary file is removed. Devices and pipes (`/dev/null`, a FIFO) are
/// written directly, never replaced.
struct Output {
    writer: BufWriter<Box<dyn Write + Send>>,
    paths: Option<(PathBuf, PathBuf)>,
    name: String,
}

impl Output {
    fn create(path: Option<&Path>) -> Result<Output> {
        let Some(p) = path.filter(|p| p.as_os_str() != "-") else {
            return Ok(Output {
                writer: BufWriter::with_capacity(1 << 20, Box::new(io::stdout())),
                paths: None,
                name: "standard output".into(),
            });
        };
        let name = p.display().to_string();
        let special = std::fs::metadata(p).is_ok_and(|m| !m.is_file());
        if special {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .with_context(|| format!("cannot open output {name}"))?;
            return Ok(Output {
                writer: BufWriter::with_capacity(1 << 20, Box::new(file)),
                paths: None,
                name,
            });
        }
        let file_name = p
            .file_name()
            .ok_or_else(|| anyhow!("output path {name} names no file"))?;
        let tmp = p.with_file_name(format!(
            ".{}.partial-{}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let file =
            File::create(&tmp).with_context(|| format!("cannot create output file {name}"))?;
        Ok(Output {
            writer: BufWriter::with_capacity(1 << 20, Box::new(file)),
            paths: Some((tmp, p.to_path_buf())),
            name,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.name))
    }

    fn finish(mut self) -> Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("cannot write {}", self.name))?;
        if let Some((tmp, path)) = self.paths.take() {
            std::fs::rename(&tmp, &path).with_context(|| {
                format!("cannot move the finished output to {}", path.display())
            })?;
        }
        Ok(())
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if let Some((tmp, _)) = &self.paths {
            let _ = std::fs::remove_file(tmp);
        }
    }
}

fn threads(requested: Option<usize>) -> Result<usize> {
    match requested {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

fn seed(requested: Option<u64>) -> u64 {
    requested.unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t ^ (std::process::id() as u64).rotate_left(32)
    })
}

fn sample(args: &SampleArgs) -> Result<()> {
    let c = &args.common;
    let loaded = Loaded::read(c.circuit.as_deref())?;
    let program = FrameProgram::compile(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    let reference = reference::reference_sample(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    let plan = BatchPlan::new(
        &program,
        Mode::Measure,
        c.shots,
        seed(c.seed),
        threads(c.threads)?,
    );
    let mut out = Output::create(c.out.as_deref())?;
    let rows = program.num_measurements as usize;
    let invert = reference.measurements;
    run_batches(
        &program,
        Mode::Measure,
        &plan,
        |sim, shots| {
            let mut buf = Vec::new();
            write_shot_major(
                sim.record(),
                0..rows,
                shots,
                Some(&invert),
                c.out_format,
                &mut buf,
            );
            buf
        },
        |buf| out.write(&buf),
    )?;
    out.finish()
}

fn detect(args: &DetectArgs) -> Result<()> {
    let c = &args.common;
    let loaded = Loaded::read(c.circuit.as_deref())?;
    let program = FrameProgram::compile(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    reference::check_deterministic(&loaded.circuit).map_err(|e| loaded.blame(e))?;
    let plan = BatchPlan::new(
        &program,
        Mode::Detect,
        c.shots,
        seed(c.seed),
        threads(c.threads)?,
    );
    let dets = program.num_detectors as usize;
    let obs = program.num_observables;
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
    run_batches(
        &program,
        Mode::Detect,
        &plan,
        |sim, shots| {
            let mut main = Vec::new();
            write_shot_major(
                sim.results(),
                main_rows.clone(),
                shots,
                None,
                c.out_format,
                &mut main,
            );
            let mut side = Vec::new();
            if want_obs {
                let f = args.obs_out_format;
                write_shot_major(sim.results(), dets..dets + obs, shots, None, f, &mut side);
            }
            (main, side)
        },
        |(main, side)| {
            out.write(&main)?;
            if let Some(o) = obs_out.as_mut() {
                o.write(&side)?;
            }
            Ok::<(), anyhow::Error>(())
        },
    )?;
    out.finish()?;
    if let Some(o) = obs_out {
        o.finish()?;
    }
    Ok(())
}
