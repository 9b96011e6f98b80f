# Container launcher tests (runtime/container.c) through the driver
# tests/integration/ctr-run, with the busybox test image unpacked as the
# single lower layer. Sourced by tests/integration/run; see lib.sh.

CTR_RUN=$BERTH_BUILDDIR/tests/integration/ctr-run
# containerd's 14 default capabilities: CHOWN DAC_OVERRIDE FOWNER FSETID
# KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD
# AUDIT_WRITE SETFCAP = bits 0 1 3 4 5 6 7 8 10 13 18 27 29 31.
CTR_DEFAULT_CAPS=00000000a80425fb

need_ctr() {
	[ -x "$CTR_RUN" ] || skip "no ctr-run at $CTR_RUN"
	need_vm
	CTR_LAYER=$(ctr_layer)
}

# ctr_layer: the busybox image's layer, unpacked once per run.
ctr_layer() {
	local dir=$BERTH_TEST_RUNDIR/ctr-layer img m l
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
	) 8>"$BERTH_TEST_RUNDIR/.ctr-layer.lock"
	echo "$dir/rootfs"
}

# ctr NAME [start options] -- ARGV: start container NAME (instance dir
# $TEST_TMP/NAME, log $TEST_TMP/NAME.log); prints the driver's output.
ctr() {
	local name=$1
	shift
	mkdir -p "$TEST_TMP/$name"
	defer _ctr_kill "$TEST_TMP/$name"
	"$CTR_RUN" start --instance "$TEST_TMP/$name" --layer "$CTR_LAYER" \
		--log "$TEST_TMP/$name.log" --env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

_ctr_kill() {
	[ -e "$1/status.json" ] || return 0
	"$CTR_RUN" stop "$1" 0 >/dev/null 2>&1 || true
}

# ctr_field OUTPUT KEY: the value of KEY=... in the driver's output.
ctr_field() { printf '%s\n' "$1" | sed -n "s/^$2=//p" | head -n 1; }

# ctr_log NAME: the texts of container NAME's log (the CRI prefix removed).
ctr_log() { sed -E 's/^[^ ]+ (stdout|stderr) [FP] //' "$TEST_TMP/$1.log"; }

register_test container_echo_log
test_container_echo_log() {
	need_ctr
	local out log
	out=$(ctr c --wait -- sh -c 'echo hello; echo oops >&2; printf partial')
	assert_eq exited "$(ctr_field "$out" state)" "state"
	assert_eq 0 "$(ctr_field "$out" exitCode)" "exit code"
	assert_eq Completed "$(ctr_field "$out" reason)" "reason"
	assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(\.[0-9]*[1-9])?Z$' "$(ctr_field "$out" startedAt)" "startedAt"
	assert_match '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$(ctr_field "$out" finishedAt)" "finishedAt"
	log=$(cat "$TEST_TMP/c.log")
	assert_match '(^|'$'\n'')[0-9T:.Z-]+ stdout F hello($|'$'\n'')' "$log" "stdout line"
	assert_match '[0-9T:.Z-]+ stderr F oops' "$log" "stderr line"
	assert_match '[0-9T:.Z-]+ stdout P partial' "$log" "partial line at EOF"
}

register_test container_exit_code
test_container_exit_code() {
	need_ctr
	local out
	out=$(ctr c --wait -- sh -c 'exit 3')
	assert_eq 3 "$(ctr_field "$out" exitCode)" "exit code"
	assert_eq Error "$(ctr_field "$out" reason)" "reason"
}

register_test container_sigkill
test_container_sigkill() {
	need_ctr
	local out pid
	out=$(ctr c -- sleep 1000)
	pid=${out#pid }
	pid=${pid%%$'\n'*}
	kill -9 "$pid"
	out=$("$CTR_RUN" wait "$TEST_TMP/c" 60000)
	assert_eq 137 "$(ctr_field "$out" exitCode)" "exit code"
	assert_eq 9 "$(ctr_field "$out" signal)" "signal"
}

register_test container_start_error
test_container_start_error() {
	need_ctr
	local rc=0 out
	out=$(ctr c -- /no/such/binary 2>&1) || rc=$?
	assert_eq 1 "$rc" "ctr-run exit status"
	assert_contains "$out" "/no/such/binary" "error names the binary"
	out=$("$CTR_RUN" status "$TEST_TMP/c")
	assert_eq 128 "$(ctr_field "$out" exitCode)" "exit code"
	assert_eq StartError "$(ctr_field "$out" reason)" "reason"
	rc=0
	out=$(ctr d -- nosuchcmd 2>&1) || rc=$?
	assert_contains "$out" 'exec: "nosuchcmd": executable file not found in $PATH' "PATH lookup error"
	rc=0
	out=$(ctr e --cwd /no/dir -- true 2>&1) || rc=$?
	assert_eq 1 "$rc" "bad cwd"
	assert_contains "$out" "/no/dir" "error names the cwd"
}

register_test container_default_denied
test_container_default_denied() {
	need_ctr
	local out log
	out=$(ctr c --wait -- sh -c '
		mount -t tmpfs none /mnt && echo MOUNT-OK
		unshare -n true && echo UNSHARE-OK
		insmod /bin/busybox; echo insmod=$?
		reboot -f; echo reboot=$?
		cat /proc/self/status')
	assert_eq 0 "$(ctr_field "$out" exitCode)" "exit code"
	log=$(ctr_log c)
	assert_not_contains "$log" "MOUNT-OK" "mount must fail"
	assert_not_contains "$log" "UNSHARE-OK" "unshare -n must fail"
	assert_contains "$log" "insmod=1" "insmod must fail"
	assert_not_contains "$log" "reboot=0" "reboot -f must fail"
	assert_contains "$log" "Seccomp:	2" "seccomp filter mode"
	assert_match "CapEff:	$CTR_DEFAULT_CAPS" "$log" "CapEff is the default 14"
	assert_match "CapBnd:	$CTR_DEFAULT_CAPS" "$log" "CapBnd is the default 14"
	assert_contains "$log" "NoNewPrivs:	0" "no_new_privs off by default"
}

register_test container_masked_paths
test_container_masked_paths() {
	need_ctr
	ctr c --wait -- sh -c '
		echo kcore=$(wc -c </proc/kcore)
		echo keys=$(wc -c </proc/keys)
		ls /sys/firmware | wc -l | sed "s/^/firmware=/"
		echo 1 >/proc/sys/kernel/domainname && echo SYSCTL-WRITTEN
		grep -E " /proc/sys | /sys " /proc/self/mountinfo' >/dev/null
	local log
	log=$(ctr_log c)
	assert_contains "$log" "kcore=0" "/proc/kcore is masked"
	assert_contains "$log" "keys=0" "/proc/keys is masked"
	assert_contains "$log" "firmware=0" "/sys/firmware is masked"
	assert_not_contains "$log" "SYSCTL-WRITTEN" "/proc/sys is read-only"
	assert_match ' /proc/sys ro,' "$log" "/proc/sys mounted ro"
	assert_match ' /sys ro,' "$log" "/sys mounted ro"
}

register_test container_privileged
test_container_privileged() {
	need_ctr
	ctr c --privileged --wait -- sh -c '
		grep -E "CapEff|Seccomp:" /proc/self/status
		echo kcore=$(head -c 1 /proc/kcore 2>/dev/null | wc -c)' >/dev/null
	local log
	log=$(ctr_log c)
	assert_contains "$log" "Seccomp:	0" "no seccomp"
	assert_not_contains "$log" "CapEff:	$CTR_DEFAULT_CAPS" "all caps"
	assert_not_contains "$log" "kcore=0" "/proc/kcore not masked"
}

register_test container_caps_add_drop
test_container_caps_add_drop() {
	need_ctr
	ctr c --cap-drop ALL --cap-add NET_ADMIN --no-new-privs --wait -- \
		grep -E "CapEff|NoNewPrivs" /proc/self/status >/dev/null
	local log
	log=$(ctr_log c)
	assert_contains "$log" "CapEff:	0000000000001000" "only NET_ADMIN (bit 12)"
	assert_contains "$log" "NoNewPrivs:	1" "allowPrivilegeEscalation false"
}

register_test container_readonly_root
test_container_readonly_root() {
	need_ctr
	local out
	out=$(ctr c --ro --wait -- sh -c 'touch /x && echo WROTE; touch /dev/shm/y && echo SHM-OK')
	assert_not_contains "$(ctr_log c)" "WROTE" "touch /x must fail"
	assert_contains "$(ctr_log c)" "SHM-OK" "/dev/shm stays writable"
	out=$(ctr d --wait -- sh -c 'touch /x && echo WROTE')
	assert_contains "$(ctr_log d)" "WROTE" "a writable root by default"
	assert_file "$TEST_TMP/d/upper/x" "the write lands in the upper dir"
}

register_test container_run_as_user
test_container_run_as_user() {
	need_ctr
	ctr c --user 1000 --group 3000 --supplemental-group 4000 --wait -- \
		sh -c 'echo uid=$(id -u) gid=$(id -g) groups=$(id -G); grep CapEff /proc/self/status' >/dev/null
	local log
	log=$(ctr_log c)
	assert_contains "$log" "uid=1000 gid=3000 groups=3000 4000" "ids"
	assert_contains "$log" "CapEff:	0000000000000000" "no effective caps for non-root"
	ctr d --image-user nobody --wait -- sh -c 'echo uid=$(id -u)' >/dev/null
	assert_contains "$(ctr_log d)" "uid=65534" "image user resolved in /etc/passwd"
}

register_test container_run_as_non_root
test_container_run_as_non_root() {
	need_ctr
	local out rc=0
	out=$(ctr c --non-root --image-user 0:0 --pod 'web_default(1234)' --name app -- true 2>&1) || rc=$?
	assert_eq 1 "$rc" "start must fail"
	assert_contains "$out" 'container has runAsNonRoot and image will run as root (pod: "web_default(1234)", container: app)' "kubelet message"
	rc=0
	out=$(ctr d --non-root --image-user nobody -- true 2>&1) || rc=$?
	assert_contains "$out" 'container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root' "non-numeric"
	out=$(ctr e --non-root --user 1000 --wait -- true)
	assert_eq 0 "$(ctr_field "$out" exitCode)" "runAsUser 1000 passes"
}

register_test container_stop_trap
test_container_stop_trap() {
	need_ctr
	local out
	ctr c -- sh -c 'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 1; done' >/dev/null
	wait_for 60 grep -q ready "$TEST_TMP/c.log"
	out=$("$CTR_RUN" stop "$TEST_TMP/c" 30)
	assert_eq 0 "$(ctr_field "$out" exitCode)" "exit code after the trap"
	assert_contains "$(ctr_log c)" "got TERM" "the trap ran"
}

register_test container_stop_kill
test_container_stop_kill() {
	need_ctr
	local out start
	ctr c -- sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done' >/dev/null
	wait_for 60 grep -q ready "$TEST_TMP/c.log"
	start=$SECONDS
	out=$("$CTR_RUN" stop "$TEST_TMP/c" 2)
	assert_eq 137 "$(ctr_field "$out" exitCode)" "SIGKILL after the grace period"
	[ $((SECONDS - start)) -ge 2 ] || fail "stopped before the grace period"
}

register_test container_shared_netns
test_container_shared_netns() {
	need_ctr
	local ns out
	ns=$(make_netns shared)
	mkdir -p www && echo hello-from-a >www/index.html
	ctr a --netns "/run/netns/$ns" --mount "$TEST_TMP/www:/www:ro" -- \
		httpd -f -p 127.0.0.1:8080 -h /www >/dev/null
	out=$(ctr b --netns "/run/netns/$ns" --wait -- sh -c '
		i=0; while [ $i -lt 100 ]; do
			wget -q -O - http://127.0.0.1:8080/ && exit 0
			i=$((i + 1)); sleep 0.2
		done; exit 1')
	assert_eq 0 "$(ctr_field "$out" exitCode)" "wget exit code"
	assert_contains "$(ctr_log b)" "hello-from-a" "page served by the other container"
}

register_test container_outlives_driver
test_container_outlives_driver() {
	need_ctr
	local drv pid out
	mkdir -p "$TEST_TMP/c"
	defer _ctr_kill "$TEST_TMP/c"
	"$CTR_RUN" start --instance "$TEST_TMP/c" --layer "$CTR_LAYER" \
		--log "$TEST_TMP/c.log" --wait -- sleep 1000 >driver.out 2>&1 &
	drv=$!
	wait_for 60 grep -q '^pid ' driver.out
	pid=$(sed -n 's/^pid //p' driver.out)
	kill -9 "$drv"
	wait "$drv" 2>/dev/null || true
	sleep 0.5
	kill -0 "$pid" || fail "the container died with the driver"
	assert_eq running "$(ctr_field "$("$CTR_RUN" status "$TEST_TMP/c")" state)" "state"
	kill -9 "$pid"
	out=$("$CTR_RUN" wait "$TEST_TMP/c" 60000)
	assert_eq 137 "$(ctr_field "$out" exitCode)" "the monitor recorded the exit"
}

register_test container_termination_message
test_container_termination_message() {
	need_ctr
	local out
	: >term-a
	out=$(ctr a --termlog "$TEST_TMP/term-a" --wait -- sh -c 'echo -n bye >/dev/termination-log; exit 2')
	assert_eq "bye" "$(ctr_field "$out" message)" "message from the file"
	: >term-b
	out=$(ctr b --termlog "$TEST_TMP/term-b" --fallback --wait -- sh -c 'echo line1; echo last-line; exit 1')
	assert_contains "$out" "message=line1" "fallback to logs"
	assert_contains "$out" "last-line" "fallback to logs"
}

register_test --serial container_cycles
test_container_cycles() {
	need_ctr
	local before after out zombies monitor fds
	before=$(wc -l </proc/self/mountinfo)
	ctr c -- sleep 1000 >/dev/null
	monitor=$(cat "$TEST_TMP/c/monitor.pid")
	fds=$(ls "/proc/$monitor/fd" | wc -l)
	echo "monitor fds: $fds"
	[ "$fds" -le 8 ] || fail "monitor has $fds fds: $(ls -l "/proc/$monitor/fd")"
	"$CTR_RUN" stop "$TEST_TMP/c" 0 >/dev/null
	# 50 start/stop cycles in one driver process (forks are slow here);
	# CONTAINER_LEAK_CYCLES=1000 for the full run (with a longer --timeout).
	out=$(ctr c --repeat "${CONTAINER_LEAK_CYCLES:-50}" -- sleep 1000)
	assert_eq 137 "$(ctr_field "$out" exitCode)" "exit code of the last cycle"
	after=$(wc -l </proc/self/mountinfo)
	assert_eq "$before" "$after" "mountinfo lines after the cycles"
	sleep 0.5
	zombies=$(awk '$3 == "Z"' /proc/[0-9]*/stat 2>/dev/null | wc -l || true)
	assert_eq 0 "$zombies" "zombies"
}

register_test --serial container_start_latency
test_container_start_latency() {
	need_ctr
	local out
	out=$(ctr l --repeat 20 -- true)
	assert_eq 0 "$(ctr_field "$out" exitCode)" "exit code"
	printf '%s\n' "$out" | sed -n 's/^start_us /container_start to exec, 20 starts (us): /p'
}

register_test container_layers_and_links
test_container_layers_and_links() {
	need_ctr
	local top=$TEST_TMP/top out rc=0
	# A second layer on top: it overrides a file of busybox's and holds
	# absolute links, which must resolve inside the container's root.
	mkdir -p "$top/etc" "$TEST_TMP/escape" vol
	echo "top-layer" >"$top/etc/hostname"
	ln -s /tmp "$top/data"
	ln -s "$TEST_TMP/escape" "$top/dangling"
	echo vol-file >vol/f
	out=$(ctr c --layer "$top" --mount "$TEST_TMP/vol:/data/$TEST_ID:ro" --wait -- \
		sh -c "cat /etc/hostname; cat /tmp/$TEST_ID/f; touch /data/$TEST_ID/g && echo RW; exit 0")
	assert_eq 0 "$(ctr_field "$out" exitCode)" "exit code"
	assert_contains "$(ctr_log c)" "top-layer" "the top layer wins"
	assert_contains "$(ctr_log c)" "vol-file" "the volume is mounted at /tmp/$TEST_ID"
	assert_not_contains "$(ctr_log c)" "RW" "the volume is read-only"
	assert_no_file "/tmp/$TEST_ID" "mount target made through the link on the host"
	assert_no_file "$TEST_TMP/vol/g" "write through a read-only volume"
	# A link to a path the root does not have: refused, nothing made on
	# the host.
	out=$(ctr d --layer "$top" --mount "$TEST_TMP/vol:/dangling/v" -- true 2>&1) || rc=$?
	assert_eq 1 "$rc" "start through a dangling link"
	assert_contains "$out" "/dangling/v" "error names the path"
	assert_no_file "$TEST_TMP/escape/v" "mount target made through the link on the host"
}

register_test container_cgroup_oom_score_hostname
test_container_cgroup_oom_score_hostname() {
	need_ctr
	local cg
	cg=$(make_cgroup ctr)
	echo 104857600 >"$cg/memory.max"
	ctr c --cgroup "$cg" --oom-score-adj 937 --hostname ctr-host --wait -- \
		sh -c 'cat /proc/self/cgroup; echo score=$(cat /proc/self/oom_score_adj); echo host=$(hostname)
			echo max=$(cat /sys/fs/cgroup/memory.max); echo hi >/sys/fs/cgroup/x || echo CG-RO' >/dev/null
	assert_contains "$(ctr_log c)" "0::/"$'\n' "the container's cgroup is the root of its cgroup namespace"
	assert_contains "$(ctr_log c)" "max=104857600" "its cgroup's memory.max at /sys/fs/cgroup"
	assert_contains "$(ctr_log c)" "CG-RO" "/sys/fs/cgroup is read-only"
	assert_contains "$(ctr_log c)" "score=937" "oom_score_adj"
	assert_contains "$(ctr_log c)" "host=ctr-host" "hostname in its own uts namespace"
	assert_ne ctr-host "$(hostname)" "the guest's hostname"
}

register_test container_seccomp_localhost
test_container_seccomp_localhost() {
	need_ctr
	mkdir -p profiles
	cat >profiles/no-mkdir.json <<-'EOF2'
		{"defaultAction": "SCMP_ACT_ALLOW",
		 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
	EOF2
	ctr c --seccomp "localhost:$TEST_TMP/profiles:no-mkdir.json" --wait -- \
		sh -c 'mkdir /newdir && echo MKDIR-OK; grep Seccomp: /proc/self/status' >/dev/null
	assert_not_contains "$(ctr_log c)" "MKDIR-OK" "mkdir denied by the profile"
	assert_contains "$(ctr_log c)" "Permission denied" "errnoRet 13"
	ctr d --seccomp unconfined --wait -- grep Seccomp: /proc/self/status >/dev/null
	assert_contains "$(ctr_log d)" "Seccomp:	0" "Unconfined"
	local out rc=0
	out=$(ctr e --seccomp "localhost:$TEST_TMP/profiles:../x.json" -- true 2>&1) || rc=$?
	assert_eq 1 "$rc" "a profile outside the root"
	assert_contains "$out" "x.json" "error names the profile"
}

register_test container_shared_pidns
test_container_shared_pidns() {
	need_ctr
	local out pid
	out=$(ctr a -- sleep 1000)
	pid=$(sed -n 's/^pid //p' <<<"$out")
	ctr b --pidns "/proc/$pid/ns/pid" --wait -- sh -c 'ps -o pid,args' >/dev/null
	assert_match '(^|'$'\n'') *1 +sleep 1000' "$(ctr_log b)" "the first container's process is pid 1 for the second"
}

SYSPROBE=$BERTH_BUILDDIR/tests/integration/sysprobe

# keyctl and ptrace of a non-child, in a default container, through the
# static tests/integration/sysprobe (busybox has no applet for either):
# the RuntimeDefault profile denies keyctl and add_key; without
# CAP_SYS_PTRACE a root container cannot attach to another user's process
# in its PID namespace.  With the profile off, or CAP_SYS_PTRACE added, the
# same calls pass: what denies them is what the test names.
register_test container_keyctl_ptrace_denied
test_container_keyctl_ptrace_denied() {
	need_ctr
	[ -x "$SYSPROBE" ] || skip "no $SYSPROBE (run make)"
	local out pid probe="$SYSPROBE:/sysprobe:ro"
	# a's sleep, uid 1000, is PID 1 of the PID namespace b joins
	out=$(ctr a --user 1000 -- sleep 1000)
	pid=$(sed -n 's/^pid //p' <<<"$out")
	ctr b --pidns "/proc/$pid/ns/pid" --mount "$probe" --wait -- \
		sh -c '/sysprobe keyctl; /sysprobe add_key; /sysprobe ptrace 1; exit 0' >/dev/null
	assert_contains "$(ctr_log b)" "keyctl: EPERM" "keyctl under RuntimeDefault"
	assert_contains "$(ctr_log b)" "add_key: EPERM" "add_key under RuntimeDefault"
	assert_contains "$(ctr_log b)" "ptrace: EPERM" "PTRACE_ATTACH to another user's process"
	ctr c --seccomp unconfined --mount "$probe" --wait -- /sysprobe keyctl >/dev/null
	assert_contains "$(ctr_log c)" "keyctl: ok" "keyctl without the profile"
	ctr d --pidns "/proc/$pid/ns/pid" --cap-add SYS_PTRACE --mount "$probe" --wait -- \
		/sysprobe ptrace 1 >/dev/null
	assert_contains "$(ctr_log d)" "ptrace: ok" "PTRACE_ATTACH with CAP_SYS_PTRACE"
}
