#!/usr/bin/env bash
# Throughput comparison: `stim detect` vs `qec-sim detect` on Stim-generated
# memory-experiment circuits. This is a measurement script, not a test.
#
#   bash benches/compare_stim.sh
#
# For each circuit the tools run in alternation, REPS rounds of (stim, qec-sim on each
# thread count), all writing b8 to /dev/null, and the table shows each tool's median wall
# time and the speed-up median(stim) / median(qec-sim). Alternating pairs keeps a busy
# machine's drift out of the ratio; the load average is printed before and after.
# A separate run of CHECK_SHOTS shots per circuit compares b8 sizes and detector rates.
#
# Environment knobs:
#   SHOTS       shots per timed run                 (default 1000000)
#   REPS        paired rounds per circuit, median kept (default 5)
#   DISTANCES   code distances                      (default "3 5 7 9 11 13 15")
#   NOISE       noise strength for every noise knob (default 0.001)
#   THREADS     qec-sim thread counts to try        (default "1 2")
#   SEED        seed passed to both tools           (default 1)
#   CHECK_SHOTS shots of the size/rate check run    (default 100000; 0 skips it)
#   BENCH_DIR   where circuits and outputs go       (default target/bench-circuits)
#   SKIP_BUILD  set to 1 to skip `cargo build --release`
#   QEC_SIM     qec-sim binary                      (default target/release/qec-sim)
#
# Check files (*.b8) are deleted after their sizes and rates are compared.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=benches/stim_env.sh
source benches/stim_env.sh

SHOTS="${SHOTS:-1000000}"
REPS="${REPS:-5}"
DISTANCES="${DISTANCES:-3 5 7 9 11 13 15}"
NOISE="${NOISE:-0.001}"
THREADS="${THREADS:-1 2}"
SEED="${SEED:-1}"
CHECK_SHOTS="${CHECK_SHOTS:-100000}"
BENCH_DIR="${BENCH_DIR:-target/bench-circuits}"
QEC_SIM="${QEC_SIM:-target/release/qec-sim}"

mkdir -p "$BENCH_DIR"

echo "== machine"
echo "cpu:    $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)"
echo "nproc:  $(nproc)"
echo "stim:   $("$STIM_PY" -c 'import stim; print(stim.__version__)')"
echo "rustc:  $(rustc --version 2>/dev/null || echo unavailable)"
echo "shots=$SHOTS reps=$REPS (paired, median) noise=$NOISE seed=$SEED"
echo "load:   $(cut -d" " -f1-3 /proc/loadavg) (1, 5, 15 min) before"
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

