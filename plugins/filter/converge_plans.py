# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The converge modules' planners on the controller: what ``secure_bucket`` and ``kms_keys`` would change.

Thin wrappers of ``plan_bucket`` (``plugins/module_utils/secure_bucket.py``) and ``plan_keys``
(``plugins/module_utils/kms_keys.py``), the functions the modules themselves call, so a plan made
here from ``site_info``'s state and the module's run decide the same. The documentation of each
filter lives in ``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
plan_keys = lazy_function("kms_keys", "plan_keys")
_secure_bucket = lazy_module("secure_bucket")
plan_bucket = lazy_function("secure_bucket", "plan_bucket")


def _call(name, function, *args):
    """Run on plain copies of the (possibly tagged) inputs; a refusal or bad input becomes an AnsibleFilterError."""
    try:
        return function(*(native(arg) for arg in args))
    except (_secure_bucket.PlanError, TypeError, KeyError, AttributeError) as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from None


def bucket_plan(current, desired):
    """The changes secure_bucket would make: current is describe_bucket's answer (or None), desired its options."""
    return _call("bucket_plan", plan_bucket, current, desired)


def kms_keys_plan(current, desired, orphans=None):
    """The changes kms_keys would make: current maps alias -> describe_key's answer, desired is its options."""
    return _call("kms_keys_plan", plan_keys, current, desired, orphans)


class FilterModule:
    def filters(self):
        return {
            "bucket_plan": bucket_plan,
            "kms_keys_plan": kms_keys_plan,
        }
