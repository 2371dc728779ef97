"""Unit tests for netsec.aws_peering.cloudwatch_anomaly_alarm (moto in-process)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.module_utils import cloudwatch as cw_utils
from ansible_collections.netsec.aws_peering.plugins.modules import cloudwatch_anomaly_alarm

NAME = "peering-prod-network-in-anomaly"
TOPIC = "arn:aws:sns:us-east-1:123456789012:netsec-alerts"
TOPIC2 = "arn:aws:sns:us-east-1:123456789012:netsec-oncall"


def args(**overrides):
    base = {
        "name": NAME,
        "namespace": "AWS/EC2",
        "metric_name": "NetworkIn",
        "dimensions": {"InstanceId": "i-0123456789abcdef0"},
        "evaluation_periods": 3,
        "datapoints_to_alarm": 2,
        "alarm_actions": [TOPIC],
        "description": "Unusual inbound volume",
    }
    base.update(overrides)
    return base


def client():
    return boto3.client("cloudwatch", region_name="us-east-1")


def described(name=NAME):
    alarms = client().describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarms[0] if alarms else None


def tags_of(name=NAME):
    arn = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}"
    return {t["Key"]: t["Value"] for t in client().list_tags_for_resource(ResourceARN=arn)["Tags"]}


@pytest.fixture
def aws():
    with mock_aws():
        yield


def test_create_writes_anomaly_band_alarm(aws, run_module):
    result = run_module(cloudwatch_anomaly_alarm, args())
    assert result["failed"] is False, result
    assert result["changed"] is True
    alarm = described()
    assert alarm["ThresholdMetricId"] == "ad1"
    assert alarm["ComparisonOperator"] == "GreaterThanUpperThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["EvaluationPeriods"] == 3
    assert alarm["DatapointsToAlarm"] == 2
    assert alarm["AlarmActions"] == [TOPIC]
    assert "Threshold" not in alarm and "MetricName" not in alarm
    metrics = {m["Id"]: m for m in alarm["Metrics"]}
    assert metrics["ad1"]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 2)"
    assert metrics["ad1"]["ReturnData"] is True
    assert metrics["m1"]["ReturnData"] is True
    assert metrics["m1"]["MetricStat"] == {
        "Metric": {
            "Namespace": "AWS/EC2",
            "MetricName": "NetworkIn",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-0123456789abcdef0"}],
        },
        "Period": 300,
        "Stat": "Sum",
    }
    ret = result["alarm"]
    assert ret["alarm_name"] == NAME
    assert ret["alarm_arn"] == f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{NAME}"
    assert ret["threshold_metric_id"] == "ad1"
    assert ret["band_width"] == 2.0
    assert ret["tags"] == {}
    assert {m["id"] for m in ret["metrics"]} == {"m1", "ad1"}


def test_second_run_unchanged(aws, run_module):
    assert run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec"}))["changed"] is True
    stamp = described()["AlarmConfigurationUpdatedTimestamp"]
    again = run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec"}), diff=True)
    assert again["failed"] is False
    assert again["changed"] is False
    assert again["diff"]["before"] == again["diff"]["after"]
    # nothing was re-written
    assert described()["AlarmConfigurationUpdatedTimestamp"] == stamp


def test_idempotent_with_equivalent_input(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args(band_width=2, alarm_actions=[TOPIC, TOPIC2]))
    same = run_module(
        cloudwatch_anomaly_alarm,
        args(band_width=2.0, alarm_actions=[TOPIC2, TOPIC], dimensions={"InstanceId": "i-0123456789abcdef0"}),
    )
    assert same["changed"] is False


def test_idempotent_when_written_by_someone_else(aws, run_module):
    """An alarm written with '2.0', another query order and no DatapointsToAlarm still matches."""
    client().put_metric_alarm(
        AlarmName=NAME,
        ComparisonOperator="GreaterThanUpperThreshold",
        EvaluationPeriods=3,
        TreatMissingData="notBreaching",
        Metrics=[
            {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND( m1 , 2.0 )", "Label": "NetworkIn (expected)"},
            {
                "Id": "m1",
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/EC2", "MetricName": "NetworkIn", "Dimensions": []},
                    "Period": 300,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            },
        ],
        ThresholdMetricId="ad1",
    )
    result = run_module(
        cloudwatch_anomaly_alarm,
        args(dimensions=None, datapoints_to_alarm=3, alarm_actions=[], description=None),
    )
    assert result["failed"] is False
    assert result["changed"] is False


UPDATES = [
    ("band", {"band_width": 3}, lambda a: "ANOMALY_DETECTION_BAND(m1, 3)" in str(a["Metrics"])),
    ("band-float", {"band_width": 2.5}, lambda a: "ANOMALY_DETECTION_BAND(m1, 2.5)" in str(a["Metrics"])),
    (
        "operator",
        {"comparison_operator": "LessThanLowerOrGreaterThanUpperThreshold"},
        lambda a: a["ComparisonOperator"] == "LessThanLowerOrGreaterThanUpperThreshold",
    ),
    ("period", {"period": 60}, lambda a: a["Metrics"][0]["MetricStat"]["Period"] == 60),
    ("stat", {"stat": "p99"}, lambda a: a["Metrics"][0]["MetricStat"]["Stat"] == "p99"),
    ("evaluation", {"evaluation_periods": 5}, lambda a: a["EvaluationPeriods"] == 5),
    ("datapoints", {"datapoints_to_alarm": 3}, lambda a: a["DatapointsToAlarm"] == 3),
    ("missing", {"treat_missing_data": "breaching"}, lambda a: a["TreatMissingData"] == "breaching"),
    ("description", {"description": "new text"}, lambda a: a["AlarmDescription"] == "new text"),
    ("actions-enabled", {"actions_enabled": False}, lambda a: a["ActionsEnabled"] is False),
    (
        "dimensions",
        {"dimensions": {"InstanceId": "i-0fedcba9876543210"}},
        lambda a: a["Metrics"][0]["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == "i-0fedcba9876543210",
    ),
]


def test_update_detected_and_applied(aws, run_module):
    """Each field change on its own is detected and written; the end state is then stable."""
    run_module(cloudwatch_anomaly_alarm, args())
    current = args()
    for label, change, check in UPDATES:
        current.update(change)
        result = run_module(cloudwatch_anomaly_alarm, current)
        assert result["failed"] is False, (label, result)
        assert result["changed"] is True, label
        alarm = described()
        alarm["Metrics"] = sorted(alarm["Metrics"], key=lambda m: m["Id"] != "m1")
        assert check(alarm), label
    assert run_module(cloudwatch_anomaly_alarm, current)["changed"] is False


def test_band_width_diff(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args())
    result = run_module(cloudwatch_anomaly_alarm, args(band_width=3), diff=True)
    before = {m["Id"]: m for m in result["diff"]["before"]["Metrics"]}
    after = {m["Id"]: m for m in result["diff"]["after"]["Metrics"]}
    assert before["ad1"]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 2)"
    assert after["ad1"]["Expression"] == "ANOMALY_DETECTION_BAND(m1, 3)"
    assert result["alarm"]["band_width"] == 3.0


def test_actions_change(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args())
    result = run_module(
        cloudwatch_anomaly_alarm, args(alarm_actions=[TOPIC2], ok_actions=[TOPIC], insufficient_data_actions=[TOPIC])
    )
    assert result["changed"] is True
    alarm = described()
    assert alarm["AlarmActions"] == [TOPIC2]
    assert alarm["OKActions"] == [TOPIC]
    assert alarm["InsufficientDataActions"] == [TOPIC]
    assert result["alarm"]["ok_actions"] == [TOPIC]
    # removing all actions is a change too
    cleared = run_module(cloudwatch_anomaly_alarm, args(alarm_actions=[]))
    assert cleared["changed"] is True
    assert described()["AlarmActions"] == []
    assert described()["OKActions"] == []


def test_tags(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec", "env": "prod"}))
    assert tags_of() == {"team": "netsec", "env": "prod"}

    # tags omitted: left alone
    assert run_module(cloudwatch_anomaly_alarm, args())["changed"] is False
    assert tags_of() == {"team": "netsec", "env": "prod"}

    # add without purge
    added = run_module(cloudwatch_anomaly_alarm, args(tags={"owner": "sec"}, purge_tags=False))
    assert added["changed"] is True
    assert tags_of() == {"team": "netsec", "env": "prod", "owner": "sec"}
    assert added["alarm"]["tags"] == {"team": "netsec", "env": "prod", "owner": "sec"}

    # change a value and purge the rest
    stamp = described()["AlarmConfigurationUpdatedTimestamp"]
    purged = run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec-2"}), diff=True)
    assert purged["changed"] is True
    assert tags_of() == {"team": "netsec-2"}
    assert purged["diff"]["before"]["Tags"] == {"env": "prod", "owner": "sec", "team": "netsec"}
    assert purged["diff"]["after"]["Tags"] == {"team": "netsec-2"}
    # a tag-only change does not rewrite the alarm
    assert described()["AlarmConfigurationUpdatedTimestamp"] == stamp

    assert run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec-2"}))["changed"] is False
    assert run_module(cloudwatch_anomaly_alarm, args(tags={}))["changed"] is True
    assert tags_of() == {}


def test_recreated_alarm_gets_exactly_requested_tags(aws, run_module):
    """The emulator keeps tags of a deleted alarm; a re-created one must still end up exact."""
    run_module(cloudwatch_anomaly_alarm, args(tags={"old": "1"}))
    run_module(cloudwatch_anomaly_alarm, {"name": NAME, "state": "absent"})
    result = run_module(cloudwatch_anomaly_alarm, args(tags={"new": "2"}))
    assert result["changed"] is True
    assert tags_of() == {"new": "2"}
    assert result["alarm"]["tags"] == {"new": "2"}


def test_check_mode_create(aws, run_module):
    result = run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec"}), check_mode=True, diff=True)
    assert result["failed"] is False
    assert result["changed"] is True
    assert described() is None
    assert result["alarm"]["alarm_name"] == NAME
    assert result["alarm"]["threshold_metric_id"] == "ad1"
    assert result["alarm"]["tags"] == {"team": "netsec"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["ThresholdMetricId"] == "ad1"
    assert result["diff"]["after"]["Tags"] == {"team": "netsec"}


def test_check_mode_update_and_delete(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args(tags={"team": "netsec"}))
    update = run_module(cloudwatch_anomaly_alarm, args(band_width=4, tags={"team": "x"}), check_mode=True)
    assert update["changed"] is True
    assert update["alarm"]["band_width"] == 4.0
    assert "ANOMALY_DETECTION_BAND(m1, 2)" in str(described()["Metrics"])
    assert tags_of() == {"team": "netsec"}

    delete = run_module(cloudwatch_anomaly_alarm, {"name": NAME, "state": "absent"}, check_mode=True)
    assert delete["changed"] is True
    assert described() is not None


def test_check_mode_no_change(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args())
    result = run_module(cloudwatch_anomaly_alarm, args(), check_mode=True)
    assert result["changed"] is False


def test_converts_plain_threshold_alarm(aws, run_module):
    client().put_metric_alarm(
        AlarmName=NAME,
        MetricName="NetworkIn",
        Namespace="AWS/EC2",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=3,
        Threshold=100.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    result = run_module(cloudwatch_anomaly_alarm, args())
    assert result["changed"] is True
    alarm = described()
    assert alarm["ThresholdMetricId"] == "ad1"
    assert "MetricName" not in alarm
    assert run_module(cloudwatch_anomaly_alarm, args())["changed"] is False


def test_delete_idempotent(aws, run_module):
    run_module(cloudwatch_anomaly_alarm, args())
    deleted = run_module(cloudwatch_anomaly_alarm, {"name": NAME, "state": "absent"}, diff=True)
    assert deleted["changed"] is True
    assert deleted["alarm"] == {}
    assert deleted["diff"]["after"] == {}
    assert deleted["diff"]["before"]["ThresholdMetricId"] == "ad1"
    assert described() is None
    again = run_module(cloudwatch_anomaly_alarm, {"name": NAME, "state": "absent"})
    assert again["failed"] is False
    assert again["changed"] is False


@pytest.mark.parametrize(
    "bad, needle",
    [
        pytest.param({"period": 45}, "45", id="period-45"),
        pytest.param({"period": 90}, "90", id="period-90"),
        pytest.param({"period": 0}, "period", id="period-0"),
        pytest.param({"band_width": 0}, "band_width", id="band-zero"),
        pytest.param({"band_width": -1.5}, "-1.5", id="band-negative"),
        pytest.param({"stat": "Median"}, "'Median'", id="stat"),
        pytest.param({"evaluation_periods": 0}, "evaluation_periods", id="evaluation-zero"),
        pytest.param({"datapoints_to_alarm": 4}, "datapoints_to_alarm", id="datapoints-gt-evaluation"),
        pytest.param({"alarm_actions": ["sns-topic-name"]}, "'sns-topic-name'", id="action-not-arn"),
        pytest.param({"ok_actions": [TOPIC] * 6}, "ok_actions", id="too-many-actions"),
        pytest.param({"namespace": ""}, "namespace", id="empty-namespace"),
        pytest.param({"name": "x" * 256}, "name", id="long-name"),
        pytest.param({"dimensions": {"InstanceId": ""}}, "'InstanceId'", id="empty-dimension"),
        pytest.param({"tags": {"aws:owner": "x"}}, "'aws:owner'", id="reserved-tag"),
        pytest.param({"comparison_operator": "GreaterThanThreshold"}, "GreaterThanThreshold", id="operator"),
    ],
)
def test_bad_input_fails_before_writing(aws, run_module, bad, needle):
    result = run_module(cloudwatch_anomaly_alarm, args(**bad))
    assert result["failed"] is True
    assert needle in result["msg"]
    assert client().describe_alarms()["MetricAlarms"] == []


def test_metric_required_when_present(aws, run_module):
    result = run_module(cloudwatch_anomaly_alarm, {"name": NAME})
    assert result["failed"] is True
    assert "metric_name" in result["msg"] and "namespace" in result["msg"]


@pytest.mark.parametrize("period", [10, 30, 60, 120, 3600])
def test_valid_periods(period):
    assert cw_utils.validate_period(period) is None


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("ANOMALY_DETECTION_BAND(m1, 2)", "ANOMALY_DETECTION_BAND(m1, 2)"),
        ("ANOMALY_DETECTION_BAND(m1,2.0)", "ANOMALY_DETECTION_BAND(m1, 2)"),
        ("ANOMALY_DETECTION_BAND( m1 , 1.50 )", "ANOMALY_DETECTION_BAND(m1, 1.5)"),
        ("ANOMALY_DETECTION_BAND(m1)", "ANOMALY_DETECTION_BAND(m1, 2)"),
        ("  m1 *   2 ", "m1 * 2"),
    ],
)
def test_expression_normalisation(expression, expected):
    assert cw_utils.normalize_expression(expression) == expected
