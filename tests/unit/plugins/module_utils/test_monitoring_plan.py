"""Tables of cases for the monitoring stage's planner (pure; the modules' agreement is in modules/test_monitoring_stage.py)."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import monitoring_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import STEPS
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import TEARDOWN_STEPS
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import dashboard_body
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import insights_fields
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import monitoring_result
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import peer_cidrs
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import plan_monitoring
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import plan_monitoring_teardown
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import private_subnet_cidrs
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import top_talkers_query

SITE = "trading-sandbox"
ACCOUNT = "111111111111"
V5 = ("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} "
      "${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} "
      "${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} ${pkt-dst-aws-service} "
      "${flow-direction} ${traffic-path}")
OURS = [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Network", "Value": "trading"}]


def tags(network, **extra):
    out = [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Network", "Value": network}]
    return out + [{"Key": k, "Value": v} for k, v in extra.items()]


def peer(network="analytics", cidrs=("10.1.0.0/24", "10.1.1.0/24")):
    return {"network_name": network, "subnets": [{"CidrBlock": cidr, "Tags": tags(network, Tier="private")} for cidr in cidrs]}


def spec(**overrides):
    base = {
        "network_name": "trading", "environment_suffix": "sandbox", "account_id": ACCOUNT, "region": "us-east-1",
        "tags": {"CostCenter": "CC-1", "Environment": "sandbox"}, "alert_email": "", "key_deletion_window": 7,
        "log_retention_days": 90, "flow_log_traffic_type": "ALL", "flow_log_max_aggregation_interval": 60,
        "flow_log_format": V5, "peer_cidrs": [], "peer_states": {"analytics": peer()}, "allowed_ports": [443, 5432],
        "metric_namespace": "NetSec/Peering", "alarm_period": 300, "rejected_threshold": 10, "anomaly_band_width": 2.0,
        "anomaly_evaluation_periods": 3, "anomaly_datapoints_to_alarm": 2, "dashboard_name": "netsec-sandbox",
        "dashboard_owner": True, "check_mode": False,
    }
    base.update(overrides)
    return base


def empty(**overrides):
    """An account with the site's VPC and nothing of the monitoring."""
    state = {
        "network_name": "trading", "environment_suffix": "sandbox", "account_id": ACCOUNT, "partition": "aws",
        "region": "us-east-1", "vpc": {"VpcId": "vpc-0123456789abcdef0", "Tags": tags("trading")},
        "subnets": [], "route_tables": [{"RouteTableId": "rtb-1"}], "network_acls": [{"NetworkAclId": "acl-1"}],
        "security_groups": [{"GroupId": "sg-1"}], "flow_logs": [], "kms_keys": {}, "iam_roles": {}, "topic": None,
        "log_group": None, "alarms": [], "event_rules": [], "dashboard": None,
    }
    state.update(overrides)
    return state


def steps(plan):
    return {step for step, needed in plan["steps"].items() if needed}


# ---------------------------------------------------------------------------
# Logs Insights and the dashboard (formerly Jinja)
# ---------------------------------------------------------------------------

INSIGHTS = [
    ("${srcaddr} ${dstaddr}", ["srcAddr", "dstAddr"]),
    ("${srcport} ${dstport} ${protocol}", ["srcPort", "dstPort", "protocol"]),
    ("${account-id} ${log-status} ${tcp-flags}", ["accountId", "logStatus", "tcpFlags"]),
    ("${pkt-srcaddr} ${pkt-dstaddr}", ["pktSrcAddr", "pktDstAddr"]),
    ("${pkt-src-aws-service} ${flow-direction} ${traffic-path}", ["pktSrcAwsService", "flowDirection", "trafficPath"]),
    ("  ${version}\n${bytes}  ", ["version", "bytes"]),
]


@pytest.mark.parametrize("log_format, expected", INSIGHTS, ids=[case[0].strip() for case in INSIGHTS])
def test_insights_field_names(log_format, expected):
    assert insights_fields(log_format) == expected


@pytest.mark.parametrize("log_format", ["", "srcaddr dstaddr", None])
def test_insights_fields_refuse_a_format_without_tokens(log_format):
    with pytest.raises(ValueError, match="has no"):
        insights_fields(log_format)


