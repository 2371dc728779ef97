#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_groups
short_description: Converge the collection's own security groups of a VPC, with their exact rules, in one run
version_added: 0.1.0
description:
  - Creates, updates or deletes the named security groups of one VPC, each with exactly the listed ingress and
    egress rules, in a single run.
  - The decisions come from C(plan_security_groups) in the collection's C(security_plan) module utilities, the
    same function the security and endpoints roles run on the controller (on the discovered site state) to
    decide whether this module must run at all, so the plan shown by C(--check --diff) is exactly what a run does.
  - Rules are compared one target at a time (protocol, port range, and one CIDR, IPv6 CIDR, prefix list or group)
    with their descriptions. A rule not listed is revoked, a missing one authorized, a changed description updated
    in place (UpdateSecurityGroupRuleDescriptions), so traffic that stays allowed is never interrupted. A new
    group loses the egress rule to every IPv4 address (prefix length 0) AWS gives it unless that rule is listed.
  - Ownership, a group is ours when it carries C(ManagedBy=netsec.aws_peering) and C(Network=<network_name>). A
    group of the listed name without those tags is someone else's, the module fails before any write and never
    changes it; with O(state=absent) it is left alone. Groups that are not listed are never looked at.
  - Kill-safe, a group is created with its tags in the same call (TagSpecifications), and group names are unique
    in a VPC, so a re-run after an interrupted one finds the group instead of creating a second one.
  - Why not M(amazon.aws.ec2_security_group), it finds a group by name alone and takes over someone else's group
    of that name, manages one group per run, expands its C(rules) shorthand (ports lists, ranges, several CIDRs)
    in ways a controller-side plan would have to mirror to the letter, and against the emulator is never
    idempotent with a description on a prefix-list rule. Here the rule form is the API's own unit, so the
    controller's plan and the module compare exactly the same thing.
  - Group descriptions cannot be changed in AWS (only by replacing the group, which detaches every workload), so
    an existing group's description is not compared.
options:
  vpc_id:
    description: The VPC of the groups; the module fails when it does not exist (wrong account or region).
    type: str
    required: true
  network_name:
    description: The site's network name, the value of the C(Network) ownership tag.
    type: str
    required: true
  groups:
    description: The groups, each identified by its name in the VPC.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Group name, also its C(Name) tag.
        type: str
        required: true
      description:
        description: Group description (used when the group is created; defaults to the name).
        type: str
      tags:
        description: Tags of the group; C(Name), C(ManagedBy) and C(Network) are added. Tags are added or corrected, never removed.
        type: dict
      ingress:
        description: Every inbound rule of the group (one target each).
        type: list
        elements: dict
        default: []
        suboptions: &rule
          protocol:
            description: V(tcp), V(udp), V(icmp), V(icmpv6), V(all) (or V(-1)), or an IP protocol number.
            type: str
            default: tcp
          from_port:
            description: First port (tcp, udp) or the ICMP type (default V(-1)).
            type: int
          to_port:
            description: Last port (tcp, udp) or the ICMP code (default V(-1)).
            type: int
          cidr_ip:
            description: IPv4 CIDR of the peer. Exactly one of O(groups[].ingress[].cidr_ip), O(groups[].ingress[].cidr_ipv6),
              O(groups[].ingress[].prefix_list_id) and O(groups[].ingress[].group_id).
            type: str
          cidr_ipv6:
            description: IPv6 CIDR of the peer.
            type: str
          prefix_list_id:
            description: Managed prefix list (C(pl-...)).
            type: str
          group_id:
            description: Security group of the same account.
            type: str
          description:
            description: Rule description, compared and kept up to date.
            type: str
      egress:
        description: Every outbound rule of the group (same form as O(groups[].ingress)); V([]) leaves no egress at all.
        type: list
        elements: dict
        default: []
        suboptions: *rule
  state:
    description:
      - V(present) creates or updates the groups. V(absent) deletes those that are ours (only their names are needed).
      - AWS refuses to delete a group still used by a network interface or referenced by another group's rule; its
        error names the group.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode; both show the planned changes.
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The interface endpoints' group, HTTPS from the VPC only and no egress
  netsec.aws_peering.security_groups:
    vpc_id: vpc-0123456789abcdef0
    network_name: trading
    groups:
      - name: sg-endpoints-trading-prod
        description: "Interface endpoints of trading: HTTPS from the VPC only"
        tags:
          CostCenter: CC-4410
          Environment: prod
        ingress:
          - {protocol: tcp, from_port: 443, to_port: 443, cidr_ip: 10.0.0.0/16, description: VPC 10.0.0.0/16 tcp/443}
        egress: []

- name: Remove it
  netsec.aws_peering.security_groups:
    vpc_id: vpc-0123456789abcdef0
    network_name: trading
    state: absent
    groups:
      - name: sg-endpoints-trading-prod
"""

RETURN = r"""
groups:
  description: One item per listed group, C(name), C(group_id) (V(null) when absent or to be created in check mode) and
    C(action) (V(created), V(updated), V(unchanged), V(deleted), V(absent)).
  returned: always
  type: list
  elements: dict
changes:
  description: The changes made (planned, in check mode), each with C(resource), C(action), C(field), C(before), C(after).
  returned: always
  type: list
  elements: dict
