#!/bin/sh
# make install into a staging dir (DESTDIR), as a package build does: the
# binary, the man page, the systemd unit and the agent's default
# configuration, each where configure put it and with those paths inside;
# a second install keeps an edited configuration; make uninstall removes
# everything but an edited configuration.  Run by make check, which passes
# MAKE, BERTH_BUILDDIR and the install dirs (contrib/systemd/install.am).
set -eu

: "${MAKE:=make}"
b=${BERTH_BUILDDIR:?run me through make check}
: "${bindir:?}" "${man1dir:?}" "${systemdsystemunitdir:?}" "${sysconfdir:?}"
d=$(mktemp -d "${TMPDIR:-/tmp}/berth-install.XXXXXX")
trap 'rm -rf "$d"' EXIT
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# make TARGET: quiet unless it fails
run_make() {
	if ! $MAKE -s -C "$b" "$1" DESTDIR="$d/root" >"$d/make.log" 2>&1; then
		cat "$d/make.log"
		echo "FAIL: make $1 DESTDIR=..."
		exit 1
	fi
}

# The files (with ALL, the empty dirs too) under the staging root.
listing() {
	if [ "${1:-}" = all ]; then set -- -o -type d -empty; fi
	(cd "$d/root" && find . \( -type f -o -type l "$@" \) -print) |
		sed 's|^\.||' | LC_ALL=C sort
}

run_make install
unit=$d/root$systemdsystemunitdir/berth.service
conf=$d/root$sysconfdir/berth/berth.conf
expected=$(printf '%s\n' "$bindir/berth" "$man1dir/berth.1" \
	"$systemdsystemunitdir/berth.service" "$sysconfdir/berth/berth.conf" \
	"$sysconfdir/berth/manifests" | LC_ALL=C sort)
got=$(listing all)
if [ "$got" != "$expected" ]; then
	fail "installed files differ"
	printf 'expected:\n%s\ngot:\n%s\n' "$expected" "$got"
fi

# the unit runs the installed binary with the installed configuration
grep -qxF "ExecStart=$bindir/berth agent \$BERTH_AGENT_ARGS" "$unit" ||
	fail "berth.service: ExecStart is not $bindir/berth agent \$BERTH_AGENT_ARGS"
grep -qxF "EnvironmentFile=-$sysconfdir/berth/berth.conf" "$unit" ||
	fail "berth.service: EnvironmentFile is not -$sysconfdir/berth/berth.conf"
grep -qxF "BERTH_AGENT_ARGS=\"--manifest-dir $sysconfdir/berth/manifests\"" "$conf" ||
	fail "berth.conf: BERTH_AGENT_ARGS does not name $sysconfdir/berth/manifests"
if grep -n '@[a-z]*@' "$unit" "$conf"; then fail "unsubstituted @dir@ left"; fi
# every flag of the default configuration is one the agent knows
args=$(sed -n 's/^BERTH_AGENT_ARGS="\(.*\)"$/\1/p' "$conf")
for a in $args; do
	case $a in
	--*) "$d/root$bindir/berth" agent --help | grep -q -- "^  $a " ||
		fail "berth.conf: $a is not a flag of berth agent --help" ;;
	esac
done
out=$("$d/root$bindir/berth" version) || fail "the installed berth does not run"
case $out in "berth "*) ;; *) fail "berth version printed '$out'" ;; esac
if command -v systemd-analyze >/dev/null 2>&1; then
	# the unit's syntax (the binary it names is not installed for real)
	systemd-analyze verify --man=no "$unit" 2>&1 | grep -v 'is not executable\|No such file\|Command .* is not' |
		grep . && fail "systemd-analyze verify berth.service"
fi
if command -v groff >/dev/null 2>&1; then
	w=$(groff -man -ww -z "$d/root$man1dir/berth.1" 2>&1) || true
	[ -z "$w" ] || fail "groff warnings in berth.1: $w"
fi

# a second install keeps the administrator's configuration
echo '# edited' >>"$conf"
run_make install
grep -qx '# edited' "$conf" || fail "make install replaced an edited berth.conf"

# uninstall leaves the edited configuration only; then, with the default
# one back, nothing (but the standard dirs, as automake's uninstall does)
run_make uninstall
got=$(listing)
[ "$got" = "$sysconfdir/berth/berth.conf" ] || fail "after uninstall: $got"
sed -i '/^# edited$/d' "$conf"
run_make uninstall
got=$(listing)
[ -z "$got" ] || fail "after uninstall of the default configuration: $got"
[ ! -e "$d/root$sysconfdir/berth" ] || fail "after uninstall: $sysconfdir/berth is left"

[ "$fails" = 0 ] || exit 1
echo "install: ok (the staged files: $(printf '%s' "$expected" | tr '\n' ' '))"
