# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters over the site states: the reachability evaluation and the auditor's controls and report.

Thin wrappers of ``plugins/module_utils/reachability.py`` and ``audit_report.py``; the
documentation of each filter lives in ``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils import audit_report
from ansible_collections.netsec.aws_peering.plugins.module_utils import reachability as evaluator


def _call(name, function, *args):
    """Run on plain copies of the (possibly tagged) inputs; bad input becomes an AnsibleFilterError."""
    try:
        return function(*(native(arg) for arg in args))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from None


def reachability(sites, intent=None):
    """Every flow between the sites' private subnets (and to endpoints and the internet), violations, DNS proof."""
    return _call("reachability", evaluator.evaluate, sites, intent or {})


def audit_controls(sites, intent=None, settings=None):
    """PASS/FAIL of the CIS, FSBP and mission controls, with findings and evidence."""
    return _call("audit_controls", audit_report.controls, sites, intent or {}, settings or {})


def audit_report_html(sites, intent, result, settings=None):
    """The auditor's self-contained HTML report."""
    return _call("audit_report_html", audit_report.report_html, sites, intent or {}, result or {}, settings or {})


class FilterModule:
    def filters(self):
        return {
            "reachability": reachability,
            "audit_controls": audit_controls,
            "audit_report_html": audit_report_html,
        }
