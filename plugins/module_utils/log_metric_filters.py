# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudWatch Logs metric filters of one log group: the peering filters' patterns and the plan.

Pure functions (standard library only, no AWS calls), shared by the module
``log_metric_filters`` and the controller's filters (``plugins/filter/monitoring_plans.py``):

* :func:`metric_filter_specs` builds the site's peering metric filters (what the monitoring
  role built in Jinja): each peer CIDR widened to CloudWatch Logs address wildcards at the next
  octet boundary, and one space-delimited pattern per filter, one term per flow log field.
* :func:`plan_metric_filters` compares the log group as discovery describes it
  (``discovery.describe_log_group``: ``logGroupName``, ``metricFilters`` in AWS's shape, or None)
  with the wanted filters and returns the changes.
"""

from __future__ import annotations

import ipaddress
import math
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change
from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import field_updates
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import checked_spec
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import desired_set

# Every flow log field the patterns test; the format must carry each of them.
REQUIRED_FIELDS = ("srcaddr", "dstaddr", "srcport", "dstport", "packets", "bytes", "action")
MAX_PEER_PATTERNS = 32
MAX_PATTERN_LENGTH = 1024
MAX_FILTERS_PER_GROUP = 100
METRIC_KEYS = ("bytes", "bytes_in", "bytes_out", "packets_in", "packets_out", "rejected", "ports")
UNITS = (
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
)
# (filter name prefix, conditions, metric key, metric value), in the order the role created them.
FILTERS = (
    ("peering-bytes-in", "bytes_in", "bytes_in", "$bytes"),
    ("peering-bytes-out", "bytes_out", "bytes_out", "$bytes"),
    ("peering-packets-in", "bytes_in", "packets_in", "$packets"),
    ("peering-packets-out", "bytes_out", "packets_out", "$packets"),
    # Both directions add up in the one metric the anomaly alarm watches.
    ("peering-total-bytes-in", "bytes_in", "bytes", "$bytes"),
    ("peering-total-bytes-out", "bytes_out", "bytes", "$bytes"),
    ("rejected-flows-in", "rejected_in", "rejected", "1"),
    ("rejected-flows-out", "rejected_out", "rejected", "1"),
    ("nonwhitelisted-ports", "ports", "ports", "1"),
)
FIELD_RE = re.compile(r"[$][{]([a-z0-9-]+)[}]")
CIDR_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}$")
FILTER_NAME_RE = re.compile(r"^[^:*]{1,512}$")
LOG_GROUP_RE = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
METRIC_NAME_RE = re.compile(r"^[^:*$]{1,255}$")


# ---------------------------------------------------------------------------
# The peering filters (formerly roles/monitoring/tasks/flow_logs.yml)
# ---------------------------------------------------------------------------


def peer_wildcards(cidr):
    """A peer CIDR as CloudWatch Logs address wildcards, widened to the next octet boundary.

    ``10.1.0.0/16`` gives ``["10.1.*"]``, ``10.1.16.0/20`` the sixteen ``10.1.16.*`` to
    ``10.1.31.*``, ``10.1.2.3/32`` gives ``["10.1.2.3"]``. Host bits are ignored, as the role did.
    """
    if not isinstance(cidr, str) or not CIDR_RE.match(cidr):
        raise ValueError(f"peer CIDR {cidr!r} is not an IPv4 CIDR a.b.c.d/n")
    try:
        net = ipaddress.IPv4Network(cidr, strict=False)
    except ValueError as exc:
        raise ValueError(f"peer CIDR {cidr!r} is not an IPv4 CIDR ({exc})") from None
    if net.prefixlen < 8:
        raise ValueError(f"peer CIDR {cidr!r}: the prefix must be /8 to /32")
    boundary = -(-net.prefixlen // 8) * 8
    out = []
    for block in net.subnets(new_prefix=boundary):
        octets = str(block.network_address).split(".")[: boundary // 8]
        out.append(".".join(octets) + (".*" if boundary < 32 else ""))
    return out


def _log_fields(log_fields):
    """Flow log field names as the patterns name them (``-`` becomes ``_``), from a list or a format."""
    if isinstance(log_fields, str):
        found = FIELD_RE.findall(log_fields)
        fields = found if found or "${" in log_fields else log_fields.split()
    elif isinstance(log_fields, (list, tuple)):
        fields = list(log_fields)
    else:
        raise ValueError(f"log_fields must be a list of flow log fields or a log format, got {log_fields!r}")
    fields = [str(field).strip().lstrip("${").rstrip("}").replace("-", "_") for field in fields]
    missing = [field for field in REQUIRED_FIELDS if field not in fields]
    if missing:
        raise ValueError(f"log_fields {fields} lack {', '.join(missing)} (the patterns need {', '.join(REQUIRED_FIELDS)})")
    return fields


def _ports(allowed_ports):
    if not isinstance(allowed_ports, (list, tuple)) or not allowed_ports:
        raise ValueError(f"allowed_ports must be a non-empty list of ports, got {allowed_ports!r}")
    out = []
    for port in allowed_ports:
        text = str(port).strip()
        if isinstance(port, bool) or not text.isdigit() or not 0 <= int(text) <= 65535:
            raise ValueError(f"allowed_ports: {port!r} is not a port (0-65535)")
        out.append(str(int(text)))
    return out


def _widen(peer_cidrs):
    """Every peer CIDR's wildcards (unique, in order), and how many each CIDR contributed."""
    if isinstance(peer_cidrs, str):
        peer_cidrs = [peer_cidrs]
    if not isinstance(peer_cidrs, (list, tuple)) or not peer_cidrs:
        raise ValueError(f"peer_cidrs must be a non-empty list of IPv4 CIDRs, got {peer_cidrs!r}")
    wildcards, per_cidr = [], {}
    for cidr in peer_cidrs:
        widened = peer_wildcards(cidr)
        new = [w for w in widened if w not in wildcards]
        wildcards.extend(new)
        per_cidr[cidr] = len(widened)
        if len(wildcards) > MAX_PEER_PATTERNS:
            raise ValueError(
                f"peer CIDR {cidr} widens to {len(widened)} address patterns at octet boundaries; with the peer CIDRs "
                f"before it that makes {len(wildcards)}, more than the {MAX_PEER_PATTERNS} a metric filter pattern may "
                "hold: list fewer or wider peer CIDRs"
            )
    return wildcards, per_cidr


def metric_filter_specs(peer_cidrs, allowed_ports, log_fields, network, suffix, namespace, metric_names):
    """The site's nine peering metric filters, in the shape the module ``log_metric_filters`` takes.

    ``log_fields``: the flow log fields in format order (``srcaddr``, ``log-status``...) or the
    log format itself (``${version} ${account-id} ...``). ``metric_names``: the metric of each
    purpose, keys ``bytes``, ``bytes_in``, ``bytes_out``, ``packets_in``, ``packets_out``,
    ``rejected``, ``ports``. Raises ValueError naming the bad input (a CIDR that is not IPv4 /8
    to /32, more than 32 address patterns, a pattern longer than 1024 characters...).
    """
    for what, value in (("network", network), ("suffix", suffix), ("namespace", namespace)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    if not isinstance(metric_names, dict) or any(not metric_names.get(key) for key in METRIC_KEYS):
        raise ValueError(f"metric_names must name a metric for each of {', '.join(METRIC_KEYS)}, got {metric_names!r}")
    fields = _log_fields(log_fields)
    ports = _ports(allowed_ports)
    wildcards, per_cidr = _widen(peer_cidrs)

    from_peer = " || ".join(f"srcaddr={w}" for w in wildcards)
    to_peer = " || ".join(f"dstaddr={w}" for w in wildcards)
    conditions = {
        "bytes_in": {"srcaddr": from_peer},
        "bytes_out": {"dstaddr": to_peer},
        "rejected_in": {"srcaddr": from_peer, "action": "action=REJECT"},
        "rejected_out": {"dstaddr": to_peer, "action": "action=REJECT"},
        # From the peer to a port outside the whitelist; replies of the peer's whitelisted
        # services (source port in the whitelist, to our ephemeral ports) are not attempts.
        "ports": {
            "srcaddr": from_peer,
            "dstport": " && ".join(f"dstport!={p}" for p in ports),
            "srcport": " && ".join(f"srcport!={p}" for p in ports),
        },
    }
    specs = []
    for prefix, condition, metric, value in FILTERS:
        terms = [conditions[condition].get(field, field) for field in fields]
        pattern = "[" + ", ".join(terms) + "]"
        name = f"{prefix}-{network}-{suffix}"
        if len(pattern) > MAX_PATTERN_LENGTH:
            widest = max(per_cidr, key=per_cidr.get)
            listed = ", ".join(f"{cidr} ({count} patterns)" for cidr, count in per_cidr.items())
            raise ValueError(
                f"metric filter {name}: its pattern is {len(pattern)} characters, CloudWatch Logs allows "
                f"{MAX_PATTERN_LENGTH}; peer CIDRs {listed}: list fewer or wider peer CIDRs (the widest "
                f"contributor is {widest}) or fewer allowed ports"
            )
        specs.append({
            "name": name,
            "pattern": pattern,
            "metric_name": metric_names[metric],
            "metric_namespace": namespace,
            "metric_value": value,
            "default_value": 0,
        })
    return specs


# ---------------------------------------------------------------------------
# The plan
# ---------------------------------------------------------------------------


def _number(value, what):
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return number


def transformation_view(transformation):
    """Comparable view of one metricTransformation (AWS's shape)."""
    view = {
        "metricName": transformation.get("metricName"),
        "metricNamespace": transformation.get("metricNamespace"),
        "metricValue": transformation.get("metricValue"),
    }
    default = transformation.get("defaultValue")
    if default is not None:
        view["defaultValue"] = float(default)
    if transformation.get("unit") not in (None, "", "None"):
        view["unit"] = transformation["unit"]
    if transformation.get("dimensions"):
        view["dimensions"] = dict(sorted(transformation["dimensions"].items()))
    return view


def filter_view(metric_filter):
    """Comparable view of a DescribeMetricFilters entry (or a wanted filter in the same shape)."""
    return {
        "filterPattern": metric_filter.get("filterPattern") or "",
        "metricTransformations": [transformation_view(t) for t in metric_filter.get("metricTransformations") or []],
    }


def wanted_filter(spec, where):
    """A wanted filter (module option shape) in AWS's PutMetricFilter shape, validated."""
    checked_spec(spec, where, ("name", "pattern", "metric_name", "metric_namespace", "metric_value", "default_value", "unit"))
    name = spec.get("name")
    if not isinstance(name, str) or not FILTER_NAME_RE.match(name):
        raise ValueError(f"{where}.name {name!r} must be 1-512 characters without ':' or '*'")
    where = f"{where} ({name})"
    pattern = spec.get("pattern")
    if pattern is None:
        raise ValueError(f"{where}.pattern is required (an empty string matches every log event)")
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"{where}.pattern must be a string of at most {MAX_PATTERN_LENGTH} characters, "
                         f"got {len(pattern) if isinstance(pattern, str) else pattern!r}")
    for key in ("metric_name", "metric_namespace"):
        value = spec.get(key)
        if not isinstance(value, str) or not METRIC_NAME_RE.match(value):
            raise ValueError(f"{where}.{key} {value!r} must be 1-255 characters without ':', '*' or '$'")
    value = spec.get("metric_value")
    if value is None or isinstance(value, bool) or not 1 <= len(str(value)) <= 100:
        raise ValueError(f"{where}.metric_value {value!r} must be 1-100 characters (a number or $field)")
    transformation = {"metricName": spec["metric_name"], "metricNamespace": spec["metric_namespace"], "metricValue": str(value)}
    default = _number(spec.get("default_value"), f"{where}.default_value")
    if default is not None:
        transformation["defaultValue"] = default
    unit = spec.get("unit")
    if unit is not None:
        if unit not in UNITS:
            raise ValueError(f"{where}.unit {unit!r} is not a CloudWatch unit ({', '.join(UNITS)})")
        transformation["unit"] = unit
    return {"filterName": name, "filterPattern": pattern, "metricTransformations": [transformation]}


def normalize_desired(desired):
    """The wanted state: filters (AWS shape, by name), ownership affixes and state; ValueError on bad input."""
    desired, state, specs = desired_set(desired, "filters", "filters, owned_prefix, owned_suffix, state")
    group = desired.get("log_group_name")
    if group is not None and (not isinstance(group, str) or not LOG_GROUP_RE.match(group)):
        raise ValueError(f"log_group_name {group!r} must be 1-512 characters from A-Z, a-z, 0-9, '.', '-', '_', '/', '#'")
    affixes = {}
    for key in ("owned_prefix", "owned_suffix"):
        value = desired.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"{key} must be a string, got {value!r}")
        affixes[key] = value or ""
    filters = {}
    for index, spec in enumerate(specs):
        if state == "absent":
            # Only the names count: the filters are deleted.
            name = spec.get("name") if isinstance(spec, dict) else spec
            if not isinstance(name, str) or not FILTER_NAME_RE.match(name):
                raise ValueError(f"filters[{index}].name {name!r} must be 1-512 characters without ':' or '*'")
            wanted = {"filterName": name}
        else:
            wanted = wanted_filter(spec, f"filters[{index}]")
        if wanted["filterName"] in filters:
            raise ValueError(f"filters[{index}].name {wanted['filterName']!r} is listed twice")
        filters[wanted["filterName"]] = wanted
    if len(filters) > MAX_FILTERS_PER_GROUP:
        raise ValueError(f"filters lists {len(filters)} filters; a log group holds at most {MAX_FILTERS_PER_GROUP}")
    return {"state": state, "log_group_name": group, "filters": filters, **affixes}


