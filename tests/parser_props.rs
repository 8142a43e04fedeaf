//! Property tests of the circuit text format: every gate in the table round-trips through
//! print and parse, and no input, however broken, panics the parser.

use proptest::prelude::*;
use qec_sim::circuit::parse_circuit;
use qec_sim::gates::{ArgRule, TargetRule, GATES};

/// A valid line for gate `g` with small random arguments and targets.
fn gate_line(g: usize, qubits: Vec<u32>, probs: Vec<f64>, tag: bool) -> String {
    let def = &GATES[g];
    let mut line = def.name.to_string();
    if tag {
        line.push_str("[t1]");
    }
    let args: Vec<String> = match def.args {
        ArgRule::None => vec![],
        ArgRule::OptionalProbability => vec![format!("{}", probs[0] / 2.0)],
        ArgRule::Probabilities { count, .. } => (0..count)
            .map(|i| format!("{}", probs[i % probs.len()] / 16.0))
            .collect(),
        ArgRule::Coordinates => vec!["1".into(), "-2.5".into()],
        ArgRule::ObservableIndex => vec!["2".into()],
        ArgRule::AnyProbabilities => probs.iter().map(|p| format!("{p}")).collect(),
        ArgRule::Angles { count } => (0..count)
            .map(|i| format!("{}", probs[i % probs.len()] * 4.0 - 2.0))
            .collect(),
    };
    if !args.is_empty() {
        line.push_str(&format!("({})", args.join(", ")));
    }
    let targets: Vec<String> = match def.targets {
        TargetRule::Qubits => qubits.iter().map(|q| q.to_string()).collect(),
        TargetRule::QubitsInvertible => qubits.iter().map(|q| format!("!{q}")).collect(),
        TargetRule::Pairs { feedback } => {
            let mut pair = vec![qubits[0].to_string(), (qubits[0] + 1).to_string()];
            if feedback && qubits.len() > 1 {
                // A sweep bit in the control slot (the one whose Z the gate keeps).
                let slot = usize::from(matches!(def.name, "XCZ" | "YCZ"));
                pair[slot] = format!("sweep[{}]", qubits[1]);
            }
            pair
        }
        TargetRule::Paulis => qubits
            .iter()
            .enumerate()
            .map(|(i, q)| format!("{}{}", ['X', 'Y', 'Z'][i % 3], q))
            .collect(),
        TargetRule::PauliProducts => qubits
            .iter()
            .enumerate()
            .map(|(i, q)| match i {
                0 => format!("X{q}*!Z{}*Y{}", q + 1, q + 2),
                _ => format!("!{}{q}", ['X', 'Y', 'Z'][i % 3]),
            })
            .collect(),
        TargetRule::Records => vec!["rec[-1]".into()],
        TargetRule::RecordsOrPaulis => vec!["rec[-1]".into(), format!("Y{}", qubits[0])],
        TargetRule::PauliPairs(_) => vec![format!("!{}", qubits[0]), (qubits[0] + 1).to_string()],
        TargetRule::Bits => qubits.iter().map(|q| (q % 2).to_string()).collect(),
        TargetRule::None => vec![],
    };
    for t in targets {
        line.push(' ');
        line.push_str(&t);
    }
    line
}

proptest! {
    #[test]
    fn random_valid_circuits_round_trip(
        lines in prop::collection::vec(
            (0..GATES.len(), prop::collection::vec(0u32..20, 1..4), prop::collection::vec(0.0f64..1.0, 1..3), any::<bool>()),
            1..30),
        reps in 1u64..5,
    ) {
        let mut text = String::from("M 0\n");
        for (i, (g, q, p, tag)) in lines.into_iter().enumerate() {
            if i == 5 {
                text.push_str(&format!("REPEAT {reps} {{\n"));
            }
            text.push_str(&gate_line(g, q, p, tag));
            text.push('\n');
        }
        if text.contains("REPEAT") {
            text.push_str("}\n");
        }
        let circuit = parse_circuit(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        let printed = circuit.to_string();
        let again = parse_circuit(&printed).unwrap();
        prop_assert_eq!(&again, &circuit);
        prop_assert_eq!(again.to_string(), printed);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[A-Z_a-z0-9 \\[\\]\\(\\)!#{},.*\\-\n]{0,200}") {
        let _ = parse_circuit(&text);
    }

    #[test]
    fn mutated_valid_text_never_panics(cut in 0usize..400, insert in "[\\[\\]\\(\\)!{}x,.*\\-0-9]{0,3}") {
        let base = "R 0 1\nH[t] 0\nCX 0 1\nX_ERROR(0.1) 1\nM(0.01) 0 !1\nMPP(0.01) X0*!Z1 Y2\nSPP_DAG Z0*X1\nU3(0.5, 0, 0.25) 1\nREPEAT 3 {\n  DETECTOR(1, 2) rec[-1]\n}\nOBSERVABLE_INCLUDE(0) rec[-2]\n";
        let cut = cut % base.len();
        let text = format!("{}{}{}", &base[..cut], insert, &base[cut..]);
        let _ = parse_circuit(&text);
    }
}
