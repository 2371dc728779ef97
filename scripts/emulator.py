#!/usr/bin/env python3
"""The sandbox's AWS emulator: moto server, made as strict as AWS where the collection depends on it.

moto accepts calls that AWS refuses, which would let a defect pass every test here and fail a
bank's first real run. This launcher starts moto's own server after a few small patches, each
restoring a refusal or an evaluation that AWS documents (see docs/design.md, "The strict
sandbox"). None of them makes the emulator more lenient.

1. AssumeRole trust policies are evaluated for roles of every account, not only the caller's
   own (moto skips the check across accounts), with AWS's principal semantics: a role ARN
   matches the sessions of that role, an account ID or `:root` ARN matches that account.
   A request without an ExternalId never meets a condition on it (moto lets a missing value pass).
2. DeleteRouteTable of a VPC's main route table fails with DependencyViolation, as in AWS.
3. ModifyVpcPeeringConnectionOptions needs an active peering, each account may change only its
   own side, and an inter-region side only from its own region.
4. The default rule (32767) of a network ACL cannot be deleted or replaced.

It can also record every authorized call (`--record-actions FILE`, JSON lines of principal,
account, action), which the tests compare with the shipped least-privilege policies and read to
count the mutating calls of a run.

Usage: emulator.py [-H 127.0.0.1] [-p PORT] [--record-actions FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading

from moto.core.authorization import ActionAuthenticatorMixin
from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models.network_acls import NetworkAclBackend
from moto.ec2.models.vpc_peering_connections import VPCPeeringConnectionBackend
from moto.ec2.responses.route_tables import RouteTables
from moto.iam import access_control
from moto.iam.models import iam_backends
from moto.iam.exceptions import NotFoundException
from moto.utilities.utils import get_partition

DEFAULT_NACL_RULE = 32767
ROLE_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<name>[^/]+)$")
SESSION_ARN_RE = re.compile(r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<name>[^/]+)/[^/]+$")
ACCOUNT_OF_ARN_RE = re.compile(r"^arn:[^:]+:(?:iam|sts)::(?P<account>\d{12}):")


def principal_matches(expected, principal_arn):
    """AWS's matching of a trust policy's AWS principal against the caller's ARN."""
    if expected == "*" or expected == principal_arn:
        return True
    if re.fullmatch(r"\d{12}", expected) or expected.endswith(":root"):
        account = expected if expected.isdigit() else _account_of(expected)
        return account is not None and _account_of(principal_arn) == account
    role = ROLE_ARN_RE.match(expected)
    session = SESSION_ARN_RE.match(principal_arn)
    if role and session:
        return (role.group("account"), role.group("name"), role.group("partition")) == (
            session.group("account"), session.group("name"), session.group("partition"))
    return False


def _account_of(arn):
    match = ACCOUNT_OF_ARN_RE.match(arn)
    return match.group("account") if match else None


def _statement_principal_matches(self, principal):
    aws = (self._statement.get("Principal") or {}).get("AWS")
    if aws is None:
        return False
    expected = aws if isinstance(aws, list) else [aws]
    return any(principal_matches(item, principal) for item in expected)


def _role_in_its_own_account(self, role_arn):
    account = _account_of(role_arn)
    if account is None:
        raise NotFoundException(f"Role {role_arn} not found")
    return iam_backends[account][get_partition(self._region)].get_role_by_arn(role_arn)


def _is_assuming_role_operation(self, resource_arn):
    if ":role" not in resource_arn.lower() or self._action not in access_control.REQUIRE_RESOURCE_ACCESS_POLICIES_CHECK:
        return False
    try:
        _role_in_its_own_account(self, resource_arn)
    except NotFoundException:
        return False
    return True


def _check_role_trust_relationship(self, role_arn):
    role = _role_in_its_own_account(self, role_arn)
    trust = access_control.IAMPolicy(role.assume_role_policy_document)
    incoming = access_control.format_incoming_conditional_values(self._data)
    # A request without an ExternalId must not meet a condition on it (moto lets a missing value pass; AWS does not).
    incoming.setdefault("sts:ExternalId", "\x00no-external-id")
    result = trust.is_action_permitted(self._action, role_arn, self._access_key.arn, incoming)
    return result == access_control.PermissionResult.PERMITTED


def _refuse_main_route_table(original):
    """On the DeleteRouteTable API only: DeleteVpc still removes the VPC's main table, as in AWS."""
    def delete_route_table(self):
        route_table_id = self._get_param("RouteTableId")
        if self.ec2_backend.get_route_table(route_table_id).main_association_id is not None:
            raise DependencyViolationError(f"The routeTable '{route_table_id}' has dependencies and cannot be deleted.")
        return original(self)
    return delete_route_table


