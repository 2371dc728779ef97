# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security and endpoints stages' plans: whitelist security groups, the private ACL's entries, endpoints.

Pure functions, no AWS calls. The controller runs them through filters (``plugins/filter/security_plans.py``)
on the discovered site state (docs/dev/site-state.md); the converge modules run the same functions on what they
describe, so the plan ``--check --diff`` shows and what a run does never disagree:

* ``security_plan(state, spec, peer_states)``: the peering security group ``sg-peering-<network>-<suffix>``
  (rules from :func:`peering_group_rules`) and the private ACL's entries (:func:`peering_nacl_entries`).
  Group changes come from :func:`plan_security_groups` (module ``security_groups``), ACL changes from
  ``network_acl.plan_entries`` (module ``network_acl``).
* ``endpoints_plan(state, spec)``: the S3/DynamoDB gateway endpoints, the optional interface endpoints
  (``endpoints.plan_endpoints``, module ``vpc_gateway_endpoint``) and the interface endpoints' group.
* ``security_teardown_plan`` / ``endpoints_teardown_plan``: removal of what carries our ownership tags only.
* The rule builders the ``security_rules`` filters expose (``nacl_entries``, ``sg_rules``, ``collapse_cidrs``),
  kept here so that the filters and the planner share one implementation and one numbering scheme.

nacl_entries numbering scheme
-----------------------------
Inbound and outbound entries are numbered independently. In each direction the entries are laid out in a
fixed category order, each category walking its inputs in sorted order (CIDRs by address family, address and
prefix length, ports ascending), and the i-th entry (0-based) gets ``base_rule_number + i * step``:

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

Duplicates are dropped before numbering. The numbers depend only on the set of inputs, never on their order,
so a re-run yields identical entries. Extra entries that carry a rule_number keep it; a collision with a
generated number is an error. The security stage renders every peer CIDR and port, then drops the entries a
peering's ``direction`` or ``ports`` do not allow (their numbers stay unused, so the numbering does not depend
on the directions), and numbers extra entries with an open CIDR after the last generated entry.
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change
from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import tag_changes
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import EndpointError
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import plan_endpoints
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import service_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import MAX_RULE
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import EntryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import check_limit
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import entry_from_aws
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import entry_line
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import normalize_entry
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import plan_entries
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import validate_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import validate_range
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ACCOUNT_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PREFIX_LIST_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import is_ours
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import name_of
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.peering_intent import site_peerings
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import endpoint_policy

ADMIN_PORTS = (22, 3389)
DEFAULT_EPHEMERAL = (32768, 65535)
_PORT_SPEC = re.compile(r"^[0-9]+(-[0-9]+)?$")
EXTRA_VARS = ("security_extra_ingress_rules", "security_extra_egress_rules")
GONE_ENDPOINT_STATES = ("deleted", "deleting", "rejected", "failed", "expired")
# The egress rule AWS gives every new security group (all traffic to every IPv4 address). It is never
# granted: the plan only recognises it in order to revoke it in the run that creates the group.
AWS_DEFAULT_EGRESS = {"egress": True, "protocol": "-1", "from_port": None, "to_port": None,
                      "cidr_ip": str(ipaddress.IPv4Network((0, 0))), "description": None}


class RuleError(ValueError):
    """A bad input of a rule builder; the message names the value (the filters turn it into AnsibleFilterError)."""


# ---------------------------------------------------------------------------
# CIDR and port helpers
# ---------------------------------------------------------------------------

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
    raise RuleError(f"{what}: {value!r} is not a string or a list of strings")


def _network(cidr, what):
    text = to_text(cidr).strip()
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as e:
        raise RuleError(f"{what}: {cidr!r} is not a valid network CIDR ({e})") from None
    if net.prefixlen == 0:
        raise RuleError(f"{what}: {cidr!r} is open to the whole internet; whitelist rules refuse it")
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

    Network ACLs hold 20 entries per direction by default, so a hub peered with several spokes only fits
    when each spoke's contiguous private subnets share entries. Nothing outside the given networks is covered.
    """
    merged = []
    for version in (4, 6):
        merged += list(ipaddress.collapse_addresses([net for net in nets if net.version == version]))
    return sorted(merged, key=_net_key)


def _ports(value, what="ports"):
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple, set)):
        raise RuleError(f"{what}: {value!r} is not a list of ports")
    out = set()
    for port in value:
        try:
            if isinstance(port, bool):
                raise ValueError
            number = int(to_text(port).strip())
        except (TypeError, ValueError):
            raise RuleError(f"{what}: {port!r} is not a port number") from None
        if not 1 <= number <= 65535:
            raise RuleError(f"{what}: port {port!r} is outside 1..65535")
        out.add(number)
    return sorted(out)


def _int(value, what, low, high):
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(value)
    except (TypeError, ValueError):
        raise RuleError(f"{what}: {value!r} is not an integer") from None
    if not low <= number <= high:
        raise RuleError(f"{what}: {value!r} is outside {low}..{high}")
    return number


def parse_ephemeral_range(value):
    """(low, high) of a return-traffic range; it must keep the admin ports 22 and 3389 closed."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise RuleError(f"ephemeral_range: {value!r} must be a list [low, high]")
    low = _int(value[0], "ephemeral_range low", 1, 65535)
    high = _int(value[1], "ephemeral_range high", 1, 65535)
    if low > high:
        raise RuleError(f"ephemeral_range: {list(value)!r} has low greater than high")
    opened = [p for p in ADMIN_PORTS if low <= p <= high]
    if opened:
        raise RuleError(f"ephemeral_range: {list(value)!r} contains admin port(s) {opened}; the ephemeral range must keep"
                        " them closed (use e.g. [32768, 65535])")
    return low, high


def collapse_cidrs(cidrs):
    """The same addresses as ``cidrs`` in the fewest CIDRs (contiguous subnets merge)."""
    return [str(net) for net in _collapsed(_networks(cidrs, "cidrs"))]


# ---------------------------------------------------------------------------
# Network ACL entries (filter nacl_entries)
# ---------------------------------------------------------------------------

def _cidr_key_name(net):
    return "cidr_block" if net.version == 4 else "ipv6_cidr_block"


def _entry(egress, net, protocol="tcp", ports=None):
    entry = {"egress": egress, "protocol": protocol, "rule_action": "allow", _cidr_key_name(net): str(net)}
    if ports is not None:
        entry["port_from"], entry["port_to"] = ports
    return entry


def _content_key(entry):
    return tuple(sorted((k, to_text(v)) for k, v in entry.items() if k != "rule_number"))


