"""Shared fixtures for unit tests.

Modules run in-process against moto's `mock_aws`, so no request can leave the
process. The collection is importable as ``ansible_collections.netsec.aws_peering``
through the `.collections` link that `make install` creates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / ".collections"))

from ansible.module_utils.testing import patch_module_args  # noqa: E402


class ModuleExit(Exception):
    """Raised instead of sys.exit when a module finishes."""

    def __init__(self, result, failed):
        super().__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch):
    """Dummy credentials, a fixed region and no endpoint override: only moto answers."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("MOTO_ALLOW_NONEXISTENT_REGION", "false")


_LOADERS = {}


@pytest.fixture(autouse=True)
def fast_moto(monkeypatch):
    """Speed only: no default AMIs, and one botocore loader shared by all sessions.

    moto builds ~20k AMIs for every new EC2 backend (about 1 s), which these tests
    never use; every module run builds a new boto3 session, which would re-read
    the service models from disk. The loader is read-only, so sharing it changes
    no behaviour.
    """
    import botocore.loaders
    import botocore.session

    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

    def cached_create_loader(search_path_string=None):
        if search_path_string not in _LOADERS:
            _LOADERS[search_path_string] = botocore.loaders.create_loader(search_path_string)
        return _LOADERS[search_path_string]

    monkeypatch.setattr(botocore.session, "create_loader", cached_create_loader)


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with the given args; return (result, failed).

    Usage: ``result = run_module(my_module, {"opt": 1}, check_mode=True)``;
    ``result["failed"]`` tells whether fail_json was called.
    """

    def _run(module, args, check_mode=False, diff=False):
        args = dict(args)
        args.setdefault("region", "us-east-1")
        if check_mode:
            args["_ansible_check_mode"] = True
        if diff:
            args["_ansible_diff"] = True
        captured = {}

        def fake_exit(self, **kwargs):
            kwargs.setdefault("changed", False)
            captured["result"] = kwargs
            raise ModuleExit(kwargs, False)

        def fake_fail(self, msg="", **kwargs):
            kwargs["msg"] = msg
            kwargs["failed"] = True
            captured["result"] = kwargs
            raise ModuleExit(kwargs, True)

        from ansible.module_utils import basic

        monkeypatch.setattr(basic.AnsibleModule, "exit_json", fake_exit)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json", fake_fail)
        with patch_module_args(args):
            try:
                module.main()
            except ModuleExit as exc:
                result = exc.result
                result.setdefault("failed", exc.failed)
                # Results must be JSON-serialisable, as Ansible requires.
                json.dumps(result, default=str)
                return result
        raise AssertionError("module returned without exit_json/fail_json")

    return _run


@pytest.fixture
def aws():
    """moto's mock_aws around the test: clients made inside it are answered from memory."""
    # Imported on use, as in fast_moto: the tests that need no AWS do not pay for moto's import.
    from moto import mock_aws

    with mock_aws():
        yield


def _client(service):
    import boto3

    return boto3.client(service, region_name="us-east-1")


@pytest.fixture
def ec2(aws):
    return _client("ec2")


@pytest.fixture
def kms(aws):
    return _client("kms")


@pytest.fixture
def s3(aws):
    return _client("s3")


class ApiCalls(list):
    """The calls record_calls kept, in call order; writes() needs operation names (the default keep)."""

    # Head* is S3's read (HeadBucket, HeadObject); no other service the tests use has a Head* operation.
    READS = ("Describe", "Get", "Head", "List")

    def writes(self):
        """The calls that may change something: idempotence and check mode are proven by there being none."""
        return [name for name in self if not name.startswith(self.READS)]


@pytest.fixture
def record_calls(monkeypatch):
    """Start recording every AWS call from now on: ``calls = record_calls(keep)``.

    ``keep(client, operation_name, api_params)`` returns what to record of a call, or None to skip it;
    by default the operation name. It wraps botocore's ``_make_api_call`` so that the clients the module
    builds itself are seen too; a patch made later wraps the recorder, so a call it answers itself is not recorded.
    """
    import botocore.client

    def start(keep=lambda client, operation_name, api_params: operation_name):
        calls = ApiCalls()
        original = botocore.client.BaseClient._make_api_call

        def record(self, operation_name, api_params):
            kept = keep(self, operation_name, api_params)
            if kept is not None:
                calls.append(kept)
            return original(self, operation_name, api_params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
        return calls

    return start


@pytest.fixture
def api_calls(record_calls):
    """Operation names of every AWS call made from now on (test set-up included: clear it first)."""
    return record_calls()
