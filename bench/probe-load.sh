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
# agent's /metrics/probes twice, SECONDS_ apart: for every container and
# probe type, prober_probe_total (all results) must have grown by at least
# SECONDS_ - 1 (one per period; the first and last may straddle the
# window), with no "failed" result, and berth_prober_missed_periods_total
# (periods that got no probe of their own) must not have grown; every
# restartCount must stay 0.  Prints, per worker, the probes expected and
# run, its failures and missed periods (with more than 40 workers, only
# those that fall short), a summary and the agent's CPU per probe in the
# window; exits 1 when a check fails.
#
# Environment: PODS=N (100), SECONDS_=S (180), PROBE=http|tcp|exec,
# READY_WAIT=S (900: how long the pods may take to be Ready); PERF_OUT=DIR
# (an exported directory): also profile the agent in the window (perf).
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

metrics() { curl -s --unix-socket "$tmp/s" http://agent/metrics/probes | grep -E '^(prober_probe_total|berth_prober_missed_periods_total)\{'; }
ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
hz=$(getconf CLK_TCK)
sleep 5
m0=$(metrics)
c0=$(ticks)
w0=$(date +%s.%N)
if [ -n "${PERF_OUT:-}" ]; then
	perf record -F 499 -g -p "$agent" -o "$PERF_OUT/agent.data" -- sleep "$secs" 2>"$PERF_OUT/perf.err" &
	perf=$!
fi
sleep "$secs"
m1=$(metrics)
c1=$(ticks)
w1=$(date +%s.%N)
if [ -n "${PERF_OUT:-}" ]; then
	wait "$perf" || true
	perf report -i "$PERF_OUT/agent.data" --children --sort sym -g none --stdio 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -100 >"$PERF_OUT/agent-children.txt" || true
	perf report -i "$PERF_OUT/agent.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -60 >"$PERF_OUT/agent-self.txt" || true
fi
restarts=$("$berth" get pods -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(c.get("restartCount", 0) for p in d["items"]
          for c in p.get("status", {}).get("containerStatuses", [])))')

python3 - "$n" "$secs" "$w0" "$w1" "$((c1 - c0))" "$hz" "$restarts" <<PY
import re, statistics, sys
n, secs, w0, w1, ticks, hz, restarts = (int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]),
    int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
def parse(text):
    runs, missed = {}, {}
    for l in text.splitlines():
        m = re.match(r'(\w+)\{(.*)\} (\d+)$', l)
        if not m:
            continue
        lab = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        key = (lab["pod"], lab["probe_type"])
        if m.group(1) == "prober_probe_total":
            runs.setdefault(key, {})[lab["result"]] = int(m.group(3))
        else:
            missed[key] = int(m.group(3))
    return runs, missed
(a, ma), (b, mb) = parse("""$m0"""), parse("""$m1""")
window = w1 - w0
expected = window  # one probe per period of 1 s
need = int(window) - 1  # the first and the last may straddle the window
rows, failed, missed = [], 0, 0
for key in sorted(set(b) | set(mb)):
    d = sum(b.get(key, {}).values()) - sum(a.get(key, {}).values())
    f = b.get(key, {}).get("failed", 0) - a.get(key, {}).get("failed", 0)
    m = mb.get(key, 0) - ma.get(key, 0)
    rows.append((key, d, f, m))
    failed += f
    missed += m
bad = [r for r in rows if r[1] < need or r[2] or r[3]]
print("per worker: expected %.1f probes in %.1f s (at least %d counted), run / failed / missed periods:" % (expected, window, need))
for key, d, f, m in (rows if len(rows) <= 40 else bad[:40]):
    print("  %s/%s: %d / %d / %d%s" % (key[0], key[1], d, f, m, "  <-" if (key, d, f, m) in bad else ""))
if len(rows) > 40:
    print("  (%d workers, %d of them short, failing or missing periods%s)" % (len(rows), len(bad), ", the first 40 above" if len(bad) > 40 else (" above" if bad else "")))
deltas = [r[1] for r in rows] or [0]
total = sum(deltas)
print("%d probe workers over %.1f s: %d probes (%.1f/s), per worker min %d, median %d, max %d; failed %d; missed periods %d; restarts %d"
      % (len(rows), window, total, total / window, min(deltas), statistics.median(deltas), max(deltas), failed, missed, restarts))
cpu = ticks / hz
print("agent CPU in the window: %.2f s (%.1f%% of a core), %.2f ms per probe, %.0f ms per 1000 probes"
      % (cpu, 100 * cpu / window, 1000 * cpu / max(total, 1), 1e6 * cpu / max(total, 1)))
ok = len(rows) == 2 * n and not bad and failed == 0 and missed == 0 and restarts == 0
print("result: %s" % ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
