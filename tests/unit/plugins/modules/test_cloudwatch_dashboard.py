"""Unit tests for netsec.aws_peering.cloudwatch_dashboard (moto in-process)."""

from __future__ import annotations

import json

import boto3
import pytest

from ansible_collections.netsec.aws_peering.plugins.modules import cloudwatch_dashboard
from ansible_collections.netsec.aws_peering.plugins.module_utils import cloudwatch as cw_utils

NAME = "peering-prod"


def body(markdown="# Peering", period=300, title="Traffic"):
    return {
        "widgets": [
            {
                "type": "metric",
                "x": 0,
                "y": 0,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": title,
                    "region": "us-east-1",
                    "stat": "Sum",
                    "period": period,
                    "metrics": [["AWS/EC2", "NetworkIn"], ["AWS/EC2", "NetworkOut"]],
                },
            },
            {"type": "text", "x": 12, "y": 0, "width": 12, "height": 6, "properties": {"markdown": markdown}},
        ]
    }


def client(region="us-east-1"):
    return boto3.client("cloudwatch", region_name=region)


def stored_body(name=NAME, region="us-east-1"):
    return json.loads(client(region).get_dashboard(DashboardName=name)["DashboardBody"])


def names(region="us-east-1"):
    return [d["DashboardName"] for d in client(region).list_dashboards()["DashboardEntries"]]


def test_create_then_unchanged(aws, run_module):
    first = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    assert first["failed"] is False, first
    assert first["changed"] is True
    assert stored_body() == body()
    assert first["dashboard"]["name"] == NAME
    assert first["dashboard"]["body"] == body()
    assert first["dashboard_arn"] == f"arn:aws:cloudwatch::123456789012:dashboard/{NAME}"
    assert first["dashboard"]["arn"] == first["dashboard_arn"]

    second = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    assert second["failed"] is False
    assert second["changed"] is False
    assert second["dashboard_arn"] == first["dashboard_arn"]


def _reorder(value):
    """Same data, keys in reverse order at every level."""
    if isinstance(value, dict):
        return {k: _reorder(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reorder(v) for v in value]
    return value


def _floats(value):
    """Same data with every int written as a float (1 -> 1.0)."""
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _with_nulls(value):
    out = json.loads(json.dumps(value))
    out["widgets"][0]["properties"]["annotations"] = None
    out["widgets"][1]["properties"]["background"] = None
    return out


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(_reorder, id="key-order"),
        pytest.param(_floats, id="int-vs-float"),
        pytest.param(json.dumps, id="json-string"),
        pytest.param(lambda b: json.dumps(_reorder(_floats(b)), indent=4), id="json-string-reordered-floats"),
        pytest.param(_with_nulls, id="null-keys-dropped"),
    ],
)
def test_normalisation_no_change(aws, run_module, variant):
    assert run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})["changed"] is True
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": variant(body())})
    assert result["failed"] is False, result
    assert result["changed"] is False


def test_normalisation_when_stored_body_differs_in_form(aws, run_module):
    """A body written by someone else (floats, other key order, spaces) still compares equal."""
    client().put_dashboard(DashboardName=NAME, DashboardBody=json.dumps(_reorder(_floats(body())), indent=2))
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    assert result["changed"] is False


def test_list_order_is_significant(aws, run_module):
    run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    swapped = body()
    swapped["widgets"].reverse()
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": swapped})
    assert result["changed"] is True
    assert stored_body()["widgets"][0]["type"] == "text"


def test_real_change_detected_and_applied(aws, run_module):
    run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body(period=60)}, diff=True)
    assert result["changed"] is True
    assert stored_body()["widgets"][0]["properties"]["period"] == 60
    assert result["diff"]["before"]["widgets"][0]["properties"]["period"] == 300
    assert result["diff"]["after"]["widgets"][0]["properties"]["period"] == 60
    again = run_module(cloudwatch_dashboard, {"name": NAME, "body": body(period=60)})
    assert again["changed"] is False


