"""Unit tests for netsec.aws_peering.session_credentials (moto in-process).

moto's AssumeRole into arn:aws:iam::111111111111:role/x returns credentials that act in 111111111111,
so the account a session reaches is proven by GetCallerIdentity made with those credentials. Every
AWS call is recorded with its parameters: a refusal must happen before anything else is done.
"""

from __future__ import annotations

import json
import time

import botocore.client
import botocore.exceptions
import pytest

from ansible_collections.netsec.aws_peering.plugins.modules import session_credentials

BASE_ACCOUNT = "123456789012"      # moto's default account: the base credentials
ROLE = "arn:aws:iam::111111111111:role/x"


pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def api_calls(record_calls):
    """(operation, parameters, access key of the client) of every AWS call made from now on."""
    return record_calls(lambda client, operation_name, api_params:
                        (operation_name, dict(api_params), client._request_signer._credentials.access_key))


def operations(calls):
    return [call[0] for call in calls]


@pytest.mark.parametrize("check_mode", [False, True])
def test_base_credentials_only(run_module, api_calls, check_mode):
    result = run_module(session_credentials, {"expected_account_id": BASE_ACCOUNT}, check_mode=check_mode)
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert result["identity"] == {"account": BASE_ACCOUNT, "arn": f"arn:aws:sts::{BASE_ACCOUNT}:user/moto", "partition": "aws"}
    assert result["connection"] == {"region": "us-east-1"}
    assert operations(api_calls) == ["GetCallerIdentity"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_assume_role_into_another_account(run_module, api_calls, check_mode):
    result = run_module(session_credentials, {"role_arn": ROLE, "external_id": "netsec-0123456789", "role_session_name": "netsec-test",
                                              "expected_account_id": "111111111111", "duration_seconds": 900}, check_mode=check_mode)
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert result["identity"] == {"account": "111111111111", "arn": "arn:aws:sts::111111111111:assumed-role/x/netsec-test",
                                  "partition": "aws"}
    connection = result["connection"]
    assert set(connection) == {"region", "access_key", "secret_key", "session_token"}
    assert connection["region"] == "us-east-1"
    assert operations(api_calls) == ["AssumeRole", "GetCallerIdentity"]
    assume, base_key = api_calls[0][1:]
    session_key = api_calls[1][2]
    assert assume == {"RoleArn": ROLE, "RoleSessionName": "netsec-test", "DurationSeconds": 900, "ExternalId": "netsec-0123456789"}
    # The identity is asked with the assumed credentials (the ones returned), not the base ones.
    assert session_key == connection["access_key"] != base_key


def test_no_external_id_is_not_sent(run_module, api_calls):
    assert run_module(session_credentials, {"role_arn": ROLE})["failed"] is False
    assert "ExternalId" not in api_calls[0][1]


@pytest.mark.parametrize("args, reached", [
    ({"role_arn": ROLE, "expected_account_id": "222222222222"}, "111111111111"),
    ({"expected_account_id": "222222222222"}, BASE_ACCOUNT),
])
def test_wrong_account_fails_naming_both_and_does_nothing_else(run_module, api_calls, args, reached):
    result = run_module(session_credentials, args)
    assert result["failed"] is True
    assert reached in result["msg"] and "222222222222" in result["msg"]
    assert result["identity"]["account"] == reached
    # Nothing but the identity check was done, and no credentials leave the module.
    assert operations(api_calls) == (["AssumeRole", "GetCallerIdentity"] if "role_arn" in args else ["GetCallerIdentity"])
    assert "connection" not in result
    dumped = json.dumps(result)
    assert "session_token" not in dumped and "secret" not in dumped.lower()


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("args, named", [
    ({"role_arn": "arn:aws:iam::1111:role/x"}, "arn:aws:iam::1111:role/x"),
    ({"role_arn": "arn:aws:iam::111111111111:user/x"}, "arn:aws:iam::111111111111:user/x"),
    ({"role_arn": "111111111111"}, "role_arn='111111111111'"),
    ({"role_arn": "arn:aws:iam::111111111111:role/"}, "role_arn="),
    ({"expected_account_id": "1234"}, "expected_account_id='1234'"),
    ({"expected_account_id": "11111111111a"}, "11111111111a"),
    ({"role_arn": ROLE, "expected_account_id": " 111111111111"}, "' 111111111111'"),
])
def test_bad_input_fails_naming_the_value_before_any_call(run_module, api_calls, args, named, check_mode):
    result = run_module(session_credentials, args, check_mode=check_mode)
    assert result["failed"] is True
    assert named in result["msg"]
    assert api_calls == []


def refuse_first(monkeypatch, refusals):
    """AssumeRole answers AccessDenied ``refusals`` times (a role IAM has not propagated yet), then works."""
    original = botocore.client.BaseClient._make_api_call
    seen = []

    def flaky(self, operation_name, api_params):
        if operation_name == "AssumeRole":
            seen.append(1)
            if len(seen) <= refusals:
                raise botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "not authorized"}}, operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", flaky)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    return seen


def test_refused_assume_role_fails_naming_the_role(run_module, monkeypatch):
    seen = refuse_first(monkeypatch, 99)
    result = run_module(session_credentials, {"role_arn": ROLE})
    assert result["failed"] is True and ROLE in result["msg"]
    assert len(seen) == 1        # assumable_timeout 0: no retry


def test_assumable_timeout_retries_a_new_role(run_module, monkeypatch):
    seen = refuse_first(monkeypatch, 2)
    result = run_module(session_credentials, {"role_arn": ROLE, "assumable_timeout": 20})
    assert result["failed"] is False, result
    assert len(seen) == 3 and result["identity"]["account"] == "111111111111"
