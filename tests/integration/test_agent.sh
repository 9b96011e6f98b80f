# The agent (issue 6): manifest directory, API, CLI, persistence and bad
# input.  The agent runs its pods (their images are missing here, so they
# wait with ErrImageNeverPull), so these tests need the VM; the VM runner
# sources this file like every test_*.sh, and it can also be run directly
# inside the VM (see the end).  Everything is the test's own: --root,
# --socket, --manifest-dir, --run-dir, --log-dir under $TEST_TMP and a
# cgroup root from make_cgroup.

AGENT_NODE=node1

# Run directly: bring in the library first (see the end of the file).
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ -z "${AGENT_ITEST_MAIN:-}" ]; then
	AGENT_ITEST_MAIN=1
	# make check runs tests in the build dir: its berth, unless given
	BERTH_BIN=${BERTH_BIN:-$PWD/berth}
	export BERTH_BIN
	# shellcheck source=tests/integration/lib.sh
	. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
fi

# start_agent: run the agent in the background, wait for its socket.
start_agent() {
	mkdir -p "$TEST_TMP/m"
	rm -f "$TEST_TMP/s"
	"$BERTH_BIN" agent --root "$TEST_TMP/root" --socket "$TEST_TMP/s" \
		--manifest-dir "$TEST_TMP/m" --hostname-override "$AGENT_NODE" \
		--file-check-frequency 1s --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$AGENT_CG" --no-cni \
		"${AGENT_FLAGS[@]}" >>"$TEST_TMP/agent.log" 2>&1 &
	echo $! >"$TEST_TMP/agent.pid"
	export BERTH_SOCKET=$TEST_TMP/s
	wait_for 30 "$BERTH_BIN" get namespaces
}

# stop_agent [SIGNAL]: stop it (default TERM) and wait until it is gone;
# after TERM it must have exited with status 0.
stop_agent() {
	local pid rc=0
	pid=$(cat "$TEST_TMP/agent.pid")
	kill "-${1:-TERM}" "$pid"
	wait "$pid" 2>/dev/null || rc=$?
	# 127: not this shell's child (started by another one)
	[ "${1:-TERM}" != TERM ] || [ "$rc" = 0 ] || [ "$rc" = 127 ] ||
		fail "the agent exited with status $rc after SIGTERM"
}

# agent_setup [FLAG...]: an agent of this test's own (state, socket, run
# dir, logs, cgroup root); it runs pods, so it needs the VM.
agent_setup() {
	need_berth
	need_cgroup2
	AGENT_CG=$(make_cgroup berth)
	AGENT_FLAGS=("$@")
	defer rm -rf --one-file-system "$TEST_TMP/run"
	defer _agent_kill "$TEST_TMP/agent.pid"
	start_agent
}

