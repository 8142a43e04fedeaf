//! `qec-sim sweep` (sample tasks until stopping rules, sinter-format statistics) and
//! `qec-sim combine` (merge statistics files by strong id).

use super::generate::{
    check_circuit_bytes, check_distance, check_magic_layout, layout_for, layout_kind,
    memory_circuit_bytes, noise_model, prep_stages, spelling, ChModelName, CodeName, LayoutName,
    NoiseName, StageName, StartName, TaskName, HADAMARD_LAYOUT,
};
use super::io::{parse_count, parse_count_usize, seed, threads, Loaded, Output};
use crate::circuit::Circuit;
use crate::magic::TAIL_COORD;
use crate::magic::{HadamardPrep, Stages};
use crate::schedule::memory_circuit;
use crate::sweep::tasks::{enumerated_rows, hadamard_prep_tasks, marked_prep, Method};
use crate::sweep::{
    combine, parse_stats, results_table, run_sweep_within, short_metadata, DecoderSpec, RunConfig,
    Shard, StopRule, SweepTask, TaskStats, CSV_HEADER,
};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use clap::ValueEnum;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Generated task: a memory experiment of the code, or the |H> preparation protocol (one
    /// task per distance, CH model and p, or per stratum with --method subset). Without --task
    /// and --circuits, the default job: hadamard-prep at d = 3, 5, exact model, subset sampling,
    /// writing stats.csv and plot.svg.
    #[arg(long, value_enum)]
    task: Option<TaskName>,
    /// Code of generated tasks.
    #[arg(long, value_enum, default_value = "color666")]
    code: CodeName,
    /// Distances of generated tasks, comma separated (default 3,5).
    #[arg(long, value_delimiter = ',')]
    distances: Vec<usize>,
    /// Rounds of generated memory tasks (default: the distance).
    #[arg(long)]
    rounds: Option<usize>,
    /// Qubit layout of generated tasks (default standard; hadamard-prep runs on redundant-ghz-x,
    /// its default, or on redundant-ghz, and refuses any other).
    #[arg(long, value_enum)]
    layout: Option<LayoutName>,
    /// Noise model of generated tasks (default cn20).
    #[arg(long, value_enum)]
    noise: Option<NoiseName>,
    /// Physical error rates of generated tasks: a list (`1e-4,1e-3`) or a range
    /// START:STOP:logB (geometric, factor B: `1e-4:1e-2:log10`) or START:STOP:STEP; range
    /// values are rounded to the precision of START, STOP and STEP (default 1e-4,2e-4,5e-4,1e-3).
    #[arg(long)]
    p: Option<String>,
    /// CH models of `--task hadamard-prep` (comma separated; default exact): exact (the real CH
    /// and |H> on the exact engine, the accepted state scored exactly), twirl (Pauli frames, CH
    /// twirled as in Chamberland and Noh) or proxy (Clifford substitute, CH -> CX, |H> -> |+>).
    #[arg(long, value_enum, value_delimiter = ',')]
    ch_model: Vec<ChModelName>,
    /// `--task hadamard-prep`: `perfect` starts the checks from a perfect encoded |H>_L
    /// (injection and growth noiseless; rows carry `start=perfect`); default `injection`.
    #[arg(long, value_enum)]
    start: Option<StartName>,
    /// `--task hadamard-prep`: `growth` runs injection and growth only (rows carry
    /// `stage=growth`); default `all`.
    #[arg(long, value_enum)]
    stage: Option<StageName>,
    /// `mc`: plain Monte Carlo per p. `subset`: stratified by fault count (hadamard-prep only),
    /// one row per stratum k; the curve over every p is rebuilt from them (`plot`, the table).
    /// `screened`: subset with every stratum split by the Clifford proxy into the fault
    /// configurations whose postselected symptoms cancel and the rest, both sampled exactly
    /// (unbiased; shots go where accepted failures are; exact model only; configurations that
    /// fire a frame-linear detector, or whose first deciding item in the exact program's
    /// effect table is a postselected detector, are discarded without shots; rows carry
    /// "part", "screen",
    /// "certified" and "certificate"; 95% intervals; docs/hadamard-prep.md). Default: subset for
    /// hadamard-prep, mc otherwise.
    #[arg(long, value_enum)]
    method: Option<MethodName>,
    /// Largest fault count sampled by `--method subset` or `screened` (default: enough that
    /// more faults happen with probability < 1e-9 at the largest p, at most 64).
    #[arg(long)]
    max_faults: Option<usize>,
    /// `--method screened`: smallest stratum sampled (default 1). The strata below are left to
    /// another run with the same parameters (rows combine into one curve; until then they
    /// count as unknown, in [0, their weight]).
    #[arg(long)]
    min_faults: Option<usize>,
    /// `--method screened`: configurations drawn per stratum to measure the share that passes
    /// the proxy screen (default 1e7; no simulation, about 0.5 us each). A pass part runs at
    /// most 10 shots per configuration that passed.
    #[arg(long, value_parser = parse_count)]
    screen_draws: Option<u64>,
    /// `--method screened`: strata 1..=K (K = 1 or 2) computed exactly instead of sampled:
    /// every fault configuration that neither certificate discards with certainty is run
    /// once per branch of its dense measurement outcomes (rows with "part": "enumerated" and
    /// the stratum's exact "acceptance" and "failure"). Sampling then starts at K + 1 unless
    /// --min-faults says otherwise. One thread: k = 1 takes about a second at d = 7; k = 2 a
    /// second at d = 3, 2 minutes at d = 5 and about 5 CPU-hours at d = 7.
    #[arg(long)]
    enumerate: Option<usize>,
    /// Stim circuit files to sample; `key=value` pairs in a file name (comma separated, e.g.
    /// `d=5,p=0.001.stim`) become the task's metadata, as with sinter's `--metadata_func auto`.
    #[arg(long, num_args = 1..)]
    circuits: Vec<PathBuf>,
    /// Decoder: `postselect` (discard a shot when any detector fires; count observable flips
    /// among the rest), `lookup` (a table of every syndrome of up to --lookup-faults error
    /// mechanisms of the circuit's detector error model; other syndromes are discarded), `color`
    /// (flag-aware concatenated matching for colour codes, docs/color-decoder.md; never
    /// discards) or `hadamard-prep` (the |H> protocol's: discard when a body detector fires, decode the
    /// noiseless scoring tail, whose detectors have 4th coordinate -2). Default: hadamard-prep
    /// for circuits carrying those marks, postselect otherwise.
    #[arg(long)]
    decoder: Option<String>,
    /// Discard shots in which a flag detector (4th coordinate -1) fires; decode the others.
    #[arg(long, alias = "postselect_flags")]
    postselect_flags: bool,
    /// Discard shots whose complementary gap (dB; `--decoder color`) is below this. The gap
    /// histogram (`C<dB>` correct, `E<dB>` wrong) is recorded in `custom_counts` either way.
    #[arg(long, allow_hyphen_values = true)]
    gap_cut: Option<f64>,
    /// Error mechanisms the `lookup` decoder's table covers (default 1).
    #[arg(long)]
    lookup_faults: Option<usize>,
    /// Stop a task after this many shots (default 100000; 150000000 per stratum with --method
    /// subset, where strata of small weight get a proportional share, at least 2%).
    #[arg(long, value_parser = parse_count)]
    max_shots: Option<u64>,
    /// Stop a task once this many logical errors were seen (at least 1; `1e3` is accepted).
    #[arg(long, value_parser = parse_count)]
    max_errors: Option<u64>,
    /// Stop a task after this many seconds (wall clock, this run).
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Time budget of the whole sweep (wall clock, this run): each task stops at its end at
    /// the latest, and tasks after it are not sampled (with a warning; resume with
    /// --save-resume).
    #[arg(long)]
    max_total_seconds: Option<f64>,
    /// Worker threads (default: all cores; at most 1024).
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
    /// Also draw the statistics (`qec-sim plot`) to this .svg or .png (default job: plot.svg).
    #[arg(long)]
    plot: Option<PathBuf>,
}

