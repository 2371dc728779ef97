"""module_utils/identifiers.py: the one set of AWS identifier patterns (modules, planners, preflight).

Each pattern accepts what AWS issues and nothing else; the last test keeps it the only set.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils import identifiers as ids

PLUGINS = Path(__file__).resolve().parents[4] / "plugins"


@pytest.mark.parametrize("pattern, value, accepted", [
    ("ACCOUNT_ID_RE", "111111111111", True),
    ("ACCOUNT_ID_RE", "11111111111", False),
    ("ACCOUNT_ID_RE", "1111111111111", False),
    ("REGION_RE", "us-east-1", True),
    ("REGION_RE", "us-gov-west-1", True),
    ("REGION_RE", "cn-north-1", True),
    ("REGION_RE", "us-east", False),
    ("REGION_RE", "US-EAST-1", False),
    ("VPC_ID_RE", "vpc-0a1b2c3d", True),
    ("VPC_ID_RE", "vpc-0123456789abcdef0", True),
    ("VPC_ID_RE", "vpc-0123456789", False),  # neither 8 nor 17 digits
    ("VPC_ID_RE", "vpc-0A1B2C3D", False),
    ("VPC_ID_RE", "subnet-0a1b2c3d", False),
    ("ROUTE_TABLE_ID_RE", "rtb-0123456789abcdef0", True),
    ("ROUTE_TABLE_ID_RE", "rtb-0c3", False),
    ("PEERING_ID_RE", "pcx-0123456789abcdef0", True),
    ("PEERING_ID_RE", "pcx-", False),
    ("PREFIX_LIST_ID_RE", "pl-63a5400a", True),  # AWS-managed lists have 8 digits
    ("PREFIX_LIST_ID_RE", "pl-0123456789abcdef0", True),
    ("PREFIX_LIST_ID_RE", "pl-5a5a", False),
    ("ROLE_ARN_RE", "arn:aws:iam::111111111111:role/netsec-automation", True),
    ("ROLE_ARN_RE", "arn:aws-us-gov:iam::111111111111:role/path/name", True),
    ("ROLE_ARN_RE", "arn:aws-cn:iam::111111111111:role/x", True),
    ("ROLE_ARN_RE", "arn:aws:iam::111111111111:user/x", False),
    ("ROLE_ARN_RE", "arn:aws:iam::111111111111:role/", False),
    ("ROLE_ARN_RE", "arn:aws:iam::111111111111:role/bad*name", False),
    ("USER_ARN_RE", "arn:aws:iam::111111111111:user/ci", True),
    ("EXTERNAL_ID_RE", "ab", True),
    ("EXTERNAL_ID_RE", "a", False),
    ("EXTERNAL_ID_RE", "x" * 1224, True),
    ("EXTERNAL_ID_RE", "x" * 1225, False),
    ("EXTERNAL_ID_RE", "has space", False),
    ("KMS_KEY_ARN_RE", "arn:aws:kms:us-east-1:111111111111:key/12345678-1234-1234-1234-123456789012", True),
    ("KMS_KEY_ARN_RE", "arn:aws:kms:us-east-1:111111111111:key/mrk-" + "a" * 32, True),
    ("KMS_KEY_ARN_RE", "arn:aws:kms:us-east-1:111111111111:alias/logs", False),
    ("KMS_KEY_ARN_RE", "arn:aws:kms:us-east-1:111111111111:key/abc", False),
    ("KEY_ID_RE", "alias/logs", True),
    ("KEY_ID_RE", "12345678-1234-1234-1234-123456789012", True),
    ("KEY_ID_RE", "arn:aws:kms:us-east-1:111111111111:alias/logs", True),
    ("KEY_ID_RE", "logs", False),
    ("SNS_TOPIC_ARN_RE", "arn:aws:sns:us-east-1:111111111111:alerts-trading-prod", True),
    ("SNS_TOPIC_ARN_RE", "arn:aws:sns:us-east-1:111111111111:alerts.fifo", True),
    ("SNS_TOPIC_ARN_RE", "arn:aws:sns:us-east-1:111111111111:a.b", False),
    ("SNS_TOPIC_ARN_RE", "arn:aws:sqs:us-east-1:111111111111:queue", False),
    ("BUCKET_NAME_RE", "flowlogs-trading-111111111111-prod", True),
    ("BUCKET_NAME_RE", "ab", False),
    ("BUCKET_NAME_RE", "Upper-case", False),
    ("IDENTIFIER_RE", "vpc_cidr", True),
    ("IDENTIFIER_RE", "1st", False),
])
def test_pattern_accepts_what_aws_issues(pattern, value, accepted):
    assert bool(getattr(ids, pattern).match(value)) is accepted


def test_ec2_id_re_keeps_a_prefix_group():
    match = ids.ec2_id_re("(vpc|subnet|eni)").match("eni-0123456789abcdef0")
    assert match and match.group(1) == "eni"


@pytest.mark.parametrize("name, problem", [
    ("flowlogs-trading-111111111111-prod", None),
    ("a..b", "adjacent dots"),
    ("a.-b", "adjacent dots"),
    ("192.168.1.1", "IP address"),
    ("xn--bucket", "'xn--'"),
    ("logs-s3alias", "'-s3alias'"),
    ("logs.mrap", "'.mrap'"),
    ("UPPER", "3 to 63 characters"),
    (None, "3 to 63 characters"),
])
def test_bucket_name_error(name, problem):
    why = ids.bucket_name_error(name)
    assert (why is None) if problem is None else (problem in why)


@pytest.mark.parametrize("principal, fragment", [
    ("arn:aws:iam::111111111111:role/requester", None),
    ("arn:aws:iam::111111111111:user/ci", None),
    ("*", "wildcard"),
    ("arn:aws:iam::111111111111:role/*", "wildcard"),
    ("111111111111", "whole account"),
    ("arn:aws:iam::111111111111:root", "whole account"),
    ("arn:aws:sts::111111111111:assumed-role/x/y", "not an IAM role or user ARN"),
    ("", "not an IAM role or user ARN"),
])
def test_trusted_principal_problem(principal, fragment):
    problem = ids.trusted_principal_problem(principal)
    assert (problem is None) if fragment is None else (fragment in problem)


# An EC2 ID or an ARN spelled as a pattern of its own, outside identifiers.py.
OWN_PATTERN = re.compile(r"""re\.(?:compile|match)\(\s*r?["']\^?(?:(?:vpc|subnet|rtb|acl|sg|pcx|vpce|fl|pl)-\[|arn:aws(?:\[|\(|:iam|:kms|:sns)"""
                         r"""|(?:\\d|\[0-9\])\{12\}\$)""")


def test_no_plugin_spells_an_id_pattern_of_its_own():
    offenders = [f"{path.relative_to(PLUGINS)}:{number}"
                 for path in sorted(PLUGINS.rglob("*.py")) if path.name != "identifiers.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1) if OWN_PATTERN.search(line)]
    assert offenders == []


@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"),
    ("eu-central-2", "aws"),
    ("cn-north-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"),
    ("us-iso-east-1", "aws-iso"),
    ("us-isob-east-1", "aws-iso-b"),
    ("us-isof-south-1", "aws-iso-f"),
    ("eu-isoe-west-1", "aws-iso-e"),
    (None, "aws"),
])
def test_partition_of_region(region, partition):
    assert ids.partition_of_region(region) == partition