def test_check_mode_create_writes_nothing(aws, run_module):
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()}, check_mode=True, diff=True)
    assert result["failed"] is False
    assert result["changed"] is True
    assert names() == []
    assert result["dashboard_arn"] is None
    assert result["diff"] == {"before": {}, "after": body()}


def test_check_mode_update_writes_nothing(aws, run_module):
    run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body(markdown="# new")}, check_mode=True)
    assert result["changed"] is True
    assert stored_body() == body()
    assert result["dashboard"]["body"]["widgets"][1]["properties"]["markdown"] == "# new"


def test_check_mode_delete_writes_nothing(aws, run_module):
    run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    result = run_module(cloudwatch_dashboard, {"name": NAME, "state": "absent"}, check_mode=True)
    assert result["changed"] is True
    assert names() == [NAME]


def test_diff_on_create_and_no_change(aws, run_module):
    created = run_module(cloudwatch_dashboard, {"name": NAME, "body": json.dumps(body())}, diff=True)
    assert created["diff"] == {"before": {}, "after": body()}
    same = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()}, diff=True)
    assert same["changed"] is False
    assert same["diff"]["before"] == same["diff"]["after"] == body()


def test_delete_idempotent(aws, run_module):
    run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    run_module(cloudwatch_dashboard, {"name": "other", "body": body()})
    deleted = run_module(cloudwatch_dashboard, {"name": NAME, "state": "absent"}, diff=True)
    assert deleted["changed"] is True
    assert deleted["diff"] == {"before": body(), "after": {}}
    assert names() == ["other"]
    again = run_module(cloudwatch_dashboard, {"name": NAME, "state": "absent"})
    assert again["failed"] is False
    assert again["changed"] is False
    assert names() == ["other"]


@pytest.mark.parametrize(
    "bad_name",
    ["", "has space", "semi;colon", "dot.name", "x" * 256, "ümlaut"],
)
def test_bad_names_fail(aws, run_module, bad_name):
    result = run_module(cloudwatch_dashboard, {"name": bad_name, "body": body()})
    assert result["failed"] is True
    assert repr(bad_name) in result["msg"]
    assert names() == []


def test_longest_name_accepted(aws, run_module):
    result = run_module(cloudwatch_dashboard, {"name": "A-z_9" * 51, "body": body()})
    assert result["failed"] is False
    assert result["changed"] is True


@pytest.mark.parametrize(
    "bad_body, needle",
    [
        pytest.param("{not json", "not valid JSON", id="invalid-json"),
        pytest.param(["widgets"], "list", id="list-body"),
        pytest.param({}, "widgets", id="no-widgets"),
        pytest.param({"widgets": []}, "non-empty", id="empty-widgets"),
        pytest.param({"widgets": "text"}, "'text'", id="widgets-not-list"),
        pytest.param(
            {"widgets": [{"type": "text", "properties": {"markdown": "x"}}, {"type": "graph", "properties": {}}]},
            "widgets[1].type is 'graph'",
            id="bad-type-index-1",
        ),
        pytest.param({"widgets": [{"type": "metric"}]}, "widgets[0].properties", id="no-properties"),
        pytest.param(
            {"widgets": [{"type": "text", "properties": "markdown"}]}, "'markdown'", id="properties-not-dict"
        ),
        pytest.param({"widgets": ["text"]}, "widgets[0] must be a dict", id="widget-not-dict"),
        pytest.param(
            {"widgets": [{"type": "text", "width": 30, "properties": {}}]}, "widgets[0].width is 30", id="too-wide"
        ),
    ],
)
def test_bad_bodies_fail(aws, run_module, bad_body, needle):
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": bad_body})
    assert result["failed"] is True
    assert needle in result["msg"]
    assert names() == []