state:
  description: C(security_groups), every group of the VPC after the run in the shape of M(netsec.aws_peering.site_info).
  returned: always
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import changes_diff
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import converge_rounds
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import absent_on
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import paginate
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import retry_also_on
from ansible_collections.netsec.aws_peering.plugins.module_utils.security_plan import ip_permissions
from ansible_collections.netsec.aws_peering.plugins.module_utils.security_plan import plan_security_groups

MAX_ROUNDS = 3
# A group just created may not be visible to the next call yet.
RETRY_NEW = retry_also_on("InvalidGroup.NotFound")


def describe(ec2, vpc_id):
    """The VPC's groups, as site_info describes them (same call, same shape)."""
    groups = paginate("security groups", ec2, "describe_security_groups", "SecurityGroups",
                      Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {"vpc": {"VpcId": vpc_id}, "security_groups": [g for g in groups if g.get("VpcId") == vpc_id]}


class Executor:
    """Carries out one round of planned changes; rules of a group created in this round wait for the next."""

    def __init__(self, module, ec2, vpc_id):
        self.module = module
        self.ec2 = ec2
        self.vpc_id = vpc_id

    def call(self, what, method, retry=RETRY, **params):
        try:
            return retry(method)(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Cannot {what}")
        return None  # not reached: fail_json_aws exits

    def apply(self, changes):
        for item in changes:
            if item["action"] == "create":
                spec = item["spec"]
                self.call(f"create the security group {spec['name']}", self.ec2.create_security_group, VpcId=self.vpc_id,
                          GroupName=spec["name"], Description=spec["description"],
                          TagSpecifications=boto3_tag_specifications(spec["tags"], ["security-group"]))
        batches = {}
        for item in changes:
            if item["action"] == "update" and item.get("id") and item.get("op"):
                batches.setdefault((item["id"], item["op"], item["rule"]["egress"]), []).append(item["rule"])
            elif item["action"] == "update" and item.get("field") == "tags" and item.get("id"):
                self.call(f"tag {item['id']}", self.ec2.create_tags, Resources=[item["id"]],
                          Tags=[{"Key": k, "Value": v} for k, v in sorted(item["after"].items())])
        # Authorize before revoking, so that traffic moving between rules is never cut.
        order = {"authorize": 0, "describe": 1, "revoke": 2}
        for (group_id, op, egress), rules in sorted(batches.items(), key=lambda kv: (order[kv[0][1]], kv[0][0], kv[0][2])):
            way = "Egress" if egress else "Ingress"
            method = {"authorize": f"authorize_security_group_{way.lower()}", "revoke": f"revoke_security_group_{way.lower()}",
                      "describe": f"update_security_group_rule_descriptions_{way.lower()}"}[op]
            self.call(f"{op} {way.lower()} rules of {group_id}", getattr(self.ec2, method), retry=RETRY_NEW, GroupId=group_id,
                      IpPermissions=ip_permissions(rules, descriptions=op != "revoke"))
        for item in changes:
            if item["action"] == "delete":
                try:
                    RETRY(self.ec2.delete_security_group)(GroupId=item["id"])
                except is_boto3_error_code("InvalidGroup.NotFound"):
                    continue
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                    self.module.fail_json_aws(e, msg=f"Cannot delete the security group {item['id']} ({item.get('name')})")


def views(state, groups, done):
    """Per listed group: its ID (after the run; before it in check mode) and what happened to it."""
    out = []
    for group in groups:
        found = [g for g in state["security_groups"] if g.get("GroupName") == group["name"]]
        actions = {c["action"] for c in done if c.get("name") == group["name"]}
        action = "deleted" if "delete" in actions else "created" if "create" in actions else "updated" if actions else "unchanged"
        if action == "unchanged" and not found:
            action = "absent"
        out.append({"name": group["name"], "group_id": found[0]["GroupId"] if found else None, "action": action})
    return out


def main():
    rule = dict(protocol=dict(type="str", default="tcp"), from_port=dict(type="int"), to_port=dict(type="int"),
                cidr_ip=dict(type="str"), cidr_ipv6=dict(type="str"), prefix_list_id=dict(type="str"), group_id=dict(type="str"),
                description=dict(type="str"))
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_id=dict(type="str", required=True),
            network_name=dict(type="str", required=True),
            groups=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                description=dict(type="str"),
                tags=dict(type="dict"),
                ingress=dict(type="list", elements="dict", default=[], options=rule),
                egress=dict(type="list", elements="dict", default=[], options=rule),
            )),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    ec2 = module.client("ec2")
    absent = params["state"] == "absent"
    try:
        if absent_on(("InvalidVpcID.NotFound",), f"VPC {params['vpc_id']}", ec2.describe_vpcs, VpcIds=[params["vpc_id"]]) is None:
            module.fail_json(msg=f"vpc_id {params['vpc_id']} does not exist in this account and region")
        _before, state, changes = converge_rounds(
            module, "security groups", lambda: describe(ec2, params["vpc_id"]),
            lambda found: plan_security_groups(found, params["groups"], params["network_name"], absent=absent),
            Executor(module, ec2, params["vpc_id"]).apply, MAX_ROUNDS)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=e.args[0])
    result = dict(changed=bool(changes), changes=changes, groups=views(state, params["groups"], changes),
                  state={"security_groups": state["security_groups"]})
    if module._diff:
        result["diff"] = changes_diff(changes)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
