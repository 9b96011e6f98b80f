# The Service table's partial updates as libnftnl batches (netns/nft_batch.c):
# after each of 200 random endpoint and Service changes, the kernel's table
# must list the same as a full load of the same state through libnftables
# (tests/integration/nft-batch-check.c), in a network namespace of the
# test's own.

NFT_BATCH_CHECK=$BERTH_BUILDDIR/tests/integration/nft-batch-check

need_nft_batch_check() {
	need_vm # network namespaces and nf_tables
	need_cmd nft ip
	[ -x "$NFT_BATCH_CHECK" ] || skip "no $NFT_BATCH_CHECK (run make)"
}

# nft_batch_run ARGS...: the tool in a fresh namespace; prints its summary
nft_batch_run() {
	local ns out
	ns=$(make_netns nb$RANDOM)
	out=$(ip netns exec "$ns" "$NFT_BATCH_CHECK" "$@" 2>&1) || fail "nft-batch-check $*: $out"
	printf '%s\n' "$out" | tail -n 1
}

test_svc_nft_batch() {
	need_nft_batch_check
	local out
	# byte-aligned cluster CIDR: every partial update is a batch
	out=$(nft_batch_run -s 200 -r 1)
	assert_match '^steps=200 batched=[0-9]+ text=0$' "$out" "every partial update batched"
	assert_gt "$(echo "$out" | sed 's/.*batched=\([0-9]*\).*/\1/')" 100 "steps that changed the table"
	# no cluster CIDR: no masquerade rule in the service chains
	out=$(nft_batch_run -c - -s 60 -r 2)
	assert_match '^steps=60 batched=[0-9]+ text=0$' "$out" "no cluster CIDR"
	# a /12 cluster CIDR: the address is masked (bitwise), not cut
	out=$(nft_batch_run -c 10.64.0.0/12 -s 60 -r 3)
	assert_match '^steps=60 batched=[0-9]+ text=0$' "$out" "/12 cluster CIDR"
}
register_test svc_nft_batch
