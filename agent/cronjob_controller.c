/* cronjob_controller.c - syncCronJob and cleanupFinishedJobs of
 * pkg/controller/cronjob/cronjob_controllerv2.go, with utils.go's
 * mostRecentScheduleTime (model/cron.c), over the store.  See
 * cronjob_controller.h. */
#include "cronjob_controller.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "cron.h"
#include "k8s_json.h"
#include "tzfile.h"

/* nextScheduleDelta: the requeue lands 100 ms after the schedule time. */
#define NEXT_SCHEDULE_DELTA_MS 100

struct tz_cache
{
  char *name;
  struct tz *tz; /* NULL: UTC */
};

/* The last schedule time a CronJob's decision events were recorded for:
 * the real controller syncs a CronJob at its schedule times, berth's at
 * every store change, so the warnings about one time are recorded once. */
struct seen
{
  char *uid;
  int64_t sched;
};

struct cronjob_controller
{
  struct controller base;
  struct tz_cache *zones;
  size_t nzones;
  struct seen *seen;
  size_t nseen;
};

/* One Job of the CronJob, as the controller looks at it. */
struct cjob
{
  char *name, *uid, *start_time, *completion_time;
  const char *finished; /* "Complete", "Failed" or NULL */
};

/* The CronJob status being built. */
struct cstatus
{
  struct node *active; /* seq of ObjectReference maps (owned) */
  char *last_schedule, *last_successful;
};

struct cctx
{
  struct store *s;
  struct store_entry *ce;
  const struct cron_job *cj;
  int64_t now;
  struct cjob *jobs;
  size_t njobs;
  struct cstatus st;
};

static int64_t
ts_s (const char *s)
{
  time_t t;
  if (s == NULL || k8s_rfc3339_parse (s, &t) < 0)
    return -1;
  return (int64_t)t;
}

