#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: vpc_gateway_endpoint
short_description: Manage the Gateway VPC endpoints (S3, DynamoDB) of a VPC in one run
version_added: 0.1.0
description:
  - Creates, updates and deletes the Gateway endpoints of one VPC, with their route tables,
    endpoint policies and tags, in a single run.
  - Gap filled - M(amazon.aws.ec2_vpc_endpoint) never detects or applies a changed policy (measured
    against the emulator) and manages one endpoint per run. This module compares policies after
    normalising them and applies a difference with ModifyVpcEndpoint, and adds or removes route
    tables in place instead of creating a second endpoint.
  - There is one endpoint per VPC, service and type C(Gateway). A missing one is created, an existing
    one is updated; with O(state=absent) the listed services' endpoints are deleted.
  - All inputs (services, policies, route tables and their VPC) are validated before any write.
options:
  vpc_id:
    description: The VPC of the endpoints.
    type: str
    required: true
  endpoints:
    description: The endpoints, one per service.
    type: list
    elements: dict
    required: true
    suboptions:
      service:
        description:
          - V(s3), V(dynamodb), or a full service name such as V(com.amazonaws.us-east-1.s3).
          - A short name becomes C(com.amazonaws.<region>.<service>) with the module's region.
        type: str
        required: true
      route_table_ids:
        description:
          - Route tables that get a route to the service through the endpoint.
          - Omit to leave an existing endpoint's route tables as they are.
        type: list
        elements: str
      policy:
        description:
          - Endpoint policy, as a dict or a JSON string.
          - Compared after normalisation (sorted keys; single strings and lists are equal for
            C(Action), C(Resource), C(Principal) and C(Condition) values; statement order is ignored)
            and applied with ModifyVpcEndpoint when different.
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
      - V(present) creates or updates the endpoints; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  purge_route_tables:
    description:
      - Remove route tables that are attached to an endpoint but not in its O(endpoints[].route_table_ids).
    type: bool
    default: true
  tags:
    description:
      - Tags for every endpoint; O(endpoints[].tags) and O(endpoints[].name) are merged over them.
      - Tags are managed only when O(tags), O(endpoints[].tags) or O(endpoints[].name) is given.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove tags not in the merged tags (tags starting with C(aws:) are kept).
    type: bool
    default: true
notes:
  - The emulator (moto) does not add or remove routes on ModifyVpcEndpoint, and then fails
    DeleteVpcEndpoints with C(InvalidRoute.NotFound); the module then detaches the route tables
    and deletes again.
  - The emulator keeps deleted endpoints with state C(deleted); they are ignored.
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - amazon.aws.tags
"""

EXAMPLES = r"""
- name: S3 and DynamoDB endpoints on the private route tables
  netsec.aws_peering.vpc_gateway_endpoint:
    vpc_id: "{{ vpc_id }}"
    tags:
      Owner: netsec
    endpoints:
      - service: s3
        name: app-s3
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
        name: app-dynamodb
        route_table_ids: "{{ private_route_table_ids }}"
        policy: "{{ lookup('file', 'dynamodb-endpoint-policy.json') }}"

- name: Remove them
  netsec.aws_peering.vpc_gateway_endpoint:
    vpc_id: "{{ vpc_id }}"
    state: absent
    endpoints:
      - service: s3
      - service: dynamodb
"""

RETURN = r"""
endpoints:
  description: One item per requested endpoint, in request order (the would-be state in check mode).
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
    route_table_ids:
      description: Route tables of the endpoint, sorted.
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
diff:
  description: Before and after route tables, policy and tags per service name (with C(--diff)).
  returned: when diff mode is on
  type: dict
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_specifications
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import EndpointError
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import normalize_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import parse_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import policies_equal
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import service_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import service_region
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import short_service

GONE_STATES = ("deleted", "deleting", "rejected", "failed", "expired")


@AWSRetry.jittered_backoff()
def _paginate(client, method, **kwargs):
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


