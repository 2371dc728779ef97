"""Every job template of awx/assets.json, run as AWX runs it (awx_runner.py), through one sandbox life.

Start a sandbox of its own (scripts/sandbox.sh start: emulator, automation principal, the
organisation's administrator, IAM enforced), then:
  1. bootstrap, with the administrator's key and the principal as launch-time extra vars;
  2. the workflow's chain, one job per stage template, in the workflow's node order; the outputs
     job's artifacts (set_stats) and outputs/<suffix>.json must hold the contract keys;
  3. verify; then the drift template (check + diff) must report no change;
  4. a seeded drift (the peering security group's 5432 ingress revoked with boto3): the drift
     template reports it, naming the group in its changed tasks and in the reachability proof that
     fails the job;
  5. the site template repairs it, and publishes the same keys (and the same identifiers) as
     the chain did: the stages on their own deliver what site.yml delivers;
  6. teardown-peering and teardown leave nothing of ours but what is kept by design (the
     bootstrap's automation role and policies, the audit buckets and their keys).
The phases depend on each other: a failed phase skips the later ones, except after a read-only
phase (verify, the drift check on the converged sandbox), which changes nothing they build on.

Run: .venv/bin/pytest tests/integration -s   (about 8 minutes on a quiet 2-core machine).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import awx_runner as ar  # noqa: E402
from free_port import free_port  # noqa: E402

REPO = ar.REPO
ASSETS = ar.load_assets()
SUFFIX = yaml.safe_load((REPO / "inventories" / "sandbox" / "group_vars" / "networks.yml").read_text())["environment_suffix"]
NETWORKS = sorted(ar.sandbox_accounts())
PEERING = yaml.safe_load((REPO / "inventories" / "sandbox" / "group_vars" / "networks.yml").read_text())["peerings"][0]
STATE = {"failed": None, "timings": []}


def workflow_stages():
    """The stage templates in the workflow's node order (root first, then each success path)."""
    (wf,) = ASSETS["workflow_job_templates"]
    nodes = {n["identifier"]: n for n in wf["related"]["workflow_nodes"]}
    targets = {ref["identifier"] for n in nodes.values() for ref in n["related"]["success_nodes"]}
    (current,) = [i for i in nodes if i not in targets]
    order = []
    while current:
        order.append(nodes[current]["unified_job_template"]["name"])
        following = nodes[current]["related"]["success_nodes"]
        current = following[0]["identifier"] if following else None
    return order


class Context:
    def __init__(self, runner, sandbox, outputs):
        self.runner = runner
        self.sandbox = sandbox
        self.outputs = outputs

    def run(self, slug_or_name, answers=None, launch_vars=None):
        names = ar.job_templates(ASSETS)
        name = slug_or_name if slug_or_name in names else ar.template_for(ASSETS, slug_or_name)["name"]
        job = self.runner.run(name, answers, launch_vars)
        STATE["timings"].append((name, round(job.seconds, 1), job.status, job.changed))
        print("\n== awx job " + job.summary(), flush=True)
        return job


def expect_success(job):
    tail = "\n".join(job.stdout().splitlines()[-60:])
    assert job.status == "successful" and job.rc == 0, f"{job.summary()}\n--- stdout tail ---\n{tail}"
    assert not job.failed_events(), job.summary()


@pytest.fixture(scope="module")
def awx(tmp_path_factory):
    work = tmp_path_factory.mktemp("awx-runner")
    sandbox = ar.Sandbox(free_port(), work / "sandbox")
    load_before = os.getloadavg()
    started = time.monotonic()
    sandbox.start()
    STATE["timings"].append(("sandbox start", round(time.monotonic() - started, 1), "", ""))
    outputs = work / "outputs"
    outputs.mkdir()
    try:
        yield Context(ar.AWXRunner(ASSETS, sandbox, work, outputs), sandbox, outputs)
    finally:
        sandbox.stop()
        total = time.monotonic() - started
        report = {"total_seconds": round(total, 1), "load_before": load_before, "load_after": os.getloadavg(),
                  "jobs": STATE["timings"]}
        (work / "timings.json").write_text(json.dumps(report, indent=2))
        print(f"\n== awx runner: {total:.0f} s in all; load average before {load_before}, after {os.getloadavg()}")
        for name, seconds, status, changed in STATE["timings"]:
            print(f"   {seconds:7.1f} s  {name} {status} {changed}")


@pytest.fixture(autouse=True)
def phases(request):
    """Each phase builds on the previous one: after a failure (recorded by conftest.py) the rest is
    skipped instead of running against a half-built sandbox."""
    if STATE["failed"] and "awx" in request.fixturenames:
        pytest.skip(f"an earlier phase failed ({STATE['failed']})")


