"""Compares per-detector firing rates of two b8 detection-event files (Stim's and qec-sim's).

Usage: compare_rates.py STIM.b8 QEC.b8 NUM_DETECTORS
Prints the largest |z| over detectors of the difference of the two binomial rate estimates
(z = diff / sqrt(pooled (1 - pooled) (2 / shots))), and the mean rates. Measurement only.
"""
import sys

import numpy as np


def rates(path, num_detectors):
    data = np.fromfile(path, dtype=np.uint8)
    stride = (num_detectors + 7) // 8
    shots = data.size // stride
    bits = np.unpackbits(data.reshape(shots, stride), axis=1, bitorder="little")
    return bits[:, :num_detectors].mean(axis=0), shots


def main():
    stim_path, qec_path, dets = sys.argv[1], sys.argv[2], int(sys.argv[3])
    a, n = rates(stim_path, dets)
    b, m = rates(qec_path, dets)
    pooled = (a * n + b * m) / (n + m)
    sd = np.sqrt(np.maximum(pooled * (1 - pooled), 1.0 / (n + m)) * (1.0 / n + 1.0 / m))
    z = np.abs(a - b) / sd
    worst = int(np.argmax(z))
    print(
        f"max |z| = {z[worst]:.2f} over {dets} detectors (D{worst}); "
        f"mean rate stim {a.mean():.6f}, qec-sim {b.mean():.6f}"
    )


if __name__ == "__main__":
    main()
