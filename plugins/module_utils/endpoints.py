# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers for AWS service endpoints and AWS-managed prefix lists, and the endpoints' plan.

Used by the vpc_gateway_endpoint module and by the endpoints stage's
planner (``security_plan.endpoints_plan``): ``plan_endpoints`` is the one function that decides what
the module changes, so the controller's plan and the module's run agree. Nothing here talks to AWS.
"""

from __future__ import annotations

import hashlib
import json
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change

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


# ---------------------------------------------------------------------------
# The plan module vpc_gateway_endpoint carries out (and the endpoints stage shows)
# ---------------------------------------------------------------------------
# Ownership: an endpoint is ours when it carries ManagedBy=netsec.aws_peering and Network=<network>. Only ours
# are ever modified or deleted. Someone else's endpoint of the same service stays as it is; ours is added
# beside it (AWS allows several gateway endpoints per service in a VPC, but a route table can use only one
# of them per service, and only one interface endpoint per service can have private DNS).

OWNER_TAG = "ManagedBy"
OWNER = "netsec.aws_peering"
GONE_STATES = ("deleted", "deleting", "rejected", "failed", "expired")
TYPES = ("Gateway", "Interface")


def _tags(resource):
    tags = resource.get("Tags") or []
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {tag["Key"]: tag.get("Value", "") for tag in tags}


def is_ours(endpoint, network):
    tags = _tags(endpoint)
    return tags.get(OWNER_TAG) == OWNER and tags.get("Network") == network


def is_live(endpoint):
    return str(endpoint.get("State", "")).lower() not in GONE_STATES


def endpoint_type(endpoint):
    return endpoint.get("VpcEndpointType") or "Gateway"


def current_policy(endpoint):
    """The policy of a described endpoint as a dict (None when it has none or it is not JSON)."""
    try:
        return parse_policy(endpoint.get("PolicyDocument"))
    except EndpointError:
        return None


def _id_list(value, where, prefix):
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise EndpointError(f"{where}: {value!r} must be a list of {prefix} IDs")
    return sorted({str(v) for v in value})


def desired_endpoint(raw, region, network, where="endpoints[0]"):
    """One item of the module's ``endpoints`` option, validated and in canonical form (ownership tags added)."""
    if not isinstance(raw, dict):
        raise EndpointError(f"{where}: {raw!r} is not a dict")
    name = service_name(raw.get("service"), region, where=f"{where}.service")
    other = service_region(name)
    if other and region and other != region:
        raise EndpointError(f"{where}.service {raw.get('service')!r} is in region {other}, the site is in {region}")
    kind = str(raw.get("type") or "Gateway").capitalize()
    if kind not in TYPES:
        raise EndpointError(f"{where}.type {raw.get('type')!r} must be Gateway or Interface")
    spec = {"service": raw.get("service"), "service_name": name, "type": kind, "name": raw.get("name"),
            "policy": parse_policy(raw.get("policy"), where=f"{where}.policy")}
    if kind == "Gateway":
        for key in ("subnet_ids", "security_groups"):
            if raw.get(key):
                raise EndpointError(f"{where}.{key} applies to Interface endpoints only")
        spec["route_table_ids"] = _id_list(raw.get("route_table_ids"), f"{where}.route_table_ids", "rtb-")
    else:
        if raw.get("route_table_ids"):
            raise EndpointError(f"{where}.route_table_ids applies to Gateway endpoints only")
        spec["subnet_ids"] = _id_list(raw.get("subnet_ids"), f"{where}.subnet_ids", "subnet-")
        spec["security_groups"] = _id_list(raw.get("security_groups"), f"{where}.security_groups", "sg-")
        spec["private_dns"] = None if raw.get("private_dns") is None else bool(raw["private_dns"])
    tags = {str(k): str(v) for k, v in (raw.get("tags") or {}).items()}
    if raw.get("name"):
        tags["Name"] = str(raw["name"])
    tags.update({OWNER_TAG: OWNER, "Network": network})
    spec["tags"] = tags
    return spec


def _label(endpoint):
    name = _tags(endpoint).get("Name")
    return f"{endpoint['VpcEndpointId']} ({name})" if name else endpoint["VpcEndpointId"]


def _resolve_groups(wanted, groups, pending, where, errors):
    """Security group names or IDs -> IDs (names of groups to be created this run stay names)."""
    by_id = {g["GroupId"]: g for g in groups}
    by_name = {}
    for group in groups:
        by_name.setdefault(group.get("GroupName"), []).append(group["GroupId"])
    out = []
    for value in wanted or []:
        if value in by_id:
            out.append(value)
        elif len(by_name.get(value, [])) == 1:
            out.append(by_name[value][0])
        elif value in (pending or []):
            out.append(value)
        else:
            errors.append(f"{where}.security_groups: {value!r} is not a security group of the VPC"
                          + (f" (several are named so: {by_name[value]})" if by_name.get(value) else ""))
    return sorted(set(out))


