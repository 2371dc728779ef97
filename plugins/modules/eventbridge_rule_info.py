#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eventbridge_rule_info
short_description: Read Amazon EventBridge rules with their targets and tags
version_added: 0.1.0
description:
  - Reads Amazon EventBridge (CloudWatch Events) rules of one event bus, by name or by name prefix,
    with their event pattern, state, targets and tags.
  - Fills a gap, C(amazon.aws.cloudwatchevent_rule) only writes rules and neither C(amazon.aws) nor
    C(community.aws) has a module that reads them.
  - Rules named in O(names) that do not exist are left out of the result (no error).
author:
  - netsec aws_peering maintainers (@netsec)
options:
  names:
    description:
      - Names of the rules to read.
      - Mutually exclusive with O(name_prefix). When neither is given, every rule of the bus is read.
    type: list
    elements: str
  name_prefix:
    description:
      - Read the rules whose names start with this prefix.
    type: str
  event_bus_name:
    description:
      - Name or ARN of the event bus.
    type: str
    default: default
notes:
  - Read-only, so it supports check mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read the change-alert rules of a site
  netsec.aws_peering.eventbridge_rule_info:
    names:
      - peering-changes-core-prod
      - route-changes-core-prod
  register: rules

- name: Every rule whose name starts with sg-changes-
  netsec.aws_peering.eventbridge_rule_info:
    name_prefix: sg-changes-
  register: sg_rules

- name: Show the targets of the first rule
  ansible.builtin.debug:
    msg: "{{ rules.rules[0].targets | map(attribute='arn') | list }}"
"""

RETURN = r"""
rules:
  description: The rules found, in the order of O(names), else sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the rule.
      type: str
      sample: peering-changes-core-prod
    arn:
      description: ARN of the rule.
      type: str
      sample: arn:aws:events:eu-west-1:123456789012:rule/peering-changes-core-prod
    state:
      description: State of the rule.
      type: str
      sample: ENABLED
    description:
      description: Description of the rule.
      type: str
      sample: Peering deleted or rejected
    event_pattern:
      description: The event pattern, parsed from JSON (key names as AWS stores them). V(null) for scheduled rules.
      type: dict
      sample: {"source": ["aws.ec2"], "detail-type": ["AWS API Call via CloudTrail"]}
    schedule_expression:
      description: Schedule expression of a scheduled rule.
      type: str
      sample: rate(5 minutes)
    event_bus_name:
      description: Name of the event bus of the rule.
      type: str
      sample: default
    role_arn:
      description: IAM role the rule uses for its targets, if any.
      type: str
    managed_by:
      description: Service that manages the rule, for rules created by an AWS service.
      type: str
    targets:
      description: Targets of the rule (C(ListTargetsByRule), keys in snake case).
      type: list
      elements: dict
      sample: [{"id": "alert-topic", "arn": "arn:aws:sns:eu-west-1:123456789012:alerts-core-prod"}]
    tags:
      description: Tags of the rule.
      type: dict
      sample: {"CostCenter": "4711"}
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

NOT_FOUND = "ResourceNotFoundException"


def list_all(call, key, **kwargs):
    """Follow NextToken through a List* call; return the concatenated `key` lists."""
    items = []
    while True:
        reply = call(aws_retry=True, **kwargs)
        items.extend(reply.get(key) or [])
        token = reply.get("NextToken")
        if not token:
            return items
        kwargs["NextToken"] = token


def describe(module, client, name, bus):
    """The rule in module output form, or None when it does not exist."""
    try:
        rule = client.describe_rule(aws_retry=True, Name=name, EventBusName=bus)
        targets = list_all(client.list_targets_by_rule, "Targets", Rule=name, EventBusName=bus)
        tags = client.list_tags_for_resource(aws_retry=True, ResourceARN=rule["Arn"]).get("Tags", [])
    except is_boto3_error_code(NOT_FOUND):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read EventBridge rule {name} of bus {bus}")
    pattern = None
    if rule.get("EventPattern"):
        try:
            pattern = json.loads(rule["EventPattern"])
        except ValueError:
            module.warn(f"Rule {name} has an event pattern that is not valid JSON; returned as text")
            pattern = rule["EventPattern"]
    return dict(
        name=rule["Name"],
        arn=rule["Arn"],
        state=rule.get("State"),
        description=rule.get("Description"),
        event_pattern=pattern,
        schedule_expression=rule.get("ScheduleExpression"),
        event_bus_name=rule.get("EventBusName", bus),
        role_arn=rule.get("RoleArn"),
        managed_by=rule.get("ManagedBy"),
        targets=[camel_dict_to_snake_dict(t) for t in targets],
        tags=boto3_tag_list_to_ansible_dict(tags),
    )


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str"),
        name_prefix=dict(type="str"),
        event_bus_name=dict(type="str", default="default"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("names", "name_prefix")],
        supports_check_mode=True,
    )
    names = module.params["names"]
    prefix = module.params["name_prefix"]
    bus = module.params["event_bus_name"]

    for name in names or []:
        if not name or len(name) > 64 or any(not (c.isalnum() and c.isascii()) and c not in "._-" for c in name):
            module.fail_json(msg=f"names: {name!r} is not an EventBridge rule name (1-64 characters from A-Z, a-z, 0-9, '.', '_', '-')")
    if prefix is not None and (not prefix or len(prefix) > 64):
        module.fail_json(msg=f"name_prefix: {prefix!r} must be 1-64 characters")
    if not bus:
        module.fail_json(msg="event_bus_name: must not be empty")

    client = module.client("events", retry_decorator=AWSRetry.jittered_backoff())
    listing = names is None
    if listing:
        kwargs = dict(EventBusName=bus)
        if prefix:
            kwargs["NamePrefix"] = prefix
        try:
            listed = list_all(client.list_rules, "Rules", **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to list the EventBridge rules of bus {bus}")
        # Filter again: do not rely on the service honouring the prefix.
        names = [r["Name"] for r in listed if not prefix or r["Name"].startswith(prefix)]

    rules = [rule for rule in (describe(module, client, name, bus) for name in dict.fromkeys(names)) if rule]
    if listing:
        rules.sort(key=lambda r: r["name"])
    module.exit_json(changed=False, rules=rules)


if __name__ == "__main__":
    main()
