# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The auditor's view: compliance controls over the site states, and a self-contained HTML report.

Pure Python; nothing here calls AWS. Inputs are the site states (``docs/dev/site-state.md``),
the reachability intent and result (``reachability.py``), and settings::

    settings = {
        "environment_suffix": "sandbox",                 # our names end with -<suffix>
        "required_tags": ["CostCenter", "Environment"],  # default as shown
        "flow_log_max_aggregation_interval": 60,         # seconds, default 60
        "admin_ports": [22, 3389],                       # remote administration ports, default as shown
        "title": "...", "generated_at": "2026-01-31T12:00:00Z",   # optional, shown in the report
    }

``controls(sites, intent, settings)`` returns one dict per control::

    {"id": "CIS-5.2", "framework": "CIS AWS Foundations Benchmark v3.0.0", "reference": "5.2",
     "title": "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
     "status": "PASS" | "FAIL", "findings": ["sg-... (trading): ingress tcp 22 from 0.0.0.0/0"],
     "evidence": ["checked 4 security groups: sg-..., ..."]}

The benchmark controls are evaluated literally, as their audit procedures read (any rule that
matches fails, whatever an earlier rule does); the reachability matrix shows the effect.
``report_html(sites, intent, result, settings)`` returns one HTML document with inline CSS
and SVG, no script, and a Content-Security-Policy that forbids loading anything.
"""

from __future__ import annotations

import datetime
import html
import ipaddress

from ansible_collections.netsec.aws_peering.plugins.module_utils import reachability
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import is_open_cidr

CIS = "CIS AWS Foundations Benchmark v3.0.0"
FSBP = "AWS Security Hub FSBP"
MISSION = "netsec.aws_peering mission"
PASS, FAIL = "PASS", "FAIL"
MANAGED_BY = "netsec.aws_peering"
DEFAULT_SETTINGS = {
    "environment_suffix": "",
    "required_tags": ["CostCenter", "Environment"],
    "flow_log_max_aggregation_interval": 60,
    "admin_ports": [22, 3389],
    "title": "VPC peering security audit",
}
# Resource kinds of the site state that carry tags: (state key, ID key, what).
TAGGABLE = (
    ("vpc", "VpcId", "VPC"), ("subnets", "SubnetId", "subnet"), ("route_tables", "RouteTableId", "route table"),
    ("network_acls", "NetworkAclId", "network ACL"), ("security_groups", "GroupId", "security group"),
    ("vpc_endpoints", "VpcEndpointId", "VPC endpoint"), ("vpc_peering_connections", "VpcPeeringConnectionId", "peering connection"),
    ("flow_logs", "FlowLogId", "flow log"), ("internet_gateways", "InternetGatewayId", "internet gateway"),
    ("nat_gateways", "NatGatewayId", "NAT gateway"),
)


def _settings(settings):
    out = dict(DEFAULT_SETTINGS)
    out.update({k: v for k, v in (settings or {}).items() if v is not None})
    return out


def _vpc_sites(sites):
    """(name, state, vpc_id) of every site, sorted; vpc_id None when the site has no VPC yet."""
    return [(name, state or {}, ((state or {}).get("vpc") or {}).get("VpcId")) for name, state in sorted(sites.items())]


def _tags(resource):
    return {t.get("Key"): t.get("Value") for t in (resource or {}).get("Tags") or [] if isinstance(t, dict)}


def _listing(what, ids):
    ids = sorted({str(i) for i in ids if i})
    return f"checked {len(ids)} {what}: {', '.join(ids) if ids else 'none present'}"


def _covers_port(low, high, ports):
    if low is None or high is None or int(low) < 0:
        return sorted(ports)
    return [p for p in sorted(ports) if int(low) <= p <= int(high)]


def _is_tcp_udp_or_all(protocol):
    return str(protocol).lower() in ("-1", "6", "17", "tcp", "udp", "all")


# ---------------------------------------------------------------- the checks (findings, evidence)

def check_flow_logs(sites, settings):
    """Every VPC has an active flow log capturing rejected traffic (TrafficType REJECT or ALL)."""
    findings, logs = [], []
    for name, state, vpc_id in _vpc_sites(sites):
        if not vpc_id:
            findings.append(f"{name}: no VPC in the state, flow logging cannot be shown")
            continue
        active = [f for f in state.get("flow_logs") or [] if f.get("ResourceId") == vpc_id
                  and str(f.get("FlowLogStatus", "ACTIVE")).upper() == "ACTIVE"
                  and str(f.get("TrafficType", "")).upper() in ("ALL", "REJECT")]
        logs.extend(f.get("FlowLogId") for f in active)
        if not active:
            findings.append(f"{vpc_id} ({name}): no active flow log with TrafficType ALL or REJECT")
    return findings, [_listing("active flow logs", logs)]


def check_nacl_admin_ingress(sites, settings, versions=(4, 6)):
    """No network ACL ingress entry allows an open CIDR of the IP versions to an administration port (TCP, UDP or all)."""
    findings, acls = [], []
    for name, state, _vpc in _vpc_sites(sites):
        for acl in state.get("network_acls") or []:
            acls.append(acl.get("NetworkAclId"))
            for entry in acl.get("Entries") or []:
                cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
                opened = is_open_cidr(cidr) and ipaddress.ip_network(str(cidr).strip(), strict=False).version in versions
                if entry.get("Egress") or not opened or str(entry.get("RuleAction")).lower() != "allow":
                    continue
                if not _is_tcp_udp_or_all(entry.get("Protocol")):
                    continue
                rng = entry.get("PortRange") or {}
                all_ports = str(entry.get("Protocol")) == "-1"
                hit = _covers_port(None if all_ports else rng.get("From"), None if all_ports else rng.get("To"),
                                   settings["admin_ports"])
                if hit:
                    findings.append(f"{acl.get('NetworkAclId')} ({name}): ingress rule {entry.get('RuleNumber')} allows "
                                    f"port {', '.join(str(p) for p in hit)} from {cidr}")
    return findings, [_listing("network ACLs", acls)]


def check_sg_admin_ingress(sites, settings, open_cidr):
    """No security group ingress rule admits the open CIDR on an administration port."""
    findings, groups = [], []
    range_key, cidr_key = ("IpRanges", "CidrIp") if open_cidr == "0.0.0.0/0" else ("Ipv6Ranges", "CidrIpv6")
    for name, state, _vpc in _vpc_sites(sites):
        for group in state.get("security_groups") or []:
            groups.append(group.get("GroupId"))
            for perm in group.get("IpPermissions") or []:
                if not _is_tcp_udp_or_all(perm.get("IpProtocol")):
                    continue
                if not any(r.get(cidr_key) == open_cidr for r in perm.get(range_key) or []):
                    continue
                hit = _covers_port(perm.get("FromPort"), perm.get("ToPort"), settings["admin_ports"])
                if hit:
                    findings.append(f"{group.get('GroupId')} ({name}): ingress {perm.get('IpProtocol')} port "
                                    f"{', '.join(str(p) for p in hit)} from {open_cidr}")
    return findings, [_listing("security groups", groups)]


def check_default_sg_closed(sites, settings):
    """The default security group of every VPC has no inbound and no outbound rule."""
    findings, groups = [], []
    for name, state, vpc_id in _vpc_sites(sites):
        if not vpc_id:
            continue
        defaults = [g for g in state.get("security_groups") or [] if g.get("GroupName") == "default"]
        if not defaults:
            findings.append(f"{vpc_id} ({name}): the default security group is not in the state")
        for group in defaults:
            groups.append(group.get("GroupId"))
            counts = [(len(group.get(key) or []), what) for key, what in (("IpPermissions", "inbound"), ("IpPermissionsEgress", "outbound"))]
            opened = [f"{n} {what} rule{'s' if n > 1 else ''}" for n, what in counts if n]
            if opened:
                findings.append(f"{group.get('GroupId')} ({name}, default group of {vpc_id}): {' and '.join(opened)}")
    return findings, [_listing("default security groups", groups)]


def check_peering_routes_least_access(sites, intent, settings):
    """Peering routes lead only to the peer's private subnets and sit only in private route tables."""
    model = reachability.private_subnets(sites, intent)
    by_vpc = {vpc_id: name for name, _state, vpc_id in _vpc_sites(sites) if vpc_id}
    findings, routes = [], []
    for name, state, vpc_id in _vpc_sites(sites):
        peerings = {c.get("VpcPeeringConnectionId"): c for c in state.get("vpc_peering_connections") or []}
        for table in state.get("route_tables") or []:
            carried = [r for r in table.get("Routes") or [] if r.get("VpcPeeringConnectionId")]
            if not carried:
                continue
            where = f"{table.get('RouteTableId')} ({name})"
            findings.extend(f"{where}: {problem}" for problem in _table_scope_problems(table, state, model.get(name, {})))
            for route in carried:
                routes.append(f"{table.get('RouteTableId')}:{_route_destination(route)}")
                peer_name = by_vpc.get(_peer_vpc(peerings.get(route["VpcPeeringConnectionId"]), vpc_id))
                problem = _route_scope_problem(route, peer_name, model.get(peer_name, {}), intent)
                if problem:
                    findings.append(f"{where}: route {_route_destination(route)} -> {route['VpcPeeringConnectionId']} {problem}")
    return findings, [_listing("peering routes", routes)]


