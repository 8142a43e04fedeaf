#!/usr/bin/env python3
"""Chromobius on Stim's `color_code:memory_xyz`: why it refuses, and a DEM it accepts.

Chromobius 1.1.1 (`compile_decoder_for_dem`) splits every error into "atomic" errors of the
same DEM (one detector, two detectors of one basis, or three of one basis with one of each
colour), at most two found ones per basis plus a "remnant" that must itself have an atomic
shape (src/chromobius/graph/collect_composite_errors.cc). An error that leaves detectors over
is refused ("Failed to decompose a complex error instruction into basic errors"); one that
needed a remnant is dropped from the decoding graph without a word (its default
`drop_mobius_errors_involving_remnant_errors = true`, not settable from Python).

`classify` replays that procedure on every error of a DEM (same order of trials, same
swap-removal) and says which errors Chromobius takes whole, decomposes, drops or refuses.
`split_dem` writes a DEM for Chromobius in which every refused (optionally also every dropped)
error is replaced by independent errors of the same probability, one per part: the fewest atomic errors of the
DEM that add up to it with the same observable flips, the likeliest of those (the split
`decoder::color` uses, docs/color-decoder.md item 2), and when none add up, the leftover
detectors as one-detector (boundary) parts, the first carrying the remaining flips. Every
detector and observable flip of the original error is in exactly one part, so nothing is
dropped (`check_split` verifies it); the approximation is the one PyMatching makes of any
decomposed error (each part an independent edge of probability p), and the one Chromobius
makes of the errors it decomposes itself. Leftover one-detector parts that no error of the
DEM has alone get SPARE_PROBABILITY instead (nearly forbidden, as `decoder::color` gives them
only its fallback weight). The yardstick (`compare`) splits the refused errors only and leaves
Chromobius's own choices (its dropped errors) alone: of the four variants (refused or refused
and dropped; spares at p or at SPARE_PROBABILITY) it made the fewest errors on memory_xyz
(d = 5 and 7, p = 1e-3, and d = 5, p = 1e-4; docs/color-decoder.md).

Usage: chromobius_xyz.py classify CIRCUIT...
           counts per category, the first refusal, and that the split DEM is accepted;
       chromobius_xyz.py compare QEC_SIM SHOTS SEED CIRCUIT[,SAME_CIRCUIT_OTHER_COLOURS]...
           Chromobius on CIRCUIT's split DEM (Stim samples the real circuit) against `QEC_SIM
           sweep --decoder color` on CIRCUIT and on each other annotation of it (its own
           samples, same seed, one thread; checked to have the same errors): a Markdown table
           of errors/shots (time per shot: Chromobius's decoding alone, ours with sampling)
           with 95% Wilson intervals.
"""

import csv
import os
import subprocess
import sys
import tempfile
import time

import chromobius
import numpy as np
import stim

BOUNDARY = None


