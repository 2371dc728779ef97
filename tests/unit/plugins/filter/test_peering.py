"""Tables of cases for the peering and dict helper filters."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import dicts, intra_vpc, peering


@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"), ("eu-west-3", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"),
])
def test_aws_partition(region, partition):
    assert peering.aws_partition(region) == partition


@pytest.mark.parametrize("resource_id, kind", [
    ("vpc-0123456789abcdef0", "vpc"),
    ("rtb-0123", "route-table"),
    ("pcx-1", "vpc-peering-connection"),
])
def test_ec2_arn_reads_type_from_prefix(resource_id, kind):
    assert peering.ec2_arn(resource_id, "us-east-2", "222222222222") == f"arn:aws:ec2:us-east-2:222222222222:{kind}/{resource_id}"


@pytest.mark.parametrize("args, needle", [
    (("i-123", "us-east-1", "111111111111"), "i-123"),
    (("vpc-1", "us-east-1", "1111"), "1111"),
    (("vpc-1", "", "111111111111"), "region"),
])
def test_ec2_arn_bad_input_names_value(args, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        peering.ec2_arn(*args)


def test_external_id_explicit_wins_and_default_is_stable_per_peering():
    assert peering.peering_external_id({"name": "a-b", "external_id": "vault-value"}, "prod") == "vault-value"
    first = peering.peering_external_id({"name": "a-b"}, "prod")
    assert first == peering.peering_external_id({"name": "a-b"}, "prod")
    assert first != peering.peering_external_id({"name": "a-c"}, "prod")
    assert first != peering.peering_external_id({"name": "a-b"}, "dev")
    with pytest.raises(AnsibleFilterError):
        peering.peering_external_id({}, "prod")


def test_peer_routes_one_per_table_and_cidr():
    routes = peering.peer_routes(["rtb-1", "rtb-2"], ["10.1.0.0/24", "10.1.1.0/24"], "pcx-9")
    assert len(routes) == 4
    assert {(r["route_table_id"], r["destination_cidr_block"]) for r in routes} == {
        ("rtb-1", "10.1.0.0/24"), ("rtb-2", "10.1.0.0/24"), ("rtb-1", "10.1.1.0/24"), ("rtb-2", "10.1.1.0/24")}
    assert all(r["vpc_peering_connection_id"] == "pcx-9" and r["state"] == "present" for r in routes)


@pytest.mark.parametrize("cidrs, pcx, needle", [
    (["0.0.0.0/0"], "pcx-1", "blanket"),
    (["10.1.0.1/24"], "pcx-1", "10.1.0.1/24"),
    (["10.1.0.0/24"], "igw-1", "igw-1"),
])
def test_peer_routes_refuses_bad_input(cidrs, pcx, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        peering.peer_routes(["rtb-1"], cidrs, pcx)


def test_routes_via_only_selects_routes_through_given_peerings():
    tables = [{"id": "rtb-1", "routes": [
        {"destination_cidr_block": "10.0.0.0/16", "gateway_id": "local"},
        {"destination_cidr_block": "10.1.0.0/24", "vpc_peering_connection_id": "pcx-ours"},
        {"destination_cidr_block": "10.9.0.0/24", "vpc_peering_connection_id": "pcx-theirs"},
        {"destination_cidr_block": "172.16.0.0/16", "network_interface_id": "eni-1"},
    ]}]
    assert peering.routes_via(tables, ["pcx-ours"]) == [{
        "route_table_id": "rtb-1", "destination_cidr_block": "10.1.0.0/24",
        "vpc_peering_connection_id": "pcx-ours", "state": "absent"}]
    assert peering.routes_via(tables, []) == []


def test_peerings_by_name_matches_vpc_pairs_among_many():
    hostvars = {
        "hub": {"vpc_result": {"vpc_id": "vpc-hub", "private_route_table_ids": ["rtb-h"]}},
        "a": {"vpc_result": {"vpc_id": "vpc-a"}},
        "b": {"vpc_result": {"vpc_id": "vpc-b"}},
    }
    peerings = [{"name": "hub-a", "requester": "hub", "accepter": "a"}, {"name": "hub-b", "requester": "hub", "accepter": "b"}]
    conns = [
        {"vpc_peering_connection_id": "pcx-b", "status": {"code": "active"},
         "requester_vpc_info": {"vpc_id": "vpc-hub"}, "accepter_vpc_info": {"vpc_id": "vpc-b"}},
        {"vpc_peering_connection_id": "pcx-a", "status": {"code": "pending-acceptance"},
         "requester_vpc_info": {"vpc_id": "vpc-hub"}, "accepter_vpc_info": {"vpc_id": "vpc-a"}},
    ]
    found = peering.peerings_by_name(conns, peerings, hostvars, "hub", "requester")
    assert found == {
        "hub-a": {"peering_id": "pcx-a", "status": "pending-acceptance", "route_table_ids": ["rtb-h"]},
        "hub-b": {"peering_id": "pcx-b", "status": "active", "route_table_ids": ["rtb-h"]},
    }
    assert peering.peerings_by_name(conns, peerings, hostvars, "hub", "accepter") == {}


def test_peering_outputs_contract_keys_from_first_peering():
    peerings = [{"name": "p1", "requester": "r", "accepter": "a"}, {"name": "p2", "requester": "r", "accepter": "b"}]
    sides = {
        "r": {"requester": {"p1": {"peering_id": "pcx-1", "status": "active", "route_table_ids": ["rtb-r"]},
                            "p2": {"peering_id": "pcx-2", "status": "active", "route_table_ids": ["rtb-r"]}}, "accepter": {}},
        "a": {"requester": {}, "accepter": {"p1": {"peering_id": "pcx-1", "status": "active", "route_table_ids": ["rtb-a"]}}},
    }
    out = peering.peering_outputs(peerings, sides)
    assert out["peering_connection_id"] == "pcx-1"
    assert out["peering_connection_status"] == "active"
    assert out["requester_route_table_ids"] == ["rtb-r"]
    assert out["accepter_route_table_ids"] == ["rtb-a"]
    assert out["peering_connections"]["p2"]["accepter_route_table_ids"] == []
    assert peering.peering_outputs([], {}) == {"peering_connections": {}}


def test_dict_helpers():
    assert dicts.tag_filters({"Name": "x", "Tier": "private"}) == {"tag:Name": "x", "tag:Tier": "private"}
    assert dicts.prefix_keys({"vpc_id": "vpc-1"}, "trading_") == {"trading_vpc_id": "vpc-1"}
    for bad in (["Name"], "Name", None):
        with pytest.raises(AnsibleFilterError):
            dicts.tag_filters(bad)


@pytest.mark.parametrize("egress", [False, True])
def test_intra_vpc_entry(egress):
    entry = intra_vpc.intra_vpc_nacl_entry(egress, "10.0.0.0/16")
    assert entry == {"rule_number": 100, "egress": egress, "protocol": "all", "rule_action": "allow", "cidr_block": "10.0.0.0/16"}


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "10.0.0.1/16", "nonsense"])
def test_intra_vpc_entry_refuses(cidr):
    with pytest.raises(AnsibleFilterError, match=cidr.split("/")[0]):
        intra_vpc.intra_vpc_nacl_entry(False, cidr)
