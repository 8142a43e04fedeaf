//! Monte Carlo sweeps: a list of tasks, each sampled until its stopping rule, with statistics in
//! sinter's CSV layout that can be resumed, sharded and combined.

pub mod engine;
pub mod enumerate;
pub mod fit;
pub mod models;
pub mod plot;
pub mod resume;
pub mod rows;
pub mod screen;
pub mod stats;
pub mod subset;
pub mod tasks;

pub use engine::{
    run_task, DecoderSpec, Engine, FlagsFirst, RunConfig, Shard, StopRule, Stratum, SweepTask,
};
pub use stats::{combine, parse_stats, TaskStats, CSV_HEADER};

use anyhow::Result;
use fit::fit_binomial;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use resume::ResumeLog;
use std::path::Path;
use std::time::Instant;

/// Runs every task, appending rounds to the resume file (if any) and counting rows already
/// there; returns one combined row per task.
pub fn run_sweep(
    tasks: &[SweepTask],
    rule: &StopRule,
    config: &RunConfig,
    resume_path: Option<&Path>,
    warn: &mut dyn FnMut(String),
) -> Result<Vec<TaskStats>> {
    run_sweep_within(tasks, rule, config, resume_path, None, warn)
}

/// [`run_sweep`] within a time budget for the whole sweep (`--max-total-seconds`): each task
/// stops at the budget's end at the latest, and tasks after that are not sampled (no row,
/// unless the resume file already had one); a warning says so.
pub fn run_sweep_within(
    tasks: &[SweepTask],
    rule: &StopRule,
    config: &RunConfig,
    resume_path: Option<&Path>,
    total_seconds: Option<f64>,
    warn: &mut dyn FnMut(String),
) -> Result<Vec<TaskStats>> {
    let (mut log, prior_rows) = match resume_path {
        Some(path) => {
            let (log, recovered) = ResumeLog::open(path)?;
            if let Some(w) = recovered.warning {
                warn(w);
            }
            (Some(log), recovered.rows)
        }
        None => (None, Vec::new()),
    };
    let prior = combine(prior_rows);
    let unmatched = prior
        .iter()
        .filter(|row| !tasks.iter().any(|t| t.strong_id == row.strong_id))
        .count();
    if unmatched > 0 {
        warn(format!(
            "{unmatched} task(s) in the resume file are not part of this sweep (other parameters or an older qec-sim); they are kept but not counted"
        ));
    }
    let bars = MultiProgress::new();
    let mut ticker = crate::progress::Ticker::for_stderr();
    let sweep_start = Instant::now();
    let mut results = Vec::new();
    for (i, task) in tasks.iter().enumerate() {
        let mut rule = task.rule(rule);
        let start = prior
            .iter()
            .find(|row| row.strong_id == task.strong_id)
            .cloned()
            .unwrap_or_else(|| task.empty_stats());
        if let Some(budget) = total_seconds {
            let left = budget - sweep_start.elapsed().as_secs_f64();
            if left <= 0.0 {
                warn(budget_warning(budget, tasks.len() - i, resume_path));
                results.extend(
                    prior
                        .iter()
                        .filter(|r| tasks[i..].iter().any(|t| t.strong_id == r.strong_id))
                        .cloned(),
                );
                break;
            }
            rule.max_seconds = Some(rule.max_seconds.map_or(left, |s| s.min(left)));
        }
        let rule = &rule;
        let bar = bars.add(progress_bar(task, rule));
        bar.set_position(start.shots.min(rule.max_shots));
        let what = format!("task {} of {}", i + 1, tasks.len());
        let mut line = PlainProgress::new(&start, rule);
        let total = run_task(task, rule, config, start, |row, total| -> Result<()> {
            if let Some(log) = log.as_mut() {
                log.append(row)?;
            }
            bar.set_position(total.shots.min(rule.max_shots));
            bar.set_message(progress_message(total));
            if let Some(t) = ticker.as_mut() {
                if t.due() {
                    eprintln!("{}", line.line(&what, task, total, t.elapsed()));
                }
            }
            Ok(())
        })?;
        bar.finish_with_message(progress_message(&total));
        if let Some(t) = ticker.as_ref() {
            line.finished = true;
            eprintln!("{}", line.line(&what, task, &total, t.elapsed()));
        }
        if crate::interrupt::requested() {
            let saved = match resume_path {
                Some(p) => format!(
                    "finished rounds are saved in {}; run the same command again to continue",
                    p.display()
                ),
                None => "nothing was saved (use --save-resume FILE to keep partial runs)".into(),
            };
            anyhow::bail!("interrupted (Ctrl-C or SIGTERM); {saved}");
        }
        results.push(total);
    }
    Ok(results)
}

/// The warning when `--max-total-seconds` ran out with `left` tasks not sampled.
fn budget_warning(budget: f64, left: usize, resume_path: Option<&Path>) -> String {
    let again = match resume_path {
        Some(p) => format!(
            "run the same command again to continue from {}",
            p.display()
        ),
        None => "use --save-resume FILE to continue in a later run".into(),
    };
    format!("--max-total-seconds {budget}: the time budget ran out; {left} task(s) were not sampled ({again})")
}

/// A plain progress line for logs: shots, errors, rate and time left of one task.
struct PlainProgress {
    /// Counts before this run (from the resume file).
    prior_shots: u64,
    prior_errors: u64,
    rule: StopRule,
    started: Instant,
    finished: bool,
}

impl PlainProgress {
    fn new(prior: &TaskStats, rule: &StopRule) -> PlainProgress {
        PlainProgress {
            prior_shots: prior.shots,
            prior_errors: prior.errors,
            rule: *rule,
            started: Instant::now(),
            finished: false,
        }
    }

