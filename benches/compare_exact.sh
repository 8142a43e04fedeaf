#!/usr/bin/env bash
# Side-by-side speed of qec-sim's exact engine and Clifft 0.12 on the same circuit files: one
# thread (and two for qec-sim), attempted shots/s, every detector postselected. A measurement
# script, never part of the tests or CI.
#
#   bash benches/compare_exact.sh            # prints a Markdown table on stdout, progress on stderr
#
# Circuits: qec-sim's hadamard-prep at d = 3, 5, 7 (cn20 noise, p = 1e-3, exact CH; for Clifft
# CH and RH are rewritten with R_Y and CZ, see to_clifft in compare_exact.py, and the rewrite is
# checked first), and the T-gate cultivation circuits Clifft ships (d = 3 and 5; qec-sim shows
# "unsupported" where it cannot run a file). The timing method is described in compare_exact.py.
#
# Clifft needs its own venv (.venv-clifft, git-ignored): numpy, stim and the Clifft wheel
# rebuilt for CPython 3.11 from ../shared/tools/ (see its README).
#
# Environment knobs:
#   PAIRS        paired rounds per circuit, medians reported           (default 5)
#   TARGET       seconds of sampling per run                           (default 2)
#   DISTANCES    hadamard-prep distances                               (default "3 5 7")
#   P            hadamard-prep physical error rate                     (default 0.001)
#   CULTIVATION  Clifft's cultivation circuits, space separated        (default d3 T and d5)
#   MAX_SHOTS    cap on shots per run                                  (default 20000000)
#   SEED         base seed                                             (default 1)
#   TOOLS_DIR    shared tools directory                                (default ../shared/tools)
#   BENCH_DIR    where circuits and scratch files go                   (default target/bench-exact)
#   SKIP_BUILD   set to 1 to skip `cargo build --release`
#   QEC_SIM      qec-sim binary                                        (default target/release/qec-sim)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd)"

PAIRS="${PAIRS:-5}"
TARGET="${TARGET:-2}"
DISTANCES="${DISTANCES:-3 5 7}"
P="${P:-0.001}"
TOOLS_DIR="${TOOLS_DIR:-$REPO/../shared/tools}"
[ -d "$TOOLS_DIR" ] || TOOLS_DIR=/work/shared/tools
CULTIVATION="${CULTIVATION:-$TOOLS_DIR/clifft-circuits/circuit_d3_t_gate_p0.001.stim $TOOLS_DIR/clifft-circuits/cultivation_d5.stim}"
MAX_SHOTS="${MAX_SHOTS:-20000000}"
SEED="${SEED:-1}"
BENCH_DIR="${BENCH_DIR:-target/bench-exact}"
QEC_SIM="${QEC_SIM:-target/release/qec-sim}"
WHEEL="$TOOLS_DIR/clifft-0.12.0-cp311-cp311-linux_x86_64.whl"
VENV="$REPO/.venv-clifft"
PY="$VENV/bin/python"

# ---------------------------------------------------------------- Clifft venv
# A subshell that cannot exec its last command reports a SIGILL death to /dev/null, not here.
imports() { ( "$PY" -c "import $1"; exit $? ) >/dev/null 2>&1; }
if ! imports 'clifft, numpy, stim'; then
    echo "setting up $VENV (numpy, stim, $(basename "$WHEEL"))" >&2
    [ -f "$WHEEL" ] || { echo "error: $WHEEL not found (set TOOLS_DIR)" >&2; exit 1; }
    [ -x "$PY" ] || python3 -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check numpy stim "$WHEEL" >&2
fi
# The shared wheel was compiled for its build machine's CPU (-march=native, AVX-512): on
# another CPU the import dies with SIGILL. Say so in one line instead of a crash later.
if ! imports clifft; then
    echo "error: Clifft does not import on this CPU ($(basename "$WHEEL") was built with CLIFFT_CPU_BASELINE=native, see ../shared/tools/README.md; rebuild it here or run on that machine kind)" >&2
    exit 1
fi

# ---------------------------------------------------------------- qec-sim
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "cargo build --release" >&2
    cargo build --release --quiet
fi
[ -x "$QEC_SIM" ] || { echo "error: $QEC_SIM not found" >&2; exit 1; }

# ---------------------------------------------------------------- circuits
mkdir -p "$BENCH_DIR"
circuits=()
noiseless=()
for d in $DISTANCES; do
    f="$BENCH_DIR/hadamard_prep_d${d}_p${P}.stim"
    clean="$BENCH_DIR/hadamard_prep_d${d}_noiseless.stim"
    stats=$("$QEC_SIM" gen -d "$d" --task hadamard-prep --ch-model exact \
        --noise cn20 --p "$P" --stats -o "$f" 2>&1)
    "$QEC_SIM" gen -d "$d" --task hadamard-prep --ch-model exact -o "$clean"
    body=$(sed -n 's/.*postselected detectors \([0-9]*\).*/\1/p' <<<"$stats")
    [ -n "$body" ] || { echo "error: no detector count in 'gen --stats': $stats" >&2; exit 1; }
    circuits+=("$(printf '{"name": "hadamard-prep d=%s", "file": "%s", "rewrite": true, "body_detectors": %s, "task_argv": ["--task", "hadamard-prep", "--ch-model", "exact", "--method", "mc", "--distances", "%s", "--p", "%s", "--noise", "cn20"]}' \
        "$d" "$f" "$body" "$d" "$P")")
    noiseless+=("$(printf '["hadamard-prep d=%s", "%s"]' "$d" "$clean")")
done
for f in $CULTIVATION; do
    [ -f "$f" ] || { echo "error: $f not found" >&2; exit 1; }
    name=$(basename "$f" .stim)
    case "$name" in
        circuit_d3_t_gate_p0.001) name="cultivation T d=3 p=0.001" ;;
        cultivation_d5) name="cultivation T d=5 p=0.005" ;;
    esac
    circuits+=("$(printf '{"name": "%s", "file": "%s"}' "$name" "$f")")
done

join() { local IFS=,; echo "$*"; }
config="$BENCH_DIR/config.json"
cat >"$config" <<EOF
{
  "pairs": $PAIRS,
  "target_seconds": $TARGET,
  "max_shots": $MAX_SHOTS,
  "seed": $SEED,
  "bench_dir": "$BENCH_DIR",
  "qec_sim": "$QEC_SIM",
  "qec_version": "$("$QEC_SIM" --version)",
  "commit": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "cpu": "$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)",
  "noiseless": [$(join "${noiseless[@]}")],
  "circuits": [$(join "${circuits[@]}")]
}
EOF

exec "$PY" benches/compare_exact.py "$config"
