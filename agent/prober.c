/* prober.c - see prober.h.  The worker follows worker.go's doProbe step by
 * step; the comments name the kubelet's rule each branch implements. */
#include "prober.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "k8s_json.h"

#define MAX_PROBE_RETRIES 3 /* prober.go maxProbeRetries */
#define N_BUCKETS 11

/* Prometheus' DefBuckets: the kubelet's histogram sets none. */
static const double buckets[N_BUCKETS]
    = { .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10 };

struct worker
{
  struct prober *p;
  struct worker *next;
  char *pod_uid, *pod_name, *pod_ns, *restart_policy, *container;
  enum probe_kind kind;
  const struct container *ctr;
  const struct probe *spec;
  /* the current instance (containerID) */
  uint64_t instance;
  bool running;
  int64_t started_wall_ms;
  struct probe_target target;
  char *t_net_ns, *t_pod_ip, *t_cgroup, *t_instance_dir;
  /* results.Manager's entry for the instance */
  bool result_set;
  enum probe_result result;
  /* worker.go */
  enum probe_result last_result;
  int result_run;
  bool on_hold, stopped, dead;
  int64_t next_due;
  bool trigger;      /* manualTriggerCh */
  bool tick_pending; /* a tick came while a probe ran */
  void *inflight;
  int attempt;
  int64_t probe_start_ms;
  /* berth's record for the status (prober_status_attach) */
  int64_t transition_wall; /* when the published result last changed */
  int64_t last_probe_wall; /* the last probe that gave a result */
  enum probe_result last_probe;
  uint64_t consecutive; /* results equal to last_probe in a row */
  struct prober_snapshot snap;
  int64_t snap_mono;
  bool snap_valid;
  /* metrics */
  uint64_t total[3]; /* successful, failed, unknown */
  uint64_t bucket[N_BUCKETS], count;
  double sum;
  uint64_t missed; /* periods that passed without a probe of their own */
};

struct prober
{
  struct loop *loop;
  struct prober_callbacks cb;
  struct prober_env env;
  struct probe_runner *runner;
  struct loop_watcher timer;
  int64_t timer_due; /* the deadline the timer is set for (-1: none) */
  int64_t start_ms;
  uint64_t next_instance;
  struct worker *workers;
  int depth; /* > 0 while dispatching: freeing waits */
  unsigned rand_state;
  /* how late the workers' periods were taken up (the loop's delay) */
  uint64_t delay_bucket[N_BUCKETS], delay_count;
  double delay_sum;
};

static char *
xstrdup (const char *s)
{
  char *r = s ? strdup (s) : NULL;
  if (s && r == NULL)
    abort ();
  return r;
}

static char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

const char *
prober_kind_name (enum probe_kind k)
{
  switch (k)
    {
    case PROBE_LIVENESS:
      return "Liveness";
    case PROBE_READINESS:
      return "Readiness";
    default:
      return "Startup";
    }
}

char *
prober_kill_message (enum probe_kind kind, const char *container,
                     bool will_restart)
{
  return xasprintf ("Container %s failed %s probe%s", container,
                    kind == PROBE_STARTUP ? "startup" : "liveness",
                    will_restart ? ", will be restarted" : "");
}

/* ---- the default environment: the loop's clocks, the probe runner ---- */

static int
env_start (void *impl, const struct probe_call *call, probe_done_cb done,
           void *ctx, void **handle, berth_error_t *err)
{
  struct probe_run *run = NULL;
  int ret = probe_run_start (impl, call, done, ctx, &run, err);
  *handle = run;
  return ret;
}

static void
env_cancel (void *impl, void *handle)
{
  (void)impl;
  probe_run_cancel (handle);
}

static int64_t
env_mono (void *impl)
{
  (void)impl;
  return loop_now_ms ();
}

static int64_t
env_wall (void *impl)
{
  (void)impl;
  return loop_wall_ms ();
}

static double
env_random (void *impl)
{
  struct prober *p = impl;
  return (double)rand_r (&p->rand_state) / ((double)RAND_MAX + 1.0);
}

