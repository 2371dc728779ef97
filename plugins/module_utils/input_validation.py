# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Validate role inputs against the roles' own argument specs, before any AWS change.

``validate_inputs(specs, values)`` returns a list of messages (empty: valid).
``specs`` maps a role name to that role's parsed ``argument_specs`` (every
entry point; the whole ``meta/argument_specs.yml`` document is accepted too),
``values`` maps a variable name to the value the run would use, already
templated. Every message starts with the full path of the variable at fault
(``security_extra_ingress_rules[0].ports[1]``) and shows the bad value as JSON.
No input shape makes it raise.

Two layers:

* Structural checks, derived from the argument specs only: ``type`` (strict,
  see below), ``choices`` (of each element for lists), ``elements``,
  ``options`` of dicts and of lists of dicts, recursively (unknown keys with the
  closest known key, ``required`` keys, ``aliases``), ``no_log`` (the value is
  withheld from messages) and, for the roles in ``required_roles``, options with
  ``required: true``. Other argspec keys (``mutually_exclusive``,
  ``required_if`` ...) are not used by the roles and are not checked.
* Semantic checks the argument spec format cannot express (it has no min/max,
  patterns or cross-option rules): ``SEMANTIC_CHECKS``, one named function per
  constraint, keyed by variable name. A semantic check judges only values of
  the declared type; a value of the wrong type is reported once, by the
  structural layer.

Types are strict, because Ansible's own role argument validation converts
silently (``"443"`` becomes 443, ``"443,5432"`` becomes a list, ``"yes"``
becomes true) while the role's tasks keep the raw value:

* ``int`` accepts integers only: no numeric strings, floats or booleans.
* ``float`` accepts integers and floats, not strings or booleans.
* ``bool`` accepts ``true``/``false`` only, not ``"yes"``, ``"true"``, 0 or 1:
  a string is truthy in Jinja whatever it says (``"false"`` is true), and
  ansible-core refuses a non-boolean conditional result.
* ``str`` and ``path`` accept strings only; numbers must be quoted, so an
  account ID keeps its leading zeros.
* ``list`` accepts lists only, never a comma-separated string.
* ``dict`` accepts mappings only.
* null is refused for every type but ``raw``: it overrides the role default
  with nothing. ``raw`` and other types are not checked.

