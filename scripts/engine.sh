#!/usr/bin/env bash
# Start, stop or check the Docker engine imgexp builds on.
#   scripts/engine.sh start   start dockerd if no engine answers, and wait for it
#   scripts/engine.sh stop    stop the dockerd that `start` started (no-op otherwise)
#   scripts/engine.sh status  exit 0 when an engine answers
set -euo pipefail
. "$(dirname "$0")/daemon.sh"
PIDFILE=${IMGEXP_DOCKERD_PIDFILE:-/run/imgexp-dockerd.pid}
LOG=${IMGEXP_DOCKERD_LOG:-/var/log/imgexp-dockerd.log}
CONFIG=${IMGEXP_DOCKERD_CONFIG:-/run/imgexp-dockerd.json}

answers() { docker info >/dev/null 2>&1; }

# The build cache BuildKit keeps (defaultKeepStorage): at least Docker's default, 10 % of the
# disk, and half the space free when the engine starts. Warm build times (--timings) need a
# run's steps to stay in the cache; the test suite alone leaves 18 to 30 GB there, near 10 % of
# a 250 GB disk. Used only when this script runs dockerd itself and the machine has no
# /etc/docker/daemon.json of its own.
keep_storage() {
  local root=/var/lib/docker
  [ -d "$root" ] || root=/var/lib
  df --output=size,avail -B1G "$root" | awk 'NR == 2 { k = int($1 / 10) + 1; f = int($2 / 2); print (f > k ? f : k) "GB" }'
}

case "${1:-status}" in
  start)
    if answers; then echo "engine: already running"; exit 0; fi
    if [ "$(id -u)" != 0 ]; then
      echo "engine: no Docker engine answers and starting one needs root (try: sudo systemctl start docker)" >&2
      exit 1
    fi
    if [ -d /run/systemd/system ] && systemctl start docker 2>/dev/null; then
      :
    else
      # No systemd (containers, CI): run dockerd ourselves. --iptables=false because such
      # sandboxes may not allow it; imgexp builds on the host network and verifies offline.
      config=()
      if [ ! -e /etc/docker/daemon.json ]; then
        printf '{"builder": {"gc": {"enabled": true, "defaultKeepStorage": "%s"}}}\n' "$(keep_storage)" >"$CONFIG"
        config=(--config-file "$CONFIG")
      fi
      nohup dockerd --iptables=false "${config[@]}" >"$LOG" 2>&1 &
      echo $! >"$PIDFILE"
    fi
    for _ in $(seq 60); do answers && { echo "engine: running"; exit 0; }; sleep 1; done
    echo "engine: dockerd did not answer within 60 s; see $LOG" >&2
    exit 1
    ;;
  stop)
    stop_started engine "$PIDFILE"
    ;;
  status)
    answers
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
