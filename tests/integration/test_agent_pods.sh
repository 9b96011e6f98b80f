# The agent's pod worker (issue 6): pods from the API and the manifest
# directory really run, with the kubelet's phases, restart policies and
# graceful deletion, and survive `kill -9` of the agent and a simulated
# reboot.  Uses start_agent/agent_setup from test_agent.sh.

# A test runs in a shell that sourced only this file.
# shellcheck source=tests/integration/test_agent.sh
declare -F agent_setup >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/test_agent.sh"

# agentpod_setup [FLAG...]: an agent whose store has the busybox test image.
agentpod_setup() {
	need_berth
	need_cgroup2
	"$BERTH_BIN" image --root "$TEST_TMP/root" import busybox \
		"$(test_image busybox)" >/dev/null
	agent_setup "$@"
}

# pod_cmd NAME POLICY GRACE SCRIPT: a one-container busybox pod.
pod_cmd() {
	cat <<-Y
	apiVersion: v1
	kind: Pod
	metadata: {name: $1}
	spec:
	  restartPolicy: $2
	  terminationGracePeriodSeconds: $3
	  containers:
	  - name: c
	    image: busybox
	    command: ["sh", "-c", "$4"]
	Y
}

pod_yaml_of() { "$BERTH_BIN" get pod "$1" -o yaml 2>&1; }
# pod_val POD KEY: the first "KEY: value" of the pod's YAML (any depth).
pod_val() { pod_yaml_of "$1" | sed -n "s/^ *$2: //p" | head -1 | tr -d "'\""; }

# wait_pod_ge POD KEY N [SECONDS]: until the number KEY is at least N.
wait_pod_ge() {
	local end=$((SECONDS + ${4:-30})) v
	while v=$(pod_val "$1" "$2"); [ "${v:-0}" -lt "$3" ]; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for $1 $2>=$3: $(pod_yaml_of "$1")"
		sleep 0.2
	done
}

# wait_pod POD KEY VALUE [SECONDS]
wait_pod() {
	local end=$((SECONDS + ${4:-30}))
	until [ "$(pod_val "$1" "$2")" = "$3" ]; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for $1 $2=$3: $(pod_yaml_of "$1")"
		sleep 0.2
	done
}

