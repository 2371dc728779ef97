"""Reliability, tested end to end on a sandbox of its own (IAM enforced), in this order:

1. bad inputs are refused before any change: a representative dozen, each named, and nothing is
   created in either account;
2. a converge through a proxy that answers 10% of requests with throttling and 5xx errors (each
   service's own wire format) succeeds, and the result equals a clean run's, resource for resource;
3. drift is detected with its cause (--check, the reachability proof) and repaired (scripts/drift.py);
4. a teardown killed midway finishes on the next teardown, which leaves nothing; a third changes nothing;
5. a converge killed (SIGKILL of its process group) at points spread over the stages converges on
   the next run to exactly a clean run's resources, with no duplicate; then a no-op makes no
   mutating call; a converge killed midway, then a teardown, leaves nothing.
Run by scripts/test.sh (stage "integration"); each step depends on the previous one.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
INVENTORY = ROOT / "inventories" / "sandbox"
EXPECTED = Path(__file__).with_name("expected-sandbox-inventory.json")
PYTHON = str(VENV / "bin" / "python")
sys.path.insert(0, str(ROOT / "scripts"))
from free_port import free_port  # noqa: E402  pylint: disable=wrong-import-position

# (extra vars, fragments the refusal must contain): one per kind of input a user may get wrong.
BAD_INPUTS = [
    ({"flowlogs_max_aggregation_interval": 300}, ["flowlogs_max_aggregation_interval", "300"]),
    ({"ephemeral_port_range": [1024, 65535]}, ["ephemeral_port_range", "[1024, 65535]"]),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "prots": [443]}]}, ["security_extra_ingress_rules[0].prots", "ports"]),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "ports": ["443"]}]}, ["security_extra_ingress_rules[0].ports[0]", "443"]),
    ({"allowed_ports": "443,5432"}, ["allowed_ports", "443,5432"]),
    ({"security_extra_egress_rules": [{"cidr": "0.0.0.0/0", "ports": [443]}]}, ["security_extra_egress_rules", "0.0.0.0/0"]),
    ({"monitoring_rejected_threshold": -1}, ["monitoring_rejected_threshold", "-1"]),
    ({"monitoring_log_retention_days": 42}, ["monitoring_log_retention_days", "42"]),
    ({"config_delivery_frequency": "Hourly"}, ["config_delivery_frequency", "Hourly"]),
    ({"endpoints_interface_services": "ssm"}, ["endpoints_interface_services", "ssm"]),
    ({"peering_accepter_trusted_principals": {"trading": ["*"]}}, ["peering_accepter_trusted_principals", '"*"']),
    ({"peerings": [{"name": "trading-analytics", "requester": "trading", "accepter": "analytics", "ports": [22]}]},
     ["ports", "22"]),
]

# Points spread over the stages: the run is killed shortly after this task starts.
KILL_POINTS = [
    "netsec.aws_peering.vpc : Converge the VPC, private subnets",
    "netsec.aws_peering.peering_requester : Request each missing peering",
    "netsec.aws_peering.security : Converge the peering security group",
    "netsec.aws_peering.flowlogs : Converge the hardened bucket",
    "netsec.aws_peering.config : Converge the managed rules",
    "netsec.aws_peering.monitoring : Converge the keys of the alert topic",
]


class Sandbox:
    def __init__(self, port, directory):
        self.port, self.directory = port, directory
        self.base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.base.update(SANDBOX_PORT=str(port), SANDBOX_DIR=str(directory), SANDBOX_INVENTORY=str(INVENTORY), VENV=str(VENV),
                         SANDBOX_RECORD_NAME="reliability")

    def script(self, *args):
        return subprocess.run([str(ROOT / "scripts" / "sandbox.sh"), *args], env=self.base, capture_output=True, text=True,
                              check=True).stdout

    def env(self, endpoint_port=None):
        env = dict(self.base, PATH=f"{VENV / 'bin'}:{os.environ['PATH']}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   NETSEC_OUTPUTS_DIR=str(self.directory), ANSIBLE_NOCOLOR="1")
        for line in self.script("env").splitlines():
            key, _sep, value = line.partition("=")
            env[key] = value
        if endpoint_port:
            # Everything (the inventory's endpoint included) goes through the proxy.
            env.update(SANDBOX_PORT=str(endpoint_port), AWS_ENDPOINT_URL=f"http://127.0.0.1:{endpoint_port}")
        return env

    def playbook(self, *args, env=None, check=True):
        done = subprocess.run([str(VENV / "bin" / "ansible-playbook"), *args, "-i", str(INVENTORY)], cwd=ROOT,
                              env=env or self.env(), capture_output=True, text=True, check=False)
        output = done.stdout + done.stderr
        if check:
            assert done.returncode == 0, f"ansible-playbook {' '.join(args)} failed:\n{output[-6000:]}"
        return done.returncode, output

    def inventory(self, *args):
        return subprocess.run([PYTHON, str(ROOT / "scripts" / "site_inventory.py"), str(INVENTORY), *args], cwd=ROOT,
                              env=self.env(), capture_output=True, text=True, check=False)

    def record_lines(self):
        record = Path(self.directory) / f"actions-{self.port}.jsonl"
        return len(record.read_text().splitlines()) if record.exists() else 0


def changed_total(output):
    recap = output.split("PLAY RECAP")[-1]
    return sum(int(part.split("=")[1]) for part in recap.split() if part.startswith("changed="))


@pytest.fixture(scope="module")
def sandbox():
    directory = Path(tempfile.mkdtemp(prefix="netsec-reliability-"))
    box = Sandbox(free_port(), directory)
    box.script("start")
    yield box
    subprocess.run([str(ROOT / "scripts" / "sandbox.sh"), "stop"], env=box.base, check=False, capture_output=True)


def test_bad_inputs_are_refused_before_any_change(sandbox):
    problems = []
    # Two at a time: each refused run is one ansible-playbook process that never reaches AWS's writes.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda extra: sandbox.playbook("site.yml", "-e", json.dumps(extra), check=False),
                             [extra for extra, _fragments in BAD_INPUTS]))
    for (extra, fragments), (code, output) in zip(BAD_INPUTS, runs):
        if code == 0:
            problems.append(f"{extra}: the run succeeded")
        missing = [f for f in fragments if f not in output]
        if missing:
            problems.append(f"{extra}: the refusal does not name {missing}:\n{output[-1500:]}")
    left = sandbox.inventory("--expect-empty")
    assert left.returncode == 0, "a refused run created something:\n" + left.stdout
    assert not problems, "\n".join(problems)


def test_a_converge_through_api_faults_equals_a_clean_run(sandbox):
    stats = Path(sandbox.directory) / "faults.json"
    proxy = subprocess.Popen([PYTHON, str(ROOT / "scripts" / "fault_proxy.py"), "--upstream", f"http://127.0.0.1:{sandbox.port}",
                              "--port", "0", "--ratio", "0.1", "--seed", "4242", "--stats-file", str(stats)],
                             stdout=subprocess.PIPE, text=True)
    try:
        port = int(proxy.stdout.readline().rsplit(":", 1)[1])
        sandbox.playbook("site.yml", env=sandbox.env(endpoint_port=port))
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(timeout=30)
    injected = json.loads(stats.read_text())
    assert injected["faulted"] >= 20 and len([s for s in injected["services"].values() if s["faulted"]]) >= 5, injected
    same = sandbox.inventory("--compare", str(EXPECTED))
    assert same.returncode == 0, "the faulted converge differs from a clean run:\n" + same.stdout
    before = sandbox.record_lines()
    code, output = sandbox.playbook("site.yml")
    assert changed_total(output) == 0, output[-4000:]
    mutating = subprocess.run([PYTHON, str(ROOT / "scripts" / "mutating_calls.py"), str(Path(sandbox.directory) / f"actions-{sandbox.port}.jsonl"),
                               "--since", str(before)], capture_output=True, text=True, check=False)
    assert mutating.returncode == 0, "a run with nothing to do made mutating calls:\n" + mutating.stdout


def test_drift_is_detected_with_its_cause_and_repaired(sandbox):
    done = subprocess.run([PYTHON, str(ROOT / "scripts" / "drift.py"), str(INVENTORY)], cwd=ROOT, env=sandbox.env(),
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]


def descendants(pid):
    """Every process below ``pid``, from /proc (module processes run in sessions of their own)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(process):
    """SIGKILL the run and everything it started, module processes in their own sessions included.

    The group is stopped first so that nothing new starts between the listing and the kill; a
    module process left alive would go on calling AWS beside the next run."""
    os.killpg(process.pid, signal.SIGSTOP)
    stray = descendants(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in stray:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def run_until(sandbox, args, point, delay=1.5):
    """Start ansible-playbook; SIGKILL it and all it started `delay` seconds after task `point` starts.

    Returns True when it was killed, False when the run ended before reaching the point."""
    process = subprocess.Popen([str(VENV / "bin" / "ansible-playbook"), *args, "-i", str(INVENTORY)], cwd=ROOT,
                               env=sandbox.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               start_new_session=True)
    for line in process.stdout:
        if line.startswith("TASK [") and point in line:
            time.sleep(delay)
            kill_tree(process)
            return True
    process.wait()
    return False


def test_a_killed_teardown_finishes_on_the_next_and_leaves_nothing(sandbox):
    assert run_until(sandbox, ["playbooks/teardown.yml"], "netsec.aws_peering.config : Delete our managed rules", delay=1.0)
    sandbox.playbook("playbooks/teardown.yml")
    left = sandbox.inventory("--expect-empty")
    assert left.returncode == 0, left.stdout
    code, output = sandbox.playbook("playbooks/teardown.yml")
    assert changed_total(output) == 0, output[-4000:]


def test_a_converge_killed_anywhere_converges_on_the_next_run(sandbox):
    killed = [point for point in KILL_POINTS if run_until(sandbox, ["site.yml"], point)]
    assert len(killed) >= 4, f"only killed at {killed}"
    sandbox.playbook("site.yml")
    same = sandbox.inventory("--compare", str(EXPECTED))
    assert same.returncode == 0, "after killed runs the resources differ from a clean run's:\n" + same.stdout
    code, output = sandbox.playbook("site.yml")
    assert changed_total(output) == 0, output[-4000:]


def test_teardown_after_a_converge_killed_midway_leaves_nothing(sandbox):
    sandbox.playbook("playbooks/teardown.yml")
    assert run_until(sandbox, ["site.yml"], "netsec.aws_peering.security : Converge the peering security group")
    sandbox.playbook("playbooks/teardown.yml")
    left = sandbox.inventory("--expect-empty")
    assert left.returncode == 0, left.stdout


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-x"]))