def _extra_entries(extra_entries):
    """Validated extra entries: (those with a fixed rule_number, those to number)."""
    if extra_entries is not None and not isinstance(extra_entries, (list, tuple)):
        raise RuleError(f"extra_entries: {extra_entries!r} is not a list of entries")
    fixed, numbered = [], []
    for index, raw in enumerate(extra_entries or []):
        if not isinstance(raw, dict):
            raise RuleError(f"extra_entries[{index}]: {raw!r} is not a dict")
        try:
            entry = normalize_entry(raw, index, prefix="extra_entries", numbered=bool(raw.get("rule_number")))
        except EntryError as e:
            raise RuleError(str(e)) from None
        _network(entry.get("cidr_block") or entry.get("ipv6_cidr_block"), f"extra_entries[{index}]")
        if raw.get("rule_number"):
            fixed.append(entry)
        else:
            entry.pop("rule_number")
            numbered.append(entry)
    return fixed, numbered


def nacl_entries(peer_cidrs, ports, vpc_cidr, ephemeral_range=None, service_cidrs=None, extra_entries=None,
                 base_rule_number=100, step=10, collapse=True):
    """Network ACL entries for the private subnets of a peered VPC (see the module docstring).

    collapse: merge contiguous peer CIDRs into fewer entries. A caller that grants different ports to
    different peers collapses each peer's CIDRs itself and passes collapse=False, so no entry spans two peers.
    """
    peers = _networks(peer_cidrs, "peer_cidrs")
    if collapse:
        peers = _collapsed(peers)
    if not peers:
        raise RuleError("peer_cidrs: at least one peer CIDR is required")
    port_list = _ports(ports)
    if not port_list:
        raise RuleError("ports: at least one port is required")
    vpcs = _networks(vpc_cidr, "vpc_cidr")
    if not vpcs:
        raise RuleError("vpc_cidr: the VPC CIDR is required")
    eph = parse_ephemeral_range(list(DEFAULT_EPHEMERAL) if ephemeral_range is None else ephemeral_range)
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

    fixed, to_number = _extra_entries(extra_entries)
    for egress in (False, True):
        plan[egress] += sorted((e for e in to_number if e["egress"] is egress), key=_content_key)

    result = []
    taken = {(e["egress"], e["rule_number"]): e for e in fixed}
    if len(taken) != len(fixed):
        raise RuleError("extra_entries: two entries share a rule_number in one direction")
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
                raise RuleError(f"nacl_entries: entry {position} would get rule number {number} > {MAX_RULE};"
                                f" lower base_rule_number ({base}) or step ({step})")
            if (egress, number) in taken:
                raise RuleError(f"extra_entries: rule_number {number} ({'egress' if egress else 'ingress'}) collides with a"
                                " generated entry; number extra entries below base_rule_number")
            result.append(dict(entry, rule_number=number))
    result += fixed
    order = ("rule_number", "egress", "protocol", "rule_action", "cidr_block", "ipv6_cidr_block",
             "port_from", "port_to", "icmp_type", "icmp_code")
    result = [{k: e[k] for k in order if k in e} for e in result]
    return sorted(result, key=lambda e: (e["egress"], e["rule_number"]))


def nacl_entry_count(entries):
    """{'ingress': n, 'egress': n} for a list of network_acl entries (limit checks)."""
    if not isinstance(entries, (list, tuple)):
        raise RuleError(f"nacl_entry_count: {entries!r} is not a list of entries")
    counts = {"ingress": 0, "egress": 0}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise RuleError(f"nacl_entry_count: entries[{index}] {entry!r} is not a dict")
        raw = entry.get("egress", entry.get("Egress", False))
        try:
            egress = boolean(raw, strict=True)
        except TypeError:
            raise RuleError(f"nacl_entry_count: entries[{index}].egress {raw!r} is not a boolean") from None
        counts["egress" if egress else "ingress"] += 1
    return counts


# ---------------------------------------------------------------------------
# Security group rules: the peering rules (filter sg_rules) and one canonical rule form
# ---------------------------------------------------------------------------
# A rule is one permission of one target, the unit AWS authorizes and revokes:
#   {"egress": bool, "protocol": "tcp"|"udp"|"icmp"|"icmpv6"|"-1"|"<number>", "from_port": int|None,
#    "to_port": int|None, <target>: str, "description": str|None}
# with exactly one target among cidr_ip, cidr_ipv6, prefix_list_id, group_id.

TARGETS = (("cidr_ip", "IpRanges", "CidrIp"), ("cidr_ipv6", "Ipv6Ranges", "CidrIpv6"),
           ("prefix_list_id", "PrefixListIds", "PrefixListId"), ("group_id", "UserIdGroupPairs", "GroupId"))
_PROTOCOLS = {"all": "-1", "-1": "-1", "tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "icmp": "icmp", "1": "icmp",
              "icmpv6": "icmpv6", "58": "icmpv6"}


def _peer_rule(net, port, desc):
    return {"protocol": "tcp", "from_port": port, "to_port": port, _target_of(net): str(net), "description": desc}


def _target_of(net):
    return "cidr_ip" if net.version == 4 else "cidr_ipv6"


def peer_rules(peer_cidrs, ports, vpc_cidr=None, prefix_list_ids=None, intra_vpc=True):
    """The peering rules in canonical form, ``{"ingress": [...], "egress": [...]}`` (without ``egress`` keys).

    Ingress and egress: TCP each port with each peer CIDR (``peer <cidr> tcp/<port>``), and with the VPC CIDR
    when ``intra_vpc`` (``intra-VPC <cidr> tcp/<port>``); egress also TCP 443 to each prefix list (no
    description). Nothing to or from an open range (prefix length 0: an error).
    """
    peers = _networks(peer_cidrs, "peer_cidrs")
    if not peers:
        raise RuleError("peer_cidrs: at least one peer CIDR is required")
    port_list = _ports(ports)
    if not port_list:
        raise RuleError("ports: at least one port is required")
    vpcs = _networks(vpc_cidr, "vpc_cidr") if vpc_cidr else []
    try:
        intra = boolean(intra_vpc, strict=True)
    except TypeError:
        raise RuleError(f"intra_vpc: {intra_vpc!r} is not a boolean") from None
    pl_ids = sorted(set(_flatten(prefix_list_ids or [], "prefix_list_ids")))
    for pl_id in pl_ids:
        if not PREFIX_LIST_ID_RE.match(pl_id):
            raise RuleError(f"prefix_list_ids: {pl_id!r} is not a prefix list ID (pl-...)")
    ingress, egress = [], []
    for port in port_list:
        for net in peers:
            ingress.append(_peer_rule(net, port, f"peer {net} tcp/{port}"))
            egress.append(_peer_rule(net, port, f"peer {net} tcp/{port}"))
        if intra:
            for net in vpcs:
                ingress.append(_peer_rule(net, port, f"intra-VPC {net} tcp/{port}"))
                egress.append(_peer_rule(net, port, f"intra-VPC {net} tcp/{port}"))
    # No description on prefix-list rules: the emulator drops it (never idempotent with one).
    egress += [{"protocol": "tcp", "from_port": 443, "to_port": 443, "prefix_list_id": pl_id, "description": None}
               for pl_id in pl_ids]
    return {"ingress": ingress, "egress": egress}


