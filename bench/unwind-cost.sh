#!/usr/bin/env bash
# The cost of the stacks of issue 27, measured here and now (only these rows, not `npm run bench`):
#   profile:  BPF ns per sample of perfscope's profile with stack copies (CFI unwinding) and with
#             --profile-fp (frame pointers only), beside bpftrace's frame-pointer one-liner
#             `profile:hz:49 { @[kstack, ustack, comm] = count(); }` in the same window, on the
#             switch load (a pipe ping-pong) and the open load; plus perfscope's user-space
#             unwinding time per stack (unwind_ms / unwound of --json).
#   off-CPU:  BPF ns per sched_switch of the off-CPU stacks (copies vs --offcpu-stacks-fp) on
#             the switch load, beside libbpf-tools' offcputime in the same window.
# Needs root, bpftrace and libbpf-tools (apt-get install bpftrace libbpf-tools), a built tree.
# Prints one markdown table. Usage: bench/unwind-cost.sh [SECONDS per row, default 8]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-8}"
tmp=$(mktemp -d /tmp/perfscope-unwind-cost.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; pkill -P "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cc -O2 -o "$tmp/psload" bench/psload.c
: > "$tmp/target"

# run_time_ns and run_cnt of the programs named $1 whose id is not in the file $2 (the ids of that
# name that were there before: other perfscopes on the host have programs of the same names).
prog_stats() {
  bpftool -j prog show | python3 -c '
import json, sys
old = set(open(sys.argv[2]).read().split()) if len(sys.argv) > 2 else set()
ns = cnt = 0
for p in json.load(sys.stdin):
    if p.get("name") == sys.argv[1] and str(p["id"]) not in old:
        ns += p.get("run_time_ns", 0); cnt += p.get("run_cnt", 0)
print(ns, cnt)' "$@"
}
prog_ids() { bpftool -j prog show | python3 -c 'import json, sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin) if p.get("name") == sys.argv[1]))' "$1"; }

load() { # the load, in the background, until killed
  case "$1" in
    switch) (while :; do "$tmp/psload" pipe 200000 > /dev/null; done) & ;;
    open) (while :; do "$tmp/psload" open 400000 "$tmp/target" > /dev/null; done) & ;;
  esac
  pids+=($!)
}

# perfscope --json for $secs intervals with extra args; prints "ns_per_event unwound unwind_ms".
perfscope_row() {
  local probe="$1" key="$2"; shift 2
  node bin/perfscope.js --json -n "$secs" --probes "$probe" "$@" > "$tmp/out.json"
  python3 - "$tmp/out.json" "$probe" "$key" <<'EOF'
import json, sys
ns = []; unw = 0; ms = 0.0
for line in open(sys.argv[1]):
    d = json.loads(line)
    h = d["probes"][sys.argv[2]]
    if h.get("ns_per_event"): ns.append(h["ns_per_event"])
    s = d.get(sys.argv[3]) or {}
    unw += s.get("unwound") or 0; ms += s.get("unwind_ms") or 0
ns = ns[1:] or ns  # the first interval holds the attach
print(f"{sum(ns)/max(1,len(ns)):.0f} {unw} {ms:.1f}")
EOF
}

echo "| row | load | perfscope BPF ns/run | peer | peer BPF ns/run | ratio | unwound stacks | user-space us/stack |"
echo "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"
for l in switch open; do
  for mode in cfi fp; do
    load "$l"
    extra=(); [ "$mode" = fp ] && extra=(--profile-fp)
    bpftrace -e 'profile:hz:49 { @[kstack, ustack, comm] = count(); }' > /dev/null 2>&1 &
    bt=$!; pids+=($bt)
    sleep 2
    read -r bns0 bcnt0 < <(prog_stats 49)
    read -r ns unw ms < <(perfscope_row profile profile "${extra[@]}")
    read -r bns1 bcnt1 < <(prog_stats 49)
    kill "$bt" 2>/dev/null || true
    kill "${pids[-2]}" 2>/dev/null || true
    pkill -P "${pids[-2]}" 2>/dev/null || true
    wait 2>/dev/null || true
    bpeer=$(( (bcnt1 - bcnt0) > 0 ? (bns1 - bns0) / (bcnt1 - bcnt0) : 0 ))
    per=$(python3 -c "print(f'{1000*$ms/$unw:.0f}' if $unw else '-')")
    ratio=$(python3 -c "print(f'{$ns/$bpeer:.2f}' if $bpeer else '-')")
    echo "| profile ($mode) | $l | $ns | bpftrace profile one-liner | $bpeer | x$ratio | $unw | $per |"
  done
done
for mode in cfi fp; do
  load switch
  extra=(--offcpu-stacks); [ "$mode" = fp ] && extra+=(--offcpu-stacks-fp)
  offcputime > /dev/null 2>&1 &
  oc=$!; pids+=($oc)
  sleep 2
  prog_ids ps_offstacks > "$tmp/old-ids"
  node bin/perfscope.js --json -n "$secs" --probes offcpu "${extra[@]}" > "$tmp/off.json" &
  ps_pid=$!
  sleep 2 # loaded and running; measured over the next secs-3 seconds
  read -r pns0 pcnt0 < <(prog_stats ps_offstacks "$tmp/old-ids")
  read -r ons0 ocnt0 < <(prog_stats sched_switch)
  sleep $((secs - 3))
  read -r pns1 pcnt1 < <(prog_stats ps_offstacks "$tmp/old-ids")
  read -r ons1 ocnt1 < <(prog_stats sched_switch)
  wait "$ps_pid"
  kill "$oc" 2>/dev/null || true
  kill "${pids[-2]}" 2>/dev/null || true
  pkill -P "${pids[-2]}" 2>/dev/null || true
  wait 2>/dev/null || true
  ns=$(( (pcnt1 - pcnt0) > 0 ? (pns1 - pns0) / (pcnt1 - pcnt0) : 0 ))
  read -r unw ms < <(python3 - "$tmp/off.json" <<'EOF'
import json, sys
unw = 0; ms = 0.0
for line in open(sys.argv[1]):
    d = json.loads(line)
    st = d.get("offcpu_stacks") or {}
    unw += st.get("unwound") or 0; ms += st.get("unwind_ms") or 0
print(unw, f"{ms:.1f}")
EOF
)
  bpeer=$(( (ocnt1 - ocnt0) > 0 ? (ons1 - ons0) / (ocnt1 - ocnt0) : 0 ))
  per=$(python3 -c "print(f'{1000*$ms/$unw:.1f}' if $unw else '-')")
  ratio=$(python3 -c "print(f'{$ns/$bpeer:.2f}' if $bpeer else '-')")
  echo "| off-CPU stacks ($mode) | switch | $ns | libbpf-tools offcputime | $bpeer | x$ratio | $unw | $per |"
done
