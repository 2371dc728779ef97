"""The AWX objects in awx/assets.json: the export format, and every reference they make.

`awx import` reads the file with awxkit's import code (awxkit/api/pages/api.py, ApiV2.import_assets):
it sends each object's POST fields, resolves every natural key against the server, and a key that
resolves to nothing becomes a null foreign key without any error. So these tests check what the
import would not: each object carries exactly the fields AWX's API accepts, every natural key
names an object of the file, every playbook, inventory path and survey variable exists in this
repository, and the workflow is site.yml's order. Then the file goes through awxkit's real import
code against an in-memory AWX (FakeAWX below: the API's list, detail, OPTIONS, attach and survey
endpoints, with AWX's own validation of what these assets use).
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import yaml
from dateutil import rrule
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

REPO = Path(__file__).resolve().parents[2]
ASSETS_PATH = REPO / "awx" / "assets.json"


def load_builder():
    spec = importlib.util.spec_from_file_location("awx_build_assets", REPO / "awx" / "build_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def assets():
    return json.loads(ASSETS_PATH.read_text(encoding="utf-8"))


# ---- what AWX's API accepts ------------------------------------------------------------------
# POST fields of each type (AWX 24.6, awx/api/serializers.py: the writable fields of each
# serializer). `awx export` writes exactly these, plus `related` and `natural_key`. Foreign keys
# are "id" fields: awxkit resolves a natural key given for them; `required` ones AWX refuses null.
COMMON = ["name", "description"]
POST_FIELDS = {
    "organization": {"plain": COMMON + ["max_hosts"], "fk": {"default_environment": False}},
    "execution_environment": {"plain": COMMON + ["image", "pull"], "fk": {"organization": False, "credential": False}},
    "credential": {"plain": COMMON + ["inputs"], "fk": {"organization": False, "credential_type": True}},
    "project": {
        "plain": COMMON + ["local_path", "scm_type", "scm_url", "scm_branch", "scm_refspec", "scm_clean",
                           "scm_track_submodules", "scm_delete_on_update", "timeout", "scm_update_on_launch",
                           "scm_update_cache_timeout", "allow_override"],
        "fk": {"credential": False, "organization": True, "default_environment": False,
               "signature_validation_credential": False}},
    "inventory": {"plain": COMMON + ["kind", "host_filter", "variables", "prevent_instance_group_fallback"],
                  "fk": {"organization": True}},
    "inventory_source": {
        "plain": COMMON + ["source", "source_path", "source_vars", "scm_branch", "enabled_var", "enabled_value",
                           "host_filter", "overwrite", "overwrite_vars", "timeout", "verbosity", "limit",
                           "update_on_launch", "update_cache_timeout"],
        "fk": {"credential": False, "inventory": True, "source_project": False, "execution_environment": False}},
    "job_template": {
        "plain": COMMON + ["job_type", "playbook", "scm_branch", "forks", "limit", "verbosity", "extra_vars", "job_tags",
                           "force_handlers", "skip_tags", "start_at_task", "timeout", "use_fact_cache",
                           "host_config_key"]
        + ["ask_%s_on_launch" % a for a in ("scm_branch", "diff_mode", "variables", "limit", "tags", "skip_tags",
                                            "job_type", "verbosity", "inventory", "credential", "execution_environment",
                                            "labels", "forks", "job_slice_count", "timeout", "instance_groups")]
        + ["survey_enabled", "become_enabled", "diff_mode", "allow_simultaneous", "job_slice_count", "webhook_service",
           "prevent_instance_group_fallback"],
        "fk": {"inventory": False, "project": True, "execution_environment": False, "webhook_credential": False}},
    "workflow_job_template": {
        "plain": COMMON + ["extra_vars", "survey_enabled", "allow_simultaneous", "ask_variables_on_launch", "limit",
                           "scm_branch", "ask_inventory_on_launch", "ask_scm_branch_on_launch", "ask_limit_on_launch",
                           "webhook_service", "ask_labels_on_launch", "ask_skip_tags_on_launch", "ask_tags_on_launch",
                           "skip_tags", "job_tags"],
        "fk": {"organization": True, "inventory": False, "webhook_credential": False}},
    "workflow_job_template_node": {
        "plain": ["extra_data", "scm_branch", "job_type", "job_tags", "skip_tags", "limit", "diff_mode", "verbosity",
                  "forks", "job_slice_count", "timeout", "all_parents_must_converge", "identifier"],
        # AWX accepts a node without a template (approval nodes); ours all run one.
        "fk": {"inventory": False, "execution_environment": False, "workflow_job_template": True,
               "unified_job_template": True}},
    "schedule": {
        "plain": COMMON + ["extra_data", "scm_branch", "job_type", "job_tags", "skip_tags", "limit", "diff_mode",
                           "verbosity", "forks", "job_slice_count", "timeout", "enabled", "rrule"],
        "fk": {"inventory": False, "execution_environment": False, "unified_job_template": True}},
}
# The top-level lists of an export (awxkit's EXPORTABLE_RESOURCES) and the type of their objects.
RESOURCE_TYPES = {
    "organizations": "organization", "execution_environments": "execution_environment",
    "credentials": "credential", "projects": "project", "inventory": "inventory",
    "inventory_sources": "inventory_source", "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template",
}
# What awxkit's export writes under `related` for each type: full objects (DEPENDENT_EXPORT) or
# natural keys of attachable relations (EXPORTABLE_RELATIONS).
RELATED = {
    "organization": {"galaxy_credentials", "notification_templates_started", "notification_templates_success",
                     "notification_templates_error", "notification_templates_approvals"},
    "execution_environment": set(),
    "credential": set(),
    "project": {"schedules", "notification_templates_started", "notification_templates_success",
                "notification_templates_error"},
    "inventory": {"labels", "hosts", "groups"},
    "inventory_source": {"credentials", "schedules", "notification_templates_started",
                         "notification_templates_success", "notification_templates_error"},
    "job_template": {"labels", "credentials", "schedules", "survey_spec", "notification_templates_started",
                     "notification_templates_success", "notification_templates_error"},
    "workflow_job_template": {"labels", "schedules", "survey_spec", "workflow_nodes",
                              "notification_templates_started", "notification_templates_success",
                              "notification_templates_error", "notification_templates_approvals"},
    "workflow_job_template_node": {"credentials", "success_nodes", "failure_nodes", "always_nodes"},
    "schedule": {"credentials"},
}
# Natural key fields (awxkit/api/pages/*.py, NATURAL_KEY).
NATURAL_KEY = {
    "organization": ["name"], "execution_environment": ["name"], "credential_type": ["name", "kind"],
    "credential": ["organization", "name", "credential_type"], "project": ["organization", "name"],
    "inventory": ["organization", "name"], "inventory_source": ["name", "inventory"],
    "job_template": ["organization", "name"], "workflow_job_template": ["organization", "name"],
    "workflow_job_template_node": ["workflow_job_template", "identifier"],
    "schedule": ["unified_job_template", "name"],
}
# Built into every AWX: referenced, never imported.
AWS_CREDENTIAL_TYPE = {"name": "Amazon Web Services", "kind": "cloud", "type": "credential_type",
                       "inputs": ["username", "password", "security_token"], "secret": ["password", "security_token"]}


def all_objects(assets):
    """(type, object) of every object, nested ones (schedules, workflow nodes) included."""
    for resource, objects in assets.items():
        for obj in objects:
            kind = RESOURCE_TYPES[resource]
            yield kind, obj
            for schedule in obj.get("related", {}).get("schedules", []):
                yield "schedule", schedule
            for node in obj.get("related", {}).get("workflow_nodes", []):
                yield "workflow_job_template_node", node


def natural_keys(assets):
    keys = [pair[1]["natural_key"] for pair in all_objects(assets)]
    keys.append({k: AWS_CREDENTIAL_TYPE[k] for k in ("name", "kind", "type")})
    return keys


def job_templates(assets):
    return {jt["name"]: jt for jt in assets["job_templates"]}


def survey(obj):
    return obj["related"].get("survey_spec") or {}


# ---- the file and its source -----------------------------------------------------------------

def test_assets_file_is_the_builders_output(assets):
    """awx/build_assets.py is the source; a hand edit of the JSON or a forgotten rebuild fails here."""
    assert assets == load_builder().build("sandbox"), "run: .venv/bin/python awx/build_assets.py"


def test_only_exportable_resources(assets):
    from awxkit.api.pages.api import EXPORTABLE_RESOURCES

    assert set(assets) <= set(EXPORTABLE_RESOURCES)
    assert set(assets) == set(RESOURCE_TYPES)


@pytest.mark.parametrize("kind", sorted(POST_FIELDS))
def test_objects_carry_the_fields_awx_export_writes(assets, kind):
    objects = [obj for k, obj in all_objects(assets) if k == kind]
    assert objects, f"no {kind} in the assets"
    fields = set(POST_FIELDS[kind]["plain"]) | set(POST_FIELDS[kind]["fk"])
    for obj in objects:
        keys = set(obj) - {"related", "natural_key"}
        assert not keys - fields, f"{kind} {obj['natural_key']}: AWX accepts no {sorted(keys - fields)}"
        # Nested objects get their parent key from the URL they are created under.
        parent = {"workflow_job_template_node": {"workflow_job_template"}, "schedule": {"unified_job_template"}}
        missing = fields - keys - parent.get(kind, set())
        assert not missing, f"{kind} {obj['natural_key']}: an export always writes {sorted(missing)}"
        assert not set(obj.get("related", {})) - RELATED[kind], f"{kind}: export writes no {set(obj['related']) - RELATED[kind]}"
        assert obj["natural_key"]["type"] == kind


def test_natural_keys_are_computed_from_the_objects(assets):
    """awxkit finds an existing object by its natural key: it must be what AWX computes for it."""
    for kind, obj in all_objects(assets):
        expected = {"type": kind}
        for field in NATURAL_KEY[kind]:
            if field in obj:
                expected[field] = obj[field]
        if kind == "job_template":
            # Read-only on the template: AWX takes the organization from the project.
            expected["organization"] = next(p for p in assets["projects"] if p["natural_key"] == obj["project"])["organization"]
        if kind == "workflow_job_template_node":
            expected["workflow_job_template"] = obj["workflow_job_template"]
        assert obj["natural_key"] == expected, obj["natural_key"]
    keys = [json.dumps(k, sort_keys=True) for k in natural_keys(assets)]
    assert len(keys) == len(set(keys)), "two objects share a natural key: the second import would overwrite the first"


def nested_keys(value):
    """Every natural key referenced inside a value (foreign keys and related lists)."""
    if isinstance(value, dict):
        if "type" in value and ("name" in value or "identifier" in value):
            yield value
            for sub in value.values():
                if isinstance(sub, dict):
                    yield from nested_keys(sub)
        else:
            for sub in value.values():
                yield from nested_keys(sub)
    elif isinstance(value, list):
        for item in value:
            yield from nested_keys(item)


def test_every_reference_names_an_object_of_the_assets(assets):
    known = [json.dumps(k, sort_keys=True) for k in natural_keys(assets)]
    checked = 0
    for kind, obj in all_objects(assets):
        body = {k: v for k, v in obj.items() if k != "natural_key"}
        body["related"] = {k: v for k, v in obj.get("related", {}).items() if k not in ("schedules", "workflow_nodes")}
        for ref in nested_keys(body):
            assert json.dumps(ref, sort_keys=True) in known, f"{obj['natural_key']} refers to {ref}, which is not in the assets"
            checked += 1
    assert checked > 50


# ---- what the objects point at in this repository --------------------------------------------

def test_playbooks_exist_and_every_stage_has_a_template(assets):
    playbooks = {jt["playbook"] for jt in assets["job_templates"]}
    for playbook in playbooks:
        assert (REPO / playbook).is_file(), playbook
    stages = {"site.yml", "playbooks/verify.yml", "playbooks/teardown.yml", "playbooks/teardown_peering.yml",
              "playbooks/bootstrap.yml"} | set(site_order())
    assert stages <= playbooks, f"no template runs {sorted(stages - playbooks)}"


def test_inventory_source_is_an_inventory_of_the_project(assets):
    for source in assets["inventory_sources"]:
        assert source["source"] == "scm" and source["source_project"] == assets["projects"][0]["natural_key"]
        assert (REPO / source["source_path"] / "hosts.yml").is_file(), source["source_path"]
        assert source["natural_key"]["inventory"] in [i["natural_key"] for i in assets["inventory"]]


def test_project_is_this_repository(assets):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    (project,) = assets["projects"]
    assert project["scm_type"] == "git" and project["scm_url"] == galaxy["repository"]


def test_execution_environment_is_the_image_execution_environment_yml_builds(assets):
    definition = yaml.safe_load((REPO / "execution-environment.yml").read_text(encoding="utf-8"))
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    (ee,) = assets["execution_environments"]
    tag = definition["options"]["tags"][0]
    assert ee["image"].endswith("/" + tag)
    # The image carries the collection: its tag names the collection version it was built from.
    assert tag.rsplit(":", 1)[1] == galaxy["version"]
    for jt in assets["job_templates"]:
        assert jt["execution_environment"] == ee["natural_key"], jt["name"]
    assert assets["projects"][0]["default_environment"] == ee["natural_key"]


def test_credentials_are_aws_and_hold_no_secret(assets):
    for credential in assets["credentials"]:
        assert credential["credential_type"] == {k: AWS_CREDENTIAL_TYPE[k] for k in ("name", "kind", "type")}
        assert set(credential["inputs"]) <= set(AWS_CREDENTIAL_TYPE["inputs"])
        for field in AWS_CREDENTIAL_TYPE["secret"]:
            # What `awx export` writes for a secret; `awx import` turns it into an empty value.
            assert credential["inputs"].get(field, "$encrypted$") == "$encrypted$", field
        assert credential["inputs"].get("username", "") == ""


def test_each_template_has_one_aws_credential(assets):
    credentials = {c["name"]: c for c in assets["credentials"]}
    for jt in assets["job_templates"]:
        names = [ref["name"] for ref in jt["related"]["credentials"]]
        # AWX allows one credential per cloud type on a template.
        assert len(names) == 1, jt["name"]
        assert names[0] in credentials
        admin = "administrator" in names[0]
        assert admin == jt["playbook"].endswith("bootstrap.yml"), (
            f"{jt['name']}: only the bootstrap runs with the administrator's key")


# ---- surveys ---------------------------------------------------------------------------------

def readme_contract():
    """Variable names of README's variable tables (the inventory contract)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Variables", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([a-z_][a-z0-9_]*)`", line.split("|")[1]))
    return names


