#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kms_keys
short_description: Converge a list of customer managed KMS keys by alias (policy, rotation, description, tags)
version_added: 0.1.0
description:
  - Creates, converges or deletes a list of customer managed symmetric encryption keys in one run, each found by its alias.
  - Fills gaps of C(amazon.aws.kms_key), which manages one key per run, creates a second key when a run was killed
    between C(CreateKey) and C(CreateAlias) (an orphan nobody finds again) and, in the emulator, fails to schedule a
    deletion by key ARN.
  - A missing alias is first looked for an orphan, an enabled or disabled customer managed key of the account
    without an alias whose tags carry C(ManagedBy=netsec.aws_peering) and C(Name=<alias without alias/>)
    (C(ListAliases), C(ListKeys) and C(ListResourceTags), only when an alias is missing). The oldest orphan is
    adopted (the alias is created for it); only without one is a key created, with its tags, policy and
    description in C(CreateKey), then its alias.
  - Then the description, the key policy (compared semantically), the automatic rotation and the tags are
    converged, and a disabled key is enabled.
  - A key pending deletion behind an alias is recovered (C(CancelKeyDeletion) and C(EnableKey)) only with
    O(recover_pending=true); otherwise the module fails naming it.
  - With O(state=absent) every key is scheduled for deletion by key ID after O(pending_window_days) and its alias
    deleted. A key already pending deletion is left as it is; a missing alias is already gone, but orphans found
    by their tags are still scheduled for deletion, so nothing is left behind.
  - The keys are read with the same function as C(netsec.aws_peering.site_info), and the changes are decided by
    the pure function C(plan_keys) of C(plugins/module_utils/kms_keys.py), which the
    C(netsec.aws_peering.kms_keys_plan) filter also exposes.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  keys:
    description:
      - The keys, each found by its alias.
    type: list
    elements: dict
    required: true
    suboptions:
      alias:
        description:
          - Alias name of the key, C(alias/<name>). AWS managed aliases (C(alias/aws/...)) are refused.
        type: str
        required: true
      description:
        description:
          - Description of the key. When omitted, an existing key's description is left as it is (a new key gets none).
        type: str
      policy:
        description:
          - The key policy document, as a dictionary, compared semantically with the policy in place.
          - When omitted, an existing key's policy is left as it is (a new key gets AWS's default key policy).
        type: dict
      enable_key_rotation:
        description: Whether AWS rotates the key material automatically every year.
        type: bool
        default: true
      tags:
        description:
          - Tags of this key, over the common O(tags). C(ManagedBy=netsec.aws_peering) and C(Name=<alias without alias/>)
            are always added; the orphan search relies on them.
        type: dict
  state:
    description:
      - V(present) creates or converges the keys, V(absent) schedules them for deletion and deletes their aliases.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description:
      - Tags for every key; each key's own O(keys[].tags) override them.
      - With O(purge_tags=true) tags not listed are removed from the keys (never keys starting with C(aws:)).
  recover_pending:
    description:
      - Whether a key pending deletion behind one of the aliases is recovered (C(CancelKeyDeletion), C(EnableKey)).
        With V(false) the module fails naming the key.
    type: bool
    default: false
  pending_window_days:
    description:
      - Waiting period in days (7 to 30) before AWS deletes a key scheduled by O(state=absent).
    type: int
    default: 30
notes:
  - Supports check mode and diff mode. Check mode reads only and returns the changes and the would-be state
    (a key still to be created has no C(KeyId) then).
  - For a key pending deletion AWS shows no policy, rotation or tags; with O(recover_pending=true) the plan lists
    them against V(null), and after recovering the key the module reads it again and makes only what still differs.
  - Every AWS call is retried with C(AWSRetry.jittered_backoff).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The keys of the monitoring scope
  netsec.aws_peering.kms_keys:
    tags:
      Network: core
      Environment: prod
    keys:
      - alias: alias/alerts-core-prod
        description: Encrypts the alert topic of core
        policy: "{{ lookup('ansible.builtin.template', 'alerts-key-policy.json.j2') }}"
      - alias: alias/flowlogs-cwl-core-prod
        description: Encrypts the flow log group of core
        policy: "{{ lookup('ansible.builtin.template', 'flow-log-group-key-policy.json.j2') }}"
  register: monitoring_keys

- name: Plan on the controller what the task above would change (same function, no module run)
  ansible.builtin.debug:
    msg: "{{ site.state.kms_keys | netsec.aws_peering.kms_keys_plan(monitoring_key_options) }}"

- name: Schedule both keys for deletion in 7 days and delete their aliases
  netsec.aws_peering.kms_keys:
    state: absent
    pending_window_days: 7
    keys:
      - alias: alias/alerts-core-prod
      - alias: alias/flowlogs-cwl-core-prod
