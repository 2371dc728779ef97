# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Describe everything of one site that the collection plans against (docs/dev/site-state.md).

Values are AWS's own response shapes (CamelCase), datetimes as ISO strings. Every call is a
read, wrapped in amazon.aws's retry policy; paginated calls go through one helper. Filters are
re-applied on our side, because the emulator ignores some of them.
"""

from __future__ import annotations

import datetime
import json

try:
    import botocore
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS = (BotoCoreError, ClientError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names

# The one retry policy of our AWS calls: throttling and transient errors, 10 attempts, jittered backoff.
RETRIES = 10
RETRY = AWSRetry.jittered_backoff(retries=RETRIES)


def retry_also_on(*codes):
    """RETRY that also retries ``codes``: what AWS answers for a moment right after a create (eventual consistency)."""
    return AWSRetry.jittered_backoff(retries=RETRIES, catch_extra_error_codes=list(codes))


ENDPOINT_SERVICES = ("s3", "dynamodb")


class DiscoveryError(Exception):
    """A read failed; carries the AWS exception and what was being read."""

    def __init__(self, what, exception):
        super().__init__(f"Cannot describe {what}")
        self.what = what
        self.exception = exception


def plain(value):
    """AWS response data with datetimes as ISO strings (JSON-safe, comparable)."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return value


def call(what, method, **params):
    """One read with retries; a NotFound-style error raises DiscoveryError for the caller to handle."""
    try:
        return plain(RETRY(method)(**params))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise DiscoveryError(what, e) from e


def all_pages(client, operation, **params):
    """Every page of a paginated read as one result, each page retried; errors are the caller's."""
    return RETRY(client.get_paginator(operation).paginate(**params).build_full_result)()


