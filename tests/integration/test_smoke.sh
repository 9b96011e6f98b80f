# Smoke tests of the test VM itself: what berth relies on from the kernel and
# the host tools (cgroup v2, OOM, throttling, netns, overlayfs, nftables, CNI,
# test images). Sourced by tests/integration/run; see lib.sh.

register_test smoke_cgroup_controllers
test_smoke_cgroup_controllers() {
	need_cgroup2
	local c ctrls subtree
	ctrls=$(cat /sys/fs/cgroup/cgroup.controllers)
	subtree=$(cat /sys/fs/cgroup/cgroup.subtree_control)
	for c in cpu memory pids io cpuset; do
		assert_match "(^| )$c( |$)" "$ctrls" "controller $c in cgroup.controllers"
		assert_match "(^| )$c( |$)" "$subtree" "controller $c in cgroup.subtree_control"
	done
}

register_test smoke_oom
test_smoke_oom() {
	need_cmd stress
	local cg rc=0
	cg=$(make_cgroup oom)
	echo 32M >"$cg/memory.max"
	echo 0 >"$cg/memory.swap.max"
	in_cgroup "$cg" stress --vm 1 --vm-bytes 64M --vm-hang 0 --timeout 30s >stress.log 2>&1 || rc=$?
	assert_ne 0 "$rc" "stress exit status (its worker should be OOM-killed)"
	assert_gt "$(cg_get "$cg" memory.events oom_kill)" 0 "memory.events oom_kill"
	assert_contains "$(cat stress.log)" "signal 9" "stress output"
}

register_test smoke_cpu_throttle
test_smoke_cpu_throttle() {
	local cg
	cg=$(make_cgroup cpu)
	echo "20000 100000" >"$cg/cpu.max"
	local t0 t1 usage elapsed_us
	t0=$(date +%s%N)
	in_cgroup "$cg" timeout 2 sh -c 'while :; do :; done' || true
	t1=$(date +%s%N)
	assert_gt "$(cg_get "$cg" cpu.stat nr_throttled)" 0 "cpu.stat nr_throttled"
	assert_gt "$(cg_get "$cg" cpu.stat throttled_usec)" 0 "cpu.stat throttled_usec"
	# 20 % of one CPU for as long as it ran (about 2 s, longer on a loaded
	# host): the CPU time stays well under half the wall time.
	usage=$(cg_get "$cg" cpu.stat usage_usec)
	elapsed_us=$(((t1 - t0) / 1000))
	[ "$usage" -lt $((elapsed_us / 2)) ] ||
		fail "usage_usec $usage in ${elapsed_us} us: the 20 % cap did not hold"
}

register_test smoke_netns_bridge
test_smoke_netns_bridge() {
	local a b br
	a=$(make_netns a)
	b=$(make_netns b)
	br=$(make_netns br) # the bridge lives in a namespace of its own too
	ip -n "$br" link add br0 type bridge
	ip -n "$br" link set br0 up
	ip link add va netns "$a" type veth peer name pa netns "$br"
	ip link add vb netns "$b" type veth peer name pb netns "$br"
	ip -n "$br" link set pa master br0 up
	ip -n "$br" link set pb master br0 up
	ip -n "$a" addr add 10.200.0.1/24 dev va
	ip -n "$b" addr add 10.200.0.2/24 dev vb
	ip -n "$a" link set va up
	ip -n "$b" link set vb up
	assert_ok ip netns exec "$a" busybox ping -c 1 -W 5 10.200.0.2
	assert_ok ip netns exec "$b" busybox ping -c 1 -W 5 10.200.0.1
}

register_test smoke_overlayfs
test_smoke_overlayfs() {
	mkdir lower upper work merged
	echo lower >lower/old
	mount -t overlay overlay -o lowerdir=lower,upperdir=upper,workdir=work merged
	track_mount "$TEST_TMP/merged"
	echo new >merged/new
	echo changed >merged/old
	assert_eq new "$(cat upper/new)" "upper/new after a write to merged/new"
	assert_eq changed "$(cat upper/old)" "upper/old after a write to merged/old"
	assert_eq lower "$(cat lower/old)" "lower/old is untouched"
	assert_eq changed "$(cat merged/old)" "merged/old"
}

register_test smoke_nft
test_smoke_nft() {
	need_cmd nft
	local ns rules
	ns=$(make_netns nft) # nft tables are per network namespace
	ip netns exec "$ns" nft -f - <<-EOF
		table ip berth_smoke {
			chain prerouting {
				type nat hook prerouting priority dstnat; policy accept;
				ip daddr 10.96.0.10 tcp dport 80 dnat to 10.88.0.5:8080
			}
			chain postrouting {
				type nat hook postrouting priority srcnat; policy accept;
				ip saddr 10.88.0.0/16 oifname != "cni0" masquerade
			}
		}
	EOF
	rules=$(ip netns exec "$ns" nft list table ip berth_smoke)
	assert_contains "$rules" "type nat hook prerouting priority dstnat" "nat chain"
	assert_contains "$rules" "dnat to 10.88.0.5:8080" "DNAT rule"
	assert_contains "$rules" "masquerade" "masquerade rule"
	assert_ok ip netns exec "$ns" nft delete table ip berth_smoke
}

