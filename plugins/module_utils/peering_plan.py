# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peering stage's plans, from the discovered state of a site and of its peers.

The stage runs in four steps, each with its own plan:
- ``trust``   (accepters): the acceptance role, trusted only by the requesters' automation
  principals with an ExternalId, allowed only to accept, tag, set options and add routes;
- ``request`` (requesters): one peering per pair of VPCs, tagged on our side;
- ``accept``  (accepters): verified acceptance through that role, our side's tags, the DNS option
  of our side and one route per peer private subnet in each of our private route tables;
- ``connect`` (requesters): our side's DNS option and routes.
``teardown`` removes, in our own route tables only, every route through one of our peerings or
through a peering that is gone; then the requester deletes the peering and the accepter its role.

Peers' private subnets come from their discovered state (never from inventory CIDRs), so an
adopted peer VPC works. Each change carries what the converge module needs.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies

from ansible_collections.netsec.aws_peering.plugins.module_utils import policies
from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import is_ours
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import peering_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.policy_templates import emulator_projection

LIVE = ("initiating-request", "pending-acceptance", "provisioning", "active")
DEAD = ("deleted", "deleting", "rejected", "failed", "expired")
PREFERENCE = {"active": 0, "provisioning": 1, "pending-acceptance": 2, "initiating-request": 3}


def private_network(state):
    """(vpc_id, private subnet CIDRs, private route table IDs) of a site from its state; None without a VPC."""
    state = state or {}
    vpc = state.get("vpc")
    if not vpc:
        return None
    network = state.get("network_name")

    def private(items):
        return [item for item in items if is_ours(item, network) and tag_dict(item.get("Tags")).get("Tier") == "private"]

    return {
        "vpc_id": vpc["VpcId"],
        "cidr": vpc["CidrBlock"],
        "subnet_cidrs": sorted({s["CidrBlock"] for s in private(state.get("subnets", []))}),
        "route_tables": sorted(private(state.get("route_tables", [])), key=lambda t: t["RouteTableId"]),
    }


def find_peering(state, requester_vpc, accepter_vpc):
    """The live peering between the two VPCs, as listed in ``state`` (the most advanced status wins)."""
    candidates = [pcx for pcx in (state or {}).get("vpc_peering_connections", [])
                  if pcx.get("RequesterVpcInfo", {}).get("VpcId") == requester_vpc
                  and pcx.get("AccepterVpcInfo", {}).get("VpcId") == accepter_vpc
                  and pcx.get("Status", {}).get("Code") in LIVE]
    candidates.sort(key=lambda pcx: PREFERENCE.get(pcx["Status"]["Code"], 9))
    return candidates[0] if candidates else None


def peering_tags(spec, peering, side):
    return dict(spec.get("tags") or {}, Name=peering_name(peering["name"], spec["environment_suffix"]), Side=side,
                Peering=peering["name"], **{OWNER_TAG: OWNER})


def _tags_change(pcx, wanted, name):
    have = tag_dict(pcx.get("Tags"))
    missing = {key: value for key, value in wanted.items() if have.get(key) != value}
    if not missing:
        return []
    return [change(f"peering {pcx['VpcPeeringConnectionId']}", "update", "tags", {k: have.get(k) for k in missing}, missing,
                   id=pcx["VpcPeeringConnectionId"], name=name, tags=wanted)]


def _no_vpc(spec, whose, changes, errors, peering=None):
    """A VPC that does not exist yet: in --check the network stage would have created it; otherwise a problem."""
    if spec.get("check_mode"):
        changes.append(change(f"peering {peering or 'of ' + whose}", "update", "status", None,
                              f"waits for the VPC of {whose} (the network stage creates it)", waiting=True, peering=peering))
    else:
        errors.append(f"{'peerings[' + peering + ']: ' if peering else ''}{whose} has no VPC yet; run playbooks/network.yml first")


def _peer(peers, peering, errors, what, spec=None, changes=None):
    peer = (peers or {}).get(peering["peer"]) or {}
    network = private_network(peer.get("state"))
    if network is None:
        _no_vpc(spec or {}, f"the {what} {peering['peer']}", changes if changes is not None else [], errors, peering["name"])
    return peer, network


