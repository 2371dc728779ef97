"""scripts/fault_proxy.py in front of a real moto server, driven by real boto3 clients.

The proxy runs as a subprocess exactly as a developer would run it (port 0,
first stdout line, stats file, SIGTERM); moto runs in-process
(ThreadedMotoServer).  What is proven:

(a) every service family gets its own error format, parsed by botocore into
    the expected code, and botocore's standard and legacy retry rules both
    call it retryable;
(b) with half of the requests faulted, botocore's standard retries make every
    call succeed, and the stats show the faults happened;
(c) retried mutating calls are not duplicated (faults happen before forwarding);
(d) Host header and SigV4 signatures survive the proxy (moto with IAM auth on);
plus body streaming, HEAD, chunked framing, keep-alive, and the evidence for
the retry recommendation in docs/dev/fault-proxy.md (AWSRetry's code list).
"""

from __future__ import annotations

# pytest fixtures are parameters named like the fixture functions, some only
# for their side effect (fast_backoff); test names say what each test proves.
# pylint: disable=redefined-outer-name,unused-argument,missing-function-docstring

import hashlib
import http.client
import importlib.util
import json
import re
import select
import signal
import subprocess
import sys
import threading
import time
import types
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import botocore.endpoint
import botocore.model
import botocore.session
import pytest
import requests
from botocore import retryhandler, translate
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.parsers import RpcV2CBORParser
from botocore.retries import standard
from moto.server import ThreadedMotoServer

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

REPO = Path(__file__).resolve().parents[2]
PROXY = REPO / "scripts" / "fault_proxy.py"
REGION = "us-east-1"
BUCKET = "fault-proxy-bucket"

NO_RETRIES = {"total_max_attempts": 1}
STANDARD_10 = {"mode": "standard", "total_max_attempts": 10}

# (service, operation, kwargs, error family)
CALLS = [
    ("ec2", "describe_vpcs", {}, "ec2"),
    ("iam", "list_roles", {}, "query"),
    ("sts", "get_caller_identity", {}, "query"),
    ("kms", "list_keys", {}, "json"),
    ("logs", "describe_log_groups", {}, "json"),
    ("config", "describe_configuration_recorders", {}, "json"),
    ("events", "list_rules", {}, "json"),
    ("sns", "list_topics", {}, "query"),
    # botocore 1.44.5 speaks JSON 1.0 to CloudWatch (its model lists CBOR
    # first, but botocore ranks json higher); CloudWatch is query-compatible,
    # so botocore reports the query code that x-amzn-query-error carries.
    ("cloudwatch", "describe_alarms", {}, "query"),
    ("s3", "list_buckets", {}, "s3"),
    # No body on a HEAD: botocore can only report the status code.
    ("s3", "head_bucket", {"Bucket": BUCKET}, "head"),
]

EXPECTED_CODES = {
    "ec2": {"throttling": {"RequestLimitExceeded"}, "server": {"InternalError", "Unavailable"}},
    "query": {"throttling": {"Throttling"}, "server": {"InternalFailure", "ServiceUnavailable"}},
    "json": {"throttling": {"ThrottlingException"}, "server": {"InternalFailure", "ServiceUnavailable"}},
    "s3": {"throttling": {"SlowDown"}, "server": {"InternalError", "ServiceUnavailable"}},
    "head": {"throttling": {"503"}, "server": {"500", "503"}},
}

# The credential-scope name the proxy counts a service under.
SIGNING_NAME = {"cloudwatch": "monitoring"}
WIRE_PROTOCOL = {
    "ec2": "ec2",
    "iam": "query",
    "sts": "query",
    "sns": "query",
    "kms": "json",
    "logs": "json",
    "config": "json",
    "events": "json",
    "monitoring": "json",
    "s3": "s3",
}


