"""Tables of cases for the endpoints stage's planner (security_plan.endpoints_plan, endpoints.plan_endpoints), pure Python."""

import copy
import json

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils import endpoints as ep
from ansible_collections.netsec.aws_peering.plugins.module_utils import security_plan as sp

from .test_security_plan import site
from .test_security_plan import tags

S3 = "com.amazonaws.us-east-1.s3"
DDB = "com.amazonaws.us-east-1.dynamodb"
SSM = "com.amazonaws.us-east-1.ssm"


def spec(**extra):
    out = {"network_name": "trading", "environment_suffix": "test", "tags": {"CostCenter": "CC-1", "Environment": "test"},
           "account_id": "111111111111", "region": "us-east-1", "peer_account_ids": ["222222222222"], "s3_actions": ["s3:*"],
           "dynamodb_actions": ["dynamodb:*"], "aws_owned_resources": ["arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*"],
           "aws_owned_actions": ["s3:GetObject"], "purge_route_tables": True, "interface_services": [], "interface_actions": ["*"],
           "check_mode": False}
    out.update(extra)
    return out


def described(desired, state, number):
    """An endpoint as DescribeVpcEndpoints shows it after CreateVpcEndpoint with the planned arguments."""
    groups = {g["GroupName"]: g["GroupId"] for g in state["security_groups"]}
    return {"VpcEndpointId": f"vpce-{number}", "VpcId": state["vpc"]["VpcId"], "ServiceName": ep.service_name(desired["service"], "us-east-1"),
            "VpcEndpointType": desired["type"], "State": "available", "PolicyDocument": json.dumps(desired["policy"]),
            "RouteTableIds": desired.get("route_table_ids") or [], "SubnetIds": desired.get("subnet_ids") or [],
            "Groups": [{"GroupId": groups.get(g, g)} for g in desired.get("security_groups") or []],
            "PrivateDnsEnabled": bool(desired.get("private_dns", desired["type"] == "Gateway")),
            "Tags": tags(**dict(desired["tags"], Name=desired["name"]))}


def converge(state, plan):
    state = copy.deepcopy(state)
    for group in plan["groups"]:
        if not any(g["GroupName"] == group["name"] for g in state["security_groups"]):
            ingress = sp.ip_permissions([dict(r, egress=False) for r in group["ingress"]])
            state["security_groups"].append({"GroupId": f"sg-{group['name']}", "GroupName": group["name"], "VpcId": state["vpc"]["VpcId"],
                                             "Tags": tags(**group["tags"]), "IpPermissions": ingress, "IpPermissionsEgress": []})
    names = {g["name"] for g in plan["remove_groups"]}
    state["security_groups"] = [g for g in state["security_groups"] if g["GroupName"] not in names]
    keep = [e for e in state["vpc_endpoints"] if not ep.is_ours(e, "trading")]
    state["vpc_endpoints"] = keep + [described(d, state, i) for i, d in enumerate(plan["endpoints"])]
    return state


def test_create_both_gateways_then_nothing():
    state = site("trading", "10.0.0.0/16")
    plan = sp.endpoints_plan(state, spec())
    assert plan["errors"] == []
    assert [(c["action"], c["after"]) for c in plan["changes"]] == [("create", f"Gateway {S3}"), ("create", f"Gateway {DDB}")]
    created = plan["changes"][0]
    assert created["spec"]["RouteTableIds"] == ["rtb-trad0", "rtb-trad1", "rtb-trad2"]
    assert created["tags"] == {"CostCenter": "CC-1", "Environment": "test", "ManagedBy": "netsec.aws_peering", "Network": "trading",
                               "Name": "vpce-s3-trading-test"}
    policy = json.loads(created["spec"]["PolicyDocument"])
    wanted = {"aws:PrincipalAccount": ["111111111111"], "aws:ResourceAccount": ["111111111111", "222222222222"]}
    assert policy["Statement"][0]["Condition"]["StringEquals"] == wanted
    assert policy["Statement"][1]["Resource"] == ["arn:aws:s3:::amazonlinux.us-east-1.amazonaws.com/*"]
    assert len(json.loads(plan["changes"][1]["spec"]["PolicyDocument"])["Statement"]) == 1  # no AWS-owned DynamoDB resource
    assert plan["converge"] == {"security_groups": False, "endpoints": True, "remove_security_groups": False}
    done = converge(state, plan)
    again = sp.endpoints_plan(done, spec())
    assert again["changes"] == [] and again["errors"] == []
    assert sp.endpoints_result(done, spec()) == {"s3_endpoint_id": "vpce-0", "dynamodb_endpoint_id": "vpce-1"}


