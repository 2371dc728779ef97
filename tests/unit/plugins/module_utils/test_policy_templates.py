"""Tables of cases for the shipped policies' rendering and the emulator's projection
(plugins/module_utils/policy_templates.py) and the automation role's filters (plugins/filter/automation.py).

Every file under policies/automation/ is rendered with the values roles/automation_role computes from the
sandbox inventory (one render per account), and projected.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import automation
from ansible_collections.netsec.aws_peering.plugins.module_utils import policy_templates as pt

REPO = Path(__file__).resolve().parents[4]
SHIPPED = sorted((REPO / "policies" / "automation").glob("*.json"))
VALUES = {"Partition": "aws", "AccountId": "111111111111", "Region": ["us-east-1"], "Suffix": "sandbox", "PeerAccountId": ["222222222222"]}


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


# ---------------------------------------------------------------------------------------------- render
@pytest.mark.parametrize("node, values, expected", [
    ("arn:${Partition}:ec2:${Region}:${AccountId}:vpc/*", VALUES, "arn:aws:ec2:us-east-1:111111111111:vpc/*"),
    ("arn:aws:ec2:${Region}:1:vpc/*", {"Region": ["us-east-1", "eu-west-1"]},
     ["arn:aws:ec2:us-east-1:1:vpc/*", "arn:aws:ec2:eu-west-1:1:vpc/*"]),
    ("arn:aws:ec2:${Region}:1:vpc/*", {"Region": ["us-east-1", "us-east-1"]}, ["arn:aws:ec2:us-east-1:1:vpc/*"]),
    ("arn:aws:ec2:${Region}:1:vpc/*", {"Region": ["us-east-1"]}, "arn:aws:ec2:us-east-1:1:vpc/*"),
    ("${Region}/${PeerAccountId}", {"Region": ["r1", "r2"], "PeerAccountId": ["a", "b"]}, ["r1/a", "r1/b", "r2/a", "r2/b"]),
    ("${Region}-${Region}", {"Region": ["r1", "r2"]}, ["r1-r1", "r2-r2"]),         # one placeholder, one value per expansion
    (["x-${Region}", "y", "x-${Region}"], {"Region": ["r1", "r2"]}, ["x-r1", "x-r2", "y"]),
    ({"Resource": ["a:${AccountId}", "b"], "Sid": "S"}, {"AccountId": 123456789012}, {"Resource": ["a:123456789012", "b"], "Sid": "S"}),
    ({"Condition": {"StringEquals": {"aws:ResourceAccount": "${AccountId}"}}}, {"AccountId": "1"},
     {"Condition": {"StringEquals": {"aws:ResourceAccount": "1"}}}),
    ("arn:aws:iam::1:user/${aws:username}", {}, "arn:aws:iam::1:user/${aws:username}"),  # IAM policy variables stay
    ({"Bool": True, "Count": 3, "None": None}, {}, {"Bool": True, "Count": 3, "None": None}),
    ([{"Sid": "${Suffix}"}, {"Sid": "b"}], {"Suffix": "s"}, [{"Sid": "s"}, {"Sid": "b"}]),
])
def test_render(node, values, expected):
    assert pt.render_policy(node, values) == expected


def test_render_does_not_change_its_input():
    document = doc(allow("ec2:CreateVpc", ["arn:aws:ec2:${Region}:${AccountId}:vpc/*"]))
    before = copy.deepcopy(document)
    pt.render_policy(document, VALUES)
    assert document == before


@pytest.mark.parametrize("node, values, missing", [
    ("arn:${Partition}:s3:::x", {}, "${Partition}"),
    ({"Resource": ["a", "arn:${Partition}:iam::${AccountId}:role/x"]}, {"Partition": "aws"}, "${AccountId}"),
])
def test_render_missing_placeholder(node, values, missing):
    with pytest.raises(pt.PolicyTemplateError, match=missing.replace("$", "\\$")):
        pt.render_policy(node, values)
    with pytest.raises(AnsibleFilterError, match="render_automation_policy: placeholder"):
        automation.render_automation_policy(node, values)


def test_render_automation_policy_filter():
    document = doc(allow(["cloudwatch:PutMetricAlarm", "ec2:CreateTags"], "arn:aws:ec2:${Region}:${AccountId}:vpc/*",
                         Condition={"StringEquals": {"aws:RequestTag/ManagedBy": "netsec.aws_peering"}}))
    rendered = automation.render_automation_policy(document, VALUES)
    assert rendered["Statement"][0]["Resource"] == "arn:aws:ec2:us-east-1:111111111111:vpc/*"
    assert automation.render_automation_policy(document, VALUES, emulator=True) == pt.emulator_projection(rendered)


# ---------------------------------------------------------------------------------------------- emulator projection
@pytest.mark.parametrize("action, names", [
    ("ec2:CreateVpc", ["ec2:CreateVpc"]),
    ("cloudwatch:PutMetricAlarm", ["monitoring:PutMetricAlarm"]),
    ("CloudWatch:GetDashboard", ["monitoring:GetDashboard"]),
    ("s3:GetBucketPublicAccessBlock", ["s3:GetPublicAccessBlock", "s3:ListBucket"]),
    ("s3:PutEncryptionConfiguration", ["s3:CreateBucket"]),
    ("s3:GetBucketPolicy", ["s3:GetBucketPolicy"]),
    ("logs:PutMetricFilter", ["logs:PutMetricFilter"]),
])
def test_emulator_action_names(action, names):
    assert pt.emulator_action_names(action) == names


def test_projection_keeps_exactly_the_allowed_actions_on_any_resource_without_conditions():
    document = doc(
        allow("ec2:CreateVpc", "arn:aws:ec2:us-east-1:1:vpc/*", Condition={"StringEquals": {"aws:RequestTag/Network": "x"}}),
        allow(["cloudwatch:PutMetricAlarm", "ec2:CreateVpc", "s3:GetEncryptionConfiguration"], ["arn:aws:s3:::b"]),
        {"Effect": "Deny", "Action": "ec2:DeleteVpc", "Resource": "*"},
    )
    assert pt.emulator_projection(document) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "EmulatorProjection", "Effect": "Allow", "Action": ["ec2:CreateVpc", "monitoring:PutMetricAlarm", "s3:ListBucket"],
         "Resource": "*"}]}
    assert pt.policy_actions(document) == ["cloudwatch:PutMetricAlarm", "ec2:CreateVpc", "s3:GetEncryptionConfiguration"]


def test_projection_of_a_single_statement_document():
    assert pt.emulator_projection({"Statement": allow("sts:AssumeRole")})["Statement"][0]["Action"] == ["sts:AssumeRole"]
    assert pt.emulator_projection({"Statement": []})["Statement"][0]["Action"] == []


# ---------------------------------------------------------------------------------------------- trust
@pytest.mark.parametrize("principal, problem", [
    ("*", "wildcard"),
    ("arn:aws:iam::111111111111:role/*", "wildcard"),
    ("111111111111", "whole account"),
    ("arn:aws:iam::111111111111:root", "whole account"),
    ("arn:aws-cn:iam::111111111111:root", "whole account"),
    ("arn:aws:sts::111111111111:assumed-role/x/s", "not an IAM role or user ARN"),
    ("arn:aws:iam::1111:role/x", "not an IAM role or user ARN"),
    ("arn:aws:iam::111111111111:group/admins", "not an IAM role or user ARN"),
    ("", "not an IAM role or user ARN"),
    (None, "not an IAM role or user ARN"),
])
def test_trusted_principal_errors_name_the_variable_index_and_value(principal, problem):
    errors = automation.trusted_principal_errors(["arn:aws:iam::111111111111:role/ok", principal], "automation_role_trusted_principals")
    assert len(errors) == 1
    assert errors[0].startswith(f"automation_role_trusted_principals[1]: {principal!r} ")
    assert problem in errors[0]


@pytest.mark.parametrize("principals", [
    ["arn:aws:iam::111111111111:role/netsec-automation"],
    ["arn:aws:iam::111111111111:role/ci/path/runner", "arn:aws:iam::222222222222:user/alice"],
    ["arn:aws-us-gov:iam::111111111111:role/x"],
])
def test_trusted_principals_accepted(principals):
    assert automation.trusted_principal_errors(principals, "v") == []


@pytest.mark.parametrize("principals, needle", [("arn:aws:iam::111111111111:role/x", "must be a list"), (None, "must be a list"),
                                                ([], "at least one")])
def test_trusted_principals_shape(principals, needle):
    [error] = automation.trusted_principal_errors(principals, "automation_role_trusted_principals")
    assert error.startswith("automation_role_trusted_principals: ") and needle in error


def test_automation_trust_policy():
    principals = ["arn:aws:iam::999999999999:role/z", "arn:aws:iam::999999999999:role/a"]
    assert automation.automation_trust_policy(principals) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "NamedAutomationPrincipalsOnly", "Effect": "Allow", "Principal": {"AWS": sorted(principals)}, "Action": "sts:AssumeRole"}]}
    with_id = automation.automation_trust_policy(principals, "ext-123")
    assert with_id["Statement"][0]["Condition"] == {"StringEquals": {"sts:ExternalId": "ext-123"}}
    with pytest.raises(AnsibleFilterError, match="root"):
        automation.automation_trust_policy(["arn:aws:iam::999999999999:role/a", "arn:aws:iam::999999999999:root"])
    with pytest.raises(AnsibleFilterError, match="at least one"):
        automation.automation_trust_policy([])


def test_peer_account_ids():
    hostvars = {"a": {"aws_account_id": "111111111111"}, "b": {"aws_account_id": "222222222222"},
                "c": {"aws_account_id": 333333333333}, "d": {"aws_account_id": "111111111111"}}
    peerings = [{"requester": "a", "accepter": "b"}, {"requester": "c", "accepter": "a"}, {"requester": "b", "accepter": "c"},
                {"requester": "a", "accepter": "d"}]
    assert automation.peer_account_ids(peerings, hostvars, "111111111111") == ["222222222222", "333333333333"]
    assert automation.peer_account_ids(peerings, hostvars, 333333333333) == ["111111111111", "222222222222"]
    assert automation.peer_account_ids(peerings, hostvars, "444444444444") == []
    assert automation.peer_account_ids(None, hostvars, "111111111111") == []


# ---------------------------------------------------------------------------------------------- the shipped policies
def sandbox_values():
    """What roles/automation_role computes from the sandbox inventory, per account."""
    hosts = yaml.safe_load((REPO / "inventories/sandbox/hosts.yml").read_text())["all"]["children"]["networks"]["hosts"]
    group = yaml.safe_load((REPO / "inventories/sandbox/group_vars/networks.yml").read_text())
    out = {}
    for account in sorted({str(h["aws_account_id"]) for h in hosts.values()}):
        out[account] = {
            "Partition": "aws", "AccountId": account, "Suffix": group["environment_suffix"],
            "Region": sorted({h["aws_region"] for h in hosts.values() if str(h["aws_account_id"]) == account}),
            "PeerAccountId": automation.peer_account_ids(group["peerings"], hosts, account),
        }
    return out


SANDBOX = sandbox_values()
CASES = [(path, account) for path in SHIPPED for account in SANDBOX]


def test_the_sandbox_has_two_peered_accounts():
    assert {a: v["PeerAccountId"] for a, v in SANDBOX.items()} == {"111111111111": ["222222222222"], "222222222222": ["111111111111"]}
    assert len(SHIPPED) >= 6


def _statements(document):
    statements = document["Statement"]
    return statements if isinstance(statements, list) else [statements]


@pytest.mark.parametrize("path, account", CASES, ids=[f"{p.stem}-{a}" for p, a in CASES])
def test_every_shipped_policy_renders_and_projects(path, account):
    document = json.loads(path.read_text(encoding="utf-8"))
    rendered = automation.render_automation_policy(document, SANDBOX[account])
    text = json.dumps(rendered)
    assert "${" not in text.replace("${aws:", "")
    assert account in text
    for statement in _statements(rendered):
        assert statement.get("Action") and statement.get("Resource"), statement
    projected = automation.render_automation_policy(document, SANDBOX[account], emulator=True)
    [statement] = projected["Statement"]
    assert set(statement) == {"Sid", "Effect", "Action", "Resource"}
    assert (statement["Effect"], statement["Resource"]) == ("Allow", "*")
    expected = sorted({name for action in pt.policy_actions(rendered) for name in pt.emulator_action_names(action)})
    assert statement["Action"] == expected
    assert not any(action.startswith("cloudwatch:") for action in statement["Action"])


def test_an_account_without_peers_in_other_accounts_renders_a_valid_peering_policy():
    document = json.loads((REPO / "policies/automation/peering.json").read_text(encoding="utf-8"))
    rendered = automation.render_automation_policy(document, dict(VALUES, PeerAccountId=[]))
    for statement in _statements(rendered):
        assert statement.get("Resource"), statement
