#!/usr/bin/env bash
# Start, reuse or stop the local AWS emulator (moto server, scripts/emulator.py) on loopback.
#   sandbox.sh start   start it unless a healthy one already runs on the port, then
#                      bootstrap it like a real organisation and switch IAM enforcement on:
#                      1. an automation principal (IAM user) in the controller account,
#                      2. in each account of SANDBOX_INVENTORY, the automation role from the
#                         shipped policies (playbooks/bootstrap.yml), trusting only that user,
#                      3. IAM enforcement on: the default dummy keys stop working; every later
#                         call is signed with the principal's key (written to
#                         $SANDBOX_DIR/credentials-$PORT, a shared-credentials file) and checked.
#   sandbox.sh stop    stop the one recorded in the pid file; with SANDBOX_RECORDS_DIR set, keep its
#                      record of calls there as <SANDBOX_RECORD_NAME>-<port>.jsonl (the suite's
#                      policy coverage check reads them all)
#   sandbox.sh status  exit 0 when it answers
#   sandbox.sh env     print the environment a run against the sandbox needs
#   sandbox.sh admin-env  the same with the organisation administrator's key (tests playing another team)
# Environment: SANDBOX_PORT (default 5000), SANDBOX_DIR (pid, log, credentials and the record
# of every authorized action, default ./sandbox), SANDBOX_INVENTORY (default
# inventories/sandbox), SANDBOX_SEED (a command run before enforcement, with SANDBOX_URL set:
# what the accounts already hold), VENV (default ./.venv).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
port=${SANDBOX_PORT:-5000}
dir=${SANDBOX_DIR:-$here/sandbox}
venv=${VENV:-$here/.venv}
inventory=${SANDBOX_INVENTORY:-$here/inventories/sandbox}
pidfile=$dir/moto-$port.pid
logfile=$dir/moto-$port.log
credentials=$dir/credentials-$port
admin_credentials=$dir/admin-credentials-$port
actions=$dir/actions-$port.jsonl
url=http://127.0.0.1:$port

# What every run against the sandbox uses: the principal's key from the credentials file, the
# emulator's endpoint, and nothing that could reach AWS (no other keys, profiles or metadata).
sandbox_env() {
  cat <<ENV
AWS_SHARED_CREDENTIALS_FILE=$credentials
AWS_CONFIG_FILE=$dir/no-aws-config
AWS_ENDPOINT_URL=$url
AWS_DEFAULT_REGION=us-east-1
AWS_EC2_METADATA_DISABLED=true
SANDBOX_PORT=$port
SANDBOX_ADMIN_CREDENTIALS=$admin_credentials
ENV
}

bootstrap() {
  local principal
  local accounts
  accounts=$("$venv/bin/python" -c 'import sys, yaml; hosts = yaml.safe_load(open(sys.argv[1] + "/hosts.yml"))["all"]["children"]["networks"]["hosts"]; print(",".join(sorted({str(h["aws_account_id"]) for h in hosts.values()})))' "$inventory")
  principal=$("$venv/bin/python" "$here/scripts/sandbox_principal.py" create --url "$url" --credentials "$credentials" \
    --admin-credentials "$admin_credentials" --accounts "$accounts")
  (cd "$here" && env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN -u AWS_SHARED_CREDENTIALS_FILE \
      AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_ENDPOINT_URL="$url" SANDBOX_PORT="$port" \
      AWS_EC2_METADATA_DISABLED=true PATH="$venv/bin:$PATH" ANSIBLE_CONFIG="$here/ansible.cfg" \
      "$venv/bin/ansible-playbook" playbooks/bootstrap.yml -i "$inventory" \
      -e "{\"automation_role_trusted_principals\": [\"$principal\"]}" >"$dir/bootstrap-$port.log" 2>&1) || {
    echo "sandbox: bootstrap of the automation roles failed; see $dir/bootstrap-$port.log" >&2
    tail -30 "$dir/bootstrap-$port.log" >&2
    return 1
  }
  # What the accounts already hold before the collection ever runs (SANDBOX_SEED, e.g. a brownfield
  # workload VPC), built by the accounts' own administrators while the emulator still trusts them.
  if [ -n "${SANDBOX_SEED:-}" ]; then
    (cd "$here" && env -u AWS_SHARED_CREDENTIALS_FILE SANDBOX_URL="$url" PATH="$venv/bin:$PATH" bash -c "$SANDBOX_SEED") || {
      echo "sandbox: SANDBOX_SEED failed: $SANDBOX_SEED" >&2
      return 1
    }
  fi
  "$venv/bin/python" "$here/scripts/sandbox_principal.py" enforce --url "$url" --credentials "$credentials"
}

# The emulator answers at the port; with a pid, only when that process is the one listening there
# (another program's moto on the same port must never pass for ours: scripts/free_port.py).
healthy() {
  "$venv/bin/python" - "$url" "$port" "${1:-}" <<'PY' >/dev/null 2>&1
import os, sys, urllib.request
url, port, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if pid:
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if os.path.exists(table):
            for row in open(table).read().splitlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    listening.add("socket:[%s]" % fields[9])
    fds = os.listdir("/proc/%s/fd" % pid)
    if not listening & {os.readlink("/proc/%s/fd/%s" % (pid, fd)) for fd in fds}:
        sys.exit(1)
urllib.request.urlopen(url + "/moto-api/config", timeout=5).read()
PY
}

case "${1:-}" in
  start)
    mkdir -p "$dir"
    if healthy; then
      if [ -s "$credentials" ]; then
        echo "sandbox: reusing emulator at $url"
        exit 0
      fi
      echo "sandbox: an emulator answers at $url but has no credentials in $dir; stop it first" >&2
      exit 1
    fi
    rm -f "$credentials" "$actions"
    touch "$dir/no-aws-config"
    # Attaching AWS-managed policies (AWS_ConfigRole) needs them loaded.
    MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$venv/bin/python" "$here/scripts/emulator.py" -H 127.0.0.1 -p "$port" \
      --record-actions "$actions" >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    # Up to a minute: on a loaded machine (the other test lane busy on both cores) importing moto
    # and loading the managed policies alone can take half of it.
    pid=$(cat "$pidfile")
    for _ in $(seq 1 300); do
      if ! kill -0 "$pid" 2>/dev/null; then break; fi
      if healthy "$pid"; then
        echo "sandbox: emulator started at $url (pid $pid)"
        bootstrap
        exit $?
      fi
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    echo "sandbox: emulator failed to start on $url; see $logfile" >&2
    tail -20 "$logfile" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$pidfile" "$credentials" "$admin_credentials"
      if [ -n "${SANDBOX_RECORDS_DIR:-}" ] && [ -s "$actions" ]; then
        mkdir -p "$SANDBOX_RECORDS_DIR"
        cp "$actions" "$SANDBOX_RECORDS_DIR/${SANDBOX_RECORD_NAME:-sandbox}-$port.jsonl"
      fi
      echo "sandbox: emulator on port $port stopped"
    else
      echo "sandbox: no pid file for port $port; nothing to stop"
    fi
    ;;
  env)
    sandbox_env
    ;;
  admin-env)
    # The organisation's administrator (for tests playing another team of an account).
    sandbox_env | sed "s|^AWS_SHARED_CREDENTIALS_FILE=.*|AWS_SHARED_CREDENTIALS_FILE=$admin_credentials|"
    ;;
  status)
    healthy && echo "sandbox: running at $url" || { echo "sandbox: not running at $url"; exit 1; }
    ;;
  *)
    echo "usage: $0 start|stop|status|env|admin-env" >&2; exit 2 ;;
esac