# The agent, then what its pods left running (containers outlive it):
# their processes through the cgroup, their mounts under the test dir.
_agent_kill() {
	[ ! -s "$1" ] || kill -9 "$(cat "$1")" 2>/dev/null || true
	[ -z "${AGENT_CG:-}" ] || echo 1 >"$AGENT_CG/cgroup.kill" 2>/dev/null || true
	sleep 0.2
	awk -v d="$TEST_TMP/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

# get_field KIND NAME FIELD: one field of an object, through -o yaml.
get_field() {
	"$BERTH_BIN" get "$1" "$2" -o yaml | sed -n "s/^  $3: //p" | head -1 | tr -d "'\""
}

pods_list() { "$BERTH_BIN" get pods 2>&1; }

# wait_pods_match ERE: until `berth get pods` matches.
wait_pods_match() {
	local end=$((SECONDS + ${2:-10}))
	until [[ "$(pods_list)" =~ $1 ]]; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for pods to match '$1': $(pods_list)"
		sleep 0.1
	done
}

pod_yaml() { # NAME IMAGE
	printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: c\n    image: %s\n' "$1" "$2"
}

register_test agent_manifest_dir
test_agent_manifest_dir() {
	agent_setup
	pod_yaml web busybox >"$TEST_TMP/m/web.yaml"
	wait_pods_match "web-$AGENT_NODE +0/1 +(Pending|ErrImageNeverPull) +0 "
	local uid1 uid2
	uid1=$(get_field pod "web-$AGENT_NODE" uid)
	assert_match '^[0-9a-f]{32}$' "$uid1" "static pod uid (config hash)"
	assert_contains "$("$BERTH_BIN" get pod "web-$AGENT_NODE" -o yaml)" "kubernetes.io/config.source: file"
	assert_contains "$("$BERTH_BIN" get pods -o wide)" "$AGENT_NODE"
	# an edit replaces the pod (new uid: it would be recreated)
	pod_yaml web busybox:2 >"$TEST_TMP/m/web.yaml.new"
	mv "$TEST_TMP/m/web.yaml.new" "$TEST_TMP/m/web.yaml"
	wait_for 30 sh -c "\"$BERTH_BIN\" get pod web-$AGENT_NODE -o yaml | grep -q 'image: busybox:2'"
	uid2=$(get_field pod "web-$AGENT_NODE" uid)
	assert_ne "$uid1" "$uid2" "uid after the pod spec changed"
	# the API refuses to delete a file's object
	assert_contains "$("$BERTH_BIN" delete pod "web-$AGENT_NODE" 2>&1 || true)" "Forbidden"
	# removing the file removes the pod
	rm "$TEST_TMP/m/web.yaml"
	wait_for 30 sh -c "\"$BERTH_BIN\" get pods 2>&1 | grep -q 'No resources found'"
	# a describe of a pod
	pod_yaml desc busybox >"$TEST_TMP/m/desc.yaml"
	wait_pods_match "desc-$AGENT_NODE"
	local d
	d=$("$BERTH_BIN" describe pod "desc-$AGENT_NODE")
	assert_match "Node: +$AGENT_NODE" "$d"
	assert_match "QoS Class: +BestEffort" "$d"
	assert_match "PodScheduled +True" "$d"
}

register_test agent_apply
test_agent_apply() {
	agent_setup
	pod_yaml api1 busybox >a.yaml
	assert_eq "pod/api1 created" "$("$BERTH_BIN" apply -f a.yaml)"
	assert_eq "pod/api1 unchanged" "$("$BERTH_BIN" apply -f a.yaml)"
	pod_yaml api1 busybox:1 >a.yaml
	assert_eq "pod/api1 configured" "$("$BERTH_BIN" apply -f a.yaml)"
	local json
	json=$("$BERTH_BIN" get pod api1 -o json)
	assert_contains "$json" '"phase": "Pending"'
	assert_contains "$json" '"resourceVersion": "'
	assert_contains "$json" '"creationTimestamp": "'
	if command -v python3 >/dev/null; then
		python3 -c 'import json,sys; p=json.load(sys.stdin); m=p["metadata"]
assert p["kind"]=="Pod" and len(m["uid"])==36 and m["generation"]==2, p
assert [c["type"] for c in p["status"]["conditions"]]==["PodReadyToStartContainers","Initialized","Ready","ContainersReady","PodScheduled"], p' <<<"$json"
	fi
	json=$("$BERTH_BIN" get pods -A -o json)
	assert_contains "$json" '"kind": "PodList"'
	# a local validation error sends nothing
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers: [{name: c}]\n' >bad.yaml
	local out rc=0
	out=$("$BERTH_BIN" apply -f bad.yaml 2>&1) || rc=$?
	assert_eq 1 "$rc" "apply of an invalid pod"
	assert_contains "$out" "bad.yaml: spec.containers[0].image: Required value"
	# other kinds
	cat >k.yaml <<-'Y'
	apiVersion: v1
	kind: ConfigMap
	metadata: {name: cfg}
	data: {a: "1", b: "2"}
	---
	apiVersion: v1
	kind: Secret
	metadata: {name: sec}
	stringData: {k: v}
	---
	apiVersion: v1
	kind: Service
	metadata: {name: svc}
	spec:
	  ports: [{port: 80}]
	---
	apiVersion: batch/v1
	kind: Job
	metadata: {name: job}
	spec:
	  template:
	    spec:
	      restartPolicy: Never
	      containers: [{name: c, image: busybox}]
	---
	apiVersion: batch/v1
	kind: CronJob
	metadata: {name: cj}
	spec:
	  schedule: "*/5 * * * *"
	  jobTemplate:
	    spec:
	      template:
	        spec:
	          restartPolicy: OnFailure
	          containers: [{name: c, image: busybox}]
	Y
	assert_ok "$BERTH_BIN" apply -f k.yaml
	assert_match "cfg +2 " "$("$BERTH_BIN" get configmaps)"
	assert_match "svc +ClusterIP +10\\.[0-9.]+ +<none> +80/TCP " "$("$BERTH_BIN" get services)"
	assert_match "job +Running +0/1 " "$("$BERTH_BIN" get jobs)"
	assert_match "cj +\*/5 \* \* \* \* +<none> +False +0 +<none> " "$("$BERTH_BIN" get cronjobs)"
	assert_match "sec +Opaque" "$("$BERTH_BIN" get secrets)"
	assert_eq 'pod "api1" deleted' "$("$BERTH_BIN" delete pod api1)"
	out=$("$BERTH_BIN" delete pod api1 2>&1) || true
	assert_eq 'Error from server (NotFound): pods "api1" not found' "$out"
	assert_ok "$BERTH_BIN" delete -f k.yaml
	assert_contains "$("$BERTH_BIN" get cm 2>&1)" "No resources found"
}

register_test agent_restart
test_agent_restart() {
	agent_setup
	pod_yaml st busybox >"$TEST_TMP/m/st.yaml"
	pod_yaml api2 busybox >a.yaml
	"$BERTH_BIN" apply -f a.yaml >/dev/null
	wait_pods_match "st-$AGENT_NODE"
	local before after
	before=$("$BERTH_BIN" get pods -o yaml | grep -E '^    (name|uid|resourceVersion|creationTimestamp):')
	stop_agent KILL
	start_agent
	after=$("$BERTH_BIN" get pods -o yaml | grep -E '^    (name|uid|resourceVersion|creationTimestamp):')
	assert_eq "$before" "$after" "pods' metadata across kill -9 and restart"
	# a file removed while the agent was down: its pod goes at start
	stop_agent TERM
	rm "$TEST_TMP/m/st.yaml"
	start_agent
	wait_for 30 sh -c "! \"$BERTH_BIN\" get pods | grep -q st-$AGENT_NODE"
	assert_contains "$(pods_list)" "api2"
	# resourceVersions keep growing
	pod_yaml api3 busybox >b.yaml
	"$BERTH_BIN" apply -f b.yaml >/dev/null
	local rv2 rv3
	rv2=$(get_field pod api2 resourceVersion)
	rv3=$(get_field pod api3 resourceVersion)
	assert_gt "$rv3" "$rv2" "resourceVersion of a later object"
}

register_test agent_bad_input
test_agent_bad_input() {
	agent_setup
	pod_yaml good busybox >"$TEST_TMP/m/good.yaml"
	wait_pods_match "good-$AGENT_NODE"
	# one good and one bad object in a file
	{
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\n'
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec:\n  containers: [{name: c, image: x, resources: {limits: {memory: 12XB}}}]\n'
	} >"$TEST_TMP/m/mixed.yaml"
	head -c 4096 /dev/urandom >"$TEST_TMP/m/garbage.bin"
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x\n' >"$TEST_TMP/m/syntax.yaml"
	head -c $((10 * 1024 * 1024 + 1)) /dev/zero >"$TEST_TMP/m/huge.yaml"
	wait_for 30 sh -c "\"$BERTH_BIN\" get events | grep -q huge.yaml"
	local ev
	ev=$("$BERTH_BIN" get events)
	assert_contains "$ev" "pod/broken-$AGENT_NODE"
	assert_contains "$ev" "mixed.yaml: spec.containers[0].resources.limits.memory: "
	assert_contains "$ev" "garbage.bin: "
	assert_contains "$ev" "syntax.yaml: line "
	assert_contains "$ev" "huge.yaml: file is 10485761 bytes, larger than the limit"
	assert_match "FailedToLoad" "$ev"
	assert_match "fine +0 " "$("$BERTH_BIN" get cm)"
	assert_contains "$(pods_list)" "good-$AGENT_NODE"
	# a good file turned bad keeps its pod
	local uid
	uid=$(get_field pod "good-$AGENT_NODE" uid)
	printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: good}\nspec:\n  containers: [{name: c}]\n' >"$TEST_TMP/m/good.yaml"
	wait_for 30 sh -c "\"$BERTH_BIN\" get events | grep -q 'good.yaml: spec.containers\[0\].image: Required value'"
	assert_eq "$uid" "$(get_field pod "good-$AGENT_NODE" uid)" "uid of the pod whose file became invalid"
	# the API rejects bad bodies with Status errors and keeps running
	local out
	out=$("$BERTH_BIN" get pods nope 2>&1 || true)
	assert_eq 'Error from server (NotFound): pods "nope" not found' "$out"
	kill -0 "$(cat "$TEST_TMP/agent.pid")" || fail "the agent died"
	# SIGTERM: a clean stop that removes the socket
	stop_agent TERM
	assert_no_file "$TEST_TMP/s"
}