def _ids_change(resource, endpoint_id, field, have, want, add_key, remove_key, purge=True):
    add = sorted(set(want) - set(have))
    remove = sorted(set(have) - set(want)) if purge else []
    if not add and not remove:
        return []
    after = sorted((set(have) | set(add)) - set(remove))
    modify = {}
    if add:
        modify[add_key] = add
    if remove:
        modify[remove_key] = remove
    return [change(resource, "update", field, sorted(have), after, id=endpoint_id, modify=modify)]


def _conflicts(spec, mine, live, errors):
    """Someone else's endpoint already holding what ours needs: a plan error naming both."""
    ours = f"our endpoint {spec['tags'].get('Name') or spec['service_name']}"
    for other in live:
        if other in mine or other.get("ServiceName") != spec["service_name"] or endpoint_type(other) != spec["type"]:
            continue
        if spec["type"] == "Gateway":
            for table in sorted(set(spec.get("route_table_ids") or []) & set(other.get("RouteTableIds") or [])):
                errors.append(f"route table {table} already uses the {spec['service_name']} gateway endpoint {_label(other)}, which is "
                              f"not ours: a route table can use one gateway endpoint per service, so {ours} cannot take it. "
                              f"Detach {table} from {other['VpcEndpointId']}, or leave it out of the route tables")
        elif spec.get("private_dns") and other.get("PrivateDnsEnabled"):
            errors.append(f"the {spec['service_name']} interface endpoint {_label(other)}, which is not ours, already has private DNS "
                          f"in this VPC: {ours} cannot have it too. Use that endpoint, or turn its private DNS off")


def _creation(spec, resolved_groups):
    api = {"VpcEndpointType": spec["type"], "ServiceName": spec["service_name"]}
    if spec["type"] == "Gateway":
        if spec.get("route_table_ids"):
            api["RouteTableIds"] = spec["route_table_ids"]
    else:
        if spec.get("subnet_ids"):
            api["SubnetIds"] = spec["subnet_ids"]
        if resolved_groups:
            api["SecurityGroupIds"] = resolved_groups
        if spec.get("private_dns") is not None:
            api["PrivateDnsEnabled"] = spec["private_dns"]
    if spec.get("policy") is not None:
        api["PolicyDocument"] = json.dumps(spec["policy"], sort_keys=True)
    return api


def _updates(spec, current, resolved_groups, purge_route_tables):
    endpoint_id = current["VpcEndpointId"]
    resource = f"vpc-endpoint {endpoint_id}"
    changes = []
    if spec["type"] == "Gateway":
        if spec.get("route_table_ids") is not None:
            changes += _ids_change(resource, endpoint_id, "route_table_ids", current.get("RouteTableIds") or [], spec["route_table_ids"],
                                   "AddRouteTableIds", "RemoveRouteTableIds", purge_route_tables)
    else:
        if spec.get("subnet_ids") is not None:
            changes += _ids_change(resource, endpoint_id, "subnet_ids", current.get("SubnetIds") or [], spec["subnet_ids"],
                                   "AddSubnetIds", "RemoveSubnetIds")
        if spec.get("security_groups") is not None:
            have = [g.get("GroupId") for g in current.get("Groups") or []]
            changes += _ids_change(resource, endpoint_id, "security_group_ids", have, resolved_groups,
                                   "AddSecurityGroupIds", "RemoveSecurityGroupIds")
        if spec.get("private_dns") is not None and bool(current.get("PrivateDnsEnabled")) != spec["private_dns"]:
            changes.append(change(resource, "update", "private_dns", bool(current.get("PrivateDnsEnabled")), spec["private_dns"],
                                  id=endpoint_id, modify={"PrivateDnsEnabled": spec["private_dns"]}))
    have_policy = current_policy(current)
    if spec.get("policy") is not None and not policies_equal(spec["policy"], have_policy):
        changes.append(change(resource, "update", "policy", normalize_policy(have_policy) if have_policy else None,
                              normalize_policy(spec["policy"]), id=endpoint_id,
                              modify={"PolicyDocument": json.dumps(spec["policy"], sort_keys=True)}))
    have_tags = _tags(current)
    missing = {k: v for k, v in spec["tags"].items() if have_tags.get(k) != v}
    if missing:
        changes.append(change(resource, "update", "tags", {k: have_tags.get(k) for k in missing}, missing, id=endpoint_id, tags=missing))
    return changes