def _load_proxy_module():
    spec = importlib.util.spec_from_file_location("fault_proxy", PROXY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fault_proxy = _load_proxy_module()


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moto_url():
    """One moto server for the module; backends are process-global anyway."""
    with pytest.MonkeyPatch.context() as patch:
        # Speed only: moto would build ~20k AMIs for the first EC2 call.
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        make_client("s3", url).create_bucket(Bucket=BUCKET)
        yield url
        server.stop()


class Proxy:
    """fault_proxy.py as a subprocess, as a developer runs it."""

    def __init__(self, upstream, workdir, args):
        tag = uuid.uuid4().hex[:8]
        self.stats_file = workdir / f"stats-{tag}.json"
        self.pid_file = workdir / f"proxy-{tag}.pid"
        self.stderr_file = workdir / f"proxy-{tag}.log"
        command = [sys.executable, str(PROXY), "--upstream", upstream, "--port", "0"]
        command += ["--stats-file", str(self.stats_file), "--pid-file", str(self.pid_file), *args]
        with open(self.stderr_file, "w", encoding="utf-8") as stderr:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with
                command, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        # Never hang the suite on a proxy that neither starts nor dies.
        ready, _writable, _errors = select.select([self.process.stdout], [], [], 20)
        if not ready:
            self.process.kill()
        self.first_line = self.process.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+)", self.first_line)
        assert match, f"unexpected first line {self.first_line!r}: {self.stderr_file.read_text()}"
        self.url = match.group(1)

    def stats(self):
        return json.loads(self.stats_file.read_text())

    def stop(self):
        """SIGTERM, as a caller would; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        return self.process.returncode


@pytest.fixture
def start_proxy(moto_url, tmp_path):
    started = []

    def _start(*args, upstream=None):
        proxy = Proxy(upstream or moto_url, tmp_path, [str(arg) for arg in args])
        started.append(proxy)
        return proxy

    yield _start
    for proxy in started:
        proxy.stop()


@pytest.fixture(autouse=True)
def default_retry_settings(monkeypatch):
    """The retry settings under test come from each client's Config only."""
    for name in ("AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")


@pytest.fixture
def fast_backoff(monkeypatch):
    """Speed only: botocore's retry sleeps (up to seconds for throttles) become ~1 ms.

    The delays botocore asked for are recorded, so a test can still see that
    it backed off.  Only the sleep in botocore.endpoint is replaced.
    """
    requested = []

    def sleep(seconds):
        requested.append(seconds)
        time.sleep(min(seconds, 0.001))

    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=sleep))
    return requested


def make_client(service, url, retries=None, key=("testing", "testing")):
    config = Config(retries=retries or NO_RETRIES, s3={"addressing_style": "path"})
    session = boto3.session.Session(aws_access_key_id=key[0], aws_secret_access_key=key[1], region_name=REGION)
    return session.client(service, endpoint_url=url, config=config)


# --------------------------------------------------------------------------
# botocore's own retry rules, applied to a parsed error
# --------------------------------------------------------------------------


def _http_response(error):
    status = error.response["ResponseMetadata"]["HTTPStatusCode"]
    return types.SimpleNamespace(status_code=status, headers=error.response["ResponseMetadata"].get("HTTPHeaders", {}))


def standard_mode_retries(client, error):
    """botocore's standard-mode decision for this error on a first attempt."""
    context = standard.RetryContext(
        attempt_number=1,
        operation_model=client.meta.service_model.operation_model(error.operation_name),
        parsed_response=error.response,
        http_response=_http_response(error),
    )
    return standard.StandardRetryConditions(max_attempts=3).is_retryable(context)


def legacy_mode_retries(client, error):
    """botocore's legacy-mode (_retry.json) decision for this error on a first attempt."""
    retry_model = botocore.session.get_session().get_component("data_loader").load_data("_retry")
    prefix = client.meta.service_model.endpoint_prefix
    config = translate.build_retry_config(prefix, retry_model["retry"], retry_model["definitions"])
    handler = retryhandler.create_retry_handler(config, prefix)
    delay = handler(
        attempts=1,
        response=(_http_response(error), error.response),
        caught_exception=None,
        request_dict={"context": {}},
    )
    return delay is not None


