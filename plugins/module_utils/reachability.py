# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Exhaustive, offline reachability between peered VPCs, modelled on AWS's rules.

Pure Python (stdlib ``ipaddress``); nothing here calls AWS. The input is what discovery
returns per site (``docs/dev/site-state.md``: raw ``describe_*`` output, CamelCase keys)
plus the intent below. The header space is covered exhaustively, never sampled: the
addresses of both ends are cut into blocks at every CIDR boundary of the components
involved, and the ports (or ICMP type/code) into intervals at every rule boundary, so
each verdict holds for every packet of the interval it names.

Intent
------
::

    intent = {
        "peerings": [{
            "name": "trading-analytics",
            "requester": "trading",             # site names: keys of `sites`
            "accepter": "analytics",
            "ports": [443, 5432],               # TCP ports the peering allows
            "direction": "both",                # or requester-to-accepter / accepter-to-requester
            "dns_resolution": True,             # expected both ways (default True)
        }],
        "sites": {                              # optional per site
            "trading": {
                "private_subnet_ids": ["subnet-..."],           # default: subnets tagged Tier=private
                "workload_security_group_ids": ["sg-..."],      # default: groups named sg-peering-*
            },
        },
        "endpoint_services": {"s3": [443], "dynamodb": [443]},  # default as shown
        "client_ports": [32768, 65535],         # default as shown
        "prefix_lists": {"pl-...": ["cidr", ...]},  # optional: customer-managed lists
        "internet": True,                       # default True: evaluate internet exposure
        "peer_exposure": True,                  # default True: evaluate each layer toward the peers on its own
    }

``client_ports`` is the source-port range clients use. Network ACLs are stateless, so
a TCP or UDP connection also needs its reply, from the service port back to the
client's source port, allowed inbound on the client subnet's ACL and outbound on the
server subnet's ACL. A connection counts as allowed only when the reply is allowed for
*every* client port of the range (a client picks any of them); otherwise the verdict
names the ACL rule that drops the first refused client-port interval. Security groups
are stateful and never check replies. ICMP replies are checked for the query types
(echo request 8 -> echo reply 0, timestamp 13 -> 14); other ICMP types need none.

What is modelled
----------------
* Routes: the source subnet's route table (explicit association, else the VPC's main
  table); longest prefix match over CIDR routes and prefix-list routes, ties broken as
  AWS does (static route, then prefix-list route, then propagated route); ``blackhole``
  drops; the target must be the peering connection joining the two VPCs, which must be
  ``active``; the destination subnet's table must route the reply to the source through
  the same peering.
* Network ACLs: entries by ascending RuleNumber, first match wins, default deny
  (32767, or 32768 for IPv6) when nothing matches; protocols -1/6/17/1 (58 for ICMPv6),
  PortRange and IcmpTypeCode; request outbound on the source ACL and inbound on the
  destination ACL, reply inbound on the source ACL and outbound on the destination ACL.
* Security groups: stateful and allow-only; the source's workload groups must allow the
  destination on egress and the destination's must allow the source on ingress; rules by
  CIDR, IPv6 CIDR, prefix list and group reference. A reference matches when the other
  side carries that group, and never across an inter-region peering.
* Gateway endpoints: flows from each private subnet to each service of
  ``endpoint_services``: the destination is the service's prefix-list CIDRs, the route
  must be the prefix-list route of a Gateway endpoint of this VPC for that service.
