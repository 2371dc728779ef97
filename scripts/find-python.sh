#!/usr/bin/env bash
# Print a Python >= 3.12 interpreter (ansible-core 2.21 needs it), preferring
# 3.12, the version the emulator facts in shared/EMULATOR.md were measured on.
# The machine's default python3 may be older; pyenv keeps newer ones whose
# shims only work when selected, so we look for the real binaries too.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for cand in "${PYTHON:-}" python3.12 python3.13 python3; do
  [ -n "$cand" ] || continue
  p=$(command -v "$cand" 2>/dev/null) || continue
  if ok "$p"; then echo "$p"; exit 0; fi
done
root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
for p in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V); do
  if ok "$p"; then echo "$p"; exit 0; fi
done
echo "error: no Python >= 3.12 found; install one or set PYTHON=/path/to/python3.12" >&2
exit 1
