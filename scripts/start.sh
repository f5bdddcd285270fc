#!/usr/bin/env bash
# start.sh — `npm start`: build if needed, then the main job (5 local ranks, low and high
# pressure, graded by the checker).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
exec bash scripts/run_and_check.sh "$@"
