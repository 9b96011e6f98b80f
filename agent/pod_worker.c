/* pod_worker.c - see pod_worker.h. */
#include "pod_worker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "manifest.h"
#include "oom_watch.h"
#include "pod_stats.h"
#include "k8s_json.h"
#include "pod_runner_state.h"
#include "pod_hooks.h"
#include "pod_status.h"
#include "volumes.h"

/* Watchers of one container: its monitor's pidfd, its OOM watch. */
struct ctr_watch
{
  struct worker_pod *wp;
  struct loop_watcher pid_w, oom_w;
  int pidfd;
  char *instance_dir;       /* the instance the pidfd is about */
  uint64_t probe_instance;  /* the prober's id of the running instance */
  char *probe_dir;          /* ... and its instance dir */
  int64_t kill_deadline_ms; /* a probe-failure kill: SIGKILL then */
  char *kill_dir;           /* ... of this instance */
  struct hook_run *hook;    /* a postStart or preStop hook running */
  char *post_start_dir;     /* the instance whose postStart was run */
};

struct worker_pod
{
  struct pod_worker *w;
  char *uid, *ns, *name;
  struct object *obj; /* private copy: the runner points into it */
  struct runner_config cfg;
  struct pod_runner r;
  struct ctr_watch *watch; /* r.n of them */
  bool orphan;             /* no longer in the store (a new uid, or gone) */
  bool killing, sigkilled, torn_down;
  bool deadline_exceeded; /* killed for activeDeadlineSeconds: stays */
  int64_t kill_deadline_ms;
  int64_t start_ms; /* status.startTime, for activeDeadlineSeconds */
  char *saved_state;
  int64_t sampled_ms; /* the last pod_runner_sample (wall clock) */
  bool dirty;         /* something happened to it: drive it in the next round */
  bool teardown_due;  /* terminal, its status written: tear down next round */
  int64_t due_ms;     /* ... or then (wall clock; -1: nothing due) */
};