def argument_specs():
    """{variable: [option spec, ...]} of every role entry point."""
    options = {}
    for path in sorted((REPO / "roles").glob("*/meta/argument_specs.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8"))["argument_specs"].values():
            for name, spec in (entry.get("options") or {}).items():
                options.setdefault(name, []).append(spec)
    return options


def test_readme_contract_is_parsed():
    contract = readme_contract()
    assert {"network_name", "aws_account_id", "environment_suffix", "common_tags", "peerings",
            "security_extra_egress_rules"} <= contract


def all_surveys(assets):
    for jt in assets["job_templates"]:
        yield jt["name"], jt
    for wf in assets["workflow_job_templates"]:
        yield wf["name"], wf


def test_survey_variables_are_declared(assets):
    specs = argument_specs()
    declared = set(specs) | readme_contract()
    for name, obj in all_surveys(assets):
        assert obj["survey_enabled"] == bool(survey(obj).get("spec")), name
        for question in survey(obj).get("spec", []):
            variable = question["variable"]
            assert variable in declared, f"{name}: survey variable {variable} is in no argument spec nor the inventory contract"
            for spec in specs.get(variable, []):
                kind = spec.get("type", "str")
                if question["type"] == "integer":
                    assert kind == "int", f"{variable}: an integer answer for a {kind} option"
                    if "default" in spec:
                        assert question["min"] <= spec["default"] <= question["max"], variable
                elif question["type"] in ("text", "password", "multiplechoice"):
                    assert kind == "str", f"{variable}: a string answer for a {kind} option"
                elif question["type"] == "multiselect":
                    assert kind == "list", variable
                if question["type"] in ("multiplechoice", "multiselect") and spec.get("choices"):
                    assert set(question["choices"]) <= set(spec["choices"]), variable


