# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decisions of the ``kms_keys`` module, as pure functions (no AWS call).

``plan_keys(current, desired, orphans=None)`` compares the keys as ``discovery.describe_key``
returns them, by alias (``None`` when the alias does not exist), with the module's options and
returns the list of changes the module executes; the ``netsec.aws_peering.kms_keys_plan`` filter
returns the same list on the controller.

``orphans`` maps an alias whose alias does not exist to the keys of this account that carry
``ManagedBy=netsec.aws_peering`` and ``Name=<alias without alias/>`` but have no alias (each as
``describe_key`` returns it): what a run killed between CreateKey and CreateAlias leaves behind.
Discovery does not search for them (it costs a ListKeys walk); the module does when an alias is
missing, so a plan made without them says "create" where the module adopts the orphan.

A change is ``{"resource": "kms_key <alias>", "action": "create"|"update"|"delete", "field": ...,
"before": ..., "after": ...}``; ``field`` is ``key`` (the key itself), ``alias``, ``KeyState``,
``Description`` (of ``KeyMetadata``), ``Policy``, ``KeyRotationEnabled`` or ``Tags``
(``describe_key``'s keys, in its shapes).

"""

from __future__ import annotations

import copy
import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import copied_change
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import boolean
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import check_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import choice
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import merged_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import policies_differ
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import positive_int

ALIAS_RE = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")
PENDING_STATES = ("PendingDeletion", "PendingReplicaDeletion")
USABLE_STATES = ("Enabled", "Disabled")
NAME_TAG = "Name"
KEY_SPEC = "SYMMETRIC_DEFAULT"
KEY_USAGE = "ENCRYPT_DECRYPT"
KEY_OPTIONS = ("alias", "description", "policy", "enable_key_rotation", "tags")


def alias_name(alias):
    """alias/flowlogs-core-prod -> flowlogs-core-prod (the key's Name tag)."""
    return alias[len("alias/"):]


def key_resource(alias):
    return f"kms_key {alias}"


def kms_tag_dict(tags):
    """KMS's [{TagKey, TagValue}] as a dict."""
    return {tag["TagKey"]: tag.get("TagValue", "") for tag in tags or []}


def kms_tag_list(tags):
    return [{"TagKey": key, "TagValue": tags[key]} for key in sorted(tags)]


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------

def check_alias(option, alias):
    if not isinstance(alias, str) or not ALIAS_RE.match(alias):
        raise PlanError(f"{option}: {alias!r} is not an alias name (alias/<name>: letters, digits, /, _ and -)")
    if alias.startswith("alias/aws/"):
        raise PlanError(f"{option}: {alias!r} is an AWS managed alias (alias/aws/...), which this module never manages")
    return alias


def keys_desired(options):
    """The module's options (or the list of keys alone), checked and completed.

    Keys: keys (list of {alias, description, policy, enable_key_rotation (true), tags}), state (present),
    tags (for every key), purge_tags (true), recover_pending (false), pending_window_days (30).
    Each key's tags get ManagedBy=netsec.aws_peering and Name=<alias without alias/>.
    Raises PlanError naming the option and value.
    """
    if isinstance(options, list):
        options = {"keys": options}
    if not isinstance(options, dict):
        raise PlanError(f"desired: {options!r} is not a dictionary of kms_keys options")
    keys = options.get("keys")
    if not isinstance(keys, list) or not keys:
        raise PlanError(f"keys: {keys!r} must be a non-empty list of keys")
    common = check_tags("tags", options.get("tags"), {})
    desired = {
        "state": choice("state", options.get("state"), ("present", "absent"), "present"),
        "purge_tags": boolean("purge_tags", options.get("purge_tags"), True),
        "recover_pending": boolean("recover_pending", options.get("recover_pending"), False),
        "pending_window_days": positive_int("pending_window_days", 30 if options.get("pending_window_days") is None
                                            else options["pending_window_days"], 7, 30),
        "keys": [],
    }
    seen = set()
    for index, key in enumerate(keys):
        where = f"keys[{index}]"
        if not isinstance(key, dict):
            raise PlanError(f"{where}: {key!r} is not a dictionary")
        unknown = sorted(set(key) - set(KEY_OPTIONS))
        if unknown:
            raise PlanError(f"{where}: unknown option(s) {', '.join(unknown)}")
        alias = check_alias(f"{where}.alias", key.get("alias"))
        if alias in seen:
            raise PlanError(f"{where}.alias: {alias!r} is listed twice")
        seen.add(alias)
        description = key.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 8192):
            raise PlanError(f"{where}.description: {description!r} must be a text of at most 8192 characters")
        policy = key.get("policy")
        if policy is not None and (not isinstance(policy, dict) or not policy.get("Statement")):
            raise PlanError(f"{where}.policy: {policy!r} is not a policy document (a dictionary with a Statement)")
        tags = check_tags(f"{where}.tags", key.get("tags"), {})
        desired["keys"].append({
            "alias": alias,
            "description": description,
            "policy": policy,
            "enable_key_rotation": boolean(f"{where}.enable_key_rotation", key.get("enable_key_rotation"), True),
            "tags": check_tags(f"{where}.tags", dict(common, **tags), {OWNER_TAG: OWNER, NAME_TAG: alias_name(alias)}),
        })
    return desired


# ---------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------

def _check_key(alias, described, state):
    meta = described["KeyMetadata"]
    if meta.get("KeyManager") != "CUSTOMER":
        raise PlanError(f"{alias}: key {meta['KeyId']} is an AWS managed key, which this module never manages")
    if state == "present" and (meta.get("KeySpec", KEY_SPEC) != KEY_SPEC or meta.get("KeyUsage", KEY_USAGE) != KEY_USAGE):
        raise PlanError(f"{alias}: key {meta['KeyId']} is a {meta.get('KeySpec')} {meta.get('KeyUsage')} key; "
                        f"this module manages symmetric encryption keys ({KEY_SPEC} {KEY_USAGE}) only")


def _candidates(orphans):
    """Orphans that may be adopted or must be deleted: customer managed, enabled or disabled; oldest first."""
    usable = [o for o in orphans or [] if o and o["KeyMetadata"].get("KeyManager") == "CUSTOMER"
              and o["KeyMetadata"].get("KeyState") in USABLE_STATES]
    return sorted(usable, key=lambda o: (o["KeyMetadata"].get("CreationDate") or "", o["KeyMetadata"]["KeyId"]))


def _key_ref(described, state=None):
    meta = described["KeyMetadata"]
    return {"KeyId": meta["KeyId"], "KeyState": state or meta.get("KeyState")}


def _plan_present(key, described, orphans, desired):
    alias = key["alias"]
    resource = key_resource(alias)
    changes = []
    if described is None:
        candidates = _candidates(orphans)
        if not candidates:
            changes.append(copied_change(resource, "create", "key", None, {
                "Description": key["description"] or "", "Policy": key["policy"], "Tags": kms_tag_list(key["tags"]),
                "KeySpec": KEY_SPEC, "KeyUsage": KEY_USAGE}))
            changes.append(copied_change(resource, "create", "alias", None, {"AliasName": alias, "TargetKeyId": None}))
            if key["enable_key_rotation"]:
                changes.append(copied_change(resource, "create", "KeyRotationEnabled", False, True))
            return changes
        described = candidates[0]
        _check_key(alias, described, "present")
        changes.append(copied_change(resource, "create", "alias", None, {"AliasName": alias, "TargetKeyId": described["KeyMetadata"]["KeyId"]}))
    else:
        _check_key(alias, described, "present")
    meta = described["KeyMetadata"]
    state = meta.get("KeyState")
    if state == "PendingDeletion":
        if not desired["recover_pending"]:
            raise PlanError(f"{alias}: key {meta['KeyId']} is pending deletion (on {meta.get('DeletionDate')}); "
                            "set recover_pending: true to cancel the deletion and enable the key")
        changes.append(copied_change(resource, "update", "KeyState", state, "Enabled"))
    elif state == "Disabled":
        changes.append(copied_change(resource, "update", "KeyState", state, "Enabled"))
    elif state != "Enabled":
        raise PlanError(f"{alias}: key {meta['KeyId']} is in state {state}, which this module cannot converge")
    if key["description"] is not None and meta.get("Description", "") != key["description"]:
        changes.append(copied_change(resource, "update", "Description", meta.get("Description", ""), key["description"]))
    if key["policy"] is not None and policies_differ(described.get("Policy"), key["policy"]):
        changes.append(copied_change(resource, "update", "Policy", described.get("Policy"), key["policy"]))
    if described.get("KeyRotationEnabled") is not key["enable_key_rotation"]:
        changes.append(copied_change(resource, "update", "KeyRotationEnabled", described.get("KeyRotationEnabled"), key["enable_key_rotation"]))
    have = kms_tag_dict(described.get("Tags"))
    want = merged_tags(have, key["tags"], desired["purge_tags"])
    if want != have:
        changes.append(copied_change(resource, "update", "Tags", described.get("Tags"), kms_tag_list(want)))
    return changes


def _plan_absent(key, described, orphans, desired):
    alias = key["alias"]
    resource = key_resource(alias)
    deletion = {"KeyState": "PendingDeletion", "PendingWindowInDays": desired["pending_window_days"]}
    if described is None:
        return [copied_change(resource, "delete", "key", _key_ref(orphan), dict(deletion, KeyId=orphan["KeyMetadata"]["KeyId"]))
                for orphan in _candidates(orphans)]
    _check_key(alias, described, "absent")
    meta = described["KeyMetadata"]
    changes = []
    if meta.get("KeyState") not in PENDING_STATES:
        changes.append(copied_change(resource, "delete", "key", _key_ref(described), dict(deletion, KeyId=meta["KeyId"])))
    changes.append(copied_change(resource, "delete", "alias", {"AliasName": alias, "TargetKeyId": meta["KeyId"]}, None))
    return changes


def plan_keys(current, desired, orphans=None):
    """The changes that converge every key of ``desired`` (the module's options, see ``keys_desired``),
    key by key in the order given.

    current: alias -> describe_key() answer, or None (a missing alias counts as None).
    orphans: alias -> list of describe_key() answers of keys found by their tags (see the module docstring).

    present: a missing alias adopts the oldest usable orphan (creates the alias for it), else creates
    the key (tags, policy and description on create), its alias and the rotation; then description,
    policy (semantic comparison), rotation, tags (purge_tags; aws: keys are kept) and a disabled key
    enabled. A key pending deletion is recovered only with recover_pending, else PlanError.
    absent: the key is scheduled for deletion by key ID (unless already pending) and the alias deleted;
    a missing alias schedules the orphans instead.
    """
    desired = keys_desired(desired)
    current = current or {}
    orphans = orphans or {}
    plan = _plan_present if desired["state"] == "present" else _plan_absent
    changes = []
    for key in desired["keys"]:
        changes.extend(plan(key, current.get(key["alias"]), orphans.get(key["alias"]), desired))
    return changes


def project_keys(current, changes, orphans=None):
    """alias -> the description each key has once ``changes`` are made (what check mode reports).

    A key about to be created has no KeyId yet (None); a key whose alias is deleted is None, as
    describe_key then finds nothing by the alias.
    """
    states = copy.deepcopy(current or {})
    known = {o["KeyMetadata"]["KeyId"]: o for found in (orphans or {}).values() for o in found or []}
    for item in changes:
        alias = item["resource"].split(" ", 1)[1]
        field, after = item["field"], copy.deepcopy(item["after"])
        state = states.get(alias)
        if field == "key" and item["action"] == "create":
            states[alias] = {"KeyMetadata": {"KeyId": None, "Arn": None, "Description": after["Description"], "KeyState": "Enabled",
                                             "Enabled": True, "KeyManager": "CUSTOMER", "KeySpec": after["KeySpec"],
                                             "KeyUsage": after["KeyUsage"]},
                             "Policy": after["Policy"], "KeyRotationEnabled": False, "Tags": after["Tags"]}
        elif field == "alias":
            states[alias] = copy.deepcopy(known.get(after["TargetKeyId"], state)) if after else None
        elif state is None:
            continue
        elif field == "key":
            state["KeyMetadata"].update(KeyState="PendingDeletion", Enabled=False)
        elif field == "KeyState":
            state["KeyMetadata"].update(KeyState=after, Enabled=after == "Enabled")
            state["KeyMetadata"].pop("DeletionDate", None)
        elif field == "Description":
            state["KeyMetadata"]["Description"] = after
        else:
            state[field] = after
    return states
