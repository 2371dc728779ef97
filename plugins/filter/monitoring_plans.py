# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for planning the monitoring on the controller: the stage's plans, three set planners and two builders.

Thin wrappers of ``plugins/module_utils/monitoring_plan.py`` (the stage: ``monitoring_plan``,
``monitoring_teardown_plan``, ``monitoring_result``) and of ``log_metric_filters.py``,
``cloudwatch_alarms.py`` and ``event_rules.py``, the very functions the modules
``log_metric_filters``, ``cloudwatch_alarms`` and ``event_rules`` decide with; the documentation
of each filter lives in ``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
cloudwatch_alarms = lazy_module("cloudwatch_alarms")
event_rules = lazy_module("event_rules")
log_metric_filters = lazy_module("log_metric_filters")
stage = lazy_module("monitoring_plan")


def _call(name, function, *args):
    """Run on plain copies of the (possibly tagged) inputs; bad input becomes an AnsibleFilterError."""
    try:
        return function(*(native(arg) for arg in args))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from None


def plan_metric_filters(current_log_group, desired):
    """Changes that turn the described log group's metric filters into the wanted ones."""
    return _call("plan_metric_filters", log_metric_filters.plan_metric_filters, current_log_group, desired)


def plan_alarms(current_alarms, desired):
    """Changes that turn the described alarms into the wanted ones."""
    return _call("plan_alarms", cloudwatch_alarms.plan_alarms, current_alarms, desired)


def plan_rules(current_rules, desired):
    """Changes that turn the described EventBridge rules into the wanted ones."""
    return _call("plan_rules", event_rules.plan_rules, current_rules, desired)


def metric_filter_specs(peer_cidrs, allowed_ports, log_fields, network, suffix, namespace, metric_names):
    """The site's peering metric filters (input of netsec.aws_peering.log_metric_filters)."""
    return _call("metric_filter_specs", log_metric_filters.metric_filter_specs,
                 peer_cidrs, allowed_ports, log_fields, network, suffix, namespace, metric_names)


def change_alert_rules(names, vpc_id, route_table_ids, nacl_ids, security_group_ids, topic_arn, network):
    """The site's change-alert rules (input of netsec.aws_peering.event_rules)."""
    return _call("change_alert_rules", event_rules.change_alert_rules,
                 names, vpc_id, route_table_ids, nacl_ids, security_group_ids, topic_arn, network)


def _stage(name, function, state, spec, *more):
    if not isinstance(native(state), dict) or not isinstance(native(spec), dict):
        raise AnsibleFilterError(f"{name}: expects the site state and the monitoring spec (dicts), got "
                                 f"{type(state).__name__}, {type(spec).__name__}")
    return _call(name, function, state, spec, *more)


def monitoring_plan(state, spec, kms_keys=None):
    """The monitoring stage's plan (errors, changes, steps, args, result) for one site; kms_keys: kms_keys' answer after a run."""
    return _stage("monitoring_plan", stage.plan_monitoring, state, spec, kms_keys)


def monitoring_teardown_plan(state, spec):
    """What removing the site's monitoring takes (only what carries the ownership tags)."""
    return _stage("monitoring_teardown_plan", stage.plan_monitoring_teardown, state, spec)


def monitoring_result(state, spec):
    """The site's monitoring as it is now (names of what exists), for the ``info`` entry point."""
    return _stage("monitoring_result", stage.monitoring_result, state, spec)


class FilterModule:
    """Monitoring planners and builders."""

    def filters(self):
        return {
            "plan_metric_filters": plan_metric_filters,
            "plan_alarms": plan_alarms,
            "plan_rules": plan_rules,
            "metric_filter_specs": metric_filter_specs,
            "change_alert_rules": change_alert_rules,
            "monitoring_plan": monitoring_plan,
            "monitoring_teardown_plan": monitoring_teardown_plan,
            "monitoring_result": monitoring_result,
        }
