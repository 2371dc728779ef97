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
  - Ownership, with O(owner_tags) a listed rule that exists without those tags is refused (nothing is
    changed) and O(purge) deletes only rules carrying them.
  - The decisions come from C(plan_rules) of the collection's C(config) module utilities, the function the
    compliance stage also runs on the controller (from C(netsec.aws_peering.site_info)'s C(state.config.rules))
    to decide whether this module must run at all.
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
      - Name prefix that limits O(purge). O(purge=true) needs it or O(purge_suffix).
    type: str
  purge_suffix:
    description:
      - Name suffix that limits O(purge) (with O(purge_prefix), both must match), for example V(-core-prod).
    type: str
  owner_tags:
    description:
      - Tags that mark a rule as managed here, for example C(ManagedBy=netsec.aws_peering) and C(Network=core).
      - A listed rule that exists without all of them is refused, the module fails naming it before any change;
        O(purge) deletes only rules that carry them.
    type: dict
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
      sample: arn:aws:config:us-east-1:ACCOUNT_ID:config-rule/config-rule-abc123
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
changes:
  description:
    - The changes made (in check mode, that would be made), each with C(resource) (C(config_rule <name>)),
      C(action), C(field) (C(rule), C(tags) or the compared field that differs), C(before) and C(after).
  returned: always
  type: list
  elements: dict
config_rules:
  description:
    - The listed and purged rules that exist after the run (in check mode, as they would), in the shape of
      C(DescribeConfigRules) with their C(Tags), as C(netsec.aws_peering.site_info)'s C(state.config.rules).
  returned: always
  type: list
  elements: dict
diff:
  description: Before and after view of every listed or purged rule, keyed by name (null when absent).
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.config import ConfigValidationError
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import FREQUENCIES
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import MESSAGE_TYPES
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import TAGGING_UNSUPPORTED_CODES
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import list_config_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import normalise_rule_reply
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import plan_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import project_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rule_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rule_to_boto
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rule_view
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rules_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rules_needing_put
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import AWS_ERRORS
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import retry_also_on

ACTIONS = {"create": "created", "update": "updated", "delete": "deleted"}


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
        purge_suffix=dict(type="str"),
        owner_tags=dict(type="dict"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


class ConfigRulesManager:
    def __init__(self, module, params, settings):
        self.module = module
        self.params = params
        self.settings = settings
        self.client = module.client(
            "config", retry_decorator=retry_also_on("ResourceInUseException")
        )
        self.tagging_supported = True
        self.done = []

    # -- reads ---------------------------------------------------------------
    def concerned(self, name):
        """A rule this run may change: listed, or a purge candidate."""
        if name in {rule["name"] for rule in self.params["rules"]}:
            return True
        settings = self.settings
        return bool(settings["purge"] and (not settings["purge_prefix"] or name.startswith(settings["purge_prefix"]))
                    and (not settings["purge_suffix"] or name.endswith(settings["purge_suffix"])))

    def describe(self):
        """The concerned rules as DescribeConfigRules shows them, each with its Tags (as site_info reads them)."""
        try:
            replies = list_config_rules(self.client)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not describe AWS Config rules", changes=self.done)
        out = []
        for name in sorted(replies):
            if not self.concerned(name):
                continue
            reply = dict(replies[name])
            reply["Tags"] = self.tags_of(reply)
            out.append(reply)
        return out

    def tags_of(self, reply):
        if not self.tagging_supported:
            return None
        try:
            answer = self.client.list_tags_for_resource(aws_retry=True, ResourceArn=reply["ConfigRuleArn"])
        except is_boto3_error_code(list(TAGGING_UNSUPPORTED_CODES)) as e:
            self.tagging_supported = False
            self.module.warn("This endpoint does not support tags on config rules (%s); tags are left alone"
                             % e.response.get("Error", {}).get("Code"))
            return None
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg="Could not list the tags of config rule %r" % reply["ConfigRuleName"], changes=self.done)
        return answer.get("Tags", [])

    def recorder_exists(self):
        try:
            reply = self.client.describe_configuration_recorders(aws_retry=True)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not describe AWS Config configuration recorders")
        return bool(reply.get("ConfigurationRecorders"))

    # -- writes --------------------------------------------------------------
    def fail(self, e, msg):
        self.module.fail_json_aws(e, msg=msg, changes=self.done, changed=bool(self.done))

    def put(self, name, rule):
        kwargs = {"ConfigRule": rule_to_boto(name, rule)}
        if rule.get("tags") is not None:
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(rule["tags"].items())]
        try:
            self.client.put_config_rule(aws_retry=True, **kwargs)
        except is_boto3_error_code("NoAvailableConfigurationRecorderException") as e:
            self.fail(e, "rules[name=%r]: AWS refuses config rules while no configuration recorder exists in %s; "
                         "create one first (netsec.aws_peering.config_recorder)" % (name, self.module.region))
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "rules[name=%r]: could not put config rule" % name)

    def retag(self, name, arn, before, after):
        added = [{"Key": k, "Value": v} for k, v in sorted(after.items()) if (before or {}).get(k) != v]
        removed = sorted(k for k in before or {} if k not in after)
        try:
            if added:
                self.client.tag_resource(aws_retry=True, ResourceArn=arn, Tags=added)
            if removed:
                self.client.untag_resource(aws_retry=True, ResourceArn=arn, TagKeys=removed)
        except AWS_ERRORS as e:
            self.fail(e, "rules[name=%r]: could not update tags" % name)

    def delete(self, name):
        try:
            self.client.delete_config_rule(aws_retry=True, ConfigRuleName=name)
        except is_boto3_error_code("NoSuchConfigRuleException"):
            pass
        except AWS_ERRORS as e:  # pylint: disable=duplicate-except
            self.fail(e, "rules[name=%r]: could not delete config rule" % name)

    def execute(self, changes):
        """Creates and updates first, deletions last, so that a rename never leaves a gap."""
        puts = rules_needing_put(changes)
        for name, rule in puts.items():
            self.put(name, rule)
            self.done.extend(c for c in changes if c["resource"] == "config_rule %s" % name)
        for item in changes:
            name = item["resource"].split(" ", 1)[1]
            if item["action"] == "update" and item["field"] == "tags" and name not in puts:
                self.retag(name, item["rule"]["arn"], item["before"], item["after"])
                self.done.append(item)
        for item in changes:
            if item["action"] == "delete":
                self.delete(item["resource"].split(" ", 1)[1])
                self.done.append(item)

    def run(self):
        params = dict(self.params)
        current = self.describe()
        if not self.tagging_supported:
            # Tags cannot be read here: they are not managed, and ownership cannot be proven.
            params["tags"] = None
            params["rules"] = [dict(rule, tags=None) for rule in params["rules"]]
        try:
            changes = plan_rules(current, params)
        except ConfigValidationError as e:
            self.module.fail_json(msg=str(e), changes=[])
        puts = rules_needing_put(changes)
        if puts and not self.recorder_exists():
            msg = ("No AWS Config configuration recorder exists in %s; AWS refuses PutConfigRule "
                   "(NoAvailableConfigurationRecorderException) for rules %s. Create one first with "
                   "netsec.aws_peering.config_recorder" % (self.module.region, sorted(puts)))
            if self.module.check_mode:
                self.module.warn(msg)
            else:
                self.module.fail_json(msg=msg, changes=[])
        if changes and not self.module.check_mode:
            self.execute(changes)
            after = self.describe()
        else:
            after = project_rules(current, changes)
        return self.result(current, after, changes)

    def result(self, current, after, changes):
        before = {reply["ConfigRuleName"]: reply for reply in current}
        now = {reply["ConfigRuleName"]: reply for reply in after}
        actions = {}
        for item in changes:
            name = item["resource"].split(" ", 1)[1]
            actions[name] = "created" if item["action"] == "create" else actions.get(name) or ACTIONS[item["action"]]
        names = [rule["name"] for rule in self.params["rules"]]
        names += sorted(name for name in actions if name not in names)
        entries, diff_before, diff_after = [], {}, {}
        for name in names:
            old = rule_view(normalise_rule_reply(before[name]), rule_tags(before[name])) if name in before else None
            new = rule_view(normalise_rule_reply(now[name]), rule_tags(now[name])) if name in now else None
            entry = dict(new or old or {"name": name})
            entry["name"] = name
            entry["action"] = actions.get(name, "unchanged")
            if entry.get("tags") is None:
                entry.pop("tags", None)
            entries.append(entry)
            diff_before[name], diff_after[name] = old, new
        result = {"changed": bool(changes), "rules": entries, "changes": changes, "config_rules": after}
        if self.module._diff:
            result["diff"] = {"before": diff_before, "after": diff_after}
        return result


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = {name: module.params[name] for name in argument_spec()}
    try:
        settings, _rules = rules_desired(params)
    except ConfigValidationError as e:
        module.fail_json(msg=str(e))
    module.exit_json(**ConfigRulesManager(module, params, settings).run())


if __name__ == "__main__":
    main()
