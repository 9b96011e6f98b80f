# Pod sandbox tests: namespaces, hostname, loopback, /dev/shm, /etc files,
# volumes, teardown and leaks.  Driven by tests/integration/sandbox-tool
# (built by `make`).  See lib.sh.

SBTOOL=$BERTH_BUILDDIR/tests/integration/sandbox-tool

need_sbtool() { [ -x "$SBTOOL" ] || skip "no $SBTOOL (run make)"; }

# sb_pod NAME [EXTRA-SPEC-YAML]: write pod NAME's manifest to NAME.yaml.
sb_pod() {
	cat >"$1.yaml" <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: $1, namespace: default, uid: $TEST_ID-$1}
		spec:
		  containers: [{name: c, image: busybox}]
		${2:-}
	EOF2
}

# sb_get KEY OUTPUT: a value of sandbox-tool create's key=value output.
sb_get() { printf '%s\n' "$2" | sed -n "s/^$1=//p"; }

# sb_create NAME [ARGS]: create a sandbox without CNI; destroyed after the test.
sb_create() {
	local run=$TEST_TMP/run
	defer "$SBTOOL" --run-dir "$run" destroy "$TEST_ID-$1"
	"$SBTOOL" --run-dir "$run" --no-cni create "$1.yaml"
}

register_test sandbox_namespaces
test_sandbox_namespaces() {
	need_sbtool
	local out net ipc uts
	sb_pod web "  hostname: web-host"$'\n'"  subdomain: sub"
	out=$(sb_create web)
	echo "$out"
	net=$(sb_get net "$out") ipc=$(sb_get ipc "$out") uts=$(sb_get uts "$out")
	assert_eq "$TEST_TMP/run/pods/$TEST_ID-web/ns/net" "$net" "net ns path"
	assert_ne "$(readlink /proc/self/ns/net)" "$(nsenter --net="$net" readlink /proc/self/ns/net)" "own netns"
	assert_ne "$(readlink /proc/self/ns/ipc)" "$(nsenter --ipc="$ipc" readlink /proc/self/ns/ipc)" "own ipc ns"
	assert_eq web-host "$(nsenter --uts="$uts" hostname)" "hostname in the UTS ns"
	assert_match "UP" "$(nsenter --net="$net" ip link show lo)" "lo up"
	assert_ok nsenter --net="$net" busybox ping -c 1 -W 5 127.0.0.1
	assert_eq "" "$(sb_get ip "$out")" "no IP without CNI"
	# No pod IP without CNI, so no pod line (the FQDN line: test_cni.sh).
	assert_contains "$(cat "$(sb_get hosts "$out")")" $'127.0.0.1\tlocalhost' "hosts"
	assert_not_contains "$(cat "$(sb_get hosts "$out")")" "web-host" "hosts without a pod IP"
	assert_eq "web-host" "$(cat "$TEST_TMP/run/pods/$TEST_ID-web/hostname")" "/etc/hostname"
	assert_match "tmpfs.*size=65536k" "$(grep " $(sb_get shm "$out") " /proc/self/mountinfo)" "64Mi /dev/shm"
}

register_test sandbox_hostname_default
test_sandbox_hostname_default() {
	need_sbtool
	local out
	sb_pod podname-is-the-hostname
	out=$(sb_create podname-is-the-hostname)
	assert_eq podname-is-the-hostname "$(nsenter --uts="$(sb_get uts "$out")" hostname)" "hostname = pod name"
}

register_test sandbox_share_pid
test_sandbox_share_pid() {
	need_sbtool
	local out pidns reaper
	sb_pod shared "  shareProcessNamespace: true"
	out=$(sb_create shared)
	pidns=$(sb_get pid "$out") reaper=$(sb_get reaper "$out")
	assert_file "$pidns" "pid ns file"
	assert_eq berth-pause "$(cat /proc/"$reaper"/comm)" "reaper comm"
	assert_eq "pid:[$(stat -L -c %i "$pidns")]" "$(readlink /proc/"$reaper"/ns/pid)" "reaper in the pod's PID ns"
	assert_match $'NSpid:\t[0-9]+\t1$' "$(grep NSpid /proc/"$reaper"/status)" "reaper is PID 1 there"
	assert_eq "$(readlink /proc/"$reaper"/ns/net)" "$(nsenter --net="$(sb_get net "$out")" readlink /proc/self/ns/net)" "reaper in the pod's netns"
	"$SBTOOL" --run-dir "$TEST_TMP/run" destroy "$TEST_ID-shared"
	wait_for 10 sh -c "! kill -0 $reaper 2>/dev/null || grep -q Z /proc/$reaper/stat"
	assert_no_file "$pidns" "pid ns file after destroy"
}

