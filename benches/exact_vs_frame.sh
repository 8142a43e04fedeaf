#!/usr/bin/env bash
# The exact engine against the frame sampler on the same protocol: hadamard-prep with real CH
# gates (`--ch-model exact`) and its Clifford proxy (`--ch-model proxy`), cn20 noise, every
# detector postselected, one thread, attempted shots per second of sampling (shots / the sweep
# CSV's `seconds`). Runs alternate between the two (and OLD, a second qec-sim binary, when
# given, on the exact circuits), PAIRS rounds with seeds 1.., and the medians are printed with
# their ratio. Issue 11's target: the exact engine within 2x of the frame sampler.
#   bash benches/exact_vs_frame.sh            (quiet machine; DISTANCES, P, PAIRS, OLD override)
set -euo pipefail
cd "$(dirname "$0")/.."
DISTANCES="${DISTANCES:-3 5}"
P="${P:-0.001}"
PAIRS="${PAIRS:-3}"
OLD="${OLD:-}"
BIN=target/release/qec-sim
cargo build --release -q
DIR=target/bench-exact-frame
mkdir -p "$DIR"
rate() { # rate BINARY FILE SHOTS SEED: attempted shots/s of one sweep
    local csv="$DIR/run.csv"
    rm -f "$csv"
    "$1" sweep --circuits "$2" --decoder postselect --threads 1 --max-shots "$3" \
        --max-errors 1e12 --seed "$4" --out "$csv" >/dev/null 2>&1
    python3 - "$csv" <<'PY'
import csv, sys
row = list(csv.DictReader(open(sys.argv[1]), skipinitialspace=True))[-1]
print(int(row["shots"]) / float(row["seconds"]))
PY
}
median() { python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "$@"; }
echo "start $(date -u +%FT%TZ), load $(cut -d' ' -f1 /proc/loadavg), commit $(git rev-parse --short HEAD)"
printf '%-6s %14s %14s %14s %10s\n' d frame_proxy exact exact_old frame/exact
for d in $DISTANCES; do
    for model in exact proxy; do
        "$BIN" gen -d "$d" --task hadamard-prep --ch-model "$model" --noise cn20 --p "$P" \
            > "$DIR/hp${d}_$model.stim"
    done
    # Shots per run: a second or less of sampling each (short runs are noisier).
    case "$d" in 3) ne=30000000 np=60000000 ;; 5) ne=5000000 np=10000000 ;; *) ne=800000 np=3000000 ;; esac
    fr=() ex=() old=()
    for s in $(seq 1 "$PAIRS"); do
        fr+=("$(rate "$BIN" "$DIR/hp${d}_proxy.stim" "$np" "$s")")
        ex+=("$(rate "$BIN" "$DIR/hp${d}_exact.stim" "$ne" "$s")")
        [ -n "$OLD" ] && old+=("$(rate "$OLD" "$DIR/hp${d}_exact.stim" "$ne" "$s")")
    done
    f=$(median "${fr[@]}") e=$(median "${ex[@]}")
    o=$([ -n "$OLD" ] && median "${old[@]}" || echo nan)
    printf '%-6s %14.4g %14.4g %14.4g %9.2fx\n' "$d" "$f" "$e" "$o" "$(python3 -c "print($f/$e)")"
done
echo "end $(date -u +%FT%TZ), load $(cut -d' ' -f1 /proc/loadavg)"
rm -f "$DIR/run.csv"