static void cj_event (struct cctx *x, const char *type, const char *reason,
                      const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
cj_event (struct cctx *x, const char *type, const char *reason, const char *fmt,
          ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  store_event (x->s, type, reason, "CronJob", x->cj->metadata.namespace,
               x->cj->metadata.name, x->cj->metadata.uid, msg);
}

/* The controller reference of a Job: kind, name and uid. */
static bool
controller_of (const struct object_meta *m, const char **kind,
               const char **name, const char **uid)
{
  const struct node *refs = m->owner_references;
  for (size_t i = 0; refs && refs->kind == NODE_SEQ && i < refs->len; i++)
    {
      const struct node *r = refs->items[i];
      bool ctl = false;
      if (!node_as_bool (node_map_get (r, "controller"), &ctl) || !ctl)
        continue;
      *kind = k8s_get_str (r, "kind");
      *name = k8s_get_str (r, "name");
      *uid = k8s_get_str (r, "uid");
      return *kind && *name && *uid;
    }
  return false;
}

static const char *
job_finished (const struct node *status)
{
  const struct node *conds = k8s_get (status, "conditions");
  for (size_t i = 0; conds && conds->kind == NODE_SEQ && i < conds->len; i++)
    {
      const char *t = k8s_get_str (conds->items[i], "type");
      const char *st = k8s_get_str (conds->items[i], "status");
      if (t && st && strcmp (st, "True") == 0
          && (strcmp (t, "Complete") == 0 || strcmp (t, "Failed") == 0))
        return strcmp (t, "Complete") == 0 ? "Complete" : "Failed";
    }
  return NULL;
}

static char *
dup_or_null (const char *s)
{
  return s ? xstrdup (s) : NULL;
}

static void
jobs_free (struct cctx *x)
{
  for (size_t i = 0; i < x->njobs; i++)
    {
      free (x->jobs[i].name);
      free (x->jobs[i].uid);
      free (x->jobs[i].start_time);
      free (x->jobs[i].completion_time);
    }
  free (x->jobs);
  x->jobs = NULL;
  x->njobs = 0;
}

/* getJobsToBeReconciled: the Jobs whose controller is this CronJob (by
 * name, as the code matches them). */
static void
jobs_collect (struct cctx *x)
{
  jobs_free (x);
  for (size_t i = 0; i < x->s->len; i++)
    {
      struct store_entry *e = x->s->items[i];
      const struct object_meta *m = object_meta (e->obj);
      const char *kind, *name, *uid;
      struct cjob *j;
      if (e->obj->info->id != KIND_JOB
          || strcmp (m->namespace, x->cj->metadata.namespace) != 0
          || !controller_of (m, &kind, &name, &uid)
          || strcmp (kind, "CronJob") != 0
          || strcmp (name, x->cj->metadata.name) != 0)
        continue;
      x->jobs = reallocarray (x->jobs, x->njobs + 1, sizeof (*x->jobs));
      if (x->jobs == NULL)
        abort ();
      j = &x->jobs[x->njobs++];
      j->name = xstrdup (m->name);
      j->uid = xstrdup (m->uid);
      j->start_time = dup_or_null (k8s_get_str (e->status, "startTime"));
      j->completion_time
          = dup_or_null (k8s_get_str (e->status, "completionTime"));
      j->finished = job_finished (e->status);
    }
}

/* ---- status ---- */

static void
cstatus_read (const struct node *n, struct cstatus *st)
{
  const struct node *active = k8s_get (n, "active");
  memset (st, 0, sizeof (*st));
  st->active = node_new_seq ();
  for (size_t i = 0; active && active->kind == NODE_SEQ && i < active->len; i++)
    node_seq_append (st->active, node_ref (active->items[i]));
  st->last_schedule = dup_or_null (k8s_get_str (n, "lastScheduleTime"));
  st->last_successful = dup_or_null (k8s_get_str (n, "lastSuccessfulTime"));
}

static struct node *
cstatus_encode (const struct cstatus *st)
{
  struct node *n = node_new_map ();
  if (st->active->len)
    node_map_set (n, "active", node_ref (st->active));
  if (st->last_schedule)
    node_map_set_str (n, "lastScheduleTime", st->last_schedule);
  if (st->last_successful)
    node_map_set_str (n, "lastSuccessfulTime", st->last_successful);
  return n;
}

static void
cstatus_free (struct cstatus *st)
{
  node_unref (st->active);
  free (st->last_schedule);
  free (st->last_successful);
  memset (st, 0, sizeof (*st));
}

static ssize_t
active_find (const struct cstatus *st, const char *key, const char *value)
{
  for (size_t i = 0; i < st->active->len; i++)
    {
      const char *v = k8s_get_str (st->active->items[i], key);
      if (v && strcmp (v, value) == 0)
        return (ssize_t)i;
    }
  return -1;
}

/* deleteFromActiveList */
static void
active_remove (struct cstatus *st, const char *uid)
{
  struct node *seq = node_new_seq ();
  for (size_t i = 0; i < st->active->len; i++)
    {
      const char *v = k8s_get_str (st->active->items[i], "uid");
      if (v == NULL || strcmp (v, uid) != 0)
        node_seq_append (seq, node_ref (st->active->items[i]));
    }
  node_unref (st->active);
  st->active = seq;
}

/* getRef: an ObjectReference to the Job, in Go's field order. */
static struct node *
job_ref (const struct object_meta *m)
{
  struct node *r = node_new_map ();
  node_map_set_str (r, "kind", "Job");
  node_map_set_str (r, "namespace", m->namespace);
  node_map_set_str (r, "name", m->name);
  node_map_set_str (r, "uid", m->uid);
  node_map_set_str (r, "apiVersion", "batch/v1");
  node_map_set_str (r, "resourceVersion", m->resource_version);
  return r;
}

/* ---- deleting Jobs ---- */

/* deleteJob: the Job (its pods follow through the Job controller's
 * garbage collection, as with background propagation), its reference in
 * the active list, and the event. */
static int
delete_job (struct cctx *x, const char *name, const char *uid,
            berth_error_t *err)
{
  struct store_entry *removed = NULL;
  if (store_delete (x->s, kind_lookup ("Job"), x->cj->metadata.namespace, name,
                    &removed, err)
      < 0)
    {
      cj_event (x, "Warning", "FailedDelete", "Deleted job: %s",
                berth_error_msg (err));
      return -1;
    }
  store_entry_free (removed);
  active_remove (&x->st, uid);
  cj_event (x, "Normal", "SuccessfulDelete", "Deleted job %s", name);
  return 0;
}

/* byJobStartTime: the oldest first, Jobs without a start last, then by
 * name. */
static int
cmp_start (const void *a, const void *b)
{
  const struct cjob *p = *(struct cjob *const *)a;
  const struct cjob *q = *(struct cjob *const *)b;
  int64_t ps = ts_s (p->start_time), qs = ts_s (q->start_time);
  if (ps < 0 && qs >= 0)
    return 1;
  if (ps >= 0 && qs < 0)
    return -1;
  if (ps == qs)
    return strcmp (p->name, q->name);
  return ps < qs ? -1 : 1;
}

static int
remove_oldest (struct cctx *x, const char *type, const struct opt_int *limit,
               berth_error_t *err)
{
  cleanup_free struct cjob **v = xcalloc (x->njobs + 1, sizeof (*v));
  size_t n = 0;
  if (!limit->set)
    return 0;
  for (size_t i = 0; i < x->njobs; i++)
    if (x->jobs[i].finished && strcmp (x->jobs[i].finished, type) == 0)
      v[n++] = &x->jobs[i];
  if ((int64_t)n <= limit->v)
    return 0;
  qsort (v, n, sizeof (*v), cmp_start);
  for (size_t i = 0; i < n - (size_t)limit->v; i++)
    if (delete_job (x, v[i]->name, v[i]->uid, err) < 0)
      return -1;
  return 1;
}

/* cleanupFinishedJobs */
static int
cleanup_finished (struct cctx *x, berth_error_t *err)
{
  int a, b;
  a = remove_oldest (x, "Complete", &x->cj->spec.successful_jobs_history_limit,
                     err);
  if (a < 0)
    return -1;
  b = remove_oldest (x, "Failed", &x->cj->spec.failed_jobs_history_limit, err);
  if (b < 0)
    return -1;
  if (a || b)
    jobs_collect (x);
  return 0;
}

/* ---- creating the Job ---- */

/* Go's time.RFC3339 of unix time T in zone Z ("Z" for a zero offset). */
static char *
rfc3339_in (const struct tz *z, int64_t t)
{
  struct tz_civil c;
  char *s = NULL;
  tz_to_civil (z, t, &c);
  if (c.offset == 0)
    {
      if (asprintf (&s, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)c.year,
                    c.month, c.day, c.hour, c.minute, c.second)
          < 0)
        abort ();
    }
  else if (asprintf (&s, "%04lld-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                     (long long)c.year, c.month, c.day, c.hour, c.minute,
                     c.second, c.offset < 0 ? '-' : '+', abs (c.offset) / 3600,
                     abs (c.offset) % 3600 / 60)
           < 0)
    abort ();
  return s;
}