# Run directly (make check on the host): run the tests above as the current
# user with the integration library, without the VM.
if [ "${AGENT_ITEST_MAIN:-}" = 1 ]; then
	AGENT_ITEST_MAIN=2 # _itest_exec sources this file again
	export AGENT_ITEST_MAIN
	BERTH_TEST_RUNDIR=$(mktemp -d "${TMPDIR:-/tmp}/berth-agent.XXXXXX")
	export BERTH_TEST_RUNDIR
	# the tests are independent (each has its own agent): run them at once
	pids=() names=()
	for i in "${!ITEST_NAMES[@]}"; do
		[[ "${ITEST_NAMES[$i]}" == agent_* ]] || continue
		(_itest_exec "${ITEST_FILES[$i]}" "${ITEST_NAMES[$i]}" "${ITEST_FUNCS[$i]}") \
			>"$BERTH_TEST_RUNDIR/${ITEST_NAMES[$i]}.out" 2>&1 &
		pids+=($!) names+=("${ITEST_NAMES[$i]}")
	done
	failed=0
	for i in "${!pids[@]}"; do
		n=${names[$i]}
		if wait "${pids[$i]}"; then
			echo "PASS: $n"
		else
			echo "FAIL: $n"
			sed 's/^/  /' "$BERTH_TEST_RUNDIR/$n.out"
			sed 's/^/  agent.log: /' "$BERTH_TEST_RUNDIR/$n/agent.log" 2>/dev/null | tail -20
			failed=1
		fi
	done
	[ "$failed" = 1 ] || rm -rf "$BERTH_TEST_RUNDIR"
	exit "$failed"
fi
