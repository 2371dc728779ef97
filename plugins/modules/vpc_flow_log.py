#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_flow_log
short_description: Manage a VPC flow log for a VPC, subnet or network interface
version_added: 0.1.0
description:
  - Creates, replaces, tags or deletes one VPC flow log that publishes the traffic of a VPC,
    a subnet or a network interface to an S3 bucket or a CloudWatch Logs log group.
  - Fills a gap, neither C(amazon.aws) nor C(community.aws) has a module for VPC flow logs.
  - A flow log is identified by O(resource_id) and its destination (S3 ARN, or log group).
    The module manages one flow log per resource and destination; further flow logs on the
    same resource and destination are deleted when O(state=present).
  - AWS cannot modify a flow log. When O(traffic_type), the aggregation interval,
    O(log_format), O(destination_options) or O(deliver_logs_permission_arn) differ from the
    existing flow log, it is replaced (deleted, then created) and RV(replaced) is V(true).
    Tags are updated in place.
  - AWS accepts a maximum aggregation interval of 60 or 600 seconds only. A requested capture
    interval (O(capture_interval)) is mapped to the largest allowed value not above it and the
    result says so in RV(aggregation_interval_note); it is never silently changed.
options:
  state:
    description:
      - V(present) makes sure the flow log exists with the given settings.
      - V(absent) deletes the flow log(s) of O(resource_id) that publish to the given destination.
    type: str
    choices: ['present', 'absent']
    default: present
  resource_id:
    description:
      - ID of the VPC (C(vpc-)), subnet (C(subnet-)) or network interface (C(eni-)) to log.
    type: str
    required: true
  resource_type:
    description:
      - Type of O(resource_id). Inferred from the ID prefix when omitted; when given it must
        agree with the prefix.
    type: str
    choices: ['VPC', 'Subnet', 'NetworkInterface']
  traffic_type:
    description:
      - Which traffic to log.
    type: str
    choices: ['ALL', 'ACCEPT', 'REJECT']
    default: ALL
  log_destination_type:
    description:
      - Where the flow log publishes its records.
    type: str
    choices: ['s3', 'cloud-watch-logs']
    default: s3
  log_destination:
    description:
      - For O(log_destination_type=s3), the bucket ARN, optionally with a folder prefix,
        for example C(arn:aws:s3:::my-bucket/flow-logs/). Required for V(s3).
        The folder name C(AWSLogs) is reserved by AWS.
      - For O(log_destination_type=cloud-watch-logs), the ARN of the log group,
        for example C(arn:aws:logs:us-east-1:<account-id>:log-group:vpc-flow-logs).
      - Mutually exclusive with O(log_group_name).
    type: str
  log_group_name:
    description:
      - Name of the CloudWatch Logs log group, for O(log_destination_type=cloud-watch-logs) only.
      - Mutually exclusive with O(log_destination).
    type: str
  deliver_logs_permission_arn:
    description:
      - ARN of the IAM role that allows the flow logs service to publish to CloudWatch Logs.
      - Required when O(log_destination_type=cloud-watch-logs); not allowed for V(s3).
    type: str
  max_aggregation_interval:
    description:
      - Maximum aggregation interval in seconds. AWS accepts V(60) or V(600) only; any other value
        is an error.
      - Mutually exclusive with O(capture_interval).
      - When neither O(max_aggregation_interval) nor O(capture_interval) is given, V(60) is used
        (AWS itself would default to 600).
    type: int
  capture_interval:
    description:
      - The capture interval the user asked for, in seconds (for example V(300) for "5 minutes").
      - Mapped to the largest allowed maximum aggregation interval not above it
        (V(600) and more gives 600, V(60) to V(599) gives 60; less than 60 is an error).
      - The mapping is reported in RV(aggregation_interval_note); a warning is issued when the
        mapping changed the value.
      - Mutually exclusive with O(max_aggregation_interval).
    type: int
  log_format:
    description:
      - Fields of a flow log record, as C(${field}) tokens separated by spaces.
        Every token must be a known flow log field.
      - Defaults to all fields up to version 5 -
        C(${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport}
        ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id}
        ${subnet-id} ${instance-id} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${region}
        ${az-id} ${sublocation-type} ${sublocation-id} ${pkt-src-aws-service}
        ${pkt-dst-aws-service} ${flow-direction} ${traffic-path}).
    type: str
  destination_options:
    description:
      - Options for S3 destinations only.
      - When omitted, the AWS defaults are expected (plain text, no Hive-compatible prefixes,
        daily partitions) and not sent.
      - Some services do not report destination options for a flow log (the emulator drops them).
        When the existing flow log reports none, they are not compared, so the module never
        replaces a flow log in a loop.
    type: dict
    suboptions:
      file_format:
        description: Format of the log files.
        type: str
        choices: ['plain-text', 'parquet']
        default: plain-text
      hive_compatible_partitions:
        description: Use Hive-compatible prefixes for the S3 objects.
        type: bool
        default: false
      per_hour_partition:
        description: Partition the log files per hour instead of per day.
        type: bool
        default: false
