#!/usr/bin/env bash
# bench/leaks.sh [BUILD_DIR] - does anything leak over many pod create/delete
# cycles?  Runs CYCLES cycles (1000) without CNI, then CNI_CYCLES (200) with
# berth's default bridge network, each in one long-lived process
# (tests/integration/pod-cycle: the pod runner, as the agent uses it), and
# counts before and after: the process's fds and mounts, the machine's
# mounts, network namespace files, veths, allocated pod IPs, cgroups,
# processes, zombies and files left in the run dir.  Run from the host:
#
#   tests/vm/run --timeout 7200 --keep build -- bench/leaks.sh build
#
# The pod: one container running `true` under a memory limit (a CPU limit
# would only slow its start down), with an emptyDir on tmpfs, a secret
# volume and a configMap volume, and a shared PID namespace (so a pause
# process too).  Under TCG a cycle takes about 0.5 s without CNI and 15 s
# with it (six Go plugins and iptables per ADD and DEL).  Measured on
# 2026-11-27 (TCG guest, 2 shared cores): 1,000 cycles without CNI in
# 583 s, 50 with CNI in 753 s, every count the same before and after.  Prints one table per phase and exits 1 if any count
# differs.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
cycler=$build/tests/integration/pod-cycle
berth=$build/berth
cycles=${CYCLES:-1000}
cni_cycles=${CNI_CYCLES:-200}
[ "$(id -u)" = 0 ] || { echo "bench: run as root (in the VM: tests/vm/run)" >&2; exit 1; }
[ -x "$cycler" ] || { echo "bench: no $cycler (run make)" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/leaks.XXXXXX)
cgroot=/sys/fs/cgroup/leaks
trap 'rm -rf --one-file-system "$tmp"; rmdir "$cgroot" 2>/dev/null || true' EXIT

"$src/tests/images/build-image" busybox "$tmp/img" >/dev/null
"$berth" image --root "$tmp/state" import busybox "$tmp/img" >/dev/null
echo "+cpu +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cgroot"

cat >"$tmp/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: leak, namespace: default, uid: 0b8f5d2e-leak-4c1a-9d7e-000000000001}
spec:
  restartPolicy: Never
  shareProcessNamespace: true
  volumes:
  - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
  - {name: creds, secret: {secretName: creds}}
  - {name: conf, configMap: {name: conf}}
  containers:
  - name: c
    image: busybox
    command: ["true"]
    resources: {limits: {memory: 32Mi}}
    volumeMounts:
    - {name: scratch, mountPath: /scratch}
    - {name: creds, mountPath: /creds}
    - {name: conf, mountPath: /conf}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: conf, namespace: default}
data: {key: value}
YAML

count() { # what: one number
	case "$1" in
	mounts) wc -l </proc/self/mountinfo ;;
	nsfs) grep -c ' - nsfs ' /proc/self/mountinfo || true ;;
	netns) find "$tmp/run" -path '*/ns/*' 2>/dev/null | wc -l ;;
	veths) ip -o link show type veth | wc -l ;;
	ips) { find /var/lib/cni/networks/berth -maxdepth 1 -name '10.*' 2>/dev/null || true; } | wc -l ;;
	cgroups) find "$cgroot" -type d | wc -l ;;
	procs) # user-space processes (kernel threads have no command line)
		local p c n=0
		for p in /proc/[0-9]*; do
			IFS= read -r -d "" c 2>/dev/null <"$p/cmdline" && n=$((n + 1))
		done
		echo "$n"
		;;
	zombies) awk '$3 == "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l || true ;;
	runfiles) find "$tmp/run" -mindepth 1 2>/dev/null | wc -l ;;
	esac
}
what=(mounts nsfs netns veths ips cgroups procs zombies runfiles)

# phase NAME N FLAGS...: N cycles, the table, 1 if something leaked
phase() {
	local name=$1 n=$2 w out t0 t1 leaked=0
	shift 2
	declare -A before
	# a first cycle makes what stays: the QoS cgroups, the run dir's
	# layout, the CNI network
	"$cycler" --root "$tmp/state" --run-dir "$tmp/run" --log-dir "$tmp/logs" \
		--cgroup-root "$cgroot/berth" "$@" 1 "$tmp/pod.yaml" >/dev/null
	for w in "${what[@]}"; do before[$w]=$(count "$w"); done
	t0=$(date +%s)
	out=$("$cycler" --root "$tmp/state" --run-dir "$tmp/run" --log-dir "$tmp/logs" \
		--cgroup-root "$cgroot/berth" "$@" "$n" "$tmp/pod.yaml")
	t1=$(date +%s)
	sleep 1 # the last monitors are reaped by init
	echo "== $name: $n cycles in $((t1 - t0)) s ($(sed -n 's/^cycle_ms_median=//p' <<<"$out") ms median per cycle, max $(sed -n 's/^cycle_ms_max=//p' <<<"$out") ms; failed pods: $(sed -n 's/^failed=//p' <<<"$out"))"
	printf '   %-28s %8s %8s\n' "" before after
	printf '   %-28s %8s %8s\n' "fds of the cycling process" \
		"$(sed -n 's/^fds_before=//p' <<<"$out")" "$(sed -n 's/^fds_after=//p' <<<"$out")"
	printf '   %-28s %8s %8s\n' "mounts seen by it" \
		"$(sed -n 's/^mounts_before=//p' <<<"$out")" "$(sed -n 's/^mounts_after=//p' <<<"$out")"
	[ "$(sed -n 's/^fds_before=//p' <<<"$out")" = "$(sed -n 's/^fds_after=//p' <<<"$out")" ] || leaked=1
	[ "$(sed -n 's/^mounts_before=//p' <<<"$out")" = "$(sed -n 's/^mounts_after=//p' <<<"$out")" ] || leaked=1
	[ "$(sed -n 's/^failed=//p' <<<"$out")" = 0 ] || leaked=1
	for w in "${what[@]}"; do
		local now
		now=$(count "$w")
		printf '   %-28s %8s %8s\n' "$w" "${before[$w]}" "$now"
		[ "$now" = "${before[$w]}" ] || leaked=1
	done
	return "$leaked"
}

rc=0
phase "without CNI" "$cycles" --no-cni || rc=1
if [ "$cni_cycles" -gt 0 ] && [ -x /usr/lib/cni/bridge ]; then
	phase "with CNI (bridge, host-local, portmap)" "$cni_cycles" --cni-conf-dir "$tmp/net.d" || rc=1
fi
[ "$rc" = 0 ] && echo "no leaks" || echo "LEAKS (see the counts above)"
exit "$rc"
