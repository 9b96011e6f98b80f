/* pod_stats.h - the "berth" block of a pod's status: the cgroup accounting
 * of a pod_runner (what pod_runner_sample last read) as a lib/node tree,
 * for the pod worker to place at status.berth next to the standard
 * containerStatuses.  Also the small lookups the other accounting outputs
 * (metrics.h, summary.h) share.  Pure: it reads the runner, never a file.
 *
 * The shape of status.berth (counters are JSON integers; a value the
 * kernel does not provide, or that was never sampled, is null):
 *
 *   resourceEnforcement: bool    false under --no-resource-enforcement;
 *                                then nothing else is present
 *   cgroup: "/sys/fs/cgroup/berth/burstable/pod<uid>" | null
 *   initContainers: [CONTAINER]  init containers and sidecars, in order
 *   containers: [CONTAINER]      app containers, in order
 *   pod: TOTALS                  sums over every container above
 *
 *   CONTAINER:
 *     name: "ctr"
 *     cgroup: "/sys/fs/cgroup/berth/burstable/pod<uid>/ctr" | null
 *     cpu: {usageUsec, nrPeriods, nrThrottled, throttledUsec}   cpu.stat
 *     memory:
 *       current: bytes              memory.current
 *       peak: bytes                 the highest memory.peak seen
 *       workingSet: bytes           current - inactive_file (cAdvisor's)
 *       limit: bytes | null         memory.max as written; null: "max"
 *       events: {low, high, max, oom, oomKill, oomGroupKill}  memory.events
 *     oomKills: n                   OOM kills over every attempt
 *     pressure:                     PSI, null without CONFIG_PSI / psi=0
 *       cpu|memory|io: {some: PSI, full: PSI | null}
 *         PSI: {avg10, avg60, avg300 (percent, 2 decimals), total (µs)}
 *
 *   TOTALS: the same cpu, memory and oomKills sums (memory.peak: the sum
 *     of the containers' peaks, an upper bound of the pod's; memory.limit:
 *     the pod cgroup's memory.max), no pressure (PSI averages do not add).
 *
 * The counters of a container are those of its cgroup, which lives as
 * long as the pod: they accumulate over restarts.
 */
#ifndef BERTH_POD_STATS_H
#define BERTH_POD_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "node.h"
#include "pod_runner.h"

/* The status.berth tree of R (a new map, owned by the caller). */
struct node *pod_stats_berth_block (const struct pod_runner *r);

/* The part of it that changes only with the pod, not with each sample:
 * resourceEnforcement, cgroup, and each container's name and cgroup.  The
 * pod worker stores this (a status write is persisted and fsync'ed) and
 * serves the counters on read with pod_stats_berth_merge. */
struct node *pod_stats_berth_static (const struct pod_runner *r);

/* Complete BERTH (a tree of pod_stats_berth_block, not shared) with what
 * STORED (a stored status.berth, may be NULL) has besides: the keys BERTH
 * lacks, at the top and in each container's entry (matched by name;
 * entries of other names are appended).  STORED's values are shared, not
 * copied: BERTH must not be changed afterwards. */
void pod_stats_berth_complete (struct node *berth, const struct node *stored);

/* Whether R runs with cgroup limits and accounting. */
bool pod_stats_enforced (const struct pod_runner *r);

/* The pod cgroup's absolute path (malloc'ed), NULL when unknown. */
char *pod_stats_pod_cgroup (const struct pod_runner *r);

/* The cgroup values written for container C of R, NULL when none. */
const struct cgroup_values *
pod_stats_container_values (const struct pod_runner *r,
                            const struct runner_container *c);

/* A memory.max value as bytes, or -1 for none ("max" or not written). */
int64_t pod_stats_limit_bytes (int64_t memory_max);

/* The namespace of R's pod ("default" when unset). */
const char *pod_stats_namespace (const struct pod_runner *r);

#endif
