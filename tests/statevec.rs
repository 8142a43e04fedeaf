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

// ---------------------------------------------------------------------------------------------
// Non-Clifford single-qubit gates (Clifft's conventions), their decompositions, MPP and SPP.

use qec_sim::gates::{rotation_steps, Basis, RotationStep, GATES};
use rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const PI: f64 = std::f64::consts::PI;

fn c(re: f64, im: f64) -> C {
    C::new(re, im)
}

/// The 2x2 matrix of `f` acting on one qubit (columns = images of |0>, |1>).
fn matrix1_of(f: impl Fn(&mut StateVector)) -> Vec<C> {
    let mut cols = Vec::new();
    for basis in 0..2 {
        let mut sv = StateVector::new(1).unwrap();
        if basis == 1 {
            sv.apply_pauli(0, true, false);
        }
        f(&mut sv);
        cols.push(sv.amplitudes().to_vec());
    }
    (0..4).map(|i| cols[i % 2][i / 2]).collect()
}

fn mat2_mul(a: &[C], b: &[C]) -> Vec<C> {
    (0..4)
        .map(|i| (0..2).map(|k| a[(i / 2) * 2 + k] * b[k * 2 + i % 2]).sum())
        .collect()
}

/// a = e^{i phi} b for some phi (both non-zero).
fn equal_up_to_phase(a: &[C], b: &[C]) -> bool {
    let (i, big) = b
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.norm().total_cmp(&y.1.norm()))
        .unwrap();
    let phase = a[i] / big;
    (phase.norm() - 1.0).abs() < 1e-9 && a.iter().zip(b).all(|(x, y)| (x - phase * y).norm() < 1e-9)
}

fn exact(a: &[C], b: &[C]) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).norm() < 1e-12)
}

fn gm(name: &str, args: &[f64]) -> Vec<C> {
    qec_sim::statevec::gate_matrix_with(GateId::named(name), args).unwrap()
}

/// exp(-i a P) = cos(a) I - i sin(a) P on qubit q, P the Pauli `axis`, written out here
/// (independently of the gate table's rotation matrices).
fn rotate(sv: &mut StateVector, axis: Basis, q: usize, a: f64) {
    let p = match axis {
        Basis::X => [c(0.0, 0.0), c(1.0, 0.0), c(1.0, 0.0), c(0.0, 0.0)],
        Basis::Y => [c(0.0, 0.0), c(0.0, -1.0), c(0.0, 1.0), c(0.0, 0.0)],
        Basis::Z => [c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(-1.0, 0.0)],
    };
    let id = [c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(1.0, 0.0)];
    let m: Vec<C> = (0..4)
        .map(|i| id[i] * a.cos() - c(0.0, a.sin()) * p[i])
        .collect();
    sv.apply1(&m, q);
}

