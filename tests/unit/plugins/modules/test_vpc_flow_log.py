"""Unit tests for netsec.aws_peering.vpc_flow_log (moto mock_aws, in-process)."""

from __future__ import annotations

import boto3
import botocore.client
import botocore.loaders
import botocore.session
import botocore.waiter
import pytest
from moto import mock_aws
from moto.ec2.models.flow_logs import FlowLogsBackend

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.netsec.aws_peering.plugins.module_utils import flow_logs as fl_utils
from ansible_collections.netsec.aws_peering.plugins.modules import vpc_flow_log

BUCKET = "netsec-flow-logs-test"
BUCKET_ARN = "arn:aws:s3:::%s" % BUCKET
OTHER_BUCKET = "netsec-flow-logs-other"
OTHER_BUCKET_ARN = "arn:aws:s3:::%s" % OTHER_BUCKET
ROLE_ARN = "arn:aws:iam::123456789012:role/vpc-flow-logs"


@pytest.fixture(scope="module")
def mocked():
    """One moto session per test file; each test gets its own VPC (see ``aws``).

    botocore's data loader is shared between sessions so that each module run does not
    parse the EC2 service model again (a test-speed measure only).
    """
    shared_loader = botocore.loaders.create_loader()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(botocore.session, "create_loader", lambda *a, **kw: shared_loader)
        with mock_aws():
            ec2 = boto3.client("ec2", region_name="us-east-1")
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket=BUCKET)
            s3.create_bucket(Bucket=OTHER_BUCKET)
            yield ec2


@pytest.fixture
def aws(mocked):
    ec2 = mocked
    vpc_id = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.10.1.0/24")["Subnet"]["SubnetId"]
    yield {"ec2": ec2, "vpc_id": vpc_id, "subnet_id": subnet_id}
    leftover = [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]]
    if leftover:
        ec2.delete_flow_logs(FlowLogIds=leftover)


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(AnsibleAWSModule, "warn", lambda self, msg, *a, **kw: seen.append(msg))
    return seen


def all_flow_logs(ec2):
    return ec2.describe_flow_logs()["FlowLogs"]


def s3_args(resource_id, **extra):
    args = {"resource_id": resource_id, "log_destination": BUCKET_ARN}
    args.update(extra)
    return args


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    "requested, expected, mapped",
    [
        (60, 60, False),
        (299, 60, True),
        (300, 60, True),
        (599, 60, True),
        (600, 600, False),
        (900, 600, True),
        (3600, 600, True),
    ],
)
def test_capture_interval_mapping(aws, run_module, warnings, requested, expected, mapped):
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], capture_interval=requested))
    assert not result["failed"], result["msg"]
    assert result["changed"]
    assert result["flow_log"]["max_aggregation_interval"] == expected
    described = all_flow_logs(aws["ec2"])
    assert [f["MaxAggregationInterval"] for f in described] == [expected]
    note = result["aggregation_interval_note"]
    assert "capture_interval %d s" % requested in note
    assert "max_aggregation_interval %d s" % expected in note
    if mapped:
        assert note == (
            "capture_interval %d s mapped to max_aggregation_interval %d s (AWS accepts 60 or 600 only)"
            % (requested, expected)
        )
        assert warnings == [note]
    else:
        assert warnings == []


def test_capture_interval_below_60_fails(aws, run_module):
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], capture_interval=59))
    assert result["failed"]
    assert "59" in result["msg"] and "capture_interval" in result["msg"]
    assert all_flow_logs(aws["ec2"]) == []


def test_max_aggregation_interval_300_fails(aws, run_module):
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], max_aggregation_interval=300))
    assert result["failed"]
    assert "max_aggregation_interval 300" in result["msg"]
    assert all_flow_logs(aws["ec2"]) == []


def test_interval_options_mutually_exclusive(aws, run_module):
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], capture_interval=300, max_aggregation_interval=60))
    assert result["failed"]
    assert "mutually exclusive" in result["msg"]
    assert all_flow_logs(aws["ec2"]) == []


def test_default_interval_is_60_without_note(aws, run_module, warnings):
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"]))
    assert result["flow_log"]["max_aggregation_interval"] == 60
    assert result["aggregation_interval_note"] is None
    assert warnings == []


# --------------------------------------------------------------------------- create / idempotence


