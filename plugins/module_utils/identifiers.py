# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one set of AWS identifier patterns, shared by the modules, the planners and preflight.

EC2 resource IDs are a prefix and 8 (older resources) or 17 lowercase hex digits; ARNs carry a
partition (aws, aws-cn, aws-us-gov, ...). Patterns accept exactly what AWS issues, so a value
refused here would be refused by AWS too.
"""

from __future__ import annotations

import ipaddress
import re

_HEX_ID = r"(?:[0-9a-f]{8}|[0-9a-f]{17})"
PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}"


def ec2_id(prefix):
    """The pattern text of an EC2 resource ID, unanchored (to compose ARN patterns)."""
    return prefix + "-" + _HEX_ID


def ec2_id_re(prefix):
    """The pattern of an EC2 resource ID such as vpc-0123abcd or rtb-0123456789abcdef0."""
    return re.compile(r"^" + ec2_id(prefix) + r"$")


ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^" + _REGION + r"$")
VPC_ID_RE = ec2_id_re("vpc")
SUBNET_ID_RE = ec2_id_re("subnet")
ROUTE_TABLE_ID_RE = ec2_id_re("rtb")
NACL_ID_RE = ec2_id_re("acl")
SECURITY_GROUP_ID_RE = ec2_id_re("sg")
PEERING_ID_RE = ec2_id_re("pcx")
ENDPOINT_ID_RE = ec2_id_re("vpce")
FLOW_LOG_ID_RE = ec2_id_re("fl")
PREFIX_LIST_ID_RE = re.compile(r"^pl-[0-9a-f]{8,17}$")
ROLE_ARN_RE = re.compile(r"^arn:(?P<partition>" + PARTITION + r"):iam::(?P<account>\d{12}):role/(?P<path_name>[\w+=,.@/-]{1,512})$",
                         re.ASCII)
USER_ARN_RE = re.compile(r"^arn:(?P<partition>" + PARTITION + r"):iam::(?P<account>\d{12}):user/(?P<path_name>[\w+=,.@/-]{1,512})$",
                         re.ASCII)
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$", re.ASCII)
_KMS_KEY = r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
_KMS_ARN = r"arn:" + PARTITION + r":kms:" + _REGION + r":\d{12}:"
KMS_KEY_ARN_RE = re.compile(r"^" + _KMS_ARN + r"key/" + _KMS_KEY + r"$")
# A KMS key as KMS takes it: key ID, multi-Region key ID, alias name, key ARN or alias ARN.
KEY_ID_RE = re.compile(r"^(?:" + _KMS_KEY + "|" + _KMS_ALIAS + "|" + _KMS_ARN + r"(?:key/" + _KMS_KEY + "|" + _KMS_ALIAS + r"))$")
SNS_TOPIC_ARN_RE = re.compile(r"^arn:" + PARTITION + r":sns:" + _REGION + r":\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$")
# S3's naming rules for general purpose buckets (adjacent dots and reserved names are checked where used).
BUCKET_NAME = r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"
BUCKET_NAME_RE = re.compile(r"^" + BUCKET_NAME + r"$")
BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
# A Python/Ansible identifier (variable and option names).
IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# Region prefix -> ARN partition, most specific first (us-isob- before us-iso-); every other region is in aws.
REGION_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
)


def partition_of_region(region):
    """The ARN partition of a region name, from its prefix (the one derivation every plugin uses)."""
    for prefix, partition in REGION_PARTITIONS:
        if (region or "").startswith(prefix):
            return partition
    return "aws"


def account_of_arn(arn):
    """The account ID in an IAM/STS ARN, or None."""
    match = re.match(r"^arn:" + PARTITION + r":(?:iam|sts)::(\d{12}):", arn or "")
    return match.group(1) if match else None


def role_name_of_arn(arn):
    """The role name (without path) of a role ARN, or None."""
    match = ROLE_ARN_RE.match(arn or "")
    return match.group("path_name").rsplit("/", 1)[-1] if match else None


def trusted_principal_problem(principal):
    """Why a principal may not be trusted by a role of ours (None when it may).

    Only a named role or user is ever trusted: a wildcard, an account ID or an account's root
    would trust every principal of that account (AWS: "arn:aws:iam::ACCOUNT_ID:root" and
    "ACCOUNT_ID" both mean the whole account).
    """
    if not isinstance(principal, str) or not principal:
        return "is not an IAM role or user ARN"
    if principal == "*" or "*" in principal:
        return "is a wildcard: a whole account is never trusted"
    if ACCOUNT_ID_RE.match(principal) or principal.endswith(":root"):
        return "names a whole account: trust a named role or user instead"
    if not (ROLE_ARN_RE.match(principal) or USER_ARN_RE.match(principal)):
        return "is not an IAM role or user ARN"
    return None


def bucket_name_error(name):
    """Why ``name`` is not a valid general purpose bucket name, or None."""
    if not isinstance(name, str) or not BUCKET_NAME_RE.match(name):
        return "must have 3 to 63 characters, lowercase letters, digits, dots and hyphens, and begin and end with a letter or digit"
    if ".." in name or ".-" in name or "-." in name:
        return "must not have two adjacent dots or a dot next to a hyphen"
    try:
        ipaddress.IPv4Address(name)
        return "must not be formatted as an IP address"
    except ValueError:
        pass
    for prefix in BUCKET_RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"must not start with {prefix!r} (reserved by AWS)"
    for suffix in BUCKET_RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"must not end with {suffix!r} (reserved by AWS)"
    return None
