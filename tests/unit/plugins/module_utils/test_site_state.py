"""Describing a site again after a change: only the scopes that changed, merged into the run's state."""

from __future__ import annotations

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils.site_state import SCOPES
from ansible_collections.netsec.aws_peering.plugins.module_utils.site_state import ScopeError
from ansible_collections.netsec.aws_peering.plugins.module_utils.site_state import describe_scopes
from ansible_collections.netsec.aws_peering.plugins.module_utils.site_state import merge_site_state
from ansible_collections.netsec.aws_peering.plugins.module_utils.site_state import stale_scopes

ALL = list(SCOPES)


@pytest.mark.parametrize("known, stale, stale_list, refresh, refresh_list, wanted, expected", [
    # the run's first description: everything the role is asked for, whatever the flags say
    (False, False, [], False, [], ALL, ALL),
    (False, True, ["peering"], False, [], ALL, ALL),
    (False, False, [], False, [], ["network", "peering"], ["network", "peering"]),
    # known and nothing changed: nothing
    (True, False, [], False, [], ALL, []),
    (True, False, ["peering"], False, ["config"], ALL, []),
    # a stage changed the peerings: the network and the peering scope only
    (True, True, ["peering"], False, [], ALL, ["peering"]),
    # stale without a list: everything
    (True, True, [], False, [], ALL, ALL),
    # a refresh without a list: everything; with one: that
    (True, False, [], True, [], ALL, ALL),
    (True, False, [], True, ["peering"], ALL, ["peering"]),
    # both: together, in the role's order
    (True, True, ["monitoring"], True, ["config", "peering"], ALL, ["peering", "config", "monitoring"]),
    (True, True, [], True, ["peering"], ALL, ALL),
    # a change in a scope the role does not describe: the network again, nothing more
    (True, True, ["config"], False, [], ["network", "security"], ["network"]),
])
def test_describe_scopes(known, stale, stale_list, refresh, refresh_list, wanted, expected):
    assert describe_scopes(known, stale, stale_list, refresh, refresh_list, wanted) == expected


@pytest.mark.parametrize("args, message", [
    ((True, True, ["peerings"], False, [], ALL), "site_state_stale_scopes: unknown scope(s) 'peerings'"),
    ((True, False, [], True, "peering", ALL), "site_state_refresh_scopes: 'peering' is not a list"),
    ((False, False, [], False, [], ["dns"]), "site_state_scopes: unknown scope(s) 'dns'"),
])
def test_describe_scopes_names_the_bad_value(args, message):
    with pytest.raises(ScopeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        describe_scopes(*args)


@pytest.mark.parametrize("current, stale, changed, expected", [
    ([], False, ["peering"], ["peering"]),
    (["config"], True, ["peering"], ["peering", "config"]),
    (["peering"], True, ["peering"], ["peering"]),
    # already stale as a whole: stays whole
    ([], True, ["monitoring"], []),
    (None, False, ["config"], ["config"]),
])
def test_stale_scopes(current, stale, changed, expected):
    assert stale_scopes(current, stale, changed) == expected


def test_stale_scopes_names_an_unknown_scope():
    with pytest.raises(ScopeError, match="changed scopes: unknown scope"):
        stale_scopes([], False, ["routes"])


KNOWN = {
    "scopes": ALL, "account_id": "111111111111", "vpc": {"VpcId": "vpc-1"}, "route_tables": [{"RouteTableId": "rtb-old"}],
    "vpc_peering_connections": [], "prefix_lists": [{"PrefixListId": "pl-1"}],
    "iam_roles": {"acceptance": {"RoleName": "acceptance"}, "config": None, "delivery": {"RoleName": "delivery"}},
    "kms_keys": {"alias/flowlogs": {"KeyId": "k1"}}, "buckets": {"flowlogs": {"Name": "flowlogs"}},
    "config": {"recorders": ["r"]}, "topic": {"TopicArn": "t"}, "alarms": [{"AlarmName": "a"}], "dashboard": {"DashboardName": "d"},
}


def test_merge_takes_the_network_and_the_described_scopes_and_keeps_the_rest():
    fresh = {"scopes": ["network", "peering"], "account_id": "111111111111", "vpc": {"VpcId": "vpc-1"},
             "route_tables": [{"RouteTableId": "rtb-new"}], "vpc_peering_connections": [{"VpcPeeringConnectionId": "pcx-1"}],
             "prefix_lists": [], "iam_roles": {"acceptance": {"RoleName": "acceptance", "changed": True}}}
    merged = merge_site_state(KNOWN, fresh)
    assert merged["route_tables"] == [{"RouteTableId": "rtb-new"}]
    assert merged["vpc_peering_connections"] == [{"VpcPeeringConnectionId": "pcx-1"}]
    # not described this time (site_info leaves an empty list where the scope was not asked for)
    assert merged["prefix_lists"] == [{"PrefixListId": "pl-1"}]
    # by name: the acceptance role is new, the others kept
    assert merged["iam_roles"] == {"acceptance": {"RoleName": "acceptance", "changed": True}, "config": None,
                                   "delivery": {"RoleName": "delivery"}}
    for key in ("kms_keys", "buckets", "config", "topic", "alarms", "dashboard"):
        assert merged[key] == KNOWN[key]
    assert merged["scopes"] == ALL


def test_merge_replaces_what_the_scope_covers_even_when_gone():
    fresh = {"scopes": ["network", "monitoring"], "vpc": {"VpcId": "vpc-1"}, "prefix_lists": [],
             "topic": None, "alarms": [], "dashboard": None, "log_group": None, "event_rules": [],
             "iam_roles": {"delivery": None}, "kms_keys": {}, "buckets": {}}
    merged = merge_site_state(KNOWN, fresh)
    assert (merged["topic"], merged["alarms"], merged["dashboard"], merged["prefix_lists"]) == (None, [], None, [])
    assert merged["iam_roles"]["delivery"] is None and merged["iam_roles"]["acceptance"] == {"RoleName": "acceptance"}
    assert merged["config"] == KNOWN["config"]


def test_merge_without_a_known_state_is_the_fresh_one():
    fresh = {"scopes": ALL, "vpc": None}
    assert merge_site_state(None, fresh) is fresh


def test_merge_leaves_the_known_state_unchanged():
    before = repr(KNOWN)
    merge_site_state(KNOWN, {"scopes": ["network", "config"], "config": {}, "iam_roles": {"config": {"RoleName": "c"}}})
    assert repr(KNOWN) == before
