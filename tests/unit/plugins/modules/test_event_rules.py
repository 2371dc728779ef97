"""Unit tests for netsec.aws_peering.event_rules (moto in-process)."""

from __future__ import annotations

import json

import boto3
import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import change_alert_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import plan_rules
from ansible_collections.netsec.aws_peering.plugins.modules import event_rules

SITE = "trading-sandbox"
NAMES = {"peering": f"peering-changes-{SITE}", "routes": f"route-changes-{SITE}", "security_groups": f"sg-changes-{SITE}",
         "nacls": f"nacl-changes-{SITE}", "vpc": f"vpc-changes-{SITE}"}
VPC = "vpc-0123456789abcdef0"
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts-trading-sandbox"
OTHER = "arn:aws:sns:us-east-1:123456789012:oncall"
BASE_TAGS = {"ManagedBy": "netsec.aws_peering", "Network": "trading"}
RULES = change_alert_rules(NAMES, VPC, ["rtb-1", "rtb-2"], ["acl-1"], ["sg-1", "sg-2"], TOPIC, "trading")
ORDER = [rule["name"] for rule in RULES]


def args(**overrides):
    base = {"rules": json.loads(json.dumps(RULES)), "tags": dict(BASE_TAGS), "purge_tags": True}
    base.update(overrides)
    return base


def events():
    return boto3.client("events", region_name="us-east-1")


def rule(name):
    return events().describe_rule(Name=name)


def targets_of(name):
    return events().list_targets_by_rule(Rule=name)["Targets"]


def tags_of(name):
    arn = f"arn:aws:events:us-east-1:123456789012:rule/{name}"
    return {t["Key"]: t["Value"] for t in events().list_tags_for_resource(ResourceARN=arn)["Tags"]}


def exists(name):
    return bool(events().list_rules(NamePrefix=name)["Rules"])


def test_create_the_alert_rules_in_one_run(aws, run_module, api_calls):
    result = run_module(event_rules, args())
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert [(c["resource"], c["action"]) for c in result["changes"]] == [(f"event_rule {n}", "create") for n in ORDER]
    # Tagged on creation: PutRule and PutTargets per rule, no TagResource.
    assert api_calls.writes() == ["PutRule", "PutTargets"] * 5
    vpc_rule = rule(NAMES["vpc"])
    assert vpc_rule["State"] == "ENABLED"
    assert json.loads(vpc_rule["EventPattern"]) == RULES[4]["event_pattern"]
    assert vpc_rule["Description"] == RULES[4]["description"]
    for name in ORDER:
        assert targets_of(name) == [{"Id": "alert-topic", "Arn": TOPIC}]
        assert tags_of(name) == dict(BASE_TAGS, Name=name)
    assert [r["Name"] for r in result["event_rules"]] == ORDER
    assert result["event_rules"][0]["Targets"] == [{"Id": "alert-topic", "Arn": TOPIC}]


def test_second_run_changes_nothing_and_writes_nothing(aws, run_module, api_calls):
    run_module(event_rules, args())
    api_calls.clear()
    again = run_module(event_rules, args(), diff=True)
    assert again["failed"] is False
    assert again["changed"] is False and again["changes"] == []
    assert api_calls.writes() == []
    assert again["diff"]["before"] == again["diff"]["after"]


def test_discovery_and_the_module_agree(aws, run_module):
    run_module(event_rules, args())
    assert plan_rules(describe_rules(events(), ORDER), args()) == []


def test_check_mode_writes_nothing(aws, run_module, api_calls):
    result = run_module(event_rules, args(), check_mode=True, diff=True)
    assert result["changed"] is True and len(result["changes"]) == 5
    assert api_calls.writes() == []
    assert not any(exists(n) for n in ORDER)
    assert result["diff"]["before"] == {} and list(result["diff"]["after"]) == ORDER
    assert result["diff"]["after"][NAMES["vpc"]]["Targets"] == {"alert-topic": {"Arn": TOPIC}}


