#!/usr/bin/env python3
"""The sandbox's automation principal, and the switch that makes the emulator enforce IAM.

  sandbox_principal.py create  --url URL --credentials FILE [--admin-credentials FILE --accounts A,B]
      Creates, with the emulator's default credentials (before enforcement), the IAM user
      `netsec-controller` in the controller account (the emulator's default 123456789012) with an
      access key and a policy that allows only sts:AssumeRole into the sites' automation roles.
      Writes the key to FILE as a shared-credentials file (mode 0600) and prints the user's ARN.
      With --admin-credentials, also the organisation's administrator: the user `sandbox-admin`,
      allowed only to assume `OrganizationAccountAccessRole` in the given accounts, where that role
      may do anything. Tests use it to play the other teams of an account (seeding a route, drift).
  sandbox_principal.py enforce --url URL --credentials FILE
      Switches IAM enforcement on (POST /moto-api/reset-auth, body "0"), then proves it: the
      default dummy keys are refused and the controller's key is accepted.

Every request goes to URL, which must be a loopback address.
"""

from __future__ import annotations

import argparse
import configparser
import json
import os
import sys
import urllib.parse
import urllib.request

import boto3
import botocore.exceptions

USER = "netsec-controller"
AUTOMATION_ROLE_PATTERN = "arn:aws:iam::*:role/netsec-automation"
DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def loopback(url):
    host = urllib.parse.urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"sandbox_principal: {url} is not a loopback URL; refusing to send anything")
    return url


def client(service, url, **credentials):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", **(credentials or DUMMY))


def create(url, path):
    iam = client("iam", url)
    try:
        iam.get_user(UserName=USER)
    except iam.exceptions.NoSuchEntityException:
        iam.create_user(UserName=USER, Tags=[{"Key": "Name", "Value": USER}, {"Key": "ManagedBy", "Value": "sandbox"}])
    iam.put_user_policy(UserName=USER, PolicyName="assume-automation-roles", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AssumeTheSitesAutomationRolesOnly", "Effect": "Allow",
                       "Action": "sts:AssumeRole", "Resource": AUTOMATION_ROLE_PATTERN}]}))
    for key in iam.list_access_keys(UserName=USER)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=USER, AccessKeyId=key["AccessKeyId"])
    write_credentials(path, iam.create_access_key(UserName=USER)["AccessKey"])
    print(iam.get_user(UserName=USER)["User"]["Arn"])


ADMIN = "sandbox-admin"
ORG_ROLE = "OrganizationAccountAccessRole"


def write_credentials(path, key):
    config = configparser.ConfigParser()
    config["default"] = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        config.write(handle)


def create_admin(url, path, accounts):
    """The organisation's administrator: a user that can only assume the accounts' access role, which can do anything."""
    iam = client("iam", url)
    try:
        iam.get_user(UserName=ADMIN)
    except iam.exceptions.NoSuchEntityException:
        iam.create_user(UserName=ADMIN, Tags=[{"Key": "ManagedBy", "Value": "sandbox"}])
    admin_arn = iam.get_user(UserName=ADMIN)["User"]["Arn"]
    iam.put_user_policy(UserName=ADMIN, PolicyName="assume-organisation-access", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": f"arn:aws:iam::*:role/{ORG_ROLE}"}]}))
    for key in iam.list_access_keys(UserName=ADMIN)["AccessKeyMetadata"]:
        iam.delete_access_key(UserName=ADMIN, AccessKeyId=key["AccessKeyId"])
    write_credentials(path, iam.create_access_key(UserName=ADMIN)["AccessKey"])
    sts = client("sts", url)
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ORG_ROLE}", RoleSessionName="bootstrap")["Credentials"]
        account_iam = client("iam", url, aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"])
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": admin_arn}, "Action": "sts:AssumeRole"}]})
        try:
            account_iam.create_role(RoleName=ORG_ROLE, AssumeRolePolicyDocument=trust)
        except account_iam.exceptions.EntityAlreadyExistsException:
            account_iam.update_assume_role_policy(RoleName=ORG_ROLE, PolicyDocument=trust)
        account_iam.put_role_policy(RoleName=ORG_ROLE, PolicyName="administrator", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))


def read_credentials(path):
    config = configparser.ConfigParser()
    config.read(path)
    return dict(config["default"])


def enforce(url, path):
    request = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0", method="POST",
                                     headers={"Content-Type": "text/plain"})
    urllib.request.urlopen(request, timeout=10).read()  # nosec: loopback only
    try:
        client("sts", url).get_caller_identity()
    except botocore.exceptions.ClientError as e:
        code = e.response["Error"]["Code"]
        if code not in ("InvalidClientTokenId", "AccessDenied", "SignatureDoesNotMatch"):
            raise
        print(f"sandbox: IAM enforced; the default dummy keys are refused ({code})")
    else:
        sys.exit("sandbox: IAM enforcement did not take: the default dummy keys are still accepted")
    arn = client("sts", url, **read_credentials(path)).get_caller_identity()["Arn"]
    print(f"sandbox: automation principal {arn}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("command", choices=["create", "enforce"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--admin-credentials")
    parser.add_argument("--accounts", default="")
    args = parser.parse_args(argv)
    url = loopback(args.url.rstrip("/"))
    if args.command == "create":
        create(url, args.credentials)
        if args.admin_credentials:
            create_admin(url, args.admin_credentials, [a for a in args.accounts.split(",") if a])
    else:
        enforce(url, args.credentials)


if __name__ == "__main__":
    main()
