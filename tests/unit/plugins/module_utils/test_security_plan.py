"""Tables of cases for the security stage's planner (plugins/module_utils/security_plan.py), pure Python."""

import copy
import ipaddress
import json

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils import security_plan as sp
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import entry_to_api
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import normalize_entry

OWNER = "netsec.aws_peering"
S3_CIDRS = ["3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/16"]
DDB_CIDRS = ["3.218.180.0/23", "3.218.182.0/24", "52.94.0.0/22", "52.119.224.0/20"]


def tags(**values):
    return [{"Key": k, "Value": v} for k, v in values.items()]


def ours(network, **extra):
    return tags(ManagedBy=OWNER, Network=network, **extra)


def site(network, cidr, adopted=False, account="111111111111"):
    """A discovered site right after the network stage: VPC, three private subnets and tables, the private ACL."""
    net = ipaddress.ip_network(cidr)
    blocks = [str(b) for b in list(net.subnets(new_prefix=24))[:3]]
    key = network[:4]
    return {
        "network_name": network, "environment_suffix": "test", "account_id": account, "region": "us-east-1",
        "vpc": {"VpcId": f"vpc-{key}", "CidrBlock": cidr, "Tags": tags(Name="legacy") if adopted else ours(network, Name=f"vpc-{network}-test")},
        "subnets": [{"SubnetId": f"subnet-{key}{i}", "CidrBlock": block, "VpcId": f"vpc-{key}",
                     "Tags": ours(network, Name=f"subnet-private{i + 1}-{network}-test", Tier="private")} for i, block in enumerate(blocks)],
        "route_tables": [{"RouteTableId": f"rtb-{key}{i}", "VpcId": f"vpc-{key}", "Associations": [],
                          "Tags": ours(network, Name=f"rtb-private{i + 1}-{network}-test", Tier="private")} for i in range(3)],
        "network_acls": [
            {"NetworkAclId": f"acl-{key}1", "VpcId": f"vpc-{key}", "IsDefault": False, "Tags": ours(network, Name=f"nacl-private-{network}-test"),
             "Entries": [{"RuleNumber": 100, "Egress": egress, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": cidr} for egress in (False, True)]
             + [{"RuleNumber": 32767, "Egress": egress, "Protocol": "-1", "RuleAction": "deny", "CidrBlock": "0.0.0.0/0"} for egress in (False, True)]},
            {"NetworkAclId": f"acl-{key}0", "VpcId": f"vpc-{key}", "IsDefault": True, "Tags": [], "Entries": []},
        ],
        "security_groups": [{"GroupId": f"sg-{key}0", "GroupName": "default", "VpcId": f"vpc-{key}", "IpPermissions": [], "IpPermissionsEgress": []}],
        "vpc_endpoints": [],
        "prefix_lists": [{"PrefixListId": "pl-5a5a5a5a", "PrefixListName": "com.amazonaws.us-east-1.s3", "Cidrs": S3_CIDRS},
                         {"PrefixListId": "pl-dd00dd00", "PrefixListName": "com.amazonaws.us-east-1.dynamodb", "Cidrs": DDB_CIDRS}],
    }


PEERING = {"name": "trading-analytics", "requester": "trading", "accepter": "analytics", "ports": [443, 5432]}
SITES = {"trading": "10.0.0.0/16", "analytics": "10.1.0.0/16", "reporting": "10.2.0.0/16"}


def spec(host, peerings=(PEERING,), **extra):
    out = {"host": host, "network_name": host, "environment_suffix": "test", "tags": {"CostCenter": "CC-1", "Environment": "test"},
           "peerings": list(peerings), "default_ports": [443, 5432], "ephemeral_port_range": [32768, 65535],
           "endpoint_services": ["s3", "dynamodb"], "sg_intra_vpc_ingress": False, "extra_ingress_rules": [], "extra_egress_rules": [],
           "extra_rules_return_traffic": True, "open_cidr_exceptions": [], "nacl_max_entries": 20, "nacl_managed_rule_range": [1, 32766],
           "absent_reset_nacl": True, "check_mode": False}
    out.update(extra)
    return out


def states(*hosts):
    return {host: site(host, SITES[host]) for host in hosts}


def plan_for(host, all_states, **extra):
    peers = {h: s for h, s in all_states.items() if h != host}
    return sp.security_plan(all_states[host], spec(host, **extra), peers)


def converge(state, plan):
    """The state after the modules carried out the plan (groups and entries exactly as planned)."""
    state = copy.deepcopy(state)
    for group in plan["groups"]:
        rules = [dict(r, egress=False) for r in group["ingress"]] + [dict(r, egress=True) for r in group["egress"]]
        found = [g for g in state["security_groups"] if g["GroupName"] == group["name"]]
        described = {"GroupId": found[0]["GroupId"] if found else f"sg-{group['name']}", "GroupName": group["name"], "VpcId": state["vpc"]["VpcId"],
                     "Description": group["description"], "Tags": tags(**group["tags"]),
                     "IpPermissions": sp.ip_permissions([r for r in rules if not r["egress"]]),
                     "IpPermissionsEgress": sp.ip_permissions([r for r in rules if r["egress"]])}
        state["security_groups"] = [g for g in state["security_groups"] if g["GroupName"] != group["name"]] + [described]
    if plan["nacl"]:
        for acl in state["network_acls"]:
            if acl["NetworkAclId"] == plan["nacl"]["nacl_id"]:
                low, high = spec("x")["nacl_managed_rule_range"]
                kept = [e for e in acl["Entries"] if not low <= e["RuleNumber"] <= high]
                made = []
                for entry in plan["nacl"]["entries"]:
                    api = entry_to_api(normalize_entry(entry), acl["NetworkAclId"])
                    api.pop("NetworkAclId")
                    made.append(api)
                acl["Entries"] = kept + made
    return state


def group_of(state, name):
    return next(g for g in state["security_groups"] if g["GroupName"] == name)


def rule_set(plan, way):
    group = plan["groups"][0]
    return {(r["protocol"], r["from_port"], r.get("cidr_ip") or r.get("cidr_ipv6") or r.get("prefix_list_id")) for r in group[way]}


def entry_set(plan):
    return {(e["egress"], e["rule_number"], e.get("cidr_block") or e.get("ipv6_cidr_block"), e.get("port_from"), e.get("port_to"), e["protocol"])
            for e in plan["nacl"]["entries"]}


# ---------------------------------------------------------------------------- the sandbox case, exactly as the old role built it
def test_two_sites_both_directions_exact_rules_and_numbers():
    plan = plan_for("trading", states("trading", "analytics"))
    assert plan["errors"] == []
    peer = ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"]
    assert rule_set(plan, "ingress") == {("tcp", p, c) for p in (443, 5432) for c in peer}
    assert rule_set(plan, "egress") == ({("tcp", p, c) for p in (443, 5432) for c in peer + ["10.0.0.0/16"]}
                                        | {("tcp", 443, "pl-5a5a5a5a"), ("tcp", 443, "pl-dd00dd00")})
    descriptions = {r["description"] for r in plan["groups"][0]["egress"]}
    assert "peer 10.1.0.0/24 tcp/443" in descriptions and "intra-VPC 10.0.0.0/16 tcp/5432" in descriptions and None in descriptions
    ingress = sorted((n, c, f) for e, n, c, f, _t, _p in entry_set(plan) if not e)
    assert ingress == [(100, "10.0.0.0/16", None), (110, "10.1.0.0/23", 443), (120, "10.1.2.0/24", 443), (130, "10.1.0.0/23", 5432),
                       (140, "10.1.2.0/24", 5432), (150, "10.1.0.0/23", 32768), (160, "10.1.2.0/24", 32768),
                       (170, "3.5.0.0/19", 32768), (180, "3.218.180.0/23", 32768), (190, "3.218.182.0/24", 32768),
                       (200, "52.94.0.0/22", 32768), (210, "52.119.224.0/20", 32768), (220, "52.216.0.0/15", 32768),
                       (230, "54.231.0.0/16", 32768)]
    assert plan["converge"] == {"security_groups": True, "network_acl": True}
    assert [c["action"] for c in plan["changes"]][:1] == ["create"]
    assert any(c.get("op") == "revoke" and "egress all 0.0.0.0/0" in c["field"] for c in plan["changes"])


def test_converged_site_plans_nothing():
    all_states = states("trading", "analytics")
    plan = plan_for("trading", all_states)
    done = converge(all_states["trading"], plan)
    again = sp.security_plan(done, spec("trading"), {"analytics": all_states["analytics"]})
    assert again["errors"] == [] and again["changes"] == []
    assert again["converge"] == {"security_groups": False, "network_acl": False}
    assert sp.security_result(done, spec("trading")) == {"security_group_id": "sg-sg-peering-trading-test", "nacl_id": "acl-trad1"}


# ---------------------------------------------------------------------------- directions
@pytest.mark.parametrize("direction, host, inbound, outbound", [
    ("both", "trading", True, True),
    ("both", "analytics", True, True),
    ("requester-to-accepter", "trading", False, True),
    ("requester-to-accepter", "analytics", True, False),
    ("accepter-to-requester", "trading", True, False),
    ("accepter-to-requester", "analytics", False, True),
])
def test_directions(direction, host, inbound, outbound):
    plan = plan_for(host, states("trading", "analytics"), peerings=[dict(PEERING, direction=direction)])
    assert plan["errors"] == []
    peer_net = "10.1." if host == "trading" else "10.0."
    own = SITES[host]
    peer_in = {r for r in rule_set(plan, "ingress") if str(r[2]).startswith(peer_net)}
    peer_out = {r for r in rule_set(plan, "egress") if str(r[2]).startswith(peer_net) and r[2] != own}
    assert bool(peer_in) is inbound and bool(peer_out) is outbound
    assert ("tcp", 443, "pl-5a5a5a5a") in rule_set(plan, "egress")  # services and intra-VPC regardless of direction
    assert ("tcp", 5432, own) in rule_set(plan, "egress")
    entries = entry_set(plan)
    peer_entries = {e for e in entries if e[2].startswith(peer_net)}
    port_in = {e for e in peer_entries if not e[0] and e[3] in (443, 5432)}
    port_out = {e for e in peer_entries if e[0] and e[3] in (443, 5432)}
    eph_in = {e for e in peer_entries if not e[0] and e[3] == 32768}
    eph_out = {e for e in peer_entries if e[0] and e[3] == 32768}
    assert bool(port_in) is inbound and bool(eph_out) is inbound
    assert bool(port_out) is outbound and bool(eph_in) is outbound
    # numbers never depend on the direction: a kept entry has the number it has with both directions
    both = entry_set(plan_for(host, states("trading", "analytics")))
    assert entries <= both


def test_hub_with_two_spokes_fits_and_keeps_each_spokes_ports():
    peerings = [PEERING, {"name": "trading-reporting", "requester": "trading", "accepter": "reporting", "ports": [443]}]
    all_states = states("trading", "analytics", "reporting")
    plan = plan_for("trading", all_states, peerings=peerings)
    assert plan["errors"] == []
    entries = entry_set(plan)
    assert sum(1 for e in entries if not e[0]) <= 20 and sum(1 for e in entries if e[0]) <= 20
    assert not any(e[2].startswith("10.2.") and e[3] == 5432 for e in entries)  # reporting: 443 only
    assert any(e[2].startswith("10.1.") and e[3] == 5432 for e in entries)
    assert ("tcp", 5432, "10.2.0.0/24") not in rule_set(plan, "ingress")
    assert ("tcp", 443, "10.2.0.0/24") in rule_set(plan, "ingress")
    spoke = plan_for("reporting", all_states, peerings=peerings)
    assert spoke["errors"] == [] and rule_set(spoke, "ingress") == {("tcp", 443, f"10.0.{i}.0/24") for i in range(3)}


def test_no_peering_only_prefix_list_egress():
    plan = plan_for("trading", states("trading"), peerings=[])
    assert plan["errors"] == []
    assert rule_set(plan, "ingress") == set()
    assert rule_set(plan, "egress") == {("tcp", 443, "pl-5a5a5a5a"), ("tcp", 443, "pl-dd00dd00")}
    assert {(e[0], e[1]) for e in entry_set(plan) if e[2] == "10.0.0.0/16"} == {(False, 100), (True, 100)}


def test_intra_vpc_ingress_switch():
    plan = plan_for("trading", states("trading", "analytics"), sg_intra_vpc_ingress=True)
    assert ("tcp", 443, "10.0.0.0/16") in rule_set(plan, "ingress")


# ---------------------------------------------------------------------------- extra rules
@pytest.mark.parametrize("var, rule, sg_rules, entries", [
    ("extra_ingress_rules", {"cidr": "10.9.0.0/16", "ports": [8443, "9000-9100"]},
     {("ingress", "tcp", 8443, 8443, "10.9.0.0/16"), ("ingress", "tcp", 9000, 9100, "10.9.0.0/16")},
     {(False, "tcp", 8443, 8443), (False, "tcp", 9000, 9100), (True, "tcp", 32768, 65535)}),
    ("extra_egress_rules", {"cidr": "10.9.0.0/16", "ports": [53], "protocol": "udp"},
     {("egress", "udp", 53, 53, "10.9.0.0/16")}, {(True, "udp", 53, 53), (False, "udp", 32768, 65535)}),
    ("extra_ingress_rules", {"cidr": "10.9.0.0/16", "protocol": "icmp"},
     {("ingress", "icmp", -1, -1, "10.9.0.0/16")}, {(False, "icmp", None, None), (True, "icmp", None, None)}),
    ("extra_egress_rules", {"cidr": "10.9.0.0/16", "protocol": "all"},
     {("egress", "-1", None, None, "10.9.0.0/16")}, {(True, "all", None, None), (False, "all", None, None)}),
    ("extra_ingress_rules", {"cidr": "10.9.0.0/16", "protocol": "-1"},
     {("ingress", "-1", None, None, "10.9.0.0/16")}, {(False, "all", None, None), (True, "all", None, None)}),
    ("extra_ingress_rules", {"cidr": "2001:db8::/56", "ports": [443]},
     {("ingress", "tcp", 443, 443, "2001:db8::/56")}, {(False, "tcp", 443, 443), (True, "tcp", 32768, 65535)}),
])
def test_extra_rules(var, rule, sg_rules, entries):
    plan = plan_for("trading", states("trading", "analytics"), **{var: [rule]})
    assert plan["errors"] == []
    group = plan["groups"][0]
    found = {(way, r["protocol"], r["from_port"], r["to_port"], r.get("cidr_ip") or r.get("cidr_ipv6"))
             for way in ("ingress", "egress") for r in group[way] if (r.get("cidr_ip") or r.get("cidr_ipv6") or "").startswith(rule["cidr"][:6])}
    assert found == sg_rules
    assert all(r["description"] == f"extra {way} {rule['cidr']}" for way in ("ingress", "egress") for r in group[way]
               if (r.get("cidr_ip") or r.get("cidr_ipv6") or "").startswith(rule["cidr"][:6]))
    extra = {(e["egress"], e["protocol"], e.get("port_from"), e.get("port_to")) for e in plan["nacl"]["entries"]
             if (e.get("cidr_block") or e.get("ipv6_cidr_block")) == rule["cidr"]}
    assert extra == entries
    assert plan["nacl"]["allow_open_cidr"] is False


def test_extra_rules_without_return_traffic():
    plan = plan_for("trading", states("trading", "analytics"), extra_ingress_rules=[{"cidr": "10.9.0.0/16", "ports": [22]}],
                    extra_rules_return_traffic=False)
    assert {(e["egress"], e.get("port_from")) for e in plan["nacl"]["entries"] if e.get("cidr_block") == "10.9.0.0/16"} == {(False, 22)}


@pytest.mark.parametrize("extra, message", [
    ({"extra_ingress_rules": {"cidr": "10.9.0.0/16"}}, "security_extra_ingress_rules: "),
    ({"extra_ingress_rules": ["10.9.0.0/16"]}, "security_extra_ingress_rules[0]: \"10.9.0.0/16\" must be a dict with a cidr string"),
    ({"extra_egress_rules": [{"cidr": "10.9.0.0/16", "protocol": "gre"}]}, "security_extra_egress_rules[0].protocol: \"gre\""),
    ({"extra_ingress_rules": [{"cidr": "10.9.0.0/16"}]}, "protocol tcp needs at least one port"),
    ({"extra_ingress_rules": [{"cidr": "10.9.0.0/16", "protocol": "icmp", "ports": [1]}]}, "apply only to tcp and udp"),
    ({"extra_ingress_rules": [{"cidr": "10.9.0.0/16", "ports": "443"}]}, ".ports: \"443\" must be a list"),
    ({"extra_ingress_rules": [{"cidr": "10.9.0.0/16", "ports": [70000]}]}, "70000 must be a port 1-65535"),
    ({"extra_ingress_rules": [{"cidr": "10.9.0.0/16", "ports": ["2000-1000"]}]}, "\"2000-1000\" must be a port"),
    ({"extra_ingress_rules": [{"cidr": "10.9.0.5/16", "ports": [443]}]}, "'10.9.0.5/16' is not a valid network CIDR"),
    ({"extra_ingress_rules": [{"cidr": "0.0.0.0/0", "ports": [443]}]}, "is open to the internet; allowed only when security_extra_ingress_rules"),
    ({"extra_egress_rules": [{"cidr": "::/0", "protocol": "all"}]}, "allowed only when security_extra_egress_rules is listed"),
    ({"ephemeral_port_range": [1024, 65535]}, "contains admin port(s) [3389]"),
])
def test_bad_extra_rules_are_plan_errors(extra, message):
    plan = plan_for("trading", states("trading", "analytics"), **extra)
    assert any(message in e for e in plan["errors"]), plan["errors"]
    assert plan["converge"] == {"security_groups": False, "network_acl": False}


def test_open_cidr_exception_logged_and_numbered_after_the_last_entry():
    plan = plan_for("trading", states("trading", "analytics"), extra_egress_rules=[{"cidr": "0.0.0.0/0", "ports": [443]}],
                    open_cidr_exceptions=["security_extra_egress_rules"])
    assert plan["errors"] == []
    assert plan["warnings"] == ["COMPLIANCE EXCEPTION on trading: security_extra_egress_rules opens tcp 443 to 0.0.0.0/0 "
                                "(listed in open_cidr_exceptions)."]
    opened = sorted((e["egress"], e["rule_number"], e.get("port_from")) for e in plan["nacl"]["entries"] if e.get("cidr_block") == "0.0.0.0/0")
    assert opened == [(False, 240, 32768), (True, 240, 443)]
    assert plan["nacl"]["allow_open_cidr"] is True
    assert ("tcp", 443, "0.0.0.0/0") in rule_set(plan, "egress")


# ---------------------------------------------------------------------------- limits and ranges (the old role's assert)
def test_nacl_entry_limit_is_a_plan_error():
    extras = [{"cidr": f"10.{n}.0.0/16", "ports": [443]} for n in range(50, 57)]
    plan = plan_for("trading", states("trading", "analytics"), extra_ingress_rules=extras)
    assert any("would exceed max_entries 20" in e and "security_nacl_max_entries=20" in e for e in plan["errors"]), plan["errors"]
    assert plan["converge"]["network_acl"] is False
    assert plan_for("trading", states("trading", "analytics"), extra_ingress_rules=extras, nacl_max_entries=40)["errors"] == []


def test_entries_kept_outside_the_range_count_against_the_limit():
    all_states = states("trading", "analytics")
    acl = all_states["trading"]["network_acls"][0]
    acl["Entries"] += [{"RuleNumber": 5 + i, "Egress": False, "Protocol": "6", "RuleAction": "deny", "CidrBlock": f"10.7.{i}.0/24",
                        "PortRange": {"From": 22, "To": 22}} for i in range(8)]
    plan = plan_for("trading", all_states, nacl_managed_rule_range=[100, 32766])
    assert any("8 kept outside managed_rule_range" in e for e in plan["errors"]), plan["errors"]


def test_rule_outside_the_managed_range_is_a_plan_error():
    plan = plan_for("trading", states("trading", "analytics"), nacl_managed_rule_range=[100, 200])
    assert any("is outside managed_rule_range [100, 200]" in e for e in plan["errors"]), plan["errors"]
    bad = plan_for("trading", states("trading", "analytics"), nacl_managed_rule_range=[300, 200])
    assert any("low is greater than high" in e for e in bad["errors"])


# ---------------------------------------------------------------------------- drift of every rule and entry
def converged_pair():
    all_states = states("trading", "analytics")
    plan = plan_for("trading", all_states)
    return converge(all_states["trading"], plan), all_states["analytics"]


def replan(state, peer, **extra):
    return sp.security_plan(state, spec("trading", **extra), {"analytics": peer})


def test_drift_foreign_rule_revoked():
    state, peer = converged_pair()
    group = group_of(state, "sg-peering-trading-test")
    group["IpPermissions"].append({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "x"}]})
    group["IpPermissionsEgress"].append({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})
    group["IpPermissions"].append({"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": group["GroupId"], "UserId": "111111111111"}]})
    plan = replan(state, peer)
    assert sorted((c["op"], c["field"]) for c in plan["changes"]) == [
        ("revoke", "egress all 0.0.0.0/0"), ("revoke", f"ingress all group {group['GroupId']}"), ("revoke", "ingress tcp/22 0.0.0.0/0")]
    assert plan["converge"] == {"security_groups": True, "network_acl": False}