def paginate(what, client, operation, key, **params):
    """Every page of a paginated read, flattened to the list under ``key``."""
    try:
        pages = all_pages(client, operation, **params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        raise DiscoveryError(what, e) from e
    return plain(pages.get(key, []))


def absent_on(codes, what, method, **params):
    """A read whose 'not found' answer (one of ``codes``) means the resource does not exist: None."""
    try:
        return plain(RETRY(method)(**params))
    except is_boto3_error_code(codes):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        raise DiscoveryError(what, e) from e


def _tag_filters(tags):
    return [{"Name": f"tag:{key}", "Values": [str(value)]} for key, value in sorted(tags.items())]


def _has_tags(resource, tags):
    have = {tag["Key"]: tag.get("Value") for tag in resource.get("Tags", [])}
    return all(have.get(key) == str(value) for key, value in tags.items())


def find_vpc(ec2, vpc_id=None, adopt_tags=None, name=None):
    """The site's VPC: by ID, else by the adoption tags, else by its Name and our ownership tag.

    Returns (vpc or None, candidates): several candidates is an error the planner reports.
    """
    if vpc_id:
        vpcs = absent_on(("InvalidVpcID.NotFound",), f"VPC {vpc_id}", ec2.describe_vpcs, VpcIds=[vpc_id])
        found = [v for v in (vpcs or {}).get("Vpcs", []) if v["VpcId"] == vpc_id]
    else:
        tags = dict(adopt_tags) if adopt_tags else {"Name": name, OWNER_TAG: OWNER}
        vpcs = paginate(f"VPCs tagged {tags}", ec2, "describe_vpcs", "Vpcs", Filters=_tag_filters(tags))
        found = [v for v in vpcs if _has_tags(v, tags)]
    return (found[0] if len(found) == 1 else None), found


def _in_vpc(items, vpc_id, key="VpcId"):
    return [item for item in items if item.get(key) == vpc_id]


def describe_network(ec2, vpc, region):
    """Subnets, route tables, ACLs, groups, endpoints, gateways and flow logs of a VPC."""
    vpc_id = vpc["VpcId"]
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        answer = call(f"{attribute} of {vpc_id}", ec2.describe_vpc_attribute, VpcId=vpc_id, Attribute=attribute)
        vpc[key] = bool(answer.get(key, {}).get("Value"))
    state = {
        "vpc": vpc,
        "subnets": _in_vpc(paginate("subnets", ec2, "describe_subnets", "Subnets", Filters=by_vpc), vpc_id),
        "route_tables": _in_vpc(paginate("route tables", ec2, "describe_route_tables", "RouteTables", Filters=by_vpc), vpc_id),
        "network_acls": _in_vpc(paginate("network ACLs", ec2, "describe_network_acls", "NetworkAcls", Filters=by_vpc), vpc_id),
        "security_groups": _in_vpc(paginate("security groups", ec2, "describe_security_groups", "SecurityGroups", Filters=by_vpc),
                                   vpc_id),
        "vpc_endpoints": _in_vpc(paginate("VPC endpoints", ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=by_vpc), vpc_id),
        "internet_gateways": [
            igw for igw in paginate("internet gateways", ec2, "describe_internet_gateways", "InternetGateways",
                                    Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
            if any(a.get("VpcId") == vpc_id for a in igw.get("Attachments", []))],
        "nat_gateways": _in_vpc(paginate("NAT gateways", ec2, "describe_nat_gateways", "NatGateways",
                                         Filter=[{"Name": "vpc-id", "Values": [vpc_id]}]), vpc_id),
        "flow_logs": [
            log for log in paginate("flow logs", ec2, "describe_flow_logs", "FlowLogs",
                                    Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
            if log.get("ResourceId") == vpc_id],
    }
    return state


def describe_peerings(ec2, vpc_id):
    """Every peering whose requester or accepter is the VPC, any status (AWS lists deleted ones a while)."""
    found = {}
    for side in ("requester", "accepter"):
        for pcx in paginate(f"peerings as {side}", ec2, "describe_vpc_peering_connections", "VpcPeeringConnections",
                            Filters=[{"Name": f"{side}-vpc-info.vpc-id", "Values": [vpc_id]}]):
            info = pcx.get("RequesterVpcInfo" if side == "requester" else "AccepterVpcInfo", {})
            if info.get("VpcId") == vpc_id:
                found[pcx["VpcPeeringConnectionId"]] = pcx
    if found:
        # Tags on a peering are per account; the describe call shows one side's (the emulator the requester's).
        own = {pcx_id: [] for pcx_id in found}
        for tag in paginate("peering tags", ec2, "describe_tags", "Tags",
                            Filters=[{"Name": "resource-id", "Values": sorted(found)}]):
            if tag.get("ResourceId") in own:
                own[tag["ResourceId"]].append({"Key": tag["Key"], "Value": tag.get("Value", "")})
        for pcx_id, pcx in found.items():
            pcx["Tags"] = sorted(own[pcx_id], key=lambda t: t["Key"])
    return sorted(found.values(), key=lambda pcx: pcx["VpcPeeringConnectionId"])


def describe_prefix_lists(ec2, region):
    """The AWS-managed prefix lists of the region's gateway endpoint services, with their CIDRs."""
    names = [f"com.amazonaws.{region}.{service}" for service in ENDPOINT_SERVICES]
    lists = paginate("managed prefix lists", ec2, "describe_managed_prefix_lists", "PrefixLists",
                     Filters=[{"Name": "prefix-list-name", "Values": names}])
    out = []
    for plist in sorted((p for p in lists if p.get("PrefixListName") in names), key=lambda p: p["PrefixListName"]):
        entries = paginate(f"entries of {plist['PrefixListId']}", ec2, "get_managed_prefix_list_entries", "Entries",
                           PrefixListId=plist["PrefixListId"])
        out.append({"PrefixListId": plist["PrefixListId"], "PrefixListName": plist["PrefixListName"],
                    "Cidrs": sorted(entry["Cidr"] for entry in entries)})
    return out


def describe_zones(ec2):
    zones = call("availability zones", ec2.describe_availability_zones,
                 Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])["AvailabilityZones"]
    return sorted(z["ZoneName"] for z in zones if z.get("State") == "available" and z.get("ZoneType", "availability-zone") == "availability-zone")


def describe_role(iam, name):
    """A role with its trust policy, inline and attached policies and tags; None when absent."""
    role = absent_on(("NoSuchEntity",), f"IAM role {name}", iam.get_role, RoleName=name)
    if role is None:
        return None
    role = role["Role"]
    inline = {}
    for policy_name in paginate(f"inline policies of {name}", iam, "list_role_policies", "PolicyNames", RoleName=name):
        document = call(f"policy {policy_name} of {name}", iam.get_role_policy, RoleName=name, PolicyName=policy_name)
        inline[policy_name] = _json(document["PolicyDocument"])
    attached = paginate(f"attached policies of {name}", iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)
    tags = paginate(f"tags of {name}", iam, "list_role_tags", "Tags", RoleName=name)
    role["AssumeRolePolicyDocument"] = _json(role.get("AssumeRolePolicyDocument"))
    return {"Role": role, "InlinePolicies": inline, "AttachedPolicies": attached, "Tags": tags}


def _json(document):
    """Policy documents arrive URL-decoded strings or dicts depending on the SDK path: always a dict."""
    if isinstance(document, str):
        from urllib.parse import unquote  # pylint: disable=import-outside-toplevel
        try:
            return json.loads(document)
        except ValueError:
            return json.loads(unquote(document))
    return document


def describe_key(kms, alias):
    """The key behind an alias, with its policy, rotation and tags; None when the alias does not exist."""
    described = absent_on(("NotFoundException",), f"KMS key {alias}", kms.describe_key, KeyId=alias)
    if described is None:
        return None
    metadata = described["KeyMetadata"]
    key_id = metadata["KeyId"]
    key = {"KeyMetadata": metadata, "Policy": None, "KeyRotationEnabled": None, "Tags": []}
    if metadata.get("KeyState") in ("Enabled", "Disabled"):
        key["Policy"] = _json(call(f"policy of {alias}", kms.get_key_policy, KeyId=key_id, PolicyName="default")["Policy"])
        key["KeyRotationEnabled"] = call(f"rotation of {alias}", kms.get_key_rotation_status, KeyId=key_id)["KeyRotationEnabled"]
        key["Tags"] = paginate(f"tags of {alias}", kms, "list_resource_tags", "Tags", KeyId=key_id)
    return key


_BUCKET_READS = (
    ("Encryption", "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",),
     lambda r: r.get("ServerSideEncryptionConfiguration")),
    ("PublicAccessBlock", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",),
     lambda r: r.get("PublicAccessBlockConfiguration")),
    ("OwnershipControls", "get_bucket_ownership_controls", ("OwnershipControlsNotFoundError",),
     lambda r: r.get("OwnershipControls")),
    ("Versioning", "get_bucket_versioning", (), lambda r: {"Status": r.get("Status", "")}),
    ("Policy", "get_bucket_policy", ("NoSuchBucketPolicy",), lambda r: _json(r.get("Policy"))),
    ("Tags", "get_bucket_tagging", ("NoSuchTagSet", "NoSuchTagSetError"), lambda r: r.get("TagSet", [])),
    ("Lifecycle", "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",), lambda r: r.get("Rules", [])),
)


