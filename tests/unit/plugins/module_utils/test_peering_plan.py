"""Tables of cases for the peering stage's planners (plugins/module_utils/peering_plan.py) and the filters
``peering_context`` / ``peering_plan`` (plugins/filter/plans.py), pure Python.

Sites are the converged network states of test_network_plan.py; the context is built by the
``peering_context`` filter from a hand-made ``hostvars``, as the roles build it. Peerings are
describe_vpc_peering_connections items with this account's tags (DescribeTags), as discovery gives them.
"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import plans
from ansible_collections.netsec.aws_peering.plugins.filter.peering import peering_external_id
from ansible_collections.netsec.aws_peering.plugins.module_utils import peering_plan as pp
from ansible_collections.netsec.aws_peering.plugins.module_utils import policies
from ansible_collections.netsec.aws_peering.plugins.module_utils.policy_templates import emulator_projection

from .test_network_plan import COMMON
from .test_network_plan import converged
from .test_network_plan import rid
from .test_network_plan import tags

TRADING, ANALYTICS, RISK = "111111111111", "222222222222", "333333333333"
ROLE_T = f"arn:aws:iam::{TRADING}:role/netsec-automation"
PEERING = {"name": "trading-analytics", "requester": "trading", "accepter": "analytics", "ports": [443, 5432], "dns_resolution": True,
           "external_id": "vaulted-external-id"}
HUB = [PEERING, {"name": "trading-risk", "requester": "trading", "accepter": "risk", "ports": [443], "dns_resolution": False,
                 "external_id": "vaulted-external-id-2"}]
ACCOUNTS = {"trading": TRADING, "analytics": ANALYTICS, "risk": RISK}
CIDRS = {"trading": "10.0.0.0/16", "analytics": "10.1.0.0/16", "risk": "10.2.0.0/16"}


def site(network):
    return converged(network=network, cidr=CIDRS[network], account=ACCOUNTS[network])


def hostvars(**states):
    out = {}
    for host, account in ACCOUNTS.items():
        out[host] = {"aws_account_id": account, "aws_region": "us-east-1", "aws_role_arn": f"arn:aws:iam::{account}:role/netsec-automation"}
        if host in states:
            out[host]["site_state"] = states[host]
    return out


def context(host, states, peerings=(PEERING,), **settings):
    base = {"network_name": host, "environment_suffix": "sandbox", "tags": dict(COMMON), "emulator": False, "check_mode": False}
    base.update(settings)
    return plans.peering_context(list(peerings), host, hostvars(**states), base)


def pcx(requester, accepter, status="active", number=0, dns=(True, True), requester_tags=None, accepter_tags=None):
    """One peering as each side's discovery shows it: (requester's view, accepter's view)."""
    pcx_id = rid("pcx", requester["network_name"], accepter["network_name"], number)
    item = {"VpcPeeringConnectionId": pcx_id, "Status": {"Code": status, "Message": status},
            "RequesterVpcInfo": {"VpcId": requester["vpc"]["VpcId"], "OwnerId": requester["account_id"], "Region": "us-east-1",
                                 "CidrBlock": requester["vpc"]["CidrBlock"]},
            "AccepterVpcInfo": {"VpcId": accepter["vpc"]["VpcId"], "OwnerId": accepter["account_id"], "Region": "us-east-1",
                                "CidrBlock": accepter["vpc"]["CidrBlock"]}}
    if status == "active":
        item["RequesterVpcInfo"]["PeeringOptions"] = {"AllowDnsResolutionFromRemoteVpc": dns[0]}
        item["AccepterVpcInfo"]["PeeringOptions"] = {"AllowDnsResolutionFromRemoteVpc": dns[1]}
    name = f"{requester['network_name']}-{accepter['network_name']}"
    ours = {"Name": f"pcx-{name}-sandbox", "Peering": name, "ManagedBy": "netsec.aws_peering", **COMMON}
    seen_by_requester = dict(item, Tags=tags(**ours, Side="requester") if requester_tags is None else requester_tags)
    seen_by_accepter = dict(copy.deepcopy(item), Tags=tags(**ours, Side="accepter") if accepter_tags is None else accepter_tags)
    requester.setdefault("vpc_peering_connections", []).append(seen_by_requester)
    accepter.setdefault("vpc_peering_connections", []).append(seen_by_accepter)
    return pcx_id