@pytest.mark.parametrize("way, index", [("IpPermissions", 0), ("IpPermissions", 1), ("IpPermissionsEgress", 0), ("IpPermissionsEgress", 1)])
def test_drift_missing_rule_authorized(way, index):
    state, peer = converged_pair()
    group = group_of(state, "sg-peering-trading-test")
    perm = group[way][index]
    lost = perm.get("IpRanges", [])[:1] or perm.get("PrefixListIds", [])[:1]
    for key in ("IpRanges", "PrefixListIds"):
        perm[key] = [item for item in perm.get(key, []) if item not in lost]
    plan = replan(state, peer)
    assert [c["op"] for c in plan["changes"]] == ["authorize"] and plan["changes"][0]["rule"]["egress"] is (way == "IpPermissionsEgress")


def test_drift_description_updated_in_place():
    state, peer = converged_pair()
    group = group_of(state, "sg-peering-trading-test")
    group["IpPermissions"][0]["IpRanges"][0]["Description"] = "changed by hand"
    plan = replan(state, peer)
    assert [(c["op"], c["before"]) for c in plan["changes"]] == [("describe", "changed by hand")]
    assert plan["changes"][0]["after"].startswith("peer 10.1.")


def test_drift_tags_corrected_never_removed():
    state, peer = converged_pair()
    group = group_of(state, "sg-peering-trading-test")
    group["Tags"] = [t for t in group["Tags"] if t["Key"] != "CostCenter"] + tags(Extra="kept")
    plan = replan(state, peer)
    assert [(c["field"], c["after"]) for c in plan["changes"]] == [("tags", {"CostCenter": "CC-1"})]