@pytest.mark.parametrize("mutate, field, modify", [
    (lambda e: e.update(RouteTableIds=["rtb-trad0", "rtb-trad1"]), "route_table_ids", {"AddRouteTableIds": ["rtb-trad2"]}),
    (lambda e: e["RouteTableIds"].append("rtb-other"), "route_table_ids", {"RemoveRouteTableIds": ["rtb-other"]}),
    (lambda e: e.update(PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                                                          "Resource": "*"}]})), "policy", "PolicyDocument"),
    (lambda e: e.update(Tags=[t for t in e["Tags"] if t["Key"] != "CostCenter"]), "tags", None),
])
def test_drift_of_our_gateway_endpoint(mutate, field, modify):
    state = converge(site("trading", "10.0.0.0/16"), sp.endpoints_plan(site("trading", "10.0.0.0/16"), spec()))
    state["route_tables"].append({"RouteTableId": "rtb-other", "VpcId": "vpc-trad", "Tags": []})
    mutate(state["vpc_endpoints"][0])
    plan = sp.endpoints_plan(state, spec())
    assert [c["field"] for c in plan["changes"]] == [field]
    change = plan["changes"][0]
    if isinstance(modify, dict):
        assert change["modify"] == modify
    elif modify:
        assert modify in change["modify"]
    else:
        assert change["tags"] == {"CostCenter": "CC-1"}


def test_adopted_vpc_keeps_route_tables_others_put_on_our_endpoint():
    state = converge(site("trading", "10.0.0.0/16"), sp.endpoints_plan(site("trading", "10.0.0.0/16"), spec()))
    state["route_tables"].append({"RouteTableId": "rtb-other", "VpcId": "vpc-trad", "Tags": []})
    state["vpc_endpoints"][0]["RouteTableIds"].append("rtb-other")
    assert sp.endpoints_plan(state, spec(purge_route_tables=False))["changes"] == []


def foreign_s3(route_tables, **extra):
    endpoint = {"VpcEndpointId": "vpce-theirs", "VpcId": "vpc-trad", "ServiceName": S3, "VpcEndpointType": "Gateway", "State": "available",
                "RouteTableIds": route_tables, "PolicyDocument": json.dumps({"Statement": [{"Effect": "Allow", "Action": "*"}]}),
                "Tags": tags(Name="vpce-s3-legacy", Owner="payments")}
    endpoint.update(extra)
    return endpoint


def test_someone_elses_s3_endpoint_stays_and_ours_is_added_beside_it():
    state = site("trading", "10.0.0.0/16", adopted=True)
    state["route_tables"].append({"RouteTableId": "rtb-legacy", "VpcId": "vpc-trad", "Tags": tags(Name="legacy")})
    state["vpc_endpoints"].append(foreign_s3(["rtb-legacy"]))
    plan = sp.endpoints_plan(state, spec(purge_route_tables=False))
    assert plan["errors"] == []
    assert [c["action"] for c in plan["changes"]] == ["create", "create"]
    assert not any(c.get("id") == "vpce-theirs" for c in plan["changes"])
    done = converge(state, plan)
    assert sp.endpoints_plan(done, spec(purge_route_tables=False))["changes"] == []
    teardown = sp.endpoints_teardown_plan(done, spec())
    assert sorted(c["id"] for c in teardown["changes"]) == ["vpce-0", "vpce-1"]
    # the planner holds someone else's endpoint to be untouched
    assert next(e for e in done["vpc_endpoints"] if e["VpcEndpointId"] == "vpce-theirs") == foreign_s3(["rtb-legacy"])


def test_our_route_table_on_someone_elses_endpoint_is_an_error_naming_both():
    state = site("trading", "10.0.0.0/16", adopted=True)
    state["vpc_endpoints"].append(foreign_s3(["rtb-trad1"]))
    plan = sp.endpoints_plan(state, spec())
    assert len(plan["errors"]) == 1
    assert "rtb-trad1" in plan["errors"][0] and "vpce-theirs (vpce-s3-legacy)" in plan["errors"][0] and "vpce-s3-trading-test" in plan["errors"][0]
    assert plan["converge"]["endpoints"] is False


