#!/usr/bin/env bash
# test.sh — the README's test command: install if needed, type-check and build, lint and check
# the formatting, then run every colocated *.test.ts with tap. Extra arguments go to tap (e.g.
# a single test file) and skip the lint, which always covers the whole tree.
#
# The whole suite runs the tests as tsc compiled them under dist/ (the build above), not
# through ts-node: loading and transpiling with ts-node cost every test process ~2.5 s of CPU
# (more than half of what a small file costs), and tap starts one per file. TAP_TYPE_STRIP_ONLY=1 is how tap's
# TypeScript plugin is told not to load ts-node in a test process (on Node 20 it strips
# nothing: the files are already JavaScript). The list comes from the sources, so a test
# deleted since the last build does not run from a stale dist/ file. Coverage still maps to
# the .ts sources through tsc's source maps.
#
# The lint runs beside tap, its output printed after tap's: it is one process on one core,
# and tap's real-process tests spend most of their wall time waiting on real clocks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh --browser
echo "# typecheck: ok"
if [ "$#" -ne 0 ]; then exec node_modules/.bin/tap "$@"; fi
lintlog=$(mktemp)
trap 'rm -f "$lintlog"' EXIT
bash scripts/lint.sh >"$lintlog" 2>&1 &
lintpid=$!
mapfile -t tests < <(find runtime processors cmd check scripts -name '*.test.ts' | LC_ALL=C sort | sed -E 's#^(.*)\.ts$#dist/\1.js#')
# On two CPUs tap runs one test file at a time (its default leaves one CPU free), while much of
# this suite's time is real-process tests waiting on real clocks: two at a time there.
jobs=()
if [ "$(nproc)" -eq 2 ]; then jobs=(--jobs=2); fi
status=0
node_modules/.bin/tap "${jobs[@]}" --test-env=TAP_TYPE_STRIP_ONLY=1 "${tests[@]}" || status=$?
lint=0
wait "$lintpid" || lint=$?
cat "$lintlog"
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$lint"
