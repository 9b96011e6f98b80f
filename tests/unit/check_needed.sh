#!/bin/sh
# tests/unit/check_needed.sh - the berth binary links none of the libraries
# that lib/lazy_*.c load on first use: a NEEDED entry for one of them
# (someone added $(CURL_LIBS) back to a link line, say) would make every
# exec of berth load it and the dozens of libraries it pulls in again.
# Run by make check from the build directory.
set -u
objdump=${OBJDUMP:-objdump}
berth=./berth
[ -x "$berth" ] || { echo "check_needed: $berth is not built" >&2; exit 99; }
needed=$("$objdump" -p "$berth" | awk '$1 == "NEEDED" {print $2}') || exit 99
[ -n "$needed" ] || { echo "check_needed: no NEEDED entry in $berth (not a dynamic ELF?)" >&2; exit 99; }
echo "berth NEEDED:" $needed
bad=$(printf '%s\n' "$needed" | grep -E '^lib(curl|archive|microhttpd|nftables|nftnl|crypto|ssl|gnutls)\.so') || true
if [ -n "$bad" ]; then
	echo "FAIL: berth links" $bad "- these are loaded on first use (lib/lazylib.h); take their _LIBS off the link line" >&2
	exit 1
fi
echo "PASS: berth links none of libcurl, libarchive, libmicrohttpd, libnftables, libnftnl, libcrypto"
