#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: vpc_gateway_endpoint
short_description: Converge the collection's own VPC endpoints (S3, DynamoDB gateways; optional interface endpoints) in one run
version_added: 0.1.0
description:
  - Creates, updates and deletes the collection's endpoints of one VPC, gateway endpoints with their route tables
    and interface endpoints with their subnets, security groups and private DNS, each with its policy and tags, in
    a single run.
  - The decisions come from C(plan_endpoints) in the collection's C(endpoints) module utilities, the same function
    the endpoints role runs on the controller (on the discovered site state) to decide whether this module must run
    at all, so the plan shown by C(--check --diff) is exactly what a run does.
  - Ownership, an endpoint is ours when it carries C(ManagedBy=netsec.aws_peering) and C(Network=<network_name>).
    Only ours are modified or deleted. Someone else's endpoint of the same service (common in an adopted VPC) is
    left exactly as it is, and ours is created beside it, AWS allows several gateway endpoints per service in a
    VPC. A route table can use only one gateway endpoint per service, so one of our route tables on someone
    else's endpoint is an error naming both, raised before any write; likewise a second interface endpoint with
    private DNS for a service that already has one.
  - Kill-safe, endpoints are created with their tags in the same call (TagSpecifications) and a ClientToken
    derived from the VPC and the whole request, so a retried or re-run create returns the endpoint the first one
    made instead of a duplicate. Should AWS hand back an endpoint deleted since (same request within its token
    window), the module creates a new one with a fresh token.
  - Gap filled, M(amazon.aws.ec2_vpc_endpoint) never detects or applies a changed policy (measured against the
    emulator), changes neither subnets nor security groups of an interface endpoint, matches an existing endpoint
    by VPC and service whoever owns it (and even a deleted one), and manages one endpoint per run.
  - All inputs (services, policies, route tables, subnets and groups of the VPC) are validated before any write.
