#!/usr/bin/env python3
"""Regenerate the Stim-derived fixtures in tests/data/.

Usage (from the repository root):

    source benches/stim_env.sh
    "$STIM_PY" tests/data/make_fixtures.py

For every fixture NAME this writes:

    NAME.stim       the circuit, printed with str(circuit) (Stim's canonical form)
    NAME.rates.csv  per-detector / per-observable firing rates from Stim's
                    detector sampler (SHOTS shots, fixed seed)
    NAME.ref.txt    Stim's noiseless reference sample, one 0/1 character per
                    measurement, on a single line

The script is deterministic for a fixed Stim version.
"""

import os
import sys

import numpy as np
import stim

SHOTS = 200_000
SEED = 20240611
MAX_BYTES = 30_000

HERE = os.path.dirname(os.path.abspath(__file__))


def generated_fixtures():
    """The fixtures produced by stim.Circuit.generated."""
    return {
        "rep_code_d3_r3": stim.Circuit.generated(
            "repetition_code:memory",
            distance=3,
            rounds=3,
            after_clifford_depolarization=0.01,
            before_measure_flip_probability=0.01,
            after_reset_flip_probability=0.01,
        ),
        "surface_rotated_x_d3_r3": stim.Circuit.generated(
            "surface_code:rotated_memory_x",
            distance=3,
            rounds=3,
            after_clifford_depolarization=0.005,
            before_measure_flip_probability=0.005,
            after_reset_flip_probability=0.005,
        ),
        "surface_unrotated_z_d3_r2": stim.Circuit.generated(
            "surface_code:unrotated_memory_z",
            distance=3,
            rounds=2,
            after_clifford_depolarization=0.005,
            before_round_data_depolarization=0.005,
            before_measure_flip_probability=0.005,
            after_reset_flip_probability=0.005,
        ),
        "color_xyz_d3_r3": stim.Circuit.generated(
            "color_code:memory_xyz",
            distance=3,
            rounds=3,
            after_clifford_depolarization=0.005,
            before_round_data_depolarization=0.005,
            before_measure_flip_probability=0.005,
            after_reset_flip_probability=0.005,
        ),
    }