/* getJobFromTemplate2 */
static struct object *
job_from_template (struct cctx *x, const struct tz *z, int64_t scheduled,
                   const char *name)
{
  struct node *cn = codec_encode (kind_lookup ("CronJob")->desc, x->cj);
  struct node *tmpl = k8s_get (cn, "spec.jobTemplate");
  struct node *jn = node_new_map (), *meta = node_new_map (), *ann;
  struct node *refs = node_new_seq (), *r = node_new_map ();
  const struct node *labels = k8s_get (tmpl, "metadata.labels");
  const struct node *spec = node_map_get (tmpl, "spec");
  cleanup_free char *stamp = rfc3339_in (z, scheduled);
  struct object *o;

  node_map_set_str (jn, "apiVersion", "batch/v1");
  node_map_set_str (jn, "kind", "Job");
  node_map_set_str (meta, "name", name);
  node_map_set_str (meta, "namespace", x->cj->metadata.namespace);
  if (labels)
    node_map_set (meta, "labels", node_ref ((struct node *)labels));
  ann = node_new_map ();
  {
    const struct node *a = k8s_get (tmpl, "metadata.annotations");
    for (size_t i = 0; a && a->kind == NODE_MAP && i < a->len; i++)
      node_map_set (ann, a->pairs[i].key->text, node_ref (a->pairs[i].value));
  }
  /* CronJobsScheduledAnnotation (GA): the time in the CronJob's zone */
  node_map_set_str (ann, "batch.kubernetes.io/cronjob-scheduled-timestamp",
                    stamp);
  node_map_set (meta, "annotations", ann);
  node_map_set_str (r, "apiVersion", "batch/v1");
  node_map_set_str (r, "kind", "CronJob");
  node_map_set_str (r, "name", x->cj->metadata.name);
  node_map_set_str (r, "uid", x->cj->metadata.uid);
  node_map_set_bool (r, "controller", true);
  node_map_set_bool (r, "blockOwnerDeletion", true);
  node_seq_append (refs, r);
  node_map_set (meta, "ownerReferences", refs);
  node_map_set (jn, "metadata", meta);
  node_map_set (jn, "spec",
                spec ? node_ref ((struct node *)spec) : node_new_map ());
  o = object_from_node ("<cronjob-controller>", jn, "");
  node_unref (jn);
  node_unref (cn);
  return o;
}