impl SweepArgs {
    /// The task, with the default job's when neither --task nor --circuits is given.
    fn task(&self) -> Option<TaskName> {
        match (self.task, self.circuits.is_empty()) {
            (None, true) => Some(TaskName::HadamardPrep),
            (t, _) => t,
        }
    }

    fn method(&self) -> MethodName {
        self.method.unwrap_or(match self.task() {
            Some(TaskName::HadamardPrep) => MethodName::Subset,
            _ => MethodName::Mc,
        })
    }

    /// `--max-shots`, or its default: 1e5 for Monte Carlo; per heaviest stratum 1.5e8 for the
    /// frame models and 1e6 when the exact model is among the tasks (an exact shot costs about
    /// 100 frame shots).
    fn max_shots(&self) -> u64 {
        let exact = self.ch_models().contains(&ChModelName::Exact);
        self.max_shots.unwrap_or(match self.method() {
            MethodName::Screened => 1_000_000,
            MethodName::Subset if exact => 1_000_000,
            MethodName::Subset => 150_000_000,
            MethodName::Mc => 100_000,
        })
    }

    fn distances(&self) -> Vec<usize> {
        match self.distances.is_empty() {
            true => vec![3, 5],
            false => self.distances.clone(),
        }
    }

    fn noise(&self) -> NoiseName {
        self.noise.unwrap_or(NoiseName::Cn20)
    }

