#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: secure_bucket
short_description: Converge one hardened S3 bucket (encryption, public access block, ownership, versioning, policy, tags, lifecycle)
version_added: 0.1.0
description:
  - Creates or converges one S3 general purpose bucket in one run, with check mode, or deletes it.
  - Present means, default encryption with a customer managed KMS key (and an S3 Bucket Key) or C(AES256),
    all four Block Public Access settings on, object ownership C(BucketOwnerEnforced) (ACLs disabled),
    versioning C(Enabled), the bucket policy O(policy), the tags O(tags) and the lifecycle rule O(lifecycle_rule).
  - Fills a gap, C(amazon.aws.s3_bucket) and C(community.aws.s3_lifecycle) have no check mode (so C(--check)
    never verified the buckets), take two module runs, and C(s3_bucket) reads many configurations this
    collection does not use.
  - The bucket is read with the same function as C(netsec.aws_peering.site_info), and the changes are decided by
    the pure function C(plan_bucket) of C(plugins/module_utils/secure_bucket.py), which the
    C(netsec.aws_peering.bucket_plan) filter also exposes, so the controller's plan and the module agree.
  - Only buckets that carry the tag C(ManagedBy=netsec.aws_peering) are changed or deleted (see O(require_owner_tag));
    the module sets that tag on every bucket it manages, at creation and afterwards.
  - Safe to re-run after a run was killed at any point, every step is idempotent (C(CreateBucket) answering
    C(BucketAlreadyOwnedByYou) is success) and the next run makes the remaining changes.
author:
  - netsec aws_peering maintainers (@netsec)
options:
  name:
    description:
      - Name of the bucket (3 to 63 characters, lowercase letters, digits, dots and hyphens, beginning and ending
        with a letter or digit, not an IP address, no AWS reserved prefix or suffix).
    type: str
    required: true
  state:
    description:
      - V(present) creates or converges the bucket, V(absent) deletes it.
      - An absent bucket is success with V(absent). A bucket that still holds objects, object versions or
        delete markers is refused unless O(force=true).
    type: str
    choices: [present, absent]
    default: present
  encryption:
    description:
      - Default encryption of the bucket, V(aws:kms) with the key O(kms_key_arn), or V(AES256) (S3 managed keys).
    type: str
    choices: ["aws:kms", AES256]
    default: "aws:kms"
  kms_key_arn:
    description:
      - ARN of the KMS key of the default encryption (C(arn:<partition>:kms:<region>:<account>:key/<key id>)), a key
        of the module's region (S3 uses only keys of the bucket's region).
      - Required with O(encryption=aws:kms), not allowed with O(encryption=AES256).
    type: str
  bucket_key_enabled:
    description:
      - Whether an S3 Bucket Key reduces the KMS requests of O(encryption=aws:kms). Ignored with V(AES256).
    type: bool
    default: true
  policy:
    description:
      - The bucket policy document, as a dictionary.
      - Compared semantically with the policy in place, the order of keys and of list items is irrelevant and
        a one-element list equals its scalar.
      - When omitted the bucket policy is left as it is.
    type: dict
  lifecycle_rule:
    description:
      - One lifecycle rule for the whole bucket, enabled. Other rules of the bucket are kept unless
        O(purge_lifecycle_rules=true). When omitted the lifecycle configuration is left as it is.
    type: dict
    suboptions:
      id:
        description: ID of the rule.
        type: str
        required: true
      expiration_days:
        description: Days after which current object versions expire (at least 1).
        type: int
      noncurrent_version_expiration_days:
        description: Days after which noncurrent object versions are deleted (at least 1).
        type: int
      abort_incomplete_multipart_upload_days:
        description: Days after which incomplete multipart uploads are aborted (at least 1).
        type: int
  purge_lifecycle_rules:
    description:
      - Whether lifecycle rules other than O(lifecycle_rule) are removed.
    type: bool
    default: false
  require_owner_tag:
    description:
      - Refuse to change or delete an existing bucket that does not carry the tag C(ManagedBy=netsec.aws_peering).
      - V(false) takes such a bucket over (the run then adds the tag).
    type: bool
    default: true
  force:
    description:
      - With O(state=absent), delete every object version and delete marker of the bucket, then the bucket.
    type: bool
    default: false
