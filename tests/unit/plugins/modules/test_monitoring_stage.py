"""The monitoring stage against moto in-process: discovery, the plan, and the very modules the role runs.

Each step of ``plan_monitoring`` is carried out by its module (stock or ours) with the options the plan
gives it, as roles/monitoring/tasks/main.yml does. The tests show that the plan and the modules agree:
after a converge the plan is empty and every module, run again in check mode, reports no change; a
drifted resource is planned under the step whose module, in check mode, reports the change, and one run
of that module repairs it. Teardown removes only what is ours, and a second teardown plans nothing.
"""

from __future__ import annotations

import json

import boto3
import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from moto import mock_aws

from ansible_collections.amazon.aws.plugins.modules import cloudwatchlogs_log_group
from ansible_collections.amazon.aws.plugins.modules import iam_policy
from ansible_collections.amazon.aws.plugins.modules import iam_role
from ansible_collections.community.aws.plugins.modules import sns_topic
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import discover
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import plan_monitoring
from ansible_collections.netsec.aws_peering.plugins.module_utils.monitoring_plan import plan_monitoring_teardown
from ansible_collections.netsec.aws_peering.plugins.modules import cloudwatch_alarms
from ansible_collections.netsec.aws_peering.plugins.modules import cloudwatch_dashboard
from ansible_collections.netsec.aws_peering.plugins.modules import event_rules
from ansible_collections.netsec.aws_peering.plugins.modules import kms_keys
from ansible_collections.netsec.aws_peering.plugins.modules import log_metric_filters
from ansible_collections.netsec.aws_peering.plugins.modules import sns_topic_encryption
from ansible_collections.netsec.aws_peering.plugins.modules import vpc_flow_log

REGION = "us-east-1"
ACCOUNT = "123456789012"
SITE = "trading-sandbox"
FORMAT = ("${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
          "${bytes} ${start} ${end} ${action} ${log-status}")
OURS = {"ManagedBy": "netsec.aws_peering"}
PEER = {"network_name": "analytics", "subnets": [
    {"CidrBlock": cidr, "Tags": [{"Key": "Tier", "Value": "private"}, {"Key": "ManagedBy", "Value": "netsec.aws_peering"},
                                 {"Key": "Network", "Value": "analytics"}]} for cidr in ("10.1.1.0/24", "10.1.0.0/24")]}
MODULES = {
    "kms": kms_keys, "topic": sns_topic, "topic_encryption": sns_topic_encryption, "log_group": cloudwatchlogs_log_group,
    "delivery_role": iam_role, "delivery_policy": iam_policy, "flow_log": vpc_flow_log, "metric_filters": log_metric_filters,
    "alarms": cloudwatch_alarms, "rules": event_rules, "dashboard": cloudwatch_dashboard,
}
# What roles/monitoring/tasks/main.yml adds to the plan's options.
FIXED = {"topic": {"state": "present"}, "log_group": {"state": "present"}, "delivery_role": {"state": "present"},
         "delivery_policy": {"state": "present"}, "flow_log": {"state": "present", "log_destination_type": "cloud-watch-logs",
                                                               "require_owner_tag": True}, "dashboard": {"state": "present"}}


def spec(**overrides):
    base = {
        "network_name": "trading", "environment_suffix": "sandbox", "account_id": ACCOUNT, "region": REGION,
        "tags": {"CostCenter": "CC-1", "Environment": "sandbox"}, "alert_email": "", "key_deletion_window": 7,
        "log_retention_days": 90, "flow_log_traffic_type": "ALL", "flow_log_max_aggregation_interval": 60,
        "flow_log_format": FORMAT, "peer_cidrs": [], "peer_states": {"analytics": PEER}, "allowed_ports": [443, 5432],
        "metric_namespace": "NetSec/Peering", "alarm_period": 300, "rejected_threshold": 10, "anomaly_band_width": 2.0,
        "anomaly_evaluation_periods": 3, "anomaly_datapoints_to_alarm": 2, "dashboard_name": "netsec-sandbox",
        "dashboard_owner": True, "check_mode": False,
    }
    base.update(overrides)
    return base


