#!/usr/bin/env python3
"""Our colour decoder against Chromobius on the same circuits (see compare_decoders.sh).

For each circuit: Chromobius decodes SHOTS shots sampled by Stim (seed 1); `qec-sim sweep
--decoder color` samples and decodes SHOTS shots of its own (seed 1, one thread). The two
samples are independent draws of the same distribution, so the error counts compare within
binomial error. Decoding time per shot: Chromobius's predict call alone; ours is the sweep's
core-seconds (sampling included, an upper bound). Per round: the circuit's rounds are read
from its file name (`_rN_`), and a shot's error rate P becomes the per-round rate p with
1 - 2P = (1 - 2p)^N (independent flips of the observable each round; sinter's
`shot_error_rate_to_piece_error_rate`). Prints a Markdown table.
"""

import csv
import os
import re
import subprocess
import sys
import tempfile
import time

import chromobius
import numpy as np
import stim

QEC_SIM, SHOTS, *CIRCUITS = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]


def per_round(errors, rounds):
    """Per-round logical error from a per-shot count (module docs); '' without rounds."""
    shot = errors / SHOTS
    if rounds is None or shot >= 0.5:
        return ""
    return f"{(1 - (1 - 2 * shot) ** (1 / rounds)) / 2:.2e}"


print(f"| circuit | shots | Chromobius errors | per shot | per round | decode us/shot | color errors | per shot | per round | us/shot (with sampling) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for path in CIRCUITS:
    circuit = stim.Circuit.from_file(path)
    found = re.search(r"_r(\d+)_", path.rsplit("/", 1)[-1])
    rounds = int(found.group(1)) if found else None
    dem = circuit.detector_error_model(approximate_disjoint_errors=True)
    try:
        decoder = chromobius.compile_decoder_for_dem(dem)
    except ValueError as e:
        decoder = None
        # The first line and the instruction it could not decompose.
        lines = str(e).splitlines()
        shifted = [l.split(": ", 1)[1] for l in lines if "The instruction" in l]
        refusal = lines[0] + (f" ({shifted[0]})" if shifted else "")
    if decoder is not None:
        dets, obs = circuit.compile_detector_sampler(seed=1).sample(
            SHOTS, separate_observables=True, bit_packed=True
        )
        start = time.perf_counter()
        pred = decoder.predict_obs_flips_from_dets_bit_packed(dets)
        chromo_us = f"{(time.perf_counter() - start) / SHOTS * 1e6:.1f}"
        chromo_errors = int(np.count_nonzero(np.any(pred != obs, axis=1)))
        chromo = (f"{chromo_errors} | {chromo_errors / SHOTS:.2e} "
                  f"| {per_round(chromo_errors, rounds)} | {chromo_us}")
    else:
        chromo = f"refused: {refusal} | | | "
    with tempfile.TemporaryDirectory() as tmp:
        stats = os.path.join(tmp, "s.csv")
        subprocess.run(
            [QEC_SIM, "sweep", "--circuits", path, "--decoder", "color", "--max-shots",
             str(SHOTS), "--threads", "1", "--seed", "1", "--out", stats],
            check=True, capture_output=True, text=True,
        )
        with open(stats) as f:
            row = next(csv.DictReader(f, skipinitialspace=True))
    ours, secs = int(row["errors"]), float(row["seconds"])
    name = path.rsplit("/", 1)[-1]
    print(f"| {name} | {SHOTS} | {chromo} "
          f"| {ours} | {ours / SHOTS:.2e} | {per_round(ours, rounds)} "
          f"| {secs / SHOTS * 1e6:.1f} |", flush=True)
