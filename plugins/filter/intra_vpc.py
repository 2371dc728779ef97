# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The intra-VPC network ACL entry shared by the vpc and security roles.

The vpc role creates the private ACL with only this entry per direction; the
security role later owns the whole entry set and renders the same entry with
the same rule number, so neither role undoes the other on a re-run.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

INTRA_VPC_RULE_NUMBER = 100


def intra_vpc_nacl_entry(egress, vpc_cidr, rule_number=INTRA_VPC_RULE_NUMBER):
    """Allow all traffic to (egress) or from (ingress) the VPC's own CIDR."""
    try:
        net = ipaddress.ip_network(str(vpc_cidr), strict=True)
    except ValueError as exc:
        raise AnsibleFilterError(f"intra_vpc_nacl_entry: vpc_cidr {vpc_cidr!r} is not a valid CIDR ({exc})") from None
    if net.prefixlen == 0:
        raise AnsibleFilterError(f"intra_vpc_nacl_entry: vpc_cidr {vpc_cidr!r} is open to the world")
    return {
        "rule_number": int(rule_number),
        "egress": bool(egress),
        "protocol": "all",
        "rule_action": "allow",
        "cidr_block": str(net),
    }


class FilterModule:
    def filters(self):
        return {"intra_vpc_nacl_entry": intra_vpc_nacl_entry}
