#!/usr/bin/env bash
# Set up imgexp on a new machine: system packages (as root, Debian/Ubuntu), a current Docker
# engine with BuildKit, and the project in .venv with its notebook and test extras. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

# A current engine: Docker >= 23 (BuildKit is docker build's default) with the buildx plugin.
# An engine that already answers is used as it is, whatever its version.
current_engine() {
  command -v dockerd >/dev/null && docker buildx version >/dev/null 2>&1 &&
    [ "$(dockerd --version | sed -E 's/^Docker version ([0-9]+).*/\1/')" -ge 23 ]
}
bash scripts/engine.sh status || current_engine || bash scripts/install-engine.sh

need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)        # offline stand-in bases
command -v chromium >/dev/null || need+=(chromium)            # screenshots of the report in tests
command -v openssl >/dev/null || need+=(openssl)
"${PYTHON:-python3}" -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("archive"))' ||
  need+=(libarchive13)                                        # the layer tar reader (libarchive-c)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: please install ${need[*]} (Debian/Ubuntu: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

bash scripts/engine.sh start

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Left by the former setuptools backend: the editable install puts this folder on sys.path,
# where it would show as a second, stale imgexp distribution.
rm -rf imgexp.egg-info
.venv/bin/python -m pip install -q -e ".[test]"
echo "setup: ready (.venv/bin/imgexp)"
