"""vpc_route: single routes and batches, never touching routes we do not own."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import vpc_route

REGION = "us-east-1"


@pytest.fixture(scope="module")
def emulator():
    """One emulator for the file (a fresh one per test costs more CPU than the tests); tests use fresh VPCs."""
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def net(emulator):
    """A VPC with two route tables, two peerings, an IGW, and someone else's route 10.99.0.0/16 -> IGW."""
    c = emulator
    vpc = c.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    peer1 = c.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    peer2 = c.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    n = {"c": c, "vpc": vpc}
    n["rtb1"] = c.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    n["rtb2"] = c.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    n["pcx1"] = c.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer1)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    n["pcx2"] = c.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer2)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    n["igw"] = c.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    c.attach_internet_gateway(InternetGatewayId=n["igw"], VpcId=vpc)
    c.create_route(RouteTableId=n["rtb1"], DestinationCidrBlock="10.99.0.0/16", GatewayId=n["igw"])
    return n


def routes_of(n, rtb):
    """{destination: target} of one table, as AWS has it."""
    table = n["c"].describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    out = {}
    for r in table["Routes"]:
        dest = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock") or r.get("DestinationPrefixListId")
        out[dest] = r.get("VpcPeeringConnectionId") or r.get("GatewayId") or r.get("EgressOnlyInternetGatewayId")
    return out


def route(n, rtb="rtb1", dest="10.20.1.0/24", pcx="pcx1", **kw):
    args = {"route_table_id": n[rtb], "destination_cidr_block": dest, "vpc_peering_connection_id": n[pcx]}
    args.update(kw)
    return args


def test_create_check_mode_idempotent_diff(net, run_module):
    n = net
    seeded = routes_of(n, n["rtb1"])
    r = run_module(vpc_route, route(n), check_mode=True, diff=True)
    assert r["failed"] is False and r["changed"] is True
    assert r["routes"][0]["action"] == "would_create"
    assert routes_of(n, n["rtb1"]) == seeded  # nothing written

    r = run_module(vpc_route, route(n), diff=True)
    assert r["changed"] is True
    assert r["routes"] == [{"route_table_id": n["rtb1"], "destination": "10.20.1.0/24",
                            "target_type": "vpc_peering_connection_id", "target": n["pcx1"],
                            "state": "present", "action": "created"}]
    assert r["diff"] == {"before": [], "after": [{"route_table_id": n["rtb1"], "destination": "10.20.1.0/24",
                                                  "target_type": "vpc_peering_connection_id", "target": n["pcx1"]}]}
    assert routes_of(n, n["rtb1"]) == dict(seeded, **{"10.20.1.0/24": n["pcx1"]})

    r = run_module(vpc_route, route(n), diff=True)
    assert r["changed"] is False and r["routes"][0]["action"] == "unchanged"
    assert r["diff"] == {"before": [], "after": []}
    # the seeded route and the local route are untouched
    assert routes_of(n, n["rtb1"])["10.99.0.0/16"] == n["igw"]
    assert routes_of(n, n["rtb1"])["10.10.0.0/16"] == "local"


def test_conflict_refused_then_replace(net, run_module):
    n = net
    run_module(vpc_route, route(n))
    # same destination, other target: refused, table unchanged
    r = run_module(vpc_route, route(n, pcx="pcx2"))
    assert r["failed"] is True
    assert n["rtb1"] in r["msg"] and "10.20.1.0/24" in r["msg"]
    assert f"vpc_peering_connection_id={n['pcx1']}" in r["msg"] and "replace=true" in r["msg"]
    assert routes_of(n, n["rtb1"])["10.20.1.0/24"] == n["pcx1"]
    # someone else's route (to the IGW) is refused the same way
    r = run_module(vpc_route, route(n, dest="10.99.0.0/16"))
    assert r["failed"] is True and f"gateway_id={n['igw']}" in r["msg"]
    assert routes_of(n, n["rtb1"])["10.99.0.0/16"] == n["igw"]

    r = run_module(vpc_route, route(n, pcx="pcx2", replace=True), check_mode=True, diff=True)
    assert r["changed"] is True and r["routes"][0]["action"] == "would_replace"
    assert r["diff"]["before"][0]["target"] == n["pcx1"] and r["diff"]["after"][0]["target"] == n["pcx2"]
    assert routes_of(n, n["rtb1"])["10.20.1.0/24"] == n["pcx1"]
    r = run_module(vpc_route, route(n, pcx="pcx2", replace=True))
    assert r["changed"] is True and r["routes"][0]["action"] == "replaced"
    assert r["routes"][0]["current_target"] == f"vpc_peering_connection_id={n['pcx1']}"
    assert routes_of(n, n["rtb1"])["10.20.1.0/24"] == n["pcx2"]
    r = run_module(vpc_route, route(n, pcx="pcx2", replace=True))
    assert r["changed"] is False


