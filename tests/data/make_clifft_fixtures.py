#!/usr/bin/env python3
"""Write clifft_gates.csv: Clifft's own state vectors for its non-Clifford gates.

Usage (from the repository root; needs Clifft 0.12.0, e.g. the CPython 3.11 wheel described in
../shared/tools/README.md, installed next to numpy):

    .venv/bin/pip install ../shared/tools/clifft-0.12.0-cp311-cp311-linux_x86_64.whl
    .venv/bin/python tests/data/make_clifft_fixtures.py

For each gate line G this compiles `H 0; CX 0 1; G 0` and records `clifft.get_statevector`
(amplitude index bit q = qubit q, as in qec-sim). The Bell pair makes the state the gate's Choi
vector, so it fixes the gate's matrix up to global phase (which Clifft leaves undefined).
"""

import os

import clifft

HERE = os.path.dirname(os.path.abspath(__file__))

GATES = [
    "T 0",
    "T_DAG 0",
    "R_X(0.3) 0",
    "R_X(0.5) 0",
    "R_Y(-0.7) 0",
    "R_Y(1) 0",
    "R_Z(0.25) 0",
    "R_Z(1.3) 0",
    "U3(0.3, 0.2, -0.45) 0",
    "U3(1.1, -0.6, 0.8) 0",
    "U(0.5, 0.25, 0.125) 0",
]


def main():
    rows = ["gate," + ",".join(f"re{i},im{i}" for i in range(4))]
    for line in GATES:
        state = clifft.get_statevector(clifft.compile(f"H 0\nCX 0 1\n{line}\n"))
        values = ",".join(f"{float(a.real)!r},{float(a.imag)!r}" for a in state)
        rows.append(f'"{line}",{values}')
    with open(os.path.join(HERE, "clifft_gates.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    print(f"clifft {clifft.version()}: {len(GATES)} gates")


if __name__ == "__main__":
    main()
