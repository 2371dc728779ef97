# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Import a module_utils module of this collection on first use.

To find one filter, Ansible loads every filter file of the collection, in the worker process of
each task, and its collection loader compiles them from source (no bytecode cache): a filter
file that imports its planners at the top makes every task that uses any of our filters compile
them all (about 0.3 s a task). Filter files import their planners through ``lazy_module`` so that
only the file whose filter runs pays for its own.
"""

from __future__ import annotations

import importlib

PACKAGE = "ansible_collections.netsec.aws_peering.plugins.module_utils"


class LazyModule:
    """A module of ``plugins/module_utils`` imported when one of its attributes is first read."""

    def __init__(self, name):
        self._name = name
        self._module = None

    def __getattr__(self, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        if self._module is None:
            self._module = importlib.import_module(f"{PACKAGE}.{self._name}")
        return getattr(self._module, attribute)

    def __repr__(self):
        return f"<lazy module {PACKAGE}.{self._name}>"


def lazy_module(name):
    """The module ``plugins/module_utils/<name>``, imported on first attribute access."""
    return LazyModule(name)


def lazy_function(module, name):
    """The function ``name`` of ``plugins/module_utils/<module>``, imported when first called."""
    holder = LazyModule(module)

    def call(*args, **kwargs):
        return getattr(holder, name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"{PACKAGE}.{module}.{name}, imported on first call."
    call.resolve = lambda: getattr(holder, name)
    return call