register_test agentpod_runs
test_agentpod_runs() {
	agentpod_setup
	pod_cmd web Always 5 'echo hello from web; exec sleep 3611' >web.yaml
	"$BERTH_BIN" apply -f web.yaml >/dev/null
	wait_pod web phase Running
	wait_pods_match "web +1/1 +Running +0 "
	local y uid ev
	y=$(pod_yaml_of web)
	assert_contains "$y" "ready: true"
	assert_contains "$y" "started: true"
	assert_match "startedAt: '?20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T" "$y"
	assert_match "type: Ready"$'\n'" *status: .True" "$y"
	uid=$(pod_val web uid)
	wait_for 10 grep -q 'stdout F hello from web' "$TEST_TMP/logs/default_web_$uid/c/0.log"
	assert_eq "hello from web" "$("$BERTH_BIN" logs web)" "berth logs"
	assert_eq "hello from web" "$("$BERTH_BIN" logs web -c c --tail 1)" "berth logs --tail 1"
	assert_contains "$("$BERTH_BIN" logs web -p 2>&1 || true)" 'previous terminated container "c" in pod "web" not found'
	# the accounting, after the first 10 s housekeeping sample
	wait_for 30 sh -c "curl -s --unix-socket '$TEST_TMP/s' http://agent/metrics | grep -q '^container_cpu_usage_seconds_total{.*pod=\"web\"'"
	assert_contains "$(curl -s --unix-socket "$TEST_TMP/s" http://agent/stats/summary)" '"name": "web"'
	# the kubelet's Resource Metrics endpoint (what metrics-server scrapes)
	local rm
	rm=$(curl -s --unix-socket "$TEST_TMP/s" http://agent/metrics/resource)
	assert_match 'container_cpu_usage_seconds_total\{container="c",namespace="default",pod="web"\} [0-9.e+-]+ [0-9]{13}' "$rm"
	assert_match 'container_memory_working_set_bytes\{container="c",namespace="default",pod="web"\} [1-9]' "$rm"
	assert_match 'container_start_time_seconds\{container="c",namespace="default",pod="web"\} 1\.[0-9]+e\+09' "$rm"
	assert_match 'pod_memory_working_set_bytes\{namespace="default",pod="web"\} [1-9]' "$rm"
	assert_match 'node_cpu_usage_seconds_total [0-9.e+]+ [0-9]{13}' "$rm"
	assert_contains "$rm" $'\nresource_scrape_error 0'
	assert_not_contains "$(curl -s --unix-socket "$TEST_TMP/s" http://agent/metrics/cadvisor)" "prober_probe"
	assert_contains "$(pod_yaml_of web)" "berth:"
	ev=$("$BERTH_BIN" get events 2>&1)
	assert_match "Created +pod/web" "$ev"
	assert_match "Started +pod/web" "$ev"
	# deletion: sleep as PID 1 ignores SIGTERM, so SIGKILL comes after the
	# 5 s grace period, then the pod is gone with its cgroup
	local t0=$SECONDS
	"$BERTH_BIN" delete pod web >/dev/null
	assert_contains "$(pod_yaml_of web)" "deletionTimestamp: "
	wait_for 20 sh -c "\"$BERTH_BIN\" get pods 2>&1 | grep -q 'No resources found'"
	[ $((SECONDS - t0)) -ge 5 ] || fail "deleted in $((SECONDS - t0)) s, before the 5 s grace period"
	assert_match "Killing +pod/web +Stopping container c" "$("$BERTH_BIN" get events 2>&1)"
	[ -z "$(find "$AGENT_CG" -name "pod$uid" 2>/dev/null)" ] || fail "the pod's cgroup is left"
	assert_no_file "$TEST_TMP/run/pods/$uid" "the pod's sandbox dir"
}

register_test agentpod_logs_follow
test_agentpod_logs_follow() {
	agentpod_setup
	mkdir -p "$TEST_TMP/t"
	# one line, then more once the test says so, then exit
	cat >talk.yaml <<-Y
	apiVersion: v1
	kind: Pod
	metadata: {name: talk}
	spec:
	  restartPolicy: Never
	  terminationGracePeriodSeconds: 1
	  volumes: [{name: t, hostPath: {path: $TEST_TMP/t}}]
	  containers:
	  - name: c
	    image: busybox
	    command: ["sh", "-c", "echo line 1; while [ ! -e /t/go ]; do sleep 0.2; done; echo line 2; sleep 1; echo line 3"]
	    volumeMounts: [{name: t, mountPath: /t}]
	Y
	"$BERTH_BIN" apply -f talk.yaml >/dev/null
	wait_pod talk phase Running
	"$BERTH_BIN" logs -f talk >follow.out 2>&1 &
	local pid=$!
	# streamed: the first line is printed while the container still runs
	wait_for 20 grep -q 'line 1' follow.out
	kill -0 "$pid" 2>/dev/null || fail "logs -f returned while the container runs: $(cat follow.out)"
	# a client that goes away mid-stream harms nothing
	"$BERTH_BIN" logs -f talk --tail 1 >tail.out 2>&1 &
	local tpid=$!
	wait_for 20 grep -q 'line 1' tail.out
	kill "$tpid"
	wait "$tpid" 2>/dev/null || true
	touch "$TEST_TMP/t/go"
	# it ends by itself once the container has exited
	local end=$((SECONDS + 30))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$SECONDS" -lt "$end" ] ||
			fail "logs -f did not end: $(cat follow.out; pod_yaml_of talk | grep -E 'phase|reason'; tail -5 "$TEST_TMP/agent.log")"
		sleep 0.2
	done
	wait "$pid"
	assert_eq $'line 1\nline 2\nline 3' "$(cat follow.out)" "berth logs -f"
	wait_pod talk phase Succeeded
	# a finished container: -f prints the log and returns at once
	assert_eq "line 3" "$(timeout 10 "$BERTH_BIN" logs -f talk --tail 1)" "logs -f of an exited container"
	assert_contains "$(curl -s --unix-socket "$TEST_TMP/s" http://agent/healthz)" ok
}

register_test agentpod_sigterm
test_agentpod_sigterm() {
	agentpod_setup
	mkdir -p "$TEST_TMP/out"
	cat >p.yaml <<-Y
	apiVersion: v1
	kind: Pod
	metadata: {name: term}
	spec:
	  terminationGracePeriodSeconds: 30
	  volumes: [{name: out, hostPath: {path: $TEST_TMP/out}}]
	  containers:
	  - name: c
	    image: busybox
	    volumeMounts: [{name: out, mountPath: /out}]
	    command: ["sh", "-c", "trap 'echo got-term >/out/term; exit 0' TERM; echo up >/out/up; while true; do sleep 0.1; done"]
	Y
	"$BERTH_BIN" get pods -w >watch.out 2>&1 &
	defer kill $!
	"$BERTH_BIN" apply -f p.yaml >/dev/null
	wait_for 30 test -e "$TEST_TMP/out/up"
	local end=$((SECONDS + 20))
	until grep -Eq '^term +1/1 +Running +0 ' watch.out; do
		[ "$SECONDS" -lt "$end" ] || fail "get pods -w: $(cat watch.out; "$BERTH_BIN" get pods)"
		sleep 0.2
	done
	local t0=$SECONDS
	curl -sN --unix-socket "$TEST_TMP/s" 'http://agent/api/v1/namespaces/default/pods?watch=true' >events.out 2>&1 &
	defer kill $!
	wait_for 10 grep -q '"type":"ADDED"' events.out
	"$BERTH_BIN" delete pod term >/dev/null
	wait_for 20 sh -c "\"$BERTH_BIN\" get pods 2>&1 | grep -q 'No resources found'"
	# the watch streams the deletion as the API server does
	wait_for 10 grep -Eq '^term +[01]/1 +Terminating ' watch.out
	wait_for 10 grep -q '"type":"DELETED","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"term"' events.out
	grep -q '^{"type":"MODIFIED".*"deletionTimestamp":' events.out || fail "no MODIFIED event with the deletionTimestamp"
	assert_eq "got-term" "$(cat "$TEST_TMP/out/term")" "what the container did on SIGTERM"
	[ $((SECONDS - t0)) -lt 20 ] || fail "a container that exits on SIGTERM took the grace period"
}

register_test agentpod_restart_policies
test_agentpod_restart_policies() {
	agentpod_setup
	local p c
	for p in Always OnFailure Never; do
		for c in 0 1; do
			pod_cmd "p-$(echo $p | tr A-Z a-z)-$c" $p 1 "exit $c"
		done
	done | sed '1!s/^apiVersion/---\napiVersion/' >all.yaml
	"$BERTH_BIN" apply -f all.yaml >/dev/null
	# the kubelet: Never and OnFailure+0 end; the others restart with
	# back-off while the phase stays Running
	wait_pod p-never-0 phase Succeeded
	wait_pod p-never-1 phase Failed
	wait_pod p-onfailure-0 phase Succeeded
	wait_pod_ge p-onfailure-1 restartCount 1
	wait_pod_ge p-always-0 restartCount 1
	wait_pod_ge p-always-1 restartCount 1
	assert_eq 0 "$(pod_val p-never-0 restartCount)" "Never, exit 0: restarts"
	assert_eq 0 "$(pod_val p-never-1 restartCount)" "Never, exit 1: restarts"
	assert_eq 0 "$(pod_val p-onfailure-0 restartCount)" "OnFailure, exit 0: restarts"
	assert_match "terminated:"$'\n'" *exitCode: 0"$'\n'" *reason: Completed" "$(pod_yaml_of p-never-0)"
	assert_match "terminated:"$'\n'" *exitCode: 1"$'\n'" *reason: Error" "$(pod_yaml_of p-never-1)"
	assert_match "reason: PodCompleted" "$(pod_yaml_of p-never-0)" "the Ready condition of a finished pod"
	for p in p-onfailure-1 p-always-0 p-always-1; do
		wait_for 40 sh -c "\"$BERTH_BIN\" get pod $p -o yaml | grep -A1 ' waiting:' | grep -q 'reason: CrashLoopBackOff'"
		assert_eq Running "$(pod_val $p phase)" "$p: phase in CrashLoopBackOff"
	done
	assert_match "p-always-1 +0/1 +CrashLoopBackOff +[1-9] " "$(pods_list)"
	assert_match "BackOff +pod/p-always-1 +Back-off restarting failed container c" \
		"$("$BERTH_BIN" get events 2>&1)"
}

register_test agentpod_kill9_adopt
test_agentpod_kill9_adopt() {
	agentpod_setup
	pod_cmd long Always 1 'exec sleep 3622' >long.yaml
	pod_cmd short Never 1 'sleep 12; exit 3' >short.yaml
	"$BERTH_BIN" apply -f long.yaml >/dev/null
	"$BERTH_BIN" apply -f short.yaml >/dev/null
	wait_pod long phase Running
	wait_pod short phase Running
	local started pid_before pid_after
	started=$(pod_val long startedAt)
	pid_before=$(pgrep -f 'sleep 3622' | head -1)
	stop_agent KILL
	# the short one exits while no agent runs: its monitor records it
	wait_for 30 sh -c "! pgrep -f '[s]leep 12' >/dev/null"
	start_agent
	wait_pod short phase Failed
	assert_eq 3 "$(pod_val short exitCode)" "exit code collected after the restart"
	assert_eq Running "$(pod_val long phase)"
	assert_eq "$started" "$(pod_val long startedAt)" "the running container's start"
	assert_eq 0 "$(pod_val long restartCount)"
	assert_match "Started +pod/long" "$("$BERTH_BIN" get events 2>&1)" "events kept across the restart"
	pid_after=$(pgrep -f 'sleep 3622' | head -1)
	assert_eq "$pid_before" "$pid_after" "the container process, adopted"
	assert_eq 1 "$(pgrep -fc 'sleep 3622')" "containers of the long pod"
	# an adopted container is still watched: its exit is seen at once
	kill -9 "$pid_after"
	wait_pod_ge long restartCount 1 20
}

register_test agentpod_reboot
test_agentpod_reboot() {
	agentpod_setup
	pod_cmd rb Always 1 'exec sleep 3633' >rb.yaml
	"$BERTH_BIN" apply -f rb.yaml >/dev/null
	wait_pod rb phase Running
	# a reboot: the agent and every process gone, /run wiped; the state dir
	# stays
	stop_agent KILL
	echo 1 >"$AGENT_CG/cgroup.kill"
	pkill -9 -f 'sleep 3633' || true
	sleep 0.5
	awk -v d="$TEST_TMP/run/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l
	rm -rf --one-file-system "$TEST_TMP/run"
	start_agent
	wait_pod_ge rb restartCount 1 30
	wait_pod rb phase Running
	local y
	y=$(pod_yaml_of rb)
	assert_match "lastState:"$'\n'" *terminated:"$'\n'" *exitCode: 255" "$y"
	assert_contains "$y" "reason: Unknown"
	assert_eq 1 "$(pgrep -fc 'sleep 3633')" "containers after the reboot"
}

register_test agentpod_static
test_agentpod_static() {
	agentpod_setup
	pod_cmd st Always 1 'echo v1; exec sleep 3644' >"$TEST_TMP/m/st.yaml"
	wait_pod "st-$AGENT_NODE" phase Running
	local uid1 uid2
	uid1=$(pod_val "st-$AGENT_NODE" uid)
	# an edit: the old pod is killed, then the new one starts
	pod_cmd st Always 1 'echo v2; exec sleep 3655' >"$TEST_TMP/m/st.yaml.new"
	mv "$TEST_TMP/m/st.yaml.new" "$TEST_TMP/m/st.yaml"
	wait_for 30 sh -c "! pgrep -f '[s]leep 3644' >/dev/null && pgrep -f '[s]leep 3655' >/dev/null"
	wait_pod "st-$AGENT_NODE" phase Running
	uid2=$(pod_val "st-$AGENT_NODE" uid)
	assert_ne "$uid1" "$uid2"
	# removing the file terminates it
	rm "$TEST_TMP/m/st.yaml"
	wait_for 30 sh -c "\"$BERTH_BIN\" get pods 2>&1 | grep -q 'No resources found'"
	wait_for 10 sh -c "! pgrep -f '[s]leep 3655' >/dev/null"
}

register_test agentpod_probes
test_agentpod_probes() {
	agentpod_setup
	# the docs' exec liveness example (pods/probe/exec-liveness.yaml), and
	# a readiness probe that passes from 20 s to about 40 s
	cat >p.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata:
	  labels: {test: liveness}
	  name: liveness-exec
	spec:
	  containers:
	  - name: liveness
	    image: busybox
	    args: ["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"]
	    livenessProbe:
	      exec:
	        command: ["cat", "/tmp/healthy"]
	      initialDelaySeconds: 5
	      periodSeconds: 5
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: ready}
	spec:
	  containers:
	  - name: c
	    image: busybox
	    command: ["sh", "-c", "sleep 20; touch /tmp/ready; sleep 20; rm /tmp/ready; exec sleep 600"]
	    readinessProbe:
	      exec:
	        command: ["cat", "/tmp/ready"]
	      periodSeconds: 1
	Y
	"$BERTH_BIN" apply -f p.yaml >/dev/null
	wait_pod ready phase Running
	assert_match "ready +0/1 +Running" "$(pods_list)" "not ready before its probe passes"
	wait_for 60 sh -c "\"$BERTH_BIN\" get pods | grep -Eq 'ready +1/1 +Running'"
	wait_for 60 sh -c "\"$BERTH_BIN\" get pods | grep -Eq 'ready +0/1 +Running'"
	assert_eq 0 "$(pod_val ready restartCount)" "a readiness failure restarts nothing"
	assert_match "Unhealthy +pod/ready +Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory" \
		"$("$BERTH_BIN" get events 2>&1)"
	# liveness: the file goes at 30 s, three failures 5 s apart: restarted
	# at about 35-45 s
	wait_pod_ge liveness-exec restartCount 1 90
	local ev
	ev=$("$BERTH_BIN" get events 2>&1)
	assert_match "Unhealthy +pod/liveness-exec +Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory" "$ev"
	assert_match "Killing +pod/liveness-exec +Container liveness failed liveness probe, will be restarted" "$ev"
	assert_match "lastState:"$'\n'" *terminated:"$'\n'" *exitCode: 137" "$(pod_yaml_of liveness-exec)"
	# the agent stops cleanly with probed pods (stopping the probes reports
	# results while the worker frees its pods)
	stop_agent TERM
}