notes:
  - Supports check mode and diff mode. Check mode reads only and returns the changes and the would-be state.
  - The tag C(ManagedBy=netsec.aws_peering) is always set; when O(tags) is omitted only that tag is added and
    no other tag is changed. Tag keys starting with C(aws:) are refused in O(tags) and never removed.
  - The bucket is created in the module's region, with the tags (which on AWS needs C(s3:TagResource) besides
    C(s3:CreateBucket)); the tags are also written with C(PutBucketTagging) right after.
  - Whether a bucket to delete holds objects is read with C(ListObjectVersions); it is not part of the
    description the planner compares, so the filter's plan shows the deletion of the bucket only.
  - Every AWS call is retried with C(AWSRetry.jittered_backoff).
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The AWS Config delivery bucket, encrypted with its key, retention of one year
  netsec.aws_peering.secure_bucket:
    name: config-core-ACCOUNT_ID-prod
    kms_key_arn: arn:aws:kms:eu-west-1:ACCOUNT_ID:key/1234abcd-12ab-34cd-56ef-1234567890ab
    policy: "{{ lookup('ansible.builtin.template', 'config-bucket-policy.json.j2') }}"
    tags:
      Network: core
      Name: config-core-ACCOUNT_ID-prod
    lifecycle_rule:
      id: config-retention
      expiration_days: 365
      noncurrent_version_expiration_days: 30
      abort_incomplete_multipart_upload_days: 7
  register: config_bucket

- name: Plan on the controller what the task above would change (same function, no module run)
  ansible.builtin.debug:
    msg: "{{ site.state.buckets[bucket_name] | netsec.aws_peering.bucket_plan(bucket_options) }}"

- name: Delete a flow log bucket with everything in it
  netsec.aws_peering.secure_bucket:
    name: flowlogs-core-ACCOUNT_ID-prod
    state: absent
    force: true
"""

RETURN = r"""
changes:
  description:
    - The changes made (in check mode, that would be made), in order. C(field) is C(bucket) or the key of
      O(ignore:bucket) that changes; C(before) and C(after) are its values. With O(force=true) a change of field
      C(objects) (before, the number of object versions and delete markers) precedes the deletion.
  returned: always
  type: list
  elements: dict
  sample:
    - resource: s3_bucket config-core-ACCOUNT_ID-prod
      action: update
      field: Versioning
      before: {Status: Suspended}
      after: {Status: Enabled}
bucket:
  description:
    - The bucket after the run (in check mode, as it would be), in the shape C(netsec.aws_peering.site_info)
      returns it, V(null) when it does not exist.
  returned: always
  type: dict
  contains:
    Name:
      description: Name of the bucket.
      type: str
    Encryption:
      description: C(ServerSideEncryptionConfiguration) of C(GetBucketEncryption).
      type: dict
    PublicAccessBlock:
      description: C(PublicAccessBlockConfiguration) of C(GetPublicAccessBlock).
      type: dict
    OwnershipControls:
      description: C(OwnershipControls) of C(GetBucketOwnershipControls).
      type: dict
    Versioning:
      description: C(Status) of C(GetBucketVersioning) (empty if never enabled).
      type: dict
    Policy:
      description: The bucket policy document.
      type: dict
    Tags:
      description: C(TagSet) of C(GetBucketTagging).
      type: list
      elements: dict
    Lifecycle:
      description: C(Rules) of C(GetBucketLifecycleConfiguration).
      type: list
      elements: dict
diff:
  description: O(ignore:bucket) before and after, with diff mode.
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

