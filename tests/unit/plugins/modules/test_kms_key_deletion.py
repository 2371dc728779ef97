"""Unit tests for netsec.aws_peering.kms_key_deletion (moto in-process)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import kms_key_deletion

ALIASES = ["alias/alerts-core-test", "alias/flowlogs-cwl-core-test"]


@pytest.fixture
def kms():
    with mock_aws():
        yield boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def keys(kms):
    ids = []
    for alias in ALIASES:
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=alias, TargetKeyId=key)
        ids.append(key)
    return ids


def state(kms, key):
    return kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]


def alias_names(kms):
    return {a["AliasName"] for a in kms.list_aliases()["Aliases"]}


def test_schedule_by_alias_then_unchanged(kms, keys, run_module):
    first = run_module(kms_key_deletion, {"aliases": ALIASES, "pending_window_days": 7})
    assert first["failed"] is False, first
    assert first["changed"] is True
    assert first["scheduled_key_ids"] == keys
    assert first["deleted_aliases"] == ALIASES
    assert all(state(kms, k) == "PendingDeletion" for k in keys)
    assert not alias_names(kms) & set(ALIASES)
    assert all(v["deletion_date"] for v in first["kms_keys"])

    second = run_module(kms_key_deletion, {"aliases": ALIASES, "pending_window_days": 7})
    assert second["failed"] is False
    assert second["changed"] is False
    assert second["scheduled_key_ids"] == [] and second["deleted_aliases"] == []


def test_by_key_id_and_key_arn(kms, keys, run_module):
    result = run_module(kms_key_deletion, {"key_id": keys[0]})
    assert result["changed"] is True
    assert result["scheduled_key_ids"] == [keys[0]]
    assert result["deleted_aliases"] == []
    assert state(kms, keys[0]) == "PendingDeletion"
    assert ALIASES[0] in alias_names(kms)
    # Already pending: unchanged, also when given by ARN.
    arn = kms.describe_key(KeyId=keys[0])["KeyMetadata"]["Arn"]
    again = run_module(kms_key_deletion, {"key_id": arn})
    assert again["changed"] is False
    assert again["kms_keys"][0]["key_state"] == "PendingDeletion"
    # The alias of a pending key still goes.
    alias = run_module(kms_key_deletion, {"aliases": ALIASES[:1]})
    assert alias["changed"] is True
    assert alias["scheduled_key_ids"] == [] and alias["deleted_aliases"] == ALIASES[:1]


def test_check_mode_and_diff(kms, keys, run_module):
    result = run_module(kms_key_deletion, {"aliases": ALIASES}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["scheduled_key_ids"] == keys
    assert all(state(kms, k) == "Enabled" for k in keys)
    assert set(ALIASES) <= alias_names(kms)
    assert result["diff"]["before"] == {"keys": {k: "Enabled" for k in keys}, "aliases": sorted(ALIASES)}
    assert result["diff"]["after"] == {"keys": {k: "PendingDeletion" for k in keys}, "aliases": []}


def test_missing_is_already_gone(kms, run_module):
    result = run_module(kms_key_deletion, {"aliases": ["alias/nothing-here"], "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"})
    assert result["failed"] is False, result
    assert result["changed"] is False


@pytest.mark.parametrize(
    "args, bad",
    [
        ({"aliases": ["alerts-core-test"]}, "alerts-core-test"),
        ({"aliases": ["alias/aws/sns"]}, "alias/aws/sns"),
        ({"key_id": "not a key"}, "not a key"),
        ({"aliases": ALIASES, "pending_window_days": 3}, "pending_window_days: 3"),
        ({}, "key_id or aliases"),
    ],
)
def test_bad_input_fails_before_any_write(kms, keys, args, bad, run_module):
    result = run_module(kms_key_deletion, args)
    assert result["failed"] is True
    assert bad in result["msg"]
    assert all(state(kms, k) == "Enabled" for k in keys)
    assert set(ALIASES) <= alias_names(kms)