register_test agentpod_active_deadline
test_agentpod_active_deadline() {
	agentpod_setup
	pod_cmd dl Always 1 'exec sleep 3666' | sed 's/^spec:$/spec:\n  activeDeadlineSeconds: 4/' >dl.yaml
	"$BERTH_BIN" apply -f dl.yaml >/dev/null
	wait_pod dl phase Failed 60
	local y
	y=$(pod_yaml_of dl)
	assert_contains "$y" $'\n  reason: DeadlineExceeded' "the pod's reason"
	assert_contains "$y" "message: Pod was active on the node longer than the specified deadline"
	assert_match "DeadlineExceeded +pod/dl" "$("$BERTH_BIN" get events 2>&1)"
	wait_for 10 sh -c "! pgrep -f '[s]leep 3666' >/dev/null"
	# the e2e "Pods should allow activeDeadlineSeconds to be updated": a
	# running pod given a deadline by an update
	pod_cmd dl2 Always 1 'exec sleep 3667' >dl2.yaml
	"$BERTH_BIN" apply -f dl2.yaml >/dev/null
	wait_pod dl2 phase Running 60
	sed -i 's/^spec:$/spec:\n  activeDeadlineSeconds: 5/' dl2.yaml
	"$BERTH_BIN" apply -f dl2.yaml >/dev/null
	wait_pod dl2 phase Failed 60
	assert_contains "$(pod_yaml_of dl2)" $'\n  reason: DeadlineExceeded' "the updated pod's reason"
}

