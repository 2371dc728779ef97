#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_key_deletion
short_description: Schedule KMS keys for deletion and delete their aliases
version_added: 0.1.0
description:
  - Schedules customer managed AWS KMS keys for deletion after a waiting period, and deletes the
    given aliases at once (so that a later run creates a fresh key instead of finding one pending deletion).
  - The keys are given by O(key_id) and/or by the aliases in O(aliases). Each key is looked up with
    C(DescribeKey) and scheduled with C(ScheduleKeyDeletion) by its key ID.
  - Fills a gap, C(amazon.aws.kms_key) with O(ignore:state=absent) passes the key ARN to
    C(ScheduleKeyDeletion), which the moto emulator used for the sandbox cannot resolve (HTTP 500);
    the key ID works with AWS and with the emulator.
  - Idempotent, a key already in state C(PendingDeletion) or C(PendingReplicaDeletion) is left as it is
    (its waiting period is not changed), and a key or alias that does not exist is already gone.
  - AWS managed keys and aliases (C(alias/aws/...)) are refused.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  key_id:
    description:
      - The key to schedule for deletion, as a key ID, key ARN, alias name (C(alias/...)) or alias ARN.
      - An alias given here only finds the key; list it in O(aliases) to delete it too.
      - At least one of O(key_id) and O(aliases) is required.
    type: str
  aliases:
    description:
      - Alias names (C(alias/...)) to delete. The key behind each alias is scheduled for deletion too.
    type: list
    elements: str
    default: []
  pending_window_days:
    description:
      - Waiting period in days (7 to 30) before AWS deletes a key.
    type: int
    default: 30
notes:
  - Supports check mode and diff mode. The diff shows the state of each key and the aliases.
  - A key pending deletion can be recovered with C(CancelKeyDeletion) until its deletion date.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Delete the aliases of the alert and flow log keys and schedule both keys for deletion in 7 days
  netsec.aws_peering.kms_key_deletion:
    aliases:
      - alias/alerts-core-prod
      - alias/flowlogs-cwl-core-prod
    pending_window_days: 7

- name: Schedule one key for deletion by key ID
  netsec.aws_peering.kms_key_deletion:
    key_id: 1234abcd-12ab-34cd-56ef-1234567890ab
"""

RETURN = r"""
kms_keys:
  description: The keys found, with their state after the run (the would-be state in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    key_id:
      description: ID of the key.
      type: str
      sample: 1234abcd-12ab-34cd-56ef-1234567890ab
    key_arn:
      description: ARN of the key.
      type: str
      sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    key_state:
      description: State of the key.
      type: str
      sample: PendingDeletion
    deletion_date:
      description: When AWS deletes the key (ISO 8601), V(null) in check mode for a key still to be scheduled.
      type: str
      sample: "2026-12-01T10:00:00+00:00"
scheduled_key_ids:
  description: IDs of the keys this run scheduled for deletion.
  returned: always
  type: list
  elements: str
  sample: ["1234abcd-12ab-34cd-56ef-1234567890ab"]
deleted_aliases:
  description: Aliases this run deleted.
  returned: always
  type: list
  elements: str
  sample: ["alias/alerts-core-prod"]
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import ALIAS_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import KEY_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import PENDING_STATES


def describe_key(module, client, key):
    try:
        return client.describe_key(aws_retry=True, KeyId=key)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe KMS key {key}")


def key_view(meta, state=None, deletion_date=None):
    date = deletion_date if deletion_date is not None else meta.get("DeletionDate")
    return dict(
        key_id=meta["KeyId"],
        key_arn=meta.get("Arn"),
        key_state=state or meta.get("KeyState"),
        deletion_date=date.isoformat() if hasattr(date, "isoformat") else date,
    )


def main():
    argument_spec = dict(
        key_id=dict(type="str"),
        aliases=dict(type="list", elements="str", default=[]),
        pending_window_days=dict(type="int", default=30),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    key_id = module.params["key_id"]
    aliases = list(dict.fromkeys(module.params["aliases"]))
    window = module.params["pending_window_days"]

    if not key_id and not aliases:
        module.fail_json(msg="key_id or aliases: give at least one key ID or alias")
    if key_id is not None and not KEY_ID_RE.match(key_id):
        module.fail_json(msg=f"key_id: {key_id!r} is not a KMS key ID, key ARN, alias name (alias/...) or alias ARN")
    for alias in aliases:
        if not ALIAS_RE.match(alias):
            module.fail_json(msg=f"aliases: {alias!r} is not an alias name (alias/<name>)")
        if alias.startswith("alias/aws/"):
            module.fail_json(msg=f"aliases: {alias!r} is an AWS managed alias, which cannot be deleted")
    if not 7 <= window <= 30:
        module.fail_json(msg=f"pending_window_days: {window} is outside 7-30")

    client = module.client("kms", retry_decorator=AWSRetry.jittered_backoff())

    # Keys to schedule, by key ID (in the order given), and the aliases that exist.
    keys = {}
    lookups = ([key_id] if key_id else []) + aliases
    existing_aliases = []
    for ref in lookups:
        meta = describe_key(module, client, ref)
        if meta is None:
            continue
        if ref in aliases:
            existing_aliases.append(ref)
        if meta.get("KeyManager") == "AWS":
            module.fail_json(msg=f"{'aliases' if ref in aliases else 'key_id'}: {ref!r} is an AWS managed key, which cannot be deleted")
        keys.setdefault(meta["KeyId"], meta)

    before = dict(keys={k: m.get("KeyState") for k, m in keys.items()}, aliases=sorted(existing_aliases))
    views = []
    scheduled = []
    for kid, meta in keys.items():
        if meta.get("KeyState") in PENDING_STATES:
            views.append(key_view(meta))
            continue
        scheduled.append(kid)
        if module.check_mode:
            views.append(key_view(meta, state="PendingDeletion"))
            continue
        try:
            reply = client.schedule_key_deletion(aws_retry=True, KeyId=kid, PendingWindowInDays=window)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to schedule KMS key {kid} for deletion")
        views.append(key_view(meta, state=reply.get("KeyState") or "PendingDeletion", deletion_date=reply.get("DeletionDate")))

    for alias in existing_aliases:
        if module.check_mode:
            continue
        try:
            client.delete_alias(aws_retry=True, AliasName=alias)
        except is_boto3_error_code("NotFoundException"):
            pass
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Failed to delete KMS alias {alias}")

    result = dict(
        changed=bool(scheduled or existing_aliases),
        kms_keys=views,
        scheduled_key_ids=scheduled,
        deleted_aliases=existing_aliases,
    )
    if module._diff:
        result["diff"] = dict(
            before=before,
            after=dict(keys={v["key_id"]: v["key_state"] for v in views}, aliases=[]),
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
