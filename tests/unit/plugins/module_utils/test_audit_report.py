"""Unit tests for plugins/module_utils/audit_report.py and the filters of plugins/filter/reachability.py.

Every control is shown PASS on the deployed state (reachability_states.build_sites) and FAIL on a
state bent in the one way the control forbids; near misses that must still PASS (a deny
entry, an egress rule, a non-admin port) keep the checks from over-reaching.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import reachability as filters
from ansible_collections.netsec.aws_peering.plugins.module_utils import audit_report
from ansible_collections.netsec.aws_peering.plugins.module_utils.reachability import evaluate
from ansible_collections.netsec.aws_peering.tests.unit.plugins.module_utils.reachability_states import (  # pylint: disable=unused-import
    audit_settings,
    build_sites,
)


# ---------------------------------------------------------------- helpers

def acl(sites, name="trading", kind="private"):
    return next(a for a in sites[name]["network_acls"] if a["NetworkAclId"] == f"acl-{name}-{kind}")


def group(sites, name="trading", kind="peering"):
    return next(g for g in sites[name]["security_groups"] if g["GroupId"] == f"sg-{name}-{kind}")


def table(sites, name="trading", az="a"):
    return next(t for t in sites[name]["route_tables"] if t["RouteTableId"] == f"rtb-{name}-{az}")


def set_tag(resource, key, value):
    resource["Tags"] = [t for t in resource["Tags"] if t["Key"] != key] + ([{"Key": key, "Value": value}] if value is not None else [])


def nacl_in(rule, cidr, protocol="6", ports=(22, 22), action="allow", egress=False):
    entry = {"RuleNumber": rule, "Egress": egress, "Protocol": protocol, "RuleAction": action,
             ("Ipv6CidrBlock" if ":" in cidr else "CidrBlock"): cidr}
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def sg_in(cidr, protocol="tcp", ports=(22, 22)):
    rule = {"IpProtocol": protocol, "IpRanges": [], "Ipv6Ranges": []}
    rule["Ipv6Ranges" if ":" in cidr else "IpRanges"].append({"CidrIpv6" if ":" in cidr else "CidrIp": cidr})
    if ports:
        rule["FromPort"], rule["ToPort"] = ports
    return rule


def by_id(results):
    return {c["id"]: c for c in results}


# ---------------------------------------------------------------- every control passes on the deployed state

def test_deployed_state_passes_every_control(build_sites, audit_settings):
    sites, intent = build_sites("hub")
    results = audit_report.controls(sites, intent, audit_settings, result=evaluate(sites, intent))
    assert {c["id"]: c["status"] for c in results} == {c["id"]: "PASS" for c in results}
    assert [c["id"] for c in results] == ["CIS-3.7", "CIS-5.1", "CIS-5.2", "CIS-5.3", "CIS-5.4", "CIS-5.5", "FSBP-EC2.2",
                                          "FSBP-EC2.6", "FSBP-EC2.21", "NS-1", "NS-2", "NS-3", "NS-4", "NS-5", "NS-6"]
    assert all(c["evidence"] and not c["findings"] for c in results)
    assert "fl-trading" in by_id(results)["CIS-3.7"]["evidence"][0]


# ---------------------------------------------------------------- tables of FAIL (and near-miss PASS) cases

def _no_flow_log(sites, _intent, _settings):
    sites["analytics"]["flow_logs"] = []


def _accept_only_flow_log(sites, _intent, _settings):
    sites["analytics"]["flow_logs"][0]["TrafficType"] = "ACCEPT"


def _no_vpc(sites, _intent, _settings):
    sites["analytics"]["vpc"] = None


def _acl_entry(entry, name="trading", kind="private"):
    return lambda sites, _i, _s: acl(sites, name, kind)["Entries"].append(entry)


def _sg_ingress(rule, kind="peering"):
    return lambda sites, _i, _s: group(sites, "trading", kind)["IpPermissions"].append(rule)


def _sg_egress(rule):
    return lambda sites, _i, _s: group(sites)["IpPermissionsEgress"].append(rule)


def _default_sg_self_reference(sites, _intent, _settings):
    group(sites, "analytics", "default")["IpPermissions"].append({"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-analytics-default"}]})


def _default_sg_egress(sites, _intent, _settings):
    group(sites, "analytics", "default")["IpPermissionsEgress"].append(sg_in("0.0.0.0/0", "-1", None))


def _default_sg_missing(sites, _intent, _settings):
    sites["analytics"]["security_groups"] = [g for g in sites["analytics"]["security_groups"] if g["GroupName"] != "default"]


def _route(route, name="trading", az="a"):
    return lambda sites, _i, _s: table(sites, name, az)["Routes"].append(route)


def _whole_peer_vpc_route(sites, _intent, _settings):
    table(sites)["Routes"].append({"DestinationCidrBlock": "10.1.0.0/16", "VpcPeeringConnectionId": "pcx-trading-analytics"})


def _peering_route_in_main_table(sites, _intent, _settings):
    main = next(t for t in sites["trading"]["route_tables"] if t["RouteTableId"] == "rtb-trading-main")
    main["Routes"].append({"DestinationCidrBlock": "10.1.1.0/24", "VpcPeeringConnectionId": "pcx-trading-analytics"})


def _main_table_serves(subnet):
    """The main table carries the peering routes; `subnet` has no table of its own (so the main table serves it)."""
    def mutate(sites, _intent, _settings):
        if subnet == "subnet-trading-public":
            sites["trading"]["subnets"].append({"SubnetId": subnet, "CidrBlock": "10.0.100.0/24", "Tags": []})
        sites["trading"]["route_tables"] = [t for t in sites["trading"]["route_tables"]
                                            if subnet not in [a.get("SubnetId") for a in t["Associations"]]]
        main = next(t for t in sites["trading"]["route_tables"] if t["RouteTableId"] == "rtb-trading-main")
        main["Routes"].append({"DestinationCidrBlock": "10.1.1.0/24", "VpcPeeringConnectionId": "pcx-trading-analytics"})
    return mutate


def _public_subnet_on_private_table(sites, _intent, _settings):
    sites["trading"]["subnets"].append({"SubnetId": "subnet-trading-public", "CidrBlock": "10.0.100.0/24", "Tags": []})
    table(sites)["Associations"].append({"SubnetId": "subnet-trading-public"})


def _route_to_unknown_peer(sites, _intent, _settings):
    sites["trading"]["vpc_peering_connections"].append({
        "VpcPeeringConnectionId": "pcx-elsewhere", "RequesterVpcInfo": {"VpcId": "vpc-trading"}, "AccepterVpcInfo": {"VpcId": "vpc-unknown"}})
    table(sites)["Routes"].append({"DestinationCidrBlock": "172.16.0.0/24", "VpcPeeringConnectionId": "pcx-elsewhere"})


def _prefix_list_route(intent_cidrs):
    def mutate(sites, intent, _settings):
        table(sites)["Routes"].append({"DestinationPrefixListId": "pl-analytics", "VpcPeeringConnectionId": "pcx-trading-analytics"})
        if intent_cidrs is not None:
            intent["prefix_lists"] = {"pl-analytics": intent_cidrs}
    return mutate


def _untag(key, value=None, kind="subnets", index=0, site="trading"):
    def mutate(sites, _intent, _settings):
        resource = sites[site][kind] if isinstance(sites[site][kind], dict) else sites[site][kind][index]
        set_tag(resource, key, value)
    return mutate


def _require_owner(_sites, _intent, settings):
    settings["required_tags"] = ["CostCenter", "Owner"]


def _rename(value, kind="vpc"):
    def mutate(sites, _intent, _settings):
        resource = sites["trading"][kind] if kind == "vpc" else sites["trading"][kind][0]
        set_tag(resource, "Name", value)
    return mutate


def _group_name(sites, _intent, _settings):
    group(sites)["GroupName"] = "sg-peering-trading-prod"


def _not_ours(sites, _intent, _settings):
    set_tag(sites["trading"]["vpc"], "ManagedBy", "someone-else")
    set_tag(sites["trading"]["vpc"], "Name", "legacy-vpc")


def _no_suffix(_sites, _intent, settings):
    settings["environment_suffix"] = ""


def _aggregation(value):
    return lambda sites, _i, _s: sites["trading"]["flow_logs"][0].update(MaxAggregationInterval=value)


def _expect_600(_sites, _intent, settings):
    settings["flow_log_max_aggregation_interval"] = 600


def _dns_off_on_accepter(sites, _intent, _settings):
    for name in ("trading", "analytics"):
        sites[name]["vpc_peering_connections"][0]["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] = False


def _hostnames_off(sites, _intent, _settings):
    sites["trading"]["vpc"]["EnableDnsHostnames"] = False


CONTROL_CASES = [
    # CIS 3.7 / FSBP EC2.6: flow logging
    (_no_flow_log, "CIS-3.7", "FAIL", "vpc-analytics (analytics): no active flow log"),
    (_no_flow_log, "FSBP-EC2.6", "FAIL", "vpc-analytics"),
    (_accept_only_flow_log, "CIS-3.7", "FAIL", "TrafficType ALL or REJECT"),
    (_no_vpc, "CIS-3.7", "FAIL", "analytics: no VPC in the state"),
    # CIS 5.1 / FSBP EC2.21: network ACL ingress to admin ports
    (_acl_entry(nacl_in(50, "0.0.0.0/0")), "CIS-5.1", "FAIL", "acl-trading-private (trading): ingress rule 50 allows port 22 from 0.0.0.0/0"),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", "-1", None)), "CIS-5.1", "FAIL", "allows port 22, 3389"),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", "17", (3000, 4000))), "FSBP-EC2.21", "FAIL", "port 3389"),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", "6", (1024, 65535)), "analytics", "default"), "CIS-5.1", "FAIL", "acl-analytics-default"),
    (_acl_entry(nacl_in(50, "::/0")), "FSBP-EC2.21", "FAIL", "from ::/0"),
    (_acl_entry(nacl_in(50, "::/0")), "CIS-5.1", "PASS", None),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", action="deny")), "CIS-5.1", "PASS", None),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", egress=True)), "CIS-5.1", "PASS", None),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", ports=(443, 443))), "CIS-5.1", "PASS", None),
    (_acl_entry(nacl_in(50, "0.0.0.0/0", "1", None)), "FSBP-EC2.21", "PASS", None),
    # CIS 5.2 / 5.3: security group ingress to admin ports
    (_sg_ingress(sg_in("0.0.0.0/0")), "CIS-5.2", "FAIL", "sg-trading-peering (trading): ingress tcp port 22 from 0.0.0.0/0"),
    (_sg_ingress(sg_in("0.0.0.0/0", ports=(0, 65535))), "CIS-5.2", "FAIL", "port 22, 3389"),
    (_sg_ingress(sg_in("0.0.0.0/0", "-1", None)), "CIS-5.2", "FAIL", "port 22, 3389"),
    (_sg_ingress(sg_in("0.0.0.0/0", "udp", (3389, 3389)), "default"), "CIS-5.2", "FAIL", "sg-trading-default"),
    (_sg_ingress(sg_in("0.0.0.0/0", ports=(443, 443))), "CIS-5.2", "PASS", None),
    (_sg_ingress(sg_in("0.0.0.0/0", "icmp", (-1, -1))), "CIS-5.2", "PASS", None),
    (_sg_egress(sg_in("0.0.0.0/0")), "CIS-5.2", "PASS", None),
    (_sg_ingress(sg_in("::/0")), "CIS-5.2", "PASS", None),
    (_sg_ingress(sg_in("::/0")), "CIS-5.3", "FAIL", "from ::/0"),
    (_sg_ingress(sg_in("0.0.0.0/0")), "CIS-5.3", "PASS", None),
    # CIS 5.4 / FSBP EC2.2: default security group
    (_default_sg_self_reference, "CIS-5.4", "FAIL", "sg-analytics-default (analytics, default group of vpc-analytics): 1 inbound rule"),
    (_default_sg_egress, "FSBP-EC2.2", "FAIL", "1 outbound rule"),
    (_default_sg_missing, "CIS-5.4", "FAIL", "default security group is not in the state"),
    # CIS 5.5: peering routes least access
    (_whole_peer_vpc_route, "CIS-5.5", "FAIL", "covers 10.1.0.0/16, beyond analytics's private subnets"),
    (_peering_route_in_main_table, "CIS-5.5", "FAIL", "rtb-trading-main (trading): carries peering routes but no private subnet uses it"),
    (_public_subnet_on_private_table, "CIS-5.5", "FAIL", "serves non-private subnet(s) subnet-trading-public"),
    (_main_table_serves("subnet-trading-public"), "CIS-5.5", "FAIL", "rtb-trading-main (trading): carries peering routes but serves"),
    (_main_table_serves("subnet-trading-a"), "CIS-5.5", "PASS", None),
    (_route_to_unknown_peer, "CIS-5.5", "FAIL", "not among the audited sites"),
    (_prefix_list_route(None), "CIS-5.5", "FAIL", "prefix list whose entries are not in the intent"),
    (_prefix_list_route(["10.1.1.0/24", "10.1.2.0/25"]), "CIS-5.5", "PASS", None),
    (_prefix_list_route(["10.1.1.0/24", "10.1.4.0/24"]), "CIS-5.5", "FAIL", "covers 10.1.4.0/24"),
    # NS-1: no open CIDR anywhere
    (_sg_egress(sg_in("0.0.0.0/0", "-1", None)), "NS-1", "FAIL", "sg-trading-peering (trading): egress -1 all ports to 0.0.0.0/0"),
    (_sg_ingress(sg_in("::/0", ports=(443, 443))), "NS-1", "FAIL", "ingress tcp port 443 from ::/0"),
    (_acl_entry(nacl_in(60, "0.0.0.0/0", ports=(443, 443), egress=True)), "NS-1", "FAIL", "egress rule 60 allows 0.0.0.0/0"),
    (_acl_entry(nacl_in(60, "0.0.0.0/0", action="deny")), "NS-1", "PASS", None),
    (_route({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}), "NS-1", "FAIL", "route 0.0.0.0/0 -> igw-1"),
    (_route({"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"}), "NS-1", "FAIL", "::/0 -> eigw-1"),
    # NS-2: required tags
    (_untag("CostCenter"), "NS-2", "FAIL", "subnet-trading-a (trading subnet): CostCenter missing or empty"),
    (_untag("Environment", " ", "vpc_peering_connections", site="analytics"), "NS-2", "FAIL",
     "pcx-trading-analytics (analytics peering connection): Environment"),
    (_untag("CostCenter", "", "flow_logs"), "NS-2", "FAIL", "fl-trading"),
    (_untag("Environment", None, "vpc"), "NS-2", "FAIL", "vpc-trading (trading VPC)"),
    (_require_owner, "NS-2", "FAIL", "Owner missing or empty"),
    # NS-3: environment suffix in our names
    (_rename("vpc-trading-prod"), "NS-3", "FAIL", "vpc-trading (trading VPC): Name tag 'vpc-trading-prod' does not end with -sandbox"),
    (_rename(None, "route_tables"), "NS-3", "FAIL", "Name tag None"),
    (_group_name, "NS-3", "FAIL", "group name 'sg-peering-trading-prod'"),
    (_not_ours, "NS-3", "PASS", None),
    (_no_suffix, "NS-3", "FAIL", "environment_suffix is empty"),
    # NS-4: flow log aggregation interval
    (_aggregation(600), "NS-4", "FAIL", "fl-trading (trading): MaxAggregationInterval 600, expected 60"),
    (_aggregation(None), "NS-4", "FAIL", "MaxAggregationInterval None"),
    (_expect_600, "NS-4", "FAIL", "expected 600"),
    (_no_flow_log, "NS-4", "FAIL", "vpc-analytics (analytics): no flow log"),
    # NS-5: DNS both ways
    (_dns_off_on_accepter, "NS-5", "FAIL", "requester-to-accepter (trading resolving analytics)"),
    (_hostnames_off, "NS-5", "FAIL", "vpc-trading EnableDnsHostnames is False"),
]


@pytest.mark.parametrize("mutate, control_id, status, finding", CONTROL_CASES,
                         ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(CONTROL_CASES)])
def test_control(build_sites, audit_settings, mutate, control_id, status, finding):
    sites, intent = build_sites()
    mutate(sites, intent, audit_settings)
    control = by_id(audit_report.controls(sites, intent, audit_settings))[control_id]
    assert control["status"] == status, control["findings"]
    if finding:
        assert any(finding in f for f in control["findings"]), control["findings"]
    else:
        assert control["findings"] == []


def test_reachability_control_follows_the_result(build_sites, audit_settings):
    sites, intent = build_sites()
    table(sites)["Routes"] = [r for r in table(sites)["Routes"] if r.get("DestinationCidrBlock") != "10.1.1.0/24"]
    control = by_id(audit_report.controls(sites, intent, audit_settings, result=evaluate(sites, intent)))["NS-6"]
    assert control["status"] == "FAIL"
    assert any("subnet-analytics-a" in f and "expected allow" in f for f in control["findings"])
    assert "NS-6" not in by_id(audit_report.controls(sites, intent, audit_settings))


def test_controls_refuse_a_non_dict():
    with pytest.raises(ValueError, match="sites must be a dict"):
        audit_report.controls([], {}, {})


# ---------------------------------------------------------------- the HTML

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "embed", "source", "track", "wbr"}
SVG_EMPTY = {"rect", "line", "path", "circle", "ellipse", "polygon", "polyline", "stop"}


class _Balance(HTMLParser):
    """Checks that every element is closed, in order (the report writes no optional end tags)."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def _report(build_sites, audit_settings, topology="pair", mutate=None):
    sites, intent = build_sites(topology)
    if mutate:
        mutate(sites, intent)
    settings = dict(audit_settings, generated_at="2026-01-31 12:00 UTC")
    return audit_report.report_html(sites, intent, evaluate(sites, intent), settings)