static void worker_log (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static void
worker_log (const char *fmt, ...)
{
  va_list ap;
  fputs ("berth agent: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

/* ---- the node ---- */

void
pod_worker_node_capacity (struct cgroup_node_config *node)
{
  struct sysinfo si;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN);
  cleanup_file FILE *f = fopen ("/proc/sys/kernel/pid_max", "re");
  long long pid_max = 0;

  cgroup_node_config_init (node);
  node->cpu_capacity_milli = (cpus > 0 ? cpus : 1) * 1000;
  if (sysinfo (&si) == 0)
    node->memory_capacity = (int64_t)si.totalram * si.mem_unit;
  if (f && fscanf (f, "%lld", &pid_max) == 1 && pid_max > 0)
    node->pids_capacity = pid_max;
}

char *
pod_worker_default_host_ip (void)
{
  cleanup_file FILE *f = fopen ("/proc/net/route", "re");
  char line[512], ifname[IF_NAMESIZE + 1] = "";
  struct ifaddrs *ifa = NULL;
  char *ip = NULL;

  while (f && fgets (line, sizeof line, f))
    {
      char name[64];
      unsigned long dest;
      if (sscanf (line, "%63s %lx", name, &dest) == 2 && dest == 0)
        {
          if (strlen (name) < sizeof ifname)
            memcpy (ifname, name, strlen (name) + 1);
          break;
        }
    }
  if (getifaddrs (&ifa) < 0)
    return NULL;
  for (struct ifaddrs *i = ifa; i && ip == NULL; i = i->ifa_next)
    {
      char buf[INET_ADDRSTRLEN];
      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET
          || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
        continue;
      if (*ifname && strcmp (i->ifa_name, ifname) != 0)
        continue;
      if (inet_ntop (AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
                     buf, sizeof buf))
        ip = xstrdup (buf);
    }
  freeifaddrs (ifa);
  return ip;
}

/* ---- events ---- */

static void
on_runner_event (void *ctx, const char *type, const char *reason,
                 const char *object, const char *message)
{
  struct worker_pod *wp = ctx;
  (void)object;
  store_event (wp->w->cfg.store, type, reason, "Pod", wp->ns, wp->name, wp->uid,
               message);
}

/* ---- watchers ---- */

static void
wake (struct pod_worker *w)
{
  if (w->cfg.wake)
    w->cfg.wake (w->cfg.wake_ctx);
}

/* Something happened to WP: a round soon, which drives it. */
static void
wake_pod (struct worker_pod *wp)
{
  wp->dirty = true;
  wake (wp->w);
}

static void
unwatch_pid (struct ctr_watch *cw)
{
  loop_watcher_del (&cw->pid_w);
  if (cw->pidfd >= 0)
    close (cw->pidfd);
  cw->pidfd = -1;
  free (cw->instance_dir);
  cw->instance_dir = NULL;
}

/* The monitor is gone: its status file has the exit. */
static void
on_monitor_exit (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct ctr_watch *cw = w->data;
  (void)l;
  (void)events;
  unwatch_pid (cw);
  wake_pod (cw->wp);
}

static void
on_oom_event (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct ctr_watch *cw = w->data;
  (void)l;
  (void)events;
  pod_runner_sample (&cw->wp->r);
  cw->wp->sampled_ms = loop_wall_ms ();
  wake_pod (cw->wp);
}

static void unprobe (struct pod_worker *w, struct ctr_watch *cw);
static bool run_hook (struct worker_pod *wp, size_t i, enum hook_kind kind,
                      int64_t timeout_s);
static void probe_instance (struct worker_pod *wp, struct runner_container *c,
                            struct ctr_watch *cw);

static void
rewatch (struct worker_pod *wp)
{
  struct loop *loop = wp->w->cfg.loop;
  for (size_t i = 0; i < wp->r.n; i++)
    {
      struct runner_container *c = &wp->r.c[i];
      struct ctr_watch *cw = &wp->watch[i];
      bool want = !wp->torn_down && c->now.st.state == CSTATE_RUNNING
                  && c->instance_dir;
      berth_error_t err = NULL;

      if (cw->pidfd >= 0
          && (!want || strcmp (cw->instance_dir, c->instance_dir) != 0))
        unwatch_pid (cw);
      if (want && cw->pidfd < 0)
        {
          int fd = container_monitor_pidfd (c->instance_dir, &err);
          if (fd < 0)
            {
              /* exited meanwhile: collect it in the next round */
              berth_error_release (&err);
              wake_pod (wp);
            }
          else if (loop_io_add (loop, &cw->pid_w, fd, EPOLLIN, on_monitor_exit,
                                cw, &err)
                   < 0)
            {
              worker_log ("%s: watch %s: %s", wp->r.ref, c->spec->name,
                          berth_error_msg (&err));
              berth_error_release (&err);
              close (fd);
            }
          else
            {
              cw->pidfd = fd;
              cw->instance_dir = xstrdup (c->instance_dir);
            }
        }
      if (want && !wp->killing && c->spec->lifecycle
          && c->spec->lifecycle->post_start
          && (cw->post_start_dir == NULL
              || strcmp (cw->post_start_dir, c->instance_dir) != 0))
        {
          free (cw->post_start_dir);
          cw->post_start_dir = xstrdup (c->instance_dir);
          if (!run_hook (wp, i, HOOK_POST_START, 0))
            {
              pod_runner_post_start_done (&wp->r, c);
              wake_pod (wp);
            }
        }
      else if (wp->r.post_start_wait == c && (!want || wp->killing))
        pod_runner_post_start_done (&wp->r, c);
      if (want)
        probe_instance (wp, c, cw);
      else if (cw->probe_instance)
        unprobe (wp->w, cw);
      if (cw->probe_instance)
        {
          c->probe_started = prober_started (wp->w->prober, cw->probe_instance);
          c->probe_ready = prober_ready (wp->w->prober, cw->probe_instance);
        }
      if (c->oom && !wp->torn_down && !loop_watcher_active (&cw->oom_w)
          && loop_io_add (loop, &cw->oom_w, oom_watch_fd (c->oom), EPOLLIN,
                          on_oom_event, cw, &err)
                 < 0)
        berth_error_release (&err);
    }
}

static void
unprobe (struct pod_worker *w, struct ctr_watch *cw)
{
  if (cw->probe_instance && w->prober)
    prober_container_exited (w->prober, cw->probe_instance);
  cw->probe_instance = 0;
  free (cw->probe_dir);
  cw->probe_dir = NULL;
}

/* Where an exec or httpGet of container C goes (its running instance). */
static bool
instance_target (struct worker_pod *wp, const struct runner_container *c,
                 struct probe_target *target, char **started_at)
{
  struct container_status st = { 0 };
  berth_error_t err = NULL;
  if (c->instance_dir == NULL
      || container_status_read (c->instance_dir, &st, &err) < 0)
    {
      berth_error_release (&err);
      return false;
    }
  memset (target, 0, sizeof (*target));
  target->net_ns = wp->r.sandbox ? wp->r.sandbox->net_ns : NULL;
  target->pod_ip = wp->r.sandbox ? wp->r.sandbox->ip : NULL;
  if (wp->r.pod->spec.host_network.v)
    target->pod_ip = wp->w->host_ip; /* the pod's IP is the node's */
  target->pid = st.pid;
  target->cgroup_dir = c->cgroup_dir;
  target->instance_dir = c->instance_dir;
  if (started_at)
    *started_at = st.started_at ? xstrdup (st.started_at) : NULL;
  container_status_free (&st);
  return true;
}

/* Kill one instance with GRACE seconds, SIGKILL after (drive checks). */
static void
kill_instance (struct worker_pod *wp, size_t i, int64_t grace)
{
  struct runner_container *c = &wp->r.c[i];
  struct ctr_watch *cw = &wp->watch[i];
  berth_error_t err = NULL;
  if (container_kill (c->instance_dir, grace > 0 ? 0 : SIGKILL, &err) < 0)
    {
      worker_log ("%s: kill %s: %s", wp->r.ref, c->spec->name,
                  berth_error_msg (&err));
      berth_error_release (&err);
    }
  cw->kill_deadline_ms = loop_wall_ms () + (grace > 0 ? grace : 0) * 1000;
  free (cw->kill_dir);
  cw->kill_dir = xstrdup (c->instance_dir);
}

/* A running instance with probes: its prober workers point at it. */
static void
probe_instance (struct worker_pod *wp, struct runner_container *c,
                struct ctr_watch *cw)
{
  struct pod_worker *w = wp->w;
  struct probe_target target = { 0 };
  struct prober_pod pod
      = { wp->uid, wp->name, wp->ns, wp->r.pod->spec.restart_policy };
  cleanup_free char *started_at = NULL;
  berth_error_t err = NULL;
  time_t started = 0;

  if (cw->probe_instance && cw->probe_dir
      && strcmp (cw->probe_dir, c->instance_dir) == 0)
    return;
  unprobe (w, cw);
  if (w->prober == NULL
      || (!c->spec->liveness_probe && !c->spec->readiness_probe
          && !c->spec->startup_probe))
    return;
  if (!instance_target (wp, c, &target, &started_at))
    return;
  k8s_rfc3339_parse (started_at, &started);
  cw->probe_instance = prober_add_container (w->prober, &pod, c->spec, &target,
                                             (int64_t)started * 1000, &err);
  if (cw->probe_instance == 0)
    {
      worker_log ("%s: probes of %s: %s", wp->r.ref, c->spec->name,
                  berth_error_msg (&err));
      berth_error_release (&err);
      return;
    }
  cw->probe_dir = xstrdup (c->instance_dir);
}

static void
unwatch_all (struct worker_pod *wp)
{
  for (size_t i = 0; wp->watch && i < wp->r.n; i++)
    {
      unwatch_pid (&wp->watch[i]);
      loop_watcher_del (&wp->watch[i].oom_w);
      unprobe (wp->w, &wp->watch[i]);
      hook_cancel (wp->watch[i].hook);
      wp->watch[i].hook = NULL;
      free (wp->watch[i].kill_dir);
      free (wp->watch[i].post_start_dir);
      wp->watch[i].kill_dir = wp->watch[i].post_start_dir = NULL;
      wp->watch[i].kill_deadline_ms = 0;
    }
}

/* ---- lifecycle hooks ---- */

static void on_hook_done (void *ctx, enum hook_kind kind, bool ok,
                          const char *message);

static bool
run_hook (struct worker_pod *wp, size_t i, enum hook_kind kind,
          int64_t timeout_s)
{
  struct runner_container *c = &wp->r.c[i];
  struct ctr_watch *cw = &wp->watch[i];
  const struct lifecycle *lc = c->spec->lifecycle;
  const struct lifecycle_handler *h
      = lc ? (kind == HOOK_POST_START ? lc->post_start : lc->pre_stop) : NULL;
  struct probe_target target;
  berth_error_t err = NULL;

  if (h == NULL || wp->w->hooks == NULL || cw->hook
      || !instance_target (wp, c, &target, NULL))
    return false;
  cw->hook = hook_start (wp->w->cfg.loop, wp->w->hooks, kind, h, c->spec,
                         &target, timeout_s, on_hook_done, cw, &err);
  if (cw->hook == NULL && err)
    {
      worker_log ("%s: %s of %s: %s", wp->r.ref, hook_name (kind),
                  c->spec->name, berth_error_msg (&err));
      berth_error_release (&err);
    }
  return cw->hook != NULL;
}

static void
on_hook_done (void *ctx, enum hook_kind kind, bool ok, const char *message)
{
  struct ctr_watch *cw = ctx;
  struct worker_pod *wp = cw->wp;
  size_t i = (size_t)(cw - wp->watch);
  struct runner_container *c = &wp->r.c[i];
  const struct pod_spec *ps = &wp->r.pod->spec;
  berth_error_t err = NULL;

  cw->hook = NULL;
  if (kind == HOOK_POST_START)
    {
      /* the pod's next container may start now */
      pod_runner_post_start_done (&wp->r, c);
      wake_pod (wp);
    }
  if (kind == HOOK_POST_START && !ok)
    {
      char msg[300];
      on_runner_event (wp, "Warning", "FailedPostStartHook", c->spec->name,
                       message);
      snprintf (msg, sizeof msg, "FailedPostStartHook");
      on_runner_event (wp, "Normal", "Killing", c->spec->name, msg);
      if (c->now.st.state == CSTATE_RUNNING && c->instance_dir)
        kill_instance (wp, i, ps->termination_grace_period_seconds.v);
    }
  else if (kind == HOOK_PRE_STOP)
    {
      if (!ok)
        on_runner_event (wp, "Warning", "FailedPreStopHook", c->spec->name,
                         message);
      /* the stop signal now, with at least 2 s before SIGKILL */
      if (c->now.st.state == CSTATE_RUNNING && c->instance_dir
          && container_kill (c->instance_dir, 0, &err) < 0)
        berth_error_release (&err);
      if (wp->kill_deadline_ms < loop_wall_ms () + 2000)
        wp->kill_deadline_ms = loop_wall_ms () + 2000;
    }
  wake_pod (wp);
}

/* ---- pods ---- */

static const char *
meta_ns (const struct object *o)
{
  const char *ns = object_namespace (o);
  return ns ? ns : "default";
}

static struct worker_pod *
find_pod (const struct pod_worker *w, const char *uid)
{
  for (size_t i = 0; i < w->n; i++)
    if (!w->pods[i]->orphan && strcmp (w->pods[i]->uid, uid) == 0)
      return w->pods[i];
  return NULL;
}

/* A previous pod of the same name still being killed: a static pod whose
 * file changed starts again only once the old one is gone. */
static bool
predecessor_running (const struct pod_worker *w, const char *ns,
                     const char *name)
{
  for (size_t i = 0; i < w->n; i++)
    if (w->pods[i]->orphan && !w->pods[i]->torn_down
        && strcmp (w->pods[i]->ns, ns) == 0
        && strcmp (w->pods[i]->name, name) == 0)
      return true;
  return false;
}

static void
worker_pod_free (struct worker_pod *wp)
{
  unwatch_all (wp);
  if (wp->w->prober)
    prober_remove_pod (wp->w->prober, wp->uid);
  pod_runner_free (&wp->r);
  object_free (wp->obj);
  free (wp->watch);
  free (wp->uid);
  free (wp->ns);
  free (wp->name);
  free (wp->saved_state);
  free (wp);
}

static void
refresh_refs (struct pod_worker *w, struct worker_pod *wp)
{
  wp->cfg.config_maps = w->cms;
  wp->cfg.n_config_maps = w->n_cms;
  wp->cfg.secrets = w->secrets;
  wp->cfg.n_secrets = w->n_secrets;
  wp->cfg.services = w->services;
  wp->cfg.n_services = w->n_services;
  wp->cfg.admitted = w->admitted;
  wp->cfg.n_admitted = w->n_admitted;
}

/* Start running the stored pod E: afresh, or adopting what a previous
 * agent left (runner.json). */
static struct worker_pod *
adopt_or_start (struct pod_worker *w, const struct store_entry *e)
{
  struct worker_pod *wp = xcalloc (1, sizeof (*wp));
  struct node *enc = object_encode (e->obj), *saved = NULL;
  berth_error_t err = NULL;
  int ret;

  wp->w = w;
  wp->dirty = true;
  wp->due_ms = -1;
  wp->uid = xstrdup (object_meta (e->obj)->uid);
  wp->ns = xstrdup (meta_ns (e->obj));
  wp->name = xstrdup (object_name (e->obj));
  wp->obj = object_from_node ("<store>", enc, "");
  node_unref (enc);
  {
    const struct node *st = node_map_get (e->status, "startTime");
    time_t t = 0;
    wp->start_ms
        = st && st->kind == NODE_SCALAR && k8s_rfc3339_parse (st->text, &t) == 0
              ? (int64_t)t * 1000
              : loop_wall_ms ();
  }
  wp->cfg = w->cfg.runner;
  wp->cfg.host_ip = w->host_ip;
  wp->cfg.event = on_runner_event;
  wp->cfg.event_ctx = wp;
  wp->cfg.post_start_gates = w->hooks != NULL;
  refresh_refs (w, wp);
  if (pod_runner_state_load (w->cfg.runner.root, wp->uid, &saved, &err) == 0)
    {
      pod_runner_init (&wp->r, &wp->cfg, wp->obj->data);
      pod_runner_state_restore (&wp->r, saved);
      node_unref (saved);
      ret = wp->r.terminal ? 0 : pod_runner_setup (&wp->r, true, &err);
      wp->torn_down = wp->r.terminal;
    }
  else
    {
      berth_error_release (&err);
      ret = pod_runner_start (&wp->r, &wp->cfg, wp->obj->data, &err);
    }
  if (ret < 0)
    {
      worker_log ("%s: %s", wp->r.ref, berth_error_msg (&err));
      berth_error_release (&err);
    }
  wp->watch = xcalloc (wp->r.n ? wp->r.n : 1, sizeof (*wp->watch));
  for (size_t i = 0; i < wp->r.n; i++)
    {
      wp->watch[i].wp = wp;
      wp->watch[i].pidfd = -1;
      wp->watch[i].pid_w.fd = wp->watch[i].oom_w.fd = -1;
      /* an adopted container ran its postStart under the last agent */
      if (wp->r.sandbox_adopted && wp->r.c[i].now.st.state == CSTATE_RUNNING
          && wp->r.c[i].instance_dir)
        wp->watch[i].post_start_dir = xstrdup (wp->r.c[i].instance_dir);
    }
  if (w->n == w->cap)
    {
      w->cap = w->cap ? w->cap * 2 : 16;
      w->pods = reallocarray (w->pods, w->cap, sizeof (*w->pods));
      if (w->pods == NULL)
        abort ();
    }
  w->pods[w->n++] = wp;
  return wp;
}

/* killPod: the stop signal to every running container now, SIGKILL at
 * the end of GRACE seconds. */
static void
begin_kill (struct worker_pod *wp, int64_t grace, int64_t now)
{
  if (wp->killing)
    return;
  wp->killing = true;
  wp->dirty = true;
  wp->r.stopping = true;
  if (wp->w->prober)
    prober_pod_terminating (wp->w->prober, wp->uid);
  wp->kill_deadline_ms = now + (grace > 0 ? grace : 0) * 1000;
  for (size_t i = 0; i < wp->r.n; i++)
    {
      struct runner_container *c = &wp->r.c[i];
      berth_error_t err = NULL;
      if (c->now.st.state != CSTATE_RUNNING || c->instance_dir == NULL)
        continue;
      char msg[300];
      snprintf (msg, sizeof msg, "Stopping container %s", c->spec->name);
      on_runner_event (wp, "Normal", "Killing", c->spec->name, msg);
      /* preStop first, within the grace period; the signal when it ends */
      if (grace > 0 && run_hook (wp, i, HOOK_PRE_STOP, grace))
        continue;
      if (container_kill (c->instance_dir, grace > 0 ? 0 : SIGKILL, &err) < 0)
        {
          worker_log ("%s: stop %s: %s", wp->r.ref, c->spec->name,
                      berth_error_msg (&err));
          berth_error_release (&err);
        }
    }
}

static bool
any_running (const struct pod_runner *r)
{
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].now.st.state == CSTATE_RUNNING)
      return true;
  return false;
}

