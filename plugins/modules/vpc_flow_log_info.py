#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_flow_log_info
short_description: List VPC flow logs
version_added: 0.1.0
description:
  - Lists VPC flow logs, optionally restricted by ID, logged resource or filters.
  - Fills a gap, neither C(amazon.aws) nor C(community.aws) has a module for VPC flow logs.
  - The filters C(resource-id), C(log-destination-type), C(traffic-type), C(flow-log-id),
    C(log-group-name), C(deliver-log-status), C(tag:<key>) and C(tag-key) are applied
    client-side as well as by the API, so the result is right even when a service ignores
    filters. Values may use C(*) and C(?) wildcards.
options:
  flow_log_ids:
    description:
      - Only these flow logs.
    type: list
    elements: str
    default: []
  resource_ids:
    description:
      - Only flow logs of these VPCs, subnets or network interfaces.
    type: list
    elements: str
    default: []
  filters:
    description:
      - A dict of filters to apply, as in the DescribeFlowLogs API, for example
        C(traffic-type=ALL) or C(tag:Name=prod) written as a YAML dict. A value may be a string or a list.
      - See U(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html).
    type: dict
    default: {}
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Flow logs of a VPC
  netsec.aws_peering.vpc_flow_log_info:
    resource_ids:
      - vpc-0123456789abcdef0
  register: vpc_flow_logs

- name: Flow logs publishing to S3, tagged for the peering
  netsec.aws_peering.vpc_flow_log_info:
    filters:
      log-destination-type: s3
      "tag:Purpose": peering
"""

RETURN = r"""
flow_logs:
  description: The matching flow logs.
  returned: always
  type: list
  elements: dict
  contains:
    flow_log_id:
      description: ID of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: ID of the logged resource.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: Type of traffic logged.
      type: str
      sample: ALL
    log_destination_type:
      description: Destination type.
      type: str
      sample: s3
    log_destination:
      description: ARN of the destination.
      type: str
      sample: arn:aws:s3:::bank-flow-logs-123456789012
    log_group_name:
      description: Name of the log group (CloudWatch Logs destinations).
      type: str
    deliver_logs_permission_arn:
      description: IAM role used to publish to CloudWatch Logs.
      type: str
    max_aggregation_interval:
      description: Maximum aggregation interval in seconds.
      type: int
      sample: 60
    log_format:
      description: Fields of a flow log record.
      type: str
      sample: "${version} ${account-id} ${interface-id}"
    destination_options:
      description: S3 destination options as reported by AWS (null when the service reports none).
      type: dict
    tags:
      description: Tags of the flow log.
      type: dict
      sample: {"Name": "prod-vpc-flow-log"}
    flow_log_status:
      description: Status of the flow log.
      type: str
      sample: ACTIVE
    deliver_logs_status:
      description: Delivery status reported by AWS.
      type: str
      sample: SUCCESS
    deliver_logs_error_message:
      description: Delivery error reported by AWS, if any.
      type: str
    creation_time:
      description: When the flow log was created (ISO 8601).
      type: str
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import FLOW_LOG_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import RESOURCE_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import describe_flow_logs
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import matches_filters
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import normalize_flow_log


def main():
    argument_spec = dict(
        flow_log_ids=dict(type="list", elements="str", default=[]),
        resource_ids=dict(type="list", elements="str", default=[]),
        filters=dict(type="dict", default={}),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    flow_log_ids = module.params["flow_log_ids"]
    resource_ids = module.params["resource_ids"]
    filters = dict(module.params["filters"])

    for fl_id in flow_log_ids:
        if not FLOW_LOG_ID_RE.match(fl_id):
            module.fail_json(msg="flow_log_ids: '%s' is not a flow log id (fl-...)" % fl_id)
    for res_id in resource_ids:
        if not RESOURCE_ID_RE.match(res_id):
            module.fail_json(msg="resource_ids: '%s' is not a VPC, subnet or network interface id" % res_id)

    api_filters = dict(filters)
    if resource_ids and "resource-id" not in api_filters:
        api_filters["resource-id"] = resource_ids

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    try:
        found = describe_flow_logs(client, flow_log_ids=flow_log_ids, filters=api_filters)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to describe flow logs")

    selected = []
    for fl in found:
        if flow_log_ids and fl.get("FlowLogId") not in flow_log_ids:
            continue
        if resource_ids and fl.get("ResourceId") not in resource_ids:
            continue
        if not matches_filters(fl, filters):
            continue
        selected.append(normalize_flow_log(fl))
    selected.sort(key=lambda f: (f["resource_id"] or "", f["flow_log_id"] or ""))

    module.exit_json(changed=False, flow_logs=selected)


if __name__ == "__main__":
    main()