static int
create_job (struct cctx *x, const struct tz *z, int64_t scheduled,
            berth_error_t *err)
{
  cleanup_free char *name = NULL;
  struct store_entry *e = NULL;
  enum store_result res;
  struct object *o;
  const char *kind, *cname, *cuid;
  int ret;

  if (asprintf (&name, "%s-%lld", x->cj->metadata.name,
                (long long)(scheduled / 60))
      < 0)
    abort ();
  o = job_from_template (x, z, scheduled, name);
  if (!object_is_valid (o))
    {
      cj_event (x, "Warning", "FailedCreate",
                "Error creating job: Job.batch \"%s\" is invalid: %s: %s", name,
                o->diags.len ? o->diags.items[0].path : "",
                o->diags.len ? o->diags.items[0].msg : "");
      object_free (o);
      return berth_error_make (err, EINVAL, "job %s is invalid", name);
    }
  ret = store_apply (x->s, o, "api", STORE_CREATE_ONLY, NULL, &res, &e, err);
  if (ret == -EEXIST)
    {
      /* created before, with the status update lost (a restart): adopt it
       * into the active list when it is ours */
      berth_error_release (err);
      e = store_get (x->s, kind_lookup ("Job"), x->cj->metadata.namespace,
                     name);
      if (e == NULL
          || !controller_of (object_meta (e->obj), &kind, &cname, &cuid)
          || strcmp (cuid, x->cj->metadata.uid) != 0
          || active_find (&x->st, "uid", object_meta (e->obj)->uid) >= 0)
        return 0;
    }
  else if (ret < 0)
    {
      cj_event (x, "Warning", "FailedCreate", "Error creating job: %s",
                berth_error_msg (err));
      return -1;
    }
  else
    cj_event (x, "Normal", "SuccessfulCreate", "Created job %s", name);
  node_seq_append (x->st.active, job_ref (object_meta (e->obj)));
  free (x->st.last_schedule);
  x->st.last_schedule = k8s_rfc3339 (scheduled * 1000);
  return 0;
}

/* ---- syncCronJob ---- */

static const struct tz *
zone (struct cronjob_controller *cc, const char *name, berth_error_t *err)
{
  struct tz *z = NULL;
  for (size_t i = 0; i < cc->nzones; i++)
    if (strcmp (cc->zones[i].name, name) == 0)
      return cc->zones[i].tz;
  if (tz_load (name, &z, err) < 0)
    return (const struct tz *)-1;
  cc->zones = reallocarray (cc->zones, cc->nzones + 1, sizeof (*cc->zones));
  if (cc->zones == NULL)
    abort ();
  cc->zones[cc->nzones++] = (struct tz_cache){ xstrdup (name), z };
  return z;
}

