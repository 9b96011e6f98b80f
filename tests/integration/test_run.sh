# berth run end to end: real pods from the test images, with cgroups,
# restarts, back-off, OOM kills, throttling, admission, env and volumes.
# Sourced by tests/integration/run; see lib.sh.

# run_env REF=IMAGE...: a store with the test images IMAGE (busybox,
# stress) imported as REF, a cgroup root of this test's own, and brun to
# call berth run with them.
run_env() {
	need_berth
	need_cgroup2
	CGROOT=$(make_cgroup berth)
	local pair
	for pair in "$@"; do
		"$BERTH_BIN" image --root "$TEST_TMP/state" import "${pair%%=*}" \
			"$(test_image "${pair#*=}")" >/dev/null
	done
	defer rm -rf --one-file-system "$TEST_TMP/run"
}

brun() {
	"$BERTH_BIN" run --root "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$CGROOT" --no-cni "$@"
}

# json_values KEY FILE: every value of "KEY": in a pretty-printed JSON file.
json_values() {
	sed -n 's/^ *"'"$1"'": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\1/p' "$2"
}

register_test run_completes
test_run_completes() {
	run_env busybox=busybox
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: run-ok}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: GREETING, value: "hello from $(POD_NAME)"}
    command: ["sh", "-c", "echo $GREETING; echo to-stderr >&2; exit 0"]
YAML
	local out log
	out=$(brun -f pod.yaml 2>&1) || fail "berth run failed: $out"
	assert_contains "$out" "pod/default/run-ok: Succeeded" "final phase"
	assert_contains "$out" "attempt 1: exit code 0, Completed" "report"
	log=$(cat "$TEST_TMP"/logs/default_run-ok_*/c/0.log)
	assert_match '[0-9T:.-]+Z stdout F hello from run-ok' "$log" "CRI log line"
	assert_match 'stderr F to-stderr' "$log" "stderr in the log"
}

register_test run_oom_killed
test_run_oom_killed() {
	run_env polinux/stress=stress
	# the Kubernetes docs' memory-demo-2, with restartPolicy Never
	sed 's/^spec:$/spec:\n  restartPolicy: Never/' \
		"$BERTH_SRCDIR/tests/fixtures/docs/pods-resource-memory-request-limit-2.yaml" >pod.yaml
	local out rc=0
	out=$(brun -f pod.yaml --timeout 120s 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit status of berth run"
	assert_contains "$out" "Terminated (OOMKilled, exit code 137)" "container state"
	assert_contains "$out" "attempt 1: exit code 137, OOMKilled" "report"
	assert_match "memory peak: [0-9.]+Mi of a 100Mi limit; OOM kills: [1-9]" "$out" "memory line"
	assert_contains "$out" "pod/mem-example/memory-demo-2: Failed" "phase"
}

register_test --serial run_crashloop_backoff
test_run_crashloop_backoff() {
	run_env busybox=busybox
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - {name: c, image: busybox, command: ["sh", "-c", "exit 3"]}
YAML
	brun -f pod.yaml --timeout 26s -o json >report.json 2>run.log || true
	local waits
	mapfile -t waits < <(json_values backOffMs report.json)
	assert_gt "${#waits[@]}" 2 "attempts in 26 s"
	# the first restart is immediate, the next after the 10 s back-off
	[ "${waits[1]}" -lt 2000 ] || fail "second attempt waited ${waits[1]} ms"
	[ "${waits[2]}" -ge 9500 ] && [ "${waits[2]}" -lt 14000 ] ||
		fail "third attempt waited ${waits[2]} ms, expected about 10000"
	assert_contains "$(cat run.log)" "CrashLoopBackOff" "waiting reason"
	assert_contains "$(cat run.log)" "Back-off restarting failed container c" "BackOff event"
	assert_eq 3 "$(json_values exitCode report.json | sort -u)" "exit codes"
}

register_test run_throttled
test_run_throttled() {
	run_env stress=stress
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: cpu}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: stress
    command: ["stress"]
    args: ["--cpu", "2", "--timeout", "4"]
    resources: {limits: {cpu: 200m}}
YAML
	brun -f pod.yaml --timeout 60s -o json >report.json 2>run.log || fail "$(cat run.log)"
	assert_gt "$(json_values cfsThrottledPeriods report.json)" 0 "throttled periods"
	assert_gt "$(json_values cfsPeriods report.json)" 10 "CFS periods"
	# 200m of CPU for ~4 s: well under 2 s of CPU time
	[ "$(json_values cpuUsageUsec report.json)" -lt 2000000 ] || fail "used too much CPU"
}

