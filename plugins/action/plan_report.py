# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side: stop on a plan's errors, show its changes; in --check, report them as the change."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


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
        if not isinstance(plan, dict) or not isinstance(plan.get("changes", []), list):
            raise AnsibleActionFail(f"plan_report: plan must be a dict with 'changes' (and 'errors'), got {type(plan).__name__}")
        errors = plan.get("errors") or []
        changes = plan.get("changes") or []
        if errors:
            result.update(failed=True, errors=errors,
                          msg=f"The {stage} plan has {len(errors)} problem(s); nothing was changed:\n- " + "\n- ".join(errors))
            return result
        check = self._task.check_mode
        lines = [describe(change) for change in changes]
        result.update(changed=bool(changes) and check, changes=changes,
                      msg=(f"{stage}: {len(changes)} change(s) {'would be made' if check else 'to make'}" if changes
                           else f"{stage}: nothing to do"))
        if lines:
            result["plan"] = lines
        if changes and self._task.diff:
            result["diff"] = {"before_header": f"{stage} (live)", "after_header": f"{stage} (planned)",
                              "before": "".join(f"{c.get('resource')} {c.get('field', '')}: {c.get('before')!r}\n" for c in changes),
                              "after": "".join(f"{describe(c)}\n" for c in changes)}
        return result
