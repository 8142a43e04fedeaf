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
    /// Returns the mechanisms it gets wrong (as detector lists). Mechanisms whose detectors
    /// another mechanism with other flips shares (circuit distance 2: no decoder can tell them
    /// apart) are skipped.
    pub fn single_fault_failures(dem: &DetectorErrorModel) -> Vec<String> {
        let decoder = ColorDecoder::new(dem).unwrap();
        let words = (dem.num_detectors() as usize).div_ceil(64);
        let errors = dem.canonical_errors();
        let ambiguous = |e: &qec_sim::dem::FlatError| {
            errors
                .iter()
                .any(|o| o.detectors == e.detectors && o.observables != e.observables)
        };
        let mut failures = Vec::new();
        for e in errors.iter().filter(|e| !ambiguous(e)) {
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
                    assert_none(&format!("d={d} {kind:?} {task:?}"), &failures, &dem);
                }
            }
        }
    }

    fn assert_none(what: &str, failures: &[String], dem: &DetectorErrorModel) {
        assert!(
            failures.is_empty(),
            "{what}: {} of {} mechanisms decoded wrongly, e.g. {:?}",
            failures.len(),
            dem.canonical_errors().len(),
            &failures[..failures.len().min(5)]
        );
    }

    /// The DEM of a circuit file in tests/data.
    fn fixture_dem(name: &str) -> DetectorErrorModel {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let circuit = qec_sim::circuit::parse_circuit(&text).unwrap();
        let options = DemOptions {
            approximate_disjoint_errors: true,
        };
        from_circuit(&circuit, options).unwrap()
    }

    /// Stim's memory_xyz has circuit distance 2 at d = 3 (hook errors; 8 of 72 mechanisms share
    /// their detectors with a mechanism with other flips and are skipped) and 3 at d = 5
    /// (Stim's `search_for_undetectable_logical_errors`). Its mechanisms that flip several
    /// detectors of one colour are hyperedges that the graphs see split into parts (48 of
    /// 1104 at d = 5 were decoded wrongly that way); the fault-pair predecoder decodes them.
    /// The same circuits with rotating colours (`_rotating`, colour (y + t) mod 3, where a
    /// measurement error is one detector of each colour; tests/data/make_color_xyz_annotated.py)
    /// and Chromobius's own test circuits (unflagged, two bases) too.
    #[test]
    fn color_decoder_corrects_every_single_fault_of_stims_circuits() {
        for name in [
            "color_xyz_d3_r3_p001_annotated.stim",
            "color_xyz_d5_r5_p001_annotated.stim",
            "color_xyz_d3_r3_p001_rotating.stim",
            "color_xyz_d5_r5_p001_rotating.stim",
            "chromobius_midout_color_code_d5_r10_p1000.stim",
            "chromobius_superdense_color_code_d5_r20_p1000.stim",
            "chromobius_phenom_color_code_d5_r5_p1000.stim",
        ] {
            let dem = fixture_dem(name);
            assert_none(name, &single_fault_failures(&dem), &dem);
        }
    }

    /// Every pair of faults of a DEM with at most 64 detectors: (pairs that the likeliest
    /// explanation by at most two faults decodes right, how many of those the colour decoder
    /// gets wrong, their summed probability weight p_i p_j, the same weight over all
    /// correctable pairs).
    fn pair_failures(dem: &DetectorErrorModel) -> (usize, usize, f64, f64) {
        use std::collections::HashMap;
        assert!(dem.num_detectors() <= 64);
        let decoder = ColorDecoder::new(dem).unwrap();
        let errors: Vec<(u64, u64, f64)> = dem
            .canonical_errors()
            .iter()
            .map(|e| {
                let bits = e.detectors.iter().fold(0u64, |acc, &d| acc | 1 << d);
                (bits, e.observables, e.probability)
            })
            .collect();
        // Syndrome -> flips -> probability of its explanations by one or two faults.
        let mut table: HashMap<u64, HashMap<u64, f64>> = HashMap::new();
        for (i, a) in errors.iter().enumerate() {
            *table.entry(a.0).or_default().entry(a.1).or_default() += a.2;
            for b in &errors[i + 1..] {
                let p = a.2 * b.2;
                *table
                    .entry(a.0 ^ b.0)
                    .or_default()
                    .entry(a.1 ^ b.1)
                    .or_default() += p;
            }
        }
        let likeliest = |s: u64| {
            table[&s]
                .iter()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map(|(&f, _)| f)
                .unwrap()
        };
        let (mut correctable, mut wrong, mut wrong_weight, mut weight) = (0, 0, 0.0, 0.0);
        let mut cache: HashMap<u64, u64> = HashMap::new();
        for (i, a) in errors.iter().enumerate() {
            for b in &errors[i + 1..] {
                let (s, f) = (a.0 ^ b.0, a.1 ^ b.1);
                if s == 0 || likeliest(s) != f {
                    continue;
                }
                correctable += 1;
                weight += a.2 * b.2;
                let predicted = *cache
                    .entry(s)
                    .or_insert_with(|| match decoder.decode(&[s]) {
                        Decision::Predict(o) => o,
                        Decision::Discard => u64::MAX,
                    });
                if predicted != f {
                    wrong += 1;
                    wrong_weight += a.2 * b.2;
                }
            }
        }
        (correctable, wrong, wrong_weight, weight)
    }

    /// Stim's memory_xyz at d = 5 (circuit distance 3) against a two-fault lookup table: of the
    /// pairs of faults whose likeliest explanation by at most two faults is right (602956 of
    /// 608856), matching alone decoded 71454 wrongly (3.5% of their probability weight p_i p_j,
    /// 2026-12-07), because most of its mechanisms are hyperedges that cost two faults split.
    /// With the fault-pair predecoder 1816 (0.16%): the rest are pairs whose syndrome falls
    /// apart into clusters of at most two detectors each, left to the matching. The bound
    /// (1% of the pairs, 0.5% of their weight) leaves room for ties broken otherwise.
    #[test]
    fn color_decoder_corrects_pairs_of_faults_of_memory_xyz() {
        let dem = fixture_dem("color_xyz_d5_r5_p001_annotated.stim");
        let (correctable, wrong, wrong_weight, weight) = pair_failures(&dem);
        assert!(correctable > 600_000, "{correctable}");
        assert!(
            wrong * 100 < correctable && wrong_weight < 0.005 * weight,
            "{wrong} of {correctable} correctable pairs decoded wrongly \
             (weight {wrong_weight:.3e} of {weight:.3e})"
        );
    }

    #[test]
    fn color_decoder_refuses_detectors_without_colours() {
        // Stim's own memory_xyz circuit: three coordinates only.
        let dem = fixture_dem("color_xyz_d3_r3.stim");
        let err = ColorDecoder::new(&dem).err().unwrap().to_string();
        assert!(err.contains("D0 has no 4th coordinate"), "{err}");
        let dem = qec_sim::dem::parse_dem("error(0.1) D0 D1\ndetector(0, 0, 0, 7) D0\n").unwrap();
        let err = ColorDecoder::new(&dem).err().unwrap().to_string();
        assert!(err.contains("D0 has 4th coordinate 7"), "{err}");
        // One colour only: not a colour code.
        let dem = qec_sim::dem::parse_dem(
            "error(0.1) D0 D1\nerror(0.1) D1 L0\ndetector(0, 0, 0, 0) D0\ndetector(1, 0, 0, 0) D1\n",
        )
        .unwrap();
        let err = ColorDecoder::new(&dem).err().unwrap().to_string();
        assert!(err.contains("use 1 colour(s)"), "{err}");
    }
}
