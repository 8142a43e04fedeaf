//! Parser for Stim's circuit text format
//! (<https://github.com/quantumlib/Stim/blob/main/doc/file_format_stim_circuit.md>).
//!
//! Every rule a gate's arguments and targets must obey comes from its row in the gate table;
//! errors carry the 1-based line and column of the offending token.

use super::{Circuit, Instruction, Item, Repeat, Target};
use crate::gates::{ArgRule, GateId, GateKind, TargetRule};
use std::fmt;

/// Qubit indices and look-backs must stay below this (as in Stim), so that a typo cannot make a
/// simulator allocate gigabytes.
pub const MAX_QUBIT: u64 = 1 << 24;

/// A syntax or validation error at a position in the circuit text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

/// An open `REPEAT` block while parsing.
struct Frame {
    header: Option<(u64, String, u32)>,
    circuit: Circuit,
    /// Measurements before this block's first iteration began.
    measured_at_open: u64,
}

/// Parses circuit text. Loops are kept as loops.
pub fn parse_circuit(text: &str) -> Result<Circuit, ParseError> {
    let mut stack = vec![Frame {
        header: None,
        circuit: Circuit::new(),
        measured_at_open: 0,
    }];
    // Measurements made before the current point during the first pass through every loop:
    // the smallest record any `rec[-k]` at this point can see.
    let mut measured: u64 = 0;
    let mut line_no = 0u32;
    for raw in text.lines() {
        line_no += 1;
        let mut cur = Cursor::new(strip_comment(raw), line_no);
        cur.skip_space();
        if cur.done() {
            continue;
        }
        if cur.peek() == Some(b'}') {
            cur.bump();
            cur.expect_end()?;
            if stack.len() == 1 {
                return Err(cur.error_at(1, "'}' without a matching REPEAT block"));
            }
            let frame = stack.pop().expect("stack has an open block");
            let (count, tag, line) = frame.header.expect("inner frames have headers");
            let per_iteration = measured - frame.measured_at_open;
            measured = frame.measured_at_open + per_iteration.saturating_mul(count);
            stack
                .last_mut()
                .expect("outer frame")
                .circuit
                .items
                .push(Item::Repeat(Repeat {
                    count,
                    tag,
                    body: frame.circuit,
                    line,
                }));
            continue;
        }
        let name_col = cur.column();
        let name = cur.take_while(|b| b.is_ascii_alphanumeric() || b == b'_');
        if name.is_empty() {
            return Err(cur.error(format!(
                "expected a gate name, found '{}'",
                cur.rest_token()
            )));
        }
        let tag = cur.parse_tag()?;
        if name.eq_ignore_ascii_case("REPEAT") {
            cur.skip_space();
            let col = cur.column();
            let count_text = cur.take_while(|b| !b.is_ascii_whitespace() && b != b'{');
            let count: u64 = count_text.parse().map_err(|_| {
                cur.error_at(
                    col,
                    format!("REPEAT needs a whole repetition count, got '{count_text}'"),
                )
            })?;
            if count == 0 {
                return Err(cur.error_at(
                    col,
                    "REPEAT 0 is not allowed: a block must run at least once",
                ));
            }
            cur.skip_space();
            if cur.peek() != Some(b'{') {
                return Err(cur.error("expected '{' after the REPEAT count"));
            }
            cur.bump();
            cur.expect_end()?;
            stack.push(Frame {
                header: Some((count, tag, line_no)),
                circuit: Circuit::new(),
                measured_at_open: measured,
            });
            continue;
        }
        let gate = GateId::from_name(name)
            .ok_or_else(|| cur.error_at(name_col, format!("unknown gate '{name}'")))?;
        let args_col = cur.column();
        let args = cur.parse_args()?;
        check_args(gate, &args).map_err(|m| cur.error_at(args_col, m))?;
        let mut targets = Vec::new();
        let mut product = ProductCheck::default();
        loop {
            cur.skip_space();
            if cur.done() {
                break;
            }
            let col = cur.column();
            let token = cur.take_while(|b| !b.is_ascii_whitespace());
            for (offset, piece) in split_combiners(token) {
                let col = col + offset;
                let target = parse_target(piece).map_err(|m| cur.error_at(col, m))?;
                check_target(gate, target, targets.len(), measured)
                    .map_err(|m| cur.error_at(col, m))?;
                product
                    .push(target, col)
                    .map_err(|m| cur.error_at(col, m))?;
                targets.push(target);
            }
        }
        if let Some(col) = product.dangling() {
            return Err(cur.error_at(col, DANGLING_COMBINER));
        }
        check_targets(gate, &targets).map_err(|m| cur.error_at(name_col, m))?;
        let ins = Instruction {
            gate,
            tag,
            args,
            targets,
            line: line_no,
        };
        measured += ins.num_measurements();
        stack.last_mut().expect("frame").circuit.push(ins);
    }
    if stack.len() > 1 {
        let (_, _, line) = stack.last().and_then(|f| f.header.clone()).expect("header");
        return Err(ParseError {
            line,
            column: 1,
            message: "REPEAT block is never closed with '}'".into(),
        });
    }
    Ok(stack.pop().expect("root frame").circuit)
}