@pytest.mark.parametrize("mutate, expected", [
    (lambda entries: entries.pop(next(i for i, e in enumerate(entries) if e["RuleNumber"] == 110 and not e["Egress"])), ["create"]),
    (lambda entries: next(e for e in entries if e["RuleNumber"] == 120 and e["Egress"]).update(PortRange={"From": 22, "To": 22}), ["replace"]),
    (lambda entries: next(e for e in entries if e["RuleNumber"] == 100 and not e["Egress"]).update(CidrBlock="0.0.0.0/0"), ["replace"]),
    (lambda entries: entries.append({"RuleNumber": 50, "Egress": False, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}),
     ["delete"]),
])
def test_drift_of_entries(mutate, expected):
    state, peer = converged_pair()
    mutate(state["network_acls"][0]["Entries"])
    plan = replan(state, peer)
    assert [c["op"] for c in plan["changes"]] == expected
    assert plan["converge"] == {"security_groups": False, "network_acl": True}


def test_entries_outside_the_managed_range_are_never_touched():
    state, peer = converged_pair()
    state["network_acls"][0]["Entries"].append({"RuleNumber": 50, "Egress": False, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "10.8.0.0/16"})
    assert replan(state, peer, nacl_managed_rule_range=[100, 32766])["changes"] == []


