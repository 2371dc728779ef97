# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network stage's plan: what must change for a site's VPC layout to match the inventory.

``plan_network(state, spec)`` compares the site state (docs/dev/site-state.md) with the desired
layout and returns ``{"errors", "changes", "layout"}``. The controller calls it through a filter
to decide whether the converge module must run at all; the ``vpc_network`` module calls the same
function on what it describes and carries out the changes, so the two can never disagree.

What the layout is: the VPC (created, or adopted by ID or tags), one private subnet per
availability zone with a route table of its own, one private network ACL holding the intra-VPC
entries, and, for a VPC the collection created, the main route table named and the default
security group and network ACL closed. Ownership: everything created carries
``ManagedBy=netsec.aws_peering`` and ``Network=<network>``; in an adopted VPC nothing without
those tags is ever changed (the VPC itself, its main table, default group and ACL are left as
found unless a variable asks otherwise).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change
from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import tag_changes
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict

AWS_MIN_PREFIX = 16
AWS_MAX_PREFIX = 28
INTRA_VPC_RULE = 100
DEFAULT_NACL_RULE = 32767


def carve(vpc_cidr, new_prefix, count, offset=0):
    """``count`` consecutive /new_prefix subnets of ``vpc_cidr`` from the ``offset``-th one (ValueError otherwise)."""
    net = ipaddress.ip_network(str(vpc_cidr), strict=True)
    if net.version != 4:
        raise ValueError(f"vpc_cidr {vpc_cidr!r} is not an IPv4 CIDR")
    if not AWS_MIN_PREFIX <= new_prefix <= AWS_MAX_PREFIX:
        raise ValueError(f"new_prefix: {new_prefix} is outside the AWS subnet limits /{AWS_MIN_PREFIX}../{AWS_MAX_PREFIX}")
    if new_prefix <= net.prefixlen:
        raise ValueError(f"new_prefix: {new_prefix} is not longer than the prefix of vpc_cidr {vpc_cidr!r}")
    if count < 1 or offset < 0:
        raise ValueError(f"count: {count} must be at least 1 and offset: {offset} not negative")
    room = 1 << (new_prefix - net.prefixlen)
    if offset + count > room:
        raise ValueError(f"count: not enough room in vpc_cidr {vpc_cidr!r}: it holds {room} /{new_prefix} subnets, "
                         f"offset {offset} + count {count} needs {offset + count}")
    size = 1 << (32 - new_prefix)
    base = int(net.network_address) + offset * size
    return [str(ipaddress.IPv4Network((base + i * size, new_prefix))) for i in range(count)]