@pytest.mark.parametrize("kind", ["vpc_id", "subnet_id"])
def test_create_and_idempotent(aws, run_module, kind):
    resource_id = aws[kind]
    args = s3_args(resource_id, traffic_type="ALL", tags={"Name": "fl", "Env": "test"})
    first = run_module(vpc_flow_log, args)
    assert not first["failed"], first["msg"]
    assert first["changed"] and not first["replaced"]
    flow_log = first["flow_log"]
    assert flow_log["flow_log_id"].startswith("fl-")
    assert first["flow_log_id"] == flow_log["flow_log_id"]
    assert flow_log["resource_id"] == resource_id
    assert flow_log["log_destination_type"] == "s3"
    assert flow_log["log_destination"] == BUCKET_ARN
    assert flow_log["log_format"] == fl_utils.DEFAULT_LOG_FORMAT
    assert flow_log["tags"] == {"Name": "fl", "Env": "test"}
    assert flow_log["flow_log_status"] == "ACTIVE"

    described = all_flow_logs(aws["ec2"])
    assert len(described) == 1
    assert described[0]["ResourceId"] == resource_id
    assert described[0]["LogFormat"] == fl_utils.DEFAULT_LOG_FORMAT

    second = run_module(vpc_flow_log, args)
    assert not second["failed"], second["msg"]
    assert second["changed"] is False
    assert second["flow_log_id"] == flow_log["flow_log_id"]
    assert second["deleted_flow_log_ids"] == []
    assert len(all_flow_logs(aws["ec2"])) == 1


def test_resource_type_inferred_for_eni(aws, run_module):
    eni = aws["ec2"].create_network_interface(SubnetId=aws["subnet_id"])["NetworkInterface"]["NetworkInterfaceId"]
    result = run_module(vpc_flow_log, s3_args(eni, resource_type="NetworkInterface"))
    assert not result["failed"], result["msg"]
    assert result["flow_log"]["resource_id"] == eni
    assert run_module(vpc_flow_log, s3_args(eni))["changed"] is False


def test_default_format_contains_v5_fields():
    tokens = fl_utils.DEFAULT_LOG_FORMAT.split()
    for field in (
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
        "action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id "
        "sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
    ).split():
        assert "${%s}" % field in tokens


def test_existing_flow_log_with_aws_defaults_is_not_replaced(aws, run_module):
    """A flow log created without LogFormat/MaxAggregationInterval reports the AWS defaults."""
    ec2 = aws["ec2"]
    fl_id = ec2.create_flow_logs(
        ResourceIds=[aws["vpc_id"]],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination=BUCKET_ARN,
    )["FlowLogIds"][0]
    args = s3_args(aws["vpc_id"], max_aggregation_interval=600, log_format=fl_utils.AWS_DEFAULT_LOG_FORMAT)
    result = run_module(vpc_flow_log, args)
    assert not result["failed"], result["msg"]
    assert result["changed"] is False
    assert result["flow_log_id"] == fl_id


def test_log_format_whitespace_is_not_a_difference(aws, run_module):
    run_module(vpc_flow_log, s3_args(aws["vpc_id"], log_format="${version} ${srcaddr} ${dstaddr}"))
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], log_format="  ${version}   ${srcaddr}\n${dstaddr} "))
    assert result["changed"] is False


def test_destination_options_dropped_by_service_do_not_loop(aws, run_module):
    args = s3_args(
        aws["vpc_id"],
        destination_options={"file_format": "parquet", "hive_compatible_partitions": True},
    )
    first = run_module(vpc_flow_log, args)
    assert not first["failed"], first["msg"]
    assert first["changed"]
    # The emulator drops DestinationOptions: the module tolerates a flow log that reports none.
    second = run_module(vpc_flow_log, args)
    assert second["changed"] is False
    assert second["flow_log_id"] == first["flow_log_id"]


def test_destination_options_compared_when_reported():
    desired = {
        "traffic_type": "ALL",
        "max_aggregation_interval": 60,
        "log_format": fl_utils.DEFAULT_LOG_FORMAT,
        "destination_options": dict(fl_utils.DEFAULT_DESTINATION_OPTIONS, file_format="parquet"),
        "deliver_logs_permission_arn": None,
        "log_destination_type": "s3",
    }
    described = {
        "TrafficType": "ALL",
        "MaxAggregationInterval": 60,
        "LogFormat": fl_utils.DEFAULT_LOG_FORMAT,
        "LogDestinationType": "s3",
    }
    assert fl_utils.immutable_differences(described, desired) == []
    described["DestinationOptions"] = {"FileFormat": "plain-text", "HiveCompatiblePartitions": False, "PerHourPartition": False}
    assert fl_utils.immutable_differences(described, desired) == ["destination_options"]
    described["DestinationOptions"]["FileFormat"] = "parquet"
    assert fl_utils.immutable_differences(described, desired) == []