# ---------------------------------------------------------------------------- peers, ownership, missing network
def test_adopted_peer_uses_its_discovered_private_subnets():
    all_states = states("trading")
    peer = site("analytics", "10.1.0.0/16", adopted=True)
    peer["subnets"][0]["CidrBlock"] = "10.1.200.0/24"
    peer["subnets"].append({"SubnetId": "subnet-theirs", "CidrBlock": "10.1.50.0/24", "Tags": tags(Name="app")})  # not ours: ignored
    plan = sp.security_plan(all_states["trading"], spec("trading"), {"analytics": peer})
    assert plan["errors"] == []
    assert {r[2] for r in rule_set(plan, "ingress")} == {"10.1.1.0/24", "10.1.2.0/24", "10.1.200.0/24"}


def test_someone_elses_group_of_our_name_is_an_error():
    all_states = states("trading", "analytics")
    all_states["trading"]["security_groups"].append({"GroupId": "sg-theirs", "GroupName": "sg-peering-trading-test", "VpcId": "vpc-trad",
                                                     "Tags": tags(Owner="app-team"), "IpPermissions": [], "IpPermissionsEgress": []})
    plan = plan_for("trading", all_states)
    assert any("sg-theirs" in e and "someone else's" in e for e in plan["errors"])
    teardown = sp.security_teardown_plan(all_states["trading"], spec("trading"))
    assert not any(c.get("id") == "sg-theirs" for c in teardown["changes"])


