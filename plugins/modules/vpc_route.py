#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_route
short_description: Add or remove individual routes in VPC route tables, never touching other routes
version_added: 0.1.0
description:
  - Manages single routes (a destination and a target) in existing route tables. Any route it was
    not asked about is left alone.
  - Fills a gap, C(amazon.aws.ec2_vpc_route_table) manages whole tables, purges unlisted routes by
    default and sleeps 5 seconds after every change. This module creates, replaces or deletes only
    the requested routes and never sleeps.
  - One route per task (O(route_table_id), a destination, a target), or many in one run with O(routes).
    Each module run costs about 0.6 s of CPU, so prefer O(routes) for several.
  - With O(state=present), a missing route is created. If the destination already routes to a
    different target, the task fails and names the table, the destination and the current target,
    because routes that others own are never silently overwritten. O(replace=true) takes the route
    over with C(ReplaceRoute).
  - With O(state=absent), a route is deleted only when it points at the given target. A route to
    the same destination with another target belongs to someone else. It is left alone, not
    reported as a change, and a warning is added.
  - The VPC's C(local) route is never touched. Propagated (virtual private gateway) routes are
    ignored.
  - Everything is validated (IDs, CIDRs, one destination and one target per route, no duplicates),
    and every conflict is found, before the first write. A run with a conflict changes nothing.
  - Default routes (destination prefix length 0, IPv4 or IPv6) are refused unless O(allow_default_route=true).
author:
  - netsec aws_peering maintainers (@netsec)
options:
  route_table_id:
    description:
      - The route table (V(rtb-...)) for a single route. Mutually exclusive with O(routes).
    type: str
  destination_cidr_block:
    description:
      - IPv4 destination, a network address in CIDR notation (V(10.20.0.0/16), not V(10.20.0.1/16)).
    type: str
  destination_ipv6_cidr_block:
    description:
      - IPv6 destination in CIDR notation.
    type: str
  destination_prefix_list_id:
    description:
      - Destination managed prefix list (V(pl-...)).
    type: str
  vpc_peering_connection_id:
    description:
      - Target, a VPC peering connection (V(pcx-...)).
    type: str
  gateway_id:
    description:
      - Target, an internet gateway or virtual private gateway (V(igw-...), V(vgw-...)). V(local) is refused.
    type: str
  nat_gateway_id:
    description:
      - Target, a NAT gateway (V(nat-...)).
    type: str
  transit_gateway_id:
    description:
      - Target, a transit gateway (V(tgw-...)).
    type: str
  network_interface_id:
    description:
      - Target, a network interface (V(eni-...)).
    type: str
  egress_only_internet_gateway_id:
    description:
      - Target, an egress-only internet gateway (V(eigw-...)), for IPv6 destinations.
    type: str
  vpc_endpoint_id:
    description:
      - Target, a Gateway Load Balancer endpoint (V(vpce-...)).
    type: str
  carrier_gateway_id:
    description:
      - Target, a carrier gateway (V(cagw-...)).
    type: str
  local_gateway_id:
    description:
      - Target, a local gateway (V(lgw-...)).
    type: str
  core_network_arn:
    description:
      - Target, an AWS Cloud WAN core network ARN.
    type: str
  state:
    description:
      - Whether the route(s) should exist. With O(routes), the default for items without their own O(routes[].state).
    type: str
    choices: [present, absent]
    default: present
  routes:
    description:
      - Several routes in one run. Mutually exclusive with O(route_table_id) and the single-route
        destination and target options.
      - Each item takes O(route_table_id), exactly one destination and exactly one target, with the
        same names and meanings as the single-route options, and optionally O(routes[].state).
      - All tables are read with one C(DescribeRouteTables) call.
    type: list
    elements: dict
    suboptions:
      route_table_id:
        description: The route table (V(rtb-...)).
        type: str
        required: true
      destination_cidr_block:
        description: IPv4 destination.
        type: str
      destination_ipv6_cidr_block:
        description: IPv6 destination.
        type: str
      destination_prefix_list_id:
        description: Destination prefix list.
        type: str
      vpc_peering_connection_id:
        description: Target peering connection.
        type: str
      gateway_id:
        description: Target internet or virtual private gateway.
        type: str
      nat_gateway_id:
        description: Target NAT gateway.
        type: str
      transit_gateway_id:
        description: Target transit gateway.
        type: str
      network_interface_id:
        description: Target network interface.
        type: str
      egress_only_internet_gateway_id:
        description: Target egress-only internet gateway.
        type: str
      vpc_endpoint_id:
        description: Target Gateway Load Balancer endpoint.
        type: str
      carrier_gateway_id:
        description: Target carrier gateway.
        type: str
      local_gateway_id:
        description: Target local gateway.
        type: str
      core_network_arn:
        description: Target Cloud WAN core network.
        type: str
      state:
        description: State of this route; defaults to the module's O(state).
        type: str
        choices: [present, absent]
  replace:
    description:
      - With O(state=present), replace (C(ReplaceRoute)) a route to the same destination that points
        at another target, instead of failing. The local route is never replaced.
    type: bool
    default: false
  allow_default_route:
    description:
      - Allow default-route destinations (a CIDR of prefix length 0, IPv4 or IPv6).
    type: bool
    default: false