def _route_changes(own, peer_cidrs, pcx_id, peering):
    """Routes to add in our private route tables; a route of someone else on the same destination is an error."""
    changes, errors = [], []
    for table in own["route_tables"]:
        routes = {r.get("DestinationCidrBlock"): r for r in table.get("Routes", []) if r.get("DestinationCidrBlock")}
        for cidr in peer_cidrs:
            route = routes.get(cidr)
            if route is None:
                changes.append(change(f"route {table['RouteTableId']} {cidr}", "create", "target", None, pcx_id,
                                      route={"route_table_id": table["RouteTableId"], "destination_cidr_block": cidr,
                                             "vpc_peering_connection_id": pcx_id, "state": "present"}))
            elif route.get("VpcPeeringConnectionId") == pcx_id:
                continue
            elif route.get("VpcPeeringConnectionId") and route.get("State") == "blackhole":
                # Our table, a route through a peering that is gone: taken over by the live one.
                changes.append(change(f"route {table['RouteTableId']} {cidr}", "update", "target",
                                      route["VpcPeeringConnectionId"], pcx_id, stale=True,
                                      route={"route_table_id": table["RouteTableId"], "destination_cidr_block": cidr,
                                             "vpc_peering_connection_id": pcx_id, "state": "present"}))
            else:
                target = {k: v for k, v in route.items() if k.endswith("Id") and k != "DestinationPrefixListId"}
                errors.append(f"peerings[{peering['name']}]: route {cidr} in {table['RouteTableId']} already goes to {target}, "
                              "which the collection does not own; remove it or choose other peer subnets")
    return changes, errors


def _dns_change(pcx, side, wanted):
    info = pcx.get("AccepterVpcInfo" if side == "accepter" else "RequesterVpcInfo", {})
    current = bool(info.get("PeeringOptions", {}).get("AllowDnsResolutionFromRemoteVpc"))
    if current == wanted:
        return []
    return [change(f"peering {pcx['VpcPeeringConnectionId']}", "update", f"{side} DNS resolution", current, wanted,
                   id=pcx["VpcPeeringConnectionId"], side=side, dns=wanted)]


def _requester_vpc_arn(peer, network):
    return f"arn:{peer['partition']}:ec2:{peer['region']}:{peer['account_id']}:vpc/{network['vpc_id']}"


# ---------------------------------------------------------------------- trust
def plan_trust(state, spec, peers):
    """The acceptance role of an accepter site: create it, or bring its trust, policy and tags in line."""
    mine = [p for p in spec["peerings"] if p["side"] == "accepter"]
    errors, changes = [], []
    if not mine:
        return {"errors": [], "changes": []}
    own = private_network(state)
    if own is None:
        _no_vpc(spec, spec["network_name"], changes, errors)
        return {"errors": errors, "changes": changes}
    trust_items, requester_arns = [], []
    for peering in mine:
        peer, network = _peer(peers, peering, errors, "requester", spec, changes)
        if network is None:
            continue
        trust_items.append({"name": peering["name"], "principals": peering["trusted_principals"],
                            "external_id": peering["external_id"]})
        requester_arns.append(_requester_vpc_arn(peer, network))
    if errors or changes:
        return {"errors": errors, "changes": changes}
    try:
        trust = policies.acceptance_trust_policy(trust_items)
        permissions = policies.acceptance_permissions_policy(
            state["region"], state["account_id"], own["vpc_id"], sorted(requester_arns),
            [t["RouteTableId"] for t in own["route_tables"]])
    except ValueError as e:
        return {"errors": [f"{spec['network_name']}: acceptance role: {e}"], "changes": []}
    if spec.get("emulator_projection"):
        permissions = emulator_projection(permissions)
    name = site_names(spec["network_name"], spec["environment_suffix"])["acceptance_role"]
    tags = dict(spec.get("tags") or {}, Name=name, Network=spec["network_name"], **{OWNER_TAG: OWNER})
    description = f"Accept VPC peerings into {own['vpc_id']} ({spec['network_name']})"
    role = (state.get("iam_roles") or {}).get(name)
    desired = {"name": name, "trust": trust, "permissions": permissions, "tags": tags, "description": description,
               "max_session_duration": spec.get("max_session_duration", 3600)}
    if role is None:
        changes.append(change(f"iam-role {name}", "create", "role", None, "acceptance role"))
        changes.append(change(f"iam-role {name}", "update", "policy accept-peerings", None, "permissions"))
        return {"errors": [], "changes": changes, "role": desired}
    current = role["Role"]
    if role["Role"].get("Tags") is None and role.get("Tags") is not None:
        current = dict(current, Tags=role["Tags"])
    if not _same_policy(current.get("AssumeRolePolicyDocument"), trust):
        changes.append(change(f"iam-role {name}", "update", "trust policy", "(differs)", "requesters' principals with ExternalId"))
    if current.get("Description", "") != description:
        changes.append(change(f"iam-role {name}", "update", "description", current.get("Description"), description))
    if int(current.get("MaxSessionDuration", 3600)) != int(desired["max_session_duration"]):
        changes.append(change(f"iam-role {name}", "update", "max session", current.get("MaxSessionDuration"), desired["max_session_duration"]))
    have_tags = tag_dict(role.get("Tags"))
    if have_tags != {k: str(v) for k, v in tags.items()}:
        changes.append(change(f"iam-role {name}", "update", "tags", have_tags, tags))
    if not _same_policy((role.get("InlinePolicies") or {}).get("accept-peerings"), permissions):
        changes.append(change(f"iam-role {name}", "update", "policy accept-peerings", "(differs)", "permissions"))
    return {"errors": [], "changes": changes, "role": desired}