def principal_arn(ctx):
    return ar.session(ctx.sandbox, ctx.sandbox.principal_key()).client("sts", endpoint_url=ctx.sandbox.url) \
        .get_caller_identity()["Arn"]


# ---- the phases ---------------------------------------------------------------------------

def test_bootstrap_runs_with_the_administrators_key(awx):
    # The sandbox already ran playbooks/bootstrap.yml with the same principal: this run re-applies it.
    job = awx.run("bootstrap", launch_vars={"automation_role_trusted_principals": [principal_arn(awx)]})
    expect_success(job)
    assert job.changed == 0, [job.describe(e) for e in job.changed_events()]


def test_workflow_chain_delivers_the_outputs(awx):
    stages = workflow_stages()
    assert [ar.job_templates(ASSETS)[s]["playbook"] for s in stages] == [
        p["ansible.builtin.import_playbook"] for p in yaml.safe_load((REPO / "site.yml").read_text())]
    jobs = {}
    for stage in stages:
        jobs[stage] = job = awx.run(stage)
        expect_success(job)  # a failed node ends the workflow: nothing after it runs
    outputs_file = awx.outputs / f"{SUFFIX}.json"
    data = json.loads(outputs_file.read_text())
    # set_stats publishes exactly the file's content as the job's artifacts.
    assert jobs[stages[-1]].artifact_data == data
    contract = {"peering_connection_id", "peering_connection_status", "requester_route_table_ids",
                "accepter_route_table_ids", "dashboard_url", "peering_connections"}
    for network in NETWORKS:
        contract |= {f"{network}_{key}" for key in (
            "vpc_id", "private_subnet_ids", "security_group_id", "nacl_id", "s3_endpoint_id", "dynamodb_endpoint_id",
            "flow_log_id", "flowlogs_bucket", "alarm_names", "config_rule_names")}
    assert contract <= set(data), f"missing contract keys: {sorted(contract - set(data))}"
    assert data["peering_connection_status"] == "active"
    proof = json.loads((awx.outputs / f"{SUFFIX}-reachability.json").read_text())
    assert proof["violations"] == []
    STATE["chain_outputs"] = data


@pytest.mark.read_only
def test_verify_template_passes_and_changes_nothing(awx):
    job = awx.run("verify")
    expect_success(job)
    assert job.changed == 0, [job.describe(e) for e in job.changed_events()]


@pytest.mark.read_only
def test_drift_template_reports_no_change_on_the_converged_sandbox(awx):
    job = awx.run("drift")
    expect_success(job)
    assert job.changed == 0, [job.describe(e) for e in job.changed_events()]


def revoke_5432(ctx, network):
    """The drift: someone removes the peering group's 5432 ingress by hand (with the automation role)."""
    group_id = STATE["chain_outputs"][f"{network}_security_group_id"]
    account = ar.sandbox_accounts()[network]["account"]
    ec2 = ar.session(ctx.sandbox, ctx.sandbox.principal_key(), account).client("ec2", endpoint_url=ctx.sandbox.url)
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    rules = [p for p in group["IpPermissions"] if p.get("FromPort") == 5432]
    assert rules, f"{group_id} has no 5432 ingress to revoke: {group['IpPermissions']}"
    ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=rules)
    return ec2, group


def test_drift_template_reports_a_seeded_drift(awx):
    ec2, group = revoke_5432(awx, PEERING["requester"])
    STATE["drifted_group"] = group
    job = awx.run("drift")
    STATE["drift_job"] = job
    assert job.changed > 0, job.summary()
    named = [e for e in job.changed_events() if group["GroupId"] in json.dumps(e) or group["GroupName"] in json.dumps(e)]
    assert named, f"no changed event names {group['GroupId']} / {group['GroupName']}: " + \
        "; ".join(job.describe(e) for e in job.changed_events())
    assert any("5432" in json.dumps(e["event_data"].get("res", {})) for e in named), "the diff does not show port 5432"
    # The reachability stage proves from the live state, so the drifted rule also fails the job
    # (red in AWX, which is what a nightly drift check should be); any failure must be that proof
    # naming the group, never anything else.
    for event in job.failed_events():
        assert group["GroupId"] in json.dumps(event["event_data"].get("res", {})), job.describe(event)
    # Check mode: the group is still without the rule.
    (after,) = ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"]
    assert not [p for p in after["IpPermissions"] if p.get("FromPort") == 5432]
    STATE["ec2"] = ec2


