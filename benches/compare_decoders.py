#!/usr/bin/env python3
"""Our colour decoder against Chromobius on the same circuits (see compare_decoders.sh).

For each circuit: Chromobius decodes SHOTS shots sampled by Stim (seed 1); `qec-sim sweep
--decoder color` samples and decodes SHOTS shots of its own (seed 1, one thread). The two
samples are independent draws of the same distribution, so the error counts compare within
binomial error. Decoding time per shot: Chromobius's predict call alone; ours is the sweep's
core-seconds (sampling included, an upper bound). Prints a Markdown table.
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

QEC_SIM, SHOTS, *CIRCUITS = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]

print(f"| circuit | shots | Chromobius errors | per shot | decode us/shot | color errors | per shot | us/shot (with sampling) |")
print("|---|---|---|---|---|---|---|---|")
for path in CIRCUITS:
    circuit = stim.Circuit.from_file(path)
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
        chromo = f"{chromo_errors} | {chromo_errors / SHOTS:.2e} | {chromo_us}"
    else:
        chromo = f"refused: {refusal} | | "
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
          f"| {ours} | {ours / SHOTS:.2e} | {secs / SHOTS * 1e6:.1f} |", flush=True)