/// Uniform in [lo, hi).
fn uniform(rng: &mut Xoshiro256PlusPlus, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn below(rng: &mut Xoshiro256PlusPlus, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

#[test]
fn t_and_rotations_have_clifft_matrices() {
    let r = std::f64::consts::FRAC_1_SQRT_2;
    // T = diag(1, e^{i pi/4}), T_DAG its inverse (exact, with this global phase).
    assert!(exact(
        &gm("T", &[]),
        &[c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(r, r)]
    ));
    assert!(exact(
        &gm("T_DAG", &[]),
        &[c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(r, -r)]
    ));
    // R_Z(alpha) = exp(-i alpha pi/2 Z) in half-turns: R_Z(0.25) = e^{-i pi/8} T.
    let rz = gm("R_Z", &[0.25]);
    let e = c((PI / 8.0).cos(), -(PI / 8.0).sin());
    assert!(exact(
        &rz,
        &gm("T", &[]).iter().map(|v| v * e).collect::<Vec<_>>()
    ));
    assert!(equal_up_to_phase(&gm("R_Z", &[-0.25]), &gm("T_DAG", &[])));
    // Multiples of 1/2 half-turn are Cliffords: S, SQRT_X, SQRT_Y, and the Paulis at 1.
    for (rot, cliff) in [("R_Z", "S"), ("R_X", "SQRT_X"), ("R_Y", "SQRT_Y")] {
        assert!(
            equal_up_to_phase(&gm(rot, &[0.5]), &gm(cliff, &[])),
            "{rot}"
        );
        assert!(equal_up_to_phase(
            &gm(rot, &[-0.5]),
            &gm(&format!("{cliff}_DAG"), &[])
        ));
    }
    // R_X(1) = -i X exactly.
    assert!(exact(
        &gm("R_X", &[1.0]),
        &[c(0.0, 0.0), c(0.0, -1.0), c(0.0, -1.0), c(0.0, 0.0)]
    ));
    // R_Y(1/4) is the RH rotation: |0> -> cos(pi/8)|0> + sin(pi/8)|1>.
    let ry = gm("R_Y", &[0.25]);
    assert!((ry[0] - c((PI / 8.0).cos(), 0.0)).norm() < 1e-12);
    assert!((ry[2] - c((PI / 8.0).sin(), 0.0)).norm() < 1e-12);
    // U3 = e^{i (phi + lambda) pi/2} R_Z(phi) R_Y(theta) R_Z(lambda) (Qiskit's U3 matrix), and
    // Qiskit's identities U3(t, 0, 0) = R_Y(t), U3(t, -1/2, 1/2) = R_X(t).
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    for _ in 0..50 {
        let (t, p, l) = (
            uniform(&mut rng, -2.0, 2.0),
            uniform(&mut rng, -2.0, 2.0),
            uniform(&mut rng, -2.0, 2.0),
        );
        let u3 = gm("U3", &[t, p, l]);
        let built = mat2_mul(
            &gm("R_Z", &[p]),
            &mat2_mul(&gm("R_Y", &[t]), &gm("R_Z", &[l])),
        );
        let phase = c(((p + l) * PI / 2.0).cos(), ((p + l) * PI / 2.0).sin());
        assert!(exact(
            &u3,
            &built.iter().map(|v| v * phase).collect::<Vec<_>>()
        ));
        assert!(exact(&gm("U3", &[t, 0.0, 0.0]), &gm("R_Y", &[t])));
        assert!(exact(&gm("U3", &[t, -0.5, 0.5]), &gm("R_X", &[t])));
        assert!(exact(&gm("U", &[t, p, l]), &u3), "U is U3's alias");
        // Every rotation is unitary.
        for m in [u3, gm("R_X", &[t]), gm("R_Y", &[p]), gm("R_Z", &[l])] {
            let dag: Vec<C> = (0..4).map(|i| m[(i % 2) * 2 + i / 2].conj()).collect();
            assert!(exact(
                &mat2_mul(&m, &dag),
                &[c(1.0, 0.0), c(0.0, 0.0), c(0.0, 0.0), c(1.0, 0.0)]
            ));
        }
    }
    // The state vector runs them from circuit text: R_X(1) flips, T phases |1> only.
    let mut sv = StateVector::new(2).unwrap();
    sv.run(
        &parse_circuit("R_X(1) 0\nH 1\nT 1\nT_DAG 1\nH 1\nM 0 1\n").unwrap(),
        &mut batch_rng(0, 0),
    )
    .unwrap();
    assert_eq!(sv.record(), &[true, false]);
}

/// The steps of [`rotation_steps`] applied to `sv` on target qubits `qs`.
fn apply_steps(sv: &mut StateVector, steps: &[RotationStep], qs: &[usize]) {
    for step in steps {
        match *step {
            RotationStep::Rotate { axis, slot, angle } => rotate(sv, axis, qs[slot], angle),
            RotationStep::Clifford { gate, slots } => {
                let mut ins = qec_sim::circuit::Instruction::new(gate, Vec::new(), Vec::new());
                let width = if gate.is_pairwise() { 2 } else { 1 };
                ins.targets = slots[..width]
                    .iter()
                    .map(|&s| qec_sim::circuit::Target::qubit(qs[s] as u32))
                    .collect();
                sv.execute(&ins, &mut batch_rng(0, 0)).unwrap();
            }
        }
    }
}

#[test]
fn rotation_steps_reproduce_every_non_clifford_gate() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let mut checked = 0;
    for (i, g) in GATES.iter().enumerate() {
        let gate = GateId(i as u8);
        let steps_for = |args: &[f64]| rotation_steps(gate, args);
        if !gate.is_non_clifford() {
            assert!(steps_for(&[0.1, 0.2, 0.3]).is_none(), "{}", g.name);
            continue;
        }
        for _ in 0..10 {
            let args: Vec<f64> = match g.args {
                qec_sim::gates::ArgRule::Angles { count } => {
                    (0..count).map(|_| uniform(&mut rng, -2.0, 2.0)).collect()
                }
                _ => Vec::new(),
            };
            let steps = steps_for(&args).unwrap_or_else(|| panic!("{} has no steps", g.name));
            if g.name == "RH" {
                // A reset: from |0> and from |1>, R then the rotation gives the gate's state.
                for start in [false, true] {
                    let run = |f: &dyn Fn(&mut StateVector)| {
                        let mut sv = StateVector::new(1).unwrap();
                        sv.apply_pauli(0, start, false);
                        f(&mut sv);
                        sv.amplitudes().to_vec()
                    };
                    let direct = run(&|sv| {
                        sv.run(&parse_circuit("RH 0").unwrap(), &mut batch_rng(1, 0))
                            .unwrap()
                    });
                    let built = run(&|sv| apply_steps(sv, &steps, &[0]));
                    assert!(
                        equal_up_to_phase(&direct, &built),
                        "RH from |{}>",
                        start as u8
                    );
                }
            } else if gate.is_pairwise() {
                let direct = gate_matrix_with_args(gate, &args);
                let direct = matrix_of(|sv| sv.apply2(&direct, 0, 1));
                let built = matrix_of(|sv| apply_steps(sv, &steps, &[0, 1]));
                assert!(equal_up_to_phase(&direct, &built), "{}", g.name);
            } else {
                let direct = gate_matrix_with_args(gate, &args);
                let built = matrix1_of(|sv| apply_steps(sv, &steps, &[0]));
                assert!(equal_up_to_phase(&direct, &built), "{} {args:?}", g.name);
            }
            checked += 1;
        }
    }
    // CH, RH, T, T_DAG, R_X, R_Y, R_Z, U3.
    assert_eq!(checked, 80);
}

fn gate_matrix_with_args(gate: GateId, args: &[f64]) -> Vec<C> {
    qec_sim::statevec::gate_matrix_with(gate, args).unwrap()
}

/// A generic (non-stabilizer) 3-qubit state from random rotations and CXs.
fn generic_state_text(rng: &mut Xoshiro256PlusPlus) -> String {
    let mut text = String::new();
    for round in 0..2 {
        for q in 0..3 {
            let a = [0; 3].map(|_| uniform(rng, -1.0, 1.0));
            text.push_str(&format!("U3({}, {}, {}) {q}\n", a[0], a[1], a[2]));
        }
        text.push_str(if round == 0 {
            "CX 0 1 1 2\n"
        } else {
            "CZ 2 0\n"
        });
    }
    text
}

/// A random product on distinct qubits of 0..3 and its text, e.g. `!X2*Y0`.
fn random_product(rng: &mut Xoshiro256PlusPlus) -> (Vec<(usize, char)>, bool) {
    let mut qubits = vec![0usize, 1, 2];
    let len = 1 + below(rng, 3);
    let mut factors = Vec::new();
    for _ in 0..len {
        let q = qubits.remove(below(rng, qubits.len()));
        factors.push((q, ['X', 'Y', 'Z'][below(rng, 3)]));
    }
    (factors, below(rng, 2) == 1)
}

fn product_text(factors: &[(usize, char)], inverted: bool) -> String {
    let body: Vec<String> = factors.iter().map(|(q, p)| format!("{p}{q}")).collect();
    format!("{}{}", if inverted { "!" } else { "" }, body.join("*"))
}

/// The textbook circuit around a product: each factor to Z (H for X, H_YZ for Y), CX from every
/// other factor onto the first, `middle` on the first, then everything undone.
fn decomposed(factors: &[(usize, char)], middle: &str) -> String {
    let change = |p: char| match p {
        'X' => Some("H"),
        'Y' => Some("H_YZ"),
        _ => None,
    };
    let pivot = factors[0].0;
    let mut text = String::new();
    for &(q, p) in factors {
        if let Some(g) = change(p) {
            text.push_str(&format!("{g} {q}\n"));
        }
    }
    for &(q, _) in &factors[1..] {
        text.push_str(&format!("CX {q} {pivot}\n"));
    }
    text.push_str(&format!("{middle} {pivot}\n"));
    for &(q, _) in factors[1..].iter().rev() {
        text.push_str(&format!("CX {q} {pivot}\n"));
    }
    for &(q, p) in factors {
        if let Some(g) = change(p) {
            text.push_str(&format!("{g} {q}\n"));
        }
    }
    text
}

#[test]
fn mpp_and_spp_match_their_textbook_circuits() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    for trial in 0..300u64 {
        let prep = generic_state_text(&mut rng);
        let (factors, inverted) = random_product(&mut rng);
        let product = product_text(&factors, inverted);
        let run = |text: &str| {
            let mut sv = StateVector::new(3).unwrap();
            sv.run(&parse_circuit(text).unwrap(), &mut batch_rng(trial, 0))
                .unwrap();
            sv
        };
        // MPP: a projective measurement of +-P. Same seed, same single coin per measurement.
        let direct = run(&format!("{prep}MPP {product}\n"));
        let built = run(&format!("{prep}{}", decomposed(&factors, "M")));
        assert_eq!(
            direct.record()[0],
            built.record()[0] ^ inverted,
            "{product}"
        );
        assert!(
            equal_up_to_phase(direct.amplitudes(), built.amplitudes()),
            "{product}"
        );
        // SPP = exp(-i pi/4 P) = S on the pivot; SPP_DAG and inversion flip the sense.
        for (gate, dagger) in [("SPP", false), ("SPP_DAG", true)] {
            let direct = run(&format!("{prep}{gate} {product}\n"));
            let s = if dagger ^ inverted { "S_DAG" } else { "S" };
            let built = run(&format!("{prep}{}", decomposed(&factors, s)));
            assert!(
                equal_up_to_phase(direct.amplitudes(), built.amplitudes()),
                "{gate} {product}"
            );
        }
    }
}

