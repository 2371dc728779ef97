"""Unit tests for plugins/module_utils/input_validation.py, the role_inputs filters and the role_argument_specs lookup.

Every case runs against the REAL argument specs of the roles (roles/*/meta/argument_specs.yml)
and asserts the exact messages: the full variable path and the bad value.

Cases named ``PROPOSED: ...`` need argument spec additions the role owner has not applied yet
(PROPOSED_SPEC_ADDITIONS below). They run against the real specs merged with those additions,
real keys winning, so they keep passing once the real specs carry them.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import jinja2
import pytest
import yaml

from ansible import constants as C
from ansible.errors import AnsibleFilterError, AnsibleLookupError

from ansible_collections.netsec.aws_peering.plugins.filter.role_inputs import FilterModule, role_input_errors, role_input_values
from ansible_collections.netsec.aws_peering.plugins.lookup import role_argument_specs as lookup_plugin
from ansible_collections.netsec.aws_peering.plugins.lookup.role_argument_specs import all_role_specs
from ansible_collections.netsec.aws_peering.plugins.module_utils.input_validation import (
    SEMANTIC_CHECKS,
    declared_options,
    validate_inputs,
)

REPO = Path(__file__).resolve().parents[4]
ROLES = REPO / "roles"


def load_real_specs():
    return {path.parents[1].name: yaml.safe_load(path.read_text())["argument_specs"]
            for path in sorted(ROLES.glob("*/meta/argument_specs.yml"))}


REAL_SPECS = load_real_specs()

# ---------------------------------------------------------------------------
# PROPOSED ARGSPEC ADDITIONS: not (yet) in roles/*/meta/argument_specs.yml.
# The role owner applies them; the validator then refuses these cases with the real specs alone.
# ---------------------------------------------------------------------------
EXTRA_RULE_OPTIONS = {
    "cidr": {"type": "str", "required": True},
    "ports": {"type": "list", "elements": "raw", "default": []},
    "protocol": {"type": "str", "choices": ["tcp", "udp", "icmp", "all", "-1"], "default": "tcp"},
}
PEERING_OPTIONS = {
    "name": {"type": "str", "required": True},
    "requester": {"type": "str", "required": True},
    "accepter": {"type": "str", "required": True},
    "ports": {"type": "list", "elements": "int"},
    "dns_resolution": {"type": "bool"},
    "direction": {"type": "str", "choices": ["both", "requester-to-accepter", "accepter-to-requester"], "default": "both"},
    "external_id": {"type": "str", "no_log": True},
}
SCOPE_OPTIONS = {
    "compliance_resource_types": {"type": "list", "elements": "str"},
    "tag_key": {"type": "str"},
    "tag_value": {"type": "str"},
    "compliance_resource_id": {"type": "str"},
}
PROPOSED_SPEC_ADDITIONS = {
    "aws_session": {"aws_session_external_id": {"no_log": True}},
    "automation_role": {"automation_role_external_id": {"no_log": True}},
    "config": {"config_rules": {"options": {"scope": {"options": SCOPE_OPTIONS}}}},
    "endpoints": {
        "endpoints_partition": {"choices": ["aws", "aws-cn", "aws-us-gov"]},
        "endpoints_peerings": {"options": PEERING_OPTIONS},
    },
    "security": {
        "security_peerings": {"options": PEERING_OPTIONS},
        "security_endpoint_services": {"choices": ["s3", "dynamodb"]},
        "security_extra_ingress_rules": {"options": EXTRA_RULE_OPTIONS},
        "security_extra_egress_rules": {"options": EXTRA_RULE_OPTIONS},
    },
}


def _merge(real, extra):
    """extra merged into real; keys real already has win (dicts merge key by key)."""
    merged = copy.deepcopy(real)
    for key, value in extra.items():
        if isinstance(merged.get(key), dict) and isinstance(value, dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged.setdefault(key, copy.deepcopy(value))
    return merged


def proposed_specs():
    """The real specs with the proposed additions merged into every entry point that declares the option."""
    specs = copy.deepcopy(REAL_SPECS)
    for role, options in PROPOSED_SPEC_ADDITIONS.items():
        for entry in specs.get(role, {}).values():
            declared = entry.get("options") or {}
            for name, addition in options.items():
                if name in declared:
                    declared[name] = _merge(declared[name], addition)
    return specs


PROPOSED_SPECS = proposed_specs()


def check(values, specs=None, **kwargs):
    return validate_inputs(REAL_SPECS if specs is None else specs, values, **kwargs)


# ---------------------------------------------------------------------------
# Bad inputs over the real specs: (values, exact messages)
# ---------------------------------------------------------------------------
EPHEMERAL_RULE = "must be [low, high] with 1024 < low <= high <= 65535 (ports up to 1024 are service ports)"
EXTRA_PORT_RULE = 'is not a port (1-65535) or a range "low-high" with 1 <= low <= high <= 65535'
RULE = {"cidr": "10.9.0.0/24", "ports": [443]}

BAD = [
    # Flow log intervals and formats
    ({"flowlogs_max_aggregation_interval": 300}, ["flowlogs_max_aggregation_interval: 300 is not one of [0, 60, 600]"]),
    ({"monitoring_flow_log_max_aggregation_interval": 300},
     ["monitoring_flow_log_max_aggregation_interval: 300 is not one of [60, 600]"]),
    ({"flowlogs_capture_interval": 30},
     ["flowlogs_capture_interval: capture_interval 30 s is below the smallest aggregation interval AWS offers (60 s)"]),
    ({"flowlogs_log_format": "srcaddr dstaddr"},
     ["flowlogs_log_format: log_format token 'srcaddr' is not of the form ${field} (log_format: 'srcaddr dstaddr')"]),
    ({"monitoring_flow_log_format": "${srcaddr} ${dstaddr} ${action}"},
     ['monitoring_flow_log_format: "${srcaddr} ${dstaddr} ${action}" lacks srcport, dstport, packets, bytes; the metric filters'
      " need srcaddr, dstaddr, srcport, dstport, packets, bytes, action"]),
    # Ephemeral range and network ACL numbers
    ({"security_ephemeral_port_range": [1024, 65535]}, ["security_ephemeral_port_range: [1024, 65535] " + EPHEMERAL_RULE]),
    ({"security_ephemeral_port_range": [65535, 32768]}, ["security_ephemeral_port_range: [65535, 32768] " + EPHEMERAL_RULE]),
    ({"security_ephemeral_port_range": [32768]}, ["security_ephemeral_port_range: [32768] " + EPHEMERAL_RULE]),
    ({"security_ephemeral_port_range": [2000, 65535]},
     ["security_ephemeral_port_range: [2000, 65535] contains admin port 3389 (RDP); keep it closed, e.g. [32768, 65535]"]),
    ({"security_ephemeral_port_range": ["32768", 65535]},
     ['security_ephemeral_port_range[0]: "32768" is a string, not an integer; write 32768 without quotes']),
    ({"security_nacl_managed_rule_range": [0, 32766]},
     ["security_nacl_managed_rule_range: [0, 32766] must be [low, high] with 1 <= low <= high <= 32766 (network ACL rule numbers)"]),
    ({"security_nacl_managed_rule_range": [[1, 100]]},
     ["security_nacl_managed_rule_range[0]: [1, 100] is a list, not an integer"]),
    ({"security_nacl_max_entries": 41},
     ["security_nacl_max_entries: 41 is outside 1-40 (network ACL entries per direction, AWS quota at most 40)"]),
    # Ports
    ({"config_allowed_ports": "443,5432"},
     ['config_allowed_ports: "443,5432" is a string, not a list; write a YAML list such as [443, 5432]']),
    ({"config_allowed_ports": ["443"]}, ['config_allowed_ports[0]: "443" is a string, not an integer; write 443 without quotes']),
    ({"config_allowed_ports": [0, 70000]},
     ["config_allowed_ports[0]: 0 is not a port number in 1-65535", "config_allowed_ports[1]: 70000 is not a port number in 1-65535"]),
    ({"monitoring_allowed_ports": []}, ["monitoring_allowed_ports: [] must list at least one port"]),
    ({"security_default_ports": [443.0]}, ["security_default_ports[0]: 443.0 is a float, not an integer"]),
    # Extra rules (the semantic checks; keys and protocols need the PROPOSED spec)
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "ports": ["443"]}]},
     ['security_extra_ingress_rules[0].ports[0]: "443" is a string; write 443 without quotes (strings are for ranges such as "1000-2000")']),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "ports": ["2000-1000", "0-10", "1000-70000", "80-", True]}]},
     ['security_extra_ingress_rules[0].ports[0]: "2000-1000" ' + EXTRA_PORT_RULE,
      'security_extra_ingress_rules[0].ports[1]: "0-10" ' + EXTRA_PORT_RULE,
      'security_extra_ingress_rules[0].ports[2]: "1000-70000" ' + EXTRA_PORT_RULE,
      'security_extra_ingress_rules[0].ports[3]: "80-" ' + EXTRA_PORT_RULE,
      "security_extra_ingress_rules[0].ports[4]: true " + EXTRA_PORT_RULE]),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "ports": [0, 65536]}]},
     ["security_extra_ingress_rules[0].ports[0]: 0 is not a port number in 1-65535",
      "security_extra_ingress_rules[0].ports[1]: 65536 is not a port number in 1-65535"]),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/33", "ports": [443]}]},
     ["security_extra_ingress_rules[0].cidr: '10.9.0.0/33' is not a valid CIDR"
      " ('10.9.0.0/33' does not appear to be an IPv4 or IPv6 network)"]),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.1/24", "ports": [443]}]},
     ["security_extra_ingress_rules[0].cidr: '10.9.0.1/24' is not a valid CIDR (host bits set; the network address is 10.9.0.0/24)"]),
    ({"security_extra_ingress_rules": [{"cidr": "0.0.0.0/0", "ports": [443]}]},
     ["security_extra_ingress_rules[0].cidr: \"0.0.0.0/0\" is open to every address;"
      " not allowed unless 'security_extra_ingress_rules' is listed in open_cidr_exceptions"]),
    ({"security_extra_egress_rules": [{"cidr": "::/0", "ports": [443]}],
      "security_open_cidr_exceptions": ["security_extra_ingress_rules"]},
     ["security_extra_egress_rules[0].cidr: \"::/0\" is open to every address;"
      " not allowed unless 'security_extra_egress_rules' is listed in security_open_cidr_exceptions"]),
    ({"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "protocol": "udp"}]},
     ['security_extra_ingress_rules[0].ports: protocol "udp" needs at least one port; value {"cidr": "10.9.0.0/24", "protocol": "udp"}']),
    ({"security_extra_egress_rules": [{"cidr": "10.9.0.0/24", "protocol": "icmp", "ports": [8]}]},
     ['security_extra_egress_rules[0].ports: [8] apply only to tcp and udp, not to "icmp"']),
    ({"security_extra_ingress_rules": RULE},
     ['security_extra_ingress_rules: {"cidr": "10.9.0.0/24", "ports": [443]} is a dict, not a list']),
    ({"security_extra_ingress_rules": ["10.9.0.0/24:443"]}, ['security_extra_ingress_rules[0]: "10.9.0.0/24:443" is a string, not a dict']),
    # Monitoring
    ({"monitoring_rejected_threshold": -1}, ["monitoring_rejected_threshold: -1 is below 0 (a count of flows)"]),
    ({"monitoring_anomaly_band_width": -1.5}, ["monitoring_anomaly_band_width: -1.5 must be a number greater than 0 (standard deviations)"]),
    ({"monitoring_anomaly_band_width": "2"}, ['monitoring_anomaly_band_width: "2" is a string, not a number; write 2 without quotes']),
    ({"monitoring_anomaly_evaluation_periods": 0}, ["monitoring_anomaly_evaluation_periods: 0 is below 1 (periods)"]),
    ({"monitoring_anomaly_datapoints_to_alarm": 4},
     ["monitoring_anomaly_datapoints_to_alarm: 4 must be between 1 and monitoring_anomaly_evaluation_periods (3)"]),
    ({"monitoring_anomaly_datapoints_to_alarm": 3, "monitoring_anomaly_evaluation_periods": 2},
     ["monitoring_anomaly_datapoints_to_alarm: 3 must be between 1 and monitoring_anomaly_evaluation_periods (2)"]),
    ({"monitoring_log_retention_days": 100},
     ["monitoring_log_retention_days: 100 is not one of [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653]"]),
    ({"monitoring_alarm_period": 45},
     ["monitoring_alarm_period: Invalid period 45: use 10, 30 or a positive multiple of 60 (seconds)"]),
    ({"monitoring_peer_cidrs": ["10.0.0.0/9"]},
     ['monitoring_peer_cidrs: ["10.0.0.0/9"] widen to 128 octet wildcards; CloudWatch metric filters take at most 32']),
    ({"monitoring_peer_cidrs": ["10.0.0.0/7", "fd00::/8", "10.1.0.0"]},
     ['monitoring_peer_cidrs[0]: "10.0.0.0/7" is wider than /8, which metric filter wildcards cannot express',
      "monitoring_peer_cidrs[1]: 'fd00::/8' is not a valid IPv4 CIDR (it is IPv6)",
      "monitoring_peer_cidrs[2]: '10.1.0.0' is not a valid IPv4 CIDR (no /prefix length)"]),
    ({"monitoring_peer_cidrs": []}, ["monitoring_peer_cidrs: [] must list at least one peer CIDR"]),
    ({"monitoring_metric_namespace": "AWS/VPC"},
     ['monitoring_metric_namespace: "AWS/VPC" is not a custom CloudWatch namespace (1-255 characters without : * $, not starting with AWS/)']),
    ({"monitoring_alert_email": "oncall"}, ['monitoring_alert_email: "oncall" is not an e-mail address']),
    ({"monitoring_dashboard_name": "netsec prod"},
     ["monitoring_dashboard_name: Invalid dashboard name 'netsec prod': use 1-255 characters from A-Z, a-z, 0-9, '-' and '_'"]),
    # KMS and S3 lifecycle
    ({"config_kms_key_deletion_window": 5}, ["config_kms_key_deletion_window: 5 is outside 7-30 (KMS pending-deletion days)"]),
    ({"flowlogs_kms_key_deletion_window": 31}, ["flowlogs_kms_key_deletion_window: 31 is outside 7-30 (KMS pending-deletion days)"]),
    ({"monitoring_kms_key_deletion_window": "7"},
     ['monitoring_kms_key_deletion_window: "7" is a string, not an integer; write 7 without quotes']),
    ({"flowlogs_retention_days": 0}, ["flowlogs_retention_days: 0 is below 1 (S3 lifecycle days)"]),
    ({"config_abort_incomplete_upload_days": -1}, ["config_abort_incomplete_upload_days: -1 is below 1 (S3 lifecycle days)"]),
    # Booleans, dicts, lists, nested lists, strings, null
    ({"vpc_close_default_nacl": "yes"}, ['vpc_close_default_nacl: "yes" is a string, not a boolean; write true or false without quotes']),
    ({"vpc_close_default_security_group": 1}, ["vpc_close_default_security_group: 1 is an integer, not a boolean; write true or false"]),
    ({"security_extra_rules_return_traffic": "false"},
     ['security_extra_rules_return_traffic: "false" is a string, not a boolean; write true or false without quotes']),
    ({"vpc_tags": ["CostCenter"]}, ['vpc_tags: ["CostCenter"] is a list, not a dict']),
    ({"vpc_adopt_tags": "Name=legacy"}, ['vpc_adopt_tags: "Name=legacy" is a string, not a dict']),
    ({"vpc_private_subnet_cidrs": "10.0.1.0/24"},
     ['vpc_private_subnet_cidrs: "10.0.1.0/24" is a string, not a list; write a YAML list such as [10.0.1.0/24]']),
    ({"vpc_private_subnet_cidrs": [["10.0.1.0/24"]]}, ['vpc_private_subnet_cidrs[0]: ["10.0.1.0/24"] is a list, not a string']),
    ({"vpc_az_count": 3.0}, ["vpc_az_count: 3.0 is a float, not an integer"]),
    ({"vpc_az_count": True}, ["vpc_az_count: true is a boolean, not an integer"]),
    ({"vpc_az_count": 0}, ["vpc_az_count: 0 is below 1 (availability zones)"]),
    ({"vpc_cidr": 10}, ["vpc_cidr: 10 is an integer, not a string; quote it"]),
    ({"vpc_network_name": None}, ["vpc_network_name: null is not a string; give a value or leave the setting out"]),
    # Accounts, regions, ARNs, names, durations
    ({"config_account_id": 123456789012}, ["config_account_id: 123456789012 is an integer, not a string; quote it"]),
    ({"config_account_id": "12345"}, ['config_account_id: "12345" is not an AWS account ID (exactly 12 digits)']),
    ({"aws_session_account_id": "11111111111a"}, ['aws_session_account_id: "11111111111a" is not an AWS account ID (exactly 12 digits)']),
    ({"endpoints_peer_account_ids": ["222222222222", "2222"]},
     ['endpoints_peer_account_ids[1]: "2222" is not an AWS account ID (exactly 12 digits)']),
    ({"monitoring_region": "eu-westt-1"}, ['monitoring_region: "eu-westt-1" is not a known AWS region (did you mean "eu-west-1"?)']),
    ({"aws_session_role_arn": "arn:aws:iam::1:role/x"},
     ['aws_session_role_arn: "arn:aws:iam::1:role/x" is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)']),
    ({"aws_session_external_id": "x"}, ["aws_session_external_id: (value withheld) must be 2-1224 letters, digits and _ + = , . @ : / -"]),
    ({"aws_session_endpoint_url": "localhost:4566"},
     ['aws_session_endpoint_url: "localhost:4566" is not an http(s) URL such as http://127.0.0.1:4566']),
    ({"aws_session_name": "a b"}, ['aws_session_name: "a b" is not a role session name (2-64 letters, digits and _ + = , . @ -)']),
    ({"aws_session_duration_seconds": 60}, ["aws_session_duration_seconds: 60 is outside 900-43200 (STS session seconds)"]),
    ({"peering_accepter_max_session_duration": 1800},
     ["peering_accepter_max_session_duration: 1800 is outside 3600-43200 (IAM maximum session seconds)"]),
    ({"automation_role_name": "accept me"},
     ['automation_role_name: "accept me" is not an IAM role name (1-64 letters, digits and _ + = , . @ -)']),
    ({"peering_requester_wait_timeout": 0}, ["peering_requester_wait_timeout: 0 is below 1 (seconds to wait)"]),
    ({"peering_accepter_trusted_principals": {"trading": ["arn:aws:iam::111111111111:root", "111111111111", "arn:aws:iam::1:role/*"],
                                              "hub": "arn"}},
     ['peering_accepter_trusted_principals.trading[0]: "arn:aws:iam::111111111111:root" names a whole account:'
      " trust a named role or user instead",
      'peering_accepter_trusted_principals.trading[1]: "111111111111" names a whole account: trust a named role or user instead',
      'peering_accepter_trusted_principals.trading[2]: "arn:aws:iam::1:role/*" is a wildcard: a whole account is never trusted',
      'peering_accepter_trusted_principals.hub: "arn" is a string, not a list; write a YAML list such as [arn]']),
    ({"automation_role_trusted_principals": ["*", "arn:aws:sts::111111111111:assumed-role/awx/s"]},
     ['automation_role_trusted_principals[0]: "*" is a wildcard: a whole account is never trusted',
      'automation_role_trusted_principals[1]: "arn:aws:sts::111111111111:assumed-role/awx/s" is not an IAM role or user ARN']),
    ({"automation_role_regions": ["eu-west-1", "mars-north-1"]},
     ['automation_role_regions[1]: "mars-north-1" is not a known AWS region (did you mean "eu-north-1"?)']),
    # Endpoints
    ({"endpoints_s3_actions": ["dynamodb:*"]}, ['endpoints_s3_actions[0]: "dynamodb:*" is not an S3 action ("s3:Action", wildcards allowed)']),
    ({"endpoints_dynamodb_actions": ["s3:*"]},
     ['endpoints_dynamodb_actions[0]: "s3:*" is not a DynamoDB action ("dynamodb:Action", wildcards allowed)']),
    ({"endpoints_interface_actions": ["s3 GetObject"]},
     ['endpoints_interface_actions[0]: "s3 GetObject" is not an IAM action ("*" or "service:Action")']),
    ({"endpoints_aws_owned_resources": ["arn:aws:sqs:us-east-1:111111111111:queue"]},
     ['endpoints_aws_owned_resources[0]: "arn:aws:sqs:us-east-1:111111111111:queue" is not an S3 or DynamoDB ARN'
      " (others are left out of every endpoint policy)"]),
    ({"endpoints_interface_services": ["Bad Name"]},
     ["endpoints_interface_services[0]: service 'Bad Name' is neither a short service name (s3) nor a full one (com.amazonaws...)"]),
    ({"endpoints_sg_delete_retries": -1}, ["endpoints_sg_delete_retries: -1 is below 0 (retries)"]),
    # AWS Config
    ({"config_required_tag_keys": ["k%d" % i for i in range(7)]},
     ['config_required_tag_keys: ["k0", "k1", "k2", "k3", "k4", "k5", "k6"] has 7 keys; the REQUIRED_TAGS rule takes 1 to 6']),
    ({"config_required_tag_keys": ["aws:owner"]}, ["config_required_tag_keys: tag key 'aws:owner' uses the reserved 'aws:' prefix"]),
    ({"config_required_tag_keys": "CostCenter"},
     ['config_required_tag_keys: "CostCenter" is a string, not a list; write a YAML list such as [CostCenter]']),
    ({"config_delivery_frequency": "twentyfour_hours"},
     ['config_delivery_frequency: "twentyfour_hours" is not one of ["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours",'
      ' "TwentyFour_Hours"] (did you mean "TwentyFour_Hours"?)']),
    ({"config_bucket_encryption": "aws:KMS"}, ['config_bucket_encryption: "aws:KMS" is not one of ["aws:kms", "AES256"] (did you mean "aws:kms"?)']),
    ({"config_rules": [{"slug": "sg-open", "sorce_identifier": "X"}]},
     ["config_rules[0].sorce_identifier: unknown key (did you mean 'source_identifier'?); value {\"slug\": \"sg-open\", \"sorce_identifier\": \"X\"}",
      'config_rules[0].source_identifier: missing required key; value {"slug": "sg-open", "sorce_identifier": "X"}']),
    ({"config_rules": [{"slug": "a b", "source_identifier": "VPC_FLOW_LOGS_ENABLED"}]},
     ["config_rules[0]: rules[name='a b']: name contains invalid characters (allowed: letters, digits, '-' and '_')"]),
    ({"config_rules": [{"slug": "flow", "source_identifier": "vpc-flow-logs-enabled"}]},
     ["config_rules[0]: rules[name='flow']: source_identifier 'vpc-flow-logs-enabled' is not an AWS managed rule identifier"
      " (e.g. VPC_FLOW_LOGS_ENABLED)"]),
    ({"config_rules": [{"slug": "flow", "source_identifier": "A"}, {"slug": "flow", "source_identifier": "B"}]},
     ['config_rules[1].slug: "flow" is already used by config_rules[0]']),
    ({"config_rules": [{"slug": "flow", "source_identifier": "A", "maximum_execution_frequency": "Daily", "scope": ["AWS::EC2::VPC"]}]},
     ['config_rules[0].scope: ["AWS::EC2::VPC"] is a list, not a dict',
      'config_rules[0].maximum_execution_frequency: "Daily" is not one of ["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours",'
      ' "TwentyFour_Hours"]']),
    ({"security_peerings": "trading-analytics"}, ['security_peerings: "trading-analytics" is a string, not a list; '
                                                  "write a YAML list such as [trading-analytics]"]),
    ({"security_peerings": [{"name": "p", "requester": "a", "accepter": "b", "ports": [443, 0]}]},
     ["security_peerings[0].ports[1]: 0 is not a port number in 1-65535"]),
]


@pytest.mark.parametrize("values, expected", BAD, ids=[next(iter(case[0])) for case in BAD])
def test_bad_input_is_refused_naming_path_and_value(values, expected):
    assert check(values) == expected


# The same cases with the proposed specs: nothing in them changes or adds a message.
@pytest.mark.parametrize("values, expected", BAD, ids=[next(iter(case[0])) for case in BAD])
def test_bad_input_same_with_proposed_specs(values, expected):
    assert check(values, PROPOSED_SPECS) == expected


PROPOSED = [
    ("PROPOSED: misspelt key in an extra rule",
     {"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "prots": [443]}]},
     ["security_extra_ingress_rules[0].prots: unknown key (did you mean 'ports'?); value {\"cidr\": \"10.9.0.0/24\", \"prots\": [443]}",
      'security_extra_ingress_rules[0].ports: protocol "tcp" needs at least one port; value {"cidr": "10.9.0.0/24", "prots": [443]}']),
    ("PROPOSED: unknown key without a close match",
     {"security_extra_egress_rules": [{"cidr": "10.9.0.0/24", "ports": [443], "comment": "x"}]},
     ["security_extra_egress_rules[0].comment: unknown key (known keys: 'cidr', 'ports', 'protocol');"
      ' value {"cidr": "10.9.0.0/24", "ports": [443], "comment": "x"}']),
    ("PROPOSED: missing required key in an extra rule",
     {"security_extra_ingress_rules": [{"ports": [443]}]},
     ['security_extra_ingress_rules[0].cidr: missing required key; value {"ports": [443]}']),
    ("PROPOSED: bad protocol",
     {"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "ports": [443], "protocol": "tcpp"}]},
     ['security_extra_ingress_rules[0].protocol: "tcpp" is not one of ["tcp", "udp", "icmp", "all", "-1"] (did you mean "tcp"?)']),
    ("PROPOSED: protocol in capitals",
     {"security_extra_egress_rules": [{"cidr": "10.9.0.0/24", "ports": [53], "protocol": "UDP"}]},
     ['security_extra_egress_rules[0].protocol: "UDP" is not one of ["tcp", "udp", "icmp", "all", "-1"] (did you mean "udp"?)']),
    ("PROPOSED: protocol number",
     {"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "protocol": 6, "ports": [443]}]},
     ["security_extra_ingress_rules[0].protocol: 6 is an integer, not a string; quote it"]),
    ("PROPOSED: ports as a string in an extra rule",
     {"security_extra_ingress_rules": [{"cidr": "10.9.0.0/24", "ports": "443"}]},
     ['security_extra_ingress_rules[0].ports: "443" is a string, not a list; write a YAML list such as [443]']),
    ("PROPOSED: cidr as a list in an extra rule",
     {"security_extra_ingress_rules": [{"cidr": ["10.9.0.0/24"], "ports": [443]}]},
     ['security_extra_ingress_rules[0].cidr: ["10.9.0.0/24"] is a list, not a string']),
    ("PROPOSED: peering direction and port string",
     {"security_peerings": [{"name": "p", "requester": "a", "accepter": "b", "ports": ["443"], "direction": "inbound"}]},
     ['security_peerings[0].ports[0]: "443" is a string, not an integer; write 443 without quotes',
      'security_peerings[0].direction: "inbound" is not one of ["both", "requester-to-accepter", "accepter-to-requester"]']),
    ("PROPOSED: peering without accepter, external_id withheld",
     {"security_peerings": [{"name": "p", "requester": "a", "external_id": "s3cr3t", "dns": True}]},
     ["security_peerings[0].dns: unknown key (did you mean 'dns_resolution'?);"
      ' value {"name": "p", "requester": "a", "external_id": "(value withheld)", "dns": true}',
      'security_peerings[0].accepter: missing required key; value {"name": "p", "requester": "a",'
      ' "external_id": "(value withheld)", "dns": true}']),
    ("PROPOSED: peering dns_resolution as a string",
     {"endpoints_peerings": [{"name": "p", "requester": "a", "accepter": "b", "dns_resolution": "yes"}]},
     ['endpoints_peerings[0].dns_resolution: "yes" is a string, not a boolean; write true or false without quotes']),
    ("PROPOSED: external_id of the wrong type is withheld",
     {"endpoints_peerings": [{"name": "p", "requester": "a", "accepter": "b", "external_id": 12345}]},
     ["endpoints_peerings[0].external_id: (value withheld) is an integer, not a string; quote it"]),
    ("PROPOSED: session external ID of the wrong type is withheld",
     {"aws_session_external_id": 1234567},
     ["aws_session_external_id: (value withheld) is an integer, not a string; quote it"]),
    ("PROPOSED: automation role external ID of the wrong type is withheld",
     {"automation_role_external_id": ["s3cr3t"]},
     ["automation_role_external_id: (value withheld) is a list, not a string"]),
    ("PROPOSED: partition",
     {"endpoints_partition": "aws-gov"},
     ['endpoints_partition: "aws-gov" is not one of ["aws", "aws-cn", "aws-us-gov"] (did you mean "aws-us-gov"?)']),
    ("PROPOSED: endpoint services",
     {"security_endpoint_services": ["s3", "ec2"]},
     ['security_endpoint_services[1]: "ec2" is not one of ["s3", "dynamodb"]']),
    ("PROPOSED: config rule scope key",
     {"config_rules": [{"slug": "sg", "source_identifier": "X", "scope": {"compliance_resource_type": ["AWS::EC2::SecurityGroup"]}}]},
     ["config_rules[0].scope.compliance_resource_type: unknown key (did you mean 'compliance_resource_types'?);"
      ' value {"compliance_resource_type": ["AWS::EC2::SecurityGroup"]}']),
    ("PROPOSED: config rule scope types as a string",
     {"config_rules": [{"slug": "sg", "source_identifier": "X", "scope": {"compliance_resource_types": "AWS::EC2::VPC"}}]},
     ['config_rules[0].scope.compliance_resource_types: "AWS::EC2::VPC" is a string, not a list;'
      " write a YAML list such as [AWS::EC2::VPC]"]),
]


@pytest.mark.parametrize("values, expected", [case[1:] for case in PROPOSED], ids=[case[0] for case in PROPOSED])
def test_bad_input_is_refused_with_proposed_specs(values, expected):
    assert check(values, PROPOSED_SPECS) == expected


# ---------------------------------------------------------------------------
# Generated from the specs: every choice, and wrong types for every bool, dict, list, int and str
# ---------------------------------------------------------------------------
def _options(specs, kinds=None, with_choices=False):
    found = []
    for name, owners in declared_options(specs).items():
        spec = owners[0][1]
        if kinds is not None and spec.get("type", "str") not in kinds:
            continue
        if with_choices != ("choices" in spec):
            continue
        found.append((name, spec))
    return found


def _not_a_choice(choices):
    return 12345 if all(isinstance(choice, int) for choice in choices) else "not-a-choice"


CHOICE_OPTIONS = _options(PROPOSED_SPECS, with_choices=True)


@pytest.mark.parametrize("name, spec", CHOICE_OPTIONS, ids=[case[0] for case in CHOICE_OPTIONS])
def test_every_choice_option_refuses_a_bad_choice(name, spec):
    bad = _not_a_choice(spec["choices"])
    if spec["type"] == "list":  # choices apply to each item
        value, path = [spec["choices"][0], bad], name + "[1]"
    else:
        value, path = bad, name
    expected = "%s: %s is not one of %s" % (path, json.dumps(bad), json.dumps(spec["choices"]))
    assert check({name: value}, PROPOSED_SPECS) == [expected]


def test_choice_options_cover_every_role_with_choices():
    roles = {owners[0][0] for name, owners in declared_options(REAL_SPECS).items() if "choices" in owners[0][1]}
    # The generated bad-choice table below must not be empty as roles evolve.
    assert len(roles) >= 3, roles
    # Enough choice options for the generated table to mean something (the count changes as roles evolve).
    assert len(CHOICE_OPTIONS) >= 10


WRONG_TYPES = {
    "bool": ("yes", '"yes" is a string, not a boolean; write true or false without quotes'),
    "dict": (["x"], '["x"] is a list, not a dict'),
    "list": ("a,b", '"a,b" is a string, not a list; write a YAML list such as [a, b]'),
    "int": ("5", '"5" is a string, not an integer; write 5 without quotes'),
    "float": ([2], "[2] is a list, not a number"),
    "str": ({"a": 1}, '{"a": 1} is a dict, not a string'),
    "path": (False, "false is a boolean, not a string; quote it"),
}
TYPED_OPTIONS = [(name, spec) for name, spec in _options(REAL_SPECS) + _options(REAL_SPECS, with_choices=True)
                 if spec.get("type", "str") in WRONG_TYPES]


@pytest.mark.parametrize("name, spec", TYPED_OPTIONS, ids=[case[0] for case in TYPED_OPTIONS])
def test_every_option_refuses_a_wrong_type(name, spec):
    bad, text = WRONG_TYPES[spec.get("type", "str")]
    assert check({name: bad}) == ["%s: %s" % (name, text)]


def test_every_option_has_a_checked_type():
    assert {owners[0][1].get("type", "str") for owners in declared_options(REAL_SPECS).values()} <= set(WRONG_TYPES) | {"raw"}


# ---------------------------------------------------------------------------
# Good inputs
# ---------------------------------------------------------------------------
def _is_jinja(value):
    return isinstance(value, str) and "{{" in value


def without_jinja(value):
    """The value with every templated part left out (dict keys and list items); None if it is a template itself."""
    if _is_jinja(value):
        return None
    if isinstance(value, dict):
        kept = {key: without_jinja(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if not _is_jinja(value[key]) and item is not None}
    if isinstance(value, list):
        return [without_jinja(item) for item in value if without_jinja(item) is not None]
    return value


def role_defaults():
    values = {}
    for path in sorted(ROLES.glob("*/defaults/main.yml")):
        for name, value in (yaml.safe_load(path.read_text()) or {}).items():
            if without_jinja(value) is not None:
                values[name] = without_jinja(value)
    return values


ROLE_DEFAULTS = role_defaults()


@pytest.mark.parametrize("specs", [REAL_SPECS, PROPOSED_SPECS], ids=["real specs", "proposed specs"])
def test_role_defaults_validate_clean(specs):
    assert len(ROLE_DEFAULTS) > 70
    assert check(ROLE_DEFAULTS, specs) == []


def test_role_defaults_test_keeps_templated_rule_parts_out():
    rules = {rule["slug"]: rule for rule in ROLE_DEFAULTS["config_rules"]}
    assert len(rules) == 11
    assert "input_parameters" not in rules["required-tags"]
    assert rules["vpc-sg-open-only-to-authorized-ports"]["input_parameters"] == {}
    assert "security_ephemeral_port_range" not in ROLE_DEFAULTS


GOOD = {
    "aws_session_role_arn": "arn:aws:iam::111111111111:role/automation",
    "aws_session_external_id": "trading-ext-1",
    "aws_session_region": "eu-west-1",
    "aws_session_endpoint_url": "http://127.0.0.1:4566",
    "aws_session_name": "netsec-aws-peering-trading",
    "config_account_id": "011111111111",
    "config_required_tag_keys": ["CostCenter", "Environment", "Owner", "App", "Tier", "DataClass"],
    "config_rules": [{"slug": "sg", "source_identifier": "VPC_SG_OPEN_ONLY_TO_AUTHORIZED_PORTS",
                      "input_parameters": {"authorizedTcpPorts": [443, 5432]},
                      "scope": {"compliance_resource_types": ["AWS::EC2::SecurityGroup"]},
                      "maximum_execution_frequency": "One_Hour", "description": "Only allowed ports"}],
    "endpoints_partition": "aws-us-gov",
    "endpoints_peer_account_ids": ["222222222222"],
    "endpoints_aws_owned_resources": ["arn:aws:s3:::amazonlinux.eu-west-1.amazonaws.com/*", "arn:aws:dynamodb:eu-west-1:111111111111:table/x"],
    "endpoints_interface_services": ["ssm", "com.amazonaws.eu-west-1.logs"],
    "endpoints_s3_actions": ["s3:Get*", "s3:PutObject"],
    "flowlogs_capture_interval": 30,
    "flowlogs_max_aggregation_interval": 600,
    "flowlogs_log_format": "${srcaddr} ${dstaddr} ${action}",
    "monitoring_alert_email": "netsec-oncall@example.com",
    "monitoring_peer_cidrs": ["10.1.0.0/16", "10.2.0.0/20", "192.168.7.9/32"],
    "monitoring_anomaly_band_width": 2.5,
    "monitoring_anomaly_datapoints_to_alarm": 3,
    "monitoring_alarm_period": 60,
    "monitoring_rejected_threshold": 0,
    "monitoring_dashboard_name": "netsec-prod",
    "peering_accepter_trusted_principals": {"trading": ["arn:aws:iam::111111111111:role/automation",
                                                        "arn:aws:iam::111111111111:user/ci/awx"]},
    "automation_role_trusted_principals": ["arn:aws-us-gov:iam::111111111111:role/path/awx"],
    "automation_role_regions": ["us-gov-west-1", "eu-west-1"],
    "peering_accepter_max_session_duration": 43200,
    "peering_accepter_role_name": "peering-accepter-analytics-prod",
    "security_peerings": [{"name": "trading-analytics", "requester": "trading", "accepter": "analytics", "ports": [443],
                           "dns_resolution": True, "direction": "requester-to-accepter", "external_id": "vaulted"}],
    "security_ephemeral_port_range": [49152, 65535],
    "security_endpoint_services": ["s3"],
    "security_extra_ingress_rules": [
        {"cidr": "10.9.0.0/24", "ports": [8443, "1000-2000", "3000-3000"]},
        {"cidr": "10.9.1.0/24", "ports": [53], "protocol": "udp"},
        {"cidr": "10.9.2.0/24", "protocol": "icmp"},
        {"cidr": "2001:db8::/32", "protocol": "all", "ports": []},
        {"cidr": "0.0.0.0/0", "ports": [443]},
    ],
    "security_open_cidr_exceptions": ["security_extra_ingress_rules"],
    "security_nacl_max_entries": 40,
    "security_nacl_managed_rule_range": [100, 200],
    "vpc_close_default_nacl": False,
    "vpc_adopt_tags": {"Name": "legacy"},
    "vpc_subnet_offset": 0,
    "outputs_dir": "/tmp/outputs",
}


@pytest.mark.parametrize("specs", [REAL_SPECS, PROPOSED_SPECS], ids=["real specs", "proposed specs"])
def test_good_inputs_produce_no_message(specs):
    assert check(GOOD, specs) == []


def test_open_cidr_allowed_by_the_org_wide_exceptions():
    values = {"security_extra_egress_rules": [{"cidr": "::/0", "ports": [443]}]}
    assert check(values, open_cidr_exceptions=["security_extra_egress_rules"]) == []
    assert check(values, open_cidr_exceptions=["security_extra_ingress_rules"]) != []


def test_role_exceptions_win_over_the_org_wide_ones():
    values = {"security_extra_egress_rules": [{"cidr": "0.0.0.0/0", "ports": [443]}], "security_open_cidr_exceptions": []}
    assert check(values, open_cidr_exceptions=["security_extra_egress_rules"]) == [
        "security_extra_egress_rules[0].cidr: \"0.0.0.0/0\" is open to every address;"
        " not allowed unless 'security_extra_egress_rules' is listed in security_open_cidr_exceptions"]


def test_capture_interval_ignored_when_aws_interval_is_set():
    assert check({"flowlogs_capture_interval": 30, "flowlogs_max_aggregation_interval": 60}) == []


def test_undeclared_variables_are_ignored():
    assert check({"peerings": "anything", "vpc_result": None, "security_sg_name": 1}) == []


# ---------------------------------------------------------------------------
# required: only for the roles that will run
# ---------------------------------------------------------------------------
def test_required_options_of_running_roles():
    assert check({"outputs_dir": "/tmp"}, required_roles=["outputs", "aws_session"]) == [
        "aws_session_region: missing; required by role aws_session",
        "outputs_environment_suffix: missing; required by role outputs",
        "outputs_context: missing; required by role outputs",
    ]


def test_required_options_of_other_roles_are_not_reported():
    assert check({}) == []
    assert check({}, required_roles=["not-a-role"]) == []
    assert check({"aws_session_region": "eu-west-1"}, required_roles=["aws_session"]) == []


def test_every_required_option_of_a_role():
    required = [name for name, owners in declared_options(REAL_SPECS).items() if owners[0][0] == "config" and owners[0][1].get("required")]
    assert check({}, required_roles=["config"]) == ["%s: missing; required by role config" % name for name in required]
    assert required == ["config_network_name", "config_environment_suffix", "config_tags", "config_region", "config_allowed_ports"]


# ---------------------------------------------------------------------------
# The table of semantic checks
# ---------------------------------------------------------------------------
def test_every_semantic_check_names_a_declared_variable():
    assert set(SEMANTIC_CHECKS) - set(declared_options(REAL_SPECS)) == set()


@pytest.mark.parametrize("name", sorted(SEMANTIC_CHECKS))
def test_every_semantic_check_says_why(name):
    assert (SEMANTIC_CHECKS[name].__doc__ or "").strip()


# ---------------------------------------------------------------------------
# Garbage never raises
# ---------------------------------------------------------------------------
class Weird:
    def __repr__(self):
        raise RuntimeError("no repr")


def _circular():
    loop = []
    loop.append(loop)
    return loop


GARBAGE_SPECS = [None, 1, "security", [], {"security": None}, {"security": {"main": []}}, {"security": {"main": {"options": []}}},
                 {"r": {"main": {"options": {"r_x": {"type": 5, "choices": "ab", "options": [], "elements": 7}}}}},
                 {"r": {"main": {"options": {"r_x": {"type": "list", "elements": "dict", "options": {"k": None, "j": {"aliases": 3}}}}}}},
                 {"r": {"main": {"options": {"r_x": {"type": "dict", "options": {"k": {"required": True, "type": "weird"}}}}}}},
                 {"r": {"argument_specs": {"main": {"options": {"r_x": {}}}}}}, {1: {"main": {"options": {2: {}, None: None}}}}]
GARBAGE_VALUES = [None, 0, -1, 2 ** 100, float("nan"), float("inf"), "", "x" * 10000, b"bytes", {1, 2}, (1, 2), [], {}, [None],
                  {None: None}, {(1, 2): "tuple key"}, Weird(), [Weird()], {"k": Weird()}, _circular(), object(), [[[[[]]]]],
                  {"cidr": None, "ports": None, "protocol": None}, [{"cidr": 5, "ports": {"a": 1}, "protocol": []}],
                  [{"cidr": "0.0.0.0/0", "ports": [None, [], {}, 1.5, "a-b-c", "-1", "99999999999999999999"]}],
                  {"trading": [None, 5, Weird()]}, [{"slug": "x", "source_identifier": "Y", "input_parameters": {"a": [[1]]}}],
                  [{"slug": "x", "source_identifier": "Y", "scope": {"compliance_resource_types": "AWS::EC2::VPC"}}]]


@pytest.mark.parametrize("specs", GARBAGE_SPECS + [REAL_SPECS, PROPOSED_SPECS])
def test_garbage_specs_never_raise(specs):
    for values in GARBAGE_VALUES + [{"r_x": value} for value in GARBAGE_VALUES] + [{"security_extra_ingress_rules": v} for v in GARBAGE_VALUES]:
        messages = validate_inputs(specs, values, required_roles=["r", "security"], open_cidr_exceptions=Weird())
        assert isinstance(messages, list) and all(isinstance(message, str) for message in messages)


@pytest.mark.parametrize("specs", [REAL_SPECS, PROPOSED_SPECS], ids=["real specs", "proposed specs"])
def test_garbage_for_every_declared_variable_never_raises(specs):
    rng = random.Random(20240501)
    names = sorted(declared_options(specs))
    for _round in range(40):
        values = {name: rng.choice(GARBAGE_VALUES + [_random_value(rng, 3) for _count in range(3)]) for name in names}
        messages = validate_inputs(specs, values, required_roles=list(specs), open_cidr_exceptions=rng.choice(GARBAGE_VALUES))
        assert all(isinstance(message, str) for message in messages)
        assert not [message for message in messages if "could not be validated" in message]


def _random_value(rng, depth):
    leaves = [None, True, 0, 443, -5, 70000, 2.5, "", "443", "1000-2000", "10.0.0.0/8", "0.0.0.0/0", "tcp", "s3:*", "${srcaddr}",
              "arn:aws:iam::111111111111:root", "us-east-1", "yes"]
    if depth == 0 or rng.random() < 0.4:
        return rng.choice(leaves)
    if rng.random() < 0.5:
        return [_random_value(rng, depth - 1) for _count in range(rng.randint(0, 3))]
    keys = ["cidr", "ports", "protocol", "name", "slug", "source_identifier", "scope", "input_parameters", "trading", "x"]
    return {rng.choice(keys): _random_value(rng, depth - 1) for _count in range(rng.randint(0, 4))}


def test_a_failing_check_becomes_a_message(monkeypatch):
    def broken(path, value, ctx):
        raise KeyError("boom")

    monkeypatch.setitem(SEMANTIC_CHECKS, "vpc_az_count", broken)
    assert check({"vpc_az_count": 3}) == ["vpc_az_count: could not be validated: KeyError: 'boom'"]


def test_long_values_are_shortened():
    assert check({"vpc_tags": ["x" * 500]}) == ['vpc_tags: ["' + "x" * 195 + "... is a list, not a dict"]


# ---------------------------------------------------------------------------
# Filters and lookup
# ---------------------------------------------------------------------------
def test_filters_are_registered():
    assert FilterModule().filters() == {"role_input_errors": role_input_errors, "role_input_values": role_input_values}


def test_role_input_errors_is_validate_inputs():
    assert role_input_errors({"flowlogs_max_aggregation_interval": 300}, REAL_SPECS) == [
        "flowlogs_max_aggregation_interval: 300 is not one of [0, 60, 600]"]
    assert role_input_errors({"security_extra_ingress_rules": [{"cidr": "0.0.0.0/0", "ports": [443]}]}, REAL_SPECS,
                             open_cidr_exceptions=["security_extra_ingress_rules"]) == []


def test_role_input_values_picks_declared_variables_only():
    host_vars = {"vpc_cidr": "10.0.0.0/16", "security_extra_ingress_rules": [RULE], "network_name": "trading",
                 "vpc_result": {}, "monitoring_peer_cidrs": jinja2.Undefined(name="x"),
                 "endpoints_s3_actions": ["s3:*", jinja2.Undefined(name="y")]}
    assert role_input_values(host_vars, REAL_SPECS) == {"vpc_cidr": "10.0.0.0/16", "security_extra_ingress_rules": [RULE]}


def test_role_input_values_skips_variables_that_cannot_render():
    class HostVars(dict):
        def __getitem__(self, key):
            raise jinja2.exceptions.UndefinedError("'vpc_result' is undefined")

    assert role_input_values(HostVars(endpoints_purge_route_tables="{{ vpc_result }}"), REAL_SPECS) == {}


@pytest.mark.parametrize("host_vars, specs", [(None, REAL_SPECS), ([], REAL_SPECS), ({}, None)])
def test_role_input_values_refuses_non_dicts(host_vars, specs):
    with pytest.raises(AnsibleFilterError, match="role_input_values"):
        role_input_values(host_vars, specs)


@pytest.fixture
def lookup():
    """The lookup as the plugin loader would give it: its documented options registered."""
    plugin = lookup_plugin.LookupModule()
    plugin._load_name = "netsec.aws_peering.role_argument_specs"
    C.config.initialize_plugin_configuration_definitions("lookup", plugin._load_name, yaml.safe_load(lookup_plugin.DOCUMENTATION)["options"])
    return plugin


def test_lookup_returns_every_role_spec(lookup):
    assert lookup.run([], variables={}) == [REAL_SPECS]
    assert set(REAL_SPECS) == {path.name for path in ROLES.iterdir() if path.is_dir()}


def test_lookup_named_roles_and_roles_dir(lookup, tmp_path):
    assert lookup.run(["vpc", "security"], variables={}) == [{"vpc": REAL_SPECS["vpc"], "security": REAL_SPECS["security"]}]
    (tmp_path / "one" / "meta").mkdir(parents=True)
    (tmp_path / "one" / "meta" / "main.yml").write_text("argument_specs:\n  main:\n    options:\n      one_x: {type: int}\n")
    (tmp_path / "bare" / "meta").mkdir(parents=True)
    (tmp_path / "bare" / "meta" / "main.yml").write_text("galaxy_info: {}\n")
    assert lookup.run([], variables={}, roles_dir=str(tmp_path)) == [{"one": {"main": {"options": {"one_x": {"type": "int"}}}}}]
    assert all_role_specs(tmp_path / "missing") == {}


def test_lookup_errors_name_the_role_or_file(lookup, tmp_path):
    with pytest.raises(AnsibleLookupError, match="role 'nope' has no argument specs"):
        lookup.run(["nope"], variables={})
    (tmp_path / "bad" / "meta").mkdir(parents=True)
    (tmp_path / "bad" / "meta" / "argument_specs.yml").write_text("argument_specs: [\n")
    with pytest.raises(AnsibleLookupError, match="cannot read .*argument_specs.yml"):
        all_role_specs(tmp_path)
    (tmp_path / "bad" / "meta" / "argument_specs.yml").write_text("argument_specs: [1]\n")
    with pytest.raises(AnsibleLookupError, match="is not a dict"):
        all_role_specs(tmp_path)
