#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_alarms
short_description: Manage a list of CloudWatch metric alarms, threshold or anomaly band, with tags, in one run
version_added: 0.1.0
description:
  - Creates, updates or deletes a list of Amazon CloudWatch metric alarms in one run. Each alarm is either a
    plain threshold alarm (a metric, its statistic and period, compared with O(alarms[].threshold)) or an
    anomaly band alarm (the metric compared with C(ANOMALY_DETECTION_BAND(m1, band_width))).
  - Tags are set on creation through C(PutMetricAlarm) C(Tags) and kept in line afterwards with
    C(TagResource) and C(UntagResource) (C(PutMetricAlarm) ignores C(Tags) on an existing alarm).
    Tag keys starting with V(aws:) are never changed.
  - Fills a gap, M(amazon.aws.cloudwatch_metric_alarm) manages one alarm per run, cannot tag, has no anomaly band
    (no C(ThresholdMetricId)) and is never idempotent with metric queries.
  - Idempotent, a described alarm is compared with the wanted one on a normalised view (action lists sorted,
    empty fields dropped, numbers and the band width formatted alike); an alarm that already matches is not written.
  - The alarms are read with the same function as the discovery module M(netsec.aws_peering.site_info)
    (C(describe_alarms)) and the decisions are those of the pure planner C(plan_alarms)
    (also the filter P(netsec.aws_peering.plan_alarms#filter)).
  - Alarms not listed are never touched.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  alarms:
    description:
      - The alarms. With O(state=absent) only the names count.
      - Every field is the complete wanted value, for example an unset O(alarms[].alarm_actions) means no actions.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the alarm (1 to 255 characters).
        type: str
        required: true
      kind:
        description:
          - V(threshold) compares the metric with O(alarms[].threshold); V(anomaly_band) with its anomaly detection band.
          - Default, V(threshold) when O(alarms[].threshold) is set, else V(anomaly_band) when O(alarms[].band_width) is set
            or O(alarms[].comparison_operator) is a band operator, else V(threshold).
        type: str
        choices: ['threshold', 'anomaly_band']
      namespace:
        description: Namespace of the metric. Required with O(state=present).
        type: str
      metric_name:
        description: Name of the metric. Required with O(state=present).
        type: str
        aliases: ['metric']
      dimensions:
        description: Dimensions of the metric, name to value (at most 30).
        type: dict
      statistic:
        description:
          - V(SampleCount), V(Average), V(Sum), V(Minimum), V(Maximum) or an extended statistic such as V(p99). Default V(Sum).
        type: str
        aliases: ['stat']
      period:
        description: Period in seconds, V(10), V(30) or a multiple of V(60). Default V(300).
        type: int
      unit:
        description: Unit of the metric, when it is published with several.
        type: str
        choices: ['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
                  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
                  'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
                  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None']
      threshold:
        description: The threshold of a V(threshold) alarm (required for one; not allowed for V(anomaly_band)).
        type: float
      band_width:
        description: Width of the band in standard deviations of an V(anomaly_band) alarm, greater than 0. Default V(2).
        type: float
      comparison_operator:
        description:
          - For V(threshold), V(GreaterThanOrEqualToThreshold), V(GreaterThanThreshold), V(LessThanThreshold) or
            V(LessThanOrEqualToThreshold) (required).
          - For V(anomaly_band), V(GreaterThanUpperThreshold) (default), V(LessThanLowerThreshold) or
            V(LessThanLowerOrGreaterThanUpperThreshold).
        type: str
        choices: ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold',
                  'GreaterThanUpperThreshold', 'LessThanLowerThreshold', 'LessThanLowerOrGreaterThanUpperThreshold']
      evaluation_periods:
        description: Number of periods evaluated. Default V(1).
        type: int
      datapoints_to_alarm:
        description: Breaching data points within O(alarms[].evaluation_periods) that fire the alarm (M out of N).
        type: int
      treat_missing_data:
        description: How missing data points are treated. Default V(missing), as AWS.
        type: str
        choices: ['breaching', 'notBreaching', 'ignore', 'missing']
      alarm_actions:
        description: ARNs run when the alarm enters C(ALARM) (at most 5).
        type: list
        elements: str
      ok_actions:
        description: ARNs run when the alarm enters C(OK) (at most 5).
        type: list
        elements: str
      insufficient_data_actions:
        description: ARNs run when the alarm enters C(INSUFFICIENT_DATA) (at most 5).
        type: list
        elements: str
      description:
        description: Description of the alarm (at most 1024 characters).
        type: str
      actions_enabled:
        description: Whether the actions run. Default V(true).
        type: bool
      tags:
        description: Tags of this alarm, on top of O(tags) (same keys, this value wins).
        type: dict
  state:
    description:
      - V(present) creates or updates the alarms, V(absent) deletes them.
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - Supports check mode and diff mode. The diff shows each listed alarm's normalised view with its tags.
  - O(tags) applies to every alarm. Tags are managed when O(tags) or an alarm's own O(alarms[].tags) is set.
  - Verified against the moto emulator only (moto 5.2.5). There, C(PutMetricAlarm) with C(Metrics) and
    C(ThresholdMetricId) works and is described back as written; C(Tags) on C(PutMetricAlarm) of an existing alarm are merged
    (AWS ignores them, so this module never sends them then); the tags of a deleted alarm stay attached to its ARN, so an
    alarm re-created under the same name shows them again (the module then removes the extra tags in the same run);
    C(PutAnomalyDetector) is not implemented (not needed, AWS trains the model of a band alarm itself).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The traffic alarms of a site in one run
  netsec.aws_peering.cloudwatch_alarms:
    tags:
      ManagedBy: netsec.aws_peering
      Network: trading
    alarms:
      - name: rejected-flows-trading-prod
        namespace: NetSec/Peering
        metric_name: RejectedFlows-trading-prod
        statistic: Sum
        period: 300
        comparison_operator: GreaterThanThreshold
        threshold: 10
        treat_missing_data: notBreaching
        alarm_actions: ["arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-trading-prod"]
        ok_actions: ["arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-trading-prod"]
        tags: {Name: rejected-flows-trading-prod}
      - name: traffic-anomaly-trading-prod
        kind: anomaly_band
        namespace: NetSec/Peering
        metric_name: PeeringBytes-trading-prod
        band_width: 2
        comparison_operator: LessThanLowerOrGreaterThanUpperThreshold
        evaluation_periods: 3
        datapoints_to_alarm: 2
        treat_missing_data: notBreaching
        alarm_actions: ["arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-trading-prod"]
        tags: {Name: traffic-anomaly-trading-prod}

- name: Delete them
  netsec.aws_peering.cloudwatch_alarms:
    alarms:
      - name: rejected-flows-trading-prod
      - name: traffic-anomaly-trading-prod
    state: absent
"""

RETURN = r"""
changes:
  description:
    - What the run changed (in check mode, would change), one entry per alarm and field, as the planner returns it.
    - V(field) is V(alarm) for a created or deleted alarm, V(Tags), or a C(PutMetricAlarm) field such as V(Threshold).
  returned: always
  type: list
  elements: dict
  sample:
    - {resource: alarm rejected-flows-trading-prod, action: update, field: Threshold, before: 10, after: 20}
    - resource: alarm rejected-flows-trading-prod
      action: update
      field: Tags
      before: {Name: rejected-flows-trading-prod}
      after: {Name: rejected-flows-trading-prod, Network: trading}
alarms:
  description:
    - The listed alarms that exist after the run, as discovery describes them (C(DescribeAlarms) C(MetricAlarms)
      with C(Tags), AWS's keys, sorted by name); in check mode, as they are now.
  returned: always
  type: list
  elements: dict
  sample:
    - AlarmName: rejected-flows-trading-prod
      AlarmArn: arn:aws:cloudwatch:eu-west-1:ACCOUNT_ID:alarm:rejected-flows-trading-prod
      MetricName: RejectedFlows-trading-prod
      Namespace: NetSec/Peering
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 10.0
      ComparisonOperator: GreaterThanThreshold
      Tags: [{Key: Name, Value: rejected-flows-trading-prod}]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import by_resource
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import normalize_alarm
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import ANOMALY_COMPARISON_OPERATORS
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import KINDS
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import THRESHOLD_COMPARISON_OPERATORS
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import TREAT_MISSING_DATA_CHOICES
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import UNITS
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import build_request
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import final_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import normalize_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import plan_alarms
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import tag_list
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import tag_writes
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import converge_set
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_alarms
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict

BATCH = 100  # DescribeAlarms and DeleteAlarms take at most 100 names


def describe(module, cloudwatch, wanted):
    names = list(wanted["alarms"])
    try:
        found = []
        for start in range(0, len(names), BATCH):
            found.extend(describe_alarms(cloudwatch, names[start:start + BATCH]))
        return sorted(found, key=lambda alarm: alarm["AlarmName"])
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"Cannot describe {e.what}")
    return None  # not reached: fail_json_aws exits


def view(alarm, tags):
    out = dict(normalize_alarm(alarm))
    if tags is not None:
        out["Tags"] = dict(sorted(tags.items()))
    return out


def diff_of(current, wanted, _changes):
    """Each listed alarm before, and as it will be."""
    by_name = {alarm["AlarmName"]: alarm for alarm in current}
    before, after = {}, {}
    for name, alarm in wanted["alarms"].items():
        existing = by_name.get(name)
        if existing:
            before[name] = view(existing, tag_dict(existing.get("Tags")))
        if wanted["state"] == "present":
            tags = final_tags(existing.get("Tags") if existing else {}, alarm["tags"], wanted["purge_tags"])
            after[name] = view(build_request(alarm), tags)
    return {"before": before, "after": after}


def call(module, what, method, **kwargs):
    try:
        return method(aws_retry=True, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to {what}")
    return None  # not reached: fail_json_aws exits


def retag(module, cloudwatch, arn, before, after):
    to_set, to_unset = tag_writes(before, after)
    if to_unset:
        call(module, f"untag {arn}", cloudwatch.untag_resource, ResourceARN=arn, TagKeys=to_unset)
    if to_set:
        call(module, f"tag {arn}", cloudwatch.tag_resource, ResourceARN=arn, Tags=tag_list(to_set))


def execute(module, cloudwatch, current, wanted, changes):
    by_name = {alarm["AlarmName"]: alarm for alarm in current}
    doomed = []
    for name, mine, actions in by_resource(changes):
        if "delete" in actions:
            doomed.append(name)
            continue
        alarm = wanted["alarms"][name]
        request = build_request(alarm)
        if "create" in actions:
            if alarm["tags"]:
                request["Tags"] = tag_list(alarm["tags"])
            call(module, f"create alarm {name}", cloudwatch.put_metric_alarm, **request)
            continue
        if any(item["field"] != "Tags" for item in mine):
            call(module, f"update alarm {name}", cloudwatch.put_metric_alarm, **request)
        for item in mine:
            if item["field"] == "Tags":
                retag(module, cloudwatch, by_name[name]["AlarmArn"], item["before"], item["after"])
    for start in range(0, len(doomed), BATCH):
        call(module, f"delete alarms {', '.join(doomed[start:start + BATCH])}", cloudwatch.delete_alarms,
             AlarmNames=doomed[start:start + BATCH])


def settle_tags(module, cloudwatch, found, wanted):
    """Remove tags a created alarm carries beyond the wanted ones (the emulator keeps a deleted alarm's tags)."""
    if wanted["state"] != "present":
        return False  # deleted alarms have no tags to repair
    repaired = False
    for alarm in found:
        spec = wanted["alarms"].get(alarm["AlarmName"])
        if spec is None or spec.get("tags") is None:
            continue
        have = tag_dict(alarm.get("Tags"))
        want = final_tags(have, spec["tags"], wanted["purge_tags"])
        if have != want:
            retag(module, cloudwatch, alarm["AlarmArn"], have, want)
            repaired = True
    return repaired


def main():
    alarm_options = dict(
        name=dict(type="str", required=True),
        kind=dict(type="str", choices=list(KINDS)),
        namespace=dict(type="str"),
        metric_name=dict(type="str", aliases=["metric"]),
        dimensions=dict(type="dict"),
        statistic=dict(type="str", aliases=["stat"]),
        period=dict(type="int"),
        unit=dict(type="str", choices=list(UNITS)),
        threshold=dict(type="float"),
        band_width=dict(type="float"),
        comparison_operator=dict(type="str", choices=list(THRESHOLD_COMPARISON_OPERATORS + ANOMALY_COMPARISON_OPERATORS)),
        evaluation_periods=dict(type="int"),
        datapoints_to_alarm=dict(type="int"),
        treat_missing_data=dict(type="str", choices=list(TREAT_MISSING_DATA_CHOICES)),
        alarm_actions=dict(type="list", elements="str"),
        ok_actions=dict(type="list", elements="str"),
        insufficient_data_actions=dict(type="list", elements="str"),
        description=dict(type="str"),
        actions_enabled=dict(type="bool"),
        tags=dict(type="dict"),
    )
    argument_spec = dict(
        alarms=dict(type="list", elements="dict", required=True, options=alarm_options),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    desired = {key: module.params[key] for key in ("state", "tags", "purge_tags")}
    desired["alarms"] = [{k: v for k, v in spec.items() if v is not None} for spec in module.params["alarms"]]
    try:
        wanted = normalize_desired(desired)
    except ValueError as e:
        module.fail_json(msg=str(e))

    cloudwatch = module.client("cloudwatch", retry_decorator=RETRY)
    result, current = converge_set(module, cloudwatch, wanted, describe, lambda found: plan_alarms(found, desired),
                                   execute, diff_of, settle=settle_tags)
    module.exit_json(**result, alarms=current)


if __name__ == "__main__":
    main()
