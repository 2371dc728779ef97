#!/usr/bin/env python3
"""The mutating AWS calls recorded by the emulator since a given line of its record.

  mutating_calls.py RECORD [--since N] [--count]

RECORD is the emulator's record of calls (scripts/emulator.py --record-actions). With --since N,
only the calls after the first N lines (a run started when the record had N lines). Prints each
mutating call (anything but Describe*, Get*, List*, Head*, and sts:AssumeRole /
GetCallerIdentity, which change nothing) and exits 1 when there is any. --count prints the number
of lines and exits 0 (take it before the run to compare).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup", "Search")
NOT_CHANGES = {"sts:AssumeRole", "sts:GetCallerIdentity"}


def is_mutating(action):
    _service, _sep, name = action.partition(":")
    return action not in NOT_CHANGES and not name.startswith(READ_PREFIXES)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("record")
    parser.add_argument("--since", type=int, default=0)
    parser.add_argument("--count", action="store_true")
    args = parser.parse_args(argv)
    lines = Path(args.record).read_text(encoding="utf-8").splitlines() if Path(args.record).exists() else []
    if args.count:
        print(len(lines))
        return 0
    calls = [json.loads(line) for line in lines[args.since:] if line.strip()]
    mutating = [call for call in calls if is_mutating(call["action"])]
    for call in mutating:
        print(f"{call['action']} by {call['principal']} in {call['account']}")
    print(f"{len(calls)} call(s) recorded, {len(mutating)} mutating", file=sys.stderr)
    return 1 if mutating else 0


if __name__ == "__main__":
    sys.exit(main())