register_test smoke_cni_bridge
test_smoke_cni_bridge() {
	need_vm # puts a bridge in the root network namespace
	local plugins=/usr/lib/cni ns conf result ip
	[ -x "$plugins/bridge" ] || skip "no CNI plugins in $plugins (containernetworking-plugins)"
	ns=$(make_netns pod)
	conf='{"cniVersion":"1.0.0","name":"berth-smoke","type":"bridge",'
	conf+='"bridge":"'$TEST_ID'br","isGateway":true,"ipMasq":false,'
	conf+='"ipam":{"type":"host-local","subnet":"10.88.0.0/16","dataDir":"'$TEST_TMP/cni'"}}'
	defer ip link del "${TEST_ID}br"
	cni() { # COMMAND: run the bridge plugin on the pod's namespace
		CNI_COMMAND=$1 CNI_CONTAINERID=smoke-$TEST_ID CNI_NETNS=/run/netns/$ns \
			CNI_IFNAME=eth0 CNI_PATH=$plugins "$plugins/bridge" <<<"$conf"
	}
	result=$(assert_ok cni ADD)
	echo "$result"
	assert_contains "$result" '"cniVersion": "1.0.0"' "ADD result"
	ip=$(printf '%s\n' "$result" | sed -n 's/.*"address": *"\([0-9.]*\)\/16".*/\1/p')
	assert_match '^10\.88\.[0-9]+\.[0-9]+$' "$ip" "pod IP in the ADD result"
	assert_contains "$(ip -n "$ns" -4 addr show eth0)" "inet $ip/16" "eth0 in the pod"
	assert_ok busybox ping -c 1 -W 5 "$ip"
	assert_file "$TEST_TMP/cni/berth-smoke/$ip" "host-local reservation"

	assert_ok cni DEL
	assert_fails ip -n "$ns" link show eth0
	assert_no_file "$TEST_TMP/cni/berth-smoke/$ip" "host-local reservation after DEL"
	assert_fails busybox ping -c 1 -W 1 "$ip"
}

# verify_layout DIR: digests and sizes of an OCI layout's blobs; prints the
# layer's blob path.
verify_layout() {
	local dir=$1 d f line digest size mdigest cdigest ldigest diffid
	assert_eq '{"imageLayoutVersion":"1.0.0"}' "$(cat "$dir/oci-layout")" "oci-layout"
	for f in "$dir"/blobs/sha256/*; do
		d=$(sha256sum "$f" | cut -d' ' -f1)
		assert_eq "${f##*/}" "$d" "sha256 of blob ${f##*/}"
	done
	# Every descriptor: "digest":"sha256:X","size":N matches the blob.
	for f in "$dir/index.json" "$dir"/blobs/sha256/*; do
		grep -q '"digest"' "$f" 2>/dev/null || continue
		while read -r line; do
			digest=${line%% *} size=${line##* }
			assert_eq "$size" "$(stat -c %s "$dir/blobs/sha256/$digest")" "size of $digest in ${f##*/}"
		done < <(grep -ao '"digest":"sha256:[0-9a-f]*","size":[0-9]*' "$f" |
			sed 's/"digest":"sha256:\([0-9a-f]*\)","size":\([0-9]*\)/\1 \2/')
	done
	mdigest=$(grep -o '"digest":"sha256:[0-9a-f]*"' "$dir/index.json" | head -n 1 | cut -d: -f3 | tr -d '"')
	assert_match '^[0-9a-f]{64}$' "$mdigest" "manifest digest in index.json"
	cdigest=$(grep -o '"config":{[^}]*}' "$dir/blobs/sha256/$mdigest" | grep -o 'sha256:[0-9a-f]*' | cut -d: -f2)
	ldigest=$(grep -o '"layers":\[{[^}]*}' "$dir/blobs/sha256/$mdigest" | grep -o 'sha256:[0-9a-f]*' | cut -d: -f2)
	diffid=$(grep -o '"diff_ids":\["sha256:[0-9a-f]*"' "$dir/blobs/sha256/$cdigest" | grep -o '[0-9a-f]\{64\}')
	assert_eq "$diffid" "$(gzip -dc "$dir/blobs/sha256/$ldigest" | sha256sum | cut -d' ' -f1)" "diff_id of the layer"
	echo "$dir/blobs/sha256/$ldigest"
}

register_test smoke_image_busybox
test_smoke_image_busybox() {
	local img layer config
	img=$(test_image busybox)
	layer=$(verify_layout "$img")
	config=$(cat "$img"/blobs/sha256/* | grep -a '"rootfs"')
	assert_contains "$config" '"Cmd":["sh"]' "image config"
	mkdir rootfs
	tar -xzf "$layer" -C rootfs
	assert_eq ok "$(chroot rootfs /bin/sh -c 'echo ok')" "sh in the unpacked image"
	assert_contains "$(cat rootfs/etc/passwd)" "nobody:x:65534" "/etc/passwd"
}

register_test smoke_image_stress
test_smoke_image_stress() {
	local img layer
	img=$(test_image stress)
	layer=$(verify_layout "$img")
	mkdir rootfs
	tar -xzf "$layer" -C rootfs
	assert_ok chroot rootfs /bin/sh -c 'stress --cpu 1 --timeout 1'
	assert_ok chroot rootfs /usr/local/bin/stress --version
}