# A hand-written circuit touching many gates, noise channels and syntax
# features. Every DETECTOR / OBSERVABLE_INCLUDE is deterministic in the
# noiseless circuit (checked below via detector_error_model()).
MISC_GATES = """
QUBIT_COORDS(0, 0) 0
QUBIT_COORDS(1, 0) 1
QUBIT_COORDS(2, 0) 2
QUBIT_COORDS(3, 0) 3
QUBIT_COORDS(0, 1) 4
QUBIT_COORDS(1, 1) 5
QUBIT_COORDS(2, 1) 6
QUBIT_COORDS(3, 1) 7

# --- Part 1: single-qubit Cliffords on basis states, measured in the basis
# --- that makes the outcome deterministic.
R 0 1 2 4
RX 3 6
RY 5 7
TICK
H[mytag] 0
S 0
S_DAG 0
H 0
SQRT_X_DAG 1
SQRT_Y 2
SQRT_Y_DAG 3
SQRT_X 3
H_XY 4
H_YZ 5
C_XYZ 6
C_ZYX 7
TICK
X_ERROR(0.01) 0 4 5
Y_ERROR(0.02) 0 2
Z_ERROR(0.03) 2 7
DEPOLARIZE1[after_gates](0.01) 0 1 2 3 4 5 6 7
PAULI_CHANNEL_1(0.01, 0.02, 0.03) 1 3 6
M 0 4
M !5
MY 1 3 6
MX(0.01) 2 7
DETECTOR(0, 0, 0) rec[-8]
DETECTOR(0, 1, 0) rec[-7]
DETECTOR(1, 1, 0) rec[-6]
DETECTOR(1, 0, 0) rec[-5]
DETECTOR(3, 0, 0) rec[-4]
DETECTOR(2, 1, 0) rec[-3]
DETECTOR(2, 0, 0) rec[-2] rec[-1]
DETECTOR(3, 1, 0) rec[-1]
OBSERVABLE_INCLUDE(1) rec[-8] rec[-7]
TICK

# --- Part 2: two-qubit gates, each entangling pair is undone so the
# --- qubits return to a known product state.
R 0 1 2 3 4 5 6 7
TICK
H 0 2 4 5
H_XY 6
TICK
CX 0 1
CY 2 3
CZ 4 5
SWAP 6 7
TICK
DEPOLARIZE2(0.01) 0 1
PAULI_CHANNEL_2(0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007, 0.008, 0.009, 0.01, 0.011, 0.012, 0.013, 0.014, 0.015) 2 3 4 5
E(0.02) X0 Z5 Y7
ELSE_CORRELATED_ERROR(0.03) Y1 X6
ELSE_CORRELATED_ERROR(0.04) Z3
TICK
CX 0 1
CY 2 3
CZ 4 5
TICK
H 0 2 4 5
TICK
M(0.02) 0 1 2 3
M 4 5 6 !7
DETECTOR(0, 0, 1) rec[-8]
DETECTOR(1, 0, 1) rec[-7]
DETECTOR(2, 0, 1) rec[-6] rec[-5]
DETECTOR(3, 0, 1) rec[-5]
DETECTOR(0, 1, 1) rec[-4]
DETECTOR(1, 1, 1) rec[-3]
DETECTOR(2, 1, 1) rec[-2]
DETECTOR(3, 1, 1) rec[-1]
OBSERVABLE_INCLUDE(2) rec[-2] rec[-1]
SHIFT_COORDS(0, 0, 2)
TICK

# --- Part 3: a distance-3 repetition code (data 0 2 4, ancillas 1 3) with
# --- demolition measurements in all three bases on spectator qubits.
R 0 1 2 3 4
RX 5
RY 6
X_ERROR(0.01) 0 1 2 3 4
Z_ERROR(0.02) 5
X_ERROR(0.02) 6
TICK
CX 0 1 2 3
TICK
CX 2 1 4 3
DEPOLARIZE2(0.005) 2 1 4 3
TICK
MR(0.01) 1 3
MRX 5
MRY 6
DETECTOR(1, 0, 0) rec[-4]
DETECTOR(3, 0, 0) rec[-3]
DETECTOR(5, 0, 0) rec[-2]
DETECTOR(6, 0, 0) rec[-1]
REPEAT 3 {
    TICK
    DEPOLARIZE1(0.005) 0 2 4
    Z_ERROR(0.02) 5
    X_ERROR(0.02) 6
    CX 0 1 2 3
    TICK
    CX 2 1 4 3
    DEPOLARIZE2(0.005) 2 1 4 3
    TICK
    MR(0.01) 1 3
    MRX 5
    MRY 6
    SHIFT_COORDS(0, 1)
    DETECTOR(1, 0, 0) rec[-4] rec[-8]
    DETECTOR(3, 0, 0) rec[-3] rec[-7]
    DETECTOR(5, 0, 0) rec[-2]
    DETECTOR(6, 0, 0) rec[-1]
}
M 0 2 4
DETECTOR(1, 1, 0) rec[-3] rec[-2] rec[-7]
DETECTOR(3, 1, 0) rec[-2] rec[-1] rec[-6]
OBSERVABLE_INCLUDE(0) rec[-1]
TICK

# --- Part 4: classically controlled (feedback) Paulis.
R 2
H 2
TICK
M 2
CX rec[-1] 2
X_ERROR(0.01) 2
M 2
DETECTOR(2, 2, 0) rec[-1]
TICK
R 0 1
H 0
TICK
CX 0 1
TICK
M 1
H 0
CZ rec[-1] 0
Z_ERROR(0.01) 0
MX 0
DETECTOR(0, 2, 0) rec[-1]
OBSERVABLE_INCLUDE(1) rec[-1]
"""


