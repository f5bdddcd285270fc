#!/usr/bin/env bash
# run_and_check.sh — the lab's main job: 5 local ranks at low pressure (-o 1 -l 100 -t 5, logs
# in log/low) then high pressure (-o 1 -l 10000 -t 5, logs in log/high), each graded by the
# checker in the seed's report format, and each run's HTML report (log/<pressure>/report.html).
# Exits non-zero if a check fails or a rank died.
# Extra arguments go to both `csplab run`s (e.g. --protocol traft, --ranks 3, --eager).
set -uo pipefail
cd "$(dirname "$0")/.."
[ -f dist/cmd/csplab.js ] || bash scripts/ensure.sh
mkdir -p log
csplab() { node dist/cmd/csplab.js "$@"; }
# The cluster size the runs are asked for (csplab run's default 5, or --ranks/-n among the
# arguments): the check requires a log from every rank, so one that wrote none fails it.
ranks=5
# Traces give the report its message diagram (a few hundred KB here; docs/trace.md); the
# arguments may set --trace/--no-trace themselves (a flag given twice is refused).
trace=--trace
prev=
for arg in "$@"; do
  case "$arg" in --trace | --no-trace | --trace=*) trace= ;; esac
  case "$prev" in --ranks | -n) ranks=$arg ;; esac
  case "$arg" in --ranks=* | -n=*) ranks=${arg#*=} ;; esac
  prev=$arg
done
status=0
for pressure in low high; do
  if [ "$pressure" = low ]; then l=100; else l=10000; fi
  dir="log/$pressure"
  rm -rf "$dir"
  echo "Running $pressure pressure: csplab run -o 1 -l $l -t 5 --log-dir $dir $trace $*" >&2
  if ! csplab run -o 1 -l "$l" -t 5 --log-dir "$dir" --quiet $trace "$@" >"log/$pressure.table" 2>"log/$pressure.stderr"; then
    echo "csplab run ($pressure pressure) failed:" >&2
    cat "log/$pressure.table" >&2
    tail -n 20 "log/$pressure.stderr" >&2
    status=1
  fi
  echo "Check on $pressure pressure"
  csplab check --dir "$dir" --ranks "$ranks" || status=1
  # The page of the run (commits, roles, faults, the verdict; docs/report.md). It does not
  # change the job's status: the check above is the grade.
  if ! csplab report "$dir" -o "$dir/report.html" 2>"log/$pressure.report.stderr"; then
    echo "csplab report ($pressure pressure) failed: $(tail -n 1 "log/$pressure.report.stderr")" >&2
  fi
done
exit "$status"