This module runs on the controller only (filter ``role_input_errors``).
"""

from __future__ import annotations

import difflib
import importlib
import json
import math
import re
from collections.abc import Mapping

from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import validate_dashboard_name, validate_period
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import ConfigValidationError, validate_rule, validate_tags
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import EndpointError, service_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import (
    FORMAT_TOKEN_RE,
    FlowLogError,
    normalize_log_format,
    resolve_aggregation_interval,
)
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import (
    ACCOUNT_ID_RE,
    EXTERNAL_ID_RE,
    IDENTIFIER_RE,
    ROLE_ARN_RE,
    trusted_principal_problem,
)

WITHHELD = "(value withheld)"
SHOW_MAX = 200
INT_TEXT_RE = re.compile(r"^\s*[+-]?\d+\s*$")
FLOAT_TEXT_RE = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")
BOOL_WORDS = ("yes", "no", "true", "false", "on", "off", "y", "n", "1", "0")

EXPECTED = {
    "str": "a string",
    "path": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "a boolean",
    "list": "a list",
    "dict": "a dict",
}


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


TYPE_TESTS = {
    "str": lambda value: isinstance(value, str),
    "path": lambda value: isinstance(value, str),
    "int": _is_int,
    "float": _is_number,
    "bool": lambda value: isinstance(value, bool),
    "list": lambda value: isinstance(value, (list, tuple)),
    "dict": lambda value: isinstance(value, Mapping),
}


# ---------------------------------------------------------------- messages


def _json_default(value):
    return repr(value)


def show(value, no_log=False):
    """The value as JSON for a message, shortened; never raises."""
    if no_log:
        return WITHHELD
    try:
        text = json.dumps(value, default=_json_default, ensure_ascii=False)
    except Exception:  # pylint: disable=broad-except
        # Circular or otherwise unserialisable values.
        try:
            text = repr(value)
        except Exception:  # pylint: disable=broad-except
            text = "<unprintable %s>" % type(value).__name__
    if len(text) > SHOW_MAX:
        text = text[: SHOW_MAX - 3] + "..."
    return text


def _at(path, key):
    """Path of a dict key: ``path.key`` for identifiers, ``path["odd key"]`` otherwise."""
    if isinstance(key, str) and IDENTIFIER_RE.match(key):
        return "%s.%s" % (path, key)
    return "%s[%s]" % (path, show(key))


def _items(path, value):
    """(path[i], item) for each item of a list; nothing for a non-list (the type check reports it)."""
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield "%s[%d]" % (path, index), item


def _kind(value):
    if value is None:
        return "null"
    for types, name in ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
                        (Mapping, "a dict"), ((list, tuple), "a list")):
        if isinstance(value, types):
            return name
    return "a %s" % type(value).__name__


def _closest(word, candidates):
    """The candidate closest to word (case-insensitive), or None."""
    if not isinstance(word, str):
        return None
    texts = [c for c in candidates if isinstance(c, str)]
    for candidate in texts:
        if candidate.lower() == word.lower():
            return candidate
    # An abbreviation ("dns" for dns_resolution) scores low with difflib.
    prefixed = [c for c in texts if len(word) >= 3 and c.lower().startswith(word.lower())]
    if len(prefixed) == 1:
        return prefixed[0]
    lowered = {c.lower(): c for c in texts}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _type_hint(kind, value):
    """How to write the value so that it has the declared type."""
    if isinstance(value, str):
        if kind == "int" and INT_TEXT_RE.match(value):
            return "; write %d without quotes" % int(value)
        if kind == "float" and FLOAT_TEXT_RE.match(value):
            return "; write %s without quotes" % value.strip()
        if kind == "bool" and value.strip().lower() in BOOL_WORDS:
            return "; write true or false without quotes"
        if kind == "list":
            return "; write a YAML list such as [%s]" % ", ".join(part.strip() for part in value.split(",") if part.strip())
    if kind == "bool" and _is_int(value):
        return "; write true or false"
    if kind in ("str", "path") and isinstance(value, (int, float)):
        return "; quote it"
    return ""


def _type_message(path, value, kind, no_log):
    if value is None:
        return "%s: null is not %s; give a value or leave the setting out" % (path, EXPECTED[kind])
    return "%s: %s is %s, not %s%s" % (path, show(value, no_log), _kind(value), EXPECTED[kind], _type_hint(kind, value))


# -------------------------------------------------------- structural checks


def _spec_type(spec):
    kind = spec.get("type", "str")  # Ansible's default type
    return kind if isinstance(kind, str) else "raw"


def _in_choices(value, choices):
    # True == 1 in Python: a boolean only matches a boolean choice.
    return any(value == choice and isinstance(value, bool) == isinstance(choice, bool) for choice in choices)


def _check_choice(path, value, spec):
    choices = spec.get("choices")
    if not isinstance(choices, (list, tuple)) or _in_choices(value, choices):
        return []
    close = _closest(value, choices)
    hint = " (did you mean %s?)" % show(close) if close is not None else ""
    return ["%s: %s is not one of %s%s" % (path, show(value, spec.get("no_log")), show(list(choices)), hint)]


def _element_spec(spec):
    """The spec each item of a list option must meet (choices and options apply per item)."""
    element = {"type": spec.get("elements", "raw"), "choices": spec.get("choices"), "no_log": spec.get("no_log")}
    if element["type"] == "dict":
        element["options"] = spec.get("options")
    return element


def _masked(value, options):
    """A copy of a dict for display, with no_log options withheld."""
    return {key: WITHHELD if isinstance(options.get(key), Mapping) and options[key].get("no_log") else item
            for key, item in value.items()}


def _accepted_keys(options):
    """Every key a dict may use -> the option it sets (names and aliases)."""
    accepted = {}
    for name, spec in options.items():
        accepted[name] = name
        aliases = spec.get("aliases") if isinstance(spec, Mapping) else None
        for alias in aliases if isinstance(aliases, (list, tuple)) else ():
            if isinstance(alias, str):
                accepted.setdefault(alias, name)
    return accepted


def _unknown_key_message(path, key, known, shown):
    close = _closest(key, known)
    if close is not None:
        hint = "did you mean '%s'?" % close
    else:
        hint = "known keys: %s" % ", ".join("'%s'" % name for name in known)
    return "%s: unknown key (%s); value %s" % (_at(path, key), hint, shown)


def _check_options(path, value, options):
    """Unknown keys, missing required keys and each given key of a dict with options."""
    accepted = _accepted_keys(options)
    shown = show(_masked(value, options))
    messages = [_unknown_key_message(path, key, list(options), shown) for key in value if key not in accepted]
    for name, spec in options.items():
        if not isinstance(spec, Mapping):
            continue
        given = [key for key, option in accepted.items() if option == name and key in value]
        if not given:
            if spec.get("required") is True:
                messages.append("%s: missing required key; value %s" % (_at(path, name), shown))
            continue
        messages += check_value(_at(path, given[0]), value[given[0]], spec)
    return messages


def check_value(path, value, spec):
    """Structural messages for one value against one option spec (type, choices, elements, options)."""
    if not isinstance(spec, Mapping):
        return []
    kind = _spec_type(spec)
    test = TYPE_TESTS.get(kind)
    if test is not None and not test(value):
        return [_type_message(path, value, kind, spec.get("no_log"))]
    if kind == "list":
        element = _element_spec(spec)
        return [message for item_path, item in _items(path, value) for message in check_value(item_path, item, element)]
    messages = [] if value is None else _check_choice(path, value, spec)
    if kind == "dict" and isinstance(spec.get("options"), Mapping):
        messages += _check_options(path, value, spec["options"])
    return messages


# ------------------------------------------------------------- the specs


def entry_points(role_specs):
    """A role's entry points -> spec; accepts the whole argument_specs.yml document too."""
    if isinstance(role_specs, Mapping) and set(role_specs) == {"argument_specs"}:
        role_specs = role_specs["argument_specs"]
    return role_specs if isinstance(role_specs, Mapping) else {}


