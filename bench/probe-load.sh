#!/usr/bin/env bash
# bench/probe-load.sh [BUILD_DIR] - issue 7's load test: PODS pods (100)
# with a readiness and a liveness probe each, period 1 s, in the agent,
# for SECONDS_ (180) s: no missed periods and no false restarts.  Run
# from the host:
#
#   tests/vm/run --keep BUILD --timeout 1800 -- bench/probe-load.sh BUILD
#
# Each pod runs busybox httpd (no CNI: the probes go to the pod's own
# loopback) with an 8 MiB limit (100 of them fit the 1 GiB guest's
# allocatable memory; 16 MiB admitted only 53); PROBE=http (httpGet /), tcp (tcpSocket) or exec (cat a file)
# is the kind of both probes.  Once every pod is Ready the bench reads the
# agent's /metrics/probes twice, SECONDS_ apart: for every container and
# probe type, prober_probe_total (all results) must have grown by at least
# SECONDS_ - 1 (one per period; the first and last may straddle the
# window), with no "failed" result, and berth_prober_missed_periods_total
# (periods that got no probe of their own) must not have grown; every
# restartCount must stay 0.  Prints, per worker, the probes expected and
# run, its failures and missed periods (with more than 40 workers, only
# those that fall short), a summary and the agent's CPU per probe in the
# window, and where the guest's CPU went (/proc/stat's modes; the pods'
# cgroups, their servers' forked children included); exits 1 when a check
# fails.
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
bench_cleanup_hook() {
	kill -0 "$agent" 2>/dev/null && return
	wait "$agent" 2>/dev/null
	echo "bench: the agent exited (status $?); its log's end:"
	tail -30 "$tmp/agent.log"
}

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
		    resources: {limits: {memory: 8Mi}}
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
if [ "$(ready)" -lt "$n" ]; then
	echo "agent: $(awk '/^State|^Threads/ {printf "%s ", $0}' "/proc/$agent/status")," \
		"$(ls "/proc/$agent/fd" | wc -l) fds (limit $(awk '/open files/ {print $4}' "/proc/$agent/limits"))," \
		"wchan $(cat "/proc/$agent/wchan")"
	cat "/proc/$agent/stack" 2>/dev/null | head -8
	timeout 10 "$berth" get pods | awk 'NR == 1 || $2 != "1/1"' | head -5
	p=$(timeout 10 "$berth" get pods | awk 'NR > 1 && $2 != "1/1" {print $1}' | head -1) || true
	[ -z "$p" ] || timeout 10 "$berth" describe pod "$p" | tail -25 || true
	free -m
	tail -20 "$tmp/agent.log"
	exit 1
fi

metrics() { curl -s --unix-socket "$tmp/s" http://agent/metrics/probes | grep -E '^(prober_probe_total|berth_prober_missed_periods_total)\{|^berth_prober_tick_delay_seconds'; }
ticks() { awk '{print $14 + $15}' "/proc/$agent/stat"; }
# Where the rest of the guest's CPU goes: /proc/stat's cpu line (ticks by
# mode) and the cgroups' usage (the pods' with their forked children).
guest_cpu() {
	head -1 /proc/stat
	for f in /sys/fs/cgroup/*/cpu.stat /sys/fs/cgroup/*/*/cpu.stat; do
		[ -f "$f" ] && echo "cg ${f#/sys/fs/cgroup/} $(awk '$1 == "usage_usec" {print $2}' "$f")"
	done
}
hz=$(getconf CLK_TCK)
sleep 5
m0=$(metrics)
c0=$(ticks)
g0=$(guest_cpu)
w0=$(date +%s.%N)
if [ -n "${PERF_OUT:-}" ]; then
	perf record -F 499 -g -p "$agent" -o "$PERF_OUT/agent.data" -- sleep "$secs" 2>"$PERF_OUT/perf.err" &
	perf=$!
fi
sleep "$secs"
m1=$(metrics)
c1=$(ticks)
g1=$(guest_cpu)
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
        if l.startswith("berth_prober_tick_delay_seconds"):
            continue
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
def delays(text):
    d = {}
    for l in text.splitlines():
        m = re.match(r'berth_prober_tick_delay_seconds_(bucket\{le="([^"]*)"\}|sum|count) (\S+)$', l)
        if m:
            d[m.group(2) or m.group(1)] = float(m.group(3))
    return d
da, db = delays("""$m0"""), delays("""$m1""")
dd = {k: db[k] - da.get(k, 0) for k in db}
if dd.get("count"):
    c = dd["count"]
    print("periods taken up late (berth_prober_tick_delay_seconds): %d periods, mean %.1f ms; over 25 ms %d, 100 ms %d, 500 ms %d, 1 s %d"
          % (c, 1000 * dd["sum"] / c, c - dd["0.025"], c - dd["0.1"], c - dd["0.5"], c - dd["1"]))
def gparse(text):
    cpu, cg = [], {}
    for l in text.splitlines():
        f = l.split()
        if f[0] == "cpu":
            cpu = [int(x) for x in f[1:]]
        elif f[0] == "cg" and len(f) == 3:
            cg[f[1]] = int(f[2])
    return cpu, cg
(s0, cg0), (s1, cg1) = gparse("""$g0"""), gparse("""$g1""")
modes = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"]
d = [b - a for a, b in zip(s0, s1)][:len(modes)]
print("guest CPU in the window (/proc/stat ticks, approximate under TCG; %d CPUs): " % (round(sum(d) / hz / window) if d else 0)
      + ", ".join("%s %.1f s" % (m, v / hz) for m, v in zip(modes, d) if v))
top = sorted(((cg1[k] - cg0.get(k, 0), k) for k in cg1 if k.count("/") == 1), reverse=True)
print("top-level cgroups: " + ", ".join("%s %.1f s" % (k.rsplit("/", 1)[0], v / 1e6) for v, k in top[:6] if v > 0))
sub = sorted(((cg1[k] - cg0.get(k, 0), k) for k in cg1 if k.count("/") == 2), reverse=True)
if sub:
    print("second-level cgroups: %d, %.1f s in all, the top: " % (len(sub), sum(v for v, k in sub) / 1e6)
          + ", ".join("%s %.2f s" % (k.rsplit("/", 1)[0], v / 1e6) for v, k in sub[:4]))
ok = len(rows) == 2 * n and not bad and failed == 0 and missed == 0 and restarts == 0
print("result: %s" % ("PASS" if ok else "FAIL"))
sys.exit(0 if ok else 1)
PY
