"""Table tests for the security_rules filters (pure Python, no AWS)."""

import itertools

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import security_rules as sr
from ansible_collections.netsec.aws_peering.plugins.module_utils.network_acl import validate_desired

VPC = "10.10.0.0/16"
PEERS3 = ["10.20.2.0/24", "10.20.1.0/24", "10.21.0.0/24"]
SERVICES = ["52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16"]


def by_dir(entries, egress):
    return [e for e in entries if e["egress"] is egress]


def summary(entries):
    """(egress, rule_number, cidr, port_from, port_to, protocol) tuples."""
    return [(e["egress"], e["rule_number"], e.get("cidr_block") or e.get("ipv6_cidr_block"),
             e.get("port_from"), e.get("port_to"), e["protocol"]) for e in entries]


@pytest.mark.parametrize(
    "peers, ports, services, ingress, egress",
    [
        # 1 peer, 2 ports, no services: intra + 2 ports + ephemeral, in and out
        (["10.20.1.0/24"], [443, 5432], [], 4, 4),
        # 3 peers, 2 ports: intra + 6 + 3, in and out
        (PEERS3, [443, 5432], [], 10, 10),
        # 1 peer, 2 ports, 3 service CIDRs: + 3 ephemeral in, + 3 x 443 out
        (["10.20.1.0/24"], [443, 5432], SERVICES, 7, 7),
        # 3 peers, 2 ports, 3 service CIDRs
        (PEERS3, [5432, 443], SERVICES, 13, 13),
    ],
)
def test_nacl_entries_counts(peers, ports, services, ingress, egress):
    entries = sr.nacl_entries(peers, ports, VPC, service_cidrs=services)
    assert sr.nacl_entry_count(entries) == {"ingress": ingress, "egress": egress}
    # the module accepts them as they are (no open CIDR, no duplicates)
    validate_desired(entries, (1, 32766), False)
    for direction in (False, True):
        numbers = [e["rule_number"] for e in by_dir(entries, direction)]
        assert numbers == list(range(100, 100 + 10 * len(numbers), 10))


def test_nacl_entries_one_peer_exact():
    entries = sr.nacl_entries("10.20.1.0/24", [5432, 443], VPC, service_cidrs=["3.5.0.0/19"])
    assert summary(entries) == [
        (False, 100, VPC, None, None, "all"),
        (False, 110, "10.20.1.0/24", 443, 443, "tcp"),
        (False, 120, "10.20.1.0/24", 5432, 5432, "tcp"),
        (False, 130, "10.20.1.0/24", 32768, 65535, "tcp"),
        (False, 140, "3.5.0.0/19", 32768, 65535, "tcp"),
        (True, 100, VPC, None, None, "all"),
        (True, 110, "10.20.1.0/24", 443, 443, "tcp"),
        (True, 120, "10.20.1.0/24", 5432, 5432, "tcp"),
        (True, 130, "10.20.1.0/24", 32768, 65535, "tcp"),
        (True, 140, "3.5.0.0/19", 443, 443, "tcp"),
    ]
    assert all(e["rule_action"] == "allow" for e in entries)


def test_nacl_entries_stable_across_permutations():
    reference = sr.nacl_entries(PEERS3, [443, 5432], VPC, service_cidrs=SERVICES)
    for peers in itertools.permutations(PEERS3):
        for ports in ([443, 5432], [5432, 443]):
            for services in (SERVICES, list(reversed(SERVICES)), [SERVICES[1:], SERVICES[:1]]):
                assert sr.nacl_entries(list(peers), ports, VPC, service_cidrs=services) == reference


def test_nacl_entries_sorted_numerically_not_lexically():
    entries = sr.nacl_entries(["10.9.0.0/24", "10.10.0.0/24", "10.11.0.0/25"], [443], "10.0.0.0/16")
    ports = [e["cidr_block"] for e in by_dir(entries, False) if e.get("port_from") == 443]
    assert ports == ["10.9.0.0/24", "10.10.0.0/24", "10.11.0.0/25"]


