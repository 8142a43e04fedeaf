#!/usr/bin/env python3
"""Writes hprep_synthetic.csv: SYNTHETIC hadamard-prep sweep statistics for the estimate tests.

Not simulation output. Each row holds the expected counts (rounded) of a model with known
parameters, so tests can check that `qec-sim estimate` recovers them:
    acceptance  P_acc(p) = exp(-B_d p)
    logical     p_L(p)   = A_d p^((d+1)/2)  (per accepted shot)
    discards = round(shots (1 - P_acc)),  errors = round((shots - discards) p_L).
Run from this directory:  python3 make_hprep_synthetic.py > hprep_synthetic.csv
"""
import json
import math

MODEL = {3: (30.0, 300.0), 5: (1.0e3, 2000.0), 7: (3.0e4, 7000.0)}  # d: (A_d, B_d)
PS = [1e-4, 2e-4, 5e-4, 1e-3]
SHOTS = 100_000_000

print("     shots,    errors,  discards, seconds,decoder,strong_id,json_metadata,custom_counts")
for d, (a, b) in MODEL.items():
    for p in PS:
        discards = round(SHOTS * (1.0 - math.exp(-b * p)))
        kept = SHOTS - discards
        errors = round(kept * a * p ** ((d + 1) / 2))
        meta = {"task": "hadamard-prep", "code": "color666", "noise": "cn20",
                "ch_model": "twirl", "method": "mc", "d": d, "p": p}
        text = json.dumps(meta, separators=(",", ":")).replace('"', '""')
        sid = f"synthetic-d{d}-p{p}"
        print(f"{SHOTS:>10},{errors:>10},{discards:>10},{1.0:>8.2f},postselect,{sid},\"{text}\",")
