//! Tests of the stabilizer tableau simulator and the reference sample / determinism check.
//!
//! The gate table is checked against independently written unitaries, and the tableau against a
//! small state-vector simulator on random circuits.

use qec_sim::circuit::{parse_circuit, Circuit, Target};
use qec_sim::error::SimError;
use qec_sim::gates::{Basis, GateId, GateKind, GATES};
use qec_sim::reference::{analyze, check_deterministic, reference_sample, Reference};
use qec_sim::tableau::{Outcomes, SymbolicBit, TableauSimulator, MAX_TABLEAU_QUBITS};
use rand_xoshiro::rand_core::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::PathBuf;

fn parse(text: &str) -> Circuit {
    parse_circuit(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn reference(text: &str) -> Reference {
    analyze(&parse(text)).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn bits(s: &str) -> Vec<bool> {
    s.chars().map(|c| c == '1').collect()
}

/// Runs `text` with symbolic signs and returns every measurement as a symbolic bit.
fn symbolic_results(text: &str, outcomes: Outcomes) -> Vec<SymbolicBit> {
    let c = parse(text);
    let s = c.stats();
    let mut sim = TableauSimulator::new(s.num_qubits as usize, outcomes)
        .unwrap()
        .with_symbolic_signs(usize::MAX);
    let mut out = Vec::new();
    c.for_each_flat(&mut |ins| {
        sim.execute(ins)?;
        let m = ins.num_measurements() as u32;
        for k in (1..=m).rev() {
            let (value, vars) = sim.lookback(k);
            out.push(SymbolicBit {
                value,
                vars: vars.to_vec(),
            });
        }
        Ok::<(), SimError>(())
    })
    .unwrap();
    out
}

fn rng_outcomes(seed: u64) -> Outcomes {
    Outcomes::Random(Box::new(Xoshiro256PlusPlus::seed_from_u64(seed)))
}

fn sample_with_seed(text: &str, seed: u64) -> Vec<bool> {
    symbolic_results(text, rng_outcomes(seed))
        .into_iter()
        .map(|b| b.value)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Basic states.

#[test]
fn bell_pairs_are_correlated_and_random() {
    let text = "H 0\nCX 0 1\nM 0 1\n";
    let mut seen = [false; 2];
    for seed in 0..40 {
        let r = sample_with_seed(text, seed);
        assert_eq!(r[0], r[1], "seed {seed}");
        seen[r[0] as usize] = true;
    }
    assert_eq!(seen, [true, true]);
    let sym = symbolic_results(text, Outcomes::Zero);
    assert_eq!(sym[0].vars, vec![0]);
    assert_eq!(sym[1], sym[0], "second result equals the first variable");
    // XX is also a stabilizer of the Bell state.
    let r = reference("H 0\nCX 0 1\nMX 0 1\nDETECTOR rec[-1] rec[-2]\n");
    assert_eq!(r.detectors, vec![false]);
    // And YY has eigenvalue -1.
    let r = reference("H 0\nCX 0 1\nMY 0 1\nDETECTOR rec[-1] rec[-2]\n");
    assert_eq!(r.detectors, vec![true]);
}

#[test]
fn ghz_state() {
    let prep = "H 0\nCX 0 1 1 2 2 3 3 4\n";
    for seed in 0..20 {
        let r = sample_with_seed(&format!("{prep}M 0 1 2 3 4\n"), seed);
        assert!(r.iter().all(|&b| b == r[0]), "seed {seed}: {r:?}");
    }
    // X^5 stabilizes the GHZ state: the X parity is deterministic 0, single X results are random.
    let text = format!("{prep}MX 0 1 2 3 4\nDETECTOR rec[-1] rec[-2] rec[-3] rec[-4] rec[-5]\n");
    assert_eq!(reference(&text).detectors, vec![false]);
    let sym = symbolic_results(&format!("{prep}MX 0 1 2 3 4\n"), Outcomes::Zero);
    assert!(sym.iter().take(4).all(|b| !b.is_deterministic()));
    assert!(!sym[4].is_deterministic());
    let mut parity = SymbolicBit::default();
    for b in &sym {
        parity.xor_with(b.value, &b.vars);
    }
    assert!(parity.is_deterministic() && !parity.value);
}

#[test]
fn deterministic_sequences() {
    // HSSH = HZH = X.
    assert_eq!(
        reference("H 0\nS 0\nS 0\nH 0\nM 0\n").measurements,
        bits("1")
    );
    // HSH = SQRT_X up to phase: Z -> -Y.
    assert_eq!(reference("H 0\nS 0\nH 0\nMY 0\n").measurements, bits("1"));
    assert_eq!(reference("SQRT_X 0\nMY 0\n").measurements, bits("1"));
    assert_eq!(reference("SQRT_X_DAG 0\nMY 0\n").measurements, bits("0"));
    // S on |+> gives |+i>; S_DAG on |+> gives |-i>.
    assert_eq!(reference("H 0\nS 0\nMY 0\n").measurements, bits("0"));
    assert_eq!(reference("H 0\nS_DAG 0\nMY 0\n").measurements, bits("1"));
    // Many qubits across word boundaries.
    let mut text = String::from("X 1 64 65 129\nH 2 70\nZ 70\nH 70\n");
    text.push_str("M 0 1 64 65 129 70 130\nMX 2\n");
    assert_eq!(reference(&text).measurements, bits("01111100"));
}

// ---------------------------------------------------------------------------------------------
// The gate table against independently written unitaries.

#[derive(Clone, Copy, Debug, PartialEq)]
struct C(f64, f64);

impl C {
    const ZERO: C = C(0.0, 0.0);
    const ONE: C = C(1.0, 0.0);
    const I: C = C(0.0, 1.0);
    fn add(self, o: C) -> C {
        C(self.0 + o.0, self.1 + o.1)
    }
    fn mul(self, o: C) -> C {
        C(self.0 * o.0 - self.1 * o.1, self.0 * o.1 + self.1 * o.0)
    }
    fn scale(self, s: f64) -> C {
        C(self.0 * s, self.1 * s)
    }
    fn conj(self) -> C {
        C(self.0, -self.1)
    }
    fn norm2(self) -> f64 {
        self.0 * self.0 + self.1 * self.1
    }
}

type Mat = Vec<Vec<C>>;

fn mat(rows: &[&[(f64, f64)]], scale: f64) -> Mat {
    rows.iter()
        .map(|r| r.iter().map(|&(a, b)| C(a, b).scale(scale)).collect())
        .collect()
}

fn mat_mul(a: &Mat, b: &Mat) -> Mat {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).fold(C::ZERO, |acc, k| acc.add(a[i][k].mul(b[k][j]))))
                .collect()
        })
        .collect()
}

