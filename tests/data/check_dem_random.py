#!/usr/bin/env python3
"""Cross-check `qec-sim analyze-errors` against Stim on random noisy circuits.

Usage (from the repository root, after `cargo build --release`):

    source benches/stim_env.sh
    "$STIM_PY" tests/data/check_dem_random.py SEED TRIALS

Each trial builds U1 N1 U2 N2 ... (U1 U2 ...)^-1 N M: random Clifford layers with random noise
(X/Y/Z_ERROR, DEPOLARIZE1/2, PAULI_CHANNEL_1 with and without an exact independent form, E)
between them, undone by the inverse layers so that every measurement is deterministic, a
detector per measurement, an observable, and sometimes a REPEAT block of further noisy rounds.
Stim reads the same file; the two models must agree after canonicalisation (flatten, sort,
merge equal symptoms), or both must refuse the circuit. Prints the disagreements and a count.
"""

import random
import subprocess
import sys

import stim
G1 = ["H","S","S_DAG","SQRT_X","SQRT_X_DAG","SQRT_Y","SQRT_Y_DAG","H_XY","H_YZ","C_XYZ","C_ZYX","X","Y","Z"]
G2 = ["CX","CY","CZ","SWAP"]
def rand_layer(n, rng):
    c = stim.Circuit()
    for _ in range(rng.randint(1,4)):
        if rng.random()<0.5:
            c.append(rng.choice(G1), rng.sample(range(n), rng.randint(1,n)))
        else:
            a,b = rng.sample(range(n),2); c.append(rng.choice(G2), [a,b])
    return c
def rand_noise(n, rng):
    c = stim.Circuit(); k = rng.randint(0,4)
    for _ in range(k):
        r = rng.random(); q = rng.sample(range(n), rng.randint(1,2))
        if r<0.2: c.append(rng.choice(["X_ERROR","Y_ERROR","Z_ERROR"]), q, rng.uniform(0,0.2))
        elif r<0.4: c.append("DEPOLARIZE1", q, rng.uniform(0,0.3))
        elif r<0.6: a,b=rng.sample(range(n),2); c.append("DEPOLARIZE2", [a,b], rng.uniform(0,0.3))
        elif r<0.8:
            x,y,z = rng.uniform(0,0.1),rng.uniform(0,0.1),rng.uniform(0,0.1)
            if rng.random()<0.3: x,y,z = x,0,0
            c.append("PAULI_CHANNEL_1", q, [x,y,z])
        else:
            t = [stim.target_x(q[0]) if rng.random()<0.5 else stim.target_y(q[0])]
            if len(q)>1: t.append(stim.target_z(q[1]))
            c.append("E", t, rng.uniform(0,0.2))
    return c
def canon(d):
    m = {}
    for i in d.flattened():
        if i.type == "error":
            k = tuple(sorted(str(t) for t in i.targets_copy()))
            p = i.args_copy()[0]
            q = m.get(k, 0.0)
            m[k] = p * (1 - q) + q * (1 - p)
    return m


rng = random.Random(int(sys.argv[1]))
bad = 0
for trial in range(int(sys.argv[2])):
    n = rng.randint(2,5)
    layers = [rand_layer(n,rng) for _ in range(rng.randint(1,4))]
    u = stim.Circuit()
    for l in layers: u += l
    c = stim.Circuit()
    for l in layers:
        c += l; c += rand_noise(n,rng)
    c += u.inverse(); c += rand_noise(n,rng)
    c.append("M" if rng.random()<0.5 else "MR", range(n), rng.choice([0, 0.05]))
    for i in range(n): c.append("DETECTOR", [stim.target_rec(-n+i)], [i, 0])
    c.append("OBSERVABLE_INCLUDE", [stim.target_rec(-1)], 0)
    if rng.random()<0.5:
        # a second round to exercise REPEAT and coordinates
        body = stim.Circuit(); body += rand_noise(n,rng); body.append("MR", range(n))
        for i in range(n): body.append("DETECTOR", [stim.target_rec(-n+i)], [i, 1])
        body.append("SHIFT_COORDS", [], [0, 1])
        c.append(stim.CircuitRepeatBlock(3, body))
    open("/tmp/fz.stim","w").write(str(c))
    try:
        theirs = stim.Circuit.from_file("/tmp/fz.stim").detector_error_model(); terr=None
    except Exception as e:
        theirs=None; terr=str(e).split("\n")[0]
    r = subprocess.run(["./target/release/qec-sim","analyze-errors","--circuit","/tmp/fz.stim"],capture_output=True,text=True)
    if theirs is None:
        if r.returncode==0: print("trial",trial,"stim refused, we accepted:",terr); bad+=1
        continue
    if r.returncode!=0: print("trial",trial,"we refused:",r.stderr.strip()); bad+=1; continue
    ours = stim.DetectorErrorModel(r.stdout)
    a,b=canon(ours),canon(theirs)
    if a.keys()!=b.keys() or any(abs(a[k]-b[k])>1e-9*max(b[k],1e-12) for k in a) or ours.num_detectors!=theirs.num_detectors:
        print("trial",trial,"MISMATCH", a.keys()==b.keys(), ours.num_detectors, theirs.num_detectors, [(k,a[k],b.get(k)) for k in a if abs(a[k]-b.get(k,0))>1e-9*b.get(k,1)][:3]); bad+=1
        open(f"/tmp/fz_bad_{trial}.stim","w").write(str(c))
print("bad",bad)
