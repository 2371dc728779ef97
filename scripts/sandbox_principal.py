#!/usr/bin/env python3
"""The sandbox's automation principal, and the switch that makes the emulator enforce IAM.

  sandbox_principal.py create  --url URL --credentials FILE
      Creates, with the emulator's default credentials (before enforcement), the IAM user
      `netsec-controller` in the controller account (the emulator's default 123456789012) with an
      access key and a policy that allows only sts:AssumeRole into the sites' automation roles.
      Writes the key to FILE as a shared-credentials file (mode 0600) and prints the user's ARN.
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
    key = iam.create_access_key(UserName=USER)["AccessKey"]
    config = configparser.ConfigParser()
    config["default"] = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        config.write(handle)
    print(iam.get_user(UserName=USER)["User"]["Arn"])


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
    args = parser.parse_args(argv)
    url = loopback(args.url.rstrip("/"))
    if args.command == "create":
        create(url, args.credentials)
    else:
        enforce(url, args.credentials)


if __name__ == "__main__":
    main()
