"""Fault-injecting loopback proxy for AWS API traffic (stdlib only).

Listens on 127.0.0.1 and forwards every request unchanged (method, path and
query, headers including the client's own Host header, body) to an upstream
emulator.  A configurable fraction of the requests is answered by the proxy
itself with an AWS error in the wire format of the request's service
(EC2 query, query, JSON 1.0/1.1, smithy RPC v2 CBOR, rest-json, rest-xml/S3),
so botocore parses it exactly as it would parse the real error and its retry
logic applies.

Faults are decided and sent BEFORE anything is forwarded: a faulted request
never reaches the emulator, so when botocore retries it the emulator sees it
once, and a mutating call (CreateVpc) cannot be applied twice because of us.
The proxy never forwards a request and then replaces the answer.

The service is read from the SigV4 credential scope
(``Credential=AKID/date/region/SERVICE/aws4_request``) and the protocol from
the request's own framing, falling back on botocore's service models (read as
plain files, botocore is never imported) to tell EC2 from query and rest-xml
from rest-json.  Unsigned requests (moto's /moto-api/) are never faulted.

Usage:
  .venv/bin/python scripts/fault_proxy.py --upstream http://127.0.0.1:5000 [--port 0] [--ratio 0.1]
                                          [--seed N] [--services ec2,sts] [--exclude-actions sts:AssumeRole]
                                          [--max-consecutive 2] [--fault-kinds throttling,server]
                                          [--stats-file FILE] [--pid-file FILE] [--verbose]

The first line on stdout is ``listening on http://127.0.0.1:PORT``.
See docs/dev/fault-proxy.md.
"""

from __future__ import annotations

import argparse
import collections
import fnmatch
import gzip
import hashlib
import http.client
import importlib.util
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LISTEN_HOST = "127.0.0.1"
COPY_BLOCK = 64 * 1024
# Bodies up to this size stay in memory; larger ones spill to a temp file, so
# a large S3 upload is forwarded without holding it all in RAM.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
# Enough of the body to find a query protocol's Action parameter.
BODY_HEAD = 64 * 1024
# Enough of a service model to hold its metadata, which comes first.
MODEL_HEAD = 4096
# Identities of requests in a fault streak; bounded so a client that gives up
# after a fault cannot grow the table forever.
MAX_TRACKED_STREAKS = 10000

# Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, not the
# request, so they are not passed on.  botocore leaves them out of SigV4
# signatures (auth.SIGNED_HEADERS_BLACKLIST), so re-framing a body cannot
# break a signature.  Expect is answered by http.server itself (100 Continue)
# before the body is read.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
    }
)

CREDENTIAL_RE = re.compile(r"Credential=([^,\s]+)")
ACTION_RE = re.compile(rb"(?:^|&)Action=([^&]*)")

THROTTLING = "throttling"
SERVER = "server"
FAULT_KINDS = (THROTTLING, SERVER)

# Wire formats this proxy renders; "s3" is rest-xml with S3's bare <Error>.
EC2, QUERY, JSON, CBOR, REST_JSON, REST_XML, S3 = (
    "ec2",
    "query",
    "json",
    "smithy-rpc-v2-cbor",
    "rest-json",
    "rest-xml",
    "s3",
)
S3_SIGNING_NAMES = frozenset({"s3", "s3-outposts", "s3express", "s3-object-lambda"})

Fault = collections.namedtuple("Fault", "status code message")
# What the proxy learnt about one request.
RequestInfo = collections.namedtuple("RequestInfo", "service protocol action key")

_RATE = "Rate exceeded (injected by fault_proxy)"
_BUSY = "Service unavailable, please retry (injected by fault_proxy)"
_FAIL = "Internal failure, please retry (injected by fault_proxy)"

