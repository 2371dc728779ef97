# -*- coding: utf-8 -*-
# Copyright: contributors to netsec.aws_peering
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Preflight validation of every input, before any AWS call.

``preflight_errors(networks, peerings, settings)`` returns a list of
human-readable error strings (empty list: OK); ``preflight_warnings(...)`` the
warnings (logged open-CIDR exceptions, checks that could not run). Every
message starts with the path of the variable at fault and shows the bad value.
Bad input of any shape yields messages, never a Python exception.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Mapping

from ansible_collections.netsec.aws_peering.plugins.filter.network import (
    AWS_MAX_PREFIX,
    AWS_MIN_PREFIX,
    in_rfc1918,
    networks_overlap,
    parse_cidr,
    show,
)
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_function
from ansible_collections.netsec.aws_peering.plugins.module_utils.lazy_import import lazy_module

# Imported on first use: see module_utils/lazy_import.py (every task loads every filter file).
_ids = lazy_module("identifiers")  # the one set of AWS identifier patterns
ephemeral_port_range = lazy_function("input_validation", "ephemeral_port_range")

NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
NAME_MAX = 20
# What may not stand in an ExternalId (its pattern is identifiers.EXTERNAL_ID_RE).
EXTERNAL_ID_CHAR_RE = re.compile(r"[\w+=,.@:/-]", re.ASCII)
SUFFIX_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
BUCKET_PREFIX_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
ROLE_PREFIX_RE = re.compile(r"^[\w+=,.@-]+$", re.ASCII)

DIRECTIONS = ("both", "requester-to-accepter", "accepter-to-requester")
PARTITIONS = ("aws", "aws-us-gov", "aws-cn")
SUBNETS_PER_VPC = 3
BUCKET_NAME_MAX = 63
ROLE_NAME_MAX = 64
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_MAX = 50  # per resource; one of them is the per-resource Name
TAG_EXTRA_CHARS = set("_.:/=+-@")
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}

DEFAULT_BUCKET_PREFIXES = ["flowlogs", "config"]
DEFAULT_ROLE_PREFIXES = ["peering-accepter", "config-recorder", "flowlogs-delivery"]
DEFAULT_REQUIRED_TAGS = ["CostCenter", "Environment"]


@functools.lru_cache(maxsize=1)
def known_regions():
    """{region: partition} from botocore's bundled endpoint data (no network).

    Empty if botocore is not importable; the region check is then skipped.
    """
    try:
        import botocore.session
    except ImportError:
        return {}
    session = botocore.session.get_session()
    regions = {}
    for partition in PARTITIONS:
        for region in session.get_available_regions("ec2", partition_name=partition):
            regions[region] = partition
    return regions


def _type(value):
    return "None" if value is None else type(value).__name__


def _host(host):
    return "hostvars[%s]" % show(host)


def _key(base, key):
    if isinstance(key, str) and _ids.IDENTIFIER_RE.match(key):
        return "%s.%s" % (base, key)
    return "%s[%s]" % (base, show(key))


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _unset(value):
    return value is None or (isinstance(value, str) and value == "")


def _tag_text_ok(text):
    """AWS tag character set: letters, numbers, spaces and _ . : / = + - @."""
    for char in text:
        if char in TAG_EXTRA_CHARS or char == " ":
            continue
        if unicodedata.category(char)[0] not in ("L", "N", "Z"):
            return False
    return True