def test_a_pattern_written_in_another_order_is_left_alone(aws, run_module, api_calls):
    run_module(event_rules, args())
    pattern = RULES[0]["event_pattern"]
    reordered = {"detail": {"eventName": list(reversed(pattern["detail"]["eventName"])), "eventSource": ["ec2.amazonaws.com"]},
                 "source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}
    events().put_rule(Name=NAMES["peering"], EventPattern=json.dumps(reordered), State="ENABLED", Description=RULES[0]["description"])
    api_calls.clear()
    assert run_module(event_rules, args())["changed"] is False
    assert api_calls.writes() == []


def test_a_changed_event_pattern_is_repaired(aws, run_module, api_calls):
    run_module(event_rules, args())
    narrowed = dict(RULES[1]["event_pattern"], detail={"eventSource": ["ec2.amazonaws.com"], "eventName": ["CreateRoute"]})
    events().put_rule(Name=NAMES["routes"], EventPattern=json.dumps(narrowed), State="ENABLED", Description=RULES[1]["description"])
    api_calls.clear()
    result = run_module(event_rules, args(), diff=True)
    assert [(c["resource"], c["field"]) for c in result["changes"]] == [(f"event_rule {NAMES['routes']}", "EventPattern")]
    assert result["changes"][0]["before"]["detail"]["eventName"] == ["CreateRoute"]
    assert api_calls.writes() == ["PutRule"]
    assert json.loads(rule(NAMES["routes"])["EventPattern"]) == RULES[1]["event_pattern"]
    assert result["diff"]["before"][NAMES["routes"]]["EventPattern"] != result["diff"]["after"][NAMES["routes"]]["EventPattern"]
    # The targets and tags survived the PutRule.
    assert targets_of(NAMES["routes"]) == [{"Id": "alert-topic", "Arn": TOPIC}]
    assert tags_of(NAMES["routes"]) == dict(BASE_TAGS, Name=NAMES["routes"])


def test_a_removed_target_is_restored_and_a_stray_one_removed(aws, run_module, api_calls):
    run_module(event_rules, args())
    events().remove_targets(Rule=NAMES["nacls"], Ids=["alert-topic"])
    events().put_targets(Rule=NAMES["security_groups"], Targets=[{"Id": "stray", "Arn": OTHER}])
    api_calls.clear()
    result = run_module(event_rules, args())
    assert sorted((c["resource"], c["field"]) for c in result["changes"]) == [
        (f"event_rule {NAMES['nacls']}", "Targets[alert-topic]"), (f"event_rule {NAMES['security_groups']}", "Targets[stray]")]
    assert sorted(api_calls.writes()) == ["PutTargets", "RemoveTargets"]
    assert targets_of(NAMES["nacls"]) == [{"Id": "alert-topic", "Arn": TOPIC}]
    assert targets_of(NAMES["security_groups"]) == [{"Id": "alert-topic", "Arn": TOPIC}]


def test_missing_tag_and_state_are_repaired(aws, run_module, api_calls):
    run_module(event_rules, args())
    arn = rule(NAMES["vpc"])["Arn"]
    events().untag_resource(ResourceARN=arn, TagKeys=["Network"])
    events().disable_rule(Name=NAMES["vpc"])
    api_calls.clear()
    result = run_module(event_rules, args())
    assert [c["field"] for c in result["changes"]] == ["State", "Tags"]
    assert api_calls.writes() == ["PutRule", "TagResource"]
    assert rule(NAMES["vpc"])["State"] == "ENABLED"
    assert tags_of(NAMES["vpc"]) == dict(BASE_TAGS, Name=NAMES["vpc"])


def test_input_transformer_target(aws, run_module):
    rules = [dict(RULES[0], targets=[{"id": "alert-topic", "arn": TOPIC, "input_transformer": {
        "input_paths_map": {"call": "$.detail.eventName"}, "input_template": '"<call> on the peering"'}}])]
    assert run_module(event_rules, args(rules=rules))["changed"] is True
    assert targets_of(NAMES["peering"])[0]["InputTransformer"] == {"InputPathsMap": {"call": "$.detail.eventName"},
                                                                   "InputTemplate": '"<call> on the peering"'}
    assert run_module(event_rules, args(rules=rules))["changed"] is False
    plain = run_module(event_rules, args(rules=[RULES[0]]))
    assert [c["field"] for c in plain["changes"]] == ["Targets[alert-topic]"]
    assert "InputTransformer" not in targets_of(NAMES["peering"])[0]


def test_absent_removes_the_targets_then_the_rules(aws, run_module, api_calls):
    run_module(event_rules, args())
    api_calls.clear()
    result = run_module(event_rules, {"rules": [{"name": n} for n in ORDER[:2]] + [{"name": "never-there"}], "state": "absent"},
                        diff=True)
    assert [(c["resource"], c["action"]) for c in result["changes"]] == [(f"event_rule {n}", "delete") for n in ORDER[:2]]
    assert api_calls.writes() == ["RemoveTargets", "DeleteRule"] * 2
    assert not exists(ORDER[0]) and not exists(ORDER[1]) and exists(ORDER[2])
    assert sorted(result["diff"]["before"]) == sorted(ORDER[:2]) and result["diff"]["after"] == {}
    assert result["event_rules"] == []
    api_calls.clear()
    again = run_module(event_rules, {"rules": [{"name": n} for n in ORDER[:2]], "state": "absent"})
    assert again["changed"] is False and api_calls.writes() == []


BAD = [
    (lambda r: r[0].update(name="bad name"), "rules[0].name 'bad name' must be 1-64 characters"),
    (lambda r: r[1].update(event_pattern="{not json"), f"rules[1] ({NAMES['routes']}).event_pattern is not valid JSON"),
    (lambda r: r[2].update(targets=[{"id": "t", "arn": "alerts"}]), f"rules[2] ({NAMES['security_groups']}).targets[0].arn 'alerts' is not an ARN"),
    (lambda r: r[3].update(tags={"aws:x": "1"}), f"rules[3] ({NAMES['nacls']}).tags: key 'aws:x' uses the reserved 'aws:' prefix"),
    (lambda r: r.append(dict(r[0])), f"rules[5].name '{NAMES['peering']}' is listed twice"),
]


@pytest.mark.parametrize("mutate, message", BAD, ids=[case[1][:40] for case in BAD])
def test_bad_input_is_named_before_any_call(aws, run_module, api_calls, mutate, message):
    rules = json.loads(json.dumps(RULES))
    mutate(rules)
    result = run_module(event_rules, args(rules=rules))
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []
