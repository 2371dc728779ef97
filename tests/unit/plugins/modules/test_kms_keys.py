"""Unit tests for netsec.aws_peering.kms_keys (moto in-process).

Every AWS call of a run is recorded (botocore's _make_api_call), so idempotence and check mode are
proven by "no write call at all", not by the reported ``changed``.
"""

from __future__ import annotations

import copy
import json

import botocore.client
import pytest

from ansible_collections.netsec.aws_peering.plugins.filter import converge_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils import discovery
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import kms_tag_dict
from ansible_collections.netsec.aws_peering.plugins.modules import kms_keys

ACCOUNT = "123456789012"
ALERTS, LOGS = "alias/alerts-core-test", "alias/flowlogs-cwl-core-test"


def key_policy(name, service):
    return {
        "Version": "2012-10-17", "Id": name,
        "Statement": [
            {"Sid": "AccountAdministersTheKey", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "ServiceUsesTheKey", "Effect": "Allow", "Principal": {"Service": service},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}},
        ],
    }


KEYS = [
    {"alias": ALERTS, "description": "Encrypts the alert topic", "policy": key_policy("alerts", "cloudwatch.amazonaws.com")},
    {"alias": LOGS, "description": "Encrypts the flow log group", "policy": key_policy("logs", "logs.us-east-1.amazonaws.com"),
     "tags": {"Purpose": "logs"}},
]
ARGS = {"keys": KEYS, "tags": {"Network": "core"}}


def describe(kms, alias):
    return discovery.describe_key(kms, alias)


def customer_keys(kms):
    ids = [k["KeyId"] for k in kms.list_keys()["Keys"]]
    return [i for i in ids if kms.describe_key(KeyId=i)["KeyMetadata"]["KeyManager"] == "CUSTOMER"]


def orphan(kms, name="alerts-core-test", **extra):
    tags = [{"TagKey": "ManagedBy", "TagValue": "netsec.aws_peering"}, {"TagKey": "Name", "TagValue": name}]
    return kms.create_key(Description="left by a killed run", Tags=tags, **extra)["KeyMetadata"]["KeyId"]


@pytest.fixture
def converged(kms, run_module):
    result = run_module(kms_keys, ARGS)
    assert result["failed"] is False, result
    return result


def test_create_then_idempotent_with_zero_writes(kms, run_module, api_calls):
    first = run_module(kms_keys, ARGS)
    assert first["failed"] is False, first
    assert first["changed"] is True
    assert [(c["resource"], c["action"], c["field"]) for c in first["changes"]] == [
        (f"kms_key {alias}", "create", field) for alias in (ALERTS, LOGS) for field in ("key", "alias", "KeyRotationEnabled")]
    assert len(customer_keys(kms)) == 2
    for key in KEYS:
        state = describe(kms, key["alias"])
        assert first["kms_keys"][key["alias"]] == state
        assert state["KeyMetadata"]["Description"] == key["description"]
        assert state["Policy"] == key["policy"]
        assert state["KeyRotationEnabled"] is True
        assert kms_tag_dict(state["Tags"]) == dict({"Network": "core", "ManagedBy": "netsec.aws_peering",
                                                    "Name": key["alias"][len("alias/"):]}, **key.get("tags", {}))

    api_calls.clear()
    second = run_module(kms_keys, ARGS)
    assert second["failed"] is False, second
    assert second["changed"] is False and second["changes"] == []
    assert api_calls, "the run made no call at all"
    assert api_calls.writes() == []
    assert "ListKeys" not in api_calls  # every alias exists: no orphan search


def test_check_mode_writes_nothing(kms, run_module, api_calls):
    api_calls.clear()
    planned = run_module(kms_keys, ARGS, check_mode=True, diff=True)
    assert planned["failed"] is False, planned
    assert planned["changed"] is True
    assert api_calls.writes() == []
    assert customer_keys(kms) == []
    assert planned["kms_keys"][ALERTS]["KeyMetadata"]["KeyId"] is None
    assert planned["kms_keys"][ALERTS]["Policy"] == KEYS[0]["policy"]
    assert planned["diff"]["before"] == {ALERTS: None, LOGS: None}

    done = run_module(kms_keys, ARGS)
    assert done["changes"] == planned["changes"]

    api_calls.clear()
    again = run_module(kms_keys, ARGS, check_mode=True)
    assert again["changed"] is False
    assert api_calls.writes() == []


def test_diff_of_an_update(kms, converged, run_module):
    _drift_rotation(kms)
    result = run_module(kms_keys, ARGS, diff=True)
    assert result["diff"]["before"][ALERTS]["KeyRotationEnabled"] is False
    assert result["diff"]["after"][ALERTS]["KeyRotationEnabled"] is True
    assert result["diff"]["before"][LOGS] == result["diff"]["after"][LOGS]


def key_id(kms, alias=ALERTS):
    return kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]


def _drift_policy(kms):
    policy = copy.deepcopy(KEYS[0]["policy"])
    policy["Statement"][1]["Action"] = "kms:*"
    kms.put_key_policy(KeyId=key_id(kms), PolicyName="default", Policy=json.dumps(policy))


def _drift_rotation(kms):
    kms.disable_key_rotation(KeyId=key_id(kms))


def _drift_description(kms):
    kms.update_key_description(KeyId=key_id(kms), Description="changed by hand")


def _drift_tag_extra(kms):
    kms.tag_resource(KeyId=key_id(kms), Tags=[{"TagKey": "CostCentre", "TagValue": "42"}])


def _drift_tag_missing(kms):
    kms.untag_resource(KeyId=key_id(kms), TagKeys=["Network"])


def _drift_disabled(kms):
    kms.disable_key(KeyId=key_id(kms))


@pytest.mark.parametrize("drift, field", [
    (_drift_policy, "Policy"),
    (_drift_rotation, "KeyRotationEnabled"),
    (_drift_description, "Description"),
    (_drift_tag_extra, "Tags"),
    (_drift_tag_missing, "Tags"),
    (_drift_disabled, "KeyState"),
])
def test_update_each_field(kms, converged, run_module, api_calls, drift, field):
    state = describe(kms, ALERTS)
    drift(kms)
    assert describe(kms, ALERTS) != state

    planned = run_module(kms_keys, ARGS, check_mode=True)
    assert [(c["resource"], c["action"], c["field"]) for c in planned["changes"]] == [(f"kms_key {ALERTS}", "update", field)]

    result = run_module(kms_keys, ARGS)
    assert result["changes"] == planned["changes"]
    assert describe(kms, ALERTS) == state == result["kms_keys"][ALERTS]

    api_calls.clear()
    assert run_module(kms_keys, ARGS)["changed"] is False
    assert api_calls.writes() == []


def test_tags_not_purged(kms, converged, run_module):
    _drift_tag_extra(kms)
    assert run_module(kms_keys, dict(ARGS, purge_tags=False))["changed"] is False
    assert "CostCentre" in kms_tag_dict(describe(kms, ALERTS)["Tags"])


def test_the_orphan_of_a_killed_run_is_adopted_not_duplicated(kms, run_module, monkeypatch):
    """A run killed between CreateKey and CreateAlias (here: CreateAlias fails) leaves a tagged key; the next adopts it."""
    original = botocore.client.BaseClient._make_api_call

    def crash(self, operation_name, api_params):
        if operation_name == "CreateAlias":
            raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com")
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", crash)
    killed = run_module(kms_keys, {"keys": KEYS[:1]})
    assert killed["failed"] is True
    assert f"kms_key {ALERTS}: cannot create alias" in killed["msg"]
    assert [c["field"] for c in killed["changes"]] == ["key"]
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", original)
    (left,) = customer_keys(kms)
    assert describe(kms, ALERTS) is None

    planned = run_module(kms_keys, {"keys": KEYS[:1]}, check_mode=True)
    assert planned["orphans"] == {ALERTS: [left]}
    assert planned["changes"][0] == {"resource": f"kms_key {ALERTS}", "action": "create", "field": "alias", "before": None,
                                     "after": {"AliasName": ALERTS, "TargetKeyId": left}}
    assert planned["kms_keys"][ALERTS]["KeyMetadata"]["KeyId"] == left

    result = run_module(kms_keys, {"keys": KEYS[:1]})
    assert result["failed"] is False, result
    assert [c["field"] for c in result["changes"]] == ["alias", "KeyRotationEnabled"]
    assert customer_keys(kms) == [left]
    assert describe(kms, ALERTS)["KeyMetadata"]["KeyId"] == left
    assert run_module(kms_keys, {"keys": KEYS[:1]})["changed"] is False


