//! The gate table: one entry per gate drives the parser, the printer and every simulator.
//!
//! Names, aliases and Clifford actions follow Stim's gate reference
//! (<https://github.com/quantumlib/Stim/blob/main/doc/gates.md>). A Clifford action is
//! written as the images of the single-qubit generators, in the order X, Z (one qubit) or
//! X_, Z_, _X, _Z (two qubits), e.g. CX sends X_ to +XX. From that one line the tableau
//! simulator derives signed row updates and the frame simulator derives its GF(2) update.

use std::sync::OnceLock;

/// Measurement or reset basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Basis {
    X,
    Y,
    Z,
}

/// What an instruction does, as far as simulators and validation care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GateKind {
    /// Single-qubit Clifford unitary.
    Clifford1,
    /// Two-qubit Clifford unitary applied to consecutive target pairs.
    Clifford2,
    /// Single-qubit non-Clifford unitary (`T`, `T_DAG`, `R_X`/`R_Y`/`R_Z`, `U3`), its matrix
    /// given by the table's `unitary` from the instruction's angles. Clifford engines refuse it,
    /// even at angles where it happens to be Clifford (multiples of 1/2 half-turn).
    NonClifford1,
    /// Two-qubit non-Clifford unitary (the controlled-Hadamard). Clifford engines refuse it.
    NonClifford2,
    /// `MPP`: measures each Pauli product of the target list (`X1*Z2 !Y3`), one result each.
    PauliProductMeasure,
    /// `SPP` / `SPP_DAG`: exp(-i pi/4 P) (resp. exp(+i pi/4 P)) for each Pauli product P, up to
    /// global phase: a Clifford that multiplies the -1 eigenspace of P by i (resp. -i).
    PauliProductRotation { dagger: bool },
    /// Reset to the +1 eigenstate of the basis.
    Reset(Basis),
    /// Reset to the magic state |H> = cos(pi/8)|0> + sin(pi/8)|1>, the +1 eigenstate of the
    /// Hadamard (state injection). Not a stabilizer state: Clifford engines refuse it.
    MagicReset,
    /// Measurement in the basis, appending one result per target to the record.
    Measure(Basis),
    /// Measurement followed by reset in the same basis.
    MeasureReset(Basis),
    /// Single-qubit Pauli channel.
    Noise1,
    /// Two-qubit Pauli channel on target pairs.
    Noise2,
    /// `E`/`CORRELATED_ERROR` (starts a chain) or `ELSE_CORRELATED_ERROR` (continues it).
    Correlated { else_branch: bool },
    /// `DETECTOR(coords...) rec[-k]...`
    Detector,
    /// `OBSERVABLE_INCLUDE(k) rec[-k]...`
    ObservableInclude,
    /// `QUBIT_COORDS(coords...) q...`
    QubitCoords,
    /// `SHIFT_COORDS(offsets...)`
    ShiftCoords,
    /// `TICK`: a time-step boundary.
    Tick,
    /// `MPAD(p) b...`: appends the bit b (a target `0` or `1`, not a qubit) to the record,
    /// flipped with probability p; touches no qubit.
    MeasurePad,
    /// `HERALDED_ERASE(p)` / `HERALDED_PAULI_CHANNEL_1(pi, px, py, pz)`: per target, a herald
    /// result is appended to the record (1 when the channel fired, else 0) and, when it fired,
    /// I, X, Y or Z is applied (for the erasure each with p/4).
    HeraldedNoise,
    /// `I_ERROR` / `II_ERROR`: noise channels that do nothing whatever their arguments (Stim
    /// keeps them as placeholders for tags).
    IdentityNoise,
}

/// How a noise gate turns its arguments into disjoint Pauli outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoiseShape {
    /// One argument p: the given Pauli (as `X`, `Y`, `Z`) with probability p.
    Fixed(char),
    /// One argument p split evenly over all non-identity Paulis (3 or 15).
    Uniform,
    /// One argument per non-identity Pauli, in Stim's order (X, Y, Z; or IX, IY, ..., ZZ).
    PerPauli,
    /// Heralded: one argument p split evenly over I, X, Y, Z (`HERALDED_ERASE`).
    HeraldedUniform,
    /// Heralded: one argument per Pauli I, X, Y, Z (`HERALDED_PAULI_CHANNEL_1`).
    HeraldedPerPauli,
}

/// The argument list a gate accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ArgRule {
    /// No parenthesised arguments allowed.
    None,
    /// An optional single flip probability (measurements).
    OptionalProbability,
    /// Exactly `count` probabilities, each at most `max_each`, summing to at most 1.
    Probabilities { count: usize, max_each: f64 },
    /// Any number of finite coordinates.
    Coordinates,
    /// Exactly one non-negative integer (observable index).
    ObservableIndex,
    /// Exactly `count` finite rotation angles, in half-turns (Clifft's unit: angle 1 = pi rad).
    Angles { count: usize },
    /// Any number of probabilities in [0, 1] (`I_ERROR`, `II_ERROR`).
    AnyProbabilities,
}

