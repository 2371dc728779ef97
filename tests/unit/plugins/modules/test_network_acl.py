"""Unit tests for netsec.aws_peering.network_acl (moto in-process)."""

import pytest

from ansible_collections.netsec.aws_peering.plugins.modules import network_acl

PEER = "10.20.0.0/24"


@pytest.fixture
def vpc(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(3)
    ]
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    return {"vpc_id": vpc_id, "subnets": subnets, "default_acl": default_acl}


def tcp(rule, port, cidr=PEER, egress=False, action="allow"):
    return {"rule_number": rule, "egress": egress, "protocol": "tcp", "rule_action": action,
            "cidr_block": cidr, "port_from": port, "port_to": port}


ENTRIES = [
    tcp(100, 443),
    tcp(110, 5432),
    {"rule_number": 120, "protocol": "tcp", "rule_action": "allow", "cidr_block": PEER,
     "port_from": 32768, "port_to": 65535},
    tcp(100, 443, egress=True),
    {"rule_number": 110, "egress": True, "protocol": "all", "rule_action": "allow", "cidr_block": "10.0.0.0/16"},
]


def acl_entries(ec2, nacl_id):
    acl = ec2.describe_network_acls(NetworkAclIds=[nacl_id])["NetworkAcls"][0]
    return {(e["Egress"], e["RuleNumber"]): e for e in acl["Entries"]}


def acl_of(ec2, subnet_id):
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
    return [a["NetworkAclId"] for a in acls if any(x["SubnetId"] == subnet_id for x in a["Associations"])][0]


def base_args(vpc, **kw):
    args = {"vpc_id": vpc["vpc_id"], "name": "app-private", "entries": ENTRIES, "subnet_ids": vpc["subnets"][:2]}
    args.update(kw)
    return args


def test_create_with_entries_and_subnets_then_idempotent(run_module, ec2, vpc):
    result = run_module(network_acl, base_args(vpc, tags={"Owner": "netsec"}))
    assert result["failed"] is False, result
    assert result["changed"] is True
    nacl = result["nacl"]
    assert nacl["nacl_id"].startswith("acl-")
    assert nacl["is_default"] is False
    assert nacl["tags"] == {"Name": "app-private", "Owner": "netsec"}
    assert nacl["associations"] == sorted(vpc["subnets"][:2])
    assert len(nacl["entries"]) == 5
    live = acl_entries(ec2, nacl["nacl_id"])
    assert live[(False, 100)]["PortRange"] == {"From": 443, "To": 443}
    assert live[(False, 120)]["PortRange"] == {"From": 32768, "To": 65535}
    assert live[(True, 110)]["Protocol"] == "-1"
    assert acl_of(ec2, vpc["subnets"][0]) == nacl["nacl_id"]
    assert acl_of(ec2, vpc["subnets"][2]) == vpc["default_acl"]

    again = run_module(network_acl, base_args(vpc, tags={"Owner": "netsec"}))
    assert again["failed"] is False, again
    assert again["changed"] is False, again["changes"]
    assert again["nacl"] == nacl


def test_replace_changed_entry_in_place(run_module, ec2, vpc):
    nacl_id = run_module(network_acl, base_args(vpc))["nacl"]["nacl_id"]
    changed = [dict(e) for e in ENTRIES]
    changed[0] = tcp(100, 443, cidr="10.30.0.0/24")
    result = run_module(network_acl, base_args(vpc, entries=changed), diff=True)
    assert result["changed"] is True
    assert [e["rule_number"] for e in result["changes"]["replaced"]] == [100]
    assert result["changes"]["created"] == [] and result["changes"]["deleted"] == []
    assert acl_entries(ec2, nacl_id)[(False, 100)]["CidrBlock"] == "10.30.0.0/24"
    before, after = result["diff"]["before"]["entries"], result["diff"]["after"]["entries"]
    assert "ingress 100 allow tcp 10.20.0.0/24 443-443" in before
    assert "ingress 100 allow tcp 10.30.0.0/24 443-443" in after
    assert "ingress 100 allow tcp 10.20.0.0/24 443-443" not in after


