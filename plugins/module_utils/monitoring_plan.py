# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring stage's plan: what must change for a site's alerting to match the inventory.

``plan_monitoring(state, spec)`` compares the site state (docs/dev/site-state.md: ``kms_keys``,
``topic``, ``log_group``, ``iam_roles``, ``flow_logs``, ``alarms``, ``event_rules``, ``dashboard``)
with what the role's spec asks for and returns::

    {"errors": [str], "changes": [change], "steps": {step: bool}, "args": {step: module options},
     "result": monitoring_result}

One step is one module run, in this order (each runs only when ``steps[step]`` is true); what the
plan compares is what that module compares:

- ``kms``: netsec.aws_peering.kms_keys, both keys (``kms_keys.plan_keys`` itself);
- ``topic``: community.aws.sns_topic (display name, policy, e-mail subscription, tags);
- ``topic_encryption``: netsec.aws_peering.sns_topic_encryption (``KmsMasterKeyId`` as text);
- ``log_group``: amazon.aws.cloudwatchlogs_log_group (tags, retention; the key is set only at
  creation, so a group with another key is an error here);
- ``delivery_role``: amazon.aws.iam_role (trust policy, description, managed policies, tags);
- ``delivery_policy``: amazon.aws.iam_policy (the inline policy);
- ``flow_log``: netsec.aws_peering.vpc_flow_log (``flow_logs.plan_flow_log`` itself);
- ``metric_filters``: netsec.aws_peering.log_metric_filters (``plan_metric_filters`` itself);
- ``alarms``: netsec.aws_peering.cloudwatch_alarms (``plan_alarms`` itself);
- ``rules``: netsec.aws_peering.event_rules (``plan_rules`` itself);
- ``dashboard``: netsec.aws_peering.cloudwatch_dashboard (the normalised body; the owner only).

``args`` holds the options of every step's module, built from the same values as the plan, so
the plan and the run never disagree. ``plan_monitoring_teardown`` plans the removal of what
carries the ownership tags (``ManagedBy=netsec.aws_peering``, ``Network=<network>``), in the
reverse order; ``monitoring_result`` publishes what exists (the ``info`` entry point).

The peer CIDRs of the metric filters are the peers' private subnets as each peer's own discovery
found them (``spec["peer_states"]``: peer host to its ``site_state``), never an inventory CIDR.
The dashboard body and the Logs Insights field names are built here too (pure, tested).
"""

from __future__ import annotations

import ipaddress
import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.policy import compare_policies
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import dashboard_console_url
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import format_number
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import normalize_json
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch import validate_dashboard_body
from ansible_collections.netsec.aws_peering.plugins.module_utils.cloudwatch_alarms import plan_alarms
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import change_alert_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils.event_rules import plan_rules
from ansible_collections.netsec.aws_peering.plugins.module_utils import flow_logs
from ansible_collections.netsec.aws_peering.plugins.module_utils.flow_logs import FlowLogError
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import PENDING_STATES
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import kms_tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.kms_keys import plan_keys
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import FIELD_RE
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import metric_filter_specs
from ansible_collections.netsec.aws_peering.plugins.module_utils.log_metric_filters import plan_metric_filters
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import OWNER_TAG
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import site_names
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import tag_dict
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import alerts_key_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import alerts_topic_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flow_log_delivery_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flow_log_delivery_trust_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.policies import flow_log_group_key_policy
from ansible_collections.netsec.aws_peering.plugins.module_utils.secure_bucket import PlanError

STEPS = ("kms", "topic", "topic_encryption", "log_group", "delivery_role", "delivery_policy", "flow_log",
         "metric_filters", "alarms", "rules", "dashboard")
TEARDOWN_STEPS = ("dashboard", "rules", "alarms", "flow_log", "log_group", "delivery_role", "topic", "kms")
METRICS = {
    "bytes": "PeeringBytes", "bytes_in": "PeeringBytesIn", "bytes_out": "PeeringBytesOut",
    "packets_in": "PeeringPacketsIn", "packets_out": "PeeringPacketsOut", "rejected": "RejectedFlows",
    "ports": "NonWhitelistedPortAttempts",
}
PENDING_PEERS = "(built from the peers' private subnets once they exist)"
PENDING_VPC = "(the VPC of {network}, once the network stage created it)"
ALERT_TARGET = "alert-topic"


def change(step, resource, action, field=None, before=None, after=None):
    """One planned change; ``step`` names the module run that carries it out."""
    out = {"resource": resource, "action": action}
    if field is not None:
        out.update(field=field, before=before, after=after)
    out["step"] = step
    return out


def _tagged(changes, step):
    """The set planners' changes, marked with their step."""
    return [dict(item, step=step) for item in changes]