/// The targets a gate accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetRule {
    /// Plain qubits.
    Qubits,
    /// Qubits, optionally inverted with `!` (measurements).
    QubitsInvertible,
    /// Pairs of distinct qubits; if `feedback`, a `rec[-k]` may stand in the control slot.
    Pairs { feedback: bool },
    /// Pauli targets such as `X1 Y2`.
    Paulis,
    /// Pauli products such as `X1*Z2 !Y3`: Pauli targets joined by `*`, each optionally
    /// inverted with `!` (MPP, SPP). A qubit may appear only once in one product.
    PauliProducts,
    /// Measurement-record targets `rec[-k]` only.
    Records,
    /// Measurement-record targets or Pauli targets (`OBSERVABLE_INCLUDE(0) rec[-1] X5`).
    RecordsOrPaulis,
    /// Pairs of distinct qubits, each optionally inverted, measured as the two-qubit Pauli
    /// product `basis (x) basis` (`MXX 0 1 !2 3`).
    PauliPairs(Basis),
    /// The bits `0` and `1` (`MPAD 0 1`).
    Bits,
    /// No targets.
    None,
}

/// One row of the gate table.
#[derive(Debug)]
pub struct GateDef {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: GateKind,
    pub args: ArgRule,
    pub targets: TargetRule,
    /// Images of X, Z (one qubit) or X_, Z_, _X, _Z (two qubits), for Clifford unitaries.
    pub clifford: Option<&'static [&'static str]>,
    pub noise: Option<NoiseShape>,
    /// Unitary matrix of non-Clifford gates as a function of the instruction's arguments
    /// (row-major, entries as (re, im)), in the basis |b0 b1> with index b0 + 2 b1 (the first
    /// target is the low bit). Clifford matrices are derived from `clifford` instead (see
    /// `statevec::gate_matrix`).
    pub unitary: Option<UnitaryFn>,
}

/// A gate's unitary from its (already validated) arguments; see [`GateDef::unitary`].
pub type UnitaryFn = fn(&[f64]) -> Vec<(f64, f64)>;

/// Index of a gate in [`GATES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GateId(pub u8);

const R2: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Controlled-Hadamard, control = first target (low bit): identity on |0x>, H on the target of |1x>.
#[rustfmt::skip]
pub static CH_MATRIX: [(f64, f64); 16] = [
    (1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0),
    (0.0, 0.0), (R2, 0.0), (0.0, 0.0), (R2, 0.0),
    (0.0, 0.0), (0.0, 0.0), (1.0, 0.0), (0.0, 0.0),
    (0.0, 0.0), (R2, 0.0), (0.0, 0.0), (-R2, 0.0),
];

/// Ry(pi/4) = exp(-i pi/8 Y), which turns |0> into |H>: the rotation `RH` applies after R.
#[rustfmt::skip]
static RY_PI_4_MATRIX: [(f64, f64); 4] = [
    (COS_PI_8, 0.0), (-SIN_PI_8, 0.0),
    (SIN_PI_8, 0.0), (COS_PI_8, 0.0),
];

fn ch_matrix(_: &[f64]) -> Vec<(f64, f64)> {
    CH_MATRIX.to_vec()
}

fn ry_pi_4_matrix(_: &[f64]) -> Vec<(f64, f64)> {
    RY_PI_4_MATRIX.to_vec()
}

// The non-Clifford single-qubit gates follow Clifft (unitaryfoundation/clifft, commit 6501fc0,
// the convention Tsim and the QDK's Stim reader share): angles are in half-turns,
// `docs/reference/gates.md` ("All angle parameters are in half-turns"), and
// `src/clifft/frontend/hir.h` defines R_Z(alpha) = exp(-i alpha pi/2 Z); R_X and R_Y are its
// conjugates by H and H_YZ (`frontend.cc`), and U3(theta, phi, lambda) = R_Z(phi) R_Y(theta)
// R_Z(lambda) times e^{i (phi + lambda) pi/2}, which is Qiskit's U3 matrix (`frontend.cc`,
// "Align global phase with Qiskit's U3 definition"). Matrices here carry those global phases.

/// exp(-i a P) for the single-qubit Pauli `axis`, `a` in radians, as a row-major 2x2 matrix.
pub fn pauli_rotation_matrix(axis: Basis, a: f64) -> [(f64, f64); 4] {
    let (c, s) = (a.cos(), a.sin());
    // cos(a) I - i sin(a) P.
    match axis {
        Basis::X => [(c, 0.0), (0.0, -s), (0.0, -s), (c, 0.0)],
        Basis::Y => [(c, 0.0), (-s, 0.0), (s, 0.0), (c, 0.0)],
        Basis::Z => [(c, -s), (0.0, 0.0), (0.0, 0.0), (c, s)],
    }
}