def _route_destination(route):
    return route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") or route.get("DestinationPrefixListId")


def _peer_vpc(connection, vpc_id):
    if not connection:
        return None
    ends = [(connection.get(k) or {}).get("VpcId") for k in ("RequesterVpcInfo", "AccepterVpcInfo")]
    others = [v for v in ends if v != vpc_id]
    return others[0] if others else None


def _route_scope_problem(route, peer_name, peer_private, intent):
    """Why a peering route reaches further than the peer's private subnets (None when it does not)."""
    if not peer_name:
        return "leads to a VPC that is not among the audited sites"
    private = [ipaddress.ip_network(c) for c in peer_private.values() if c]
    if route.get("DestinationPrefixListId"):
        cidrs = ((intent or {}).get("prefix_lists") or {}).get(route["DestinationPrefixListId"])
        if cidrs is None:
            return "uses a prefix list whose entries are not in the intent"
    else:
        cidrs = [_route_destination(route)]
    for cidr in cidrs:
        net = ipaddress.ip_network(str(cidr), strict=False)
        if not any(net.version == p.version and net.subnet_of(p) for p in private):
            return f"covers {net}, beyond {peer_name}'s private subnets ({', '.join(str(p) for p in private) or 'none'})"
    return None


def _table_scope_problems(table, state, own_private):
    """A table carrying peering routes must be used by private subnets only."""
    subnets = {s.get("SubnetId") for s in state.get("subnets") or []}
    explicit = {a.get("SubnetId") for t in state.get("route_tables") or [] for a in t.get("Associations") or [] if a.get("SubnetId")}
    users = {a.get("SubnetId") for a in table.get("Associations") or [] if a.get("SubnetId")}
    if any(a.get("Main") for a in table.get("Associations") or []):
        users |= subnets - explicit  # the main table serves every subnet without its own association
    public = sorted(users - set(own_private))
    if public:
        return [f"carries peering routes but serves non-private subnet(s) {', '.join(public)}"]
    if not users:
        return ["carries peering routes but no private subnet uses it"]
    return []