# Per wire format: the throttling error and the transient server errors that
# the real services send.  Every one is retried by botocore in standard and
# legacy mode (see docs/dev/fault-proxy.md for the table and its source);
# throttles that legacy mode matches on code AND status use that status.
FAULTS = {
    EC2: {
        THROTTLING: [Fault(503, "RequestLimitExceeded", "Request limit exceeded. " + _RATE)],
        SERVER: [Fault(500, "InternalError", _FAIL), Fault(503, "Unavailable", _BUSY)],
    },
    QUERY: {
        THROTTLING: [Fault(400, "Throttling", _RATE)],
        SERVER: [Fault(500, "InternalFailure", _FAIL), Fault(503, "ServiceUnavailable", _BUSY)],
    },
    JSON: {
        THROTTLING: [Fault(400, "ThrottlingException", _RATE)],
        SERVER: [Fault(500, "InternalFailure", _FAIL), Fault(503, "ServiceUnavailable", _BUSY)],
    },
    REST_JSON: {
        THROTTLING: [Fault(429, "TooManyRequestsException", _RATE)],
        SERVER: [Fault(500, "InternalFailure", _FAIL), Fault(503, "ServiceUnavailable", _BUSY)],
    },
    S3: {
        THROTTLING: [Fault(503, "SlowDown", "Please reduce your request rate. " + _RATE)],
        SERVER: [Fault(500, "InternalError", _FAIL), Fault(503, "ServiceUnavailable", _BUSY)],
    },
}
FAULTS[CBOR] = FAULTS[JSON]
FAULTS[REST_XML] = FAULTS[QUERY]

# JSON/CBOR services that used to speak query (CloudWatch, SQS) send the old
# query code in x-amzn-query-error; botocore then reports that code.
QUERY_CODE_OF = {"ThrottlingException": "Throttling"}


# --------------------------------------------------------------------------
# Service models: which protocols a signing name speaks
# --------------------------------------------------------------------------


def find_botocore_data():
    """botocore's data directory, located without importing botocore."""
    try:
        spec = importlib.util.find_spec("botocore")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "data")
    return path if os.path.isdir(path) else None


def _read_metadata(model_file):
    """The "metadata" object of a service-2.json(.gz) without parsing it all.

    The metadata sits at the top of every model; decoding just that object
    makes indexing ~400 services take milliseconds instead of seconds.
    """
    opener = gzip.open if model_file.endswith(".gz") else open
    with opener(model_file, "rb") as handle:
        head = handle.read(MODEL_HEAD).decode("utf-8", "replace")
        start = head.find('"metadata"')
        if start >= 0:
            try:
                return json.JSONDecoder().raw_decode(head, head.index("{", start))[0]
            except ValueError:
                pass  # metadata longer than the head: read it all
        handle.seek(0)
        return json.load(handle).get("metadata", {})


def _latest_model_file(service_dir):
    versions = sorted(entry for entry in os.listdir(service_dir) if os.path.isdir(os.path.join(service_dir, entry)))
    for version in reversed(versions):
        for name in ("service-2.json.gz", "service-2.json"):
            candidate = os.path.join(service_dir, version, name)
            if os.path.exists(candidate):
                return candidate
    return None


class ModelIndex:
    """Signing name -> protocols, from botocore's models, built once on first use.

    One signing name can belong to several models (``events`` is EventBridge
    (json) and EventBridge v2 (CBOR)); the request's own framing decides
    between them, so the index only has to answer which families are possible.
    """

    def __init__(self, data_dir):
        self._data_dir = data_dir
        self._lock = threading.Lock()
        self._by_signing_name = None
        self._signing_name_of = {}

    def _build(self):
        index = collections.defaultdict(list)
        if self._data_dir:
            for name in sorted(os.listdir(self._data_dir)):
                entry = self._load_entry(name)
                if entry:
                    index[entry["signing_name"]].append(entry)
                    self._signing_name_of[name] = entry["signing_name"]
        return dict(index)

    def _load_entry(self, name):
        service_dir = os.path.join(self._data_dir, name)
        if not os.path.isdir(service_dir):
            return None
        model_file = _latest_model_file(service_dir)
        if not model_file:
            return None
        try:
            meta = _read_metadata(model_file)
        except (OSError, ValueError):
            return None
        return {
            "name": name,
            "signing_name": meta.get("signingName") or meta.get("endpointPrefix") or name,
            "protocols": tuple(meta.get("protocols") or [meta.get("protocol")]),
            "query_compatible": "awsQueryCompatible" in meta,
        }

    def entries(self, signing_name):
        """The models that sign with this name (empty when unknown)."""
        with self._lock:
            if self._by_signing_name is None:
                self._by_signing_name = self._build()
        return self._by_signing_name.get(signing_name, [])

    def protocols(self, signing_name):
        """All protocols of the models that sign with this name."""
        return {proto for entry in self.entries(signing_name) for proto in entry["protocols"]}

    def query_compatible(self, signing_name):
        """True when a JSON/CBOR model of this name still reports query error codes."""
        return any(entry["query_compatible"] for entry in self.entries(signing_name))

    def signing_name(self, sdk_name):
        """Translate an SDK name (cloudwatch, elbv2) to its signing name (monitoring, ...)."""
        self.entries(sdk_name)
        return self._signing_name_of.get(sdk_name, sdk_name)