fn dagger(a: &Mat) -> Mat {
    let n = a.len();
    (0..n)
        .map(|i| (0..n).map(|j| a[j][i].conj()).collect())
        .collect()
}

/// Two-qubit operator with slot 0 as the low bit of the basis index.
fn kron(slot0: &Mat, slot1: &Mat) -> Mat {
    (0..4)
        .map(|i| {
            (0..4)
                .map(|j| slot0[i & 1][j & 1].mul(slot1[i >> 1][j >> 1]))
                .collect()
        })
        .collect()
}

fn close(a: &Mat, b: &Mat) -> bool {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .all(|(x, y)| (x.0 - y.0).abs() < 1e-9 && (x.1 - y.1).abs() < 1e-9)
}

/// Hermitian Pauli with AG bits (x, z): I, X, Z or Y.
fn pauli1(x: bool, z: bool) -> Mat {
    const O: (f64, f64) = (0.0, 0.0);
    const P: (f64, f64) = (1.0, 0.0);
    const M: (f64, f64) = (-1.0, 0.0);
    match (x, z) {
        (false, false) => mat(&[&[P, O], &[O, P]], 1.0),
        (true, false) => mat(&[&[O, P], &[P, O]], 1.0),
        (false, true) => mat(&[&[P, O], &[O, M]], 1.0),
        (true, true) => mat(&[&[O, (0.0, -1.0)], &[(0.0, 1.0), O]], 1.0),
    }
}

/// Unitaries of the gates added for Stim 1.15 compatibility, copied from stim 1.15.0's
/// `stim.gate_data(name).unitary_matrix` (qubit 0 is the low bit of the basis index; Stim
/// stores them in single precision, so 0.70710677 is written R = 1/sqrt(2)).
fn stim_unitary(name: &str) -> Option<Mat> {
    const HALF: f64 = 0.5;
    const R: f64 = std::f64::consts::FRAC_1_SQRT_2;
    let rows: &[&[(f64, f64)]] = match name {
        "C_NXYZ" => &[
            &[(HALF, HALF), (HALF, -HALF)],
            &[(-HALF, -HALF), (HALF, -HALF)],
        ],
        "C_XNYZ" => &[
            &[(HALF, HALF), (-HALF, HALF)],
            &[(HALF, HALF), (HALF, -HALF)],
        ],
        "C_XYNZ" => &[
            &[(HALF, -HALF), (HALF, HALF)],
            &[(-HALF, HALF), (HALF, HALF)],
        ],
        "C_NZYX" => &[
            &[(HALF, HALF), (-HALF, -HALF)],
            &[(HALF, -HALF), (HALF, -HALF)],
        ],
        "C_ZNYX" => &[
            &[(HALF, -HALF), (HALF, -HALF)],
            &[(-HALF, -HALF), (HALF, HALF)],
        ],
        "C_ZYNX" => &[
            &[(HALF, -HALF), (-HALF, HALF)],
            &[(HALF, HALF), (HALF, HALF)],
        ],
        "H_NXY" => &[&[(0.0, 0.0), (R, R)], &[(R, -R), (0.0, 0.0)]],
        "H_NXZ" => &[&[(-R, 0.0), (R, 0.0)], &[(R, 0.0), (R, 0.0)]],
        "H_NYZ" => &[&[(-R, 0.0), (0.0, -R)], &[(0.0, R), (R, 0.0)]],
        "II" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
        ],
        "XCX" => &[
            &[(HALF, 0.0), (HALF, 0.0), (HALF, 0.0), (-HALF, 0.0)],
            &[(HALF, 0.0), (HALF, 0.0), (-HALF, 0.0), (HALF, 0.0)],
            &[(HALF, 0.0), (-HALF, 0.0), (HALF, 0.0), (HALF, 0.0)],
            &[(-HALF, 0.0), (HALF, 0.0), (HALF, 0.0), (HALF, 0.0)],
        ],
        "XCY" => &[
            &[(HALF, 0.0), (HALF, 0.0), (0.0, -HALF), (0.0, HALF)],
            &[(HALF, 0.0), (HALF, 0.0), (0.0, HALF), (0.0, -HALF)],
            &[(0.0, HALF), (0.0, -HALF), (HALF, 0.0), (HALF, 0.0)],
            &[(0.0, -HALF), (0.0, HALF), (HALF, 0.0), (HALF, 0.0)],
        ],
        "XCZ" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (0.0, 0.0)],
        ],
        "YCX" => &[
            &[(HALF, 0.0), (0.0, -HALF), (HALF, 0.0), (0.0, HALF)],
            &[(0.0, HALF), (HALF, 0.0), (0.0, -HALF), (HALF, 0.0)],
            &[(HALF, 0.0), (0.0, HALF), (HALF, 0.0), (0.0, -HALF)],
            &[(0.0, -HALF), (HALF, 0.0), (0.0, HALF), (HALF, 0.0)],
        ],
        "YCY" => &[
            &[(HALF, 0.0), (0.0, -HALF), (0.0, -HALF), (HALF, 0.0)],
            &[(0.0, HALF), (HALF, 0.0), (-HALF, 0.0), (0.0, -HALF)],
            &[(0.0, HALF), (-HALF, 0.0), (HALF, 0.0), (0.0, -HALF)],
            &[(HALF, 0.0), (0.0, HALF), (0.0, HALF), (HALF, 0.0)],
        ],
        "YCZ" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, -1.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.0, 0.0)],
        ],
        "SQRT_XX" => &[
            &[(HALF, HALF), (0.0, 0.0), (0.0, 0.0), (HALF, -HALF)],
            &[(0.0, 0.0), (HALF, HALF), (HALF, -HALF), (0.0, 0.0)],
            &[(0.0, 0.0), (HALF, -HALF), (HALF, HALF), (0.0, 0.0)],
            &[(HALF, -HALF), (0.0, 0.0), (0.0, 0.0), (HALF, HALF)],
        ],
        "SQRT_XX_DAG" => &[
            &[(HALF, -HALF), (0.0, 0.0), (0.0, 0.0), (HALF, HALF)],
            &[(0.0, 0.0), (HALF, -HALF), (HALF, HALF), (0.0, 0.0)],
            &[(0.0, 0.0), (HALF, HALF), (HALF, -HALF), (0.0, 0.0)],
            &[(HALF, HALF), (0.0, 0.0), (0.0, 0.0), (HALF, -HALF)],
        ],
        "SQRT_YY" => &[
            &[(HALF, HALF), (0.0, 0.0), (0.0, 0.0), (-HALF, HALF)],
            &[(0.0, 0.0), (HALF, HALF), (HALF, -HALF), (0.0, 0.0)],
            &[(0.0, 0.0), (HALF, -HALF), (HALF, HALF), (0.0, 0.0)],
            &[(-HALF, HALF), (0.0, 0.0), (0.0, 0.0), (HALF, HALF)],
        ],
        "SQRT_YY_DAG" => &[
            &[(HALF, -HALF), (0.0, 0.0), (0.0, 0.0), (-HALF, -HALF)],
            &[(0.0, 0.0), (HALF, -HALF), (HALF, HALF), (0.0, 0.0)],
            &[(0.0, 0.0), (HALF, HALF), (HALF, -HALF), (0.0, 0.0)],
            &[(-HALF, -HALF), (0.0, 0.0), (0.0, 0.0), (HALF, -HALF)],
        ],
        "SQRT_ZZ" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 1.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
        ],
        "SQRT_ZZ_DAG" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, -1.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, -1.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
        ],
        "ISWAP" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 1.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 1.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
        ],
        "ISWAP_DAG" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, -1.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, -1.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
        ],
        "CXSWAP" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
            &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
        ],
        "SWAPCX" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)],
            &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (0.0, 0.0)],
        ],
        "CZSWAP" => &[
            &[(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (1.0, 0.0), (0.0, 0.0), (0.0, 0.0)],
            &[(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (-1.0, 0.0)],
        ],
        _ => return None,
    };
    Some(mat(rows, 1.0))
}

