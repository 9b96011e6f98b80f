# Services routed by nftables (issue 7): the services controller's rules,
# programmed through libnftables by tests/integration/svc-tool, in front of
# three pods that serve their own names with busybox httpd.
#
# Everything is the test's own: a "node" network namespace with a bridge
# (10.88.0.1/16), three pod namespaces on it (10.88.0.11-13), the berth
# table inside the node namespace, and a veth from the guest's root
# namespace (198.18.0.1) to the node (198.18.0.2) for NodePort traffic from
# outside.  Pod statuses are written as the pod worker writes them.

SVC_TOOL=$BERTH_BUILDDIR/tests/integration/svc-tool

need_svc() {
	need_vm # a veth in the guest's root network namespace
	need_cmd nft curl busybox
	[ -x "$SVC_TOOL" ] || skip "no $SVC_TOOL (run make)"
}

# svc_cmd LINE: one command to the tool; prints its answer.
svc_cmd() {
	local ans
	echo "$1" >&"${SVC[1]}"
	IFS= read -r -t 30 ans <&"${SVC[0]}" || fail "svc-tool did not answer: $1: $(cat svc-tool.err)"
	case $ans in error:*) fail "svc-tool: $1: $ans" ;; esac
	! grep -q 'no routing' svc-tool.err || fail "svc-tool: $1: $(cat svc-tool.err)"
	printf '%s\n' "$ans"
}

# svc_topology: the node, its bridge, three pods serving their names.
svc_topology() {
	local i ns
	NODE=$(make_netns node)
	ip -n "$NODE" link add br0 type bridge
	ip -n "$NODE" addr add 10.88.0.1/16 dev br0
	ip -n "$NODE" link set br0 up
	ip netns exec "$NODE" sysctl -qw net.ipv4.ip_forward=1
	for i in 1 2 3; do
		ns=$(make_netns p$i)
		ip -n "$NODE" link add v$i type veth peer name eth0 netns "$ns"
		ip -n "$NODE" link set v$i master br0 up
		# as the CNI bridge plugin's hairpinMode: with br_netfilter a pod
		# calling its own Service is bridged back out of its own port
		ip -n "$NODE" link set v$i type bridge_slave hairpin on
		ip -n "$ns" addr add 10.88.0.1$i/16 dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add default via 10.88.0.1
		mkdir -p "www/p$i"
		echo "p$i" >"www/p$i/index.html"
		ip netns exec "$ns" busybox httpd -f -p 8080 -h "www/p$i" &
		POD_NS[i]=$ns
	done
	# the outside: the guest's root namespace
	ip link add "${TEST_ID}x" type veth peer name ext0 netns "$NODE"
	defer ip link del "${TEST_ID}x"
	ip addr add 198.18.0.1/30 dev "${TEST_ID}x"
	ip link set "${TEST_ID}x" up
	ip -n "$NODE" addr add 198.18.0.2/30 dev ext0
	ip -n "$NODE" link set ext0 up
	ip -n "$NODE" route add default via 198.18.0.1
	for i in 1 2 3; do
		wait_for 20 ip netns exec "$NODE" curl -sf -o /dev/null "http://10.88.0.1$i:8080/"
	done
}

svc_manifest() {
	cat >svc.yaml <<-EOF
		apiVersion: v1
		kind: List
		items:
	EOF
	for i in 1 2 3; do
		cat >>svc.yaml <<-EOF
			- apiVersion: v1
			  kind: Pod
			  metadata: {name: p$i, labels: {app: web}}
			  spec:
			    containers:
			    - name: httpd
			      image: busybox
			      ports: [{name: http, containerPort: 8080}]
		EOF
	done
	cat >>svc.yaml <<-EOF
		- apiVersion: v1
		  kind: Service
		  metadata: {name: web}
		  spec:
		    type: NodePort
		    selector: {app: web}
		    ports: [{name: http, port: 80, targetPort: http, nodePort: 30080}]
	EOF
}

