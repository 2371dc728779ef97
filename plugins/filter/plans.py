# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side planning: the stages' plans from the discovered site state, and what they publish."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.module_utils.names import is_ours
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import name_of
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_plan import plan_network
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_plan import plan_network_teardown


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


class FilterModule:
    def filters(self):
        return {"network_plan": network_plan, "network_teardown_plan": network_teardown_plan, "site_network": site_network}
