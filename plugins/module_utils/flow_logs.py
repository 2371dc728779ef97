# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared helpers for the VPC flow log modules (vpc_flow_log and the flow-log discovery).

Pure functions (validation, interval mapping, normalisation, comparison) are kept
free of AWS calls so that they can be unit tested directly; the few AWS helpers
take a client wrapped with AWSRetry (``module.client(..., retry_decorator=...)``).

``plan_flow_log(flow_logs, options)`` is the decision of ``vpc_flow_log``: it compares the
flow logs AWS describes (``DescribeFlowLogs`` entries, as ``site_info`` returns them in
``state.flow_logs``) with the module's options and returns the changes, each
``{"resource", "action", "field", "before", "after"}`` plus the flow log ID it concerns. The
module carries out exactly these changes; the flow logs stage plans with the same function on
the controller (``plugins/module_utils/observability_plan.py``).
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import copied_change
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import all_pages
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import BUCKET_NAME
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PARTITION
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ROLE_ARN_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ec2_id_re
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG

# Prefix of the resource id -> ResourceType of CreateFlowLogs.
RESOURCE_TYPES = {
    "vpc": "VPC",
    "subnet": "Subnet",
    "eni": "NetworkInterface",
}

RESOURCE_ID_RE = ec2_id_re("(vpc|subnet|eni)")
# arn:<partition>:s3:::<bucket>[/<prefix>]
S3_ARN_RE = re.compile(r"^arn:" + PARTITION + r":s3:::(?P<bucket>" + BUCKET_NAME + r")(?P<prefix>/.*)?$")
LOG_GROUP_NAME_PATTERN = r"[\.\-_/#A-Za-z0-9]{1,512}"
LOG_GROUP_NAME_RE = re.compile(r"^" + LOG_GROUP_NAME_PATTERN + r"$")
LOG_GROUP_ARN_RE = re.compile(
    r"^arn:" + PARTITION + r":logs:[a-z0-9-]+:\d{12}:log-group:(?P<name>" + LOG_GROUP_NAME_PATTERN + r")(:\*)?$"
)
FORMAT_TOKEN_RE = re.compile(r"^\$\{(?P<field>[a-z0-9-]+)\}$")

# Every field AWS documents for VPC flow log records (version 2 to 10).
KNOWN_FIELDS = (
    # version 2 (the AWS default format)
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
    # version 3
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    # version 4
    "region", "az-id", "sublocation-type", "sublocation-id",
    # version 5
    "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",
    # version 7 (ECS)
    "ecs-cluster-arn", "ecs-cluster-name", "ecs-container-instance-arn",
    "ecs-container-instance-id", "ecs-container-id", "ecs-second-container-id",
    "ecs-service-name", "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id",
    # version 8 and later
    "reject-reason", "resource-id", "encryption-status",
)

# The AWS default format (version 2 fields). AWS (and the emulator) report it when
# a flow log was created without LogFormat.
AWS_DEFAULT_LOG_FORMAT = " ".join(
    "${%s}" % f
    for f in (
        "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
        "protocol", "packets", "bytes", "start", "end", "action", "log-status",
    )
)

# This collection's default: every field up to version 5.
DEFAULT_LOG_FORMAT = " ".join("${%s}" % f for f in KNOWN_FIELDS[: KNOWN_FIELDS.index("traffic-path") + 1])

ALLOWED_AGGREGATION_INTERVALS = (60, 600)
DEFAULT_AGGREGATION_INTERVAL = 60
# What AWS applies when MaxAggregationInterval is not given (and reports if omitted).
AWS_DEFAULT_AGGREGATION_INTERVAL = 600

DEFAULT_DESTINATION_OPTIONS = {
    "file_format": "plain-text",
    "hive_compatible_partitions": False,
    "per_hour_partition": False,
}


class FlowLogError(ValueError):
    """Invalid input: the message names the parameter and the value."""


# ---------------------------------------------------------------------------
# Validation and mapping (no AWS calls)
# ---------------------------------------------------------------------------


def resolve_resource_type(resource_id, resource_type=None):
    """Return the CreateFlowLogs ResourceType for resource_id; check it agrees with resource_type."""
    match = RESOURCE_ID_RE.match(resource_id or "")
    if not match:
        raise FlowLogError(
            "resource_id '%s' is not a VPC, subnet or network interface id "
            "(expected vpc-*, subnet-* or eni-* followed by 8 or 17 hex digits)" % resource_id
        )
    inferred = RESOURCE_TYPES[match.group(1)]
    if resource_type and resource_type != inferred:
        raise FlowLogError(
            "resource_type '%s' does not agree with resource_id '%s' (which is a %s)"
            % (resource_type, resource_id, inferred)
        )
    return inferred