def check_no_open_cidr(sites, settings):
    """No security group rule, network ACL allow entry or route uses 0.0.0.0/0 or ::/0."""
    findings, counted = [], {"security group rules": 0, "network ACL entries": 0, "routes": 0}
    for name, state, _vpc in _vpc_sites(sites):
        for group in state.get("security_groups") or []:
            for key, direction in (("IpPermissions", "ingress"), ("IpPermissionsEgress", "egress")):
                for perm in group.get(key) or []:
                    counted["security group rules"] += 1
                    opened = [r.get("CidrIp") for r in perm.get("IpRanges") or [] if is_open_cidr(r.get("CidrIp"))]
                    opened += [r.get("CidrIpv6") for r in perm.get("Ipv6Ranges") or [] if is_open_cidr(r.get("CidrIpv6"))]
                    findings.extend(f"{group.get('GroupId')} ({name}): {direction} {perm.get('IpProtocol')} "
                                    f"{_sg_ports(perm)} {'from' if direction == 'ingress' else 'to'} {cidr}" for cidr in opened)
        for acl in state.get("network_acls") or []:
            for entry in acl.get("Entries") or []:
                counted["network ACL entries"] += 1
                cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
                # The default deny entries (32767/32768) name 0.0.0.0/0 and ::/0 but close, never open.
                if is_open_cidr(cidr) and str(entry.get("RuleAction")).lower() == "allow":
                    findings.append(f"{acl.get('NetworkAclId')} ({name}): {'egress' if entry.get('Egress') else 'ingress'} "
                                    f"rule {entry.get('RuleNumber')} allows {cidr}")
        for table in state.get("route_tables") or []:
            for route in table.get("Routes") or []:
                counted["routes"] += 1
                if is_open_cidr(_route_destination(route)):
                    findings.append(f"{table.get('RouteTableId')} ({name}): route {_route_destination(route)} -> "
                                    f"{reachability.route_target(route)}")
    return findings, [f"checked {n} {what}" for what, n in counted.items()]


def _sg_ports(perm):
    low, high = perm.get("FromPort"), perm.get("ToPort")
    if low is None or int(low) < 0:
        return "all ports"
    return f"port {low}" if low == high else f"ports {low}-{high}"


def check_required_tags(sites, settings):
    """Every taggable resource present carries each required tag with a non-empty value."""
    findings, seen = [], {}
    for name, resource, kind, rid in _taggable(sites):
        if rid in seen:
            continue  # a peering appears in both sites' states
        seen[rid] = kind
        tags = _tags(resource)
        missing = [k for k in settings["required_tags"] if not str(tags.get(k) or "").strip()]
        if missing:
            findings.append(f"{rid} ({name} {kind}): {', '.join(missing)} missing or empty")
    kinds = {}
    for kind in seen.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    return findings, [f"checked {len(seen)} resources ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}) "
                      f"for {', '.join(settings['required_tags'])}"]


def _taggable(sites):
    for name, state, _vpc in _vpc_sites(sites):
        for key, id_key, kind in TAGGABLE:
            value = state.get(key)
            for resource in ([value] if isinstance(value, dict) else value or []):
                yield name, resource, kind, resource.get(id_key)


def check_name_suffix(sites, settings):
    """Resources we manage (tag ManagedBy) are named <type>-<network>-<suffix>."""
    suffix = str(settings.get("environment_suffix") or "")
    findings, ours = [], set()
    if not suffix:
        return ["settings.environment_suffix is empty: names cannot be checked"], []
    for name, resource, kind, rid in _taggable(sites):
        tags = _tags(resource)
        if tags.get("ManagedBy") != MANAGED_BY or rid in ours:
            continue
        ours.add(rid)
        names = [("Name tag", tags.get("Name"))]
        if kind == "security group" and resource.get("GroupName") != "default":
            names.append(("group name", resource.get("GroupName")))
        for what, value in names:
            if not value or not str(value).endswith(f"-{suffix}"):
                findings.append(f"{rid} ({name} {kind}): {what} {value!r} does not end with -{suffix}")
    return findings, [f"checked {len(ours)} resources tagged ManagedBy={MANAGED_BY} for the suffix -{suffix}"]


def check_flow_log_aggregation(sites, settings):
    """Every flow log of every VPC aggregates over the expected interval."""
    expected = int(settings["flow_log_max_aggregation_interval"])
    findings, logs = [], []
    for name, state, vpc_id in _vpc_sites(sites):
        mine = [f for f in state.get("flow_logs") or [] if f.get("ResourceId") == vpc_id]
        if vpc_id and not mine:
            findings.append(f"{vpc_id} ({name}): no flow log")
        for flow_log in mine:
            logs.append(flow_log.get("FlowLogId"))
            interval = flow_log.get("MaxAggregationInterval")
            if interval is None or int(interval) != expected:
                findings.append(f"{flow_log.get('FlowLogId')} ({name}): MaxAggregationInterval {interval}, expected {expected}")
    return findings, [_listing(f"flow logs for MaxAggregationInterval {expected}", logs)]


def check_dns_both_ways(sites, intent, settings):
    findings, evidence = [], []
    for proof in reachability.dns_proof(sites, intent):
        line = f"{proof['peering']} {proof['direction']} ({proof['client_site']} resolving {proof['resolved_site']})"
        evidence.append(f"{line}: {'resolves' if proof['resolves'] else 'does not resolve'} "
                        f"via {proof['peering_connection_id'] or 'no peering connection'}")
        if proof["expected"] and not proof["resolves"]:
            findings.append(f"{line}: {proof['because']}")
    return findings, evidence or ["no peering in the intent"]


def check_reachability(result):
    violations = (result or {}).get("violations") or []
    summary = (result or {}).get("summary") or {}
    evidence = [f"{summary.get('flows', 0)} flows evaluated exhaustively: {summary.get('allowed', 0)} allowed, "
                f"{summary.get('denied', 0)} denied"]
    return [v["reason"] for v in violations], evidence


# ---------------------------------------------------------------- the control catalogue

