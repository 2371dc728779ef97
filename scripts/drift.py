#!/usr/bin/env python3
"""Drift on a converged sandbox: seeded, detected with its cause, repaired.

  drift.py INVENTORY_DIR [--playbook-args ...]

Seeds, with boto3 as someone with the account's permissions would, on the two-site sandbox:
an ingress rule for port 22 from 0.0.0.0/0 and one from the peer's subnet; a deleted peering
route; DNS resolution off on one side; an allow-all network ACL entry, a port-22 entry from the
peer and a deleted return-port (ephemeral) entry; a full-access endpoint policy; a deleted flow
log; a missing CostCenter tag; a deleted Config rule; Block Public Access off on a bucket; and the
attributes a repair changes in place, each needing its own permission (seed_attributes). Then:
  1. `site.yml --check --diff` must report a change naming each drift;
  2. `playbooks/reachability.yml` must fail naming each network drift's flow and component;
  3. `site.yml` repairs everything;
  4. `site.yml --check` reports no change and the reachability proof passes again.
Exits 1 with every missing detection named. Needs the sandbox environment (scripts/sandbox.sh env).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

# pylint: disable=wrong-import-position
from site_inventory import admin_session, describe, sites  # noqa: E402


def private(state, key, prefix):
    items = [i for i in state.get(key, []) if any(t["Key"] == "Name" and t["Value"].startswith(prefix) for t in i.get("Tags", []))]
    return sorted(items, key=lambda i: json.dumps(i.get("Tags"), sort_keys=True))


def name(resource):
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == "Name"), "")


def seed(inventory):
    """Seed every drift; return [(what, [needles in --check output], [needles in the reachability failure])]."""
    hosts, group = sites(inventory)
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    suffix = group["environment_suffix"]
    states = {h: describe(h, v, group, endpoint) for h, v in hosts.items()}
    trading, analytics = states["trading"], states["analytics"]
    # Drift comes from someone else with the account's permissions: the organisation's administrator.
    t = admin_session(hosts["trading"]["aws_account_id"], "us-east-1", endpoint)
    a = admin_session(hosts["analytics"]["aws_account_id"], "us-east-1", endpoint)
    t_ec2, a_ec2 = t.client("ec2", endpoint_url=endpoint), a.client("ec2", endpoint_url=endpoint)
    drifts = []

    t_sg = next(g for g in trading["security_groups"] if g["GroupName"] == f"sg-peering-trading-{suffix}")
    t_ec2.authorize_security_group_ingress(GroupId=t_sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    drifts.append(("port 22 from 0.0.0.0/0 on the peering group", [t_sg["GroupId"], "0.0.0.0/0"], [t_sg["GroupId"]]))

    a_subnets = private(analytics, "subnets", "subnet-private")
    t_subnets = private(trading, "subnets", "subnet-private")
    a_sg = next(g for g in analytics["security_groups"] if g["GroupName"] == f"sg-peering-analytics-{suffix}")
    a_ec2.authorize_security_group_ingress(GroupId=a_sg["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": t_subnets[0]["CidrBlock"]}]}])
    drifts.append(("port 22 from the peer on the peering group", [a_sg["GroupId"]], [f"{a_sg['GroupId']}", "tcp 22"]))

    t_table = private(trading, "route_tables", "rtb-private")[0]
    gone = a_subnets[0]["CidrBlock"]
    t_ec2.delete_route(RouteTableId=t_table["RouteTableId"], DestinationCidrBlock=gone)
    drifts.append(("a deleted peering route", [t_table["RouteTableId"], gone], ["no route", gone]))

    pcx = next(p for p in analytics["vpc_peering_connections"] if p["Status"]["Code"] == "active")
    a_ec2.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx["VpcPeeringConnectionId"],
                                                AccepterPeeringConnectionOptions={"AllowDnsResolutionFromRemoteVpc": False})
    drifts.append(("DNS resolution off on the accepter side", [pcx["VpcPeeringConnectionId"], "DNS"],
                   ["does not resolve: accepter (analytics) option is False"]))

    t_nacl = private(trading, "network_acls", "nacl-private")[0]
    t_ec2.create_network_acl_entry(NetworkAclId=t_nacl["NetworkAclId"], RuleNumber=90, Protocol="-1", RuleAction="allow",
                                   Egress=False, CidrBlock="0.0.0.0/0")
    drifts.append(("an allow-all network ACL entry", [t_nacl["NetworkAclId"], "90"], [t_nacl["NetworkAclId"]]))

    a_nacl = private(analytics, "network_acls", "nacl-private")[0]
    a_ec2.create_network_acl_entry(NetworkAclId=a_nacl["NetworkAclId"], RuleNumber=95, Protocol="6", RuleAction="allow",
                                   Egress=False, CidrBlock=t_subnets[0]["CidrBlock"], PortRange={"From": 22, "To": 22})
    drifts.append(("port 22 from the peer in the network ACL", [a_nacl["NetworkAclId"], "95"], [f"{a_nacl['NetworkAclId']} ingress rule 95"]))
    ephemeral = next(e for e in a_nacl["Entries"] if not e["Egress"] and e.get("PortRange", {}).get("To") == 65535
                     and e["RuleAction"] == "allow" and e["CidrBlock"] != "0.0.0.0/0")
    a_ec2.delete_network_acl_entry(NetworkAclId=a_nacl["NetworkAclId"], RuleNumber=ephemeral["RuleNumber"], Egress=False)
    drifts.append(("the return-port entry of the network ACL deleted", [a_nacl["NetworkAclId"], str(ephemeral["RuleNumber"])],
                   [a_nacl["NetworkAclId"]]))

    endpoint_s3 = next(e for e in analytics["vpc_endpoints"] if e["ServiceName"].endswith(".s3") and name(e).startswith("vpce-s3"))
    a_ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_s3["VpcEndpointId"], PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}))
    drifts.append(("a full-access endpoint policy", [endpoint_s3["VpcEndpointId"]], []))

    flow_log = next(f for f in trading["flow_logs"] if f.get("LogDestinationType") == "s3")
    t_ec2.delete_flow_logs(FlowLogIds=[flow_log["FlowLogId"]])
    drifts.append(("a deleted flow log", [f"fl-trading-{suffix}"], []))

    a_ec2.delete_tags(Resources=[analytics["vpc"]["VpcId"]], Tags=[{"Key": "CostCenter"}])
    drifts.append(("a missing CostCenter tag", [analytics["vpc"]["VpcId"], "CostCenter"], []))

    rule = sorted(r["ConfigRuleName"] for r in trading["config"]["rules"])[0]
    t.client("config", endpoint_url=endpoint).delete_config_rule(ConfigRuleName=rule)
    drifts.append(("a deleted Config rule", [rule], []))

    bucket = f"flowlogs-analytics-{hosts['analytics']['aws_account_id']}-{suffix}"
    a.client("s3", endpoint_url=endpoint).delete_public_access_block(Bucket=bucket)
    drifts.append(("Block Public Access off on a bucket", [bucket, "PublicAccessBlock"], []))
    drifts += seed_attributes(trading, analytics, t, a, t_ec2, a_ec2, t_nacl, a_sg, suffix, endpoint)
    return drifts


def seed_attributes(trading, analytics, t, a, t_ec2, a_ec2, t_nacl, a_sg, suffix, endpoint):
    """Drift of the attributes a repair changes in place (every one needs its own permission): tags added
    and removed by hand, a network ACL entry and a rule description edited, a key scheduled for deletion,
    its policy and description replaced, a role's trust, description and tags, a stray metric filter."""
    drifts = []
    rogue = [{"Key": "Rogue", "Value": "by-hand"}]

    alarm = sorted(trading["alarms"], key=lambda x: x["AlarmName"])[0]
    t.client("cloudwatch", endpoint_url=endpoint).tag_resource(ResourceARN=alarm["AlarmArn"], Tags=rogue)
    drifts.append(("a tag added by hand to an alarm", [alarm["AlarmName"]], []))

    rule = sorted(analytics["config"]["rules"], key=lambda x: x["ConfigRuleName"])[0]
    a.client("config", endpoint_url=endpoint).tag_resource(ResourceArn=rule["ConfigRuleArn"], Tags=rogue)
    drifts.append(("a tag added by hand to a Config rule", [rule["ConfigRuleName"]], []))

    event_rule = sorted(trading["event_rules"], key=lambda x: x["Name"])[0]
    t.client("events", endpoint_url=endpoint).tag_resource(ResourceARN=event_rule["Arn"], Tags=rogue)
    drifts.append(("a tag added by hand to an EventBridge rule", [event_rule["Name"]], []))

    topic = analytics["topic"]["Attributes"]["TopicArn"]
    a.client("sns", endpoint_url=endpoint).tag_resource(ResourceArn=topic, Tags=rogue)
    drifts.append(("a tag added by hand to the alert topic", [topic.rsplit(":", 1)[-1]], []))

    group = trading["log_group"]["logGroupName"]
    t_logs = t.client("logs", endpoint_url=endpoint)
    t_logs.tag_log_group(logGroupName=group, tags={"Rogue": "by-hand"})
    t_logs.untag_log_group(logGroupName=group, tags=["CostCenter"])
    t_logs.put_metric_filter(logGroupName=group, filterName=f"stale-filter-trading-{suffix}", filterPattern="REJECT",
                             metricTransformations=[{"metricName": "Stale", "metricNamespace": "Stale", "metricValue": "1"}])
    drifts.append(("the flow-log group's tags edited by hand", [group], []))
    drifts.append(("a stale metric filter of ours", [f"stale-filter-trading-{suffix}"], []))

    flow_log = next(f for f in analytics["flow_logs"] if f.get("LogDestinationType") == "s3")
    a_ec2.create_tags(Resources=[flow_log["FlowLogId"]], Tags=rogue)
    drifts.append(("a tag added by hand to a flow log", [f"fl-analytics-{suffix}"], []))

    peer_cidrs = {s["CidrBlock"] for s in private(analytics, "subnets", "subnet-private")}
    entry = next(e for e in t_nacl["Entries"] if not e["Egress"] and e["RuleAction"] == "allow" and e.get("Protocol") == "6"
                 and e.get("PortRange", {}).get("From") == 443 and e.get("CidrBlock") in peer_cidrs)
    t_ec2.replace_network_acl_entry(NetworkAclId=t_nacl["NetworkAclId"], RuleNumber=entry["RuleNumber"], Protocol="6",
                                    RuleAction="allow", Egress=False, CidrBlock=entry["CidrBlock"], PortRange={"From": 8443, "To": 8443})
    drifts.append(("a network ACL entry edited in place (443 -> 8443)", [t_nacl["NetworkAclId"], str(entry["RuleNumber"])],
                   [t_nacl["NetworkAclId"]]))

    permission = next(p for p in a_sg["IpPermissions"] if p.get("FromPort") == 443 and p.get("IpRanges"))
    a_ec2.update_security_group_rule_descriptions_ingress(GroupId=a_sg["GroupId"], IpPermissions=[{
        "IpProtocol": permission["IpProtocol"], "FromPort": 443, "ToPort": permission["ToPort"],
        "IpRanges": [{"CidrIp": permission["IpRanges"][0]["CidrIp"], "Description": "edited by hand"}]}])
    drifts.append(("a security group rule's description edited", [a_sg["GroupId"]], []))
    egress = next(p for p in a_sg["IpPermissionsEgress"] if p.get("FromPort") == 443 and p.get("IpRanges"))
    a_ec2.update_security_group_rule_descriptions_egress(GroupId=a_sg["GroupId"], IpPermissions=[{
        "IpProtocol": egress["IpProtocol"], "FromPort": 443, "ToPort": egress["ToPort"],
        "IpRanges": [{"CidrIp": egress["IpRanges"][0]["CidrIp"], "Description": "edited by hand"}]}])
    drifts.append(("an egress rule's description edited", [a_sg["GroupId"]], []))

    t_kms = t.client("kms", endpoint_url=endpoint)
    t_alias, t_key = next((alias, key) for alias, key in sorted(trading["kms_keys"].items()) if key and "flowlogs" in alias)
    t_kms.schedule_key_deletion(KeyId=t_key["KeyMetadata"]["KeyId"], PendingWindowInDays=7)
    drifts.append(("the flow-log key scheduled for deletion", [t_alias.replace("alias/", "")], []))
    a_kms = a.client("kms", endpoint_url=endpoint)
    a_alias, a_key = next((alias, key) for alias, key in sorted(analytics["kms_keys"].items()) if key and "config" in alias)
    a_key_id = a_key["KeyMetadata"]["KeyId"]
    a_kms.update_key_description(KeyId=a_key_id, Description="edited by hand")
    a_kms.tag_resource(KeyId=a_key_id, Tags=[{"TagKey": "Rogue", "TagValue": "by-hand"}])
    policy = json.loads(a_kms.get_key_policy(KeyId=a_key_id, PolicyName="default")["Policy"])
    policy["Statement"] = policy["Statement"][:1]
    a_kms.put_key_policy(KeyId=a_key_id, PolicyName="default", Policy=json.dumps(policy))
    drifts.append(("the Config key's description, tags and policy edited", [a_alias.replace("alias/", "")], []))

    iam = a.client("iam", endpoint_url=endpoint)
    role = f"peering-accepter-analytics-{suffix}"
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    trust["Statement"].append({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{analytics['account_id']}:root"},
                               "Action": "sts:AssumeRole"})
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(trust))
    iam.update_role(RoleName=role, Description="edited by hand")
    iam.tag_role(RoleName=role, Tags=rogue)
    drifts.append(("the acceptance role's trust (a whole account added), description and tags edited", [role], []))
    return drifts