def declared_options(specs):
    """{variable name: [(role, option spec), ...]} over every entry point of every role."""
    declared = {}
    if not isinstance(specs, Mapping):
        return declared
    for role in sorted(specs, key=str):
        for entry in entry_points(specs[role]).values():
            options = entry.get("options") if isinstance(entry, Mapping) else None
            for name, spec in options.items() if isinstance(options, Mapping) else ():
                if isinstance(name, str) and isinstance(spec, Mapping):
                    declared.setdefault(name, []).append((role, spec))
    return declared


class _Context:
    """What a semantic check may read besides its own value.

    Other inputs (falling back to their argspec default), and the variable
    names allowed to hold an open CIDR: security_open_cidr_exceptions when it is
    among the inputs, else the org-wide open_cidr_exceptions the caller passes
    (the role's default), as preflight_errors does.
    """

    def __init__(self, values, declared, open_cidr_exceptions):
        self.values = values
        self.declared = declared
        self.org_exceptions = open_cidr_exceptions

    def get(self, name):
        if name in self.values:
            return self.values[name]
        for _role, spec in self.declared.get(name, ()):
            if "default" in spec:
                return spec["default"]
        return None

    def open_cidr_exceptions(self):
        """(the variable the list comes from, the list)."""
        if "security_open_cidr_exceptions" in self.values:
            source, names = "security_open_cidr_exceptions", self.values["security_open_cidr_exceptions"]
        else:
            source, names = "open_cidr_exceptions", self.org_exceptions
        return source, [name for name in names if isinstance(name, str)] if isinstance(names, (list, tuple)) else []


# ---------------------------------------------------------- shared helpers


def _controller_plugin(name):
    """A filter plugin module of this collection, imported on first use.

    ansible-test's import sanity test lets module_utils import only module_utils
    at load time. This module runs on the controller only, so it shares the
    CIDR parser (filter/network.py) and the preflight patterns
    (filter/preflight.py) instead of copying them.
    """
    package = __name__.rsplit(".module_utils.", 1)[0]
    return importlib.import_module("%s.filter.%s" % (package, name))


def _int_between(path, value, low, high, what):
    """Bounds of an integer setting (high None: no upper bound); other types are left to the type check."""
    if not _is_int(value) or (value >= low and (high is None or value <= high)):
        return []
    if high is None:
        return ["%s: %s is below %d (%s)" % (path, show(value), low, what)]
    return ["%s: %s is outside %d-%d (%s)" % (path, show(value), low, high, what)]


def _match_each(path, value, pattern, what):
    """Every string of a list matches pattern (non-strings are left to the type check)."""
    return ["%s: %s is not %s" % (item_path, show(item), what)
            for item_path, item in _items(path, value) if isinstance(item, str) and not pattern.match(item)]


def _int_pair(value):
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_int(bound) for bound in value)


def _pair_errors(path, value, low_min, high_max, rule):
    """A [low, high] pair of integers with low_min <= low <= high <= high_max; rule says so in the message."""
    if not isinstance(value, (list, tuple)) or not all(_is_int(bound) for bound in value):
        return []  # the type check reports non-integers
    if not _int_pair(value) or not low_min <= value[0] <= value[1] <= high_max:
        return ["%s: %s must be [low, high] with %s" % (path, show(value), rule)]
    return []


# ---------------------------------------------------------- semantic checks
# Each function takes (path, value, context) and returns a list of messages.


def port_numbers(path, value, ctx):
    """TCP/UDP ports are 1-65535; 0 and larger numbers are refused by EC2 and AWS Config."""
    return ["%s: %s is not a port number in 1-65535" % (item_path, show(port))
            for item_path, port in _items(path, value) if _is_int(port) and not 1 <= port <= 65535]


def nonempty_port_numbers(path, value, ctx):
    """Port lists the role asserts non-empty (monitoring's port alarm, the peering default ports)."""
    if isinstance(value, (list, tuple)) and not value:
        return ["%s: [] must list at least one port" % path]
    return port_numbers(path, value, ctx)


