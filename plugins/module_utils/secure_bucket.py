# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The decisions of the ``secure_bucket`` module, as pure functions (no AWS call).

``plan_bucket(current, desired)`` compares a bucket as ``discovery.describe_bucket`` returns it
(``None`` when it does not exist) with the module's options and returns the list of changes. The
module executes exactly these changes; the ``netsec.aws_peering.bucket_plan`` filter returns them
on the controller, so a plan and a run never disagree.

A change is ``{"resource": "s3_bucket <name>", "action": "create"|"update"|"delete", "field": ...,
"before": ..., "after": ...}``. ``field`` is ``bucket`` (the bucket itself) or the key of
``describe_bucket``'s answer that changes (``Tags``, ``OwnershipControls``, ``PublicAccessBlock``,
``Encryption``, ``Versioning``, ``Policy``, ``Lifecycle``); ``before`` and ``after`` are that key's
values in the same shape, so ``project_bucket`` can apply a plan to a description.

Also here, shared with ``kms_keys``: ``PlanError`` (input that cannot be planned, or a change
the collection refuses to make; its message names the option or resource) and the semantic
policy comparison.
"""

from __future__ import annotations

import copy

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import copied_change
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import KMS_KEY_ARN_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import bucket_name_error
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict

OWNER_TAGS = {OWNER_TAG: OWNER}
ENCRYPTIONS = ("aws:kms", "AES256")
OBJECT_OWNERSHIP = "BucketOwnerEnforced"
PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
# The order the module writes in: the ownership tag right after creating, so that a run killed
# later still finds the bucket ours.
BUCKET_FIELDS = ("Tags", "OwnershipControls", "PublicAccessBlock", "Encryption", "Versioning", "Policy", "Lifecycle")

LIFECYCLE_DAYS = (
    ("expiration_days", "Expiration", "Days"),
    ("noncurrent_version_expiration_days", "NoncurrentVersionExpiration", "NoncurrentDays"),
    ("abort_incomplete_multipart_upload_days", "AbortIncompleteMultipartUpload", "DaysAfterInitiation"),
)


class PlanError(ValueError):
    """Input that cannot be planned, or a change refused; the message names the option or resource."""


# ---------------------------------------------------------------------------
# Shared by the converge planners
# ---------------------------------------------------------------------------

def policies_differ(current, desired):
    """Policy documents compared semantically (amazon.aws's comparison): key and list order are
    irrelevant, a one-element list equals its scalar, true equals "true", an account's root ARN
    equals its ID, a missing Version is AWS's default. A missing current policy always differs."""
    if current is None:
        return True
    return compare_policies(current, desired)


def check_tags(option, tags, fixed):
    """Tag values as text; ``aws:`` keys and values contradicting ``fixed`` (tags the collection
    sets itself) are refused. Returns the tags merged with ``fixed``."""
    if tags is None:
        return dict(fixed)
    if not isinstance(tags, dict):
        raise PlanError(f"{option}: {tags!r} is not a dictionary of tags")
    out = {}
    for key, value in tags.items():
        key = str(key)
        if key.lower().startswith("aws:"):
            raise PlanError(f"{option}: tag key {key!r} starts with 'aws:', which AWS reserves")
        if not key or len(key) > 128:
            raise PlanError(f"{option}: tag key {key!r} must have 1 to 128 characters")
        text = "" if value is None else str(value)
        if len(text) > 256:
            raise PlanError(f"{option}: the value of tag {key!r} is longer than 256 characters")
        out[key] = text
    for key, value in fixed.items():
        if key in out and out[key] != value:
            raise PlanError(f"{option}: tag {key}={out[key]!r} contradicts {key}={value!r}, which the collection sets itself")
        out[key] = value
    return out


def merged_tags(current, desired, purge):
    """The tags after a run: ``desired`` set, others removed when ``purge``, ``aws:`` keys kept."""
    to_set, to_unset = compare_aws_tags(current, desired, purge_tags=purge)
    after = {key: value for key, value in current.items() if key not in to_unset}
    after.update(to_set)
    return after


def positive_int(option, value, low=1, high=None):
    if isinstance(value, bool):
        raise PlanError(f"{option}: {value!r} is not a number of days")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PlanError(f"{option}: {value!r} is not a whole number") from None
    if number != value and str(number) != str(value).strip():
        raise PlanError(f"{option}: {value!r} is not a whole number")
    if number < low or (high is not None and number > high):
        raise PlanError(f"{option}: {value!r} is outside {low}-{high}" if high is not None else f"{option}: {value!r} is less than {low}")
    return number


def boolean(option, value, default):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise PlanError(f"{option}: {value!r} is not a boolean")


def choice(option, value, choices, default):
    value = default if value is None else value
    if value not in choices:
        raise PlanError(f"{option}: {value!r} is not one of {', '.join(choices)}")
    return value


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------

def bucket_desired(options):
    """The module's options (or the same keys given to the filter), checked and completed.

    Keys: name, state (present), region, encryption (aws:kms), kms_key_arn, bucket_key_enabled (true),
    policy, tags, purge_tags (true), lifecycle_rule, purge_lifecycle_rules (false),
    require_owner_tag (true), force (false). Raises PlanError naming the option and value.
    """
    if not isinstance(options, dict):
        raise PlanError(f"desired: {options!r} is not a dictionary of secure_bucket options")
    name = options.get("name")
    why = bucket_name_error(name)
    if why:
        raise PlanError(f"name: {name!r} is not a valid bucket name: it {why}")
    desired = {
        "name": name,
        "state": choice("state", options.get("state"), ("present", "absent"), "present"),
        "region": options.get("region") or None,
        "require_owner_tag": boolean("require_owner_tag", options.get("require_owner_tag"), True),
        "force": boolean("force", options.get("force"), False),
    }
    if desired["state"] == "absent":
        return desired
    encryption = choice("encryption", options.get("encryption"), ENCRYPTIONS, "aws:kms")
    key_arn = options.get("kms_key_arn") or None
    if encryption == "aws:kms":
        if key_arn is None:
            raise PlanError("kms_key_arn: required when encryption is aws:kms (the ARN of a customer managed key)")
        if not isinstance(key_arn, str) or not KMS_KEY_ARN_RE.match(key_arn):
            raise PlanError(f"kms_key_arn: {key_arn!r} is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>)")
        key_region = key_arn.split(":")[3]
        if desired["region"] and key_region != desired["region"]:
            raise PlanError(f"kms_key_arn: {key_arn!r} is a key of {key_region}; the bucket's default encryption needs a key "
                            f"of its own region {desired['region']}")
    elif key_arn is not None:
        raise PlanError(f"kms_key_arn: {key_arn!r} given, but encryption is {encryption} (a KMS key needs encryption aws:kms)")
    policy = options.get("policy")
    if policy is not None and (not isinstance(policy, dict) or not policy.get("Statement")):
        raise PlanError(f"policy: {policy!r} is not a policy document (a dictionary with a Statement)")
    tags = options.get("tags")
    desired.update({
        "encryption": encryption,
        "kms_key_arn": key_arn,
        "bucket_key_enabled": boolean("bucket_key_enabled", options.get("bucket_key_enabled"), True),
        "policy": policy,
        "tags": check_tags("tags", tags, OWNER_TAGS),
        "manage_tags": tags is not None,
        "purge_tags": boolean("purge_tags", options.get("purge_tags"), True),
        "lifecycle_rule": _lifecycle_rule(options.get("lifecycle_rule")),
        "purge_lifecycle_rules": boolean("purge_lifecycle_rules", options.get("purge_lifecycle_rules"), False),
    })
    return desired


def _lifecycle_rule(rule):
    """The lifecycle rule in AWS's shape (the whole bucket, enabled), or None when not managed."""
    if rule is None:
        return None
    if not isinstance(rule, dict):
        raise PlanError(f"lifecycle_rule: {rule!r} is not a dictionary")
    rule_id = rule.get("id")
    if not isinstance(rule_id, str) or not 1 <= len(rule_id) <= 255:
        raise PlanError(f"lifecycle_rule.id: {rule_id!r} must be a text of 1 to 255 characters")
    unknown = sorted(set(rule) - {"id", *(option for option, _key, _sub in LIFECYCLE_DAYS)})
    if unknown:
        raise PlanError(f"lifecycle_rule: unknown option(s) {', '.join(unknown)}")
    out = {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": ""}}
    for option, key, sub in LIFECYCLE_DAYS:
        if rule.get(option) is not None:
            out[key] = {sub: positive_int(f"lifecycle_rule.{option}", rule[option])}
    if len(out) == 3:
        raise PlanError(f"lifecycle_rule: {rule!r} sets no action; give at least one of "
                        + ", ".join(option for option, _key, _sub in LIFECYCLE_DAYS))
    return out


# ---------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------

def _resource(name):
    return f"s3_bucket {name}"


def is_ours(current):
    return tag_dict(current.get("Tags") or []).get(OWNER_TAG) == OWNER


def _refuse_foreign(current, desired, what):
    if current is not None and desired["require_owner_tag"] and not is_ours(current):
        raise PlanError(
            f"bucket {desired['name']}: exists but is not managed by this collection (no tag {OWNER_TAG}={OWNER}); "
            f"refusing to {what} it (set require_owner_tag: false to take it over)")


def encryption_rule(desired):
    if desired["encryption"] == "AES256":
        return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
    return {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": desired["kms_key_arn"]},
            "BucketKeyEnabled": desired["bucket_key_enabled"]}


def _encryption_matches(current, desired):
    rules = (current or {}).get("Rules") or []
    if len(rules) != 1:
        return False
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    if default.get("SSEAlgorithm") != desired["encryption"]:
        return False
    if desired["encryption"] == "AES256":
        return not default.get("KMSMasterKeyID")
    return default.get("KMSMasterKeyID") == desired["kms_key_arn"] and bool(rules[0].get("BucketKeyEnabled")) == desired["bucket_key_enabled"]


def lifecycle_rule_key(rule):
    """A lifecycle rule in one form: the whole-bucket filter however written, no empty or default values."""
    rule = copy.deepcopy(rule or {})
    prefix = rule.pop("Prefix", None)
    if "Filter" not in rule or rule["Filter"] in ({}, None):
        rule["Filter"] = {"Prefix": prefix or ""}
    expiration = rule.get("Expiration")
    if isinstance(expiration, dict) and expiration.get("ExpiredObjectDeleteMarker") is False:
        expiration.pop("ExpiredObjectDeleteMarker")
    return {key: value for key, value in rule.items() if value not in (None, [], {})}


def _lifecycle_after(current_rules, desired):
    """The rules after the run: ours replacing the rule of the same ID (in its place), others kept unless purged."""
    ours = desired["lifecycle_rule"]
    if desired["purge_lifecycle_rules"]:
        return [ours]
    after, placed = [], False
    for rule in current_rules:
        if rule.get("ID") == ours["ID"]:
            if not placed:
                after.append(ours)
                placed = True
            continue
        after.append(rule)
    return after if placed else after + [ours]


def _field_changes(current, desired):
    """(field, before, after) of every field that differs; ``current`` is a description or {}."""
    out = []
    have_tags = tag_dict(current.get("Tags") or [])
    want_tags = merged_tags(have_tags, desired["tags"], desired["purge_tags"] and desired["manage_tags"])
    if want_tags != have_tags:
        out.append(("Tags", current.get("Tags"), tag_list(want_tags)))
    ownership = {"Rules": [{"ObjectOwnership": OBJECT_OWNERSHIP}]}
    if current and [r.get("ObjectOwnership") for r in (current.get("OwnershipControls") or {}).get("Rules") or []] != [OBJECT_OWNERSHIP]:
        out.append(("OwnershipControls", current.get("OwnershipControls"), ownership))
    block = current.get("PublicAccessBlock") or {}
    if any(block.get(flag) is not True for flag in PUBLIC_ACCESS_BLOCK):
        out.append(("PublicAccessBlock", current.get("PublicAccessBlock"), dict(PUBLIC_ACCESS_BLOCK)))
    if not _encryption_matches(current.get("Encryption"), desired):
        out.append(("Encryption", current.get("Encryption"), {"Rules": [encryption_rule(desired)]}))
    if (current.get("Versioning") or {}).get("Status") != "Enabled":
        out.append(("Versioning", current.get("Versioning"), {"Status": "Enabled"}))
    if desired["policy"] is not None and policies_differ(current.get("Policy"), desired["policy"]):
        out.append(("Policy", current.get("Policy"), desired["policy"]))
    if desired["lifecycle_rule"] is not None:
        rules = current.get("Lifecycle") or []
        after = _lifecycle_after(rules, desired)
        if [lifecycle_rule_key(r) for r in after] != [lifecycle_rule_key(r) for r in rules]:
            out.append(("Lifecycle", current.get("Lifecycle"), after))
    return out


def tag_list(tags):
    """{key: value} as S3's TagSet, sorted by key."""
    return [{"Key": key, "Value": tags[key]} for key in sorted(tags)]


def plan_bucket(current, desired):
    """The changes that make the bucket ``current`` (describe_bucket's answer, None when absent)
    what ``desired`` (the module's options, see ``bucket_desired``) asks for, in execution order.

    Raises PlanError for invalid options and for a bucket that exists without the ownership tag
    (unless require_owner_tag is false). Whether a bucket to delete still holds objects is not
    part of the description: the module checks it before deleting.
    """
    desired = bucket_desired(desired)
    name = desired["name"]
    resource = _resource(name)
    if desired["state"] == "absent":
        if current is None:
            return []
        _refuse_foreign(current, desired, "delete")
        return [copied_change(resource, "delete", "bucket", {"Name": name}, None)]
    changes = []
    if current is None:
        changes.append(copied_change(resource, "create", "bucket", None, {
            "Name": name, "Region": desired["region"], "ObjectOwnership": OBJECT_OWNERSHIP, "Tags": tag_list(desired["tags"])}))
    else:
        _refuse_foreign(current, desired, "change")
    for field, before, after in _field_changes(current or {}, desired):
        changes.append(copied_change(resource, "create" if current is None else "update", field, before, after))
    return changes


def project_bucket(current, changes):
    """The description the bucket has once ``changes`` are made (what check mode reports)."""
    state = copy.deepcopy(current)
    for item in changes:
        if item["field"] == "bucket":
            if item["action"] == "delete":
                return None
            state = {"Name": item["after"]["Name"], "Encryption": None, "PublicAccessBlock": None,
                     "OwnershipControls": {"Rules": [{"ObjectOwnership": item["after"]["ObjectOwnership"]}]},
                     "Versioning": {"Status": ""}, "Policy": None, "Tags": None, "Lifecycle": None}
        elif state is not None and item["field"] in BUCKET_FIELDS:
            state[item["field"]] = copy.deepcopy(item["after"])
    return state