def _catalogue():
    """(id, framework, reference, title, check(sites, intent, settings)) in report order."""
    return [
        ("CIS-3.7", CIS, "3.7", "Ensure VPC flow logging is enabled in all VPCs",
         lambda s, i, c: check_flow_logs(s, c)),
        ("CIS-5.1", CIS, "5.1", "Ensure no Network ACLs allow ingress from 0.0.0.0/0 to remote server administration ports",
         lambda s, i, c: check_nacl_admin_ingress(s, c, versions=(4,))),
        ("CIS-5.2", CIS, "5.2", "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
         lambda s, i, c: check_sg_admin_ingress(s, c, "0.0.0.0/0")),
        ("CIS-5.3", CIS, "5.3", "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
         lambda s, i, c: check_sg_admin_ingress(s, c, "::/0")),
        ("CIS-5.4", CIS, "5.4", "Ensure the default security group of every VPC restricts all traffic",
         lambda s, i, c: check_default_sg_closed(s, c)),
        ("CIS-5.5", CIS, "5.5", "Ensure routing tables for VPC peering are \"least access\"",
         check_peering_routes_least_access),
        ("FSBP-EC2.2", FSBP, "EC2.2", "VPC default security groups should not allow inbound or outbound traffic",
         lambda s, i, c: check_default_sg_closed(s, c)),
        ("FSBP-EC2.6", FSBP, "EC2.6", "VPC flow logging should be enabled in all VPCs",
         lambda s, i, c: check_flow_logs(s, c)),
        ("FSBP-EC2.21", FSBP, "EC2.21", "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389",
         lambda s, i, c: check_nacl_admin_ingress(s, c)),
        ("NS-1", MISSION, "NS-1", "No 0.0.0.0/0 or ::/0 in any security group rule, network ACL allow entry or route",
         lambda s, i, c: check_no_open_cidr(s, c)),
        ("NS-2", MISSION, "NS-2", "Required tags are non-empty on every taggable resource",
         lambda s, i, c: check_required_tags(s, c)),
        ("NS-3", MISSION, "NS-3", "Our resource names carry the environment suffix",
         lambda s, i, c: check_name_suffix(s, c)),
        ("NS-4", MISSION, "NS-4", "Flow log maximum aggregation interval is as expected",
         lambda s, i, c: check_flow_log_aggregation(s, c)),
        ("NS-5", MISSION, "NS-5", "DNS resolution across every peering works both ways",
         check_dns_both_ways),
    ]


def controls(sites, intent=None, settings=None, result=None):
    """Every control's PASS/FAIL with findings and evidence (see the module docstring).

    With the reachability `result`, one more control (NS-6) states whether every flow
    matches the intent.
    """
    if not isinstance(sites, dict):
        raise reachability.ReachabilityError(f"sites must be a dict of site name to site state, got {type(sites).__name__}")
    settings = _settings(settings)
    out = []
    for control_id, framework, reference, title, check in _catalogue():
        findings, evidence = check(sites, intent, settings)
        out.append({"id": control_id, "framework": framework, "reference": reference, "title": title,
                    "status": FAIL if findings else PASS, "findings": findings, "evidence": evidence})
    if result is not None:
        findings, evidence = check_reachability(result)
        out.append({"id": "NS-6", "framework": MISSION, "reference": "NS-6",
                    "title": "Reachability matches the intent: only the peering ports and the endpoint ports are open",
                    "status": FAIL if findings else PASS, "findings": findings, "evidence": evidence})
    return out


# ---------------------------------------------------------------- HTML

def _e(value):
    return html.escape("" if value is None else str(value), quote=True)


CSS = """
:root { --ink:#1d2733; --muted:#5b6b7c; --line:#d5dde6; --band:#f4f7fa; --navy:#12355b; --ok:#1b7a3d; --ok-bg:#e3f4e8;
        --bad:#b3261e; --bad-bg:#fbe4e2; --deny:#eef1f4; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color:var(--ink);
       background:#fff; }
header { background:var(--navy); color:#fff; padding:24px 40px 18px; }
header h1 { margin:0 0 4px; font-size:24px; font-weight:600; letter-spacing:.2px; }
header p { margin:0; color:#c9d6e4; }
main { padding:8px 40px 40px; max-width:1400px; }
h2 { font-size:18px; color:var(--navy); border-bottom:2px solid var(--navy); padding-bottom:4px; margin:32px 0 12px; }
h3 { font-size:15px; margin:20px 0 8px; color:var(--navy); }
p.note { color:var(--muted); margin:4px 0 10px; }
.cards { display:flex; gap:14px; margin:18px 0 6px; flex-wrap:wrap; }
.card { border:1px solid var(--line); border-left:5px solid var(--navy); border-radius:4px; padding:10px 16px; min-width:190px; }
.card.ok { border-left-color:var(--ok); } .card.bad { border-left-color:var(--bad); }
.card b { display:block; font-size:22px; } .card span { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; }
table { border-collapse:collapse; width:100%; margin:6px 0 14px; }
th, td { border:1px solid var(--line); padding:6px 8px; text-align:left; vertical-align:top; }
th { background:var(--band); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.4px; color:var(--muted); }
tbody tr:nth-child(even) td { background:#fbfcfd; }
td.mono, .mono { font-family:"DejaVu Sans Mono", Menlo, Consolas, monospace; font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-weight:700; font-size:12px; }
.PASS, .yes { background:var(--ok-bg); color:var(--ok); } .FAIL, .no { background:var(--bad-bg); color:var(--bad); }
.chip { display:inline-block; margin:1px 3px 1px 0; padding:0 6px; border-radius:3px; font:12px "DejaVu Sans Mono", Menlo, monospace;
        white-space:nowrap; }
.chip.allow { background:var(--ok-bg); color:var(--ok); border:1px solid #b5dfc2; }
.chip.deny { background:var(--deny); color:var(--muted); border:1px solid var(--line); }
.chip.mismatch { background:var(--bad-bg); color:var(--bad); border:1px solid #efb3ad; font-weight:700; }
ul.plain { margin:0; padding-left:16px; } ul.plain li { margin:0; }
ul.findings { color:var(--bad); font-weight:600; margin-bottom:4px; } ul.evidence { color:var(--muted); }
details { margin:8px 0; } summary { cursor:pointer; color:var(--navy); font-weight:600; }
.svgwrap { border:1px solid var(--line); border-radius:4px; padding:8px; background:#fcfdfe; }
.svgwrap svg { display:block; max-width:100%; height:auto; margin:0 auto; }
table.controls th:nth-child(1) { width:95px; } table.controls th:nth-child(2) { width:150px; }
table.controls th:nth-child(3) { width:330px; } table.controls th:nth-child(4) { width:70px; }
footer { color:var(--muted); font-size:12px; padding:0 40px 30px; }
"""


