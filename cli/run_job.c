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

/* After the grace period of the slowest pod: how long its teardown may
 * take before berth run gives up waiting. */
#define TEARDOWN_SLACK_MS 15000
#define LIVE_MS 1000

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
  struct loop_watcher sync_timer, signals, deadline, live;
  bool pending, tearing_down, said_stopping;
  const char *ending;
  uint64_t events_changed; /* store.events_changed when last printed */
  uint64_t events_rv;      /* the newest event printed */
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

static void print_events (struct rj *r);

/* A round soon.  The pod worker calls it when something happened (a
 * container exited, an OOM kill, a probe result), often with an event
 * just recorded: the events are printed at once. */
static void
wake (void *ctx)
{
  struct rj *r = ctx;
  print_events (r);
  if (!r->pending)
    {
      r->pending = true;
      arm (r, 1);
    }
}

/* ---- the pods ---- */

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

/* The worker's runners (malloc'd, *N of them). */
static const struct pod_runner **
runners (struct rj *r, size_t *n)
{
  const struct pod_runner **v
      = xcalloc (r->worker->n ? r->worker->n : 1, sizeof (*v));
  *n = pod_worker_runners (r->worker, v, r->worker->n);
  return v;
}

static void
sample_all (struct rj *r, bool peak)
{
  size_t n;
  cleanup_free const struct pod_runner **v = runners (r, &n);
  for (size_t i = 0; i < n; i++)
    run_report_sample (v[i], watch_of (r, v[i]->uid), peak);
}

static void
on_live (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct rj *r = w->data;
  int64_t now = loop_wall_ms ();
  size_t n;
  cleanup_free const struct pod_runner **v = runners (r, &n);
  (void)l;
  (void)events;
  for (size_t i = 0; i < n; i++)
    run_report_live (r->out, v[i], watch_of (r, v[i]->uid), now);
}

/* ---- what a round prints ---- */

static uint64_t
event_rv (const struct store_event *ev)
{
  return ev->resource_version ? strtoull (ev->resource_version, NULL, 10) : 0;
}

static int
event_cmp (const void *a, const void *b, void *data)
{
  const struct store *s = data;
  uint64_t x = event_rv (&s->events[*(const size_t *)a]);
  uint64_t y = event_rv (&s->events[*(const size_t *)b]);
  return x < y ? -1 : x > y;
}

/* The events recorded or repeated since the last round, in their order
 * (an event's resourceVersion moves with each repetition). */
