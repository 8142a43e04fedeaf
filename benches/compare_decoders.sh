#!/usr/bin/env bash
# Logical error per shot and decoding time: `--decoder color` against Chromobius 1.1 on our
# flagged colour-code memory circuits (cn20, p = 1e-3, both layouts), Chromobius's own unflagged
# test circuits (tests/data/chromobius_*.stim, see tests/data/README.md) and Stim's memory_xyz
# (with colour coordinates, tests/data/make_color_xyz_annotated.py; Chromobius refuses it, and
# the table prints why).
# Usage: benches/compare_decoders.sh [SHOTS]   (from the repository root; default 20000)
set -euo pipefail
SHOTS=${1:-20000}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import stim, chromobius" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q stim==1.15.0 chromobius==1.1.1
fi
cargo build --release -q
# Stim's memory_xyz at d = 7 and 9 (p = 0.001), annotated as the d = 3 and 5 fixtures.
XYZ=target/compare_decoders
mkdir -p "$XYZ"
.venv/bin/python tests/data/make_color_xyz_annotated.py --distances 7,9 --out "$XYZ" >/dev/null
.venv/bin/python benches/compare_decoders.py target/release/qec-sim "$SHOTS" \
  circuits/color666_standard_d3_r3_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d3_r3_memory_x_cn20_p001.stim \
  circuits/color666_standard_d5_r5_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d5_r5_memory_x_cn20_p001.stim \
  circuits/color666_standard_d7_r7_memory_x_cn20_p001.stim \
  tests/data/chromobius_phenom_color_code_d5_r5_p1000.stim \
  tests/data/chromobius_midout_color_code_d5_r10_p1000.stim \
  tests/data/chromobius_superdense_color_code_d5_r20_p1000.stim \
  tests/data/color_xyz_d3_r3_p001_annotated.stim \
  tests/data/color_xyz_d5_r5_p001_annotated.stim \
  "$XYZ"/color_xyz_d7_r7_p001_annotated.stim \
  "$XYZ"/color_xyz_d9_r9_p001_annotated.stim
