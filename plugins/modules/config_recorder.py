#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_recorder
short_description: Ensure AWS Config records in an account and region, reusing an existing recorder
version_added: 0.1.0
description:
  - Ensures the AWS Config configuration recorder, its delivery channel and the recording state
    of one account and region.
  - Fills a gap in C(community.aws.config_recorder), which is never idempotent (it compares the raw
    C(DescribeConfigurationRecorders) reply with the request), has no check mode and cannot reuse
    a recorder that already exists under another name.
  - AWS allows exactly B(one) customer-managed configuration recorder and one delivery channel per
    account and region. If one already exists under a different name it is B(reused) (adopted
    untouched) when O(reuse_existing=true); with O(reuse_existing=false) the module fails and
    names the existing recorder or channel.
  - Only the fields this module manages are compared, after normalisation; keys that AWS adds to
    the reply (C(recordingStrategy), C(exclusionByResourceTypes), C(recordingMode), C(arn), ...) are
    ignored, so a second run reports no change. When our own recorder is updated, an existing
    C(recordingMode) is carried over unchanged.
  - Service-linked configuration recorders (created by other AWS services) are ignored.
  - A reused recorder must record the resource types of O(required_resource_types) (all supported types,
    or at least these); otherwise the module fails naming the missing types before any change. Its
    recording state is its owner's, a stopped reused recorder is reported (RV(notes)) and started only
    with O(start_reused=true).
  - The decisions come from C(plan_recorder) of the collection's C(config) module utilities, the function
    the compliance stage also runs on the controller (from C(netsec.aws_peering.site_info)'s
    C(state.config)) to decide whether this module must run at all.
  - Input is validated before anything is written.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  state:
    description:
      - V(present) ensures the recorder, the delivery channel and the recording state.
      - V(absent) stops and deletes the recorder only if its name equals O(name), and deletes the
        delivery channel only if its name equals O(delivery_channel.name) (default O(name)). A reused
        recorder or channel is never deleted.
    type: str
    choices: [present, absent]
    default: present
  name:
    description:
      - Name of our configuration recorder. Used when creating it, and to decide what is ours
        (updated when present, deleted when absent).
      - An existing recorder with another name is reused and keeps its name.
    type: str
    required: true
  role_arn:
    description:
      - ARN of the IAM role AWS Config assumes (it should carry
        C(arn:aws:iam::aws:policy/service-role/AWS_ConfigRole)).
      - Required when the recorder has to be created. When omitted, the role of our existing
        recorder is kept. Ignored for a reused recorder.
    type: str
  recording_group:
    description:
      - What the recorder records. When omitted, all supported resource types without global
        resource types. Ignored for a reused recorder.
    type: dict
    suboptions:
      all_supported:
        description:
          - Record every supported regional resource type.
          - Defaults to V(true), or to V(false) when O(recording_group.resource_types) is set.
        type: bool
      include_global_resource_types:
        description:
          - Also record global resource types (IAM). Requires O(recording_group.all_supported=true).
        type: bool
        default: false
      resource_types:
        description:
          - Record only these resource types, for example V(AWS::EC2::VPC).
            Cannot be combined with O(recording_group.all_supported=true).
        type: list
        elements: str
  reuse_existing:
    description:
      - When a recorder (or delivery channel) with a different name already exists, adopt it and
        leave its name, role, recording group (or its settings) untouched; the result says
        RV(reused=true) (or RV(delivery_channel_reused=true)).
      - With V(false), fail naming the existing recorder or channel instead.
    type: bool
    default: true
  delivery_channel:
    description:
      - The delivery channel (where AWS Config delivers configuration snapshots and history).
      - When omitted, an existing channel is left untouched; if none exists and O(recording=true),
        the module fails (AWS refuses to start a recorder without a channel).
      - The whole channel is replaced when it changes, so an omitted O(delivery_channel.s3_key_prefix),
        O(delivery_channel.sns_topic_arn) or O(delivery_channel.s3_kms_key_arn) is removed.
    type: dict
    suboptions:
      name:
        description:
          - Name of our delivery channel. Defaults to O(name). An existing channel with another
            name is reused (see O(reuse_existing)).
        type: str
      s3_bucket_name:
        description:
          - The S3 bucket AWS Config delivers to. The bucket policy must allow AWS Config.
        type: str
        required: true
      s3_key_prefix:
        description:
          - Key prefix inside the bucket.
        type: str
      s3_kms_key_arn:
        description:
          - ARN of the KMS key (not of an alias) used to encrypt the delivered objects, in the Region of the bucket.
        type: str
      sns_topic_arn:
        description:
          - SNS topic that receives AWS Config notifications.
        type: str
      delivery_frequency:
        description:
          - How often configuration snapshots are delivered.
          - When omitted, the current value is kept (AWS then applies its own default).
        type: str
        choices: [One_Hour, Three_Hours, Six_Hours, Twelve_Hours, TwentyFour_Hours]
  recording:
    description:
      - Whether the recorder should be recording (C(StartConfigurationRecorder) or
        C(StopConfigurationRecorder) as needed, compared with
        C(DescribeConfigurationRecorderStatus)). Applies to a reused recorder only with O(start_reused=true).
    type: bool
    default: true
  start_reused:
    description:
      - Apply O(recording) to a reused recorder too (start someone else's stopped recorder). With V(false)
        a stopped reused recorder is left stopped and reported in RV(notes).
    type: bool
    default: false
  required_resource_types:
    description:
      - Resource types the recorder in use must record (those the rules evaluate, for example
        V(AWS::EC2::SecurityGroup)). A reused recorder that records neither all supported types nor these
        fails the module before any change, naming the missing ones. Our own recorder records what
        O(recording_group) says.
    type: list
    elements: str
    default: []
notes:
  - Check mode is supported; nothing is written and the would-be result is returned.
  - Diff mode is supported.
  - AWS refuses C(PutDeliveryChannel) without a recorder and C(StartConfigurationRecorder) without a
    channel; the module orders the calls accordingly (recorder, channel, start).
  - With O(state=absent), when the recorder is reused but the delivery channel is ours, the reused recorder is
    stopped (never deleted) and our channel deleted, because AWS refuses to delete the channel of a recording
    recorder and a channel must not outlive its bucket; RV(notes) says so.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Ensure AWS Config records everything in this account and region
  netsec.aws_peering.config_recorder:
    name: netsec-config
    role_arn: "arn:aws:iam::{{ aws_account_id }}:role/netsec-config"
    recording_group:
      all_supported: true
      include_global_resource_types: true
    delivery_channel:
      s3_bucket_name: netsec-config-{{ aws_account_id }}
      s3_key_prefix: config
      delivery_frequency: TwentyFour_Hours
  register: config

- name: Fail instead of adopting a recorder created by someone else
  netsec.aws_peering.config_recorder:
    name: netsec-config
    role_arn: "arn:aws:iam::{{ aws_account_id }}:role/netsec-config"
    reuse_existing: false
    delivery_channel:
      s3_bucket_name: netsec-config-{{ aws_account_id }}

- name: Record only network resources
  netsec.aws_peering.config_recorder:
    name: netsec-config
    role_arn: "arn:aws:iam::{{ aws_account_id }}:role/netsec-config"
    recording_group:
      resource_types:
        - AWS::EC2::VPC
        - AWS::EC2::VPCPeeringConnection
        - AWS::EC2::SecurityGroup
        - AWS::EC2::NetworkAcl

- name: Pause recording
  netsec.aws_peering.config_recorder:
    name: netsec-config
    recording: false

- name: Remove our recorder and channel (a reused one is left alone)
  netsec.aws_peering.config_recorder:
    name: netsec-config
    state: absent
"""

RETURN = r"""
recorder:
  description: The configuration recorder in use (ours or the reused one); null when none exists.
  returned: always
  type: dict
  contains:
    name:
      description: Recorder name.
      type: str
      sample: netsec-config
    role_arn:
      description: IAM role ARN used by AWS Config.
      type: str
      sample: arn:aws:iam::ACCOUNT_ID:role/netsec-config
    recording_group:
      description: What is recorded.
      type: dict
      sample: {"all_supported": true, "include_global_resource_types": false, "resource_types": []}
delivery_channel:
  description: The delivery channel in use (ours or the reused one); null when none exists.
  returned: always
  type: dict
  contains:
    name:
      description: Channel name.
      type: str
    s3_bucket_name:
      description: Target bucket.
      type: str
    s3_key_prefix:
      description: Key prefix, or null.
      type: str
    s3_kms_key_arn:
      description: KMS key ARN, or null.
      type: str
    sns_topic_arn:
      description: SNS topic ARN, or null.
      type: str
    delivery_frequency:
      description: Snapshot delivery frequency, or null when AWS's default applies.
      type: str
  sample:
    name: netsec-config
    s3_bucket_name: netsec-config-ACCOUNT_ID
    s3_key_prefix: config
    s3_kms_key_arn: null
    sns_topic_arn: null
    delivery_frequency: TwentyFour_Hours
recording:
  description: Whether the recorder is (or in check mode would be) recording.
  returned: always
  type: bool
  sample: true
reused:
  description: Whether an existing recorder with a different name was adopted instead of ours.
  returned: always
  type: bool
  sample: false
delivery_channel_reused:
  description: Whether an existing delivery channel with a different name was adopted.
  returned: always
  type: bool
  sample: false
changes:
  description:
    - The changes made (in check mode, that would be made), each with C(resource)
      (C(config_recorder <name>) or C(config_delivery_channel <name>)), C(action), C(field)
      (C(recorder), C(delivery_channel) or C(recording)), C(before) and C(after).
  returned: always
  type: list
  elements: dict
notes:
  description: What the module left alone on purpose, for example a stopped reused recorder.
  returned: always
  type: list
  elements: str
config:
  description:
    - The recorders, their status and the delivery channels after the run (in check mode, as they would be),
      in the shape of C(netsec.aws_peering.site_info)'s C(state.config) (C(recorders), C(recorder_status),
      C(delivery_channels)).
  returned: always
  type: dict
