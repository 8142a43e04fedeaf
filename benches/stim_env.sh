# shellcheck shell=bash
# Source this file (do not execute it) to get a Python venv with stim.
#
#   source benches/stim_env.sh
#
# Creates $REPO/.venv on first use (python3 -m venv + pip install stim==$STIM_VERSION),
# then puts the venv's bin directory first on PATH and exports:
#   REPO        repository root (directory containing this file's parent)
#   STIM_VENV   path of the venv
#   STIM_PY     python interpreter inside the venv (has `import stim`)
#   STIM_BIN    the `stim` command-line tool inside the venv
# Quiet and fast when the venv already has the pinned stim version.

STIM_VERSION="${STIM_VERSION:-1.15.0}"

_stim_env_main() {
    local here
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" || return 1
    REPO="${REPO:-$(cd "$here/.." && pwd)}"
    STIM_VENV="$REPO/.venv"
    STIM_PY="$STIM_VENV/bin/python"
    STIM_BIN="$STIM_VENV/bin/stim"

    local have=""
    if [ -x "$STIM_PY" ]; then
        have="$("$STIM_PY" -c 'import stim; print(stim.__version__)' 2>/dev/null || true)"
    fi
    if [ "$have" != "$STIM_VERSION" ]; then
        echo "stim_env.sh: setting up $STIM_VENV with stim==$STIM_VERSION" >&2
        if [ ! -x "$STIM_PY" ]; then
            python3 -m venv "$STIM_VENV" || { echo "stim_env.sh: venv creation failed" >&2; return 1; }
        fi
        "$STIM_PY" -m pip install --quiet --disable-pip-version-check "stim==$STIM_VERSION" >&2 \
            || { echo "stim_env.sh: pip install stim==$STIM_VERSION failed" >&2; return 1; }
    fi

    case ":$PATH:" in
        *":$STIM_VENV/bin:"*) ;;
        *) PATH="$STIM_VENV/bin:$PATH" ;;
    esac
    export REPO STIM_VENV STIM_PY STIM_BIN STIM_VERSION PATH
}

_stim_env_main
_stim_env_status=$?
unset -f _stim_env_main
# `return` works when sourced; guard against accidental execution.
return "$_stim_env_status" 2>/dev/null || exit "$_stim_env_status"