    /// The `--p` values, duplicates dropped with a warning.
    fn p_values(&self) -> Result<Vec<f64>> {
        let text = self.p.as_deref().unwrap_or("1e-4,2e-4,5e-4,1e-3");
        distinct_p_values(text)
    }

    fn ch_models(&self) -> Vec<ChModelName> {
        match self.ch_model.is_empty() {
            true => vec![ChModelName::Exact],
            false => self.ch_model.clone(),
        }
    }

    /// Refuses flags that the chosen tasks would silently ignore.
    fn check_flags(&self) -> Result<()> {
        let shaping = [
            ("--distances", !self.distances.is_empty()),
            ("--rounds", self.rounds.is_some()),
            ("--layout", self.layout.is_some()),
            ("--noise", self.noise.is_some()),
            ("--p", self.p.is_some()),
            ("--ch-model", !self.ch_model.is_empty()),
            ("--max-faults", self.max_faults.is_some()),
            ("--start", self.start.is_some()),
            ("--stage", self.stage.is_some()),
        ];
        let given = |names: &[&str]| {
            shaping
                .iter()
                .find(|(n, g)| *g && names.contains(n))
                .map(|(n, _)| *n)
        };
        let all: Vec<&str> = shaping.iter().map(|(n, _)| *n).collect();
        match self.task() {
            None => {
                if let Some(flag) = given(&all) {
                    bail!("{flag} shapes generated tasks (--task); it does nothing to --circuits files");
                }
            }
            Some(TaskName::HadamardPrep) => {
                if let Some(flag) = given(&["--rounds"]) {
                    bail!("{flag} does not apply to --task hadamard-prep (its rounds are fixed by the distance)");
                }
                if let Some(layout) = self.layout {
                    check_magic_layout(layout, "hadamard-prep")?;
                }
                if let Some(d) = self.decoder.as_deref().filter(|d| *d != "hadamard-prep") {
                    bail!("--task hadamard-prep is judged by its own decoder (hadamard-prep), not --decoder {d}");
                }
                if self.postselect_flags {
                    bail!("--postselect-flags does nothing with --task hadamard-prep: its decoder already discards on every flag");
                }
            }
            Some(task) => {
                if let Some(flag) = given(&["--ch-model", "--max-faults", "--start", "--stage"]) {
                    bail!(
                        "{flag} applies to --task hadamard-prep, not --task {}",
                        spelling(&task)
                    );
                }
                if self.decoder.as_deref() == Some("hadamard-prep") {
                    bail!(
                        "--decoder hadamard-prep judges the |H> preparation, not --task {}",
                        spelling(&task)
                    );
                }
            }
        }
        if self.max_faults.is_some() && self.method() == MethodName::Mc {
            bail!("--max-faults applies to --method subset or screened");
        }
        if self.screen_draws.is_some() && self.method() != MethodName::Screened {
            bail!("--screen-draws applies to --method screened");
        }
        if self.min_faults.is_some() && self.method() != MethodName::Screened {
            bail!("--min-faults applies to --method screened");
        }
        if let Some(min) = self.min_faults {
            if min == 0 || self.max_faults.is_some_and(|max| max < min) {
                bail!("--min-faults must be at least 1 and at most --max-faults");
            }
        }
        if let Some(k) = self.enumerate {
            if self.method() != MethodName::Screened {
                bail!("--enumerate applies to --method screened");
            }
            if !(1..=2).contains(&k) {
                bail!("--enumerate takes 1 or 2 (strata of more faults are sampled), got {k}");
            }
            if self.shard.is_some() {
                bail!("--enumerate cannot be split with --shard (run it in one process)");
            }
        }
        if self.screen_draws == Some(0) {
            bail!("--screen-draws must be at least 1");
        }
        if let Some(cut) = self.gap_cut {
            if !cut.is_finite() {
                bail!("--gap-cut must be a finite number of dB, got {cut}");
            }
            if self.decoder.as_deref() != Some("color") {
                bail!(
                    "--gap-cut applies to --decoder color (the decoder with a confidence output)"
                );
            }
        }
        if self.lookup_faults.is_some() && self.decoder.as_deref() != Some("lookup") {
            bail!("--lookup-faults applies to --decoder lookup");
        }
        if let Some(d) = self.decoder.as_deref() {
            if !matches!(d, "postselect" | "lookup" | "color" | "hadamard-prep") {
                bail!(
                    "unknown decoder '{d}' (available: postselect, lookup, color, hadamard-prep)"
                );
            }
        }
        Ok(())
    }

