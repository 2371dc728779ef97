#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# Documentation only: the work is done by the action plugin plugins/action/plan_report.py, which runs
# on the controller and declares check mode support (_supports_check_mode = True, the action-plugin
# form of supports_check_mode=True).

DOCUMENTATION = r"""
module: plan_report
short_description: Compute a stage's plan, stop on its errors and show its changes
version_added: 0.1.0
description:
  - Runs on the controller only (an action plugin; no module process, no AWS call).
  - With O(planner), computes the plan itself, calling that planner filter of the collection with the host's
    C(site_state) fact as it is (never templated again, which is what a large state costs) and O(planner_args).
    The plan's keys are returned at the top level of the result, so C(register) gives the plan.
  - Fails, listing every problem, when the plan has errors, so a bad input or a resource that is not
    ours stops the run before any change.
  - Returns the plan's changes. In check mode the task reports C(changed) when the plan has changes and,
    with C(--diff), shows them, so C(--check --diff) shows the plan of every stage. In a normal run it
    never reports a change itself; the converge tasks do.
options:
  stage:
    description: Name of the stage, in the messages.
    type: str
    required: true
  plan:
    description: The plan, a dict with C(changes) (list of dicts with C(resource), C(action) and optionally
      C(field), C(before), C(after)) and C(errors) (list of strings). Either O(plan) or O(planner).
    type: dict
  planner:
    description: The name of a planner filter of this collection (for example C(network_plan)), called with the
      host's C(site_state) and O(planner_args).
    type: str
  planner_args:
    description: The planner's arguments after the site state.
    type: list
    elements: raw
    default: []
attributes:
  check_mode:
    support: full
    description: Reports the planned changes as changes.
  diff_mode:
    support: full
    description: Shows the planned changes.
  platform:
    support: full
    platforms: all
    description: An action plugin; it runs on the controller whatever the target host.
author:
  - netsec aws_peering maintainers (@netsec)
"""

EXAMPLES = r"""
- name: Plan the network; stop on its problems before any change
  netsec.aws_peering.plan_report:
    stage: network
    planner: network_plan
    planner_args: ["{{ vpc_spec }}"]
  register: vpc_plan

- name: Show a plan computed elsewhere
  netsec.aws_peering.plan_report:
    stage: network
    plan: "{{ site_state | netsec.aws_peering.network_plan(vpc_spec) }}"
"""

RETURN = r"""
changes:
  description: The planned changes.
  returned: always
  type: list
  elements: dict
plan:
  description: One line per planned change.
  returned: when there are changes
  type: list
  elements: str
errors:
  description: The plan's problems.
  returned: on failure
  type: list
  elements: str
"""
