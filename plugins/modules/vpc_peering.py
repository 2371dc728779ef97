#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_peering
short_description: Request, verify and accept, or delete one cross-account or inter-region VPC peering connection
version_added: 0.1.0
description:
  - Manages one VPC peering connection from either side.
  - O(state=present) runs on the requester side (account A's credentials, in A's region). It finds
    the live peering with exactly this requester VPC, accepter VPC, accepter account and accepter
    region, or requests it, ensures the requester account's tags, and waits until the request is
    pending acceptance or active.
  - O(state=accepted) runs on the accepter side (account B's credentials, in B's region). Before
    accepting, it checks that the request comes from the expected account, VPC and CIDR; any
    difference fails the task and nothing is accepted. It then accepts a pending request, waits
    until the peering is active and ensures the accepter account's tags.
  - O(state=absent) deletes the peering (found by O(peering_id) or by the same identifiers as
    O(state=present)). Deleted, rejected, failed and expired peerings count as absent.
  - Fills a gap in C(amazon.aws.ec2_vpc_peering), which trusts the C(Filters) of
    C(DescribeVpcPeeringConnections). The emulator ignores them and returns every peering, so the
    stock module picks the wrong peering when several exist (a hub with spokes) and answers an
    inter-region request with an existing same-region peering. This module always filters
    client-side, by requester VPC, accepter VPC, accepter account and accepter region. It also
    verifies the requester before it accepts, and it waits by polling the state rather than by
    fixed sleeps.
  - Tags on a peering connection are per account. Each side sets its own tags, which are read back
    with C(DescribeTags) in the calling account.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  state:
    description:
      - V(present) requests the peering (requester side).
      - V(accepted) verifies and accepts it (accepter side).
      - V(absent) deletes it (either side).
    type: str
    choices: [present, accepted, absent]
    default: present
  vpc_id:
    description:
      - With O(state=present) or O(state=absent), the requester VPC (in the calling account and region).
      - With O(state=accepted), the accepter VPC (in the calling account and region). It is used to
        find the request when O(peering_id) is not given, and is checked against the request when it is.
    type: str
  peer_vpc_id:
    description:
      - The accepter VPC. Required with O(state=present). With O(state=absent), needed when O(peering_id) is not given.
    type: str
  peer_owner_id:
    description:
      - The 12-digit AWS account ID that owns O(peer_vpc_id).
      - Defaults to the requester's own account (a same-account peering).
    type: str
  peer_region:
    description:
      - The region of O(peer_vpc_id), for an inter-region peering.
      - Defaults to the region the module runs in.
    type: str
  peering_id:
    description:
      - The peering connection ID (V(pcx-...)).
      - With O(state=accepted) or O(state=absent), finds the peering by ID instead of by VPC identifiers.
      - Not used with O(state=present).
    type: str
  expected_requester_owner_id:
    description:
      - The account the request must come from (O(state=accepted) only, then required).
    type: str
  expected_requester_vpc_id:
    description:
      - The VPC the request must come from (O(state=accepted) only, then required).
    type: str
  expected_requester_cidr:
    description:
      - A CIDR block the requester VPC must have, either its primary block or one in its
        C(CidrBlockSet) (O(state=accepted) only, then required).
    type: str
  wait:
    description:
      - With O(state=present), wait until the request is pending acceptance or active.
      - With O(state=accepted), wait until the peering is active (and for a request that is still
        being initiated or not yet visible, wait for it first).
      - With O(state=absent), wait until it is deleted.
      - Waiting polls the peering state with a growing interval (1 to 5 seconds) bounded by O(wait_timeout).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most.
    type: int
    default: 300
