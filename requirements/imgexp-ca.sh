# imgexp: sourced by each RUN step that installs from PyPI (POSIX sh). It points pip and uv at
# the CA bundle imgexp hands the build, never leaving it in a layer: under BuildKit, a step that
# mounts the secret imgexp-ca (RUN --mount=type=secret,id=imgexp-ca) reads it in place; else,
# with the build arg IMGEXP_CA_URL, it is fetched from the build host into /tmp and the EXIT
# trap deletes it when the step ends, even on failure.
if [ -r /run/secrets/imgexp-ca ]; then
    export PIP_CERT=/run/secrets/imgexp-ca SSL_CERT_FILE=/run/secrets/imgexp-ca
elif [ -n "${IMGEXP_CA_URL:-}" ]; then
    trap 'rm -f /tmp/imgexp-ca.pem' EXIT
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
        "$IMGEXP_CA_URL" /tmp/imgexp-ca.pem
    export PIP_CERT=/tmp/imgexp-ca.pem SSL_CERT_FILE=/tmp/imgexp-ca.pem
fi
