#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_rules
short_description: Manage a list of AWS Config rules in one run
version_added: 0.1.0
description:
  - Creates, updates or deletes a B(list) of AWS Config rules in a single module run (one run
    costs far less than one run per rule).
  - Fills a gap in C(community.aws.config_rule), which fails on the first rule against the emulator
    (C(DescribeConfigRules) by name answers an empty list instead of C(NoSuchConfigRuleException)),
    fails on a second run on C(EvaluationModes) and has no check mode.
  - All rules of the account and region are read with one paginated C(DescribeConfigRules) call
    without names, which behaves the same on AWS and on the emulator.
  - Only managed fields are compared, after normalisation (input parameters are parsed on both
    sides); C(ConfigRuleArn), C(ConfigRuleId), C(ConfigRuleState), C(EvaluationModes),
    C(CreatedBy) and other keys AWS adds are ignored.
  - Every rule is validated before the first write; a failure names the rule.
  - AWS refuses C(PutConfigRule) while no configuration recorder exists in the region
    (C(NoAvailableConfigurationRecorderException)); the emulator does not check this. Before
    creating or updating a rule the module therefore checks that a recorder exists and fails
    clearly if not (in check mode it only warns). Use M(netsec.aws_peering.config_recorder) first.
  - Tags are managed with C(PutConfigRule), C(ListTagsForResource), C(TagResource) and
    C(UntagResource), which the emulator supports for config rules. If an endpoint does not
    implement tagging, the module warns and leaves tags alone.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  rules:
    description:
      - The rules to manage. With O(state=absent) only O(rules[].name) is used.
      - Rule names must be unique in the list.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - Rule name, 1-128 characters of letters, digits, V(-) and V(_) (the console's rule; the API
            is laxer).
        type: str
        required: true
      source_identifier:
        description:
          - For O(rules[].owner=AWS), the AWS managed rule identifier, for example
            V(VPC_FLOW_LOGS_ENABLED).
          - For O(rules[].owner=CUSTOM_LAMBDA), the ARN of the Lambda function.
          - Required when O(state=present).
        type: str
      owner:
        description:
          - Who owns the rule logic.
        type: str
        choices: [AWS, CUSTOM_LAMBDA]
        default: AWS
      source_details:
        description:
          - Triggers of a custom Lambda rule; required for O(rules[].owner=CUSTOM_LAMBDA), not allowed
            for O(rules[].owner=AWS).
        type: list
        elements: dict
        suboptions:
          event_source:
            description:
              - Event source.
            type: str
            choices: [aws.config]
            default: aws.config
          message_type:
            description:
              - Message type that triggers the rule.
            type: str
            required: true
            choices:
              - ConfigurationItemChangeNotification
              - ConfigurationSnapshotDeliveryCompleted
              - OversizedConfigurationItemChangeNotification
              - ScheduledNotification
          maximum_execution_frequency:
            description:
              - Frequency of a periodic trigger; AWS uses V(TwentyFour_Hours) when omitted.
            type: str
            choices: [One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours]
      input_parameters:
        description:
          - Rule parameters. Serialised to the JSON string AWS wants, with every value converted to
            a string as AWS requires (V(443) becomes V("443"), V(true) becomes V("true"), a list
            V([443, 5432]) becomes V("443,5432")).
          - Compared with the current value after parsing both.
          - When omitted, the current parameters are kept; V({}) removes them.
        type: dict
      description:
        description:
          - Rule description, at most 256 characters. When omitted, the current one is kept;
            V("") removes it.
        type: str
      scope:
        description:
          - Which resources trigger evaluations. When omitted, the current scope is kept;
            V({}) removes it.
        type: dict
        suboptions:
          compliance_resource_types:
            description:
              - Resource types, for example V(AWS::EC2::SecurityGroup).
            type: list
            elements: str
          tag_key:
            description:
              - Tag key of the resources to evaluate (not with resource types).
            type: str
          tag_value:
            description:
              - Tag value; requires O(rules[].scope.tag_key).
            type: str
          compliance_resource_id:
            description:
              - One resource ID; requires exactly one O(rules[].scope.compliance_resource_types) entry.
            type: str
      maximum_execution_frequency:
        description:
          - Frequency of a periodic rule. When omitted, the current value is kept.
          - AWS refuses it for rules triggered only by configuration changes; the emulator accepts it.
        type: str
        choices: [One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours]
      tags:
        description:
          - Tags of this rule, merged over the module-level O(tags).
          - When neither this nor O(tags) is set, the rule's tags are not managed.
        type: dict
  state:
    description:
      - V(present) creates or updates every listed rule; V(absent) deletes every listed rule.
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - Also delete rules whose name starts with O(purge_prefix) and that are not listed in
        O(rules) (for example after a rename). Rules outside the prefix are never touched, and
        service-linked rules (with C(CreatedBy)) are never deleted.
    type: bool
    default: false
  purge_prefix:
    description:
      - Name prefix that limits O(purge). Required (and not empty) when O(purge=true).
    type: str
