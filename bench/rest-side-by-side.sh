#!/usr/bin/env bash
# Two builds of perfscope at rest, side by side in the same 60 s window (docs/performance.md,
# "Side by side with the build before"): A and B are checkouts that have been built (make build).
#   A=/path/to/old B=/path/to/new bench/rest-side-by-side.sh [WIDTHxHEIGHT]
# CPU: the run time of each screen's process and its children (schedstat), RSS summed over them.
# Both run the probes the old build has; each in its own tmux server; both quit with q at the end.
set -euo pipefail
: "${A:?A=checkout of the build before}" "${B:?B=checkout of the build after}"
SIZE=${1:-80x24}; W=${SIZE%x*}; H=${SIZE#*x}
P=${PROBES:-offcpu,runqlat,exec,open,tcp,proc,trace,profile,isolation}
end() { tmux -L rest-sbs-a kill-server 2>/dev/null || true; tmux -L rest-sbs-b kill-server 2>/dev/null || true; }
trap end EXIT
tmux -L rest-sbs-a new-session -d -x "$W" -y "$H" "node $A/bin/perfscope.js --probes $P"
tmux -L rest-sbs-b new-session -d -x "$W" -y "$H" "node $B/bin/perfscope.js --no-save --probes $P"
sleep 12
tree() { echo "$1"; for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$c"; done; }
cpu() { local s=0 v; for p in $(tree "$1"); do for t in /proc/"$p"/task/*/schedstat; do v=$(cut -d' ' -f1 "$t" 2>/dev/null || true); s=$((s + ${v:-0})); done; done; echo $s; }
rss() { local s=0 v; for p in $(tree "$1"); do v=$(awk '/VmRSS/{print $2}' /proc/"$p"/status 2>/dev/null || true); s=$((s + ${v:-0})); done; echo $s; }
pa=$(tmux -L rest-sbs-a list-panes -F '#{pane_pid}'); pb=$(tmux -L rest-sbs-b list-panes -F '#{pane_pid}')
a0=$(cpu "$pa"); b0=$(cpu "$pb"); sleep 60; a1=$(cpu "$pa"); b1=$(cpu "$pb")
awk -v s="$SIZE" -v a=$((a1 - a0)) -v b=$((b1 - b0)) -v ra="$(rss "$pa")" -v rb="$(rss "$pb")" \
  'BEGIN { printf "%s before: %.2f %% of a CPU, %d MiB\n%s after:  %.2f %% of a CPU, %d MiB\n", s, a/6e8, ra/1024, s, b/6e8, rb/1024 }'
tmux -L rest-sbs-a send-keys q; tmux -L rest-sbs-b send-keys q; sleep 2