/* ---- probe spec values, defaulted as SetDefaults_Probe ---- */

static int64_t
spec_int (const struct opt_int *v, int64_t def)
{
  return v->set && v->v > 0 ? v->v : def;
}

static int64_t
period_ms (const struct worker *w)
{
  return spec_int (&w->spec->period_seconds, 10) * 1000;
}

static const struct probe *
container_probe (const struct container *c, enum probe_kind k)
{
  switch (k)
    {
    case PROBE_LIVENESS:
      return c->liveness_probe;
    case PROBE_READINESS:
      return c->readiness_probe;
    default:
      return c->startup_probe;
    }
}

/* ---- results ---- */

static void
emit (struct worker *w, const char *type, const char *reason, const char *fmt,
      ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;

  if (w->p->cb.on_event == NULL)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  w->p->cb.on_event (w->p->cb.ctx, w->pod_uid, w->container, type, reason, msg);
}

/* results.Manager.Set: publishes only a change. */
static void
set_result (struct worker *w, enum probe_result r)
{
  if (w->result_set && w->result == r)
    return;
  w->result_set = true;
  w->result = r;
  w->transition_wall = w->p->env.wall_ms (w->p->env.impl);
  w->snap_valid = false; /* a transition shows at once */
  if (w->p->cb.on_result)
    w->p->cb.on_result (w->p->cb.ctx, w->pod_uid, w->container, w->instance,
                        w->kind, r);
}

static enum probe_result
initial_value (enum probe_kind k)
{
  return k == PROBE_READINESS  ? PROBE_RESULT_FAILURE
         : k == PROBE_LIVENESS ? PROBE_RESULT_SUCCESS
                               : PROBE_RESULT_UNKNOWN;
}

static struct worker *
find_worker (const struct prober *p, const char *uid, const char *name,
             enum probe_kind k)
{
  struct worker *w;
  for (w = p->workers; w; w = w->next)
    if (!w->dead && w->kind == k && strcmp (w->pod_uid, uid) == 0
        && strcmp (w->container, name) == 0)
      return w;
  return NULL;
}

static struct worker *
find_instance (const struct prober *p, uint64_t instance, enum probe_kind k)
{
  struct worker *w;
  for (w = p->workers; w; w = w->next)
    if (!w->dead && w->kind == k && w->instance == instance)
      return w;
  return NULL;
}

bool
prober_result (const struct prober *p, uint64_t instance, enum probe_kind kind,
               enum probe_result *out)
{
  const struct worker *w = find_instance (p, instance, kind);
  if (w == NULL || !w->result_set)
    return false;
  *out = w->result;
  return true;
}

static bool
instance_known (const struct prober *p, uint64_t instance)
{
  return instance > 0 && instance < p->next_instance;
}

bool
prober_started (const struct prober *p, uint64_t instance)
{
  const struct worker *w = find_instance (p, instance, PROBE_STARTUP);
  if (w == NULL)
    return instance_known (p, instance);
  return w->running && w->result_set && w->result == PROBE_RESULT_SUCCESS;
}

bool
prober_ready (const struct prober *p, uint64_t instance)
{
  const struct worker *w = find_instance (p, instance, PROBE_READINESS);
  if (!prober_started (p, instance))
    return false;
  if (w == NULL)
    return true;
  return w->running && w->result_set && w->result == PROBE_RESULT_SUCCESS;
}

bool
prober_termination_grace (const struct prober *p, uint64_t instance,
                          enum probe_kind kind, int64_t *seconds)
{
  const struct worker *w = find_instance (p, instance, kind);
  if (w == NULL || !w->spec->termination_grace_period_seconds.set)
    return false;
  *seconds = w->spec->termination_grace_period_seconds.v;
  return true;
}

/* ---- scheduling ---- */

