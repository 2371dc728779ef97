"""Unit tests for netsec.aws_peering.resource_tags (moto in-process)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import resource_tags

TAGS = {"CostCenter": "4711", "Environment": "test"}


@pytest.fixture
def aws():
    with mock_aws():
        yield


@pytest.fixture
def arns(aws):
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    cw.put_metric_alarm(
        AlarmName="rejected-flows-core-test",
        MetricName="RejectedFlows",
        Namespace="NetSec/Peering",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=10,
        ComparisonOperator="GreaterThanThreshold",
    )
    alarm = cw.describe_alarms(AlarmNames=["rejected-flows-core-test"])["MetricAlarms"][0]["AlarmArn"]
    rule = boto3.client("events", region_name="us-east-1").put_rule(
        Name="peering-changes-core-test", EventPattern='{"source": ["aws.ec2"]}'
    )["RuleArn"]
    return [alarm, rule]


def tags_of(arn):
    service = arn.split(":")[2]
    reply = boto3.client(service, region_name="us-east-1").list_tags_for_resource(ResourceARN=arn)
    return {t["Key"]: t["Value"] for t in reply["Tags"]}


def test_create_then_unchanged(arns, run_module):
    first = run_module(resource_tags, {"resource_arns": arns, "tags": TAGS})
    assert first["failed"] is False, first
    assert first["changed"] is True
    assert [r["arn"] for r in first["resources"]] == arns
    for arn in arns:
        assert tags_of(arn) == TAGS

    second = run_module(resource_tags, {"resource_arns": arns, "tags": TAGS})
    assert second["failed"] is False
    assert second["changed"] is False
    assert all(r["added_tags"] == {} and r["removed_tags"] == [] for r in second["resources"])


def test_check_mode_changes_nothing(arns, run_module):
    result = run_module(resource_tags, {"resource_arns": arns, "tags": TAGS}, check_mode=True)
    assert result["changed"] is True
    assert result["resources"][0]["tags"] == TAGS
    for arn in arns:
        assert tags_of(arn) == {}


def test_check_mode_missing_resource_is_a_change(aws, run_module):
    arn = "arn:aws:events:us-east-1:123456789012:rule/not-yet"
    result = run_module(resource_tags, {"resource_arns": [arn], "tags": TAGS}, check_mode=True)
    assert result["failed"] is False, result
    assert result["changed"] is True
    missing = run_module(resource_tags, {"resource_arns": [arn], "tags": TAGS})
    assert missing["failed"] is True
    assert arn in missing["msg"]


def test_update_purge_and_diff(arns, run_module):
    run_module(resource_tags, {"resource_arns": arns, "tags": dict(TAGS, Owner="x")})
    result = run_module(resource_tags, {"resource_arns": arns, "tags": {"CostCenter": "42"}}, diff=True)
    assert result["changed"] is True
    for arn in arns:
        assert tags_of(arn) == {"CostCenter": "42"}
        assert result["diff"]["before"][arn] == dict(TAGS, Owner="x")
        assert result["diff"]["after"][arn] == {"CostCenter": "42"}
    assert sorted(result["resources"][0]["removed_tags"]) == ["Environment", "Owner"]


def test_no_purge_keeps_other_tags(arns, run_module):
    run_module(resource_tags, {"resource_arns": arns, "tags": TAGS})
    result = run_module(resource_tags, {"resource_arns": arns[1:], "tags": {"Owner": "netsec"}, "purge_tags": False})
    assert result["changed"] is True
    assert tags_of(arns[1]) == dict(TAGS, Owner="netsec")


def test_no_tags_given_changes_nothing(arns, run_module):
    run_module(resource_tags, {"resource_arns": arns, "tags": TAGS})
    result = run_module(resource_tags, {"resource_arns": arns})
    assert result["changed"] is False
    assert tags_of(arns[0]) == TAGS


@pytest.mark.parametrize(
    "bad",
    [
        "peering-changes-core-test",
        "arn:aws:sns:us-east-1:123456789012:topic",
        "arn:aws:cloudwatch:us-east-1:123456789012:dashboard/x",
        "arn:aws:events:us-east-1:123456789012:event-bus/default",
    ],
)
def test_bad_arn_fails_before_any_write(arns, bad, run_module):
    result = run_module(resource_tags, {"resource_arns": arns + [bad], "tags": TAGS})
    assert result["failed"] is True
    assert "resource_arns" in result["msg"] and bad in result["msg"]
    assert tags_of(arns[0]) == {}


def test_bad_tag_key_fails(arns, run_module):
    result = run_module(resource_tags, {"resource_arns": arns, "tags": {"aws:owner": "x"}})
    assert result["failed"] is True
    assert "aws:owner" in result["msg"]