def intra_vpc_entries(vpc_cidr):
    """The private ACL's own entries: all traffic within the VPC, both directions (the security role keeps them)."""
    return [{"RuleNumber": INTRA_VPC_RULE, "Egress": egress, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": vpc_cidr}
            for egress in (False, True)]


def _main_table(state):
    for table in state.get("route_tables", []):
        if any(a.get("Main") for a in table.get("Associations", [])):
            return table
    return None


def _by_name(items, name, network):
    return [item for item in items
            if tag_dict(item.get("Tags")).get("Name") == name and tag_dict(item.get("Tags")).get(OWNER_TAG) == OWNER
            and tag_dict(item.get("Tags")).get("Network") == network]


def _association_of(state, subnet_id):
    """The route table a subnet is explicitly associated with (None: it uses the main table)."""
    for table in state.get("route_tables", []):
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId") == subnet_id and assoc.get("AssociationState", {}).get("State", "associated") == "associated":
                return table
    return None


def _nacl_of(state, subnet_id):
    for nacl in state.get("network_acls", []):
        if any(a.get("SubnetId") == subnet_id for a in nacl.get("Associations", [])):
            return nacl
    return None


class _Planner:
    def __init__(self, state, spec):
        self.state = state
        self.spec = spec
        self.errors = []
        self.changes = []
        self.network = spec["network_name"]
        self.names = site_names(self.network, spec["environment_suffix"])
        self.base_tags = dict(spec.get("tags") or {}, Network=self.network, **{OWNER_TAG: OWNER})
        self.adopting = bool(spec.get("adopt"))
        self.vpc = state.get("vpc")
        self.layout = {"vpc_id": (self.vpc or {}).get("VpcId"), "subnets": []}

    def run(self):
        if len(self.state.get("vpc_candidates") or []) > 1:
            self.errors.append(f"{len(self.state['vpc_candidates'])} VPCs match the site {self.network}: "
                               f"{', '.join(self.state['vpc_candidates'])}; expected exactly one")
            return self
        self.plan_vpc()
        if not self.errors:
            self.plan_subnets()
        if not self.errors:
            self.plan_nacl()
            self.plan_defaults()
        return self

    # ------------------------------------------------------------------ VPC
    def plan_vpc(self):
        spec, vpc = self.spec, self.vpc
        name = self.names["vpc"]
        if vpc is None:
            if self.adopting:
                self.errors.append(f"the VPC to adopt for {self.network} (vpc_id={spec.get('vpc_id')!r}, "
                                   f"vpc_adopt_tags={spec.get('vpc_adopt_tags')!r}) does not exist")
                return
            if not spec.get("vpc_cidr"):
                self.errors.append(f"vpc_cidr is required to create the VPC of {self.network}")
                return
            self.changes.append(change(f"vpc {name}", "create", "cidr", None, spec["vpc_cidr"],
                                       spec={"cidr": spec["vpc_cidr"], "tags": dict(self.base_tags, Name=name)}))
            self.layout["vpc_cidr"] = spec["vpc_cidr"]
            return
        self.layout["vpc_cidr"] = vpc["CidrBlock"]
        cidrs = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", [])
                 if a.get("CidrBlockState", {}).get("State", "associated") == "associated"]
        if spec.get("vpc_cidr") and spec["vpc_cidr"] not in cidrs:
            self.errors.append(f"VPC {vpc['VpcId']} ({name}) has CIDRs {cidrs}, but vpc_cidr is {spec['vpc_cidr']!r}")
            return
        resource = f"vpc {vpc['VpcId']}"
        manage = not self.adopting or spec.get("adopted_vpc_enable_dns")
        for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
            if vpc.get(attribute):
                continue
            if manage:
                self.changes.append(change(resource, "update", attribute, False, True, id=vpc["VpcId"]))
            elif spec.get("require_dns"):
                self.errors.append(f"the adopted VPC {vpc['VpcId']} has {attribute} off: DNS resolution across the peering "
                                   f"cannot work. Ask its owner to turn it on, or set vpc_adopted_enable_dns: true")
        if not self.adopting:
            self.changes.extend(tag_changes(resource, vpc.get("Tags"), dict(self.base_tags, Name=name), vpc["VpcId"]))

    # ------------------------------------------------------------------ subnets and route tables
    def desired_cidrs(self):
        spec = self.spec
        count = int(spec.get("az_count", 3))
        if spec.get("private_subnet_cidrs"):
            return list(spec["private_subnet_cidrs"])
        try:
            return carve(self.layout["vpc_cidr"], int(spec.get("subnet_prefix", 24)), count, int(spec.get("subnet_offset", 0)))
        except ValueError as e:
            self.errors.append(f"cannot carve the private subnets of {self.network}: {e}")
            return []

    def plan_subnets(self):
        count = int(self.spec.get("az_count", 3))
        zones = (self.state.get("availability_zones") or [])[:count]
        cidrs = self.desired_cidrs()
        if self.errors:
            return
        if len(zones) < count or len(cidrs) != count:
            self.errors.append(f"vpc_az_count={count} but region {self.state.get('region')} offers {len(zones)} zones "
                               f"{zones} and {len(cidrs)} subnet CIDRs were given {cidrs}")
            return
        subnets = self.state.get("subnets", [])
        for index, (zone, cidr) in enumerate(zip(zones, cidrs)):
            entry = {"name": self.names["subnets"][index], "cidr": cidr, "az": zone,
                     "route_table_name": self.names["route_tables"][index]}
            self.layout["subnets"].append(entry)
            self.plan_subnet(entry, [s for s in subnets if s.get("CidrBlock") == cidr])
            self.plan_route_table(entry)

    def plan_subnet(self, entry, found):
        wanted_tags = dict(self.base_tags, Name=entry["name"], Tier="private")
        if not found:
            self.changes.append(change(f"subnet {entry['name']}", "create", "cidr", None, f"{entry['cidr']} in {entry['az']}",
                                       spec={"cidr": entry["cidr"], "az": entry["az"], "tags": wanted_tags}))
            return
        subnet = found[0]
        entry["subnet_id"] = subnet["SubnetId"]
        tags = tag_dict(subnet.get("Tags"))
        if tags.get(OWNER_TAG) != OWNER or tags.get("Network") != self.network:
            self.errors.append(f"{entry['cidr']} is already used by subnet {subnet['SubnetId']}, which the collection does not "
                               f"own: choose free vpc_private_subnet_cidrs")
            return
        if subnet.get("AvailabilityZone") != entry["az"]:
            self.errors.append(f"subnet {subnet['SubnetId']} ({entry['cidr']}) is in {subnet.get('AvailabilityZone')}, expected "
                               f"{entry['az']}: a subnet cannot move; delete it or list its CIDR for its zone")
            return
        resource = f"subnet {subnet['SubnetId']}"
        if subnet.get("MapPublicIpOnLaunch"):
            self.changes.append(change(resource, "update", "MapPublicIpOnLaunch", True, False, id=subnet["SubnetId"]))
        self.changes.extend(tag_changes(resource, subnet.get("Tags"), wanted_tags, subnet["SubnetId"]))

    def plan_route_table(self, entry):
        tables = _by_name(self.state.get("route_tables", []), entry["route_table_name"], self.network)
        if len(tables) > 1:
            self.errors.append(f"{len(tables)} route tables are named {entry['route_table_name']}: "
                               f"{[t['RouteTableId'] for t in tables]}")
            return
        wanted_tags = dict(self.base_tags, Name=entry["route_table_name"], Tier="private")
        if not tables:
            self.changes.append(change(f"route-table {entry['route_table_name']}", "create", spec={"tags": wanted_tags}))
            self.changes.append(change(f"subnet {entry['name']}", "update", "route_table", None, entry["route_table_name"]))
            return
        table = tables[0]
        entry["route_table_id"] = table["RouteTableId"]
        self.changes.extend(tag_changes(f"route-table {table['RouteTableId']}", table.get("Tags"), wanted_tags, table["RouteTableId"]))
        if not entry.get("subnet_id"):
            self.changes.append(change(f"subnet {entry['name']}", "update", "route_table", None, table["RouteTableId"]))
            return
        current = _association_of(self.state, entry["subnet_id"])
        if current is None or current["RouteTableId"] != table["RouteTableId"]:
            association = next((a["RouteTableAssociationId"] for a in (current or {}).get("Associations", [])
                                if a.get("SubnetId") == entry["subnet_id"]), None)
            self.changes.append(change(f"subnet {entry['subnet_id']}", "update", "route_table",
                                       current["RouteTableId"] if current else "main", table["RouteTableId"],
                                       id=entry["subnet_id"], association_id=association))

    # ------------------------------------------------------------------ private network ACL
    def plan_nacl(self):
        name = self.names["private_nacl"]
        nacls = _by_name(self.state.get("network_acls", []), name, self.network)
        entries = intra_vpc_entries(self.layout["vpc_cidr"])
        if len(nacls) > 1:
            self.errors.append(f"{len(nacls)} network ACLs are named {name}: {[n['NetworkAclId'] for n in nacls]}")
            return
        wanted_tags = dict(self.base_tags, Name=name, Tier="private")
        if not nacls:
            self.changes.append(change(f"network-acl {name}", "create", "entries", None, entries, spec={"tags": wanted_tags}))
            for entry in self.layout["subnets"]:
                self.changes.append(change(f"subnet {entry.get('subnet_id') or entry['name']}", "update", "network_acl", None, name))
            return
        nacl = nacls[0]
        self.layout["nacl_id"] = nacl["NetworkAclId"]
        resource = f"network-acl {nacl['NetworkAclId']}"
        self.changes.extend(tag_changes(resource, nacl.get("Tags"), wanted_tags, nacl["NetworkAclId"]))
        have = {(e["RuleNumber"], e["Egress"]): e for e in nacl.get("Entries", [])}
        for entry in entries:
            current = have.get((entry["RuleNumber"], entry["Egress"]))
            if current is None or any(current.get(k) != v for k, v in entry.items()):
                self.changes.append(change(resource, "update", f"entry {entry['RuleNumber']} "
                                           f"{'egress' if entry['Egress'] else 'ingress'}", current, entry,
                                           id=nacl["NetworkAclId"], entry=entry, replace=current is not None))
        for subnet in self.layout["subnets"]:
            if not subnet.get("subnet_id"):
                continue
            holder = _nacl_of(self.state, subnet["subnet_id"])
            if holder is None or holder["NetworkAclId"] != nacl["NetworkAclId"]:
                association = next((a["NetworkAclAssociationId"] for a in (holder or {}).get("Associations", [])
                                    if a.get("SubnetId") == subnet["subnet_id"]), None)
                self.changes.append(change(f"subnet {subnet['subnet_id']}", "update", "network_acl",
                                           holder["NetworkAclId"] if holder else None, nacl["NetworkAclId"],
                                           id=subnet["subnet_id"], association_id=association))

    # ------------------------------------------------------------------ main table, default group and ACL
    def plan_defaults(self):
        if self.vpc is None:
            if not self.adopting:
                self.changes.append(change(f"route-table {self.names['main_route_table']}", "update", "tags"))
            return
        manage = not self.adopting or self.spec.get("adopted_vpc_close_defaults")
        if not self.adopting:
            main = _main_table(self.state)
            if main is not None:
                self.changes.extend(tag_changes(f"route-table {main['RouteTableId']}", main.get("Tags"),
                                                dict(self.spec.get("tags") or {}, Name=self.names["main_route_table"]),
                                                main["RouteTableId"]))
        if manage and self.spec.get("close_default_security_group", True):
            self.plan_default_group()
        if manage and self.spec.get("close_default_nacl", True):
            self.plan_default_nacl()

    def plan_default_group(self):
        for group in self.state.get("security_groups", []):
            if group.get("GroupName") != "default":
                continue
            resource = f"security-group {group['GroupId']}"
            for key, field in (("IpPermissions", "ingress"), ("IpPermissionsEgress", "egress")):
                if group.get(key):
                    self.changes.append(change(resource, "update", f"{field} rules", group[key], [],
                                               id=group["GroupId"], rules=group[key], egress=field == "egress"))
            if not self.adopting:
                self.changes.extend(tag_changes(resource, group.get("Tags"),
                                                dict(self.spec.get("tags") or {}, Name=self.names["default_security_group"]),
                                                group["GroupId"]))

    def plan_default_nacl(self):
        for nacl in self.state.get("network_acls", []):
            if not nacl.get("IsDefault"):
                continue
            resource = f"network-acl {nacl['NetworkAclId']}"
            allows = [e for e in nacl.get("Entries", []) if e.get("RuleAction") == "allow" and e.get("RuleNumber") != DEFAULT_NACL_RULE]
            # Subnets that still use the default ACL depend on its allow entries: leave them then.
            if allows and not nacl.get("Associations"):
                self.changes.append(change(resource, "update", "allow entries", allows, [], id=nacl["NetworkAclId"],
                                           entries=allows))
            if not self.adopting:
                self.changes.extend(tag_changes(resource, nacl.get("Tags"),
                                                dict(self.spec.get("tags") or {}, Name=self.names["default_nacl"]),
                                                nacl["NetworkAclId"]))