def test_stage_options_never_override_the_inventory_unasked(assets):
    """Answers are extra vars: only the suffix, which must equal the inventory's, has a default."""
    settings = yaml.safe_load((REPO / "inventories" / "sandbox" / "group_vars" / "networks.yml").read_text(encoding="utf-8"))
    for name, obj in all_surveys(assets):
        questions = {q["variable"]: q for q in survey(obj).get("spec", [])}
        assert "environment_suffix" in questions, f"{name}: no suffix question"
        for variable, question in questions.items():
            if variable == "environment_suffix":
                assert question["required"] is True
                destructive = obj.get("playbook", "").startswith("playbooks/teardown")
                if destructive:
                    assert "default" not in question, f"{name}: typing the suffix is the confirmation"
                else:
                    assert question["default"] == settings["environment_suffix"], name
            else:
                assert question["required"] is False and "default" not in question, f"{name}: {variable}"


def awx_survey_errors(spec):
    """AWX's own checks of a survey (awx/api/views/__init__.py, JobTemplateSurveySpec._validate_spec_data)."""
    types = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
             "integer": int, "float": (float, int)}
    errors = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec.get(field), kind):
            errors.append(f"{field} missing or not {kind.__name__}")
    if errors or not spec["spec"]:
        return errors or ["spec has no question"]
    seen = set()
    for index, item in enumerate(spec["spec"]):
        for field in ("type", "question_name", "variable", "required"):
            if field not in item:
                errors.append(f"{index}: {field} missing")
        if not isinstance(item.get("required"), bool):
            errors.append(f"{index}: required is not a boolean")
        if item.get("variable") in seen:
            errors.append(f"{index}: {item.get('variable')} duplicated")
        seen.add(item.get("variable"))
        qtype = item.get("type")
        if qtype not in types:
            errors.append(f"{index}: type {qtype}")
            continue
        if item.get("default", "") != "" and not isinstance(item["default"], types[qtype]):
            if not (qtype == "multiselect" and isinstance(item["default"], list)):
                errors.append(f"{index}: default of the wrong type")
        for key in ("min", "max"):
            if item.get(key) is not None and not isinstance(item[key], int):
                errors.append(f"{index}: {key} is not an integer")
        if qtype in ("multiplechoice", "multiselect"):
            if "choices" not in item:
                errors.append(f"{index}: no choices")
            elif "default" in item:
                defaults = item["default"].splitlines() if isinstance(item["default"], str) else item["default"]
                if any(d not in item["choices"] for d in defaults):
                    errors.append(f"{index}: default not among the choices")
        if qtype in ("text", "password") and "default" in item and isinstance(item.get("max"), int):
            if not (item.get("min") or 0) <= len(item["default"]) <= item["max"]:
                errors.append(f"{index}: default length outside min/max")
    return errors


