"""Unit tests for netsec.aws_peering.cloudwatch_alarms (moto in-process)."""

from __future__ import annotations

import boto3
import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import plan_alarms
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_alarms
from ansible_collections.netsec.aws_peering.plugins.modules import cloudwatch_alarms

TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts-trading-sandbox"
ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"
BASE_TAGS = {"ManagedBy": "netsec.aws_peering", "Network": "trading"}


def alarm_list():
    return [
        {"name": "rejected-flows-trading-sandbox", "namespace": "NetSec/Peering", "metric_name": "RejectedFlows-trading-sandbox",
         "statistic": "Sum", "period": 300, "evaluation_periods": 1, "comparison_operator": "GreaterThanThreshold",
         "threshold": 10, "treat_missing_data": "notBreaching", "alarm_actions": [TOPIC], "ok_actions": [TOPIC],
         "description": "More than 10 rejected flows", "tags": {"Name": "rejected-flows-trading-sandbox"}},
        {"name": "nonwhitelisted-ports-trading-sandbox", "namespace": "NetSec/Peering",
         "metric_name": "NonWhitelistedPortAttempts-trading-sandbox", "comparison_operator": "GreaterThanOrEqualToThreshold",
         "threshold": 1, "treat_missing_data": "notBreaching", "alarm_actions": [TOPIC], "ok_actions": [TOPIC],
         "tags": {"Name": "nonwhitelisted-ports-trading-sandbox"}},
        {"name": "traffic-anomaly-trading-sandbox", "kind": "anomaly_band", "namespace": "NetSec/Peering",
         "metric_name": "PeeringBytes-trading-sandbox", "band_width": 2, "comparison_operator": "LessThanLowerOrGreaterThanUpperThreshold",
         "evaluation_periods": 3, "datapoints_to_alarm": 2, "treat_missing_data": "notBreaching",
         "alarm_actions": [TOPIC], "ok_actions": [TOPIC], "tags": {"Name": "traffic-anomaly-trading-sandbox"}},
    ]


NAMES = [a["name"] for a in alarm_list()]


def args(**overrides):
    base = {"alarms": alarm_list(), "tags": dict(BASE_TAGS), "purge_tags": True}
    base.update(overrides)
    return base


def client():
    return boto3.client("cloudwatch", region_name="us-east-1")


def alarm(name):
    found = client().describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found[0] if found else None


def tags_of(name):
    return {t["Key"]: t["Value"] for t in client().list_tags_for_resource(ResourceARN=ARN + name)["Tags"]}


def test_create_threshold_and_band_alarms_with_tags(aws, run_module, api_calls):
    result = run_module(cloudwatch_alarms, args())
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert [(c["resource"], c["action"]) for c in result["changes"]] == [(f"alarm {n}", "create") for n in NAMES]
    # Tagged on creation: one PutMetricAlarm each, no TagResource.
    assert api_calls.writes() == ["PutMetricAlarm"] * 3
    plain = alarm(NAMES[0])
    assert (plain["Threshold"], plain["ComparisonOperator"], plain["Statistic"], plain["Period"]) == (10.0, "GreaterThanThreshold", "Sum", 300)
    assert plain["TreatMissingData"] == "notBreaching" and plain["AlarmActions"] == [TOPIC]
    band = alarm(NAMES[2])
    assert band["ThresholdMetricId"] == "ad1"
    assert {m["Id"]: m.get("Expression") for m in band["Metrics"]} == {"m1": None, "ad1": "ANOMALY_DETECTION_BAND(m1, 2)"}
    for name in NAMES:
        assert tags_of(name) == dict(BASE_TAGS, Name=name)
    # The new state in discovery's shape, with tags.
    assert [a["AlarmName"] for a in result["alarms"]] == sorted(NAMES)
    assert all(isinstance(a["Tags"], list) for a in result["alarms"])


def test_second_run_changes_nothing_and_writes_nothing(aws, run_module, api_calls):
    run_module(cloudwatch_alarms, args())
    stamp = alarm(NAMES[2])["AlarmConfigurationUpdatedTimestamp"]
    api_calls.clear()
    again = run_module(cloudwatch_alarms, args(), diff=True)
    assert again["failed"] is False
    assert again["changed"] is False and again["changes"] == []
    assert api_calls.writes() == []
    assert again["diff"]["before"] == again["diff"]["after"]
    assert alarm(NAMES[2])["AlarmConfigurationUpdatedTimestamp"] == stamp


def test_discovery_and_the_module_agree(aws, run_module):
    run_module(cloudwatch_alarms, args())
    described = describe_alarms(client(), NAMES)
    assert plan_alarms(described, args()) == []


def test_check_mode_writes_nothing(aws, run_module, api_calls):
    result = run_module(cloudwatch_alarms, args(), check_mode=True, diff=True)
    assert result["changed"] is True and len(result["changes"]) == 3
    assert api_calls.writes() == []
    assert all(alarm(n) is None for n in NAMES)
    assert result["diff"]["before"] == {} and sorted(result["diff"]["after"]) == sorted(NAMES)
    assert result["diff"]["after"][NAMES[0]]["Tags"] == dict(BASE_TAGS, Name=NAMES[0])


