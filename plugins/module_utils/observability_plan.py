# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The flow logs and AWS Config stages' plans: what must change for a site's audit trail to match the inventory.

Four planners, one per stage and direction, each ``(state, spec) -> plan``:

- ``plan_flowlogs``: the flow log bucket's KMS key (``plan_keys``), the hardened bucket
  (``plan_bucket``) and the VPC flow log to it (``plan_flow_log``);
- ``plan_config``: the delivery bucket's key and the bucket (when the delivery channel is ours),
  the IAM role AWS Config assumes (when the recorder is ours; what ``amazon.aws.iam_role`` and
  ``amazon.aws.iam_policy`` compare), the recorder and channel (``plan_recorder``) and the
  managed rules (``plan_rules``);
- ``plan_flowlogs_teardown`` and ``plan_config_teardown``: the removal of what carries the
  ownership tags; the buckets and keys (audit evidence) only with ``delete_audit_evidence``.

``state`` is the site state (docs/dev/site-state.md: ``buckets``, ``kms_keys``, ``iam_roles``,
``config``, ``flow_logs``, ``account_id``, ``partition``, ``region``); ``spec`` is the role's
``<role>_spec`` built in its defaults. A plan is ``{"errors", "notes", "changes", <section>...,
"result"}``: each section (``key``, ``bucket``, ``flow_log``, ``role``, ``role_policy``,
``recorder``, ``rules``) is ``{"changes", "options"}``, the options of the converge module that
carries out its changes (the same planner function decides inside the module), so a role runs a
module only when its section has changes. ``result`` is what the role publishes
(``flowlogs_result``, ``config_result``). Nothing here calls AWS.
"""

from __future__ import annotations

import copy
import json
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.config import ConfigValidationError
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import customer_recorders
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import is_recording
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import normalise_delivery_channel
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import normalise_recorder
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import normalise_rule_reply
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import plan_recorder
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import plan_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rule_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import rule_view
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import FlowLogError
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import is_owned
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import normalize_s3_arn
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import plan_flow_log
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import resolve_aggregation_interval
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import plan_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_bucket_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_delivery_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_key_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_trust_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flowlogs_bucket_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flowlogs_key_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import iam_arn
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import partition_of
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import s3_arn
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import plan_bucket

# A key that does not exist yet has no ARN: the plan shows this one in its place, and the role
# plans again with the real ARN once kms_keys has created the key (before the bucket is converged).
PLACEHOLDER_KEY_ID = str(uuid.UUID(int=0))  # the nil UUID: no key can have it
CONFIG_MANAGED_POLICY = "policy/service-role/AWS_ConfigRole"
CONFIG_INLINE_POLICY = "config-delivery"
REQUIRED_TAGS = "REQUIRED_TAGS"
OPEN_PORTS_RULE = "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS"
PLANNED = (PlanError, FlowLogError, ConfigValidationError, ValueError, KeyError, TypeError)


def _as_int(spec, key, default):
    value = spec.get(key)
    return default if value in (None, "") else int(value)


def _as_bool(value):
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


class _Stage:
    """What both stages share: the site, its names and tags, the errors and notes, the sections."""

    needs = ()
    stage = ""

    def __init__(self, state, spec, teardown=False):
        self.state = state or {}
        self.spec = spec or {}
        self.errors, self.notes = [], []
        self.sections = {}
        self.network = self.spec.get("network_name")
        self.suffix = self.spec.get("environment_suffix")
        self.account = str(self.state.get("account_id") or "")
        self.region = self.state.get("region") or ""
        self.check_mode = _as_bool(self.spec.get("check_mode"))
        self.teardown = teardown
        self.names = site_names(self.network, self.suffix, self.account)
        self.base_tags = {str(k): "" if v is None else str(v) for k, v in (self.spec.get("tags") or {}).items()}
        self.base_tags.update({"Network": str(self.network), OWNER_TAG: OWNER})
        self.check_site()

    def check_site(self):
        if not self.network or not self.suffix:
            self.errors.append(f"{self.stage}: network_name {self.network!r} and environment_suffix {self.suffix!r} must not be empty")
        missing = [key for key in ("account_id", "region", *self.needs) if key not in self.state]
        if missing:
            self.errors.append(f"{self.stage}: the site state has no {', '.join(missing)}: describe the site with the "
                               f"scope {self.stage} (site_state_scopes)")
        expected = str(self.spec.get("account_id") or "")
        if expected and self.account and expected != self.account:
            self.errors.append(f"{self.stage}_account_id: {expected!r}, but the session acts in account {self.account}: "
                               "check aws_account_id and the automation role of this host")
        legacy = self.spec.get("legacy_state")
        if legacy and not self.teardown:
            # The role's former <stage>_state variable: running main with it would converge where a teardown was meant.
            self.errors.append(f"{self.stage}_state: {legacy!r} is no longer read; the role's entry points are main (converge), info and "
                               f"absent: use include_role with tasks_from: {legacy if legacy in ('info', 'absent') else 'main'}")
        region = str(self.spec.get("region") or "")
        if region and self.region and region != self.region:
            self.errors.append(f"{self.stage}_region: {region!r}, but the session's region is {self.region}")

    def add(self, section, changes, options):
        self.sections[section] = {"changes": changes, "options": options}

    def attempt(self, what, function, *args):
        """Run one planner; a refusal or bad input becomes a plan error naming ``what``."""
        try:
            return function(*args)
        except PLANNED as exc:
            self.errors.append(f"{what}: {exc}")
            return None

    def key_arn(self, alias):
        """(ARN, exists) of the key behind the alias; the placeholder while it does not exist (or is to be recovered)."""
        described = (self.state.get("kms_keys") or {}).get(alias)
        if described and (described.get("KeyMetadata") or {}).get("Arn"):
            return described["KeyMetadata"]["Arn"], True
        return f"arn:{partition_of(self.region or 'us-east-1')}:kms:{self.region}:{self.account}:key/{PLACEHOLDER_KEY_ID}", False

    def placeholder_text(self, alias):
        return f"(the ARN of {alias}, created by this run)"

    def plan(self):
        out = {"errors": list(dict.fromkeys(self.errors)), "notes": list(dict.fromkeys(self.notes)), "changes": []}
        for name, section in self.sections.items():
            out[name] = section
            out["changes"].extend(section["changes"])
        return out


def _replace_text(value, old, new):
    """``value`` with every string ``old`` (also within longer strings) replaced by ``new``."""
    if isinstance(value, dict):
        return {key: _replace_text(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_text(item, old, new) for item in value]
    if isinstance(value, str):
        return value.replace(old, new)
    return value


# ---------------------------------------------------------------------------
# Hardened bucket and its key (one copy for both stages)
# ---------------------------------------------------------------------------

def _key_options(stage, alias, description, policy, state="present"):
    return {"keys": [{"alias": alias, "description": description, "policy": policy, "enable_key_rotation": True,
                      "tags": dict(stage.base_tags)}],
            "state": state, "purge_tags": True, "recover_pending": True,
            "pending_window_days": _as_int(stage.spec, "key_deletion_window", 30)}


def _bucket_options(stage, name, key_arn, policy, lifecycle_id):
    spec = stage.spec
    encryption = spec.get("bucket_encryption") or "aws:kms"
    return {
        "name": name, "state": "present", "region": stage.region, "encryption": encryption,
        "kms_key_arn": key_arn if encryption == "aws:kms" else None, "bucket_key_enabled": True, "policy": policy,
        "tags": dict(stage.base_tags, Name=name), "purge_tags": True, "require_owner_tag": True, "purge_lifecycle_rules": False,
        "lifecycle_rule": {"id": lifecycle_id, "expiration_days": _as_int(spec, "retention_days", 365),
                           "noncurrent_version_expiration_days": _as_int(spec, "noncurrent_retention_days", 30),
                           "abort_incomplete_multipart_upload_days": _as_int(spec, "abort_incomplete_upload_days", 7)},
    }


def plan_audit_store(stage, bucket_name, alias, key_description, key_policy, bucket_policy_of, lifecycle_id):
    """Sections ``key`` and ``bucket``: the rotating key and the hardened bucket encrypted with it.

    bucket_policy_of: the bucket policy function of policies.py (region, account_id, bucket_name).
    Returns the key ARN the rest of the stage uses (the placeholder while the key is to be created).
    """
    encryption = stage.spec.get("bucket_encryption") or "aws:kms"
    key_arn, exists = stage.key_arn(alias)
    if encryption == "aws:kms":
        options = _key_options(stage, alias, key_description, key_policy)
        changes = stage.attempt(f"kms key {alias}", plan_keys, stage.state.get("kms_keys") or {}, options)
        stage.add("key", changes or [], options)
    else:
        stage.add("key", [], {})
        key_arn, exists = None, True
    options = _bucket_options(stage, bucket_name, key_arn, bucket_policy_of(stage.region, stage.account, bucket_name), lifecycle_id)
    changes = stage.attempt(f"bucket {bucket_name}", plan_bucket, (stage.state.get("buckets") or {}).get(bucket_name), options)
    if not exists:
        changes = _replace_text(changes or [], key_arn, stage.placeholder_text(alias))
    stage.add("bucket", changes or [], options)
    return key_arn, exists


def plan_audit_store_removal(stage, bucket_name, alias, keep_reason=None):
    """Sections ``bucket`` and ``key`` of a teardown: deleted (every version, key scheduled) only with
    delete_audit_evidence; otherwise kept, and said so."""
    bucket = (stage.state.get("buckets") or {}).get(bucket_name)
    described_key = (stage.state.get("kms_keys") or {}).get(alias)
    window = _as_int(stage.spec, "key_deletion_window", 30)
    if not _as_bool(stage.spec.get("delete_audit_evidence")) or keep_reason:
        stage.add("bucket", [], {})
        stage.add("key", [], {})
        kept = [what for what, found in ((f"bucket {bucket_name}", bucket), (f"key {alias}", described_key)) if found]
        if kept:
            why = keep_reason or (f"audit evidence: kept for the auditors' retention of {_as_int(stage.spec, 'retention_days', 365)} "
                                  f"days; set delete_audit_evidence to delete it")
            stage.notes.append(f"kept {' and '.join(kept)} ({why})")
        return
    options = {"name": bucket_name, "state": "absent", "force": True, "require_owner_tag": True}
    changes = stage.attempt(f"bucket {bucket_name}", plan_bucket, bucket, options)
    stage.add("bucket", changes or [], options)
    options = {"keys": [{"alias": alias}], "state": "absent", "pending_window_days": window}
    changes = stage.attempt(f"kms key {alias}", plan_keys, stage.state.get("kms_keys") or {}, options)
    stage.add("key", changes or [], options)


# ---------------------------------------------------------------------------
# Flow logs stage
# ---------------------------------------------------------------------------

class _FlowLogs(_Stage):
    needs = ("buckets", "kms_keys", "flow_logs")
    stage = "flowlogs"

    def __init__(self, state, spec, teardown=False):
        super().__init__(state, spec, teardown)
        self.bucket = self.names["flowlogs_bucket"]
        self.bucket_arn = s3_arn(self.region or "us-east-1", self.bucket) if self.bucket else ""
        self.alias = self.names["flowlogs_key_alias"]
        self.vpc = self.state.get("vpc")

    def flow_log_options(self, state="present"):
        spec = self.spec
        options = {"resource_id": (self.vpc or {}).get("VpcId"), "log_destination_type": "s3",
                   "log_destination": self.bucket_arn, "state": state, "require_owner_tag": True}
        if state == "absent":
            return options
        interval = _as_int(spec, "max_aggregation_interval", 0)
        options.update(traffic_type=spec.get("traffic_type") or "ALL", log_format=spec.get("log_format") or None,
                       tags=dict(self.base_tags, Name=self.names["flow_log"]), purge_tags=True)
        if interval:
            options["max_aggregation_interval"] = interval
        else:
            options["capture_interval"] = _as_int(spec, "capture_interval", 300)
        return options

    def present(self):
        if self.errors:
            return self
        description = f"Encrypts the VPC flow logs of {self.network} in s3://{self.bucket}"
        plan_audit_store(self, self.bucket, self.alias, description,
                         flowlogs_key_policy(self.region, self.account, self.alias), flowlogs_bucket_policy, "flowlogs-retention")
        options = self.flow_log_options()
        interval = self.attempt("flowlogs_capture_interval", resolve_aggregation_interval,
                                options.get("max_aggregation_interval"), options.get("capture_interval"))
        if interval and interval[1]:
            self.notes.append(f"flow log {self.names['flow_log']}: {interval[1]}")
        if self.vpc is None:
            if not self.check_mode:
                self.errors.append(f"flow log {self.names['flow_log']}: the site's VPC {self.names['vpc']} does not exist; "
                                   "run the network stage (playbooks/network.yml) first")
                return self
            planned = {"ResourceId": f"(the VPC {self.names['vpc']}, planned by the network stage)", "LogDestination": self.bucket_arn,
                       "TrafficType": options["traffic_type"], "MaxAggregationInterval": interval[0] if interval else None,
                       "Tags": options["tags"]}
            self.add("flow_log", [{"resource": f"flow_log {self.names['flow_log']}", "action": "create", "field": "flow_log",
                                   "before": None, "after": planned, "id": None}], options)
            return self
        changes = self.attempt(f"flow log {self.names['flow_log']}", plan_flow_log, self.state.get("flow_logs") or [], options)
        self.add("flow_log", changes or [], options)
        return self

    def absent(self):
        if self.errors:
            return self
        if self.vpc is not None:
            options = self.flow_log_options("absent")
            changes = self.attempt(f"flow log {self.names['flow_log']}", plan_flow_log, self.state.get("flow_logs") or [], options)
            self.add("flow_log", changes or [], options)
        else:
            self.add("flow_log", [], {})
        plan_audit_store_removal(self, self.bucket, self.alias)
        return self

    def result(self):
        key = (self.state.get("kms_keys") or {}).get(self.alias) or {}
        ours = [fl for fl in self.state.get("flow_logs") or [] if fl.get("LogDestinationType") == "s3" and is_owned(fl)
                and normalize_s3_arn(fl.get("LogDestination")) == self.bucket_arn and fl.get("ResourceId") == (self.vpc or {}).get("VpcId")]
        encrypted = (self.spec.get("bucket_encryption") or "aws:kms") == "aws:kms"
        return {
            "flowlogs_bucket": self.bucket if (self.state.get("buckets") or {}).get(self.bucket) else "",
            "flowlogs_bucket_arn": self.bucket_arn if (self.state.get("buckets") or {}).get(self.bucket) else "",
            "flowlogs_kms_key_arn": ((key.get("KeyMetadata") or {}).get("Arn") or "") if encrypted else "",
            "flow_log_id": ours[0]["FlowLogId"] if ours else "",
        }


def plan_flowlogs(state, spec):
    """The flow logs stage's plan: key, bucket and flow_log sections, notes (the interval mapping) and result."""
    stage = _FlowLogs(state, spec).present()
    return dict(stage.plan(), result=stage.result())


