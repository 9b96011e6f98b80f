#!/usr/bin/env bash
# bench/readiness-propagation.sh [BUILD_DIR] - issue 7's "readiness
# propagation": the time from a failing readiness probe's result to the
# committed nftables change that takes the pod out of its Service, per
# flip, p50 and p99.  Run from the host:
#
#   tests/vm/run --keep BUILD -- bench/readiness-propagation.sh BUILD
#
# The agent runs two pods (CNI bridge) behind a Service: "steady" (always
# ready) and "flip", whose httpGet readiness probe (period 1 s, thresholds
# 1) asks busybox httpd for a file the bench removes and puts back, and
# EXTRA Services without endpoints (50), so that the table is not tiny.
#
# The two ends, both on the guest's wall clock:
#   - the probe result: status.berth.containers[].probes.readiness.since,
#     which the prober stamps (in ms) when it publishes the result;
#   - the commit: bench/nft-commit-listener.c (libmnl, compiled here),
#     subscribed to the kernel's nftables notifications, stamps
#     CLOCK_REALTIME when a transaction's NFT_MSG_NEWGEN arrives and lists
#     the chains it touched: the flip's commit is the first one at or after
#     the result that adds or deletes the flip pod's endpoint chain.
#     MONITOR=nft uses `nft monitor` instead, each line stamped as it is
#     read ($EPOCHREALTIME): that includes nft's own parsing and cache
#     fetch per event (an overestimate by that much).
# The agent's log line per commit during the flips gives the time from the
# readiness change (fast path) or the store change (the round) to the
# commit, and the transaction alone, summarized too, with the number of
# transactions per flip.  The guest's load average is printed with the
# numbers; the host's load matters as much (TCG): note it beside them.
#
# Environment: FLIPS=N (30, each way), EXTRA=N (50); MONITOR=nft;
# PERF_OUT=DIR (an exported directory): also profile the agent during the
# flips (perf); LOG_OUT=DIR (exported): keep the commit log, the agent's
# log and the flip times there.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
berth=$build/berth
flips=${FLIPS:-30}
extra=${EXTRA:-50}
[ -x /usr/lib/cni/bridge ] || { echo "bench: no CNI plugins in /usr/lib/cni" >&2; exit 1; }
bench_cleanup_hook() {
	[ -z "${mon:-}" ] || kill "$mon" 2>/dev/null || true
	[ -z "${perf:-}" ] || kill -INT "$perf" 2>/dev/null || true
}
# shellcheck source=bench/lib-agent.sh
. "$src/bench/lib-agent.sh"
bench_agent_start "$berth" --cni-conf-dir /var/tmp/bench-net.d
mkdir -p "$tmp/m" "$tmp/r"
touch "$tmp/r/ready"

{
	for p in flip steady; do
		cat <<-EOF
			apiVersion: v1
			kind: Pod
			metadata: {name: $p, labels: {app: web}}
			spec:
			  terminationGracePeriodSeconds: 1
			  containers:
			  - name: httpd
			    image: busybox
			    command: [sh, -c, 'mkdir -p /r && exec httpd -f -p 8080 -h /r']
			    ports: [{name: http, containerPort: 8080}]
		EOF
		if [ "$p" = flip ]; then
			cat <<-EOF
				    readinessProbe:
				      httpGet: {path: /ready, port: 8080}
				      periodSeconds: 1
				      failureThreshold: 1
				    volumeMounts: [{name: r, mountPath: /r}]
				  volumes: [{name: r, hostPath: {path: $tmp/r}}]
			EOF
		fi
		echo ---
	done
	printf 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}]\n'
	for i in $(seq "$extra"); do
		printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: extra%d}\nspec:\n  selector: {app: none%d}\n  ports: [{port: 80}]\n' "$i" "$i"
	done
} >"$tmp/objs.yaml"
"$berth" apply -f "$tmp/objs.yaml" >/dev/null

# readiness PROBE-FIELD: the flip pod's readiness record field (or "").
record() {
	"$berth" get pod flip -o json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in d.get("status", {}).get("berth", {}).get("containers", []):
    r = c.get("probes", {}).get("readiness")
    if r:
        print(r.get(sys.argv[1], ""))
' "$1"
}
pod_ip() { "$berth" get pod "$1" -o json | sed -n 's/.*"podIP": "\(.*\)".*/\1/p' | head -1; }
wait_result() { # RESULT [SECONDS]
	local end=$((SECONDS + ${2:-60}))
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(record result)" = "$1" ] && return 0
		sleep 0.5
	done
	echo "bench: the readiness result did not become $1" >&2
	tail -20 "$tmp/agent.log" >&2
	exit 1
}
ms_of() { # RFC 3339 with a fraction -> epoch ms
	python3 -c '
import datetime, sys
s = sys.argv[1].rstrip("Z")
base, _, frac = s.partition(".")
t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)
print(int(t.timestamp()) * 1000 + int((frac + "000")[:3]))' "$1"
}

wait_result Success 600
echo "flip ready after $SECONDS s"
end=$((SECONDS + 300))
until "$berth" get endpoints web 2>/dev/null | awk 'NR == 2' | grep -q ','; do
	[ "$SECONDS" -lt "$end" ] || { echo "bench: web has not 2 endpoints" >&2; "$berth" get pods >&2; exit 1; }
	sleep 0.5