/// Drops a `#` comment, ignoring `#` inside a tag's square brackets.
fn strip_comment(line: &str) -> &str {
    let mut depth = 0;
    for (i, b) in line.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' if depth > 0 => depth -= 1,
            b'#' if depth == 0 => return &line[..i],
            _ => {}
        }
    }
    line
}

const DANGLING_COMBINER: &str =
    "dangling '*': a combiner must stand between two Pauli targets, like X1*Z2";

/// Splits a token such as `X1*!Z2` into its pieces and the `*`s between them, with each piece's
/// character offset in the token; empty pieces are dropped (so `X1**Z2` gives two `*` in a row,
/// which [`ProductCheck`] refuses).
fn split_combiners(token: &str) -> Vec<(u32, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in token.char_indices() {
        if c == '*' {
            if start < i {
                out.push((token[..start].chars().count() as u32, &token[start..i]));
            }
            out.push((token[..i].chars().count() as u32, "*"));
            start = i + 1;
        }
    }
    if start < token.len() || token.is_empty() {
        out.push((token[..start].chars().count() as u32, &token[start..]));
    }
    out
}

/// Checks the shape of a Pauli-product target list as it is read: every `*` stands between two
/// Pauli targets, and no qubit appears twice in one product (Stim accepts `X0*X0`; the
/// simulators here need distinct qubits).
#[derive(Default)]
struct ProductCheck {
    /// Qubits of the product being read.
    qubits: Vec<u32>,
    /// Column of the last target if it was a `*`.
    open_combiner: Option<u32>,
    any: bool,
}

impl ProductCheck {
    fn push(&mut self, target: Target, col: u32) -> Result<(), String> {
        match target {
            Target::Combiner => {
                if !self.any || self.open_combiner.is_some() {
                    return Err(DANGLING_COMBINER.into());
                }
                self.open_combiner = Some(col);
            }
            Target::Pauli { index, .. } => {
                if self.open_combiner.take().is_some() {
                    if self.qubits.contains(&index) {
                        return Err(format!("qubit {index} appears twice in one Pauli product"));
                    }
                } else {
                    self.qubits.clear();
                }
                self.qubits.push(index);
            }
            Target::Qubit { .. } | Target::Rec(_) | Target::Sweep(_) => {}
        }
        self.any = true;
        Ok(())
    }

    /// The column of a `*` that ends the target list, if any.
    fn dangling(&self) -> Option<u32> {
        self.open_combiner
    }
}

