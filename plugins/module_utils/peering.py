# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared code for the vpc_peering and vpc_peering_options modules.

Why this exists: the emulator (moto) ignores ``Filters`` on
``DescribeVpcPeeringConnections`` and returns every peering the account can see,
so every lookup here is filtered client-side. ``Filters`` are still sent, so real
AWS returns less data, but the answer is never trusted.

Other facts this code relies on (AWS and the emulator agree unless noted):

* A peering is visible to both owner accounts, each in its own VPC's region.
* Tags on a peering are per account. ``DescribeVpcPeeringConnections`` returns
  the caller's tags on AWS, the requester's tags on the emulator; the tags of
  the calling account are therefore read with ``DescribeTags``.
* Describing an unknown peering id raises ``InvalidVpcPeeringConnectionID.NotFound``
  on AWS; the emulator returns an empty list. Both mean "not found" here.
* States: initiating-request -> pending-acceptance -> provisioning -> active;
  dead ends: rejected, failed, expired, deleting, deleted.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import time

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.transformation import ansible_dict_to_boto3_filter_list

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import all_pages
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ACCOUNT_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PEERING_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import REGION_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import VPC_ID_RE

LIVE_STATES = ("initiating-request", "pending-acceptance", "provisioning", "active")
DEAD_STATES = ("rejected", "failed", "expired", "deleting", "deleted")
# Which live peering to prefer when several match (the emulator allows
# duplicates; AWS refuses a second live peering between the same two VPCs).
STATE_RANK = {"active": 0, "provisioning": 1, "pending-acceptance": 2, "initiating-request": 3}

# Filters DescribeVpcPeeringConnections understands; all are applied here too.
API_FILTERS = (
    "accepter-vpc-info.cidr-block",
    "accepter-vpc-info.owner-id",
    "accepter-vpc-info.vpc-id",
    "requester-vpc-info.cidr-block",
    "requester-vpc-info.owner-id",
    "requester-vpc-info.vpc-id",
    "status-code",
    "status-message",
    "tag-key",
    "vpc-peering-connection-id",
)
# Extra filters applied client-side only (never sent: AWS would refuse them).
CLIENT_FILTERS = ("accepter-vpc-info.region", "requester-vpc-info.region")

# Polling: first pause, longest pause (seconds). Indirections so tests can
# replace the clock and the pause.
POLL_FIRST = 1.0
POLL_MAX = 5.0
_now = time.monotonic
_sleep = time.sleep


class PeeringError(ValueError):
    """Invalid input; the message names the parameter and the bad value."""


# --------------------------------------------------------------------------- validation


def check_pattern(name, value, pattern, what):
    """Raise PeeringError unless value (when set) matches pattern."""
    if value is None:
        return
    if not isinstance(value, str) or not pattern.match(value):
        raise PeeringError(f"{name}={value!r} is not {what}")


def check_account(name, value):
    check_pattern(name, value, ACCOUNT_ID_RE, "a 12-digit AWS account ID")


def check_vpc_id(name, value):
    check_pattern(name, value, VPC_ID_RE, "a VPC ID (vpc-xxxxxxxx or vpc-xxxxxxxxxxxxxxxxx)")


def check_peering_id(name, value):
    check_pattern(name, value, PEERING_ID_RE, "a VPC peering connection ID (pcx-xxxxxxxx or pcx-xxxxxxxxxxxxxxxxx)")


def check_region(name, value):
    check_pattern(name, value, REGION_RE, "an AWS region name such as us-east-2")


def check_cidr(name, value):
    """Return the canonical network for an IPv4/IPv6 CIDR; raise PeeringError when invalid."""
    if value is None:
        return None
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError as e:
        raise PeeringError(f"{name}={value!r} is not a valid CIDR block ({e})") from None


# --------------------------------------------------------------------------- reading


def status_code(pcx):
    if not pcx:
        return None
    return (pcx.get("Status") or {}).get("Code")


def vpc_cidrs(info):
    """All CIDR blocks of one side (CidrBlock, CidrBlockSet, Ipv6CidrBlockSet)."""
    cidrs = []
    if info.get("CidrBlock"):
        cidrs.append(info["CidrBlock"])
    for entry in info.get("CidrBlockSet") or []:
        if entry.get("CidrBlock") and entry["CidrBlock"] not in cidrs:
            cidrs.append(entry["CidrBlock"])
    for entry in info.get("Ipv6CidrBlockSet") or []:
        if entry.get("Ipv6CidrBlock") and entry["Ipv6CidrBlock"] not in cidrs:
            cidrs.append(entry["Ipv6CidrBlock"])
    return cidrs


def cidr_in(expected, cidrs):
    """True when the CIDR `expected` equals one of `cidrs` (compared as networks)."""
    want = ipaddress.ip_network(expected, strict=False)
    for cidr in cidrs:
        try:
            if ipaddress.ip_network(cidr, strict=False) == want:
                return True
        except ValueError:
            continue
    return False


