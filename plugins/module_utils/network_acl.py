# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Pure helpers for the network_acl module.

Nothing here talks to AWS: entries are converted between the module's
snake_case form and the EC2 API form, validated, and compared, so that the
module can compute a complete plan (and refuse a bad one) before any write.

Canonical entry (module form), keys present only when they apply::

    {"rule_number": 100, "egress": False, "protocol": "tcp", "rule_action": "allow",
     "cidr_block": "10.1.0.0/16", "port_from": 443, "port_to": 443}

ICMP entries carry ``icmp_type``/``icmp_code`` instead of ports.
"""

from __future__ import annotations

import ipaddress

# The catch-all deny rule AWS keeps in every ACL. It can be neither changed nor
# deleted on AWS (the emulator accepts deleting it: never try).
CATCH_ALL_RULE = 32767
MIN_RULE = 1
MAX_RULE = 32766

PROTOCOL_NUMBERS = {"all": "-1", "icmp": "1", "tcp": "6", "udp": "17", "ipv6-icmp": "58"}
PROTOCOL_NAMES = {v: k for k, v in PROTOCOL_NUMBERS.items()}
PORT_PROTOCOLS = ("6", "17")
ICMP_PROTOCOLS = ("1", "58")


class EntryError(ValueError):
    """An invalid entry; the message names the entry and the bad value."""


def protocol_number(value):
    """Return the protocol as the API's number string ('6', '-1', ...)."""
    text = str(value).strip().lower()
    if text in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[text]
    try:
        number = int(text)
    except ValueError:
        raise EntryError(
            f"protocol {value!r} is not one of {sorted(PROTOCOL_NUMBERS)} or an IP protocol number (-1..255)"
        ) from None
    if number < -1 or number > 255:
        raise EntryError(f"protocol {value!r} is not an IP protocol number (-1..255)")
    return str(number)


def protocol_name(number):
    """Return the friendly name for a protocol number string, else the number."""
    return PROTOCOL_NAMES.get(str(number), str(number))


def is_open_cidr(cidr):
    """True for a CIDR of prefix length 0, IPv4 or IPv6, in any spelling (False for anything not a CIDR)."""
    if not cidr:
        return False
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def _check_cidr(cidr, version, where):
    try:
        net = ipaddress.ip_network(str(cidr), strict=True)
    except ValueError as e:
        raise EntryError(f"{where}: {cidr!r} is not a valid network CIDR ({e})") from None
    if net.version != version:
        raise EntryError(f"{where}: {cidr!r} is not an IPv{version} CIDR")
    return str(net)


