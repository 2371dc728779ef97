# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers for the peering roles: ARNs, ExternalIds, route lists."""

from __future__ import annotations

import hashlib
import ipaddress

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.module_utils.peering_intent import site_peerings


def aws_partition(region):
    """The ARN partition of a region: aws, aws-cn or aws-us-gov."""
    region = str(region or "")
    if not region:
        raise AnsibleFilterError("aws_partition: region is empty")
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def ec2_arn(resource_id, region, account_id, resource_type=None):
    """arn:<partition>:ec2:<region>:<account>:<type>/<id>; the type is read from the ID prefix if not given."""
    prefixes = {"vpc": "vpc", "rtb": "route-table", "pcx": "vpc-peering-connection", "subnet": "subnet", "acl": "network-acl", "sg": "security-group"}
    resource_id = str(resource_id or "")
    if resource_type is None:
        resource_type = prefixes.get(resource_id.split("-", 1)[0])
        if resource_type is None:
            raise AnsibleFilterError(f"ec2_arn: cannot tell the resource type of {resource_id!r}")
    account_id = str(account_id)
    if len(account_id) != 12 or not account_id.isdigit():
        raise AnsibleFilterError(f"ec2_arn: account_id {account_id!r} is not 12 digits")
    return f"arn:{aws_partition(region)}:ec2:{region}:{account_id}:{resource_type}/{resource_id}"


def peering_external_id(peering, environment_suffix):
    """The ExternalId the acceptance role requires for a peering.

    A peering's own `external_id` wins (keep it in a vault for production);
    otherwise a stable value derived from the peering name and suffix, so both
    sides agree without extra input.
    """
    if not isinstance(peering, dict) or not peering.get("name"):
        raise AnsibleFilterError(f"peering_external_id: expects a peering dict with a name, got {peering!r}")
    explicit = peering.get("external_id")
    if explicit:
        return str(explicit)
    digest = hashlib.sha256(f"netsec.aws_peering:{peering['name']}:{environment_suffix}".encode()).hexdigest()
    return f"netsec-{digest[:32]}"


def peer_routes(route_table_ids, destination_cidrs, peering_id, state="present"):
    """One vpc_route entry per (route table, peer subnet CIDR), targeting the peering."""
    if not peering_id or not str(peering_id).startswith("pcx-"):
        raise AnsibleFilterError(f"peer_routes: peering_id {peering_id!r} is not a pcx- ID")
    routes = []
    for cidr in destination_cidrs or []:
        try:
            net = ipaddress.ip_network(str(cidr), strict=True)
        except ValueError as exc:
            raise AnsibleFilterError(f"peer_routes: destination {cidr!r} is not a valid CIDR ({exc})") from None
        if net.prefixlen == 0:
            raise AnsibleFilterError(f"peer_routes: destination {cidr!r} would be a blanket route")
        for rtb in route_table_ids or []:
            routes.append({
                "route_table_id": str(rtb),
                "destination_cidr_block": str(net),
                "vpc_peering_connection_id": str(peering_id),
                "state": state,
            })
    return routes


def routes_via(route_tables, peering_ids, state="absent"):
    """vpc_route entries for every route in these tables that targets one of the peerings.

    route_tables: amazon.aws.ec2_vpc_route_table_info `route_tables` items.
    """
    wanted = {str(pcx) for pcx in peering_ids or []}
    routes = []
    for table in route_tables or []:
        for route in table.get("routes", []):
            pcx = route.get("vpc_peering_connection_id")
            dest = route.get("destination_cidr_block")
            if pcx in wanted and dest:
                routes.append({
                    "route_table_id": table.get("id") or table.get("route_table_id"),
                    "destination_cidr_block": dest,
                    "vpc_peering_connection_id": pcx,
                    "state": state,
                })
    return routes


def peering_sides(host_vars):
    """What one host recorded about its peerings: {'requester': {...}, 'accepter': {...}}."""
    def get(key):
        try:
            value = host_vars[key]
        except (KeyError, TypeError):
            return {}
        return value if isinstance(value, dict) else {}

    return {"requester": get("peering_requester_connections"), "accepter": get("peering_accepter_connections")}


def peerings_by_name(connections, peerings, hostvars, host, side):
    """Match live peering connections to the named `peerings` this host is `side` of.

    A connection matches a peering when its requester and accepter VPC IDs are
    the two sites' VPCs (from `vpc_result`). Returns {name: {peering_id, status,
    route_table_ids}}.
    """
    other = "accepter" if side == "requester" else "requester"
    try:
        own = hostvars[host]["vpc_result"]
    except (KeyError, TypeError):
        return {}
    found = {}
    for peering in peerings or []:
        if peering.get(side) != host:
            continue
        try:
            peer_vpc = hostvars[peering[other]]["vpc_result"]["vpc_id"]
        except (KeyError, TypeError):
            continue
        vpcs = {side: own.get("vpc_id"), other: peer_vpc}
        for conn in connections or []:
            if (conn.get("requester_vpc_info", {}).get("vpc_id") == vpcs["requester"]
                    and conn.get("accepter_vpc_info", {}).get("vpc_id") == vpcs["accepter"]):
                found[peering["name"]] = {
                    "peering_id": conn.get("vpc_peering_connection_id"),
                    "status": (conn.get("status") or {}).get("code", "unknown"),
                    "route_table_ids": list(own.get("private_route_table_ids", [])),
                }
    return found


def peering_outputs(peerings, sides):
    """Flat output keys for the peerings.

    sides: {host: peering_sides(host)}. The first peering fills the contract keys
    peering_connection_id / peering_connection_status / requester_route_table_ids /
    accepter_route_table_ids; `peering_connections` maps every peering by name.
    """
    by_name = {}
    for peering in peerings or []:
        name = peering.get("name")
        req = (sides.get(peering.get("requester")) or {}).get("requester", {}).get(name, {})
        acc = (sides.get(peering.get("accepter")) or {}).get("accepter", {}).get(name, {})
        by_name[name] = {
            "peering_connection_id": req.get("peering_id") or acc.get("peering_id") or "",
            # The requester reads the status last, after acceptance.
            "peering_connection_status": req.get("status") or acc.get("status") or "",
            "requester": peering.get("requester"),
            "accepter": peering.get("accepter"),
            "requester_route_table_ids": req.get("route_table_ids", []),
            "accepter_route_table_ids": acc.get("route_table_ids", []),
        }
    out = {"peering_connections": by_name}
    if peerings:
        first = by_name[peerings[0].get("name")]
        for key in ("peering_connection_id", "peering_connection_status", "requester_route_table_ids", "accepter_route_table_ids"):
            out[key] = first[key]
    return out


class FilterModule:
    def filters(self):
        return {
            "aws_partition": aws_partition,
            "ec2_arn": ec2_arn,
            "peering_external_id": peering_external_id,
            "peer_routes": peer_routes,
            "routes_via": routes_via,
            "peering_sides": peering_sides,
            "peerings_by_name": peerings_by_name,
            "peering_outputs": peering_outputs,
            "site_peerings": site_peerings,
        }
