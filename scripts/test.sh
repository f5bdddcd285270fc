#!/usr/bin/env bash
# test.sh — the README's test command: install if needed, type-check and build, lint and check
# the formatting, then run every colocated *.test.ts with tap. Extra arguments go to tap (e.g.
# a single test file) and skip the lint, which always covers the whole tree.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh --browser
echo "# typecheck: ok"
if [ "$#" -eq 0 ]; then
  lint=0
  bash scripts/lint.sh || lint=$?
  node_modules/.bin/tap
  exit "$lint"
fi
exec node_modules/.bin/tap "$@"