def plan_flowlogs_teardown(state, spec):
    """Removing the flow logs stage: our flow log; the bucket and key only with delete_audit_evidence."""
    stage = _FlowLogs(state, spec, teardown=True).absent()
    return dict(stage.plan(), result=stage.result())


# ---------------------------------------------------------------------------
# The IAM role AWS Config assumes: what amazon.aws.iam_role and iam_policy compare
# ---------------------------------------------------------------------------

def _role_change(name, action, field, before, after):
    return {"resource": f"iam_role {name}", "action": action, "field": field, "before": copy.deepcopy(before), "after": copy.deepcopy(after)}


def plan_service_role(described, desired):
    """The changes that converge a service role, as amazon.aws.iam_role and amazon.aws.iam_policy decide them.

    described: discovery.describe_role's answer (Role, InlinePolicies, AttachedPolicies, Tags) or None.
    desired: name, trust (dict), description, max_session_duration (None: not compared), managed_policies
    (ARNs; others are detached: purge_policies), inline_policies ({name: document}; others are left, as
    iam_policy leaves them), tags (purge_tags), state.
    iam_role compares the trust policy with compare_policies, the description and the maximum session
    duration by equality when given, the tags with compare_aws_tags, the managed policies as sets;
    iam_policy compares each named inline policy with compare_policies. Returns (role changes, inline policy
    changes); a role without ``ManagedBy`` refuses the plan (PlanError).
    """
    name = desired["name"]
    if desired.get("state") == "absent":
        if described is None:
            return [], []
        _refuse_foreign_role(described, desired, "delete")
        return [_role_change(name, "delete", "role", {"RoleName": name}, None)], []
    if described is None:
        after = {"AssumeRolePolicyDocument": desired["trust"], "Description": desired.get("description"),
                 "AttachedPolicies": sorted(desired["managed_policies"]), "Tags": desired["tags"]}
        inline = [{"resource": f"iam_role_policy {name}/{policy}", "action": "create", "field": "PolicyDocument",
                   "before": None, "after": copy.deepcopy(document)} for policy, document in sorted(desired["inline_policies"].items())]
        return [_role_change(name, "create", "role", None, after)], inline
    _refuse_foreign_role(described, desired, "change")
    role = described.get("Role") or {}
    changes = []
    if compare_policies(role.get("AssumeRolePolicyDocument") or {}, desired["trust"]):
        changes.append(_role_change(name, "update", "AssumeRolePolicyDocument", role.get("AssumeRolePolicyDocument"), desired["trust"]))
    if desired.get("description") is not None and role.get("Description") != desired["description"]:
        changes.append(_role_change(name, "update", "Description", role.get("Description"), desired["description"]))
    if desired.get("max_session_duration") is not None and role.get("MaxSessionDuration") != desired["max_session_duration"]:
        changes.append(_role_change(name, "update", "MaxSessionDuration", role.get("MaxSessionDuration"), desired["max_session_duration"]))
    current_tags = tag_dict(role.get("Tags") if role.get("Tags") is not None else described.get("Tags"))
    to_set, to_unset = compare_aws_tags(current_tags, desired["tags"], purge_tags=True)
    if to_set or to_unset:
        after = {k: v for k, v in current_tags.items() if k not in to_unset}
        after.update(to_set)
        changes.append(_role_change(name, "update", "Tags", current_tags, after))
    attached = sorted(p["PolicyArn"] for p in described.get("AttachedPolicies") or [])
    if set(attached) != set(desired["managed_policies"]):
        changes.append(_role_change(name, "update", "AttachedPolicies", attached, sorted(desired["managed_policies"])))
    inline = []
    for policy, document in sorted(desired["inline_policies"].items()):
        current = (described.get("InlinePolicies") or {}).get(policy)
        if current is None or compare_policies(current, document):
            inline.append({"resource": f"iam_role_policy {name}/{policy}", "action": "create" if current is None else "update",
                           "field": "PolicyDocument", "before": copy.deepcopy(current), "after": copy.deepcopy(document)})
    return changes, inline