@pytest.mark.parametrize("topology", ["pair", "hub"])
def test_html_is_well_formed_and_svg_is_xml(build_sites, audit_settings, topology):
    page = _report(build_sites, audit_settings, topology)
    assert page.startswith("<!DOCTYPE html>")
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.errors == [] and parser.stack == []
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for expected in ("Account 111111111111", "us-east-1", "vpc-trading-sandbox", "subnet-analytics-c", "pcx-trading-analytics",
                     "s3 gateway endpoint", "tcp 443, 5432"):
        assert expected in texts
    lines = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("marker-end")]
    assert len(lines) == (2 if topology == "pair" else 4)  # one arrow per allowed direction per peering


def test_html_loads_nothing(build_sites, audit_settings):
    page = _report(build_sites, audit_settings)
    parser = _Balance()
    parser.feed(page)
    attrs = [(tag, name) for tag, found in parser.tags for name in found]
    assert not [a for a in attrs if a[1] in ("src", "href", "xlink:href", "srcset", "action", "data")]
    assert not {tag for tag, _a in parser.tags} & {"script", "link", "img", "iframe", "object", "embed", "form"}
    assert not re.search(r"https?://", page.replace('xmlns="http://www.w3.org/2000/svg"', ""))
    assert "@import" not in page and "url(http" not in page
    assert "default-src 'none'" in page