/// T = diag(1, e^{i pi/4}).
fn t_matrix(_: &[f64]) -> Vec<(f64, f64)> {
    vec![(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (R2, R2)]
}

/// T_DAG = diag(1, e^{-i pi/4}).
fn t_dag_matrix(_: &[f64]) -> Vec<(f64, f64)> {
    vec![(1.0, 0.0), (0.0, 0.0), (0.0, 0.0), (R2, -R2)]
}

/// R_X(alpha) = exp(-i alpha pi/2 X), alpha in half-turns.
fn r_x_matrix(args: &[f64]) -> Vec<(f64, f64)> {
    pauli_rotation_matrix(Basis::X, args[0] * FRAC_PI_2).to_vec()
}

/// R_Y(alpha) = exp(-i alpha pi/2 Y), alpha in half-turns.
fn r_y_matrix(args: &[f64]) -> Vec<(f64, f64)> {
    pauli_rotation_matrix(Basis::Y, args[0] * FRAC_PI_2).to_vec()
}

/// R_Z(alpha) = exp(-i alpha pi/2 Z), alpha in half-turns.
fn r_z_matrix(args: &[f64]) -> Vec<(f64, f64)> {
    pauli_rotation_matrix(Basis::Z, args[0] * FRAC_PI_2).to_vec()
}

/// U3(theta, phi, lambda) with angles in half-turns: Qiskit's
/// [[cos(t/2), -e^{i l} sin(t/2)], [e^{i p} sin(t/2), e^{i (p + l)} cos(t/2)]] at t = theta pi,
/// p = phi pi, l = lambda pi; equal to e^{i (p + l)/2} R_Z(phi) R_Y(theta) R_Z(lambda).
fn u3_matrix(args: &[f64]) -> Vec<(f64, f64)> {
    let pi = std::f64::consts::PI;
    let (t, p, l) = (args[0] * pi, args[1] * pi, args[2] * pi);
    let (c, s) = ((t / 2.0).cos(), (t / 2.0).sin());
    vec![
        (c, 0.0),
        (-l.cos() * s, -l.sin() * s),
        (p.cos() * s, p.sin() * s),
        ((p + l).cos() * c, (p + l).sin() * c),
    ]
}

const FRAC_PI_2: f64 = std::f64::consts::FRAC_PI_2;

/// cos(pi/8) and sin(pi/8), the amplitudes of |H>.
pub const COS_PI_8: f64 = 0.923_879_532_511_286_7;
pub const SIN_PI_8: f64 = 0.382_683_432_365_089_8;

const P1: ArgRule = ArgRule::Probabilities {
    count: 1,
    max_each: 1.0,
};

macro_rules! gate {
    ($name:expr, [$($alias:expr),*], $kind:expr, $args:expr, $targets:expr, $cliff:expr, $noise:expr) => {
        GateDef {
            name: $name,
            aliases: &[$($alias),*],
            kind: $kind,
            args: $args,
            targets: $targets,
            clifford: $cliff,
            noise: $noise,
            unitary: None,
        }
    };
}

macro_rules! c1 {
    ($name:expr, [$($alias:expr),*], $x:expr, $z:expr) => {
        gate!($name, [$($alias),*], GateKind::Clifford1, ArgRule::None, TargetRule::Qubits, Some(&[$x, $z]), None)
    };
}

macro_rules! c2 {
    ($name:expr, [$($alias:expr),*], $feedback:expr, $xi:expr, $zi:expr, $ix:expr, $iz:expr) => {
        gate!($name, [$($alias),*], GateKind::Clifford2, ArgRule::None,
              TargetRule::Pairs { feedback: $feedback }, Some(&[$xi, $zi, $ix, $iz]), None)
    };
}

macro_rules! measure {
    ($name:expr, [$($alias:expr),*], $kind:expr) => {
        gate!($name, [$($alias),*], $kind, ArgRule::OptionalProbability, TargetRule::QubitsInvertible, None, None)
    };
}

macro_rules! non_clifford1 {
    ($name:expr, [$($alias:expr),*], $args:expr, $unitary:expr) => {
        GateDef {
            name: $name,
            aliases: &[$($alias),*],
            kind: GateKind::NonClifford1,
            args: $args,
            targets: TargetRule::Qubits,
            clifford: None,
            noise: None,
            unitary: Some($unitary),
        }
    };
}

/// Every gate qec-sim knows. Adding a gate is one entry here.
pub static GATES: &[GateDef] = &[
    // Single-qubit Cliffords.
    c1!("I", [], "+X", "+Z"),
    c1!("X", [], "+X", "-Z"),
    c1!("Y", [], "-X", "-Z"),
    c1!("Z", [], "-X", "+Z"),
    c1!("H", ["H_XZ"], "+Z", "+X"),
    c1!("S", ["SQRT_Z"], "+Y", "+Z"),
    c1!("S_DAG", ["SQRT_Z_DAG"], "-Y", "+Z"),
    c1!("SQRT_X", [], "+X", "-Y"),
    c1!("SQRT_X_DAG", [], "+X", "+Y"),
    c1!("SQRT_Y", [], "-Z", "+X"),
    c1!("SQRT_Y_DAG", [], "+Z", "-X"),
    c1!("H_XY", [], "+Y", "-Z"),
    c1!("H_YZ", [], "-X", "+Y"),
    c1!("C_XYZ", [], "+Y", "+X"),
    c1!("C_ZYX", [], "+Z", "+Y"),
    // The sign variants added in Stim 1.15 (images from stim.Tableau.from_named_gate).
    c1!("C_NXYZ", [], "-Y", "-X"),
    c1!("C_XNYZ", [], "-Y", "+X"),
    c1!("C_XYNZ", [], "+Y", "-X"),
    c1!("C_NZYX", [], "-Z", "-Y"),
    c1!("C_ZNYX", [], "+Z", "-Y"),
    c1!("C_ZYNX", [], "-Z", "+Y"),
    c1!("H_NXY", [], "-Y", "-Z"),
    c1!("H_NXZ", [], "-Z", "-X"),
    c1!("H_NYZ", [], "-X", "-Y"),
    // Two-qubit Cliffords (control first).
    c2!("CX", ["CNOT", "ZCX"], true, "+XX", "+Z_", "+_X", "+ZZ"),
    c2!("CY", ["ZCY"], true, "+XY", "+Z_", "+ZX", "+ZZ"),
    c2!("CZ", ["ZCZ"], true, "+XZ", "+Z_", "+ZX", "+_Z"),
    c2!("SWAP", [], false, "+_X", "+_Z", "+X_", "+Z_"),
    c2!("II", [], false, "+X_", "+Z_", "+_X", "+_Z"),
    c2!("XCX", [], false, "+X_", "+ZX", "+_X", "+XZ"),
    c2!("XCY", [], false, "+X_", "+ZY", "+XX", "+XZ"),
    c2!("XCZ", [], true, "+X_", "+ZZ", "+XX", "+_Z"),
    c2!("YCX", [], false, "+XX", "+ZX", "+_X", "+YZ"),
    c2!("YCY", [], false, "+XY", "+ZY", "+YX", "+YZ"),
    c2!("YCZ", [], true, "+XZ", "+ZZ", "+YX", "+_Z"),
    c2!("SQRT_XX", [], false, "+X_", "-YX", "+_X", "-XY"),
    c2!("SQRT_XX_DAG", [], false, "+X_", "+YX", "+_X", "+XY"),
    c2!("SQRT_YY", [], false, "-ZY", "+XY", "-YZ", "+YX"),
    c2!("SQRT_YY_DAG", [], false, "+ZY", "-XY", "+YZ", "-YX"),
    c2!("SQRT_ZZ", [], false, "+YZ", "+Z_", "+ZY", "+_Z"),
    c2!("SQRT_ZZ_DAG", [], false, "-YZ", "+Z_", "-ZY", "+_Z"),
    c2!("ISWAP", [], false, "+ZY", "+_Z", "+YZ", "+Z_"),
    c2!("ISWAP_DAG", [], false, "-ZY", "+_Z", "-YZ", "+Z_"),
    c2!("CXSWAP", [], false, "+XX", "+_Z", "+X_", "+ZZ"),
    c2!("SWAPCX", [], false, "+_X", "+ZZ", "+XX", "+Z_"),
    c2!("CZSWAP", ["SWAPCZ"], false, "+ZX", "+_Z", "+XZ", "+Z_"),
    // Non-Clifford: controlled-Hadamard, control first. The Clifford engines refuse it; the
    // state-vector simulator runs it from this matrix.
    GateDef {
        name: "CH",
        aliases: &[],
        kind: GateKind::NonClifford2,
        args: ArgRule::None,
        targets: TargetRule::Pairs { feedback: false },
        clifford: None,
        noise: None,
        unitary: Some(ch_matrix),
    },
    // Reset into |H> (noisy state injection): R followed by Ry(pi/4), the matrix below.
    GateDef {
        name: "RH",
        aliases: &[],
        kind: GateKind::MagicReset,
        args: ArgRule::None,
        targets: TargetRule::Qubits,
        clifford: None,
        noise: None,
        unitary: Some(ry_pi_4_matrix),
    },
    // Non-Clifford single-qubit gates (Clifft's "Stim + non-Clifford" extension; conventions in
    // the comment above `pauli_rotation_matrix`). Clifford engines refuse them.
    non_clifford1!("T", [], ArgRule::None, t_matrix),
    non_clifford1!("T_DAG", [], ArgRule::None, t_dag_matrix),
    non_clifford1!("R_X", [], ArgRule::Angles { count: 1 }, r_x_matrix),
    non_clifford1!("R_Y", [], ArgRule::Angles { count: 1 }, r_y_matrix),
    non_clifford1!("R_Z", [], ArgRule::Angles { count: 1 }, r_z_matrix),
    non_clifford1!("U3", ["U"], ArgRule::Angles { count: 3 }, u3_matrix),
    // Pauli products (Stim's MPP, SPP, SPP_DAG).
    gate!(
        "MPP",
        [],
        GateKind::PauliProductMeasure,
        ArgRule::OptionalProbability,
        TargetRule::PauliProducts,
        None,
        None
    ),
    gate!(
        "MXX",
        [],
        GateKind::PauliProductMeasure,
        ArgRule::OptionalProbability,
        TargetRule::PauliPairs(Basis::X),
        None,
        None
    ),
    gate!(
        "MYY",
        [],
        GateKind::PauliProductMeasure,
        ArgRule::OptionalProbability,
        TargetRule::PauliPairs(Basis::Y),
        None,
        None
    ),
    gate!(
        "MZZ",
        [],
        GateKind::PauliProductMeasure,
        ArgRule::OptionalProbability,
        TargetRule::PauliPairs(Basis::Z),
        None,
        None
    ),
    gate!(
        "MPAD",
        [],
        GateKind::MeasurePad,
        ArgRule::OptionalProbability,
        TargetRule::Bits,
        None,
        None
    ),
    gate!(
        "SPP",
        [],
        GateKind::PauliProductRotation { dagger: false },
        ArgRule::None,
        TargetRule::PauliProducts,
        None,
        None
    ),
    gate!(
        "SPP_DAG",
        [],
        GateKind::PauliProductRotation { dagger: true },
        ArgRule::None,
        TargetRule::PauliProducts,
        None,
        None
    ),
    // Resets and measurements.
    gate!(
        "R",
        ["RZ"],
        GateKind::Reset(Basis::Z),
        ArgRule::None,
        TargetRule::Qubits,
        None,
        None
    ),
    gate!(
        "RX",
        [],
        GateKind::Reset(Basis::X),
        ArgRule::None,
        TargetRule::Qubits,
        None,
        None
    ),
    gate!(
        "RY",
        [],
        GateKind::Reset(Basis::Y),
        ArgRule::None,
        TargetRule::Qubits,
        None,
        None
    ),
    measure!("M", ["MZ"], GateKind::Measure(Basis::Z)),
    measure!("MX", [], GateKind::Measure(Basis::X)),
    measure!("MY", [], GateKind::Measure(Basis::Y)),
    measure!("MR", ["MRZ"], GateKind::MeasureReset(Basis::Z)),
    measure!("MRX", [], GateKind::MeasureReset(Basis::X)),
    measure!("MRY", [], GateKind::MeasureReset(Basis::Y)),
    // Noise channels.
    gate!(
        "X_ERROR",
        [],
        GateKind::Noise1,
        P1,
        TargetRule::Qubits,
        None,
        Some(NoiseShape::Fixed('X'))
    ),
    gate!(
        "Y_ERROR",
        [],
        GateKind::Noise1,
        P1,
        TargetRule::Qubits,
        None,
        Some(NoiseShape::Fixed('Y'))
    ),
    gate!(
        "Z_ERROR",
        [],
        GateKind::Noise1,
        P1,
        TargetRule::Qubits,
        None,
        Some(NoiseShape::Fixed('Z'))
    ),
    gate!(
        "DEPOLARIZE1",
        [],
        GateKind::Noise1,
        ArgRule::Probabilities {
            count: 1,
            max_each: 0.75
        },
        TargetRule::Qubits,
        None,
        Some(NoiseShape::Uniform)
    ),
    gate!(
        "DEPOLARIZE2",
        [],
        GateKind::Noise2,
        ArgRule::Probabilities {
            count: 1,
            max_each: 15.0 / 16.0
        },
        TargetRule::Pairs { feedback: false },
        None,
        Some(NoiseShape::Uniform)
    ),
    gate!(
        "PAULI_CHANNEL_1",
        [],
        GateKind::Noise1,
        ArgRule::Probabilities {
            count: 3,
            max_each: 1.0
        },
        TargetRule::Qubits,
        None,
        Some(NoiseShape::PerPauli)
    ),
    gate!(
        "PAULI_CHANNEL_2",
        [],
        GateKind::Noise2,
        ArgRule::Probabilities {
            count: 15,
            max_each: 1.0
        },
        TargetRule::Pairs { feedback: false },
        None,
        Some(NoiseShape::PerPauli)
    ),
    gate!(
        "HERALDED_ERASE",
        [],
        GateKind::HeraldedNoise,
        P1,
        TargetRule::Qubits,
        None,
        Some(NoiseShape::HeraldedUniform)
    ),
    gate!(
        "HERALDED_PAULI_CHANNEL_1",
        [],
        GateKind::HeraldedNoise,
        ArgRule::Probabilities {
            count: 4,
            max_each: 1.0
        },
        TargetRule::Qubits,
        None,
        Some(NoiseShape::HeraldedPerPauli)
    ),
    gate!(
        "I_ERROR",
        [],
        GateKind::IdentityNoise,
        ArgRule::AnyProbabilities,
        TargetRule::Qubits,
        None,
        None
    ),
    gate!(
        "II_ERROR",
        [],
        GateKind::IdentityNoise,
        ArgRule::AnyProbabilities,
        TargetRule::Pairs { feedback: false },
        None,
        None
    ),
    gate!(
        "E",
        ["CORRELATED_ERROR"],
        GateKind::Correlated { else_branch: false },
        P1,
        TargetRule::Paulis,
        None,
        None
    ),
    gate!(
        "ELSE_CORRELATED_ERROR",
        [],
        GateKind::Correlated { else_branch: true },
        P1,
        TargetRule::Paulis,
        None,
        None
    ),
    // Annotations.
    gate!(
        "DETECTOR",
        [],
        GateKind::Detector,
        ArgRule::Coordinates,
        TargetRule::Records,
        None,
        None
    ),
    gate!(
        "OBSERVABLE_INCLUDE",
        [],
        GateKind::ObservableInclude,
        ArgRule::ObservableIndex,
        TargetRule::RecordsOrPaulis,
        None,
        None
    ),
    gate!(
        "QUBIT_COORDS",
        [],
        GateKind::QubitCoords,
        ArgRule::Coordinates,
        TargetRule::Qubits,
        None,
        None
    ),
    gate!(
        "SHIFT_COORDS",
        [],
        GateKind::ShiftCoords,
        ArgRule::Coordinates,
        TargetRule::None,
        None,
        None
    ),
    gate!(
        "TICK",
        [],
        GateKind::Tick,
        ArgRule::None,
        TargetRule::None,
        None,
        None
    ),
];

impl GateId {
    /// The table row of this gate.
    pub fn def(self) -> &'static GateDef {
        &GATES[self.0 as usize]
    }

    /// Canonical (printed) name.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// Looks a gate up by name or alias, ignoring case as Stim does.
    pub fn from_name(name: &str) -> Option<GateId> {
        GATES
            .iter()
            .position(|g| {
                g.name.eq_ignore_ascii_case(name)
                    || g.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .map(|i| GateId(i as u8))
    }

    /// The gate with this canonical name; panics if the table has no such gate (programming error).
    pub fn named(name: &str) -> GateId {
        Self::from_name(name).unwrap_or_else(|| panic!("gate table has no {name}"))
    }

    pub fn kind(self) -> GateKind {
        self.def().kind
    }

    /// True for gates whose targets are consumed in pairs.
    pub fn is_pairwise(self) -> bool {
        matches!(
            self.def().targets,
            TargetRule::Pairs { .. } | TargetRule::PauliPairs(_)
        )
    }

    /// True if every target of this gate appends one result to the measurement record
    /// (measurements, `MPAD`, heralds).
    pub fn measures(self) -> bool {
        matches!(
            self.kind(),
            GateKind::Measure(_)
                | GateKind::MeasureReset(_)
                | GateKind::MeasurePad
                | GateKind::HeraldedNoise
        )
    }

    /// True for gates the Clifford engines (tableau, frame sampler, DEM, fault enumeration)
    /// refuse: non-Clifford unitaries and the magic-state reset.
    pub fn is_non_clifford(self) -> bool {
        matches!(
            self.kind(),
            GateKind::NonClifford1 | GateKind::NonClifford2 | GateKind::MagicReset
        )
    }

    /// Signed Pauli images of the generators, for Clifford unitaries (see [`CliffordAction`]).
    pub fn clifford_action(self) -> Option<&'static CliffordAction> {
        static ACTIONS: OnceLock<Vec<Option<CliffordAction>>> = OnceLock::new();
        ACTIONS
            .get_or_init(|| {
                GATES
                    .iter()
                    .map(|g| g.clifford.map(CliffordAction::from_images))
                    .collect()
            })
            .get(self.0 as usize)
            .and_then(|a| a.as_ref())
    }
}

/// One step of a non-Clifford gate's decomposition (see [`rotation_steps`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RotationStep {
    /// A gate of the table without arguments (a Clifford unitary, or the reset `R`) on the
    /// gate's target slots; the second slot is unused for one-qubit gates.
    Clifford { gate: GateId, slots: [usize; 2] },
    /// exp(-i angle P) on one target slot, P the Pauli `axis`, `angle` in radians.
    Rotate {
        axis: Basis,
        slot: usize,
        angle: f64,
    },
}

