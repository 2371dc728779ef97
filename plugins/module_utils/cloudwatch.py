# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared helpers for the CloudWatch modules of netsec.aws_peering.

Pure functions only (no AWS calls), so they can be unit tested directly:

* JSON normalisation used to compare dashboard bodies and alarm metrics,
* dashboard name / body validation,
* console URL building from a region name,
* the anomaly-detection-band alarm model (desired and described views).
"""

from __future__ import annotations

import json
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import partition_of_region

DASHBOARD_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,255}$")

# Widget types documented in "Dashboard body structure and syntax".
DASHBOARD_WIDGET_TYPES = ("alarm", "custom", "explorer", "log", "metric", "text")
DASHBOARD_MAX_WIDGETS = 500
# Grid limits from the same document: 24 columns; height up to 1000 units.
_WIDGET_GRID_LIMITS = {
    "x": (0, 23),
    "y": (0, None),
    "width": (1, 24),
    "height": (1, 1000),
}

STANDARD_STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
# Extended statistics: percentiles (p99, p99.9) and the trimmed/winsorized
# family, either short form (tm99) or range form (TM(10%:90%)), plus IQM.
EXTENDED_STATISTIC_RE = re.compile(
    r"^(?:(?:p|tm|tc|ts|wm)\d{1,2}(?:\.\d{1,10})?"
    r"|(?:TM|TC|TS|WM|PR)\([^()]+\)"
    r"|IQM)$"
)

ANOMALY_COMPARISON_OPERATORS = (
    "GreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
)
TREAT_MISSING_DATA_CHOICES = ("breaching", "notBreaching", "ignore", "missing")

ANOMALY_BAND_RE = re.compile(
    r"^\s*ANOMALY_DETECTION_BAND\s*\(\s*([A-Za-z0-9_]+)\s*(?:,\s*([-+0-9.eE]+)\s*)?\)\s*$"
)

METRIC_QUERY_ID = "m1"
BAND_QUERY_ID = "ad1"


# ---------------------------------------------------------------------------
# Generic normalisation
# ---------------------------------------------------------------------------


def format_number(value):
    """Canonical text for a number: 2 and 2.0 give '2', 1.50 gives '1.5'."""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return repr(number)


def normalize_json(value):
    """Normalise JSON-like data for comparison.

    Dict keys whose value is None are dropped, integral floats become ints
    (1.0 == 1), list order is kept. Key order does not matter to dict equality;
    use :func:`canonical_json` for a sorted, stable text form.
    """
    if isinstance(value, dict):
        return {str(k): normalize_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [normalize_json(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return value
    return value


def canonical_json(value):
    """Compact JSON text with sorted keys of the normalised value."""
    return json.dumps(normalize_json(value), sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------------------
# Dashboards
# ---------------------------------------------------------------------------


def validate_dashboard_name(name):
    """Return an error message, or None when the name is valid."""
    if not isinstance(name, str) or not DASHBOARD_NAME_RE.match(name):
        return (
            f"Invalid dashboard name {name!r}: use 1-255 characters from A-Z, a-z, 0-9, '-' and '_'"
        )
    return None


def parse_dashboard_body(body):
    """Turn the body option (dict or JSON text) into a dict.

    Returns (body, error): exactly one of them is None.
    """
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as exc:
            snippet = body if len(body) <= 80 else body[:77] + "..."
            return None, f"body is not valid JSON ({exc}): {snippet!r}"
    if not isinstance(body, dict):
        return None, f"body must be a dict (or a JSON object string), got {type(body).__name__}: {body!r}"
    return body, None


def _is_integral(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value.is_integer()


def validate_dashboard_body(body):
    """Return a list of error messages (empty when the body is valid).

    ``body`` must already be a dict (see :func:`parse_dashboard_body`).
    """
    errors = []
    widgets = body.get("widgets")
    if not isinstance(widgets, list) or not widgets:
        errors.append(f"body.widgets must be a non-empty list, got {widgets!r}")
        return errors
    if len(widgets) > DASHBOARD_MAX_WIDGETS:
        errors.append(f"body.widgets has {len(widgets)} widgets; a dashboard allows at most {DASHBOARD_MAX_WIDGETS}")
    for index, widget in enumerate(widgets):
        where = f"body.widgets[{index}]"
        if not isinstance(widget, dict):
            errors.append(f"{where} must be a dict, got {type(widget).__name__}: {widget!r}")
            continue
        wtype = widget.get("type")
        if wtype not in DASHBOARD_WIDGET_TYPES:
            errors.append(
                f"{where}.type is {wtype!r}; expected one of {', '.join(DASHBOARD_WIDGET_TYPES)}"
            )
        props = widget.get("properties")
        if not isinstance(props, dict):
            errors.append(f"{where}.properties must be a dict, got {props!r}")
        for key, (low, high) in _WIDGET_GRID_LIMITS.items():
            if key not in widget or widget[key] is None:
                continue
            val = widget[key]
            if not _is_integral(val) or val < low or (high is not None and val > high):
                limit = f"{low}-{high}" if high is not None else f">= {low}"
                errors.append(f"{where}.{key} is {val!r}; expected an integer {limit}")
    return errors


def console_base_url(region):
    """Console base URL for the region, or None when the partition has no public console."""
    if not region:
        return None
    partition = partition_of_region(region)
    if partition == "aws":
        return f"https://{region}.console.aws.amazon.com"
    if partition == "aws-cn":
        return "https://console.amazonaws.cn"
    if partition == "aws-us-gov":
        return "https://console.amazonaws-us-gov.com"
    return None


def dashboard_console_url(region, name):
    """Console URL that opens the dashboard, or None (isolated partitions / no region)."""
    base = console_base_url(region)
    if base is None:
        return None
    return f"{base}/cloudwatch/home?region={region}#dashboards:name={name}"


# ---------------------------------------------------------------------------
# Anomaly detection band alarms
# ---------------------------------------------------------------------------


def validate_period(period):
    """Return an error message or None. Periods: 10, 30 or a positive multiple of 60."""
    if period is None:
        return None
    if period in (10, 30) or (period > 0 and period % 60 == 0):
        return None
    return f"Invalid period {period!r}: use 10, 30 or a positive multiple of 60 (seconds)"


def validate_statistic(stat):
    if stat in STANDARD_STATISTICS or (isinstance(stat, str) and EXTENDED_STATISTIC_RE.match(stat)):
        return None
    return (
        f"Invalid stat {stat!r}: use one of {', '.join(STANDARD_STATISTICS)} "
        "or an extended statistic such as p99, tm90 or TM(10%:90%)"
    )


def band_expression(band_width, metric_id=METRIC_QUERY_ID):
    return f"ANOMALY_DETECTION_BAND({metric_id}, {format_number(band_width)})"


def normalize_expression(expression):
    """Canonical form of a metric math expression (band width formatted consistently)."""
    if expression is None:
        return None
    match = ANOMALY_BAND_RE.match(expression)
    if match:
        metric_id, width = match.groups()
        try:
            return band_expression(2 if width is None else width, metric_id)
        except ValueError:
            pass
    return re.sub(r"\s+", " ", expression.strip())


def band_width_from_metrics(metrics):
    """Band width (float) from a described alarm's metrics, or None."""
    for query in metrics or []:
        match = ANOMALY_BAND_RE.match(query.get("Expression") or "")
        if match:
            try:
                return float(match.group(2)) if match.group(2) is not None else 2.0
            except ValueError:
                return None
    return None