def is_owned(name, owned_prefix, owned_suffix):
    """Whether a filter of the group is ours to purge: it carries the given prefix and suffix (one at least)."""
    if not owned_prefix and not owned_suffix:
        return False
    return name.startswith(owned_prefix) and name.endswith(owned_suffix)


def current_filters(current_log_group):
    """The group's filters by name. Should a name be listed twice (only the emulator does that:
    its PutMetricFilter appends instead of replacing), the last one listed is the newest."""
    if not current_log_group:
        return {}
    name = current_log_group.get("logGroupName")
    found = {}
    for metric_filter in current_log_group.get("metricFilters") or []:
        if name and metric_filter.get("logGroupName", name) != name:
            continue
        found[metric_filter["filterName"]] = metric_filter
    return found


def plan_metric_filters(current_log_group, desired):
    """Changes that turn the group's filters into the wanted ones.

    ``current_log_group``: ``discovery.describe_log_group`` (None when the group does not exist).
    ``desired``: ``{filters: [...], owned_prefix, owned_suffix, state, log_group_name}`` (the
    module's options) or just the list of filters. Filters of the group that are not wanted are
    deleted only when their name carries ``owned_prefix``/``owned_suffix``; others' are kept.
    """
    wanted = normalize_desired(desired)
    if current_log_group and wanted["log_group_name"] and current_log_group.get("logGroupName") != wanted["log_group_name"]:
        raise ValueError(f"log_group_name {wanted['log_group_name']!r} is not the described group "
                         f"{current_log_group.get('logGroupName')!r}")
    current = current_filters(current_log_group)
    changes = []
    if wanted["state"] == "present":
        for name, spec in wanted["filters"].items():
            resource = f"metric_filter {name}"
            after = filter_view(spec)
            if name not in current:
                changes.append(change(resource, "create", "filter", None, after))
                continue
            before = filter_view(current[name])
            changes.extend(field_updates(resource, before, after, ("filterPattern", "metricTransformations")))
    owned = [name for name in current if is_owned(name, wanted["owned_prefix"], wanted["owned_suffix"])]
    if wanted["state"] == "absent":
        doomed = set(owned) | (set(current) & set(wanted["filters"]))
    else:
        doomed = set(owned) - set(wanted["filters"])
    for name in sorted(doomed):
        changes.append(change(f"metric_filter {name}", "delete", "filter", filter_view(current[name]), None))
    return changes