register_test sandbox_destroy_idempotent
test_sandbox_destroy_idempotent() {
	need_sbtool
	local out dir
	sb_pod twice
	out=$(sb_create twice)
	dir=$(sb_get dir "$out")
	assert_ok "$SBTOOL" --run-dir "$TEST_TMP/run" destroy "$TEST_ID-twice"
	assert_ok "$SBTOOL" --run-dir "$TEST_TMP/run" destroy "$TEST_ID-twice"
	assert_no_file "$dir" "pod dir"
	assert_eq 0 "$(grep -c "$dir" /proc/self/mountinfo || true)" "mounts left"
}

register_test --serial sandbox_leaks
test_sandbox_leaks() {
	need_sbtool
	local out m0
	sb_pod leak "  shareProcessNamespace: true"
	m0=$(wc -l </proc/self/mountinfo)
	# 50 cycles in CI (the suite shares one VM time budget); the full run:
	# SANDBOX_LEAK_CYCLES=1000 (see bench/leaks.sh for the whole pod).
	out=$("$SBTOOL" --run-dir "$TEST_TMP/run" --no-cni loop "${SANDBOX_LEAK_CYCLES:-50}" leak.yaml)
	echo "$out"
	assert_eq "$(sb_get fds_before "$out")" "$(sb_get fds_after "$out")" "fds"
	assert_eq "$(sb_get mounts_before "$out")" "$(sb_get mounts_after "$out")" "mounts"
	assert_eq "$m0" "$(wc -l </proc/self/mountinfo)" "mounts seen from the test"
	assert_eq "" "$(ls "$TEST_TMP/run/pods")" "pod dirs left"
}

register_test --serial sandbox_bench
test_sandbox_bench() {
	[ "${BERTH_BENCH:-0}" = 1 ] || skip "a benchmark: set BERTH_BENCH=1"
	need_sbtool
	local out
	sb_pod bench
	out=$("$SBTOOL" --run-dir "$TEST_TMP/run" --no-cni bench 20 bench.yaml)
	echo "sandbox create without CNI: $(sb_get create_median_ms "$out") ms (median of 20)"
}

# --- volumes ---

register_test sandbox_volumes
test_sandbox_volumes() {
	need_sbtool
	local out ed cm sec
	cat >vol.yaml <<-'EOF2'
		apiVersion: v1
		kind: Pod
		metadata: {name: vol, namespace: default, labels: {b: "2", a: "x\"y"}}
		spec:
		  containers: [{name: c, image: busybox, resources: {limits: {memory: 64Mi}}}]
		  volumes:
		  - name: mem
		    emptyDir: {medium: Memory, sizeLimit: 16Mi}
		  - name: cfg
		    configMap:
		      name: cm
		      defaultMode: 0600
		      items: [{key: k1, path: dir/one}, {key: k2, path: two, mode: 0640}]
		  - name: sec
		    secret: {secretName: s}
		  - name: info
		    downwardAPI:
		      items:
		      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
		      - {path: mem, resourceFieldRef: {containerName: c, resource: limits.memory, divisor: 1Mi}}
		---
		apiVersion: v1
		kind: ConfigMap
		metadata: {name: cm, namespace: default}
		data: {k1: one, k2: two}
		---
		apiVersion: v1
		kind: Secret
		metadata: {name: s, namespace: default}
		stringData: {password: hunter2}
	EOF2
	mkdir pod
	defer "$SBTOOL" volumes-down "$TEST_TMP/pod"
	out=$("$SBTOOL" volumes "$TEST_TMP/pod" vol.yaml)
	echo "$out"
	ed=$(sb_get mem "$out") cm=$(sb_get cfg "$out") sec=$(sb_get sec "$out")
	assert_match "tmpfs.*size=16384k" "$(grep " $ed " /proc/self/mountinfo)" "emptyDir Memory tmpfs with sizeLimit"
	assert_eq one "$(cat "$cm/dir/one")" "configMap item"
	assert_eq 600 "$(stat -L -c %a "$cm/dir/one")" "defaultMode"
	assert_eq 640 "$(stat -L -c %a "$cm/two")" "item mode"
	assert_eq "..data/two" "$(readlink "$cm/two")" "atomic writer symlink"
	assert_match '^\.\.[0-9]{4}_' "$(readlink "$cm/..data")" "..data -> timestamped dir"
	assert_eq hunter2 "$(cat "$sec/password")" "secret file"
	assert_match " - tmpfs " "$(grep " $sec " /proc/self/mountinfo)" "secret on tmpfs"
	assert_eq 'a="x\"y"'$'\n''b="2"' "$(cat "$(sb_get info "$out")/labels")" "downwardAPI labels"
	assert_eq 64 "$(cat "$(sb_get info "$out")/mem")" "downwardAPI limits.memory / 1Mi"
	# A second setup is an atomic update: new ..data, no second tmpfs.
	local old
	old=$(readlink "$cm/..data")
	sed -i 's/{k1: one, k2: two}/{k1: uno, k2: two}/' vol.yaml
	"$SBTOOL" volumes "$TEST_TMP/pod" vol.yaml >/dev/null
	assert_eq uno "$(cat "$cm/dir/one")" "configMap after an update"
	assert_ne "$old" "$(readlink "$cm/..data")" "..data swapped"
	assert_no_file "$cm/$old" "old data dir"
	assert_eq 1 "$(grep -c " $sec " /proc/self/mountinfo)" "one tmpfs for the secret"
	assert_ok "$SBTOOL" volumes-down "$TEST_TMP/pod"
	assert_no_file "$TEST_TMP/pod/volumes" "volumes dir after teardown"
	assert_eq 0 "$(grep -c "$TEST_TMP/pod" /proc/self/mountinfo || true)" "mounts left"
}

