//! The `.dem` text format: printer and parser.
//!
//! Printed as Stim prints it (`error(p) D0 L1`, `detector(1, 2) D3`, `repeat N { ... }` with
//! four-space indentation), except that probabilities keep every digit (Rust's shortest
//! round-trip form) instead of Stim's six significant ones. The parser accepts Stim's output:
//! case-insensitive names, `#` comments, tags (`error[tag](p)`, ignored), `^` separators.

use super::{DemItem, DemTarget, DetectorErrorModel};
use std::fmt::{self, Display, Write};
use thiserror::Error;

/// A parse failure at a 1-based line and column.
#[derive(Debug, Error, Clone, PartialEq)]
#[error("{line}:{col}: {message}")]
pub struct DemParseError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

fn write_args(f: &mut impl Write, args: &[f64]) -> fmt::Result {
    if args.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    write!(f, "({})", parts.join(", "))
}

fn write_items(f: &mut fmt::Formatter<'_>, items: &[DemItem], indent: usize) -> fmt::Result {
    let pad = " ".repeat(indent);
    for item in items {
        f.write_str(&pad)?;
        match item {
            DemItem::Error {
                tag,
                probability,
                targets,
            } => {
                f.write_str("error")?;
                if !tag.is_empty() {
                    write!(f, "[{tag}]")?;
                }
                write!(f, "({probability})")?;
                for t in targets {
                    match t {
                        DemTarget::Detector(d) => write!(f, " D{d}")?,
                        DemTarget::Observable(k) => write!(f, " L{k}")?,
                        DemTarget::Separator => f.write_str(" ^")?,
                    }
                }
            }
            DemItem::Detector { coords, id } => {
                f.write_str("detector")?;
                write_args(f, coords)?;
                write!(f, " D{id}")?;
            }
            DemItem::LogicalObservable(k) => write!(f, "logical_observable L{k}")?,
            DemItem::ShiftDetectors { coords, shift } => {
                f.write_str("shift_detectors")?;
                write_args(f, coords)?;
                write!(f, " {shift}")?;
            }
            DemItem::Repeat { count, body } => {
                writeln!(f, "repeat {count} {{")?;
                write_items(f, body, indent + 4)?;
                write!(f, "{pad}}}")?;
            }
        }
        f.write_char('\n')?;
    }
    Ok(())
}

impl Display for DetectorErrorModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_items(f, &self.items, 0)
    }
}

impl std::str::FromStr for DetectorErrorModel {
    type Err = DemParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_dem(s)
    }
}

/// Parses `.dem` text.
pub fn parse_dem(text: &str) -> Result<DetectorErrorModel, DemParseError> {
    // Stack of open blocks: (repeat count, items so far, line of the `repeat`).
    let mut stack: Vec<(u64, Vec<DemItem>, usize)> = vec![(1, Vec::new(), 0)];
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let content = raw.split('#').next().unwrap_or("");
        let trimmed = content.trim();
        if trimmed.is_empty() {
            continue;
        }
        let col0 = content.len() - content.trim_start().len() + 1;
        let err = |col: usize, message: String| DemParseError { line, col, message };
        if trimmed == "}" {
            if stack.len() == 1 {
                return Err(err(col0, "'}' closes no repeat block".into()));
            }
            let (count, body, _) = stack.pop().expect("open block");
            stack
                .last_mut()
                .expect("outer block")
                .1
                .push(DemItem::Repeat { count, body });
            continue;
        }
        let item = parse_line(trimmed).map_err(|(off, m)| err(col0 + off, m))?;
        match item {
            Parsed::Item(item) => stack.last_mut().expect("block").1.push(item),
            Parsed::OpenRepeat(count) => stack.push((count, Vec::new(), line)),
        }
    }
    if stack.len() > 1 {
        let (_, _, line) = stack.last().expect("block");
        return Err(DemParseError {
            line: *line,
            col: 1,
            message: "repeat block is never closed with '}'".into(),
        });
    }
    Ok(DetectorErrorModel {
        items: stack.pop().expect("top").1,
    })
}

enum Parsed {
    Item(DemItem),
    OpenRepeat(u64),
}