def sg_rules(peer_cidrs, ports, vpc_cidr=None, prefix_list_ids=None, intra_vpc=True):
    """The peering rules in amazon.aws.ec2_security_group ``rules``/``rules_egress`` form (filter sg_rules)."""
    out = {}
    for way, rules in peer_rules(peer_cidrs, ports, vpc_cidr, prefix_list_ids, intra_vpc).items():
        out[way] = []
        for rule in rules:
            item = {"proto": rule["protocol"], "ports": [rule["from_port"]]}
            if rule.get("prefix_list_id"):
                item["ip_prefix"] = rule["prefix_list_id"]
            else:
                key = "cidr_ip" if rule.get("cidr_ip") else "cidr_ipv6"
                item[key] = rule[key]
                item["rule_desc"] = rule["description"]
            out[way].append(item)
    return out


def sg_rule(rule, where="rule", egress=None):
    """One rule in canonical form (validated); raises RuleError naming ``where`` and the bad value."""
    if not isinstance(rule, dict):
        raise RuleError(f"{where}: {rule!r} is not a dict")
    protocol = _PROTOCOLS.get(str(rule.get("protocol", "tcp") if rule.get("protocol") is not None else "tcp").strip().lower())
    if protocol is None:
        text = str(rule.get("protocol")).strip()
        if not text.isdigit() or int(text) > 255:
            raise RuleError(f"{where}.protocol: {rule.get('protocol')!r} must be tcp, udp, icmp, icmpv6, all or an IP protocol number")
        protocol = text
    from_port, to_port = rule.get("from_port"), rule.get("to_port")
    if protocol in ("tcp", "udp"):
        if from_port is None or to_port is None:
            raise RuleError(f"{where}: protocol {protocol} needs from_port and to_port")
        from_port, to_port = _int(from_port, f"{where}.from_port", 0, 65535), _int(to_port, f"{where}.to_port", 0, 65535)
        if from_port > to_port:
            raise RuleError(f"{where}: from_port {from_port} is greater than to_port {to_port}")
    elif protocol in ("icmp", "icmpv6"):
        from_port = -1 if from_port is None else _int(from_port, f"{where}.from_port (icmp type)", -1, 255)
        to_port = -1 if to_port is None else _int(to_port, f"{where}.to_port (icmp code)", -1, 255)
    else:
        from_port = to_port = None
    targets = [key for key, _list, _item in TARGETS if rule.get(key)]
    if len(targets) != 1:
        raise RuleError(f"{where}: exactly one of cidr_ip, cidr_ipv6, prefix_list_id, group_id is required, got {targets or 'none'}")
    target = targets[0]
    value = str(rule[target]).strip()
    if target in ("cidr_ip", "cidr_ipv6"):
        try:
            net = ipaddress.ip_network(value, strict=True)
        except ValueError as e:
            raise RuleError(f"{where}.{target}: {value!r} is not a valid network CIDR ({e})") from None
        if (net.version == 4) != (target == "cidr_ip"):
            raise RuleError(f"{where}.{target}: {value!r} is not an IPv{4 if target == 'cidr_ip' else 6} CIDR")
        value = str(net)
    description = rule.get("description")
    out = {"egress": bool(rule.get("egress") if egress is None else egress), "protocol": protocol, "from_port": from_port,
           "to_port": to_port, target: value, "description": str(description) if description else None}
    if target == "group_id" and rule.get("user_id"):
        out["user_id"] = str(rule["user_id"])
    return out


def _target(rule):
    for key, _list, _item in TARGETS:
        if rule.get(key):
            return key, rule[key]
    return None, None


def rule_key(rule):
    """What identifies a rule in its group: everything but the description."""
    kind, value = _target(rule)
    if kind in ("cidr_ip", "cidr_ipv6"):
        try:
            value = str(ipaddress.ip_network(value, strict=False))
        except ValueError:
            pass
    return (bool(rule["egress"]), rule["protocol"], rule.get("from_port"), rule.get("to_port"), kind, value)


def rule_text(rule):
    """``ingress tcp/443 10.1.0.0/24``, ``egress all 10.1.0.0/16``, ``ingress icmp type -1 code -1 10.9.0.0/16``."""
    kind, value = _target(rule)
    protocol = rule["protocol"]
    if protocol in ("tcp", "udp"):
        ports = f"{protocol}/{rule['from_port']}" + (f"-{rule['to_port']}" if rule["to_port"] != rule["from_port"] else "")
    elif protocol in ("icmp", "icmpv6"):
        ports = f"{protocol} type {rule['from_port']} code {rule['to_port']}"
    else:
        ports = "all" if protocol == "-1" else f"protocol {protocol}"
    return f"{'egress' if rule['egress'] else 'ingress'} {ports} {'group ' if kind == 'group_id' else ''}{value}"


def rules_of_group(group):
    """A described group's rules (IpPermissions and IpPermissionsEgress) in canonical form, one per target."""
    out = []
    for key, egress in (("IpPermissions", False), ("IpPermissionsEgress", True)):
        for perm in group.get(key) or []:
            protocol = _PROTOCOLS.get(str(perm.get("IpProtocol", "-1")).lower(), str(perm.get("IpProtocol")))
            ports = (perm.get("FromPort"), perm.get("ToPort")) if protocol in ("tcp", "udp", "icmp", "icmpv6") else (None, None)
            for target, list_key, item_key in TARGETS:
                for item in perm.get(list_key) or []:
                    rule = {"egress": egress, "protocol": protocol, "from_port": ports[0], "to_port": ports[1],
                            target: item.get(item_key), "description": item.get("Description") or None}
                    if target == "group_id" and item.get("UserId"):
                        rule["user_id"] = item["UserId"]
                    out.append(rule)
    return out


def ip_permissions(rules, descriptions=True):
    """The IpPermissions that authorize (or revoke) ``rules``: one permission per protocol and port range."""
    grouped = {}
    for rule in sorted(rules, key=lambda r: json.dumps(rule_key(r), default=str)):
        protocol = rule["protocol"]
        perm = grouped.setdefault((protocol, rule.get("from_port"), rule.get("to_port")), {"IpProtocol": protocol})
        if rule.get("from_port") is not None:
            perm["FromPort"], perm["ToPort"] = rule["from_port"], rule["to_port"]
        kind, value = _target(rule)
        list_key, item_key = next((lk, ik) for key, lk, ik in TARGETS if key == kind)
        item = {item_key: value}
        if kind == "group_id" and rule.get("user_id"):
            item["UserId"] = rule["user_id"]
        if descriptions and rule.get("description"):
            item["Description"] = rule["description"]
        perm.setdefault(list_key, []).append(item)
    return list(grouped.values())


