# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tables of cases for the flow logs and AWS Config stage planners (plugins/module_utils/observability_plan.py).

States are the site state's shapes (docs/dev/site-state.md). ``converged_*`` build a site where
everything is as the spec asks; each case changes one field and checks the plan names exactly it,
and the empty-account cases check that the plan, carried out (the set modules' projections), leaves
nothing to plan.
"""

from __future__ import annotations

import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.netsec.aws_peering.plugins.filter import observability_plans
from ansible_collections.netsec.aws_peering.plugins.module_utils import observability_plan as op
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import project_recording
from ansible_collections.netsec.aws_peering.plugins.module_utils.config import project_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import DEFAULT_LOG_FORMAT
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import project_flow_logs
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import project_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_bucket_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_delivery_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_key_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import config_trust_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flowlogs_bucket_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flowlogs_key_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import project_bucket

ACCOUNT = "111111111111"
REGION = "us-east-1"
NETWORK, SUFFIX = "trading", "sandbox"
VPC_ID = "vpc-0123456789abcdef0"
TAGS = {"CostCenter": "CC-4410", "Environment": "sandbox"}
BASE = dict(TAGS, Network=NETWORK, ManagedBy="netsec.aws_peering")
FL_BUCKET = f"flowlogs-{NETWORK}-{ACCOUNT}-{SUFFIX}"
FL_ALIAS = f"alias/flowlogs-{NETWORK}-{SUFFIX}"
FL_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
CF_BUCKET = f"config-{NETWORK}-{ACCOUNT}-{SUFFIX}"
CF_ALIAS = f"alias/config-{NETWORK}-{SUFFIX}"
CF_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/66666666-7777-8888-9999-000000000000"
ROLE = f"config-recorder-{NETWORK}-{SUFFIX}"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
RECORDER = f"config-recorder-{NETWORK}-{SUFFIX}"
CHANNEL = f"config-delivery-{NETWORK}-{SUFFIX}"
CONFIG_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
RULES = [
    {"slug": "vpc-flow-logs-enabled", "source_identifier": "VPC_FLOW_LOGS_ENABLED", "description": "Every VPC has a flow log.",
     "input_parameters": {"trafficType": "ALL"}, "maximum_execution_frequency": "TwentyFour_Hours"},
    {"slug": "vpc-sg-open-only-to-authorized-ports", "source_identifier": "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS",
     "description": "No world-open ingress.", "input_parameters": {}, "scope": {"compliance_resource_types": ["AWS::EC2::SecurityGroup"]}},
    {"slug": "required-tags", "source_identifier": "REQUIRED_TAGS", "description": "Tags.",
     "scope": {"compliance_resource_types": ["AWS::EC2::VPC", "AWS::S3::Bucket"]}},
]
REQUIRED_TAG_PARAMETERS = {"tag1Key": "CostCenter", "tag2Key": "Environment"}
NEEDED = ["AWS::EC2::SecurityGroup", "AWS::EC2::VPC", "AWS::S3::Bucket"]


def kms_tags(tags):
    return [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def key(alias, arn, description, policy):
    return {"KeyMetadata": {"KeyId": arn.rsplit("/", 1)[1], "Arn": arn, "Description": description, "KeyState": "Enabled", "Enabled": True,
                            "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT", "KeyUsage": "ENCRYPT_DECRYPT"},
            "Policy": policy, "KeyRotationEnabled": True, "Tags": kms_tags(dict(BASE, Name=alias[len("alias/"):]))}


def bucket(name, key_arn, policy, rule_id):
    return {"Name": name,
            "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                                      "BucketKeyEnabled": True}]},
            "PublicAccessBlock": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, "Versioning": {"Status": "Enabled"},
            "Policy": policy, "Tags": tag_list(dict(BASE, Name=name)),
            "Lifecycle": [{"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365},
                           "NoncurrentVersionExpiration": {"NoncurrentDays": 30}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}


def site(**extra):
    state = {"network_name": NETWORK, "environment_suffix": SUFFIX, "account_id": ACCOUNT, "partition": "aws", "region": REGION,
             "vpc": {"VpcId": VPC_ID, "CidrBlock": "10.0.0.0/16", "Tags": tag_list(dict(BASE, Name=f"vpc-{NETWORK}-{SUFFIX}"))},
             "flow_logs": [], "buckets": {}, "kms_keys": {}, "iam_roles": {},
             "config": {"recorders": [], "recorder_status": [], "delivery_channels": [], "rules": []}}
    state.update(extra)
    return state


def fl_spec(**extra):
    spec = {"network_name": NETWORK, "environment_suffix": SUFFIX, "account_id": ACCOUNT, "region": REGION, "tags": TAGS,
            "bucket_encryption": "aws:kms", "key_deletion_window": 30, "retention_days": 365, "noncurrent_retention_days": 30,
            "abort_incomplete_upload_days": 7, "traffic_type": "ALL", "capture_interval": 300, "max_aggregation_interval": 0,
            "log_format": "", "delete_audit_evidence": False, "check_mode": False}
    spec.update(extra)
    return spec


def flow_log(**changes):
    entry = {"FlowLogId": "fl-0123456789abcdef0", "ResourceId": VPC_ID, "TrafficType": "ALL", "LogDestinationType": "s3",
             "LogDestination": f"arn:aws:s3:::{FL_BUCKET}", "MaxAggregationInterval": 60, "LogFormat": DEFAULT_LOG_FORMAT,
             "FlowLogStatus": "ACTIVE", "Tags": tag_list(dict(BASE, Name=f"fl-{NETWORK}-{SUFFIX}"))}
    entry.update(changes)
    return entry


def converged_flowlogs():
    return site(
        kms_keys={FL_ALIAS: key(FL_ALIAS, FL_KEY, f"Encrypts the VPC flow logs of {NETWORK} in s3://{FL_BUCKET}",
                                flowlogs_key_policy(REGION, ACCOUNT, FL_ALIAS))},
        buckets={FL_BUCKET: bucket(FL_BUCKET, FL_KEY, flowlogs_bucket_policy(REGION, ACCOUNT, FL_BUCKET), "flowlogs-retention")},
        flow_logs=[flow_log()])


def cf_spec(**extra):
    spec = {"network_name": NETWORK, "environment_suffix": SUFFIX, "account_id": ACCOUNT, "region": REGION, "tags": TAGS,
            "reuse_existing": True, "start_reused_recorder": False, "include_global_resource_types": False,
            "delivery_frequency": "TwentyFour_Hours", "bucket_encryption": "aws:kms", "key_deletion_window": 30, "retention_days": 365,
            "noncurrent_retention_days": 30, "abort_incomplete_upload_days": 7, "allowed_ports": [], "rules": copy.deepcopy(RULES),
            "required_tag_keys": ["CostCenter", "Environment"],
            "delete_audit_evidence": False, "check_mode": False}
    spec.update(extra)
    return spec


def described_rule(spec_rule, **changes):
    name = f"{spec_rule['slug']}-{NETWORK}-{SUFFIX}"
    rule = {"ConfigRuleName": name, "ConfigRuleArn": f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/config-rule-{spec_rule['slug'][:6]}",
            "ConfigRuleId": "config-rule-x", "ConfigRuleState": "ACTIVE", "Description": spec_rule["description"],
            "Source": {"Owner": "AWS", "SourceIdentifier": spec_rule["source_identifier"]}, "Tags": tag_list(dict(BASE, Name=name))}
    parameters = spec_rule.get("input_parameters") or (REQUIRED_TAG_PARAMETERS if spec_rule["source_identifier"] == "REQUIRED_TAGS" else {})
    if parameters:
        rule["InputParameters"] = json.dumps(parameters)
    if spec_rule.get("scope"):
        rule["Scope"] = {"ComplianceResourceTypes": spec_rule["scope"]["compliance_resource_types"]}
    if spec_rule.get("maximum_execution_frequency"):
        rule["MaximumExecutionFrequency"] = spec_rule["maximum_execution_frequency"]
    rule.update(changes)
    return rule


def recorder(name=RECORDER, role=ROLE_ARN, **group):
    recording_group = {"allSupported": True, "includeGlobalResourceTypes": False, "resourceTypes": [],
                       "exclusionByResourceTypes": {"resourceTypes": []}, "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"}}
    recording_group.update(group)
    return {"name": name, "roleARN": role, "recordingGroup": recording_group}


def channel(name=CHANNEL, bucket_name=CF_BUCKET, key_arn=CF_KEY):
    out = {"name": name, "s3BucketName": bucket_name, "configSnapshotDeliveryProperties": {"deliveryFrequency": "TwentyFour_Hours"}}
    if key_arn:
        out["s3KmsKeyArn"] = key_arn
    return out


def role():
    return {"Role": {"RoleName": ROLE, "Arn": ROLE_ARN, "AssumeRolePolicyDocument": config_trust_policy(REGION, ACCOUNT),
                     "Description": f"AWS Config recorder of {NETWORK} ({SUFFIX})", "MaxSessionDuration": 3600,
                     "Tags": tag_list(dict(BASE, Name=ROLE))},
            "InlinePolicies": {"config-delivery": config_delivery_policy(REGION, ACCOUNT, CF_BUCKET, CF_KEY)},
            "AttachedPolicies": [{"PolicyArn": CONFIG_ROLE_POLICY, "PolicyName": "AWS_ConfigRole"}],
            "Tags": tag_list(dict(BASE, Name=ROLE))}


def converged_config():
    return site(
        kms_keys={CF_ALIAS: key(CF_ALIAS, CF_KEY, f"Encrypts the AWS Config deliveries of {NETWORK} in s3://{CF_BUCKET}",
                                config_key_policy(REGION, ACCOUNT, CF_ALIAS))},
        buckets={CF_BUCKET: bucket(CF_BUCKET, CF_KEY, config_bucket_policy(REGION, ACCOUNT, CF_BUCKET), "config-retention")},
        iam_roles={ROLE: role()},
        config={"recorders": [recorder()], "recorder_status": [{"name": RECORDER, "recording": True}],
                "delivery_channels": [channel()], "rules": [described_rule(r) for r in RULES]})


def fields(plan):
    return [(c["resource"], c["action"], c["field"]) for c in plan["changes"]]


# ---------------------------------------------------------------------------
# Flow logs stage
# ---------------------------------------------------------------------------

def test_converged_flowlogs_plan_nothing_and_say_the_interval_mapping():
    plan = op.plan_flowlogs(converged_flowlogs(), fl_spec())
    assert plan["errors"] == [] and plan["changes"] == []
    assert plan["notes"] == [f"flow log fl-{NETWORK}-{SUFFIX}: capture_interval 300 s mapped to max_aggregation_interval 60 s "
                             "(AWS accepts 60 or 600 only)"]
    assert plan["result"] == {"flowlogs_bucket": FL_BUCKET, "flowlogs_bucket_arn": f"arn:aws:s3:::{FL_BUCKET}",
                              "flowlogs_kms_key_arn": FL_KEY, "flow_log_id": "fl-0123456789abcdef0"}


def _drift(path, value):
    def apply(state):
        target = state
        for part in path[:-1]:
            target = target[part]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return state
    return apply


DELETE = object()
WITHOUT_COSTCENTER = {"ManagedBy": "netsec.aws_peering", "Network": NETWORK, "Environment": "sandbox"}
FL_BASE_TAGS = tag_list(dict(BASE, Name=FL_BUCKET))


@pytest.mark.parametrize("label, drift, expected", [
    ("key policy", _drift(["kms_keys", FL_ALIAS, "Policy"], {"Version": "2012-10-17", "Statement": []}),
     [(f"kms_key {FL_ALIAS}", "update", "Policy")]),
    ("key rotation off", _drift(["kms_keys", FL_ALIAS, "KeyRotationEnabled"], False), [(f"kms_key {FL_ALIAS}", "update", "KeyRotationEnabled")]),
    ("key description", _drift(["kms_keys", FL_ALIAS, "KeyMetadata", "Description"], "x"), [(f"kms_key {FL_ALIAS}", "update", "Description")]),
    ("key disabled", _drift(["kms_keys", FL_ALIAS, "KeyMetadata", "KeyState"], "Disabled"), [(f"kms_key {FL_ALIAS}", "update", "KeyState")]),
    ("key CostCenter tag missing", _drift(["kms_keys", FL_ALIAS, "Tags"], kms_tags({"ManagedBy": "netsec.aws_peering",
                                                                                    "Name": FL_ALIAS[6:]})),
     [(f"kms_key {FL_ALIAS}", "update", "Tags")]),
    ("block public access off", _drift(["buckets", FL_BUCKET, "PublicAccessBlock"], {"BlockPublicAcls": False}),
     [(f"s3_bucket {FL_BUCKET}", "update", "PublicAccessBlock")]),
    ("block public access deleted", _drift(["buckets", FL_BUCKET, "PublicAccessBlock"], None),
     [(f"s3_bucket {FL_BUCKET}", "update", "PublicAccessBlock")]),
    ("encryption by another key", _drift(["buckets", FL_BUCKET, "Encryption", "Rules", 0, "ApplyServerSideEncryptionByDefault", "KMSMasterKeyID"],
                                         CF_KEY), [(f"s3_bucket {FL_BUCKET}", "update", "Encryption")]),
    ("versioning suspended", _drift(["buckets", FL_BUCKET, "Versioning"], {"Status": "Suspended"}),
     [(f"s3_bucket {FL_BUCKET}", "update", "Versioning")]),
    ("policy removed", _drift(["buckets", FL_BUCKET, "Policy"], None), [(f"s3_bucket {FL_BUCKET}", "update", "Policy")]),
    ("ownership", _drift(["buckets", FL_BUCKET, "OwnershipControls"], {"Rules": [{"ObjectOwnership": "ObjectWriter"}]}),
     [(f"s3_bucket {FL_BUCKET}", "update", "OwnershipControls")]),
    ("bucket CostCenter tag missing", _drift(["buckets", FL_BUCKET, "Tags"], [t for t in FL_BASE_TAGS if t["Key"] != "CostCenter"]),
     [(f"s3_bucket {FL_BUCKET}", "update", "Tags")]),
    ("lifecycle removed", _drift(["buckets", FL_BUCKET, "Lifecycle"], None), [(f"s3_bucket {FL_BUCKET}", "update", "Lifecycle")]),
    ("flow log deleted", _drift(["flow_logs"], []), [(f"flow_log fl-{NETWORK}-{SUFFIX}", "create", "flow_log")]),
    ("flow log CostCenter tag missing", _drift(["flow_logs"], [flow_log(Tags=tag_list(WITHOUT_COSTCENTER | {"Name": "fl-trading-sandbox"}))]),
     [("flow_log fl-0123456789abcdef0", "update", "tags")]),
    ("flow log of rejected traffic only", _drift(["flow_logs"], [flow_log(TrafficType="REJECT")]),
     [("flow_log fl-0123456789abcdef0", "delete", "flow_log"), (f"flow_log fl-{NETWORK}-{SUFFIX}", "create", "flow_log")]),
    ("flow log aggregating over 600 s", _drift(["flow_logs"], [flow_log(MaxAggregationInterval=600)]),
     [("flow_log fl-0123456789abcdef0", "delete", "flow_log"), (f"flow_log fl-{NETWORK}-{SUFFIX}", "create", "flow_log")]),
    ("duplicate flow log of ours", _drift(["flow_logs"], [flow_log(), flow_log(FlowLogId="fl-00000000000000001")]),
     [("flow_log fl-00000000000000001", "delete", "flow_log")]),
])
def test_flowlogs_each_field_drifting(label, drift, expected):
    plan = op.plan_flowlogs(drift(converged_flowlogs()), fl_spec())
    assert plan["errors"] == [], label
    assert fields(plan) == expected, label


def test_deleted_flow_log_is_created_with_its_tags_and_mapped_interval():
    plan = op.plan_flowlogs(site(**{k: v for k, v in converged_flowlogs().items() if k != "flow_logs"}, flow_logs=[]), fl_spec())
    create = plan["flow_log"]["changes"][0]
    assert create["request"]["MaxAggregationInterval"] == 60
    assert create["request"]["TagSpecifications"][0]["ResourceType"] == "vpc-flow-log"
    assert {t["Key"]: t["Value"] for t in create["request"]["TagSpecifications"][0]["Tags"]}["CostCenter"] == "CC-4410"
    assert plan["flow_log"]["options"]["capture_interval"] == 300 and "max_aggregation_interval" not in plan["flow_log"]["options"]


@pytest.mark.parametrize("label, state, needle", [
    ("flow log of others to our bucket", converged_flowlogs() | {"flow_logs": [flow_log(Tags=[])]}, "do not carry the tag ManagedBy"),
    ("bucket of others with our name", converged_flowlogs() | {"buckets": {FL_BUCKET: dict(bucket(FL_BUCKET, FL_KEY, None, "x"), Tags=[])}},
     "not managed by this collection"),
    ("another account", converged_flowlogs() | {"account_id": "222222222222"}, "the session acts in account 222222222222"),
    ("state without the scope", {k: v for k, v in converged_flowlogs().items() if k != "buckets"}, "has no buckets"),
])
def test_flowlogs_refusals(label, state, needle):
    plan = op.plan_flowlogs(state, fl_spec())
    assert any(needle in error for error in plan["errors"]), (label, plan["errors"])


@pytest.mark.parametrize("planner, spec", [(op.plan_flowlogs, fl_spec), (op.plan_config, cf_spec)])
def test_the_former_state_variable_stops_the_plan(planner, spec):
    """teardown.yml used to pass <stage>_state: absent; with main that would converge instead of removing."""
    stage = "flowlogs" if planner is op.plan_flowlogs else "config"
    plan = planner(site(), spec(legacy_state="absent"))
    assert plan["errors"] == [f"{stage}_state: 'absent' is no longer read; the role's entry points are main (converge), info and absent: "
                              "use include_role with tasks_from: absent"]
    assert plan["changes"] == []
    teardown = op.plan_flowlogs_teardown if stage == "flowlogs" else op.plan_config_teardown
    assert teardown(site(), spec(legacy_state="absent"))["errors"] == []


def test_flowlogs_missing_vpc_is_planned_in_check_mode_and_refused_otherwise():
    empty = site(vpc=None)
    checked = op.plan_flowlogs(empty, fl_spec(check_mode=True))
    assert checked["errors"] == []
    assert fields(checked) == [(f"kms_key {FL_ALIAS}", "create", "key"), (f"kms_key {FL_ALIAS}", "create", "alias"),
                               (f"kms_key {FL_ALIAS}", "create", "KeyRotationEnabled"), (f"s3_bucket {FL_BUCKET}", "create", "bucket")] + [
        (f"s3_bucket {FL_BUCKET}", "create", field) for field in ("Tags", "PublicAccessBlock", "Encryption", "Versioning", "Policy", "Lifecycle")] + [
        (f"flow_log fl-{NETWORK}-{SUFFIX}", "create", "flow_log")]
    encryption = next(c for c in checked["changes"] if c["field"] == "Encryption")
    assert encryption["after"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == f"(the ARN of {FL_ALIAS}, created by this run)"
    refused = op.plan_flowlogs(empty, fl_spec())
    assert refused["errors"] == [f"flow log fl-{NETWORK}-{SUFFIX}: the site's VPC vpc-{NETWORK}-{SUFFIX} does not exist; "
                                 "run the network stage (playbooks/network.yml) first"]


def test_flowlogs_empty_account_converges_in_one_pass():
    """The plan, carried out (the modules' projections, the key getting its ARN), leaves nothing to plan."""
    state = site()
    plan = op.plan_flowlogs(state, fl_spec())
    assert plan["errors"] == []
    keys = project_keys(state["kms_keys"], plan["key"]["changes"])
    keys[FL_ALIAS]["KeyMetadata"].update(KeyId=FL_KEY.rsplit("/", 1)[1], Arn=FL_KEY)
    keys[FL_ALIAS]["KeyRotationEnabled"] = True
    state = dict(state, kms_keys=keys)
    plan = op.plan_flowlogs(state, fl_spec())  # the role plans again with the key's ARN
    assert [c["field"] for c in plan["key"]["changes"]] == []
    state["buckets"] = {FL_BUCKET: project_bucket(None, plan["bucket"]["changes"])}
    created = project_flow_logs(state["flow_logs"], plan["flow_log"]["changes"])
    created[0]["FlowLogId"] = "fl-0000000000000000a"
    state["flow_logs"] = created
    assert op.plan_flowlogs(state, fl_spec())["changes"] == []


def test_flowlogs_sse_s3_has_no_key():
    state = converged_flowlogs()
    state["buckets"][FL_BUCKET]["Encryption"] = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                                           "BucketKeyEnabled": False}]}
    plan = op.plan_flowlogs(state, fl_spec(bucket_encryption="AES256"))
    assert plan["changes"] == [] and plan["key"] == {"changes": [], "options": {}}
    assert plan["result"]["flowlogs_kms_key_arn"] == ""


