#!/usr/bin/env bash
# test.sh — the README's test command: install if needed, type-check and build, run every
# colocated *.test.ts with tap. Extra arguments go to tap (e.g. a single test file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
echo "# typecheck: ok"
exec node_modules/.bin/tap "$@"