def client(service):
    return boto3.client(service, region_name=REGION)


def describe():
    return json.loads(json.dumps(discover(client, {
        "region": REGION, "scopes": ["network", "monitoring"], "network_name": "trading", "environment_suffix": "sandbox",
        "dashboard_name": "netsec-sandbox"}), default=str))


def module_args(plan, step):
    return dict(plan["args"][step], **FIXED.get(step, {}))


class Exit(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg", ""))
        self.result = result


def run(module, args, check_mode=False):
    """A module's main() in-process (as conftest's run_module, usable from the module-scoped fixture too)."""
    args = dict(args, region=REGION, _ansible_check_mode=check_mode)

    def done(_self, **kwargs):
        raise Exit(dict({"changed": False, "failed": False}, **kwargs))

    def failed(_self, msg="", **kwargs):
        raise Exit(dict(kwargs, msg=msg, failed=True))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(basic.AnsibleModule, "exit_json", done)
        patch.setattr(basic.AnsibleModule, "fail_json", failed)
        with patch_module_args(args):
            try:
                module.main()
            except Exit as e:
                return e.result
    raise AssertionError("module returned without exit_json/fail_json")


def run_step(plan, step, check_mode=False):
    result = run(MODULES[step], module_args(plan, step), check_mode=check_mode)
    assert not result["failed"], result.get("msg")
    return result


def converge(the_spec=None):
    """What the role's main entry point does: plan, run every planned step in order (plan again after the keys)."""
    the_spec = the_spec or spec()
    plan = plan_monitoring(describe(), the_spec)
    assert plan["errors"] == []
    ran = []
    for step in MODULES:
        if not plan["steps"][step]:
            continue
        run_step(plan, step)
        ran.append(step)
        if step == "kms":
            plan = plan_monitoring(describe(), the_spec)  # the keys' ARNs, as the role's "Plan again"
            assert plan["errors"] == []
    return ran


def aws():
    """Dummy credentials, moto only (offline_aws of conftest, for a module-scoped fixture)."""
    patch = pytest.MonkeyPatch()
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        patch.delenv(var, raising=False)
    for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"), ("AWS_DEFAULT_REGION", REGION),
                       ("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")):
        patch.setenv(var, value)
    return patch


def make_site():
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": f"vpc-{SITE}"}, {"Key": "ManagedBy", "Value": "netsec.aws_peering"},
        {"Key": "Network", "Value": "trading"}]}])["Vpc"]
    ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.0.0.0/24")
    return vpc["VpcId"]


@pytest.fixture
def site():
    """A VPC with one subnet; nothing of the monitoring yet."""
    with mock_aws():
        yield make_site()


@pytest.fixture(scope="module")
def world():
    """One converged site for the drift tests (each test repairs what it broke and checks the plan is empty again)."""
    patch = aws()
    try:
        with mock_aws():
            make_site()
            converge()
            yield
    finally:
        patch.undo()


@pytest.fixture
def converged(world):
    assert plan_monitoring(describe(), spec())["changes"] == [], "a previous test left drift behind"


def test_an_empty_site_converges_in_one_run_per_step_and_then_plans_nothing(site):
    plan = plan_monitoring(describe(), spec())
    assert plan["errors"] == [] and all(plan["steps"].values())
    assert converge() == list(MODULES)
    again = plan_monitoring(describe(), spec())
    assert again["errors"] == [] and again["changes"] == [] and not any(again["steps"].values())


def test_after_a_converge_every_module_agrees_nothing_is_left(converged):
    plan = plan_monitoring(describe(), spec())
    assert plan["changes"] == []
    for step in MODULES:
        if step != "log_group":  # never in check mode: it writes the retention then (the role never does)
            assert run_step(plan, step, check_mode=True)["changed"] is False, step
    assert run_step(plan, "log_group")["changed"] is False


