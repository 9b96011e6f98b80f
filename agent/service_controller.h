/* service_controller.h - the Services controller: what kube-apiserver's
 * allocators, the EndpointSlice controller and kube-proxy do for a
 * Service, in one level-triggered sync over the store.
 *
 * Each sync:
 *  1. assigns the ClusterIP and NodePorts of Services stored without them
 *     (a manifest file's Service; the API assigns them when it stores one,
 *     see service_alloc.h), writing the Service back with store_apply and
 *     keeping what the same Service (uid) had before; a stored Service
 *     whose ClusterIP or NodePort another one holds, or that is outside the
 *     ranges, gets the repair controller's Warning event and no routing;
 *  2. computes every Service's endpoints (endpoints.h);
 *  3. turns them into kube-proxy's choice of endpoints per service port
 *     (the ready ones, else the serving and terminating ones) and the
 *     nftables state (nft_service.h), committed in one transaction when
 *     it changed: only what changed (kube-proxy's partial sync), the whole
 *     table at first, after a failure and every hour.  The table exists while
 * there are Services to route and is deleted when the controller is freed.
 *
 * A readiness change does not wait for a sync: the pod worker's ready hook
 * (service_controller_pod_ready) reroutes the pod's Services at once.
 *
 * Readiness propagation is measured: from the readiness change (the hook)
 * or the first store change of the agent's sync round (*CHANGE_NS,
 * CLOCK_MONOTONIC) to the end of the committed transaction. */
#ifndef BERTH_SERVICE_CONTROLLER_H
#define BERTH_SERVICE_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "controller.h"
#include "error.h"
#include "service_alloc.h"
#include "store.h"

struct service_controller_options
{
  struct service_ranges ranges;
  const char *cluster_cidr; /* kube-proxy --cluster-cidr; NULL: none */
  const char *table;        /* NULL: "berth" */
  bool routing;             /* false: endpoints only, no nftables */
  /* A file that exists while the table does (under the run dir, so a
   * reboot removes both): without it at start there is no table left by
   * a killed agent to delete, and libnftables is not loaded until a
   * Service needs routing.  NULL: look for the table at start. */
  const char *table_marker;
  /* The monotonic time (ns) of the first store change of the current
   * round, or 0; read at each commit.  NULL: no measurement. */
  const int64_t *change_ns;
  /* ... and of the first change made during the round (by a controller
   * synced before this one, such as the pod worker writing a status):
   * used when *CHANGE_NS is 0.  NULL: none. */
  const int64_t *change_live_ns;
  /* Where the controller reports (agent_log); NULL: standard error. */
  void (*log) (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
};

#define SERVICE_LATENCY_SAMPLES 4096

struct service_controller_stats
{
  uint64_t commits;    /* transactions committed */
  uint64_t full_syncs; /* of which replaced the whole table */
  uint64_t measured;   /* of which with a store change time */
  double last_ms;      /* store change -> commit of the last one */
  double last_tx_ms;   /* the transaction alone */
  double max_ms;
  /* the last SERVICE_LATENCY_SAMPLES measured latencies, in ms */
  double samples[SERVICE_LATENCY_SAMPLES];
  size_t nsamples;
  size_t routed_ports, routed_endpoints;
};

/* A new controller.  INITIAL, when given, is the store as loaded from
 * disk: the allocations it holds are remembered before the manifest
 * sources re-read their files (which carry no ClusterIP). */
int service_controller_new (const struct service_controller_options *o,
                            const struct store *initial,
                            struct controller **out, berth_error_t *err);

const struct service_controller_stats *
service_controller_stats (const struct controller *c);

/* The readiness fast path (pod_worker_set_ready_hook): POD's Ready
 * condition is about to become READY (a readiness probe's result changed;
 * the pod worker writes the status in the next round).  The Services that
 * select POD and are routed get their endpoints and nftables part anew at
 * once, in one partial transaction, without waiting for the round, the
 * status write and its persistence; the round's sync then finds the table
 * as it should be.  CONTROLLER: the services controller. */
void service_controller_pod_ready (void *controller, struct store *s,
                                   const struct store_entry *pod, bool ready);

/* The ruleset the last sync computed (NULL before the first one). */
const char *service_controller_ruleset (const struct controller *c);

#endif
