# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers for the vpc_route module: validate requested routes, match them
against the routes a table has, and plan the changes. Nothing here calls AWS.

A request (after `normalize_request`)::

    {"label": "routes[0]", "route_table_id": "rtb-...", "dest_key": "DestinationCidrBlock",
     "dest_option": "destination_cidr_block", "destination": "10.20.0.0/16",
     "target_option": "vpc_peering_connection_id", "target_key": "VpcPeeringConnectionId",
     "target": "pcx-...", "state": "present"}
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ENDPOINT_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PARTITION
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PEERING_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PREFIX_LIST_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ROUTE_TABLE_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ec2_id_re

DESTINATIONS = {
    "destination_cidr_block": "DestinationCidrBlock",
    "destination_ipv6_cidr_block": "DestinationIpv6CidrBlock",
    "destination_prefix_list_id": "DestinationPrefixListId",
}

# option -> (CreateRoute/ReplaceRoute parameter, id pattern, what)
TARGETS = {
    "vpc_peering_connection_id": ("VpcPeeringConnectionId", PEERING_ID_RE.pattern, "a peering connection ID (pcx-...)"),
    "gateway_id": ("GatewayId", ec2_id_re("(?:igw|vgw)").pattern, "an internet or virtual private gateway ID (igw-... or vgw-...)"),
    "nat_gateway_id": ("NatGatewayId", ec2_id_re("nat").pattern, "a NAT gateway ID (nat-...)"),
    "transit_gateway_id": ("TransitGatewayId", ec2_id_re("tgw").pattern, "a transit gateway ID (tgw-...)"),
    "network_interface_id": ("NetworkInterfaceId", ec2_id_re("eni").pattern, "a network interface ID (eni-...)"),
    "egress_only_internet_gateway_id": ("EgressOnlyInternetGatewayId", ec2_id_re("eigw").pattern,
                                        "an egress-only internet gateway ID (eigw-...)"),
    "vpc_endpoint_id": ("VpcEndpointId", ENDPOINT_ID_RE.pattern, "a Gateway Load Balancer endpoint ID (vpce-...)"),
    "carrier_gateway_id": ("CarrierGatewayId", ec2_id_re("cagw").pattern, "a carrier gateway ID (cagw-...)"),
    "local_gateway_id": ("LocalGatewayId", ec2_id_re("lgw").pattern, "a local gateway ID (lgw-...)"),
    "core_network_arn": ("CoreNetworkArn", r"^arn:" + PARTITION + r":networkmanager::\d{12}:core-network/[\w-]+$",
                         "a Cloud WAN core network ARN"),
}

# How DescribeRouteTables shows each target. Routes to a Gateway Load Balancer
# endpoint come back as GatewayId (the Route shape has no VpcEndpointId).
DESCRIBED_AS = {option: (key,) for option, (key, _p, _w) in TARGETS.items()}
DESCRIBED_AS["vpc_endpoint_id"] = ("GatewayId", "VpcEndpointId")

# Order in which a route's current target is named (an instance route also
# carries its NetworkInterfaceId: InstanceId wins).
ROUTE_TARGET_KEYS = (
    ("VpcPeeringConnectionId", "vpc_peering_connection_id"),
    ("TransitGatewayId", "transit_gateway_id"),
    ("NatGatewayId", "nat_gateway_id"),
    ("EgressOnlyInternetGatewayId", "egress_only_internet_gateway_id"),
    ("CarrierGatewayId", "carrier_gateway_id"),
    ("LocalGatewayId", "local_gateway_id"),
    ("CoreNetworkArn", "core_network_arn"),
    ("InstanceId", "instance_id"),
    ("GatewayId", "gateway_id"),
    ("NetworkInterfaceId", "network_interface_id"),
    ("OdbNetworkArn", "odb_network_arn"),
)

ROUTE_KEYS = ("route_table_id", "state") + tuple(DESTINATIONS) + tuple(TARGETS)


class RouteError(ValueError):
    """Invalid input; the message names the route and the bad value."""


def _where(label):
    return f"{label}: " if label else ""


def normalize_cidr(value, ipv6, label, option, allow_default_route):
    where = _where(label)
    try:
        net = ipaddress.ip_network(str(value).strip(), strict=True)
    except ValueError as e:
        raise RouteError(f"{where}{option}={value!r} is not a valid CIDR block ({e})") from None
    if ipv6 and net.version != 6:
        raise RouteError(f"{where}{option}={value!r} is not an IPv6 CIDR block")
    if not ipv6 and net.version != 4:
        raise RouteError(f"{where}{option}={value!r} is not an IPv4 CIDR block (use destination_ipv6_cidr_block)")
    if net.prefixlen == 0 and not allow_default_route:
        raise RouteError(
            f"{where}{option}={value!r} is a default route; blanket routes are refused unless allow_default_route=true"
        )
    return str(net)