notes:
  - The module-level O(tags) apply to every listed rule, and O(rules[].tags) are merged over them;
    O(purge_tags) applies to the merged result.
  - Check mode is supported; nothing is written and the would-be result is returned.
  - Diff mode is supported.
  - Writes are ordered creates and updates first, deletions last, so a rename never leaves a gap.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Peering guard rails as AWS Config managed rules
  netsec.aws_peering.config_rules:
    purge: true
    purge_prefix: netsec-
    tags:
      ManagedBy: netsec.aws_peering
    rules:
      - name: netsec-vpc-peering-dns-resolution
        source_identifier: VPC_PEERING_DNS_RESOLUTION_CHECK
      - name: netsec-vpc-flow-logs-enabled
        source_identifier: VPC_FLOW_LOGS_ENABLED
      - name: netsec-sg-authorized-ports
        source_identifier: VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS
        input_parameters:
          authorizedTcpPorts: [443, 5432]
        scope:
          compliance_resource_types: [AWS::EC2::SecurityGroup]
      - name: netsec-required-tags
        source_identifier: REQUIRED_TAGS
        input_parameters:
          tag1Key: CostCenter
          tag2Key: Environment
        description: Every resource carries CostCenter and Environment tags
        tags:
          Control: tagging

- name: Remove two rules
  netsec.aws_peering.config_rules:
    state: absent
    rules:
      - name: netsec-vpc-flow-logs-enabled
      - name: netsec-required-tags
"""

RETURN = r"""
rules:
  description: One entry per listed rule, then one per purged rule.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Rule name.
      type: str
      sample: netsec-sg-authorized-ports
    arn:
      description: Rule ARN; null for a rule created in check mode or absent.
      type: str
      sample: arn:aws:config:us-east-1:123456789012:config-rule/config-rule-abc123
    owner:
      description: V(AWS) or V(CUSTOM_LAMBDA).
      type: str
    source_identifier:
      description: Managed rule identifier or Lambda ARN.
      type: str
      sample: VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS
    input_parameters:
      description: Parameters as a dict of strings.
      type: dict
      sample: {"authorizedTcpPorts": "443,5432"}
    description:
      description: Rule description.
      type: str
    scope:
      description: Normalised scope (empty when none).
      type: dict
    maximum_execution_frequency:
      description: Periodic frequency, or null.
      type: str
    tags:
      description: Tags of the rule when tags are managed or were read; otherwise omitted.
      type: dict
    action:
      description: What happened to the rule.
      type: str
      choices: [created, updated, deleted, unchanged]
      sample: created
diff:
  description: Before and after view of every listed or purged rule, keyed by name (null when absent).
  returned: when diff mode is on
  type: dict