@pytest.mark.parametrize("check_mode", [True, False])
def test_missing_vpc(check_mode):
    empty = {"network_name": "trading", "vpc": None, "security_groups": [], "network_acls": []}
    plan = sp.security_plan(empty, spec("trading", check_mode=check_mode), {"analytics": empty | {"network_name": "analytics"}})
    if check_mode:
        assert plan["errors"] == [] and plan["changes"] and all(c["field"] == "pending" for c in plan["changes"])
    else:
        assert any("run playbooks/network.yml" in e for e in plan["errors"])
    assert plan["converge"] == {"security_groups": False, "network_acl": False}


def test_peer_not_discovered_in_the_play():
    plan = sp.security_plan(site("trading", "10.0.0.0/16"), spec("trading"), {})
    assert any("peer analytics (peering trading-analytics) was not discovered in this play" in e for e in plan["errors"])


def test_missing_prefix_list_and_acl():
    state = site("trading", "10.0.0.0/16")
    state["prefix_lists"] = state["prefix_lists"][:1]
    state["network_acls"] = state["network_acls"][1:]
    plan = sp.security_plan(state, spec("trading"), {"analytics": site("analytics", "10.1.0.0/16")})
    assert any("com.amazonaws.us-east-1.dynamodb" in e for e in plan["errors"])
    assert any("nacl-private-trading-test" in e for e in plan["errors"])


