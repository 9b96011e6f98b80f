#!/usr/bin/env bash
# bench/agent-pods.sh [BUILD_DIR] - the agent with a batch of pods: the
# time from `berth apply` of N one-container pods (busybox sleep, no CNI)
# to each container's exec (the startedAt its monitor records, in
# nanoseconds), p50 and p99; then the agent's RSS and its CPU over
# SECONDS_ (30) s with the N pods running (the 10 s housekeeping samples
# included).  The idle agent's RSS and CPU (no pod, over 10 s) come first.
# Each RSS line is followed by the shared libraries the agent has mapped
# (libcurl, libarchive, libnftables... are loaded only once a code path
# needs them: lib/lazylib.h).  The agent's setup is bench/lib-agent.sh's.
# Run from the host:
#
#   tests/vm/run --keep build -- bench/agent-pods.sh build
#
# Environment:
#   PODS=N        the number of pods (100)
#   CONTAINERS=N  instead: one pod of N containers (issue #5's "agent CPU
#                 while 50 containers are accounted": CONTAINERS=50)
#   SECONDS_=S    the measured window with the pods running (30)
#   SMAPS=1       also print where the agent's RSS is: the largest mappings
#                 of /proc/PID/smaps (Rss, Private_Dirty) and their totals
#   MALLOC=1      and, at the end, the agent's malloc_stats() (in use and
#                 free heap bytes, through gdb) and its RSS after a
#                 malloc_trim(0)
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
berth=$build/berth
n=${PODS:-100}
containers=${CONTAINERS:-}
secs=${SECONDS_:-30}
. "$src/bench/lib-agent.sh"
bench_agent_start "$berth" --no-cni

rss() { awk '/VmRSS/ {print $2}' "/proc/$agent/status"; }
ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
# the shared libraries mapped (the lazily loaded ones appear once used)
libs() { awk '$6 ~ /\.so/ {print $6}' "/proc/$agent/maps" | sort -u | wc -l; }
libnames() { awk '$6 ~ /\.so/ {n = $6; sub(/.*\//, "", n); print n}' "/proc/$agent/maps" | sort -u | tr '\n' ' '; }
hz=$(getconf CLK_TCK)
# where the RSS is: mappings by Rss, with their Private_Dirty (kB)
smaps() {
  [ -n "${SMAPS:-}" ] || return 0
  awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "" ? "[anon]" : $6)}
       /^Rss:/ {rss[name] += $2; trss += $2}
       /^Private_Dirty:/ {pd[name] += $2; tpd += $2}
       END {for (k in rss) if (rss[k] > 0) printf "  %6d kB rss %6d kB private dirty  %s\n", rss[k], pd[k], k
            printf "  %6d kB rss %6d kB private dirty  total\n", trss, tpd}' \
    "/proc/$agent/smaps" | sort -rn | head -25
}
sleep 5 # the start settles (the first sync rounds, the API)
c0=$(ticks)
sleep 10
c1=$(ticks)
printf 'idle agent: RSS %.1f MiB; CPU %d ticks in 10 s; %d shared libraries mapped\n' \
  "$(awk -v r="$(rss)" 'BEGIN {print r / 1024}')" "$((c1 - c0))" "$(libs)"
echo "  $(libnames)"
smaps

if [ -n "$containers" ]; then
  # one pod of N containers (the accounting load of issue #5)
  {
    printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p1}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n'
    for i in $(seq "$containers"); do
      printf '  - name: c%d\n    image: busybox\n    command: ["sleep", "3600"]\n    resources: {limits: {cpu: 20m, memory: 8Mi}}\n' "$i"
    done
  } >"$tmp/pods.yaml"
  n=1
else
  for i in $(seq "$n"); do
    printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: busybox\n    command: ["sleep", "3600"]\n' "$i"
  done >"$tmp/pods.yaml"
fi

t0=$(date +%s.%N)
"$berth" apply -f "$tmp/pods.yaml" >/dev/null
until [ "$("$berth" get pods 2>/dev/null | grep -c ' Running ')" -ge "$n" ]; do sleep 0.5; done
t1=$(date +%s.%N)

# each container's exec, from its monitor's status file
for f in "$tmp"/root/pods/*/containers/*/0/status.json; do
  sed -n 's/.*"startedAt": *"\([^"]*\)".*/\1/p' "$f" | head -1
done | while read -r ts; do
  date -d "$ts" +%s.%N
done | awk -v t0="$t0" '{print ($1 - t0) * 1000}' | sort -n >"$tmp/lat"
count=$(wc -l <"$tmp/lat")
p50=$(awk -v n="$count" 'NR == int((n + 1) / 2)' "$tmp/lat")
p99=$(awk -v n="$count" 'NR == int(n * 0.99 + 0.999)' "$tmp/lat")
printf '%s: %d started in %.1f s (apply to the last Running)\n' "$([ -n "$containers" ] && echo containers || echo pods)" "$count" "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')"
printf 'apply to exec: p50 %.0f ms, p99 %.0f ms\n' "$p50" "$p99"

what="$n pods"
[ -z "$containers" ] || what="1 pod of $containers containers"
c0=$(ticks)
sleep "$secs"
c1=$(ticks)
awk -v what="$what" -v rss="$(rss)" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v s="$secs" 'BEGIN {
  printf "agent with %s: RSS %.1f MiB; CPU %.2f%% of a core over %d s (%d ticks)\n",
    what, rss / 1024, (c1 - c0) * 100 / hz / s, s, c1 - c0 }'
printf '%d shared libraries mapped\n  %s\n' "$(libs)" "$(libnames)"
smaps
if [ -n "${MALLOC:-}" ]; then
  gdb -q -batch -p "$agent" -ex 'call (void) malloc_stats ()' >/dev/null 2>&1 || true
  sleep 0.5
  grep -A3 '^Total' "$tmp/agent.log" | tail -4 || true
  gdb -q -batch -p "$agent" -ex 'call (int) malloc_trim (0)' >/dev/null 2>&1 || true
  printf 'after malloc_trim(0): RSS %.1f MiB\n' "$(awk -v r="$(rss)" 'BEGIN {print r / 1024}')"
fi
