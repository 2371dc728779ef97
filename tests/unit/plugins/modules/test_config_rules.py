# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for netsec.aws_peering.config_rules against moto's in-process mock_aws."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from moto import mock_aws

from ansible_collections.netsec.aws_peering.plugins.module_utils import config as config_utils
from ansible_collections.netsec.aws_peering.plugins.modules import config_rules

RULES = [
    {"name": "netsec-vpc-peering-dns", "source_identifier": "VPC_PEERING_DNS_RESOLUTION_CHECK"},
    {"name": "netsec-vpc-flow-logs", "source_identifier": "VPC_FLOW_LOGS_ENABLED", "input_parameters": {"trafficType": "ALL"}},
    {
        "name": "netsec-sg-authorized-ports",
        "source_identifier": "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS",
        "input_parameters": {"authorizedTcpPorts": [443, 5432]},
        "scope": {"compliance_resource_types": ["AWS::EC2::SecurityGroup"]},
    },
    {"name": "netsec-default-sg-closed", "source_identifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED"},
    {"name": "netsec-nacl-no-ssh-rdp", "source_identifier": "NACL_NO_UNRESTRICTED_SSH_RDP"},
    {
        "name": "netsec-restricted-incoming",
        "source_identifier": "RESTRICTED_INCOMING_TRAFFIC",
        "input_parameters": {"blockedPort1": 22, "blockedPort2": 3389},
    },
    {
        "name": "netsec-required-tags",
        "source_identifier": "REQUIRED_TAGS",
        "input_parameters": {"tag1Key": "CostCenter", "tag2Key": "Environment"},
        "description": "CostCenter and Environment tags everywhere",
        "tags": {"Control": "tagging"},
    },
    {"name": "netsec-s3-ssl-only", "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY"},
    {"name": "netsec-s3-sse", "source_identifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"},
    {"name": "netsec-s3-public-read", "source_identifier": "S3_BUCKET_PUBLIC_READ_PROHIBITED"},
    {"name": "netsec-s3-public-write", "source_identifier": "S3_BUCKET_PUBLIC_WRITE_PROHIBITED"},
]


def rules(*names):
    return [dict(r) for r in RULES if not names or r["name"] in names]


@pytest.fixture
def aws():
    with mock_aws():
        client = boto3.client("config", region_name="us-east-1")
        client.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": "arn:aws:iam::123456789012:role/config",
                "recordingGroup": {"allSupported": True},
            }
        )
        yield client


@pytest.fixture
def no_aws(monkeypatch):
    """Any attempt to build an AWS client fails the test: validation must come first."""
    from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

    def refuse(*args, **kwargs):
        raise AssertionError("the module contacted AWS before validating its input")

    monkeypatch.setattr(AnsibleAWSModule, "client", refuse)
    with mock_aws():
        yield


def live(client):
    out = {}
    token = None
    while True:
        reply = client.describe_config_rules(**({"NextToken": token} if token else {}))
        for rule in reply["ConfigRules"]:
            out[rule["ConfigRuleName"]] = rule
        token = reply.get("NextToken")
        if not token:
            return out


def tags_of(client, arn):
    return {t["Key"]: t["Value"] for t in client.list_tags_for_resource(ResourceArn=arn)["Tags"]}


def test_create_all_rules_in_one_run_then_unchanged(aws, run_module):
    result = run_module(config_rules, {"rules": rules(), "tags": {"ManagedBy": "netsec"}})
    assert not result["failed"], result
    assert result["changed"] is True
    assert [r["action"] for r in result["rules"]] == ["created"] * len(RULES)
    stored = live(aws)
    assert set(stored) == {r["name"] for r in RULES}
    sg = stored["netsec-sg-authorized-ports"]
    assert json.loads(sg["InputParameters"]) == {"authorizedTcpPorts": "443,5432"}
    assert sg["Scope"]["ComplianceResourceTypes"] == ["AWS::EC2::SecurityGroup"]
    assert json.loads(stored["netsec-restricted-incoming"]["InputParameters"]) == {
        "blockedPort1": "22",
        "blockedPort2": "3389",
    }
    by_name = {r["name"]: r for r in result["rules"]}
    assert by_name["netsec-sg-authorized-ports"]["input_parameters"] == {"authorizedTcpPorts": "443,5432"}
    assert by_name["netsec-sg-authorized-ports"]["arn"] == sg["ConfigRuleArn"]
    assert by_name["netsec-required-tags"]["description"] == "CostCenter and Environment tags everywhere"
    req = stored["netsec-required-tags"]
    assert tags_of(aws, req["ConfigRuleArn"]) == {"ManagedBy": "netsec", "Control": "tagging"}
    assert tags_of(aws, stored["netsec-s3-sse"]["ConfigRuleArn"]) == {"ManagedBy": "netsec"}

    again = run_module(config_rules, {"rules": rules(), "tags": {"ManagedBy": "netsec"}})
    assert not again["failed"], again
    assert again["changed"] is False
    assert [r["action"] for r in again["rules"]] == ["unchanged"] * len(RULES)