def _table(headers, rows, cls=""):
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _list(items, cls="plain"):
    return f'<ul class="{cls}">' + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>" if items else ""


def _badge(status):
    return f'<span class="badge {_e(status)}">{_e(status)}</span>'


def _chip(flow):
    ports = _ports_label(flow)
    if flow["verdict"] != flow["expected"]:
        title = f"expected {flow['expected']}: {flow['because']}"
        return f'<span class="chip mismatch" title="{_e(title)}">{_e(ports)} {_e(flow["verdict"])} &#9888;</span>'
    return f'<span class="chip {_e(flow["verdict"])}" title="{_e(flow["because"])}">{_e(ports)} {_e(flow["verdict"])}</span>'


def _chips(flows):
    """One chip per port interval and outcome (blocks of one end decided alike show once)."""
    seen, out = set(), []
    for flow in sorted(flows, key=lambda f: (f["ports"], f["verdict"] != f["expected"])):
        key = (tuple(flow["ports"]), flow["verdict"], flow["expected"])
        if key not in seen:
            seen.add(key)
            out.append(_chip(flow))
    return "".join(out)


def _ports_label(flow):
    low, high = flow["ports"]
    if flow["protocol"] == "icmp" and (low, high) == (0, 255):
        return "all types"
    if (low, high) == (0, 65535):
        return "all"
    return str(low) if low == high else f"{low}-{high}"


def _end_label(end):
    if end.get("service"):
        return f"{end['service']} ({end.get('prefix_list_id') or 'no prefix list'})"
    if end.get("subnet_id"):
        return f"{end['site']} {end['subnet_id']} {end['cidr']}"
    return f"internet {end.get('cidr')}"


def _addresses(end):
    return f" [{', '.join(end['addresses'])}]" if end.get("addresses") else ""


def _matrix(flows, kind):
    """Rows per (src, dst) end pair, columns per protocol, chips per port interval."""
    rows, order = {}, []
    for flow in flows:
        if flow["kind"] != kind:
            continue
        key = (_end_label(flow["src"]), _end_label(flow["dst"]))
        if key not in rows:
            rows[key] = {"tcp": [], "udp": [], "icmp": []}
            order.append(key)
        rows[key][flow["protocol"]].append(flow)
    table_rows = []
    for src, dst in order:
        cells = [_chips(rows[(src, dst)][p]) for p in ("tcp", "udp", "icmp")]
        table_rows.append([f'<span class="mono">{_e(src)}</span>', f'<span class="mono">{_e(dst)}</span>'] + cells)
    return _table(["source", "destination", "TCP ports", "UDP ports", "ICMP"], table_rows)


def _internet_table(flows):
    layers = (("route", "route"), ("network_acl", "network ACL"), ("security_group", "security group"))
    rows, order = {}, []
    for flow in flows:
        if flow["kind"] != "internet":
            continue
        subnet = flow["src"] if flow["src"].get("subnet_id") else flow["dst"]
        way = "to" if flow["src"].get("subnet_id") else "from"
        key = _end_label(subnet)
        if key not in rows:
            rows[key] = {}
            order.append(key)
        rows[key].setdefault((way, flow["layer"]), []).append(flow)
    table_rows = []
    for key in order:
        row = [f'<span class="mono">{_e(key)}</span>']
        for way in ("to", "from"):
            for layer, _label in layers:
                found = rows[key].get((way, layer), [])
                opened = [f for f in found if f["verdict"] == "allow"]
                if opened:
                    row.append("".join(f'<span class="chip mismatch" title="{_e(f["because"])}">{_e(f["protocol"])} '
                                       f'{_e(_ports_label(f))} {_e(f["dst"].get("cidr") if way == "to" else f["src"].get("cidr"))}'
                                       f' open</span>' for f in opened))
                else:
                    row.append('<span class="chip deny">closed</span>' if found else "")
        table_rows.append(row)
    headers = ["private subnet"] + [f"{'to' if w == 'to' else 'from'} internet: {label}" for w in ("to", "from") for _l, label in layers]
    return _table(headers, table_rows)


def _flow_details(flows):
    rows = []
    for flow in flows:
        if flow["kind"] in ("internet", "peer_exposure") and flow["verdict"] == "deny":
            continue  # a layer on its own: only what it opens is evidence (a closed intent port shows in the peer flow)
        rows.append([f'<span class="mono">{_e(flow["id"])}</span>',
                     f'<span class="mono">{_e(_end_label(flow["src"]) + _addresses(flow["src"]))}</span>',
                     f'<span class="mono">{_e(_end_label(flow["dst"]) + _addresses(flow["dst"]))}</span>',
                     _e(flow["protocol"]), f'<span class="mono">{_e(_ports_label(flow))}</span>',
                     _chip(flow), _e(flow["expected"]), _e(flow["because"])])
    return _table(["flow", "source", "destination", "protocol", "ports", "verdict", "expected", "deciding component"], rows)


def _controls_table(results):
    rows = []
    for control in results:
        rows.append([f'<span class="mono">{_e(control["id"])}</span>', _e(control["framework"]),
                     _e(control["title"]), _badge(control["status"]),
                     _list(control["findings"], "plain findings") + _list(control["evidence"], "plain evidence")])
    return _table(["control", "framework", "requirement", "status", "findings and evidence"], rows, "controls")