class _Checker:
    def __init__(self, networks, peerings, settings):
        self.networks = networks
        self.peerings = peerings
        self.settings = settings
        self.errors = []
        self.warnings = []
        self.info = {}  # host -> facts gathered while checking it
        self.allowed_ports = None
        self.suffix = None

    def err(self, msg):
        self.errors.append(msg)

    def warn(self, msg):
        self.warnings.append(msg)

    def guarded(self, where, func, *args):
        try:
            func(*args)
        except Exception as exc:  # pylint: disable=broad-except
            self.err("%s: could not be validated: %s: %s" % (where, type(exc).__name__, exc))

    def run(self):
        self.guarded("settings", self.check_settings)
        self.guarded("networks", self.check_networks)
        self.guarded("peerings", self.check_peerings)
        self.guarded("settings.environment_suffix", self.check_derived_names)
        return self

    # ---------------------------------------------------------------- helpers

    def _str_list(self, path, value, pattern=None, what="a string"):
        """Validate an optional list of strings; return the good ones."""
        if not isinstance(value, (list, tuple)):
            self.err("%s: %s must be a list of strings (got %s)" % (path, show(value), _type(value)))
            return []
        good = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or item == "":
                self.err("%s[%d]: %s must be a non-empty string" % (path, i, show(item)))
            elif pattern is not None and not pattern.match(item):
                self.err("%s[%d]: %s is not %s" % (path, i, show(item), what))
            else:
                good.append(item)
        return good

    def _port(self, path, value):
        if not _is_int(value):
            hint = ""
            if isinstance(value, str):
                hint = "; write it without quotes"
            self.err("%s: %s is not an integer port (got %s%s)" % (path, show(value), _type(value), hint))
            return None
        if not 1 <= value <= 65535:
            self.err("%s: %s is not a port number in 1..65535" % (path, show(value)))
            return None
        return int(value)

    def _cidrs(self, path, value, **kwargs):
        """A list of CIDR strings -> list of (path, network) for the good ones."""
        if not isinstance(value, (list, tuple)):
            self.err("%s: %s must be a list of CIDR strings (got %s)" % (path, show(value), _type(value)))
            return []
        good = []
        for i, item in enumerate(value):
            item_path = "%s[%d]" % (path, i)
            try:
                good.append((item_path, parse_cidr(item, item_path, **kwargs)))
            except ValueError as exc:
                self.err(str(exc))
        return good

    # --------------------------------------------------------------- settings

    def check_settings(self):
        settings = self.settings
        if not isinstance(settings, Mapping):
            self.err("settings: %s must be a dict (got %s)" % (show(settings), _type(settings)))
            self.settings = {}
            return

        suffix = settings.get("environment_suffix")
        if suffix is None:
            self.err("settings.environment_suffix: missing (required, e.g. 'prod')")
        elif not isinstance(suffix, str) or not SUFFIX_RE.match(suffix):
            self.err(
                "settings.environment_suffix: %s must be a string of lowercase letters, digits and"
                " hyphens, starting and ending with a letter or digit (got %s)" % (show(suffix), _type(suffix))
            )
        else:
            self.suffix = str.__str__(suffix)

        self.check_tags(settings)
        self.check_allowed_ports(settings)
        self.check_cidr_lists(settings)

        rng = settings.get("ephemeral_port_range")
        if rng is not None:
            path = "settings.ephemeral_port_range"
            if not isinstance(rng, (list, tuple)) or len(rng) != 2 or not all(_is_int(p) for p in rng):
                self.err("%s: %s must be a list [low, high] of two integers" % (path, show(rng)))
            else:
                # One rule for the org-wide setting and the security role's own variable.
                for problem in ephemeral_port_range(path, list(rng), None):
                    self.err(problem)

    def check_tags(self, settings):
        required = settings.get("required_tags", DEFAULT_REQUIRED_TAGS)
        required = self._str_list("settings.required_tags", required)
        tags = settings.get("common_tags")
        path = "settings.common_tags"
        if tags is None:
            self.err("%s: missing (required; must contain %s)" % (path, ", ".join(required)))
            return
        if not isinstance(tags, Mapping):
            self.err("%s: %s must be a dict of tag key -> value (got %s)" % (path, show(tags), _type(tags)))
            return
        if len(tags) > TAGS_MAX - 1:
            self.err(
                "%s: %d tags; at most %d (AWS allows %d per resource and each resource adds Name)"
                % (path, len(tags), TAGS_MAX - 1, TAGS_MAX)
            )
        for key, value in tags.items():
            kpath = _key(path, key)
            if not isinstance(key, str) or key == "":
                self.err("%s: tag key %s must be a non-empty string" % (path, show(key)))
                continue
            if key.lower().startswith("aws:"):
                self.err("%s: tag key %s uses the reserved prefix 'aws:'" % (kpath, show(key)))
            if len(key) > TAG_KEY_MAX:
                self.err("%s: tag key %s is %d chars, over the limit of %d" % (kpath, show(key), len(key), TAG_KEY_MAX))
            if not _tag_text_ok(key):
                self.err(
                    "%s: tag key %s has characters AWS does not accept"
                    " (letters, numbers, spaces and _ . : / = + - @)" % (kpath, show(key))
                )
            if key == "Name":
                self.warn("%s: %s is ignored: every resource sets its own Name tag" % (kpath, show(value)))
            if not isinstance(value, str):
                self.err("%s: %s must be a string; quote it (got %s)" % (kpath, show(value), _type(value)))
                continue
            if len(value) > TAG_VALUE_MAX:
                self.err(
                    "%s: %s is %d chars, over the limit of %d" % (kpath, show(value), len(value), TAG_VALUE_MAX)
                )
            if not _tag_text_ok(value):
                self.err(
                    "%s: %s has characters AWS does not accept in tag values"
                    " (letters, numbers, spaces and _ . : / = + - @)" % (kpath, show(value))
                )
        for key in required:
            kpath = _key(path, key)
            if key not in tags:
                self.err("%s: missing; required tag (settings.required_tags: %s)" % (kpath, show(required)))
            elif isinstance(tags[key], str) and not tags[key].strip():
                self.err("%s: %s is empty; required tags need a non-empty value" % (kpath, show(tags[key])))

    def check_allowed_ports(self, settings):
        path = "settings.allowed_ports"
        ports = settings.get("allowed_ports")
        if ports is None:
            self.err("%s: missing (required, e.g. [443, 5432])" % path)
            return
        if not isinstance(ports, (list, tuple)) or not ports:
            self.err("%s: %s must be a non-empty list of port numbers" % (path, show(ports)))
            return
        good = []
        for i, port in enumerate(ports):
            port = self._port("%s[%d]" % (path, i), port)
            if port is not None:
                good.append(port)
                if port in ADMIN_PORTS:
                    self.warn(
                        "%s[%d]: %d is an administrative port (%s); peer traffic should not need it"
                        % (path, i, port, ADMIN_PORTS[port])
                    )
        self.allowed_ports = good

    def check_cidr_lists(self, settings):
        exceptions = settings.get("open_cidr_exceptions")
        if exceptions is None:
            exceptions = []
        else:
            exceptions = self._str_list("settings.open_cidr_exceptions", exceptions)
        lists = settings.get("cidr_lists")
        if lists is None:
            return
        if not isinstance(lists, Mapping):
            self.err(
                "settings.cidr_lists: %s must be a dict of variable name -> list of CIDRs (got %s)"
                % (show(lists), _type(lists))
            )
            return
        for var, value in lists.items():
            if not isinstance(var, str) or not var:
                self.err("settings.cidr_lists: key %s must be a variable name" % show(var))
                continue
            for path, net in self._cidrs(str.__str__(var), value, strict=True):
                if net.prefixlen != 0:
                    continue
                cidr = net.with_prefixlen
                if var in exceptions:
                    self.warn(
                        "%s: %s is open to every address; allowed only because %s is listed in"
                        " settings.open_cidr_exceptions" % (path, show(cidr), show(var))
                    )
                else:
                    self.err(
                        "%s: %s is open to every address; not allowed unless %s is listed in"
                        " settings.open_cidr_exceptions" % (path, show(cidr), show(var))
                    )

    # --------------------------------------------------------------- networks

    def check_networks(self):
        networks = self.networks
        if not isinstance(networks, Mapping):
            self.err(
                "networks: %s must be a dict of inventory_hostname -> host variables (got %s)"
                % (show(networks), _type(networks))
            )
            self.networks = {}
            return
        if not networks:
            self.err("networks: {} has no networks; at least one inventory host is needed")
            return
        names = {}
        for host, hvars in networks.items():
            self.info[host] = {}
            self.guarded(_host(host), self.check_network, host, hvars)
            name = self.info[host].get("network_name")
            if name is not None:
                if name in names:
                    self.err(
                        "%s.network_name: %s is already used by %s; network names must be unique"
                        % (_host(host), show(name), _host(names[name]))
                    )
                else:
                    names[name] = host

    def check_network(self, host, hvars):
        base = _host(host)
        info = self.info[host]
        if not isinstance(hvars, Mapping):
            self.err("%s: %s must be a dict of host variables (got %s)" % (base, show(hvars), _type(hvars)))
            return

        name = hvars.get("network_name")
        if name is None:
            self.err("%s.network_name: missing (required, e.g. 'trading')" % base)
        elif not isinstance(name, str) or not NAME_RE.match(name) or len(name) > NAME_MAX:
            self.err(
                "%s.network_name: %s must be lowercase letters, digits and hyphens, start with a"
                " letter and be at most %d chars" % (base, show(name), NAME_MAX)
            )
        else:
            info["network_name"] = str.__str__(name)

        account = hvars.get("aws_account_id")
        if account is None:
            self.err("%s.aws_account_id: missing (required, 12 digits as a quoted string)" % base)
        elif _is_int(account):
            self.err(
                "%s.aws_account_id: %s is an integer; quote it as a string of exactly 12 digits"
                " (leading zeros are lost otherwise), e.g. '%012d'" % (base, show(account), account)
            )
        elif not isinstance(account, str) or not _ids.ACCOUNT_ID_RE.match(account):
            self.err("%s.aws_account_id: %s must be exactly 12 digits" % (base, show(account)))
        else:
            info["account"] = str.__str__(account)

        region = hvars.get("aws_region")
        regions = known_regions()
        if region is None:
            self.err("%s.aws_region: missing (required, e.g. 'us-east-1')" % base)
        elif not isinstance(region, str):
            self.err("%s.aws_region: %s must be a region name string" % (base, show(region)))
        elif not regions:
            self.warn("%s.aws_region: %s not checked: botocore's region data is unavailable" % (base, show(region)))
        elif region not in regions:
            close = difflib.get_close_matches(region, list(regions), n=3)
            hint = "; did you mean %s?" % ", ".join(close) if close else ""
            self.err(
                "%s.aws_region: %s is not a known AWS region (partitions %s)%s"
                % (base, show(region), ", ".join(PARTITIONS), hint)
            )
        else:
            info["region"] = str.__str__(region)
            info["partition"] = regions[region]

        self.check_role(base, hvars, info)
        self.check_vpc(base, hvars, info)

    def check_role(self, base, hvars, info):
        arn = hvars.get("aws_role_arn")
        if not _unset(arn):
            match = _ids.ROLE_ARN_RE.match(arn) if isinstance(arn, str) else None
            if not match:
                self.err(
                    "%s.aws_role_arn: %s is not an IAM role ARN (arn:aws:iam::<12 digits>:role/<name>)"
                    % (base, show(arn))
                )
            else:
                partition, arn_account = match.group("partition"), match.group("account")
                if info.get("account") and arn_account != info["account"]:
                    self.err(
                        "%s.aws_role_arn: %s is in account %s, not in aws_account_id %s"
                        % (base, show(arn), show(arn_account), show(info["account"]))
                    )
                if info.get("partition") and partition != info["partition"]:
                    self.err(
                        "%s.aws_role_arn: %s is in partition %s but aws_region %s is in partition %s"
                        % (base, show(arn), show(partition), show(info["region"]), show(info["partition"]))
                    )

        ext = hvars.get("aws_external_id")
        if not _unset(ext):
            path = "%s.aws_external_id" % base
            # The value itself is withheld from messages: it may be treated as a secret.
            if not isinstance(ext, str):
                self.err("%s: (value withheld) must be a quoted string (got %s)" % (path, _type(ext)))
            elif not 2 <= len(ext) <= 1224:
                self.err("%s: (value withheld) is %d chars; AWS requires 2..1224" % (path, len(ext)))
            elif not _ids.EXTERNAL_ID_RE.match(ext):
                bad = sorted(set(EXTERNAL_ID_CHAR_RE.sub("", ext)))
                self.err(
                    "%s: (value withheld) contains characters AWS does not accept: %s;"
                    " allowed are letters, digits and _ + = , . @ : / -" % (path, show("".join(bad)))
                )

    def check_vpc(self, base, hvars, info):
        vpc_cidr = hvars.get("vpc_cidr")
        vpc_id = hvars.get("vpc_id")
        tags = hvars.get("vpc_adopt_tags")
        has_cidr, has_id, has_tags = not _unset(vpc_cidr), not _unset(vpc_id), tags is not None

        if has_id and has_tags:
            self.err(
                "%s.vpc_adopt_tags: %s is set together with vpc_id %s; set only one way to adopt the VPC"
                % (base, show(tags), show(vpc_id))
            )
        if not (has_cidr or has_id or has_tags):
            self.err(
                "%s: none of vpc_cidr (new VPC), vpc_id or vpc_adopt_tags (adopt an existing VPC) is set"
                % base
            )

        cidr_net = None
        if has_cidr:
            path = "%s.vpc_cidr" % base
            try:
                net = parse_cidr(vpc_cidr, path, strict=True, version=4, need_prefix=True)
            except ValueError as exc:
                self.err(str(exc))
            else:
                if not in_rfc1918(net):
                    self.err(
                        "%s: %s is not private (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)"
                        % (path, show(vpc_cidr))
                    )
                elif not AWS_MIN_PREFIX <= net.prefixlen <= AWS_MAX_PREFIX:
                    self.err(
                        "%s: %s has prefix /%d; AWS VPCs must be /%d../%d"
                        % (path, show(vpc_cidr), net.prefixlen, AWS_MIN_PREFIX, AWS_MAX_PREFIX)
                    )
                else:
                    cidr_net = net
        if has_id and (not isinstance(vpc_id, str) or not _ids.VPC_ID_RE.match(vpc_id)):
            self.err("%s.vpc_id: %s is not a VPC id (vpc- and 8 or 17 lowercase hex digits)" % (base, show(vpc_id)))
        if has_tags:
            path = "%s.vpc_adopt_tags" % base
            if not isinstance(tags, Mapping) or not tags:
                self.err("%s: %s must be a non-empty dict of tag key -> value" % (path, show(tags)))
            else:
                for key, value in tags.items():
                    if not isinstance(key, str) or not key:
                        self.err("%s: tag key %s must be a non-empty string" % (path, show(key)))
                    elif not isinstance(value, str):
                        self.err(
                            "%s: %s must be a string; quote it (got %s)" % (_key(path, key), show(value), _type(value))
                        )

        if (has_id or has_tags) and hvars.get("live_matches") is not None and hvars["live_matches"] != 1:
            self.err("%s: vpc_id=%s vpc_adopt_tags=%s matched %d VPC(s) in account %s; expected exactly one to adopt"
                     % (base, show(vpc_id), show(tags), hvars["live_matches"], show(hvars.get("aws_account_id"))))
        live = hvars.get("live_cidrs")
        live_nets = []
        if live is not None:
            live_nets = self._cidrs("%s.live_cidrs" % base, live, strict=True)
            if cidr_net is not None and live_nets and cidr_net not in [item[1] for item in live_nets]:
                self.err(
                    "%s.vpc_cidr: %s is not among the VPC's actual CIDRs (%s.live_cidrs: %s)"
                    % (base, show(vpc_cidr), base, show(live))
                )

        private = hvars.get("private_subnet_cidrs")
        private_nets = []
        if private is not None:
            private_nets = self.check_private(base, private, cidr_net, live_nets)

        # What this VPC occupies, for overlap checks: live_cidrs, else vpc_cidr,
        # else the explicit private subnets.
        if live_nets:
            info["cidrs"] = live_nets
        elif cidr_net is not None:
            info["cidrs"] = [("%s.vpc_cidr" % base, cidr_net)]
        elif private_nets:
            info["cidrs"] = private_nets

        self.check_subnet_prefix(base, hvars, cidr_net, live_nets, private is not None)

    def check_private(self, base, private, cidr_net, live_nets):
        path = "%s.private_subnet_cidrs" % base
        if isinstance(private, (list, tuple)) and not private:
            self.err("%s: [] must list at least one subnet CIDR (or leave it unset)" % path)
            return []
        nets = self._cidrs(path, private, strict=True, version=4, need_prefix=True)
        containers = [item[1] for item in live_nets if item[1].version == 4]
        if cidr_net is not None and cidr_net not in containers:
            containers.append(cidr_net)
        good = []
        for item_path, net in nets:
            if not AWS_MIN_PREFIX <= net.prefixlen <= AWS_MAX_PREFIX:
                self.err(
                    "%s: %s has prefix /%d; AWS subnets must be /%d../%d"
                    % (item_path, show(net.with_prefixlen), net.prefixlen, AWS_MIN_PREFIX, AWS_MAX_PREFIX)
                )
                continue
            if containers and not any(net.subnet_of(c) for c in containers):
                self.err(
                    "%s: %s is not inside the VPC CIDR %s"
                    % (item_path, show(net.with_prefixlen), ", ".join(show(c.with_prefixlen) for c in containers))
                )
                continue
            for other_path, other in good:
                if net.overlaps(other):
                    self.err(
                        "%s: %s overlaps %s %s"
                        % (item_path, show(net.with_prefixlen), other_path, show(other.with_prefixlen))
                    )
                    break
            else:
                good.append((item_path, net))
        return good

    def check_subnet_prefix(self, base, hvars, cidr_net, live_nets, explicit_subnets):
        prefix = hvars.get("subnet_prefix")
        if prefix is None:
            return
        path = "%s.subnet_prefix" % base
        if not _is_int(prefix):
            self.err("%s: %s must be an integer such as 24 (got %s)" % (path, show(prefix), _type(prefix)))
            return
        if not AWS_MIN_PREFIX <= prefix <= AWS_MAX_PREFIX:
            self.err("%s: %s is outside the AWS subnet limits /%d../%d" % (path, show(prefix), AWS_MIN_PREFIX, AWS_MAX_PREFIX))
            return
        if explicit_subnets:
            return  # private_subnet_cidrs are used as given; nothing is carved
        if cidr_net is not None:
            container_path, container = "%s.vpc_cidr" % base, cidr_net
        else:
            v4 = [(p, n) for p, n in live_nets if n.version == 4]
            if not v4:
                return
            container_path, container = v4[0]
        room = 1 << (prefix - container.prefixlen) if prefix > container.prefixlen else 0
        if room < SUBNETS_PER_VPC:
            self.err(
                "%s: %s leaves room for %d /%d subnet(s) in %s %s; %d are needed (one per AZ)"
                % (path, show(prefix), room, prefix, container_path, show(container.with_prefixlen), SUBNETS_PER_VPC)
            )

    # --------------------------------------------------------------- peerings

    def check_peerings(self):
        peerings = self.peerings
        if not isinstance(peerings, (list, tuple)):
            self.err("peerings: %s must be a list of peerings (got %s)" % (show(peerings), _type(peerings)))
            return
        names = {}
        pairs = {}
        peers_of = {}  # host -> [(peering index, peer host)]
        for idx, peering in enumerate(peerings):
            path = "peerings[%d]" % idx
            result = {}
            self.guarded(path, self.check_peering, path, peering, result)
            name = result.get("name")
            if name is not None:
                if name in names:
                    self.err("%s.name: %s is already used by peerings[%d]" % (path, show(name), names[name]))
                else:
                    names[name] = idx
            req, acc = result.get("requester"), result.get("accepter")
            if req is None or acc is None:
                continue
            pair = frozenset((req, acc))
            if pair in pairs:
                self.err(
                    "%s: %s <-> %s is already peered by peerings[%d]; AWS allows one peering per pair of VPCs"
                    % (path, show(req), show(acc), pairs[pair])
                )
                continue
            pairs[pair] = idx
            peers_of.setdefault(req, []).append((idx, acc))
            peers_of.setdefault(acc, []).append((idx, req))
        self.check_peer_conflicts(peers_of)

    def check_peering(self, path, peering, result):
        if not isinstance(peering, Mapping):
            self.err("%s: %s must be a dict (got %s)" % (path, show(peering), _type(peering)))
            return
        name = peering.get("name")
        if name is None:
            self.err("%s.name: missing (required, e.g. 'trading-analytics')" % path)
        elif not isinstance(name, str) or not NAME_RE.match(name):
            self.err(
                "%s.name: %s must be lowercase letters, digits and hyphens, starting with a letter"
                % (path, show(name))
            )
        else:
            result["name"] = str.__str__(name)

        ends = {}
        for role in ("requester", "accepter"):
            host = peering.get(role)
            if host is None:
                self.err("%s.%s: missing (required: an inventory host)" % (path, role))
            elif not isinstance(host, str) or host not in self.networks:
                known = sorted(str(h) for h in self.networks) if isinstance(self.networks, Mapping) else []
                self.err("%s.%s: %s is not a network (inventory hosts: %s)" % (path, role, show(host), show(known)))
            else:
                ends[role] = host
        req, acc = ends.get("requester"), ends.get("accepter")
        if req is not None and req == acc:
            self.err("%s.accepter: %s is also the requester; a network cannot peer with itself" % (path, show(acc)))
            req = acc = None

        ports = peering.get("ports")
        if ports is not None:
            if not isinstance(ports, (list, tuple)) or not ports:
                self.err("%s.ports: %s must be a non-empty list of port numbers" % (path, show(ports)))
            else:
                for i, port in enumerate(ports):
                    port_path = "%s.ports[%d]" % (path, i)
                    port = self._port(port_path, port)
                    if port is not None and self.allowed_ports is not None and port not in self.allowed_ports:
                        self.err("%s: %d is not in allowed_ports %s" % (port_path, port, show(self.allowed_ports)))

        dns = peering.get("dns_resolution")
        if dns is not None and not isinstance(dns, bool):
            self.err("%s.dns_resolution: %s must be true or false (got %s)" % (path, show(dns), _type(dns)))
        direction = peering.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            self.err("%s.direction: %s must be one of %s" % (path, show(direction), ", ".join(DIRECTIONS)))

        self.check_external_id(path, peering)
        if req is None or acc is None:
            return
        result["requester"], result["accepter"] = req, acc
        self.check_trusted_principals(path, req)
        self.check_pair(path, req, acc)

    def check_external_id(self, path, peering):
        """The acceptance role's ExternalId is a secret: given explicitly (from a vault) outside the sandbox."""
        external_id = peering.get("external_id")
        if external_id is None:
            if not self.settings.get("emulator"):
                self.err(
                    "%s.external_id: missing; outside the sandbox every peering needs an explicit ExternalId for its"
                    " acceptance role (a secret: keep it in a vault; a value derived from public names is only used"
                    " against the emulator)" % path
                )
        elif not isinstance(external_id, str) or not _ids.EXTERNAL_ID_RE.match(external_id) or len(external_id) < 8:
            self.err(
                "%s.external_id: must be 8 to 1224 characters of letters, digits and +=,.@:/- (got a %s of length %s)"
                % (path, _type(external_id), len(external_id) if isinstance(external_id, str) else "-")
            )

    def check_trusted_principals(self, path, req):
        """The acceptance role trusts the requester's automation principal, never a whole account."""
        overrides = self.settings.get("accepter_trusted_principals") or {}
        hvars = self.networks.get(req)
        if not isinstance(overrides, Mapping) or not isinstance(hvars, Mapping):
            return
        if req in overrides:
            principals, where = overrides[req], "peering_accepter_trusted_principals.%s" % req
        else:
            principals, where = [hvars.get("aws_role_arn")], "%s.aws_role_arn" % _host(req)
        if not isinstance(principals, (list, tuple)) or not principals:
            self.err("%s: %s: %s must be a non-empty list of role or user ARNs" % (path, where, show(principals)))
            return
        for principal in principals:
            if principal is None:
                self.err(
                    "%s: requester %s has no aws_role_arn; set peering_accepter_trusted_principals.%s to the ARN of its"
                    " automation principal (a whole account is never trusted)" % (path, show(req), req)
                )
                continue
            problem = _ids.trusted_principal_problem(principal)
            if problem:
                self.err("%s: %s: %s %s" % (path, where, show(principal), problem))

    def check_pair(self, path, req, acc):
        rinfo, ainfo = self.info.get(req, {}), self.info.get(acc, {})
        if rinfo.get("account") and rinfo.get("account") == ainfo.get("account"):
            self.err(
                "%s: requester %s and accepter %s are both in account %s (%s.aws_account_id,"
                " %s.aws_account_id); peerings must cross accounts"
                % (path, show(req), show(acc), show(rinfo["account"]), _host(req), _host(acc))
            )
        if rinfo.get("partition") and ainfo.get("partition") and rinfo["partition"] != ainfo["partition"]:
            self.err(
                "%s: requester %s region %s (partition %s) cannot peer with accepter %s region %s (partition %s)"
                % (path, show(req), show(rinfo["region"]), rinfo["partition"], show(acc), show(ainfo["region"]),
                   ainfo["partition"])
            )
        rc, ac = rinfo.get("cidrs"), ainfo.get("cidrs")
        for host, cidrs in ((req, rc), (acc, ac)):
            if not cidrs and isinstance(self.networks.get(host), Mapping):
                self.warn(
                    "%s: CIDR overlap not checked: no CIDR known for %s (set vpc_cidr or live_cidrs)"
                    % (path, _host(host))
                )
        if rc and ac:
            for rpath, rnet in rc:
                for apath, anet in ac:
                    if networks_overlap([rnet], [anet]):
                        self.err(
                            "%s: %s %s overlaps %s %s; peered VPCs must not overlap"
                            % (path, rpath, show(rnet.with_prefixlen), apath, show(anet.with_prefixlen))
                        )

    def check_peer_conflicts(self, peers_of):
        """A network's peers must not overlap each other: its routes would conflict."""
        for hub, peers in peers_of.items():
            for i, (idx1, peer1) in enumerate(peers):
                for idx2, peer2 in peers[i + 1:]:
                    c1 = self.info.get(peer1, {}).get("cidrs") or []
                    c2 = self.info.get(peer2, {}).get("cidrs") or []
                    for p1, n1 in c1:
                        for p2, n2 in c2:
                            if networks_overlap([n1], [n2]):
                                self.err(
                                    "peerings[%d]: %s %s overlaps %s %s (peerings[%d]); both peer with %s,"
                                    " whose routes to them would conflict"
                                    % (idx2, p2, show(n2.with_prefixlen), p1, show(n1.with_prefixlen), idx1, show(hub))
                                )

    # ---------------------------------------------------------- derived names

    def check_derived_names(self):
        settings = self.settings
        bucket_prefixes = settings.get("bucket_prefixes", DEFAULT_BUCKET_PREFIXES)
        bucket_prefixes = self._str_list(
            "settings.bucket_prefixes", bucket_prefixes, BUCKET_PREFIX_RE,
            "a valid S3 bucket name prefix (lowercase letters, digits, hyphens)",
        )
        role_prefixes = settings.get("role_prefixes", DEFAULT_ROLE_PREFIXES)
        role_prefixes = self._str_list(
            "settings.role_prefixes", role_prefixes, ROLE_PREFIX_RE,
            "a valid IAM role name prefix (letters, digits and + = , . @ _ -)",
        )
        suffix = self.suffix
        if suffix is None:
            return
        path = "settings.environment_suffix"
        for host, info in self.info.items():
            name, account = info.get("network_name"), info.get("account")
            if name is None:
                continue
            if account is not None:
                for prefix in bucket_prefixes:
                    bucket = "%s-%s-%s-%s" % (prefix, name, account, suffix)
                    why = _ids.bucket_name_error(bucket)
                    if len(bucket) > BUCKET_NAME_MAX:
                        self.err(
                            "%s: %s (%d chars) makes S3 bucket name %s for %s %d chars, over the limit of %d"
                            % (path, show(suffix), len(suffix), show(bucket), _host(host), len(bucket), BUCKET_NAME_MAX)
                        )
                    elif why:
                        self.err("%s: %s makes S3 bucket name %s for %s, which %s" % (path, show(suffix), show(bucket), _host(host), why))
            for prefix in role_prefixes:
                role = "%s-%s-%s" % (prefix, name, suffix)
                if len(role) > ROLE_NAME_MAX:
                    self.err(
                        "%s: %s (%d chars) makes IAM role name %s for %s %d chars, over the limit of %d"
                        % (path, show(suffix), len(suffix), show(role), _host(host), len(role), ROLE_NAME_MAX)
                    )