class GatewayEndpoints:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())
        self.vpc_id = self.params["vpc_id"]

    def fail_aws(self, e, msg):
        self.module.fail_json_aws(e, msg=msg)

    def call(self, method, what, **kwargs):
        try:
            return getattr(self.client, method)(aws_retry=True, **kwargs)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail_aws(e, f"Failed to {what}")

    # ---- validation --------------------------------------------------
    def desired(self):
        """Validated endpoint specs, in request order."""
        region = self.module.region
        common_tags = self.params["tags"]
        out, seen = [], {}
        for index, spec in enumerate(self.params["endpoints"]):
            where = f"endpoints[{index}]"
            try:
                name = service_name(spec["service"], region, where=f"{where}.service")
                policy = parse_policy(spec.get("policy"), where=f"{where}.policy")
            except EndpointError as e:
                self.module.fail_json(msg=str(e))
            other = service_region(name)
            if other and region and other != region:
                self.module.fail_json(
                    msg=f"{where}.service {spec['service']!r} is in region {other}, the module runs in {region}"
                )
            if name in seen:
                self.module.fail_json(msg=f"{where}.service {spec['service']!r} duplicates endpoints[{seen[name]}] ({name})")
            seen[name] = index
            tags = None
            if common_tags is not None or spec.get("tags") is not None or spec.get("name") is not None:
                tags = dict(common_tags or {})
                tags.update(spec.get("tags") or {})
                if spec.get("name") is not None:
                    tags["Name"] = spec["name"]
                tags = {str(k): str(v) for k, v in tags.items()}
            rts = spec.get("route_table_ids")
            out.append(
                {
                    "service_name": name,
                    "route_table_ids": sorted(set(rts)) if rts is not None else None,
                    "policy": policy,
                    "tags": tags,
                }
            )
        return out

    def check_vpc(self):
        try:
            self.client.describe_vpcs(VpcIds=[self.vpc_id], aws_retry=True)
        except is_boto3_error_code("InvalidVpcID.NotFound"):
            self.module.fail_json(msg=f"vpc_id {self.vpc_id} does not exist")
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail_aws(e, f"Failed to describe vpc_id {self.vpc_id}")

    def check_route_tables(self, wanted):
        ids = sorted({rt for spec in wanted for rt in (spec["route_table_ids"] or [])})
        if not ids:
            return
        try:
            tables = _paginate(
                self.client, "describe_route_tables", Filters=[{"Name": "route-table-id", "Values": ids}]
            )["RouteTables"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail_aws(e, f"Failed to describe route tables {ids}")
        found = {t["RouteTableId"]: t["VpcId"] for t in tables}
        missing = [rt for rt in ids if rt not in found]
        if missing:
            self.module.fail_json(msg=f"route_table_ids {missing} do not exist")
        foreign = [rt for rt in ids if found[rt] != self.vpc_id]
        if foreign:
            self.module.fail_json(msg=f"route_table_ids {foreign} are not in vpc_id {self.vpc_id}")

    # ---- reads -------------------------------------------------------
    def existing(self, names):
        try:
            found = _paginate(
                self.client,
                "describe_vpc_endpoints",
                Filters=[
                    {"Name": "vpc-id", "Values": [self.vpc_id]},
                    {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
                    {"Name": "service-name", "Values": sorted(names)},
                ],
            )["VpcEndpoints"]
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail_aws(e, f"Failed to describe the endpoints of {self.vpc_id}")
        out = {}
        for ep in found:
            if ep.get("VpcId") != self.vpc_id or ep.get("VpcEndpointType", "Gateway") != "Gateway":
                continue
            if str(ep.get("State", "")).lower() in GONE_STATES or ep.get("ServiceName") not in names:
                continue
            out.setdefault(ep["ServiceName"], []).append(ep)
        for name, eps in out.items():
            if len(eps) > 1:
                ids = sorted(e["VpcEndpointId"] for e in eps)
                self.module.fail_json(
                    msg=f"{self.vpc_id} has several Gateway endpoints for {name}: {ids}; remove the extra ones first"
                )
        return {name: eps[0] for name, eps in out.items()}

    def describe_one(self, endpoint_id):
        return self.call(
            "describe_vpc_endpoints", f"describe {endpoint_id}", VpcEndpointIds=[endpoint_id]
        )["VpcEndpoints"][0]

    @staticmethod
    def view(ep, name=None, action="unchanged"):
        if not ep:
            return {
                "vpc_endpoint_id": None,
                "service_name": name,
                "service": short_service(name),
                "route_table_ids": [],
                "policy": None,
                "state": "absent",
                "tags": {},
                "action": action,
            }
        policy = ep.get("PolicyDocument")
        try:
            policy = json.loads(policy) if isinstance(policy, str) and policy else policy
        except ValueError:
            pass
        return {
            "vpc_endpoint_id": ep["VpcEndpointId"],
            "service_name": ep["ServiceName"],
            "service": short_service(ep["ServiceName"]),
            "route_table_ids": sorted(ep.get("RouteTableIds") or []),
            "policy": policy,
            "state": ep.get("State"),
            "tags": boto3_tag_list_to_ansible_dict(ep.get("Tags") or []),
            "action": action,
        }

    # ---- states ------------------------------------------------------
    def present_one(self, spec, ep):
        name = spec["service_name"]
        if ep is None:
            if self.check_mode:
                view = self.view(None, name, "created")
                view.update(
                    state="available",
                    route_table_ids=spec["route_table_ids"] or [],
                    policy=spec["policy"],
                    tags=spec["tags"] or {},
                )
                return view
            kwargs = {"VpcId": self.vpc_id, "ServiceName": name, "VpcEndpointType": "Gateway"}
            if spec["route_table_ids"]:
                kwargs["RouteTableIds"] = spec["route_table_ids"]
            if spec["policy"] is not None:
                kwargs["PolicyDocument"] = json.dumps(spec["policy"])
            if spec["tags"]:
                kwargs["TagSpecifications"] = boto3_tag_specifications(spec["tags"], ["vpc-endpoint"])
            created = self.call("create_vpc_endpoint", f"create the {name} endpoint in {self.vpc_id}", **kwargs)
            return self.view(self.describe_one(created["VpcEndpoint"]["VpcEndpointId"]), action="created")

        current = self.view(ep)
        endpoint_id = ep["VpcEndpointId"]
        modify = {}
        after_rts = set(current["route_table_ids"])
        if spec["route_table_ids"] is not None:
            add = sorted(set(spec["route_table_ids"]) - after_rts)
            remove = sorted(after_rts - set(spec["route_table_ids"])) if self.params["purge_route_tables"] else []
            if add:
                modify["AddRouteTableIds"] = add
            if remove:
                modify["RemoveRouteTableIds"] = remove
            after_rts = (after_rts | set(add)) - set(remove)
        after_policy = current["policy"]
        if spec["policy"] is not None and not policies_equal(spec["policy"], current["policy"]):
            modify["PolicyDocument"] = json.dumps(spec["policy"])
            after_policy = spec["policy"]
        tags_to_set, tags_to_unset = {}, []
        if spec["tags"] is not None:
            tags_to_set, tags_to_unset = compare_aws_tags(current["tags"], spec["tags"], self.params["purge_tags"])
        if not (modify or tags_to_set or tags_to_unset):
            return current
        if self.check_mode:
            tags = {k: v for k, v in current["tags"].items() if k not in tags_to_unset}
            tags.update(tags_to_set)
            current.update(route_table_ids=sorted(after_rts), policy=after_policy, tags=tags, action="updated")
            return current
        if modify:
            self.call("modify_vpc_endpoint", f"modify {endpoint_id} ({name})", VpcEndpointId=endpoint_id, **modify)
        if tags_to_unset:
            self.call("delete_tags", f"remove tags from {endpoint_id}", Resources=[endpoint_id],
                      Tags=[{"Key": k} for k in tags_to_unset])
        if tags_to_set:
            self.call("create_tags", f"tag {endpoint_id}", Resources=[endpoint_id],
                      Tags=ansible_dict_to_boto3_tag_list(tags_to_set))
        return self.view(self.describe_one(endpoint_id), action="updated")

    def delete(self, ep):
        endpoint_id = ep["VpcEndpointId"]
        try:
            reply = self.client.delete_vpc_endpoints(VpcEndpointIds=[endpoint_id], aws_retry=True)
        except is_boto3_error_code("InvalidRoute.NotFound"):
            # moto: routes are not touched by ModifyVpcEndpoint, so its delete trips over a
            # route table added later. Detach the route tables, then delete again.
            if ep.get("RouteTableIds"):
                self.call("modify_vpc_endpoint", f"detach the route tables of {endpoint_id}",
                          VpcEndpointId=endpoint_id, RemoveRouteTableIds=list(ep["RouteTableIds"]))
            reply = self.call("delete_vpc_endpoints", f"delete {endpoint_id}", VpcEndpointIds=[endpoint_id])
        except is_boto3_error_code("InvalidVpcEndpointId.NotFound"):  # pylint: disable=duplicate-except
            return
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail_aws(e, f"Failed to delete {endpoint_id}")
        failed = [u for u in reply.get("Unsuccessful", []) if u.get("ResourceId") == endpoint_id]
        if failed:
            error = failed[0].get("Error", {})
            self.module.fail_json(msg=f"Failed to delete {endpoint_id}: {error.get('Code')} {error.get('Message')}")

    def run(self):
        wanted = self.desired()
        self.check_vpc()
        state = self.params["state"]
        if state == "present":
            self.check_route_tables(wanted)
        existing = self.existing({spec["service_name"] for spec in wanted})

        results, before, after = [], {}, {}
        for spec in wanted:
            name = spec["service_name"]
            ep = existing.get(name)
            before[name] = diff_view(self.view(ep) if ep else None)
            if state == "present":
                result = self.present_one(spec, ep)
            elif ep is None:
                result = self.view(None, name, "absent")
            else:
                if not self.check_mode:
                    self.delete(ep)
                result = self.view(ep, action="deleted")
                result["state"] = "deleted"
            after[name] = diff_view(result if result["action"] not in ("deleted", "absent") else None)
            results.append(result)

        changed = any(r["action"] in ("created", "updated", "deleted") for r in results)
        out = {"changed": changed, "endpoints": results}
        if self.module._diff:
            out["diff"] = {"before": before, "after": after}
        self.module.exit_json(**out)


def diff_view(view):
    if not view:
        return {}
    policy = view.get("policy")
    return {
        "vpc_endpoint_id": view.get("vpc_endpoint_id"),
        "route_table_ids": view.get("route_table_ids", []),
        "policy": normalize_policy(policy) if policy is not None else None,
        "tags": view.get("tags", {}),
    }


def main():
    endpoint_spec = dict(
        service=dict(type="str", required=True),
        route_table_ids=dict(type="list", elements="str"),
        policy=dict(type="raw"),
        tags=dict(type="dict"),
        name=dict(type="str"),
    )
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        endpoints=dict(type="list", elements="dict", required=True, options=endpoint_spec),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        purge_route_tables=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    GatewayEndpoints(module).run()


if __name__ == "__main__":
    main()