def test_flowlogs_max_aggregation_interval_is_passed_without_a_note():
    plan = op.plan_flowlogs(converged_flowlogs(), fl_spec(max_aggregation_interval=60))
    assert plan["changes"] == [] and plan["notes"] == []
    assert plan["flow_log"]["options"]["max_aggregation_interval"] == 60 and "capture_interval" not in plan["flow_log"]["options"]


def test_flowlogs_teardown_keeps_the_evidence_by_default_and_twice_changes_nothing():
    state = converged_flowlogs()
    plan = op.plan_flowlogs_teardown(state, fl_spec())
    assert fields(plan) == [("flow_log fl-0123456789abcdef0", "delete", "flow_log")]
    assert plan["notes"] == [f"kept bucket {FL_BUCKET} and key {FL_ALIAS} (audit evidence: kept for the auditors' retention of 365 days; "
                             "set delete_audit_evidence to delete it)"]
    after = dict(state, flow_logs=[])
    again = op.plan_flowlogs_teardown(after, fl_spec())
    assert again["changes"] == [] and again["errors"] == []
    gone = op.plan_flowlogs_teardown(site(vpc=None, flow_logs=[]), fl_spec())
    assert gone["changes"] == [] and gone["notes"] == []


def test_flowlogs_teardown_with_delete_audit_evidence_leaves_nothing():
    state = converged_flowlogs()
    plan = op.plan_flowlogs_teardown(state, fl_spec(delete_audit_evidence=True))
    assert fields(plan) == [("flow_log fl-0123456789abcdef0", "delete", "flow_log"), (f"s3_bucket {FL_BUCKET}", "delete", "bucket"),
                            (f"kms_key {FL_ALIAS}", "delete", "key"), (f"kms_key {FL_ALIAS}", "delete", "alias")]
    assert plan["bucket"]["options"] == {"name": FL_BUCKET, "state": "absent", "force": True, "require_owner_tag": True}
    assert plan["key"]["changes"][0]["after"]["PendingWindowInDays"] == 30
    after = dict(state, flow_logs=[], buckets={FL_BUCKET: None}, kms_keys={FL_ALIAS: None})
    assert op.plan_flowlogs_teardown(after, fl_spec(delete_audit_evidence=True))["changes"] == []


