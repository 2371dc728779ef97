# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One planned change: the item every planner returns, the modules carry out and plan_report shows.

``{"resource", "action", "field", "before", "after"}``, plus the keys a module needs to carry it
out (an AWS ID, what to create). Standard library only: the controller's filters use it too.
"""

from __future__ import annotations

import copy

from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict


def change(resource, action, field=None, before=None, after=None, **extra):
    """One planned change; ``field``, ``before`` and ``after`` only for a change of one field, extra keys only when set."""
    out = {"resource": resource, "action": action}
    if field is not None:
        out.update(field=field, before=before, after=after)
    out.update({key: value for key, value in extra.items() if value is not None})
    return out


def copied_change(resource, action, field, before, after, **extra):
    """One planned change holding copies of the values, so that executing or projecting it never alters the planner's inputs."""
    return {"resource": resource, "action": action, "field": field, "before": copy.deepcopy(before), "after": copy.deepcopy(after), **extra}


def changes_diff(changes):
    """A run's diff as text: each change's resource and field, before and after."""
    return {"before": "".join(f"{c['resource']} {c.get('field', '')}: {c.get('before')!r}\n" for c in changes),
            "after": "".join(f"{c['resource']} {c.get('field', '')}: {c.get('after')!r}\n" for c in changes)}


def field_updates(resource, before, after, fields):
    """An update of each of ``fields`` whose value differs between the two views of ``resource``."""
    return [change(resource, "update", field, before.get(field), after.get(field)) for field in fields if before.get(field) != after.get(field)]


def by_resource(changes):
    """(name, its changes, their actions) for each resource ``<kind> <name>`` of a plan, in the plan's order."""
    for resource in dict.fromkeys(item["resource"] for item in changes):
        mine = [item for item in changes if item["resource"] == resource]
        yield resource.split(" ", 1)[1], mine, {item["action"] for item in mine}


def tag_changes(resource, current_tags, wanted, resource_id=None):
    """Tags to add or correct on one of our resources (as text, like AWS keeps them); tags others put there are never removed."""
    have = tag_dict(current_tags)
    missing = {key: str(value) for key, value in wanted.items() if have.get(key) != str(value)}
    if not missing:
        return []
    return [change(resource, "update", "tags", {k: have.get(k) for k in missing}, missing, id=resource_id)]