def describe_bucket(s3, name):
    """A bucket's hardening (encryption, public access block, ownership, versioning, policy, tags, lifecycle)."""
    head = absent_on(("404", "NoSuchBucket", "NotFound"), f"bucket {name}", s3.head_bucket, Bucket=name)
    if head is None:
        return None
    bucket = {"Name": name}
    for key, operation, missing, extract in _BUCKET_READS:
        answer = absent_on(missing or ("NoSuchBucket",), f"{key} of bucket {name}", getattr(s3, operation), Bucket=name)
        bucket[key] = extract(answer) if answer is not None else None
    return bucket


def describe_recording(config):
    """The recorders, their status and the delivery channels (``state.config`` without the rules)."""
    return {
        "recorders": call("Config recorders", config.describe_configuration_recorders).get("ConfigurationRecorders", []),
        "recorder_status": call("Config recorder status",
                                config.describe_configuration_recorder_status).get("ConfigurationRecordersStatus", []),
        "delivery_channels": call("Config delivery channels", config.describe_delivery_channels).get("DeliveryChannels", []),
    }


def describe_config(config, rule_suffix):
    """The account-and-region's recorders, their status, delivery channels, and the site's rules (by name suffix) with tags."""
    rules = [rule for rule in paginate("Config rules", config, "describe_config_rules", "ConfigRules")
             if rule.get("ConfigRuleName", "").endswith(rule_suffix)]
    for rule in rules:
        rule["Tags"] = paginate(f"tags of {rule['ConfigRuleName']}", config, "list_tags_for_resource", "Tags",
                                ResourceArn=rule["ConfigRuleArn"])
    return dict(describe_recording(config), rules=rules)


def describe_topic(sns, arn):
    attributes = absent_on(("NotFound", "NotFoundException"), f"topic {arn}", sns.get_topic_attributes, TopicArn=arn)
    if attributes is None:
        return None
    return {
        "Attributes": attributes["Attributes"],
        "Subscriptions": paginate(f"subscriptions of {arn}", sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn),
        "Tags": call(f"tags of {arn}", sns.list_tags_for_resource, ResourceArn=arn).get("Tags", []),
    }


def describe_log_group(logs, name):
    groups = [g for g in paginate(f"log group {name}", logs, "describe_log_groups", "logGroups", logGroupNamePrefix=name)
              if g.get("logGroupName") == name]
    if not groups:
        return None
    group = groups[0]
    group["metricFilters"] = paginate(f"metric filters of {name}", logs, "describe_metric_filters", "metricFilters",
                                      logGroupName=name)
    group["tags"] = call(f"tags of {name}", logs.list_tags_log_group, logGroupName=name).get("tags", {})
    return group


