# Shared by the scripts in this folder: where things live and which Python / Home Assistant set is used.
# shellcheck shell=bash
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${EV_ENERGY_CACHE:-$HOME/.cache/ev_energy}"
VENV="${EV_ENERGY_VENV:-$ROOT/.venv}"
export UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '\033[1m[ev_energy]\033[0m %s\n' "$*" >&2; }

# Newest Python >= 3.14.2 if this machine has one (normal developer machines: `uv python install 3.14`),
# else Python 3.13 with the oldest supported Home Assistant set.
pick_python() {
  local candidate
  for candidate in python3.14 "$(command -v uv >/dev/null 2>&1 && uv python find '>=3.14.2' 2>/dev/null || true)"; do
    if runs_python "$candidate" '(3, 14, 2)'; then
      echo "$(command -v "$candidate") newest"
      return
    fi
  done
  for candidate in python3.13 "$(pyenv root 2>/dev/null || echo /nonexistent)/versions/3.13.0/bin/python"; do
    if runs_python "$candidate" '(3, 13, 0)'; then
      echo "$(command -v "$candidate") oldest"
      return
    fi
  done
  log "No Python 3.14.2+ or 3.13 found: install one (for example 'uv python install 3.14')."
  exit 1
}

# True when $1 is a working interpreter at least version $2 (pyenv shims exist even where they cannot run).
runs_python() {
  [ -n "$1" ] && "$1" -c "import sys; sys.exit(sys.version_info < $2)" >/dev/null 2>&1
}

# uv installs Home Assistant's ~200 pinned packages in about a minute where pip takes five.
ensure_uv() {
  if command -v uv >/dev/null 2>&1; then
    UV="$(command -v uv)"
    return
  fi
  UV="$CACHE/tools/bin/uv"
  if [ ! -x "$UV" ]; then
    log "installing uv into $CACHE/tools"
    "${PYTHON:-python3}" -m venv "$CACHE/tools"
    "$CACHE/tools/bin/pip" install -q uv==0.13.9
  fi
}
