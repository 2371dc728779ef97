#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: session_credentials
short_description: Assume a site's role and prove which account the session reaches
version_added: 0.1.0
description:
  - Optionally assumes O(role_arn) (with O(external_id)) from the base credentials, then calls
    C(sts:GetCallerIdentity) with the resulting session and fails when its account is not
    O(expected_account_id). A wrong credential can then never change a resource in the wrong account.
  - Returns the connection settings (region, endpoint, session credentials) as one dictionary to pass
    as C(module_defaults) to every AWS task of the site.
  - Fills a gap, C(amazon.aws.sts_assume_role) has no check mode and does not verify the account the
    credentials reach, and doing both with stock modules costs two module runs per site.
  - A role created moments ago may not be assumable yet (IAM is eventually consistent); with
    O(assumable_timeout) the module retries C(AssumeRole) while AWS answers C(AccessDenied), up to
    that many seconds, then fails naming the role.
  - Changes nothing in AWS; runs in check mode as in a normal run.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  role_arn:
    description:
      - The role to assume. Without it the base credentials are checked and returned as they are.
    type: str
  role_session_name:
    description:
      - Session name, shown in CloudTrail as the actor of every call.
    type: str
    default: netsec-aws-peering
  external_id:
    description:
      - The ExternalId the role's trust policy requires.
    type: str
  duration_seconds:
    description:
      - Lifetime of the session (900 to the role's maximum session duration).
    type: int
    default: 3600
  expected_account_id:
    description:
      - The 12-digit account the session must reach. Empty skips the check.
    type: str
  assumable_timeout:
    description:
      - Seconds to keep retrying C(AssumeRole) while it is refused with C(AccessDenied) (a new role).
        0 fails at the first refusal.
    type: int
    default: 0
notes:
  - Supports check mode (nothing is changed in either mode). Put C(no_log) on the task, the result holds
    session credentials.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Assume the automation role of the site's account and check the account
  netsec.aws_peering.session_credentials:
    role_arn: "arn:aws:iam::{{ aws_account_id }}:role/netsec-automation"
    expected_account_id: "{{ aws_account_id }}"
    region: "{{ aws_region }}"
  no_log: true
  register: site_session

- name: Use the session for every AWS task of the play
  amazon.aws.ec2_vpc_net_info:
  module_defaults:
    group/netsec.aws_peering.aws: "{{ site_session.connection }}"
"""

RETURN = r"""
connection:
  description: Connection settings for C(module_defaults); credentials only when a role was assumed.
  returned: always
  type: dict
  contains:
    region:
      description: The region of the session.
      type: str
      sample: eu-west-1
    endpoint_url:
      description: The endpoint, when one was given (an emulator).
      type: str
      returned: when set
    access_key:
      description: Access key of the assumed session.
      type: str
      returned: when O(role_arn) is set
    secret_key:
      description: Secret key of the assumed session.
      type: str
      returned: when O(role_arn) is set
    session_token:
      description: Session token of the assumed session.
      type: str
      returned: when O(role_arn) is set
identity:
  description: Who the session is.
  returned: always
  type: dict
  contains:
    account:
      description: The account the session reaches.
      type: str
      sample: "ACCOUNT_ID"
    arn:
      description: The caller's ARN.
      type: str
      sample: arn:aws:sts::ACCOUNT_ID:assumed-role/netsec-automation/netsec-aws-peering
    partition:
      description: The partition of the account.
      type: str
      sample: aws
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ACCOUNT_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ROLE_ARN_RE


def assume(module, sts):
    params = dict(RoleArn=module.params["role_arn"], RoleSessionName=module.params["role_session_name"],
                  DurationSeconds=module.params["duration_seconds"])
    if module.params["external_id"]:
        params["ExternalId"] = module.params["external_id"]
    retry = RETRY
    if module.params["assumable_timeout"] > 0:
        # A new role: each AssumeRole is the state check; back off between checks up to the timeout.
        retry = AWSRetry.jittered_backoff(retries=max(1, module.params["assumable_timeout"] // 4), delay=2, max_delay=8,
                                          catch_extra_error_codes=["AccessDenied"])
    try:
        return retry(sts.assume_role)(**params)["Credentials"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Cannot assume role_arn={module.params['role_arn']}")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            role_arn=dict(type="str"),
            role_session_name=dict(type="str", default="netsec-aws-peering"),
            external_id=dict(type="str", no_log=True),
            duration_seconds=dict(type="int", default=3600),
            expected_account_id=dict(type="str"),
            assumable_timeout=dict(type="int", default=0),
        ),
        supports_check_mode=True,
    )
    role_arn = module.params["role_arn"]
    expected = module.params["expected_account_id"]
    if role_arn and not ROLE_ARN_RE.match(role_arn):
        module.fail_json(msg=f"role_arn={role_arn!r} is not an IAM role ARN")
    if expected and not ACCOUNT_ID_RE.match(expected):
        module.fail_json(msg=f"expected_account_id={expected!r} is not a 12-digit account ID")

    region, endpoint_url, _params = get_aws_connection_info(module)
    connection = {"region": region}
    if endpoint_url:
        connection["endpoint_url"] = endpoint_url
    session = {}
    if role_arn:
        creds = assume(module, module.client("sts"))
        connection.update(access_key=creds["AccessKeyId"], secret_key=creds["SecretAccessKey"],
                          session_token=creds["SessionToken"])
        session = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"])
    try:
        caller = RETRY(module.client("sts", **session).get_caller_identity)()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Cannot tell which account the session reaches (sts:GetCallerIdentity)")
    identity = {"account": caller["Account"], "arn": caller["Arn"], "partition": caller["Arn"].split(":")[1]}
    if expected and identity["account"] != expected:
        module.fail_json(
            msg=(f"The session reaches account {identity['account']} ({identity['arn']}), not the site's "
                 f"aws_account_id {expected}: refusing to go on, nothing was changed."),
            identity=identity)
    module.exit_json(changed=False, connection=connection, identity=identity)


if __name__ == "__main__":
    main()
