#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_peering_options
short_description: Set one side's options of a VPC peering connection (DNS resolution)
version_added: 0.1.0
description:
  - Sets the peering connection options of one side (requester or accepter) of a VPC peering
    connection. Today that is C(AllowDnsResolutionFromRemoteVpc). On the requester side it lets
    instances in the accepter VPC resolve the requester VPC's public DNS hostnames to private IP
    addresses, and the accepter side does the same the other way round.
  - Fills a gap, no module in C(amazon.aws) or C(community.aws) manages peering options. Terraform
    users know the other problem, the options can only be set once the peering is active, so a
    first run fails and a second one is needed. This module first waits (O(wait)) until the
    peering is active, polling its state every 1 to 5 seconds for at most O(wait_timeout) seconds,
    with no fixed sleeps. A single run of a playbook therefore ends with DNS resolution enabled.
  - The current options are read from C(DescribeVpcPeeringConnections), filtered client-side by ID
    because the emulator ignores filters. C(ModifyVpcPeeringConnectionOptions) is called only when
    the option differs.
  - B(Run it with the credentials of the account that owns that side, in that side's region.)
    AWS lets each account change only its own side. The module checks the region, and the account
    with C(sts:GetCallerIdentity), before it changes anything. The emulator enforces neither.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  peering_id:
    description:
      - The peering connection ID (V(pcx-...)).
    type: str
    required: true
  side:
    description:
      - Which side's options to set, V(requester) or V(accepter).
      - The calling account must own that side's VPC, and O(region) must be that VPC's region.
    type: str
    required: true
    choices: [requester, accepter]
  allow_dns_resolution_from_remote_vpc:
    description:
      - Whether the peer VPC may resolve this side's public DNS hostnames to private IP addresses.
    type: bool
    required: true
  wait:
    description:
      - Wait until the peering is visible and active before modifying it.
      - If V(false) and the peering is not active, the task fails without changing anything.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most for the peering to become active.
    type: int
    default: 300
notes:
  - In check mode nothing is modified and nothing is waited for. The result tells whether the option
    would change, based on the current value.
  - The VPCs need DNS support and DNS hostnames enabled for AWS to accept the option.
  - "IAM actions used: C(ec2:DescribeVpcPeeringConnections), C(ec2:ModifyVpcPeeringConnectionOptions);
    C(sts:GetCallerIdentity) needs no permission."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Requester account enables DNS resolution on its side (waits for acceptance)
  netsec.aws_peering.vpc_peering_options:
    peering_id: "{{ request.peering_id }}"
    side: requester
    allow_dns_resolution_from_remote_vpc: true

- name: Accepter account does the same on its side, in its own region
  netsec.aws_peering.vpc_peering_options:
    region: us-east-2
    peering_id: "{{ request.peering_id }}"
    side: accepter
    allow_dns_resolution_from_remote_vpc: true
    wait_timeout: 600
"""

RETURN = r"""
peering_id:
  description: The peering connection ID.
  returned: always
  type: str
  sample: pcx-0123456789abcdef0
side:
  description: The side that was managed.
  returned: always
  type: str
  sample: accepter
peering_options:
  description: That side's peering options after the task (predicted in check mode).
  returned: always
  type: dict
  contains:
    allow_dns_resolution_from_remote_vpc:
      description: Whether DNS resolution from the remote VPC is allowed.
      type: bool
      sample: true
status:
  description: The status code of the peering connection when the options were read.
  returned: always
  type: str
  sample: active
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY

from ansible_collections.netsec.aws_peering.plugins.module_utils import peering as pu

OPTION = "AllowDnsResolutionFromRemoteVpc"
INFO_KEY = {"requester": "RequesterVpcInfo", "accepter": "AccepterVpcInfo"}
MODIFY_KEY = {"requester": "RequesterPeeringConnectionOptions", "accepter": "AccepterPeeringConnectionOptions"}


def side_options(pcx, side):
    return dict(((pcx.get(INFO_KEY[side]) or {}).get("PeeringOptions")) or {})


def check_caller(module, pcx, side):
    """Fail unless the caller is this side's account, in this side's region."""
    info = pcx.get(INFO_KEY[side]) or {}
    pid = pcx["VpcPeeringConnectionId"]
    if module.region and info.get("Region") and info["Region"] != module.region:
        module.fail_json(
            msg=f"side={side}: the {side} VPC {info.get('VpcId')} of {pid} is in region {info['Region']}, "
            f"not {module.region}; run with region={info['Region']} and account {info.get('OwnerId')}'s credentials",
            peering_id=pid,
        )
    try:
        account = module.client("sts", retry_decorator=RETRY).get_caller_identity(
            aws_retry=True
        )["Account"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.warn(f"Could not check the calling account with sts:GetCallerIdentity ({e}); "
                    f"AWS will refuse the change unless it is account {info.get('OwnerId')}")
        return
    if info.get("OwnerId") and account != info["OwnerId"]:
        module.fail_json(
            msg=f"side={side}: the {side} VPC {info.get('VpcId')} of {pid} belongs to account {info['OwnerId']}, "
            f"but the module runs as account {account}; run it with account {info['OwnerId']}'s credentials",
            peering_id=pid,
        )


def main():
    argument_spec = dict(
        peering_id=dict(type="str", required=True),
        side=dict(type="str", required=True, choices=["requester", "accepter"]),
        allow_dns_resolution_from_remote_vpc=dict(type="bool", required=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params
    pid, side, desired = p["peering_id"], p["side"], p["allow_dns_resolution_from_remote_vpc"]
    try:
        pu.check_peering_id("peering_id", pid)
    except pu.PeeringError as e:
        module.fail_json(msg=str(e))
    if p["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout={p['wait_timeout']} must not be negative")

    client = module.client("ec2", retry_decorator=RETRY)
    pcx = pu.get_peering(module, client, pid)
    result = dict(peering_id=pid, side=side)

    if pcx is None and module.check_mode:
        module.warn(f"VPC peering connection {pid} is not visible (yet) in region {module.region}; "
                    f"check mode assumes the option would be set")
        result.update(changed=True, status=None, peering_options={"allow_dns_resolution_from_remote_vpc": desired})
        if module._diff:
            result["diff"] = {"before": {}, "after": {"allow_dns_resolution_from_remote_vpc": desired}}
        module.exit_json(**result)
    if pcx is None and not p["wait"]:
        module.fail_json(msg=f"VPC peering connection {pid} is not visible in region {module.region} "
                         "of the calling account", **result)
    if pcx is not None:
        check_caller(module, pcx, side)

    code = pu.status_code(pcx)
    if code in pu.DEAD_STATES:
        module.fail_json(msg=f"VPC peering connection {pid} is {code!r}; its options cannot be set", **result)
    if code != "active" and not module.check_mode:
        if not p["wait"]:
            module.fail_json(
                msg=f"VPC peering connection {pid} is {code!r}, not active; AWS accepts options only on an "
                "active peering (use wait=true to wait for the acceptance)", status=code, **result
            )
        pcx = pu.wait_for_status(module, client, pid, ("active",), p["wait_timeout"])
        if code is None:
            check_caller(module, pcx, side)

    before = side_options(pcx, side)
    current = bool(before.get(OPTION, False))
    changed = current != desired
    after = dict(before, **{OPTION: desired})
    if changed and not module.check_mode:
        try:
            client.modify_vpc_peering_connection_options(
                aws_retry=True, VpcPeeringConnectionId=pid, **{MODIFY_KEY[side]: {OPTION: desired}}
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Unable to set {OPTION}={desired} on the {side} side of {pid}", **result)
        pcx = pu.get_peering(module, client, pid) or pcx
        after = side_options(pcx, side)
        if bool(after.get(OPTION, False)) != desired:
            module.fail_json(msg=f"{OPTION} on the {side} side of {pid} is still {after.get(OPTION)} after the change",
                             **result)

    result.update(changed=changed, status=pu.status_code(pcx), peering_options=camel_dict_to_snake_dict(after))
    if module._diff:
        result["diff"] = {"before": camel_dict_to_snake_dict(before), "after": camel_dict_to_snake_dict(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
