"""Run the job templates of awx/assets.json the way AWX runs them, against the sandbox.

For each job AWX builds a private data directory and hands it to ansible-runner:
  project/          the project's checkout (here: the files git would check out, copied)
  inventory/        the inventory of the template (here: its inventory source, inventories/<env>)
  env/extravars     template extra_vars, then the survey defaults, then the launch answers
  env/envvars       the credential's injection (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
                    AWS_SECURITY_TOKEN when there is a token) and AWX's job variables
  env/settings      the job timeout
  env/cmdline       --check for job_type check, --diff for diff_mode, -v, --limit, --forks ...
and runs `ansible_runner.run(private_data_dir=..., playbook=...)` in a process of its own whose
environment holds nothing else (no key, profile or variable of the caller leaks in, as in an EE).
Two things stand in for what AWX has and the test machine has not: the sandbox's endpoint and
port (AWS_ENDPOINT_URL, SANDBOX_PORT) and ANSIBLE_COLLECTIONS_PATH, the collections an execution
environment built from execution-environment.yml would carry (this repository, linked in
.collections, plus amazon.aws and community.aws bundled in the venv's `ansible`).

  awx_runner.py run TEMPLATE [TEMPLATE ...] [--answer VAR=VALUE] [--extra-vars JSON]
      against a running sandbox (SANDBOX_PORT, SANDBOX_DIR as for scripts/sandbox.sh); prints each
      job's status, changed count and failed tasks; exits 1 when a job did not succeed.
  awx_runner.py list
      the job templates of the assets and their playbooks.
The pytest module test_awx_runner.py drives a whole sandbox life with it.
"""

from __future__ import annotations

import argparse
import configparser
import itertools
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ASSETS = REPO / "awx" / "assets.json"
VENV_BIN = Path(sys.executable).parent
# AWX's job ids only need to be unique per private data directory root.
_JOB_IDS = itertools.count(1)


def load_assets(path=ASSETS):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def job_templates(assets):
    return {jt["name"]: jt for jt in assets["job_templates"]}


def template_for(assets, slug):
    """The job template whose name ends with -<slug> (netsec-peering-<env>-<slug>)."""
    (match,) = [jt for jt in assets["job_templates"] if jt["name"].endswith("-" + slug)]
    return match


# ---- what AWX computes for a launch --------------------------------------------------------

def survey_questions(jt):
    return (jt["related"].get("survey_spec") or {}).get("spec", []) if jt.get("survey_enabled") else []


def extra_vars(jt, answers=None, launch_vars=None):
    """AWX's precedence (awx/main/models/mixins.py, _update_unified_job_kwargs): template extra_vars,
    then survey defaults, then what the launch gives. A launch may only give survey answers, and
    other variables only when the template asks for variables on launch; a required question must
    end with a value. AWX refuses the launch otherwise, so this raises."""
    answers = dict(answers or {})
    launch_vars = dict(launch_vars or {})
    questions = {q["variable"]: q for q in survey_questions(jt)}
    unknown = set(answers) - set(questions)
    if unknown:
        raise ValueError(f"{jt['name']}: {sorted(unknown)} are not survey questions")
    if launch_vars and not jt.get("ask_variables_on_launch"):
        raise ValueError(f"{jt['name']} does not prompt for variables: AWX would ignore {sorted(launch_vars)}")
    result = yaml.safe_load(jt.get("extra_vars") or "") or {}
    for variable, question in questions.items():
        if question.get("default") is not None:
            result[variable] = question["default"]
    result.update(launch_vars)
    result.update(answers)
    missing = [v for v, q in questions.items() if q["required"] and result.get(v) in (None, "")]
    if missing:
        raise ValueError(f"{jt['name']}: AWX needs answers for {missing}")
    for variable, question in questions.items():
        if question["type"] == "integer" and variable in result:
            result[variable] = int(result[variable])
    return result