static void
reschedule (struct prober *p)
{
  int64_t next = prober_tick (p), now;
  berth_error_t err = NULL;

  if (p->loop == NULL || !loop_watcher_active (&p->timer))
    return;
  if (next >= 0 && next == p->timer_due)
    return; /* set for it already: most probes end with nothing new due */
  now = p->env.mono_ms (p->env.impl);
  if (loop_timer_set (&p->timer,
                      next < 0     ? 0
                      : next > now ? next - now
                                   : 1,
                      0, &err)
      < 0)
    berth_error_release (&err);
  else
    p->timer_due = next;
}

static void
worker_free (struct worker *w)
{
  free (w->pod_uid);
  free (w->pod_name);
  free (w->pod_ns);
  free (w->restart_policy);
  free (w->container);
  free (w->t_net_ns);
  free (w->t_pod_ip);
  free (w->t_cgroup);
  free (w->t_instance_dir);
  free (w);
}

static void
cancel_inflight (struct worker *w)
{
  if (w->inflight)
    w->p->env.cancel (w->p->env.impl, w->inflight);
  w->inflight = NULL;
}

/* Free the workers marked dead, once nothing is dispatching. */
static void
reap (struct prober *p)
{
  struct worker **pw = &p->workers, *w;

  if (p->depth > 0)
    return;
  while ((w = *pw) != NULL)
    if (w->dead)
      {
        *pw = w->next;
        worker_free (w);
      }
    else
      pw = &w->next;
}

static void probe_done (void *ctx, enum probe_outcome outcome,
                        const char *output, const char *error);

static void
start_probe (struct worker *w)
{
  struct probe_call call = { w->spec, w->ctr, &w->target };
  berth_error_t err = NULL;
  void *h = NULL;

  w->attempt++;
  if (w->p->env.start (w->p->env.impl, &call, probe_done, w, &h, &err) < 0)
    {
      /* An error before the probe ran: what runProbe's errors become. */
      cleanup_free char *msg = xstrdup (berth_error_msg (&err));
      berth_error_release (&err);
      probe_done (w, PROBE_OUT_UNKNOWN, "", msg);
      return;
    }
  w->inflight = h;
}

static bool
instance_started (const struct worker *w)
{
  const struct worker *s;

  if (w->ctr->startup_probe == NULL)
    return true; /* no startup worker has this instance: no search */
  s = find_worker (w->p, w->pod_uid, w->container, PROBE_STARTUP);
  if (s == NULL || s->instance != w->instance)
    return true;
  return s->result_set && s->result == PROBE_RESULT_SUCCESS;
}

/* worker.doProbe up to the probe itself; the rest is in probe_done. */
static void
do_probe (struct worker *w)
{
  int64_t now_wall;

  if (w->instance == 0 || w->on_hold || !w->running)
    return; /* no container yet / on hold until a new one / not running */
  /* Probe disabled for InitialDelaySeconds (whole seconds, truncated). */
  now_wall = w->p->env.wall_ms (w->p->env.impl);
  if ((now_wall - w->started_wall_ms) / 1000
      < spec_int (&w->spec->initial_delay_seconds, 0))
    return;
  /* Startup gates the others; it stops once the container started. */
  if (instance_started (w) != (w->kind != PROBE_STARTUP))
    return;
  w->attempt = 0;
  w->probe_start_ms = w->p->env.mono_ms (w->p->env.impl);
  start_probe (w);
}

static void
observe (struct worker *w, enum probe_result r)
{
  double secs = (double)(w->p->env.mono_ms (w->p->env.impl) - w->probe_start_ms)
                / 1000.0;
  size_t i;

  w->total[r == PROBE_RESULT_SUCCESS ? 0 : r == PROBE_RESULT_FAILURE ? 1 : 2]++;
  w->consecutive = w->last_probe == r ? w->consecutive + 1 : 1;
  w->last_probe = r;
  w->last_probe_wall = w->p->env.wall_ms (w->p->env.impl);
  for (i = 0; i < N_BUCKETS; i++)
    if (secs <= buckets[i])
      w->bucket[i]++;
  w->count++;
  w->sum += secs;
}

