"""Tables of cases for the action plugin netsec.aws_peering.plan_report (plugins/action/plan_report.py).

The ActionModule is built as ansible-core's own action plugin unit tests build theirs: a real Task with the
task's args, check and diff modes, and mocked connection, play context, loader and templar.
"""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail
from ansible.playbook.task import Task

from ansible_collections.netsec.aws_peering.plugins.action.plan_report import ActionModule
from ansible_collections.netsec.aws_peering.plugins.action.plan_report import describe

CHANGES = [
    {"resource": "vpc vpc-trading-sandbox", "action": "create", "field": "cidr", "before": None, "after": "10.0.0.0/16"},
    {"resource": "vpc vpc-0123456789abcdef0", "action": "update", "field": "EnableDnsHostnames", "before": False, "after": True},
    {"resource": "route-table rtb-0123456789abcdef0", "action": "delete"},
]


def run(plan, check_mode=False, diff=False, stage="network of trading", extra_args=None):
    task = Task()
    task.action = "netsec.aws_peering.plan_report"
    task.args = dict({"stage": stage, "plan": plan}, **(extra_args or {}))
    task.check_mode = check_mode
    task.diff = diff
    connection = MagicMock()
    connection._shell.tmpdir = "/nonexistent"
    action = ActionModule(task, connection, MagicMock(), loader=MagicMock(), templar=MagicMock(), shared_loader_obj=None)
    return action.run(task_vars={})


@pytest.mark.parametrize("check_mode", [False, True])
def test_errors_fail_with_every_message_whatever_the_changes(check_mode):
    errors = ["vpc_cidr is required to create the VPC of trading", "2 VPCs match the site trading: vpc-1, vpc-2; expected exactly one"]
    result = run({"errors": errors, "changes": CHANGES}, check_mode=check_mode, diff=True)
    assert result["failed"] is True
    assert result["errors"] == errors
    assert "network of trading" in result["msg"] and "2 problem(s)" in result["msg"] and "nothing was changed" in result["msg"]
    for error in errors:
        assert f"\n- {error}" in result["msg"]
    assert not result.get("changed") and "diff" not in result


def test_check_mode_reports_the_changes_as_the_change_with_the_diff():
    result = run({"errors": [], "changes": CHANGES}, check_mode=True, diff=True)
    assert result.get("failed") is not True
    assert result["changed"] is True
    assert result["changes"] == CHANGES
    assert result["msg"] == "network of trading: 3 change(s) would be made"
    assert result["plan"] == ["create vpc vpc-trading-sandbox cidr: None -> '10.0.0.0/16'",
                              "update vpc vpc-0123456789abcdef0 EnableDnsHostnames: False -> True",
                              "delete route-table rtb-0123456789abcdef0"]
    diff = result["diff"]
    assert diff["before_header"] == "network of trading (live)" and diff["after_header"] == "network of trading (planned)"
    assert diff["before"] == ("vpc vpc-trading-sandbox cidr: None\n"
                              "vpc vpc-0123456789abcdef0 EnableDnsHostnames: False\n"
                              "route-table rtb-0123456789abcdef0 : None\n")
    assert diff["after"] == "".join(f"{line}\n" for line in result["plan"])


def test_check_mode_without_diff_has_no_diff():
    result = run({"errors": [], "changes": CHANGES}, check_mode=True, diff=False)
    assert result["changed"] is True and "diff" not in result


@pytest.mark.parametrize("diff", [False, True])
def test_normal_mode_never_reports_a_change_itself(diff):
    """The converge modules that follow report what they change; the report must not count it twice."""
    result = run({"errors": [], "changes": CHANGES}, check_mode=False, diff=diff)
    assert result["changed"] is False
    assert result["msg"] == "network of trading: 3 change(s) to make"
    assert result["changes"] == CHANGES and len(result["plan"]) == 3


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("plan", [{"errors": [], "changes": []}, {"changes": []}, {}, {"errors": None, "changes": [], "layout": {}}])
def test_nothing_to_do(plan, check_mode):
    result = run(plan, check_mode=check_mode, diff=True)
    assert result["changed"] is False and result.get("failed") is not True
    assert result["msg"] == "network of trading: nothing to do"
    assert "plan" not in result and "diff" not in result


@pytest.mark.parametrize("plan", [None, "errors: []", ["changes"], {"changes": "create vpc"}, {"changes": {"resource": "vpc"}},
                                  {"errors": [], "changes": None}])
def test_bad_plan_argument(plan):
    with pytest.raises(AnsibleActionFail, match="plan_report: plan must be a dict"):
        run(plan)


def test_describe():
    assert describe({}) == "? ?"
    assert describe({"action": "update", "resource": "subnet s", "field": "tags", "before": {"A": None}, "after": {"A": "1"}}) == (
        "update subnet s tags: {'A': None} -> {'A': '1'}")
