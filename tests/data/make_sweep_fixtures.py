#!/usr/bin/env python3
"""Writes tests/data/sweep/: a noiseless circuit with sweep-controlled gates, per-shot sweep
data, and what Stim makes of them.

Usage (from the repository root, stim==1.15.0):

    source benches/stim_env.sh
    "$STIM_PY" tests/data/make_sweep_fixtures.py

Files:
    circuit.stim  the circuit (str(stim.Circuit)), deterministic, controls on sweep[0..3]
    sweep.01      SHOTS lines of 4 sweep bits (numpy seed 17), Stim's --sweep_format 01
    sample.01     each shot's measurements: Stim's sampler on the circuit with shot i's sweep
                  bits substituted (sweep-controlled CX/CY/CZ become X/Y/Z or nothing); checked
                  against Stim's own sweep semantics, which convert (`stim m2d --sweep`) these
                  measurements with these sweep bits into all-zero detection events, while
                  ignoring the sweep bits does not
    detect.01     Stim's m2d of sample.01 with sweep.01 (`--append_observables`): the detection
                  events and observable flips of these shots
"""

import os

import numpy as np
import stim

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sweep")
SHOTS, BITS = 100, 4

CIRCUIT = stim.Circuit("""
R 0 1 2 3
RX 4
CX sweep[0] 0
CY sweep[1] 1
CZ sweep[2] 4 4 sweep[0]
M 0 1
MX 4
CX rec[-3] 2
REPEAT 2 {
    CX sweep[3] 3
    M 3
    DETECTOR rec[-1]
}
M 2
DETECTOR rec[-6]
DETECTOR rec[-5]
DETECTOR rec[-4]
DETECTOR rec[-1] rec[-6]
OBSERVABLE_INCLUDE(0) rec[-2] rec[-3]
OBSERVABLE_INCLUDE(1) rec[-4]
""")

PAULI_OF = {"CX": "X", "CY": "Y", "CZ": "Z"}


def resolved(circuit, bits):
    """The circuit with each sweep-controlled Pauli applied iff its bit is set."""
    out = stim.Circuit()
    for ins in circuit:
        if isinstance(ins, stim.CircuitRepeatBlock):
            out.append(stim.CircuitRepeatBlock(ins.repeat_count, resolved(ins.body_copy(), bits)))
            continue
        targets = ins.targets_copy()
        if not any(t.is_sweep_bit_target for t in targets):
            out.append(ins)
            continue
        for a, b in zip(targets[::2], targets[1::2]):
            ctrl, q = (a, b) if a.is_sweep_bit_target else (b, a)
            if q.is_sweep_bit_target or ctrl.is_sweep_bit_target and not q.is_qubit_target:
                raise ValueError(ins)
            if ctrl.is_sweep_bit_target:
                if bits[ctrl.value]:
                    out.append(PAULI_OF[ins.name], [q.value])
            else:
                out.append(ins.name, [a, b])
    return out


def m2d(measurements, sweep):
    conv = CIRCUIT.compile_m2d_converter()
    return conv.convert(measurements=measurements, sweep_bits=sweep, append_observables=True)


def main():
    os.makedirs(HERE, exist_ok=True)
    CIRCUIT.detector_error_model(allow_gauge_detectors=False)  # deterministic
    rng = np.random.default_rng(17)
    sweep = rng.random((SHOTS, BITS)) < 0.5
    sample = np.array(
        [resolved(CIRCUIT, row).compile_sampler().sample(1)[0] for row in sweep], dtype=np.bool_
    )
    detect = m2d(sample, sweep)
    assert not detect.any(), "Stim's sweep semantics disagree with the substitution"
    assert m2d(sample, np.zeros_like(sweep)).any(), "the sweep bits change nothing"
    with open(os.path.join(HERE, "circuit.stim"), "w") as f:
        f.write(str(CIRCUIT) + "\n")
    for name, data in [("sweep", sweep), ("sample", sample), ("detect", detect)]:
        stim.write_shot_data_file(
            data=data, path=os.path.join(HERE, name + ".01"), format="01", num_measurements=data.shape[1]
        )
    print(f"stim {stim.__version__}: {SHOTS} shots, {CIRCUIT.num_measurements} measurements")


if __name__ == "__main__":
    main()