def test_html_escapes_untrusted_strings(build_sites, audit_settings):
    payload = '<script>alert("x")</script>'

    def inject(sites, _intent):
        set_tag(sites["trading"]["vpc"], "Name", payload)
        set_tag(sites["trading"]["subnets"][0], "CostCenter", "")  # a finding that quotes the resource
        sites["analytics"]["account_id"] = '"><img src=x onerror=alert(1)>'
        sites["trading"]["flow_logs"][0]["FlowLogId"] = "fl-<b>bold</b>"
    page = _report(build_sites, audit_settings, mutate=inject)
    assert payload not in page and "<img" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    assert any(payload == (t.text or "") for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))


def test_html_shows_controls_matrix_dns_and_violations(build_sites, audit_settings):
    def break_route(sites, _intent):
        table(sites)["Routes"] = [r for r in table(sites)["Routes"] if r.get("DestinationCidrBlock") != "10.1.1.0/24"]
    page = _report(build_sites, audit_settings, mutate=break_route)
    for control_id in ("CIS-3.7", "CIS-5.5", "FSBP-EC2.21", "NS-6"):
        assert f">{control_id}<" in page
    assert "Ensure routing tables for VPC peering are &quot;least access&quot;" in page
    assert 'class="badge FAIL"' in page and 'class="chip mismatch"' in page
    assert "trading subnet-trading-a 10.0.1.0/24" in page and "resolves analytics host names" in page
    assert "request route: no route in rtb-trading-a" in page  # the deciding component, in the evidence
    clean = _report(build_sites, audit_settings)
    assert 'class="badge FAIL"' not in clean and "None: every evaluated flow and DNS direction matches the intent." in clean