#[test]
fn spp_follows_stims_matrices() {
    // Stim 1.15.0: SPP X0 has the matrix (I - iX)/sqrt(2) ("phases the -1 eigenspace by i"), and
    // SPP Z0 is S. Columns of the state vector's SPP X0, SPP_DAG X0 and SPP Z0:
    let r = std::f64::consts::FRAC_1_SQRT_2;
    let of = |text: &str| {
        let circuit = parse_circuit(text).unwrap();
        matrix1_of(|sv| sv.run(&circuit, &mut batch_rng(0, 0)).unwrap())
    };
    assert!(exact(
        &of("SPP X0"),
        &[c(r, 0.0), c(0.0, -r), c(0.0, -r), c(r, 0.0)]
    ));
    assert!(exact(
        &of("SPP_DAG X0"),
        &[c(r, 0.0), c(0.0, r), c(0.0, r), c(r, 0.0)]
    ));
    assert!(exact(&of("SPP !X0"), &of("SPP_DAG X0")));
    assert!(equal_up_to_phase(&of("SPP Z0"), &gm("S", &[])));
    assert!(equal_up_to_phase(&of("SPP_DAG Y0"), &gm("SQRT_Y_DAG", &[])));
}

#[test]
fn mpp_outcomes_follow_the_born_rule() {
    // |psi> = R_Y(1/3)|0> on qubit 0, |+> on qubit 1: <Z0 X1> = cos(pi/3) = 1/2, so the product
    // reads 1 with probability 1/4; `!` inverts it and a flip probability adds 0.1 (1/4 -> 0.3).
    let shots = 4000u64;
    let rate = |text: &str| {
        let circuit = parse_circuit(text).unwrap();
        (0..shots)
            .filter(|&s| {
                let mut sv = StateVector::new(2).unwrap();
                sv.run(&circuit, &mut batch_rng(77, s)).unwrap();
                sv.record()[0]
            })
            .count() as f64
            / shots as f64
    };
    let sd = (0.25f64 * 0.75 / shots as f64).sqrt();
    assert!((rate("R_Y(0.333333333333333333) 0\nH 1\nMPP Z0*X1\n") - 0.25).abs() < 5.0 * sd);
    assert!((rate("R_Y(0.333333333333333333) 0\nH 1\nMPP !Z0*X1\n") - 0.75).abs() < 5.0 * sd);
    assert!((rate("R_Y(0.333333333333333333) 0\nH 1\nMPP(0.1) Z0*X1\n") - 0.3).abs() < 5.0 * sd);
    // After the measurement the state is an eigenstate: repeating it agrees every time.
    let circuit = parse_circuit("R_Y(0.3) 0\nH 1\nT 1\nMPP Y1*Z0\nMPP Z0*Y1\n").unwrap();
    for s in 0..200 {
        let mut sv = StateVector::new(2).unwrap();
        sv.run(&circuit, &mut batch_rng(5, s)).unwrap();
        assert_eq!(sv.record()[0], sv.record()[1]);
    }
}

#[test]
fn gates_match_clifft_state_vectors() {
    // tests/data/clifft_gates.csv holds Clifft 0.12.0's state after `H 0; CX 0 1; G 0` (the
    // gate's Choi vector, made by make_clifft_fixtures.py): equal up to global phase.
    let text = common::read_data("clifft_gates.csv");
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let (gate, values) = line[1..].split_once("\",").unwrap();
        let v: Vec<f64> = values.split(',').map(|x| x.parse().unwrap()).collect();
        let clifft: Vec<C> = v.chunks(2).map(|p| c(p[0], p[1])).collect();
        let circuit = parse_circuit(&format!("H 0\nCX 0 1\n{gate}\n")).unwrap();
        let mut sv = StateVector::new(2).unwrap();
        sv.run(&circuit, &mut batch_rng(0, 0)).unwrap();
        assert!(
            equal_up_to_phase(sv.amplitudes(), &clifft),
            "{gate}: {:?} vs {clifft:?}",
            sv.amplitudes()
        );
        checked += 1;
    }
    assert_eq!(checked, 11);
}