# --------------------------------------------------------------------------
# (a) formats and codes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["throttling", "server"])
def test_every_family_gets_a_retryable_error_botocore_parses(start_proxy, kind):
    proxy = start_proxy("--ratio", 1.0, "--seed", 7, "--max-consecutive", 0, "--fault-kinds", kind)
    for service, operation, kwargs, family in CALLS:
        client = make_client(service, proxy.url)
        with pytest.raises(ClientError) as caught:
            getattr(client, operation)(**kwargs)
        error = caught.value
        code = error.response["Error"]["Code"]
        where = f"{service}.{operation}"
        assert code in EXPECTED_CODES[family][kind], f"{where}: {code}"
        assert error.response["ResponseMetadata"]["RetryAttempts"] == 0, where
        if family != "head":
            assert "injected by fault_proxy" in error.response["Error"]["Message"], where
            assert error.response["ResponseMetadata"].get("RequestId"), where
        assert standard_mode_retries(client, error), f"{where}: standard mode would not retry {code}"
        assert legacy_mode_retries(client, error), f"{where}: legacy mode would not retry {code}"

    stats = proxy.stats()
    assert stats["faulted"] == len(CALLS)
    assert stats["forwarded"] == 0, "a faulted request must never reach the emulator"
    for name, protocol in WIRE_PROTOCOL.items():
        assert stats["services"][name]["protocol"] == protocol, name


def test_cbor_clients_get_a_cbor_error(start_proxy, monkeypatch):
    """RPC v2 CBOR, as botocore would speak it if it ranked CBOR first."""
    ranked = ("smithy-rpc-v2-cbor",) + tuple(
        name for name in botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS if name != "smithy-rpc-v2-cbor"
    )
    monkeypatch.setattr(botocore.model, "PRIORITY_ORDERED_SUPPORTED_PROTOCOLS", ranked)
    proxy = start_proxy("--ratio", 1.0, "--max-consecutive", 0)
    client = make_client("cloudwatch", proxy.url)
    assert client.meta.service_model.resolved_protocol == "smithy-rpc-v2-cbor"
    for _attempt in range(4):
        with pytest.raises(ClientError) as caught:
            client.describe_alarms()
        error = caught.value
        assert error.response["Error"]["Code"] in {"Throttling", "InternalFailure", "ServiceUnavailable"}
        assert error.response["Error"]["QueryErrorCode"] in {
            "ThrottlingException",
            "InternalFailure",
            "ServiceUnavailable",
        }
        assert "injected by fault_proxy" in error.response["Error"]["Message"]
        assert error.response["ResponseMetadata"]["RequestId"]
        assert standard_mode_retries(client, error) and legacy_mode_retries(client, error)
    per = proxy.stats()["services"]["monitoring"]
    assert per["protocol"] == "smithy-rpc-v2-cbor" and per["faulted"] == 4
    assert per["actions"] == {"DescribeAlarms": {"faulted": 4}}


# --------------------------------------------------------------------------
# (b) botocore's standard retries win against a 50% fault rate
# --------------------------------------------------------------------------


def test_standard_retries_win_against_half_the_requests_faulted(start_proxy, fast_backoff):
    proxy = start_proxy("--ratio", 0.5, "--seed", 11)

    def fifty_calls(service, operation, kwargs, client):
        """50 calls in a row; returns how many retries botocore made."""
        return sum(getattr(client, operation)(**kwargs)["ResponseMetadata"]["RetryAttempts"] for _attempt in range(50))

    # One sequence per service, run side by side to keep the test short; each
    # client stays in its own thread.
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [
            pool.submit(fifty_calls, service, operation, kwargs, make_client(service, proxy.url, STANDARD_10))
            for service, operation, kwargs, _family in CALLS
        ]
        retried = sum(future.result() for future in futures)
    calls_per_service = {}
    for service, *_rest in CALLS:
        name = SIGNING_NAME.get(service, service)
        calls_per_service[name] = calls_per_service.get(name, 0) + 50

    stats = proxy.stats()
    assert retried == stats["faulted"] > 0
    assert fast_backoff, "botocore never backed off"
    # Each call reached the emulator exactly once, however often it was faulted.
    for name, calls in calls_per_service.items():
        per = stats["services"][name]
        assert per["forwarded"] == calls, name
        assert per["faulted"] > 0, f"no fault was injected for {name}"
    assert stats["not_faulted"].get("max_consecutive", 0) > 0, "the streak limit never had to act"
    assert set(stats["faults_by_code"]) >= {"RequestLimitExceeded", "Throttling", "ThrottlingException", "SlowDown"}


