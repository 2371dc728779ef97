"""Hand-written site states (docs/dev/site-state.md shape) shared by the reachability and audit tests.

Test modules import the fixtures below by name (a module, not a conftest.py, so that other
tests sharing this folder are not affected).

`build_sites(topology)` returns ``(sites, intent)`` describing what the collection deploys:
per site a VPC with three private subnets, one private route table per subnet routing each
peer private subnet through the peering and S3/DynamoDB through gateway endpoints, a private
network ACL (intra-VPC, the peering ports and ephemeral replies from/to the peers' private
subnets, 443 and replies to/from the service prefix lists), a closed default ACL and default
security group, the peering security group, a flow log, and the tags. Tests mutate a fresh
copy to break one rule at a time.
"""

from __future__ import annotations

import copy

import pytest

SUFFIX = "sandbox"
PORTS = (443, 5432)
EPHEMERAL = (32768, 65535)
TAGS = {"CostCenter": "cc-4711", "Environment": "sandbox", "ManagedBy": "netsec.aws_peering"}
SITES = {
    # name: (account, region, VPC CIDR)
    "trading": ("111111111111", "us-east-1", "10.0.0.0/16"),
    "analytics": ("222222222222", "us-east-1", "10.1.0.0/16"),
    "risk": ("333333333333", "us-east-1", "10.2.0.0/16"),
}
SERVICE_CIDRS = {"s3": ["52.216.0.0/15", "3.5.0.0/19", "54.231.0.0/16"], "dynamodb": ["3.218.180.0/22"]}
TOPOLOGIES = {
    "pair": [("trading-analytics", "trading", "analytics")],
    "hub": [("trading-analytics", "trading", "analytics"), ("trading-risk", "trading", "risk")],
}


def tags(name, network, **extra):
    values = dict(TAGS, Name=name, Network=network, **extra)
    return [{"Key": k, "Value": v} for k, v in sorted(values.items())]


def subnet_cidrs(vpc_cidr):
    second = vpc_cidr.split(".")[1]
    return [f"10.{second}.{i}.0/24" for i in (1, 2, 3)]


def pl_id(service, region):
    return f"pl-{service}-{region}"


def nacl_entry(rule, egress, cidr, protocol="6", ports=None, action="allow"):
    entry = {"RuleNumber": rule, "Egress": egress, "CidrBlock": cidr, "Protocol": protocol, "RuleAction": action}
    if ports is not None:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def sg_rule(cidrs=(), ports=None, protocol="tcp", prefix_lists=(), groups=(), ipv6=()):
    rule = {"IpProtocol": protocol, "IpRanges": [{"CidrIp": c} for c in cidrs],
            "Ipv6Ranges": [{"CidrIpv6": c} for c in ipv6],
            "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists],
            "UserIdGroupPairs": [{"GroupId": g} for g in groups]}
    if ports is not None:
        rule["FromPort"], rule["ToPort"] = ports
    return rule


def peering_connection(pcx, requester, accepter, status="active", dns=True):
    def side(name):
        account, region, cidr = SITES[name]
        return {"VpcId": f"vpc-{name}", "OwnerId": account, "Region": region, "CidrBlock": cidr,
                "PeeringOptions": {"AllowDnsResolutionFromRemoteVpc": dns}}
    return {"VpcPeeringConnectionId": pcx, "RequesterVpcInfo": side(requester), "AccepterVpcInfo": side(accepter),
            "Status": {"Code": status, "Message": status}, "Tags": tags(f"pcx-{requester}-{accepter}-{SUFFIX}", requester)}