def describe_alarms(cloudwatch, names):
    alarms = paginate("alarms", cloudwatch, "describe_alarms", "MetricAlarms", AlarmNames=list(names))
    for alarm in alarms:
        alarm["Tags"] = call(f"tags of {alarm['AlarmName']}", cloudwatch.list_tags_for_resource,
                             ResourceARN=alarm["AlarmArn"]).get("Tags", [])
    return sorted(alarms, key=lambda a: a["AlarmName"])


def describe_rules(events, names):
    out = []
    for name in names:
        rule = absent_on(("ResourceNotFoundException",), f"event rule {name}", events.describe_rule, Name=name)
        if rule is None:
            continue
        rule["Targets"] = paginate(f"targets of {name}", events, "list_targets_by_rule", "Targets", Rule=name)
        rule["Tags"] = call(f"tags of {name}", events.list_tags_for_resource, ResourceARN=rule["Arn"]).get("Tags", [])
        out.append(rule)
    return out


def describe_dashboard(cloudwatch, name):
    board = absent_on(("ResourceNotFound", "ResourceNotFoundException"), f"dashboard {name}", cloudwatch.get_dashboard,
                      DashboardName=name)
    if board is None:
        return None
    board["DashboardBody"] = _json(board.get("DashboardBody") or "{}")
    return board


def discover(clients, params):
    """The site state. ``clients(service)`` returns a boto3 client; ``params`` are the module's."""
    identity = call("the session's identity", clients("sts").get_caller_identity)
    account, partition = identity["Account"], identity["Arn"].split(":")[1]
    region = params["region"]
    scopes = set(params["scopes"])
    names = site_names(params["network_name"], params["environment_suffix"], account)
    state = {
        "network_name": params["network_name"], "environment_suffix": params["environment_suffix"],
        "account_id": account, "partition": partition, "region": region, "caller_arn": identity["Arn"],
        "scopes": sorted(scopes), "vpc": None, "vpc_candidates": [], "subnets": [], "route_tables": [],
        "network_acls": [], "security_groups": [], "vpc_endpoints": [], "vpc_peering_connections": [],
        "flow_logs": [], "internet_gateways": [], "nat_gateways": [], "prefix_lists": [],
    }
    ec2 = clients("ec2")
    state["availability_zones"] = describe_zones(ec2)
    vpc, candidates = find_vpc(ec2, params.get("vpc_id"), params.get("vpc_adopt_tags"), names["vpc"])
    state["vpc_candidates"] = [c["VpcId"] for c in candidates]
    if vpc is not None:
        state.update(describe_network(ec2, vpc, region))
        state["vpc_peering_connections"] = describe_peerings(ec2, vpc["VpcId"])
    if scopes & {"security", "endpoints", "monitoring"}:
        state["prefix_lists"] = describe_prefix_lists(ec2, region)
    if scopes & {"peering", "flowlogs", "config", "monitoring"}:
        iam = clients("iam")
        wanted = {"peering": ["acceptance_role"], "config": ["config_role"], "monitoring": ["delivery_role"]}
        state["iam_roles"] = {names[key]: describe_role(iam, names[key]) for scope in scopes for key in wanted.get(scope, [])}
    if scopes & {"flowlogs", "config", "monitoring"}:
        kms, s3 = clients("kms"), clients("s3")
        aliases = {"flowlogs": ["flowlogs_key_alias"], "config": ["config_key_alias"],
                   "monitoring": ["alerts_key_alias", "logs_key_alias"]}
        state["kms_keys"] = {names[key]: describe_key(kms, names[key]) for scope in scopes for key in aliases.get(scope, [])}
        buckets = {"flowlogs": "flowlogs_bucket", "config": "config_bucket"}
        state["buckets"] = {names[buckets[scope]]: describe_bucket(s3, names[buckets[scope]]) for scope in scopes if scope in buckets}
    if "config" in scopes:
        state["config"] = describe_config(clients("config"), f"-{params['network_name']}-{params['environment_suffix']}")
    if "monitoring" in scopes:
        cloudwatch = clients("cloudwatch")
        topic_arn = f"arn:{partition}:sns:{region}:{account}:{names['topic']}"
        state["topic"] = describe_topic(clients("sns"), topic_arn)
        state["log_group"] = describe_log_group(clients("logs"), names["log_group"])
        state["alarms"] = describe_alarms(cloudwatch, names["alarms"].values())
        state["event_rules"] = describe_rules(clients("events"), names["event_rules"].values())
        state["dashboard"] = describe_dashboard(cloudwatch, params.get("dashboard_name") or names["dashboard"])
    return state
