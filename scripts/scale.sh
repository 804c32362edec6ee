#!/usr/bin/env bash
# Scale bed: starts `cabin sim --pods N`, opens the cockpit on it in a tmux pane and reports the
# cockpit's time to first full frame (from its log), time until all pods are on screen, peak
# RSS and CPU seconds. Usage: scripts/scale.sh [N=3000]
set -euo pipefail
N=${1:-3000}
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=$PWD/target/release/cabin
tmp=$(mktemp -d)
SESSION=cabin-scale-$$
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  [ -n "${SIM:-}" ] && kill "$SIM" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

deadline() { echo $(( $(date +%s) + $1 )); }
"$BIN" sim --pods "$N" --kubeconfig-out "$tmp/kubeconfig" >"$tmp/sim.out" 2>&1 &
SIM=$!
until_ts=$(deadline 60)
until [ -s "$tmp/kubeconfig" ]; do
  [ "$(date +%s)" -lt "$until_ts" ] || { echo "simulator did not start:"; cat "$tmp/sim.out"; exit 1; }
  sleep 0.2
done

start_ns=$(date +%s%N)
tmux new-session -d -s "$SESSION" -x 160 -y 50 \
  "env HOME=$tmp XDG_STATE_HOME=$tmp/state XDG_CONFIG_HOME=$tmp/config $BIN --kubeconfig $tmp/kubeconfig --journal $tmp/journal.jsonl"
log="$tmp/state/cabin/cabin.log"
until_ts=$(deadline 120)
until grep -q "first full frame" "$log" 2>/dev/null; do
  [ "$(date +%s)" -lt "$until_ts" ] || { echo "no first full frame within 120 s"; tmux capture-pane -p -t "$SESSION"; exit 1; }
  sleep 0.1
done
first=$(grep -o 'elapsed_ms=[0-9]*' "$log" | head -1 | cut -d= -f2)

# Wait until the header counts (nearly) all generated pods: "Objects: W workloads, P pods".
want=$(( N * 9 / 10 ))
until_ts=$(deadline 180)
while :; do
  pods=$(tmux capture-pane -p -t "$SESSION" | grep -o '[0-9]* pods' | head -1 | cut -d' ' -f1)
  [ "${pods:-0}" -ge "$want" ] && break
  [ "$(date +%s)" -lt "$until_ts" ] || { echo "only ${pods:-0} pods on screen after 180 s"; exit 1; }
  sleep 0.2
done
all_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

pid=$(pgrep -f "^$BIN --kubeconfig $tmp/kubeconfig" | head -1)
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
tck=$(getconf CLK_TCK)
cpu=$(awk -v u="$utime" -v s="$stime" -v t="$tck" 'BEGIN {printf "%.2f", (u + s) / t}')
tmux send-keys -t "$SESSION" q

echo "pods generated:            $N"
echo "pods on screen:            $pods"
echo "time to first full frame:  ${first} ms"
echo "time until pods on screen: ${all_ms} ms"
echo "cockpit peak RSS:          $(( hwm_kb / 1024 )) MiB"
echo "cockpit CPU so far:        ${cpu} s"
