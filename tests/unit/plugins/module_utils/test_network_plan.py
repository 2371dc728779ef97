"""Tables of cases for the network stage's planner (plugins/module_utils/network_plan.py), pure Python.

Site states are built by hand in the shapes of docs/dev/site-state.md (describe_* output, CamelCase).
``converged()`` is a site exactly as the network stage leaves it; every drift case changes one thing
in it and names the one change the planner must plan for it. The builders are shared with
test_peering_plan.py and test_outputs.py.
"""

from __future__ import annotations

import copy
import hashlib

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils import network_plan as np
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names

OWNER = "netsec.aws_peering"
SUFFIX = "sandbox"
COMMON = {"CostCenter": "CC-4410", "Environment": "sandbox"}
ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]


def tags(**values):
    return [{"Key": k, "Value": v} for k, v in values.items()]


def ours(network, **extra):
    return tags(**COMMON, ManagedBy=OWNER, Network=network, **extra)


def rid(prefix, *parts):
    """A deterministic EC2 ID of the real shape (prefix and 17 hex digits)."""
    return f"{prefix}-" + hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:17]


def converged(network="trading", cidr="10.0.0.0/16", account="111111111111", third_octet=0):
    """A site exactly as the network stage leaves it: VPC, three private subnets with a table each, the private ACL,
    main table named, default group and ACL closed and named."""
    names = site_names(network, SUFFIX)
    vpc_id = rid("vpc", network)
    first = int(cidr.split(".")[1])
    subnets, tables, assoc_acl = [], [], []
    for i in range(3):
        subnet_id = rid("subnet", network, i)
        subnets.append({"SubnetId": subnet_id, "VpcId": vpc_id, "CidrBlock": f"10.{first}.{third_octet + i}.0/24",
                        "AvailabilityZone": ZONES[i], "MapPublicIpOnLaunch": False, "State": "available",
                        "Tags": ours(network, Name=names["subnets"][i], Tier="private")})
        table_id = rid("rtb", network, i)
        tables.append({"RouteTableId": table_id, "VpcId": vpc_id, "OwnerId": account,
                       "Routes": [{"DestinationCidrBlock": cidr, "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"}],
                       "Associations": [{"Main": False, "RouteTableAssociationId": rid("rtbassoc", network, i), "RouteTableId": table_id,
                                         "SubnetId": subnet_id, "AssociationState": {"State": "associated"}}],
                       "Tags": ours(network, Name=names["route_tables"][i], Tier="private")})
        assoc_acl.append({"NetworkAclAssociationId": rid("aclassoc", network, i), "NetworkAclId": rid("acl", network, "private"),
                          "SubnetId": subnet_id})
    main_id = rid("rtb", network, "main")
    tables.insert(0, {"RouteTableId": main_id, "VpcId": vpc_id, "OwnerId": account,
                      "Routes": [{"DestinationCidrBlock": cidr, "GatewayId": "local", "State": "active", "Origin": "CreateRouteTable"}],
                      "Associations": [{"Main": True, "RouteTableAssociationId": rid("rtbassoc", network, "main"), "RouteTableId": main_id,
                                        "AssociationState": {"State": "associated"}}],
                      "Tags": tags(**COMMON, Name=names["main_route_table"])})
    deny = [{"RuleNumber": 32767, "Egress": egress, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"}
            for egress in (False, True)]
    acls = [
        {"NetworkAclId": rid("acl", network, "default"), "VpcId": vpc_id, "IsDefault": True, "Associations": [],
         "Entries": copy.deepcopy(deny), "Tags": tags(**COMMON, Name=names["default_nacl"])},
        {"NetworkAclId": rid("acl", network, "private"), "VpcId": vpc_id, "IsDefault": False, "Associations": assoc_acl,
         "Entries": np.intra_vpc_entries(cidr) + copy.deepcopy(deny), "Tags": ours(network, Name=names["private_nacl"], Tier="private")},
    ]
    groups = [{"GroupId": rid("sg", network, "default"), "GroupName": "default", "VpcId": vpc_id, "IpPermissions": [],
               "IpPermissionsEgress": [], "Tags": tags(**COMMON, Name=names["default_security_group"])}]
    return {
        "network_name": network, "environment_suffix": SUFFIX, "account_id": account, "partition": "aws", "region": "us-east-1",
        "availability_zones": list(ZONES),
        "vpc": {"VpcId": vpc_id, "CidrBlock": cidr, "OwnerId": account, "State": "available",
                "CidrBlockAssociationSet": [{"AssociationId": rid("vpc-cidr-assoc", network), "CidrBlock": cidr,
                                             "CidrBlockState": {"State": "associated"}}],
                "Tags": ours(network, Name=names["vpc"]), "EnableDnsSupport": True, "EnableDnsHostnames": True},
        "vpc_candidates": [vpc_id],
        "subnets": subnets, "route_tables": tables, "network_acls": acls, "security_groups": groups,
        "vpc_endpoints": [], "vpc_peering_connections": [], "flow_logs": [], "internet_gateways": [], "nat_gateways": [],
        "prefix_lists": [],
    }


def empty_account(network="trading"):
    return {"network_name": network, "environment_suffix": SUFFIX, "account_id": "111111111111", "partition": "aws",
            "region": "us-east-1", "availability_zones": list(ZONES), "vpc": None, "vpc_candidates": [], "subnets": [],
            "route_tables": [], "network_acls": [], "security_groups": []}


def spec(**extra):
    out = {"network_name": "trading", "environment_suffix": SUFFIX, "vpc_cidr": "10.0.0.0/16", "vpc_id": "", "vpc_adopt_tags": {},
           "adopt": False, "az_count": 3, "subnet_prefix": 24, "subnet_offset": 0, "private_subnet_cidrs": [],
           "close_default_security_group": True, "close_default_nacl": True, "adopted_vpc_enable_dns": False,
           "adopted_vpc_close_defaults": False, "require_dns": False, "tags": dict(COMMON)}
    out.update(extra)
    return out


def adopted(state=None):
    """The converged site, but its VPC, main table, default group and ACL belong to someone else (and are open)."""
    state = copy.deepcopy(state or converged())
    state["vpc"]["Tags"] = tags(Name="legacy-trading", Owner="platform")
    state["vpc"]["EnableDnsHostnames"] = False
    main = by_id(state["route_tables"], rid("rtb", "trading", "main"))
    main["Tags"] = tags(Name="legacy-main")
    default_group = state["security_groups"][0]
    default_group["Tags"] = []
    default_group["IpPermissions"] = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default_group["GroupId"]}]}]
    default_group["IpPermissionsEgress"] = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    default_acl = default_nacl(state)
    default_acl["Tags"] = []
    default_acl["Entries"] += [{"RuleNumber": 100, "Egress": e, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
                               for e in (False, True)]
    return state


def by_id(items, wanted):
    return next(item for item in items for key in ("RouteTableId", "NetworkAclId", "SubnetId", "GroupId") if item.get(key) == wanted)


def default_nacl(state):
    return next(n for n in state["network_acls"] if n["IsDefault"])


def private_nacl(state):
    return next(n for n in state["network_acls"] if not n["IsDefault"])


def summary(changes):
    return [(c["resource"], c["action"], c.get("field")) for c in changes]


# ---------------------------------------------------------------------------------------------- carve
@pytest.mark.parametrize("cidr, prefix, count, offset, expected", [
    ("10.0.0.0/16", 24, 3, 0, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
    ("10.0.0.0/16", 24, 3, 10, ["10.0.10.0/24", "10.0.11.0/24", "10.0.12.0/24"]),
    ("10.1.0.0/16", 20, 2, 0, ["10.1.0.0/20", "10.1.16.0/20"]),
    ("10.0.0.0/24", 26, 4, 0, ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26", "10.0.0.192/26"]),
    ("10.0.0.0/24", 28, 1, 15, ["10.0.0.240/28"]),
])
def test_carve(cidr, prefix, count, offset, expected):
    assert np.carve(cidr, prefix, count, offset) == expected


@pytest.mark.parametrize("cidr, prefix, count, offset, needle", [
    ("10.0.0.0/24", 26, 5, 0, "not enough room"),          # 4 /26 in a /24
    ("10.0.0.0/24", 26, 2, 3, "offset 3 \\+ count 2"),      # room for 4, needs 5
    ("10.0.0.0/16", 29, 1, 0, "outside the AWS subnet limits"),
    ("10.0.0.0/16", 15, 1, 0, "outside the AWS subnet limits"),
    ("10.0.0.0/24", 24, 1, 0, "not longer"),
    ("10.0.0.0/16", 24, 0, 0, "count: 0"),
    ("10.0.0.0/16", 24, 1, -1, "offset: -1"),
    ("10.0.0.1/16", 24, 1, 0, "host bits"),                 # strict: not a network address
    ("fd00::/56", 64, 1, 0, "not an IPv4 CIDR"),
])
def test_carve_refuses(cidr, prefix, count, offset, needle):
    with pytest.raises(ValueError, match=needle):
        np.carve(cidr, prefix, count, offset)


# ---------------------------------------------------------------------------------------------- greenfield
def test_empty_account_plans_the_whole_layout():
    plan = np.plan_network(empty_account(), spec())
    names = site_names("trading", SUFFIX)
    assert plan["errors"] == []
    assert summary(plan["changes"]) == [
        ("vpc vpc-trading-sandbox", "create", "cidr"),
        ("subnet subnet-private1-trading-sandbox", "create", "cidr"),
        ("route-table rtb-private1-trading-sandbox", "create", None),
        ("subnet subnet-private1-trading-sandbox", "update", "route_table"),
        ("subnet subnet-private2-trading-sandbox", "create", "cidr"),
        ("route-table rtb-private2-trading-sandbox", "create", None),
        ("subnet subnet-private2-trading-sandbox", "update", "route_table"),
        ("subnet subnet-private3-trading-sandbox", "create", "cidr"),
        ("route-table rtb-private3-trading-sandbox", "create", None),
        ("subnet subnet-private3-trading-sandbox", "update", "route_table"),
        ("network-acl nacl-private-trading-sandbox", "create", "entries"),
        ("subnet subnet-private1-trading-sandbox", "update", "network_acl"),
        ("subnet subnet-private2-trading-sandbox", "update", "network_acl"),
        ("subnet subnet-private3-trading-sandbox", "update", "network_acl"),
        ("route-table rtb-main-trading-sandbox", "update", "tags"),
    ]
    vpc = plan["changes"][0]
    assert vpc["spec"] == {"cidr": "10.0.0.0/16",
                           "tags": dict(COMMON, Network="trading", ManagedBy=OWNER, Name=names["vpc"])}
    creates = [c for c in plan["changes"] if c["resource"].startswith("subnet ") and c["action"] == "create"]
    assert [(c["spec"]["cidr"], c["spec"]["az"]) for c in creates] == [
        ("10.0.0.0/24", "us-east-1a"), ("10.0.1.0/24", "us-east-1b"), ("10.0.2.0/24", "us-east-1c")]
    for i, created in enumerate(creates):
        assert created["spec"]["tags"] == dict(COMMON, Network="trading", ManagedBy=OWNER, Name=names["subnets"][i], Tier="private")
    table = plan["changes"][2]
    assert table["spec"]["tags"] == dict(COMMON, Network="trading", ManagedBy=OWNER, Name=names["route_tables"][0], Tier="private")
    nacl = plan["changes"][10]
    assert nacl["after"] == [
        {"RuleNumber": 100, "Egress": False, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "10.0.0.0/16"},
        {"RuleNumber": 100, "Egress": True, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "10.0.0.0/16"}]
    assert nacl["spec"]["tags"]["ManagedBy"] == OWNER and nacl["spec"]["tags"]["Network"] == "trading"
    assert plan["layout"] == {"vpc_id": None, "vpc_cidr": "10.0.0.0/16", "subnets": [
        {"name": names["subnets"][i], "cidr": f"10.0.{i}.0/24", "az": ZONES[i], "route_table_name": names["route_tables"][i]}
        for i in range(3)]}


def test_empty_account_with_explicit_cidrs_offset_and_prefix():
    plan = np.plan_network(empty_account(), spec(subnet_prefix=20, subnet_offset=2))
    assert [c["spec"]["cidr"] for c in plan["changes"] if c["action"] == "create" and c["resource"].startswith("subnet")] == [
        "10.0.32.0/20", "10.0.48.0/20", "10.0.64.0/20"]
    plan = np.plan_network(empty_account(), spec(private_subnet_cidrs=["10.0.200.0/24", "10.0.201.0/24", "10.0.202.0/24"]))
    assert [c["spec"]["cidr"] for c in plan["changes"] if c["action"] == "create" and c["resource"].startswith("subnet")] == [
        "10.0.200.0/24", "10.0.201.0/24", "10.0.202.0/24"]


def test_fully_converged_plans_nothing():
    state = converged()
    plan = np.plan_network(state, spec())
    assert plan == {"errors": [], "changes": [], "layout": plan["layout"]}
    layout = plan["layout"]
    assert layout["vpc_id"] == state["vpc"]["VpcId"] and layout["vpc_cidr"] == "10.0.0.0/16"
    assert layout["nacl_id"] == private_nacl(state)["NetworkAclId"]
    assert [(s["subnet_id"], s["route_table_id"]) for s in layout["subnets"]] == [
        (state["subnets"][i]["SubnetId"], state["route_tables"][i + 1]["RouteTableId"]) for i in range(3)]


def test_a_nacl_entry_in_describe_shape_with_extra_keys_is_not_drift():
    """describe_network_acls may add keys the plan does not set: only the planned keys are compared."""
    state = converged()
    for entry in private_nacl(state)["Entries"]:
        entry["IcmpTypeCode"] = {}
    assert np.plan_network(state, spec())["changes"] == []


# ---------------------------------------------------------------------------------------------- drift: one change each
S1 = rid("subnet", "trading", 0)
T1, T2 = rid("rtb", "trading", 0), rid("rtb", "trading", 1)
MAIN = rid("rtb", "trading", "main")
VPC = rid("vpc", "trading")
PRIVATE_ACL, DEFAULT_ACL = rid("acl", "trading", "private"), rid("acl", "trading", "default")
DEFAULT_SG = rid("sg", "trading", "default")


def _dns_support_off(state):
    state["vpc"]["EnableDnsSupport"] = False


def _dns_hostnames_off(state):
    state["vpc"]["EnableDnsHostnames"] = False


def _vpc_tag_missing(state):
    state["vpc"]["Tags"] = [t for t in state["vpc"]["Tags"] if t["Key"] != "CostCenter"]


def _subnet_tag_missing(state):
    state["subnets"][0]["Tags"] = [t for t in state["subnets"][0]["Tags"] if t["Key"] != "Tier"]


def _subnet_tag_wrong(state):
    state["subnets"][0]["Tags"] = [t if t["Key"] != "Environment" else {"Key": "Environment", "Value": "prod"}
                                   for t in state["subnets"][0]["Tags"]]


def _public_ips(state):
    state["subnets"][0]["MapPublicIpOnLaunch"] = True


def _wrong_table(state):
    """Subnet 1 is associated with the table of subnet 2."""
    assoc = state["route_tables"][1]["Associations"].pop()
    assoc["RouteTableId"] = T2
    state["route_tables"][2]["Associations"].append(assoc)


def _main_table(state):
    """Subnet 1 has no explicit association: it uses the main table."""
    state["route_tables"][1]["Associations"] = []


def _disassociated(state):
    """A disassociated association is no association."""
    state["route_tables"][1]["Associations"][0]["AssociationState"] = {"State": "disassociated"}


def _table_tag_missing(state):
    state["route_tables"][1]["Tags"] = [t for t in state["route_tables"][1]["Tags"] if t["Key"] != "Environment"]


def _entry_100_changed(state):
    entry = next(e for e in private_nacl(state)["Entries"] if e["RuleNumber"] == 100 and not e["Egress"])
    entry["CidrBlock"] = "0.0.0.0/0"


def _entry_100_denies(state):
    entry = next(e for e in private_nacl(state)["Entries"] if e["RuleNumber"] == 100 and e["Egress"])
    entry["RuleAction"] = "deny"


def _entry_100_missing(state):
    acl = private_nacl(state)
    acl["Entries"] = [e for e in acl["Entries"] if not (e["RuleNumber"] == 100 and e["Egress"])]


def _nacl_tag_missing(state):
    acl = private_nacl(state)
    acl["Tags"] = [t for t in acl["Tags"] if t["Key"] != "Tier"]


def _on_default_acl(state):
    """Subnet 1 went back to the default ACL (which then keeps its allow entries: a subnet depends on them)."""
    assoc = private_nacl(state)["Associations"].pop(0)
    default_nacl(state)["Associations"].append(dict(assoc, NetworkAclId=DEFAULT_ACL))
    default_nacl(state)["Entries"] += [{"RuleNumber": 100, "Egress": e, "Protocol": "-1", "RuleAction": "allow",
                                        "CidrBlock": "0.0.0.0/0"} for e in (False, True)]


def _default_sg_ingress(state):
    state["security_groups"][0]["IpPermissions"] = [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": DEFAULT_SG}]}]


def _default_sg_egress(state):
    state["security_groups"][0]["IpPermissionsEgress"] = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


def _default_sg_name_missing(state):
    state["security_groups"][0]["Tags"] = tags(**COMMON)


def _default_acl_allows(state):
    default_nacl(state)["Entries"] += [{"RuleNumber": 100, "Egress": e, "Protocol": "-1", "RuleAction": "allow",
                                        "CidrBlock": "0.0.0.0/0"} for e in (False, True)]


def _default_acl_name_missing(state):
    default_nacl(state)["Tags"] = tags(**COMMON)


def _main_name_missing(state):
    state["route_tables"][0]["Tags"] = tags(**COMMON)


ALLOWS = [{"RuleNumber": 100, "Egress": e, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"} for e in (False, True)]
INTRA = np.intra_vpc_entries("10.0.0.0/16")


@pytest.mark.parametrize("drift, expected", [
    (_dns_support_off, [{"resource": f"vpc {VPC}", "action": "update", "field": "EnableDnsSupport", "before": False, "after": True,
                         "id": VPC}]),
    (_dns_hostnames_off, [{"resource": f"vpc {VPC}", "action": "update", "field": "EnableDnsHostnames", "before": False,
                           "after": True, "id": VPC}]),
    (_vpc_tag_missing, [{"resource": f"vpc {VPC}", "action": "update", "field": "tags", "before": {"CostCenter": None},
                         "after": {"CostCenter": "CC-4410"}, "id": VPC}]),
    (_subnet_tag_missing, [{"resource": f"subnet {S1}", "action": "update", "field": "tags", "before": {"Tier": None},
                            "after": {"Tier": "private"}, "id": S1}]),
    (_subnet_tag_wrong, [{"resource": f"subnet {S1}", "action": "update", "field": "tags", "before": {"Environment": "prod"},
                          "after": {"Environment": "sandbox"}, "id": S1}]),
    (_public_ips, [{"resource": f"subnet {S1}", "action": "update", "field": "MapPublicIpOnLaunch", "before": True, "after": False,
                    "id": S1}]),
    (_wrong_table, [{"resource": f"subnet {S1}", "action": "update", "field": "route_table", "before": T2, "after": T1, "id": S1,
                     "association_id": rid("rtbassoc", "trading", 0)}]),
    (_main_table, [{"resource": f"subnet {S1}", "action": "update", "field": "route_table", "before": "main", "after": T1, "id": S1}]),
    (_disassociated, [{"resource": f"subnet {S1}", "action": "update", "field": "route_table", "before": "main", "after": T1,
                       "id": S1}]),
    (_table_tag_missing, [{"resource": f"route-table {T1}", "action": "update", "field": "tags", "before": {"Environment": None},
                           "after": {"Environment": "sandbox"}, "id": T1}]),
    (_entry_100_changed, [{"resource": f"network-acl {PRIVATE_ACL}", "action": "update", "field": "entry 100 ingress",
                           "before": dict(INTRA[0], CidrBlock="0.0.0.0/0"), "after": INTRA[0], "id": PRIVATE_ACL,
                           "entry": INTRA[0], "replace": True}]),
    (_entry_100_denies, [{"resource": f"network-acl {PRIVATE_ACL}", "action": "update", "field": "entry 100 egress",
                          "before": dict(INTRA[1], RuleAction="deny"), "after": INTRA[1], "id": PRIVATE_ACL,
                          "entry": INTRA[1], "replace": True}]),
    (_entry_100_missing, [{"resource": f"network-acl {PRIVATE_ACL}", "action": "update", "field": "entry 100 egress",
                           "before": None, "after": INTRA[1], "id": PRIVATE_ACL, "entry": INTRA[1], "replace": False}]),
    (_nacl_tag_missing, [{"resource": f"network-acl {PRIVATE_ACL}", "action": "update", "field": "tags", "before": {"Tier": None},
                          "after": {"Tier": "private"}, "id": PRIVATE_ACL}]),
    (_on_default_acl, [{"resource": f"subnet {S1}", "action": "update", "field": "network_acl", "before": DEFAULT_ACL,
                        "after": PRIVATE_ACL, "id": S1, "association_id": rid("aclassoc", "trading", 0)}]),
    (_default_sg_ingress, [{"resource": f"security-group {DEFAULT_SG}", "action": "update", "field": "ingress rules",
                            "before": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": DEFAULT_SG}]}], "after": [],
                            "id": DEFAULT_SG, "rules": [{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": DEFAULT_SG}]}],
                            "egress": False}]),
    (_default_sg_egress, [{"resource": f"security-group {DEFAULT_SG}", "action": "update", "field": "egress rules",
                           "before": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}], "after": [],
                           "id": DEFAULT_SG, "rules": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
                           "egress": True}]),
    (_default_sg_name_missing, [{"resource": f"security-group {DEFAULT_SG}", "action": "update", "field": "tags",
                                 "before": {"Name": None}, "after": {"Name": "sg-default-trading-sandbox"}, "id": DEFAULT_SG}]),
    (_default_acl_allows, [{"resource": f"network-acl {DEFAULT_ACL}", "action": "update", "field": "allow entries",
                            "before": ALLOWS, "after": [], "id": DEFAULT_ACL, "entries": ALLOWS}]),
    (_default_acl_name_missing, [{"resource": f"network-acl {DEFAULT_ACL}", "action": "update", "field": "tags",
                                  "before": {"Name": None}, "after": {"Name": "nacl-default-trading-sandbox"}, "id": DEFAULT_ACL}]),
    (_main_name_missing, [{"resource": f"route-table {MAIN}", "action": "update", "field": "tags", "before": {"Name": None},
                           "after": {"Name": "rtb-main-trading-sandbox"}, "id": MAIN}]),
], ids=lambda value: value.__name__.strip("_") if callable(value) else "")
def test_each_drift_is_one_change(drift, expected):
    state = converged()
    drift(state)
    plan = np.plan_network(state, spec())
    assert plan["errors"] == []
    assert plan["changes"] == expected


def test_closing_the_defaults_can_be_turned_off():
    state = converged()
    _default_sg_ingress(state)
    _default_acl_allows(state)
    plan = np.plan_network(state, spec(close_default_security_group=False, close_default_nacl=False))
    assert plan["changes"] == []


def test_default_acl_never_planned_beyond_its_allow_entries():
    """Rule 32767 is AWS's and cannot be removed: never part of the allow entries, even when it allows."""
    state = converged()
    for entry in default_nacl(state)["Entries"]:
        entry["RuleAction"] = "allow"
    assert np.plan_network(state, spec())["changes"] == []


# ---------------------------------------------------------------------------------------------- adopted VPC
def adopt_spec(**extra):
    return spec(vpc_cidr="", vpc_id=VPC, adopt=True, **extra)


def test_adopted_vpc_is_left_as_found():
    """Never tags or changes the VPC, its main table, default group or default ACL; DNS off is not an error unless wanted."""
    plan = np.plan_network(adopted(), adopt_spec())
    assert plan == {"errors": [], "changes": [], "layout": plan["layout"]}


def test_adopted_vpc_gets_only_our_layout():
    state = adopted()
    state["subnets"], state["route_tables"] = [], state["route_tables"][:1]
    state["network_acls"] = [default_nacl(state)]
    plan = np.plan_network(state, adopt_spec(private_subnet_cidrs=["10.0.200.0/24", "10.0.201.0/24", "10.0.202.0/24"]))
    assert plan["errors"] == []
    kinds = {c["resource"].split(" ", 1)[0] for c in plan["changes"]}
    assert kinds == {"subnet", "route-table", "network-acl"}
    untouchable = {VPC, MAIN, DEFAULT_SG, DEFAULT_ACL}
    assert not [c for c in plan["changes"] if c.get("id") in untouchable or c["resource"].split(" ", 1)[1] in untouchable]
    assert [c["spec"]["cidr"] for c in plan["changes"] if c["action"] == "create" and c["resource"].startswith("subnet")] == [
        "10.0.200.0/24", "10.0.201.0/24", "10.0.202.0/24"]
    assert not any(c["resource"] == "route-table rtb-main-trading-sandbox" for c in plan["changes"])


@pytest.mark.parametrize("extra, fields", [
    ({"adopted_vpc_enable_dns": True}, [("vpc", "EnableDnsHostnames")]),
    ({"adopted_vpc_close_defaults": True}, [("security-group", "ingress rules"), ("security-group", "egress rules"),
                                            ("network-acl", "allow entries")]),
])
def test_adopted_vpc_changes_only_what_a_variable_asks_for_and_never_tags_it(extra, fields):
    plan = np.plan_network(adopted(), adopt_spec(**extra))
    assert plan["errors"] == []
    assert [(c["resource"].split(" ", 1)[0], c["field"]) for c in plan["changes"]] == fields


def test_adopted_vpc_without_dns_when_dns_is_required_names_the_variable():
    plan = np.plan_network(adopted(), adopt_spec(require_dns=True))
    assert len(plan["errors"]) == 1
    assert VPC in plan["errors"][0] and "EnableDnsHostnames" in plan["errors"][0]
    assert "vpc_adopted_enable_dns" in plan["errors"][0]
    # With the variable the collection turns it on instead.
    plan = np.plan_network(adopted(), adopt_spec(require_dns=True, adopted_vpc_enable_dns=True))
    assert plan["errors"] == [] and summary(plan["changes"]) == [(f"vpc {VPC}", "update", "EnableDnsHostnames")]


def test_adopted_vpc_subnet_cidr_of_someone_else_is_an_error_naming_it():
    state = adopted()
    foreign = state["subnets"][1]
    foreign["Tags"] = tags(Name="app-b")
    plan = np.plan_network(state, adopt_spec())
    assert len(plan["errors"]) == 1
    assert foreign["SubnetId"] in plan["errors"][0] and "10.0.1.0/24" in plan["errors"][0]
    assert "vpc_private_subnet_cidrs" in plan["errors"][0]


def test_our_subnet_of_another_network_is_not_ours():
    state = converged()
    state["subnets"][2]["Tags"] = ours("analytics", Name="subnet-private3-analytics-sandbox", Tier="private")
    plan = np.plan_network(state, spec())
    assert [state["subnets"][2]["SubnetId"] in e for e in plan["errors"]] == [True]


def test_adopted_vpc_that_does_not_exist():
    plan = np.plan_network(empty_account(), adopt_spec(vpc_adopt_tags={"Name": "legacy"}))
    assert plan["changes"] == []
    assert len(plan["errors"]) == 1 and VPC in plan["errors"][0] and "legacy" in plan["errors"][0]


# ---------------------------------------------------------------------------------------------- refusals
def test_several_vpc_candidates_is_an_error_listing_them():
    state = empty_account()
    state["vpc_candidates"] = ["vpc-0123456789abcdef0", "vpc-0fedcba9876543210"]
    plan = np.plan_network(state, spec())
    assert plan["changes"] == []
    assert len(plan["errors"]) == 1
    assert "2 VPCs" in plan["errors"][0]
    assert "vpc-0123456789abcdef0" in plan["errors"][0] and "vpc-0fedcba9876543210" in plan["errors"][0]


def test_vpc_cidr_mismatch_is_an_error():
    plan = np.plan_network(converged(), spec(vpc_cidr="10.9.0.0/16"))
    assert plan["changes"] == []
    assert len(plan["errors"]) == 1 and "10.9.0.0/16" in plan["errors"][0] and "10.0.0.0/16" in plan["errors"][0]


def test_a_secondary_cidr_matches():
    state = converged()
    state["vpc"]["CidrBlockAssociationSet"].append({"CidrBlock": "10.9.0.0/16", "CidrBlockState": {"State": "associated"}})
    plan = np.plan_network(state, spec(vpc_cidr="10.9.0.0/16"))
    assert plan["errors"] == []
    state["vpc"]["CidrBlockAssociationSet"][-1]["CidrBlockState"]["State"] = "disassociated"
    assert np.plan_network(state, spec(vpc_cidr="10.9.0.0/16"))["errors"] != []


def test_vpc_cidr_required_to_create():
    plan = np.plan_network(empty_account(), spec(vpc_cidr=""))
    assert plan["changes"] == [] and len(plan["errors"]) == 1 and "vpc_cidr" in plan["errors"][0]


@pytest.mark.parametrize("zones, extra", [
    (ZONES[:2], {}),
    (ZONES, {"az_count": 5}),
    (ZONES, {"private_subnet_cidrs": ["10.0.200.0/24", "10.0.201.0/24"]}),
])
def test_not_enough_zones_or_cidrs(zones, extra):
    state = empty_account()
    state["availability_zones"] = zones
    plan = np.plan_network(state, spec(**extra))
    assert len(plan["errors"]) == 1 and "vpc_az_count" in plan["errors"][0]
    assert [c for c in plan["changes"] if not c["resource"].startswith("vpc ")] == []


def test_carving_failure_is_an_error_naming_the_network():
    plan = np.plan_network(empty_account(), spec(vpc_cidr="10.0.0.0/24", subnet_prefix=24))
    assert len(plan["errors"]) == 1 and "trading" in plan["errors"][0] and "not longer" in plan["errors"][0]


def test_subnet_in_another_zone_is_an_error():
    state = converged()
    state["subnets"][0]["AvailabilityZone"] = "us-east-1d"
    plan = np.plan_network(state, spec())
    assert len(plan["errors"]) == 1 and S1 in plan["errors"][0] and "us-east-1d" in plan["errors"][0]


def test_two_tables_or_acls_of_the_same_name_are_an_error():
    state = converged()
    state["route_tables"].append(dict(copy.deepcopy(state["route_tables"][1]), RouteTableId=rid("rtb", "dup"), Associations=[]))
    plan = np.plan_network(state, spec())
    assert len(plan["errors"]) == 1 and T1 in plan["errors"][0] and rid("rtb", "dup") in plan["errors"][0]
    state = converged()
    state["network_acls"].append(dict(copy.deepcopy(private_nacl(state)), NetworkAclId=rid("acl", "dup"), Associations=[]))
    plan = np.plan_network(state, spec())
    assert len(plan["errors"]) == 1 and rid("acl", "dup") in plan["errors"][0]


def test_killed_run_finds_what_it_made():
    """The VPC and one route table exist (a killed first run): only the rest is planned, nothing twice."""
    state = converged()
    state["subnets"] = []
    state["route_tables"] = [state["route_tables"][0], dict(state["route_tables"][1], Associations=[])]
    state["network_acls"] = [default_nacl(state)]
    plan = np.plan_network(state, spec())
    assert plan["errors"] == []
    created = [c["resource"] for c in plan["changes"] if c["action"] == "create"]
    assert created == ["subnet subnet-private1-trading-sandbox", "subnet subnet-private2-trading-sandbox",
                       "route-table rtb-private2-trading-sandbox", "subnet subnet-private3-trading-sandbox",
                       "route-table rtb-private3-trading-sandbox", "network-acl nacl-private-trading-sandbox"]
    assert ("subnet subnet-private1-trading-sandbox", "update", "route_table") in summary(plan["changes"])
    assert [c["after"] for c in plan["changes"] if c["resource"] == "subnet subnet-private1-trading-sandbox"
            and c["action"] == "update"][0] == T1


# ---------------------------------------------------------------------------------------------- teardown
def foreign_things(state):
    """Someone else's subnet, route table and ACL in the same VPC (must survive the teardown)."""
    vpc_id = state["vpc"]["VpcId"]
    subnet = {"SubnetId": rid("subnet", "foreign"), "VpcId": vpc_id, "CidrBlock": "10.0.100.0/24", "AvailabilityZone": ZONES[0],
              "Tags": tags(Name="app")}
    table = {"RouteTableId": rid("rtb", "foreign"), "VpcId": vpc_id, "Routes": [], "Tags": tags(Name="app", ManagedBy=OWNER),
             "Associations": [{"Main": False, "RouteTableAssociationId": rid("rtbassoc", "foreign"), "RouteTableId": rid("rtb", "foreign"),
                               "SubnetId": subnet["SubnetId"]}]}
    acl = {"NetworkAclId": rid("acl", "foreign"), "VpcId": vpc_id, "IsDefault": False, "Entries": [],
           "Tags": ours("analytics", Name="nacl-private-analytics-sandbox"),
           "Associations": [{"NetworkAclAssociationId": rid("aclassoc", "foreign"), "NetworkAclId": rid("acl", "foreign"),
                             "SubnetId": subnet["SubnetId"]}]}
    state["subnets"].append(subnet)
    state["route_tables"].append(table)
    state["network_acls"].append(acl)
    return {subnet["SubnetId"], table["RouteTableId"], acl["NetworkAclId"]}


def test_teardown_plans_only_ours_in_order():
    state = converged()
    foreign = foreign_things(state)
    # Even a main table carrying our tags is never deleted (AWS refuses; it goes with its VPC).
    state["route_tables"][0]["Tags"] = ours("trading", Name="rtb-main-trading-sandbox")
    plan = np.plan_network_teardown(state, spec())
    changes = plan["changes"]
    assert plan["errors"] == []
    touched = {c.get("id") for c in changes} | {c["resource"].split(" ", 1)[1] for c in changes}
    assert not touched & foreign
    assert MAIN not in touched and DEFAULT_ACL not in {c["id"] for c in changes if c["action"] == "delete"}
    deletes = [c["resource"] for c in changes if c["action"] == "delete"]
    assert deletes == [f"network-acl {PRIVATE_ACL}"] + [f"route-table {rid('rtb', 'trading', i)}" for i in range(3)] + [
        f"subnet {rid('subnet', 'trading', i)}" for i in range(3)] + [f"vpc {VPC}"]
    moves = [c for c in changes if c.get("field") == "network_acl"]
    assert [(c["id"], c["before"], c["after"], c["association_id"]) for c in moves] == [
        (rid("subnet", "trading", i), PRIVATE_ACL, DEFAULT_ACL, rid("aclassoc", "trading", i)) for i in range(3)]
    # Subnets leave our ACL (for the default one) before it is deleted, and our tables before they are.
    position = {id(c): i for i, c in enumerate(changes)}
    acl_delete = next(c for c in changes if c["resource"] == f"network-acl {PRIVATE_ACL}")
    assert all(position[id(m)] < position[id(acl_delete)] for m in moves)
    table_moves = [c for c in changes if c.get("field") == "route_table"]
    assert [(c["id"], c["after"], c["association_id"]) for c in table_moves] == [
        (rid("subnet", "trading", i), "main", rid("rtbassoc", "trading", i)) for i in range(3)]
    first_subnet_delete = min(position[id(c)] for c in changes if c["resource"].startswith("subnet ") and c["action"] == "delete")
    assert all(position[id(m)] < first_subnet_delete for m in moves + table_moves)
    assert changes[-1] == {"resource": f"vpc {VPC}", "action": "delete", "id": VPC}


def test_teardown_never_deletes_an_adopted_vpc():
    state = adopted()
    plan = np.plan_network_teardown(state, adopt_spec())
    assert f"vpc {VPC}" not in [c["resource"] for c in plan["changes"]]
    assert len([c for c in plan["changes"] if c["action"] == "delete"]) == 7
    # Adopted even when someone copied our tags onto it: the spec says adopt.
    state["vpc"]["Tags"] = ours("trading", Name="vpc-trading-sandbox")
    assert f"vpc {VPC}" not in [c["resource"] for c in np.plan_network_teardown(state, adopt_spec())["changes"]]


def test_teardown_of_another_networks_resources_plans_nothing():
    plan = np.plan_network_teardown(converged(network="analytics", cidr="10.1.0.0/16"), spec())
    assert plan["changes"] == []


@pytest.mark.parametrize("state", [None, {}, empty_account()])
def test_teardown_twice_plans_nothing(state):
    assert np.plan_network_teardown(state, spec()) == {"errors": [], "changes": [], "layout": {}}


def test_teardown_after_a_killed_teardown():
    """Subnets already gone and the ACL already empty: what remains is planned, nothing is planned twice."""
    state = converged()
    state["subnets"] = []
    private_nacl(state)["Associations"] = []
    for table in state["route_tables"][1:]:
        table["Associations"] = []
    plan = np.plan_network_teardown(state, spec())
    assert [c["action"] for c in plan["changes"]] == ["delete"] * 5