def _section(page, section_id):
    start = page.index(f'<section id="{section_id}">')
    return page[start:page.index("</section>", start)]


def test_peer_exposure_fails_the_reachability_control_and_shows_in_the_report(build_sites, audit_settings):
    sites, intent = build_sites()
    # Port 22 from the peer's subnet on the destination's group and ACL: the end-to-end flow stays denied.
    group(sites, "analytics")["IpPermissions"].append(sg_in("10.0.1.0/24"))
    acl(sites, "analytics")["Entries"].append(nacl_in(95, "10.0.1.0/24"))
    result = evaluate(sites, intent)
    control = by_id(audit_report.controls(sites, intent, audit_settings, result=result))["NS-6"]
    assert control["status"] == "FAIL"
    assert any("security_group allows: sg-analytics-peering ingress rule tcp 22 from 10.0.1.0/24" in f for f in control["findings"])
    assert any("network_acl allows: acl-analytics-private ingress rule 95" in f for f in control["findings"])
    page = audit_report.report_html(sites, intent, result, dict(audit_settings, generated_at="fixed"))
    assert _section(page, "violations").count("<td>peer_exposure</td>") == 6
    evidence = _section(page, "evidence")
    exposure = [f for f in result["flows"] if f["kind"] == "peer_exposure"]
    opened = [f["id"] for f in exposure if f["verdict"] == "allow"]
    assert opened and all(f'<span class="mono">{fid}</span>' in evidence for fid in opened)
    # A layer's closed intervals are not evidence (a closed intent port is the end-to-end flow's business).
    assert not any(f'<span class="mono">{f["id"]}</span>' in evidence for f in exposure if f["verdict"] == "deny")
    assert all(f'<span class="mono">{f["id"]}</span>' in evidence for f in result["flows"] if f["kind"] == "peer")