def private_tables(state):
    return [t for t in state["route_tables"] if any(x["Key"] == "Tier" for x in t["Tags"])]


def add_routes(state, peer, pcx_id, state_code="active"):
    for table in private_tables(state):
        for subnet in peer["subnets"]:
            table["Routes"].append({"DestinationCidrBlock": subnet["CidrBlock"], "VpcPeeringConnectionId": pcx_id, "State": state_code,
                                    "Origin": "CreateRoute"})


def connected():
    """Both sides converged: an active peering, tagged on both sides, DNS on both sides, every route in place."""
    trading, analytics = site("trading"), site("analytics")
    pcx_id = pcx(trading, analytics)
    add_routes(trading, analytics, pcx_id)
    add_routes(analytics, trading, pcx_id)
    return trading, analytics, pcx_id


def plan(step, host, states, peerings=(PEERING,), **settings):
    return plans.peering_plan(states[host], step, context(host, states, peerings, **settings))


def summary(changes):
    return [(c["resource"], c["action"], c.get("field")) for c in changes]


# ---------------------------------------------------------------------------------------------- peering_context
def test_context_of_the_accepter():
    trading = site("trading")
    ctx = context("analytics", {"trading": trading}, emulator=False, max_session_duration="7200")
    spec, peers = ctx["spec"], ctx["peers"]
    assert (spec["network_name"], spec["environment_suffix"], spec["tags"]) == ("analytics", "sandbox", COMMON)
    assert (spec["emulator_projection"], spec["max_session_duration"], spec["check_mode"]) == (False, 7200, False)
    [item] = spec["peerings"]
    assert (item["name"], item["side"], item["peer"], item["ports"], item["dns_resolution"]) == (
        "trading-analytics", "accepter", "trading", [443, 5432], True)
    assert item["trusted_principals"] == [ROLE_T] and item["external_id"] == "vaulted-external-id"
    assert peers == {"trading": {"state": trading, "account_id": TRADING, "region": "us-east-1", "partition": "aws"}}


@pytest.mark.parametrize("peering, emulator, expected", [
    (PEERING, False, "vaulted-external-id"),
    (PEERING, True, "vaulted-external-id"),
    (dict(PEERING, external_id=None), True, peering_external_id({"name": "trading-analytics"}, "sandbox")),
    (dict(PEERING, external_id=None), False, ""),
])
def test_context_external_id(peering, emulator, expected):
    ctx = context("analytics", {}, [peering], emulator=emulator)
    assert ctx["spec"]["peerings"][0]["external_id"] == expected
    assert ctx["spec"]["emulator_projection"] is emulator


def test_context_trusted_principals_override_and_missing_peer():
    ctx = context("analytics", {}, trusted_principals={"trading": ["arn:aws:iam::111111111111:role/ci"]})
    assert ctx["spec"]["peerings"][0]["trusted_principals"] == ["arn:aws:iam::111111111111:role/ci"]
    # No role ARN for the requester host: nothing trusted (the trust plan then refuses).
    bare = {"trading": {"aws_account_id": 111111111111}}
    ctx = plans.peering_context([PEERING], "analytics", bare, {"network_name": "analytics", "environment_suffix": "sandbox"})
    assert ctx["spec"]["peerings"][0]["trusted_principals"] == []
    assert ctx["peers"]["trading"] == {"state": {}, "account_id": "111111111111", "region": "", "partition": "aws"}
    # Peerings of other sites are not this site's.
    assert context("risk", {}, [PEERING])["spec"]["peerings"] == []


def test_context_partition_comes_from_the_peers_state():
    trading = dict(site("trading"), partition="aws-cn")
    assert context("analytics", {"trading": trading})["peers"]["trading"]["partition"] == "aws-cn"


