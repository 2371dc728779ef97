#!/usr/bin/env bash
# Make sure /usr/bin/chromium exists, for the tests that render the auditor's
# report in a real headless browser. Installs Debian's `chromium` package when
# it is missing (only Debian's package registry is reachable from our machines).
# Exit 0 when chromium is there afterwards, non-zero (with the reason on stderr)
# when it cannot be installed: the browser tests then skip with that reason.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing and installing it needs root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Quiet, no prompts, no recommended extras (no desktop integration needed).
apt_opts=(-qq -y --no-install-recommends -o Dpkg::Use-Pty=0)
if ! apt-get "${apt_opts[@]}" install chromium >/dev/null 2>&1; then
  # A machine that never ran `apt-get update` has no package lists yet.
  apt-get -qq update >/dev/null
  apt-get "${apt_opts[@]}" install chromium >/dev/null
fi

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
