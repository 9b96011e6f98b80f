# Probe tests (agent/probe_*.c, agent/prober.c, runtime/container_exec.c)
# through the driver tests/integration/probe-tool, against containers
# started by tests/integration/ctr-run (busybox image) in a network
# namespace of the test's own.  Every probe addresses 127.0.0.1 inside that
# namespace, where the host has nothing listening: a success proves the
# probe ran in the pod's namespace.  Sourced by tests/integration/run.

# probe_berth_exec uses the agent's helpers (agentpod_setup, wait_pod); a
# test runs in a shell that sourced only this file.
# shellcheck source=tests/integration/test_agent_pods.sh
declare -F agentpod_setup >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/test_agent_pods.sh"

PROBE_TOOL=$BERTH_BUILDDIR/tests/integration/probe-tool
PROBE_CTR_RUN=$BERTH_BUILDDIR/tests/integration/ctr-run
PROBE_GRPC=$BERTH_BUILDDIR/tests/integration/grpc-health-server

need_probe() {
	[ -x "$PROBE_TOOL" ] || skip "no probe-tool at $PROBE_TOOL"
	[ -x "$PROBE_CTR_RUN" ] || skip "no ctr-run at $PROBE_CTR_RUN"
	need_vm
	PROBE_LAYER=$(_probe_layer)
	PROBE_NS=$(make_netns p)
	PROBE_NSFILE=/run/netns/$PROBE_NS
}

_probe_layer() {
	local dir=$BERTH_TEST_RUNDIR/probe-layer img m l
	(
		flock 8
		if [ ! -e "$dir/.done" ]; then
			img=$(test_image busybox)
			m=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$img/index.json" | head -n 1 | cut -d: -f3 | tr -d '"')
			l=$(grep -o '"layers":\[{[^}]*}' "$img/blobs/sha256/$m" | grep -o 'sha256:[0-9a-f]*' | cut -d: -f2)
			rm -rf "$dir" && mkdir -p "$dir/rootfs"
			tar -xzf "$img/blobs/sha256/$l" -C "$dir/rootfs"
			touch "$dir/.done"
		fi
	) 8>"$BERTH_TEST_RUNDIR/.probe-layer.lock"
	echo "$dir/rootfs"
}

# pctr NAME [ctr-run options] -- ARGV: a container in the test's netns;
# sets PCTR_PID and PCTR_DIR.
pctr() {
	local name=$1 out
	shift
	PCTR_DIR=$TEST_TMP/$name
	mkdir -p "$PCTR_DIR"
	defer _pctr_kill "$PCTR_DIR"
	out=$("$PROBE_CTR_RUN" start --instance "$PCTR_DIR" --layer "$PROBE_LAYER" \
		--log "$TEST_TMP/$name.log" --netns "$PROBE_NSFILE" \
		--env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@")
	PCTR_PID=$(printf '%s\n' "$out" | sed -n 's/^pid //p')
	[ -n "$PCTR_PID" ] || fail "no pid from ctr-run: $out"
}

_pctr_kill() {
	[ -e "$1/status.json" ] || return 0
	"$PROBE_CTR_RUN" stop "$1" 0 >/dev/null 2>&1 || true
}

# probe [probe-tool options] KIND ARGS...: one probe at the container,
# with a 10 s timeout unless told (CGI under TCG takes seconds).
probe() {
	"$PROBE_TOOL" --net-ns "$PROBE_NSFILE" --pod-ip 127.0.0.1 \
		--pid "$PCTR_PID" --instance "$PCTR_DIR" --timeout 10 "$@"
}

field() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1; }

# The web server: static files, and CGI scripts for statuses and redirects.
HTTPD_SETUP='mkdir -p /www/cgi-bin && echo hello >/www/index.html &&
cgi() { printf "#!/bin/sh\n%s\n" "$2" >/www/cgi-bin/$1; chmod 755 /www/cgi-bin/$1; } &&
cgi fail "printf \"Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nbroken\"" &&
cgi same "printf \"Status: 302 Found\r\nLocation: http://127.0.0.1:8080/index.html\r\n\r\n\"" &&
cgi other "printf \"Status: 302 Found\r\nLocation: http://10.255.255.1:8080/\r\n\r\nmoved\"" &&
cgi loop "printf \"Status: 302 Found\r\nLocation: /cgi-bin/loop\r\n\r\n\"" &&
cgi headers "printf \"Content-Type: text/plain\r\n\r\nua=%s accept=%s x=%s\n\" \"\$HTTP_USER_AGENT\" \"\$HTTP_ACCEPT\" \"\$HTTP_X_PROBE\"" &&
cgi connection "printf \"Content-Type: text/plain\r\n\r\nconnection=%s\n\" \"\$HTTP_CONNECTION\"" &&
exec httpd -f -p 8080 -h /www'

