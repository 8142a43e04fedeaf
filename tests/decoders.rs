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

mod color {
    use qec_sim::decoder::{ColorDecoder, Decision, Decoder};
    use qec_sim::dem::{from_circuit, DemOptions, DetectorErrorModel};
    use qec_sim::layout::{Layout, LayoutKind};
    use qec_sim::noise::NoiseModel;
    use qec_sim::schedule::{memory_circuit, Task};

    /// The DEM of a generated colour-code memory experiment with cn20 noise at p.
    pub fn memory_dem(d: usize, kind: LayoutKind, task: Task, p: f64) -> DetectorErrorModel {
        let clean = memory_circuit(&Layout::new(d, kind), task, d).circuit;
        let noisy = NoiseModel::named("cn20").unwrap().apply(&clean, p);
        let options = DemOptions {
            approximate_disjoint_errors: true,
        };
        from_circuit(&noisy, options).unwrap()
    }

    /// Every error mechanism of the model alone: the decoder must predict its observable flips.
    /// Returns the mechanisms it gets wrong (as detector lists).
    pub fn single_fault_failures(dem: &DetectorErrorModel) -> Vec<String> {
        let decoder = ColorDecoder::new(dem).unwrap();
        let words = (dem.num_detectors() as usize).div_ceil(64);
        let mut failures = Vec::new();
        for e in dem.canonical_errors() {
            let mut shot = vec![0u64; words];
            for &d in &e.detectors {
                shot[d as usize / 64] |= 1 << (d % 64);
            }
            if decoder.decode(&shot) != Decision::Predict(e.observables) {
                failures.push(format!("{:?} L{:b}", e.detectors, e.observables));
            }
        }
        failures
    }

    #[test]
    fn color_decoder_corrects_every_single_fault() {
        for d in [3, 5] {
            for kind in [LayoutKind::Standard, LayoutKind::Redundant] {
                for task in [Task::MemoryX, Task::MemoryZ] {
                    let dem = memory_dem(d, kind, task, 1e-3);
                    let failures = single_fault_failures(&dem);
                    assert!(
                        failures.is_empty(),
                        "d={d} {kind:?} {task:?}: {} of {} mechanisms decoded wrongly, e.g. {:?}",
                        failures.len(),
                        dem.canonical_errors().len(),
                        &failures[..failures.len().min(5)]
                    );
                }
            }
        }
    }
}