def test_large_s3_object_survives_faults_and_retries(start_proxy, fast_backoff):
    proxy = start_proxy("--ratio", 0.5, "--seed", 5)
    s3 = make_client("s3", proxy.url, STANDARD_10)
    body = bytes(range(256)) * (6 * 1024 * 4)  # 6 MiB, spills the proxy's spool to disk
    for attempt in range(3):
        s3.put_object(Bucket=BUCKET, Key=f"big-{attempt}", Body=body)
        got = s3.get_object(Bucket=BUCKET, Key=f"big-{attempt}")["Body"].read()
        assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest()
    per = proxy.stats()["services"]["s3"]
    assert per["forwarded"] == 6
    assert per["faulted"] > 0


# --------------------------------------------------------------------------
# (c) no duplicated mutations
# --------------------------------------------------------------------------


def test_retried_mutations_are_not_duplicated(start_proxy, moto_url, fast_backoff):
    proxy = start_proxy("--ratio", 0.5, "--seed", 23)
    marker = uuid.uuid4().hex
    tags = [{"ResourceType": "vpc", "Tags": [{"Key": "fault-proxy-run", "Value": marker}]}]
    # Both retry modes, each with its default number of attempts (3 and 5).
    clients = [make_client("ec2", proxy.url, {"mode": mode}) for mode in ("standard", "legacy")]
    for number in range(20):
        clients[number % 2].create_vpc(CidrBlock="10.42.0.0/16", TagSpecifications=tags)

    direct = make_client("ec2", moto_url)
    vpcs = direct.describe_vpcs(Filters=[{"Name": "tag:fault-proxy-run", "Values": [marker]}])["Vpcs"]
    assert len(vpcs) == 20
    create = proxy.stats()["services"]["ec2"]["actions"]["CreateVpc"]
    assert create["forwarded"] == 20
    assert create["faulted"] > 0, "no CreateVpc was faulted: the test proves nothing"


# --------------------------------------------------------------------------
# (d) Host header and SigV4 signatures survive
# --------------------------------------------------------------------------


@pytest.fixture
def iam_user_keys(moto_url):
    """An admin-like IAM user's keys, then moto with IAM authentication on."""
    iam = make_client("iam", moto_url)
    name = f"fault-proxy-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="admin", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    reset = moto_url + "/moto-api/reset-auth"
    requests.post(reset, data=b"0", headers={"Content-Type": "text/plain"}, timeout=10).raise_for_status()
    try:
        yield name, (key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        # moto's auth switch is process-wide: turn it off for the other tests.
        requests.post(reset, data=b"inf", headers={"Content-Type": "text/plain"}, timeout=10).raise_for_status()


def _signed_get_caller_identity(url, key):
    body = "Action=GetCallerIdentity&Version=2011-06-15"
    request = AWSRequest(
        method="POST",
        url=url + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials(*key), "sts", REGION).add_auth(request)
    return body, dict(request.headers)


def test_signatures_survive_the_proxy(start_proxy, iam_user_keys, fast_backoff):
    user, key = iam_user_keys
    proxy = start_proxy("--ratio", 0.5, "--seed", 3)

    identity = make_client("sts", proxy.url, STANDARD_10, key).get_caller_identity()
    assert identity["Arn"].endswith(f":user/{user}")
    make_client("ec2", proxy.url, STANDARD_10, key).describe_vpcs()
    make_client("s3", proxy.url, STANDARD_10, key).list_buckets()
    make_client("kms", proxy.url, STANDARD_10, key).list_keys()

    with pytest.raises(ClientError) as wrong_secret:
        make_client("sts", proxy.url, STANDARD_10, (key[0], "not-the-secret")).get_caller_identity()
    assert wrong_secret.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError) as unknown_key:
        make_client("ec2", proxy.url, STANDARD_10, ("AKIAUNKNOWNKEY000000", "secret")).describe_vpcs()
    assert unknown_key.value.response["Error"]["Code"] in {"AuthFailure", "InvalidClientTokenId"}
    assert proxy.stats()["faulted"] > 0