@pytest.mark.parametrize("args, needle", [
    (({}, "plant", {"spec": {}, "peers": {}}), "plant"),
    (([], "trust", {"spec": {}, "peers": {}}), "site state"),
    (({}, "trust", None), "context"),
])
def test_peering_plan_filter_refuses(args, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        plans.peering_plan(*args)


# ---------------------------------------------------------------------------------------------- trust
def trust_plan(analytics=None, trading=None, **settings):
    analytics = analytics or site("analytics")
    trading = trading or site("trading")
    return plan("trust", "analytics", {"analytics": analytics, "trading": trading}, **settings)


def role_as_described(desired):
    """The role as discovery.describe_role shows it after the trust step made it from ``desired``."""
    tag_list = tags(**desired["tags"])
    return {"Role": {"RoleName": desired["name"], "Description": desired["description"], "MaxSessionDuration": desired["max_session_duration"],
                     "AssumeRolePolicyDocument": copy.deepcopy(desired["trust"]), "Tags": tag_list},
            "InlinePolicies": {"accept-peerings": copy.deepcopy(desired["permissions"])}, "AttachedPolicies": [], "Tags": tag_list}


def test_trust_role_absent_is_created():
    trading, analytics = site("trading"), site("analytics")
    result = trust_plan(analytics, trading)
    assert result["errors"] == []
    assert summary(result["changes"]) == [("iam-role peering-accepter-analytics-sandbox", "create", "role"),
                                          ("iam-role peering-accepter-analytics-sandbox", "update", "policy accept-peerings")]
    role = result["role"]
    assert role["name"] == "peering-accepter-analytics-sandbox"
    assert role["tags"] == dict(COMMON, Name="peering-accepter-analytics-sandbox", Network="analytics", ManagedBy="netsec.aws_peering")
    assert role["trust"] == policies.acceptance_trust_policy([{"name": "trading-analytics", "principals": [ROLE_T],
                                                               "external_id": "vaulted-external-id"}])
    tables = sorted(t["RouteTableId"] for t in private_tables(analytics))
    assert role["permissions"] == policies.acceptance_permissions_policy(
        "us-east-1", ANALYTICS, analytics["vpc"]["VpcId"], [f"arn:aws:ec2:us-east-1:{TRADING}:vpc/{trading['vpc']['VpcId']}"], tables)
    assert analytics["vpc"]["VpcId"] in role["description"] and role["max_session_duration"] == 3600


def test_trust_in_the_emulator_uses_the_projection():
    result = trust_plan(emulator=True)
    assert result["role"]["permissions"] == emulator_projection(trust_plan()["role"]["permissions"])
    assert result["role"]["trust"]["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": "vaulted-external-id"}}


def test_trust_role_in_line_plans_nothing():
    analytics = site("analytics")
    analytics["iam_roles"] = {"peering-accepter-analytics-sandbox": role_as_described(trust_plan(analytics)["role"])}
    assert trust_plan(analytics)["changes"] == []


def _other_principal(role):
    role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {"AWS": ["arn:aws:iam::111111111111:role/other"]}


def _no_external_id(role):
    del role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]


def _wider_policy(role):
    role["InlinePolicies"]["accept-peerings"]["Statement"][0]["Action"] = "ec2:*"


def _policy_missing(role):
    role["InlinePolicies"] = {}


def _tag_missing(role):
    role["Tags"] = [t for t in role["Tags"] if t["Key"] != "CostCenter"]


def _tag_extra(role):
    role["Tags"] = role["Tags"] + [{"Key": "Owner", "Value": "someone"}]


def _description(role):
    role["Role"]["Description"] = "made by hand"


def _session(role):
    role["Role"]["MaxSessionDuration"] = 43200


@pytest.mark.parametrize("drift, field", [
    (_other_principal, "trust policy"), (_no_external_id, "trust policy"), (_wider_policy, "policy accept-peerings"),
    (_policy_missing, "policy accept-peerings"), (_tag_missing, "tags"), (_tag_extra, "tags"), (_description, "description"),
    (_session, "max session"),
], ids=lambda value: value.__name__.strip("_") if callable(value) else value)
def test_trust_drift(drift, field):
    analytics = site("analytics")
    role = role_as_described(trust_plan(analytics)["role"])
    drift(role)
    analytics["iam_roles"] = {"peering-accepter-analytics-sandbox": role}
    result = trust_plan(analytics)
    assert result["errors"] == []
    assert summary(result["changes"]) == [("iam-role peering-accepter-analytics-sandbox", "update", field)]


def test_trust_nothing_without_an_accepted_peering():
    """The requester site accepts no peering: no role at all."""
    assert plan("trust", "trading", {"trading": site("trading"), "analytics": site("analytics")}) == {"errors": [], "changes": []}
    assert plan("trust", "risk", {"risk": site("risk")}) == {"errors": [], "changes": []}


@pytest.mark.parametrize("principal", ["*", TRADING, f"arn:aws:iam::{TRADING}:root", "arn:aws:iam::111111111111:role/*",
                                       "arn:aws:sts::111111111111:assumed-role/x/y"])
