#!/usr/bin/env bash
# Feeds our generated color-code circuits (circuits/color666_*.stim) to Stim 1.15.0 unchanged and
# compares per-detector detection rates with qec-sim's on the same circuit. Not run by CI.
#
# For each circuit: Stim must parse it and build its detector error model (which fails on any
# non-deterministic detector or observable); then `stim detect` and `qec-sim detect` sample
# SHOTS shots each and benches/compare_rates.py prints the largest per-detector |z| of the rate
# difference (|z| < ~4.5 is consistent with equal rates over a few hundred detectors).
# Then, for d <= 5 (d <= MAX_D_SEARCH), Stim's search_for_undetectable_logical_errors gives the
# circuit-level distance with flags counted as detectors; it must equal d.
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

MAX_D_SEARCH="${MAX_D_SEARCH:-5}"
for c in circuits/color666_*.stim; do
    d=$(basename "$c" | sed -E 's/.*_d([0-9]+)_r.*/\1/')
    [ "$d" -le "$MAX_D_SEARCH" ] || continue
    "$STIM_PY" - "$c" "$d" <<'PY'
import sys, stim
c = stim.Circuit.from_file(sys.argv[1])
errors = c.search_for_undetectable_logical_errors(
    dont_explore_detection_event_sets_with_size_above=4,
    dont_explore_edges_with_degree_above=9999,
    dont_explore_edges_increasing_symptom_degree=False,
)
status = "ok" if len(errors) == int(sys.argv[2]) else "WRONG"
print(f"{sys.argv[1].split('/')[-1]:55s} circuit distance {len(errors)} (d = {sys.argv[2]}): {status}")
PY
done
