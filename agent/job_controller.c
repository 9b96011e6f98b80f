/* job_controller.c - syncJob, manageJob and trackJobStatusAndRemoveFinalizers
 * of pkg/controller/job/job_controller.go over the store, the pod failure
 * back-off (backoff_utils.go) and the ttl-after-finished controller.  See
 * job_controller.h.
 *
 * The feature gates are those of Kubernetes 1.36 (all GA): JobManagedBy and
 * JobPodReplacementPolicy (terminating pods are tracked and the terminal
 * condition waits for them, after the interim FailureTarget or
 * SuccessCriteriaMet), JobBackoffLimitPerIndex, JobSuccessPolicy (the
 * CompletionsReached reason), PodIndexLabel.  spec.successPolicy itself is
 * not evaluated. */
#include "job_controller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "job_controller_internal.h"
#include "k8s_json.h"

#define MSG_BACKOFF "Job has reached the specified backoff limit"
#define MSG_DEADLINE "Job was active longer than specified deadline"
#define MSG_COMPLETIONS "Reached expected number of succeeded pods"

struct backoff_rec
{
  char *uid;
  int failures;         /* failuresAfterLastSuccess */
  int64_t last_failure; /* ms, -1 when none */
};

struct job_controller
{
  struct controller base;
  struct backoff_rec *recs;
  size_t nrecs;
};

/* The condition a sync found the Job to have reached. */
struct finish
{
  const char *type; /* NULL: none */
  char *reason, *message;
};

struct jctx
{
  struct store *s;
  struct store_entry *je;
  const struct job *j;
  int64_t now;
  int64_t *next;
  struct jpod *pods;
  size_t npods;
  struct jstatus st;
  int64_t succeeded, failed, ready, terminating, active;
  bool indexed, per_index;
  int completions;
  struct intervals prev_succ, succ_idx, failed_idx;
  struct jpod **delayed; /* per index: the failed pod kept for its counts */
  struct finish fin;
  struct backoff_rec rec; /* the new record (uid not owned) */
  struct store_entry **removed;
  size_t nremoved;
};

static void
set_next (struct jctx *x, int64_t at)
{
  if (at >= 0 && (*x->next < 0 || at < *x->next))
    *x->next = at;
}

static void
set_finish (struct finish *f, const char *type, const char *reason,
            const char *message)
{
  free (f->reason);
  free (f->message);
  f->type = type;
  f->reason = reason ? xstrdup (reason) : NULL;
  f->message = message ? xstrdup (message) : NULL;
}

static int64_t
ts_ms (const char *s)
{
  time_t t;
  if (s == NULL || k8s_rfc3339_parse (s, &t) < 0)
    return -1;
  return (int64_t)t * 1000;
}

static void
job_event (struct jctx *x, const char *type, const char *reason,
           const char *msg)
{
  store_event (x->s, type, reason, "Job", x->j->metadata.namespace,
               x->j->metadata.name, x->j->metadata.uid, msg);
}

static bool
suspended (const struct job *j)
{
  return j->spec.suspend.set && j->spec.suspend.v;
}

/* onlyReplaceFailedPods */
static bool
only_replace_failed (const struct job *j)
{
  return (j->spec.pod_replacement_policy
          && strcmp (j->spec.pod_replacement_policy, "Failed") == 0)
         || j->spec.pod_failure_policy != NULL;
}

/* isPodFailed */
static bool
pod_failed (const struct jctx *x, const struct jpod *p)
{
  if (jpod_failed_phase (p))
    return true;
  if (only_replace_failed (x->j))
    return false;
  return p->deleting && !jpod_succeeded (p);
}

static bool
valid_index (const struct jctx *x, const struct jpod *p)
{
  return !x->indexed || (p->index >= 0 && p->index < x->completions);
}

static bool
counts_failed (const struct jctx *x, const struct jpod *p)
{
  bool count = true;
  job_match_failure_policy (x->j->spec.pod_failure_policy, p, &count, NULL);
  return count;
}

/* ---- back-off (backoff_utils.go) ---- */

static struct backoff_rec *
rec_find (struct job_controller *jc, const char *uid)
{
  for (size_t i = 0; i < jc->nrecs; i++)
    if (strcmp (jc->recs[i].uid, uid) == 0)
      return &jc->recs[i];
  return NULL;
}

static void
rec_remove (struct job_controller *jc, const char *uid)
{
  struct backoff_rec *r = rec_find (jc, uid);
  if (r == NULL)
    return;
  free (r->uid);
  *r = jc->recs[--jc->nrecs];
}

static void
rec_store (struct job_controller *jc, const char *uid,
           const struct backoff_rec *nr)
{
  struct backoff_rec *r = rec_find (jc, uid);
  if (r == NULL)
    {
      jc->recs = reallocarray (jc->recs, jc->nrecs + 1, sizeof (*jc->recs));
      if (jc->recs == NULL)
        abort ();
      r = &jc->recs[jc->nrecs++];
      r->uid = xstrdup (uid);
    }
  r->failures = nr->failures;
  r->last_failure = nr->last_failure;
}