def test_top_talkers_query_parses_every_field_in_order():
    assert top_talkers_query("/netsec/flowlogs/x", "${srcaddr} ${dstaddr} ${bytes}") == (
        "SOURCE '/netsec/flowlogs/x' | parse @message \"* * *\" as srcAddr, dstAddr, bytes "
        "| stats sum(bytes) as bytes by srcAddr, dstAddr | sort bytes desc | limit 10")


def test_the_dashboard_as_the_role_built_it():
    plan = plan_monitoring(empty(), spec())
    body = plan["args"]["dashboard"]["body"]
    widgets = body["widgets"]
    assert [(w["type"], w["x"], w["y"], w["width"], w["height"]) for w in widgets] == [
        ("text", 0, 0, 24, 2), ("metric", 0, 2, 12, 6), ("metric", 12, 2, 12, 6), ("metric", 0, 8, 8, 6),
        ("metric", 8, 8, 8, 6), ("alarm", 16, 8, 8, 6), ("log", 0, 14, 24, 6)]
    assert widgets[0]["properties"]["markdown"] == (
        "## NetSec peering, sandbox: trading (account 111111111111, us-east-1)\nMetrics, alarms and flow logs of this "
        "account only; peers' metrics need CloudWatch cross-account observability. Alerts go to SNS topic "
        f"`alerts-{SITE}`.")
    assert widgets[1]["properties"] == {
        "region": "us-east-1", "stat": "Sum", "period": 300, "view": "timeSeries", "title": "Bytes over the peering",
        "metrics": [["NetSec/Peering", f"PeeringBytesIn-{SITE}", {"label": "in (from peers)"}],
                    ["NetSec/Peering", f"PeeringBytesOut-{SITE}", {"label": "out (to peers)"}]]}
    assert widgets[3]["properties"]["annotations"] == {"horizontal": [{"label": "alarm", "value": 10}]}
    assert widgets[4]["properties"]["annotations"] == {"horizontal": [{"label": "alarm", "value": 1}]}
    assert widgets[5]["properties"]["alarms"] == [f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}-{SITE}"
                                                  for name in ("rejected-flows", "nonwhitelisted-ports", "traffic-anomaly")]
    assert widgets[6]["properties"]["query"].startswith(f"SOURCE '/netsec/flowlogs/{SITE}' | parse @message \"{' '.join(['*'] * 29)}\"")
    assert "stats sum(bytes) as bytes by srcAddr, dstAddr | sort bytes desc | limit 10" in widgets[6]["properties"]["query"]


def test_dashboard_body_follows_period_and_threshold():
    ctx = {"network": "n", "suffix": "s", "account_id": ACCOUNT, "region": "eu-west-1", "topic": "t", "log_group": "/g",
           "log_format": "${srcaddr} ${dstaddr} ${bytes}", "namespace": "NS", "period": 60, "rejected_threshold": 3,
           "metrics": {k: k for k in ("bytes_in", "bytes_out", "packets_in", "packets_out", "rejected", "ports")},
           "alarm_arns": ["a"]}
    widgets = dashboard_body(ctx)["widgets"]
    assert {w["properties"].get("period") for w in widgets if w["type"] == "metric"} == {60}
    assert widgets[3]["properties"]["annotations"]["horizontal"][0]["value"] == 3.0
    assert widgets[6]["properties"]["region"] == "eu-west-1"


# ---------------------------------------------------------------------------
# Peer CIDRs: from each peer's discovery
# ---------------------------------------------------------------------------

