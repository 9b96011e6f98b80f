#!/usr/bin/env bash
# bench/pod-start.sh [BUILD_DIR] - how long a one-container pod takes to
# start with `berth run`, next to `crun run` of the same busybox rootfs, in
# the same QEMU guest.  Run from the host:
#
#   tests/vm/run --keep build -- bench/pod-start.sh build
#
# For berth: from the start of `berth run` to the container's exec (the
# startedAt its monitor records), without CNI and with the default bridge
# network; then through a running `berth agent`, from the API request that
# creates the pod (bench/api-post.c stamps it once it is loaded) to the
# same startedAt, without CNI.  For crun: the whole `crun run` of `true`
# (create, start, exit, delete), which is an upper bound of its start.
# ROUNDS runs each (10); prints the median and the 90th percentile in
# milliseconds.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
berth=$build/berth
rounds=${ROUNDS:-10}
[ "$(id -u)" = 0 ] || { echo "bench: run as root (in the VM: tests/vm/run)" >&2; exit 1; }
tmp=$(mktemp -d /var/tmp/bench.XXXXXX)
trap 'rm -rf --one-file-system "$tmp"' EXIT

"$src/tests/images/build-image" busybox "$tmp/img" >/dev/null
"$berth" image --root "$tmp/state" import busybox "$tmp/img" >/dev/null
mkdir -p /sys/fs/cgroup/bench
echo "+cpu +memory +pids" >/sys/fs/cgroup/cgroup.subtree_control

cat >"$tmp/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: bench}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: busybox, command: ["true"]}
YAML

ms_now() { local t; t=$(date +%s%N); echo $((t / 1000000)); }
# rfc3339 -> ms since the epoch
rfc_ms() { local t; t=$(date -d "$1" +%s%N); echo $((t / 1000000)); }
stats() { # LABEL VALUES...: median and p90
  local label=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v l="$label" '{ v[NR] = $1 } END {
    m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.9 + 0.5)]
    printf "%-34s median %5d ms   p90 %5d ms   (%d runs)\n", l, m, p, NR }'
}

berth_round() { # EXTRA-FLAGS...
  local t0 started
  t0=$(ms_now)
  "$berth" run --root "$tmp/state" --run-dir "$tmp/run" --log-dir "$tmp/logs" \
    --cgroup-root /sys/fs/cgroup/bench/berth "$@" -f "$tmp/pod.yaml" -o json \
    >"$tmp/report.json" 2>/dev/null
  started=$(sed -n 's/^ *"startedAt": "\(.*\)",\{0,1\}$/\1/p' "$tmp/report.json" | head -1)
  echo $(($(rfc_ms "$started") - t0))
}

declare -a a b c d
for i in $(seq "$rounds"); do a+=("$(berth_round --no-cni)"); done
for i in $(seq "$rounds"); do b+=("$(berth_round)"); done

# the agent: create through the API, started when the monitor says so
post=$tmp/api-post
cc -O2 "$src/bench/api-post.c" -lcurl -o "$post"
"$berth" image --root "$tmp/astate" import busybox "$tmp/img" >/dev/null
"$berth" agent --root "$tmp/astate" --socket "$tmp/agent.sock" \
  --run-dir "$tmp/arun" --log-dir "$tmp/alogs" \
  --cgroup-root /sys/fs/cgroup/bench/agent --no-cni >"$tmp/agent.log" 2>&1 &
agent_pid=$!
trap 'kill $agent_pid 2>/dev/null; wait $agent_pid 2>/dev/null; rm -rf --one-file-system "$tmp"' EXIT
export BERTH_SOCKET=$tmp/agent.sock
for _ in $(seq 300); do "$berth" get namespaces >/dev/null 2>&1 && break; sleep 0.1; done
agent_round() { # N
  local t0 uid st=
  printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bench-%s"},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox","command":["true"]}]}}' \
    "$1" >"$tmp/pod.json"
  t0=$("$post" "$tmp/agent.sock" /api/v1/namespaces/default/pods "$tmp/pod.json")
  uid=$("$berth" get pod "bench-$1" -o json | sed -n 's/^ *"uid": "\(.*\)",\{0,1\}$/\1/p' | head -1)
  for _ in $(seq 3000); do
    st=$(sed -n 's/.*"startedAt": *"\([^"]*\)".*/\1/p' \
      "$tmp/astate/pods/$uid/containers/c/0/status.json" 2>/dev/null) || true
    [ -z "$st" ] || break
    sleep 0.01
  done
  "$berth" delete pod "bench-$1" >/dev/null
  for _ in $(seq 3000); do
    "$berth" get pod "bench-$1" >/dev/null 2>&1 || break
    sleep 0.01
  done
  echo $(($(rfc_ms "$st") - t0))
}
for i in $(seq "$rounds"); do d+=("$(agent_round "$i")"); done

# crun: an OCI bundle on a copy of the same layer
mkdir -p "$tmp/bundle/rootfs"
layer=$("$berth" image --root "$tmp/state" inspect busybox |
  sed -n 's/^ *"\(\/[^"]*\/layers\/[0-9a-f]\{64\}\)",\{0,1\}$/\1/p' | head -1)
cp -a "$layer/." "$tmp/bundle/rootfs/"
(cd "$tmp/bundle" && crun spec && sed -i 's/"sh"/"true"/; s/"terminal": true/"terminal": false/' config.json)
for i in $(seq "$rounds"); do
  t0=$(ms_now)
  crun run --bundle "$tmp/bundle" "bench$i" >/dev/null 2>&1
  c+=($(($(ms_now) - t0)))
done

stats "berth run, pod start (no CNI)" "${a[@]}"
stats "berth run, pod start (CNI bridge)" "${b[@]}"
stats "berth agent, API create to exec" "${d[@]}"
stats "crun run, whole run of true" "${c[@]}"
