#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_network
short_description: Converge a site's private VPC layout in one run
version_added: 0.1.0
description:
  - Creates or adopts the site's VPC and converges, in one run, its private subnets (one per availability
    zone), one route table per subnet, the private network ACL with its intra-VPC entries, and, for a VPC the
    collection created, the main route table's name and the closed default security group and network ACL.
  - The decisions come from C(plan_network) in the collection's C(network_plan) module utilities, the same
    function the roles run on the controller to decide whether this module must run at all, so the plan
    shown by C(--check --diff) is exactly what a run does.
  - Ownership, everything created carries C(ManagedBy=netsec.aws_peering) and C(Network); routes, entries and
    resources of others are never changed. In an adopted VPC the VPC itself, its main route table, default
    security group and default ACL are left as found unless O(adopted_vpc_enable_dns) or
    O(adopted_vpc_close_defaults) ask otherwise.
  - Kill-safe, resources are created with their tags in the same call (tag on create) and route tables and the
    ACL with a client token derived from the VPC and the name, so a re-run after an interrupted run finds what
    the interrupted one made instead of creating it twice.
  - Fills a gap, the stock modules manage one resource per run (seven runs for this layout, and one more per
    subnet), C(amazon.aws.ec2_vpc_route_table) sleeps after every change and its tag lookup matches any table
    carrying all the given tags.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  network_name:
    description: The site's network name, in every resource name.
    type: str
    required: true
  environment_suffix:
    description: The environment suffix, in every resource name.
    type: str
    required: true
  vpc_cidr:
    description: CIDR of the VPC to create, or expected among an adopted VPC's CIDRs.
    type: str
  vpc_id:
    description: Adopt this VPC.
    type: str
  vpc_adopt_tags:
    description: Adopt the one VPC carrying these tags.
    type: dict
  az_count:
    description: Number of private subnets, one per availability zone (the region's first zones, sorted).
    type: int
    default: 3
  subnet_prefix:
    description: Prefix length of the carved private subnets.
    type: int
    default: 24
  subnet_offset:
    description: Index of the first carved subnet within the VPC CIDR.
    type: int
    default: 0
  private_subnet_cidrs:
    description: Explicit private subnet CIDRs (one per zone) instead of carving them.
    type: list
    elements: str
    default: []
  close_default_security_group:
    description: Remove every rule of the default security group.
    type: bool
    default: true
  close_default_nacl:
    description: Remove the allow entries of the default network ACL when no subnet uses it.
    type: bool
    default: true
  adopted_vpc_enable_dns:
    description: Turn on DNS support and hostnames of an adopted VPC (otherwise left as found).
    type: bool
    default: false
  adopted_vpc_close_defaults:
    description: Close the default security group and ACL of an adopted VPC too.
    type: bool
    default: false
  require_dns:
    description: DNS resolution across a peering is wanted, an adopted VPC with DNS off is then an error.
    type: bool
    default: false
  tags:
    description: Tags for everything the module creates (besides Name, Network, ManagedBy, Tier).
    type: dict
    default: {}
  state:
    description:
      - C(absent) removes what the collection created, only resources carrying its ownership tags, subnets
        go back to the default ACL and main route table, then the private ACL, route tables and subnets are
        deleted, and the VPC when the collection created it (never an adopted VPC, never a main route table).
      - A subnet that still holds network interfaces (workloads) cannot be deleted; AWS's error names it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode; both show the planned changes.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The private network of the trading site
  netsec.aws_peering.vpc_network:
    network_name: trading
    environment_suffix: prod
    vpc_cidr: 10.0.0.0/16
    tags:
      CostCenter: CC-4410
      Environment: prod

- name: Adopt an existing VPC by tag and add private subnets in its free space
  netsec.aws_peering.vpc_network:
    network_name: analytics
    environment_suffix: prod
    vpc_adopt_tags:
      Name: analytics-prod
    private_subnet_cidrs: [10.1.200.0/24, 10.1.201.0/24, 10.1.202.0/24]
    tags:
      CostCenter: CC-5520
      Environment: prod
"""

RETURN = r"""
changes:
  description: The changes made (planned, in check mode), each with C(resource), C(action) and, for updates,
    C(field), C(before), C(after).
  returned: always
  type: list
  elements: dict
state:
  description: The site's network after the run, in the shape of M(netsec.aws_peering.site_info) (C(vpc),
    C(subnets), C(route_tables), C(network_acls), C(security_groups), ...).
  returned: always
  type: dict
