"""Tables of cases for the alarm planner (pure): threshold and anomaly band alarms, tags, absent, bad input."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netsec.aws_peering.plugins.filter import monitoring_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import build_request
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import final_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import normalize_alarm_spec
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import plan_alarms
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import tag_writes

TOPIC = "arn:aws:sns:us-east-1:111111111111:alerts-trading-sandbox"
OTHER = "arn:aws:sns:us-east-1:111111111111:oncall"
ARN = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:"


def threshold(**extra):
    return dict({"name": "rejected", "namespace": "NetSec/Peering", "metric_name": "Rejected", "statistic": "Sum",
                 "period": 300, "comparison_operator": "GreaterThanThreshold", "threshold": 10,
                 "treat_missing_data": "notBreaching", "alarm_actions": [TOPIC], "ok_actions": [TOPIC]}, **extra)


def anomaly(**extra):
    return dict({"name": "anomaly", "kind": "anomaly_band", "namespace": "NetSec/Peering", "metric_name": "Bytes",
                 "band_width": 2, "comparison_operator": "LessThanLowerOrGreaterThanUpperThreshold",
                 "evaluation_periods": 3, "datapoints_to_alarm": 2, "treat_missing_data": "notBreaching",
                 "alarm_actions": [TOPIC]}, **extra)


def described_threshold(threshold_value=10.0, tags=None, **extra):
    """A plain alarm as discovery.describe_alarms returns it (DescribeAlarms shape, datetimes as text)."""
    alarm = {
        "AlarmName": "rejected", "AlarmArn": ARN + "rejected", "AlarmConfigurationUpdatedTimestamp": "2026-01-01T00:00:00+00:00",
        "ActionsEnabled": True, "OKActions": [TOPIC], "AlarmActions": [TOPIC], "InsufficientDataActions": [],
        "StateValue": "OK", "MetricName": "Rejected", "Namespace": "NetSec/Peering", "Statistic": "Sum", "Dimensions": [],
        "Period": 300, "EvaluationPeriods": 1, "Threshold": threshold_value, "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching", "Metrics": [], "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }
    alarm.update(extra)
    return alarm


def described_anomaly(width="2", tags=None):
    return {
        "AlarmName": "anomaly", "AlarmArn": ARN + "anomaly", "ActionsEnabled": True, "OKActions": [], "AlarmActions": [TOPIC],
        "InsufficientDataActions": [], "StateValue": "OK", "Dimensions": [], "EvaluationPeriods": 3, "DatapointsToAlarm": 2,
        "ComparisonOperator": "LessThanLowerOrGreaterThanUpperThreshold", "TreatMissingData": "notBreaching",
        "Metrics": [
            {"Id": "ad1", "Expression": f"ANOMALY_DETECTION_BAND(m1, {width})", "Label": "Bytes (expected)", "ReturnData": True},
            {"Id": "m1", "MetricStat": {"Metric": {"Namespace": "NetSec/Peering", "MetricName": "Bytes", "Dimensions": []},
                                        "Period": 300, "Stat": "Sum"}, "ReturnData": True},
        ],
        "ThresholdMetricId": "ad1", "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    }


def summary(changes):
    return [(c["resource"], c["action"], c["field"]) for c in changes]


PLANS = [
    ("create both", [], {"alarms": [threshold(), anomaly()]},
     [("alarm rejected", "create", "alarm"), ("alarm anomaly", "create", "alarm")]),
    ("all match", [described_threshold(), described_anomaly()], {"alarms": [threshold(), anomaly()]}, []),
    ("written by others: order, 2.0, no DatapointsToAlarm", [described_threshold(AlarmActions=[OTHER, TOPIC])],
     [threshold(alarm_actions=[TOPIC, OTHER])], []),
    ("band 2.0 equals 2", [described_anomaly(width="2.0")], [anomaly(band_width=2.0)], []),
    ("changed threshold", [described_threshold(20.0)], [threshold()], [("alarm rejected", "update", "Threshold")]),
    ("changed actions and description", [described_threshold()],
     [threshold(ok_actions=[], description="More than 10 rejected flows")],
     [("alarm rejected", "update", "AlarmDescription"), ("alarm rejected", "update", "OKActions")]),
    ("changed band", [described_anomaly(width="3")], [anomaly()], [("alarm anomaly", "update", "Metrics")]),
    ("threshold alarm converted to a band", [dict(described_threshold(), AlarmName="anomaly", AlarmArn=ARN + "anomaly")],
     [anomaly()],
     [("alarm anomaly", "update", f) for f in ("ComparisonOperator", "DatapointsToAlarm", "EvaluationPeriods",
                                               "MetricName", "Metrics", "Namespace", "OKActions", "Period", "Statistic",
                                               "Threshold", "ThresholdMetricId")]),
    ("missing tag", [described_threshold(tags={"Name": "rejected"})],
     {"alarms": [threshold(tags={"Name": "rejected"})], "tags": {"Network": "trading"}}, [("alarm rejected", "update", "Tags")]),
    ("extra tag purged", [described_threshold(tags={"Name": "rejected", "Old": "x"})], [threshold(tags={"Name": "rejected"})],
     [("alarm rejected", "update", "Tags")]),
    ("extra tag kept without purge", [described_threshold(tags={"Name": "rejected", "Old": "x"})],
     {"alarms": [threshold(tags={"Name": "rejected"})], "purge_tags": False}, []),
    ("aws: tags are never purged", [described_threshold(tags={"Name": "rejected", "aws:cloudformation:stack-name": "s"})],
     [threshold(tags={"Name": "rejected"})], []),
    ("tags not managed", [described_threshold(tags={"Anything": "x"})], [threshold()], []),
    ("unlisted alarms ignored", [described_threshold(), described_anomaly(width="9")], [threshold()], []),
    ("absent", [described_threshold()], {"alarms": [{"name": "rejected"}, {"name": "gone"}], "state": "absent"},
     [("alarm rejected", "delete", "alarm")]),
]


@pytest.mark.parametrize("current, desired, expected", [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_plan_alarms(current, desired, expected):
    changes = plan_alarms(current, desired)
    assert summary(changes) == expected
    json.dumps(changes)
    assert monitoring_plans.plan_alarms(current, desired) == changes


def test_change_values():
    changes = plan_alarms([described_threshold(20.0, tags={"Name": "rejected"})],
                          {"alarms": [threshold(tags={"Name": "rejected"})], "tags": {"Network": "trading"}})
    assert changes == [
        {"resource": "alarm rejected", "action": "update", "field": "Threshold", "before": 20, "after": 10},
        {"resource": "alarm rejected", "action": "update", "field": "Tags", "before": {"Name": "rejected"},
         "after": {"Name": "rejected", "Network": "trading"}},
    ]
    created = plan_alarms([], [anomaly(tags={"Name": "anomaly"})])[0]
    assert created["after"]["ThresholdMetricId"] == "ad1"
    assert created["after"]["Tags"] == {"Name": "anomaly"}
    assert [m.get("Expression") for m in created["after"]["Metrics"]] == ["ANOMALY_DETECTION_BAND(m1, 2)", None]


def test_requests():
    plain = build_request(normalize_alarm_spec(threshold(statistic="p99", dimensions={"VpcId": "vpc-1"}, unit="Count"), "a"))
    assert plain["ExtendedStatistic"] == "p99" and "Statistic" not in plain
    assert plain["Dimensions"] == [{"Name": "VpcId", "Value": "vpc-1"}]
    assert plain["Threshold"] == 10.0 and plain["Unit"] == "Count"
    band = build_request(normalize_alarm_spec(anomaly(), "a"))
    assert band["ThresholdMetricId"] == "ad1" and "Threshold" not in band
    # The kind follows from the band width or the operator when not given.
    assert normalize_alarm_spec(dict(anomaly(), kind=None), "a")["kind"] == "anomaly_band"
    assert normalize_alarm_spec({**anomaly(), "kind": None, "band_width": None}, "a")["kind"] == "anomaly_band"
    defaults = normalize_alarm_spec({"name": "x", "namespace": "N", "metric_name": "M", "comparison_operator": "LessThanThreshold",
                                     "threshold": 0}, "a")
    assert (defaults["stat"], defaults["period"], defaults["evaluation_periods"], defaults["treat_missing_data"]) == ("Sum", 300, 1, "missing")


def test_tag_helpers():
    assert final_tags([{"Key": "aws:x", "Value": "1"}, {"Key": "Old", "Value": "2"}], {"New": "3"}, True) == {"New": "3", "aws:x": "1"}
    assert final_tags({"Old": "2"}, {"New": "3"}, False) == {"New": "3", "Old": "2"}
    assert final_tags({"Old": "2"}, None, True) == {"Old": "2"}
    assert tag_writes({"A": "1", "B": "2", "aws:c": "3"}, {"A": "9", "C": "4"}) == ({"A": "9", "C": "4"}, ["B"])


BAD = [
    (threshold(threshold=None), r"alarms\[0\] \(rejected\).threshold must be a number, got None"),
    (threshold(comparison_operator="GreaterThanUpperThreshold"), r"comparison_operator must be one of GreaterThanOrEqualToThreshold"),
    (threshold(kind="threshold", band_width=2), r"alarms\[0\] \(rejected\).band_width is only for anomaly_band alarms"),
    (anomaly(threshold=5), r"alarms\[0\] \(anomaly\).threshold is only for threshold alarms"),
    (anomaly(band_width=0), r"band_width must be greater than 0"),
    (anomaly(datapoints_to_alarm=4), r"datapoints_to_alarm must be between 1 and evaluation_periods \(3\), got 4"),
    (threshold(evaluation_periods=0), r"evaluation_periods must be an integer of at least 1, got 0"),
    (threshold(period=45), r"alarms\[0\] \(rejected\).period: Invalid period 45"),
    (threshold(statistic="Median"), r"statistic: Invalid stat 'Median'"),
    (threshold(alarm_actions=["alerts"]), r"alarm_actions: 'alerts' is not an ARN"),
    (threshold(ok_actions=[TOPIC] * 6), r"ok_actions must be a list of at most 5 ARNs"),
    (threshold(tags={"aws:owner": "x"}), r"alarms\[0\] \(rejected\).tags: key 'aws:owner' uses the reserved 'aws:' prefix"),
    (threshold(colour="red"), r"alarms\[0\] has unknown keys \['colour'\]"),
    (threshold(dimensions={"VpcId": ""}), r"dimensions: name and value must be non-empty"),
    (threshold(namespace=None), r"alarms\[0\] \(rejected\).namespace is required"),
    (threshold(kind="band"), r"kind must be one of threshold, anomaly_band"),
    (threshold(name=""), r"alarms\[0\].name must be 1-255 printable characters"),
    (threshold(unit="Parsecs"), r"unit 'Parsecs' is not a CloudWatch unit"),
]


@pytest.mark.parametrize("spec, message", BAD, ids=[case[1][:50] for case in BAD])
def test_bad_input_is_named(spec, message):
    with pytest.raises(ValueError, match=message):
        plan_alarms([], [spec])


def test_bad_lists():
    with pytest.raises(ValueError, match=r"alarms\[1\].name 'rejected' is listed twice"):
        plan_alarms([], [threshold(), threshold()])
    with pytest.raises(ValueError, match="tags: key 'aws:x'"):
        plan_alarms([], {"alarms": [threshold()], "tags": {"aws:x": "1"}})
    with pytest.raises(ValueError, match="state must be present or absent"):
        plan_alarms([], {"alarms": [], "state": "off"})
