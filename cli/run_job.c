/* run_job.c - see run_job.h.  The rounds are the agent's (agent.c on_sync):
 * every store change schedules one, each controller asks for its next
 * deadline; a round also prints what changed. */
#include "run_job.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "codec.h"
#include "job_controller.h"
#include "k8s_json.h"
#include "loop.h"
#include "pod_worker.h"
#include "run_report.h"
#include "store.h"

/* How long the pods may take to stop at the end (the default grace period
 * and some). */
#define TEARDOWN_MS 45000

struct pod_watch
{
  char *uid;
  struct run_watch w;
};

struct rj
{
  FILE *out;
  struct loop loop;
  struct store store;
  struct pod_worker *worker;
  struct controller *jobs; /* NULL once the run is over */
  struct loop_watcher sync_timer, signals, deadline;
  bool pending, done, tearing_down;
  const char *ending;
  int64_t *event_counts; /* per store event: the count printed */
  struct pod_watch *watches;
  size_t nwatches;
  char **job_lines; /* per Job (store order of the first round): last line */
  size_t njob_lines;
  char *node_name;
};

static void
arm (struct rj *r, int64_t delay_ms)
{
  berth_error_t err = NULL;
  if (loop_timer_set (&r->sync_timer, delay_ms > 0 ? delay_ms : 1, 0, &err) < 0)
    {
      fprintf (stderr, "berth run: sync timer: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
    }
}

static void
wake (void *ctx)
{
  struct rj *r = ctx;
  if (!r->pending)
    {
      r->pending = true;
      arm (r, 1);
    }
}

static int
on_change (struct store *s, const struct store_entry *e, bool deleted,
           void *data, berth_error_t *err)
{
  (void)s;
  (void)e;
  (void)deleted;
  (void)err;
  wake (data);
  return 0;
}

/* ---- what a round prints ---- */

static void
print_events (struct rj *r)
{
  for (size_t i = 0; i < r->store.nevents; i++)
    {
      const struct store_event *ev = &r->store.events[i];
      cleanup_free char *kind = NULL;
      if (ev->count == r->event_counts[i])
        continue;
      r->event_counts[i] = ev->count;
      kind = xstrdup (ev->obj_kind ? ev->obj_kind : "");
      for (char *p = kind; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
          *p = (char)(*p - 'A' + 'a');
      fprintf (r->out, "event: %-7s %-22s %s/%s: %s\n", ev->type, ev->reason,
               kind, ev->obj_name ? ev->obj_name : "", ev->message);
    }
}

static struct run_watch *
watch_of (struct rj *r, const char *uid)
{
  for (size_t i = 0; i < r->nwatches; i++)
    if (strcmp (r->watches[i].uid, uid) == 0)
      return &r->watches[i].w;
  r->watches = reallocarray (r->watches, r->nwatches + 1, sizeof (*r->watches));
  if (r->watches == NULL)
    abort ();
  memset (&r->watches[r->nwatches], 0, sizeof (r->watches[0]));
  r->watches[r->nwatches].uid = xstrdup (uid);
  return &r->watches[r->nwatches++].w;
}

static void
print_pods (struct rj *r)
{
  const struct pod_runner *runners[256];
  size_t n = pod_worker_runners (r->worker, runners, 256);
  for (size_t i = 0; i < n; i++)
    run_report_changes (r->out, runners[i], watch_of (r, runners[i]->uid));
}

static const char *
job_state (const struct node *status)
{
  const struct node *cs = k8s_get (status, "conditions");
  const char *state = "Running";
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    {
      const char *t = k8s_get_str (cs->items[i], "type");
      const char *st = k8s_get_str (cs->items[i], "status");
      if (!t || !st || strcmp (st, "True") != 0)
        continue;
      if (strcmp (t, "Complete") == 0 || strcmp (t, "Failed") == 0)
        return t;
      if (strcmp (t, "Suspended") == 0 || strcmp (t, "FailureTarget") == 0
          || strcmp (t, "SuccessCriteriaMet") == 0)
        state = t;
    }
  return state;
}

static int64_t
status_num (const struct node *status, const char *key)
{
  int64_t v = 0;
  if (!node_as_int64 (k8s_get (status, key), &v, NULL))
    return 0;
  return v;
}

static char *
job_line (const struct store_entry *e)
{
  char *s = NULL;
  const char *ci = k8s_get_str (e->status, "completedIndexes");
  if (asprintf (&s,
                "job/%s/%s: %s, active %lld (ready %lld), succeeded %lld, "
                "failed %lld%s%s",
                object_namespace (e->obj), object_name (e->obj),
                job_state (e->status),
                (long long)status_num (e->status, "active"),
                (long long)status_num (e->status, "ready"),
                (long long)status_num (e->status, "succeeded"),
                (long long)status_num (e->status, "failed"),
                ci && *ci ? ", completed indexes " : "", ci && *ci ? ci : "")
      < 0)
    abort ();
  return s;
}

static void
print_jobs (struct rj *r)
{
  size_t k = 0;
  for (size_t i = 0; i < r->store.len; i++)
    {
      struct store_entry *e = r->store.items[i];
      char *line;
      if (e->obj->info->id != KIND_JOB)
        continue;
      if (k == r->njob_lines)
        {
          r->job_lines = reallocarray (r->job_lines, k + 1, sizeof (char *));
          if (r->job_lines == NULL)
            abort ();
          r->job_lines[r->njob_lines++] = NULL;
        }
      line = job_line (e);
      if (r->job_lines[k] == NULL || strcmp (r->job_lines[k], line) != 0)
        {
          fprintf (r->out, "%s\n", line);
          free (r->job_lines[k]);
          r->job_lines[k] = line;
        }
      else
        free (line);
      k++;
    }
  fflush (r->out);
}

/* Every Job finished and every Pod outside them terminal. */
static bool
all_done (struct rj *r)
{
  for (size_t i = 0; i < r->store.len; i++)
    {
      const struct store_entry *e = r->store.items[i];
      const char *phase;
      if (e->obj->info->id == KIND_JOB)
        {
          const char *st = job_state (e->status);
          if (strcmp (st, "Complete") != 0 && strcmp (st, "Failed") != 0)
            return false;
        }
      else if (e->obj->info->id == KIND_POD)
        {
          phase = k8s_get_str (e->status, "phase");
          if (object_meta (e->obj)->deletion_timestamp
              || (strmap_get (&object_meta (e->obj)->labels,
                              "batch.kubernetes.io/job-name")
                      == NULL
                  && (phase == NULL
                      || (strcmp (phase, "Succeeded") != 0
                          && strcmp (phase, "Failed") != 0))))
            return false;
        }
    }
  return true;
}

static size_t
count_pods (const struct store *s)
{
  size_t n = 0;
  for (size_t i = 0; i < s->len; i++)
    n += s->items[i]->obj->info->id == KIND_POD;
  return n;
}

static void
sync_one (struct controller *c, struct rj *r, int64_t now, int64_t *wake_at)
{
  int64_t next = -1;
  berth_error_t err = NULL;
  if (c->ops->sync (c, &r->store, now, &next, &err) < 0)
    {
      fprintf (stderr, "berth run: %s: %s\n", c->ops->name,
               berth_error_msg (&err));
      berth_error_release (&err);
      if (next < 0 || next > now + 1000)
        next = now + 1000;
    }
  if (next >= 0 && (*wake_at < 0 || next < *wake_at))
    *wake_at = next;
}

static void
on_sync (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct rj *r = w->data;
  int64_t now = loop_wall_ms (), wake_at = -1;
  (void)events;
  r->pending = false;
  sync_one (&r->worker->base, r, now, &wake_at);
  if (r->jobs)
    sync_one (r->jobs, r, now, &wake_at);
  print_events (r);
  print_pods (r);
  print_jobs (r);
  if (r->tearing_down ? count_pods (&r->store) == 0 : all_done (r))
    {
      if (!r->tearing_down)
        r->ending = "every job finished";
      loop_stop (l, 0);
      return;
    }
  if (!r->pending && wake_at >= 0)
    arm (r, wake_at - loop_wall_ms ());
}

static void
on_signal (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct rj *r = w->data;
  (void)events;
  if (w->signo == SIGINT || w->signo == SIGTERM)
    {
      r->ending = "interrupted";
      loop_stop (l, 0);
    }
}

static void
on_deadline (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct rj *r = w->data;
  (void)events;
  r->ending = r->tearing_down ? r->ending : "stopped at the timeout";
  loop_stop (l, 0);
}

/* ---- setup, report, teardown ---- */

static int
load_objects (struct rj *r, const struct run_job_input *in, berth_error_t *err)
{
  for (size_t i = 0; i < in->n; i++)
    {
      struct node *n = object_encode (in->objects[i]);
      struct object *o = object_from_node (in->objects[i]->file, n, "");
      enum store_result res;
      node_unref (n);
      if (store_apply (&r->store, o, "api", STORE_UPSERT, NULL, &res, NULL, err)
          < 0)
        return -1;
    }
  return 0;
}

static int
setup (struct rj *r, const struct run_job_input *in, berth_error_t *err)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD };
  struct pod_worker_config wc = { 0 };

  r->sync_timer.fd = r->signals.fd = r->deadline.fd = -1;
  r->loop.epfd = -1;
  store_init (&r->store);
  r->event_counts = xcalloc (STORE_MAX_EVENTS, sizeof (int64_t));
  if ((r->node_name = agent_node_name (NULL, err)) == NULL)
    return -1;
  if (loop_init (&r->loop, err) < 0)
    return -1;
  if (loop_signal_add (&r->loop, &r->signals, sigs, 3, on_signal, r, err) < 0)
    return -1;
  r->store.node_name = r->node_name;
  r->store.graceful_pods = true;
  wc.runner = *in->cfg;
  wc.loop = &r->loop;
  wc.store = &r->store;
  wc.wake = wake;
  wc.wake_ctx = r;
  if (pod_worker_new (&wc, &r->worker, err) < 0)
    return -1;
  r->jobs = job_controller_new ();
  if (load_objects (r, in, err) < 0)
    return -1;
  r->store.on_change = on_change;
  r->store.change_data = r;
  if (loop_timer_add (&r->loop, &r->sync_timer, 1, 0, on_sync, r, err) < 0)
    return -1;
  r->pending = true;
  if (in->timeout_ms > 0
      && loop_timer_add (&r->loop, &r->deadline, in->timeout_ms, 0, on_deadline,
                         r, err)
             < 0)
    return -1;
  return 0;
}

