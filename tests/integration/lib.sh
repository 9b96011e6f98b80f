# Integration test library: sourced by tests/integration/run and by every
# test process. Tests run as root inside the VM (tests/vm/run).
#
# A test file tests/integration/test_AREA.sh defines functions and registers
# them; it runs nothing at the top level:
#
#   register_test smoke_oom              # runs test_smoke_oom
#   register_test --serial smoke_cpu t   # runs t, alone (not in parallel)
#   test_smoke_oom() { cg=$(make_cgroup oom); ...; assert_eq 1 "$x" "oom_kill"; }
#
# Each test runs in its own bash process, under set -euo pipefail, in its own
# temp dir $TEST_TMP (its cwd). A failing command or assertion ends the test.
# Assertions print what was expected and what was seen. Everything a test makes
# through make_cgroup, make_netns, track_mount or defer is undone after it,
# in reverse order, whether it passed or not.

# Forks are slow under TCG (~0.1 s each): the framework avoids them.
ITEST_LIB=${BASH_SOURCE[0]}
[[ "$ITEST_LIB" == /* ]] || ITEST_LIB=$PWD/$ITEST_LIB
ITEST_DIR=${ITEST_LIB%/*}
: "${BERTH_SRCDIR:=${ITEST_DIR%/tests/integration}}"
: "${BERTH_BUILDDIR:=$BERTH_SRCDIR}"
: "${BERTH_BIN:=$BERTH_BUILDDIR/berth}"
export BERTH_SRCDIR BERTH_BUILDDIR BERTH_BIN

ITEST_NAMES=() ITEST_FUNCS=() ITEST_FILES=() ITEST_SERIAL=()

# register_test [--serial] NAME [FUNC]: FUNC defaults to test_NAME.
register_test() {
	local serial=0
	if [ "$1" = --serial ]; then
		serial=1
		shift
	fi
	ITEST_NAMES+=("$1")
	ITEST_FUNCS+=("${2:-test_$1}")
	local file=${BASH_SOURCE[1]}
	[[ "$file" == /* ]] || file=$PWD/$file
	ITEST_FILES+=("$file")
	ITEST_SERIAL+=("$serial")
}

# --- running one test (called by the runner in a fresh bash) -------------

# _itest_exec FILE NAME FUNC: run one test; exit 0 pass, 77 skip, else fail.
_itest_exec() {
	local file=$1 rc i c h=7
	TEST_NAME=$2
	# Short id for names with tight limits (interfaces: 15 chars).
	for ((i = 0; i < ${#TEST_NAME}; i++)); do
		printf -v c '%d' "'${TEST_NAME:i:1}"
		h=$(((h * 31 + c) % 99991))
	done
	TEST_ID=t$h
	TEST_TMP=$BERTH_TEST_RUNDIR/$TEST_NAME
	[ ! -e "$TEST_TMP" ] || rm -rf --one-file-system "$TEST_TMP"
	mkdir -p "$TEST_TMP"
	: >"$TEST_TMP/.cleanup"
	export TEST_NAME TEST_ID TEST_TMP
	cd "$TEST_TMP"
	# shellcheck source=/dev/null
	. "$file"
	(
		set -eEuo pipefail
		shopt -s inherit_errexit
		trap '_itest_on_err $?' ERR
		"$3"
	)
	rc=$?
	_itest_cleanup
	return "$rc"
}

_itest_on_err() {
	[ ! -e "$TEST_TMP/.skip" ] || return 0
	local i=1
	while [ "${BASH_SOURCE[$i]:-}" = "$ITEST_LIB" ]; do i=$((i + 1)); done
	echo "FAIL: command exited $1 at ${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}: $BASH_COMMAND" >&2
}

_itest_cleanup() {
	local cmds i
	mapfile -t cmds <"$TEST_TMP/.cleanup"
	for ((i = ${#cmds[@]} - 1; i >= 0; i--)); do
		eval "${cmds[i]}" >"$TEST_TMP/.cleanup.out" 2>&1 ||
			{ echo "cleanup failed: ${cmds[i]}"; sed 's/^/  /' "$TEST_TMP/.cleanup.out"; }
	done
}

# defer CMD ARGS...: run CMD after the test, whatever its outcome.
defer() {
	printf '%q ' "$@" >>"$TEST_TMP/.cleanup"
	echo >>"$TEST_TMP/.cleanup"
}

# --- assertions ----------------------------------------------------------

# Where the test called into this library.
_itest_where() {
	local i=1
	while [ "${BASH_SOURCE[$i]:-}" = "$ITEST_LIB" ]; do i=$((i + 1)); done
	echo "${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]}"
}

fail() {
	echo "FAIL at $(_itest_where): $*" >&2
	exit 1
}

# skip REASON: end the test as skipped.
skip() {
	echo "$*" >"$TEST_TMP/.skip"
	echo "SKIP: $*" >&2
	exit 77
}

_itest_show() { # label value: multi-line values indented
	if [[ "$2" == *$'\n'* ]]; then
		echo "  $1:"
		printf '%s\n' "$2" | sed 's/^/    | /'
	else
		printf '  %-9s %s\n' "$1:" "'$2'"
	fi
}

_itest_fail2() { # what, expected-label, expected, seen
	{
		echo "FAIL at $(_itest_where): ${1:-assertion}"
		_itest_show "$2" "$3"
		_itest_show seen "$4"
	} >&2
	exit 1
}

assert_eq() { [ "$2" = "$1" ] || _itest_fail2 "${3:-values differ}" expected "$1" "$2"; }
assert_ne() { [ "$2" != "$1" ] || _itest_fail2 "${3:-values equal}" "not" "$1" "$2"; }
# assert_match ERE VALUE [WHAT]
assert_match() { [[ "$2" =~ $1 ]] || _itest_fail2 "${3:-no match}" pattern "$1" "$2"; }
# assert_contains HAYSTACK NEEDLE [WHAT]
assert_contains() { [[ "$1" == *"$2"* ]] || _itest_fail2 "${3:-substring missing}" wanted "$2" "$1"; }
assert_not_contains() { [[ "$1" != *"$2"* ]] || _itest_fail2 "${3:-substring present}" unwanted "$2" "$1"; }
# assert_gt A B [WHAT]: integers, A > B
assert_gt() {
	[[ "$1" =~ ^-?[0-9]+$ ]] && [ "$1" -gt "$2" ] || _itest_fail2 "${3:-not greater}" expected "> $2" "$1"
}
assert_file() { [ -e "$1" ] || fail "${2:-file missing}: $1"; }
assert_no_file() { [ ! -e "$1" ] || fail "${2:-file exists}: $1"; }

# assert_ok CMD...: CMD succeeds; its output is shown if it does not.
assert_ok() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" = 0 ] || _itest_fail2 "command failed: $*" "exit" 0 "exit $rc, output:"$'\n'"$out"
	[ -z "$out" ] || printf '%s\n' "$out"
}
# assert_status N CMD...: CMD exits with N.
assert_status() {
	local want=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" = "$want" ] || _itest_fail2 "exit status of: $*" "exit" "$want" "exit $rc, output:"$'\n'"$out"
	[ -z "$out" ] || printf '%s\n' "$out"
}
# assert_fails CMD...: CMD exits non-zero.
assert_fails() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" != 0 ] || _itest_fail2 "command succeeded: $*" "exit" "non-zero" "0, output:"$'\n'"$out"
	[ -z "$out" ] || printf '%s\n' "$out"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || fail "timed out waiting for: $*"
		sleep 0.1
	done
}

# need_cmd CMD...: skip the test unless every CMD is on PATH.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "needs $c"
	done
}

# need_berth: skip unless the berth binary under test exists.
need_berth() { [ -x "$BERTH_BIN" ] || skip "no berth binary at $BERTH_BIN (BERTH_BIN)"; }

# --- cgroups -------------------------------------------------------------

ITEST_CGROOT=/sys/fs/cgroup/berth-itest
ITEST_CONTROLLERS="+cpu +memory +pids +io +cpuset"

# need_cgroup2: skip unless /sys/fs/cgroup is cgroup v2 (the guest, not a
# hybrid host, whose hierarchies must never be touched).
need_cgroup2() {
	[ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] ||
		skip "/sys/fs/cgroup is not cgroup v2 (run under tests/vm/run)"
}

# make_cgroup NAME: a child cgroup with all controllers usable; prints its path.
make_cgroup() {
	need_cgroup2
	local parent=$ITEST_CGROOT/$TEST_NAME cg
	cg=$parent/$1
	# one test at a time: concurrent cgroup mkdirs and cpuset enabling
	# locked up the guest's kernel at the start of a run (soft lockups)
	(
		flock 9
		mkdir -p "$parent"
		# the runner enabled them (tests/integration/run); a test run
		# alone does it here
		grep -q cpuset "$ITEST_CGROOT/cgroup.subtree_control" ||
			echo "$ITEST_CONTROLLERS" >"$ITEST_CGROOT/cgroup.subtree_control"
		echo "$ITEST_CONTROLLERS" >"$parent/cgroup.subtree_control"
		mkdir "$cg"
	) 9>"${BERTH_TEST_RUNDIR:-/tmp}/.cgroup.lock"
	defer _itest_rm_cgroup "$cg"
	echo "$cg"
}

_itest_rm_cgroup() {
	local cg=$1 i
	[ -d "$cg" ] || return 0
	echo 1 >"$cg/cgroup.kill" 2>/dev/null || true
	for i in $(seq 50); do
		grep -q 'populated 0' "$cg/cgroup.events" && break
		sleep 0.1
	done
	find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rmdir "$(dirname "$cg")" 2>/dev/null || true
	[ ! -d "$cg" ]
}

# in_cgroup CG CMD...: run CMD inside cgroup CG.
in_cgroup() {
	local cg=$1
	shift
	sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# cg_get CG FILE [KEY]: a cgroup file, or KEY's value in a flat-keyed file.
cg_get() {
	if [ $# -ge 3 ]; then
		awk -v k="$3" '$1 == k { print $2; found = 1 } END { exit !found }' "$1/$2"
	else
		cat "$1/$2"
	fi
}

# --- namespaces, mounts --------------------------------------------------

# make_netns NAME: an `ip netns` namespace with lo up; prints its name.
make_netns() {
	local ns=$TEST_ID-$1
	ip netns add "$ns"
	defer _itest_rm_netns "$ns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

_itest_rm_netns() {
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null) || true
	# shellcheck disable=SC2086 # one pid a word
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
	ip netns del "$1"
}

# track_mount PATH: unmount PATH after the test.
track_mount() { defer umount -l "$1"; }

# --- test images ---------------------------------------------------------

# test_image NAME: the OCI layout of a test image (tests/images/build-image);
# prints its dir. Taken from $BERTH_IMAGE_PREBUILT/NAME when there (make
# check-vm builds them natively on the host, while the VM boots), else
# built once per run in $BERTH_IMAGE_CACHE.
test_image() {
	local cache=${BERTH_IMAGE_CACHE:-$BERTH_TEST_RUNDIR/images}
	if [ -n "${BERTH_IMAGE_PREBUILT:-}" ] && [ -e "$BERTH_IMAGE_PREBUILT/$1/index.json" ]; then
		echo "$BERTH_IMAGE_PREBUILT/$1"
		return
	fi
	mkdir -p "$cache"
	(
		flock 8
		[ -e "$cache/$1/index.json" ] || {
			rm -rf "${cache:?}/$1"
			"$BERTH_SRCDIR/tests/images/build-image" "$1" "$cache/$1" >&2
		}
	) 8>"$cache/.$1.lock"
	echo "$cache/$1"
}

# ping4 [ARGS...]: ping from iputils or busybox, whichever exists.
ping4() {
	if command -v ping >/dev/null; then ping "$@"; else busybox ping "$@"; fi
}

# need_vm: skip unless inside the test VM (for tests that touch the root
# network namespace or other machine-wide state).
need_vm() { [ "${BERTH_VM:-0}" = 1 ] || skip "needs the test VM (tests/vm/run)"; }
