# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan_service_role mirrors what amazon.aws.iam_role and amazon.aws.iam_policy compare (moto in-process).

The AWS Config stage converges its role with the stock modules and plans them on the controller: for
each field drifting, the planner must name a change exactly when the stock module changes something,
and nothing once the module has run.
"""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.modules import iam_policy
from ansible_collections.amazon.aws.plugins.modules import iam_role
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_role
from ansible_collections.netsec.aws_peering.plugins.module_utils.observability_plan import plan_service_role
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_delivery_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_trust_policy

ACCOUNT = "123456789012"
NAME = "config-recorder-core-test"
TAGS = {"CostCenter": "CC-1", "Environment": "test", "ManagedBy": "netsec.aws_peering", "Network": "core", "Name": NAME}
TRUST = config_trust_policy("us-east-1", ACCOUNT)
INLINE = config_delivery_policy("us-east-1", ACCOUNT, f"config-core-{ACCOUNT}-test")
DESCRIPTION = "AWS Config recorder of core (test)"


@pytest.fixture
def iam():
    with mock_aws():
        client = boto3.client("iam", region_name="us-east-1")
        for name in ("config-role", "other"):
            client.create_policy(PolicyName=name, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
        yield client


def managed(name="config-role"):
    return f"arn:aws:iam::{ACCOUNT}:policy/{name}"


def desired():
    return {"name": NAME, "trust": TRUST, "description": DESCRIPTION, "managed_policies": [managed()],
            "inline_policies": {"config-delivery": INLINE}, "tags": TAGS}


def role_args():
    return {"name": NAME, "assume_role_policy_document": json.dumps(TRUST), "description": DESCRIPTION,
            "managed_policies": [managed()], "purge_policies": True, "tags": TAGS, "purge_tags": True,
            "create_instance_profile": False, "delete_instance_profile": False}


def policy_args():
    return {"iam_type": "role", "iam_name": NAME, "policy_name": "config-delivery", "policy_json": json.dumps(INLINE),
            "skip_duplicates": False, "state": "present"}


def plan(client):
    return plan_service_role(describe_role(client, NAME), desired())


def converge(run_module):
    first = run_module(iam_role, role_args())
    assert not first["failed"], first.get("msg")
    second = run_module(iam_policy, policy_args())
    assert not second["failed"], second.get("msg")
    return first["changed"], second["changed"]


def test_absent_role_plans_its_creation_and_the_modules_create_it(iam, run_module):
    roles, policies = plan_service_role(None, desired())
    assert [c["action"] for c in roles] == ["create"] and [c["action"] for c in policies] == ["create"]
    assert converge(run_module) == (True, True)
    assert plan(iam) == ([], [])
    assert converge(run_module) == (False, False)


@pytest.mark.parametrize("label, drift, role_fields, policy_changed", [
    ("trust policy", lambda c: c.update_assume_role_policy(RoleName=NAME, PolicyDocument=json.dumps(config_trust_policy("us-east-1", "210987654321"))),
     ["AssumeRolePolicyDocument"], False),
    ("description", lambda c: c.update_role(RoleName=NAME, Description="by hand"), ["Description"], False),
    ("CostCenter tag removed", lambda c: c.untag_role(RoleName=NAME, TagKeys=["CostCenter"]), ["Tags"], False),
    ("extra tag", lambda c: c.tag_role(RoleName=NAME, Tags=[{"Key": "Extra", "Value": "1"}]), ["Tags"], False),
    ("another managed policy attached", lambda c: c.attach_role_policy(RoleName=NAME, PolicyArn=managed("other")), ["AttachedPolicies"], False),
    ("managed policy detached", lambda c: c.detach_role_policy(RoleName=NAME, PolicyArn=managed()), ["AttachedPolicies"], False),
    ("inline policy changed", lambda c: c.put_role_policy(RoleName=NAME, PolicyName="config-delivery", PolicyDocument=json.dumps(
        config_delivery_policy("us-east-1", ACCOUNT, "another-bucket"))), [], True),
    ("inline policy deleted", lambda c: c.delete_role_policy(RoleName=NAME, PolicyName="config-delivery"), [], True),
    ("max session changed (not compared unless given)", lambda c: c.update_role(RoleName=NAME, Description=DESCRIPTION, MaxSessionDuration=7200), [], False),
    ("another inline policy (left, as iam_policy leaves it)",
     lambda c: c.put_role_policy(RoleName=NAME, PolicyName="theirs", PolicyDocument=json.dumps(INLINE)), [], False),
])
def test_each_field_drifting_is_planned_exactly_when_the_stock_module_changes_it(iam, run_module, label, drift, role_fields, policy_changed):
    converge(run_module)
    drift(iam)
    roles, policies = plan(iam)
    assert [c["field"] for c in roles] == role_fields, label
    assert bool(policies) is policy_changed, label
    assert converge(run_module) == (bool(role_fields), policy_changed), label
    assert plan(iam) == ([], []), label


def test_a_role_without_our_tags_is_refused(iam, run_module):
    converge(run_module)
    iam.untag_role(RoleName=NAME, TagKeys=["ManagedBy"])
    with pytest.raises(ValueError, match="exists but does not carry the tags"):
        plan(iam)
