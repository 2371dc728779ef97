"""scripts/free_port.py: test emulators get a port the kernel never hands out by itself, and a free one."""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "free_port.py"
spec = importlib.util.spec_from_file_location("netsec_free_port", SCRIPT)
free_port_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(free_port_script)


@pytest.mark.parametrize("content, floor", [
    ("32768\t60999\n", 32768),
    ("40000 60999", 40000),
    ("", 32768),
    ("garbage", 32768),
])
def test_ephemeral_floor_reads_the_kernel_range(tmp_path, content, floor):
    path = tmp_path / "ip_local_port_range"
    path.write_text(content)
    assert free_port_script.ephemeral_floor(str(path)) == floor


def test_ephemeral_floor_without_the_file_is_the_iana_floor(tmp_path):
    assert free_port_script.ephemeral_floor(str(tmp_path / "missing")) == 32768


def test_port_is_below_the_ephemeral_range_and_free():
    for _attempt in range(20):
        port = free_port_script.free_port(floor=32768)
        assert free_port_script.LOWEST <= port < 32768
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_skipped():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        picks = iter([busy, busy, 25001])
        assert free_port_script.free_port(floor=65535, choose=lambda low, high: next(picks)) == 25001


@pytest.mark.parametrize("floor", [20000, 20050, 19000])
def test_no_room_below_the_floor_is_refused(floor):
    with pytest.raises(RuntimeError, match=str(floor)):
        free_port_script.free_port(floor=floor)


def test_gives_up_after_bounded_attempts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match="no free loopback port"):
            free_port_script.free_port(floor=65535, choose=lambda low, high: busy)
