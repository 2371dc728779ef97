"""Unit tests for netsec.aws_peering.log_metric_filters (moto in-process)."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import metric_filter_specs
from ansible_collections.netsec.aws_peering.plugins.modules import log_metric_filters

GROUP = "/netsec/flowlogs/trading-sandbox"
SITE = "trading-sandbox"
FORMAT = "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${action} ${log-status}"
METRICS = {key: f"{key}-{SITE}" for key in ("bytes", "bytes_in", "bytes_out", "packets_in", "packets_out", "rejected", "ports")}
FILTERS = metric_filter_specs(["10.1.0.0/16"], [443, 5432], FORMAT, "trading", "sandbox", "NetSec/Peering", METRICS)


def args(**overrides):
    base = {"log_group_name": GROUP, "filters": FILTERS, "owned_suffix": f"-{SITE}"}
    base.update(overrides)
    return base


def logs():
    return boto3.client("logs", region_name="us-east-1")


def filters_of(group=GROUP):
    """The group's filters by name (the last listed wins, as the planner reads the emulator)."""
    return {f["filterName"]: f for f in logs().describe_metric_filters(logGroupName=group)["metricFilters"]}


@pytest.fixture
def aws(aws):
    """conftest's mock_aws, with the log group the filters belong to."""
    logs().create_log_group(logGroupName=GROUP)


def test_create_every_filter_in_one_run(aws, run_module, api_calls):
    result = run_module(log_metric_filters, args())
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert [(c["action"], c["field"]) for c in result["changes"]] == [("create", "filter")] * 9
    assert api_calls.writes() == ["PutMetricFilter"] * 9
    found = filters_of()
    assert sorted(found) == sorted(f["name"] for f in FILTERS)
    rejected = found[f"rejected-flows-in-{SITE}"]
    assert rejected["filterPattern"] == ("[version, srcaddr=10.1.*, dstaddr, srcport, dstport, protocol, packets, bytes, "
                                         "action=REJECT, log_status]")
    assert rejected["metricTransformations"] == [{"metricName": METRICS["rejected"], "metricNamespace": "NetSec/Peering",
                                                  "metricValue": "1", "defaultValue": 0}]
    # The new state in discovery's shape.
    assert result["log_group"]["logGroupName"] == GROUP
    assert len(result["log_group"]["metricFilters"]) == 9


def test_second_run_changes_nothing_and_writes_nothing(aws, run_module, api_calls):
    run_module(log_metric_filters, args())
    api_calls.clear()
    again = run_module(log_metric_filters, args(), diff=True)
    assert again["failed"] is False
    assert again["changed"] is False and again["changes"] == []
    assert api_calls.writes() == []
    assert again["diff"]["before"] == again["diff"]["after"]


def test_check_mode_writes_nothing(aws, run_module, api_calls):
    result = run_module(log_metric_filters, args(), check_mode=True, diff=True)
    assert result["changed"] is True and len(result["changes"]) == 9
    assert api_calls.writes() == []
    assert filters_of() == {}
    assert result["diff"]["before"] == {} and len(result["diff"]["after"]) == 9


def test_drift_in_a_pattern_is_repaired(aws, run_module, api_calls):
    run_module(log_metric_filters, args())
    name = f"nonwhitelisted-ports-{SITE}"
    logs().put_metric_filter(logGroupName=GROUP, filterName=name, filterPattern="[version, srcaddr=10.9.*]",
                             metricTransformations=[{"metricName": METRICS["ports"], "metricNamespace": "NetSec/Peering",
                                                     "metricValue": "1", "defaultValue": 0}])
    api_calls.clear()
    result = run_module(log_metric_filters, args(), diff=True)
    assert result["changed"] is True
    assert [(c["resource"], c["field"]) for c in result["changes"]] == [(f"metric_filter {name}", "filterPattern")]
    assert result["changes"][0]["before"] == "[version, srcaddr=10.9.*]"
    assert api_calls.writes() == ["PutMetricFilter"]
    assert result["diff"]["before"][name]["filterPattern"] == "[version, srcaddr=10.9.*]"
    assert result["diff"]["after"][name]["filterPattern"] == FILTERS[-1]["pattern"]
    assert filters_of()[name]["filterPattern"] == FILTERS[-1]["pattern"]
    assert run_module(log_metric_filters, args())["changed"] is False