"""

RETURN = r"""
changes:
  description:
    - The changes made (in check mode, that would be made), key by key. C(field) is C(key), C(alias) or the key of
      the description that changes (C(KeyState), C(Description), C(Policy), C(KeyRotationEnabled), C(Tags)).
  returned: always
  type: list
  elements: dict
  sample:
    - resource: kms_key alias/alerts-core-prod
      action: update
      field: KeyRotationEnabled
      before: false
      after: true
kms_keys:
  description:
    - Each key by alias after the run (in check mode, as it would be), in the shape C(netsec.aws_peering.site_info)
      returns it (C(KeyMetadata), C(Policy), C(KeyRotationEnabled), C(Tags)), V(null) when the alias does not exist.
  returned: always
  type: dict
  sample:
    alias/alerts-core-prod:
      KeyMetadata:
        KeyId: 1234abcd-12ab-34cd-56ef-1234567890ab
        Arn: arn:aws:kms:eu-west-1:ACCOUNT_ID:key/1234abcd-12ab-34cd-56ef-1234567890ab
        KeyState: Enabled
      Policy: {}
      KeyRotationEnabled: true
      Tags: [{TagKey: ManagedBy, TagValue: netsec.aws_peering}]
orphans:
  description: Key IDs of orphans found by their tags for aliases that did not exist, by alias.
  returned: always
  type: dict
  sample: {alias/alerts-core-prod: ["1234abcd-12ab-34cd-56ef-1234567890ab"]}
diff:
  description: O(ignore:kms_keys) before and after, with diff mode.
  returned: when diff mode is on
  type: dict
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_key
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import paginate
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import retry_also_on
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import NAME_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import USABLE_STATES
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import alias_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import key_resource
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import keys_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import kms_tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import plan_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import project_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError

GONE = ("NotFoundException", "KMSInvalidStateException")
# Right after CreateKey (or CancelKeyDeletion), KMS may still answer NotFoundException for a moment.
RETRY_NEW = retry_also_on("NotFoundException")


def find_orphans(kms, aliases):
    """alias -> describe_key() of every enabled or disabled customer managed key without an alias, tagged
    ManagedBy=netsec.aws_peering and Name=<alias name>.

    Keys that have an alias (AWS managed keys always have one) are skipped before their tags are read.
    """
    wanted = {alias_name(alias): alias for alias in aliases}
    aliased = {entry.get("TargetKeyId") for entry in paginate("KMS aliases", kms, "list_aliases", "Aliases")}
    found = {alias: [] for alias in aliases}
    for entry in paginate("KMS keys", kms, "list_keys", "Keys"):
        key_id = entry["KeyId"]
        if key_id in aliased:
            continue
        try:
            tags = kms_tag_dict(paginate(f"tags of KMS key {key_id}", kms, "list_resource_tags", "Tags", KeyId=key_id))
        except DiscoveryError as e:
            if getattr(e.exception, "response", {}).get("Error", {}).get("Code") in GONE:
                continue  # deleted (or being deleted) since ListKeys: not an orphan to adopt
            raise
        if tags.get(OWNER_TAG) == OWNER and tags.get(NAME_TAG) in wanted:
            described = describe_key(kms, key_id)
            meta = (described or {}).get("KeyMetadata", {})
            if meta.get("KeyManager") == "CUSTOMER" and meta.get("KeyState") in USABLE_STATES:
                found[wanted[tags[NAME_TAG]]].append(described)
    return found


