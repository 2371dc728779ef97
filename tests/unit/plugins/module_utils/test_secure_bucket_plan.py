"""Tables of cases for plan_bucket (plugins/module_utils/secure_bucket.py), the planner of secure_bucket.

Inputs are describe_bucket()'s shapes (as discovery returns them); every drift case also checks that
the plan, applied to the description by project_bucket, leaves nothing to plan.
"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import converge_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import bucket_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import plan_bucket
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import project_bucket

NAME = "flowlogs-core-123456789012-test"
RESOURCE = f"s3_bucket {NAME}"
KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER_KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "AWSLogDeliveryCheck", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": f"arn:aws:s3:::{NAME}"},
    ],
}
DESIRED = {
    "name": NAME, "region": "eu-west-1", "kms_key_arn": KEY_ARN, "policy": POLICY, "tags": {"Network": "core"},
    "lifecycle_rule": {"id": "retention", "expiration_days": 90, "noncurrent_version_expiration_days": 30,
                       "abort_incomplete_multipart_upload_days": 7},
}
RULE = {"ID": "retention", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 90},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
OTHER_RULE = {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}
CONVERGED = {
    "Name": NAME,
    "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN},
                              "BucketKeyEnabled": True}]},
    "PublicAccessBlock": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    "Versioning": {"Status": "Enabled"},
    "Policy": POLICY,
    "Tags": [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Network", "Value": "core"}],
    "Lifecycle": [RULE],
}


def drifted(**fields):
    state = copy.deepcopy(CONVERGED)
    state.update(copy.deepcopy(fields))
    return state


def fields_of(changes):
    return [(c["action"], c["field"]) for c in changes]


def reordered_policy():
    """The same policy as AWS may give it back: keys in another order, one-element lists as scalars, lists reordered."""
    statements = [dict(reversed(list(s.items()))) for s in reversed(POLICY["Statement"])]
    statements[0]["Action"] = ["s3:ListBucket", "s3:GetBucketAcl"]
    statements[0]["Resource"] = [statements[0]["Resource"]]
    return {"Statement": statements, "Version": "2012-10-17"}


def test_converged_bucket_plans_nothing():
    assert plan_bucket(CONVERGED, DESIRED) == []


@pytest.mark.parametrize("label, current, desired, expected", [
    ("encryption AES256 instead of the key", drifted(Encryption={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}), DESIRED, "Encryption"),
    ("encryption with another key", drifted(Encryption={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": OTHER_KEY_ARN},
         "BucketKeyEnabled": True}]}), DESIRED, "Encryption"),
    ("bucket key off", drifted(Encryption={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}, "BucketKeyEnabled": False}]}),
     DESIRED, "Encryption"),
    ("no default encryption", drifted(Encryption=None), DESIRED, "Encryption"),
    ("AES256 wanted, the key in place", CONVERGED, dict(DESIRED, encryption="AES256", kms_key_arn=None), "Encryption"),
    ("BlockPublicAcls off", drifted(PublicAccessBlock=dict(CONVERGED["PublicAccessBlock"], BlockPublicAcls=False)),
     DESIRED, "PublicAccessBlock"),
    ("IgnorePublicAcls off", drifted(PublicAccessBlock=dict(CONVERGED["PublicAccessBlock"], IgnorePublicAcls=False)),
     DESIRED, "PublicAccessBlock"),
    ("BlockPublicPolicy off", drifted(PublicAccessBlock=dict(CONVERGED["PublicAccessBlock"], BlockPublicPolicy=False)),
     DESIRED, "PublicAccessBlock"),
    ("RestrictPublicBuckets off", drifted(PublicAccessBlock=dict(CONVERGED["PublicAccessBlock"], RestrictPublicBuckets=False)),
     DESIRED, "PublicAccessBlock"),
    ("no public access block", drifted(PublicAccessBlock=None), DESIRED, "PublicAccessBlock"),
    ("ownership ObjectWriter", drifted(OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}), DESIRED,
     "OwnershipControls"),
    ("no ownership controls", drifted(OwnershipControls=None), DESIRED, "OwnershipControls"),
    ("versioning suspended", drifted(Versioning={"Status": "Suspended"}), DESIRED, "Versioning"),
    ("versioning never enabled", drifted(Versioning={"Status": ""}), DESIRED, "Versioning"),
    ("policy changed", drifted(Policy=dict(POLICY, Statement=POLICY["Statement"][:1])), DESIRED, "Policy"),
    ("no policy", drifted(Policy=None), DESIRED, "Policy"),
    ("tag missing", drifted(Tags=CONVERGED["Tags"][:1]), DESIRED, "Tags"),
    ("tag value changed", drifted(Tags=[CONVERGED["Tags"][0], {"Key": "Network", "Value": "edge"}]), DESIRED, "Tags"),
    ("extra tag purged", drifted(Tags=CONVERGED["Tags"] + [{"Key": "Team", "Value": "x"}]), DESIRED, "Tags"),
    ("no tags at all, taken over", drifted(Tags=None), dict(DESIRED, tags=None, require_owner_tag=False), "Tags"),
    ("lifecycle days changed", drifted(Lifecycle=[dict(RULE, Expiration={"Days": 30})]), DESIRED, "Lifecycle"),
    ("lifecycle rule disabled", drifted(Lifecycle=[dict(RULE, Status="Disabled")]), DESIRED, "Lifecycle"),
    ("lifecycle action missing", drifted(Lifecycle=[{k: v for k, v in RULE.items() if k != "AbortIncompleteMultipartUpload"}]),
     DESIRED, "Lifecycle"),
    ("lifecycle rule missing", drifted(Lifecycle=[OTHER_RULE]), DESIRED, "Lifecycle"),
    ("no lifecycle", drifted(Lifecycle=None), DESIRED, "Lifecycle"),
    ("other lifecycle rule purged", drifted(Lifecycle=[OTHER_RULE, RULE]), dict(DESIRED, purge_lifecycle_rules=True), "Lifecycle"),
])
def test_each_drift_is_one_change_that_converges(label, current, desired, expected):
    changes = plan_bucket(current, desired)
    assert fields_of(changes) == [("update", expected)], label
    assert changes[0]["resource"] == RESOURCE
    assert changes[0]["before"] == current[expected]
    assert plan_bucket(project_bucket(current, changes), desired) == [], label
    # The inputs are not modified.
    assert plan_bucket(current, desired) == changes


@pytest.mark.parametrize("label, current, desired", [
    ("policy in another order, scalars for one-element lists", drifted(Policy=reordered_policy()), DESIRED),
    ("policy without Version", drifted(Policy={"Statement": POLICY["Statement"]}),
     dict(DESIRED, policy={"Version": "2008-10-17", "Statement": POLICY["Statement"]})),
    ("policy not managed", drifted(Policy=None), dict(DESIRED, policy=None)),
    ("extra tag kept without purge", drifted(Tags=CONVERGED["Tags"] + [{"Key": "Team", "Value": "x"}]), dict(DESIRED, purge_tags=False)),
    ("extra tag kept when tags are omitted", drifted(Tags=CONVERGED["Tags"] + [{"Key": "Team", "Value": "x"}]), dict(DESIRED, tags=None)),
    ("aws: tags are never purged", drifted(Tags=CONVERGED["Tags"] + [{"Key": "aws:cloudformation:stack-name", "Value": "s"}]), DESIRED),
    ("other lifecycle rule kept", drifted(Lifecycle=[OTHER_RULE, RULE]), DESIRED),
    ("whole-bucket filter written as Filter {}", drifted(Lifecycle=[dict(RULE, Filter={})]), DESIRED),
    ("whole-bucket filter written as legacy Prefix", drifted(Lifecycle=[dict({k: v for k, v in RULE.items() if k != "Filter"}, Prefix="")]),
     DESIRED),
    ("ExpiredObjectDeleteMarker false", drifted(Lifecycle=[dict(RULE, Expiration={"Days": 90, "ExpiredObjectDeleteMarker": False})]),
     DESIRED),
    ("lifecycle not managed", drifted(Lifecycle=None), dict(DESIRED, lifecycle_rule=None)),
    ("AES256 with bucket key off as AWS reports it", drifted(Encryption={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}),
     dict(DESIRED, encryption="AES256", kms_key_arn=None)),
])
def test_equivalent_states_plan_nothing(label, current, desired):
    assert plan_bucket(current, desired) == [], label


def test_several_drifts_in_execution_order():
    current = drifted(Versioning={"Status": "Suspended"}, Tags=CONVERGED["Tags"][:1], Lifecycle=None, Encryption=None,
                      PublicAccessBlock=None, OwnershipControls=None, Policy=None)
    changes = plan_bucket(current, DESIRED)
    assert [c["field"] for c in changes] == ["Tags", "OwnershipControls", "PublicAccessBlock", "Encryption", "Versioning", "Policy",
                                             "Lifecycle"]
    assert plan_bucket(project_bucket(current, changes), DESIRED) == []


def test_lifecycle_replaces_our_rule_in_place_and_keeps_the_others():
    current = drifted(Lifecycle=[OTHER_RULE, dict(RULE, Expiration={"Days": 1}), dict(OTHER_RULE, ID="tmp2")])
    (item,) = plan_bucket(current, DESIRED)
    assert item["after"] == [OTHER_RULE, RULE, dict(OTHER_RULE, ID="tmp2")]


def test_tags_after_keeps_aws_tags_and_adds_the_owner_tag():
    current = drifted(Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "s"}, {"Key": "ManagedBy", "Value": "netsec.aws_peering"},
                            {"Key": "Old", "Value": "1"}])
    (item,) = plan_bucket(current, DESIRED)
    assert item["after"] == [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Network", "Value": "core"},
                             {"Key": "aws:cloudformation:stack-name", "Value": "s"}]


def test_create_plans_the_bucket_then_every_field():
    changes = plan_bucket(None, DESIRED)
    assert fields_of(changes) == [("create", f) for f in
                                  ("bucket", "Tags", "PublicAccessBlock", "Encryption", "Versioning", "Policy", "Lifecycle")]
    assert changes[0] == {"resource": RESOURCE, "action": "create", "field": "bucket", "before": None, "after": {
        "Name": NAME, "Region": "eu-west-1", "ObjectOwnership": "BucketOwnerEnforced",
        "Tags": [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Network", "Value": "core"}]}}
    assert all(c["before"] is None for c in changes)
    projected = project_bucket(None, changes)
    assert projected == CONVERGED
    assert plan_bucket(projected, DESIRED) == []


def test_create_without_policy_or_lifecycle():
    changes = plan_bucket(None, {"name": NAME, "encryption": "AES256"})
    assert [c["field"] for c in changes] == ["bucket", "Tags", "PublicAccessBlock", "Encryption", "Versioning"]


@pytest.mark.parametrize("current, desired, expected", [
    (None, {"name": NAME, "state": "absent"}, []),
    (CONVERGED, {"name": NAME, "state": "absent"}, [("delete", "bucket")]),
    (drifted(Tags=[{"Key": "Network", "Value": "core"}]), {"name": NAME, "state": "absent", "require_owner_tag": False},
     [("delete", "bucket")]),
])
def test_absent(current, desired, expected):
    changes = plan_bucket(current, desired)
    assert fields_of(changes) == expected
    assert project_bucket(current, changes) is None


@pytest.mark.parametrize("desired", [DESIRED, {"name": NAME, "state": "absent", "force": True}])
@pytest.mark.parametrize("tags", [None, [], [{"Key": "ManagedBy", "Value": "terraform"}], [{"Key": "Network", "Value": "core"}]])
def test_a_bucket_that_is_not_ours_is_refused_for_any_change(desired, tags):
    with pytest.raises(PlanError, match=f"bucket {NAME}: exists but is not managed by this collection"):
        plan_bucket(drifted(Tags=tags), desired)


def test_require_owner_tag_false_takes_the_bucket_over():
    changes = plan_bucket(drifted(Tags=[{"Key": "Network", "Value": "core"}]), dict(DESIRED, require_owner_tag=False))
    assert fields_of(changes) == [("update", "Tags")]
    assert {"Key": "ManagedBy", "Value": "netsec.aws_peering"} in changes[0]["after"]


@pytest.mark.parametrize("desired, named", [
    ({"name": "ab"}, "name: 'ab'"),
    ({"name": "a" * 64}, "name: 'aaaa"),
    ({"name": "Upper-Case"}, "name: 'Upper-Case'"),
    ({"name": "two..dots"}, "name: 'two..dots'"),
    ({"name": "dot-.hyphen"}, "name: 'dot-.hyphen'"),
    ({"name": "10.1.2.3"}, "name: '10.1.2.3'"),
    ({"name": "sthree-bucket"}, "name: 'sthree-bucket'"),
    ({"name": "bucket-s3alias"}, "name: 'bucket-s3alias'"),
    ({"name": None}, "name: None"),
    (dict(DESIRED, state="gone"), "state: 'gone'"),
    (dict(DESIRED, encryption="aws:kms:dsse"), "encryption: 'aws:kms:dsse'"),
    (dict(DESIRED, kms_key_arn=None), "kms_key_arn: required"),
    (dict(DESIRED, kms_key_arn="1234abcd-12ab-34cd-56ef-1234567890ab"), "kms_key_arn: '1234abcd-12ab-34cd-56ef-1234567890ab'"),
    (dict(DESIRED, kms_key_arn="arn:aws:kms:eu-west-1:123456789012:alias/x"), "kms_key_arn: 'arn:aws:kms:eu-west-1:123456789012:alias/x'"),
    (dict(DESIRED, encryption="AES256"), f"kms_key_arn: '{KEY_ARN}' given, but encryption is AES256"),
    (dict(DESIRED, region="us-east-1"), f"kms_key_arn: '{KEY_ARN}' is a key of eu-west-1; the bucket's default encryption"),
    (dict(DESIRED, policy="{}"), "policy: '{}'"),
    (dict(DESIRED, tags={"aws:x": "1"}), "tags: tag key 'aws:x'"),
    (dict(DESIRED, tags={"ManagedBy": "me"}), "tags: tag ManagedBy='me'"),
    (dict(DESIRED, tags=["a"]), "tags: ['a']"),
    (dict(DESIRED, lifecycle_rule={"id": "r", "expiration_days": 0}), "lifecycle_rule.expiration_days: 0"),
    (dict(DESIRED, lifecycle_rule={"id": "r", "noncurrent_version_expiration_days": -3}), "lifecycle_rule.noncurrent_version_expiration_days: -3"),
    (dict(DESIRED, lifecycle_rule={"id": "r", "abort_incomplete_multipart_upload_days": "soon"}),
     "lifecycle_rule.abort_incomplete_multipart_upload_days: 'soon'"),
    (dict(DESIRED, lifecycle_rule={"id": "r", "expiration_days": 1.5}), "lifecycle_rule.expiration_days: 1.5"),
    (dict(DESIRED, lifecycle_rule={"id": "r"}), "lifecycle_rule: "),
    (dict(DESIRED, lifecycle_rule={"expiration_days": 1}), "lifecycle_rule.id: None"),
    (dict(DESIRED, lifecycle_rule={"id": "r", "expiration_days": 1, "transition_days": 3}), "lifecycle_rule: unknown option(s) transition_days"),
    (dict(DESIRED, purge_tags="maybe"), "purge_tags: 'maybe'"),
])
def test_bad_input_names_the_option_and_value(desired, named):
    with pytest.raises(PlanError) as caught:
        plan_bucket(None, desired)
    assert named in str(caught.value)


def test_defaults():
    desired = bucket_desired({"name": NAME, "kms_key_arn": KEY_ARN})
    assert desired["state"] == "present" and desired["encryption"] == "aws:kms" and desired["bucket_key_enabled"] is True
    assert desired["purge_tags"] is True and desired["require_owner_tag"] is True and desired["force"] is False
    assert desired["purge_lifecycle_rules"] is False and desired["policy"] is None and desired["lifecycle_rule"] is None
    assert desired["tags"] == {"ManagedBy": "netsec.aws_peering"}


def test_the_filter_is_the_planner():
    bucket_plan = converge_plans.FilterModule().filters()["bucket_plan"]
    current = drifted(Versioning={"Status": "Suspended"})
    assert bucket_plan(current, DESIRED) == plan_bucket(current, DESIRED)
    assert bucket_plan(None, DESIRED) == plan_bucket(None, DESIRED)
    with pytest.raises(AnsibleFilterError, match="bucket_plan: name: 'Bad'"):
        bucket_plan(None, dict(DESIRED, name="Bad"))
    with pytest.raises(AnsibleFilterError, match="not managed by this collection"):
        bucket_plan(drifted(Tags=[]), DESIRED)