diff:
  description: Before and after state (recorder, delivery_channel, recording), when diff mode is on.
  returned: when diff mode is on
  type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.config import ConfigValidationError
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import FREQUENCIES
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import customer_recorders
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import is_recording
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import normalise_delivery_channel
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import normalise_recorder
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import plan_recorder
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import project_recording
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import recorder_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import AWS_ERRORS
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_recording


def argument_spec():
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        name=dict(type="str", required=True),
        role_arn=dict(type="str"),
        recording_group=dict(
            type="dict",
            options=dict(
                all_supported=dict(type="bool"),
                include_global_resource_types=dict(type="bool", default=False),
                resource_types=dict(type="list", elements="str"),
            ),
        ),
        reuse_existing=dict(type="bool", default=True),
        delivery_channel=dict(
            type="dict",
            options=dict(
                name=dict(type="str"),
                s3_bucket_name=dict(type="str", required=True),
                s3_key_prefix=dict(type="str", no_log=False),
                s3_kms_key_arn=dict(type="str", no_log=False),
                sns_topic_arn=dict(type="str"),
                delivery_frequency=dict(type="str", choices=list(FREQUENCIES)),
            ),
        ),
        recording=dict(type="bool", default=True),
        start_reused=dict(type="bool", default=False),
        required_resource_types=dict(type="list", elements="str", default=[]),
    )