def resolve_aggregation_interval(max_aggregation_interval=None, capture_interval=None):
    """Return (max_aggregation_interval, note, mapped).

    ``max_aggregation_interval`` must be one of the AWS values (60, 600).
    ``capture_interval`` is the interval the user asked for in seconds; it is mapped to
    the largest allowed value not above it. ``mapped`` is True when that changed the value.
    """
    if max_aggregation_interval is not None and capture_interval is not None:
        raise FlowLogError("max_aggregation_interval and capture_interval are mutually exclusive")
    if max_aggregation_interval is not None:
        if max_aggregation_interval not in ALLOWED_AGGREGATION_INTERVALS:
            raise FlowLogError(
                "max_aggregation_interval %s is not allowed: AWS accepts 60 or 600 seconds only "
                "(use capture_interval to map a requested interval)" % max_aggregation_interval
            )
        return max_aggregation_interval, None, False
    if capture_interval is None:
        return DEFAULT_AGGREGATION_INTERVAL, None, False
    if capture_interval < 60:
        raise FlowLogError(
            "capture_interval %s s is below the smallest aggregation interval AWS offers (60 s)" % capture_interval
        )
    value = 600 if capture_interval >= 600 else 60
    if value == capture_interval:
        note = "capture_interval %s s used as max_aggregation_interval %s s" % (capture_interval, value)
        return value, note, False
    note = "capture_interval %s s mapped to max_aggregation_interval %s s (AWS accepts 60 or 600 only)" % (
        capture_interval,
        value,
    )
    return value, note, True


def normalize_log_format(log_format):
    """Validate a custom log format and return it with single spaces between tokens."""
    if log_format is None:
        return DEFAULT_LOG_FORMAT
    tokens = log_format.split()
    if not tokens:
        raise FlowLogError("log_format must name at least one field, got '%s'" % log_format)
    unknown = []
    for token in tokens:
        match = FORMAT_TOKEN_RE.match(token)
        if not match:
            raise FlowLogError(
                "log_format token '%s' is not of the form ${field} (log_format: '%s')" % (token, log_format)
            )
        if match.group("field") not in KNOWN_FIELDS:
            unknown.append(match.group("field"))
    if unknown:
        raise FlowLogError(
            "log_format names unknown flow log field(s): %s (known: %s)" % (", ".join(unknown), ", ".join(KNOWN_FIELDS))
        )
    return " ".join(tokens)


def canonical_log_format(log_format):
    """Form used to compare a described LogFormat with the desired one."""
    if not log_format:
        return AWS_DEFAULT_LOG_FORMAT
    return " ".join(log_format.split())


def log_group_name_from_arn(arn):
    match = LOG_GROUP_ARN_RE.match(arn or "")
    return match.group("name") if match else None


def normalize_s3_arn(arn):
    """Compare S3 destinations without a trailing slash on the prefix."""
    return arn.rstrip("/") if arn else arn


