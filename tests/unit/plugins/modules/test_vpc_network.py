"""Unit tests for netsec.aws_peering.vpc_network (moto in-process).

Every AWS call of a run is recorded (botocore's ``_make_api_call``), so idempotence and check mode are
proven by "no write call at all", not by the reported ``changed``.
"""

from __future__ import annotations


import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_plan import plan_network
from ansible_collections.netsec.aws_peering.plugins.modules import vpc_network

NAMES = site_names("trading", "sandbox")
COMMON = {"CostCenter": "CC-4410", "Environment": "sandbox"}
ARGS = {"network_name": "trading", "environment_suffix": "sandbox", "vpc_cidr": "10.0.0.0/16", "tags": COMMON}
OURS = {"ManagedBy": "netsec.aws_peering", "Network": "trading"}


@pytest.fixture
def converged(ec2, run_module):
    result = run_module(vpc_network, ARGS)
    assert result["failed"] is False, result
    return result


def by_vpc(vpc_id):
    return [{"Name": "vpc-id", "Values": [vpc_id]}]


def snapshot(ec2, vpc_id):
    """Everything of a VPC, as describe_* shows it (for before/after comparisons)."""
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    return {
        "vpc": vpc,
        "dns": [ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=a)[a[0].upper() + a[1:]] for a in ("enableDnsSupport", "enableDnsHostnames")],
        "subnets": sorted(ec2.describe_subnets(Filters=by_vpc(vpc_id))["Subnets"], key=lambda s: s["SubnetId"]),
        "route_tables": sorted(ec2.describe_route_tables(Filters=by_vpc(vpc_id))["RouteTables"], key=lambda t: t["RouteTableId"]),
        "network_acls": sorted(ec2.describe_network_acls(Filters=by_vpc(vpc_id))["NetworkAcls"], key=lambda n: n["NetworkAclId"]),
        "security_groups": sorted(ec2.describe_security_groups(Filters=by_vpc(vpc_id))["SecurityGroups"], key=lambda g: g["GroupId"]),
    }


def ours(items, network="trading"):
    return [item for item in items if tag_dict(item.get("Tags")).get("ManagedBy") == "netsec.aws_peering"
            and tag_dict(item.get("Tags")).get("Network") == network]


def our_vpcs(ec2):
    return [v for v in ec2.describe_vpcs()["Vpcs"] if tag_dict(v.get("Tags")).get("Name") == NAMES["vpc"]]


def for_cidr(items, cidr):
    return next(item for item in items if item["CidrBlock"] == cidr)


# ---------------------------------------------------------------------------------------------- create, idempotence
def test_create_from_empty_then_second_run_writes_nothing(ec2, run_module, api_calls):
    result = run_module(vpc_network, ARGS)
    assert result["failed"] is False, result
    assert result["changed"] is True
    vpcs = our_vpcs(ec2)
    assert len(vpcs) == 1
    vpc_id = vpcs[0]["VpcId"]
    assert tag_dict(vpcs[0]["Tags"]) == dict(COMMON, **OURS, Name=NAMES["vpc"])
    now = snapshot(ec2, vpc_id)
    assert now["dns"] == [{"Value": True}, {"Value": True}]

    subnets = sorted(now["subnets"], key=lambda s: s["CidrBlock"])
    assert [(s["CidrBlock"], s["AvailabilityZone"], s["MapPublicIpOnLaunch"]) for s in subnets] == [
        ("10.0.0.0/24", "us-east-1a", False), ("10.0.1.0/24", "us-east-1b", False), ("10.0.2.0/24", "us-east-1c", False)]
    for i, subnet in enumerate(subnets):
        assert tag_dict(subnet["Tags"]) == dict(COMMON, **OURS, Name=NAMES["subnets"][i], Tier="private")

    tables = {tag_dict(t.get("Tags")).get("Name"): t for t in now["route_tables"]}
    assert len(now["route_tables"]) == 4
    main = [t for t in now["route_tables"] if any(a.get("Main") for a in t["Associations"])]
    assert [tag_dict(t["Tags"]).get("Name") for t in main] == [NAMES["main_route_table"]]
    for i, subnet in enumerate(subnets):
        table = tables[NAMES["route_tables"][i]]
        assert tag_dict(table["Tags"]) == dict(COMMON, **OURS, Name=NAMES["route_tables"][i], Tier="private")
        assert [a["SubnetId"] for a in table["Associations"]] == [subnet["SubnetId"]]

    acls = {n["IsDefault"]: n for n in now["network_acls"]}
    assert len(now["network_acls"]) == 2
    private = acls[False]
    assert tag_dict(private["Tags"]) == dict(COMMON, **OURS, Name=NAMES["private_nacl"], Tier="private")
    assert sorted(a["SubnetId"] for a in private["Associations"]) == sorted(s["SubnetId"] for s in subnets)
    assert sorted((e["RuleNumber"], e["Egress"], e["RuleAction"], e["CidrBlock"], e["Protocol"]) for e in private["Entries"]
                  if e["RuleNumber"] != 32767) == [(100, False, "allow", "10.0.0.0/16", "-1"), (100, True, "allow", "10.0.0.0/16", "-1")]
    default_acl = acls[True]
    assert tag_dict(default_acl["Tags"]).get("Name") == NAMES["default_nacl"]
    assert [e for e in default_acl["Entries"] if e["RuleAction"] == "allow" and e["RuleNumber"] != 32767] == []
    group = next(g for g in now["security_groups"] if g["GroupName"] == "default")
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    assert tag_dict(group["Tags"]).get("Name") == NAMES["default_security_group"]

    layout = result["layout"]
    assert layout["vpc_id"] == vpc_id and layout["nacl_id"] == private["NetworkAclId"]
    assert [(s["subnet_id"], s["route_table_id"]) for s in layout["subnets"]] == [
        (s["SubnetId"], tables[NAMES["route_tables"][i]]["RouteTableId"]) for i, s in enumerate(subnets)]
    assert result["state"]["vpc"]["VpcId"] == vpc_id and len(result["state"]["subnets"]) == 3

    api_calls.clear()
    again = run_module(vpc_network, ARGS)
    assert again["failed"] is False
    assert (again["changed"], again["changes"]) == (False, [])
    assert api_calls.writes() == []
    assert again["layout"] == layout
    assert snapshot(ec2, vpc_id) == now