start_httpd() {
	pctr web -- sh -c "$HTTPD_SETUP"
	local i
	for i in $(seq 50); do
		out=$(probe tcp 8080)
		[ "$(field "$out" outcome)" = success ] && return 0
		sleep 0.1
	done
	fail "httpd did not come up: $(cat "$TEST_TMP/web.log")"
}

register_test probe_exec
test_probe_exec() {
	need_probe
	local cg out
	cg=$(make_cgroup c)
	pctr c --user 1234 --cgroup "$cg" --env GREETING=hi -- sleep 1000
	out=$(probe --env GREETING=hi exec sh -c 'echo uid=$(id -u) $(GREETING); echo err >&2; tr "\\0" " " </proc/1/cmdline; echo; cat /proc/self/cgroup; grep -E "^(CapBnd|Seccomp):" /proc/self/status; exit 0')
	assert_eq success "$(field "$out" outcome)" "exit 0 is a success: $out"
	assert_contains "$out" "uid=1234 hi" "the container's user and a \$(VAR) from its env"
	assert_contains "$out" "sleep 1000" "the container's pid namespace (its PID 1)"
	assert_contains "$out" "0::/" "the container's cgroup and cgroup namespace"
	assert_contains "$out" "CapBnd:	00000000a80425fb" "the container's bounding set"
	assert_contains "$out" "Seccomp:	2" "the container's seccomp filter"
	assert_match $'err\n' "$out" "stderr after stdout"
	out=$(probe exec sh -c 'echo not ready; exit 3')
	assert_eq failure "$(field "$out" outcome)" "exit 3 is a failure"
	assert_eq "not ready" "$(field "$out" output)" "the output is the message"
	out=$(probe exec no-such-command)
	assert_eq unknown "$(field "$out" outcome)" "a command that cannot run"
	assert_contains "$(field "$out" error)" 'exec: "no-such-command": executable file not found in $PATH'
}

register_test probe_exec_timeout
test_probe_exec_timeout() {
	need_probe
	local out ms
	pctr c -- sleep 1000
	# 47 and 48: no other test runs these (pgrep below sees every test's)
	out=$(probe --timeout 1 exec sh -c 'sleep 47 & sleep 48')
	assert_eq failure "$(field "$out" outcome)" "a timeout is a failure: $out"
	assert_eq 'command "sh -c sleep 47 & sleep 48" timed out' "$(field "$out" output)"
	ms=$(field "$out" ms)
	# the 1 s run from the helper's start; forks are slow under TCG
	assert_gt 8000 "$ms" "killed at the 1 s timeout, long before 47 s (ms=$ms)"
	sleep 0.5
	need_cmd pgrep
	local left rc=0
	left=$(pgrep -f '^sleep 4[78]$') || rc=$?
	assert_eq 1 "$rc" "pgrep finds no sleep left: the command and its child are killed ($left)"
}

