//! Ctrl-C during a sweep: the first press lets the round in flight finish (its row reaches the
//! resume file) and stops cleanly; a second press exits at once. Either way the resume file
//! holds only complete rows.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\ninterrupt: finishing the current round (press Ctrl-C again to quit at once)");
    });
}

/// True once Ctrl-C was pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
