# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outputs of a site, read from its discovered state alone.

A run of the outputs stage on its own (an AWX template of its own) publishes exactly what a full
run publishes, because nothing here depends on which roles ran before: every identifier is read
from the site state by the names and ownership tags the collection gives its resources.
"""

from __future__ import annotations

from ansible_collections.netsec.aws_peering.plugins.module_utils.names import is_ours
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import name_of
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict


def _first(items, predicate):
    return next((item for item in items or [] if predicate(item)), None)


def _network(state, names, network):
    vpc = state.get("vpc")
    if not vpc:
        return {}

    def private(items):
        return sorted((i for i in items if is_ours(i, network) and tag_dict(i.get("Tags")).get("Tier") == "private"), key=name_of)

    subnets = private(state.get("subnets", []))
    tables = private(state.get("route_tables", []))
    nacl = _first(state.get("network_acls"), lambda n: is_ours(n, network) and name_of(n) == names["private_nacl"])
    group = _first(state.get("security_groups"), lambda g: g.get("GroupName") == names["peering_security_group"])
    out = {
        "vpc_id": vpc["VpcId"], "vpc_name": name_of(vpc) or names["vpc"], "cidr_block": vpc["CidrBlock"],
        "adopted": not is_ours(vpc, network),
        "availability_zones": [s["AvailabilityZone"] for s in subnets],
        "private_subnet_ids": [s["SubnetId"] for s in subnets],
        "private_subnet_cidrs": [s["CidrBlock"] for s in subnets],
        "private_route_table_ids": [t["RouteTableId"] for t in tables],
        "private_nacl_id": nacl["NetworkAclId"] if nacl else "",
        "nacl_id": nacl["NetworkAclId"] if nacl else "",
        "security_group_id": group["GroupId"] if group else "",
    }
    live = [e for e in state.get("vpc_endpoints", []) if is_ours(e, network)
            and e.get("State", "").lower() not in ("deleted", "deleting", "failed", "rejected", "expired")]
    for endpoint in live:
        service = endpoint.get("ServiceName", "").rsplit(".", 1)[-1] if endpoint.get("VpcEndpointType") == "Gateway" \
            else endpoint.get("ServiceName", "").split(".", 3)[-1].replace(".", "_").replace("-", "_")
        out[f"{service}_endpoint_id"] = endpoint["VpcEndpointId"]
    endpoints_group = _first(state.get("security_groups"), lambda g: g.get("GroupName") == names["endpoints_security_group"])
    if endpoints_group:
        out["endpoints_security_group_id"] = endpoints_group["GroupId"]
    return out


def _flowlogs(state, names):
    bucket = names["flowlogs_bucket"]
    key = (state.get("kms_keys") or {}).get(names["flowlogs_key_alias"]) or {}
    arn_suffix = f":::{bucket}"
    log = _first(state.get("flow_logs"), lambda f: str(f.get("LogDestination", "")).split("/", 1)[0].endswith(arn_suffix))
    if not (state.get("buckets") or {}).get(bucket) and not log:
        return {}
    return {"flowlogs_bucket": bucket, "flowlogs_bucket_arn": f"arn:{state.get('partition', 'aws')}:s3:::{bucket}",
            "flowlogs_kms_key_arn": key.get("KeyMetadata", {}).get("Arn", ""), "flow_log_id": log["FlowLogId"] if log else ""}


def _config(state, names):
    config = state.get("config") or {}
    if not config:
        return {}
    recorder = _first(config.get("recorders"), lambda r: True) or {}
    channel = _first(config.get("delivery_channels"), lambda c: True) or {}
    rules = sorted(r["ConfigRuleName"] for r in config.get("rules", []) if is_ours(r))
    if not recorder and not rules:
        return {}
    return {"config_bucket": channel.get("s3BucketName", ""), "config_recorder_name": recorder.get("name", ""),
            "config_recorder_reused": bool(recorder) and recorder.get("name") != names["config_recorder"],
            "config_rule_names": rules}


def _monitoring(state, names):
    if not (state.get("topic") or state.get("log_group") or state.get("alarms") or state.get("event_rules")):
        return {}
    topic = state.get("topic") or {}
    return {
        "alert_topic_arn": topic.get("Attributes", {}).get("TopicArn", ""),
        "flowlog_log_group": (state.get("log_group") or {}).get("logGroupName", ""),
        "alarm_names": [a["AlarmName"] for a in state.get("alarms", []) if a["AlarmName"] in names["alarms"].values()],
        "event_rule_names": [r["Name"] for r in state.get("event_rules", []) if r["Name"] in names["event_rules"].values()],
        "dashboard_name": names["dashboard"],
    }


def site_outputs(state):
    """The flat identifiers of one site (without the network-name prefix)."""
    state = state or {}
    names = site_names(state.get("network_name"), state.get("environment_suffix"), state.get("account_id", ""))
    out = {"account_id": state.get("account_id", ""), "region": state.get("region", "")}
    for part in (_network(state, names, state.get("network_name")), _flowlogs(state, names), _config(state, names),
                 _monitoring(state, names)):
        out.update(part)
    return out


def dashboard_url(state, dashboard_name):
    """Console URL of the environment's dashboard, when the site holds it."""
    board = (state or {}).get("dashboard")
    if not board:
        return ""
    region = state.get("region", "")
    domain = "console.amazonaws.cn" if state.get("partition") == "aws-cn" else (
        "console.amazonaws-us-gov.com" if state.get("partition") == "aws-us-gov" else "console.aws.amazon.com")
    return f"https://{region}.{domain}/cloudwatch/home?region={region}#dashboards:name={dashboard_name}"
