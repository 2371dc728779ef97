#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: managed_prefix_list_info
short_description: Look up AWS-managed prefix lists (S3, DynamoDB) and their CIDRs
version_added: 0.1.0
description:
  - Returns AWS-managed prefix lists with their IDs and CIDRs, selected by name, by short service
    name or by ID.
  - Gap filled - no module in amazon.aws or community.aws exposes AWS-managed prefix lists, whose IDs
    differ per account and region. Their IDs feed security-group rules (egress 443 to S3/DynamoDB)
    and their CIDRs feed network ACL entries, which cannot reference a prefix list.
  - Read only; runs in check mode.
options:
  names:
    description:
      - Prefix list names, for example V(com.amazonaws.us-east-1.s3).
    type: list
    elements: str
  services:
    description:
      - Short service names, for example V(s3) or V(dynamodb); each becomes
        C(com.amazonaws.<region>.<service>) with the module's region.
    type: list
    elements: str
  prefix_list_ids:
    description:
      - Prefix list IDs.
    type: list
    elements: str
  fail_on_missing:
    description:
      - Fail when a requested name, service or ID is not found (the result would otherwise silently
        lack rules). With V(false) the missing ones are listed in RV(missing).
    type: bool
    default: true
notes:
  - With none of O(names), O(services) or O(prefix_list_ids), every AWS-managed prefix list of the
    region is returned.
  - The emulator (moto) returns no C(MaxEntries), so RV(prefix_lists[].max_entries) is V(null) there.
author:
  - netsec aws_peering maintainers (@netsec)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: S3 and DynamoDB prefix lists of this account and region
  netsec.aws_peering.managed_prefix_list_info:
    services: [s3, dynamodb]
  register: endpoint_prefix_lists

- name: Use them
  ansible.builtin.set_fact:
    endpoint_prefix_list_ids: "{{ endpoint_prefix_lists.prefix_lists | map(attribute='prefix_list_id') | list }}"
    endpoint_cidrs: "{{ endpoint_prefix_lists.prefix_lists | map(attribute='cidrs') | flatten }}"
    s3_prefix_list_id: "{{ endpoint_prefix_lists.by_service.s3.prefix_list_id }}"

- name: By name and ID
  netsec.aws_peering.managed_prefix_list_info:
    names: [com.amazonaws.eu-west-1.s3]
    prefix_list_ids: [pl-6da54004]
    region: eu-west-1
"""

RETURN = r"""
prefix_lists:
  description: The prefix lists found, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    prefix_list_id:
      description: Prefix list ID (differs per account and region).
      type: str
      sample: pl-63a5400a
    prefix_list_name:
      description: Prefix list name.
      type: str
      sample: com.amazonaws.us-east-1.s3
    service:
      description: Short service name.
      type: str
      sample: s3
    max_entries:
      description: Maximum number of entries (V(null) when AWS does not say).
      type: int
      sample: 5
    address_family:
      description: V(IPv4) or V(IPv6).
      type: str
      sample: IPv4
    cidrs:
      description: The CIDRs of the prefix list (GetManagedPrefixListEntries), sorted.
      type: list
      elements: str
      sample: [3.5.0.0/19, 52.216.0.0/15, 54.231.0.0/16]
by_service:
  description:
    - Short service name -> prefix list ID, name and CIDRs.
    - When two lists share a short name (names from two regions), both are keyed by their full name.
  returned: always
  type: dict
  sample:
    s3: {prefix_list_id: pl-63a5400a, prefix_list_name: com.amazonaws.us-east-1.s3, cidrs: [52.216.0.0/15]}
missing:
  description: Requested names, services or IDs that were not found (only with O(fail_on_missing=false)).
  returned: always
  type: list
  elements: str
