#!/usr/bin/env bash
# Feeds our generated color-code circuits (circuits/color666_*.stim) to Stim 1.15.0 unchanged and
# compares per-detector detection rates with qec-sim's on the same circuit. Not run by CI.
#
# For each circuit: Stim must parse it and build its detector error model (which fails on any
# non-deterministic detector or observable); then `stim detect` and `qec-sim detect` sample
# SHOTS shots each and benches/compare_rates.py prints the largest per-detector |z| of the rate
# difference (|z| < ~4.5 is consistent with equal rates over a few hundred detectors).
#
#   bash tests/stim_check_color_circuits.sh            # SHOTS=1000000 by default
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../benches/stim_env.sh
source benches/stim_env.sh
SHOTS="${SHOTS:-1000000}"
cargo build --release --quiet
QEC=target/release/qec-sim
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

for c in circuits/color666_*.stim; do
    dets=$("$STIM_PY" - "$c" <<'PY'
import sys, stim
c = stim.Circuit.from_file(sys.argv[1])
dem = c.detector_error_model()  # raises on non-deterministic detectors
print(c.num_detectors)
PY
)
    "$STIM_BIN" detect --shots "$SHOTS" --in "$c" --out "$TMP/stim.b8" --out_format b8
    "$QEC" detect --shots "$SHOTS" --seed 1 --circuit "$c" --out "$TMP/qec.b8" --out-format b8
    printf '%-55s %5s dets  ' "$(basename "$c")" "$dets"
    "$STIM_PY" benches/compare_rates.py "$TMP/stim.b8" "$TMP/qec.b8" "$dets"
done
