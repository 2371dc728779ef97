#!/usr/bin/env python3
"""A realistic workload VPC in each sandbox account, and snapshots of everything that is not ours.

  brownfield.py build    --url URL --accounts 111111111111:10.0,222222222222:10.1
      With the emulator's default credentials (before IAM enforcement), as each account's own team
      would have built it: a VPC found by tags only (Team=<..>, Name=<..>-workloads), public and
      private subnets in three zones, an internet gateway and a NAT gateway, a NAT route and a route
      to another peering (a shared-services VPC) in the workloads' route table, an S3 gateway
      endpoint with its own policy, the default security group with its self-referencing rule,
      a workload network ACL with custom entries, and an AWS Config recorder with its delivery
      channel.
  brownfield.py snapshot --url URL --accounts ... --out FILE
      Describes everything in those accounts that does NOT carry ManagedBy=netsec.aws_peering (with
      the automation principal's credentials from the environment), normalised so that two
      snapshots of the same resources compare equal byte for byte.
  brownfield.py compare  BEFORE AFTER
      Exits 1 and prints every difference when the two snapshots differ.

Every request goes to URL, which must be a loopback address.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import urllib.parse

import boto3

OWNER = ("ManagedBy", "netsec.aws_peering")
REGION = "us-east-1"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def loopback(url):
    if urllib.parse.urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"brownfield: {url} is not a loopback URL; refusing to send anything")
    return url.rstrip("/")


def admin_session(url, account):
    """The account's administrator, through the organisation's access role (works before enforcement)."""
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION, **DUMMY)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                            RoleSessionName="workload-team")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def automation_session(url, account):
    """What the snapshot reads with: the automation role, as every run of the collection (IAM enforced)."""
    creds = boto3.client("sts", endpoint_url=url, region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/netsec-automation", RoleSessionName="brownfield-snapshot")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"], region_name=REGION)


def tags(**pairs):
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def spec(resource, **pairs):
    return [{"ResourceType": resource, "Tags": tags(**pairs)}]


def build_account(session, url, account, prefix, team):
    ec2 = session.client("ec2", endpoint_url=url)
    zones = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])[:3]
    vpc = ec2.create_vpc(CidrBlock=f"{prefix}.0.0/16",
                         TagSpecifications=spec("vpc", Name=f"{team}-workloads", Team=team, CostCenter="CC-WORKLOADS"))["Vpc"]["VpcId"]
    for attribute in ("EnableDnsSupport", "EnableDnsHostnames"):
        ec2.modify_vpc_attribute(VpcId=vpc, **{attribute: {"Value": True}})
    public = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{i}.0/24", AvailabilityZone=zone,
                                TagSpecifications=spec("subnet", Name=f"{team}-public{i + 1}", Team=team))["Subnet"]["SubnetId"]
              for i, zone in enumerate(zones)]
    private = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{10 + i}.0/24", AvailabilityZone=zone,
                                 TagSpecifications=spec("subnet", Name=f"{team}-private{i + 1}", Team=team, Tier="private"))["Subnet"]["SubnetId"]
               for i, zone in enumerate(zones)]
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", Name=f"{team}-igw", Team=team))
    igw = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", Name=f"{team}-public", Team=team))
    public_rtb = public_rtb["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for subnet in public:
        ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=subnet)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public[0], AllocationId=eip,
                                 TagSpecifications=spec("natgateway", Name=f"{team}-nat", Team=team))["NatGateway"]["NatGatewayId"]
    private_rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", Name=f"{team}-private", Team=team))
    private_rtb = private_rtb["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for subnet in private:
        ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=subnet)
    # Another peering of the team's: to a shared-services VPC of the same account.
    shared = ec2.create_vpc(CidrBlock="172.20.0.0/16", TagSpecifications=spec("vpc", Name=f"{team}-shared-services", Team=team))
    shared = shared["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=shared, TagSpecifications=spec(
        "vpc-peering-connection", Name=f"{team}-to-shared", Team=team))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=private_rtb, DestinationCidrBlock="172.20.0.0/16", VpcPeeringConnectionId=pcx)
    # The team's own S3 endpoint, with its own policy, on the workloads' route table.
    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "TeamBuckets", "Effect": "Allow", "Principal": "*",
                                                      "Action": ["s3:GetObject", "s3:PutObject"],
                                                      "Resource": f"arn:aws:s3:::{team}-*/*"}]}
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway",
                            RouteTableIds=[private_rtb], PolicyDocument=json.dumps(policy),
                            TagSpecifications=spec("vpc-endpoint", Name=f"{team}-s3", Team=team))
    # The default group as AWS makes it: members talk to each other (the emulator leaves this rule out).
    default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    if not default_sg["IpPermissions"]:
        ec2.authorize_security_group_ingress(GroupId=default_sg["GroupId"], IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default_sg["GroupId"]}]}])
    app_sg = ec2.create_security_group(GroupName=f"{team}-app", Description="application tier", VpcId=vpc,
                                       TagSpecifications=spec("security-group", Name=f"{team}-app", Team=team))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": f"{prefix}.0.0/16"}]}])
    nacl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=spec("network-acl", Name=f"{team}-private", Team=team))
    nacl = nacl["NetworkAcl"]["NetworkAclId"]
    for number, egress, action, cidr in ((100, False, "allow", f"{prefix}.0.0/16"), (110, False, "allow", "172.20.0.0/16"),
                                         (200, False, "deny", "192.0.2.0/24"), (100, True, "allow", "0.0.0.0/0")):
        ec2.create_network_acl_entry(NetworkAclId=nacl, RuleNumber=number, Protocol="-1", RuleAction=action, Egress=egress,
                                     CidrBlock=cidr)
    current = {a["SubnetId"]: a["NetworkAclAssociationId"]
               for n in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
               for a in n["Associations"]}
    for subnet in private:
        ec2.replace_network_acl_association(AssociationId=current[subnet], NetworkAclId=nacl)
    # The account's AWS Config, set up by its platform team long ago.
    iam, s3, config = session.client("iam", endpoint_url=url), session.client("s3", endpoint_url=url), session.client("config", endpoint_url=url)
    role = iam.create_role(RoleName="platform-config", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "config.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    bucket = f"platform-config-{account}"
    s3.create_bucket(Bucket=bucket)
    config.put_configuration_recorder(ConfigurationRecorder={
        "name": "default", "roleARN": role, "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True}})
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    return vpc


def build(url, accounts):
    for account, prefix in accounts:
        team = {"111111111111": "trading", "222222222222": "analytics"}.get(account, f"team{account[-4:]}")
        vpc = build_account(admin_session(url, account), url, account, prefix, team)
        print(f"brownfield: {team} workloads in {account}: {vpc}")


def _strip(resource):
    """Leave out what AWS changes by itself (states of things in flight, timestamps)."""
    return {k: v for k, v in resource.items() if k not in ("CreateTime", "CreationTimestamp", "ResponseMetadata")}


def _not_ours(items):
    return sorted((_strip(item) for item in items if OWNER not in [(t["Key"], t.get("Value")) for t in item.get("Tags", [])]),
                  key=lambda item: json.dumps(item, sort_keys=True, default=str))


def _entries_not_ours(nacls, ours_ids, existing_subnets):
    out = []
    for nacl in nacls:
        if nacl["NetworkAclId"] in ours_ids:
            continue
        nacl = dict(nacl)
        # Subnets of ours pass through the default ACL while being created and deleted; the emulator also
        # keeps deleted subnets listed there (AWS does not): compare the associations of existing subnets only.
        nacl["Associations"] = sorted(a["SubnetId"] for a in nacl.get("Associations", [])
                                      if a["SubnetId"] not in ours_ids and a["SubnetId"] in existing_subnets)
        nacl["Entries"] = sorted(nacl.get("Entries", []), key=lambda e: (e["Egress"], e["RuleNumber"]))
        out.append(nacl)
    return out


def snapshot_account(session, url):
    ec2 = session.client("ec2", endpoint_url=url)
    subnets = ec2.describe_subnets()["Subnets"]
    ours = {s["SubnetId"] for s in subnets if OWNER in [(t["Key"], t.get("Value")) for t in s.get("Tags", [])]}
    nacls = ec2.describe_network_acls()["NetworkAcls"]
    ours |= {n["NetworkAclId"] for n in nacls if OWNER in [(t["Key"], t.get("Value")) for t in n.get("Tags", [])]}
    tables = []
    for table in _not_ours(ec2.describe_route_tables()["RouteTables"]):
        table["Associations"] = sorted((a.get("SubnetId") or "main", a.get("Main", False)) for a in table.get("Associations", [])
                                       if a.get("SubnetId") not in ours)
        table["Routes"] = sorted(table.get("Routes", []), key=lambda r: json.dumps(r, sort_keys=True))
        tables.append(table)
    groups = []
    for group in _not_ours(ec2.describe_security_groups()["SecurityGroups"]):
        group["IpPermissions"] = sorted(group["IpPermissions"], key=lambda r: json.dumps(r, sort_keys=True))
        group["IpPermissionsEgress"] = sorted(group["IpPermissionsEgress"], key=lambda r: json.dumps(r, sort_keys=True))
        groups.append(group)
    vpcs = _not_ours(ec2.describe_vpcs()["Vpcs"])
    for vpc in vpcs:
        for attribute in ("enableDnsSupport", "enableDnsHostnames"):
            vpc[attribute] = ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)[attribute[0].upper() + attribute[1:]]
    config = session.client("config", endpoint_url=url)
    return {
        "vpcs": vpcs,
        "subnets": _not_ours(subnets),
        "route_tables": tables,
        "security_groups": groups,
        "network_acls": _entries_not_ours(nacls, ours, {s["SubnetId"] for s in subnets}),
        "vpc_endpoints": [dict(e, RouteTableIds=sorted(e.get("RouteTableIds", [])))
                          for e in _not_ours(ec2.describe_vpc_endpoints()["VpcEndpoints"])],
        "peerings": _not_ours(ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]),
        "internet_gateways": _not_ours(ec2.describe_internet_gateways()["InternetGateways"]),
        "nat_gateways": _not_ours(ec2.describe_nat_gateways()["NatGateways"]),
        "config_recorders": config.describe_configuration_recorders()["ConfigurationRecorders"],
        "config_recorder_status": [{k: v for k, v in s.items() if k in ("name", "recording")}
                                   for s in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]],
        "delivery_channels": config.describe_delivery_channels()["DeliveryChannels"],
    }


def snapshot(url, accounts, out):
    data = {account: snapshot_account(automation_session(url, account), url) for account, _prefix in accounts}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1, sort_keys=True, default=str)
        handle.write("\n")
    print(f"brownfield: snapshot of what is not ours written to {out}")


def compare(before, after):
    with open(before, encoding="utf-8") as a, open(after, encoding="utf-8") as b:
        left, right = a.read().splitlines(), b.read().splitlines()
    diff = list(difflib.unified_diff(left, right, before, after, lineterm="", n=2))
    if diff:
        print("\n".join(diff[:400]))
        print(f"brownfield: what is not ours CHANGED ({len(diff)} diff lines)")
        return 1
    print("brownfield: what is not ours is byte-for-byte unchanged")
    return 0


def parse_accounts(text):
    return [tuple(item.split(":", 1)) for item in text.split(",") if item]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=["build", "snapshot", "compare"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--url")
    parser.add_argument("--accounts", default="111111111111:10.0,222222222222:10.1")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.command == "compare":
        return compare(*args.files)
    url = loopback(args.url)
    if args.command == "build":
        build(url, parse_accounts(args.accounts))
    else:
        snapshot(url, parse_accounts(args.accounts), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
