# Sourced by engine.sh and registry.sh: what stopping a daemon they started means.

# stop_started NAME PIDFILE: stop the process PIDFILE names (none: nothing to do), wait up to 30 s for it.
stop_started() {
  [ -f "$2" ] || return 0
  local pid
  pid=$(cat "$2")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  rm -f "$2"
  echo "$1: stopped"
}