def cmdline(jt):
    """The ansible-playbook options AWX adds for the template (awx/main/tasks/jobs.py, RunJob.build_args)."""
    args = []
    if jt.get("job_type") == "check":
        args.append("--check")
    if jt.get("diff_mode"):
        args.append("--diff")
    if jt.get("verbosity"):
        args.append("-" + "v" * min(int(jt["verbosity"]), 5))
    if jt.get("forks"):
        args += ["--forks", str(jt["forks"])]
    if jt.get("limit"):
        args += ["--limit", jt["limit"]]
    if jt.get("job_tags"):
        args += ["--tags", jt["job_tags"]]
    if jt.get("skip_tags"):
        args += ["--skip-tags", jt["skip_tags"]]
    if jt.get("start_at_task"):
        args += ["--start-at-task", jt["start_at_task"]]
    if jt.get("force_handlers"):
        args.append("--force-handlers")
    return args


def aws_injection(inputs):
    """What the built-in "Amazon Web Services" credential type injects (awx injectors.aws)."""
    env = {"AWS_ACCESS_KEY_ID": inputs.get("username", ""), "AWS_SECRET_ACCESS_KEY": inputs.get("password", "")}
    if inputs.get("security_token"):
        env["AWS_SECURITY_TOKEN"] = env["AWS_SESSION_TOKEN"] = inputs["security_token"]
    return env


def read_key(path):
    """A shared-credentials file's default key as the credential's inputs."""
    config = configparser.ConfigParser()
    config.read(path)
    return {"username": config["default"]["aws_access_key_id"], "password": config["default"]["aws_secret_access_key"]}


# ---- the sandbox --------------------------------------------------------------------------