/* newBackoffRecord over the pods newly seen finished.  Every failed pod
 * counts here, also one that the pod failure policy ignores (the docs only
 * say an ignored failure does not count against backoffLimit; in the code
 * it still delays the next pod). */
static void
rec_new (struct job_controller *jc, struct jctx *x, struct jpod **succ,
         size_t nsucc, struct jpod **fail, size_t nfail)
{
  const struct backoff_rec *old = rec_find (jc, x->j->metadata.uid);
  int64_t last_success = -1;
  x->rec.failures = old ? old->failures : 0;
  x->rec.last_failure = old ? old->last_failure : -1;
  if (nsucc == 0 && nfail == 0)
    return;
  for (size_t i = 0; i < nsucc; i++)
    if (succ[i]->finished_ms > last_success)
      last_success = succ[i]->finished_ms;
  if (nsucc)
    {
      x->rec.failures = 0;
      x->rec.last_failure = -1;
    }
  for (size_t i = 0; i < nfail; i++)
    if (nsucc == 0 || fail[i]->finished_ms > last_success)
      {
        x->rec.failures++;
        if (fail[i]->finished_ms > x->rec.last_failure)
          x->rec.last_failure = fail[i]->finished_ms;
      }
}

/* getRemainingTimeForFailuresCount */
static int64_t
backoff_remaining (int failures, int64_t last_failure, int64_t now)
{
  int64_t d = JOB_POD_FAILURE_BACKOFF_MS, elapsed;
  if (failures == 0)
    return 0;
  for (int i = 1; i < failures; i++)
    {
      d *= 2;
      if (d >= JOB_POD_FAILURE_BACKOFF_MAX_MS)
        {
          d = JOB_POD_FAILURE_BACKOFF_MAX_MS;
          break;
        }
    }
  elapsed = now - last_failure;
  return d < elapsed ? 0 : d - elapsed;
}

/* ---- reading the pods ---- */

static void
collect_pods (struct jctx *x)
{
  const char *ns = x->j->metadata.namespace;
  for (size_t i = 0; i < x->s->len; i++)
    {
      struct store_entry *e = x->s->items[i];
      struct jpod p;
      if (e->obj->info->id != KIND_POD
          || strcmp (object_namespace (e->obj), ns) != 0
          || !jpod_read (e, x->j->metadata.uid, &p))
        continue;
      x->pods = reallocarray (x->pods, x->npods + 1, sizeof (*x->pods));
      if (x->pods == NULL)
        abort ();
      x->pods[x->npods++] = p;
    }
}

/* pastBackoffLimitOnFailure */
static bool
past_backoff_on_failure (const struct jctx *x)
{
  int64_t n = 0;
  const char *rp = x->j->spec.template.spec.restart_policy;
  if (rp == NULL || strcmp (rp, "OnFailure") != 0)
    return false;
  for (size_t i = 0; i < x->npods; i++)
    if (strcmp (x->pods[i].phase, "Running") == 0
        || strcmp (x->pods[i].phase, "Pending") == 0)
      n += x->pods[i].restarts;
  if (x->j->spec.backoff_limit.v == 0)
    return n > 0;
  return n >= x->j->spec.backoff_limit.v;
}

/* getFailJobMessage */
static char *
fail_job_message (const struct jctx *x)
{
  if (x->j->spec.pod_failure_policy == NULL)
    return NULL;
  for (size_t i = 0; i < x->npods; i++)
    if (pod_failed (x, &x->pods[i]))
      {
        char *msg = NULL;
        bool count;
        const char *a = job_match_failure_policy (x->j->spec.pod_failure_policy,
                                                  &x->pods[i], &count, &msg);
        if (a && strcmp (a, "FailJob") == 0)
          return msg;
        free (msg);
      }
  return NULL;
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *)a - *(const int *)b;
}

/* Sort IX and drop repeats; returns the new length. */
static size_t
sort_unique (int *ix, size_t n)
{
  size_t k = 0;
  qsort (ix, n, sizeof (int), cmp_int);
  for (size_t i = 0; i < n; i++)
    if (k == 0 || ix[k - 1] != ix[i])
      ix[k++] = ix[i];
  return k;
}

/* calculateSucceededIndexes and, with backoffLimitPerIndex,
 * calculateFailedIndexes and getPodsWithDelayedDeletionPerIndex. */
