/* prober.h - the kubelet's probe workers (pkg/kubelet/prober: worker.go,
 * prober.go, prober_manager.go, results/): one worker per pod, container
 * name and probe kind, living across the container's restarts as the
 * kubelet's does, probing the current instance on its period.
 *
 * Owns: the initial results (readiness Failure, liveness Success, startup
 * Unknown for every new instance), initialDelaySeconds from the instance's
 * start, the period with the kubelet's random initial jitter, the
 * success/failure thresholds, startup gating liveness and readiness, the
 * hold after a liveness or startup failure until a new instance, the
 * retries of an errored probe, the Unhealthy/ProbeWarning events with the
 * kubelet's messages, one result per instance, and the metrics
 * prober_probe_total and prober_probe_duration_seconds (and berth's
 * berth_prober_missed_periods_total and berth_prober_tick_delay_seconds).
 *
 * Does not kill, restart or set Ready: the caller (the pod worker) does,
 * from on_result and prober_ready/prober_started.  Every instance has an
 * id (prober_add_container); results and callbacks name it, and a result
 * of an instance that was replaced or removed is never reported, so a
 * restarted container never gets its predecessor's results.
 */
#ifndef BERTH_PROBER_H
#define BERTH_PROBER_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "loop.h"
#include "node.h"
#include "probe.h"
#include "types.h"

enum probe_kind
{
  PROBE_LIVENESS,
  PROBE_READINESS,
  PROBE_STARTUP,
};

/* results.Result. */
enum probe_result
{
  PROBE_RESULT_UNKNOWN,
  PROBE_RESULT_SUCCESS,
  PROBE_RESULT_FAILURE,
};

/* berth's record of one probe for the status.  What moves with every
 * probe (the last probe, the counts) is a snapshot, taken when the
 * published result changes and otherwise at most every PROBER_SNAPSHOT_MS:
 * a steadily probed pod's status does not change (and is not written to
 * disk) every period. */
#define PROBER_SNAPSHOT_MS 10000

struct prober_snapshot
{
  int64_t last_probe_wall; /* 0: no probe of this instance gave a result */
  enum probe_result last_probe;
  uint64_t consecutive;         /* results equal to last_probe in a row */
  uint64_t successes, failures; /* since the worker started (all instances) */
};

struct prober_callbacks
{
  /* A published result changed (results.Manager.Set on a change). */
  void (*on_result) (void *ctx, const char *pod_uid, const char *container,
                     uint64_t instance, enum probe_kind kind,
                     enum probe_result result);
  /* An event about the container: TYPE Warning, REASON Unhealthy or
   * ProbeWarning, and the kubelet's message. */
  void (*on_event) (void *ctx, const char *pod_uid, const char *container,
                    const char *type, const char *reason, const char *message);
  void *ctx;
};

/* How probes run and what time it is; NULL in prober_new: the real probe
 * runner on the loop and the loop's clocks.  Tests inject both. */
struct prober_env
{
  int (*start) (void *impl, const struct probe_call *call, probe_done_cb done,
                void *done_ctx, void **handle, berth_error_t *err);
  void (*cancel) (void *impl, void *handle);
  int64_t (*mono_ms) (void *impl);
  int64_t (*wall_ms) (void *impl);
  double (*random) (void *impl); /* [0, 1): the initial jitter */
  void *impl;
};

/* The pod of a container, as the prober labels and reports it. */
struct prober_pod
{
  const char *uid;
  const char *name;
  const char *namespace;
  const char *restart_policy; /* "Never" ends probing of an exited one */
};

struct prober;

/* L: the loop the probes and the prober's timer run on (NULL only with
 * an injected ENV: the caller then drives prober_tick). */
int prober_new (struct loop *l, const struct prober_callbacks *cb,
                const struct prober_env *env, struct prober **out,
                berth_error_t *err);
void prober_free (struct prober *p);

/* A new running instance of container C (its spec, probes included, must
 * stay valid until it is removed), started at STARTED_AT_WALL_MS (the
 * status's startedAt).  Creates the pod's workers on first use and points
 * them at the new instance: results start at their initial values.
 * Returns the instance id (> 0), or 0 with *ERR set. */
uint64_t prober_add_container (struct prober *p, const struct prober_pod *pod,
                               const struct container *c,
                               const struct probe_target *target,
                               int64_t started_at_wall_ms, berth_error_t *err);
/* INSTANCE is no longer running: results become Failure (as the kubelet's
 * worker does for a non-running container), probing it stops; the
 * workers wait for the next instance (or end if the pod's restart policy
 * is Never). */
void prober_container_exited (struct prober *p, uint64_t instance);
/* The pod is being deleted: liveness and startup results become Success
 * and those workers stop (worker.go's graceful shutdown). */
void prober_pod_terminating (struct prober *p, const char *pod_uid);
/* Stop and forget every worker of the pod. */
void prober_remove_pod (struct prober *p, const char *pod_uid);
/* What the kubelet's UpdatePodStatus does for a readiness probe that has
 * not succeeded: trigger an immediate run.  Call it whenever the pod's
 * status is recomputed. */
void prober_update_pod_status (struct prober *p, const char *pod_uid);

/* The published result of INSTANCE's KIND probe; false when INSTANCE has
 * no such probe (or is unknown). */
bool prober_result (const struct prober *p, uint64_t instance,
                    enum probe_kind kind, enum probe_result *out);
/* UpdatePodStatus: started = running && (no startup probe or it
 * succeeded); ready = started && (no readiness probe or it succeeded). */
bool prober_started (const struct prober *p, uint64_t instance);
bool prober_ready (const struct prober *p, uint64_t instance);
/* The probe-level terminationGracePeriodSeconds of INSTANCE's KIND probe
 * (for a kill after a liveness or startup failure); false when unset. */
bool prober_termination_grace (const struct prober *p, uint64_t instance,
                               enum probe_kind kind, int64_t *seconds);

/* Put the probes of POD_UID's containers into BERTH, the status's berth
 * block (pod_stats.h): the entry of each container in its "initContainers"
 * or "containers" list (by name; {name} is appended to "containers" when
 * there is none) gets
 *
 *   probes: {liveness|readiness|startup: {
 *     result: Success|Failure|Unknown  the published result (Ready's input)
 *     since: RFC 3339 (ms)             when the result became that
 *     lastProbe: {result, time}        the last probe with a result (snapshot)
 *     consecutive: n                   lastProbe's result n times in a row
 *     successes: n, failures: n}}      probes of every instance (snapshot)
 */
void prober_status_attach (struct prober *p, const char *pod_uid,
                           struct node *berth);

/* Run what is due at the current time; returns the next deadline
 * (mono ms) or -1.  The loop's timer calls it; tests call it directly. */
int64_t prober_tick (struct prober *p);

/* Append the metrics in Prometheus text format (HELP, TYPE, series) to
 * *BUF (malloc'd, *LEN bytes). */
void prober_metrics_render (const struct prober *p, char **buf, size_t *len);

/* "Liveness", "Readiness", "Startup" (probeType.String()). */
const char *prober_kind_name (enum probe_kind k);
/* The Killing event's message after a liveness or startup failure:
 * "Container C failed liveness probe, will be restarted" (malloc'd). */
char *prober_kill_message (enum probe_kind kind, const char *container,
                           bool will_restart);

#endif
