"""Unit tests for netsec.aws_peering.secure_bucket (moto in-process).

Every AWS call of a run is recorded (botocore's _make_api_call), so idempotence and check mode are
proven by "no write call at all", not by the reported ``changed``.
"""

from __future__ import annotations

import copy
import json

import boto3
import botocore.client
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.filter import converge_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils import discovery
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.modules import secure_bucket

NAME = "config-core-123456789012-test"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{
        "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }],
}
RULE = {"id": "config-retention", "expiration_days": 365, "noncurrent_version_expiration_days": 30,
        "abort_incomplete_multipart_upload_days": 7}
ARGS = {"name": NAME, "kms_key_arn": KEY_ARN, "policy": POLICY, "tags": {"Network": "core", "Name": NAME}, "lifecycle_rule": RULE}


@pytest.fixture
def converged(s3, run_module):
    result = run_module(secure_bucket, ARGS)
    assert result["failed"] is False, result
    return result


def describe(s3, name=NAME):
    return discovery.describe_bucket(s3, name)


def test_create_then_idempotent_with_zero_writes(s3, run_module, api_calls):
    first = run_module(secure_bucket, ARGS)
    assert first["failed"] is False, first
    assert first["changed"] is True
    assert [(c["action"], c["field"]) for c in first["changes"]] == [
        ("create", "bucket"), ("create", "Tags"), ("create", "PublicAccessBlock"), ("create", "Encryption"),
        ("create", "Versioning"), ("create", "Policy"), ("create", "Lifecycle")]
    assert all(c["resource"] == f"s3_bucket {NAME}" for c in first["changes"])
    state = describe(s3)
    assert first["bucket"] == state
    assert state["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert state["PublicAccessBlock"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                          "RestrictPublicBuckets": True}
    assert state["Versioning"] == {"Status": "Enabled"}
    assert state["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}
    assert state["Encryption"]["Rules"][0]["BucketKeyEnabled"] is True
    assert state["Policy"] == POLICY
    assert tag_dict(state["Tags"]) == {"Network": "core", "Name": NAME, "ManagedBy": "netsec.aws_peering"}
    assert [r["ID"] for r in state["Lifecycle"]] == ["config-retention"]
    assert "CreateBucket" in api_calls.writes()

    api_calls.clear()
    second = run_module(secure_bucket, ARGS)
    assert second["failed"] is False, second
    assert second["changed"] is False
    assert second["changes"] == []
    assert second["bucket"] == state
    assert api_calls, "the run made no call at all"
    assert api_calls.writes() == []


def test_check_mode_writes_nothing_and_reports_the_would_be_state(s3, run_module, api_calls):
    api_calls.clear()
    planned = run_module(secure_bucket, ARGS, check_mode=True, diff=True)
    assert planned["failed"] is False, planned
    assert planned["changed"] is True
    assert api_calls.writes() == []
    assert describe(s3) is None
    assert planned["diff"]["before"] == {}
    assert planned["diff"]["after"] == planned["bucket"]

    done = run_module(secure_bucket, ARGS)
    assert done["changes"] == planned["changes"]
    # The projection of check mode is what AWS then describes.
    assert planned["bucket"] == describe(s3)

    api_calls.clear()
    again = run_module(secure_bucket, ARGS, check_mode=True)
    assert again["changed"] is False and again["changes"] == []
    assert api_calls.writes() == []


def test_diff_of_an_update(s3, converged, run_module):
    s3.put_bucket_versioning(Bucket=NAME, VersioningConfiguration={"Status": "Suspended"})
    result = run_module(secure_bucket, ARGS, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["Versioning"] == {"Status": "Suspended"}
    assert result["diff"]["after"]["Versioning"] == {"Status": "Enabled"}
    assert {k: v for k, v in result["diff"]["before"].items() if k != "Versioning"} == \
        {k: v for k, v in result["diff"]["after"].items() if k != "Versioning"}


def _drift_encryption_aes(s3):
    s3.put_bucket_encryption(Bucket=NAME, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})


def _drift_encryption_key(s3):
    s3.put_bucket_encryption(Bucket=NAME, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": OTHER_KEY_ARN},
                   "BucketKeyEnabled": True}]})


