# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The ``policy`` filter: any policy document of plugins/module_utils/policies.py by name.

One filter instead of one per document: the documents share their parameters
(region, account_id, names), so one documentation page (``policy.yml``) covers them all
and a new document needs no new filter.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native, show
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
_policies = lazy_module("policies")


def policy(name, **params):
    """The policy document ``name`` (a key of POLICIES) built from ``params``."""
    name = native(name)
    builder = _policies.POLICIES.get(name) if isinstance(name, str) else None
    if builder is None:
        raise AnsibleFilterError(f"policy: unknown policy {show(name)}; known: {', '.join(sorted(_policies.POLICIES))}")
    try:
        return builder(**native(params))
    except TypeError as exc:
        # A missing or unexpected parameter: name the policy and what it takes.
        raise AnsibleFilterError(f"policy {name}: {exc}; see `ansible-doc -t filter netsec.aws_peering.policy`") from None
    except ValueError as exc:
        raise AnsibleFilterError(f"policy {name}: {exc}") from None


class FilterModule:
    """IAM, key, bucket, topic and endpoint policy documents."""

    def filters(self):
        return {"policy": policy}
