/* lifecycle.h - the kubelet's pod lifecycle rules as pure functions: the pod
 * phase from its container states (kubelet_pods.go getPhase), whether an
 * exited container is restarted (container/helpers.go
 * ShouldContainerBeRestarted), and the CrashLoopBackOff schedule
 * (client-go flowcontrol.Backoff as kuberuntime's doBackOff uses it: 10 s
 * doubling to 300 s, forgotten after 600 s without a restart).
 *
 * It owns no processes and reads no clock: callers pass the times in. */
#ifndef BERTH_LIFECYCLE_H
#define BERTH_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

enum container_state_kind
{
  CSTATE_NONE, /* no status yet: the container was never created */
  CSTATE_WAITING,
  CSTATE_RUNNING,
  CSTATE_TERMINATED,
};

/* What getPhase reads of a v1.ContainerStatus. */
struct lifecycle_status
{
  const char *name;
  enum container_state_kind state;
  int exit_code;        /* CSTATE_TERMINATED */
  bool last_terminated; /* lastTerminationState.terminated is set */
  int last_exit_code;   /* its exit code */
  bool started;         /* the Started flag (startup probe passed) */
  bool ready;           /* the Ready flag (readiness probe passed) */
};

enum pod_phase
{
  PHASE_PENDING,
  PHASE_RUNNING,
  PHASE_SUCCEEDED,
  PHASE_FAILED,
};

const char *lifecycle_phase_name (enum pod_phase p);

/* STATES holds the statuses of init and app containers, matched by name.
 * POD_IS_TERMINAL: the pod will not run again (deleted, deadline...).
 * IS_STATIC: a static pod (manifest directory), which keeps the restart
 * policy's phase even when terminal, as the kubelet does today. */
enum pod_phase lifecycle_pod_phase (const struct pod_spec *spec,
                                    const struct lifecycle_status *states,
                                    size_t n, bool pod_is_terminal,
                                    bool is_static);

/* The kubelet-owned pod conditions (status/generate.go), in the order the
 * kubelet lists them. */
enum
{
  COND_READY_TO_START,
  COND_INITIALIZED,
  COND_READY,
  COND_CONTAINERS_READY,
  COND_SCHEDULED,
  COND_COUNT,
};

struct pod_condition
{
  const char *type;   /* "Ready", ... */
  bool status;        /* True or False */
  const char *reason; /* NULL when none */
  char *message;      /* malloc'ed, NULL when none */
};

/* Fill OUT[COND_COUNT]; SANDBOX_READY: the pod's namespaces and network
 * exist.  Free the messages with lifecycle_conditions_free. */
void lifecycle_conditions (const struct pod_spec *spec,
                           const struct lifecycle_status *states, size_t n,
                           enum pod_phase phase, bool sandbox_ready,
                           struct pod_condition out[COND_COUNT]);
void lifecycle_conditions_free (struct pod_condition c[COND_COUNT]);

/* ShouldContainerBeRestarted for a container whose state is STATE. */
bool lifecycle_should_restart (const char *restart_policy,
                               const struct lifecycle_status *state,
                               bool pod_is_deleting);

/* A sidecar: an init container with restartPolicy Always. */
bool lifecycle_is_sidecar (const struct container *c);

/* CrashLoopBackOff: one table per agent, keyed by the kubelet's stable key
 * (pod name, namespace, uid, container name and a hash of its spec). Times
 * are in milliseconds. */
#define BACKOFF_INITIAL_MS 10000
#define BACKOFF_MAX_MS 300000

struct backoff_entry
{
  char *key;
  int64_t backoff_ms;
  int64_t last_update_ms;
};

struct backoff_table
{
  size_t len;
  struct backoff_entry *items;
  int64_t initial_ms;
  int64_t max_ms;
};

void backoff_table_init (struct backoff_table *t);
void backoff_table_free (struct backoff_table *t);
/* True while a container that finished at FINISHED_MS must still wait
 * (IsInBackOffSince). */
bool backoff_in_backoff_since (const struct backoff_table *t, const char *key,
                               int64_t finished_ms, int64_t now_ms);
/* Record a restart decided at NOW_MS for a container that finished at
 * FINISHED_MS (Next): the first restart is immediate, then 10 s, 20 s, ...
 * up to 300 s; a container that ran 600 s past the last restart starts
 * over. */
void backoff_next (struct backoff_table *t, const char *key,
                   int64_t finished_ms, int64_t now_ms);
/* The current delay for KEY, 0 when none. */
int64_t backoff_get (const struct backoff_table *t, const char *key);
/* Drop entries not updated for 2 x max (the kubelet's GC). */
void backoff_gc (struct backoff_table *t, int64_t now_ms);

/* The stable key "<pod>_<ns>_<uid>_<container>_<hash>", where the hash
 * (FNV-1a, hex) covers the container's spec, so a spec change resets the
 * back-off. Returns a malloc'ed string. */
char *backoff_key (const char *pod, const char *ns, const char *uid,
                   const struct container *c);

#endif
