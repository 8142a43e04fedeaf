//! Batches of one task run by long-lived workers and folded, in batch order, into rows.
//!
//! Each worker thread builds its simulator once and pulls batch numbers from a shared counter
//! until told to stop. Finished batches are folded in batch order into rows of 1, 2, 4, ...
//! batches (up to a cap), and the stopping rule is checked after every row, at the same batch
//! boundaries as a loop of rounds with a barrier after each would check it. So the rows, and
//! where sampling stops, depend only on the batches' results (each from its own random stream),
//! never on the thread count or on which worker ran which batch; yet no worker waits at a row's
//! end for the slowest batch of the row. The calling thread only passes finished rows on (e.g.
//! to a resume file), so a slow write does not stall sampling.

use super::stats::TaskStats;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// Which batches to run and how to group them.
#[derive(Clone, Copy, Debug)]
pub struct RowPlan {
    /// First batch to run (the ones before it were counted by earlier runs).
    pub first: u64,
    /// One past the last batch.
    pub end: u64,
    /// Largest row, in batches: rows double from 1 batch up to this.
    pub max_row: u64,
    pub threads: usize,
}

impl RowPlan {
    /// How far past the first unfolded batch a worker may start one: enough that no worker
    /// waits for a slow batch before it, few enough that little work is thrown away when the
    /// stopping rule ends the run (the batches after the final row are not counted).
    fn lookahead(&self) -> u64 {
        self.max_row.max(4 * self.threads as u64).max(1)
    }
}

/// Runs batches `plan.first..plan.end` on `plan.threads` workers: `make` builds a worker's
/// state once, `run(worker, i)` simulates batch `i` and counts it. Rows (batch counts added to
/// a clone of `template`, `seconds` = wall time since the previous row times the thread count)
/// go to `on_row` with the new total, in order, on the calling thread. Stops after the first
/// row after which `done(total, seconds since the call)` holds, when the batches run out, when
/// `on_row` fails (its error is returned), or after the row in flight once an interrupt was
/// requested ([`crate::interrupt::requested`]).
pub fn run_rows<W, E>(
    plan: &RowPlan,
    prior: TaskStats,
    template: &TaskStats,
    make: impl Fn() -> W + Sync,
    run: impl Fn(&mut W, u64) -> TaskStats + Sync,
    done: impl Fn(&TaskStats, f64) -> bool + Sync,
    mut on_row: impl FnMut(&TaskStats, &TaskStats) -> Result<(), E>,
) -> Result<TaskStats, E> {
    let start = Instant::now();
    if plan.first >= plan.end || done(&prior, 0.0) || crate::interrupt::requested() {
        return Ok(prior);
    }
    let threads = plan.threads.max(1);
    let shared = Shared {
        next: AtomicU64::new(plan.first),
        cutoff: AtomicU64::new(plan.end),
        horizon: AtomicU64::new(plan.first + plan.lookahead()),
        state: Mutex::new(State {
            folded: plan.first,
            pending: BTreeMap::new(),
            row: template.clone(),
            row_size: 1,
            row_end: plan.first + 1,
            row_start: start,
            total: prior,
            ready: VecDeque::new(),
            stopped: false,
            workers: threads,
        }),
        rows_ready: Condvar::new(),
        room: Condvar::new(),
    };
    let fold = Fold {
        plan,
        template,
        start,
        done: &done,
    };
    let result = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let _exit = Exit(&shared);
                let mut worker = make();
                loop {
                    if crate::interrupt::requested() {
                        shared.finish_row_then_stop();
                    }
                    let i = shared.next.fetch_add(1, Ordering::Relaxed);
                    if i >= shared.cutoff.load(Ordering::Acquire)
                        || (i >= shared.horizon.load(Ordering::Acquire)
                            && !shared.wait_for_room(i, plan.lookahead()))
                    {
                        break;
                    }
                    let counts = run(&mut worker, i);
                    shared.deposit(i, counts, &fold);
                }
            });
        }
        let mut result = Ok(());
        loop {
            let (rows, finished) = {
                let mut state = shared.lock();
                while state.ready.is_empty() && state.workers > 0 {
                    state = shared
                        .rows_ready
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                }
                (std::mem::take(&mut state.ready), state.workers == 0)
            };
            for (row, total) in rows {
                if result.is_ok() {
                    result = on_row(&row, &total);
                    if result.is_err() {
                        shared.stop(&mut shared.lock());
                    }
                }
            }
            if finished {
                break result;
            }
        }
    });
    let total = shared
        .state
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .total;
    result.map(|_| total)
}

