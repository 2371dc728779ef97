# -*- coding: utf-8 -*-
# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the `peerings` list means for one site: its peers, ports and directions."""

from __future__ import annotations

DIRECTIONS = ("both", "requester-to-accepter", "accepter-to-requester")


def site_peerings(peerings, host, default_ports=(443, 5432)):
    """The peerings ``host`` is part of, seen from that host.

    Each item: ``name``, ``side`` (requester or accepter), ``peer`` (the other inventory host),
    ``ports`` (sorted TCP ports), ``direction``, ``inbound`` (the peer may open connections to
    this site), ``outbound`` (this site may open connections to the peer), ``dns_resolution``,
    and ``peering`` (the original item).
    """
    out = []
    for peering in peerings or []:
        if host not in (peering.get("requester"), peering.get("accepter")):
            continue
        requester = peering.get("requester") == host
        direction = peering.get("direction") or "both"
        forward = direction in ("both", "requester-to-accepter")
        backward = direction in ("both", "accepter-to-requester")
        out.append({
            "name": peering.get("name"),
            "side": "requester" if requester else "accepter",
            "peer": peering.get("accepter") if requester else peering.get("requester"),
            "ports": sorted({int(port) for port in (peering.get("ports") or default_ports)}),
            "direction": direction,
            "outbound": forward if requester else backward,
            "inbound": backward if requester else forward,
            "dns_resolution": bool(peering.get("dns_resolution", True)),
            "peering": peering,
        })
    return out
