#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: log_metric_filters
short_description: Manage every metric filter of one CloudWatch Logs log group in one run
version_added: 0.1.0
description:
  - Creates, updates and deletes the metric filters of one Amazon CloudWatch Logs log group as a set,
    each with its pattern and its metric transformation (metric name, namespace, value, default value, unit).
  - Filters of the group that are not listed in O(filters) are deleted only when their name carries
    O(owned_prefix) and O(owned_suffix) (at least one of them must be given); filters of others are never touched.
  - Fills a gap, M(amazon.aws.cloudwatchlogs_log_group_metric_filter) manages one filter per run (nine module runs
    for the peering metrics of a site) and cannot purge the filters no longer wanted.
  - The group is read with the same function as the discovery module M(netsec.aws_peering.site_info)
    (C(describe_log_group)), and the decisions are those of the pure planner
    C(plan_metric_filters) (also the filter P(netsec.aws_peering.plan_metric_filters#filter)), so a
    plan made on the controller and this module's run agree.
  - A filter is written with C(PutMetricFilter), which replaces a filter of the same name, and deleted with
    C(DeleteMetricFilter). Filters that already match are not written again.
  - The log group must exist (it is not created). In check mode a missing group is reported with a warning and
    every wanted filter as a change.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  log_group_name:
    description:
      - Name of the log group.
    type: str
    required: true
  filters:
    description:
      - Every wanted metric filter of the group (the complete list; see O(owned_prefix) for purging).
      - The filter P(netsec.aws_peering.metric_filter_specs#filter) builds the peering filters of a site in this shape.
      - With O(state=absent) only the names count.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the filter (1-512 characters, no V(:) or V(*)).
        type: str
        required: true
      pattern:
        description:
          - The filter pattern (at most 1024 characters). Required with O(state=present);
            an empty string matches every log event.
        type: str
      metric_name:
        description: Name of the metric the filter publishes to. Required with O(state=present).
        type: str
      metric_namespace:
        description: Namespace of the metric. Required with O(state=present).
        type: str
      metric_value:
        description:
          - Value published for each matching log event, a number or a field reference such as V($bytes).
            Required with O(state=present).
        type: str
      default_value:
        description:
          - Value published for each period in which no log event matches. Unset, nothing is published then.
        type: float
      unit:
        description: Unit of the metric.
        type: str
        choices: ['Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes',
                  'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits', 'Percent', 'Count', 'Bytes/Second',
                  'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second',
                  'Kilobits/Second', 'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None']
  owned_prefix:
    description:
      - Filters of the group whose name starts with this prefix (and ends with O(owned_suffix), when given) are ours.
        Those not listed in O(filters) are deleted.
      - When neither O(owned_prefix) nor O(owned_suffix) is given, no filter is deleted with O(state=present).
    type: str
  owned_suffix:
    description:
      - Filters of the group whose name ends with this suffix (and starts with O(owned_prefix), when given) are ours.
        Those not listed in O(filters) are deleted. The collection's filters end with V(-<network>-<suffix>).
    type: str
  state:
    description:
      - V(present) makes the listed filters exist as given (and purges our unlisted ones).
      - V(absent) deletes the listed filters and every filter we own (O(owned_prefix), O(owned_suffix)).
    type: str
    choices: ['present', 'absent']
    default: present
notes:
  - Supports check mode and diff mode. The diff shows every filter of the group, before and after.
  - Verified against the moto emulator only (moto 5.2.5), where C(PutMetricFilter) appends a second filter of the same
    name instead of replacing it and C(DescribeMetricFilters) then lists both (the newest last). The planner therefore
    takes the last one listed under a name; AWS itself never lists a name twice. The emulator also accepts filters
    for a log group that does not exist, which AWS refuses; this module checks the group first.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The peering metric filters of a site, built on the controller, in one run
  netsec.aws_peering.log_metric_filters:
    log_group_name: /netsec/flowlogs/trading-prod
    filters: >-
      {{ peer_cidrs | netsec.aws_peering.metric_filter_specs(allowed_ports, flow_log_format,
           'trading', 'prod', 'NetSec/Peering', metric_names) }}
    owned_suffix: -trading-prod

- name: Two filters written by hand; other filters of the group are kept
  netsec.aws_peering.log_metric_filters:
    log_group_name: /app/web
    filters:
      - name: web-5xx
        pattern: '[ip, id, user, timestamp, request, status_code=5*, size]'
        metric_name: Web5xx
        metric_namespace: App/Web
        metric_value: "1"
        default_value: 0
        unit: Count
      - name: web-bytes
        pattern: '[ip, id, user, timestamp, request, status_code, size]'
        metric_name: WebBytes
        metric_namespace: App/Web
        metric_value: $size
        unit: Bytes

- name: Delete every filter of ours in the group
  netsec.aws_peering.log_metric_filters:
    log_group_name: /netsec/flowlogs/trading-prod
    owned_suffix: -trading-prod
    state: absent
"""

RETURN = r"""
changes:
  description:
    - What the run changed (in check mode, would change), one entry per filter and field, as the planner returns it.
    - V(action) is V(create), V(update) or V(delete); V(field) is V(filter) for a whole filter, else
      V(filterPattern) or V(metricTransformations).
  returned: always
  type: list
  elements: dict
  sample:
    - resource: metric_filter rejected-flows-in-trading-prod
      action: update
      field: filterPattern
      before: "[version, srcaddr=10.1.*, action=REJECT]"
      after: "[version, srcaddr=10.2.*, action=REJECT]"
log_group:
  description:
    - The log group after the run as discovery describes it (C(DescribeLogGroups) entry with C(metricFilters)
      and C(tags), AWS's keys); in check mode, as it is now. V(null) when the group does not exist.
  returned: always
  type: dict
  sample:
    logGroupName: /netsec/flowlogs/trading-prod
    metricFilters:
      - filterName: rejected-flows-in-trading-prod
        filterPattern: "[version, srcaddr=10.1.*, action=REJECT]"
        metricTransformations:
          - {metricName: RejectedFlows-trading-prod, metricNamespace: NetSec/Peering, metricValue: "1", defaultValue: 0.0}
    tags: {ManagedBy: netsec.aws_peering}
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import by_resource
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import converge_set
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_log_group
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import UNITS
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import current_filters
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import filter_view
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import normalize_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import plan_metric_filters


def describe(module, logs, wanted):
    try:
        return describe_log_group(logs, wanted["log_group_name"])
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"Cannot describe {e.what}")
    return None  # not reached: fail_json_aws exits


def diff_of(current, wanted, changes):
    """Every filter of the group before, and after the changes."""
    before = {name: filter_view(f) for name, f in sorted(current_filters(current).items())}
    after = dict(before)
    for item in changes:
        name = item["resource"].split(" ", 1)[1]
        if item["action"] == "delete":
            after.pop(name, None)
        else:
            after[name] = filter_view(wanted["filters"][name])
    return {"before": before, "after": dict(sorted(after.items()))}


def execute(module, logs, _current, wanted, changes):
    group = wanted["log_group_name"]
    for name, _mine, actions in by_resource(changes):
        try:
            if "delete" in actions:
                logs.delete_metric_filter(aws_retry=True, logGroupName=group, filterName=name)
            else:
                logs.put_metric_filter(aws_retry=True, logGroupName=group, **wanted["filters"][name])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to {'delete' if 'delete' in actions else 'write'} metric filter {name} of {group}")


def main():
    argument_spec = dict(
        log_group_name=dict(type="str", required=True),
        filters=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                pattern=dict(type="str"),
                metric_name=dict(type="str"),
                metric_namespace=dict(type="str"),
                metric_value=dict(type="str"),
                default_value=dict(type="float"),
                unit=dict(type="str", choices=list(UNITS)),
            ),
        ),
        owned_prefix=dict(type="str"),
        owned_suffix=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    group = module.params["log_group_name"]
    desired = {key: module.params[key] for key in ("log_group_name", "filters", "owned_prefix", "owned_suffix", "state")}
    desired["filters"] = [{k: v for k, v in spec.items() if v is not None} for spec in desired["filters"]]
    try:
        wanted = normalize_desired(desired)
    except ValueError as e:
        module.fail_json(msg=str(e))

    def plan(current):
        changes = plan_metric_filters(current, desired)
        if current is None and changes:
            if not module.check_mode:
                module.fail_json(msg=f"log_group_name: log group {group} does not exist; create it first", changes=changes)
            module.warn(f"Log group {group} does not exist yet: every filter is reported as to be created")
        return changes

    logs = module.client("logs", retry_decorator=RETRY)
    result, current = converge_set(module, logs, wanted, describe, plan, execute, diff_of)
    module.exit_json(**result, log_group=current)


if __name__ == "__main__":
    main()
