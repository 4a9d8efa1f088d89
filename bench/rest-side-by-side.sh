#!/usr/bin/env bash
# Two builds of perfscope at rest, side by side in the same window (docs/performance.md,
# "Side by side with the build before"): A and B are checkouts that have been built (make build).
#   A=/path/to/old B=/path/to/new bench/rest-side-by-side.sh [WIDTHxHEIGHT]
# Each runs as a user runs it: its launcher, bin/perfscope.js, executed (its first line sets what
# Node needs before it starts), with --no-save and a private HOME. PROBES=a,b,... gives both the
# same --probes (default: each build's default probes). WINDOW=60: the measured seconds.
# A_OPTS: A's own options (default --no-save; A_OPTS= for a build before --no-save existed, c191666).
# CPU: the run time of each screen's process and its children (schedstat), RSS summed over them.
# Each in its own tmux server; both quit with q at the end.
set -euo pipefail
: "${A:?A=checkout of the build before}" "${B:?B=checkout of the build after}"
SIZE=${1:-80x24}; W=${SIZE%x*}; H=${SIZE#*x}
WIN=${WINDOW:-60}
P=${PROBES:+--probes $PROBES}
HOMES=$(mktemp -d)
end() { tmux -L rest-sbs-a kill-server 2>/dev/null || true; tmux -L rest-sbs-b kill-server 2>/dev/null || true; rm -rf "$HOMES"; }
trap end EXIT
mkdir -p "$HOMES/a" "$HOMES/b"
tmux -L rest-sbs-a new-session -d -x "$W" -y "$H" -e HOME="$HOMES/a" "$A/bin/perfscope.js ${A_OPTS---no-save} $P"
tmux -L rest-sbs-b new-session -d -x "$W" -y "$H" -e HOME="$HOMES/b" "$B/bin/perfscope.js --no-save $P"
sleep 12
tree() { echo "$1"; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$c"; done; }
cpu() { local s=0 v; for p in $(tree "$1"); do for t in /proc/"$p"/task/*/schedstat; do v=$(cut -d' ' -f1 "$t" 2>/dev/null || true); s=$((s + ${v:-0})); done; done; echo $s; }
rss() { local s=0 v; for p in $(tree "$1"); do v=$(awk '/VmRSS/{print $2}' /proc/"$p"/status 2>/dev/null || true); s=$((s + ${v:-0})); done; echo $s; }
pa=$(tmux -L rest-sbs-a list-panes -F '#{pane_pid}'); pb=$(tmux -L rest-sbs-b list-panes -F '#{pane_pid}')
a0=$(cpu "$pa"); b0=$(cpu "$pb"); sleep "$WIN"; a1=$(cpu "$pa"); b1=$(cpu "$pb")
awk -v s="$SIZE" -v w="$WIN" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v ra="$(rss "$pa")" -v rb="$(rss "$pb")" \
  'BEGIN { printf "%s before: %.2f %% of a CPU, %d MiB\n%s after:  %.2f %% of a CPU, %d MiB\n", s, a/(w*1e7), ra/1024, s, b/(w*1e7), rb/1024 }'
tmux -L rest-sbs-a send-keys q; tmux -L rest-sbs-b send-keys q; sleep 2
