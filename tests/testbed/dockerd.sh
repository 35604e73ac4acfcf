#!/usr/bin/env bash
# Starts, stops or reports the Docker daemon that the test bed needs.
#   start   use a daemon that already answers on the default socket; otherwise start
#           dockerd in the background (no iptables rules, no default bridge) and wait
#           until it answers.
#   stop    remove the containers and networks labelled consulsec.testbed=1, then stop
#           the dockerd this script started (and only that one).
#   status  say whether a daemon answers, whether this script started it, and list the
#           test bed's containers and networks.
# State (log, pid file) lives under .testbed/docker/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib.sh
. "$(dirname "$0")/../../scripts/lib.sh"

STATE_DIR="$TESTBED/docker"
PID_FILE="$STATE_DIR/dockerd.pid"
LOG_FILE="$STATE_DIR/dockerd.log"
SOCKET=unix:///var/run/docker.sock
LABEL=consulsec.testbed=1
START_TIMEOUT=${CONSULSEC_DOCKERD_START_TIMEOUT:-60}
STOP_TIMEOUT=${CONSULSEC_DOCKERD_STOP_TIMEOUT:-30}

dk() { docker -H "$SOCKET" "$@"; }
answers() { dk info >/dev/null 2>&1; }

# The pid from our pid file, if that process still runs and is a dockerd.
our_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid=$(cat "$PID_FILE")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] || return 1
  echo "$pid"
}

remove_ours() {
  local ids
  ids=$(dk ps -aq --filter "label=$LABEL")
  if [ -n "$ids" ]; then
    log "Removing test-bed containers: $(dk ps -a --filter "label=$LABEL" --format '{{.Names}}' | tr '\n' ' ')"
    # shellcheck disable=SC2086
    dk rm -f $ids >/dev/null
  fi
  ids=$(dk network ls -q --filter "label=$LABEL")
  if [ -n "$ids" ]; then
    log "Removing test-bed networks: $(dk network ls --filter "label=$LABEL" --format '{{.Name}}' | tr '\n' ' ')"
    # shellcheck disable=SC2086
    dk network rm $ids >/dev/null
  fi
}

start() {
  if answers; then
    if pid=$(our_pid); then
      echo "dockerd already running (pid $pid, started by this script)"
    else
      echo "A Docker daemon already answers on $SOCKET; using it"
    fi
    return 0
  fi
  command -v dockerd >/dev/null || die "dockerd not found: run scripts/setup (installs docker.io)"
  [ "$(id -u)" = 0 ] || die "starting dockerd needs root"
  mkdir -p "$STATE_DIR"
  if [ -f "$PID_FILE" ] && ! our_pid >/dev/null; then
    rm -f "$PID_FILE"   # stale: that dockerd is gone
  fi
  log "Starting dockerd (log: $LOG_FILE)"
  # setsid: the daemon must not share the caller's session (a Ctrl-C there must not
  # kill it). Not a process group leader here, so setsid execs without forking and $!
  # is dockerd's own pid.
  # The proxy variables point every registry request (an accidental pull of a missing
  # image) at a closed port on loopback: it fails at once and nothing leaves the host.
  HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY='' \
  http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 no_proxy='' \
    setsid dockerd --iptables=false --ip-masq=false --bridge=none \
    >"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  local waited=0
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 30 "$LOG_FILE" >&2 || true
      die "dockerd exited during start-up (log above: $LOG_FILE)"
    fi
    if [ "$waited" -ge $((START_TIMEOUT * 5)) ]; then
      tail -n 30 "$LOG_FILE" >&2 || true
      kill -TERM "$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      die "dockerd (pid $pid) did not answer within ${START_TIMEOUT}s (log above: $LOG_FILE); stopped it"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  echo "dockerd started (pid $pid), answered after about $((waited / 5)) s"
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$PID_FILE"
    if answers; then
      remove_ours
      echo "The running Docker daemon was not started by this script; leaving it running"
    else
      echo "No dockerd started by this script is running"
    fi
    return 0
  fi
  if answers; then
    remove_ours
  fi
  log "Stopping dockerd (pid $pid)"
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((STOP_TIMEOUT * 5)) ]; then
      echo "dockerd (pid $pid) still runs after ${STOP_TIMEOUT}s; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  echo "dockerd stopped"
}

status() {
  local pid rc=0
  if answers; then
    if pid=$(our_pid); then
      echo "Docker daemon answers on $SOCKET (dockerd pid $pid, started by this script)"
    else
      echo "Docker daemon answers on $SOCKET (not started by this script)"
    fi
    local image
    image=$(dk image inspect -f '{{.Id}}' "$TESTBED_IMAGE" 2>/dev/null) || image=absent
    echo "Image $TESTBED_IMAGE: $image"
    echo "Test-bed containers:"
    dk ps -a --filter "label=$LABEL" --format '  {{.Names}}\t{{.Status}}'
    echo "Test-bed networks:"
    dk network ls --filter "label=$LABEL" --format '  {{.Name}}'
  else
    echo "No Docker daemon answers on $SOCKET"
    rc=3
  fi
  return "$rc"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
