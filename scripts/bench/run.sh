#!/usr/bin/env bash
# run.sh — `npm run bench`: build, then run every benchmark (or those named: run.sh chan tcp);
# each rewrites its own marked section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/ensure.sh
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in dist/scripts/bench/*.bench.js; do names+=("$(basename "$f" .bench.js)"); done
fi
for n in "${names[@]}"; do
  f="dist/scripts/bench/$n.bench.js"
  [ -f "$f" ] || { echo "bench: no benchmark named $n" >&2; exit 2; }
  echo "== bench $n" >&2
  node "$f"
done
echo "bench: results in docs/benchmarks.md" >&2
