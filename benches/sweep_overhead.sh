#!/usr/bin/env bash
# Measures what `qec-sim sweep` adds on top of the frame sampler: the same circuit, shots and
# seed through `qec-sim detect` (b8 to /dev/null) and through `qec-sim sweep` (postselection,
# statistics only), for 1 and 2 threads. Run on a quiet machine: bash benches/sweep_overhead.sh
# Circuits come from benches/compare_stim.sh (target/bench-circuits); SHOTS overrides 10^7.
set -euo pipefail
cd "$(dirname "$0")/.."
SHOTS="${SHOTS:-10000000}"
BIN=target/release/qec-sim
cargo build --release -q
[ -d target/bench-circuits ] || { echo "run benches/compare_stim.sh once first (it generates the circuits)"; exit 1; }
best() { # best wall time of 3 runs of "$@"
    local best=""
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N)
        best=$(python3 -c "t=$e-$s; b='$best'; print(t if not b or t < float(b) else b)")
    done
    echo "$best"
}
printf '%-22s %7s %10s %10s %9s\n' circuit threads detect_s sweep_s overhead
for f in target/bench-circuits/color_xyz_d{5,7,9}.stim target/bench-circuits/surface_rot_x_d{5,7}.stim; do
    for t in 1 2; do
        d=$(best "$BIN" detect --circuit "$f" --shots "$SHOTS" --threads "$t" --seed 1 --out /dev/null --out-format b8)
        s=$(best "$BIN" sweep --circuits "$f" --max-shots "$SHOTS" --threads "$t" --seed 1 --out /tmp/qec-sim-overhead.csv)
        printf '%-22s %7s %10.3f %10.3f %8.1f%%\n' "$(basename "$f" .stim)" "$t" "$d" "$s" \
            "$(python3 -c "print(100*($s-$d)/$d)")"
    done
done
rm -f /tmp/qec-sim-overhead.csv
