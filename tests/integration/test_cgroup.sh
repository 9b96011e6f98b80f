# cgroup v2 tests of cgroups/ through tests/integration/cgroup-tool: the
# kubelet layout and values of the docs' QoS examples read back from the
# files, OOM kills seen by the OOM watch, CPU throttling seen by the stats
# reader, removal of live cgroups, leaks over many cycles, and the refusal
# message on hosts without usable controllers.  Sourced by
# tests/integration/run; see lib.sh.

CGTOOL=$BERTH_BUILDDIR/tests/integration/cgroup-tool
DOCS=$BERTH_SRCDIR/tests/fixtures/docs

need_cgtool() {
	[ -x "$CGTOOL" ] || skip "no cgroup-tool at $CGTOOL (make)"
}

# cg_root: a fresh berth root under a test cgroup; prints its path.
cg_root() {
	need_cgtool
	local cg
	cg=$(make_cgroup cg)
	echo "$cg/berth"
}

# write_pod FILE NAME CPU MEMORY: a one-container pod, requests == limits.
write_pod() {
	cat >"$1" <<-EOF
		apiVersion: v1
		kind: Pod
		metadata: {name: $2, uid: $2}
		spec:
		  containers:
		  - name: ctr
		    image: busybox
		    resources:
		      limits: {cpu: $3, memory: $4}
	EOF
}

