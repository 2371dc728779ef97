# -*- coding: utf-8 -*-

# Copyright: netsec aws_peering maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Check IAM policy documents against AWS's Service Authorization Reference (offline).

Usage:
  .venv/bin/python scripts/policy-lint.py [--kind KIND] [--var NAME=VALUE ...] FILE.json ...
  .venv/bin/python scripts/policy-lint.py --inventory inventories/sandbox

FILE.json: policy documents; --kind (identity, trust, bucket, key, topic, endpoint) applies
to all of them, else each file's kind follows its name (NAME.trust.json, NAME.bucket.json,
NAME.key.json, NAME.topic.json, NAME.endpoint.json; any other NAME.json is an identity policy).
${Partition} ${AccountId} ${Region} ${Suffix} ${PeerAccountId} placeholders are replaced with
sample values first (override with --var Region=eu-west-1). --inventory checks every
policy the collection builds (plugins/module_utils/policies.py) for that inventory's sites.
Prints one line per finding; exit status 1 when there is any, 0 when there is none.
The rules are in tests/policy_lint.py.
"""

import argparse
import importlib.util
import json
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]


def load_checker():
    """tests/policy_lint.py (registered in sys.modules first: its dataclasses need that)."""
    if "policy_lint" in sys.modules:
        return sys.modules["policy_lint"]
    spec = importlib.util.spec_from_file_location("policy_lint", REPO / "tests" / "policy_lint.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def parse_args(checker, argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("files", nargs="*", type=pathlib.Path, help="policy JSON files")
    parser.add_argument("--kind", choices=checker.KINDS, help="kind of every file (default: from each file's name)")
    parser.add_argument("--var", action="append", default=[], metavar="NAME=VALUE", help="placeholder value, e.g. Region=eu-west-1")
    parser.add_argument("--inventory", help="check the collection's own policies for this inventory directory")
    args = parser.parse_args(argv)
    if not args.files and not args.inventory:
        parser.error("give policy files or --inventory")
    if any("=" not in v for v in args.var):
        parser.error("--var takes NAME=VALUE")
    return args


def documents(checker, args):
    """(label, kind, document) to check, from the files and the inventory."""
    values = dict(checker.SAMPLE_PLACEHOLDERS, **dict(v.split("=", 1) for v in args.var))
    for path in args.files:
        text = checker.substitute(path.read_text(encoding="utf-8"), values)
        yield str(path), args.kind or checker.kind_of_file(path), json.loads(text)
    if args.inventory:
        for label, kind, _name, document in checker.collection_policies(args.inventory):
            yield label, kind, document


def main(argv=None):
    checker = load_checker()
    args = parse_args(checker, argv)
    count = 0
    for label, kind, document in documents(checker, args):
        for finding in checker.lint(document, kind):
            print(f"{label}: {finding}")
            count += 1
    print(f"{count} finding(s)", file=sys.stderr)
    return 1 if count else 0


if __name__ == "__main__":
    sys.exit(main())