/* The Jobs against the active list: finished ones leave it, missing ones
 * too, lastSuccessfulTime follows the newest completion. */
static void
reconcile_active (struct cctx *x)
{
  for (size_t i = 0; i < x->njobs; i++)
    {
      struct cjob *j = &x->jobs[i];
      bool found = active_find (&x->st, "uid", j->uid) >= 0;
      if (!found && !j->finished)
        cj_event (x, "Warning", "UnexpectedJob",
                  "Saw a job that the controller did not create or forgot: "
                  "%s",
                  j->name);
      else if (found && j->finished)
        {
          active_remove (&x->st, j->uid);
          cj_event (x, "Normal", "SawCompletedJob",
                    "Saw completed job: %s, status: %s", j->name, j->finished);
        }
      else if (j->finished && strcmp (j->finished, "Complete") == 0
               && j->completion_time
               && (x->st.last_successful == NULL
                   || ts_s (j->completion_time) > ts_s (x->st.last_successful)))
        {
          free (x->st.last_successful);
          x->st.last_successful = xstrdup (j->completion_time);
        }
    }
  for (size_t i = 0; i < x->st.active->len;)
    {
      const char *uid = k8s_get_str (x->st.active->items[i], "uid");
      const char *name = k8s_get_str (x->st.active->items[i], "name");
      bool child = false;
      cleanup_free char *u = uid ? xstrdup (uid) : xstrdup ("");
      for (size_t k = 0; k < x->njobs; k++)
        child = child || strcmp (x->jobs[k].uid, u) == 0;
      if (child)
        {
          i++;
          continue;
        }
      cj_event (x, "Normal", "MissingJob", "Active job went missing: %s",
                name ? name : "");
      active_remove (&x->st, u);
    }
}

/* True the first time the events about UID's schedule time SCHED are due. */
static bool
first_look (struct cronjob_controller *cc, const char *uid, int64_t sched)
{
  for (size_t i = 0; i < cc->nseen; i++)
    if (strcmp (cc->seen[i].uid, uid) == 0)
      {
        bool fresh = cc->seen[i].sched != sched;
        cc->seen[i].sched = sched;
        return fresh;
      }
  cc->seen = reallocarray (cc->seen, cc->nseen + 1, sizeof (*cc->seen));
  if (cc->seen == NULL)
    abort ();
  cc->seen[cc->nseen++] = (struct seen){ xstrdup (uid), sched };
  return true;
}

/* nextScheduleTimeDuration, as an absolute wake-up time in ms. */
static int64_t
next_wake (struct cctx *x, const struct cron_schedule *sch, const struct tz *z)
{
  int64_t earliest = ts_s (x->st.last_schedule), now = x->now / 1000;
  int64_t recent = -1, missed = 0, t;
  berth_error_t err = NULL;
  if (earliest < 0)
    earliest = ts_s (x->cj->metadata.creation_timestamp);
  if (cron_most_recent (sch, z, earliest, now, &recent, &missed, &err) < 0)
    {
      berth_error_release (&err);
      recent = now;
    }
  else if (recent < 0)
    recent = missed == 0 ? earliest : now;
  t = cron_next (sch, z, recent);
  return t < 0 ? -1 : t * 1000 + NEXT_SCHEDULE_DELTA_MS;
}

/* The part of syncCronJob after the active list: is a Job due, and may it
 * start?  Returns the next wake-up time through *NEXT. */
