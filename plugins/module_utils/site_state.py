# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Describing a site again after a change: only what changed, merged into what the run knows.

Every description carries the site's network (VPC, subnets, route tables, ACLs, groups,
endpoints, peerings, flow logs): one EC2 client, about as cheap as a module process gets.
The other scopes cost a client and a dozen calls each (IAM, KMS, S3, Config, SNS, Logs,
CloudWatch, EventBridge), so a stage that changed peerings has the next stage describe the
network only, and the rest of the state is kept from the run's first description.
No AWS call here: the site_state role plans its describe with these functions on the controller.
"""

from __future__ import annotations

SCOPES = ("network", "peering", "security", "endpoints", "flowlogs", "config", "monitoring")

# The keys a scope adds to the network every description carries (see site_info / discovery.discover).
SCOPE_KEYS = {
    "network": (),
    "peering": ("iam_roles",),
    "security": ("prefix_lists",),
    "endpoints": ("prefix_lists",),
    "flowlogs": ("iam_roles", "kms_keys", "buckets"),
    "config": ("iam_roles", "kms_keys", "buckets", "config"),
    "monitoring": ("prefix_lists", "iam_roles", "kms_keys", "buckets", "topic", "log_group", "alarms", "event_rules",
                   "dashboard"),
}
# Keyed by resource name: a narrower description adds to them instead of replacing them.
BY_NAME = ("iam_roles", "kms_keys", "buckets")


class ScopeError(ValueError):
    """A scope that site_info does not know."""


def _scopes(value, what):
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple, set)):
        raise ScopeError(f"{what}: {value!r} is not a list of scopes")
    unknown = sorted(set(value) - set(SCOPES))
    if unknown:
        raise ScopeError(f"{what}: unknown scope(s) {', '.join(map(repr, unknown))}; known: {', '.join(SCOPES)}")
    return [scope for scope in SCOPES if scope in value]


def stale_scopes(current, stale, changed):
    """The scopes to describe again once a stage changed ``changed``, given what was already stale.

    ``current`` is the list so far and ``stale`` whether the site was already marked stale: a site
    marked stale without a list (``[]``) is described again whole, and stays so.
    """
    current = _scopes(current, "site_state_stale_scopes")
    if stale and not current:
        return []
    return _scopes(set(current) | set(_scopes(changed, "changed scopes")), "changed scopes")


def describe_scopes(known, stale, stale_list, refresh, refresh_list, wanted):
    """What the site_state role describes now: ``[]`` for nothing, else the scopes to pass site_info.

    known: whether the run already has a description; stale/stale_list: a stage changed the site
    (the list names what, empty for everything); refresh/refresh_list: the caller asks again (the
    list narrows it, empty for everything); wanted: every scope the role describes.
    """
    wanted = _scopes(wanted, "site_state_scopes")
    if not known:
        return wanted
    parts = []
    for flag, scopes, what in ((stale, stale_list, "site_state_stale_scopes"), (refresh, refresh_list, "site_state_refresh_scopes")):
        if flag:
            scopes = _scopes(scopes, what)
            if not scopes:
                return wanted
            parts.extend(scopes)
    return [scope for scope in wanted if scope in parts] or (["network"] if parts else [])


def merge_site_state(known, fresh):
    """``known`` with what the narrower description ``fresh`` holds (its scopes, by ``fresh['scopes']``)."""
    if not known:
        return fresh
    described = _scopes(fresh.get("scopes"), "scopes of the new description")
    own = {key for scope in described for key in SCOPE_KEYS[scope]}
    scoped = {key for keys in SCOPE_KEYS.values() for key in keys}
    merged = dict(known)
    for key, value in fresh.items():
        if key in scoped and key not in own:
            continue
        if key in BY_NAME:
            merged[key] = dict(known.get(key) or {}, **(value or {}))
        else:
            merged[key] = value
    merged["scopes"] = _scopes(set(known.get("scopes") or []) | set(described), "scopes")
    return merged
