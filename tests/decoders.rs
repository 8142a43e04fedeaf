//! Exhaustive checks of the code-lookup decoder on the triangular 6.6.6 color code.

use qec_sim::code::color666;
use qec_sim::decoder::{by_name, CodeChecks, CodeLookup, Decision, Decoder, DecoderInput};

/// Calls `f` on every subset of 0..n with at most `k` members.
fn for_each_subset(n: usize, k: usize, f: &mut impl FnMut(&[usize])) {
    fn go(
        n: usize,
        from: usize,
        left: usize,
        chosen: &mut Vec<usize>,
        f: &mut impl FnMut(&[usize]),
    ) {
        f(chosen);
        if left == 0 {
            return;
        }
        for q in from..n {
            chosen.push(q);
            go(n, q + 1, left - 1, chosen, f);
            chosen.pop();
        }
    }
    go(n, 0, k, &mut Vec::new(), f);
}

#[test]
fn code_lookup_corrects_every_error_up_to_half_the_distance() {
    for d in [3, 5, 7] {
        let code = color666(d);
        let t = (d - 1) / 2;
        // X errors are seen by Z checks and flip the Z logical; Z errors the other way round.
        for (checks, logicals) in [
            (&code.z_stabilizers, &code.logical_z),
            (&code.x_stabilizers, &code.logical_x),
        ] {
            let decoder = CodeLookup::new(CodeChecks {
                num_qubits: code.num_qubits,
                checks,
                logicals,
            })
            .unwrap();
            let mut tried = 0u64;
            for_each_subset(code.num_qubits, t, &mut |error| {
                let syndrome = decoder.syndrome(error);
                let correction = decoder.correction(syndrome).expect("reachable syndrome");
                assert!(correction.len() <= error.len(), "d={d}: {error:?}");
                assert_eq!(
                    decoder.decode(&[syndrome as u64]),
                    Decision::Predict(decoder.logical_flips(error)),
                    "d={d}: error {error:?}, correction {correction:?}"
                );
                tried += 1;
            });
            assert!(tried > 1);
        }
    }
}

#[test]
fn code_lookup_is_reachable_by_name() {
    let code = color666(3);
    let input = DecoderInput {
        code: Some(CodeChecks {
            num_qubits: code.num_qubits,
            checks: &code.z_stabilizers,
            logicals: &code.logical_z,
        }),
        ..DecoderInput::default()
    };
    let decoder = by_name("code-lookup", &input).unwrap();
    assert_eq!(decoder.name(), "code-lookup");
    assert_eq!(decoder.decode(&[0]), Decision::Predict(0));
}