def test_awx_survey_checks_refuse_a_broken_survey():
    """The validator above must be able to fail, or the next test proves nothing."""
    good = {"name": "", "description": "", "spec": [{"type": "text", "question_name": "q", "variable": "v", "required": True}]}
    assert awx_survey_errors(good) == []
    broken = copy.deepcopy(good)
    broken["spec"].append(dict(broken["spec"][0], type="multiplechoice", choices=["a"], default="b"))
    assert len(awx_survey_errors(broken)) == 2  # duplicated variable, default not a choice


def test_surveys_pass_awx_validation(assets):
    for name, obj in all_surveys(assets):
        if survey(obj):
            assert awx_survey_errors(survey(obj)) == [], name


# ---- templates, drift, workflow --------------------------------------------------------------

def test_drift_template_is_a_scheduled_check_with_diff(assets):
    (drift,) = [jt for jt in assets["job_templates"] if jt["job_type"] == "check"]
    assert drift["playbook"] == "site.yml" and drift["diff_mode"] is True
    (schedule,) = drift["related"]["schedules"]
    assert schedule["enabled"] is True and schedule["unified_job_template"] == drift["natural_key"]
    # AWX parses the rule as dateutil does, with the space between DTSTART and RRULE as a newline.
    occurrences = list(itertools.islice(rrule.rrulestr(schedule["rrule"].replace(" ", "\n"), forceset=True), 3))
    assert len(occurrences) == 3 and occurrences[1] - occurrences[0] == timedelta(days=1)
    # Nothing on the schedule overrides the template: it runs what a manual launch runs.
    assert schedule["extra_data"] == {} and schedule["job_type"] is None and schedule["diff_mode"] is None
    others = [jt for jt in assets["job_templates"] if jt is not drift]
    assert all(jt["job_type"] == "run" and not jt["related"]["schedules"] for jt in others)