* Internet exposure (defence in depth): for each private subnet, to and from the public
  address space (0.0.0.0/0 and ::/0 less private, special and endpoint-service ranges),
  each layer on its own: a route to an internet, NAT or egress-only gateway
  (``layer: route``), the subnet's ACL (``network_acl``) and the security groups
  (``security_group``): any group of a VPC the collection created, the collection's own
  groups in an adopted VPC (the others are their owners'). Any allowed interval there is a
  violation.
* Peer exposure (least privilege, defence in depth): for every ordered pair of private
  subnets of two sites (peered or not: spokes of a hub too), each layer on its own over
  the whole header space, in the packet's order: the source's workload groups' egress and
  the source subnet's ACL egress toward the destination subnet, the destination subnet's
  ACL ingress and the destination's workload groups' ingress from the source subnet. A
  layer may open the intent's TCP ports of that direction; a network ACL may also open
  the TCP client ports (``client_ports``) when the intent lets the destination open
  connections to the source (the replies: outbound on the server side, inbound on the
  client side, as the collection writes them). Anything else a layer allows is a
  violation (``kind: peer_exposure``) naming the layer, the direction and the ACL entry or
  group rule, even when another layer keeps the end-to-end flow denied. A layer that
  refuses an intent port is left to the end-to-end flow, which names it.

Subnet-to-subnet flows are IPv4 (the sites' private subnets' CIDR blocks). Every ordered
pair of sites is evaluated; a pair no intent peering joins (spokes of a hub) is
expected to be denied everywhere.

Output
------
::

    {
        "flows": [{
            "id": "F0001",
            "kind": "peer" | "endpoint" | "internet" | "peer_exposure",
            "peering": "trading-analytics" | None,      # the intent peering joining the sites
            "layer": "end-to-end" | "route" | "network_acl" | "security_group",
            "direction": "egress" | "ingress",          # peer_exposure flows only: the side of the layer
            "intended": [[443, 443], [32768, 65535]],   # peer_exposure flows only: what the layer may open
            "src": {"site": "trading", "subnet_id": "subnet-...", "cidr": "10.0.1.0/24"},
            "dst": {"site": "analytics", "subnet_id": "subnet-...", "cidr": "10.1.1.0/24"}
                   # or {"site": "trading", "service": "s3", "prefix_list_id": "pl-...", "cidr": None,
                   #     "cidrs": [...]}
                   # or {"site": "internet", "cidr": "0.0.0.0/0"}
                   # an end also has "addresses": [cidrs] when the flow covers only part of it
            "protocol": "tcp" | "udp" | "icmp",
            "ports": [from, to],                        # ICMP: [first type, last type]
            "icmp": {"from": [type, code], "to": [type, code]},   # ICMP flows only
            "verdict": "allow" | "deny",
            "expected": "allow" | "deny",
            "because": "denied by acl-0... ingress rule 32767 (default deny) on the request",
            "component": {"type": "route" | "peering" | "network_acl" | "security_group", ...},
            "path": [component, ...],                   # allow only: every permission relied on
        }],
        "violations": [{"kind": ..., "flow": "F0007", ..., "reason": "..."}],   # empty when all is well
                      # peer_exposure ones also carry "peering", "layer", "direction" and "component"
        "dns": [{"peering", "peering_connection_id", "direction", "client_site", "resolved_site",
                 "resolves", "expected", "because", "checks": [{"check", "ok", "detail"}]}],
        "summary": {"flows", "allowed", "denied", "violations", "compliant", "by_kind", ...},
    }

A deny names the first component that refuses it, in this order: forward route, peering,
return route, then along the packet's path: source security group (egress), source ACL
(egress), destination ACL (ingress), destination security group (ingress), destination
ACL (egress, reply), source ACL (ingress, reply). For an allow, ``component`` is the last
security-group rule relied on (for a subnet-to-subnet flow, the destination's ingress rule
that admits it) and ``path`` lists every permission. Adjacent intervals with the same
verdict, expectation and reason are merged. A flow of one layer (internet, peer_exposure)
names that layer's entry or rule. For a peer_exposure flow, ``expected: allow`` means the
intent lets that layer open the interval (it need not: only an interval the layer allows
and the intent does not is a violation).

Public functions: ``evaluate(sites, intent)``, ``dns_proof(sites, intent)``,
``private_subnets(sites, intent)``, ``describe_component(component, flow=None)``,
``route_target(route)``.
"""

from __future__ import annotations

import functools
import ipaddress
import json

from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import short_service
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG

TCP, UDP, ICMP = "tcp", "udp", "icmp"
PROTOCOLS = (TCP, UDP, ICMP)
DOMAIN_MAX = 65535  # ports; for ICMP, type * 256 + code (so a type/code rule is an interval too)
ALLOW, DENY = "allow", "deny"
DIRECTIONS = ("both", "requester-to-accepter", "accepter-to-requester")
DEFAULT_CLIENT_PORTS = (32768, 65535)
DEFAULT_ENDPOINT_SERVICES = {"s3": [443], "dynamodb": [443]}

# ICMP query types whose reply must come back through the stateless ACLs.
ICMP_REPLIES = {8: 0, 13: 14}

_PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1"}
_ICMP_NUMBER = {4: "1", 6: "58"}
_DEFAULT_RULE = {4: 32767, 6: 32768}
_STATIC_ROUTE, _PREFIX_LIST_ROUTE, _PROPAGATED_ROUTE = 2, 1, 0
_TARGET_KEYS = ("VpcPeeringConnectionId", "GatewayId", "NatGatewayId", "TransitGatewayId", "NetworkInterfaceId",
                "InstanceId", "EgressOnlyInternetGatewayId", "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn")
# Addresses that are not the internet: private, shared, loopback, link-local, multicast, reserved.
_NOT_INTERNET_V4 = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                    "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")
_INTERNET_V6 = "2000::/3"  # global unicast
_INTERNET_LABEL = {4: "0.0.0.0/0", 6: "::/0"}


class ReachabilityError(ValueError):
    """Bad input; the message names the value."""


# ---------------------------------------------------------------- addresses

def _span(cidr):
    """(version, first, last) of a CIDR, or None for anything that is not one."""
    return _parse_span(str(cidr))


@functools.lru_cache(maxsize=4096)
def _parse_span(text):
    # Cached: the same few CIDRs are matched against every address block of every flow.
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return (net.version, int(net.network_address), int(net.broadcast_address))


def _within(block, span):
    """Whether the address block lies inside the span (blocks never straddle a CIDR edge)."""
    return span is not None and block[0] == span[0] and span[1] <= block[1] and block[2] <= span[2]


def _subtract(spans, holes):
    """The parts of `spans` outside every hole."""
    out = list(spans)
    for hole in holes:
        kept = []
        for version, lo, hi in out:
            if hole[0] != version or hole[2] < lo or hole[1] > hi:
                kept.append((version, lo, hi))
                continue
            if lo < hole[1]:
                kept.append((version, lo, hole[1] - 1))
            if hole[2] < hi:
                kept.append((version, hole[2] + 1, hi))
        out = kept
    return out


def _partition(spans, cidr_spans):
    """Cut the spans at every edge of the given CIDRs: each block is then inside or outside each CIDR."""
    blocks = []
    for version, lo, hi in spans:
        cuts = {lo, hi + 1}
        for other in cidr_spans:
            if other[0] == version:
                cuts.update(edge for edge in (other[1], other[2] + 1) if lo < edge <= hi)
        edges = sorted(cuts)
        blocks.extend((version, a, b - 1) for a, b in zip(edges, edges[1:]))
    return blocks


def _address_classes(spans, cidr_spans):
    """The blocks of `_partition`, grouped by the CIDRs that contain them.

    Every route, ACL entry and group rule decides on a block only by whether one of its
    CIDRs contains it, so blocks inside the same CIDRs share every verdict: each class
    is evaluated once, through its first block (the internet is a handful of classes
    instead of dozens of blocks).
    """
    cidr_spans = sorted(set(cidr_spans))
    classes = {}
    for block in _partition(spans, cidr_spans):
        signature = tuple(i for i, span in enumerate(cidr_spans) if _within(block, span))
        classes.setdefault(signature, []).append(block)
    return [tuple(blocks) for blocks in classes.values()]


def _blocks_of(classes):
    return [block for cls in classes for block in cls]


def _cidrs_of(blocks):
    """The blocks as the fewest CIDR strings."""
    nets = []
    for version, lo, hi in sorted(blocks):
        cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
        nets.extend(ipaddress.summarize_address_range(cls(lo), cls(hi)))
    by_version = {}
    for net in nets:
        by_version.setdefault(net.version, []).append(net)
    return [str(net) for version in sorted(by_version) for net in ipaddress.collapse_addresses(by_version[version])]


# ---------------------------------------------------------------- small readers

def _tags(resource):
    return {t.get("Key"): t.get("Value") for t in (resource or {}).get("Tags") or [] if isinstance(t, dict)}


def _protocol_number(value):
    text = str(value if value is not None else "-1").lower()
    return _PROTOCOL_NUMBERS.get(text, text)


def _flow_protocol_number(protocol, version):
    return _ICMP_NUMBER[version] if protocol == ICMP else _PROTOCOL_NUMBERS[protocol]


def _icmp_interval(icmp_type, icmp_code):
    """The flattened interval of an ICMP type/code pair (-1 means all)."""
    icmp_type = -1 if icmp_type is None else int(icmp_type)
    icmp_code = -1 if icmp_code is None else int(icmp_code)
    if icmp_type < 0:
        return (0, DOMAIN_MAX)
    if icmp_code < 0:
        return (icmp_type * 256, icmp_type * 256 + 255)
    return (icmp_type * 256 + icmp_code,) * 2


def _port_interval(low, high):
    if low is None or high is None or int(low) < 0:
        return (0, DOMAIN_MAX)
    return (int(low), int(high))


def _intersect(intervals, low, high):
    return [(max(a, low), min(b, high)) for a, b in intervals if a <= high and low <= b]


def _remove(intervals, low, high):
    out = []
    for a, b in intervals:
        if b < low or high < a:
            out.append((a, b))
            continue
        if a < low:
            out.append((a, low - 1))
        if high < b:
            out.append((high + 1, b))
    return out


def route_target(route):
    """The ID a route sends traffic to (peering, gateway, endpoint, ...), or 'unknown'."""
    for key in _TARGET_KEYS:
        if route.get(key):
            return str(route[key])
    return "unknown"


def private_subnets(sites, intent=None):
    """{site: {subnet_id: CIDR}} of the private subnets the evaluation uses (the intent's, else those tagged Tier=private)."""
    intent = intent or {}
    out = {}
    for name, state in sorted((sites or {}).items()):
        site = _Site(name, state, (intent.get("sites") or {}).get(name), intent.get("prefix_lists"))
        out[name] = {sid: site.subnets[sid].get("CidrBlock") for sid in site.private_subnet_ids}
    return out


def _key(value):
    return json.dumps(value, sort_keys=True, default=str)


# ---------------------------------------------------------------- the model of a site

class _Site:
    """One site's state, indexed for lookups."""

    def __init__(self, name, state, site_intent, extra_prefix_lists):
        state = state or {}
        self.name = name
        self.state = state
        self.region = state.get("region")
        self.account_id = state.get("account_id")
        self.vpc = state.get("vpc") or {}
        self.vpc_id = self.vpc.get("VpcId")
        self.subnets = {s.get("SubnetId"): s for s in state.get("subnets") or []}
        self.route_tables = list(state.get("route_tables") or [])
        self.acls = list(state.get("network_acls") or [])
        self.groups = {g.get("GroupId"): g for g in state.get("security_groups") or []}
        self.endpoints = list(state.get("vpc_endpoints") or [])
        self.prefix_lists = {p.get("PrefixListId"): list(p.get("Cidrs") or []) for p in state.get("prefix_lists") or []}
        self.prefix_list_names = {p.get("PrefixListId"): p.get("PrefixListName") for p in state.get("prefix_lists") or []}
        self.prefix_lists.update({k: list(v) for k, v in (extra_prefix_lists or {}).items()})
        site_intent = site_intent or {}
        self.missing_subnet_ids, self.missing_group_ids = [], []
        self.private_subnet_ids = self._private_subnet_ids(site_intent.get("private_subnet_ids"))
        self.workload_group_ids = self._workload_group_ids(site_intent.get("workload_security_group_ids"))

    def _private_subnet_ids(self, wanted):
        if wanted is None:
            return sorted(sid for sid, s in self.subnets.items() if _tags(s).get("Tier") == "private")
        self.missing_subnet_ids = [sid for sid in wanted if sid not in self.subnets]
        return [sid for sid in wanted if sid in self.subnets]

    def _workload_group_ids(self, wanted):
        if wanted is None:
            return sorted(gid for gid, g in self.groups.items() if str(g.get("GroupName", "")).startswith("sg-peering-"))
        self.missing_group_ids = [gid for gid in wanted if gid not in self.groups]
        return [gid for gid in wanted if gid in self.groups]

    def internet_groups(self):
        """The groups the internet check holds to account. In a VPC the collection created, every group:
        any may sit on an instance of its subnets. In an adopted VPC, the collection's own groups only:
        the others (AWS gives every new group egress to 0.0.0.0/0) are their owners' to change, and the
        route and network ACL layers, which are ours, must still deny on their own."""
        if _tags(self.vpc).get(OWNER_TAG) == OWNER:
            return list(self.groups.values())
        return [g for g in self.groups.values() if _tags(g).get(OWNER_TAG) == OWNER]

    def label(self, subnet_id):
        return f"{subnet_id} ({self.subnets[subnet_id].get('CidrBlock')})"

    def route_table_for(self, subnet_id):
        """(table, 'explicit' | 'main') or (None, None): AWS's association rule."""
        for table in self.route_tables:
            if any(a.get("SubnetId") == subnet_id for a in table.get("Associations") or []):
                return table, "explicit"
        for table in self.route_tables:
            if any(a.get("Main") for a in table.get("Associations") or []):
                return table, "main"
        return None, None

    def acl_for(self, subnet_id):
        for acl in self.acls:
            if any(a.get("SubnetId") == subnet_id for a in acl.get("Associations") or []):
                return acl
        return next((acl for acl in self.acls if acl.get("IsDefault")), None)

    def group_list(self, group_ids):
        return [self.groups[gid] for gid in group_ids if gid in self.groups]

    def prefix_list_spans(self, prefix_list_id):
        return _spans_of(self.prefix_lists.get(prefix_list_id, []))

    def service_prefix_list(self, service):
        """The AWS-managed prefix list of a service in this region, or None."""
        for pl_id, name in self.prefix_list_names.items():
            if short_service(name) == service and str(name).endswith(f".{self.region}.{service}"):
                return pl_id
        return next((pl_id for pl_id, name in self.prefix_list_names.items() if short_service(name) == service), None)

    def gateway_endpoints(self, service):
        return [ep for ep in self.endpoints
                if ep.get("VpcEndpointType") == "Gateway" and short_service(ep.get("ServiceName")) == service]


class _Model:
    """Sites, intent and peerings, validated."""

    def __init__(self, sites, intent):
        if not isinstance(sites, dict):
            raise ReachabilityError(f"sites must be a dict of site name to site state, got {type(sites).__name__}")
        intent = dict(intent or {})
        site_intents = intent.get("sites") or {}
        self.sites = {name: _Site(name, state, site_intents.get(name), intent.get("prefix_lists"))
                      for name, state in sorted(sites.items())}
        self.peerings = [self._check_peering(p, i) for i, p in enumerate(intent.get("peerings") or [])]
        self.client_ports = self._check_client_ports(intent.get("client_ports", DEFAULT_CLIENT_PORTS))
        services = intent.get("endpoint_services", DEFAULT_ENDPOINT_SERVICES)
        self.endpoint_services = {str(k): self._check_ports(v, f"endpoint_services.{k}") for k, v in (services or {}).items()}
        self.check_internet = bool(intent.get("internet", True))
        self.check_peer_exposure = bool(intent.get("peer_exposure", True))
        self.connections = self._connections()

    def _check_peering(self, peering, index):
        where = f"intent.peerings[{index}]"
        if not isinstance(peering, dict):
            raise ReachabilityError(f"{where} must be a dict, got {peering!r}")
        for side in ("requester", "accepter"):
            if peering.get(side) not in self.sites:
                raise ReachabilityError(f"{where}.{side} {peering.get(side)!r} is not one of the sites {sorted(self.sites)}")
        direction = peering.get("direction", "both")
        if direction not in DIRECTIONS:
            raise ReachabilityError(f"{where}.direction {direction!r} must be one of {list(DIRECTIONS)}")
        return {
            "name": str(peering.get("name") or f"{peering['requester']}-{peering['accepter']}"),
            "requester": peering["requester"],
            "accepter": peering["accepter"],
            "ports": self._check_ports(peering.get("ports", []), f"{where}.ports"),
            "direction": direction,
            "dns_resolution": bool(peering.get("dns_resolution", True)),
        }

    @staticmethod
    def _check_ports(ports, where):
        try:
            values = sorted({int(p) for p in ports or []})
        except (TypeError, ValueError):
            raise ReachabilityError(f"{where} must be a list of port numbers, got {ports!r}") from None
        if any(p < 0 or p > DOMAIN_MAX for p in values):
            raise ReachabilityError(f"{where} {ports!r} has a port outside 0-65535")
        return values

    @staticmethod
    def _check_client_ports(value):
        try:
            low, high = (int(v) for v in value)
        except (TypeError, ValueError):
            raise ReachabilityError(f"intent.client_ports must be [from, to], got {value!r}") from None
        if not 0 <= low <= high <= DOMAIN_MAX:
            raise ReachabilityError(f"intent.client_ports {value!r} must satisfy 0 <= from <= to <= 65535")
        return (low, high)

    def _connections(self):
        """Every peering connection any site reports, one entry per ID.

        Each side's owner sets its own options, so a side's options are read from the
        state of the site that owns that side when there is one. Copies that disagree
        on the status (a stale describe) yield the one that is not active.
        """
        merged = {}
        for site in self.sites.values():
            for conn in site.state.get("vpc_peering_connections") or []:
                pcx = conn.get("VpcPeeringConnectionId")
                req, acc = conn.get("RequesterVpcInfo") or {}, conn.get("AccepterVpcInfo") or {}
                entry = merged.setdefault(pcx, {
                    "id": pcx, "requester_vpc": req.get("VpcId"), "accepter_vpc": acc.get("VpcId"),
                    "requester_region": req.get("Region"), "accepter_region": acc.get("Region"),
                    "status": (conn.get("Status") or {}).get("Code", "unknown"), "options": {}})
                status = (conn.get("Status") or {}).get("Code", "unknown")
                if status != "active":
                    entry["status"] = status
                for side, info in (("requester", req), ("accepter", acc)):
                    owned = info.get("VpcId") == site.vpc_id
                    if owned or side not in entry["options"]:
                        entry["options"][side] = (info.get("PeeringOptions") or {}).get("AllowDnsResolutionFromRemoteVpc")
        return merged

    def connection_between(self, vpc_a, vpc_b):
        """The peering connection joining two VPCs (an active one first), or None."""
        found = [c for c in self.connections.values() if {c["requester_vpc"], c["accepter_vpc"]} == {vpc_a, vpc_b}]
        found.sort(key=lambda c: (c["status"] != "active", c["status"] in ("deleted", "rejected", "failed", "expired"), c["id"]))
        return found[0] if found else None

    def peerings_between(self, src, dst):
        return [p for p in self.peerings if {p["requester"], p["accepter"]} == {src, dst}]


# ---------------------------------------------------------------- stages
#
# A stage is one component's decision over the whole port domain: a sorted list of
# (low, high, ok, component) covering 0..DOMAIN_MAX. A stage whose component is None
# plays no part (it passes, and names nothing).

def _constant(ok, component):
    return [(0, DOMAIN_MAX, ok, component)]


def _pieces_from(decided, fallback):
    """Sorted stage from (low, high, ok, component) pieces, `fallback` for the gaps."""
    decided = sorted(decided)
    out, cursor = [], 0
    for low, high, ok, comp in decided:
        if cursor < low:
            out.append((cursor, low - 1) + fallback)
        out.append((low, high, ok, comp))
        cursor = high + 1
    if cursor <= DOMAIN_MAX:
        out.append((cursor, DOMAIN_MAX) + fallback)
    return out


def _piece_at(stage, point):
    for low, high, ok, comp in stage:
        if low <= point <= high:
            return ok, comp
    raise AssertionError(f"stage does not cover {point}")  # a bug, never an input problem


# -- routes

def _best_route(site, table, block):
    """The route AWS picks for the address block: longest prefix, then static, prefix list, propagated."""
    best = None
    for route in table.get("Routes") or []:
        for destination, span, rank in _route_destinations(site, route):
            if not _within(block, span):
                continue
            candidate = (span[2] - span[1], -rank)  # a smaller span is a longer prefix
            if best is None or candidate < best[0]:
                best = (candidate, route, destination)
    return (best[1], best[2]) if best else (None, None)


def _route_destinations(site, route):
    if route.get("DestinationPrefixListId"):
        pl_id = route["DestinationPrefixListId"]
        return [(pl_id, span, _PREFIX_LIST_ROUTE) for span in site.prefix_list_spans(pl_id)]
    rank = _PROPAGATED_ROUTE if route.get("Origin") == "EnableVgwRoutePropagation" else _STATIC_ROUTE
    out = []
    for key in ("DestinationCidrBlock", "DestinationIpv6CidrBlock"):
        span = _span(route.get(key)) if route.get(key) else None
        if span:
            out.append((route[key], span, rank))
    return out


def _route_component(site, table, association, leg, route=None, destination=None, problem=None):
    return {
        "type": "route", "site": site.name, "leg": leg,
        "route_table_id": (table or {}).get("RouteTableId"), "association": association,
        "destination": destination, "target": route_target(route) if route else None,
        "state": (route or {}).get("State"), "action": DENY if problem else ALLOW, "problem": problem,
    }


def _resolve_route(site, subnet_id, block, leg):
    """(route, destination, table, association, problem) for traffic from the subnet to the block."""
    table, association = site.route_table_for(subnet_id)
    if table is None:
        return None, None, None, None, "no-route-table"
    route, destination = _best_route(site, table, block)
    if route is None:
        return None, None, table, association, "no-route"
    if route.get("State") == "blackhole":
        return route, destination, table, association, "blackhole"
    return route, destination, table, association, None


def _peer_route_stage(model, site, subnet_id, block, peer_site, leg, required_pcx=None):
    """The route from a subnet to a peer's address block: it must use the peering joining the VPCs."""
    route, destination, table, association, problem = _resolve_route(site, subnet_id, block, leg)
    pcx = None
    if problem is None:
        pcx = (route or {}).get("VpcPeeringConnectionId")
        conn = model.connections.get(pcx) if pcx else None
        joins = conn is not None and {conn["requester_vpc"], conn["accepter_vpc"]} == {site.vpc_id, peer_site.vpc_id}
        if not pcx:
            problem = "wrong-target"
        elif not joins or (required_pcx and pcx != required_pcx):
            problem = "wrong-peering"
    comp = _route_component(site, table, association, leg, route, destination, problem)
    comp["peer_vpc"] = peer_site.vpc_id
    if required_pcx:
        comp["required_peering"] = required_pcx
    return _constant(problem is None, comp), (pcx if problem is None else None)


def _peering_stage(model, pcx):
    if not pcx:
        return _constant(True, None)  # no route reached a peering: the route stage already refused
    status = model.connections[pcx]["status"]
    ok = status == "active"
    return _constant(ok, {"type": "peering", "peering_connection_id": pcx, "status": status, "action": ALLOW if ok else DENY})


def _endpoint_route_stage(site, subnet_id, block, service, prefix_list_id):
    """The route to a service address: the prefix-list route of this VPC's gateway endpoint."""
    route, destination, table, association, problem = _resolve_route(site, subnet_id, block, "request")
    if problem is None:
        target = route_target(route)
        endpoint = next((ep for ep in site.gateway_endpoints(service) if ep.get("VpcEndpointId") == target), None)
        if destination != prefix_list_id or endpoint is None:
            problem = "wrong-target"
        elif endpoint.get("State", "available").lower() != "available":
            problem = "endpoint-unavailable"
    comp = _route_component(site, table, association, "request", route, destination, problem)
    comp["service"] = service
    return _constant(problem is None, comp)


def _internet_route_stage(site, subnet_id, block, inbound):
    """Passes when the route for a public address leaves through an internet-facing gateway."""
    route, destination, table, association, problem = _resolve_route(site, subnet_id, block, "request")
    gateways = ("igw-",) if inbound else ("igw-", "nat-", "eigw-")
    if problem is None and not route_target(route).startswith(gateways):
        problem = "not-internet"
    comp = _route_component(site, table, association, "reply" if inbound else "request", route, destination, problem)
    comp["internet"] = True
    comp["action"] = ALLOW if problem is None else DENY
    return _constant(problem is None, comp)


# -- network ACLs

def _entry_matches(entry, protocol_number, block):
    proto = _protocol_number(entry.get("Protocol"))
    if proto not in ("-1", protocol_number):
        return False
    cidr = entry.get("CidrBlock") if block[0] == 4 else entry.get("Ipv6CidrBlock")
    return bool(cidr) and _within(block, _span(cidr))


def _entry_interval(entry, protocol):
    if _protocol_number(entry.get("Protocol")) == "-1":
        return (0, DOMAIN_MAX)
    if protocol == ICMP:
        code = entry.get("IcmpTypeCode") or {}
        return _icmp_interval(code.get("Type"), code.get("Code"))
    rng = entry.get("PortRange") or {}
    return _port_interval(rng.get("From"), rng.get("To"))


def _acl_component(site, acl, egress, leg, rule_number, action, default=False):
    return {
        "type": "network_acl", "site": site.name, "network_acl_id": acl.get("NetworkAclId"),
        "direction": "egress" if egress else "ingress", "leg": leg,
        "rule_number": rule_number, "action": action, "default": default,
    }


def _acl_stage(site, acl, egress, protocol, block, leg):
    """First match by ascending rule number over the port domain; the default rule denies the rest."""
    if acl is None:
        return _constant(False, {"type": "network_acl", "site": site.name, "network_acl_id": None,
                                 "direction": "egress" if egress else "ingress", "leg": leg,
                                 "action": DENY, "problem": "no-network-acl"})
    number = _flow_protocol_number(protocol, block[0])
    entries = sorted((e for e in acl.get("Entries") or [] if bool(e.get("Egress")) == egress),
                     key=lambda e: int(e.get("RuleNumber", 0)))
    undecided, decided = [(0, DOMAIN_MAX)], []
    for entry in entries:
        if not undecided:
            break
        if not _entry_matches(entry, number, block):
            continue
        low, high = _entry_interval(entry, protocol)
        action = str(entry.get("RuleAction", DENY)).lower()
        rule = int(entry.get("RuleNumber", 0))
        comp = _acl_component(site, acl, egress, leg, rule, action, default=rule >= _DEFAULT_RULE[4])
        decided.extend((a, b, action == ALLOW, comp) for a, b in _intersect(undecided, low, high))
        undecided = _remove(undecided, low, high)
    default = _acl_component(site, acl, egress, leg, _DEFAULT_RULE[block[0]], DENY, default=True)
    return _pieces_from(decided, (False, default))


def _reply_stage(site, acl, egress, protocol, block, client_ports):
    """The stateless reply: its destination port is the client's source port (or the ICMP reply type)."""
    if protocol == ICMP:
        return _icmp_reply_stage(site, acl, egress, block)
    low, high = client_ports
    replies = [p for p in _acl_stage(site, acl, egress, protocol, block, "reply") if p[0] <= high and low <= p[1]]
    refused = next((p for p in replies if not p[2]), None)
    if refused:
        comp = dict(refused[3], client_ports=[max(low, refused[0]), min(high, refused[1])])
        return _constant(False, comp)
    first = replies[0][3]
    comp = dict(first, client_ports=[low, high],
                rule_numbers=sorted({p[3].get("rule_number") for p in replies if p[3].get("rule_number") is not None}))
    return _constant(True, comp)


def _icmp_reply_stage(site, acl, egress, block):
    decided = []
    for request, reply in sorted(ICMP_REPLIES.items()):
        point = reply * 256
        ok, comp = _piece_at(_acl_stage(site, acl, egress, ICMP, block, "reply"), point)
        decided.append((request * 256, request * 256 + 255, ok, dict(comp, icmp_reply=[reply, 0])))
    return _pieces_from(decided, (True, None))


# -- security groups

def _perm_matches_protocol(perm, protocol_number):
    return _protocol_number(perm.get("IpProtocol")) in ("-1", protocol_number)


def _perm_interval(perm, protocol):
    if _protocol_number(perm.get("IpProtocol")) == "-1":
        return (0, DOMAIN_MAX)
    if protocol == ICMP:
        return _icmp_interval(perm.get("FromPort"), perm.get("ToPort"))
    return _port_interval(perm.get("FromPort"), perm.get("ToPort"))


class _Peer:
    """The other end as a security group sees it."""

    def __init__(self, block, label, group_ids=(), same_region=False):
        self.block = block
        self.label = label
        self.group_ids = set(group_ids)
        self.same_region = same_region


def _rule_sources(site, perm, peer):
    """The sources/destinations of a permission that match the peer, and the references skipped."""
    matched, skipped = [], []
    for item in perm.get("IpRanges") or []:
        if _within(peer.block, _span(item.get("CidrIp"))):
            matched.append(item.get("CidrIp"))
    for item in perm.get("Ipv6Ranges") or []:
        if _within(peer.block, _span(item.get("CidrIpv6"))):
            matched.append(item.get("CidrIpv6"))
    for item in perm.get("PrefixListIds") or []:
        pl_id = item.get("PrefixListId")
        if any(_within(peer.block, span) for span in site.prefix_list_spans(pl_id)):
            matched.append(pl_id)
    for item in perm.get("UserIdGroupPairs") or []:
        group_id = item.get("GroupId")
        if group_id in peer.group_ids:
            (matched if peer.same_region else skipped).append(group_id)
    return matched, skipped


def _sg_stage(site, groups, egress, protocol, peer):
    """Stateful, allow-only: the union of every rule of the groups in that direction."""
    direction = "egress" if egress else "ingress"
    number = _flow_protocol_number(protocol, peer.block[0])
    allowed, skipped = [], []
    for group in groups:
        for perm in group.get("IpPermissionsEgress" if egress else "IpPermissions") or []:
            if not _perm_matches_protocol(perm, number):
                continue
            matched, refs = _rule_sources(site, perm, peer)
            skipped.extend(refs)
            if not matched:
                continue
            low, high = _perm_interval(perm, protocol)
            rule = {"protocol": str(perm.get("IpProtocol")), "from_port": perm.get("FromPort"),
                    "to_port": perm.get("ToPort"), "peer": matched[0]}
            comp = {"type": "security_group", "site": site.name, "group_id": group.get("GroupId"),
                    "direction": direction, "rule": rule, "action": ALLOW}
            allowed.append((low, high, comp))
    missing = {"type": "security_group", "site": site.name, "group_ids": [g.get("GroupId") for g in groups],
               "direction": direction, "rule": None, "action": DENY, "peer": peer.label,
               "skipped_references": sorted(set(skipped))}
    if not groups:
        missing["problem"] = "no-workload-group"
    decided, undecided = [], [(0, DOMAIN_MAX)]
    for low, high, comp in allowed:  # the first rule that allows a port names it
        decided.extend((a, b, True, comp) for a, b in _intersect(undecided, low, high))
        undecided = _remove(undecided, low, high)
    return _pieces_from(decided, (False, missing))


# ---------------------------------------------------------------- combining stages

def _combine(stages, expected):
    """Pieces (low, high, verdict, expected, component, path): the first refusing stage decides."""
    cuts = sorted({piece[0] for stage in stages + [expected] for piece in stage})
    out = []
    for index, low in enumerate(cuts):
        high = cuts[index + 1] - 1 if index + 1 < len(cuts) else DOMAIN_MAX
        verdict, decider, path = ALLOW, None, []
        for stage in stages:
            ok, comp = _piece_at(stage, low)
            if not ok:
                verdict, decider = DENY, comp
                break
            if comp is not None:
                path.append(comp)
        if verdict == ALLOW:
            decider = next((c for c in reversed(path) if c["type"] == "security_group"), path[-1] if path else None)
            path = list(path)
        else:
            path = []
        want = _piece_at(expected, low)[1]
        piece = [low, high, verdict, want, decider, path]
        if out and out[-1][1] + 1 == low and _key(out[-1][2:]) == _key(piece[2:]):
            out[-1][1] = high
        else:
            out.append(piece)
    return out


def _expected_stage(ports):
    """ALLOW on the given TCP ports (as a stage whose 'component' is the expectation)."""
    decided = [(p, p, True, ALLOW) for p in ports]
    return _pieces_from(decided, (True, DENY))


# ---------------------------------------------------------------- ends and flow records

class _End:
    """One end of a family of flows: its address spans and how it is shown."""

    def __init__(self, show, spans, site=None, subnet_id=None):
        self.show = show
        self.spans = spans
        self.site = site
        self.subnet_id = subnet_id


def _subnet_end(site, subnet_id):
    subnet = site.subnets[subnet_id]
    span = _span(subnet.get("CidrBlock"))
    show = {"site": site.name, "vpc_id": site.vpc_id, "subnet_id": subnet_id, "cidr": subnet.get("CidrBlock")}
    return _End(show, [span] if span else [], site, subnet_id)


def _component_spans(site, subnet_id, groups):
    """Every CIDR that a route, ACL entry or group rule of this subnet's path can match."""
    spans = []
    table, _assoc = site.route_table_for(subnet_id)
    for route in (table or {}).get("Routes") or []:
        spans.extend(span for _dest, span, _rank in _route_destinations(site, route))
    return spans + _acl_spans(site.acl_for(subnet_id)) + _group_spans(site, groups)


def _acl_spans(acl):
    """Every CIDR an entry of the ACL can match."""
    return _spans_of([c for entry in (acl or {}).get("Entries") or [] for c in (entry.get("CidrBlock"), entry.get("Ipv6CidrBlock"))])


def _group_spans(site, groups):
    """Every CIDR a rule of the groups can match (CIDRs, IPv6 CIDRs, prefix lists)."""
    spans = []
    for group in groups:
        for perm in (group.get("IpPermissions") or []) + (group.get("IpPermissionsEgress") or []):
            spans.extend(_spans_of([r.get("CidrIp") for r in perm.get("IpRanges") or []]))
            spans.extend(_spans_of([r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or []]))
            for item in perm.get("PrefixListIds") or []:
                spans.extend(site.prefix_list_spans(item.get("PrefixListId")))
    return spans


def _spans_of(cidrs):
    return [span for span in (_span(c) for c in cidrs if c) if span]


def _evaluate_family(src, dst, protocol, cut_spans, stages_for, expected, extra):
    """Flow records for every address block pair and port interval between two ends."""
    src_classes = _address_classes(src.spans, cut_spans)
    dst_classes = _address_classes(dst.spans, cut_spans)
    outcomes = {}
    for src_class in src_classes:
        for dst_class in dst_classes:
            for piece in _combine(stages_for(src_class[0], dst_class[0]), expected):
                key = _key(piece)
                outcomes.setdefault(key, (piece, []))[1].append((src_class, dst_class))
    all_src, all_dst = _blocks_of(src_classes), _blocks_of(dst_classes)
    records = []
    for piece, pairs in outcomes.values():
        for src_part, dst_part in _rectangles(pairs):
            src_blocks, dst_blocks = sorted(_blocks_of(src_part)), sorted(_blocks_of(dst_part))
            records.append((piece[0], src_blocks, dst_blocks,
                            _flow_record(src, dst, protocol, piece, src_blocks, dst_blocks, all_src, all_dst, extra)))
    return [record[-1] for record in sorted(records, key=lambda r: r[:3])]


def _rectangles(pairs):
    """Exact cover of a set of (src, dst) pairs by (srcs, dsts) products."""
    by_src = {}
    for src_item, dst_item in pairs:
        by_src.setdefault(src_item, set()).add(dst_item)
    by_dsts = {}
    for src_item, dst_items in by_src.items():
        by_dsts.setdefault(frozenset(dst_items), []).append(src_item)
    return [(srcs, sorted(dsts)) for dsts, srcs in by_dsts.items()]


def _end_output(end, blocks, all_blocks):
    out = dict(end.show)
    if sorted(blocks) != sorted(all_blocks):
        out["addresses"] = _cidrs_of(blocks)
    return out


def _flow_record(src, dst, protocol, piece, src_blocks, dst_blocks, all_src, all_dst, extra):
    low, high, verdict, expected, component, path = piece
    flow = dict(extra)
    flow.update({
        "src": _end_output(src, src_blocks, all_src),
        "dst": _end_output(dst, dst_blocks, all_dst),
        "protocol": protocol,
        "ports": [low, high] if protocol != ICMP else [low // 256, high // 256],
        "verdict": verdict,
        "expected": expected,
        "component": component,
    })
    if protocol == ICMP:
        flow["icmp"] = {"from": [low // 256, low % 256], "to": [high // 256, high % 256]}
    if verdict == ALLOW:
        flow["path"] = path
    flow["because"] = _because(flow)
    return flow


# ---------------------------------------------------------------- explanations

def _ports_text(protocol, low, high):
    if protocol == ICMP:
        return _icmp_text(low, high)
    return f"{protocol} {low}" if low == high else f"{protocol} {low}-{high}"


def _icmp_text(low, high):
    (t1, c1), (t2, c2) = divmod(low, 256), divmod(high, 256)
    if c1 == 0 and c2 == 255:
        return f"icmp type {t1}" if t1 == t2 else f"icmp types {t1}-{t2}"
    if (t1, c1) == (t2, c2):
        return f"icmp type {t1} code {c1}"
    return f"icmp type {t1} code {c1} to type {t2} code {c2}"


def _flow_ports_text(flow):
    if flow["protocol"] == ICMP:
        (t1, c1), (t2, c2) = flow["icmp"]["from"], flow["icmp"]["to"]
        return _icmp_text(t1 * 256 + c1, t2 * 256 + c2)
    return _ports_text(flow["protocol"], *flow["ports"])


def _rule_text(rule):
    proto = _protocol_number(rule.get("protocol"))
    if proto == "-1":
        return "all traffic"
    name = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(proto, f"protocol {proto}")
    low, high = rule.get("from_port"), rule.get("to_port")
    if name.startswith("icmp"):
        return f"{name} type {low} code {high}" if low is not None and int(low) >= 0 else f"{name} all"
    if low is None or int(low) < 0 or (int(low) == 0 and int(high) == DOMAIN_MAX):
        return f"{name} all ports"
    return f"{name} {low}" if low == high else f"{name} {low}-{high}"


_ROUTE_PROBLEMS = {
    "no-route-table": "no route table is associated with the subnet and the VPC has no main table",
    "no-route": "no route matches the destination",
    "blackhole": "the matching route is a blackhole",
    "wrong-target": "the matching route does not target the expected gateway",
    "wrong-peering": "the matching route targets a peering that does not join these VPCs",
    "endpoint-unavailable": "the gateway endpoint is not available",
    "not-internet": "the matching route does not leave through an internet, NAT or egress-only gateway",
}


def describe_component(comp, flow=None):
    """One component of a verdict in words (`flow` supplies the ports for a missing rule)."""
    kind = comp.get("type")
    if kind == "route":
        return _route_text(comp)
    if kind == "peering":
        return f"peering {comp['peering_connection_id']} is {comp['status']}"
    if kind == "network_acl":
        return _acl_text(comp)
    if kind == "security_group":
        return _sg_text(comp, flow)
    return str(comp.get("problem") or comp)


def _route_text(comp):
    where = f"{comp['route_table_id']} ({comp['association']} association of {comp['site']})"
    if comp.get("problem") == "no-route-table":
        return f"{comp['leg']} route: {_ROUTE_PROBLEMS['no-route-table']} ({comp['site']})"
    if comp.get("problem") == "no-route":
        return f"{comp['leg']} route: no route in {where} matches the destination"
    text = f"{comp['leg']} route {comp['destination']} -> {comp['target']} in {where}"
    if comp.get("problem") == "wrong-peering" and comp.get("required_peering"):
        return f"{text}: the reply must return through {comp['required_peering']}"
    if comp.get("problem") == "wrong-peering":
        return f"{text}: {comp['target']} does not join this VPC to {comp.get('peer_vpc')}"
    if comp.get("problem") == "wrong-target" and comp.get("service"):
        return f"{text}: not the {comp['service']} gateway endpoint's prefix-list route"
    if comp.get("problem") == "wrong-target":
        return f"{text}: not a peering connection to {comp.get('peer_vpc')}"
    if comp.get("problem"):
        return f"{text}: {_ROUTE_PROBLEMS[comp['problem']]}"
    return text


def _acl_text(comp):
    if comp.get("problem") == "no-network-acl":
        return f"no network ACL is associated with the subnet in {comp['site']} ({comp['direction']}, {comp['leg']})"
    action = "default deny" if comp.get("default") and comp["action"] == DENY else comp["action"]
    text = f"{comp['network_acl_id']} {comp['direction']} rule {comp['rule_number']} ({action}) on the {comp['leg']}"
    if comp.get("rule_numbers") and len(comp["rule_numbers"]) > 1:
        text = (f"{comp['network_acl_id']} {comp['direction']} rules {', '.join(str(n) for n in comp['rule_numbers'])} "
                f"(allow) on the {comp['leg']}")
    if comp.get("client_ports"):
        low, high = comp["client_ports"]
        text += f" to client ports {low}-{high}"
    if comp.get("icmp_reply"):
        text += f" (icmp type {comp['icmp_reply'][0]} reply)"
    return text


def _sg_text(comp, flow):
    toward = "to" if comp["direction"] == "egress" else "from"
    if comp["action"] == ALLOW:
        rule = comp["rule"]
        return f"{comp['group_id']} {comp['direction']} rule {_rule_text(rule)} {toward} {rule['peer']}"
    if comp.get("problem") == "no-workload-group":
        return f"{comp['site']} has no workload security group to carry the traffic"
    ports = _flow_ports_text(flow) if flow else "this traffic"
    text = f"no {comp['direction']} rule of {', '.join(comp['group_ids'])} allows {ports} {toward} {comp['peer']}"
    if comp.get("skipped_references"):
        text += (f" (the reference to {', '.join(comp['skipped_references'])} does not apply across an "
                 f"inter-region peering)")
    return text


def _because(flow):
    if flow["verdict"] == DENY:
        return f"denied by {describe_component(flow['component'], flow)}"
    return "allowed: " + "; ".join(describe_component(c, flow) for c in flow.get("path") or [])


# ---------------------------------------------------------------- the three kinds of flow

def _site_pairs(model):
    """(source site, destination site, the peerings joining them) for each ordered pair of sites that have a VPC."""
    for src_site in model.sites.values():
        for dst_site in model.sites.values():
            if src_site is not dst_site and src_site.vpc_id and dst_site.vpc_id:
                yield src_site, dst_site, model.peerings_between(src_site.name, dst_site.name)


def _peer_flows(model):
    flows = []
    for src_site, dst_site, peerings in _site_pairs(model):
        ports = _intent_ports(peerings, src_site.name)
        extra = {"kind": "peer", "layer": "end-to-end", "peering": peerings[0]["name"] if peerings else None}
        for src_id in src_site.private_subnet_ids:
            for dst_id in dst_site.private_subnet_ids:
                flows.extend(_peer_pair_flows(model, src_site, src_id, dst_site, dst_id, ports, extra))
    return flows


def _intent_ports(peerings, src_name):
    """The TCP ports the intent lets `src_name` open connections to, through the peerings joining it to the other site."""
    return sorted({p for peering in peerings if _allows_direction(peering, src_name) for p in peering["ports"]})


def _allows_direction(peering, src_name):
    if peering["direction"] == "both":
        return True
    forward = peering["direction"] == "requester-to-accepter"
    return (src_name == peering["requester"]) == forward


def _peer_pair_flows(model, src_site, src_id, dst_site, dst_id, ports, extra):
    src, dst = _subnet_end(src_site, src_id), _subnet_end(dst_site, dst_id)
    src_groups, dst_groups = src_site.group_list(src_site.workload_group_ids), dst_site.group_list(dst_site.workload_group_ids)
    cuts = _component_spans(src_site, src_id, src_groups) + _component_spans(dst_site, dst_id, dst_groups)
    same_region = src_site.region == dst_site.region
    src_acl, dst_acl = src_site.acl_for(src_id), dst_site.acl_for(dst_id)
    flows = []
    for protocol in PROTOCOLS:
        def stages_for(src_block, dst_block, protocol=protocol):
            forward, pcx = _peer_route_stage(model, src_site, src_id, dst_block, dst_site, "request")
            back = _peer_route_stage(model, dst_site, dst_id, src_block, src_site, "reply", required_pcx=pcx)[0]
            to_dst = _Peer(dst_block, dst_site.label(dst_id), dst_site.workload_group_ids, same_region)
            from_src = _Peer(src_block, src_site.label(src_id), src_site.workload_group_ids, same_region)
            return [
                forward, _peering_stage(model, pcx), back,
                _sg_stage(src_site, src_groups, True, protocol, to_dst),
                _acl_stage(src_site, src_acl, True, protocol, dst_block, "request"),
                _acl_stage(dst_site, dst_acl, False, protocol, src_block, "request"),
                _sg_stage(dst_site, dst_groups, False, protocol, from_src),
                _reply_stage(dst_site, dst_acl, True, protocol, src_block, model.client_ports),
                _reply_stage(src_site, src_acl, False, protocol, dst_block, model.client_ports),
            ]
        expected = _expected_stage(ports if protocol == TCP else [])
        flows.extend(_evaluate_family(src, dst, protocol, cuts, stages_for, expected, extra))
    return flows


def _endpoint_flows(model):
    flows = []
    for site in model.sites.values():
        for service, ports in sorted(model.endpoint_services.items()):
            pl_id = site.service_prefix_list(service)
            for subnet_id in site.private_subnet_ids:
                flows.extend(_endpoint_subnet_flows(model, site, subnet_id, service, pl_id, ports))
    return flows


def _endpoint_subnet_flows(model, site, subnet_id, service, pl_id, ports):
    groups = site.group_list(site.workload_group_ids)
    acl = site.acl_for(subnet_id)
    src = _subnet_end(site, subnet_id)
    cidrs = site.prefix_lists.get(pl_id, []) if pl_id else []
    dst = _End({"site": site.name, "service": service, "prefix_list_id": pl_id, "cidr": None, "cidrs": list(cidrs)},
               _spans_of(cidrs))
    extra = {"kind": "endpoint", "layer": "end-to-end", "peering": None}
    if not dst.spans:
        reason = f"no prefix list for {service} in the state of {site.name}"
        return [flow for protocol in PROTOCOLS
                for flow in _unresolvable_flows(src, dst, protocol, extra, ports if protocol == TCP else [], reason)]
    label = f"the {service} prefix list {pl_id}"
    flows = []
    for protocol in PROTOCOLS:
        def stages_for(_src_block, dst_block, protocol=protocol):
            return [
                _endpoint_route_stage(site, subnet_id, dst_block, service, pl_id),
                _sg_stage(site, groups, True, protocol, _Peer(dst_block, label)),
                _acl_stage(site, acl, True, protocol, dst_block, "request"),
                _reply_stage(site, acl, False, protocol, dst_block, model.client_ports),
            ]
        expected = _expected_stage(ports if protocol == TCP else [])
        flows.extend(_evaluate_family(src, dst, protocol, _component_spans(site, subnet_id, groups), stages_for, expected, extra))
    return flows


def _unresolvable_flows(src, dst, protocol, extra, expected_ports, reason):
    """One denied flow over the whole domain when the state lacks what the evaluation needs."""
    flows = []
    for low, high, _ok, want in _expected_stage(expected_ports):
        comp = {"type": "state", "action": DENY, "problem": reason}
        flow = dict(extra, src=dict(src.show), dst=dict(dst.show), protocol=protocol, verdict=DENY, expected=want,
                    component=comp, because=f"denied: {reason}")
        flow["ports"] = [low, high] if protocol != ICMP else [low // 256, high // 256]
        if protocol == ICMP:
            flow["icmp"] = {"from": [low // 256, low % 256], "to": [high // 256, high % 256]}
        flows.append(flow)
    return flows


def _internet_spans(site, version):
    services = [span for pl_id in site.prefix_lists for span in site.prefix_list_spans(pl_id)]
    if version == 4:
        return _subtract([(4, 0, 2 ** 32 - 1)], [_span(c) for c in _NOT_INTERNET_V4] + services)
    return _subtract([_span(_INTERNET_V6)], services)


def _internet_flows(model):
    flows = []
    for site in model.sites.values():
        groups = site.internet_groups()
        for subnet_id in site.private_subnet_ids:
            cuts = _component_spans(site, subnet_id, groups)
            for version in (4, 6):
                internet = _End({"site": "internet", "cidr": _INTERNET_LABEL[version]}, _internet_spans(site, version))
                for inbound in (False, True):
                    flows.extend(_internet_layer_flows(model, site, subnet_id, groups, internet, inbound, cuts))
    return flows


def _internet_layer_flows(model, site, subnet_id, groups, internet, inbound, cuts):
    subnet = _subnet_end(site, subnet_id)
    acl = site.acl_for(subnet_id)
    src, dst = (internet, subnet) if inbound else (subnet, internet)
    layers = {
        "route": lambda block, protocol: [_internet_route_stage(site, subnet_id, block, inbound)],
        "network_acl": lambda block, protocol: [
            _acl_stage(site, acl, not inbound, protocol, block, "request"),
            _reply_stage(site, acl, inbound, protocol, block, model.client_ports)],
        "security_group": lambda block, protocol: [
            _sg_stage(site, groups, not inbound, protocol, _Peer(block, "the internet"))],
    }
    flows = []
    for layer, stages in layers.items():
        extra = {"kind": "internet", "layer": layer, "peering": None}
        for protocol in PROTOCOLS:
            def stages_for(src_block, dst_block, protocol=protocol, stages=stages):
                return stages(src_block if inbound else dst_block, protocol)
            flows.extend(_evaluate_family(src, dst, protocol, cuts, stages_for, _expected_stage([]), extra))
    return flows


def _peer_exposure_flows(model):
    """Each layer between the private subnets of two sites, on its own (see the module docstring)."""
    flows = []
    for src_site, dst_site, peerings in _site_pairs(model):
        ports = _intent_ports(peerings, src_site.name)
        # The destination opens connections to the source: the source's replies go to its client ports.
        replies = bool(_intent_ports(peerings, dst_site.name))
        extra = {"kind": "peer_exposure", "peering": peerings[0]["name"] if peerings else None}
        for src_id in src_site.private_subnet_ids:
            for dst_id in dst_site.private_subnet_ids:
                flows.extend(_peer_exposure_pair_flows(model, src_site, src_id, dst_site, dst_id, ports, replies, extra))
    return flows


def _peer_exposure_pair_flows(model, src_site, src_id, dst_site, dst_id, ports, replies, extra):
    src, dst = _subnet_end(src_site, src_id), _subnet_end(dst_site, dst_id)
    src_groups, dst_groups = src_site.group_list(src_site.workload_group_ids), dst_site.group_list(dst_site.workload_group_ids)
    same_region = src_site.region == dst_site.region
    src_acl, dst_acl = src_site.acl_for(src_id), dst_site.acl_for(dst_id)

    def to_dst(block):
        return _Peer(block, dst_site.label(dst_id), dst_site.workload_group_ids, same_region)

    def from_src(block):
        return _Peer(block, src_site.label(src_id), src_site.workload_group_ids, same_region)

    layers = (  # along the packet's path, as the end-to-end flow checks them; each cut only by its own CIDRs
        ("security_group", "egress", _group_spans(src_site, src_groups),
         lambda s, d, protocol: _sg_stage(src_site, src_groups, True, protocol, to_dst(d))),
        ("network_acl", "egress", _acl_spans(src_acl),
         lambda s, d, protocol: _acl_stage(src_site, src_acl, True, protocol, d, "request")),
        ("network_acl", "ingress", _acl_spans(dst_acl),
         lambda s, d, protocol: _acl_stage(dst_site, dst_acl, False, protocol, s, "request")),
        ("security_group", "ingress", _group_spans(dst_site, dst_groups),
         lambda s, d, protocol: _sg_stage(dst_site, dst_groups, False, protocol, from_src(s))),
    )
    flows = []
    for layer, direction, cuts, stage in layers:
        for protocol in PROTOCOLS:
            opened = [(p, p) for p in ports] if protocol == TCP else []
            if protocol == TCP and replies and layer == "network_acl":
                opened.append(tuple(model.client_ports))  # stateless: the replies to the destination's connections
            intended = _union(opened)
            layer_extra = dict(extra, layer=layer, direction=direction, intended=intended)
            expected = _pieces_from([(low, high, True, ALLOW) for low, high in intended], (True, DENY))

            def stages_for(src_block, dst_block, protocol=protocol, stage=stage):
                return [stage(src_block, dst_block, protocol)]
            flows.extend(_evaluate_family(src, dst, protocol, cuts, stages_for, expected, layer_extra))
    return flows


def _union(ranges):
    """The (low, high) ranges as the fewest sorted [low, high] intervals."""
    merged = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return merged


# ---------------------------------------------------------------- DNS

def dns_proof(sites, intent=None, model=None):
    """Per intent peering and direction: does a host name of one VPC resolve to its private IP from the other?

    AWS (PeeringConnectionOptions): with AllowDnsResolutionFromRemoteVpc true on a side,
    the public DNS hostnames of instances in *that side's* VPC resolve to private IP
    addresses when queried from instances in the peer VPC. So a client in the requester
    VPC resolving accepter hosts needs the accepter side's option (set by the accepter's
    owner), and the reverse needs the requester side's. AWS also requires the peering
    to be active and DNS hostnames and DNS resolution enabled in both VPCs.
    """
    model = model or _Model(sites, intent)
    proofs = []
    for peering in model.peerings:
        requester, accepter = model.sites[peering["requester"]], model.sites[peering["accepter"]]
        conn = model.connection_between(requester.vpc_id, accepter.vpc_id) if requester.vpc_id and accepter.vpc_id else None
        for client, resolved, side in ((requester, accepter, "accepter"), (accepter, requester, "requester")):
            proofs.append(_dns_direction(peering, conn, client, resolved, side))
    return proofs


def _dns_direction(peering, conn, client, resolved, side):
    checks = [{"check": "peering active", "ok": bool(conn) and conn["status"] == "active",
               "detail": f"{conn['id']} is {conn['status']}" if conn else
               f"no peering connection joins {client.vpc_id} and {resolved.vpc_id} in the state"}]
    option = conn["options"].get(side) if conn else None
    checks.append({"check": f"{side} side AllowDnsResolutionFromRemoteVpc", "ok": option is True,
                   "detail": f"{side} ({resolved.name}) option is {option}; it lets {client.name} resolve "
                             f"{resolved.name} host names to private IPs"})
    for site in (client, resolved):
        for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
            value = site.vpc.get(attribute)
            checks.append({"check": f"{site.name} {attribute}", "ok": value is True,
                           "detail": f"{site.vpc_id or 'no VPC'} {attribute} is {value}"})
    resolves = all(c["ok"] for c in checks)
    failed = [c["detail"] for c in checks if not c["ok"]]
    because = ("resolves: " + "; ".join(c["detail"] for c in checks) if resolves else "does not resolve: " + "; ".join(failed))
    return {
        "peering": peering["name"],
        "peering_connection_id": conn["id"] if conn else None,
        "direction": "requester-to-accepter" if side == "accepter" else "accepter-to-requester",
        "client_site": client.name,
        "resolved_site": resolved.name,
        "resolves": resolves,
        "expected": peering["dns_resolution"],
        "because": because,
        "checks": checks,
    }


# ---------------------------------------------------------------- result

def evaluate(sites, intent=None):
    """Every flow, the violations, the DNS proof and a summary (see the module docstring)."""
    model = _Model(sites, intent)
    flows = _peer_flows(model) + _endpoint_flows(model)
    if model.check_internet:
        flows += _internet_flows(model)
    if model.check_peer_exposure:  # last: the IDs of the other flows do not depend on it
        flows += _peer_exposure_flows(model)
    for index, flow in enumerate(flows, start=1):
        flow["id"] = f"F{index:04d}"
    dns = dns_proof(sites, intent, model)
    violations = _flow_violations(flows) + _dns_violations(dns) + _intent_violations(model)
    return {"flows": flows, "violations": violations, "dns": dns, "summary": _summary(model, flows, dns, violations)}


def _violates(flow):
    """Whether a flow differs from the intent (a peer_exposure layer only by opening what the intent does not)."""
    if flow["kind"] == "peer_exposure":
        return flow["verdict"] == ALLOW and flow["expected"] == DENY
    return flow["verdict"] != flow["expected"]


def _flow_violations(flows):
    out = []
    for flow in flows:
        if not _violates(flow):
            continue
        if flow["kind"] == "peer_exposure":
            out.append(_peer_exposure_violation(flow))
            continue
        what = f"{_flow_ports_text(flow)} from {_end_text(flow['src'])} to {_end_text(flow['dst'])}"
        if flow["expected"] == ALLOW:
            reason = f"expected allow ({flow.get('peering') or 'endpoint service'}) for {what}, but {flow['because']}"
        else:
            reason = f"expected deny for {what}, but {flow['because']}"
        if flow["kind"] == "internet":
            reason = f"{flow['layer']} layer open to the internet: {reason}"
        out.append({"kind": flow["kind"], "flow": flow["id"], "src": flow["src"], "dst": flow["dst"],
                    "protocol": flow["protocol"], "ports": flow["ports"], "verdict": flow["verdict"],
                    "expected": flow["expected"], "because": flow["because"], "reason": reason})
    return out


def _peer_exposure_violation(flow):
    layer, direction = flow["layer"], flow["direction"]
    ends = [_end_text(end) + (f" [{', '.join(end['addresses'])}]" if end.get("addresses") else "")
            for end in (flow["src"], flow["dst"])]
    what = f"{_flow_ports_text(flow)} from {ends[0]} to {ends[1]}"
    intended = ", ".join(str(low) if low == high else f"{low}-{high}" for low, high in flow.get("intended") or [])
    if not flow.get("peering"):
        why = f"no intent peering joins {flow['src']['site']} and {flow['dst']['site']}"
    elif intended:
        why = f"intent {flow['peering']} lets this layer open only {flow['protocol']} {intended}"
    else:
        why = f"intent {flow['peering']} lets this layer open no {flow['protocol']}"
    reason = (f"peer exposure at the {layer} {direction} layer (on its own): expected deny for {what} ({why}), "
              f"but {layer} allows: {describe_component(flow['component'], flow)}")
    return {"kind": flow["kind"], "flow": flow["id"], "peering": flow.get("peering"), "layer": layer, "direction": direction,
            "component": flow["component"], "src": flow["src"], "dst": flow["dst"], "protocol": flow["protocol"],
            "ports": flow["ports"], "verdict": flow["verdict"], "expected": flow["expected"], "because": flow["because"],
            "reason": reason}


def _end_text(end):
    if end.get("service"):
        return f"{end['service']} ({end.get('prefix_list_id')})"
    if end.get("subnet_id"):
        return f"{end['site']} {end['subnet_id']} ({end['cidr']})"
    return f"{end['site']} ({end.get('cidr')})"


def _dns_violations(dns):
    return [{"kind": "dns", "peering": d["peering"], "direction": d["direction"],
             "verdict": "resolves" if d["resolves"] else "does not resolve",
             "expected": "resolves" if d["expected"] else "does not resolve",
             "because": d["because"],
             "reason": f"DNS {d['direction']} of {d['peering']} ({d['client_site']} resolving {d['resolved_site']}): "
                       f"expected {'resolution' if d['expected'] else 'no resolution'}, but it {d['because']}"}
            for d in dns if d["resolves"] != d["expected"]]


def _intent_violations(model):
    """What keeps the intent from being proven at all: a peered site without VPC or private subnets."""
    out = []
    for site in model.sites.values():
        for subnet_id in site.missing_subnet_ids:
            out.append({"kind": "intent", "site": site.name,
                        "reason": f"private subnet {subnet_id} of {site.name} is not in the site state"})
        for group_id in site.missing_group_ids:
            out.append({"kind": "intent", "site": site.name,
                        "reason": f"workload security group {group_id} of {site.name} is not in the site state"})
    for peering in model.peerings:
        for name in (peering["requester"], peering["accepter"]):
            site = model.sites[name]
            if not site.vpc_id or not site.private_subnet_ids:
                out.append({"kind": "intent", "site": name, "peering": peering["name"],
                            "reason": f"{name} has no {'VPC' if not site.vpc_id else 'private subnet'} in its state: "
                                      f"peering {peering['name']} cannot be proven"})
    return out


def _summary(model, flows, dns, violations):
    by_kind = {}
    for flow in flows:
        entry = by_kind.setdefault(flow["kind"], {"flows": 0, "allowed": 0, "denied": 0, "violations": 0})
        entry["flows"] += 1
        entry["allowed" if flow["verdict"] == ALLOW else "denied"] += 1
        entry["violations"] += _violates(flow)
    return {
        "sites": sorted(model.sites),
        "peerings": [p["name"] for p in model.peerings],
        "flows": len(flows),
        "allowed": sum(f["verdict"] == ALLOW for f in flows),
        "denied": sum(f["verdict"] == DENY for f in flows),
        "violations": len(violations),
        "dns_checks": len(dns),
        "dns_resolving": sum(d["resolves"] for d in dns),
        "by_kind": by_kind,
        "client_ports": list(model.client_ports),
        "compliant": not violations,
    }
