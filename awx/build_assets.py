"""Write the AWX objects of one environment in the format `awx export` writes and `awx import` reads.

    .venv/bin/python awx/build_assets.py       # the sandbox: rewrites awx/assets.json
    .venv/bin/python awx/build_assets.py --env prod -o awx/assets-prod.json \
        --scm-url https://git.example.com/netsec/aws_peering.git \
        --image registry.example.com/netsec/netsec-aws-peering-ee:0.1.0

This file is the source of the assets; awx/assets.json is its output for the sandbox, and
tests/unit/test_awx_assets.py fails when the two differ. JSON holds no comments, so the reasons
for each setting live here.

Shape (awxkit 24.6.1, awxkit/api/pages/api.py): one list per resource type; every object carries
the fields its API POST accepts, foreign keys as natural keys (`{"name": ..., "type": ...}`, plus
the organization or parent object they are unique in), the related objects export writes under
`related` (survey_spec, credentials, schedules and workflow nodes as full objects or natural
keys), and its own `natural_key`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ORGANIZATION = "NetSec"
PROJECT = "netsec.aws_peering"
EE = "netsec-aws-peering-ee"
# AWX's built-in credential type: injects AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, when an STS
# token is given, AWS_SECURITY_TOKEN / AWS_SESSION_TOKEN into every job's environment.
AWS_CREDENTIAL_TYPE = {"name": "Amazon Web Services", "kind": "cloud", "type": "credential_type"}
NO_NOTIFICATIONS = {
    "notification_templates_started": [],
    "notification_templates_success": [],
    "notification_templates_error": [],
}

# The order of site.yml, which the workflow reproduces one job per stage (playbook, template slug).
WORKFLOW_STAGES = ["preflight", "network", "peering", "security", "observability", "reachability", "outputs"]


def org_key():
    return {"name": ORGANIZATION, "type": "organization"}


def jt_key(name):
    return {"organization": org_key(), "name": name, "type": "job_template"}


def wfjt_key(name):
    return {"organization": org_key(), "name": name, "type": "workflow_job_template"}


def credential_key(name):
    return {"organization": org_key(), "name": name, "credential_type": AWS_CREDENTIAL_TYPE, "type": "credential"}


def inventory_key(name):
    return {"organization": org_key(), "name": name, "type": "inventory"}


def ee_key():
    return {"name": EE, "type": "execution_environment"}


def project_key():
    return {"organization": org_key(), "name": PROJECT, "type": "project"}


# ---- survey questions -----------------------------------------------------------------------
# Survey answers become extra vars, which outrank the inventory. So every stage option is optional
# and has NO default: AWX only adds a variable whose question has a default or an answer
# (awx/main/models/mixins.py, _update_unified_job_kwargs), so an unanswered question leaves the
# inventory's value (or the role default) in force instead of silently overriding it.

def suffix_question(default):
    question = {
        "question_name": "Environment suffix",
        "question_description": (
            "Suffix of every resource name of the deployment to act on. Keep the inventory's value: another "
            "suffix is another deployment in the same accounts. Preflight checks it against the S3/IAM name limits."),
        "required": True,
        "type": "text",
        "variable": "environment_suffix",
        "min": 1,
        "max": 63,
        "choices": "",
        "new_question": False,
    }
    if default is not None:
        question["default"] = default
    return question


def text_question(variable, name, description, password=False):
    return {"question_name": name, "question_description": description, "required": False,
            "type": "password" if password else "text", "variable": variable, "min": 0, "max": 1024,
            "choices": "", "new_question": False}


def integer_question(variable, name, description, minimum, maximum):
    return {"question_name": name, "question_description": description, "required": False, "type": "integer",
            "variable": variable, "min": minimum, "max": maximum, "choices": "", "new_question": False}


def choice_question(variable, name, description, choices):
    return {"question_name": name, "question_description": description, "required": False,
            "type": "multiplechoice", "variable": variable, "min": None, "max": None,
            "choices": list(choices), "new_question": False}


def role_choices(role, option, entry="main"):
    spec = yaml.safe_load((REPO / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return spec["argument_specs"][entry]["options"][option]["choices"]


ALERT_EMAIL = text_question(
    "monitoring_alert_email", "Alert e-mail",
    "Address subscribed to the alert topic of every site. Unanswered, the inventory's setting stays.")
NACL_MAX = integer_question(
    "security_nacl_max_entries", "Network ACL entries per direction",
    "Only after AWS raised the account's quota (default 20, at most 40): the security stage stops before any "
    "change when a hub's rules would not fit. Unanswered, the inventory's setting stays.", 20, 40)
ACCEPT_WAIT = integer_question(
    "peering_accepter_wait_timeout", "Seconds to wait for acceptance (accepter side)",
    "How long the accepter waits for a peering to become active. Unanswered, the inventory's setting stays.",
    30, 3600)
REQUEST_WAIT = integer_question(
    "peering_requester_wait_timeout", "Seconds to wait for the request (requester side)",
    "How long the requester waits for a peering to be requested or active. Unanswered, the inventory's "
    "setting stays.", 30, 3600)
REJECTED = integer_question(
    "monitoring_rejected_threshold", "Rejected-flows alarm threshold",
    "The rejected-flows alarm fires above this many rejected flows per period. Unanswered, the inventory's "
    "setting stays.", 1, 100000)


def delivery_frequency():
    return choice_question(
        "config_delivery_frequency", "AWS Config snapshot delivery",
        "How often configuration snapshots are delivered. Unanswered, the inventory's setting stays.",
        role_choices("config", "config_delivery_frequency"))


# ---- templates ------------------------------------------------------------------------------

def templates(env, suffix):
    """(slug, playbook, description, survey questions, overrides) of every job template."""
    suffix_default = suffix_question(suffix)
    # Destructive templates ask for the suffix with no default: typing it is the confirmation.
    suffix_typed = suffix_question(None)
    return [
        ("site", "site.yml",
         "Every stage in order (site.yml): preflight, network, peering, security, observability, reachability, outputs.",
         [suffix_default, ALERT_EMAIL, NACL_MAX], {"timeout": 3600}),
        ("preflight", "playbooks/preflight.yml",
         "Validates every input and each site's live state; changes nothing.", [suffix_default], {}),
        ("network", "playbooks/network.yml",
         "Creates or adopts each site's private VPC, subnets, route tables and network ACL.", [suffix_default], {}),
        ("peering", "playbooks/peering.yml",
         "Acceptance roles, requests, verified acceptance, DNS resolution and routes of every peering.",
         [suffix_default, ACCEPT_WAIT, REQUEST_WAIT], {}),
        ("security", "playbooks/security.yml",
         "Peering security groups, network ACL entries and the S3/DynamoDB gateway endpoints.",
         [suffix_default, NACL_MAX], {}),
        ("observability", "playbooks/observability.yml",
         "Flow logs to hardened buckets, AWS Config recorder and rules, alarms, change alerts and the dashboard.",
         [suffix_default, ALERT_EMAIL, REJECTED, delivery_frequency()], {}),
        ("reachability", "playbooks/reachability.yml",
         "Proves from the live state that only the intended flows pass; fails on any difference. Read-only.",
         [suffix_default], {}),
        ("outputs", "playbooks/outputs.yml",
         "Writes outputs/<suffix>.json and publishes the same keys as job artifacts (set_stats).",
         [suffix_default], {}),
        ("verify", "playbooks/verify.yml",
         "Read-only verification of the deployed state (the reachability proof and the auditor's report).",
         [suffix_default], {}),
        ("drift", "site.yml",
         "Drift detection: site.yml in check mode with diff. Changes nothing; every 'changed' task is a difference "
         "between AWS and the code, shown with its diff, and a difference that breaks an intended flow also fails "
         "the job at the reachability proof. Scheduled nightly.",
         [suffix_default], {"job_type": "check", "diff_mode": True, "timeout": 3600}),
        ("teardown-peering", "playbooks/teardown_peering.yml",
         "Removes the routes through our peerings, the peerings and the acceptance roles. Type the suffix to confirm.",
         [suffix_typed], {}),
        ("teardown", "playbooks/teardown.yml",
         "Removes everything the collection created (audit buckets are kept unless the inventory asks). "
         "Type the suffix to confirm.", [suffix_typed], {"timeout": 3600}),
        ("bootstrap", "playbooks/bootstrap.yml",
         "Run once per account by its administrator: the least-privilege automation role every other template "
         "assumes. Give the trusted principals as extra variables at launch, e.g. "
         "automation_role_trusted_principals: [arn:aws:iam::<automation account>:role/<awx role>].",
         [suffix_default,
          text_question("automation_role_admin_role_arn", "Administrator role to assume first",
                        "For example arn:aws:iam::<account>:role/OrganizationAccountAccessRole. Unanswered, the "
                        "inventory's setting stays (empty: the credential is the account's administrator)."),
          text_question("automation_role_external_id", "ExternalId of the automation role",
                        "ExternalId the trusted principals must pass. Unanswered, the inventory's setting stays.",
                        password=True)],
         # A list of ARNs cannot be a survey answer (answers are strings); it comes as launch-time extra vars.
         {"ask_variables_on_launch": True, "timeout": 900, "credential": "admin"}),
    ]


def template_name(env, slug):
    return f"netsec-peering-{env}-{slug}"


def credential_names(env):
    return {
        "automation": f"netsec-peering-{env} automation principal",
        "admin": f"netsec-peering-{env} account administrator",
    }


def job_template(env, inventory, slug, playbook, description, questions, overrides):
    name = template_name(env, slug)
    overrides = dict(overrides)
    credential = credential_names(env)[overrides.pop("credential", "automation")]
    obj = {
        "name": name,
        "description": description,
        "job_type": "run",
        "inventory": inventory_key(inventory),
        "project": project_key(),
        "playbook": playbook,
        "scm_branch": "",
        "forks": 0,
        "limit": "",
        "verbosity": 0,
        "extra_vars": "",
        "job_tags": "",
        "force_handlers": False,
        "skip_tags": "",
        "start_at_task": "",
        # A stage that hangs (an AWS waiter, a throttled API) must not hold the workflow forever.
        "timeout": 1800,
        "use_fact_cache": False,
        "execution_environment": ee_key(),
        "host_config_key": "",
        "ask_scm_branch_on_launch": False,
        "ask_diff_mode_on_launch": False,
        "ask_variables_on_launch": False,
        "ask_limit_on_launch": False,
        "ask_tags_on_launch": False,
        "ask_skip_tags_on_launch": False,
        "ask_job_type_on_launch": False,
        "ask_verbosity_on_launch": False,
        "ask_inventory_on_launch": False,
        "ask_credential_on_launch": False,
        "ask_execution_environment_on_launch": False,
        "ask_labels_on_launch": False,
        "ask_forks_on_launch": False,
        "ask_job_slice_count_on_launch": False,
        "ask_timeout_on_launch": False,
        "ask_instance_groups_on_launch": False,
        "survey_enabled": bool(questions),
        "become_enabled": False,
        "diff_mode": False,
        # Two jobs converging the same accounts at once would race each other.
        "allow_simultaneous": False,
        # Every site needs its peers' state in the same play: a sliced job would lose them.
        "job_slice_count": 1,
        "webhook_service": "",
        "webhook_credential": None,
        "prevent_instance_group_fallback": False,
        "related": {
            "labels": [],
            "credentials": [credential_key(credential)],
            "schedules": [],
            **NO_NOTIFICATIONS,
            "survey_spec": {"name": "", "description": "", "spec": questions} if questions else {},
        },
        "natural_key": jt_key(name),
    }
    obj.update(overrides)
    if slug == "drift":
        obj["related"]["schedules"] = [drift_schedule(name)]
    return obj


def no_launch_overrides():
    """Prompt-on-launch fields of a schedule or workflow node, all unset: each job runs as its template says."""
    return {
        "extra_data": {},
        "inventory": None,
        "scm_branch": None,
        "job_type": None,
        "job_tags": None,
        "skip_tags": None,
        "limit": None,
        "diff_mode": None,
        "verbosity": None,
        "execution_environment": None,
        "forks": None,
        "job_slice_count": None,
        "timeout": None,
    }


def drift_schedule(template):
    return {
        "name": f"{template} nightly",
        "description": "Nightly check of the deployed state against the code; changes nothing.",
        **no_launch_overrides(),
        "unified_job_template": jt_key(template),
        "enabled": True,
        # 02:00 UTC, outside the change windows the stage templates run in.
        "rrule": "DTSTART:20260101T020000Z RRULE:FREQ=DAILY;INTERVAL=1",
        "related": {"credentials": []},
        "natural_key": {"unified_job_template": jt_key(template), "name": f"{template} nightly", "type": "schedule"},
    }


def node_key(workflow, identifier):
    return {"workflow_job_template": wfjt_key(workflow), "identifier": identifier,
            "type": "workflow_job_template_node"}


def workflow(env, suffix):
    name = f"netsec-peering-{env}-workflow"
    nodes = []
    for index, stage in enumerate(WORKFLOW_STAGES):
        following = WORKFLOW_STAGES[index + 1:index + 2]
        nodes.append({
            **no_launch_overrides(),
            "workflow_job_template": wfjt_key(name),
            "unified_job_template": jt_key(template_name(env, stage)),
            "all_parents_must_converge": False,
            "identifier": stage,
            "related": {
                "credentials": [],
                "success_nodes": [node_key(name, n) for n in following],
                # No failure or always path: a failed stage ends the workflow, and AWX marks the
                # workflow job failed because the failure was not handled. No later stage runs on a
                # half-built network, and nothing is sent anywhere.
                "failure_nodes": [],
                "always_nodes": [],
            },
            "natural_key": node_key(name, stage),
        })
    return {
        "name": name,
        "description": ("The stages of site.yml as one job each, in order (preflight, network, peering, security, "
                        "observability, reachability, outputs); the first failure stops the chain."),
        "extra_vars": "",
        "organization": org_key(),
        "survey_enabled": True,
        "allow_simultaneous": False,
        "ask_variables_on_launch": False,
        "inventory": None,
        "limit": None,
        "scm_branch": None,
        "ask_inventory_on_launch": False,
        "ask_scm_branch_on_launch": False,
        "ask_limit_on_launch": False,
        "webhook_service": "",
        "webhook_credential": None,
        "ask_labels_on_launch": False,
        "ask_skip_tags_on_launch": False,
        "ask_tags_on_launch": False,
        "skip_tags": None,
        "job_tags": None,
        "related": {
            "labels": [],
            "schedules": [],
            **NO_NOTIFICATIONS,
            "notification_templates_approvals": [],
            # The workflow's answers reach every node's job as extra vars.
            "survey_spec": {"name": "", "description": "", "spec": [suffix_question(suffix)]},
            "workflow_nodes": nodes,
        },
        "natural_key": wfjt_key(name),
    }


def aws_credential(name, description):
    return {
        "name": name,
        "description": description,
        "organization": org_key(),
        "credential_type": AWS_CREDENTIAL_TYPE,
        # `awx export` writes secrets as $encrypted$ and `awx import` drops them: nothing secret here.
        "inputs": {"username": "", "password": "$encrypted$"},
        "natural_key": credential_key(name),
    }


def build(env="sandbox", scm_url=None, image=None):
    inventory_dir = REPO / "inventories" / env
    settings = yaml.safe_load((inventory_dir / "group_vars" / "networks.yml").read_text(encoding="utf-8"))
    # The survey's default is the inventory's own suffix, so an unanswered launch acts on the
    # deployment the inventory describes.
    suffix = settings["environment_suffix"]
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    ee_def = yaml.safe_load((REPO / "execution-environment.yml").read_text(encoding="utf-8"))
    image = image or "registry.example.invalid/netsec/" + ee_def["options"]["tags"][0]
    inventory = f"netsec-peering-{env}"
    credentials = credential_names(env)
    return {
        "organizations": [{
            "name": ORGANIZATION,
            "description": "Network security: cross-account VPC peering",
            "max_hosts": 0,
            # Not the EE: it belongs to this organization, which awx import creates first, so the
            # reference could not resolve yet. The project and every template name the EE instead.
            "default_environment": None,
            "related": {"galaxy_credentials": [], **NO_NOTIFICATIONS, "notification_templates_approvals": []},
            "natural_key": org_key(),
        }],
        "execution_environments": [{
            "name": EE,
            "description": "ansible-core, amazon.aws, community.aws and this collection at the project's pins "
                           "(execution-environment.yml).",
            "organization": org_key(),
            "image": image,
            "credential": None,
            # The tag is immutable per release; pull only when the node lacks it.
            "pull": "missing",
            "natural_key": ee_key(),
        }],
        "credentials": [
            aws_credential(credentials["automation"], "Key of the automation principal every stage starts from; each site's play then "
                                                      "assumes aws_role_arn. Fill in the secret after the import."),
            aws_credential(credentials["admin"], "An account administrator's key, for the bootstrap template only (it creates the "
                                                 "automation role). Fill in the secret after the import."),
        ],
        "projects": [{
            "name": PROJECT,
            "description": "This repository: playbooks, inventories and the collection's source.",
            "local_path": "",
            "scm_type": "git",
            "scm_url": scm_url or galaxy["repository"],
            "scm_branch": "main",
            "scm_refspec": "",
            "scm_clean": True,
            "scm_track_submodules": False,
            "scm_delete_on_update": False,
            "credential": None,
            "timeout": 0,
            "organization": org_key(),
            # The jobs of one workflow must run one revision: sync the project when main moves (webhook
            # or by hand), never per job.
            "scm_update_on_launch": False,
            "scm_update_cache_timeout": 0,
            "allow_override": False,
            "default_environment": ee_key(),
            "signature_validation_credential": None,
            "related": {"schedules": [], **NO_NOTIFICATIONS},
            "natural_key": project_key(),
        }],
        "inventory": [{
            "name": inventory,
            "description": f"The sites of inventories/{env}, synced from the project.",
            "organization": org_key(),
            "kind": "",
            "host_filter": None,
            "variables": "---",
            "prevent_instance_group_fallback": False,
            # Hosts and groups come from the inventory source; an export of a synced inventory would
            # list them, but importing them would only be overwritten by the next sync.
            "related": {"labels": [], "hosts": [], "groups": []},
            "natural_key": inventory_key(inventory),
        }],
        "inventory_sources": [{
            "name": f"inventories/{env}",
            "description": f"inventories/{env} of the project (hosts, group_vars).",
            "source": "scm",
            "source_path": f"inventories/{env}",
            "source_vars": "---",
            "scm_branch": "",
            "credential": None,
            "enabled_var": "",
            "enabled_value": "",
            "host_filter": "",
            # The repository is the only truth: a site removed there disappears from AWX.
            "overwrite": True,
            "overwrite_vars": True,
            "timeout": 0,
            "verbosity": 1,
            "limit": "",
            "inventory": inventory_key(inventory),
            # Synced before a job when older than 5 minutes: fresh for every launch, once per workflow.
            "update_on_launch": True,
            "update_cache_timeout": 300,
            "source_project": project_key(),
            "execution_environment": ee_key(),
            "related": {"credentials": [], "schedules": [], **NO_NOTIFICATIONS},
            "natural_key": {"name": f"inventories/{env}", "inventory": inventory_key(inventory),
                            "type": "inventory_source"},
        }],
        "job_templates": [job_template(env, inventory, *spec) for spec in templates(env, suffix)],
        "workflow_job_templates": [workflow(env, suffix)],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--env", default="sandbox", help="inventories/<env> (default sandbox)")
    parser.add_argument("--scm-url", help="the project's git URL (default: galaxy.yml's repository)")
    parser.add_argument("--image", help="the execution environment image (default: a placeholder registry)")
    parser.add_argument("-o", "--output", help="file to write (default: awx/assets.json for the sandbox, else stdout)")
    args = parser.parse_args(argv)
    if not (REPO / "inventories" / args.env / "hosts.yml").is_file():
        parser.error(f"inventories/{args.env}/hosts.yml does not exist")
    text = json.dumps(build(args.env, args.scm_url, args.image), indent=2) + "\n"
    output = args.output or (str(REPO / "awx" / "assets.json") if args.env == "sandbox" else None)
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