def test_cloud_watch_logs_by_name_and_arn(aws, run_module):
    base = {
        "resource_id": aws["vpc_id"],
        "log_destination_type": "cloud-watch-logs",
        "deliver_logs_permission_arn": ROLE_ARN,
        "traffic_type": "REJECT",
    }
    first = run_module(vpc_flow_log, dict(base, log_group_name="/netsec/flow-logs"))
    assert not first["failed"], first["msg"]
    assert first["changed"]
    assert first["flow_log"]["log_group_name"] == "/netsec/flow-logs"
    assert first["flow_log"]["deliver_logs_permission_arn"] == ROLE_ARN
    assert run_module(vpc_flow_log, dict(base, log_group_name="/netsec/flow-logs"))["changed"] is False

    arn = "arn:aws:logs:us-east-1:123456789012:log-group:/netsec/other"
    by_arn = run_module(vpc_flow_log, dict(base, log_destination=arn))
    assert not by_arn["failed"], by_arn["msg"]
    assert by_arn["changed"]
    assert run_module(vpc_flow_log, dict(base, log_destination=arn))["changed"] is False
    assert len(all_flow_logs(aws["ec2"])) == 2

    # A different role is an immutable difference.
    other_role = run_module(
        vpc_flow_log,
        dict(base, log_group_name="/netsec/flow-logs", deliver_logs_permission_arn=ROLE_ARN + "-2"),
    )
    assert other_role["replaced"] and other_role["replaced_settings"] == ["deliver_logs_permission_arn"]


def test_other_resources_ignored_even_if_api_ignores_filters(aws, run_module, monkeypatch):
    """Flow logs of another VPC to the same bucket are never touched, even when Filters are ignored."""
    ec2 = aws["ec2"]
    other_vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    other_id = run_module(vpc_flow_log, s3_args(other_vpc, traffic_type="ALL"))["flow_log_id"]

    original = FlowLogsBackend.describe_flow_logs
    monkeypatch.setattr(
        FlowLogsBackend, "describe_flow_logs", lambda self, flow_log_ids=None, filters=None: original(self, flow_log_ids)
    )
    mine = run_module(vpc_flow_log, s3_args(aws["vpc_id"], traffic_type="REJECT"))
    assert not mine["failed"], mine["msg"]
    assert mine["changed"] and not mine["replaced"] and mine["deleted_flow_log_ids"] == []
    assert run_module(vpc_flow_log, s3_args(aws["vpc_id"], traffic_type="REJECT"))["changed"] is False
    gone = run_module(vpc_flow_log, s3_args(aws["vpc_id"], state="absent"))
    assert gone["deleted_flow_log_ids"] == [mine["flow_log_id"]]
    assert [f["FlowLogId"] for f in all_flow_logs(ec2)] == [other_id]


# --------------------------------------------------------------------------- replacement


@pytest.mark.parametrize(
    "change, setting",
    [
        ({"traffic_type": "REJECT"}, "traffic_type"),
        ({"log_format": "${version} ${srcaddr} ${dstaddr} ${action}"}, "log_format"),
        ({"max_aggregation_interval": 600}, "max_aggregation_interval"),
    ],
)
def test_immutable_change_replaces(aws, run_module, change, setting):
    args = s3_args(aws["vpc_id"], tags={"Name": "keep-me"})
    old_id = run_module(vpc_flow_log, args)["flow_log_id"]

    changed_args = dict(args, **change)
    del changed_args["tags"]  # tags not given: carried over to the new flow log
    result = run_module(vpc_flow_log, changed_args, diff=True)
    assert not result["failed"], result["msg"]
    assert result["changed"] and result["replaced"]
    assert result["replaced_settings"] == [setting]
    assert result["deleted_flow_log_ids"] == [old_id]
    new_id = result["flow_log_id"]
    assert new_id and new_id != old_id
    described = all_flow_logs(aws["ec2"])
    assert [f["FlowLogId"] for f in described] == [new_id]
    assert result["flow_log"]["tags"] == {"Name": "keep-me"}
    assert result["diff"]["before"]["flow_log_id"] == old_id
    assert result["diff"]["after"]["flow_log_id"] == new_id

    again = run_module(vpc_flow_log, changed_args)
    assert again["changed"] is False and again["flow_log_id"] == new_id