# ---------------------------------------------------------------------------- teardown
def test_teardown_twice():
    state, _peer = converged_pair()
    state["security_groups"].append({"GroupId": "sg-theirs", "GroupName": "app", "VpcId": "vpc-trad", "Tags": [], "IpPermissions": [],
                                     "IpPermissionsEgress": []})
    state["network_acls"][0]["Entries"].append({"RuleNumber": 32000, "Egress": False, "Protocol": "-1", "RuleAction": "deny",
                                                "CidrBlock": "10.66.0.0/16"})
    plan = sp.security_teardown_plan(state, spec("trading", nacl_managed_rule_range=[1, 31999]))
    deletions = [c for c in plan["changes"] if c["action"] == "delete"]
    assert [c["id"] for c in deletions] == ["sg-sg-peering-trading-test"]
    assert all(c["op"] == "delete" for c in plan["changes"] if c["resource"].startswith("network-acl"))
    assert not any(c["field"] == "ingress rule 32000" for c in plan["changes"])
    assert plan["nacl"]["entries"] == [{"rule_number": 100, "egress": e, "protocol": "all", "rule_action": "allow", "cidr_block": "10.0.0.0/16"}
                                       for e in (False, True)]
    # after the modules ran: nothing left to plan
    state["security_groups"] = [g for g in state["security_groups"] if g["GroupName"] != "sg-peering-trading-test"]
    acl = state["network_acls"][0]
    acl["Entries"] = [e for e in acl["Entries"] if e["RuleNumber"] in (100, 32000, 32767)]
    again = sp.security_teardown_plan(state, spec("trading", nacl_managed_rule_range=[1, 31999]))
    assert again["changes"] == [] and again["converge"] == {"security_groups": False, "network_acl": False}
    gone = sp.security_teardown_plan({"vpc": None}, spec("trading"))
    assert gone["changes"] == [] and gone["errors"] == []


