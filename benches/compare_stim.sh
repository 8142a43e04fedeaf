#!/usr/bin/env bash
# Throughput comparison: `stim detect` vs `qec-sim detect` on Stim-generated
# memory-experiment circuits. This is a measurement script, not a test.
#
#   bash benches/compare_stim.sh
#
# Environment knobs:
#   SHOTS       shots per run                       (default 1000000)
#   REPS        repetitions per measurement; the minimum wall time is kept (default 3)
#   DISTANCES   code distances                      (default "3 5 7 9 11")
#   NOISE       noise strength for every noise knob (default 0.001)
#   THREADS     qec-sim thread counts to try        (default "1 2")
#   SEED        seed passed to both tools           (default 1)
#   BENCH_DIR   where circuits and outputs go       (default target/bench-circuits)
#   SKIP_BUILD  set to 1 to skip `cargo build --release`
#   QEC_SIM     qec-sim binary                      (default target/release/qec-sim)
#
# Output files (*.b8) are deleted after their sizes are compared.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benches/stim_env.sh
source benches/stim_env.sh

SHOTS="${SHOTS:-1000000}"
REPS="${REPS:-3}"
DISTANCES="${DISTANCES:-3 5 7 9 11}"
NOISE="${NOISE:-0.001}"
THREADS="${THREADS:-1 2}"
SEED="${SEED:-1}"
BENCH_DIR="${BENCH_DIR:-target/bench-circuits}"
QEC_SIM="${QEC_SIM:-target/release/qec-sim}"

mkdir -p "$BENCH_DIR"

echo "== machine"
echo "cpu:    $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "nproc:  $(nproc)"
echo "stim:   $("$STIM_PY" -c 'import stim; print(stim.__version__)')"
echo "rustc:  $(rustc --version 2>/dev/null || echo unavailable)"
echo "shots=$SHOTS reps=$REPS (best of) noise=$NOISE seed=$SEED"
echo

# ---------------------------------------------------------------- build
have_qec=1
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== cargo build --release"
    if ! cargo build --release --quiet; then
        echo "note: cargo build failed; qec-sim columns will be skipped"
        have_qec=0
    fi
fi
if [ "$have_qec" = 1 ]; then
    if [ ! -x "$QEC_SIM" ]; then
        echo "note: $QEC_SIM not found; qec-sim columns will be skipped"
        have_qec=0
    elif ! "$QEC_SIM" detect --help >/dev/null 2>&1; then
        echo "note: $QEC_SIM has no working 'detect' subcommand; qec-sim columns will be skipped"
        have_qec=0
    fi
fi

# ---------------------------------------------------------------- circuits
# Writes one circuit per (family, distance) and a manifest: name qubits detectors file
manifest="$BENCH_DIR/manifest.tsv"
"$STIM_PY" - "$BENCH_DIR" "$NOISE" $DISTANCES >"$manifest" <<'PY'
import os, sys
import stim

out_dir, p = sys.argv[1], float(sys.argv[2])
distances = [int(d) for d in sys.argv[3:]]
families = [
    ("color_xyz", "color_code:memory_xyz",
     dict(before_round_data_depolarization=p)),
    ("surface_rot_x", "surface_code:rotated_memory_x", {}),
]
for short, task, extra in families:
    for d in distances:
        c = stim.Circuit.generated(
            task, distance=d, rounds=d,
            after_clifford_depolarization=p,
            before_measure_flip_probability=p,
            after_reset_flip_probability=p,
            **extra)
        name = f"{short}_d{d}"
        path = os.path.join(out_dir, name + ".stim")
        with open(path, "w") as f:
            f.write(str(c) + "\n")
        print(f"{name}\t{c.num_qubits}\t{c.num_detectors}\t{path}")
PY

# ---------------------------------------------------------------- probe
# A `detect` that exits 0 but writes nothing (e.g. a stub) is treated as absent.
if [ "$have_qec" = 1 ]; then
    probe_circ=$(head -n1 "$manifest" | cut -f4)
    probe_out="$BENCH_DIR/probe.b8"
    rm -f "$probe_out"
    if ! "$QEC_SIM" detect --circuit "$probe_circ" --shots 64 --seed "$SEED" \
            --out "$probe_out" --out-format b8 --threads 1 >/dev/null 2>&1 \
            || [ ! -s "$probe_out" ]; then
        echo "note: '$QEC_SIM detect' did not produce an output file on a 64-shot probe;"
        echo "      qec-sim columns will be skipped"
        have_qec=0
    fi
    rm -f "$probe_out"