# ---------------------------------------------------------------- the filters

def test_filters_are_registered():
    registered = filters.FilterModule().filters()
    assert {name: registered[name] for name in ("reachability", "audit_controls", "audit_report_html")} == {
        "reachability": filters.reachability,
        "audit_controls": filters.audit_controls,
        "audit_report_html": filters.audit_report_html,
    }
    assert {"reachability_intent", "reachability_sites"} <= set(registered)


def test_filters_return_what_the_module_utils_return(build_sites, audit_settings):
    sites, intent = build_sites()
    result = filters.reachability(sites, intent)
    assert result == evaluate(sites, intent)
    assert filters.audit_controls(sites, intent, audit_settings) == audit_report.controls(sites, intent, audit_settings)
    settings = dict(audit_settings, generated_at="fixed")
    assert filters.audit_report_html(sites, intent, result, settings) == audit_report.report_html(sites, intent, result, settings)


@pytest.mark.parametrize("call, message", [
    (lambda s, i: filters.reachability(s, dict(i, client_ports="x")), "reachability: intent.client_ports"),
    (lambda s, i: filters.reachability("not sites", i), "reachability: sites must be a dict"),
    (lambda s, i: filters.audit_controls(s, dict(i, peerings=[{"requester": "nowhere"}]), {}), "audit_controls: intent.peerings"),
])
def test_filters_raise_filter_errors(build_sites, call, message):
    sites, intent = build_sites()
    with pytest.raises(AnsibleFilterError, match=re.escape(message)):
        call(sites, intent)
