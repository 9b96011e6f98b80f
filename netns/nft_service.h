/* nft_service.h - Service routing in nftables, modelled on kube-proxy's
 * nftables mode (kubernetes pkg/proxy/nftables/proxier.go): one `ip`
 * table (berth) with the same chains, maps and verdicts:
 *
 *   nat-prerouting, nat-output   -> services: daddr . l4proto . dport
 *                                   vmap @service-ips, and for local
 *                                   addresses l4proto . dport vmap
 *                                   @service-nodeports
 *   service-HASH-ns/svc/tcp/port -> masquerade mark for traffic from
 *                                   outside the cluster CIDR, then
 *                                   numgen random mod N vmap to the
 *                                   endpoint chains
 *   external-HASH-...            -> (NodePorts) masquerade mark, then the
 *                                   service chain
 *   endpoint-HASH-...__IP/PORT   -> masquerade mark when the endpoint is
 *                                   the client (hairpin), dnat to IP:PORT
 *   filter-input/forward/output  -> @no-endpoint-services and
 *                                   @no-endpoint-nodeports: reject for
 *                                   Services without endpoints;
 *                                   cluster-ips-check: reject unknown
 *                                   ports of ClusterIPs, drop unallocated
 *                                   ClusterIPs
 *   nat-postrouting              -> masquerading: masquerade fully-random
 *                                   what carries mark 0x4000
 *
 * The desired state (chains with their rules, map elements) is computed
 * from the service ports and written as nft(8) text (pure functions,
 * unit-tested), loaded through libnftables in one transaction (atomic for
 * the packets in flight).  As kube-proxy's partial syncs, a transaction
 * touches only what changed since the last one: new chains, chains whose
 * rules changed (flushed and refilled), removed chains, added and removed
 * map elements; an endpoint change of one Service is a few commands,
 * whatever the number of Services.  The whole table is replaced at first,
 * after a failed transaction and every NFT_SERVICE_FULL_SYNC_MS (kube-proxy
 * does a full sync every hour too).
 * This module knows nothing of the store: its input is the list of
 * service ports with the endpoints chosen for them. */
#ifndef BERTH_NFT_SERVICE_H
#define BERTH_NFT_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "nft_batch.h"

#define NFT_SERVICE_TABLE "berth"
/* kube-proxy's --masquerade-bit default (14) */
#define NFT_SERVICE_MASQ_MARK 0x4000u

struct nft_endpoint
{
  const char *ip;
  int64_t port;
};

struct nft_service_port
{
  const char *ns, *name;
  const char *port_name; /* "" when unnamed */
  const char *protocol;  /* TCP, UDP or SCTP */
  const char *cluster_ip;
  int64_t port;
  int64_t node_port; /* 0: none */
  /* The endpoints to route to (kube-proxy's choice: the ready ones, or the
   * serving terminating ones when none is ready); none: reject. */
  const struct nft_endpoint *eps;
  size_t neps;
};

struct nft_service_config
{
  const char *table;        /* NFT_SERVICE_TABLE */
  const char *service_cidr; /* drop traffic to unallocated ClusterIPs */
  /* kube-proxy's --cluster-cidr (local traffic detector): traffic to a
   * ClusterIP from outside it is masqueraded.  NULL: none is. */
  const char *cluster_cidr;
  uint32_t masq_mark;
};

/* The chains and map elements for N service ports. */
struct nft_service_state;
struct nft_service_state *
nft_service_state_new (const struct nft_service_config *c,
                       const struct nft_service_port *ports, size_t n);
void nft_service_state_free (struct nft_service_state *st);
size_t nft_service_state_chains (const struct nft_service_state *st);
/* OLD with the chains and elements of the Services of PORTS (all their
 * ports) made anew from PORTS; what other Services have is kept as is.
 * The same state as nft_service_state_new of all the ports, for one
 * Service's endpoint change without the others' endpoints at hand. */
struct nft_service_state *
nft_service_state_update (const struct nft_service_config *c,
                          const struct nft_service_state *old,
                          const struct nft_service_port *ports, size_t n);
/* Does ST route (hold map elements of) Service NS/NAME? */
bool nft_service_state_owns (const struct nft_service_state *st, const char *ns,
                             const char *name);

/* The transaction that replaces the whole table with ST (malloc'ed). */
char *nft_service_state_full (const struct nft_service_config *c,
                              const struct nft_service_state *st);
/* The transaction from A to B in TABLE (malloc'ed), NULL when nothing
 * changed: new chains are added before any rule refers to them; elements
 * are deleted before the chains they point to; removed chains are flushed,
 * then deleted. */
char *nft_service_state_diff (const char *table,
                              const struct nft_service_state *a,
                              const struct nft_service_state *b);

/* The commands from A to B (nft_service_state_diff's, one an op, in its
 * order; malloc'ed, pointing into A and B), *N = 0 when nothing changed. */
struct nft_op *nft_service_state_ops (const struct nft_service_state *a,
                                      const struct nft_service_state *b,
                                      size_t *n);
/* OPS as nft(8) text (malloc'ed): consecutive element ops of one set are
 * one command. */
char *nft_service_ops_text (const char *table, const struct nft_op *ops,
                            size_t n);

/* nft_service_state_full of the ports' state. */
char *nft_service_ruleset (const struct nft_service_config *c,
                           const struct nft_service_port *ports, size_t n);

/* kube-proxy's chain name bases: "HASH-ns/svc/tcp/port" and
 * "HASH-ns/svc/tcp/port__IP/PORT" (HASH: base32 of SHA-256, 8 chars). */
char *nft_service_chain_base (const struct nft_service_port *p,
                              const struct nft_endpoint *ep);

#define NFT_SERVICE_FULL_SYNC_MS (3600 * 1000)

struct nft_ctx;
struct nft_service
{
  struct nft_ctx *ctx;
  char *table;
  struct nft_service_state *applied; /* the last committed state */
  int64_t full_ms;                   /* when the last full one was */
  bool need_full;
  /* Partial updates go as a libnftnl batch (netns/nft_batch.h) unless
   * that failed to open or to encode; libnftables loads the text then. */
  struct nft_batch *batch;
  bool no_batch;
};

struct nft_service_result
{
  bool changed; /* a transaction was committed */
  bool full;    /* ... and it replaced the whole table */
  bool batched; /* ... sent as a libnftnl batch, not through libnftables */
};

int nft_service_open (struct nft_service *n, const char *table,
                      berth_error_t *err);
/* Make the table ST (taken, also on failure): nothing when it is what was
 * committed last, else a partial transaction (a libnftnl batch; the same
 * commands through libnftables when the batch cannot encode them or the
 * kernel refuses it), or a full one (see above, libnftables).
 * NOW_MS: a monotonic clock. */
int nft_service_sync (struct nft_service *n, const struct nft_service_config *c,
                      struct nft_service_state *st, int64_t now_ms,
                      struct nft_service_result *res, berth_error_t *err);
/* Delete the table (no error when it does not exist). */
int nft_service_delete (struct nft_service *n, berth_error_t *err);
void nft_service_close (struct nft_service *n);

#endif