def test_parameter_change_is_an_update(aws, run_module):
    run_module(config_rules, {"rules": rules("netsec-sg-authorized-ports", "netsec-s3-sse")})
    arn = live(aws)["netsec-sg-authorized-ports"]["ConfigRuleArn"]
    changed = rules("netsec-sg-authorized-ports", "netsec-s3-sse")
    changed[0]["input_parameters"] = {"authorizedTcpPorts": "443"}
    result = run_module(config_rules, {"rules": changed}, diff=True)
    assert result["changed"] is True
    actions = {r["name"]: r["action"] for r in result["rules"]}
    assert actions == {"netsec-sg-authorized-ports": "updated", "netsec-s3-sse": "unchanged"}
    stored = live(aws)["netsec-sg-authorized-ports"]
    assert json.loads(stored["InputParameters"]) == {"authorizedTcpPorts": "443"}
    assert stored["ConfigRuleArn"] == arn
    diff = result["diff"]
    assert diff["before"]["netsec-sg-authorized-ports"]["input_parameters"] == {"authorizedTcpPorts": "443,5432"}
    assert diff["after"]["netsec-sg-authorized-ports"]["input_parameters"] == {"authorizedTcpPorts": "443"}
    # Unmanaged fields kept: scope was not given this time and survives the update.
    assert stored["Scope"]["ComplianceResourceTypes"] == ["AWS::EC2::SecurityGroup"]
    assert run_module(config_rules, {"rules": changed})["changed"] is False


def test_equivalent_parameters_are_unchanged(aws, run_module):
    run_module(config_rules, {"rules": rules("netsec-sg-authorized-ports")})
    same = rules("netsec-sg-authorized-ports")
    same[0]["input_parameters"] = {"authorizedTcpPorts": "443,5432"}
    assert run_module(config_rules, {"rules": same})["changed"] is False


def test_update_keeps_unmanaged_tags_and_purges_managed(aws, run_module):
    run_module(config_rules, {"rules": rules("netsec-required-tags")})
    arn = live(aws)["netsec-required-tags"]["ConfigRuleArn"]
    assert tags_of(aws, arn) == {"Control": "tagging"}
    # Description change without tags: tags are not managed and must survive the put.
    rule = rules("netsec-required-tags")[0]
    rule.pop("tags")
    rule["description"] = "changed"
    result = run_module(config_rules, {"rules": [rule]})
    assert result["rules"][0]["action"] == "updated"
    assert tags_of(aws, arn) == {"Control": "tagging"}
    # Tags only: purge_tags (default true) replaces them.
    rule["tags"] = {"Owner": "netsec"}
    result = run_module(config_rules, {"rules": [rule]})
    assert result["rules"][0]["action"] == "updated"
    assert tags_of(aws, arn) == {"Owner": "netsec"}
    assert run_module(config_rules, {"rules": [rule]})["changed"] is False
    # purge_tags=false only adds.
    rule["tags"] = {"Extra": "1"}
    run_module(config_rules, {"rules": [rule], "purge_tags": False})
    assert tags_of(aws, arn) == {"Owner": "netsec", "Extra": "1"}


