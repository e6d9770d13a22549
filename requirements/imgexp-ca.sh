# imgexp: sourced by each RUN step that installs from PyPI (POSIX sh). It points pip and uv at
# the CA bundle imgexp hands the build, never leaving it in a layer: under BuildKit, a step that
# mounts the secret imgexp-ca (RUN --mount=type=secret,id=imgexp-ca) reads it in place; else,
# with the build arg IMGEXP_CA_URL, it is fetched from the build host into /tmp and the EXIT
# trap deletes it when the step ends, even on failure. Runs side by side serve the same bundle on
# one port (SO_REUSEPORT): one that stops resets the connections queued on it, so a reset is
# tried again.
if [ -r /run/secrets/imgexp-ca ]; then
    export PIP_CERT=/run/secrets/imgexp-ca SSL_CERT_FILE=/run/secrets/imgexp-ca
elif [ -n "${IMGEXP_CA_URL:-}" ]; then
    trap 'rm -f /tmp/imgexp-ca.pem' EXIT
    python3 -c 'import sys, time, urllib.request
for attempt in range(5):
    try:
        urllib.request.urlretrieve(sys.argv[1], sys.argv[2])
        break
    except OSError:
        if attempt == 4:
            raise
        time.sleep(1)' "$IMGEXP_CA_URL" /tmp/imgexp-ca.pem
    export PIP_CERT=/tmp/imgexp-ca.pem SSL_CERT_FILE=/tmp/imgexp-ca.pem
fi
