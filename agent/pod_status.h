/* pod_status.h - a pod runner's state as the kubelet's status manager
 * writes it: a v1.PodStatus tree (phase, conditions with their transition
 * times, hostIP/podIP, startTime, qosClass, initContainerStatuses and
 * containerStatuses with state, lastState, ready, started, restartCount,
 * image and IDs).
 *
 * Pure: it reads the runner and the previous status (for transition
 * times and startTime) and builds a new tree; it owns nothing. */
#ifndef BERTH_POD_STATUS_H
#define BERTH_POD_STATUS_H

#include "node.h"
#include "pod_runner.h"

/* Whether container C counts as Ready / Started, from its state and its
 * probes' results (no probe: Ready and Started once running). */
bool pod_status_container_ready (const struct runner_container *c);
bool pod_status_container_started (const struct runner_container *c);

/* The lifecycle view of R's containers (for getPhase and the conditions):
 * fills OUT[0..r->n). */
void pod_status_lifecycle (const struct pod_runner *r,
                           struct lifecycle_status *out);

/* The status of R.  OLD: the previous status (NULL at first); HOST_IP:
 * the node's address or NULL; NOW_MS: the wall clock. */
struct node *pod_status_encode (const struct pod_runner *r,
                                const struct node *old, const char *host_ip,
                                int64_t now_ms);

#endif