def site_order():
    """The playbooks site.yml imports, in order."""
    plays = yaml.safe_load((REPO / "site.yml").read_text(encoding="utf-8"))
    return [play["ansible.builtin.import_playbook"] for play in plays]


def test_workflow_is_site_yml_one_stage_per_job(assets):
    (wf,) = assets["workflow_job_templates"]
    nodes = {n["identifier"]: n for n in wf["related"]["workflow_nodes"]}
    templates = job_templates(assets)
    targets = {ref["identifier"] for n in nodes.values() for key in ("success_nodes", "failure_nodes", "always_nodes")
               for ref in n["related"][key]}
    roots = [i for i in nodes if i not in targets]
    assert len(roots) == 1, roots
    chain, current = [], roots[0]
    while current:
        node = nodes[current]
        assert node["workflow_job_template"] == wf["natural_key"]
        assert node["unified_job_template"]["type"] == "job_template"
        chain.append(templates[node["unified_job_template"]["name"]]["playbook"])
        # A failure ends the run: no failure or always path to anything.
        assert node["related"]["failure_nodes"] == [] and node["related"]["always_nodes"] == [], current
        following = node["related"]["success_nodes"]
        assert len(following) <= 1, current
        current = following[0]["identifier"] if following else None
    assert len(chain) == len(nodes), "a node is not on the chain"
    assert chain == site_order(), "the workflow's order is not site.yml's"
    assert all(templates[n["unified_job_template"]["name"]]["job_type"] == "run" for n in nodes.values())


def test_builder_targets_another_inventory():
    """`build_assets.py --env example`: the example inventory's path and suffix, names of their own."""
    built = load_builder().build("example")
    settings = yaml.safe_load((REPO / "inventories" / "example" / "group_vars" / "networks.yml").read_text(encoding="utf-8"))
    assert built["inventory_sources"][0]["source_path"] == "inventories/example"
    sandbox = json.loads(ASSETS_PATH.read_text(encoding="utf-8"))
    for jt, other in zip(built["job_templates"], sandbox["job_templates"]):
        assert jt["name"] != other["name"] and "-example-" in jt["name"]
        for question in survey(jt).get("spec", []):
            if question["variable"] == "environment_suffix" and "default" in question:
                assert question["default"] == settings["environment_suffix"]


# ---- awxkit's import against an in-memory AWX ------------------------------------------------