# ---------------------------------------------------------------------------
# Security groups as a set: the plan module security_groups carries out
# ---------------------------------------------------------------------------

def owner_tags(network):
    return {OWNER_TAG: OWNER, "Network": network}


def desired_group(group, network, where="groups"):
    """A group of the module's ``groups`` option in canonical form (rules validated, de-duplicated, sorted)."""
    if not isinstance(group, dict) or not group.get("name"):
        raise RuleError(f"{where}: {group!r} must be a dict with a name")
    rules = {}
    for way in ("ingress", "egress"):
        for index, rule in enumerate(group.get(way) or []):
            canonical = sg_rule(rule, f"{where}.{way}[{index}]", egress=way == "egress")
            rules.setdefault(rule_key(canonical), canonical)
    tags = {str(k): str(v) for k, v in (group.get("tags") or {}).items()}
    tags.update(owner_tags(network), Name=group["name"])
    return {"name": group["name"], "description": group.get("description") or group["name"], "tags": tags,
            "rules": [rules[key] for key in sorted(rules, key=lambda k: json.dumps(k, default=str))]}


def _groups_named(state, name):
    return [g for g in state.get("security_groups") or [] if g.get("GroupName") == name]


def _rule_state(rule):
    return rule.get("description") or "allowed"


def plan_security_groups(state, groups, network, absent=False):
    """The changes that make the named security groups of the VPC match ``groups`` (or remove them).

    ``state``: the site state (``security_groups`` of the VPC, ``vpc``). ``groups``: the module's ``groups``
    option. A group is ours when it carries ``ManagedBy=netsec.aws_peering`` and ``Network=<network>``; a
    group of that name that is not ours is an error (present) or left alone (absent). Rules are compared per
    target with their descriptions; rules not wanted are revoked (the group is ours), descriptions are
    updated in place, tags are added or corrected, never removed. A new group gets AWS's default egress
    rule (AWS_DEFAULT_EGRESS), revoked in the same run. Returns ``{"errors": [...], "changes": [...]}``.
    """
    errors, changes = [], []
    for index, raw in enumerate(groups or []):
        try:
            group = desired_group(raw, network, f"groups[{index}]")
        except RuleError as e:
            errors.append(str(e))
            continue
        name = group["name"]
        found = _groups_named(state, name)
        mine = [g for g in found if is_ours(g, network)]
        if absent:
            changes.extend(change(f"security-group {g['GroupId']}", "delete", "group", name, None, id=g["GroupId"], name=name)
                           for g in mine)
            continue
        if found and not mine:
            errors.append(f"security group {name} ({found[0]['GroupId']}) already exists in {found[0].get('VpcId')} without the "
                          f"tags {OWNER_TAG}={OWNER}, Network={network}: it is someone else's; the collection never changes it")
            continue
        if not found:
            resource = f"security-group {name}"
            changes.append(change(resource, "create", "group", None, group["description"], name=name,
                                  spec={"name": name, "description": group["description"], "tags": group["tags"]}))
            for rule in group["rules"]:
                changes.append(change(resource, "update", rule_text(rule), None, _rule_state(rule), name=name, op="authorize",
                                      rule=rule))
            if rule_key(AWS_DEFAULT_EGRESS) not in {rule_key(r) for r in group["rules"]}:
                changes.append(change(resource, "update", rule_text(AWS_DEFAULT_EGRESS), "allowed (AWS adds it to a new group)", None,
                                      name=name, op="revoke", rule=dict(AWS_DEFAULT_EGRESS)))
            continue
        current = mine[0]
        group_id = current["GroupId"]
        resource = f"security-group {group_id}"
        changes.extend(dict(c, name=name) for c in tag_changes(resource, current.get("Tags"), group["tags"], group_id))
        have = {}
        for rule in rules_of_group(current):
            have.setdefault(rule_key(rule), rule)
        want = {rule_key(rule): rule for rule in group["rules"]}
        for key, rule in want.items():
            if key not in have:
                changes.append(change(resource, "update", rule_text(rule), None, _rule_state(rule), id=group_id, name=name,
                                      op="authorize", rule=rule))
            elif have[key].get("description") != rule.get("description"):
                changes.append(change(resource, "update", f"{rule_text(rule)} description", have[key].get("description"),
                                      rule.get("description"), id=group_id, name=name, op="describe", rule=rule))
        for key, rule in have.items():
            if key not in want:
                changes.append(change(resource, "update", rule_text(rule), _rule_state(rule), None, id=group_id, name=name,
                                      op="revoke", rule=rule))
    return {"errors": errors, "changes": changes}


# ---------------------------------------------------------------------------
# The site's pieces, as the plans need them
# ---------------------------------------------------------------------------

def private_subnets(state):
    """The site's private subnets: ours (ManagedBy, Network) and tagged Tier=private, sorted by CIDR."""
    network = (state or {}).get("network_name")
    subnets = [s for s in (state or {}).get("subnets") or [] if is_ours(s, network) and tag_dict(s.get("Tags")).get("Tier") == "private"]
    return sorted(subnets, key=lambda s: _net_key(ipaddress.ip_network(s["CidrBlock"])))


def private_route_tables(state):
    network = (state or {}).get("network_name")
    return sorted((t for t in (state or {}).get("route_tables") or []
                   if is_ours(t, network) and tag_dict(t.get("Tags")).get("Tier") == "private"), key=name_of)


def private_nacl(state, names):
    network = (state or {}).get("network_name")
    return [n for n in (state or {}).get("network_acls") or [] if is_ours(n, network) and name_of(n) == names["private_nacl"]]


def _prefix_lists(state, services):
    """{service: prefix list} of the region's AWS-managed prefix lists; missing services listed apart."""
    region = state.get("region")
    by_name = {p.get("PrefixListName"): p for p in state.get("prefix_lists") or []}
    found, missing = {}, []
    for service in services:
        plist = by_name.get(f"com.amazonaws.{region}.{service}")
        if plist is None:
            missing.append(f"com.amazonaws.{region}.{service}")
        else:
            found[service] = plist
    return found, missing


def _spec_names(spec):
    return site_names(spec["network_name"], spec["environment_suffix"])


def _base_tags(spec):
    return dict({str(k): str(v) for k, v in (spec.get("tags") or {}).items()}, **owner_tags(spec["network_name"]))