    fn line(&self, what: &str, task: &SweepTask, total: &TaskStats, sweep_seconds: f64) -> String {
        use crate::progress::human_seconds;
        let seconds = self.started.elapsed().as_secs_f64();
        let shots = total.shots.saturating_sub(self.prior_shots) as f64;
        let errors = total.errors.saturating_sub(self.prior_errors) as f64;
        let rate = shots / seconds.max(1e-9);
        let state = if self.finished {
            "done".to_string()
        } else {
            // The first stopping rule to be met, at this run's rates.
            let by_shots = self.rule.max_shots.saturating_sub(total.shots) as f64 / rate;
            let by_errors = match self.rule.max_errors {
                Some(m) if errors > 0.0 => m.saturating_sub(total.errors) as f64 * seconds / errors,
                _ => f64::INFINITY,
            };
            let by_time = self.rule.max_seconds.map_or(f64::INFINITY, |m| m - seconds);
            let left = by_shots.min(by_errors).min(by_time).max(0.0);
            format!("~{} left", human_seconds(left))
        };
        let errors_of = match self.rule.max_errors {
            Some(m) => format!("{}/{m}", total.errors),
            None => total.errors.to_string(),
        };
        format!(
            "progress: {what} ({}): {}/{} shots, {errors_of} errors, {} discards, {:.3e} shots/s, {state}; sweep {}",
            short_metadata(&task.json_metadata),
            total.shots,
            self.rule.max_shots,
            total.discards,
            rate,
            human_seconds(sweep_seconds)
        )
    }
}

fn progress_bar(task: &SweepTask, rule: &StopRule) -> ProgressBar {
    let bar = ProgressBar::new(rule.max_shots);
    bar.set_style(
        ProgressStyle::with_template("{prefix} {bar:20} {pos}/{len} shots, eta {eta} {msg}")
            .expect("valid template"),
    );
    bar.set_prefix(short_metadata(&task.json_metadata));
    bar
}

fn progress_message(stats: &TaskStats) -> String {
    let f = fit_binomial(stats.errors, stats.kept(), 1000.0);
    format!(
        "errors {} discards {} rate {:.2e} [{:.2e}, {:.2e}]",
        stats.errors, stats.discards, f.best, f.low, f.high
    )
}

/// Metadata as `k=v` pairs, for progress lines and tables.
pub fn short_metadata(meta: &serde_json::Value) -> String {
    match meta.as_object() {
        Some(map) => map
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "fault_classes" | "p_values"))
            .map(|(k, v)| match v.as_str() {
                Some(s) => format!("{k}={s}"),
                None => format!("{k}={v}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        None => meta.to_string(),
    }
}

/// A plain-text table of results: shots, errors, discards, error rate per kept shot with its
/// likelihood-ratio interval (factor 1000), discard rate.
pub fn results_table(rows: &[TaskStats]) -> String {
    let mut out = format!(
        "{:>10} {:>8} {:>10} {:>10} {:>23} {:>9}  {}\n",
        "shots", "errors", "discards", "error/kept", "interval (x1000 LR)", "discard", "task"
    );
    for r in rows {
        let f = fit_binomial(r.errors, r.kept(), 1000.0);
        let mut discard = if r.shots == 0 {
            0.0
        } else {
            r.discards as f64 / r.shots as f64
        };
        // A stratum computed exactly: its exact rates (interval: the unresolved probability).
        let f = match screen::enumerated_values(&r.json_metadata) {
            Ok((acceptance, failure, unresolved)) if acceptance > 0.0 => {
                discard = 1.0 - acceptance;
                fit::RateFit {
                    best: failure / acceptance,
                    low: failure / acceptance,
                    high: ((failure + unresolved) / acceptance).min(1.0),
                }
            }
            _ => f,
        };
        out.push_str(&format!(
            "{:>10} {:>8} {:>10} {:>10.3e} [{:>9.2e}, {:>9.2e}] {:>9.4}  {} {}\n",
            r.shots,
            r.errors,
            r.discards,
            f.best,
            f.low,
            f.high,
            discard,
            r.decoder,
            short_metadata(&r.json_metadata)
        ));
    }
    if let Ok(curves) = subset::subset_curves(rows) {
        for c in curves {
            out.push_str(&format!(
                "\nrebuilt from strata: {} {}\n{:>10} {:>30} {:>34} {:>10}\n",
                c.decoder,
                short_metadata(&c.metadata),
                "p",
                "acceptance [interval]",
                "error per accepted [interval]",
                "unsampled"
            ));
            for pt in c.points {
                out.push_str(&format!(
                    "{:>10.2e} {:>9.4} [{:>8.4}, {:>8.4}] {:>10.3e} [{:>9.2e}, {:>9.2e}] {:>10.1e}\n",
                    pt.p,
                    pt.acceptance.value,
                    pt.acceptance.low,
                    pt.acceptance.high,
                    pt.logical.value,
                    pt.logical.low,
                    pt.logical.high,
                    pt.unsampled
                ));
            }
        }
    }
    out
}

/// Drops tasks whose strong id repeats an earlier task's (the same circuit file named twice,
/// overlapping globs, a repeated parameter), saying so: they would draw the same random streams
/// and `combine` would count the same shots twice.
pub fn distinct_tasks(tasks: Vec<SweepTask>, warn: &mut dyn FnMut(String)) -> Vec<SweepTask> {
    let mut out: Vec<SweepTask> = Vec::new();
    for task in tasks {
        if out.iter().any(|t| t.strong_id == task.strong_id) {
            warn(format!(
                "task {} ({}) is listed more than once; it is sampled once",
                short_metadata(&task.json_metadata),
                task.decoder_label
            ));
        } else {
            out.push(task);
        }
    }
    out
}