SEGMENTS = {
    "organizations": "organization", "users": "user", "teams": "team", "credential_types": "credential_type",
    "credentials": "credential", "notification_templates": "notification_template", "projects": "project",
    "inventories": "inventory", "inventory_sources": "inventory_source", "job_templates": "job_template",
    "workflow_job_templates": "workflow_job_template", "workflow_job_template_nodes": "workflow_job_template_node",
    "execution_environments": "execution_environment", "applications": "o_auth2_application",
    "schedules": "schedule", "labels": "label", "system_job_templates": "system_job_template",
}
SEGMENT_OF = {v: k for k, v in SEGMENTS.items()}
# Sub-lists an object exposes: attachable ones (POST {"id": N}) and the ones that create objects.
ATTACH = {"credentials": "credential", "success_nodes": "workflow_job_template_node",
          "failure_nodes": "workflow_job_template_node", "always_nodes": "workflow_job_template_node",
          "galaxy_credentials": "credential", "labels": "label", "notification_templates_started": "notification_template",
          "notification_templates_success": "notification_template", "notification_templates_error": "notification_template",
          "notification_templates_approvals": "notification_template"}
CREATE = {"schedules": ("schedule", "unified_job_template"),
          "workflow_nodes": ("workflow_job_template_node", "workflow_job_template")}


