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


def test_peering_outputs_contract_keys_from_first_peering():
    peerings = [{"name": "p1", "requester": "r", "accepter": "a"}, {"name": "p2", "requester": "r", "accepter": "b"}]
    connections = {
        "r": {"p1": {"peering_id": "pcx-1", "status": "active", "side": "requester", "route_table_ids": ["rtb-r"]},
              "p2": {"peering_id": "pcx-2", "status": "active", "side": "requester", "route_table_ids": ["rtb-r"]}},
        "a": {"p1": {"peering_id": "pcx-1", "status": "active", "side": "accepter", "route_table_ids": ["rtb-a"]}},
    }
    out = peering.peering_outputs(peerings, connections)
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
