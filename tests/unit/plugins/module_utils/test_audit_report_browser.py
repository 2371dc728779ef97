"""The auditor's report rendered by a real headless Chromium (Debian's package).

scripts/ensure-chromium.sh installs it when missing; the tests skip, saying why, only when
that fails. The page is loaded from a file in a temporary directory with a fresh profile
and every background fetch of the browser turned off.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ansible_collections.netsec.aws_peering.plugins.module_utils import audit_report
from ansible_collections.netsec.aws_peering.plugins.module_utils.reachability import evaluate
from ansible_collections.netsec.aws_peering.tests.unit.plugins.module_utils.reachability_states import (  # pylint: disable=unused-import
    audit_settings,
    build_sites,
)

REPO = Path(__file__).resolve().parents[4]
CHROMIUM = "/usr/bin/chromium"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage"]
# Console lines about the page (script errors, refused loads, CSP violations); the browser's own
# chatter about D-Bus, GPU or sandboxing on a headless server is not about the page.
PAGE_PROBLEMS = re.compile(r"CONSOLE|Uncaught|Refused to|Failed to load|Content Security Policy|net::ERR_", re.IGNORECASE)


@pytest.fixture(scope="module")
def chromium():
    script = REPO / "scripts" / "ensure-chromium.sh"
    try:
        done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"chromium cannot be installed: {exc}")
    if done.returncode != 0 or not Path(CHROMIUM).exists():
        pytest.skip(f"chromium cannot be installed: {done.stderr.strip() or done.stdout.strip() or done.returncode}")
    return CHROMIUM


@pytest.fixture
def report_file(tmp_path, build_sites, audit_settings):
    sites, intent = build_sites()
    page = audit_report.report_html(sites, intent, evaluate(sites, intent), dict(audit_settings, generated_at="2026-01-31 12:00 UTC"))
    path = tmp_path / "audit.html"
    path.write_text(page, encoding="utf-8")
    return path


def _run(chromium, tmp_path, *args):
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    command = [chromium, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def test_report_renders_in_chromium_without_errors(chromium, tmp_path, report_file):
    done = _run(chromium, tmp_path, "--dump-dom", report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    # The rendered DOM has the controls table, the topology picture and the matrix.
    assert '<section id="controls">' in dom and "CIS-5.5" in dom and "FSBP-EC2.21" in dom
    assert "<svg" in dom and "pcx-trading-analytics" in dom
    assert "subnet-analytics-c" in dom and "chip allow" in dom
    problems = [line for line in done.stderr.splitlines() if PAGE_PROBLEMS.search(line)]
    assert problems == []


def test_report_screenshot_is_a_png(chromium, tmp_path, report_file):
    shot = tmp_path / "audit.png"
    done = _run(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1400,2000", report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1400, 2000)
    assert len(data) > 50_000  # a blank page compresses to a few KB; the report's text and picture do not