def _dns_table(proofs):
    rows = []
    for proof in proofs:
        checks = "".join(f'<li><span class="badge {"yes" if c["ok"] else "no"}">{"&#10003;" if c["ok"] else "&#10007;"}</span> '
                         f'{_e(c["check"])}: {_e(c["detail"])}</li>' for c in proof["checks"])
        outcome = "resolves" if proof["resolves"] else "does not resolve"
        ok = proof["resolves"] == proof["expected"]
        rows.append([_e(proof["peering"]), f'<span class="mono">{_e(proof["peering_connection_id"] or "none")}</span>',
                     _e(f"{proof['client_site']} resolves {proof['resolved_site']} host names"),
                     f'<span class="badge {"yes" if ok else "no"}">{_e(outcome)}</span>',
                     _e("resolution" if proof["expected"] else "no resolution"), f'<ul class="plain">{checks}</ul>'])
    return _table(["peering", "connection", "direction", "result", "expected", "AWS requirements"], rows)


def _violations_table(violations):
    if not violations:
        return '<p class="note">None: every evaluated flow and DNS direction matches the intent.</p>'
    rows = [[_e(v["kind"]), f'<span class="mono">{_e(v.get("flow", ""))}</span>', _e(v["reason"])] for v in violations]
    return _table(["kind", "flow", "reason"], rows)


def _cards(results, result):
    passed = sum(c["status"] == PASS for c in results)
    summary = result.get("summary") or {}
    dns = result.get("dns") or []
    cards = [
        (passed == len(results), f"{passed} / {len(results)}", "controls passed"),
        (not summary.get("violations"), str(summary.get("violations", 0)), "reachability violations"),
        (True, f"{summary.get('allowed', 0)} / {summary.get('flows', 0)}", "flows allowed / evaluated"),
        (all(d["resolves"] == d["expected"] for d in dns), f"{sum(d['resolves'] for d in dns)} / {len(dns)}", "DNS directions resolving"),
    ]
    return '<div class="cards">' + "".join(
        f'<div class="card {"ok" if ok else "bad"}"><b>{_e(value)}</b><span>{_e(label)}</span></div>' for ok, value, label in cards) + "</div>"


def report_html(sites, intent, result, settings=None):
    """The auditor's report as one self-contained HTML document (see the module docstring)."""
    settings = _settings(settings)
    result = result or {}
    results = controls(sites, intent, settings, result=result)
    flows = result.get("flows") or []
    generated = settings.get("generated_at") or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        ("topology", "1. Topology", '<p class="note">Accounts, regions, VPCs and private subnets as discovered; green arrows are '
         "the flows the evaluation found allowed, labelled with their ports (red when not in the intent).</p>"
         f'<div class="svgwrap">{topology_svg(sites, intent, result)}</div>'),
        ("controls", "2. Controls", '<p class="note">Benchmark controls are evaluated literally, as their audit procedures read.</p>'
         + _controls_table(results)),
        ("matrix", "3. Reachability matrix", '<p class="note">Every port interval of TCP, UDP and ICMP between every ordered pair '
         f"of private subnets, evaluated exhaustively (routes, peering, network ACLs both ways, security groups). Client source "
         f"ports {_e('-'.join(str(p) for p in (result.get('summary') or {}).get('client_ports', [])))}. Green: allowed as intended; "
         "grey: denied as intended; red: differs from the intent. Hover a chip for the deciding component.</p>"
         + _matrix(flows, "peer") + "<h3>Gateway endpoints</h3>" + _matrix(flows, "endpoint")
         + "<h3>Internet exposure (each layer on its own)</h3>" + _internet_table(flows)),
        ("dns", "4. DNS resolution proof", '<p class="note">AllowDnsResolutionFromRemoteVpc on a side makes that side\'s host names '
         "resolve to private IP addresses from the peer VPC; AWS also requires an active peering and DNS support and DNS "
         "hostnames in both VPCs.</p>" + _dns_table(result.get("dns") or [])),
        ("violations", "5. Violations", _violations_table(result.get("violations") or [])),
        ("evidence", "6. Flow evidence", "<details><summary>Every peer and endpoint flow, and every open internet flow and "
         "per-layer peer exposure flow, with its deciding component</summary>" + _flow_details(flows) + "</details>"),
    ]
    body = "".join(f'<section id="{_e(sid)}"><h2>{_e(title)}</h2>{content}</section>' for sid, title, content in sections)
    scope = ", ".join(f"{name} ({(state or {}).get('account_id', '?')}, {(state or {}).get('region', '?')})" for name, state in sorted(sites.items()))
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(settings["title"])}</title>'
        f"<style>{CSS}</style></head><body>"
        f'<header><h1>{_e(settings["title"])}</h1><p>Environment <b>{_e(settings["environment_suffix"] or "-")}</b> &#183; '
        f"sites {_e(scope)} &#183; generated {_e(generated)}</p></header>"
        f"<main>{_cards(results, result)}{body}</main>"
        "<footer>Generated offline by netsec.aws_peering from the recorded site states; no request was made to AWS to render "
        "this page.</footer></body></html>\n"
    )


# ---------------------------------------------------------------- SVG topology

SITE_W, GAP, SUBNET_H, ENDPOINT_H, TOP = 430, 230, 30, 42, 40


def _allowed_between(flows):
    """{(src site, dst site): {'labels': [...], 'unexpected': bool}} from the allowed peer flows."""
    out = {}
    for flow in flows:
        if flow["kind"] != "peer" or flow["verdict"] != "allow":
            continue
        entry = out.setdefault((flow["src"]["site"], flow["dst"]["site"]), {"ports": {}, "unexpected": False})
        entry["ports"].setdefault(flow["protocol"], set()).add(_ports_label(flow))
        entry["unexpected"] |= flow["expected"] != "allow"
    return {key: {"label": _ports_text(v["ports"]), "unexpected": v["unexpected"]} for key, v in out.items()}


def _ports_text(ports):
    def order(label):
        head = label.split("-")[0]
        return (0, int(head)) if head.isdigit() else (1, 0)
    return "; ".join(f"{proto} {', '.join(sorted(labels, key=order))}" for proto, labels in sorted(ports.items()))


