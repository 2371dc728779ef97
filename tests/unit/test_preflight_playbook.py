"""playbooks/preflight.yml refuses bad inventories before any AWS call.

Runs the real playbook against the sandbox inventory with one bad input at a
time. The endpoint is a closed loopback port: the validation play of a
greenfield inventory needs no AWS at all, so nothing can have been created
(the second play, which connects to each site, then fails to connect).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = [str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/preflight.yml", "-i", "inventories/sandbox"]


def run_preflight(extra_vars):
    env = dict(os.environ, SANDBOX_PORT="9", ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    cmd = PLAYBOOK + ["-e", json.dumps(extra_vars)] if extra_vars else PLAYBOOK
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_good_inventory_passes_validation_before_connecting():
    result = run_preflight({})
    output = result.stdout + result.stderr
    assert "Preflight passed" in result.stdout, output
    assert "problem(s)" not in output, output
    # Only then does preflight connect to the sites (a closed port here).
    assert "Could not connect to the endpoint URL" in output, output


@pytest.mark.parametrize("extra_vars, needles", [
    ({"vpc_cidr": "10.0.0.0/16"}, ["overlaps", "10.0.0.0/16"]),
    ({"security_extra_ingress_rules": [{"cidr": "0.0.0.0/0", "ports": [443]}]}, ["security_extra_ingress_rules", "0.0.0.0/0"]),
    ({"environment_suffix": "a" * 40}, ["environment_suffix", "a" * 40, "63"]),
    ({"common_tags": {"Environment": "sandbox"}}, ["CostCenter"]),
    ({"peerings": [{"name": "p", "requester": "trading", "accepter": "analytics", "ports": [22]}]}, ["ports", "22"]),
    ({"aws_endpoint_url": "https://ec2.us-east-1.amazonaws.com"}, ["aws_endpoint_url", "loopback"]),
])
def test_bad_input_fails_naming_variable_and_value(extra_vars, needles):
    result = run_preflight(extra_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    for needle in needles:
        assert needle in output, f"{needle!r} missing from:\n{output[-3000:]}"
