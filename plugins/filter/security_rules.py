# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters that build whitelist network ACL entries and security-group rules for a peering.

Thin wrappers: the rule builders live in ``plugins/module_utils/security_plan.py``, which the security
stage's planner uses too, so the filters, the planner and the converge modules share one implementation
and one numbering scheme (described there). Every error is an AnsibleFilterError naming the bad value.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
security_plan = lazy_module("security_plan")
network_acl = lazy_module("network_acl")


def _call(function, *args, **kwargs):
    try:
        return function(*(native(a) for a in args), **{k: native(v) for k, v in kwargs.items()})
    except security_plan.RuleError as e:
        raise AnsibleFilterError(str(e)) from None


def nacl_entries(peer_cidrs, ports, vpc_cidr, ephemeral_range=None, service_cidrs=None, extra_entries=None,
                 base_rule_number=100, step=10, collapse=True):
    """Network ACL entries for the private subnets of a peered VPC (numbering: see security_plan)."""
    return _call(security_plan.nacl_entries, peer_cidrs, ports, vpc_cidr, ephemeral_range=ephemeral_range,
                 service_cidrs=service_cidrs, extra_entries=extra_entries, base_rule_number=base_rule_number, step=step,
                 collapse=collapse)


def nacl_entry_count(entries):
    """{'ingress': n, 'egress': n} for a list of network_acl entries (limit checks)."""
    return _call(security_plan.nacl_entry_count, entries)


def sg_rules(peer_cidrs, ports, vpc_cidr=None, prefix_list_ids=None, intra_vpc=True):
    """Security-group rules in amazon.aws.ec2_security_group ``rules``/``rules_egress`` form."""
    return _call(security_plan.sg_rules, peer_cidrs, ports, vpc_cidr=vpc_cidr, prefix_list_ids=prefix_list_ids, intra_vpc=intra_vpc)


def collapse_cidrs(cidrs):
    """The same addresses as `cidrs` in the fewest CIDRs (contiguous subnets merge)."""
    return _call(security_plan.collapse_cidrs, cidrs)


def _flatten(value, what):
    try:
        return security_plan._flatten(value, what)  # pylint: disable=protected-access
    except security_plan.RuleError as e:
        raise AnsibleFilterError(str(e)) from None


def _cidrs_of(rule):
    """Every CIDR a NACL entry or SG rule refers to, in any of the supported spellings."""
    cidrs = []
    for key in ("cidr_block", "ipv6_cidr_block", "CidrBlock", "Ipv6CidrBlock", "cidr_ip", "cidr_ipv6"):
        if rule.get(key):
            cidrs += _flatten(rule[key], key)
    for key, inner in (("ip_ranges", "cidr_ip"), ("IpRanges", "CidrIp"),
                       ("ipv6_ranges", "cidr_ipv6"), ("Ipv6Ranges", "CidrIpv6")):
        for item in rule.get(key) or []:
            if isinstance(item, dict) and item.get(inner):
                cidrs.append(to_text(item[inner]))
    return cidrs


def open_cidr_rules(rules):
    """The rules or entries that allow traffic to or from 0.0.0.0/0 or ::/0.

    Accepts network_acl entries, ec2_vpc_nacl_info list entries, ec2_security_group rules, ec2_security_group_info
    ``ip_permissions`` and boto3 entries/permissions, as a list or as the
    ``{'ingress': [...], 'egress': [...]}`` dict of sg_rules. Deny entries are skipped.
    """
    if isinstance(rules, dict):
        if not set(rules) <= {"ingress", "egress"}:
            rules = [rules]
        else:
            rules = list(rules.get("ingress") or []) + list(rules.get("egress") or [])
    if not isinstance(rules, (list, tuple)):
        raise AnsibleFilterError(f"open_cidr_rules: {rules!r} is not a list of rules")
    found = []
    for index, rule in enumerate(rules):
        if isinstance(rule, (list, tuple)) and len(rule) >= 4:
            # amazon.aws.ec2_vpc_nacl_info entry: [rule_number, protocol, action, cidr, ...]
            if to_text(rule[2]).lower() == "allow" and network_acl.is_open_cidr(rule[3]):
                found.append(rule)
            continue
        if not isinstance(rule, dict):
            raise AnsibleFilterError(f"open_cidr_rules: rules[{index}] {rule!r} is not a dict")
        action = to_text(rule.get("rule_action", rule.get("RuleAction", "allow"))).lower()
        if action == "deny":
            continue
        if any(network_acl.is_open_cidr(c) for c in _cidrs_of(rule)):
            found.append(rule)
    return found


class FilterModule:
    def filters(self):
        return {
            "nacl_entries": nacl_entries,
            "nacl_entry_count": nacl_entry_count,
            "sg_rules": sg_rules,
            "open_cidr_rules": open_cidr_rules,
            "collapse_cidrs": collapse_cidrs,
        }
