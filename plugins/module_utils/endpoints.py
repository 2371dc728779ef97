# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers for AWS service endpoints and AWS-managed prefix lists.

Used by the managed_prefix_list_info and vpc_gateway_endpoint modules. Nothing
here talks to AWS.
"""

from __future__ import annotations

import json
import re

# Services that offer Gateway endpoints.
GATEWAY_SERVICES = ("s3", "dynamodb")

_SHORT_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_FULL_NAME = re.compile(r"^((?:cn\.)?com\.amazonaws)\.([a-z0-9-]+)\.(.+)$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

# Policy elements whose value may be one string or a list of strings, order irrelevant.
_LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")


class EndpointError(ValueError):
    """Bad input; the message names the value."""


def service_name(service, region, where="service"):
    """Full service name for a short one (``s3`` -> ``com.amazonaws.<region>.s3``).

    A full name (``com.amazonaws...``) is returned unchanged after a sanity check.
    """
    text = str(service or "").strip()
    if not text:
        raise EndpointError(f"{where} must not be empty")
    if _FULL_NAME.match(text):
        return text
    if not _SHORT_NAME.match(text):
        raise EndpointError(f"{where} {service!r} is neither a short service name (s3) nor a full one (com.amazonaws...)")
    if not region:
        raise EndpointError(f"{where} {service!r}: a region is required to build the full service name")
    return f"com.amazonaws.{region}.{text}"


def short_service(name):
    """Short service of a full name or prefix-list name.

    ``com.amazonaws.us-east-1.s3`` -> ``s3``;
    ``com.amazonaws.global.cloudfront.origin-facing`` -> ``cloudfront.origin-facing``;
    anything else is returned unchanged.
    """
    match = _FULL_NAME.match(str(name or ""))
    if not match:
        return name
    scope, rest = match.group(2), match.group(3)
    if scope == "global" or _REGION.match(scope):
        return rest
    return f"{scope}.{rest}"


def service_region(name):
    """Region part of a full service name, or None (``global`` or not a full name)."""
    match = _FULL_NAME.match(str(name or ""))
    if match and _REGION.match(match.group(2)):
        return match.group(2)
    return None


def parse_policy(policy, where="policy"):
    """A policy given as dict or JSON string -> dict (None stays None)."""
    if policy is None:
        return None
    if isinstance(policy, dict):
        return policy
    if isinstance(policy, (str, bytes)):
        text = policy.decode() if isinstance(policy, bytes) else policy
        if not text.strip():
            return None
        try:
            value = json.loads(text)
        except ValueError as e:
            raise EndpointError(f"{where} is not valid JSON ({e}): {text[:80]!r}") from None
        if not isinstance(value, dict):
            raise EndpointError(f"{where} must be a JSON object, got {type(value).__name__}")
        return value
    raise EndpointError(f"{where} must be a dict or a JSON string, got {type(policy).__name__}")


def _as_sorted_list(value):
    if isinstance(value, (list, tuple)):
        items = [normalize_policy(v) for v in value]
    else:
        items = [normalize_policy(value)]
    unique = {json.dumps(v, sort_keys=True): v for v in items}
    return [unique[k] for k in sorted(unique)]


def _normalize_statement(statement):
    if not isinstance(statement, dict):
        return normalize_policy(statement)
    out = {}
    for key, value in statement.items():
        if key in _LIST_ELEMENTS:
            out[key] = _as_sorted_list(value)
        elif key in _PRINCIPAL_ELEMENTS and isinstance(value, dict):
            out[key] = {k: _as_sorted_list(v) for k, v in value.items()}
        elif key == "Condition" and isinstance(value, dict):
            out[key] = {
                op: ({k: _as_sorted_list(v) for k, v in body.items()} if isinstance(body, dict) else body)
                for op, body in value.items()
            }
        else:
            out[key] = normalize_policy(value)
    return out


def normalize_policy(policy):
    """Canonical form of a policy for comparison.

    Keys are sorted (by the JSON dump), ``Statement`` is always a list sorted
    by content, and ``Action``/``NotAction``/``Resource``/``NotResource``,
    ``Principal`` values and ``Condition`` values are sorted, de-duplicated
    lists, so ``"s3:GetObject"`` equals ``["s3:GetObject"]``.
    """
    if isinstance(policy, dict):
        out = {}
        for key, value in policy.items():
            if key == "Statement":
                statements = value if isinstance(value, list) else [value]
                normal = [_normalize_statement(s) for s in statements]
                out[key] = sorted(normal, key=lambda s: json.dumps(s, sort_keys=True))
            else:
                out[key] = normalize_policy(value)
        return out
    if isinstance(policy, list):
        return [normalize_policy(v) for v in policy]
    return policy


def policies_equal(a, b):
    return json.dumps(normalize_policy(a), sort_keys=True) == json.dumps(normalize_policy(b), sort_keys=True)
