# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""EventBridge rules of the default bus as a set: the change-alert rules, validation and the plan.

Pure functions (no AWS calls), shared by the module ``event_rules`` and the controller's filters:

* :func:`change_alert_rules` builds the site's change-alert rules (what the monitoring role
  defined in ``tasks/events.yml``, plus the VPC-level events a review found missing).
* :func:`plan_rules` compares ``discovery.describe_rules`` (DescribeRule with ``Targets`` and
  ``Tags``) with the wanted rules and returns the changes. Event patterns are compared as data:
  key order, the order of values in a list and duplicates do not matter (a list in a pattern is a
  set of alternatives, a ``$or`` list a set of branches).
"""

from __future__ import annotations

import json
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import change
from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import field_updates
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import plan_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import wanted_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import checked_spec
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import desired_set
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import VPC_ID_RE

NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
MAX_PATTERN_LENGTH = 4096
MAX_TARGETS = 5
RULE_KEYS = frozenset(("name", "description", "event_pattern", "enabled", "targets", "tags"))
TARGET_KEYS = frozenset(("id", "arn", "input_transformer"))
# Rule fields PutRule replaces as a whole (an omitted one is cleared).
RULE_FIELDS = ("Description", "EventPattern", "State", "ScheduleExpression", "RoleArn")
ALERT_TARGET_ID = "alert-topic"
RULE_PURPOSES = ("peering", "routes", "security_groups", "nacls", "vpc")


# ---------------------------------------------------------------------------
# The change-alert rules (formerly roles/monitoring/tasks/events.yml)
# ---------------------------------------------------------------------------


def _ids(values, what, prefix):
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, (list, tuple)) or not values:
        raise ValueError(f"{what} must be a non-empty list of {prefix}* IDs (every VPC has at least one), got {values!r}")
    for value in values:
        if not isinstance(value, str) or not value.startswith(prefix):
            raise ValueError(f"{what}: {value!r} is not a {prefix}* ID")
    return sorted(set(values))


def _api_calls(detail):
    """An event pattern for EC2 API calls recorded by CloudTrail, with the given detail."""
    return {
        "source": ["aws.ec2"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["ec2.amazonaws.com"], **detail},
    }


def change_alert_rules(names, vpc_id, route_table_ids, nacl_ids, security_group_ids, topic_arn, network):
    """The site's change-alert rules, in the shape the module ``event_rules`` takes.

    ``names``: the rule name of each purpose, keys ``peering``, ``routes``, ``security_groups``,
    ``nacls`` and ``vpc`` (``vpc-changes-<network>-<suffix>``). Rules are scoped to the VPC's
    route tables, network ACLs and security groups (or the VPC) where CloudTrail names them in
    ``requestParameters``, and account-wide for events that carry only another resource's ID or
    a nested request. Each rule targets the alert topic and is tagged with its ``Name``.
    """
    if not isinstance(names, dict) or any(not names.get(key) for key in RULE_PURPOSES):
        raise ValueError(f"names must name a rule for each of {', '.join(RULE_PURPOSES)} "
                         f"(vpc: vpc-changes-<network>-<suffix>), got {names!r}")
    if not isinstance(vpc_id, str) or not VPC_ID_RE.match(vpc_id):
        raise ValueError(f"vpc_id {vpc_id!r} is not a VPC ID")
    rtbs = _ids(route_table_ids, "route_table_ids", "rtb-")
    nacls = _ids(nacl_ids, "nacl_ids", "acl-")
    groups = _ids(security_group_ids, "security_group_ids", "sg-")
    if not isinstance(topic_arn, str) or not topic_arn.startswith("arn:") or ":sns:" not in topic_arn:
        raise ValueError(f"topic_arn {topic_arn!r} is not an SNS topic ARN")
    if not isinstance(network, str) or not network:
        raise ValueError(f"network must be a non-empty string, got {network!r}")
    in_vpc = {"vpcId": [vpc_id]}
    patterns = (
        ("peering",
         f"Peering of {network} requested, accepted, deleted, rejected or its options changed (any peering of the account)",
         {"eventName": ["CreateVpcPeeringConnection", "AcceptVpcPeeringConnection", "DeleteVpcPeeringConnection",
                        "RejectVpcPeeringConnection", "ModifyVpcPeeringConnectionOptions"]}),
        ("routes", f"Route tables of {vpc_id} ({network}) changed",
         {"$or": [
             {"eventName": ["CreateRoute", "DeleteRoute", "ReplaceRoute", "AssociateRouteTable", "DeleteRouteTable",
                            "ReplaceRouteTableAssociation"],
              "requestParameters": {"routeTableId": rtbs}},
             {"eventName": ["CreateRouteTable"], "requestParameters": in_vpc},
             {"eventName": ["DisassociateRouteTable"]},
         ]}),
        ("security_groups", f"Security groups of {vpc_id} ({network}) changed",
         {"$or": [
             {"eventName": ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                            "RevokeSecurityGroupEgress", "UpdateSecurityGroupRuleDescriptionsIngress",
                            "UpdateSecurityGroupRuleDescriptionsEgress", "DeleteSecurityGroup"],
              "requestParameters": {"groupId": groups}},
             {"eventName": ["CreateSecurityGroup"], "requestParameters": in_vpc},
             {"eventName": ["ModifySecurityGroupRules"]},
         ]}),
        ("nacls", f"Network ACLs of {vpc_id} ({network}) changed",
         {"$or": [
             {"eventName": ["CreateNetworkAclEntry", "DeleteNetworkAclEntry", "ReplaceNetworkAclEntry",
                            "ReplaceNetworkAclAssociation", "DeleteNetworkAcl"],
              "requestParameters": {"networkAclId": nacls}},
             {"eventName": ["CreateNetworkAcl"], "requestParameters": in_vpc},
         ]}),
        # AttachInternetGateway and ModifyVpcAttribute name the VPC (requestParameters.vpcId);
        # a new internet or NAT gateway, an endpoint change and a deleted flow log carry only
        # their own IDs (the last three inside a nested <Operation>Request): account-wide.
        ("vpc", f"Gateways, attributes, endpoints or flow logs of {vpc_id} ({network}) changed (gateways, endpoints "
                "and flow logs: any of the account)",
         {"$or": [
             {"eventName": ["AttachInternetGateway", "ModifyVpcAttribute"], "requestParameters": in_vpc},
             {"eventName": ["CreateInternetGateway", "CreateNatGateway", "ModifyVpcEndpoint", "DeleteFlowLogs"]},
         ]}),
    )
    return [
        {
            "name": names[purpose],
            "description": description,
            "event_pattern": _api_calls(detail),
            "enabled": True,
            "targets": [{"id": ALERT_TARGET_ID, "arn": topic_arn}],
            "tags": {"Name": names[purpose]},
        }
        for purpose, description, detail in patterns
    ]


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def canonical_pattern(pattern, ordered=False):
    """An event pattern as comparable data: dict keys sorted, lists sorted and without duplicates.

    A list in a pattern is a set of alternatives (values, ``anything-but`` values, ``$or``
    branches), except the operands of ``numeric``, whose order is their meaning: kept as is.
    """
    if isinstance(pattern, dict):
        return {str(key): canonical_pattern(value, key == "numeric") for key, value in sorted(pattern.items())}
    if isinstance(pattern, (list, tuple)):
        if ordered:
            return [canonical_pattern(item) for item in pattern]
        items = {json.dumps(canonical_pattern(item), sort_keys=True): canonical_pattern(item) for item in pattern}
        return [items[key] for key in sorted(items)]
    if isinstance(pattern, float) and pattern.is_integer():
        return int(pattern)
    return pattern


def parse_pattern(text):
    """A described EventPattern (JSON text) as data; unparsable text is kept as the text."""
    if text is None or isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def target_view(target):
    """A target without its Id: what PutTargets sets."""
    return {key: value for key, value in sorted(target.items()) if key != "Id"}


def rule_view(rule):
    """Comparable view of a described rule (or a wanted one in the same shape)."""
    pattern = parse_pattern(rule.get("EventPattern"))
    return {
        "Description": rule.get("Description") or None,
        "EventPattern": canonical_pattern(pattern) if isinstance(pattern, (dict, list)) else pattern,
        "State": rule.get("State"),
        "ScheduleExpression": rule.get("ScheduleExpression") or None,
        "RoleArn": rule.get("RoleArn") or None,
    }


# ---------------------------------------------------------------------------
# Wanted rules
# ---------------------------------------------------------------------------


def _target(spec, where):
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be a dict with id and arn, got {spec!r}")
    unknown = set(spec) - TARGET_KEYS
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}")
    target_id, arn = spec.get("id"), spec.get("arn")
    if not isinstance(target_id, str) or not NAME_RE.match(target_id):
        raise ValueError(f"{where}.id {target_id!r} must be 1-64 characters from A-Z, a-z, 0-9, '.', '_', '-'")
    if not isinstance(arn, str) or not arn.startswith("arn:") or len(arn) > 1600:
        raise ValueError(f"{where}.arn {arn!r} is not an ARN")
    target = {"Id": target_id, "Arn": arn}
    transformer = spec.get("input_transformer")
    if transformer is not None:
        if not isinstance(transformer, dict) or not isinstance(transformer.get("input_template"), str) \
                or not transformer["input_template"] or set(transformer) - {"input_template", "input_paths_map"}:
            raise ValueError(f"{where}.input_transformer must be a dict with input_template (and input_paths_map), got {transformer!r}")
        paths = transformer.get("input_paths_map") or {}
        if not isinstance(paths, dict) or len(paths) > 100:
            raise ValueError(f"{where}.input_transformer.input_paths_map must be a dict of at most 100 entries")
        target["InputTransformer"] = {"InputTemplate": transformer["input_template"]}
        if paths:
            target["InputTransformer"]["InputPathsMap"] = {str(k): str(v) for k, v in sorted(paths.items())}
    return target


def normalize_rule_spec(spec, where, common_tags=None):
    """One wanted rule in AWS's shape (PutRule fields, Targets, Tags), validated."""
    checked_spec(spec, where, RULE_KEYS)
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"{where}.name {name!r} must be 1-64 characters from A-Z, a-z, 0-9, '.', '_', '-'")
    where = f"{where} ({name})"
    pattern = spec.get("event_pattern")
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError as exc:
            raise ValueError(f"{where}.event_pattern is not valid JSON ({exc})") from None
    if not isinstance(pattern, dict) or not pattern:
        raise ValueError(f"{where}.event_pattern must be a non-empty dict, got {pattern!r}")
    text = json.dumps(pattern, sort_keys=True, separators=(",", ":"))
    if len(text) > MAX_PATTERN_LENGTH:
        raise ValueError(f"{where}.event_pattern is {len(text)} characters as JSON; EventBridge allows {MAX_PATTERN_LENGTH}")
    description = spec.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > 512):
        raise ValueError(f"{where}.description must be a string of at most 512 characters")
    enabled = spec.get("enabled")
    targets = spec.get("targets") or []
    if not isinstance(targets, list) or len(targets) > MAX_TARGETS:
        raise ValueError(f"{where}.targets must be a list of at most {MAX_TARGETS} targets, got {targets!r}")
    by_id = {}
    for index, target in enumerate(targets):
        target = _target(target, f"{where}.targets[{index}]")
        if target["Id"] in by_id:
            raise ValueError(f"{where}.targets[{index}].id {target['Id']!r} is listed twice")
        by_id[target["Id"]] = target
    return {
        "Name": name,
        "Description": description or None,
        "EventPattern": pattern,
        "EventPatternText": text,
        "State": "ENABLED" if enabled is None or enabled else "DISABLED",
        "Targets": by_id,
        "Tags": wanted_tags(common_tags, spec.get("tags"), where),
    }


