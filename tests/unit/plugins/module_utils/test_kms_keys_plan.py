"""Tables of cases for plan_keys (plugins/module_utils/kms_keys.py), the planner of kms_keys.

Inputs are describe_key()'s shapes (as discovery returns them); drift cases also check that the plan,
applied by project_keys, leaves nothing to plan.
"""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import converge_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import keys_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import plan_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import project_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError

ALIAS = "alias/config-core-test"
OTHER = "alias/flowlogs-core-test"
RESOURCE = f"kms_key {ALIAS}"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ORPHAN_ID = "5678abcd-12ab-34cd-56ef-1234567890ab"
POLICY = {
    "Version": "2012-10-17", "Id": "config-core-test",
    "Statement": [
        {"Sid": "AccountAdministersTheKey", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "AWSConfigEncryptsForThisAccountOnly", "Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
         "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}},
    ],
}
KEY = {"alias": ALIAS, "description": "Encrypts the AWS Config deliveries", "policy": POLICY, "tags": {"Network": "core"}}
DESIRED = {"keys": [KEY]}
TAGS = [{"TagKey": "ManagedBy", "TagValue": "netsec.aws_peering"}, {"TagKey": "Name", "TagValue": "config-core-test"},
        {"TagKey": "Network", "TagValue": "core"}]


def described(key_id=KEY_ID, created="2026-11-01T10:00:00+00:00", **changes):
    """A key as describe_key returns it, converged to KEY; keyword arguments replace parts of it."""
    meta = {"AWSAccountId": "123456789012", "KeyId": key_id, "Arn": f"arn:aws:kms:us-east-1:123456789012:key/{key_id}",
            "CreationDate": created, "Enabled": True, "Description": KEY["description"], "KeyState": "Enabled",
            "Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT",
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}
    meta.update(changes.pop("meta", {}))
    key = {"KeyMetadata": meta, "Policy": copy.deepcopy(POLICY), "KeyRotationEnabled": True, "Tags": copy.deepcopy(TAGS)}
    key.update(copy.deepcopy(changes))
    return key


def pending(**changes):
    """A key pending deletion: discovery reads no policy, rotation or tags then."""
    return described(meta={"KeyState": "PendingDeletion", "Enabled": False, "DeletionDate": "2026-12-07T10:00:00+00:00"},
                     Policy=None, KeyRotationEnabled=None, Tags=[], **changes)


def fields_of(changes):
    return [(c["resource"], c["action"], c["field"]) for c in changes]


def test_converged_key_plans_nothing():
    assert plan_keys({ALIAS: described()}, DESIRED) == []


def reordered_policy():
    statements = [dict(reversed(list(s.items()))) for s in reversed(POLICY["Statement"])]
    statements[0]["Action"] = ["kms:GenerateDataKey", "kms:Decrypt"]
    statements[1]["Principal"] = {"AWS": "123456789012"}  # the account's root ARN, as AWS may show it
    return {"Statement": statements, "Id": "config-core-test", "Version": "2012-10-17"}


@pytest.mark.parametrize("label, current, desired, field, before, after", [
    ("policy changed", described(Policy=dict(POLICY, Statement=POLICY["Statement"][:1])), DESIRED, "Policy",
     dict(POLICY, Statement=POLICY["Statement"][:1]), POLICY),
    ("rotation off", described(KeyRotationEnabled=False), DESIRED, "KeyRotationEnabled", False, True),
    ("rotation on, not wanted", described(), {"keys": [dict(KEY, enable_key_rotation=False)]}, "KeyRotationEnabled", True, False),
    ("description changed", described(meta={"Description": "by hand"}), DESIRED, "Description", "by hand", KEY["description"]),
    ("tag missing", described(Tags=TAGS[:2]), DESIRED, "Tags", TAGS[:2], TAGS),
    ("owner tag missing", described(Tags=TAGS[1:]), DESIRED, "Tags", TAGS[1:], TAGS),
    ("tag value changed", described(Tags=TAGS[:2] + [{"TagKey": "Network", "TagValue": "edge"}]), DESIRED, "Tags",
     TAGS[:2] + [{"TagKey": "Network", "TagValue": "edge"}], TAGS),
    ("extra tag purged", described(Tags=TAGS + [{"TagKey": "Team", "TagValue": "x"}]), DESIRED, "Tags",
     TAGS + [{"TagKey": "Team", "TagValue": "x"}], TAGS),
    ("disabled key", described(meta={"KeyState": "Disabled", "Enabled": False}), DESIRED, "KeyState", "Disabled", "Enabled"),
])
def test_each_drift_is_one_change_that_converges(label, current, desired, field, before, after):
    changes = plan_keys({ALIAS: current}, desired)
    assert fields_of(changes) == [(RESOURCE, "update", field)], label
    assert (changes[0]["before"], changes[0]["after"]) == (before, after)
    projected = project_keys({ALIAS: current}, changes)
    assert plan_keys(projected, desired) == [], label


@pytest.mark.parametrize("label, current, desired", [
    ("policy in another order, scalars, root ARN as account", described(Policy=reordered_policy()), DESIRED),
    ("policy not managed", described(Policy={"Statement": []}), {"keys": [dict(KEY, policy=None)]}),
    ("description not managed", described(meta={"Description": "by hand"}), {"keys": [dict(KEY, description=None)]}),
    ("extra tag kept without purge", described(Tags=TAGS + [{"TagKey": "Team", "TagValue": "x"}]), dict(DESIRED, purge_tags=False)),
    ("aws: tags are never purged", described(Tags=TAGS + [{"TagKey": "aws:cloudformation:stack-id", "TagValue": "s"}]), DESIRED),
    ("common tags under the key's", described(), {"keys": [dict(KEY, tags=None)], "tags": {"Network": "core"}}),
    ("the key's tags over the common", described(), {"keys": [KEY], "tags": {"Network": "edge"}}),
])
def test_equivalent_states_plan_nothing(label, current, desired):
    assert plan_keys({ALIAS: current}, desired) == [], label


def test_several_drifts_in_execution_order():
    current = described(meta={"KeyState": "Disabled", "Enabled": False, "Description": ""}, Policy={"Statement": []},
                        KeyRotationEnabled=False, Tags=[])
    changes = plan_keys({ALIAS: current}, DESIRED)
    assert [c["field"] for c in changes] == ["KeyState", "Description", "Policy", "KeyRotationEnabled", "Tags"]
    assert plan_keys(project_keys({ALIAS: current}, changes), DESIRED) == []


def test_create_when_the_alias_and_orphans_are_missing():
    for current in ({ALIAS: None}, {}, None):
        changes = plan_keys(current, DESIRED)
        assert fields_of(changes) == [(RESOURCE, "create", "key"), (RESOURCE, "create", "alias"), (RESOURCE, "create", "KeyRotationEnabled")]
    assert changes[0]["after"] == {"Description": KEY["description"], "Policy": POLICY, "Tags": TAGS,
                                   "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"}
    assert changes[1]["after"] == {"AliasName": ALIAS, "TargetKeyId": None}
    assert (changes[2]["before"], changes[2]["after"]) == (False, True)
    projected = project_keys({ALIAS: None}, changes)
    assert projected[ALIAS]["KeyMetadata"]["KeyId"] is None
    assert plan_keys(projected, DESIRED) == []


def test_create_without_rotation_or_description():
    changes = plan_keys({}, {"keys": [{"alias": ALIAS, "enable_key_rotation": False}]})
    assert [c["field"] for c in changes] == ["key", "alias"]
    assert changes[0]["after"]["Description"] == "" and changes[0]["after"]["Policy"] is None


def test_orphan_adoption_creates_the_alias_and_converges_the_orphan():
    orphan = described(key_id=ORPHAN_ID, KeyRotationEnabled=False, meta={"Description": "left by a killed run"})
    changes = plan_keys({ALIAS: None}, DESIRED, {ALIAS: [orphan]})
    assert fields_of(changes) == [(RESOURCE, "create", "alias"), (RESOURCE, "update", "Description"),
                                  (RESOURCE, "update", "KeyRotationEnabled")]
    assert changes[0]["after"] == {"AliasName": ALIAS, "TargetKeyId": ORPHAN_ID}
    projected = project_keys({ALIAS: None}, changes, {ALIAS: [orphan]})
    assert projected[ALIAS]["KeyMetadata"]["KeyId"] == ORPHAN_ID
    assert plan_keys(projected, DESIRED) == []


def test_orphan_adoption_takes_the_oldest_usable_orphan():
    newer = described(key_id=ORPHAN_ID, created="2026-11-02T00:00:00+00:00")
    older = described(key_id=KEY_ID, created="2026-11-01T00:00:00+00:00")
    gone = described(key_id="9999abcd-12ab-34cd-56ef-1234567890ab", created="2026-10-01T00:00:00+00:00",
                     meta={"KeyState": "PendingDeletion"})
    changes = plan_keys({}, DESIRED, {ALIAS: [newer, gone, older]})
    assert changes == [{"resource": RESOURCE, "action": "create", "field": "alias", "before": None,
                        "after": {"AliasName": ALIAS, "TargetKeyId": KEY_ID}}]


def test_an_orphan_pending_deletion_is_not_adopted():
    changes = plan_keys({}, DESIRED, {ALIAS: [pending(key_id=ORPHAN_ID)]})
    assert changes[0]["field"] == "key" and changes[0]["action"] == "create"


def test_orphans_are_only_looked_at_when_the_alias_is_missing():
    assert plan_keys({ALIAS: described()}, DESIRED, {ALIAS: [described(key_id=ORPHAN_ID)]}) == []


def test_pending_deletion_is_refused_without_recover_pending():
    with pytest.raises(PlanError, match=f"{ALIAS}: key {KEY_ID} is pending deletion .*recover_pending: true"):
        plan_keys({ALIAS: pending()}, DESIRED)


def test_pending_deletion_recovered_plans_unknowns_against_null():
    changes = plan_keys({ALIAS: pending()}, dict(DESIRED, recover_pending=True))
    assert fields_of(changes) == [(RESOURCE, "update", f) for f in ("KeyState", "Policy", "KeyRotationEnabled", "Tags")]
    assert (changes[0]["before"], changes[0]["after"]) == ("PendingDeletion", "Enabled")
    assert changes[1]["before"] is None and changes[2]["before"] is None and changes[3]["before"] == []
    projected = project_keys({ALIAS: pending()}, changes)
    assert projected[ALIAS]["KeyMetadata"]["KeyState"] == "Enabled" and "DeletionDate" not in projected[ALIAS]["KeyMetadata"]
    assert plan_keys(projected, DESIRED) == []


@pytest.mark.parametrize("current, message", [
    (described(meta={"KeyManager": "AWS"}), "is an AWS managed key"),
    (described(meta={"KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"}), "is a RSA_2048 SIGN_VERIFY key"),
    (described(meta={"KeyState": "PendingImport"}), "is in state PendingImport"),
    (described(meta={"KeyState": "PendingReplicaDeletion"}), "is in state PendingReplicaDeletion"),
])
def test_keys_this_module_does_not_manage_are_refused(current, message):
    with pytest.raises(PlanError, match=message):
        plan_keys({ALIAS: current}, dict(DESIRED, recover_pending=True))


@pytest.mark.parametrize("label, current, orphans, expected", [
    ("enabled key", {ALIAS: described()}, None, [("delete", "key"), ("delete", "alias")]),
    ("disabled key", {ALIAS: described(meta={"KeyState": "Disabled"})}, None, [("delete", "key"), ("delete", "alias")]),
    ("already pending", {ALIAS: pending()}, None, [("delete", "alias")]),
    ("alias missing", {ALIAS: None}, None, []),
    ("alias missing, an orphan", {}, {ALIAS: [described(key_id=ORPHAN_ID)]}, [("delete", "key")]),
    ("alias missing, two orphans, one pending", {}, {ALIAS: [described(key_id=ORPHAN_ID), pending()]}, [("delete", "key")]),
])
def test_absent(label, current, orphans, expected):
    desired = {"keys": [{"alias": ALIAS}], "state": "absent", "pending_window_days": 7}
    changes = plan_keys(current, desired, orphans)
    assert [(c["action"], c["field"]) for c in changes] == expected, label
    for item in changes:
        if item["field"] == "key":
            assert item["after"]["PendingWindowInDays"] == 7 and item["after"]["KeyState"] == "PendingDeletion"
            assert item["after"]["KeyId"] == item["before"]["KeyId"]
    assert project_keys(current, changes, orphans).get(ALIAS) is None


def test_absent_refuses_an_aws_managed_key():
    with pytest.raises(PlanError, match="AWS managed key"):
        plan_keys({ALIAS: described(meta={"KeyManager": "AWS"})}, {"keys": [{"alias": ALIAS}], "state": "absent"})


def test_keys_are_planned_in_the_order_given():
    desired = {"keys": [dict(KEY, alias=OTHER, tags=None), KEY]}
    changes = plan_keys({ALIAS: described(KeyRotationEnabled=False)}, desired)
    assert [c["resource"] for c in changes] == [f"kms_key {OTHER}"] * 3 + [RESOURCE]


@pytest.mark.parametrize("desired, named", [
    ({"keys": [{"alias": "alias/aws/ebs"}]}, "keys[0].alias: 'alias/aws/ebs' is an AWS managed alias"),
    ({"keys": [{"alias": "config-core-test"}]}, "keys[0].alias: 'config-core-test'"),
    ({"keys": [{"alias": "alias/with space"}]}, "keys[0].alias: 'alias/with space'"),
    ({"keys": [KEY, dict(KEY)]}, f"keys[1].alias: '{ALIAS}' is listed twice"),
    ({"keys": [KEY], "pending_window_days": 6}, "pending_window_days: 6 is outside 7-30"),
    ({"keys": [KEY], "pending_window_days": 31}, "pending_window_days: 31 is outside 7-30"),
    ({"keys": [KEY], "state": "deleted"}, "state: 'deleted'"),
    ({"keys": [dict(KEY, tags={"aws:createdBy": "me"})]}, "keys[0].tags: tag key 'aws:createdBy'"),
    ({"keys": [dict(KEY, tags={"Name": "other"})]}, "keys[0].tags: tag Name='other'"),
    ({"keys": [KEY], "tags": {"ManagedBy": "terraform"}}, "keys[0].tags: tag ManagedBy='terraform'"),
    ({"keys": [KEY], "tags": {"aws:x": "1"}}, "tags: tag key 'aws:x'"),
    ({"keys": [dict(KEY, policy="{}")]}, "keys[0].policy: '{}'"),
    ({"keys": [dict(KEY, description=3)]}, "keys[0].description: 3"),
    ({"keys": [dict(KEY, enable_key_rotation="sometimes")]}, "keys[0].enable_key_rotation: 'sometimes'"),
    ({"keys": [dict(KEY, rotation_days=90)]}, "keys[0]: unknown option(s) rotation_days"),
    ({"keys": ["alias/x"]}, "keys[0]: 'alias/x' is not a dictionary"),
    ({"keys": []}, "keys: []"),
    ({}, "keys: None"),
    ("alias/x", "desired: 'alias/x'"),
])
def test_bad_input_names_the_option_and_value(desired, named):
    with pytest.raises(PlanError) as caught:
        plan_keys({}, desired)
    assert named in str(caught.value)


def test_defaults_and_list_shorthand():
    desired = keys_desired([{"alias": ALIAS}])
    assert desired["state"] == "present" and desired["purge_tags"] is True and desired["recover_pending"] is False
    assert desired["pending_window_days"] == 30
    assert desired["keys"] == [{"alias": ALIAS, "description": None, "policy": None, "enable_key_rotation": True,
                                "tags": {"ManagedBy": "netsec.aws_peering", "Name": "config-core-test"}}]
    assert plan_keys({ALIAS: described()}, [KEY]) == []


def test_the_filter_is_the_planner():
    kms_keys_plan = converge_plans.FilterModule().filters()["kms_keys_plan"]
    current = {ALIAS: described(KeyRotationEnabled=False)}
    assert kms_keys_plan(current, DESIRED) == plan_keys(current, DESIRED)
    orphans = {ALIAS: [described(key_id=ORPHAN_ID)]}
    assert kms_keys_plan({}, DESIRED, orphans) == plan_keys({}, DESIRED, orphans)
    with pytest.raises(AnsibleFilterError, match="kms_keys_plan: .*recover_pending"):
        kms_keys_plan({ALIAS: pending()}, DESIRED)
    with pytest.raises(AnsibleFilterError, match=r"kms_keys_plan: keys\[0\].alias: 'alias/aws/s3'"):
        kms_keys_plan({}, {"keys": [{"alias": "alias/aws/s3"}]})