notes:
  - In check mode nothing is changed; RV(routes[].action) says what would happen (V(would_create), ...).
  - "IAM actions used: C(ec2:DescribeRouteTables), C(ec2:CreateRoute), C(ec2:ReplaceRoute) (only with O(replace=true)),
    C(ec2:DeleteRoute)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One route to the peer's private subnet
  netsec.aws_peering.vpc_route:
    route_table_id: rtb-0123456789abcdef0
    destination_cidr_block: 10.20.1.0/24
    vpc_peering_connection_id: pcx-0123456789abcdef0

- name: All peering routes of a network in one run (one module run instead of one per route)
  netsec.aws_peering.vpc_route:
    routes: "{{ peering_routes }}"
  vars:
    # e.g. built with set_fact from the private route tables and the peer's private subnets
    peering_routes:
      - route_table_id: rtb-0123456789abcdef0
        destination_cidr_block: 10.20.1.0/24
        vpc_peering_connection_id: pcx-0123456789abcdef0
      - route_table_id: rtb-0123456789abcdef1
        destination_cidr_block: 10.20.1.0/24
        vpc_peering_connection_id: pcx-0123456789abcdef0

- name: Explicit list, one of them removed
  netsec.aws_peering.vpc_route:
    routes:
      - route_table_id: rtb-0123456789abcdef0
        destination_cidr_block: 10.20.1.0/24
        vpc_peering_connection_id: pcx-0123456789abcdef0
      - route_table_id: rtb-0123456789abcdef0
        destination_cidr_block: 10.20.9.0/24
        vpc_peering_connection_id: pcx-0123456789abcdef0
        state: absent

- name: Take over a route that points elsewhere (explicitly)
  netsec.aws_peering.vpc_route:
    route_table_id: rtb-0123456789abcdef0
    destination_cidr_block: 10.20.1.0/24
    vpc_peering_connection_id: pcx-0fedcba9876543210
    replace: true

- name: Remove our route; a route to the same destination via another target stays
  netsec.aws_peering.vpc_route:
    route_table_id: rtb-0123456789abcdef0
    destination_cidr_block: 10.20.1.0/24
    vpc_peering_connection_id: pcx-0123456789abcdef0
    state: absent
"""

RETURN = r"""
routes:
  description: One entry per requested route, in the order requested.
  returned: always
  type: list
  elements: dict
  contains:
    route_table_id:
      description: The route table.
      type: str
      sample: rtb-0123456789abcdef0
    destination:
      description: The destination (normalised CIDR or prefix list ID).
      type: str
      sample: 10.20.1.0/24
    target_type:
      description: The requested target's option name.
      type: str
      sample: vpc_peering_connection_id
    target:
      description: The requested target.
      type: str
      sample: pcx-0123456789abcdef0
    state:
      description: The requested state.
      type: str
      sample: present
    action:
      description:
        - V(created), V(replaced), V(deleted), V(unchanged), or V(skipped) (absent requested, but the
          destination routes to another target, which is left alone).
        - In check mode V(would_create), V(would_replace) and V(would_delete) instead of the first three.
      type: str
      sample: created
    current_target:
      description: What the destination routed to before the task (V(target_type=target)), when a route existed.
      type: str
      returned: when a route to the destination existed
      sample: nat_gateway_id=nat-0123456789abcdef0
changed:
  description: Whether any route was (or in check mode would be) created, replaced or deleted.
  returned: always
  type: bool
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY

from ansible_collections.netsec.aws_peering.plugins.module_utils import routes as ru