def test_absent_only_deletes_our_route(net, run_module):
    n = net
    run_module(vpc_route, route(n))
    # the seeded route to the IGW is someone else's: left alone, not a change, warned about
    r = run_module(vpc_route, route(n, dest="10.99.0.0/16", state="absent"))
    assert r["failed"] is False and r["changed"] is False
    assert r["routes"][0]["action"] == "skipped"
    assert any("10.99.0.0/16" in w and n["igw"] in w for w in r["warnings"])
    assert routes_of(n, n["rtb1"])["10.99.0.0/16"] == n["igw"]
    # the local route is never deleted
    r = run_module(vpc_route, route(n, dest="10.10.0.0/16", state="absent"))
    assert r["changed"] is False and r["routes"][0]["action"] == "skipped"
    assert routes_of(n, n["rtb1"])["10.10.0.0/16"] == "local"

    r = run_module(vpc_route, route(n, state="absent"), check_mode=True, diff=True)
    assert r["changed"] is True and r["routes"][0]["action"] == "would_delete"
    assert r["diff"]["after"] == [] and r["diff"]["before"][0]["destination"] == "10.20.1.0/24"
    assert "10.20.1.0/24" in routes_of(n, n["rtb1"])
    r = run_module(vpc_route, route(n, state="absent"))
    assert r["changed"] is True and r["routes"][0]["action"] == "deleted"
    assert "10.20.1.0/24" not in routes_of(n, n["rtb1"])
    assert routes_of(n, n["rtb1"])["10.99.0.0/16"] == n["igw"]
    r = run_module(vpc_route, route(n, state="absent"))
    assert r["changed"] is False and r["routes"][0]["action"] == "unchanged"


def test_local_route_is_never_replaced(net, run_module):
    n = net
    r = run_module(vpc_route, route(n, dest="10.10.0.0/16", replace=True))
    assert r["failed"] is True and "local route" in r["msg"]
    assert routes_of(n, n["rtb1"])["10.10.0.0/16"] == "local"
    r = run_module(vpc_route, {"route_table_id": n["rtb1"], "destination_cidr_block": "10.50.0.0/16",
                               "gateway_id": "local"})
    assert r["failed"] is True and "gateway_id='local'" in r["msg"]


def test_batch(net, run_module):
    n = net
    batch = [
        route(n, "rtb1", "10.20.1.0/24", "pcx1"),
        route(n, "rtb1", "10.20.2.0/24", "pcx1"),
        route(n, "rtb2", "10.20.1.0/24", "pcx1"),
        route(n, "rtb2", "10.30.1.0/24", "pcx2"),
        route(n, "rtb1", "10.99.0.0/16", "pcx2", state="absent"),  # someone else's: skipped
    ]
    before1, before2 = routes_of(n, n["rtb1"]), routes_of(n, n["rtb2"])
    r = run_module(vpc_route, {"routes": batch}, check_mode=True, diff=True)
    assert r["changed"] is True
    assert [x["action"] for x in r["routes"]] == ["would_create"] * 4 + ["skipped"]
    assert len(r["diff"]["after"]) == 4 and r["diff"]["before"] == []
    assert (routes_of(n, n["rtb1"]), routes_of(n, n["rtb2"])) == (before1, before2)

    r = run_module(vpc_route, {"routes": batch})
    assert [x["action"] for x in r["routes"]] == ["created"] * 4 + ["skipped"]
    assert routes_of(n, n["rtb1"]) == dict(before1, **{"10.20.1.0/24": n["pcx1"], "10.20.2.0/24": n["pcx1"]})
    assert routes_of(n, n["rtb2"]) == dict(before2, **{"10.20.1.0/24": n["pcx1"], "10.30.1.0/24": n["pcx2"]})
    r = run_module(vpc_route, {"routes": batch})
    assert r["changed"] is False and [x["action"] for x in r["routes"]] == ["unchanged"] * 4 + ["skipped"]

    # one conflict anywhere: nothing at all is changed
    after1, after2 = routes_of(n, n["rtb1"]), routes_of(n, n["rtb2"])
    bad = [
        route(n, "rtb2", "10.40.0.0/16", "pcx2"),  # would be created...
        route(n, "rtb1", "10.20.2.0/24", "pcx1", state="absent"),  # ...and this one deleted...
        route(n, "rtb1", "10.99.0.0/16", "pcx1"),  # ...but this one conflicts with the IGW route
    ]
    r = run_module(vpc_route, {"routes": bad})
    assert r["failed"] is True and "nothing was changed" in r["msg"] and "10.99.0.0/16" in r["msg"]
    assert (routes_of(n, n["rtb1"]), routes_of(n, n["rtb2"])) == (after1, after2)

    # module-level state is the default for items; items may override it
    r = run_module(vpc_route, {"state": "absent", "routes": batch[:3] + [dict(batch[3], state="present")]})
    assert [x["action"] for x in r["routes"]] == ["deleted", "deleted", "deleted", "unchanged"]
    assert routes_of(n, n["rtb1"]) == before1
    assert routes_of(n, n["rtb2"]) == dict(before2, **{"10.30.1.0/24": n["pcx2"]})


