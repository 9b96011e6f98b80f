/* agent.c - see agent.h. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent_http.h"
#include "bridge_nf.h"
#include "cleanup.h"
#include "codec.h"
#include "cronjob_controller.h"
#include "job_controller.h"
#include "k8s_json.h"
#include "service_controller.h"

void
agent_log (const char *fmt, ...)
{
  cleanup_free char *ts = k8s_rfc3339 (loop_wall_ms ());
  va_list ap;
  fprintf (stderr, "%s berth agent: ", ts);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

char *
agent_node_name (const char *override, berth_error_t *err)
{
  char host[256] = "";
  char *name;
  if (override && *override)
    snprintf (host, sizeof (host), "%s", override);
  else if (gethostname (host, sizeof (host) - 1) < 0)
    {
      berth_error_sys (err, errno, "gethostname");
      return NULL;
    }
  name = xstrdup (host);
  for (char *p = name; *p; p++)
    if (*p >= 'A' && *p <= 'Z')
      *p = (char)(*p - 'A' + 'a');
  return name;
}

static void
on_signal (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  (void)events;
  if (w->signo == SIGINT || w->signo == SIGTERM)
    {
      agent_log ("%s: stopping", strsignal (w->signo));
      loop_stop (l, 0);
    }
  /* SIGCHLD: reaped by the pod workers once they exist */
}

/* Arm the sync timer for a round in (about) DELAY_MS. */
static void
arm_sync (struct agent *a, int64_t delay_ms)
{
  berth_error_t err = NULL;
  if (loop_timer_set (&a->sync_timer, delay_ms > 0 ? delay_ms : 1, 0, &err) < 0)
    {
      agent_log ("sync timer: %s", berth_error_msg (&err));
      berth_error_release (&err);
    }
}