register_test probe_http
test_probe_http() {
	need_probe
	local out
	start_httpd
	out=$(probe http 8080 /index.html)
	assert_eq success "$(field "$out" outcome)" "200: $out"
	assert_eq hello "$(field "$out" output)" "the body"
	out=$(probe --port web=8080 http web /index.html)
	assert_eq success "$(field "$out" outcome)" "a named port"
	out=$(probe --port web=8080 http nope / 2>&1 || true)
	assert_contains "$out" "couldn't find port: nope in ctr" "an unknown port name: $out"
	out=$(probe http 8080 /cgi-bin/fail)
	assert_eq failure "$(field "$out" outcome)" "500"
	assert_eq "HTTP probe failed with statuscode: 500" "$(field "$out" output)"
	out=$(probe http 8080 /cgi-bin/same)
	assert_eq success "$(field "$out" outcome)" "a same-host redirect is followed: $out"
	assert_eq hello "$(field "$out" output)" "to the page"
	out=$(probe http 8080 /cgi-bin/other)
	assert_eq warning "$(field "$out" outcome)" "another host: not followed"
	assert_eq "Probe terminated redirects, Response body: moved" "$(field "$out" output)"
	out=$(probe http 8080 /cgi-bin/loop)
	assert_eq failure "$(field "$out" outcome)" "a redirect loop"
	assert_eq 'Get "http://127.0.0.1:8080/cgi-bin/loop": stopped after 10 redirects' "$(field "$out" output)"
	out=$(probe --header X-Probe:yes http 8080 /cgi-bin/headers)
	assert_eq "ua=kube-probe/1.36 accept=*/* x=yes" "$(field "$out" output)" "the kubelet's headers"
	out=$(probe --header User-Agent:mine --header Accept:text/plain http 8080 /cgi-bin/headers)
	assert_eq "ua=mine accept=text/plain x=" "$(field "$out" output)" "user headers win"
	out=$(probe http 8080 /cgi-bin/connection)
	assert_eq "connection=close" "$(field "$out" output)" "no keep-alive: $out"
	out=$(probe http 8081 /)
	assert_eq failure "$(field "$out" outcome)" "nothing listening"
	assert_eq 'Get "http://127.0.0.1:8081/": dial tcp 127.0.0.1:8081: connect: connection refused' "$(field "$out" output)"
}

register_test probe_http_many
test_probe_http_many() {
	need_probe
	local out
	start_httpd
	# busybox httpd forks a process per request: slow under TCG
	out=$(probe --count 50 --timeout 20 http 8080 /index.html)
	assert_eq 50 "$(printf '%s\n' "$out" | grep -c '^outcome=success$')" "50 probes at once: $out"
	echo "50 concurrent http probes: $(field "$out" ms) ms" >&2
}

register_test probe_tcp
test_probe_tcp() {
	need_probe
	local out
	start_httpd
	out=$(probe tcp 8080)
	assert_eq success "$(field "$out" outcome)" "open port"
	out=$(probe tcp 8081)
	assert_eq failure "$(field "$out" outcome)" "closed port"
	assert_eq "dial tcp 127.0.0.1:8081: connect: connection refused" "$(field "$out" output)"
}

register_test probe_grpc
test_probe_grpc() {
	need_probe
	[ -x "$PROBE_GRPC" ] || skip "no grpc-health-server"
	local out st port=9090
	PCTR_PID=1 PCTR_DIR=/
	for st in SERVING NOT_SERVING UNIMPLEMENTED; do
		ip netns exec "$PROBE_NS" "$PROBE_GRPC" $port $st >"$TEST_TMP/grpc-$st.out" &
		defer kill $!
		wait_for 60 grep -q listening "$TEST_TMP/grpc-$st.out"
		out=$(probe grpc $port)
		case $st in
		SERVING)
			assert_eq success "$(field "$out" outcome)" "SERVING: $out"
			assert_eq "service healthy" "$(field "$out" output)"
			;;
		NOT_SERVING)
			assert_eq failure "$(field "$out" outcome)" "NOT_SERVING"
			assert_eq 'service unhealthy (responded with "NOT_SERVING")' "$(field "$out" output)"
			;;
		*)
			assert_eq failure "$(field "$out" outcome)" "no health service"
			assert_eq "this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service" "$(field "$out" output)"
			;;
		esac
		port=$((port + 1))
	done
	out=$(probe --timeout 1 grpc 9999)
	assert_eq failure "$(field "$out" outcome)" "nothing listening"
	assert_eq 'timeout: failed to connect service "127.0.0.1:9999" within 1s: context deadline exceeded' "$(field "$out" output)"
}

# A liveness worker on real probes: three failures in a row at period 1 s
# publish Failure, with the kubelet's events.
register_test probe_worker_liveness
test_probe_worker_liveness() {
	need_probe
	local out
	start_httpd
	out=$(probe --watch 6 --period 1 --failure 3 --kind liveness http 8080 /cgi-bin/fail)
	assert_eq 3 "$(printf '%s\n' "$out" | grep -c 'event Warning Unhealthy Liveness probe failed: HTTP probe failed with statuscode: 500')" "three Unhealthy events: $out"
	assert_contains "$out" "result Liveness Failure" "Failure published"
	out=$(probe --watch 4 --period 1 --success 2 --kind readiness http 8080 /index.html)
	assert_contains "$out" "result Readiness Success" "ready after two successes: $out"
}

