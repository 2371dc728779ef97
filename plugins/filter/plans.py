# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side planning: the stages' plans from the discovered site state, and what they publish."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
is_ours = lazy_function("names", "is_ours")
name_of = lazy_function("names", "name_of")
site_names = lazy_function("names", "site_names")
tag_dict = lazy_function("names", "tag_dict")
plan_network = lazy_function("network_plan", "plan_network")
plan_network_teardown = lazy_function("network_plan", "plan_network_teardown")
peering_planner = lazy_module("peering_plan")
dashboard_url = lazy_function("outputs", "dashboard_url")
site_outputs = lazy_function("outputs", "site_outputs")
site_peerings = lazy_function("peering_intent", "site_peerings")
_site_state = lazy_module("site_state")


def network_plan(state, spec):
    """The network stage's plan (errors, changes, layout) for one site."""
    if not isinstance(state, dict) or not isinstance(spec, dict):
        raise AnsibleFilterError(f"network_plan: expects the site state and a spec dict, got {type(state).__name__}, {type(spec).__name__}")
    return plan_network(state, spec)


def network_teardown_plan(state, spec):
    """What removing the collection's network of one site takes (only resources carrying its tags)."""
    if not isinstance(state, dict) or not isinstance(spec, dict):
        raise AnsibleFilterError("network_teardown_plan: expects the site state and a spec dict")
    return plan_network_teardown(state, spec)


def site_network(state):
    """The site's network as the stages use it: VPC, private subnets, route tables and ACL (ours only)."""
    if not isinstance(state, dict):
        raise AnsibleFilterError(f"site_network: expects the site state, got {type(state).__name__}")
    vpc = state.get("vpc")
    if not vpc:
        return {}
    network = state.get("network_name")
    names = site_names(network, state.get("environment_suffix"))

    def private(items):
        return sorted((item for item in items if is_ours(item, network) and tag_dict(item.get("Tags")).get("Tier") == "private"),
                      key=name_of)

    subnets = private(state.get("subnets", []))
    tables = private(state.get("route_tables", []))
    nacls = [n for n in state.get("network_acls", []) if is_ours(n, network) and name_of(n) == names["private_nacl"]]
    return {
        "vpc_id": vpc["VpcId"],
        "vpc_name": name_of(vpc) or names["vpc"],
        "cidr_block": vpc["CidrBlock"],
        "adopted": not is_ours(vpc, network),
        "availability_zones": [s["AvailabilityZone"] for s in subnets],
        "private_subnet_ids": [s["SubnetId"] for s in subnets],
        "private_subnet_cidrs": [s["CidrBlock"] for s in subnets],
        "private_route_table_ids": [t["RouteTableId"] for t in tables],
        "private_nacl_id": nacls[0]["NetworkAclId"] if nacls else "",
    }