def ephemeral_port_range(path, value, ctx):
    """Return-traffic ports of the stateless network ACL, [low, high], 1024 < low <= high <= 65535.

    The ACL admits the peer to this whole range, so it must keep service and
    admin ports closed: ports up to 1024 are well-known service ports, and no
    OS uses them as ephemeral ports (AWS VPC docs: Linux 32768-60999, Windows
    49152-65535). SSH 22 and RDP 3389 must stay out too; the nacl_entries filter
    refuses them late, the default [32768, 65535] is clear of both.
    """
    problems = _pair_errors(path, value, 1025, 65535, "1024 < low <= high <= 65535 (ports up to 1024 are service ports)")
    if problems or not _int_pair(value):
        return problems
    admin = _controller_plugin("preflight").ADMIN_PORTS
    return ["%s: %s contains admin port %d (%s); keep it closed, e.g. [32768, 65535]" % (path, show(value), port, admin[port])
            for port in sorted(admin) if value[0] <= port <= value[1]]


def nacl_rule_range(path, value, ctx):
    """Network ACL rule numbers are 1-32766 (AWS); the range must be [low, high]."""
    return _pair_errors(path, value, 1, 32766, "1 <= low <= high <= 32766 (network ACL rule numbers)")


def nacl_max_entries(path, value, ctx):
    """AWS allows 20 network ACL entries per direction by default, 40 with a quota increase."""
    return _int_between(path, value, 1, 40, "network ACL entries per direction, AWS quota at most 40")


def _extra_rule_port(path, port):
    """One port of an extra rule: an integer, or a "low-high" range string."""
    if _is_int(port):
        return [] if 1 <= port <= 65535 else ["%s: %s is not a port number in 1-65535" % (path, show(port))]
    if isinstance(port, str) and port.isdigit():
        return ["%s: %s is a string; write %d without quotes (strings are for ranges such as \"1000-2000\")"
                % (path, show(port), int(port))]
    bounds = port.split("-") if isinstance(port, str) else []
    if len(bounds) == 2 and all(bound.isdigit() for bound in bounds) and 1 <= int(bounds[0]) <= int(bounds[1]) <= 65535:
        return []
    return ["%s: %s is not a port (1-65535) or a range \"low-high\" with 1 <= low <= high <= 65535" % (path, show(port))]


def _extra_rule_ports(path, rule):
    """tcp and udp need ports; icmp and all take none (security/tasks/validate.yml)."""
    protocol, ports = rule.get("protocol", "tcp"), rule.get("ports", [])
    if not isinstance(ports, (list, tuple)):
        return []
    if protocol in ("tcp", "udp"):
        if not ports:
            return ["%s: protocol %s needs at least one port; value %s" % (_at(path, "ports"), show(protocol), show(rule))]
        return [message for item_path, port in _items(_at(path, "ports"), ports) for message in _extra_rule_port(item_path, port)]
    if protocol in ("icmp", "all", "-1") and ports:
        return ["%s: %s apply only to tcp and udp, not to %s" % (_at(path, "ports"), show(ports), show(protocol))]
    return []


def _open_cidr(path, net, variable, ctx):
    """An open CIDR (/0) only in a variable listed as an exception, as preflight_errors rules."""
    source, exceptions = ctx.open_cidr_exceptions()
    if net.prefixlen != 0 or variable in exceptions:
        return []
    return ["%s: %s is open to every address; not allowed unless '%s' is listed in %s"
            % (path, show(net.with_prefixlen), variable, source)]


def _extra_rule_cidr(path, rule, variable, ctx):
    cidr = rule.get("cidr")
    if not isinstance(cidr, str):
        return []
    try:
        net = _controller_plugin("network").parse_cidr(cidr, _at(path, "cidr"), strict=True)
    except ValueError as exc:
        return [str(exc)]
    return _open_cidr(_at(path, "cidr"), net, variable, ctx)


def extra_rules(path, value, ctx):
    """Brownfield extra rules: a valid CIDR (open only as a listed exception), ports that fit the protocol.

    Enforced late today by security/tasks/validate.yml. Keys and protocol
    choices come from the argument spec.
    """
    return [message for item_path, rule in _items(path, value) if isinstance(rule, Mapping)
            for message in _extra_rule_cidr(item_path, rule, path, ctx) + _extra_rule_ports(item_path, rule)]


def peerings(path, value, ctx):
    """The ports of each peering are TCP port numbers (the keys come from the argument spec)."""
    return [message for item_path, peering in _items(path, value) if isinstance(peering, Mapping)
            for message in port_numbers(_at(item_path, "ports"), peering.get("ports"), ctx)]


def account_id(path, value, ctx):
    """An AWS account ID is exactly 12 digits, as a string (leading zeros count)."""
    if isinstance(value, str) and not ACCOUNT_ID_RE.match(value):
        return ["%s: %s is not an AWS account ID (exactly 12 digits)" % (path, show(value))]
    return []


def optional_account_id(path, value, ctx):
    """An account ID, or empty to discover it with sts:GetCallerIdentity."""
    return [] if value == "" else account_id(path, value, ctx)


