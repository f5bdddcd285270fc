#!/usr/bin/env bash
# ensure.sh — make a fresh clone runnable: install from the lockfile when node_modules is
# missing or older than the lockfile, then compile (tsc also type-checks everything, tests
# included). Prints only when it does something slow, so `npm start` stays quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "csplab: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
node_modules/.bin/tsc -p tsconfig.json
