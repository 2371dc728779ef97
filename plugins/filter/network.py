# -*- coding: utf-8 -*-
# Copyright: contributors to netsec.aws_peering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure CIDR helpers: carve subnets, overlap, RFC 1918 and open-CIDR tests.

Standard library only (``ipaddress``); no AWS calls, no netaddr. The
documentation of each filter lives in ``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# AWS accepts IPv4 subnets (and VPCs) from /16 up to /28.
AWS_MIN_PREFIX = 16
AWS_MAX_PREFIX = 28

RFC1918_NETWORKS = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)


def show(value, limit=200):
    """repr() of a value for an error message, without data-tag wrappers, shortened."""
    text = repr(native(value))
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def native(value):
    """Plain Python copy of a (possibly tagged) str/int/float/list/dict."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, Mapping):
        return {native(k): native(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [native(v) for v in value]
    return value


def parse_cidr(value, what, strict=False, version=None, need_prefix=False):
    """Parse one CIDR string; raise ValueError with a message naming ``what``.

    strict: reject host bits set (``10.0.0.5/16``).
    version: 4 or 6 to require one address family.
    need_prefix: require an explicit ``/len``.
    """
    family = {4: "IPv4 ", 6: "IPv6 "}.get(version, "")
    if not isinstance(value, str):
        raise ValueError(
            "%s: %s is not a valid %sCIDR (expected a string like '10.0.0.0/16', got %s)"
            % (what, show(value), family, type(value).__name__)
        )
    text = str.__str__(value)
    if need_prefix and "/" not in text:
        raise ValueError(
            "%s: %s is not a valid %sCIDR (no /prefix length)" % (what, show(value), family)
        )
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise ValueError("%s: %s is not a valid %sCIDR (%s)" % (what, show(value), family, exc)) from None
    if version is not None and net.version != version:
        raise ValueError(
            "%s: %s is not a valid %sCIDR (it is IPv%d)" % (what, show(value), family, net.version)
        )
    if strict and net.network_address != ipaddress.ip_interface(text).ip:
        raise ValueError(
            "%s: %s is not a valid %sCIDR (host bits set; the network address is %s)"
            % (what, show(value), family, net.with_prefixlen)
        )
    return net


def cidr_list(value, what):
    """One CIDR string or a list of them -> list of networks (host bits tolerated)."""
    if isinstance(value, str):
        return [parse_cidr(value, what)]
    if isinstance(value, (list, tuple)):
        return [parse_cidr(item, "%s[%d]" % (what, i)) for i, item in enumerate(value)]
    raise ValueError(
        "%s: %s is not a CIDR string or a list of CIDR strings (got %s)"
        % (what, show(value), type(value).__name__)
    )


def networks_overlap(left, right):
    """True if any network of ``left`` overlaps any of ``right`` (same family only)."""
    for a in left:
        for b in right:
            if a.version == b.version and a.overlaps(b):
                return True
    return False


def in_rfc1918(net):
    return net.version == 4 and any(net.subnet_of(block) for block in RFC1918_NETWORKS)


def _int_arg(value, what):
    if isinstance(value, bool):
        raise AnsibleFilterError("%s: %s is not an integer" % (what, show(value)))
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise AnsibleFilterError("%s: %s is not an integer" % (what, show(value)))


def _filter_call(func, *args):
    try:
        return func(*args)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def carve_subnets(vpc_cidr, new_prefix, count, offset=0):
    """``count`` consecutive /new_prefix subnets of vpc_cidr, from the offset-th one."""
    net = _filter_call(parse_cidr, vpc_cidr, "vpc_cidr", True, 4, True)
    new_prefix = _int_arg(new_prefix, "new_prefix")
    count = _int_arg(count, "count")
    offset = _int_arg(offset, "offset")
    if not AWS_MIN_PREFIX <= new_prefix <= AWS_MAX_PREFIX:
        raise AnsibleFilterError(
            "new_prefix: %d is outside the AWS subnet limits /%d../%d" % (new_prefix, AWS_MIN_PREFIX, AWS_MAX_PREFIX)
        )
    if new_prefix <= net.prefixlen:
        raise AnsibleFilterError(
            "new_prefix: %d is not longer than the prefix of vpc_cidr %s" % (new_prefix, show(vpc_cidr))
        )
    if count < 1:
        raise AnsibleFilterError("count: %d must be at least 1" % count)
    if offset < 0:
        raise AnsibleFilterError("offset: %d must not be negative" % offset)
    room = 1 << (new_prefix - net.prefixlen)
    if offset + count > room:
        raise AnsibleFilterError(
            "count: not enough room in vpc_cidr %s: it holds %d /%d subnets, offset %d + count %d needs %d"
            % (show(vpc_cidr), room, new_prefix, offset, count, offset + count)
        )
    size = 1 << (32 - new_prefix)
    base = int(net.network_address) + offset * size
    return [str(ipaddress.IPv4Network((base + i * size, new_prefix))) for i in range(count)]


def cidrs_overlap(a, b):
    """True if any CIDR of ``a`` overlaps any CIDR of ``b`` (strings or lists)."""
    left = _filter_call(cidr_list, a, "a")
    right = _filter_call(cidr_list, b, "b")
    return networks_overlap(left, right)


def cidr_within(cidr, cidrs):
    """True when every address of `cidr` lies inside the union of `cidrs` (a list or one CIDR)."""
    inner = _filter_call(parse_cidr, cidr, "cidr")
    outer = [_filter_call(parse_cidr, c, "cidrs") for c in ([cidrs] if isinstance(cidrs, str) else list(cidrs or []))]
    same = [net for net in outer if net.version == inner.version]
    return any(inner.subnet_of(net) for net in ipaddress.collapse_addresses(same))


def is_rfc1918(cidr):
    """True if the CIDR lies inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16."""
    return in_rfc1918(_filter_call(parse_cidr, cidr, "cidr"))


def cidr_is_open(cidr):
    """True for a /0 (0.0.0.0/0, ::/0): open to every address."""
    return _filter_call(parse_cidr, cidr, "cidr").prefixlen == 0


class FilterModule:
    """CIDR helpers for secure VPC peering."""

    def filters(self):
        return {
            "carve_subnets": carve_subnets,
            "cidrs_overlap": cidrs_overlap,
            "cidr_within": cidr_within,
            "is_rfc1918": is_rfc1918,
            "cidr_is_open": cidr_is_open,
        }