def colours(dem):
    """Detector -> (basis, charge) from the 4th coordinate; flags (-1) -> None."""
    out = {}
    for d, c in dem.get_detector_coordinates().items():
        k = int(c[3])
        out[d] = None if k == -1 else (k // 3, k % 3 + 1)  # charges R=1, G=2, B=3
    return out


def errors(dem):
    """(probability, sorted non-ignored detectors, observable mask) of every error."""
    col = colours(dem)
    out = []
    for inst in dem.flattened():
        if inst.type != "error":
            continue
        dets, obs = set(), 0
        for t in inst.targets_copy():
            if t.is_relative_detector_id():
                if col[t.val] is not None:
                    dets ^= {t.val}
            elif t.is_logical_observable_id():
                obs ^= 1 << t.val
        out.append((inst.args_copy()[0], sorted(dets), obs))
    return out, col


def atomic_key(dets, col):
    """Chromobius's AtomicErrorKey of a detector list when it has an atomic shape, else None."""
    if len(dets) == 1:
        return tuple(dets)
    if len(dets) == 2 and col[dets[0]][0] == col[dets[1]][0]:
        return tuple(sorted(dets))
    if len(dets) == 3:
        c = [col[d] for d in dets]
        if c[0][1] ^ c[1][1] ^ c[2][1] == 0 and c[0][0] == c[1][0] == c[2][0]:
            return tuple(sorted(dets))
    return None


def charge(key, col):
    c = 0
    for d in key:
        c ^= col[d][1]
    return c


def decompose_one(dets, col, atoms):
    """decompose_single_basis_dets_into_atoms: one atom to remove, or None."""
    n = len(dets)
    if n == 0:
        return None
    if n <= 3 and tuple(sorted(dets)) in atoms:
        return tuple(sorted(dets))
    best, result = 0, None

    def grow(e1, e2):
        nonlocal best, result
        e1, e2 = tuple(sorted(e1)), tuple(sorted(e2))
        c1, c2 = e1 in atoms, e2 in atoms
        score = c1 + 2 * c2
        if score <= best:
            return
        if score == 1 and len(e2) == 3 and charge(e2, col) != 0:
            return
        if score == 2 and len(e1) == 3 and charge(e1, col) != 0:
            return
        result = e2 if c2 else e1
        best = score

    if n == 2:
        # (Chromobius tries the first detector alone, twice.)
        return (dets[0],) if (dets[0],) in atoms else None
    if n == 3:
        for k in range(3):
            grow([dets[k]], [dets[i] for i in range(3) if i != k])
    elif n == 4:
        for k1 in range(4):
            if best >= 2:
                break
            for k2 in range(k1 + 1, 4):
                grow([dets[k1], dets[k2]], [dets[i] for i in range(4) if i not in (k1, k2)])
        for k in range(4):
            grow([dets[k]], [dets[i] for i in range(4) if i != k])
    elif n == 5:
        for k1 in range(5):
            if best >= 2:
                break
            for k2 in range(k1 + 1, 5):
                grow([dets[k1], dets[k2]], [dets[i] for i in range(5) if i not in (k1, k2)])
    elif n == 6:
        for k1 in range(6):
            if best >= 2:
                break
            for k2 in range(k1 + 1, 6):
                for k3 in range(k2 + 1, 6):
                    grow([dets[k1], dets[k2], dets[k3]],
                         [dets[i] for i in range(6) if i not in (k1, k2, k3)])
    return result


def classify(dem):
    """Per error: 'atomic', 'decomposed', 'dropped' (needed a remnant) or 'refused'."""
    errs, col = errors(dem)
    atoms = set()
    for _, dets, _ in errs:
        key = atomic_key(dets, col)
        if key is not None:
            atoms.add(key)
    kinds = []
    for _, dets, _ in errs:
        by_basis = [[d for d in dets if col[d][0] == b] for b in (0, 1)]
        if len(dets) <= 3 and atomic_key(dets, col) is not None:
            kinds.append("atomic")
            continue
        remnant = False
        for rep in range(3):
            for basis_dets in by_basis:
                if rep == 2:
                    removed = atomic_key(basis_dets, col) if basis_dets else None
                    remnant |= removed is not None
                else:
                    removed = decompose_one(basis_dets, col, atoms)
                for d in removed or ():
                    i = basis_dets.index(d)
                    basis_dets[i] = basis_dets[-1]
                    basis_dets.pop()
        if any(by_basis):
            kinds.append("refused")
        else:
            kinds.append("dropped" if remnant else "decomposed")
    return errs, col, atoms, kinds


def split_parts(dets, obs, col, atom_list, atom_prob):
    """Fewest atoms (likeliest first) adding up to `dets` with flips `obs`; leftovers as
    single-detector parts. Returns [(dets, obs)]."""
    by_det = {}
    for a in atom_list:
        for d in a:
            by_det.setdefault(d, []).append(a)
    for spares in (0, 1, 2, len(dets)):
        best = [None, float("inf")]

        def go(left, flips, chosen):
            limit = len(best[0]) if best[0] else 6
            if not left:
                spare = [i for i, (_, f) in enumerate(chosen) if f is None]
                if not spare and flips != 0:
                    return
                nats = sum(-np.log(atom_prob[a][1]) if a in atom_prob else 40.0 for a, _ in chosen)
                if best[0] is None or len(chosen) < len(best[0]) or nats < best[1]:
                    parts = [(list(a), f) for a, f in chosen]
                    if spare:
                        parts[spare[0]] = (parts[spare[0]][0], flips)
                        for i in spare[1:]:
                            parts[i] = (parts[i][0], 0)
                    best[0], best[1] = parts, nats
                return
            if len(chosen) >= limit:
                return
            for a in by_det.get(left[0], []):
                if all(d in left for d in a):
                    go([d for d in left if d not in a], flips ^ atom_prob[a][0], chosen + [(a, atom_prob[a][0])])
            if sum(1 for _, f in chosen if f is None) < spares:
                go(left[1:], flips, chosen + [((left[0],), None)])

        go(sorted(dets), obs, [])
        if best[0] is not None:
            return best[0]
    raise AssertionError("no split")


def split_dem(dem, which=("refused", "dropped"), spare_probability=None):
    """The DEM with every error of a kind in `which` replaced by its parts (module docs).
    `spare_probability`: that of the leftover one-detector parts that are no atomic error of
    the DEM (default: the error's own)."""
    errs, col, atoms, kinds = classify(dem)
    # Atom -> (likeliest flip, total probability) among the DEM's own atomic errors.
    flips = {}
    for p, dets, obs in errs:
        key = atomic_key(dets, col)
        if key is not None:
            flips.setdefault(key, {}).setdefault(obs, 0.0)
            flips[key][obs] += p
    atom_prob = {a: (max(f, key=lambda o: (f[o], -o)), sum(f.values())) for a, f in flips.items()}
    atom_list = sorted(atom_prob)
    out = stim.DetectorErrorModel()
    for inst in dem.flattened():
        if inst.type != "error":
            out.append(inst)
    replaced = 0
    for (p, dets, obs), kind in zip(errs, kinds):
        parts = [(dets, obs)]
        if kind in which:
            parts = split_parts(dets, obs, col, atom_list, atom_prob)
            check_split(dets, obs, parts, col)
            replaced += 1
        for pd, po in parts:
            targets = [stim.target_relative_detector_id(d) for d in pd]
            targets += [stim.target_logical_observable_id(k) for k in range(64) if po >> k & 1]
            spare = spare_probability is not None and tuple(pd) not in atom_prob
            out.append("error", spare_probability if spare else p, targets)
    return out, kinds, replaced


def check_split(dets, obs, parts, col):
    """Every detector in exactly one part, flips adding up, every part atomic-shaped."""
    seen = sorted(d for pd, _ in parts for d in pd)
    assert seen == sorted(dets), (dets, parts)
    total = 0
    for pd, po in parts:
        total ^= po
        assert atomic_key(list(pd), col) is not None, (dets, parts)
    assert total == obs, (dets, obs, parts)


def wilson(k, n, z=1.96):
    """95% Wilson score interval of a binomial rate k/n."""
    c = (k + z * z / 2) / (n + z * z)
    h = z * np.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return max(0.0, c - h), c + h


def yardstick(circuit):
    """Chromobius compiled for the split DEM of `circuit` (refused errors split, spare parts
    at SPARE_PROBABILITY; module docs), with the error counts per category."""
    dem = circuit.detector_error_model(approximate_disjoint_errors=True)
    split, kinds, replaced = split_dem(dem, ("refused",), SPARE_PROBABILITY)
    return chromobius.compile_decoder_for_dem(split), kinds


# Probability of a leftover one-detector part (a boundary edge that no error of the DEM has):
# about 28 nats, nearly forbidden, as `decoder::color` gives such parts only its fallback
# weight. Measured better for Chromobius than the error's own probability (module docs).
SPARE_PROBABILITY = 1e-12


def run_ours(qec_sim, path, shots, seed):
    """`qec-sim sweep --decoder color` on `path`: (errors, shots, core-seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "s.csv")
        subprocess.run(
            [qec_sim, "sweep", "--circuits", path, "--decoder", "color", "--max-shots",
             str(shots), "--max-errors", "1000000000", "--threads", "1", "--seed", str(seed),
             "--out", stats],
            check=True, capture_output=True, text=True,
        )
        with open(stats) as f:
            row = next(csv.DictReader(f, skipinitialspace=True))
    return int(row["errors"]), int(row["shots"]), float(row["seconds"])


def main():
    mode, rest = sys.argv[1], sys.argv[2:]
    if mode == "classify":
        for path in rest:
            circuit = stim.Circuit.from_file(path)
            dem = circuit.detector_error_model(approximate_disjoint_errors=True)
            errs, _, _, kinds = classify(dem)
            counts = {k: kinds.count(k) for k in ("atomic", "decomposed", "dropped", "refused")}
            first = next((e for e, k in zip(errs, kinds) if k == "refused"), None)
            try:
                chromobius.compile_decoder_for_dem(dem)
                verdict = "accepted"
            except ValueError as e:
                verdict = "refused: " + [l for l in str(e).splitlines() if "The instruction" in l][0].strip()
            yardstick(circuit)  # the split DEM is accepted (raises otherwise)
            print(f"{path}: {len(errs)} errors {counts}; replica's first refusal {first}; "
                  f"Chromobius {verdict}; split DEM accepted")
    elif mode == "compare":
        qec_sim, shots, seed = rest[0], int(rest[1]), int(rest[2])
        print("| circuit | shots | Chromobius, split DEM: errors | per shot [95% CI] "
              "| `color`, plaquette colours | per shot [95% CI] | `color`, rotating colours "
              "| per shot [95% CI] | `color` no worse |")
        print("|---|---|---|---|---|---|---|---|---|")
        for pair in rest[3:]:
            paths = pair.split(",")
            circuit = stim.Circuit.from_file(paths[0])
            same = lambda c: sorted(map(str, errors(c.detector_error_model(
                approximate_disjoint_errors=True))[0]))
            for other in paths[1:]:
                assert same(stim.Circuit.from_file(other)) == same(circuit), f"{other}: other errors"
            decoder, _ = yardstick(circuit)
            dets, obs = circuit.compile_detector_sampler(seed=seed).sample(
                shots, separate_observables=True, bit_packed=True)
            start = time.perf_counter()
            pred = decoder.predict_obs_flips_from_dets_bit_packed(dets)
            chromo_us = (time.perf_counter() - start) / shots * 1e6
            theirs = int(np.count_nonzero(np.any(pred != obs, axis=1)))
            lo_t, hi_t = wilson(theirs, shots)
            cells = [f"{theirs} ({chromo_us:.1f} us) | {theirs / shots:.2e} [{lo_t:.1e}, {hi_t:.1e}]"]
            verdicts = []
            for path in paths:
                ours, n, secs = run_ours(qec_sim, path, shots, seed)
                lo_o, hi_o = wilson(ours, n)
                cells.append(f"{ours} ({secs / n * 1e6:.1f} us) | {ours / n:.2e} [{lo_o:.1e}, {hi_o:.1e}]")
                # "No worse" fails only when our interval lies wholly above theirs.
                verdicts.append("yes" if lo_o <= hi_t else "NO")
            name = paths[0].rsplit("/", 1)[-1]
            print(f"| {name} | {shots} | " + " | ".join(cells) + f" | {' / '.join(verdicts)} |",
                  flush=True)
    else:
        sys.exit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
