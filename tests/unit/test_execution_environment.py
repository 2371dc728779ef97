"""The execution environment (execution-environment.yml) carries the project's pins.

AWX runs every job template inside that image, so an image built with other versions than the
venv `make test` tested would run untested code. No registry is reachable here, so the image is
never built: `ansible-builder create` writes the build context (Containerfile, requirement files,
the collection tarball) and these tests read it, as the image build would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUNDLED = Path(metadata.distribution("ansible").locate_file("ansible_collections"))


def pins(path, seen=None):
    """{canonical name: version} of every `name==version` line, following `-r` includes."""
    seen = seen if seen is not None else {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            pins(path.parent / line[3:].strip(), seen)
            continue
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"{path.name}: {raw!r} is not an exact pin"
        seen[canonicalize_name(req.name)] = specs[0].version
    return seen


def manifest(collection_dir):
    info = json.loads((collection_dir / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]
    return info


@pytest.fixture(scope="module")
def definition():
    return yaml.safe_load((REPO / "execution-environment.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    """The build context, from the collection tarball `make build` writes and the definition."""
    ctx = tmp_path_factory.mktemp("ee") / "context"
    # The definition copies .build/netsec-aws_peering-*.tar.gz into the context: build it there
    # exactly as `make build` does.
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", ".build"],
                   cwd=REPO, check=True, capture_output=True, text=True)
    result = subprocess.run(
        [str(BIN / "ansible-builder"), "create", "--file", "execution-environment.yml", "--context", str(ctx),
         "--output-filename", "Containerfile"],
        cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    # A glob of additional_build_files that matches nothing is only a warning for the builder; the
    # image build would then fail on the missing tarball, so treat it as an error here.
    assert "No matches" not in result.stdout + result.stderr, result.stdout + result.stderr
    return ctx


@pytest.fixture(scope="module")
def project_pins():
    runtime = pins(REPO / "requirements.txt")
    dev = pins(REPO / "requirements-dev.txt")
    constraints = pins(REPO / "constraints.txt")
    # The three files must agree among themselves, or "the project's pins" means nothing.
    for name, version in dev.items():
        assert constraints.get(name) == version, f"{name}: requirements files pin {version}, constraints.txt {constraints.get(name)}"
    return {"runtime": runtime, "dev": dev, "constraints": constraints}


def containerfile_args(ctx):
    text = (ctx / "Containerfile").read_text(encoding="utf-8")
    return text, dict(re.findall(r'^ARG (\w+)="(.*)"$', text, flags=re.M))


def test_containerfile_installs_the_pinned_ansible_core_and_runner(context, project_pins, definition):
    text, args = containerfile_args(context)
    refs = dict(ref.split("==", 1) for ref in args["ANSIBLE_INSTALL_REFS"].split())
    assert refs == {"ansible-core": project_pins["runtime"]["ansible-core"],
                    "ansible-runner": project_pins["dev"]["ansible-runner"]}
    assert args["EE_BASE_IMAGE"] == definition["images"]["base_image"]["name"]
    # Every stage starts from the base image named in the definition, and the image is an EE.
    assert "FROM $EE_BASE_IMAGE AS base" in text
    assert "LABEL ansible-execution-environment=true" in text


def test_image_python_is_the_version_the_tests_run_on(context):
    args = containerfile_args(context)[1]
    # ansible-core 2.21 needs Python >= 3.12; the image runs what the venv runs.
    assert Path(args["PYCMD"]).name == "python%d.%d" % sys.version_info[:2]
    assert args["PKGMGR"] and Path(args["PKGMGR"]).name in ("dnf", "microdnf", "yum")


def test_python_requirements_carry_the_project_pins(context, project_pins):
    image = pins(context / "_build" / "requirements.txt")
    assert {"boto3", "botocore"} <= set(image)
    for name in ("boto3", "botocore"):
        assert image[name] == project_pins["runtime"][name], name
    for name, version in image.items():
        assert project_pins["constraints"].get(name) == version, (
            f"the image pins {name}=={version}, constraints.txt {project_pins['constraints'].get(name)}")


def test_collection_requirements_are_the_bundled_versions(context, project_pins):
    # The versions the tests ran with are those bundled in the installed `ansible` package, and
    # that package must be the pinned one.
    assert metadata.version("ansible") == project_pins["runtime"]["ansible"]
    collections = {item["name"]: item for item in
                   yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))["collections"]}
    for fqcn in ("amazon.aws", "community.aws"):
        namespace, name = fqcn.split(".")
        assert str(collections[fqcn]["version"]) == manifest(BUNDLED / namespace / name)["version"], fqcn


def test_this_collection_is_installed_from_its_tarball(context):
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    files = [item for item in
             yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))["collections"]
             if item.get("type") == "file"]
    assert len(files) == 1, files
    # The galaxy stage runs in /build, a copy of the context's _build.
    tarball = context / "_build" / files[0]["name"]
    assert tarball.is_file(), f"{files[0]['name']} is not in the build context"
    with tarfile.open(tarball) as archive:
        info = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])


def test_pinned_collections_satisfy_every_declared_range(definition):
    """galaxy.yml, requirements.yml and community.aws's own dependency all accept the EE's versions."""
    chosen = {c["name"]: str(c["version"]) for c in definition["dependencies"]["galaxy"]["collections"]
              if c.get("type") != "file"}
    galaxy = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))
    ranges = [("galaxy.yml", name, spec) for name, spec in galaxy["dependencies"].items()]
    ranges += [("requirements.yml", c["name"], c["version"]) for c in
               yaml.safe_load((REPO / "requirements.yml").read_text(encoding="utf-8"))["collections"]]
    for fqcn in chosen:
        namespace, name = fqcn.split(".")
        ranges += [(fqcn, dep, spec) for dep, spec in manifest(BUNDLED / namespace / name)["dependencies"].items()]
    assert ranges
    for origin, name, spec in ranges:
        assert name in chosen, f"{origin} needs {name}, which the image does not install"
        assert SpecifierSet(spec.replace(" ", "")).contains(chosen[name]), f"{origin}: {name} {spec} refuses {chosen[name]}"


def test_collections_python_requirements_are_met_by_the_pins(context, definition):
    """What the builder's introspection adds from the collections must accept the pinned versions."""
    image = pins(context / "_build" / "requirements.txt")
    excluded = {canonicalize_name(n) for n in definition["dependencies"].get("exclude", {}).get("python", [])}
    checked = 0
    for fqcn in ("amazon/aws", "community/aws"):
        for raw in (BUNDLED / fqcn / "requirements.txt").read_text(encoding="utf-8").splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            req = Requirement(line)
            name = canonicalize_name(req.name)
            if name in excluded:
                continue
            assert name in image, f"{fqcn} needs {req}, which the image leaves unpinned"
            assert req.specifier.contains(image[name]), f"{fqcn} needs {req}; the image pins {image[name]}"
            checked += 1
    assert checked >= 4
    # An exclusion names something the venv does not have either (the image stays the venv).
    for name in excluded:
        with pytest.raises(metadata.PackageNotFoundError):
            metadata.version(name)
