#!/usr/bin/env python3
"""make bench: what a run costs, as ratios to 60 stock module runs measured in the same invocation.

For the two-site sandbox, on a fresh emulator with IAM enforced:
  - the unit: 60 runs of amazon.aws.ec2_vpc_net_info (a loop, one module process each) against it;
  - converge from empty, the no-op re-run and --check on the converged sandbox, each as a ratio
    to the unit, with the module processes per site (callback netsec.aws_peering.run_stats) and
    the mutating AWS calls of the no-op (the emulator's record of calls);
then a hub with 1, 3 and 6 spokes (converge and no-op), to show how the cost grows with the
number of peerings. Prints a table and writes outputs/bench.json.

Wall-clock ratios depend on the machine's load: run it on a quiet machine.
Usage: bench.py [--port 5400] [--hub-spokes 1,3,6] [--skip-hub]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"

STOCK = """---
- name: The unit of cost - 60 stock module runs
  hosts: trading
  gather_facts: false
  module_defaults:
    group/netsec.aws_peering.aws: "{{ aws_session_connection | default({}) }}"
  roles:
    - netsec.aws_peering.aws_session
  tasks:
    - name: One stock module process per item
      amazon.aws.ec2_vpc_net_info:
      loop: "{{ range(60) | list }}"
"""


def sandbox(command, port, workdir, inventory, check=True):
    env = dict(os.environ, SANDBOX_PORT=str(port), SANDBOX_DIR=str(workdir), SANDBOX_INVENTORY=str(inventory), VENV=str(VENV))
    return subprocess.run([str(ROOT / "scripts" / "sandbox.sh"), command], env=env, check=check, capture_output=True, text=True)


def run_env(port, workdir, outputs):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for line in sandbox("env", port, workdir, ROOT / "inventories" / "sandbox").stdout.splitlines():
        key, _sep, value = line.partition("=")
        env[key] = value
    env.update(PATH=f"{VENV / 'bin'}:{env.get('PATH', '')}", ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
               NETSEC_OUTPUTS_DIR=str(outputs), ANSIBLE_CALLBACKS_ENABLED="netsec.aws_peering.run_stats")
    return env


def playbook(env, inventory, *args, stats=None):
    env = dict(env, NETSEC_RUN_STATS=str(stats) if stats else "")
    started = time.monotonic()
    done = subprocess.run([str(VENV / "bin" / "ansible-playbook"), *args, "-i", str(inventory)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-2000:])
        raise SystemExit(f"bench: ansible-playbook {' '.join(args)} failed")
    return elapsed, json.loads(Path(stats).read_text()) if stats else {}


def record_lines(workdir, port):
    record = Path(workdir) / f"actions-{port}.jsonl"
    return len(record.read_text().splitlines()) if record.exists() else 0


def mutating_since(workdir, port, since):
    record = Path(workdir) / f"actions-{port}.jsonl"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "mutating_calls.py"), str(record), "--since", str(since)],
                          capture_output=True, text=True, check=False)
    return [line for line in done.stdout.splitlines() if line.strip()]


def per_site(stats):
    return {host: data["module_runs"] for host, data in sorted(stats.items())}


def hub_inventory(directory, spokes):
    """A hub peered with `spokes` spokes, each in its own account."""
    hosts = {"hub": {"network_name": "hub", "aws_account_id": "300000000000", "aws_region": "us-east-1",
                     "aws_role_arn": "arn:aws:iam::300000000000:role/netsec-automation", "vpc_cidr": "10.50.0.0/16"}}
    peerings = []
    for index in range(1, spokes + 1):
        account = f"3000000000{index:02d}"
        hosts[f"spoke{index}"] = {"network_name": f"spoke{index}", "aws_account_id": account, "aws_region": "us-east-1",
                                  "aws_role_arn": f"arn:aws:iam::{account}:role/netsec-automation",
                                  "vpc_cidr": f"10.{50 + index}.0.0/16", "vpc_az_count": 1}
        peerings.append({"name": f"hub-spoke{index}", "requester": "hub", "accepter": f"spoke{index}", "ports": [443]})
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(json.dumps({"all": {"children": {"networks": {"hosts": hosts}}}}, indent=1))
    sandbox_vars = (ROOT / "inventories" / "sandbox" / "group_vars" / "networks.yml").read_text()
    sandbox_vars = sandbox_vars.split("peerings:")[0].replace("environment_suffix: sandbox", "environment_suffix: bench")
    (directory / "group_vars" / "networks.yml").write_text(
        sandbox_vars + "peerings: " + json.dumps(peerings) + "\nansible_connection: local\n"
        + "ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
        # Each spoke adds entries to the hub's network ACL: the quota raise a real hub would ask for.
        + "security_nacl_max_entries: 40\n")
    return directory


def measure_pair(port, workdir, outputs):
    inventory = ROOT / "inventories" / "sandbox"
    sandbox("start", port, workdir, inventory)
    try:
        env = run_env(port, workdir, outputs)
        stock_file = Path(workdir) / "stock60.yml"
        stock_file.write_text(STOCK)
        unit, _output = playbook(env, inventory, str(stock_file))
        converge, converge_stats = playbook(env, inventory, "site.yml", stats=Path(workdir) / "converge.json")
        before = record_lines(workdir, port)
        noop, noop_stats = playbook(env, inventory, "site.yml", stats=Path(workdir) / "noop.json")
        mutating = mutating_since(workdir, port, before)
        check, check_stats = playbook(env, inventory, "site.yml", "--check", "--diff", stats=Path(workdir) / "check.json")
    finally:
        sandbox("stop", port, workdir, inventory, check=False)
    return {
        "unit_60_stock_module_runs_s": round(unit, 1),
        "converge": {"seconds": round(converge, 1), "ratio": round(converge / unit, 2), "module_runs": per_site(converge_stats)},
        "noop": {"seconds": round(noop, 1), "ratio": round(noop / unit, 2), "module_runs": per_site(noop_stats),
                 "mutating_calls": mutating},
        "check": {"seconds": round(check, 1), "ratio": round(check / unit, 2), "module_runs": per_site(check_stats)},
    }


def measure_hub(port, workdir, outputs, spokes, unit):
    inventory = hub_inventory(Path(workdir) / f"hub{spokes}", spokes)
    sandbox("start", port, workdir, inventory)
    try:
        env = run_env(port, workdir, outputs)
        converge, stats = playbook(env, inventory, "site.yml", stats=Path(workdir) / f"hub{spokes}.json")
        noop, _output = playbook(env, inventory, "site.yml")
    finally:
        sandbox("stop", port, workdir, inventory, check=False)
    return {"spokes": spokes, "converge_s": round(converge, 1), "converge_ratio": round(converge / unit, 2),
            "noop_s": round(noop, 1), "noop_ratio": round(noop / unit, 2),
            "hub_module_runs": stats.get("hub", {}).get("module_runs")}


def table(result):
    rows = [("run", "seconds", "ratio to 60 stock runs", "module runs per site"),
            ("60 stock module runs", result["unit_60_stock_module_runs_s"], "1.00", "")]
    for name in ("converge", "noop", "check"):
        part = result[name]
        rows.append((name, part["seconds"], f"{part['ratio']:.2f}", json.dumps(part["module_runs"])))
    lines = [" | ".join(str(c) for c in row) for row in rows]
    lines.append(f"mutating calls on the no-op: {len(result['noop']['mutating_calls'])}")
    for hub in result.get("hub", []):
        lines.append(f"hub with {hub['spokes']} spoke(s): converge {hub['converge_s']} s ({hub['converge_ratio']}x), "
                     f"no-op {hub['noop_s']} s ({hub['noop_ratio']}x), hub module runs {hub['hub_module_runs']}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=5400)
    parser.add_argument("--hub-spokes", default="1,3,6")
    parser.add_argument("--skip-hub", action="store_true")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="netsec-bench-"))
    outputs = workdir / "outputs"
    outputs.mkdir()
    try:
        result = measure_pair(args.port, workdir, outputs)
        if not args.skip_hub:
            result["hub"] = [measure_hub(args.port, workdir, outputs, int(n), result["unit_60_stock_module_runs_s"])
                             for n in args.hub_spokes.split(",")]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    (ROOT / "outputs" / "bench.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(table(result))
    print(f"(written to {ROOT / 'outputs' / 'bench.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
