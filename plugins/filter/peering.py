# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers for the peering roles: ARNs, ExternalIds, route lists."""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleFilterError
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
site_peerings = lazy_function("peering_intent", "site_peerings")
partition_of_region = lazy_function("identifiers", "partition_of_region")


def aws_partition(region):
    """The ARN partition of a region (identifiers.partition_of_region)."""
    region = str(region or "")
    if not region:
        raise AnsibleFilterError("aws_partition: region is empty")
    return partition_of_region(region)


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


def peering_outputs(peerings, connections):
    """Flat output keys for the peerings.

    connections: {host: {peering name: {peering_id, status, side, route_table_ids}}} (filter
    peering_connections of each site). The first peering fills the contract keys
    peering_connection_id / peering_connection_status / requester_route_table_ids /
    accepter_route_table_ids; `peering_connections` maps every peering by name.
    """
    by_name = {}
    for peering in peerings or []:
        name = peering.get("name")
        req = (connections.get(peering.get("requester")) or {}).get(name, {})
        acc = (connections.get(peering.get("accepter")) or {}).get(name, {})
        by_name[name] = {
            "peering_connection_id": req.get("peering_id") or acc.get("peering_id") or "",
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


def environment_outputs(hosts, hostvars, peerings, environment_suffix):
    """The flat outputs of the environment from each site's `outputs_site`, `outputs_connections` and
    `outputs_dashboard_url` facts: per-site keys, the peering keys and the dashboard URL."""
    out = {"environment_suffix": environment_suffix}
    connections, urls = {}, []
    for host in hosts:
        facts = hostvars[host]
        out.update(facts.get("outputs_site") or {})
        connections[host] = facts.get("outputs_connections") or {}
        if facts.get("outputs_dashboard_url"):
            urls.append(facts["outputs_dashboard_url"])
    out.update(peering_outputs(peerings, connections))
    out["dashboard_url"] = urls[0] if urls else ""
    return out


class FilterModule:
    def filters(self):
        return {
            "aws_partition": aws_partition,
            "ec2_arn": ec2_arn,
            "peering_external_id": peering_external_id,
            "environment_outputs": environment_outputs,
            "peering_outputs": peering_outputs,
            "site_peerings": site_peerings,
        }