static int
schedule (struct cronjob_controller *cc, struct cctx *x, int64_t *next,
          berth_error_t *err)
{
  const struct cron_job_spec *sp = &x->cj->spec;
  const struct tz *z = NULL;
  cleanup_free char *jname = NULL;
  struct cron_schedule *sch = NULL;
  int64_t earliest, now = x->now / 1000, recent = -1, missed = 0;
  berth_error_t e2 = NULL;
  bool fresh;
  int ret = 0;

  if (sp->time_zone
      && (z = zone (cc, sp->time_zone, &e2)) == (const struct tz *)-1)
    {
      cj_event (x, "Warning", "UnknownTimeZone", "invalid timeZone: \"%s\": %s",
                sp->time_zone, berth_error_msg (&e2));
      berth_error_release (&e2);
      return 0;
    }
  if (sp->suspend.set && sp->suspend.v)
    return 0;
  if (cron_parse (sp->schedule, &sch, &e2) < 0)
    {
      cj_event (x, "Warning", "UnparseableSchedule",
                "unparseable schedule: \"%s\" : %s", sp->schedule,
                berth_error_msg (&e2));
      berth_error_release (&e2);
      return 0;
    }
  earliest = ts_s (x->st.last_schedule);
  if (earliest < 0)
    earliest = ts_s (x->cj->metadata.creation_timestamp);
  if (sp->starting_deadline_seconds.set
      && now - sp->starting_deadline_seconds.v > earliest)
    earliest = now - sp->starting_deadline_seconds.v;
  if (cron_most_recent (sch, z, earliest, now, &recent, &missed, &e2) < 0)
    {
      cj_event (x, "Warning", "InvalidSchedule", "invalid schedule: %s : %s",
                sp->schedule, berth_error_msg (&e2));
      berth_error_release (&e2);
      cron_free (sch);
      return 0;
    }
  *next = next_wake (x, sch, z);
  if (recent < 0)
    goto out;
  fresh = first_look (cc, x->cj->metadata.uid, recent);
  if (missed > 100 && fresh)
    cj_event (x, "Warning", "TooManyMissedTimes",
              "too many missed start times. Set or decrease "
              ".spec.startingDeadlineSeconds or check clock skew");
  if (sp->starting_deadline_seconds.set
      && (recent + sp->starting_deadline_seconds.v) * 1000 < x->now)
    {
      char buf[64];
      time_t t = (time_t)recent;
      struct tm tm;
      gmtime_r (&t, &tm);
      strftime (buf, sizeof (buf), "%a, %d %b %Y %H:%M:%S +0000", &tm);
      if (fresh)
        cj_event (x, "Warning", "MissSchedule",
                  "Missed scheduled time to start a job: %s", buf);
      goto out;
    }
  if (asprintf (&jname, "%s-%lld", x->cj->metadata.name,
                (long long)(recent / 60))
      < 0)
    abort ();
  if (active_find (&x->st, "name", jname) >= 0
      || ts_s (x->st.last_schedule) == recent)
    goto out;
  if (sp->concurrency_policy && strcmp (sp->concurrency_policy, "Forbid") == 0
      && x->st.active->len > 0)
    {
      if (fresh)
        cj_event (x, "Normal", "JobAlreadyActive",
                  "Not starting job because prior execution is running and "
                  "concurrency policy is Forbid");
      goto out;
    }
  if (sp->concurrency_policy && strcmp (sp->concurrency_policy, "Replace") == 0)
    while (x->st.active->len > 0)
      {
        cleanup_free char *n
            = xstrdup (k8s_get_str (x->st.active->items[0], "name"));
        cleanup_free char *u
            = xstrdup (k8s_get_str (x->st.active->items[0], "uid"));
        if (store_get (x->s, kind_lookup ("Job"), x->cj->metadata.namespace, n)
            == NULL)
          {
            cj_event (x, "Warning", "FailedGet",
                      "Get job: jobs.batch \"%s\" not found", n);
            ret = berth_error_make (err, ENOENT, "job %s not found", n);
            goto out;
          }
        if ((ret = delete_job (x, n, u, err)) < 0)
          goto out;
      }
  ret = create_job (x, z, recent, err);
out:
  cron_free (sch);
  return ret;
}