/// Single-qubit unitaries as given in Stim's gate reference (up to global phase).
fn unitary1(name: &str) -> Mat {
    if let Some(u) = stim_unitary(name) {
        return u;
    }
    let h = std::f64::consts::FRAC_1_SQRT_2;
    match name {
        "I" => pauli1(false, false),
        "X" => pauli1(true, false),
        "Z" => pauli1(false, true),
        "Y" => pauli1(true, true),
        "H" => mat(&[&[(1., 0.), (1., 0.)], &[(1., 0.), (-1., 0.)]], h),
        "S" => mat(&[&[(1., 0.), (0., 0.)], &[(0., 0.), (0., 1.)]], 1.0),
        "S_DAG" => mat(&[&[(1., 0.), (0., 0.)], &[(0., 0.), (0., -1.)]], 1.0),
        "SQRT_X" => mat(&[&[(1., 1.), (1., -1.)], &[(1., -1.), (1., 1.)]], 0.5),
        "SQRT_X_DAG" => mat(&[&[(1., -1.), (1., 1.)], &[(1., 1.), (1., -1.)]], 0.5),
        "SQRT_Y" => mat(&[&[(1., 1.), (-1., -1.)], &[(1., 1.), (1., 1.)]], 0.5),
        "SQRT_Y_DAG" => mat(&[&[(1., -1.), (1., -1.)], &[(-1., 1.), (1., -1.)]], 0.5),
        "H_XY" => mat(&[&[(0., 0.), (1., -1.)], &[(1., 1.), (0., 0.)]], h),
        "H_YZ" => mat(&[&[(1., 0.), (0., -1.)], &[(0., 1.), (-1., 0.)]], h),
        "C_XYZ" => mat(&[&[(1., -1.), (-1., -1.)], &[(1., -1.), (1., 1.)]], 0.5),
        "C_ZYX" => mat(&[&[(1., 1.), (1., 1.)], &[(-1., 1.), (1., -1.)]], 0.5),
        other => panic!("no test unitary for {other}"),
    }
}

/// Two-qubit unitaries, control (slot 0) as the low bit of the basis index.
#[allow(clippy::needless_range_loop)]
fn unitary2(name: &str) -> Mat {
    if let Some(u) = stim_unitary(name) {
        return u;
    }
    let mut u = vec![vec![C::ZERO; 4]; 4];
    for col in 0..4usize {
        let (c, t) = (col & 1, col >> 1);
        match name {
            "CX" => u[c | (t ^ c) << 1][col] = C::ONE,
            "CY" => {
                if c == 0 {
                    u[col][col] = C::ONE;
                } else {
                    // Y|0> = i|1>, Y|1> = -i|0>.
                    let phase = if t == 0 { C::I } else { C::I.scale(-1.0) };
                    u[c | (t ^ 1) << 1][col] = phase;
                }
            }
            "CZ" => {
                u[col][col] = if c & t == 1 {
                    C::ONE.scale(-1.0)
                } else {
                    C::ONE
                }
            }
            "SWAP" => u[t | c << 1][col] = C::ONE,
            other => panic!("no test unitary for {other}"),
        }
    }
    u
}

fn gates_of(kind: GateKind) -> Vec<GateId> {
    (0..GATES.len())
        .map(|i| GateId(i as u8))
        .filter(|g| g.kind() == kind)
        .collect()
}

