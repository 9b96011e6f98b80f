/* pod_worker.h - the agent's pod workers: the controller (controller.h)
 * that runs every Pod of the store on this node with a pod runner
 * (pod_runner.h), as the kubelet's pod workers do, and writes each pod's
 * status back (pod_status.h) with its events.
 *
 * It owns one runner per pod uid, a private copy of each pod's object, the
 * loop watchers that wake it (a pidfd per running container's monitor, the
 * OOM watches, the housekeeping timer) and each runner's saved state
 * (<root>/pods/<uid>/runner.json), which lets a restarted agent re-adopt
 * running containers instead of starting them twice.
 *
 * Deletion is the kubelet's: a pod marked with deletionTimestamp (or gone
 * from the store, as a changed static pod) has its containers sent their
 * stop signal, SIGKILL after the grace period, then its sandbox, volumes
 * and cgroups torn down, and is removed from the store.  Nothing blocks the
 * loop for a grace period. */
#ifndef BERTH_POD_WORKER_H
#define BERTH_POD_WORKER_H

#include <stdint.h>

#include "controller.h"
#include "loop.h"
#include "pod_runner.h"
#include "prober.h"
#include "store.h"
#include "summary.h"

/* The housekeeping interval: accounting samples and status refresh (the
 * kubelet's cAdvisor housekeeping is 10 s). */
#define POD_WORKER_DEFAULT_SAMPLE_MS 10000

/* Every pod is synced at least this often (the kubelet's --sync-frequency,
 * 1 minute); in between, only the pods that something happened to (a
 * container exited, an OOM, a probe result, a hook, a deadline of their
 * own) and all of them when an object of the store changed.  A sample
 * changes no status: the accounting in status.berth is served on read
 * (store status_extra). */
#define POD_WORKER_RESYNC_MS 60000
/* How long one round may spend starting new pods (at least one). */
#define POD_WORKER_START_BUDGET_MS 50

struct pod_worker_config
{
  struct runner_config runner; /* root, log dir, sandbox, cgroups, node,
                                  images, seccomp default; the rest is the
                                  worker's */
  struct loop *loop;
  struct store *store;
  /* Ask the agent for a sync round soon (a container exited, an OOM). */
  void (*wake) (void *ctx);
  void *wake_ctx;
  int64_t sample_ms;
  int64_t resync_ms;   /* the kubelet's --sync-frequency; <= 0: its 1 minute
                          (POD_WORKER_RESYNC_MS) */
  const char *host_ip; /* NULL: the address of the default route's link */
};

struct worker_pod;

/* POD's Ready condition is about to become READY (see
 * pod_worker_set_ready_hook). */
typedef void (*pod_ready_hook) (void *ctx, struct store *s,
                                const struct store_entry *pod, bool ready);

struct pod_worker
{
  struct controller base;
  struct pod_worker_config cfg;
  char *host_ip;
  size_t n, cap;
  struct worker_pod **pods;
  int64_t volumes_ms; /* the next periodic volume remount */
  bool sampling;      /* sample_timer armed: only while pods run */
  /* The store's ConfigMaps, Secrets and admitted pods, refreshed before
   * the runners are driven (pointers into the store's objects). */
  const struct config_map **cms;
  const struct secret **secrets;
  const struct service **services;
  size_t n_services;
  const struct pod_spec **admitted;
  size_t n_cms, n_secrets, n_admitted;
  uint64_t objects_seen; /* the store's objects_changed at the last full
                            round */
  int64_t resync_ms;     /* the next full round (wall clock) */
  struct loop_watcher sample_timer;
  /* Liveness, readiness and startup probes of the running containers. */
  struct prober *prober;
  struct probe_runner *hooks; /* runs the lifecycle hooks */
  /* Samples for the rates of /stats/summary (usageNanoCores). */
  struct summary_history history;
  /* the readiness fast path (pod_worker_set_ready_hook) */
  pod_ready_hook ready_hook;
  void *ready_ctx;
};

/* CFG is copied (its strings must outlive the worker). */
int pod_worker_new (const struct pod_worker_config *cfg,
                    struct pod_worker **out, berth_error_t *err);

/* Call HOOK when a readiness probe's result changes, from the prober's
 * callback, with the pod's Ready condition as the status the next round
 * writes will have it (so that the Services reroute without waiting for
 * that round and its persistence). */
/* The Summary read NODE now: when no pod runs (no periodic sample), it
 * goes in the history, so that the node's CPU rate is known between two
 * reads. */
void pod_worker_note_node (struct pod_worker *w,
                           const struct summary_node_stats *node);

void pod_worker_set_ready_hook (struct pod_worker *w, pod_ready_hook hook,
                                void *ctx);

/* The runner of the pod with UID, or NULL (for the API: logs, metrics). */
const struct pod_runner *pod_worker_runner (const struct pod_worker *w,
                                            const char *uid);
/* Every runner, for /metrics and /stats/summary: fills OUT (at most MAX),
 * returns the count. */
size_t pod_worker_runners (const struct pod_worker *w,
                           const struct pod_runner **out, size_t max);

/* When R (a runner of W) was last sampled (wall clock ms), 0: never. */
int64_t pod_worker_sampled_ms (const struct pod_worker *w,
                               const struct pod_runner *r);

/* The node's capacity as the kubelet's cAdvisor reads it: online CPUs and
 * MemTotal, with the kubelet's defaults for the rest. */
void pod_worker_node_capacity (struct cgroup_node_config *node);

/* The IPv4 address of the default route's interface, or NULL. */
char *pod_worker_default_host_ip (void);

#endif