def _same_policy(current, wanted):
    if current is None:
        return False
    return not compare_policies(current, wanted)


# ---------------------------------------------------------------------- request
def plan_request(state, spec, peers):
    """Requesters: a peering per pair of VPCs (requested from our account), tagged on our side."""
    errors, changes = [], []
    own = private_network(state)
    mine = [p for p in spec["peerings"] if p["side"] == "requester"]
    if mine and own is None:
        _no_vpc(spec, spec["network_name"], changes, errors)
        return {"errors": errors, "changes": changes}
    for peering in mine:
        peer, network = _peer(peers, peering, errors, "accepter", spec, changes)
        if network is None:
            continue
        pcx = find_peering(state, own["vpc_id"], network["vpc_id"])
        tags = peering_tags(spec, peering, "requester")
        if pcx is None:
            changes.append(change(f"peering {peering['name']}", "create", "request", None,
                                  f"{own['vpc_id']} -> {network['vpc_id']} ({peer['account_id']}, {peer['region']})",
                                  request={"name": peering["name"], "vpc_id": own["vpc_id"], "peer_vpc_id": network["vpc_id"],
                                           "peer_owner_id": peer["account_id"], "peer_region": peer["region"], "tags": tags}))
        else:
            for item in _tags_change(pcx, tags, peering["name"]):
                item["request"] = {"name": peering["name"], "vpc_id": own["vpc_id"], "peer_vpc_id": network["vpc_id"],
                                   "peer_owner_id": peer["account_id"], "peer_region": peer["region"], "tags": tags}
                changes.append(item)
    return {"errors": errors, "changes": changes}


# ---------------------------------------------------------------------- accept and connect
def plan_side(state, spec, peers, side):
    """Accepters (``side='accepter'``) or requesters (``'requester'``): acceptance, tags, DNS option and routes.

    ``accept``: the pending peerings to accept (with what to verify), ``options``: DNS settings, ``routes``:
    routes to add (and stale ones to remove first), ``tags``: our side's tags.
    """
    errors, changes = [], []
    mine = [p for p in spec["peerings"] if p["side"] == side]
    own = private_network(state)
    if mine and own is None:
        _no_vpc(spec, spec["network_name"], changes, errors)
        return {"errors": errors, "changes": changes, "act_on": [], "by_peering": {}, "stale_routes": []}
    for peering in mine:
        peer, network = _peer(peers, peering, errors, "requester" if side == "accepter" else "accepter", spec, changes)
        if network is None:
            continue
        requester_vpc, accepter_vpc = (network["vpc_id"], own["vpc_id"]) if side == "accepter" else (own["vpc_id"], network["vpc_id"])
        pcx = find_peering(state, requester_vpc, accepter_vpc)
        if pcx is None:
            changes.append(change(f"peering {peering['name']}", "update", "status", None,
                                  "requested first (the request step had not run)", waiting=True, peering=peering["name"]))
            continue
        first = len(changes)
        pcx_id, status = pcx["VpcPeeringConnectionId"], pcx["Status"]["Code"]
        if side == "accepter" and status == "pending-acceptance":
            changes.append(change(f"peering {pcx_id}", "update", "status", status, "active", id=pcx_id, accept={
                "peering_id": pcx_id, "name": peering["name"], "expected_requester_owner_id": peer["account_id"],
                "expected_requester_vpc_id": network["vpc_id"], "expected_requester_cidr": network["cidr"],
                "vpc_id": own["vpc_id"]}))
        if side == "accepter":
            # The requester's side is tagged by the request step.
            changes.extend(_tags_change(pcx, peering_tags(spec, peering, side), peering["name"]))
        changes.extend(_dns_change(pcx, side, peering["dns_resolution"]))
        route_changes, route_errors = _route_changes(own, network["subnet_cidrs"], pcx_id, peering)
        changes.extend(route_changes)
        errors.extend(route_errors)
        for item in changes[first:]:
            item["peering"] = peering["name"]
    by_peering = {}
    for item in changes:
        if not item.get("peering") or item.get("stale") or item.get("waiting"):
            continue
        entry = by_peering.setdefault(item["peering"], {"id": item.get("id"), "accept": None, "tags": None, "dns": None, "routes": []})
        entry["id"] = entry["id"] or item.get("id")
        if "accept" in item:
            entry["accept"] = item["accept"]
        elif item.get("field") == "tags":
            entry["tags"] = item["tags"]
        elif "dns" in item:
            entry["dns"] = item["dns"]
        elif "route" in item:
            entry["routes"].append(item["route"])
    stale = [item["route"] for item in changes if item.get("stale")]
    return {"errors": errors, "changes": changes, "act_on": sorted(by_peering), "by_peering": by_peering, "stale_routes": stale}