static void
compute_indexes (struct jctx *x)
{
  cleanup_free int *ix = xcalloc (x->npods + 1, sizeof (int));
  size_t n = 0;
  intervals_parse (x->st.completed_indexes, x->completions, &x->prev_succ);
  intervals_parse (x->st.completed_indexes, x->completions, &x->succ_idx);
  for (size_t i = 0; i < x->npods; i++)
    if (jpod_succeeded (&x->pods[i]) && valid_index (x, &x->pods[i])
        && x->pods[i].finalizer)
      ix[n++] = x->pods[i].index;
  n = sort_unique (ix, n);
  intervals_add (&x->succ_idx, ix, n);
  x->succeeded = intervals_total (&x->succ_idx);
  if (!x->per_index)
    return;
  intervals_parse (x->st.failed_indexes, x->completions, &x->failed_idx);
  n = 0;
  for (size_t i = 0; i < x->npods; i++)
    {
      struct jpod *p = &x->pods[i];
      bool counted = false;
      if (!valid_index (x, p) || !p->finalizer || !pod_failed (x, p))
        continue;
      if (x->j->spec.pod_failure_policy)
        {
          const char *a = job_match_failure_policy (
              x->j->spec.pod_failure_policy, p, &counted, NULL);
          if (a && strcmp (a, "FailIndex") == 0)
            {
              ix[n++] = p->index;
              continue;
            }
        }
      else
        counted = true;
      if (counted && p->failure_count >= x->j->spec.backoff_limit_per_index.v)
        ix[n++] = p->index;
    }
  n = sort_unique (ix, n);
  intervals_add (&x->failed_idx, ix, n);
  x->delayed = xcalloc ((size_t)x->completions + 1, sizeof (*x->delayed));
  for (size_t i = 0; i < x->npods; i++)
    {
      struct jpod *p = &x->pods[i], *cur;
      bool active_ix = false;
      if (!p->finalizer || !valid_index (x, p) || !pod_failed (x, p)
          || intervals_has (&x->succ_idx, p->index)
          || intervals_has (&x->failed_idx, p->index))
        continue;
      for (size_t k = 0; k < x->npods; k++)
        active_ix
            = active_ix
              || (jpod_active (&x->pods[k]) && x->pods[k].index == p->index);
      if (active_ix)
        continue;
      cur = x->delayed[p->index];
      if (cur == NULL
          || (cur->failure_count + cur->ignored_failure_count
                  <= p->failure_count + p->ignored_failure_count
              && p->finished_ms >= cur->finished_ms))
        x->delayed[p->index] = p;
    }
}

/* ---- manageJob ---- */

static int
phase_ordinal (const char *phase)
{
  if (strcmp (phase, "Pending") == 0)
    return 0;
  if (strcmp (phase, "Unknown") == 0)
    return 1;
  if (strcmp (phase, "Running") == 0)
    return 2;
  return 3;
}

/* controller.ActivePods: the pods to delete first sort first. */
static int
cmp_active (const void *a, const void *b)
{
  const struct jpod *p = *(struct jpod *const *)a;
  const struct jpod *q = *(struct jpod *const *)b;
  if (p->assigned != q->assigned)
    return p->assigned ? 1 : -1;
  if (phase_ordinal (p->phase) != phase_ordinal (q->phase))
    return phase_ordinal (p->phase) - phase_ordinal (q->phase);
  if (p->ready != q->ready)
    return p->ready ? 1 : -1;
  if (p->restarts != q->restarts)
    return p->restarts > q->restarts ? -1 : 1;
  if (p->created_ms != q->created_ms)
    return p->created_ms > q->created_ms ? -1 : 1;
  return 0;
}

static int
cmp_index (const void *a, const void *b)
{
  const struct jpod *p = *(struct jpod *const *)a;
  const struct jpod *q = *(struct jpod *const *)b;
  return p->index - q->index;
}

/* activePodsForRemoval: for Indexed Jobs, pods without a valid index and
 * all but one pod of a repeated index first; then the ActivePods order. */
static size_t
pods_for_removal (struct jctx *x, struct jpod **active, size_t nactive,
                  size_t rm_at_least, struct jpod **rm)
{
  cleanup_free struct jpod **left = xcalloc (nactive + 1, sizeof (*left));
  size_t nrm = 0, nleft = 0;
  if (x->indexed)
    {
      qsort (active, nactive, sizeof (*active), cmp_index);
      for (size_t i = 0; i < nactive;)
        {
          size_t k = i;
          while (k < nactive && active[k]->index == active[i]->index)
            k++;
          if (!valid_index (x, active[i]))
            for (size_t m = i; m < k; m++)
              rm[nrm++] = active[m];
          else
            {
              qsort (active + i, k - i, sizeof (*active), cmp_active);
              for (size_t m = i; m + 1 < k; m++)
                rm[nrm++] = active[m];
              left[nleft++] = active[k - 1];
            }
          i = k;
        }
    }
  else
    for (size_t i = 0; i < nactive; i++)
      left[nleft++] = active[i];
  if (nrm < rm_at_least)
    {
      qsort (left, nleft, sizeof (*left), cmp_active);
      for (size_t i = 0; i < nleft && nrm < rm_at_least; i++)
        rm[nrm++] = left[i];
    }
  return nrm;
}