def test_host_header_reaches_the_emulator_unchanged(start_proxy, moto_url, iam_user_keys):
    """Control: moto checks the signed Host, and the proxy's Host gets through.

    A request signed for the proxy's address is refused when it reaches moto
    under moto's own address, and accepted through the proxy.
    """
    user, key = iam_user_keys
    proxy = start_proxy("--ratio", 0.5, "--seed", 3)
    body, headers = _signed_get_caller_identity(proxy.url, key)

    direct = requests.post(moto_url + "/", data=body, headers=headers, timeout=10)
    assert direct.status_code == 403 and "SignatureDoesNotMatch" in direct.text
    for _attempt in range(3):  # --max-consecutive 2: the third try is always forwarded
        proxied = requests.post(proxy.url + "/", data=body, headers=headers, timeout=10)
        if "injected by fault_proxy" not in proxied.text:
            break
    assert proxied.status_code == 200, proxied.text
    assert f":user/{user}" in proxied.text


# --------------------------------------------------------------------------
# Evidence for the retry recommendation: what AWSRetry retries on its own
# --------------------------------------------------------------------------


def test_awsretry_alone_retries_ec2_throttling_but_not_json_throttling(start_proxy):
    proxy = start_proxy("--ratio", 1.0, "--max-consecutive", 0, "--fault-kinds", "throttling")
    retry = AWSRetry.jittered_backoff(retries=3, delay=0.001)

    with pytest.raises(ClientError) as ec2_error:
        retry(make_client("ec2", proxy.url).describe_vpcs)()
    with pytest.raises(ClientError) as kms_error:
        retry(make_client("kms", proxy.url).list_keys)()

    assert ec2_error.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert kms_error.value.response["Error"]["Code"] == "ThrottlingException"
    services = proxy.stats()["services"]
    assert services["ec2"]["faulted"] == 3, "AWSRetry retries RequestLimitExceeded"
    assert services["kms"]["faulted"] == 1, "AWSRetry gives up on ThrottlingException at once"


# --------------------------------------------------------------------------
# The command line: selection, exclusion, lifecycle
# --------------------------------------------------------------------------


def test_services_and_excluded_actions_are_never_faulted(start_proxy):
    proxy = start_proxy("--ratio", 1.0, "--max-consecutive", 0, "--services", "cloudwatch,sts,kms")
    proxy_excluding = start_proxy("--ratio", 1.0, "--exclude-actions", "sts:GetCallerIdentity,kms")

    make_client("ec2", proxy.url).describe_vpcs()  # not selected
    with pytest.raises(ClientError):
        make_client("cloudwatch", proxy.url).describe_alarms()  # selected by its SDK name
    make_client("sts", proxy_excluding.url).get_caller_identity()
    make_client("kms", proxy_excluding.url).list_keys()

    stats = proxy.stats()
    assert stats["settings"]["services"] == ["kms", "monitoring", "sts"]
    assert stats["not_faulted"] == {"service_not_selected": 1}
    assert stats["services"]["monitoring"]["faulted"] == 1
    assert proxy_excluding.stats()["not_faulted"] == {"excluded_action": 2}


def test_same_seed_same_faults(start_proxy):
    runs = []
    for _round in range(2):
        proxy = start_proxy("--ratio", 0.5, "--seed", 99, "--max-consecutive", 0)
        sns = make_client("sns", proxy.url)
        outcomes = []
        for _attempt in range(12):
            try:
                sns.list_topics()
                outcomes.append("ok")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
        runs.append(outcomes)
    assert runs[0] == runs[1]
    assert "ok" in runs[0] and set(runs[0]) != {"ok"}


