#!/usr/bin/env bash
# The write-up's install script, with its broken line continuations repaired:
# a venv at /opt/$VENV_NAME, activated in ~/.bashrc, a compiler from apt (kept on
# purpose: imgexp measures the write-up's recipe before it beats it), then pip.
set -euo pipefail
VENV_NAME=$1

# imgexp: an optional CA bundle for pip (a TLS-intercepting proxy), removed when this
# script exits so that it never lands in a layer.
. "$(dirname "$0")/imgexp-ca.sh"

python3 -m venv "/opt/$VENV_NAME"
export PATH="/opt/$VENV_NAME/bin:$PATH"
echo "source /opt/$VENV_NAME/bin/activate" >> ~/.bashrc

apt-get update
apt-get install -y --no-install-recommends \
    gcc \
    python3-dev \
    build-essential
rm -rf /var/lib/apt/lists/*

source "/opt/$VENV_NAME/bin/activate"
pip install --upgrade pip
pip install --no-cache-dir -r ./requirements/requirements.txt
