# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for netsec.aws_peering.config_recorder against moto's in-process mock_aws."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import config_recorder

ROLE = "arn:aws:iam::123456789012:role/netsec-config"
OTHER_ROLE = "arn:aws:iam::123456789012:role/someone-else"
BUCKET = "netsec-config-123456789012"


@pytest.fixture
def aws():
    with mock_aws():
        # The emulator does not check that the bucket exists.
        yield boto3.client("config", region_name="us-east-1")


def base_args(**overrides):
    args = {
        "name": "netsec-config",
        "role_arn": ROLE,
        "delivery_channel": {"s3_bucket_name": BUCKET, "s3_key_prefix": "config"},
    }
    args.update(overrides)
    return args


def recorders(client):
    return client.describe_configuration_recorders()["ConfigurationRecorders"]


def channels(client):
    return client.describe_delivery_channels()["DeliveryChannels"]


def is_recording(client, name):
    status = client.describe_configuration_recorder_status(ConfigurationRecorderNames=[name])
    return status["ConfigurationRecordersStatus"][0]["recording"]


def make_foreign_recorder(client, recording=True):
    client.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": OTHER_ROLE,
            "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::EC2::VPC"]},
        }
    )
    client.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "other-bucket"})
    if recording:
        client.start_configuration_recorder(ConfigurationRecorderName="default")


def test_create_and_start_then_idempotent(aws, run_module):
    result = run_module(config_recorder, base_args())
    assert not result["failed"], result
    assert result["changed"] is True
    assert result["reused"] is False
    assert result["recording"] is True
    assert result["recorder"] == {
        "name": "netsec-config",
        "role_arn": ROLE,
        "recording_group": {"all_supported": True, "include_global_resource_types": False, "resource_types": []},
    }
    assert result["delivery_channel"]["name"] == "netsec-config"
    assert result["delivery_channel"]["s3_key_prefix"] == "config"
    assert [r["name"] for r in recorders(aws)] == ["netsec-config"]
    assert [c["name"] for c in channels(aws)] == ["netsec-config"]
    assert is_recording(aws, "netsec-config")

    # The reply adds recordingStrategy / exclusionByResourceTypes: still unchanged.
    again = run_module(config_recorder, base_args())
    assert not again["failed"], again
    assert again["changed"] is False
    assert again["recorder"] == result["recorder"]
    assert again["recording"] is True


def test_missing_role_on_create_fails(aws, run_module):
    result = run_module(config_recorder, base_args(role_arn=None))
    assert result["failed"]
    assert "role_arn" in result["msg"] and "netsec-config" in result["msg"]
    assert recorders(aws) == []


def test_update_recording_group_and_role(aws, run_module):
    assert run_module(config_recorder, base_args())["changed"]
    args = base_args(
        role_arn="arn:aws:iam::123456789012:role/netsec-config-v2",
        recording_group={"resource_types": ["AWS::EC2::VPC", "AWS::EC2::SecurityGroup"]},
    )
    result = run_module(config_recorder, args, diff=True)
    assert result["changed"] is True
    rec = recorders(aws)[0]
    assert rec["roleARN"].endswith("netsec-config-v2")
    assert rec["recordingGroup"]["allSupported"] is False
    assert sorted(rec["recordingGroup"]["resourceTypes"]) == ["AWS::EC2::SecurityGroup", "AWS::EC2::VPC"]
    assert result["diff"]["before"]["recorder"]["recording_group"]["all_supported"] is True
    assert result["diff"]["after"]["recorder"]["recording_group"]["resource_types"] == [
        "AWS::EC2::SecurityGroup",
        "AWS::EC2::VPC",
    ]
    # Recording state survives the update.
    assert is_recording(aws, "netsec-config")
    assert run_module(config_recorder, args)["changed"] is False
    # role_arn omitted: our existing role is kept, nothing changes.
    args.pop("role_arn")
    assert run_module(config_recorder, args)["changed"] is False


def test_reuse_existing_recorder_untouched(aws, run_module):
    make_foreign_recorder(aws)
    result = run_module(
        config_recorder,
        base_args(recording_group={"all_supported": True, "include_global_resource_types": True}),
    )
    assert not result["failed"], result
    assert result["reused"] is True
    assert result["delivery_channel_reused"] is True
    assert result["changed"] is False
    assert result["recorder"]["name"] == "default"
    assert result["recorder"]["role_arn"] == OTHER_ROLE
    rec = recorders(aws)
    assert len(rec) == 1 and rec[0]["name"] == "default" and rec[0]["roleARN"] == OTHER_ROLE
    assert rec[0]["recordingGroup"]["resourceTypes"] == ["AWS::EC2::VPC"]
    assert [c["name"] for c in channels(aws)] == ["default"]
    assert channels(aws)[0]["s3BucketName"] == "other-bucket"