register_test run_admission_rejected
test_run_admission_rejected() {
	run_env polinux/stress=stress
	# the docs' memory-demo-3: a 1000Gi request never starts
	cp "$BERTH_SRCDIR/tests/fixtures/docs/pods-resource-memory-request-limit-3.yaml" pod.yaml
	local out rc=0
	out=$(brun -f pod.yaml --timeout 30s 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit status"
	assert_contains "$out" "OutOfmemory" "reason"
	assert_contains "$out" "Pod was rejected: " "message"
	assert_no_file "$TEST_TMP/logs/mem-example_memory-demo-3_"* "a log: the container must not start"
}

register_test run_docs_command
test_run_docs_command() {
	run_env debian=busybox
	# the docs' command-demo: printenv HOSTNAME KUBERNETES_PORT in debian
	local out log
	out=$(brun -f "$BERTH_SRCDIR/tests/fixtures/docs/pods-commands.yaml" --timeout 15s 2>&1) || true
	log=$(cat "$TEST_TMP"/logs/default_command-demo_*/command-demo-container/0.log)
	assert_contains "$log" "stdout F command-demo" "HOSTNAME is the pod name"
}

register_test run_shared_volume_localhost
test_run_shared_volume_localhost() {
	run_env busybox=busybox
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: pair}
spec:
  restartPolicy: Never
  volumes: [{name: data, emptyDir: {}}]
  containers:
  - name: server
    image: busybox
    command: ["sh", "-c", "echo shared > /data/x; httpd -p 127.0.0.1:8080 -h /data; for i in $(seq 300); do [ -e /data/done ] && exit 0; sleep 0.1; done; exit 1"]
    volumeMounts: [{name: data, mountPath: /data}]
  - name: client
    image: busybox
    command: ["sh", "-c", "for i in $(seq 50); do wget -qO- http://127.0.0.1:8080/x && touch /data/done && exit 0; sleep 0.2; done; exit 1"]
    volumeMounts: [{name: data, mountPath: /data}]
YAML
	brun -f pod.yaml --timeout 60s >run.log 2>&1 || fail "$(cat run.log)"
	assert_contains "$(cat "$TEST_TMP"/logs/default_pair_*/client/0.log)" "stdout F shared" \
		"the client read the server's file over localhost"
	assert_contains "$(cat run.log)" "pair/client: Terminated (Completed, exit code 0)" "client"
	assert_contains "$(cat run.log)" "pod/default/pair: Succeeded" "both exited 0"
}

register_test run_memory_within_limit
test_run_memory_within_limit() {
	run_env polinux/stress=stress
	# the docs' memory-demo: 150M under a 200Mi limit keeps running
	local out
	out=$(brun -f "$BERTH_SRCDIR/tests/fixtures/docs/pods-resource-memory-request-limit.yaml" \
		--timeout 25s 2>&1) || true
	assert_contains "$out" "pod/mem-example/memory-demo: Running (stopped at the timeout)" "phase"
	assert_contains "$out" "restarts: 0" "no restart"
	assert_match "memory peak: 1[4-9][0-9]\.[0-9]Mi of a 200Mi limit; OOM kills: 0" "$out" "memory"
}

register_test run_cpu_request_rejected
test_run_cpu_request_rejected() {
	run_env vish/stress=stress
	# the docs' cpu-demo-2: a 100-CPU request is rejected at admission
	local out rc=0
	out=$(brun -f "$BERTH_SRCDIR/tests/fixtures/docs/pods-resource-cpu-request-limit-2.yaml" \
		--timeout 30s 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit status"
	assert_contains "$out" "OutOfcpu" "reason"
	assert_match "Node didn't have enough resource: cpu, requested: 100000" "$out" "message"
}

# The rlimits a container gets are containerd's under CRI (RLIMIT_NOFILE
# 1024 soft, 524288 hard; NPROC and CORE unlimited), not berth's own.
register_test run_rlimits
test_run_rlimits() {
	run_env busybox=busybox
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: limits}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "ulimit -S -n; ulimit -H -n; ulimit -u; ulimit -c"]
YAML
	local out
	out=$(ulimit -S -n 2000 && ulimit -S -c 0 && brun -f pod.yaml --timeout 60s 2>&1) || fail "$out"
	assert_eq $'1024\n524288\nunlimited\nunlimited' \
		"$(sed -E 's/^[^ ]+ stdout F //' "$TEST_TMP"/logs/default_limits_*/c/0.log)" \
		"nofile soft and hard, nproc, core"
}