@dataclass
class Sandbox:
    """One emulator of scripts/sandbox.sh: its port, its directory, and the keys it was bootstrapped with."""

    port: int
    directory: Path

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def script_env(self, **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SANDBOX_"))}
        env.update(SANDBOX_PORT=str(self.port), SANDBOX_DIR=str(self.directory), VENV=str(VENV_BIN.parent), **extra)
        return env

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        env = self.script_env()
        done = subprocess.run(["bash", str(REPO / "scripts" / "sandbox.sh"), "start"], env=env, check=False, cwd=REPO,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/sandbox.sh start failed ({done.returncode}):\n{done.stdout}")

    def stop(self):
        # The sandbox's record of authorized calls joins the suite's (scripts/policy_coverage.py).
        records = {"SANDBOX_RECORDS_DIR": os.environ["SANDBOX_RECORDS_DIR"]} if os.environ.get("SANDBOX_RECORDS_DIR") else {}
        subprocess.run(["bash", str(REPO / "scripts" / "sandbox.sh"), "stop"],
                       env=self.script_env(SANDBOX_RECORD_NAME="awx", **records), cwd=REPO,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

    def run_env(self):
        """`scripts/sandbox.sh env`: what a run against this sandbox needs."""
        out = subprocess.run(["bash", str(REPO / "scripts" / "sandbox.sh"), "env"], env=self.script_env(),
                             cwd=REPO, check=True, capture_output=True, text=True).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def principal_key(self):
        return read_key(self.run_env()["AWS_SHARED_CREDENTIALS_FILE"])

    def admin_key(self):
        """The organisation administrator scripts/sandbox.sh bootstraps (it may only assume each account's
        OrganizationAccountAccessRole, the role the sandbox inventory's bootstrap acts through)."""
        return read_key(self.run_env()["SANDBOX_ADMIN_CREDENTIALS"])


# ---- jobs ---------------------------------------------------------------------------------

@dataclass
class Job:
    """A finished job: what AWX shows for it, read from ansible-runner's artifacts."""

    template: str
    playbook: str
    private_data_dir: Path
    ident: str
    status: str
    rc: int
    seconds: float
    events: list = field(default_factory=list)

    @property
    def artifacts(self):
        return self.private_data_dir / "artifacts" / self.ident

    @property
    def stats(self):
        found = [e["event_data"] for e in self.events if e.get("event") == "playbook_on_stats"]
        return found[-1] if found else {}

    @property
    def artifact_data(self):
        """The job's artifacts in AWX: what set_stats published (the stats event's artifact_data)."""
        return self.stats.get("artifact_data") or {}

    @property
    def changed(self):
        return sum((self.stats.get("changed") or {}).values())

    def failed_events(self):
        """Failed or unreachable task results that did not have ignore_errors (what makes a job fail)."""
        return [e for e in self.events
                if e.get("event") in ("runner_on_failed", "runner_item_on_failed", "runner_on_unreachable")
                and not e["event_data"].get("ignore_errors")]

    def changed_events(self):
        return [e for e in self.events if e.get("event") in ("runner_on_ok", "runner_item_on_ok")
                and (e["event_data"].get("res") or {}).get("changed")]

    def stdout(self):
        path = self.artifacts / "stdout"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def describe(self, event):
        data = event["event_data"]
        res = data.get("res") or {}
        message = res.get("msg") or res.get("message") or ""
        return f"{data.get('host')}: {data.get('task')}: {str(message)[:2000]}"

    def summary(self):
        lines = [f"{self.template} ({self.playbook}): {self.status} rc={self.rc} in {self.seconds:.1f} s, changed {self.changed}"]
        lines += ["  FAILED " + self.describe(e) for e in self.failed_events()]
        return "\n".join(lines)


class AWXRunner:
    """Builds AWX's private data directory for a template of the assets and runs it."""

    def __init__(self, assets, sandbox, work, outputs_dir, inventory="synced"):
        """inventory: "synced" gives the job what AWX does, the inventory sync's result as an
        executable script; "source" gives it the inventory source's directory (inventories/<env>)."""
        self.assets = assets
        self.sandbox = sandbox
        self.work = Path(work)
        self.outputs_dir = Path(outputs_dir)
        self.checkout = self.work / "project-checkout"
        self.home = self.work / "home"
        self.inventory = inventory
        self.keys = {}

    def credential_inputs(self, credential):
        """The secret inputs of an AWX credential of the assets: the sandbox key it stands for."""
        if credential["name"] not in self.keys:
            admin = "administrator" in credential["name"]
            self.keys[credential["name"]] = self.sandbox.admin_key() if admin else self.sandbox.principal_key()
        return dict(credential["inputs"], **self.keys[credential["name"]])

    def sync_project(self):
        """The project update: what a git checkout of the working tree holds (tracked and new files,
        nothing ignored: no .venv, .collections, sandbox/ or outputs/)."""
        if self.checkout.exists():
            return self.checkout
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                check=True, capture_output=True).stdout.decode().split("\0")
        for name in filter(None, listed):
            source = REPO / name
            target = self.checkout / name
            # git keeps a symlink as a link (playbooks/group_vars -> ../group_vars): so does a checkout.
            if source.is_symlink():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(os.readlink(source))
            elif source.is_file():  # a file deleted in the working tree is still in the index
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        return self.checkout

    def inventory_source(self, jt):
        (source,) = [s for s in self.assets["inventory_sources"] if s["inventory"] == jt["inventory"]]
        return source

    def sync_inventory(self, source, project, target):
        """AWX's inventory update stores `ansible-inventory --list --export` of the source (variables
        unrendered); each job then gets it as inventory/hosts, an executable printing the JSON
        (awx/main/tasks/jobs.py, BaseTask.write_inventory_file)."""
        export = subprocess.run([str(VENV_BIN / "ansible-inventory"), "-i", source["source_path"], "--list", "--export"],
                                cwd=project, check=True, capture_output=True, text=True,
                                env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.home), "LANG": "C.UTF-8",
                                     "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections")}).stdout
        target.mkdir(parents=True)
        script = target / "hosts"
        script.write_text("#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(json.loads(export)))
        script.chmod(0o700)

    def prepare(self, jt, answers=None, launch_vars=None, project_files=None):
        job_id = next(_JOB_IDS)
        ident = str(job_id)
        pdd = self.work / "jobs" / f"{job_id:03d}-{jt['name']}"
        shutil.copytree(self.sync_project(), pdd / "project", symlinks=True)
        for relative, content in (project_files or {}).items():
            (pdd / "project" / relative).write_text(content, encoding="utf-8")
        source = self.inventory_source(jt)
        self.home.mkdir(parents=True, exist_ok=True)
        if self.inventory == "synced":
            self.sync_inventory(source, pdd / "project", pdd / "inventory")
        else:
            shutil.copytree(pdd / "project" / source["source_path"], pdd / "inventory")
        (pdd / "env").mkdir(parents=True)
        variables = extra_vars(jt, answers, launch_vars)
        variables.update({
            # The variables AWX adds to every job (awx/main/tasks/jobs.py, BaseTask.build_extra_vars_file).
            "awx_job_id": job_id, "tower_job_id": job_id,
            "awx_job_launch_type": "manual", "tower_job_launch_type": "manual",
            "awx_job_template_name": jt["name"], "tower_job_template_name": jt["name"],
            "awx_inventory_name": jt["inventory"]["name"], "tower_inventory_name": jt["inventory"]["name"],
            "awx_project_revision": "", "tower_project_revision": "",
            "awx_user_name": "admin", "tower_user_name": "admin",
        })
        (pdd / "env" / "extravars").write_text(json.dumps(variables, indent=2), encoding="utf-8")
        envvars = {
            # The execution environment's collections (see the module docstring).
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"),
            "NETSEC_OUTPUTS_DIR": str(self.outputs_dir),
            "JOB_ID": ident, "INVENTORY_ID": "1", "PROJECT_REVISION": "", "AWX_HOST": "https://awx.invalid",
            "ANSIBLE_FORCE_COLOR": "False", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True",
            "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False", "PYTHONUNBUFFERED": "1",
        }
        # The sandbox's network: its endpoint, port and a config with no profile. Its key file is
        # not given: the credential injects the key as AWX does, as environment variables.
        sandbox_env = self.sandbox.run_env()
        sandbox_env.pop("AWS_SHARED_CREDENTIALS_FILE")
        envvars.update(sandbox_env)
        envvars["AWS_SHARED_CREDENTIALS_FILE"] = sandbox_env["AWS_CONFIG_FILE"]
        credentials = {c["natural_key"]["name"]: c for c in self.assets["credentials"]}
        for ref in jt["related"]["credentials"]:
            envvars.update(aws_injection(self.credential_inputs(credentials[ref["name"]])))
        (pdd / "env" / "envvars").write_text(json.dumps(envvars, indent=2), encoding="utf-8")
        settings = {"job_timeout": int(jt.get("timeout") or 0), "pexpect_timeout": 5, "suppress_ansible_output": True}
        (pdd / "env" / "settings").write_text(json.dumps(settings), encoding="utf-8")
        args = cmdline(jt)
        if args:
            (pdd / "env" / "cmdline").write_text(" ".join(args), encoding="utf-8")
        return pdd, ident

    def run(self, template, answers=None, launch_vars=None, project_files=None):
        """Run a template (its name, or a template object) as a job; project_files are written into
        the job's project checkout first (test probes)."""
        jt = job_templates(self.assets)[template] if isinstance(template, str) else template
        name = jt["name"]
        pdd, ident = self.prepare(jt, answers, launch_vars, project_files)
        # A process with nothing of the caller's environment: the job sees env/envvars only.
        env = {"PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8"}
        started = time.monotonic()
        timeout = (int(jt.get("timeout") or 0) or 3600) + 120
        with (pdd / "runner.log").open("w") as log:
            subprocess.run([sys.executable, str(Path(__file__).resolve()), "_job", str(pdd), jt["playbook"], ident],
                           env=env, cwd=pdd, timeout=timeout, check=False, stdout=log, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
        artifacts = pdd / "artifacts" / ident
        status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "error"
        rc = int((artifacts / "rc").read_text().strip()) if (artifacts / "rc").exists() else -1
        events = [json.loads(p.read_text(encoding="utf-8")) for p in (artifacts / "job_events").glob("*.json")]
        events.sort(key=lambda e: e.get("counter", 0))
        return Job(name, jt["playbook"], pdd, ident, status, rc, seconds, events)


def _run_job(pdd, playbook, ident):
    """Inside the job's own process: exactly what AWX's dispatcher hands to ansible-runner."""
    import ansible_runner

    result = ansible_runner.run(private_data_dir=pdd, playbook=playbook, ident=ident, quiet=True)
    return 0 if result.status == "successful" else 1


# ---- the sandbox's accounts, for the checks around the jobs --------------------------------

def sandbox_accounts(env="sandbox"):
    hosts = yaml.safe_load((REPO / "inventories" / env / "hosts.yml").read_text(encoding="utf-8"))
    sites = hosts["all"]["children"]["networks"]["hosts"]
    return {name: {"account": str(h["aws_account_id"]), "region": h["aws_region"]} for name, h in sites.items()}


def session(sandbox, key, account=None, role="netsec-automation"):
    """A boto3 session with a sandbox key, in `account` through `role` when given."""
    import boto3

    base = boto3.session.Session(aws_access_key_id=key["username"], aws_secret_access_key=key["password"],
                                 region_name="us-east-1")
    if account is None:
        return base
    creds = base.client("sts", endpoint_url=sandbox.url).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="awx-runner-test")["Credentials"]
    return boto3.session.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                 aws_session_token=creds["SessionToken"], region_name="us-east-1")


