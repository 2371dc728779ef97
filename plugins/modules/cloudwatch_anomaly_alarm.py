#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_anomaly_alarm
short_description: Create, update or delete a CloudWatch alarm on an anomaly detection band
version_added: 0.1.0
description:
  - Creates, updates or deletes one Amazon CloudWatch metric alarm that compares a metric
    with its anomaly detection band (C(ANOMALY_DETECTION_BAND)) instead of a static threshold.
  - Fills a gap, M(amazon.aws.cloudwatch_metric_alarm) with O(amazon.aws.cloudwatch_metric_alarm#module:metrics) is never
    idempotent (it reports a change on every run) and has no C(ThresholdMetricId), so it
    cannot build anomaly detection band alarms.
  - The alarm is written with C(PutMetricAlarm) using two metric queries,
    V(m1) (the metric with its statistic and period) and V(ad1)
    (C(ANOMALY_DETECTION_BAND(m1, band_width))), and C(ThresholdMetricId=ad1).
  - The module compares a normalised view of the alarm returned by C(DescribeAlarms) with the
    desired one (metric queries sorted by id, empty fields dropped, numbers and the band width
    formatted the same way, action lists sorted), so running it again changes nothing.
  - No anomaly detector has to be created first. CloudWatch creates the anomaly detection model
    implicitly for an alarm that uses C(ANOMALY_DETECTION_BAND), so the module does not call
    C(PutAnomalyDetector) (which the moto emulator does not implement either).
  - An existing alarm of the same name that is not an anomaly band alarm (for example a static
    threshold alarm) is converted into one.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  name:
    description:
      - Name of the alarm (1 to 255 characters).
    type: str
    required: true
    aliases: ['alarm_name']
  state:
    description:
      - V(present) creates or updates the alarm, V(absent) deletes it.
    type: str
    choices: ['present', 'absent']
    default: present
  namespace:
    description:
      - Namespace of the metric, for example V(AWS/EC2). Required when O(state=present).
    type: str
  metric_name:
    description:
      - Name of the metric, for example V(NetworkIn). Required when O(state=present).
    type: str
    aliases: ['metric']
  dimensions:
    description:
      - Dimensions of the metric, as a dict of name to value (at most 30).
    type: dict
  stat:
    description:
      - Statistic of the metric, V(SampleCount), V(Average), V(Sum), V(Minimum), V(Maximum)
        or an extended statistic such as V(p99), V(tm90) or V(TM(10%:90%)).
    type: str
    default: Sum
  period:
    description:
      - Period of the metric in seconds, V(10), V(30) or a positive multiple of V(60).
    type: int
    default: 300
  unit:
    description:
      - Unit of the metric, when the metric is published with several units.
    type: str
  band_width:
    description:
      - Width of the anomaly detection band in standard deviations (the second argument of
        C(ANOMALY_DETECTION_BAND)). Must be greater than 0.
      - V(2) and V(2.0) are the same band.
    type: float
    default: 2
  comparison_operator:
    description:
      - Which side of the band breaches.
    type: str
    choices: ['GreaterThanUpperThreshold', 'LessThanLowerThreshold', 'LessThanLowerOrGreaterThanUpperThreshold']
    default: GreaterThanUpperThreshold
  evaluation_periods:
    description:
      - Number of most recent periods the alarm evaluates.
    type: int
    default: 1
  datapoints_to_alarm:
    description:
      - Number of breaching data points within O(evaluation_periods) that make the alarm fire
        (M out of N). Defaults to O(evaluation_periods) on the AWS side.
    type: int
  treat_missing_data:
    description:
      - How missing data points are treated.
    type: str
    choices: ['breaching', 'notBreaching', 'ignore', 'missing']
    default: notBreaching
  alarm_actions:
    description:
      - ARNs of the actions run when the alarm enters the C(ALARM) state (at most 5).
      - The complete list, an empty list removes all actions.
    type: list
    elements: str
    default: []
  ok_actions:
    description:
      - ARNs of the actions run when the alarm enters the C(OK) state (at most 5).
    type: list
    elements: str
    default: []
  insufficient_data_actions:
    description:
      - ARNs of the actions run when the alarm enters the C(INSUFFICIENT_DATA) state (at most 5).
    type: list
    elements: str
    default: []
  description:
    description:
      - Description of the alarm (at most 1024 characters).
    type: str
    aliases: ['alarm_description']
  actions_enabled:
    description:
      - Whether the actions run when the alarm changes state.
    type: bool
    default: true
notes:
  - Supports check mode and diff mode. The diff shows the normalised alarm before and after,
    with its tags.
  - Tags are managed with C(ListTagsForResource), C(TagResource) and C(UntagResource).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Alarm when traffic over the peering NAT goes above its usual band
  netsec.aws_peering.cloudwatch_anomaly_alarm:
    name: peering-prod-network-in-anomaly
    namespace: AWS/NATGateway
    metric_name: BytesInFromDestination
    dimensions:
      NatGatewayId: nat-0123456789abcdef0
    stat: Sum
    period: 300
    band_width: 3
    comparison_operator: GreaterThanUpperThreshold
    evaluation_periods: 3
    datapoints_to_alarm: 2
    alarm_actions:
      - arn:aws:sns:eu-west-1:{{ aws_account_id }}:netsec-alerts
    description: Unusual inbound volume on the peering path
    tags:
      team: netsec

- name: Alarm on both sides of the band
  netsec.aws_peering.cloudwatch_anomaly_alarm:
    name: peering-prod-packets-anomaly
    namespace: AWS/EC2
    metric_name: NetworkPacketsIn
    dimensions:
      InstanceId: i-0123456789abcdef0
    stat: Average
    comparison_operator: LessThanLowerOrGreaterThanUpperThreshold

- name: Remove the alarm
  netsec.aws_peering.cloudwatch_anomaly_alarm:
    name: peering-prod-network-in-anomaly
    state: absent
"""

RETURN = r"""
alarm:
  description:
    - The alarm as returned by C(DescribeAlarms), in snake_case, with its tags.
    - In check mode, the alarm that would be written.
    - Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    alarm_name:
      description: Name of the alarm.
      type: str
      sample: peering-prod-network-in-anomaly
    alarm_arn:
      description: ARN of the alarm (missing in check mode when the alarm would be created).
      type: str
      sample: arn:aws:cloudwatch:eu-west-1:123456789012:alarm:peering-prod-network-in-anomaly
    alarm_description:
      description: Description of the alarm.
      type: str
    actions_enabled:
      description: Whether actions run on state changes.
      type: bool
    alarm_actions:
      description: Actions for the C(ALARM) state.
      type: list
      elements: str
    ok_actions:
      description: Actions for the C(OK) state.
      type: list
      elements: str
    insufficient_data_actions:
      description: Actions for the C(INSUFFICIENT_DATA) state.
      type: list
      elements: str
    comparison_operator:
      description: Comparison operator.
      type: str
      sample: GreaterThanUpperThreshold
    evaluation_periods:
      description: Number of periods evaluated.
      type: int
    datapoints_to_alarm:
      description: Breaching data points needed (when set).
      type: int
    treat_missing_data:
      description: How missing data is treated.
      type: str
    threshold_metric_id:
      description: Id of the query that gives the band.
      type: str
      sample: ad1
    metrics:
      description: The metric queries, V(m1) (the metric) and V(ad1) (the band).
      type: list
      elements: dict
      sample:
        - id: m1
          metric_stat:
            metric: {namespace: AWS/EC2, metric_name: NetworkIn, dimensions: [{name: InstanceId, value: i-0123}]}
            period: 300
            stat: Sum
          return_data: true
        - id: ad1
          expression: ANOMALY_DETECTION_BAND(m1, 2)
          label: NetworkIn (expected)
          return_data: true
    band_width:
      description: Band width in standard deviations, read back from the expression.
      type: float
      sample: 2.0
    state_value:
      description: Current state of the alarm.
      type: str
      sample: OK
    tags:
      description: Tags of the alarm.
      type: dict
      sample: {team: netsec}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import normalize_boto3_result
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import band_width_from_metrics
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import build_put_metric_alarm_request
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import normalize_alarm
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import normalize_alarm_spec

SPEC_KEYS = (
    "name", "namespace", "metric_name", "dimensions", "period", "unit", "band_width", "comparison_operator",
    "evaluation_periods", "datapoints_to_alarm", "treat_missing_data", "alarm_actions", "ok_actions",
    "insufficient_data_actions", "description", "actions_enabled", "tags",
)


def validate_params(module):
    """Fail (naming the option and value) before any AWS call; the checks are those of cloudwatch_alarms."""
    p = module.params
    name = p["name"]
    if not name or len(name) > 255:
        module.fail_json(msg=f"name must be 1-255 characters, got {name!r}")
    if p["state"] != "present":
        return
    spec = {key: p[key] for key in SPEC_KEYS if p[key] is not None}
    spec.update(kind="anomaly_band", statistic=p["stat"])
    try:
        normalize_alarm_spec(spec, "alarm")
    except ValueError as e:
        module.fail_json(msg=str(e))


def describe_alarm(module, client, name):
    try:
        reply = client.describe_alarms(aws_retry=True, AlarmNames=[name])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to describe alarm {name}")
    for composite in reply.get("CompositeAlarms") or []:
        if composite.get("AlarmName") == name:
            module.fail_json(msg=f"name: {name!r} is a composite alarm; this module manages metric alarms only")
    for alarm in reply.get("MetricAlarms") or []:
        if alarm.get("AlarmName") == name:
            return alarm
    return None


def list_tags(module, client, arn):
    try:
        reply = client.list_tags_for_resource(aws_retry=True, ResourceARN=arn)
    except is_boto3_error_code("ResourceNotFoundException"):
        return {}
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to list tags of {arn}")
    return boto3_tag_list_to_ansible_dict(reply.get("Tags") or [])


def apply_tags(module, client, arn, to_set, to_unset):
    try:
        if to_unset:
            client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=list(to_unset))
        if to_set:
            client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to update tags of {arn}")


