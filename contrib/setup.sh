#!/usr/bin/env bash
# Install everything berth needs to build and test, with apt-get.
# Idempotent and quiet when every package is already installed.
set -euo pipefail

build_pkgs=(
  build-essential autoconf automake libtool pkg-config
  libcurl4-openssl-dev libyajl-dev libyaml-dev libseccomp-dev libcap-dev
  libmicrohttpd-dev check libarchive-dev libssl-dev libnftables-dev libnftnl-dev libnghttp2-dev
  clang libclang-rt-dev clang-format
  tzdata time
  libmnl-dev  # bench/nft-commit-listener.c (readiness-propagation.sh)
)
# What the VM harness (tests/vm/run) and the test images need.
vm_pkgs=(
  qemu-system-x86 busybox-static cpio kmod gzip
  containernetworking-plugins nftables iproute2 stress crun curl
)

want=("${build_pkgs[@]}")
if [ "${BERTH_SETUP_VM:-1}" = 1 ]; then
  want+=("${vm_pkgs[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
# tests/vm/run fetches the kernel with apt-get download: it needs package lists.
need_lists=0
if [ "${BERTH_SETUP_VM:-1}" = 1 ] &&
  ! apt-cache depends linux-image-amd64 2>/dev/null | grep -q 'Depends: linux-image-'; then
  need_lists=1
fi
[ ${#missing[@]} -eq 0 ] && [ "$need_lists" = 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