RUNS = []


def playbook(inventory, *args):
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "ansible-playbook"), *args, "-i", str(inventory)], cwd=ROOT,
                          capture_output=True, text=True, check=False, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")))
    output = done.stdout + done.stderr
    if os.environ.get("DRIFT_LOG_DIR"):
        RUNS.append(args)
        Path(os.environ["DRIFT_LOG_DIR"], f"drift-{len(RUNS)}.log").write_text(" ".join(args) + "\n" + output, encoding="utf-8")
    return done.returncode, output


def missing(output, drifts, index):
    return [f"{what}: {needle!r} not named" for what, *needles in drifts for needle in needles[index] if needle not in output]


def main(argv=None):
    inventory = Path((argv or sys.argv[1:])[0])
    problems = []
    drifts = seed(inventory)
    print(f"drift: seeded {len(drifts)} drifts")
    code, output = playbook(inventory, "site.yml", "--check", "--diff")
    if code != 0 or not any(f"changed={n}" in output.split("PLAY RECAP")[-1] for n in range(1, 100)):
        problems.append(f"--check did not report the drift as a change (rc {code})")
    problems += missing(output, drifts, 0)
    code, output = playbook(inventory, "playbooks/reachability.yml")
    if code == 0:
        problems.append("the reachability proof passed on a drifted network")
    problems += missing(output, drifts, 1)
    code, output = playbook(inventory, "site.yml")
    if code != 0:
        problems.append(f"the repairing run failed:\n{output[-3000:]}")
    code, output = playbook(inventory, "site.yml", "--check")
    if code != 0 or any(f"changed={n}" in output for n in range(1, 100)):
        problems.append("--check after the repair still reports changes:\n" + output[-3000:])
    code, output = playbook(inventory, "playbooks/reachability.yml")
    if code != 0:
        problems.append("the reachability proof fails after the repair:\n" + output[-3000:])
    for problem in problems:
        print(f"drift: {problem}")
    if not problems:
        print(f"drift: every one of the {len(drifts)} drifts was named by --check (and the network ones by the reachability proof), "
              "and repaired")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
