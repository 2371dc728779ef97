"""Print a summary of each sandbox account's networks (debugging aid).

Usage: .venv/bin/python scripts/sandbox-inspect.py [ACCOUNT_ID ...]  (default: 111111111111 222222222222)
Talks only to the emulator at AWS_ENDPOINT_URL (default http://127.0.0.1:5000).
"""
import os
import sys

import boto3

endpoint = os.environ.get("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
regions = os.environ.get("SANDBOX_REGIONS", "us-east-1,us-east-2").split(",")
accounts = sys.argv[1:] or ["111111111111", "222222222222"]
sts = boto3.client("sts", endpoint_url=endpoint, region_name=regions[0],
                   aws_access_key_id="testing", aws_secret_access_key="testing")
for account in accounts:
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/netsec-automation",
                            RoleSessionName="inspect")["Credentials"]
    for region in regions:
        ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
        for vpc in vpcs:
            tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
            print(account, region, vpc["VpcId"], vpc["CidrBlock"], tags.get("Name"))
            for rtb in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]:
                name = {t["Key"]: t["Value"] for t in rtb.get("Tags", [])}.get("Name")
                routes = [(r.get("DestinationCidrBlock"), r.get("GatewayId") or r.get("VpcPeeringConnectionId")) for r in rtb["Routes"]]
                print("   ", rtb["RouteTableId"], name, routes)