def ours(sandbox, suffix, env="sandbox"):
    """Everything in the sandbox's accounts that this collection made: tagged ManagedBy=netsec.aws_peering
    or named with the environment suffix. As (account, kind, name) tuples, read as the administrator."""
    key = sandbox.admin_key()
    found = set()
    for account in sorted({s["account"] for s in sandbox_accounts(env).values()}):
        boto = session(sandbox, key, account, role="OrganizationAccountAccessRole")

        def client(service):
            return boto.client(service, endpoint_url=sandbox.url)

        def tagged(tags):
            tags = {t["Key"]: t["Value"] for t in tags or []}
            return tags.get("ManagedBy") == "netsec.aws_peering" or tags.get("Name", "").endswith("-" + suffix)

        ec2 = client("ec2")
        vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
        for kind, call, items, ident in (
                ("vpc", ec2.describe_vpcs, "Vpcs", "VpcId"),
                ("subnet", ec2.describe_subnets, "Subnets", "SubnetId"),
                ("route-table", ec2.describe_route_tables, "RouteTables", "RouteTableId"),
                ("network-acl", ec2.describe_network_acls, "NetworkAcls", "NetworkAclId"),
                ("security-group", ec2.describe_security_groups, "SecurityGroups", "GroupId"),
                ("vpc-endpoint", ec2.describe_vpc_endpoints, "VpcEndpoints", "VpcEndpointId"),
                ("flow-log", ec2.describe_flow_logs, "FlowLogs", "FlowLogId")):
            for item in call()[items]:
                # A deleted endpoint stays listed as "deleted" for a while (AWS and the emulator alike).
                if str(item.get("State", "")).lower() in ("deleted", "deleting"):
                    continue
                # AWS deletes a VPC's default ACL with the VPC; the emulator keeps it, orphaned.
                if kind == "network-acl" and item.get("IsDefault") and item["VpcId"] not in vpcs:
                    continue
                if tagged(item.get("Tags")):
                    found.add((account, kind, item[ident]))
        for peering in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]:
            if peering["Status"]["Code"] not in ("deleted", "rejected", "failed", "expired") and tagged(peering.get("Tags")):
                found.add((account, "peering", peering["VpcPeeringConnectionId"]))
        iam = client("iam")
        for role in iam.list_roles()["Roles"]:
            if role["RoleName"].endswith("-" + suffix) or tagged(iam.list_role_tags(RoleName=role["RoleName"])["Tags"]):
                found.add((account, "iam-role", role["RoleName"]))
        for policy in iam.list_policies(Scope="Local")["Policies"]:
            if policy["PolicyName"].endswith("-" + suffix):
                found.add((account, "iam-policy", policy["PolicyName"]))
        for bucket in client("s3").list_buckets()["Buckets"]:
            if bucket["Name"].endswith("-" + suffix):
                found.add((account, "s3-bucket", bucket["Name"]))
        kms = client("kms")
        for alias in kms.list_aliases()["Aliases"]:
            if alias["AliasName"].endswith("-" + suffix) and alias.get("TargetKeyId"):
                state = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["KeyState"]
                if state != "PendingDeletion":
                    found.add((account, "kms-alias", alias["AliasName"]))
        for group in client("logs").describe_log_groups()["logGroups"]:
            if group["logGroupName"].endswith("-" + suffix):
                found.add((account, "log-group", group["logGroupName"]))
        for topic in client("sns").list_topics()["Topics"]:
            if topic["TopicArn"].endswith("-" + suffix):
                found.add((account, "sns-topic", topic["TopicArn"].rsplit(":", 1)[1]))
        cloudwatch = client("cloudwatch")
        for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
            if alarm["AlarmName"].endswith("-" + suffix):
                found.add((account, "alarm", alarm["AlarmName"]))
        for dashboard in cloudwatch.list_dashboards()["DashboardEntries"]:
            if dashboard["DashboardName"].endswith("-" + suffix):
                found.add((account, "dashboard", dashboard["DashboardName"]))
        for rule in client("events").list_rules()["Rules"]:
            if rule["Name"].endswith("-" + suffix):
                found.add((account, "event-rule", rule["Name"]))
        config = client("config")
        for rule in config.describe_config_rules()["ConfigRules"]:
            if rule["ConfigRuleName"].endswith("-" + suffix):
                found.add((account, "config-rule", rule["ConfigRuleName"]))
        for recorder in config.describe_configuration_recorders()["ConfigurationRecorders"]:
            if recorder["name"].endswith("-" + suffix):
                found.add((account, "config-recorder", recorder["name"]))
        for channel in config.describe_delivery_channels()["DeliveryChannels"]:
            if channel["name"].endswith("-" + suffix):
                found.add((account, "delivery-channel", channel["name"]))
    return found