def validate_destination(params, require_role=True):
    """Validate the destination options; return a dict describing the destination.

    ``require_role`` is False for deletion, where only the destination identifies the flow log.

    Keys: type, log_destination, log_group_name, role_arn, key (identity of the destination).
    """
    dest_type = params["log_destination_type"]
    log_destination = params.get("log_destination")
    log_group_name = params.get("log_group_name")
    role_arn = params.get("deliver_logs_permission_arn")

    if role_arn is not None and not ROLE_ARN_RE.match(role_arn):
        raise FlowLogError(
            "deliver_logs_permission_arn '%s' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)" % role_arn
        )

    if dest_type == "s3":
        if log_group_name is not None:
            raise FlowLogError(
                "log_group_name '%s' is only valid with log_destination_type=cloud-watch-logs" % log_group_name
            )
        if log_destination is None:
            raise FlowLogError("log_destination (an S3 bucket ARN) is required when log_destination_type=s3")
        match = S3_ARN_RE.match(log_destination)
        if not match:
            raise FlowLogError(
                "log_destination '%s' is not an S3 bucket ARN (arn:aws:s3:::bucket[/prefix])" % log_destination
            )
        prefix = (match.group("prefix") or "").strip("/")
        if prefix.split("/")[0] == "AWSLogs":
            raise FlowLogError(
                "log_destination '%s': AWS reserves the folder name AWSLogs; choose another prefix" % log_destination
            )
        if role_arn is not None:
            raise FlowLogError(
                "deliver_logs_permission_arn '%s' is only valid with log_destination_type=cloud-watch-logs" % role_arn
            )
        return {
            "type": "s3",
            "log_destination": log_destination,
            "log_group_name": None,
            "role_arn": None,
            "key": ("s3", normalize_s3_arn(log_destination)),
        }

    # cloud-watch-logs
    if log_destination is None and log_group_name is None:
        raise FlowLogError(
            "log_destination (a log group ARN) or log_group_name is required when log_destination_type=cloud-watch-logs"
        )
    if log_destination is not None and log_group_name is not None:
        raise FlowLogError("log_destination and log_group_name are mutually exclusive")
    if log_destination is not None:
        group = log_group_name_from_arn(log_destination)
        if group is None:
            raise FlowLogError(
                "log_destination '%s' is not a CloudWatch Logs log group ARN "
                "(arn:aws:logs:<region>:<account>:log-group:<name>)" % log_destination
            )
    else:
        if not LOG_GROUP_NAME_RE.match(log_group_name):
            raise FlowLogError("log_group_name '%s' is not a valid log group name" % log_group_name)
        group = log_group_name
    if role_arn is None and require_role:
        raise FlowLogError(
            "deliver_logs_permission_arn (an IAM role ARN) is required when log_destination_type=cloud-watch-logs"
        )
    return {
        "type": "cloud-watch-logs",
        "log_destination": log_destination,
        "log_group_name": log_group_name,
        "role_arn": role_arn,
        "key": ("cloud-watch-logs", group),
    }


def destination_key(flow_log):
    """Identity of a described flow log's destination, comparable with validate_destination()['key']."""
    dest_type = flow_log.get("LogDestinationType") or "cloud-watch-logs"
    if dest_type == "s3":
        return ("s3", normalize_s3_arn(flow_log.get("LogDestination")))
    if dest_type == "cloud-watch-logs":
        group = flow_log.get("LogGroupName") or log_group_name_from_arn(flow_log.get("LogDestination"))
        return ("cloud-watch-logs", group)
    return (dest_type, flow_log.get("LogDestination"))


def destination_options_to_boto3(options):
    return {
        "FileFormat": options["file_format"],
        "HiveCompatiblePartitions": bool(options["hive_compatible_partitions"]),
        "PerHourPartition": bool(options["per_hour_partition"]),
    }


def destination_options_from_boto3(options):
    if not options:
        return None
    return {
        "file_format": options.get("FileFormat", DEFAULT_DESTINATION_OPTIONS["file_format"]),
        "hive_compatible_partitions": bool(options.get("HiveCompatiblePartitions", False)),
        "per_hour_partition": bool(options.get("PerHourPartition", False)),
    }


# ---------------------------------------------------------------------------
# Normalisation and comparison
# ---------------------------------------------------------------------------


def normalize_flow_log(flow_log):
    """Snake-case form of a DescribeFlowLogs entry, tags as a dict."""
    creation = flow_log.get("CreationTime")
    if creation is not None and hasattr(creation, "isoformat"):
        creation = creation.isoformat()
    return {
        "flow_log_id": flow_log.get("FlowLogId"),
        "resource_id": flow_log.get("ResourceId"),
        "traffic_type": flow_log.get("TrafficType"),
        "log_destination_type": flow_log.get("LogDestinationType"),
        "log_destination": flow_log.get("LogDestination"),
        "log_group_name": flow_log.get("LogGroupName"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
        "log_format": flow_log.get("LogFormat"),
        "destination_options": destination_options_from_boto3(flow_log.get("DestinationOptions")),
        "tags": boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or []),
        "flow_log_status": flow_log.get("FlowLogStatus"),
        "deliver_logs_status": flow_log.get("DeliverLogsStatus"),
        "deliver_logs_error_message": flow_log.get("DeliverLogsErrorMessage"),
        "creation_time": creation,
    }