# Container log rotation with the kubelet's flags and a small size: the
# current file, the newest rotated one plain, older ones gzip'ed, at most
# --container-log-max-files in all, and no line lost from what is kept.
register_test run_log_rotation
test_run_log_rotation() {
	run_env busybox=busybox
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "n=0; for i in $$(seq 50); do for j in $$(seq 40); do n=$$((n+1)); echo line $$n; done; sleep 0.1; done; echo done"]
YAML
	local out dir files gz rotated text
	out=$(brun -f pod.yaml --timeout 120s --container-log-max-size 4Ki \
		--container-log-max-files 3 2>&1) || fail "$out"
	dir=$(echo "$TEST_TMP"/logs/default_chatty_*/c)
	files=$(cd "$dir" && ls)
	echo "$files"
	assert_match $'^0\\.log\n0\\.log\\.[0-9]{8}-[0-9]{6}\\.gz\n0\\.log\\.[0-9]{8}-[0-9]{6}$' "$files" \
		"0.log, an older rotated file gzip'ed, the newest plain"
	gz=$(ls "$dir"/0.log.*.gz)
	rotated=$(ls "$dir"/0.log.* | grep -v '\.gz$')
	text=$({ gzip -dc "$gz"; cat "$rotated" "$dir/0.log"; } | sed -E 's/^[^ ]+ stdout F //')
	assert_eq "done" "$(tail -n 1 <<<"$text")" "the last line"
	# consecutive line numbers up to 2000: nothing lost between the files
	assert_eq ok "$(grep '^line ' <<<"$text" | awk '{ if (NR > 1 && $2 != p + 1) bad = 1; p = $2 } END { print (!bad && p == 2000) ? "ok" : "gap or end " p }')" \
		"lines kept are consecutive"
	assert_gt "$(grep -c '^line ' <<<"$text")" 100 "lines kept"
	out=$(brun -f pod.yaml --container-log-max-files 1 2>&1) && fail "max files 1 accepted"
	assert_contains "$out" "--container-log-max-files 1: must be a number greater than 1" "usage error"
}

# Probes under berth run: the live line says ready, the report counts each
# probe's results (the prober's prober_probe_total), in text and JSON.
register_test run_probe_report
test_run_probe_report() {
	run_env busybox=busybox
	cat >pod.yaml <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "touch /tmp/ok; sleep 8; rm /tmp/ok; sleep 8"]
    readinessProbe:
      exec: {command: ["cat", "/tmp/ok"]}
      periodSeconds: 1
      timeoutSeconds: 5
      failureThreshold: 1
    livenessProbe:
      exec: {command: ["true"]}
      periodSeconds: 2
      timeoutSeconds: 10
      failureThreshold: 20
YAML
	local out
	out=$(brun -f pod.yaml --timeout 90s 2>&1) || fail "berth run failed: $out"
	assert_match "probed/c: mem [0-9.]+[KMG]?i?  cpu [0-9.]+  throttled [0-9]+/[0-9]+ periods \([0-9.]+s\)  oom 0  restarts 0  ready" "$out" "a live line, ready"
	assert_match "probed/c: mem .* not ready" "$out" "a live line, not ready"
	assert_match "readiness probe: [0-9]+ probes, [1-9][0-9]* successful, [1-9][0-9]* failed" "$out" "readiness results"
	# the counts add up (an exec probe may time out on a loaded machine)
	[[ $out =~ liveness\ probe:\ ([0-9]+)\ probes,\ ([0-9]+)\ successful,\ ([0-9]+)\ failed ]] ||
		fail "no liveness results: $out"
	local n=${BASH_REMATCH[1]} ok=${BASH_REMATCH[2]} failed=${BASH_REMATCH[3]}
	assert_gt "$n" 0 "liveness probes"
	assert_eq "$n" "$((ok + failed))" "liveness probes counted"
	brun -f pod.yaml --timeout 90s -o json >report.json 2>run.log || fail "$(cat run.log)"
	assert_match '"readiness": \{' "$(cat report.json)" "probes in the JSON report"
	assert_gt "$(sed -n '/"readiness"/,/}/s/.*"failed": \([0-9]*\).*/\1/p' report.json)" 0 "readiness failures in JSON"
}