def test_replacement_in_check_mode_changes_nothing(aws, run_module):
    old_id = run_module(vpc_flow_log, s3_args(aws["vpc_id"]))["flow_log_id"]
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], traffic_type="ACCEPT"), check_mode=True, diff=True)
    assert result["changed"] and result["replaced"]
    assert result["deleted_flow_log_ids"] == [old_id]
    assert result["flow_log"]["traffic_type"] == "ACCEPT"
    assert result["flow_log_id"] is None
    assert result["diff"]["before"]["traffic_type"] == "ALL"
    assert result["diff"]["after"]["traffic_type"] == "ACCEPT"
    described = all_flow_logs(aws["ec2"])
    assert [(f["FlowLogId"], f["TrafficType"]) for f in described] == [(old_id, "ALL")]


# --------------------------------------------------------------------------- tags


def test_tags_update_without_replacement(aws, run_module):
    ec2 = aws["ec2"]
    fl_id = run_module(vpc_flow_log, s3_args(aws["vpc_id"], tags={"A": "1", "B": "2"}))["flow_log_id"]

    # purge_tags=false merges
    merged = run_module(vpc_flow_log, s3_args(aws["vpc_id"], tags={"C": "3"}, purge_tags=False))
    assert merged["changed"] and not merged["replaced"]
    assert merged["flow_log_id"] == fl_id
    assert merged["flow_log"]["tags"] == {"A": "1", "B": "2", "C": "3"}

    # purge_tags=true (default) makes the tags exactly these
    purged = run_module(vpc_flow_log, s3_args(aws["vpc_id"], tags={"A": "10"}), diff=True)
    assert purged["changed"] and not purged["replaced"]
    assert purged["flow_log_id"] == fl_id
    assert purged["diff"]["before"]["tags"] == {"A": "1", "B": "2", "C": "3"}
    assert purged["diff"]["after"]["tags"] == {"A": "10"}
    described = ec2.describe_flow_logs(FlowLogIds=[fl_id])["FlowLogs"][0]
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"A": "10"}

    # tags not given: untouched
    untouched = run_module(vpc_flow_log, s3_args(aws["vpc_id"]))
    assert untouched["changed"] is False
    assert untouched["flow_log"]["tags"] == {"A": "10"}

    # check mode: reported, not applied
    check = run_module(vpc_flow_log, s3_args(aws["vpc_id"], tags={}), check_mode=True)
    assert check["changed"] and check["flow_log"]["tags"] == {}
    described = ec2.describe_flow_logs(FlowLogIds=[fl_id])["FlowLogs"][0]
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"A": "10"}
    assert len(all_flow_logs(ec2)) == 1


# --------------------------------------------------------------------------- check mode / diff


