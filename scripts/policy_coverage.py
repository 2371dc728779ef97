#!/usr/bin/env python3
"""Compare what the collection called in the sandbox with what its shipped policies allow.

  policy_coverage.py ACTIONS.jsonl [ACTIONS.jsonl ...] [--strict]

Reads the emulator's records of authorized actions (scripts/emulator.py --record-actions) and
the automation role's shipped policies (the stages in policies/automation/), both under the
emulator's action names, and prints:
- called but not granted: impossible while IAM is enforced (the call would have failed), so it
  means a record from a run without enforcement;
- granted but never called: an action no run needed. With --strict this fails, unless the action
  is in IMPLICIT (permissions AWS checks that the emulator never asks for) or UNREACHABLE (a path
  no sandbox run can take, proven by a unit test instead), each with its reason.

Least privilege, proven both ways: enforcement fails a run that lacks an action, and --strict
fails a policy that carries one nobody uses. (The acceptance role's policy is proven minimal
action by action in tests/unit/test_emulator.py.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / ".collections"))

# pylint: disable=wrong-import-position
from ansible_collections.netsec.aws_peering.plugins.module_utils.policy_templates import emulator_action_names  # noqa: E402
from ansible_collections.netsec.aws_peering.plugins.module_utils.policy_templates import policy_actions  # noqa: E402

# Actions AWS authorizes that the emulator never asks for: granted on purpose, never recorded.
IMPLICIT = {
    "iam:PassRole": "AWS checks it when a role ARN is handed to a service (Config recorder, flow log delivery); moto does not",
    "logs:CreateLogDelivery": "AWS checks it for CreateFlowLogs to S3; moto does not",
    "logs:DeleteLogDelivery": "AWS checks it for DeleteFlowLogs of an S3 flow log; moto does not",
    # Tag on create: AWS authorizes the tags of a create call separately; moto only records the create.
    "ec2:CreateTags": "CreateVpc/Subnet/RouteTable/NetworkAcl/SecurityGroup/VpcEndpoint/FlowLogs/VpcPeeringConnection with TagSpecifications",
    "s3:TagResource": "CreateBucket with tags",
    "kms:TagResource": "CreateKey with Tags",
    "iam:TagRole": "CreateRole with Tags (acceptance, Config and flow-log delivery roles)",
    "config:TagResource": "PutConfigRule with Tags",
    "cloudwatch:TagResource": "PutMetricAlarm with Tags",
    "events:TagResource": "PutRule with Tags",
    "sns:TagResource": "CreateTopic with Tags",
    "logs:TagResource": "CreateLogGroup with tags",
    "route53:AssociateVPCWithHostedZone": "CreateVpcEndpoint of an interface endpoint with private DNS "
                                          "(a dependent action in the Service Authorization Reference); moto does not",
}

# Actions a real account needs on a path no sandbox run can take, each with the test that takes it.
UNREACHABLE = {
    "s3:DeleteObject": "emptying a flow-log or Config bucket at teardown (delete_audit_evidence): the emulator delivers "
                       "no logs, and the buckets' TLS-only policy refuses object writes over its plain HTTP; "
                       "tests/unit/plugins/modules/test_secure_bucket.py empties one version by version",
    "s3:DeleteObjectVersion": "the same, for the versions of a versioned bucket",
}

# Actions the emulator asks for that AWS needs no permission for.
FREE = {"sts:GetCallerIdentity"}


def recorded(paths):
    actions = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                actions.setdefault(row["action"], set()).add(row["principal"])
    return actions


def granted(policy_dir):
    """{policy action: (the emulator's names for it, the policies granting it)}."""
    out = {}
    for path in sorted(Path(policy_dir).glob("*.json")):
        for action in policy_actions(json.loads(path.read_text(encoding="utf-8"))):
            names, where = out.setdefault(action, (set(emulator_action_names(action)), set()))
            where.add(path.stem)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("records", nargs="+")
    parser.add_argument("--policies", default=str(HERE.parent / "policies" / "automation"))
    parser.add_argument("--principal", default="assumed-role/netsec-automation/",
                        help="only records of principals whose ARN contains this")
    parser.add_argument("--strict", action="store_true", help="fail when a granted action was never called")
    args = parser.parse_args(argv)
    calls = {action for action, principals in recorded(args.records).items()
             if any(args.principal in principal for principal in principals)} - FREE
    grants = granted(args.policies)
    known = set().union(*(names for names, _where in grants.values())) if grants else set()
    missing = sorted(calls - known)
    # A policy action is used when the emulator checked any of its names (moto authorizes some S3
    # calls under another action's name; see policy_templates.EMULATOR_S3_ACTIONS).
    unused = sorted(action for action, (names, _where) in grants.items() if not names & calls and action not in IMPLICIT and action not in UNREACHABLE)
    for action in missing:
        print(f"called but not granted: {action}")
    for action in unused:
        print(f"granted but never called: {action} ({', '.join(sorted(grants[action][1]))})")
    for action, why in sorted(IMPLICIT.items()):
        print(f"granted, checked by AWS only: {action}: {why}")
    for action, why in sorted(UNREACHABLE.items()):
        print(f"granted, needed where no sandbox run goes: {action}: {why}")
    print(f"{len(grants)} granted action(s), {len(calls)} called, {len(missing)} called but not granted, "
          f"{len(unused)} granted but never called", file=sys.stderr)
    return 1 if missing or (args.strict and unused) else 0


if __name__ == "__main__":
    sys.exit(main())