def foreign_owner(tags, network):
    """Why a resource found by our deterministic name is someone else's (None when it may be ours)."""
    have = tag_dict(tags)
    if have.get(OWNER_TAG) not in (None, OWNER):
        return f"tagged {OWNER_TAG}={have[OWNER_TAG]}"
    if have.get("Network") not in (None, network):
        return f"tagged Network={have['Network']}"
    return None


def is_ours(tags, network):
    """Both ownership tags present and ours: what teardown may remove."""
    have = tag_dict(tags)
    return have.get(OWNER_TAG) == OWNER and have.get("Network") == network


def tag_drift(resource, step, current, wanted):
    """compare_aws_tags with purge (what the stock modules do): [] or one Tags change."""
    current = tag_dict(current)
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=True)
    if not to_set and not to_unset:
        return []
    after = {k: v for k, v in current.items() if k not in to_unset}
    after.update({k: str(v) for k, v in to_set.items()})
    return [change(step, resource, "update", "Tags", dict(sorted(current.items())), dict(sorted(after.items())))]


# ---------------------------------------------------------------------------
# Logs Insights and the dashboard (formerly Jinja in roles/monitoring/tasks/dashboard.yml)
# ---------------------------------------------------------------------------


def insights_fields(log_format):
    """Logs Insights names of the flow log fields, in format order (a custom format is not auto-discovered).

    ``srcaddr`` -> ``srcAddr``, ``dstport`` -> ``dstPort``, ``account-id`` -> ``accountId``,
    ``pkt-srcaddr`` -> ``pktSrcAddr``, ``log-status`` -> ``logStatus``.
    """
    if not isinstance(log_format, str) or not FIELD_RE.search(log_format):
        raise ValueError(f"flow log format {log_format!r} has no ${{field}} token")
    out = []
    for field in FIELD_RE.findall(log_format):
        parts = field.split("-")
        camel = parts[0] + "".join(part.capitalize() for part in parts[1:])
        camel = re.sub(r"(rc|st)addr", r"\1Addr", camel)
        out.append(re.sub(r"(rc|st)port", r"\1Port", camel))
    return out


def top_talkers_query(log_group, log_format):
    """The dashboard's Logs Insights query: the ten pairs of addresses that moved the most bytes."""
    fields = insights_fields(log_format)
    return (f"SOURCE '{log_group}' | parse @message \"{' '.join(['*'] * len(fields))}\" as {', '.join(fields)} "
            "| stats sum(bytes) as bytes by srcAddr, dstAddr | sort bytes desc | limit 10")


def dashboard_body(ctx):
    """The environment dashboard: header, bytes, packets, rejected flows, port attempts, alarm states, top talkers.

    ``ctx``: network, suffix, account_id, region, topic, log_group, log_format, namespace, period,
    rejected_threshold, metrics (purpose -> metric name), alarm_arns (rejected, ports, anomaly).
    """
    namespace, metrics = ctx["namespace"], ctx["metrics"]
    defaults = {"region": ctx["region"], "stat": "Sum", "period": int(ctx["period"]), "view": "timeSeries"}

    def graph(title, lines, alarm_at=None):
        properties = dict(defaults, title=title, metrics=[[namespace, metrics[key], {"label": label}] for key, label in lines])
        if alarm_at is not None:
            properties["annotations"] = {"horizontal": [{"label": "alarm", "value": alarm_at}]}
        return properties

    def widget(kind, x, y, width, properties):
        return {"type": kind, "x": x, "y": y, "width": width, "height": 2 if kind == "text" else 6, "properties": properties}

    header = (f"## NetSec peering, {ctx['suffix']}: {ctx['network']} (account {ctx['account_id']}, {ctx['region']})\n"
              "Metrics, alarms and flow logs of this account only; peers' metrics need CloudWatch cross-account "
              f"observability. Alerts go to SNS topic `{ctx['topic']}`.")
    return {"widgets": [
        widget("text", 0, 0, 24, {"markdown": header}),
        widget("metric", 0, 2, 12, graph("Bytes over the peering", [("bytes_in", "in (from peers)"), ("bytes_out", "out (to peers)")])),
        widget("metric", 12, 2, 12, graph("Packets over the peering",
                                          [("packets_in", "in (from peers)"), ("packets_out", "out (to peers)")])),
        widget("metric", 0, 8, 8, graph("Rejected flows on the peering", [("rejected", "rejected flows")],
                                        float(ctx["rejected_threshold"]))),
        widget("metric", 8, 8, 8, graph("Attempts on non-whitelisted ports", [("ports", "attempts from peers")], 1)),
        widget("alarm", 16, 8, 8, {"title": "Alarm states", "alarms": list(ctx["alarm_arns"])}),
        widget("log", 0, 14, 24, {"title": f"Top talkers ({ctx['log_group']})", "region": ctx["region"], "view": "table",
                                  "query": top_talkers_query(ctx["log_group"], ctx["log_format"])}),
    ]}


