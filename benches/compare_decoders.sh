#!/usr/bin/env bash
# Logical error per shot and decoding time: `--decoder color` against Chromobius 1.1 on our
# flagged colour-code memory circuits (cn20, p = 1e-3, both layouts, d = 3, 5, 7, 9), Chromobius's own unflagged
# test circuits (tests/data/chromobius_*.stim, see tests/data/README.md) and Stim's memory_xyz
# (with colour coordinates, tests/data/make_color_xyz_annotated.py; Chromobius refuses it at
# d >= 5, and the table prints why).
# Usage: benches/compare_decoders.sh [SHOTS]   (from the repository root; default 20000)
#        benches/compare_decoders.sh --xyz [SHOTS]   (default 100000)
#   --xyz: Stim's memory_xyz at d = 5, 7, 9 (rounds = d) and p = 1e-4, 1e-3, 5e-3 (all four
#   noise knobs), Chromobius on a DEM it accepts (benches/chromobius_xyz.py: the errors it
#   refuses split into its atomic errors, nothing dropped) against `color` on the plaquette-
#   and the rotating-colour annotation of the same circuits; SHOTS at p = 1e-3, 2 x SHOTS at
#   1e-4, SHOTS / 20 at 5e-3; 95% Wilson intervals. About 3 minutes at the default.
set -euo pipefail
XYZ_ONLY=0
if [ "${1:-}" = "--xyz" ]; then
  XYZ_ONLY=1
  shift
fi
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import stim, chromobius" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q stim==1.15.0 chromobius==1.1.1
fi
cargo build --release -q
XYZ=target/compare_decoders
mkdir -p "$XYZ"
if [ "$XYZ_ONLY" = 1 ]; then
  SHOTS=${1:-100000}
  for P in 0.0001 0.001 0.005; do
    for COLOURS in plaquette rotating; do
      .venv/bin/python tests/data/make_color_xyz_annotated.py --distances 5,7,9 --p $P \
        --colours $COLOURS --out "$XYZ" >/dev/null
    done
  done
  for PS in p0001:$((2 * SHOTS)) p001:$SHOTS p005:$((SHOTS / 20)); do
    P=${PS%%:*}
    N=${PS##*:}
    CIRCUITS=()
    for D in 5 7 9; do
      C="$XYZ/color_xyz_d${D}_r${D}_${P}"
      CIRCUITS+=("${C}_annotated.stim,${C}_rotating.stim")
    done
    .venv/bin/python benches/chromobius_xyz.py compare target/release/qec-sim "$N" 1 \
      "${CIRCUITS[@]}" | if [ $P = p0001 ]; then cat; else tail -n +3; fi
  done
  exit 0
fi
SHOTS=${1:-20000}
# Stim's memory_xyz at d = 7 and 9 (p = 0.001), annotated as the d = 3 and 5 fixtures.
.venv/bin/python tests/data/make_color_xyz_annotated.py --distances 7,9 --out "$XYZ" >/dev/null
# Our flagged circuits not shipped in circuits/: redundant d = 9, standard d = 9 (made as
# circuits/README.md says for d <= 7).
for LAYOUT in standard redundant; do
  target/release/qec-sim gen --task memory-x -d 9 --layout $LAYOUT --noise cn20 --p 0.001 \
    -o "$XYZ/color666_${LAYOUT}_d9_r9_memory_x_cn20_p001.stim"
done
.venv/bin/python benches/compare_decoders.py target/release/qec-sim "$SHOTS" \
  circuits/color666_standard_d3_r3_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d3_r3_memory_x_cn20_p001.stim \
  circuits/color666_standard_d5_r5_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d5_r5_memory_x_cn20_p001.stim \
  circuits/color666_standard_d7_r7_memory_x_cn20_p001.stim \
  circuits/color666_redundant_d7_r7_memory_x_cn20_p001.stim \
  "$XYZ"/color666_standard_d9_r9_memory_x_cn20_p001.stim \
  "$XYZ"/color666_redundant_d9_r9_memory_x_cn20_p001.stim \
  tests/data/chromobius_phenom_color_code_d5_r5_p1000.stim \
  tests/data/chromobius_midout_color_code_d5_r10_p1000.stim \
  tests/data/chromobius_superdense_color_code_d5_r20_p1000.stim \
  tests/data/color_xyz_d3_r3_p001_annotated.stim \
  tests/data/color_xyz_d5_r5_p001_annotated.stim \
  "$XYZ"/color_xyz_d7_r7_p001_annotated.stim \
  "$XYZ"/color_xyz_d9_r9_p001_annotated.stim