def immutable_differences(existing, desired):
    """Return the names of the immutable settings in which a described flow log differs.

    ``existing`` is a DescribeFlowLogs entry, ``desired`` a dict with keys traffic_type,
    max_aggregation_interval, log_format, destination_options (snake dict or None),
    deliver_logs_permission_arn, log_destination_type.

    Tolerances: a missing MaxAggregationInterval is the AWS default (600); a missing
    LogFormat is the AWS default format; a missing DestinationOptions is not a
    difference (some services, the emulator among them, omit it), so that the module
    never replaces a flow log in a loop.
    """
    diffs = []
    if existing.get("TrafficType") != desired["traffic_type"]:
        diffs.append("traffic_type")
    interval = existing.get("MaxAggregationInterval") or AWS_DEFAULT_AGGREGATION_INTERVAL
    if int(interval) != desired["max_aggregation_interval"]:
        diffs.append("max_aggregation_interval")
    if canonical_log_format(existing.get("LogFormat")) != canonical_log_format(desired["log_format"]):
        diffs.append("log_format")
    if desired["log_destination_type"] == "s3":
        described = destination_options_from_boto3(existing.get("DestinationOptions"))
        if described is not None and described != desired["destination_options"]:
            diffs.append("destination_options")
    else:
        if existing.get("DeliverLogsPermissionArn") != desired["deliver_logs_permission_arn"]:
            diffs.append("deliver_logs_permission_arn")
    return diffs


# ---------------------------------------------------------------------------
# The planner: options -> desired flow log, described flow logs -> changes
# ---------------------------------------------------------------------------

OPTION_DEFAULTS = {
    "state": "present",
    "resource_type": None,
    "traffic_type": "ALL",
    "log_destination_type": "s3",
    "log_destination": None,
    "log_group_name": None,
    "deliver_logs_permission_arn": None,
    "max_aggregation_interval": None,
    "capture_interval": None,
    "log_format": None,
    "destination_options": None,
    "tags": None,
    "purge_tags": True,
    "require_owner_tag": False,
}


def flow_log_desired(options):
    """The module's options (or the same keys from a planner), checked and completed.

    Returns the desired flow log: resource_id, resource_type, destination (see
    validate_destination), traffic_type, max_aggregation_interval, note and mapped (the interval
    mapping), log_format, destination_options (+ _given), tags (str values, or None: not
    managed), purge_tags, require_owner_tag, state. Raises FlowLogError naming the option.
    """
    params = dict(OPTION_DEFAULTS)
    params.update({key: value for key, value in (options or {}).items() if value is not None})
    state = params["state"]
    if state not in ("present", "absent"):
        raise FlowLogError("state '%s' is not one of present, absent" % state)
    if params["traffic_type"] not in ("ALL", "ACCEPT", "REJECT"):
        raise FlowLogError("traffic_type '%s' is not one of ALL, ACCEPT, REJECT" % params["traffic_type"])
    if params["log_destination_type"] not in ("s3", "cloud-watch-logs"):
        raise FlowLogError("log_destination_type '%s' is not one of s3, cloud-watch-logs" % params["log_destination_type"])
    resource_type = resolve_resource_type(params.get("resource_id"), params["resource_type"])
    # The role is irrelevant for deletion: only the destination identifies the flow log.
    destination = validate_destination(params, require_role=(state == "present"))
    desired = {
        "state": state,
        "resource_id": params["resource_id"],
        "resource_type": resource_type,
        "destination": destination,
        "log_destination_type": destination["type"],
        "traffic_type": params["traffic_type"],
        "deliver_logs_permission_arn": destination["role_arn"],
        "note": None,
        "mapped": False,
        "tags": None if params["tags"] is None else {str(k): "" if v is None else str(v) for k, v in params["tags"].items()},
        "purge_tags": bool(params["purge_tags"]),
        "require_owner_tag": bool(params["require_owner_tag"]),
    }
    if state == "absent":
        return desired
    interval, note, mapped = resolve_aggregation_interval(params["max_aggregation_interval"], params["capture_interval"])
    desired.update(max_aggregation_interval=interval, note=note, mapped=mapped, log_format=normalize_log_format(params["log_format"]))
    options = params["destination_options"]
    if destination["type"] != "s3":
        if options is not None:
            raise FlowLogError("destination_options %s are only valid with log_destination_type=s3" % (options,))
        desired.update(destination_options=None, destination_options_given=False)
    else:
        merged = dict(DEFAULT_DESTINATION_OPTIONS)
        merged.update({k: v for k, v in (options or {}).items() if v is not None})
        desired.update(destination_options=merged, destination_options_given=options is not None)
    return desired


