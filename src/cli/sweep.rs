//! `qec-sim sweep` (sample tasks until stopping rules, sinter-format statistics) and
//! `qec-sim combine` (merge statistics files by strong id).

use super::io::{seed, threads, Output};
use crate::circuit::parse_circuit;
use crate::sweep::{
    combine, parse_stats, results_table, run_sweep, DecoderSpec, RunConfig, Shard, StopRule,
    SweepTask, TaskStats, CSV_HEADER,
};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Stim circuit files to sample; `key=value` pairs in a file name (comma separated, e.g.
    /// `d=5,p=0.001.stim`) become the task's metadata, as with sinter's `--metadata_func auto`.
    #[arg(long, num_args = 1..)]
    circuits: Vec<PathBuf>,
    /// Decoder: `postselect` (discard a shot when any detector fires; count observable flips
    /// among the rest) or `lookup` (a table of every syndrome of up to --lookup-faults error
    /// mechanisms of the circuit's detector error model; other syndromes are discarded).
    #[arg(long, default_value = "postselect")]
    decoder: String,
    /// Discard shots in which a flag detector (4th coordinate -1) fires; decode the others.
    #[arg(long, alias = "postselect_flags")]
    postselect_flags: bool,
    /// Error mechanisms the `lookup` decoder's table covers.
    #[arg(long, default_value_t = 1)]
    lookup_faults: usize,
    /// Stop a task after this many shots.
    #[arg(long, default_value_t = 100_000)]
    max_shots: u64,
    /// Stop a task once this many logical errors were seen.
    #[arg(long)]
    max_errors: Option<u64>,
    /// Stop a task after this many seconds (wall clock, this run).
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed; with a seed the counts are identical whatever the thread count.
    #[arg(long)]
    seed: Option<u64>,
    /// Append every finished round here as it completes; rows already there count toward the
    /// stopping rules, so a killed sweep resumes where it stopped.
    #[arg(long, alias = "save_resume")]
    save_resume: Option<PathBuf>,
    /// Run only shard I of N (`--shard 2/8`): a deterministic share of every task's batches.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<Shard>,
    /// Combined statistics (one row per task), written when the sweep finishes.
    #[arg(long, default_value = "stats.csv")]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub struct CombineArgs {
    /// Statistics files in sinter's CSV layout.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Parses `I/N` with 0 <= I < N.
fn parse_shard(text: &str) -> Result<Shard, String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("'{text}' is not of the form I/N (e.g. 0/4)"))?;
    let index: u64 = i
        .parse()
        .map_err(|_| format!("shard index '{i}' is not a whole number"))?;
    let count: u64 = n
        .parse()
        .map_err(|_| format!("shard count '{n}' is not a whole number"))?;
    if count == 0 || index >= count {
        return Err(format!("shard {index}/{count}: need 0 <= I < N"));
    }
    Ok(Shard { index, count })
}

/// Metadata from a file name: `d=5,p=0.001,noise=cn20.stim` -> {"d":5,"p":0.001,"noise":"cn20"};
/// a name without pairs gives {"circuit": stem}.
pub fn metadata_from_path(path: &Path) -> Value {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut map = Map::new();
    for part in stem.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            let value = serde_json::from_str::<Value>(v)
                .ok()
                .filter(|v| v.is_number())
                .unwrap_or_else(|| Value::String(v.to_string()));
            map.insert(k.to_string(), value);
        }
    }
    if map.is_empty() {
        map.insert("circuit".into(), Value::String(stem));
    }
    Value::Object(map)
}

pub fn sweep(args: &SweepArgs) -> Result<()> {
    if args.circuits.is_empty() {
        bail!("nothing to sweep: give --circuits FILE... (generated color-code and magic-state tasks are not in this build yet)");
    }
    if args.max_shots == 0 {
        bail!("--max-shots must be at least 1");
    }
    if let Some(s) = args.max_seconds.filter(|s| !(s.is_finite() && *s > 0.0)) {
        bail!("--max-seconds must be a positive number, got {s}");
    }
    if !matches!(args.decoder.as_str(), "postselect" | "lookup") {
        bail!(
            "unknown decoder '{}' (available: postselect, lookup)",
            args.decoder
        );
    }
    let decoder = DecoderSpec {
        name: args.decoder.clone(),
        postselect_flags: args.postselect_flags,
        lookup_faults: args.lookup_faults,
    };
    let tasks = args
        .circuits
        .iter()
        .map(|path| {
            let name = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read circuit file {name}"))?;
            let circuit = parse_circuit(&text).map_err(|e| anyhow!("{name}:{e}"))?;
            crate::reference::check_deterministic(&circuit).map_err(|e| match e.line() {
                Some(line) => anyhow!("{name}:{line}: {e}"),
                None => anyhow!("{name}: {e}"),
            })?;
            SweepTask::new(circuit, &decoder, metadata_from_path(path))
                .map_err(|e| anyhow!("{name}: {e:#}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let rule = StopRule {
        max_shots: args.max_shots,
        max_errors: args.max_errors,
        max_seconds: args.max_seconds,
    };
    let config = RunConfig {
        seed: seed(args.seed),
        threads: threads(args.threads)?,
        shard: args.shard.unwrap_or(Shard::WHOLE),
        max_round_batches: 64,
    };
    crate::sweep::interrupt::install();
    let mut out = Output::create(Some(&args.out))?;
    let rows = run_sweep(
        &tasks,
        &rule,
        &config,
        args.save_resume.as_deref(),
        &mut |w| eprintln!("warning: {w}"),
    )?;
    write_rows(&mut out, &rows)?;
    out.finish()?;
    print!("{}", results_table(&rows));
    Ok(())
}

fn write_rows(out: &mut Output, rows: &[TaskStats]) -> Result<()> {
    let mut text = format!("{CSV_HEADER}\n");
    for r in rows {
        text.push_str(&r.to_csv_line());
        text.push('\n');
    }
    out.write(text.as_bytes())
}

pub fn combine_files(args: &CombineArgs) -> Result<()> {
    let rows = read_stats(&args.files)?;
    let mut out = Output::create(args.out.as_deref())?;
    write_rows(&mut out, &rows)?;
    out.finish()
}

#[derive(Args, Debug)]
pub struct PlotArgs {
    /// Statistics files in sinter's CSV layout (rows with equal strong_id are merged).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output picture: .svg or .png.
    #[arg(short, long, default_value = "plot.svg")]
    out: PathBuf,
    /// Metadata key on the x axis.
    #[arg(long, default_value = "p")]
    x: String,
    /// Metadata key that separates curves.
    #[arg(long, default_value = "d")]
    group: String,
}

/// Reads and merges statistics files, warning about cut last lines.
fn read_stats(files: &[PathBuf]) -> Result<Vec<TaskStats>> {
    let mut rows = Vec::new();
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read statistics file {name}"))?;
        let parsed = parse_stats(&text).map_err(|e| anyhow!("{name}:{e}"))?;
        if parsed.truncated_last_line {
            eprintln!("warning: {name}: ignored an unfinished last line");
        }
        rows.extend(parsed.rows);
    }
    Ok(combine(rows))
}

pub fn plot(args: &PlotArgs) -> Result<()> {
    let rows = read_stats(&args.files)?;
    let fits = crate::sweep::plot::plot_stats(&rows, &args.x, &args.group, &args.out)?;
    for f in fits {
        println!(
            "{}: error rate ~ {:.3e} * {}^{:.2} (least squares in log-log over {} points)",
            f.group, f.a, args.x, f.k, f.points
        );
    }
    Ok(())
}
