# Services called from pods (issue 7), through the agent with the CNI
# bridge: a pod reaches a Service whose only endpoint is another pod on the
# same bridge, and a pod reaches itself through its own Service (hairpin).
# The reply of the first crosses the bridge without the node's routing:
# only br_netfilter, which the agent turns on (bridge_nf.h), puts it
# through conntrack to undo the DNAT.

# A test runs in a shell that sourced only this file.
# shellcheck source=tests/integration/test_services.sh
declare -F svc_agent_start >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/test_services.sh"

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

register_test --serial svc_from_pods
test_svc_from_pods() {
	need_vm # CNI's bridge and the berth table in the root namespace
	need_berth
	need_cgroup2
	need_cmd nft
	[ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni"
	local out i
	svc_agent_start web1 client
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
