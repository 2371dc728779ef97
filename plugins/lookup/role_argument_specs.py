# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_argument_specs
author: netsec aws_peering maintainers (@netsec)
version_added: 0.1.0
short_description: The argument specs of this collection's roles
description:
  - Returns one dict, role name to that role's C(argument_specs) (every entry point), read on the controller
    from C(roles/<role>/meta/argument_specs.yml) of this collection, or from the C(argument_specs) key of
    C(roles/<role>/meta/main.yml) when the role has no C(argument_specs.yml).
  - Feeds the filters P(netsec.aws_peering.role_input_values#filter) and P(netsec.aws_peering.role_input_errors#filter),
    so that preflight checks every role input the way the roles declare it. No AWS call.
options:
  _terms:
    description: Roles to load; none loads every role of the collection (each directory under C(roles/) with a spec).
    type: list
    elements: str
    required: false
  roles_dir:
    description: Read the roles from this directory instead of the collection's C(roles/).
    type: path
"""

EXAMPLES = r"""
- name: Validate every role input this site sets
  vars:
    role_specs: "{{ lookup('netsec.aws_peering.role_argument_specs') }}"
    problems: >-
      {{ hostvars[inventory_hostname] | netsec.aws_peering.role_input_values(role_specs)
         | netsec.aws_peering.role_input_errors(role_specs, open_cidr_exceptions=open_cidr_exceptions) }}
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems }}"

- name: Only the security and flowlogs roles
  ansible.builtin.debug:
    msg: "{{ lookup('netsec.aws_peering.role_argument_specs', 'security', 'flowlogs') | list }}"
"""

RETURN = r"""
_raw:
  description: One dict, role name to the role's C(argument_specs) (entry point name to its spec).
  type: list
  elements: dict
"""

from pathlib import Path

import yaml

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

# plugins/lookup/<this file> -> the collection root.
COLLECTION_ROLES = Path(__file__).resolve().parents[2] / "roles"


def _read_yaml(path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AnsibleLookupError("role_argument_specs: cannot read %s: %s" % (path, exc)) from None


def role_specs(role_dir):
    """The argument_specs of one role directory, or None when it declares none."""
    meta = role_dir / "meta"
    for name in ("argument_specs.yml", "main.yml"):
        path = meta / name
        if path.is_file():
            document = _read_yaml(path)
            specs = document.get("argument_specs") if isinstance(document, dict) else None
            if specs is not None:
                if not isinstance(specs, dict):
                    raise AnsibleLookupError("role_argument_specs: argument_specs in %s is not a dict" % path)
                return specs
    return None


def all_role_specs(roles_dir, names=None):
    """{role: argument_specs} for the named roles, or for every role of roles_dir that declares specs."""
    roles_dir = Path(roles_dir)
    if not names:
        found = {child.name: role_specs(child) for child in sorted(roles_dir.iterdir()) if child.is_dir()} if roles_dir.is_dir() else {}
        return {name: specs for name, specs in found.items() if specs is not None}
    result = {}
    for name in names:
        specs = role_specs(roles_dir / str(name))
        if specs is None:
            raise AnsibleLookupError("role_argument_specs: role %r has no argument specs under %s" % (name, roles_dir))
        result[str(name)] = specs
    return result


class LookupModule(LookupBase):
    """{role: argument_specs} of this collection's roles."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        roles_dir = self.get_option("roles_dir") or COLLECTION_ROLES
        return [all_role_specs(roles_dir, terms)]