def test_teardown_without_acl_reset():
    state, _peer = converged_pair()
    plan = sp.security_teardown_plan(state, spec("trading", absent_reset_nacl=False))
    assert {c["resource"].split()[0] for c in plan["changes"]} == {"security-group"}


# ---------------------------------------------------------------------------- rule model and filters' builders
def test_rules_of_group_round_trip():
    rules = [sp.sg_rule(r, egress=e) for r, e in [
        ({"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.1.0.0/24", "description": "a"}, False),
        ({"protocol": "6", "from_port": 1000, "to_port": 2000, "cidr_ipv6": "2001:db8::/64"}, False),
        ({"protocol": "icmp", "cidr_ip": "10.9.0.0/16"}, True),
        ({"protocol": "all", "prefix_list_id": "pl-5a5a5a5a"}, True),
    ]]
    group = {"IpPermissions": sp.ip_permissions([r for r in rules if not r["egress"]]),
             "IpPermissionsEgress": sp.ip_permissions([r for r in rules if r["egress"]])}
    assert sorted(map(sp.rule_key, sp.rules_of_group(group)), key=json.dumps) == sorted(map(sp.rule_key, rules), key=json.dumps)
    assert [r for r in sp.rules_of_group(group) if r.get("cidr_ip") == "10.1.0.0/24"][0]["description"] == "a"


