#!/usr/bin/env bash
# Coverage-guided fuzzing of the symbolizer's parser (native/parser/fuzz.cc: ELF tables, DWARF
# lookups, perf maps) with libFuzzer, AddressSanitizer and UBSan, for SECONDS (default 600).
# The corpus grows in build/fuzz-corpus/ (seeded from test/native/fuzz-seeds/); a crash leaves
# its input in build/fuzz-crashes/ and the script exits non-zero. Usage: scripts/fuzz-native.sh [SECONDS] [JOBS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-600}"
jobs="${2:-1}"
[[ "$secs" =~ ^[0-9]+$ && "$jobs" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz-native.sh [SECONDS] [JOBS]" >&2; exit 2; }
make -s fuzz
mkdir -p build/fuzz-corpus build/fuzz-crashes
# -rss_limit_mb / -malloc_limit_mb: an input that makes the parser allocate past them is a finding
# (the parser process itself runs under RLIMIT_AS: docs/stacks.md).
args=(-max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024
      -artifact_prefix=build/fuzz-crashes/ -print_final_stats=1)
if [ "$jobs" -gt 1 ]; then args+=(-fork="$jobs"); fi
exec build/fuzz-parser "${args[@]}" build/fuzz-corpus test/native/fuzz-seeds