# berth exec against a pod the agent runs (needs the pod worker): the
# container's user, env, hostname, pid namespace; -c, -i, -t; exit codes.
register_test probe_berth_exec
test_probe_berth_exec() {
	need_vm
	agentpod_setup
	cat >web.yaml <<-Y
	apiVersion: v1
	kind: Pod
	metadata: {name: web}
	spec:
	  terminationGracePeriodSeconds: 1
	  containers:
	  - name: a
	    image: busybox
	    command: ["sleep", "3611"]
	    env: [{name: FOO, value: bar}]
	    securityContext: {runAsUser: 1000}
	  - name: b
	    image: busybox
	    command: ["sleep", "3612"]
	Y
	"$BERTH_BIN" apply -f web.yaml >/dev/null
	wait_pod web phase Running 60
	local ex=("$BERTH_BIN" exec --root "$TEST_TMP/root") out rc
	out=$("${ex[@]}" web -- sh -c 'echo $FOO $(id -u) $(hostname); tr "\0" " " </proc/1/cmdline')
	assert_eq "bar 1000 web"$'\n'"sleep 3611 " "$out" "the first container: its env, user, hostname, PID 1"
	out=$("${ex[@]}" web -c b -- sh -c 'tr "\0" " " </proc/1/cmdline')
	assert_eq "sleep 3612 " "$out" "-c b"
	out=$(echo piped | "${ex[@]}" -i web -- cat)
	assert_eq piped "$out" "-i passes stdin"
	out=$(echo piped | "${ex[@]}" web -- cat)
	assert_eq "" "$out" "without -i, no stdin"
	rc=0
	out=$("${ex[@]}" web -- sh -c 'exit 7' 2>&1) || rc=$?
	assert_eq 7 "$rc" "the command's exit status"
	assert_eq "command terminated with exit code 7" "$out"
	out=$(printf 'test -t 0 && echo TTY; exit\n' | "${ex[@]}" -it web -- sh 2>&1)
	assert_contains "$out" "TTY" "-t: a terminal"
	rc=0
	out=$("${ex[@]}" web -c nope -- true 2>&1) || rc=$?
	assert_eq 1 "$rc" "an unknown container"
	assert_contains "$out" "container nope not found"
}

# pod_events POD: `berth get events` lines of POD.
pod_events() { "$BERTH_BIN" get events 2>&1 | grep "pod/$1 " || true; }

# The docs' http-liveness example with a stand-in for agnhost's liveness
# server (200 for 10 s, then 500): busybox httpd and a CGI script.
register_test probe_docs_http_liveness
test_probe_docs_http_liveness() {
	need_vm
	agentpod_setup
	cat >pod.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata:
	  labels: {test: liveness}
	  name: liveness-http
	spec:
	  containers:
	  - name: liveness
	    image: busybox
	    command: [sh, -c, 'mkdir -p /www/cgi-bin && date +%s >/start && printf "%s\n" "$CGI" >/www/cgi-bin/healthz && chmod 755 /www/cgi-bin/healthz && exec httpd -f -p 8080 -h /www']
	    env:
	    - name: CGI
	      value: |
	        #!/bin/sh
	        age=$(( $(date +%s) - $(cat /start) ))
	        [ "$HTTP_CUSTOM_HEADER" = Awesome ] || age=99
	        if [ $age -lt 10 ]; then printf 'Content-Type: text/plain\r\n\r\nok'; else printf 'Status: 500 Internal Server Error\r\n\r\nerror: %s' $age; fi
	    livenessProbe:
	      httpGet:
	        path: /cgi-bin/healthz
	        port: 8080
	        httpHeaders:
	        - name: Custom-Header
	          value: Awesome
	      initialDelaySeconds: 3
	      periodSeconds: 3
	Y
	"$BERTH_BIN" apply -f pod.yaml >/dev/null
	wait_pod liveness-http phase Running 60
	wait_pod_ge liveness-http restartCount 1 120
	local ev
	ev=$(pod_events liveness-http)
	assert_match "Unhealthy +pod/liveness-http +Liveness probe failed: HTTP probe failed with statuscode: 500" "$ev"
	assert_match "Killing +pod/liveness-http +Container liveness failed liveness probe, will be restarted" "$ev"
	assert_not_contains "$ev" "Liveness probe errored" "no probe errors"
	# the prober's metrics, as the kubelet's /metrics has them
	assert_match 'prober_probe_total\{container="liveness",namespace="default",pod="liveness-http",pod_uid="[^"]+",probe_type="Liveness",result="failed"\} [3-9]' \
		"$(curl -s --unix-socket "$TEST_TMP/s" http://agent/metrics)"
}

