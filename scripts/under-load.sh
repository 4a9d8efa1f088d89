#!/usr/bin/env bash
# Run test files N times in a row while a CPU-bound load and a wake-up-heavy load run beside
# them, to show that tests which depend on scheduling assert what holds whatever else runs.
#   scripts/under-load.sh [-n RUNS] FILE...      (default 20 runs; as root, after ./dev start)
# The loads: one `yes` per online CPU (CPU-bound, unpinned) and `perf bench sched pipe` (two
# tasks ping-ponging over pipes: ~100k wake-ups a second). Both end with the script, however it
# ends. Prints one line per run and a summary; exits 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
if [[ ${1:-} == -n ]]; then runs=$2; shift 2; fi
if (($# == 0)); then
  echo "usage: scripts/under-load.sh [-n RUNS] FILE..." >&2
  exit 2
fi
pids=()
# Each load is a session of its own (setsid): stopping it kills its whole process group.
stop() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
for _ in $(seq "$(nproc)"); do setsid timeout 6h yes >/dev/null & pids+=($!); done
setsid timeout 6h bash -c 'while :; do perf bench sched pipe -l 1000000 >/dev/null 2>&1 || sleep 1; done' & pids+=($!)
log=$(mktemp -d /tmp/perfscope-under-load-XXXXXX)
trap 'stop; rm -rf "$log"' EXIT INT TERM
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