"""

import ipaddress

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import EndpointError
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import service_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.endpoints import short_service


@AWSRetry.jittered_backoff()
def _paginate(client, method, **kwargs):
    return client.get_paginator(method).paginate(**kwargs).build_full_result()


def _cidr_key(cidr):
    try:
        net = ipaddress.ip_network(cidr, strict=False)
        return (net.version, int(net.network_address), net.prefixlen, cidr)
    except ValueError:
        return (9, 0, 0, cidr)


def describe_lists(module, client, **kwargs):
    try:
        return _paginate(client, "describe_managed_prefix_lists", **kwargs).get("PrefixLists", [])
    except is_boto3_error_code("InvalidPrefixListID.NotFound"):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe managed prefix lists ({kwargs})")


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str"),
        services=dict(type="list", elements="str"),
        prefix_list_ids=dict(type="list", elements="str"),
        fail_on_missing=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    client = module.client("ec2", retry_decorator=AWSRetry.jittered_backoff())

    wanted_names = {}  # full name -> how it was asked for
    for name in params["names"] or []:
        wanted_names[name] = name
    for service in params["services"] or []:
        try:
            full = service_name(service, module.region, where="services")
        except EndpointError as e:
            module.fail_json(msg=str(e))
        wanted_names[full] = f"service {service}"
    wanted_ids = list(dict.fromkeys(params["prefix_list_ids"] or []))
    for pl_id in wanted_ids:
        if not pl_id.startswith("pl-"):
            module.fail_json(msg=f"prefix_list_ids: {pl_id!r} is not a prefix list ID (pl-...)")

    found = {}
    missing = []
    if wanted_names:
        lists = describe_lists(
            module, client, Filters=[{"Name": "prefix-list-name", "Values": sorted(wanted_names)}]
        ) or []
        names_found = set()
        for pl in lists:
            if pl.get("PrefixListName") in wanted_names:
                found[pl["PrefixListId"]] = pl
                names_found.add(pl["PrefixListName"])
        missing += [f"{wanted_names[n]} ({n})" if wanted_names[n] != n else n
                    for n in sorted(wanted_names) if n not in names_found]
    if wanted_ids:
        lists = describe_lists(module, client, PrefixListIds=wanted_ids)
        if lists is None:  # AWS refuses the whole call for one unknown ID: ask one by one
            lists = []
            for pl_id in wanted_ids:
                lists += describe_lists(module, client, PrefixListIds=[pl_id]) or []
        for pl in lists:
            found[pl["PrefixListId"]] = pl
        missing += [pl_id for pl_id in wanted_ids if pl_id not in found]
    if not wanted_names and not wanted_ids:
        for pl in describe_lists(module, client) or []:
            if pl.get("OwnerId") == "AWS":
                found[pl["PrefixListId"]] = pl

    if missing and params["fail_on_missing"]:
        module.fail_json(
            msg=f"AWS-managed prefix lists not found in region {module.region}: {', '.join(missing)}",
            missing=missing,
        )

    prefix_lists = []
    for pl in sorted(found.values(), key=lambda p: (p.get("PrefixListName", ""), p["PrefixListId"])):
        try:
            entries = _paginate(
                client, "get_managed_prefix_list_entries", PrefixListId=pl["PrefixListId"]
            ).get("Entries", [])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Failed to get the entries of prefix list {pl['PrefixListId']}")
        prefix_lists.append(
            {
                "prefix_list_id": pl["PrefixListId"],
                "prefix_list_name": pl.get("PrefixListName"),
                "service": short_service(pl.get("PrefixListName")),
                "max_entries": pl.get("MaxEntries"),
                "address_family": pl.get("AddressFamily"),
                "cidrs": sorted({e["Cidr"] for e in entries if e.get("Cidr")}, key=_cidr_key),
            }
        )
    services = [pl["service"] for pl in prefix_lists]
    by_service = {}
    for pl in prefix_lists:
        # two lists of one service (names from two regions): key them by full name
        key = pl["service"] if services.count(pl["service"]) == 1 else pl["prefix_list_name"]
        by_service[key] = {
            "prefix_list_id": pl["prefix_list_id"],
            "prefix_list_name": pl["prefix_list_name"],
            "cidrs": pl["cidrs"],
        }
    module.exit_json(changed=False, prefix_lists=prefix_lists, by_service=by_service, missing=missing)


if __name__ == "__main__":
    main()