# --------------------------------------------------------------------------
# Reading a request: service, protocol, operation, identity
# --------------------------------------------------------------------------


def signing_service(headers, query):
    """The service of the SigV4 credential scope, or None for unsigned requests.

    The scope is AKID/date/region/service/aws4_request (SigV4a drops the
    region), so the service is always the second-to-last element.
    """
    auth = headers.get("Authorization", "")
    match = CREDENTIAL_RE.search(auth)
    scope = match.group(1) if match else None
    if scope is None:
        # Presigned URLs carry the scope in the query string.
        values = query.get("X-Amz-Credential") or query.get("x-amz-credential")
        scope = values[0] if values else None
    parts = scope.split("/") if scope else []
    return parts[-2].lower() if len(parts) >= 4 else None


def detect_protocol(service, headers, body_head, query, models):
    """The wire format the client used, hence the one it will parse."""
    if headers.get("smithy-protocol", "").lower() == "rpc-v2-cbor":
        return CBOR
    ctype = headers.get("Content-Type", "").lower()
    if ctype.startswith("application/x-amz-json-"):
        return JSON
    known = models.protocols(service)
    # A form body with an Action is query (or EC2's variant of it) unless the
    # service is known not to speak query (an S3 upload of a form, say).
    speaks_query = not known or known & {EC2, QUERY}
    has_action = ACTION_RE.search(body_head) or "Action" in query
    if speaks_query and has_action and ctype.startswith("application/x-www-form-urlencoded"):
        return EC2 if EC2 in known else QUERY
    return _rest_protocol(service, ctype, known)


def _rest_protocol(service, ctype, known):
    """rest-xml (S3's flavour or the others') or rest-json."""
    if service in S3_SIGNING_NAMES:
        return S3
    rest = known & {REST_XML, REST_JSON}
    if len(rest) == 1:
        return rest.pop()
    # Unknown or ambiguous service: the request body's media type is the best hint.
    return REST_XML if "xml" in ctype else REST_JSON


def operation_name(protocol, headers, path, body_head, query):
    """The API action when the wire format names it; None for REST protocols."""
    if protocol == JSON:
        target = headers.get("X-Amz-Target", "")
        return target.rsplit(".", 1)[-1] or None
    if protocol == CBOR:
        # POST /service/{ServiceName}/operation/{Operation}
        return path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or None
    if protocol in (EC2, QUERY):
        match = ACTION_RE.search(body_head)
        if match:
            return urllib.parse.unquote_plus(match.group(1).decode("ascii", "replace"))
        values = query.get("Action")
        return values[0] if values else None
    return None


def request_key(method, path, body_digest):
    """Identity of a request across botocore's retries: method + path + body.

    A retry is re-signed (new X-Amz-Date, new signature), so headers differ
    between attempts; method, path and body do not.  Presigned-URL parameters
    change per signing too, so they are left out of the path.
    """
    url = urllib.parse.urlsplit(path)
    pairs = urllib.parse.parse_qsl(url.query, keep_blank_values=True)
    stable = urllib.parse.urlencode([(k, v) for k, v in pairs if not k.lower().startswith("x-amz-")])
    digest = hashlib.sha256()
    for part in (method, url.path, stable):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(body_digest)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Rendering a fault in the service's wire format
# --------------------------------------------------------------------------


