"""Unit tests for netsec.aws_peering.vpc_gateway_endpoint (moto in-process)."""

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import vpc_gateway_endpoint as vge


S3 = "com.amazonaws.us-east-1.s3"
DDB = "com.amazonaws.us-east-1.dynamodb"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OwnAccount",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": "arn:aws:s3:::peer-bucket/*",
            "Condition": {"StringEquals": {"aws:PrincipalAccount": "123456789012"}},
        }
    ],
}


@pytest.fixture
def ec2():
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1")


@pytest.fixture
def vpc(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    rts = sorted(ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"] for dummy in range(3))
    return {"vpc_id": vpc_id, "rts": rts}


def args(vpc, rts=None, s3_policy=None, **kw):
    rts = vpc["rts"] if rts is None else rts
    s3_policy = POLICY if s3_policy is None else s3_policy
    out = {
        "vpc_id": vpc["vpc_id"],
        "tags": {"Owner": "netsec"},
        "endpoints": [
            {"service": "s3", "name": "app-s3", "route_table_ids": rts, "policy": s3_policy},
            {"service": DDB, "name": "app-dynamodb", "route_table_ids": rts, "tags": {"Tier": "data"}},
        ],
    }
    out.update(kw)
    return out


def live(ec2, vpc_id):
    eps = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    return {e["ServiceName"]: e for e in eps if e["State"] not in ("deleted", "deleting")}


def test_create_both_then_idempotent(run_module, ec2, vpc):
    result = run_module(vge, args(vpc), diff=True)
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert [e["action"] for e in result["endpoints"]] == ["created", "created"]
    assert [e["service"] for e in result["endpoints"]] == ["s3", "dynamodb"]
    eps = live(ec2, vpc["vpc_id"])
    assert set(eps) == {S3, DDB}
    for ep in eps.values():
        assert ep["VpcEndpointType"] == "Gateway"
        assert sorted(ep["RouteTableIds"]) == vpc["rts"]
    assert json.loads(eps[S3]["PolicyDocument"]) == POLICY
    s3 = result["endpoints"][0]
    assert s3["tags"] == {"Owner": "netsec", "Name": "app-s3"}
    assert result["endpoints"][1]["tags"] == {"Owner": "netsec", "Name": "app-dynamodb", "Tier": "data"}
    assert s3["policy"] == POLICY and s3["route_table_ids"] == vpc["rts"]
    assert result["diff"]["before"] == {S3: {}, DDB: {}}
    assert result["diff"]["after"][S3]["route_table_ids"] == vpc["rts"]
    # routes were added to every route table
    for table in ec2.describe_route_tables(RouteTableIds=vpc["rts"])["RouteTables"]:
        targets = {r.get("GatewayId") for r in table["Routes"]}
        assert {eps[S3]["VpcEndpointId"], eps[DDB]["VpcEndpointId"]} <= targets

    again = run_module(vge, args(vpc))
    assert again["changed"] is False, again
    assert [e["action"] for e in again["endpoints"]] == ["unchanged", "unchanged"]
    assert again["endpoints"][0]["vpc_endpoint_id"] == s3["vpc_endpoint_id"]


def test_equivalent_policy_spelling_is_unchanged(run_module, ec2, vpc):
    run_module(vge, args(vpc))
    same = {
        "Statement": {  # a single statement, keys reordered, lists reordered, strings for one-item lists
            "Condition": {"StringEquals": {"aws:PrincipalAccount": ["123456789012"]}},
            "Resource": ["arn:aws:s3:::peer-bucket/*"],
            "Action": ["s3:GetObject", "s3:PutObject", "s3:GetObject"],
            "Principal": "*",
            "Effect": "Allow",
            "Sid": "OwnAccount",
        },
        "Version": "2012-10-17",
    }
    result = run_module(vge, args(vpc, s3_policy=json.dumps(same)))
    assert result["failed"] is False, result
    assert result["changed"] is False


def test_policy_change_applied(run_module, ec2, vpc):
    run_module(vge, args(vpc))
    new = json.loads(json.dumps(POLICY))
    new["Statement"][0]["Action"] = "s3:GetObject"
    result = run_module(vge, args(vpc, s3_policy=new), diff=True)
    assert result["changed"] is True
    assert [e["action"] for e in result["endpoints"]] == ["updated", "unchanged"]
    assert json.loads(live(ec2, vpc["vpc_id"])[S3]["PolicyDocument"]) == new
    assert result["diff"]["before"][S3]["policy"]["Statement"][0]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert result["diff"]["after"][S3]["policy"]["Statement"][0]["Action"] == ["s3:GetObject"]
    assert run_module(vge, args(vpc, s3_policy=new))["changed"] is False


def test_route_table_removal_and_purge_off(run_module, ec2, vpc):
    run_module(vge, args(vpc))
    result = run_module(vge, args(vpc, rts=vpc["rts"][:2]))
    assert result["changed"] is True
    assert all(e["route_table_ids"] == vpc["rts"][:2] for e in result["endpoints"])
    assert all(sorted(e["RouteTableIds"]) == vpc["rts"][:2] for e in live(ec2, vpc["vpc_id"]).values())
    # purge off: listing only one table adds nothing and removes nothing
    result = run_module(vge, args(vpc, rts=vpc["rts"][:1], purge_route_tables=False))
    assert result["changed"] is False
    # adding back the third table
    result = run_module(vge, args(vpc))
    assert result["changed"] is True
    assert all(sorted(e["RouteTableIds"]) == vpc["rts"] for e in live(ec2, vpc["vpc_id"]).values())


def test_tags_updated_and_purged(run_module, ec2, vpc):
    run_module(vge, args(vpc))
    result = run_module(vge, args(vpc, tags={"Owner": "secops"}))
    assert result["changed"] is True
    assert result["endpoints"][0]["tags"] == {"Owner": "secops", "Name": "app-s3"}
    tags = {t["Key"]: t["Value"] for t in live(ec2, vpc["vpc_id"])[S3]["Tags"]}
    assert tags == {"Owner": "secops", "Name": "app-s3"}


def test_check_mode_changes_nothing(run_module, ec2, vpc):
    result = run_module(vge, args(vpc), check_mode=True, diff=True)
    assert result["changed"] is True
    assert [e["action"] for e in result["endpoints"]] == ["created", "created"]
    assert result["endpoints"][0]["vpc_endpoint_id"] is None
    assert result["diff"]["after"][S3]["route_table_ids"] == vpc["rts"]
    assert live(ec2, vpc["vpc_id"]) == {}

    run_module(vge, args(vpc))
    before = live(ec2, vpc["vpc_id"])
    new = dict(POLICY, Statement=[dict(POLICY["Statement"][0], Action="s3:*")])
    result = run_module(vge, args(vpc, rts=vpc["rts"][:1], s3_policy=new, tags={"X": "y"}), check_mode=True)
    assert result["changed"] is True
    assert result["endpoints"][0]["route_table_ids"] == vpc["rts"][:1]
    assert result["endpoints"][0]["policy"] == new
    assert live(ec2, vpc["vpc_id"]) == before

    result = run_module(vge, args(vpc, state="absent"), check_mode=True)
    assert result["changed"] is True
    assert live(ec2, vpc["vpc_id"]) == before


def test_absent_deletes_ours(run_module, ec2, vpc):
    # a route table added later: the emulator then trips on delete (see module notes)
    run_module(vge, args(vpc, rts=vpc["rts"][:2]))
    assert run_module(vge, args(vpc))["changed"] is True
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.create_vpc_endpoint(VpcId=other_vpc, ServiceName=S3, VpcEndpointType="Gateway")
    result = run_module(vge, {"vpc_id": vpc["vpc_id"], "state": "absent",
                              "endpoints": [{"service": "s3"}, {"service": "dynamodb"}]}, diff=True)
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert [e["action"] for e in result["endpoints"]] == ["deleted", "deleted"]
    assert result["diff"]["after"] == {S3: {}, DDB: {}}
    assert live(ec2, vpc["vpc_id"]) == {}
    assert set(live(ec2, other_vpc)) == {S3}  # someone else's endpoint is untouched
    again = run_module(vge, {"vpc_id": vpc["vpc_id"], "state": "absent", "endpoints": [{"service": "s3"}]})
    assert again["changed"] is False
    assert again["endpoints"][0]["action"] == "absent"
    # recreate after delete works
    assert run_module(vge, args(vpc))["changed"] is True


@pytest.mark.parametrize(
    "change, message",
    [
        ({"endpoints": [{"service": "s3"}, {"service": S3}]}, "duplicates endpoints[0]"),
        ({"endpoints": [{"service": "s3", "policy": "{not json"}]}, "endpoints[0].policy is not valid JSON"),
        ({"endpoints": [{"service": "s3", "policy": "[1]"}]}, "must be a JSON object"),
        ({"endpoints": [{"service": "s3", "route_table_ids": ["rtb-0000000000000000a"]}]}, "rtb-0000000000000000a"),
        ({"endpoints": [{"service": "com.amazonaws.eu-west-1.s3"}]}, "is in region eu-west-1"),
        ({"endpoints": [{"service": "S3 Bucket"}]}, "'S3 Bucket'"),
        ({"vpc_id": "vpc-0000000000000000a"}, "vpc_id vpc-0000000000000000a does not exist"),
    ],
)
def test_bad_input_refused_before_any_write(run_module, ec2, vpc, change, message):
    result = run_module(vge, dict(args(vpc), **change))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert live(ec2, vpc["vpc_id"]) == {}


def test_route_table_of_other_vpc_refused(run_module, ec2, vpc):
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    rt = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
    result = run_module(vge, args(vpc, rts=[rt]))
    assert result["failed"] is True and f"[{rt!r}] are not in vpc_id" in result["msg"]
