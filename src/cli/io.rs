//! Reading circuits and writing results: errors that name the file and line, output files that
//! only appear once complete, and the defaults for threads and seeds.

use crate::circuit::{parse_circuit, Circuit};
use crate::error::SimError;
use crate::interrupt::Partial;
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
/// unfinished (an error, a panic) or interrupted by a signal ([`crate::interrupt`]), the
/// temporary file is removed. Devices and pipes (`/dev/null`, a FIFO) are written directly,
/// never replaced.
pub struct Output {
    writer: BufWriter<Box<dyn Write + Send>>,
    paths: Option<(Partial, PathBuf)>,
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
        let tmp = Partial::new(&tmp);
        let file = File::create(tmp.path())
            .with_context(|| format!("cannot create output file {name}"))?;
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
            std::fs::rename(tmp.path(), &path).with_context(|| {
                format!("cannot move the finished output to {}", path.display())
            })?;
            tmp.done();
        }
        Ok(())
    }
}

/// The most worker threads a command accepts: far above any machine's cores, far below the
/// thousands of threads whose stacks alone exhaust memory.
pub const MAX_THREADS: usize = 1024;

/// `--threads`: at least 1 and at most [`MAX_THREADS`]; default all cores.
pub fn threads(requested: Option<usize>) -> Result<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match requested {
        Some(0) => bail!("--threads must be at least 1"),
        Some(n) if n > MAX_THREADS => bail!(
            "--threads {n} is too many: at most {MAX_THREADS} (this machine has {cores} cores)"
        ),
        Some(n) => Ok(n),
        None => Ok(cores),
    }
}

/// Parses a count: digits (`1000000`) or scientific notation naming a whole number (`1e6`,
/// `2.5e3`), as sinter and Stim users write them; refuses fractions (`1.5`) and negatives.
pub fn parse_count(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    let not_whole = || format!("'{text}' is not a whole number (write e.g. 1000000 or 1e6)");
    let x: f64 = t.parse().map_err(|_| not_whole())?;
    if !x.is_finite() || x < 0.0 || x.fract() != 0.0 {
        return Err(not_whole());
    }
    if x >= u64::MAX as f64 {
        return Err(format!("'{text}' is too large (at most {})", u64::MAX));
    }
    Ok(x as u64)
}

/// [`parse_count`] for counts held in memory-sized integers.
pub fn parse_count_usize(text: &str) -> Result<usize, String> {
    let n = parse_count(text)?;
    usize::try_from(n).map_err(|_| format!("'{text}' is too large (at most {})", usize::MAX))
}

pub fn seed(requested: Option<u64>) -> u64 {
    requested.unwrap_or_else(|| {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        t ^ (std::process::id() as u64).rotate_left(32)
    })
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn counts_take_digits_and_scientific_notation_but_not_fractions() {
        assert_eq!(parse_count("1000000"), Ok(1_000_000));
        assert_eq!(parse_count("1e6"), Ok(1_000_000));
        assert_eq!(parse_count("2.5E3"), Ok(2500));
        assert_eq!(parse_count("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_count("0"), Ok(0));
        for bad in ["1.5", "1e-3", "-1", "-1e3", "inf", "NaN", "x", "", "1e20"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }
}
