# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the automation role: shipped policies rendered, the emulator's projection, trust checks."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
role_name_of_arn = lazy_function("identifiers", "role_name_of_arn")
trusted_principal_problem = lazy_function("identifiers", "trusted_principal_problem")
_policy_templates = lazy_module("policy_templates")
emulator_projection = lazy_function("policy_templates", "emulator_projection")
render_policy = lazy_function("policy_templates", "render_policy")


def render_automation_policy(document, values, emulator=False):
    """A shipped policy with its placeholders filled in; the emulator's projection when asked."""
    try:
        rendered = render_policy(document, values)
    except _policy_templates.PolicyTemplateError as e:
        raise AnsibleFilterError(f"render_automation_policy: {e}") from e
    return emulator_projection(rendered) if emulator else rendered


def trusted_principal_errors(principals, variable):
    """One message per principal that must not be trusted, naming the variable and the value."""
    if isinstance(principals, str) or not isinstance(principals, list):
        return [f"{variable}: must be a list of role or user ARNs, got {principals!r}"]
    if not principals:
        return [f"{variable}: at least one role or user ARN is required"]
    errors = []
    for index, principal in enumerate(principals):
        problem = trusted_principal_problem(principal)
        if problem:
            errors.append(f"{variable}[{index}]: {principal!r} {problem}")
    return errors


def automation_trust_policy(principals, external_id=""):
    """Trust policy of the automation role: only the named principals, with the ExternalId when given."""
    errors = trusted_principal_errors(principals, "trusted principals")
    if errors:
        raise AnsibleFilterError("automation_trust_policy: " + "; ".join(errors))
    statement = {"Sid": "NamedAutomationPrincipalsOnly", "Effect": "Allow", "Principal": {"AWS": sorted(principals)},
                 "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return {"Version": "2012-10-17", "Statement": [statement]}


def peer_account_ids(peerings, hostvars, account_id):
    """The other accounts peered with any site of ``account_id`` (sorted, without the account itself)."""
    account_id = str(account_id)
    peers = set()
    for peering in peerings or []:
        sides = [str(hostvars[peering[side]]["aws_account_id"]) for side in ("requester", "accepter")]
        if account_id in sides:
            peers.update(sides)
    peers.discard(account_id)
    return sorted(peers)


class FilterModule:
    def filters(self):
        return {
            "automation_trust_policy": automation_trust_policy,
            "peer_account_ids": peer_account_ids,
            "emulator_projection": emulator_projection,
            "render_automation_policy": render_automation_policy,
            "role_name_of_arn": role_name_of_arn,
            "trusted_principal_errors": trusted_principal_errors,
        }