/* prober.probe: the outcome of pkg/probe as a result, with its events. */
static int
outcome_result (struct worker *w, enum probe_outcome outcome,
                const char *output, const char *error, enum probe_result *r)
{
  const char *kind = prober_kind_name (w->kind);

  if (error != NULL)
    {
      emit (w, "Warning", "Unhealthy",
            "%s probe errored and resulted in %s state: %s", kind,
            probe_outcome_name (outcome), error);
      return -1; /* Prober error, throw away the result. */
    }
  switch (outcome)
    {
    case PROBE_OUT_SUCCESS:
      *r = PROBE_RESULT_SUCCESS;
      break;
    case PROBE_OUT_WARNING:
      emit (w, "Warning", "ProbeWarning", "%s probe warning: %s", kind, output);
      *r = PROBE_RESULT_SUCCESS;
      break;
    default:
      emit (w, "Warning", "Unhealthy", "%s probe failed: %s", kind, output);
      *r = PROBE_RESULT_FAILURE;
      break;
    }
  return 0;
}

static void
probe_done (void *ctx, enum probe_outcome outcome, const char *output,
            const char *error)
{
  struct worker *w = ctx;
  struct prober *p = w->p;
  enum probe_result r;
  int64_t threshold;
  bool retick = false;

  w->inflight = NULL;
  if (error != NULL && w->attempt < MAX_PROBE_RETRIES)
    {
      start_probe (w); /* runProbeWithRetries */
      return;
    }
  p->depth++;
  if (outcome_result (w, outcome, output ? output : "", error, &r) == 0
      && !w->dead)
    {
      observe (w, r);
      if (w->last_result == r)
        w->result_run++;
      else
        {
          w->last_result = r;
          w->result_run = 1;
        }
      threshold = r == PROBE_RESULT_FAILURE
                      ? spec_int (&w->spec->failure_threshold, 3)
                      : spec_int (&w->spec->success_threshold, 1);
      if (w->result_run >= threshold)
        {
          /* A liveness or startup failure holds the worker until a new
           * instance: it is about to be killed. */
          if (w->kind != PROBE_READINESS && r == PROBE_RESULT_FAILURE)
            {
              w->on_hold = true;
              w->result_run = 0;
            }
          set_result (w, r);
        }
    }
  if (w->tick_pending && !w->dead)
    {
      w->tick_pending = false;
      w->trigger = true; /* the buffered tick runs at once */
    }
  retick = w->trigger && !w->dead; /* or a manual trigger that waited */
  p->depth--;
  reap (p);
  /* Not inside prober_tick (it re-arms itself), and only for a buffered
   * tick or trigger: a probe ending moves no worker's due time, the timer is
   * set for the earliest already (what the callbacks change, they reschedule).
   */
  if (p->depth == 0 && retick)
    reschedule (p);
}

static void
observe_delay (struct prober *p, int64_t late_ms)
{
  double secs = (double)late_ms / 1000.0;

  for (size_t i = 0; i < N_BUCKETS; i++)
    if (secs <= buckets[i])
      p->delay_bucket[i]++;
  p->delay_count++;
  p->delay_sum += secs;
}

int64_t
prober_tick (struct prober *p)
{
  int64_t now = p->env.mono_ms (p->env.impl), next = -1;
  struct worker *w;

  p->depth++;
  for (w = p->workers; w; w = w->next)
    {
      if (w->dead || w->stopped)
        continue;
      if (now >= w->next_due || w->trigger)
        {
          if (now >= w->next_due)
            observe_delay (p, now - w->next_due);
          /* A tick that finds one already buffered is dropped (Go's
           * ticker); so is every tick after the first in a late turn. */
          if (w->inflight)
            {
              w->missed += w->tick_pending && now >= w->next_due;
              w->tick_pending = now >= w->next_due;
            }
          else
            {
              w->trigger = false;
              do_probe (w);
            }
          w->missed += now >= w->next_due
                           ? (uint64_t)((now - w->next_due) / period_ms (w))
                           : 0;
          while (w->next_due <= now)
            w->next_due += period_ms (w);
        }
      if (!w->dead && (next < 0 || w->next_due < next))
        next = w->next_due;
    }
  p->depth--;
  reap (p);
  return next;
}

