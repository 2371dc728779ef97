"""Unit tests for netsec.aws_peering.site_info and plugins/module_utils/discovery.py (moto in-process).

The site's resources are made with boto3 in the shapes the stages make them; the state must hold them
as AWS describes them, find the VPC the three documented ways, list every candidate, and read only
what the scopes ask for (calls counted per service).
"""

from __future__ import annotations

import collections
import datetime
import json

import boto3
import botocore.client
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.module_utils import discovery
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.modules import site_info

ACCOUNT = "123456789012"
REGION = "us-east-1"
NAMES = site_names("trading", "sandbox", ACCOUNT)
ARGS = {"network_name": "trading", "environment_suffix": "sandbox"}
OURS = [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Network", "Value": "trading"}]
ZONES = [f"us-east-1{z}" for z in "abcdef"]


@pytest.fixture
def aws():
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


@pytest.fixture
def api_calls(record_calls):
    """(service, operation) of every AWS call made from now on."""
    return record_calls(lambda client, operation_name, api_params: (client.meta.service_model.service_name, operation_name))


def per_service(calls):
    return dict(collections.Counter(call[0] for call in calls))


def tagspec(kind, name, extra=()):
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, *OURS, *extra]}]


def make_vpc(ec2, cidr="10.0.0.0/16", name=NAMES["vpc"], tags=None):
    tags = [{"Key": "Name", "Value": name}, *OURS] if tags is None else tags
    return ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]


def state_of(run_module, **args):
    result = run_module(site_info, dict(ARGS, **args))
    assert result["failed"] is False, result
    assert result["changed"] is False
    # Datetimes are ISO strings: the state is JSON as it is (no default= needed).
    json.dumps(result["state"])
    return result["state"]


# ---------------------------------------------------------------------------------------------- empty account
def test_empty_account(aws, run_module):
    state = state_of(run_module)
    assert state["vpc"] is None and state["vpc_candidates"] == []
    for key in ("subnets", "route_tables", "network_acls", "security_groups", "vpc_endpoints", "vpc_peering_connections",
                "flow_logs", "internet_gateways", "nat_gateways"):
        assert state[key] == [], key
    assert state["availability_zones"] == ZONES
    assert (state["account_id"], state["partition"], state["region"]) == (ACCOUNT, "aws", REGION)
    assert state["network_name"] == "trading" and state["environment_suffix"] == "sandbox"
    assert [p["PrefixListName"] for p in state["prefix_lists"]] == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]
    ec2 = aws("ec2")
    for plist in state["prefix_lists"]:
        entries = ec2.get_managed_prefix_list_entries(PrefixListId=plist["PrefixListId"])["Entries"]
        assert plist["Cidrs"] == sorted(e["Cidr"] for e in entries) and plist["Cidrs"]
        assert set(plist) == {"PrefixListId", "PrefixListName", "Cidrs"}
    assert state["iam_roles"] == {NAMES["acceptance_role"]: None, NAMES["config_role"]: None, NAMES["delivery_role"]: None}
    assert state["kms_keys"] == {NAMES[k]: None for k in ("flowlogs_key_alias", "config_key_alias", "alerts_key_alias", "logs_key_alias")}
    assert state["buckets"] == {NAMES["flowlogs_bucket"]: None, NAMES["config_bucket"]: None}
    assert state["config"] == {"recorders": [], "recorder_status": [], "delivery_channels": [], "rules": []}
    assert (state["topic"], state["log_group"], state["alarms"], state["event_rules"], state["dashboard"]) == (None, None, [], [], None)