def _prune(value):
    """Drop None / empty values recursively (empty dicts, lists and strings)."""
    if isinstance(value, dict):
        out = {}
        for key, val in value.items():
            val = _prune(val)
            if val is None or val == {} or val == [] or val == "":
                continue
            out[key] = val
        return out
    if isinstance(value, (list, tuple)):
        return [_prune(v) for v in value]
    return value


def normalize_metric_queries(metrics):
    """Normalised MetricDataQuery list: sorted by Id, empty fields dropped,
    numbers canonical, dimensions sorted by name, ReturnData defaulted to True."""
    result = []
    for query in metrics or []:
        query = dict(query)
        if "ReturnData" not in query or query["ReturnData"] is None:
            query["ReturnData"] = True
        if query.get("Expression") is not None:
            query["Expression"] = normalize_expression(query["Expression"])
        stat = query.get("MetricStat")
        if stat:
            stat = dict(stat)
            metric = dict(stat.get("Metric") or {})
            dims = metric.get("Dimensions") or []
            metric["Dimensions"] = sorted(
                ({"Name": d.get("Name"), "Value": d.get("Value")} for d in dims),
                key=lambda d: (d["Name"] or "", d["Value"] or ""),
            )
            stat["Metric"] = metric
            if stat.get("Period") is not None:
                stat["Period"] = int(float(stat["Period"]))
            query["MetricStat"] = stat
        if query.get("Period") is not None:
            query["Period"] = int(float(query["Period"]))
        result.append(normalize_json(_prune(query)))
    return sorted(result, key=lambda q: q.get("Id") or "")


