#!/usr/bin/env bash
# The property-based fuzzers (fast-check) for longer than `./dev test` runs them:
#   scripts/fuzz-props.sh [RUNS]     RUNS per property (default 50000; ./dev test runs 300-3000)
# FUZZ_SEED=N replays a run that fast-check reported. Figures of past runs: docs/tests.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_RUNS=${1:-50000}
exec nice -n 10 npx vitest run \
  test/sinks/terminal.test.ts \
  test/replay/format-fuzz.test.ts \
  test/replay/validate.test.ts \
  test/proc/fuzz.test.ts \
  test/probes/trace-format-fuzz.test.ts