@pytest.mark.parametrize(
    "peers, ports, services, expected_in",
    [
        (["10.20.1.0/24", "10.20.1.0/24"], [443], [], 3),           # duplicate peer
        (["10.20.1.0/24"], [443, 443, "443"], [], 3),                # duplicate port
        (["10.20.1.0/24"], [443], ["3.5.0.0/19", "3.5.0.0/19"], 4),  # duplicate service CIDR
        (["10.20.1.0/24"], [443], [["3.5.0.0/19"], ["3.5.0.0/19", "52.216.0.0/15"]], 5),  # nested lists
    ],
)
def test_nacl_entries_dedupe(peers, ports, services, expected_in):
    entries = sr.nacl_entries(peers, ports, VPC, service_cidrs=services)
    assert sr.nacl_entry_count(entries)["ingress"] == expected_in
    keys = [(e["egress"], e["rule_number"]) for e in entries]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"peer_cidrs": ["10.20.1.0/24", "0.0.0.0/0"]}, "'0.0.0.0/0' is open"),
        ({"peer_cidrs": ["::/0"]}, "'::/0' is open"),
        ({"vpc_cidr": "0.0.0.0/0"}, "vpc_cidr: '0.0.0.0/0'"),
        ({"service_cidrs": ["0.0.0.0/0"]}, "service_cidrs: '0.0.0.0/0'"),
        ({"peer_cidrs": ["10.20.1.300/24"]}, "'10.20.1.300/24' is not a valid network CIDR"),
        ({"peer_cidrs": ["10.20.1.5/24"]}, "'10.20.1.5/24' is not a valid network CIDR"),
        ({"peer_cidrs": []}, "at least one peer CIDR"),
        ({"ports": [443, 70000]}, "port 70000"),
        ({"ports": ["https"]}, "'https' is not a port number"),
        ({"ephemeral_range": [1024, 65535]}, "contains admin port(s) [3389]"),
        ({"ephemeral_range": [60000, 50000]}, "low greater than high"),
        ({"base_rule_number": 32760}, "> 32766"),
        ({"extra_entries": [{"rule_number": 110, "protocol": "tcp", "rule_action": "deny",
                             "cidr_block": "10.99.0.0/16", "port_from": 22, "port_to": 22}]}, "collides"),
        ({"extra_entries": [{"protocol": "all", "rule_action": "allow", "cidr_block": "0.0.0.0/0"}]}, "0.0.0.0/0"),
        ({"extra_entries": [{"protocol": "tcp", "rule_action": "allow", "cidr_block": "10.9.0.0/16"}]},
         "extra_entries[0]"),
    ],
)
def test_nacl_entries_errors(kwargs, message):
    args = {"peer_cidrs": ["10.20.1.0/24"], "ports": [443], "vpc_cidr": VPC}
    args.update(kwargs)
    with pytest.raises(AnsibleFilterError) as err:
        sr.nacl_entries(**args)
    assert message in str(err.value)


def test_nacl_entries_extras_and_custom_numbering():
    extras = [
        {"rule_number": 50, "protocol": "tcp", "rule_action": "deny", "cidr_block": "10.20.1.128/25",
         "port_from": 22, "port_to": 22},
        {"egress": True, "protocol": "udp", "rule_action": "allow", "cidr_block": "10.10.0.2/32",
         "port_from": 53, "port_to": 53},
    ]
    entries = sr.nacl_entries(["10.20.1.0/24"], [443], VPC, extra_entries=extras, base_rule_number=200, step=5)
    ingress, egress = by_dir(entries, False), by_dir(entries, True)
    assert [e["rule_number"] for e in ingress] == [50, 200, 205, 210]
    assert ingress[0]["rule_action"] == "deny"
    assert egress[-1] == {"rule_number": 215, "egress": True, "protocol": "udp", "rule_action": "allow",
                          "cidr_block": "10.10.0.2/32", "port_from": 53, "port_to": 53}


def test_nacl_entries_ipv6_peer():
    entries = sr.nacl_entries(["fd00:20::/64"], [443], VPC)
    assert any(e.get("ipv6_cidr_block") == "fd00:20::/64" for e in entries)
    validate_desired(entries, (1, 32766), False)