register_test run_readiness
test_run_readiness() {
	need_berth
	need_cgroup2
	local cg out
	cg=$(make_cgroup berth)
	"$BERTH_BIN" image --root "$TEST_TMP/root" import busybox "$(test_image busybox)" >/dev/null
	defer rm -rf --one-file-system "$TEST_TMP/run"
	# the demo's readiness experiment: berth run shows each transition
	out=$("$BERTH_BIN" run --root "$TEST_TMP/root" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$cg" --no-cni \
		-f "$BERTH_SRCDIR/contrib/examples/readiness-flap.yaml" --timeout 40s 2>&1) || true
	assert_match "flap/web: Running \(restarts 0\), not ready"$'\n'".*flap/web: Running \(restarts 0\), ready" "$out"
	assert_match "ready"$'\n'"(.*"$'\n'")*  flap/web: Running \(restarts 0\), not ready" "$out" "ready, then not ready again"
	assert_contains "$out" "Readiness probe failed: HTTP probe failed with statuscode: 404"
	assert_contains "$out" "restarts: 0"
}

register_test run_reserved
test_run_reserved() {
	need_berth
	need_cgroup2
	local cg out rc=0 cpus
	cg=$(make_cgroup berth)
	cpus=$(nproc)
	"$BERTH_BIN" image --root "$TEST_TMP/root" import busybox "$(test_image busybox)" >/dev/null
	defer rm -rf --one-file-system "$TEST_TMP/run"
	cat >p.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata: {name: big}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: c
	    image: busybox
	    command: ["true"]
	    resources: {requests: {cpu: 200m}}
	Y
	# all but 100m of the node's CPUs reserved: a 200m request does not fit
	out=$("$BERTH_BIN" run --root "$TEST_TMP/root" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$cg" --no-cni \
		--reserved "cpu=$((cpus * 1000 - 100))m" -f p.yaml 2>&1) || rc=$?
	assert_eq 1 "$rc" "berth run of a rejected pod"
	assert_contains "$out" "OutOfcpu"
	assert_contains "$out" "Pod was rejected: Node didn't have enough resource: cpu, requested: 200, used: 0, capacity: 100"
	assert_fails "$BERTH_BIN" run --reserved frob=1 -f p.yaml
}

register_test agentpod_hooks
test_agentpod_hooks() {
	agentpod_setup
	mkdir -p "$TEST_TMP/out"
	# the docs' lifecycle-events example with busybox: postStart writes
	# /usr/share/message, preStop leaves a trace before the stop signal
	cat >p.yaml <<-Y
	apiVersion: v1
	kind: Pod
	metadata: {name: lifecycle-demo}
	spec:
	  terminationGracePeriodSeconds: 10
	  volumes: [{name: out, hostPath: {path: $TEST_TMP/out}}]
	  containers:
	  - name: lifecycle-demo-container
	    image: busybox
	    command: ["sh", "-c", "trap 'echo term >>/out/trace; exit 0' TERM; while true; do sleep 0.2; done"]
	    volumeMounts: [{name: out, mountPath: /out}]
	    lifecycle:
	      postStart:
	        exec:
	          command: ["/bin/sh", "-c", "mkdir -p /usr/share; echo Hello from the postStart handler > /usr/share/message"]
	      preStop:
	        exec:
	          command: ["/bin/sh", "-c", "echo prestop >>/out/trace; sleep 1"]
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: ps-fail}
	spec:
	  restartPolicy: Never
	  terminationGracePeriodSeconds: 1
	  containers:
	  - name: c
	    image: busybox
	    command: ["sleep", "3600"]
	    lifecycle:
	      postStart:
	        exec:
	          command: ["sh", "-c", "echo broken; exit 3"]
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: ps-gate}
	spec:
	  terminationGracePeriodSeconds: 1
	  volumes: [{name: shared, emptyDir: {}}]
	  containers:
	  - name: first
	    image: busybox
	    command: ["sleep", "3600"]
	    volumeMounts: [{name: shared, mountPath: /shared}]
	    lifecycle:
	      postStart:
	        exec:
	          command: ["sh", "-c", "sleep 2; touch /shared/hook-done"]
	  - name: second
	    image: busybox
	    command: ["sh", "-c", "if [ -e /shared/hook-done ]; then echo gated; else echo early; fi; exec sleep 3600"]
	    volumeMounts: [{name: shared, mountPath: /shared}]
	Y
	"$BERTH_BIN" apply -f p.yaml >/dev/null
	# the kubelet starts the next container only once postStart returned
	wait_pod ps-gate phase Running
	wait_for 30 sh -c "\"$BERTH_BIN\" logs ps-gate -c second 2>/dev/null | grep -q ."
	assert_eq gated "$("$BERTH_BIN" logs ps-gate -c second 2>&1)" "second container's start after first's postStart"
	wait_pod lifecycle-demo phase Running
	wait_for 30 sh -c "\"$BERTH_BIN\" exec --root '$TEST_TMP/root' lifecycle-demo -- cat /usr/share/message 2>/dev/null | grep -q 'Hello from the postStart handler'"
	# a failed postStart kills the container
	wait_pod ps-fail phase Failed 60
	local ev
	ev=$("$BERTH_BIN" get events 2>&1)
	assert_match "FailedPostStartHook +pod/ps-fail +Exec lifecycle hook \(\[sh -c echo broken; exit 3\]\) for Container \"c\"" "$ev"
	assert_match "Killing +pod/ps-fail +FailedPostStartHook" "$ev"
	# deletion: preStop runs, then the stop signal
	"$BERTH_BIN" delete pod lifecycle-demo >/dev/null
	wait_for 30 sh -c "! \"$BERTH_BIN\" get pod lifecycle-demo >/dev/null 2>&1"
	assert_eq $'prestop\nterm' "$(cat "$TEST_TMP/out/trace")" "preStop, then SIGTERM"
}