# An X-basis memory of the Steane code whose stabilizers are measured with MPP (with flip
# probabilities, inverted factors and a Y-type product), with SPP / SPP_DAG pairs applying a
# logical rotation and its inverse around noise: errors anticommuting with the logical Pauli
# pick it up, which flips the observable. Qubits 7 and 8 check the signs of SPP, SPP_DAG and
# inverted products in the reference sample.
MPP_SPP = """
QUBIT_COORDS(0, 0) 0
QUBIT_COORDS(1, 0) 1
QUBIT_COORDS(2, 0) 2
QUBIT_COORDS(3, 0) 3
QUBIT_COORDS(1, 1) 4
QUBIT_COORDS(2, 1) 5
QUBIT_COORDS(3, 1) 6
RX 0 1 2 3 4 5 6
R 7 8
TICK
SPP X7*X8
SPP_DAG !X7*X8
MPP !Z7 Z8
DETECTOR(7, 0) rec[-2]
DETECTOR(8, 0) rec[-1]
RX 7
SPP_DAG !Z7
MPP Y7
SPP Z7
MPP X7
DETECTOR(7, 1) rec[-2]
DETECTOR(7, 2) rec[-1]
TICK
MPP(0.01) X0*X1*X2*X3 X1*X2*X4*X5 !X2*X3*X5*X6
MPP Z0*Z1*Z2*Z3 Z1*Z2*Z4*Z5 Z2*Z3*Z5*Z6
MPP(0.005) Y0*Y1*Y2*Y3
DETECTOR(0, 0, 0) rec[-7]
DETECTOR(1, 0, 0) rec[-6]
DETECTOR(2, 0, 0) rec[-5]
DETECTOR(0, 0, 1) rec[-7] rec[-4] rec[-1]
REPEAT 3 {
    TICK
    SPP Z0*Z1*Z2*Z3*Z4*Z5*Z6
    DEPOLARIZE1(0.005) 0 1 2 3 4 5 6
    SPP_DAG Z0*Z1*Z2*Z3*Z4*Z5*Z6
    SPP !Y0*Y1*Y2*Y3*Y4*Y5*Y6
    Z_ERROR(0.01) 0 4
    X_ERROR(0.01) 2 6
    SPP_DAG Y0*Y1*!Y2*Y3*Y4*Y5*Y6
    SPP X1*X2*X4*X5
    DEPOLARIZE2(0.004) 0 1 5 6
    SPP_DAG !Z2*Z3*Z5*Z6
    TICK
    MPP(0.01) X0*X1*X2*X3 X1*X2*X4*X5 !X2*X3*X5*X6
    MPP Z0*Z1*Z2*Z3 Z1*Z2*Z4*Z5 Z2*Z3*Z5*Z6
    MPP(0.005) Y0*Y1*Y2*Y3
    SHIFT_COORDS(0, 0, 2)
    DETECTOR(0, 0, 0) rec[-7] rec[-14]
    DETECTOR(1, 0, 0) rec[-6] rec[-13]
    DETECTOR(2, 0, 0) rec[-5] rec[-12]
    DETECTOR(0, 1, 0) rec[-4] rec[-11]
    DETECTOR(1, 1, 0) rec[-3] rec[-10]
    DETECTOR(2, 1, 0) rec[-2] rec[-9]
    DETECTOR(0, 0, 1) rec[-7] rec[-4] rec[-1]
}
TICK
MX(0.005) 0 1 2 3 4 5 6
DETECTOR(0, 0, 2) rec[-7] rec[-6] rec[-5] rec[-4] rec[-14]
DETECTOR(1, 0, 2) rec[-6] rec[-5] rec[-3] rec[-2] rec[-13]
DETECTOR(2, 0, 2) rec[-5] rec[-4] rec[-2] rec[-1] rec[-12]
OBSERVABLE_INCLUDE(0) rec[-7] rec[-6] rec[-5] rec[-4] rec[-3] rec[-2] rec[-1]
"""