def test_purge_with_prefix_only_removes_prefixed_strays(aws, run_module):
    run_module(config_rules, {"rules": rules("netsec-s3-sse", "netsec-s3-ssl-only")})
    aws.put_config_rule(
        ConfigRule={"ConfigRuleName": "team-b-s3-sse", "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"}}
    )
    # Rename netsec-s3-ssl-only -> netsec-s3-tls-only.
    renamed = rules("netsec-s3-sse", "netsec-s3-ssl-only")
    for rule in renamed:
        if rule["name"] == "netsec-s3-ssl-only":
            rule["name"] = "netsec-s3-tls-only"
    result = run_module(config_rules, {"rules": renamed, "purge": True, "purge_prefix": "netsec-"}, diff=True)
    assert not result["failed"], result
    actions = {r["name"]: r["action"] for r in result["rules"]}
    assert actions == {"netsec-s3-sse": "unchanged", "netsec-s3-tls-only": "created", "netsec-s3-ssl-only": "deleted"}
    assert set(live(aws)) == {"netsec-s3-sse", "netsec-s3-tls-only", "team-b-s3-sse"}
    assert result["diff"]["after"]["netsec-s3-ssl-only"] is None
    assert result["diff"]["before"]["netsec-s3-tls-only"] is None
    again = run_module(config_rules, {"rules": renamed, "purge": True, "purge_prefix": "netsec-"})
    assert again["changed"] is False


@pytest.mark.usefixtures("no_aws")
def test_purge_needs_prefix(run_module):
    result = run_module(config_rules, {"rules": rules("netsec-s3-ssl-only"), "purge": True})
    assert result["failed"] and "purge_prefix" in result["msg"]


def test_check_mode_writes_nothing(aws, run_module):
    result = run_module(config_rules, {"rules": rules()}, check_mode=True, diff=True)
    assert not result["failed"], result
    assert result["changed"] is True
    assert [r["action"] for r in result["rules"]] == ["created"] * len(RULES)
    assert all(r["arn"] is None for r in result["rules"])
    assert result["diff"]["after"]["netsec-sg-authorized-ports"]["input_parameters"] == {"authorizedTcpPorts": "443,5432"}
    assert live(aws) == {}

    run_module(config_rules, {"rules": rules("netsec-s3-sse", "netsec-sg-authorized-ports")})
    changed = rules("netsec-sg-authorized-ports")
    changed[0]["input_parameters"] = {"authorizedTcpPorts": 443}
    upd = run_module(config_rules, {"rules": changed, "purge": True, "purge_prefix": "netsec-"}, check_mode=True)
    assert {r["name"]: r["action"] for r in upd["rules"]} == {
        "netsec-sg-authorized-ports": "updated",
        "netsec-s3-sse": "deleted",
    }
    stored = live(aws)
    assert set(stored) == {"netsec-s3-sse", "netsec-sg-authorized-ports"}
    assert json.loads(stored["netsec-sg-authorized-ports"]["InputParameters"]) == {"authorizedTcpPorts": "443,5432"}


def test_absent_deletes_listed_rules(aws, run_module):
    run_module(config_rules, {"rules": rules("netsec-s3-sse", "netsec-s3-ssl-only")})
    result = run_module(config_rules, {"rules": [{"name": "netsec-s3-sse"}, {"name": "netsec-missing"}], "state": "absent"})
    assert {r["name"]: r["action"] for r in result["rules"]} == {"netsec-s3-sse": "deleted", "netsec-missing": "unchanged"}
    assert set(live(aws)) == {"netsec-s3-ssl-only"}
    again = run_module(config_rules, {"rules": [{"name": "netsec-s3-sse"}], "state": "absent"})
    assert again["changed"] is False


def test_first_rule_when_none_exist(aws, run_module):
    # The emulator answers DescribeConfigRules(names) with [] when no rule exists at all.
    assert aws.describe_config_rules(ConfigRuleNames=["netsec-s3-sse"])["ConfigRules"] == []
    result = run_module(config_rules, {"rules": rules("netsec-s3-sse")})
    assert result["rules"][0]["action"] == "created"


def test_no_recorder_fails_before_writing(run_module):
    with mock_aws():
        client = boto3.client("config", region_name="us-east-1")
        result = run_module(config_rules, {"rules": rules("netsec-s3-sse")})
        assert result["failed"]
        assert "configuration recorder" in result["msg"] and "netsec-s3-sse" in result["msg"]
        assert client.describe_config_rules()["ConfigRules"] == []
        # Check mode only warns.
        checked = run_module(config_rules, {"rules": rules("netsec-s3-sse")}, check_mode=True)
        assert not checked["failed"] and checked["changed"] is True
        assert any("configuration recorder" in w for w in checked.get("warnings", []))