layout:
  description: The private layout, C(vpc_id), C(vpc_cidr), C(nacl_id) and C(subnets) (name, cidr, az,
    subnet_id, route_table_name, route_table_id).
  returned: always
  type: dict
"""

import hashlib

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_network
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_zones
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import find_vpc
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import VPC_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_plan import plan_network
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_plan import plan_network_teardown

MAX_ROUNDS = 6
# What the module returns of the site state: the parts it changes (merged into site_state by the role).
NETWORK_KEYS = ("vpc", "vpc_candidates", "subnets", "route_tables", "network_acls", "security_groups", "vpc_endpoints",
                "internet_gateways", "nat_gateways", "flow_logs")


def spec_of(params):
    return {key: params[key] for key in (
        "network_name", "environment_suffix", "vpc_cidr", "vpc_id", "vpc_adopt_tags", "az_count", "subnet_prefix",
        "subnet_offset", "private_subnet_cidrs", "close_default_security_group", "close_default_nacl",
        "adopted_vpc_enable_dns", "adopted_vpc_close_defaults", "require_dns", "tags")} | {
        "adopt": bool(params["vpc_id"] or params["vpc_adopt_tags"])}


def describe(ec2, params, zones):
    names = site_names(params["network_name"], params["environment_suffix"])
    vpc, candidates = find_vpc(ec2, params["vpc_id"], params["vpc_adopt_tags"], names["vpc"])
    state = {"region": None, "availability_zones": zones, "vpc": None, "vpc_candidates": [c["VpcId"] for c in candidates],
             "subnets": [], "route_tables": [], "network_acls": [], "security_groups": []}
    if vpc is not None:
        state.update(describe_network(ec2, vpc, None))
    return state


def token(*parts):
    """A client token that is the same on every run for the same resource (AWS: at most 64 ASCII characters)."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]