def _drift_bpa(s3):
    s3.put_public_access_block(Bucket=NAME, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})


def _drift_bpa_removed(s3):
    s3.delete_public_access_block(Bucket=NAME)


def _drift_ownership(s3):
    s3.put_bucket_ownership_controls(Bucket=NAME, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})


def _drift_versioning(s3):
    s3.put_bucket_versioning(Bucket=NAME, VersioningConfiguration={"Status": "Suspended"})


def _drift_policy(s3):
    policy = copy.deepcopy(POLICY)
    policy["Statement"][0]["Resource"] = f"arn:aws:s3:::{NAME}"
    s3.put_bucket_policy(Bucket=NAME, Policy=json.dumps(policy))


def _drift_policy_removed(s3):
    s3.delete_bucket_policy(Bucket=NAME)


def _drift_tag_missing(s3):
    tags = [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Name", "Value": NAME}]
    s3.put_bucket_tagging(Bucket=NAME, Tagging={"TagSet": tags})


def _drift_tag_extra(s3):
    tags = s3.get_bucket_tagging(Bucket=NAME)["TagSet"] + [{"Key": "CostCentre", "Value": "42"}]
    s3.put_bucket_tagging(Bucket=NAME, Tagging={"TagSet": tags})


def _drift_lifecycle(s3):
    s3.put_bucket_lifecycle_configuration(Bucket=NAME, LifecycleConfiguration={"Rules": [
        {"ID": "config-retention", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]})


@pytest.mark.parametrize("drift, field", [
    (_drift_encryption_aes, "Encryption"),
    (_drift_encryption_key, "Encryption"),
    (_drift_bpa, "PublicAccessBlock"),
    (_drift_bpa_removed, "PublicAccessBlock"),
    (_drift_ownership, "OwnershipControls"),
    (_drift_versioning, "Versioning"),
    (_drift_policy, "Policy"),
    (_drift_policy_removed, "Policy"),
    (_drift_tag_missing, "Tags"),
    (_drift_tag_extra, "Tags"),
    (_drift_lifecycle, "Lifecycle"),
])
def test_update_each_field(s3, converged, run_module, api_calls, drift, field):
    state = describe(s3)
    drift(s3)
    drifted = describe(s3)
    assert drifted != state

    planned = run_module(secure_bucket, ARGS, check_mode=True)
    assert [(c["action"], c["field"]) for c in planned["changes"]] == [("update", field)]
    assert planned["changes"][0]["before"] == drifted[field]
    assert describe(s3) == drifted

    result = run_module(secure_bucket, ARGS)
    assert result["changed"] is True
    assert result["changes"] == planned["changes"]
    assert describe(s3) == state == result["bucket"]

    api_calls.clear()
    assert run_module(secure_bucket, ARGS)["changed"] is False
    assert api_calls.writes() == []


def test_other_lifecycle_rules_are_kept_unless_purged(s3, converged, run_module):
    other = {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 5}}
    rules = describe(s3)["Lifecycle"] + [other]
    s3.put_bucket_lifecycle_configuration(Bucket=NAME, LifecycleConfiguration={"Rules": rules})
    assert run_module(secure_bucket, ARGS)["changed"] is False
    assert [r["ID"] for r in describe(s3)["Lifecycle"]] == ["config-retention", "logs"]

    purged = run_module(secure_bucket, dict(ARGS, purge_lifecycle_rules=True))
    assert purged["changed"] is True
    assert [r["ID"] for r in purged["changes"][0]["after"]] == ["config-retention"]
    assert [r["ID"] for r in describe(s3)["Lifecycle"]] == ["config-retention"]


def test_tags_not_purged_and_omitted(s3, converged, run_module):
    _drift_tag_extra(s3)
    assert run_module(secure_bucket, dict(ARGS, purge_tags=False))["changed"] is False
    # Without tags only the ownership tag is ensured, nothing is removed.
    assert run_module(secure_bucket, {k: v for k, v in ARGS.items() if k != "tags"})["changed"] is False
    assert "CostCentre" in tag_dict(describe(s3)["Tags"])


def test_aes256_bucket_outside_us_east_1(run_module):
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        args = {"name": NAME, "encryption": "AES256", "region": "eu-west-1"}
        result = run_module(secure_bucket, args)
        assert result["failed"] is False, result
        assert s3.get_bucket_location(Bucket=NAME)["LocationConstraint"] == "eu-west-1"
        state = discovery.describe_bucket(s3, NAME)
        assert state["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
        assert tag_dict(state["Tags"]) == {"ManagedBy": "netsec.aws_peering"}
        assert run_module(secure_bucket, args)["changed"] is False


def test_killed_run_is_finished_by_the_next_one(s3, run_module, monkeypatch):
    """A run killed after CreateBucket (here: failing at the encryption) is finished by a re-run."""
    original = botocore.client.BaseClient._make_api_call

    def crash(self, operation_name, api_params):
        if operation_name == "PutBucketEncryption":
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://s3.amazonaws.com")
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", crash)
    failed = run_module(secure_bucket, ARGS)
    assert failed["failed"] is True
    assert "cannot set the default encryption" in failed["msg"]
    assert [c["field"] for c in failed["changes"]] == ["bucket", "Tags", "PublicAccessBlock"]
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)

    result = run_module(secure_bucket, ARGS)
    assert result["failed"] is False, result
    assert [c["field"] for c in result["changes"]] == ["Encryption", "Versioning", "Policy", "Lifecycle"]
    assert run_module(secure_bucket, ARGS)["changed"] is False


def test_create_answered_bucket_already_owned_by_you_is_success(run_module, monkeypatch):
    """CreateBucket of a run that did not see the bucket (created by a killed run meanwhile) carries on."""
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket=NAME, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        reads = []

        def first_unseen(client, name):
            reads.append(name)
            return None if len(reads) == 1 else discovery.describe_bucket(client, name)

        monkeypatch.setattr(secure_bucket, "describe_bucket", first_unseen)
        result = run_module(secure_bucket, dict(ARGS, region="eu-west-1", kms_key_arn=KEY_ARN.replace("us-east-1", "eu-west-1")))
        assert result["failed"] is False, result
        assert result["changes"][0]["field"] == "bucket"
        assert discovery.describe_bucket(s3, NAME)["Versioning"] == {"Status": "Enabled"}


def _objects(s3):
    s3.put_bucket_versioning(Bucket=NAME, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=NAME, Key="a.json", Body=b"1")
    s3.put_object(Bucket=NAME, Key="a.json", Body=b"2")
    s3.put_object(Bucket=NAME, Key="b.json", Body=b"3")
    s3.delete_object(Bucket=NAME, Key="b.json")  # a delete marker


def test_absent_refuses_a_bucket_with_objects_then_force_deletes_every_version(s3, converged, run_module, api_calls):
    s3.delete_bucket_policy(Bucket=NAME)  # moto refuses PutObject under the TLS-only policy
    _objects(s3)
    api_calls.clear()
    refused = run_module(secure_bucket, {"name": NAME, "state": "absent"})
    assert refused["failed"] is True
    assert NAME in refused["msg"] and "4 object version(s)" in refused["msg"] and "force" in refused["msg"]
    assert api_calls.writes() == []
    assert describe(s3) is not None

    planned = run_module(secure_bucket, {"name": NAME, "state": "absent", "force": True}, check_mode=True)
    assert [(c["action"], c["field"], c["before"]) for c in planned["changes"]] == [
        ("delete", "objects", 4), ("delete", "bucket", {"Name": NAME})]
    assert planned["bucket"] is None and describe(s3) is not None

    deleted = run_module(secure_bucket, {"name": NAME, "state": "absent", "force": True}, diff=True)
    assert deleted["failed"] is False, deleted
    assert deleted["changes"] == planned["changes"]
    assert deleted["bucket"] is None and deleted["diff"]["after"] == {}
    assert describe(s3) is None

    api_calls.clear()
    gone = run_module(secure_bucket, {"name": NAME, "state": "absent"})
    assert gone["failed"] is False and gone["changed"] is False
    assert api_calls.writes() == []


def test_absent_empty_bucket_without_force(s3, converged, run_module):
    result = run_module(secure_bucket, {"name": NAME, "state": "absent"})
    assert result["failed"] is False, result
    assert [c["field"] for c in result["changes"]] == ["bucket"]
    assert describe(s3) is None


def test_a_bucket_that_is_not_ours_is_refused(s3, run_module, api_calls):
    s3.create_bucket(Bucket=NAME)
    s3.put_bucket_tagging(Bucket=NAME, Tagging={"TagSet": [{"Key": "ManagedBy", "Value": "someone-else"}]})
    api_calls.clear()
    for args in (ARGS, {"name": NAME, "state": "absent", "force": True}):
        result = run_module(secure_bucket, args)
        assert result["failed"] is True
        assert NAME in result["msg"] and "not managed by this collection" in result["msg"]
    assert api_calls.writes() == []
    assert describe(s3) is not None

    adopted = run_module(secure_bucket, dict(ARGS, require_owner_tag=False))
    assert adopted["failed"] is False, adopted
    assert tag_dict(describe(s3)["Tags"])["ManagedBy"] == "netsec.aws_peering"
    assert run_module(secure_bucket, ARGS)["changed"] is False


@pytest.mark.parametrize("args, named", [
    (dict(ARGS, name="Config_Bucket"), "name: 'Config_Bucket'"),
    (dict(ARGS, name="192.168.1.1"), "name: '192.168.1.1'"),
    (dict(ARGS, name="xn--bucket"), "name: 'xn--bucket'"),
    (dict(ARGS, kms_key_arn="alias/config-core-test"), "kms_key_arn: 'alias/config-core-test'"),
    (dict(ARGS, kms_key_arn=None), "kms_key_arn: required"),
    (dict(ARGS, encryption="AES256"), "kms_key_arn: 'arn:aws:kms"),
    (dict(ARGS, region="eu-west-1"), f"kms_key_arn: '{KEY_ARN}' is a key of us-east-1"),
    (dict(ARGS, lifecycle_rule=dict(RULE, expiration_days=0)), "lifecycle_rule.expiration_days: 0"),
    (dict(ARGS, lifecycle_rule={"id": "x"}), "lifecycle_rule: "),
    (dict(ARGS, tags={"aws:cloudformation:stack-name": "x"}), "tags: tag key 'aws:cloudformation:stack-name'"),
    (dict(ARGS, tags={"ManagedBy": "terraform"}), "tags: tag ManagedBy='terraform'"),
    (dict(ARGS, policy={"Version": "2012-10-17"}), "policy: "),
])
def test_bad_input_is_named_before_any_call(s3, run_module, api_calls, args, named):
    api_calls.clear()
    result = run_module(secure_bucket, args)
    assert result["failed"] is True
    assert named in result["msg"], result["msg"]
    assert api_calls == []


def test_the_module_and_the_filter_plan_with_the_same_function(s3, converged, run_module):
    assert secure_bucket.plan_bucket is converge_plans.plan_bucket.resolve()
    _drift_versioning(s3)
    _drift_tag_extra(s3)
    state = describe(s3)
    planned = run_module(secure_bucket, ARGS, check_mode=True)
    options = dict(ARGS, region="us-east-1")
    assert converge_plans.FilterModule().filters()["bucket_plan"](state, options) == planned["changes"]
    assert [c["field"] for c in planned["changes"]] == ["Tags", "Versioning"]