def test_trust_refuses_principals(principal):
    result = trust_plan(trusted_principals={"trading": [principal]})
    assert result["changes"] == []
    assert len(result["errors"]) == 1 and principal in result["errors"][0] and "analytics" in result["errors"][0]


def test_trust_without_external_id_outside_the_emulator_is_an_error():
    trading, analytics = site("trading"), site("analytics")
    result = plans.peering_plan(analytics, "trust", context("analytics", {"trading": trading},
                                                            [dict(PEERING, external_id=None)]))
    assert result["changes"] == [] and "ExternalId" in result["errors"][0]


# ---------------------------------------------------------------------------------------------- no VPC yet
EMPTY = {"network_name": "analytics", "environment_suffix": "sandbox", "account_id": ANALYTICS, "region": "us-east-1",
         "vpc": None, "subnets": [], "route_tables": [], "vpc_peering_connections": []}


@pytest.mark.parametrize("step, host", [("trust", "analytics"), ("request", "trading"), ("accept", "analytics"),
                                        ("connect", "trading")])
def test_check_mode_on_an_empty_account_waits_and_a_normal_run_fails(step, host):
    """--check of a whole run on new accounts: the network stage would create the VPCs, so the peering plans wait."""
    states = {"trading": dict(copy.deepcopy(EMPTY), network_name="trading", account_id=TRADING), "analytics": copy.deepcopy(EMPTY)}
    checked = plan(step, host, states, check_mode=True)
    assert checked["errors"] == []
    assert checked["changes"] and all(c.get("waiting") for c in checked["changes"])
    assert all("waits for the VPC" in c["after"] for c in checked["changes"])
    normal = plan(step, host, states)
    assert normal["changes"] == []
    assert normal["errors"] and all("has no VPC yet" in e for e in normal["errors"])


@pytest.mark.parametrize("step, host, peer", [("trust", "analytics", "trading"), ("request", "trading", "analytics"),
                                              ("accept", "analytics", "trading"), ("connect", "trading", "analytics")])
def test_the_peer_without_a_vpc(step, host, peer):
    states = {host: site(host), peer: dict(copy.deepcopy(EMPTY), network_name=peer)}
    checked = plan(step, host, states, check_mode=True)
    assert checked["errors"] == [] and [c.get("waiting") for c in checked["changes"]] == [True]
    assert peer in checked["changes"][0]["after"]
    normal = plan(step, host, states)
    assert normal["changes"] == [] and len(normal["errors"]) == 1
    assert normal["errors"][0].startswith("peerings[trading-analytics]: ") and peer in normal["errors"][0]


# ---------------------------------------------------------------------------------------------- request
def test_request_missing_is_created_with_peer_owner_and_region():
    trading, analytics = site("trading"), site("analytics")
    result = plan("request", "trading", {"trading": trading, "analytics": analytics})
    assert result["errors"] == []
    [created] = result["changes"]
    assert (created["resource"], created["action"]) == ("peering trading-analytics", "create")
    assert created["request"] == {
        "name": "trading-analytics", "vpc_id": trading["vpc"]["VpcId"], "peer_vpc_id": analytics["vpc"]["VpcId"],
        "peer_owner_id": ANALYTICS, "peer_region": "us-east-1",
        "tags": dict(COMMON, Name="pcx-trading-analytics-sandbox", Side="requester", Peering="trading-analytics",
                     ManagedBy="netsec.aws_peering")}


def test_request_existing_live_plans_only_tag_drift():
    trading, analytics = site("trading"), site("analytics")
    pcx_id = pcx(trading, analytics, status="pending-acceptance")
    assert plan("request", "trading", {"trading": trading, "analytics": analytics})["changes"] == []
    trading["vpc_peering_connections"][0]["Tags"] = [t for t in trading["vpc_peering_connections"][0]["Tags"] if t["Key"] != "Side"]
    [tagged] = plan("request", "trading", {"trading": trading, "analytics": analytics})["changes"]
    assert (tagged["resource"], tagged["field"], tagged["before"], tagged["after"], tagged["id"]) == (
        f"peering {pcx_id}", "tags", {"Side": None}, {"Side": "requester"}, pcx_id)
    assert tagged["request"]["peer_owner_id"] == ANALYTICS


