# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The common head of the modules that take a whole set of resources (alarms, rules, filters).

:func:`desired_set` accepts the module's options, or a bare list of items (the controller's
filters pass one), and returns them with the state and the items checked; every error is a
``ValueError`` naming the bad value, raised before any AWS call.
"""

from __future__ import annotations


def desired_set(desired, key, fields):
    """(options as a dict, state, the list under ``key``) from the module's options or a bare list.

    ``fields`` names the options a dict may hold, for the error message.
    """
    if isinstance(desired, list):
        desired = {key: desired}
    if not isinstance(desired, dict):
        raise ValueError(f"desired must be a dict ({fields}) or a list of {key}, got {desired!r}")
    state = desired.get("state") or "present"
    if state not in ("present", "absent"):
        raise ValueError(f"state must be present or absent, got {state!r}")
    specs = desired.get(key) or []
    if not isinstance(specs, list):
        raise ValueError(f"{key} must be a list, got {specs!r}")
    return desired, state, specs
