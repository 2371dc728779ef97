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
  - The decisions come from C(plan_flow_log) of the collection's C(flow_logs) module utilities, the
    function the flow logs stage also runs on the controller (from C(netsec.aws_peering.site_info)'s
    C(state.flow_logs)) to decide whether this module must run at all.
  - Kill-safe, the flow log is created with its tags (tag on create) and with a C(ClientToken)
    derived from the resource, the destination and the settings, so a run killed after AWS accepted
    the request cannot lead the next run to create a second flow log. When AWS answers that token with
    a flow log deleted since (a token is remembered for a while), the module creates it again with a
    new token.
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
  require_owner_tag:
    description:
      - Refuse to replace or delete a flow log of O(resource_id) to the destination that does not carry
        the tag C(ManagedBy=netsec.aws_peering) (a flow log someone else created); the module then fails
        naming it. With V(false) such a flow log is adopted (its tags are set) or replaced.
    type: bool
    default: false
notes:
  - Supports check mode and diff mode; both show the planned changes.
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
      sample: arn:aws:s3:::bank-flow-logs-ACCOUNT_ID
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
changes:
  description:
    - The changes made (in check mode, that would be made), each with C(resource), C(action) (C(create),
      C(update), C(delete)), C(field) (C(flow_log) or C(tags)), C(before), C(after) and C(id) (the flow log).
  returned: always
  type: list
  elements: dict
flow_logs:
  description:
    - Every flow log of O(resource_id) after the run (in check mode, as it would be), in the shape of
      C(DescribeFlowLogs) and of C(netsec.aws_peering.site_info)'s C(state.flow_logs).
  returned: always
  type: list
  elements: dict