register_test cgroup_docs_qos
test_cgroup_docs_qos() {
	local root values line path file want got n=0
	root=$(cg_root)
	local pods=("$DOCS/pods-qos-qos-pod.yaml" "$DOCS/pods-qos-qos-pod-2.yaml"
		"$DOCS/pods-qos-qos-pod-3.yaml" "$DOCS/pods-qos-qos-pod-4.yaml"
		"$DOCS/pods-resource-cpu-request-limit.yaml")
	assert_ok "$CGTOOL" apply --root "$root" --cpu 2 --memory 1Gi "${pods[@]}"

	# The layout: Guaranteed at the root, the others under their class.
	assert_eq "$(printf '%s\n' . besteffort besteffort/podqos-demo-3 \
		besteffort/podqos-demo-3/qos-demo-3-ctr burstable \
		burstable/podcpu-demo burstable/podcpu-demo/cpu-demo-ctr \
		burstable/podqos-demo-2 burstable/podqos-demo-2/qos-demo-2-ctr \
		burstable/podqos-demo-4 burstable/podqos-demo-4/qos-demo-4-ctr-1 \
		burstable/podqos-demo-4/qos-demo-4-ctr-2 podqos-demo \
		podqos-demo/qos-demo-ctr)" \
		"$(cd "$root" && find . -type d | sed 's|^\./||' | LC_ALL=C sort)" "layout"

	# Exact values, worked out in tests/unit/test_cgroup_values.c.
	assert_eq 28 "$(<"$root/podqos-demo/cpu.weight")" "G pod cpu.weight"
	assert_eq "70000 100000" "$(<"$root/podqos-demo/cpu.max")" "G pod cpu.max"
	assert_eq 209715200 "$(<"$root/podqos-demo/memory.max")" "G pod memory.max"
	path=$root/podqos-demo/qos-demo-ctr
	assert_eq 76 "$(<"$path/cpu.weight")" "G container cpu.weight"
	assert_eq "70000 100000" "$(<"$path/cpu.max")" "G container cpu.max"
	assert_eq 209715200 "$(<"$path/memory.max")" "G container memory.max"
	assert_eq 0 "$(<"$path/memory.swap.max")" "memory.swap.max"
	assert_eq 1 "$(<"$path/memory.oom.group")" "memory.oom.group"
	path=$root/burstable/podqos-demo-2
	assert_eq 1 "$(<"$path/cpu.weight")" "B pod cpu.weight"
	assert_eq "max 100000" "$(<"$path/cpu.max")" "B pod cpu.max (no limit)"
	assert_eq 209715200 "$(<"$path/memory.max")" "B pod memory.max"
	assert_eq max "$(<"$root/burstable/podqos-demo-4/memory.max")" "B pod without all limits"
	assert_eq "100000 100000" "$(<"$root/burstable/podcpu-demo/cpu.max")" "B pod cpu.max"
	assert_eq 59 "$(<"$root/burstable/podcpu-demo/cpu-demo-ctr/cpu.weight")" "500m container"
	assert_eq max "$(<"$root/besteffort/podqos-demo-3/qos-demo-3-ctr/memory.max")" "BE memory.max"
	assert_eq 1 "$(<"$root/besteffort/cpu.weight")" "besteffort cpu.weight"
	assert_eq 20 "$(<"$root/burstable/cpu.weight")" "burstable cpu.weight (500m)"
	assert_eq 79 "$(<"$root/cpu.weight")" "root cpu.weight (2 CPUs)"
	assert_eq 1073741824 "$(<"$root/memory.max")" "root memory.max"

	# Every value the tool computes is what the files hold.
	values=$("$CGTOOL" values --cpu 2 --memory 1Gi "${pods[@]}")
	while IFS= read -r line; do
		[[ "$line" != \#* ]] || continue
		path=${line%%: *} line=${line#*: }
		file=${line%% = *} want=${line#* = }
		[ "$file" != oom_score_adj ] || continue
		got=$(<"$root/$path/$file")
		assert_eq "$want" "$got" "$path/$file"
		n=$((n + 1))
	done <<<"$values"
	assert_eq 50 "$n" "values checked (9 + 8 + 7 + 13 + 8 pod and container files, 5 node)"

	# oom_score_adj is computed only (the runtime writes it).
	assert_contains "$values" "podqos-demo/qos-demo-ctr: oom_score_adj = -997"
	assert_contains "$values" "burstable/podqos-demo-2/qos-demo-2-ctr: oom_score_adj = 903"
	assert_contains "$values" "burstable/podqos-demo-4/qos-demo-4-ctr-1: oom_score_adj = 805"
	assert_contains "$values" "burstable/podqos-demo-4/qos-demo-4-ctr-2: oom_score_adj = 999"
	assert_contains "$values" "besteffort/podqos-demo-3/qos-demo-3-ctr: oom_score_adj = 1000"

	for path in qos-demo qos-demo-2 qos-demo-3 qos-demo-4 cpu-demo; do
		assert_ok "$CGTOOL" remove --root "$root" "$path"
	done
	assert_eq "$(printf '%s\n' . besteffort burstable)" \
		"$(cd "$root" && find . -type d | sed 's|^\./||' | LC_ALL=C sort)" "layout after removal"
}

register_test cgroup_admission
test_cgroup_admission() {
	need_cgtool
	local out rc=0
	out=$("$CGTOOL" admit --cpu 2 --memory 1Gi "$DOCS/pods-resource-memory-request-limit-3.yaml" \
		"$DOCS/pods-resource-cpu-request-limit-2.yaml" "$DOCS/pods-qos-qos-pod.yaml") || rc=$?
	assert_eq 1 "$rc" "exit status with rejected pods"
	assert_contains "$out" "pod/mem-example/memory-demo-3: OutOfmemory: Node didn't have enough resource: memory, requested: 1073741824000, used: 0, capacity: 968884224"
	assert_contains "$out" "pod/cpu-example/cpu-demo-2: OutOfcpu: Node didn't have enough resource: cpu, requested: 100000, used: 0, capacity: 2000"
	assert_contains "$out" "pod/qos-example/qos-demo: admitted"
}

register_test cgroup_oom_kill
test_cgroup_oom_kill() {
	need_cmd stress
	local root ctr rc=0 watch stats
	root=$(cg_root)
	write_pod pod.yaml oom1 500m 32Mi
	assert_ok "$CGTOOL" apply --root "$root" --cpu 2 --memory 1Gi pod.yaml
	ctr=$root/podoom1/ctr
	assert_eq 33554432 "$(<"$ctr/memory.max")" "memory.max"
	assert_eq 1 "$(<"$ctr/memory.oom.group")" "memory.oom.group"

	"$CGTOOL" watch-oom --count 1 --timeout 120 "$ctr" >watch.out 2>watch.err &
	watch=$!
	wait_for 30 grep -q ready watch.out
	"$CGTOOL" run --root "$root" podoom1/ctr -- \
		stress --vm 1 --vm-bytes 64M --vm-hang 0 --timeout 60s >stress.log 2>&1 || rc=$?
	assert_eq 137 "$rc" "exit status of the OOM-killed group (SIGKILL)"
	rc=0
	wait "$watch" || rc=$?
	assert_eq 0 "$rc" "watch-oom exit status ($(<watch.err))"
	# oom counts where a limit was hit (here the pod: its memory.max is the
	# same 32Mi and it is charged a little more), oom_kill where the victims
	# were: the container.
	assert_match '^oom=\+[0-9]+ oom_kill=\+[1-9][0-9]* oom_group_kill=\+[01] ' "$(sed -n 2p watch.out)" "watch-oom report"
	stats=$("$CGTOOL" stats "$ctr")
	assert_contains "$stats" "memory.events.oom_group_kill = 1"
	assert_match 'memory\.events\.oom_kill = [1-9]' "$stats" "oom_kill in stats"
	assert_eq "" "$(<"$ctr/cgroup.procs")" "processes left in the container"
	assert_ok "$CGTOOL" remove --root "$root" oom1
	assert_no_file "$root/podoom1"
}

register_test --serial cgroup_cpu_throttle
test_cgroup_cpu_throttle() {
	local root ctr stats throttled usage periods
	root=$(cg_root)
	write_pod pod.yaml cpu1 500m 64Mi
	assert_ok "$CGTOOL" apply --root "$root" --cpu 2 --memory 1Gi pod.yaml
	ctr=$root/podcpu1/ctr
	assert_eq "50000 100000" "$(<"$ctr/cpu.max")" "cpu.max"
	"$CGTOOL" run --root "$root" podcpu1/ctr -- timeout 2 sh -c 'while :; do :; done' || true
	stats=$("$CGTOOL" stats "$ctr")
	echo "$stats"
	throttled=$(awk '$1 == "cpu.nr_throttled" { print $3 }' <<<"$stats")
	usage=$(awk '$1 == "cpu.usage_usec" { print $3 }' <<<"$stats")
	periods=$(awk '$1 == "cpu.nr_periods" { print $3 }' <<<"$stats")
	assert_gt "$throttled" 0 "cpu.nr_throttled"
	assert_gt "$(awk '$1 == "cpu.throttled_usec" { print $3 }' <<<"$stats")" 0 "cpu.throttled_usec"
	# At most 50 ms of CPU per 100 ms period that had runnable tasks (plus
	# one period of slack for the first, partial one).
	[ "$usage" -le $((periods * 50000 + 50000)) ] ||
		fail "usage_usec $usage over $periods periods: the 50 % cap did not hold"
	assert_contains "$stats" "memory.current = "
	assert_ok "$CGTOOL" remove --root "$root" cpu1
}

register_test cgroup_remove_live
test_cgroup_remove_live() {
	local root ctr pid rc=0 out
	root=$(cg_root)
	write_pod pod.yaml live1 100m 32Mi
	assert_ok "$CGTOOL" apply --root "$root" --cpu 2 --memory 1Gi pod.yaml
	ctr=$root/podlive1/ctr
	"$CGTOOL" run --root "$root" podlive1/ctr -- sleep 1000 &
	pid=$!
	wait_for 30 grep -q . "$ctr/cgroup.procs"
	assert_eq 1 "$(grep -c populated\ 1 "$root/podlive1/cgroup.events")" "pod populated"
	out=$(assert_ok "$CGTOOL" remove --root "$root" live1)
	assert_eq "removed pod live1" "$out"
	wait "$pid" || rc=$?
	assert_eq 137 "$rc" "exit status of the process inside (SIGKILL)"
	assert_no_file "$root/podlive1" "pod cgroup after removal"
	assert_eq "no pod live1" "$("$CGTOOL" remove --root "$root" live1)" "second removal"
}

register_test cgroup_cycles
test_cgroup_cycles() {
	local root out before after
	root=$(cg_root)
	write_pod pod.yaml cyc1 100m 16Mi
	# CGROUP_LEAK_CYCLES=1000 for the full run
	out=$(assert_ok "$CGTOOL" cycles --root "$root" --count "${CGROUP_LEAK_CYCLES:-200}" pod.yaml)
	echo "$out"
	assert_match "^cycles ${CGROUP_LEAK_CYCLES:-200} fds after first [0-9]+ after last [0-9]+\$" "$out"
	before=$(awk '{ print $6 }' <<<"$out")
	after=$(awk '{ print $9 }' <<<"$out")
	assert_eq "$before" "$after" "open fds after the first and the last cycle"
	assert_eq "$(printf '%s\n' . besteffort burstable)" \
		"$(cd "$root" && find . -type d | sed 's|^\./||' | LC_ALL=C sort)" "cgroups left"
	# The besteffort/burstable QoS cgroups hold no pods either.
	assert_eq 0 "$(grep -c . "$root/cgroup.procs" || true)" "processes in the root"
}

register_test cgroup_refuse_no_controllers
test_cgroup_refuse_no_controllers() {
	local cg out
	need_cgtool
	cg=$(make_cgroup nocontrollers)
	# $cg delegates nothing: a child of it has no controllers at all.
	mkdir "$cg/child"
	out=$(assert_status 1 "$CGTOOL" check-host --root "$cg/child/berth")
	assert_contains "$out" "controllers cpu, memory, pids not available in $cg/child"
	assert_contains "$out" "enable them in $cg/cgroup.subtree_control"
	assert_contains "$out" "Delegate=yes"
	out=$(assert_status 1 "$CGTOOL" apply --root "$cg/child/berth" "$DOCS/pods-qos-qos-pod.yaml")
	assert_contains "$out" "controllers cpu, memory, pids not available"
	assert_no_file "$cg/child/berth" "root created despite the refusal"

	# Only memory delegated: the message names the other two.
	echo +memory >"$cg/cgroup.subtree_control"
	out=$(assert_status 1 "$CGTOOL" check-host --root "$cg/child/berth")
	assert_contains "$out" "controllers cpu, pids not available in $cg/child"
	echo -memory >"$cg/cgroup.subtree_control"

	# A usable root passes.
	out=$(assert_ok "$CGTOOL" check-host --root "$(dirname "$cg")/ok/berth")
	assert_contains "$out" "ok: "
}

register_test cgroup_refuse_not_cgroup2
test_cgroup_refuse_not_cgroup2() {
	local out
	need_cgtool
	need_vm # mounts a named cgroup v1 hierarchy
	mkdir fake v1
	mount -t tmpfs tmpfs fake
	track_mount "$TEST_TMP/fake"
	out=$(assert_status 1 "$CGTOOL" check-host --root "$TEST_TMP/fake/berth")
	assert_contains "$out" "$TEST_TMP/fake is on tmpfs, not cgroup v2"
	assert_contains "$out" "cpu, memory, pids are missing"
	assert_contains "$out" "systemd.unified_cgroup_hierarchy=1"
	out=$(assert_status 1 "$CGTOOL" apply --root "$TEST_TMP/fake/berth" "$DOCS/pods-qos-qos-pod.yaml")
	assert_contains "$out" "not cgroup v2"
	assert_no_file "$TEST_TMP/fake/berth"

	mount -t cgroup -o none,name=berthtest cgroup v1
	track_mount "$TEST_TMP/v1"
	out=$(assert_status 1 "$CGTOOL" check-host --root "$TEST_TMP/v1/berth")
	assert_contains "$out" "is on cgroup v1, not cgroup v2"
}

# Under systemd's Delegate=yes the agent's own cgroup is berth's: the tool
# moves itself into ./agent and puts the pods under ./pods.
register_test cgroup_delegated
test_cgroup_delegated() {
	local cg out
	need_cgtool
	cg=$(make_cgroup unit) # stands in for system.slice/berth.service
	write_pod pod.yaml del1 100m 16Mi

	# With the agent still in its cgroup, delegation is refused (the "no
	# internal processes" rule) and the message says what to do.
	out=$(assert_status 1 in_cgroup "$cg" "$CGTOOL" apply --root "$cg/pods" pod.yaml)
	assert_contains "$out" "has processes of its own"
	assert_contains "$out" "Delegate=yes"
	assert_eq "" "$(<"$cg/cgroup.procs")" "processes left in the unit cgroup"

	out=$(assert_ok in_cgroup "$cg" "$CGTOOL" delegate pod.yaml)
	assert_contains "$out" "root: $cg/pods"
	assert_file "$cg/agent" "the agent's leaf"
	assert_file "$cg/pods/poddel1/ctr" "the pod under the delegated root"
	assert_eq "" "$(<"$cg/cgroup.procs")" "processes in the unit cgroup itself"
	assert_match '(^| )cpu( |$)' "$(<"$cg/cgroup.subtree_control")" "cpu delegated"
	assert_match '(^| )memory( |$)' "$(<"$cg/cgroup.subtree_control")" "memory delegated"
	assert_match '(^| )pids( |$)' "$(<"$cg/cgroup.subtree_control")" "pids delegated"

	# Started again from the leaf (a restart, or DelegateSubgroup=agent).
	out=$(assert_ok in_cgroup "$cg/agent" "$CGTOOL" delegate)
	assert_contains "$out" "root: $cg/pods"
	assert_ok "$CGTOOL" remove --root "$cg/pods" del1
}
