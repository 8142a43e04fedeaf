#!/usr/bin/env python3
"""Writes tests/data/formats/: one table of shots in each of Stim's result formats.

Usage (from the repository root):

    source benches/stim_env.sh
    "$STIM_PY" tests/data/make_format_fixtures.py

`shots.FORMAT` (FORMAT = 01, b8, r8, hits, dets, ptb64) hold the same 128 shots of 270
measurement bits, written by stim.write_shot_data_file (stim 1.15.0); the bits are sparse
(p = 0.03, so r8 sees runs of 255 and more zeros), with an all-zero and an all-one shot.
`detect.dets` holds the first 200 bits as 190 detectors and 10 observables, and
`detect_obs.01` the observable bits alone. Deterministic (numpy seed 16).
"""

import os

import numpy as np
import stim

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "formats")
SHOTS, BITS = 128, 270


def main():
    os.makedirs(HERE, exist_ok=True)
    rng = np.random.default_rng(16)
    data = rng.random((SHOTS, BITS)) < 0.03
    data[5, :] = False
    data[6, :] = True
    for fmt in ["01", "b8", "r8", "hits", "dets", "ptb64"]:
        path = os.path.join(HERE, f"shots.{fmt}")
        stim.write_shot_data_file(data=data, path=path, format=fmt, num_measurements=BITS)
        back = stim.read_shot_data_file(path=path, format=fmt, num_measurements=BITS)
        assert (back == data).all(), fmt
    det = data[:, :200]
    stim.write_shot_data_file(
        data=det,
        path=os.path.join(HERE, "detect.dets"),
        format="dets",
        num_detectors=190,
        num_observables=10,
    )
    stim.write_shot_data_file(
        data=det[:, 190:],
        path=os.path.join(HERE, "detect_obs.01"),
        format="01",
        num_observables=10,
    )


if __name__ == "__main__":
    main()