def test_check_mode_create_writes_nothing(aws, run_module):
    result = run_module(
        vpc_flow_log, s3_args(aws["vpc_id"], capture_interval=300, tags={"N": "x"}), check_mode=True, diff=True
    )
    assert not result["failed"], result["msg"]
    assert result["changed"]
    assert result["flow_log_id"] is None
    assert result["flow_log"]["max_aggregation_interval"] == 60
    assert result["flow_log"]["tags"] == {"N": "x"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["resource_id"] == aws["vpc_id"]
    assert all_flow_logs(aws["ec2"]) == []


def test_check_mode_fails_for_missing_resource(aws, run_module):
    result = run_module(vpc_flow_log, s3_args("vpc-0123456789abcdef0"), check_mode=True)
    assert result["failed"]
    assert "vpc-0123456789abcdef0" in result["msg"]


def test_diff_on_create(aws, run_module):
    result = run_module(vpc_flow_log, s3_args(aws["subnet_id"]), diff=True)
    assert result["diff"]["before"] == {}
    after = result["diff"]["after"]
    assert after["flow_log_id"] == result["flow_log_id"]
    assert after["log_destination"] == BUCKET_ARN
    assert after["traffic_type"] == "ALL"


# --------------------------------------------------------------------------- absent


def test_absent_deletes_only_matching_and_is_idempotent(aws, run_module):
    target = run_module(vpc_flow_log, s3_args(aws["vpc_id"]))["flow_log_id"]
    other = run_module(vpc_flow_log, s3_args(aws["vpc_id"], log_destination=OTHER_BUCKET_ARN))["flow_log_id"]
    assert target != other

    check = run_module(vpc_flow_log, s3_args(aws["vpc_id"], state="absent"), check_mode=True)
    assert check["changed"] and check["deleted_flow_log_ids"] == [target]
    assert len(all_flow_logs(aws["ec2"])) == 2

    gone = run_module(vpc_flow_log, s3_args(aws["vpc_id"], state="absent"), diff=True)
    assert gone["changed"] and gone["deleted_flow_log_ids"] == [target]
    assert gone["flow_log"] == {} and gone["flow_log_id"] is None
    assert gone["diff"]["before"]["flow_log_id"] == target and gone["diff"]["after"] == {}
    assert [f["FlowLogId"] for f in all_flow_logs(aws["ec2"])] == [other]

    again = run_module(vpc_flow_log, s3_args(aws["vpc_id"], state="absent"))
    assert again["changed"] is False and again["deleted_flow_log_ids"] == []
    assert [f["FlowLogId"] for f in all_flow_logs(aws["ec2"])] == [other]


def test_absent_cloud_watch_logs_without_role(aws, run_module):
    base = {"resource_id": aws["vpc_id"], "log_destination_type": "cloud-watch-logs", "log_group_name": "lg"}
    run_module(vpc_flow_log, dict(base, deliver_logs_permission_arn=ROLE_ARN))
    result = run_module(vpc_flow_log, dict(base, state="absent"))
    assert not result["failed"], result["msg"]
    assert result["changed"]
    assert all_flow_logs(aws["ec2"]) == []


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "override, needle",
    [
        ({"resource_id": "vpc-xyz"}, "vpc-xyz"),
        ({"resource_id": "i-0123456789abcdef0"}, "i-0123456789abcdef0"),
        ({"resource_type": "Subnet"}, "resource_type 'Subnet'"),
        ({"log_destination": "arn:aws:s3:bucket"}, "arn:aws:s3:bucket"),
        ({"log_destination": "netsec-flow-logs-test"}, "netsec-flow-logs-test"),
        ({"log_destination": "arn:aws:s3:::netsec-flow-logs-test/AWSLogs/"}, "AWSLogs"),
        ({"log_format": "${version} ${srcaddr} ${no-such-field}"}, "no-such-field"),
        ({"log_format": "${version} srcaddr"}, "srcaddr"),
        ({"log_format": "   "}, "log_format"),
        ({"max_aggregation_interval": 120}, "120"),
        ({"capture_interval": 30}, "30"),
        ({"log_group_name": "lg", "log_destination": None}, "log_group_name 'lg'"),
        ({"deliver_logs_permission_arn": ROLE_ARN}, ROLE_ARN),
        (
            {"log_destination_type": "cloud-watch-logs", "log_destination": None, "log_group_name": "lg"},
            "deliver_logs_permission_arn",
        ),
        (
            {
                "log_destination_type": "cloud-watch-logs",
                "log_destination": None,
                "log_group_name": "lg",
                "deliver_logs_permission_arn": "arn:aws:iam::123456789012:user/bob",
            },
            "user/bob",
        ),
        (
            {"log_destination_type": "cloud-watch-logs", "deliver_logs_permission_arn": ROLE_ARN},
            BUCKET_ARN,
        ),
        (
            {
                "log_destination_type": "cloud-watch-logs",
                "log_destination": None,
                "log_group_name": "lg",
                "deliver_logs_permission_arn": ROLE_ARN,
                "destination_options": {"file_format": "parquet"},
            },
            "destination_options",
        ),
        ({"resource_id": "vpc-0123456789abcdef0"}, "vpc-0123456789abcdef0"),
        ({"resource_id": "subnet-0123456789abcdef0"}, "subnet-0123456789abcdef0"),
    ],
)
def test_bad_input_fails_and_creates_nothing(aws, run_module, override, needle):
    args = s3_args(aws["vpc_id"])
    args.update(override)
    args = {k: v for k, v in args.items() if v is not None}
    result = run_module(vpc_flow_log, args)
    assert result["failed"], result
    assert needle in result["msg"]
    assert all_flow_logs(aws["ec2"]) == []


def test_s3_prefix_refused_by_service_is_reported(aws, run_module):
    """The emulator refuses an S3 ARN with a folder prefix (AWS accepts it): the module fails clearly."""
    arn = BUCKET_ARN + "/vpc/"
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], log_destination=arn))
    assert result["failed"]
    assert arn in result["msg"]
    assert all_flow_logs(aws["ec2"]) == []