    fn plot_path(&self) -> Option<PathBuf> {
        match (&self.plot, self.task, self.circuits.is_empty()) {
            (Some(p), _, _) => Some(p.clone()),
            (None, None, true) => Some(PathBuf::from("plot.svg")),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum MethodName {
    Mc,
    Subset,
    Screened,
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
/// a name without pairs gives {"circuit": stem}. Also returns the parts of a name with pairs
/// that are not `key=value` (they are dropped, so the caller can say so).
pub fn metadata_from_path(path: &Path) -> (Value, Vec<String>) {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut map = Map::new();
    let mut dropped = Vec::new();
    for part in stem.split(',') {
        if let Some((k, v)) = part.split_once('=') {
            let value = serde_json::from_str::<Value>(v)
                .ok()
                .filter(|v| v.is_number())
                .unwrap_or_else(|| Value::String(v.to_string()));
            map.insert(k.to_string(), value);
        } else {
            dropped.push(part.to_string());
        }
    }
    if map.is_empty() {
        map.insert("circuit".into(), Value::String(stem));
        dropped.clear();
    }
    (Value::Object(map), dropped)
}

/// Warnings about a circuit file of a sweep: parts of its name left out of the metadata, and
/// circuits in which no shot can ever count as a logical error.
fn circuit_warnings(loaded: &Loaded, dropped: &[String]) -> Vec<String> {
    let name = &loaded.name;
    let mut out = Vec::new();
    if !dropped.is_empty() {
        out.push(format!(
            "{name}: the file name parts '{}' are not key=value pairs and are left out of the metadata",
            dropped.join("', '")
        ));
    }
    let stats = loaded.circuit.stats();
    if loaded.circuit.items.is_empty() {
        out.push(format!(
            "{name}: the circuit is empty; every shot counts as kept without a logical error"
        ));
    } else if stats.num_observables == 0 {
        out.push(format!(
            "{name}: the circuit has no OBSERVABLE_INCLUDE; no shot can count as a logical error"
        ));
    }
    out
}

/// Most values a `--p` range may give.
const MAX_P_VALUES: usize = 1000;

/// Decimal places a number is written with: `1e-4` -> 4, `2.5e-4` -> 5, `0.1` -> 1.
fn decimal_places(text: &str) -> i32 {
    let text = text.trim().to_ascii_lowercase();
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let fraction = mantissa.split_once('.').map_or(0, |(_, f)| f.len() as i32);
    (fraction - exponent.parse::<i32>().unwrap_or(0)).max(0)
}

/// Parses `--p`: a comma list, or START:STOP:logB (multiply by B) or START:STOP:STEP (add STEP);
/// every value must lie in (0, 0.5]. Range values are rounded to the decimal places of START,
/// STOP and STEP (12 significant digits for logB), so 1e-4:1e-3:1e-4 gives 3e-4, not
/// 0.00030000000000000003; a range of more than 1000 values is refused.
pub fn parse_p_values(text: &str) -> Result<Vec<f64>, String> {
    let number = |t: &str| -> Result<f64, String> {
        t.trim()
            .parse::<f64>()
            .map_err(|_| format!("--p: '{t}' is not a number"))
    };
    let values: Vec<f64> = match text.split(':').collect::<Vec<_>>()[..] {
        [start_text, stop_text, step] => {
            let (start, stop) = (number(start_text)?, number(stop_text)?);
            if start.is_nan() || stop.is_nan() || start > stop {
                return Err(format!("--p range {text}: START must not exceed STOP"));
            }
            let value: Box<dyn Fn(i32) -> f64> = match step.strip_prefix("log") {
                Some(base) => {
                    let b = number(base)?;
                    if b.is_nan() || b <= 1.0 {
                        return Err(format!("--p range {text}: logB needs B > 1"));
                    }
                    Box::new(move |i| {
                        let x = start * b.powi(i);
                        format!("{x:.11e}").parse().unwrap_or(x)
                    })
                }
                None => {
                    let s = number(step)?;
                    if s.is_nan() || s <= 0.0 {
                        return Err(format!("--p range {text}: STEP must be positive"));
                    }
                    let places = [start_text, stop_text, step]
                        .map(decimal_places)
                        .into_iter()
                        .max()
                        .unwrap_or(0) as usize;
                    Box::new(move |i| {
                        let x = start + f64::from(i) * s;
                        format!("{x:.places$}").parse().unwrap_or(x)
                    })
                }
            };
            let mut out = Vec::new();
            for i in 0.. {
                let x = value(i);
                if x > stop * (1.0 + 1e-9) || !x.is_finite() {
                    break;
                }
                if out.len() == MAX_P_VALUES {
                    return Err(format!(
                        "--p range {text} has more than {MAX_P_VALUES} values; use a coarser step"
                    ));
                }
                out.push(x);
            }
            out
        }
        [_] => text.split(',').map(number).collect::<Result<_, _>>()?,
        _ => {
            return Err(format!(
                "--p: '{text}' is neither a list nor START:STOP:STEP"
            ))
        }
    };
    if values.is_empty() {
        return Err("--p: no values".into());
    }
    match values.iter().find(|&&p| p.is_nan() || p <= 0.0 || p > 0.5) {
        Some(p) => Err(format!("--p: {p} is outside (0, 0.5]")),
        None => Ok(values),
    }
}

/// [`parse_p_values`], with repeated values (`1e-3,0.001`) dropped and said: each would be
/// the same task, sampled twice with the same random streams.
pub fn distinct_p_values(text: &str) -> Result<Vec<f64>> {
    let all = parse_p_values(text).map_err(|e| anyhow!(e))?;
    let mut out: Vec<f64> = Vec::new();
    for p in all {
        if out.contains(&p) {
            eprintln!("warning: --p lists {p} more than once; it is used once");
        } else {
            out.push(p);
        }
    }
    Ok(out)
}

/// The |H> preparation tasks: per distance and CH model, one task per p or per stratum; and
/// the rows of the strata `--enumerate` computes exactly (none without it).
fn prep_tasks(args: &SweepArgs) -> Result<(Vec<SweepTask>, Vec<TaskStats>)> {
    let ps = args.p_values()?;
    let model = noise_model(args.noise(), ps.iter().copied().fold(0.0, f64::max))?
        .ok_or_else(|| anyhow!("generated tasks need a --noise model (not none)"))?;
    let method = match args.method() {
        MethodName::Mc => Method::MonteCarlo,
        MethodName::Subset => Method::Subset {
            max_faults: args.max_faults,
        },
        MethodName::Screened => Method::Screened {
            min_faults: args.min_faults.unwrap_or(args.enumerate.unwrap_or(0) + 1),
            max_faults: args.max_faults,
            screen_draws: args.screen_draws.unwrap_or(10_000_000),
        },
    };
    let mut tasks = Vec::new();
    let mut enumerated = Vec::new();
    // Every distance is checked before the first (possibly long) layout is built.
    let CodeName::Color666 = args.code;
    let layout = args.layout.unwrap_or(HADAMARD_LAYOUT);
    args.distances().into_iter().try_for_each(check_distance)?;
    for d in args.distances() {
        let stages = prep_stages(args.task(), args.start, args.stage)?;
        let prep =
            HadamardPrep::staged_on(d, layout_kind(layout), stages).map_err(|e| anyhow!(e))?;
        for ch in args.ch_models() {
            let mut base = json!({
                "task": "hadamard-prep",
                "code": spelling(&args.code),
                "layout": spelling(&layout),
                "noise": spelling(&args.noise()),
            });
            match stages {
                Stages::Whole => {}
                Stages::PerfectStart => base["start"] = json!("perfect"),
                Stages::Growth => base["stage"] = json!("growth"),
            }
            tasks.extend(hadamard_prep_tasks(
                &prep,
                ch.model(),
                &model,
                &ps,
                method,
                &base,
            )?);
            if let Some(k) = args.enumerate {
                let threads = threads(args.threads)?;
                enumerated.extend(enumerated_rows(&prep, &model, &ps, k, threads, &base)?);
            }
        }
    }
    Ok((tasks, enumerated))
}

/// The generated tasks' circuits with their metadata.
fn generated_circuits(args: &SweepArgs, task: TaskName) -> Result<Vec<(Circuit, Value)>> {
    let ps = args.p_values()?;
    let model = noise_model(args.noise(), ps.iter().copied().fold(0.0, f64::max))?
        .ok_or_else(|| anyhow!("generated tasks need a --noise model (not none)"))?;
    let layout_name = args.layout.unwrap_or(LayoutName::Standard);
    let mut out = Vec::new();
    let mut bytes = 0u64;
    for d in args.distances() {
        let layout = layout_for(args.code, d, layout_name)?;
        let rounds = args.rounds.unwrap_or(d);
        if rounds == 0 {
            bail!("--rounds must be at least 1");
        }
        let memory = task.task().ok_or_else(|| {
            anyhow!("--task {} cannot be swept yet (it has no detectors or observable; the full magic-state protocol comes with issue 5)", spelling(&task))
        })?;
        // Every task's circuit is held at once (one per p), before any is sampled.
        let one = memory_circuit_bytes(&layout, memory, rounds, Some((&model, ps[0])));
        bytes = bytes.saturating_add(one.saturating_mul(ps.len() as u64));
        check_circuit_bytes(
            bytes,
            &format!("the generated tasks (up to d = {d}, {rounds} rounds)"),
        )?;
    }
    for d in args.distances() {
        let layout = layout_for(args.code, d, layout_name)?;
        let rounds = args.rounds.unwrap_or(d);
        let memory = task.task().expect("checked above");
        let clean = memory_circuit(&layout, memory, rounds).circuit;
        for &p in &ps {
            let meta = json!({
                "task": spelling(&task),
                "code": spelling(&args.code),
                "layout": spelling(&layout_name),
                "noise": spelling(&args.noise()),
                "d": d,
                "rounds": rounds,
                "p": p,
            });
            out.push((model.apply(&clean, p), meta));
        }
    }
    Ok(out)
}

pub fn sweep(args: &SweepArgs) -> Result<()> {
    if args.max_shots() == 0 {
        bail!("--max-shots must be at least 1");
    }
    if args.max_errors == Some(0) {
        bail!("--max-errors must be at least 1 (leave it out to stop on shots alone)");
    }
    if let Some(s) = args.max_seconds.filter(|s| !(s.is_finite() && *s > 0.0)) {
        bail!("--max-seconds must be a positive number, got {s}");
    }
    if let Some(s) = args
        .max_total_seconds
        .filter(|s| !(s.is_finite() && *s > 0.0))
    {
        bail!("--max-total-seconds must be a positive number, got {s}");
    }
    if args.method() != MethodName::Mc && args.task() != Some(TaskName::HadamardPrep) {
        bail!(
            "--method {} needs --task hadamard-prep",
            spelling(&args.method())
        );
    }
    args.check_flags()?;
    let decoder = DecoderSpec {
        name: args.decoder.clone().unwrap_or("postselect".into()),
        postselect_flags: args.postselect_flags,
        lookup_faults: args.lookup_faults.unwrap_or(1),
        gap_cut: args.gap_cut,
    };
    let mut tasks = args
        .circuits
        .iter()
        .map(|path| file_task(path, args.decoder.as_deref(), &decoder))
        .collect::<Result<Vec<_>>>()?;
    let mut enumerated = Vec::new();
    if args.task() == Some(TaskName::HadamardPrep) {
        let (prep, rows) = prep_tasks(args)?;
        tasks.extend(prep);
        enumerated = rows;
    } else if let Some(task) = args.task() {
        for (circuit, meta) in generated_circuits(args, task)? {
            let what = short_metadata(&meta);
            tasks.push(
                SweepTask::new(circuit, &decoder, meta).map_err(|e| anyhow!("{what}: {e:#}"))?,
            );
        }
    }
    let rule = StopRule {
        max_shots: args.max_shots(),
        max_errors: args.max_errors,
        max_seconds: args.max_seconds,
    };
    let config = RunConfig {
        seed: seed(args.seed),
        threads: threads(args.threads)?,
        shard: args.shard.unwrap_or(Shard::WHOLE),
        max_round_batches: 64,
    };
    let tasks = crate::sweep::distinct_tasks(tasks, &mut |w| eprintln!("warning: {w}"));
    crate::interrupt::stop_between_rounds();
    let mut out = Output::create(Some(&args.out))?;
    let mut rows = run_sweep_within(
        &tasks,
        &rule,
        &config,
        args.save_resume.as_deref(),
        args.max_total_seconds,
        &mut |w| eprintln!("warning: {w}"),
    )?;
    rows.extend(enumerated);
    write_rows(&mut out, &rows)?;
    let mut wrote = vec![wrote_file(&args.out)];
    out.finish()?;
    print!("{}", results_table(&rows));
    if let Some(path) = args.plot_path() {
        wrote.push(wrote_file(&path));
        // The |H> task's curves name their CH model, also when only one is drawn.
        let groups: Vec<String> = match args.task() {
            Some(TaskName::HadamardPrep) => vec!["d".into(), "ch_model".into()],
            _ => vec!["d".into()],
        };
        let fits = crate::sweep::plot::plot_stats(&rows, "p", &groups, &path)?;
        print_fits(&fits, "p");
    }
    println!("wrote {}", wrote.join(" and "));
    Ok(())
}

/// `NAME`, or `NAME (replacing the earlier NAME)` when a file of that name exists now, about
/// to be overwritten.
fn wrote_file(path: &Path) -> String {
    if path.as_os_str() == "-" {
        return "standard output".into();
    }
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => format!("{} (replacing the earlier one)", path.display()),
        _ => path.display().to_string(),
    }
}

/// The task of one circuit file: the |H> protocol's decoder when the file carries its
/// scoring-tail marks (unless another decoder is asked for), else `decoder`.
fn file_task(path: &Path, asked: Option<&str>, decoder: &DecoderSpec) -> Result<SweepTask> {
    let loaded = Loaded::read(Some(path))?;
    let name = &loaded.name;
    let marked = marked_prep(&loaded.circuit).map_err(|e| anyhow!("{name}: {e:#}"))?;
    let (meta, dropped) = metadata_from_path(path);
    for w in circuit_warnings(&loaded, &dropped) {
        eprintln!("warning: {w}");
    }
    match (marked, asked) {
        (Some(prep), None | Some("hadamard-prep")) => {
            if decoder.postselect_flags {
                bail!("--postselect-flags does nothing with the hadamard-prep decoder ({name}): it already discards on every flag");
            }
            crate::reference::check_deterministic(&prep.clifford(&loaded.circuit))
                .map_err(|e| loaded.blame(e))?;
            prep.task(loaded.circuit, meta)
                .map_err(|e| anyhow!("{name}: {e:#}"))
        }
        (None, Some("hadamard-prep")) => bail!(
            "{name}: --decoder hadamard-prep needs the protocol's scoring-tail detectors (4th coordinate {TAIL_COORD}), as `qec-sim gen --task hadamard-prep` writes them"
        ),
        (marked, _) => {
            if marked.is_some() {
                eprintln!("warning: {name} carries the hadamard-prep scoring tail (4th coordinate {TAIL_COORD}); --decoder {} treats its noiseless checks as ordinary detectors", decoder.name);
            }
            // Non-Clifford circuits are checked by the exact engine as it compiles them.
            if loaded.circuit.first_non_clifford().is_none() {
                crate::reference::check_deterministic(&loaded.circuit)
                    .map_err(|e| loaded.blame(e))?;
            }
            SweepTask::new(loaded.circuit, decoder, meta).map_err(|e| anyhow!("{name}: {e:#}"))
        }
    }
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
    /// Metadata keys that name the curves (comma separated, e.g. `d,ch_model`); any other
    /// key that differs between rows also separates curves and is shown in the legend.
    #[arg(long, value_delimiter = ',', default_value = "d")]
    group: Vec<String>,
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
    print!("{}", results_table(&rows));
    print_fits(&fits, &args.x);
    Ok(())
}

#[derive(Args, Debug)]
pub struct ChModelsArgs {
    /// Distance.
    #[arg(long, short = 'd', default_value_t = 3)]
    distance: usize,
    /// Physical error rates (list or range, as for sweep).
    #[arg(long, default_value = "1e-4,2e-4,5e-4,1e-3")]
    p: String,
    /// Exact-engine shots for the heaviest stratum (lighter strata get fewer, at least 2%, as in
    /// `sweep --method subset`). Few shots are accepted and fail (about 0.4% at k = 2, d = 3):
    /// at 1e6 shots the exact infidelity is good to a few percent at d = 3.
    #[arg(long, default_value_t = 1_000_000, value_parser = parse_count_usize)]
    exact_shots: usize,
    /// Largest stratum of the exact model.
    #[arg(long, default_value_t = 5)]
    exact_max_faults: usize,
    /// Frame-sampler shots per stratum (twirl, proxy).
    #[arg(long, default_value_t = 20_000_000, value_parser = parse_count)]
    frame_shots: u64,
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long)]
    threads: Option<usize>,
}

/// `qec-sim ch-models`: the three-model table (Markdown) on standard output.
pub fn ch_models(args: &ChModelsArgs) -> Result<()> {
    let ps = distinct_p_values(&args.p)?;
    if args.exact_max_faults < 1 || args.exact_shots < 2 || args.frame_shots < 1 {
        bail!(
            "--exact-max-faults and --frame-shots must be at least 1 and --exact-shots at least 2"
        );
    }
    let threads = threads(args.threads)?;
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .ok();
    let effort = crate::sweep::models::Effort {
        exact_shots: args.exact_shots,
        exact_max_faults: args.exact_max_faults,
        frame_shots: args.frame_shots,
        seed: seed(args.seed),
        threads,
    };
    let noise = crate::noise::NoiseModel::named("cn20").expect("shipped model");
    let rows = crate::sweep::models::compare_models(args.distance, &noise, &ps, &effort)?;
    print!("{}", crate::sweep::models::markdown(&rows));
    Ok(())
}

fn print_fits(fits: &[crate::sweep::plot::PowerLaw], x: &str) {
    for f in fits {
        println!(
            "{}: error rate ~ {} {x}^{:.2} (least squares in log-log over {} points)",
            f.group,
            crate::sweep::plot::significant(f.a, 3),
            f.k,
            f.points
        );
    }
}

#[cfg(test)]
mod tests {
    use super::parse_p_values;

