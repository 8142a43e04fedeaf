#!/usr/bin/env python3
"""Stim's `color_code:memory_xyz` circuits with Chromobius's 4th detector coordinate added.

Usage (from the repository root, with stim==1.15.0 in a local venv):

    python3 -m venv .venv && .venv/bin/pip install stim==1.15.0
    .venv/bin/python tests/data/make_color_xyz_annotated.py
    .venv/bin/python tests/data/make_color_xyz_annotated.py --distances 7,9 --p 0.0005 --out DIR
    .venv/bin/python tests/data/make_color_xyz_annotated.py --colours rotating --distances 5


Writes tests/data/color_xyz_d{3,5}_r{d}_p001_annotated.stim: the circuit of
stim.Circuit.generated("color_code:memory_xyz", distance=d, rounds=d) with all four noise knobs
(after_clifford_depolarization, before_round_data_depolarization,
before_measure_flip_probability, after_reset_flip_probability) = 0.001, every DETECTOR given a
4th coordinate = its plaquette's colour (0, 1, 2; basis X in Chromobius's convention, because
the XYZ cycle makes each detector a single plaquette check of one "basis"). Stim prints
detector coordinates (x, y, t) only; the colours come from a proper 3-colouring of the plaquette
adjacency graph, where two plaquettes are adjacent when one error mechanism of the same circuit
with data-qubit noise only (before_round_data_depolarization) flips exactly three detectors, at
three positions in one round (a bulk data-qubit error). The script checks
that the colouring is proper and unique up to renaming the colours.

`--colours rotating` writes color_xyz_d{d}_r{d}_{p}_rotating.stim instead: the flattened
circuit (absolute time coordinates) with colour (y + t) mod 3, the convention of Chromobius's
own memory_xyz circuits (github.com/quantumlib/chromobius, src/clorco/color_code/
_mxyz_color_codes.py, `make_mxyz_color_code_from_stim_gen`). At t = 0 it is the plaquette
colouring above up to renaming (checked); one round later every colour has moved on by one.
Why: the detector of a plaquette at time t is the product of its X, Y and Z measurements at
t .. t + 2, so a measurement error flips that plaquette's detectors at three consecutive times.
With plaquette colours that is three detectors of one colour, which a colour-code decoder can
only see split into parts (two or three faults); with rotating colours it is one detector of
each colour, an ordinary "rainbow" error, and so is every data error (its plaquettes at one
time). The error model is the same (checked).
"""

import argparse
import itertools
import os

import stim

HERE = os.path.dirname(os.path.abspath(__file__))


def colouring(d):
    # Data-qubit noise only: its mechanisms are single-qubit errors (no hooks).
    circuit = stim.Circuit.generated(
        "color_code:memory_xyz", distance=d, rounds=d, before_round_data_depolarization=0.001
    )
    dem = circuit.detector_error_model()
    coords = circuit.get_detector_coordinates()
    pos = {d: (c[0], c[1]) for d, c in coords.items()}
    time = {d: c[2] for d, c in coords.items()}
    adj = {p: set() for p in pos.values()}
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        dets = [t.val for t in inst.targets_copy() if t.is_relative_detector_id()]
        # A data-qubit error in the bulk flips its three plaquettes (one of each colour) in one
        # round; weight-2 hook errors can flip two plaquettes of one colour, so only triples
        # are used.
        places = {pos[x] for x in dets}
        if len(dets) == 3 and len({time[x] for x in dets}) == 1 and len(places) == 3:
            for a, b in itertools.combinations(places, 2):
                adj[a].add(b)
                adj[b].add(a)
    order = sorted(adj)
    solutions = []

    def go(i, colour):
        if len(solutions) > 1:
            return
        if i == len(order):
            solutions.append(dict(colour))
            return
        p = order[i]
        for c in range(3):
            if i == 0 and c != 0:
                break
            if all(colour.get(q) != c for q in adj[p]):
                colour[p] = c
                go(i + 1, colour)
                del colour[p]

    go(0, {})
    assert solutions, "no proper 3-colouring"
    # Unique up to permuting the colours (the first plaquette is pinned to colour 0).
    assert len(solutions) == 1 or all(
        len({(s[p], solutions[0][p]) for p in order}) == 3 for s in solutions
    ), "colouring not unique"
    return solutions[0], pos


def annotate(circuit, colour):
    out = stim.Circuit()
    for inst in circuit:
        if isinstance(inst, stim.CircuitRepeatBlock):
            out.append(stim.CircuitRepeatBlock(inst.repeat_count, annotate(inst.body_copy(), colour)))
        elif inst.name == "DETECTOR":
            args = inst.gate_args_copy()
            out.append("DETECTOR", inst.targets_copy(), args[:3] + [colour[(args[0], args[1])]])
        else:
            out.append(inst)
    return out


def annotate_rotating(circuit, colour):
    """The flattened circuit with colour (y + t) mod 3 (module docs); checks that at t = 0 it
    renames `colour` one to one."""
    flat = circuit.flattened()
    renaming = {(c, int(y) % 3) for (x, y), c in colour.items()}
    assert len(renaming) == 3 and len({a for a, _ in renaming}) == 3, renaming
    out = stim.Circuit()
    for inst in flat:
        if inst.name == "DETECTOR":
            x, y, t = inst.gate_args_copy()[:3]
            out.append("DETECTOR", inst.targets_copy(), [x, y, t, (y + t) % 3])
        else:
            out.append(inst)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distances", default="3,5", help="comma separated (default 3,5)")
    parser.add_argument("--p", type=float, default=0.001, help="all four noise knobs (default 0.001)")
    parser.add_argument("--out", default=HERE, help="directory (default tests/data)")
    parser.add_argument(
        "--colours", choices=["plaquette", "rotating"], default="plaquette",
        help="4th coordinate: the plaquette's colour, or (y + t) mod 3 (module docs)",
    )
    args = parser.parse_args()
    # p = 0.001 -> p001, 0.0005 -> p0005 (the digits after the point).
    tag = "p" + f"{args.p:f}".rstrip("0").split(".")[1]
    for d in [int(x) for x in args.distances.split(",")]:
        circuit = stim.Circuit.generated(
            "color_code:memory_xyz",
            distance=d,
            rounds=d,
            after_clifford_depolarization=args.p,
            before_round_data_depolarization=args.p,
            before_measure_flip_probability=args.p,
            after_reset_flip_probability=args.p,
        )
        colour, _ = colouring(d)
        # Detector coordinates inside REPEAT blocks are relative to SHIFT_COORDS, which only
        # shifts time here, so (x, y) keys are absolute.
        if args.colours == "rotating":
            annotated, suffix = annotate_rotating(circuit, colour), "rotating"
        else:
            annotated, suffix = annotate(circuit, colour), "annotated"
        errors = lambda c: [i for i in c.detector_error_model().flattened() if i.type == "error"]
        assert errors(annotated) == errors(circuit), "annotation changed the error model"
        path = os.path.join(args.out, f"color_xyz_d{d}_r{d}_{tag}_{suffix}.stim")
        with open(path, "w") as f:
            print(annotated, file=f)
        print(f"wrote {path}: {annotated.num_detectors} detectors, colours {sorted(set(colour.values()))}")


if __name__ == "__main__":
    main()