def _refuse_foreign_role(described, desired, what):
    tags = tag_dict((described.get("Role") or {}).get("Tags") or described.get("Tags"))
    owner = desired.get("owner_tags") or {OWNER_TAG: OWNER}
    if any(tags.get(key) != value for key, value in owner.items()):
        raise PlanError(f"IAM role {desired['name']} exists but does not carry the tags {owner}; refusing to {what} it "
                        "(it is someone else's: choose another network name, or tag it to hand it over)")


# ---------------------------------------------------------------------------
# AWS Config stage
# ---------------------------------------------------------------------------

class _Config(_Stage):
    needs = ("buckets", "kms_keys", "iam_roles", "config")
    stage = "config"

    def __init__(self, state, spec, teardown=False):
        super().__init__(state, spec, teardown)
        self.bucket = self.names["config_bucket"]
        self.alias = self.names["config_key_alias"]
        self.role = self.names["config_role"]
        self.recorder_name = self.names["config_recorder"]
        self.channel = self.names["config_channel"]
        self.config = self.state.get("config") or {}
        self.rule_suffix = f"-{self.network}-{self.suffix}"
        self.owner_tags = {OWNER_TAG: OWNER, "Network": str(self.network)}
        self.recording = None

    # ---------------------------------------------------------- inputs
    def rule_specs(self):
        """The rules option of config_rules: <slug>-<network>-<suffix> names, a Name tag each.

        A REQUIRED_TAGS rule without input_parameters gets tag1Key, tag2Key, ... from required_tag_keys; a
        VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS rule gets allowed_ports (the exceptions) as authorizedTcpPorts
        unless it sets them itself: none by default, so any world-open ingress is non-compliant.
        """
        rules = []
        tag_keys = [str(key) for key in self.spec.get("required_tag_keys") or []]
        ports = [int(port) for port in self.spec.get("allowed_ports") or []]
        for rule in self.spec.get("rules") or []:
            entry = {key: copy.deepcopy(value) for key, value in rule.items() if key != "slug" and value is not None}
            entry["name"] = f"{rule.get('slug')}{self.rule_suffix}"
            entry["tags"] = dict(entry.get("tags") or {}, Name=entry["name"])
            if entry.get("source_identifier") == REQUIRED_TAGS and "input_parameters" not in entry and tag_keys:
                entry["input_parameters"] = {f"tag{index}Key": key for index, key in enumerate(tag_keys[:6], start=1)}
            if entry.get("source_identifier") == OPEN_PORTS_RULE and ports:
                entry["input_parameters"] = dict(entry.get("input_parameters") or {})
                entry["input_parameters"].setdefault("authorizedTcpPorts", ports)
            rules.append(entry)
        return rules

    def required_types(self):
        return sorted({t for rule in self.spec.get("rules") or [] for t in ((rule.get("scope") or {}).get("compliance_resource_types") or [])})

    def role_arn(self):
        return iam_arn(self.region or "us-east-1", self.account, f"role/{self.role}") if self.account else None

    def recorder_options(self, key_arn, state="present"):
        spec = self.spec
        channel = {"name": self.channel, "s3_bucket_name": self.bucket,
                   "delivery_frequency": spec.get("delivery_frequency") or "TwentyFour_Hours"}
        if (spec.get("bucket_encryption") or "aws:kms") == "aws:kms" and key_arn:
            channel["s3_kms_key_arn"] = key_arn
        options = {"name": self.recorder_name, "state": state, "delivery_channel": channel}
        if state == "absent":
            return options
        options.update(role_arn=self.role_arn(), reuse_existing=_as_bool(spec.get("reuse_existing", True)), recording=True,
                       recording_group={"all_supported": True,
                                        "include_global_resource_types": _as_bool(spec.get("include_global_resource_types"))},
                       start_reused=_as_bool(spec.get("start_reused_recorder")), required_resource_types=self.required_types())
        return options

    def rules_options(self, state="present", names=None):
        if state == "absent":
            return {"state": "absent", "rules": [{"name": name} for name in names], "owner_tags": self.owner_tags}
        return {"rules": self.rule_specs(), "tags": dict(self.base_tags), "purge_tags": True, "purge": True,
                "purge_suffix": self.rule_suffix, "owner_tags": self.owner_tags}

    def ours(self, rule):
        tags = rule_tags(rule) or {}
        return rule.get("ConfigRuleName", "").endswith(self.rule_suffix) and all(tags.get(k) == v for k, v in self.owner_tags.items())

    # ---------------------------------------------------------- present
    def present(self):
        if self.errors:
            return self
        # Who owns the recorder and the channel decides whether a bucket, key and role of ours are needed.
        key_arn, key_exists = self.key_arn(self.alias)
        options = self.recorder_options(key_arn)
        recorder = self.attempt("configuration recorder", plan_recorder, self.config, options)
        if recorder is None:
            return self
        self.notes.extend(recorder["notes"])
        self.recording = recorder
        if recorder["channel_reused"]:
            self.add("key", [], {})
            self.add("bucket", [], {})
            self.notes.append(f"the delivery channel {recorder['delivery_channel']['name']!r} is not ours (reused): it delivers to "
                              f"s3://{recorder['delivery_channel']['s3_bucket_name']}; no bucket or key of ours is needed")
        else:
            description = f"Encrypts the AWS Config deliveries of {self.network} in s3://{self.bucket}"
            key_arn, key_exists = plan_audit_store(self, self.bucket, self.alias, description,
                                                   config_key_policy(self.region, self.account, self.alias), config_bucket_policy,
                                                   "config-retention")
        if recorder["reused"]:
            self.add("role", [], {})
            self.add("role_policy", [], {})
        else:
            self.plan_role(key_arn if not recorder["channel_reused"] else None, key_exists)
        changes = recorder["changes"]
        if not key_exists and key_arn:
            changes = _replace_text(changes, key_arn, self.placeholder_text(self.alias))
        self.add("recorder", changes, options)
        rules = self.attempt("config rules", plan_rules, self.config.get("rules") or [], self.rules_options())
        self.add("rules", rules or [], self.rules_options())
        ports = self.spec.get("allowed_ports") or []
        if ports:
            self.notes.append(f"config_allowed_ports {list(ports)}: security groups open to 0.0.0.0/0 or ::/0 on these TCP ports count as "
                              "compliant with VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS (an exception to the no-world-ingress policy)")
        return self

    def plan_role(self, key_arn, key_exists):
        encrypted = (self.spec.get("bucket_encryption") or "aws:kms") == "aws:kms"
        partition = partition_of(self.region or "us-east-1")
        desired = {
            "name": self.role, "trust": config_trust_policy(self.region, self.account),
            "description": f"AWS Config recorder of {self.network} ({self.suffix})",
            "managed_policies": [f"arn:{partition}:iam::aws:{CONFIG_MANAGED_POLICY}"],
            "inline_policies": {CONFIG_INLINE_POLICY: config_delivery_policy(self.region, self.account, self.bucket,
                                                                             key_arn if encrypted else None)},
            "tags": dict(self.base_tags, Name=self.role), "owner_tags": self.owner_tags,
        }
        planned = self.attempt(f"IAM role {self.role}", plan_service_role, (self.state.get("iam_roles") or {}).get(self.role), desired)
        role_changes, policy_changes = planned or ([], [])
        if not key_exists and key_arn:
            policy_changes = _replace_text(policy_changes, key_arn, self.placeholder_text(self.alias))
            role_changes = _replace_text(role_changes, key_arn, self.placeholder_text(self.alias))
        self.add("role", role_changes, {
            "name": self.role, "assume_role_policy_document": json.dumps(desired["trust"], sort_keys=True),
            "description": desired["description"], "managed_policies": desired["managed_policies"], "purge_policies": True,
            "tags": desired["tags"], "purge_tags": True})
        self.add("role_policy", policy_changes, {
            "iam_type": "role", "iam_name": self.role, "policy_name": CONFIG_INLINE_POLICY,
            "policy_json": json.dumps(desired["inline_policies"][CONFIG_INLINE_POLICY], sort_keys=True)})

    # ---------------------------------------------------------- absent
    def absent(self):
        if self.errors:
            return self
        names = sorted(r["ConfigRuleName"] for r in self.config.get("rules") or [] if self.ours(r))
        if names:
            changes = self.attempt("config rules", plan_rules, self.config.get("rules") or [], self.rules_options("absent", names))
            self.add("rules", changes or [], self.rules_options("absent", names))
        else:
            self.add("rules", [], {})
        options = self.recorder_options(None, "absent")
        recorder = self.attempt("configuration recorder", plan_recorder, self.config, options)
        if recorder is not None:
            self.notes.extend(recorder["notes"])
            self.add("recorder", recorder["changes"], options)
        described = (self.state.get("iam_roles") or {}).get(self.role)
        desired = {"name": self.role, "state": "absent", "owner_tags": self.owner_tags}
        planned = self.attempt(f"IAM role {self.role}", plan_service_role, described, desired)
        self.add("role", (planned or ([], []))[0], {"name": self.role, "state": "absent"})
        # A delivery channel that stays (not ours) and delivers to our bucket keeps the bucket: no channel may point at a deleted one.
        leaning = [c["name"] for c in self.config.get("delivery_channels") or []
                   if c.get("name") != self.channel and c.get("s3BucketName") == self.bucket]
        reason = (f"the delivery channel {', '.join(leaning)}, which is not ours, delivers to it" if leaning else None)
        plan_audit_store_removal(self, self.bucket, self.alias, reason)
        return self

    # ---------------------------------------------------------- outputs
    def in_use(self):
        """(recorder, channel, recording) in use now: ours or the reused ones, normalised."""
        recorders = customer_recorders(self.config)
        recorder = next((r for r in recorders if r.get("name") == self.recorder_name), None) or next(iter(recorders), None)
        channels = self.config.get("delivery_channels") or []
        channel = next((c for c in channels if c.get("name") == self.channel), None) or next(iter(channels), None)
        recording = is_recording(self.config, recorder["name"]) if recorder else False
        return normalise_recorder(recorder), normalise_delivery_channel(channel), recording

    def result(self):
        recorder, channel, recording = self.in_use()
        rules = sorted(r["ConfigRuleName"] for r in self.config.get("rules") or [] if self.ours(r))
        return {
            "config_bucket": (channel or {}).get("s3_bucket_name") or "",
            "config_recorder_name": (recorder or {}).get("name") or "",
            "config_recorder_reused": bool(recorder) and recorder["name"] != self.recorder_name,
            "config_recorder_recording": recording,
            "config_rule_names": rules,
        }

    def info(self):
        """The recorder, channel and rules as verification reads them (config_info)."""
        recorder, channel, recording = self.in_use()
        planned = {}
        for item in (self.sections.get("rules") or {}).get("changes") or []:
            name = item["resource"].split(" ", 1)[1]
            planned[name] = "created" if item["action"] == "create" else planned.get(name) or f"{item['action']}d"  # updated, deleted
        described = {r["ConfigRuleName"]: r for r in self.config.get("rules") or []}
        rules = []
        for spec in self.rule_specs():
            reply = described.get(spec["name"])
            entry = rule_view(normalise_rule_reply(reply), rule_tags(reply)) if reply else {"name": spec["name"]}
            entry["action"] = planned.get(spec["name"], "unchanged")
            rules.append(entry)
        return {
            "recorder": recorder, "recording": recording, "delivery_channel": channel,
            "recorder_reused": bool(recorder) and recorder["name"] != self.recorder_name,
            "delivery_channel_reused": bool(channel) and channel["name"] != self.channel,
            "rules": rules,
        }


