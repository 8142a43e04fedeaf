//! Progress of long work. On a terminal, indicatif's bars (drawn by the callers); otherwise (a
//! batch job's log, a pipe) a [`Ticker`] says when to print a plain progress line: every 10 s,
//! or every `QEC_SIM_PROGRESS_SECONDS` seconds (0: at every opportunity).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Seconds between plain progress lines unless `QEC_SIM_PROGRESS_SECONDS` says otherwise.
pub const DEFAULT_INTERVAL_SECONDS: f64 = 10.0;

/// Paces plain progress lines; exists only when standard error is not a terminal.
pub struct Ticker {
    every: Duration,
    last: Instant,
    start: Instant,
}

impl Ticker {
    /// A ticker, or None when standard error is a terminal (bars are drawn there instead).
    pub fn for_stderr() -> Option<Ticker> {
        if std::io::stderr().is_terminal() {
            return None;
        }
        let seconds = std::env::var("QEC_SIM_PROGRESS_SECONDS")
            .ok()
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(DEFAULT_INTERVAL_SECONDS);
        let now = Instant::now();
        Some(Ticker {
            every: Duration::from_secs_f64(seconds),
            last: now,
            start: now,
        })
    }

    /// True (and the clock restarts) when a line is due.
    pub fn due(&mut self) -> bool {
        if self.last.elapsed() >= self.every {
            self.last = Instant::now();
            true
        } else {
            false
        }
    }

    /// Seconds since the ticker was made.
    pub fn elapsed(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// Progress through a known number of steps of uneven cost (e.g. `estimate`'s comparisons):
/// a bar on a terminal, else a plain line when one is due, with a time left extrapolated from
/// the steps done.
pub struct Steps {
    bar: indicatif::ProgressBar,
    ticker: Option<Ticker>,
    what: &'static str,
    done: u64,
    total: u64,
    /// Steps done before the progress began (not counted in the rate).
    before: u64,
}

impl Steps {
    pub fn new(what: &'static str, total: u64) -> Steps {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} {bar:20} {pos}/{len}, eta {eta} {msg}",
            )
            .expect("valid template"),
        );
        bar.set_prefix(what);
        Steps {
            bar,
            ticker: Ticker::for_stderr(),
            what,
            done: 0,
            total,
            before: 0,
        }
    }

    /// Progress shown from the middle of the work: `done` of `total` steps already done.
    pub fn resume(what: &'static str, total: u64, done: u64) -> Steps {
        let mut steps = Steps::new(what, total);
        steps.done = done;
        steps.before = done;
        steps.bar.set_position(done);
        steps
    }

    /// One more step done; `note` says which.
    pub fn step(&mut self, note: &str) {
        self.advance(1, note);
    }

    /// `n` more steps done; `note` says which.
    pub fn advance(&mut self, n: u64, note: &str) {
        self.done += n;
        self.bar.inc(n);
        self.bar.set_message(note.to_string());
        if let Some(t) = self.ticker.as_mut() {
            if t.due() {
                let elapsed = t.elapsed();
                let rate = (self.done - self.before) as f64 / elapsed;
                let left = (self.total - self.done) as f64 / rate;
                eprintln!(
                    "progress: {}: {} of {} done ({note}), {} elapsed, ~{} left",
                    self.what,
                    self.done,
                    self.total,
                    human_seconds(elapsed),
                    human_seconds(left)
                );
            }
        }
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

/// A duration for people: `45s`, `3m12s`, `2h05m`; `?` when unknown (infinite or NaN).
pub fn human_seconds(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".into();
    }
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::human_seconds;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(human_seconds(44.6), "45s");
        assert_eq!(human_seconds(192.0), "3m12s");
        assert_eq!(human_seconds(7500.0), "2h05m");
        assert_eq!(human_seconds(f64::INFINITY), "?");
    }
}