def test_bad_body_does_not_touch_existing(aws, run_module):
    run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": {"widgets": [{"type": "nope", "properties": {}}]}})
    assert result["failed"] is True
    assert "'nope'" in result["msg"]
    assert stored_body() == body()


def test_body_required_when_present(aws, run_module):
    result = run_module(cloudwatch_dashboard, {"name": NAME})
    assert result["failed"] is True
    assert "body" in result["msg"]


@pytest.mark.parametrize(
    "region, url",
    [
        ("us-east-2", "https://us-east-2.console.aws.amazon.com/cloudwatch/home?region=us-east-2#dashboards:name=" + NAME),
        ("eu-west-1", "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=" + NAME),
        ("cn-north-1", "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#dashboards:name=" + NAME),
        (
            "us-gov-west-1",
            "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#dashboards:name=" + NAME,
        ),
    ],
)
def test_dashboard_url_per_region(aws, run_module, region, url):
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body(), "region": region})
    assert result["failed"] is False, result
    assert result["dashboard_url"] == url
    partition = cw_utils.partition_of_region(region)
    assert result["dashboard_arn"] == f"arn:{partition}:cloudwatch::123456789012:dashboard/{NAME}"
    assert names(region) == [NAME]


def test_console_url_helper_isolated_partition():
    assert cw_utils.dashboard_console_url("us-iso-east-1", NAME) is None
    assert cw_utils.dashboard_console_url(None, NAME) is None
    assert cw_utils.partition_of_region("ap-southeast-2") == "aws"


def test_validation_messages_become_warnings(aws, run_module, monkeypatch):
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    original = CloudWatchResponse.put_dashboard

    def put_with_messages(self):
        original(self)
        return ActionResult(
            {"DashboardValidationMessages": [{"DataPath": "/widgets/0/properties/foo", "Message": "unknown field"}]}
        )

    monkeypatch.setattr(CloudWatchResponse, "put_dashboard", put_with_messages)
    warnings = []
    monkeypatch.setattr(cloudwatch_dashboard.AnsibleAWSModule, "warn", lambda self, msg: warnings.append(msg))
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    assert result["failed"] is False
    assert result["changed"] is True
    assert result["validation_messages"] == [{"data_path": "/widgets/0/properties/foo", "message": "unknown field"}]
    assert any("/widgets/0/properties/foo" in w and "unknown field" in w for w in warnings)


def test_validation_error_fails(aws, run_module, monkeypatch):
    from moto.cloudwatch.exceptions import DashboardInvalidInputError
    from moto.cloudwatch.responses import CloudWatchResponse

    def rejecting(self):
        exc = DashboardInvalidInputError("The field DashboardBody must be a valid JSON object")
        exc.dashboardValidationMessages = [{"DataPath": "/widgets/0", "Message": "bad widget"}]
        raise exc

    monkeypatch.setattr(CloudWatchResponse, "put_dashboard", rejecting)
    result = run_module(cloudwatch_dashboard, {"name": NAME, "body": body()})
    assert result["failed"] is True
    assert NAME in result["msg"]
    assert "rejected" in result["msg"]
    assert "/widgets/0: bad widget" in result["msg"]
    assert result["validation_messages"] == [{"data_path": "/widgets/0", "message": "bad widget"}]
    assert names() == []


def test_normalize_json_table():
    table = [
        ({"b": 1, "a": 2.0}, {"a": 2, "b": 1}),
        ({"a": None, "b": [1.0, None, 2.5]}, {"b": [1, None, 2.5]}),
        ({"flag": True, "n": 0.0}, {"flag": True, "n": 0}),
        ([3, 1, 2], [3, 1, 2]),
    ]
    for raw, expected in table:
        assert cw_utils.normalize_json(raw) == expected
    assert cw_utils.canonical_json({"b": 1.0, "a": {"d": None, "c": 1}}) == '{"a":{"c":1},"b":1}'
    # True must stay a boolean, not become 1
    assert cw_utils.canonical_json({"x": True}) == '{"x":true}'