static void
timer_cb (struct loop *l, struct loop_watcher *tw, uint32_t events)
{
  struct prober *p = tw->data;
  (void)l;
  (void)events;
  p->timer_due = -1;
  reschedule (p);
}

/* ---- the manager ---- */

int
prober_new (struct loop *l, const struct prober_callbacks *cb,
            const struct prober_env *env, struct prober **out,
            berth_error_t *err)
{
  struct prober *p = calloc (1, sizeof (*p));

  if (p == NULL)
    abort ();
  p->loop = l;
  p->cb = *cb;
  p->next_instance = 1;
  p->timer.fd = -1;
  p->timer_due = -1;
  if (env != NULL)
    p->env = *env;
  else
    {
      if (probe_runner_new (l, &p->runner, err) < 0)
        {
          free (p);
          return -1;
        }
      p->rand_state = (unsigned)loop_now_ms () ^ (unsigned)getpid ();
      /* random stays NULL: jitter () draws from the prober's state */
      p->env = (struct prober_env){ env_start, env_cancel, env_mono,
                                    env_wall,  NULL,       p->runner };
    }
  p->start_ms = p->env.mono_ms (p->env.impl);
  if (l != NULL && loop_timer_add (l, &p->timer, 0, 0, timer_cb, p, err) < 0)
    {
      probe_runner_free (p->runner);
      free (p);
      return -1;
    }
  *out = p;
  return 0;
}

static double
jitter (struct prober *p)
{
  if (p->env.random)
    return p->env.random (p->env.impl);
  return env_random (p);
}

void
prober_free (struct prober *p)
{
  struct worker *w;

  if (p == NULL)
    return;
  for (w = p->workers; w; w = w->next)
    {
      cancel_inflight (w);
      w->dead = true;
    }
  p->depth = 0;
  reap (p);
  if (p->loop)
    loop_watcher_del (&p->timer);
  probe_runner_free (p->runner);
  free (p);
}

static struct worker *
worker_new (struct prober *p, const struct prober_pod *pod,
            const struct container *c, enum probe_kind k)
{
  struct worker *w = calloc (1, sizeof (*w));
  int64_t now = p->env.mono_ms (p->env.impl), period;

  if (w == NULL)
    abort ();
  w->p = p;
  w->kind = k;
  w->pod_uid = xstrdup (pod->uid);
  w->pod_name = xstrdup (pod->name ? pod->name : "");
  w->pod_ns = xstrdup (pod->namespace ? pod->namespace : "default");
  w->restart_policy = xstrdup (pod->restart_policy);
  w->container = xstrdup (c->name);
  w->spec = container_probe (c, k);
  w->last_result = PROBE_RESULT_UNKNOWN;
  /* run(): a kubelet that started less than a period ago waits a random
   * part of the period before the first probe. */
  period = period_ms (w);
  w->next_due = now;
  if (period > now - p->start_ms)
    w->next_due += (int64_t)(jitter (p) * (double)period);
  w->next = p->workers;
  p->workers = w;
  return w;
}

static void
set_target (struct worker *w, const struct probe_target *t)
{
  free (w->t_net_ns);
  free (w->t_pod_ip);
  free (w->t_cgroup);
  free (w->t_instance_dir);
  w->t_net_ns = xstrdup (t->net_ns);
  w->t_pod_ip = xstrdup (t->pod_ip);
  w->t_cgroup = xstrdup (t->cgroup_dir);
  w->t_instance_dir = xstrdup (t->instance_dir);
  w->target = (struct probe_target){ w->t_net_ns, w->t_pod_ip, t->pid,
                                     w->t_cgroup, w->t_instance_dir };
}