/// The decomposition of a non-Clifford gate (`args` as validated by the parser) into table
/// gates and single-qubit Pauli rotations, in time order, equal to the gate up to a global
/// phase; None for gates that are not non-Clifford. Slots index the gate's targets (control
/// first for `CH`). This is what an engine that runs Cliffords exactly and rotations in a
/// small dense state needs:
///
/// * `T` = exp(-i pi/8 Z), `T_DAG` = exp(+i pi/8 Z) (up to e^{+-i pi/8});
/// * `R_P(alpha)` = exp(-i alpha pi/2 P) (half-turns, Clifft's convention);
/// * `U3(theta, phi, lambda)` = R_Z(lambda), then R_Y(theta), then R_Z(phi);
/// * `CH c t` = R_Y(-1/4) t, CZ c t, R_Y(1/4) t (Chamberland & Noh, npj Quantum Inf. 6, 91
///   (2020)): R_Y(1/4) maps the Hadamard's eigenbasis onto Z's, where CH acts as CZ;
/// * `RH` = R, then R_Y(1/4) (R_Y(1/4)|0> = cos(pi/8)|0> + sin(pi/8)|1> = |H>).
pub fn rotation_steps(gate: GateId, args: &[f64]) -> Option<Vec<RotationStep>> {
    use std::f64::consts::{FRAC_PI_8, PI};
    let rotate = |axis, slot, angle| RotationStep::Rotate { axis, slot, angle };
    let half_turns = |k: usize| args.get(k).copied().unwrap_or(f64::NAN) * PI / 2.0;
    let steps = match gate.name() {
        "T" => vec![rotate(Basis::Z, 0, FRAC_PI_8)],
        "T_DAG" => vec![rotate(Basis::Z, 0, -FRAC_PI_8)],
        "R_X" => vec![rotate(Basis::X, 0, half_turns(0))],
        "R_Y" => vec![rotate(Basis::Y, 0, half_turns(0))],
        "R_Z" => vec![rotate(Basis::Z, 0, half_turns(0))],
        "U3" => vec![
            rotate(Basis::Z, 0, half_turns(2)),
            rotate(Basis::Y, 0, half_turns(0)),
            rotate(Basis::Z, 0, half_turns(1)),
        ],
        "CH" => vec![
            rotate(Basis::Y, 1, -FRAC_PI_8),
            RotationStep::Clifford {
                gate: GateId::named("CZ"),
                slots: [0, 1],
            },
            rotate(Basis::Y, 1, FRAC_PI_8),
        ],
        "RH" => vec![
            RotationStep::Clifford {
                gate: GateId::named("R"),
                slots: [0, 0],
            },
            rotate(Basis::Y, 0, FRAC_PI_8),
        ],
        _ => return None,
    };
    Some(steps)
}