def test_changes_of_a_normal_run_are_the_changes_made(ec2, run_module):
    result = run_module(vpc_network, ARGS)
    assert result["failed"] is False
    created = [c["resource"] for c in result["changes"] if c["action"] == "create"]
    assert sorted(created) == sorted(set(created))
    assert len([c for c in created if c.startswith("subnet ")]) == 3


def test_check_mode_on_an_empty_account_writes_nothing_and_shows_the_plan(ec2, run_module, api_calls):
    result = run_module(vpc_network, ARGS, check_mode=True, diff=True)
    assert result["failed"] is False, result
    assert api_calls.writes() == []
    assert our_vpcs(ec2) == []
    assert result["changed"] is True
    state = {"availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
             "vpc": None, "vpc_candidates": []}
    spec = vpc_network.spec_of(dict({key: None for key in ("vpc_id", "vpc_adopt_tags")}, az_count=3, subnet_prefix=24,
                                    subnet_offset=0, private_subnet_cidrs=[], close_default_security_group=True,
                                    close_default_nacl=True, adopted_vpc_enable_dns=False, adopted_vpc_close_defaults=False,
                                    require_dns=False, **ARGS))
    assert result["changes"] == plan_network(state, spec)["changes"]
    assert result["diff"]["after"]["vpc vpc-trading-sandbox"] == "10.0.0.0/16"
    assert result["diff"]["before"]["vpc vpc-trading-sandbox"] is None
    assert set(result["diff"]["before"]) == {c["resource"] for c in result["changes"]}


