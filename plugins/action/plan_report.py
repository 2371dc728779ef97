# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side: compute a stage's plan, stop on its errors, show its changes; in --check, report them as the change."""

from __future__ import annotations

import importlib

from ansible.errors import AnsibleActionFail
from ansible.errors import AnsibleFilterError
from ansible.plugins.action import ActionBase

# The filter modules of this collection that hold planners (plain Python functions).
PLANNER_MODULES = ("plans", "security_plans", "observability_plans", "monitoring_plans", "converge_plans")
RESERVED = ("changed", "failed", "msg", "skipped", "warnings", "deprecations")


def planners():
    found = {}
    for name in PLANNER_MODULES:
        module = importlib.import_module(f"ansible_collections.netsec.aws_peering.plugins.filter.{name}")
        found.update(module.FilterModule().filters())
    return found


def describe(change):
    text = f"{change.get('action', '?')} {change.get('resource', '?')}"
    if change.get("field"):
        text += f" {change['field']}: {change.get('before')!r} -> {change.get('after')!r}"
    return text


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        stage = args.get("stage", "")
        plan = args.get("plan")
        if args.get("planner"):
            plan = self.compute(args["planner"], args.get("planner_args") or [], task_vars or {})
        if not isinstance(plan, dict) or not isinstance(plan.get("changes", []), list):
            raise AnsibleActionFail(f"plan_report: plan must be a dict with 'changes' (and 'errors'), got {type(plan).__name__}")
        errors = plan.get("errors") or []
        changes = plan.get("changes") or []
        if errors:
            result.update(failed=True, errors=errors,
                          msg=f"The {stage} plan has {len(errors)} problem(s); nothing was changed:\n- " + "\n- ".join(errors))
            return result
        check = self._task.check_mode
        # The plan's own keys (layout, by_peering, ...) are returned as they are, for the converge tasks.
        result.update({key: value for key, value in plan.items() if key not in RESERVED})
        result.update(changed=bool(changes) and check, changes=changes,
                      msg=(f"{stage}: {len(changes)} change(s) {'would be made' if check else 'to make'}" if changes
                           else f"{stage}: nothing to do"))
        if plan.get("warnings"):
            # Compliance exceptions in force (an open CIDR someone asked for) are shown on every run.
            result["warnings"] = [f"{stage}: {warning}" for warning in plan["warnings"]]
        if changes:
            result["plan"] = [describe(change) for change in changes]
            if self._task.diff:
                result["diff"] = {"before_header": f"{stage} (live)", "after_header": f"{stage} (planned)",
                                  "before": "".join(f"{c.get('resource')} {c.get('field', '')}: {c.get('before')!r}\n" for c in changes),
                                  "after": "".join(f"{describe(c)}\n" for c in changes)}
        return result

    def compute(self, name, planner_args, task_vars):
        """Run the named planner on this host's site_state, taken from its facts as they are (not templated again)."""
        function = planners().get(name)
        if function is None:
            raise AnsibleActionFail(f"plan_report: planner {name!r} is not a filter of netsec.aws_peering")
        if "site_state" not in task_vars:
            raise AnsibleActionFail("plan_report: this host has no site_state; include the role netsec.aws_peering.site_state first")
        if not isinstance(planner_args, list):
            raise AnsibleActionFail(f"plan_report: planner_args must be a list, got {type(planner_args).__name__}")
        try:
            plan = function(task_vars["site_state"], *planner_args)
        except AnsibleFilterError as e:
            raise AnsibleActionFail(f"plan_report: {name}: {e}") from e
        if not isinstance(plan, dict):
            raise AnsibleActionFail(f"plan_report: {name} returned {type(plan).__name__}, not a plan")
        return plan
