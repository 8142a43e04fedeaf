//! Reading circuits and writing results: errors that name the file and line, output files that
//! only appear once complete, and the defaults for threads and seeds.

use crate::circuit::{parse_circuit, Circuit};
use crate::error::SimError;
use anyhow::{anyhow, bail, Context, Result};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// A circuit and the name to blame in errors.
pub struct Loaded {
    pub circuit: Circuit,
    pub name: String,
}

impl Loaded {
    /// Reads and parses the circuit, errors as `FILE:LINE:COL: message`.
    pub fn read(path: Option<&Path>) -> Result<Loaded> {
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
    pub fn blame(&self, e: SimError) -> anyhow::Error {
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
pub struct Output {
    writer: BufWriter<Box<dyn Write + Send>>,
    paths: Option<(PathBuf, PathBuf)>,
    name: String,
}

impl Output {
    pub fn create(path: Option<&Path>) -> Result<Output> {
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

    pub fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .with_context(|| format!("cannot write {}", self.name))
    }

    pub fn finish(mut self) -> Result<()> {
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

pub fn threads(requested: Option<usize>) -> Result<usize> {
    match requested {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

pub fn seed(requested: Option<u64>) -> u64 {
    requested.unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t ^ (std::process::id() as u64).rotate_left(32)
    })
}
