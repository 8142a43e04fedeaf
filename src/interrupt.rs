//! Interrupts: Ctrl-C (SIGINT), SIGTERM (what Slurm and other batch systems send before they
//! kill a job) and SIGHUP, all treated alike.
//!
//! During a sweep ([`stop_between_rounds`]) the first signal lets the round in flight finish
//! (its row reaches the resume file) and the sweep stops cleanly; a second signal, or any signal
//! outside a sweep, removes the unfinished output files ([`Partial`]) and exits at once with
//! status 130. Either way no hidden `.NAME.partial-PID` file is left behind and a resume file
//! holds only complete rows. Signals the process was started ignoring (`nohup`, `cmd &` in a
//! script) stay ignored.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static BETWEEN_ROUNDS: AtomicBool = AtomicBool::new(false);
static PARTIAL: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let ignored = ignored_signals();
        let _ = ctrlc::set_handler(on_signal);
        restore_ignored(&ignored);
    });
}

/// From now on the first signal only asks the sweep to stop after the round in flight.
pub fn stop_between_rounds() {
    BETWEEN_ROUNDS.store(true, Ordering::SeqCst);
}

/// True once a stop was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

fn on_signal() {
    if BETWEEN_ROUNDS.load(Ordering::SeqCst) && !REQUESTED.swap(true, Ordering::SeqCst) {
        eprintln!(
            "\ninterrupt: finishing the round in flight, then stopping (a second Ctrl-C or \
             SIGTERM quits at once)"
        );
        return;
    }
    remove_partial_files();
    std::process::exit(130);
}

/// Removes every registered unfinished output file.
fn remove_partial_files() {
    let paths = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
    for p in paths.iter() {
        let _ = std::fs::remove_file(p);
    }
}

/// An unfinished output file, removed if the process is interrupted before
/// [`Partial::done`] (or dropped, as when an error or a panic unwinds past it).
pub struct Partial(PathBuf);

impl Partial {
    /// Registers `path` (a temporary file about to be created).
    pub fn new(path: &Path) -> Partial {
        PARTIAL
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
        Partial(path.to_path_buf())
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The file was renamed into place: forget it without removing anything.
    pub fn done(self) {
        self.forget();
        std::mem::forget(self);
    }

    fn forget(&self) {
        PARTIAL
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|p| p != &self.0);
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        self.forget();
    }
}

#[cfg(unix)]
const HANDLED: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// The handled signals whose disposition is "ignore" (inherited from `nohup` or a shell).
#[cfg(unix)]
fn ignored_signals() -> Vec<libc::c_int> {
    HANDLED
        .into_iter()
        .filter(|&sig| {
            // SAFETY: sigaction with a null new action only reads the current disposition
            // into a zeroed struct we own.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                    && old.sa_sigaction == libc::SIG_IGN
            }
        })
        .collect()
}

#[cfg(unix)]
fn restore_ignored(signals: &[libc::c_int]) {
    for &sig in signals {
        // SAFETY: setting a standard signal back to SIG_IGN has no memory effects.
        unsafe {
            libc::signal(sig, libc::SIG_IGN);
        }
    }
}

#[cfg(not(unix))]
fn ignored_signals() -> Vec<i32> {
    Vec::new()
}

#[cfg(not(unix))]
fn restore_ignored(_: &[i32]) {}

#[cfg(test)]
mod tests {
    use super::{Partial, PARTIAL};

    #[test]
    fn partial_files_are_removed_unless_done() {
        let dir = std::env::temp_dir().join(format!("qec-sim-partial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (dropped, kept) = (dir.join(".a.partial"), dir.join(".b.partial"));
        let a = Partial::new(&dropped);
        let b = Partial::new(&kept);
        std::fs::write(&dropped, "x").unwrap();
        std::fs::write(&kept, "x").unwrap();
        // An error or panic unwinding past the output drops it: the file goes.
        drop(a);
        assert!(!dropped.exists());
        b.done();
        assert!(kept.exists());
        let registered = PARTIAL.lock().unwrap();
        assert!(!registered.iter().any(|p| p == &dropped || p == &kept));
        drop(registered);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