def test_drift_is_shown_in_check_mode_then_repaired_with_only_the_needed_writes(ec2, converged, run_module, api_calls):
    """DNS hostnames revoked, public IPs on, a tag removed, a subnet back on the main table, one on the default ACL."""
    vpc_id = converged["layout"]["vpc_id"]
    subnet, second, third = converged["layout"]["subnets"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    ec2.modify_subnet_attribute(SubnetId=subnet["subnet_id"], MapPublicIpOnLaunch={"Value": True})
    ec2.delete_tags(Resources=[subnet["route_table_id"]], Tags=[{"Key": "Environment"}])
    table = ec2.describe_route_tables(RouteTableIds=[second["route_table_id"]])["RouteTables"][0]
    ec2.disassociate_route_table(AssociationId=table["Associations"][0]["RouteTableAssociationId"])
    default_acl = ec2.describe_network_acls(Filters=by_vpc(vpc_id) + [{"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    private = ec2.describe_network_acls(NetworkAclIds=[converged["layout"]["nacl_id"]])["NetworkAcls"][0]
    assoc = next(a for a in private["Associations"] if a["SubnetId"] == third["subnet_id"])
    ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=default_acl["NetworkAclId"])
    api_calls.clear()

    check = run_module(vpc_network, ARGS, check_mode=True, diff=True)
    assert api_calls.writes() == []
    assert check["changed"] is True
    assert sorted((c["resource"], c["field"]) for c in check["changes"]) == sorted([
        (f"vpc {vpc_id}", "EnableDnsHostnames"), (f"subnet {subnet['subnet_id']}", "MapPublicIpOnLaunch"),
        (f"route-table {subnet['route_table_id']}", "tags"), (f"subnet {second['subnet_id']}", "route_table"),
        (f"subnet {third['subnet_id']}", "network_acl")])
    assert check["diff"]["before"][f"vpc {vpc_id}"] is False and check["diff"]["after"][f"vpc {vpc_id}"] is True
    assert check["diff"]["after"][f"route-table {subnet['route_table_id']}"] == {"Environment": "sandbox"}

    api_calls.clear()
    fixed = run_module(vpc_network, ARGS)
    assert fixed["changed"] is True
    assert sorted(api_calls.writes()) == ["AssociateRouteTable", "CreateTags", "ModifySubnetAttribute", "ModifyVpcAttribute",
                                          "ReplaceNetworkAclAssociation"]
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True
    assert ec2.describe_subnets(SubnetIds=[subnet["subnet_id"]])["Subnets"][0]["MapPublicIpOnLaunch"] is False
    now = snapshot(ec2, vpc_id)
    table = next(t for t in now["route_tables"] if t["RouteTableId"] == second["route_table_id"])
    assert [a["SubnetId"] for a in table["Associations"]] == [second["subnet_id"]]
    private = next(n for n in now["network_acls"] if n["NetworkAclId"] == converged["layout"]["nacl_id"])
    assert third["subnet_id"] in [a["SubnetId"] for a in private["Associations"]]

    api_calls.clear()
    assert run_module(vpc_network, ARGS)["changed"] is False
    assert api_calls.writes() == []


# ---------------------------------------------------------------------------------------------- adopted VPC
def legacy_vpc(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.5.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "legacy"}, {"Key": "Owner", "Value": "platform"}]}])["Vpc"]["VpcId"]
    foreign = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.5.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return vpc_id, foreign


def untouchable(snap):
    """What the collection must never change in an adopted VPC: the VPC, DNS, main table, default group and ACL, others' subnets."""
    main = [t for t in snap["route_tables"] if any(a.get("Main") for a in t["Associations"])]
    return {"vpc": snap["vpc"], "dns": snap["dns"], "main": main,
            "default_group": [g for g in snap["security_groups"] if g["GroupName"] == "default"],
            "default_acl": [n for n in snap["network_acls"] if n["IsDefault"]],
            "others": [s for s in snap["subnets"] if not ours([s])]}


ADOPT = dict(ARGS, vpc_cidr=None, private_subnet_cidrs=["10.5.10.0/24", "10.5.11.0/24", "10.5.12.0/24"])


def test_adopted_vpc_is_left_unchanged(ec2, run_module, api_calls):
    vpc_id, foreign = legacy_vpc(ec2)
    before = snapshot(ec2, vpc_id)
    # The emulator's defaults are open, as AWS's are: they stay so.
    assert untouchable(before)["default_group"][0]["IpPermissionsEgress"]
    assert any(e["RuleAction"] == "allow" and e["RuleNumber"] == 100 for e in untouchable(before)["default_acl"][0]["Entries"])
    result = run_module(vpc_network, dict(ADOPT, vpc_id=vpc_id))
    assert result["failed"] is False, result
    after = snapshot(ec2, vpc_id)
    assert untouchable(after) == untouchable(before)
    assert sorted(s["CidrBlock"] for s in ours(after["subnets"])) == ADOPT["private_subnet_cidrs"]
    assert len(ours(after["route_tables"])) == 3 and len(ours(after["network_acls"])) == 1
    assert our_vpcs(ec2) == []
    # By tags too, and idempotent.
    api_calls.clear()
    again = run_module(vpc_network, dict(ADOPT, vpc_adopt_tags={"Name": "legacy", "Owner": "platform"}))
    assert (again["failed"], again["changed"], api_calls.writes()) == (False, False, [])
    assert again["layout"]["vpc_id"] == vpc_id and foreign not in [s["subnet_id"] for s in again["layout"]["subnets"]]


def test_adopted_vpc_with_dns_required_fails_before_any_write(ec2, run_module, api_calls):
    vpc_id = legacy_vpc(ec2)[0]
    api_calls.clear()
    result = run_module(vpc_network, dict(ADOPT, vpc_id=vpc_id, require_dns=True))
    assert result["failed"] is True
    assert "vpc_adopted_enable_dns" in result["msg"] and vpc_id in result["msg"]
    assert api_calls.writes() == []