static void
sigkill_all (struct worker_pod *wp)
{
  for (size_t i = 0; i < wp->r.n; i++)
    {
      struct runner_container *c = &wp->r.c[i];
      berth_error_t err = NULL;
      if (c->now.st.state == CSTATE_RUNNING && c->instance_dir
          && container_kill (c->instance_dir, SIGKILL, &err) < 0)
        berth_error_release (&err);
    }
  wp->sigkilled = true;
}

/* Tear down what the pod holds on the node: nothing runs any more. */
static void
tear_down (struct worker_pod *wp)
{
  berth_error_t err = NULL;
  unwatch_all (wp);
  if (pod_runner_stop (&wp->r, &err) < 0)
    {
      worker_log ("%s: tear down: %s", wp->r.ref, berth_error_msg (&err));
      berth_error_release (&err);
    }
  wp->torn_down = true;
}

/* ---- probe results ---- */

static struct worker_pod *
pod_by_uid (struct pod_worker *w, const char *uid)
{
  for (size_t i = 0; i < w->n; i++)
    if (strcmp (w->pods[i]->uid, uid) == 0)
      return w->pods[i];
  return NULL;
}

/* A liveness or startup failure: kill the instance with the probe's grace
 * period (or the pod's); the runner restarts it per the restart policy. */