# The volume manager's periodic remount (--sync-frequency): a ConfigMap
# change reaches the files of the pod's configMap and projected volumes
# while it runs, without a restart, as the docs' "Mounted ConfigMaps are
# updated automatically" says; a projected service account token is there
# too, and an unchanged volume keeps its ..data.
register_test agentpod_volume_refresh
test_agentpod_volume_refresh() {
	agentpod_setup --sync-frequency 2s
	cat >cm.yaml <<-'Y'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: sport}
	data: {sport: football}
	Y
	cat >pod.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata: {name: fan}
	spec:
	  containers:
	  - name: c
	    image: busybox
	    command: ["sh", "-c", "while true; do echo \"sport=$(cat /etc/config/sport) proj=$(cat /etc/proj/sport)\"; sleep 1; done"]
	    volumeMounts:
	    - {name: config, mountPath: /etc/config}
	    - {name: proj, mountPath: /etc/proj}
	    - {name: still, mountPath: /etc/still}
	  volumes:
	  - name: config
	    configMap: {name: sport}
	  - name: proj
	    projected:
	      sources:
	      - configMap: {name: sport}
	      - serviceAccountToken: {path: token, audience: api, expirationSeconds: 3600}
	  - name: still
	    downwardAPI:
	      items:
	      - {path: name, fieldRef: {fieldPath: metadata.name}}
	  - name: podinfo
	    downwardAPI:
	      items:
	      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
	Y
	"$BERTH_BIN" apply -f cm.yaml >/dev/null
	"$BERTH_BIN" apply -f pod.yaml >/dev/null
	wait_pod fan phase Running 60
	wait_for 20 sh -c "\"$BERTH_BIN\" logs fan | grep -q 'sport=football proj=football'"
	local uid still0 restarts
	uid=$(pod_val fan uid)
	still0=$(readlink "$TEST_TMP/root/pods/$uid/volumes/kubernetes.io~downward-api/still/..data")
	[ -n "$still0" ] || fail "no ..data in the downwardAPI volume"
	sed -i 's/football/baseball/' cm.yaml
	"$BERTH_BIN" apply -f cm.yaml >/dev/null
	wait_for 20 sh -c "\"$BERTH_BIN\" logs fan | grep -q 'sport=baseball proj=baseball'"
	restarts=$(pod_val fan restartCount)
	assert_eq 0 "$restarts" "restarts"
	# several remounts later the unchanged volume still has its first data
	sleep 5
	assert_eq "$still0" "$(readlink "$TEST_TMP/root/pods/$uid/volumes/kubernetes.io~downward-api/still/..data")" \
		"the unchanged downwardAPI volume's ..data"
	# the pod's labels change while it runs (the e2e "Downward API volume
	# should update labels on modification")
	sed -i 's/^metadata: {name: fan}$/metadata: {name: fan, labels: {tier: web}}/' pod.yaml
	"$BERTH_BIN" apply -f pod.yaml >/dev/null
	wait_for 20 grep -q 'tier="web"' "$TEST_TMP/root/pods/$uid/volumes/kubernetes.io~downward-api/podinfo/labels"
	assert_eq "$uid" "$(pod_val fan uid)" "the same pod"
	# the token: a JWS with the bound token's claims
	local tok claims
	tok=$(cat "$TEST_TMP"/root/pods/"$uid"/volumes/kubernetes.io~projected/proj/token)
	assert_match '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$tok"
	claims=$(python3 -c 'import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
print(c["aud"], c["sub"], c["exp"] - c["iat"], c["kubernetes.io"]["pod"]["name"])' "$tok")
	assert_eq "['api'] system:serviceaccount:default:default 3600 fan" "$claims" "the token's claims"
}

