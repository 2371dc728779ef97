#!/usr/bin/env python3
"""A route someone else owns, in one of our private route tables: seeded, checked, removed.

  foreign_route.py seed|check|remove INVENTORY_DIR

As the account's administrator (another team's appliance): `seed` creates a network interface in the
requester's first private subnet and routes 172.16.0.0/16 to it from that subnet's route table;
`check` exits 1 unless that route is still there, pointing at the interface; `remove` deletes both
(the interface would otherwise keep the subnet from being deleted). Needs the sandbox environment.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# pylint: disable=wrong-import-position
from site_inventory import admin_session, describe, sites  # noqa: E402

DESTINATION = "172.16.0.0/16"
SEED = "eni-appliance-seed"


def main(argv=None):
    command, inventory = (argv or sys.argv[1:])[:2]
    hosts, group = sites(inventory)
    requester = next(h for h, v in hosts.items() if any(p["requester"] == h for p in group["peerings"]))
    hvars, endpoint = hosts[requester], os.environ["AWS_ENDPOINT_URL"]
    ec2 = admin_session(hvars["aws_account_id"], hvars["aws_region"], endpoint).client("ec2", endpoint_url=endpoint)
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "tag:Name", "Values": [SEED]}])["NetworkInterfaces"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "route.destination-cidr-block", "Values": [DESTINATION]}])["RouteTables"]
    routes = [(t["RouteTableId"], r) for t in tables for r in t["Routes"] if r.get("DestinationCidrBlock") == DESTINATION]
    if command == "seed":
        state = describe(requester, hvars, group, endpoint)
        subnet = sorted((s for s in state["subnets"] if any(t["Key"] == "Tier" for t in s.get("Tags", []))),
                        key=lambda s: s["CidrBlock"])[0]
        table = next(t for t in state["route_tables"] if any(a.get("SubnetId") == subnet["SubnetId"] for a in t["Associations"]))
        eni = ec2.create_network_interface(SubnetId=subnet["SubnetId"], Description="third-party appliance (test seed)",
                                           TagSpecifications=[{"ResourceType": "network-interface", "Tags": [
                                               {"Key": "Name", "Value": SEED}, {"Key": "Owner", "Value": "someone-else"}]}])
        ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=DESTINATION,
                         NetworkInterfaceId=eni["NetworkInterface"]["NetworkInterfaceId"])
        print(f"foreign_route: {DESTINATION} -> {eni['NetworkInterface']['NetworkInterfaceId']} in {table['RouteTableId']}")
        return 0
    if command == "check":
        good = len(routes) == 1 and enis and routes[0][1].get("NetworkInterfaceId") == enis[0]["NetworkInterfaceId"]
        print("foreign_route: the route someone else owns is " + ("intact" if good else f"CHANGED OR GONE: {routes}"))
        return 0 if good else 1
    for table_id, _route in routes:
        ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=DESTINATION)
    for eni in enis:
        ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
    print("foreign_route: removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
