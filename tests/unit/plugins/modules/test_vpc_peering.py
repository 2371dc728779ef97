"""vpc_peering: cross-account, inter-region, hub and spoke, verified acceptance.

Accounts are emulated the way the sandbox does it: sts:AssumeRole into
arn:aws:iam::<account>:role/... returns keys that act in <account>; they are
passed to the module as access_key/secret_key/session_token.
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.module_utils import peering as pu
from ansible_collections.netsec.aws_peering.plugins.modules import vpc_peering

A, B = "111111111111", "222222222222"


def creds(account):
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/automation", RoleSessionName="unit-test")["Credentials"]
    return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "session_token": c["SessionToken"]}


def ec2(c, region):
    return boto3.client(
        "ec2",
        region_name=region,
        aws_access_key_id=c["access_key"],
        aws_secret_access_key=c["secret_key"],
        aws_session_token=c["session_token"],
    )


def tags_of(client, pid):
    found = client.describe_tags(Filters=[{"Name": "resource-id", "Values": [pid]}])["Tags"]
    return {t["Key"]: t["Value"] for t in found}


@pytest.fixture(scope="module")
def accounts():
    """One emulator for the whole file (starting one per test costs more CPU than the tests).

    Each test gets fresh VPCs from `world`, so earlier tests' peerings stay
    around: exactly the crowded account in which the stock module goes wrong.
    """
    with mock_aws():
        a, b = creds(A), creds(B)
        yield {"a": a, "b": b, "ec2_a": ec2(a, "us-east-1"), "ec2_b1": ec2(b, "us-east-1"),
               "ec2_b2": ec2(b, "us-east-2")}


@pytest.fixture
def world(accounts):
    """A (111111111111, us-east-1) with a hub VPC; B (222222222222) with a VPC in us-east-2 and one in us-east-1."""
    w = dict(accounts)
    w["hub"] = w["ec2_a"].create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    w["spoke2"] = w["ec2_b2"].create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    w["spoke1"] = w["ec2_b1"].create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    w["mine"] = {w["hub"], w["spoke1"], w["spoke2"]}
    return w


def peerings(client, w):
    """This test's peerings (its VPCs on either side), as the client's account sees them."""
    return [
        p for p in client.describe_vpc_peering_connections()["VpcPeeringConnections"]
        if p["RequesterVpcInfo"]["VpcId"] in w["mine"] or p["AccepterVpcInfo"]["VpcId"] in w["mine"]
    ]


def request_args(w, spoke="spoke2", region="us-east-2", **kw):
    args = dict(w["a"], region="us-east-1", state="present", vpc_id=w["hub"], peer_vpc_id=w[spoke],
                peer_owner_id=B, peer_region=region)
    args.update(kw)
    return args


def accept_args(w, region="us-east-2", vpc="spoke2", **kw):
    args = dict(w["b"], region=region, state="accepted", vpc_id=w[vpc], expected_requester_owner_id=A,
                expected_requester_vpc_id=w["hub"], expected_requester_cidr="10.10.0.0/16")
    args.update(kw)
    return args


def test_accounts_are_distinct(world):
    """The emulator really gives two accounts: each sees only its own VPCs."""
    assert world["ec2_a"].describe_vpcs(VpcIds=[world["hub"]])["Vpcs"][0]["OwnerId"] == A
    assert world["ec2_b2"].describe_vpcs(VpcIds=[world["spoke2"]])["Vpcs"][0]["OwnerId"] == B
    a_vpcs = {v["VpcId"] for v in world["ec2_a"].describe_vpcs()["Vpcs"]}
    assert world["spoke1"] not in a_vpcs


def test_request_accept_cross_account_inter_region(world, run_module):
    w = world
    tags_a = {"Name": "pcx-trading-analytics-sandbox", "CostCenter": "cc-a", "Environment": "sandbox"}

    # check mode: nothing requested
    r = run_module(vpc_peering, request_args(w, tags=tags_a), check_mode=True, diff=True)
    assert r["failed"] is False and r["changed"] is True
    assert r["peering_id"] is None
    assert r["diff"]["before"] == {}
    assert r["diff"]["after"]["accepter"] == {"owner_id": B, "vpc_id": w["spoke2"], "region": "us-east-2"}
    assert peerings(w["ec2_a"], w) == []

    r = run_module(vpc_peering, request_args(w, tags=tags_a), diff=True)
    assert r["failed"] is False and r["changed"] is True, r
    pid = r["peering_id"]
    pcx = r["peering_connection"]
    assert pcx["status"]["code"] == "pending-acceptance"
    assert pcx["requester_vpc_info"]["owner_id"] == A
    assert pcx["accepter_vpc_info"] == {**pcx["accepter_vpc_info"], "owner_id": B, "vpc_id": w["spoke2"],
                                        "region": "us-east-2"}
    assert pcx["tags"] == tags_a
    assert r["diff"]["before"] == {} and r["diff"]["after"]["status"] == "pending-acceptance"

    # idempotent
    r = run_module(vpc_peering, request_args(w, tags=tags_a))
    assert r["changed"] is False and r["peering_id"] == pid

    # B sees it in its region only
    assert [p["VpcPeeringConnectionId"] for p in peerings(w["ec2_b2"], w)] == [pid]
    assert peerings(w["ec2_b1"], w) == []

    tags_b = {"Name": "pcx-trading-analytics-sandbox", "CostCenter": "cc-b", "Environment": "sandbox"}
    # check mode accept: reports the change, accepts nothing, tags nothing
    r = run_module(vpc_peering, accept_args(w, peering_id=pid, tags=tags_b), check_mode=True, diff=True)
    assert r["failed"] is False and r["changed"] is True, r
    assert r["diff"]["before"]["status"] == "pending-acceptance"
    assert r["diff"]["after"]["status"] == "active"
    assert r["diff"]["after"]["tags"] == tags_b
    assert peerings(w["ec2_b2"], w)[0]["Status"]["Code"] == "pending-acceptance"
    assert tags_of(w["ec2_b2"], pid) == {}

    r = run_module(vpc_peering, accept_args(w, peering_id=pid, tags=tags_b), diff=True)
    assert r["failed"] is False and r["changed"] is True, r
    assert r["peering_connection"]["status"]["code"] == "active"
    assert r["peering_connection"]["tags"] == tags_b
    assert r["diff"]["before"]["status"] == "pending-acceptance" and r["diff"]["after"]["status"] == "active"
    assert peerings(w["ec2_a"], w)[0]["Status"]["Code"] == "active"
    # tags are per account: B's did not overwrite A's
    assert tags_of(w["ec2_b2"], pid) == tags_b
    assert tags_of(w["ec2_a"], pid) == tags_a

    # idempotent, found by id or by accepter VPC + expected requester
    r = run_module(vpc_peering, accept_args(w, peering_id=pid, tags=tags_b))
    assert r["changed"] is False and r["peering_id"] == pid
    r = run_module(vpc_peering, accept_args(w, tags=tags_b))
    assert r["changed"] is False and r["peering_id"] == pid

    # requester side re-run on an active peering: still no change
    r = run_module(vpc_peering, request_args(w, tags=tags_a))
    assert r["changed"] is False and r["peering_connection"]["status"]["code"] == "active"


def test_accept_from_requester_region_is_refused(world, run_module):
    w = world
    pid = run_module(vpc_peering, request_args(w))["peering_id"]
    # account A cannot accept (moto enforces the account) ...
    r = run_module(vpc_peering, dict(accept_args(w, peering_id=pid), **w["a"], region="us-east-1"))
    assert r["failed"] is True
    # ... and B in the wrong region cannot see it
    r = run_module(vpc_peering, accept_args(w, peering_id=pid, region="us-east-1", wait=False))
    assert r["failed"] is True and "not visible in region us-east-1" in r["msg"]
    assert peerings(w["ec2_b2"], w)[0]["Status"]["Code"] == "pending-acceptance"


def test_hub_and_spoke_finds_the_right_peering(world, run_module):
    w = world
    # spoke1: same region as the hub; spoke2: inter-region
    p1 = run_module(vpc_peering, request_args(w, spoke="spoke1", region="us-east-1"))
    assert p1["changed"] is True and p1["peering_connection"]["accepter_vpc_info"]["region"] == "us-east-1"
    # The stock module would answer this with p1 (the emulator ignores Filters).
    p2 = run_module(vpc_peering, request_args(w, spoke="spoke2", region="us-east-2"))
    assert p2["changed"] is True and p2["peering_id"] != p1["peering_id"]
    assert p2["peering_connection"]["accepter_vpc_info"]["vpc_id"] == w["spoke2"]
    # peer_region omitted means the module's region: that is spoke1's peering
    r = run_module(vpc_peering, request_args(w, spoke="spoke1", peer_region=None))
    assert r["changed"] is False and r["peering_id"] == p1["peering_id"]
    # re-runs find each one
    for spoke, region, pid in (("spoke2", "us-east-2", p2["peering_id"]), ("spoke1", "us-east-1", p1["peering_id"])):
        r = run_module(vpc_peering, request_args(w, spoke=spoke, region=region))
        assert r["changed"] is False and r["peering_id"] == pid
    assert len(peerings(w["ec2_a"], w)) == 2

    # accept each by VPC identity (no peering_id), each in its own region
    r = run_module(vpc_peering, accept_args(w, region="us-east-1", vpc="spoke1"))
    assert r["changed"] is True and r["peering_id"] == p1["peering_id"]
    assert {p["VpcPeeringConnectionId"]: p["Status"]["Code"] for p in peerings(w["ec2_a"], w)} == {
        p1["peering_id"]: "active", p2["peering_id"]: "pending-acceptance"}
    r = run_module(vpc_peering, accept_args(w, region="us-east-2", vpc="spoke2"))
    assert r["changed"] is True and r["peering_id"] == p2["peering_id"]
    assert {p["Status"]["Code"] for p in peerings(w["ec2_a"], w)} == {"active"}


@pytest.mark.parametrize(
    "override, expected_text",
    [
        ({"expected_requester_owner_id": "333333333333"}, "requester account: expected 333333333333, found 111111111111"),
        ({"expected_requester_vpc_id": "vpc-0123456789abcdef0"}, "requester VPC: expected vpc-0123456789abcdef0"),
        ({"expected_requester_cidr": "10.99.0.0/16"}, "requester CIDR: expected 10.99.0.0/16, found 10.10.0.0/16"),
    ],
)
def test_wrong_requester_is_refused(world, run_module, override, expected_text):
    w = world
    pid = run_module(vpc_peering, request_args(w))["peering_id"]
    r = run_module(vpc_peering, accept_args(w, peering_id=pid, tags={"Name": "x"}, **override))
    assert r["failed"] is True
    assert r["msg"].startswith(f"Refusing to accept VPC peering connection {pid}")
    assert expected_text in r["msg"]
    # nothing accepted, nothing tagged
    assert peerings(w["ec2_b2"], w)[0]["Status"]["Code"] == "pending-acceptance"
    assert tags_of(w["ec2_b2"], pid) == {}
    # check mode refuses too
    r = run_module(vpc_peering, accept_args(w, peering_id=pid, **override), check_mode=True)
    assert r["failed"] is True and expected_text in r["msg"]


def test_request_from_unexpected_vpc_is_not_found_by_identity(world, run_module):
    w = world
    other = w["ec2_a"].create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    run_module(vpc_peering, request_args(w, vpc_id=other))
    r = run_module(vpc_peering, accept_args(w, wait=False))
    assert r["failed"] is True
    assert f"No live peering request from account {A}, VPC {w['hub']} into {w['spoke2']}" in r["msg"]
    assert other in r["msg"]  # the request that is there is listed
    assert peerings(w["ec2_b2"], w)[0]["Status"]["Code"] == "pending-acceptance"


def test_accept_waits_for_the_request_to_appear(world, run_module, monkeypatch):
    """The accepter may run before the request is visible: it polls (no fixed sleep) until it is."""
    w = world
    pauses = []

    def fake_sleep(seconds):
        pauses.append(seconds)
        if len(pauses) == 2:  # the requester acts while the accepter waits
            w["ec2_a"].create_vpc_peering_connection(VpcId=w["hub"], PeerVpcId=w["spoke2"], PeerOwnerId=B,
                                                     PeerRegion="us-east-2")

    monkeypatch.setattr(pu, "_sleep", fake_sleep)
    r = run_module(vpc_peering, accept_args(w))
    assert r["failed"] is False and r["changed"] is True, r
    assert r["peering_connection"]["status"]["code"] == "active"
    assert pauses == [1.0, 2.0]


def test_accept_times_out_when_nothing_comes(world, run_module, monkeypatch):
    clock = {"t": 0.0}
    monkeypatch.setattr(pu, "_now", lambda: clock["t"])
    monkeypatch.setattr(pu, "_sleep", lambda s: clock.__setitem__("t", clock["t"] + s))
    r = run_module(vpc_peering, accept_args(w=world, wait_timeout=20))
    assert r["failed"] is True and "No live peering request" in r["msg"]
    assert clock["t"] == 20


def test_check_mode_accept_before_request_exists(world, run_module):
    r = run_module(vpc_peering, accept_args(world), check_mode=True)
    assert r["failed"] is False and r["changed"] is True
    assert any("would be accepted once requested" in x for x in r.get("warnings", []))


def test_tags_update_and_purge(world, run_module):
    w = world
    pid = run_module(vpc_peering, request_args(w, tags={"Name": "n", "Old": "x"}))["peering_id"]
    r = run_module(vpc_peering, request_args(w, tags={"Name": "n", "New": "y"}, purge_tags=False), diff=True)
    assert r["changed"] is True
    assert tags_of(w["ec2_a"], pid) == {"Name": "n", "Old": "x", "New": "y"}
    r = run_module(vpc_peering, request_args(w, tags={"Name": "n"}), check_mode=True, diff=True)
    assert r["changed"] is True and r["diff"]["after"]["tags"] == {"Name": "n"}
    assert tags_of(w["ec2_a"], pid) == {"Name": "n", "Old": "x", "New": "y"}
    r = run_module(vpc_peering, request_args(w, tags={"Name": "n"}))
    assert r["changed"] is True and tags_of(w["ec2_a"], pid) == {"Name": "n"}
    # tags omitted: left alone
    r = run_module(vpc_peering, request_args(w))
    assert r["changed"] is False and tags_of(w["ec2_a"], pid) == {"Name": "n"}


def test_absent(world, run_module):
    w = world
    p1 = run_module(vpc_peering, request_args(w, spoke="spoke1", region="us-east-1"))["peering_id"]
    p2 = run_module(vpc_peering, request_args(w))["peering_id"]
    run_module(vpc_peering, accept_args(w, peering_id=p2))

    # check mode: nothing deleted
    r = run_module(vpc_peering, request_args(w, state="absent"), check_mode=True, diff=True)
    assert r["changed"] is True and r["peering_id"] == p2
    assert r["diff"]["before"]["status"] == "active" and r["diff"]["after"] == {}
    assert {p["Status"]["Code"] for p in peerings(w["ec2_a"], w)} == {"active", "pending-acceptance"}

    # by identity: only the inter-region one goes
    r = run_module(vpc_peering, request_args(w, state="absent"))
    assert r["changed"] is True and r["deleted_peering_ids"] == [p2]
    codes = {p["VpcPeeringConnectionId"]: p["Status"]["Code"] for p in peerings(w["ec2_a"], w)}
    assert codes == {p1: "pending-acceptance", p2: "deleted"}
    r = run_module(vpc_peering, request_args(w, state="absent"))
    assert r["changed"] is False

    # by id, from the accepter side, with a vpc_id that is not part of it: refused
    r = run_module(vpc_peering, dict(w["b"], region="us-east-1", state="absent", peering_id=p1, vpc_id=w["spoke2"]))
    assert r["failed"] is True and "does not connect vpc_id" in r["msg"]
    r = run_module(vpc_peering, dict(w["b"], region="us-east-1", state="absent", peering_id=p1))
    assert r["changed"] is True
    assert {p["Status"]["Code"] for p in peerings(w["ec2_a"], w)} == {"deleted"}
    r = run_module(vpc_peering, dict(w["b"], region="us-east-1", state="absent", peering_id=p1))
    assert r["changed"] is False
    # a new request after deletion creates a new peering (deleted ones do not count)
    r = run_module(vpc_peering, request_args(w))
    assert r["changed"] is True and r["peering_id"] not in (p1, p2)


@pytest.mark.parametrize(
    "override, text",
    [
        ({"peer_owner_id": "12345"}, "peer_owner_id='12345' is not a 12-digit AWS account ID"),
        ({"vpc_id": "vpc-xyz"}, "vpc_id='vpc-xyz' is not a VPC ID"),
        ({"peer_region": "mars"}, "peer_region='mars' is not an AWS region"),
        ({"peering_id": "pcx-0123456789abcdef0"}, "peering_id='pcx-0123456789abcdef0' is not used with state=present"),
        ({"expected_requester_cidr": "10.0.0.0/16"}, "only apply to state=accepted"),
        ({"state": "accepted", "expected_requester_owner_id": A, "expected_requester_vpc_id": "vpc-0123456789abcdef0",
          "expected_requester_cidr": "10.0.0.1/16"}, "expected_requester_cidr='10.0.0.1/16' is not a valid CIDR"),
        ({"state": "absent", "vpc_id": None, "peer_vpc_id": None}, "state=absent needs peering_id"),
        ({"state": "accepted", "peer_vpc_id": None}, "expected_requester_owner_id"),
    ],
)
def test_bad_input(world, run_module, override, text):
    r = run_module(vpc_peering, request_args(world, **override))
    assert r["failed"] is True
    assert text in r["msg"]
    assert peerings(world["ec2_a"], world) == []


def test_cidr_block_set_counts_for_verification():
    """A secondary CIDR (CidrBlockSet, which the emulator does not return) satisfies the check."""
    info = {"CidrBlock": "10.10.0.0/16", "CidrBlockSet": [{"CidrBlock": "10.10.0.0/16"}, {"CidrBlock": "100.64.0.0/20"}]}
    assert pu.vpc_cidrs(info) == ["10.10.0.0/16", "100.64.0.0/20"]
    assert pu.cidr_in("100.64.0.0/20", pu.vpc_cidrs(info))
    assert not pu.cidr_in("100.64.0.0/21", pu.vpc_cidrs(info))
