#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: resource_tags
short_description: Manage the tags of CloudWatch alarms and EventBridge rules
version_added: 0.1.0
description:
  - Sets the tags of existing Amazon CloudWatch alarms and Amazon EventBridge rules, given by ARN.
  - Fills a gap, C(amazon.aws.cloudwatch_metric_alarm) and C(amazon.aws.cloudwatchevent_rule) cannot
    tag what they create, and C(amazon.aws.tagging) does not cover these services.
  - The service of each ARN picks the API, C(cloudwatch) (alarm ARNs, C(arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>))
    or C(events) (rule ARNs, C(arn:<partition>:events:<region>:<account>:rule/[<bus>/]<name>)), each with
    C(ListTagsForResource), C(TagResource) and C(UntagResource). Each resource is reached in the region of its ARN.
  - Every ARN is validated before any tag is written.
  - In check mode a resource that does not exist yet is reported as a change (it may be created by an
    earlier task of the same check run); outside check mode it makes the module fail.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  resource_arns:
    description:
      - ARNs of the CloudWatch alarms and EventBridge rules to tag. All of them get the same O(tags).
    type: list
    elements: str
    required: true
    aliases: ['resource_arn']
notes:
  - Supports check mode and diff mode. The diff shows the tags of each resource, keyed by ARN.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Tag an alarm and a rule, removing any other tag
  netsec.aws_peering.resource_tags:
    resource_arns:
      - arn:aws:cloudwatch:eu-west-1:{{ aws_account_id }}:alarm:rejected-flows-core-prod
      - arn:aws:events:eu-west-1:{{ aws_account_id }}:rule/peering-changes-core-prod
    tags:
      CostCenter: "4711"
      Environment: prod
    purge_tags: true

- name: Add one tag, keep the others
  netsec.aws_peering.resource_tags:
    resource_arns: ["arn:aws:events:eu-west-1:{{ aws_account_id }}:rule/peering-changes-core-prod"]
    tags:
      Owner: netsec
    purge_tags: false

- name: Remove every tag (aws:* tags are kept)
  netsec.aws_peering.resource_tags:
    resource_arns: ["arn:aws:cloudwatch:eu-west-1:{{ aws_account_id }}:alarm:rejected-flows-core-prod"]
    tags: {}
    purge_tags: true
"""

RETURN = r"""
resources:
  description: Each resource with its tags after the run (the would-be tags in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    arn:
      description: ARN of the resource.
      type: str
      sample: arn:aws:events:eu-west-1:123456789012:rule/peering-changes-core-prod
    tags:
      description: Tags of the resource.
      type: dict
      sample: {"CostCenter": "4711", "Environment": "prod"}
    added_tags:
      description: Tags this run set (new keys or new values).
      type: dict
      sample: {"Environment": "prod"}
    removed_tags:
      description: Tag keys this run removed.
      type: list
      elements: str
      sample: ["Owner"]
"""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.text.converters import to_text

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

ARN_RE = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):(?P<service>cloudwatch|events):(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+):"
    r"(?P<account>\d{12}):(?P<resource>.+)$"
)
RESOURCE_RE = {
    "cloudwatch": re.compile(r"^alarm:[^:]{1,255}$"),
    "events": re.compile(r"^rule/(?:[A-Za-z0-9._/-]{1,256}/)?[A-Za-z0-9._-]{1,64}$"),
}
NOT_FOUND_CODES = ("ResourceNotFoundException", "ResourceNotFound")


def parse_arn(arn):
    """Return (service, region) of a CloudWatch alarm or EventBridge rule ARN, or None."""
    match = ARN_RE.match(arn or "")
    if not match or not RESOURCE_RE[match.group("service")].match(match.group("resource")):
        return None
    return match.group("service"), match.group("region")


def main():
    argument_spec = dict(
        resource_arns=dict(type="list", elements="str", required=True, aliases=["resource_arn"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    arns = list(dict.fromkeys(module.params["resource_arns"]))
    desired = module.params["tags"]
    purge = module.params["purge_tags"]

    targets = []
    for arn in arns:
        parsed = parse_arn(arn)
        if parsed is None:
            module.fail_json(
                msg=f"resource_arns: {arn!r} is not a CloudWatch alarm ARN (arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>) "
                "or an EventBridge rule ARN (arn:<partition>:events:<region>:<account>:rule/[<bus>/]<name>)"
            )
        targets.append((arn,) + parsed)
    if desired is not None:
        for key, value in desired.items():
            if not key or len(key) > 128 or key.startswith("aws:") or len(to_text(value)) > 256:
                module.fail_json(msg=f"tags: invalid tag {key!r}={value!r} (key 1-128 characters, not aws:*; value up to 256 characters)")
        desired = {to_text(k): to_text(v) for k, v in desired.items()}

    clients = {}
    resources = []
    before_diff, after_diff = {}, {}
    changed = False
    for arn, service, region in targets:
        if (service, region) not in clients:
            clients[(service, region)] = module.client(service, retry_decorator=AWSRetry.jittered_backoff(), region=region)
        client = clients[(service, region)]
        try:
            current = boto3_tag_list_to_ansible_dict(client.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags", []))
            exists = True
        except is_boto3_error_code(NOT_FOUND_CODES):
            if not module.check_mode:
                module.fail_json(msg=f"resource_arns: {arn} does not exist")
            current, exists = {}, False
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Failed to read the tags of {arn}")

        to_set, to_unset = ({}, []) if desired is None else compare_aws_tags(current, desired, purge)
        after = {k: v for k, v in current.items() if k not in to_unset}
        after.update(to_set)
        if to_set or to_unset or (not exists and desired):
            changed = True
        if not module.check_mode:
            try:
                if to_unset:
                    client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=to_unset)
                if to_set:
                    client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg=f"Failed to update the tags of {arn}")
        resources.append(dict(arn=arn, tags=after, added_tags=to_set, removed_tags=sorted(to_unset)))
        before_diff[arn] = current
        after_diff[arn] = after

    result = dict(changed=changed, resources=resources)
    if module._diff:
        result["diff"] = dict(before=before_diff, after=after_diff)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