/// A Pauli on at most two qubits in "XZ form": i^phase X^x Z^z, with bit k of `x`/`z` for qubit k.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmallPauli {
    pub x: u8,
    pub z: u8,
    /// Power of i (mod 4).
    pub phase: u8,
}

impl SmallPauli {
    pub const IDENTITY: SmallPauli = SmallPauli {
        x: 0,
        z: 0,
        phase: 0,
    };

    /// Product self * other, tracking the phase: Z^z1 X^x2 = (-1)^{z1.x2} X^x2 Z^z1.
    pub fn times(self, other: SmallPauli) -> SmallPauli {
        let anti = (self.z & other.x).count_ones() as u8;
        SmallPauli {
            x: self.x ^ other.x,
            z: self.z ^ other.z,
            phase: (self.phase + other.phase + 2 * anti) % 4,
        }
    }

    /// Parses `+XY`, `-Z_`, `+Y` (Y = iXZ; `_` or `I` = identity), qubit 0 first.
    fn parse(text: &str) -> SmallPauli {
        let (sign, letters) = text.split_at(1);
        let mut p = SmallPauli {
            x: 0,
            z: 0,
            phase: if sign == "-" { 2 } else { 0 },
        };
        for (k, c) in letters.chars().enumerate() {
            let bit = 1u8 << k;
            match c {
                'X' => p.x |= bit,
                'Z' => p.z |= bit,
                'Y' => {
                    p.x |= bit;
                    p.z |= bit;
                    p.phase = (p.phase + 1) % 4;
                }
                '_' | 'I' => {}
                _ => panic!("bad Pauli image {text} in gate table"),
            }
        }
        p
    }