@pytest.mark.parametrize("status", ["deleted", "rejected", "failed", "expired", "deleting"])
def test_request_ignores_dead_peerings(status):
    trading, analytics = site("trading"), site("analytics")
    pcx(trading, analytics, status=status)
    assert summary(plan("request", "trading", {"trading": trading, "analytics": analytics})["changes"]) == [
        ("peering trading-analytics", "create", "request")]


def test_request_in_the_other_direction_is_not_ours():
    """A peering analytics -> trading does not satisfy trading -> analytics."""
    trading, analytics = site("trading"), site("analytics")
    pcx(analytics, trading)
    assert summary(plan("request", "trading", {"trading": trading, "analytics": analytics})["changes"]) == [
        ("peering trading-analytics", "create", "request")]


def test_the_most_advanced_live_peering_wins():
    trading, analytics = site("trading"), site("analytics")
    pcx(trading, analytics, status="pending-acceptance", number=1)
    active = pcx(trading, analytics, status="active", number=2)
    pcx(trading, analytics, status="deleted", number=3)
    assert pp.find_peering(trading, trading["vpc"]["VpcId"], analytics["vpc"]["VpcId"])["VpcPeeringConnectionId"] == active


# ---------------------------------------------------------------------------------------------- accept
def test_accept_pending_plans_acceptance_tags_dns_and_routes():
    trading, analytics = site("trading"), site("analytics")
    pcx_id = pcx(trading, analytics, status="pending-acceptance", accepter_tags=[])
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics})
    assert result["errors"] == []
    accept = result["changes"][0]
    assert (accept["resource"], accept["field"], accept["before"], accept["after"]) == (f"peering {pcx_id}", "status",
                                                                                        "pending-acceptance", "active")
    assert accept["accept"] == {"peering_id": pcx_id, "name": "trading-analytics", "expected_requester_owner_id": TRADING,
                                "expected_requester_vpc_id": trading["vpc"]["VpcId"], "expected_requester_cidr": "10.0.0.0/16",
                                "vpc_id": analytics["vpc"]["VpcId"]}
    todo = result["by_peering"]["trading-analytics"]
    assert result["act_on"] == ["trading-analytics"] and todo["id"] == pcx_id and todo["accept"] == accept["accept"]
    assert todo["tags"] == dict(COMMON, Name="pcx-trading-analytics-sandbox", Side="accepter", Peering="trading-analytics",
                                ManagedBy="netsec.aws_peering")
    assert todo["dns"] is True
    expected_routes = sorted((t["RouteTableId"], s["CidrBlock"]) for t in private_tables(analytics) for s in trading["subnets"])
    assert sorted((r["route_table_id"], r["destination_cidr_block"]) for r in todo["routes"]) == expected_routes
    assert len(expected_routes) == 9
    assert all(r["vpc_peering_connection_id"] == pcx_id and r["state"] == "present" for r in todo["routes"])
    assert result["stale_routes"] == []
    assert all(c["peering"] == "trading-analytics" for c in result["changes"])


def test_accept_active_and_in_place_plans_nothing():
    trading, analytics = connected()[:2]
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics})
    assert (result["errors"], result["changes"], result["act_on"], result["by_peering"]) == ([], [], [], {})


@pytest.mark.parametrize("dns, wanted, expected", [
    ((True, False), True, [("accepter DNS resolution", False, True)]),
    ((False, True), True, []),                                          # the requester's side is not the accepter's business
    ((True, True), False, [("accepter DNS resolution", True, False)]),
])
def test_accept_dns_option_of_our_side_only(dns, wanted, expected):
    trading, analytics = site("trading"), site("analytics")
    pcx_id = pcx(trading, analytics, dns=dns)
    add_routes(analytics, trading, pcx_id)
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics}, [dict(PEERING, dns_resolution=wanted)])
    assert [(c["field"], c["before"], c["after"]) for c in result["changes"]] == expected
    assert all(c["side"] == "accepter" and c["id"] == pcx_id for c in result["changes"])


def test_accept_missing_routes_per_table_and_peer_subnet():
    trading, analytics, pcx_id = connected()
    table = private_tables(analytics)[1]
    table["Routes"] = [r for r in table["Routes"] if r.get("DestinationCidrBlock") != "10.0.2.0/24"]
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics})
    assert result["errors"] == []
    assert summary(result["changes"]) == [(f"route {table['RouteTableId']} 10.0.2.0/24", "create", "target")]
    assert result["by_peering"]["trading-analytics"]["routes"] == [
        {"route_table_id": table["RouteTableId"], "destination_cidr_block": "10.0.2.0/24", "vpc_peering_connection_id": pcx_id,
         "state": "present"}]