def normalize_desired(desired):
    """{state, purge_tags, rules: {name: wanted rule}} from the module's options (or a list of rules)."""
    desired, state, specs = desired_set(desired, "rules", "rules, tags, purge_tags, state")
    purge = desired.get("purge_tags")
    rules = {}
    for index, spec in enumerate(specs):
        where = f"rules[{index}]"
        if state == "absent":
            name = spec.get("name") if isinstance(spec, dict) else spec
            if not isinstance(name, str) or not NAME_RE.match(name):
                raise ValueError(f"{where}.name {name!r} must be 1-64 characters from A-Z, a-z, 0-9, '.', '_', '-'")
            rule = {"Name": name}
        else:
            rule = normalize_rule_spec(spec, where, desired.get("tags"))
        if rule["Name"] in rules:
            raise ValueError(f"{where}.name {rule['Name']!r} is listed twice")
        rules[rule["Name"]] = rule
    return {"state": state, "purge_tags": True if purge is None else bool(purge), "rules": rules}


def wanted_view(rule):
    """The comparable view of a wanted rule, with its targets (and tags when managed)."""
    view = rule_view(rule)
    view["Targets"] = {target_id: target_view(target) for target_id, target in sorted(rule["Targets"].items())}
    if rule["Tags"] is not None:
        view["Tags"] = dict(sorted(rule["Tags"].items()))
    return view


