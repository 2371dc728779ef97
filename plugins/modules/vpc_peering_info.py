#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_peering_info
short_description: List VPC peering connections, filtered client-side
version_added: 0.1.0
description:
  - Lists the VPC peering connections the calling account can see in the region.
  - Fills a gap in C(amazon.aws.ec2_vpc_peering_info), which passes O(filters) to
    C(DescribeVpcPeeringConnections) and trusts the answer. The emulator ignores the filters and
    returns every peering. This module sends the filters as a hint and then applies them itself,
    so the result is right on both.
  - Tags are per account. The tags returned (and matched by C(tag:) filters) are the calling
    account's, read with C(DescribeTags).
author:
  - netsec aws_peering maintainers (@netsec)
options:
  peering_ids:
    description:
      - Only these peering connections (V(pcx-...)). IDs that do not exist are left out of the
        result (no error).
    type: list
    elements: str
    default: []
  filters:
    description:
      - A dict of filters, with the names the EC2 API uses. All names must match; when the value is a
        list, any of its values may match. Values may use the V(*) and V(?) wildcards.
      - "Supported names: V(accepter-vpc-info.cidr-block), V(accepter-vpc-info.owner-id),
        V(accepter-vpc-info.vpc-id), V(requester-vpc-info.cidr-block), V(requester-vpc-info.owner-id),
        V(requester-vpc-info.vpc-id), V(status-code), V(status-message), V(tag-key),
        V(vpc-peering-connection-id), V(tag:<key>)."
      - Also V(accepter-vpc-info.region) and V(requester-vpc-info.region), which the API lacks; they
        are applied client-side only.
      - A C(cidr-block) filter matches the primary CIDR or any CIDR in C(CidrBlockSet).
    type: dict
    default: {}
  include_deleted:
    description:
      - Also return peerings that are no longer live (deleted, deleting, rejected, failed or expired).
      - Ignored when O(filters) has a V(status-code) filter, which then decides.
    type: bool
    default: false
notes:
  - "IAM actions used: C(ec2:DescribeVpcPeeringConnections), C(ec2:DescribeTags)."
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: All live peerings of a hub VPC, as requester
  netsec.aws_peering.vpc_peering_info:
    filters:
      requester-vpc-info.vpc-id: vpc-0a1b2c3d4e5f60718
  register: hub

- name: Requests waiting for this account to accept
  netsec.aws_peering.vpc_peering_info:
    filters:
      accepter-vpc-info.owner-id: "{{ accepter_account_id }}"
      status-code: pending-acceptance

- name: One peering by ID, even if deleted
  netsec.aws_peering.vpc_peering_info:
    peering_ids:
      - pcx-0123456789abcdef0
    include_deleted: true

- name: By tag, with a wildcard
  netsec.aws_peering.vpc_peering_info:
    filters:
      "tag:Name": "pcx-trading-*"
"""

RETURN = r"""
vpc_peering_connections:
  description: The matching peering connections, sorted by ID.
  returned: always
  type: list
  elements: dict
  contains:
    vpc_peering_connection_id:
      description: The ID of the peering connection.
      type: str
      sample: pcx-0123456789abcdef0
    status:
      description: The status (code and message).
      type: dict
      sample:
        code: active
        message: Active
    requester_vpc_info:
      description: The requester side (owner_id, vpc_id, region, cidr_block, cidr_block_set, peering_options).
      type: dict
      sample:
        owner_id: "111111111111"
        vpc_id: vpc-0a1b2c3d4e5f60718
        region: us-east-1
        cidr_block: 10.10.0.0/16
        peering_options:
          allow_dns_resolution_from_remote_vpc: true
    accepter_vpc_info:
      description: The accepter side, same keys as the requester side.
      type: dict
      sample:
        owner_id: "222222222222"
        vpc_id: vpc-0f1e2d3c4b5a69788
        region: us-east-2
        cidr_block: 10.20.0.0/16
    tags:
      description: The calling account's tags.
      type: dict
      sample:
        Name: pcx-trading-analytics-prod
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils import peering as pu


def main():
    argument_spec = dict(
        peering_ids=dict(type="list", elements="str", default=[]),
        filters=dict(type="dict", default={}),
        include_deleted=dict(type="bool", default=False),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    peering_ids = module.params["peering_ids"]
    filters = module.params["filters"]
    try:
        for i, pid in enumerate(peering_ids):
            pu.check_peering_id(f"peering_ids[{i}]", pid)
        pu.validate_filters(filters)
    except pu.PeeringError as e:
        module.fail_json(msg=str(e))

    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
    found = pu.describe_peerings(module, client, peering_ids=peering_ids, filters=filters)
    if not module.params["include_deleted"] and "status-code" not in filters:
        found = [p for p in found if pu.status_code(p) in pu.LIVE_STATES]
    found = pu.with_account_tags(module, client, found)
    found = [p for p in found if pu.matches_filters(p, filters)]
    found.sort(key=lambda p: p["VpcPeeringConnectionId"])
    module.exit_json(changed=False, vpc_peering_connections=[pu.to_result(p) for p in found])


if __name__ == "__main__":
    main()
