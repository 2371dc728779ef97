# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The common parts of the modules that take a whole set of resources (alarms, rules, filters, groups, endpoints).

:func:`desired_set` accepts the module's options, or a bare list of items (the controller's
filters pass one), and returns them with the state and the items checked; every error is a
``ValueError`` naming the bad value, raised before any AWS call. :func:`checked_spec` is the
first check of one item.

:func:`converge_set` and :func:`converge_rounds` are the bodies of the modules' ``main()``: they
take the module's own readers, planners and writers as callables. Nothing here calls AWS or
imports an AWS library, because the controller's filters import this file too.
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


def checked_spec(spec, where, keys):
    """ValueError naming ``where`` unless ``spec`` is a dict holding only ``keys``."""
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be a dict, got {spec!r}")
    unknown = set(spec) - set(keys)
    if unknown:
        raise ValueError(f"{where} has unknown keys {sorted(unknown)}")


def converge_set(module, client, wanted, describe, plan, execute, diff_of, settle=None):
    """Describe, plan, show the diff, execute and describe again; (result, the state described last).

    The callables are the module's own: ``describe(module, client, wanted)``, ``plan(current)`` (the
    changes), ``diff_of(current, wanted, changes)``, ``execute(module, client, current, wanted, changes)``
    and ``settle(module, client, current, wanted)``, true when it repaired what the first read after
    the changes showed, so that the result shows the repaired state. In check mode nothing is executed.
    """
    current = describe(module, client, wanted)
    changes = plan(current)
    result = dict(changed=bool(changes), changes=changes)
    if module._diff:
        result["diff"] = diff_of(current, wanted, changes)
    if changes and not module.check_mode:
        execute(module, client, current, wanted, changes)
        current = describe(module, client, wanted)
        if settle is not None and settle(module, client, current, wanted):
            current = describe(module, client, wanted)
    return result, current


def converge_rounds(module, what, describe, plan, apply, rounds):
    """Plan and apply until the plan is empty, at most ``rounds`` times; (first state, last state, changes).

    A round can only plan what the previous one made possible (rules of a group it created), so the
    state is described and planned again after each. ``plan(state)`` returns ``{changes, errors}``;
    errors stop the run before that round changes anything. The changes are those made, or in check
    mode those planned first.
    """
    before = state = describe()
    planned = plan(state)
    first, done = planned["changes"], []
    for _round in range(rounds):
        if planned["errors"]:
            module.fail_json(msg="Nothing was changed in this round: " + "; ".join(planned["errors"]), changes=done)
        if not planned["changes"] or module.check_mode:
            break
        apply(planned["changes"])
        done.extend(planned["changes"])
        state = describe()
        planned = plan(state)
    else:
        module.fail_json(msg=f"The {what} did not converge in {rounds} rounds; still planned: {planned['changes']}", changes=done)
    return before, state, first if module.check_mode else done