def test_partial_ownership_keeps_entries_outside_range(run_module, ec2, vpc):
    nacl_id = run_module(network_acl, base_args(vpc, managed_rule_range=[100, 999]))["nacl"]["nacl_id"]
    # someone else's rules, outside our range, and a stray rule inside it
    ec2.create_network_acl_entry(NetworkAclId=nacl_id, RuleNumber=50, Protocol="6", RuleAction="deny",
                                 Egress=False, CidrBlock="10.99.0.0/16", PortRange={"From": 22, "To": 22})
    ec2.create_network_acl_entry(NetworkAclId=nacl_id, RuleNumber=2000, Protocol="-1", RuleAction="allow",
                                 Egress=True, CidrBlock="10.98.0.0/16")
    ec2.create_network_acl_entry(NetworkAclId=nacl_id, RuleNumber=500, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="10.97.0.0/16")
    result = run_module(network_acl, base_args(vpc, managed_rule_range=[100, 999]))
    assert result["changed"] is True
    assert [(e["egress"], e["rule_number"]) for e in result["changes"]["deleted"]] == [(False, 500)]
    live = acl_entries(ec2, nacl_id)
    assert (False, 50) in live and (True, 2000) in live
    assert (False, 500) not in live
    assert len(live) == 7

    # purge_entries=false keeps an unlisted entry inside the range too
    ec2.create_network_acl_entry(NetworkAclId=nacl_id, RuleNumber=600, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="10.96.0.0/16")
    result = run_module(network_acl, base_args(vpc, managed_rule_range=[100, 999], purge_entries=False))
    assert result["changed"] is False
    assert (False, 600) in acl_entries(ec2, nacl_id)


def test_entry_outside_managed_range_refused(run_module, ec2, vpc):
    result = run_module(network_acl, base_args(vpc, managed_rule_range=[105, 999]))
    assert result["failed"] is True
    assert "rule_number 100 is outside managed_rule_range [105, 999]" in result["msg"]


def test_max_entries_exceeded_fails_before_any_write(run_module, ec2, vpc):
    nacl_id = run_module(network_acl, base_args(vpc, managed_rule_range=[100, 999]))["nacl"]["nacl_id"]
    for n in range(1, 4):  # three foreign inbound rules outside our range
        ec2.create_network_acl_entry(NetworkAclId=nacl_id, RuleNumber=n, Protocol="-1", RuleAction="allow",
                                     Egress=False, CidrBlock=f"10.9{n}.0.0/16")
    snapshot = acl_entries(ec2, nacl_id)
    more = ENTRIES + [tcp(200 + i, 1000 + i, cidr="10.21.0.0/24") for i in range(2)]
    # a subnet move and a tag change are also planned: none may happen
    result = run_module(network_acl, base_args(vpc, entries=more, managed_rule_range=[100, 999], max_entries=6,
                                               subnet_ids=vpc["subnets"], tags={"New": "tag"}))
    assert result["failed"] is True
    assert "ingress: 8 entries" in result["msg"] and "max_entries 6" in result["msg"]
    assert "3 kept outside" in result["msg"]
    assert acl_entries(ec2, nacl_id) == snapshot
    assert acl_of(ec2, vpc["subnets"][2]) == vpc["default_acl"]
    tags = ec2.describe_network_acls(NetworkAclIds=[nacl_id])["NetworkAcls"][0]["Tags"]
    assert {"Key": "New", "Value": "tag"} not in tags


def test_max_entries_exceeded_on_create_creates_nothing(run_module, ec2, vpc):
    result = run_module(network_acl, base_args(vpc, max_entries=2))
    assert result["failed"] is True
    assert "ingress: 3 entries" in result["msg"] and "max_entries 2" in result["msg"]
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])["NetworkAcls"]
    assert len(acls) == 1  # only the default ACL


@pytest.mark.parametrize(
    "entry, message",
    [
        (tcp(130, 443, cidr="0.0.0.0/0"), "allows 0.0.0.0/0"),
        ({"rule_number": 130, "egress": True, "protocol": "all", "rule_action": "allow",
          "ipv6_cidr_block": "::/0"}, "allows ::/0"),
        (tcp(100, 443), "duplicate rule_number 100 for ingress"),
        ({"rule_number": 130, "protocol": "tcp", "rule_action": "allow", "cidr_block": PEER, "port_from": 443},
         "port_from and port_to are required"),
        (tcp(130, 443, cidr="10.20.0.1/24"), "'10.20.0.1/24' is not a valid network CIDR"),
        ({"rule_number": 130, "protocol": "gre", "rule_action": "allow", "cidr_block": PEER}, "protocol 'gre'"),
        ({"rule_number": 130, "protocol": "all", "rule_action": "allow"}, "exactly one of cidr_block"),
        (tcp(40000, 443), "rule_number 40000"),
    ],
)
def test_bad_entries_refused_before_any_write(run_module, ec2, vpc, entry, message):
    result = run_module(network_acl, base_args(vpc, entries=ENTRIES + [entry]))
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])["NetworkAcls"]
    assert len(acls) == 1


def test_open_cidr_allowed_with_flag_and_deny_always_allowed(run_module, ec2, vpc):
    entries = [tcp(100, 443, cidr="0.0.0.0/0"), tcp(90, 22, cidr="0.0.0.0/0", action="deny")]
    refused = run_module(network_acl, base_args(vpc, entries=entries))
    assert refused["failed"] is True and "0.0.0.0/0" in refused["msg"]
    ok = run_module(network_acl, base_args(vpc, entries=entries, allow_open_cidr=True))
    assert ok["failed"] is False and ok["changed"] is True
    only_deny = run_module(network_acl, base_args(vpc, entries=entries[1:]))
    assert only_deny["failed"] is False


def test_default_acl_stripped_but_32767_kept(run_module, ec2, vpc):
    before = acl_entries(ec2, vpc["default_acl"])
    assert before[(False, 100)]["CidrBlock"] == "0.0.0.0/0"
    result = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "default": True, "entries": []}, diff=True)
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert result["nacl"]["is_default"] is True
    assert result["nacl"]["entries"] == []
    assert sorted((e["egress"], e["rule_number"]) for e in result["changes"]["deleted"]) == [(False, 100), (True, 100)]
    live = acl_entries(ec2, vpc["default_acl"])
    assert sorted(live) == [(False, 32767), (True, 32767)]
    assert live[(False, 32767)]["RuleAction"] == "deny"
    assert result["diff"]["before"]["entries"] == ["ingress 100 allow all 0.0.0.0/0", "egress 100 allow all 0.0.0.0/0"] or \
        sorted(result["diff"]["before"]["entries"]) == sorted(["ingress 100 allow all 0.0.0.0/0",
                                                              "egress 100 allow all 0.0.0.0/0"])
    again = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "default": True, "entries": []})
    assert again["changed"] is False


def test_default_acl_cannot_be_deleted(run_module, ec2, vpc):
    result = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "default": True, "state": "absent"})
    assert result["failed"] is True and "cannot be deleted" in result["msg"]


def test_check_mode_changes_nothing(run_module, ec2, vpc):
    result = run_module(network_acl, base_args(vpc, tags={"A": "b"}), check_mode=True, diff=True)
    assert result["failed"] is False
    assert result["changed"] is True
    assert result["nacl"]["nacl_id"] is None
    assert len(result["nacl"]["entries"]) == 5
    assert result["nacl"]["associations"] == sorted(vpc["subnets"][:2])
    assert result["diff"]["before"] == {}
    assert len(result["diff"]["after"]["entries"]) == 5
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])["NetworkAcls"]
    assert len(acls) == 1

    nacl_id = run_module(network_acl, base_args(vpc))["nacl"]["nacl_id"]
    snapshot = acl_entries(ec2, nacl_id)
    changed = [tcp(100, 8443)] + ENTRIES[1:3] + [tcp(130, 9000)]
    result = run_module(network_acl, base_args(vpc, entries=changed, subnet_ids=vpc["subnets"], purge_subnets=True),
                        check_mode=True)
    assert result["changed"] is True
    assert len(result["changes"]["replaced"]) == 1 and len(result["changes"]["created"]) == 1
    assert len(result["changes"]["deleted"]) == 2
    assert result["nacl"]["associations"] == sorted(vpc["subnets"])
    assert acl_entries(ec2, nacl_id) == snapshot
    assert acl_of(ec2, vpc["subnets"][2]) == vpc["default_acl"]

    # default ACL strip in check mode: nothing deleted
    result = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "default": True, "entries": []}, check_mode=True)
    assert result["changed"] is True
    assert (False, 100) in acl_entries(ec2, vpc["default_acl"])


def test_subnets_moved_and_purged(run_module, ec2, vpc):
    nacl_id = run_module(network_acl, base_args(vpc))["nacl"]["nacl_id"]
    # other subnet listed, purge off: the old ones stay
    result = run_module(network_acl, base_args(vpc, subnet_ids=[vpc["subnets"][2]]))
    assert result["changes"]["subnets_associated"] == [vpc["subnets"][2]]
    assert result["changes"]["subnets_released"] == []
    assert result["nacl"]["associations"] == sorted(vpc["subnets"])
    # purge on: the unlisted ones go back to the default ACL
    result = run_module(network_acl, base_args(vpc, subnet_ids=[vpc["subnets"][2]], purge_subnets=True))
    assert result["changed"] is True
    assert result["changes"]["subnets_released"] == sorted(vpc["subnets"][:2])
    assert acl_of(ec2, vpc["subnets"][0]) == vpc["default_acl"]
    assert acl_of(ec2, vpc["subnets"][2]) == nacl_id


def test_bad_subnet_refused(run_module, ec2, vpc):
    result = run_module(network_acl, base_args(vpc, subnet_ids=["subnet-0000000000000000a"]))
    assert result["failed"] is True and "subnet-0000000000000000a" in result["msg"]


def test_absent_moves_subnets_back_then_deletes(run_module, ec2, vpc):
    nacl_id = run_module(network_acl, base_args(vpc))["nacl"]["nacl_id"]
    check = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "name": "app-private", "state": "absent"},
                       check_mode=True)
    assert check["changed"] is True
    assert acl_of(ec2, vpc["subnets"][0]) == nacl_id
    result = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "name": "app-private", "state": "absent"}, diff=True)
    assert result["failed"] is False, result
    assert result["changed"] is True
    assert result["changes"]["subnets_released"] == sorted(vpc["subnets"][:2])
    assert result["diff"]["after"] == {} and result["diff"]["before"]["nacl_id"] == nacl_id
    assert acl_of(ec2, vpc["subnets"][0]) == vpc["default_acl"]
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc["vpc_id"]]}])["NetworkAcls"]
    assert [a["NetworkAclId"] for a in acls] == [vpc["default_acl"]]
    again = run_module(network_acl, {"vpc_id": vpc["vpc_id"], "name": "app-private", "state": "absent"})
    assert again["changed"] is False


def test_lookup_by_id_and_tags(run_module, ec2, vpc):
    nacl_id = run_module(network_acl, base_args(vpc, tags={"A": "1", "B": "2"}))["nacl"]["nacl_id"]
    result = run_module(network_acl, {"nacl_id": nacl_id, "tags": {"A": "1"}, "purge_tags": True})
    assert result["changed"] is True
    assert result["nacl"]["tags"] == {"A": "1"}
    assert result["nacl"]["entries"]  # entries untouched when not given
    result = run_module(network_acl, {"nacl_id": "acl-00000000000000000", "entries": []})
    assert result["failed"] is True and "acl-00000000000000000" in result["msg"]


def test_required_identity(run_module, ec2, vpc):
    result = run_module(network_acl, {"vpc_id": vpc["vpc_id"]})
    assert result["failed"] is True and "one of name, nacl_id or default" in result["msg"]
    result = run_module(network_acl, {"name": "x"})
    assert result["failed"] is True and "vpc_id is required" in result["msg"]


def test_filter_output_applies_and_is_idempotent(run_module, ec2, vpc):
    from ansible_collections.netsec.aws_peering.plugins.filter.security_rules import nacl_entries

    entries = nacl_entries(["10.20.1.0/24", "10.20.2.0/24"], [443, 5432], "10.0.0.0/16",
                           service_cidrs=["3.5.0.0/19", "52.216.0.0/15"])
    first = run_module(network_acl, base_args(vpc, entries=entries, managed_rule_range=[100, 999]))
    assert first["failed"] is False, first
    assert first["nacl"]["entries"] == entries
    again = run_module(network_acl, base_args(vpc, entries=entries, managed_rule_range=[100, 999]))
    assert again["changed"] is False
    # a third peer renumbers in place: replacements and creations only, nothing deleted
    more = nacl_entries(["10.20.1.0/24", "10.20.2.0/24", "10.20.3.0/24"], [443, 5432], "10.0.0.0/16",
                        service_cidrs=["3.5.0.0/19", "52.216.0.0/15"])
    third = run_module(network_acl, base_args(vpc, entries=more, managed_rule_range=[100, 999]))
    assert third["changed"] is True and third["changes"]["deleted"] == []
    assert third["nacl"]["entries"] == more


def test_owner_network_refuses_an_acl_that_is_not_ours(run_module, ec2, vpc):
    theirs = ec2.create_network_acl(VpcId=vpc["vpc_id"])["NetworkAcl"]["NetworkAclId"]
    result = run_module(network_acl, {"nacl_id": theirs, "owner_network": "trading", "entries": ENTRIES})
    assert result["failed"] is True and "it is not ours" in result["msg"]
    assert set(acl_entries(ec2, theirs)) <= {(False, 32767), (True, 32767)}
    gone = run_module(network_acl, {"nacl_id": theirs, "owner_network": "trading", "state": "absent"})
    assert gone["failed"] is True and ec2.describe_network_acls(NetworkAclIds=[theirs])["NetworkAcls"]


def test_owner_network_tags_a_new_acl_and_returns_the_vpcs_acls(run_module, ec2, vpc):
    result = run_module(network_acl, base_args(vpc, owner_network="trading"))
    assert result["failed"] is False, result
    nacl_id = result["nacl"]["nacl_id"]
    assert result["nacl"]["tags"] == {"Name": "app-private", "ManagedBy": "netsec.aws_peering", "Network": "trading"}
    described = {a["NetworkAclId"]: a for a in result["state"]["network_acls"]}
    assert vpc["default_acl"] in described and nacl_id in described
    assert {(e["Egress"], e["RuleNumber"]) for e in described[nacl_id]["Entries"]} >= {(False, 100), (True, 110)}
    again = run_module(network_acl, {"nacl_id": nacl_id, "owner_network": "trading", "entries": ENTRIES})
    assert again["changed"] is False