def _site_order(sites, intent):
    """Sites left to right, the most peered one in the middle so every peering can be drawn."""
    names = sorted(sites)
    degree, first_seen = {n: 0 for n in names}, {}
    for p in (intent or {}).get("peerings") or []:
        for side in ("requester", "accepter"):
            if p.get(side) in degree:
                degree[p[side]] += 1
                first_seen.setdefault(p[side], len(first_seen))
    ranked = sorted(names, key=lambda n: (-degree[n], first_seen.get(n, len(names)), n))
    order = []
    for index, name in enumerate(ranked):  # hub first, then alternate right/left around it
        order.insert(0 if index % 2 == 0 and index else len(order), name)
    return order


def topology_svg(sites, intent, result):
    """Inline SVG: accounts, regions, VPCs, private subnets, peerings, gateway endpoints, allowed flows."""
    flows = (result or {}).get("flows") or []
    order = _site_order(sites, intent)
    private = reachability.private_subnets(sites, intent)
    heights = {n: _site_height(len(private.get(n, {})), len(_gateway_endpoints(sites.get(n) or {}))) for n in order}
    arcs = _has_distant_peering(sites, order)
    allowed = _allowed_between(flows)
    # Flows between sites that are not side by side (spokes of a hub) arc over the boxes.
    top = TOP + (50 if any(_distance(order, pair) > 1 for pair in allowed) else 0)
    height = top + max(heights.values() or [200]) + (150 if arcs else 50)
    width = len(order) * SITE_W + max(0, len(order) - 1) * GAP + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="DejaVu Sans, Arial, sans-serif" font-size="12" role="img" aria-label="network topology">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#1b7a3d"/></marker>'
             '<marker id="arrow-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#b3261e"/></marker></defs>']
    boxes = {}
    for index, name in enumerate(order):
        x = 20 + index * (SITE_W + GAP)
        boxes[name] = (x, top, SITE_W, heights[name])
        parts.append(_site_svg(name, sites.get(name) or {}, private.get(name, {}), boxes[name], flows))
    parts.extend(_peerings_svg(sites, intent, boxes, order, height))
    parts.extend(_flows_svg(allowed, boxes, order))
    parts.append(_internet_svg(flows, width, height))
    parts.append("</svg>")
    return "".join(parts)


def _site_height(subnets, endpoints):
    return 48 + _vpc_height(subnets, endpoints) + 12


def _vpc_height(subnets, endpoints):
    return 46 + SUBNET_H * max(1, subnets) + 6 + ENDPOINT_H * endpoints + 24


def _gateway_endpoints(state):
    return sorted((e for e in state.get("vpc_endpoints") or [] if e.get("VpcEndpointType") == "Gateway"),
                  key=lambda e: str(e.get("ServiceName")))


def _has_distant_peering(sites, order):
    vpc_site = {((state or {}).get("vpc") or {}).get("VpcId"): name for name, state in sites.items()}
    for state in sites.values():
        for conn in (state or {}).get("vpc_peering_connections") or []:
            ends = [vpc_site.get((conn.get(k) or {}).get("VpcId")) for k in ("RequesterVpcInfo", "AccepterVpcInfo")]
            if all(e in order for e in ends) and abs(order.index(ends[0]) - order.index(ends[1])) > 1:
                return True
    return False


def _text(x, y, value, size=12, weight="normal", fill="#1d2733", anchor="start"):
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}" text-anchor="{anchor}">'
            f"{_e(value)}</text>")


def _site_svg(name, state, private, box, flows):
    x, y, w, h = box
    vpc = state.get("vpc") or {}
    tags = _tags(vpc)
    parts = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="8" fill="#f4f7fa" stroke="#12355b" stroke-width="1.5"/>',
             _text(x + 12, y + 20, f"Account {state.get('account_id', '?')} \u00b7 {state.get('region', '?')}", 13, "bold", "#12355b"),
             _text(x + 12, y + 36, f"site {name}", 11, fill="#5b6b7c")]
    endpoints = _gateway_endpoints(state)
    vx, vy, vw, vh = x + 12, y + 48, w - 24, _vpc_height(len(private), len(endpoints))
    parts.append(f'<rect x="{vx}" y="{vy}" width="{vw}" height="{vh}" rx="6" fill="#ffffff" stroke="#2f6ea5" stroke-width="1.2"/>')
    parts.append(_text(vx + 10, vy + 18, tags.get("Name") or vpc.get("VpcId") or "no VPC", 13, "bold"))
    parts.append(_text(vx + 10, vy + 34, f"{vpc.get('VpcId', '')}  {vpc.get('CidrBlock', '')}", 11, fill="#5b6b7c"))
    subnets = {s.get("SubnetId"): s for s in state.get("subnets") or []}
    for row, (subnet_id, cidr) in enumerate(sorted(private.items())):
        sy = vy + 46 + row * SUBNET_H
        zone = (subnets.get(subnet_id) or {}).get("AvailabilityZone", "")
        parts.append(f'<rect x="{vx + 10}" y="{sy}" width="{vw - 20}" height="{SUBNET_H - 6}" rx="3" fill="#e8f0f8" stroke="#9bb8d3"/>')
        parts.append(_text(vx + 18, sy + 16, f"private {subnet_id}", 11))
        parts.append(_text(vx + vw - 18, sy + 16, f"{cidr}  {zone}", 11, fill="#5b6b7c", anchor="end"))
    top = vy + 46 + SUBNET_H * max(1, len(private)) + 6
    parts.extend(_endpoints_svg(endpoints, (vx, top, vw), flows, name))
    logs = [f.get("FlowLogId") for f in state.get("flow_logs") or [] if f.get("ResourceId") == vpc.get("VpcId")]
    parts.append(_text(vx + 10, vy + vh - 8, f"flow logs: {', '.join(logs) if logs else 'none'}", 10,
                       fill="#5b6b7c" if logs else "#b3261e"))
    return "".join(parts)