def account_ids(path, value, ctx):
    """Peer account IDs go into aws:ResourceAccount conditions (endpoints/tasks/present.yml asserts them late)."""
    return [message for item_path, item in _items(path, value) for message in account_id(item_path, item, ctx)]


def region(path, value, ctx):
    """A region botocore knows (same source as preflight_errors); a typo fails the first AWS call otherwise."""
    regions = _controller_plugin("preflight").known_regions()
    if not isinstance(value, str) or not regions or value in regions:
        return []
    close = _closest(value, list(regions))
    hint = " (did you mean %s?)" % show(close) if close else ""
    return ["%s: %s is not a known AWS region%s" % (path, show(value), hint)]


def role_arn(path, value, ctx):
    """The role to assume must be an IAM role ARN, or empty for the base credentials."""
    if isinstance(value, str) and value and not ROLE_ARN_RE.match(value):
        return ["%s: %s is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)" % (path, show(value))]
    return []


def external_id(path, value, ctx):
    """STS ExternalId: 2-1224 characters of letters, digits and _+=,.@:/- (the value is a secret: withheld)."""
    if not isinstance(value, str) or value == "":
        return []
    if not EXTERNAL_ID_RE.match(value):
        return ["%s: %s must be 2-1224 letters, digits and _ + = , . @ : / -" % (path, WITHHELD)]
    return []


def endpoint_url(path, value, ctx):
    """A custom endpoint is an http(s) URL; botocore fails late on anything else."""
    if isinstance(value, str) and value and not re.match(r"^https?://[^\s/]+(/\S*)?$", value):
        return ["%s: %s is not an http(s) URL such as http://127.0.0.1:4566" % (path, show(value))]
    return []


def session_name(path, value, ctx):
    """STS RoleSessionName: 2-64 characters of letters, digits and _+=,.@-."""
    if isinstance(value, str) and not re.match(r"^[\w+=,.@-]{2,64}$", value, re.ASCII):
        return ["%s: %s is not a role session name (2-64 letters, digits and _ + = , . @ -)" % (path, show(value))]
    return []


def iam_role_name(path, value, ctx):
    """IAM role names: 1-64 characters of letters, digits and _+=,.@-."""
    if isinstance(value, str) and not re.match(r"^[\w+=,.@-]{1,64}$", value, re.ASCII):
        return ["%s: %s is not an IAM role name (1-64 letters, digits and _ + = , . @ -)" % (path, show(value))]
    return []


def session_duration(path, value, ctx):
    """STS AssumeRole DurationSeconds: 900 s to 43200 s (12 h; the role's maximum may be lower)."""
    return _int_between(path, value, 900, 43200, "STS session seconds")


def max_session_duration(path, value, ctx):
    """IAM MaxSessionDuration of a role: 3600 s to 43200 s."""
    return _int_between(path, value, 3600, 43200, "IAM maximum session seconds")


def wait_timeout(path, value, ctx):
    """A wait needs at least one second."""
    return _int_between(path, value, 1, None, "seconds to wait")


def retry_count(path, value, ctx):
    """Ansible's retries cannot be negative."""
    return _int_between(path, value, 0, None, "retries")


def delay_seconds(path, value, ctx):
    """Ansible's delay between retries cannot be negative."""
    return _int_between(path, value, 0, None, "seconds between retries")


def kms_deletion_window(path, value, ctx):
    """KMS ScheduleKeyDeletion takes a 7-30 day waiting period; today only the teardown finds out."""
    return _int_between(path, value, 7, 30, "KMS pending-deletion days")


def lifecycle_days(path, value, ctx):
    """S3 lifecycle expiration, noncurrent-version and abort-upload days must be positive integers."""
    return _int_between(path, value, 1, None, "S3 lifecycle days")


def trusted_principals(path, value, ctx):
    """Requester host -> principal ARNs the acceptance role trusts: named roles or users only, never a whole account."""
    if not isinstance(value, Mapping):
        return []
    messages = []
    for host, principals in value.items():
        if isinstance(principals, (list, tuple)):
            messages += trusted_principal_list(_at(path, host), principals, ctx)
        else:
            messages.append(_type_message(_at(path, host), principals, "list", False))
    return messages


def trusted_principal_list(path, value, ctx):
    """Principals a role of ours trusts: a wildcard, an account ID or an account's :root would trust the whole account."""
    return ["%s: %s %s" % (item_path, show(arn), trusted_principal_problem(arn))
            for item_path, arn in _items(path, value) if trusted_principal_problem(arn)]


def regions(path, value, ctx):
    """Each of a list of regions is known (see region)."""
    return [message for item_path, item in _items(path, value) for message in region(item_path, item, ctx)]


ACTION_RE = re.compile(r"^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$")


def iam_actions(path, value, ctx):
    """Endpoint policy actions are "*" or "service:Action" (wildcards allowed); AWS refuses the policy otherwise."""
    return _match_each(path, value, ACTION_RE, 'an IAM action ("*" or "service:Action")')


