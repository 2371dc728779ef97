"""Tables of cases for the outputs (plugins/module_utils/outputs.py) and the filters that publish them:
``site_outputs``, ``peering_connections``, ``dashboard_url`` (plugins/filter/plans.py), ``peering_outputs`` and
``environment_outputs`` (plugins/filter/peering.py), pure Python.

The outputs role's own chain is replayed: per site ``site_outputs | prefix_keys``, ``peering_connections`` and
``dashboard_url`` set as facts, then ``environment_outputs`` over the play's hosts. States are the converged
network of test_network_plan.py, with everything the later stages add (a "full" state) or without (network only).
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.netsec.aws_peering.plugins.filter import dicts
from ansible_collections.netsec.aws_peering.plugins.filter import peering as peering_filters
from ansible_collections.netsec.aws_peering.plugins.filter import plans
from ansible_collections.netsec.aws_peering.plugins.module_utils import outputs
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names

from .test_network_plan import converged
from .test_network_plan import ours
from .test_network_plan import rid
from .test_network_plan import tags
from .test_peering_plan import PEERING
from .test_peering_plan import add_routes
from .test_peering_plan import hostvars
from .test_peering_plan import pcx
from .test_peering_plan import private_tables

CONTRACT = {"peering_connection_id", "peering_connection_status", "requester_route_table_ids", "accepter_route_table_ids",
            "dashboard_url"}
NETWORK_KEYS = {"account_id", "region", "vpc_id", "vpc_name", "cidr_block", "adopted", "availability_zones", "private_subnet_ids",
                "private_subnet_cidrs", "private_route_table_ids", "private_nacl_id", "nacl_id", "security_group_id"}
FULL_KEYS = NETWORK_KEYS | {"s3_endpoint_id", "dynamodb_endpoint_id", "ssm_endpoint_id", "endpoints_security_group_id",
                            "flowlogs_bucket", "flowlogs_bucket_arn", "flowlogs_kms_key_arn", "flow_log_id", "config_bucket",
                            "config_recorder_name", "config_recorder_reused", "config_rule_names", "alert_topic_arn",
                            "flowlog_log_group", "alarm_names", "event_rule_names", "dashboard_name"}
ACCOUNTS = {"trading": "111111111111", "analytics": "222222222222"}


def network_only(network):
    return converged(network=network, cidr={"trading": "10.0.0.0/16", "analytics": "10.1.0.0/16"}[network], account=ACCOUNTS[network])


def full(network):
    """A site after every stage: groups, endpoints, flow logs, keys, buckets, Config, topic, log group, alarms, rules, dashboard."""
    state = network_only(network)
    account = state["account_id"]
    names = site_names(network, "sandbox", account)
    vpc_id = state["vpc"]["VpcId"]
    state["security_groups"] += [
        {"GroupId": rid("sg", network, "peering"), "GroupName": names["peering_security_group"], "VpcId": vpc_id,
         "Tags": ours(network, Name=names["peering_security_group"])},
        {"GroupId": rid("sg", network, "endpoints"), "GroupName": names["endpoints_security_group"], "VpcId": vpc_id,
         "Tags": ours(network, Name=names["endpoints_security_group"])},
    ]
    state["vpc_endpoints"] = [
        {"VpcEndpointId": rid("vpce", network, "s3"), "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.s3",
         "State": "available", "Tags": ours(network, Name=names["gateway_endpoints"]["s3"])},
        {"VpcEndpointId": rid("vpce", network, "ddb"), "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.dynamodb",
         "State": "Available", "Tags": ours(network, Name=names["gateway_endpoints"]["dynamodb"])},
        {"VpcEndpointId": rid("vpce", network, "ssm"), "VpcEndpointType": "Interface", "ServiceName": "com.amazonaws.us-east-1.ssm",
         "State": "available", "Tags": ours(network, Name=f"vpce-ssm-{network}-sandbox")},
        # someone else's endpoint and one of ours being deleted: neither is published
        {"VpcEndpointId": rid("vpce", network, "theirs"), "VpcEndpointType": "Interface", "ServiceName": "com.amazonaws.us-east-1.ec2",
         "State": "available", "Tags": tags(Name="theirs")},
        {"VpcEndpointId": rid("vpce", network, "old"), "VpcEndpointType": "Interface", "ServiceName": "com.amazonaws.us-east-1.sts",
         "State": "deleting", "Tags": ours(network, Name="old")},
    ]
    state["flow_logs"] = [
        {"FlowLogId": rid("fl", network, "cwl"), "ResourceId": vpc_id, "LogDestinationType": "cloud-watch-logs",
         "LogDestination": f"arn:aws:logs:us-east-1:{account}:log-group:{names['log_group']}"},
        {"FlowLogId": rid("fl", network, "s3"), "ResourceId": vpc_id, "LogDestinationType": "s3",
         "LogDestination": f"arn:aws:s3:::{names['flowlogs_bucket']}/AWSLogs/"},
    ]
    key_arn = f"arn:aws:kms:us-east-1:{account}:key/11111111-2222-3333-4444-555555555555"
    state["kms_keys"] = {names["flowlogs_key_alias"]: {"KeyMetadata": {"Arn": key_arn}}, names["config_key_alias"]: None}
    state["buckets"] = {names["flowlogs_bucket"]: {"Name": names["flowlogs_bucket"]}, names["config_bucket"]: {"Name": names["config_bucket"]}}
    state["config"] = {
        "recorders": [{"name": names["config_recorder"]}], "recorder_status": [{"name": names["config_recorder"], "recording": True}],
        "delivery_channels": [{"name": names["config_channel"], "s3BucketName": names["config_bucket"]}],
        "rules": [{"ConfigRuleName": f"required-tags-{network}-sandbox", "Tags": ours(network)},
                  {"ConfigRuleName": f"hand-made-{network}-sandbox", "Tags": []}],
    }
    state["topic"] = {"Attributes": {"TopicArn": f"arn:aws:sns:us-east-1:{account}:{names['topic']}"}}
    state["log_group"] = {"logGroupName": names["log_group"]}
    state["alarms"] = [{"AlarmName": name} for name in sorted(names["alarms"].values())] + [{"AlarmName": "someone-elses"}]
    state["event_rules"] = [{"Name": name} for name in names["event_rules"].values()]
    state["dashboard"] = {"DashboardName": names["dashboard"], "DashboardBody": {}}
    return state


def peered(make):
    """Both sites with an active peering and every route."""
    trading, analytics = make("trading"), make("analytics")
    pcx_id = pcx(trading, analytics)
    add_routes(trading, analytics, pcx_id)
    add_routes(analytics, trading, pcx_id)
    return {"trading": trading, "analytics": analytics}, pcx_id


def publish(states, peerings=(PEERING,)):
    """roles/outputs/tasks/main.yml, one host after the other, then the run_once merge."""
    facts = hostvars(**states)
    for host, state in states.items():
        context = plans.peering_context(list(peerings), host, facts, {"network_name": host, "environment_suffix": "sandbox"})
        facts[host].update(
            outputs_site=dicts.prefix_keys(plans.site_outputs(state), f"{host}_"),
            outputs_connections=plans.peering_connections(state, context),
            outputs_dashboard_url=plans.dashboard_url(state, "netsec-sandbox"))
    return peering_filters.environment_outputs(list(states), facts, list(peerings), "sandbox")


# ---------------------------------------------------------------------------------------------- per site
def test_site_outputs_of_a_full_state():
    state = full("trading")
    out = outputs.site_outputs(state)
    assert set(out) == FULL_KEYS
    tables = sorted(private_tables(state), key=lambda t: next(x["Value"] for x in t["Tags"] if x["Key"] == "Name"))
    assert out["vpc_id"] == state["vpc"]["VpcId"] and out["vpc_name"] == "vpc-trading-sandbox" and out["adopted"] is False
    assert (out["account_id"], out["region"], out["cidr_block"]) == ("111111111111", "us-east-1", "10.0.0.0/16")
    assert out["private_subnet_ids"] == [s["SubnetId"] for s in state["subnets"]]
    assert out["private_subnet_cidrs"] == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert out["availability_zones"] == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert out["private_route_table_ids"] == [t["RouteTableId"] for t in tables]
    assert out["private_nacl_id"] == out["nacl_id"] == rid("acl", "trading", "private")
    assert out["security_group_id"] == rid("sg", "trading", "peering")
    assert out["endpoints_security_group_id"] == rid("sg", "trading", "endpoints")
    assert (out["s3_endpoint_id"], out["dynamodb_endpoint_id"], out["ssm_endpoint_id"]) == (
        rid("vpce", "trading", "s3"), rid("vpce", "trading", "ddb"), rid("vpce", "trading", "ssm"))
    assert out["flowlogs_bucket"] == "flowlogs-trading-111111111111-sandbox"
    assert out["flowlogs_bucket_arn"] == "arn:aws:s3:::flowlogs-trading-111111111111-sandbox"
    assert out["flowlogs_kms_key_arn"].startswith("arn:aws:kms:us-east-1:111111111111:key/")
    assert out["flow_log_id"] == rid("fl", "trading", "s3")
    assert (out["config_bucket"], out["config_recorder_name"], out["config_recorder_reused"]) == (
        "config-trading-111111111111-sandbox", "config-recorder-trading-sandbox", False)
    assert out["config_rule_names"] == ["required-tags-trading-sandbox"]
    assert out["alert_topic_arn"] == "arn:aws:sns:us-east-1:111111111111:alerts-trading-sandbox"
    assert out["flowlog_log_group"] == "/netsec/flowlogs/trading-sandbox"
    assert out["alarm_names"] == ["nonwhitelisted-ports-trading-sandbox", "rejected-flows-trading-sandbox",
                                  "traffic-anomaly-trading-sandbox"]
    assert out["event_rule_names"] == [f"{kind}-changes-trading-sandbox" for kind in ("peering", "route", "sg", "nacl", "vpc")]
    assert out["dashboard_name"] == "netsec-sandbox"


def test_site_outputs_of_a_network_only_state():
    state = network_only("trading")
    out = outputs.site_outputs(state)
    assert set(out) == NETWORK_KEYS
    assert out["security_group_id"] == "" and out["private_nacl_id"] == rid("acl", "trading", "private")
    assert plans.dashboard_url(state, "netsec-sandbox") == ""


def test_site_outputs_without_a_vpc():
    assert outputs.site_outputs({"account_id": "111111111111", "region": "us-east-1", "network_name": "trading",
                                 "environment_suffix": "sandbox", "vpc": None}) == {"account_id": "111111111111", "region": "us-east-1"}
    assert outputs.site_outputs(None) == {"account_id": "", "region": ""}


def test_adopted_vpc_and_a_reused_recorder():
    state = full("trading")
    state["vpc"]["Tags"] = tags(Name="legacy")
    state["config"]["recorders"] = [{"name": "default"}]
    out = outputs.site_outputs(state)
    assert (out["adopted"], out["vpc_name"]) == (True, "legacy")
    assert (out["config_recorder_name"], out["config_recorder_reused"]) == ("default", True)


def test_only_our_private_resources_are_published():
    state = full("trading")
    state["subnets"].append({"SubnetId": rid("subnet", "app"), "CidrBlock": "10.0.100.0/24", "AvailabilityZone": "us-east-1a",
                             "Tags": tags(Name="app", Tier="private")})
    state["subnets"].append({"SubnetId": rid("subnet", "other"), "CidrBlock": "10.0.101.0/24", "AvailabilityZone": "us-east-1a",
                             "Tags": ours("analytics", Name="x", Tier="private")})
    state["route_tables"].append({"RouteTableId": rid("rtb", "app"), "Tags": ours("trading", Name="rtb-public-trading-sandbox")})
    out = outputs.site_outputs(state)
    assert len(out["private_subnet_ids"]) == 3 and rid("subnet", "app") not in out["private_subnet_ids"]
    assert rid("rtb", "app") not in out["private_route_table_ids"]


@pytest.mark.parametrize("partition, region, domain", [
    ("aws", "us-east-1", "us-east-1.console.aws.amazon.com"),
    ("aws-cn", "cn-north-1", "cn-north-1.console.amazonaws.cn"),
    ("aws-us-gov", "us-gov-west-1", "us-gov-west-1.console.amazonaws-us-gov.com"),
])
def test_dashboard_url(partition, region, domain):
    state = dict(full("trading"), partition=partition, region=region)
    assert plans.dashboard_url(state, "netsec-sandbox") == (
        f"https://{domain}/cloudwatch/home?region={region}#dashboards:name=netsec-sandbox")
    assert outputs.dashboard_url(dict(state, dashboard=None), "netsec-sandbox") == ""
    assert outputs.dashboard_url(None, "netsec-sandbox") == ""


# ---------------------------------------------------------------------------------------------- the environment
def test_environment_outputs_of_full_states():
    states, pcx_id = peered(full)
    out = publish(states)
    assert CONTRACT <= set(out)
    assert out["environment_suffix"] == "sandbox"
    assert (out["peering_connection_id"], out["peering_connection_status"]) == (pcx_id, "active")
    assert out["requester_route_table_ids"] == sorted(t["RouteTableId"] for t in private_tables(states["trading"]))
    assert out["accepter_route_table_ids"] == sorted(t["RouteTableId"] for t in private_tables(states["analytics"]))
    assert out["dashboard_url"] == "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=netsec-sandbox"
    assert out["peering_connections"] == {"trading-analytics": {
        "peering_connection_id": pcx_id, "peering_connection_status": "active", "requester": "trading", "accepter": "analytics",
        "requester_route_table_ids": out["requester_route_table_ids"], "accepter_route_table_ids": out["accepter_route_table_ids"]}}
    for host in ("trading", "analytics"):
        site = {key[len(host) + 1:]: value for key, value in out.items() if key.startswith(f"{host}_")}
        assert site == outputs.site_outputs(states[host])
        assert set(site) == FULL_KEYS
    assert set(out) == CONTRACT | {"environment_suffix", "peering_connections"} | {
        f"{host}_{key}" for host in ("trading", "analytics") for key in FULL_KEYS}


def test_environment_outputs_of_network_only_states():
    """Just after the network stage (no peering yet): the contract keys are there, empty."""
    states = {"trading": network_only("trading"), "analytics": network_only("analytics")}
    out = publish(states)
    assert {key: out[key] for key in CONTRACT} == {"peering_connection_id": "", "peering_connection_status": "",
                                                   "requester_route_table_ids": [], "accepter_route_table_ids": [],
                                                   "dashboard_url": ""}
    assert set(out) == CONTRACT | {"environment_suffix", "peering_connections"} | {
        f"{host}_{key}" for host in ("trading", "analytics") for key in NETWORK_KEYS}


def test_environment_outputs_while_the_peering_waits_for_acceptance():
    trading, analytics = network_only("trading"), network_only("analytics")
    pcx_id = pcx(trading, analytics, status="pending-acceptance")
    out = publish({"trading": trading, "analytics": analytics})
    assert (out["peering_connection_id"], out["peering_connection_status"]) == (pcx_id, "pending-acceptance")


def test_a_deleted_peering_is_not_published():
    trading, analytics = network_only("trading"), network_only("analytics")
    pcx(trading, analytics, status="deleted")
    out = publish({"trading": trading, "analytics": analytics})
    assert (out["peering_connection_id"], out["peering_connection_status"]) == ("", "")


def test_hub_publishes_the_first_peering_in_the_contract_keys_and_every_peering_by_name():
    states, first = peered(full)
    risk = converged(network="risk", cidr="10.2.0.0/16", account="333333333333")
    second = pcx(states["trading"], risk)
    states["risk"] = risk
    peerings = [PEERING, {"name": "trading-risk", "requester": "trading", "accepter": "risk"}]
    out = publish(states, peerings)
    assert out["peering_connection_id"] == first
    assert out["peering_connections"]["trading-risk"]["peering_connection_id"] == second
    assert out["peering_connections"]["trading-risk"]["accepter_route_table_ids"] == sorted(
        t["RouteTableId"] for t in private_tables(risk))


def test_peering_connections_of_a_site_without_vpc_or_peer():
    states = peered(full)[0]
    settings = {"network_name": "trading", "environment_suffix": "sandbox"}
    context = plans.peering_context([PEERING], "trading", hostvars(trading=states["trading"]), settings)
    assert plans.peering_connections(states["trading"], context) == {}      # the peer's state is unknown
    assert plans.peering_connections(dict(copy.deepcopy(states["trading"]), vpc=None), context) == {}


def test_site_network_agrees_with_site_outputs():
    state = full("trading")
    network = plans.site_network(state)
    out = outputs.site_outputs(state)
    assert {key: out[key] for key in network} == network