_run_kill() { kill "$1" 2>/dev/null || true; }

# Interrupted (Ctrl-C's SIGINT, or SIGTERM: a shell starts a background
# job with SIGINT ignored, so the test sends SIGTERM): the pod is deleted
# gracefully (the container gets SIGTERM and exits in its grace period),
# the report says so, the exit status is 1 and nothing is left running.
register_test run_interrupt
test_run_interrupt() {
	run_env busybox=busybox
	mkdir -p "$TEST_TMP/x"
	cat >pod.yaml <<YAML
apiVersion: v1
kind: Pod
metadata: {name: intr}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: x, hostPath: {path: $TEST_TMP/x, type: Directory}}]
  containers:
  - name: c
    image: busybox
    volumeMounts: [{name: x, mountPath: /x}]
    command: ["sh", "-c", "trap 'echo term > /x/got; exit 0' TERM; touch /x/up; sleep 3777 & wait"]
YAML
	local pid rc=0
	# berth itself in the background (not brun's subshell), for its pid
	"$BERTH_BIN" run --root "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$CGROOT" --no-cni \
		-f pod.yaml --timeout 200s >run.log 2>&1 &
	pid=$!
	defer _run_kill "$pid"
	wait_for 120 test -e "$TEST_TMP/x/up"
	sleep 1
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq 1 "$rc" "exit status after SIGTERM"
	assert_eq term "$(cat "$TEST_TMP/x/got")" "the container got SIGTERM"
	assert_contains "$(cat run.log)" "pod/default/intr: Running (interrupted)" "report"
	assert_contains "$(cat run.log)" "Stopping container c" "Killing event"
	assert_match "intr/c: Terminated \(Completed, exit code 0\)" "$(cat run.log)" "the container's end streamed"
	if pgrep -f '[s]leep 3777' >/dev/null; then fail "the container still runs"; fi
}

# Pod sysctls (the e2e node "Sysctls" cases): the safe ones are set in the
# pod's own IPC and network namespaces and the node keeps its values; an
# unsafe one is rejected by the kubelet's admission (SysctlForbidden) unless
# --allowed-unsafe-sysctls allows it.
register_test run_sysctls
test_run_sysctls() {
	run_env busybox=busybox
	local out rc=0 host_shm host_range
	host_shm=$(cat /proc/sys/kernel/shm_rmid_forced)
	host_range=$(cat /proc/sys/net/ipv4/ip_local_port_range)
	sysctl_pod() { # NAME SYSCTLS
		cat <<-Y
		apiVersion: v1
		kind: Pod
		metadata: {name: $1}
		spec:
		  restartPolicy: Never
		  securityContext:
		    sysctls: $2
		  containers:
		  - name: c
		    image: busybox
		    command: ["sh", "-c", "sysctl kernel.shm_rmid_forced net.ipv4.ip_local_port_range kernel.msgmax"]
		Y
	}
	sysctl_pod safe "[{name: kernel.shm_rmid_forced, value: '1'}, {name: net/ipv4/ip_local_port_range, value: '1024 65000'}]" >safe.yaml
	out=$(brun -f safe.yaml --timeout 60s 2>&1) || fail "berth run: $out"
	out=$(sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$TEST_TMP"/logs/default_safe_*/c/0.log)
	assert_contains "$out" "kernel.shm_rmid_forced = 1"
	assert_match "net.ipv4.ip_local_port_range = 1024.65000" "$out"
	assert_eq "$host_shm" "$(cat /proc/sys/kernel/shm_rmid_forced)" "the node's kernel.shm_rmid_forced"
	assert_eq "$host_range" "$(cat /proc/sys/net/ipv4/ip_local_port_range)" "the node's port range"
	# unsafe: rejected, nothing starts
	sysctl_pod unsafe "[{name: kernel.msgmax, value: '10000'}]" >unsafe.yaml
	out=$(brun -f unsafe.yaml --timeout 60s 2>&1) || rc=$?
	assert_eq 1 "$rc" "berth run of a pod with an unsafe sysctl"
	assert_contains "$out" "SysctlForbidden"
	assert_contains "$out" 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted'
	assert_no_file "$TEST_TMP"/logs/default_unsafe_* "a log: the container must not start"
	# allowed by the node
	out=$(brun --allowed-unsafe-sysctls 'kernel.msg*' -f unsafe.yaml --timeout 60s 2>&1) ||
		fail "berth run --allowed-unsafe-sysctls: $out"
	assert_contains "$(sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$TEST_TMP"/logs/default_unsafe_*/c/0.log)" \
		"kernel.msgmax = 10000"
	assert_fails "$BERTH_BIN" run --allowed-unsafe-sysctls vm.swappiness -f unsafe.yaml
}