static void
keep_removed (struct jctx *x, struct store_entry *e)
{
  if (e == NULL)
    return;
  x->removed = reallocarray (x->removed, x->nremoved + 1, sizeof (e));
  if (x->removed == NULL)
    abort ();
  x->removed[x->nremoved++] = e;
}

/* deleteJobPods: the finalizer goes first, so these pods are not counted
 * as failures. */
static int
delete_job_pods (struct jctx *x, struct jpod **pods, size_t n,
                 berth_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      struct store_entry *removed = NULL;
      bool ready = pods[i]->ready;
      if (pods[i]->finalizer && job_remove_finalizer (x->s, pods[i], err) < 0)
        return -1;
      if (job_delete_pod (x->s, x->je, pods[i], &removed, err) < 0)
        return -1;
      keep_removed (x, removed);
      x->active--;
      x->terminating++;
      x->ready -= ready;
    }
  return 0;
}

/* firstPendingIndexes */
static size_t
pending_indexes (struct jctx *x, size_t count, int *out)
{
  struct intervals non = { 0 };
  cleanup_free int *ix = xcalloc (x->npods + 1, sizeof (int));
  size_t n = 0, nout = 0;
  int cand = 0;
  intervals_merge (&non, &x->succ_idx);
  for (size_t i = 0; i < x->npods; i++)
    if (x->pods[i].index >= 0
        && (jpod_active (&x->pods[i])
            || (only_replace_failed (x->j) && jpod_terminating (&x->pods[i]))))
      ix[n++] = x->pods[i].index;
  n = sort_unique (ix, n);
  intervals_add (&non, ix, n);
  intervals_merge (&non, &x->failed_idx);
  for (size_t i = 0; i < non.len; i++)
    {
      for (; cand < x->completions && nout < count && cand < non.v[i].first;
           cand++)
        out[nout++] = cand;
      if (cand < non.v[i].last + 1)
        cand = non.v[i].last + 1;
    }
  for (; cand < x->completions && nout < count; cand++)
    out[nout++] = cand;
  intervals_free (&non);
  return nout;
}

static int
create_pods (struct jctx *x, int64_t diff, berth_error_t *err)
{
  cleanup_free int *ix = NULL;
  size_t n = (size_t)diff;
  if (x->indexed)
    {
      size_t k = 0;
      int64_t wait = -1;
      ix = xcalloc ((size_t)diff + 1, sizeof (int));
      n = pending_indexes (x, (size_t)diff, ix);
      /* getPodCreationInfoForIndependentIndexes */
      for (size_t i = 0; x->per_index && i < n; i++)
        {
          const struct jpod *d = x->delayed[ix[i]];
          int64_t r = d ? backoff_remaining (d->failure_count
                                                 + d->ignored_failure_count + 1,
                                             d->finished_ms, x->now)
                        : 0;
          if (r == 0)
            ix[k++] = ix[i];
          else if (wait < 0 || r < wait)
            wait = r;
        }
      if (x->per_index)
        {
          if (k == 0 && wait > 0)
            {
              set_next (x, x->now + (wait < 1000 ? 1000 : wait));
              return 0;
            }
          n = k;
        }
    }
  for (size_t i = 0; i < n; i++)
    {
      int index = x->indexed ? ix[i] : -1;
      const struct jpod *replaced
          = x->per_index && index >= 0 ? x->delayed[index] : NULL;
      if (job_create_pod (x->s, x->je, index, replaced, err) < 0)
        return -1;
      x->active++;
    }
  return 0;
}

static int
manage_job (struct jctx *x, berth_error_t *err)
{
  cleanup_free struct jpod **active = xcalloc (x->npods + 1, sizeof (*active));
  cleanup_free struct jpod **rm = xcalloc (x->npods + 1, sizeof (*rm));
  size_t nactive = 0, nrm;
  int64_t want, diff, parallelism = x->j->spec.parallelism.v;

  for (size_t i = 0; i < x->npods; i++)
    if (jpod_active (&x->pods[i]))
      active[nactive++] = &x->pods[i];
  if (suspended (x->j))
    {
      nrm = pods_for_removal (x, active, nactive, nactive, rm);
      return delete_job_pods (x, rm, nrm, err);
    }
  if (!x->j->spec.completions.set)
    want = x->succeeded > 0 ? x->active : parallelism;
  else
    {
      want = x->j->spec.completions.v - x->succeeded;
      if (want > parallelism)
        want = parallelism;
      if (want < 0)
        want = 0;
    }
  nrm = pods_for_removal (x, active, nactive,
                          x->active > want ? (size_t)(x->active - want) : 0,
                          rm);
  if (nrm > 0)
    return delete_job_pods (x, rm, nrm, err);
  diff = want - (only_replace_failed (x->j) ? x->terminating : 0) - x->active;
  if (diff <= 0)
    return 0;
  if (!x->per_index)
    {
      int64_t r
          = backoff_remaining (x->rec.failures, x->rec.last_failure, x->now);
      if (r > 0)
        {
          /* enqueueSyncJobWithDelay: at least the 1 s batch period.  (The
           * code also returns 0 active here; berth keeps the true count.) */
          set_next (x, x->now + (r < 1000 ? 1000 : r));
          return 0;
        }
    }
  return create_pods (x, diff, err);
}