static int
on_store_change (struct store *s, const struct store_entry *e, bool deleted,
                 void *data, berth_error_t *err)
{
  struct agent *a = data;
  if (a->change_ns == 0)
    {
      struct timespec ts;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      a->change_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
  agent_wake (a);
  return persist_on_change (s, e, deleted, &a->persist, err);
}

/* One round: every controller once.  Writes made by a round schedule the
 * next one; otherwise the timer waits for the earliest deadline asked. */
static void
on_sync (struct loop *l, struct loop_watcher *w, uint32_t events)
{
  struct agent *a = w->data;
  int64_t now = loop_wall_ms (), wake = -1;
  (void)l;
  (void)events;
  a->sync_pending = false;
  a->round_change_ns = a->change_ns;
  a->change_ns = 0;
  for (size_t i = 0; i < a->n_controllers; i++)
    {
      struct controller *c = a->controllers[i];
      int64_t next = -1;
      berth_error_t err = NULL;
      if (c->ops->sync (c, &a->store, now, &next, &err) < 0)
        {
          agent_log ("%s: %s", c->ops->name, berth_error_msg (&err));
          berth_error_release (&err);
          /* retry soon rather than spin */
          if (next < 0 || next > now + 1000)
            next = now + 1000;
        }
      if (next >= 0 && (wake < 0 || next < wake))
        wake = next;
    }
  if (a->events_saved != a->store.events_changed)
    {
      berth_error_t err = NULL;
      if (persist_save_events (&a->persist, &a->store, &err) < 0)
        {
          agent_log ("save the events: %s", berth_error_msg (&err));
          berth_error_release (&err);
        }
      a->events_saved = a->store.events_changed;
    }
  /* watches and followed logs look at what changed */
  api_streams_wake (&a->api);
  if (a->sync_pending)
    return; /* armed by a change made in this round */
  if (wake >= 0)
    arm_sync (a, wake - loop_wall_ms ());
}

void
agent_wake (struct agent *a)
{
  if (!a->sync_pending && loop_watcher_active (&a->sync_timer))
    {
      a->sync_pending = true;
      arm_sync (a, 1);
    }
}

static void
wake_cb (void *ctx)
{
  agent_wake (ctx);
}

/* The cgroup hierarchy, the image store and the pod worker.  Without
 * cgroup v2 controllers the agent refuses to start unless told to run
 * without resource enforcement. */
static int
start_pods (struct agent *a, const struct agent_options *opt,
            berth_error_t *err)
{
  struct pod_worker_config wc = { 0 };
  const char *cg = opt->cgroup_root ? opt->cgroup_root : CGROUP_FS_DEFAULT_ROOT;

  if (!opt->no_enforcement && cgroup_fs_open (cg, &a->cgroups, err) < 0)
    return berth_error_wrap (
        err, "resource enforcement needs cgroup v2 with its controllers "
             "(boot with systemd.unified_cgroup_hierarchy=1); "
             "--no-resource-enforcement runs pods without limits or "
             "accounting");
  if (opt->no_enforcement)
    agent_log ("resource enforcement is OFF: no cgroup limits, no OOM or "
               "throttling accounting");
  if (image_store_open (opt->root, &a->images, err) < 0)
    return -1;
  wc.runner.root = opt->root;
  wc.runner.log_dir = opt->log_dir ? opt->log_dir : "/var/log/pods";
  wc.runner.sandbox = opt->sandbox;
  wc.runner.sandbox.run_dir = opt->run_dir;
  wc.runner.cgroups = a->cgroups;
  wc.runner.images = a->images;
  wc.runner.seccomp_unconfined_default = opt->seccomp_unconfined_default;
  wc.runner.container_log_max_size = opt->container_log_max_size;
  wc.runner.container_log_max_files = opt->container_log_max_files;
  pod_worker_node_capacity (&wc.runner.node);
  if (opt->max_pods > 0)
    wc.runner.node.max_pods = opt->max_pods;
  if (opt->pod_max_pids > 0)
    wc.runner.node.pod_pids_limit = opt->pod_max_pids;
  if (opt->reserved
      && cgroup_node_parse_reserved (&wc.runner.node, opt->reserved, err) < 0)
    return berth_error_wrap (err, "--reserved %s", opt->reserved);
  if (sysctl_allowlist_parse (opt->allowed_unsafe_sysctls, &a->sysctls, err)
      < 0)
    return berth_error_wrap (err, "--allowed-unsafe-sysctls");
  wc.runner.sysctls = &a->sysctls;
  wc.loop = &a->loop;
  wc.store = &a->store;
  wc.wake = wake_cb;
  wc.wake_ctx = a;
  wc.resync_ms = opt->sync_ms;
  if (pod_worker_new (&wc, &a->worker, err) < 0)
    return -1;
  agent_add_controller (a, &a->worker->base);
  a->store.graceful_pods = true;
  return 0;
}

/* The services controller (ClusterIPs, endpoints, nftables routing). */
static int
new_services (struct agent *a, const struct agent_options *opt,
              struct controller **out, berth_error_t *err)
{
  struct service_controller_options so = { 0 };
  if (service_ranges_parse (
          &a->service_ranges, opt->service_cidr ?: SERVICE_DEFAULT_CIDR,
          opt->node_port_range ?: SERVICE_DEFAULT_NODE_PORTS, err)
      < 0)
    return -1;
  so.ranges = a->service_ranges;
  so.cluster_cidr = opt->cluster_cidr ?: "10.88.0.0/16";
  so.routing = !opt->no_service_routing;
  if (so.routing && !opt->sandbox.no_cni)
    {
      /* pod -> Service -> a pod on the same bridge */
      berth_error_t e = NULL;
      if (bridge_nf_enable ("/proc/sys", &e) < 0)
        agent_log ("%s", berth_error_msg (&e));
      berth_error_release (&e);
    }
  free (a->nft_marker);
  a->nft_marker = NULL;
  if (asprintf (&a->nft_marker, "%s/nft-table.berth",
                opt->run_dir ? opt->run_dir : SANDBOX_DEFAULT_RUN_DIR)
      < 0)
    abort ();
  so.table_marker = a->nft_marker;
  so.change_ns = &a->round_change_ns;
  so.change_live_ns = &a->change_ns;
  so.log = agent_log;
  return service_controller_new (&so, &a->store, out, err);
}

void
agent_add_controller (struct agent *a, struct controller *c)
{
  if (a->n_controllers == sizeof (a->controllers) / sizeof (a->controllers[0]))
    abort ();
  a->controllers[a->n_controllers++] = c;
  if (loop_watcher_active (&a->sync_timer) && !a->sync_pending)
    {
      a->sync_pending = true;
      arm_sync (a, 1);
    }
}

static void
load_warning (void *data, const char *msg)
{
  (void)data;
  agent_log ("skipping a stored object: %s", msg);
}

/* The API server always has the "default" namespace. */
static int
ensure_default_namespace (struct agent *a, berth_error_t *err)
{
  const struct kind_info *k = kind_lookup ("Namespace");
  struct node *n;
  struct object *o;
  enum store_result res;
  if (store_get (&a->store, k, NULL, "default"))
    return 0;
  n = node_new_map ();
  node_map_set_str (n, "apiVersion", "v1");
  node_map_set_str (n, "kind", "Namespace");
  node_map_set (n, "metadata", node_new_map ());
  node_map_set_str (node_map_get (n, "metadata"), "name", "default");
  o = object_from_node ("<agent>", n, "");
  node_unref (n);
  return store_apply (&a->store, o, "api", STORE_CREATE_ONLY, NULL, &res, NULL,
                      err);
}

int
agent_init (struct agent *a, const struct agent_options *opt,
            berth_error_t *err)
{
  static const int sigs[] = { SIGINT, SIGTERM, SIGCHLD };
  struct controller *services = NULL;

  memset (a, 0, sizeof (*a));
  a->opt = *opt;
  a->persist.root_fd = a->persist.objects_fd = -1;
  a->signals.fd = -1;
  a->sync_timer.fd = -1;
  a->loop.epfd = -1;
  store_init (&a->store);
  a->node_name = agent_node_name (opt->hostname_override, err);
  if (a->node_name == NULL)
    return -1;
  if (loop_init (&a->loop, err) < 0)
    return -1;
  signal (SIGPIPE, SIG_IGN);
  if (loop_signal_add (&a->loop, &a->signals, sigs, 3, on_signal, a, err) < 0)
    return -1;
  if (persist_open (&a->persist, opt->root, err) < 0)
    return -1;
  if (persist_load (&a->persist, &a->store, load_warning, a, err) < 0)
    return berth_error_wrap (err, "load the state in %s", opt->root);
  if (persist_load_events (&a->persist, &a->store, err) < 0)
    {
      agent_log ("skipping the stored events: %s", berth_error_msg (err));
      berth_error_release (err);
    }
  a->events_saved = a->store.events_changed;
  a->store.node_name = a->node_name;
  a->store.on_change = on_store_change;
  a->store.change_data = a;
  if (loop_timer_add (&a->loop, &a->sync_timer, 1, 0, on_sync, a, err) < 0)
    return -1;
  a->sync_pending = true;
  if (ensure_default_namespace (a, err) < 0)
    return berth_error_wrap (err, "state dir %s", opt->root);
  /* before the sources re-read their files: the loaded allocations */
  if (new_services (a, opt, &services, err) < 0)
    return -1;
  if (start_pods (a, opt, err) < 0)
    {
      services->ops->free (services);
      return -1;
    }
  agent_add_controller (a, services); /* after the pod worker */
  /* a readiness change reroutes at once (the readiness fast path) */
  pod_worker_set_ready_hook (a->worker, service_controller_pod_ready, services);
  /* the Job and CronJob controllers, after the pod worker */
  agent_add_controller (a, job_controller_new ());
  agent_add_controller (a, cronjob_controller_new ());
  if (api_start (&a->api, &a->loop, &a->store, opt->socket, opt->listen, err)
      < 0)
    return -1;
  a->api.service_ranges = &a->service_ranges;
  a->api.extra = agent_http_extra;
  a->api.extra_ctx = a;
  if (opt->manifest_dir && *opt->manifest_dir)
    {
      if (source_dir_start (&a->source, &a->loop, &a->store, opt->manifest_dir,
                            a->node_name, opt->file_check_ms, err)
          < 0)
        return -1;
      a->have_source = true;
    }
  if (opt->url.nurls > 0)
    {
      a->have_url_source = true; /* a half-started one is stopped too */
      if (source_url_start (&a->url_source, &a->loop, &a->store, &opt->url,
                            a->node_name, err)
          < 0)
        return -1;
    }
  agent_log ("node %s: %zu objects from %s, serving on %s%s%s", a->node_name,
             a->store.len, opt->root, opt->socket, opt->listen ? " and " : "",
             opt->listen ? opt->listen : "");
  return 0;
}

int
agent_run (struct agent *a, berth_error_t *err)
{
  return loop_run (&a->loop, err);
}

void
agent_free (struct agent *a)
{
  if (a->have_source)
    source_dir_stop (&a->source);
  if (a->have_url_source)
    source_url_stop (&a->url_source);
  api_stop (&a->api);
  loop_watcher_del (&a->sync_timer);
  for (size_t i = a->n_controllers; i-- > 0;)
    a->controllers[i]->ops->free (a->controllers[i]);
  a->n_controllers = 0;
  a->worker = NULL;
  if (a->images)
    image_store_close (a->images);
  sysctl_allowlist_free (&a->sysctls);
  if (a->cgroups)
    cgroup_fs_free (a->cgroups);
  a->images = NULL;
  a->cgroups = NULL;
  loop_watcher_del (&a->signals);
  persist_close (&a->persist);
  store_free (&a->store);
  loop_close (&a->loop);
  free (a->node_name);
  free (a->nft_marker);
  a->nft_marker = NULL;
  a->node_name = NULL;
}