uint64_t
prober_add_container (struct prober *p, const struct prober_pod *pod,
                      const struct container *c,
                      const struct probe_target *target,
                      int64_t started_at_wall_ms, berth_error_t *err)
{
  uint64_t id;
  int k;

  if (pod == NULL || pod->uid == NULL || c == NULL || c->name == NULL)
    {
      berth_error_make (err, EINVAL, "prober: no pod uid or container name");
      return 0;
    }
  id = p->next_instance++;
  for (k = PROBE_LIVENESS; k <= PROBE_STARTUP; k++)
    {
      struct worker *w;
      if (container_probe (c, k) == NULL)
        continue;
      w = find_worker (p, pod->uid, c->name, k);
      if (w == NULL)
        w = worker_new (p, pod, c, k);
      /* A new container ID: its initial value, and probing resumes. */
      cancel_inflight (w);
      if (w->stopped && w->next_due < p->env.mono_ms (p->env.impl))
        w->next_due = p->env.mono_ms (p->env.impl); /* no backlog */
      w->ctr = c;
      w->spec = container_probe (c, k);
      w->instance = id;
      w->running = true;
      w->stopped = false;
      w->on_hold = false;
      w->tick_pending = false;
      w->started_wall_ms = started_at_wall_ms;
      set_target (w, target);
      w->last_probe = PROBE_RESULT_UNKNOWN; /* this instance's probes */
      w->consecutive = 0;
      w->snap_valid = false;
      if (!w->result_set || w->result != initial_value (k))
        w->transition_wall = p->env.wall_ms (p->env.impl);
      w->result_set = true;
      w->result = initial_value (k);
    }
  reschedule (p);
  return id;
}

void
prober_container_exited (struct prober *p, uint64_t instance)
{
  struct worker *w;

  p->depth++;
  for (w = p->workers; w; w = w->next)
    if (!w->dead && w->instance == instance && w->running)
      {
        cancel_inflight (w);
        w->running = false;
        set_result (w, PROBE_RESULT_FAILURE);
        /* Abort if the container will not be restarted. */
        if (w->restart_policy && strcmp (w->restart_policy, "Never") == 0)
          w->stopped = true;
      }
  p->depth--;
  reap (p);
  reschedule (p);
}

void
prober_pod_terminating (struct prober *p, const char *pod_uid)
{
  struct worker *w;

  p->depth++;
  for (w = p->workers; w; w = w->next)
    if (!w->dead && w->kind != PROBE_READINESS
        && strcmp (w->pod_uid, pod_uid) == 0 && !w->stopped)
      {
        cancel_inflight (w);
        if (w->instance)
          set_result (w, PROBE_RESULT_SUCCESS);
        w->stopped = true;
      }
  p->depth--;
  reap (p);
  reschedule (p);
}

void
prober_remove_pod (struct prober *p, const char *pod_uid)
{
  struct worker *w;

  for (w = p->workers; w; w = w->next)
    if (!w->dead && strcmp (w->pod_uid, pod_uid) == 0)
      {
        cancel_inflight (w);
        w->dead = true;
      }
  reap (p);
  reschedule (p);
}

void
prober_update_pod_status (struct prober *p, const char *pod_uid)
{
  struct worker *w;
  bool any = false;

  for (w = p->workers; w; w = w->next)
    if (!w->dead && !w->stopped && w->kind == PROBE_READINESS && w->running
        && strcmp (w->pod_uid, pod_uid) == 0
        && !(w->result_set && w->result == PROBE_RESULT_SUCCESS))
      any = w->trigger = true;
  if (any)
    reschedule (p);
}

/* ---- berth's status record ---- */

static const char *
result_name (enum probe_result r)
{
  return r == PROBE_RESULT_SUCCESS   ? "Success"
         : r == PROBE_RESULT_FAILURE ? "Failure"
                                     : "Unknown";
}

static void
set_time (struct node *m, const char *key, int64_t wall_ms, bool fraction)
{
  cleanup_free char *ts
      = fraction ? k8s_rfc3339_nano (wall_ms) : k8s_rfc3339 (wall_ms);
  node_map_set_str (m, key, ts);
}