    #[test]
    fn p_values_parse_as_lists_and_ranges() {
        assert_eq!(parse_p_values("1e-4,2e-4").unwrap(), vec![1e-4, 2e-4]);
        let decades = parse_p_values("1e-4:1e-2:log10").unwrap();
        assert_eq!(decades.len(), 3);
        assert!((decades[2] - 1e-2).abs() < 1e-15);
        assert_eq!(parse_p_values("0.1:0.3:0.1").unwrap(), vec![0.1, 0.2, 0.3]);
        assert_eq!(parse_p_values("1e-4:1e-3:1e-4").unwrap()[2], 3e-4);
        assert_eq!(parse_p_values("2.5e-4:1e-3:2.5e-4").unwrap()[2], 7.5e-4);
        assert_eq!(
            parse_p_values("1e-5:1e-1:log10").unwrap(),
            vec![1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
        );
        assert_eq!(parse_p_values("1e-4:0.1:1e-4").unwrap().len(), 1000);
        assert!(parse_p_values("1e-4:0.1001:1e-4").is_err());
        for bad in [
            "0",
            "0.6",
            "x",
            "1e-2:1e-3:log10",
            "1e-3:1e-2:log1",
            "1e-3:1e-2:0",
            "1:2:3:4",
        ] {
            assert!(parse_p_values(bad).is_err(), "{bad}");
        }
    }
}
