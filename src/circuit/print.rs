//! Printer for Stim's circuit text format, in Stim's canonical layout (4-space indented loops,
//! `NAME[tag](a, b) t1 t2`), so that `print(parse(text))` reproduces Stim-printed text.

use super::parse::show_target;
use super::{Circuit, Instruction, Item, Target};
use std::fmt::{self, Write};

/// Formats a number so that it reads back exactly: `1`, `0.001`, `1e-10` (scientific notation
/// below 1e-4, like C's `%g`).
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{}", v as i64)
    } else if v != 0.0 && v.abs() < 1e-4 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

fn write_instruction(out: &mut impl Write, ins: &Instruction) -> fmt::Result {
    out.write_str(ins.gate.name())?;
    if !ins.tag.is_empty() {
        write!(out, "[{}]", ins.tag)?;
    }
    if !ins.args.is_empty() {
        let args: Vec<String> = ins.args.iter().map(|&a| format_number(a)).collect();
        write!(out, "({})", args.join(", "))?;
    }
    let mut joined = false;
    for &t in &ins.targets {
        // Pauli products print as Stim does: `X1*Z2`, no spaces around the combiner.
        let combiner = t == Target::Combiner;
        if !(joined || combiner) {
            out.write_char(' ')?;
        }
        out.write_str(&show_target(t))?;
        joined = combiner;
    }
    Ok(())
}

fn write_circuit(out: &mut impl Write, circuit: &Circuit, indent: usize) -> fmt::Result {
    for item in &circuit.items {
        for _ in 0..indent {
            out.write_str("    ")?;
        }
        match item {
            Item::Instruction(ins) => write_instruction(out, ins)?,
            Item::Repeat(r) => {
                out.write_str("REPEAT")?;
                if !r.tag.is_empty() {
                    write!(out, "[{}]", r.tag)?;
                }
                writeln!(out, " {} {{", r.count)?;
                write_circuit(out, &r.body, indent + 1)?;
                for _ in 0..indent {
                    out.write_str("    ")?;
                }
                out.write_str("}")?;
            }
        }
        out.write_char('\n')?;
    }
    Ok(())
}

impl fmt::Display for Instruction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_instruction(f, self)
    }
}

impl fmt::Display for Circuit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_circuit(f, self, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuit::parse_circuit;

    #[test]
    fn numbers_print_shortest() {
        assert_eq!(format_number(1.0), "1");
        assert_eq!(format_number(-2.0), "-2");
        assert_eq!(format_number(0.001), "0.001");
        assert_eq!(format_number(1e-10), "1e-10");
        assert_eq!(format_number(0.5), "0.5");
    }

    #[test]
    fn prints_canonical_text() {
        let text = "CNOT 0 1\nREPEAT 2 {\nX_ERROR[t](0.125) 0\nM !0\n}\n";
        let c = parse_circuit(text).unwrap();
        assert_eq!(
            c.to_string(),
            "CX 0 1\nREPEAT 2 {\n    X_ERROR[t](0.125) 0\n    M !0\n}\n"
        );
        assert_eq!(parse_circuit(&c.to_string()).unwrap(), c);
    }
}