def test_reused_recorder_is_reported_not_started(aws, run_module):
    make_foreign_recorder(aws, recording=False)
    result = run_module(config_recorder, base_args())
    assert result["reused"] is True
    assert result["changed"] is False
    assert "'default' is not ours (reused) and is stopped" in result["notes"][0]
    assert not is_recording(aws, "default")


def test_reused_recorder_is_started_when_asked(aws, run_module):
    make_foreign_recorder(aws, recording=False)
    result = run_module(config_recorder, base_args(start_reused=True))
    assert result["reused"] is True
    assert result["changed"] is True
    assert is_recording(aws, "default")
    assert recorders(aws)[0]["roleARN"] == OTHER_ROLE


def test_reuse_existing_false_fails_naming_recorder(aws, run_module):
    make_foreign_recorder(aws)
    result = run_module(config_recorder, base_args(reuse_existing=False))
    assert result["failed"]
    assert "'default'" in result["msg"]
    assert "reuse_existing" in result["msg"]
    assert [r["name"] for r in recorders(aws)] == ["default"]


def test_reuse_existing_false_fails_naming_channel(aws, run_module):
    # Our recorder, but someone else's channel.
    aws.put_configuration_recorder(
        ConfigurationRecorder={"name": "netsec-config", "roleARN": ROLE, "recordingGroup": {"allSupported": True}}
    )
    aws.put_delivery_channel(DeliveryChannel={"name": "legacy", "s3BucketName": "other-bucket"})
    result = run_module(config_recorder, base_args(reuse_existing=False))
    assert result["failed"]
    assert "'legacy'" in result["msg"]
    assert [c["name"] for c in channels(aws)] == ["legacy"]


def test_delivery_channel_update(aws, run_module):
    run_module(config_recorder, base_args())
    args = base_args(
        delivery_channel={
            "s3_bucket_name": BUCKET,
            "s3_key_prefix": "config/v2",
            "delivery_frequency": "Six_Hours",
        }
    )
    result = run_module(config_recorder, args, diff=True)
    assert result["changed"] is True
    channel = channels(aws)[0]
    assert channel["s3KeyPrefix"] == "config/v2"
    assert channel["configSnapshotDeliveryProperties"]["deliveryFrequency"] == "Six_Hours"
    assert result["diff"]["before"]["delivery_channel"]["s3_key_prefix"] == "config"
    assert result["diff"]["after"]["delivery_channel"]["s3_key_prefix"] == "config/v2"
    assert run_module(config_recorder, args)["changed"] is False
    # delivery_frequency omitted: the current value is kept, no change.
    args["delivery_channel"].pop("delivery_frequency")
    assert run_module(config_recorder, args)["changed"] is False


def test_stop_recording(aws, run_module):
    run_module(config_recorder, base_args())
    result = run_module(config_recorder, base_args(recording=False))
    assert result["changed"] is True
    assert result["recording"] is False
    assert not is_recording(aws, "netsec-config")
    assert run_module(config_recorder, base_args(recording=False))["changed"] is False


def test_check_mode_writes_nothing(aws, run_module):
    result = run_module(config_recorder, base_args(), check_mode=True, diff=True)
    assert not result["failed"], result
    assert result["changed"] is True
    assert result["recording"] is True
    assert result["recorder"]["name"] == "netsec-config"
    assert result["diff"]["before"]["recorder"] is None
    assert result["diff"]["after"]["recorder"]["role_arn"] == ROLE
    assert recorders(aws) == []
    assert channels(aws) == []

    run_module(config_recorder, base_args())
    stop = run_module(config_recorder, base_args(recording=False), check_mode=True)
    assert stop["changed"] is True and stop["recording"] is False
    assert is_recording(aws, "netsec-config")

    gone = run_module(config_recorder, base_args(state="absent"), check_mode=True)
    assert gone["changed"] is True
    assert [r["name"] for r in recorders(aws)] == ["netsec-config"]


def test_recording_without_channel_fails_before_writing(aws, run_module):
    args = base_args()
    args.pop("delivery_channel")
    result = run_module(config_recorder, args)
    assert result["failed"]
    assert "delivery channel" in result["msg"]
    assert recorders(aws) == []
    # Without recording it is fine.
    assert run_module(config_recorder, dict(args, recording=False))["changed"] is True