def plan_config(state, spec):
    """The AWS Config stage's plan: key, bucket, role, role_policy, recorder and rules sections, notes, result and info."""
    stage = _Config(state, spec).present()
    out = dict(stage.plan(), result=stage.result())
    out["info"] = stage.info() if not stage.errors else {}
    return out


def plan_config_teardown(state, spec):
    """Removing the AWS Config stage: our rules, recorder, channel and role; the bucket and key only with delete_audit_evidence."""
    stage = _Config(state, spec, teardown=True).absent()
    return dict(stage.plan(), result=stage.result())


# ---------------------------------------------------------------------------
# Record: the converge modules' answers merged into the site state
# ---------------------------------------------------------------------------

def merge_results(state, results):
    """The site state with what the converge modules returned merged in (their answers share its shapes).

    results: registered results of kms_keys (``kms_keys``), secure_bucket (``bucket``), vpc_flow_log
    (``flow_logs``), config_recorder (``config``) and config_rules (``config_rules``); skipped and failed
    ones are ignored.
    """
    out = copy.deepcopy(state or {})
    for result in results or []:
        if not isinstance(result, dict) or result.get("skipped") or result.get("failed"):
            continue
        if isinstance(result.get("kms_keys"), dict):
            out["kms_keys"] = dict(out.get("kms_keys") or {}, **copy.deepcopy(result["kms_keys"]))
        if "bucket" in result and result.get("changes"):
            name = (result["bucket"] or {}).get("Name") or result["changes"][0]["resource"].split(" ", 1)[1]
            out["buckets"] = dict(out.get("buckets") or {}, **{name: copy.deepcopy(result["bucket"])})
        if isinstance(result.get("flow_logs"), list):
            gone = {c.get("id") for c in result.get("changes") or []} | {fl.get("FlowLogId") for fl in result["flow_logs"]}
            resources = {fl.get("ResourceId") for fl in result["flow_logs"]}
            kept = [fl for fl in out.get("flow_logs") or [] if fl.get("FlowLogId") not in gone and fl.get("ResourceId") not in resources]
            out["flow_logs"] = kept + copy.deepcopy(result["flow_logs"])
        if isinstance(result.get("config"), dict):
            recording = {key: copy.deepcopy(result["config"].get(key) or []) for key in ("recorders", "recorder_status", "delivery_channels")}
            out["config"] = dict(out.get("config") or {}, **recording)
        if isinstance(result.get("config_rules"), list):
            touched = {c["resource"].split(" ", 1)[1] for c in result.get("changes") or []}
            touched |= {r["ConfigRuleName"] for r in result["config_rules"]}
            config = dict(out.get("config") or {})
            config["rules"] = [r for r in config.get("rules") or [] if r.get("ConfigRuleName") not in touched] + copy.deepcopy(
                [r for r in result["config_rules"] if r.get("ConfigRuleName") in touched])
            out["config"] = config
    return out