notes:
  - Run O(state=present) with the requester account's credentials in the requester VPC's region, and
    O(state=accepted) with the accepter account's credentials in the accepter VPC's region (AWS
    accepts an inter-region peering only in the accepter's region).
  - In check mode nothing is requested, accepted, tagged or deleted. If the request is not visible
    yet (because the requester side also ran in check mode), O(state=accepted) reports a change and
    a warning instead of waiting.
  - "IAM actions used: requester side C(ec2:DescribeVpcPeeringConnections), C(ec2:CreateVpcPeeringConnection),
    C(ec2:DescribeTags), C(ec2:CreateTags), C(ec2:DeleteTags); accepter side C(ec2:DescribeVpcPeeringConnections),
    C(ec2:AcceptVpcPeeringConnection), C(ec2:DescribeTags), C(ec2:CreateTags), C(ec2:DeleteTags); absent
    C(ec2:DeleteVpcPeeringConnection) (and C(ec2:RejectVpcPeeringConnection) for an accepter removing a pending request)."
  - O(wait_timeout) applies to each wait separately (for the request to appear, then for it to become active).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Request the peering from the trading account (requester side)
  netsec.aws_peering.vpc_peering:
    state: present
    vpc_id: vpc-0a1b2c3d4e5f60718
    peer_vpc_id: vpc-0f1e2d3c4b5a69788
    peer_owner_id: "{{ accepter_account_id }}"
    peer_region: us-east-2
    tags:
      Name: pcx-trading-analytics-prod
      CostCenter: cc-1234
      Environment: prod
  register: request

- name: Verify and accept it from the analytics account (accepter side, its own region)
  netsec.aws_peering.vpc_peering:
    state: accepted
    region: us-east-2
    peering_id: "{{ request.peering_id }}"
    vpc_id: vpc-0f1e2d3c4b5a69788
    expected_requester_owner_id: "{{ requester_account_id }}"
    expected_requester_vpc_id: vpc-0a1b2c3d4e5f60718
    expected_requester_cidr: 10.10.0.0/16
    tags:
      Name: pcx-trading-analytics-prod
      CostCenter: cc-5678
      Environment: prod

- name: Accept without knowing the peering ID (found by accepter VPC and expected requester)
  netsec.aws_peering.vpc_peering:
    state: accepted
    vpc_id: vpc-0f1e2d3c4b5a69788
    expected_requester_owner_id: "{{ requester_account_id }}"
    expected_requester_vpc_id: vpc-0a1b2c3d4e5f60718
    expected_requester_cidr: 10.10.0.0/16

- name: Delete the peering
  netsec.aws_peering.vpc_peering:
    state: absent
    vpc_id: vpc-0a1b2c3d4e5f60718
    peer_vpc_id: vpc-0f1e2d3c4b5a69788
    peer_owner_id: "{{ accepter_account_id }}"
    peer_region: us-east-2
"""

RETURN = r"""
peering_id:
  description: The ID of the peering connection; null when none exists (or, in check mode, none would exist yet).
  returned: always
  type: str
  sample: pcx-0123456789abcdef0
peering_connection:
  description: The peering connection as seen by the calling account after the task; empty when none exists.
  returned: always
  type: dict
  contains:
    vpc_peering_connection_id:
      description: The ID of the peering connection.
      type: str
      sample: pcx-0123456789abcdef0
    status:
      description: The status of the peering connection.
      type: dict
      contains:
        code:
          description: The status code.
          type: str
          sample: active
        message:
          description: The status message.
          type: str
          sample: Active
    requester_vpc_info:
      description: The requester side (owner_id, vpc_id, region, cidr_block, cidr_block_set, peering_options).
      type: dict
      sample:
        owner_id: "REQUESTER_ACCOUNT_ID"
        vpc_id: vpc-0a1b2c3d4e5f60718
        region: us-east-1
        cidr_block: 10.10.0.0/16
        peering_options:
          allow_dns_resolution_from_remote_vpc: false
    accepter_vpc_info:
      description: The accepter side, same keys as RV(peering_connection.requester_vpc_info).
      type: dict
      sample:
        owner_id: "ACCEPTER_ACCOUNT_ID"
        vpc_id: vpc-0f1e2d3c4b5a69788
        region: us-east-2
        cidr_block: 10.20.0.0/16
    tags:
      description: The calling account's tags on the peering connection.
      type: dict
      sample:
        Name: pcx-trading-analytics-prod
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import ensure_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY

from ansible_collections.netsec.aws_peering.plugins.module_utils import peering as pu

RESOURCE_TYPE = "vpc-peering-connection"


def validate(module):
    p = module.params
    state = p["state"]
    try:
        pu.check_vpc_id("vpc_id", p["vpc_id"])
        pu.check_vpc_id("peer_vpc_id", p["peer_vpc_id"])
        pu.check_account("peer_owner_id", p["peer_owner_id"])
        pu.check_region("peer_region", p["peer_region"])
        pu.check_peering_id("peering_id", p["peering_id"])
        pu.check_account("expected_requester_owner_id", p["expected_requester_owner_id"])
        pu.check_vpc_id("expected_requester_vpc_id", p["expected_requester_vpc_id"])
        pu.check_cidr("expected_requester_cidr", p["expected_requester_cidr"])
    except pu.PeeringError as e:
        module.fail_json(msg=str(e))
    if p["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout={p['wait_timeout']} must not be negative")
    if state == "present" and p["peering_id"]:
        module.fail_json(msg=f"peering_id={p['peering_id']!r} is not used with state=present; "
                         "the peering is identified by vpc_id, peer_vpc_id, peer_owner_id and peer_region")
    if state != "accepted":
        extra = [k for k in ("expected_requester_owner_id", "expected_requester_vpc_id", "expected_requester_cidr")
                 if p[k] is not None]
        if extra:
            module.fail_json(msg=f"{', '.join(extra)} only apply to state=accepted (state={state!r})")
    if state == "absent" and not p["peering_id"] and not (p["vpc_id"] and p["peer_vpc_id"]):
        module.fail_json(msg="state=absent needs peering_id, or vpc_id and peer_vpc_id")
    if state == "accepted" and p["peer_vpc_id"]:
        module.fail_json(msg=f"peer_vpc_id={p['peer_vpc_id']!r} is not used with state=accepted; "
                         "give the accepter VPC as vpc_id and the requester as expected_requester_vpc_id")


def requester_identity_matches(module, pcx):
    """state=present/absent identity: our VPC requests peer_vpc_id in peer_owner_id/peer_region."""
    p = module.params
    req = pcx.get("RequesterVpcInfo") or {}
    return pu.identity_matches(
        pcx,
        requester_vpc_id=p["vpc_id"],
        accepter_vpc_id=p["peer_vpc_id"],
        accepter_owner_id=p["peer_owner_id"] or req.get("OwnerId"),
        accepter_region=p["peer_region"] or module.region,
    )


def find_requested(module, client):
    """Live peerings matching the present/absent identity, best first."""
    p = module.params
    hint = {"requester-vpc-info.vpc-id": p["vpc_id"], "accepter-vpc-info.vpc-id": p["peer_vpc_id"]}
    found = [x for x in pu.describe_peerings(module, client, filters=hint) if requester_identity_matches(module, x)]
    return pu.pick_live(found)


def refresh(module, client, pcx):
    """Re-read the peering and replace its tags with the calling account's."""
    if not pcx:
        return None
    fresh = pu.get_peering(module, client, pcx["VpcPeeringConnectionId"]) or pcx
    return pu.with_account_tags(module, client, [fresh])[0]


def predicted_tags(current, tags, purge_tags):
    if tags is None:
        return dict(current)
    to_set, to_unset = compare_aws_tags(current, tags, purge_tags)
    result = {k: v for k, v in current.items() if k not in to_unset}
    result.update(to_set)
    return result


def ensure_tags(module, client, pcx):
    p = module.params
    if p["tags"] is None or not pcx:
        return False
    return ensure_ec2_tags(client, module, pcx["VpcPeeringConnectionId"], resource_type=RESOURCE_TYPE,
                           tags=p["tags"], purge_tags=p["purge_tags"])


def with_predicted(module, summary, status=None):
    after = dict(summary)
    after["tags"] = predicted_tags(summary.get("tags", {}), module.params["tags"], module.params["purge_tags"])
    if status:
        after["status"] = status
    return after


def finish(module, changed, before, pcx, after=None, **extra):
    result = dict(
        changed=changed,
        peering_id=pcx["VpcPeeringConnectionId"] if pcx else None,
        peering_connection=pu.to_result(pcx),
        **extra,
    )
    if module._diff:
        result["diff"] = {"before": before, "after": after if after is not None else pu.summary(pcx)}
    module.exit_json(**result)


# --------------------------------------------------------------------------- present


def ensure_present(module, client):
    p = module.params
    live = find_requested(module, client)
    if len(live) > 1:
        module.warn(f"Several live peerings match; using {live[0]['VpcPeeringConnectionId']} "
                    f"(also: {', '.join(x['VpcPeeringConnectionId'] for x in live[1:])})")
    if live:
        pcx = pu.with_account_tags(module, client, [live[0]])[0]
        before = pu.summary(pcx)
        changed = ensure_tags(module, client, pcx)
        if p["wait"] and not module.check_mode and pu.status_code(pcx) == "initiating-request":
            pcx = pu.wait_for_status(module, client, pcx["VpcPeeringConnectionId"],
                                     ("pending-acceptance", "provisioning", "active"), p["wait_timeout"])
        if module.check_mode:
            finish(module, changed, before, pcx, after=with_predicted(module, before))
        finish(module, changed, before, refresh(module, client, pcx))

    # Nothing live: request it.
    params = {"VpcId": p["vpc_id"], "PeerVpcId": p["peer_vpc_id"]}
    if p["peer_owner_id"]:
        params["PeerOwnerId"] = p["peer_owner_id"]
    if p["peer_region"]:
        params["PeerRegion"] = p["peer_region"]
    if p["tags"]:
        params["TagSpecifications"] = boto3_tag_specifications(p["tags"], types=RESOURCE_TYPE)
    if module.check_mode:
        after = {
            "vpc_peering_connection_id": None,
            "status": "pending-acceptance",
            "requester": {"vpc_id": p["vpc_id"], "region": module.region},
            "accepter": {"owner_id": p["peer_owner_id"], "vpc_id": p["peer_vpc_id"],
                         "region": p["peer_region"] or module.region},
            "tags": dict(p["tags"] or {}),
        }
        finish(module, True, {}, None, after=after)
    try:
        pcx = client.create_vpc_peering_connection(aws_retry=True, **params)["VpcPeeringConnection"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Unable to request a peering from {p['vpc_id']} to {p['peer_vpc_id']}")
    pid = pcx["VpcPeeringConnectionId"]
    if p["wait"]:
        pcx = pu.wait_for_status(module, client, pid, ("pending-acceptance", "provisioning", "active"),
                                 p["wait_timeout"])
    finish(module, True, {}, refresh(module, client, pcx))


# --------------------------------------------------------------------------- accepted


def describe_requests(peerings):
    return "; ".join(
        f"{x['VpcPeeringConnectionId']} ({pu.status_code(x)}) from {pu.describe_side(x.get('RequesterVpcInfo') or {})}"
        for x in peerings
    ) or "none"


def find_request(module, client):
    """The peering to accept: by id, or by accepter VPC + expected requester. None if not visible."""
    p = module.params
    if p["peering_id"]:
        return pu.get_peering(module, client, p["peering_id"])
    hint = {
        "accepter-vpc-info.vpc-id": p["vpc_id"],
        "requester-vpc-info.vpc-id": p["expected_requester_vpc_id"],
        "requester-vpc-info.owner-id": p["expected_requester_owner_id"],
    }
    found = [
        x for x in pu.describe_peerings(module, client, filters=hint)
        if pu.identity_matches(x, accepter_vpc_id=p["vpc_id"], requester_vpc_id=p["expected_requester_vpc_id"],
                               requester_owner_id=p["expected_requester_owner_id"])
    ]
    live = pu.pick_live(found)
    if not live:
        return None
    best = [x for x in live if pu.status_code(x) == pu.status_code(live[0])]
    if len(best) > 1:
        module.fail_json(
            msg=f"Several peering requests from {p['expected_requester_vpc_id']} into {p['vpc_id']} are "
            f"{pu.status_code(live[0])}: {', '.join(x['VpcPeeringConnectionId'] for x in best)}; give peering_id"
        )
    return live[0]


def not_found_message(module, client):
    p = module.params
    if p["peering_id"]:
        return f"VPC peering connection {p['peering_id']} is not visible in region {module.region} of the calling account"
    into = pu.pick_live(
        [x for x in pu.describe_peerings(module, client) if pu.identity_matches(x, accepter_vpc_id=p["vpc_id"])]
    )
    return (
        f"No live peering request from account {p['expected_requester_owner_id']}, VPC "
        f"{p['expected_requester_vpc_id']} into {p['vpc_id']} in region {module.region}; "
        f"live requests into {p['vpc_id']}: {describe_requests(into)}"
    )


def verify_request(module, pcx):
    """Fail (accepting nothing) unless the request is exactly the expected one."""
    p = module.params
    req = pcx.get("RequesterVpcInfo") or {}
    acc = pcx.get("AccepterVpcInfo") or {}
    pid = pcx["VpcPeeringConnectionId"]
    mismatches = []
    if req.get("OwnerId") != p["expected_requester_owner_id"]:
        mismatches.append(f"requester account: expected {p['expected_requester_owner_id']}, found {req.get('OwnerId')}")
    if req.get("VpcId") != p["expected_requester_vpc_id"]:
        mismatches.append(f"requester VPC: expected {p['expected_requester_vpc_id']}, found {req.get('VpcId')}")
    cidrs = pu.vpc_cidrs(req)
    if not pu.cidr_in(p["expected_requester_cidr"], cidrs):
        mismatches.append(f"requester CIDR: expected {p['expected_requester_cidr']}, found {', '.join(cidrs) or 'none'}")
    if p["vpc_id"] and acc.get("VpcId") != p["vpc_id"]:
        mismatches.append(f"accepter VPC: expected {p['vpc_id']}, found {acc.get('VpcId')}")
    if mismatches:
        module.fail_json(
            msg=f"Refusing to accept VPC peering connection {pid}: " + "; ".join(mismatches),
            mismatches=mismatches,
            peering_id=pid,
            peering_connection=pu.to_result(pcx),
        )
    code = pu.status_code(pcx)
    if code in pu.DEAD_STATES:
        module.fail_json(
            msg=f"VPC peering connection {pid} is {code!r} ({(pcx.get('Status') or {}).get('Message', '')}) "
            "and cannot be accepted; request it again",
            peering_id=pid,
            peering_connection=pu.to_result(pcx),
        )
    if module.region and acc.get("Region") and acc["Region"] != module.region:
        module.fail_json(
            msg=f"VPC peering connection {pid} must be accepted in the accepter's region {acc['Region']}, "
            f"not {module.region}: run with region={acc['Region']} and account {acc.get('OwnerId')}'s credentials",
            peering_id=pid,
        )


def ensure_accepted(module, client):
    p = module.params
    pcx = find_request(module, client)
    if pcx is None:
        if module.check_mode:
            module.warn(not_found_message(module, client) + ". Check mode: it would be accepted once requested.")
            finish(module, True, {}, None, after={"status": "active"})
        if p["wait"]:
            pcx = pu.poll(lambda: find_request(module, client), p["wait_timeout"])
        if pcx is None:
            module.fail_json(msg=not_found_message(module, client), peering_id=p["peering_id"])
    verify_request(module, pcx)
    pid = pcx["VpcPeeringConnectionId"]
    pcx = pu.with_account_tags(module, client, [pcx])[0]
    before = pu.summary(pcx)
    changed = False

    if pu.status_code(pcx) == "initiating-request" and not module.check_mode:
        pcx = pu.wait_for_status(module, client, pid, ("pending-acceptance", "provisioning", "active"),
                                 p["wait_timeout"])
        verify_request(module, pcx)

    if pu.status_code(pcx) in ("initiating-request", "pending-acceptance"):
        changed = True
        if not module.check_mode:
            try:
                client.accept_vpc_peering_connection(aws_retry=True, VpcPeeringConnectionId=pid)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                module.fail_json_aws(e, msg=f"Unable to accept VPC peering connection {pid}")

    changed |= ensure_tags(module, client, pcx)

    if module.check_mode:
        finish(module, changed, before, pcx, after=with_predicted(module, before, status="active"))
    if p["wait"] and pu.status_code(pcx) != "active":
        pcx = pu.wait_for_status(module, client, pid, ("active",), p["wait_timeout"])
    finish(module, changed, before, refresh(module, client, pcx))


# --------------------------------------------------------------------------- absent


def delete_one(module, client, pcx):
    pid = pcx["VpcPeeringConnectionId"]
    try:
        client.delete_vpc_peering_connection(aws_retry=True, VpcPeeringConnectionId=pid)
    except is_boto3_error_code("OperationNotPermitted") as e:
        # AWS lets only the requester delete a pending request; the accepter rejects it.
        if pu.status_code(pcx) != "pending-acceptance":
            module.fail_json_aws(e, msg=f"Unable to delete VPC peering connection {pid}")
        try:
            client.reject_vpc_peering_connection(aws_retry=True, VpcPeeringConnectionId=pid)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e2:
            module.fail_json_aws(e2, msg=f"Unable to delete or reject VPC peering connection {pid}")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Unable to delete VPC peering connection {pid}")


def ensure_absent(module, client):
    p = module.params
    if p["peering_id"]:
        pcx = pu.get_peering(module, client, p["peering_id"])
        live = [pcx] if pcx and pu.status_code(pcx) in pu.LIVE_STATES else []
        if pcx:
            sides = {(pcx.get("RequesterVpcInfo") or {}).get("VpcId"), (pcx.get("AccepterVpcInfo") or {}).get("VpcId")}
            wrong = [f"{k}={p[k]!r}" for k in ("vpc_id", "peer_vpc_id") if p[k] and p[k] not in sides]
            if wrong:
                module.fail_json(
                    msg=f"VPC peering connection {p['peering_id']} does not connect {' and '.join(wrong)}; it "
                    f"connects {' and '.join(sorted(str(x) for x in sides))}. Nothing deleted",
                    peering_id=p["peering_id"],
                )
    else:
        live = find_requested(module, client)
        pcx = live[0] if live else None
    if not live:
        finish(module, False, {}, pu.with_account_tags(module, client, [pcx])[0] if pcx else None, after={})
    before = pu.summary(live[0])
    if module.check_mode:
        finish(module, True, before, live[0], after={},
               deleted_peering_ids=[x["VpcPeeringConnectionId"] for x in live])
    for x in live:
        delete_one(module, client, x)
    if p["wait"]:
        for x in live:
            pu.wait_for_status(module, client, x["VpcPeeringConnectionId"], ("deleted", "rejected", "failed", "expired"),
                               p["wait_timeout"], fail_on=(), missing_ok=True)
    last = pu.get_peering(module, client, live[0]["VpcPeeringConnectionId"])
    finish(module, True, before, last, after={}, deleted_peering_ids=[x["VpcPeeringConnectionId"] for x in live])


def main():
    argument_spec = dict(
        state=dict(type="str", default="present", choices=["present", "accepted", "absent"]),
        vpc_id=dict(type="str"),
        peer_vpc_id=dict(type="str"),
        peer_owner_id=dict(type="str"),
        peer_region=dict(type="str"),
        peering_id=dict(type="str"),
        expected_requester_owner_id=dict(type="str"),
        expected_requester_vpc_id=dict(type="str"),
        expected_requester_cidr=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    required_if = [
        ("state", "present", ["vpc_id", "peer_vpc_id"]),
        ("state", "accepted", ["expected_requester_owner_id", "expected_requester_vpc_id", "expected_requester_cidr"]),
        ("state", "accepted", ["peering_id", "vpc_id"], True),
    ]
    module = AnsibleAWSModule(argument_spec=argument_spec, required_if=required_if, supports_check_mode=True)
    validate(module)
    client = module.client("ec2", retry_decorator=RETRY)
    state = module.params["state"]
    if state == "present":
        ensure_present(module, client)
    elif state == "accepted":
        ensure_accepted(module, client)
    else:
        ensure_absent(module, client)


if __name__ == "__main__":
    main()