/* ---- trackJobStatusAndRemoveFinalizers ---- */

static bool
can_remove_finalizer (const struct jctx *x, const struct jpod *p, bool failed)
{
  if (x->fin.type || jpod_succeeded (p))
    return true;
  if (!failed)
    return false;
  if (x->per_index && p->index >= 0 && p->index < x->completions
      && x->delayed[p->index] == p)
    return false;
  return true;
}

/* cleanUncountedPodsWithoutFinalizers: UIDs whose pod has no finalizer
 * any more (or is gone) move into the counters. */
static void
clean_uncounted (struct jctx *x)
{
  struct uid_list *lists[2] = { &x->st.unc_succeeded, &x->st.unc_failed };
  int64_t *counters[2] = { &x->st.succeeded, &x->st.failed };
  for (size_t l = 0; l < 2; l++)
    {
      size_t k = 0;
      for (size_t i = 0; i < lists[l]->len; i++)
        {
          bool with_fin = false;
          for (size_t p = 0; p < x->npods; p++)
            with_fin = with_fin
                       || (x->pods[p].finalizer
                           && strcmp (x->pods[p].uid, lists[l]->v[i]) == 0);
          if (with_fin)
            lists[l]->v[k++] = lists[l]->v[i];
          else
            {
              (*counters[l])++;
              free (lists[l]->v[i]);
            }
        }
      lists[l]->len = k;
    }
}

static int
write_status (struct jctx *x, berth_error_t *err)
{
  return store_set_status (x->s, x->je, jstatus_encode (&x->st), err);
}

/* enactJobFinished and recordJobFinished */
static void
enact_finished (struct jctx *x)
{
  struct jcond *c;
  if (x->fin.type == NULL || x->st.unc_succeeded.len || x->st.unc_failed.len
      || x->st.terminating > 0)
    return;
  jstatus_ensure (&x->st, x->fin.type, "True", x->fin.reason, x->fin.message,
                  x->now);
  c = jstatus_find (&x->st, x->fin.type);
  if (strcmp (x->fin.type, "Complete") == 0)
    {
      free (x->st.completion_time);
      x->st.completion_time = xstrdup (c->transition_time);
      if (x->j->spec.completions.set
          && x->st.succeeded > x->j->spec.completions.v)
        job_event (x, "Warning", "TooManySucceededPods",
                   "Too many succeeded pods running after completion count "
                   "reached");
      job_event (x, "Normal", "Completed", "Job completed");
    }
  else
    job_event (x, "Warning", x->fin.reason, x->fin.message);
}

static int
track_status (struct job_controller *jc, struct jctx *x, berth_error_t *err)
{
  cleanup_free struct jpod **rm = xcalloc (x->npods + 1, sizeof (*rm));
  cleanup_free int *new_ix = xcalloc (x->npods + 1, sizeof (int));
  size_t nrm = 0, nix = 0;
  bool fin_failed = x->fin.type && strcmp (x->fin.type, "SuccessCriteriaMet");

  clean_uncounted (x);
  for (size_t i = 0; i < x->npods; i++)
    {
      struct jpod *p = &x->pods[i];
      bool failed = pod_failed (x, p);
      if (!p->finalizer || !can_remove_finalizer (x, p, failed))
        continue;
      rm[nrm++] = p;
      if (jpod_succeeded (p) && !uid_list_has (&x->st.unc_failed, p->uid))
        {
          if (x->indexed)
            {
              if (valid_index (x, p)
                  && !intervals_has (&x->prev_succ, p->index))
                new_ix[nix++] = p->index;
            }
          else if (!uid_list_has (&x->st.unc_succeeded, p->uid))
            uid_list_add (&x->st.unc_succeeded, p->uid);
        }
      else if ((failed || fin_failed)
               && !uid_list_has (&x->st.unc_failed, p->uid)
               && valid_index (x, p) && counts_failed (x, p))
        uid_list_add (&x->st.unc_failed, p->uid);
    }
  if (x->indexed)
    {
      nix = sort_unique (new_ix, nix);
      intervals_add (&x->succ_idx, new_ix, nix);
      x->st.succeeded = intervals_total (&x->succ_idx);
      free (x->st.completed_indexes);
      x->st.completed_indexes = intervals_format (&x->succ_idx);
      if (x->per_index)
        {
          free (x->st.failed_indexes);
          x->st.failed_indexes = intervals_format (&x->failed_idx);
        }
    }
  if (x->fin.type && strcmp (x->fin.type, "FailureTarget") == 0)
    {
      if (!jstatus_true (&x->st, "FailureTarget"))
        jstatus_append (&x->st, "FailureTarget", x->fin.reason, x->fin.message,
                        x->now);
      x->fin.type = "Failed";
    }
  if (x->fin.type && strcmp (x->fin.type, "SuccessCriteriaMet") == 0)
    {
      if (!jstatus_true (&x->st, "SuccessCriteriaMet"))
        jstatus_append (&x->st, "SuccessCriteriaMet", x->fin.reason,
                        x->fin.message, x->now);
      x->fin.type = "Complete";
    }
  /* flushUncountedAndRemoveFinalizers: first the UIDs, then the
   * finalizers, then the counters */
  if (write_status (x, err) < 0)
    return -1;
  rec_store (jc, x->j->metadata.uid, &x->rec);
  for (size_t i = 0; i < nrm; i++)
    if (job_remove_finalizer (x->s, rm[i], err) < 0)
      return -1;
  clean_uncounted (x);
  enact_finished (x);
  return write_status (x, err);
}