fi
echo

# ---------------------------------------------------------------- timing
now() { date +%s.%N; }

# best_time CMD...: runs CMD $REPS times, prints the minimum wall time in seconds.
# Returns non-zero (and prints nothing) if any run fails.
best_time() {
    local best="" t0 t1 dt i
    for ((i = 0; i < REPS; i++)); do
        t0=$(now)
        if ! "$@" >/dev/null 2>"$BENCH_DIR/last_err.txt"; then
            sed 's/^/    /' "$BENCH_DIR/last_err.txt" | head -n 5 >&2
            return 1
        fi
        t1=$(now)
        dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
        if [ -z "$best" ] || awk -v x="$dt" -v y="$best" 'BEGIN { exit !(x < y) }'; then
            best=$dt
        fi
    done
    echo "$best"
}

rate() { awk -v n="$SHOTS" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
fsize() { stat -c %s "$1" 2>/dev/null || echo missing; }

header="circuit qubits detectors shots stim_shots/s"
for t in $THREADS; do header+=" qec_t${t}_shots/s t${t}/stim"; done
rows=()
notes=()
rate_notes=()

while IFS=$'\t' read -r name qubits dets file; do
    echo "== $name (qubits=$qubits detectors=$dets)" >&2
    stim_out="$BENCH_DIR/$name.stim_out.b8"
    row="$name $qubits $dets $SHOTS"

    if ts=$(best_time stim detect --shots "$SHOTS" --seed "$SEED" \
            --in "$file" --out "$stim_out" --out_format b8); then
        stim_rate=$(rate "$ts")
        stim_size=$(fsize "$stim_out")
        echo "   stim: ${ts}s -> $stim_rate shots/s ($stim_size bytes)" >&2
    else
        stim_rate=""
        stim_size=""
        echo "   stim detect failed" >&2
    fi
    row+=" ${stim_rate:-FAIL}"

    for t in $THREADS; do
        if [ "$have_qec" != 1 ]; then
            row+=" - -"
            continue
        fi
        qec_out="$BENCH_DIR/$name.qec_t$t.b8"
        if tq=$(best_time "$QEC_SIM" detect --circuit "$file" --shots "$SHOTS" --seed "$SEED" \
                --out "$qec_out" --out-format b8 --threads "$t"); then
            qrate=$(rate "$tq")
            qsize=$(fsize "$qec_out")
            echo "   qec-sim t$t: ${tq}s -> $qrate shots/s ($qsize bytes)" >&2
            if [ -n "$stim_rate" ]; then
                row+=" $qrate $(ratio "$qrate" "$stim_rate")"
            else
                row+=" $qrate -"
            fi
            if [ -n "$stim_size" ] && [ "$qsize" != "$stim_size" ]; then
                notes+=("SIZE MISMATCH $name t$t: stim $stim_size bytes vs qec-sim $qsize bytes")
            elif [ -n "$stim_size" ] && [ "$t" = "${THREADS%% *}" ]; then
                # Same layout; now the same statistics: per-detector rates within binomial noise.
                agreement=$("$STIM_PY" "$REPO/benches/compare_rates.py" "$stim_out" "$qec_out" "$dets")
                echo "   rates: $agreement" >&2
                rate_notes+=("$name: $agreement")
            fi
            rm -f "$qec_out"
        else
            echo "   qec-sim t$t failed" >&2
            row+=" FAIL -"
        fi
    done
    rm -f "$stim_out"
    rows+=("$row")
done <"$manifest"

echo
echo "== results (best of $REPS, wall clock including file output)"
{
    echo "$header"
    printf '%s\n' "${rows[@]}"
} | column -t
echo
if [ "$have_qec" != 1 ]; then
    echo "note: qec-sim was not run (see above); its columns show '-'."
elif [ "${#notes[@]}" -eq 0 ]; then
    echo "output sizes: stim and qec-sim b8 files have identical byte sizes for every run."
else
    printf '%s\n' "${notes[@]}"
fi
if [ "${#rate_notes[@]}" -gt 0 ]; then
    echo
    echo "== detection-event rates, stim vs qec-sim (same circuit, same shots)"
    printf '%s\n' "${rate_notes[@]}"
fi