/* The entry named NAME of BERTH's container lists (appended when none). */
static struct node *
status_container (struct node *berth, const char *name)
{
  static const char *const lists[] = { "initContainers", "containers" };
  struct node *seq, *m;

  for (int l = 0; l < 2; l++)
    {
      seq = node_map_get (berth, lists[l]);
      for (size_t i = 0; seq && seq->kind == NODE_SEQ && i < seq->len; i++)
        {
          const struct node *n = node_map_get (seq->items[i], "name");
          if (n && n->kind == NODE_SCALAR && strcmp (n->text, name) == 0)
            return seq->items[i];
        }
    }
  seq = node_map_get (berth, "containers");
  if (seq == NULL || seq->kind != NODE_SEQ)
    {
      seq = node_new_seq ();
      node_map_set (berth, "containers", seq);
    }
  m = node_new_map ();
  node_map_set_str (m, "name", name);
  node_seq_append (seq, m);
  return m;
}

static struct node *
probe_record (struct worker *w, int64_t now)
{
  struct node *m = node_new_map ();
  const struct prober_snapshot *s = &w->snap;

  if (!w->snap_valid || now - w->snap_mono >= PROBER_SNAPSHOT_MS)
    {
      w->snap = (struct prober_snapshot){ w->last_probe_wall, w->last_probe,
                                          w->consecutive, w->total[0],
                                          w->total[1] };
      w->snap_mono = now;
      w->snap_valid = true;
    }
  node_map_set_str (
      m, "result",
      result_name (w->result_set ? w->result : PROBE_RESULT_UNKNOWN));
  if (w->transition_wall > 0)
    set_time (m, "since", w->transition_wall, true);
  if (s->last_probe != PROBE_RESULT_UNKNOWN)
    {
      struct node *lp = node_new_map ();
      node_map_set_str (lp, "result", result_name (s->last_probe));
      set_time (lp, "time", s->last_probe_wall, false);
      node_map_set (m, "lastProbe", lp);
    }
  node_map_set_int (m, "consecutive", (int64_t)s->consecutive);
  node_map_set_int (m, "successes", (int64_t)s->successes);
  node_map_set_int (m, "failures", (int64_t)s->failures);
  return m;
}

void
prober_status_attach (struct prober *p, const char *pod_uid, struct node *berth)
{
  static const char *const keys[] = { "liveness", "readiness", "startup" };
  int64_t now = p->env.mono_ms (p->env.impl);
  struct worker *w;

  for (w = p->workers; w; w = w->next)
    {
      struct node *c, *probes;
      if (w->dead || strcmp (w->pod_uid, pod_uid) != 0)
        continue;
      c = status_container (berth, w->container);
      probes = node_map_get (c, "probes");
      if (probes == NULL || probes->kind != NODE_MAP)
        {
          probes = node_new_map ();
          node_map_set (c, "probes", probes);
        }
      node_map_set (probes, keys[w->kind], probe_record (w, now));
    }
}

/* ---- metrics ---- */

static void
put_label (FILE *f, const char *name, const char *v, bool last)
{
  fprintf (f, "%s=\"", name);
  for (; v && *v; v++)
    if (*v == '\\' || *v == '"')
      fprintf (f, "\\%c", *v);
    else if (*v == '\n')
      fputs ("\\n", f);
    else
      fputc (*v, f);
  fprintf (f, "\"%s", last ? "" : ",");
}