/* ---- syncJob ---- */

static void
jctx_free (struct jctx *x)
{
  for (size_t i = 0; i < x->npods; i++)
    jpod_clear (&x->pods[i]);
  free (x->pods);
  jstatus_free (&x->st);
  intervals_free (&x->prev_succ);
  intervals_free (&x->succ_idx);
  intervals_free (&x->failed_idx);
  free (x->delayed);
  set_finish (&x->fin, NULL, NULL, NULL);
  for (size_t i = 0; i < x->nremoved; i++)
    store_entry_free (x->removed[i]);
  free (x->removed);
}

/* The new succeeded and failed pods (getNewFinishedPods) and the counters
 * that follow. */
static void
count_pods (struct job_controller *jc, struct jctx *x)
{
  cleanup_free struct jpod **succ = xcalloc (x->npods + 1, sizeof (*succ));
  cleanup_free struct jpod **fail = xcalloc (x->npods + 1, sizeof (*fail));
  size_t nsucc = 0, nfail = 0;
  int64_t counted_fail = 0;
  for (size_t i = 0; i < x->npods; i++)
    {
      struct jpod *p = &x->pods[i];
      if (jpod_active (p))
        {
          x->active++;
          x->ready += p->ready;
        }
      x->terminating += jpod_terminating (p);
      if (!p->finalizer || !valid_index (x, p))
        continue;
      if (jpod_succeeded (p) && !uid_list_has (&x->st.unc_succeeded, p->uid))
        succ[nsucc++] = p;
      if (pod_failed (x, p) && !uid_list_has (&x->st.unc_failed, p->uid))
        {
          fail[nfail++] = p;
          counted_fail += counts_failed (x, p);
        }
    }
  x->succeeded
      = x->st.succeeded + (int64_t)nsucc + (int64_t)x->st.unc_succeeded.len;
  x->failed = x->st.failed + counted_fail + (int64_t)x->st.unc_failed.len;
  rec_new (jc, x, succ, nsucc, fail, nfail);
}

/* The failure conditions of syncJob, before the pods are managed.  They
 * are interim: FailureTarget is written at once, Failed only when no pod
 * is terminating any more (the docs describe Failed as immediate). */
static void
check_failure (struct jctx *x)
{
  const struct job *j = x->j;
  struct jcond *ft = jstatus_find (&x->st, "FailureTarget");
  cleanup_free char *msg = NULL;
  int64_t start = ts_ms (x->st.start_time);

  if (jstatus_true (&x->st, "SuccessCriteriaMet"))
    {
      struct jcond *c = jstatus_find (&x->st, "SuccessCriteriaMet");
      set_finish (&x->fin, "SuccessCriteriaMet", c->reason, c->message);
      return;
    }
  if (ft && ft->status && strcmp (ft->status, "True") == 0)
    set_finish (&x->fin, "Failed", ft->reason, ft->message);
  else if ((msg = fail_job_message (x)) != NULL)
    set_finish (&x->fin, "FailureTarget", "PodFailurePolicy", msg);
  if (x->fin.type)
    return;
  if (x->failed > j->spec.backoff_limit.v || past_backoff_on_failure (x))
    set_finish (&x->fin, "FailureTarget", "BackoffLimitExceeded", MSG_BACKOFF);
  else if (j->spec.active_deadline_seconds.set && start >= 0 && !suspended (j)
           && x->now - start >= j->spec.active_deadline_seconds.v * 1000)
    set_finish (&x->fin, "FailureTarget", "DeadlineExceeded", MSG_DEADLINE);
  else if (j->spec.active_deadline_seconds.set && start >= 0 && !suspended (j))
    set_next (x, start + j->spec.active_deadline_seconds.v * 1000);
}

