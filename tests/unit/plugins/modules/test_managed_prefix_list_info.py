"""Unit tests for netsec.aws_peering.managed_prefix_list_info (moto in-process)."""

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import managed_prefix_list_info as mpl


@pytest.fixture
def ec2():
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1")


def truth(ec2, name):
    pl = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])["PrefixLists"][0]
    cidrs = [e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=pl["PrefixListId"])["Entries"]]
    return pl["PrefixListId"], cidrs


def test_services_s3_and_dynamodb(run_module, ec2):
    result = run_module(mpl, {"services": ["s3", "dynamodb"]}, check_mode=True)
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert [p["service"] for p in result["prefix_lists"]] == ["dynamodb", "s3"]
    for service in ("s3", "dynamodb"):
        pl_id, cidrs = truth(ec2, f"com.amazonaws.us-east-1.{service}")
        entry = result["by_service"][service]
        assert entry["prefix_list_id"] == pl_id
        assert entry["prefix_list_name"] == f"com.amazonaws.us-east-1.{service}"
        assert sorted(entry["cidrs"]) == sorted(cidrs) and cidrs
    s3 = [p for p in result["prefix_lists"] if p["service"] == "s3"][0]
    assert s3["address_family"] == "IPv4"
    assert "max_entries" in s3
    assert len(result["by_service"]["s3"]["cidrs"]) == 3  # the emulator's S3 list
    assert len(result["by_service"]["dynamodb"]["cidrs"]) == 4
    assert result["missing"] == []


def test_by_name_and_id(run_module, ec2):
    s3_id, s3_cidrs = truth(ec2, "com.amazonaws.us-east-1.s3")
    ddb_id = truth(ec2, "com.amazonaws.us-east-1.dynamodb")[0]
    result = run_module(mpl, {"names": ["com.amazonaws.us-east-1.s3"], "prefix_list_ids": [ddb_id, s3_id]})
    assert result["failed"] is False, result
    assert sorted(p["prefix_list_id"] for p in result["prefix_lists"]) == sorted([s3_id, ddb_id])
    assert sorted(result["by_service"]["s3"]["cidrs"]) == sorted(s3_cidrs)


def test_region_used_for_services(run_module, ec2):
    result = run_module(mpl, {"services": ["s3"], "region": "eu-west-1"})
    assert result["failed"] is False, result
    assert result["prefix_lists"][0]["prefix_list_name"] == "com.amazonaws.eu-west-1.s3"
    eu = boto3.client("ec2", region_name="eu-west-1")
    assert result["by_service"]["s3"]["prefix_list_id"] == truth(eu, "com.amazonaws.eu-west-1.s3")[0]
    assert result["by_service"]["s3"]["cidrs"]


def test_all_aws_managed_when_no_selection(run_module, ec2):
    result = run_module(mpl, {})
    names = {p["prefix_list_name"] for p in result["prefix_lists"]}
    assert {"com.amazonaws.us-east-1.s3", "com.amazonaws.us-east-1.dynamodb"} <= names


@pytest.mark.parametrize(
    "args, message",
    [
        ({"services": ["nosuchservice"]}, "service nosuchservice (com.amazonaws.us-east-1.nosuchservice)"),
        ({"names": ["com.amazonaws.us-east-1.nosuch"]}, "com.amazonaws.us-east-1.nosuch"),
        ({"prefix_list_ids": ["pl-0123456789abcdef0"]}, "pl-0123456789abcdef0"),
        ({"prefix_list_ids": ["sg-1234"]}, "'sg-1234' is not a prefix list ID"),
        ({"services": ["S3 bucket"]}, "'S3 bucket'"),
    ],
)
def test_missing_or_bad_input_fails(run_module, ec2, args, message):
    result = run_module(mpl, args)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]


def test_missing_reported_without_failing(run_module, ec2):
    result = run_module(mpl, {"services": ["s3", "nosuchservice"], "fail_on_missing": False})
    assert result["failed"] is False
    assert list(result["by_service"]) == ["s3"]
    assert result["missing"] == ["service nosuchservice (com.amazonaws.us-east-1.nosuchservice)"]