options:
  vpc_id:
    description: The VPC of the endpoints; the module fails when it does not exist (wrong account or region).
    type: str
    required: true
  network_name:
    description: The site's network name, the value of the C(Network) ownership tag.
    type: str
    required: true
  endpoints:
    description:
      - The endpoints, one per service and type.
      - With O(state=absent), omit it to delete every endpoint of ours in the VPC.
    type: list
    elements: dict
    suboptions:
      service:
        description:
          - V(s3), V(dynamodb), or a full service name such as V(com.amazonaws.us-east-1.s3).
          - A short name becomes C(com.amazonaws.<region>.<service>) with the module's region.
        type: str
        required: true
      type:
        description: The endpoint type.
        type: str
        choices: [Gateway, Interface]
        default: Gateway
      route_table_ids:
        description:
          - Gateway endpoints, route tables that get a route to the service through the endpoint.
          - Omit to leave an existing endpoint's route tables as they are.
        type: list
        elements: str
      subnet_ids:
        description: Interface endpoints, the subnets of its network interfaces (one per zone).
        type: list
        elements: str
      security_groups:
        description: Interface endpoints, security group IDs or names (of the VPC) of its network interfaces.
        type: list
        elements: str
      private_dns:
        description: Interface endpoints, resolve the service's public name to the endpoint in the VPC.
        type: bool
      policy:
        description:
          - Endpoint policy, as a dict or a JSON string.
          - Compared after normalisation (sorted keys; single strings and lists are equal for C(Action), C(Resource),
            C(Principal) and C(Condition) values; statement order is ignored) and applied with ModifyVpcEndpoint when
            different.
          - Omit to leave the policy as it is (a new endpoint then gets AWS's full-access default).
        type: raw
      tags:
        description: Tags of this endpoint, merged over O(tags).
        type: dict
      name:
        description: The endpoint's C(Name) tag.
        type: str
  state:
    description:
      - V(present) creates or updates the endpoints; V(absent) deletes ours (listed, or all with O(endpoints) omitted).
    type: str
    choices: [present, absent]
    default: present
  purge_route_tables:
    description:
      - Remove route tables that use one of our gateway endpoints but are not in its O(endpoints[].route_table_ids).
    type: bool
    default: true
  purge_endpoints:
    description:
      - With O(state=present), also delete our endpoints (of any service and type) that are not listed.
    type: bool
    default: false
  tags:
    description:
      - Tags for every endpoint; O(endpoints[].tags) and O(endpoints[].name) are merged over them, and C(ManagedBy)
        and C(Network) are always set. Tags are added or corrected, never removed (others may tag our endpoints).
    type: dict
    aliases: [resource_tags]
notes:
  - Supports check mode and diff mode; both show the planned changes.
  - The emulator (moto) does not add or remove routes on ModifyVpcEndpoint, and then fails DeleteVpcEndpoints with
    C(InvalidRoute.NotFound); the module then detaches the route tables and deletes again.
  - The emulator keeps deleted endpoints with state C(deleted); they are ignored.
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: S3 and DynamoDB endpoints on the private route tables
  netsec.aws_peering.vpc_gateway_endpoint:
    vpc_id: "{{ vpc_id }}"
    network_name: trading
    tags:
      CostCenter: CC-4410
    endpoints:
      - service: s3
        name: vpce-s3-trading-prod
        route_table_ids: "{{ private_route_table_ids }}"
        policy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: "*"
              Action: ["s3:GetObject", "s3:PutObject"]
              Resource: "arn:aws:s3:::peer-bucket/*"
              Condition:
                StringEquals:
                  aws:PrincipalAccount: "{{ account_id }}"
      - service: dynamodb
        name: vpce-dynamodb-trading-prod
        route_table_ids: "{{ private_route_table_ids }}"
        policy: "{{ lookup('file', 'dynamodb-endpoint-policy.json') }}"

- name: An SSM interface endpoint in the private subnets
  netsec.aws_peering.vpc_gateway_endpoint:
    vpc_id: "{{ vpc_id }}"
    network_name: trading
    endpoints:
      - service: ssm
        type: Interface
        name: vpce-ssm-trading-prod
        subnet_ids: "{{ private_subnet_ids }}"
        security_groups: [sg-endpoints-trading-prod]
        private_dns: true

- name: Remove every endpoint of ours
  netsec.aws_peering.vpc_gateway_endpoint:
    vpc_id: "{{ vpc_id }}"
    network_name: trading
    state: absent
"""

RETURN = r"""
endpoints:
  description: One item per listed endpoint (with O(state=absent) and no list, per deleted one), the state after the run
    (before it, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    vpc_endpoint_id:
      description: Endpoint ID (V(null) when it would be created in check mode or is absent).
      type: str
      sample: vpce-0123456789abcdef0
    service_name:
      description: Full service name.
      type: str
      sample: com.amazonaws.us-east-1.s3
    service:
      description: Short service name.
      type: str
      sample: s3
    type:
      description: V(Gateway) or V(Interface).
      type: str
    route_table_ids:
      description: Route tables of a gateway endpoint, sorted.
      type: list
      elements: str
    subnet_ids:
      description: Subnets of an interface endpoint, sorted.
      type: list
      elements: str
    security_group_ids:
      description: Security groups of an interface endpoint, sorted.
      type: list
      elements: str
    policy:
      description: The endpoint policy as a dict.
      type: dict
    state:
      description: Endpoint state (V(available); V(absent) when there is none).
      type: str
      sample: available
    tags:
      description: Tags of the endpoint.
      type: dict
    action:
      description: V(created), V(updated), V(unchanged), V(deleted) or V(absent) (nothing to delete).
      type: str
      sample: created
changes:
  description: The changes made (planned, in check mode), each with C(resource), C(action), C(field), C(before), C(after).
  returned: always
  type: list
  elements: dict
state:
  description: C(vpc_endpoints), every endpoint of the VPC after the run in the shape of M(netsec.aws_peering.site_info).
  returned: always
  type: dict
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import changes_diff
from ansible_collections.netsec.aws_peering.plugins.module_utils.desired_sets import converge_rounds
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import absent_on
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import paginate
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import EndpointError
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import client_token
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import current_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import desired_endpoint
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import endpoint_type
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import is_live
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import is_ours
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import plan_endpoints
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import short_service

MAX_ROUNDS = 3


def describe(ec2, vpc_id, region, present):
    """What the plan needs of the VPC, as site_info describes it (same calls, same shapes)."""
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]

    def in_vpc(items):
        return [item for item in items if item.get("VpcId") == vpc_id]

    state = {"vpc": {"VpcId": vpc_id}, "region": region,
             "vpc_endpoints": in_vpc(paginate("VPC endpoints", ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=by_vpc))}
    if present:
        state["route_tables"] = in_vpc(paginate("route tables", ec2, "describe_route_tables", "RouteTables", Filters=by_vpc))
        state["subnets"] = in_vpc(paginate("subnets", ec2, "describe_subnets", "Subnets", Filters=by_vpc))
        state["security_groups"] = in_vpc(paginate("security groups", ec2, "describe_security_groups", "SecurityGroups", Filters=by_vpc))
    return state


class Executor:
    """Carries out one round of planned changes: creations, then modifications and tags, then deletions."""

    def __init__(self, module, ec2, vpc_id):
        self.module = module
        self.ec2 = ec2
        self.vpc_id = vpc_id

    def call(self, what, method, **params):
        try:
            return RETRY(method)(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"Cannot {what}")
        return None  # not reached: fail_json_aws exits

    def create(self, item):
        api, salt = dict(item["spec"]), ""
        for _attempt in range(3):
            created = self.call(f"create {item['resource']}", self.ec2.create_vpc_endpoint, VpcId=self.vpc_id,
                                ClientToken=client_token(self.vpc_id, api, salt),
                                TagSpecifications=boto3_tag_specifications(item["tags"], ["vpc-endpoint"]), **api)["VpcEndpoint"]
            if is_live(created):
                return
            # AWS handed back an endpoint made by the same request and deleted since: ask again with a fresh token.
            salt = created["VpcEndpointId"]
        self.module.fail_json(msg=f"CreateVpcEndpoint keeps returning deleted endpoints for {item['resource']} (last {salt})")

    def delete(self, item):
        endpoint_id = item["id"]
        try:
            reply = RETRY(self.ec2.delete_vpc_endpoints)(VpcEndpointIds=[endpoint_id])
        except is_boto3_error_code("InvalidRoute.NotFound"):
            # moto: routes are not touched by ModifyVpcEndpoint, so its delete trips over a route table added
            # later. Detach the route tables, then delete again.
            if item.get("route_table_ids"):
                self.call(f"detach the route tables of {endpoint_id}", self.ec2.modify_vpc_endpoint, VpcEndpointId=endpoint_id,
                          RemoveRouteTableIds=list(item["route_table_ids"]))
            reply = self.call(f"delete {endpoint_id}", self.ec2.delete_vpc_endpoints, VpcEndpointIds=[endpoint_id])
        except is_boto3_error_code("InvalidVpcEndpointId.NotFound"):  # pylint: disable=duplicate-except
            return
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"Cannot delete {endpoint_id}")
        failed = [u for u in reply.get("Unsuccessful", []) if u.get("ResourceId") == endpoint_id]
        if failed:
            error = failed[0].get("Error", {})
            self.module.fail_json(msg=f"Cannot delete {endpoint_id}: {error.get('Code')} {error.get('Message')}")

    def apply(self, changes):
        modify, tags = {}, {}
        for item in changes:
            if item["action"] == "create":
                self.create(item)
            elif item["action"] == "update" and item.get("modify"):
                modify.setdefault(item["id"], {}).update(item["modify"])
            elif item["action"] == "update" and item.get("tags"):
                tags.setdefault(item["id"], {}).update(item["tags"])
        for endpoint_id, fragment in sorted(modify.items()):
            self.call(f"modify {endpoint_id}", self.ec2.modify_vpc_endpoint, VpcEndpointId=endpoint_id, **fragment)
        for endpoint_id, values in sorted(tags.items()):
            self.call(f"tag {endpoint_id}", self.ec2.create_tags, Resources=[endpoint_id],
                      Tags=[{"Key": k, "Value": v} for k, v in sorted(values.items())])
        for item in changes:
            if item["action"] == "delete":
                self.delete(item)


