# Helpers shared by scripts/scale.sh and scripts/sim-idle.sh (sourced; they set $tmp and $BIN).
# The cabin binary to measure: $CABIN_BIN, or a fresh release build.
cabin_bin() {
  if [ -z "${CABIN_BIN:-}" ]; then
    cargo build --release --quiet
    CABIN_BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/cabin
  fi
  realpath "$CABIN_BIN"
}
deadline() { echo $(( $(date +%s) + $1 )); }
# CPU seconds (user + system) of a process.
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
hwm_mb() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }
# b - a, two decimals.
minus() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
# p50 / p99 / max of the numbers on stdin (microseconds in, milliseconds out).
pct() { sort -n | awk '{v[NR] = $1} END {if (NR == 0) {print "none"; exit}
  i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
  printf "p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%d)", v[i50] / 1000, v[i99] / 1000, v[NR] / 1000, NR}'; }
# Runs a command on the simulator's CPUs ($SIM_CPUS, a taskset list; unset: anywhere).
on_sim() { if [ -n "${SIM_CPUS:-}" ]; then taskset -c "$SIM_CPUS" "$@"; else "$@"; fi; }
# Runs a command on the cockpit's CPUs ($UI_CPUS; unset: anywhere).
on_ui() { if [ -n "${UI_CPUS:-}" ]; then taskset -c "$UI_CPUS" "$@"; else "$@"; fi; }
# How many of the numbers on stdin exceed $1.
over() { awk -v lim="$1" '$1 > lim {n++} END {printf "%d of %d", n, NR}'; }
kc() { on_sim kubectl --kubeconfig "$tmp/kubeconfig" "$@"; }
# How many Deployments have a READY column other than n/n (-1 when they cannot be listed).
unready() {
  local out
  out=$(kc get deploy -A --no-headers 2>/dev/null) && [ -n "$out" ] || { echo -1; return; }
  awk '{split($3, r, "/"); if (r[1] != r[2]) n++} END {print n + 0}' <<<"$out"
}
# Waits (at most $1 s, looking every ${2:-2} s) until every Deployment is ready. Each look lists
# every Deployment: a load of its own on the simulator, hence the spacing.
wait_ready() {
  local until_ts; until_ts=$(deadline "$1")
  while [ "$(unready)" != 0 ]; do
    [ "$(date +%s)" -lt "$until_ts" ] || { echo "Deployments not ready after $1 s: $(unready)"; exit 1; }
    sleep "${2:-2}"
  done
}
# Waits (at most $1 s, looking every 3 s) until $2 pods exist and all are Running. Each look asks for one page of
# one pod that is not Running (cheap), and counts the Running pods only when there is none.
wait_running() {
  local until_ts; until_ts=$(deadline "$1")
  while :; do
    if [ -z "$(kc get pods -A --field-selector=status.phase!=Running --chunk-size=1 -o name 2>/dev/null | head -1)" ] &&
      [ "$(kc get pods -A --field-selector=status.phase=Running -o name 2>/dev/null | wc -l)" -ge "$2" ]; then
      return
    fi
    [ "$(date +%s)" -lt "$until_ts" ] || { echo "pods not all Running after $1 s"; exit 1; }
    sleep 3
  done
}
# Starts `cabin sim --pods $1` (pid in $SIM) and waits for its kubeconfig.
start_sim() {
  # taskset execs the simulator: $SIM is the simulator's own pid either way.
  local pin=()
  [ -z "${SIM_CPUS:-}" ] || pin=(taskset -c "$SIM_CPUS")
  "${pin[@]}" "$BIN" sim --pods "$1" --kubeconfig-out "$tmp/kubeconfig" >"$tmp/sim.out" 2>&1 &
  SIM=$!
  local until_ts; until_ts=$(deadline 120)
  until [ -s "$tmp/kubeconfig" ]; do
    [ "$(date +%s)" -lt "$until_ts" ] || { echo "simulator did not start:"; cat "$tmp/sim.out"; exit 1; }
    sleep 0.1
  done
}