def test_peer_subnets_come_from_the_peers_state_not_ours():
    """Only the peer's private subnets (ours, Tier=private) get routes; its other subnets do not."""
    trading, analytics = connected()[:2]
    trading["subnets"].append({"SubnetId": rid("subnet", "public"), "CidrBlock": "10.0.50.0/24", "Tags": tags(Name="public")})
    assert plan("accept", "analytics", {"trading": trading, "analytics": analytics})["changes"] == []


@pytest.mark.parametrize("target", [{"TransitGatewayId": "tgw-0123456789abcdef0"}, {"GatewayId": "vgw-0123456789abcdef0"},
                                    {"VpcPeeringConnectionId": "pcx-0aaaaaaaaaaaaaaa0"}])
def test_accept_route_of_someone_else_is_an_error_naming_it(target):
    trading, analytics = connected()[:2]
    table = private_tables(analytics)[0]
    route = next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == "10.0.1.0/24")
    route.pop("VpcPeeringConnectionId")
    route.update(target, State="active")
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics})
    assert len(result["errors"]) == 1
    error = result["errors"][0]
    assert "peerings[trading-analytics]" in error and "10.0.1.0/24" in error and table["RouteTableId"] in error
    assert list(target.values())[0] in error
    assert result["changes"] == []


def test_accept_blackhole_through_a_dead_peering_is_taken_over():
    trading, analytics, pcx_id = connected()
    dead = "pcx-0deaddeaddeaddead"
    table = private_tables(analytics)[2]
    route = next(r for r in table["Routes"] if r.get("DestinationCidrBlock") == "10.0.0.0/24")
    route.update(VpcPeeringConnectionId=dead, State="blackhole")
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics})
    assert result["errors"] == []
    [stale] = result["changes"]
    assert (stale["resource"], stale["action"], stale["before"], stale["after"], stale["stale"]) == (
        f"route {table['RouteTableId']} 10.0.0.0/24", "update", dead, pcx_id, True)
    assert result["stale_routes"] == [{"route_table_id": table["RouteTableId"], "destination_cidr_block": "10.0.0.0/24",
                                       "vpc_peering_connection_id": pcx_id, "state": "present"}]
    # Taken over by the replace step, not by the per-peering route step.
    assert result["by_peering"] == {} and result["act_on"] == []


def test_accept_waits_for_the_request():
    trading, analytics = site("trading"), site("analytics")
    result = plan("accept", "analytics", {"trading": trading, "analytics": analytics})
    assert result["errors"] == [] and [(c["waiting"], c["peering"]) for c in result["changes"]] == [(True, "trading-analytics")]
    assert result["act_on"] == []


# ---------------------------------------------------------------------------------------------- connect
def test_connect_plans_our_dns_option_and_routes_never_acceptance_or_tags():
    trading, analytics = site("trading"), site("analytics")
    pcx_id = pcx(trading, analytics, dns=(False, True), requester_tags=[])
    result = plan("connect", "trading", {"trading": trading, "analytics": analytics})
    assert result["errors"] == []
    fields = [c["field"] for c in result["changes"]]
    assert fields[0] == "requester DNS resolution" and fields[1:] == ["target"] * 9
    todo = result["by_peering"]["trading-analytics"]
    assert (todo["id"], todo["accept"], todo["tags"], todo["dns"]) == (pcx_id, None, None, True)
    assert sorted(r["destination_cidr_block"] for r in todo["routes"]) == sorted(["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"] * 3)
    assert {r["route_table_id"] for r in todo["routes"]} == {t["RouteTableId"] for t in private_tables(trading)}


def test_connect_converged_plans_nothing_and_pending_is_not_accepted_by_the_requester():
    trading, analytics = connected()[:2]
    assert plan("connect", "trading", {"trading": trading, "analytics": analytics})["changes"] == []
    trading, analytics = site("trading"), site("analytics")
    pcx(trading, analytics, status="pending-acceptance")
    result = plan("connect", "trading", {"trading": trading, "analytics": analytics})
    assert not [c for c in result["changes"] if "accept" in c]