class FakeAWX(BaseAdapter):
    """Just enough of AWX's REST API for `awx import`, with AWX's validation of what it receives."""

    def __init__(self):
        super().__init__()
        self.db = {kind: {} for kind in SEGMENTS.values()}
        self.ids = itertools.count(1)
        self.add("credential_type", {"name": AWS_CREDENTIAL_TYPE["name"], "kind": "cloud", "managed": True})

    def add(self, kind, fields):
        obj = dict(fields, id=next(self.ids), type=kind, sub={})
        self.db[kind][obj["id"]] = obj
        return obj

    def url(self, kind, pk):
        return f"/api/v2/{SEGMENT_OF[kind]}/{pk}/"

    def render(self, obj):
        kind = obj["type"]
        out = {k: v for k, v in obj.items() if k != "sub"}
        out["url"] = self.url(kind, obj["id"])
        related = {}
        for field in POST_FIELDS.get(kind, {}).get("fk", {}):
            if obj.get(field):
                related[field] = self.url(self.fk_kind(kind, field, obj[field]), obj[field])
        if kind == "job_template":
            related["organization"] = self.url("organization", self.db["project"][obj["project"]]["organization"])
        for name in RELATED.get(kind, set()) | ({"survey_spec"} if kind in ("job_template", "workflow_job_template") else set()):
            related[name] = out["url"] + ("workflow_nodes/" if name == "workflow_nodes" else name + "/")
        if kind == "credential":
            related["credential_type"] = self.url("credential_type", obj["credential_type"])
        out["related"] = related
        if kind in ("project", "inventory_source"):
            out["status"] = "successful"
        return out

    def fk_kind(self, kind, field, pk):
        if field == "unified_job_template":
            return next(k for k in ("job_template", "workflow_job_template", "project", "inventory_source") if pk in self.db[k])
        return {"default_environment": "execution_environment", "execution_environment": "execution_environment",
                "organization": "organization", "credential": "credential", "webhook_credential": "credential",
                "signature_validation_credential": "credential", "credential_type": "credential_type",
                "project": "project", "source_project": "project", "inventory": "inventory",
                "workflow_job_template": "workflow_job_template"}[field]

    def options(self, kind, parent_key=None):
        # Types the assets never hold (users, teams, ...) are still asked for their fields.
        spec = POST_FIELDS.get(kind, {"plain": COMMON, "fk": {}})
        post = {f: {"type": "string", "required": f == "name"} for f in spec["plain"]}
        post.update({f: {"type": "id", "required": req} for f, req in spec["fk"].items()})
        post.pop(parent_key, None)
        return {"actions": {"POST": post}}

    def validate(self, kind, data):
        """Field and reference checks AWX makes on create and update; returns an error or None."""
        spec = POST_FIELDS[kind]
        for field, required in spec["fk"].items():
            value = data.get(field)
            if value is None:
                if required and not (kind == "inventory_source" and field == "source_project" and data.get("source") != "scm"):
                    return f"{field}: this field is required"
                continue
            if value not in self.db[self.fk_kind(kind, field, value)]:
                return f"{field}: invalid pk {value}"
        if kind == "job_template":
            if not (REPO / data.get("playbook", "")).is_file():
                return "playbook: Playbook not found for project."
            if data.get("inventory") is None and not data.get("ask_inventory_on_launch"):
                return "inventory: Job Template must provide 'inventory' or allow prompting for it."
        if kind == "inventory_source" and data.get("source") == "scm":
            if data.get("source_project") is None or not (REPO / data.get("source_path", "")).exists():
                return "source_path: not a file or directory of the project"
        if kind == "credential":
            unknown = set(data.get("inputs", {})) - set(AWS_CREDENTIAL_TYPE["inputs"])
            if unknown:
                return f"inputs: {sorted(unknown)} are not fields of Amazon Web Services"
        if kind == "execution_environment" and not data.get("image"):
            return "image: this field is required"
        if kind == "schedule":
            try:
                rrule.rrulestr(data["rrule"].replace(" ", "\n"), forceset=True)
            except (KeyError, ValueError) as exc:
                return f"rrule: {exc}"
        return None

    def handle(self, method, path, query, body):
        parts = [p for p in path.split("/") if p][2:]  # drop "api", "v2"
        kind = SEGMENTS.get(parts[0]) if parts else None
        if kind is None:
            return 404, {"detail": "Not found."}
        if len(parts) == 1:  # list
            if method == "OPTIONS":
                return 200, self.options(kind)
            if method == "GET":
                results = [self.render(o) for o in self.db[kind].values()
                           if all(str(o.get(k)) == v[0] for k, v in query.items() if k not in ("page", "page_size"))]
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST":
                error = self.validate(kind, body)
                if error:
                    return 400, {"error": error}
                if kind == "job_template":
                    body = dict(body, organization=self.db["project"][body["project"]]["organization"])
                return 201, self.render(self.add(kind, body))
        obj = self.db[kind].get(int(parts[1]))
        if obj is None:
            return 404, {"detail": "Not found."}
        if len(parts) == 2:  # detail
            if method == "GET":
                return 200, self.render(obj)
            if method == "PUT":
                merged = dict(obj, **body)
                error = self.validate(kind, merged)
                if error:
                    return 400, {"error": error}
                obj.update(body)
                return 200, self.render(obj)
        name = parts[2]
        if name == "survey_spec":
            if method == "POST":
                errors = awx_survey_errors(body)
                if errors:
                    return 400, {"error": errors}
                obj["sub"]["survey_spec"] = body
                return 200, None
            return 200, obj["sub"].get("survey_spec", {})
        if name in CREATE:
            child, parent_key = CREATE[name]
            if method == "OPTIONS":
                return 200, self.options(child, parent_key)
            if method == "GET":
                results = [self.render(o) for o in self.db[child].values() if o.get(parent_key) == obj["id"]]
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST":
                data = dict(body, **{parent_key: obj["id"]})
                error = self.validate(child, data)
                if error:
                    return 400, {"error": error}
                return 201, self.render(self.add(child, data))
        if name in ATTACH:
            attached = obj["sub"].setdefault(name, [])
            if method == "GET":
                results = [self.render(self.db[ATTACH[name]][pk]) for pk in attached]
                return 200, {"count": len(results), "next": None, "previous": None, "results": results}
            if method == "POST":
                if body.get("id") not in self.db[ATTACH[name]]:
                    return 400, {"error": f"{name}: no {ATTACH[name]} {body.get('id')}"}
                if name == "credentials" and len(attached) and kind == "job_template":
                    return 400, {"error": "Cannot assign multiple Amazon Web Services credentials."}
                attached.append(body["id"])
                return 204, None
        return 405, {"detail": f"Method {method} not allowed on {path}"}

    # requests transport ----------------------------------------------------------------------
    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        body = json.loads(request.body) if request.body else None
        status, data = self.handle(request.method, url.path, parse_qs(url.query), body)
        response = requests.Response()
        response.status_code = status
        response._content = b"" if data is None else json.dumps(data).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json", "Allow": "GET, POST, OPTIONS"})
        response.request = request
        response.url = request.url
        response.encoding = "utf-8"
        response.elapsed = timedelta(0)
        return response

    def close(self):
        pass

    def natural_key(self, kind, pk):
        obj = self.db[kind][pk]
        key = {"type": kind}
        for field in NATURAL_KEY[kind]:
            value = obj.get(field)
            if field in POST_FIELDS.get(kind, {}).get("fk", {}) or field == "organization":
                key[field] = self.natural_key(self.fk_kind(kind, field, value), value) if value else None
            elif field == "credential_type":
                key[field] = self.natural_key("credential_type", value)
            else:
                key[field] = value
        return key


