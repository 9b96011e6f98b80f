#!/usr/bin/env bash
# bench/oom-latency.sh [BUILD_DIR] - OOM detection latency: from the
# kernel's OOM kill to berth knowing of it, in the QEMU guest.  Run from
# the host:
#
#   tests/vm/run --keep build -- bench/oom-latency.sh build
#
# The pod is the Kubernetes docs' memory-demo-2 (stress allocating 250M
# under a 100Mi limit) with restartPolicy POLICY (Never; with Always or
# OnFailure the container is restarted in place, so no pod teardown
# follows its exit), run ROUNDS times (10) with `berth run` (--timeout
# TIMEOUT: 120s, 20s with a restart policy that restarts).  The first OOM
# kill is measured.  bench/oom-latency-tool.c stamps each line berth prints
# as it arrives (CLOCK_MONOTONIC) and reads the kernel's "Memory cgroup out
# of memory: Killed process" record from /dev/kmsg, whose printk clock it
# puts on CLOCK_MONOTONIC with a marker record written between two clock
# reads.  The kill is the OOM killer's "oom-kill:constraint=..." record,
# printed right before it raises memory.events oom_kill and sends SIGKILL.
# Four latencies:
#
#   kill->exit    the container's exit as its monitor records it (the
#                 attempt's finishedAt in the -o json report): the kernel
#                 tearing the 100Mi process down, then the monitor's reap
#   kill->event   the "OOMKilling" event line of berth run
#   kill->status  the "Terminated (OOMKilled, exit code 137)" line
#   kill->watch   berth's oom_watch alone (inotify on memory.events and the
#                 counter comparison) on a bare cgroup running the same
#                 stress, without the runtime around it
#
# Prints p50 and max of each in milliseconds; the target is < 50 ms.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
berth=$build/berth
rounds=${ROUNDS:-10}
policy=${POLICY:-Never}
case $policy in
Never) timeout=${TIMEOUT:-120s} ;;
Always | OnFailure) timeout=${TIMEOUT:-20s} ;;
*) echo "bench: POLICY is Never, OnFailure or Always" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "bench: run as root (in the VM: tests/vm/run)" >&2; exit 1; }
[ -x "$berth" ] && [ -f "$build/libberth.a" ] || { echo "bench: build $build first" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/bench.XXXXXX)
cg=/sys/fs/cgroup/bench-oom
cleanup() {
	rmdir "$cg/watch" "$cg/berth/burstable" "$cg/berth/besteffort" "$cg/berth" "$cg" 2>/dev/null || true
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

tool=$tmp/oom-latency-tool
${CC:-cc} -std=gnu11 -O2 -I"$src/lib" -I"$src/cgroups" -I"$src/model" \
	-include "$build/config.h" "$src/bench/oom-latency-tool.c" \
	"$build/libberth.a" -lm -o "$tool"

"$src/tests/images/build-image" stress "$tmp/img" >/dev/null
"$berth" image --root "$tmp/state" import polinux/stress "$tmp/img" >/dev/null
mkdir -p "$cg"
echo "+cpu +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
echo "+cpu +memory +pids" >"$cg/cgroup.subtree_control"
sed "s/^spec:\$/spec:\\n  restartPolicy: $policy/" \
	"$src/tests/fixtures/docs/pods-resource-memory-request-limit-2.yaml" >"$tmp/pod.yaml"

declare -a ev st ex wa
for i in $(seq "$rounds"); do
	rm -rf --one-file-system "$tmp/run" "$tmp/logs"
	line=$("$tool" run -- "$berth" run --root "$tmp/state" --run-dir "$tmp/run" \
		--log-dir "$tmp/logs" --cgroup-root "$cg/berth" --no-cni \
		--timeout "$timeout" -o json -f "$tmp/pod.yaml" 2>>"$tmp/run.log") || true
	echo "berth run $i: $line"
	# kill->event E kill->status S kill->exit X cal C kgap G
	set -- $line
	[ "${1:-}" = "kill->event" ] || continue
	ev+=("$2")
	st+=("$4")
	ex+=("$6")
done

stress=$(command -v stress) || { echo "bench: no stress on this machine" >&2; exit 1; }
for i in $(seq "$rounds"); do
	mkdir "$cg/watch"
	echo 100M >"$cg/watch/memory.max"
	echo 0 >"$cg/watch/memory.swap.max"
	echo 1 >"$cg/watch/memory.oom.group"
	line=$("$tool" watch "$cg/watch" -- "$stress" --vm 1 --vm-bytes 250M \
		--vm-hang 1 2>>"$tmp/run.log") || true
	echo "oom_watch $i: $line"
	rmdir "$cg/watch"
	set -- $line
	[ "${1:-}" = "kill->watch" ] || continue
	wa+=("$2")
done

stats() { # LABEL VALUES...: p50 and max
	local label=$1
	shift
	[ $# -gt 0 ] || { printf '%-44s no OOM kill seen\n' "$label"; return; }
	printf '%s\n' "$@" | sort -n | awk -v l="$label" '{ v[NR] = $1 } END {
	  printf "%-44s p50 %7.1f ms   max %7.1f ms   (%d runs)\n", l, v[int((NR + 1) / 2)], v[NR], NR }'
}
echo
echo "restartPolicy $policy"
stats "kernel kill -> exit recorded by the monitor" "${ex[@]}"
stats "kernel kill -> berth run OOMKilling event" "${ev[@]}"
stats "kernel kill -> berth run status OOMKilled" "${st[@]}"
stats "kernel kill -> oom_watch wake-up (no runtime)" "${wa[@]}"
