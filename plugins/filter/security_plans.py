# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security and endpoints stages' plans on the controller, and what the stages publish.

Thin wrappers of ``plugins/module_utils/security_plan.py``, the functions whose parts the converge modules
(``security_groups``, ``network_acl``, ``vpc_gateway_endpoint``) run themselves, so a plan made here from
``site_info``'s state and the modules' runs decide the same. The documentation of each filter lives in
``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
planner = lazy_module("security_plan")

REQUIRED = {"security": ("host", "network_name", "environment_suffix"), "endpoints": ("network_name", "environment_suffix")}


def _call(name, function, stage, state, spec, *more):
    state, spec = native(state), native(spec)
    if state is not None and not isinstance(state, dict):
        raise AnsibleFilterError(f"{name}: expects the site state (a dict), got {type(state).__name__}")
    if not isinstance(spec, dict):
        raise AnsibleFilterError(f"{name}: expects the stage's spec (a dict), got {type(spec).__name__}")
    missing = [key for key in REQUIRED[stage] if not spec.get(key)]
    if missing:
        raise AnsibleFilterError(f"{name}: the spec lacks {missing}")
    try:
        return function(state or {}, spec, *(native(m) for m in more))
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise AnsibleFilterError(f"{name}: {e}") from None


def security_plan(state, spec, peer_states=None):
    """The security stage's plan (errors, changes, groups, nacl, converge) for one site."""
    if peer_states is not None and not isinstance(native(peer_states), dict):
        raise AnsibleFilterError("security_plan: peer_states must map each peer host to its site_state")
    return _call("security_plan", planner.security_plan, "security", state, spec, peer_states or {})


def security_teardown_plan(state, spec):
    """What removing the security stage of one site takes (our group, our ACL entries)."""
    return _call("security_teardown_plan", planner.security_teardown_plan, "security", state, spec)


def security_result(state, spec):
    """security_group_id and nacl_id of the site, from its state."""
    return _call("security_result", planner.security_result, "security", state, spec)


def endpoints_plan(state, spec):
    """The endpoints stage's plan (errors, changes, endpoints, groups, converge) for one site."""
    return _call("endpoints_plan", planner.endpoints_plan, "endpoints", state, spec)


def endpoints_teardown_plan(state, spec):
    """What removing the endpoints stage of one site takes (our endpoints, then the endpoints' group)."""
    return _call("endpoints_teardown_plan", planner.endpoints_teardown_plan, "endpoints", state, spec)


def endpoints_result(state, spec):
    """The endpoint IDs of the site (and the interface endpoints' group), from its state."""
    return _call("endpoints_result", planner.endpoints_result, "endpoints", state, spec)


class FilterModule:
    def filters(self):
        return {
            "security_plan": security_plan,
            "security_teardown_plan": security_teardown_plan,
            "security_result": security_result,
            "endpoints_plan": endpoints_plan,
            "endpoints_teardown_plan": endpoints_teardown_plan,
            "endpoints_result": endpoints_result,
        }
