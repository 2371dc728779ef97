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
from ansible_collections.netsec.aws_peering.plugins.filter.plans import site_network
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
audit_report = lazy_module("audit_report")
evaluator = lazy_module("reachability")
site_names = lazy_function("names", "site_names")


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


def reachability_intent(hosts, hostvars, peerings, client_ports=None):
    """The intent to prove, from the inventory: the peerings, and per site the collection's own private
    subnets and peering security group (never someone else's subnets in an adopted VPC)."""
    sites = {}
    for host in hosts:
        try:
            state = hostvars[host]["site_state"]
        except (KeyError, TypeError):
            continue
        network = site_network(state)
        names = site_names(state.get("network_name"), state.get("environment_suffix"))
        groups = [g["GroupId"] for g in state.get("security_groups", []) if g.get("GroupName") == names["peering_security_group"]]
        sites[host] = {"private_subnet_ids": network.get("private_subnet_ids", []), "workload_security_group_ids": groups}
    wanted = [{key: p[key] for key in ("name", "requester", "accepter", "ports", "direction", "dns_resolution") if key in p}
              for p in (peerings or []) if p.get("requester") in sites and p.get("accepter") in sites]
    intent = {"peerings": wanted, "sites": sites}
    if client_ports:
        intent["client_ports"] = [int(port) for port in client_ports]
    return intent


def reachability_sites(hosts, hostvars):
    """{site: site_state} of the given hosts (those that described themselves)."""
    out = {}
    for host in hosts:
        try:
            out[host] = hostvars[host]["site_state"]
        except (KeyError, TypeError):
            continue
    return out


class FilterModule:
    def filters(self):
        return {
            "reachability": reachability,
            "audit_controls": audit_controls,
            "audit_report_html": audit_report_html,
            "reachability_intent": reachability_intent,
            "reachability_sites": reachability_sites,
        }
