# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS calls the stock modules of amazon.aws / community.aws cannot make, for the monitoring role.

Roles inside a collection cannot ship modules (plugins live in plugins/ only), so the role runs
this script with the controller's Python (boto3 is there, the AWS modules need it too):

    python monitoring_aws.py < request.json

The request is one JSON object: ``{"action": ..., "connection": {...}, "check_mode": bool,
"params": {...}}``; ``connection`` is the aws_session_connection dict (access_key, secret_key,
session_token, region, endpoint_url), read from stdin so credentials never reach a command
line. The reply on stdout is JSON with ``changed`` (and ``failed``/``msg`` on errors, exit 1).

Actions
  topic_encryption  params: topic_arn, kms_master_key_id. Sets the SNS topic's KmsMasterKeyId
                    (community.aws.sns_topic cannot).
  resource_tags     params: resources (CloudWatch alarm / EventBridge rule ARNs, or dicts of
                    arn and tags), tags (for plain ARNs), purge.
                    (amazon.aws.cloudwatch_metric_alarm and cloudwatchevent_rule cannot tag.)
  key_deletion      params: aliases, pending_window_days. Schedules the keys behind the
                    aliases for deletion and deletes the aliases, by key ID: amazon.aws.kms_key
                    passes the key ARN, which the moto emulator's ScheduleKeyDeletion and
                    CancelKeyDeletion cannot look up (HTTP 500).
  event_rules_info  params: names. Reads EventBridge rules, their targets and tags (no module
                    reads them). Read-only.

Candidates for real modules in plugins/modules.
"""

from __future__ import annotations

import json
import sys

import boto3
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError


def error_code(exc):
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


class Gap:
    def __init__(self, request):
        conn = request.get("connection") or {}
        self.check_mode = bool(request.get("check_mode"))
        self.params = request.get("params") or {}
        session_args = {"region_name": conn.get("region")}
        if conn.get("access_key"):
            session_args.update(
                aws_access_key_id=conn["access_key"],
                aws_secret_access_key=conn.get("secret_key"),
                aws_session_token=conn.get("session_token"),
            )
        self.session = boto3.session.Session(**session_args)
        self.endpoint_url = conn.get("endpoint_url") or None
        self.clients = {}

    def client(self, service):
        if service not in self.clients:
            self.clients[service] = self.session.client(service, endpoint_url=self.endpoint_url)
        return self.clients[service]

    # -- SNS topic encryption ------------------------------------------------------------
    def topic_encryption(self):
        arn = self.params["topic_arn"]
        desired = self.params["kms_master_key_id"]
        sns = self.client("sns")
        try:
            attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        except ClientError as exc:
            if error_code(exc) == "NotFound" and self.check_mode:
                return {"changed": True, "kms_master_key_id": desired, "previous_kms_master_key_id": ""}
            raise
        current = attributes.get("KmsMasterKeyId") or ""
        if current == desired:
            return {"changed": False, "kms_master_key_id": current, "previous_kms_master_key_id": current}
        if not self.check_mode:
            sns.set_topic_attributes(TopicArn=arn, AttributeName="KmsMasterKeyId", AttributeValue=desired)
        return {"changed": True, "kms_master_key_id": desired, "previous_kms_master_key_id": current}

    # -- tags of CloudWatch alarms and EventBridge rules ------------------------------------
    def resource_tags(self):
        default_tags = self.params.get("tags") or {}
        purge = self.params.get("purge", True)
        changed = {}
        for resource in self.params.get("resources") or []:
            # A resource is an ARN (gets `tags`) or {"arn": ..., "tags": {...}}.
            if isinstance(resource, dict):
                arn, tags = resource["arn"], resource.get("tags", default_tags)
            else:
                arn, tags = resource, default_tags
            desired = {str(k): str(v) for k, v in tags.items()}
            parts = arn.split(":")
            if len(parts) < 6 or parts[0] != "arn" or parts[2] not in ("cloudwatch", "events"):
                raise ValueError(f"not a CloudWatch alarm or EventBridge rule ARN: {arn}")
            client = self.client(parts[2])
            try:
                reply = client.list_tags_for_resource(ResourceARN=arn)
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException" and self.check_mode:
                    changed[arn] = {"add": desired, "remove": []}
                    continue
                raise
            current = {t["Key"]: t["Value"] for t in reply.get("Tags", [])}
            to_add = {k: v for k, v in desired.items() if current.get(k) != v}
            to_remove = [k for k in current if purge and k not in desired and not k.startswith("aws:")]
            if not to_add and not to_remove:
                continue
            changed[arn] = {"add": to_add, "remove": to_remove}
            if self.check_mode:
                continue
            if to_remove:
                client.untag_resource(ResourceARN=arn, TagKeys=to_remove)
            if to_add:
                client.tag_resource(ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in to_add.items()])
        return {"changed": bool(changed), "changed_resources": changed}

    # -- KMS keys scheduled for deletion ---------------------------------------------------
    def key_deletion(self):
        kms = self.client("kms")
        scheduled = []
        deleted_aliases = []
        for alias in self.params.get("aliases") or []:
            try:
                meta = kms.describe_key(KeyId=alias)["KeyMetadata"]
            except ClientError as exc:
                if error_code(exc) == "NotFoundException":
                    continue
                raise
            if meta.get("KeyState") not in ("PendingDeletion", "PendingReplicaDeletion"):
                scheduled.append(meta["KeyId"])
                if not self.check_mode:
                    kms.schedule_key_deletion(
                        KeyId=meta["KeyId"], PendingWindowInDays=int(self.params.get("pending_window_days", 30))
                    )
            # The alias goes now, so a later run creates a fresh key instead of finding one
            # pending deletion (and nothing named is left behind).
            deleted_aliases.append(alias)
            if not self.check_mode:
                kms.delete_alias(AliasName=alias)
        return {"changed": bool(deleted_aliases), "scheduled_key_ids": scheduled, "deleted_aliases": deleted_aliases}

    # -- EventBridge rules, read-only -------------------------------------------------------
    def event_rules_info(self):
        events = self.client("events")
        rules = []
        for name in self.params.get("names") or []:
            try:
                rule = events.describe_rule(Name=name)
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    continue
                raise
            targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
            tags = events.list_tags_for_resource(ResourceARN=rule["Arn"]).get("Tags", [])
            rules.append(
                {
                    "name": rule["Name"],
                    "arn": rule["Arn"],
                    "state": rule.get("State"),
                    "description": rule.get("Description"),
                    "event_pattern": json.loads(rule["EventPattern"]) if rule.get("EventPattern") else None,
                    "targets": [{"id": t.get("Id"), "arn": t.get("Arn")} for t in targets],
                    "tags": {t["Key"]: t["Value"] for t in tags},
                }
            )
        return {"changed": False, "rules": rules}


def main():
    try:
        request = json.load(sys.stdin)
        action = request["action"]
        if action not in ("topic_encryption", "resource_tags", "key_deletion", "event_rules_info"):
            raise ValueError(f"unknown action {action}")
        reply = getattr(Gap(request), action)()
    except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
        print(json.dumps({"failed": True, "changed": False, "msg": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main())
