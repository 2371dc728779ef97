# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Every IAM, KMS key, bucket, topic and endpoint policy of the collection, as pure functions.

Each function returns one policy document (a dict ready for ``to_json``) from the
values that vary between sites: region (the partition follows from it), account
ID, names, VPC and route table IDs. Nothing here calls AWS. Statement IDs are
stable: the roles' drift checks and the tests compare documents by them.

Scoping facts come from AWS's Service Authorization Reference (SAR; e.g. "Actions,
resources, and condition keys for Amazon EC2") and are checked against its data by
``tests/policy_lint.py`` for every document built here.

Wildcard actions: none, except the KMS key administrator statement (``kms:*`` for the
key's own account root, AWS's default key policy), the TLS-only Deny statements, and the
endpoint policies' data perimeters (the endpoints role passes ``s3:*``, ``dynamodb:*``, ``*``,
each narrowed to the VPC's principals and the peered accounts' resources);
``tests/policy_lint.py`` holds that allow-list.
Where AWS documents a service's key policy with wildcards (``kms:GenerateDataKey*``,
``kms:ReEncrypt*``...), the functions list the actions those wildcards match in
the SAR instead, so a KMS action AWS adds later is not granted silently.
"""

from __future__ import annotations

import re

from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ACCOUNT_ID_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import PARTITION
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ec2_id
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import ec2_id_re
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import partition_of_region
from ansible_collections.netsec.aws_peering.plugins.module_utils.identifiers import trusted_principal_problem

POLICY_VERSION = "2012-10-17"

_VPC_ARN = re.compile(r"^arn:" + PARTITION + r":ec2:[a-z0-9-]+:[0-9]{12}:vpc/" + ec2_id("vpc") + r"$")

# What the wildcards of AWS's documented key policies match in the SAR (kms page).
KMS_DATA_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
                        "kms:GenerateDataKeyWithoutPlaintext")
KMS_REENCRYPT_ACTIONS = ("kms:ReEncryptFrom", "kms:ReEncryptTo")


# ---------------------------------------------------------------------------
# Partition, validation and ARN builders (the one copy the roles should use)
# ---------------------------------------------------------------------------

def partition_of(region):
    """The ARN partition of a region (identifiers.partition_of_region); the region must be given."""
    return partition_of_region(_text("region", region))


def arn(region, service, account_id, resource, regional=True):
    """arn:<partition>:<service>:<region>:<account>:<resource>.

    regional=False leaves the region field empty (IAM and S3 ARNs); account_id None
    leaves the account field empty (S3 buckets), anything else must be 12 digits.
    """
    account = "" if account_id is None else _account(account_id)
    return f"arn:{partition_of(region)}:{service}:{region if regional else ''}:{account}:{resource}"


def ec2_arn(region, account_id, resource_type, resource_id="*"):
    """ARN of an EC2 resource: arn:<partition>:ec2:<region>:<account>:<type>/<id>."""
    return arn(region, "ec2", _account(account_id), f"{_text('resource_type', resource_type)}/{_text('resource_id', resource_id)}")


def iam_arn(region, account_id, resource):
    """ARN of an IAM entity (role/<name>, user/<name>, root); IAM ARNs carry no region."""
    return arn(region, "iam", _account(account_id), _text("resource", resource), regional=False)


def account_root_arn(region, account_id):
    """The account principal arn:<partition>:iam::<account>:root (the account, delegating to IAM)."""
    return iam_arn(region, account_id, "root")


def s3_arn(region, bucket_name, key=None):
    """arn:<partition>:s3:::<bucket> or, with a key (pattern), the ARN of its objects."""
    bucket = _text("bucket_name", bucket_name)
    return arn(region, "s3", None, bucket if key is None else f"{bucket}/{key}", regional=False)


def log_group_arn(region, account_id, log_group_name):
    """arn:<partition>:logs:<region>:<account>:log-group:<name>."""
    return arn(region, "logs", _account(account_id), f"log-group:{_text('log_group_name', log_group_name)}")


def sns_topic_arn(region, account_id, topic_name):
    """arn:<partition>:sns:<region>:<account>:<topic>."""
    return arn(region, "sns", _account(account_id), _text("topic_name", topic_name))


def _text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _account(account_id):
    account = str(account_id if account_id is not None else "")
    if not ACCOUNT_ID_RE.match(account):
        raise ValueError(f"account_id {account_id!r} is not a 12-digit AWS account ID")
    return account


def _ec2_id(name, value, prefix):
    value = _text(name, value)
    if not ec2_id_re(prefix).match(value):
        raise ValueError(f"{name} {value!r} is not a {prefix}- ID")
    return value


def _list(name, values):
    """A non-empty list of strings from a string or a sequence."""
    values = [values] if isinstance(values, str) else list(values or [])
    if not values:
        raise ValueError(f"{name} must not be empty")
    return [_text(name, v) for v in values]


# ---------------------------------------------------------------------------
# Document building blocks
# ---------------------------------------------------------------------------

def _document(statements, policy_id=None):
    doc = {"Version": POLICY_VERSION}
    if policy_id:
        doc["Id"] = policy_id
    doc["Statement"] = list(statements)
    return doc


def _statement(sid, action, resource=None, principal=None, condition=None):
    """An Allow statement (_deny_insecure_transport turns its own into a Deny)."""
    statement = {"Sid": sid, "Effect": "Allow"}
    if principal is not None:
        statement["Principal"] = principal
    statement["Action"] = list(action) if isinstance(action, (list, tuple)) else action
    if resource is not None:
        statement["Resource"] = list(resource) if isinstance(resource, (list, tuple)) else resource
    if condition:
        statement["Condition"] = condition
    return statement


def _from_account(account_id, source_arn=None, extra_string_equals=None):
    """Confused-deputy guard for a service principal: the call must be made for this account
    (aws:SourceAccount) and, where the calling resource is known, for its ARN (aws:SourceArn, an
    ARN-typed global key, hence ArnLike)."""
    condition = {"StringEquals": dict(extra_string_equals or {}, **{"aws:SourceAccount": _account(account_id)})}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return condition


def _key_administrators(region, account_id):
    """AWS's default key policy statement: the account root gets kms:* so that IAM policies of
    the account can grant use of the key; without it nobody could manage the key again (one of
    the allow-listed wildcards, see the module docstring)."""
    return _statement("AccountAdministersTheKey", "kms:*", "*", {"AWS": account_root_arn(region, account_id)})


def _deny_insecure_transport(sid, action, resource):
    """Refuse any request made without TLS (aws:SecureTransport false), whoever makes it."""
    statement = _statement(sid, action, resource, "*", {"Bool": {"aws:SecureTransport": "false"}})
    statement["Effect"] = "Deny"
    return statement


def _key_policy_id(key_alias):
    return _text("key_alias", key_alias).replace("alias/", "", 1)


# ---------------------------------------------------------------------------
# peering_accepter: the cross-account acceptance role
# ---------------------------------------------------------------------------

def trusted_principal(principal):
    """Check one principal the acceptance role may trust and return it.

    Only an explicit IAM role or user ARN: ``*``, a bare account ID and an
    ``arn:...:root`` ARN would each trust every principal of an account (or of
    every account), so they raise ValueError.
    """
    value = str(principal or "").strip()
    problem = trusted_principal_problem(value)
    if problem:
        raise ValueError(f"trusted principal {principal!r} {problem} (arn:aws:iam::<account>:role/<name>)")
    return value


def acceptance_trust_policy(peerings):
    """Trust policy of the acceptance role: who may assume it, per peering.

    peerings: list of dicts, one per peering this site accepts:
      name         the peering's name (the statement Sid is "Requester" + its letters and digits);
      principals   ARNs of the requester side's automation role(s) or user(s) (list or string);
      external_id  the ExternalId the requester must present (sts:ExternalId).

    Each statement allows sts:AssumeRole to those principals only, with
    StringEquals sts:ExternalId (sts:ExternalId is a String key of sts:AssumeRole in the SAR).
    Raises ValueError for an empty list, a principal that is not a role/user ARN, or a missing ExternalId.
    """
    peerings = list(peerings or [])
    if not peerings:
        raise ValueError("acceptance_trust_policy: no peering to trust a requester for")
    statements = []
    for peering in peerings:
        name = _text("peering name", (peering or {}).get("name"))
        principals = [trusted_principal(p) for p in _list(f"peering {name}: principals", peering.get("principals"))]
        external_id = peering.get("external_id")
        if not isinstance(external_id, str) or len(external_id) < 2:
            raise ValueError(f"peering {name}: an sts:ExternalId of at least 2 characters is required, got {external_id!r}")
        statements.append(_statement(
            "Requester" + re.sub("[^A-Za-z0-9]", "", name), "sts:AssumeRole",
            principal={"AWS": principals}, condition={"StringEquals": {"sts:ExternalId": external_id}}))
    return _document(statements)


def acceptance_permissions_policy(region, account_id, vpc_id, requester_vpc_arns, route_table_ids):
    """Permissions of the acceptance role: accept, tag and set options for peerings from the
    expected requester VPCs into this VPC, and add routes in this VPC's private route tables.

    region, account_id  the accepter site (this account); vpc_id: the accepter VPC (vpc-...);
    requester_vpc_arns  ARNs of the requester VPCs the role may accept from;
    route_table_ids     the accepter's private route tables (rtb-...) that get peer routes.

    What the modules call through the role: vpc_peering (state accepted) calls
    DescribeVpcPeeringConnections, DescribeTags, AcceptVpcPeeringConnection and CreateTags;
    vpc_peering_options calls DescribeVpcPeeringConnections and ModifyVpcPeeringConnectionOptions;
    vpc_route calls DescribeRouteTables and CreateRoute (it never replaces a route someone
    else owns, so ReplaceRoute and DeleteRoute are not granted).

    Scoping (SAR, EC2 page):
    - AcceptVpcPeeringConnection authorizes two resources, both required: the
      vpc-peering-connection and the accepter vpc. The peering resource statement
      (AcceptOnlyExpectedPeerings) is narrowed with ec2:AccepterVpc and ec2:RequesterVpc,
      condition keys of the vpc-peering-connection resource type. Both are ARN-typed, so
      ArnEquals (a String operator on an ARN key is the wrong type). The vpc resource
      statement (AcceptIntoThisVpcOnly) names this VPC's ARN.
    - ModifyVpcPeeringConnectionOptions (vpc-peering-connection, required) and CreateTags
      on a vpc-peering-connection evaluate the same ec2:AccepterVpc/ec2:RequesterVpc keys on
      the peering's ARN, so SetThisSidesOptionsAndTags carries the same ArnEquals condition.
      No ec2:CreateAction condition: that key is only in the request context when tags are
      applied by a resource-creating call; the accepter tags an existing peering with a
      standalone CreateTags, which such a condition would deny.
    - The peering ARNs name this (the accepter's) account and Region: the accepter acts on its
      side of the connection, and AWS requires an inter-Region peering to be accepted in the
      accepter VPC's Region (AcceptVpcPeeringConnection API reference).
    - CreateRoute authorizes the route-table (required): only this VPC's private route tables.
    - DescribeVpcPeeringConnections, DescribeRouteTables and DescribeTags support no
      resource-level permissions (no resource type in the SAR): Resource "*" is the only
      value that works (DescribeTags reads the peering's tags before accepting).
    """
    vpc_arn = ec2_arn(region, account_id, "vpc", _ec2_id("vpc_id", vpc_id, "vpc"))
    requesters = _list("requester_vpc_arns", requester_vpc_arns)
    for requester in requesters:
        if not _VPC_ARN.match(requester):
            raise ValueError(f"requester_vpc_arns: {requester!r} is not a VPC ARN (arn:aws:ec2:<region>:<account>:vpc/vpc-...)")
    tables = [ec2_arn(region, account_id, "route-table", _ec2_id("route_table_ids", t, "rtb")) for t in _list("route_table_ids", route_table_ids)]
    peerings_here = ec2_arn(region, account_id, "vpc-peering-connection", "*")
    expected_sides = {"ArnEquals": {"ec2:AccepterVpc": vpc_arn, "ec2:RequesterVpc": requesters}}
    return _document([
        _statement("AcceptOnlyExpectedPeerings", "ec2:AcceptVpcPeeringConnection", peerings_here, condition=expected_sides),
        _statement("AcceptIntoThisVpcOnly", "ec2:AcceptVpcPeeringConnection", vpc_arn),
        _statement("SetThisSidesOptionsAndTags", ["ec2:ModifyVpcPeeringConnectionOptions", "ec2:CreateTags"], peerings_here,
                   condition=expected_sides),
        _statement("RoutesInThisVpcsPrivateRouteTablesOnly", "ec2:CreateRoute", tables),
        _statement("DescribeHasNoResourceLevelPermissions",
                   ["ec2:DescribeVpcPeeringConnections", "ec2:DescribeRouteTables", "ec2:DescribeTags"], "*"),
    ])


# ---------------------------------------------------------------------------
# flowlogs: S3 bucket and its key
# ---------------------------------------------------------------------------

def flowlogs_bucket_policy(region, account_id, bucket_name):
    """Bucket policy of the flow log bucket: TLS only, and VPC Flow Logs' log delivery service
    (delivery.logs.amazonaws.com) may write for this account only.

    AWSLogDeliveryWrite: s3:PutObject (object resource type) under AWSLogs/<account>/ only,
    with the bucket-owner-full-control ACL the service sends (s3:x-amz-acl). AWSLogDeliveryCheck:
    s3:GetBucketAcl and s3:ListBucket on the bucket (bucket resource type). Both are limited by
    aws:SourceAccount and by aws:SourceArn to this account's log deliveries (logs ARNs).
    """
    bucket = s3_arn(region, bucket_name)
    deliveries = arn(region, "logs", account_id, "*")
    return _document([
        _deny_insecure_transport("DenyInsecureTransport", "s3:*", [bucket, f"{bucket}/*"]),
        _statement("AWSLogDeliveryWrite", "s3:PutObject", s3_arn(region, bucket_name, f"AWSLogs/{_account(account_id)}/*"),
                   {"Service": "delivery.logs.amazonaws.com"},
                   _from_account(account_id, deliveries, {"s3:x-amz-acl": "bucket-owner-full-control"})),
        _statement("AWSLogDeliveryCheck", ["s3:GetBucketAcl", "s3:ListBucket"], bucket,
                   {"Service": "delivery.logs.amazonaws.com"}, _from_account(account_id, deliveries)),
    ])


def flowlogs_key_policy(region, account_id, key_alias):
    """Key policy of the key that encrypts the flow log objects.

    key_alias: alias/flowlogs-<network>-<suffix> (the policy Id is the alias name).
    The log delivery service may use the key for this account's deliveries only
    (aws:SourceAccount, aws:SourceArn). AWS documents this statement with kms:ReEncrypt* and
    kms:GenerateDataKey*: listed here as the actions they match. Resource "*" in a key
    policy means this key.
    """
    actions = ["kms:Encrypt", "kms:Decrypt", *KMS_REENCRYPT_ACTIONS, *KMS_DATA_KEY_ACTIONS, "kms:DescribeKey"]
    return _document([
        _key_administrators(region, account_id),
        _statement("LogDeliveryEncryptsForThisAccountOnly", actions, "*", {"Service": "delivery.logs.amazonaws.com"},
                   _from_account(account_id, arn(region, "logs", account_id, "*"))),
    ], _key_policy_id(key_alias))


# ---------------------------------------------------------------------------
# config: delivery bucket, its key, the recorder role
# ---------------------------------------------------------------------------

def _config_objects(region, account_id, bucket_name):
    # AWS Config delivers under AWSLogs/<account>/Config/ when the channel has no key prefix.
    return s3_arn(region, bucket_name, f"AWSLogs/{_account(account_id)}/Config/*")


def config_bucket_policy(region, account_id, bucket_name):
    """Bucket policy of the AWS Config delivery bucket: TLS only; config.amazonaws.com may check
    the bucket (GetBucketAcl, ListBucket: bucket resource type) and write snapshots under
    AWSLogs/<account>/Config/ (PutObject: object resource type, with the
    bucket-owner-full-control ACL), each for this account only (aws:SourceAccount)."""
    bucket = s3_arn(region, bucket_name)
    service = {"Service": "config.amazonaws.com"}
    return _document([
        _deny_insecure_transport("DenyInsecureTransport", "s3:*", [bucket, f"{bucket}/*"]),
        _statement("AWSConfigBucketPermissionsCheck", "s3:GetBucketAcl", bucket, service, _from_account(account_id)),
        _statement("AWSConfigBucketExistenceCheck", "s3:ListBucket", bucket, service, _from_account(account_id)),
        _statement("AWSConfigBucketDelivery", "s3:PutObject", _config_objects(region, account_id, bucket_name), service,
                   _from_account(account_id, extra_string_equals={"s3:x-amz-acl": "bucket-owner-full-control"})),
    ])


def config_key_policy(region, account_id, key_alias):
    """Key policy of the key that encrypts AWS Config's deliveries: the account administers it
    (IAM policies such as the Config role's may then grant use); config.amazonaws.com may
    Decrypt and GenerateDataKey for this account only (aws:SourceAccount)."""
    return _document([
        _key_administrators(region, account_id),
        _statement("AWSConfigEncryptsForThisAccountOnly", ["kms:Decrypt", "kms:GenerateDataKey"], "*",
                   {"Service": "config.amazonaws.com"}, _from_account(account_id)),
    ], _key_policy_id(key_alias))


def config_trust_policy(region, account_id):
    """Trust policy of the role AWS Config assumes: config.amazonaws.com, for this account only.

    aws:SourceAccount is the documented confused-deputy guard for this role; no aws:SourceArn,
    because the recorder's ARN carries an ID AWS assigns after the role must already exist.
    region only selects the partition (there is no ARN in the document).
    """
    partition_of(region)
    return _document([
        _statement("AWSConfigOfThisAccountOnly", "sts:AssumeRole", principal={"Service": "config.amazonaws.com"},
                   condition=_from_account(account_id)),
    ])


def config_delivery_policy(region, account_id, bucket_name, key_arn=None):
    """Inline policy of the AWS Config role: write to the delivery bucket and use its key.

    DeliverToTheBucket: s3:PutObject on AWSLogs/<account>/Config/ objects only (the bucket
    policy's prefix), with the bucket-owner-full-control ACL (s3:x-amz-acl, a PutObject key).
    CheckTheBucketAcl: s3:GetBucketAcl on the bucket. EncryptWithTheBucketKey (when key_arn is
    given): kms:Decrypt and kms:GenerateDataKey on that key only (key resource type).
    """
    statements = [
        _statement("DeliverToTheBucket", "s3:PutObject", _config_objects(region, account_id, bucket_name),
                   condition={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}),
        _statement("CheckTheBucketAcl", "s3:GetBucketAcl", s3_arn(region, bucket_name)),
    ]
    if key_arn:
        statements.append(_statement("EncryptWithTheBucketKey", ["kms:Decrypt", "kms:GenerateDataKey"], _text("key_arn", key_arn)))
    return _document(statements)


# ---------------------------------------------------------------------------
# monitoring: alert topic and its key, flow log group key, flow log delivery role
# ---------------------------------------------------------------------------

def alerts_key_policy(region, account_id):
    """Key policy of the key that encrypts the alert topic: CloudWatch alarms and EventBridge
    rules of this account (aws:SourceAccount) may kms:Decrypt and generate data keys, what
    publishing to an encrypted SNS topic needs (AWS documents kms:GenerateDataKey*: listed)."""
    return _document([
        _key_administrators(region, account_id),
        _statement("AlarmsAndRulesOfThisAccountPublishToTheTopic", ["kms:Decrypt", *KMS_DATA_KEY_ACTIONS], "*",
                   {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}, _from_account(account_id)),
    ])


def flow_log_group_key_policy(region, account_id, log_group_name):
    """Key policy of the key that encrypts the flow log group.

    CloudWatch Logs (logs.<region>.amazonaws.com) may use the key only for this log group:
    kms:EncryptionContext:aws:logs:arn must equal the group's ARN (ArnEquals: the values
    are ARNs). AWS documents kms:Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe*:
    listed here as the actions they match that this condition can ever allow. Left out:
    kms:DescribeKey, which carries no encryption context, so the condition never held for it
    (it was granted in name only), and kms:DescribeCustomKeyStores, which has no resource type
    (a key policy cannot grant it).
    """
    actions = ["kms:Encrypt", "kms:Decrypt", *KMS_REENCRYPT_ACTIONS, *KMS_DATA_KEY_ACTIONS]
    return _document([
        _key_administrators(region, account_id),
        _statement("CloudWatchLogsUsesItForTheFlowLogGroupOnly", actions, "*", {"Service": f"logs.{region}.amazonaws.com"},
                   {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn(region, account_id, log_group_name)}}),
    ])


def alerts_topic_policy(region, account_id, topic_name):
    """Topic policy of the alert topic.

    The account (root: IAM policies of the account decide) manages the topic; CloudWatch alarms
    and EventBridge rules may publish only for this account (aws:SourceAccount) and only from
    its alarms / rules (aws:SourceArn, ArnLike); publishing without TLS is denied.
    """
    topic = sns_topic_arn(region, account_id, topic_name)
    manage = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
              "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic"]
    return _document([
        _statement("AccountOwnerManagesTheTopic", manage, topic, {"AWS": account_root_arn(region, account_id)}),
        _statement("CloudWatchAlarmsOfThisAccountPublish", "SNS:Publish", topic, {"Service": "cloudwatch.amazonaws.com"},
                   _from_account(account_id, arn(region, "cloudwatch", account_id, "alarm:*"))),
        _statement("EventBridgeRulesOfThisAccountPublish", "SNS:Publish", topic, {"Service": "events.amazonaws.com"},
                   _from_account(account_id, arn(region, "events", account_id, "rule/*"))),
        _deny_insecure_transport("DenyPublishWithoutTLS", "SNS:Publish", topic),
    ], _text("topic_name", topic_name))


def flow_log_delivery_trust_policy(region, account_id):
    """Trust policy of the role VPC Flow Logs assumes to write to CloudWatch Logs:
    vpc-flow-logs.amazonaws.com, for this account (aws:SourceAccount) and its flow logs only
    (aws:SourceArn arn:...:ec2:<region>:<account>:vpc-flow-log/*)."""
    return _document([
        _statement("VpcFlowLogsOfThisAccountOnly", "sts:AssumeRole", principal={"Service": "vpc-flow-logs.amazonaws.com"},
                   condition=_from_account(account_id, ec2_arn(region, account_id, "vpc-flow-log", "*"))),
    ])


def flow_log_delivery_policy(region, account_id, log_group_name):
    """Inline policy of the flow log delivery role: write to the flow log group only.

    DeliverToTheFlowLogGroupOnly: logs:CreateLogStream and logs:PutLogEvents authorize the
    log-stream resource type (log-group:<name>:log-stream:<stream>), covered by <group ARN>:*.
    DescribeTheFlowLogGroupsStreams: logs:DescribeLogStreams authorizes the log-group, named
    both bare and in the <group ARN>:* form CloudWatch Logs itself reports for a group.
    Two statements because each resource must be one of its actions' resource types.
    """
    group = log_group_arn(region, account_id, log_group_name)
    return _document([
        _statement("DeliverToTheFlowLogGroupOnly", ["logs:CreateLogStream", "logs:PutLogEvents"], f"{group}:*"),
        _statement("DescribeTheFlowLogGroupsStreams", "logs:DescribeLogStreams", [group, f"{group}:*"]),
    ])


# ---------------------------------------------------------------------------
# endpoints: gateway and interface endpoint policies
# ---------------------------------------------------------------------------

def endpoint_policy(account_id, peer_account_ids, actions, aws_owned_resources=None, aws_owned_actions=None):
    """Policy of a VPC endpoint (gateway or interface): a data perimeter, not a grant.

    account_id        the VPC's own account: the only principals admitted (aws:PrincipalAccount);
    peer_account_ids  accounts of the peered sites: with account_id, the only resource owners
                      reachable (aws:ResourceAccount);
    actions           what the principals may call through the endpoint (e.g. ["s3:*"]);
    aws_owned_resources / aws_owned_actions  AWS-owned resources (package repositories) reachable
                      without the resource-account condition, with those actions only.

    Principal "*" is narrowed by aws:PrincipalAccount in every statement; the identity policies
    of the principals still decide what each one may do.
    """
    own = _account(account_id)
    resource_accounts = sorted({own, *(_account(a) for a in (peer_account_ids or []))})
    statements = [_statement("OwnPrincipalsPeeredAccountResources", _list("actions", actions), "*", "*",
                             {"StringEquals": {"aws:PrincipalAccount": [own], "aws:ResourceAccount": resource_accounts}})]
    if aws_owned_resources:
        statements.append(_statement("OwnPrincipalsAwsOwnedResources", _list("aws_owned_actions", aws_owned_actions),
                                     _list("aws_owned_resources", aws_owned_resources), "*",
                                     {"StringEquals": {"aws:PrincipalAccount": [own]}}))
    return _document(statements)


# Every policy function by name: the `policy` filter and the tests use this table.
POLICIES = {
    "acceptance_trust": acceptance_trust_policy,
    "acceptance_permissions": acceptance_permissions_policy,
    "flowlogs_bucket": flowlogs_bucket_policy,
    "flowlogs_key": flowlogs_key_policy,
    "config_bucket": config_bucket_policy,
    "config_key": config_key_policy,
    "config_trust": config_trust_policy,
    "config_delivery": config_delivery_policy,
    "alerts_key": alerts_key_policy,
    "flow_log_group_key": flow_log_group_key_policy,
    "alerts_topic": alerts_topic_policy,
    "flow_log_delivery_trust": flow_log_delivery_trust_policy,
    "flow_log_delivery": flow_log_delivery_policy,
    "endpoint": endpoint_policy,
}

# The kind of each policy, as tests/policy_lint.py checks it.
KINDS = {
    "acceptance_trust": "trust", "acceptance_permissions": "identity", "flowlogs_bucket": "bucket",
    "flowlogs_key": "key", "config_bucket": "bucket", "config_key": "key", "config_trust": "trust",
    "config_delivery": "identity", "alerts_key": "key", "flow_log_group_key": "key", "alerts_topic": "topic",
    "flow_log_delivery_trust": "trust", "flow_log_delivery": "identity", "endpoint": "endpoint",
}
