#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: network_acl
short_description: Manage a VPC network ACL with partial ownership of its entries
version_added: 0.1.0
description:
  - Creates, updates or deletes a VPC network ACL, its entries and its subnet associations in one run.
  - Gap filled - M(amazon.aws.ec2_vpc_nacl) always replaces the whole entry set (no partial ownership),
    takes each rule as a positional list and cannot strip the VPC's default ACL without risk.
    This module owns only the entries inside O(managed_rule_range), so rules added by other teams
    outside the range survive, it can manage the default ACL (O(default=true)), it checks the AWS
    per-direction entry limit and refuses allow rules to or from everywhere (an IPv4 or IPv6 prefix of length 0) before any
    write, and it changes an entry in place with ReplaceNetworkAclEntry.
  - Entries are compared per direction and rule number; a changed entry is replaced in place,
    new entries are created, and entries inside O(managed_rule_range) that are not listed are
    deleted when O(purge_entries=true).
  - The catch-all deny rule C(32767) is never changed, deleted or returned.
  - Every input is validated, and the complete plan (including the entry limit) is checked,
    before any AWS write.
options:
  vpc_id:
    description:
      - The VPC of the ACL.
      - Required to create an ACL, to look one up by O(name) and with O(default=true).
    type: str
  name:
    description:
      - The C(Name) tag of the ACL; used to find the ACL when neither O(nacl_id) nor O(default) is given.
      - With O(nacl_id) or O(default=true) the ACL is found by those, and O(name) only sets its C(Name) tag.
    type: str
  nacl_id:
    description:
      - The ID of an existing ACL. Mutually exclusive with O(default=true).
    type: str
  default:
    description:
      - Manage the VPC's default network ACL (found through O(vpc_id)).
      - The default ACL cannot be deleted, so O(state=absent) is refused.
    type: bool
    default: false
  state:
    description:
      - V(present) creates or updates the ACL.
      - V(absent) moves the ACL's subnets back to the VPC's default ACL, then deletes the ACL.
    type: str
    choices: [present, absent]
    default: present
  subnet_ids:
    description:
      - Subnets to associate with this ACL. A subnet associated with another ACL is moved with
        ReplaceNetworkAclAssociation.
      - Omit to leave the associations as they are.
    type: list
    elements: str
  purge_subnets:
    description:
      - When V(true), subnets associated with this ACL but not in O(subnet_ids) are moved back to the
        VPC's default ACL.
      - Ignored for the default ACL. With O(state=absent) all associated subnets are always moved
        back, because AWS cannot delete an ACL that still has associations.
    type: bool
    default: false
  entries:
    description:
      - The entries this run owns. Omit to leave the entries as they are; V([]) with
        O(purge_entries=true) removes every entry inside O(managed_rule_range).
      - The C(nacl_entries) filter of this collection builds this list for a peering.
    type: list
    elements: dict
    suboptions:
      rule_number:
        description: Rule number, 1 to 32766, unique per direction and inside O(managed_rule_range).
        type: int
        required: true
      egress:
        description: V(true) for an outbound entry, V(false) for an inbound one.
        type: bool
        default: false
      protocol:
        description:
          - V(tcp), V(udp), V(icmp), V(ipv6-icmp), V(all), or an IP protocol number (V(-1) means all).
        type: str
        default: all
      rule_action:
        description: Whether matching traffic is allowed or denied.
        type: str
        choices: [allow, deny]
        required: true
      cidr_block:
        description:
          - IPv4 network of the entry. Exactly one of O(entries[].cidr_block) or
            O(entries[].ipv6_cidr_block) is required.
          - An V(allow) entry open to every IPv4 address (prefix length 0) is refused unless O(allow_open_cidr=true).
        type: str
      ipv6_cidr_block:
        description:
          - IPv6 network of the entry.
          - An V(allow) entry open to every IPv6 address (prefix length 0) is refused unless O(allow_open_cidr=true).
        type: str
      port_from:
        description: First port of the range; required for V(tcp) and V(udp), refused otherwise.
        type: int
      port_to:
        description: Last port of the range; required for V(tcp) and V(udp), refused otherwise.
        type: int
      icmp_type:
        description: ICMP type for V(icmp) and V(ipv6-icmp) (default V(-1), all types).
        type: int
      icmp_code:
        description: ICMP code for V(icmp) and V(ipv6-icmp) (default V(-1), all codes).
        type: int
  purge_entries:
    description:
      - Delete entries inside O(managed_rule_range) that are not in O(entries).
      - Entries outside the range belong to someone else and are never deleted.
    type: bool
    default: true
  managed_rule_range:
    description:
      - V([low, high]) rule numbers this run owns. Every entry of O(entries) must lie inside it.
    type: list
    elements: int
    default: [1, 32766]
  max_entries:
    description:
      - Entry limit per direction (AWS's default quota is 20 inbound and 20 outbound).
      - If the entries kept outside O(managed_rule_range) plus the desired ones exceed it in a
        direction, the module fails before any write and names the count and the limit.
    type: int
    default: 20
  owner_network:
    description:
      - Refuse to change or delete an ACL that does not carry the ownership tags C(ManagedBy=netsec.aws_peering) and
        C(Network=<owner_network>) (checked before any write); an ACL this run creates gets them.
      - The security stage sets it, so its entries are only ever written to the site's own private ACL.
    type: str
  allow_open_cidr:
    description:
      - Allow V(allow) entries to or from every address (an IPv4 or IPv6 prefix of length 0). Refused by default.
      - V(deny) entries with an open CIDR are always accepted.
    type: bool
    default: false
notes:
  - Changes are applied replacements first, then creations, then deletions, so traffic that stays
    allowed is not interrupted; when the creations would exceed O(max_entries) in a direction,
    that direction's deletions run first.
  - The emulator (moto) accepts deleting rule 32767 and returns no 32767 entries for new ACLs;
    this module never touches that rule.
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: Private-subnet ACL for the peering, rules 100-999 are ours
  netsec.aws_peering.network_acl:
    vpc_id: "{{ vpc_id }}"
    name: app-private-nacl
    subnet_ids: "{{ private_subnet_ids }}"
    managed_rule_range: [100, 999]
    entries: "{{ peer_cidrs | netsec.aws_peering.nacl_entries([443, 5432], vpc_cidr, service_cidrs=endpoint_cidrs) }}"
    tags:
      Owner: netsec

- name: Hand-written entries
  netsec.aws_peering.network_acl:
    vpc_id: vpc-0123456789abcdef0
    name: db-nacl
    entries:
      - {rule_number: 100, protocol: tcp, rule_action: allow, cidr_block: 10.20.0.0/24, port_from: 5432, port_to: 5432}
      - {rule_number: 100, egress: true, protocol: tcp, rule_action: allow, cidr_block: 10.20.0.0/24,
         port_from: 32768, port_to: 65535}

- name: Strip the allow-all entries (rule 100 in and out) from the VPC's default ACL
  netsec.aws_peering.network_acl:
    vpc_id: vpc-0123456789abcdef0
    default: true
    name: default-deny
    entries: []

- name: Delete the ACL, moving its subnets back to the default ACL
  netsec.aws_peering.network_acl:
    vpc_id: vpc-0123456789abcdef0
    name: app-private-nacl
    state: absent
"""

RETURN = r"""
nacl:
  description: The ACL after the run (the would-be state in check mode); empty after deletion.
  returned: always
  type: dict
  contains:
    nacl_id:
      description: ACL ID (V(null) when it would be created in check mode).
      type: str
      sample: acl-0123456789abcdef0
    vpc_id:
      description: VPC ID.
      type: str
      sample: vpc-0123456789abcdef0
    is_default:
      description: Whether this is the VPC's default ACL.
      type: bool
    entries:
      description: All entries except rule 32767, in the module's O(entries) form, sorted by direction and rule number.
      type: list
      elements: dict
      sample:
        - {rule_number: 100, egress: false, protocol: tcp, rule_action: allow, cidr_block: 10.20.0.0/24,
           port_from: 443, port_to: 443}
    associations:
      description: IDs of the subnets associated with the ACL, sorted.
      type: list
      elements: str
      sample: [subnet-0123456789abcdef0]
    tags:
      description: Tags of the ACL.
      type: dict
      sample: {Name: app-private-nacl}
changes:
  description: Entries created, replaced and deleted, subnets associated and moved back to the default ACL.
  returned: always
  type: dict
  sample: {acl: null, tags: false, created: [], replaced: [], deleted: [], subnets_associated: [], subnets_released: []}
state:
  description: C(network_acls), every network ACL of the ACL's VPC after the run in the shape of
    M(netsec.aws_peering.site_info) (before it, in check mode).
  returned: always
  type: dict
diff:
  description: Before and after entries, subnets and tags (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import all_pages
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import plain
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import retry_also_on
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import CATCH_ALL_RULE
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import EntryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import check_limit
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import count_by_direction
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import direction
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import entry_from_aws
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import entry_line
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import entry_to_api
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import plan_entries
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import sort_entries
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import validate_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import validate_range


# moto answers an unknown ACL ID with InvalidRouteTableID.NotFound
NOT_FOUND = ("InvalidNetworkAclID.NotFound", "InvalidRouteTableID.NotFound")


class NetworkAclManager:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.client = module.client("ec2", retry_decorator=RETRY)
        self.check_mode = module.check_mode
        self.changes = {
            "acl": None,
            "tags": False,
            "created": [],
            "replaced": [],
            "deleted": [],
            "subnets_associated": [],
            "subnets_released": [],
        }

    # ---- reads -------------------------------------------------------
    def describe(self, **kwargs):
        try:
            return all_pages(self.client, "describe_network_acls", **kwargs)["NetworkAcls"]
        except is_boto3_error_code(NOT_FOUND):
            return []
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to describe network ACLs ({kwargs})")
        return []  # not reached: fail_json_aws exits

    def find_acl(self):
        nacl_id, vpc_id, name = self.params["nacl_id"], self.params["vpc_id"], self.params["name"]
        if nacl_id:
            acls = self.describe(NetworkAclIds=[nacl_id])
            if acls and vpc_id and acls[0]["VpcId"] != vpc_id:
                self.module.fail_json(msg=f"nacl_id {nacl_id} belongs to {acls[0]['VpcId']}, not to vpc_id {vpc_id}")
            return acls[0] if acls else None
        if self.params["default"]:
            acls = self.describe(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}])
            acls = [a for a in acls if a.get("IsDefault")]
            if not acls:
                self.module.fail_json(msg=f"No default network ACL found for vpc_id {vpc_id} (does the VPC exist?)")
            return acls[0]
        acls = self.describe(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "tag:Name", "Values": [name]}])
        if len(acls) > 1:
            ids = sorted(a["NetworkAclId"] for a in acls)
            self.module.fail_json(msg=f"name {name!r} matches several ACLs in {vpc_id}: {ids}; use nacl_id")
        return acls[0] if acls else None

    def default_acl(self, vpc_id):
        acls = self.describe(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}])
        acls = [a for a in acls if a.get("IsDefault")]
        if not acls:
            self.module.fail_json(msg=f"No default network ACL found for vpc_id {vpc_id}")
        return acls[0]

    def check_vpc(self, vpc_id):
        try:
            self.client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)
        except is_boto3_error_code("InvalidVpcID.NotFound"):
            self.module.fail_json(msg=f"vpc_id {vpc_id} does not exist")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Failed to describe vpc_id {vpc_id}")

    def check_subnets(self, subnet_ids, vpc_id):
        if not subnet_ids:
            return
        try:
            subnets = self.client.describe_subnets(
                Filters=[{"Name": "subnet-id", "Values": subnet_ids}], aws_retry=True
            )["Subnets"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to describe subnet_ids {subnet_ids}")
        found = {s["SubnetId"]: s["VpcId"] for s in subnets}
        missing = [s for s in subnet_ids if s not in found]
        if missing:
            self.module.fail_json(msg=f"subnet_ids {missing} do not exist")
        foreign = [s for s in subnet_ids if found[s] != vpc_id]
        if foreign:
            self.module.fail_json(msg=f"subnet_ids {foreign} are not in vpc_id {vpc_id}")

    def associations_of(self, subnet_ids):
        """Map subnet ID -> (association ID, ACL ID) for the given subnets."""
        if not subnet_ids:
            return {}
        acls = self.describe(Filters=[{"Name": "association.subnet-id", "Values": list(subnet_ids)}])
        out = {}
        for acl in acls:
            for assoc in acl.get("Associations", []):
                if assoc.get("SubnetId") in subnet_ids:
                    out[assoc["SubnetId"]] = (assoc["NetworkAclAssociationId"], acl["NetworkAclId"])
        return out

    # ---- writes ------------------------------------------------------
    def call(self, method, what, **kwargs):
        try:
            return getattr(self.client, method)(aws_retry=True, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Failed to {what}", changes=self.changes)
        return None  # not reached: fail_json_aws exits

    def move_subnets(self, subnet_ids, target_acl_id, bucket):
        assocs = self.associations_of(subnet_ids)
        for subnet in sorted(subnet_ids):
            if subnet not in assocs:
                self.module.fail_json(msg=f"subnet {subnet} has no network ACL association", changes=self.changes)
            assoc_id, current = assocs[subnet]
            if current == target_acl_id:
                continue
            if not self.check_mode:
                self.call(
                    "replace_network_acl_association",
                    f"associate subnet {subnet} with {target_acl_id}",
                    AssociationId=assoc_id,
                    NetworkAclId=target_acl_id,
                )
            self.changes[bucket].append(subnet)

    def apply_entries(self, nacl_id, plan, current):
        max_entries = self.params["max_entries"]
        for entry in plan["replace"]:
            if not self.check_mode:
                self.call(
                    "replace_network_acl_entry",
                    f"replace {direction(entry['egress'])} rule {entry['rule_number']} of {nacl_id}",
                    **entry_to_api(entry, nacl_id),
                )
            self.changes["replaced"].append(entry)
        counts = count_by_direction(current)
        for way in ("ingress", "egress"):
            creates = [e for e in plan["create"] if direction(e["egress"]) == way]
            deletes = [e for e in plan["delete"] if direction(e["egress"]) == way]
            if counts[way] + len(creates) > max_entries:
                steps = [("delete", deletes), ("create", creates)]
            else:
                steps = [("create", creates), ("delete", deletes)]
            for action, entries in steps:
                for entry in entries:
                    if action == "create":
                        if not self.check_mode:
                            self.call(
                                "create_network_acl_entry",
                                f"create {way} rule {entry['rule_number']} in {nacl_id}",
                                **entry_to_api(entry, nacl_id),
                            )
                        self.changes["created"].append(entry)
                    else:
                        if not self.check_mode:
                            self.call(
                                "delete_network_acl_entry",
                                f"delete {way} rule {entry['rule_number']} of {nacl_id}",
                                NetworkAclId=nacl_id,
                                RuleNumber=entry["rule_number"],
                                Egress=entry["egress"],
                            )
                        self.changes["deleted"].append(entry)

    # ---- helpers -----------------------------------------------------
    def check_owner(self, acl):
        network = self.params["owner_network"]
        if not network or acl is None:
            return
        tags = boto3_tag_list_to_ansible_dict(acl.get("Tags", []))
        if tags.get("ManagedBy") != "netsec.aws_peering" or tags.get("Network") != network:
            self.module.fail_json(msg=f"{acl['NetworkAclId']} does not carry ManagedBy=netsec.aws_peering and Network={network}: "
                                      "it is not ours and is left unchanged")

    def desired_tags(self):
        tags, name = self.params["tags"], self.params["name"]
        network = self.params["owner_network"]
        if tags is None and name is None and not network:
            return None
        out = dict(tags or {})
        if name is not None:
            out["Name"] = name
        if network:
            out.update({"ManagedBy": "netsec.aws_peering", "Network": network})
        return out

    @staticmethod
    def view(acl):
        if not acl:
            return {}
        return {
            "nacl_id": acl.get("NetworkAclId"),
            "vpc_id": acl.get("VpcId"),
            "is_default": bool(acl.get("IsDefault")),
            "entries": sort_entries(
                entry_from_aws(e) for e in acl.get("Entries", []) if int(e["RuleNumber"]) != CATCH_ALL_RULE
            ),
            "associations": sorted(a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId")),
            "tags": boto3_tag_list_to_ansible_dict(acl.get("Tags", [])),
        }

    def finish(self, before, after):
        changed = any(self.changes.values()) or before != after
        vpc_id = (after or before or {}).get("vpc_id") or self.params["vpc_id"]
        acls = self.describe(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]) if vpc_id else []
        result = {"changed": changed, "nacl": after, "changes": self.changes,
                  "state": {"network_acls": [plain(a) for a in acls if a.get("VpcId") == vpc_id]}}
        if self.module._diff:
            result["diff"] = {"before": diff_view(before), "after": diff_view(after)}
        self.module.exit_json(**result)

    # ---- states ------------------------------------------------------
    def present(self):
        params = self.params
        try:
            rule_range = validate_range(params["managed_rule_range"])
            desired = None
            if params["entries"] is not None:
                desired = validate_desired(params["entries"], rule_range, params["allow_open_cidr"])
        except EntryError as e:
            self.module.fail_json(msg=str(e))
        if params["max_entries"] < 1:
            self.module.fail_json(msg=f"max_entries {params['max_entries']} must be at least 1")

        acl = self.find_acl()
        if acl is None and params["nacl_id"]:
            self.module.fail_json(msg=f"nacl_id {params['nacl_id']} does not exist")
        self.check_owner(acl)
        vpc_id = acl["VpcId"] if acl else params["vpc_id"]
        if acl is None:
            self.check_vpc(vpc_id)
        subnet_ids = params["subnet_ids"]
        if subnet_ids is not None:
            subnet_ids = sorted(set(subnet_ids))
            self.check_subnets(subnet_ids, vpc_id)

        before = self.view(acl)
        current = before.get("entries", [])
        plan = {"create": [], "replace": [], "delete": [], "after": current}
        if desired is not None:
            plan = plan_entries(current, desired, rule_range, params["purge_entries"])
            try:
                check_limit(plan["after"], params["max_entries"], rule_range)
            except EntryError as e:
                self.module.fail_json(msg=str(e))

        tags = self.desired_tags()
        tags_to_set, tags_to_unset = {}, []
        if tags is not None:
            purge = params["purge_tags"] if params["tags"] is not None else False
            tags_to_set, tags_to_unset = compare_aws_tags(before.get("tags", {}), tags, purge)

        # --- writes start here ---
        if acl is None:
            nacl_id = None
            if not self.check_mode:
                kwargs = {"VpcId": vpc_id}
                if tags:
                    kwargs["TagSpecifications"] = boto3_tag_specifications(tags, ["network-acl"])
                acl = self.call("create_network_acl", f"create a network ACL in {vpc_id}", **kwargs)["NetworkAcl"]
                nacl_id = acl["NetworkAclId"]
                # Wait until the new ACL is visible before adding entries.
                retry_also_on(*NOT_FOUND)(self.client.describe_network_acls)(
                    NetworkAclIds=[nacl_id]
                )
            self.changes["acl"] = "created"
            tags_to_set, tags_to_unset = {}, []
        else:
            nacl_id = acl["NetworkAclId"]

        if tags_to_unset and not self.check_mode:
            self.call("delete_tags", f"remove tags from {nacl_id}", Resources=[nacl_id],
                      Tags=[{"Key": k} for k in tags_to_unset])
        if tags_to_set and not self.check_mode:
            self.call("create_tags", f"tag {nacl_id}", Resources=[nacl_id],
                      Tags=ansible_dict_to_boto3_tag_list(tags_to_set))

        if desired is not None:
            self.apply_entries(nacl_id, plan, current)

        if subnet_ids is not None:
            if nacl_id is not None:
                self.move_subnets(subnet_ids, nacl_id, "subnets_associated")
            else:
                self.changes["subnets_associated"].extend(subnet_ids)
            if params["purge_subnets"] and not before.get("is_default"):
                stale = [s for s in before.get("associations", []) if s not in subnet_ids]
                if stale:
                    self.move_subnets(stale, self.default_acl(vpc_id)["NetworkAclId"], "subnets_released")

        if self.check_mode or nacl_id is None:
            after = dict(before) if before else {
                "nacl_id": None, "vpc_id": vpc_id, "is_default": False, "entries": [], "associations": [], "tags": {},
            }
            after["entries"] = plan["after"]
            assoc = set(after["associations"]) - set(self.changes["subnets_released"])
            assoc |= set(self.changes["subnets_associated"])
            after["associations"] = sorted(assoc)
            new_tags = dict(after["tags"])
            for key in tags_to_unset:
                new_tags.pop(key, None)
            new_tags.update(tags_to_set)
            if not before and tags:
                new_tags = dict(tags)
            after["tags"] = new_tags
        else:
            after = self.view(self.describe(NetworkAclIds=[nacl_id])[0])
        if tags_to_set or tags_to_unset:
            self.changes["tags"] = True
        self.finish(before, after)

    def absent(self):
        if self.params["default"]:
            self.module.fail_json(msg="default=true: the VPC's default network ACL cannot be deleted (state=absent)")
        acl = self.find_acl()
        if acl is None:
            self.module.exit_json(changed=False, nacl={}, changes=self.changes,
                                  **({"diff": {"before": {}, "after": {}}} if self.module._diff else {}))
        if acl.get("IsDefault"):
            self.module.fail_json(msg=f"{acl['NetworkAclId']} is the default ACL of {acl['VpcId']} and cannot be deleted")
        self.check_owner(acl)
        before = self.view(acl)
        nacl_id = acl["NetworkAclId"]
        if before["associations"]:
            self.move_subnets(before["associations"], self.default_acl(acl["VpcId"])["NetworkAclId"], "subnets_released")
        if not self.check_mode:
            self.call("delete_network_acl", f"delete {nacl_id}", NetworkAclId=nacl_id)
        self.changes["acl"] = "deleted"
        self.finish(before, {})


def diff_view(view):
    if not view:
        return {}
    return {
        "nacl_id": view.get("nacl_id"),
        "entries": [entry_line(e) for e in view.get("entries", [])],
        "subnets": view.get("associations", []),
        "tags": view.get("tags", {}),
    }


def main():
    entry_spec = dict(
        rule_number=dict(type="int", required=True),
        egress=dict(type="bool", default=False),
        protocol=dict(type="str", default="all"),
        rule_action=dict(type="str", required=True, choices=["allow", "deny"]),
        cidr_block=dict(type="str"),
        ipv6_cidr_block=dict(type="str"),
        port_from=dict(type="int"),
        port_to=dict(type="int"),
        icmp_type=dict(type="int"),
        icmp_code=dict(type="int"),
    )
    argument_spec = dict(
        vpc_id=dict(type="str"),
        name=dict(type="str"),
        nacl_id=dict(type="str"),
        default=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        subnet_ids=dict(type="list", elements="str"),
        purge_subnets=dict(type="bool", default=False),
        entries=dict(type="list", elements="dict", options=entry_spec),
        purge_entries=dict(type="bool", default=True),
        managed_rule_range=dict(type="list", elements="int", default=[1, 32766]),
        max_entries=dict(type="int", default=20),
        allow_open_cidr=dict(type="bool", default=False),
        owner_network=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["default"] and params["nacl_id"]:
        module.fail_json(msg=f"nacl_id {params['nacl_id']} and default=true are mutually exclusive")
    if not (params["name"] or params["nacl_id"] or params["default"]):
        module.fail_json(msg="one of name, nacl_id or default=true is required")
    if not params["nacl_id"] and not params["vpc_id"]:
        what = "default=true" if params["default"] else f"name {params['name']!r}"
        module.fail_json(msg=f"vpc_id is required with {what}")

    manager = NetworkAclManager(module)
    if params["state"] == "present":
        manager.present()
    else:
        manager.absent()


if __name__ == "__main__":
    main()
