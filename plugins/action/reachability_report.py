# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side: evaluate reachability from every site's state, write the proof and the report, fail on differences."""

from __future__ import annotations

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.netsec.aws_peering.plugins.filter.reachability import reachability_intent
from ansible_collections.netsec.aws_peering.plugins.module_utils import audit_report
from ansible_collections.netsec.aws_peering.plugins.module_utils import reachability as evaluator


def write_atomically(path, text):
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".netsec-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        for key in ("sites", "directory", "environment_suffix"):
            if not args.get(key):
                raise AnsibleActionFail(f"reachability_report: {key} is required")
        hostvars = (task_vars or {}).get("hostvars", {})
        sites = {}
        for host in args["sites"]:
            try:
                sites[host] = hostvars[host]["site_state"]
            except (KeyError, TypeError):
                raise AnsibleActionFail(f"reachability_report: {host} has no site_state; describe every site first") from None
        intent = reachability_intent(args["sites"], hostvars, args.get("peerings") or [], args.get("client_ports"))
        settings = args.get("settings") or {}
        try:
            proof = evaluator.evaluate(sites, intent)
            controls = audit_report.controls(sites, intent, settings, proof)
            html = audit_report.report_html(sites, intent, proof, settings)
        except (ValueError, TypeError, KeyError) as e:
            raise AnsibleActionFail(f"reachability_report: cannot evaluate: {e}") from e
        base = os.path.join(args["directory"], args["environment_suffix"])
        # Local artifacts, not changes to the sites: written in --check too, never reported as a change.
        write_atomically(base + "-reachability.json",
                         json.dumps(dict(proof, intent=intent, controls=controls), indent=4, sort_keys=True, default=str) + "\n")
        write_atomically(base + "-report.html", html)
        failing = [c["id"] for c in controls if c.get("status") == "FAIL"]
        result.update(changed=False, summary=proof.get("summary"), violations=proof.get("violations", []),
                      failing_controls=failing, proof=base + "-reachability.json", report=base + "-report.html")
        if proof.get("violations"):
            text = (f"{len(proof['violations'])} difference(s) between the live network and the intent "
                    f"(see {base}-reachability.json):\n- " + "\n- ".join(v.get("reason", str(v)) for v in proof["violations"]))
            if self._task.check_mode:
                # --check shows what a run would change: the differences are reported as the change, not as a failure.
                result.update(changed=True, msg=text, warnings=[text])
            else:
                result.update(failed=True, msg=text)
        else:
            result["msg"] = f"Reachability proved for {len(sites)} site(s): {json.dumps(proof.get('summary'), sort_keys=True)}"
        return result