static void
kill_for_probe (struct worker_pod *wp, size_t i, enum probe_kind kind)
{
  struct runner_container *c = &wp->r.c[i];
  struct ctr_watch *cw = &wp->watch[i];
  const struct pod_spec *ps = &wp->r.pod->spec;
  int64_t grace = ps->termination_grace_period_seconds.v;
  bool restart = strcmp (ps->restart_policy, "Never") != 0;
  cleanup_free char *msg = prober_kill_message (kind, c->spec->name, restart);

  if (cw->kill_deadline_ms || wp->killing)
    return;
  prober_termination_grace (wp->w->prober, cw->probe_instance, kind, &grace);
  /* the kubelet's killContainer: never less than 2 s */
  if (grace < 2)
    grace = 2;
  on_runner_event (wp, "Normal", "Killing", c->spec->name, msg);
  kill_instance (wp, i, grace);
}

/* The readiness fast path: a readiness result of INSTANCE changed; the
 * pod's Ready condition as the round's status write will have it goes to
 * the ready hook now, before that round, its write and its persistence. */
static void
publish_ready (struct pod_worker *w, struct worker_pod *wp, uint64_t instance)
{
  struct store_entry *e;
  const struct node *cs;
  struct node *st;
  bool ready = false;
  if (w->ready_hook == NULL || wp->torn_down)
    return;
  e = store_get (w->cfg.store, kind_lookup ("Pod"), wp->ns, wp->name);
  if (e == NULL || strcmp (object_meta (e->obj)->uid, wp->uid) != 0)
    return;
  for (size_t i = 0; i < wp->r.n; i++)
    if (wp->watch[i].probe_instance == instance)
      wp->r.c[i].probe_ready = prober_ready (w->prober, instance);
  st = pod_status_encode (&wp->r, e->status, w->host_ip, loop_wall_ms ());
  cs = k8s_get (st, "conditions");
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    if (strcmp (k8s_get_str (cs->items[i], "type") ?: "", "Ready") == 0)
      ready = strcmp (k8s_get_str (cs->items[i], "status") ?: "", "True") == 0;
  node_unref (st);
  w->ready_hook (w->ready_ctx, w->cfg.store, e, ready);
}