# hits NETNS-OR-"root" URL N: N requests (one connection each); prints
# "COUNT NAME" lines, one per pod that answered.
hits() {
	local where=$1 url=$2 n=$3 out
	if [ "$where" = root ]; then
		out=$(curl -s --max-time 60 -H 'Connection: close' "$url?[1-$n]") || true
	else
		out=$(ip netns exec "$where" curl -s --max-time 60 -H 'Connection: close' "$url?[1-$n]") || true
	fi
	printf '%s\n' "$out" | grep -v '^$' | sort | uniq -c | awk '{print $1, $2}'
}

count_of() { printf '%s\n' "$1" | awk -v p="$2" '$2 == p { print $1; f = 1 } END { if (!f) print 0 }'; }
total_of() { printf '%s\n' "$1" | awk '{ s += $1 } END { print s + 0 }'; }

register_test --serial svc_routing
test_svc_routing() {
	need_svc
	local cip np h rules rc out i
	declare -a POD_NS
	svc_topology
	svc_manifest
	coproc SVC { exec ip netns exec "$NODE" "$SVC_TOOL" 2>svc-tool.err; }
	svc_cmd "apply $TEST_TMP/svc.yaml"
	cip=$(svc_cmd "get svc web spec.clusterIP")
	assert_match '^10\.(9[6-9]|1[01][0-9])\.[0-9]+\.[0-9]+$' "$cip" "ClusterIP from 10.96.0.0/12"
	np=30080
	for i in 1 2 3; do svc_cmd "ready p$i 10.88.0.1$i true"; done
	rules=$(ip netns exec "$NODE" nft list table ip berth)
	assert_contains "$rules" "numgen random mod 3 vmap"
	assert_contains "$rules" "dnat to 10.88.0.12:8080"

	echo "== 60 requests to $cip:80 from the node, all pods ready"
	h=$(hits "$NODE" "http://$cip/index.html" 60)
	echo "$h"
	assert_eq 60 "$(total_of "$h")" "every request answered"
	for i in 1 2 3; do assert_gt "$(count_of "$h" p$i)" 0 "p$i gets traffic"; done

	echo "== p2 unready"
	svc_cmd "ready p2 10.88.0.12 false"
	assert_not_contains "$(ip netns exec "$NODE" nft list table ip berth)" "dnat to 10.88.0.12:8080"
	h=$(hits "$NODE" "http://$cip/index.html" 200)
	echo "$h"
	assert_eq 200 "$(total_of "$h")" "every request answered"
	assert_eq 0 "$(count_of "$h" p2)" "the unready pod gets nothing"
	assert_gt "$(count_of "$h" p1)" 0 "p1 gets traffic"
	assert_gt "$(count_of "$h" p3)" 0 "p3 gets traffic"

	echo "== NodePort $np from the guest's root namespace (outside the node)"
	h=$(hits root "http://198.18.0.2:$np/index.html" 30)
	echo "$h"
	assert_eq 30 "$(total_of "$h")" "every NodePort request answered"
	assert_eq 0 "$(count_of "$h" p2)" "the unready pod gets nothing through the NodePort"
	echo "== NodePort on the node's own address"
	h=$(hits "$NODE" "http://10.88.0.1:$np/index.html" 10)
	echo "$h"
	assert_eq 10 "$(total_of "$h")" "NodePort from the node"
	assert_eq 0 "$(count_of "$h" p2)"

	echo "== p2 ready again"
	svc_cmd "ready p2 10.88.0.12 true"
	h=$(hits "$NODE" "http://$cip/index.html" 60)
	echo "$h"
	assert_gt "$(count_of "$h" p2)" 0 "p2 gets traffic again"

	echo "== a terminating pod (ready=false serving=true) gets no new traffic"
	svc_cmd "terminate p3"
	h=$(hits "$NODE" "http://$cip/index.html" 30)
	echo "$h"
	assert_eq 0 "$(count_of "$h" p3)" "no traffic to the terminating pod"
	assert_eq 30 "$(total_of "$h")"

	echo "== hairpin: p1 alone behind the Service, calling it"
	svc_cmd "ready p2 10.88.0.12 false"
	svc_cmd "remove p3"
	out=$(ip netns exec "${POD_NS[1]}" curl -s --max-time 10 "http://$cip/index.html")
	assert_eq p1 "$out" "p1 reaches itself through its Service"

	echo "== no endpoints: rejected at once"
	svc_cmd "ready p1 10.88.0.11 false"
	assert_contains "$(ip netns exec "$NODE" nft list map ip berth no-endpoint-services)" "goto reject-chain"
	rc=0
	out=$(ip netns exec "$NODE" curl -s -o /dev/null -w '%{time_total}' --max-time 10 "http://$cip/") || rc=$?
	assert_eq 7 "$rc" "curl: connection refused (exit 7)"
	echo "refused after $out s (curl's time_total)"
	awk -v t="$out" 'BEGIN { exit !(t < 1) }' || fail "the refusal took $out s"
	rc=0
	curl -s --max-time 10 "http://198.18.0.2:$np/" >/dev/null || rc=$?
	assert_eq 7 "$rc" "NodePort without endpoints: connection refused"
	rc=0
	ip netns exec "$NODE" curl -s --max-time 10 "http://$cip:81/" >/dev/null || rc=$?
	assert_eq 7 "$rc" "an unknown port of a ClusterIP is rejected"

	echo "== readiness propagation: store change to committed transaction"
	svc_cmd "ready p1 10.88.0.11 true"
	out=$(svc_cmd "bench 50 p2 10.88.0.12")
	echo "$out"
	assert_match '^bench flips=50 commits=50 ' "$out"

	echo "== the table goes with the controller"
	echo quit >&"${SVC[1]}"
	IFS= read -r -t 30 out <&"${SVC[0]}" || true
	assert_eq bye "$out"
	assert_fails ip netns exec "$NODE" nft list table ip berth
}

