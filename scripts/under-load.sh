#!/usr/bin/env bash
# Run test files N times in a row while a CPU-bound load and a wake-up-heavy load run beside
# them, to show that tests which depend on scheduling assert what holds whatever else runs.
#   scripts/under-load.sh [-n RUNS] [-k DIR] FILE...   (default 20 runs; as root, after ./dev start)
# -k DIR keeps each run's output there (run.1, run.2, ...); otherwise it is removed at the end.
# The loads: one `yes` per online CPU (CPU-bound, unpinned) and `perf bench sched pipe` (two
# tasks ping-ponging over pipes: ~100k wake-ups a second). Both end with the script, however it
# ends. Prints one line per run and a summary; exits 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
keep=
while [[ ${1:-} == -n || ${1:-} == -k ]]; do
  if [[ $1 == -n ]]; then runs=$2; else keep=$2; fi
  shift 2
done
if (($# == 0)); then
  echo "usage: scripts/under-load.sh [-n RUNS] [-k DIR] FILE..." >&2
  exit 2
fi
pids=()
# Each load is a session of its own (setsid): stopping it kills its whole process group.
stop() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
for _ in $(seq "$(nproc)"); do setsid timeout 6h yes >/dev/null & pids+=($!); done
setsid timeout 6h bash -c 'while :; do perf bench sched pipe -l 1000000 >/dev/null 2>&1 || sleep 1; done' & pids+=($!)
if [[ -n $keep ]]; then
  mkdir -p "$keep"
  log=$keep
else
  log=$(mktemp -d /tmp/perfscope-under-load-XXXXXX)
  trap 'stop; rm -rf "$log"' EXIT INT TERM
fi
failed=0
for i in $(seq "$runs"); do
  if npx vitest run "$@" >"$log/run.$i" 2>&1; then
    echo "run $i/$runs: passed"
  else
    failed=$((failed + 1))
    echo "run $i/$runs: FAILED"
    grep -E 'FAIL|AssertionError|Error:' "$log/run.$i" | head -5 | sed 's/^/    /'
  fi
done
echo "under load: $((runs - failed)) of $runs runs passed ($*)"
((failed == 0))