def _xml_escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cbor_head(major, length):
    """A CBOR initial byte plus length (RFC 8949 3.1)."""
    if length < 24:
        return bytes([major << 5 | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([major << 5 | info]) + length.to_bytes(size, "big")
    raise ValueError("length too large for CBOR")


def cbor_encode_text_map(mapping):
    """CBOR map of text strings: all an RPC v2 CBOR error body needs."""
    out = bytearray(_cbor_head(5, len(mapping)))
    for key, value in mapping.items():
        for text in (key, value):
            data = text.encode("utf-8")
            out += _cbor_head(3, len(data)) + data
    return bytes(out)


def _sender_or_receiver(fault):
    return "Sender" if fault.status < 500 else "Receiver"


def _render_xml(protocol, fault, request_id):
    code, message = _xml_escape(fault.code), _xml_escape(fault.message)
    if protocol == EC2:
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            f"</Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
        return "text/xml;charset=UTF-8", [], body
    if protocol == S3:
        body = (
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        )
        return "application/xml", [("x-amz-request-id", request_id), ("x-amz-id-2", request_id)], body
    body = (
        f"<ErrorResponse><Error><Type>{_sender_or_receiver(fault)}</Type><Code>{code}</Code>"
        f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return "text/xml", [("x-amzn-RequestId", request_id)], body


def render_fault(protocol, fault, request_id, request_ctype="", query_compatible=False):
    """(status, [(header, value)], body bytes) of an AWS error response."""
    headers = []
    if query_compatible and protocol in (JSON, CBOR):
        query_code = QUERY_CODE_OF.get(fault.code, fault.code)
        headers.append(("x-amzn-query-error", f"{query_code};{_sender_or_receiver(fault)}"))
    if protocol == CBOR:
        body = cbor_encode_text_map({"__type": fault.code, "message": fault.message})
        headers += [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("x-amzn-RequestId", request_id),
        ]
        return fault.status, headers, body
    if protocol in (JSON, REST_JSON):
        ctype = request_ctype if request_ctype.startswith("application/x-amz-json-") else "application/json"
        if protocol == REST_JSON:
            headers.append(("x-amzn-ErrorType", fault.code))
        body = json.dumps({"__type": fault.code, "message": fault.message}).encode()
        headers += [("Content-Type", ctype), ("x-amzn-RequestId", request_id)]
        return fault.status, headers, body
    ctype, extra, text = _render_xml(protocol, fault, request_id)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()
    return fault.status, [("Content-Type", ctype)] + extra, body


# --------------------------------------------------------------------------
# Deciding, and counting
# --------------------------------------------------------------------------


class FaultPolicy:
    """Decides which requests to fault; one seeded RNG so runs are reproducible.

    With a seed, a sequential client sees the same faults on every run;
    concurrent clients interleave their draws, so only the totals are stable.
    ``settings`` has ratio, seed, fault_kinds, max_consecutive, services (a
    set of signing names, or None for all) and exclude_actions.
    """

    def __init__(self, settings):
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self._streaks = collections.OrderedDict()
        self._lock = threading.Lock()

    def skip_reason(self, service, action):
        """Why this request is never faulted, or None when it may be."""
        if service is None:
            return "unsigned"
        if self.settings.services is not None and service not in self.settings.services:
            return "service_not_selected"
        name = f"{service}:{action or ''}".lower()
        for pattern in self.settings.exclude_actions:
            pattern = pattern.lower()
            if fnmatch.fnmatchcase(name, pattern if ":" in pattern else pattern + ":*"):
                return "excluded_action"
        return None

    def draw(self, info):
        """(fault or None, reason when a drawn fault was spared)."""
        with self._lock:
            # Always draw the same three numbers so the random sequence does
            # not depend on which requests were spared.
            hit = self._rng.random() < self.settings.ratio
            kind = self._rng.choice(self.settings.fault_kinds)
            fault = self._rng.choice(FAULTS[info.protocol][kind])
            if not hit:
                return None, None
            streak = self._streaks.get(info.key, 0)
            limit = self.settings.max_consecutive
            if limit and streak >= limit:
                return None, "max_consecutive"
            self._streaks[info.key] = streak + 1
            self._streaks.move_to_end(info.key)
            while len(self._streaks) > MAX_TRACKED_STREAKS:
                self._streaks.popitem(last=False)
            return fault, None

    def forwarded(self, info):
        """The request got through: its next fault starts a new streak."""
        with self._lock:
            self._streaks.pop(info.key, None)


def _new_service_stats():
    return {"requests": 0, "forwarded": 0, "faulted": 0, "upstream_errors": 0, "faults": {}, "actions": {}}


def _bump(counter, key, amount=1):
    counter[key] = counter.get(key, 0) + amount


class Stats:
    """Counters, written to --stats-file (atomically) on every change."""

    def __init__(self, path, settings):
        self.path = path
        self._lock = threading.Lock()
        self.data = {
            "version": 1,
            "pid": os.getpid(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": settings,
            "requests": 0,
            "forwarded": 0,
            "faulted": 0,
            "upstream_errors": 0,
            "faults_by_code": {},
            "not_faulted": {},
            "services": {},
        }

    def record(self, info, outcome, code=None, reason=None):
        """Count one answered request; outcome is forwarded, faulted or upstream_errors."""
        with self._lock:
            data = self.data
            data["requests"] += 1
            _bump(data, outcome)
            if reason:
                _bump(data["not_faulted"], reason)
            if code:
                _bump(data["faults_by_code"], code)
            if info.service:
                per = data["services"].setdefault(info.service, _new_service_stats())
                per["requests"] += 1
                _bump(per, outcome)
                per["protocol"] = info.protocol
                if code:
                    _bump(per["faults"], code)
                if info.action:
                    _bump(per["actions"].setdefault(info.action, {}), outcome)
            self._write_locked()

    def write(self):
        """Write the counters now."""
        with self._lock:
            self._write_locked()

    def _write_locked(self):
        if not self.path:
            return
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, indent=1, sort_keys=True)
        # A reader never sees a half-written file.
        os.replace(tmp, self.path)


# --------------------------------------------------------------------------
# The HTTP side
# --------------------------------------------------------------------------


class BadRequest(Exception):
    """The client's request framing is broken; answer 400 and close."""


def _read_exact(stream, size, sink, digest):
    """Copy size bytes from stream to sink, hashing them; return the first bytes."""
    head = bytearray()
    while size > 0:
        block = stream.read(min(COPY_BLOCK, size))
        if not block:
            raise BadRequest("body shorter than Content-Length")
        sink.write(block)
        digest.update(block)
        if len(head) < BODY_HEAD:
            head += block[: BODY_HEAD - len(head)]
        size -= len(block)
    return bytes(head)


def _read_chunked(stream, sink, digest):
    """De-chunk a chunked request body into sink (HTTP trailers are dropped)."""
    head = b""
    while True:
        line = stream.readline(65537)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise BadRequest("bad chunk size") from exc
        if size == 0:
            break
        head += _read_exact(stream, size, sink, digest)[: max(0, BODY_HEAD - len(head))]
        stream.readline(65537)  # CRLF after the chunk
    while stream.readline(65537) not in (b"\r\n", b"\n", b""):
        pass  # trailer section
    return head


class ProxyHandler(BaseHTTPRequestHandler):
    """One client connection; http.server keeps it alive between requests."""

    protocol_version = "HTTP/1.1"
    server_version = "fault_proxy"
    # Headers and body go out in separate writes; with Nagle on, the body
    # waits for the client's delayed ACK (~40 ms per request).
    disable_nagle_algorithm = True
    # Set per request by http.server; declared so the handler may set it too.
    close_connection = True

    def _read_body(self):
        """Spool the body; returns (spool, length, first bytes, sha256 digest)."""
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # pylint: disable=consider-using-with
        digest = hashlib.sha256()
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            head = _read_chunked(self.rfile, spool, digest)
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError as exc:
                raise BadRequest("bad Content-Length") from exc
            head = _read_exact(self.rfile, length, spool, digest)
        length = spool.tell()
        spool.seek(0)
        return spool, length, head, digest.digest()

    def _proxy(self):
        try:
            spool, length, head, body_digest = self._read_body()
        except BadRequest as exc:
            self.close_connection = True
            self.send_error(400, str(exc))
            return
        with spool:
            info = self._identify(head, body_digest)
            cfg = self.server.config
            reason = cfg.policy.skip_reason(info.service, info.action)
            fault = None
            if reason is None:
                fault, reason = cfg.policy.draw(info)
            if fault:
                cfg.stats.record(info, "faulted", code=fault.code)
                self._send_fault(info, fault)
            else:
                self._forward(info, spool, length, reason)

    def _identify(self, head, body_digest):
        """Service, wire protocol, action and retry identity of this request."""
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        service = signing_service(self.headers, query)
        key = request_key(self.command, self.path, body_digest)
        if service is None:
            return RequestInfo(None, None, None, key)
        protocol = detect_protocol(service, self.headers, head, query, self.server.config.models)
        action = operation_name(protocol, self.headers, self.path, head, query)
        return RequestInfo(service, protocol, action, key)

    def _send_fault(self, info, fault):
        request_id = str(uuid.uuid4())
        status, headers, body = render_fault(
            info.protocol,
            fault,
            request_id,
            self.headers.get("Content-Type", ""),
            self.server.config.models.query_compatible(info.service),
        )
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Date", self.date_time_string())
        # A HEAD answer has no body (S3 sends none either); botocore then
        # reports the status code ("503") as the error code.
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self._log(f"fault {info.service}:{info.action} {fault.status} {fault.code}")

    def _forward(self, info, spool, length, reason):
        """Forward to the emulator and relay its answer."""
        cfg = self.server.config
        upstream = cfg.upstream
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=upstream.timeout)
        try:
            try:
                response = self._send_upstream(conn, spool, length)
            except (OSError, http.client.HTTPException) as exc:
                cfg.stats.record(info, "upstream_errors", reason=reason)
                self._upstream_failed(exc)
                return
            # Counted before the client sees the answer, so a test that reads
            # the stats right after its call returns finds this request.
            cfg.policy.forwarded(info)
            cfg.stats.record(info, "forwarded", reason=reason)
            self._relay(response)
        finally:
            conn.close()

    def _upstream_failed(self, exc):
        """The emulator is gone or broke the connection: say so as a 502.

        botocore retries a 502, but the emulator may have applied the request:
        these are counted apart from injected faults (stats "upstream_errors").
        """
        self._log(f"upstream error for {self.command} {self.path}: {exc!r}")
        # An HTML body is what botocore recognises as a generic gateway error
        # (code "502", retryable) in every protocol.
        reason = _xml_escape(f"fault_proxy: upstream error: {exc}")
        body = f"<html><body>{reason}</body></html>".encode()
        self.send_response_only(502)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_upstream(self, conn, spool, length):
        """Send the request upstream as received; return the upstream response.

        A fresh upstream connection per request: a reused one can turn out to
        be stale only after the request was sent, and retrying then could
        apply a mutating call twice.
        """
        # skip_host: the client's Host header is part of its SigV4 signature
        # and must reach the emulator byte for byte.
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                conn.putheader(name, value)
        # A chunked body was de-chunked into the spool: send it with its
        # length (framing is hop-by-hop and never signed).
        if length or "Content-Length" in self.headers or self.command in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(length))
        conn.endheaders()
        while True:
            block = spool.read(COPY_BLOCK)
            if not block:
                break
            conn.send(block)
        return conn.getresponse()

    def _relay(self, response):
        """Pass the upstream response through, re-framing its body if needed."""
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        no_body = self.command == "HEAD" or response.status in (204, 304) or response.status < 200
        known_length = response.getheader("Content-Length") is not None and not response.chunked
        rechunk = not no_body and not known_length and self.request_version != "HTTP/1.0"
        if rechunk:
            # The upstream streamed without a length (chunked or until close):
            # stream it on, chunked, so this client connection stays usable.
            self.send_header("Transfer-Encoding", "chunked")
        elif not no_body and not known_length:
            self.close_connection = True
        self.end_headers()
        if no_body:
            return
        while True:
            block = response.read1(COPY_BLOCK)
            if not block:
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block) if rechunk else block)
            self.wfile.flush()
        if rechunk:
            self.wfile.write(b"0\r\n\r\n")

    def _log(self, message):
        if self.server.config.verbose:
            sys.stderr.write(f"fault_proxy: {message}\n")

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.config.verbose:
            super().log_message(format, *args)


