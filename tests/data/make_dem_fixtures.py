#!/usr/bin/env python3
"""Write Stim's detector error models of the test circuits as NAME.dem.

Usage (from the repository root):

    source benches/stim_env.sh
    "$STIM_PY" tests/data/make_dem_fixtures.py

For each existing noisy fixture NAME.stim, and for a few more circuits generated here
(written as NAME.stim too), this writes NAME.dem: the result of
circuit.detector_error_model() with Stim's default options (no decomposition), except
misc_gates, whose PAULI_CHANNEL_2 and ELSE_CORRELATED_ERROR need
approximate_disjoint_errors=True. The text follows Stim's .dem layout (repeat blocks kept)
but prints probabilities with repr() (shortest round-trip form), which the Rust side also uses.
Errors from tagged noise instructions carry the tag (error[tag](p)); Stim does not merge
mechanisms with different tags.
"""

import os

import stim

HERE = os.path.dirname(os.path.abspath(__file__))
MAX_BYTES = 100_000

EXISTING = [
    "rep_code_d3_r3",
    "surface_rotated_x_d3_r3",
    "surface_unrotated_z_d3_r2",
    "color_xyz_d3_r3",
    "misc_gates",
    "mpp_spp_steane",
    "stim_115_gates",
]
APPROXIMATE = {"misc_gates", "stim_115_gates"}


# (name, Stim task, distance, rounds, p, whether before_round_data_depolarization is on too)
GENERATED = [
    ("rep_code_d5_r5", "repetition_code:memory", 5, 5, 0.01, False),
    ("surface_rotated_z_d5_r5", "surface_code:rotated_memory_z", 5, 5, 0.001, True),
    ("color_xyz_d5_r5_p001", "color_code:memory_xyz", 5, 5, 0.001, True),
]


def generated():
    out = {}
    for name, task, d, r, p, data_noise in GENERATED:
        knobs = dict(
            after_clifford_depolarization=p,
            before_measure_flip_probability=p,
            after_reset_flip_probability=p,
        )
        if data_noise:
            knobs["before_round_data_depolarization"] = p
        out[name] = stim.Circuit.generated(task, distance=d, rounds=r, **knobs)
    return out


def fmt_args(args):
    return "(" + ", ".join(repr(float(a)) for a in args) + ")" if args else ""


def fmt_target(t):
    if t.is_separator():
        return "^"
    if t.is_logical_observable_id():
        return f"L{t.val}"
    return f"D{t.val}"


def dem_lines(dem, indent=""):
    for inst in dem:
        if isinstance(inst, stim.DemRepeatBlock):
            yield f"{indent}repeat {inst.repeat_count} {{"
            yield from dem_lines(inst.body_copy(), indent + "    ")
            yield f"{indent}}}"
            continue
        args = inst.args_copy()
        targets = inst.targets_copy()
        if inst.type == "shift_detectors":
            yield f"{indent}shift_detectors{fmt_args(args)} {targets[0]}"
        else:
            tag = f"[{inst.tag}]" if inst.tag else ""
            parts = [inst.type + tag + fmt_args(args)] + [fmt_target(t) for t in targets]
            yield indent + " ".join(parts)


def write(name, text):
    path = os.path.join(HERE, name)
    assert len(text) <= MAX_BYTES, f"{name} is {len(text)} bytes"
    with open(path, "w") as f:
        f.write(text)


def main():
    circuits = {}
    for name in EXISTING:
        circuits[name] = stim.Circuit.from_file(os.path.join(HERE, name + ".stim"))
    for name, c in generated().items():
        write(name + ".stim", str(c) + "\n")
        circuits[name] = c
    for name, c in circuits.items():
        dem = c.detector_error_model(approximate_disjoint_errors=name in APPROXIMATE)
        # The repr printing must describe the same model as Stim's own.
        text = "\n".join(dem_lines(dem)) + "\n"
        assert stim.DetectorErrorModel(text).approx_equals(dem, atol=1e-12)
        write(name + ".dem", text)
        print(f"{name}: {dem.num_detectors} detectors, {dem.num_errors} errors, {len(text)} bytes")


if __name__ == "__main__":
    main()