#[test]
fn gate_table_matches_unitaries() {
    for gate in gates_of(GateKind::Clifford1) {
        let u = unitary1(gate.name());
        assert!(
            close(&mat_mul(&u, &dagger(&u)), &pauli1(false, false)),
            "{}",
            gate.name()
        );
        let action = gate.clifford_action().unwrap();
        for idx in 0..4u8 {
            let p = pauli1(idx & 1 == 1, idx & 2 == 2);
            let (ix, iz, neg) = action.images[idx as usize];
            let mut expect = pauli1(ix == 1, iz == 1);
            if neg {
                expect = mat_mul(&expect, &pauli1(false, false));
                expect.iter_mut().flatten().for_each(|c| *c = c.scale(-1.0));
            }
            let got = mat_mul(&mat_mul(&u, &p), &dagger(&u));
            assert!(close(&got, &expect), "{} on index {idx}", gate.name());
        }
    }
    for gate in gates_of(GateKind::Clifford2) {
        let u = unitary2(gate.name());
        let action = gate.clifford_action().unwrap();
        for idx in 0..16u8 {
            let (x, z) = (idx & 3, idx >> 2);
            let p = kron(
                &pauli1(x & 1 == 1, z & 1 == 1),
                &pauli1(x & 2 == 2, z & 2 == 2),
            );
            let (ix, iz, neg) = action.images[idx as usize];
            let mut expect = kron(
                &pauli1(ix & 1 == 1, iz & 1 == 1),
                &pauli1(ix & 2 == 2, iz & 2 == 2),
            );
            if neg {
                expect.iter_mut().flatten().for_each(|c| *c = c.scale(-1.0));
            }
            let got = mat_mul(&mat_mul(&u, &p), &dagger(&u));
            assert!(close(&got, &expect), "{} on index {idx}", gate.name());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Every Clifford in the table, applied by the tableau to eigenstates.

const PAULI_NAMES: [(char, bool, bool); 3] =
    [('X', true, false), ('Y', true, true), ('Z', false, true)];

/// Lines that rotate qubit `q`'s Pauli (x, z) onto Z, so that a CX onto an ancilla reads its parity.
fn rotate_to_z(q: usize, x: bool, z: bool) -> String {
    match (x, z) {
        (true, false) => format!("H {q}\n"),
        (true, true) => format!("H_YZ {q}\n"),
        _ => String::new(),
    }
}

fn reset_for(x: bool, z: bool) -> &'static str {
    match (x, z) {
        (true, false) => "RX",
        (true, true) => "RY",
        _ => "R",
    }
}

fn measure_for(x: bool, z: bool) -> &'static str {
    match (x, z) {
        (true, false) => "MX",
        (true, true) => "MY",
        _ => "M",
    }
}

#[test]
fn single_qubit_cliffords_map_eigenstates() {
    for gate in gates_of(GateKind::Clifford1) {
        let action = gate.clifford_action().unwrap();
        for &(name, x, z) in &PAULI_NAMES {
            let (ix, iz, neg) = action.images[(x as usize) | (z as usize) << 1];
            for flip in [false, true] {
                // Prepare the (-1)^flip eigenstate of P, apply G, measure G P G^dag.
                let text = format!(
                    "{} 0\n{}{} 0\n{} 0\n",
                    reset_for(x, z),
                    // Z flips X and Y eigenstates, X flips Z eigenstates.
                    if !flip {
                        ""
                    } else if x {
                        "Z 0\n"
                    } else {
                        "X 0\n"
                    },
                    gate.name(),
                    measure_for(ix == 1, iz == 1)
                );
                let r = symbolic_results(&text, Outcomes::Zero);
                assert!(r[0].is_deterministic(), "{} on {name}: {text}", gate.name());
                assert_eq!(
                    r[0].value,
                    neg ^ flip,
                    "{} on {name} (flip {flip}):\n{text}",
                    gate.name()
                );
            }
        }
    }
}

#[test]
fn two_qubit_cliffords_map_product_eigenstates() {
    for gate in gates_of(GateKind::Clifford2) {
        let action = gate.clifford_action().unwrap();
        for &(_, x0, z0) in &PAULI_NAMES {
            for &(_, x1, z1) in &PAULI_NAMES {
                // The state |P0+> |P1+> is stabilized by P0 _, _ P1 and P0 P1.
                for (use0, use1) in [(true, false), (false, true), (true, true)] {
                    let x = (use0 && x0) as usize | ((use1 && x1) as usize) << 1;
                    let z = (use0 && z0) as usize | ((use1 && z1) as usize) << 1;
                    let (ix, iz, neg) = action.images[x | z << 2];
                    let mut text = format!(
                        "{} 0\n{} 1\nR 2\n{} 0 1\n",
                        reset_for(x0, z0),
                        reset_for(x1, z1),
                        gate.name()
                    );
                    for q in 0..2 {
                        let (qx, qz) = (ix >> q & 1 == 1, iz >> q & 1 == 1);
                        if qx || qz {
                            text += &rotate_to_z(q, qx, qz);
                            text += &format!("CX {q} 2\n");
                        }
                    }
                    text += "M 2\n";
                    let r = symbolic_results(&text, Outcomes::Zero);
                    assert!(r[0].is_deterministic(), "{text}");
                    assert_eq!(r[0].value, neg, "{}:\n{text}", gate.name());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Measurement, reset and record semantics.

#[test]
fn measure_reset_semantics() {
    // MR reports the result, then leaves |0>.
    assert_eq!(reference("X 0\nMR 0\nM 0\n").measurements, bits("10"));
    assert_eq!(
        reference("RX 0\nZ 0\nMRX 0\nMX 0\n").measurements,
        bits("10")
    );
    assert_eq!(
        reference("RY 0\nX 0\nMRY 0\nMY 0\n").measurements,
        bits("10")
    );
    // Random MR: the result is random, the reset state is not.
    let sym = symbolic_results("H 0\nMR 0\nM 0\nMRX 1\nMX 1\nMRY 2\nMY 2\n", Outcomes::Zero);
    let det: Vec<bool> = sym.iter().map(|b| b.is_deterministic()).collect();
    assert_eq!(det, vec![false, true, false, true, false, true]);
    assert!(sym.iter().all(|b| !b.value));
    for seed in 0..10 {
        let r = sample_with_seed("H 0\nMR 0\nM 0\nH 0\nMR 0\nM 0\n", seed);
        assert!(!r[1] && !r[3], "seed {seed}: {r:?}");
    }
    // Resets of entangled qubits leave the partner alone.
    let r = reference("H 0\nCX 0 1\nR 0\nM 0\nMX 0\nM 1\n");
    assert_eq!(r.measurements, bits("000"));
    let sym = symbolic_results("H 0\nCX 0 1\nR 0\nM 0\nM 1\n", Outcomes::Zero);
    assert!(sym[0].is_deterministic() && !sym[1].is_deterministic());
    // Resets of a known |1> (deterministic case) and of |-> (random case) in every basis.
    let r =
        reference("X 0\nR 0\nM 0\nRX 1\nZ 1\nRX 1\nMX 1\nRY 2\nX 2\nRY 2\nMY 2\nR 3\nRY 3\nMY 3\n");
    assert_eq!(r.measurements, bits("0000"));
}

#[test]
fn inverted_measurement_targets() {
    assert_eq!(reference("M !0\nX 1\nM !1 1\n").measurements, bits("101"));
    assert_eq!(
        reference("RX 0\nMX !0\nRY 1\nMY !1\n").measurements,
        bits("11")
    );
    // MR !q inverts the result but still resets to |0>.
    assert_eq!(reference("X 0\nMR !0\nM 0\n").measurements, bits("00"));
    // The inverted result of a random measurement has the same variable, flipped value.
    let sym = symbolic_results("H 0\nM 0\nM !0\n", Outcomes::Zero);
    assert_eq!(sym[1].vars, sym[0].vars);
    assert_eq!((sym[0].value, sym[1].value), (false, true));
    let r = reference("M 0\nM !0\nDETECTOR rec[-1] rec[-2]\n");
    assert_eq!(r.detectors, vec![true]);
}

#[test]
fn feedback_makes_detectors_deterministic() {
    let with = "H 0\nM 0\nCX rec[-1] 1\nM 1\nDETECTOR rec[-1] rec[-2]\n";
    assert_eq!(reference(with).detectors, vec![false]);
    for seed in 0..20 {
        let r = sample_with_seed("H 0\nM 0\nCX rec[-1] 1\nM 1\n", seed);
        assert_eq!(r[0], r[1], "seed {seed}");
    }
    let base = "H 0\nM 0\nM 1\n";
    assert_eq!(
        reference(&format!("{base}DETECTOR rec[-1]\n")).detectors,
        vec![false]
    );
    assert_eq!(
        check_deterministic(&parse(&format!("{base}DETECTOR rec[-2]\n"))),
        Err(SimError::NonDeterministic {
            what: "detector D0".into(),
            line: 4
        })
    );
    // CY and CZ feedback apply Y and Z; the record may also sit in the second slot of CZ.
    let r = reference(
        "X 0\nM 0\nCY rec[-1] 1\nM 1\nRX 2\nCZ rec[-2] 2\nMX 2\nRX 3\nCZ 3 rec[-3]\nMX 3\n",
    );
    assert_eq!(r.measurements, bits("1111"));
    // A 0 record does nothing.
    assert_eq!(
        reference("M 0\nCX rec[-1] 1\nM 1\n").measurements,
        bits("00")
    );
    // Feedback fixes a random stabilizer sign: MX leaves |+> or |->, Z on a 1 turns |-> into |+>.
    let t = "MX 0\nCZ rec[-1] 0\nMX 0\nDETECTOR rec[-1]\n";
    assert_eq!(reference(t).detectors, vec![false]);
    assert!(check_deterministic(&parse("MX 0\nMX 0\nDETECTOR rec[-1]\n")).is_err());
}

#[test]
fn random_detector_names_detector_and_line() {
    let e = check_deterministic(&parse("H 0\nM 0\nDETECTOR rec[-1]\n")).unwrap_err();
    assert_eq!(
        e,
        SimError::NonDeterministic {
            what: "detector D0".into(),
            line: 3
        }
    );
    assert!(e.to_string().contains("detector D0"), "{e}");
    // The malformed fixture says which line it expects.
    let text = std::fs::read_to_string(data_dir().join("malformed/nondeterministic_detector.stim"))
        .unwrap();
    let line: u32 = text
        .lines()
        .find_map(|l| l.strip_prefix("# expect-line:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    match check_deterministic(&parse(&text)) {
        Err(SimError::NonDeterministic { line: l, .. }) => assert_eq!(l, line),
        other => panic!("{other:?}"),
    }
}

#[test]
fn observables_accumulate() {
    let text =
        "H 0\nCX 0 1\nM 0\nOBSERVABLE_INCLUDE(2) rec[-1]\nM 1\nOBSERVABLE_INCLUDE(2) rec[-1]\n";
    let r = reference(text);
    assert_eq!(r.observables, vec![false, false, false]);
    let r = reference("X 0\nM 0 1\nOBSERVABLE_INCLUDE(0) rec[-2]\nOBSERVABLE_INCLUDE(1) rec[-1]\n");
    assert_eq!(r.observables, vec![true, false]);
    // Including the same random result twice cancels.
    let text =
        "H 0\nCX 0 1\nM 0\nOBSERVABLE_INCLUDE(0) rec[-1]\nM 1\nOBSERVABLE_INCLUDE(0) rec[-2]\n";
    assert!(check_deterministic(&parse(text)).is_ok());
    // A random observable is reported with the line of its last include.
    let text = "H 0\nM 0\nOBSERVABLE_INCLUDE(0) rec[-1]\nM 1\nOBSERVABLE_INCLUDE(0) rec[-1]\n";
    assert_eq!(
        check_deterministic(&parse(text)),
        Err(SimError::NonDeterministic {
            what: "observable L0".into(),
            line: 5
        })
    );
}

#[test]
fn repeat_blocks() {
    let looped = "R 0 1\nREPEAT 3 {\n  X 0\n  CX 0 1\n  M 1\n  DETECTOR rec[-1]\n}\nM 0\n";
    let unrolled = "R 0 1\nX 0\nCX 0 1\nM 1\nDETECTOR rec[-1]\nX 0\nCX 0 1\nM 1\nDETECTOR rec[-1]\nX 0\nCX 0 1\nM 1\nDETECTOR rec[-1]\nM 0\n";
    let a = reference(looped);
    assert_eq!(a, reference(unrolled));
    // q0 toggles 1, 0, 1; q1 accumulates it: 1, 1, 0.
    assert_eq!(a.measurements, bits("1101"));
    assert_eq!(a.detectors, bits("110"));
    assert_eq!(reference_sample(&parse(looped)).unwrap(), a);
    // Detector numbering continues through iterations; the line is the one inside the loop.
    let text = "REPEAT 4 {\n  R 0\n  M 0\n  DETECTOR rec[-1]\n}\nH 0\nREPEAT 2 {\n  M 0\n  DETECTOR rec[-1]\n}\n";
    assert_eq!(
        check_deterministic(&parse(text)),
        Err(SimError::NonDeterministic {
            what: "detector D4".into(),
            line: 9
        })
    );
    // Nested loops and look-backs across iterations.
    let text =
        "RX 0\nMX 0\nREPEAT 3 {\n  REPEAT 2 {\n    MX 0\n    DETECTOR rec[-1] rec[-2]\n  }\n}\n";
    let r = reference(text);
    assert_eq!(r.detectors.len(), 6);
    assert!(r.detectors.iter().all(|&d| !d));
    // A long loop: the reference is computed without unrolling the circuit in memory.
    let text =
        "H 0\nM 0\nREPEAT 100000 {\n  CX 0 1\n  M 1\n  R 1\n  DETECTOR rec[-1] rec[-2]\n  M 0\n}\n";
    let r = reference(text);
    assert_eq!(r.detectors.len(), 100_000);
    assert_eq!(r.measurements.len(), 200_001);
}

#[test]
fn refusals() {
    let e = check_deterministic(&parse("H 0\n\nCH 0 1\n")).unwrap_err();
    assert_eq!(
        e,
        SimError::NonClifford {
            gate: "CH",
            line: 3
        }
    );
    assert!(reference_sample(&parse("REPEAT 2 {\nCH 0 1\n}\n")).is_err());
    // The non-Clifford single-qubit gates too, even at Clifford angles (R_Z(0.5) is S up to
    // phase): the Clifford engines refuse the gate, not the angle.
    for (text, gate) in [
        ("H 0\nT 0\n", "T"),
        ("H 0\nT_DAG 0\n", "T_DAG"),
        ("H 0\nR_X(0.1) 0\n", "R_X"),
        ("H 0\nR_Y(0.5) 0\n", "R_Y"),
        ("H 0\nR_Z(1) 0\n", "R_Z"),
        ("H 0\nU3(0.5, 0, 1) 0\n", "U3"),
    ] {
        assert_eq!(
            check_deterministic(&parse(text)).unwrap_err(),
            SimError::NonClifford { gate, line: 2 }
        );
        let mut tab = TableauSimulator::new(1, Outcomes::Zero).unwrap();
        assert_eq!(
            tab.run(&parse(text)).unwrap_err(),
            SimError::NonClifford { gate, line: 2 }
        );
    }
    let big = MAX_TABLEAU_QUBITS;
    match reference_sample(&parse(&format!("H {big}\n"))) {
        Err(SimError::TooManyQubits { qubits, limit, .. }) => {
            assert_eq!((qubits, limit), (big + 1, big));
        }
        other => panic!("{other:?}"),
    }
    assert!(reference_sample(&parse(&format!("H {}\n", big - 1))).is_ok());
}

#[test]
fn noise_is_ignored() {
    let text = "X_ERROR(1) 0\nDEPOLARIZE2(0.5) 0 1\nE(1) X0\nELSE_CORRELATED_ERROR(1) X1\nM(0.5) 0\nM 1\nDETECTOR rec[-1]\n";
    let r = reference(text);
    assert_eq!(r.measurements, bits("00"));
    assert_eq!(r.detectors, bits("0"));
}

// ---------------------------------------------------------------------------------------------
// Random circuits against a state-vector simulator.

struct StateVector {
    amps: Vec<C>,
}

impl StateVector {
    fn new(n: usize) -> StateVector {
        let mut amps = vec![C::ZERO; 1 << n];
        amps[0] = C::ONE;
        StateVector { amps }
    }

    fn apply1(&mut self, u: &Mat, q: usize) {
        for i in 0..self.amps.len() {
            if i >> q & 1 == 0 {
                let j = i | 1 << q;
                let (a, b) = (self.amps[i], self.amps[j]);
                self.amps[i] = u[0][0].mul(a).add(u[0][1].mul(b));
                self.amps[j] = u[1][0].mul(a).add(u[1][1].mul(b));
            }
        }
    }

    fn apply2(&mut self, u: &Mat, a: usize, b: usize) {
        for i in 0..self.amps.len() {
            if i >> a & 1 == 0 && i >> b & 1 == 0 {
                let idx = [i, i | 1 << a, i | 1 << b, i | 1 << a | 1 << b];
                let old: Vec<C> = idx.iter().map(|&k| self.amps[k]).collect();
                for (r, &k) in idx.iter().enumerate() {
                    self.amps[k] = (0..4).fold(C::ZERO, |acc, c| acc.add(u[r][c].mul(old[c])));
                }
            }
        }
    }

    /// Applies `u` (a Z-basis operation) to qubit q in `basis`.
    fn apply_in_basis(&mut self, u: &Mat, q: usize, basis: Basis) {
        let rot = basis_unitary(basis);
        if let Some(r) = &rot {
            self.apply1(r, q);
        }
        self.apply1(u, q);
        if let Some(r) = &rot {
            self.apply1(&dagger(r), q);
        }
    }

    /// Measures qubit q in `basis`. With `claim = Some((bit, deterministic))` the tableau's claim
    /// is checked and the state collapses to `bit`; with None the outcome is 0 unless impossible.
    fn measure(&mut self, q: usize, basis: Basis, claim: Option<(bool, bool)>, text: &str) -> bool {
        let rot = basis_unitary(basis);
        if let Some(r) = &rot {
            self.apply1(r, q);
        }
        let p1 = self.prob_one(q);
        let bit = match claim {
            Some((bit, true)) => {
                assert!(
                    (p1 - bit as u8 as f64).abs() < 1e-6,
                    "qubit {q} {basis:?}: deterministic {bit} but P(1) = {p1}\n{text}"
                );
                bit
            }
            Some((bit, false)) => {
                assert!(
                    (p1 - 0.5).abs() < 1e-6,
                    "qubit {q} {basis:?}: random but P(1) = {p1}\n{text}"
                );
                bit
            }
            None => p1 > 0.5 + 1e-6,
        };
        self.project(q, bit);
        if let Some(r) = &rot {
            self.apply1(&dagger(r), q);
        }
        bit
    }

    fn prob_one(&self, q: usize) -> f64 {
        (0..self.amps.len())
            .filter(|i| i >> q & 1 == 1)
            .map(|i| self.amps[i].norm2())
            .sum()
    }

    /// Projects qubit q (Z basis) onto `bit` and renormalises.
    fn project(&mut self, q: usize, bit: bool) {
        let p = if bit {
            self.prob_one(q)
        } else {
            1.0 - self.prob_one(q)
        };
        assert!(p > 1e-6);
        for i in 0..self.amps.len() {
            self.amps[i] = if (i >> q & 1 == 1) == bit {
                self.amps[i].scale(1.0 / p.sqrt())
            } else {
                C::ZERO
            };
        }
    }
}

fn basis_unitary(basis: Basis) -> Option<Mat> {
    match basis {
        Basis::Z => None,
        Basis::X => Some(unitary1("H")),
        Basis::Y => Some(unitary1("H_YZ")),
    }
}

/// A random circuit on the qubits `labels` (the state vector's qubit i is `labels[i]`).
fn random_circuit(rng: &mut Xoshiro256PlusPlus, labels: &[u32], len: usize) -> String {
    let n = labels.len();
    let c1 = gates_of(GateKind::Clifford1);
    let c2 = gates_of(GateKind::Clifford2);
    let ops = ["M", "MX", "MY", "R", "RX", "RY", "MR", "MRX", "MRY"];
    let mut text = String::new();
    let mut measured = 0;
    for _ in 0..len {
        let qi = rng.next_u32() as usize % n;
        let q = labels[qi];
        let roll = rng.next_u32() % 10;
        if roll < 4 {
            let g = c1[rng.next_u32() as usize % c1.len()];
            text += &format!("{} {q}\n", g.name());
        } else if roll < 7 {
            let g = c2[rng.next_u32() as usize % c2.len()];
            let r = labels[(qi + 1 + rng.next_u32() as usize % (n - 1)) % n];
            text += &format!("{} {q} {r}\n", g.name());
        } else if roll < 9 || measured == 0 {
            let op = ops[rng.next_u32() as usize % ops.len()];
            let bang = if op.starts_with('M') && rng.next_u32().is_multiple_of(4) {
                "!"
            } else {
                ""
            };
            text += &format!("{op} {bang}{q}\n");
            measured += op.starts_with('M') as usize;
        } else {
            let g = ["CX", "CY", "CZ"][rng.next_u32() as usize % 3];
            let k = 1 + rng.next_u32() as usize % measured;
            if rng.next_u32().is_multiple_of(2) || g != "CZ" {
                text += &format!("{g} rec[-{k}] {q}\n");
            } else {
                text += &format!("{g} {q} rec[-{k}]\n");
            }
        }
    }
    text
}

/// Runs `text` on the symbolic tableau and on the state vector. The state vector takes every
/// random outcome as the tableau's choice XOR a coin flip drawn from `flip_seed`; each variable v_k
/// then equals its flip, and every result must equal `value + sum of its variables' flips`.
fn cross_check(text: &str, labels: &[u32], outcomes: Outcomes, flip_seed: u64) {
    let c = parse(text);
    let n = labels.len();
    let sv_index = |label: u32| labels.iter().position(|&l| l == label).unwrap();
    let tab_qubits = *labels.iter().max().unwrap() as usize + 1;
    let mut tab = TableauSimulator::new(tab_qubits, outcomes)
        .unwrap()
        .with_symbolic_signs(usize::MAX);
    let mut coins = Xoshiro256PlusPlus::seed_from_u64(flip_seed);
    let mut flips: Vec<bool> = Vec::new();
    let mut sv = StateVector::new(n);
    let mut record: Vec<bool> = Vec::new();
    // Checks a tableau result against the state vector and collapses the latter to match.
    let mut observe = |tab: &TableauSimulator,
                       sv: &mut StateVector,
                       fresh_before: u64,
                       r: &SymbolicBit,
                       q: usize,
                       basis: Basis|
     -> bool {
        let fresh = tab.num_random_variables() > fresh_before;
        if fresh {
            assert_eq!(r.vars, vec![fresh_before], "{text}");
            flips.push(coins.next_u32() & 1 == 1);
        }
        let physical = r
            .vars
            .iter()
            .fold(r.value, |acc, &v| acc ^ flips[v as usize]);
        sv.measure(q, basis, Some((physical, !fresh)), text)
    };
    c.for_each_flat(&mut |ins| {
        let kind = ins.gate.kind();
        let name = ins.gate.name();
        match kind {
            GateKind::Clifford1 => {
                tab.execute(ins)?;
                for t in &ins.targets {
                    sv.apply1(&unitary1(name), sv_index(t.qubit_index().unwrap()));
                }
            }
            GateKind::Clifford2 => {
                tab.execute(ins)?;
                match (ins.targets[0], ins.targets[1]) {
                    (Target::Rec(k), Target::Qubit { index, .. })
                    | (Target::Qubit { index, .. }, Target::Rec(k)) => {
                        if record[record.len() - k as usize] {
                            let p = &name[1..]; // CX -> X, CY -> Y, CZ -> Z.
                            sv.apply1(&unitary1(p), sv_index(index));
                        }
                    }
                    (a, b) => sv.apply2(
                        &unitary2(name),
                        sv_index(a.qubit_index().unwrap()),
                        sv_index(b.qubit_index().unwrap()),
                    ),
                }
            }
            GateKind::Measure(basis) | GateKind::MeasureReset(basis) | GateKind::Reset(basis) => {
                let Target::Qubit { index, inverted } = ins.targets[0] else {
                    panic!("single qubit targets")
                };
                let q = sv_index(index);
                let before = tab.num_random_variables();
                let r = if let GateKind::Reset(_) = kind {
                    // A reset is a measure-reset whose result is dropped; use the public
                    // measure_reset to see the hidden outcome.
                    tab.measure_reset(index, basis)
                } else {
                    tab.execute(ins)?;
                    let (recorded, vars) = tab.lookback(1);
                    SymbolicBit {
                        value: recorded ^ inverted,
                        vars: vars.to_vec(),
                    }
                };
                let physical = observe(&tab, &mut sv, before, &r, q, basis);
                if !matches!(kind, GateKind::Reset(_)) {
                    record.push(physical ^ inverted);
                }
                if !matches!(kind, GateKind::Measure(_)) && physical {
                    sv.apply_in_basis(&unitary1("X"), q, basis);
                }
            }
            _ => tab.execute(ins)?,
        }
        Ok::<(), SimError>(())
    })
    .unwrap();
    // Finally every qubit agrees in every basis.
    for (q, &label) in labels.iter().enumerate() {
        for basis in [Basis::Z, Basis::X, Basis::Y] {
            let before = tab.num_random_variables();
            let r = tab.measure(label, basis);
            observe(&tab, &mut sv, before, &r, q, basis);
        }
    }
}

#[test]
fn random_circuits_agree_with_state_vector() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    for round in 0..400u64 {
        let n = 2 + round as usize % 4;
        let labels: Vec<u32> = (0..n as u32).collect();
        let text = random_circuit(&mut rng, &labels, 40);
        cross_check(&text, &labels, Outcomes::Zero, round);
        cross_check(&text, &labels, rng_outcomes(round), round + 1000);
    }
}

#[test]
fn random_circuits_across_word_boundaries() {
    // Few active qubits with labels spread over several 64-bit words, so rows and columns of the
    // tableau span word boundaries (idle qubits stay |0>).
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    for round in 0..200u64 {
        let n = 3 + round as usize % 3;
        let mut labels: Vec<u32> = Vec::new();
        while labels.len() < n {
            let l = rng.next_u32() % 200;
            if !labels.contains(&l) {
                labels.push(l);
            }
        }
        let text = random_circuit(&mut rng, &labels, 60);
        cross_check(&text, &labels, Outcomes::Zero, round);
        cross_check(&text, &labels, rng_outcomes(round), round + 1000);
    }
}

// ---------------------------------------------------------------------------------------------
// Stim-made fixtures.

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Detector parities of a measurement record, walking the circuit.
fn detector_parities(circuit: &Circuit, record: &[bool]) -> (Vec<bool>, Vec<bool>) {
    let mut m = 0usize;
    let mut dets = Vec::new();
    let mut obs = vec![false; circuit.stats().num_observables as usize];
    circuit
        .for_each_flat(&mut |ins| {
            let parity = ins.targets.iter().fold(false, |acc, t| match *t {
                Target::Rec(k) => acc ^ record[m - k as usize],
                _ => acc,
            });
            match ins.gate.kind() {
                GateKind::Detector => dets.push(parity),
                GateKind::ObservableInclude => obs[ins.args[0] as usize] ^= parity,
                _ => {}
            }
            m += ins.num_measurements() as usize;
            Ok::<(), ()>(())
        })
        .unwrap();
    (dets, obs)
}

#[test]
fn stim_fixtures_agree() {
    let mut names: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".ref.txt").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for name in &names {
        let text = std::fs::read_to_string(data_dir().join(format!("{name}.stim"))).unwrap();
        let stim_ref = bits(
            std::fs::read_to_string(data_dir().join(format!("{name}.ref.txt")))
                .unwrap()
                .trim(),
        );
        let circuit = parse(&text);
        let ours = analyze(&circuit).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ours, reference_sample(&circuit).unwrap(), "{name}");
        let (stim_dets, stim_obs) = detector_parities(&circuit, &stim_ref);
        assert_eq!(ours.detectors, stim_dets, "{name}: detectors");
        assert_eq!(ours.observables, stim_obs, "{name}: observables");
        // Stim may choose random outcomes differently (it collapses multi-target MX / MY in qubit
        // order, for one), so only deterministic measurements must agree bit for bit.
        let sym = symbolic_results(&text, Outcomes::Zero);
        assert_eq!(sym.len(), stim_ref.len(), "{name}");
        for (i, (ours_bit, &stim_bit)) in sym.iter().zip(&stim_ref).enumerate() {
            assert_eq!(ours_bit.value, ours.measurements[i], "{name}");
            if ours_bit.is_deterministic() {
                assert_eq!(ours_bit.value, stim_bit, "{name}: measurement {i}");
            }
        }
        if !["misc_gates", "mpp_spp_steane", "stim_115_gates"].contains(&name.as_str()) {
            // Generated circuits: every detector and observable is 0 in the reference.
            assert!(
                ours.detectors.iter().chain(&ours.observables).all(|&b| !b),
                "{name}"
            );
        }
    }
}

#[test]
fn pauli_products_measure_and_rotate() {
    // Bell pair: XX = +1, ZZ = +1, YY = -1 (so `!Y0*Y1` reads 0); X0 alone is random.
    let r = reference("H 0\nCX 0 1\nMPP X0*X1 Z0*Z1 Y0*Y1 !Y0*Y1\n");
    assert_eq!(r.measurements, bits("0010"));
    // After the random X0, X1 equals it (XX = +1) and Z0*Z1 is random again.
    let sym = symbolic_results("H 0\nCX 0 1\nMPP X0*X1 X0 X1 Z0*Z1\n", Outcomes::Zero);
    assert!(sym[0].is_deterministic());
    assert!(!sym[1].is_deterministic());
    assert_eq!(sym[2], sym[1]);
    assert!(!sym[3].is_deterministic() && sym[3].vars != sym[1].vars);
    // SPP X0 twice is X (up to phase); SPP then SPP_DAG is the identity; `!` swaps them.
    assert_eq!(reference("SPP X0\nSPP X0\nM 0\n").measurements, bits("1"));
    assert_eq!(
        reference("SPP X0\nSPP_DAG X0\nM 0\n").measurements,
        bits("0")
    );
    assert_eq!(reference("SPP X0\nSPP !X0\nM 0\n").measurements, bits("0"));
    // SPP Z = S: |+> -> |+i>, read by MY as 0 and by MPP Y as 0; SPP_DAG Z gives |-i>.
    assert_eq!(reference("RX 0\nSPP Z0\nMY 0\n").measurements, bits("0"));
    assert_eq!(
        reference("RX 0\nSPP_DAG Z0\nMPP Y0\n").measurements,
        bits("1")
    );
    // exp(-i pi/4 X0 Z1) maps Z0 to -Y0 Z1 (since it is S on the pivot after CX, H): from |00>,
    // Y0*Z1 reads 1 and !Y0*Z1 reads 0.
    assert_eq!(
        reference("SPP X0*Z1\nMPP Y0*Z1 !Y0*Z1\n").measurements,
        bits("10")
    );
}
