"""Unit tests for netsec.aws_peering.eventbridge_rule_info (moto in-process)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import eventbridge_rule_info

PATTERN = {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts-core-test"


@pytest.fixture
def rules():
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        for name, state in (("peering-changes-core", "ENABLED"), ("route-changes-core", "DISABLED"), ("other", "ENABLED")):
            arn = events.put_rule(Name=name, EventPattern=json.dumps(PATTERN), State=state, Description=f"rule {name}")["RuleArn"]
            events.put_targets(Rule=name, Targets=[{"Id": "alert-topic", "Arn": TOPIC}])
            events.tag_resource(ResourceARN=arn, Tags=[{"Key": "CostCenter", "Value": "4711"}])
        yield events


def test_by_names_in_given_order(rules, run_module):
    result = run_module(eventbridge_rule_info, {"names": ["route-changes-core", "missing", "peering-changes-core"]})
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert [r["name"] for r in result["rules"]] == ["route-changes-core", "peering-changes-core"]
    rule = result["rules"][1]
    assert rule["state"] == "ENABLED"
    assert rule["event_pattern"] == PATTERN
    assert rule["description"] == "rule peering-changes-core"
    assert rule["arn"] == "arn:aws:events:us-east-1:123456789012:rule/peering-changes-core"
    assert [(t["id"], t["arn"]) for t in rule["targets"]] == [("alert-topic", TOPIC)]
    assert rule["tags"] == {"CostCenter": "4711"}
    assert result["rules"][0]["state"] == "DISABLED"


def test_by_prefix_and_all(rules, run_module):
    result = run_module(eventbridge_rule_info, {"name_prefix": "peering-"})
    assert [r["name"] for r in result["rules"]] == ["peering-changes-core"]
    every = run_module(eventbridge_rule_info, {})
    assert [r["name"] for r in every["rules"]] == ["other", "peering-changes-core", "route-changes-core"]


def test_check_mode_reads_the_same(rules, run_module):
    result = run_module(eventbridge_rule_info, {"names": ["other"]}, check_mode=True)
    assert result["changed"] is False
    assert [r["name"] for r in result["rules"]] == ["other"]


def test_nothing_found(rules, run_module):
    result = run_module(eventbridge_rule_info, {"names": ["nope"]})
    assert result["failed"] is False
    assert result["rules"] == []


@pytest.mark.parametrize(
    "args, bad",
    [
        ({"names": ["bad name"]}, "bad name"),
        ({"names": ["x" * 65]}, "x" * 65),
        ({"names": ["other"], "name_prefix": "o"}, "mutually exclusive"),
    ],
)
def test_bad_input(rules, args, bad, run_module):
    result = run_module(eventbridge_rule_info, args)
    assert result["failed"] is True
    assert bad in result["msg"]