static void
print_events (struct rj *r)
{
  size_t idx[STORE_MAX_EVENTS], n = 0;
  uint64_t newest = r->events_rv;
  if (r->store.events_changed == r->events_changed)
    return;
  r->events_changed = r->store.events_changed;
  for (size_t i = 0; i < r->store.nevents; i++)
    {
      uint64_t rv = event_rv (&r->store.events[i]);
      if (rv <= r->events_rv)
        continue;
      idx[n++] = i;
      if (rv > newest)
        newest = rv;
    }
  r->events_rv = newest;
  qsort_r (idx, n, sizeof (idx[0]), event_cmp, &r->store);
  for (size_t k = 0; k < n; k++)
    {
      const struct store_event *ev = &r->store.events[idx[k]];
      cleanup_free char *kind = xstrdup (ev->obj_kind ? ev->obj_kind : "");
      for (char *p = kind; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
          *p = (char)(*p - 'A' + 'a');
      fprintf (r->out, "event: %-7s %-22s %s/%s: %s\n", ev->type, ev->reason,
               kind, ev->obj_name ? ev->obj_name : "", ev->message);
    }
  if (n > 0)
    fflush (r->out);
}

static void
print_pods (struct rj *r)
{
  size_t n;
  cleanup_free const struct pod_runner **v = runners (r, &n);
  for (size_t i = 0; i < n; i++)
    run_report_changes (r->out, v[i], watch_of (r, v[i]->uid));
}

/* A store change: a round soon.  A pod's new status is printed at once
 * (the worker writes it while it drives the pod, before the round ends),
 * with the events recorded until then. */
static int
on_change (struct store *s, const struct store_entry *e, bool deleted,
           void *data, berth_error_t *err)
{
  struct rj *r = data;
  const struct pod_runner *pr;
  (void)s;
  (void)err;
  wake (r);
  if (deleted || e->obj->info->id != KIND_POD)
    return 0;
  pr = pod_worker_runner (r->worker, object_meta (e->obj)->uid);
  if (pr)
    {
      print_events (r);
      run_report_changes (r->out, pr, watch_of (r, pr->uid));
    }
  return 0;
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

/* A Pod of the files, not of a Job. */
static bool
standalone_pod (const struct store_entry *e)
{
  return is_job_pod (e, NULL);
}

static bool
phase_terminal (const struct node *status)
{
  const char *phase = k8s_get_str (status, "phase");
  return phase
         && (strcmp (phase, "Succeeded") == 0 || strcmp (phase, "Failed") == 0);
}

/* Every Job finished and every Pod outside them terminal. */
static bool
all_done (struct rj *r)
{
  for (size_t i = 0; i < r->store.len; i++)
    {
      const struct store_entry *e = r->store.items[i];
      if (e->obj->info->id == KIND_JOB)
        {
          const char *st = job_state (e->status);
          if (strcmp (st, "Complete") != 0 && strcmp (st, "Failed") != 0)
            return false;
        }
      else if (e->obj->info->id == KIND_POD
               && (object_meta (e->obj)->deletion_timestamp
                   || (standalone_pod (e) && !phase_terminal (e->status))))
        return false;
    }
  return true;
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
  /* the cgroups as they are before the worker collects exits and tears
   * finished pods down: the report's final numbers (this changes no
   * status) */
  sample_all (r, true);
  sync_one (&r->worker->base, r, now, &wake_at);
  if (r->jobs)
    sync_one (r->jobs, r, now, &wake_at);
  print_events (r);
  print_pods (r);
  print_jobs (r);
  /* tearing down: until the worker holds no pod (a Job's pod may stay in
   * the store, kept by its finalizer, once it is stopped) */
  if (r->tearing_down ? r->worker->n == 0 : all_done (r))
    {
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
  if (w->signo != SIGINT && w->signo != SIGTERM)
    return;
  if (!r->tearing_down)
    {
      r->ending = "interrupted";
      loop_stop (l, 0);
    }
  else if (!r->said_stopping)
    {
      fprintf (stderr, "berth run: the pods are stopping (their grace "
                       "period, then SIGKILL)\n");
      r->said_stopping = true;
    }
}

static void
on_deadline (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct rj *r = w->data;
  (void)events;
  if (!r->tearing_down)
    r->ending = "stopped at the timeout";
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

static bool
has_jobs (const struct run_job_input *in)
{
  for (size_t i = 0; i < in->n; i++)
    if (in->objects[i]->info->id == KIND_JOB)
      return true;
  return false;
}

static int
setup (struct rj *r, const struct run_job_input *in, berth_error_t *err)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD };
  struct pod_worker_config wc = { 0 };

  r->sync_timer.fd = r->signals.fd = r->deadline.fd = r->live.fd = -1;
  r->loop.epfd = -1;
  store_init (&r->store);
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
  if (has_jobs (in))
    r->jobs = job_controller_new ();
  if (load_objects (r, in, err) < 0)
    return -1;
  r->store.on_change = on_change;
  r->store.change_data = r;
  if (loop_timer_add (&r->loop, &r->sync_timer, 1, 0, on_sync, r, err) < 0)
    return -1;
  r->pending = true;
  if (loop_timer_add (&r->loop, &r->live, LIVE_MS, LIVE_MS, on_live, r, err)
      < 0)
    return -1;
  if (in->timeout_ms > 0
      && loop_timer_add (&r->loop, &r->deadline, in->timeout_ms, 0, on_deadline,
                         r, err)
             < 0)
    return -1;
  return 0;
}

/* The report of the pod of store entry E: text to OUT, and into LIST. */
static void
report_pod (struct rj *r, const struct store_entry *e,
            const struct run_probes *probes, FILE *out, struct node *list)
{
  const char *uid = object_meta (e->obj)->uid;
  const struct pod_runner *pr = pod_worker_runner (r->worker, uid);
  if (pr && list)
    node_seq_append (
        list, run_report_json (pr, watch_of (r, uid), probes, r->ending));
  else if (pr)
    run_report_text (out, pr, watch_of (r, uid), probes, r->ending);
  else if (list)
    {
      /* never started (its runner is gone or never was) */
      struct node *m = node_new_map ();
      node_map_set_str (m, "name", object_name (e->obj));
      node_map_set_str (m, "namespace", object_namespace (e->obj));
      node_map_set_str (m, "uid", uid);
      node_map_set_str (m, "phase",
                        k8s_get_str (e->status, "phase") ?: "Unknown");
      node_map_set_str (m, "ending", r->ending);
      node_seq_append (list, m);
    }
  else
    fprintf (out, "\npod/%s/%s: %s (%s)\n", object_namespace (e->obj),
             object_name (e->obj),
             k8s_get_str (e->status, "phase") ?: "Unknown", r->ending);
}

static void
report_job (struct rj *r, const struct store_entry *e,
            const struct run_probes *probes, FILE *out)
{
  const char *reason = NULL;
  const struct node *cs = k8s_get (e->status, "conditions");
  cleanup_free char *line = job_line (e);
  for (size_t k = 0; cs && cs->kind == NODE_SEQ && k < cs->len; k++)
    {
      const char *t = k8s_get_str (cs->items[k], "type");
      if (t && (strcmp (t, "Complete") == 0 || strcmp (t, "Failed") == 0))
        reason = k8s_get_str (cs->items[k], "reason");
    }
  fprintf (out, "\n%s%s%s%s (%s)\n", line, reason ? " (" : "",
           reason ? reason : "", reason ? ")" : "", r->ending);
  for (size_t k = 0; k < r->store.len; k++)
    if (is_job_pod (r->store.items[k], object_name (e->obj)))
      report_pod (r, r->store.items[k], probes, out, NULL);
}

/* The final report, taken before the pods are deleted: each Pod's
 * attempts, each Job with its conditions and its pods' attempts, into
 * *TEXT; with JSON, the Pods' reports and the Jobs with their status in
 * *LIST instead.  Returns the exit status. */
static int
report (struct rj *r, bool json, char **text, struct node **list)
{
  struct run_probes probes = { 0 };
  cleanup_free char *metrics = NULL;
  size_t len = 0, mlen = 0;
  FILE *out = open_memstream (text, &len);
  int status = 0;

  if (out == NULL)
    abort ();
  *list = json ? node_new_seq () : NULL;
  sample_all (r, true);
  if (r->worker->prober)
    {
      prober_metrics_render (r->worker->prober, &metrics, &mlen);
      run_probes_parse (metrics, &probes);
    }
  for (size_t i = 0; i < r->store.len; i++)
    {
      const struct store_entry *e = r->store.items[i];
      if (standalone_pod (e))
        {
          const char *phase = k8s_get_str (e->status, "phase");
          status |= !phase || strcmp (phase, "Succeeded") != 0;
          report_pod (r, e, &probes, out, *list);
        }
      else if (e->obj->info->id == KIND_JOB)
        {
          status |= strcmp (job_state (e->status), "Complete") != 0;
          if (json)
            node_seq_append (*list, store_entry_encode (e));
          else
            report_job (r, e, &probes, out);
        }
    }
  fclose (out);
  run_probes_free (&probes);
  return status ? 1 : 0;
}

static int64_t
longest_grace_ms (const struct store *s)
{
  int64_t g = 0;
  for (size_t i = 0; i < s->len; i++)
    if (s->items[i]->obj->info->id == KIND_POD)
      {
        const struct pod *p = s->items[i]->obj->data;
        if (p->spec.termination_grace_period_seconds.v > g)
          g = p->spec.termination_grace_period_seconds.v;
      }
  return g * 1000;
}

/* Delete every pod, as `berth delete` does, and run the pod worker alone
 * until it holds none. */
static void
teardown (struct rj *r)
{
  berth_error_t err = NULL;
  int64_t limit_ms = longest_grace_ms (&r->store) + TEARDOWN_SLACK_MS;
  if (r->jobs)
    {
      r->jobs->ops->free (r->jobs);
      r->jobs = NULL;
    }
  r->tearing_down = true;
  loop_watcher_del (&r->live);
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
  loop_watcher_del (&r->deadline);
  if (loop_timer_add (&r->loop, &r->deadline, limit_ms, 0, on_deadline, r, &err)
      < 0)
    berth_error_release (&err);
  wake (r);
  r->loop.stop = false;
  if (loop_run (&r->loop, &err) < 0)
    berth_error_release (&err);
  if (r->worker->n)
    fprintf (stderr, "berth run: %zu pods still stopping after %lld s\n",
             r->worker->n, (long long)(limit_ms / 1000));
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
  loop_watcher_del (&r->live);
  loop_watcher_del (&r->signals);
  r->store.on_change = NULL;
  store_free (&r->store);
  loop_close (&r->loop);
  for (size_t i = 0; i < r->nwatches; i++)
    {
      free (r->watches[i].uid);
      run_watch_free (&r->watches[i].w);
    }
  free (r->watches);
  for (size_t i = 0; i < r->njob_lines; i++)
    free (r->job_lines[i]);
  free (r->job_lines);
  free (r->node_name);
}

int
run_job (const struct run_job_input *in, FILE *out)
{
  struct rj r = { .out = out };
  cleanup_free char *text = NULL;
  struct node *list = NULL;
  berth_error_t err = NULL;
  int status = 1;

  r.ending = has_jobs (in) ? "every job finished" : "every pod finished";
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
  status = report (&r, in->json, &text, &list);
  teardown (&r);
  fputs (text, out);
  fflush (out);
  if (list)
    {
      cleanup_free char *json = NULL;
      size_t len = 0;
      if (node_write_json (list, true, &json, &len, &err) == 0)
        printf ("%s\n", json);
      berth_error_release (&err);
      node_unref (list);
    }
  rj_free (&r);
  return status;
}