# ---------------------------------------------------------------------------
# Peer CIDRs (from the peers' own discovery)
# ---------------------------------------------------------------------------


def private_subnet_cidrs(state):
    """The CIDRs of a site's private subnets: tagged Tier=private and owned by the collection for that site's network."""
    network = (state or {}).get("network_name")
    cidrs = []
    for subnet in (state or {}).get("subnets") or []:
        tags = tag_dict(subnet.get("Tags"))
        if tags.get("Tier") == "private" and is_ours(tags, network) and subnet.get("CidrBlock"):
            cidrs.append(subnet["CidrBlock"])
    return sorted(set(cidrs), key=ipaddress.ip_network)


def peer_cidrs(spec):
    """(CIDRs, errors, pending): the peers' private subnets; pending when a peer has none yet in a check run."""
    override = list(spec.get("peer_cidrs") or [])
    if override:
        return override, [], False
    peers = spec.get("peer_states") or {}
    if not peers:
        return [], [f"{spec['network_name']} takes part in no peering (`peerings`): the metric filters have no peer to "
                    "watch; set monitoring_peer_cidrs"], False
    cidrs, errors, pending = [], [], False
    for host, state in sorted(peers.items()):
        if not state:
            errors.append(f"peer {host} was not discovered in this play: run the play for every site of its peerings "
                          "(each site's private subnets are read from its own discovery), or set monitoring_peer_cidrs")
            continue
        found = private_subnet_cidrs(state)
        if not found and spec.get("check_mode"):
            pending = True
        elif not found:
            errors.append(f"peer {host} ({state.get('network_name')}) has no private subnets of the collection "
                          "(Tier=private, ManagedBy, Network): run the network stage for it first, or set monitoring_peer_cidrs")
        cidrs.extend(cidr for cidr in found if cidr not in cidrs)
    return cidrs, errors, pending


# ---------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------