# ---------------------------------------------------------------------------
# Extra rules (brownfield traffic to keep) and open-CIDR exceptions
# ---------------------------------------------------------------------------

def _show(value):
    return json.dumps(value, default=str, sort_keys=True)


def extra_rules(spec):
    """The extra rules of the spec, validated: (normalised rules, errors, compliance exceptions).

    Each normalised rule: direction, cidr, cidr_key (cidr_block or ipv6_cidr_block), protocol (tcp, udp, icmp,
    all), ranges ([[low, high]]), open (an open range, prefix length 0), variable (where it came from).
    """
    errors, out, exceptions = [], [], []
    allowed_open = set(spec.get("open_cidr_exceptions") or [])
    for var, direction in zip(EXTRA_VARS, ("ingress", "egress")):
        rules = spec.get(var.replace("security_", ""), [])
        if not isinstance(rules, list):
            errors.append(f"{var}: {_show(rules)} must be a list of {{cidr, ports, protocol}}")
            continue
        for index, rule in enumerate(rules):
            where = f"{var}[{index}]"
            if not isinstance(rule, dict) or not isinstance(rule.get("cidr"), str):
                errors.append(f"{where}: {_show(rule)} must be a dict with a cidr string")
                continue
            proto = str(rule.get("protocol", "tcp")).lower()
            ports = rule.get("ports", [])
            problem = None
            if proto not in ("tcp", "udp", "icmp", "all", "-1"):
                problem = f"{where}.protocol: {_show(proto)} must be tcp, udp, icmp or all"
            elif not isinstance(ports, list):
                problem = f"{where}.ports: {_show(ports)} must be a list"
            elif proto in ("tcp", "udp") and not ports:
                problem = f"{where}.ports: protocol {proto} needs at least one port"
            elif proto not in ("tcp", "udp") and ports:
                problem = f"{where}.ports: {_show(ports)} apply only to tcp and udp, not to {proto}"
            if problem:
                errors.append(problem)
                continue
            ranges = []
            for port in ports:
                text = str(port)
                bounds = text.split("-")
                if not _PORT_SPEC.match(text) or int(bounds[0]) < 1 or int(bounds[-1]) > 65535 or int(bounds[0]) > int(bounds[-1]):
                    errors.append(f"{where}.ports: {_show(port)} must be a port 1-65535 or a range \"low-high\"")
                    continue
                ranges.append([int(bounds[0]), int(bounds[-1])])
            try:
                net = ipaddress.ip_network(rule["cidr"].strip(), strict=True)
            except ValueError as e:
                errors.append(f"{where}.cidr: {rule['cidr']!r} is not a valid network CIDR ({e})")
                continue
            opened = net.prefixlen == 0
            if opened and var not in allowed_open:
                errors.append(f"{where}.cidr: {rule['cidr']} is open to the internet; allowed only when {var} is listed in "
                              f"open_cidr_exceptions")
                continue
            if opened:
                exceptions.append(f"COMPLIANCE EXCEPTION on {spec.get('host')}: {var} opens {proto} {','.join(str(p) for p in ports)} "
                                  f"{'from' if direction == 'ingress' else 'to'} {rule['cidr']} (listed in open_cidr_exceptions).")
            out.append({"direction": direction, "cidr": str(net), "cidr_key": "cidr_block" if net.version == 4 else "ipv6_cidr_block",
                        "protocol": "all" if proto == "-1" else proto, "ranges": ranges, "open": opened, "variable": var})
    return out, errors, exceptions


def _extra_group_rules(extras):
    """Extra rules as group rules (stateful: one direction only), description ``extra <direction> <cidr>``."""
    out = []
    for extra in extras:
        base = {"egress": extra["direction"] == "egress", "cidr_ip" if extra["cidr_key"] == "cidr_block" else "cidr_ipv6": extra["cidr"],
                "description": f"extra {extra['direction']} {extra['cidr']}"}
        if extra["protocol"] in ("tcp", "udp"):
            out += [dict(base, protocol=extra["protocol"], from_port=low, to_port=high) for low, high in extra["ranges"]]
        elif extra["protocol"] == "icmp":
            out.append(dict(base, protocol="icmp", from_port=-1, to_port=-1))
        else:
            out.append(dict(base, protocol="-1", from_port=None, to_port=None))
    return out


def _extra_nacl_entries(extras, eph, return_traffic):
    """Extra rules as ACL entries (stateless: plus the return direction), split into closed and open CIDRs."""
    out = {"closed": [], "open": []}
    for extra in extras:
        egress = extra["direction"] == "egress"
        bucket = out["open" if extra["open"] else "closed"]
        base = {"rule_action": "allow", "protocol": extra["protocol"], extra["cidr_key"]: extra["cidr"]}
        if extra["protocol"] in ("tcp", "udp"):
            bucket += [dict(base, egress=egress, port_from=low, port_to=high) for low, high in extra["ranges"]]
            if return_traffic:
                bucket.append(dict(base, egress=not egress, port_from=eph[0], port_to=eph[1]))
        else:
            bucket.append(dict(base, egress=egress))
            if return_traffic:
                bucket.append(dict(base, egress=not egress))
    return out


# ---------------------------------------------------------------------------
# The security stage
# ---------------------------------------------------------------------------

def _relations(spec, peer_states, errors, changes):
    """The site's peerings with each peer's private subnet CIDRs (from the peer's discovered network)."""
    out = []
    default_ports = spec.get("default_ports") or (443, 5432)
    for relation in site_peerings(spec.get("peerings") or [], spec["host"], default_ports):
        peer = relation["peer"]
        peer_state = (peer_states or {}).get(peer) or {}
        if not peer_state:
            errors.append(f"peer {peer} (peering {relation['name']}) was not discovered in this play: run role site_state for "
                          f"every host of the peerings in the same play (no --limit that leaves {peer} out)")
            continue
        cidrs = [s["CidrBlock"] for s in private_subnets(peer_state)]
        if not peer_state.get("vpc") or not cidrs:
            _pending(spec, errors, changes, f"peer {peer}", "private subnets once the network stage creates them",
                     f"peer {peer} (peering {relation['name']}) has no private subnets of network "
                     f"{peer_state.get('network_name')} yet: run playbooks/network.yml for {peer} first")
            continue
        out.append(dict(relation, cidrs=sorted(set(cidrs))))
    return out