# The e2e "Pods should contain environment variables for services": a
# container gets the variables of the Services of its namespace that
# existed when it started (NAME_SERVICE_HOST/PORT and the Docker-link
# variables), its own env wins and can refer to them, and
# enableServiceLinks: false leaves them out.
register_test agentpod_service_env
test_agentpod_service_env() {
	agentpod_setup
	cat >svc.yaml <<-'Y'
	apiVersion: v1
	kind: Service
	metadata: {name: fooservice}
	spec:
	  selector: {name: server}
	  ports: [{port: 8765, targetPort: 8080}]
	---
	apiVersion: v1
	kind: Service
	metadata: {name: multi-port}
	spec:
	  selector: {name: server}
	  ports: [{name: http, port: 80}, {name: dns-udp, port: 53, protocol: UDP}]
	---
	apiVersion: v1
	kind: Service
	metadata: {name: headless}
	spec:
	  clusterIP: None
	  selector: {name: server}
	  ports: [{port: 80}]
	Y
	"$BERTH_BIN" apply -f svc.yaml >/dev/null
	local ip mip out
	ip=$("$BERTH_BIN" get service fooservice -o yaml | sed -n 's/^  clusterIP: //p' | tr -d "'\"")
	mip=$("$BERTH_BIN" get service multi-port -o yaml | sed -n 's/^  clusterIP: //p' | tr -d "'\"")
	[ -n "$ip" ] && [ -n "$mip" ] || fail "no cluster IPs: $ip $mip"
	cat >pods.yaml <<-'Y'
	apiVersion: v1
	kind: Pod
	metadata: {name: client-envvars}
	spec:
	  restartPolicy: Never
	  containers:
	  - name: env3cont
	    image: busybox
	    command: ["sh", "-c", "env | sort"]
	    env:
	    - {name: MULTI_PORT_SERVICE_PORT, value: "mine"}
	    - {name: FOO_URL, value: "http://$(FOOSERVICE_SERVICE_HOST):$(FOOSERVICE_SERVICE_PORT)"}
	---
	apiVersion: v1
	kind: Pod
	metadata: {name: no-links}
	spec:
	  restartPolicy: Never
	  enableServiceLinks: false
	  containers:
	  - name: c
	    image: busybox
	    command: ["sh", "-c", "env | sort"]
	Y
	"$BERTH_BIN" apply -f pods.yaml >/dev/null
	wait_pod client-envvars phase Succeeded 60
	wait_pod no-links phase Succeeded 60
	out=$("$BERTH_BIN" logs client-envvars)
	assert_contains "$out" "FOOSERVICE_SERVICE_HOST=$ip"
	assert_contains "$out" "FOOSERVICE_SERVICE_PORT=8765"
	assert_contains "$out" "FOOSERVICE_PORT=tcp://$ip:8765"
	assert_contains "$out" "FOOSERVICE_PORT_8765_TCP=tcp://$ip:8765"
	assert_contains "$out" "FOOSERVICE_PORT_8765_TCP_PROTO=tcp"
	assert_contains "$out" "FOOSERVICE_PORT_8765_TCP_PORT=8765"
	assert_contains "$out" "FOOSERVICE_PORT_8765_TCP_ADDR=$ip"
	assert_contains "$out" "MULTI_PORT_SERVICE_PORT=mine"
	assert_contains "$out" "MULTI_PORT_SERVICE_PORT_HTTP=80"
	assert_contains "$out" "MULTI_PORT_SERVICE_PORT_DNS_UDP=53"
	assert_contains "$out" "MULTI_PORT_PORT_53_UDP=udp://$mip:53"
	assert_contains "$out" "FOO_URL=http://$ip:8765"
	assert_not_contains "$out" "HEADLESS_"
	assert_not_contains "$("$BERTH_BIN" logs no-links)" "SERVICE_HOST"
}
