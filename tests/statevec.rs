//! The state-vector simulator against the tableau (random Clifford circuits) and against the
//! controlled-Hadamard's defining identities.

mod common;
use common::{circuit_text, op_strategy, tableau_results};
use num_complex::Complex64 as C;
use proptest::prelude::*;
use qec_sim::circuit::parse_circuit;
use qec_sim::gates::GateId;
use qec_sim::sampler::batch_rng;
use qec_sim::statevec::{gate_matrix, StateVector};

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    /// Deterministic results equal the tableau's; results the tableau calls equal-up-to-parity
    /// keep that parity in every trajectory.
    #[test]
    fn clifford_trajectories_agree_with_the_tableau(
        n in 2u32..6,
        ops in prop::collection::vec(op_strategy(), 0..30),
        bases in prop::collection::vec(0usize..3, 6),
        seed in any::<u64>(),
    ) {
        let text = circuit_text(n, &ops, &bases);
        let circuit = parse_circuit(&text).unwrap();
        let tableau = tableau_results(&circuit);
        for run in 0..8 {
            let mut sv = StateVector::new(n as usize).unwrap();
            sv.run(&circuit, &mut batch_rng(seed, run)).unwrap();
            let rec = sv.record();
            for (m, (value, vars)) in tableau.iter().enumerate() {
                if vars.is_empty() {
                    prop_assert_eq!(rec[m], *value, "measurement {} of\n{}", m, text);
                }
                for (j, (value_j, vars_j)) in tableau.iter().enumerate().skip(m + 1) {
                    if !vars.is_empty() && vars == vars_j {
                        prop_assert_eq!(rec[m] ^ rec[j], value ^ value_j, "parity {} {} of\n{}", m, j, text);
                    }
                }
            }
        }
    }
}

fn ry(theta: f64) -> Vec<C> {
    let (c, s) = ((theta / 2.0).cos(), (theta / 2.0).sin());
    vec![
        C::new(c, 0.0),
        C::new(-s, 0.0),
        C::new(s, 0.0),
        C::new(c, 0.0),
    ]
}

/// Applies `m` (4x4) to every basis state of two qubits and returns the full matrix of `f`.
fn matrix_of(f: impl Fn(&mut StateVector)) -> Vec<C> {
    let mut cols = Vec::new();
    for basis in 0..4 {
        let mut sv = StateVector::new(2).unwrap();
        if basis & 1 == 1 {
            sv.apply_pauli(0, true, false);
        }
        if basis & 2 == 2 {
            sv.apply_pauli(1, true, false);
        }
        f(&mut sv);
        cols.push(sv.amplitudes().to_vec());
    }
    (0..16).map(|i| cols[i % 4][i / 4]).collect()
}

#[test]
fn ch_is_a_ry_conjugated_cz() {
    // CH = (I x Ry(pi/4)) CZ (I x Ry(-pi/4)), control = qubit 0 (Chamberland-Noh 2020, Fig. 2).
    let ch = gate_matrix(GateId::named("CH")).unwrap();
    let cz = gate_matrix(GateId::named("CZ")).unwrap();
    let direct = matrix_of(|sv| sv.apply2(&ch, 0, 1));
    let built = matrix_of(|sv| {
        sv.apply1(&ry(-std::f64::consts::FRAC_PI_4), 1);
        sv.apply2(&cz, 0, 1);
        sv.apply1(&ry(std::f64::consts::FRAC_PI_4), 1);
    });
    for (a, b) in direct.iter().zip(&built) {
        assert!((a - b).norm() < 1e-12, "{direct:?}\n{built:?}");
    }
}

#[test]
fn ch_applies_hadamard_only_when_the_control_is_one() {
    let run = |text: &str| {
        let mut sv = StateVector::new(2).unwrap();
        sv.run(&parse_circuit(text).unwrap(), &mut batch_rng(0, 0))
            .unwrap();
        sv
    };
    // Control |1>: target |0> -> |+>, so an X-basis measurement of the target gives 0.
    for seed in 0..20 {
        let mut sv = StateVector::new(2).unwrap();
        sv.run(
            &parse_circuit("X 0\nCH 0 1\nMX 1\n").unwrap(),
            &mut batch_rng(seed, 0),
        )
        .unwrap();
        assert_eq!(sv.record(), &[false]);
    }
    // Control |0>: nothing happens. CH twice is the identity.
    let untouched = run("CH 0 1\nM 1\n");
    assert_eq!(untouched.record(), &[false]);
    let twice = run("X 0\nCH 0 1\nCH 0 1\nM 0 1\n");
    assert_eq!(twice.record(), &[true, false]);
}

#[test]
fn x_error_rate_matches_its_probability() {
    let circuit = parse_circuit("X_ERROR(0.2) 0\nM 0\n").unwrap();
    let shots = 4000;
    let ones = (0..shots)
        .filter(|&s| {
            let mut sv = StateVector::new(1).unwrap();
            sv.run(&circuit, &mut batch_rng(5, s)).unwrap();
            sv.record()[0]
        })
        .count() as f64;
    // sd = sqrt(0.16 / 4000) ~ 0.0063; allow 5 sd.
    assert!((ones / shots as f64 - 0.2).abs() < 0.032, "{ones}");
}