# ---- command line -------------------------------------------------------------------------

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_job"]:
        return _run_job(*argv[1:4])
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run job templates against a running sandbox")
    run.add_argument("templates", nargs="+", help="template names, or their last part (site, network, drift, ...)")
    run.add_argument("--answer", action="append", default=[], metavar="VAR=VALUE", help="a survey answer")
    run.add_argument("--extra-vars", default="{}", help="launch-time extra vars (JSON), for templates that ask")
    run.add_argument("--assets", default=str(ASSETS))
    run.add_argument("--work", help="where the private data directories go (default: a new one under /tmp)")
    sub.add_parser("list", help="the job templates and their playbooks")
    args = parser.parse_args(argv)
    assets = load_assets(getattr(args, "assets", ASSETS))
    if args.command == "list":
        for jt in assets["job_templates"]:
            print(f"{jt['name']:45} {jt['job_type']:6} {jt['playbook']}")
        return 0
    import tempfile

    sandbox = Sandbox(int(os.environ.get("SANDBOX_PORT", "5000")),
                      Path(os.environ.get("SANDBOX_DIR", REPO / "sandbox")))
    work = Path(args.work or tempfile.mkdtemp(prefix="awx-runner-"))
    runner = AWXRunner(assets, sandbox, work, os.environ.get("NETSEC_OUTPUTS_DIR", work / "outputs"))
    Path(runner.outputs_dir).mkdir(parents=True, exist_ok=True)
    names = {jt["name"]: jt for jt in assets["job_templates"]}
    answers = dict(a.split("=", 1) for a in args.answer)
    failed = False
    for wanted in args.templates:
        name = wanted if wanted in names else template_for(assets, wanted)["name"]
        questions = {q["variable"] for q in survey_questions(names[name])}
        job = runner.run(name, {k: v for k, v in answers.items() if k in questions}, json.loads(args.extra_vars)
                         if names[name].get("ask_variables_on_launch") else None)
        print(job.summary())
        print(f"  private data dir: {job.private_data_dir}")
        failed = failed or job.status != "successful"
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
