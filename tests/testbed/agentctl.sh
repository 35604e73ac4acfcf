#!/usr/bin/env bash
# Start, stop or restart one local Consul agent of the process test bed, by the PID in
# its pidfile only: <agent dir>/agent.pid, config in <agent dir>/config, log appended
# to <agent dir>/agent.log. Stop sends SIGINT, as the Debian unit does (clients leave,
# servers do not), and waits up to 30 s before SIGKILL. Each start appends its time (s since
# the epoch, ns) to <agent dir>/starts, each stop of a running agent to <agent dir>/stops:
# what tests read the order of restarts, and what led before one, from.
# Used as consul_restart_command for local agents (benchmarks/migrations.py):
#   tests/testbed/agentctl.sh restart <agent dir> [<consul binary>]
set -euo pipefail
action=${1:?usage: agentctl.sh start|stop|restart <agent dir> [consul binary]}
dir=${2:?agent dir}
consul=${3:-${CONSUL_BIN:-consul}}
pidfile=$dir/agent.pid

stop() {
  [ -s "$pidfile" ] || return 0
  local pid
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    date +%s.%N >> "$dir/stops"
    kill -INT "$pid"
    for _ in $(seq 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  fi
  : > "$pidfile"
}

start() {
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
  date +%s.%N >> "$dir/starts"
  setsid "$consul" agent -config-dir="$dir/config" >> "$dir/agent.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

case $action in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "unknown action: $action" >&2; exit 2 ;;
esac
