# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side dict helpers: tag filters for describe calls, flat output keys."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def tag_filters(tags):
    """Turn {'Key': 'value'} into EC2 describe filters {'tag:Key': 'value'}."""
    if not isinstance(tags, dict):
        raise AnsibleFilterError(f"tag_filters expects a dict of tags, got {type(tags).__name__}: {tags!r}")
    return {f"tag:{key}": value for key, value in tags.items()}


def prefix_keys(data, prefix):
    """Prefix every key of a dict, e.g. {'vpc_id': ..} -> {'trading_vpc_id': ..} for flat outputs."""
    if not isinstance(data, dict):
        raise AnsibleFilterError(f"prefix_keys expects a dict, got {type(data).__name__}: {data!r}")
    return {f"{prefix}{key}": value for key, value in data.items()}


class FilterModule:
    def filters(self):
        return {"tag_filters": tag_filters, "prefix_keys": prefix_keys}