register_test sandbox_volume_errors
test_sandbox_volume_errors() {
	need_sbtool
	cat >bad.yaml <<-'EOF2'
		apiVersion: v1
		kind: Pod
		metadata: {name: bad, namespace: default}
		spec:
		  containers: [{name: c, image: busybox}]
		  volumes:
		  - {name: cfg, configMap: {name: nope}}
	EOF2
	mkdir pod
	defer "$SBTOOL" volumes-down "$TEST_TMP/pod"
	assert_contains "$("$SBTOOL" volumes "$TEST_TMP/pod" bad.yaml 2>&1 || true)" 'volume "cfg": configmap "nope" not found'
	sed -i 's/{name: nope}/{name: nope, optional: true}/' bad.yaml
	assert_ok "$SBTOOL" volumes "$TEST_TMP/pod" bad.yaml
	cat >hp.yaml <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: hp, namespace: default}
		spec:
		  containers: [{name: c, image: busybox}]
		  volumes:
		  - {name: h, hostPath: {path: $TEST_TMP/hp.yaml, type: Directory}}
	EOF2
	assert_contains "$("$SBTOOL" volumes "$TEST_TMP/pod" hp.yaml 2>&1 || true)" "hostPath type check failed: $TEST_TMP/hp.yaml is not a directory"
}

# A failing CNI ADD (a shell-script plugin): the create fails with the
# plugin's error, and the half-made sandbox is torn down with a CNI DEL.
register_test sandbox_cni_failure
test_sandbox_cni_failure() {
	need_sbtool
	local out rc=0
	mkdir plugins net.d
	cat >plugins/failer <<-'EOF2'
		#!/bin/sh
		cat >/dev/null
		echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS" >>"${0%/*}/log"
		if [ "$CNI_COMMAND" = ADD ]; then
			echo '{"cniVersion":"1.0.0","code":7,"msg":"no luck","details":"on purpose"}'
			exit 1
		fi
	EOF2
	chmod +x plugins/failer
	echo '{"cniVersion":"1.0.0","name":"f","plugins":[{"type":"failer"}]}' >net.d/f.conflist
	sb_pod fails
	out=$("$SBTOOL" --run-dir "$TEST_TMP/run" --cni-conf-dir "$TEST_TMP/net.d" \
		--cni-path "$TEST_TMP/plugins" create fails.yaml 2>&1) || rc=$?
	assert_eq 1 "$rc" "exit status of create"
	assert_contains "$out" "CNI plugin failer failed: no luck (code 7): on purpose" "error"
	assert_eq "ADD $TEST_ID-fails $TEST_TMP/run/pods/$TEST_ID-fails/ns/net"$'\n'"DEL $TEST_ID-fails $TEST_TMP/run/pods/$TEST_ID-fails/ns/net" \
		"$(cat plugins/log)" "ADD, then DEL on the netns"
	assert_no_file "$TEST_TMP/run/pods/$TEST_ID-fails" "pod dir"
	assert_no_file "$TEST_TMP/run/cni-cache/$TEST_ID-fails.json" "ADD cache"
	assert_eq 0 "$(grep -c "$TEST_TMP/run" /proc/self/mountinfo || true)" "mounts left"
}
