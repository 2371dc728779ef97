"""Tables of cases for the peering metric filter builder and the metric filter planner (pure)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.netsec.aws_peering.plugins.filter import monitoring_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import metric_filter_specs
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import peer_wildcards
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import plan_metric_filters

# The role's default flow log format (roles/monitoring/defaults/main.yml).
FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${instance-id} ${tcp-flags} ${type} "
    "${pkt-srcaddr} ${pkt-dstaddr} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service} "
    "${pkt-dst-aws-service} ${flow-direction} ${traffic-path}"
)
TAIL = ("protocol, packets, bytes, start, end, {action}, log_status, vpc_id, subnet_id, instance_id, tcp_flags, type, "
        "pkt_srcaddr, pkt_dstaddr, region, az_id, sublocation_type, sublocation_id, pkt_src_aws_service, "
        "pkt_dst_aws_service, flow_direction, traffic_path]")
SITE = "trading-sandbox"
METRICS = {
    "bytes": f"PeeringBytes-{SITE}", "bytes_in": f"PeeringBytesIn-{SITE}", "bytes_out": f"PeeringBytesOut-{SITE}",
    "packets_in": f"PeeringPacketsIn-{SITE}", "packets_out": f"PeeringPacketsOut-{SITE}",
    "rejected": f"RejectedFlows-{SITE}", "ports": f"NonWhitelistedPortAttempts-{SITE}",
}


def specs(cidrs, ports=(443, 5432), fields=FORMAT):
    return metric_filter_specs(list(cidrs), list(ports), fields, "trading", "sandbox", "NetSec/Peering", METRICS)


WILDCARDS = [
    ("10.1.0.0/16", ["10.1.*"]),
    ("10.1.16.0/20", [f"10.1.{i}.*" for i in range(16, 32)]),
    ("10.1.2.0/24", ["10.1.2.*"]),
    ("10.1.2.3/32", ["10.1.2.3"]),
    ("10.0.0.0/8", ["10.*"]),
    ("172.16.0.0/12", [f"172.{i}.*" for i in range(16, 32)]),
    ("10.1.2.0/23", ["10.1.2.*", "10.1.3.*"]),
    # Host bits are ignored, as the role's arithmetic did.
    ("10.1.3.77/23", ["10.1.2.*", "10.1.3.*"]),
    ("10.1.2.9/30", ["10.1.2.8", "10.1.2.9", "10.1.2.10", "10.1.2.11"]),
]


@pytest.mark.parametrize("cidr, expected", WILDCARDS, ids=[case[0] for case in WILDCARDS])
def test_peer_wildcards(cidr, expected):
    assert peer_wildcards(cidr) == expected


@pytest.mark.parametrize("cidr", ["10.0.0.0", "10.0.0.0/7", "300.1.1.0/24", "fd00::/64", "10.0.0.0/33", 10, None])
def test_peer_wildcards_refuses(cidr):
    with pytest.raises(ValueError, match="peer CIDR"):
        peer_wildcards(cidr)


def test_the_role_filters_of_a_16():
    """Names, metrics, values and patterns exactly as roles/monitoring/tasks/flow_logs.yml built them."""
    out = specs(["10.1.0.0/16"])
    assert [f["name"] for f in out] == [
        f"peering-bytes-in-{SITE}", f"peering-bytes-out-{SITE}", f"peering-packets-in-{SITE}",
        f"peering-packets-out-{SITE}", f"peering-total-bytes-in-{SITE}", f"peering-total-bytes-out-{SITE}",
        f"rejected-flows-in-{SITE}", f"rejected-flows-out-{SITE}", f"nonwhitelisted-ports-{SITE}",
    ]
    assert [(f["metric_name"], f["metric_value"]) for f in out] == [
        (METRICS["bytes_in"], "$bytes"), (METRICS["bytes_out"], "$bytes"), (METRICS["packets_in"], "$packets"),
        (METRICS["packets_out"], "$packets"), (METRICS["bytes"], "$bytes"), (METRICS["bytes"], "$bytes"),
        (METRICS["rejected"], "1"), (METRICS["rejected"], "1"), (METRICS["ports"], "1"),
    ]
    assert {(f["metric_namespace"], f["default_value"]) for f in out} == {("NetSec/Peering", 0)}
    assert set(out[0]) == {"name", "pattern", "metric_name", "metric_namespace", "metric_value", "default_value"}
    head = "[version, account_id, interface_id, "
    assert out[0]["pattern"] == head + "srcaddr=10.1.*, dstaddr, srcport, dstport, " + TAIL.format(action="action")
    assert out[1]["pattern"] == head + "srcaddr, dstaddr=10.1.*, srcport, dstport, " + TAIL.format(action="action")
    assert out[6]["pattern"] == head + "srcaddr=10.1.*, dstaddr, srcport, dstport, " + TAIL.format(action="action=REJECT")
    assert out[7]["pattern"] == head + "srcaddr, dstaddr=10.1.*, srcport, dstport, " + TAIL.format(action="action=REJECT")
    assert out[8]["pattern"] == (head + "srcaddr=10.1.*, dstaddr, srcport!=443 && srcport!=5432, "
                                 "dstport!=443 && dstport!=5432, " + TAIL.format(action="action"))


PATTERN_TERMS = [
    # (peer CIDRs, the srcaddr term of peering-bytes-in)
    (["10.1.16.0/20"], " || ".join(f"srcaddr=10.1.{i}.*" for i in range(16, 32))),
    (["10.2.3.0/24", "192.168.7.9/32"], "srcaddr=10.2.3.* || srcaddr=192.168.7.9"),
    (["10.1.2.130/23", "10.1.0.0/16"], "srcaddr=10.1.2.* || srcaddr=10.1.3.* || srcaddr=10.1.*"),
    (["10.1.0.0/16", "10.1.0.0/16"], "srcaddr=10.1.*"),
]


@pytest.mark.parametrize("cidrs, term", PATTERN_TERMS, ids=[",".join(case[0]) for case in PATTERN_TERMS])
def test_peer_terms(cidrs, term):
    out = specs(cidrs)
    assert out[0]["pattern"] == f"[version, account_id, interface_id, {term}, dstaddr, srcport, dstport, " + TAIL.format(action="action")
    assert out[1]["pattern"].count("dstaddr=") == term.count("srcaddr=")


def test_a_short_format_and_a_field_list_give_the_same_filters():
    fmt = "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${action} ${log-status}"
    by_format = specs(["10.0.0.0/8"], ports=["443", 8443], fields=fmt)
    by_list = specs(["10.0.0.0/8"], ports=[443, "8443"], fields=fmt.replace("${", "").replace("}", "").split())
    assert by_format == by_list
    assert by_format[8]["pattern"] == ("[version, srcaddr=10.*, dstaddr, srcport!=443 && srcport!=8443, "
                                       "dstport!=443 && dstport!=8443, protocol, packets, bytes, action, log_status]")


def test_exactly_32_patterns_pass():
    out = specs(["10.1.0.0/20", "10.2.0.0/20"])
    assert out[0]["pattern"].count("srcaddr=") == 32


BAD_SPECS = [
    (dict(cidrs=["10.1.0.0/20", "10.2.0.0/20", "10.3.0.0/24"]), "peer CIDR 10.3.0.0/24 widens to 1 .* makes 33, more than the 32"),
    (dict(cidrs=["10.0.0.0/9"]), "peer CIDR 10.0.0.0/9 widens to 128"),
    (dict(cidrs=["172.16.160.0/20", "172.16.176.0/20"]),
     r"peering-bytes-in-trading-sandbox: its pattern is 1082 characters, CloudWatch Logs allows 1024; "
     r"peer CIDRs 172.16.160.0/20 \(16 patterns\), 172.16.176.0/20 \(16 patterns\)"),
    (dict(cidrs=["10.1.0.0/20", "10.2.0.0/20"], ports=list(range(1000, 1005))),
     r"nonwhitelisted-ports-trading-sandbox: its pattern is \d+ characters.*10.1.0.0/20 \(16 patterns\)"),
    (dict(cidrs=[]), "peer_cidrs must be a non-empty list"),
    (dict(cidrs=["10.1.0.0/16", "10.2.0.0"]), "peer CIDR '10.2.0.0' is not an IPv4 CIDR"),
    (dict(cidrs=["10.1.0.0/16"], ports=[]), "allowed_ports must be a non-empty list"),
    (dict(cidrs=["10.1.0.0/16"], ports=[443, 70000]), "allowed_ports: 70000 is not a port"),
    (dict(cidrs=["10.1.0.0/16"], fields="${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${packets} ${bytes}"),
     "lack action"),
]


@pytest.mark.parametrize("kwargs, message", BAD_SPECS, ids=[case[1][:40] for case in BAD_SPECS])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        specs(kwargs.pop("cidrs"), **kwargs)


def test_metric_names_must_be_complete():
    with pytest.raises(ValueError, match="metric_names must name a metric for each of bytes"):
        metric_filter_specs(["10.1.0.0/16"], [443], FORMAT, "trading", "sandbox", "NS", {"bytes": "B"})


# ---------------------------------------------------------------------------
# plan_metric_filters
# ---------------------------------------------------------------------------

GROUP = "/netsec/flowlogs/trading-sandbox"


def described(*filters):
    """A log group as discovery.describe_log_group returns it."""
    return {"logGroupName": GROUP, "arn": f"arn:aws:logs:us-east-1:111111111111:log-group:{GROUP}:*",
            "metricFilters": [dict(f, logGroupName=GROUP) for f in filters], "tags": {}}


def aws_filter(name, pattern="[a, b=1]", value="1", default=None, unit=None, metric="M", creation=True):
    transformation = {"metricName": metric, "metricNamespace": "NS", "metricValue": value}
    if default is not None:
        transformation["defaultValue"] = default
    if unit is not None:
        transformation["unit"] = unit
    out = {"filterName": name, "filterPattern": pattern, "metricTransformations": [transformation]}
    if creation:
        out["creationTime"] = 1700000000000
    return out


def wanted(name, pattern="[a, b=1]", value="1", **extra):
    return dict({"name": name, "pattern": pattern, "metric_name": "M", "metric_namespace": "NS", "metric_value": value}, **extra)


def summary(changes):
    return [(c["resource"], c["action"], c["field"]) for c in changes]


PLANS = [
    ("absent group: every filter created", None, {"filters": [wanted("a-x"), wanted("b-x")]},
     [("metric_filter a-x", "create", "filter"), ("metric_filter b-x", "create", "filter")]),
    ("all match", described(aws_filter("a-x"), aws_filter("b-x", default=0.0)),
     {"filters": [wanted("a-x"), wanted("b-x", default_value=0)]}, []),
    ("unit None equals no unit", described(aws_filter("a-x", unit="None")), [wanted("a-x")], []),
    ("changed pattern", described(aws_filter("a-x", pattern="[a, b=2]")), [wanted("a-x")],
     [("metric_filter a-x", "update", "filterPattern")]),
    ("changed default value", described(aws_filter("a-x", default=1.0)), [wanted("a-x", default_value=0)],
     [("metric_filter a-x", "update", "metricTransformations")]),
    ("changed value and unit", described(aws_filter("a-x", value="$bytes")), [wanted("a-x", unit="Bytes")],
     [("metric_filter a-x", "update", "metricTransformations")]),
    ("one missing", described(aws_filter("a-x")), [wanted("a-x"), wanted("b-x")], [("metric_filter b-x", "create", "filter")]),
    ("owned suffix purged, others kept", described(aws_filter("a-x"), aws_filter("old-x"), aws_filter("theirs")),
     {"filters": [wanted("a-x")], "owned_suffix": "-x"}, [("metric_filter old-x", "delete", "filter")]),
    ("prefix and suffix both required", described(aws_filter("p-a-x"), aws_filter("p-b-y"), aws_filter("q-c-x")),
     {"filters": [], "owned_prefix": "p-", "owned_suffix": "-x"}, [("metric_filter p-a-x", "delete", "filter")]),
    ("no affix: nothing purged", described(aws_filter("a-x"), aws_filter("old-x")), {"filters": [wanted("a-x")]}, []),
    ("absent: listed and owned deleted", described(aws_filter("a-x"), aws_filter("b-x"), aws_filter("theirs"), aws_filter("mine-z")),
     {"filters": [{"name": "theirs"}], "owned_suffix": "-x", "state": "absent"},
     [("metric_filter a-x", "delete", "filter"), ("metric_filter b-x", "delete", "filter"),
      ("metric_filter theirs", "delete", "filter")]),
    ("absent group, absent state", None, {"filters": [{"name": "a-x"}], "state": "absent"}, []),
    # The emulator appends a filter of the same name on PutMetricFilter: the newest (last) counts.
    ("emulator duplicates: last wins", described(aws_filter("a-x", pattern="[old]"), aws_filter("a-x")), [wanted("a-x")], []),
    ("emulator duplicates: last drifted", described(aws_filter("a-x"), aws_filter("a-x", pattern="[old]")), [wanted("a-x")],
     [("metric_filter a-x", "update", "filterPattern")]),
]


@pytest.mark.parametrize("current, desired, expected", [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_plan_metric_filters(current, desired, expected):
    changes = plan_metric_filters(current, desired)
    assert summary(changes) == expected
    json.dumps(changes)
    # The controller's filter gives the very same plan.
    assert monitoring_plans.plan_metric_filters(current, desired) == changes


def test_plan_values_before_and_after():
    changes = plan_metric_filters(described(aws_filter("a-x", pattern="[a, b=2]", default=1.0)),
                                  [wanted("a-x", default_value=0)])
    assert changes == [
        {"resource": "metric_filter a-x", "action": "update", "field": "filterPattern", "before": "[a, b=2]", "after": "[a, b=1]"},
        {"resource": "metric_filter a-x", "action": "update", "field": "metricTransformations",
         "before": [{"metricName": "M", "metricNamespace": "NS", "metricValue": "1", "defaultValue": 1.0}],
         "after": [{"metricName": "M", "metricNamespace": "NS", "metricValue": "1", "defaultValue": 0.0}]},
    ]
    created = plan_metric_filters(None, [wanted("a-x")])[0]
    assert created["before"] is None
    assert created["after"] == {"filterPattern": "[a, b=1]",
                                "metricTransformations": [{"metricName": "M", "metricNamespace": "NS", "metricValue": "1"}]}


def test_the_builder_output_plans_nine_creates_then_nothing():
    out = specs(["10.1.0.0/16"])
    changes = plan_metric_filters(described(), {"filters": out, "owned_suffix": f"-{SITE}"})
    assert [c["action"] for c in changes] == ["create"] * 9
    existing = described(*[aws_filter(f["name"], pattern=f["pattern"], value=f["metric_value"], default=0.0, metric=f["metric_name"])
                           for f in out])
    for f in existing["metricFilters"]:
        f["metricTransformations"][0]["metricNamespace"] = "NetSec/Peering"
    assert plan_metric_filters(existing, {"filters": out, "owned_suffix": f"-{SITE}"}) == []


BAD_DESIRED = [
    ({"filters": [wanted("a", pattern=None)]}, r"filters\[0\] \(a\).pattern is required"),
    ({"filters": [wanted("a", pattern="x" * 1025)]}, r"filters\[0\] \(a\).pattern must be a string of at most 1024 characters, got 1025"),
    ({"filters": [wanted("a:b")]}, r"filters\[0\].name 'a:b'"),
    ({"filters": [wanted("a"), wanted("a")]}, r"filters\[1\].name 'a' is listed twice"),
    ({"filters": [wanted("a", colour="red")]}, r"filters\[0\] has unknown keys \['colour'\]"),
    ({"filters": [wanted("a", unit="Parsecs")]}, r"filters\[0\] \(a\).unit 'Parsecs' is not a CloudWatch unit"),
    ({"filters": [wanted("a", metric_name="a*b")]}, r"filters\[0\] \(a\).metric_name 'a\*b'"),
    ({"filters": [wanted("a", default_value="zero")]}, r"filters\[0\] \(a\).default_value must be a number"),
    ({"filters": [wanted("a", metric_value="")]}, r"filters\[0\] \(a\).metric_value '' must be 1-100 characters"),
    ({"filters": [], "state": "gone"}, "state must be present or absent"),
    ({"filters": [], "log_group_name": "/other"}, "log_group_name '/other' is not the described group"),
    ("filters", "desired must be a dict"),
]


@pytest.mark.parametrize("desired, message", BAD_DESIRED, ids=[case[1][:40] for case in BAD_DESIRED])
def test_plan_refuses_bad_input(desired, message):
    with pytest.raises(ValueError, match=message):
        plan_metric_filters(described(), desired)