def described_view(rule):
    """The comparable view of a described rule, with its targets and tags."""
    view = rule_view(rule)
    view["Targets"] = {target["Id"]: target_view(target) for target in sorted(rule.get("Targets") or [], key=lambda t: t["Id"])}
    view["Tags"] = {tag["Key"]: tag.get("Value", "") for tag in sorted(rule.get("Tags") or [], key=lambda t: t["Key"])}
    return view


def plan_rules(current_rules, desired):
    """Changes that turn the described rules into the wanted ones.

    ``current_rules``: ``discovery.describe_rules`` (rules not wanted are ignored, never deleted
    unless ``state=absent`` names them). ``desired``: ``{rules: [...], tags, purge_tags, state}``
    (the module's options) or just the list of rules. Every target of a wanted rule that is not
    wanted is removed (the rule is ours, so are its targets).
    """
    wanted = normalize_desired(desired)
    current = {rule["Name"]: rule for rule in current_rules or []}
    changes = []
    for name, rule in wanted["rules"].items():
        resource = f"event_rule {name}"
        existing = current.get(name)
        if wanted["state"] == "absent":
            if existing:
                changes.append(change(resource, "delete", "rule", described_view(existing), None))
            continue
        if existing is None:
            changes.append(change(resource, "create", "rule", None, wanted_view(rule)))
            continue
        before, after = rule_view(existing), rule_view(rule)
        changes.extend(field_updates(resource, before, after, RULE_FIELDS))
        have = {target["Id"]: target_view(target) for target in existing.get("Targets") or []}
        want = {target_id: target_view(target) for target_id, target in rule["Targets"].items()}
        for target_id in sorted(set(have) | set(want)):
            if have.get(target_id) != want.get(target_id):
                changes.append(change(resource, "update", f"Targets[{target_id}]", have.get(target_id), want.get(target_id)))
        changes.extend(plan_tags(resource, existing.get("Tags"), rule["Tags"], wanted["purge_tags"]))
    return changes