from ansible_collections.netsec.aws_peering.plugins.module_utils.changes import copied_change
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import DiscoveryError
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import RETRY
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import describe_bucket
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import retry_also_on
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import bucket_desired
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import plan_bucket
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import project_bucket

# Right after CreateBucket, S3 may still answer NoSuchBucket or OperationAborted for a moment.
RETRY_NEW = retry_also_on("NoSuchBucket", "OperationAborted")


class Executor:
    """Makes the changes of a plan, one AWS call (with retries) each; fails naming the change."""

    def __init__(self, module, s3, name):
        self.module, self.s3, self.name = module, s3, name
        self.done = []

    def call(self, what, operation, retry=RETRY, **params):
        try:
            return retry(getattr(self.s3, operation))(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.module.fail_json_aws(e, msg=f"bucket {self.name}: cannot {what}", changes=self.done)

    def run(self, changes):
        for item in changes:
            getattr(self, "do_" + item["field"])(item)
            self.done.append(item)

    def do_bucket(self, item):
        if item["action"] == "delete":
            try:
                RETRY(self.s3.delete_bucket)(Bucket=self.name)
            except is_boto3_error_code("NoSuchBucket"):
                pass
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
                self.module.fail_json_aws(e, msg=f"bucket {self.name}: cannot delete the bucket", changes=self.done)
            return
        after = item["after"]
        configuration = {"Tags": after["Tags"]}
        if after["Region"] and after["Region"] != "us-east-1":
            configuration["LocationConstraint"] = after["Region"]
        try:
            RETRY(self.s3.create_bucket)(Bucket=self.name, CreateBucketConfiguration=configuration,
                                         ObjectOwnership=after["ObjectOwnership"])
        except is_boto3_error_code("BucketAlreadyOwnedByYou"):
            pass  # a killed run created it: carry on
        except is_boto3_error_code("BucketAlreadyExists"):  # pylint: disable=duplicate-except
            self.module.fail_json(msg=f"name: bucket {self.name} already exists in another AWS account; choose another name",
                                  changes=self.done)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.module.fail_json_aws(e, msg=f"bucket {self.name}: cannot create the bucket", changes=self.done)

    def page_of_versions(self, **markers):
        """One page (at most 1000) of object versions and delete markers as {Key, VersionId}, and the next markers."""
        page = self.call("list the object versions", "list_object_versions", Bucket=self.name, **markers)
        entries = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in (page.get("Versions") or []) + (page.get("DeleteMarkers") or [])]
        following = {"KeyMarker": page.get("NextKeyMarker"), "VersionIdMarker": page.get("NextVersionIdMarker")} if page.get("IsTruncated") else None
        return entries, following

    def count_versions(self):
        count, markers = 0, {}
        while markers is not None:
            entries, markers = self.page_of_versions(**markers)
            count += len(entries)
        return count

    def do_objects(self, item):
        """Delete the first page of versions until there is none (a re-run after a kill carries on)."""
        del item
        while True:
            entries, _following = self.page_of_versions()
            if not entries:
                return
            answer = self.call("delete object versions", "delete_objects", Bucket=self.name, Delete={"Objects": entries, "Quiet": True})
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                self.module.fail_json(msg=f"bucket {self.name}: cannot delete {len(errors)} object version(s), e.g. "
                                          f"{first.get('Key')} ({first.get('VersionId')}): {first.get('Code')} {first.get('Message')}",
                                      changes=self.done)

    def do_Tags(self, item):  # pylint: disable=invalid-name
        if item["after"]:
            self.call("set the tags", "put_bucket_tagging", RETRY_NEW, Bucket=self.name, Tagging={"TagSet": item["after"]})
        else:
            self.call("delete the tags", "delete_bucket_tagging", RETRY_NEW, Bucket=self.name)

    def do_OwnershipControls(self, item):  # pylint: disable=invalid-name
        self.call("set the object ownership", "put_bucket_ownership_controls", RETRY_NEW, Bucket=self.name, OwnershipControls=item["after"])

    def do_PublicAccessBlock(self, item):  # pylint: disable=invalid-name
        self.call("block public access", "put_public_access_block", RETRY_NEW, Bucket=self.name,
                  PublicAccessBlockConfiguration=item["after"])

    def do_Encryption(self, item):  # pylint: disable=invalid-name
        self.call("set the default encryption", "put_bucket_encryption", RETRY_NEW, Bucket=self.name,
                  ServerSideEncryptionConfiguration=item["after"])

    def do_Versioning(self, item):  # pylint: disable=invalid-name
        self.call("enable versioning", "put_bucket_versioning", RETRY_NEW, Bucket=self.name,
                  VersioningConfiguration={"Status": item["after"]["Status"]})

    def do_Policy(self, item):  # pylint: disable=invalid-name
        self.call("set the bucket policy", "put_bucket_policy", RETRY_NEW, Bucket=self.name, Policy=json.dumps(item["after"]))

    def do_Lifecycle(self, item):  # pylint: disable=invalid-name
        self.call("set the lifecycle rules", "put_bucket_lifecycle_configuration", RETRY_NEW, Bucket=self.name,
                  LifecycleConfiguration={"Rules": item["after"]})


ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    encryption=dict(type="str", choices=["aws:kms", "AES256"], default="aws:kms"),
    kms_key_arn=dict(type="str", no_log=False),
    bucket_key_enabled=dict(type="bool", default=True),
    policy=dict(type="dict"),
    tags=dict(type="dict", aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
    lifecycle_rule=dict(type="dict", options=dict(
        id=dict(type="str", required=True),
        expiration_days=dict(type="int"),
        noncurrent_version_expiration_days=dict(type="int"),
        abort_incomplete_multipart_upload_days=dict(type="int"),
    )),
    purge_lifecycle_rules=dict(type="bool", default=False),
    require_owner_tag=dict(type="bool", default=True),
    force=dict(type="bool", default=False),
)