def test_connect_route_conflict_and_stale_route():
    trading, analytics, pcx_id = connected()
    first, second = private_tables(trading)[:2]
    next(r for r in first["Routes"] if r.get("DestinationCidrBlock") == "10.1.0.0/24").update(
        VpcPeeringConnectionId="pcx-0deaddeaddeaddead", State="blackhole")
    conflict = next(r for r in second["Routes"] if r.get("DestinationCidrBlock") == "10.1.1.0/24")
    conflict.pop("VpcPeeringConnectionId")
    conflict.update(NatGatewayId="nat-0123456789abcdef0")
    result = plan("connect", "trading", {"trading": trading, "analytics": analytics})
    assert len(result["errors"]) == 1 and "nat-0123456789abcdef0" in result["errors"][0] and second["RouteTableId"] in result["errors"][0]
    assert [(r["route_table_id"], r["vpc_peering_connection_id"]) for r in result["stale_routes"]] == [(first["RouteTableId"], pcx_id)]


# ---------------------------------------------------------------------------------------------- hub with two spokes
def test_hub_with_two_spokes():
    hub, analytics, risk = site("trading"), site("analytics"), site("risk")
    states = {"trading": hub, "analytics": analytics, "risk": risk}
    requests = plan("request", "trading", states, HUB)["changes"]
    assert [(c["request"]["name"], c["request"]["peer_owner_id"], c["request"]["peer_vpc_id"]) for c in requests] == [
        ("trading-analytics", ANALYTICS, analytics["vpc"]["VpcId"]), ("trading-risk", RISK, risk["vpc"]["VpcId"])]
    to_analytics = pcx(hub, analytics)
    to_risk = pcx(hub, risk, dns=(True, False))
    result = plan("connect", "trading", states, HUB)
    assert result["errors"] == [] and result["act_on"] == ["trading-analytics", "trading-risk"]
    by = result["by_peering"]
    assert by["trading-risk"]["id"] == to_risk          # what the DNS option step acts on
    assert {r["vpc_peering_connection_id"] for r in by["trading-analytics"]["routes"]} == {to_analytics}
    assert {r["destination_cidr_block"] for r in by["trading-analytics"]["routes"]} == {"10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"}
    assert {r["destination_cidr_block"] for r in by["trading-risk"]["routes"]} == {"10.2.0.0/24", "10.2.1.0/24", "10.2.2.0/24"}
    assert all(r["vpc_peering_connection_id"] == to_risk for r in by["trading-risk"]["routes"])
    # trading-risk wants no DNS: the requester's side (on) is turned off; trading-analytics is already right.
    assert (by["trading-analytics"]["dns"], by["trading-risk"]["dns"]) == (None, False)
    # Each spoke accepts only its own peering.
    spoke = plan("accept", "risk", states, HUB)
    assert spoke["act_on"] == ["trading-risk"]
    assert {r["destination_cidr_block"] for r in spoke["by_peering"]["trading-risk"]["routes"]} == {
        "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"}
    assert spoke["by_peering"]["trading-risk"]["dns"] is None        # the spoke's side is already off (dns=(True, False))


