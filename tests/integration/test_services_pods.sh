# Services called from pods (issue 7), through the agent with the CNI
# bridge: a pod reaches a Service whose only endpoint is another pod on the
# same bridge, and a pod reaches itself through its own Service (hairpin).
# The reply of the first crosses the bridge without the node's routing:
# only br_netfilter, which the agent turns on (bridge_nf.h), puts it
# through conntrack to undo the DNAT.

# A test runs in a shell that sourced only this file.
# shellcheck source=tests/integration/test_agent.sh
declare -F _agent_kill >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/test_agent.sh"

svcpods_manifest() {
	cat <<-EOF
		apiVersion: v1
		kind: Pod
		metadata: {name: web1, labels: {app: web}}
		spec:
		  terminationGracePeriodSeconds: 1
		  containers:
		  - name: httpd
		    image: busybox
		    command: ["sh", "-c", "mkdir -p /tmp/www && hostname >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
		    ports: [{name: http, containerPort: 8080}]
		---
		apiVersion: v1
		kind: Pod
		metadata: {name: client}
		spec:
		  terminationGracePeriodSeconds: 1
		  containers:
		  - name: c
		    image: busybox
		    command: ["sleep", "3600"]
		---
		apiVersion: v1
		kind: Service
		metadata: {name: web}
		spec:
		  selector: {app: web}
		  ports: [{name: http, port: 80, targetPort: http}]
	EOF
}

# svcpods_get POD: what POD gets from the Service's ClusterIP.
svcpods_get() {
	"$BERTH_BIN" exec --root "$TEST_TMP/root" "$1" -- sh -c \
		"printf 'GET /index.html HTTP/1.0\r\n\r\n' | nc -w 5 $SVC_IP 80 | tail -1" 2>&1
}

svcpods_stop() {
	local i pid
	"$BERTH_BIN" delete pod web1 >/dev/null 2>&1 || true
	"$BERTH_BIN" delete pod client >/dev/null 2>&1 || true
	for i in $(seq 100); do
		"$BERTH_BIN" get pods 2>&1 | grep -Eq '^(web1|client) ' || break
		sleep 0.2
	done
	pid=$(cat "$TEST_TMP/agent.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! nft list table ip berth >/dev/null 2>&1 || nft delete table ip berth
}

register_test --serial svc_from_pods
test_svc_from_pods() {
	need_vm # CNI's bridge and the berth table in the root namespace
	need_berth
	need_cgroup2
	need_cmd nft
	[ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni"
	local out i
	"$BERTH_BIN" image --root "$TEST_TMP/root" import busybox "$(test_image busybox)" >/dev/null
	AGENT_CG=$(make_cgroup berth)
	defer rm -rf --one-file-system "$TEST_TMP/run"
	defer _agent_kill "$TEST_TMP/agent.pid"
	mkdir -p "$TEST_TMP/m"
	"$BERTH_BIN" agent --root "$TEST_TMP/root" --socket "$TEST_TMP/s" \
		--manifest-dir "$TEST_TMP/m" --hostname-override node1 \
		--run-dir "$TEST_TMP/run" --log-dir "$TEST_TMP/logs" \
		--cgroup-root "$AGENT_CG" --cni-conf-dir "$TEST_TMP/net.d" \
		>>"$TEST_TMP/agent.log" 2>&1 &
	echo $! >"$TEST_TMP/agent.pid"
	export BERTH_SOCKET=$TEST_TMP/s
	defer svcpods_stop
	wait_for 20 "$BERTH_BIN" get namespaces
	assert_eq 1 "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables)" "bridge-nf-call-iptables"
	svcpods_manifest >svc.yaml
	assert_ok "$BERTH_BIN" apply -f svc.yaml
	SVC_IP=$("$BERTH_BIN" get svc web -o json | sed -n 's/.*"clusterIP": "\(.*\)".*/\1/p')
	wait_for 180 sh -c "\"$BERTH_BIN\" get endpoints web | awk 'NR == 2 { print \$2 }' | grep -q ':8080'"
	wait_for 120 sh -c "\"$BERTH_BIN\" get pods client | grep -q Running"
	"$BERTH_BIN" get pods -o wide
	# another pod on the bridge: the reply comes back over the bridge
	for i in 1 2 3; do
		out=$(svcpods_get client) || true
		assert_eq web1 "$out" "client -> Service web ($SVC_IP), try $i"
	done
	# the endpoint itself through its Service: masqueraded (hairpin)
	out=$(svcpods_get web1) || true
	assert_eq web1 "$out" "web1 -> its own Service"
}