def test_a_cidr_used_by_someone_else_fails_naming_the_subnet(ec2, run_module, api_calls):
    vpc_id, foreign = legacy_vpc(ec2)
    api_calls.clear()
    result = run_module(vpc_network, dict(ADOPT, vpc_id=vpc_id, private_subnet_cidrs=["10.5.0.0/24", "10.5.1.0/24", "10.5.2.0/24"]))
    assert result["failed"] is True
    assert foreign in result["msg"] and "10.5.0.0/24" in result["msg"]
    assert api_calls.writes() == []


@pytest.mark.parametrize("args, named", [
    ({"vpc_id": "vpc-xyz"}, "vpc-xyz"),
    ({"vpc_id": "vpc-0123456789abcdef0", "vpc_adopt_tags": {"Name": "x"}}, "mutually exclusive"),
    ({"state": "gone"}, "gone"),
])
def test_bad_input_is_named_before_any_call(ec2, run_module, api_calls, args, named):
    api_calls.clear()
    result = run_module(vpc_network, dict(ARGS, **args))
    assert result["failed"] is True and named in result["msg"]
    assert api_calls == []


# ---------------------------------------------------------------------------------------------- teardown
def test_absent_removes_everything_it_created_and_a_second_absent_changes_nothing(ec2, converged, run_module, api_calls):
    vpc_id = converged["layout"]["vpc_id"]
    api_calls.clear()
    check = run_module(vpc_network, dict(ARGS, state="absent"), check_mode=True)
    assert check["changed"] is True and api_calls.writes() == []
    assert [c["resource"] for c in check["changes"]][-1] == f"vpc {vpc_id}"
    assert len(our_vpcs(ec2)) == 1
    result = run_module(vpc_network, dict(ARGS, state="absent"))
    assert result["failed"] is False, result
    assert result["changes"] == check["changes"]
    assert result["changed"] is True
    assert our_vpcs(ec2) == []
    assert ec2.describe_subnets(Filters=by_vpc(vpc_id))["Subnets"] == []
    assert ec2.describe_route_tables(Filters=by_vpc(vpc_id))["RouteTables"] == []
    # (moto leaves the default ACL of a deleted VPC behind; AWS removes it with the VPC)
    assert [n["IsDefault"] for n in ec2.describe_network_acls(Filters=by_vpc(vpc_id))["NetworkAcls"]] in ([], [True])
    assert ours(ec2.describe_subnets()["Subnets"]) == []
    api_calls.clear()
    again = run_module(vpc_network, dict(ARGS, state="absent"))
    assert (again["failed"], again["changed"], again["changes"]) == (False, False, [])
    assert api_calls.writes() == []


def test_absent_in_an_adopted_vpc_removes_only_ours(ec2, run_module):
    vpc_id, foreign = legacy_vpc(ec2)
    assert run_module(vpc_network, dict(ADOPT, vpc_id=vpc_id))["failed"] is False
    before = untouchable(snapshot(ec2, vpc_id))
    result = run_module(vpc_network, dict(ADOPT, vpc_id=vpc_id, state="absent"))
    assert result["failed"] is False and result["changed"] is True
    after = snapshot(ec2, vpc_id)
    assert ours(after["subnets"]) == [] and ours(after["route_tables"]) == [] and ours(after["network_acls"]) == []
    assert [s["SubnetId"] for s in after["subnets"]] == [foreign]
    assert untouchable(after)["vpc"] == before["vpc"] and untouchable(after)["main"] == before["main"]


# ---------------------------------------------------------------------------------------------- kill safety
def test_a_killed_run_is_finished_without_duplicates(ec2, run_module):
    """A first run killed after the VPC and one route table: the next run finds both and creates only the rest."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": k, "Value": v} for k, v in dict(COMMON, **OURS, Name=NAMES["vpc"]).items()]}])["Vpc"]["VpcId"]
    table_id = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=[
        {"ResourceType": "route-table",
         "Tags": [{"Key": k, "Value": v} for k, v in dict(COMMON, **OURS, Name=NAMES["route_tables"][0], Tier="private").items()]}]
    )["RouteTable"]["RouteTableId"]
    result = run_module(vpc_network, ARGS)
    assert result["failed"] is False, result
    assert [v["VpcId"] for v in our_vpcs(ec2)] == [vpc_id]
    now = snapshot(ec2, vpc_id)
    names = sorted(tag_dict(t.get("Tags")).get("Name") for t in ours(now["route_tables"]))
    assert names == NAMES["route_tables"]
    assert result["layout"]["subnets"][0]["route_table_id"] == table_id
    assert len(ours(now["subnets"])) == 3 and len(ours(now["network_acls"])) == 1
    assert len(now["route_tables"]) == 4