@pytest.mark.parametrize(
    "rule, needle",
    [
        ({"name": "netsec-x"}, "source_identifier is required"),
        ({"name": "x" * 129, "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY"}, "129 characters"),
        ({"name": "bad name!", "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY"}, "'bad name!'"),
        ({"name": "netsec-x", "source_identifier": "s3 bucket"}, "'s3 bucket'"),
        (
            {"name": "netsec-x", "source_identifier": "REQUIRED_TAGS", "input_parameters": {"tag1Key": {"a": 1}}},
            "tag1Key",
        ),
        (
            {"name": "netsec-x", "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY", "description": "d" * 257},
            "description",
        ),
        (
            {
                "name": "netsec-x",
                "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY",
                "scope": {"compliance_resource_types": ["S3 Bucket"]},
            },
            "S3 Bucket",
        ),
        (
            {"name": "netsec-x", "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY", "scope": {"tag_value": "prod"}},
            "tag_value",
        ),
        (
            {"name": "netsec-x", "owner": "CUSTOM_LAMBDA", "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY"},
            "Lambda function ARN",
        ),
        (
            {"name": "netsec-x", "source_identifier": "S3_BUCKET_SSL_REQUESTS_ONLY", "tags": {"aws:x": "1"}},
            "aws:x",
        ),
    ],
)
@pytest.mark.usefixtures("no_aws")
def test_bad_input_fails_before_any_aws_call(run_module, rule, needle):
    # A valid rule first: validation must stop everything before the first AWS call.
    result = run_module(config_rules, {"rules": rules("netsec-s3-sse") + [rule]})
    assert result["failed"]
    assert needle in result["msg"]
    if rule["name"] == "netsec-x":
        assert "netsec-x" in result["msg"]


@pytest.mark.usefixtures("no_aws")
def test_duplicate_names_fail(run_module):
    result = run_module(config_rules, {"rules": rules("netsec-s3-sse") * 2})
    assert result["failed"] and "'netsec-s3-sse'" in result["msg"]


def test_aws_rejection_names_rule_and_reports_progress(aws, run_module):
    bad = {"name": "netsec-zz-unknown", "source_identifier": "NOT_A_MANAGED_RULE"}
    result = run_module(config_rules, {"rules": rules("netsec-s3-sse") + [bad]})
    assert result["failed"]
    assert "netsec-zz-unknown" in result["msg"]
    assert [c["resource"] for c in result["changes"]] == ["config_rule netsec-s3-sse"]
    assert result["changed"] is True
    assert set(live(aws)) == {"netsec-s3-sse"}


def test_input_parameter_conversion():
    convert = config_utils.input_parameters_to_strings
    assert convert({"a": 443, "b": [443, 5432], "c": True, "d": "x", "e": 1.5}) == {
        "a": "443",
        "b": "443,5432",
        "c": "true",
        "d": "x",
        "e": "1.5",
    }
    with pytest.raises(config_utils.ConfigValidationError, match="None"):
        convert({"a": None})
    assert config_utils.parse_input_parameters('{"p": 443}') == {"p": "443"}
    assert config_utils.parse_input_parameters("") == {}


def test_custom_lambda_rule_idempotent(aws, run_module):
    role = boto3.client("iam", region_name="us-east-1").create_role(RoleName="lambda", AssumeRolePolicyDocument="{}")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return None\n")
    function_arn = boto3.client("lambda", region_name="us-east-1").create_function(
        FunctionName="netsec-check",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )["FunctionArn"]
    rule = {
        "name": "netsec-custom",
        "owner": "CUSTOM_LAMBDA",
        "source_identifier": function_arn,
        # No frequency: AWS (and the emulator) store TwentyFour_Hours, which must not count as a change.
        "source_details": [{"message_type": "ScheduledNotification"}],
    }
    result = run_module(config_rules, {"rules": [rule]})
    assert not result["failed"], result
    assert result["rules"][0]["action"] == "created"
    details = live(aws)["netsec-custom"]["Source"]["SourceDetails"]
    assert details[0]["MaximumExecutionFrequency"] == "TwentyFour_Hours"
    assert run_module(config_rules, {"rules": [rule]})["changed"] is False
    rule["source_details"][0]["maximum_execution_frequency"] = "One_Hour"
    assert run_module(config_rules, {"rules": [rule]})["rules"][0]["action"] == "updated"
    assert live(aws)["netsec-custom"]["Source"]["SourceDetails"][0]["MaximumExecutionFrequency"] == "One_Hour"


