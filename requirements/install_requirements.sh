#!/usr/bin/env bash
# The write-up's install script, with its broken line continuations repaired:
# a venv at /opt/$VENV_NAME, activated in ~/.bashrc, a compiler from apt (kept on
# purpose: imgexp measures the write-up's recipe before it beats it), then pip.
set -euo pipefail
VENV_NAME=$1

# imgexp: an optional CA bundle for pip (a TLS-intercepting proxy). It is fetched
# from the build host into /tmp and removed before this RUN step ends, so it never
# lands in a layer. IMGEXP_CA_URL comes from a build arg that imgexp sets.
if [ -n "${IMGEXP_CA_URL:-}" ]; then
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
        "$IMGEXP_CA_URL" /tmp/imgexp-ca.pem
    export PIP_CERT=/tmp/imgexp-ca.pem
    trap 'rm -f /tmp/imgexp-ca.pem' EXIT
fi

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
