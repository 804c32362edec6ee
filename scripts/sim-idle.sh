#!/usr/bin/env bash
# The simulator's own cost: starts `cabin sim --pods N` (no cockpit) and reports the time until
# all N pods are Running (looked at every 3 s), until every Deployment is ready (every 5 s),
# then CPU and RSS over an idle minute (nothing changing).
# Usage: scripts/sim-idle.sh [N=10000]
# Environment: CABIN_BIN (a built cabin; default: cargo build --release), IDLE_SECS (60).
set -euo pipefail
N=${1:-10000}
IDLE_SECS=${IDLE_SECS:-60}
cd "$(dirname "$0")/.."
# shellcheck source=scripts/scale-lib.sh
. scripts/scale-lib.sh
BIN=$(cabin_bin)
tmp=$(mktemp -d)
cleanup() {
  [ -n "${SIM:-}" ] && kill "$SIM" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start_ns=$(date +%s%N)
start_sim "$N"
wait_running 900 "$N"
running_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
wait_ready 900 5
ready_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "pods generated:               $N"
echo "all pods Running after:       ${running_ms} ms"
echo "all Deployments ready after:  ${ready_ms} ms (looked at every 5 s)"
echo "sim CPU until then:           $(cpu_s "$SIM") s, peak RSS $(hwm_mb "$SIM") MiB"
sleep 2
c0=$(cpu_s "$SIM")
sleep "$IDLE_SECS"
c1=$(cpu_s "$SIM")
echo "idle ${IDLE_SECS} s:                  sim CPU $(minus "$c0" "$c1") s ($(awk -v a="$c0" -v b="$c1" -v t="$IDLE_SECS" 'BEGIN {printf "%.1f", (b - a) * 100 / t}') % of a core), RSS $(rss_mb "$SIM") MiB, peak RSS $(hwm_mb "$SIM") MiB"