def test_flowlogs_teardown_never_deletes_a_flow_log_of_others():
    state = converged_flowlogs()
    state["flow_logs"] = [flow_log(Tags=[])]
    plan = op.plan_flowlogs_teardown(state, fl_spec())
    assert plan["errors"] and "refusing to delete" in plan["errors"][0]
    other_destination = converged_flowlogs()
    other_destination["flow_logs"] = [flow_log(LogDestination="arn:aws:s3:::someone-else", Tags=[])]
    assert op.plan_flowlogs_teardown(other_destination, fl_spec())["changes"] == []


# ---------------------------------------------------------------------------
# AWS Config stage
# ---------------------------------------------------------------------------

def test_converged_config_plans_nothing():
    plan = op.plan_config(converged_config(), cf_spec())
    assert plan["errors"] == [] and plan["changes"] == [] and plan["notes"] == []
    assert plan["result"] == {"config_bucket": CF_BUCKET, "config_recorder_name": RECORDER, "config_recorder_reused": False,
                              "config_recorder_recording": True,
                              "config_rule_names": sorted(f"{r['slug']}-{NETWORK}-{SUFFIX}" for r in RULES)}
    assert [r["action"] for r in plan["info"]["rules"]] == ["unchanged"] * 3
    assert plan["info"]["recording"] is True and plan["info"]["recorder_reused"] is False


