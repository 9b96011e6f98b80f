# Jobs end to end through `berth run -f`: the Job controller creates and
# counts the pods, the pod worker runs them.  The docs' pi Job with a
# stand-in that really computes pi, completions with parallelism,
# backoffLimit with the re-creation back-off, OnFailure restarts,
# activeDeadlineSeconds, the Indexed example, podFailurePolicy FailJob.
# Sourced by tests/integration/run; see lib.sh.

# jobs_env: a store with the busybox test image imported as busybox (and
# as perl:5.34.0, the docs' pi image, whose command is replaced), a
# cgroup root of this test's own.
jobs_env() {
	need_berth
	need_cgroup2
	JOBS_CG=$(make_cgroup berth)
	local img
	img=$(test_image busybox)
	"$BERTH_BIN" image --root "$TEST_TMP/state" import busybox "$img" >/dev/null
	"$BERTH_BIN" image --root "$TEST_TMP/state" import perl:5.34.0 "$img" >/dev/null
	defer rm -rf --one-file-system "$TEST_TMP/run"
}

jrun() {
	"$BERTH_BIN" run --root "$TEST_TMP/state" --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$JOBS_CG" --no-cni "$@"
}

# The largest "active N" of the Job's streamed status lines.
max_active() {
	printf '%s\n' "$1" | sed -n 's/^job\/[^ ]*: [A-Za-z]*, active \([0-9]*\) .*/\1/p' |
		sort -n | tail -1
}

# The Rabinowitz-Wagon spigot: the first 100 digits of pi, in awk.
PI_AWK='BEGIN {
  n = 100; len = int (10 * n / 3) + 1
  for (i = 1; i <= len; i++) a[i] = 2
  nines = 0; pre = 0; out = ""
  for (j = 1; j <= n; j++) {
    q = 0
    for (i = len; i >= 1; i--) {
      x = 10 * a[i] + q * i
      a[i] = x % (2 * i - 1)
      q = int (x / (2 * i - 1))
    }
    a[1] = q % 10; q = int (q / 10)
    if (q == 9) nines++
    else if (q == 10) {
      out = out (pre + 1); for (k = 0; k < nines; k++) out = out "0"
      pre = 0; nines = 0
    } else {
      if (j > 1) out = out pre
      pre = q
      for (k = 0; k < nines; k++) out = out "9"
      nines = 0
    }
  }
  out = out pre
  print substr (out, 1, 1) "." substr (out, 2)
}'
PI_100=3.141592653589793238462643383279502884197169399375105820974944592307816406286208998628034825342117067

register_test job_pi
test_job_pi() {
	jobs_env
	# the docs' Job (controllers/job.yaml) with awk in place of perl
	local docs="$BERTH_SRCDIR/tests/fixtures/docs/controllers-job.yaml"
	{
		sed -n '1,/^        image: perl:5.34.0$/p' "$docs"
		printf '        command:\n        - awk\n        - |\n'
		printf '%s\n' "$PI_AWK" | sed 's/^/          /'
		sed -n '/^      restartPolicy: Never$/,$p' "$docs"
	} >job.yaml
	local out log
	out=$(jrun -f job.yaml --timeout 120s 2>&1) || fail "berth run failed: $out"
	assert_contains "$out" "event: Normal  SuccessfulCreate       job/pi: Created pod: pi-" "pod created"
	assert_match "job/default/pi: Complete, active 0 \(ready 0\), succeeded 1, failed 0 \(CompletionsReached\)" "$out" "report"
	assert_match "pod/default/pi-[b-z2-9]{5}: Succeeded" "$out" "the pod"
	log=$(cat "$TEST_TMP"/logs/default_pi-*/pi/0.log)
	assert_contains "$log" "stdout F $PI_100" "100 digits of pi"
}

register_test job_completions_parallelism
test_job_completions_parallelism() {
	jobs_env
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: five}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, command: ["sh", "-c", "sleep 1; echo done"]}
YAML
	local out n
	out=$(jrun -f job.yaml --timeout 180s 2>&1) || fail "berth run failed: $out"
	assert_contains "$out" "job/default/five: Complete, active 0 (ready 0), succeeded 5, failed 0" "report"
	assert_eq 2 "$(max_active "$out")" "most pods active at once"
	n=$(printf '%s\n' "$out" | grep -c '^pod/default/five-[b-z2-9]\{5\}: Succeeded (every job finished)$')
	assert_eq 5 "$n" "succeeded pods in the report"
	n=$(printf '%s\n' "$out" | grep -c 'Created pod: five-')
	assert_eq 5 "$n" "pods created"
}

