"""Phase bookkeeping for test_awx_runner.py: a failed phase is recorded so the later ones skip."""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Only test_awx_runner.py keeps phases; other modules here are left alone.
    state = getattr(item.module, "STATE", None) if item.module.__name__.endswith("test_awx_runner") else None
    # A read-only phase changed nothing the next phases build on: its failure is reported, not propagated.
    blocking = item.get_closest_marker("xfail") is None and item.get_closest_marker("read_only") is None
    if state is not None and report.failed and blocking:
        state["failed"] = state["failed"] or item.name