def test_drift_in_a_transformation_is_repaired(aws, run_module):
    run_module(log_metric_filters, args())
    name = f"peering-bytes-in-{SITE}"
    logs().put_metric_filter(logGroupName=GROUP, filterName=name, filterPattern=FILTERS[0]["pattern"],
                             metricTransformations=[{"metricName": METRICS["bytes_in"], "metricNamespace": "NetSec/Peering",
                                                     "metricValue": "$packets"}])
    result = run_module(log_metric_filters, args())
    assert [c["field"] for c in result["changes"]] == ["metricTransformations"]
    assert filters_of()[name]["metricTransformations"][0]["metricValue"] == "$bytes"


def test_our_unwanted_filters_are_purged_others_kept(aws, run_module, api_calls):
    run_module(log_metric_filters, args())
    for name in (f"old-metric-{SITE}", "someone-elses"):
        logs().put_metric_filter(logGroupName=GROUP, filterName=name, filterPattern="",
                                 metricTransformations=[{"metricName": "X", "metricNamespace": "Y", "metricValue": "1"}])
    api_calls.clear()
    result = run_module(log_metric_filters, args(filters=FILTERS[:8]))
    assert sorted((c["action"], c["resource"]) for c in result["changes"]) == [
        ("delete", f"metric_filter nonwhitelisted-ports-{SITE}"), ("delete", f"metric_filter old-metric-{SITE}")]
    assert api_calls.writes() == ["DeleteMetricFilter"] * 2
    assert "someone-elses" in filters_of() and f"old-metric-{SITE}" not in filters_of()


def test_absent_deletes_ours_only(aws, run_module, api_calls):
    run_module(log_metric_filters, args())
    logs().put_metric_filter(logGroupName=GROUP, filterName="someone-elses", filterPattern="",
                             metricTransformations=[{"metricName": "X", "metricNamespace": "Y", "metricValue": "1"}])
    result = run_module(log_metric_filters, args(filters=[], state="absent"))
    assert result["changed"] is True and len(result["changes"]) == 9
    assert list(filters_of()) == ["someone-elses"]
    api_calls.clear()
    again = run_module(log_metric_filters, args(filters=[], state="absent"))
    assert again["changed"] is False and api_calls.writes() == []


def test_a_missing_group_fails_outside_check_mode(aws, run_module, api_calls):
    result = run_module(log_metric_filters, args(log_group_name="/netsec/flowlogs/nowhere"))
    assert result["failed"] is True
    assert "log_group_name: log group /netsec/flowlogs/nowhere does not exist" in result["msg"]
    assert api_calls.writes() == []
    checked = run_module(log_metric_filters, args(log_group_name="/netsec/flowlogs/nowhere"), check_mode=True)
    assert checked["failed"] is False and checked["changed"] is True and len(checked["changes"]) == 9
    assert checked["log_group"] is None
    assert any("does not exist yet" in w for w in checked.get("warnings", []))


BAD = [
    ({"filters": [dict(FILTERS[0], pattern="x" * 1025)]}, r"filters[0] (peering-bytes-in-trading-sandbox).pattern must be a string of at most 1024"),
    ({"filters": [dict(FILTERS[0], pattern=None)]}, "filters[0] (peering-bytes-in-trading-sandbox).pattern is required"),
    ({"filters": [FILTERS[0], FILTERS[0]]}, "filters[1].name 'peering-bytes-in-trading-sandbox' is listed twice"),
    ({"filters": [dict(FILTERS[0], metric_name=None)]}, "metric_name None must be 1-255 characters"),
    ({"log_group_name": "bad group name!"}, "log_group_name 'bad group name!'"),
]


@pytest.mark.parametrize("override, message", BAD, ids=[case[1][:30] for case in BAD])
def test_bad_input_is_named_before_any_call(aws, run_module, api_calls, override, message):
    result = run_module(log_metric_filters, args(**override))
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []
