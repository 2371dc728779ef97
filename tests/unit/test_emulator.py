"""scripts/emulator.py: the fidelity patches, against moto's own server started in this process.

One server for the module (``emulator`` fixture): the patches are applied first, principals are made with
the default dummy keys, then IAM enforcement is switched on (POST /moto-api/reset-auth, body 0). At the end
enforcement is switched off (body inf), the server stops and every patched moto attribute is put back as
it was (checked), so no other test of the process sees the patches or the enforcement.

Accounts: A = 123456789012 (moto's default; alice, mallory and the role ``automation`` trusted by alice),
B = 111111111111 (the role ``target``, trusted by A's ``automation`` role with an ExternalId).
"""

from __future__ import annotations

import importlib.util
import json
import urllib.request
from pathlib import Path

import boto3
import botocore.exceptions
import pytest

REPO = Path(__file__).resolve().parents[2]
A, B = "123456789012", "111111111111"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
MISSING = object()


def _load_emulator():
    spec = importlib.util.spec_from_file_location("netsec_sandbox_emulator", REPO / "scripts" / "emulator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


emulator_script = _load_emulator()


def _patched_attributes():
    """Every (class, attribute) apply_fidelity_patches replaces."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.ec2.models.network_acls import NetworkAclBackend
    from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend
    from moto.ec2.responses.route_tables import RouteTables
    from moto.iam import access_control
    return [(access_control.IAMPolicyStatement, "_check_principal"), (access_control.IAMRequestBase, "_is_assuming_role_operation"),
            (access_control.IAMRequestBase, "_check_role_trust_relationship"), (RouteTables, "delete_route_table"),
            (VPCPeeringConnectionBackend, "modify_vpc_peering_connection_options"),
            (NetworkAclBackend, "delete_network_acl_entry"), (NetworkAclBackend, "replace_network_acl_entry"),
            (ActionAuthenticatorMixin, "_authenticate_and_authorize_action")]


def _reset_auth(url, value):
    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=value, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # nosec: loopback only
        return json.loads(answer.read())


def _credentials(answer):
    creds = answer["Credentials"]
    return {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds["SessionToken"]}


def _policy(*actions):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def _trust(principal, external_id=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class Sandbox:
    def __init__(self, url, record):
        self.url = url
        self.record = record
        self.keys = {}

    def client(self, service, credentials=None, region="us-east-1"):
        return boto3.client(service, endpoint_url=self.url, region_name=region, **(credentials or DUMMY))

    def user(self, name):
        key = self.keys[name]
        return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}

    def automation_session(self):
        return _credentials(self.client("sts", self.user("alice")).assume_role(
            RoleArn=f"arn:aws:iam::{A}:role/automation", RoleSessionName="netsec-run"))

    def target(self, credentials, **extra):
        return self.client("sts", credentials).assume_role(RoleArn=f"arn:aws:iam::{B}:role/target", RoleSessionName="accept", **extra)

    def recorded(self):
        return [json.loads(line) for line in self.record.read_text(encoding="utf-8").splitlines()] if self.record.exists() else []


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    from moto import settings
    from moto.server import ThreadedMotoServer

    saved = [(cls, name, vars(cls).get(name, MISSING)) for cls, name in _patched_attributes()]
    record = tmp_path_factory.mktemp("emulator") / "actions.jsonl"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        env.setenv("NO_PROXY", "127.0.0.1,localhost")
        env.setenv("no_proxy", "127.0.0.1,localhost")
        server = None
        try:
            patched = emulator_script.apply_fidelity_patches(str(record))
            assert patched == ["trust-policies", "main-route-table", "peering-options", "default-nacl-rule", "record-actions"]
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            server.start()
            port = server.get_host_and_port()[1]
            sandbox = Sandbox(f"http://127.0.0.1:{port}", record)
            # Principals, made with the default dummy keys before enforcement.
            iam = sandbox.client("iam")
            for name in ("alice", "mallory"):
                iam.create_user(UserName=name)
                iam.put_user_policy(UserName=name, PolicyName="work", PolicyDocument=_policy("sts:AssumeRole", "ec2:*"))
                sandbox.keys[name] = iam.create_access_key(UserName=name)["AccessKey"]
            iam.create_role(RoleName="automation", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{A}:user/alice"))
            iam.put_role_policy(RoleName="automation", PolicyName="work", PolicyDocument=_policy("sts:AssumeRole", "ec2:*"))
            bootstrap = _credentials(sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{B}:role/bootstrap",
                                                                       RoleSessionName="bootstrap"))
            iam_b = sandbox.client("iam", bootstrap)
            iam_b.create_role(RoleName="target", AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{A}:role/automation", "ext-1"))
            iam_b.put_role_policy(RoleName="target", PolicyName="work", PolicyDocument=_policy("ec2:*"))
            iam_b.create_role(RoleName="web-identity-only", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::{B}:oidc-provider/ci.example.com"},
                 "Action": "sts:AssumeRoleWithWebIdentity"}]}))
            assert _reset_auth(sandbox.url, b"0")["status"] == "ok"
            yield sandbox
        finally:
            if server is not None:
                _reset_auth(f"http://127.0.0.1:{port}", b"inf")
                server.stop()
            for cls, name, original in saved:
                if original is MISSING:
                    if name in vars(cls):
                        delattr(cls, name)
                else:
                    setattr(cls, name, original)
    assert settings.INITIAL_NO_AUTH_ACTION_COUNT == float("inf")
    assert [vars(item[0]).get(item[1], MISSING) for item in saved] == [item[2] for item in saved]


def refused(call, code="AccessDenied"):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    assert info.value.response["Error"]["Code"] == code, info.value.response["Error"]
    return info.value.response["Error"]["Message"]


# ---------------------------------------------------------------------------------------------- principal matching
@pytest.mark.parametrize("expected, caller, match", [
    ("arn:aws:iam::111111111111:role/x", "arn:aws:sts::111111111111:assumed-role/x/session", True),
    ("arn:aws:iam::111111111111:role/team/x", "arn:aws:sts::111111111111:assumed-role/x/session", True),
    ("arn:aws:iam::111111111111:role/x", "arn:aws:iam::111111111111:role/x", True),
    ("arn:aws:iam::111111111111:role/x", "arn:aws:sts::111111111111:assumed-role/y/session", False),
    ("arn:aws:iam::111111111111:role/x", "arn:aws:sts::222222222222:assumed-role/x/session", False),
    ("arn:aws:iam::111111111111:role/x", "arn:aws-cn:sts::111111111111:assumed-role/x/session", False),
    ("arn:aws:iam::111111111111:role/x", "arn:aws:iam::111111111111:user/x", False),
    ("arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/alice", True),
    ("arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/bob", False),
    ("arn:aws:iam::111111111111:user/alice", "arn:aws:sts::111111111111:assumed-role/alice/s", False),
    ("111111111111", "arn:aws:iam::111111111111:user/alice", True),
    ("111111111111", "arn:aws:sts::111111111111:assumed-role/x/s", True),
    ("111111111111", "arn:aws:iam::222222222222:user/alice", False),
    ("arn:aws:iam::111111111111:root", "arn:aws:sts::111111111111:assumed-role/x/s", True),
    ("arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:user/alice", True),
    ("arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:user/alice", False),
    ("*", "arn:aws:iam::222222222222:user/anyone", True),
    ("arn:aws:iam::111111111111:role/x", "not-an-arn", False),
])
def test_principal_matches(expected, caller, match):
    assert emulator_script.principal_matches(expected, caller) is match


# ---------------------------------------------------------------------------------------------- cross-account AssumeRole
def test_enforcement_refuses_the_dummy_keys(emulator):
    refused(lambda: emulator.client("sts").get_caller_identity(), "InvalidClientTokenId")


def test_assume_role_refused_for_a_principal_the_role_does_not_trust(emulator):
    refused(lambda: emulator.target(emulator.user("mallory"), ExternalId="ext-1"))
    # alice may assume the automation role, but the target trusts the role, not alice herself.
    refused(lambda: emulator.target(emulator.user("alice"), ExternalId="ext-1"))


def test_assume_role_refused_when_the_trust_policy_does_not_allow_it(emulator):
    """A role for web identities only: the trust policy says nothing about AssumeRole, which is no permission."""
    session = emulator.automation_session()
    refused(lambda: emulator.client("sts", session).assume_role(RoleArn=f"arn:aws:iam::{B}:role/web-identity-only",
                                                                RoleSessionName="nope"))


def test_assume_role_refused_with_a_wrong_external_id(emulator):
    refused(lambda: emulator.target(emulator.automation_session(), ExternalId="ext-2"))


def test_assume_role_allowed_for_the_trusted_roles_session_with_the_right_external_id(emulator):
    answer = emulator.target(emulator.automation_session(), ExternalId="ext-1")
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{B}:assumed-role/target/accept"
    identity = emulator.client("sts", _credentials(answer)).get_caller_identity()
    assert (identity["Account"], identity["Arn"]) == (B, f"arn:aws:sts::{B}:assumed-role/target/accept")


def test_assume_role_refused_without_the_external_id(emulator):
    refused(lambda: emulator.target(emulator.automation_session()))


# ---------------------------------------------------------------------------------------------- EC2 refusals
@pytest.fixture(scope="module")
def in_b(emulator):
    return _credentials(emulator.target(emulator.automation_session(), ExternalId="ext-1"))


def test_main_route_table_cannot_be_deleted_but_its_vpc_can(emulator):
    ec2 = emulator.client("ec2", emulator.user("alice"))
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    [main] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    assert main["Associations"][0]["Main"] is True
    message = refused(lambda: ec2.delete_route_table(RouteTableId=main["RouteTableId"]), "DependencyViolation")
    assert main["RouteTableId"] in message
    other = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.delete_route_table(RouteTableId=other)                      # a table that is not the main one goes
    ec2.delete_vpc(VpcId=vpc_id)
    assert vpc_id not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"] == []


DNS = {"AllowDnsResolutionFromRemoteVpc": True}


def test_peering_options_only_when_active_and_only_our_side(emulator, in_b):
    ec2_a = emulator.client("ec2", emulator.user("alice"))
    ec2_b = emulator.client("ec2", in_b)
    requester = ec2_a.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    accepter = ec2_b.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    pcx_id = ec2_a.create_vpc_peering_connection(VpcId=requester, PeerVpcId=accepter, PeerOwnerId=B)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    message = refused(lambda: ec2_a.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id,
                                                                          RequesterPeeringConnectionOptions=DNS),
                      "InvalidStateTransition")
    assert "pending-acceptance" in message
    assert ec2_b.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)["VpcPeeringConnection"]["Status"]["Code"] == "active"
    message = refused(lambda: ec2_a.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id,
                                                                          AccepterPeeringConnectionOptions=DNS),
                      "OperationNotPermitted")
    assert A in message and B in message and "accepter" in message
    refused(lambda: ec2_b.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id, RequesterPeeringConnectionOptions=DNS),
            "OperationNotPermitted")
    ec2_a.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id, RequesterPeeringConnectionOptions=DNS)
    ec2_b.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id, AccepterPeeringConnectionOptions=DNS)
    [pcx] = ec2_a.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"]
    assert pcx["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True


def test_peering_options_of_an_inter_region_side_only_from_its_region(emulator):
    east = emulator.client("ec2", emulator.user("alice"), "us-east-1")
    west = emulator.client("ec2", emulator.user("alice"), "us-west-2")
    requester = east.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    accepter = west.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    pcx_id = east.create_vpc_peering_connection(VpcId=requester, PeerVpcId=accepter, PeerRegion="us-west-2")[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    message = refused(lambda: east.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id,
                                                                         AccepterPeeringConnectionOptions=DNS),
                      "OperationNotPermitted")
    assert "us-west-2" in message and "us-east-1" in message
    refused(lambda: west.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id, RequesterPeeringConnectionOptions=DNS),
            "OperationNotPermitted")
    west.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id, AccepterPeeringConnectionOptions=DNS)
    east.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx_id, RequesterPeeringConnectionOptions=DNS)


@pytest.mark.parametrize("egress", [False, True])
def test_default_nacl_rule_cannot_be_deleted_or_replaced(emulator, egress):
    ec2 = emulator.client("ec2", emulator.user("alice"))
    vpc_id = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    [acl] = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    acl_id = acl["NetworkAclId"]
    assert "32767" in refused(lambda: ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=32767, Egress=egress),
                              "InvalidParameterValue")
    refused(lambda: ec2.replace_network_acl_entry(NetworkAclId=acl_id, RuleNumber=32767, Egress=egress, Protocol="-1",
                                                  RuleAction="allow", CidrBlock="0.0.0.0/0"), "InvalidParameterValue")
    # Other entries still can.
    ec2.replace_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Egress=egress, Protocol="-1", RuleAction="deny",
                                  CidrBlock="0.0.0.0/0")
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=100, Egress=egress)
    entries = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Entries"]
    assert [e["RuleNumber"] for e in entries if e["Egress"] is egress] == [32767]


# ---------------------------------------------------------------------------------------------- the action recorder
def test_the_recorder_writes_a_line_per_authorized_call_with_the_principal_arn(emulator, in_b):
    before = len(emulator.recorded())
    alice = emulator.client("ec2", emulator.user("alice"))
    alice.describe_vpcs()
    alice.describe_vpcs()
    emulator.client("ec2", in_b).describe_subnets()
    refused(lambda: emulator.target(emulator.user("mallory"), ExternalId="ext-1"))     # refused: not recorded
    assert emulator.recorded()[before:] == [
        {"principal": f"arn:aws:iam::{A}:user/alice", "account": A, "action": "ec2:DescribeVpcs"},
        {"principal": f"arn:aws:iam::{A}:user/alice", "account": A, "action": "ec2:DescribeVpcs"},
        {"principal": f"arn:aws:sts::{B}:assumed-role/target/accept", "account": B, "action": "ec2:DescribeSubnets"},
    ]


def test_the_recorder_saw_the_set_up_with_the_dummy_key_before_enforcement(emulator):
    lines = emulator.recorded()
    assert {"principal": "testing", "account": A, "action": "iam:CreateUser"} in lines
    assert {"principal": f"arn:aws:sts::{B}:assumed-role/bootstrap/bootstrap", "account": B, "action": "iam:CreateRole"} in lines
    assert all(set(line) == {"principal", "account", "action"} for line in lines)


# ---------------------------------------------------------------------------------------------- least privilege bites
def _acceptance_role(iam_b, name, permissions):
    iam_b.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(f"arn:aws:iam::{A}:user/alice", "ext-accept"))
    iam_b.put_role_policy(RoleName=name, PolicyName="accept-peerings", PolicyDocument=json.dumps(permissions))


@pytest.mark.parametrize("dropped", [None, "ec2:DescribeTags", "ec2:AcceptVpcPeeringConnection"])
def test_the_shipped_acceptance_policy_accepts_and_any_action_less_fails_at_that_call(emulator, run_module, dropped):
    """The acceptance role's permissions as the collection renders them (projected for the emulator), through
    enforcement: they accept; the same policy without one action fails the accept naming that action, and
    nothing is accepted (issue 9: DescribeTags has no resource-level permission, the accept reads tags first)."""
    from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import acceptance_permissions_policy
    from ansible_collections.netsec.aws_peering.plugins.module_utils.policy_templates import emulator_projection
    from ansible_collections.netsec.aws_peering.plugins.modules import vpc_peering

    name = f"accept-{(dropped or 'all').split(':')[-1].lower()}"
    _reset_auth(emulator.url, b"inf")           # set up as the two accounts' administrators
    try:
        admin_b = _credentials(emulator.client("sts").assume_role(RoleArn=f"arn:aws:iam::{B}:role/bootstrap",
                                                                  RoleSessionName="bootstrap"))
        ec2_a, ec2_b = emulator.client("ec2"), emulator.client("ec2", admin_b)
        requester = ec2_a.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        accepter = ec2_b.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        table = ec2_b.create_route_table(VpcId=accepter)["RouteTable"]["RouteTableId"]
        pcx_id = ec2_a.create_vpc_peering_connection(VpcId=requester, PeerVpcId=accepter, PeerOwnerId=B)[
            "VpcPeeringConnection"]["VpcPeeringConnectionId"]
        permissions = emulator_projection(acceptance_permissions_policy(
            "us-east-1", B, accepter, [f"arn:aws:ec2:us-east-1:{A}:vpc/{requester}"], [table]))
        assert "ec2:DescribeTags" in permissions["Statement"][0]["Action"]
        if dropped:
            permissions["Statement"][0]["Action"].remove(dropped)
        _acceptance_role(emulator.client("iam", admin_b), name, permissions)
    finally:
        _reset_auth(emulator.url, b"0")
    role = _credentials(emulator.client("sts", emulator.user("alice")).assume_role(
        RoleArn=f"arn:aws:iam::{B}:role/{name}", RoleSessionName="accept", ExternalId="ext-accept"))

    result = run_module(vpc_peering, {
        "state": "accepted", "peering_id": pcx_id, "vpc_id": accepter, "expected_requester_owner_id": A,
        "expected_requester_vpc_id": requester, "expected_requester_cidr": "10.0.0.0/16", "tags": {"Name": "pcx-test"}, "purge_tags": False, "wait_timeout": 30,
        "endpoint_url": emulator.url, "access_key": role["aws_access_key_id"], "secret_key": role["aws_secret_access_key"],
        "session_token": role["aws_session_token"]})

    [pcx] = emulator.client("ec2", role).describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])[
        "VpcPeeringConnections"]
    if dropped is None:
        assert result["failed"] is False and result["changed"] is True, result
        assert pcx["Status"]["Code"] == "active"
    else:
        assert result["failed"] is True, result
        assert dropped.split(":")[1] in result["msg"], result["msg"]
        assert pcx["Status"]["Code"] == "pending-acceptance"