# ---------------------------------------------------------------------- teardown
def plan_teardown(state, spec, peers):
    """Routes through our (or dead) peerings in our private route tables; then our peerings; then the acceptance role."""
    changes = []
    own = private_network(state)
    name = site_names(spec["network_name"], spec["environment_suffix"])["acceptance_role"]
    role = name if ((state or {}).get("iam_roles") or {}).get(name) else None
    if own is None:
        # The VPC is gone (or was never made): nothing routes any more, but a role may still trust the requester.
        return {"errors": [], "changes": [change(f"iam-role {name}", "delete")] if role else [], "routes": [], "peerings": [],
                "role": role}
    ours = set()
    for peering in spec["peerings"]:
        peer_network = private_network(((peers or {}).get(peering["peer"]) or {}).get("state"))
        for pcx in (state or {}).get("vpc_peering_connections", []):
            requester = pcx.get("RequesterVpcInfo", {}).get("VpcId")
            accepter = pcx.get("AccepterVpcInfo", {}).get("VpcId")
            tagged = tag_dict(pcx.get("Tags")).get("Peering") == peering["name"] and is_ours(pcx)
            matches = peer_network is not None and {requester, accepter} == {own["vpc_id"], peer_network["vpc_id"]}
            if tagged or matches:
                ours.add(pcx["VpcPeeringConnectionId"])
    listed = {pcx["VpcPeeringConnectionId"]: pcx for pcx in (state or {}).get("vpc_peering_connections", [])}
    dead = {pid for pid, pcx in listed.items() if pcx.get("Status", {}).get("Code") in DEAD}
    routes = []
    for table in own["route_tables"]:
        for route in table.get("Routes", []):
            pcx_id = route.get("VpcPeeringConnectionId")
            if not pcx_id or not route.get("DestinationCidrBlock"):
                continue
            # Ours, dead, or no longer listed at all (AWS forgets deleted peerings after a while).
            if pcx_id in ours or pcx_id in dead or pcx_id not in listed:
                routes.append({"route_table_id": table["RouteTableId"], "destination_cidr_block": route["DestinationCidrBlock"],
                               "vpc_peering_connection_id": pcx_id, "state": "absent"})
                changes.append(change(f"route {table['RouteTableId']} {route['DestinationCidrBlock']}", "delete", id=pcx_id))
    peerings = []
    for pcx_id in sorted(ours):
        pcx = listed[pcx_id]
        is_requester = pcx.get("RequesterVpcInfo", {}).get("VpcId") == own["vpc_id"]
        if is_requester and pcx.get("Status", {}).get("Code") in LIVE:
            peerings.append(pcx_id)
            changes.append(change(f"peering {pcx_id}", "delete", id=pcx_id))
    if role:
        changes.append(change(f"iam-role {name}", "delete"))
    return {"errors": [], "changes": changes, "routes": routes, "peerings": peerings, "role": role}
