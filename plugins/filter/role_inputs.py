# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Validate a host's role inputs against the roles' argument specs, before any AWS change.

``role_input_values(host_vars, specs)`` picks the role variables a host sets;
``role_input_errors(values, specs)`` checks them (module_utils/input_validation.py).
The documentation of each filter lives in ``plugins/filter/<filter name>.yml``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleError, AnsibleFilterError
from jinja2 import Undefined
from jinja2.exceptions import UndefinedError

from ansible_collections.netsec.aws_peering.plugins.filter.network import native
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
declared_options = lazy_function("input_validation", "declared_options")
validate_inputs = lazy_function("input_validation", "validate_inputs")


def role_input_errors(values, specs, required_roles=None, open_cidr_exceptions=None):
    """Messages naming the variable path and the bad value; empty when every input is valid. Never fails."""
    return validate_inputs(specs, values, required_roles=required_roles, open_cidr_exceptions=open_cidr_exceptions)


def _has_undefined(value):
    """Whether a rendered value still holds an undefined part (ansible-core hands those over as Undefined markers)."""
    if isinstance(value, Undefined):
        return True
    if isinstance(value, Mapping):
        return any(_has_undefined(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_undefined(item) for item in value)
    return False


def role_input_values(host_vars, specs):
    """{name: value} of every variable declared in a role spec that host_vars defines, as plain data.

    A variable whose template cannot be rendered yet (it refers to facts the run
    sets) is left out: the role's own checks still see it.
    """
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError("role_input_values: expects a host's variables (hostvars[host]), got %s" % type(host_vars).__name__)
    if not isinstance(specs, Mapping):
        raise AnsibleFilterError("role_input_values: specs must be a dict of role -> argument_specs, got %s" % type(specs).__name__)
    picked = {}
    for name in declared_options(specs):
        if name not in host_vars:
            continue
        try:
            # Rendering happens here, on access: a plain copy validates what the roles will get.
            value = native(host_vars[name])
        except (AnsibleError, UndefinedError):
            continue
        if not _has_undefined(value):
            picked[name] = value
    return picked


class FilterModule:
    """Role input validation for netsec.aws_peering."""

    def filters(self):
        return {
            "role_input_errors": role_input_errors,
            "role_input_values": role_input_values,
        }