@pytest.mark.usefixtures("aws")
def test_tagging_unsupported_is_tolerated(run_module, monkeypatch):
    run_module(config_rules, {"rules": rules("netsec-s3-sse"), "tags": {"Owner": "netsec"}})
    from moto.config.models import ConfigBackend
    from moto.core.exceptions import JsonRESTError

    def not_implemented(self, *args, **kwargs):
        raise JsonRESTError("NotImplemented", "tagging is not implemented here")

    monkeypatch.setattr(ConfigBackend, "list_tags_for_resource", not_implemented)
    result = run_module(config_rules, {"rules": rules("netsec-s3-sse"), "tags": {"Owner": "other"}})
    assert not result["failed"], result
    assert result["changed"] is False
    assert any("tags" in w for w in result.get("warnings", []))


# --------------------------------------------------------------------------- ownership, purge by suffix, the planner

OWNER = {"ManagedBy": "netsec.aws_peering", "Network": "core"}


def test_owner_tags_refuse_a_listed_rule_of_others_and_purge_only_ours(aws, run_module):
    ours = [{"name": "sg-open-core-prod", "source_identifier": "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS", "input_parameters": {}},
            {"name": "flow-core-prod", "source_identifier": "VPC_FLOW_LOGS_ENABLED"}]
    created = run_module(config_rules, {"rules": ours, "tags": OWNER})
    assert not created["failed"], created["msg"]
    aws.put_config_rule(ConfigRule={"ConfigRuleName": "theirs-core-prod", "Source": {"Owner": "AWS", "SourceIdentifier": "REQUIRED_TAGS"},
                                    "InputParameters": '{"tag1Key":"Owner"}'})
    aws.put_config_rule(ConfigRule={"ConfigRuleName": "flow-core-prod", "Source": {"Owner": "AWS", "SourceIdentifier": "VPC_FLOW_LOGS_ENABLED"}},
                        Tags=[{"Key": "ManagedBy", "Value": "someone"}])
    refused = run_module(config_rules, {"rules": ours, "tags": OWNER, "owner_tags": OWNER, "purge": True, "purge_suffix": "-core-prod"})
    assert refused["failed"] and "rules[name='flow-core-prod']: the rule exists but does not carry the tags" in refused["msg"]
    aws.tag_resource(ResourceArn=live(aws)["flow-core-prod"]["ConfigRuleArn"], Tags=[{"Key": k, "Value": v} for k, v in OWNER.items()])
    purged = run_module(config_rules, {"rules": ours[:1], "tags": OWNER, "owner_tags": OWNER, "purge": True, "purge_suffix": "-core-prod"})
    assert not purged["failed"], purged["msg"]
    assert [(c["resource"], c["action"]) for c in purged["changes"]] == [("config_rule flow-core-prod", "delete")]
    assert set(live(aws)) == {"sg-open-core-prod", "theirs-core-prod"}


def test_empty_input_parameters_remove_the_authorized_ports(aws, run_module):
    rule = {"name": "sg-open", "source_identifier": "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS", "input_parameters": {"authorizedTcpPorts": [443]}}
    run_module(config_rules, {"rules": [rule]})
    result = run_module(config_rules, {"rules": [dict(rule, input_parameters={})]}, diff=True)
    assert result["changed"] and [(c["field"], c["before"], c["after"]) for c in result["changes"]] == [
        ("input_parameters", {"authorizedTcpPorts": "443"}, {})]
    assert config_utils.parse_input_parameters(live(aws)["sg-open"].get("InputParameters")) == {}
    assert run_module(config_rules, {"rules": [dict(rule, input_parameters={})]})["changed"] is False


def test_the_module_and_the_planner_agree(aws, run_module):
    args = {"rules": rules("netsec-vpc-flow-logs", "netsec-required-tags"), "tags": OWNER}
    first = run_module(config_rules, args)
    assert config_utils.plan_rules(first["config_rules"], args) == []
    again = run_module(config_rules, args)
    assert again["changed"] is False and again["changes"] == []
