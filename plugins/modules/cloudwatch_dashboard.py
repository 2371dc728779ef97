#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cloudwatch_dashboard
short_description: Create, update or delete a CloudWatch dashboard
version_added: 0.1.0
description:
  - Creates, updates or deletes one Amazon CloudWatch dashboard.
  - Fills a gap, neither C(amazon.aws) nor C(community.aws) has a module that manages
    CloudWatch dashboards (C(PutDashboard), C(GetDashboard), C(DeleteDashboards)).
  - The desired O(body) is compared with the body returned by C(GetDashboard) after both are
    normalised (JSON parsed, key order ignored, keys with null values dropped, V(1) and V(1.0)
    treated as equal, list order kept), so running the module again changes nothing.
  - The body is validated before anything is written. It must be a dict with a non-empty
    C(widgets) list, and each widget needs a known C(type) and a C(properties) dict.
  - Validation messages that C(PutDashboard) returns are shown as warnings. A dashboard that
    AWS rejects makes the module fail with the messages.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  name:
    description:
      - Name of the dashboard.
      - 1 to 255 characters from V(A-Z), V(a-z), V(0-9), V(-) and V(_).
    type: str
    required: true
    aliases: ['dashboard_name']
  state:
    description:
      - V(present) creates or updates the dashboard, V(absent) deletes it.
    type: str
    choices: ['present', 'absent']
    default: present
  body:
    description:
      - The dashboard body, as structured data (a dict) or as a JSON string.
      - Required when O(state=present).
      - See U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
      - Widget types accepted are V(metric), V(text), V(log), V(alarm), V(explorer) and V(custom).
    type: raw
notes:
  - Dashboards are global to the account, but the returned console URL opens the console in the
    region the module runs in (O(region)). For the C(aws-cn) and C(aws-us-gov) partitions the
    matching console domains are used. For isolated partitions the URL is V(null).
  - Supports check mode and diff mode. The diff shows the normalised bodies.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Dashboard for the peering links
  netsec.aws_peering.cloudwatch_dashboard:
    name: peering-prod
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Peering traffic in
            region: "{{ aws_region }}"
            stat: Sum
            period: 300
            metrics:
              - ["AWS/EC2", "NetworkIn"]
        - type: text
          x: 12
          y: 0
          width: 12
          height: 6
          properties:
            markdown: "# Peering pcx-0123456789abcdef0"
  register: dash

- name: Show where to look
  ansible.builtin.debug:
    msg: "{{ dash.dashboard_url }}"

- name: A body kept as a JSON file also works
  netsec.aws_peering.cloudwatch_dashboard:
    name: peering-prod
    body: "{{ lookup('ansible.builtin.file', 'dashboards/peering.json') }}"

- name: Remove the dashboard
  netsec.aws_peering.cloudwatch_dashboard:
    name: peering-prod
    state: absent
"""

RETURN = r"""
dashboard:
  description: The dashboard after the run. Empty when O(state=absent).
  returned: always
  type: dict
  contains:
    name:
      description: Name of the dashboard.
      type: str
      sample: peering-prod
    arn:
      description: ARN of the dashboard. V(null) in check mode when the dashboard would be created.
      type: str
      sample: arn:aws:cloudwatch::ACCOUNT_ID:dashboard/peering-prod
    body:
      description: The normalised dashboard body, as a dict.
      type: dict
      sample: {"widgets": [{"type": "text", "properties": {"markdown": "# hi"}}]}
dashboard_arn:
  description: ARN of the dashboard. V(null) in check mode when the dashboard would be created.
  returned: when O(state=present)
  type: str
  sample: arn:aws:cloudwatch::ACCOUNT_ID:dashboard/peering-prod
dashboard_url:
  description:
    - Console URL of the dashboard, for the region the module runs in.
    - V(null) for partitions without a public console.
  returned: when O(state=present)
  type: str
  sample: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=peering-prod
validation_messages:
  description: Validation messages returned by C(PutDashboard) (also shown as warnings).
  returned: when the dashboard was written
  type: list
  elements: dict
  sample: [{"data_path": "/widgets/0/properties", "message": "Should NOT have additional properties"}]