def test_site_template_repairs_it_and_publishes_what_the_chain_published(awx):
    job = awx.run("site")
    expect_success(job)
    assert job.changed > 0
    group = STATE["drifted_group"]
    (after,) = STATE["ec2"].describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"]
    assert [p for p in after["IpPermissions"] if p.get("FromPort") == 5432], "the 5432 rule was not restored"
    chain = STATE["chain_outputs"]
    site = job.artifact_data
    assert set(site) == set(chain), f"only in site.yml: {sorted(set(site) - set(chain))}; only in the chain: {sorted(set(chain) - set(site))}"
    # Same deployment, so the same identifiers: the stages on their own built what site.yml keeps.
    assert {k: v for k, v in site.items() if v != chain[k]} == {}
    STATE["ours_before_teardown"] = ar.ours(awx.sandbox, SUFFIX)


def kept_by_design(item):
    account, kind, name = item
    automation_roles = {h["aws_role_arn"].rsplit("/", 1)[1] for h in yaml.safe_load(
        (REPO / "inventories" / "sandbox" / "hosts.yml").read_text())["all"]["children"]["networks"]["hosts"].values()}
    return ((kind == "iam-role" and name in automation_roles)            # bootstrap's, not site.yml's
            or (kind == "iam-policy" and name.startswith("netsec-"))     # the automation role's stage policies
            or (kind == "s3-bucket" and name.startswith(("flowlogs-", "config-")))      # audit evidence
            or (kind == "kms-alias" and name.startswith(("alias/flowlogs-", "alias/config-"))))  # its keys


def test_teardown_templates_leave_nothing_of_ours(awx):
    before = STATE["ours_before_teardown"]
    kinds = {item[1] for item in before}
    # The inspection must see what the stages built, or an empty result below would prove nothing.
    assert {"vpc", "subnet", "security-group", "vpc-endpoint", "flow-log", "peering", "alarm", "config-rule",
            "event-rule", "dashboard", "sns-topic"} <= kinds, sorted(kinds)
    # Destructive templates have no default suffix: the operator types it.
    with pytest.raises(ValueError):
        awx.run("teardown-peering")
    job = awx.run("teardown-peering", answers={"environment_suffix": SUFFIX})
    expect_success(job)
    assert not [i for i in ar.ours(awx.sandbox, SUFFIX) if i[1] == "peering"]
    job = awx.run("teardown", answers={"environment_suffix": SUFFIX})
    expect_success(job)
    left = sorted(i for i in ar.ours(awx.sandbox, SUFFIX) if not kept_by_design(i))
    assert left == [], f"teardown left {left}"
    assert not (awx.outputs / f"{SUFFIX}.json").exists()


# ---- AWX's inventory, as its sync stores it -------------------------------------------------
# AWX does not hand a job the inventory source's directory: its inventory update stores
# `ansible-inventory --list --export` of it, and every job gets that as an executable script
# (awx_runner.AWXRunner's default, which the phases above use). Two things follow, both fixed
# and kept fixed here: ansible.cfg must enable the script inventory plugin (with AWX's
# ANSIBLE_INVENTORY_UNPARSED_FAILED every job fails otherwise), and the inventory's group
# variables, which then rank below playbook group_vars/all, must not be shadowed by defaults there.

PROBE = """---
- name: Probe the variables a job sees
  hosts: networks
  gather_facts: false
  tasks:
    - name: Publish what each site sees
      ansible.builtin.set_stats:
        data: "{{ {inventory_hostname: {'peerings': peerings, 'aws_endpoint_url': aws_endpoint_url,
                   'aws_emulator': aws_emulator, 'aws_endpoint_loopback_only': aws_endpoint_loopback_only,
                   'environment_suffix': environment_suffix}} }}"
"""


PROBE_PORT = free_port()


def probe(tmp_path, inventory):
    work = tmp_path / inventory
    # One port for every probe: the endpoint is part of what the probes compare.
    runner = ar.AWXRunner(ASSETS, ar.Sandbox(PROBE_PORT, work / "no-sandbox"), work, work / "outputs", inventory=inventory)
    for credential in ASSETS["credentials"]:
        runner.keys[credential["name"]] = {"username": "", "password": ""}  # the probe calls no AWS API
    template = dict(ar.template_for(ASSETS, "preflight"), name=f"probe-{inventory}", playbook="playbooks/awx_probe.yml")
    return runner.run(template, project_files={"playbooks/awx_probe.yml": PROBE})


def test_synced_inventory_gives_a_job_the_same_settings_as_the_inventory_directory(tmp_path):
    directory = probe(tmp_path, "source")
    synced = probe(tmp_path, "synced")
    for job in (directory, synced):
        assert job.status == "successful" and job.artifact_data, f"the probe did not run: {job.summary()}\n{job.stdout()[-3000:]}"
    assert directory.artifact_data[PEERING["requester"]]["peerings"], "the probe must see the sandbox's peering"
    assert synced.artifact_data == directory.artifact_data
