"""vpc_peering_options: one side per call, waits for active, right account and region only."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.module_utils import peering as pu
from ansible_collections.netsec.aws_peering.plugins.modules import vpc_peering_options

A, B = "111111111111", "222222222222"
DNS = "AllowDnsResolutionFromRemoteVpc"


def creds(account):
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/automation", RoleSessionName="unit-test")["Credentials"]
    return {"access_key": c["AccessKeyId"], "secret_key": c["SecretAccessKey"], "session_token": c["SessionToken"]}


def ec2(c, region):
    return boto3.client("ec2", region_name=region, aws_access_key_id=c["access_key"],
                        aws_secret_access_key=c["secret_key"], aws_session_token=c["session_token"])


@pytest.fixture(scope="module")
def accounts():
    with mock_aws():
        a, b = creds(A), creds(B)
        yield {"a": a, "b": b, "ec2_a": ec2(a, "us-east-1"), "ec2_a2": ec2(a, "us-east-2"),
               "ec2_b1": ec2(b, "us-east-1"), "ec2_b2": ec2(b, "us-east-2")}


@pytest.fixture
def pcx(accounts):
    """A fresh pending cross-account inter-region peering: A us-east-1 -> B us-east-2."""
    w = dict(accounts)
    w["vpc_a"] = w["ec2_a"].create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    w["vpc_b"] = w["ec2_b2"].create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    w["id"] = w["ec2_a"].create_vpc_peering_connection(
        VpcId=w["vpc_a"], PeerVpcId=w["vpc_b"], PeerOwnerId=B, PeerRegion="us-east-2"
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    return w


def accept(w):
    w["ec2_b2"].accept_vpc_peering_connection(VpcPeeringConnectionId=w["id"])


def options(w):
    """(requester DNS option, accepter DNS option) as AWS has them."""
    p = w["ec2_a"].describe_vpc_peering_connections(VpcPeeringConnectionIds=[w["id"]])["VpcPeeringConnections"][0]
    return p["RequesterVpcInfo"]["PeeringOptions"][DNS], p["AccepterVpcInfo"]["PeeringOptions"][DNS]


def requester(w, **kw):
    args = dict(w["a"], region="us-east-1", peering_id=w["id"], side="requester",
                allow_dns_resolution_from_remote_vpc=True)
    args.update(kw)
    return args


def accepter(w, **kw):
    args = dict(w["b"], region="us-east-2", peering_id=w["id"], side="accepter",
                allow_dns_resolution_from_remote_vpc=True)
    args.update(kw)
    return args


def test_each_side_from_its_own_account(pcx, run_module):
    w = pcx
    accept(w)
    r = run_module(vpc_peering_options, requester(w), check_mode=True, diff=True)
    assert r["failed"] is False and r["changed"] is True
    assert r["peering_options"]["allow_dns_resolution_from_remote_vpc"] is True
    assert r["diff"]["before"]["allow_dns_resolution_from_remote_vpc"] is False
    assert r["diff"]["after"]["allow_dns_resolution_from_remote_vpc"] is True
    assert options(w) == (False, False)

    r = run_module(vpc_peering_options, requester(w), diff=True)
    assert r["changed"] is True and r["side"] == "requester" and r["peering_id"] == w["id"]
    assert r["status"] == "active"
    assert options(w) == (True, False)
    assert run_module(vpc_peering_options, requester(w))["changed"] is False

    r = run_module(vpc_peering_options, accepter(w), diff=True)
    assert r["changed"] is True and options(w) == (True, True)
    r = run_module(vpc_peering_options, accepter(w), diff=True)
    assert r["changed"] is False and r["diff"]["before"] == r["diff"]["after"]

    r = run_module(vpc_peering_options, accepter(w, allow_dns_resolution_from_remote_vpc=False))
    assert r["changed"] is True and options(w) == (True, False)
    assert r["peering_options"]["allow_dns_resolution_from_remote_vpc"] is False


def test_waits_for_acceptance_then_sets(pcx, run_module, monkeypatch):
    """One run ends with DNS enabled: the option is set only after the accepter accepts."""
    w = pcx
    pauses = []

    def fake_sleep(seconds):
        pauses.append(seconds)
        assert options(w) == (False, False)  # nothing modified while pending
        if len(pauses) == 3:
            accept(w)

    monkeypatch.setattr(pu, "_sleep", fake_sleep)
    r = run_module(vpc_peering_options, requester(w))
    assert r["failed"] is False and r["changed"] is True, r
    assert r["status"] == "active"
    assert pauses == [1.0, 2.0, 4.0]
    assert options(w) == (True, False)


def test_pending_without_wait_or_in_check_mode(pcx, run_module, monkeypatch):
    w = pcx
    monkeypatch.setattr(pu, "_sleep", lambda s: pytest.fail("check mode / wait=false must not wait"))
    r = run_module(vpc_peering_options, requester(w, wait=False))
    assert r["failed"] is True and "'pending-acceptance', not active" in r["msg"]
    r = run_module(vpc_peering_options, requester(w), check_mode=True)
    assert r["failed"] is False and r["changed"] is True and r["status"] == "pending-acceptance"
    assert options(w) == (False, False)


def test_timeout(pcx, run_module, monkeypatch):
    w = pcx
    clock = {"t": 0.0}
    monkeypatch.setattr(pu, "_now", lambda: clock["t"])
    monkeypatch.setattr(pu, "_sleep", lambda s: clock.__setitem__("t", clock["t"] + s))
    r = run_module(vpc_peering_options, accepter(w, wait_timeout=30))
    assert r["failed"] is True and "Timed out after 30s" in r["msg"] and "pending-acceptance" in r["msg"]
    assert clock["t"] == 30
    assert options(w) == (False, False)


def test_wrong_account_or_region_is_refused(pcx, run_module):
    w = pcx
    accept(w)
    # B's side, same-region view from A: A can see it but does not own that side
    vpc_a = w["ec2_a"].create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    vpc_b = w["ec2_b1"].create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    same_region = w["ec2_a"].create_vpc_peering_connection(VpcId=vpc_a, PeerVpcId=vpc_b, PeerOwnerId=B)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    w["ec2_b1"].accept_vpc_peering_connection(VpcPeeringConnectionId=same_region)
    r = run_module(vpc_peering_options, dict(requester(w), peering_id=same_region, side="accepter"))
    assert r["failed"] is True
    assert f"belongs to account {B}, but the module runs as account {A}" in r["msg"]

    # same account, other region: A in us-east-1 may not set the us-east-2 side
    vpc_a2 = w["ec2_a2"].create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    inter = w["ec2_a"].create_vpc_peering_connection(VpcId=vpc_a, PeerVpcId=vpc_a2, PeerRegion="us-east-2")[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    w["ec2_a2"].accept_vpc_peering_connection(VpcPeeringConnectionId=inter)
    r = run_module(vpc_peering_options, dict(requester(w), peering_id=inter, side="accepter"))
    assert r["failed"] is True and "is in region us-east-2, not us-east-1" in r["msg"]
    r = run_module(vpc_peering_options, dict(requester(w), peering_id=inter, side="accepter", region="us-east-2"))
    assert r["failed"] is False and r["changed"] is True


def test_not_found_dead_and_bad_input(pcx, run_module):
    w = pcx
    missing = "pcx-0123456789abcdef0"
    r = run_module(vpc_peering_options, requester(w, wait=False, peering_id=missing))
    assert r["failed"] is True and f"{missing} is not visible" in r["msg"]
    r = run_module(vpc_peering_options, requester(w, peering_id=missing), check_mode=True)
    assert r["failed"] is False and r["changed"] is True and r["warnings"]

    w["ec2_a"].delete_vpc_peering_connection(VpcPeeringConnectionId=w["id"])
    r = run_module(vpc_peering_options, requester(w))
    assert r["failed"] is True and "'deleted'" in r["msg"]

    r = run_module(vpc_peering_options, requester(w, peering_id="vpc-12345678"))
    assert r["failed"] is True and "peering_id='vpc-12345678' is not a VPC peering connection ID" in r["msg"]
    r = run_module(vpc_peering_options, requester(w, side="both"))
    assert r["failed"] is True and "side" in r["msg"]
