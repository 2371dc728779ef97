#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_dashboard_info
short_description: List CloudWatch dashboards with their bodies
version_added: 0.1.0
description:
  - Lists Amazon CloudWatch dashboards (C(ListDashboards)) and fetches each body
    (C(GetDashboard)).
  - Fills a gap, neither C(amazon.aws) nor C(community.aws) has a module that reads
    CloudWatch dashboards.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  names:
    description:
      - Only return the dashboards with these names. Names that do not exist are left out.
      - When not set, all dashboards (matching O(name_prefix)) are returned.
    type: list
    elements: str
    aliases: ['dashboard_names']
  name_prefix:
    description:
      - Only return the dashboards whose names start with this prefix.
    type: str
notes:
  - C(dashboard_url) opens the console in the region the module runs in (O(region)); it is
    V(null) for partitions without a public console.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: All peering dashboards
  netsec.aws_peering.cloudwatch_dashboard_info:
    name_prefix: peering-
  register: dashboards

- name: One dashboard by name
  netsec.aws_peering.cloudwatch_dashboard_info:
    names:
      - peering-prod
  register: prod

- name: Check it has widgets
  ansible.builtin.assert:
    that:
      - prod.dashboards | length == 1
      - prod.dashboards[0].body.widgets | length > 0
"""

RETURN = r"""
dashboards:
  description: The dashboards found, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the dashboard.
      type: str
      sample: peering-prod
    arn:
      description: ARN of the dashboard.
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/peering-prod
    body:
      description: The dashboard body parsed into a dict.
      type: dict
      sample: {"widgets": [{"type": "text", "properties": {"markdown": "# hi"}}]}
    last_modified:
      description: When the dashboard was last changed (ISO 8601).
      type: str
      sample: "2025-01-31T10:00:00+00:00"
    size:
      description: Size of the dashboard body in bytes.
      type: int
      sample: 1024
    dashboard_url:
      description: Console URL of the dashboard for the region the module runs in.
      type: str
      sample: https://us-east-2.console.aws.amazon.com/cloudwatch/home?region=us-east-2#dashboards:name=peering-prod
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import dashboard_console_url
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import normalize_json

NOT_FOUND_CODES = ("ResourceNotFound", "DashboardNotFoundError", "ResourceNotFoundException")


@AWSRetry.jittered_backoff()
def _list_dashboards(client, **kwargs):
    paginator = client.get_paginator("list_dashboards")
    return paginator.paginate(**kwargs).build_full_result()["DashboardEntries"]


def main():
    argument_spec = dict(
        names=dict(type="list", elements="str", aliases=["dashboard_names"]),
        name_prefix=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    names = module.params["names"]
    prefix = module.params["name_prefix"]

    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff())
    region = client.meta.region_name

    kwargs = {"DashboardNamePrefix": prefix} if prefix else {}
    try:
        entries = _list_dashboards(client, **kwargs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to list dashboards")

    if names is not None:
        wanted = set(names)
        entries = [e for e in entries if e.get("DashboardName") in wanted]

    dashboards = []
    for entry in sorted(entries, key=lambda e: e.get("DashboardName", "")):
        name = entry["DashboardName"]
        try:
            reply = client.get_dashboard(aws_retry=True, DashboardName=name)
        except is_boto3_error_code(NOT_FOUND_CODES):
            continue  # deleted between list and get
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            module.fail_json_aws(e, msg=f"Failed to get dashboard {name}")
        try:
            body = normalize_json(json.loads(reply.get("DashboardBody") or "{}"))
        except ValueError:
            module.warn(f"Dashboard {name} has a body that is not valid JSON")
            body = {}
        last_modified = entry.get("LastModified")
        dashboards.append(
            dict(
                name=name,
                arn=reply.get("DashboardArn") or entry.get("DashboardArn"),
                body=body,
                last_modified=last_modified.isoformat() if hasattr(last_modified, "isoformat") else last_modified,
                size=entry.get("Size"),
                dashboard_url=dashboard_console_url(region, name),
            )
        )

    module.exit_json(changed=False, dashboards=dashboards)


if __name__ == "__main__":
    main()
