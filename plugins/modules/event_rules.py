#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: event_rules
short_description: Manage a list of EventBridge rules with their targets and tags in one run
version_added: 0.1.0
description:
  - Creates, updates or deletes a list of Amazon EventBridge rules of the default event bus in one run, each with
    its description, event pattern, state, targets and tags.
  - Event patterns are compared as data, key order, the order of alternatives in a list and duplicates do not
    count, so a pattern written by someone else in another order is not rewritten.
  - Every target of a listed rule that is not in O(rules[].targets) is removed (the rule is ours, so are its targets).
  - A deleted rule loses its targets first (C(RemoveTargets)), then the rule (C(DeleteRule)); AWS refuses to delete
    a rule that still has targets.
  - Tags are set on creation through C(PutRule) C(Tags) and kept in line afterwards with C(TagResource) and
    C(UntagResource). Tag keys starting with V(aws:) are refused in O(tags) and never removed.
  - Fills a gap, M(amazon.aws.cloudwatchevent_rule) manages one rule per run, has no check mode and no tags,
    and cannot delete a rule that still has targets.
  - The rules are read with the same function as the discovery module M(netsec.aws_peering.site_info)
    (C(describe_rules)) and the decisions are those of the pure planner C(plan_rules)
    (also the filter P(netsec.aws_peering.plan_rules#filter)). The filter
    P(netsec.aws_peering.change_alert_rules#filter) builds the site's change-alert rules in the shape of O(rules).
  - Rules not listed are never touched.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  rules:
    description:
      - The rules. With O(state=absent) only the names count.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the rule (1-64 characters from A-Z, a-z, 0-9, V(.), V(_), V(-)).
        type: str
        required: true
      description:
        description: Description of the rule (at most 512 characters).
        type: str
      event_pattern:
        description:
          - The event pattern, a dict (or its JSON text). Required with O(state=present).
        type: raw
      enabled:
        description: V(true) for state C(ENABLED), V(false) for C(DISABLED).
        type: bool
        default: true
      targets:
        description: Every target of the rule (at most 5).
        type: list
        elements: dict
        suboptions:
          id:
            description: Id of the target within the rule.
            type: str
            required: true
          arn:
            description: ARN of the target, for example an SNS topic.
            type: str
            required: true
          input_transformer:
            description: What the target receives instead of the event.
            type: dict
            suboptions:
              input_template:
                description: The text sent, with C(<name>) placeholders.
                type: str
                required: true
              input_paths_map:
                description: Placeholder name to JSON path of the event.
                type: dict
      tags:
        description: Tags of this rule, on top of O(tags) (same keys, this value wins).
        type: dict
  state:
    description:
      - V(present) creates or updates the rules, V(absent) deletes them with their targets.
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - Supports check mode and diff mode. The diff shows each listed rule with its targets and tags.
  - Default event bus only (the bus CloudTrail delivers API calls to).
  - O(tags) applies to every rule. Tags are managed when O(tags) or a rule's own O(rules[].tags) is set.
  - Verified against the moto emulator only (moto 5.2.5). There, C(PutRule) keeps the pattern text as sent, refuses
    invalid JSON but not invalid pattern syntax (AWS does), merges C(Tags) into an existing rule's tags (AWS ignores
    them on update; this module never sends them then), and refuses C(DeleteRule) while targets remain, as AWS does.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The change-alert rules of a site, built on the controller, in one run
  netsec.aws_peering.event_rules:
    rules: >-
      {{ rule_names | netsec.aws_peering.change_alert_rules(vpc_id, route_table_ids, nacl_ids,
           security_group_ids, topic_arn, 'trading') }}
    tags:
      ManagedBy: netsec.aws_peering
      Network: trading
    purge_tags: true

- name: One rule with an input transformer
  netsec.aws_peering.event_rules:
    rules:
      - name: peering-changes-trading-prod
        description: Peering deleted or rejected
        event_pattern:
          source: [aws.ec2]
          detail-type: [AWS API Call via CloudTrail]
          detail:
            eventSource: [ec2.amazonaws.com]
            eventName: [DeleteVpcPeeringConnection, RejectVpcPeeringConnection]
        targets:
          - id: alert-topic
            arn: "arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-trading-prod"
            input_transformer:
              input_paths_map: {call: $.detail.eventName, who: $.detail.userIdentity.arn}
              input_template: '"<who> called <call>"'

- name: Delete the rules, their targets first
  netsec.aws_peering.event_rules:
    rules:
      - name: peering-changes-trading-prod
      - name: route-changes-trading-prod
    state: absent
"""

RETURN = r"""
changes:
  description:
    - What the run changed (in check mode, would change), one entry per rule and field, as the planner returns it.
    - V(field) is V(rule) for a created or deleted rule, V(Description), V(EventPattern), V(State),
      V(Targets[<id>]) or V(Tags).
  returned: always
  type: list
  elements: dict
  sample:
    - resource: event_rule peering-changes-trading-prod
      action: update
      field: Targets[alert-topic]
      before: null
      after: {Arn: "arn:aws:sns:eu-west-1:ACCOUNT_ID:alerts-trading-prod"}
event_rules:
  description:
    - The listed rules that exist after the run, as discovery describes them (C(DescribeRule) with C(Targets) and
      C(Tags), AWS's keys, C(EventPattern) as JSON text), in the order listed; in check mode, as they are now.
  returned: always
  type: list
  elements: dict
  sample:
    - Name: peering-changes-trading-prod
      Arn: arn:aws:events:eu-west-1:ACCOUNT_ID:rule/peering-changes-trading-prod
      EventPattern: '{"detail":{"eventName":["DeleteVpcPeeringConnection"]},"source":["aws.ec2"]}'
      State: ENABLED
      Targets: [{Id: alert-topic, Arn: "arn:aws:sns:eu-west-1:ACCOUNT_ID:alerts-trading-prod"}]
      Tags: [{Key: Name, Value: peering-changes-trading-prod}]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import by_resource
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import final_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import tag_list
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import tag_writes
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import converge_set
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import described_view
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import normalize_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import plan_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import wanted_view

TARGET_BATCH = 10
REMOVE_BATCH = 100


def describe(module, events, wanted):
    try:
        return describe_rules(events, list(wanted["rules"]))
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"Cannot describe {e.what}")
    return None  # not reached: fail_json_aws exits


def diff_of(current, wanted, _changes):
    """Each listed rule before, and as it will be."""
    by_name = {rule["Name"]: rule for rule in current}
    before, after = {}, {}
    for name, rule in wanted["rules"].items():
        existing = by_name.get(name)
        if existing:
            before[name] = described_view(existing)
        if wanted["state"] == "present":
            after[name] = wanted_view(rule)
            after[name]["Tags"] = final_tags((existing or {}).get("Tags"), rule["Tags"], wanted["purge_tags"])
    return {"before": before, "after": after}


def call(module, what, method, **kwargs):
    try:
        reply = method(aws_retry=True, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to {what}")
    if reply.get("FailedEntryCount"):
        module.fail_json(msg=f"Failed to {what}: {reply.get('FailedEntries')}")
    return reply


def put_rule(module, events, rule, tags=None):
    request = {"Name": rule["Name"], "EventPattern": rule["EventPatternText"], "State": rule["State"]}
    if rule["Description"]:
        request["Description"] = rule["Description"]
    if tags:
        request["Tags"] = tag_list(tags)
    return call(module, f"write rule {rule['Name']}", events.put_rule, **request)["RuleArn"]


def put_targets(module, events, name, targets):
    for start in range(0, len(targets), TARGET_BATCH):
        call(module, f"write the targets of rule {name}", events.put_targets, Rule=name, Targets=targets[start:start + TARGET_BATCH])


def remove_targets(module, events, name, ids):
    for start in range(0, len(ids), REMOVE_BATCH):
        call(module, f"remove the targets of rule {name}", events.remove_targets, Rule=name, Ids=ids[start:start + REMOVE_BATCH])


def execute(module, events, current, wanted, changes):
    by_name = {rule["Name"]: rule for rule in current}
    for name, mine, actions in by_resource(changes):
        if "delete" in actions:
            remove_targets(module, events, name, [target["Id"] for target in by_name[name].get("Targets") or []])
            call(module, f"delete rule {name}", events.delete_rule, Name=name)
            continue
        rule = wanted["rules"][name]
        if "create" in actions:
            put_rule(module, events, rule, rule["Tags"])
            put_targets(module, events, name, list(rule["Targets"].values()))
            continue
        if any(not item["field"].startswith(("Targets[", "Tags")) for item in mine):
            put_rule(module, events, rule)
        target_ids = [item["field"][len("Targets["):-1] for item in mine if item["field"].startswith("Targets[")]
        put_targets(module, events, name, [rule["Targets"][i] for i in target_ids if i in rule["Targets"]])
        remove_targets(module, events, name, [i for i in target_ids if i not in rule["Targets"]])
        for item in mine:
            if item["field"] == "Tags":
                arn = by_name[name]["Arn"]
                to_set, to_unset = tag_writes(item["before"], item["after"])
                if to_unset:
                    call(module, f"untag rule {name}", events.untag_resource, ResourceARN=arn, TagKeys=to_unset)
                if to_set:
                    call(module, f"tag rule {name}", events.tag_resource, ResourceARN=arn, Tags=tag_list(to_set))


def main():
    target_options = dict(
        id=dict(type="str", required=True),
        arn=dict(type="str", required=True),
        input_transformer=dict(
            type="dict",
            options=dict(input_template=dict(type="str", required=True), input_paths_map=dict(type="dict")),
        ),
    )
    rule_options = dict(
        name=dict(type="str", required=True),
        description=dict(type="str"),
        event_pattern=dict(type="raw"),
        enabled=dict(type="bool", default=True),
        targets=dict(type="list", elements="dict", options=target_options),
        tags=dict(type="dict"),
    )
    argument_spec = dict(
        rules=dict(type="list", elements="dict", required=True, options=rule_options),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    desired = {key: module.params[key] for key in ("state", "tags", "purge_tags")}
    desired["rules"] = []
    for spec in module.params["rules"]:
        spec = {k: v for k, v in spec.items() if v is not None}
        spec["targets"] = [
            {k: v for k, v in dict(target, input_transformer=_transformer(target)).items() if v is not None}
            for target in spec.get("targets") or []
        ]
        desired["rules"].append(spec)
    try:
        wanted = normalize_desired(desired)
    except ValueError as e:
        module.fail_json(msg=str(e))

    events = module.client("events", retry_decorator=RETRY)
    result, current = converge_set(module, events, wanted, describe, lambda found: plan_rules(found, desired), execute, diff_of)
    module.exit_json(**result, event_rules=current)


def _transformer(target):
    transformer = target.get("input_transformer")
    if transformer is None:
        return None
    return {k: v for k, v in transformer.items() if v is not None}


if __name__ == "__main__":
    main()