# ---------------------------------------------------------------------------------------------- finding the VPC
def test_vpc_found_by_name_and_owner_tag_with_its_network(aws, run_module):
    ec2 = aws("ec2")
    make_vpc(ec2, "10.9.0.0/16", tags=[{"Key": "Name", "Value": NAMES["vpc"]}])      # same name, not ours: ignored
    vpc_id = make_vpc(ec2)
    other = make_vpc(ec2, "10.1.0.0/16", name="vpc-analytics-sandbox")
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a",
                               TagSpecifications=tagspec("subnet", NAMES["subnets"][0]))["Subnet"]["SubnetId"]
    ec2.create_subnet(VpcId=other, CidrBlock="10.1.0.0/24")
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    group = ec2.create_security_group(VpcId=vpc_id, GroupName=NAMES["peering_security_group"], Description="peering")["GroupId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.create_internet_gateway()                                                       # detached: not the VPC's
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[table])
    state = state_of(run_module, scopes=["network"])
    assert state["vpc"]["VpcId"] == vpc_id and state["vpc_candidates"] == [vpc_id]
    assert (state["vpc"]["EnableDnsSupport"], state["vpc"]["EnableDnsHostnames"]) == (True, True)
    assert [s["SubnetId"] for s in state["subnets"]] == [subnet]
    assert {t["RouteTableId"] for t in state["route_tables"]} >= {table}
    assert all(t["VpcId"] == vpc_id for t in state["route_tables"])
    assert [a["SubnetId"] for t in state["route_tables"] if t["RouteTableId"] == table for a in t["Associations"]] == [subnet]
    assert any(n["IsDefault"] for n in state["network_acls"]) and all(n["VpcId"] == vpc_id for n in state["network_acls"])
    assert sorted(g["GroupName"] for g in state["security_groups"]) == ["default", NAMES["peering_security_group"]]
    assert group in [g["GroupId"] for g in state["security_groups"]]
    assert [g["InternetGatewayId"] for g in state["internet_gateways"]] == [igw]
    assert [e["VpcEndpointId"] for e in state["vpc_endpoints"]] == [endpoint["VpcEndpoint"]["VpcEndpointId"]]
    assert isinstance(state["vpc_endpoints"][0]["PolicyDocument"], str)
    # the scopes: network only, no prefix lists, no observability keys
    assert state["prefix_lists"] == [] and "iam_roles" not in state and "topic" not in state


def test_vpc_found_by_id_or_adopt_tags_and_two_candidates(aws, run_module):
    ec2 = aws("ec2")
    legacy = make_vpc(ec2, "10.5.0.0/16", tags=[{"Key": "Name", "Value": "legacy"}, {"Key": "Team", "Value": "a"}])
    twin = make_vpc(ec2, "10.6.0.0/16", tags=[{"Key": "Name", "Value": "legacy"}, {"Key": "Team", "Value": "b"}])
    assert state_of(run_module, vpc_id=legacy, scopes=["network"])["vpc"]["VpcId"] == legacy
    assert state_of(run_module, vpc_adopt_tags={"Name": "legacy", "Team": "b"}, scopes=["network"])["vpc"]["VpcId"] == twin
    state = state_of(run_module, vpc_adopt_tags={"Name": "legacy"}, scopes=["network"])
    assert state["vpc"] is None and sorted(state["vpc_candidates"]) == sorted([legacy, twin])
    assert state["subnets"] == []
    # Two VPCs named as ours and carrying our tag: both listed, neither chosen.
    first, second = make_vpc(ec2, "10.7.0.0/16"), make_vpc(ec2, "10.8.0.0/16")
    state = state_of(run_module, scopes=["network"])
    assert state["vpc"] is None and sorted(state["vpc_candidates"]) == sorted([first, second])
    # An ID that does not exist is no VPC, not a failure.
    state = state_of(run_module, vpc_id="vpc-0123456789abcdef0", scopes=["network"])
    assert (state["vpc"], state["vpc_candidates"]) == (None, [])


@pytest.mark.parametrize("args, named", [
    ({"vpc_id": "vpc-xyz"}, "vpc-xyz"),
    ({"scopes": ["network", "everything"]}, "everything"),
])
def test_bad_input_is_named_before_any_call(aws, run_module, api_calls, args, named):
    result = run_module(site_info, dict(ARGS, **args))
    assert result["failed"] is True and named in result["msg"]
    assert api_calls == []