def _hostvar(hostvars, host, key, default=None):
    try:
        value = hostvars[host][key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def peering_context(peerings, host, hostvars, settings):
    """What the peering planners need about one site: its peerings (with trust and ExternalId) and its peers' states.

    settings: network_name, environment_suffix, tags, emulator, trusted_principals ({requester host: [ARNs]}),
    max_session_duration, default_ports.
    """
    from ansible_collections.netsec.aws_peering.plugins.filter.peering import peering_external_id  # pylint: disable=import-outside-toplevel
    settings = dict(settings or {})
    overrides = settings.get("trusted_principals") or {}
    items = []
    for item in site_peerings(peerings, host, settings.get("default_ports") or (443, 5432)):
        peering = item["peering"]
        requester = peering.get("requester")
        principals = overrides.get(requester) or [_hostvar(hostvars, requester, "aws_role_arn", "")]
        external_id = peering.get("external_id") or (
            peering_external_id(peering, settings["environment_suffix"]) if settings.get("emulator") else "")
        items.append(dict(item, trusted_principals=[p for p in principals if p], external_id=external_id))
    peers = {}
    for item in items:
        state = _hostvar(hostvars, item["peer"], "site_state", {})
        peers[item["peer"]] = {"state": state, "account_id": str(_hostvar(hostvars, item["peer"], "aws_account_id", "")),
                               "region": _hostvar(hostvars, item["peer"], "aws_region", ""),
                               "partition": state.get("partition", "aws")}
    spec = {"network_name": settings.get("network_name"), "environment_suffix": settings.get("environment_suffix"),
            "tags": settings.get("tags") or {}, "emulator_projection": bool(settings.get("emulator")),
            "max_session_duration": int(settings.get("max_session_duration") or 3600), "peerings": items,
            "check_mode": bool(settings.get("check_mode"))}
    return {"spec": spec, "peers": peers}


PEERING_STEPS = {
    "trust": lambda state, ctx: peering_planner.plan_trust(state, ctx["spec"], ctx["peers"]),
    "request": lambda state, ctx: peering_planner.plan_request(state, ctx["spec"], ctx["peers"]),
    "accept": lambda state, ctx: peering_planner.plan_side(state, ctx["spec"], ctx["peers"], "accepter"),
    "connect": lambda state, ctx: peering_planner.plan_side(state, ctx["spec"], ctx["peers"], "requester"),
    "teardown": lambda state, ctx: peering_planner.plan_teardown(state, ctx["spec"], ctx["peers"]),
    # Each side reports only what it removes: routes and the peerings it requested, or routes and its role.
    "teardown-requester": lambda state, ctx: _only(peering_planner.plan_teardown(state, ctx["spec"], ctx["peers"]), "iam-role "),
    "teardown-accepter": lambda state, ctx: _only(peering_planner.plan_teardown(state, ctx["spec"], ctx["peers"]), "peering "),
}


def _only(plan, left_out):
    return dict(plan, changes=[change for change in plan["changes"] if not change["resource"].startswith(left_out)])


def peering_plan(state, step, context):
    """The plan of one peering step (trust, request, accept, connect, teardown) for one site."""
    if step not in PEERING_STEPS:
        raise AnsibleFilterError(f"peering_plan: step {step!r} is not one of {sorted(PEERING_STEPS)}")
    if not isinstance(state, dict) or not isinstance(context, dict):
        raise AnsibleFilterError("peering_plan: expects the site state and a context from peering_context")
    return PEERING_STEPS[step](state, context)


def peering_connections(state, context):
    """This site's peerings by name as outputs publish them: peering ID, status, side, route table IDs."""
    own = peering_planner.private_network(state)
    out = {}
    if own is None:
        return out
    for item in context["spec"]["peerings"]:
        peer = peering_planner.private_network((context["peers"].get(item["peer"]) or {}).get("state"))
        if peer is None:
            continue
        requester, accepter = (own["vpc_id"], peer["vpc_id"]) if item["side"] == "requester" else (peer["vpc_id"], own["vpc_id"])
        pcx = peering_planner.find_peering(state, requester, accepter)
        if pcx is not None:
            out[item["name"]] = {"peering_id": pcx["VpcPeeringConnectionId"], "status": pcx["Status"]["Code"],
                                 "side": item["side"], "route_table_ids": [t["RouteTableId"] for t in own["route_tables"]]}
    return out


def _site_state_call(name, function, *args):
    try:
        return function(*(native(arg) for arg in args))
    except _site_state.ScopeError as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from None


def describe_scopes(known, stale, stale_list, refresh, refresh_list, wanted):
    """The scopes the site_state role describes now ([] for nothing): after a change, only what changed."""
    return _site_state_call("describe_scopes", _site_state.describe_scopes, known, stale, stale_list, refresh, refresh_list, wanted)


def merge_site_state(known, fresh):
    """The run's description of the site with a narrower, newer one merged in."""
    return _site_state_call("merge_site_state", _site_state.merge_site_state, known, fresh)


def stale_scopes(current, stale, changed):
    """What a stage that changed ``changed`` leaves for the next description ([] for everything)."""
    return _site_state_call("stale_scopes", _site_state.stale_scopes, current, stale, changed)


class FilterModule:
    def filters(self):
        return {
            "network_plan": network_plan,
            "network_teardown_plan": network_teardown_plan,
            "peering_connections": peering_connections,
            "peering_context": peering_context,
            "peering_plan": peering_plan,
            "site_network": site_network,
            "site_outputs": site_outputs,
            "dashboard_url": dashboard_url,
            "describe_scopes": describe_scopes,
            "merge_site_state": merge_site_state,
            "stale_scopes": stale_scopes,
        }
