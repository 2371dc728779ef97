# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters that build whitelist network ACL entries and security-group rules for a peering.

Pure Python (stdlib ipaddress); every error is an AnsibleFilterError naming the bad value.

nacl_entries numbering scheme
-----------------------------
Inbound and outbound entries are numbered independently. In each direction the
entries are laid out in a fixed category order, each category walking its
inputs in sorted order (CIDRs by address family, address and prefix length,
ports ascending), and the i-th entry (0-based) gets
``base_rule_number + i * step``:

inbound (egress=false)
  1. all protocols from each VPC CIDR (intra-VPC)
  2. TCP <port> from <peer CIDR>, for each port, for each peer CIDR
  3. TCP ephemeral range from each peer CIDR (return traffic)
  4. TCP ephemeral range from each service (S3/DynamoDB prefix-list) CIDR
  5. extra entries without a rule_number, sorted
outbound (egress=true)
  1. all protocols to each VPC CIDR (intra-VPC)
  2. TCP <port> to <peer CIDR>, for each port, for each peer CIDR
  3. TCP ephemeral range to each peer CIDR (return traffic for the peer's connections)
  4. TCP 443 to each service CIDR
  5. extra entries without a rule_number, sorted

Duplicates (the same CIDR given twice, a CIDR in two roles) are dropped before
numbering. The numbers depend only on the set of inputs, never on their order,
so a re-run yields identical entries; adding an input renumbers the entries
after it (the network_acl module then replaces them in place). Extra entries
that carry a rule_number keep it; a collision with a generated number is an
error (put extra deny rules below base_rule_number so that they take effect).
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import EntryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import MAX_RULE
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import normalize_entry

ADMIN_PORTS = (22, 3389)
_PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]+$")