/// What the workers share.
struct Shared {
    /// The next batch to hand out.
    next: AtomicU64,
    /// No batch at or past this is started.
    cutoff: AtomicU64,
    /// A batch at or past this waits until earlier ones are folded (see [`RowPlan::lookahead`]).
    horizon: AtomicU64,
    state: Mutex<State>,
    /// Signals the calling thread: rows are ready, or a worker left.
    rows_ready: Condvar,
    /// Signals waiting workers: the horizon moved, or the run stopped.
    room: Condvar,
}

/// The fold of finished batches into rows.
struct State {
    /// Batches before this are folded into rows.
    folded: u64,
    /// Finished batches waiting for an earlier one.
    pending: BTreeMap<u64, TaskStats>,
    /// The row being filled, which ends before batch `row_end` and has `row_size` batches.
    row: TaskStats,
    row_size: u64,
    row_end: u64,
    /// When the previous row ended (or the run started).
    row_start: Instant,
    total: TaskStats,
    /// Finished rows (with the total after each) not yet passed to `on_row`.
    ready: VecDeque<(TaskStats, TaskStats)>,
    /// No more rows: later batches are ignored.
    stopped: bool,
    /// Workers still running.
    workers: usize,
}

/// The fixed inputs of folding.
struct Fold<'a, D> {
    plan: &'a RowPlan,
    template: &'a TaskStats,
    start: Instant,
    done: &'a D,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A worker that panicked while holding the lock left consistent counts (the panic
        // is passed on when the scope ends); keep going so that the others can leave.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the run: no batch is started any more and waiting workers leave.
    fn stop(&self, state: &mut State) {
        state.stopped = true;
        self.cutoff.store(0, Ordering::Release);
        self.room.notify_all();
    }

    /// Lets the row in flight finish, then stops (it starts no batch past that row).
    fn finish_row_then_stop(&self) {
        let state = self.lock();
        self.cutoff.fetch_min(state.row_end, Ordering::AcqRel);
    }

    /// Waits until batch `i` is within `lookahead` of the first unfolded batch; false if the
    /// run stopped (or will not reach batch `i`) meanwhile.
    fn wait_for_room(&self, i: u64, lookahead: u64) -> bool {
        let mut state = self.lock();
        while !state.stopped && i >= state.folded + lookahead {
            state = self.room.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.stopped && i < self.cutoff.load(Ordering::Acquire)
    }

    /// Hands in batch `i`'s counts; folds every batch now in order into rows.
    fn deposit<D>(&self, i: u64, counts: TaskStats, fold: &Fold<'_, D>)
    where
        D: Fn(&TaskStats, f64) -> bool,
    {
        let mut state = self.lock();
        if state.stopped {
            return;
        }
        state.pending.insert(i, counts);
        let before = state.folded;
        loop {
            let next = state.folded;
            let Some(counts) = state.pending.remove(&next) else {
                break;
            };
            state.row.add(&counts);
            state.folded += 1;
            if state.folded == state.row_end && self.end_row(&mut state, fold) {
                return;
            }
        }
        if state.folded > before {
            self.horizon
                .store(state.folded + fold.plan.lookahead(), Ordering::Release);
            self.room.notify_all();
        }
    }

    /// Closes the full row and opens the next; true if the run stops here.
    fn end_row<D>(&self, state: &mut State, fold: &Fold<'_, D>) -> bool
    where
        D: Fn(&TaskStats, f64) -> bool,
    {
        let now = Instant::now();
        let mut row = std::mem::replace(&mut state.row, fold.template.clone());
        row.seconds = (now - state.row_start).as_secs_f64() * fold.plan.threads.max(1) as f64;
        state.row_start = now;
        state.total.add(&row);
        let total = state.total.clone();
        state.ready.push_back((row, total));
        self.rows_ready.notify_one();
        if state.folded >= fold.plan.end
            || (fold.done)(&state.total, (now - fold.start).as_secs_f64())
            || crate::interrupt::requested()
        {
            self.stop(state);
            return true;
        }
        state.row_size = (state.row_size * 2).min(fold.plan.max_row.max(1));
        state.row_end = state
            .folded
            .saturating_add(state.row_size)
            .min(fold.plan.end);
        false
    }
}

/// Signs a worker off when it leaves, also by a panic (which then stops the run, so that no
/// worker waits for the batch the panicking one held).
struct Exit<'a>(&'a Shared);

impl Drop for Exit<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        if std::thread::panicking() {
            self.0.stop(&mut state);
        }
        state.workers -= 1;
        self.0.rows_ready.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::{run_rows, RowPlan};
    use crate::sweep::stats::TaskStats;
    use serde_json::Value;

    /// Batch i: 10 shots, (i * 7) % 5 errors.
    fn counts(i: u64) -> TaskStats {
        let mut c = TaskStats::empty("", "", Value::Null);
        c.shots = 10;
        c.errors = (i * 7) % 5;
        c
    }

    fn rows(first: u64, end: u64, threads: usize, max_errors: u64) -> Vec<(u64, u64)> {
        let plan = RowPlan {
            first,
            end,
            max_row: 8,
            threads,
        };
        let template = TaskStats::empty("d", "id", Value::Null);
        let mut prior = template.clone();
        prior.shots = first * 10;
        let mut seen = Vec::new();
        let total = run_rows(
            &plan,
            prior,
            &template,
            || (),
            |_, i| {
                // Uneven batch times, so that batches finish out of order.
                std::thread::sleep(std::time::Duration::from_micros((i * 37) % 200));
                counts(i)
            },
            |t, _| t.errors >= max_errors,
            |row, total| -> Result<(), ()> {
                seen.push((row.shots, row.errors));
                assert_eq!(row.decoder, "d");
                assert_eq!(
                    total.shots,
                    first * 10 + seen.iter().map(|r| r.0).sum::<u64>()
                );
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            total.shots,
            first * 10 + seen.iter().map(|r| r.0).sum::<u64>()
        );
        seen
    }

    #[test]
    fn rows_and_stopping_point_do_not_depend_on_threads() {
        for (first, end, max_errors) in [(0, 100, u64::MAX), (0, 100, 57), (3, 40, 20), (5, 6, 1)] {
            let one = rows(first, end, 1, max_errors);
            // Rows double from one batch up to eight; the last may be cut short.
            let sizes: Vec<u64> = one.iter().map(|r| r.0 / 10).collect();
            for (k, &size) in sizes.iter().enumerate() {
                let full = (1u64 << k.min(3)).min(8);
                assert!(
                    size == full || (k + 1 == sizes.len() && size < full),
                    "{sizes:?}"
                );
            }
            for threads in [2, 3, 7] {
                assert_eq!(
                    rows(first, end, threads, max_errors),
                    one,
                    "threads {threads}"
                );
            }
        }
    }

    #[test]
    fn a_failing_row_callback_stops_the_run() {
        let plan = RowPlan {
            first: 0,
            end: 1 << 40,
            max_row: 4,
            threads: 2,
        };
        let template = TaskStats::empty("d", "id", Value::Null);
        let mut calls = 0;
        let result = run_rows(
            &plan,
            template.clone(),
            &template,
            || (),
            |_, i| counts(i),
            |_, _| false,
            |_, _| {
                calls += 1;
                if calls == 3 {
                    Err("disk full")
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(result.unwrap_err(), "disk full");
        assert_eq!(calls, 3);
    }
}