# The gates and targets Stim has beyond misc_gates / mpp_spp_steane (issue 16): the nine
# single-qubit Cliffords of Stim 1.15, the other two-qubit Cliffords, MXX / MYY / MZZ, MPAD,
# heralded noise, I_ERROR / II_ERROR / II, sweep bits and Pauli targets of OBSERVABLE_INCLUDE.
# Each Clifford acts on Pauli eigenstates (prepared after some noise, so errors propagate
# through it) and the images of the preparing stabilizers, read from stim.Tableau, are
# measured: deterministic results whose signs check the gate table's signs.
NEW_1Q = "C_NXYZ C_XNYZ C_XYNZ C_NZYX C_ZNYX C_ZYNX H_NXY H_NXZ H_NYZ".split()
NEW_2Q = (
    "II XCX XCY XCZ YCX YCY YCZ SQRT_XX SQRT_XX_DAG SQRT_YY SQRT_YY_DAG SQRT_ZZ "
    "SQRT_ZZ_DAG ISWAP ISWAP_DAG CXSWAP SWAPCX CZSWAP"
).split()
PREP = {"X": "RX", "Y": "RY", "Z": "R"}


def pauli_product(p, qubits):
    """MPP target text of a stim.PauliString on the given qubits, '!' when negative."""
    factors = [f"{'_XYZ'[p[k]]}{q}" for k, q in enumerate(qubits) if p[k]]
    return ("!" if p.sign == -1 else "") + "*".join(factors)


def stim_115_gates():
    lines = []
    d = 0
    # Single-qubit Cliffords, on eigenstates of X, Y and Z.
    for k, g in enumerate(NEW_1Q):
        t = stim.Tableau.from_named_gate(g)
        for b, basis in enumerate("XYZ"):
            q = 3 * k + b
            stab = stim.PauliString(basis)
            lines.append(f"{PREP[basis]} {q}")
            lines.append(f"DEPOLARIZE1(0.01) {q}")
            lines.append(f"{g} {q}")
            lines.append(f"MPP {pauli_product(t(stab), [q])}")
            lines.append("DETECTOR rec[-1]")
            d += 1
    base = 3 * len(NEW_1Q)
    # Two-qubit Cliffords, on |00>, |++> and |+i>.
    for k, g in enumerate(NEW_2Q):
        t = stim.Tableau.from_named_gate(g)
        for j, (b0, b1) in enumerate(["ZZ", "XX", "XY"]):
            a, c = base + 2 * (3 * k + j), base + 2 * (3 * k + j) + 1
            lines.append(f"{PREP[b0]} {a}")
            lines.append(f"{PREP[b1]} {c}")
            lines.append(f"DEPOLARIZE2(0.01) {a} {c}")
            lines.append(f"{g} {a} {c}")
            s0 = stim.PauliString(b0 + "_")
            s1 = stim.PauliString("_" + b1)
            lines.append(f"MPP {pauli_product(t(s0), [a, c])} {pauli_product(t(s1), [a, c])}")
            lines.append("DETECTOR rec[-2]")
            lines.append("DETECTOR rec[-1]")
    q = base + 2 * 3 * len(NEW_2Q)
    lines.append(f"""
R {q} {q + 1}
H {q}
CX {q} {q + 1}
DEPOLARIZE1(0.02) {q} {q + 1}
MXX(0.01) {q} {q + 1}
MZZ {q} {q + 1}
MYY !{q} {q + 1}
MXX {q} !{q + 1}
DETECTOR rec[-4]
DETECTOR rec[-3]
DETECTOR rec[-2]
DETECTOR rec[-1]
MPAD 0 1
MPAD(0.05) 1
DETECTOR rec[-3]
DETECTOR rec[-2]
DETECTOR rec[-1]
R {q + 2} {q + 3}
RX {q + 4}
HERALDED_ERASE(0.04) {q + 2} {q + 4}
HERALDED_PAULI_CHANNEL_1(0.01, 0.02, 0.03, 0.04) {q + 3}
M {q + 2} {q + 3}
MX {q + 4}
DETECTOR rec[-6]
DETECTOR rec[-5]
DETECTOR rec[-4]
DETECTOR rec[-3]
DETECTOR rec[-2]
DETECTOR rec[-1]
R {q + 5}
HERALDED_PAULI_CHANNEL_1(0, 0.03, 0, 0) {q + 5}
M {q + 5}
DETECTOR rec[-2]
DETECTOR rec[-1]
I_ERROR {q}
I_ERROR(0.1, 0.2) {q + 1}
II_ERROR(0.1) {q} {q + 1}
II {q} {q + 1}
R {q + 6} {q + 7}
X_ERROR(0.01) {q + 6}
CX sweep[0] {q + 6} sweep[3] {q + 7}
CZ {q + 6} sweep[1]
RX {q + 8}
M {q + 8}
XCZ {q + 6} rec[-1]
YCZ {q + 7} rec[-1]
M {q + 6} {q + 7}
DETECTOR rec[-3] rec[-2]
DETECTOR rec[-3] rec[-1]
RX {q + 9}
Z_ERROR(0.03) {q + 9}
OBSERVABLE_INCLUDE(0) X{q + 9}
Z_ERROR(0.05) {q + 9}
MX {q + 9}
OBSERVABLE_INCLUDE(1) rec[-1]
R {q + 10}
OBSERVABLE_INCLUDE(2) Z{q + 10} rec[-1]
Y_ERROR(0.02) {q + 10}
OBSERVABLE_INCLUDE(2) Z{q + 10}
""")
    return stim.Circuit("\n".join(lines))


