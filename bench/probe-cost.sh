#!/usr/bin/env bash
# bench/probe-cost.sh [BUILD_DIR] - the CPU the prober's side spends per
# 1,000 probes (issue 7's "probe cost"): httpGet and tcpSocket probes
# against busybox httpd and exec probes (`true`) in a busybox container,
# through tests/integration/probe-tool, which runs them on the agent's
# loop as the agent does.  Run from the host:
#
#   tests/vm/run --keep BUILD -- bench/probe-cost.sh BUILD
#
# Prints, per kind: wall time, the prober process's CPU (what the agent
# spends: curl, the loop, forking exec helpers) and its children's (the exec
# helpers joining the container, and the commands), in ms per 1,000.
# N probes each (1000), P at a time (10).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
n=${N:-1000}
p=${P:-10}
tool=$build/tests/integration/probe-tool
ctr=$build/tests/integration/ctr-run
[ "$(id -u)" = 0 ] || { echo "bench: run as root (in the VM: tests/vm/run)" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/bench.XXXXXX)
ns=bench-probe-$$
cleanup() {
	for d in "$tmp"/web "$tmp"/c; do
		[ -e "$d/status.json" ] && "$ctr" stop "$d" 0 >/dev/null 2>&1 || true
	done
	ip netns del "$ns" 2>/dev/null || true
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

"$src/tests/images/build-image" busybox "$tmp/img" >/dev/null
m=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$tmp/img/index.json" | head -n 1 | cut -d: -f3 | tr -d '"')
l=$(grep -o '"layers":\[{[^}]*}' "$tmp/img/blobs/sha256/$m" | grep -o 'sha256:[0-9a-f]*' | cut -d: -f2)
mkdir -p "$tmp/rootfs" && tar -xzf "$tmp/img/blobs/sha256/$l" -C "$tmp/rootfs"
ip netns add "$ns"
ip -n "$ns" link set lo up

start() { # NAME ARGV...
	local name=$1
	shift
	mkdir -p "$tmp/$name"
	"$ctr" start --instance "$tmp/$name" --layer "$tmp/rootfs" --log "$tmp/$name.log" \
		--netns "/run/netns/$ns" --env PATH=/usr/sbin:/usr/bin:/sbin:/bin -- "$@" |
		sed -n 's/^pid //p'
}
web=$(start web sh -c 'mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p 8080 -h /www')
sleep 1

report() { # KIND OUTPUT
	local wall self kids ok
	wall=$(sed -n 's/^ms=//p' <<<"$2")
	self=$(sed -n 's/^cpu_self_ms=//p' <<<"$2")
	kids=$(sed -n 's/^cpu_children_ms=//p' <<<"$2")
	ok=$(sed -n 's/^success=//p' <<<"$2")
	printf '%-5s %d probes (%d ok), %d at a time: wall %d ms; prober CPU %d ms per 1000; helpers+commands CPU %d ms per 1000\n' \
		"$1" "$n" "$ok" "$p" "$wall" $((self * 1000 / n)) $((kids * 1000 / n))
}

# --pid: the agent's probes name the container instance, whose network
# namespace the prober then holds open
out=$("$tool" --net-ns "/run/netns/$ns" --pid "$web" --pod-ip 127.0.0.1 --timeout 30 \
	--count "$n" --parallel "$p" --quiet http 8080 /index.html)
report http "$out"
out=$("$tool" --net-ns "/run/netns/$ns" --pid "$web" --pod-ip 127.0.0.1 --timeout 30 \
	--count "$n" --parallel "$p" --quiet tcp 8080)
report tcp "$out"
out=$("$tool" --pid "$web" --instance "$tmp/web" --timeout 30 \
	--count "$n" --parallel "$p" --quiet exec true)
report exec "$out"
