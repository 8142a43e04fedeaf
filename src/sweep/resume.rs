//! The resume file: an append-only sinter CSV where every finished round of a task adds one
//! complete line, flushed and synced before sampling goes on. Killing the process at any moment
//! loses at most the round in flight; on restart the rows already there count toward the
//! stopping rules, and a line cut short by the kill is dropped (with a warning), never counted.

use super::stats::{parse_stats, TaskStats, CSV_HEADER};
use anyhow::{anyhow, Context, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// An open resume file.
pub struct ResumeLog {
    file: File,
    path: PathBuf,
}

/// What was in a resume file when it was opened.
pub struct Recovered {
    pub rows: Vec<TaskStats>,
    /// A human-readable warning about a cut last line, if there was one.
    pub warning: Option<String>,
}

impl ResumeLog {
    /// Opens (or creates, with a header) a resume file, returning the rows it already holds.
    pub fn open(path: &Path) -> Result<(ResumeLog, Recovered)> {
        let name = path.display().to_string();
        let existing = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(anyhow!(e).context(format!("cannot read resume file {name}"))),
        };
        let mut recovered = Recovered {
            rows: Vec::new(),
            warning: None,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open resume file {name}"))?;
        match existing.filter(|t| !t.is_empty()) {
            None => {
                writeln!(file, "{CSV_HEADER}")
                    .and_then(|_| file.sync_data())
                    .with_context(|| format!("cannot write resume file {name}"))?;
            }
            Some(text) => {
                let parsed = parse_stats(&text).map_err(|e| anyhow!("{name}:{e}"))?;
                if parsed.truncated_last_line {
                    // Cut the unfinished line off so that new rows start on a fresh line.
                    let keep = text.rfind('\n').map_or(0, |i| i + 1);
                    file.set_len(keep as u64)
                        .and_then(|_| file.sync_data())
                        .with_context(|| format!("cannot repair resume file {name}"))?;
                    recovered.warning = Some(format!(
                        "{name}: ignored an unfinished last line (a run was interrupted while writing it)"
                    ));
                }
                recovered.rows = parsed.rows;
            }
        }
        Ok((
            ResumeLog {
                file,
                path: path.to_path_buf(),
            },
            recovered,
        ))
    }

    /// Appends one row as a complete line, then flushes it to disk.
    pub fn append(&mut self, row: &TaskStats) -> Result<()> {
        let line = format!("{}\n", row.to_csv_line());
        self.file
            .write_all(line.as_bytes())
            .and_then(|_| self.file.sync_data())
            .with_context(|| format!("cannot write resume file {}", self.path.display()))
    }
}