def test_what_was_built(converged):
    state = describe()
    assert state["topic"]["Attributes"]["KmsMasterKeyId"] == state["kms_keys"][f"alias/alerts-{SITE}"]["KeyMetadata"]["Arn"]
    assert state["log_group"]["kmsKeyId"] == state["kms_keys"][f"alias/flowlogs-cwl-{SITE}"]["KeyMetadata"]["Arn"]
    assert state["log_group"]["retentionInDays"] == 90
    assert {t["Key"]: t["Value"] for t in state["topic"]["Tags"]} == {"CostCenter": "CC-1", "Environment": "sandbox",
                                                                      "ManagedBy": "netsec.aws_peering", "Network": "trading",
                                                                      "Name": f"alerts-{SITE}"}
    assert len(state["log_group"]["metricFilters"]) == 9
    assert "srcaddr=10.1.0.* || srcaddr=10.1.1.*" in state["log_group"]["metricFilters"][0]["filterPattern"]
    alarms = [f"nonwhitelisted-ports-{SITE}", f"rejected-flows-{SITE}", f"traffic-anomaly-{SITE}"]
    assert sorted(a["AlarmName"] for a in state["alarms"]) == alarms
    assert all({"Key": "Name", "Value": a["AlarmName"]} in a["Tags"] for a in state["alarms"])
    assert sorted(r["Name"] for r in state["event_rules"]) == sorted(
        f"{p}-changes-{SITE}" for p in ("peering", "route", "sg", "nacl", "vpc"))
    flow_logs = [fl for fl in state["flow_logs"] if fl.get("LogGroupName") == f"/netsec/flowlogs/{SITE}"]
    assert len(flow_logs) == 1 and flow_logs[0]["MaxAggregationInterval"] == 60
    assert flow_logs[0]["DeliverLogsPermissionArn"] == f"arn:aws:iam::{ACCOUNT}:role/flowlogs-delivery-{SITE}"
    assert state["dashboard"]["DashboardName"] == "netsec-sandbox"


def _delete_alarm():
    client("cloudwatch").delete_alarms(AlarmNames=[f"rejected-flows-{SITE}"])


def _change_filter():
    logs = client("logs")
    group = f"/netsec/flowlogs/{SITE}"
    current = {f["filterName"]: f for f in logs.describe_metric_filters(logGroupName=group)["metricFilters"]}
    wanted = current[f"rejected-flows-in-{SITE}"]
    logs.put_metric_filter(logGroupName=group, filterName=wanted["filterName"], filterPattern="[a, b=REJECT]",
                           metricTransformations=wanted["metricTransformations"])


def _remove_target():
    client("events").remove_targets(Rule=f"route-changes-{SITE}", Ids=["alert-topic"])


def _untag_rule():
    events = client("events")
    events.untag_resource(ResourceARN=events.describe_rule(Name=f"sg-changes-{SITE}")["Arn"], TagKeys=["CostCenter"])


def _retention():
    client("logs").put_retention_policy(logGroupName=f"/netsec/flowlogs/{SITE}", retentionInDays=7)


def _untag_group():
    client("logs").untag_log_group(logGroupName=f"/netsec/flowlogs/{SITE}", tags=["Environment"])


def _topic_key():
    client("sns").set_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-{SITE}", AttributeName="KmsMasterKeyId",
                                       AttributeValue="")


def _topic_name():
    client("sns").set_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-{SITE}", AttributeName="DisplayName",
                                       AttributeValue="someone else")


def _topic_policy():
    client("sns").set_topic_attributes(TopicArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-{SITE}", AttributeName="Policy",
                                       AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
                                           {"Effect": "Allow", "Principal": "*", "Action": "SNS:Publish", "Resource": "*"}]}))