"""

try:
    import botocore
    from botocore.waiter import WaiterModel
    from botocore.waiter import create_waiter_with_client
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import paginate
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import FlowLogError
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import client_token
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import flow_log_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import matching_flow_logs
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import normalize_flow_log
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import plan_flow_log
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import project_flow_logs

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
# A just created flow log may take a moment to be listed (eventual consistency): looked for up to
# 3 times, 2 s apart, before AWS's answer is taken for a stale token. No stock waiter covers it.
FLOW_LOG_EXISTS = {"version": 2, "waiters": {"FlowLogExists": {
    "operation": "DescribeFlowLogs", "delay": 2, "maxAttempts": 3,
    "acceptors": [{"matcher": "path", "argument": "length(FlowLogs[]) > `0`", "expected": True, "state": "success"}]}}}


def diff_view(flow_log):
    if not flow_log:
        return {}
    return {k: flow_log.get(k) for k in DIFF_KEYS}


def describe(module, ec2, resource_id):
    """Every flow log of the resource (filtered again here: the API may ignore Filters)."""
    try:
        found = paginate(f"the flow logs of {resource_id}", ec2, "describe_flow_logs", "FlowLogs",
                         Filters=[{"Name": "resource-id", "Values": [resource_id]}])
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg="Failed to describe the flow logs of %s" % resource_id)
    return [fl for fl in found if fl.get("ResourceId") == resource_id]


def check_resource_exists(module, ec2, desired):
    code, method, param = NOT_FOUND_CODES[desired["resource_type"]]
    resource_id = desired["resource_id"]
    try:
        RETRY(getattr(ec2, method))(**{param: [resource_id]})
    except is_boto3_error_code(code):
        module.fail_json(msg="resource_id '%s' does not exist (%s)" % (resource_id, desired["resource_type"]))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Failed to look up resource_id %s" % resource_id)


class Executor:
    """Carries out the planned changes: deletions first (AWS refuses two flow logs to one destination), then tags, then the creation."""

    def __init__(self, module, ec2, desired):
        self.module, self.ec2, self.desired = module, ec2, desired
        self.done = []

    def call(self, what, method, **params):
        try:
            return RETRY(method)(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=what, changes=self.done)

    def run(self, changes):
        deletions = [c for c in changes if c["action"] == "delete"]
        if deletions:
            ids = [c["id"] for c in deletions]
            try:
                RETRY(self.ec2.delete_flow_logs)(FlowLogIds=ids)
            except is_boto3_error_code("InvalidFlowLogId.NotFound"):
                pass  # already gone (deleted concurrently): the desired state holds
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg="Failed to delete flow log(s) %s" % ", ".join(ids), changes=self.done)
            self.done.extend(deletions)
        for item in changes:
            if item["action"] == "update":
                self.retag(item)
            elif item["action"] == "create":
                item["id"] = self.create(item, [c["id"] for c in deletions])
            else:
                continue
            self.done.append(item)

    def retag(self, item):
        before, after = item["before"], item["after"]
        removed = [key for key in before if key not in after]
        added = [{"Key": k, "Value": v} for k, v in sorted(after.items()) if before.get(k) != v]
        if removed:
            self.call("Failed to update the tags of flow log %s" % item["id"], self.ec2.delete_tags,
                      Resources=[item["id"]], Tags=[{"Key": k} for k in removed])
        if added:
            self.call("Failed to update the tags of flow log %s" % item["id"], self.ec2.create_tags, Resources=[item["id"]], Tags=added)

    def create(self, item, deleted_ids):
        request = item["request"]
        flow_log_id = self.create_once(request, client_token(request), deleted_ids)
        if self.exists(flow_log_id):
            return flow_log_id
        # AWS answered the token with a flow log deleted since (it remembers tokens a while): once more, with a new token.
        stale = flow_log_id
        flow_log_id = self.create_once(request, client_token(request, stale), deleted_ids)
        if not self.exists(flow_log_id):
            self.module.fail_json(msg="CreateFlowLogs answered %s, then %s, for %s, but no such flow log exists"
                                  % (stale, flow_log_id, self.desired["resource_id"]), changes=self.done)
        return flow_log_id

    def exists(self, flow_log_id):
        if any(fl.get("FlowLogId") == flow_log_id for fl in describe(self.module, self.ec2, self.desired["resource_id"])):
            return True
        waiter = create_waiter_with_client("FlowLogExists", WaiterModel(FLOW_LOG_EXISTS), self.ec2)
        try:
            waiter.wait(FlowLogIds=[flow_log_id])
        except botocore.exceptions.WaiterError:
            return False
        return True

    def create_once(self, request, token, deleted_ids):
        dest = self.desired["destination"]
        lost = " (the previous flow log(s) %s were already deleted)" % ", ".join(deleted_ids) if deleted_ids else ""
        try:
            response = RETRY(self.ec2.create_flow_logs)(ClientToken=token, **request)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg="Failed to create the flow log for %s to %s%s"
                                      % (self.desired["resource_id"], dest["log_destination"] or dest["log_group_name"], lost),
                                      changes=self.done)
        unsuccessful = response.get("Unsuccessful") or []
        ids = response.get("FlowLogIds") or []
        if unsuccessful or not ids:
            reasons = "; ".join("%s: %s" % (u.get("ResourceId"), (u.get("Error") or {}).get("Message")) for u in unsuccessful)
            self.module.fail_json(
                msg="CreateFlowLogs refused the flow log for %s to log_destination '%s': %s%s"
                % (self.desired["resource_id"], dest["log_destination"] or dest["log_group_name"], reasons or "no flow log id returned", lost),
                unsuccessful=unsuccessful, changes=self.done)
        return ids[0]


def result_of(module, desired, before_logs, after_logs, changes):
    """The module's result: the flow log to the destination after the run, what was deleted and replaced."""
    before = matching_flow_logs(before_logs, desired)
    after = matching_flow_logs(after_logs, desired)
    created = next((c for c in changes if c["action"] == "create"), None)
    if created is not None and created.get("id"):
        after = [fl for fl in after if fl.get("FlowLogId") == created["id"]] or after
    kept = normalize_flow_log(after[0]) if after and desired["state"] == "present" else {}
    kept_before = next((fl for fl in before if after and fl.get("FlowLogId") == after[0].get("FlowLogId")), None)
    replaced = bool(created and created["before"] is not None)
    result = dict(
        changed=bool(changes),
        changes=changes,
        flow_logs=after_logs,
        flow_log=kept,
        flow_log_id=kept.get("flow_log_id"),
        replaced=replaced,
        replaced_settings=list(created["replaces"]) if replaced else [],
        deleted_flow_log_ids=[c["id"] for c in changes if c["action"] == "delete"],
        aggregation_interval_note=desired["note"],
    )
    if module._diff:
        shown_before = kept_before or (before[0] if before else None)
        result["diff"] = {"before": diff_view(normalize_flow_log(shown_before)) if shown_before else {}, "after": diff_view(kept)}
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
        require_owner_tag=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[
            ("max_aggregation_interval", "capture_interval"),
            ("log_destination", "log_group_name"),
        ],
    )
    params = {name: module.params[name] for name in argument_spec}
    try:
        desired = flow_log_desired(params)
    except FlowLogError as e:
        module.fail_json(msg=str(e))

    ec2 = module.client("ec2")
    current = describe(module, ec2, desired["resource_id"])
    try:
        changes = plan_flow_log(current, params)
    except FlowLogError as e:
        module.fail_json(msg=str(e), changes=[])
    if any(c["action"] == "create" for c in changes) and not matching_flow_logs(current, desired):
        check_resource_exists(module, ec2, desired)
    if changes and not module.check_mode:
        executor = Executor(module, ec2, desired)
        executor.run(changes)
        after = describe(module, ec2, desired["resource_id"])
    else:
        after = project_flow_logs(current, changes)
    if desired["mapped"]:
        module.warn(desired["note"])
    module.exit_json(**result_of(module, desired, current, after, changes))


if __name__ == "__main__":
    main()