fn parse_target(token: &str) -> Result<Target, String> {
    let bad = || format!("malformed target '{token}'");
    if let Some(inner) = token.strip_prefix("rec[").and_then(|t| t.strip_suffix(']')) {
        let k = inner
            .strip_prefix('-')
            .ok_or_else(|| format!("'{token}': a record target looks back, like rec[-1]"))?;
        let k: u64 = k.parse().map_err(|_| bad())?;
        if k == 0 {
            return Err(format!("'{token}': look-backs start at rec[-1]"));
        }
        if k >= MAX_QUBIT {
            return Err(format!("'{token}' looks back too far (limit {MAX_QUBIT})"));
        }
        return Ok(Target::Rec(k as u32));
    }
    if let Some(inner) = token
        .strip_prefix("sweep[")
        .and_then(|t| t.strip_suffix(']'))
    {
        let k: u64 = inner.parse().map_err(|_| bad())?;
        if k >= MAX_QUBIT {
            return Err(format!(
                "'{token}': sweep index too large (limit {MAX_QUBIT})"
            ));
        }
        return Ok(Target::Sweep(k as u32));
    }
    if token == "*" {
        return Ok(Target::Combiner);
    }
    let (inverted, rest) = match token.strip_prefix('!') {
        Some(r) => (true, r),
        None => (false, token),
    };
    let (pauli, digits) = match rest.as_bytes().first() {
        Some(b'X' | b'x') => (Some('X'), &rest[1..]),
        Some(b'Y' | b'y') => (Some('Y'), &rest[1..]),
        Some(b'Z' | b'z') => (Some('Z'), &rest[1..]),
        _ => (None, rest),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let index: u64 = digits.parse().unwrap_or(u64::MAX);
    if index >= MAX_QUBIT {
        return Err(format!(
            "qubit index {digits} is too large (qubits must be below {MAX_QUBIT})"
        ));
    }
    let index = index as u32;
    match pauli {
        Some(pauli) => Ok(Target::Pauli {
            pauli,
            index,
            inverted,
        }),
        None => Ok(Target::Qubit { index, inverted }),
    }
}

fn check_args(gate: GateId, args: &[f64]) -> Result<(), String> {
    let name = gate.name();
    let check_probability = |p: f64, max: f64| -> Result<(), String> {
        if p.is_nan() {
            return Err(format!("{name} probability is NaN"));
        }
        if !(0.0..=max).contains(&p) {
            return Err(format!("{name} probability {p} is outside [0, {max}]"));
        }
        Ok(())
    };
    match gate.def().args {
        ArgRule::None if !args.is_empty() => {
            Err(format!("{name} takes no parenthesised arguments"))
        }
        ArgRule::None => Ok(()),
        ArgRule::OptionalProbability => match args {
            [] => Ok(()),
            [p] => check_probability(*p, 1.0),
            _ => Err(format!(
                "{name} takes at most one argument (a flip probability), got {}",
                args.len()
            )),
        },
        ArgRule::Probabilities { count, max_each } => {
            if args.len() != count {
                return Err(format!(
                    "{name} takes {count} probability argument{}, got {}",
                    if count == 1 { "" } else { "s" },
                    args.len()
                ));
            }
            for &p in args {
                check_probability(p, max_each)?;
            }
            let sum: f64 = args.iter().sum();
            if count > 1 && sum > 1.0 + 1e-12 {
                return Err(format!("{name} probabilities sum to {sum}, more than 1"));
            }
            Ok(())
        }
        ArgRule::Coordinates => match args.iter().find(|a| !a.is_finite()) {
            Some(a) => Err(format!("{name} coordinate {a} is not a finite number")),
            None => Ok(()),
        },
        ArgRule::Angles { count } => {
            if args.len() != count {
                let example = if count == 1 { "(0.25)" } else { "(0.5, 0, 0.25)" };
                return Err(format!(
                    "{name} takes {count} angle argument{} in half-turns, like {name}{example}, got {}",
                    if count == 1 { "" } else { "s" },
                    args.len()
                ));
            }
            match args.iter().find(|a| !a.is_finite()) {
                Some(a) => Err(format!("{name} angle {a} is not a finite number")),
                None => Ok(()),
            }
        }
        ArgRule::AnyProbabilities => {
            for &p in args {
                check_probability(p, 1.0)?;
            }
            Ok(())
        }
        ArgRule::ObservableIndex => match args {
            [k] if k.fract() == 0.0 && *k >= 0.0 && *k < MAX_QUBIT as f64 => Ok(()),
            _ => Err(format!(
                "{name} needs exactly one argument, a non-negative whole observable index, like {name}(0)"
            )),
        },
    }
}

/// Checks one target against the gate's target rule. `position` counts earlier targets;
/// `measured` is the smallest number of measurements any execution has made before this point.
fn check_target(
    gate: GateId,
    target: Target,
    position: usize,
    measured: u64,
) -> Result<(), String> {
    let name = gate.name();
    let rule = gate.def().targets;
    let allowed = match (rule, target) {
        (
            TargetRule::Qubits,
            Target::Qubit {
                inverted: false, ..
            },
        ) => true,
        (TargetRule::QubitsInvertible, Target::Qubit { .. }) => true,
        (
            TargetRule::Pairs { .. },
            Target::Qubit {
                inverted: false, ..
            },
        ) => true,
        (TargetRule::Pairs { feedback: true }, Target::Rec(_) | Target::Sweep(_)) => {
            let slot = position % 2;
            let action = gate.clifford_action().expect("feedback gates are Clifford");
            // A record can drive the slot whose Z the gate leaves alone (a control).
            let z = 1u8 << slot;
            if action.images[(z << 2) as usize] != (0, z, false) {
                return Err(format!(
                    "{name} can take a measurement record or sweep bit only as its control target"
                ));
            }
            true
        }
        (
            TargetRule::Paulis,
            Target::Pauli {
                inverted: false, ..
            },
        ) => true,
        (TargetRule::PauliProducts, Target::Pauli { .. } | Target::Combiner) => true,
        (TargetRule::Records | TargetRule::RecordsOrPaulis, Target::Rec(_)) => true,
        (
            TargetRule::RecordsOrPaulis,
            Target::Pauli {
                inverted: false, ..
            },
        ) => true,
        (TargetRule::PauliPairs(_), Target::Qubit { .. }) => true,
        (
            TargetRule::Bits,
            Target::Qubit {
                index: 0 | 1,
                inverted: false,
            },
        ) => true,
        _ => false,
    };
    if !allowed {
        let what = match rule {
            TargetRule::Qubits => "qubit targets like 5",
            TargetRule::QubitsInvertible => "qubit targets like 5 or !5",
            TargetRule::Pairs { feedback: true } => {
                "qubit pairs (or rec[-k] / sweep[k] as control)"
            }
            TargetRule::Pairs { feedback: false } => "qubit pairs",
            TargetRule::Paulis => "Pauli targets like X5 Y6 (not inverted)",
            TargetRule::PauliProducts => "Pauli products like X1*Z2 !Y3",
            TargetRule::Records => "measurement records like rec[-1]",
            TargetRule::RecordsOrPaulis => "measurement records like rec[-1] or Paulis like X5",
            TargetRule::PauliPairs(_) => "qubit pairs like 0 1 or !0 1",
            TargetRule::Bits => "the bits 0 and 1",
            TargetRule::None => "no targets",
        };
        return Err(format!(
            "{name} takes {what}, not '{}'",
            show_target(target)
        ));
    }
    if let Target::Rec(k) = target {
        if k as u64 > measured {
            return Err(format!(
                "rec[-{k}] reaches before the first measurement (only {measured} measurement{} precede it)",
                if measured == 1 { "" } else { "s" }
            ));
        }
    }
    Ok(())
}

/// Checks the target list as a whole (pairing).
fn check_targets(gate: GateId, targets: &[Target]) -> Result<(), String> {
    let name = gate.name();
    if gate.is_pairwise() {
        if targets.len() % 2 == 1 {
            return Err(format!(
                "{name} acts on pairs of targets, but was given an odd number ({})",
                targets.len()
            ));
        }
        for pair in targets.chunks(2) {
            if pair[0] == pair[1] {
                return Err(format!(
                    "{name} pair '{} {}' uses the same target twice",
                    show_target(pair[0]),
                    show_target(pair[1])
                ));
            }
            let classical = |t: &Target| matches!(t, Target::Rec(_) | Target::Sweep(_));
            if classical(&pair[0]) && classical(&pair[1]) {
                return Err(format!(
                    "{name} pair cannot have two classical (rec or sweep) targets"
                ));
            }
            if let [Target::Qubit { index: a, .. }, Target::Qubit { index: b, .. }] = pair {
                if a == b {
                    return Err(format!("{name} pair uses qubit {a} twice"));
                }
            }
        }
    }
    if matches!(gate.kind(), GateKind::Tick | GateKind::ShiftCoords) && !targets.is_empty() {
        return Err(format!("{name} takes no targets"));
    }
    Ok(())
}

pub(super) fn show_target(t: Target) -> String {
    match t {
        Target::Qubit { index, inverted } => {
            format!("{}{index}", if inverted { "!" } else { "" })
        }
        Target::Rec(k) => format!("rec[-{k}]"),
        Target::Sweep(k) => format!("sweep[{k}]"),
        Target::Pauli {
            pauli,
            index,
            inverted,
        } => format!("{}{pauli}{index}", if inverted { "!" } else { "" }),
        Target::Combiner => "*".into(),
    }
}

/// A position within one line of text.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str, line: u32) -> Self {
        Cursor { text, pos: 0, line }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    fn done(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn column(&self) -> u32 {
        self.text[..self.pos].chars().count() as u32 + 1
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn rest_token(&self) -> &'a str {
        self.text[self.pos..]
            .split_whitespace()
            .next()
            .unwrap_or("")
    }

    fn error(&self, message: impl Into<String>) -> ParseError {
        self.error_at(self.column(), message)
    }

    fn error_at(&self, column: u32, message: impl Into<String>) -> ParseError {
        ParseError {
            line: self.line,
            column,
            message: message.into(),
        }
    }

    fn expect_end(&mut self) -> Result<(), ParseError> {
        self.skip_space();
        if self.done() {
            Ok(())
        } else {
            Err(self.error(format!("unexpected '{}'", self.rest_token())))
        }
    }

    /// Parses an optional `[tag]` directly after the gate name.
    fn parse_tag(&mut self) -> Result<String, ParseError> {
        if self.peek() != Some(b'[') {
            return Ok(String::new());
        }
        let col = self.column();
        self.bump();
        let tag = self.take_while(|b| b != b']');
        if self.done() {
            return Err(self.error_at(col, "tag is missing its closing ']'"));
        }
        self.bump();
        if self
            .peek()
            .is_some_and(|b| !b.is_ascii_whitespace() && b != b'(')
        {
            return Err(self.error("expected a space or '(' after the tag"));
        }
        Ok(tag.to_string())
    }

    /// Parses an optional `(a, b, ...)` argument list.
    fn parse_args(&mut self) -> Result<Vec<f64>, ParseError> {
        if self
            .peek()
            .is_some_and(|b| !b.is_ascii_whitespace() && b != b'(')
        {
            return Err(self.error(format!(
                "expected a space or '(' after the gate name, found '{}'",
                self.rest_token()
            )));
        }
        self.skip_space();
        if self.peek() != Some(b'(') {
            return Ok(Vec::new());
        }
        let open = self.column();
        self.bump();
        let mut args = Vec::new();
        loop {
            self.skip_space();
            let col = self.column();
            let text = self.take_while(|b| b != b',' && b != b')');
            if self.done() {
                return Err(self.error_at(open, "argument list is missing its closing ')'"));
            }
            let text = text.trim();
            if !(text.is_empty() && args.is_empty() && self.peek() == Some(b')')) {
                args.push(parse_number(text).map_err(|m| self.error_at(col, m))?);
            }
            let sep = self.peek();
            self.bump();
            if sep == Some(b')') {
                break;
            }
        }
        if self.peek().is_some_and(|b| !b.is_ascii_whitespace()) {
            return Err(self.error("expected a space after ')'"));
        }
        Ok(args)
    }
}

/// Parses a decimal number; accepts `nan`/`inf` spellings only so that validation can name them.
fn parse_number(text: &str) -> Result<f64, String> {
    let ok_chars = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    let lowered = text.to_ascii_lowercase();
    let special = matches!(
        lowered.as_str(),
        "nan" | "inf" | "-inf" | "+inf" | "infinity"
    );
    if text.is_empty() || !(ok_chars || special) {
        return Err(format!("malformed number '{text}'"));
    }
    text.parse::<f64>()
        .map_err(|_| format!("malformed number '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        parse_circuit(text).expect_err("should fail")
    }

    #[test]
    fn parses_basic_instructions() {
        let c =
            parse_circuit("H 0\nCX 0 1 # comment\nM(0.01) !1 0\nDETECTOR(1, 2) rec[-1] rec[-2]\n")
                .unwrap();
        assert_eq!(c.items.len(), 4);
        let s = c.stats();
        assert_eq!(s.num_qubits, 2);
        assert_eq!(s.num_measurements, 2);
        assert_eq!(s.num_detectors, 1);
        assert_eq!(s.max_lookback, 2);
    }

    #[test]
    fn repeat_blocks_stay_loops() {
        let c =
            parse_circuit("M 0\nREPEAT 1000000 {\n  M 0\n  DETECTOR rec[-1] rec[-2]\n}\n").unwrap();
        assert_eq!(c.items.len(), 2);
        assert_eq!(c.stats().num_measurements, 1_000_001);
        assert_eq!(c.stats().num_detectors, 1_000_000);
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = err("H 0\nFOO 1\n");
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("unknown gate 'FOO'"));
        let e = err("M 0\nDETECTOR rec[-2]\n");
        assert_eq!((e.line, e.column), (2, 10));
        let e = err("X_ERROR(1.5) 0");
        assert!(e.message.contains("outside"), "{e}");
        assert!(err("X_ERROR(nan) 0").message.contains("NaN"));
        assert!(err("REPEAT 0 {\n}\n").message.contains("REPEAT 0"));
        assert!(err("REPEAT 2 {\nH 0\n").message.contains("never closed"));
        assert!(err("}\n").message.contains("without"));
        assert!(err("CX 0 1 2").message.contains("odd"));
        assert!(err("CX 0 0").message.contains("same target"));
        assert!(err("H 99999999999").message.contains("too large"));
        assert!(err("X_ERROR(0.1.2) 0").message.contains("malformed number"));
        assert!(err("H[abc 0").message.contains("closing ']'"));
        assert!(err("M(0.1 0").message.contains("closing ')'"));
        assert!(err("H 5x").message.contains("malformed target"));
        assert!(err("H(0.1) 0").message.contains("no parenthesised"));
        assert!(err("PAULI_CHANNEL_1(0.5, 0.6, 0) 0")
            .message
            .contains("sum"));
        assert!(err("M 0\nOBSERVABLE_INCLUDE rec[-1]")
            .message
            .contains("observable index"));
        assert!(err("M 0\nCX 0 rec[-1]").message.contains("control"));
    }

    #[test]
    fn angles_and_products_are_checked_with_columns() {
        let at = |text: &str| {
            let e = err(text);
            (e.line, e.column, e.message)
        };
        let (l, c, m) = at("H 0\nR_X 0");
        assert_eq!((l, c), (2, 4));
        assert!(m.contains("R_X takes 1 angle argument"), "{m}");
        let (_, c, m) = at("U3(0.5, 0.25) 0");
        assert_eq!(c, 3);
        assert!(m.contains("U3 takes 3 angle arguments"), "{m}");
        assert!(at("R_Z(nan) 0").2.contains("not a finite number"));
        assert!(at("R_Y(inf) 0").2.contains("not a finite number"));
        assert!(at("T(0.25) 0").2.contains("no parenthesised"));
        let (_, c, m) = at("MPP X0*Z1*");
        assert_eq!(c, 10);
        assert!(m.contains("dangling '*'"), "{m}");
        assert_eq!(at("MPP *X0").1, 5);
        assert_eq!(at("MPP X0 **Z1").1, 9);
        let (_, c, m) = at("MPP X0 Y1*!Z1");
        assert_eq!(c, 11);
        assert!(m.contains("qubit 1 appears twice"), "{m}");
        assert!(at("MPP 0").2.contains("Pauli products"));
        assert!(at("SPP(0.1) X0").2.contains("no parenthesised"));
        assert!(at("E(0.1) !X0").2.contains("not inverted"));
        assert!(at("CX 0*1").2.contains("not '*'"));
    }

    #[test]
    fn pauli_products_split_on_combiners() {
        let c = parse_circuit("MPP(0.01) X0*!Z1 Y2 Z3 * X4\nSPP_DAG !Y5\n").unwrap();
        let Item::Instruction(mpp) = &c.items[0] else {
            panic!()
        };
        let products = mpp.pauli_products();
        assert_eq!(products.len(), 3);
        assert_eq!(mpp.num_measurements(), 3);
        assert_eq!(
            products[0].factors,
            vec![(0, true, false), (1, false, true)]
        );
        assert!(products[0].inverted);
        assert_eq!(products[1].factors, vec![(2, true, true)]);
        assert!(!products[1].inverted);
        assert_eq!(
            products[2].factors,
            vec![(3, false, true), (4, true, false)]
        );
        assert_eq!(c.stats().num_measurements, 3);
        assert_eq!(c.stats().num_qubits, 6);
        // Stim's canonical text: no spaces around '*'.
        assert_eq!(c.to_string(), "MPP(0.01) X0*!Z1 Y2 Z3*X4\nSPP_DAG !Y5\n");
        // A record target after MPP counts its products.
        assert!(parse_circuit("MPP X0*X1 Z0*Z1\nDETECTOR rec[-2]\n").is_ok());
        assert!(parse_circuit("MPP X0*X1 Z0*Z1\nDETECTOR rec[-3]\n").is_err());
    }

    #[test]
    fn rec_bounds_use_the_first_loop_iteration() {
        assert!(parse_circuit("REPEAT 3 {\n M 0\n DETECTOR rec[-2]\n}\n").is_err());
        assert!(parse_circuit("M 0\nREPEAT 3 {\n M 0\n DETECTOR rec[-2]\n}\n").is_ok());
        assert!(parse_circuit("M 0\nCZ rec[-1] 1 2 rec[-1]\n").is_ok());
    }
}