notes:
  - Replacement deletes the old flow log before the new one is created (AWS refuses two flow logs
    with the same resource and destination), so records are not captured for a moment.
  - All input is validated before any AWS request is made.
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log all traffic of the VPC to the central bucket, 60 s aggregation
  netsec.aws_peering.vpc_flow_log:
    resource_id: vpc-0123456789abcdef0
    log_destination: arn:aws:s3:::bank-flow-logs-{{ aws_account_id }}/vpc/
    traffic_type: ALL
    max_aggregation_interval: 60
    tags:
      Name: prod-vpc-flow-log

- name: The mission asks for a 5 minute capture; map it (60 s) and say so
  netsec.aws_peering.vpc_flow_log:
    resource_id: subnet-0123456789abcdef0
    log_destination: arn:aws:s3:::bank-flow-logs-{{ aws_account_id }}
    capture_interval: 300
    destination_options:
      file_format: parquet
      hive_compatible_partitions: true
  register: flow_log

- name: Show how the interval was mapped
  ansible.builtin.debug:
    msg: "{{ flow_log.aggregation_interval_note }}"

- name: Rejected traffic of a network interface to CloudWatch Logs
  netsec.aws_peering.vpc_flow_log:
    resource_id: eni-0123456789abcdef0
    log_destination_type: cloud-watch-logs
    log_group_name: /bank/vpc-flow-logs
    deliver_logs_permission_arn: arn:aws:iam::{{ aws_account_id }}:role/vpc-flow-logs
    traffic_type: REJECT
    log_format: "${version} ${interface-id} ${srcaddr} ${dstaddr} ${dstport} ${action} ${reject-reason}"

- name: Remove the flow log of the VPC to that bucket
  netsec.aws_peering.vpc_flow_log:
    state: absent
    resource_id: vpc-0123456789abcdef0
    log_destination: arn:aws:s3:::bank-flow-logs-{{ aws_account_id }}/vpc/
"""

RETURN = r"""
flow_log:
  description:
    - The flow log after the run (the would-be flow log in check mode; then RV(flow_log.flow_log_id)
      is null for a flow log still to be created). Empty for O(state=absent).
  returned: always
  type: dict
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
      description: ARN of the destination (may be null for a log group given by name).
      type: str
      sample: arn:aws:s3:::bank-flow-logs-123456789012
    log_group_name:
      description: Name of the log group (CloudWatch Logs destinations).
      type: str
      sample: /bank/vpc-flow-logs
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
      sample: {"file_format": "plain-text", "hive_compatible_partitions": false, "per_hour_partition": false}
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
flow_log_id:
  description: ID of the flow log (null when absent, or in check mode before creation).
  returned: always
  type: str
  sample: fl-0123456789abcdef0
replaced:
  description: Whether an existing flow log was (or in check mode would be) replaced because an immutable setting differed.
  returned: always
  type: bool
  sample: false
replaced_settings:
  description: The immutable settings that differed and caused the replacement.
  returned: always
  type: list
  elements: str
  sample: ["traffic_type"]
deleted_flow_log_ids:
  description: IDs of the flow logs deleted (or that would be deleted in check mode).
  returned: always
  type: list
  elements: str
  sample: ["fl-0123456789abcdef0"]