# wall CMD...: runs CMD once, prints its wall time in seconds; non-zero if it fails.
wall() {
    local t0 t1
    t0=$(now)
    if ! "$@" >/dev/null 2>"$BENCH_DIR/last_err.txt"; then
        sed 's/^/    /' "$BENCH_DIR/last_err.txt" | head -n 5 >&2
        return 1
    fi
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
fsize() { stat -c %s "$1" 2>/dev/null || echo missing; }

# The `stim` command of the PyPI package starts a Python interpreter: its fixed cost is in
# every Stim time above (and qec-sim's own start-up in its times), so small circuits need
# enough SHOTS for the ratio to mean throughput.
first_circ=$(head -n1 "$manifest" | cut -f4)
echo "start-up: stim $(wall stim detect --shots 1 --in "$first_circ" --out /dev/null --out_format b8)s," \
    "qec-sim $(wall "$QEC_SIM" detect --circuit "$first_circ" --shots 1 --out /dev/null --out-format b8)s (1 shot)"

header="circuit qubits detectors stim_s"
for t in $THREADS; do header+=" qec_t${t}_s speedup_t${t}"; done
rows=()
notes=()
rate_notes=()

while IFS=$'\t' read -r name qubits dets file; do
    echo "== $name (qubits=$qubits detectors=$dets)" >&2
    stim_times=()
    declare -A qec_times=()
    failed=""
    for ((i = 0; i < REPS; i++)); do
        # One round: Stim, then qec-sim at each thread count, back to back.
        if ts=$(wall stim detect --shots "$SHOTS" --seed "$SEED" \
                --in "$file" --out /dev/null --out_format b8); then
            stim_times+=("$ts")
        else
            failed+=" stim"
        fi
        line="   round $((i + 1)): stim ${ts:-FAIL}s"
        for t in $THREADS; do
            [ "$have_qec" = 1 ] || continue
            if tq=$(wall "$QEC_SIM" detect --circuit "$file" --shots "$SHOTS" --seed "$SEED" \
                    --out /dev/null --out-format b8 --threads "$t"); then
                qec_times[$t]+=" $tq"
                line+=" qec-sim t$t ${tq}s"
            else
                failed+=" qec_t$t"
                line+=" qec-sim t$t FAIL"
            fi
        done
        echo "$line" >&2
    done
    row="$name $qubits $dets"
    stim_med=""
    if [ "${#stim_times[@]}" -gt 0 ] && [[ "$failed" != *stim* ]]; then
        stim_med=$(median "${stim_times[@]}")
    fi
    row+=" ${stim_med:-FAIL}"
    for t in $THREADS; do
        if [ "$have_qec" != 1 ] || [[ "$failed" == *"qec_t$t"* ]]; then
            row+=" - -"
            continue
        fi
        # shellcheck disable=SC2086
        qmed=$(median ${qec_times[$t]})
        if [ -n "$stim_med" ]; then
            row+=" $qmed $(ratio "$stim_med" "$qmed")"
        else
            row+=" $qmed -"
        fi
    done
    unset qec_times
    rows+=("$row")

    # Same layout, same statistics: b8 sizes equal, per-detector rates within binomial noise.
    if [ "$have_qec" = 1 ] && [ "$CHECK_SHOTS" -gt 0 ]; then
        stim_out="$BENCH_DIR/$name.stim_out.b8"
        qec_out="$BENCH_DIR/$name.qec_out.b8"
        if stim detect --shots "$CHECK_SHOTS" --seed "$SEED" --in "$file" \
                --out "$stim_out" --out_format b8 \
            && "$QEC_SIM" detect --circuit "$file" --shots "$CHECK_SHOTS" --seed "$SEED" \
                --out "$qec_out" --out-format b8; then
            ssize=$(fsize "$stim_out")
            qsize=$(fsize "$qec_out")
            if [ "$qsize" != "$ssize" ]; then
                notes+=("SIZE MISMATCH $name: stim $ssize bytes vs qec-sim $qsize bytes")
            else
                agreement=$("$STIM_PY" "$REPO/benches/compare_rates.py" "$stim_out" "$qec_out" "$dets")
                echo "   rates: $agreement" >&2
                rate_notes+=("$name: $agreement")
            fi
        else
            notes+=("CHECK RUN FAILED $name")
        fi
        rm -f "$stim_out" "$qec_out"
    fi
done <"$manifest"

echo
echo "== results: median of $REPS paired rounds, wall clock, $SHOTS shots, b8 to /dev/null"
echo "   (speedup = median stim time / median qec-sim time; stim runs on one thread)"
{
    echo "$header"
    printf '%s\n' "${rows[@]}"
} | column -t
echo "load:   $(cut -d" " -f1-3 /proc/loadavg) (1, 5, 15 min) after"
echo
if [ "$have_qec" != 1 ]; then
    echo "note: qec-sim was not run (see above); its columns show '-'."
elif [ "$CHECK_SHOTS" -gt 0 ] && [ "${#notes[@]}" -eq 0 ]; then
    echo "output sizes: stim and qec-sim b8 files have identical byte sizes for every circuit."
else
    printf '%s\n' "${notes[@]}"
fi
if [ "${#rate_notes[@]}" -gt 0 ]; then
    echo
    echo "== detection-event rates, stim vs qec-sim ($CHECK_SHOTS shots each)"
    printf '%s\n' "${rate_notes[@]}"
fi