static void
render_totals (const struct prober *p, FILE *f)
{
  static const char *const res[] = { "successful", "failed", "unknown" };
  const struct worker *w;
  int i;

  fputs ("# HELP prober_probe_total [BETA] Cumulative number of a liveness, "
         "readiness or startup probe for a container by result.\n"
         "# TYPE prober_probe_total counter\n",
         f);
  for (w = p->workers; w; w = w->next)
    for (i = 0; i < 3; i++)
      if (!w->dead && w->total[i])
        {
          fputs ("prober_probe_total{", f);
          put_label (f, "container", w->container, false);
          put_label (f, "namespace", w->pod_ns, false);
          put_label (f, "pod", w->pod_name, false);
          put_label (f, "pod_uid", w->pod_uid, false);
          put_label (f, "probe_type", prober_kind_name (w->kind), false);
          put_label (f, "result", res[i], true);
          fprintf (f, "} %llu\n", (unsigned long long)w->total[i]);
        }
}

static void
series_labels (FILE *f, const struct worker *w, bool last)
{
  put_label (f, "container", w->container, false);
  put_label (f, "namespace", w->pod_ns, false);
  put_label (f, "pod", w->pod_name, false);
  put_label (f, "probe_type", prober_kind_name (w->kind), last);
}

/* berth's own: a worker's ticks that got no probe (it was still probing
 * past a whole period, or the loop ran late): 0 when nothing falls behind. */
static void
render_missed (const struct prober *p, FILE *f)
{
  const struct worker *w;

  fputs ("# HELP berth_prober_missed_periods_total Periods of a probe worker "
         "that passed without a probe of their own.\n"
         "# TYPE berth_prober_missed_periods_total counter\n",
         f);
  for (w = p->workers; w; w = w->next)
    if (!w->dead)
      {
        fputs ("berth_prober_missed_periods_total{", f);
        series_labels (f, w, true);
        fprintf (f, "} %llu\n", (unsigned long long)w->missed);
      }
}

/* berth's own: how late the loop took up the workers' periods, one
 * observation per period (a stalled loop shows in the upper buckets). */
static void
render_delay (const struct prober *p, FILE *f)
{
  fputs ("# HELP berth_prober_tick_delay_seconds How late the prober took up "
         "a probe worker's period (the agent loop's delay).\n"
         "# TYPE berth_prober_tick_delay_seconds histogram\n",
         f);
  for (int i = 0; i < N_BUCKETS; i++)
    fprintf (f, "berth_prober_tick_delay_seconds_bucket{le=\"%g\"} %llu\n",
             buckets[i], (unsigned long long)p->delay_bucket[i]);
  fprintf (f,
           "berth_prober_tick_delay_seconds_bucket{le=\"+Inf\"} %llu\n"
           "berth_prober_tick_delay_seconds_sum %.9g\n"
           "berth_prober_tick_delay_seconds_count %llu\n",
           (unsigned long long)p->delay_count, p->delay_sum,
           (unsigned long long)p->delay_count);
}

void
prober_metrics_render (const struct prober *p, char **buf, size_t *len)
{
  const struct worker *w;
  FILE *f = open_memstream (buf, len);
  int i;

  if (f == NULL)
    abort ();
  render_totals (p, f);
  render_missed (p, f);
  render_delay (p, f);
  fputs ("# HELP prober_probe_duration_seconds [ALPHA] Duration in seconds "
         "for a probe response.\n"
         "# TYPE prober_probe_duration_seconds histogram\n",
         f);
  for (w = p->workers; w; w = w->next)
    {
      if (w->dead || w->count == 0)
        continue;
      for (i = 0; i < N_BUCKETS; i++)
        {
          fputs ("prober_probe_duration_seconds_bucket{", f);
          series_labels (f, w, false);
          fprintf (f, "le=\"%g\"} %llu\n", buckets[i],
                   (unsigned long long)w->bucket[i]);
        }
      fputs ("prober_probe_duration_seconds_bucket{", f);
      series_labels (f, w, false);
      fprintf (f, "le=\"+Inf\"} %llu\n", (unsigned long long)w->count);
      fputs ("prober_probe_duration_seconds_sum{", f);
      series_labels (f, w, true);
      fprintf (f, "} %.9g\n", w->sum);
      fputs ("prober_probe_duration_seconds_count{", f);
      series_labels (f, w, true);
      fprintf (f, "} %llu\n", (unsigned long long)w->count);
    }
  fclose (f);
}