def main():
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = dict(module.params, region=module.region)
    if params["lifecycle_rule"] is not None:
        params["lifecycle_rule"] = {k: v for k, v in params["lifecycle_rule"].items() if v is not None}
    try:
        desired = bucket_desired(params)
    except PlanError as e:
        module.fail_json(msg=str(e))
    name = desired["name"]
    if desired["state"] == "present" and not desired["region"]:
        module.fail_json(msg="region: the module needs a region to create the bucket in")

    s3 = module.client("s3")
    try:
        current = describe_bucket(s3, name)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"bucket {name}: cannot describe {e.what} (a bucket of another account?)")
    try:
        changes = plan_bucket(current, params)
    except PlanError as e:
        module.fail_json(msg=str(e), changes=[])

    executor = Executor(module, s3, name)
    if changes and changes[-1]["field"] == "bucket" and changes[-1]["action"] == "delete":
        count = executor.count_versions()
        if count and not desired["force"]:
            module.fail_json(msg=f"bucket {name}: still holds {count} object version(s) or delete marker(s); "
                                 "refusing to delete it (set force: true to delete them and the bucket)", changes=[])
        if count:
            changes.insert(0, copied_change(changes[-1]["resource"], "delete", "objects", count, 0))

    if changes and not module.check_mode:
        executor.run(changes)
        after = describe_after(module, s3, name, changes)
    else:
        after = project_bucket(current, changes)
    result = dict(changed=bool(changes), changes=changes, bucket=after)
    if module._diff:
        result["diff"] = dict(before=current or {}, after=after or {})
    module.exit_json(**result)


def describe_after(module, s3, name, changes):
    """The bucket as AWS now describes it (the same reader as before the changes)."""
    if changes[-1]["field"] == "bucket" and changes[-1]["action"] == "delete":
        return None
    try:
        return describe_bucket(s3, name)
    except DiscoveryError as e:
        module.fail_json_aws(e.exception, msg=f"bucket {name}: changed, but cannot describe {e.what} again", changes=changes)


if __name__ == "__main__":
    main()