class _Planner:
    """One site's monitoring: shared values, then one method per step."""

    def __init__(self, state, spec):
        self.state, self.spec = state or {}, spec
        self.errors, self.changes, self.args = [], [], {}
        self.network, self.suffix = spec["network_name"], spec["environment_suffix"]
        self.names = site_names(self.network, self.suffix)
        self.names["dashboard"] = spec.get("dashboard_name") or self.names["dashboard"]
        self.account = str(self.state.get("account_id") or "")
        self.partition = self.state.get("partition") or "aws"
        self.region = self.state.get("region") or ""
        self.check_mode = bool(spec.get("check_mode"))
        self.base_tags = {str(k): str(v) for k, v in (spec.get("tags") or {}).items()}
        self.base_tags.update({"Network": self.network, OWNER_TAG: OWNER})
        site = f"{self.network}-{self.suffix}"
        self.metrics = {purpose: f"{prefix}-{site}" for purpose, prefix in METRICS.items()}
        self.topic_arn = f"arn:{self.partition}:sns:{self.region}:{self.account}:{self.names['topic']}"
        self.role_arn = f"arn:{self.partition}:iam::{self.account}:role/{self.names['delivery_role']}"
        self.alarm_arns = [f"arn:{self.partition}:cloudwatch:{self.region}:{self.account}:alarm:{self.names['alarms'][purpose]}"
                           for purpose in ("rejected", "ports", "anomaly")]
        self.vpc_id = (self.state.get("vpc") or {}).get("VpcId")

    def tags(self, name):
        return dict(self.base_tags, Name=name)

    def add(self, items):
        self.changes.extend(items)

    def fail(self, message):
        self.errors.append(message)

    def key(self, alias):
        return (self.state.get("kms_keys") or {}).get(alias)

    def key_arn(self, alias):
        return ((self.key(alias) or {}).get("KeyMetadata") or {}).get("Arn")

    def check_session(self):
        expected = str(self.spec.get("account_id") or "")
        if expected and self.account != expected:
            self.fail(f"monitoring_account_id: the session of {self.network} reaches account {self.account or '?'}, "
                      f"not {expected}; refusing to build monitoring in the wrong account")
        wanted = self.spec.get("region")
        if not self.region:
            self.fail(f"the site state of {self.network} has no region")
        elif wanted and wanted != self.region:
            self.fail(f"monitoring_region: {wanted} is not the region {self.region} the site {self.network} was described in")

    def refuse_foreign(self, what, tags):
        why = foreign_owner(tags, self.network)
        if why:
            self.fail(f"{what} exists but is not the collection's for {self.network} ({why}): rename or remove it")
        return bool(why)

    # ------------------------------------------------------------------ keys
    def kms_options(self):
        names = self.names
        return {
            "keys": [
                {"alias": names["alerts_key_alias"], "description": f"Encrypts SNS topic {names['topic']}",
                 "policy": alerts_key_policy(self.region, self.account), "enable_key_rotation": True},
                {"alias": names["logs_key_alias"], "description": f"Encrypts log group {names['log_group']}",
                 "policy": flow_log_group_key_policy(self.region, self.account, names["log_group"]), "enable_key_rotation": True},
            ],
            "tags": dict(self.base_tags),
            "purge_tags": True,
            # Our key scheduled for deletion (by hand, or by a teardown killed midway) is drift:
            # cancelling the deletion keeps what it encrypts readable, as the bucket keys do.
            "recover_pending": True,
        }

    def plan_kms(self):
        options = self.kms_options()
        self.args["kms"] = options
        current = {}
        for key in options["keys"]:
            described = self.key(key["alias"])
            if described and self.refuse_foreign(f"KMS key {key['alias']}", kms_tag_dict(described.get("Tags"))):
                return
            current[key["alias"]] = described
        try:
            self.add(_tagged(plan_keys(current, options), "kms"))
        except PlanError as e:
            self.fail(str(e))

    # ------------------------------------------------------------------ topic
    def plan_topic(self):
        name = self.names["topic"]
        policy = alerts_topic_policy(self.region, self.account, name)
        email = self.spec.get("alert_email") or ""
        subscriptions = [{"protocol": "email", "endpoint": email}] if email else []
        self.args["topic"] = {"name": name, "display_name": f"NetSec {self.network} {self.suffix}", "topic_type": "standard",
                              "policy": policy, "subscriptions": subscriptions, "purge_subscriptions": True,
                              "tags": self.tags(name), "purge_tags": True}
        topic = self.state.get("topic")
        resource = f"topic {name}"
        if topic is None:
            self.add([change("topic", resource, "create", "topic", None,
                             {"DisplayName": self.args["topic"]["display_name"], "Subscriptions": subscriptions,
                              "Tags": self.tags(name)})])
            return
        if self.refuse_foreign(f"SNS topic {name}", topic.get("Tags")):
            return
        attributes = topic.get("Attributes") or {}
        if attributes.get("DisplayName") != self.args["topic"]["display_name"]:
            self.add([change("topic", resource, "update", "DisplayName", attributes.get("DisplayName"),
                             self.args["topic"]["display_name"])])
        current = attributes.get("Policy")
        current = json.loads(current) if isinstance(current, str) else current
        if current is None or compare_policies(policy, current):
            self.add([change("topic", resource, "update", "Policy", current, policy)])
        have = {(sub.get("Protocol"), sub.get("Endpoint")): sub for sub in topic.get("Subscriptions") or []}
        want = {(sub["protocol"], sub["endpoint"]) for sub in subscriptions}
        gone = sorted(k for k, sub in have.items() if k not in want and sub.get("SubscriptionArn") not in ("PendingConfirmation", "Deleted"))
        new = sorted(want - set(have))
        if gone or new:
            self.add([change("topic", resource, "update", "Subscriptions", [f"{p}:{e}" for p, e in sorted(have)],
                             [f"{p}:{e}" for p, e in sorted((set(have) - set(gone)) | want)])])
        self.add(tag_drift(resource, "topic", topic.get("Tags"), self.tags(name)))

    def plan_topic_encryption(self):
        alias = self.names["alerts_key_alias"]
        arn = self.key_arn(alias)
        self.args["topic_encryption"] = {"topic_arn": self.topic_arn, "kms_master_key_id": arn}
        topic = self.state.get("topic")
        current = ((topic or {}).get("Attributes") or {}).get("KmsMasterKeyId") or ""
        if topic is None or current != arn:
            self.add([change("topic_encryption", f"topic {self.names['topic']}", "update", "KmsMasterKeyId", current,
                             arn or f"(the ARN of {alias}, once created)")])

    # ------------------------------------------------------------------ flow log group, delivery role, flow log
    def plan_log_group(self):
        name, alias = self.names["log_group"], self.names["logs_key_alias"]
        arn = self.key_arn(alias)
        retention = int(self.spec.get("log_retention_days") or 90)
        self.args["log_group"] = {"log_group_name": name, "kms_key_id": arn, "retention": retention,
                                  "tags": self.tags(name), "purge_tags": True}
        group = self.state.get("log_group")
        resource = f"log_group {name}"
        if group is None:
            self.add([change("log_group", resource, "create", "log_group", None,
                             {"kmsKeyId": arn or f"(the ARN of {alias}, once created)", "retentionInDays": retention,
                              "tags": self.tags(name)})])
            return
        if self.refuse_foreign(f"log group {name}", group.get("tags")):
            return
        if group.get("kmsKeyId") != arn:
            self.fail(f"log group {name} is encrypted with {group.get('kmsKeyId') or 'no key'}, not "
                      f"{arn or alias + ' (which does not exist)'}: only AssociateKmsKey re-keys a group; associate the key "
                      "(aws logs associate-kms-key) or delete the group, then run again")
        if group.get("retentionInDays") != retention:
            self.add([change("log_group", resource, "update", "retentionInDays", group.get("retentionInDays"), retention)])
        self.add(tag_drift(resource, "log_group", group.get("tags"), self.tags(name)))

    def plan_delivery_role(self):
        name, group = self.names["delivery_role"], self.names["log_group"]
        trust = flow_log_delivery_trust_policy(self.region, self.account)
        description = f"VPC Flow Logs delivery to {group}"
        self.args["delivery_role"] = {"name": name, "description": description, "assume_role_policy_document": trust,
                                      "managed_policies": [], "purge_policies": True, "create_instance_profile": False,
                                      "delete_instance_profile": False, "tags": self.tags(name), "purge_tags": True}
        policy = flow_log_delivery_policy(self.region, self.account, group)
        self.args["delivery_policy"] = {"iam_type": "role", "iam_name": name, "policy_name": name, "policy_json": policy}
        role = (self.state.get("iam_roles") or {}).get(name)
        resource = f"iam_role {name}"
        if role is None:
            created = {"AssumeRolePolicyDocument": trust, "Description": description, "Tags": self.tags(name)}
            self.add([change("delivery_role", resource, "create", "role", None, created),
                      change("delivery_policy", resource, "create", f"inline policy {name}", None, policy)])
            return
        if self.refuse_foreign(f"IAM role {name}", role.get("Tags")):
            return
        details = role.get("Role") or {}
        if compare_policies(details.get("AssumeRolePolicyDocument"), trust):
            self.add([change("delivery_role", resource, "update", "AssumeRolePolicyDocument", details.get("AssumeRolePolicyDocument"), trust)])
        if details.get("Description") != description:
            self.add([change("delivery_role", resource, "update", "Description", details.get("Description"), description)])
        attached = sorted(p.get("PolicyArn") for p in role.get("AttachedPolicies") or [])
        if attached:
            self.add([change("delivery_role", resource, "update", "AttachedPolicies", attached, [])])
        self.add(tag_drift(resource, "delivery_role", role.get("Tags"), self.tags(name)))
        inline = (role.get("InlinePolicies") or {}).get(name)
        if inline is None or compare_policies(inline, policy):
            self.add([change("delivery_policy", resource, "update" if inline else "create", f"inline policy {name}", inline, policy)])

    def plan_flow_log(self):
        """vpc_flow_log's own planner (flow_logs.plan_flow_log) on the described flow logs of the VPC."""
        name, group = self.names["cwl_flow_log"], self.names["log_group"]
        options = {"resource_id": self.vpc_id, "log_destination_type": "cloud-watch-logs", "log_group_name": group,
                   "deliver_logs_permission_arn": self.role_arn, "traffic_type": self.spec.get("flow_log_traffic_type") or "ALL",
                   "max_aggregation_interval": int(self.spec.get("flow_log_max_aggregation_interval") or 60),
                   "log_format": " ".join(str(self.spec.get("flow_log_format") or "").split()) or None,
                   "tags": self.tags(name), "purge_tags": True, "require_owner_tag": True}
        self.args["flow_log"] = options
        if self.vpc_id is None:
            if not self.check_mode:
                self.fail(f"{self.network} has no VPC: run the network stage first (the flow log and the change alerts need it)")
                return
            self.add([change("flow_log", f"flow_log {name}", "create", "flow_log", None,
                             {"ResourceId": PENDING_VPC.format(network=self.network), "LogDestination": group,
                              "TrafficType": options["traffic_type"], "MaxAggregationInterval": options["max_aggregation_interval"],
                              "LogFormat": options["log_format"]})])
            return
        try:
            self.add(_tagged(flow_logs.plan_flow_log(self.state.get("flow_logs"), options), "flow_log"))
        except FlowLogError as e:
            self.fail(f"flow log of {self.network} to {group} (monitoring_flow_log_*): {e}")

    # ------------------------------------------------------------------ metric filters, alarms, rules
    def plan_metric_filters(self):
        group = self.names["log_group"]
        cidrs, errors, pending = peer_cidrs(self.spec)
        self.errors.extend(errors)
        if errors:
            return
        options = {"log_group_name": group, "owned_suffix": f"-{self.network}-{self.suffix}", "filters": []}
        self.args["metric_filters"] = options
        current = {f.get("filterName") for f in (self.state.get("log_group") or {}).get("metricFilters") or []}
        if pending:
            names = [f"{prefix}-{self.network}-{self.suffix}" for prefix in (
                "peering-bytes-in", "peering-bytes-out", "peering-packets-in", "peering-packets-out", "peering-total-bytes-in",
                "peering-total-bytes-out", "rejected-flows-in", "rejected-flows-out", "nonwhitelisted-ports")]
            self.add([change("metric_filters", f"metric_filter {name}", "update" if name in current else "create",
                             "filterPattern", None, PENDING_PEERS) for name in names])
            return
        try:
            options["filters"] = metric_filter_specs(cidrs, self.spec.get("allowed_ports"), self.spec.get("flow_log_format"),
                                                     self.network, self.suffix, self.spec.get("metric_namespace"), self.metrics)
            self.add(_tagged(plan_metric_filters(self.state.get("log_group"), options), "metric_filters"))
        except ValueError as e:
            self.fail(f"metric filters of {self.network}: {e}")

    def alarm_specs(self):
        spec, names = self.spec, self.names["alarms"]
        peers = ", ".join(sorted(spec.get("peer_states") or {})) or "its peers"
        period = int(spec.get("alarm_period") or 300)
        actions = {"alarm_actions": [self.topic_arn], "ok_actions": [self.topic_arn], "treat_missing_data": "notBreaching",
                   "namespace": spec.get("metric_namespace"), "statistic": "Sum", "period": period}
        ports = ", ".join(str(p) for p in spec.get("allowed_ports") or [])
        return [
            dict(actions, name=names["rejected"], metric_name=self.metrics["rejected"], comparison_operator="GreaterThanThreshold",
                 threshold=float(spec.get("rejected_threshold", 10)), evaluation_periods=1, tags={"Name": names["rejected"]},
                 description=f"More than {spec.get('rejected_threshold', 10)} rejected flows to or from the peers of "
                             f"{self.network} ({peers}) in {period} s."),
            dict(actions, name=names["ports"], metric_name=self.metrics["ports"], comparison_operator="GreaterThanOrEqualToThreshold",
                 threshold=1.0, evaluation_periods=1, tags={"Name": names["ports"]},
                 description=f"A peer of {self.network} ({peers}) tried a port outside the whitelist {ports}."),
            dict(actions, name=names["anomaly"], kind="anomaly_band", metric_name=self.metrics["bytes"],
                 band_width=float(spec.get("anomaly_band_width", 2)), comparison_operator="LessThanLowerOrGreaterThanUpperThreshold",
                 evaluation_periods=int(spec.get("anomaly_evaluation_periods", 3)),
                 datapoints_to_alarm=int(spec.get("anomaly_datapoints_to_alarm", 2)), tags={"Name": names["anomaly"]},
                 description=f"Bytes between {self.network} and its peers outside the anomaly band "
                             f"({format_number(spec.get('anomaly_band_width', 2))} standard deviations): a surge (exfiltration?) "
                             "or a drop (broken peering?)."),
        ]

    def plan_alarms(self):
        options = {"alarms": self.alarm_specs(), "tags": dict(self.base_tags), "purge_tags": True}
        self.args["alarms"] = options
        for alarm in self.state.get("alarms") or []:
            if self.refuse_foreign(f"alarm {alarm.get('AlarmName')}", alarm.get("Tags")):
                return
        try:
            self.add(_tagged(plan_alarms(self.state.get("alarms"), options), "alarms"))
        except ValueError as e:
            self.fail(f"alarms of {self.network}: {e}")

    def plan_rules(self):
        names = self.names["event_rules"]
        options = {"rules": [], "tags": dict(self.base_tags), "purge_tags": True}
        self.args["rules"] = options
        current = self.state.get("event_rules") or []
        for rule in current:
            if self.refuse_foreign(f"EventBridge rule {rule.get('Name')}", rule.get("Tags")):
                return
        if self.vpc_id is None:
            if not self.check_mode:
                return  # reported by the flow log already
            have = {rule.get("Name") for rule in current}
            self.add([change("rules", f"event_rule {name}", "update" if name in have else "create", "EventPattern", None,
                             PENDING_VPC.format(network=self.network)) for name in names.values()])
            return
        state = self.state
        try:
            options["rules"] = change_alert_rules(
                names, self.vpc_id, [t["RouteTableId"] for t in state.get("route_tables") or []],
                [n["NetworkAclId"] for n in state.get("network_acls") or []],
                [g["GroupId"] for g in state.get("security_groups") or []], self.topic_arn, self.network)
            self.add(_tagged(plan_rules(current, options), "rules"))
        except ValueError as e:
            self.fail(f"change-alert rules of {self.network}: {e}")

    # ------------------------------------------------------------------ dashboard
    def body(self):
        return dashboard_body({
            "network": self.network, "suffix": self.suffix, "account_id": self.account, "region": self.region,
            "topic": self.names["topic"], "log_group": self.names["log_group"], "log_format": self.spec.get("flow_log_format"),
            "namespace": self.spec.get("metric_namespace"), "period": self.spec.get("alarm_period") or 300,
            "rejected_threshold": self.spec.get("rejected_threshold", 10), "metrics": self.metrics, "alarm_arns": self.alarm_arns,
        })

    def plan_dashboard(self):
        if not self.spec.get("dashboard_owner"):
            return
        name = self.names["dashboard"]
        try:
            body = normalize_json(self.body())
        except (ValueError, TypeError) as e:
            self.fail(f"dashboard {name}: {e}")
            return
        problems = validate_dashboard_body(body)
        if problems:
            self.errors.extend(f"dashboard {name}: {problem}" for problem in problems)
            return
        self.args["dashboard"] = {"name": name, "body": body}
        board = self.state.get("dashboard")
        if board and board.get("DashboardName") not in (None, name):
            self.fail(f"the site state describes dashboard {board.get('DashboardName')}, not {name}: give site_state the same "
                      "dashboard name (site_state_dashboard_name)")
            return
        current = normalize_json(board.get("DashboardBody")) if board else None
        if current != body:
            self.add([change("dashboard", f"dashboard {name}", "update" if board else "create", "DashboardBody", current, body)])

    # ------------------------------------------------------------------ result
    def result(self):
        out = {"alert_topic_arn": self.topic_arn, "flowlog_log_group": self.names["log_group"],
               "alarm_names": list(self.names["alarms"].values()), "event_rule_names": list(self.names["event_rules"].values()),
               "dashboard_name": self.names["dashboard"]}
        if self.spec.get("dashboard_owner"):
            out["dashboard_url"] = dashboard_console_url(self.region, self.names["dashboard"])
        return out

    def existing(self):
        state = self.state
        out = {"alert_topic_arn": self.topic_arn if state.get("topic") else "",
               "flowlog_log_group": self.names["log_group"] if state.get("log_group") else "",
               "alarm_names": [alarm["AlarmName"] for alarm in state.get("alarms") or []],
               "event_rule_names": [rule["Name"] for rule in state.get("event_rules") or []],
               "dashboard_name": self.names["dashboard"]}
        if self.spec.get("dashboard_owner"):
            out["dashboard_url"] = dashboard_console_url(self.region, self.names["dashboard"]) if state.get("dashboard") else ""
        return out

    def plan(self, steps):
        return {"errors": self.errors, "changes": self.changes,
                "steps": {step: not self.errors and any(c["step"] == step for c in self.changes) for step in steps},
                "args": self.args, "result": self.result()}