def test_sigterm_writes_final_stats_and_removes_pid_file(start_proxy):
    proxy = start_proxy("--ratio", 0.0)
    assert int(proxy.pid_file.read_text()) == proxy.process.pid
    make_client("sns", proxy.url).list_topics()
    requests.get(proxy.url + "/moto-api/config", timeout=10).raise_for_status()  # unsigned
    assert proxy.stop() == 0
    assert not proxy.pid_file.exists()
    stats = proxy.stats()
    assert stats["requests"] == stats["forwarded"] == 2
    assert stats["not_faulted"] == {"unsigned": 1}
    assert stats["listening"] == proxy.url


# --------------------------------------------------------------------------
# HTTP plumbing, against a stub upstream that shows what it received
# --------------------------------------------------------------------------


class _EchoHandler(BaseHTTPRequestHandler):
    """Answers with what it received; chunked, so the proxy must re-frame."""

    protocol_version = "HTTP/1.1"

    def _echo(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        report = {
            "method": self.command,
            "path": self.path,
            "host": self.headers.get("Host"),
            "chunked": "Transfer-Encoding" in self.headers,
            "length": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        payload = json.dumps(report).encode() + b"\n" + body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.command == "HEAD":
            self.send_header("Content-Length", "12345")
            self.end_headers()
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(payload), 100_000):
            block = payload[start : start + 100_000]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_PUT = do_POST = do_HEAD = _echo

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture
def echo_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _read_echo(response):
    data = response.read()
    report, _sep, body = data.partition(b"\n")
    return json.loads(report), body


def test_plumbing_host_bodies_head_chunked_and_keep_alive(start_proxy, echo_url):
    proxy = start_proxy("--ratio", 0.0, upstream=echo_url)
    port = int(proxy.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = bytes(range(256)) * 40_000  # ~10 MB
    signed_host = "ec2.us-east-1.amazonaws.com:4443"

    conn.request("POST", "/path?x=1&y=%2F", body=body, headers={"Host": signed_host})
    socket_in_use = conn.sock
    report, echoed = _read_echo(conn.getresponse())
    assert report["host"] == signed_host
    assert report["path"] == "/path?x=1&y=%2F"
    assert report["length"] == len(body) and echoed == body

    chunks = [b"a" * 70_000, b"b" * 3, b"c" * 200_000]
    conn.request("PUT", "/chunked", body=iter(chunks), encode_chunked=True)
    report, echoed = _read_echo(conn.getresponse())
    assert report["length"] == 270_003 and echoed == b"".join(chunks)

    conn.request("HEAD", "/head")
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Length") == "12345"
    assert response.read() == b""

    conn.request("GET", "/after-head")
    report, _body = _read_echo(conn.getresponse())
    assert report["method"] == "GET" and report["length"] == 0
    assert conn.sock is socket_in_use, "the client connection was not kept alive"
    conn.close()
    assert proxy.stats()["forwarded"] == 4


# --------------------------------------------------------------------------
# Pure pieces
# --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [3, 23, 24, 255, 256, 70_000])
def test_cbor_error_body_is_what_botocore_decodes(size):
    mapping = {"__type": "ThrottlingException", "message": "m" * size}
    encoded = fault_proxy.cbor_encode_text_map(mapping)
    parser = RpcV2CBORParser()
    assert parser.parse_data_item(parser.get_peekable_stream_from_bytes(encoded)) == mapping


def test_service_comes_from_the_credential_scope():
    header = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/monitoring/aws4_request, x"}
    assert fault_proxy.signing_service(header, {}) == "monitoring"
    sigv4a = {"Authorization": "AWS4-ECDSA-P256-SHA256 Credential=AKID/20240101/s3/aws4_request, x"}
    assert fault_proxy.signing_service(sigv4a, {}) == "s3"
    presigned = {"X-Amz-Credential": ["AKID/20240101/us-east-1/s3/aws4_request"]}
    assert fault_proxy.signing_service({}, presigned) == "s3"
    assert fault_proxy.signing_service({}, {}) is None