done
flip_ip=$(pod_ip flip)
echo "flip pod $flip_ip, steady pod $(pod_ip steady), $extra extra Services; $(nft list table ip berth | grep -c chain) chains in the table"

# the end point, each transaction stamped when it is committed
if [ "${MONITOR:-}" = nft ]; then
	mkfifo "$tmp/mon.fifo"
	nft monitor >"$tmp/mon.fifo" 2>&1 &
	mon=$!
	while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done <"$tmp/mon.fifo" >"$tmp/monitor.log" &
	sleep 1
else
	${CC:-cc} -std=gnu11 -O2 "$src/bench/nft-commit-listener.c" -lmnl -o "$tmp/nft-commit-listener"
	"$tmp/nft-commit-listener" >"$tmp/monitor.log" &
	mon=$!
	until grep -q '^ready$' "$tmp/monitor.log"; do sleep 0.1; done
fi
log_from=$(($(wc -l <"$tmp/agent.log") + 1))
echo "guest load average before the flips: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${PERF_OUT:-}" ]; then
	perf record -F 499 -g -p "$agent" -o "$PERF_OUT/agent.data" 2>"$PERF_OUT/perf.err" &
	perf=$!
fi
# the bench sleeps while the probe and the agent work (its own processes
# would take the guest's CPUs), then reads the result
: >"$tmp/flips"
for i in $(seq "$flips"); do
	rm "$tmp/r/ready"
	sleep 2.5
	wait_result Failure
	echo "down $(ms_of "$(record since)")" >>"$tmp/flips"
	touch "$tmp/r/ready"
	sleep 2.5
	wait_result Success
	echo "up $(ms_of "$(record since)")" >>"$tmp/flips"
done
sleep 1
if [ -n "${perf:-}" ]; then
	kill -INT "$perf"
	wait "$perf" || true
	perf=
	perf report -i "$PERF_OUT/agent.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -60 >"$PERF_OUT/agent-report.txt"
	perf report -i "$PERF_OUT/agent.data" --children --sort sym -g none --stdio 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -80 >"$PERF_OUT/agent-children.txt"
fi

# each flip: the first commit at or after its result that has the flip
# pod's endpoint chain
echo "guest load average after the flips: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$tmp/flips" "$tmp/monitor.log" "$flip_ip" "${MONITOR:-listener}" <<'PY'
import sys
flips = [l.split() for l in open(sys.argv[1])]
ip, kind_of_log = sys.argv[3], sys.argv[4]
mon = []
if kind_of_log == "nft":
    block = []
    for l in open(sys.argv[2]):
        ts, _, text = l.rstrip("\n").partition(" ")
        block.append(text)
        if text.startswith("# new generation"):
            mon.append((float(ts) * 1000.0, "\n".join(block)))
            block = []
    mark = ip
else:
    for l in open(sys.argv[2]):
        ts, _, text = l.rstrip("\n").partition(" ")
        if text.startswith("gen "):
            mon.append((float(ts) * 1000.0, text))
    mark = "__" + ip + "/"
res = {"down": [], "up": []}
bad = 0
first = int(flips[0][1]) if flips else 0
for kind, ms in flips:
    ms = int(ms)
    # the result is stamped in whole ms: it happened in [ms, ms + 1)
    c = next((m for m in mon if m[0] >= ms), None)
    if c is None or mark not in c[1]:
        bad += 1
        continue
    res[kind].append(c[0] - ms)
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]
print("end point: %s" % ("nft monitor" if kind_of_log == "nft" else "nft-commit-listener (NFT_MSG_NEWGEN)"))
for kind, what in (("down", "failing probe result -> nft committed (pod out)"),
                   ("up", "passing probe result -> nft committed (pod back)")):
    v = res[kind]
    if v:
        print("%s: %d flips, p50 %.1f ms, p99 %.1f ms, min %.1f, max %.1f"
              % (what, len(v), pct(v, 50), pct(v, 99), min(v), max(v)))
if bad:
    print("%d flips without a matching commit" % bad)
during = [m for m in mon if m[0] >= first - 1]
print("%d transactions committed during the %d flips" % (len(during), len(flips)))
PY
# the agent's own account of the commits made during the flips
tail -n +"$log_from" "$tmp/agent.log" | grep 'services: table ip berth' | python3 -c '
import re, sys
fast, rnd, tx = [], [], []
for l in sys.stdin:
    m = re.search(r"committed ([0-9.]+) ms after the (readiness|store) change \((\w+) transaction ([0-9.]+) ms\)", l)
    if not m:
        continue
    (fast if m.group(2) == "readiness" else rnd).append(float(m.group(1)))
    tx.append(float(m.group(4)))
def p50(v):
    return sorted(v)[len(v) // 2] if v else float("nan")
print("agent log during the flips: %d commits by the readiness fast path (change -> commit p50 %.2f ms, max %.2f ms), %d by the sync round (store change -> commit p50 %.2f ms); transaction alone p50 %.2f ms, max %.2f ms"
      % (len(fast), p50(fast), max(fast or [0]), len(rnd), p50(rnd), p50(tx), max(tx or [0])))
'
[ -z "${LOG_OUT:-}" ] || cp "$tmp/monitor.log" "$tmp/agent.log" "$tmp/flips" "$LOG_OUT/"
