"""Unit tests for netsec.aws_peering.sns_topic_encryption (moto in-process)."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.netsec.aws_peering.plugins.modules import sns_topic_encryption


@pytest.fixture
def topic(aws):
    return boto3.client("sns", region_name="us-east-1").create_topic(Name="alerts-core-test")["TopicArn"]


@pytest.fixture
def key_arn(aws):
    return boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]


def stored(arn):
    attrs = boto3.client("sns", region_name="us-east-1").get_topic_attributes(TopicArn=arn)["Attributes"]
    return attrs.get("KmsMasterKeyId", "")


def test_set_then_unchanged(topic, key_arn, run_module):
    first = run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": key_arn})
    assert first["failed"] is False, first
    assert first["changed"] is True
    assert first["previous_kms_master_key_id"] == ""
    assert first["kms_master_key_id"] == key_arn
    assert stored(topic) == key_arn

    second = run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": key_arn})
    assert second["failed"] is False
    assert second["changed"] is False
    assert second["previous_kms_master_key_id"] == key_arn


def test_check_mode_changes_nothing(topic, key_arn, run_module):
    result = run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": key_arn}, check_mode=True)
    assert result["changed"] is True
    assert result["kms_master_key_id"] == key_arn
    assert stored(topic) == ""


def test_check_mode_missing_topic_is_a_change(aws, run_module):
    arn = "arn:aws:sns:us-east-1:123456789012:not-yet"
    result = run_module(sns_topic_encryption, {"topic_arn": arn, "kms_master_key_id": "alias/aws/sns"}, check_mode=True)
    assert result["failed"] is False, result
    assert result["changed"] is True


def test_missing_topic_fails(aws, run_module):
    arn = "arn:aws:sns:us-east-1:123456789012:nope"
    result = run_module(sns_topic_encryption, {"topic_arn": arn, "kms_master_key_id": "alias/aws/sns"})
    assert result["failed"] is True
    assert "topic_arn" in result["msg"] and arn in result["msg"]


def test_diff_update_and_clear(topic, key_arn, run_module):
    run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": key_arn})
    update = run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": "alias/aws/sns"}, diff=True)
    assert update["changed"] is True
    assert update["diff"]["before"]["kms_master_key_id"] == key_arn
    assert update["diff"]["after"]["kms_master_key_id"] == "alias/aws/sns"
    assert stored(topic) == "alias/aws/sns"

    cleared = run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": ""}, diff=True)
    assert cleared["changed"] is True
    assert cleared["diff"]["after"]["kms_master_key_id"] == ""
    assert stored(topic) == ""
    again = run_module(sns_topic_encryption, {"topic_arn": topic, "kms_master_key_id": ""})
    assert again["changed"] is False


@pytest.mark.parametrize(
    "args, bad",
    [
        ({"topic_arn": "alerts-core-test", "kms_master_key_id": "alias/x"}, "alerts-core-test"),
        ({"topic_arn": "arn:aws:sqs:us-east-1:123456789012:q", "kms_master_key_id": "alias/x"}, "arn:aws:sqs"),
        ({"topic_arn": "arn:aws:sns:us-east-1:123456789012:t", "kms_master_key_id": "my key"}, "my key"),
    ],
)
def test_bad_input_fails_before_any_call(topic, args, bad, run_module):
    result = run_module(sns_topic_encryption, args)
    assert result["failed"] is True
    assert bad in result["msg"]
    assert stored(topic) == ""
