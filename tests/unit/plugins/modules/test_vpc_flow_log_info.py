"""Unit tests for netsec.aws_peering.vpc_flow_log_info (moto mock_aws, in-process)."""

from __future__ import annotations

import boto3
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws
from moto.ec2.models.flow_logs import FlowLogsBackend

from ansible_collections.netsec.aws_peering.plugins.modules import vpc_flow_log_info

BUCKET_ARN = "arn:aws:s3:::netsec-flow-logs-info"
ROLE_ARN = "arn:aws:iam::123456789012:role/vpc-flow-logs"


@pytest.fixture(scope="module")
def env():
    """One moto session with three flow logs, shared by the (read-only) tests."""
    shared_loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as mp:
        # Test speed only: do not parse the EC2 service model again for every module run.
        mp.setattr(botocore.session, "create_loader", lambda *a, **kw: shared_loader)
        with mock_aws():
            ec2 = boto3.client("ec2", region_name="us-east-1")
            boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="netsec-flow-logs-info")
            vpc_a = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
            vpc_b = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc_b, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]

            def create(resource_id, resource_type, traffic, tags, **dest):
                return ec2.create_flow_logs(
                    ResourceIds=[resource_id],
                    ResourceType=resource_type,
                    TrafficType=traffic,
                    MaxAggregationInterval=60,
                    TagSpecifications=[
                        {"ResourceType": "vpc-flow-log", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
                    ],
                    **dest,
                )["FlowLogIds"][0]

            ids = {
                "a_s3": create(vpc_a, "VPC", "ALL", {"Name": "a-s3", "Purpose": "peering"},
                               LogDestinationType="s3", LogDestination=BUCKET_ARN),
                "a_cw": create(vpc_a, "VPC", "REJECT", {"Name": "a-cw"},
                               LogDestinationType="cloud-watch-logs", LogGroupName="/netsec/a",
                               DeliverLogsPermissionArn=ROLE_ARN),
                "subnet": create(subnet, "Subnet", "ACCEPT", {"Name": "b-subnet", "Purpose": "peering"},
                                 LogDestinationType="s3", LogDestination=BUCKET_ARN),
            }
            yield {"ec2": ec2, "vpc_a": vpc_a, "vpc_b": vpc_b, "subnet": subnet, "ids": ids}


def ids_of(result):
    assert not result["failed"], result.get("msg")
    assert result["changed"] is False
    return sorted(f["flow_log_id"] for f in result["flow_logs"])


def test_list_all_snake_case_with_tag_dict(env, run_module):
    result = run_module(vpc_flow_log_info, {})
    assert ids_of(result) == sorted(env["ids"].values())
    by_id = {f["flow_log_id"]: f for f in result["flow_logs"]}
    s3_log = by_id[env["ids"]["a_s3"]]
    assert s3_log["resource_id"] == env["vpc_a"]
    assert s3_log["traffic_type"] == "ALL"
    assert s3_log["log_destination_type"] == "s3"
    assert s3_log["log_destination"] == BUCKET_ARN
    assert s3_log["max_aggregation_interval"] == 60
    assert s3_log["tags"] == {"Name": "a-s3", "Purpose": "peering"}
    assert s3_log["flow_log_status"] == "ACTIVE"
    cw_log = by_id[env["ids"]["a_cw"]]
    assert cw_log["log_group_name"] == "/netsec/a"
    assert cw_log["deliver_logs_permission_arn"] == ROLE_ARN


def test_by_resource_ids(env, run_module):
    assert ids_of(run_module(vpc_flow_log_info, {"resource_ids": [env["vpc_a"]]})) == sorted(
        [env["ids"]["a_s3"], env["ids"]["a_cw"]]
    )
    assert ids_of(run_module(vpc_flow_log_info, {"resource_ids": [env["vpc_b"]]})) == []
    assert ids_of(run_module(vpc_flow_log_info, {"resource_ids": [env["subnet"], env["vpc_a"]]})) == sorted(
        env["ids"].values()
    )


def test_by_flow_log_ids(env, run_module):
    wanted = [env["ids"]["subnet"]]
    assert ids_of(run_module(vpc_flow_log_info, {"flow_log_ids": wanted})) == wanted


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"traffic-type": "REJECT"}, ["a_cw"]),
        ({"log-destination-type": "s3"}, ["a_s3", "subnet"]),
        ({"log-destination-type": ["cloud-watch-logs"]}, ["a_cw"]),
        ({"tag:Purpose": "peering"}, ["a_s3", "subnet"]),
        ({"tag:Name": "a-*"}, ["a_s3", "a_cw"]),
        ({"tag:Name": "a-s3", "traffic-type": "ALL"}, ["a_s3"]),
        ({"tag:Name": "a-s3", "traffic-type": "REJECT"}, []),
        ({"tag-key": "Purpose"}, ["a_s3", "subnet"]),
        ({"resource-id": "vpc-*"}, ["a_s3", "a_cw"]),
    ],
)
def test_filters_client_side(env, run_module, monkeypatch, filters, expected):
    """The API is made to ignore Filters (as the emulator does for some APIs): the module must still filter."""
    original = FlowLogsBackend.describe_flow_logs

    def ignore_filters(self, flow_log_ids=None, filters=None):
        return original(self, flow_log_ids)

    monkeypatch.setattr(FlowLogsBackend, "describe_flow_logs", ignore_filters)
    result = run_module(vpc_flow_log_info, {"filters": filters})
    assert ids_of(result) == sorted(env["ids"][k] for k in expected)


def test_filters_with_api_filtering(env, run_module):
    result = run_module(vpc_flow_log_info, {"filters": {"traffic-type": "ACCEPT"}, "resource_ids": [env["subnet"]]})
    assert ids_of(result) == [env["ids"]["subnet"]]
    result = run_module(vpc_flow_log_info, {"filters": {"traffic-type": "ACCEPT"}, "resource_ids": [env["vpc_a"]]})
    assert ids_of(result) == []


def test_check_mode_is_supported(env, run_module):
    assert len(ids_of(run_module(vpc_flow_log_info, {}, check_mode=True))) == 3


@pytest.mark.parametrize(
    "args, needle",
    [
        ({"flow_log_ids": ["vpc-0123456789abcdef0"]}, "vpc-0123456789abcdef0"),
        ({"resource_ids": ["sg-0123456789abcdef0"]}, "sg-0123456789abcdef0"),
    ],
)
def test_bad_ids_fail(env, run_module, args, needle):
    result = run_module(vpc_flow_log_info, args)
    assert result["failed"]
    assert needle in result["msg"]