    /// Number of qubits on which this Pauli is Y (x and z both set).
    pub fn y_count(self) -> u32 {
        (self.x & self.z).count_ones()
    }
}

/// The action of a one- or two-qubit Clifford on Paulis, derived from the gate table.
///
/// `images[x | z << n]` is the conjugated image of the Hermitian Pauli with those bits, in the
/// Aaronson-Gottesman convention where x = z = 1 means Y: the image's bits and whether its sign is
/// negative. The frame simulator ignores the sign.
#[derive(Clone, Debug)]
pub struct CliffordAction {
    pub num_qubits: usize,
    /// Indexed by `x | (z << num_qubits)`; holds (x bits, z bits, negative sign).
    pub images: Vec<(u8, u8, bool)>,
}

impl CliffordAction {
    fn from_images(gens: &'static [&'static str]) -> CliffordAction {
        let n = gens.len() / 2;
        let gens: Vec<SmallPauli> = gens.iter().map(|g| SmallPauli::parse(g)).collect();
        let mut images = Vec::with_capacity(1 << (2 * n));
        for bits in 0..(1u8 << (2 * n)) {
            let x = bits & ((1 << n) - 1);
            let z = bits >> n;
            // Hermitian Pauli with these bits = i^{#Y} X^x Z^z; conjugate generator by generator.
            let mut acc = SmallPauli {
                x: 0,
                z: 0,
                phase: ((x & z).count_ones() % 4) as u8,
            };
            for q in 0..n {
                if x >> q & 1 == 1 {
                    acc = acc.times(gens[2 * q]);
                }
            }
            for q in 0..n {
                if z >> q & 1 == 1 {
                    acc = acc.times(gens[2 * q + 1]);
                }
            }
            // Back to AG convention: remove i^{#Y}; the remainder must be +1 or -1.
            let phase = (acc.phase + 4 - (acc.y_count() % 4) as u8) % 4;
            assert!(phase.is_multiple_of(2), "gate table image is not Hermitian");
            images.push((acc.x, acc.z, phase == 2));
        }
        CliffordAction {
            num_qubits: n,
            images,
        }
    }

    /// Image bits (x, z) of the Pauli with bits (x, z), ignoring sign.
    pub fn map_bits(&self, x: u8, z: u8) -> (u8, u8) {
        let (ix, iz, _) = self.images[(x | (z << self.num_qubits)) as usize];
        (ix, iz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_resolve() {
        assert_eq!(GateId::from_name("cnot").unwrap().name(), "CX");
        assert_eq!(GateId::from_name("MZ").unwrap().name(), "M");
        assert_eq!(GateId::from_name("CORRELATED_ERROR").unwrap().name(), "E");
        assert!(GateId::from_name("NOT_A_GATE").is_none());
    }

    #[test]
    fn names_are_unique() {
        let mut all: Vec<&str> = GATES
            .iter()
            .flat_map(|g| std::iter::once(g.name).chain(g.aliases.iter().copied()))
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn clifford_images_are_hermitian_and_invertible() {
        for (i, g) in GATES.iter().enumerate() {
            if let Some(a) = GateId(i as u8).clifford_action() {
                let mut seen: Vec<(u8, u8)> = a.images.iter().map(|&(x, z, _)| (x, z)).collect();
                seen.sort();
                seen.dedup();
                assert_eq!(seen.len(), a.images.len(), "{} is not a bijection", g.name);
            }
        }
    }

    #[test]
    fn non_clifford_gates_have_matrices_and_decompositions() {
        for (i, g) in GATES.iter().enumerate() {
            let gate = GateId(i as u8);
            let angles = matches!(g.args, ArgRule::Angles { .. });
            assert_eq!(
                g.unitary.is_some(),
                gate.is_non_clifford(),
                "{}: a unitary exactly for non-Clifford gates",
                g.name
            );
            assert!(!angles || g.kind == GateKind::NonClifford1, "{}", g.name);
            assert_eq!(
                rotation_steps(gate, &[0.1, 0.2, 0.3]).is_some(),
                gate.is_non_clifford(),
                "{}",
                g.name
            );
            assert!(!gate.is_non_clifford() || gate.clifford_action().is_none());
        }
        // Half-turns: R_Z(1/4) is exp(-i pi/8 Z), the T rotation.
        let rz = rotation_steps(GateId::named("R_Z"), &[0.25]).unwrap();
        let t = rotation_steps(GateId::named("T"), &[]).unwrap();
        assert_eq!(rz, t);
        assert_eq!(GateId::from_name("u").unwrap().name(), "U3");
        // R_X is not RX (the X-basis reset).
        assert_ne!(GateId::named("R_X"), GateId::named("RX"));
    }

    #[test]
    fn y_images_follow_from_x_and_z() {
        // S: Y = iXZ -> i Y Z = -X.
        let s = GateId::named("S").clifford_action().unwrap();
        assert_eq!(s.images[0b11], (1, 0, true));
        // H: Y -> -Y.
        let h = GateId::named("H").clifford_action().unwrap();
        assert_eq!(h.images[0b11], (1, 1, true));
        // CX: Y_ -> Y X (positive), _Y -> Z Y.
        let cx = GateId::named("CX").clifford_action().unwrap();
        assert_eq!(cx.images[0b0101], (0b11, 0b01, false));
        assert_eq!(cx.images[0b1010], (0b10, 0b11, false));
    }
}
