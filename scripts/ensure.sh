#!/usr/bin/env bash
# ensure.sh — make a fresh clone runnable: install from the lockfile when node_modules is
# missing or older than the lockfile, then compile (tsc also type-checks everything, tests
# included). Prints only when it does something slow, so `npm start` stays quiet.
# --browser (npm test): also make sure a chromium is installed for the --html page's browser
# test (check/lin/html.browser.test.ts): Debian's package, with apt-get, when running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "csplab: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
if [ "${1:-}" = "--browser" ] && [ -z "${CSPLAB_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # ~1.5 min on a Debian 12 machine (apt-get update included): once per machine.
    echo "csplab: installing chromium for the browser test (apt-get install chromium)…" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "csplab: no chromium, and not root with apt-get to install it: the browser test will fail (install chromium, or set CSPLAB_CHROMIUM to a Chromium binary)" >&2
  fi
fi
node_modules/.bin/tsc -p tsconfig.json
node_modules/.bin/tsc -p cmd/report/web/tsconfig.json # the report page's browser script (DOM lib), inlined by csplab report