def check_deterministic(name, circuit):
    # Raises if any detector or observable is not deterministic.
    # (approximate_disjoint_errors is only needed so that the E /
    # ELSE_CORRELATED_ERROR chain is accepted; it doesn't weaken the check.)
    circuit.detector_error_model(allow_gauge_detectors=False, approximate_disjoint_errors=True)


def write_fixture(name, circuit):
    text = str(circuit) + "\n"
    # Round-trip sanity: canonical text parses back to the same circuit.
    assert stim.Circuit(text) == circuit, name
    if len(text.encode()) >= MAX_BYTES:
        raise SystemExit(f"{name}: circuit text is {len(text)} bytes (limit {MAX_BYTES})")
    check_deterministic(name, circuit)

    with open(os.path.join(HERE, name + ".stim"), "w") as f:
        f.write(text)

    ref = circuit.reference_sample()
    with open(os.path.join(HERE, name + ".ref.txt"), "w") as f:
        f.write("".join("1" if b else "0" for b in ref) + "\n")

    sampler = circuit.compile_detector_sampler(seed=SEED)
    dets, obs = sampler.sample(SHOTS, separate_observables=True)
    det_rates = dets.mean(axis=0, dtype=np.float64)
    obs_rates = obs.mean(axis=0, dtype=np.float64)
    with open(os.path.join(HERE, name + ".rates.csv"), "w") as f:
        f.write("kind,index,rate,shots\n")
        for i, r in enumerate(det_rates):
            f.write(f"D,{i},{r:.6f},{SHOTS}\n")
        for i, r in enumerate(obs_rates):
            f.write(f"L,{i},{r:.6f},{SHOTS}\n")

    print(
        f"{name}: qubits={circuit.num_qubits} measurements={circuit.num_measurements} "
        f"detectors={circuit.num_detectors} observables={circuit.num_observables} "
        f"bytes={len(text)}"
    )


def main():
    print(f"stim {stim.__version__}, shots={SHOTS}, seed={SEED}")
    fixtures = generated_fixtures()
    fixtures["misc_gates"] = stim.Circuit(MISC_GATES)
    fixtures["mpp_spp_steane"] = stim.Circuit(MPP_SPP)
    fixtures["stim_115_gates"] = stim_115_gates()
    for name, circuit in fixtures.items():
        write_fixture(name, circuit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