static bool
is_job_pod (const struct store_entry *e, const char *job)
{
  const char *v;
  if (e->obj->info->id != KIND_POD)
    return false;
  v = strmap_get (&object_meta (e->obj)->labels,
                  "batch.kubernetes.io/job-name");
  return job ? v && strcmp (v, job) == 0 : v == NULL;
}

static void
report_pod (struct rj *r, const struct store_entry *e)
{
  const struct pod_runner *pr
      = pod_worker_runner (r->worker, object_meta (e->obj)->uid);
  if (pr)
    run_report_text (r->out, pr, r->ending);
  else
    fprintf (r->out, "pod/%s/%s: %s\n", object_namespace (e->obj),
             object_name (e->obj),
             k8s_get_str (e->status, "phase") ?: "Unknown");
}

/* The final report: each Job with its conditions, then its pods'
 * attempts; JSON: the Jobs with their status. */
static int
report (struct rj *r, bool json)
{
  struct node *list = node_new_seq ();
  int status = 0;
  for (size_t i = 0; i < r->store.len; i++)
    {
      const struct store_entry *e = r->store.items[i];
      const char *reason = NULL;
      const struct node *cs;
      if (e->obj->info->id == KIND_POD && is_job_pod (e, NULL))
        {
          const char *phase = k8s_get_str (e->status, "phase");
          status |= !phase || strcmp (phase, "Succeeded") != 0;
          report_pod (r, e);
          continue;
        }
      if (e->obj->info->id != KIND_JOB)
        continue;
      node_seq_append (list, store_entry_encode (e));
      status |= strcmp (job_state (e->status), "Complete") != 0;
      cs = k8s_get (e->status, "conditions");
      for (size_t k = 0; cs && cs->kind == NODE_SEQ && k < cs->len; k++)
        {
          const char *t = k8s_get_str (cs->items[k], "type");
          if (t && (strcmp (t, "Complete") == 0 || strcmp (t, "Failed") == 0))
            reason = k8s_get_str (cs->items[k], "reason");
        }
      {
        cleanup_free char *line = job_line (e);
        fprintf (r->out, "%s%s%s%s (%s)\n", line, reason ? " (" : "",
                 reason ? reason : "", reason ? ")" : "", r->ending);
      }
      for (size_t k = 0; k < r->store.len; k++)
        if (is_job_pod (r->store.items[k], object_name (e->obj)))
          report_pod (r, r->store.items[k]);
    }
  if (json)
    {
      cleanup_free char *text = NULL;
      size_t len = 0;
      berth_error_t err = NULL;
      if (node_write_json (list, true, &text, &len, &err) == 0)
        printf ("%s\n", text);
      berth_error_release (&err);
    }
  node_unref (list);
  return status ? 1 : 0;
}