def plan_network(state, spec):
    """The network stage's errors, changes and layout for one site."""
    planner = _Planner(state or {}, spec).run()
    return {"errors": planner.errors, "changes": planner.changes, "layout": planner.layout}


def plan_network_teardown(state, spec):
    """What removing the collection's network of a site takes: only resources carrying our tags.

    Subnets leave our ACL for the VPC's default one and our route tables for the main one, then the
    ACL, the route tables and the subnets go, and the VPC itself when the collection created it
    (never an adopted one). A main route table is never deleted: AWS refuses, it goes with its VPC.
    """
    state = state or {}
    network = spec["network_name"]
    changes = []
    vpc = state.get("vpc")
    if not vpc:
        return {"errors": [], "changes": [], "layout": {}}
    mine = [s for s in state.get("subnets", []) if _owned(s, network)]
    default_nacl = next((n for n in state.get("network_acls", []) if n.get("IsDefault")), None)
    for nacl in state.get("network_acls", []):
        if nacl.get("IsDefault") or not _owned(nacl, network):
            continue
        for assoc in nacl.get("Associations", []):
            if default_nacl is not None:
                changes.append(change(f"subnet {assoc['SubnetId']}", "update", "network_acl", nacl["NetworkAclId"],
                                      default_nacl["NetworkAclId"], id=assoc["SubnetId"],
                                      association_id=assoc["NetworkAclAssociationId"]))
        changes.append(change(f"network-acl {nacl['NetworkAclId']}", "delete", id=nacl["NetworkAclId"]))
    for table in state.get("route_tables", []):
        if not _owned(table, network) or any(a.get("Main") for a in table.get("Associations", [])):
            continue
        for assoc in table.get("Associations", []):
            changes.append(change(f"subnet {assoc.get('SubnetId')}", "update", "route_table", table["RouteTableId"], "main",
                                  id=assoc.get("SubnetId"), association_id=assoc["RouteTableAssociationId"]))
        changes.append(change(f"route-table {table['RouteTableId']}", "delete", id=table["RouteTableId"]))
    for subnet in mine:
        changes.append(change(f"subnet {subnet['SubnetId']}", "delete", id=subnet["SubnetId"]))
    if _owned(vpc, network) and not spec.get("adopt"):
        changes.append(change(f"vpc {vpc['VpcId']}", "delete", id=vpc["VpcId"]))
    return {"errors": [], "changes": changes, "layout": {"vpc_id": vpc["VpcId"]}}


def _owned(resource, network):
    tags = tag_dict(resource.get("Tags"))
    return tags.get(OWNER_TAG) == OWNER and tags.get("Network") == network
