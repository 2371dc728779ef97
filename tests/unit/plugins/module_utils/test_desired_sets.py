"""desired_set: the shared head of the set-taking modules (alarms, rules, filters)."""

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import desired_set


@pytest.mark.parametrize("desired, expected", [
    ([{"name": "a"}], ({"rules": [{"name": "a"}]}, "present", [{"name": "a"}])),
    ({"rules": None, "state": "absent"}, ({"rules": None, "state": "absent"}, "absent", [])),
    ({"rules": [], "state": None}, ({"rules": [], "state": None}, "present", [])),
    ({}, ({}, "present", [])),
])
def test_accepted(desired, expected):
    assert desired_set(desired, "rules", "rules, state") == expected


@pytest.mark.parametrize("desired, message", [
    ("rules", "desired must be a dict (rules, state) or a list of rules, got 'rules'"),
    ({"state": "gone"}, "state must be present or absent, got 'gone'"),
    ({"rules": {"name": "a"}}, "rules must be a list, got {'name': 'a'}"),
])
def test_refused_naming_the_value(desired, message):
    with pytest.raises(ValueError) as refused:
        desired_set(desired, "rules", "rules, state")
    assert str(refused.value) == message