class Executor:
    """Carries out one round of planned changes; what needs an ID made in this round waits for the next."""

    def __init__(self, module, ec2, layout, state):
        self.module = module
        self.ec2 = ec2
        self.layout = layout
        self.state = state

    def call(self, what, method, **params):
        try:
            return RETRY(method)(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Cannot {what}")

    def apply(self, changes):
        """Carry out what this round can; return the changes actually made (the rest waits for the next round)."""
        planned = changes
        if any(c["resource"].startswith("vpc ") and c["action"] != "delete" for c in changes):
            # The rest of the layout hangs off the VPC: settle it first.
            changes = [c for c in changes if c["resource"].startswith("vpc ")]
        # Deletions come last and in the planned order: associations move first, the VPC goes last.
        changes = [c for c in changes if c["action"] != "delete"] + [c for c in changes if c["action"] == "delete"]
        made = []
        for item in changes:
            kind = item["resource"].split(" ", 1)[0]
            handler = getattr(self, f"{item['action']}_{kind.replace('-', '_')}", None)
            if handler is not None and handler(item) is not False:
                made.append(id(item))
        return [item for item in planned if id(item) in made]

    def vpc_id(self):
        return self.layout["vpc_id"]

    def tag(self, resource_id, tags):
        self.call(f"tag {resource_id}", self.ec2.create_tags, Resources=[resource_id],
                  Tags=[{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())])

    # ---------------------------------------------------------------- VPC
    def create_vpc(self, item):
        vpc = self.call(f"create the VPC {item['resource']}", self.ec2.create_vpc, CidrBlock=item["spec"]["cidr"],
                        TagSpecifications=boto3_tag_specifications(item["spec"]["tags"], ["vpc"]))["Vpc"]
        self.call("wait for the VPC", self.ec2.get_waiter("vpc_available").wait, VpcIds=[vpc["VpcId"]])

    def update_vpc(self, item):
        if item.get("field") == "tags":
            self.tag(item["id"], item["after"])
        elif item.get("field") in ("EnableDnsSupport", "EnableDnsHostnames"):
            self.call(f"set {item['field']} on {item['id']}", self.ec2.modify_vpc_attribute, VpcId=item["id"],
                      **{item["field"]: {"Value": True}})

    # ---------------------------------------------------------------- subnets and route tables
    def create_subnet(self, item):
        spec = item["spec"]
        subnet = self.call(f"create subnet {spec['cidr']}", self.ec2.create_subnet, VpcId=self.vpc_id(), CidrBlock=spec["cidr"],
                           AvailabilityZone=spec["az"], TagSpecifications=boto3_tag_specifications(spec["tags"], ["subnet"]))
        self.call("wait for the subnet", self.ec2.get_waiter("subnet_available").wait, SubnetIds=[subnet["Subnet"]["SubnetId"]])

    def update_subnet(self, item):
        field = item.get("field")
        if field == "tags":
            self.tag(item["id"], item["after"])
        elif field == "MapPublicIpOnLaunch":
            self.call(f"stop public IPs in {item['id']}", self.ec2.modify_subnet_attribute, SubnetId=item["id"],
                      MapPublicIpOnLaunch={"Value": False})
        elif field == "route_table" and item.get("after") == "main" and item.get("association_id"):
            self.call(f"return {item['id']} to the main route table", self.ec2.disassociate_route_table,
                      AssociationId=item["association_id"])
        elif field == "route_table" and item.get("id") and str(item.get("after", "")).startswith("rtb-"):
            if item.get("association_id"):
                self.call(f"move {item['id']} to {item['after']}", self.ec2.replace_route_table_association,
                          AssociationId=item["association_id"], RouteTableId=item["after"])
            else:
                self.call(f"associate {item['id']} with {item['after']}", self.ec2.associate_route_table,
                          SubnetId=item["id"], RouteTableId=item["after"])
        elif field == "network_acl" and item.get("id") and item.get("association_id") and str(item.get("after", "")).startswith("acl-"):
            self.call(f"give {item['id']} the ACL {item['after']}", self.ec2.replace_network_acl_association,
                      AssociationId=item["association_id"], NetworkAclId=item["after"])
        else:
            return False  # waits for an ID made in this round
        return True

    def create_route_table(self, item):
        name = item["spec"]["tags"]["Name"]
        self.call(f"create route table {name}", self.ec2.create_route_table, VpcId=self.vpc_id(),
                  ClientToken=token(self.vpc_id(), name), TagSpecifications=boto3_tag_specifications(item["spec"]["tags"], ["route-table"]))

    def update_route_table(self, item):
        if item.get("field") == "tags" and item.get("id"):
            self.tag(item["id"], item["after"])
            return True
        return False

    # ---------------------------------------------------------------- network ACLs
    def create_network_acl(self, item):
        name = item["spec"]["tags"]["Name"]
        self.call(f"create network ACL {name}", self.ec2.create_network_acl, VpcId=self.vpc_id(),
                  ClientToken=token(self.vpc_id(), name), TagSpecifications=boto3_tag_specifications(item["spec"]["tags"], ["network-acl"]))

    def update_network_acl(self, item):
        field = item.get("field", "")
        if field == "tags":
            self.tag(item["id"], item["after"])
        elif field.startswith("entry "):
            entry = dict(item["entry"], NetworkAclId=item["id"])
            method = self.ec2.replace_network_acl_entry if item.get("replace") else self.ec2.create_network_acl_entry
            self.call(f"write {field} of {item['id']}", method, **entry)
        elif field == "allow entries":
            for entry in item["entries"]:
                self.call(f"remove entry {entry['RuleNumber']} of the default ACL {item['id']}", self.ec2.delete_network_acl_entry,
                          NetworkAclId=item["id"], RuleNumber=entry["RuleNumber"], Egress=entry["Egress"])

    # ---------------------------------------------------------------- teardown (only what carries our tags)
    def delete_network_acl(self, item):
        self.call(f"delete the network ACL {item['id']}", self.ec2.delete_network_acl, NetworkAclId=item["id"])

    def delete_route_table(self, item):
        self.call(f"delete the route table {item['id']}", self.ec2.delete_route_table, RouteTableId=item["id"])

    def delete_subnet(self, item):
        self.call(f"delete the subnet {item['id']}", self.ec2.delete_subnet, SubnetId=item["id"])

    def delete_vpc(self, item):
        self.call(f"delete the VPC {item['id']}", self.ec2.delete_vpc, VpcId=item["id"])

    # ---------------------------------------------------------------- default security group
    def update_security_group(self, item):
        field = item.get("field", "")
        if field == "tags":
            self.tag(item["id"], item["after"])
        elif field in ("ingress rules", "egress rules"):
            method = self.ec2.revoke_security_group_egress if item["egress"] else self.ec2.revoke_security_group_ingress
            self.call(f"close the default security group {item['id']}", method, GroupId=item["id"], IpPermissions=item["rules"])


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            network_name=dict(type="str", required=True),
            environment_suffix=dict(type="str", required=True),
            vpc_cidr=dict(type="str"),
            vpc_id=dict(type="str"),
            vpc_adopt_tags=dict(type="dict"),
            az_count=dict(type="int", default=3),
            subnet_prefix=dict(type="int", default=24),
            subnet_offset=dict(type="int", default=0),
            private_subnet_cidrs=dict(type="list", elements="str", default=[]),
            close_default_security_group=dict(type="bool", default=True),
            close_default_nacl=dict(type="bool", default=True),
            adopted_vpc_enable_dns=dict(type="bool", default=False),
            adopted_vpc_close_defaults=dict(type="bool", default=False),
            require_dns=dict(type="bool", default=False),
            tags=dict(type="dict", default={}),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        mutually_exclusive=[("vpc_id", "vpc_adopt_tags")],
        supports_check_mode=True,
    )
    params = module.params
    if params["vpc_id"] and not VPC_ID_RE.match(params["vpc_id"]):
        module.fail_json(msg=f"vpc_id={params['vpc_id']!r} is not a VPC ID")
    ec2 = module.client("ec2")
    spec = spec_of(params)
    planner = plan_network_teardown if params["state"] == "absent" else plan_network
    try:
        zones = describe_zones(ec2)
        state = describe(ec2, params, zones)
        plan = planner(state, spec)
        first = plan["changes"]
        done = []
        for _round in range(MAX_ROUNDS):
            if plan["errors"]:
                module.fail_json(msg="Nothing was changed in this round: " + "; ".join(plan["errors"]), changes=done)
            if not plan["changes"] or module.check_mode:
                break
            done.extend(Executor(module, ec2, plan["layout"], state).apply(plan["changes"]))
            state = describe(ec2, params, zones)
            plan = planner(state, spec)
        else:
            module.fail_json(msg=f"The network did not converge in {MAX_ROUNDS} rounds; still planned: {plan['changes']}")
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=e.args[0])
    changes = first if module.check_mode else done
    network = {key: state[key] for key in NETWORK_KEYS if key in state}
    result = dict(changed=bool(changes), changes=changes, state=network, layout=plan["layout"])
    if module._diff:
        result["diff"] = {"before": {c["resource"]: c.get("before") for c in changes},
                          "after": {c["resource"]: c.get("after", c["action"]) for c in changes}}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
