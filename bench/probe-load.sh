#!/usr/bin/env bash
# bench/probe-load.sh [BUILD_DIR] - issue 7's load test: PODS pods (100)
# with a readiness and a liveness probe each, period 1 s, in the agent,
# for SECONDS_ (180) s: no missed periods and no false restarts.  Run
# from the host:
#
#   tests/vm/run --keep BUILD --timeout 1800 -- bench/probe-load.sh BUILD
#
# Each pod runs busybox httpd (no CNI: the probes go to the pod's own
# loopback); PROBE=http (httpGet /), tcp (tcpSocket) or exec (cat a file)
# is the kind of both probes.  Once every pod is Ready the bench reads the
# agent's /metrics twice, SECONDS_ apart: for every container and probe
# type, prober_probe_total (all results) must have grown by at least
# SECONDS_ - 1 (one per period; the first and last may straddle the
# window), with no "failed" result; every restartCount must stay 0.
# Prints the counts, the shortfalls, the agent's CPU per probe and per
# second in the window, and exits 1 when a check fails.
#
# Environment: PODS=N (100), SECONDS_=S (180), PROBE=http|tcp|exec,
# READY_WAIT=S (900: how long the pods may take to be Ready).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
berth=$build/berth
n=${PODS:-100}
secs=${SECONDS_:-180}
kind=${PROBE:-http}
# shellcheck source=bench/lib-agent.sh
. "$src/bench/lib-agent.sh"
bench_agent_start "$berth" --no-cni

case $kind in
http) action='httpGet: {path: /, port: 8080}' ;;
tcp) action='tcpSocket: {port: 8080}' ;;
exec) action='exec: {command: [cat, /www/index.html]}' ;;
*) echo "bench: PROBE=http|tcp|exec" >&2; exit 2 ;;
esac
for i in $(seq "$n"); do
	cat <<-EOF
		apiVersion: v1
		kind: Pod
		metadata: {name: load$i}
		spec:
		  terminationGracePeriodSeconds: 1
		  containers:
		  - name: web
		    image: busybox
		    command: [sh, -c, 'mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p 8080 -h /www']
		    resources: {limits: {memory: 16Mi}}
		    readinessProbe:
		      $action
		      periodSeconds: 1
		      timeoutSeconds: 5
		    livenessProbe:
		      $action
		      periodSeconds: 1
		      timeoutSeconds: 5
		---
	EOF
done >"$tmp/pods.yaml"
t0=$(date +%s)
"$berth" apply -f "$tmp/pods.yaml" >/dev/null
ready() { "$berth" get pods 2>/dev/null | awk 'NR > 1 && $2 == "1/1"' | wc -l; }
wait_s=${READY_WAIT:-900}
while r=$(ready); [ "$r" -lt "$n" ]; do
	el=$(($(date +%s) - t0))
	[ "$el" -lt "$wait_s" ] || break
	[ $((el % 30)) -ge 2 ] || echo "  $r of $n pods ready after $el s"
	sleep 2
done
echo "$(ready) of $n pods ready $(($(date +%s) - t0)) s after apply"
[ "$(ready)" -ge "$n" ] || { tail -20 "$tmp/agent.log"; exit 1; }

metrics() { curl -s --unix-socket "$tmp/s" http://agent/metrics | grep '^prober_probe_total{'; }
ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
hz=$(getconf CLK_TCK)
sleep 5
m0=$(metrics)
c0=$(ticks)
w0=$(date +%s.%N)
sleep "$secs"
m1=$(metrics)
c1=$(ticks)
w1=$(date +%s.%N)
restarts=$("$berth" get pods -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(c.get("restartCount", 0) for p in d["items"]
          for c in p.get("status", {}).get("containerStatuses", [])))')

python3 - "$n" "$secs" "$w0" "$w1" "$((c1 - c0))" "$hz" "$restarts" <<PY
import re, sys
n, secs, w0, w1, ticks, hz, restarts = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
def parse(text):
    out = {}
    for l in text.splitlines():
        m = re.match(r'prober_probe_total\{(.*)\} (\d+)$', l)
        if not m:
            continue
        lab = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        key = (lab["pod"], lab["probe_type"])
        out.setdefault(key, {})[lab["result"]] = int(m.group(2))
    return out
a, b = parse("""$m0"""), parse("""$m1""")
window = w1 - w0
need = int(window) - 1
deltas, failed, short = [], 0, []
for key in sorted(b):
    d = sum(b[key].values()) - sum(a.get(key, {}).values())
    f = b[key].get("failed", 0) - a.get(key, {}).get("failed", 0)
    deltas.append(d)
    failed += f
    if d < need:
        short.append("%s/%s: %d" % (key[0], key[1], d))
total = sum(deltas)
print("%d probe workers over %.1f s: %d probes (%.1f/s), per worker min %d, max %d (at least %d needed); failed %d; restarts %d"
      % (len(b), window, total, total / window, min(deltas or [0]), max(deltas or [0]), need, failed, restarts))
cpu = ticks / hz
print("agent CPU in the window: %.2f s (%.1f%% of a core), %.2f ms per probe" % (cpu, 100 * cpu / window, 1000 * cpu / max(total, 1)))
ok = len(b) == 2 * n and not short and failed == 0 and restarts == 0
if short:
    print("missed periods: " + ", ".join(short[:20]) + (" ..." if len(short) > 20 else ""))
print("result: %s" % ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
