#!/usr/bin/env bash
# Logical error per shot and decoding time: `--decoder color` against Chromobius 1.1 on our
# flagged colour-code memory circuits (cn20, p = 1e-3, both layouts) and Stim's memory_xyz
# (with colour coordinates, tests/data/make_color_xyz_annotated.py).
# Usage: benches/compare_decoders.sh [SHOTS]   (from the repository root; default 20000)
set -euo pipefail
SHOTS=${1:-20000}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import stim, chromobius" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q stim==1.15.0 chromobius==1.1.1
fi
cargo build --release -q
.venv/bin/python benches/compare_decoders.py target/release/qec-sim "$SHOTS" \
  circuits/color666_standard_d3_r3_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d3_r3_memory_x_cn20_p001.stim \
  circuits/color666_standard_d5_r5_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d5_r5_memory_x_cn20_p001.stim \
  circuits/color666_standard_d7_r7_memory_x_cn20_p001.stim \
  tests/data/color_xyz_d5_r5_p001_annotated.stim
