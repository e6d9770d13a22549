#!/usr/bin/env bash
# Set up imgexp on a new machine: system packages (as root, Debian/Ubuntu), a current Docker
# engine with BuildKit, a loopback registry, and the project in .venv with its notebook and test extras. Safe to rerun.
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
command -v gpgv >/dev/null || need+=(gpgv)                    # stand-ins: checks Debian's signed Release file
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)  # ... with Debian's keys
command -v chromium >/dev/null || need+=(chromium)            # screenshots of the report in tests
command -v openssl >/dev/null || need+=(openssl)
command -v docker-registry >/dev/null || need+=(docker-registry)  # the loopback registry (scripts/registry.sh)
command -v skopeo >/dev/null || need+=(skopeo)                # copies images between registries in tests and bench/
"${PYTHON:-python3}" -c 'import ctypes.util, sys; sys.exit(not ctypes.util.find_library("archive"))' ||
  need+=(libarchive13)                                        # the layer tar reader (libarchive-c)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    # Debian's package starts its own service on :5000 (htpasswd auth on) where systemd runs:
    # scripts/registry.sh runs the loopback registry instead.
    if [[ " ${need[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
      systemctl disable --now docker-registry >/dev/null 2>&1 || true
    fi
  else
    echo "setup: please install ${need[*]} (Debian/Ubuntu: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

bash scripts/engine.sh start
bash scripts/registry.sh start   # the loopback registry the registry tests push to and read from

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# Left by the former setuptools backend: the editable install puts this folder on sys.path,
# where it would show as a second, stale imgexp distribution.
rm -rf imgexp.egg-info
.venv/bin/python -m pip install -q -e ".[test]"
# The 3.11 stand-in bases, once (a few minutes; then a check of their labels): made here, before any
# run or parallel test session could start making them at the same time.
.venv/bin/imgexp bases --python 3.11 --base-source standin >/dev/null
echo "setup: ready (.venv/bin/imgexp)"