def peering_group_rules(relations, vpc_cidr, prefix_list_ids, extras, intra_vpc_ingress=False):
    """The peering group's rules: ingress only from peers allowed to connect here, egress to peers this site
    connects to, TCP 443 to the prefix lists, the peering ports to the VPC CIDR (and from it when
    ``intra_vpc_ingress``), then the extra rules. No default egress to an open range."""
    rules = {}
    ordered = []

    def add(rule):
        key = rule_key(rule)
        if key not in rules:
            rules[key] = rule
            ordered.append(key)

    vpc_net = str(ipaddress.ip_network(vpc_cidr))
    for relation in relations:
        built = peer_rules(relation["cidrs"], relation["ports"], vpc_cidr, prefix_list_ids=prefix_list_ids)
        for rule in built["ingress"]:
            intra = rule.get("cidr_ip") == vpc_net
            if (intra and intra_vpc_ingress) or (not intra and relation["inbound"]):
                add(dict(rule, egress=False))
        for rule in built["egress"]:
            if rule.get("prefix_list_id") or rule.get("cidr_ip") == vpc_net or relation["outbound"]:
                add(dict(rule, egress=True))
    if not relations:
        for pl_id in sorted(set(prefix_list_ids)):
            add({"egress": True, "protocol": "tcp", "from_port": 443, "to_port": 443, "prefix_list_id": pl_id, "description": None})
    for rule in _extra_group_rules(extras):
        add(sg_rule(rule, "extra rule", egress=rule["egress"]))
    return [rules[key] for key in sorted(ordered, key=lambda k: json.dumps(k, default=str))]


def peering_nacl_entries(relations, vpc_cidr, eph, service_cidrs, extras, return_traffic=True):
    """The private ACL's entries: every peer CIDR and port rendered by nacl_entries, narrowed to what each
    peering's ports and direction allow, plus the extra entries (open CIDRs numbered after the last generated
    entry of their direction). Same numbers as the security role always gave them."""
    peer_cidrs = []
    for relation in relations:
        for cidr in collapse_cidrs(relation["cidrs"]):
            if cidr not in peer_cidrs:
                peer_cidrs.append(cidr)
    peer_ports = sorted({port for relation in relations for port in relation["ports"]})
    call_cidrs = peer_cidrs or [str(ipaddress.ip_network(vpc_cidr))]
    extra = _extra_nacl_entries(extras, eph, return_traffic)
    everything = nacl_entries(call_cidrs, peer_ports or [443], vpc_cidr, ephemeral_range=list(eph), service_cidrs=service_cidrs,
                              extra_entries=extra["closed"], collapse=False)
    permitted = set()
    for relation in relations:
        for cidr in collapse_cidrs(relation["cidrs"]):
            for port in relation["ports"]:
                if relation["inbound"]:
                    permitted.add((False, cidr, port, port))
                if relation["outbound"]:
                    permitted.add((True, cidr, port, port))
            if relation["inbound"]:
                permitted.add((True, cidr, eph[0], eph[1]))
            if relation["outbound"]:
                permitted.add((False, cidr, eph[0], eph[1]))
    for entry in extra["closed"]:
        if entry["protocol"] == "tcp":
            permitted.add((entry["egress"], entry.get("cidr_block") or entry.get("ipv6_cidr_block"), entry["port_from"], entry["port_to"]))
    kept = []
    for entry in everything:
        cidr = entry.get("cidr_block") or entry.get("ipv6_cidr_block")
        if entry["protocol"] != "tcp" or cidr not in call_cidrs or (entry["egress"], cidr, entry.get("port_from"), entry.get("port_to")) in permitted:
            kept.append(entry)
    for egress in (False, True):
        last = max(e["rule_number"] for e in everything if e["egress"] is egress)
        for position, entry in enumerate((e for e in extra["open"] if e["egress"] is egress), start=1):
            kept.append(dict(entry, rule_number=last + 10 * position))
    return sorted(kept, key=lambda e: (e["egress"], e["rule_number"]))


def _pending(spec, errors, changes, resource, detail, error):
    """A missing prerequisite: in check mode a pending change (the earlier stage would create it), else an error."""
    if spec.get("check_mode"):
        changes.append(change(resource, "create", "pending", None, detail))
    else:
        errors.append(error)


def _group_spec(name, description, tags, rules):
    return {"name": name, "description": description, "tags": tags,
            "ingress": [{k: v for k, v in r.items() if k != "egress"} for r in rules if not r["egress"]],
            "egress": [{k: v for k, v in r.items() if k != "egress"} for r in rules if r["egress"]]}


def _nacl_changes(nacl, desired, managed_range, max_entries, allow_open, errors):
    """The ACL changes, by the same functions module network_acl runs (validate, plan_entries, check_limit)."""
    try:
        wanted = validate_desired(desired, managed_range, allow_open)
    except EntryError as e:
        errors.append(f"private network ACL {nacl['NetworkAclId']}: {e}")
        return []
    current = [entry_from_aws(e) for e in nacl.get("Entries") or []]
    plan = plan_entries(current, wanted, managed_range, True)
    try:
        check_limit(plan["after"], max_entries, managed_range)
    except EntryError as e:
        errors.append(f"private network ACL {nacl['NetworkAclId']}: {e} (security_nacl_max_entries={max_entries}; fewer peer "
                      f"subnets or extra rules, or raise the AWS quota first)")
        return []
    resource = f"network-acl {nacl['NetworkAclId']}"
    old = {(e["egress"], e["rule_number"]): e for e in current}
    out = []
    for action, entries in (("create", plan["create"]), ("replace", plan["replace"]), ("delete", plan["delete"])):
        for entry in entries:
            key = (entry["egress"], entry["rule_number"])
            field = f"{'egress' if entry['egress'] else 'ingress'} rule {entry['rule_number']}"
            before = entry_line(old[key]) if key in old else None
            after = None if action == "delete" else entry_line(entry)
            out.append(change(resource, "update", field, before, after, id=nacl["NetworkAclId"], op=action))
    return out