static void
on_probe_result (void *ctx, const char *pod_uid, const char *container,
                 uint64_t instance, enum probe_kind kind,
                 enum probe_result result)
{
  struct pod_worker *w = ctx;
  struct worker_pod *wp = pod_by_uid (w, pod_uid);
  for (size_t i = 0; wp && i < wp->r.n; i++)
    if (wp->watch[i].probe_instance == instance
        && strcmp (wp->r.c[i].spec->name, container) == 0
        && kind != PROBE_READINESS && result == PROBE_RESULT_FAILURE
        && wp->r.c[i].now.st.state == CSTATE_RUNNING)
      kill_for_probe (wp, i, kind);
  if (wp)
    wp->dirty = true;
  if (wp && kind == PROBE_READINESS)
    publish_ready (w, wp, instance);
  wake (w);
}

static void
on_probe_event (void *ctx, const char *pod_uid, const char *container,
                const char *type, const char *reason, const char *message)
{
  struct worker_pod *wp = pod_by_uid (ctx, pod_uid);
  if (wp)
    on_runner_event (wp, type, reason, container, message);
}

/* ---- the sync round ---- */

static void
push_ref (const void ***v, size_t *n, size_t *cap, const void *p)
{
  if (*n == *cap)
    {
      *cap = *cap ? *cap * 2 : 32;
      *v = reallocarray (*v, *cap, sizeof (**v));
      if (*v == NULL)
        abort ();
    }
  (*v)[(*n)++] = p;
}

static bool
phase_is_terminal (const struct node *status)
{
  const struct node *p = node_map_get (status, "phase");
  return p && p->kind == NODE_SCALAR
         && (strcmp (p->text, "Succeeded") == 0
             || strcmp (p->text, "Failed") == 0);
}

/* The ConfigMaps and Secrets pods may use, and the specs of the pods that
 * hold resources on the node (admitted, not terminal). */
static void
collect_refs (struct pod_worker *w, struct store *s)
{
  size_t cap_cms = 0, cap_sec = 0, cap_adm = 0, cap_svc = 0;
  free (w->cms);
  free (w->secrets);
  free (w->admitted);
  w->cms = NULL, w->secrets = NULL, w->admitted = NULL;
  free (w->services);
  w->services = NULL;
  w->n_cms = w->n_secrets = w->n_admitted = w->n_services = 0;
  for (size_t i = 0; i < s->len; i++)
    {
      const struct object *o = s->items[i]->obj;
      if (o->info->id == KIND_CONFIG_MAP)
        push_ref ((const void ***)&w->cms, &w->n_cms, &cap_cms, o->data);
      else if (o->info->id == KIND_SECRET)
        push_ref ((const void ***)&w->secrets, &w->n_secrets, &cap_sec,
                  o->data);
      else if (o->info->id == KIND_SERVICE)
        push_ref ((const void ***)&w->services, &w->n_services, &cap_svc,
                  o->data);
    }
  for (size_t i = 0; i < w->n; i++)
    {
      const struct worker_pod *wp = w->pods[i];
      if (!wp->torn_down && !wp->r.terminal)
        push_ref ((const void ***)&w->admitted, &w->n_admitted, &cap_adm,
                  &((const struct pod *)wp->obj->data)->spec);
    }
}

static void
earliest (int64_t *next, int64_t t)
{
  if (t >= 0 && (*next < 0 || t < *next))
    *next = t;
}

/* Containers that could not be created yet (a missing ConfigMap or image)
 * are tried again, as the kubelet's pod worker retries its sync. */
#define WORKER_RETRY_MS 10000

static bool
waiting_to_create (const struct pod_runner *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      const char *why = r->c[i].now.waiting_reason;
      if ((r->c[i].now.st.state == CSTATE_WAITING
           || r->c[i].now.st.state == CSTATE_NONE)
          && !r->c[i].now.st.last_terminated && why
          && (strcmp (why, "CreateContainerConfigError") == 0
              || strcmp (why, "ErrImageNeverPull") == 0
              || strcmp (why, "CreateContainerError") == 0))
        return true;
    }
  return false;
}

static void
remove_pod_at (struct pod_worker *w, size_t i)
{
  struct worker_pod *wp = w->pods[i];
  summary_history_forget_pod (&w->history, wp->uid);
  /* out of the list first: stopping its probes reports results */
  memmove (&w->pods[i], &w->pods[i + 1], (w->n - i - 1) * sizeof (*w->pods));
  w->n--;
  worker_pod_free (wp);
  /* a pod of the same name waiting for this one starts in the next round */
  wake (w);
}

/* Whether a runner of the pod UID ever ran here and was not removed:
 * a pod being deleted is adopted only to be stopped. */
static bool
runner_state_exists (const struct pod_worker *w, const char *uid)
{
  cleanup_free char *path = NULL;
  if (asprintf (&path, "%s/pods/%s/runner.json", w->cfg.runner.root, uid) < 0)
    abort ();
  return access (path, F_OK) == 0;
}

/* Starting a pod (sandbox, cgroup, volumes, CNI) is the slow step.  A
 * round starts new pods only until it has spent POD_WORKER_START_BUDGET_MS
 * on them (at least one), and the rest wait for the next round, a
 * millisecond later: in between, the loop serves the API, monitors and
 * probes.  The kubelet's pod workers run side by side; here a batch of
 * 100 pods must not stall the agent until the last one has started.
 * Returns true when pods were left for the next round. */
