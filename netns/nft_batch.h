/* nft_batch.h - a partial update of the Service table (netns/nft_service.h)
 * sent to the kernel as one nfnetlink batch built with libnftnl, without
 * libnftables.
 *
 * Why: a readiness flip is a small transaction (a service chain refilled,
 * an endpoint chain added or removed), but libnftables spends most of its
 * time on it outside the kernel: it parses the text (bison), fetches a
 * cache of the table's chains and sets, evaluates, then linearizes.  In
 * the emulated guest that is 2-10 ms a transaction, with the kernel's part
 * under 1 ms.  Here the same operations are encoded directly into the
 * netlink messages nft(8) sends for them (same expressions, same anonymous
 * verdict map, same set element layout), so `nft list` shows the same
 * table either way (tests/integration/test_svc_nft_batch.sh checks that).
 *
 * The operations are nft_service's own: its chains, its map elements and
 * the rules it writes, in exactly these forms (anything else is refused
 * with ENOTSUP and the caller uses libnftables):
 *
 *   ip daddr A PROTO dport N ip saddr != CIDR jump CHAIN
 *   numgen random mod N vmap { 0 : goto CHAIN, 1 : goto CHAIN ... }
 *   jump CHAIN | goto CHAIN
 *   ip saddr A jump CHAIN
 *   meta l4proto PROTO dnat to A:N
 *
 * Map and set keys: "A . PROTO . N", "PROTO . N" or "A"; verdicts
 * "goto CHAIN" or "jump CHAIN".  PROTO: tcp, udp or sctp. */
#ifndef BERTH_NFT_BATCH_H
#define BERTH_NFT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum nft_op_kind
{
  NFT_OP_ADD_CHAIN,
  NFT_OP_FLUSH_CHAIN,
  NFT_OP_DELETE_CHAIN,
  NFT_OP_ADD_RULE,
  NFT_OP_ADD_ELEM,
  NFT_OP_DELETE_ELEM,
};

/* One command of a transaction; the strings belong to the caller. */
struct nft_op
{
  enum nft_op_kind kind;
  const char *chain; /* chain ops and ADD_RULE */
  const char *rule;  /* ADD_RULE: the rule, RULE_LEN bytes (no newline) */
  size_t rule_len;
  const char *set;     /* element ops: the set or map */
  const char *key;     /* element ops */
  const char *verdict; /* ADD_ELEM in a map; NULL in a set */
};

/* "add chain", "flush chain", ... "delete element": the op's nft(8) verb. */
const char *nft_op_verb (enum nft_op_kind k);

/* A netlink socket for the table's batches. */
struct nft_batch;

int nft_batch_open (struct nft_batch **out, const char *table,
                    berth_error_t *err);
void nft_batch_close (struct nft_batch *b);

/* Encode OPS (in order) as one batch and commit it: all or nothing.
 * ENOTSUP (berth_error_code) when an op is not one of the forms above -
 * nothing was sent then; otherwise the kernel's errno for the first
 * command it refused, with that command in the message. */
int nft_batch_commit (struct nft_batch *b, const struct nft_op *ops, size_t n,
                      berth_error_t *err);

#endif