# ---------------------------------------------------------------------------------------------- peerings
def test_peerings_as_requester_and_accepter_with_tags_from_describe_tags(aws, run_module, api_calls):
    ec2 = aws("ec2")
    vpc_id = make_vpc(ec2)
    spoke, hub, stranger = make_vpc(ec2, "10.1.0.0/16", "spoke"), make_vpc(ec2, "10.2.0.0/16", "hub"), make_vpc(ec2, "10.3.0.0/16", "x")
    requested = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=spoke)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    accepted = ec2.create_vpc_peering_connection(VpcId=hub, PeerVpcId=vpc_id)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=accepted)
    ec2.create_vpc_peering_connection(VpcId=hub, PeerVpcId=stranger)                    # not ours at all
    ec2.create_tags(Resources=[requested], Tags=[{"Key": "Side", "Value": "requester"}, {"Key": "Name", "Value": "pcx-a"}])
    ec2.create_tags(Resources=[accepted], Tags=[{"Key": "Side", "Value": "accepter"}])
    api_calls.clear()
    state = state_of(run_module, scopes=["peering"])
    peerings = {p["VpcPeeringConnectionId"]: p for p in state["vpc_peering_connections"]}
    assert sorted(peerings) == sorted([requested, accepted])
    assert [p["VpcPeeringConnectionId"] for p in state["vpc_peering_connections"]] == sorted(peerings)
    assert peerings[requested]["RequesterVpcInfo"]["VpcId"] == vpc_id and peerings[requested]["Status"]["Code"] == "pending-acceptance"
    assert peerings[accepted]["AccepterVpcInfo"]["VpcId"] == vpc_id and peerings[accepted]["Status"]["Code"] == "active"
    # Tags of this account's side, sorted by key, read once with DescribeTags for all peerings.
    assert peerings[requested]["Tags"] == [{"Key": "Name", "Value": "pcx-a"}, {"Key": "Side", "Value": "requester"}]
    assert peerings[accepted]["Tags"] == [{"Key": "Side", "Value": "accepter"}]
    assert [call[1] for call in api_calls].count("DescribeTags") == 1


def test_peering_tags_come_from_describe_tags_not_the_peering_description(aws, monkeypatch):
    """The description shows one side's tags (the emulator: the requester's); DescribeTags shows this account's."""
    ec2 = aws("ec2")
    vpc_id = make_vpc(ec2)
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=make_vpc(ec2, "10.1.0.0/16", "b"))["VpcPeeringConnection"]
    ec2.create_tags(Resources=[pcx["VpcPeeringConnectionId"]], Tags=[{"Key": "Side", "Value": "ours"}])
    original = botocore.client.BaseClient._make_api_call

    def other_sides_tags(self, operation_name, api_params):
        answer = original(self, operation_name, api_params)
        if operation_name == "DescribeVpcPeeringConnections":
            for item in answer["VpcPeeringConnections"]:
                item["Tags"] = [{"Key": "Side", "Value": "theirs"}]
        return answer

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", other_sides_tags)
    [found] = discovery.describe_peerings(ec2, vpc_id)
    assert found["Tags"] == [{"Key": "Side", "Value": "ours"}]