static int
sync_cronjob (struct cronjob_controller *cc, struct store *s,
              struct store_entry *ce, int64_t now, int64_t *next,
              berth_error_t *err)
{
  struct cctx x = { .s = s, .ce = ce, .cj = ce->obj->data, .now = now };
  cleanup_free char *ns = xstrdup (x.cj->metadata.namespace);
  cleanup_free char *name = xstrdup (x.cj->metadata.name);
  int64_t wake = -1;
  int ret;

  cstatus_read (ce->status, &x.st);
  jobs_collect (&x);
  ret = cleanup_finished (&x, err);
  if (ret == 0)
    {
      reconcile_active (&x);
      ret = schedule (cc, &x, &wake, err);
    }
  /* the entry is still there: only Jobs were deleted or created */
  ce = store_get (s, kind_lookup ("CronJob"), ns, name);
  if (ce)
    {
      berth_error_t e2 = NULL;
      if (store_set_status (s, ce, cstatus_encode (&x.st), &e2) < 0 && ret == 0)
        ret = berth_error_make (err, 0, "%s", berth_error_msg (&e2));
      berth_error_release (&e2);
    }
  if (wake >= 0 && (*next < 0 || wake < *next))
    *next = wake;
  cstatus_free (&x.st);
  jobs_free (&x);
  return ret;
}

/* Jobs whose controlling CronJob is gone (background deletion by the
 * garbage collector).  Returns 1 after a deletion. */
static int
collect_orphans (struct store *s, berth_error_t *err)
{
  for (size_t i = 0; i < s->len; i++)
    {
      const struct object_meta *m = object_meta (s->items[i]->obj);
      const char *kind, *name, *uid;
      struct store_entry *ce, *removed = NULL;
      cleanup_free char *ns = NULL, *job = NULL;
      if (s->items[i]->obj->info->id != KIND_JOB
          || !controller_of (m, &kind, &name, &uid)
          || strcmp (kind, "CronJob") != 0)
        continue;
      ce = store_get (s, kind_lookup ("CronJob"), m->namespace, name);
      if (ce && strcmp (object_meta (ce->obj)->uid, uid) == 0)
        continue;
      ns = xstrdup (m->namespace);
      job = xstrdup (m->name);
      if (store_delete (s, kind_lookup ("Job"), ns, job, &removed, err) < 0)
        return -1;
      store_entry_free (removed);
      return 1;
    }
  return 0;
}

/* One sync round's arguments, for store_each_of_kind. */
struct cronjob_sync_round
{
  struct cronjob_controller *cc;
  int64_t now_ms;
  int64_t *next_ms;
};

static int
sync_entry (struct store *s, struct store_entry *ce, void *data,
            berth_error_t *err)
{
  struct cronjob_sync_round *r = data;
  return sync_cronjob (r->cc, s, ce, r->now_ms, r->next_ms, err);
}

static int
cronjob_controller_sync (struct controller *c, struct store *s, int64_t now_ms,
                         int64_t *next_ms, berth_error_t *err)
{
  struct cronjob_sync_round r
      = { (struct cronjob_controller *)c, now_ms, next_ms };
  int ret;
  *next_ms = -1;
  /* the CronJobs of this round (syncing one creates and deletes Jobs) */
  ret = store_each_of_kind (s, kind_lookup ("CronJob"), "cronjob", sync_entry,
                            &r, err);
  if (ret < 0)
    return ret;
  while ((ret = collect_orphans (s, err)) > 0)
    ;
  return ret;
}

static void
cronjob_controller_free (struct controller *c)
{
  struct cronjob_controller *cc = (struct cronjob_controller *)c;
  for (size_t i = 0; i < cc->nzones; i++)
    {
      free (cc->zones[i].name);
      tz_free (cc->zones[i].tz);
    }
  free (cc->zones);
  for (size_t i = 0; i < cc->nseen; i++)
    free (cc->seen[i].uid);
  free (cc->seen);
  free (cc);
}

static const struct controller_ops cronjob_controller_ops = {
  .name = "cronjob-controller",
  .sync = cronjob_controller_sync,
  .free = cronjob_controller_free,
};

struct controller *
cronjob_controller_new (void)
{
  struct cronjob_controller *cc = xcalloc (1, sizeof (*cc));
  cc->base.ops = &cronjob_controller_ops;
  return &cc->base;
}