@pytest.mark.parametrize(
    "entries, expected",
    [
        ([], {"ingress": 0, "egress": 0}),
        ([{"egress": False}, {"egress": True}, {"egress": "yes"}, {}], {"ingress": 2, "egress": 2}),
        ([{"Egress": True, "RuleNumber": 100}], {"ingress": 0, "egress": 1}),
    ],
)
def test_nacl_entry_count(entries, expected):
    assert sr.nacl_entry_count(entries) == expected


def test_nacl_entry_count_bad():
    with pytest.raises(AnsibleFilterError, match="'maybe' is not a boolean"):
        sr.nacl_entry_count([{"egress": "maybe"}])
    with pytest.raises(AnsibleFilterError):
        sr.nacl_entry_count("abc")


def test_sg_rules_one_peer():
    rules = sr.sg_rules("10.20.1.0/24", [5432, 443], VPC, prefix_list_ids=["pl-63a5400a", "pl-02cd2c6b"])
    assert rules["ingress"] == [
        {"proto": "tcp", "ports": [443], "cidr_ip": "10.20.1.0/24", "rule_desc": "peer 10.20.1.0/24 tcp/443"},
        {"proto": "tcp", "ports": [443], "cidr_ip": VPC, "rule_desc": f"intra-VPC {VPC} tcp/443"},
        {"proto": "tcp", "ports": [5432], "cidr_ip": "10.20.1.0/24", "rule_desc": "peer 10.20.1.0/24 tcp/5432"},
        {"proto": "tcp", "ports": [5432], "cidr_ip": VPC, "rule_desc": f"intra-VPC {VPC} tcp/5432"},
    ]
    assert rules["egress"][:4] == rules["ingress"]
    assert rules["egress"][4:] == [
        {"proto": "tcp", "ports": [443], "ip_prefix": "pl-02cd2c6b"},
        {"proto": "tcp", "ports": [443], "ip_prefix": "pl-63a5400a"},
    ]


@pytest.mark.parametrize(
    "peers, vpc, intra, ingress, egress",
    [
        (PEERS3, VPC, True, 8, 9),        # 3 peers x 2 ports + 2 intra; egress + 1 prefix list
        (PEERS3, VPC, False, 6, 7),
        (PEERS3, None, True, 6, 7),       # no VPC CIDR: no intra rules
        (PEERS3 + PEERS3[:1], VPC, True, 8, 9),  # dedupe
    ],
)
def test_sg_rules_counts(peers, vpc, intra, ingress, egress):
    rules = sr.sg_rules(peers, [443, 5432], vpc, prefix_list_ids=["pl-63a5400a"], intra_vpc=intra)
    assert (len(rules["ingress"]), len(rules["egress"])) == (ingress, egress)
    assert sr.open_cidr_rules(rules) == []


def test_sg_rules_stable_across_permutations():
    reference = sr.sg_rules(PEERS3, [443, 5432], VPC)
    for peers in itertools.permutations(PEERS3):
        assert sr.sg_rules(list(peers), [5432, 443], VPC) == reference


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"peer_cidrs": ["0.0.0.0/0"]}, "'0.0.0.0/0' is open"),
        ({"vpc_cidr": "::/0"}, "'::/0' is open"),
        ({"prefix_list_ids": ["sg-123"]}, "'sg-123' is not a prefix list ID"),
        ({"ports": [0]}, "port 0"),
        ({"intra_vpc": "perhaps"}, "'perhaps' is not a boolean"),
    ],
)
def test_sg_rules_errors(kwargs, message):
    args = {"peer_cidrs": ["10.20.1.0/24"], "ports": [443], "vpc_cidr": VPC}
    args.update(kwargs)
    with pytest.raises(AnsibleFilterError) as err:
        sr.sg_rules(**args)
    assert message in str(err.value)