SITE_INPUTS = {
    # preflight key: (host variable, default)
    "network_name": ("network_name", None), "aws_account_id": ("aws_account_id", None), "aws_region": ("aws_region", None),
    "aws_role_arn": ("aws_role_arn", None), "aws_external_id": ("aws_external_id", None), "vpc_cidr": ("vpc_cidr", None),
    "vpc_id": ("vpc_id", None), "vpc_adopt_tags": ("vpc_adopt_tags", None), "subnet_prefix": ("vpc_subnet_prefix", 24),
    "private_subnet_cidrs": ("vpc_private_subnet_cidrs", None),
}


def _get(hvars, key, default=None):
    try:
        value = hvars[key]
    except (KeyError, TypeError):
        return default
    return default if value is None else value


def preflight_site_inputs(hvars):
    """A site's inputs for preflight_errors, from its host variables (unset and empty values left out)."""
    out = {}
    for key, (variable, default) in SITE_INPUTS.items():
        value = _get(hvars, variable, default)
        if value not in (None, "", [], {}):
            out[key] = value
    return out


def preflight_live_network(hvars):
    """The site's inputs plus what its description holds: how many VPCs the adoption matched and their CIDRs."""
    out = dict(_get(hvars, "preflight_network", {}) or preflight_site_inputs(hvars))
    state = _get(hvars, "site_state", {})
    if out.get("vpc_id") or out.get("vpc_adopt_tags"):
        out["live_matches"] = len(state.get("vpc_candidates") or [])
        vpc = state.get("vpc") or {}
        cidrs = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", [])
                 if a.get("CidrBlockState", {}).get("State", "associated") == "associated"]
        if cidrs:
            out["live_cidrs"] = cidrs
    return out


def role_input_cidrs(hvars):
    """Every user-configurable source or destination CIDR of the extra rules, by variable name (bad shapes skipped:
    the role input validation names them)."""
    out = {}
    for variable in ("security_extra_ingress_rules", "security_extra_egress_rules"):
        rules = _get(hvars, variable, [])
        out[variable] = [rule["cidr"] for rule in rules if isinstance(rule, Mapping) and isinstance(rule.get("cidr"), str)] \
            if isinstance(rules, (list, tuple)) else []
    return out


def preflight_errors(networks, peerings, settings):
    """Every input problem as a message naming the variable and the bad value."""
    return _Checker(networks, peerings, settings).run().errors


def preflight_warnings(networks, peerings, settings):
    """Warnings: logged open-CIDR exceptions and checks that could not run."""
    return _Checker(networks, peerings, settings).run().warnings


class FilterModule:
    """Preflight validation for netsec.aws_peering."""

    def filters(self):
        return {
            "preflight_errors": preflight_errors,
            "preflight_live_network": preflight_live_network,
            "preflight_site_inputs": preflight_site_inputs,
            "role_input_cidrs": role_input_cidrs,
            "preflight_warnings": preflight_warnings,
        }