def flow_log_request(desired, tags):
    """The CreateFlowLogs parameters of the desired flow log, without the client token."""
    dest = desired["destination"]
    params = {
        "ResourceIds": [desired["resource_id"]],
        "ResourceType": desired["resource_type"],
        "TrafficType": desired["traffic_type"],
        "LogDestinationType": dest["type"],
        "MaxAggregationInterval": desired["max_aggregation_interval"],
        "LogFormat": desired["log_format"],
    }
    if dest["log_destination"] is not None:
        params["LogDestination"] = dest["log_destination"]
    if dest["log_group_name"] is not None:
        params["LogGroupName"] = dest["log_group_name"]
    if dest["role_arn"] is not None:
        params["DeliverLogsPermissionArn"] = dest["role_arn"]
    if desired["destination_options_given"]:
        params["DestinationOptions"] = destination_options_to_boto3(desired["destination_options"])
    if tags:
        params["TagSpecifications"] = [{"ResourceType": "vpc-flow-log",
                                        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}]
    return params


def client_token(request, attempt=""):
    """A CreateFlowLogs ClientToken that is the same on every run for the same flow log.

    Derived from the request (resource, destination and settings, not the tags), so that a run
    killed after AWS accepted the request and retried by the next run cannot create a second flow
    log. ``attempt`` (the ID AWS answered with) gives a new token when AWS answers a reused token
    with a flow log that has been deleted since (the module then creates it again).
    """
    identity = {key: value for key, value in request.items() if key != "TagSpecifications"}
    text = json.dumps(identity, sort_keys=True) + "/" + attempt
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _tags_of(flow_log):
    return boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or [])


def is_owned(flow_log):
    return _tags_of(flow_log).get(OWNER_TAG) == OWNER


def _resource(flow_log):
    return "flow_log %s" % flow_log["FlowLogId"]


def flow_log_view(flow_log):
    """What the plan shows of a flow log (the settings the module compares, and the tags)."""
    return {
        "FlowLogId": flow_log.get("FlowLogId"),
        "ResourceId": flow_log.get("ResourceId"),
        "TrafficType": flow_log.get("TrafficType"),
        "LogDestinationType": flow_log.get("LogDestinationType"),
        "LogDestination": flow_log.get("LogDestination") or flow_log.get("LogGroupName"),
        "MaxAggregationInterval": flow_log.get("MaxAggregationInterval"),
        "LogFormat": flow_log.get("LogFormat"),
        "Tags": _tags_of(flow_log),
    }


def matching_flow_logs(flow_logs, desired):
    """The described flow logs of the desired resource that publish to the desired destination."""
    return [fl for fl in flow_logs or [] if fl.get("ResourceId") == desired["resource_id"]
            and destination_key(fl) == desired["destination"]["key"]]


def _refuse_foreign(matching, desired, what):
    if not desired["require_owner_tag"]:
        return
    foreign = [fl["FlowLogId"] for fl in matching if not is_owned(fl)]
    if foreign:
        raise FlowLogError(
            "flow log(s) %s of %s publish to %s but do not carry the tag %s=%s; refusing to %s them "
            "(delete them or tag them to let the collection manage them)"
            % (", ".join(foreign), desired["resource_id"], desired["destination"]["key"][1], OWNER_TAG, OWNER, what))


def final_tags(current, desired):
    """The tags a kept (or replacing) flow log ends with: current ones when tags are not managed."""
    if desired["tags"] is None:
        return dict(current)
    to_set, to_unset = compare_aws_tags(current, desired["tags"], purge_tags=desired["purge_tags"])
    out = {k: v for k, v in current.items() if k not in to_unset}
    out.update({k: str(v) for k, v in to_set.items()})
    return out