PUBLIC = {"CidrBlock": "10.1.9.0/24", "Tags": tags("analytics", Tier="public")}
FOREIGN = {"CidrBlock": "10.1.8.0/24", "Tags": [{"Key": "Tier", "Value": "private"}]}
OTHER_NETWORK = {"CidrBlock": "10.1.7.0/24", "Tags": tags("trading", Tier="private")}
PEER_CASES = [
    ("one peer, sorted by address", {"analytics": peer(cidrs=("10.1.10.0/24", "10.1.2.0/24"))}, False, [],
     (["10.1.2.0/24", "10.1.10.0/24"], 0, False)),
    ("only private subnets of the peer's own network",
     {"analytics": dict(peer(), subnets=peer()["subnets"] + [PUBLIC, FOREIGN, OTHER_NETWORK])}, False, [],
     (["10.1.0.0/24", "10.1.1.0/24"], 0, False)),
    ("two peers", {"b": peer("b", ("10.2.0.0/24",)), "a": peer("a", ("10.3.0.0/24",))}, False, [],
     (["10.3.0.0/24", "10.2.0.0/24"], 0, False)),
    ("the override wins", {"analytics": {}}, False, ["192.168.0.0/16"], (["192.168.0.0/16"], 0, False)),
    ("a peer outside the play", {"analytics": {}}, False, [], ([], 1, False)),
    ("a peer without a VPC", {"analytics": peer(cidrs=())}, False, [], ([], 1, False)),
    ("a peer without a VPC, check mode", {"analytics": peer(cidrs=())}, True, [], ([], 0, True)),
    ("no peering at all", {}, False, [], ([], 1, False)),
]


@pytest.mark.parametrize("peers, check_mode, override, expected", [c[1:] for c in PEER_CASES], ids=[c[0] for c in PEER_CASES])
def test_peer_cidrs(peers, check_mode, override, expected):
    cidrs, errors, pending = peer_cidrs(spec(peer_states=peers, check_mode=check_mode, peer_cidrs=override))
    assert (cidrs, len(errors), pending) == expected


def test_private_subnet_cidrs_of_no_state():
    assert private_subnet_cidrs(None) == [] and private_subnet_cidrs({}) == []


def test_the_metric_filters_watch_the_discovered_subnets_never_an_inventory_cidr():
    plan = plan_monitoring(empty(), spec(peer_states={"analytics": dict(peer(), vpc_cidr="10.9.0.0/16")}))
    patterns = {f["name"]: f["pattern"] for f in plan["args"]["metric_filters"]["filters"]}
    assert "srcaddr=10.1.0.* || srcaddr=10.1.1.*" in patterns[f"peering-bytes-in-{SITE}"]
    assert "10.9." not in "".join(patterns.values())


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


def test_an_empty_account_in_check_mode_plans_every_step_without_error():
    state = empty(vpc=None, route_tables=[], network_acls=[], security_groups=[])
    plan = plan_monitoring(state, spec(check_mode=True, peer_states={"analytics": peer(cidrs=())}))
    assert plan["errors"] == []
    assert steps(plan) == set(STEPS)
    pending = {c["resource"]: c["after"] for c in plan["changes"] if isinstance(c.get("after"), str) and c["after"].startswith("(")}
    assert pending[f"metric_filter rejected-flows-in-{SITE}"] == "(built from the peers' private subnets once they exist)"
    assert pending[f"event_rule vpc-changes-{SITE}"] == "(the VPC of trading, once the network stage created it)"
    assert pending[f"topic alerts-{SITE}"] == f"(the ARN of alias/alerts-{SITE}, once created)"


def test_an_empty_account_without_check_mode_stops_before_any_change():
    state = empty(vpc=None, route_tables=[], network_acls=[], security_groups=[])
    plan = plan_monitoring(state, spec(peer_states={"analytics": peer(cidrs=())}))
    assert len(plan["errors"]) == 2 and "trading has no VPC" in plan["errors"][0]
    assert not any(plan["steps"].values())


