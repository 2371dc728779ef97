"""vpc_peering_info: filters applied client-side (the emulator ignores them)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import vpc_peering_info

A, B = "111111111111", "222222222222"


def creds(account):
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/automation", RoleSessionName="unit-test")["Credentials"]
    return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "session_token": c["SessionToken"]}


def ec2(c, region):
    return boto3.client("ec2", region_name=region, aws_access_key_id=c["access_key"],
                        aws_secret_access_key=c["secret_key"], aws_session_token=c["session_token"])


@pytest.fixture(scope="module")
def hub():
    """A's hub peers with B's spoke1 (us-east-1, active), spoke2 (us-east-2, pending) and
    spoke3 (us-east-1, deleted); a second A VPC peers with spoke1 too (pending)."""
    with mock_aws():
        a, b = creds(A), creds(B)
        ea, eb1, eb2 = ec2(a, "us-east-1"), ec2(b, "us-east-1"), ec2(b, "us-east-2")
        h = {"a": a, "b": b}
        h["hub"] = ea.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
        h["other"] = ea.create_vpc(CidrBlock="10.11.0.0/16")["Vpc"]["VpcId"]
        h["spoke1"] = eb1.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        h["spoke2"] = eb2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        h["spoke3"] = eb1.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]

        def peer(vpc, spoke, region, name):
            return ea.create_vpc_peering_connection(
                VpcId=h[vpc], PeerVpcId=h[spoke], PeerOwnerId=B, PeerRegion=region,
                TagSpecifications=[{"ResourceType": "vpc-peering-connection",
                                    "Tags": [{"Key": "Name", "Value": name}, {"Key": "Side", "Value": "a"}]}],
            )["VpcPeeringConnection"]["VpcPeeringConnectionId"]

        h["p1"] = peer("hub", "spoke1", "us-east-1", "pcx-hub-spoke1")
        h["p2"] = peer("hub", "spoke2", "us-east-2", "pcx-hub-spoke2")
        h["p3"] = peer("hub", "spoke3", "us-east-1", "pcx-hub-spoke3")
        h["p4"] = peer("other", "spoke1", "us-east-1", "pcx-other-spoke1")
        eb1.accept_vpc_peering_connection(VpcPeeringConnectionId=h["p1"])
        eb1.create_tags(Resources=[h["p1"]], Tags=[{"Key": "Name", "Value": "b-side-name"}])
        ea.delete_vpc_peering_connection(VpcPeeringConnectionId=h["p3"])
        yield h


def ids(result):
    return [p["vpc_peering_connection_id"] for p in result["vpc_peering_connections"]]


def run_a(run_module, hub, check_mode=False, **args):
    return run_module(vpc_peering_info, dict(hub["a"], **args), check_mode=check_mode)


def test_no_filter_lists_live_peerings_only(hub, run_module):
    r = run_a(run_module, hub)
    assert r["failed"] is False and r["changed"] is False
    assert ids(r) == sorted([hub["p1"], hub["p2"], hub["p4"]])
    r = run_a(run_module, hub, include_deleted=True)
    assert ids(r) == sorted([hub["p1"], hub["p2"], hub["p3"], hub["p4"]])


def test_filters_are_applied_client_side(hub, run_module):
    r = run_a(run_module, hub, filters={"requester-vpc-info.vpc-id": hub["hub"]})
    assert ids(r) == sorted([hub["p1"], hub["p2"]])
    r = run_a(run_module, hub, filters={"requester-vpc-info.vpc-id": hub["hub"], "accepter-vpc-info.vpc-id": hub["spoke1"]})
    assert ids(r) == [hub["p1"]]
    r = run_a(run_module, hub, filters={"accepter-vpc-info.vpc-id": hub["spoke1"]})
    assert ids(r) == sorted([hub["p1"], hub["p4"]])
    r = run_a(run_module, hub, filters={"accepter-vpc-info.region": "us-east-2"})
    assert ids(r) == [hub["p2"]]
    r = run_a(run_module, hub, filters={"status-code": "pending-acceptance"})
    assert ids(r) == sorted([hub["p2"], hub["p4"]])
    r = run_a(run_module, hub, filters={"status-code": ["deleted", "active"]})
    assert ids(r) == sorted([hub["p1"], hub["p3"]])
    r = run_a(run_module, hub, filters={"requester-vpc-info.cidr-block": "10.11.0.0/16"})
    assert ids(r) == [hub["p4"]]
    r = run_a(run_module, hub, filters={"accepter-vpc-info.owner-id": B, "requester-vpc-info.owner-id": A})
    assert ids(r) == sorted([hub["p1"], hub["p2"], hub["p4"]])
    r = run_a(run_module, hub, filters={"accepter-vpc-info.owner-id": A})
    assert ids(r) == []


def test_tags_are_the_calling_accounts(hub, run_module):
    r = run_a(run_module, hub, filters={"tag:Name": "pcx-hub-*"})
    assert ids(r) == sorted([hub["p1"], hub["p2"]])
    assert {p["vpc_peering_connection_id"]: p["tags"] for p in r["vpc_peering_connections"]} == {
        hub["p1"]: {"Name": "pcx-hub-spoke1", "Side": "a"}, hub["p2"]: {"Name": "pcx-hub-spoke2", "Side": "a"}}
    # B sees its own tag on p1, not A's (the emulator's DescribeVpcPeeringConnections would show A's)
    r = run_module(vpc_peering_info, dict(hub["b"], filters={"tag:Name": "b-side-name"}))
    assert ids(r) == [hub["p1"]]
    assert r["vpc_peering_connections"][0]["tags"] == {"Name": "b-side-name"}
    r = run_module(vpc_peering_info, dict(hub["b"], filters={"tag-key": "Side"}))
    assert ids(r) == []


def test_peering_ids_and_views_per_region(hub, run_module):
    missing = "pcx-0123456789abcdef0"
    r = run_a(run_module, hub, peering_ids=[hub["p2"], missing])
    assert ids(r) == [hub["p2"]]
    pcx = r["vpc_peering_connections"][0]
    assert pcx["accepter_vpc_info"]["region"] == "us-east-2"
    assert pcx["accepter_vpc_info"]["owner_id"] == B
    assert pcx["requester_vpc_info"]["cidr_block"] == "10.10.0.0/16"
    assert pcx["status"]["code"] == "pending-acceptance"
    # deleted ones only when asked for
    assert ids(run_a(run_module, hub, peering_ids=[hub["p3"]])) == []
    assert ids(run_a(run_module, hub, peering_ids=[hub["p3"]], include_deleted=True)) == [hub["p3"]]
    # B sees p2 in us-east-2 only
    r = run_module(vpc_peering_info, dict(hub["b"], region="us-east-2"))
    assert ids(r) == [hub["p2"]]


def test_check_mode(hub, run_module):
    r = run_a(run_module, hub, check_mode=True, filters={"accepter-vpc-info.vpc-id": hub["spoke2"]})
    assert r["failed"] is False and r["changed"] is False and ids(r) == [hub["p2"]]


@pytest.mark.parametrize(
    "args, text",
    [
        ({"filters": {"vpc-id": "vpc-12345678"}}, "unsupported filter name 'vpc-id'"),
        ({"filters": {"tag:": "x"}}, "unsupported filter name 'tag:'"),
        ({"peering_ids": ["pcx-1", "vpc-12345678"]}, "peering_ids[0]='pcx-1' is not a VPC peering connection ID"),
    ],
)
def test_bad_input(hub, run_module, args, text):
    r = run_a(run_module, hub, **args)
    assert r["failed"] is True and text in r["msg"]
