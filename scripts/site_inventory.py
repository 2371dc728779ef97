#!/usr/bin/env python3
"""What the collection owns in each site of an inventory, read with the collection's own discovery.

  site_inventory.py INVENTORY_DIR [--out FILE] [--expect-empty] [--compare FILE]

For every site (host) of the inventory, assumes its automation role with the sandbox principal's
credentials (from the environment: scripts/sandbox.sh env), describes it with the same code as the
site_info module, and lists every resource of ours: by type, with its name (IDs left out, so two
runs compare equal). Duplicates show as a count above one.
--expect-empty  exit 1 unless nothing of ours is left (after a teardown; kept audit buckets and
                keys pending deletion do not count as left when the sandbox deletes them);
--compare FILE  exit 1 unless the inventory equals the one in FILE (a clean run's).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".collections"))

# pylint: disable=wrong-import-position
from ansible_collections.netsec.aws_peering.plugins.module_utils.discovery import discover  # noqa: E402
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import is_ours  # noqa: E402
from ansible_collections.netsec.aws_peering.plugins.module_utils.names import name_of  # noqa: E402


def sites(inventory):
    hosts = yaml.safe_load((Path(inventory) / "hosts.yml").read_text())["all"]["children"]["networks"]["hosts"]
    group = yaml.safe_load((Path(inventory) / "group_vars" / "networks.yml").read_text())
    return hosts, group


def session(account, role_arn, region, endpoint):
    creds = boto3.client("sts", endpoint_url=endpoint, region_name=region).assume_role(
        RoleArn=role_arn, RoleSessionName="site-inventory")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


def admin_session(account, region, endpoint):
    """The organisation's administrator in an account (the sandbox's sandbox-admin through OrganizationAccountAccessRole):
    what tests use to act as another team of the account."""
    import configparser  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel
    config = configparser.ConfigParser()
    config.read(os.environ["SANDBOX_ADMIN_CREDENTIALS"])
    base = dict(config["default"])
    creds = boto3.client("sts", endpoint_url=endpoint, region_name=region, **base).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="another-team")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=region)


def describe(host, hvars, group, endpoint):
    region = hvars["aws_region"]
    boto = session(hvars["aws_account_id"], hvars["aws_role_arn"], region, endpoint)
    params = {"network_name": hvars["network_name"], "environment_suffix": group["environment_suffix"], "region": region,
              "vpc_id": hvars.get("vpc_id"), "vpc_adopt_tags": hvars.get("vpc_adopt_tags"),
              "scopes": ["network", "peering", "security", "endpoints", "flowlogs", "config", "monitoring"],
              "dashboard_name": f"netsec-{group['environment_suffix']}"}
    return discover(lambda service: boto.client(service, endpoint_url=endpoint), params)


def owned(state):
    """(type, name) of every resource of ours in a site state."""
    network = state["network_name"]
    items = []
    if state.get("vpc") and is_ours(state["vpc"], network):
        items.append(("vpc", name_of(state["vpc"])))
    for key, kind in (("subnets", "subnet"), ("route_tables", "route-table"), ("network_acls", "network-acl"),
                      ("security_groups", "security-group"), ("flow_logs", "flow-log")):
        items += [(kind, name_of(item)) for item in state.get(key, []) if is_ours(item, network)]
    items += [("vpc-endpoint", name_of(e)) for e in state.get("vpc_endpoints", [])
              if is_ours(e, network) and e.get("State", "").lower() not in ("deleted", "deleting")]
    items += [("peering", name_of(p)) for p in state.get("vpc_peering_connections", [])
              if is_ours(p) and p.get("Status", {}).get("Code") not in ("deleted", "deleting", "rejected", "failed", "expired")]
    items += [("iam-role", name) for name, role in (state.get("iam_roles") or {}).items() if role]
    items += [("kms-key", alias) for alias, key in (state.get("kms_keys") or {}).items()
              if key and key.get("KeyMetadata", {}).get("KeyState") not in ("PendingDeletion",)]
    items += [("bucket", name) for name, bucket in (state.get("buckets") or {}).items() if bucket]
    config = state.get("config") or {}
    items += [("config-rule", r["ConfigRuleName"]) for r in config.get("rules", [])]
    suffix = f"-{network}-{state['environment_suffix']}"
    items += [("config-recorder", r["name"]) for r in config.get("recorders", []) if r["name"].endswith(suffix)]
    items += [("config-channel", c["name"]) for c in config.get("delivery_channels", []) if c["name"].endswith(suffix)]
    if state.get("topic"):
        items.append(("sns-topic", state["topic"]["Attributes"]["TopicArn"].rsplit(":", 1)[-1]))
    if state.get("log_group"):
        items.append(("log-group", state["log_group"]["logGroupName"]))
        items += [("metric-filter", f["filterName"]) for f in state["log_group"].get("metricFilters", [])]
    items += [("alarm", a["AlarmName"]) for a in state.get("alarms", [])]
    items += [("event-rule", r["Name"]) for r in state.get("event_rules", [])]
    if state.get("dashboard"):
        items.append(("dashboard", state["dashboard"]["DashboardName"]))
    return items


def inventory(inventory_dir, endpoint):
    hosts, group = sites(inventory_dir)
    out = {}
    for host, hvars in sorted(hosts.items()):
        counts = collections.Counter(owned(describe(host, hvars, group, endpoint)))
        out[host] = sorted([kind, name, count] for (kind, name), count in counts.items())
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("inventory")
    parser.add_argument("--endpoint", default=None)
    parser.add_argument("--out")
    parser.add_argument("--expect-empty", action="store_true")
    parser.add_argument("--compare")
    args = parser.parse_args(argv)
    import os  # pylint: disable=import-outside-toplevel
    endpoint = args.endpoint or os.environ["AWS_ENDPOINT_URL"]
    found = inventory(args.inventory, endpoint)
    text = json.dumps(found, indent=1, sort_keys=True)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    problems = []
    for host, items in found.items():
        problems += [f"{host}: {count} x {kind} {name}" for kind, name, count in items if count > 1]
    if args.expect_empty:
        problems += [f"{host}: left behind: {kind} {name}" for host, items in found.items() for kind, name, _count in items]
    if args.compare:
        expected = json.loads(Path(args.compare).read_text(encoding="utf-8"))
        if expected != found:
            for host in sorted(set(expected) | set(found)):
                want, have = {tuple(i) for i in expected.get(host, [])}, {tuple(i) for i in found.get(host, [])}
                problems += [f"{host}: missing {k} {n} x{c}" for k, n, c in sorted(want - have)]
                problems += [f"{host}: unexpected {k} {n} x{c}" for k, n, c in sorted(have - want)]
    for line in problems:
        print(line)
    if not problems:
        print(f"site_inventory: {sum(len(items) for items in found.values())} resource(s) of ours, no duplicate"
              + (", nothing left" if args.expect_empty else ""))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