def normalize_request(item, label, default_state, allow_default_route):
    """Validate one requested route (module option names) and return the request dict."""
    where = _where(label)
    unknown = sorted(k for k in item if k not in ROUTE_KEYS)
    if unknown:
        raise RouteError(f"{where}unknown keys {', '.join(unknown)}; allowed: {', '.join(ROUTE_KEYS)}")
    rtb = item.get("route_table_id")
    if not rtb:
        raise RouteError(f"{where}route_table_id is required")
    if not isinstance(rtb, str) or not ROUTE_TABLE_ID_RE.match(rtb):
        raise RouteError(f"{where}route_table_id={rtb!r} is not a route table ID (rtb-...)")
    state = item.get("state") or default_state
    if state not in ("present", "absent"):
        raise RouteError(f"{where}state={state!r} is not one of present, absent")

    dests = [k for k in DESTINATIONS if item.get(k) not in (None, "")]
    if len(dests) != 1:
        raise RouteError(
            f"{where}give exactly one of {', '.join(DESTINATIONS)} (got {', '.join(dests) or 'none'})"
        )
    dest_option = dests[0]
    value = item[dest_option]
    if dest_option == "destination_prefix_list_id":
        if not isinstance(value, str) or not PREFIX_LIST_ID_RE.match(value):
            raise RouteError(f"{where}destination_prefix_list_id={value!r} is not a prefix list ID (pl-...)")
        destination = value
    else:
        destination = normalize_cidr(value, dest_option == "destination_ipv6_cidr_block", label, dest_option,
                                     allow_default_route)

    targets = [k for k in TARGETS if item.get(k) not in (None, "")]
    if len(targets) != 1:
        raise RouteError(
            f"{where}give exactly one target for {destination} in {rtb}, one of {', '.join(TARGETS)} "
            f"(got {', '.join(targets) or 'none'})"
        )
    target_option = targets[0]
    target = item[target_option]
    key, pattern, what = TARGETS[target_option]
    if target == "local":
        raise RouteError(f"{where}{target_option}='local': the VPC's local route is never managed here")
    if not isinstance(target, str) or not re.match(pattern, target):
        raise RouteError(f"{where}{target_option}={target!r} is not {what}")
    return {
        "label": label,
        "route_table_id": rtb,
        "dest_option": dest_option,
        "dest_key": DESTINATIONS[dest_option],
        "destination": destination,
        "target_option": target_option,
        "target_key": key,
        "target": target,
        "state": state,
    }


def check_duplicates(requests):
    seen = {}
    for req in requests:
        ident = (req["route_table_id"], req["destination"])
        if ident in seen:
            raise RouteError(
                f"{req['label']} and {seen[ident]} both manage {req['destination']} in {req['route_table_id']}"
            )
        seen[ident] = req["label"]


def _same_destination(route, req):
    value = route.get(req["dest_key"])
    if not value:
        return False
    if req["dest_key"] == "DestinationPrefixListId":
        return value == req["destination"]
    try:
        return str(ipaddress.ip_network(value, strict=False)) == req["destination"]
    except ValueError:
        return False


def find_route(table, req):
    """The table's route for the request's destination, ignoring propagated routes; or None."""
    for route in table.get("Routes", []):
        if route.get("Origin") == "EnableVgwRoutePropagation":
            continue
        if _same_destination(route, req):
            return route
    return None


def is_local(route):
    return route.get("GatewayId") == "local"


def current_target(route):
    """(option name, value) naming what the route points at."""
    for key, option in ROUTE_TARGET_KEYS:
        if route.get(key):
            return option, route[key]
    return "unknown", None


def points_at(route, req):
    return any(route.get(key) == req["target"] for key in DESCRIBED_AS[req["target_option"]])


def view(req, option=None, target=None, state=None):
    """One route as shown in results and diffs."""
    entry = {
        "route_table_id": req["route_table_id"],
        "destination": req["destination"],
        "target_type": option or req["target_option"],
        "target": target if target is not None else req["target"],
    }
    if state:
        entry["route_state"] = state
    return entry


def plan(requests, tables, replace):
    """Decide each request's action.

    Returns (steps, conflicts, warnings); a step is the request plus
    `action` (create, replace, delete, unchanged, skipped) and `current` (the
    existing route or None). Conflicts are messages; nothing may be written
    when there are any.
    """
    steps, conflicts, warnings = [], [], []
    for req in requests:
        table = tables[req["route_table_id"]]
        route = find_route(table, req)
        step = dict(req, current=route)
        where = f"{req['route_table_id']} {req['destination']}"
        if route is not None:
            cur_option, cur_value = current_target(route)
            cur_text = f"{cur_option}={cur_value}" + (" (blackhole)" if route.get("State") == "blackhole" else "")
        if req["state"] == "present":
            if route is None:
                step["action"] = "create"
            elif points_at(route, req):
                step["action"] = "unchanged"
            elif is_local(route):
                conflicts.append(f"{where} is the VPC's local route; it is never replaced")
                step["action"] = "conflict"
            elif replace:
                step["action"] = "replace"
            else:
                conflicts.append(
                    f"{where} already routes to {cur_text}, not {req['target_option']}={req['target']}; "
                    "set replace=true to take it over"
                )
                step["action"] = "conflict"
        else:
            if route is None:
                step["action"] = "unchanged"
            elif points_at(route, req):
                step["action"] = "delete"
            else:
                warnings.append(
                    f"{where} routes to {cur_text}, not {req['target_option']}={req['target']}: "
                    "left alone (it is not ours)"
                )
                step["action"] = "skipped"
        steps.append(step)
    return steps, conflicts, warnings


def api_params(step, with_target=True):
    params = {"RouteTableId": step["route_table_id"], step["dest_key"]: step["destination"]}
    if with_target:
        params[step["target_key"]] = step["target"]
    return params
