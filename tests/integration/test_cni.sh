# Pod networking through CNI (bridge + host-local + portmap, berth's default
# conflist): pod IPs, pod-to-pod and node-to-pod traffic, hostPort, DEL.
# All traffic stays inside the guest.  Serial: the tests share the berth0
# bridge and the host-local store of the "berth" network.

CNTOOL=$BERTH_BUILDDIR/tests/integration/sandbox-tool
CNI_NETS=/var/lib/cni/networks/berth

need_cni() {
	need_vm # bridge and iptables rules in the root network namespace
	[ -x "$CNTOOL" ] || skip "no $CNTOOL (run make)"
	[ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni"
	need_cmd nsenter
}

cn_tool() { "$CNTOOL" --run-dir "$TEST_TMP/run" --cni-conf-dir "$TEST_TMP/net.d" "$@"; }
cn_get() { printf '%s\n' "$2" | sed -n "s/^$1=//p"; }
# cn_ips: how many IPs host-local has reserved (none before the first pod).
cn_ips() { { find "$CNI_NETS" -maxdepth 1 -name '10.*' 2>/dev/null || true; } | wc -l; }

# cn_pod NAME [EXTRA-CONTAINER-YAML]: create a pod sandbox with CNI.
cn_pod() {
	cat >"$1.yaml" <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: $1, namespace: default, uid: $TEST_ID-$1}
		spec:
		  containers:
		  - name: c
		    image: busybox
		${2:-}
	EOF2
	defer cn_tool destroy "$TEST_ID-$1"
	cn_tool create "$1.yaml"
}

# One test for the pod network (each CNI ADD or DEL runs Go plugins that
# take seconds under TCG): two pods, ping both ways, TCP from the node to the
# pod IP and through hostPort, then DEL frees the IP and the veth.
register_test --serial cni_pods
test_cni_pods() {
	need_cni
	local a b ipa ipb neta netb pid got node veths
	veths=$(ip -o link show type veth | wc -l)
	a=$(cn_pod pa "    ports: [{containerPort: 8080, hostPort: 18080}]"$'\n'"  subdomain: sub")
	b=$(cn_pod pb)
	echo "$a"
	ipa=$(cn_get ip "$a") ipb=$(cn_get ip "$b")
	neta=$(cn_get net "$a") netb=$(cn_get net "$b")
	assert_match '^10\.88\.[0-9]+\.[0-9]+$' "$ipa" "pod a IP"
	assert_match '^10\.88\.[0-9]+\.[0-9]+$' "$ipb" "pod b IP"
	assert_ne "$ipa" "$ipb" "distinct IPs"
	assert_file "$TEST_TMP/net.d/10-berth.conflist" "default conflist written"
	assert_contains "$(nsenter --net="$neta" ip -4 addr show eth0)" "inet $ipa/16" "eth0 of pod a"
	assert_match "UP" "$(nsenter --net="$neta" ip link show lo)" "lo up"
	assert_eq pa "$(nsenter --uts="$(cn_get uts "$a")" hostname)" "hostname"
	assert_contains "$(cat "$(cn_get hosts "$a")")" "$ipa	pa.sub.default.svc.cluster.local	pa" "hosts: pod IP line with the FQDN"
	assert_file "$CNI_NETS/$ipa" "host-local reservation"
	assert_ok nsenter --net="$neta" busybox ping -c 1 -W 5 "$ipb"
	assert_ok nsenter --net="$netb" busybox ping -c 1 -W 5 "$ipa"

	# A TCP server in pod a, from the node: by pod IP, then by hostPort on
	# the node's own address (the bridge's; the guest has no NIC).
	nsenter --net="$neta" busybox nc -ll -p 8080 -e echo hello-from-pod &
	pid=$!
	defer kill "$pid"
	wait_for 20 sh -c "nsenter --net='$neta' cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1F90 [0-9A-F]*:0000 0A'"
	got=$(busybox nc -w 5 "$ipa" 8080 </dev/null)
	assert_eq hello-from-pod "$got" "TCP from the root ns to the pod IP"
	node=$(ip -4 -o addr show berth0 | awk '{print $4}' | cut -d/ -f1)
	got=$(busybox nc -w 5 "$node" 18080 </dev/null)
	assert_eq hello-from-pod "$got" "TCP to the node's $node:18080 (hostPort)"

	# DEL frees the IP, the veth and the ADD cache; a second DEL is a no-op.
	assert_ok cn_tool destroy "$TEST_ID-pa"
	assert_no_file "$CNI_NETS/$ipa" "reservation after DEL"
	assert_eq "$((veths + 1))" "$(ip -o link show type veth | wc -l)" "veths after one DEL"
	assert_no_file "$TEST_TMP/run/cni-cache/$TEST_ID-pa.json" "ADD cache after DEL"
	assert_ok cn_tool destroy "$TEST_ID-pa"
	assert_fails busybox nc -w 2 "$node" 18080 </dev/null
}

register_test --serial cni_leaks
test_cni_leaks() {
	need_cni
	local out n0
	cat >leak.yaml <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: leak, namespace: default, uid: $TEST_ID-leak}
		spec: {containers: [{name: c, image: busybox}]}
	EOF2
	n0=$(cn_ips)
	# Each cycle runs six Go plugins and iptables (~15 s under TCG): one in
	# CI (an fd or mount leaked per cycle still shows); set
	# CNI_LEAK_CYCLES=200 for the full run.
	out=$(cn_tool loop "${CNI_LEAK_CYCLES:-1}" leak.yaml)
	echo "$out"
	assert_eq "$(cn_get fds_before "$out")" "$(cn_get fds_after "$out")" "fds"
	assert_eq "$(cn_get mounts_before "$out")" "$(cn_get mounts_after "$out")" "mounts"
	assert_eq "$n0" "$(cn_ips)" "allocated IPs"
	assert_eq "" "$(ls "$TEST_TMP/run/pods")" "pod dirs left"
}

register_test --serial cni_bench
test_cni_bench() {
	[ "${BERTH_BENCH:-0}" = 1 ] || skip "a benchmark: set BERTH_BENCH=1"
	need_cni
	local out
	cat >bench.yaml <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: bench, namespace: default, uid: $TEST_ID-bench}
		spec: {containers: [{name: c, image: busybox}]}
	EOF2
	out=$(cn_tool bench 20 bench.yaml)
	echo "sandbox create with CNI: $(cn_get create_median_ms "$out") ms (median of 20)"
}

register_test --serial cni_no_plugins
test_cni_no_plugins() {
	need_cni
	local out err
	cat >lo.yaml <<-EOF2
		apiVersion: v1
		kind: Pod
		metadata: {name: lo, namespace: default, uid: $TEST_ID-lo}
		spec: {containers: [{name: c, image: busybox}]}
	EOF2
	defer "$CNTOOL" --run-dir "$TEST_TMP/run" destroy "$TEST_ID-lo"
	out=$("$CNTOOL" --run-dir "$TEST_TMP/run" --cni-conf-dir "$TEST_TMP/net.d" --cni-path "$TEST_TMP/none" create lo.yaml 2>err)
	assert_eq "" "$(cn_get ip "$out")" "no pod IP"
	assert_contains "$(cat err)" "loopback only" "warning"
}