def _describe_peerings(client, **params):
    return all_pages(client, "describe_vpc_peering_connections", **params).get("VpcPeeringConnections", [])


def describe_peerings(module, client, peering_ids=None, filters=None):
    """All peerings the caller can see, restricted client-side to `peering_ids`.

    `filters` (dict, API filter names) is passed to AWS as a hint only; callers
    must still filter the result client-side (see `matches_filters`).
    """
    params = {}
    if filters:
        api_filters = {k: v for k, v in filters.items() if k in API_FILTERS or k.startswith("tag:")}
        if api_filters:
            params["Filters"] = ansible_dict_to_boto3_filter_list(api_filters)
    if peering_ids:
        params["VpcPeeringConnectionIds"] = list(peering_ids)
    try:
        result = _describe_peerings(client, **params)
    except is_boto3_error_code(["InvalidVpcPeeringConnectionID.NotFound", "InvalidVpcPeeringConnectionId.NotFound"]):
        # One unknown id fails the whole call on AWS: describe everything and
        # keep what exists.
        params.pop("VpcPeeringConnectionIds", None)
        try:
            result = _describe_peerings(client, **params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="Unable to describe VPC peering connections")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Unable to describe VPC peering connections")
    if peering_ids:
        wanted = set(peering_ids)
        result = [p for p in result if p.get("VpcPeeringConnectionId") in wanted]
    return result


def get_peering(module, client, peering_id):
    """The peering with this id (client-side match), or None."""
    for pcx in describe_peerings(module, client, peering_ids=[peering_id]):
        return pcx
    return None


def account_tags(module, client, peering_ids):
    """{peering_id: {tag: value}} for the calling account, read with DescribeTags."""
    tags = {pid: {} for pid in peering_ids}
    if not peering_ids:
        return tags
    filters = ansible_dict_to_boto3_filter_list(
        {"resource-type": "vpc-peering-connection", "resource-id": list(peering_ids)}
    )
    try:
        pages = all_pages(client, "describe_tags", Filters=filters)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Unable to describe tags of {', '.join(peering_ids)}")
    for tag in pages.get("Tags", []):
        if tag.get("ResourceId") in tags:
            tags[tag["ResourceId"]][tag["Key"]] = tag.get("Value", "")
    return tags