def plan_flow_log(flow_logs, options):
    """The changes that make the flow log of ``options`` (the module's options) true.

    flow_logs: DescribeFlowLogs entries (others than the resource's are ignored).
    present: one flow log of the resource to the destination is kept when its immutable
    settings match (others to the same destination are deleted) and its tags are corrected;
    otherwise all are deleted and the flow log is created (a replacement: AWS cannot modify one).
    absent: every flow log of the resource to the destination is deleted.
    With require_owner_tag, a flow log to the destination without ``ManagedBy`` refuses the plan.
    Each change carries ``id`` (the flow log concerned, None for a creation); a creation carries
    ``request`` (CreateFlowLogs without the token) and ``replaces`` (the settings that differed).
    """
    desired = flow_log_desired(options)
    matching = matching_flow_logs(flow_logs, desired)
    if desired["state"] == "absent":
        _refuse_foreign(matching, desired, "delete")
        return [copied_change(_resource(fl), "delete", "flow_log", flow_log_view(fl), None, id=fl["FlowLogId"]) for fl in matching]
    _refuse_foreign(matching, desired, "replace or delete")
    keep, differences = None, []
    for fl in matching:
        diffs = immutable_differences(fl, desired)
        if not diffs:
            keep = fl
            break
        differences = differences or diffs
    changes = []
    if keep is not None:
        for fl in matching:
            if fl is not keep:
                changes.append(copied_change(_resource(fl), "delete", "flow_log", flow_log_view(fl), None, id=fl["FlowLogId"], duplicate=True))
        current = _tags_of(keep)
        after = final_tags(current, desired)
        if after != current:
            changes.append(copied_change(_resource(keep), "update", "tags", current, after, id=keep["FlowLogId"]))
        return changes
    tags = final_tags(_tags_of(matching[0]), desired) if matching else dict(desired["tags"] or {})
    for fl in matching:
        changes.append(copied_change(_resource(fl), "delete", "flow_log", flow_log_view(fl), None, id=fl["FlowLogId"], replaced=differences))
    request = flow_log_request(desired, tags)
    after = {"FlowLogId": None, "ResourceId": desired["resource_id"], "TrafficType": desired["traffic_type"],
             "LogDestinationType": desired["log_destination_type"],
             "LogDestination": desired["destination"]["log_destination"] or desired["destination"]["log_group_name"],
             "MaxAggregationInterval": desired["max_aggregation_interval"], "LogFormat": desired["log_format"], "Tags": tags}
    name = tags.get("Name") or "of %s" % desired["resource_id"]
    changes.append(copied_change("flow_log %s" % name, "create", "flow_log", flow_log_view(matching[0]) if matching else None, after,
                                 id=None, request=request, replaces=differences))
    return changes


def project_flow_logs(flow_logs, changes):
    """The described flow logs once ``changes`` are made (a created one has FlowLogId None)."""
    out = copy.deepcopy(list(flow_logs or []))
    for item in changes:
        if item["action"] == "delete":
            out = [fl for fl in out if fl.get("FlowLogId") != item["id"]]
        elif item["action"] == "update":
            for fl in out:
                if fl.get("FlowLogId") == item["id"]:
                    fl["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(item["after"].items())]
        else:
            request = item["request"]
            created = {key: value for key, value in request.items() if key not in ("ResourceIds", "ResourceType", "TagSpecifications")}
            created.update(FlowLogId=None, ResourceId=request["ResourceIds"][0], FlowLogStatus="ACTIVE",
                           Tags=[{"Key": k, "Value": v} for k, v in sorted(item["after"]["Tags"].items())])
            out.append(created)
    return out


# ---------------------------------------------------------------------------
# Client-side filtering (the emulator is unreliable with filters on some APIs)
# ---------------------------------------------------------------------------


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _any_match(actual, patterns):
    if actual is None:
        return False
    return any(fnmatch.fnmatchcase(str(actual), p) for p in patterns)


CLIENT_SIDE_FILTERS = {
    "resource-id": "ResourceId",
    "log-destination-type": "LogDestinationType",
    "traffic-type": "TrafficType",
    "flow-log-id": "FlowLogId",
    "log-group-name": "LogGroupName",
    "deliver-log-status": "DeliverLogsStatus",
}


def matches_filters(flow_log, filters):
    """True when a DescribeFlowLogs entry satisfies the filters we can check client-side.

    Filter names not understood here are left to the API.
    """
    tags = boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or [])
    for name, value in (filters or {}).items():
        patterns = _as_list(value)
        if name in CLIENT_SIDE_FILTERS:
            if not _any_match(flow_log.get(CLIENT_SIDE_FILTERS[name]), patterns):
                return False
        elif name.startswith("tag:"):
            if not _any_match(tags.get(name[4:]), patterns):
                return False
        elif name == "tag-key":
            if not any(_any_match(key, patterns) for key in tags):
                return False
    return True


# ---------------------------------------------------------------------------
# AWS helpers
# ---------------------------------------------------------------------------


def describe_flow_logs(client, flow_log_ids=None, filters=None):
    """DescribeFlowLogs (all pages) with boto3-style Filters from a dict."""
    params = {}
    if flow_log_ids:
        params["FlowLogIds"] = list(flow_log_ids)
    if filters:
        params["Filters"] = [{"Name": k, "Values": _as_list(v)} for k, v in filters.items()]
    return all_pages(client, "describe_flow_logs", **params).get("FlowLogs", [])