# The docs' tcp-liveness-readiness example with busybox httpd for goproxy:
# ready after the 15 s initial delay; with the server gone, unready and
# restarted.
register_test probe_docs_tcp
test_probe_docs_tcp() {
	need_vm
	agentpod_setup
	cat >pod.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata:
	  name: goproxy
	  labels: {app.kubernetes.io/name: goproxy}
	spec:
	  containers:
	  - name: goproxy
	    image: busybox
	    command: [sh, -c, 'httpd -p 8080 -h / && exec sleep 3600']
	    ports:
	    - containerPort: 8080
	    readinessProbe:
	      tcpSocket: {port: 8080}
	      initialDelaySeconds: 15
	      periodSeconds: 10
	    livenessProbe:
	      tcpSocket: {port: 8080}
	      initialDelaySeconds: 15
	      periodSeconds: 10
	Y
	"$BERTH_BIN" apply -f pod.yaml >/dev/null
	wait_pod goproxy phase Running 60
	assert_eq false "$(pod_val goproxy ready)" "not ready before the initial delay"
	wait_pod goproxy ready true 60
	assert_eq 0 "$(pod_val goproxy restartCount)"
	"$BERTH_BIN" exec --root "$TEST_TMP/root" goproxy -- killall httpd
	wait_pod goproxy ready false 60
	# describe: the probe's configuration, then berth's record of it (the
	# failures count over the container's restarts, the liveness kill may
	# already have come)
	local d nl=$'\n'
	d=$("$BERTH_BIN" describe pod goproxy)
	assert_match "Readiness: +tcp-socket :8080 delay=15s timeout=1s period=10s #success=1 #failure=3$nl +Result: +Failure for [0-9]+s[^$nl]*$nl +Total: +[1-9][0-9]* successes, ([3-9]|[1-9][0-9]+) failures$nl" "$d" "describe shows the failing readiness probe's failures"
	assert_match "Liveness: +tcp-socket :8080 delay=15s timeout=1s period=10s #success=1 #failure=3$nl +Result: +[A-Z][a-z]+" "$d"
	wait_pod_ge goproxy restartCount 1 90
	assert_match "Unhealthy +pod/goproxy +Readiness probe failed: dial tcp [0-9.]+:8080: connect: connection refused" "$(pod_events goproxy)"
	assert_match "Container goproxy failed liveness probe, will be restarted" "$(pod_events goproxy)"
}