"""

import json

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import canonical_json
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import dashboard_console_url
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import normalize_json
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import parse_dashboard_body
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import validate_dashboard_body
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import validate_dashboard_name
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY

NOT_FOUND_CODES = ("ResourceNotFound", "DashboardNotFoundError", "ResourceNotFoundException")


def get_dashboard(module, client, name):
    """Return GetDashboard's reply, or None when the dashboard does not exist."""
    try:
        return client.get_dashboard(aws_retry=True, DashboardName=name)
    except is_boto3_error_code(NOT_FOUND_CODES):
        return None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to get dashboard {name}")


def current_body(module, reply):
    raw = reply.get("DashboardBody") or "{}"
    try:
        return normalize_json(json.loads(raw))
    except ValueError:
        module.warn(f"Dashboard {reply.get('DashboardName')} has a body that is not valid JSON; it will be replaced")
        return {"_unparsable_body": raw}


def validation_messages_from_error(error):
    """DashboardInvalidInputError carries the messages next to the error code."""
    response = getattr(error, "response", {}) or {}
    messages = response.get("dashboardValidationMessages")
    if messages is None:
        messages = (response.get("Error") or {}).get("dashboardValidationMessages")
    return messages or []


def put_dashboard(module, client, name, body):
    try:
        reply = client.put_dashboard(aws_retry=True, DashboardName=name, DashboardBody=canonical_json(body))
    except is_boto3_error_code("InvalidParameterInput") as e:
        messages = validation_messages_from_error(e)
        details = "; ".join(f"{m.get('DataPath', '')}: {m.get('Message', '')}" for m in messages)
        module.fail_json_aws(
            e,
            msg=f"CloudWatch rejected the body of dashboard {name}" + (f": {details}" if details else ""),
            validation_messages=[camel_dict_to_snake_dict(m) for m in messages],
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to put dashboard {name}")
    messages = reply.get("DashboardValidationMessages") or []
    for message in messages:
        module.warn(
            f"Dashboard {name} validation: {message.get('DataPath', '')}: {message.get('Message', '')}"
        )
    return [camel_dict_to_snake_dict(m) for m in messages]


def main():
    argument_spec = dict(
        name=dict(type="str", required=True, aliases=["dashboard_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        body=dict(type="raw"),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["body"])],
        supports_check_mode=True,
    )

    name = module.params["name"]
    state = module.params["state"]

    error = validate_dashboard_name(name)
    if error:
        module.fail_json(msg=f"name: {error}", name=name)

    desired = None
    if state == "present":
        parsed, error = parse_dashboard_body(module.params["body"])
        if error:
            module.fail_json(msg=f"Invalid body for dashboard {name}: {error}")
        errors = validate_dashboard_body(parsed)
        if errors:
            module.fail_json(msg=f"Invalid body for dashboard {name}: " + "; ".join(errors), errors=errors)
        desired = normalize_json(parsed)

    client = module.client("cloudwatch", retry_decorator=RETRY)
    region = client.meta.region_name

    existing = get_dashboard(module, client, name)
    before = current_body(module, existing) if existing else None
    result = dict(changed=False)

    if state == "absent":
        if existing:
            result["changed"] = True
            if not module.check_mode:
                try:
                    client.delete_dashboards(aws_retry=True, DashboardNames=[name])
                except is_boto3_error_code(NOT_FOUND_CODES):
                    pass
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                    module.fail_json_aws(e, msg=f"Failed to delete dashboard {name}")
        result["dashboard"] = {}
        if module._diff:
            result["diff"] = dict(before=before or {}, after={})
        module.exit_json(**result)

    arn = existing.get("DashboardArn") if existing else None
    if before != desired:
        result["changed"] = True
        if not module.check_mode:
            result["validation_messages"] = put_dashboard(module, client, name, desired)
            written = get_dashboard(module, client, name)
            if written:
                arn = written.get("DashboardArn")
                desired = current_body(module, written)

    if module._diff:
        result["diff"] = dict(before=before or {}, after=desired)
    result["dashboard"] = dict(name=name, arn=arn, body=desired)
    result["dashboard_arn"] = arn
    result["dashboard_url"] = dashboard_console_url(region, name)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