# ---------------------------------------------------------------------------------------------- observability
def populate(aws):
    """The site's observability resources, as the stages make them, plus look-alikes that are not the site's."""
    kms, s3, iam = aws("kms"), aws("s3"), aws("iam")
    keys = {}
    for alias in ("flowlogs_key_alias", "config_key_alias", "alerts_key_alias", "logs_key_alias"):
        key_id = kms.create_key(Tags=[{"TagKey": "ManagedBy", "TagValue": "netsec.aws_peering"}])["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=NAMES[alias], TargetKeyId=key_id)
        keys[alias] = key_id
    kms.enable_key_rotation(KeyId=keys["flowlogs_key_alias"])
    s3.create_bucket(Bucket=NAMES["flowlogs_bucket"])
    s3.put_bucket_encryption(Bucket=NAMES["flowlogs_bucket"], ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keys["flowlogs_key_alias"]}}]})
    s3.put_public_access_block(Bucket=NAMES["flowlogs_bucket"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=NAMES["flowlogs_bucket"], VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket=NAMES["flowlogs_bucket"], Tagging={"TagSet": [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]})
    s3.put_bucket_policy(Bucket=NAMES["flowlogs_bucket"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{NAMES['flowlogs_bucket']}/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=NAMES["delivery_role"], AssumeRolePolicyDocument=json.dumps(trust), Tags=[{"Key": "Network", "Value": "trading"}])
    iam.put_role_policy(RoleName=NAMES["delivery_role"], PolicyName="deliver", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    config = aws("config")
    config.put_configuration_recorder(ConfigurationRecorder={"name": NAMES["config_recorder"],
                                                             "roleARN": f"arn:aws:iam::{ACCOUNT}:role/{NAMES['config_role']}"})
    config.put_delivery_channel(DeliveryChannel={"name": NAMES["config_channel"], "s3BucketName": NAMES["flowlogs_bucket"]})
    for rule in ("required-tags-trading-sandbox", "required-tags-analytics-sandbox"):
        config.put_config_rule(ConfigRule={"ConfigRuleName": rule, "Source": {"Owner": "AWS", "SourceIdentifier": "REQUIRED_TAGS"},
                                           "InputParameters": json.dumps({"tag1Key": "CostCenter"})},
                               Tags=[{"Key": "ManagedBy", "Value": "netsec.aws_peering"}])
    topic = aws("sns").create_topic(Name=NAMES["topic"], Tags=[{"Key": "ManagedBy", "Value": "netsec.aws_peering"}])["TopicArn"]
    aws("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint="noc@example.com")
    logs = aws("logs")
    logs.create_log_group(logGroupName=NAMES["log_group"], tags={"ManagedBy": "netsec.aws_peering"})
    logs.create_log_group(logGroupName=NAMES["log_group"] + "-old")                      # prefix look-alike
    logs.put_metric_filter(logGroupName=NAMES["log_group"], filterName="rejected", filterPattern="REJECT",
                           metricTransformations=[{"metricName": "Rejected", "metricNamespace": "Netsec", "metricValue": "1"}])
    cloudwatch = aws("cloudwatch")
    for name in (NAMES["alarms"]["rejected"], "rejected-flows-analytics-sandbox"):
        cloudwatch.put_metric_alarm(AlarmName=name, MetricName="Rejected", Namespace="Netsec", Statistic="Sum", Period=300,
                                    EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                                    Tags=[{"Key": "ManagedBy", "Value": "netsec.aws_peering"}])
    events = aws("events")
    events.put_rule(Name=NAMES["event_rules"]["peering"], EventPattern=json.dumps({"source": ["aws.ec2"]}),
                    Tags=[{"Key": "ManagedBy", "Value": "netsec.aws_peering"}])
    events.put_targets(Rule=NAMES["event_rules"]["peering"], Targets=[{"Id": "alerts", "Arn": topic}])
    cloudwatch.put_dashboard(DashboardName=NAMES["dashboard"], DashboardBody=json.dumps({"widgets": []}))
    return {"keys": keys, "topic": topic}


def test_observability_present(aws, run_module):
    made = populate(aws)
    state = state_of(run_module)
    key = state["kms_keys"][NAMES["flowlogs_key_alias"]]
    assert key["KeyMetadata"]["KeyId"] == made["keys"]["flowlogs_key_alias"]
    assert key["KeyRotationEnabled"] is True and isinstance(key["Policy"], dict)
    assert key["Tags"] == [{"TagKey": "ManagedBy", "TagValue": "netsec.aws_peering"}]
    assert isinstance(key["KeyMetadata"]["CreationDate"], str)
    datetime.datetime.fromisoformat(key["KeyMetadata"]["CreationDate"])
    assert {alias for alias, k in state["kms_keys"].items() if k} == {NAMES[a] for a in made["keys"]}

    bucket = state["buckets"][NAMES["flowlogs_bucket"]]
    assert bucket["Name"] == NAMES["flowlogs_bucket"]
    assert bucket["Encryption"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert bucket["PublicAccessBlock"]["BlockPublicPolicy"] is True
    assert bucket["Versioning"] == {"Status": "Enabled"}
    assert bucket["Policy"]["Statement"][0]["Sid"] == "Deny"
    assert bucket["Tags"] == [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]
    assert (bucket["Lifecycle"], bucket["OwnershipControls"]) == (None, None)
    assert state["buckets"][NAMES["config_bucket"]] is None

    role = state["iam_roles"][NAMES["delivery_role"]]
    assert role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert role["InlinePolicies"]["deliver"]["Statement"][0]["Action"] == "logs:PutLogEvents"
    assert role["Tags"] == [{"Key": "Network", "Value": "trading"}] and role["AttachedPolicies"] == []
    assert isinstance(role["Role"]["CreateDate"], str)
    assert state["iam_roles"][NAMES["acceptance_role"]] is None and state["iam_roles"][NAMES["config_role"]] is None

    config = state["config"]
    assert [r["name"] for r in config["recorders"]] == [NAMES["config_recorder"]]
    assert [r["name"] for r in config["recorder_status"]] == [NAMES["config_recorder"]]
    assert [c["name"] for c in config["delivery_channels"]] == [NAMES["config_channel"]]
    assert [r["ConfigRuleName"] for r in config["rules"]] == ["required-tags-trading-sandbox"]
    assert config["rules"][0]["Tags"] == [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]

    assert state["topic"]["Attributes"]["TopicArn"] == made["topic"]
    assert [s["Endpoint"] for s in state["topic"]["Subscriptions"]] == ["noc@example.com"]
    assert state["topic"]["Tags"] == [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]
    assert state["log_group"]["logGroupName"] == NAMES["log_group"]
    assert [f["filterName"] for f in state["log_group"]["metricFilters"]] == ["rejected"]
    assert state["log_group"]["tags"] == {"ManagedBy": "netsec.aws_peering"}
    assert [a["AlarmName"] for a in state["alarms"]] == [NAMES["alarms"]["rejected"]]
    assert state["alarms"][0]["Tags"] == [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]
    assert [r["Name"] for r in state["event_rules"]] == [NAMES["event_rules"]["peering"]]
    assert [t["Arn"] for t in state["event_rules"][0]["Targets"]] == [made["topic"]]
    assert state["event_rules"][0]["Tags"] == [{"Key": "ManagedBy", "Value": "netsec.aws_peering"}]
    assert state["dashboard"]["DashboardName"] == NAMES["dashboard"] and state["dashboard"]["DashboardBody"] == {"widgets": []}
    assert state_of(run_module, dashboard_name="elsewhere", scopes=["monitoring"])["dashboard"] is None


# ---------------------------------------------------------------------------------------------- scopes
@pytest.mark.parametrize("scopes, services, keys", [
    (["network"], {"sts": 1, "ec2": 2}, set()),
    (["peering"], {"sts": 1, "ec2": 2, "iam": 1}, {"iam_roles"}),
    (["security"], {"sts": 1, "ec2": 5}, set()),
    (["flowlogs"], {"sts": 1, "ec2": 2, "iam": 0, "kms": 1, "s3": 1}, {"iam_roles", "kms_keys", "buckets"}),
    (["config"], {"sts": 1, "ec2": 2, "iam": 1, "kms": 1, "s3": 1, "config": 4}, {"iam_roles", "kms_keys", "buckets", "config"}),
    (["monitoring"], {"sts": 1, "ec2": 5, "iam": 1, "kms": 2, "sns": 1, "logs": 1, "cloudwatch": 2, "events": 5},
     {"iam_roles", "kms_keys", "buckets", "topic", "log_group", "alarms", "event_rules", "dashboard"}),
])
def test_scopes_limit_what_is_read(aws, run_module, api_calls, scopes, services, keys):
    """On an empty account (no VPC): one call per absent resource, none for the scopes not asked for."""
    state = state_of(run_module, scopes=scopes)
    assert per_service(api_calls) == {service: count for service, count in services.items() if count}
    optional = {"iam_roles", "kms_keys", "buckets", "config", "topic", "log_group", "alarms", "event_rules", "dashboard"}
    assert optional & set(state) == keys
    assert state["scopes"] == sorted(scopes)


def test_filters_are_applied_again_on_our_side(aws, run_module, monkeypatch):
    """An emulator that ignores request filters (every describe answers with everything) changes nothing in the state."""
    ec2 = aws("ec2")
    vpc_id = make_vpc(ec2)
    other = make_vpc(ec2, "10.1.0.0/16", tags=[{"Key": "Name", "Value": "other"}])
    make_vpc(ec2, "10.2.0.0/16", tags=[{"Key": "Name", "Value": NAMES["vpc"]}])              # our name, not our tag
    for vpc, cidr in ((vpc_id, "10.0.0.0/24"), (other, "10.1.0.0/24")):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        ec2.create_security_group(VpcId=vpc, GroupName="app", Description="app")
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[table])
    ec2.create_vpc_peering_connection(VpcId=other, PeerVpcId=make_vpc(ec2, "10.3.0.0/16", tags=[]))
    ec2.create_vpc_peering_connection(VpcId=vpc_id, PeerVpcId=other)
    aws("logs").create_log_group(logGroupName="/netsec/aaa")                                # sorts before ours
    aws("logs").create_log_group(logGroupName=NAMES["log_group"])
    expected = state_of(run_module, scopes=["network", "security", "monitoring"])
    assert expected["vpc"]["VpcId"] == vpc_id and expected["log_group"]["logGroupName"] == NAMES["log_group"]
    assert [(p["RequesterVpcInfo"]["VpcId"], p["AccepterVpcInfo"]["VpcId"]) for p in expected["vpc_peering_connections"]] == [
        (vpc_id, other)]
    assert len(expected["subnets"]) == 1 and len(expected["internet_gateways"]) == 1 and len(expected["vpc_endpoints"]) == 1
    original = botocore.client.BaseClient._make_api_call

    def ignore_filters(self, operation_name, api_params):
        if operation_name.startswith("Describe"):
            api_params = {k: v for k, v in api_params.items() if k not in ("Filters", "Filter", "logGroupNamePrefix")}
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", ignore_filters)
    assert state_of(run_module, scopes=["network", "security", "monitoring"]) == expected
