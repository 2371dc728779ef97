# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the shipped automation policies, and project any policy for the emulator.

The automation policies under ``policies/automation/`` are plain JSON with placeholders
(``${Partition}``, ``${AccountId}``, ``${Region}``, ``${Suffix}``, ``${PeerAccountId}``), so a
security reviewer reads them as they are. ``render_policy`` fills them in; a placeholder bound
to a list (several regions or peer accounts) repeats the string for each value.

``emulator_projection`` turns any identity policy into what the sandbox's emulator can
evaluate: moto checks the action only (a statement with a Resource other than ``*`` or with a
Condition never matches there), and it names some actions differently from IAM. The projection
keeps exactly the same actions, under the emulator's names, on ``Resource: "*"`` without
conditions. Whether resources and conditions are right is checked statically against AWS's
Service Authorization Reference (tests/policy_lint.py), never by the emulator.
"""

from __future__ import annotations

import itertools
import re

PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z]+)\}")

# The emulator names an action after the request's signing name: CloudWatch signs as
# "monitoring" where IAM says "cloudwatch".
EMULATOR_SERVICE_NAMES = {"cloudwatch": "monitoring"}

# IAM action -> the actions moto 5.2.5 asks for on the same S3 requests (moto/s3/responses.py
# ACTION_MAP: subresources it does not know fall back to the bucket's default action).
EMULATOR_S3_ACTIONS = {
    "s3:ListBucket": ["s3:ListBucket", "s3:HeadBucket"],
    "s3:GetEncryptionConfiguration": ["s3:ListBucket"],
    "s3:GetBucketOwnershipControls": ["s3:ListBucket"],
    "s3:GetBucketPublicAccessBlock": ["s3:GetPublicAccessBlock", "s3:ListBucket"],
    "s3:PutEncryptionConfiguration": ["s3:CreateBucket"],
    "s3:PutBucketOwnershipControls": ["s3:CreateBucket"],
    "s3:PutBucketPublicAccessBlock": ["s3:PutPublicAccessBlock", "s3:CreateBucket"],
}


class PolicyTemplateError(ValueError):
    """A placeholder without a value, or a value of the wrong type."""


def _expand(text, values):
    names = PLACEHOLDER_RE.findall(text)
    for name in names:
        if name not in values:
            raise PolicyTemplateError(f"placeholder ${{{name}}} in {text!r} has no value")
    if not names:
        return [text]
    choices = []
    for name in dict.fromkeys(names):
        value = values[name]
        value = value if isinstance(value, (list, tuple)) else [value]
        if not value:
            return []
        choices.append([(name, str(item)) for item in value])
    out = []
    for combination in itertools.product(*choices):
        binding = dict(combination)
        out.append(PLACEHOLDER_RE.sub(lambda m: binding[m.group(1)], text))
    return out


def _render(node, values):
    if isinstance(node, dict):
        return {key: _render(value, values) for key, value in node.items()}
    if isinstance(node, list):
        rendered = []
        for item in node:
            rendered.extend(_expand(item, values) if isinstance(item, str) else [_render(item, values)])
        return list(dict.fromkeys(rendered)) if all(isinstance(i, str) for i in rendered) else rendered
    if isinstance(node, str):
        expanded = _expand(node, values)
        if len(expanded) == 1:
            return expanded[0]
        return list(dict.fromkeys(expanded))
    return node


def render_policy(document, values):
    """The policy with every placeholder filled in (list values repeat the string per value).

    A statement whose Resource (or Action) renders to nothing, such as assuming the peers' roles in
    an account without peers elsewhere, grants nothing and is left out: IAM refuses an empty one.
    """
    rendered = _render(document, values)
    if isinstance(rendered, dict) and isinstance(rendered.get("Statement"), list):
        rendered["Statement"] = [statement for statement in rendered["Statement"]
                                 if statement.get("Resource", "*") != [] and statement.get("Action", "*") != []]
    return rendered


def _as_list(value):
    return value if isinstance(value, list) else [value]


def emulator_action_names(action):
    """The names under which the emulator checks the IAM action ``action``."""
    if action in EMULATOR_S3_ACTIONS:
        return EMULATOR_S3_ACTIONS[action]
    service, _sep, name = action.partition(":")
    return [f"{EMULATOR_SERVICE_NAMES.get(service.lower(), service)}:{name}"]


def emulator_projection(document):
    """The same allowed actions, as the emulator can evaluate them: Resource "*", no conditions."""
    actions = []
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        for action in _as_list(statement.get("Action", [])):
            actions.extend(emulator_action_names(action))
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "EmulatorProjection", "Effect": "Allow",
                       "Action": sorted(set(actions)), "Resource": "*"}],
    }


def policy_actions(document):
    """The IAM actions a policy allows, as a sorted list (for comparisons with what was called)."""
    actions = set()
    for statement in _as_list(document.get("Statement", [])):
        if statement.get("Effect") == "Allow":
            actions.update(_as_list(statement.get("Action", [])))
    return sorted(actions)