static bool
discover (struct pod_worker *w, struct store *s, int64_t now)
{
  int64_t deadline = loop_now_ms () + POD_WORKER_START_BUDGET_MS;
  size_t started = 0;
  bool more = false;
  const struct kind_info *pk = kind_lookup ("Pod");
  /* pods that left the store, or came back under a new uid */
  for (size_t i = 0; i < w->n; i++)
    {
      struct worker_pod *wp = w->pods[i];
      struct store_entry *e = store_get (s, pk, wp->ns, wp->name);
      if (wp->orphan || (e && strcmp (object_meta (e->obj)->uid, wp->uid) == 0))
        continue;
      wp->orphan = true;
      begin_kill (wp,
                  ((const struct pod *)wp->obj->data)
                      ->spec.termination_grace_period_seconds.v,
                  now);
    }
  for (size_t i = 0; i < s->len; i++)
    {
      struct store_entry *e = s->items[i];
      const struct object_meta *m;
      struct worker_pod *wp;
      if (e->obj->info->id != KIND_POD)
        continue;
      m = object_meta (e->obj);
      wp = find_pod (w, m->uid);
      if (wp == NULL)
        {
          /* finished before (and torn down), or waiting for its
           * predecessor of the same name to be gone */
          if (phase_is_terminal (e->status)
              || predecessor_running (w, meta_ns (e->obj), object_name (e->obj))
              || (m->deletion_timestamp && !runner_state_exists (w, m->uid)))
            continue;
          if (started > 0 && loop_now_ms () >= deadline)
            {
              more = true;
              continue;
            }
          wp = adopt_or_start (w, e);
          started++;
        }
      if (m->deletion_timestamp)
        begin_kill (wp,
                    m->deletion_grace_period_seconds.set
                        ? m->deletion_grace_period_seconds.v
                        : 30,
                    now);
    }
  return more;
}

/* Pods marked for deletion that have no runner (finished ones). */
static void
remove_finished_deleted (struct pod_worker *w, struct store *s)
{
  for (size_t i = 0; i < s->len;)
    {
      struct store_entry *e = s->items[i];
      const struct object_meta *m = object_meta (e->obj);
      berth_error_t err = NULL;
      if (e->obj->info->id != KIND_POD || m->deletion_timestamp == NULL
          || find_pod (w, m->uid))
        {
          i++;
          continue;
        }
      if (store_remove (s, e->obj->info, meta_ns (e->obj), m->name, m->uid,
                        &err)
          < 0)
        {
          berth_error_release (&err);
          i++;
        }
    }
}

static void
write_status (struct pod_worker *w, struct store *s, struct worker_pod *wp,
              int64_t now)
{
  struct store_entry *e = store_get (s, kind_lookup ("Pod"), wp->ns, wp->name);
  berth_error_t err = NULL;
  if (e == NULL || strcmp (object_meta (e->obj)->uid, wp->uid) != 0)
    return;
  struct node *st;
  if (w->prober)
    prober_update_pod_status (w->prober, wp->uid);
  st = pod_status_encode (&wp->r, e->status, w->host_ip, now);
  /* the counters are served on read (status_extra), except a torn-down
   * pod's final ones */
  node_map_set (st, "berth",
                wp->torn_down ? pod_stats_berth_block (&wp->r)
                              : pod_stats_berth_static (&wp->r));
  if (w->prober)
    prober_status_attach (w->prober, wp->uid, node_map_get (st, "berth"));
  if (store_set_status (s, e, st, &err) < 0)
    {
      worker_log ("%s: status: %s", wp->r.ref, berth_error_msg (&err));
      berth_error_release (&err);
    }
}

/* activeDeadlineSeconds, counted from the pod's startTime: the pod is
 * killed and ends Failed with reason DeadlineExceeded. */
static void
check_active_deadline (struct worker_pod *wp, int64_t now, int64_t *next)
{
  const struct opt_int *ads = &wp->r.pod->spec.active_deadline_seconds;
  int64_t due;
  if (!ads->set || wp->killing || wp->r.terminal || wp->deadline_exceeded)
    return;
  due = wp->start_ms + ads->v * 1000;
  if (now < due)
    {
      earliest (next, due);
      return;
    }
  wp->deadline_exceeded = true;
  free (wp->r.reason);
  free (wp->r.message);
  wp->r.reason = xstrdup ("DeadlineExceeded");
  wp->r.message = xstrdup (
      "Pod was active on the node longer than the specified deadline");
  on_runner_event (wp, "Normal", "DeadlineExceeded", "", wp->r.message);
  begin_kill (wp, wp->r.pod->spec.termination_grace_period_seconds.v, now);
}

static void
strmap_copy_into (struct strmap *to, const struct strmap *from)
{
  for (size_t i = 0; i < to->len; i++)
    {
      free (to->keys[i]);
      free (to->values[i]);
    }
  free (to->keys);
  free (to->values);
  memset (to, 0, sizeof (*to));
  for (size_t i = 0; i < from->len; i++)
    strmap_set (to, from->keys[i], from->values[i]);
}

static bool
strmap_same (const struct strmap *a, const struct strmap *b)
{
  if (a->len != b->len)
    return false;
  for (size_t i = 0; i < a->len; i++)
    {
      const char *v = strmap_get (b, a->keys[i]);
      if (v == NULL || strcmp (v, a->values[i]) != 0)
        return false;
    }
  return true;
}

/* What may change in a running API pod under the same uid and matters
 * here: its labels and annotations (the downward API projects them) and
 * activeDeadlineSeconds, as the kubelet's pod manager takes the updated
 * pod. */
static void
take_mutable (struct worker_pod *wp, struct store *s)
{
  const struct store_entry *e
      = store_get (s, kind_lookup ("Pod"), wp->ns, wp->name);
  struct pod *p = wp->obj->data;
  const struct pod *now;
  if (e == NULL || strcmp (object_meta (e->obj)->uid, wp->uid) != 0)
    return;
  now = e->obj->data;
  if (!strmap_same (&p->metadata.labels, &now->metadata.labels))
    strmap_copy_into (&p->metadata.labels, &now->metadata.labels);
  if (!strmap_same (&p->metadata.annotations, &now->metadata.annotations))
    strmap_copy_into (&p->metadata.annotations, &now->metadata.annotations);
  p->spec.active_deadline_seconds = now->spec.active_deadline_seconds;
}