def view(endpoint, service=None, kind="Gateway", action="unchanged"):
    if not endpoint:
        return {"vpc_endpoint_id": None, "service_name": service, "service": short_service(service), "type": kind, "route_table_ids": [],
                "subnet_ids": [], "security_group_ids": [], "policy": None, "state": "absent", "tags": {}, "action": action}
    return {
        "vpc_endpoint_id": endpoint["VpcEndpointId"],
        "service_name": endpoint["ServiceName"],
        "service": short_service(endpoint["ServiceName"]),
        "type": endpoint_type(endpoint),
        "route_table_ids": sorted(endpoint.get("RouteTableIds") or []),
        "subnet_ids": sorted(endpoint.get("SubnetIds") or []),
        "security_group_ids": sorted(g.get("GroupId") for g in endpoint.get("Groups") or []),
        "policy": current_policy(endpoint),
        "state": endpoint.get("State"),
        "tags": boto3_tag_list_to_ansible_dict(endpoint.get("Tags") or []),
        "action": action,
    }


def views(module, before, after, wanted, changes):
    """Per listed endpoint (or per deleted one): ours after the run (before it in check mode) and what happened."""
    network = module.params["network_name"]
    final = before if module.check_mode else after
    touched = {}
    for item in changes:
        touched.setdefault(item.get("id") or item["resource"], set()).add(item["action"])
    out = []
    if wanted is None:
        for endpoint in before["vpc_endpoints"]:
            if is_ours(endpoint, network) and is_live(endpoint) and "delete" in touched.get(endpoint["VpcEndpointId"], ()):
                out.append(dict(view(endpoint, action="deleted"), state="deleted"))
        return out
    for spec in wanted:
        def mine(state, spec=spec):
            return next((e for e in state["vpc_endpoints"] if is_ours(e, network) and is_live(e) and e.get("ServiceName") == spec["service_name"]
                         and endpoint_type(e) == spec["type"]), None)
        old, new = mine(before), mine(final)
        actions = touched.get(old["VpcEndpointId"], set()) if old else touched.get(f"vpc-endpoint {spec['tags'].get('Name') or spec['service_name']}", set())
        action = "deleted" if "delete" in actions else "created" if "create" in actions else "updated" if actions else "unchanged"
        if old is None and action == "unchanged":
            action = "absent"
        current = (old if module.check_mode else new) or (old if action == "deleted" else None)
        item = view(current, spec["service_name"], spec["type"], action)
        if action == "deleted":
            item["state"] = "deleted"
        out.append(item)
    return out


