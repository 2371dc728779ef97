#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the netsec.aws_peering collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# Documentation only: the work is done by the action plugin plugins/action/reachability_report.py, which runs
# on the controller and declares check mode support (_supports_check_mode = True, the action-plugin
# form of supports_check_mode=True).

DOCUMENTATION = r"""
module: reachability_report
short_description: Prove from the live state that the sites reach each other exactly as intended
version_added: 0.1.0
description:
  - Runs on the controller only (an action plugin; no module process, no AWS call). Reads every site's C(site_state)
    fact (role C(netsec.aws_peering.site_state)) and evaluates, exhaustively, which connections are allowed between
    the private subnets of every pair of sites (every TCP and UDP port interval and ICMP, both directions), to the
    S3 and DynamoDB gateway endpoints, and to and from the internet, modelling routes, peerings, network ACLs (with
    the stateless return path) and security groups as AWS does; and whether private DNS names resolve across each
    peering both ways.
  - Each layer is also checked on its own (source security groups' egress, source network ACL egress, destination
    network ACL ingress, destination security groups' ingress). A layer that opens to a peer's subnet anything the
    intent does not need (say TCP 22) is a C(peer_exposure) violation even while another layer still blocks the
    flow, because defence in depth is only as deep as each layer.
  - Compares the result with the intent (the C(peerings) with their ports and directions; the endpoints on 443;
    nothing else), writes C(<directory>/<environment_suffix>-reachability.json) (C(flows), C(violations), C(dns),
    C(summary), C(intent), C(controls)) and the auditor's report C(<directory>/<environment_suffix>-report.html),
    and fails when the live network differs from the intent, naming every differing flow and its deciding component.
  - The files are written in check mode too; writing them is never reported as a change. In check mode the
    differences are reported as a change (what a run would repair), not as a failure.
options:
  sites:
    description: The sites (inventory hosts) to evaluate; each must have C(site_state).
    type: list
    elements: str
    required: true
  peerings:
    description: The C(peerings) list (the intent).
    type: list
    elements: dict
    default: []
  client_ports:
    description: The clients' source port range C([low, high]) (the network ACLs' ephemeral range).
    type: list
    elements: int
  directory:
    description: Where to write the proof and the report.
    type: path
    required: true
  environment_suffix:
    description: Names the files.
    type: str
    required: true
  settings:
    description: C(environment_suffix), C(required_tags), C(flow_log_max_aggregation_interval) for the controls.
    type: dict
    default: {}
attributes:
  check_mode:
    support: full
    description: Evaluates and writes the artifacts; changes nothing in AWS.
  diff_mode:
    support: none
    description: No diff.
  platform:
    support: full
    platforms: all
    description: An action plugin; it runs on the controller whatever the target host.
author:
  - netsec aws_peering maintainers (@netsec)
"""

EXAMPLES = r"""
- name: Prove the peering and write the auditor's report
  netsec.aws_peering.reachability_report:
    sites: "{{ ansible_play_hosts }}"
    peerings: "{{ peerings }}"
    client_ports: "{{ ephemeral_port_range }}"
    directory: outputs
    environment_suffix: prod
  run_once: true
"""

RETURN = r"""
summary:
  description: Counts of flows, allowed, denied, violations and DNS checks, and whether all is compliant.
  returned: always
  type: dict
violations:
  description: The flows (and DNS checks) whose verdict differs from the intent, each with its C(reason).
  returned: always
  type: list
  elements: dict
failing_controls:
  description: IDs of the controls that fail (CIS, FSBP, the mission's own); reported, not fatal.
  returned: always
  type: list
  elements: str
proof:
  description: Path of the JSON proof.
  returned: always
  type: str
report:
  description: Path of the HTML report.
  returned: always
  type: str
"""
