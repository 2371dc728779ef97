"""Unit tests for the CIDR filters in plugins/filter/network.py."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import (
    FilterModule,
    carve_subnets,
    cidr_is_open,
    cidr_within,
    cidrs_overlap,
    is_rfc1918,
)


def test_filters_registered():
    filters = FilterModule().filters()
    assert filters == {
        "carve_subnets": carve_subnets,
        "cidrs_overlap": cidrs_overlap,
        "cidr_within": cidr_within,
        "is_rfc1918": is_rfc1918,
        "cidr_is_open": cidr_is_open,
    }


# ---------------------------------------------------------------- carve_subnets


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        (("10.0.0.0/16", 24, 3), {}, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
        (("10.0.0.0/16", 24, 2), {"offset": 3}, ["10.0.3.0/24", "10.0.4.0/24"]),
        (("10.0.0.0/16", 18, 4), {}, ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"]),
        (("10.0.0.0/16", 17, 1), {"offset": 1}, ["10.0.128.0/17"]),
        (("192.168.10.0/26", 28, 4), {}, ["192.168.10.0/28", "192.168.10.16/28", "192.168.10.32/28",
                                          "192.168.10.48/28"]),
        (("172.16.0.0/12", 16, 1), {"offset": 15}, ["172.31.0.0/16"]),
        # prefixes and counts that arrive as strings from extra vars
        (("10.0.0.0/16", "24", "2"), {"offset": "1"}, ["10.0.1.0/24", "10.0.2.0/24"]),
    ],
)
def test_carve_subnets(args, kwargs, expected):
    assert carve_subnets(*args, **kwargs) == expected


@pytest.mark.parametrize(
    "args, kwargs, fragments",
    [
        (("10.0.0.0/33", 24, 3), {}, ["vpc_cidr", "'10.0.0.0/33'", "not a valid IPv4 CIDR"]),
        (("10.0.0.5/16", 24, 3), {}, ["vpc_cidr", "'10.0.0.5/16'", "host bits"]),
        (("not-a-cidr", 24, 3), {}, ["vpc_cidr", "'not-a-cidr'"]),
        (("10.0.0.0", 24, 3), {}, ["vpc_cidr", "'10.0.0.0'", "prefix"]),
        (("fd00::/56", 64, 3), {}, ["vpc_cidr", "'fd00::/56'", "IPv6"]),
        ((None, 24, 3), {}, ["vpc_cidr", "None"]),
        ((["10.0.0.0/16"], 24, 3), {}, ["vpc_cidr", "['10.0.0.0/16']"]),
        (("10.0.0.0/16", 29, 1), {}, ["new_prefix", "29", "/16../28"]),
        (("10.0.0.0/8", 15, 1), {}, ["new_prefix", "15", "/16../28"]),
        (("10.0.0.0/24", 24, 1), {}, ["new_prefix", "24", "not longer", "'10.0.0.0/24'"]),
        (("10.0.0.0/24", 20, 1), {}, ["new_prefix", "20", "not longer"]),
        (("10.0.0.0/16", True, 1), {}, ["new_prefix", "True", "not an integer"]),
        (("10.0.0.0/16", "x24", 1), {}, ["new_prefix", "'x24'", "not an integer"]),
        (("10.0.0.0/16", 24, 0), {}, ["count", "0"]),
        (("10.0.0.0/16", 24, "three"), {}, ["count", "'three'"]),
        (("10.0.0.0/16", 24, 1), {"offset": -1}, ["offset", "-1"]),
        (("10.0.0.0/24", 26, 5), {}, ["not enough room", "'10.0.0.0/24'", "4 /26", "count 5"]),
        (("10.0.0.0/24", 26, 2), {"offset": 3}, ["not enough room", "offset 3", "needs 5"]),
    ],
)
def test_carve_subnets_errors(args, kwargs, fragments):
    with pytest.raises(AnsibleFilterError) as exc:
        carve_subnets(*args, **kwargs)
    for fragment in fragments:
        assert fragment in str(exc.value)


def test_carve_subnets_fills_the_vpc_exactly():
    subnets = carve_subnets("10.0.0.0/26", 28, 4)
    assert subnets[-1] == "10.0.0.48/28"
    with pytest.raises(AnsibleFilterError):
        carve_subnets("10.0.0.0/26", 28, 1, offset=4)


# ---------------------------------------------------------------- cidrs_overlap


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("10.0.0.0/16", "10.0.128.0/17", True),
        ("10.0.128.0/17", "10.0.0.0/16", True),
        ("10.0.0.0/16", "10.0.0.0/16", True),
        ("10.0.0.0/16", "10.1.0.0/16", False),
        ("10.0.0.0/24", "10.0.1.0/24", False),  # adjacent
        ("10.0.0.0/16", "10.0.255.255", True),  # bare address = /32
        ("10.0.0.5/16", "10.0.200.0/24", True),  # host bits tolerated
        ("0.0.0.0/0", "192.168.1.0/24", True),
        (["10.0.0.0/24", "10.0.1.0/24"], ["10.1.0.0/16"], False),
        (["10.0.0.0/24", "10.0.1.0/24"], ["10.1.0.0/16", "10.0.1.128/25"], True),
        ("10.0.0.0/16", ["192.168.0.0/16", "10.0.5.0/24"], True),
        ([], ["10.0.0.0/8"], False),
        ([], [], False),
        ("fd00::/8", "fd12:3456::/48", True),
        ("::/0", "10.0.0.0/8", False),  # different families never overlap
        (("10.0.0.0/16",), ("10.0.1.0/24",), True),
    ],
)
def test_cidrs_overlap(a, b, expected):
    assert cidrs_overlap(a, b) is expected


@pytest.mark.parametrize(
    "a, b, fragments",
    [
        ("10.0.0.0/33", "10.0.0.0/16", ["a:", "'10.0.0.0/33'"]),
        ("10.0.0.0/16", "banana", ["b:", "'banana'"]),
        (["10.0.0.0/16", "999.0.0.0/8"], "10.0.0.0/16", ["a[1]", "'999.0.0.0/8'"]),
        ("10.0.0.0/16", None, ["b:", "None"]),
        ("10.0.0.0/16", [None], ["b[0]", "None"]),
        (167772160, "10.0.0.0/16", ["a:", "167772160"]),
        ({"cidr": "10.0.0.0/16"}, "10.0.0.0/16", ["a:", "{'cidr': '10.0.0.0/16'}"]),
    ],
)
def test_cidrs_overlap_errors(a, b, fragments):
    with pytest.raises(AnsibleFilterError) as exc:
        cidrs_overlap(a, b)
    for fragment in fragments:
        assert fragment in str(exc.value)


# ---------------------------------------------------------------- is_rfc1918


@pytest.mark.parametrize(
    "cidr, expected",
    [
        ("10.0.0.0/8", True),
        ("10.20.0.0/16", True),
        ("172.16.0.0/12", True),
        ("172.31.255.0/28", True),
        ("172.32.0.0/16", False),
        ("172.15.0.0/16", False),
        ("192.168.0.0/16", True),
        ("192.168.1.0/24", True),
        ("192.169.0.0/16", False),
        ("8.8.0.0/16", False),
        ("10.0.0.0/7", False),  # larger than 10/8
        ("100.64.0.0/10", False),  # carrier-grade NAT is not RFC 1918
        ("0.0.0.0/0", False),
        ("10.1.2.3", True),
        ("fd00::/8", False),
    ],
)
def test_is_rfc1918(cidr, expected):
    assert is_rfc1918(cidr) is expected


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "", None, 10, ["10.0.0.0/8"]])
def test_is_rfc1918_errors(cidr):
    with pytest.raises(AnsibleFilterError, match="cidr:"):
        is_rfc1918(cidr)


# ---------------------------------------------------------------- cidr_is_open


@pytest.mark.parametrize(
    "cidr, expected",
    [
        ("0.0.0.0/0", True),
        ("::/0", True),
        ("10.0.0.0/0", True),  # any /0 is everything
        ("0.0.0.0/1", False),
        ("128.0.0.0/1", False),
        ("10.0.0.0/8", False),
        ("::/1", False),
        ("203.0.113.7", False),
    ],
)
def test_cidr_is_open(cidr, expected):
    assert cidr_is_open(cidr) is expected


@pytest.mark.parametrize("cidr", ["0.0.0.0/-1", "any", None, 0])
def test_cidr_is_open_errors(cidr):
    with pytest.raises(AnsibleFilterError) as exc:
        cidr_is_open(cidr)
    assert "cidr:" in str(exc.value)
    assert repr(cidr) in str(exc.value)


@pytest.mark.parametrize("cidr, cidrs, expected", [
    ("10.1.0.0/23", ["10.1.0.0/24", "10.1.1.0/24"], True),
    ("10.1.0.0/23", ["10.1.0.0/24"], False),
    ("10.1.0.0/22", ["10.1.0.0/24", "10.1.1.0/24", "10.1.2.0/24"], False),
    ("10.1.2.0/24", ["10.1.0.0/16"], True),
    ("10.1.2.0/24", "10.1.2.0/24", True),
    ("::/0", ["10.0.0.0/8"], False),
])
def test_cidr_within(cidr, cidrs, expected):
    assert cidr_within(cidr, cidrs) is expected