def main():
    endpoint_spec = dict(
        service=dict(type="str", required=True),
        type=dict(type="str", choices=["Gateway", "Interface"], default="Gateway"),
        route_table_ids=dict(type="list", elements="str"),
        subnet_ids=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        private_dns=dict(type="bool"),
        policy=dict(type="raw"),
        tags=dict(type="dict"),
        name=dict(type="str"),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            vpc_id=dict(type="str", required=True),
            network_name=dict(type="str", required=True),
            endpoints=dict(type="list", elements="dict", options=endpoint_spec),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            purge_route_tables=dict(type="bool", default=True),
            purge_endpoints=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
        ),
        required_if=[("state", "present", ["endpoints"])],
        supports_check_mode=True,
    )
    params = module.params
    vpc_id, network, region = params["vpc_id"], params["network_name"], module.region
    absent = params["state"] == "absent"
    desired = None
    if params["endpoints"] is not None:
        desired = [dict(ep, tags=dict(params["tags"] or {}, **(ep.get("tags") or {}))) for ep in params["endpoints"]]
    try:
        wanted = None if desired is None else [desired_endpoint(ep, region, network, f"endpoints[{i}]") for i, ep in enumerate(desired)]
    except EndpointError as e:
        module.fail_json(msg=str(e))
    ec2 = module.client("ec2")

    def plan(state):
        return plan_endpoints(state, desired, network, purge_route_tables=params["purge_route_tables"],
                              purge_endpoints=params["purge_endpoints"], absent=absent)

    try:
        if absent_on(("InvalidVpcID.NotFound",), f"VPC {vpc_id}", ec2.describe_vpcs, VpcIds=[vpc_id]) is None:
            module.fail_json(msg=f"vpc_id {vpc_id} does not exist in this account and region")
        before, state, changes = converge_rounds(module, "endpoints", lambda: describe(ec2, vpc_id, region, not absent), plan,
                                                 Executor(module, ec2, vpc_id).apply, MAX_ROUNDS)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=e.args[0])
    result = dict(changed=bool(changes), changes=changes, endpoints=views(module, before, state, wanted, changes),
                  state={"vpc_endpoints": state["vpc_endpoints"]})
    if module._diff:
        result["diff"] = changes_diff(changes)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