def with_account_tags(module, client, peerings):
    """Replace each peering's Tags with the calling account's tags (one call)."""
    if not peerings:
        return peerings
    tags = account_tags(module, client, [p["VpcPeeringConnectionId"] for p in peerings])
    for pcx in peerings:
        pcx["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags[pcx["VpcPeeringConnectionId"]].items())]
    return peerings


# --------------------------------------------------------------------------- client-side filtering


def _filter_values(value):
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return [str(value).lower()]
    return [str(value)]


def _candidates(pcx, name):
    req = pcx.get("RequesterVpcInfo") or {}
    acc = pcx.get("AccepterVpcInfo") or {}
    tags = boto3_tag_list_to_ansible_dict(pcx.get("Tags") or [])
    if name.startswith("tag:"):
        key = name[4:]
        return [tags[key]] if key in tags else []
    simple = {
        "accepter-vpc-info.owner-id": acc.get("OwnerId"),
        "accepter-vpc-info.vpc-id": acc.get("VpcId"),
        "accepter-vpc-info.region": acc.get("Region"),
        "requester-vpc-info.owner-id": req.get("OwnerId"),
        "requester-vpc-info.vpc-id": req.get("VpcId"),
        "requester-vpc-info.region": req.get("Region"),
        "status-code": (pcx.get("Status") or {}).get("Code"),
        "status-message": (pcx.get("Status") or {}).get("Message"),
        "vpc-peering-connection-id": pcx.get("VpcPeeringConnectionId"),
    }
    if name in simple:
        return [simple[name]] if simple[name] is not None else []
    if name == "accepter-vpc-info.cidr-block":
        return vpc_cidrs(acc)
    if name == "requester-vpc-info.cidr-block":
        return vpc_cidrs(req)
    if name == "tag-key":
        return list(tags)
    raise PeeringError(f"unsupported filter {name!r}")


def validate_filters(filters):
    """Raise PeeringError for a filter name this module cannot apply client-side."""
    for name in filters or {}:
        if not (name in API_FILTERS or name in CLIENT_FILTERS or (name.startswith("tag:") and len(name) > 4)):
            raise PeeringError(
                f"filters: unsupported filter name {name!r}; supported: "
                f"{', '.join(sorted(API_FILTERS + CLIENT_FILTERS))}, tag:<key>"
            )


def matches_filters(pcx, filters):
    """AWS filter semantics: all names must match; any value of a name may match (* and ? wildcards)."""
    for name, value in (filters or {}).items():
        patterns = _filter_values(value)
        found = _candidates(pcx, name)
        if not any(fnmatch.fnmatchcase(str(c), p) for c in found for p in patterns):
            return False
    return True


def identity_matches(pcx, requester_vpc_id=None, requester_owner_id=None, accepter_vpc_id=None,
                     accepter_owner_id=None, accepter_region=None):
    """Exact match of the given identifiers (None = not checked)."""
    req = pcx.get("RequesterVpcInfo") or {}
    acc = pcx.get("AccepterVpcInfo") or {}
    checks = (
        (requester_vpc_id, req.get("VpcId")),
        (requester_owner_id, req.get("OwnerId")),
        (accepter_vpc_id, acc.get("VpcId")),
        (accepter_owner_id, acc.get("OwnerId")),
        (accepter_region, acc.get("Region")),
    )
    return all(want is None or want == got for want, got in checks)


def pick_live(peerings):
    """Live peerings sorted best first (active, provisioning, pending, initiating)."""
    live = [p for p in peerings if status_code(p) in LIVE_STATES]
    return sorted(live, key=lambda p: (STATE_RANK[status_code(p)], p.get("VpcPeeringConnectionId", "")))


# --------------------------------------------------------------------------- waiting


def poll(check, timeout):
    """Call check() until it returns something other than None, or until `timeout` seconds.

    Returns check()'s last result (None on timeout). The pause grows from
    POLL_FIRST to POLL_MAX and never goes past the deadline; check() runs at
    least once and once more at the deadline.
    """
    deadline = _now() + timeout
    delay = POLL_FIRST
    while True:
        result = check()
        if result is not None:
            return result
        remaining = deadline - _now()
        if remaining <= 0:
            return None
        _sleep(min(delay, remaining))
        delay = min(delay * 2, POLL_MAX)


def wait_for_status(module, client, peering_id, wanted, timeout, fail_on=None, missing_ok=False):
    """Poll DescribeVpcPeeringConnections until the peering's status is in `wanted`.

    A peering that is not (yet) visible is waited for (eventual consistency),
    unless `missing_ok` (then None is returned). A state in `fail_on` (default:
    the dead states not wanted) fails at once. Returns the peering.
    """
    if fail_on is None:
        fail_on = tuple(s for s in DEAD_STATES if s not in wanted)
    seen = {}

    def check():
        pcx = get_peering(module, client, peering_id)
        code = status_code(pcx)
        seen["code"] = code
        if pcx is None:
            return {} if missing_ok else None
        if code in wanted:
            return pcx
        if code in fail_on:
            message = (pcx.get("Status") or {}).get("Message", "")
            module.fail_json(
                msg=f"VPC peering connection {peering_id} is {code!r} ({message}) while waiting for it "
                f"to be {' or '.join(wanted)}",
                peering_id=peering_id,
                peering_connection=to_result(pcx),
            )
        return None

    result = poll(check, timeout)
    if result is None:
        module.fail_json(
            msg=f"Timed out after {timeout}s waiting for VPC peering connection {peering_id} to be "
            f"{' or '.join(wanted)}; last status: {seen.get('code') or 'not visible'}",
            peering_id=peering_id,
        )
    return result or None


# --------------------------------------------------------------------------- results


def to_result(pcx):
    """snake_case dict with tags as a dict; {} for None."""
    if not pcx:
        return {}
    tags = boto3_tag_list_to_ansible_dict(pcx.get("Tags") or [])
    result = camel_dict_to_snake_dict({k: v for k, v in pcx.items() if k != "Tags"})
    result["tags"] = tags
    return result


def summary(pcx):
    """Compact view for diffs."""
    if not pcx:
        return {}
    req = pcx.get("RequesterVpcInfo") or {}
    acc = pcx.get("AccepterVpcInfo") or {}
    return {
        "vpc_peering_connection_id": pcx.get("VpcPeeringConnectionId"),
        "status": status_code(pcx),
        "requester": {"owner_id": req.get("OwnerId"), "vpc_id": req.get("VpcId"), "region": req.get("Region"),
                      "cidr_blocks": vpc_cidrs(req)},
        "accepter": {"owner_id": acc.get("OwnerId"), "vpc_id": acc.get("VpcId"), "region": acc.get("Region"),
                     "cidr_blocks": vpc_cidrs(acc)},
        "tags": boto3_tag_list_to_ansible_dict(pcx.get("Tags") or []),
    }


def describe_side(info):
    """'account <id> / vpc-... / <region> / <cidr>' for messages."""
    return (
        f"account {info.get('OwnerId')}, VPC {info.get('VpcId')}, region {info.get('Region')}, "
        f"CIDR {', '.join(vpc_cidrs(info)) or 'none'}"
    )