for _method in ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
    setattr(ProxyHandler, f"do_{_method}", ProxyHandler._proxy)  # pylint: disable=protected-access


class ProxyServer(ThreadingHTTPServer):
    """Threaded server bound to loopback only."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, config):
        self.config = config
        super().__init__((LISTEN_HOST, port), ProxyHandler)


Upstream = collections.namedtuple("Upstream", "hostname port timeout")
Config = collections.namedtuple("Config", "upstream policy stats models verbose")


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _ratio(text):
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("ratio must be between 0 and 1")
    return value


def _csv(text):
    return [item.strip() for item in text.split(",") if item.strip()]


def _kinds(text):
    kinds = _csv(text)
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"fault kinds are {', '.join(FAULT_KINDS)}")
    return kinds


def _non_negative(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def parse_args(argv=None):
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--upstream", required=True, help="emulator URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default)")
    parser.add_argument("--ratio", type=_ratio, default=0.1, help="fraction of requests to fault (default 0.1)")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible faults")
    parser.add_argument(
        "--services",
        type=_csv,
        default=None,
        help="comma-separated services that may get faults (signing or SDK names; default all)",
    )
    parser.add_argument(
        "--exclude-actions",
        type=_csv,
        default=[],
        help="comma-separated service:Action patterns never faulted (fnmatch; 'sts' = all of sts)",
    )
    parser.add_argument(
        "--max-consecutive",
        type=_non_negative,
        default=2,
        help="never fault the same request more than N times in a row (default 2; 0 = no limit)",
    )
    parser.add_argument(
        "--fault-kinds",
        type=_kinds,
        default=list(FAULT_KINDS),
        help="throttling, server or both (default both)",
    )
    parser.add_argument("--upstream-timeout", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument("--stats-file", help="JSON counters, rewritten on every change")
    parser.add_argument("--pid-file", help="write the proxy's pid here")
    parser.add_argument("--verbose", action="store_true", help="log requests and faults to stderr")
    return parser.parse_args(argv)


def _upstream(args):
    url = urllib.parse.urlsplit(args.upstream)
    if url.scheme != "http" or not url.hostname or url.path not in ("", "/"):
        raise SystemExit("fault_proxy: --upstream must be http://HOST:PORT (an emulator)")
    return Upstream(url.hostname, url.port or 80, args.upstream_timeout)


def build_config(args):
    """Everything the handlers share, from the parsed command line."""
    models = ModelIndex(find_botocore_data())
    if args.services:
        # Faults are keyed on signing names (CloudWatch signs as "monitoring").
        args.services = sorted({models.signing_name(name.lower()) for name in args.services})
    settings = {
        name: getattr(args, name)
        for name in ("upstream", "ratio", "seed", "services", "exclude_actions", "max_consecutive", "fault_kinds")
    }
    policy = FaultPolicy(argparse.Namespace(**dict(settings, services=args.services and set(args.services))))
    return Config(_upstream(args), policy, Stats(args.stats_file, settings), models, args.verbose)


def _install_signal_handlers(server):
    def stop(_signum, _frame):
        # shutdown() waits for serve_forever(), which runs in this (main)
        # thread: call it from another one.  main() writes the stats once
        # serving has stopped.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(argv=None):
    """Serve until SIGTERM/SIGINT; the stats file is final when this returns."""
    args = parse_args(argv)
    config = build_config(args)
    server = ProxyServer(args.port, config)
    port = server.server_address[1]
    if args.pid_file:
        with open(args.pid_file, "w", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n")
    config.stats.data["listening"] = f"http://{LISTEN_HOST}:{port}"
    config.stats.write()
    _install_signal_handlers(server)
    print(f"listening on http://{LISTEN_HOST}:{port}", flush=True)
    try:
        # A short poll interval makes SIGTERM take effect within 0.1 s.
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        config.stats.write()
        if args.pid_file and os.path.exists(args.pid_file):
            os.remove(args.pid_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