OPEN_CASES = [
    ({"rule_number": 100, "egress": False, "rule_action": "allow", "cidr_block": "0.0.0.0/0"}, True),
    ({"rule_number": 100, "egress": False, "rule_action": "deny", "cidr_block": "0.0.0.0/0"}, False),
    ({"rule_number": 100, "egress": True, "rule_action": "allow", "ipv6_cidr_block": "::/0"}, True),
    ({"RuleNumber": 100, "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}, True),
    ({"proto": "tcp", "ports": [443], "cidr_ip": ["10.0.0.0/8", "0.0.0.0/0"]}, True),
    ({"proto": "tcp", "ports": [443], "cidr_ipv6": "::/0"}, True),
    ({"proto": "tcp", "ports": [443], "cidr_ip": "10.0.0.0/8"}, False),
    ({"ip_protocol": "-1", "ip_ranges": [{"cidr_ip": "0.0.0.0/0"}]}, True),
    ({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/8"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}, True),
    ({"proto": "tcp", "ports": [443], "ip_prefix": "pl-63a5400a"}, False),
]


@pytest.mark.parametrize("rule, is_open", OPEN_CASES)
def test_open_cidr_rules(rule, is_open):
    assert sr.open_cidr_rules([rule]) == ([rule] if is_open else [])


def test_open_cidr_rules_mixed_and_dict():
    rules = [case[0] for case in OPEN_CASES]
    assert len(sr.open_cidr_rules(rules)) == sum(1 for case in OPEN_CASES if case[1])
    assert sr.open_cidr_rules({"ingress": rules[:1], "egress": rules[6:7]}) == rules[:1]
    with pytest.raises(AnsibleFilterError):
        sr.open_cidr_rules("0.0.0.0/0")


def test_filter_module_lists_filters():
    assert set(sr.FilterModule().filters()) == {"nacl_entries", "nacl_entry_count", "sg_rules", "open_cidr_rules", "collapse_cidrs"}


@pytest.mark.parametrize("entry, is_open", [
    ([100, "all", "allow", "0.0.0.0/0", None, None, None, None], True),
    ([100, "tcp", "allow", "::/0", None, None, 443, 443], True),
    ([32767, "all", "deny", "0.0.0.0/0", None, None, None, None], False),
    ([100, "tcp", "allow", "10.1.0.0/24", None, None, 443, 443], False),
])
def test_open_cidr_rules_reads_nacl_info_list_entries(entry, is_open):
    assert (sr.open_cidr_rules([entry]) == [entry]) is is_open


def test_nacl_entries_merge_contiguous_peer_subnets_without_widening():
    entries = sr.nacl_entries(["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"], [443], "10.0.0.0/16")
    peer_cidrs = {e["cidr_block"] for e in entries if e["cidr_block"] != "10.0.0.0/16"}
    assert peer_cidrs == {"10.1.0.0/23", "10.1.2.0/24"}


def test_nacl_entries_hub_with_two_spokes_fits_default_limit():
    spokes = [f"10.{n}.{i}.0/24" for n in (1, 2) for i in range(3)]
    services = ["3.5.0.0/19", "52.216.0.0/15", "54.231.0.0/16", "3.218.180.0/22", "3.218.184.0/22", "52.94.0.0/22", "52.119.224.0/20"]
    counts = sr.nacl_entry_count(sr.nacl_entries(spokes, [443, 5432], "10.0.0.0/16", service_cidrs=services))
    assert counts["ingress"] <= 20 and counts["egress"] <= 20, counts


@pytest.mark.parametrize("cidrs, expected", [
    (["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"], ["10.1.0.0/23", "10.1.2.0/24"]),
    (["10.1.1.0/24", "10.1.0.0/24"], ["10.1.0.0/23"]),
    (["10.1.0.0/24", "10.1.0.128/25"], ["10.1.0.0/24"]),
    (["10.1.0.0/24", "10.3.0.0/24"], ["10.1.0.0/24", "10.3.0.0/24"]),
])
def test_collapse_cidrs(cidrs, expected):
    assert sr.collapse_cidrs(cidrs) == expected


def test_nacl_entries_without_collapse_keeps_each_cidr():
    entries = sr.nacl_entries(["10.1.0.0/24", "10.1.1.0/24"], [443], "10.0.0.0/16", collapse=False)
    assert {e["cidr_block"] for e in entries} == {"10.0.0.0/16", "10.1.0.0/24", "10.1.1.0/24"}