static void
check_indexes (struct jctx *x)
{
  const struct job *j = x->j;
  int nfailed;
  if (!x->indexed)
    return;
  compute_indexes (x);
  nfailed = intervals_total (&x->failed_idx);
  if (!x->per_index || x->fin.type)
    return;
  if (j->spec.max_failed_indexes.set && nfailed > j->spec.max_failed_indexes.v)
    set_finish (&x->fin, "FailureTarget", "MaxFailedIndexesExceeded",
                "Job has exceeded the specified maximal number of failed "
                "indexes");
  else if (nfailed > 0
           && nfailed + intervals_total (&x->succ_idx) >= x->completions)
    set_finish (&x->fin, "FailureTarget", "FailedIndexes",
                "Job has failed indexes");
}

/* Remove the active pods of a Job that failed (deleteActivePods: the
 * finalizers stay, so they are counted as failed). */
static int
delete_active (struct jctx *x, berth_error_t *err)
{
  for (size_t i = 0; i < x->npods; i++)
    {
      struct jpod *p = &x->pods[i];
      struct store_entry *removed = NULL;
      bool ready = p->ready;
      if (!jpod_active (p))
        continue;
      if (job_delete_pod (x->s, x->je, p, &removed, err) < 0)
        return -1;
      keep_removed (x, removed);
      x->active--;
      x->terminating++;
      x->ready -= ready;
    }
  return 0;
}

static void
suspend_conditions (struct jctx *x)
{
  if (suspended (x->j))
    {
      if (jstatus_ensure (&x->st, "Suspended", "True", "JobSuspended",
                          "Job suspended", x->now))
        job_event (x, "Normal", "Suspended", "Job suspended");
    }
  else if (jstatus_ensure (&x->st, "Suspended", "False", "JobResumed",
                           "Job resumed", x->now))
    {
      job_event (x, "Normal", "Resumed", "Job resumed");
      /* ActiveDeadlineSeconds counts from the resume */
      free (x->st.start_time);
      x->st.start_time = k8s_rfc3339 (x->now);
    }
}

static int
sync_job (struct job_controller *jc, struct store *s, struct store_entry *je,
          int64_t now, int64_t *next, berth_error_t *err)
{
  struct jctx x
      = { .s = s, .je = je, .j = je->obj->data, .now = now, .next = next };
  int ret = 0;

  jstatus_read (je->status, &x.st);
  x.indexed = x.j->spec.completion_mode
              && strcmp (x.j->spec.completion_mode, "Indexed") == 0;
  x.per_index = x.indexed && x.j->spec.backoff_limit_per_index.set;
  x.completions = x.j->spec.completions.set ? (int)x.j->spec.completions.v : 0;
  collect_pods (&x);
  count_pods (jc, &x);
  if (x.st.start_time == NULL && !suspended (x.j))
    x.st.start_time = k8s_rfc3339 (now);
  check_failure (&x);
  check_indexes (&x);
  if (x.fin.type && strcmp (x.fin.type, "SuccessCriteriaMet") != 0)
    ret = delete_active (&x, err);
  else if (x.fin.type == NULL)
    {
      bool complete;
      ret = manage_job (&x, err);
      if (!x.j->spec.completions.set)
        complete = x.succeeded > 0 && x.active == 0;
      else
        complete = x.succeeded >= x.j->spec.completions.v && x.active == 0;
      if (complete)
        set_finish (&x.fin, "SuccessCriteriaMet", "CompletionsReached",
                    MSG_COMPLETIONS);
      else
        suspend_conditions (&x);
    }
  x.st.active = x.active;
  x.st.ready = x.ready;
  x.st.terminating = x.terminating;
  if (ret == 0)
    ret = track_status (jc, &x, err);
  jctx_free (&x);
  return ret;
}

/* ---- finished Jobs: ttl-after-finished, and orphaned pods ---- */

static const struct jcond *
finished_condition (struct jstatus *st)
{
  if (jstatus_true (st, "Complete"))
    return jstatus_find (st, "Complete");
  if (jstatus_true (st, "Failed"))
    return jstatus_find (st, "Failed");
  return NULL;
}

/* Remove the tracking finalizer of the pod NS/NAME of Job UID and delete
 * it (the garbage collector's part). */
static int
reap_pod (struct store *s, const char *ns, const char *name, const char *uid,
          berth_error_t *err)
{
  const struct kind_info *pk = kind_lookup ("Pod");
  struct store_entry *e = store_get (s, pk, ns, name), *removed = NULL;
  struct jpod p;
  int ret = 0;
  if (e == NULL || !jpod_read (e, uid, &p))
    return 0;
  if (p.finalizer)
    ret = job_remove_finalizer (s, &p, err);
  if (ret == 0 && !p.deleting && store_get (s, pk, ns, name))
    ret = store_delete (s, pk, ns, name, &removed, err);
  store_entry_free (removed);
  jpod_clear (&p);
  return ret;
}

/* The ttl-after-finished controller deletes the Job with foreground
 * propagation: its pods go first, then the Job. */