def _own_side_of_active_peering(original):
    def modify_vpc_peering_connection_options(self, vpc_pcx_id, accepter_options=None, requester_options=None):
        pcx = self.get_vpc_peering_connection(vpc_pcx_id)
        if pcx._status.code != "active":
            raise EC2ClientError(
                "InvalidStateTransition",
                f"Peering connection {vpc_pcx_id} is not active: its options cannot be modified ({pcx._status.code}).")
        for side, options, vpc in (("accepter", accepter_options, pcx.peer_vpc), ("requester", requester_options, pcx.vpc)):
            if not options:
                continue
            if vpc.owner_id != self.account_id:
                raise EC2ClientError(
                    "OperationNotPermitted",
                    f"Account {self.account_id} cannot modify the {side} side of {vpc_pcx_id}, owned by {vpc.owner_id}.")
            if vpc.region != self.region_name:
                raise EC2ClientError(
                    "OperationNotPermitted",
                    f"The {side} side of {vpc_pcx_id} can only be modified in {vpc.region}, not {self.region_name}.")
        return original(self, vpc_pcx_id, accepter_options, requester_options)
    return modify_vpc_peering_connection_options


def _keep_default_nacl_rule(original):
    def guarded(self, network_acl_id, rule_number, *args, **kwargs):
        if int(rule_number) == DEFAULT_NACL_RULE:
            raise EC2ClientError("InvalidParameterValue", f"The rule number {DEFAULT_NACL_RULE} is reserved for the default rule.")
        return original(self, network_acl_id, rule_number, *args, **kwargs)
    return guarded


class ActionRecorder:
    """Appends every authorized call (principal, account, action) to a JSON-lines file, in order.

    Every call, not only the first of each kind: a test reads the lines a run added to prove, for
    example, that a run with nothing to do made no mutating call.
    """

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def __call__(self, principal, account, action):
        with self.lock:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"principal": principal, "account": account, "action": action}) + "\n")


def _recording(original, recorder):
    """Record after authorization succeeded (or while it is off, with the access key instead of the principal)."""
    def authenticate_and_authorize(self, iam_request_cls, resource="*"):
        original(self, iam_request_cls, resource)
        scope = self.headers.get("Authorization", "").split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        if len(scope) < 4:
            return
        recorder(_principal_of(scope[0], self.current_account, scope[2], self.headers), self.current_account,
                 f"{scope[3]}:{self._get_action()}")
    return authenticate_and_authorize


def _principal_of(access_key_id, account, region, headers):
    """The caller's ARN, or the access key itself when the emulator does not know it (authorization off)."""
    try:
        return access_control.create_access_key(account, get_partition(region), access_key_id, headers).arn
    except Exception:  # pylint: disable=broad-except
        return access_key_id


def apply_fidelity_patches(record_actions=None):
    """Patch moto in this process; returns the names of what was patched."""
    access_control.IAMPolicyStatement._check_principal = _statement_principal_matches
    access_control.IAMRequestBase._is_assuming_role_operation = _is_assuming_role_operation
    access_control.IAMRequestBase._check_role_trust_relationship = _check_role_trust_relationship
    RouteTables.delete_route_table = _refuse_main_route_table(RouteTables.delete_route_table)
    VPCPeeringConnectionBackend.modify_vpc_peering_connection_options = _own_side_of_active_peering(
        VPCPeeringConnectionBackend.modify_vpc_peering_connection_options)
    NetworkAclBackend.delete_network_acl_entry = _keep_default_nacl_rule(NetworkAclBackend.delete_network_acl_entry)
    NetworkAclBackend.replace_network_acl_entry = _keep_default_nacl_rule(NetworkAclBackend.replace_network_acl_entry)
    patched = ["trust-policies", "main-route-table", "peering-options", "default-nacl-rule"]
    if record_actions:
        recorder = ActionRecorder(record_actions)
        ActionAuthenticatorMixin._authenticate_and_authorize_action = _recording(
            ActionAuthenticatorMixin._authenticate_and_authorize_action, recorder)
        patched.append("record-actions")
    return patched


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    parser.add_argument("--record-actions", default=os.environ.get("SANDBOX_RECORD_ACTIONS") or None)
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error(f"--host {args.host}: the emulator listens on loopback only")
    patched = apply_fidelity_patches(args.record_actions)
    print(f"emulator: moto with fidelity patches {', '.join(patched)}", flush=True)
    from moto.server import main as moto_main  # pylint: disable=import-outside-toplevel
    moto_main(["-H", args.host, "-p", str(args.port)])


if __name__ == "__main__":
    sys.exit(main())
