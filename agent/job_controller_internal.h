/* job_controller_internal.h - what the Job controller's files share: the
 * view of one Job's pods (read from their status trees), the Job status as
 * a struct (read from and written to the store's status tree), completion
 * index intervals, and the pod side of the work (pod failure policy,
 * creating a pod from the template, finalizer removal, deletion).
 *
 * Private to agent/job_controller*.c. */
#ifndef BERTH_JOB_CONTROLLER_INTERNAL_H
#define BERTH_JOB_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "store.h"
#include "types.h"

#define JOB_TRACKING_FINALIZER "batch.kubernetes.io/job-tracking"
#define JOB_COMPLETION_INDEX "batch.kubernetes.io/job-completion-index"
#define JOB_INDEX_FAILURE_COUNT "batch.kubernetes.io/job-index-failure-count"
#define JOB_INDEX_IGNORED_FAILURE_COUNT                                        \
  "batch.kubernetes.io/job-index-ignored-failure-count"

/* job_controller.go: DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
 * The docs say the back-off is capped at six minutes; the code caps it at
 * ten, and berth follows the code. */
#define JOB_POD_FAILURE_BACKOFF_MS 10000
#define JOB_POD_FAILURE_BACKOFF_MAX_MS 600000

/* ---- pods ---- */

struct jpod
{
  struct store_entry *e; /* the pod's entry (stable while the sync runs) */
  char *uid, *name;      /* copies: the entry's object may be replaced */
  const char *phase;     /* "" when the status has none */
  bool deleting;         /* deletionTimestamp set */
  bool gone;             /* removed from the store in this sync (E is
                            then owned by the sync's list of removed) */
  bool finalizer;        /* carries JOB_TRACKING_FINALIZER */
  bool ready;            /* condition Ready=True */
  bool assigned;         /* spec.nodeName set */
  int index;             /* completion index, -1 when unknown */
  int restarts;          /* restartCount over init and app containers */
  int64_t finished_ms;   /* backoff_utils.go getFinishedTime */
  int64_t created_ms;
  int failure_count, ignored_failure_count; /* index failure annotations */
};

bool jpod_succeeded (const struct jpod *p);
bool jpod_failed_phase (const struct jpod *p);
/* FilterActivePods: not terminal and not being deleted. */
bool jpod_active (const struct jpod *p);
/* CountTerminatingPods: being deleted and not terminal. */
bool jpod_terminating (const struct jpod *p);

/* Read the pod of entry E.  False when it is not a pod of job JOB_UID
 * (its controller ownerReference). */
bool jpod_read (struct store_entry *e, const char *job_uid, struct jpod *out);
void jpod_clear (struct jpod *p);

/* The controller reference of META of kind KIND ("Job", "CronJob"): its
 * name and uid, or false. */
bool job_controller_ref (const struct object_meta *meta, const char *kind,
                         const char **name, const char **uid);

/* pod_failure_policy.go matchPodFailurePolicy.  Returns the action that
 * matched ("Ignore", "FailJob", "FailIndex", "Count") or NULL; *COUNT
 * whether the failure counts against the limits; *MSG (caller frees) the
 * job failure message of a FailJob rule. */
const char *job_match_failure_policy (const struct pod_failure_policy *pfp,
                                      const struct jpod *p, bool *count,
                                      char **msg);

/* ---- index intervals (indexed_job_utils.go orderedIntervals) ---- */

struct interval
{
  int first, last;
};

struct intervals
{
  struct interval *v;
  size_t len, cap;
};

void intervals_parse (const char *s, int completions, struct intervals *out);
/* Merge the sorted, distinct indexes IX (N of them) into OI. */
void intervals_add (struct intervals *oi, const int *ix, size_t n);
void intervals_merge (struct intervals *oi, const struct intervals *other);
bool intervals_has (const struct intervals *oi, int ix);
int intervals_total (const struct intervals *oi);
char *intervals_format (const struct intervals *oi);
void intervals_free (struct intervals *oi);

/* ---- the Job status ---- */

struct jcond
{
  char *type, *status, *reason, *message;
  char *probe_time, *transition_time;
};

struct uid_list
{
  char **v;
  size_t len;
};

struct jstatus
{
  struct jcond *conds;
  size_t nconds;
  char *start_time, *completion_time;
  int64_t active, succeeded, failed, terminating, ready;
  char *completed_indexes;
  char *failed_indexes; /* NULL: unset */
  struct uid_list unc_succeeded, unc_failed;
};

void jstatus_read (const struct node *n, struct jstatus *out);
struct node *jstatus_encode (const struct jstatus *st);
void jstatus_free (struct jstatus *st);
struct jcond *jstatus_find (struct jstatus *st, const char *type);
bool jstatus_true (const struct jstatus *st, const char *type);
/* ensureJobConditionStatus; true when the list changed. */
bool jstatus_ensure (struct jstatus *st, const char *type, const char *status,
                     const char *reason, const char *message, int64_t now_ms);
void jstatus_append (struct jstatus *st, const char *type, const char *reason,
                     const char *message, int64_t now_ms);
bool uid_list_has (const struct uid_list *l, const char *uid);
void uid_list_add (struct uid_list *l, const char *uid);

/* ---- writes ---- */

/* Create one pod of JOB (entry JE) from its template: generateName
 * "<job>-" or "<job>-<index>-", labels, the tracking finalizer, the
 * controller reference, and for INDEX >= 0 the index annotation, label,
 * env and hostname; REPLACED (or NULL) is the failed pod of that index
 * whose failure counts go into the new pod's annotations. */
int job_create_pod (struct store *s, struct store_entry *je, int index,
                    const struct jpod *replaced, berth_error_t *err);
/* Remove the tracking finalizer (an update of the pod, as the controller's
 * patch); a pod that is being deleted and that the node is done with
 * (deletionGracePeriodSeconds 0) is then removed, as the API server does
 * once the last finalizer is gone. */
int job_remove_finalizer (struct store *s, struct jpod *p, berth_error_t *err);
/* Delete the pod gracefully, with the Job's SuccessfulDelete event.  In a
 * store without graceful deletion the entry is removed: *REMOVED is then
 * set and the caller frees it once the sync is done with P. */
int job_delete_pod (struct store *s, struct store_entry *je, struct jpod *p,
                    struct store_entry **removed, berth_error_t *err);

#endif