def plan_endpoints(state, desired, network, purge_route_tables=True, purge_endpoints=False, absent=False, pending_groups=None):
    """The changes that make OUR endpoints of the VPC match ``desired`` (the module's ``endpoints``), or remove them.

    ``state``: the site state (``vpc``, ``vpc_endpoints``, ``route_tables``, ``subnets``, ``security_groups``,
    ``region``). With ``absent`` and ``desired`` None every endpoint of ours goes. ``purge_endpoints``: ours that
    are not desired go too. ``pending_groups``: security group names created later in this run (accepted
    unresolved). Tags are added or corrected, never removed. Returns ``{"errors": [...], "changes": [...]}``;
    each change carries what the module needs (``spec``: CreateVpcEndpoint arguments, ``modify``: a
    ModifyVpcEndpoint fragment, ``tags``: tags to set, ``id``).
    """
    state = state or {}
    errors, changes = [], []
    vpc_id = (state.get("vpc") or {}).get("VpcId")
    live = [e for e in state.get("vpc_endpoints") or [] if is_live(e) and e.get("VpcId", vpc_id) == vpc_id]
    ours = [e for e in live if is_ours(e, network)]
    wanted = []
    for index, raw in enumerate(desired or []):
        where = f"endpoints[{index}]"
        try:
            spec = desired_endpoint(raw, state.get("region"), network, where)
        except EndpointError as e:
            errors.append(str(e))
            continue
        twin = next((w for w in wanted if (w["service_name"], w["type"]) == (spec["service_name"], spec["type"])), None)
        if twin is not None:
            errors.append(f"{where}.service {spec['service']!r} duplicates endpoints[{twin['index']}] ({spec['service_name']} {spec['type']})")
            continue
        wanted.append(dict(spec, index=index))
    keys = {(w["service_name"], w["type"]) for w in wanted}
    if absent:
        for endpoint in ours:
            if desired is None or (endpoint.get("ServiceName"), endpoint_type(endpoint)) in keys:
                changes.append(change(f"vpc-endpoint {endpoint['VpcEndpointId']}", "delete", "endpoint",
                                      f"{endpoint_type(endpoint)} {endpoint.get('ServiceName')}", None, id=endpoint["VpcEndpointId"],
                                      route_table_ids=endpoint.get("RouteTableIds") or None))
        return {"errors": errors, "changes": changes}
    tables = {t["RouteTableId"] for t in state.get("route_tables") or []}
    subnets = {s["SubnetId"] for s in state.get("subnets") or []}
    for spec in wanted:
        where = f"endpoints[{spec['index']}]"
        bad_tables = sorted(set(spec.get("route_table_ids") or []) - tables)
        bad_subnets = sorted(set(spec.get("subnet_ids") or []) - subnets)
        if bad_tables or bad_subnets:
            errors.append(f"{where}: {bad_tables + bad_subnets} are not route tables / subnets of {vpc_id}")
            continue
        resolved = _resolve_groups(spec.get("security_groups"), state.get("security_groups") or [], pending_groups, where, errors)
        mine = [e for e in ours if e.get("ServiceName") == spec["service_name"] and endpoint_type(e) == spec["type"]]
        if len(mine) > 1:
            errors.append(f"{vpc_id} has {len(mine)} {spec['type']} endpoints of ours for {spec['service_name']}: "
                          f"{sorted(_label(e) for e in mine)}; delete the extra ones first")
            continue
        _conflicts(spec, mine, live, errors)
        if not mine:
            api = _creation(spec, resolved)
            changes.append(change(f"vpc-endpoint {spec['tags'].get('Name') or spec['service_name']}", "create", "endpoint", None,
                                  f"{spec['type']} {spec['service_name']}", spec=api, tags=spec["tags"]))
        else:
            changes += _updates(spec, mine[0], resolved, purge_route_tables)
    if purge_endpoints:
        for endpoint in ours:
            if (endpoint.get("ServiceName"), endpoint_type(endpoint)) not in keys:
                changes.append(change(f"vpc-endpoint {endpoint['VpcEndpointId']}", "delete", "endpoint",
                                      f"{endpoint_type(endpoint)} {endpoint.get('ServiceName')}", None, id=endpoint["VpcEndpointId"],
                                      route_table_ids=endpoint.get("RouteTableIds") or None))
    return {"errors": errors, "changes": changes}


def client_token(vpc_id, api, salt=""):
    """A ClientToken that is the same for the same request on every run (a retried or re-run create finds the
    endpoint the first one made); ``salt`` (a deleted endpoint AWS handed back) gives a fresh one."""
    text = json.dumps([vpc_id, api, salt], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