def read(module, client):
    try:
        return describe_recording(client)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg="Could not describe %s" % e.what)


def in_use(state, plan, desired):
    """The recorder, channel and recording state in use in ``state`` (ours, or the reused ones)."""
    recorders = customer_recorders(state)
    name = (plan["recorder"] or {}).get("name") or desired["name"]
    recorder = next((r for r in recorders if r.get("name") == name), None)
    channels = state.get("delivery_channels") or []
    channel_name = (plan["delivery_channel"] or {}).get("name")
    channel = next((c for c in channels if c.get("name") == channel_name), None)
    if desired["state"] == "absent":
        # Ours while it exists, else the one that stays.
        recorder = next((r for r in recorders if r.get("name") == desired["name"]), None) or next(iter(recorders), None)
        channel_name = (desired["channel"] or {}).get("name") or desired["name"]
        channel = next((c for c in channels if c.get("name") == channel_name), None) or next(iter(channels), None)
    return {"recorder": normalise_recorder(recorder), "delivery_channel": normalise_delivery_channel(channel),
            "recording": is_recording(state, recorder["name"]) if recorder else False}


class Executor:
    """Makes the planned changes in the order AWS requires (recorder, channel, start; stop, delete recorder, delete channel)."""

    def __init__(self, module, client):
        self.module, self.client = module, client
        self.done = []

    def call(self, what, operation, **params):
        try:
            RETRY(getattr(self.client, operation))(**params)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not %s" % what, changes=self.done)

    def run(self, changes):
        for item in changes:
            name = item["resource"].split(" ", 1)[1]
            if item["field"] == "recorder" and item["action"] == "delete":
                self.call("delete configuration recorder %r" % name, "delete_configuration_recorder", ConfigurationRecorderName=name)
            elif item["field"] == "recorder":
                self.call("put configuration recorder %r" % name, "put_configuration_recorder", ConfigurationRecorder=item["request"])
            elif item["field"] == "delivery_channel" and item["action"] == "delete":
                self.call("delete delivery channel %r" % name, "delete_delivery_channel", DeliveryChannelName=name)
            elif item["field"] == "delivery_channel":
                self.call("put delivery channel %r" % name, "put_delivery_channel", DeliveryChannel=item["request"])
            elif item["after"]:
                self.call("start configuration recorder %r" % name, "start_configuration_recorder", ConfigurationRecorderName=name)
            else:
                self.call("stop configuration recorder %r" % name, "stop_configuration_recorder", ConfigurationRecorderName=name)
            self.done.append(item)


def main():
    spec = argument_spec()
    module = AnsibleAWSModule(argument_spec=spec, supports_check_mode=True)
    params = {name: module.params[name] for name in spec}
    try:
        desired = recorder_desired(params)
    except ConfigValidationError as e:
        module.fail_json(msg=str(e))
    client = module.client("config")
    current = read(module, client)
    try:
        plan = plan_recorder(current, params)
    except ConfigValidationError as e:
        module.fail_json(msg=str(e), changes=[])
    changes = plan["changes"]
    if changes and not module.check_mode:
        Executor(module, client).run(changes)
        after = read(module, client)
    else:
        after = project_recording(current, changes)
    for note in plan["notes"]:
        module.warn(note)
    now = in_use(after, plan, desired)
    result = dict(changed=bool(changes), changes=changes, notes=plan["notes"], config=after, reused=plan["reused"],
                  delivery_channel_reused=plan["channel_reused"], **now)
    if module._diff:
        result["diff"] = {"before": in_use(current, plan, desired), "after": now}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