# The resources AWX's /api/v2/ lists: awxkit orders the import by the dependencies of their pages.
API_ROOT = ["ping", "instances", "instance_groups", "config", "settings", "me", "dashboard", "organizations", "users",
            "execution_environments", "projects", "project_updates", "teams", "credentials", "credential_types",
            "credential_input_sources", "applications", "tokens", "metrics", "inventory", "inventory_sources",
            "inventory_updates", "groups", "hosts", "host_metrics", "job_templates", "jobs", "ad_hoc_commands",
            "system_job_templates", "system_jobs", "schedules", "roles", "notification_templates", "notifications",
            "labels", "unified_job_templates", "unified_jobs", "activity_stream", "workflow_job_templates",
            "workflow_jobs", "workflow_approvals", "workflow_job_template_nodes", "workflow_job_nodes"]


def fake_awx():
    """(FakeAWX, awxkit's API root page) with every request of the page going to the fake."""
    from awxkit.api.client import Connection
    from awxkit.api.pages.api import ApiV2

    fake = FakeAWX()
    connection = Connection("http://awx.invalid")
    connection.session.mount("http://awx.invalid", fake)
    root = {r: "/api/v2/%s/" % ("inventories" if r == "inventory" else r) for r in API_ROOT}
    api = ApiV2(connection, endpoint="/api/v2/", json=root)
    api._has_error = False
    return fake, api


@pytest.fixture(scope="module")
def imported(assets):
    """awxkit's ApiV2.import_assets, the code `awx import` runs, against FakeAWX."""
    fake, api = fake_awx()
    first = api.import_assets(copy.deepcopy(assets))
    errors_first = api._has_error
    # A second import finds every object by its natural key and updates it in place.
    counts = {kind: len(objects) for kind, objects in fake.db.items()}
    api._has_error = False
    api.import_assets(copy.deepcopy(assets))
    return {"fake": fake, "changed": first, "errors": (errors_first, api._has_error), "counts": counts}


def test_awx_import_succeeds_twice_without_duplicates(imported):
    assert imported["changed"] is True
    assert imported["errors"] == (False, False), "awxkit logged an import error (see the log above)"
    assert {kind: len(objects) for kind, objects in imported["fake"].db.items()} == imported["counts"]


def test_awx_import_creates_every_object_with_resolved_references(assets, imported):
    fake = imported["fake"]
    for kind, obj in all_objects(assets):
        matches = [pk for pk in fake.db[kind] if fake.natural_key(kind, pk) == obj["natural_key"]]
        assert len(matches) == 1, f"{obj['natural_key']} imported {len(matches)} times"
        stored = fake.db[kind][matches[0]]
        for field in POST_FIELDS[kind]["fk"]:
            if isinstance(obj.get(field), dict):
                # A natural key that resolved to nothing would be a silent null here.
                assert stored.get(field), f"{obj['natural_key']}: {field} was not resolved"
                assert fake.natural_key(obj[field]["type"], stored[field]) == obj[field]


def test_awx_import_attaches_credentials_surveys_schedules_and_the_chain(assets, imported):
    fake = imported["fake"]
    by_name = {o["name"]: o for o in fake.db["job_template"].values()}
    for jt in assets["job_templates"]:
        stored = by_name[jt["name"]]
        names = [fake.db["credential"][pk]["name"] for pk in stored["sub"].get("credentials", [])]
        assert names == [c["name"] for c in jt["related"]["credentials"]]
        assert stored["sub"].get("survey_spec", {}) == survey(jt)
        schedules = [s["name"] for s in fake.db["schedule"].values() if s["unified_job_template"] == stored["id"]]
        assert schedules == [s["name"] for s in jt["related"]["schedules"]]
    nodes = {n["identifier"]: n for n in fake.db["workflow_job_template_node"].values()}
    chain = []
    current = next(i for i in nodes if not any(nodes[i]["id"] in n["sub"].get("success_nodes", []) for n in nodes.values()))
    while current:
        chain.append(current)
        node = nodes[current]
        assert not node["sub"].get("failure_nodes") and not node["sub"].get("always_nodes")
        following = [fake.db["workflow_job_template_node"][pk]["identifier"] for pk in node["sub"].get("success_nodes", [])]
        current = following[0] if following else None
    assert chain == [n["identifier"] for n in assets["workflow_job_templates"][0]["related"]["workflow_nodes"]]


def test_fake_awx_refuses_what_awx_refuses(assets):
    """The in-memory AWX must be able to fail the import: a dangling reference and a missing playbook."""
    broken = copy.deepcopy(assets)
    broken["job_templates"][0]["playbook"] = "playbooks/no-such-stage.yml"
    broken["job_templates"][1]["related"]["credentials"] = [dict(broken["job_templates"][1]["related"]["credentials"][0], name="nobody")]
    fake, api = fake_awx()
    api.import_assets(broken)
    assert api._has_error is True
    assert broken["job_templates"][0]["name"] not in {o["name"] for o in fake.db["job_template"].values()}
    second = next(o for o in fake.db["job_template"].values() if o["name"] == broken["job_templates"][1]["name"])
    assert not second["sub"].get("credentials")