def _untag_topic():
    client("sns").untag_resource(ResourceArn=f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts-{SITE}", TagKeys=["Name"])


def _inline_policy():
    client("iam").put_role_policy(RoleName=f"flowlogs-delivery-{SITE}", PolicyName=f"flowlogs-delivery-{SITE}",
                                  PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                                      {"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}))


def _trust():
    client("iam").update_assume_role_policy(RoleName=f"flowlogs-delivery-{SITE}", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))


def _role_description():
    client("iam").update_role(RoleName=f"flowlogs-delivery-{SITE}", Description="whatever")


def _attach():
    iam = client("iam")
    arn = iam.create_policy(PolicyName="extra", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"flowlogs-delivery-{SITE}", PolicyArn=arn)


def _untag_role():
    client("iam").untag_role(RoleName=f"flowlogs-delivery-{SITE}", TagKeys=["CostCenter"])


def _delete_flow_log():
    ec2 = client("ec2")
    ec2.delete_flow_logs(FlowLogIds=[fl["FlowLogId"] for fl in ec2.describe_flow_logs()["FlowLogs"]])


def _untag_flow_log():
    ec2 = client("ec2")
    ec2.delete_tags(Resources=[fl["FlowLogId"] for fl in ec2.describe_flow_logs()["FlowLogs"]], Tags=[{"Key": "Environment"}])


def _key_rotation():
    kms = client("kms")
    kms.disable_key_rotation(KeyId=kms.describe_key(KeyId=f"alias/alerts-{SITE}")["KeyMetadata"]["KeyId"])


def _key_disabled():
    kms = client("kms")
    kms.disable_key(KeyId=kms.describe_key(KeyId=f"alias/flowlogs-cwl-{SITE}")["KeyMetadata"]["KeyId"])


def _dashboard():
    client("cloudwatch").put_dashboard(DashboardName="netsec-sandbox", DashboardBody=json.dumps({"widgets": [
        {"type": "text", "x": 0, "y": 0, "width": 6, "height": 2, "properties": {"markdown": "hi"}}]}))


def _delete_dashboard():
    client("cloudwatch").delete_dashboards(DashboardNames=["netsec-sandbox"])


DRIFTS = [
    ("a deleted alarm", _delete_alarm, {"alarms"}, f"alarm rejected-flows-{SITE}"),
    ("a changed metric filter pattern", _change_filter, {"metric_filters"}, f"metric_filter rejected-flows-in-{SITE}"),
    ("a removed rule target", _remove_target, {"rules"}, f"event_rule route-changes-{SITE}"),
    ("a missing rule tag", _untag_rule, {"rules"}, f"event_rule sg-changes-{SITE}"),
    ("the log group's retention", _retention, {"log_group"}, f"log_group /netsec/flowlogs/{SITE}"),
    ("a missing log group tag", _untag_group, {"log_group"}, f"log_group /netsec/flowlogs/{SITE}"),
    ("an unencrypted topic", _topic_key, {"topic_encryption"}, f"topic alerts-{SITE}"),
    ("the topic's display name", _topic_name, {"topic"}, f"topic alerts-{SITE}"),
    ("the topic's policy", _topic_policy, {"topic"}, f"topic alerts-{SITE}"),
    ("a missing topic tag", _untag_topic, {"topic"}, f"topic alerts-{SITE}"),
    ("the delivery role's inline policy", _inline_policy, {"delivery_policy"}, f"iam_role flowlogs-delivery-{SITE}"),
    ("the delivery role's trust", _trust, {"delivery_role"}, f"iam_role flowlogs-delivery-{SITE}"),
    ("the delivery role's description", _role_description, {"delivery_role"}, f"iam_role flowlogs-delivery-{SITE}"),
    ("a managed policy on the delivery role", _attach, {"delivery_role"}, f"iam_role flowlogs-delivery-{SITE}"),
    ("a missing delivery role tag", _untag_role, {"delivery_role"}, f"iam_role flowlogs-delivery-{SITE}"),
    ("a deleted flow log", _delete_flow_log, {"flow_log"}, f"flow_log flowlog-cwl-{SITE}"),
    ("a missing flow log tag", _untag_flow_log, {"flow_log"}, None),
    ("key rotation off", _key_rotation, {"kms"}, f"kms_key alias/alerts-{SITE}"),
    ("a disabled key", _key_disabled, {"kms"}, f"kms_key alias/flowlogs-cwl-{SITE}"),
    ("a changed dashboard", _dashboard, {"dashboard"}, "dashboard netsec-sandbox"),
    ("a deleted dashboard", _delete_dashboard, {"dashboard"}, "dashboard netsec-sandbox"),
]


@pytest.mark.parametrize("what, drift, steps, resource", DRIFTS, ids=[case[0] for case in DRIFTS])
def test_each_drift_is_planned_under_the_step_whose_module_repairs_it(converged, what, drift, steps, resource):
    drift()
    plan = plan_monitoring(describe(), spec())
    assert plan["errors"] == []
    assert {step for step, needed in plan["steps"].items() if needed} == steps, what
    if resource:
        assert {change["resource"] for change in plan["changes"]} == {resource}
    for step in steps:
        if step != "log_group":  # never in check mode (it writes the retention then)
            assert run_step(plan, step, check_mode=True)["changed"] is True, step
        assert run_step(plan, step)["changed"] is True, step
    assert plan_monitoring(describe(), spec())["changes"] == []


def test_an_email_subscription_comes_and_goes(converged):
    plan = plan_monitoring(describe(), spec(alert_email="oncall@example.com"))
    assert [c["field"] for c in plan["changes"]] == ["Subscriptions"] and plan["steps"]["topic"]
    assert run_step(plan, "topic", check_mode=True)["changed"] is True
    assert run_step(plan, "topic")["changed"] is True
    assert plan_monitoring(describe(), spec(alert_email="oncall@example.com"))["changes"] == []
    plan = plan_monitoring(describe(), spec())
    assert plan["changes"][0]["before"] == ["email:oncall@example.com"] and plan["changes"][0]["after"] == []
    assert run_step(plan, "topic")["changed"] is True
    assert plan_monitoring(describe(), spec())["changes"] == []


def test_a_new_peer_subnet_rewrites_the_filters_and_nothing_else(converged):
    peer = dict(PEER, subnets=PEER["subnets"] + [dict(PEER["subnets"][0], CidrBlock="10.1.2.0/24")])
    plan = plan_monitoring(describe(), spec(peer_states={"analytics": peer}))
    assert {step for step, needed in plan["steps"].items() if needed} == {"metric_filters"}
    assert run_step(plan, "metric_filters", check_mode=True)["changed"] is True


def test_the_dashboard_is_the_owners_only(converged):
    plan = plan_monitoring(describe(), spec(dashboard_owner=False, dashboard_name="netsec-other"))
    assert plan["changes"] == [] and "dashboard" not in plan["args"] and "dashboard_url" not in plan["result"]


def test_teardown_removes_ours_and_a_second_one_nothing(converged):
    # The last test of the module: it removes the shared site's monitoring. Someone else's rule under one of our names (no ManagedBy tag): kept.
    events = client("events")
    events.untag_resource(ResourceARN=events.describe_rule(Name=f"vpc-changes-{SITE}")["Arn"], TagKeys=["ManagedBy"])
    plan = plan_monitoring_teardown(describe(), spec())
    assert plan["errors"] == [] and all(plan["steps"].values())
    assert f"event_rule vpc-changes-{SITE}" not in {c["resource"] for c in plan["changes"]}
    for step in ("dashboard", "rules", "alarms", "flow_log", "log_group", "delivery_role", "topic", "kms"):
        result = run(MODULES[step], plan["args"][step])
        assert not result["failed"] and result["changed"], (step, result.get("msg"))
    state = describe()
    assert [r["Name"] for r in state["event_rules"]] == [f"vpc-changes-{SITE}"]
    assert state["alarms"] == [] and state["log_group"] is None and state["topic"] is None and state["dashboard"] is None
    assert state["iam_roles"][f"flowlogs-delivery-{SITE}"] is None
    assert all(key is None for key in state["kms_keys"].values())
    assert [fl for fl in state["flow_logs"] if fl.get("LogGroupName")] == []
    again = plan_monitoring_teardown(state, spec())
    assert again["changes"] == [] and not any(again["steps"].values())
