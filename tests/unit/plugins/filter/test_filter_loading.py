"""Loading our filter files stays cheap: every task that uses one of our filters loads them all.

Ansible's Jinja2 plugin loader imports every filter file of the collection to find one filter,
in the task's worker process, compiling from source. The planners they call are imported on
first use (module_utils/lazy_import.py); these tests fail when a filter file imports one at the
top again, or when anything on that path pulls in boto3.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import PACKAGE
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

REPO = Path(__file__).resolve().parents[4]

LOAD_ALL_FILTERS = """
import importlib, json, pkgutil, sys
sys.path.insert(0, sys.argv[1])
import ansible.plugins.filter
package = importlib.import_module("ansible_collections.netsec.aws_peering.plugins.filter")
for _finder, name, _ispkg in pkgutil.iter_modules(package.__path__):
    module = importlib.import_module(package.__name__ + "." + name)
    module.FilterModule().filters()
print(json.dumps(sorted(sys.modules)))
"""


@pytest.fixture(scope="module")
def loaded_by_all_filters():
    done = subprocess.run([sys.executable, "-c", LOAD_ALL_FILTERS, str(REPO / ".collections")],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_loading_every_filter_file_imports_no_planner(loaded_by_all_filters):
    ours = [name.rsplit(".", 1)[1] for name in loaded_by_all_filters
            if name.startswith("ansible_collections.netsec.aws_peering.plugins.module_utils.")]
    assert ours == ["lazy_import"]


@pytest.mark.parametrize("heavy", ["boto3", "botocore", "ansible_collections.amazon.aws.plugins.module_utils.botocore"])
def test_loading_every_filter_file_imports_no_aws_sdk(loaded_by_all_filters, heavy):
    assert heavy not in loaded_by_all_filters


@pytest.mark.parametrize("module, attribute, args, expected", [
    ("names", "tag_dict", ([{"Key": "a", "Value": "b"}],), {"a": "b"}),
    ("identifiers", "role_name_of_arn", ("arn:aws:iam::123456789012:role/path/x",), "x"),
])
def test_lazy_function_calls_the_module_function(module, attribute, args, expected):
    function = lazy_function(module, attribute)
    assert function.__name__ == attribute
    assert function(*args) == expected
    assert function.resolve() is getattr(importlib.import_module(f"{PACKAGE}.{module}"), attribute)


def test_lazy_module_reads_attributes_and_exceptions_on_first_use():
    security_plan = lazy_module("security_plan")
    with pytest.raises(security_plan.RuleError):
        raise security_plan.RuleError("bad rule")


def test_lazy_module_names_a_missing_module_when_used():
    missing = lazy_module("no_such_planner")
    with pytest.raises(ModuleNotFoundError, match="no_such_planner"):
        missing.anything  # noqa: B018 (the read is what imports)
