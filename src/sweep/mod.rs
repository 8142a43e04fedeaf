//! Monte Carlo sweeps: a list of tasks, each sampled until its stopping rule, with statistics in
//! sinter's CSV layout that can be resumed, sharded and combined.

pub mod engine;
pub mod fit;
pub mod interrupt;
pub mod models;
pub mod plot;
pub mod resume;
pub mod stats;
pub mod subset;
pub mod tasks;

pub use engine::{run_task, DecoderSpec, RunConfig, Shard, StopRule, Stratum, SweepTask};
pub use stats::{combine, parse_stats, TaskStats, CSV_HEADER};

use anyhow::Result;
use fit::fit_binomial;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use resume::ResumeLog;
use std::path::Path;

/// Runs every task, appending rounds to the resume file (if any) and counting rows already
/// there; returns one combined row per task.
pub fn run_sweep(
    tasks: &[SweepTask],
    rule: &StopRule,
    config: &RunConfig,
    resume_path: Option<&Path>,
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
    let mut results = Vec::new();
    for task in tasks {
        let rule = &task.rule(rule);
        let start = prior
            .iter()
            .find(|row| row.strong_id == task.strong_id)
            .cloned()
            .unwrap_or_else(|| task.empty_stats());
        let bar = bars.add(progress_bar(task, rule));
        bar.set_position(start.shots.min(rule.max_shots));
        let total = run_task(task, rule, config, start, |row, total| -> Result<()> {
            if let Some(log) = log.as_mut() {
                log.append(row)?;
            }
            bar.set_position(total.shots.min(rule.max_shots));
            bar.set_message(progress_message(total));
            Ok(())
        })?;
        bar.finish_with_message(progress_message(&total));
        if interrupt::requested() {
            let saved = match resume_path {
                Some(p) => format!(
                    "finished rounds are saved in {}; run the same command again to continue",
                    p.display()
                ),
                None => "nothing was saved (use --save-resume FILE to keep partial runs)".into(),
            };
            anyhow::bail!("interrupted by Ctrl-C; {saved}");
        }
        results.push(total);
    }
    Ok(results)
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
        let discard = if r.shots == 0 {
            0.0
        } else {
            r.discards as f64 / r.shots as f64
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