def test_changed_threshold_is_repaired(aws, run_module, api_calls):
    run_module(cloudwatch_alarms, args())
    client().put_metric_alarm(AlarmName=NAMES[0], MetricName="RejectedFlows-trading-sandbox", Namespace="NetSec/Peering",
                              Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=50, ComparisonOperator="GreaterThanThreshold",
                              TreatMissingData="notBreaching", AlarmActions=[TOPIC], OKActions=[TOPIC],
                              AlarmDescription="More than 10 rejected flows")
    api_calls.clear()
    result = run_module(cloudwatch_alarms, args(), diff=True)
    assert result["changes"] == [{"resource": f"alarm {NAMES[0]}", "action": "update", "field": "Threshold", "before": 50, "after": 10}]
    assert api_calls.writes() == ["PutMetricAlarm"]
    assert alarm(NAMES[0])["Threshold"] == 10.0
    assert result["diff"]["before"][NAMES[0]]["Threshold"] == 50 and result["diff"]["after"][NAMES[0]]["Threshold"] == 10
    # PutMetricAlarm on an update does not carry Tags: they are unchanged.
    assert tags_of(NAMES[0]) == dict(BASE_TAGS, Name=NAMES[0])


def test_changed_band_is_repaired(aws, run_module):
    run_module(cloudwatch_alarms, args())
    alarms = alarm_list()
    alarms[2]["band_width"] = 3
    result = run_module(cloudwatch_alarms, args(alarms=alarms))
    assert [(c["resource"], c["field"]) for c in result["changes"]] == [(f"alarm {NAMES[2]}", "Metrics")]
    assert "ANOMALY_DETECTION_BAND(m1, 3)" in str(alarm(NAMES[2])["Metrics"])


def test_missing_and_extra_tags_are_repaired(aws, run_module, api_calls):
    run_module(cloudwatch_alarms, args())
    client().untag_resource(ResourceARN=ARN + NAMES[1], TagKeys=["Network"])
    client().tag_resource(ResourceARN=ARN + NAMES[1], Tags=[{"Key": "Stray", "Value": "x"}])
    api_calls.clear()
    result = run_module(cloudwatch_alarms, args())
    assert [(c["resource"], c["field"]) for c in result["changes"]] == [(f"alarm {NAMES[1]}", "Tags")]
    assert sorted(api_calls.writes()) == ["TagResource", "UntagResource"]
    assert tags_of(NAMES[1]) == dict(BASE_TAGS, Name=NAMES[1])


def test_without_purge_extra_tags_stay(aws, run_module):
    run_module(cloudwatch_alarms, args())
    client().tag_resource(ResourceARN=ARN + NAMES[0], Tags=[{"Key": "Stray", "Value": "x"}])
    result = run_module(cloudwatch_alarms, args(purge_tags=False))
    assert result["changed"] is False
    assert tags_of(NAMES[0])["Stray"] == "x"


def test_absent_deletes_the_listed_alarms(aws, run_module, api_calls):
    run_module(cloudwatch_alarms, args())
    api_calls.clear()
    result = run_module(cloudwatch_alarms, {"alarms": [{"name": n} for n in NAMES[:2]] + [{"name": "never-there"}], "state": "absent"},
                        diff=True)
    assert [(c["resource"], c["action"]) for c in result["changes"]] == [(f"alarm {n}", "delete") for n in NAMES[:2]]
    assert api_calls.writes() == ["DeleteAlarms"]
    assert alarm(NAMES[0]) is None and alarm(NAMES[2]) is not None
    assert sorted(result["diff"]["before"]) == sorted(NAMES[:2]) and result["diff"]["after"] == {}
    again = run_module(cloudwatch_alarms, {"alarms": [{"name": n} for n in NAMES[:2]], "state": "absent"})
    assert again["changed"] is False


def test_recreated_alarm_loses_the_emulators_leftover_tags(aws, run_module):
    """moto keeps a deleted alarm's tags on its ARN; the module removes the extra ones in the same run."""
    run_module(cloudwatch_alarms, args())
    client().tag_resource(ResourceARN=ARN + NAMES[0], Tags=[{"Key": "Stray", "Value": "x"}])
    run_module(cloudwatch_alarms, {"alarms": [{"name": NAMES[0]}], "state": "absent"})
    result = run_module(cloudwatch_alarms, args())
    assert result["changed"] is True
    assert tags_of(NAMES[0]) == dict(BASE_TAGS, Name=NAMES[0])
    assert run_module(cloudwatch_alarms, args())["changed"] is False


BAD = [
    (lambda a: a[0].update(threshold=None), "alarms[0] (rejected-flows-trading-sandbox).threshold must be a number"),
    (lambda a: a[2].update(band_width=-1), "alarms[2] (traffic-anomaly-trading-sandbox).band_width must be greater than 0"),
    (lambda a: a[1].update(period=45), "alarms[1] (nonwhitelisted-ports-trading-sandbox).period: Invalid period 45"),
    (lambda a: a[0].update(alarm_actions=["alerts"]), "alarms[0] (rejected-flows-trading-sandbox).alarm_actions: 'alerts' is not an ARN"),
    (lambda a: a[0].update(tags={"aws:x": "1"}), "alarms[0] (rejected-flows-trading-sandbox).tags: key 'aws:x' uses the reserved"),
    (lambda a: a.append(dict(a[0])), "alarms[3].name 'rejected-flows-trading-sandbox' is listed twice"),
]


@pytest.mark.parametrize("mutate, message", BAD, ids=[case[1][:40] for case in BAD])
def test_bad_input_is_named_before_any_call(aws, run_module, api_calls, mutate, message):
    alarms = alarm_list()
    mutate(alarms)
    result = run_module(cloudwatch_alarms, args(alarms=alarms))
    assert result["failed"] is True
    assert message in result["msg"]
    assert api_calls == []


def test_an_unknown_option_is_refused(aws, run_module):
    alarms = alarm_list()
    alarms[0]["colour"] = "red"
    result = run_module(cloudwatch_alarms, args(alarms=alarms))
    assert result["failed"] is True and "colour" in result["msg"]