def plan_monitoring(state, spec, kms_keys=None):
    """The monitoring stage's plan for one site (see the module docstring).

    ``kms_keys``: the keys as ``kms_keys`` returned them after a run (alias -> description), over the
    described ones: the plan made again once the keys exist, with their ARNs.
    """
    if kms_keys:
        state = dict(state or {}, kms_keys=dict((state or {}).get("kms_keys") or {}, **kms_keys))
    planner = _Planner(state, spec)
    planner.check_session()
    if planner.errors:
        return planner.plan(STEPS)
    for step in ("kms", "topic", "topic_encryption", "log_group", "delivery_role", "flow_log", "metric_filters", "alarms",
                 "rules", "dashboard"):
        getattr(planner, f"plan_{step}")()
    return planner.plan(STEPS)


# ---------------------------------------------------------------------------
# Teardown: only what carries the ownership tags
# ---------------------------------------------------------------------------


def plan_monitoring_teardown(state, spec):
    """The removal of the site's monitoring, in the reverse order of creation; only what is ours.

    Steps: dashboard (owner only), rules (targets first, by the module), alarms, the CloudWatch Logs flow log
    (every flow log of the VPC to our log group), log group (its metric filters go with it), delivery role
    (with its inline policy), topic (with its subscriptions), keys (scheduled for deletion by key ID,
    aliases deleted). What is gone, or not tagged ``ManagedBy``/``Network`` for this network, is left alone.
    """
    planner = _Planner(state, spec)
    planner.check_session()
    if planner.errors:
        return dict(planner.plan(TEARDOWN_STEPS), result={})
    state, names, network = planner.state, planner.names, planner.network
    args, add = planner.args, planner.add
    board = state.get("dashboard")
    if spec.get("dashboard_owner") and board and board.get("DashboardName") in (None, names["dashboard"]):
        args["dashboard"] = {"name": names["dashboard"], "state": "absent"}
        add([change("dashboard", f"dashboard {names['dashboard']}", "delete", "dashboard", board.get("DashboardArn"), None)])
    rules = [rule["Name"] for rule in state.get("event_rules") or [] if is_ours(rule.get("Tags"), network)]
    if rules:
        args["rules"] = {"rules": [{"name": name} for name in rules], "state": "absent"}
        add([change("rules", f"event_rule {name}", "delete", "rule", name, None) for name in rules])
    alarms = [alarm["AlarmName"] for alarm in state.get("alarms") or [] if is_ours(alarm.get("Tags"), network)]
    if alarms:
        args["alarms"] = {"alarms": [{"name": name} for name in alarms], "state": "absent"}
        add([change("alarms", f"alarm {name}", "delete", "alarm", name, None) for name in alarms])
    if planner.vpc_id:
        args["flow_log"] = {"resource_id": planner.vpc_id, "log_destination_type": "cloud-watch-logs",
                            "log_group_name": names["log_group"], "require_owner_tag": True, "state": "absent"}
        try:
            add(_tagged(flow_logs.plan_flow_log(state.get("flow_logs"), args["flow_log"]), "flow_log"))
        except FlowLogError as e:
            planner.fail(f"flow log of {network} to {names['log_group']}: {e}")
    group = state.get("log_group")
    if group and is_ours(group.get("tags"), network):
        args["log_group"] = {"log_group_name": names["log_group"], "state": "absent"}
        filters = [f.get("filterName") for f in group.get("metricFilters") or []]
        add([change("log_group", f"log_group {names['log_group']}", "delete", "log_group", {"metricFilters": filters}, None)])
    role = (state.get("iam_roles") or {}).get(names["delivery_role"])
    if role and is_ours(role.get("Tags"), network):
        args["delivery_role"] = {"name": names["delivery_role"], "state": "absent", "create_instance_profile": False,
                                 "delete_instance_profile": False}
        add([change("delivery_role", f"iam_role {names['delivery_role']}", "delete", "role",
                    sorted(role.get("InlinePolicies") or {}), None)])
    topic = state.get("topic")
    if topic and is_ours(topic.get("Tags"), network):
        args["topic"] = {"name": names["topic"], "state": "absent"}
        add([change("topic", f"topic {names['topic']}", "delete", "topic",
                    [sub.get("Endpoint") for sub in topic.get("Subscriptions") or []], None)])
    # A key pending deletion shows no tags: its alias is left over from a teardown that stopped half-way.
    keys = [alias for alias in (names["alerts_key_alias"], names["logs_key_alias"]) if planner.key(alias) and (
        is_ours(kms_tag_dict(planner.key(alias).get("Tags")), network)
        or planner.key(alias)["KeyMetadata"].get("KeyState") in PENDING_STATES)]
    if keys:
        args["kms"] = {"keys": [{"alias": alias} for alias in keys], "state": "absent",
                       "pending_window_days": int(spec.get("key_deletion_window") or 30)}
        try:
            add(_tagged(plan_keys({alias: planner.key(alias) for alias in keys}, args["kms"]), "kms"))
        except PlanError as e:
            planner.fail(str(e))
    return dict(planner.plan(TEARDOWN_STEPS), result={})


def monitoring_result(state, spec):
    """What the site's monitoring is now (the ``info`` entry point): names of what exists, empty when it does not."""
    return _Planner(state, spec).existing()
