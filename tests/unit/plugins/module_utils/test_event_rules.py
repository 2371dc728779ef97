"""Tables of cases for the change-alert rules builder and the EventBridge rule planner (pure)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netsec.aws_peering.plugins.filter import monitoring_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import canonical_pattern
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import change_alert_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import plan_rules

SITE = "trading-sandbox"
NAMES = {"peering": f"peering-changes-{SITE}", "routes": f"route-changes-{SITE}", "security_groups": f"sg-changes-{SITE}",
         "nacls": f"nacl-changes-{SITE}", "vpc": f"vpc-changes-{SITE}"}
VPC = "vpc-0123456789abcdef0"
TOPIC = "arn:aws:sns:us-east-1:111111111111:alerts-trading-sandbox"
OTHER = "arn:aws:sns:us-east-1:111111111111:oncall"
API = {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}
EC2 = {"eventSource": ["ec2.amazonaws.com"]}


def alert_rules():
    return change_alert_rules(NAMES, VPC, ["rtb-2", "rtb-1", "rtb-1"], ["acl-1"], ["sg-9", "sg-1"], TOPIC, "trading")


def test_change_alert_rules_as_the_role_defined_them_plus_the_review():
    rules = {rule["name"]: rule for rule in alert_rules()}
    assert list(rules) == [NAMES[k] for k in ("peering", "routes", "security_groups", "nacls", "vpc")]
    for name, rule in rules.items():
        assert rule["targets"] == [{"id": "alert-topic", "arn": TOPIC}]
        assert rule["enabled"] is True and rule["tags"] == {"Name": name}
        assert {k: rule["event_pattern"][k] for k in API} == API
        assert rule["event_pattern"]["detail"]["eventSource"] == ["ec2.amazonaws.com"]
    assert rules[NAMES["peering"]]["event_pattern"]["detail"] == dict(EC2, eventName=[
        "CreateVpcPeeringConnection", "AcceptVpcPeeringConnection", "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection", "ModifyVpcPeeringConnectionOptions"])
    # Unchanged from roles/monitoring/tasks/events.yml (IDs sorted and unique).
    assert rules[NAMES["routes"]]["event_pattern"]["detail"] == dict(EC2, **{"$or": [
        {"eventName": ["CreateRoute", "DeleteRoute", "ReplaceRoute", "AssociateRouteTable", "DeleteRouteTable",
                       "ReplaceRouteTableAssociation"], "requestParameters": {"routeTableId": ["rtb-1", "rtb-2"]}},
        {"eventName": ["CreateRouteTable"], "requestParameters": {"vpcId": [VPC]}},
        {"eventName": ["DisassociateRouteTable"]}]})
    assert rules[NAMES["security_groups"]]["event_pattern"]["detail"] == dict(EC2, **{"$or": [
        {"eventName": ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                       "RevokeSecurityGroupEgress", "UpdateSecurityGroupRuleDescriptionsIngress",
                       "UpdateSecurityGroupRuleDescriptionsEgress", "DeleteSecurityGroup"],
         "requestParameters": {"groupId": ["sg-1", "sg-9"]}},
        {"eventName": ["CreateSecurityGroup"], "requestParameters": {"vpcId": [VPC]}},
        {"eventName": ["ModifySecurityGroupRules"]}]})
    assert rules[NAMES["nacls"]]["event_pattern"]["detail"] == dict(EC2, **{"$or": [
        {"eventName": ["CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry",
                       "ReplaceNetworkAclAssociation", "DeleteNetworkAcl"], "requestParameters": {"networkAclId": ["acl-1"]}},
        {"eventName": ["CreateNetworkAcl"], "requestParameters": {"vpcId": [VPC]}}]})
    assert rules[NAMES["vpc"]]["event_pattern"]["detail"] == dict(EC2, **{"$or": [
        {"eventName": ["AttachInternetGateway", "ModifyVpcAttribute"], "requestParameters": {"vpcId": [VPC]}},
        {"eventName": ["CreateInternetGateway", "CreateNatGateway", "ModifyVpcEndpoint", "DeleteFlowLogs"]}]})
    assert rules[NAMES["routes"]]["description"] == f"Route tables of {VPC} (trading) changed"


def test_every_reviewed_event_fires_somewhere():
    found = set()
    for rule in alert_rules():
        detail = rule["event_pattern"]["detail"]
        for branch in detail.get("$or", [detail]):
            found.update(branch["eventName"])
    assert {"CreateVpcPeeringConnection", "AcceptVpcPeeringConnection", "CreateInternetGateway", "AttachInternetGateway",
            "CreateNatGateway", "ModifyVpcAttribute", "ModifyVpcEndpoint", "DeleteFlowLogs"} <= found


BAD_BUILDS = [
    (dict(names={k: v for k, v in NAMES.items() if k != "vpc"}), "names must name a rule for each of .*vpc-changes"),
    (dict(vpc_id="vpc-nope"), "vpc_id 'vpc-nope' is not a VPC ID"),
    (dict(route_table_ids=[]), "route_table_ids must be a non-empty list of rtb-"),
    (dict(nacl_ids=["sg-1"]), "nacl_ids: 'sg-1' is not a acl-"),
    (dict(security_group_ids=None), "security_group_ids must be a non-empty list"),
    (dict(topic_arn="alerts"), "topic_arn 'alerts' is not an SNS topic ARN"),
]


@pytest.mark.parametrize("override, message", BAD_BUILDS, ids=[case[1][:30] for case in BAD_BUILDS])
def test_change_alert_rules_refuses(override, message):
    args = dict(names=NAMES, vpc_id=VPC, route_table_ids=["rtb-1"], nacl_ids=["acl-1"], security_group_ids=["sg-1"],
                topic_arn=TOPIC, network="trading")
    args.update(override)
    with pytest.raises(ValueError, match=message):
        change_alert_rules(**args)


# ---------------------------------------------------------------------------
# plan_rules
# ---------------------------------------------------------------------------

PATTERN = dict(API, detail=dict(EC2, eventName=["DeleteVpcPeeringConnection", "RejectVpcPeeringConnection"]))


def wanted(name="r1", **extra):
    return dict({"name": name, "description": "Peering changed", "event_pattern": PATTERN,
                 "targets": [{"id": "alert-topic", "arn": TOPIC}]}, **extra)


def described(name="r1", pattern=None, targets=None, tags=None, **extra):
    """A rule as discovery.describe_rules returns it."""
    rule = {"Name": name, "Arn": f"arn:aws:events:us-east-1:111111111111:rule/{name}",
            "EventPattern": json.dumps(PATTERN if pattern is None else pattern), "State": "ENABLED",
            "Description": "Peering changed", "EventBusName": "default", "CreatedBy": "111111111111",
            "Targets": [{"Id": "alert-topic", "Arn": TOPIC}] if targets is None else targets,
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    rule.update(extra)
    return rule


REORDERED = {"detail": {"eventName": ["RejectVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection"],
                        "eventSource": ["ec2.amazonaws.com"]}, "detail-type": ["AWS API Call via CloudTrail"], "source": ["aws.ec2"]}


def summary(changes):
    return [(c["resource"], c["action"], c["field"]) for c in changes]


PLANS = [
    ("create", [], [wanted()], [("event_rule r1", "create", "rule")]),
    ("all match", [described()], [wanted()], []),
    ("pattern as JSON text", [described()], [wanted(event_pattern=json.dumps(PATTERN))], []),
    ("keys, alternatives and duplicates reordered", [described(pattern=REORDERED)], [wanted()], []),
    ("changed pattern", [described(pattern=dict(API, detail=dict(EC2, eventName=["DeleteVpcPeeringConnection"])))], [wanted()],
     [("event_rule r1", "update", "EventPattern")]),
    ("changed description", [described(Description="old")], [wanted()], [("event_rule r1", "update", "Description")]),
    ("no description equals empty", [described(Description=None)], [wanted(description="")], []),
    ("disabled", [described()], [wanted(enabled=False)], [("event_rule r1", "update", "State")]),
    ("schedule cleared", [described(ScheduleExpression="rate(5 minutes)")], [wanted()],
     [("event_rule r1", "update", "ScheduleExpression")]),
    ("removed target", [described(targets=[])], [wanted()], [("event_rule r1", "update", "Targets[alert-topic]")]),
    ("extra target removed", [described(targets=[{"Id": "alert-topic", "Arn": TOPIC}, {"Id": "x", "Arn": OTHER}])], [wanted()],
     [("event_rule r1", "update", "Targets[x]")]),
    ("retargeted", [described(targets=[{"Id": "alert-topic", "Arn": OTHER}])], [wanted()],
     [("event_rule r1", "update", "Targets[alert-topic]")]),
    ("input added by someone", [described(targets=[{"Id": "alert-topic", "Arn": TOPIC, "Input": "{}"}])], [wanted()],
     [("event_rule r1", "update", "Targets[alert-topic]")]),
    ("input transformer matches", [described(targets=[{"Id": "t", "Arn": TOPIC, "InputTransformer": {
        "InputPathsMap": {"call": "$.detail.eventName"}, "InputTemplate": '"<call>"'}}])],
     [wanted(targets=[{"id": "t", "arn": TOPIC, "input_transformer": {"input_template": '"<call>"',
                                                                      "input_paths_map": {"call": "$.detail.eventName"}}}])], []),
    ("missing tag", [described(tags={"Name": "r1"})], {"rules": [wanted(tags={"Name": "r1"})], "tags": {"Network": "trading"}},
     [("event_rule r1", "update", "Tags")]),
    ("aws: tags kept", [described(tags={"aws:cloudformation:stack-id": "x"})], [wanted(tags={})], []),
    ("tags not managed", [described(tags={"Any": "x"})], [wanted()], []),
    ("unlisted rules ignored", [described(), described("r2", Description="other")], [wanted()], []),
    ("absent", [described(), described("r2")], {"rules": [{"name": "r1"}, {"name": "r3"}], "state": "absent"},
     [("event_rule r1", "delete", "rule")]),
    ("the builder's rules all match their own description",
     [described(r["name"], pattern=r["event_pattern"], Description=r["description"], tags=r["tags"])
      for r in change_alert_rules(NAMES, VPC, ["rtb-1"], ["acl-1"], ["sg-1"], TOPIC, "trading")],
     change_alert_rules(NAMES, VPC, ["rtb-1"], ["acl-1"], ["sg-1"], TOPIC, "trading"), []),
]


@pytest.mark.parametrize("current, desired, expected", [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_plan_rules(current, desired, expected):
    changes = plan_rules(current, desired)
    assert summary(changes) == expected
    json.dumps(changes)
    assert monitoring_plans.plan_rules(current, desired) == changes


def test_change_values():
    changes = plan_rules([described(targets=[{"Id": "x", "Arn": OTHER}], tags={"Name": "r1"})],
                         {"rules": [wanted(tags={"Name": "r1"})], "tags": {"Network": "trading"}})
    assert changes == [
        {"resource": "event_rule r1", "action": "update", "field": "Targets[alert-topic]", "before": None, "after": {"Arn": TOPIC}},
        {"resource": "event_rule r1", "action": "update", "field": "Targets[x]", "before": {"Arn": OTHER}, "after": None},
        {"resource": "event_rule r1", "action": "update", "field": "Tags", "before": {"Name": "r1"},
         "after": {"Name": "r1", "Network": "trading"}},
    ]
    delete = plan_rules([described()], {"rules": ["r1"], "state": "absent"})[0]
    assert delete["before"]["Targets"] == {"alert-topic": {"Arn": TOPIC}} and delete["after"] is None


CANONICAL = [
    ({"a": ["x", "y"]}, {"a": ["y", "x", "x"]}, True),
    ({"$or": [{"a": ["1"]}, {"b": ["2"]}]}, {"$or": [{"b": ["2"]}, {"a": ["1"]}]}, True),
    ({"n": [{"numeric": [">", 0, "<=", 5]}]}, {"n": [{"numeric": ["<=", 5, ">", 0]}]}, False),
    ({"n": [{"anything-but": ["a", "b"]}]}, {"n": [{"anything-but": ["b", "a"]}]}, True),
    ({"a": [443]}, {"a": ["443"]}, False),
    ({"a": [1.0]}, {"a": [1]}, True),
]


@pytest.mark.parametrize("left, right, same", CANONICAL)
def test_patterns_compare_as_data(left, right, same):
    assert (canonical_pattern(left) == canonical_pattern(right)) is same


BAD = [
    (wanted(name="bad name"), r"rules\[0\].name 'bad name' must be 1-64 characters"),
    (wanted(event_pattern=None), r"rules\[0\] \(r1\).event_pattern must be a non-empty dict"),
    (wanted(event_pattern="{bad"), r"rules\[0\] \(r1\).event_pattern is not valid JSON"),
    (wanted(event_pattern={"detail": {"eventName": ["x" * 4100]}}), r"event_pattern is \d+ characters as JSON; EventBridge allows 4096"),
    (wanted(targets=[{"id": f"t{i}", "arn": TOPIC} for i in range(6)]), r"targets must be a list of at most 5 targets"),
    (wanted(targets=[{"id": "t", "arn": TOPIC}, {"id": "t", "arn": OTHER}]), r"targets\[1\].id 't' is listed twice"),
    (wanted(targets=[{"id": "t", "arn": "alerts"}]), r"rules\[0\] \(r1\).targets\[0\].arn 'alerts' is not an ARN"),
    (wanted(targets=[{"id": "t", "arn": TOPIC, "input_transformer": {"input_paths_map": {}}}]), r"input_transformer must be a dict with input_template"),
    (wanted(tags={"aws:x": "1"}), r"rules\[0\] \(r1\).tags: key 'aws:x' uses the reserved 'aws:' prefix"),
    (wanted(colour="red"), r"rules\[0\] has unknown keys \['colour'\]"),
    (wanted(description="d" * 513), r"description must be a string of at most 512 characters"),
]


@pytest.mark.parametrize("spec, message", BAD, ids=[case[1][:40] for case in BAD])
def test_bad_input_is_named(spec, message):
    with pytest.raises(ValueError, match=message):
        plan_rules([], [spec])
    with pytest.raises(Exception, match="plan_rules: "):
        monitoring_plans.plan_rules([], [spec])


def test_builders_through_the_filters():
    assert monitoring_plans.change_alert_rules(NAMES, VPC, ["rtb-2", "rtb-1", "rtb-1"], ["acl-1"], ["sg-9", "sg-1"], TOPIC,
                                               "trading") == alert_rules()
    with pytest.raises(Exception, match="change_alert_rules: vpc_id"):
        monitoring_plans.change_alert_rules(NAMES, "nope", ["rtb-1"], ["acl-1"], ["sg-1"], TOPIC, "trading")
    with pytest.raises(Exception, match="metric_filter_specs: metric_names must name a metric"):
        monitoring_plans.metric_filter_specs([], [443], "${srcaddr}", "n", "s", "NS", {})
    filters = monitoring_plans.FilterModule().filters()
    assert set(filters) == {"plan_metric_filters", "plan_alarms", "plan_rules", "metric_filter_specs", "change_alert_rules",
                            "monitoring_plan", "monitoring_teardown_plan", "monitoring_result"}