# ---------------------------------------------------------------------------------------------- teardown
def test_teardown_of_the_requester():
    trading, analytics, ours = connected()
    tables = private_tables(trading)
    # Someone else's live peering (not tagged, to a third VPC) with a route in our table: untouched.
    foreign = {"VpcPeeringConnectionId": "pcx-0f0f0f0f0f0f0f0f0", "Status": {"Code": "active"},
               "RequesterVpcInfo": {"VpcId": trading["vpc"]["VpcId"]}, "AccepterVpcInfo": {"VpcId": "vpc-0abcabcabcabcabca"}, "Tags": []}
    trading["vpc_peering_connections"].append(foreign)
    tables[0]["Routes"].append({"DestinationCidrBlock": "10.50.0.0/16", "VpcPeeringConnectionId": foreign["VpcPeeringConnectionId"],
                                "State": "active"})
    # A dead peering, and one AWS no longer lists at all, with routes in our tables: removed.
    dead = {"VpcPeeringConnectionId": "pcx-0deaddeaddeaddead", "Status": {"Code": "deleted"},
            "RequesterVpcInfo": {"VpcId": trading["vpc"]["VpcId"]}, "AccepterVpcInfo": {"VpcId": "vpc-0abcabcabcabcabca"}, "Tags": []}
    trading["vpc_peering_connections"].append(dead)
    tables[1]["Routes"].append({"DestinationCidrBlock": "10.60.0.0/16", "VpcPeeringConnectionId": dead["VpcPeeringConnectionId"],
                                "State": "blackhole"})
    tables[2]["Routes"].append({"DestinationCidrBlock": "10.70.0.0/16", "VpcPeeringConnectionId": "pcx-0907090709070907a",
                                "State": "blackhole"})
    # Our peering's routes in tables that are not ours (the main table): untouched.
    main = trading["route_tables"][0]
    main["Routes"].append({"DestinationCidrBlock": "10.1.0.0/24", "VpcPeeringConnectionId": ours, "State": "active"})
    result = plan("teardown", "trading", {"trading": trading, "analytics": analytics})
    assert result["errors"] == []
    removed = {(r["route_table_id"], r["destination_cidr_block"], r["vpc_peering_connection_id"]) for r in result["routes"]}
    expected = {(t["RouteTableId"], s["CidrBlock"], ours) for t in tables for s in analytics["subnets"]}
    expected |= {(tables[1]["RouteTableId"], "10.60.0.0/16", dead["VpcPeeringConnectionId"]),
                 (tables[2]["RouteTableId"], "10.70.0.0/16", "pcx-0907090709070907a")}
    assert removed == expected and len(result["routes"]) == 11
    assert all(r["state"] == "absent" for r in result["routes"])
    assert result["peerings"] == [ours]
    assert result["role"] is None
    assert [c["resource"] for c in result["changes"]][-1] == f"peering {ours}"


@pytest.mark.parametrize("status, deleted", [("active", True), ("pending-acceptance", True), ("deleted", False), ("rejected", False)])
def test_teardown_deletes_only_live_peerings_we_requested(status, deleted):
    trading, analytics = site("trading"), site("analytics")
    pcx_id = pcx(trading, analytics, status=status)
    assert plan("teardown", "trading", {"trading": trading, "analytics": analytics})["peerings"] == ([pcx_id] if deleted else [])
    # The accepter never deletes the peering.
    assert plan("teardown", "analytics", {"trading": trading, "analytics": analytics})["peerings"] == []


def test_teardown_finds_our_peering_by_tag_when_the_peer_is_gone():
    trading, analytics, ours = connected()
    result = plan("teardown", "trading", {"trading": trading})          # the peer's state is unknown (its VPC is gone)
    assert result["peerings"] == [ours] and len(result["routes"]) == 9
    # An untagged peering to a VPC that is not the peer's is not ours.
    trading["vpc_peering_connections"][0]["Tags"] = []
    result = plan("teardown", "trading", {"trading": trading})
    assert result["peerings"] == [] and result["routes"] == []


def test_teardown_of_the_accepter_removes_routes_and_the_role():
    trading, analytics, ours = connected()
    analytics["iam_roles"] = {"peering-accepter-analytics-sandbox": {"Role": {"RoleName": "peering-accepter-analytics-sandbox"}}}
    result = plan("teardown", "analytics", {"trading": trading, "analytics": analytics})
    assert len(result["routes"]) == 9 and all(r["vpc_peering_connection_id"] == ours for r in result["routes"])
    assert result["peerings"] == [] and result["role"] == "peering-accepter-analytics-sandbox"
    assert result["changes"][-1] == {"resource": "iam-role peering-accepter-analytics-sandbox", "action": "delete"}


def test_teardown_twice_plans_nothing():
    trading, analytics = site("trading"), site("analytics")
    analytics["iam_roles"] = {"peering-accepter-analytics-sandbox": None}
    for host in ("trading", "analytics"):
        result = plan("teardown", host, {"trading": trading, "analytics": analytics})
        assert (result["changes"], result["routes"], result["peerings"], result["role"]) == ([], [], [], None)
    assert plan("teardown", "analytics", {"analytics": copy.deepcopy(EMPTY)})["changes"] == []


def test_teardown_removes_the_acceptance_role_even_without_a_vpc():
    analytics = dict(copy.deepcopy(EMPTY), iam_roles={"peering-accepter-analytics-sandbox": {"Role": {}}})
    result = plan("teardown", "analytics", {"analytics": analytics})
    assert result["role"] == "peering-accepter-analytics-sandbox"