static int
ttl_check (struct store *s, struct store_entry *je, const struct jcond *fin,
           int64_t now, int64_t *next, berth_error_t *err)
{
  const struct job *j = je->obj->data;
  int64_t at = ts_ms (fin->transition_time);
  cleanup_free char *ns = NULL, *name = NULL, *uid = NULL;
  cleanup_free char **pods = NULL;
  struct store_entry *removed = NULL;
  size_t n = 0;
  int ret = 0;

  if (!j->spec.ttl_seconds_after_finished.set || at < 0)
    return 0;
  at += j->spec.ttl_seconds_after_finished.v * 1000;
  if (now < at)
    {
      if (*next < 0 || at < *next)
        *next = at;
      return 0;
    }
  ns = xstrdup (j->metadata.namespace);
  name = xstrdup (j->metadata.name);
  uid = xstrdup (j->metadata.uid);
  pods = xcalloc (s->len + 1, sizeof (*pods));
  for (size_t i = 0; i < s->len; i++)
    {
      struct jpod p;
      if (jpod_read (s->items[i], uid, &p))
        pods[n++] = xstrdup (p.name);
      jpod_clear (&p);
    }
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0)
        ret = reap_pod (s, ns, pods[i], uid, err);
      free (pods[i]);
    }
  if (ret < 0)
    return ret;
  if (store_delete (s, kind_lookup ("Job"), ns, name, &removed, err) < 0)
    return -1;
  store_entry_free (removed);
  return 0;
}

static bool
job_exists (struct store *s, const char *ns, const char *name, const char *uid)
{
  struct store_entry *e = store_get (s, kind_lookup ("Job"), ns, name);
  return e && strcmp (object_meta (e->obj)->uid, uid) == 0;
}

/* The garbage collector's part: pods whose controlling Job is gone lose
 * their tracking finalizer (syncOrphanPod) and are deleted.  Returns 1
 * after a change (the walk starts over), 0 when there is none left. */
static int
collect_orphans (struct store *s, berth_error_t *err)
{
  for (size_t i = 0; i < s->len; i++)
    {
      struct store_entry *e = s->items[i];
      const struct object_meta *m = object_meta (e->obj);
      const char *name, *uid;
      cleanup_free char *ns = NULL, *pod = NULL, *juid = NULL;
      struct jpod p;
      bool todo;
      if (e->obj->info->id != KIND_POD
          || !job_controller_ref (m, "Job", &name, &uid)
          || job_exists (s, m->namespace, name, uid) || !jpod_read (e, uid, &p))
        continue;
      todo = p.finalizer || !p.deleting;
      jpod_clear (&p);
      if (!todo)
        continue;
      ns = xstrdup (m->namespace);
      pod = xstrdup (m->name);
      juid = xstrdup (uid);
      if (reap_pod (s, ns, pod, juid, err) < 0)
        return -1;
      return 1;
    }
  return 0;
}

static int
sync_one (struct job_controller *jc, struct store *s, struct store_entry *je,
          int64_t now_ms, int64_t *next_ms, berth_error_t *err)
{
  struct jstatus st;
  const struct jcond *fin;
  int ret;
  jstatus_read (je->status, &st);
  fin = finished_condition (&st);
  if (fin)
    {
      rec_remove (jc, object_meta (je->obj)->uid);
      ret = ttl_check (s, je, fin, now_ms, next_ms, err);
      jstatus_free (&st);
      return ret;
    }
  jstatus_free (&st);
  return sync_job (jc, s, je, now_ms, next_ms, err);
}

/* One sync round's arguments, for store_each_of_kind. */
struct job_sync_round
{
  struct job_controller *jc;
  int64_t now_ms;
  int64_t *next_ms;
};

static int
sync_entry (struct store *s, struct store_entry *je, void *data,
            berth_error_t *err)
{
  struct job_sync_round *r = data;
  return sync_one (r->jc, s, je, r->now_ms, r->next_ms, err);
}

static int
job_controller_sync (struct controller *c, struct store *s, int64_t now_ms,
                     int64_t *next_ms, berth_error_t *err)
{
  struct job_sync_round r = { (struct job_controller *)c, now_ms, next_ms };
  int ret;
  *next_ms = -1;
  /* the Jobs of this round (syncing one creates and deletes pods, and the
   * ttl-after-finished part deletes the Job) */
  ret = store_each_of_kind (s, kind_lookup ("Job"), "job", sync_entry, &r, err);
  if (ret < 0)
    return ret;
  while ((ret = collect_orphans (s, err)) > 0)
    ;
  return ret;
}

static void
job_controller_free (struct controller *c)
{
  struct job_controller *jc = (struct job_controller *)c;
  for (size_t i = 0; i < jc->nrecs; i++)
    free (jc->recs[i].uid);
  free (jc->recs);
  free (jc);
}

static const struct controller_ops job_controller_ops = {
  .name = "job-controller",
  .sync = job_controller_sync,
  .free = job_controller_free,
};

struct controller *
job_controller_new (void)
{
  struct job_controller *jc = xcalloc (1, sizeof (*jc));
  jc->base.ops = &job_controller_ops;
  return &jc->base;
}
