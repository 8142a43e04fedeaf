//! Codes as data: the `codes/*.toml` format (documented in `codes/README.md`).
//!
//! A file is TOML with the fields of [`StabilizerCode`] plus an optional claimed `distance` and
//! a `description`. [`to_toml`] writes one stabilizer per line so a file reads like a table;
//! [`from_toml`] accepts any TOML with those fields and checks the code before returning it.

use super::{CodeError, Color, StabilizerCode};
use serde::Deserialize;
use std::fmt::Write;
use std::path::Path;

/// The fields of a code file, as parsed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeFile {
    name: String,
    #[serde(default)]
    description: String,
    num_qubits: usize,
    distance: Option<usize>,
    coords: Option<Vec<[f64; 2]>>,
    x_stabilizers: Vec<Vec<usize>>,
    z_stabilizers: Vec<Vec<usize>>,
    x_colors: Option<Vec<Color>>,
    z_colors: Option<Vec<Color>>,
    logical_x: Vec<Vec<usize>>,
    logical_z: Vec<Vec<usize>>,
}

/// Why a code file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: {1}")]
    Syntax(String, String),
    #[error("{0}: {1}")]
    Invalid(String, CodeError),
}

/// A loaded code with the file's claimed distance (checked by the tests, not by loading).
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedCode {
    pub code: StabilizerCode,
    pub distance: Option<usize>,
    pub description: String,
}

/// Parses a code file; `name` is used in error messages.
pub fn from_toml(name: &str, text: &str) -> Result<LoadedCode, LoadError> {
    let f: CodeFile =
        toml::from_str(text).map_err(|e| LoadError::Syntax(name.into(), e.to_string()))?;
    let code = StabilizerCode {
        name: f.name,
        num_qubits: f.num_qubits,
        x_stabilizers: f.x_stabilizers,
        z_stabilizers: f.z_stabilizers,
        logical_x: f.logical_x,
        logical_z: f.logical_z,
        coords: f.coords,
        x_colors: f.x_colors,
        z_colors: f.z_colors,
    };
    code.check()
        .map_err(|e| LoadError::Invalid(name.into(), e))?;
    Ok(LoadedCode {
        code,
        distance: f.distance,
        description: f.description,
    })
}

/// Reads and checks a code file.
pub fn load(path: &Path) -> Result<LoadedCode, LoadError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io(name.clone(), e))?;
    from_toml(&name, &text)
}

fn list(v: &[usize]) -> String {
    let items: Vec<String> = v.iter().map(usize::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Writes `key = [ ... ]` with one entry per line and an optional trailing comment per entry.
fn write_rows(out: &mut String, key: &str, rows: &[String], notes: &[String]) {
    let _ = writeln!(out, "{key} = [");
    for (k, row) in rows.iter().enumerate() {
        match notes.get(k) {
            Some(n) => {
                let _ = writeln!(out, "    {row},  # {n}");
            }
            None => {
                let _ = writeln!(out, "    {row},");
            }
        }
    }
    let _ = writeln!(out, "]");
}

/// Writes a code in the `codes/` format: a header comment, then one operator per line with its
/// index (and colour, if any) as a comment.
pub fn to_toml(code: &StabilizerCode, distance: Option<usize>, description: &str) -> String {
    let mut out = String::new();
    for line in description.lines() {
        let _ = writeln!(out, "# {line}");
    }
    let _ = writeln!(out, "# Format: see codes/README.md.\n");
    let _ = writeln!(out, "name = {}", quoted(&code.name));
    let _ = writeln!(
        out,
        "description = {}",
        quoted(description.lines().next().unwrap_or(""))
    );
    let _ = writeln!(out, "num_qubits = {}", code.num_qubits);
    if let Some(d) = distance {
        let _ = writeln!(out, "distance = {d}");
    }
    if let Some(coords) = &code.coords {
        let _ = writeln!(
            out,
            "\n# Planar coordinates [x, y] of each qubit, by qubit index."
        );
        let rows: Vec<String> = coords
            .iter()
            .map(|c| format!("[{}, {}]", c[0], c[1]))
            .collect();
        let notes: Vec<String> = (0..rows.len()).map(|q| format!("qubit {q}")).collect();
        write_rows(&mut out, "coords", &rows, &notes);
    }
    let kinds = [
        ("x", &code.x_stabilizers, &code.x_colors, &code.logical_x),
        ("z", &code.z_stabilizers, &code.z_colors, &code.logical_z),
    ];
    for (t, stabs, colors, logicals) in kinds {
        let upper = t.to_uppercase();
        let _ = writeln!(
            out,
            "\n# {upper} stabilizer generators: the qubits each acts on with {upper}."
        );
        let rows: Vec<String> = stabs.iter().map(|s| list(s)).collect();
        let notes: Vec<String> = (0..rows.len())
            .map(|k| match colors {
                Some(c) => format!("{t}{k}, {}", c[k].name()),
                None => format!("{t}{k}"),
            })
            .collect();
        write_rows(&mut out, &format!("{t}_stabilizers"), &rows, &notes);
        if let Some(c) = colors {
            let names: Vec<String> = c.iter().map(|c| quoted(c.name())).collect();
            let _ = writeln!(out, "{t}_colors = [{}]", names.join(", "));
        }
        let _ = writeln!(
            out,
            "# Logical {upper} operators, paired by index with the other type."
        );
        let rows: Vec<String> = logicals.iter().map(|s| list(s)).collect();
        write_rows(&mut out, &format!("logical_{t}"), &rows, &[]);
    }
    out
}