register_test job_backoff_limit
test_job_backoff_limit() {
	jobs_env
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: fails}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, command: ["sh", "-c", "exit 1"]}
YAML
	local out rc=0 n t0 t1
	t0=$(date +%s)
	out=$(jrun -f job.yaml --timeout 120s 2>&1) || rc=$?
	t1=$(date +%s)
	assert_eq 1 "$rc" "exit status"
	assert_contains "$out" "job/default/fails: Failed, active 0 (ready 0), succeeded 0, failed 2 (BackoffLimitExceeded)" "report"
	assert_contains "$out" "event: Warning BackoffLimitExceeded   job/fails: Job has reached the specified backoff limit" "event"
	n=$(printf '%s\n' "$out" | grep -c '^pod/default/fails-[b-z2-9]\{5\}: Failed (every job finished)$')
	assert_eq 2 "$n" "failed pods"
	# the second pod waited the 10 s re-creation back-off
	[ $((t1 - t0)) -ge 10 ] || fail "the run took $((t1 - t0)) s, less than the 10 s back-off"
}

register_test job_on_failure_restarts
test_job_on_failure_restarts() {
	jobs_env
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: crash}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: OnFailure
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: busybox, command: ["sh", "-c", "exit 2"]}
YAML
	local out rc=0 n
	out=$(jrun -f job.yaml --timeout 120s 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit status"
	assert_contains "$out" "(BackoffLimitExceeded)" "failed by the restarts"
	# one pod, restarted by the kubelet, never replaced
	n=$(printf '%s\n' "$out" | grep -c 'Created pod: crash-')
	assert_eq 1 "$n" "pods created"
}

register_test job_active_deadline
test_job_active_deadline() {
	jobs_env
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: late}
spec:
  activeDeadlineSeconds: 2
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: busybox, command: ["sleep", "600"]}
YAML
	local out rc=0 t0 t1
	t0=$(date +%s)
	out=$(jrun -f job.yaml --timeout 120s 2>&1) || rc=$?
	t1=$(date +%s)
	assert_eq 1 "$rc" "exit status"
	assert_contains "$out" "job/default/late: Failed, active 0 (ready 0), succeeded 0, failed 1 (DeadlineExceeded)" "report"
	assert_contains "$out" "Job was active longer than specified deadline" "event"
	assert_contains "$out" "Deleted pod: late-" "the pod deleted"
	[ $((t1 - t0)) -lt 60 ] || fail "the pod was not stopped at the deadline ($((t1 - t0)) s)"
}

register_test job_indexed
test_job_indexed() {
	jobs_env
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: idx}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["sh", "-c", "echo index=$JOB_COMPLETION_INDEX host=$(hostname)"]
YAML
	local out i log
	out=$(jrun -f job.yaml --timeout 180s 2>&1) || fail "berth run failed: $out"
	assert_contains "$out" "job/default/idx: Complete, active 0 (ready 0), succeeded 3, failed 0, completed indexes 0-2" "report"
	for i in 0 1 2; do
		log=$(cat "$TEST_TMP"/logs/default_idx-$i-*/c/0.log)
		assert_contains "$log" "index=$i host=idx-$i" "pod $i sees its index and hostname"
	done
}

register_test job_pod_failure_policy
test_job_pod_failure_policy() {
	jobs_env
	# the docs' FailJob example, shorter, with busybox for bash
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: job-pod-failure-policy-failjob}
spec:
  completions: 8
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["sh", "-c", "echo exiting with 42; exit 42"]
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: main, operator: In, values: [42]}
    - action: Ignore
      onExitCodes: {operator: In, values: [7]}
YAML
	local out rc=0
	out=$(jrun -f job.yaml --timeout 120s 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit status"
	assert_contains "$out" "(PodFailurePolicy)" "reason"
	assert_match "Container main for pod default/job-pod-failure-policy-failjob-[b-z2-9]{5} failed with exit code 42 matching FailJob rule at index 0" "$out" "message"
}

# --- through the agent ---------------------------------------------------

# jobs_agent: an agent of this test's own (state with busybox, socket,
# run dir, logs, cgroup root), in the background; BERTH_SOCKET points at it.
jobs_agent() {
	need_berth
	need_cgroup2
	JOBS_CG=$(make_cgroup berth)
	"$BERTH_BIN" image --root "$TEST_TMP/root" import busybox \
		"$(test_image busybox)" >/dev/null
	defer rm -rf --one-file-system "$TEST_TMP/run"
	defer _jobs_agent_kill
	jobs_agent_start
}

jobs_agent_start() {
	rm -f "$TEST_TMP/s"
	"$BERTH_BIN" agent --root "$TEST_TMP/root" --socket "$TEST_TMP/s" \
		--hostname-override node1 --run-dir "$TEST_TMP/run" \
		--log-dir "$TEST_TMP/logs" --cgroup-root "$JOBS_CG" --no-cni \
		>>"$TEST_TMP/agent.log" 2>&1 &
	echo $! >"$TEST_TMP/agent.pid"
	export BERTH_SOCKET=$TEST_TMP/s
	wait_for 10 "$BERTH_BIN" get namespaces
}

