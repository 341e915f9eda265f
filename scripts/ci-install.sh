#!/usr/bin/env bash
# `npm ci` for CI, strict about engines: npm only warns when a dependency's engines exclude
# this Node, so a dependency that needs a newer Node than package.json's engines promise
# would install "fine" here and break on the Node we support. EBADENGINE is a failure (pin
# the dependency in package.json overrides). npm's own exit status is kept.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

install_log=$(mktemp)
trap 'rm -f "$install_log"' EXIT
# npm writes its warnings to stderr: tee copies stderr into the log and keeps it on stderr.
{ npm ci --no-audit --no-fund </dev/null 2>&1 1>&3 | tee "$install_log" >&2; } 3>&1
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "[ci] npm ci failed (exit $status)" >&2
  exit "$status"
fi
if grep -q EBADENGINE "$install_log"; then
  echo '[ci] npm ci warned EBADENGINE: a dependency does not support the Node version in package.json engines (see the warning above)' >&2
  exit 1
fi