SG_RULE = f"vpc-sg-open-only-to-authorized-ports-{NETWORK}-{SUFFIX}"
FLOW_RULE = f"vpc-flow-logs-enabled-{NETWORK}-{SUFFIX}"
TAGS_RULE = f"required-tags-{NETWORK}-{SUFFIX}"


def rule_drift(index, **changes):
    def apply(state):
        state["config"]["rules"][index].update(changes)
        return state
    return apply


@pytest.mark.parametrize("label, drift, expected", [
    ("rule authorizes 443,5432", rule_drift(1, InputParameters='{"authorizedTcpPorts":"443,5432"}'),
     [(f"config_rule {SG_RULE}", "update", "input_parameters")]),
    ("rule description", rule_drift(0, Description="x"), [(f"config_rule {FLOW_RULE}", "update", "description")]),
    ("rule scope", rule_drift(2, Scope={"ComplianceResourceTypes": ["AWS::EC2::VPC"]}), [(f"config_rule {TAGS_RULE}", "update", "scope")]),
    ("rule frequency", rule_drift(0, MaximumExecutionFrequency="One_Hour"),
     [(f"config_rule {FLOW_RULE}", "update", "maximum_execution_frequency")]),
    ("rule identifier", rule_drift(0, Source={"Owner": "AWS", "SourceIdentifier": "VPC_DEFAULT_SECURITY_GROUP_CLOSED"}),
     [(f"config_rule {FLOW_RULE}", "update", "source_identifier")]),
    ("rule CostCenter tag missing", rule_drift(2, Tags=tag_list(WITHOUT_COSTCENTER | {"Name": TAGS_RULE})),
     [(f"config_rule {TAGS_RULE}", "update", "tags")]),
    ("rule deleted", lambda s: s["config"].update(rules=s["config"]["rules"][:2]) or s, [(f"config_rule {TAGS_RULE}", "create", "rule")]),
    ("rule of ours no longer listed", lambda s: s["config"]["rules"].append(described_rule(dict(RULES[0], slug="old-rule"))) or s,
     [(f"config_rule old-rule-{NETWORK}-{SUFFIX}", "delete", "rule")]),
    ("rule of others with our ending", lambda s: s["config"]["rules"].append(described_rule(dict(RULES[0], slug="theirs"), Tags=[])) or s, []),
    ("recorder records a list", _drift(["config", "recorders", 0], recorder(allSupported=False, resourceTypes=["AWS::EC2::VPC"])),
     [(f"config_recorder {RECORDER}", "update", "recorder")]),
    ("recorder role", _drift(["config", "recorders", 0, "roleARN"], f"arn:aws:iam::{ACCOUNT}:role/other"),
     [(f"config_recorder {RECORDER}", "update", "recorder")]),
    ("recorder stopped", _drift(["config", "recorder_status", 0, "recording"], False), [(f"config_recorder {RECORDER}", "update", "recording")]),
    ("channel to another bucket", _drift(["config", "delivery_channels", 0, "s3BucketName"], "elsewhere"),
     [(f"config_delivery_channel {CHANNEL}", "update", "delivery_channel")]),
    ("channel without the key", _drift(["config", "delivery_channels", 0], channel(key_arn=None)),
     [(f"config_delivery_channel {CHANNEL}", "update", "delivery_channel")]),
    ("channel deleted", _drift(["config", "delivery_channels"], []), [(f"config_delivery_channel {CHANNEL}", "create", "delivery_channel")]),
    ("role trust", _drift(["iam_roles", ROLE, "Role", "AssumeRolePolicyDocument"], config_trust_policy(REGION, "222222222222")),
     [(f"iam_role {ROLE}", "update", "AssumeRolePolicyDocument")]),
    ("role description", _drift(["iam_roles", ROLE, "Role", "Description"], "x"), [(f"iam_role {ROLE}", "update", "Description")]),
    ("role CostCenter tag missing", _drift(["iam_roles", ROLE, "Role", "Tags"], tag_list(WITHOUT_COSTCENTER | {"Name": ROLE})),
     [(f"iam_role {ROLE}", "update", "Tags")]),
    ("role with another managed policy", _drift(["iam_roles", ROLE, "AttachedPolicies"], [{"PolicyArn": "arn:aws:iam::aws:policy/Admin"}]),
     [(f"iam_role {ROLE}", "update", "AttachedPolicies")]),
    ("role inline policy", _drift(["iam_roles", ROLE, "InlinePolicies", "config-delivery"], config_delivery_policy(REGION, ACCOUNT, CF_BUCKET)),
     [(f"iam_role_policy {ROLE}/config-delivery", "update", "PolicyDocument")]),
    ("role inline policy deleted", _drift(["iam_roles", ROLE, "InlinePolicies"], {}),
     [(f"iam_role_policy {ROLE}/config-delivery", "create", "PolicyDocument")]),
    ("bucket CostCenter tag missing", _drift(["buckets", CF_BUCKET, "Tags"], tag_list(WITHOUT_COSTCENTER | {"Name": CF_BUCKET})),
     [(f"s3_bucket {CF_BUCKET}", "update", "Tags")]),
    ("key rotation off", _drift(["kms_keys", CF_ALIAS, "KeyRotationEnabled"], False), [(f"kms_key {CF_ALIAS}", "update", "KeyRotationEnabled")]),
])
def test_config_each_field_drifting(label, drift, expected):
    plan = op.plan_config(drift(converged_config()), cf_spec())
    assert plan["errors"] == [], (label, plan["errors"])
    assert fields(plan) == expected, label


