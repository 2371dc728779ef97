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
          - KMS key used to encrypt the delivered objects.
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
        C(DescribeConfigurationRecorderStatus)). Applies to a reused recorder as well.
    type: bool
    default: true
notes:
  - Check mode is supported; nothing is written and the would-be result is returned.
  - Diff mode is supported.
  - AWS refuses C(PutDeliveryChannel) without a recorder and C(StartConfigurationRecorder) without a
    channel; the module orders the calls accordingly (recorder, channel, start).
  - With O(state=absent), a delivery channel of ours is kept (with a warning) while a reused
    recorder is still recording, because AWS refuses to delete the last channel then.
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
      sample: arn:aws:iam::123456789012:role/netsec-config
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
    s3_bucket_name: netsec-config-123456789012
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
diff:
  description: Before and after state (recorder, delivery_channel, recording), when diff mode is on.
  returned: when diff mode is on
  type: dict
"""

import copy

try:
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS = (BotoCoreError, ClientError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.config import (
    FREQUENCIES,
    RECORDER_NAME_MAX,
    ROLE_ARN_RE,
    ConfigValidationError,
    delivery_channel_to_boto,
    desired_recording_group,
    is_service_linked_recorder,
    normalise_delivery_channel,
    normalise_recorder,
    recording_group_to_boto,
    validate_delivery_channel,
)


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
    )


def validate(module):
    """Validate all input; return (recording_group, channel) in normalised form."""
    params = module.params
    name = params["name"]
    if not name or not name.strip() or len(name) > RECORDER_NAME_MAX:
        module.fail_json(msg="name: %r must be 1-%d characters and not blank" % (name, RECORDER_NAME_MAX))
    role_arn = params.get("role_arn")
    if role_arn is not None and not ROLE_ARN_RE.match(role_arn):
        module.fail_json(msg="role_arn: %r is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)" % role_arn)
    try:
        group = desired_recording_group(params.get("recording_group"))
        channel = validate_delivery_channel(params.get("delivery_channel"), name)
    except ConfigValidationError as e:
        module.fail_json(msg=str(e))
    return group, channel


class ConfigRecorderManager:
    def __init__(self, module):
        self.module = module
        self.client = module.client("config", retry_decorator=AWSRetry.jittered_backoff())
        self.changed = False
        self.name = module.params["name"]

    # -- reads ---------------------------------------------------------------
    def describe(self):
        try:
            recorders = self.client.describe_configuration_recorders(aws_retry=True).get("ConfigurationRecorders", [])
            channels = self.client.describe_delivery_channels(aws_retry=True).get("DeliveryChannels", [])
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not describe AWS Config recorders and delivery channels")
        recorders = [r for r in recorders if not is_service_linked_recorder(r)]
        return recorders, channels

    def recording_status(self, recorder_name):
        try:
            statuses = self.client.describe_configuration_recorder_status(
                aws_retry=True, ConfigurationRecorderNames=[recorder_name]
            ).get("ConfigurationRecordersStatus", [])
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not read the status of configuration recorder %r" % recorder_name)
        return bool(statuses and statuses[0].get("recording"))

    # -- writes --------------------------------------------------------------
    def call(self, what, method, **kwargs):
        self.changed = True
        if self.module.check_mode:
            return
        try:
            getattr(self.client, method)(aws_retry=True, **kwargs)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg="Could not %s" % what)

    # -- state ---------------------------------------------------------------
    def present(self, desired_group, desired_channel):
        params = self.module.params
        recorders, channels = self.describe()

        ours = next((r for r in recorders if r.get("name") == self.name), None)
        other = next((r for r in recorders if r.get("name") != self.name), None)
        reused = False
        before_recorder = normalise_recorder(ours or other)
        before_recording = self.recording_status((ours or other)["name"]) if (ours or other) else False

        # Recorder --------------------------------------------------------
        recorder_request = None
        if ours:
            current = normalise_recorder(ours)
            after_recorder = {
                "name": self.name,
                "role_arn": params.get("role_arn") or current["role_arn"],
                "recording_group": copy.deepcopy(desired_group),
            }
            # An exclusion list (set outside this module) shows up in current
            # only, so it makes the two differ and is replaced.
            if after_recorder != current:
                recorder_request = {
                    "name": self.name,
                    "roleARN": after_recorder["role_arn"],
                    "recordingGroup": recording_group_to_boto(desired_group),
                }
                if ours.get("recordingMode"):
                    recorder_request["recordingMode"] = ours["recordingMode"]
        elif other:
            if not params["reuse_existing"]:
                self.module.fail_json(
                    msg="A configuration recorder named %r already exists in %s (AWS allows one per account and "
                    "region) and reuse_existing=false; set reuse_existing=true to adopt it or name=%r to manage it"
                    % (other["name"], self.module.region, other["name"]),
                    existing_recorder=normalise_recorder(other),
                )
            reused = True
            after_recorder = normalise_recorder(other)
        else:
            if not params.get("role_arn"):
                self.module.fail_json(
                    msg="role_arn is required to create configuration recorder %r (none exists in %s)"
                    % (self.name, self.module.region)
                )
            after_recorder = {"name": self.name, "role_arn": params["role_arn"], "recording_group": desired_group}
            recorder_request = {
                "name": self.name,
                "roleARN": params["role_arn"],
                "recordingGroup": recording_group_to_boto(desired_group),
            }
        recorder_name = after_recorder["name"]

        # Delivery channel ------------------------------------------------
        channel_name = desired_channel["name"] if desired_channel else self.name
        our_channel = next((c for c in channels if c.get("name") == channel_name), None)
        other_channel = next((c for c in channels if c.get("name") != channel_name), None)
        before_channel = normalise_delivery_channel(our_channel or other_channel)
        channel_reused = False
        channel_request = None
        if desired_channel is None:
            after_channel = before_channel
            channel_reused = bool(other_channel and not our_channel)
        elif our_channel:
            after_channel = dict(desired_channel)
            if after_channel["delivery_frequency"] is None:
                after_channel["delivery_frequency"] = before_channel["delivery_frequency"]
            if after_channel != before_channel:
                channel_request = delivery_channel_to_boto(after_channel)
        elif other_channel:
            if not params["reuse_existing"]:
                self.module.fail_json(
                    msg="A delivery channel named %r already exists in %s (AWS allows one per account and region) "
                    "and reuse_existing=false; set reuse_existing=true to adopt it or delivery_channel.name=%r to "
                    "manage it" % (other_channel["name"], self.module.region, other_channel["name"]),
                    existing_delivery_channel=before_channel,
                )
            channel_reused = True
            after_channel = before_channel
        else:
            after_channel = dict(desired_channel)
            channel_request = delivery_channel_to_boto(after_channel)

        desired_recording = params["recording"]
        if desired_recording and after_channel is None:
            self.module.fail_json(
                msg="recording=true but no delivery channel exists in %s and delivery_channel is not set; AWS "
                "refuses to start recorder %r without one" % (self.module.region, recorder_name)
            )

        # Writes, in the order AWS requires -------------------------------
        if recorder_request:
            self.call(
                "put configuration recorder %r" % recorder_name,
                "put_configuration_recorder",
                ConfigurationRecorder=recorder_request,
            )
        if channel_request:
            self.call(
                "put delivery channel %r" % channel_request["name"],
                "put_delivery_channel",
                DeliveryChannel=channel_request,
            )
        if desired_recording and not before_recording:
            self.call(
                "start configuration recorder %r" % recorder_name,
                "start_configuration_recorder",
                ConfigurationRecorderName=recorder_name,
            )
        elif not desired_recording and before_recording:
            self.call(
                "stop configuration recorder %r" % recorder_name,
                "stop_configuration_recorder",
                ConfigurationRecorderName=recorder_name,
            )

        if not self.module.check_mode and self.changed:
            recorders, channels = self.describe()
            live = next((r for r in recorders if r.get("name") == recorder_name), None)
            after_recorder = normalise_recorder(live)
            live_channel = next((c for c in channels if c.get("name") == after_channel["name"]), None) if after_channel else None
            after_channel = normalise_delivery_channel(live_channel)
            after_recording = self.recording_status(recorder_name)
        else:
            after_recording = desired_recording

        before = {"recorder": before_recorder, "delivery_channel": before_channel, "recording": before_recording}
        after = {"recorder": after_recorder, "delivery_channel": after_channel, "recording": after_recording}
        return dict(
            changed=self.changed,
            recorder=after_recorder,
            delivery_channel=after_channel,
            recording=after_recording,
            reused=reused,
            delivery_channel_reused=channel_reused,
        ), before, after

    def absent(self, desired_channel):
        recorders, channels = self.describe()
        ours = next((r for r in recorders if r.get("name") == self.name), None)
        other = next((r for r in recorders if r.get("name") != self.name), None)
        channel_name = desired_channel["name"] if desired_channel else self.name
        our_channel = next((c for c in channels if c.get("name") == channel_name), None)
        other_channel = next((c for c in channels if c.get("name") != channel_name), None)

        recorder_before = ours or other
        before_recording = self.recording_status(recorder_before["name"]) if recorder_before else False
        before = {
            "recorder": normalise_recorder(recorder_before),
            "delivery_channel": normalise_delivery_channel(our_channel or other_channel),
            "recording": before_recording,
        }

        after_recorder = normalise_recorder(other)
        after_recording = self.recording_status(other["name"]) if other else False
        if ours:
            if before_recording:
                self.call(
                    "stop configuration recorder %r" % self.name,
                    "stop_configuration_recorder",
                    ConfigurationRecorderName=self.name,
                )
            self.call(
                "delete configuration recorder %r" % self.name,
                "delete_configuration_recorder",
                ConfigurationRecorderName=self.name,
            )
        after_channel = normalise_delivery_channel(other_channel)
        if our_channel:
            if other and after_recording:
                self.module.warn(
                    "Delivery channel %r was kept: the reused configuration recorder %r is recording and AWS "
                    "refuses to delete the last delivery channel of a recording recorder" % (channel_name, other["name"])
                )
                after_channel = normalise_delivery_channel(our_channel)
            else:
                self.call(
                    "delete delivery channel %r" % channel_name,
                    "delete_delivery_channel",
                    DeliveryChannelName=channel_name,
                )
        after = {"recorder": after_recorder, "delivery_channel": after_channel, "recording": after_recording}
        return dict(
            changed=self.changed,
            recorder=after_recorder,
            delivery_channel=after_channel,
            recording=after_recording,
            reused=False,
            delivery_channel_reused=False,
        ), before, after


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    desired_group, desired_channel = validate(module)
    manager = ConfigRecorderManager(module)
    if module.params["state"] == "present":
        result, before, after = manager.present(desired_group, desired_channel)
    else:
        result, before, after = manager.absent(desired_channel)
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