def s3_actions(path, value, ctx):
    """The S3 endpoint policy grants S3 actions only."""
    return _match_each(path, value, re.compile(r"^s3:[A-Za-z0-9*?]+$"), 'an S3 action ("s3:Action", wildcards allowed)')


def dynamodb_actions(path, value, ctx):
    """The DynamoDB endpoint policy grants DynamoDB actions only."""
    return _match_each(path, value, re.compile(r"^dynamodb:[A-Za-z0-9*?]+$"), 'a DynamoDB action ("dynamodb:Action", wildcards allowed)')


def aws_owned_resources(path, value, ctx):
    """The endpoints role keeps only S3 and DynamoDB ARNs (select('match', ...)); any other is silently dropped."""
    return _match_each(path, value, re.compile(r"^arn:[a-z-]+:(s3|dynamodb):"), "an S3 or DynamoDB ARN (others are left out of every endpoint policy)")


def interface_services(path, value, ctx):
    """Interface endpoint services: short (ssm) or full (com.amazonaws.<region>.ssm) names, as the endpoints module parses them."""
    messages = []
    for item_path, item in _items(path, value):
        if not isinstance(item, str):
            continue
        try:
            service_name(item, "region", where="service")  # any region completes a short name
        except EndpointError as exc:
            messages.append("%s: %s" % (item_path, exc))
    return messages


def flow_log_format(path, value, ctx):
    """Flow log record format: ${field} tokens of known fields (empty: the default); the flow log module refuses others late."""
    if not isinstance(value, str) or value == "":
        return []
    return _log_format_errors(path, value)


def _log_format_errors(path, value):
    try:
        normalize_log_format(value)
    except FlowLogError as exc:
        return ["%s: %s" % (path, exc)]
    return []


METRIC_FIELDS = ("srcaddr", "dstaddr", "srcport", "dstport", "packets", "bytes", "action")


def metric_flow_log_format(path, value, ctx):
    """The monitoring metric filters are built from this format: it must hold the fields they match on."""
    if not isinstance(value, str):
        return []
    problems = _log_format_errors(path, value)
    if problems:
        return problems
    fields = [FORMAT_TOKEN_RE.match(token).group("field") for token in value.split()]
    missing = [field for field in METRIC_FIELDS if field not in fields]
    if missing:
        return ["%s: %s lacks %s; the metric filters need %s" % (path, show(value), ", ".join(missing), ", ".join(METRIC_FIELDS))]
    return []


def capture_interval(path, value, ctx):
    """Mapped to an AWS aggregation interval (60 or 600 s) unless flowlogs_max_aggregation_interval is set; below 60 s fails late."""
    if not _is_int(value) or ctx.get("flowlogs_max_aggregation_interval") not in (0, None):
        return []
    try:
        resolve_aggregation_interval(capture_interval=value)
    except FlowLogError as exc:
        return ["%s: %s" % (path, exc)]
    return []


