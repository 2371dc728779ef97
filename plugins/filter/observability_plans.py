# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the flow logs and AWS Config stages: their plans from the site state, and the record step.

Thin wrappers of ``plugins/module_utils/observability_plan.py``, whose planners compose the very
functions the converge modules decide with (``plan_keys``, ``plan_bucket``, ``plan_flow_log``,
``plan_recorder``, ``plan_rules``). The documentation of each filter lives in
``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
observability_plan = lazy_module("observability_plan")


def _call(name, function, state, *args):
    if not isinstance(state, dict) or not all(isinstance(arg, (dict, list)) for arg in args):
        raise AnsibleFilterError(f"{name}: expects the site state and a {'spec dict' if name != 'observability_state' else 'list of results'}, "
                                 f"got {type(state).__name__}, {', '.join(type(arg).__name__ for arg in args)}")
    return function(native(state), *(native(arg) for arg in args))


def flowlogs_plan(state, spec):
    """The flow logs stage's plan (errors, notes, changes, keys, bucket, flow_log, result) for one site."""
    return _call("flowlogs_plan", observability_plan.plan_flowlogs, state, spec)


def flowlogs_teardown_plan(state, spec):
    """What removing the flow logs stage of one site takes (the audit evidence only when asked)."""
    return _call("flowlogs_teardown_plan", observability_plan.plan_flowlogs_teardown, state, spec)


def config_plan(state, spec):
    """The AWS Config stage's plan (errors, notes, changes, keys, bucket, role, role_policy, recorder, rules, result, info)."""
    return _call("config_plan", observability_plan.plan_config, state, spec)


def config_teardown_plan(state, spec):
    """What removing the AWS Config stage of one site takes (the audit evidence only when asked)."""
    return _call("config_teardown_plan", observability_plan.plan_config_teardown, state, spec)


def observability_state(state, results):
    """The site state with the answers of the stages' converge modules merged in."""
    return _call("observability_state", observability_plan.merge_results, state, results)


class FilterModule:
    """Flow logs and AWS Config planners."""

    def filters(self):
        return {
            "flowlogs_plan": flowlogs_plan,
            "flowlogs_teardown_plan": flowlogs_teardown_plan,
            "config_plan": config_plan,
            "config_teardown_plan": config_teardown_plan,
            "observability_state": observability_state,
        }