SINGLE_KEYS = ("route_table_id",) + tuple(ru.DESTINATIONS) + tuple(ru.TARGETS)
DONE = {"create": "created", "replace": "replaced", "delete": "deleted"}


def requested_routes(module):
    p = module.params
    if p["routes"] is not None:
        if not p["routes"]:
            module.fail_json(msg="routes=[] is empty; give at least one route")
        items = [(f"routes[{i}]", {k: v for k, v in (item or {}).items() if v is not None})
                 for i, item in enumerate(p["routes"])]
    else:
        if not p["route_table_id"]:
            module.fail_json(msg="one of route_table_id (single route) or routes (batch) is required")
        items = [("", {k: p[k] for k in SINGLE_KEYS if p[k] is not None})]
    try:
        requests = [ru.normalize_request(item, label, p["state"], p["allow_default_route"]) for label, item in items]
        ru.check_duplicates(requests)
    except ru.RouteError as e:
        module.fail_json(msg=str(e))
    return requests


def describe_tables(module, client, table_ids):
    try:
        found = client.describe_route_tables(aws_retry=True, RouteTableIds=table_ids)["RouteTables"]
    except is_boto3_error_code("InvalidRouteTableID.NotFound") as e:
        module.fail_json_aws(e, msg=f"Route table not found among {', '.join(table_ids)}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Unable to describe route tables {', '.join(table_ids)}")
    tables = {t["RouteTableId"]: t for t in found if t.get("RouteTableId") in table_ids}
    missing = [t for t in table_ids if t not in tables]
    if missing:
        module.fail_json(msg=f"route_table_id: {', '.join(missing)} not found in region {module.region}")
    return tables


def result_entry(step, action):
    entry = ru.view(step)
    entry["state"] = step["state"]
    entry["action"] = action
    if step["current"] is not None:
        option, value = ru.current_target(step["current"])
        entry["current_target"] = f"{option}={value}"
    return entry


def apply_step(module, client, step):
    action = step["action"]
    try:
        if action == "create":
            client.create_route(aws_retry=True, **ru.api_params(step))
        elif action == "replace":
            client.replace_route(aws_retry=True, **ru.api_params(step))
        elif action == "delete":
            client.delete_route(aws_retry=True, **ru.api_params(step, with_target=False))
    except is_boto3_error_code("InvalidRoute.NotFound"):
        if action != "delete":
            raise
        return "unchanged"  # gone meanwhile: absent is what we wanted
    return DONE[action]


def main():
    route_options = {k: dict(type="str") for k in SINGLE_KEYS}
    route_options["route_table_id"]["required"] = True
    route_options["state"] = dict(type="str", choices=["present", "absent"])
    argument_spec = dict(
        {k: dict(type="str") for k in SINGLE_KEYS},
        state=dict(type="str", default="present", choices=["present", "absent"]),
        routes=dict(type="list", elements="dict", options=route_options),
        replace=dict(type="bool", default=False),
        allow_default_route=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[["routes", k] for k in SINGLE_KEYS],
        required_one_of=[["routes", "route_table_id"]],
    )
    requests = requested_routes(module)
    client = module.client("ec2", retry_decorator=RETRY)
    table_ids = sorted({r["route_table_id"] for r in requests})
    tables = describe_tables(module, client, table_ids)
    steps, conflicts, warnings = ru.plan(requests, tables, module.params["replace"])

    if conflicts:
        module.fail_json(
            msg="Refusing to overwrite routes (nothing was changed): " + "; ".join(conflicts),
            conflicts=conflicts,
            routes=[result_entry(s, "conflict" if s["action"] == "conflict" else "unchanged") for s in steps],
        )
    for warning in warnings:
        module.warn(warning)

    results, before, after = [], [], []
    changed = False
    for step in steps:
        action = step["action"]
        if action in DONE:
            changed = True
            cur = step["current"]
            if cur is not None:
                option, value = ru.current_target(cur)
                before.append(ru.view(step, option, value))
            if action != "delete":
                after.append(ru.view(step))
            if module.check_mode:
                action = "would_" + action
            else:
                try:
                    action = apply_step(module, client, step)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    module.fail_json_aws(
                        e,
                        msg=f"Unable to {action} route {step['destination']} -> {step['target']} in {step['route_table_id']}",
                        routes=results + [result_entry(step, "failed")],
                        changed=any(r["action"] in DONE.values() for r in results),
                    )
        results.append(result_entry(step, action))

    result = dict(changed=changed, routes=results)
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
