# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: run_stats
type: aggregate
short_description: Count the module processes and changes of a run, per host
version_added: 0.1.0
description:
  - Counts, per host, the module processes a run starts (every result of a module, loop items included; controller-only
    actions such as set_fact, assert, debug, include and plan_report start none) and the changed results, and writes them
    as JSON when the run ends. C(make bench) uses it to show where a run's time goes.
  - A result comes from a module process unless its action runs on the controller only (set_fact, assert, debug,
    include and import, meta, validate_argument_spec, set_stats, fail, plan_report, reachability_report).
options:
  output:
    description: The JSON file to write; nothing is written when unset.
    type: path
    env:
      - name: NETSEC_RUN_STATS
requirements:
  - enable in configuration (C(callbacks_enabled = netsec.aws_peering.run_stats))
"""

import json

from ansible.plugins.callback import CallbackBase

CONTROLLER_ONLY = {
    "set_fact", "assert", "debug", "include_role", "include_tasks", "import_role", "import_tasks", "meta",
    "validate_argument_spec", "set_stats", "fail", "plan_report", "reachability_report", "add_host", "group_by",
}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "netsec.aws_peering.run_stats"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.hosts = {}

    def _count(self, result, changed):
        stats = self.hosts.setdefault(result._host.get_name(), {"module_runs": 0, "changed": 0, "modules": {}})
        action = result._task.action
        if action.rsplit(".", 1)[-1] not in CONTROLLER_ONLY:
            stats["module_runs"] += 1
            stats["modules"][action] = stats["modules"].get(action, 0) + 1
        if changed:
            stats["changed"] += 1

    def v2_runner_on_ok(self, result):
        if "results" not in result._result:
            self._count(result, result._result.get("changed", False))

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if "results" not in result._result:
            self._count(result, False)

    def v2_runner_item_on_ok(self, result):
        self._count(result, result._result.get("changed", False))

    def v2_runner_item_on_failed(self, result):
        self._count(result, False)

    def v2_playbook_on_stats(self, stats):
        path = self.get_option("output")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.hosts, handle, indent=1, sort_keys=True)