def test_orphan_search_skips_keys_with_an_alias_other_names_and_pending_keys(kms, run_module):
    elsewhere = orphan(kms)
    kms.create_alias(AliasName="alias/renamed", TargetKeyId=elsewhere)
    orphan(kms, name="other-core-test")
    pending = orphan(kms)
    kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
    untagged = kms.create_key(Tags=[{"TagKey": "Name", "TagValue": "alerts-core-test"}])["KeyMetadata"]["KeyId"]
    result = run_module(kms_keys, {"keys": KEYS[:1]})
    assert result["failed"] is False, result
    assert result["orphans"] == {}
    assert result["changes"][0]["field"] == "key"
    assert describe(kms, ALERTS)["KeyMetadata"]["KeyId"] not in (elsewhere, pending, untagged)


def test_orphan_search_skips_a_key_deleted_meanwhile(kms, run_module, monkeypatch):
    gone, left = orphan(kms), orphan(kms)
    original = botocore.client.BaseClient._make_api_call

    def vanish(self, operation_name, api_params):
        if operation_name == "ListResourceTags" and api_params.get("KeyId") == gone:
            raise botocore.exceptions.ClientError({"Error": {"Code": "NotFoundException", "Message": "gone"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", vanish)
    result = run_module(kms_keys, {"keys": KEYS[:1]})
    assert result["failed"] is False, result
    assert result["orphans"] == {ALERTS: [left]}
    assert describe(kms, ALERTS)["KeyMetadata"]["KeyId"] == left


def test_two_orphans_adopt_the_oldest_and_warn(kms, run_module, monkeypatch):
    warnings = []
    monkeypatch.setattr(kms_keys.AnsibleAWSModule, "warn", lambda self, message: warnings.append(message))
    first, second = orphan(kms), orphan(kms)
    result = run_module(kms_keys, {"keys": KEYS[:1]})
    assert result["failed"] is False, result
    assert describe(kms, ALERTS)["KeyMetadata"]["KeyId"] == first
    assert result["orphans"] == {ALERTS: [first, second]}
    assert len(warnings) == 1 and first in warnings[0] and second in warnings[0]
    assert customer_keys(kms) == [first, second]


def test_absent_schedules_by_key_id_and_deletes_the_alias(kms, converged, run_module, api_calls):
    ids = {alias: describe(kms, alias)["KeyMetadata"]["KeyId"] for alias in (ALERTS, LOGS)}
    args = {"keys": [{"alias": ALERTS}, {"alias": LOGS}], "state": "absent", "pending_window_days": 7}
    api_calls.clear()
    planned = run_module(kms_keys, args, check_mode=True, diff=True)
    assert api_calls.writes() == []
    assert planned["kms_keys"] == {ALERTS: None, LOGS: None}

    result = run_module(kms_keys, args)
    assert result["failed"] is False, result
    assert result["changes"] == planned["changes"]
    assert [(c["resource"], c["field"]) for c in result["changes"]] == [
        (f"kms_key {ALERTS}", "key"), (f"kms_key {ALERTS}", "alias"), (f"kms_key {LOGS}", "key"), (f"kms_key {LOGS}", "alias")]
    assert result["changes"][0]["after"] == {"KeyId": ids[ALERTS], "KeyState": "PendingDeletion", "PendingWindowInDays": 7}
    for alias, key_id in ids.items():
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert meta["KeyState"] == "PendingDeletion"
        assert describe(kms, alias) is None

    api_calls.clear()
    again = run_module(kms_keys, args)
    assert again["failed"] is False and again["changed"] is False
    assert api_calls.writes() == []


def test_absent_of_a_pending_key_deletes_only_the_alias(kms, converged, run_module):
    key_id = describe(kms, ALERTS)["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)
    result = run_module(kms_keys, {"keys": [{"alias": ALERTS}], "state": "absent"})
    assert [c["field"] for c in result["changes"]] == ["alias"]
    assert describe(kms, ALERTS) is None


def test_absent_alias_missing_still_schedules_the_orphan(kms, run_module):
    left = orphan(kms)
    result = run_module(kms_keys, {"keys": [{"alias": ALERTS}], "state": "absent"})
    assert result["failed"] is False, result
    assert [(c["action"], c["field"], c["before"]) for c in result["changes"]] == [
        ("delete", "key", {"KeyId": left, "KeyState": "Enabled"})]
    assert kms.describe_key(KeyId=left)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert run_module(kms_keys, {"keys": [{"alias": ALERTS}], "state": "absent"})["changed"] is False


def test_pending_deletion_fails_unless_recover_pending(kms, converged, run_module, api_calls):
    key_id = describe(kms, ALERTS)["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    api_calls.clear()
    refused = run_module(kms_keys, ARGS)
    assert refused["failed"] is True
    assert ALERTS in refused["msg"] and key_id in refused["msg"] and "recover_pending" in refused["msg"]
    assert api_calls.writes() == []

    recovered = run_module(kms_keys, dict(ARGS, recover_pending=True))
    assert recovered["failed"] is False, recovered
    assert recovered["changes"][0] == {"resource": f"kms_key {ALERTS}", "action": "update", "field": "KeyState",
                                       "before": "PendingDeletion", "after": "Enabled"}
    state = describe(kms, ALERTS)
    assert state["KeyMetadata"]["KeyId"] == key_id and state["KeyMetadata"]["KeyState"] == "Enabled"
    assert state["KeyRotationEnabled"] is True and state["Policy"] == KEYS[0]["policy"]
    assert run_module(kms_keys, ARGS)["changed"] is False


@pytest.mark.parametrize("args, named", [
    ({"keys": [{"alias": "alias/aws/s3"}]}, "keys[0].alias: 'alias/aws/s3'"),
    ({"keys": [{"alias": "alerts-core-test"}]}, "keys[0].alias: 'alerts-core-test'"),
    ({"keys": [{"alias": ALERTS}, {"alias": ALERTS}]}, f"keys[1].alias: '{ALERTS}' is listed twice"),
    ({"keys": [{"alias": ALERTS}], "state": "absent", "pending_window_days": 3}, "pending_window_days: 3"),
    ({"keys": [{"alias": ALERTS}], "pending_window_days": 31}, "pending_window_days: 31"),
    ({"keys": [{"alias": ALERTS, "tags": {"aws:x": "1"}}]}, "keys[0].tags: tag key 'aws:x'"),
    ({"keys": [{"alias": ALERTS, "tags": {"Name": "other"}}]}, "keys[0].tags: tag Name='other'"),
    ({"keys": [{"alias": ALERTS, "policy": {"Version": "2012-10-17"}}]}, "keys[0].policy: "),
    ({"keys": []}, "keys: []"),
])
def test_bad_input_is_named_before_any_call(kms, run_module, api_calls, args, named):
    api_calls.clear()
    result = run_module(kms_keys, args)
    assert result["failed"] is True
    assert named in result["msg"], result["msg"]
    assert api_calls == []


def test_the_module_and_the_filter_plan_with_the_same_function(kms, converged, run_module):
    assert kms_keys.plan_keys is converge_plans.plan_keys.resolve()
    _drift_rotation(kms)
    _drift_tag_extra(kms)
    current = {alias: describe(kms, alias) for alias in (ALERTS, LOGS)}
    planned = run_module(kms_keys, ARGS, check_mode=True)
    assert converge_plans.FilterModule().filters()["kms_keys_plan"](current, ARGS) == planned["changes"]
    assert [c["field"] for c in planned["changes"]] == ["KeyRotationEnabled", "Tags"]
