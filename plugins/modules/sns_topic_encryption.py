#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sns_topic_encryption
short_description: Set or clear the KMS key that encrypts an SNS topic
version_added: 0.1.0
description:
  - Sets the C(KmsMasterKeyId) attribute of an existing Amazon SNS topic (server-side encryption
    with a KMS key), or clears it so that the topic is no longer encrypted.
  - Fills a gap, C(community.aws.sns_topic) cannot set C(KmsMasterKeyId), and no other module of
    C(amazon.aws) or C(community.aws) does.
  - The topic must exist, create it first (for example with C(community.aws.sns_topic)). In check
    mode a topic that does not exist yet is reported as a change, so that a check run of a new
    site does not fail.
  - The attribute is compared as text with what C(GetTopicAttributes) returns. AWS keeps the
    value as it was set, so use the same form (key ID, key ARN, alias name or alias ARN) on every run.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  topic_arn:
    description:
      - ARN of the SNS topic, C(arn:<partition>:sns:<region>:<account>:<name>).
    type: str
    required: true
  kms_master_key_id:
    description:
      - The KMS key that encrypts the topic, as a key ID, key ARN, alias name (C(alias/...)) or alias ARN.
      - An empty string clears the attribute (no server-side encryption).
    type: str
    required: true
notes:
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Encrypt the alert topic with its customer managed key
  netsec.aws_peering.sns_topic_encryption:
    topic_arn: arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-core-prod
    kms_master_key_id: arn:aws:kms:eu-west-1:{{ aws_account_id }}:key/1234abcd-12ab-34cd-56ef-1234567890ab

- name: Use the AWS managed key of SNS
  netsec.aws_peering.sns_topic_encryption:
    topic_arn: arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-core-prod
    kms_master_key_id: alias/aws/sns

- name: Stop encrypting the topic
  netsec.aws_peering.sns_topic_encryption:
    topic_arn: arn:aws:sns:eu-west-1:{{ aws_account_id }}:alerts-core-prod
    kms_master_key_id: ""
"""

RETURN = r"""
topic_arn:
  description: ARN of the topic.
  returned: always
  type: str
  sample: arn:aws:sns:eu-west-1:ACCOUNT_ID:alerts-core-prod
kms_master_key_id:
  description: The C(KmsMasterKeyId) of the topic after the run (empty when not encrypted).
  returned: always
  type: str
  sample: arn:aws:kms:eu-west-1:ACCOUNT_ID:key/1234abcd-12ab-34cd-56ef-1234567890ab
previous_kms_master_key_id:
  description: The C(KmsMasterKeyId) of the topic before the run (empty when not encrypted or when the topic does not exist yet).
  returned: always
  type: str
  sample: ""
"""


try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import KEY_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import SNS_TOPIC_ARN_RE


def main():
    argument_spec = dict(
        topic_arn=dict(type="str", required=True),
        kms_master_key_id=dict(type="str", required=True, no_log=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)

    arn = module.params["topic_arn"]
    desired = module.params["kms_master_key_id"] or ""
    if not SNS_TOPIC_ARN_RE.match(arn):
        module.fail_json(msg=f"topic_arn: {arn!r} is not an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)")
    if desired and not KEY_ID_RE.match(desired):
        module.fail_json(
            msg=f"kms_master_key_id: {desired!r} is not a KMS key ID, key ARN, alias name (alias/...) or alias ARN; "
            "use an empty string to clear the encryption"
        )

    client = module.client("sns", retry_decorator=RETRY)
    try:
        attributes = client.get_topic_attributes(aws_retry=True, TopicArn=arn)["Attributes"]
        exists = True
    except is_boto3_error_code("NotFound"):
        if not module.check_mode:
            module.fail_json(msg=f"topic_arn: topic {arn} does not exist; create it first")
        attributes, exists = {}, False
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to read the attributes of topic {arn}")

    current = attributes.get("KmsMasterKeyId") or ""
    changed = current != desired or not exists
    if changed and not module.check_mode:
        try:
            client.set_topic_attributes(
                aws_retry=True, TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=desired
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to set KmsMasterKeyId of topic {arn} to {desired!r}")

    result = dict(changed=changed, topic_arn=arn, kms_master_key_id=desired, previous_kms_master_key_id=current)
    if module._diff:
        result["diff"] = dict(
            before=dict(topic_arn=arn, kms_master_key_id=current) if exists else {},
            after=dict(topic_arn=arn, kms_master_key_id=desired),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
