# imgexp: sourced by each RUN step that installs from PyPI (POSIX sh). With the build arg
# IMGEXP_CA_URL, it fetches that CA bundle from the build host into /tmp for pip and uv;
# the EXIT trap deletes it when the step ends, even on failure, so no layer holds it.
if [ -n "${IMGEXP_CA_URL:-}" ]; then
    trap 'rm -f /tmp/imgexp-ca.pem' EXIT
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
        "$IMGEXP_CA_URL" /tmp/imgexp-ca.pem
    export PIP_CERT=/tmp/imgexp-ca.pem SSL_CERT_FILE=/tmp/imgexp-ca.pem
fi