def _endpoints_svg(endpoints, area, flows, site):
    x, y, w = area
    parts = []
    for row, endpoint in enumerate(endpoints):
        service = str(endpoint.get("ServiceName", "")).rsplit(".", maxsplit=1)[-1]
        allowed = sorted({_ports_label(f) for f in flows if f["kind"] == "endpoint" and f["verdict"] == "allow"
                          and f["src"]["site"] == site and f["dst"].get("service") == service})
        ey = y + row * ENDPOINT_H
        parts.append(f'<rect x="{x + 10}" y="{ey}" width="{w - 20}" height="{ENDPOINT_H - 6}" rx="10" fill="#fff7e6" stroke="#c98a1a"/>')
        title = f"{service} gateway endpoint" + (f" \u00b7 allows tcp {', '.join(allowed)}" if allowed else " \u00b7 no flow allowed")
        parts.append(_text(x + 22, ey + 15, title, 11, "bold", "#7a5200"))
        parts.append(_text(x + 22, ey + 29, f"{endpoint.get('VpcEndpointId')} \u00b7 {endpoint.get('State', '?')}", 10, fill="#7a5200"))
    return parts


def _peerings_svg(sites, intent, boxes, order, height):
    parts = []
    vpc_site = {((state or {}).get("vpc") or {}).get("VpcId"): name for name, state in sites.items()}
    seen = set()
    for name in order:
        for conn in (sites.get(name) or {}).get("vpc_peering_connections") or []:
            pcx = conn.get("VpcPeeringConnectionId")
            ends = [vpc_site.get((conn.get(k) or {}).get("VpcId")) for k in ("RequesterVpcInfo", "AccepterVpcInfo")]
            if pcx in seen or None in ends or ends[0] not in boxes or ends[1] not in boxes:
                continue
            seen.add(pcx)
            status = (conn.get("Status") or {}).get("Code", "?")
            colour = "#12355b" if status == "active" else "#b3261e"
            left, right = sorted(ends, key=order.index)
            lx, ly, lw, lh = boxes[left]
            rx, _ry, _rw, rh = boxes[right]
            mid = ly + min(lh, rh) / 2
            if order.index(right) - order.index(left) == 1:
                parts.append(f'<line x1="{lx + lw}" y1="{mid}" x2="{rx}" y2="{mid}" stroke="{colour}" stroke-width="5" '
                             f'stroke-dasharray="{"none" if status == "active" else "8 6"}"/>')
                parts.append(_text((lx + lw + rx) / 2, mid - 8, pcx, 11, "bold", colour, "middle"))
                parts.append(_text((lx + lw + rx) / 2, mid + 18, f"peering {status}", 11, fill=colour, anchor="middle"))
            else:
                bottom = height - 40
                parts.append(f'<path d="M{lx + lw / 2},{ly + lh} C{lx + lw / 2},{bottom} {rx + SITE_W / 2},{bottom} {rx + SITE_W / 2},'
                             f'{ly + rh}" fill="none" stroke="{colour}" stroke-width="4"/>')
                parts.append(_text((lx + rx + SITE_W) / 2, bottom - 18, f"{pcx} (peering {status})", 11, "bold", colour, "middle"))
    return parts


def _distance(order, pair):
    src, dst = pair
    return abs(order.index(src) - order.index(dst)) if src in order and dst in order else 0


def _flows_svg(allowed, boxes, order):
    parts = []
    for (src, dst), info in sorted(allowed.items()):
        distance = _distance(order, (src, dst))
        if distance > 1:
            parts.extend(_distant_flow_svg(boxes[src], boxes[dst], info))
        if distance != 1:
            continue
        sx, sy, sw, sh = boxes[src]
        dx, _dy, dw, dh = boxes[dst]
        forward = order.index(src) < order.index(dst)
        offset = -46 if forward else 46
        y = sy + min(sh, dh) / 2 + offset
        x1, x2 = (sx + sw + 6, dx - 6) if forward else (sx - 6, dx + dw + 6)
        bad = info["unexpected"]
        colour, marker = ("#b3261e", "arrow-bad") if bad else ("#1b7a3d", "arrow")
        parts.append(f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="2" marker-end="url(#{marker})"/>')
        parts.append(_text((x1 + x2) / 2, y - 6 if forward else y + 16, ("UNEXPECTED " if bad else "") + info["label"], 11,
                           "bold", colour, "middle"))
    return parts


def _distant_flow_svg(src_box, dst_box, info):
    """An arc over the boxes between two sites that are not side by side."""
    sx, sy, sw, _sh = src_box
    dx, dy, dw, _dh = dst_box
    x1, x2 = sx + sw / 2 + 30, dx + dw / 2 - 30
    forward = x1 < x2
    lift = 10 if forward else 40  # control points; the arcs peak at about 30 and 52 (boxes start at 90)
    colour, marker = ("#b3261e", "arrow-bad") if info["unexpected"] else ("#1b7a3d", "arrow")
    label = ("UNEXPECTED " if info["unexpected"] else "") + info["label"]
    return [f'<path d="M{x1},{sy} C{x1},{lift} {x2},{lift} {x2},{dy}" fill="none" stroke="{colour}" stroke-width="2" '
            f'marker-end="url(#{marker})"/>',
            _text((x1 + x2) / 2, 24 if forward else 68, label, 11, "bold", colour, "middle")]


def _internet_svg(flows, width, height):
    opened = [f for f in flows if f["kind"] == "internet" and f["verdict"] == "allow"]
    if not opened:
        return _text(20, height - 12, "No path to or from the internet (0.0.0.0/0, ::/0) at any layer of any private subnet.",
                     12, "bold", "#1b7a3d")
    layers = sorted({f["layer"] for f in opened})
    return _text(20, height - 12, f"INTERNET EXPOSURE: {len(opened)} open flow(s) at the {', '.join(layers)} layer(s); "
                 "see the internet exposure table.", 12, "bold", "#b3261e")