def test_deleted_endpoints_are_ignored_and_two_of_ours_are_an_error():
    state = converge(site("trading", "10.0.0.0/16"), sp.endpoints_plan(site("trading", "10.0.0.0/16"), spec()))
    dead = dict(copy.deepcopy(state["vpc_endpoints"][0]), VpcEndpointId="vpce-dead", State="deleted")
    state["vpc_endpoints"].append(dead)
    assert sp.endpoints_plan(state, spec())["changes"] == []
    state["vpc_endpoints"].append(dict(copy.deepcopy(state["vpc_endpoints"][0]), VpcEndpointId="vpce-twin"))
    assert any("2 Gateway endpoints of ours" in e for e in sp.endpoints_plan(state, spec())["errors"])


def test_interface_endpoints_group_pending_then_converged_then_removed():
    state = site("trading", "10.0.0.0/16")
    plan = sp.endpoints_plan(state, spec(interface_services=["ssm", "com.amazonaws.us-east-1.logs"]))
    assert plan["errors"] == []
    assert plan["converge"] == {"security_groups": True, "endpoints": True, "remove_security_groups": False}
    group = plan["groups"][0]
    assert group["name"] == "sg-endpoints-trading-test" and group["egress"] == []
    assert group["ingress"] == [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.0.0.0/16", "description": "VPC 10.0.0.0/16 tcp/443"}]
    ssm = next(c for c in plan["changes"] if c.get("after") == f"Interface {SSM}")
    assert ssm["spec"]["SecurityGroupIds"] == ["sg-endpoints-trading-test"]  # created earlier in the same run
    assert ssm["spec"]["SubnetIds"] == ["subnet-trad0", "subnet-trad1", "subnet-trad2"] and ssm["spec"]["PrivateDnsEnabled"] is True
    names = [c["resource"] for c in plan["changes"] if c["action"] == "create"]
    assert "vpc-endpoint vpce-ssm-trading-test" in names and "vpc-endpoint vpce-com-amazonaws-us-east-1-logs-trading-test" in names
    done = converge(state, plan)
    assert sp.endpoints_plan(done, spec(interface_services=["ssm", "com.amazonaws.us-east-1.logs"]))["changes"] == []
    result = sp.endpoints_result(done, spec(interface_services=["ssm", "com.amazonaws.us-east-1.logs"]))
    assert result["ssm_endpoint_id"] and result["com_amazonaws_us_east_1_logs_endpoint_id"]
    assert result["endpoints_security_group_id"] == "sg-sg-endpoints-trading-test"
    # ssm no longer listed: ours goes, and the group once no interface endpoint is listed
    fewer = sp.endpoints_plan(done, spec(interface_services=["com.amazonaws.us-east-1.logs"]))
    assert [c["action"] for c in fewer["changes"]] == ["delete"] and fewer["changes"][0]["after"] is None
    none = sp.endpoints_plan(done, spec())
    assert [c["action"] for c in none["changes"]] == ["delete", "delete", "delete"]
    assert none["changes"][-1]["resource"] == "security-group sg-sg-endpoints-trading-test"
    assert none["converge"] == {"security_groups": False, "endpoints": True, "remove_security_groups": True}


@pytest.mark.parametrize("mutate, field", [
    (lambda e: e.update(SubnetIds=["subnet-trad0"]), "subnet_ids"),
    (lambda e: e.update(Groups=[]), "security_group_ids"),
    (lambda e: e.update(PrivateDnsEnabled=False), "private_dns"),
])
def test_drift_of_our_interface_endpoint(mutate, field):
    wanted = spec(interface_services=["ssm"])
    state = converge(site("trading", "10.0.0.0/16"), sp.endpoints_plan(site("trading", "10.0.0.0/16"), wanted))
    mutate(next(e for e in state["vpc_endpoints"] if e["ServiceName"] == SSM))
    assert [c["field"] for c in sp.endpoints_plan(state, wanted)["changes"]] == [field]


def test_someone_elses_private_dns_interface_endpoint_is_an_error():
    state = site("trading", "10.0.0.0/16")
    state["vpc_endpoints"].append({"VpcEndpointId": "vpce-their-ssm", "VpcId": "vpc-trad", "ServiceName": SSM, "VpcEndpointType": "Interface",
                                   "State": "available", "PrivateDnsEnabled": True, "Tags": []})
    plan = sp.endpoints_plan(state, spec(interface_services=["ssm"]))
    assert any("vpce-their-ssm" in e and "private DNS" in e for e in plan["errors"])


def test_someone_elses_endpoints_group_is_an_error_and_never_deleted():
    state = site("trading", "10.0.0.0/16")
    state["security_groups"].append({"GroupId": "sg-theirs", "GroupName": "sg-endpoints-trading-test", "VpcId": "vpc-trad", "Tags": [],
                                     "IpPermissions": [], "IpPermissionsEgress": []})
    assert any("sg-theirs" in e for e in sp.endpoints_plan(state, spec(interface_services=["ssm"]))["errors"])
    assert sp.endpoints_plan(state, spec())["converge"]["remove_security_groups"] is False
    assert sp.endpoints_teardown_plan(state, spec())["changes"] == []


def test_teardown_twice():
    state = converge(site("trading", "10.0.0.0/16"), sp.endpoints_plan(site("trading", "10.0.0.0/16"), spec(interface_services=["ssm"])))
    plan = sp.endpoints_teardown_plan(state, spec())
    assert [c["action"] for c in plan["changes"]] == ["delete"] * 4
    assert plan["converge"] == {"security_groups": False, "endpoints": True, "remove_security_groups": True}
    for endpoint in state["vpc_endpoints"]:
        endpoint["State"] = "deleted"
    state["security_groups"] = [g for g in state["security_groups"] if g["GroupName"] == "default"]
    again = sp.endpoints_teardown_plan(state, spec())
    assert again["changes"] == [] and not any(again["converge"].values())
    assert sp.endpoints_result(state, spec()) == {"s3_endpoint_id": "", "dynamodb_endpoint_id": ""}


@pytest.mark.parametrize("extra, message", [
    ({"peer_account_ids": ["2222"]}, "['2222'] are not 12-digit account IDs"),
    ({"account_id": "333333333333"}, "is not the session's account 111111111111"),
    ({"interface_services": ["S3 Bucket"]}, "'S3 Bucket' is neither a short service name"),
])
def test_bad_inputs_are_plan_errors(extra, message):
    plan = sp.endpoints_plan(site("trading", "10.0.0.0/16"), spec(**extra))
    assert any(message in e for e in plan["errors"]), plan["errors"]


def test_missing_network():
    assert sp.endpoints_plan({"vpc": None}, spec(check_mode=True))["errors"] == []
    assert "run playbooks/network.yml first" in sp.endpoints_plan({"vpc": None}, spec())["errors"][0]
    state = site("trading", "10.0.0.0/16")
    state["route_tables"] = []
    assert "no private route tables" in sp.endpoints_plan(state, spec())["errors"][0]


@pytest.mark.parametrize("raw, message", [
    ({"service": "s3", "subnet_ids": ["subnet-1"]}, "applies to Interface endpoints only"),
    ({"service": "ssm", "type": "Interface", "route_table_ids": ["rtb-1"]}, "applies to Gateway endpoints only"),
    ({"service": "s3", "type": "Peering"}, "must be Gateway or Interface"),
    ({"service": "com.amazonaws.eu-west-1.s3"}, "is in region eu-west-1"),
    ({"service": "s3", "route_table_ids": "rtb-1"}, "must be a list of rtb- IDs"),
])
def test_desired_endpoint_errors(raw, message):
    with pytest.raises(ep.EndpointError, match=message):
        ep.desired_endpoint(raw, "us-east-1", "trading")


def test_plan_endpoints_checks_route_tables_and_duplicates():
    state = site("trading", "10.0.0.0/16")
    plan = ep.plan_endpoints(state, [{"service": "s3", "route_table_ids": ["rtb-nope"]}, {"service": S3}], "trading")
    assert any("['rtb-nope'] are not route tables / subnets" in e for e in plan["errors"])
    assert any("duplicates endpoints[0]" in e for e in plan["errors"])


def test_client_token_is_stable_and_salted():
    api = {"ServiceName": S3, "RouteTableIds": ["rtb-1"]}
    assert ep.client_token("vpc-1", api) == ep.client_token("vpc-1", dict(api))
    assert ep.client_token("vpc-1", api) != ep.client_token("vpc-1", api, "vpce-dead")
    assert ep.client_token("vpc-1", api) != ep.client_token("vpc-2", api)
    assert len(ep.client_token("vpc-1", api)) == 32
