"""Unit tests for netsec.aws_peering.cloudwatch_dashboard_info (moto in-process)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.modules import cloudwatch_dashboard_info


def body(markdown):
    return {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": markdown}}]}


@pytest.fixture
def dashboards():
    with mock_aws():
        client = boto3.client("cloudwatch", region_name="us-east-1")
        for name in ("peering-prod", "peering-dev", "billing"):
            client.put_dashboard(DashboardName=name, DashboardBody=json.dumps(body(name)))
        yield client


def test_lists_all_sorted_with_bodies(dashboards, run_module):
    result = run_module(cloudwatch_dashboard_info, {})
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert [d["name"] for d in result["dashboards"]] == ["billing", "peering-dev", "peering-prod"]
    prod = result["dashboards"][2]
    assert prod["body"] == body("peering-prod")
    assert prod["arn"] == "arn:aws:cloudwatch::123456789012:dashboard/peering-prod"
    assert prod["size"] == len(json.dumps(body("peering-prod")))
    assert isinstance(prod["last_modified"], str) and prod["last_modified"][:2] == "20"
    assert prod["dashboard_url"] == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=peering-prod"
    )


def test_name_prefix(dashboards, run_module):
    result = run_module(cloudwatch_dashboard_info, {"name_prefix": "peering-"})
    assert [d["name"] for d in result["dashboards"]] == ["peering-dev", "peering-prod"]


def test_names_filter_skips_missing(dashboards, run_module):
    result = run_module(cloudwatch_dashboard_info, {"names": ["billing", "does-not-exist"]})
    assert [d["name"] for d in result["dashboards"]] == ["billing"]
    assert result["dashboards"][0]["body"] == body("billing")


def test_names_and_prefix_combined(dashboards, run_module):
    result = run_module(cloudwatch_dashboard_info, {"names": ["billing", "peering-dev"], "name_prefix": "peering"})
    assert [d["name"] for d in result["dashboards"]] == ["peering-dev"]


def test_empty_account(run_module):
    with mock_aws():
        result = run_module(cloudwatch_dashboard_info, {"region": "eu-west-1"})
    assert result["failed"] is False
    assert result["dashboards"] == []


def test_url_follows_module_region(run_module):
    with mock_aws():
        boto3.client("cloudwatch", region_name="cn-north-1").put_dashboard(
            DashboardName="cn-dash", DashboardBody=json.dumps(body("x"))
        )
        result = run_module(cloudwatch_dashboard_info, {"region": "cn-north-1"})
    assert result["dashboards"][0]["dashboard_url"] == (
        "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name=cn-dash"
    )
    assert result["dashboards"][0]["arn"].startswith("arn:aws-cn:cloudwatch::")


def test_check_mode_is_read_only(dashboards, run_module):
    result = run_module(cloudwatch_dashboard_info, {"names": ["billing"]}, check_mode=True)
    assert result["failed"] is False
    assert result["changed"] is False
    assert len(result["dashboards"]) == 1
