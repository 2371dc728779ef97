#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: site_info
short_description: Describe everything of one network site in one run
version_added: 0.1.0
description:
  - Reads, for one site (one account, one region, one VPC), everything the collection plans against,
    verifies and reports on, and returns it as one dictionary in AWS's own response shapes
    (see C(docs/dev/site-state.md) in the collection).
  - The VPC is found by O(vpc_id), else by O(vpc_adopt_tags), else by its name
    C(vpc-<network_name>-<environment_suffix>) together with the tag C(ManagedBy=netsec.aws_peering).
  - With the VPC, its subnets, route tables, network ACLs, security groups, endpoints, internet and NAT
    gateways, flow logs and every peering connection it is part of (any status). With the scopes that need
    them, the region's S3 and DynamoDB managed prefix lists, the collection's IAM roles, KMS keys, buckets,
    AWS Config recorder and channel, and the site's Config rules (names ending in
    C(-<network_name>-<environment_suffix>)), alert topic, flow log group with its metric filters, alarms,
    EventBridge rules and dashboard.
  - Fills a gap, the stock C(*_info) modules read one resource type per run, and a run costs a module
    process each; the roles need about twenty of them per site. Planning on the controller from one
    description is what makes a run that has nothing to do take seconds.
  - Only reads. The identity of the session comes from C(sts:GetCallerIdentity).
author:
  - netsec aws_peering maintainers (@netsec)
options:
  network_name:
    description: The site's network name, as in every resource name.
    type: str
    required: true
  environment_suffix:
    description: The environment suffix, as in every resource name.
    type: str
    required: true
  vpc_id:
    description: The VPC to describe (an adopted VPC).
    type: str
  vpc_adopt_tags:
    description: Tags that identify an adopted VPC when its ID is not given.
    type: dict
  scopes:
    description:
      - What to describe besides the VPC and its network. Fewer scopes, fewer calls.
    type: list
    elements: str
    choices: [network, peering, security, endpoints, flowlogs, config, monitoring]
    default: [network, peering, security, endpoints, flowlogs, config, monitoring]
  dashboard_name:
    description: The environment's CloudWatch dashboard.
    type: str
notes:
  - Supports check mode (it only reads).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Describe the site once for every stage of the run
  netsec.aws_peering.site_info:
    network_name: trading
    environment_suffix: prod
  register: site

- name: Describe an adopted VPC's network only
  netsec.aws_peering.site_info:
    network_name: analytics
    environment_suffix: prod
    vpc_adopt_tags:
      Name: analytics-prod
    scopes: [network]
"""

RETURN = r"""
state:
  description:
    - The site's state. Lists hold AWS's describe output unchanged (CamelCase keys); a site without a VPC
      has C(vpc=null) and empty lists.
  returned: always
  type: dict
  contains:
    account_id:
      description: The account the session reaches.
      type: str
      sample: "ACCOUNT_ID"
    partition:
      description: The account's partition.
      type: str
      sample: aws
    region:
      description: The region described.
      type: str
      sample: eu-west-1
    availability_zones:
      description: The region's available zones, sorted.
      type: list
      elements: str
    vpc:
      description: The VPC (C(describe_vpcs)) with C(EnableDnsSupport) and C(EnableDnsHostnames), or null.
      type: dict
    vpc_candidates:
      description: IDs of every VPC that matched; more than one is an error for the caller to report.
      type: list
      elements: str
    subnets:
      description: Every subnet of the VPC.
      type: list
      elements: dict
    route_tables:
      description: Every route table of the VPC, with routes and associations.
      type: list
      elements: dict
    network_acls:
      description: Every network ACL of the VPC, with entries and associations.
      type: list
      elements: dict
    security_groups:
      description: Every security group of the VPC.
      type: list
      elements: dict
    vpc_endpoints:
      description: Every endpoint of the VPC, any state.
      type: list
      elements: dict
    vpc_peering_connections:
      description: Every peering the VPC is part of, any status.
      type: list
      elements: dict
    flow_logs:
      description: Every flow log of the VPC.
      type: list
      elements: dict
    prefix_lists:
      description: The S3 and DynamoDB managed prefix lists of the region, each with C(Cidrs).
      type: list
      elements: dict
    iam_roles:
      description: The collection's roles by name (C(Role), C(InlinePolicies), C(AttachedPolicies), C(Tags)), null if absent.
      type: dict
    kms_keys:
      description: The collection's keys by alias (C(KeyMetadata), C(Policy), C(KeyRotationEnabled), C(Tags)), null if absent.
      type: dict
    buckets:
      description: The collection's buckets by name (C(Encryption), C(PublicAccessBlock), C(OwnershipControls),
        C(Versioning), C(Policy), C(Tags), C(Lifecycle)), null if absent.
      type: dict
    config:
      description: C(recorders), C(recorder_status), C(delivery_channels) of the account and region, and our C(rules).
      type: dict
    topic:
      description: The alert topic (C(Attributes), C(Subscriptions), C(Tags)), or null.
      type: dict
    log_group:
      description: The flow log group with C(metricFilters) and C(tags), or null.
      type: dict
    alarms:
      description: The site's alarms, each with C(Tags).
      type: list
      elements: dict
    event_rules:
      description: The site's EventBridge rules, each with C(Targets) and C(Tags).
      type: list
      elements: dict
    dashboard:
      description: The environment's dashboard with its body as a dict, or null.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import discover
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import VPC_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.site_state import SCOPES


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            network_name=dict(type="str", required=True),
            environment_suffix=dict(type="str", required=True),
            vpc_id=dict(type="str"),
            vpc_adopt_tags=dict(type="dict"),
            scopes=dict(type="list", elements="str", choices=list(SCOPES), default=list(SCOPES)),
            dashboard_name=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    vpc_id = module.params["vpc_id"]
    if vpc_id and not VPC_ID_RE.match(vpc_id):
        module.fail_json(msg=f"vpc_id={vpc_id!r} is not a VPC ID (vpc- and 8 or 17 hex digits)")
    clients = {}

    def client(service):
        if service not in clients:
            clients[service] = module.client(service)
        return clients[service]

    params = dict(module.params, region=module.region)
    try:
        state = discover(client, params)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"Cannot describe the site {module.params['network_name']}: {e.what}")
    module.exit_json(changed=False, state=state)


if __name__ == "__main__":
    main()