def test_the_sg_rule_authorizes_no_port_unless_an_exception_is_listed():
    state = converged_config()
    state["config"]["rules"][1]["InputParameters"] = '{"authorizedTcpPorts":"443,5432"}'
    change = op.plan_config(state, cf_spec())["rules"]["changes"][0]
    assert (change["before"], change["after"]) == ({"authorizedTcpPorts": "443,5432"}, {})
    plan = op.plan_config(converged_config(), cf_spec(allowed_ports=[8443]))
    assert fields(plan) == [(f"config_rule {SG_RULE}", "update", "input_parameters")]
    assert plan["rules"]["changes"][0]["after"] == {"authorizedTcpPorts": "8443"}
    assert "config_allowed_ports [8443]" in plan["notes"][0]


def test_required_tags_parameters_come_from_the_required_tag_keys():
    plan = op.plan_config(converged_config(), cf_spec(required_tag_keys=["CostCenter", "Environment", "Owner"]))
    change = plan["rules"]["changes"][0]
    assert (change["resource"], change["field"]) == (f"config_rule {TAGS_RULE}", "input_parameters")
    assert change["after"] == {"tag1Key": "CostCenter", "tag2Key": "Environment", "tag3Key": "Owner"}
    rules = copy.deepcopy(RULES)
    rules[2]["input_parameters"] = {"tag1Key": "Team"}
    assert op.plan_config(converged_config(), cf_spec(rules=rules))["rules"]["changes"][0]["after"] == {"tag1Key": "Team"}