"""

import copy

try:
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS = (BotoCoreError, ClientError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.config import (
    FREQUENCIES,
    MESSAGE_TYPES,
    TAGGING_UNSUPPORTED_CODES,
    ConfigValidationError,
    list_config_rules,
    merge_rule,
    normalise_rule_reply,
    rule_to_boto,
    rules_differ,
    validate_rule,
    validate_tags,
)


def argument_spec():
    return dict(
        rules=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                source_identifier=dict(type="str"),
                owner=dict(type="str", default="AWS", choices=["AWS", "CUSTOM_LAMBDA"]),
                source_details=dict(
                    type="list",
                    elements="dict",
                    options=dict(
                        event_source=dict(type="str", default="aws.config", choices=["aws.config"]),
                        message_type=dict(type="str", required=True, choices=list(MESSAGE_TYPES)),
                        maximum_execution_frequency=dict(type="str", choices=list(FREQUENCIES)),
                    ),
                ),
                input_parameters=dict(type="dict"),
                description=dict(type="str"),
                scope=dict(
                    type="dict",
                    options=dict(
                        compliance_resource_types=dict(type="list", elements="str"),
                        tag_key=dict(type="str", no_log=False),
                        tag_value=dict(type="str"),
                        compliance_resource_id=dict(type="str"),
                    ),
                ),
                maximum_execution_frequency=dict(type="str", choices=list(FREQUENCIES)),
                tags=dict(type="dict"),
            ),
        ),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        purge=dict(type="bool", default=False),
        purge_prefix=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def public_view(rule, tags=None):
    """Result entry for a normalised rule (drops internal keys)."""
    if rule is None:
        return None
    view = {
        "name": rule["name"],
        "arn": rule.get("arn"),
        "owner": rule.get("owner"),
        "source_identifier": rule.get("source_identifier"),
        "input_parameters": copy.deepcopy(rule.get("input_parameters") or {}),
        "description": rule.get("description") or "",
        "scope": copy.deepcopy(rule.get("scope") or {}),
        "maximum_execution_frequency": rule.get("maximum_execution_frequency"),
    }
    if rule.get("source_details"):
        view["source_details"] = copy.deepcopy(rule["source_details"])
    if tags is not None:
        view["tags"] = dict(tags)
    return view


class ConfigRulesManager:
    def __init__(self, module, desired):
        self.module = module
        self.desired = desired
        self.client = module.client(
            "config", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=["ResourceInUseException"])
        )
        self.tagging_supported = True
        self.changed = False
        self.results = []
        self.before = {}
        self.after = {}

    # -- reads ---------------------------------------------------------------
    def current_rules(self):
        try:
            return {name: normalise_rule_reply(reply) for name, reply in list_config_rules(self.client).items()}
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not describe AWS Config rules")

    def current_tags(self, rule):
        if not self.tagging_supported or not rule.get("arn"):
            return None
        try:
            reply = self.client.list_tags_for_resource(aws_retry=True, ResourceArn=rule["arn"])
        except is_boto3_error_code(list(TAGGING_UNSUPPORTED_CODES)) as e:
            self.tagging_supported = False
            self.module.warn(
                "This endpoint does not support tags on config rules (%s); tags are left alone"
                % e.response.get("Error", {}).get("Code")
            )
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Could not list the tags of config rule %r" % rule["name"])
        return boto3_tag_list_to_ansible_dict(reply.get("Tags", []))

    def recorder_exists(self):
        try:
            reply = self.client.describe_configuration_recorders(aws_retry=True)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not describe AWS Config configuration recorders")
        return bool(reply.get("ConfigurationRecorders"))

    # -- plan ----------------------------------------------------------------
    def plan(self, current):
        """Work out what to do for every rule, without writing. Returns a list of steps."""
        params = self.module.params
        state = params["state"]
        steps = []
        listed = set()
        for desired in self.desired:
            name = desired["name"]
            listed.add(name)
            existing = current.get(name)
            if existing and existing.get("created_by"):
                self.module.fail_json(
                    msg="rules[name=%r]: the rule exists and is service-linked (created by %s); it cannot be "
                    "managed here" % (name, existing["created_by"])
                )
            if state == "absent":
                steps.append({"name": name, "action": "deleted" if existing else "unchanged", "current": existing})
                continue

            after = merge_rule(desired, existing)
            after["arn"] = existing.get("arn") if existing else None
            needs_put = existing is None or rules_differ(after, existing)
            managed_tags = desired["tags"] if self.tagging_supported else None
            current_tags = None
            if existing and (managed_tags is not None or needs_put):
                current_tags = self.current_tags(existing)
                if not self.tagging_supported:
                    managed_tags = None
            tags_to_set, tags_to_unset = {}, []
            final_tags = current_tags
            if managed_tags is not None:
                tags_to_set, tags_to_unset = compare_aws_tags(current_tags or {}, managed_tags, params["purge_tags"])
                final_tags = dict(current_tags or {})
                final_tags.update(tags_to_set)
                for key in tags_to_unset:
                    final_tags.pop(key, None)
            if existing is None:
                action = "created"
            elif needs_put or tags_to_set or tags_to_unset:
                action = "updated"
            else:
                action = "unchanged"
            steps.append(
                {
                    "name": name,
                    "action": action,
                    "current": existing,
                    "current_tags": current_tags,
                    "after": after,
                    "needs_put": needs_put,
                    "final_tags": final_tags,
                    "tags_to_set": tags_to_set,
                    "tags_to_unset": tags_to_unset,
                }
            )

        if params["purge"]:
            prefix = params["purge_prefix"]
            for name in sorted(current):
                if name in listed or not name.startswith(prefix):
                    continue
                if current[name].get("created_by"):
                    self.module.warn(
                        "Config rule %r matches purge_prefix but is service-linked (created by %s); not deleted"
                        % (name, current[name]["created_by"])
                    )
                    continue
                steps.append({"name": name, "action": "deleted", "current": current[name]})
        return steps

    # -- writes --------------------------------------------------------------
    def fail_partial(self, e, msg):
        self.module.fail_json_aws(e, msg=msg, rules=self.results, changed=self.changed)

    def put(self, step):
        name = step["name"]
        request = rule_to_boto(name, step["after"])
        kwargs = {"ConfigRule": request}
        if step["final_tags"] is not None:
            kwargs["Tags"] = ansible_dict_to_boto3_tag_list(step["final_tags"])
        try:
            self.client.put_config_rule(aws_retry=True, **kwargs)
        except is_boto3_error_code("NoAvailableConfigurationRecorderException") as e:
            self.fail_partial(
                e,
                "rules[name=%r]: AWS refuses config rules while no configuration recorder exists in %s; "
                "create one first (netsec.aws_peering.config_recorder)" % (name, self.module.region),
            )
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail_partial(e, "rules[name=%r]: could not put config rule" % name)

    def retag(self, step, arn):
        name = step["name"]
        try:
            if step["tags_to_set"]:
                self.client.tag_resource(
                    aws_retry=True, ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(step["tags_to_set"])
                )
            if step["tags_to_unset"]:
                self.client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=step["tags_to_unset"])
        except AWS_ERRORS as e:
            self.fail_partial(e, "rules[name=%r]: could not update tags" % name)

    def delete(self, step):
        try:
            self.client.delete_config_rule(aws_retry=True, ConfigRuleName=step["name"])
        except is_boto3_error_code("NoSuchConfigRuleException"):
            pass
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail_partial(e, "rules[name=%r]: could not delete config rule" % step["name"])

    def run(self):
        current = self.current_rules()
        steps = self.plan(current)
        check_mode = self.module.check_mode

        writes = [s for s in steps if s.get("needs_put")]
        if writes and not self.recorder_exists():
            msg = (
                "No AWS Config configuration recorder exists in %s; AWS refuses PutConfigRule "
                "(NoAvailableConfigurationRecorderException) for rules %s. Create one first with "
                "netsec.aws_peering.config_recorder" % (self.module.region, [s["name"] for s in writes])
            )
            if check_mode:
                self.module.warn(msg)
            else:
                self.module.fail_json(msg=msg)

        # Creates and updates first, deletions last.
        ordered = [s for s in steps if s["action"] != "deleted"] + [s for s in steps if s["action"] == "deleted"]
        fresh = None
        for step in ordered:
            name = step["name"]
            action = step["action"]
            before_view = public_view(step["current"], step.get("current_tags"))
            if action in ("created", "updated"):
                self.changed = True
                if not check_mode:
                    if step["needs_put"]:
                        self.put(step)
                    if action == "updated" and (step["tags_to_set"] or step["tags_to_unset"]):
                        self.retag(step, step["current"]["arn"])
                after_view = public_view(step["after"], step["final_tags"])
            elif action == "deleted":
                self.changed = True
                if not check_mode:
                    self.delete(step)
                after_view = None
            else:
                after_view = public_view(step.get("after") or step["current"], step.get("final_tags"))
            entry = dict(after_view or before_view or {"name": name})
            entry["name"] = name
            entry["action"] = action
            self.results.append(entry)
            self.before[name] = before_view
            self.after[name] = after_view

        # Report what AWS now holds (ARNs of new rules, values as stored).
        if self.changed and not check_mode and any(s["action"] in ("created", "updated") for s in steps):
            fresh = self.current_rules()
            for entry in self.results:
                if entry["action"] in ("created", "updated") and entry["name"] in fresh:
                    live = public_view(fresh[entry["name"]], entry.get("tags"))
                    live["action"] = entry["action"]
                    entry.clear()
                    entry.update(live)
                    self.after[entry["name"]] = public_view(fresh[entry["name"]], live.get("tags"))

        result = {"changed": self.changed, "rules": self.results}
        if self.module._diff:
            result["diff"] = {"before": self.before, "after": self.after}
        return result


def validate(module):
    params = module.params
    if params["purge"] and not params.get("purge_prefix"):
        module.fail_json(msg="purge=true needs a non-empty purge_prefix (got %r)" % (params.get("purge_prefix"),))
    try:
        common_tags = validate_tags(params.get("tags"), "tags")
        desired = [validate_rule(rule, params["state"], common_tags) for rule in params["rules"]]
    except ConfigValidationError as e:
        module.fail_json(msg=str(e))
    seen = set()
    for rule in desired:
        if rule["name"] in seen:
            module.fail_json(msg="rules: rule name %r is listed more than once" % rule["name"])
        seen.add(rule["name"])
    return desired


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    desired = validate(module)
    manager = ConfigRulesManager(module, desired)
    module.exit_json(**manager.run())


if __name__ == "__main__":
    main()