def _private_acl(name, vpc_cidr, peers, service_cidrs):
    ingress, egress, rule = [nacl_entry(100, False, vpc_cidr, "-1")], [nacl_entry(100, True, vpc_cidr, "-1")], 110
    for peer_cidr in peers:
        for port in PORTS:
            ingress.append(nacl_entry(rule, False, peer_cidr, ports=(port, port)))
            egress.append(nacl_entry(rule, True, peer_cidr, ports=(port, port)))
            rule += 10
        ingress.append(nacl_entry(rule, False, peer_cidr, ports=EPHEMERAL))
        egress.append(nacl_entry(rule, True, peer_cidr, ports=EPHEMERAL))
        rule += 10
    for cidr in service_cidrs:
        ingress.append(nacl_entry(rule, False, cidr, ports=EPHEMERAL))
        egress.append(nacl_entry(rule, True, cidr, ports=(443, 443)))
        rule += 10
    defaults = [nacl_entry(32767, egress, "0.0.0.0/0", "-1", action="deny") for egress in (False, True)]
    return ingress + egress + defaults


def build_site(name, peers):
    """One site's state; `peers` is [(peer site name, pcx id, requester name)]."""
    account, region, vpc_cidr = SITES[name]
    vpc_id = f"vpc-{name}"
    cidrs = subnet_cidrs(vpc_cidr)
    subnet_ids = [f"subnet-{name}-{az}" for az in "abc"]
    pls = {service: pl_id(service, region) for service in SERVICE_CIDRS}
    peer_cidrs = [c for peer, _pcx, _req in peers for c in subnet_cidrs(SITES[peer][2])]
    service_cidrs = [c for service in sorted(SERVICE_CIDRS) for c in SERVICE_CIDRS[service]]
    private_tables = []
    for az, subnet_id in zip("abc", subnet_ids):
        routes = [{"DestinationCidrBlock": vpc_cidr, "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}]
        for peer, pcx, _req in peers:
            routes += [{"DestinationCidrBlock": c, "VpcPeeringConnectionId": pcx, "Origin": "CreateRoute", "State": "active"}
                       for c in subnet_cidrs(SITES[peer][2])]
        routes += [{"DestinationPrefixListId": pls[s], "GatewayId": f"vpce-{name}-{s}", "Origin": "CreateRoute", "State": "active"}
                   for s in sorted(pls)]
        private_tables.append({"RouteTableId": f"rtb-{name}-{az}", "VpcId": vpc_id, "Routes": routes,
                               "Associations": [{"SubnetId": subnet_id, "RouteTableId": f"rtb-{name}-{az}", "Main": False}],
                               "Tags": tags(f"rtb-{name}-private-{az}-{SUFFIX}", name)})
    main_table = {"RouteTableId": f"rtb-{name}-main", "VpcId": vpc_id,
                  "Routes": [{"DestinationCidrBlock": vpc_cidr, "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}],
                  "Associations": [{"Main": True, "RouteTableId": f"rtb-{name}-main"}], "Tags": tags(f"rtb-{name}-main-{SUFFIX}", name)}
    return {
        "network_name": name, "environment_suffix": SUFFIX, "account_id": account, "partition": "aws", "region": region,
        "availability_zones": [f"{region}{az}" for az in "abc"],
        "vpc": {"VpcId": vpc_id, "CidrBlock": vpc_cidr, "OwnerId": account, "State": "available",
                "CidrBlockAssociationSet": [{"CidrBlock": vpc_cidr, "CidrBlockState": {"State": "associated"}}],
                "Tags": tags(f"vpc-{name}-{SUFFIX}", name), "EnableDnsSupport": True, "EnableDnsHostnames": True},
        "subnets": [{"SubnetId": sid, "VpcId": vpc_id, "CidrBlock": cidr, "AvailabilityZone": f"{region}{az}",
                     "Tags": tags(f"subnet-{name}-private-{az}-{SUFFIX}", name, Tier="private")}
                    for az, sid, cidr in zip("abc", subnet_ids, cidrs)],
        "route_tables": [main_table] + private_tables,
        "network_acls": [
            {"NetworkAclId": f"acl-{name}-default", "VpcId": vpc_id, "IsDefault": True, "Associations": [],
             "Entries": [nacl_entry(32767, e, "0.0.0.0/0", "-1", action="deny") for e in (False, True)],
             "Tags": tags(f"acl-{name}-default-{SUFFIX}", name)},
            {"NetworkAclId": f"acl-{name}-private", "VpcId": vpc_id, "IsDefault": False,
             "Associations": [{"SubnetId": sid, "NetworkAclId": f"acl-{name}-private"} for sid in subnet_ids],
             "Entries": _private_acl(name, vpc_cidr, peer_cidrs, service_cidrs),
             "Tags": tags(f"acl-{name}-private-{SUFFIX}", name)},
        ],
        "security_groups": [
            {"GroupId": f"sg-{name}-default", "GroupName": "default", "VpcId": vpc_id, "Description": "default VPC security group",
             "IpPermissions": [], "IpPermissionsEgress": [], "Tags": tags(f"sg-{name}-default-{SUFFIX}", name)},
            {"GroupId": f"sg-{name}-peering", "GroupName": f"sg-peering-{name}-{SUFFIX}", "VpcId": vpc_id,
             "Description": "peering workloads",
             "IpPermissions": [sg_rule(peer_cidrs + [vpc_cidr], (p, p)) for p in PORTS],
             "IpPermissionsEgress": [sg_rule(peer_cidrs + [vpc_cidr], (p, p)) for p in PORTS]
             + [sg_rule(ports=(443, 443), prefix_lists=sorted(pls.values()))],
             "Tags": tags(f"sg-peering-{name}-{SUFFIX}", name)},
        ],
        "vpc_endpoints": [{"VpcEndpointId": f"vpce-{name}-{s}", "VpcEndpointType": "Gateway", "VpcId": vpc_id,
                           "ServiceName": f"com.amazonaws.{region}.{s}", "State": "available",
                           "RouteTableIds": [t["RouteTableId"] for t in private_tables], "PolicyDocument": "{}",
                           "Tags": tags(f"vpce-{name}-{s}-{SUFFIX}", name)} for s in sorted(pls)],
        "vpc_peering_connections": [peering_connection(pcx, req, peer if req == name else name) for peer, pcx, req in peers],
        "flow_logs": [{"FlowLogId": f"fl-{name}", "ResourceId": vpc_id, "TrafficType": "ALL", "FlowLogStatus": "ACTIVE",
                       "LogDestinationType": "s3", "MaxAggregationInterval": 60, "Tags": tags(f"fl-{name}-{SUFFIX}", name)}],
        "prefix_lists": [{"PrefixListId": pls[s], "PrefixListName": f"com.amazonaws.{region}.{s}", "Cidrs": list(SERVICE_CIDRS[s])}
                         for s in sorted(pls)],
        "internet_gateways": [],
        "nat_gateways": [],
    }


def build(topology="pair", regions=None):
    """(sites, intent) for a topology of TOPOLOGIES; `regions` overrides a site's region."""
    saved = dict(SITES)
    try:
        for name, region in (regions or {}).items():
            SITES[name] = (SITES[name][0], region, SITES[name][2])
        peerings = TOPOLOGIES[topology]
        names = sorted({n for _p, req, acc in peerings for n in (req, acc)})
        sites = {}
        for name in names:
            peers = [(acc if req == name else req, f"pcx-{req}-{acc}", req) for _p, req, acc in peerings if name in (req, acc)]
            sites[name] = build_site(name, peers)
    finally:
        SITES.clear()
        SITES.update(saved)
    intent = {
        "peerings": [{"name": p, "requester": req, "accepter": acc, "ports": list(PORTS), "direction": "both",
                      "dns_resolution": True} for p, req, acc in peerings],
        "endpoint_services": {"s3": [443], "dynamodb": [443]},
        "client_ports": list(EPHEMERAL),
    }
    return sites, intent


@pytest.fixture
def build_sites():
    """Factory: build_sites(topology='pair', regions=None) -> fresh (sites, intent)."""
    def _build(topology="pair", regions=None):
        return copy.deepcopy(build(topology, regions))
    return _build


@pytest.fixture
def audit_settings():
    return {"environment_suffix": SUFFIX, "required_tags": ["CostCenter", "Environment"],
            "flow_log_max_aggregation_interval": 60}
