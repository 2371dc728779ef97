"""Unit tests for netsec.aws_peering.security_groups (moto in-process)."""

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import plain
from ansible_collections.netsec.aws_peering.plugins.module_utils.security_plan import plan_security_groups
from ansible_collections.netsec.aws_peering.plugins.modules import security_groups as sgm


@pytest.fixture
def vpc_id(ec2):
    return ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


GROUP = {
    "name": "sg-peering-trading-test",
    "description": "Peered workloads of trading",
    "tags": {"CostCenter": "CC-1"},
    "ingress": [
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.1.0.0/24", "description": "peer 10.1.0.0/24 tcp/443"},
        {"protocol": "tcp", "from_port": 5432, "to_port": 5432, "cidr_ip": "10.1.0.0/24", "description": "peer 10.1.0.0/24 tcp/5432"},
        {"protocol": "udp", "from_port": 1000, "to_port": 2000, "cidr_ipv6": "2001:db8::/56", "description": "extra ingress 2001:db8::/56"},
    ],
    "egress": [
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.1.0.0/24", "description": "peer 10.1.0.0/24 tcp/443"},
        {"protocol": "icmp", "cidr_ip": "10.9.0.0/16", "description": "extra egress 10.9.0.0/16"},
    ],
}


def args(vpc_id, groups=None, **extra):
    out = {"vpc_id": vpc_id, "network_name": "trading", "groups": groups if groups is not None else [GROUP]}
    out.update(extra)
    return out


def described(ec2, vpc_id):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    return {"vpc": {"VpcId": vpc_id}, "security_groups": plain(groups)}


def group(ec2, vpc_id, name="sg-peering-trading-test"):
    return next(g for g in described(ec2, vpc_id)["security_groups"] if g["GroupName"] == name)


def test_create_then_idempotent_with_no_write_call(run_module, ec2, vpc_id, api_calls):
    result = run_module(sgm, args(vpc_id), diff=True)
    assert result["failed"] is False, result
    assert result["changed"] is True and result["groups"][0]["action"] == "created"
    made = group(ec2, vpc_id)
    assert result["groups"][0]["group_id"] == made["GroupId"]
    tags = {t["Key"]: t["Value"] for t in made["Tags"]}
    assert tags == {"CostCenter": "CC-1", "ManagedBy": "netsec.aws_peering", "Network": "trading", "Name": "sg-peering-trading-test"}
    egress = [(p["IpProtocol"], p.get("FromPort"), r.get("CidrIp")) for p in made["IpPermissionsEgress"] for r in p.get("IpRanges", [])]
    assert ("-1", None, "0.0.0.0/0") not in egress and ("tcp", 443, "10.1.0.0/24") in egress and ("icmp", -1, "10.9.0.0/16") in egress
    assert "+" not in result["diff"]["before"] and "sg-peering-trading-test" in result["diff"]["after"]
    assert result["state"]["security_groups"]
    # the controller's planner, on the same description, plans nothing: the module and the plan agree
    assert plan_security_groups(described(ec2, vpc_id), [GROUP], "trading")["changes"] == []
    api_calls.clear()
    again = run_module(sgm, args(vpc_id))
    assert again["changed"] is False and again["changes"] == [] and again["groups"][0]["action"] == "unchanged"
    assert api_calls.writes() == []


def test_drift_repaired_in_one_run(run_module, ec2, vpc_id):
    run_module(sgm, args(vpc_id))
    gid = group(ec2, vpc_id)["GroupId"]
    ssh = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.1.0.0/24"}]}
    described_by_hand = dict(https, IpRanges=[{"CidrIp": "10.1.0.0/24", "Description": "hand"}])
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[ssh])
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[https])
    ec2.update_security_group_rule_descriptions_ingress(GroupId=gid, IpPermissions=[described_by_hand])
    check = run_module(sgm, args(vpc_id), check_mode=True)
    assert sorted((c["op"], c["field"]) for c in check["changes"]) == [
        ("authorize", "egress tcp/443 10.1.0.0/24"), ("describe", "ingress tcp/443 10.1.0.0/24 description"), ("revoke", "ingress tcp/22 0.0.0.0/0")]
    result = run_module(sgm, args(vpc_id))
    assert result["changed"] is True and len(result["changes"]) == 3
    assert plan_security_groups(described(ec2, vpc_id), [GROUP], "trading")["changes"] == []


def test_check_mode_changes_nothing(run_module, ec2, vpc_id, api_calls):
    result = run_module(sgm, args(vpc_id), check_mode=True)
    assert result["changed"] is True and result["groups"][0] == {"name": "sg-peering-trading-test", "group_id": None, "action": "created"}
    assert api_calls.writes() == []
    assert [g["GroupName"] for g in described(ec2, vpc_id)["security_groups"]] == ["default"]


def test_someone_elses_group_is_refused_and_never_deleted(run_module, ec2, vpc_id):
    theirs = ec2.create_security_group(VpcId=vpc_id, GroupName="sg-peering-trading-test", Description="app team's")["GroupId"]
    result = run_module(sgm, args(vpc_id))
    assert result["failed"] is True and theirs in result["msg"] and "someone else's" in result["msg"]
    gone = run_module(sgm, args(vpc_id, groups=[{"name": "sg-peering-trading-test"}], state="absent"))
    assert gone["failed"] is False and gone["changed"] is False
    assert group(ec2, vpc_id)["GroupId"] == theirs


def test_absent_deletes_ours_twice(run_module, ec2, vpc_id):
    run_module(sgm, args(vpc_id))
    other = ec2.create_security_group(VpcId=vpc_id, GroupName="app", Description="app")["GroupId"]
    result = run_module(sgm, args(vpc_id, groups=[{"name": "sg-peering-trading-test"}], state="absent"))
    assert result["changed"] is True and result["groups"][0]["action"] == "deleted"
    assert sorted(g["GroupName"] for g in described(ec2, vpc_id)["security_groups"]) == ["app", "default"]
    again = run_module(sgm, args(vpc_id, groups=[{"name": "sg-peering-trading-test"}], state="absent"))
    assert again["changed"] is False and again["groups"][0]["action"] == "absent"
    assert group(ec2, vpc_id, "app")["GroupId"] == other


@pytest.mark.parametrize("rule, message", [
    ({"protocol": "tcp", "cidr_ip": "10.0.0.0/8"}, "needs from_port and to_port"),
    ({"protocol": "tcp", "from_port": 1, "to_port": 1}, "exactly one of"),
    ({"protocol": "gre", "from_port": 1, "to_port": 1, "cidr_ip": "10.0.0.0/8"}, "must be tcp, udp"),
])
def test_bad_rules_refused_before_any_write(run_module, ec2, vpc_id, api_calls, rule, message):
    result = run_module(sgm, args(vpc_id, groups=[dict(GROUP, ingress=[rule])]))
    assert result["failed"] is True and message in result["msg"]
    assert api_calls.writes() == []


def test_missing_vpc_fails(run_module, ec2):
    result = run_module(sgm, args("vpc-0000000000000000a"))
    assert result["failed"] is True and "does not exist in this account and region" in result["msg"]
