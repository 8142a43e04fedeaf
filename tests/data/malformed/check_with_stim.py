#!/usr/bin/env python3
"""Confirm that Stim rejects every circuit in tests/data/malformed/.

Usage (from the repository root):

    source benches/stim_env.sh
    "$STIM_PY" tests/data/malformed/check_with_stim.py

Each file is tried in a child process (memory and time limited, because some
malformed inputs make Stim misbehave) in three stages:

    parse    stim.Circuit(text)
    dem      circuit.detector_error_model(allow_gauge_detectors=False)
    sample   circuit.compile_detector_sampler(seed=0).sample(16)

and the first stage that raises is reported with Stim's message. The script
also checks the `# expect-line: N` header. Exit status is 1 if Stim accepts
any file or a header is malformed.
"""

import glob
import os
import re
import resource
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MEM_LIMIT = 2 << 30  # bytes of address space for the child
TIME_LIMIT = 60  # seconds

CHILD = r"""
import sys, stim
text = open(sys.argv[1]).read()
stage = "parse"
try:
    c = stim.Circuit(text)
    stage = "dem"
    c.detector_error_model(allow_gauge_detectors=False)
    stage = "sample"
    c.compile_detector_sampler(seed=0).sample(16)
except Exception as e:
    msg = " ".join(str(e).split("\n")[0].split())
    print(f"{stage}\t{type(e).__name__}: {msg}")
    sys.exit(0)
print("accepted\t")
"""


def limit_child():
    resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))


def main():
    bad = 0
    files = sorted(glob.glob(os.path.join(HERE, "*.stim")))
    for path in files:
        name = os.path.basename(path)
        with open(path) as f:
            lines = f.read().split("\n")
        m = re.fullmatch(r"# expect-line: (\d+)", lines[0])
        if not m or not (2 <= int(m.group(1)) <= len(lines)):
            print(f"{name}\tBAD HEADER")
            bad += 1
            continue
        try:
            r = subprocess.run(
                [sys.executable, "-c", CHILD, path],
                capture_output=True,
                text=True,
                timeout=TIME_LIMIT,
                preexec_fn=limit_child,
            )
            out = r.stdout.strip() or f"crash\texit status {r.returncode}"
        except subprocess.TimeoutExpired:
            out = "crash\ttimeout"
        stage, _, msg = out.partition("\t")
        if stage == "accepted":
            bad += 1
        print(f"{name}\tline {m.group(1)}\t{stage}\t{msg}")
    print(f"{len(files)} files, {bad} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