# Startup gating, an exec probe's timeout, a probe-level grace period.
register_test probe_agent_edges
test_probe_agent_edges() {
	need_vm
	agentpod_setup
	cat >pods.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata: {name: startup}
	spec:
	  containers:
	  - name: app
	    image: busybox
	    command: [sleep, "3600"]
	    startupProbe:
	      exec: {command: [test, -f, /tmp/started]}
	      periodSeconds: 2
	      timeoutSeconds: 10
	      failureThreshold: 60
	    livenessProbe:
	      exec: {command: ["false"]}
	      periodSeconds: 2
	      timeoutSeconds: 10
	      failureThreshold: 1
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: slow}
	spec:
	  containers:
	  - name: app
	    image: busybox
	    command: [sleep, "3600"]
	    livenessProbe:
	      exec: {command: [sleep, "30"]}
	      timeoutSeconds: 1
	      periodSeconds: 5
	      failureThreshold: 1
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: grace}
	spec:
	  terminationGracePeriodSeconds: 600
	  containers:
	  - name: app
	    image: busybox
	    command: [sh, -c, 'trap "" TERM; while true; do sleep 1; done']
	    livenessProbe:
	      exec: {command: ["false"]}
	      initialDelaySeconds: 5
	      periodSeconds: 2
	      timeoutSeconds: 10
	      failureThreshold: 1
	      terminationGracePeriodSeconds: 3
	Y
	"$BERTH_BIN" apply -f pods.yaml >/dev/null
	wait_pod startup phase Running 60
	# gated: the failing liveness probe (period 2 s, one failure kills)
	# does not run while the startup probe fails; the test makes it pass
	wait_for 60 sh -c "'$BERTH_BIN' get events 2>&1 | grep -q 'pod/startup .*Startup probe failed'"
	sleep 6
	assert_eq false "$(pod_val startup started)" "not started"
	assert_eq 0 "$(pod_val startup restartCount)" "no liveness kill while starting"
	assert_not_contains "$(pod_events startup)" "Liveness probe failed"
	"$BERTH_BIN" exec --root "$TEST_TMP/root" startup -- touch /tmp/started
	wait_pod_ge startup restartCount 1 120
	assert_match "Unhealthy +pod/startup +Liveness probe failed: " "$(pod_events startup)"
	assert_match "Killing +pod/startup +Container app failed liveness probe, will be restarted" "$(pod_events startup)"
	# the exec timeout
	wait_pod_ge slow restartCount 1 120
	assert_match 'Unhealthy +pod/slow +Liveness probe failed: command "sleep 30" timed out' "$(pod_events slow)"
	# the probe's 3 s, not the pod's 600 s: SIGKILL soon after the kill
	wait_pod_ge grace restartCount 1 90
	assert_match "lastState:"$'\n'" *terminated:"$'\n'" *exitCode: 137" "$(pod_yaml_of grace)"
}

# Many workers on one loop: 100 readiness workers probing tcp every
# second for 25 s; none misses a period (each probes at least 23 times:
# the first probe is within a period of the start) and none fails.  The
# server only listens: the kernel completes the connections (a server
# that accepts and forks is too slow under TCG for 100 a second).  Alone:
# under TCG, tests running beside it take the CPU it needs.
register_test --serial probe_worker_load
test_probe_worker_load() {
	need_probe
	[ -x "$PROBE_GRPC" ] || skip "no grpc-health-server"
	local out
	PCTR_PID=1 PCTR_DIR=/
	ip netns exec "$PROBE_NS" "$PROBE_GRPC" 9100 LISTEN >"$TEST_TMP/server.out" &
	defer kill $!
	wait_for 60 grep -q listening "$TEST_TMP/server.out"
	out=$(probe --watch 25 --period 1 --workers 100 --quiet --kind readiness tcp 9100)
	assert_eq 0 "$(field "$out" failed)" "no failures: $out"
	assert_eq 0 "$(field "$out" missed)" "no missed periods: $out"
	assert_eq 0 "$(field "$out" late_1s)" "no period taken up a second late: $out"
	assert_gt "$(field "$out" min_successful)" 22 "every worker probed every second: $out"
	echo "100 workers x 25 s: $(field "$out" successful) probes, CPU $(field "$out" cpu_self_ms) ms" >&2
}

# A few workers at period 1 s never miss a period: 3 readiness workers
# with httpGet and 3 liveness workers with tcpSocket to the pod's httpd,
# for 12 s each.  The prober counts a period that passes without a probe
# of its own (a probe still running a whole period later, or a late loop
# turn) in berth_prober_missed_periods_total.  Alone: httpd forks per
# request, and under TCG tests running beside it slow that past a period.
register_test --serial probe_worker_periods
test_probe_worker_periods() {
	need_probe
	local out k
	start_httpd
	for k in readiness liveness; do
		if [ $k = readiness ]; then
			set -- http 8080 /index.html
		else
			set -- tcp 8080
		fi
		out=$(probe --watch 12 --period 1 --workers 3 --quiet --kind $k --timeout 5 "$@")
		assert_eq 0 "$(field "$out" failed)" "$k $1: no failures: $out"
		assert_eq 0 "$(field "$out" missed)" "$k $1: no missed periods: $out"
		assert_gt "$(field "$out" min_successful)" 10 "$k $1: a probe every second: $out"
	done
}