class Executor:
    """Makes the changes of one key, one AWS call (with retries) each; fails naming the change."""

    def __init__(self, module, kms):
        self.module, self.kms = module, kms
        self.done = []
        self.key_id = None

    def call(self, item, operation, retry=RETRY, missing_ok=False, **params):
        try:
            return retry(getattr(self.kms, operation))(**params)
        except is_boto3_error_code("NotFoundException"):
            if missing_ok:
                return {}
            raise
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"{item['resource']}: cannot {item['action']} {item['field']}", changes=self.done)

    def run(self, changes, key_id):
        self.key_id = key_id
        for item in changes:
            try:
                getattr(self, "do_" + item["field"])(item)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.module.fail_json_aws(e, msg=f"{item['resource']}: cannot {item['action']} {item['field']}", changes=self.done)
            self.done.append(item)

    def do_key(self, item):
        if item["action"] == "delete":
            self.call(item, "schedule_key_deletion", missing_ok=True, KeyId=item["after"]["KeyId"],
                      PendingWindowInDays=item["after"]["PendingWindowInDays"])
            return
        after = item["after"]
        params = dict(Description=after["Description"], KeySpec=after["KeySpec"], KeyUsage=after["KeyUsage"],
                      Tags=after["Tags"])
        if after["Policy"] is not None:
            params["Policy"] = json.dumps(after["Policy"])
        self.key_id = self.call(item, "create_key", **params)["KeyMetadata"]["KeyId"]

    def do_alias(self, item):
        if item["action"] == "delete":
            self.call(item, "delete_alias", missing_ok=True, AliasName=item["before"]["AliasName"])
            return
        target = item["after"]["TargetKeyId"] or self.key_id
        self.key_id = target
        try:
            RETRY_NEW(self.kms.create_alias)(AliasName=item["after"]["AliasName"], TargetKeyId=target)
        except is_boto3_error_code("AlreadyExistsException"):
            self.module.fail_json(msg=f"{item['resource']}: the alias was created by someone else meanwhile; run again",
                                  changes=self.done)

    def do_KeyState(self, item):  # pylint: disable=invalid-name
        if item["before"] == "PendingDeletion":
            self.call(item, "cancel_key_deletion", KeyId=self.key_id)
        if item["after"] == "Enabled":
            self.call(item, "enable_key", RETRY_NEW, KeyId=self.key_id)

    def do_Description(self, item):  # pylint: disable=invalid-name
        self.call(item, "update_key_description", RETRY_NEW, KeyId=self.key_id, Description=item["after"])

    def do_Policy(self, item):  # pylint: disable=invalid-name
        self.call(item, "put_key_policy", RETRY_NEW, KeyId=self.key_id, PolicyName="default", Policy=json.dumps(item["after"]))

    def do_KeyRotationEnabled(self, item):  # pylint: disable=invalid-name
        operation = "enable_key_rotation" if item["after"] else "disable_key_rotation"
        self.call(item, operation, RETRY_NEW, KeyId=self.key_id)

    def do_Tags(self, item):  # pylint: disable=invalid-name
        before, after = kms_tag_dict(item["before"]), kms_tag_dict(item["after"])
        removed = sorted(key for key in before if key not in after)
        added = [{"TagKey": key, "TagValue": value} for key, value in sorted(after.items()) if before.get(key) != value]
        if removed:
            self.call(item, "untag_resource", RETRY_NEW, KeyId=self.key_id, TagKeys=removed)
        if added:
            self.call(item, "tag_resource", RETRY_NEW, KeyId=self.key_id, Tags=added)


def read(module, what, function, *args):
    try:
        return function(*args)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"cannot describe {e.what} ({what})")


def main():
    argument_spec = dict(
        keys=dict(type="list", elements="dict", required=True, no_log=False, options=dict(
            alias=dict(type="str", required=True),
            description=dict(type="str"),
            policy=dict(type="dict"),
            enable_key_rotation=dict(type="bool", default=True),
            tags=dict(type="dict"),
        )),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        recover_pending=dict(type="bool", default=False),
        pending_window_days=dict(type="int", default=30),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = {name: module.params[name] for name in argument_spec}
    try:
        desired = keys_desired(params)
    except PlanError as e:
        module.fail_json(msg=str(e))
    aliases = [key["alias"] for key in desired["keys"]]

    kms = module.client("kms")
    current = {alias: read(module, alias, describe_key, kms, alias) for alias in aliases}
    missing = [alias for alias in aliases if current[alias] is None]
    orphans = read(module, "orphan search", find_orphans, kms, missing) if missing else {}
    for alias, found in orphans.items():
        if len(found) > 1 and desired["state"] == "present":
            module.warn(f"{alias}: {len(found)} orphan keys tagged {NAME_TAG}={alias_name(alias)}; adopting the oldest, "
                        f"{', '.join(o['KeyMetadata']['KeyId'] for o in found)}")
    try:
        changes = plan_keys(current, params, orphans)
    except PlanError as e:
        module.fail_json(msg=str(e), changes=[])

    if changes and not module.check_mode:
        changes = converge(module, kms, params, current, changes)
        after = {alias: read(module, alias, describe_key, kms, alias) for alias in aliases}
    else:
        after = project_keys(current, changes, orphans)
    result = dict(changed=bool(changes), changes=changes, kms_keys=after,
                  orphans={alias: [o["KeyMetadata"]["KeyId"] for o in found] for alias, found in orphans.items() if found})
    if module._diff:
        result["diff"] = dict(before=current, after=after)
    module.exit_json(**result)


def converge(module, kms, params, current, changes):
    """Run the changes key by key; a recovered key is read again and re-planned. Returns the changes made."""
    executor = Executor(module, kms)
    for key in params["keys"]:
        alias = key["alias"]
        mine = [item for item in changes if item["resource"] == key_resource(alias)]
        if not mine:
            continue
        key_id = current[alias]["KeyMetadata"]["KeyId"] if current[alias] else None
        if mine[0]["field"] == "KeyState" and mine[0]["before"] == "PendingDeletion":
            executor.run(mine[:1], key_id)
            recovered = read(module, alias, describe_key, kms, alias)
            try:
                mine = mine[:1] + plan_keys({alias: recovered}, dict(params, keys=[key]))
            except PlanError as e:
                module.fail_json(msg=str(e), changes=executor.done)
            executor.run(mine[1:], key_id)
        else:
            executor.run(mine, key_id)
    return executor.done


if __name__ == "__main__":
    main()