def test_missing_bucket_is_reported(aws, run_module):
    arn = "arn:aws:s3:::netsec-no-such-bucket"
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"], log_destination=arn))
    assert result["failed"]
    assert arn in result["msg"]
    assert all_flow_logs(aws["ec2"]) == []


# --------------------------------------------------------------------------- planner, kill safety, ownership


@pytest.fixture
def create_calls(record_calls):
    """The parameters of every CreateFlowLogs call."""
    return record_calls(lambda client, operation_name, api_params: dict(api_params) if operation_name == "CreateFlowLogs" else None)


def test_create_uses_a_deterministic_client_token_and_tags_on_create(aws, run_module, create_calls):
    args = s3_args(aws["vpc_id"], tags={"Name": "fl", "ManagedBy": "netsec.aws_peering"}, capture_interval=300)
    first = run_module(vpc_flow_log, args)
    run_module(vpc_flow_log, dict(args, state="absent"))
    second = run_module(vpc_flow_log, args)
    assert first["flow_log_id"] != second["flow_log_id"]
    tokens = [call["ClientToken"] for call in create_calls]
    assert len(tokens) == 2 and tokens[0] == tokens[1] and len(tokens[0]) == 40
    assert create_calls[0]["TagSpecifications"] == [{"ResourceType": "vpc-flow-log", "Tags": [
        {"Key": "ManagedBy", "Value": "netsec.aws_peering"}, {"Key": "Name", "Value": "fl"}]}]
    other = fl_utils.flow_log_request(fl_utils.flow_log_desired(s3_args(aws["vpc_id"], traffic_type="REJECT")), {})
    assert fl_utils.client_token(other) != tokens[0]


def test_a_stale_token_answer_is_created_again_with_a_new_token(aws, run_module, monkeypatch, create_calls):
    """AWS answers a token it remembers with the flow log it made then, even when it was deleted since."""
    original = botocore.client.BaseClient._make_api_call
    answered = []

    def stale_once(self, operation_name, api_params):
        if operation_name == "CreateFlowLogs" and not answered:
            answered.append(api_params["ClientToken"])
            return {"FlowLogIds": ["fl-0000000000000dead"], "Unsuccessful": []}
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", stale_once)
    monkeypatch.setattr(botocore.waiter.time, "sleep", lambda seconds: None)
    result = run_module(vpc_flow_log, s3_args(aws["vpc_id"]))
    assert not result["failed"], result["msg"]
    described = all_flow_logs(aws["ec2"])
    assert [f["FlowLogId"] for f in described] == [result["flow_log_id"]]
    request = fl_utils.flow_log_request(fl_utils.flow_log_desired(s3_args(aws["vpc_id"])), {})
    assert answered == [fl_utils.client_token(request)]
    assert [call["ClientToken"] for call in create_calls] == [fl_utils.client_token(request, "fl-0000000000000dead")]


def test_require_owner_tag_refuses_a_flow_log_of_others(aws, run_module):
    ec2 = aws["ec2"]
    theirs = ec2.create_flow_logs(ResourceIds=[aws["vpc_id"]], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
                                  LogDestination=BUCKET_ARN)["FlowLogIds"][0]
    for args in (s3_args(aws["vpc_id"], traffic_type="REJECT", require_owner_tag=True),
                 s3_args(aws["vpc_id"], state="absent", require_owner_tag=True)):
        result = run_module(vpc_flow_log, args)
        assert result["failed"] and theirs in result["msg"] and "ManagedBy=netsec.aws_peering" in result["msg"]
    assert [f["FlowLogId"] for f in all_flow_logs(ec2)] == [theirs]


def test_idempotent_run_makes_no_write_and_returns_the_described_flow_logs(aws, run_module, record_calls):
    args = s3_args(aws["vpc_id"], tags={"Name": "fl"})
    first = run_module(vpc_flow_log, args)
    assert [c["action"] for c in first["changes"]] == ["create"]
    assert [f["FlowLogId"] for f in first["flow_logs"]] == [first["flow_log_id"]]
    operations = record_calls()
    second = run_module(vpc_flow_log, args)
    assert second["changed"] is False and second["changes"] == []
    assert operations == ["DescribeFlowLogs"]
    # The module and the planner agree: the plan of what the module describes is empty.
    assert fl_utils.plan_flow_log(second["flow_logs"], args) == []
