#!/usr/bin/env bash
# bench/validate.sh [BUILD_DIR] - how fast `berth validate` reads manifests,
# and its peak memory.  Validates the Kubernetes docs fixtures (block, flow and
# JSON forms) ROUNDS times in one process, and one large generated stream of
# 2,000 Pods, and prints objects per second and the peak RSS of each run.
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
berth=$build/berth
rounds=${ROUNDS:-50}
[ -x "$berth" ] || { echo "bench: build berth first ($berth missing)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

args=()
for i in $(seq "$rounds"); do
  args+=(-f "$src/tests/fixtures/docs" -f "$src/tests/fixtures/docs-flow" -f "$src/tests/fixtures/docs-json")
done

measure() { # LABEL ARGS...
  local label=$1; shift
  local start end objs rss
  start=$(date +%s.%N)
  /usr/bin/env time -f '%M' -o "$tmp/rss" "$berth" validate "$@" >"$tmp/out" 2>/dev/null || true
  end=$(date +%s.%N)
  objs=$(wc -l <"$tmp/out")
  rss=$(cat "$tmp/rss")
  awk -v l="$label" -v o="$objs" -v s="$start" -v e="$end" -v r="$rss" \
    'BEGIN { t = e - s; printf "%-32s %7d objects in %6.3f s: %8.0f objects/s, peak RSS %.1f MiB\n", l, o, t, o / t, r / 1024 }'
}

measure "docs fixtures x$rounds" "${args[@]}"

for i in $(seq 2000); do
  printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d, labels: {app: bench}}\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n    resources: {limits: {cpu: 100m, memory: 64Mi}}\n    readinessProbe: {httpGet: {path: /healthz, port: 8080}}\n    env: [{name: A, value: "1"}, {name: B, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]\n' "$i"
done >"$tmp/pods.yaml"
measure "2,000 Pods in one stream" -f "$tmp/pods.yaml"
