#!/usr/bin/env bash
# The whole test suite, or one stage of it: lint | sanity | unit | molecule | integration (awx and
# reliability) | awx | reliability | coverage.
# Called by `make test` (and `.ci/run`); expects `make install` to have run.
# Every sandbox the suite starts keeps its record of authorized calls in $SANDBOX_RECORDS_DIR; the
# last stage (coverage) proves with them that every action the shipped policies grant was needed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
# Tests only ever talk to emulators on loopback; drop anything that could
# point a stray call at real AWS. Unit tests set the emulator's dummy keys
# themselves; each molecule scenario signs with the key of the automation
# principal its sandbox bootstraps (molecule/*/molecule.yml).
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export SANDBOX_RECORDS_DIR=${SANDBOX_RECORDS_DIR:-$PWD/.test-records}

stage_lint() {
  echo "== lint: yamllint"
  yamllint --strict .
  echo "== lint: ansible-lint (production profile)"
  ansible-lint --profile production
}

stage_sanity() {
  echo "== sanity: ansible-test sanity"
  # ansible-test bootstraps pip in its venvs with a script from a host we
  # cannot reach; seed its cache with our stand-in.
  local pip_version
  pip_version=$(python -c 'import re, ansible_test, pathlib; p = pathlib.Path(ansible_test.__file__).parent / "_internal/python_requirements.py"; print(re.search(r"pip=.([0-9.]+).", p.read_text()).group(1))')
  mkdir -p ~/.ansible/test/cache
  cp scripts/ansible-test-get-pip.py ~/.ansible/test/cache/"get_pip_${pip_version//./_}.py"
  # ansible-test needs the collection under ansible_collections/<ns>/<name>,
  # in a path without hidden directories; copy what git would ship.
  local root
  root=$(mktemp -d)
  local dest=$root/ansible_collections/netsec/aws_peering
  mkdir -p "$dest"
  git ls-files --cached --others --exclude-standard -z | xargs -0 cp -d --parents -t "$dest/"
  # Our modules import amazon.aws module_utils: give ansible-test the bundled
  # dependencies beside the collection.
  local bundled
  bundled=$(python -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(m.__path__[0])))')
  mkdir -p "$root/ansible_collections/amazon" "$root/ansible_collections/community"
  ln -s "$bundled/amazon/aws" "$root/ansible_collections/amazon/aws"
  ln -s "$bundled/community/aws" "$root/ansible_collections/community/aws"
  local rc=0
  (cd "$dest" && ansible-test sanity --python "$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
      --color no --skip-test changelog "$@") || rc=$?
  rm -rf "$root"
  return $rc
}

stage_unit() {
  echo "== unit: pytest"
  pytest tests/unit -q
}

# Each scenario's emulator stops in its destroy step; one left by a scenario that failed before
# it is stopped here.
stop_leftover_emulator() {
  pkill -f "scripts/emulator.py -H 127.0.0.1 -p $1 " 2>/dev/null || true
}

stage_molecule() {
  echo "== molecule"
  local scenarios=${MOLECULE_SCENARIOS:-$(ls molecule | grep -v '^_' | tr '\n' ' ')}
  local port rc state
  for s in $scenarios; do
    [ -f "molecule/$s/molecule.yml" ] || continue
    port=$(python scripts/free_port.py)
    rc=0
    # Fresh molecule state for every run: its default place is keyed by the directory's name only
    # (shared by every clone called the same), and a scenario whose destroy failed stays "created"
    # there, so its next test would skip create and find no emulator.
    state=$(mktemp -d)
    SANDBOX_PORT=$port MOLECULE_EPHEMERAL_DIRECTORY=$state molecule test -s "$s" || rc=$?
    if [ $rc -ne 0 ]; then
      # The emulator's side of a failure (errors it answered, its tracebacks) goes before its log does.
      echo "== molecule $s: exit $rc; the emulator's errors:"
      grep -hE '" (403|5[0-9][0-9]) |Traceback|Error|in use' "$state"/moto-*.log 2>/dev/null | tail -n 15 || true
    fi
    rm -rf "$state"
    stop_leftover_emulator "$port"
    [ $rc -eq 0 ] || return $rc
  done
}

stage_integration() {
  stage_awx
  stage_reliability
}

stage_awx() {
  echo "== integration: every AWX job template through ansible-runner, on a sandbox of its own"
  pytest tests/integration/test_awx_runner.py -q -x
}

stage_reliability() {
  echo "== integration: reliability (bad inputs, faults, drift, kills), on a sandbox of its own"
  pytest tests/integration/test_reliability.py -q -x
}

stage_coverage() {
  echo "== coverage: every granted action was needed by some run of the suite (least privilege both ways)"
  python scripts/policy_coverage.py --strict "$SANDBOX_RECORDS_DIR"/*.jsonl
}

# What failed, in few lines: the stage banners and every line that reports a failure.
failure_evidence() {
  echo "== $1 failed; its stage banners and failure lines:"
  grep -nE '^== |fatal:|FAILED|failed=[1-9]|ERROR|Error:|AssertionError|assert |Traceback|exit [1-9]|msg' "$2" \
    | grep -vE 'failed=0' | tail -n 60 || tail -n 60 "$2"
}

case "${1:-all}" in
  lint) stage_lint ;;
  sanity) shift; stage_sanity "$@" ;;
  unit) stage_unit ;;
  molecule) stage_molecule ;;
  integration) stage_integration ;;
  awx) stage_awx ;;
  reliability) stage_reliability ;;
  coverage) stage_coverage ;;
  all)
    rm -rf "$SANDBOX_RECORDS_DIR"
    # Two lanes on two cores, of about equal length: the static checks then the AWX templates
    # (one sandbox) beside the molecule scenarios then the reliability tests (sandboxes that leave
    # a core partly idle while the emulator and ansible wait on each other). The sandboxes lane is
    # shown as it comes, the checks lane when it ends; a failing lane's evidence is printed last,
    # where a CI log's tail shows it.
    # (Each lane is a background subshell, where `set -e` still stops at the first failure.)
    checks_log=$(mktemp) sandboxes_log=$(mktemp)
    ( stage_lint; stage_sanity; stage_unit; stage_awx ) >"$checks_log" 2>&1 &
    checks=$!
    ( ( stage_molecule; stage_reliability ) 2>&1 | tee "$sandboxes_log" ) &  # pipefail: the lane's status
    sandboxes=$!
    sandboxes_rc=0 checks_rc=0
    wait "$sandboxes" || sandboxes_rc=$?
    wait "$checks" || checks_rc=$?
    echo "== checks lane (lint, sanity, unit, awx): exit $checks_rc"
    cat "$checks_log"
    echo "== sandboxes lane (molecule, reliability): exit $sandboxes_rc"
    [ "$checks_rc" -eq 0 ] || failure_evidence "checks lane" "$checks_log"
    [ "$sandboxes_rc" -eq 0 ] || failure_evidence "sandboxes lane" "$sandboxes_log"
    rm -f "$checks_log" "$sandboxes_log"
    [ "$checks_rc" -eq 0 ] && [ "$sandboxes_rc" -eq 0 ] || exit 1
    stage_coverage ;;
  *) echo "usage: $0 [lint|sanity|unit|molecule|integration|awx|reliability|coverage|all]" >&2; exit 2 ;;
esac