def test_a_site_with_its_vpc_plans_every_step_with_the_modules_options():
    plan = plan_monitoring(empty(), spec())
    assert plan["errors"] == [] and steps(plan) == set(STEPS)
    args = plan["args"]
    assert [key["alias"] for key in args["kms"]["keys"]] == [f"alias/alerts-{SITE}", f"alias/flowlogs-cwl-{SITE}"]
    assert args["kms"]["tags"] == {"CostCenter": "CC-1", "Environment": "sandbox", "Network": "trading", "ManagedBy": "netsec.aws_peering"}
    assert args["topic"]["tags"]["Name"] == f"alerts-{SITE}" and args["topic"]["subscriptions"] == []
    assert args["log_group"] == {"log_group_name": f"/netsec/flowlogs/{SITE}", "kms_key_id": None, "retention": 90,
                                 "tags": dict(args["kms"]["tags"], Name=f"/netsec/flowlogs/{SITE}"), "purge_tags": True}
    assert args["flow_log"]["resource_id"] == "vpc-0123456789abcdef0"
    assert args["flow_log"]["deliver_logs_permission_arn"] == f"arn:aws:iam::{ACCOUNT}:role/flowlogs-delivery-{SITE}"
    assert [a["name"] for a in args["alarms"]["alarms"]] == [f"rejected-flows-{SITE}", f"nonwhitelisted-ports-{SITE}",
                                                             f"traffic-anomaly-{SITE}"]
    assert all(a["tags"] == {"Name": a["name"]} for a in args["alarms"]["alarms"])
    assert [r["name"] for r in args["rules"]["rules"]] == [f"{p}-changes-{SITE}" for p in ("peering", "route", "sg", "nacl", "vpc")]
    vpc_rule = args["rules"]["rules"][4]["event_pattern"]["detail"]["$or"]
    assert vpc_rule[1]["eventName"] == ["CreateInternetGateway", "CreateNatGateway", "ModifyVpcEndpoint", "DeleteFlowLogs"]
    assert plan["result"] == {
        "alert_topic_arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts-{SITE}", "flowlog_log_group": f"/netsec/flowlogs/{SITE}",
        "alarm_names": [f"rejected-flows-{SITE}", f"nonwhitelisted-ports-{SITE}", f"traffic-anomaly-{SITE}"],
        "event_rule_names": [f"{p}-changes-{SITE}" for p in ("peering", "route", "sg", "nacl", "vpc")],
        "dashboard_name": "netsec-sandbox",
        "dashboard_url": "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=netsec-sandbox"}


