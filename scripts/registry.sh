#!/usr/bin/env bash
# Start, stop or check the loopback container registry imgexp pushes to and reads from:
# Debian's docker-registry (distribution 2.8), filesystem storage, deletes enabled, plain HTTP
# (the engine allows 127.0.0.0/8 without TLS by default).
#   scripts/registry.sh start   start it if nothing answers at the address, and wait for it
#   scripts/registry.sh stop    stop the registry that `start` started (no-op otherwise)
#   scripts/registry.sh status  exit 0 when a registry answers at the address
# Environment: IMGEXP_REGISTRY (address, default 127.0.0.1:5000), IMGEXP_REGISTRY_DIR (its storage
# folder, default /var/lib/imgexp-registry), IMGEXP_REGISTRY_PIDFILE, IMGEXP_REGISTRY_LOG.
set -euo pipefail
. "$(dirname "$0")/daemon.sh"
ADDR=${IMGEXP_REGISTRY:-127.0.0.1:5000}
DIR=${IMGEXP_REGISTRY_DIR:-/var/lib/imgexp-registry}
PIDFILE=${IMGEXP_REGISTRY_PIDFILE:-/run/imgexp-registry.pid}
LOG=${IMGEXP_REGISTRY_LOG:-/var/log/imgexp-registry.log}

# The distribution API's base endpoint answers 200 (or 401 with auth) on a registry.
answers() { curl -fsS -o /dev/null --max-time 2 "http://$ADDR/v2/" 2>/dev/null; }

case "${1:-status}" in
  start)
    if answers; then echo "registry: already running at $ADDR"; exit 0; fi
    if ! command -v docker-registry >/dev/null; then
      echo "registry: docker-registry is not installed (Debian/Ubuntu: apt-get install docker-registry; or run scripts/setup.sh)" >&2
      exit 1
    fi
    mkdir -p "$DIR/data"
    # Our own config: the package's /etc/docker/registry/config.yml turns htpasswd auth on.
    cat >"$DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: $ADDR
EOF
    nohup docker-registry serve "$DIR/config.yml" >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 30); do answers && { echo "registry: running at $ADDR (storage $DIR/data)"; exit 0; }; sleep 0.5; done
    echo "registry: docker-registry did not answer at $ADDR within 15 s; see $LOG" >&2
    exit 1
    ;;
  stop)
    stop_started registry "$PIDFILE"
    ;;
  status)
    answers
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