def test_absent_removes_only_ours(aws, run_module):
    run_module(config_recorder, base_args())
    result = run_module(config_recorder, base_args(state="absent"), diff=True)
    assert result["changed"] is True
    assert recorders(aws) == [] and channels(aws) == []
    assert result["diff"]["before"]["recorder"]["name"] == "netsec-config"
    assert result["diff"]["after"]["recorder"] is None
    assert run_module(config_recorder, base_args(state="absent"))["changed"] is False


def test_absent_never_deletes_reused(aws, run_module):
    make_foreign_recorder(aws)
    result = run_module(config_recorder, base_args(state="absent"))
    assert result["changed"] is False
    assert [r["name"] for r in recorders(aws)] == ["default"]
    assert [c["name"] for c in channels(aws)] == ["default"]
    assert is_recording(aws, "default")


@pytest.mark.parametrize(
    "overrides, needle",
    [
        ({"role_arn": "not-an-arn"}, "not-an-arn"),
        ({"recording_group": {"all_supported": True, "resource_types": ["AWS::EC2::VPC"]}}, "resource_types"),
        ({"recording_group": {"resource_types": ["EC2 VPC"]}}, "EC2 VPC"),
        ({"recording_group": {"all_supported": False}}, "all_supported=false"),
        ({"delivery_channel": {"s3_bucket_name": "Bad_Bucket"}}, "Bad_Bucket"),
        ({"delivery_channel": {"s3_bucket_name": BUCKET, "s3_key_prefix": ""}}, "s3_key_prefix"),
        ({"delivery_channel": {"s3_bucket_name": BUCKET, "sns_topic_arn": "topic"}}, "'topic'"),
        ({"delivery_channel": {"s3_bucket_name": BUCKET, "delivery_frequency": "Daily"}}, "Daily"),
    ],
)
def test_bad_input_fails_before_any_aws_call(monkeypatch, run_module, overrides, needle):
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    def refuse(*args, **kwargs):
        raise AssertionError("the module contacted AWS before validating its input")

    monkeypatch.setattr(AnsibleAWSModule, "client", refuse)
    with mock_aws():
        result = run_module(config_recorder, base_args(**overrides))
    assert result["failed"]
    assert needle in result["msg"]


# --------------------------------------------------------------------------- reuse checked, teardown with a reused recorder

NEEDED = ["AWS::EC2::SecurityGroup", "AWS::EC2::VPC", "AWS::S3::Bucket"]


def test_reused_recorder_missing_resource_types_fails_before_any_change(aws, run_module):
    make_foreign_recorder(aws)  # records AWS::EC2::VPC only
    result = run_module(config_recorder, base_args(required_resource_types=NEEDED))
    assert result["failed"] and result["changes"] == []
    assert "does not record AWS::EC2::SecurityGroup, AWS::S3::Bucket" in result["msg"]
    assert [c["name"] for c in channels(aws)] == ["default"]


def test_reused_recorder_without_channel_gets_ours_and_teardown_deletes_it(aws, run_module):
    aws.put_configuration_recorder(ConfigurationRecorder={"name": "default", "roleARN": OTHER_ROLE, "recordingGroup": {"allSupported": True}})
    created = run_module(config_recorder, base_args(required_resource_types=NEEDED, start_reused=True))
    assert not created["failed"], created["msg"]
    assert created["reused"] and not created["delivery_channel_reused"]
    assert [c["field"] for c in created["changes"]] == ["delivery_channel", "recording"]
    assert is_recording(aws, "default")
    assert [c["name"] for c in created["config"]["delivery_channels"]] == ["netsec-config"]
    gone = run_module(config_recorder, base_args(state="absent"))
    assert [(c["resource"], c["field"], c["after"]) for c in gone["changes"]] == [
        ("config_recorder default", "recording", False), ("config_delivery_channel netsec-config", "delivery_channel", None)]
    assert "stopped, not deleted" in gone["notes"][0]
    assert channels(aws) == [] and [r["name"] for r in recorders(aws)] == ["default"] and not is_recording(aws, "default")
    assert run_module(config_recorder, base_args(state="absent"))["changed"] is False


def test_idempotent_run_makes_no_write(aws, run_module, record_calls):
    run_module(config_recorder, base_args())
    operations = record_calls()
    result = run_module(config_recorder, base_args())
    assert result["changed"] is False
    assert sorted(set(operations)) == ["DescribeConfigurationRecorderStatus", "DescribeConfigurationRecorders", "DescribeDeliveryChannels"]
    from ansible_collections.netsec.aws_peering.plugins.module_utils.config import plan_recorder

    assert plan_recorder(result["config"], base_args())["changes"] == []