# ---- input helpers -----------------------------------------------------------
def _flatten(value, what):
    """A string or a (possibly nested) list of strings -> flat list of strings."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)):
        return [to_text(value)]
    if isinstance(value, (list, tuple, set)):
        out = []
        for item in value:
            out.extend(_flatten(item, what))
        return out
    raise AnsibleFilterError(f"{what}: {value!r} is not a string or a list of strings")


def _network(cidr, what):
    text = to_text(cidr).strip()
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as e:
        raise AnsibleFilterError(f"{what}: {cidr!r} is not a valid network CIDR ({e})") from None
    if net.prefixlen == 0:
        raise AnsibleFilterError(f"{what}: {cidr!r} is open to the whole internet; whitelist rules refuse it")
    return net


def _net_key(net):
    return (net.version, int(net.network_address), net.prefixlen)


def _networks(value, what):
    """Validated, de-duplicated, sorted networks."""
    nets = {}
    for cidr in _flatten(value, what):
        net = _network(cidr, what)
        nets[str(net)] = net
    return sorted(nets.values(), key=_net_key)


def _collapsed(nets):
    """The same addresses in the fewest networks (adjacent subnets merge: two /24 -> one /23).

    Network ACLs hold 20 entries per direction by default, so a hub peered with several
    spokes only fits when each spoke's contiguous private subnets share entries. Nothing
    outside the given networks is ever covered.
    """
    merged = []
    for version in (4, 6):
        merged += list(ipaddress.collapse_addresses([net for net in nets if net.version == version]))
    return sorted(merged, key=_net_key)


def _ports(value, what="ports"):
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple, set)):
        raise AnsibleFilterError(f"{what}: {value!r} is not a list of ports")
    out = set()
    for port in value:
        try:
            if isinstance(port, bool):
                raise ValueError
            number = int(to_text(port).strip())
        except (TypeError, ValueError):
            raise AnsibleFilterError(f"{what}: {port!r} is not a port number") from None
        if not 1 <= number <= 65535:
            raise AnsibleFilterError(f"{what}: port {port!r} is outside 1..65535")
        out.add(number)
    return sorted(out)


def _int(value, what, low, high):
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{what}: {value!r} is not an integer") from None
    if not low <= number <= high:
        raise AnsibleFilterError(f"{what}: {value!r} is outside {low}..{high}")
    return number


def _ephemeral(value):
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise AnsibleFilterError(f"ephemeral_range: {value!r} must be a list [low, high]")
    low = _int(value[0], "ephemeral_range low", 1, 65535)
    high = _int(value[1], "ephemeral_range high", 1, 65535)
    if low > high:
        raise AnsibleFilterError(f"ephemeral_range: {list(value)!r} has low greater than high")
    opened = [p for p in ADMIN_PORTS if low <= p <= high]
    if opened:
        raise AnsibleFilterError(
            f"ephemeral_range: {list(value)!r} contains admin port(s) {opened}; the ephemeral range must keep"
            " them closed (use e.g. [32768, 65535])"
        )
    return low, high


def _cidr_key_name(net):
    return "cidr_block" if net.version == 4 else "ipv6_cidr_block"


def _entry(egress, net, protocol="tcp", ports=None):
    entry = {"egress": egress, "protocol": protocol, "rule_action": "allow", _cidr_key_name(net): str(net)}
    if ports is not None:
        entry["port_from"], entry["port_to"] = ports
    return entry


def _content_key(entry):
    return tuple(sorted((k, to_text(v)) for k, v in entry.items() if k != "rule_number"))


# ---- filters ---------------------------------------------------------------
def nacl_entries(peer_cidrs, ports, vpc_cidr, ephemeral_range=None, service_cidrs=None, extra_entries=None,
                 base_rule_number=100, step=10, collapse=True):
    """Network ACL entries for the private subnets of a peered VPC (see the module docstring).

    collapse: merge contiguous peer CIDRs into fewer entries. A caller that grants
    different ports to different peers collapses each peer's CIDRs itself (filter
    collapse_cidrs) and passes collapse=false, so no entry spans two peers.
    """
    peers = _networks(peer_cidrs, "peer_cidrs")
    if collapse:
        peers = _collapsed(peers)
    if not peers:
        raise AnsibleFilterError("peer_cidrs: at least one peer CIDR is required")
    port_list = _ports(ports)
    if not port_list:
        raise AnsibleFilterError("ports: at least one port is required")
    vpcs = _networks(vpc_cidr, "vpc_cidr")
    if not vpcs:
        raise AnsibleFilterError("vpc_cidr: the VPC CIDR is required")
    eph = _ephemeral([32768, 65535] if ephemeral_range is None else ephemeral_range)
    services = _collapsed(_networks(service_cidrs or [], "service_cidrs"))
    base = _int(base_rule_number, "base_rule_number", 1, MAX_RULE)
    step = _int(step, "step", 1, MAX_RULE)

    plan = {False: [], True: []}
    for egress in (False, True):
        plan[egress] += [_entry(egress, net, protocol="all") for net in vpcs]
        plan[egress] += [_entry(egress, net, ports=(port, port)) for port in port_list for net in peers]
        plan[egress] += [_entry(egress, net, ports=eph) for net in peers]
    plan[False] += [_entry(False, net, ports=eph) for net in services]
    plan[True] += [_entry(True, net, ports=(443, 443)) for net in services]

    fixed = []
    if extra_entries is not None and not isinstance(extra_entries, (list, tuple)):
        raise AnsibleFilterError(f"extra_entries: {extra_entries!r} is not a list of entries")
    numbered_extras = []
    for index, raw in enumerate(extra_entries or []):
        if not isinstance(raw, dict):
            raise AnsibleFilterError(f"extra_entries[{index}]: {raw!r} is not a dict")
        try:
            entry = normalize_entry(raw, index, prefix="extra_entries", numbered=bool(raw.get("rule_number")))
        except EntryError as e:
            raise AnsibleFilterError(str(e)) from None
        cidr = entry.get("cidr_block") or entry.get("ipv6_cidr_block")
        _network(cidr, f"extra_entries[{index}]")
        if raw.get("rule_number"):
            fixed.append(entry)
        else:
            entry.pop("rule_number")
            numbered_extras.append(entry)
    for egress in (False, True):
        extras = [e for e in numbered_extras if e["egress"] is egress]
        plan[egress] += sorted(extras, key=_content_key)

    result = []
    taken = {(e["egress"], e["rule_number"]): e for e in fixed}
    if len(taken) != len(fixed):
        raise AnsibleFilterError("extra_entries: two entries share a rule_number in one direction")
    for egress in (False, True):
        seen = set()
        position = 0
        for entry in plan[egress]:
            key = _content_key(entry)
            if key in seen:
                continue
            seen.add(key)
            number = base + position * step
            position += 1
            if number > MAX_RULE:
                raise AnsibleFilterError(
                    f"nacl_entries: entry {position} would get rule number {number} > {MAX_RULE};"
                    f" lower base_rule_number ({base}) or step ({step})"
                )
            if (egress, number) in taken:
                raise AnsibleFilterError(
                    f"extra_entries: rule_number {number} ({'egress' if egress else 'ingress'}) collides with a"
                    " generated entry; number extra entries below base_rule_number"
                )
            result.append(dict(entry, rule_number=number))
    result += fixed
    order = ("rule_number", "egress", "protocol", "rule_action", "cidr_block", "ipv6_cidr_block",
             "port_from", "port_to", "icmp_type", "icmp_code")
    result = [{k: e[k] for k in order if k in e} for e in result]
    return sorted(result, key=lambda e: (e["egress"], e["rule_number"]))


def nacl_entry_count(entries):
    """{'ingress': n, 'egress': n} for a list of network_acl entries (limit checks)."""
    if not isinstance(entries, (list, tuple)):
        raise AnsibleFilterError(f"nacl_entry_count: {entries!r} is not a list of entries")
    counts = {"ingress": 0, "egress": 0}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise AnsibleFilterError(f"nacl_entry_count: entries[{index}] {entry!r} is not a dict")
        raw = entry.get("egress", entry.get("Egress", False))
        try:
            egress = boolean(raw, strict=True)
        except TypeError:
            raise AnsibleFilterError(f"nacl_entry_count: entries[{index}].egress {raw!r} is not a boolean") from None
        counts["egress" if egress else "ingress"] += 1
    return counts


def _sg_rule(net, port, desc):
    rule = {"proto": "tcp", "ports": [port]}
    rule["cidr_ip" if net.version == 4 else "cidr_ipv6"] = str(net)
    rule["rule_desc"] = desc
    return rule


def sg_rules(peer_cidrs, ports, vpc_cidr=None, prefix_list_ids=None, intra_vpc=True):
    """Security-group rules in amazon.aws.ec2_security_group ``rules``/``rules_egress`` form."""
    peers = _networks(peer_cidrs, "peer_cidrs")
    if not peers:
        raise AnsibleFilterError("peer_cidrs: at least one peer CIDR is required")
    port_list = _ports(ports)
    if not port_list:
        raise AnsibleFilterError("ports: at least one port is required")
    vpcs = _networks(vpc_cidr, "vpc_cidr") if vpc_cidr else []
    try:
        intra = boolean(intra_vpc, strict=True)
    except TypeError:
        raise AnsibleFilterError(f"intra_vpc: {intra_vpc!r} is not a boolean") from None
    pl_ids = sorted(set(_flatten(prefix_list_ids or [], "prefix_list_ids")))
    for pl_id in pl_ids:
        if not _PREFIX_LIST_ID.match(pl_id):
            raise AnsibleFilterError(f"prefix_list_ids: {pl_id!r} is not a prefix list ID (pl-...)")

    ingress, egress = [], []
    for port in port_list:
        for net in peers:
            ingress.append(_sg_rule(net, port, f"peer {net} tcp/{port}"))
            egress.append(_sg_rule(net, port, f"peer {net} tcp/{port}"))
        if intra:
            for net in vpcs:
                ingress.append(_sg_rule(net, port, f"intra-VPC {net} tcp/{port}"))
                egress.append(_sg_rule(net, port, f"intra-VPC {net} tcp/{port}"))
    # No rule_desc on prefix-list rules: ec2_security_group is not idempotent with one (emulator).
    egress += [{"proto": "tcp", "ports": [443], "ip_prefix": pl_id} for pl_id in pl_ids]
    return {"ingress": ingress, "egress": egress}


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


def _is_open(cidr):
    try:
        return ipaddress.ip_network(to_text(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def collapse_cidrs(cidrs):
    """The same addresses as `cidrs` in the fewest CIDRs (contiguous subnets merge)."""
    return [str(net) for net in _collapsed(_networks(cidrs, "cidrs"))]


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
            if to_text(rule[2]).lower() == "allow" and _is_open(to_text(rule[3])):
                found.append(rule)
            continue
        if not isinstance(rule, dict):
            raise AnsibleFilterError(f"open_cidr_rules: rules[{index}] {rule!r} is not a dict")
        action = to_text(rule.get("rule_action", rule.get("RuleAction", "allow"))).lower()
        if action == "deny":
            continue
        if any(_is_open(c) for c in _cidrs_of(rule)):
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
