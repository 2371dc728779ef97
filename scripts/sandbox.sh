#!/usr/bin/env bash
# Start, reuse or stop the local AWS emulator (moto server) on loopback.
#   sandbox.sh start   start it unless a healthy one already runs on the port
#   sandbox.sh stop    stop the one recorded in the pid file
#   sandbox.sh status  exit 0 when it answers
# Environment: SANDBOX_PORT (default 5000), SANDBOX_DIR (pid and log files,
# default ./sandbox), VENV (default ./.venv).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
port=${SANDBOX_PORT:-5000}
dir=${SANDBOX_DIR:-$here/sandbox}
venv=${VENV:-$here/.venv}
pidfile=$dir/moto-$port.pid
logfile=$dir/moto-$port.log
url=http://127.0.0.1:$port

healthy() {
  "$venv/bin/python" - "$url" <<'PY' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/moto-api/config", timeout=5).read()
PY
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    if healthy; then
      echo "sandbox: reusing emulator at $url"
      exit 0
    fi
    # Attaching AWS-managed policies (AWS_ConfigRole) needs them loaded.
    MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
      >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
      if healthy; then echo "sandbox: emulator started at $url (pid $(cat "$pidfile"))"; exit 0; fi
      if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then break; fi
      sleep 0.2
    done
    echo "sandbox: emulator failed to start on $url; see $logfile" >&2
    tail -20 "$logfile" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile"
      echo "sandbox: emulator on port $port stopped"
    else
      echo "sandbox: no pid file for port $port; nothing to stop"
    fi
    ;;
  status)
    healthy && echo "sandbox: running at $url" || { echo "sandbox: not running at $url"; exit 1; }
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