/// Parses one non-empty trimmed line; errors carry a 0-based column offset.
fn parse_line(s: &str) -> Result<Parsed, (usize, String)> {
    let name_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    let name = s[..name_end].to_ascii_lowercase();
    let mut pos = name_end;
    let mut tag = String::new();
    if s[pos..].starts_with('[') {
        let close = s[pos..]
            .find(']')
            .ok_or((pos, "tag has no closing ']'".to_string()))?;
        tag = s[pos + 1..pos + close].to_string();
        pos += close + 1;
    }
    let mut args = Vec::new();
    if s[pos..].starts_with('(') {
        let close = s[pos..]
            .find(')')
            .ok_or((pos, "arguments have no closing ')'".to_string()))?;
        for part in s[pos + 1..pos + close].split(',') {
            let v: f64 = part
                .trim()
                .parse()
                .map_err(|_| (pos + 1, format!("bad number '{}'", part.trim())))?;
            if !v.is_finite() {
                return Err((pos + 1, format!("bad number '{}'", part.trim())));
            }
            args.push(v);
        }
        pos += close + 1;
    }
    let rest = &s[pos..];
    let mut tokens = Vec::new();
    let mut off = pos;
    for tok in rest.split_whitespace() {
        let at = off + rest[off - pos..].find(tok).unwrap_or(0);
        off = at + tok.len();
        tokens.push((at, tok));
    }
    let no_args = |what: &str| -> Result<(), (usize, String)> {
        if args.is_empty() {
            Ok(())
        } else {
            Err((name_end, format!("{what} takes no parenthesised arguments")))
        }
    };
    match name.as_str() {
        "error" => {
            if args.len() != 1 || !(0.0..=1.0).contains(&args[0]) {
                return Err((name_end, "error needs one probability in [0, 1]".into()));
            }
            let targets = tokens
                .iter()
                .map(|&(at, t)| parse_target(t).map_err(|m| (at, m)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Parsed::Item(DemItem::Error {
                tag,
                probability: args[0],
                targets,
            }))
        }
        "detector" | "logical_observable" => {
            let [(at, tok)] = tokens[..] else {
                return Err((pos, format!("{name} needs exactly one target")));
            };
            match (name.as_str(), parse_target(tok).map_err(|m| (at, m))?) {
                ("detector", DemTarget::Detector(id)) => {
                    Ok(Parsed::Item(DemItem::Detector { coords: args, id }))
                }
                ("logical_observable", DemTarget::Observable(k)) => {
                    no_args("logical_observable")?;
                    Ok(Parsed::Item(DemItem::LogicalObservable(k)))
                }
                _ => Err((at, format!("wrong kind of target '{tok}' for {name}"))),
            }
        }
        "shift_detectors" => {
            let [(at, tok)] = tokens[..] else {
                return Err((pos, "shift_detectors needs one count".into()));
            };
            let shift = tok
                .parse()
                .map_err(|_| (at, format!("bad count '{tok}'")))?;
            Ok(Parsed::Item(DemItem::ShiftDetectors {
                coords: args,
                shift,
            }))
        }
        "repeat" => {
            no_args("repeat")?;
            let [(at, count), (brace_at, "{")] = tokens[..] else {
                return Err((pos, "expected 'repeat N {'".into()));
            };
            let count: u64 = count
                .parse()
                .map_err(|_| (at, format!("bad repeat count '{count}'")))?;
            if count == 0 {
                return Err((brace_at, "repeat count must be positive".into()));
            }
            Ok(Parsed::OpenRepeat(count))
        }
        "" => Err((0, format!("expected an instruction, found '{s}'"))),
        other => Err((0, format!("unknown instruction '{other}'"))),
    }
}

fn parse_target(tok: &str) -> Result<DemTarget, String> {
    if tok == "^" {
        return Ok(DemTarget::Separator);
    }
    let kind = tok.chars().next().unwrap_or(' ');
    let num = &tok[kind.len_utf8().min(tok.len())..];
    match kind {
        'D' | 'd' => num
            .parse()
            .map(DemTarget::Detector)
            .map_err(|_| format!("bad detector target '{tok}'")),
        'L' | 'l' => match num.parse::<u32>() {
            Ok(k) if k < 64 => Ok(DemTarget::Observable(k)),
            Ok(_) => Err(format!("observable '{tok}' beyond L63 is not supported")),
            Err(_) => Err(format!("bad observable target '{tok}'")),
        },
        _ => Err(format!("bad target '{tok}' (expected Dk, Lk or ^)")),
    }
}
