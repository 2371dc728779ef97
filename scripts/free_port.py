"""A TCP port for a test emulator: free on loopback now, and outside the kernel's ephemeral range.

A port found with bind(port 0) lies in the ephemeral range, where the kernel may hand it to the next
bind(0) or outgoing connection of any process during the seconds an emulator spends importing moto
before it binds. The suite's other lane makes thousands of connections and starts in-process moto
servers on port 0, so a sandbox could lose its port and answer with someone else's server (a CI run
lost its molecule sandbox that way). Below the ephemeral range the kernel never hands out a port, so
only another explicit pick could take it; scripts/sandbox.sh refuses an emulator it did not start.

Usage: python scripts/free_port.py   (prints the port); tests import free_port().
"""
from __future__ import annotations

import random
import socket

LOWEST = 20000
ATTEMPTS = 200


def ephemeral_floor(path="/proc/sys/net/ipv4/ip_local_port_range"):
    """The lowest port the kernel hands out by itself (Linux; 32768 elsewhere)."""
    try:
        with open(path, encoding="ascii") as handle:
            return int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(floor=None, choose=random.SystemRandom().randrange):
    """A port in [LOWEST, ephemeral floor) that nothing listens on or is bound to right now."""
    top = floor if floor is not None else ephemeral_floor()
    if top - LOWEST < 100:
        raise RuntimeError(f"ip_local_port_range starts at {top}: no room below it for test emulators above {LOWEST}")
    for _attempt in range(ATTEMPTS):
        port = choose(LOWEST, top)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in [{LOWEST}, {top}) after {ATTEMPTS} attempts")


if __name__ == "__main__":
    print(free_port())