def test_default_route_needs_explicit_allow(net, run_module):
    n = net
    args = {"route_table_id": n["rtb2"], "destination_cidr_block": "0.0.0.0/0", "gateway_id": n["igw"]}
    r = run_module(vpc_route, args)
    assert r["failed"] is True and "'0.0.0.0/0' is a default route" in r["msg"]
    assert "0.0.0.0/0" not in routes_of(n, n["rtb2"])
    r = run_module(vpc_route, dict(args, allow_default_route=True))
    assert r["changed"] is True and routes_of(n, n["rtb2"])["0.0.0.0/0"] == n["igw"]
    r = run_module(vpc_route, {"route_table_id": n["rtb2"], "destination_ipv6_cidr_block": "::/0",
                               "gateway_id": n["igw"]})
    assert r["failed"] is True and "'::/0' is a default route" in r["msg"]


def test_ipv6_and_prefix_list_destinations(net, run_module):
    n = net
    c = n["c"]
    eigw = c.create_egress_only_internet_gateway(VpcId=n["vpc"])["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    args = {"route_table_id": n["rtb2"], "destination_ipv6_cidr_block": "2001:DB8:0:0::/56",
            "egress_only_internet_gateway_id": eigw}
    r = run_module(vpc_route, args)
    assert r["changed"] is True and r["routes"][0]["destination"] == "2001:db8::/56"
    assert routes_of(n, n["rtb2"])["2001:db8::/56"] == eigw
    assert run_module(vpc_route, args)["changed"] is False

    pl = c.create_managed_prefix_list(PrefixListName="peer-subnets", MaxEntries=5, AddressFamily="IPv4",
                                      Entries=[{"Cidr": "10.20.0.0/16"}])["PrefixList"]["PrefixListId"]
    args = {"route_table_id": n["rtb2"], "destination_prefix_list_id": pl, "vpc_peering_connection_id": n["pcx1"]}
    r = run_module(vpc_route, args)
    assert r["changed"] is True and routes_of(n, n["rtb2"])[pl] == n["pcx1"]
    assert run_module(vpc_route, args)["changed"] is False
    r = run_module(vpc_route, dict(args, state="absent"))
    assert r["changed"] is True and pl not in routes_of(n, n["rtb2"])


@pytest.mark.parametrize(
    "make_args, text",
    [
        (lambda n: route(n, dest="10.20.1.1/24"), "destination_cidr_block='10.20.1.1/24' is not a valid CIDR block"),
        (lambda n: route(n, dest="10.20.1.0/33"), "destination_cidr_block='10.20.1.0/33' is not a valid CIDR"),
        (lambda n: route(n, dest="2001:db8::/64"), "is not an IPv4 CIDR block"),
        (lambda n: route(n, gateway_id="igw-0123456789abcdef0"), "give exactly one target"),
        (lambda n: {"route_table_id": n["rtb1"], "destination_cidr_block": "10.20.1.0/24"}, "give exactly one target"),
        (lambda n: route(n, destination_prefix_list_id="pl-12345678"), "give exactly one of destination_cidr_block"),
        (lambda n: route(n, vpc_peering_connection_id="vpc-12345678"),
         "vpc_peering_connection_id='vpc-12345678' is not a peering connection ID"),
        (lambda n: route(n, route_table_id="rtb-zzz"), "route_table_id='rtb-zzz' is not a route table ID"),
        (lambda n: route(n, route_table_id="rtb-0123456789abcdef0"), "rtb-0123456789abcdef0"),
        (lambda n: {"routes": [route(n), route(n, dest="10.20.1.0/24", pcx="pcx2")]},
         "routes[1] and routes[0] both manage 10.20.1.0/24"),
        (lambda n: {"routes": [route(n), route(n, dest="10.20.1.0/99")]}, "routes[1]: destination_cidr_block='10.20.1.0/99'"),
        (lambda n: {"routes": [route(n)], "route_table_id": n["rtb1"]}, "mutually exclusive"),
        (lambda n: {"routes": []}, "routes=[] is empty"),
    ],
)
def test_bad_input(net, run_module, make_args, text):
    before = routes_of(net, net["rtb1"])
    r = run_module(vpc_route, make_args(net))
    assert r["failed"] is True
    assert text in r["msg"]
    assert routes_of(net, net["rtb1"]) == before