# --- end to end: the agent, real pods, readiness probes ------------------

# A test runs in a shell that sourced only this file: the agent helpers.
# shellcheck source=tests/integration/test_agent.sh
declare -F _agent_kill >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/test_agent.sh"

# svc_agent_start: an agent with the CNI bridge and Service routing, and
# the busybox image; svc_agent_stop [POD...] runs when the test ends.
svc_agent_start() {
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
	defer svc_agent_stop "$@"
	wait_for 20 "$BERTH_BIN" get namespaces
}

# svc_agent_stop [POD...]: delete the pods (default web1 web2 web3; CNI
# DEL) and stop the agent with TERM, which deletes its nftables table.
svc_agent_stop() {
	local p i pid
	[ $# -gt 0 ] || set -- web1 web2 web3
	for p in "$@"; do "$BERTH_BIN" delete pod "$p" >/dev/null 2>&1 || true; done
	for i in $(seq 100); do
		for p in "$@"; do
			if "$BERTH_BIN" get pod "$p" >/dev/null 2>&1; then
				sleep 0.2
				continue 2
			fi
		done
		break
	done
	pid=$(cat "$TEST_TMP/agent.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! nft list table ip berth >/dev/null 2>&1 || nft delete table ip berth
}

svc_web_pods() {
	local i
	for i in 1 2 3; do
		mkdir -p "$TEST_TMP/r/web$i"
		touch "$TEST_TMP/r/web$i/ready"
		cat <<-EOF
			apiVersion: v1
			kind: Pod
			metadata: {name: web$i, labels: {app: web}}
			spec:
			  terminationGracePeriodSeconds: 1
			  containers:
			  - name: httpd
			    image: busybox
			    command: ["sh", "-c", "mkdir -p /tmp/www && hostname >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"]
			    ports: [{name: http, containerPort: 8080}]
			    readinessProbe:
			      exec: {command: ["cat", "/r/ready"]}
			      periodSeconds: 2
			      timeoutSeconds: 10
			      failureThreshold: 1
			    volumeMounts: [{name: r, mountPath: /r}]
			  volumes: [{name: r, hostPath: {path: $TEST_TMP/r/web$i}}]
			---
		EOF
	done
	cat <<-EOF
		apiVersion: v1
		kind: Service
		metadata: {name: web}
		spec:
		  selector: {app: web}
		  ports: [{name: http, port: 80, targetPort: http}]
	EOF
}

# ready_eps_are N: Service web has N ready endpoints (berth get endpoints).
ready_eps_are() {
	local cell
	cell=$("$BERTH_BIN" get endpoints web | awk 'NR == 2 { print $2 }')
	[ "$(printf '%s\n' "$cell" | tr ',' '\n' | grep -c ':')" = "$1" ]
}

register_test --serial svc_agent_readiness
test_svc_agent_readiness() {
	need_vm # CNI's bridge and the berth table in the root namespace
	need_berth
	need_cgroup2
	need_cmd nft curl
	[ -x /usr/lib/cni/bridge ] || skip "no CNI plugins in /usr/lib/cni"
	local cip h i ep2 rules commits
	svc_agent_start
	svc_web_pods >web.yaml
	assert_ok "$BERTH_BIN" apply -f web.yaml
	cip=$("$BERTH_BIN" get svc web -o json | sed -n 's/.*"clusterIP": "\(.*\)".*/\1/p')
	assert_match '^10\.(9[6-9]|1[01][0-9])\.[0-9]+\.[0-9]+$' "$cip" "ClusterIP"
	# the guest has no default route: the service CIDR goes to the bridge
	wait_for 120 ip link show berth0
	ip route add 10.96.0.0/12 dev berth0
	defer ip route del 10.96.0.0/12 dev berth0
	wait_for 180 ready_eps_are 3
	"$BERTH_BIN" get pods -o wide
	"$BERTH_BIN" get endpoints web
	"$BERTH_BIN" get endpointslices
	assert_contains "$(nft list table ip berth)" "numgen random mod 3 vmap"
	h=$(hits root "http://$cip/index.html" 30)
	echo "$h"
	assert_eq 30 "$(total_of "$h")" "every request answered"
	for i in 1 2 3; do assert_gt "$(count_of "$h" web$i)" 0 "web$i gets traffic"; done

	echo "== web2's readiness file removed"
	ep2=$("$BERTH_BIN" get pod web2 -o json | sed -n 's/.*"podIP": "\(.*\)".*/\1/p' | head -1)
	commits=$(grep -c 'committed' "$TEST_TMP/agent.log")
	rm "$TEST_TMP/r/web2/ready"
	wait_for 60 ready_eps_are 2
	"$BERTH_BIN" get endpoints web
	# what a user sees: web2's endpoint chain is gone, the service chain
	# picks among 2; one transaction, by the readiness fast path (the
	# round that writes web2's status finds the table as it should be)
	rules=$(nft list table ip berth)
	assert_not_contains "$rules" "dnat to $ep2:8080"
	assert_not_contains "$rules" "__$ep2/8080"
	assert_contains "$rules" "numgen random mod 2 vmap"
	sleep 1 # the round after the status write
	assert_eq 1 "$(($(grep -c 'committed' "$TEST_TMP/agent.log") - commits))" "one transaction for the flip"
	assert_contains "$(grep committed "$TEST_TMP/agent.log" | tail -n 1)" "pod default/web2 not ready: committed"
	h=$(hits root "http://$cip/index.html" 200)
	echo "$h"
	assert_eq 200 "$(total_of "$h")" "every request answered"
	assert_eq 0 "$(count_of "$h" web2)" "the unready pod gets nothing"

	echo "== web2 ready again"
	commits=$(grep -c 'committed' "$TEST_TMP/agent.log")
	touch "$TEST_TMP/r/web2/ready"
	wait_for 60 ready_eps_are 3
	assert_contains "$(nft list table ip berth)" "dnat to $ep2:8080"
	assert_contains "$(nft list table ip berth)" "numgen random mod 3 vmap"
	sleep 1
	assert_eq 1 "$(($(grep -c 'committed' "$TEST_TMP/agent.log") - commits))" "one transaction for the flip back"
	assert_contains "$(grep committed "$TEST_TMP/agent.log" | tail -n 1)" "pod default/web2 ready: committed"
	h=$(hits root "http://$cip/index.html" 30)
	echo "$h"
	assert_gt "$(count_of "$h" web2)" 0 "web2 gets traffic again"
	echo "== the agent's readiness propagation (store change to commit)"
	grep 'committed' "$TEST_TMP/agent.log" | tail -5
}
