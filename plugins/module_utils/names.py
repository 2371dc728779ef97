# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every name the collection gives a resource, in one place.

`{resource-type}-{network}-{environment_suffix}` everywhere (a contract); S3 buckets add the
account ID for global uniqueness. Discovery finds resources by these names and the planners
create them with these names, so both read them from here.
"""

from __future__ import annotations

OWNER_TAG = "ManagedBy"
OWNER = "netsec.aws_peering"
SUBNETS_PER_SITE = 3


def site_names(network, suffix, account_id=""):
    """The names of one site's resources, keyed by purpose."""
    site = f"{network}-{suffix}"
    return {
        "vpc": f"vpc-{site}",
        "subnets": [f"subnet-private{i}-{site}" for i in range(1, SUBNETS_PER_SITE + 1)],
        "route_tables": [f"rtb-private{i}-{site}" for i in range(1, SUBNETS_PER_SITE + 1)],
        "main_route_table": f"rtb-main-{site}",
        "private_nacl": f"nacl-private-{site}",
        "default_nacl": f"nacl-default-{site}",
        "default_security_group": f"sg-default-{site}",
        "peering_security_group": f"sg-peering-{site}",
        "endpoints_security_group": f"sg-endpoints-{site}",
        "gateway_endpoints": {"s3": f"vpce-s3-{site}", "dynamodb": f"vpce-dynamodb-{site}"},
        "acceptance_role": f"peering-accepter-{site}",
        "flowlogs_bucket": f"flowlogs-{network}-{account_id}-{suffix}",
        "flowlogs_key_alias": f"alias/flowlogs-{site}",
        "flow_log": f"fl-{site}",
        "config_bucket": f"config-{network}-{account_id}-{suffix}",
        "config_key_alias": f"alias/config-{site}",
        "config_role": f"config-recorder-{site}",
        "config_recorder": f"config-recorder-{site}",
        "config_channel": f"config-delivery-{site}",
        "topic": f"alerts-{site}",
        "alerts_key_alias": f"alias/alerts-{site}",
        "logs_key_alias": f"alias/flowlogs-cwl-{site}",
        "log_group": f"/netsec/flowlogs/{site}",
        "delivery_role": f"flowlogs-delivery-{site}",
        "cwl_flow_log": f"flowlog-cwl-{site}",
        "alarms": {
            "rejected": f"rejected-flows-{site}",
            "ports": f"nonwhitelisted-ports-{site}",
            "anomaly": f"traffic-anomaly-{site}",
        },
        "event_rules": {
            "peering": f"peering-changes-{site}",
            "routes": f"route-changes-{site}",
            "security_groups": f"sg-changes-{site}",
            "nacls": f"nacl-changes-{site}",
            "vpc": f"vpc-changes-{site}",
        },
        "dashboard": f"netsec-{suffix}",
    }


def peering_name(peering, suffix):
    """Name tag of a peering connection (both sides)."""
    return f"pcx-{peering}-{suffix}"


def tag_dict(tags):
    """AWS's [{Key, Value}] (or {key: value}) as a plain dict."""
    if isinstance(tags, dict):
        return dict(tags)
    return {tag["Key"]: tag.get("Value", "") for tag in tags or []}


def is_ours(resource, network=None):
    """Whether an AWS resource (with Tags) carries our ownership tag (and the network's, when given)."""
    tags = tag_dict(resource.get("Tags") or resource.get("TagSet") or [])
    if tags.get(OWNER_TAG) != OWNER:
        return False
    return network is None or tags.get("Network") == network


def name_of(resource):
    return tag_dict(resource.get("Tags") or []).get("Name", "")
