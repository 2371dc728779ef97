# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch metric alarms, plain threshold or anomaly band, as a set: validation and the plan.

Pure functions (no AWS calls), shared by the module ``cloudwatch_alarms`` and the controller's
filters. The anomaly band alarm's request and the
comparison of a described alarm with a request come from ``module_utils/cloudwatch.py``.

``current_alarms`` is what ``discovery.describe_alarms`` returns (DescribeAlarms ``MetricAlarms``
with ``Tags``); the wanted alarms are the module's options (snake_case). The tag helpers
(:func:`plan_tags`, :func:`tag_writes`, :func:`wanted_tags`) are shared with ``event_rules``.
"""

from __future__ import annotations

import math
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change
from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import field_updates
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import ANOMALY_COMPARISON_OPERATORS
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import STANDARD_STATISTICS
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import TREAT_MISSING_DATA_CHOICES
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import build_put_metric_alarm_request
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import normalize_alarm
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import validate_period
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import validate_statistic
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import checked_spec
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import desired_set
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict

KINDS = ("threshold", "anomaly_band")
THRESHOLD_COMPARISON_OPERATORS = (
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
)
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)
ACTION_KEYS = ("alarm_actions", "ok_actions", "insufficient_data_actions")
MAX_ACTIONS = 5
MAX_DIMENSIONS = 30
MAX_TAGS = 50
ALARM_KEYS = frozenset((
    "name", "kind", "namespace", "metric_name", "dimensions", "statistic", "period", "unit", "threshold",
    "band_width", "comparison_operator", "evaluation_periods", "datapoints_to_alarm", "treat_missing_data",
    "alarm_actions", "ok_actions", "insufficient_data_actions", "description", "actions_enabled", "tags",
))
TAG_KEY_RE = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")


# ---------------------------------------------------------------------------
# Tags (alarms and EventBridge rules)
# ---------------------------------------------------------------------------


def validate_tags(tags, where):
    """A tag dict with string values; ValueError naming ``where`` on a bad or reserved (aws:) key."""
    if tags is None:
        return None
    if not isinstance(tags, dict):
        raise ValueError(f"{where} must be a dict of tag keys to values, got {tags!r}")
    out = {}
    for key, value in tags.items():
        key = str(key)
        if key.lower().startswith("aws:"):
            raise ValueError(f"{where}: key {key!r} uses the reserved 'aws:' prefix")
        if not TAG_KEY_RE.match(key):
            raise ValueError(f"{where}: key {key!r} must be 1-128 letters, digits, spaces or _ . : / = + - @")
        if value is None or isinstance(value, (dict, list)) or len(str(value)) > 256:
            raise ValueError(f"{where}: value of {key!r} must be a string of at most 256 characters, got {value!r}")
        out[key] = str(value)
    if len(out) > MAX_TAGS:
        raise ValueError(f"{where} has {len(out)} tags; at most {MAX_TAGS} are allowed")
    return out


def wanted_tags(common, own, where):
    """Tags of one resource: the module's ``tags`` with the resource's own on top; None when neither is set."""
    common = validate_tags(common, "tags")
    own = validate_tags(own, f"{where}.tags")
    if common is None and own is None:
        return None
    return {**(common or {}), **(own or {})}


def final_tags(current, desired, purge):
    """The tags a resource ends with: ``aws:`` tags are never touched, others purged when asked."""
    current = tag_dict(current)
    if desired is None:
        return dict(sorted(current.items()))
    kept = {k: v for k, v in current.items() if k.lower().startswith("aws:") or (not purge and k not in desired)}
    return dict(sorted({**kept, **desired}.items()))


def plan_tags(resource, current, desired, purge):
    """[] or one change of field ``Tags`` (before/after as dicts) for an existing resource."""
    before = dict(sorted(tag_dict(current).items()))
    after = final_tags(before, desired, purge)
    return [] if before == after else [change(resource, "update", "Tags", before, after)]


def tag_writes(before, after):
    """(tags to set, keys to remove) that turn ``before`` into ``after`` (aws: keys are left alone)."""
    before, after = before or {}, after or {}
    to_set = {k: v for k, v in after.items() if before.get(k) != v and not k.lower().startswith("aws:")}
    to_unset = sorted(k for k in before if k not in after and not k.lower().startswith("aws:"))
    return to_set, to_unset


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())]


# ---------------------------------------------------------------------------
# Wanted alarms
# ---------------------------------------------------------------------------


def _integer(value, where, low):
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{where} must be an integer of at least {low}, got {value!r}")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{where} must be an integer of at least {low}, got {value!r}") from None
    if number < low:
        raise ValueError(f"{where} must be an integer of at least {low}, got {value!r}")
    return number


def _finite(value, where):
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{where} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{where} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    return number


def _text(spec, key, where, required, limit=255):
    value = spec.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"{where}.{key} is required")
        return None
    if not isinstance(value, str) or len(value) > limit or not value.strip():
        raise ValueError(f"{where}.{key} must be a non-empty string of at most {limit} characters, got {value!r}")
    return value


def _kind(spec, where):
    kind = spec.get("kind")
    if kind is None:
        anomalous = spec.get("band_width") is not None or spec.get("comparison_operator") in ANOMALY_COMPARISON_OPERATORS
        kind = "anomaly_band" if anomalous and spec.get("threshold") is None else "threshold"
    if kind not in KINDS:
        raise ValueError(f"{where}.kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return kind


def normalize_alarm_spec(spec, where, common_tags=None):
    """One wanted alarm with every default filled in, validated; ValueError names the option and value."""
    checked_spec(spec, where, ALARM_KEYS)
    name = spec.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 255 or any(ord(c) < 32 for c in name):
        raise ValueError(f"{where}.name must be 1-255 printable characters, got {name!r}")
    where = f"{where} ({name})"
    kind = _kind(spec, where)
    out = {"name": name, "kind": kind}
    out["namespace"] = _text(spec, "namespace", where, True)
    if out["namespace"].startswith(":"):
        raise ValueError(f"{where}.namespace must not start with ':', got {out['namespace']!r}")
    out["metric_name"] = _text(spec, "metric_name", where, True)
    out["stat"] = spec.get("statistic") or "Sum"
    error = validate_statistic(out["stat"])
    if error:
        raise ValueError(f"{where}.statistic: {error}")
    out["period"] = _integer(300 if spec.get("period") is None else spec["period"], f"{where}.period", 1)
    error = validate_period(out["period"])
    if error:
        raise ValueError(f"{where}.period: {error}")
    out["unit"] = spec.get("unit") or None
    if out["unit"] is not None and out["unit"] not in UNITS:
        raise ValueError(f"{where}.unit {out['unit']!r} is not a CloudWatch unit ({', '.join(UNITS)})")
    dims = spec.get("dimensions") or {}
    if not isinstance(dims, dict) or len(dims) > MAX_DIMENSIONS:
        raise ValueError(f"{where}.dimensions must be a dict of at most {MAX_DIMENSIONS} names to values, got {dims!r}")
    for key, value in dims.items():
        if not str(key).strip() or value is None or str(value) == "":
            raise ValueError(f"{where}.dimensions: name and value must be non-empty, got {key!r}: {value!r}")
    out["dimensions"] = {str(k): str(v) for k, v in dims.items()}

    operators = THRESHOLD_COMPARISON_OPERATORS if kind == "threshold" else ANOMALY_COMPARISON_OPERATORS
    comparison = spec.get("comparison_operator")
    if comparison is None and kind == "anomaly_band":
        comparison = "GreaterThanUpperThreshold"
    if comparison not in operators:
        raise ValueError(f"{where}.comparison_operator must be one of {', '.join(operators)} for a {kind} alarm, got {comparison!r}")
    out["comparison_operator"] = comparison
    if kind == "threshold":
        if spec.get("band_width") is not None:
            raise ValueError(f"{where}.band_width is only for anomaly_band alarms")
        out["threshold"] = _finite(spec.get("threshold"), f"{where}.threshold")
    else:
        if spec.get("threshold") is not None:
            raise ValueError(f"{where}.threshold is only for threshold alarms (an anomaly_band alarm compares with its band)")
        width = spec.get("band_width")
        out["band_width"] = _finite(2 if width is None else width, f"{where}.band_width")
        if out["band_width"] <= 0:
            raise ValueError(f"{where}.band_width must be greater than 0 (standard deviations), got {width!r}")

    periods = spec.get("evaluation_periods")
    out["evaluation_periods"] = _integer(1 if periods is None else periods, f"{where}.evaluation_periods", 1)
    dta = spec.get("datapoints_to_alarm")
    out["datapoints_to_alarm"] = None if dta is None else _integer(dta, f"{where}.datapoints_to_alarm", 1)
    if out["datapoints_to_alarm"] is not None and out["datapoints_to_alarm"] > out["evaluation_periods"]:
        raise ValueError(f"{where}.datapoints_to_alarm must be between 1 and evaluation_periods ({out['evaluation_periods']}), got {dta!r}")
    out["treat_missing_data"] = spec.get("treat_missing_data") or "missing"
    if out["treat_missing_data"] not in TREAT_MISSING_DATA_CHOICES:
        raise ValueError(f"{where}.treat_missing_data must be one of {', '.join(TREAT_MISSING_DATA_CHOICES)}, "
                         f"got {out['treat_missing_data']!r}")
    for key in ACTION_KEYS:
        actions = spec.get(key) or []
        if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
            raise ValueError(f"{where}.{key} must be a list of at most {MAX_ACTIONS} ARNs, got {actions!r}")
        for arn in actions:
            if not isinstance(arn, str) or not arn.startswith("arn:"):
                raise ValueError(f"{where}.{key}: {arn!r} is not an ARN (it must start with 'arn:')")
        out[key] = list(actions)
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 1024):
        raise ValueError(f"{where}.description must be a string of at most 1024 characters")
    out["description"] = description or None
    enabled = spec.get("actions_enabled")
    out["actions_enabled"] = True if enabled is None else bool(enabled)
    out["tags"] = wanted_tags(common_tags, spec.get("tags"), where)
    return out


def build_request(alarm):
    """PutMetricAlarm keyword arguments (without Tags) for a normalised wanted alarm."""
    if alarm["kind"] == "anomaly_band":
        return build_put_metric_alarm_request(alarm)
    request = {
        "AlarmName": alarm["name"],
        "ActionsEnabled": alarm["actions_enabled"],
        "OKActions": list(alarm["ok_actions"]),
        "AlarmActions": list(alarm["alarm_actions"]),
        "InsufficientDataActions": list(alarm["insufficient_data_actions"]),
        "MetricName": alarm["metric_name"],
        "Namespace": alarm["namespace"],
        "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(alarm["dimensions"].items())],
        "Period": alarm["period"],
        "EvaluationPeriods": alarm["evaluation_periods"],
        "Threshold": alarm["threshold"],
        "ComparisonOperator": alarm["comparison_operator"],
        "TreatMissingData": alarm["treat_missing_data"],
    }
    if alarm["stat"] in STANDARD_STATISTICS:
        request["Statistic"] = alarm["stat"]
    else:
        request["ExtendedStatistic"] = alarm["stat"]
    if alarm["unit"]:
        request["Unit"] = alarm["unit"]
    if alarm["description"]:
        request["AlarmDescription"] = alarm["description"]
    if alarm["datapoints_to_alarm"] is not None:
        request["DatapointsToAlarm"] = alarm["datapoints_to_alarm"]
    return request


def normalize_desired(desired):
    """{state, purge_tags, alarms: {name: normalised alarm}} from the module's options (or a list of alarms)."""
    desired, state, specs = desired_set(desired, "alarms", "alarms, tags, purge_tags, state")
    purge = desired.get("purge_tags")
    alarms = {}
    for index, spec in enumerate(specs):
        where = f"alarms[{index}]"
        if state == "absent":
            name = spec.get("name") if isinstance(spec, dict) else spec
            if not isinstance(name, str) or not 1 <= len(name) <= 255:
                raise ValueError(f"{where}.name must be 1-255 characters, got {name!r}")
            alarm = {"name": name}
        else:
            alarm = normalize_alarm_spec(spec, where, desired.get("tags"))
        if alarm["name"] in alarms:
            raise ValueError(f"{where}.name {alarm['name']!r} is listed twice")
        alarms[alarm["name"]] = alarm
    return {"state": state, "purge_tags": True if purge is None else bool(purge), "alarms": alarms}


def plan_alarms(current_alarms, desired):
    """Changes that turn the described alarms into the wanted ones.

    ``current_alarms``: ``discovery.describe_alarms`` (alarms not wanted are ignored, never deleted
    unless ``state=absent`` names them). ``desired``: ``{alarms: [...], tags, purge_tags, state}``
    (the module's options) or just the list of alarms.
    """
    wanted = normalize_desired(desired)
    current = {alarm["AlarmName"]: alarm for alarm in current_alarms or []}
    changes = []
    for name, alarm in wanted["alarms"].items():
        resource = f"alarm {name}"
        existing = current.get(name)
        if wanted["state"] == "absent":
            if existing:
                changes.append(change(resource, "delete", "alarm", normalize_alarm(existing), None))
            continue
        after = normalize_alarm(build_request(alarm))
        if existing is None:
            if alarm["tags"] is not None:
                after = {**after, "Tags": dict(sorted(alarm["tags"].items()))}
            changes.append(change(resource, "create", "alarm", None, after))
            continue
        before = normalize_alarm(existing)
        changes.extend(field_updates(resource, before, after, sorted(set(before) | set(after))))
        changes.extend(plan_tags(resource, existing.get("Tags"), alarm["tags"], wanted["purge_tags"]))
    return changes