aggregation_interval_note:
  description: How O(capture_interval) was mapped to the maximum aggregation interval; null when O(capture_interval) is not given.
  returned: always
  type: str
  sample: capture_interval 300 s mapped to max_aggregation_interval 60 s (AWS accepts 60 or 600 only)
"""

import uuid

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import DEFAULT_DESTINATION_OPTIONS
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import FlowLogError
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import describe_flow_logs
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import destination_key
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import destination_options_to_boto3
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import immutable_differences
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import normalize_flow_log
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import normalize_log_format
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import resolve_aggregation_interval
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import resolve_resource_type
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import validate_destination

DIFF_KEYS = (
    "flow_log_id",
    "resource_id",
    "traffic_type",
    "log_destination_type",
    "log_destination",
    "log_group_name",
    "deliver_logs_permission_arn",
    "max_aggregation_interval",
    "log_format",
    "destination_options",
    "tags",
)

NOT_FOUND_CODES = {
    "VPC": ("InvalidVpcID.NotFound", "describe_vpcs", "VpcIds"),
    "Subnet": ("InvalidSubnetID.NotFound", "describe_subnets", "SubnetIds"),
    "NetworkInterface": ("InvalidNetworkInterfaceID.NotFound", "describe_network_interfaces", "NetworkInterfaceIds"),
}


def diff_view(flow_log):
    if not flow_log:
        return {}
    return {k: flow_log.get(k) for k in DIFF_KEYS}


def validate(module):
    """Validate all input before any AWS request; return the desired settings."""
    params = module.params
    state = params["state"]
    resource_type = resolve_resource_type(params["resource_id"], params["resource_type"])
    # The role is irrelevant for deletion: only the destination identifies the flow log.
    destination = validate_destination(params, require_role=(state == "present"))

    desired = {
        "resource_id": params["resource_id"],
        "resource_type": resource_type,
        "destination": destination,
        "log_destination_type": destination["type"],
        "traffic_type": params["traffic_type"],
        "deliver_logs_permission_arn": destination["role_arn"],
        "note": None,
        "mapped": False,
    }
    if state == "absent":
        return desired

    interval, note, mapped = resolve_aggregation_interval(
        params["max_aggregation_interval"], params["capture_interval"]
    )
    desired["max_aggregation_interval"] = interval
    desired["note"] = note
    desired["mapped"] = mapped
    desired["log_format"] = normalize_log_format(params["log_format"])

    options = params["destination_options"]
    if destination["type"] != "s3":
        if options is not None:
            raise FlowLogError(
                "destination_options %s are only valid with log_destination_type=s3" % (options,)
            )
        desired["destination_options"] = None
        desired["destination_options_given"] = False
    else:
        merged = dict(DEFAULT_DESTINATION_OPTIONS)
        merged.update({k: v for k, v in (options or {}).items() if v is not None})
        desired["destination_options"] = merged
        desired["destination_options_given"] = options is not None
    return desired


def would_be(desired, tags, flow_log_id=None):
    dest = desired["destination"]
    return {
        "flow_log_id": flow_log_id,
        "resource_id": desired["resource_id"],
        "traffic_type": desired["traffic_type"],
        "log_destination_type": dest["type"],
        "log_destination": dest["log_destination"],
        "log_group_name": dest["log_group_name"],
        "deliver_logs_permission_arn": dest["role_arn"],
        "max_aggregation_interval": desired["max_aggregation_interval"],
        "log_format": desired["log_format"],
        "destination_options": desired["destination_options"],
        "tags": tags or {},
        "flow_log_status": "ACTIVE",
        "deliver_logs_status": None,
        "deliver_logs_error_message": None,
        "creation_time": None,
    }


def find_existing(module, client, desired):
    resource_id = desired["resource_id"]
    try:
        flow_logs = describe_flow_logs(client, filters={"resource-id": resource_id})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to describe the flow logs of %s" % resource_id)
    # Filter client-side too: do not rely on the API honouring Filters.
    return [
        fl
        for fl in flow_logs
        if fl.get("ResourceId") == resource_id and destination_key(fl) == desired["destination"]["key"]
    ]


def delete_flow_logs(module, client, flow_log_ids):
    if not flow_log_ids or module.check_mode:
        return
    try:
        client.delete_flow_logs(FlowLogIds=list(flow_log_ids), aws_retry=True)
    except is_boto3_error_code("InvalidFlowLogId.NotFound"):
        # Already gone (deleted concurrently): the desired state holds.
        pass
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to delete flow log(s) %s" % ", ".join(flow_log_ids))


def check_resource_exists(module, client, desired):
    code, method, param = NOT_FOUND_CODES[desired["resource_type"]]
    resource_id = desired["resource_id"]
    try:
        getattr(client, method)(**{param: [resource_id]}, aws_retry=True)
    except is_boto3_error_code(code):
        module.fail_json(msg="resource_id '%s' does not exist (%s)" % (resource_id, desired["resource_type"]))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to look up resource_id %s" % resource_id)


def create_flow_log(module, client, desired, tags, deleted_ids):
    dest = desired["destination"]
    params = {
        "ResourceIds": [desired["resource_id"]],
        "ResourceType": desired["resource_type"],
        "TrafficType": desired["traffic_type"],
        "LogDestinationType": dest["type"],
        "MaxAggregationInterval": desired["max_aggregation_interval"],
        "LogFormat": desired["log_format"],
        "ClientToken": str(uuid.uuid4()),
    }
    if dest["log_destination"] is not None:
        params["LogDestination"] = dest["log_destination"]
    if dest["log_group_name"] is not None:
        params["LogGroupName"] = dest["log_group_name"]
    if dest["role_arn"] is not None:
        params["DeliverLogsPermissionArn"] = dest["role_arn"]
    if desired["destination_options_given"]:
        params["DestinationOptions"] = destination_options_to_boto3(desired["destination_options"])
    if tags:
        params["TagSpecifications"] = boto3_tag_specifications(tags, ["vpc-flow-log"])

    lost = ""
    if deleted_ids:
        lost = " (the previous flow log(s) %s were already deleted)" % ", ".join(deleted_ids)
    try:
        response = client.create_flow_logs(aws_retry=True, **params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(
            e,
            msg="Failed to create the flow log for %s to %s%s"
            % (desired["resource_id"], dest["log_destination"] or dest["log_group_name"], lost),
        )
    unsuccessful = response.get("Unsuccessful") or []
    ids = response.get("FlowLogIds") or []
    if unsuccessful or not ids:
        reasons = "; ".join(
            "%s: %s" % (u.get("ResourceId"), (u.get("Error") or {}).get("Message")) for u in unsuccessful
        )
        module.fail_json(
            msg="CreateFlowLogs refused the flow log for %s to log_destination '%s': %s%s"
            % (
                desired["resource_id"],
                dest["log_destination"] or dest["log_group_name"],
                reasons or "no flow log id returned",
                lost,
            ),
            unsuccessful=unsuccessful,
        )
    return ids[0]


def update_tags(module, client, flow_log_id, current, tags, purge_tags):
    """Return (changed, final tags)."""
    if tags is None:
        return False, current
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags=purge_tags)
    if not to_set and not to_unset:
        return False, current
    final = {k: v for k, v in current.items() if k not in to_unset}
    final.update({k: str(v) for k, v in to_set.items()})
    if module.check_mode:
        return True, final
    try:
        if to_unset:
            client.delete_tags(Resources=[flow_log_id], Tags=[{"Key": k} for k in to_unset], aws_retry=True)
        if to_set:
            client.create_tags(Resources=[flow_log_id], Tags=ansible_dict_to_boto3_tag_list(to_set), aws_retry=True)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to update the tags of flow log %s" % flow_log_id)
    return True, final


def describe_one(module, client, flow_log_id):
    try:
        found = describe_flow_logs(client, flow_log_ids=[flow_log_id])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to describe flow log %s" % flow_log_id)
    found = [fl for fl in found if fl.get("FlowLogId") == flow_log_id]
    return normalize_flow_log(found[0]) if found else None


def ensure_absent(module, client, desired):
    existing = find_existing(module, client, desired)
    ids = [fl["FlowLogId"] for fl in existing]
    delete_flow_logs(module, client, ids)
    result = dict(
        changed=bool(ids),
        flow_log={},
        flow_log_id=None,
        replaced=False,
        replaced_settings=[],
        deleted_flow_log_ids=ids,
        aggregation_interval_note=None,
    )
    if module._diff:
        result["diff"] = {"before": diff_view(normalize_flow_log(existing[0])) if existing else {}, "after": {}}
    return result


def ensure_present(module, client, desired):
    params = module.params
    existing = find_existing(module, client, desired)

    keep = None
    differences = []
    for fl in existing:
        diffs = immutable_differences(fl, desired)
        if not diffs:
            keep = fl
            break
        if not differences:
            differences = diffs
    before = normalize_flow_log(keep or existing[0]) if existing else {}

    changed = False
    replaced = False
    if keep is not None:
        to_delete = [fl["FlowLogId"] for fl in existing if fl is not keep]
        delete_flow_logs(module, client, to_delete)
        current = normalize_flow_log(keep)
        tags_changed, final_tags = update_tags(
            module, client, keep["FlowLogId"], current["tags"], params["tags"], params["purge_tags"]
        )
        changed = bool(to_delete) or tags_changed
        if module.check_mode or not changed:
            after = dict(current, tags=final_tags)
        else:
            after = describe_one(module, client, keep["FlowLogId"]) or dict(current, tags=final_tags)
        differences = []
    else:
        to_delete = [fl["FlowLogId"] for fl in existing]
        replaced = bool(existing)
        if params["tags"] is None:
            final_tags = before.get("tags", {}) if existing else {}
        elif existing and not params["purge_tags"]:
            final_tags = dict(before.get("tags", {}))
            final_tags.update({k: str(v) for k, v in params["tags"].items()})
        else:
            final_tags = {k: str(v) for k, v in params["tags"].items()}
        if not existing:
            check_resource_exists(module, client, desired)
        changed = True
        if module.check_mode:
            after = would_be(desired, final_tags)
        else:
            delete_flow_logs(module, client, to_delete)
            new_id = create_flow_log(module, client, desired, final_tags, to_delete)
            after = describe_one(module, client, new_id) or would_be(desired, final_tags, new_id)

    if desired["mapped"]:
        module.warn(desired["note"])

    result = dict(
        changed=changed,
        flow_log=after,
        flow_log_id=after.get("flow_log_id"),
        replaced=replaced,
        replaced_settings=differences if replaced else [],
        deleted_flow_log_ids=to_delete,
        aggregation_interval_note=desired["note"],
    )
    if module._diff:
        result["diff"] = {"before": diff_view(before), "after": diff_view(after)}
    return result


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        resource_id=dict(type="str", required=True),
        resource_type=dict(type="str", choices=["VPC", "Subnet", "NetworkInterface"]),
        traffic_type=dict(type="str", default="ALL", choices=["ALL", "ACCEPT", "REJECT"]),
        log_destination_type=dict(type="str", default="s3", choices=["s3", "cloud-watch-logs"]),
        log_destination=dict(type="str"),
        log_group_name=dict(type="str"),
        deliver_logs_permission_arn=dict(type="str"),
        max_aggregation_interval=dict(type="int"),
        capture_interval=dict(type="int"),
        log_format=dict(type="str"),
        destination_options=dict(
            type="dict",
            options=dict(
                file_format=dict(type="str", default="plain-text", choices=["plain-text", "parquet"]),
                hive_compatible_partitions=dict(type="bool", default=False),
                per_hour_partition=dict(type="bool", default=False),
            ),
        ),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[
            ("max_aggregation_interval", "capture_interval"),
            ("log_destination", "log_group_name"),
        ],
    )

    try:
        desired = validate(module)
    except FlowLogError as e:
        module.fail_json(msg=str(e))

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    if module.params["state"] == "absent":
        result = ensure_absent(module, client, desired)
    else:
        result = ensure_present(module, client, desired)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