/* Drive one pod; returns false when it is gone for good (freed). */
static bool
drive (struct pod_worker *w, struct store *s, size_t i, int64_t now,
       int64_t *next)
{
  struct worker_pod *wp = w->pods[i];
  berth_error_t err = NULL;
  int64_t n = -1;

  take_mutable (wp, s);
  refresh_refs (w, wp);
  if (!wp->torn_down && pod_runner_sync (&wp->r, now, &n, &err) < 0)
    {
      worker_log ("%s: %s", wp->r.ref, berth_error_msg (&err));
      berth_error_release (&err);
    }
  earliest (next, n);
  check_active_deadline (wp, now, next);
  if (wp->killing && !any_running (&wp->r) && wp->deadline_exceeded)
    {
      /* the pod stays, Failed (the kubelet's activeDeadlineHandler) */
      if (!wp->torn_down)
        tear_down (wp);
      wp->killing = false;
      wp->r.phase = PHASE_FAILED;
      wp->r.terminal = true;
    }
  if (wp->killing && !any_running (&wp->r))
    {
      if (!wp->torn_down)
        tear_down (wp);
      /* the pod's state dir goes with it (instance dirs, runner.json) */
      if (volumes_remove_tree (wp->r.dir, &err) < 0)
        {
          worker_log ("%s: remove %s: %s", wp->r.ref, wp->r.dir,
                      berth_error_msg (&err));
          berth_error_release (&err);
        }
      /* the final status first: a finalizer may keep the pod (a Job's) */
      if (!wp->orphan)
        write_status (w, s, wp, now);
      if (!wp->orphan
          && store_remove (s, kind_lookup ("Pod"), wp->ns, wp->name, wp->uid,
                           &err)
                 < 0)
        berth_error_release (&err);
      remove_pod_at (w, i);
      return false;
    }
  if (wp->killing && !wp->sigkilled)
    {
      if (now >= wp->kill_deadline_ms)
        sigkill_all (wp);
      else
        earliest (next, wp->kill_deadline_ms);
    }
  for (size_t k = 0; k < wp->r.n; k++)
    {
      struct ctr_watch *cw = &wp->watch[k];
      berth_error_t kerr = NULL;
      if (cw->kill_deadline_ms == 0)
        continue;
      /* the killed instance is gone (perhaps already restarted) */
      if (wp->r.c[k].now.st.state != CSTATE_RUNNING || cw->kill_dir == NULL
          || wp->r.c[k].instance_dir == NULL
          || strcmp (cw->kill_dir, wp->r.c[k].instance_dir) != 0)
        cw->kill_deadline_ms = 0;
      else if (now >= cw->kill_deadline_ms)
        {
          if (container_kill (wp->r.c[k].instance_dir, SIGKILL, &kerr) < 0)
            berth_error_release (&kerr);
        }
      else
        earliest (next, cw->kill_deadline_ms);
    }
  if (!wp->killing && wp->r.terminal && !wp->torn_down)
    {
      /* the terminal status goes out in this round, what a user waits for
       * (OOMKilled, Completed); the teardown (cgroup kill, unmounts, the
       * sandbox: 100 ms and more) in the next one */
      if (wp->teardown_due)
        tear_down (wp);
      else
        {
          wp->teardown_due = true;
          earliest (next, now);
        }
    }
  if (!wp->torn_down && !wp->killing && waiting_to_create (&wp->r))
    earliest (next, now + WORKER_RETRY_MS);
  rewatch (wp);
  if (pod_runner_state_save (&wp->r, &wp->saved_state, &err) < 0)
    {
      worker_log ("%s: save state: %s", wp->r.ref, berth_error_msg (&err));
      berth_error_release (&err);
    }
  if (!wp->orphan)
    write_status (w, s, wp, now);
  return true;
}

/* Whether the pod WP is driven in this round (ALL: every pod is). */
static bool
due (const struct worker_pod *wp, bool all, int64_t now)
{
  return all || wp->dirty || (wp->due_ms >= 0 && wp->due_ms <= now);
}

/* The 10 s housekeeping runs while there are pods; an agent without any
 * sleeps until something happens (the Summary samples the node itself). */
static void
set_sampling (struct pod_worker *w, bool on)
{
  berth_error_t err = NULL;
  if (on == w->sampling)
    return;
  if (loop_timer_set (&w->sample_timer, on ? w->cfg.sample_ms : 0,
                      on ? w->cfg.sample_ms : 0, &err)
      < 0)
    {
      worker_log ("sample timer: %s", berth_error_msg (&err));
      berth_error_release (&err);
      return;
    }
  w->sampling = on;
}

void
pod_worker_note_node (struct pod_worker *w,
                      const struct summary_node_stats *node)
{
  if (!w->sampling)
    summary_history_record_node (&w->history, node);
}

static int
worker_sync (struct controller *c, struct store *s, int64_t now,
             int64_t *next_ms, berth_error_t *err)
{
  struct pod_worker *w = (struct pod_worker *)c;
  bool all = w->objects_seen != s->objects_changed || now >= w->resync_ms;
  bool more;
  (void)err;
  *next_ms = -1;
  if (all)
    {
      w->objects_seen = s->objects_changed;
      w->resync_ms = now + w->cfg.resync_ms;
    }
  collect_refs (w, s);
  more = discover (w, s, now);
  for (size_t i = 0; i < w->n;)
    {
      struct worker_pod *wp = w->pods[i];
      int64_t next = -1;
      if (!due (wp, all, now))
        {
          i++;
          continue;
        }
      wp->dirty = false; /* what happens while it is driven sets it again */
      if (drive (w, s, i, now, &next))
        {
          wp->due_ms = next;
          i++;
        }
    }
  if (now >= w->volumes_ms)
    {
      /* the volume manager's periodic remount */
      for (size_t i = 0; i < w->n; i++)
        {
          struct worker_pod *wp = w->pods[i];
          refresh_refs (w, wp);
          pod_runner_refresh_volumes (&wp->r);
        }
      w->volumes_ms = now + w->cfg.resync_ms;
    }
  for (size_t i = 0; i < w->n; i++)
    earliest (next_ms, w->pods[i]->due_ms);
  if (w->n > 0)
    {
      earliest (next_ms, w->resync_ms);
      earliest (next_ms, w->volumes_ms);
    }
  if (more)
    earliest (next_ms, now);
  remove_finished_deleted (w, s);
  set_sampling (w, w->n > 0);
  return 0;
}

