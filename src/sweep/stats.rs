//! Sampling statistics in sinter's CSV layout (`sinter collect` / `sinter combine` /
//! `sinter plot` read our files unchanged): one row per finished batch of a task, rows with the
//! same `strong_id` add up.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// sinter's header line, column widths included.
pub const CSV_HEADER: &str =
    "     shots,    errors,  discards, seconds,decoder,strong_id,json_metadata,custom_counts";

/// Accumulated counts of one task (or one batch of it).
#[derive(Clone, Debug, PartialEq)]
pub struct TaskStats {
    pub shots: u64,
    /// Shots kept (not discarded) whose observables the decoder got wrong.
    pub errors: u64,
    /// Shots discarded by postselection.
    pub discards: u64,
    /// Core-seconds spent.
    pub seconds: f64,
    pub decoder: String,
    /// Hash that identifies the task (circuit, decoder, metadata); rows with equal ids merge.
    pub strong_id: String,
    /// The task's parameters (distance, p, noise model, ...), as a JSON object.
    pub json_metadata: Value,
    /// Extra named counts, e.g. per logical Pauli or per stratum.
    pub custom_counts: BTreeMap<String, u64>,
}

/// A problem reading a statistics file, with the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.line, self.message)
    }
}

impl std::error::Error for StatsError {}

/// Quotes a CSV field when it needs it (commas, quotes, line breaks), as the csv crate does.
fn escape(field: &str) -> String {
    let mut w = csv::WriterBuilder::new()
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    w.write_record([field]).expect("writing to memory");
    let bytes = w.into_inner().expect("writing to memory");
    let text = String::from_utf8(bytes).expect("utf-8 in, utf-8 out");
    text.trim_end_matches(['\r', '\n']).to_string()
}

/// sinter's seconds format: 3 decimals below 1 s, 2 below 10 s, else 1.
fn format_seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{s:.3}")
    } else if s < 10.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.1}")
    }
}

impl TaskStats {
    /// Zero counts for a task.
    pub fn empty(decoder: &str, strong_id: &str, json_metadata: Value) -> TaskStats {
        TaskStats {
            shots: 0,
            errors: 0,
            discards: 0,
            seconds: 0.0,
            decoder: decoder.to_string(),
            strong_id: strong_id.to_string(),
            json_metadata,
            custom_counts: BTreeMap::new(),
        }
    }

    /// The row as sinter writes it (no trailing newline).
    pub fn to_csv_line(&self) -> String {
        let counts = if self.custom_counts.is_empty() {
            String::new()
        } else {
            escape(&serde_json::to_string(&self.custom_counts).expect("counts serialise"))
        };
        format!(
            "{:>10},{:>10},{:>10},{:>8},{},{},{},{}",
            self.shots,
            self.errors,
            self.discards,
            format_seconds(self.seconds),
            escape(&self.decoder),
            escape(&self.strong_id),
            escape(&self.json_metadata.to_string()),
            counts
        )
    }

    /// Adds another row of the same task.
    pub fn add(&mut self, other: &TaskStats) {
        // Saturating: counts near 2^64 (a huge `--max-shots`, summed files) must not wrap.
        self.shots = self.shots.saturating_add(other.shots);
        self.errors = self.errors.saturating_add(other.errors);
        self.discards = self.discards.saturating_add(other.discards);
        self.seconds += other.seconds;
        for (k, v) in &other.custom_counts {
            let count = self.custom_counts.entry(k.clone()).or_insert(0);
            *count = count.saturating_add(*v);
        }
    }

    /// Shots kept after postselection.
    pub fn kept(&self) -> u64 {
        self.shots.saturating_sub(self.discards)
    }
}

/// Rows of a statistics file, plus a warning when its last line was cut short (a run killed
/// mid-write): that line is ignored, never half-counted.
#[derive(Debug, Default)]
pub struct ParsedStats {
    pub rows: Vec<TaskStats>,
    pub truncated_last_line: bool,
}