@pytest.mark.parametrize("rule, message", [
    ({"protocol": "gre", "cidr_ip": "10.0.0.0/8"}, "must be tcp, udp, icmp"),
    ({"protocol": "tcp", "cidr_ip": "10.0.0.0/8"}, "needs from_port and to_port"),
    ({"protocol": "tcp", "from_port": 2, "to_port": 1, "cidr_ip": "10.0.0.0/8"}, "greater than to_port"),
    ({"protocol": "tcp", "from_port": 1, "to_port": 1}, "exactly one of"),
    ({"protocol": "tcp", "from_port": 1, "to_port": 1, "cidr_ip": "2001:db8::/64"}, "is not an IPv4 CIDR"),
])
def test_bad_group_rules(rule, message):
    with pytest.raises(sp.RuleError, match=message.replace("(", r"\(")):
        sp.sg_rule(rule)


def test_plan_security_groups_create_and_absent():
    state = site("trading", "10.0.0.0/16")
    group = {"name": "sg-x", "description": "x", "ingress": [{"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ip": "10.0.0.0/16"}],
             "egress": []}
    plan = sp.plan_security_groups(state, [group], "trading")
    assert [c["action"] for c in plan["changes"]] == ["create", "update", "update"]
    assert plan["changes"][0]["spec"]["tags"] == {"ManagedBy": OWNER, "Network": "trading", "Name": "sg-x"}
    assert sp.plan_security_groups(state, [group], "trading", absent=True)["changes"] == []
    assert sp.plan_security_groups(state, [{"ingress": []}], "trading")["errors"] == ["groups[0]: {'ingress': []} must be a dict with a name"]