def security_plan(state, spec, peer_states=None):
    """The security stage's plan for one site: ``{errors, changes, warnings, vpc_id, groups, nacl, converge, result}``.

    ``groups`` and ``nacl`` are what the converge modules take (``security_groups`` groups; ``network_acl``
    nacl_id, entries, allow_open_cidr); ``converge`` says which of them must run; ``result`` is
    :func:`security_result` of the state planned against (what the stage publishes when nothing changes).
    """
    state = state or {}
    errors, changes = [], []
    names = _spec_names(spec)
    extras, extra_errors, exceptions = extra_rules(spec)
    errors += extra_errors
    try:
        eph = parse_ephemeral_range(spec.get("ephemeral_port_range") or list(DEFAULT_EPHEMERAL))
        managed_range = validate_range(spec.get("nacl_managed_rule_range") or [1, MAX_RULE])
    except (RuleError, EntryError) as e:
        errors.append(str(e))
        eph, managed_range = DEFAULT_EPHEMERAL, (1, MAX_RULE)
    relations = _relations(spec, peer_states, errors, changes)
    out = {"errors": errors, "changes": changes, "warnings": exceptions, "vpc_id": None, "groups": [], "nacl": {},
           "converge": {"security_groups": False, "network_acl": False}, "result": security_result(state, spec)}
    vpc = state.get("vpc")
    group_name = names["peering_security_group"]
    if not vpc:
        _pending(spec, errors, changes, f"security-group {group_name}", f"in the VPC the network stage creates ({names['vpc']})",
                 f"the VPC of {spec['network_name']} ({names['vpc']}) does not exist: run playbooks/network.yml first")
        return out
    out["vpc_id"] = vpc["VpcId"]
    if changes:
        return out  # a peer's network is pending (check mode): nothing to compare against yet
    services, missing = _prefix_lists(state, spec.get("endpoint_services") or [])
    if missing:
        errors.append(f"security_endpoint_services: no AWS-managed prefix list {missing} in {state.get('region')}")
    nacls = private_nacl(state, names)
    if len(nacls) != 1:
        detail = f"{len(nacls)} ACLs named {names['private_nacl']}: {[n['NetworkAclId'] for n in nacls]}" if nacls else "none"
        _pending(spec, errors, changes, f"network-acl {names['private_nacl']}", "entries once the network stage creates it",
                 f"the private network ACL {names['private_nacl']} of {spec['network_name']} ({detail}): run playbooks/network.yml first")
    if errors or len(nacls) != 1:
        return out
    vpc_cidr = vpc["CidrBlock"]
    prefix_ids = sorted(p["PrefixListId"] for p in services.values())
    service_cidrs = sorted({cidr for p in services.values() for cidr in p.get("Cidrs") or []})
    try:
        rules = peering_group_rules(relations, vpc_cidr, prefix_ids, extras, bool(spec.get("sg_intra_vpc_ingress")))
        entries = peering_nacl_entries(relations, vpc_cidr, eph, service_cidrs, extras, spec.get("extra_rules_return_traffic", True))
    except RuleError as e:
        errors.append(str(e))
        return out
    group = _group_spec(group_name, f"Peered workloads of {spec['network_name']}: peering ports with the peers' private subnets only",
                        dict(_base_tags(spec), Name=group_name), rules)
    group_plan = plan_security_groups(state, [group], spec["network_name"])
    errors += group_plan["errors"]
    changes += group_plan["changes"]
    allow_open = any(e["open"] for e in extras)
    nacl = nacls[0]
    nacl_changes = _nacl_changes(nacl, entries, managed_range, int(spec.get("nacl_max_entries") or 20), allow_open, errors)
    changes += nacl_changes
    out.update(groups=[group], nacl={"nacl_id": nacl["NetworkAclId"], "entries": entries, "allow_open_cidr": allow_open},
               converge={"security_groups": bool(group_plan["changes"]) and not errors, "network_acl": bool(nacl_changes) and not errors})
    return out


def security_teardown_plan(state, spec):
    """Removal of the security stage: our peering group, and our ACL entries within the managed range (the private
    ACL goes back to the intra-VPC entries the network stage writes, when ``absent_reset_nacl``)."""
    state = state or {}
    names = _spec_names(spec)
    out = {"errors": [], "changes": [], "warnings": [], "vpc_id": None, "groups": [], "nacl": {},
           "converge": {"security_groups": False, "network_acl": False}}
    vpc = state.get("vpc")
    if not vpc:
        return out
    out["vpc_id"] = vpc["VpcId"]
    out["groups"] = [{"name": names["peering_security_group"]}]
    group_plan = plan_security_groups(state, out["groups"], spec["network_name"], absent=True)
    out["changes"] += group_plan["changes"]
    nacls = private_nacl(state, names)
    if spec.get("absent_reset_nacl", True) and len(nacls) == 1:
        try:
            managed_range = validate_range(spec.get("nacl_managed_rule_range") or [1, MAX_RULE])
        except EntryError as e:
            out["errors"].append(str(e))
            return out
        cidr = str(ipaddress.ip_network(vpc["CidrBlock"]))
        entries = [{"rule_number": 100, "egress": egress, "protocol": "all", "rule_action": "allow", "cidr_block": cidr}
                   for egress in (False, True)]
        entries = [e for e in entries if managed_range[0] <= 100 <= managed_range[1]]
        nacl_changes = _nacl_changes(nacls[0], entries, managed_range, int(spec.get("nacl_max_entries") or 20), False, out["errors"])
        out["changes"] += nacl_changes
        out["nacl"] = {"nacl_id": nacls[0]["NetworkAclId"], "entries": entries, "allow_open_cidr": False}
        out["converge"]["network_acl"] = bool(nacl_changes)
    out["converge"]["security_groups"] = bool(group_plan["changes"])
    return out


def security_result(state, spec):
    """What the security stage publishes: ``security_group_id`` (our peering group) and ``nacl_id`` (the private ACL)."""
    state = state or {}
    names = _spec_names(spec)
    groups = [g for g in _groups_named(state, names["peering_security_group"]) if is_ours(g, spec["network_name"])]
    nacls = private_nacl(dict(state, network_name=spec["network_name"]), names)
    return {"security_group_id": groups[0]["GroupId"] if groups else "", "nacl_id": nacls[0]["NetworkAclId"] if nacls else ""}


# ---------------------------------------------------------------------------
# The endpoints stage
# ---------------------------------------------------------------------------

def _interface_key(service):
    return f"{str(service).replace('.', '_').replace('-', '_')}_endpoint_id"


def _endpoint_group(spec, vpc_cidr):
    name = _spec_names(spec)["endpoints_security_group"]
    rule = {"egress": False, "protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": vpc_cidr, "description": f"VPC {vpc_cidr} tcp/443"}
    return _group_spec(name, f"Interface endpoints of {spec['network_name']}: HTTPS from the VPC only", dict(_base_tags(spec), Name=name), [rule])