@pytest.mark.parametrize("label, state, needle", [
    ("rule of others with our name", converged_config() | {"config": dict(converged_config()["config"], rules=[
        described_rule(RULES[0], Tags=tag_list({"Name": "x"}))] + [described_rule(r) for r in RULES[1:]])},
     f"rules[name='{FLOW_RULE}']: the rule exists but does not carry the tags"),
    ("role of others with our name", converged_config() | {"iam_roles": {ROLE: dict(role(), Role=dict(role()["Role"], Tags=[]), Tags=[])}},
     f"IAM role {ROLE} exists but does not carry the tags"),
    ("bucket of others with our name", converged_config() | {"buckets": {CF_BUCKET: dict(bucket(CF_BUCKET, CF_KEY, None, "x"), Tags=[])}},
     "not managed by this collection"),
])
def test_config_refuses_what_is_not_ours(label, state, needle):
    plan = op.plan_config(state, cf_spec())
    assert any(needle in error for error in plan["errors"]), (label, plan["errors"])


def foreign(recording=True, with_channel=True, **group):
    state = site()
    state["config"] = {"recorders": [recorder("default", f"arn:aws:iam::{ACCOUNT}:role/theirs", **group)],
                       "recorder_status": [{"name": "default", "recording": recording}],
                       "delivery_channels": [channel("default", "their-bucket", None)] if with_channel else [], "rules": []}
    return state