static void
on_sample (struct loop *l, struct loop_watcher *t, uint32_t events)
{
  struct pod_worker *w = t->data;
  int64_t now = loop_wall_ms ();
  struct summary_node_stats node;
  berth_error_t err = NULL;
  (void)l;
  (void)events;
  for (size_t i = 0; i < w->n; i++)
    if (!w->pods[i]->torn_down)
      {
        uint64_t events_before = w->cfg.store->events_changed;
        pod_runner_sample (&w->pods[i]->r);
        w->pods[i]->sampled_ms = now;
        summary_history_record_pod (&w->history, &w->pods[i]->r, now);
        /* an OOM kill found: its event is saved by a round */
        if (w->cfg.store->events_changed != events_before)
          wake_pod (w->pods[i]);
      }
  if (summary_node_read (now, &node, &err) == 0)
    summary_history_record_node (&w->history, &node);
  berth_error_release (&err);
  /* Give back the heap pages that bursts (a batch of pods starting, big
   * API replies) left free between live blocks: glibc trims only the top
   * of the heap by itself. */
  malloc_trim (0);
}

/* status.berth as read: the counters of the last sample and the probes'
 * records now, with what the stored status.berth has besides. */
static struct node *
status_extra (const struct store_entry *e, const struct node *stored,
              void *data)
{
  struct pod_worker *w = data;
  struct worker_pod *wp;
  struct node *b;
  if (e->obj->info->id != KIND_POD)
    return NULL;
  wp = pod_by_uid (w, object_meta (e->obj)->uid);
  if (wp == NULL || wp->torn_down)
    return NULL; /* its final counters are stored */
  b = pod_stats_berth_block (&wp->r);
  if (w->prober)
    prober_status_attach (w->prober, wp->uid, b);
  pod_stats_berth_complete (b, node_map_get (stored, "berth"));
  return b;
}

static void
worker_free (struct controller *c)
{
  struct pod_worker *w = (struct pod_worker *)c;
  /* the containers outlive the agent: only our side goes */
  loop_watcher_del (&w->sample_timer);
  if (w->cfg.store && w->cfg.store->status_extra_data == w)
    {
      w->cfg.store->status_extra = NULL;
      w->cfg.store->status_extra_data = NULL;
    }
  summary_history_free (&w->history);
  /* the services controller may be gone already; and a pod leaves the
   * list before it is freed, as stopping its probes reports results
   * (pod_by_uid must not find it, nor meet a freed one) */
  w->ready_hook = NULL;
  while (w->n > 0)
    worker_pod_free (w->pods[--w->n]);
  if (w->prober)
    prober_free (w->prober);
  if (w->hooks)
    probe_runner_free (w->hooks);
  free (w->pods);
  free (w->cms);
  free (w->secrets);
  free (w->services);
  free (w->admitted);
  free (w->host_ip);
  free (w);
}

static const struct controller_ops worker_ops = {
  .name = "pod worker",
  .sync = worker_sync,
  .free = worker_free,
};

int
pod_worker_new (const struct pod_worker_config *cfg, struct pod_worker **out,
                berth_error_t *err)
{
  struct pod_worker *w = xcalloc (1, sizeof (*w));
  w->base.ops = &worker_ops;
  w->cfg = *cfg;
  if (w->cfg.sample_ms <= 0)
    w->cfg.sample_ms = POD_WORKER_DEFAULT_SAMPLE_MS;
  if (w->cfg.resync_ms <= 0)
    w->cfg.resync_ms = POD_WORKER_RESYNC_MS;
  w->host_ip
      = cfg->host_ip ? xstrdup (cfg->host_ip) : pod_worker_default_host_ip ();
  w->sample_timer.fd = -1;
  summary_history_init (&w->history);
  if (probe_runner_new (cfg->loop, &w->hooks, err) < 0)
    {
      worker_free (&w->base);
      return -1;
    }
  if (prober_new (
          cfg->loop,
          &(struct prober_callbacks){ on_probe_result, on_probe_event, w },
          NULL, &w->prober, err)
      < 0)
    {
      worker_free (&w->base);
      return -1;
    }
  /* armed by the first round that has pods (set_sampling) */
  if (loop_timer_add (cfg->loop, &w->sample_timer, 0, 0, on_sample, w, err) < 0)
    {
      worker_free (&w->base);
      return -1;
    }
  w->cfg.store->status_extra = status_extra;
  w->cfg.store->status_extra_data = w;
  *out = w;
  return 0;
}

void
pod_worker_set_ready_hook (struct pod_worker *w, pod_ready_hook hook, void *ctx)
{
  w->ready_hook = hook;
  w->ready_ctx = ctx;
}

const struct pod_runner *
pod_worker_runner (const struct pod_worker *w, const char *uid)
{
  struct worker_pod *wp = find_pod (w, uid);
  return wp ? &wp->r : NULL;
}

int64_t
pod_worker_sampled_ms (const struct pod_worker *w, const struct pod_runner *r)
{
  for (size_t i = 0; i < w->n; i++)
    if (&w->pods[i]->r == r)
      return w->pods[i]->sampled_ms;
  return 0;
}

size_t
pod_worker_runners (const struct pod_worker *w, const struct pod_runner **out,
                    size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < w->n && n < max; i++)
    if (!w->pods[i]->orphan)
      out[n++] = &w->pods[i]->r;
  return n;
}