/* Delete every pod and run the pod worker alone until they are gone. */
static void
teardown (struct rj *r)
{
  berth_error_t err = NULL;
  if (r->jobs)
    {
      r->jobs->ops->free (r->jobs);
      r->jobs = NULL;
    }
  r->tearing_down = true;
  for (size_t i = 0; i < r->store.len; i++)
    {
      struct store_entry *e = r->store.items[i], *removed = NULL;
      if (e->obj->info->id != KIND_POD
          || object_meta (e->obj)->deletion_timestamp)
        continue;
      if (store_delete (&r->store, e->obj->info, object_namespace (e->obj),
                        object_name (e->obj), &removed, &err)
          < 0)
        berth_error_release (&err);
      store_entry_free (removed);
    }
  if (count_pods (&r->store) == 0)
    return;
  loop_watcher_del (&r->deadline);
  if (loop_timer_add (&r->loop, &r->deadline, TEARDOWN_MS, 0, on_deadline, r,
                      &err)
      < 0)
    berth_error_release (&err);
  wake (r);
  r->loop.stop = false;
  if (loop_run (&r->loop, &err) < 0)
    berth_error_release (&err);
  if (count_pods (&r->store))
    fprintf (stderr, "berth run: %zu pods still stopping after %d s\n",
             count_pods (&r->store), TEARDOWN_MS / 1000);
}

static void
rj_free (struct rj *r)
{
  if (r->jobs)
    r->jobs->ops->free (r->jobs);
  if (r->worker)
    r->worker->base.ops->free (&r->worker->base);
  loop_watcher_del (&r->sync_timer);
  loop_watcher_del (&r->deadline);
  loop_watcher_del (&r->signals);
  r->store.on_change = NULL;
  store_free (&r->store);
  loop_close (&r->loop);
  for (size_t i = 0; i < r->nwatches; i++)
    free (r->watches[i].uid);
  free (r->watches);
  for (size_t i = 0; i < r->njob_lines; i++)
    free (r->job_lines[i]);
  free (r->job_lines);
  free (r->event_counts);
  free (r->node_name);
}

int
run_job (const struct run_job_input *in, FILE *out)
{
  struct rj r = { .out = out, .ending = "every job finished" };
  berth_error_t err = NULL;
  int status = 1;

  if (setup (&r, in, &err) < 0)
    {
      fprintf (stderr, "berth run: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      rj_free (&r);
      return 1;
    }
  if (loop_run (&r.loop, &err) < 0)
    {
      fprintf (stderr, "berth run: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
    }
  status = report (&r, in->json);
  teardown (&r);
  rj_free (&r);
  return status;
}