@pytest.mark.parametrize("label, group, missing", [
    ("a list without the rules' types", {"allSupported": False, "resourceTypes": ["AWS::EC2::VPC"],
                                         "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}},
     "AWS::EC2::SecurityGroup, AWS::S3::Bucket"),
    ("all but excluded types", {"allSupported": False, "exclusionByResourceTypes": {"resourceTypes": ["AWS::S3::Bucket", "AWS::IAM::User"]},
                                "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}}, "AWS::S3::Bucket"),
])
def test_a_reused_recorder_missing_types_stops_the_plan_before_any_change(label, group, missing):
    plan = op.plan_config(foreign(**group), cf_spec())
    assert len(plan["errors"]) == 1, label
    assert f"the configuration recorder 'default' (not ours: reused, AWS allows one per account and region) does not record {missing}," \
        in plan["errors"][0], label


@pytest.mark.parametrize("group", [
    {},
    {"allSupported": False, "resourceTypes": NEEDED + ["AWS::EC2::Subnet"], "recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}},
    {"allSupported": False, "exclusionByResourceTypes": {"resourceTypes": ["AWS::IAM::User"]},
     "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"}},
])
def test_a_reused_recorder_and_channel_need_no_bucket_key_or_role(group):
    plan = op.plan_config(foreign(**group), cf_spec())
    assert plan["errors"] == []
    assert [c["resource"].split(" ")[0] for c in plan["changes"]] == ["config_rule"] * 3
    assert plan["result"]["config_recorder_reused"] is True and plan["result"]["config_bucket"] == "their-bucket"
    assert plan["info"]["delivery_channel_reused"] is True


def test_a_stopped_reused_recorder_is_reported_never_started_unless_asked():
    state = foreign(recording=False, with_channel=False)
    plan = op.plan_config(state, cf_spec())
    assert plan["errors"] == []
    assert not [c for c in plan["changes"] if c["field"] == "recording"]
    assert "'default' is not ours (reused) and is stopped" in plan["notes"][0]
    assert (f"config_delivery_channel {CHANNEL}", "create", "delivery_channel") in fields(plan)
    assert plan["role"] == {"changes": [], "options": {}}, "a reused recorder uses its own role"
    asked = op.plan_config(state, cf_spec(start_reused_recorder=True))
    assert ("config_recorder default", "update", "recording") in fields(asked)


def test_reuse_existing_false_stops_the_plan():
    plan = op.plan_config(foreign(), cf_spec(reuse_existing=False))
    assert plan["errors"] == ["configuration recorder: a configuration recorder named 'default' already exists (AWS allows one per account "
                              "and region) and reuse_existing is false; reuse it, or manage it under its own name"]


def test_config_empty_account_in_check_mode_plans_everything_and_converges_in_one_pass():
    state = site(vpc=None)
    plan = op.plan_config(state, cf_spec(check_mode=True))
    assert plan["errors"] == []
    kinds = [(c["resource"].split(" ")[0], c["action"]) for c in plan["changes"]]
    assert kinds[:3] == [("kms_key", "create")] * 3
    assert ("iam_role", "create") in kinds and ("iam_role_policy", "create") in kinds
    assert [c["field"] for c in plan["recorder"]["changes"]] == ["recorder", "delivery_channel", "recording"]
    assert [c["action"] for c in plan["rules"]["changes"]] == ["create"] * 3
    channel_change = plan["recorder"]["changes"][1]
    assert channel_change["after"]["s3_kms_key_arn"] == f"(the ARN of {CF_ALIAS}, created by this run)"
    # Carried out: the key gets its ARN, the role plans again, then everything else.
    keys = project_keys({}, plan["key"]["changes"])
    keys[CF_ALIAS]["KeyMetadata"].update(KeyId=CF_KEY.rsplit("/", 1)[1], Arn=CF_KEY)
    keys[CF_ALIAS]["KeyRotationEnabled"] = True
    state = dict(state, kms_keys=keys)
    plan = op.plan_config(state, cf_spec())
    state["buckets"] = {CF_BUCKET: project_bucket(None, plan["bucket"]["changes"])}
    state["iam_roles"] = {ROLE: role()}
    config = project_recording(state["config"], plan["recorder"]["changes"])
    config["rules"] = [dict(r, ConfigRuleArn=f"arn:aws:config:{REGION}:{ACCOUNT}:config-rule/{r['ConfigRuleName']}")
                       for r in project_rules([], plan["rules"]["changes"])]
    state["config"] = config
    after = op.plan_config(state, cf_spec())
    assert after["changes"] == [], fields(after)


def test_config_teardown_keeps_the_evidence_by_default_and_twice_changes_nothing():
    state = converged_config()
    plan = op.plan_config_teardown(state, cf_spec())
    assert fields(plan) == [(f"config_rule {r}", "delete", "rule") for r in sorted((FLOW_RULE, SG_RULE, TAGS_RULE))] + [
        (f"config_recorder {RECORDER}", "update", "recording"), (f"config_recorder {RECORDER}", "delete", "recorder"),
        (f"config_delivery_channel {CHANNEL}", "delete", "delivery_channel"), (f"iam_role {ROLE}", "delete", "role")]
    assert "kept bucket" in plan["notes"][0]
    after = dict(state, iam_roles={ROLE: None}, config={"recorders": [], "recorder_status": [], "delivery_channels": [], "rules": []})
    again = op.plan_config_teardown(after, cf_spec())
    assert again["changes"] == [] and again["errors"] == []


def test_config_teardown_with_delete_audit_evidence_deletes_bucket_and_key():
    plan = op.plan_config_teardown(converged_config(), cf_spec(delete_audit_evidence=True))
    assert fields(plan)[-3:] == [(f"s3_bucket {CF_BUCKET}", "delete", "bucket"), (f"kms_key {CF_ALIAS}", "delete", "key"),
                                 (f"kms_key {CF_ALIAS}", "delete", "alias")]
    empty = site(buckets={CF_BUCKET: None}, kms_keys={CF_ALIAS: None}, iam_roles={ROLE: None})
    assert op.plan_config_teardown(empty, cf_spec(delete_audit_evidence=True))["changes"] == []


def test_config_teardown_with_a_reused_recorder_deletes_our_channel_and_only_stops_the_recorder():
    state = foreign(with_channel=False)
    state["config"]["delivery_channels"] = [channel()]
    state["config"]["rules"] = [described_rule(r) for r in RULES] + [described_rule(dict(RULES[0], slug="theirs"), Tags=[])]
    plan = op.plan_config_teardown(state, cf_spec(delete_audit_evidence=True))
    assert plan["errors"] == []
    assert [f for f in fields(plan) if not f[0].startswith("config_rule")] == [
        ("config_recorder default", "update", "recording"), (f"config_delivery_channel {CHANNEL}", "delete", "delivery_channel")]
    assert f"config_rule theirs-{NETWORK}-{SUFFIX}" not in [c["resource"] for c in plan["changes"]]
    assert "stopped, not deleted" in plan["notes"][0]


def test_config_teardown_keeps_a_bucket_another_channel_delivers_to():
    state = converged_config()
    state["config"]["delivery_channels"] = [channel("default", CF_BUCKET, None)]
    plan = op.plan_config_teardown(state, cf_spec(delete_audit_evidence=True))
    assert plan["bucket"] == {"changes": [], "options": {}} and plan["key"] == {"changes": [], "options": {}}
    assert any("the delivery channel default, which is not ours, delivers to it" in note for note in plan["notes"])


# ---------------------------------------------------------------------------
# The role's planner mirrors amazon.aws.iam_role / iam_policy (see also the moto test in tests/unit/plugins/modules)
# ---------------------------------------------------------------------------

def desired_role(**changes):
    out = {"name": ROLE, "trust": config_trust_policy(REGION, ACCOUNT), "description": f"AWS Config recorder of {NETWORK} ({SUFFIX})",
           "managed_policies": [CONFIG_ROLE_POLICY], "inline_policies": {"config-delivery": config_delivery_policy(REGION, ACCOUNT, CF_BUCKET, CF_KEY)},
           "tags": dict(BASE, Name=ROLE)}
    out.update(changes)
    return out


def test_service_role_compares_what_the_stock_modules_compare():
    assert op.plan_service_role(role(), desired_role()) == ([], [])
    # Semantically equal documents (order, one-element lists) are no change, as compare_policies decides.
    reordered = copy.deepcopy(role())
    statement = reordered["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    statement["Action"] = [statement["Action"]]
    assert op.plan_service_role(reordered, desired_role()) == ([], [])
    # Max session is compared only when given; an unlisted inline policy is left (iam_policy leaves it).
    extra = copy.deepcopy(role())
    extra["InlinePolicies"]["theirs"] = {"Version": "2012-10-17", "Statement": []}
    assert op.plan_service_role(extra, desired_role()) == ([], [])
    roles = op.plan_service_role(role(), desired_role(max_session_duration=7200))[0]
    assert [c["field"] for c in roles] == ["MaxSessionDuration"]


# ---------------------------------------------------------------------------
# Record, and the filters
# ---------------------------------------------------------------------------

def test_merge_results_takes_the_modules_answers_and_ignores_skipped_ones():
    state = converged_flowlogs()
    key_answer = {"changed": True, "kms_keys": {FL_ALIAS: None}, "changes": []}
    bucket_answer = {"changed": True, "bucket": None, "changes": [{"resource": f"s3_bucket {FL_BUCKET}", "action": "delete"}]}
    flow_answer = {"changed": True, "flow_logs": [], "changes": [{"id": "fl-0123456789abcdef0", "action": "delete"}]}
    merged = op.merge_results(state, [{"skipped": True, "changed": False}, key_answer, bucket_answer, flow_answer])
    assert merged["kms_keys"][FL_ALIAS] is None and merged["buckets"][FL_BUCKET] is None and merged["flow_logs"] == []
    assert state["flow_logs"], "the input is not changed"
    rules = converged_config()
    answer = {"changed": True, "config_rules": [], "changes": [{"resource": f"config_rule {FLOW_RULE}", "action": "delete"}],
              "config": {"recorders": [], "recorder_status": [], "delivery_channels": []}}
    merged = op.merge_results(rules, [answer])
    assert [r["ConfigRuleName"] for r in merged["config"]["rules"]] == [SG_RULE, TAGS_RULE]
    assert merged["config"]["recorders"] == []


def test_filters_wrap_the_planners_and_refuse_bad_input():
    filters = observability_plans.FilterModule().filters()
    assert filters["flowlogs_plan"](converged_flowlogs(), fl_spec())["changes"] == []
    assert filters["config_plan"](converged_config(), cf_spec())["changes"] == []
    assert filters["flowlogs_teardown_plan"](converged_flowlogs(), fl_spec())["changes"]
    assert filters["config_teardown_plan"](converged_config(), cf_spec())["changes"]
    assert filters["observability_state"](converged_flowlogs(), [])["flow_logs"]
    with pytest.raises(AnsibleFilterError, match="flowlogs_plan: expects the site state"):
        filters["flowlogs_plan"]("state", fl_spec())