def build_anomaly_metrics(params):
    """The Metrics list sent to PutMetricAlarm for the module's parameters."""
    dimensions = [
        {"Name": str(k), "Value": str(v)} for k, v in sorted((params.get("dimensions") or {}).items())
    ]
    metric = {"Namespace": params["namespace"], "MetricName": params["metric_name"]}
    if dimensions:
        metric["Dimensions"] = dimensions
    metric_stat = {"Metric": metric, "Period": params["period"], "Stat": params["stat"]}
    if params.get("unit"):
        metric_stat["Unit"] = params["unit"]
    label = f"{params['metric_name']} (expected)"
    return [
        {"Id": METRIC_QUERY_ID, "MetricStat": metric_stat, "ReturnData": True},
        {
            "Id": BAND_QUERY_ID,
            "Expression": band_expression(params["band_width"]),
            "Label": label,
            "ReturnData": True,
        },
    ]


def build_put_metric_alarm_request(params):
    """Keyword arguments for PutMetricAlarm (without Tags)."""
    request = {
        "AlarmName": params["name"],
        "ActionsEnabled": params["actions_enabled"],
        "OKActions": list(params.get("ok_actions") or []),
        "AlarmActions": list(params.get("alarm_actions") or []),
        "InsufficientDataActions": list(params.get("insufficient_data_actions") or []),
        "EvaluationPeriods": params["evaluation_periods"],
        "ComparisonOperator": params["comparison_operator"],
        "TreatMissingData": params["treat_missing_data"],
        "Metrics": build_anomaly_metrics(params),
        "ThresholdMetricId": BAND_QUERY_ID,
    }
    if params.get("description"):
        request["AlarmDescription"] = params["description"]
    if params.get("datapoints_to_alarm") is not None:
        request["DatapointsToAlarm"] = params["datapoints_to_alarm"]
    return request


# Fields of a described alarm that PutMetricAlarm sets. Single-metric fields
# (MetricName, Statistic, Threshold...) are included so that a plain alarm of
# the same name shows up as a difference and gets converted.
_ALARM_COMPARED_FIELDS = (
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "ComparisonOperator",
    "TreatMissingData",
    "Metrics",
    "ThresholdMetricId",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "Threshold",
    "EvaluateLowSampleCountPercentile",
)


def normalize_alarm(alarm):
    """Comparable view of a DescribeAlarms MetricAlarm or a PutMetricAlarm request."""
    if not alarm:
        return {}
    view = {}
    for key in _ALARM_COMPARED_FIELDS:
        val = alarm.get(key)
        if key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
            val = sorted(val or [])
        elif key == "Metrics":
            val = normalize_metric_queries(val)
        elif key == "Dimensions":
            val = sorted(
                ({"Name": d.get("Name"), "Value": d.get("Value")} for d in (val or [])),
                key=lambda d: (d["Name"] or "", d["Value"] or ""),
            )
        elif key == "TreatMissingData" and val is None:
            val = "missing"  # the AWS default
        elif key == "ActionsEnabled" and val is None:
            val = True
        view[key] = val
    # DatapointsToAlarm defaults to EvaluationPeriods (an "M out of M" alarm).
    if view.get("DatapointsToAlarm") is None and view.get("EvaluationPeriods") is not None:
        view["DatapointsToAlarm"] = view["EvaluationPeriods"]
    pruned = _prune(view)
    # Keep explicit False / empty action lists meaningful.
    pruned["ActionsEnabled"] = view["ActionsEnabled"]
    for key in ("OKActions", "AlarmActions", "InsufficientDataActions"):
        pruned[key] = view[key]
    return normalize_json(pruned)
