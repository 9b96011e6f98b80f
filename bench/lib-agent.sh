# bench/lib-agent.sh - sourced by the agent benchmarks (probe-load.sh,
# readiness-propagation.sh): a scratch directory, the busybox image in a
# fresh store, an agent in its own cgroup, and the cleanup at exit.
#
#   bench_agent_start BERTH [AGENT OPTIONS...]
#
# sets tmp (the scratch dir), agent (its pid) and BERTH_SOCKET, and returns
# once the agent answers.  bench_cleanup_hook, when defined, runs first at
# exit (to stop what the bench started beside the agent).

bench_agent_start() {
	local berth=$1 i
	shift
	[ "$(id -u)" = 0 ] || { echo "bench: run as root (in the VM: tests/vm/run)" >&2; exit 1; }
	tmp=$(mktemp -d /var/tmp/bench.XXXXXX)
	bench_cg=/sys/fs/cgroup/bench-agent
	trap _bench_cleanup EXIT
	"$src/tests/images/build-image" busybox "$tmp/img" >/dev/null
	"$berth" image --root "$tmp/root" import busybox "$tmp/img" >/dev/null
	echo "+cpu +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
	mkdir -p "$bench_cg"
	export BERTH_SOCKET=$tmp/s
	"$berth" agent --root "$tmp/root" --socket "$tmp/s" --run-dir "$tmp/run" \
		--log-dir "$tmp/logs" --cgroup-root "$bench_cg" "$@" >"$tmp/agent.log" 2>&1 &
	agent=$!
	for i in $(seq 200); do
		"$berth" get ns >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "bench: the agent does not answer" >&2
	tail -20 "$tmp/agent.log" >&2
	exit 1
}

_bench_cleanup() {
	! declare -F bench_cleanup_hook >/dev/null || bench_cleanup_hook || true
	if [ -n "${agent:-}" ]; then
		kill -TERM "$agent" 2>/dev/null || true # its nftables table goes
		sleep 2
		kill -9 "$agent" 2>/dev/null || true
	fi
	echo 1 >"$bench_cg/cgroup.kill" 2>/dev/null || true
	sleep 1
	awk -v d="$tmp/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf --one-file-system "$tmp"
}
