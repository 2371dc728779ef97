"""Unit tests for plugins/filter/preflight.py.

Every rule has a table of bad inputs (the error must name the variable and the
bad value) and good inputs (no error). Cases mutate a valid two-network
baseline: trading (111111111111, 10.0.0.0/16) peered with analytics
(222222222222, 10.1.0.0/16).
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.netsec.aws_peering.plugins.filter.preflight import (
    FilterModule,
    preflight_errors,
    preflight_warnings,
)

DELETE = object()


def baseline():
    networks = {
        "trading": {
            "network_name": "trading",
            "aws_account_id": "111111111111",
            "aws_region": "us-east-1",
            "aws_role_arn": "arn:aws:iam::111111111111:role/automation",
            "aws_external_id": "trading-ext-1",
            "vpc_cidr": "10.0.0.0/16",
            "subnet_prefix": 24,
        },
        "analytics": {
            "network_name": "analytics",
            "aws_account_id": "222222222222",
            "aws_region": "us-east-1",
            "vpc_cidr": "10.1.0.0/16",
        },
    }
    peerings = [
        {
            "name": "trading-analytics",
            "requester": "trading",
            "accepter": "analytics",
            "ports": [443, 5432],
            "dns_resolution": True,
            "external_id": "vaulted-ext-id-0001",
        }
    ]
    settings = {
        "environment_suffix": "sandbox",
        "common_tags": {"CostCenter": "cc-1234", "Environment": "sandbox", "Owner": "netsec"},
        "allowed_ports": [443, 5432],
        "cidr_lists": {"security_extra_ingress_cidrs": ["192.168.50.0/24"]},
        "open_cidr_exceptions": [],
        "ephemeral_port_range": [32768, 65535],
    }
    return {"networks": networks, "peerings": peerings, "settings": settings}


def build(changes=()):
    """The baseline with changes applied: (top, path tuple, value or DELETE)."""
    data = baseline()
    for top, path, value in changes:
        if not path:
            data[top] = copy.deepcopy(value)
            continue
        target = data[top]
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        elif isinstance(target, list) and path[-1] == len(target):
            target.append(copy.deepcopy(value))
        else:
            target[path[-1]] = copy.deepcopy(value)
    return data


def errors_of(data):
    return preflight_errors(data["networks"], data["peerings"], data["settings"])


def warnings_of(data):
    return preflight_warnings(data["networks"], data["peerings"], data["settings"])


def assert_one_error_mentions(errors, fragments):
    """Some single error contains every fragment (the path and the bad value)."""
    assert errors, "expected an error mentioning %r, got none" % (fragments,)
    matching = [e for e in errors if all(f in e for f in fragments)]
    assert matching, "no error mentions all of %r:\n%s" % (fragments, "\n".join(errors))


def assert_clean(errors):
    assert errors == [], "\n".join(errors)


def net(host, key, value):
    return ("networks", (host, key), value)


def peer(key, value, idx=0):
    return ("peerings", (idx, key), value)


def setting(key, value):
    return ("settings", (key,), value)


def tag(key, value):
    return ("settings", ("common_tags", key), value)


def many_tags(count):
    tags = {"CostCenter": "c", "Environment": "e"}
    tags.update(("T%d" % i, "v") for i in range(count - len(tags)))
    return tags


def test_filters_registered():
    filters = FilterModule().filters()
    assert {"preflight_live_network", "preflight_site_inputs", "role_input_cidrs"} <= set(filters)
    filters = {k: v for k, v in filters.items() if k not in ("preflight_live_network", "preflight_site_inputs", "role_input_cidrs")}
    assert filters == {
        "preflight_errors": preflight_errors,
        "preflight_warnings": preflight_warnings,
    }


def test_baseline_is_clean():
    data = build()
    assert_clean(errors_of(data))
    assert warnings_of(data) == []


# A hub peered with two spokes in three accounts and three regions.
HUB = {
    "networks": {
        "hub": {"network_name": "hub", "aws_account_id": "333333333333", "aws_region": "eu-west-1",
                "vpc_cidr": "10.10.0.0/16", "aws_role_arn": "arn:aws:iam::333333333333:role/automation"},
        "spoke1": {"network_name": "spoke1", "aws_account_id": "444444444444", "aws_region": "eu-west-1",
                   "vpc_cidr": "10.11.0.0/16"},
        "spoke2": {"network_name": "spoke2", "aws_account_id": "555555555555", "aws_region": "eu-central-1",
                   "vpc_id": "vpc-0123456789abcdef0", "live_cidrs": ["10.12.0.0/16", "10.13.0.0/16"]},
    },
    "peerings": [
        {"name": "hub-spoke1", "requester": "hub", "accepter": "spoke1", "ports": [443], "external_id": "vaulted-hub-1"},
        {"name": "hub-spoke2", "requester": "hub", "accepter": "spoke2", "ports": [443, 5432],
         "direction": "requester-to-accepter", "dns_resolution": False, "external_id": "vaulted-hub-2"},
    ],
    "settings": baseline()["settings"],
}


def test_hub_with_two_spokes_is_clean():
    assert_clean(errors_of(copy.deepcopy(HUB)))
    assert warnings_of(copy.deepcopy(HUB)) == []


def test_hub_spokes_must_not_overlap_each_other():
    data = copy.deepcopy(HUB)
    data["networks"]["spoke2"]["live_cidrs"] = ["10.13.0.0/16", "10.11.128.0/17"]
    errors = errors_of(data)
    assert_one_error_mentions(
        errors, ["peerings[1]", "hostvars['spoke2'].live_cidrs[1]", "'10.11.128.0/17'",
                 "hostvars['spoke1'].vpc_cidr", "'10.11.0.0/16'", "'hub'"]
    )


# ------------------------------------------------------------- good variants

GOOD = {
    "network_name one letter": [net("trading", "network_name", "t")],
    "network_name 20 chars": [net("trading", "network_name", "t" * 20)],
    "network_name digits and hyphen": [net("trading", "network_name", "trading-2")],
    "account id with leading zero": [net("trading", "aws_account_id", "011111111111"),
                                     net("trading", "aws_role_arn", "arn:aws:iam::011111111111:role/a")],
    "region eu-west-1": [net("trading", "aws_region", "eu-west-1")],
    "region ap-southeast-2": [net("analytics", "aws_region", "ap-southeast-2")],
    "gov cloud": [net("trading", "aws_region", "us-gov-west-1"), net("analytics", "aws_region", "us-gov-east-1"),
                  net("trading", "aws_role_arn", "arn:aws-us-gov:iam::111111111111:role/a")],
    "china": [net("trading", "aws_region", "cn-north-1"), net("analytics", "aws_region", "cn-northwest-1"),
              net("trading", "aws_role_arn", "arn:aws-cn:iam::111111111111:role/a")],
    "role arn with path": [net("trading", "aws_role_arn", "arn:aws:iam::111111111111:role/ops/peer+=,.@_-x")],
    "role arn unset": [net("trading", "aws_role_arn", DELETE), net("trading", "aws_external_id", DELETE),
                       ("settings", ("accepter_trusted_principals",), {"trading": ["arn:aws:iam::111111111111:role/base"]})],
    "role arn empty string": [net("trading", "aws_role_arn", ""), net("trading", "aws_external_id", ""),
                              ("settings", ("accepter_trusted_principals",), {"trading": ["arn:aws:iam::111111111111:role/base"]})],
    "role arn None": [net("trading", "aws_role_arn", None), net("trading", "aws_external_id", None),
                      ("settings", ("accepter_trusted_principals",), {"trading": ["arn:aws:iam::111111111111:role/base"]})],
    "external id 2 chars": [net("trading", "aws_external_id", "ab")],
    "external id 1224 chars": [net("trading", "aws_external_id", "x" * 1224)],
    "external id all allowed chars": [net("trading", "aws_external_id", "aZ09_+=,.@:/-")],
    "vpc_cidr 172.16/28": [net("trading", "vpc_cidr", "172.16.0.0/28"), net("trading", "subnet_prefix", DELETE)],
    "vpc_cidr 192.168/16": [net("trading", "vpc_cidr", "192.168.0.0/16")],
    "vpc_id only (8 hex)": [net("trading", "vpc_cidr", DELETE), net("trading", "vpc_id", "vpc-0123abcd"),
                            net("trading", "subnet_prefix", DELETE), net("trading", "live_cidrs", ["10.0.0.0/16"])],
    "vpc_id with expected vpc_cidr": [net("trading", "vpc_id", "vpc-0123456789abcdef0")],
    "vpc_adopt_tags with expected vpc_cidr": [net("trading", "vpc_adopt_tags", {"Name": "legacy-trading"})],
    "vpc_adopt_tags and live_cidrs": [net("trading", "vpc_cidr", DELETE),
                                      net("trading", "vpc_adopt_tags", {"Name": "legacy", "Tier": "core"}),
                                      net("trading", "live_cidrs", ["10.0.0.0/16", "100.64.0.0/16"])],
    "live_cidrs contain vpc_cidr": [net("trading", "live_cidrs", ["10.0.0.0/16", "10.2.0.0/16"])],
    "live_cidrs empty": [net("trading", "live_cidrs", [])],
    "subnet_prefix 28 in /26": [net("trading", "vpc_cidr", "10.0.0.0/26"), net("trading", "subnet_prefix", 28)],
    "subnet_prefix 16 in /14 live": [net("trading", "vpc_cidr", DELETE), net("trading", "vpc_id", "vpc-0123abcd"),
                                     net("trading", "live_cidrs", ["10.4.0.0/14"]),
                                     net("trading", "subnet_prefix", 16)],
    "subnet_prefix ignored with explicit subnets": [
        net("trading", "vpc_cidr", "10.0.0.0/24"), net("trading", "subnet_prefix", 24),
        net("trading", "private_subnet_cidrs", ["10.0.0.0/26", "10.0.0.64/26", "10.0.0.128/26"])],
    "private subnets": [net("trading", "private_subnet_cidrs", ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"])],
    "private subnets in secondary live cidr": [
        net("trading", "live_cidrs", ["10.0.0.0/16", "10.5.0.0/16"]),
        net("trading", "private_subnet_cidrs", ["10.0.0.0/24", "10.5.1.0/24"])],
    "private subnets only (no vpc cidr)": [
        net("trading", "vpc_cidr", DELETE), net("trading", "vpc_id", "vpc-0123abcd"),
        net("trading", "subnet_prefix", DELETE), net("trading", "private_subnet_cidrs", ["10.0.0.0/24"])],
    "peering direction both": [peer("direction", "both")],
    "peering direction requester-to-accepter": [peer("direction", "requester-to-accepter")],
    "peering direction accepter-to-requester": [peer("direction", "accepter-to-requester")],
    "peering dns false": [peer("dns_resolution", False)],
    "peering dns unset": [peer("dns_resolution", DELETE)],
    "peering ports unset": [peer("ports", DELETE)],
    "peering ports 1 and 65535": [peer("ports", [1, 65535]), setting("allowed_ports", [1, 443, 65535])],
    "inter-region peering": [net("analytics", "aws_region", "eu-west-1")],
    "no peerings": [("peerings", (), [])],
    "suffix 31 chars (longest that fits)": [setting("environment_suffix", "s" * 31)],
    "suffix digits and hyphen": [setting("environment_suffix", "prod-2")],
    "suffix one char": [setting("environment_suffix", "p")],
    "custom bucket and role prefixes": [setting("bucket_prefixes", ["fl"]), setting("role_prefixes", ["r"]),
                                        setting("environment_suffix", "s" * 36)],
    "custom required tags": [setting("required_tags", ["Owner"]), tag("CostCenter", DELETE)],
    "no required tags": [setting("required_tags", []), setting("common_tags", {})],
    "tag value unicode and symbols": [tag("Owner", "Zürich team _.:/=+-@")],
    "tag key 128 / value 256": [tag("k" * 128, "v" * 256)],
    "49 tags": [setting("common_tags", many_tags(49))],
    "ipv6 extra cidr": [setting("cidr_lists", {"security_extra_ingress_cidrs": ["2001:db8::/32"]})],
    "empty cidr list": [setting("cidr_lists", {"security_extra_ingress_cidrs": []})],
    "cidr_lists unset": [setting("cidr_lists", DELETE), setting("open_cidr_exceptions", DELETE)],
    "open cidr with exception": [setting("cidr_lists", {"security_extra_egress_cidrs": ["0.0.0.0/0"]}),
                                 setting("open_cidr_exceptions", ["security_extra_egress_cidrs"])],
    "ephemeral windows range": [setting("ephemeral_port_range", [49152, 65535])],
    "ephemeral single port": [setting("ephemeral_port_range", [40000, 40000])],
    "ephemeral unset": [setting("ephemeral_port_range", DELETE)],
    "ephemeral tuple": [setting("ephemeral_port_range", (32768, 60999))],
}


@pytest.mark.parametrize("changes", list(GOOD.values()), ids=list(GOOD))
def test_good_input(changes):
    assert_clean(errors_of(build(changes)))


# -------------------------------------------------------------- bad variants
# id: (changes, fragments that one single error must contain)

H = "hostvars['trading']"
A = "hostvars['analytics']"

BAD = {
    # network_name
    "network_name missing": ([net("trading", "network_name", DELETE)], [H + ".network_name", "missing"]),
    "network_name uppercase": ([net("trading", "network_name", "Trading")], [H + ".network_name", "'Trading'"]),
    "network_name starts with digit": ([net("trading", "network_name", "1trading")], [H + ".network_name", "'1trading'"]),
    "network_name underscore": ([net("trading", "network_name", "trad_ing")], [H + ".network_name", "'trad_ing'"]),
    "network_name 21 chars": ([net("trading", "network_name", "t" * 21)], [H + ".network_name", "'" + "t" * 21 + "'", "20"]),
    "network_name int": ([net("trading", "network_name", 7)], [H + ".network_name", "7"]),
    "network_name duplicate": ([net("analytics", "network_name", "trading")],
                               [A + ".network_name", "'trading'", "already used by " + H]),
    # aws_account_id
    "account missing": ([net("trading", "aws_account_id", DELETE)], [H + ".aws_account_id", "missing"]),
    "account 11 digits": ([net("trading", "aws_account_id", "11111111111")],
                          [H + ".aws_account_id", "'11111111111'", "12 digits"]),
    "account 13 digits": ([net("trading", "aws_account_id", "1111111111111")],
                          [H + ".aws_account_id", "'1111111111111'"]),
    "account letters": ([net("trading", "aws_account_id", "abcdefghijkl")], [H + ".aws_account_id", "'abcdefghijkl'"]),
    "account int": ([net("analytics", "aws_account_id", 22222222222)],
                    [A + ".aws_account_id", "22222222222", "quote", "leading zeros", "'022222222222'"]),
    "account bool": ([net("trading", "aws_account_id", True)], [H + ".aws_account_id", "True"]),
    # aws_region
    "region missing": ([net("trading", "aws_region", DELETE)], [H + ".aws_region", "missing"]),
    "region us-east-9": ([net("trading", "aws_region", "us-east-9")],
                         [H + ".aws_region", "'us-east-9'", "not a known AWS region"]),
    "region uppercase": ([net("trading", "aws_region", "US-EAST-1")], [H + ".aws_region", "'US-EAST-1'"]),
    "region list": ([net("trading", "aws_region", ["us-east-1"])], [H + ".aws_region", "['us-east-1']"]),
    # aws_role_arn / aws_external_id
    "role arn malformed": ([net("trading", "aws_role_arn", "arn:aws:iam::111111111111:user/bob")],
                           [H + ".aws_role_arn", "'arn:aws:iam::111111111111:user/bob'"]),
    "role arn short account": ([net("trading", "aws_role_arn", "arn:aws:iam::11111111111:role/a")],
                               [H + ".aws_role_arn", "'arn:aws:iam::11111111111:role/a'"]),
    "role arn other account": ([net("trading", "aws_role_arn", "arn:aws:iam::999999999999:role/a")],
                               [H + ".aws_role_arn", "'arn:aws:iam::999999999999:role/a'", "'999999999999'",
                                "'111111111111'"]),
    "role arn other partition": ([net("trading", "aws_role_arn", "arn:aws-cn:iam::111111111111:role/a")],
                                 [H + ".aws_role_arn", "'aws-cn'", "'us-east-1'"]),
    "role arn dict": ([net("trading", "aws_role_arn", {"arn": "x"})], [H + ".aws_role_arn", "{'arn': 'x'}"]),
    "external id 1 char": ([net("trading", "aws_external_id", "a")], [H + ".aws_external_id", "1 chars", "2..1224"]),
    "external id 1225 chars": ([net("trading", "aws_external_id", "x" * 1225)], [H + ".aws_external_id", "1225"]),
    "external id bad chars": ([net("trading", "aws_external_id", "bad id!")], [H + ".aws_external_id", "' !'"]),
    "external id int": ([net("trading", "aws_external_id", 123456)], [H + ".aws_external_id", "int"]),
    # VPC identification
    "no vpc at all": ([net("trading", "vpc_cidr", DELETE)], [H, "vpc_cidr", "vpc_id", "vpc_adopt_tags"]),
    "vpc_id and adopt tags": ([net("trading", "vpc_id", "vpc-0123abcd"), net("trading", "vpc_adopt_tags", {"a": "b"})],
                              [H + ".vpc_adopt_tags", "'vpc-0123abcd'"]),
    "vpc_cidr /33": ([net("trading", "vpc_cidr", "10.0.0.0/33")],
                     [H + ".vpc_cidr", "'10.0.0.0/33'", "is not a valid IPv4 CIDR"]),
    "vpc_cidr host bits": ([net("trading", "vpc_cidr", "10.0.0.1/16")], [H + ".vpc_cidr", "'10.0.0.1/16'", "host bits"]),
    "vpc_cidr not rfc1918": ([net("trading", "vpc_cidr", "8.8.0.0/16")], [H + ".vpc_cidr", "'8.8.0.0/16'", "RFC 1918"]),
    "vpc_cidr cgnat": ([net("trading", "vpc_cidr", "100.64.0.0/16")], [H + ".vpc_cidr", "'100.64.0.0/16'"]),
    "vpc_cidr /8": ([net("trading", "vpc_cidr", "10.0.0.0/8")], [H + ".vpc_cidr", "'10.0.0.0/8'", "/16../28"]),
    "vpc_cidr /29": ([net("trading", "vpc_cidr", "10.0.0.0/29"), net("trading", "subnet_prefix", DELETE)],
                     [H + ".vpc_cidr", "'10.0.0.0/29'", "/16../28"]),
    "vpc_cidr ipv6": ([net("trading", "vpc_cidr", "fd00::/56")], [H + ".vpc_cidr", "'fd00::/56'"]),
    "vpc_cidr no prefix": ([net("trading", "vpc_cidr", "10.0.0.0")], [H + ".vpc_cidr", "'10.0.0.0'"]),
    "vpc_cidr int": ([net("trading", "vpc_cidr", 167772160)], [H + ".vpc_cidr", "167772160"]),
    "vpc_id short": ([net("trading", "vpc_id", "vpc-123")], [H + ".vpc_id", "'vpc-123'"]),
    "vpc_id uppercase": ([net("trading", "vpc_id", "vpc-ABCDEF12")], [H + ".vpc_id", "'vpc-ABCDEF12'"]),
    "vpc_id subnet id": ([net("trading", "vpc_id", "subnet-0123abcd")], [H + ".vpc_id", "'subnet-0123abcd'"]),
    "vpc_adopt_tags empty": ([net("trading", "vpc_adopt_tags", {})], [H + ".vpc_adopt_tags", "{}"]),
    "vpc_adopt_tags string": ([net("trading", "vpc_adopt_tags", "Name=x")], [H + ".vpc_adopt_tags", "'Name=x'"]),
    "vpc_adopt_tags int value": ([net("trading", "vpc_adopt_tags", {"Tier": 1})],
                                 [H + ".vpc_adopt_tags.Tier", "1", "quote"]),
    # live_cidrs
    "live_cidrs invalid": ([net("trading", "live_cidrs", ["10.0.0.0/16", "10.0.0.0/33"])],
                           [H + ".live_cidrs[1]", "'10.0.0.0/33'"]),
    "live_cidrs string": ([net("trading", "live_cidrs", "10.0.0.0/16")], [H + ".live_cidrs", "'10.0.0.0/16'", "list"]),
    "vpc_cidr not among live_cidrs": ([net("trading", "vpc_id", "vpc-0123abcd"),
                                       net("trading", "live_cidrs", ["10.9.0.0/16"])],
                                      [H + ".vpc_cidr", "'10.0.0.0/16'", "['10.9.0.0/16']"]),
    "live_cidrs overlap peer": ([net("trading", "vpc_cidr", DELETE), net("trading", "vpc_id", "vpc-0123abcd"),
                                 net("trading", "subnet_prefix", DELETE),
                                 net("trading", "live_cidrs", ["10.2.0.0/16", "10.1.64.0/18"])],
                                ["peerings[0]", H + ".live_cidrs[1]", "'10.1.64.0/18'", A + ".vpc_cidr",
                                 "'10.1.0.0/16'"]),
    # private_subnet_cidrs
    "private subnet outside vpc": ([net("trading", "private_subnet_cidrs", ["10.0.0.0/24", "10.3.0.0/24"])],
                                   [H + ".private_subnet_cidrs[1]", "'10.3.0.0/24'", "'10.0.0.0/16'"]),
    "private subnets overlap": ([net("trading", "private_subnet_cidrs", ["10.0.0.0/23", "10.0.1.0/24"])],
                                [H + ".private_subnet_cidrs[1]", "'10.0.1.0/24'", "overlaps",
                                 H + ".private_subnet_cidrs[0]", "'10.0.0.0/23'"]),
    "private subnet invalid": ([net("trading", "private_subnet_cidrs", ["10.0.0.0/24", "10.0.0.300/24"])],
                               [H + ".private_subnet_cidrs[1]", "'10.0.0.300/24'"]),
    "private subnet host bits": ([net("trading", "private_subnet_cidrs", ["10.0.0.9/24"])],
                                 [H + ".private_subnet_cidrs[0]", "'10.0.0.9/24'", "host bits"]),
    "private subnet /29": ([net("trading", "private_subnet_cidrs", ["10.0.0.0/29"])],
                           [H + ".private_subnet_cidrs[0]", "'10.0.0.0/29'", "/16../28"]),
    "private subnets empty": ([net("trading", "private_subnet_cidrs", [])], [H + ".private_subnet_cidrs", "[]"]),
    "private subnets dict": ([net("trading", "private_subnet_cidrs", {"a": "10.0.0.0/24"})],
                             [H + ".private_subnet_cidrs", "{'a': '10.0.0.0/24'}"]),
    # subnet_prefix
    "subnet_prefix equals vpc prefix": ([net("trading", "subnet_prefix", 16)],
                                        [H + ".subnet_prefix", "16", "'10.0.0.0/16'", "3 are needed"]),
    "subnet_prefix only 2 fit": ([net("trading", "vpc_cidr", "10.0.0.0/26"), net("trading", "subnet_prefix", 27)],
                                 [H + ".subnet_prefix", "27", "room for 2", H + ".vpc_cidr", "'10.0.0.0/26'"]),
    "subnet_prefix does not fit live": ([net("trading", "vpc_cidr", DELETE), net("trading", "vpc_id", "vpc-0123abcd"),
                                         net("trading", "live_cidrs", ["10.0.0.0/24"]),
                                         net("trading", "subnet_prefix", 25)],
                                        [H + ".subnet_prefix", "25", H + ".live_cidrs[0]", "'10.0.0.0/24'"]),
    "subnet_prefix 29": ([net("trading", "subnet_prefix", 29)], [H + ".subnet_prefix", "29", "/16../28"]),
    "subnet_prefix 15": ([net("trading", "subnet_prefix", 15)], [H + ".subnet_prefix", "15"]),
    "subnet_prefix string": ([net("trading", "subnet_prefix", "24")], [H + ".subnet_prefix", "'24'", "integer"]),
    "subnet_prefix bool": ([net("trading", "subnet_prefix", True)], [H + ".subnet_prefix", "True"]),
    # peerings: fields
    "peering name missing": ([peer("name", DELETE)], ["peerings[0].name", "missing"]),
    "peering name underscore": ([peer("name", "trading_analytics")], ["peerings[0].name", "'trading_analytics'"]),
    "peering name uppercase": ([peer("name", "Trading")], ["peerings[0].name", "'Trading'"]),
    "requester missing": ([peer("requester", DELETE)], ["peerings[0].requester", "missing"]),
    "accepter unknown": ([peer("accepter", "nosuch")], ["peerings[0].accepter", "'nosuch'", "not a network"]),
    "accepter list": ([peer("accepter", ["analytics"])], ["peerings[0].accepter", "['analytics']"]),
    "peer with itself": ([peer("accepter", "trading")], ["peerings[0].accepter", "'trading'", "itself"]),
    "port 22": ([peer("ports", [443, 22])], ["peerings[0].ports[1]", "22", "not in allowed_ports [443, 5432]"]),
    "port 0": ([peer("ports", [0])], ["peerings[0].ports[0]", "0", "1..65535"]),
    "port 70000": ([peer("ports", [443, 70000])], ["peerings[0].ports[1]", "70000", "1..65535"]),
    "port '443' string": ([peer("ports", ["443"])], ["peerings[0].ports[0]", "'443'", "not an integer"]),
    "port True": ([peer("ports", [True])], ["peerings[0].ports[0]", "True", "not an integer"]),
    "port 'https'": ([peer("ports", ["https"])], ["peerings[0].ports[0]", "'https'"]),
    "port float": ([peer("ports", [443.0])], ["peerings[0].ports[0]", "443.0"]),
    "ports string": ([peer("ports", "443")], ["peerings[0].ports", "'443'", "list"]),
    "ports empty": ([peer("ports", [])], ["peerings[0].ports", "[]"]),
    "dns_resolution string": ([peer("dns_resolution", "yes")], ["peerings[0].dns_resolution", "'yes'"]),
    "direction unknown": ([peer("direction", "inbound")], ["peerings[0].direction", "'inbound'"]),
    # peerings: pair checks
    "same account": ([net("analytics", "aws_account_id", "111111111111")],
                     ["peerings[0]", "'111111111111'", H + ".aws_account_id", A + ".aws_account_id"]),
    "cidrs overlap": ([net("trading", "vpc_cidr", "10.0.0.0/16"), net("analytics", "vpc_cidr", "10.0.128.0/17")],
                      ["peerings[0]", H + ".vpc_cidr", "'10.0.0.0/16'", A + ".vpc_cidr", "'10.0.128.0/17'",
                       "overlaps"]),
    "private subnets overlap peer": ([net("trading", "vpc_cidr", DELETE), net("trading", "vpc_id", "vpc-0123abcd"),
                                      net("trading", "subnet_prefix", DELETE),
                                      net("trading", "private_subnet_cidrs", ["10.1.5.0/24"])],
                                     ["peerings[0]", H + ".private_subnet_cidrs[0]", "'10.1.5.0/24'"]),
    "cross partition": ([net("analytics", "aws_region", "cn-north-1")], ["peerings[0]", "'cn-north-1'", "aws-cn"]),
    "duplicate peering name": ([("peerings", (1,), {"name": "trading-analytics", "requester": "analytics",
                                                    "accepter": "x"})],
                               ["peerings[1].name", "'trading-analytics'", "peerings[0]"]),
    "same pair twice": ([("peerings", (1,), {"name": "again", "requester": "analytics", "accepter": "trading"})],
                        ["peerings[1]", "'analytics'", "'trading'", "peerings[0]"]),
    "peering not a dict": ([("peerings", (0,), "trading-analytics")], ["peerings[0]", "'trading-analytics'", "dict"]),
    "peerings not a list": ([("peerings", (), {"name": "x"})], ["peerings", "{'name': 'x'}", "list"]),
    "peerings None": ([("peerings", (), None)], ["peerings", "None"]),
    # environment_suffix
    "suffix missing": ([setting("environment_suffix", DELETE)], ["settings.environment_suffix", "missing"]),
    "suffix uppercase": ([setting("environment_suffix", "Prod")], ["settings.environment_suffix", "'Prod'"]),
    "suffix leading hyphen": ([setting("environment_suffix", "-prod")], ["settings.environment_suffix", "'-prod'"]),
    "suffix trailing hyphen": ([setting("environment_suffix", "prod-")], ["settings.environment_suffix", "'prod-'"]),
    "suffix underscore": ([setting("environment_suffix", "pr_od")], ["settings.environment_suffix", "'pr_od'"]),
    "suffix int": ([setting("environment_suffix", 2024)], ["settings.environment_suffix", "2024"]),
    "suffix 40 chars bucket": ([setting("environment_suffix", "e" * 40)],
                               ["settings.environment_suffix", "'" + "e" * 40 + "'", "(40 chars)",
                                "'flowlogs-analytics-222222222222-" + "e" * 40 + "'", "72 chars", "63"]),
    "suffix 40 chars role": ([setting("environment_suffix", "e" * 40)],
                             ["settings.environment_suffix", "(40 chars)",
                              "'flowlogs-delivery-analytics-" + "e" * 40 + "'", "68 chars", "64"]),
    "suffix 32 chars (one too many)": ([setting("environment_suffix", "s" * 32)],
                                       ["settings.environment_suffix", "(32 chars)", "'flowlogs-analytics-", "64 chars"]),
    "suffix too long for custom role prefix": ([setting("role_prefixes", ["r" * 50])],
                                               ["settings.environment_suffix", "'" + "r" * 50 + "-analytics-sandbox'"]),
    "bucket reserved suffix": ([setting("environment_suffix", "s3alias")],
                               ["settings.environment_suffix", "'flowlogs-trading-111111111111-s3alias'", "reserved"]),
    "bucket_prefixes string": ([setting("bucket_prefixes", "flowlogs")], ["settings.bucket_prefixes", "'flowlogs'"]),
    "bucket_prefixes uppercase": ([setting("bucket_prefixes", ["FlowLogs"])], ["settings.bucket_prefixes[0]", "'FlowLogs'"]),
    "role_prefixes bad char": ([setting("role_prefixes", ["peer!"])], ["settings.role_prefixes[0]", "'peer!'"]),
    # common_tags
    "common_tags missing": ([setting("common_tags", DELETE)], ["settings.common_tags", "missing", "CostCenter"]),
    "common_tags list": ([setting("common_tags", ["CostCenter"])], ["settings.common_tags", "['CostCenter']"]),
    "CostCenter missing": ([tag("CostCenter", DELETE)], ["settings.common_tags.CostCenter", "missing"]),
    "Environment empty": ([tag("Environment", "")], ["settings.common_tags.Environment", "''", "empty"]),
    "Environment blank": ([tag("Environment", "   ")], ["settings.common_tags.Environment", "'   '", "empty"]),
    "CostCenter int": ([tag("CostCenter", 1234)], ["settings.common_tags.CostCenter", "1234", "quote"]),
    "CostCenter None": ([tag("CostCenter", None)], ["settings.common_tags.CostCenter", "None"]),
    "custom required tag missing": ([setting("required_tags", ["CostCenter", "DataClass"])],
                                    ["settings.common_tags.DataClass", "missing"]),
    "required_tags string": ([setting("required_tags", "CostCenter")], ["settings.required_tags", "'CostCenter'"]),
    "tag key aws:": ([tag("aws:owner", "x")], ["settings.common_tags['aws:owner']", "'aws:owner'", "reserved"]),
    "tag key AWS: uppercase": ([tag("AWS:Owner", "x")], ["settings.common_tags['AWS:Owner']", "'AWS:Owner'"]),
    "tag key 129 chars": ([tag("k" * 129, "x")], ["settings.common_tags." + "k" * 129, "129 chars", "128"]),
    "tag value 257 chars": ([tag("Owner", "v" * 257)], ["settings.common_tags.Owner", "257 chars", "256"]),
    "tag value bad char": ([tag("Owner", "a<b>")], ["settings.common_tags.Owner", "'a<b>'"]),
    "tag key int": ([tag(5, "x")], ["settings.common_tags", "tag key 5"]),
    "50 tags": ([setting("common_tags", many_tags(50))], ["settings.common_tags", "50 tags", "49"]),
    # allowed_ports
    "allowed_ports missing": ([setting("allowed_ports", DELETE)], ["settings.allowed_ports", "missing"]),
    "allowed_ports empty": ([setting("allowed_ports", [])], ["settings.allowed_ports", "[]"]),
    "allowed_ports 0": ([setting("allowed_ports", [443, 0])], ["settings.allowed_ports[1]", "0"]),
    "allowed_ports 70000": ([setting("allowed_ports", [70000])], ["settings.allowed_ports[0]", "70000"]),
    "allowed_ports string item": ([setting("allowed_ports", ["443"])], ["settings.allowed_ports[0]", "'443'"]),
    "allowed_ports bool": ([setting("allowed_ports", [True])], ["settings.allowed_ports[0]", "True"]),
    "allowed_ports dict": ([setting("allowed_ports", {"https": 443})], ["settings.allowed_ports", "{'https': 443}"]),
    # cidr_lists
    "0.0.0.0/0 source": ([setting("cidr_lists", {"security_extra_ingress_cidrs": ["10.9.0.0/16", "0.0.0.0/0"]})],
                         ["security_extra_ingress_cidrs[1]", "'0.0.0.0/0'", "settings.open_cidr_exceptions"]),
    "::/0 source": ([setting("cidr_lists", {"security_extra_ingress_cidrs": ["::/0"]})],
                    ["security_extra_ingress_cidrs[0]", "'::/0'"]),
    "open cidr, exception for other var": ([setting("cidr_lists", {"security_extra_ingress_cidrs": ["0.0.0.0/0"]}),
                                            setting("open_cidr_exceptions", ["security_extra_egress_cidrs"])],
                                           ["security_extra_ingress_cidrs[0]", "'0.0.0.0/0'"]),
    "any /0 with host bits": ([setting("cidr_lists", {"x_cidrs": ["1.2.3.4/0"]})], ["x_cidrs[0]", "'1.2.3.4/0'"]),
    "cidr list invalid item": ([setting("cidr_lists", {"x_cidrs": ["10.0.0.0/33"]})], ["x_cidrs[0]", "'10.0.0.0/33'"]),
    "cidr list not a list": ([setting("cidr_lists", {"x_cidrs": "10.0.0.0/8"})], ["x_cidrs", "'10.0.0.0/8'", "list"]),
    "cidr list None": ([setting("cidr_lists", {"x_cidrs": None})], ["x_cidrs", "None"]),
    "cidr_lists not a dict": ([setting("cidr_lists", ["0.0.0.0/0"])], ["settings.cidr_lists", "['0.0.0.0/0']"]),
    "open_cidr_exceptions string": ([setting("open_cidr_exceptions", "x_cidrs")],
                                    ["settings.open_cidr_exceptions", "'x_cidrs'"]),
    # ephemeral_port_range
    "ephemeral low 1023": ([setting("ephemeral_port_range", [1023, 65535])],
                           ["settings.ephemeral_port_range", "[1023, 65535]"]),
    "ephemeral low 1024": ([setting("ephemeral_port_range", [1024, 65535])],
                           ["settings.ephemeral_port_range", "[1024, 65535]", "service ports"]),
    "ephemeral holds rdp": ([setting("ephemeral_port_range", [3000, 65535])],
                            ["settings.ephemeral_port_range", "[3000, 65535]", "3389"]),
    "ephemeral reversed": ([setting("ephemeral_port_range", [40000, 30000])],
                           ["settings.ephemeral_port_range", "[40000, 30000]"]),
    "ephemeral high 65536": ([setting("ephemeral_port_range", [1024, 65536])],
                             ["settings.ephemeral_port_range", "[1024, 65536]"]),
    "ephemeral one item": ([setting("ephemeral_port_range", [1024])], ["settings.ephemeral_port_range", "[1024]"]),
    "ephemeral string": ([setting("ephemeral_port_range", "32768-65535")],
                         ["settings.ephemeral_port_range", "'32768-65535'"]),
    "ephemeral string items": ([setting("ephemeral_port_range", ["1024", 65535])],
                               ["settings.ephemeral_port_range", "['1024', 65535]"]),
    # whole inputs of the wrong type
    "networks None": ([("networks", (), None)], ["networks", "None", "dict"]),
    "networks list": ([("networks", (), [{"network_name": "trading"}])], ["networks", "[{'network_name': 'trading'}]"]),
    "networks empty": ([("networks", (), {})], ["networks", "{}"]),
    "host vars None": ([("networks", ("trading",), None)], [H, "None", "dict"]),
    "host vars list": ([("networks", ("trading",), ["x"])], [H, "['x']"]),
    "settings None": ([("settings", (), None)], ["settings", "None", "dict"]),
    "settings list": ([("settings", (), [1])], ["settings", "[1]"]),
}


@pytest.mark.parametrize("changes, fragments", list(BAD.values()), ids=list(BAD))
def test_bad_input(changes, fragments):
    errors = errors_of(build(changes))
    assert_one_error_mentions(errors, fragments)
    for error in errors:
        assert isinstance(error, str)
        assert "could not be validated" not in error


def test_external_id_value_is_withheld():
    data = build([net("trading", "aws_external_id", "s3cr3t value!")])
    errors = errors_of(data)
    assert_one_error_mentions(errors, [H + ".aws_external_id", "value withheld"])
    assert not any("s3cr3t" in e for e in errors)


def test_unknown_region_suggests_close_match():
    errors = errors_of(build([net("trading", "aws_region", "us-east-9")]))
    assert_one_error_mentions(errors, ["'us-east-9'", "did you mean", "us-east-1"])


def test_errors_only_once_for_one_mistake():
    errors = errors_of(build([peer("ports", [443, 22])]))
    assert errors == ["peerings[0].ports[1]: 22 is not in allowed_ports [443, 5432]"]


def test_vpc_cidr_error_message_format():
    errors = errors_of(build([net("trading", "vpc_cidr", "10.0.0.0/33"), net("trading", "subnet_prefix", DELETE)]))
    assert len(errors) == 1
    assert errors[0].startswith("hostvars['trading'].vpc_cidr: '10.0.0.0/33' is not a valid IPv4 CIDR")


def test_overlap_uses_live_cidrs_over_vpc_cidr():
    """live_cidrs (read from AWS) win: a secondary CIDR that overlaps the peer is caught."""
    data = build([net("trading", "vpc_id", "vpc-0123abcd"),
                  net("trading", "live_cidrs", ["10.0.0.0/16", "10.1.0.0/20"])])
    assert_one_error_mentions(errors_of(data), ["peerings[0]", H + ".live_cidrs[1]", "'10.1.0.0/20'"])


# ------------------------------------------------------------------ warnings

WARN = {
    "open cidr exception is logged": (
        [setting("cidr_lists", {"security_extra_egress_cidrs": ["10.9.0.0/16", "0.0.0.0/0"]}),
         setting("open_cidr_exceptions", ["security_extra_egress_cidrs"])],
        ["security_extra_egress_cidrs[1]", "'0.0.0.0/0'", "'security_extra_egress_cidrs'", "open_cidr_exceptions"],
    ),
    "open ipv6 exception is logged": (
        [setting("cidr_lists", {"nacl_extra_cidrs": ["::/0"]}), setting("open_cidr_exceptions", ["nacl_extra_cidrs"])],
        ["nacl_extra_cidrs[0]", "'::/0'"],
    ),
    "overlap not checkable": (
        [net("analytics", "vpc_cidr", DELETE), net("analytics", "vpc_id", "vpc-0123abcd")],
        ["peerings[0]", A, "not checked"],
    ),
    "admin port allowed": ([setting("allowed_ports", [443, 5432, 22])], ["settings.allowed_ports[2]", "22", "SSH"]),
    "Name in common tags": ([tag("Name", "x")], ["settings.common_tags.Name", "'x'"]),
}


@pytest.mark.parametrize("changes, fragments", list(WARN.values()), ids=list(WARN))
def test_warnings(changes, fragments):
    data = build(changes)
    assert_one_error_mentions(warnings_of(data), fragments)
    assert_clean(errors_of(data))


def test_open_cidr_without_exception_is_an_error_not_a_warning():
    data = build([setting("cidr_lists", {"security_extra_ingress_cidrs": ["0.0.0.0/0"]})])
    assert warnings_of(data) == []
    assert_one_error_mentions(errors_of(data), ["security_extra_ingress_cidrs[0]", "'0.0.0.0/0'"])


# ------------------------------------------------------------ never an exception

ODD_VALUES = [None, True, 0, -1, 3.5, "", "x", [], [None], ["x"], {}, {"a": None}, {"a": [1]}, ("t",), object()]


def _odd_cases():
    base = baseline()
    for key in list(base["networks"]["trading"]) + ["vpc_id", "vpc_adopt_tags", "live_cidrs", "private_subnet_cidrs"]:
        for value in ODD_VALUES:
            yield net("trading", key, value)
    for key in list(base["peerings"][0]) + ["direction"]:
        for value in ODD_VALUES:
            yield peer(key, value)
    for key in list(base["settings"]) + ["required_tags", "bucket_prefixes", "role_prefixes"]:
        for value in ODD_VALUES:
            yield setting(key, value)
    for top in ("networks", "peerings", "settings"):
        for value in ODD_VALUES:
            yield (top, (), value)
    for value in ODD_VALUES:
        yield ("networks", ("trading",), value)
        yield ("peerings", (0,), value)
        yield tag("CostCenter", value)


@pytest.mark.parametrize("change", list(_odd_cases()), ids=lambda c: "%s%s=%r" % (c[0], list(c[1]), c[2])[:80])
def test_odd_values_give_messages_not_exceptions(change):
    data = build([change])
    errors = errors_of(data)
    warnings = warnings_of(data)
    assert isinstance(errors, list) and isinstance(warnings, list)
    assert all(isinstance(m, str) for m in errors + warnings)
    assert not any("could not be validated" in m for m in errors), errors


def test_tagged_values_from_templates():
    """ansible-core 2.19+ hands filters tagged str/int/dict subclasses; messages show plain values."""
    from ansible._internal._datatag._tags import Origin

    origin = Origin(path="/inventory/hosts.yml", line_num=3)
    data = build()
    data["networks"]["trading"] = origin.tag(dict(data["networks"]["trading"]))
    data["networks"]["trading"]["vpc_cidr"] = origin.tag("10.0.0.0/33")
    data["networks"]["trading"]["subnet_prefix"] = origin.tag(24)
    data["peerings"][0]["ports"] = origin.tag([origin.tag(443), origin.tag(22)])
    errors = errors_of(data)
    assert "hostvars['trading'].vpc_cidr: '10.0.0.0/33' is not a valid IPv4 CIDR" in errors[0]
    assert "peerings[0].ports[1]: 22 is not in allowed_ports [443, 5432]" in errors


# -------------------------------------------------- acceptance role trust and ExternalId

@pytest.mark.parametrize("changes, fragments", [
    ([("peerings", (0, "external_id"), DELETE)], ["peerings[0].external_id", "missing", "vault"]),
    ([("peerings", (0, "external_id"), "short")], ["peerings[0].external_id", "8 to 1224"]),
    ([("peerings", (0, "external_id"), ["a", "list"])], ["peerings[0].external_id", "list"]),
    ([("networks", ("trading", "aws_role_arn"), "arn:aws:iam::111111111111:root")],
     ["peerings[0]", "aws_role_arn", "arn:aws:iam::111111111111:root", "whole account"]),
    ([("settings", ("accepter_trusted_principals",), {"trading": ["*"]})],
     ["peering_accepter_trusted_principals.trading", "'*'", "wildcard"]),
    ([("settings", ("accepter_trusted_principals",), {"trading": ["111111111111"]})],
     ["peering_accepter_trusted_principals.trading", "111111111111", "whole account"]),
    ([("settings", ("accepter_trusted_principals",), {"trading": "arn:aws:iam::111111111111:role/a"})],
     ["peering_accepter_trusted_principals.trading", "non-empty list"]),
    ([("networks", ("trading", "aws_role_arn"), DELETE)], ["requester 'trading' has no aws_role_arn"]),
])
def test_acceptance_trust_refusals(changes, fragments):
    assert_one_error_mentions(errors_of(build(changes)), fragments)


@pytest.mark.parametrize("changes", [
    [("peerings", (0, "external_id"), DELETE), ("settings", ("emulator",), True)],
    [("settings", ("accepter_trusted_principals",), {"trading": ["arn:aws:iam::111111111111:user/ci"]})],
    [("networks", ("trading", "aws_role_arn"), DELETE),
     ("settings", ("accepter_trusted_principals",), {"trading": ["arn:aws:iam::999999999999:role/controller"]})],
])
def test_acceptance_trust_accepted(changes):
    assert_clean(errors_of(build(changes)))