def metric_peer_cidrs(path, value, ctx):
    """IPv4 /8-/32 peer CIDRs, at most 32 metric filter wildcards once widened to octet boundaries (monitoring/tasks/flow_logs.yml)."""
    if not isinstance(value, (list, tuple)):
        return []
    if not value:
        return ["%s: [] must list at least one peer CIDR" % path]
    messages, wildcards = [], set()
    for item_path, item in _items(path, value):
        net, problems = _metric_cidr(item_path, item)
        messages += problems
        if net is not None:
            # The role's patterns: one per block of the next octet boundary ("10.1.*" for a /16, 16 for a /20).
            wildcards.update(net.subnets(new_prefix=-(-net.prefixlen // 8) * 8))
    if len(wildcards) > 32:
        messages.append("%s: %s widen to %d octet wildcards; CloudWatch metric filters take at most 32" % (path, show(value), len(wildcards)))
    return messages


def _metric_cidr(path, item):
    """(the network, []) for a usable peer CIDR, else (None, its problems); non-strings are left to the type check."""
    if not isinstance(item, str):
        return None, []
    try:
        net = _controller_plugin("network").parse_cidr(item, path, strict=True, version=4, need_prefix=True)
    except ValueError as exc:
        return None, [str(exc)]
    if net.prefixlen < 8:
        return None, ["%s: %s is wider than /8, which metric filter wildcards cannot express" % (path, show(item))]
    return net, []


def metric_namespace(path, value, ctx):
    """CloudWatch namespaces: 1-255 characters without : * $, and never the reserved AWS/ prefix."""
    if isinstance(value, str) and (not re.match(r"^[^:*$]{1,255}$", value) or value.startswith("AWS/")):
        return ["%s: %s is not a custom CloudWatch namespace (1-255 characters without : * $, not starting with AWS/)" % (path, show(value))]
    return []


def alert_email(path, value, ctx):
    """SNS e-mail subscriptions need an address; empty means no subscription."""
    if isinstance(value, str) and value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
        return ["%s: %s is not an e-mail address" % (path, show(value))]
    return []


def alarm_period(path, value, ctx):
    """CloudWatch alarm periods: 10, 30 or a multiple of 60 seconds (checked late by cloudwatch_alarms)."""
    error = validate_period(value) if _is_int(value) else None
    return ["%s: %s" % (path, error)] if error else []


def alarm_threshold(path, value, ctx):
    """A threshold counts flows: a negative one fires on every period."""
    return _int_between(path, value, 0, None, "a count of flows")


def band_width(path, value, ctx):
    """The anomaly band is a positive, finite number of standard deviations."""
    if _is_number(value) and (not math.isfinite(value) or value <= 0):
        return ["%s: %s must be a number greater than 0 (standard deviations)" % (path, show(value))]
    return []


def evaluation_periods(path, value, ctx):
    """An alarm evaluates at least one period."""
    return _int_between(path, value, 1, None, "periods")


def datapoints_to_alarm(path, value, ctx):
    """1 <= datapoints_to_alarm <= monitoring_anomaly_evaluation_periods (CloudWatch; checked late by the alarm module)."""
    periods = ctx.get("monitoring_anomaly_evaluation_periods")
    if not _is_int(value) or not _is_int(periods) or 1 <= value <= periods:
        return []
    return ["%s: %s must be between 1 and monitoring_anomaly_evaluation_periods (%d)" % (path, show(value), periods)]


def dashboard_name(path, value, ctx):
    """CloudWatch dashboard names: 1-255 of A-Z a-z 0-9 - _ (checked late by cloudwatch_dashboard)."""
    error = validate_dashboard_name(value) if isinstance(value, str) else None
    return ["%s: %s" % (path, error)] if error else []


def required_tag_keys(path, value, ctx):
    """The REQUIRED_TAGS rule takes 1 to 6 tag keys (tag1Key..tag6Key), each a valid tag key."""
    if not isinstance(value, (list, tuple)):
        return []
    if not 1 <= len(value) <= 6:
        return ["%s: %s has %d keys; the REQUIRED_TAGS rule takes 1 to 6" % (path, show(value), len(value))]
    try:
        validate_tags(dict.fromkeys(key for key in value if isinstance(key, str)), path)
    except ConfigValidationError as exc:
        return [str(exc)]
    return []


def config_rules(path, value, ctx):
    """Each managed rule as the config_rules module validates it (name, identifier, parameters, scope); unique slugs."""
    messages, seen = [], {}
    for item_path, rule in _items(path, value):
        if not _rule_shape_ok(rule):
            continue
        slug = rule["slug"]
        if slug in seen:
            messages.append("%s: %s is already used by %s" % (_at(item_path, "slug"), show(slug), seen[slug]))
        seen.setdefault(slug, item_path)
        try:
            validate_rule(dict(rule, name=slug), "present", None)
        except ConfigValidationError as exc:
            messages.append("%s: %s" % (item_path, exc))
    return messages


def _rule_shape_ok(rule):
    """Only rules of the declared shape are judged further (the type checks report the others)."""
    return (isinstance(rule, Mapping) and isinstance(rule.get("slug"), str) and isinstance(rule.get("source_identifier"), str)
            and all(isinstance(rule.get(key), (Mapping, type(None))) for key in ("input_parameters", "scope"))
            and isinstance((rule.get("scope") or {}).get("compliance_resource_types"), (list, tuple, type(None)))
            and isinstance(rule.get("description"), (str, type(None))))


def az_count(path, value, ctx):
    """A VPC needs at least one availability zone (one private subnet each)."""
    return _int_between(path, value, 1, None, "availability zones")


def subnet_offset(path, value, ctx):
    """Index of the first carved subnet block: not negative."""
    return _int_between(path, value, 0, None, "subnet block index")


# One table: variable -> the semantic check its argument spec cannot express.
SEMANTIC_CHECKS = {
    "automation_role_name": iam_role_name,
    "automation_role_trusted_principals": trusted_principal_list,
    "automation_role_external_id": external_id,
    "automation_role_account_id": account_id,
    "automation_role_regions": regions,
    "automation_role_peer_account_ids": account_ids,
    "automation_role_max_session_duration": max_session_duration,
    "automation_role_admin_role_arn": role_arn,
    "aws_session_role_arn": role_arn,
    "aws_session_external_id": external_id,
    "aws_session_region": region,
    "aws_session_account_id": optional_account_id,
    "aws_session_endpoint_url": endpoint_url,
    "aws_session_name": session_name,
    "aws_session_duration_seconds": session_duration,
    "config_account_id": optional_account_id,
    "config_region": region,
    "config_kms_key_deletion_window": kms_deletion_window,
    "config_retention_days": lifecycle_days,
    "config_noncurrent_retention_days": lifecycle_days,
    "config_abort_incomplete_upload_days": lifecycle_days,
    "config_allowed_ports": port_numbers,
    "config_required_tag_keys": required_tag_keys,
    "config_rules": config_rules,
    "endpoints_account_id": account_id,
    "endpoints_region": region,
    "endpoints_peerings": peerings,
    "endpoints_peer_account_ids": account_ids,
    "endpoints_s3_actions": s3_actions,
    "endpoints_dynamodb_actions": dynamodb_actions,
    "endpoints_aws_owned_resources": aws_owned_resources,
    "endpoints_aws_owned_actions": iam_actions,
    "endpoints_interface_services": interface_services,
    "endpoints_interface_actions": iam_actions,
    "endpoints_sg_delete_retries": retry_count,
    "endpoints_sg_delete_delay": delay_seconds,
    "flowlogs_account_id": optional_account_id,
    "flowlogs_region": region,
    "flowlogs_kms_key_deletion_window": kms_deletion_window,
    "flowlogs_retention_days": lifecycle_days,
    "flowlogs_noncurrent_retention_days": lifecycle_days,
    "flowlogs_abort_incomplete_upload_days": lifecycle_days,
    "flowlogs_capture_interval": capture_interval,
    "flowlogs_log_format": flow_log_format,
    "monitoring_region": region,
    "monitoring_account_id": optional_account_id,
    "monitoring_alert_email": alert_email,
    "monitoring_kms_key_deletion_window": kms_deletion_window,
    "monitoring_flow_log_format": metric_flow_log_format,
    "monitoring_peer_cidrs": metric_peer_cidrs,
    "monitoring_allowed_ports": nonempty_port_numbers,
    "monitoring_metric_namespace": metric_namespace,
    "monitoring_alarm_period": alarm_period,
    "monitoring_rejected_threshold": alarm_threshold,
    "monitoring_anomaly_band_width": band_width,
    "monitoring_anomaly_evaluation_periods": evaluation_periods,
    "monitoring_anomaly_datapoints_to_alarm": datapoints_to_alarm,
    "monitoring_dashboard_name": dashboard_name,
    "peering_accepter_trusted_principals": trusted_principals,
    "peering_accepter_max_session_duration": max_session_duration,
    "peering_accepter_wait_timeout": wait_timeout,
    "peering_accepter_assumable_timeout": wait_timeout,
    "peering_requester_wait_timeout": wait_timeout,
    "security_peerings": peerings,
    "security_default_ports": nonempty_port_numbers,
    "security_ephemeral_port_range": ephemeral_port_range,
    "security_extra_ingress_rules": extra_rules,
    "security_extra_egress_rules": extra_rules,
    "security_nacl_max_entries": nacl_max_entries,
    "security_nacl_managed_rule_range": nacl_rule_range,
    "vpc_az_count": az_count,
    "vpc_subnet_offset": subnet_offset,
}


# ------------------------------------------------------------- entry point


def _guarded(path, func, *args):
    """Run one check; a failure becomes a message, never an exception."""
    try:
        return list(func(*args))
    except Exception as exc:  # pylint: disable=broad-except
        return ["%s: could not be validated: %s: %s" % (path, type(exc).__name__, exc)]


def _check_variable(name, owners, values, ctx):
    value = values[name]
    messages = [message for _role, spec in owners for message in check_value(name, value, spec)]
    check = SEMANTIC_CHECKS.get(name)
    return messages + (check(name, value, ctx) if check else [])


def _missing(name, owners, required_roles):
    roles = [role for role, spec in owners if role in required_roles and spec.get("required") is True]
    return ["%s: missing; required by role %s" % (name, roles[0])] if roles else []


def validate_inputs(specs, values, required_roles=None, open_cidr_exceptions=None):
    """Every problem of the role inputs in ``values``, as messages naming the variable path and the bad value.

    required_roles: roles that will run; their options with ``required: true``
    must be among ``values`` (role defaults merged in by the caller).
    open_cidr_exceptions: the org-wide variable names allowed to hold 0.0.0.0/0 or
    ::/0, used when security_open_cidr_exceptions is not among ``values``.
    """
    if not isinstance(specs, Mapping):
        return ["specs: %s must be a dict of role name -> argument_specs (got %s)" % (show(specs), _kind(specs))]
    if not isinstance(values, Mapping):
        return ["values: %s must be a dict of variable name -> value (got %s)" % (show(values), _kind(values))]
    required = set(required_roles) if isinstance(required_roles, (list, tuple, set, frozenset)) else set()
    try:
        declared = declared_options(specs)
    except Exception as exc:  # pylint: disable=broad-except
        return ["specs: could not be read: %s: %s" % (type(exc).__name__, exc)]
    ctx = _Context(values, declared, open_cidr_exceptions)
    messages = []
    for name, owners in declared.items():
        if name in values:
            messages += _guarded(name, _check_variable, name, owners, values, ctx)
        else:
            messages += _missing(name, owners, required)
    return list(dict.fromkeys(messages))
