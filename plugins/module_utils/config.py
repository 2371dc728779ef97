# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared helpers for the AWS Config modules of netsec.aws_peering.

Mostly pure functions (validation and normalisation), so they can be unit
tested directly:

* configuration recorder / delivery channel: desired request building and the
  normalised view used to compare with the DescribeConfigurationRecorders /
  DescribeDeliveryChannels replies (keys we do not manage are ignored);
* config rules: input-parameter conversion (AWS wants a JSON object whose values
  are all strings), rule validation, the normalised rule view, and a
  DescribeConfigRules lister that copes with the emulator returning an empty
  list where AWS raises NoSuchConfigRuleException;
* the planners of the two modules, ``plan_recorder`` and ``plan_rules``: they compare the
  described state (``site_info``'s ``state.config``) with the module's options and return the
  changes. The modules carry out exactly these; the compliance stage plans with the same
  functions on the controller (``plugins/module_utils/observability_plan.py``).
"""

from __future__ import annotations

import copy
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import copied_change
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import KMS_KEY_ARN_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PARTITION
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ROLE_ARN_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import SNS_TOPIC_ARN_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import bucket_name_error

FREQUENCIES = ("One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours")
# SourceDetails message types that are periodic: AWS fills in TwentyFour_Hours
# when no frequency is given.
PERIODIC_MESSAGE_TYPES = ("ScheduledNotification", "ConfigurationSnapshotDeliveryCompleted")
MESSAGE_TYPES = (
    "ConfigurationItemChangeNotification",
    "ConfigurationSnapshotDeliveryCompleted",
    "OversizedConfigurationItemChangeNotification",
    "ScheduledNotification",
)
DEFAULT_FREQUENCY = "TwentyFour_Hours"

RECORDER_NAME_MAX = 256
CHANNEL_NAME_MAX = 256
RULE_NAME_MAX = 128
RULE_DESCRIPTION_MAX = 256
RULE_INPUT_PARAMETERS_MAX = 1024
SCOPE_RESOURCE_TYPES_MAX = 100
TAGS_MAX = 50

# The console's rule-name rule (the API pattern is only ".*\S.*"): letters,
# digits, hyphens and underscores. Stricter than the API on purpose.
RULE_NAME_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Names of AWS managed rules, e.g. VPC_FLOW_LOGS_ENABLED.
MANAGED_RULE_ID_RE = re.compile(r"^[A-Z0-9_]+$")
LAMBDA_ARN_RE = re.compile(r"^arn:" + PARTITION + r":lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")
RESOURCE_TYPE_RE = re.compile(r"^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$")

# Errors that mean "this endpoint does not implement tagging of config rules".
TAGGING_UNSUPPORTED_CODES = (
    "NotImplemented",
    "NotImplementedException",
    "InvalidAction",
    "UnknownOperationException",
    "UnsupportedOperation",
    "UnsupportedOperationException",
)


class ConfigValidationError(ValueError):
    """Bad user input; the message names the option and the value."""


# ---------------------------------------------------------------------------
# Configuration recorder / delivery channel
# ---------------------------------------------------------------------------


def desired_recording_group(recording_group):
    """Resolve the recording_group option to the normalised view.

    Returns ``{"all_supported": bool, "include_global_resource_types": bool,
    "resource_types": sorted list}``. Raises ConfigValidationError on invalid
    combinations (AWS would answer InvalidRecordingGroupException).
    """
    group = dict(recording_group or {})
    resource_types = group.get("resource_types") or []
    all_supported = group.get("all_supported")
    include_global = group.get("include_global_resource_types")
    if resource_types:
        if all_supported:
            raise ConfigValidationError(
                "recording_group: all_supported=true cannot be combined with resource_types=%s; "
                "set all_supported=false or drop resource_types" % resource_types
            )
        if include_global:
            raise ConfigValidationError(
                "recording_group: include_global_resource_types=true requires all_supported=true, "
                "not a resource_types list (%s)" % resource_types
            )
        bad = [t for t in resource_types if not RESOURCE_TYPE_RE.match(str(t))]
        if bad:
            raise ConfigValidationError(
                "recording_group.resource_types: invalid resource type(s) %s; expected e.g. AWS::EC2::VPC" % bad
            )
        if len(set(resource_types)) != len(resource_types):
            raise ConfigValidationError("recording_group.resource_types: duplicate entries in %s" % resource_types)
        return {
            "all_supported": False,
            "include_global_resource_types": False,
            "resource_types": sorted(resource_types),
        }
    if all_supported is False:
        raise ConfigValidationError(
            "recording_group: all_supported=false needs a non-empty resource_types list"
        )
    return {
        "all_supported": True,
        "include_global_resource_types": bool(include_global),
        "resource_types": [],
    }


def recording_group_to_boto(group):
    """Normalised recording group -> PutConfigurationRecorder recordingGroup."""
    if group["all_supported"]:
        return {
            "allSupported": True,
            "includeGlobalResourceTypes": group["include_global_resource_types"],
            "resourceTypes": [],
            "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
        }
    return {
        "allSupported": False,
        "includeGlobalResourceTypes": False,
        "resourceTypes": list(group["resource_types"]),
        "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"},
    }


def normalise_recorder(reply):
    """DescribeConfigurationRecorders entry -> the fields we manage.

    Keys added by AWS (recordingStrategy, exclusionByResourceTypes,
    recordingMode, arn, ...) are ignored.
    """
    if not reply:
        return None
    group = reply.get("recordingGroup") or {}
    all_supported = bool(group.get("allSupported", False))
    result = {
        "name": reply.get("name"),
        "role_arn": reply.get("roleARN"),
        "recording_group": {
            "all_supported": all_supported,
            "include_global_resource_types": bool(group.get("includeGlobalResourceTypes", False)),
            "resource_types": [] if all_supported else sorted(group.get("resourceTypes") or []),
        },
    }
    excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
    if excluded:
        # Not managed by us, but reported so a reused recorder is described truthfully.
        result["recording_group"]["exclusion_resource_types"] = sorted(excluded)
    return result


def is_service_linked_recorder(reply):
    """Service-linked recorders (created by other AWS services) are never ours."""
    return bool(reply.get("servicePrincipal")) or (reply.get("recordingScope") == "INTERNAL")


def validate_delivery_channel(channel, default_name):
    """Validate the delivery_channel option; return the normalised desired view."""
    if channel is None:
        return None
    name = channel.get("name") or default_name
    if len(name) > CHANNEL_NAME_MAX:
        raise ConfigValidationError(
            "delivery_channel.name: %r is longer than %d characters" % (name, CHANNEL_NAME_MAX)
        )
    bucket = channel.get("s3_bucket_name")
    why = bucket_name_error(bucket)
    if why:
        raise ConfigValidationError("delivery_channel.s3_bucket_name: %r is not a valid S3 bucket name: it %s" % (bucket, why))
    prefix = channel.get("s3_key_prefix")
    if prefix is not None:
        if prefix == "" or prefix.startswith("/") or "AWSLogs" in prefix.split("/"):
            raise ConfigValidationError(
                "delivery_channel.s3_key_prefix: %r is invalid (must be non-empty, must not start with '/' "
                "or contain an 'AWSLogs' component)" % prefix
            )
    sns = channel.get("sns_topic_arn")
    if sns is not None and not SNS_TOPIC_ARN_RE.match(sns):
        raise ConfigValidationError("delivery_channel.sns_topic_arn: %r is not an SNS topic ARN" % sns)
    kms = channel.get("s3_kms_key_arn")
    # PutDeliveryChannel takes the ARN of the key itself (DeliveryChannel.s3KmsKeyArn), not of an alias.
    if kms is not None and not KMS_KEY_ARN_RE.match(kms):
        raise ConfigValidationError("delivery_channel.s3_kms_key_arn: %r is not a KMS key ARN" % kms)
    return {
        "name": name,
        "s3_bucket_name": bucket,
        "s3_key_prefix": prefix,
        "s3_kms_key_arn": kms,
        "sns_topic_arn": sns,
        "delivery_frequency": channel.get("delivery_frequency"),
    }


def normalise_delivery_channel(reply):
    """DescribeDeliveryChannels entry -> the fields we manage."""
    if not reply:
        return None
    return {
        "name": reply.get("name"),
        "s3_bucket_name": reply.get("s3BucketName"),
        "s3_key_prefix": reply.get("s3KeyPrefix") or None,
        "s3_kms_key_arn": reply.get("s3KmsKeyArn") or None,
        "sns_topic_arn": reply.get("snsTopicARN") or None,
        "delivery_frequency": (reply.get("configSnapshotDeliveryProperties") or {}).get("deliveryFrequency"),
    }


def delivery_channel_to_boto(channel):
    """Normalised delivery channel -> PutDeliveryChannel DeliveryChannel."""
    request = {"name": channel["name"], "s3BucketName": channel["s3_bucket_name"]}
    if channel.get("s3_key_prefix"):
        request["s3KeyPrefix"] = channel["s3_key_prefix"]
    if channel.get("s3_kms_key_arn"):
        request["s3KmsKeyArn"] = channel["s3_kms_key_arn"]
    if channel.get("sns_topic_arn"):
        request["snsTopicARN"] = channel["sns_topic_arn"]
    if channel.get("delivery_frequency"):
        request["configSnapshotDeliveryProperties"] = {"deliveryFrequency": channel["delivery_frequency"]}
    return request


# ---------------------------------------------------------------------------
# Config rules
# ---------------------------------------------------------------------------


def _parameter_value_to_string(value, where):
    """One input parameter value -> the string AWS expects."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        parts = []
        for item in value:
            if isinstance(item, (list, tuple, dict)) or item is None:
                raise ConfigValidationError(
                    "%s: list items must be scalars, got %r" % (where, value)
                )
            parts.append(_parameter_value_to_string(item, where))
        return ",".join(parts)
    raise ConfigValidationError(
        "%s: value %r of type %s cannot be converted to the string AWS requires"
        % (where, value, type(value).__name__)
    )


def input_parameters_to_strings(parameters, where="input_parameters"):
    """Convert an input_parameters dict to the all-strings dict AWS expects.

    ints/floats -> "443", bools -> "true"/"false", lists -> "443,5432".
    """
    if parameters is None:
        return None
    if not isinstance(parameters, dict):
        raise ConfigValidationError("%s: expected a dict, got %r" % (where, parameters))
    result = {}
    for key, value in parameters.items():
        if not isinstance(key, str) or not key:
            raise ConfigValidationError("%s: parameter names must be non-empty strings, got %r" % (where, key))
        result[key] = _parameter_value_to_string(value, "%s.%s" % (where, key))
    return result


def serialise_input_parameters(parameters):
    """All-strings dict -> the JSON string sent as InputParameters."""
    return json.dumps(parameters, sort_keys=True, separators=(",", ":"))


def parse_input_parameters(text):
    """InputParameters JSON string from AWS -> all-strings dict (tolerant)."""
    if not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {"__unparsable__": text}
    if not isinstance(parsed, dict):
        return {"__unparsable__": text}
    try:
        return input_parameters_to_strings(parsed)
    except ConfigValidationError:
        return {k: json.dumps(v) if not isinstance(v, str) else v for k, v in parsed.items()}


def normalise_scope(scope):
    """Scope in option form (snake case) -> compact normalised dict ({} if empty)."""
    if not scope:
        return {}
    result = {}
    types = scope.get("compliance_resource_types") or []
    if types:
        result["compliance_resource_types"] = sorted(types)
    for key in ("tag_key", "tag_value", "compliance_resource_id"):
        if scope.get(key):
            result[key] = scope[key]
    return result


def scope_from_boto(scope):
    if not scope:
        return {}
    return normalise_scope(
        {
            "compliance_resource_types": scope.get("ComplianceResourceTypes"),
            "tag_key": scope.get("TagKey"),
            "tag_value": scope.get("TagValue"),
            "compliance_resource_id": scope.get("ComplianceResourceId"),
        }
    )


def scope_to_boto(scope):
    result = {}
    if scope.get("compliance_resource_types"):
        result["ComplianceResourceTypes"] = list(scope["compliance_resource_types"])
    if scope.get("tag_key"):
        result["TagKey"] = scope["tag_key"]
    if scope.get("tag_value"):
        result["TagValue"] = scope["tag_value"]
    if scope.get("compliance_resource_id"):
        result["ComplianceResourceId"] = scope["compliance_resource_id"]
    return result


def normalise_source_details(details):
    """source_details (option form) -> sorted list with AWS's periodic default filled in."""
    result = []
    for detail in details or []:
        message_type = detail.get("message_type")
        frequency = detail.get("maximum_execution_frequency")
        if not frequency and message_type in PERIODIC_MESSAGE_TYPES:
            frequency = DEFAULT_FREQUENCY
        entry = {"event_source": detail.get("event_source") or "aws.config", "message_type": message_type}
        if frequency:
            entry["maximum_execution_frequency"] = frequency
        result.append(entry)
    return sorted(result, key=lambda d: (d["message_type"] or "", d.get("maximum_execution_frequency") or ""))


def source_details_from_boto(details):
    return normalise_source_details(
        [
            {
                "event_source": d.get("EventSource"),
                "message_type": d.get("MessageType"),
                "maximum_execution_frequency": d.get("MaximumExecutionFrequency"),
            }
            for d in details or []
        ]
    )


def source_details_to_boto(details):
    result = []
    for detail in details:
        entry = {"EventSource": detail["event_source"], "MessageType": detail["message_type"]}
        if detail.get("maximum_execution_frequency"):
            entry["MaximumExecutionFrequency"] = detail["maximum_execution_frequency"]
        result.append(entry)
    return result


def normalise_rule_reply(reply):
    """DescribeConfigRules entry -> the fields we manage (plus arn, created_by).

    ConfigRuleId, ConfigRuleState, EvaluationModes, CreatedBy... are not compared.
    """
    source = reply.get("Source") or {}
    return {
        "name": reply.get("ConfigRuleName"),
        "arn": reply.get("ConfigRuleArn"),
        "owner": source.get("Owner"),
        "source_identifier": source.get("SourceIdentifier"),
        "source_details": source_details_from_boto(source.get("SourceDetails")),
        "input_parameters": parse_input_parameters(reply.get("InputParameters")),
        "description": reply.get("Description") or "",
        "scope": scope_from_boto(reply.get("Scope")),
        "maximum_execution_frequency": reply.get("MaximumExecutionFrequency"),
        "created_by": reply.get("CreatedBy"),
    }


COMPARED_RULE_FIELDS = (
    "owner",
    "source_identifier",
    "source_details",
    "input_parameters",
    "description",
    "scope",
    "maximum_execution_frequency",
)


def validate_tags(tags, where):
    if tags is None:
        return None
    if len(tags) > TAGS_MAX:
        raise ConfigValidationError("%s: %d tags given, AWS allows at most %d" % (where, len(tags), TAGS_MAX))
    result = {}
    for key, value in tags.items():
        key = str(key)
        value = "" if value is None else str(value)
        if not key or len(key) > 128:
            raise ConfigValidationError("%s: tag key %r must be 1-128 characters" % (where, key))
        if key.lower().startswith("aws:"):
            raise ConfigValidationError("%s: tag key %r uses the reserved 'aws:' prefix" % (where, key))
        if len(value) > 256:
            raise ConfigValidationError("%s: value of tag %r is longer than 256 characters" % (where, key))
        result[key] = value
    return result


def validate_rule(rule, state, common_tags):
    """Validate one entry of the rules option; return the desired normalised rule.

    Fields left unset (None) are "not managed": description, scope,
    maximum_execution_frequency and input_parameters keep their current value.
    Raises ConfigValidationError naming the rule.
    """
    name = rule.get("name")
    label = "rules[name=%r]" % (name,)
    if not isinstance(name, str) or not name:
        raise ConfigValidationError("rules: every rule needs a non-empty name, got %r" % (name,))
    if len(name) > RULE_NAME_MAX:
        raise ConfigValidationError(
            "%s: name is %d characters long, AWS allows at most %d" % (label, len(name), RULE_NAME_MAX)
        )
    if not RULE_NAME_RE.match(name):
        raise ConfigValidationError(
            "%s: name contains invalid characters (allowed: letters, digits, '-' and '_')" % label
        )
    if state == "absent":
        return {"name": name}

    owner = rule.get("owner") or "AWS"
    source_identifier = rule.get("source_identifier")
    if not source_identifier:
        raise ConfigValidationError("%s: source_identifier is required when state=present" % label)
    source_details = rule.get("source_details")
    if owner == "AWS":
        if not MANAGED_RULE_ID_RE.match(source_identifier):
            raise ConfigValidationError(
                "%s: source_identifier %r is not an AWS managed rule identifier (e.g. VPC_FLOW_LOGS_ENABLED)"
                % (label, source_identifier)
            )
        if source_details:
            raise ConfigValidationError("%s: source_details is only valid with owner=CUSTOM_LAMBDA" % label)
    else:
        if not LAMBDA_ARN_RE.match(source_identifier):
            raise ConfigValidationError(
                "%s: source_identifier %r must be a Lambda function ARN when owner=CUSTOM_LAMBDA"
                % (label, source_identifier)
            )
        if not source_details:
            raise ConfigValidationError("%s: owner=CUSTOM_LAMBDA needs source_details" % label)
        for detail in source_details:
            if detail.get("maximum_execution_frequency") and detail.get("message_type") not in PERIODIC_MESSAGE_TYPES:
                raise ConfigValidationError(
                    "%s: source_details maximum_execution_frequency is not allowed with message_type %s"
                    % (label, detail.get("message_type"))
                )

    parameters = input_parameters_to_strings(rule.get("input_parameters"), "%s.input_parameters" % label)
    if parameters is not None and len(serialise_input_parameters(parameters)) > RULE_INPUT_PARAMETERS_MAX:
        raise ConfigValidationError(
            "%s: input_parameters serialise to more than %d characters" % (label, RULE_INPUT_PARAMETERS_MAX)
        )

    description = rule.get("description")
    if description is not None and len(description) > RULE_DESCRIPTION_MAX:
        raise ConfigValidationError(
            "%s: description is longer than %d characters" % (label, RULE_DESCRIPTION_MAX)
        )

    scope = rule.get("scope")
    if scope is not None:
        scope = normalise_scope(scope)
        types = scope.get("compliance_resource_types") or []
        bad = [t for t in types if not RESOURCE_TYPE_RE.match(str(t))]
        if bad:
            raise ConfigValidationError(
                "%s: scope.compliance_resource_types has invalid type(s) %s (expected e.g. AWS::EC2::VPC)"
                % (label, bad)
            )
        if len(types) > SCOPE_RESOURCE_TYPES_MAX:
            raise ConfigValidationError(
                "%s: scope.compliance_resource_types has %d entries, AWS allows %d"
                % (label, len(types), SCOPE_RESOURCE_TYPES_MAX)
            )
        if scope.get("tag_value") and not scope.get("tag_key"):
            raise ConfigValidationError("%s: scope.tag_value %r needs scope.tag_key" % (label, scope["tag_value"]))
        if scope.get("tag_key") and (types or scope.get("compliance_resource_id")):
            raise ConfigValidationError(
                "%s: scope cannot combine tag_key %r with resource types or a resource id" % (label, scope["tag_key"])
            )
        if scope.get("compliance_resource_id") and len(types) != 1:
            raise ConfigValidationError(
                "%s: scope.compliance_resource_id %r needs exactly one compliance_resource_types entry"
                % (label, scope["compliance_resource_id"])
            )

    tags = validate_tags(rule.get("tags"), "%s.tags" % label)
    if tags is None and common_tags is None:
        merged_tags = None
    else:
        merged_tags = dict(common_tags or {})
        merged_tags.update(tags or {})
        if len(merged_tags) > TAGS_MAX:
            raise ConfigValidationError(
                "%s: %d tags after merging the module-level tags, AWS allows %d" % (label, len(merged_tags), TAGS_MAX)
            )

    return {
        "name": name,
        "owner": owner,
        "source_identifier": source_identifier,
        "source_details": normalise_source_details(source_details) if owner != "AWS" else [],
        "input_parameters": parameters,
        "description": description,
        "scope": scope,
        "maximum_execution_frequency": rule.get("maximum_execution_frequency"),
        "tags": merged_tags,
    }


def merge_rule(desired, current):
    """Fill the not-managed (None) fields of desired from current (or defaults)."""
    current = current or {}
    defaults = {"input_parameters": {}, "description": "", "scope": {}, "maximum_execution_frequency": None}
    result = {}
    for field in COMPARED_RULE_FIELDS:
        value = desired.get(field)
        if value is None:
            value = current.get(field, defaults.get(field)) if current else defaults.get(field)
        result[field] = value
    result["name"] = desired["name"]
    return result


def rule_to_boto(name, rule):
    """Merged rule (see merge_rule) -> PutConfigRule ConfigRule."""
    source = {"Owner": rule["owner"], "SourceIdentifier": rule["source_identifier"]}
    if rule.get("source_details"):
        source["SourceDetails"] = source_details_to_boto(rule["source_details"])
    request = {"ConfigRuleName": name, "Source": source}
    if rule.get("input_parameters"):
        request["InputParameters"] = serialise_input_parameters(rule["input_parameters"])
    if rule.get("description"):
        request["Description"] = rule["description"]
    if rule.get("scope"):
        request["Scope"] = scope_to_boto(rule["scope"])
    if rule.get("maximum_execution_frequency"):
        request["MaximumExecutionFrequency"] = rule["maximum_execution_frequency"]
    return request


def rules_differ(after, current):
    return any(after.get(f) != current.get(f) for f in COMPARED_RULE_FIELDS)


def list_config_rules(client):
    """Every config rule in the account and region, by name.

    Describes all rules (no names): the emulator answers a by-name request
    with an empty list when no rule exists at all, where AWS raises
    NoSuchConfigRuleException; a full listing behaves the same on both.
    """
    rules = {}
    kwargs = {}
    while True:
        reply = client.describe_config_rules(aws_retry=True, **kwargs)
        for rule in reply.get("ConfigRules") or []:
            rules[rule["ConfigRuleName"]] = rule
        token = reply.get("NextToken")
        if not token:
            break
        kwargs["NextToken"] = token
    return rules


# ---------------------------------------------------------------------------
# The planners: described state -> changes (no AWS call)
# ---------------------------------------------------------------------------

RECORDER_OPTION_DEFAULTS = {
    "state": "present",
    "role_arn": None,
    "recording_group": None,
    "reuse_existing": True,
    "delivery_channel": None,
    "recording": True,
    "start_reused": False,
    "required_resource_types": None,
}


def recorder_desired(options):
    """The config_recorder module's options, checked and normalised (ConfigValidationError naming the option)."""
    params = dict(RECORDER_OPTION_DEFAULTS)
    params.update({key: value for key, value in (options or {}).items() if value is not None})
    name = params.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > RECORDER_NAME_MAX:
        raise ConfigValidationError("name: %r must be 1-%d characters and not blank" % (name, RECORDER_NAME_MAX))
    if params["state"] not in ("present", "absent"):
        raise ConfigValidationError("state: %r is not one of present, absent" % (params["state"],))
    role_arn = params["role_arn"]
    if role_arn is not None and not ROLE_ARN_RE.match(role_arn):
        raise ConfigValidationError("role_arn: %r is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)" % role_arn)
    required = sorted(set(params["required_resource_types"] or []))
    bad = [t for t in required if not RESOURCE_TYPE_RE.match(str(t))]
    if bad:
        raise ConfigValidationError("required_resource_types: invalid resource type(s) %s; expected e.g. AWS::EC2::VPC" % bad)
    return {
        "name": name,
        "state": params["state"],
        "role_arn": role_arn,
        "recording_group": desired_recording_group(params["recording_group"]),
        "reuse_existing": bool(params["reuse_existing"]),
        "channel": validate_delivery_channel(params["delivery_channel"], name),
        "recording": bool(params["recording"]),
        "start_reused": bool(params["start_reused"]),
        "required_resource_types": required,
    }


def customer_recorders(current):
    """The account-and-region's customer managed recorders (service-linked ones are never ours)."""
    return [r for r in (current or {}).get("recorders") or [] if not is_service_linked_recorder(r)]


def is_recording(current, name):
    return any(s.get("name") == name and s.get("recording") for s in (current or {}).get("recorder_status") or [])


def unrecorded_types(recorder, required):
    """The types of ``required`` a described recorder does not record (its recording group and strategy)."""
    group = recorder.get("recordingGroup") or {}
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    excluded = set((group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or [])
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES" or (group.get("allSupported") and strategy != "INCLUSION_BY_RESOURCE_TYPES"):
        return sorted(set(required) & excluded)
    return sorted(set(required) - set(group.get("resourceTypes") or []))


def _recorder_resource(name):
    return "config_recorder %s" % name


def _channel_resource(name):
    return "config_delivery_channel %s" % name


def plan_recorder(current, options):
    """The configuration recorder, delivery channel and recording state of one account and region.

    current: ``{"recorders", "recorder_status", "delivery_channels"}`` as DescribeConfigurationRecorders,
    DescribeConfigurationRecorderStatus and DescribeDeliveryChannels answer (``site_info``'s
    ``state.config``). options: the config_recorder module's options.

    Returns ``{"changes", "reused", "channel_reused", "notes", "recorder", "delivery_channel",
    "recording"}`` (the last three normalised, as they will be). AWS allows one recorder and one
    channel per account and region: one of another name is reused untouched (reuse_existing),
    and must record ``required_resource_types`` (all supported types, or these); a stopped reused
    recorder is started only with start_reused. absent: our recorder is stopped and deleted and
    our channel deleted; a reused recorder whose only channel is ours is stopped first (AWS
    refuses to delete the channel of a recording recorder), never deleted.
    Raises ConfigValidationError for bad options and refusals.
    """
    desired = recorder_desired(options)
    if desired["state"] == "absent":
        return _plan_recorder_absent(current, desired)
    name = desired["name"]
    recorders = customer_recorders(current)
    ours = next((r for r in recorders if r.get("name") == name), None)
    other = next((r for r in recorders if r.get("name") != name), None)
    changes, notes = [], []
    reused = False
    if ours is not None:
        before = normalise_recorder(ours)
        after = {"name": name, "role_arn": desired["role_arn"] or before["role_arn"],
                 "recording_group": copy.deepcopy(desired["recording_group"])}
        if after != before:
            request = {"name": name, "roleARN": after["role_arn"], "recordingGroup": recording_group_to_boto(desired["recording_group"])}
            if ours.get("recordingMode"):
                request["recordingMode"] = ours["recordingMode"]
            changes.append(copied_change(_recorder_resource(name), "update", "recorder", before, after, request=request))
    elif other is not None:
        if not desired["reuse_existing"]:
            raise ConfigValidationError(
                "a configuration recorder named %r already exists (AWS allows one per account and region) and reuse_existing "
                "is false; reuse it, or manage it under its own name" % other["name"])
        reused = True
        after = normalise_recorder(other)
        missing = unrecorded_types(other, desired["required_resource_types"])
        if missing:
            raise ConfigValidationError(
                "the configuration recorder %r (not ours: reused, AWS allows one per account and region) does not record %s, "
                "which the rules evaluate; have its owner record all supported resource types or add these, or drop the "
                "rules that need them" % (other["name"], ", ".join(missing)))
    else:
        if not desired["role_arn"]:
            raise ConfigValidationError("role_arn is required to create the configuration recorder %r (none exists)" % name)
        after = {"name": name, "role_arn": desired["role_arn"], "recording_group": copy.deepcopy(desired["recording_group"])}
        request = {"name": name, "roleARN": desired["role_arn"], "recordingGroup": recording_group_to_boto(desired["recording_group"])}
        changes.append(copied_change(_recorder_resource(name), "create", "recorder", None, after, request=request))
    recorder_name = after["name"]

    channel_changes, channel_after, channel_reused = _plan_channel(current, desired)
    changes.extend(channel_changes)

    recording = is_recording(current, recorder_name)
    if desired["recording"] and channel_after is None:
        raise ConfigValidationError("recording is true but no delivery channel exists and delivery_channel is not set; AWS refuses to "
                                    "start the recorder %r without one" % recorder_name)
    want = desired["recording"]
    if reused and not desired["start_reused"]:
        # Someone else's recorder: its recording state is its owner's, reported, never changed.
        if want and not recording:
            notes.append("the configuration recorder %r is not ours (reused) and is stopped: the rules evaluate nothing until its owner "
                         "starts it (start_reused lets this collection start it)" % recorder_name)
    elif want != recording:
        changes.append(copied_change(_recorder_resource(recorder_name), "update", "recording", recording, want))
        recording = want
    return {"changes": changes, "reused": reused, "channel_reused": channel_reused, "notes": notes,
            "recorder": after, "delivery_channel": channel_after, "recording": recording}


def _plan_channel(current, desired):
    """(changes, channel after, reused) for the delivery channel."""
    wanted = desired["channel"]
    channels = (current or {}).get("delivery_channels") or []
    channel_name = wanted["name"] if wanted else desired["name"]
    ours = next((c for c in channels if c.get("name") == channel_name), None)
    other = next((c for c in channels if c.get("name") != channel_name), None)
    if wanted is None:
        return [], normalise_delivery_channel(ours or other), bool(other and not ours)
    if ours is not None:
        before = normalise_delivery_channel(ours)
        after = dict(wanted)
        if after["delivery_frequency"] is None:
            after["delivery_frequency"] = before["delivery_frequency"]
        if after == before:
            return [], after, False
        return [copied_change(_channel_resource(channel_name), "update", "delivery_channel", before, after,
                              request=delivery_channel_to_boto(after))], after, False
    if other is not None:
        if not desired["reuse_existing"]:
            raise ConfigValidationError(
                "a delivery channel named %r already exists (AWS allows one per account and region) and reuse_existing is false; "
                "reuse it, or manage it under its own name" % other["name"])
        return [], normalise_delivery_channel(other), True
    after = dict(wanted)
    return [copied_change(_channel_resource(channel_name), "create", "delivery_channel", None, after,
                          request=delivery_channel_to_boto(after))], after, False


def _plan_recorder_absent(current, desired):
    name = desired["name"]
    recorders = customer_recorders(current)
    ours = next((r for r in recorders if r.get("name") == name), None)
    other = next((r for r in recorders if r.get("name") != name), None)
    channel_name = desired["channel"]["name"] if desired["channel"] else name
    channels = (current or {}).get("delivery_channels") or []
    our_channel = next((c for c in channels if c.get("name") == channel_name), None)
    other_channel = next((c for c in channels if c.get("name") != channel_name), None)
    changes, notes = [], []
    if ours is not None:
        if is_recording(current, name):
            changes.append(copied_change(_recorder_resource(name), "update", "recording", True, False))
        changes.append(copied_change(_recorder_resource(name), "delete", "recorder", normalise_recorder(ours), None))
    recording = False
    if other is not None:
        recording = is_recording(current, other["name"])
        if our_channel is not None and recording:
            # AWS refuses to delete the channel of a recording recorder; without its only channel it could not record anyway.
            changes.append(copied_change(_recorder_resource(other["name"]), "update", "recording", True, False,
                                         reason="its only delivery channel, %s, is ours and goes" % channel_name))
            notes.append("the configuration recorder %r is not ours (reused): it is stopped, not deleted, because its only delivery "
                         "channel %r is ours and is deleted; its owner needs a channel before starting it again"
                         % (other["name"], channel_name))
            recording = False
    if our_channel is not None:
        changes.append(copied_change(_channel_resource(channel_name), "delete", "delivery_channel", normalise_delivery_channel(our_channel), None))
    return {"changes": changes, "reused": False, "channel_reused": False, "notes": notes,
            "recorder": normalise_recorder(other), "delivery_channel": normalise_delivery_channel(other_channel), "recording": recording}


def project_recording(current, changes):
    """The described recorders, status and channels once ``changes`` (of plan_recorder) are made."""
    out = copy.deepcopy(current or {})
    out.setdefault("recorders", [])
    out.setdefault("recorder_status", [])
    out.setdefault("delivery_channels", [])
    for item in changes:
        name = item["resource"].split(" ", 1)[1]
        if item["field"] == "recorder":
            out["recorders"] = [r for r in out["recorders"] if r.get("name") != name]
            if item["action"] != "delete":
                out["recorders"].append(copy.deepcopy(item["request"]))
                if not any(s.get("name") == name for s in out["recorder_status"]):
                    out["recorder_status"].append({"name": name, "recording": False})
            else:
                out["recorder_status"] = [s for s in out["recorder_status"] if s.get("name") != name]
        elif item["field"] == "delivery_channel":
            out["delivery_channels"] = [c for c in out["delivery_channels"] if c.get("name") != name]
            if item["action"] != "delete":
                out["delivery_channels"].append(copy.deepcopy(item["request"]))
        elif item["field"] == "recording":
            for status in out["recorder_status"]:
                if status.get("name") == name:
                    status["recording"] = item["after"]
    return out


RULES_OPTION_DEFAULTS = {
    "state": "present",
    "purge": False,
    "purge_prefix": None,
    "purge_suffix": None,
    "tags": None,
    "purge_tags": True,
    "owner_tags": None,
}


def rules_desired(options):
    """The config_rules module's options, checked: (settings, validated rules). ConfigValidationError names the option."""
    params = dict(RULES_OPTION_DEFAULTS)
    params.update({key: value for key, value in (options or {}).items() if value is not None})
    if params["state"] not in ("present", "absent"):
        raise ConfigValidationError("state: %r is not one of present, absent" % (params["state"],))
    if params["purge"] and not (params["purge_prefix"] or params["purge_suffix"]):
        raise ConfigValidationError("purge=true needs a non-empty purge_prefix or purge_suffix (got %r, %r)"
                                    % (params["purge_prefix"], params["purge_suffix"]))
    common = validate_tags(params["tags"], "tags")
    owner = validate_tags(params["owner_tags"], "owner_tags") or {}
    rules = [validate_rule(rule, params["state"], common) for rule in params.get("rules") or []]
    seen = set()
    for rule in rules:
        if rule["name"] in seen:
            raise ConfigValidationError("rules: rule name %r is listed more than once" % rule["name"])
        seen.add(rule["name"])
    settings = {key: params[key] for key in ("state", "purge", "purge_prefix", "purge_suffix", "purge_tags")}
    settings["owner_tags"] = owner
    return settings, rules


def rule_tags(reply):
    """The tags of a described rule as a dict, None when they were not read."""
    if reply.get("Tags") is None:
        return None
    return {tag["Key"]: tag.get("Value", "") for tag in reply["Tags"]}


def rule_view(rule, tags=None):
    """A normalised rule as the plan and the module's result show it."""
    if rule is None:
        return None
    view = {key: copy.deepcopy(rule.get(key)) for key in ("name", "arn", "owner", "source_identifier")}
    view.update(input_parameters=copy.deepcopy(rule.get("input_parameters") or {}), description=rule.get("description") or "",
                scope=copy.deepcopy(rule.get("scope") or {}), maximum_execution_frequency=rule.get("maximum_execution_frequency"))
    if rule.get("source_details"):
        view["source_details"] = copy.deepcopy(rule["source_details"])
    if tags is not None:
        view["tags"] = dict(tags)
    return view


def _rule_resource(name):
    return "config_rule %s" % name


def _carries(tags, owner_tags):
    return all((tags or {}).get(key) == value for key, value in owner_tags.items())


def plan_rules(current, options):
    """The changes that converge the rules of ``options`` (the config_rules module's options).

    current: DescribeConfigRules entries with ``Tags`` (ListTagsForResource, ``[{Key, Value}]``), as
    ``site_info`` returns the site's rules in ``state.config.rules``; others are ignored.
    A creation is field ``rule`` with the whole rule (and its tags) as ``after``; an update is one
    change per differing field (the compared fields of COMPARED_RULE_FIELDS, and ``tags``), each
    with ``rule``: the whole rule after the run, what PutConfigRule sends; a deletion is field
    ``rule`` with ``after`` None. With owner_tags, a listed rule that exists without them is
    refused, and purge deletes only rules carrying them; service-linked rules are refused.
    """
    settings, rules = rules_desired(options)
    described = {reply["ConfigRuleName"]: reply for reply in current or [] if reply.get("ConfigRuleName")}
    owner = settings["owner_tags"]
    changes = []
    listed = set()
    for desired in rules:
        name = desired["name"]
        listed.add(name)
        reply = described.get(name)
        existing = normalise_rule_reply(reply) if reply else None
        tags = rule_tags(reply) if reply else None
        if existing and existing.get("created_by"):
            raise ConfigValidationError("rules[name=%r]: the rule exists and is service-linked (created by %s); it cannot be managed here"
                                        % (name, existing["created_by"]))
        if existing and owner and not _carries(tags, owner):
            raise ConfigValidationError("rules[name=%r]: the rule exists but does not carry the tags %s; refusing to %s it"
                                        % (name, owner, "delete" if settings["state"] == "absent" else "change"))
        if settings["state"] == "absent":
            if existing:
                changes.append(copied_change(_rule_resource(name), "delete", "rule", rule_view(existing, tags), None))
            continue
        after = merge_rule(desired, existing)
        after["arn"] = existing.get("arn") if existing else None
        after_tags = tags
        if desired["tags"] is not None:
            to_set, to_unset = compare_aws_tags(tags or {}, desired["tags"], purge_tags=settings["purge_tags"])
            after_tags = {key: value for key, value in (tags or {}).items() if key not in to_unset}
            after_tags.update(to_set)
        whole = rule_view(after, after_tags)
        if existing is None:
            changes.append(copied_change(_rule_resource(name), "create", "rule", None, whole, rule=whole))
            continue
        for field in COMPARED_RULE_FIELDS:
            if after.get(field) != existing.get(field):
                changes.append(copied_change(_rule_resource(name), "update", field, existing.get(field), after.get(field), rule=whole))
        if after_tags != tags and desired["tags"] is not None:
            changes.append(copied_change(_rule_resource(name), "update", "tags", tags, after_tags, rule=whole))
    if settings["purge"]:
        for name in sorted(described):
            if name in listed:
                continue
            if settings["purge_prefix"] and not name.startswith(settings["purge_prefix"]):
                continue
            if settings["purge_suffix"] and not name.endswith(settings["purge_suffix"]):
                continue
            reply = described[name]
            tags = rule_tags(reply)
            if reply.get("CreatedBy") or (owner and not _carries(tags, owner)):
                continue  # service-linked, or someone else's: never purged
            changes.append(copied_change(_rule_resource(name), "delete", "rule", rule_view(normalise_rule_reply(reply), tags), None))
    return changes


def rules_needing_put(changes):
    """name -> the whole rule to PutConfigRule, for rules created or changed in a compared field."""
    out = {}
    for item in changes:
        if item["action"] == "create" or (item["action"] == "update" and item["field"] != "tags"):
            out[item["resource"].split(" ", 1)[1]] = item["rule"]
    return out


def project_rules(current, changes):
    """The described rules once ``changes`` are made (a created rule has no ARN)."""
    by_name = {reply["ConfigRuleName"]: copy.deepcopy(reply) for reply in current or []}
    whole = {}
    for item in changes:
        name = item["resource"].split(" ", 1)[1]
        if item["action"] == "delete":
            by_name.pop(name, None)
        else:
            whole[name] = item["rule"]
    for name, rule in whole.items():
        reply = rule_to_boto(name, rule)
        reply["ConfigRuleArn"] = rule.get("arn")
        if rule.get("tags") is not None:
            reply["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(rule["tags"].items())]
        by_name[name] = reply
    return [by_name[name] for name in sorted(by_name)]