# subPathExpr (the e2e "Variable Expansion" volume subpath cases): expanded
# from the container's environment; "..", an absolute result or a missing
# variable is the container's CreateContainerConfigError with the
# kubelet's message.
register_test run_subpath_expr
test_run_subpath_expr() {
	run_env busybox=busybox
	local out rc=0
	subpath_pod() { # NAME VALUE COMMAND
		cat <<-Y
		apiVersion: v1
		kind: Pod
		metadata: {name: $1}
		spec:
		  restartPolicy: Never
		  containers:
		  - name: c
		    image: busybox
		    command: ["sh", "-c", "$3"]
		    env:
		    - {name: POD_NAME, $2}
		    volumeMounts:
		    - {name: workdir1, mountPath: /logscontainer, subPathExpr: \$(POD_NAME)}
		    - {name: workdir1, mountPath: /testcontainer}
		  volumes:
		  - {name: workdir1, emptyDir: {}}
		---
		Y
	}
	subpath_pod var-expansion "valueFrom: {fieldRef: {fieldPath: metadata.name}}" \
		'test -d /testcontainer/$POD_NAME; echo $?' >ok.yaml
	out=$(brun -f ok.yaml --timeout 60s 2>&1) || fail "berth run: $out"
	assert_eq 0 "$(sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$TEST_TMP"/logs/default_var-expansion_*/c/0.log)" \
		"test -d /testcontainer/\$POD_NAME"
	{
		subpath_pod backticks "value: '..'" true
		subpath_pod absolute "value: /tmp" true
		cat <<-'Y'
		apiVersion: v1
		kind: Pod
		metadata: {name: missing}
		spec:
		  restartPolicy: Never
		  containers:
		  - name: c
		    image: busybox
		    command: ["true"]
		    volumeMounts:
		    - {name: w, mountPath: /w, subPathExpr: "$(NOPE)/$(ALSO_NOT)"}
		  volumes:
		  - {name: w, emptyDir: {}}
		Y
	} >bad.yaml
	out=$(brun -f bad.yaml --timeout 20s 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "berth run of the failing subpaths succeeded"
	assert_match "backticks/c: Waiting \(CreateContainerConfigError\)" "$out"
	assert_contains "$out" "unable to provision SubPath \`..\`: must not contain '..'"
	assert_contains "$out" "error SubPath \`/tmp\` must not be an absolute path"
	assert_contains "$out" "missing value for ALSO_NOT, NOPE"
	assert_no_file "$TEST_TMP"/logs/default_backticks_*/c/0.log "a log: the container must not start"
}

# The e2e "Container Runtime ... should report termination message if
# TerminationMessagePath is set as non-root user and at a non-default
# path": the kubelet makes the file world-writable.
register_test run_termination_message_non_root
test_run_termination_message_non_root() {
	run_env busybox=busybox
	cat >pod.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata: {name: termination-message-container}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: c
	    image: busybox
	    command: ["/bin/sh", "-c", "echo -n DONE > /dev/termination-custom-log"]
	    terminationMessagePath: /dev/termination-custom-log
	    securityContext: {runAsUser: 1000}
	Y
	brun -f pod.yaml --timeout 60s -o json >report.json 2>run.log || fail "berth run: $(cat run.log)"
	assert_contains "$(cat report.json)" '"message": "DONE"' "the termination message"
}