def desired_endpoints(state, spec, errors):
    """The endpoints the site should have, in the ``endpoints`` form of module vpc_gateway_endpoint."""
    names = _spec_names(spec)
    region = state.get("region") or spec.get("region")
    account = str(spec.get("account_id") or state.get("account_id") or "")
    peers = [str(a) for a in spec.get("peer_account_ids") or []]
    bad = [a for a in [account, *peers] if not ACCOUNT_ID_RE.match(a)]
    if bad:
        errors.append(f"endpoints_account_id / endpoints_peer_account_ids: {bad} are not 12-digit account IDs (every peer needs "
                      f"aws_account_id)")
        return []
    if state.get("account_id") and account != str(state["account_id"]):
        errors.append(f"endpoints_account_id {account} is not the session's account {state['account_id']}")
        return []
    owned = list(spec.get("aws_owned_resources") or [])
    tables = [t["RouteTableId"] for t in private_route_tables(state)]
    if not tables:
        errors.append(f"{spec['network_name']} has no private route tables (Tier=private, ours): run playbooks/network.yml first")
        return []
    tags = _base_tags(spec)
    out = []
    for service, actions_key, arn in (("s3", "s3_actions", ":s3:"), ("dynamodb", "dynamodb_actions", ":dynamodb:")):
        resources = [r for r in owned if re.match(rf"^arn:[^:]+{arn}", str(r))]
        policy = endpoint_policy(account, peers, spec.get(actions_key) or [f"{service}:*"], resources or None,
                                 spec.get("aws_owned_actions") or ["s3:GetObject"])
        out.append({"service": service, "type": "Gateway", "name": names["gateway_endpoints"][service], "route_table_ids": sorted(tables),
                    "policy": policy, "tags": tags})
    subnets = [s["SubnetId"] for s in private_subnets(state)]
    for service in spec.get("interface_services") or []:
        try:
            full = service_name(service, region, where="endpoints_interface_services")
        except EndpointError as e:
            errors.append(str(e))
            continue
        out.append({"service": full, "type": "Interface", "name": f"vpce-{str(service).replace('.', '-')}-{spec['network_name']}-"
                    f"{spec['environment_suffix']}", "subnet_ids": sorted(subnets), "security_groups": [names["endpoints_security_group"]],
                    "private_dns": True, "policy": endpoint_policy(account, peers, spec.get("interface_actions") or ["*"]), "tags": tags})
    return out


def endpoints_plan(state, spec):
    """The endpoints stage's plan: ``{errors, changes, vpc_id, endpoints, groups, remove_groups, converge, result}``.

    ``endpoints`` is the ``endpoints`` option of vpc_gateway_endpoint (run with ``purge_endpoints``: our
    interface endpoints of services no longer listed go); ``groups`` the interface endpoints' group to create
    or update before, ``remove_groups`` the one to delete after (no interface endpoint listed).
    """
    state = state or {}
    errors, changes = [], []
    names = _spec_names(spec)
    out = {"errors": errors, "changes": changes, "vpc_id": None, "endpoints": [], "groups": [], "remove_groups": [],
           "converge": {"security_groups": False, "endpoints": False, "remove_security_groups": False},
           "result": endpoints_result(state, spec)}
    vpc = state.get("vpc")
    if not vpc:
        _pending(spec, errors, changes, f"vpc-endpoint {names['gateway_endpoints']['s3']}", f"in the VPC the network stage creates ({names['vpc']})",
                 f"the VPC of {spec['network_name']} ({names['vpc']}) does not exist: run playbooks/network.yml first")
        return out
    out["vpc_id"] = vpc["VpcId"]
    state = dict(state, network_name=spec["network_name"])
    wanted = desired_endpoints(state, spec, errors)
    if errors:
        return out
    network = spec["network_name"]
    if spec.get("interface_services"):
        group = _endpoint_group(spec, str(ipaddress.ip_network(vpc["CidrBlock"])))
        group_plan = plan_security_groups(state, [group], network)
        out["groups"] = [group]
        out["converge"]["security_groups"] = bool(group_plan["changes"])
    else:
        group_plan = plan_security_groups(state, [{"name": names["endpoints_security_group"]}], network, absent=True)
        out["remove_groups"] = [{"name": names["endpoints_security_group"]}]
        out["converge"]["remove_security_groups"] = bool(group_plan["changes"])
    errors += group_plan["errors"]
    pending = [c["name"] for c in group_plan["changes"] if c["action"] == "create"]
    endpoint_plan = plan_endpoints(state, wanted, network, purge_route_tables=bool(spec.get("purge_route_tables", True)),
                                   purge_endpoints=True, pending_groups=pending)
    errors += endpoint_plan["errors"]
    if spec.get("interface_services"):
        changes += group_plan["changes"] + endpoint_plan["changes"]
    else:
        changes += endpoint_plan["changes"] + group_plan["changes"]
    out["endpoints"] = wanted
    out["converge"]["endpoints"] = bool(endpoint_plan["changes"])
    if errors:
        out["converge"] = {key: False for key in out["converge"]}
    return out


def endpoints_teardown_plan(state, spec):
    """Removal of the endpoints stage: every endpoint carrying our tags, then the interface endpoints' group if ours."""
    state = state or {}
    names = _spec_names(spec)
    out = {"errors": [], "changes": [], "vpc_id": None, "endpoints": [], "groups": [], "remove_groups": [],
           "converge": {"security_groups": False, "endpoints": False, "remove_security_groups": False}}
    vpc = state.get("vpc")
    if not vpc:
        return out
    out["vpc_id"] = vpc["VpcId"]
    endpoint_plan = plan_endpoints(state, None, spec["network_name"], absent=True)
    group_plan = plan_security_groups(state, [{"name": names["endpoints_security_group"]}], spec["network_name"], absent=True)
    out["changes"] = endpoint_plan["changes"] + group_plan["changes"]
    out["errors"] = endpoint_plan["errors"] + group_plan["errors"]
    out["remove_groups"] = [{"name": names["endpoints_security_group"]}]
    out["converge"].update(endpoints=bool(endpoint_plan["changes"]), remove_security_groups=bool(group_plan["changes"]))
    return out


def endpoints_result(state, spec):
    """What the endpoints stage publishes: ``s3_endpoint_id``, ``dynamodb_endpoint_id`` and, with interface endpoints,
    ``<service>_endpoint_id`` and ``endpoints_security_group_id`` (our live endpoints only; '' when missing)."""
    state = state or {}
    network = spec["network_name"]
    names = _spec_names(spec)
    region = state.get("region") or spec.get("region")
    live = [e for e in state.get("vpc_endpoints") or [] if is_ours(e, network) and str(e.get("State", "")).lower() not in GONE_ENDPOINT_STATES]

    def endpoint_id(full, kind):
        found = [e["VpcEndpointId"] for e in live if e.get("ServiceName") == full and e.get("VpcEndpointType", "Gateway") == kind]
        return found[0] if found else ""

    out = {f"{service}_endpoint_id": endpoint_id(f"com.amazonaws.{region}.{service}", "Gateway") for service in ("s3", "dynamodb")}
    services = spec.get("interface_services") or []
    for service in services:
        try:
            out[_interface_key(service)] = endpoint_id(service_name(service, region), "Interface")
        except EndpointError:
            out[_interface_key(service)] = ""
    if services:
        groups = [g for g in _groups_named(state, names["endpoints_security_group"]) if is_ours(g, network)]
        out["endpoints_security_group_id"] = groups[0]["GroupId"] if groups else ""
    return out