def test_planned_again_with_the_keys_kms_keys_returned():
    key = {"KeyMetadata": {"KeyId": "k1", "Arn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1", "KeyState": "Enabled",
                           "KeyManager": "CUSTOMER"}, "Tags": [], "Policy": None, "KeyRotationEnabled": True}
    plan = plan_monitoring(empty(), spec(), {f"alias/flowlogs-cwl-{SITE}": key})
    assert plan["args"]["log_group"]["kms_key_id"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"
    assert plan["args"]["topic_encryption"]["kms_master_key_id"] is None
    assert monitoring_plans.monitoring_plan(empty(), spec(), {f"alias/alerts-{SITE}": key})["args"]["topic_encryption"][
        "kms_master_key_id"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1"


def test_the_dashboard_only_on_its_owner():
    plan = plan_monitoring(empty(), spec(dashboard_owner=False))
    assert not plan["steps"]["dashboard"] and "dashboard" not in plan["args"] and "dashboard_url" not in plan["result"]
    assert plan_monitoring(empty(), spec())["steps"]["dashboard"]


def test_the_rules_watch_whatever_groups_exist_yet():
    """No peering group yet (the security stage runs later): the default group is watched, nothing fails."""
    plan = plan_monitoring(empty(security_groups=[{"GroupId": "sg-default"}]), spec())
    sg_rule = plan["args"]["rules"]["rules"][2]["event_pattern"]["detail"]["$or"][0]["requestParameters"]
    assert sg_rule == {"groupId": ["sg-default"]} and plan["errors"] == []


ERRORS = [
    ("another account", empty(account_id="999999999999"), {}, "reaches account 999999999999, not 111111111111"),
    ("another region", empty(region="eu-west-1"), {}, "monitoring_region: us-east-1 is not the region eu-west-1"),
    ("someone else's topic", empty(topic={"Attributes": {}, "Subscriptions": [], "Tags": [{"Key": "ManagedBy", "Value": "other"}]}),
     {}, f"SNS topic alerts-{SITE} exists but is not the collection's for trading (tagged ManagedBy=other)"),
    ("another network's alarm", empty(alarms=[{"AlarmName": f"rejected-flows-{SITE}", "Tags": tags("analytics")}]), {},
     "is not the collection's for trading (tagged Network=analytics)"),
    ("a log group with another key", empty(log_group={"logGroupName": f"/netsec/flowlogs/{SITE}", "kmsKeyId": "arn:k/other",
                                                      "tags": {}, "metricFilters": []}), {}, "is encrypted with arn:k/other"),
    ("a pattern too long", empty(), {"peer_cidrs": [f"10.{i}.0.0/16" for i in range(33)]}, "metric filters of trading"),
    ("a bad flow log format", empty(), {"flow_log_format": "${nope}"}, "(monitoring_flow_log_*): log_format names unknown"),
    ("someone else's flow log to our group", empty(flow_logs=[{
        "FlowLogId": "fl-9", "ResourceId": "vpc-0123456789abcdef0", "LogDestinationType": "cloud-watch-logs",
        "LogGroupName": f"/netsec/flowlogs/{SITE}", "Tags": []}]), {}, "do not carry the tag ManagedBy=netsec.aws_peering"),
]


@pytest.mark.parametrize("state, overrides, message", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_plan_errors_name_the_problem_and_run_nothing(state, overrides, message):
    plan = plan_monitoring(state, spec(**overrides))
    assert any(message in error for error in plan["errors"]), plan["errors"]
    assert not any(plan["steps"].values())


def test_a_resource_without_tags_is_ours_to_repair():
    """Found by our deterministic name, no owner tag: the converge tags it (teardown would leave it)."""
    alarm = {"AlarmName": f"rejected-flows-{SITE}", "Tags": []}
    plan = plan_monitoring(empty(alarms=[alarm]), spec())
    assert plan["errors"] == [] and plan["steps"]["alarms"]


def test_our_key_scheduled_for_deletion_is_recovered_not_an_error():
    """Drift (a deletion scheduled by hand, or a teardown killed midway): the converge cancels it."""
    state = full_state()
    state["kms_keys"][f"alias/alerts-{SITE}"]["KeyMetadata"]["KeyState"] = "PendingDeletion"
    plan = plan_monitoring(state, spec())
    assert plan["errors"] == [] and plan["args"]["kms"]["recover_pending"] is True
    assert ("update", "KeyState") in {(c["action"], c["field"]) for c in plan["changes"] if c["step"] == "kms"}


# ---------------------------------------------------------------------------
# Teardown: ours only, and twice nothing
# ---------------------------------------------------------------------------


def full_state():
    """Everything the stage builds, as discovery describes it (only what teardown reads)."""
    key = {"KeyMetadata": {"KeyId": "k1", "KeyState": "Enabled", "KeyManager": "CUSTOMER"},
           "Tags": [{"TagKey": "ManagedBy", "TagValue": "netsec.aws_peering"}, {"TagKey": "Network", "TagValue": "trading"}]}
    return empty(
        dashboard={"DashboardName": "netsec-sandbox", "DashboardArn": "arn:d", "DashboardBody": {"widgets": []}},
        event_rules=[{"Name": f"{p}-changes-{SITE}", "Tags": tags("trading")} for p in ("peering", "route", "sg", "nacl", "vpc")],
        alarms=[{"AlarmName": f"rejected-flows-{SITE}", "Tags": tags("trading")}],
        flow_logs=[{"FlowLogId": "fl-1", "ResourceId": "vpc-0123456789abcdef0", "LogDestinationType": "cloud-watch-logs",
                    "LogGroupName": f"/netsec/flowlogs/{SITE}", "Tags": tags("trading")},
                   {"FlowLogId": "fl-2", "ResourceId": "vpc-0123456789abcdef0", "LogDestinationType": "s3",
                    "LogDestination": "arn:aws:s3:::flowlogs-trading-111111111111-sandbox"}],
        log_group={"logGroupName": f"/netsec/flowlogs/{SITE}", "tags": {"ManagedBy": "netsec.aws_peering", "Network": "trading"},
                   "metricFilters": [{"filterName": "f1"}]},
        iam_roles={f"flowlogs-delivery-{SITE}": {"Role": {}, "Tags": tags("trading"), "InlinePolicies": {"p": {}}}},
        topic={"Attributes": {}, "Subscriptions": [], "Tags": tags("trading")},
        kms_keys={f"alias/alerts-{SITE}": key, f"alias/flowlogs-cwl-{SITE}": copy.deepcopy(key)},
    )


def test_teardown_plans_every_step_in_reverse_order():
    plan = plan_monitoring_teardown(full_state(), spec())
    assert plan["errors"] == [] and list(plan["steps"]) == list(TEARDOWN_STEPS) and all(plan["steps"].values())
    assert [c["step"] for c in plan["changes"]] == sorted((c["step"] for c in plan["changes"]), key=TEARDOWN_STEPS.index)
    assert plan["args"]["flow_log"] == {"resource_id": "vpc-0123456789abcdef0", "log_destination_type": "cloud-watch-logs",
                                        "log_group_name": f"/netsec/flowlogs/{SITE}", "require_owner_tag": True, "state": "absent"}
    assert [c["resource"] for c in plan["changes"] if c["step"] == "flow_log"] == ["flow_log fl-1"]  # not the S3 one
    assert plan["args"]["kms"] == {"keys": [{"alias": f"alias/alerts-{SITE}"}, {"alias": f"alias/flowlogs-cwl-{SITE}"}],
                                   "state": "absent", "pending_window_days": 7}
    assert plan["result"] == {}


def test_teardown_leaves_what_is_not_ours():
    state = full_state()
    state["alarms"][0]["Tags"] = []
    state["event_rules"][0]["Tags"] = tags("analytics")
    state["log_group"]["tags"] = {}
    state["topic"]["Tags"] = [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]
    state["kms_keys"][f"alias/alerts-{SITE}"]["Tags"] = []
    plan = plan_monitoring_teardown(state, spec(dashboard_owner=False))
    assert steps(plan) == {"rules", "flow_log", "delivery_role", "kms"}
    assert f"event_rule peering-changes-{SITE}" not in {c["resource"] for c in plan["changes"]}
    assert plan["args"]["kms"]["keys"] == [{"alias": f"alias/flowlogs-cwl-{SITE}"}]


def test_teardown_after_one_stopped_half_way_deletes_the_alias_of_a_key_pending_deletion():
    state = empty(kms_keys={f"alias/alerts-{SITE}": {"KeyMetadata": {"KeyId": "k1", "KeyState": "PendingDeletion",
                                                                     "KeyManager": "CUSTOMER"}, "Tags": []}})
    plan = plan_monitoring_teardown(state, spec())
    assert [(c["action"], c["field"]) for c in plan["changes"]] == [("delete", "alias")]


def test_a_second_teardown_plans_nothing():
    plan = plan_monitoring_teardown(empty(kms_keys={f"alias/alerts-{SITE}": None}, iam_roles={f"flowlogs-delivery-{SITE}": None}), spec())
    assert {k: plan[k] for k in ("errors", "changes", "steps", "result")} == {
        "errors": [], "changes": [], "steps": {step: False for step in TEARDOWN_STEPS}, "result": {}}


def test_teardown_stops_on_someone_elses_flow_log_to_our_group():
    state = full_state()
    state["flow_logs"][0]["Tags"] = []
    plan = plan_monitoring_teardown(state, spec())
    assert "do not carry the tag ManagedBy=netsec.aws_peering" in plan["errors"][0] and not any(plan["steps"].values())


def test_teardown_without_a_vpc():
    plan = plan_monitoring_teardown(dict(full_state(), vpc=None), spec())
    assert not plan["steps"]["flow_log"] and plan["steps"]["log_group"]


# ---------------------------------------------------------------------------
# What exists (info) and the filters
# ---------------------------------------------------------------------------


def test_monitoring_result_names_what_exists():
    assert monitoring_result(empty(), spec()) == {"alert_topic_arn": "", "flowlog_log_group": "", "alarm_names": [],
                                                  "event_rule_names": [], "dashboard_name": "netsec-sandbox", "dashboard_url": ""}
    result = monitoring_result(full_state(), spec(dashboard_owner=False))
    assert result["alert_topic_arn"] == f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts-{SITE}" and "dashboard_url" not in result
    assert result["alarm_names"] == [f"rejected-flows-{SITE}"] and len(result["event_rule_names"]) == 5


def test_the_filters():
    filters = monitoring_plans.FilterModule().filters()
    assert filters["monitoring_plan"](empty(), spec())["errors"] == []
    assert filters["monitoring_teardown_plan"](empty(), spec())["changes"] == []
    assert filters["monitoring_result"](empty(), spec())["dashboard_name"] == "netsec-sandbox"
    with pytest.raises(AnsibleFilterError, match="monitoring_plan: expects the site state"):
        filters["monitoring_plan"]([], spec())