def _int(value, name, where, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise EntryError(f"{where}: {name} {value!r} is not an integer") from None
    if isinstance(value, bool) or number < low or number > high:
        raise EntryError(f"{where}: {name} {value!r} is outside {low}..{high}")
    return number


def normalize_entry(entry, index=None, prefix="entries", numbered=True):
    """Validate one module-form entry and return it in canonical form.

    Raises EntryError naming the entry (``<prefix>[index]``) and the bad value.
    With ``numbered=False`` the entry gets rule_number 1 as a placeholder.
    """
    where = f"{prefix}[{index}]" if index is not None else "entry"
    if not isinstance(entry, dict):
        raise EntryError(f"{where}: {entry!r} is not a dict")
    if not numbered:
        entry = dict(entry, rule_number=MIN_RULE)
    rule_number = _int(entry.get("rule_number"), "rule_number", where, MIN_RULE, MAX_RULE)
    if numbered:
        where = f"{where} (rule_number {rule_number})"
    proto = protocol_number(entry.get("protocol", "all") if entry.get("protocol") is not None else "all")
    action = str(entry.get("rule_action") or "").lower()
    if action not in ("allow", "deny"):
        raise EntryError(f"{where}: rule_action {entry.get('rule_action')!r} must be 'allow' or 'deny'")
    egress = entry.get("egress", False)
    if not isinstance(egress, bool):
        text = str(egress).strip().lower()
        if text in ("true", "yes", "1", "on"):
            egress = True
        elif text in ("false", "no", "0", "off", "none", ""):
            egress = False
        else:
            raise EntryError(f"{where}: egress {egress!r} is not a boolean")

    out = {"rule_number": rule_number, "egress": egress, "protocol": protocol_name(proto), "rule_action": action}

    cidr4, cidr6 = entry.get("cidr_block"), entry.get("ipv6_cidr_block")
    if bool(cidr4) == bool(cidr6):
        raise EntryError(f"{where}: exactly one of cidr_block or ipv6_cidr_block is required")
    if cidr4:
        out["cidr_block"] = _check_cidr(cidr4, 4, where)
    else:
        out["ipv6_cidr_block"] = _check_cidr(cidr6, 6, where)

    port_from, port_to = entry.get("port_from"), entry.get("port_to")
    icmp_type, icmp_code = entry.get("icmp_type"), entry.get("icmp_code")
    if proto in PORT_PROTOCOLS:
        if port_from is None or port_to is None:
            raise EntryError(f"{where}: port_from and port_to are required for protocol {out['protocol']}")
        out["port_from"] = _int(port_from, "port_from", where, 0, 65535)
        out["port_to"] = _int(port_to, "port_to", where, 0, 65535)
        if out["port_from"] > out["port_to"]:
            raise EntryError(f"{where}: port_from {out['port_from']} is greater than port_to {out['port_to']}")
    elif port_from is not None or port_to is not None:
        raise EntryError(f"{where}: port_from/port_to apply only to tcp and udp, not to protocol {out['protocol']}")
    if proto in ICMP_PROTOCOLS:
        out["icmp_type"] = -1 if icmp_type is None else _int(icmp_type, "icmp_type", where, -1, 255)
        out["icmp_code"] = -1 if icmp_code is None else _int(icmp_code, "icmp_code", where, -1, 255)
    elif icmp_type is not None or icmp_code is not None:
        raise EntryError(f"{where}: icmp_type/icmp_code apply only to icmp, not to protocol {out['protocol']}")
    return out


def entry_from_aws(aws):
    """Convert a DescribeNetworkAcls entry to canonical form."""
    proto = str(aws.get("Protocol", "-1"))
    out = {
        "rule_number": int(aws["RuleNumber"]),
        "egress": bool(aws.get("Egress")),
        "protocol": protocol_name(proto),
        "rule_action": str(aws.get("RuleAction", "")).lower(),
    }
    if aws.get("CidrBlock"):
        out["cidr_block"] = aws["CidrBlock"]
    if aws.get("Ipv6CidrBlock"):
        out["ipv6_cidr_block"] = aws["Ipv6CidrBlock"]
    if proto in PORT_PROTOCOLS and aws.get("PortRange"):
        out["port_from"] = int(aws["PortRange"].get("From", 0))
        out["port_to"] = int(aws["PortRange"].get("To", 0))
    if proto in ICMP_PROTOCOLS:
        icmp = aws.get("IcmpTypeCode") or {}
        out["icmp_type"] = int(icmp.get("Type", -1))
        out["icmp_code"] = int(icmp.get("Code", -1))
    return out


def entry_to_api(entry, nacl_id):
    """Keyword arguments for Create/ReplaceNetworkAclEntry from a canonical entry."""
    params = {
        "NetworkAclId": nacl_id,
        "RuleNumber": entry["rule_number"],
        "Egress": entry["egress"],
        "Protocol": protocol_number(entry["protocol"]),
        "RuleAction": entry["rule_action"],
    }
    if entry.get("cidr_block"):
        params["CidrBlock"] = entry["cidr_block"]
    else:
        params["Ipv6CidrBlock"] = entry["ipv6_cidr_block"]
    if "port_from" in entry:
        params["PortRange"] = {"From": entry["port_from"], "To": entry["port_to"]}
    if "icmp_type" in entry:
        params["IcmpTypeCode"] = {"Type": entry["icmp_type"], "Code": entry["icmp_code"]}
    return params


def entry_key(entry):
    """Identity of an entry inside an ACL: (egress, rule_number)."""
    return (bool(entry["egress"]), int(entry["rule_number"]))


def sort_entries(entries):
    return sorted(entries, key=entry_key)


def direction(egress):
    return "egress" if egress else "ingress"


def validate_desired(entries, managed_rule_range, allow_open_cidr):
    """Normalise and validate the desired entries; return them sorted.

    Errors: bad fields, duplicate (direction, rule_number), a rule number
    outside managed_rule_range, an allow entry to/from an open CIDR (prefix
    length 0) without allow_open_cidr.
    """
    low, high = managed_rule_range
    seen = {}
    out = []
    for index, raw in enumerate(entries or []):
        entry = normalize_entry(raw, index)
        key = entry_key(entry)
        if key in seen:
            raise EntryError(
                f"entries[{index}]: duplicate rule_number {entry['rule_number']} for {direction(entry['egress'])}"
                f" (also entries[{seen[key]}])"
            )
        seen[key] = index
        if not low <= entry["rule_number"] <= high:
            raise EntryError(
                f"entries[{index}]: rule_number {entry['rule_number']} is outside managed_rule_range [{low}, {high}]"
            )
        cidr = entry.get("cidr_block") or entry.get("ipv6_cidr_block")
        if entry["rule_action"] == "allow" and is_open_cidr(cidr) and not allow_open_cidr:
            raise EntryError(
                f"entries[{index}]: rule_number {entry['rule_number']} ({direction(entry['egress'])}) allows {cidr};"
                " open CIDRs are refused unless allow_open_cidr=true"
            )
        out.append(entry)
    return sort_entries(out)


def validate_range(managed_rule_range):
    if not isinstance(managed_rule_range, (list, tuple)) or len(managed_rule_range) != 2:
        raise EntryError(f"managed_rule_range {managed_rule_range!r} must be a list [low, high]")
    low = _int(managed_rule_range[0], "low", "managed_rule_range", MIN_RULE, MAX_RULE)
    high = _int(managed_rule_range[1], "high", "managed_rule_range", MIN_RULE, MAX_RULE)
    if low > high:
        raise EntryError(f"managed_rule_range {list(managed_rule_range)!r}: low is greater than high")
    return low, high


def plan_entries(current, desired, managed_rule_range, purge_entries):
    """Compute the entry changes.

    ``current`` and ``desired`` are canonical entries (rule 32767 is dropped from
    ``current`` and never planned). Returns a dict with ``create``, ``replace``,
    ``delete`` (lists of canonical entries; ``delete`` holds the current entry)
    and ``after`` (the resulting entry set, sorted).
    """
    low, high = managed_rule_range
    current = {entry_key(e): e for e in current if e["rule_number"] != CATCH_ALL_RULE}
    wanted = {entry_key(e): e for e in desired}
    create, replace, delete = [], [], []
    after = {}
    for key, entry in current.items():
        if key in wanted:
            continue
        if purge_entries and low <= key[1] <= high:
            delete.append(entry)
        else:
            after[key] = entry
    for key, entry in wanted.items():
        after[key] = entry
        if key not in current:
            create.append(entry)
        elif current[key] != entry:
            replace.append(entry)
    return {
        "create": sort_entries(create),
        "replace": sort_entries(replace),
        "delete": sort_entries(delete),
        "after": sort_entries(after.values()),
    }


def count_by_direction(entries):
    counts = {"ingress": 0, "egress": 0}
    for entry in entries:
        if int(entry["rule_number"]) != CATCH_ALL_RULE:
            counts[direction(entry["egress"])] += 1
    return counts


def check_limit(after, max_entries, managed_rule_range):
    """Raise EntryError if the planned entry set exceeds max_entries per direction."""
    low, high = managed_rule_range
    counts = count_by_direction(after)
    for way in ("ingress", "egress"):
        if counts[way] > max_entries:
            kept = sum(
                1
                for e in after
                if direction(e["egress"]) == way and not low <= e["rule_number"] <= high
            )
            raise EntryError(
                f"{way}: {counts[way]} entries ({kept} kept outside managed_rule_range [{low}, {high}] +"
                f" {counts[way] - kept} inside it) would exceed max_entries {max_entries}; nothing was changed"
            )
    return counts


def entry_line(entry):
    """One readable line per canonical entry (``ingress 110 allow tcp 10.1.0.0/23 443-443``), for plans and diffs."""
    parts = [
        direction(entry["egress"]),
        str(entry["rule_number"]),
        entry["rule_action"],
        entry["protocol"],
        entry.get("cidr_block") or entry.get("ipv6_cidr_block", ""),
    ]
    if "port_from" in entry:
        parts.append(f"{entry['port_from']}-{entry['port_to']}")
    if "icmp_type" in entry:
        parts.append(f"type={entry['icmp_type']} code={entry['icmp_code']}")
    return " ".join(parts)
