#!/usr/bin/env bash
# bench/agent-cpu-50.sh [BUILD_DIR] - berth's own CPU while it accounts
# for 50 running containers, in the QEMU guest.  Run from the host:
#
#   tests/vm/run --keep build -- bench/agent-cpu-50.sh build
#
# One pod of 50 busybox containers that sleep, run with `berth run` (its
# default sampling: every container's cgroup files once a second, with
# the live line per container).  Once all 50 are Running and SETTLE
# seconds (5) have passed, utime + stime of the berth process are read
# from /proc/PID/stat at the start and the end of SECONDS_ (60) seconds;
# the container monitors, one process per container, are measured the same
# way, together.  The target is < 1% of a core for berth.  Under TCG the
# guest's CPU is emulated, so these percentages are far above what the
# same work costs on real hardware.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
berth=$build/berth
n=${CONTAINERS:-50}
secs=${SECONDS_:-60}
settle=${SETTLE:-5}
[ "$(id -u)" = 0 ] || { echo "bench: run as root (in the VM: tests/vm/run)" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/bench.XXXXXX)
cg=/sys/fs/cgroup/bench-cpu
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid"
		for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf --one-file-system "$tmp" 2>/dev/null || true
}
trap cleanup EXIT

"$src/tests/images/build-image" busybox "$tmp/img" >/dev/null
"$berth" image --root "$tmp/state" import busybox "$tmp/img" >/dev/null
mkdir -p "$cg"
echo "+cpu +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
{
	cat <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: cpu50}
spec:
  terminationGracePeriodSeconds: 2
  containers:
YAML
	for i in $(seq 0 $((n - 1))); do
		cat <<YAML
  - name: c$i
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    resources: {limits: {cpu: 20m, memory: 8Mi}}
YAML
	done
} >"$tmp/pod.yaml"

"$berth" run --root "$tmp/state" --run-dir "$tmp/run" --log-dir "$tmp/logs" \
	--cgroup-root "$cg/berth" --no-cni --timeout 3600s -f "$tmp/pod.yaml" \
	>"$tmp/out" 2>&1 &
pid=$!

# every container Running (its state line says so once)
for _ in $(seq 900); do
	up=$(grep -c ': Running (restarts 0)$' "$tmp/out" || true)
	[ "$up" -ge "$n" ] && break
	kill -0 "$pid" 2>/dev/null || { cat "$tmp/out" >&2; exit 1; }
	sleep 1
done
[ "$up" -ge "$n" ] || { echo "bench: only $up of $n containers running" >&2; exit 1; }
sleep "$settle"

ticks() { # PIDS...: utime + stime, in clock ticks (builtins only: no fork
	# between the clock reads)
	local t=0 p f
	for p in "$@"; do
		read -r f <"/proc/$p/stat" 2>/dev/null || continue
		f=${f##*) } # after the comm field
		set -- $f
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
monitors() { # the container monitors: forked from berth, detached, still "berth"
	pgrep -x berth | grep -vx "$pid" || true
}
mons=$(monitors | tr '\n' ' ')
hz=$(getconf CLK_TCK)
t0=$EPOCHREALTIME
b0=$(ticks "$pid")
m0=$(ticks $mons)
sleep "$secs"
t1=$EPOCHREALTIME
b1=$(ticks "$pid")
m1=$(ticks $mons)

awk -v b=$((b1 - b0)) -v m=$((m1 - m0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" \
	-v n="$n" -v nm="$(echo $mons | wc -w)" 'BEGIN {
	s = t1 - t0
	printf "berth run, %d containers, %.0f s: berth %.2f%% of a core (%.2f s CPU)\n", n, s, 100 * b / hz / s, b / hz
	printf "container monitors (%d processes): %.2f%% of a core together\n", nm, 100 * m / hz / s }'