def put_alarm(module, client, request):
    try:
        client.put_metric_alarm(aws_retry=True, **request)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to put alarm {request['AlarmName']}")


def alarm_result(alarm, tags):
    if not alarm:
        return {}
    result = camel_dict_to_snake_dict(normalize_boto3_result(alarm))
    result["band_width"] = band_width_from_metrics(alarm.get("Metrics"))
    result["tags"] = tags
    return result


def diff_view(view, tags):
    if not view:
        return {}
    out = dict(view)
    out["Tags"] = dict(sorted((tags or {}).items()))
    return out


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["alarm_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        namespace=dict(type="str"),
        metric_name=dict(type="str", aliases=["metric"]),
        dimensions=dict(type="dict"),
        stat=dict(type="str", default="Sum"),
        period=dict(type="int", default=300),
        unit=dict(type="str"),
        band_width=dict(type="float", default=2),
        comparison_operator=dict(
            type="str",
            default="GreaterThanUpperThreshold",
            choices=[
                "GreaterThanUpperThreshold",
                "LessThanLowerThreshold",
                "LessThanLowerOrGreaterThanUpperThreshold",
            ],
        ),
        evaluation_periods=dict(type="int", default=1),
        datapoints_to_alarm=dict(type="int"),
        treat_missing_data=dict(
            type="str", default="notBreaching", choices=["breaching", "notBreaching", "ignore", "missing"]
        ),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        insufficient_data_actions=dict(type="list", elements="str", default=[]),
        description=dict(type="str", aliases=["alarm_description"]),
        actions_enabled=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["namespace", "metric_name"])],
        supports_check_mode=True,
    )
    validate_params(module)

    name = module.params["name"]
    state = module.params["state"]
    desired_tags = module.params["tags"]
    if desired_tags is not None:
        desired_tags = {str(k): str(v) for k, v in desired_tags.items()}
    purge_tags = module.params["purge_tags"]

    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())

    current = describe_alarm(module, client, name)
    current_tags = list_tags(module, client, current["AlarmArn"]) if current else {}
    before = diff_view(normalize_alarm(current), current_tags) if current else {}
    result = dict(changed=False)

    if state == "absent":
        if current:
            result["changed"] = True
            if not module.check_mode:
                try:
                    client.delete_alarms(aws_retry=True, AlarmNames=[name])
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    module.fail_json_aws(e, msg=f"Failed to delete alarm {name}")
        result["alarm"] = {}
        if module._diff:
            result["diff"] = dict(before=before, after={})
        module.exit_json(**result)

    request = build_put_metric_alarm_request(module.params)
    desired_view = normalize_alarm(request)
    config_changed = current is None or normalize_alarm(current) != desired_view

    if desired_tags is None:
        final_tags = dict(current_tags)
        to_set, to_unset = {}, []
    else:
        to_set, to_unset = compare_aws_tags(current_tags, desired_tags, purge_tags)
        final_tags = {k: v for k, v in current_tags.items() if k not in to_unset}
        final_tags.update(to_set)

    result["changed"] = bool(config_changed or to_set or to_unset)

    if module.check_mode:
        simulated = dict(current or {})
        for key in ("OKActions", "AlarmActions", "InsufficientDataActions", "AlarmDescription",
                    "DatapointsToAlarm", "MetricName", "Namespace", "Statistic", "ExtendedStatistic",
                    "Dimensions", "Period", "Unit", "Threshold", "EvaluateLowSampleCountPercentile"):
            simulated.pop(key, None)
        simulated.update(request)
        result["alarm"] = alarm_result(simulated, final_tags)
    else:
        if current is None:
            create = dict(request)
            if desired_tags:
                create["Tags"] = ansible_dict_to_boto3_tag_list(desired_tags)
            put_alarm(module, client, create)
            created = describe_alarm(module, client, name)
            if created is None:
                module.fail_json(msg=f"Alarm {name} was not found after PutMetricAlarm")
            if desired_tags is not None:
                # Reconcile: the alarm may carry more tags than requested (e.g. left over
                # from an earlier alarm of the same name in the emulator).
                actual = list_tags(module, client, created["AlarmArn"])
                to_set, to_unset = compare_aws_tags(actual, desired_tags, purge_tags)
                apply_tags(module, client, created["AlarmArn"], to_set, to_unset)
        else:
            if config_changed:
                # PutMetricAlarm ignores Tags on update; tags are handled below.
                put_alarm(module, client, request)
            apply_tags(module, client, current["AlarmArn"], to_set, to_unset)
        final = describe_alarm(module, client, name)
        final_tags = list_tags(module, client, final["AlarmArn"]) if final else {}
        result["alarm"] = alarm_result(final, final_tags)

    if module._diff:
        result["diff"] = dict(before=before, after=diff_view(desired_view, final_tags))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