jobs_agent_stop() {
	local pid
	pid=$(cat "$TEST_TMP/agent.pid")
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}

_jobs_agent_kill() {
	[ ! -s "$TEST_TMP/agent.pid" ] || kill -9 "$(cat "$TEST_TMP/agent.pid")" 2>/dev/null || true
	echo 1 >"$JOBS_CG/cgroup.kill" 2>/dev/null || true
	sleep 0.2
	awk -v d="$TEST_TMP/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo |
		sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}

# wait_job NAME STATUS SECONDS: until `berth get jobs` shows it.
wait_job() {
	local end=$((SECONDS + $3)) out
	until out=$("$BERTH_BIN" get jobs 2>&1) && [[ "$out" =~ (^|$'\n')$1\ +$2\  ]]; do
		[ "$SECONDS" -lt "$end" ] || fail "job $1 not $2 after $3 s: $out; $(tail -5 "$TEST_TMP/agent.log")"
		sleep 0.2
	done
}

register_test job_agent
test_job_agent() {
	jobs_agent
	cat >job.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: four}
spec:
  completions: 4
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, command: ["sh", "-c", "sleep 2"]}
YAML
	"$BERTH_BIN" apply -f job.yaml >/dev/null
	# some pods done, not all (two run at a time)
	wait_for 60 sh -c "\"$BERTH_BIN\" get job four -o yaml | grep -Eq '^  succeeded: [1-3]$'"
	# an agent restart in the middle: no count lost, no pod twice
	jobs_agent_stop
	jobs_agent_start
	wait_job four Complete 120
	local out n
	out=$("$BERTH_BIN" get jobs)
	assert_match "four +Complete +4/4 +[0-9]+s +[0-9]+s" "$out" "get jobs"
	n=$("$BERTH_BIN" get pods | grep -c '^four-[b-z2-9]\{5\} ')
	assert_eq 4 "$n" "pods of the job"
	out=$("$BERTH_BIN" describe job four)
	assert_contains "$out" "Pods Statuses:    0 Active (0 Ready) / 4 Succeeded / 0 Failed" "describe"
	assert_contains "$out" "Completions:      4" "describe completions"
	# ttlSecondsAfterFinished removes the Job and its pods; before that,
	# its events, made by one agent (the first Job's straddle a restart)
	cat >ttl.yaml <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: ttl}
spec:
  ttlSecondsAfterFinished: 10
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: busybox, command: ["true"]}
YAML
	"$BERTH_BIN" apply -f ttl.yaml >/dev/null
	wait_job ttl Complete 60
	out=$("$BERTH_BIN" describe job ttl)
	assert_match "Normal +SuccessfulCreate +[0-9]+s +berth +Created pod: ttl-" "$out" "describe events"
	assert_match "Normal +Completed +[0-9]+s +berth +Job completed" "$out" "completed event"
	assert_contains "$out" "TTL Seconds After Finished:  10" "describe ttl"
	wait_for 30 sh -c "! \"$BERTH_BIN\" get job ttl >/dev/null 2>&1"
	wait_for 30 sh -c "! \"$BERTH_BIN\" get pods | grep -q '^ttl-'"
}

register_test job_agent_cronjob
test_job_agent_cronjob() {
	jobs_agent
	cat >cj.yaml <<'YAML'
apiVersion: batch/v1
kind: CronJob
metadata: {name: hello}
spec:
  schedule: "* * * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - {name: hello, image: busybox, command: ["sh", "-c", "date; echo Hello"]}
YAML
	"$BERTH_BIN" apply -f cj.yaml >/dev/null
	local out job minutes
	# the next minute's Job, named after its scheduled minute
	wait_for 75 sh -c "\"$BERTH_BIN\" get jobs | grep -q '^hello-'"
	out=$("$BERTH_BIN" get jobs)
	job=$(printf '%s\n' "$out" | sed -n 's/^\(hello-[0-9]*\) .*/\1/p' | head -1)
	minutes=${job#hello-}
	assert_eq 0 "$(( $(date +%s) / 60 - minutes ))" "scheduled this minute"
	wait_job "$job" Complete 60
	out=$("$BERTH_BIN" get cronjobs)
	assert_match "hello +\* \* \* \* \* +<none> +False +0 +[0-9]+s +[0-9]+s" "$out" "get cronjobs"
	out=$("$BERTH_BIN" describe cronjob hello)
	assert_contains "$out" "Concurrency Policy:            Forbid" "describe"
	assert_match "Normal +SuccessfulCreate +[0-9]+s +berth +Created job $job" "$out" "event"
	assert_match "Normal +SawCompletedJob .*Saw completed job: $job, status: Complete" "$out" "event"
	"$BERTH_BIN" get job "$job" -o yaml | grep -q "batch.kubernetes.io/cronjob-scheduled-timestamp" ||
		fail "no scheduled-timestamp annotation"
}
