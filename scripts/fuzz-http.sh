#!/usr/bin/env bash
# The property-based fuzzers of the --listen endpoint, for longer than ./dev test runs them:
# arbitrary raw requests against the real binary (test/cli/http-fuzz.test.ts) and arbitrary
# text through the --web-config parser (test/sinks/web-config.test.ts).
#   scripts/fuzz-http.sh [RUNS]     (default 5000 runs each; ./dev test runs 150 and 300)
# A failure prints fast-check's counterexample and seed; the figures go to docs/tests.md.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5000}
make -s build
FUZZ_RUNS=$runs exec nice -n 10 npx vitest run test/cli/http-fuzz.test.ts test/sinks/web-config.test.ts -t 'fast-check|arbitrary requests'
