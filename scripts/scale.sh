#!/usr/bin/env bash
# Scale bed for the cockpit: starts `cabin sim --pods N`, waits until its pods are Running,
# opens the cockpit on it in a tmux pane and reports
#   - time to the first full frame (from the cockpit's log) and until all pods are on screen;
#   - once every Deployment is ready: the cockpit's CPU over an idle minute (nothing changing);
#   - a burst: `kubectl rollout restart` of Deployments totalling BURST_PODS pods (each pod is
#     replaced: created, scheduled, started, made ready, the old one deleted — several updates
#     per pod) while keys are sent every 200 ms; frame times and key-to-frame times (p50/p99/max)
#     read from the cockpit's log (`cabin::perf` lines) for the burst;
#   - the cockpit's peak RSS and total CPU.
# Usage: scripts/scale.sh [N=50000]
# Environment: CABIN_BIN (a built cabin; default: cargo build --release), IDLE_SECS (60),
# BURST_PODS (5000; 0 skips the burst), KEEP=1 (keep the temp dir with the logs).
# On a machine with two or more CPUs the simulator and kubectl run on CPU 1 and the cockpit
# and its terminal (tmux) on CPU 0, as a cluster and an engineer's laptop would be apart:
# the cockpit's figures are then its own, not time spent waiting for the simulator's CPU.
# SIM_CPUS / UI_CPUS (taskset lists) change that; SIM_CPUS= UI_CPUS= (empty) shares all CPUs.
set -euo pipefail
N=${1:-50000}
IDLE_SECS=${IDLE_SECS:-60}
BURST_PODS=${BURST_PODS:-5000}
cd "$(dirname "$0")/.."
if [ "$(nproc)" -ge 2 ]; then
  SIM_CPUS=${SIM_CPUS-1}
  UI_CPUS=${UI_CPUS-0}
fi
# shellcheck source=scripts/scale-lib.sh
. scripts/scale-lib.sh
BIN=$(cabin_bin)
tmp=$(mktemp -d)
SESSION=cabin-scale-$$
# A tmux server of its own: the cleanup never touches anyone else's sessions.
SOCK=cabin-scale-$$
t() { tmux -L "$SOCK" "$@"; }
cleanup() {
  t kill-server 2>/dev/null || true
  [ -n "${SIM:-}" ] && kill "$SIM" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

start_sim "$N"
# The cockpit opens on a settled cluster (every pod Running, every Deployment ready), as an
# engineer opens it on a real one: its start is measured, not the simulator creating pods.
wait_running 900 "$N"
wait_ready 900 5

mkdir -p "$tmp/config/cabin"
echo 'logLevel: "info,cabin::perf=debug"' >"$tmp/config/cabin/config.yaml"
start_ns=$(date +%s%N)
# The tmux server starts here, on the cockpit's CPUs.
on_ui tmux -L "$SOCK" new-session -d -s "$SESSION" -x 160 -y 50 \
  "env HOME=$tmp XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config $BIN --kubeconfig $tmp/kubeconfig --journal $tmp/journal.jsonl"
log="$tmp/state/cabin/cabin.log"
until_ts=$(deadline 120)
until grep -q "first full frame" "$log" 2>/dev/null; do
  [ "$(date +%s)" -lt "$until_ts" ] || { echo "no first full frame within 120 s"; t capture-pane -p -t "$SESSION"; exit 1; }
  sleep 0.1
done
first=$(grep "first full frame" "$log" | grep -o 'elapsed_ms=[0-9]*' | head -1 | cut -d= -f2)

# Wait until the header counts (nearly) all generated pods: "Objects: W workloads, P pods".
want=$(( N * 9 / 10 ))
until_ts=$(deadline 300)
while :; do
  pods=$(t capture-pane -p -t "$SESSION" | grep -o '[0-9]* pods' | head -1 | cut -d' ' -f1)
  [ "${pods:-0}" -ge "$want" ] && break
  [ "$(date +%s)" -lt "$until_ts" ] || { echo "only ${pods:-0} pods on screen after 300 s"; exit 1; }
  sleep 0.2
done
all_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
pid=$(pgrep -f "^$BIN --kubeconfig $tmp/kubeconfig" | head -1)
cpu_start=$(cpu_s "$pid")
hwm_start=$(hwm_mb "$pid")

echo "CPUs: simulator ${SIM_CPUS:-any}, cockpit ${UI_CPUS:-any}; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pods generated:              $N"
echo "pods on screen:              $pods"
echo "time to first full frame:    ${first} ms"
echo "time until pods on screen:   ${all_ms} ms"
echo "cockpit peak RSS by then:    ${hwm_start} MiB"
echo "cockpit CPU by then:         ${cpu_start} s"

sleep 2
c0=$(cpu_s "$pid"); s0=$(cpu_s "$SIM")
sleep "$IDLE_SECS"
c1=$(cpu_s "$pid"); s1=$(cpu_s "$SIM")
echo "idle ${IDLE_SECS} s: cockpit CPU $(minus "$c0" "$c1") s, sim CPU $(minus "$s0" "$s1") s; cockpit RSS $(rss_mb "$pid") MiB, sim RSS $(rss_mb "$SIM") MiB"

if [ "$BURST_PODS" -gt 0 ]; then
  # Deployments (in list order) until their replicas reach BURST_PODS, one kubectl per namespace.
  kc get deploy -A --no-headers -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,R:.spec.replicas \
    | awk -v want="$BURST_PODS" 'sum < want {sum += $3; names[$1] = names[$1] " " $2} END {for (ns in names) print ns names[ns]; print sum > "/dev/stderr"}' \
    >"$tmp/burst.txt" 2>"$tmp/burst.sum"
  mark=$(wc -l <"$log")
  b0=$(date +%s%N); c0=$(cpu_s "$pid")
  # Keys during the burst: down, up, … every 200 ms until the burst settles.
  ( while [ ! -e "$tmp/burst.done" ]; do t send-keys -t "$SESSION" j; sleep 0.1; t send-keys -t "$SESSION" k; sleep 0.1; done ) &
  KEYS=$!
  on_sim xargs -P 4 -L 1 sh -c 'ns=$0; kubectl --kubeconfig "'"$tmp"'/kubeconfig" rollout restart deployment -n "$ns" "$@" >/dev/null' <"$tmp/burst.txt"
  sent_ms=$(( ($(date +%s%N) - b0) / 1000000 ))
  wait_ready 900
  touch "$tmp/burst.done"; wait "$KEYS" 2>/dev/null || true
  sleep 1
  burst_ms=$(( ($(date +%s%N) - b0) / 1000000 ))
  c1=$(cpu_s "$pid")
  echo "burst: rollout restart of Deployments with $(cat "$tmp/burst.sum") pods; restarts sent in ${sent_ms} ms, all ready again after ${burst_ms} ms"
  echo "burst: cockpit CPU $(minus "$c0" "$c1") s"
  frames() { tail -n +"$mark" "$log" | grep -o " $1=[0-9]*" | cut -d= -f2; }
  echo "burst frames:                $(frames frame_us | pct); over 16 ms: $(frames frame_us | over 16000)"
  echo "burst frames, building:      $(frames render_us | pct)"
  echo "burst key-to-frame:          $(frames key_to_frame_us | pct); over 50 ms: $(frames key_to_frame_us | over 50000)"
fi

echo "cockpit peak RSS:            $(hwm_mb "$pid") MiB"
echo "cockpit CPU total:           $(cpu_s "$pid") s"
t send-keys -t "$SESSION" q