/// Parses sinter-format CSV text (header required; spaces around fields ignored).
pub fn parse_stats(text: &str) -> Result<ParsedStats, StatsError> {
    // Text ending in '\n' is complete; anything after the last '\n' is an unfinished line.
    let (complete, rest) = match text.rfind('\n') {
        Some(i) => text.split_at(i + 1),
        None => ("", text),
    };
    let mut parsed = ParsedStats {
        rows: Vec::new(),
        truncated_last_line: !rest.trim().is_empty(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(complete.as_bytes());
    let mut header_seen = false;
    for record in reader.records() {
        let record = record.map_err(|e| StatsError {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let fields: Vec<&str> = record.iter().collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if !header_seen {
            let expected: Vec<&str> = CSV_HEADER.split(',').map(str::trim).collect();
            if fields.len() < 7 || fields[..7] != expected[..7] {
                return Err(StatsError {
                    line,
                    message: format!(
                        "not a sinter statistics header (expected '{}')",
                        expected.join(",")
                    ),
                });
            }
            header_seen = true;
            continue;
        }
        let row = parse_row(&fields).map_err(|message| StatsError { line, message })?;
        parsed.rows.push(row);
    }
    Ok(parsed)
}

fn parse_row(fields: &[&str]) -> Result<TaskStats, String> {
    if fields.len() < 7 || fields.len() > 8 {
        return Err(format!("expected 7 or 8 columns, found {}", fields.len()));
    }
    let int = |i: usize, name: &str| -> Result<u64, String> {
        fields[i]
            .parse()
            .map_err(|_| format!("{name} '{}' is not a whole number", fields[i]))
    };
    let seconds: f64 = fields[3]
        .parse()
        .map_err(|_| format!("seconds '{}' is not a number", fields[3]))?;
    let json_metadata: Value = serde_json::from_str(fields[6])
        .map_err(|e| format!("json_metadata is not valid JSON: {e}"))?;
    let custom_counts = match fields.get(7) {
        None | Some(&"") => BTreeMap::new(),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| format!("custom_counts is not a JSON object of counts: {e}"))?,
    };
    let stats = TaskStats {
        shots: int(0, "shots")?,
        errors: int(1, "errors")?,
        discards: int(2, "discards")?,
        seconds,
        decoder: fields[4].to_string(),
        strong_id: fields[5].to_string(),
        json_metadata,
        custom_counts,
    };
    if stats.errors + stats.discards > stats.shots {
        return Err("errors + discards exceed shots".into());
    }
    Ok(stats)
}

/// Merges rows with equal strong ids, in order of first appearance.
pub fn combine(rows: impl IntoIterator<Item = TaskStats>) -> Vec<TaskStats> {
    let mut merged: Vec<TaskStats> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        match index.get(&row.strong_id) {
            Some(&i) => merged[i].add(&row),
            None => {
                index.insert(row.strong_id.clone(), merged.len());
                merged.push(row);
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row() -> TaskStats {
        let mut s = TaskStats::empty("postselect", "abc", json!({"d": 3, "p": 0.001}));
        s.shots = 1000;
        s.errors = 5;
        s.discards = 2;
        s.seconds = 1.5;
        s.custom_counts.insert("X".into(), 3);
        s
    }

    #[test]
    fn lines_match_sinter_layout() {
        // The same row as `sinter.TaskStats(...).to_csv_line()` prints (sinter 1.15).
        assert_eq!(
            row().to_csv_line(),
            r#"      1000,         5,         2,    1.50,postselect,abc,"{""d"":3,""p"":0.001}","{""X"":3}""#
        );
    }

    #[test]
    fn rows_round_trip_and_combine() {
        let text = format!(
            "{CSV_HEADER}\n{}\n{}\n",
            row().to_csv_line(),
            row().to_csv_line()
        );
        let parsed = parse_stats(&text).unwrap();
        assert!(!parsed.truncated_last_line);
        assert_eq!(parsed.rows[0], row());
        let merged = combine(parsed.rows);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].shots, 2000);
        assert_eq!(merged[0].custom_counts["X"], 6);
    }

    #[test]
    fn a_cut_last_line_is_reported_not_counted() {
        let line = row().to_csv_line();
        let text = format!("{CSV_HEADER}\n{line}\n{}", &line[..20]);
        let parsed = parse_stats(&text).unwrap();
        assert!(parsed.truncated_last_line);
        assert_eq!(parsed.rows.len(), 1);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let text = format!(
            "{CSV_HEADER}\n{}\n  12,x,0,0.1,d,id,{{}},\n",
            row().to_csv_line()
        );
        let e = parse_stats(&text).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("errors 'x'"), "{e}");
        assert!(parse_stats("a,b,c\n").is_err());
    }
}
