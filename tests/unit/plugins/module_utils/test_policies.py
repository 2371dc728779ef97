# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Tables of cases for plugins/module_utils/policies.py and the `policy` filter.

Every document is rendered with the sandbox inventory (111111111111 / 222222222222,
us-east-1, suffix sandbox) and the example inventory (two regions) through
tests/policy_lint.py's `collection_policies`, the same rendering the checker's test uses.
"""

import importlib.util
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import peering as peering_filters
from ansible_collections.netsec.aws_peering.plugins.filter import policies as policy_filter
from ansible_collections.netsec.aws_peering.plugins.module_utils import policies

REPO = Path(__file__).resolve().parents[4]
INVENTORIES = ("inventories/sandbox", "inventories/example")


def _checker():
    """tests/policy_lint.py, shared with test_policy_lint.py through sys.modules."""
    if "policy_lint" not in sys.modules:
        spec = importlib.util.spec_from_file_location("policy_lint", REPO / "tests" / "policy_lint.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["policy_lint"] = module
        spec.loader.exec_module(module)
    return sys.modules["policy_lint"]


RENDERED = [doc for inventory in INVENTORIES for doc in _checker().collection_policies(inventory)]
SANDBOX = {name: doc for label, _kind, name, doc in RENDERED if label.startswith("inventories/sandbox:trading:")}
SANDBOX_ACCEPTER = {name: doc for label, _kind, name, doc in RENDERED if label.startswith("inventories/sandbox:analytics:")}


def statements(document):
    return {s["Sid"]: s for s in document["Statement"]}


def actions(statement):
    value = statement["Action"]
    return [value] if isinstance(value, str) else value


# ---------------------------------------------------------------------------
# Partition and ARN builders
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("region, partition", [
    ("us-east-1", "aws"), ("eu-west-3", "aws"), ("cn-north-1", "aws-cn"), ("cn-northwest-1", "aws-cn"),
    ("us-gov-west-1", "aws-us-gov"), ("us-gov-east-1", "aws-us-gov"),
])
def test_partition_of(region, partition):
    assert policies.partition_of(region) == partition


@pytest.mark.parametrize("region", ["", None, 5, "   "])
def test_partition_of_refuses_no_region(region):
    with pytest.raises(ValueError, match="region"):
        policies.partition_of(region)


@pytest.mark.parametrize("built, expected", [
    (lambda: policies.ec2_arn("us-east-2", "222222222222", "vpc", "vpc-0a1a1a1a"), "arn:aws:ec2:us-east-2:222222222222:vpc/vpc-0a1a1a1a"),
    (lambda: policies.ec2_arn("cn-north-1", "222222222222", "vpc-peering-connection"), "arn:aws-cn:ec2:cn-north-1:222222222222:vpc-peering-connection/*"),
    (lambda: policies.iam_arn("us-gov-west-1", "111111111111", "role/x"), "arn:aws-us-gov:iam::111111111111:role/x"),
    (lambda: policies.account_root_arn("us-east-1", "111111111111"), "arn:aws:iam::111111111111:root"),
    (lambda: policies.s3_arn("us-east-1", "b"), "arn:aws:s3:::b"),
    (lambda: policies.s3_arn("us-east-1", "b", "AWSLogs/*"), "arn:aws:s3:::b/AWSLogs/*"),
    (lambda: policies.log_group_arn("eu-west-1", "111111111111", "/g"), "arn:aws:logs:eu-west-1:111111111111:log-group:/g"),
    (lambda: policies.sns_topic_arn("eu-west-1", "111111111111", "t"), "arn:aws:sns:eu-west-1:111111111111:t"),
    (lambda: policies.arn("us-east-1", "logs", "111111111111", "*"), "arn:aws:logs:us-east-1:111111111111:*"),
])
def test_arn_builders(built, expected):
    assert built() == expected


@pytest.mark.parametrize("account_id", ["1111", "11111111111a", None, "", 111, "1111111111111"])
def test_arn_refuses_bad_account(account_id):
    with pytest.raises(ValueError, match="12-digit"):
        policies.ec2_arn("us-east-1", account_id, "vpc", "vpc-1")


def test_twelve_digit_int_account_is_accepted():
    assert policies.account_root_arn("us-east-1", 111111111111) == "arn:aws:iam::111111111111:root"


# ---------------------------------------------------------------------------
# The acceptance role
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("principal, needle", [
    ("*", "wildcard"),
    ("arn:aws:iam::*:role/netsec-automation", "wildcard"),
    ("111111111111", "whole account"),
    ("arn:aws:iam::111111111111:root", "whole account"),
    ("arn:aws-us-gov:iam::111111111111:root", "whole account"),
    ("arn:aws:sts::111111111111:assumed-role/netsec-automation/s", "not an IAM role or user"),
    ("arn:aws:iam::111111111111:group/admins", "not an IAM role or user"),
    ("", "non-empty string"),
])
def test_acceptance_trust_refuses_principal(principal, needle):
    with pytest.raises(ValueError, match=needle):
        policies.acceptance_trust_policy([{"name": "p", "principals": [principal], "external_id": "netsec-x"}])


@pytest.mark.parametrize("principal", [
    "arn:aws:iam::111111111111:role/netsec-automation",
    "arn:aws:iam::111111111111:role/automation/netsec-automation",
    "arn:aws-cn:iam::111111111111:user/ci",
])
def test_acceptance_trust_accepts_role_or_user(principal):
    doc = policies.acceptance_trust_policy([{"name": "p", "principals": principal, "external_id": "netsec-x"}])
    assert doc["Statement"][0]["Principal"] == {"AWS": [principal]}


@pytest.mark.parametrize("peering, needle", [
    ({"name": "p", "principals": ["arn:aws:iam::111111111111:role/r"]}, "ExternalId"),
    ({"name": "p", "principals": ["arn:aws:iam::111111111111:role/r"], "external_id": ""}, "ExternalId"),
    ({"name": "p", "principals": [], "external_id": "netsec-x"}, "principals must not be empty"),
    ({"principals": ["arn:aws:iam::111111111111:role/r"], "external_id": "netsec-x"}, "peering name"),
])
def test_acceptance_trust_refuses_incomplete_peering(peering, needle):
    with pytest.raises(ValueError, match=needle):
        policies.acceptance_trust_policy([peering])


def test_acceptance_trust_refuses_no_peering():
    with pytest.raises(ValueError, match="no peering"):
        policies.acceptance_trust_policy([])


def test_acceptance_trust_sandbox_trusts_requester_role_with_external_id():
    peering = {"name": "trading-analytics", "requester": "trading", "accepter": "analytics"}
    external_id = peering_filters.peering_external_id(peering, "sandbox")
    doc = policies.acceptance_trust_policy([{"name": "trading-analytics", "external_id": external_id,
                                             "principals": ["arn:aws:iam::111111111111:role/netsec-automation"]}])
    assert doc == {"Version": "2012-10-17", "Statement": [{
        "Sid": "Requestertradinganalytics", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111111111111:role/netsec-automation"]},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": external_id}}}]}


def test_acceptance_permissions_grant_exactly_what_the_modules_call():
    doc = SANDBOX_ACCEPTER["acceptance_permissions"]
    granted = sorted(a for s in doc["Statement"] for a in actions(s))
    assert granted == sorted([
        "ec2:AcceptVpcPeeringConnection", "ec2:AcceptVpcPeeringConnection",   # the peering, and the accepter VPC
        "ec2:ModifyVpcPeeringConnectionOptions", "ec2:CreateTags", "ec2:CreateRoute",
        "ec2:DescribeVpcPeeringConnections", "ec2:DescribeRouteTables", "ec2:DescribeTags"])
    for gone in ("ec2:ReplaceRoute", "ec2:DeleteRoute", "ec2:DescribeVpcs"):
        assert gone not in granted


def test_acceptance_permissions_scoping_sandbox():
    by_sid = statements(SANDBOX_ACCEPTER["acceptance_permissions"])
    vpc = by_sid["AcceptIntoThisVpcOnly"]["Resource"]
    assert vpc.startswith("arn:aws:ec2:us-east-1:222222222222:vpc/vpc-")
    for sid in ("AcceptOnlyExpectedPeerings", "SetThisSidesOptionsAndTags"):
        statement = by_sid[sid]
        assert statement["Resource"] == "arn:aws:ec2:us-east-1:222222222222:vpc-peering-connection/*"
        # ARN-typed keys: ArnEquals, never StringEquals.
        assert list(statement["Condition"]) == ["ArnEquals"]
        assert statement["Condition"]["ArnEquals"]["ec2:AccepterVpc"] == vpc
        assert [r.rsplit("/", 1)[0] for r in statement["Condition"]["ArnEquals"]["ec2:RequesterVpc"]] == [
            "arn:aws:ec2:us-east-1:111111111111:vpc"]
    tables = by_sid["RoutesInThisVpcsPrivateRouteTablesOnly"]["Resource"]
    assert len(tables) == 3 and all(t.startswith("arn:aws:ec2:us-east-1:222222222222:route-table/rtb-") for t in tables)
    assert by_sid["DescribeHasNoResourceLevelPermissions"]["Resource"] == "*"


@pytest.mark.parametrize("override, needle", [
    ({"vpc_id": "subnet-1"}, "vpc_id"),
    ({"vpc_id": "vpc-XYZ"}, "vpc_id"),
    ({"route_table_ids": []}, "route_table_ids must not be empty"),
    ({"route_table_ids": ["vpc-1"]}, "route_table_ids"),
    ({"requester_vpc_arns": ["arn:aws:ec2:us-east-1:111111111111:vpc/*"]}, "not a VPC ARN"),
    ({"requester_vpc_arns": ["vpc-1"]}, "not a VPC ARN"),
    ({"requester_vpc_arns": []}, "requester_vpc_arns must not be empty"),
    ({"account_id": "2222"}, "12-digit"),
])
def test_acceptance_permissions_bad_input_names_it(override, needle):
    params = {"region": "us-east-1", "account_id": "222222222222", "vpc_id": "vpc-0a1a1a1a",
              "requester_vpc_arns": ["arn:aws:ec2:us-east-1:111111111111:vpc/vpc-0b2b2b2b"], "route_table_ids": ["rtb-0c3c3c3c"]}
    with pytest.raises(ValueError, match=needle):
        policies.acceptance_permissions_policy(**dict(params, **override))


# ---------------------------------------------------------------------------
# Every document, both inventories
# ---------------------------------------------------------------------------

# The only wildcard actions any document has: AWS's default key policy statement and TLS-only Denies
# (Allow), and the endpoint data perimeters, whose actions come from the endpoints role's defaults.
EXPECTED_WILDCARDS = {
    ("flowlogs_key", "AccountAdministersTheKey", "kms:*"), ("config_key", "AccountAdministersTheKey", "kms:*"),
    ("alerts_key", "AccountAdministersTheKey", "kms:*"), ("flow_log_group_key", "AccountAdministersTheKey", "kms:*"),
    ("flowlogs_bucket", "DenyInsecureTransport", "s3:*"), ("config_bucket", "DenyInsecureTransport", "s3:*"),
    ("endpoint", "OwnPrincipalsPeeredAccountResources", "s3:*"), ("endpoint", "OwnPrincipalsPeeredAccountResources", "dynamodb:*"),
    ("endpoint", "OwnPrincipalsPeeredAccountResources", "*"),
}


@pytest.mark.parametrize("label, kind, name, document", RENDERED, ids=[r[0] for r in RENDERED])
class TestEveryDocument:
    def test_shape_and_unique_sids(self, label, kind, name, document):
        assert document["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in document["Statement"]]
        assert len(sids) == len(set(sids)) and all(sids), label

    def test_wildcard_actions_only_where_noted(self, label, kind, name, document):
        for statement in document["Statement"]:
            for action in actions(statement):
                if "*" in action:
                    assert (name, statement["Sid"], action) in EXPECTED_WILDCARDS, label

    def test_service_principals_carry_source_account(self, label, kind, name, document):
        for statement in document["Statement"]:
            if "Service" not in statement.get("Principal", {}) or name == "flow_log_group_key":
                continue
            # flow_log_group_key binds CloudWatch Logs to one log group with kms:EncryptionContext instead.
            assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == _own_account(label), label

    def test_principal_star_only_narrowed_to_own_account(self, label, kind, name, document):
        for statement in document["Statement"]:
            if statement.get("Principal") == "*" and statement["Effect"] == "Allow":
                assert statement["Condition"]["StringEquals"]["aws:PrincipalAccount"] == [_own_account(label)]

    def test_arns_use_the_sites_partition_and_account(self, label, kind, name, document):
        text = repr(document)
        assert "arn:aws-cn:" not in text and "arn:aws-us-gov:" not in text
        if name not in ("endpoint", "acceptance_trust"):
            assert _own_account(label) in text


def _inventory_hosts(label):
    return _checker().inventory_sites(label.split(":")[0])[0]


def _own_account(label):
    return str(_inventory_hosts(label)[label.split(":")[1]]["aws_account_id"])


@pytest.mark.parametrize("name, sid, source_arn", [
    ("flow_log_delivery_trust", "VpcFlowLogsOfThisAccountOnly", "arn:aws:ec2:us-east-1:111111111111:vpc-flow-log/*"),
    ("flowlogs_bucket", "AWSLogDeliveryWrite", "arn:aws:logs:us-east-1:111111111111:*"),
    ("flowlogs_bucket", "AWSLogDeliveryCheck", "arn:aws:logs:us-east-1:111111111111:*"),
    ("flowlogs_key", "LogDeliveryEncryptsForThisAccountOnly", "arn:aws:logs:us-east-1:111111111111:*"),
    ("alerts_topic", "CloudWatchAlarmsOfThisAccountPublish", "arn:aws:cloudwatch:us-east-1:111111111111:alarm:*"),
    ("alerts_topic", "EventBridgeRulesOfThisAccountPublish", "arn:aws:events:us-east-1:111111111111:rule/*"),
])
def test_source_arn_where_known(name, sid, source_arn):
    statement = statements(SANDBOX[name])[sid]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "111111111111"
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": source_arn}


def test_trust_policies_sandbox():
    config = statements(SANDBOX["config_trust"])["AWSConfigOfThisAccountOnly"]
    assert config["Principal"] == {"Service": "config.amazonaws.com"} and config["Action"] == "sts:AssumeRole"
    assert config["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    flow = statements(SANDBOX["flow_log_delivery_trust"])["VpcFlowLogsOfThisAccountOnly"]
    assert flow["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_flowlogs_bucket_policy_sandbox_is_the_roles_document():
    bucket = "arn:aws:s3:::flowlogs-trading-111111111111-sandbox"
    logs = "arn:aws:logs:us-east-1:111111111111:*"
    assert SANDBOX["flowlogs_bucket"] == {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [bucket, bucket + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "AWSLogDeliveryWrite", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": bucket + "/AWSLogs/111111111111/*",
         "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": "111111111111"},
                       "ArnLike": {"aws:SourceArn": logs}}},
        {"Sid": "AWSLogDeliveryCheck", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
         "Action": ["s3:GetBucketAcl", "s3:ListBucket"], "Resource": bucket,
         "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}, "ArnLike": {"aws:SourceArn": logs}}},
    ]}


def test_key_policies_name_their_alias_and_administrator():
    assert SANDBOX["flowlogs_key"]["Id"] == "flowlogs-trading-sandbox"
    assert SANDBOX["config_key"]["Id"] == "config-trading-sandbox"
    for name in ("flowlogs_key", "config_key", "alerts_key", "flow_log_group_key"):
        admin = statements(SANDBOX[name])["AccountAdministersTheKey"]
        assert admin["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"} and admin["Action"] == "kms:*"


def test_log_group_key_is_bound_to_the_flow_log_group():
    statement = statements(SANDBOX["flow_log_group_key"])["CloudWatchLogsUsesItForTheFlowLogGroupOnly"]
    assert statement["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert statement["Condition"] == {"ArnEquals": {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:111111111111:log-group:/netsec/flowlogs/trading-sandbox"}}
    assert "kms:DescribeKey" not in statement["Action"]


def test_config_delivery_without_key_has_no_kms_statement():
    doc = policies.config_delivery_policy("us-east-1", "111111111111", "config-trading-111111111111-sandbox")
    assert [s["Sid"] for s in doc["Statement"]] == ["DeliverToTheBucket", "CheckTheBucketAcl"]
    assert doc["Statement"][0]["Resource"] == "arn:aws:s3:::config-trading-111111111111-sandbox/AWSLogs/111111111111/Config/*"


def test_flow_log_delivery_policy_streams_and_group():
    by_sid = statements(SANDBOX["flow_log_delivery"])
    group = "arn:aws:logs:us-east-1:111111111111:log-group:/netsec/flowlogs/trading-sandbox"
    assert by_sid["DeliverToTheFlowLogGroupOnly"]["Resource"] == group + ":*"
    assert by_sid["DescribeTheFlowLogGroupsStreams"]["Resource"] == [group, group + ":*"]


def test_endpoint_policy_accounts_sorted_and_owned_statement_optional():
    doc = policies.endpoint_policy("222222222222", ["111111111111", "111111111111"], ["s3:*"])
    assert [s["Sid"] for s in doc["Statement"]] == ["OwnPrincipalsPeeredAccountResources"]
    assert doc["Statement"][0]["Condition"] == {"StringEquals": {
        "aws:PrincipalAccount": ["222222222222"], "aws:ResourceAccount": ["111111111111", "222222222222"]}}
    with pytest.raises(ValueError, match="aws_owned_actions"):
        policies.endpoint_policy("222222222222", [], ["s3:*"], ["arn:aws:s3:::b/*"], [])


def test_every_function_has_a_kind():
    assert set(policies.POLICIES) == set(policies.KINDS)


# ---------------------------------------------------------------------------
# The `policy` filter
# ---------------------------------------------------------------------------

def test_filter_builds_by_name():
    assert policy_filter.FilterModule().filters()["policy"] is policy_filter.policy
    assert policy_filter.policy("config_trust", region="us-east-1", account_id="111111111111") == policies.config_trust_policy(
        "us-east-1", "111111111111")


@pytest.mark.parametrize("name, params, needle", [
    ("nope", {}, "unknown policy 'nope'"),
    (None, {}, "unknown policy"),
    ("config_trust", {"region": "us-east-1"}, "policy config_trust: .*account_id"),
    ("config_trust", {"region": "us-east-1", "account_id": "1"}, "policy config_trust: account_id '1'"),
    ("acceptance_trust", {"peerings": [{"name": "p", "principals": ["arn:aws:iam::111111111111:root"], "external_id": "xx"}]},
     "whole account"),
])
def test_filter_errors_name_the_policy(name, params, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        policy_filter.policy(name, **params)
