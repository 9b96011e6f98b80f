/* cmd_run.c - `berth run -f FILE`: the experiment mode.  Runs the file's
 * Pods in the foreground without a daemon, streams events and a live line
 * per container (memory and CPU against their limits, throttling), and
 * ends when every pod is terminal, on --timeout or on Ctrl-C, tearing the
 * pods down cleanly, with a report of every container's attempts. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli_util.h"
#include "commands.h"
#include "gostr.h"
#include "manifest.h"
#include "pod_runner.h"
#include "pod_worker.h"
#include "quantity.h"
#include "run_job.h"
#include "run_report.h"

#define MAX_PODS 64

struct run_opts
{
  const char *files[64];
  size_t nfiles;
  int64_t timeout_ms; /* -1: none */
  bool json;
  bool no_enforcement;
  const char *cgroup_root;
  struct runner_config cfg;
  const char *reserved; /* --reserved cpu=...,memory=...,pid=... */
  int64_t max_pods, pod_pids_limit;
};

static void
usage (FILE *f)
{
  fprintf (
      f,
      "Usage: berth run -f FILE [-f FILE...] [--timeout D] [-o json]\n"
      "\n"
      "Run the Pods of FILE in the foreground, without a daemon, as the\n"
      "kubelet would (sandbox, volumes, cgroups, init containers, restart\n"
      "policy with CrashLoopBackOff, OOM detection), streaming events and\n"
      "a live line per container, then print a report of every attempt:\n"
      "exit code and reason, restarts and back-off delays, CPU time,\n"
      "throttling, memory peak against the limit, OOM kills.  ConfigMaps\n"
      "and Secrets in the files are available to the Pods.\n"
      "\n"
      "It ends when every Pod is terminal, when the timeout passes, or on\n"
      "Ctrl-C; in the last two cases the Pods are torn down cleanly.\n"
      "Exit status: 0 when every Pod succeeded, 1 otherwise, 2 on usage\n"
      "errors.\n"
      "\n"
      "Jobs run to completion the same way, their pods created, counted\n"
      "and retried by the Job controller (completions, parallelism,\n"
      "backoffLimit, activeDeadlineSeconds, Indexed, podFailurePolicy);\n"
      "the report shows each Job and its pods.  Exit status: 0 when every\n"
      "Job is Complete.\n"
      "\n"
      "Options:\n"
      "  -f, --filename FILE          manifests (repeatable; - for stdin)\n"
      "      --timeout D              stop after D (Go duration: 30s, 2m)\n"
      "  -o, --output json            the report as JSON on stdout\n"
      "      --root DIR               state and images (/var/lib/berth)\n"
      "      --run-dir DIR            namespaces and pod files (/run/berth)\n"
      "      --log-dir DIR            container logs (/var/log/pods)\n"
      "      --cgroup-root DIR        berth's cgroup (/sys/fs/cgroup/berth)\n"
      "      --no-resource-enforcement  run without cgroup v2 controllers:\n"
      "                               no limits, no accounting\n"
      "      --no-cni                 loopback-only pod networking\n"
      "      --cni-conf-dir DIR       CNI configs (/etc/berth/net.d)\n"
      "      --cni-bin-dir DIR        CNI plugins (/usr/lib/cni)\n"
      "      --pod-cidr CIDR          default network (10.88.0.0/16)\n"
      "      --container-log-max-size Q  rotate a container's log at this\n"
      "                               size (10Mi; 0 or less: never)\n"
      "      --container-log-max-files N  log files kept per container,\n"
      "                               the current one included (5)\n"
      "      --reserved cpu=Q,memory=Q,pid=N  kept from pods: allocatable is\n"
      "                               capacity minus it (as "
      "--system-reserved)\n"
      "      --max-pods N             pods admitted at most (110)\n"
      "      --pod-pids-limit N       pids.max of each pod (unlimited)\n"
      "      --seccomp-default=false  Unconfined without a seccompProfile,\n"
      "                               as the kubelet without "
      "--seccomp-default\n"
      "  -h, --help                   this help\n");
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
print_event (void *ctx, const char *type, const char *reason,
             const char *object, const char *message)
{
  FILE *out = ctx;
  fprintf (out, "event: %-7s %-22s %s%s%s\n", type, reason, object,
           *object ? ": " : "", message);
  fflush (out);
}

/* --container-log-max-size (a quantity, as the kubelet's flag) or
 * --container-log-max-files (more than 1). */
static int
parse_log_limit (bool size, const char *arg, struct runner_config *cfg)
{
  berth_error_t err = NULL;
  struct quantity q;
  int64_t v = 0;
  char *end;

  if (size)
    {
      if (quantity_parse (arg, &q, &err) < 0
          || quantity_value (&q, &v, &err) < 0)
        {
          fprintf (stderr, "berth run: --container-log-max-size %s: %s\n", arg,
                   berth_error_msg (&err));
          berth_error_release (&err);
          return -1;
        }
      cfg->container_log_max_size = v ? v : -1;
      return 0;
    }
  v = strtoll (arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v < 2 || v > 1000000)
    {
      fprintf (stderr,
               "berth run: --container-log-max-files %s: must be a number "
               "greater than 1\n",
               arg);
      return -1;
    }
  cfg->container_log_max_files = (int)v;
  return 0;
}

static int
parse_opts (int argc, char **argv, struct run_opts *o)
{
  enum
  {
    OPT_TIMEOUT = 256,
    OPT_ROOT,
    OPT_RUN_DIR,
    OPT_LOG_DIR,
    OPT_CGROUP_ROOT,
    OPT_NO_ENFORCE,
    OPT_NO_CNI,
    OPT_CNI_CONF,
    OPT_CNI_BIN,
    OPT_POD_CIDR,
    OPT_SECCOMP_DEFAULT,
    OPT_RESERVED,
    OPT_MAX_PODS,
    OPT_PODS_PIDS,
    OPT_LOG_MAX_SIZE,
    OPT_LOG_MAX_FILES,
  };
  static const struct option options[] = {
    { "filename", required_argument, NULL, 'f' },
    { "output", required_argument, NULL, 'o' },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "root", required_argument, NULL, OPT_ROOT },
    { "run-dir", required_argument, NULL, OPT_RUN_DIR },
    { "log-dir", required_argument, NULL, OPT_LOG_DIR },
    { "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
    { "no-resource-enforcement", no_argument, NULL, OPT_NO_ENFORCE },
    { "no-cni", no_argument, NULL, OPT_NO_CNI },
    { "cni-conf-dir", required_argument, NULL, OPT_CNI_CONF },
    { "cni-bin-dir", required_argument, NULL, OPT_CNI_BIN },
    { "pod-cidr", required_argument, NULL, OPT_POD_CIDR },
    { "seccomp-default", required_argument, NULL, OPT_SECCOMP_DEFAULT },
    { "reserved", required_argument, NULL, OPT_RESERVED },
    { "max-pods", required_argument, NULL, OPT_MAX_PODS },
    { "pod-pids-limit", required_argument, NULL, OPT_PODS_PIDS },
    { "pod-max-pids", required_argument, NULL, OPT_PODS_PIDS },
    { "container-log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE },
    { "container-log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  optind = 1;
  while ((c = getopt_long (argc, argv, "f:o:h", options, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (o->nfiles < 64)
          o->files[o->nfiles++] = optarg;
        break;
      case 'o':
        if (strcmp (optarg, "json") != 0)
          {
            fprintf (stderr, "berth run: -o takes json\n");
            return 2;
          }
        o->json = true;
        break;
      case OPT_TIMEOUT:
        {
          int64_t ns;
          berth_error_t err = NULL;
          if (gostr_parse_duration (optarg, &ns, &err) < 0 || ns <= 0)
            {
              fprintf (stderr, "berth run: --timeout %s: %s\n", optarg,
                       err ? berth_error_msg (&err) : "must be positive");
              berth_error_release (&err);
              return 2;
            }
          o->timeout_ms = ns / 1000000;
          break;
        }
      case OPT_ROOT:
        o->cfg.root = optarg;
        break;
      case OPT_RUN_DIR:
        o->cfg.sandbox.run_dir = optarg;
        break;
      case OPT_LOG_DIR:
        o->cfg.log_dir = optarg;
        break;
      case OPT_CGROUP_ROOT:
        o->cgroup_root = optarg;
        break;
      case OPT_NO_ENFORCE:
        o->no_enforcement = true;
        break;
      case OPT_NO_CNI:
        o->cfg.sandbox.no_cni = true;
        break;
      case OPT_CNI_CONF:
        o->cfg.sandbox.cni_conf_dir = optarg;
        break;
      case OPT_CNI_BIN:
        o->cfg.sandbox.cni_plugin_path = optarg;
        break;
      case OPT_POD_CIDR:
        o->cfg.sandbox.pod_cidr = optarg;
        break;
      case OPT_RESERVED:
        o->reserved = optarg;
        break;
      case OPT_MAX_PODS:
      case OPT_PODS_PIDS:
        {
          char *end;
          long long v = strtoll (optarg, &end, 10);
          if (*optarg == '\0' || *end != '\0' || v <= 0)
            {
              fprintf (stderr, "berth run: %s %s: not a positive number\n",
                       c == OPT_MAX_PODS ? "--max-pods" : "--pod-pids-limit",
                       optarg);
              return 2;
            }
          if (c == OPT_MAX_PODS)
            o->max_pods = v;
          else
            o->pod_pids_limit = v;
          break;
        }
      case OPT_SECCOMP_DEFAULT:
        o->cfg.seccomp_unconfined_default = strcmp (optarg, "false") == 0;
        break;
      case OPT_LOG_MAX_SIZE:
      case OPT_LOG_MAX_FILES:
        if (parse_log_limit (c == OPT_LOG_MAX_SIZE, optarg, &o->cfg) < 0)
          return 2;
        break;
      case 'h':
        usage (stdout);
        return 1;
      default:
        usage (stderr);
        return 2;
      }
  for (int i = optind; i < argc && o->nfiles < 64; i++)
    o->files[o->nfiles++] = argv[i];
  if (o->nfiles == 0)
    {
      fprintf (stderr, "berth run: no manifest given: use -f FILE\n");
      return 2;
    }
  return 0;
}

struct run_state
{
  struct manifest manifests[64];
  size_t n_manifests;
  const struct config_map *cms[256];
  const struct secret *secrets[256];
  const struct pod *pods[MAX_PODS];
  size_t n_cms, n_secrets, n_pods;
  struct pod_runner runners[MAX_PODS];
  /* Jobs run through run_job.c, with every valid object of the files */
  const struct object *objs[256];
  size_t n_objs, n_jobs;
  struct run_watch watch[MAX_PODS];
  size_t n_started;
  size_t n_probed; /* pods with liveness, readiness or startup probes */
};

static bool
pod_has_probes (const struct pod *p)
{
  const struct pod_spec *ps = &p->spec;
  for (size_t i = 0; i < ps->containers.len; i++)
    {
      const struct container *c = &ps->containers.items[i];
      if (c->liveness_probe || c->readiness_probe || c->startup_probe)
        return true;
    }
  for (size_t i = 0; i < ps->init_containers.len; i++)
    {
      const struct container *c = &ps->init_containers.items[i];
      if (c->liveness_probe || c->readiness_probe || c->startup_probe)
        return true;
    }
  return false;
}

/* Read and validate every file; only valid objects are run. */
static int
load (struct run_opts *o, struct run_state *st)
{
  int bad = 0;
  for (size_t f = 0; f < o->nfiles; f++)
    {
      struct manifest *m = &st->manifests[st->n_manifests];
      berth_error_t err = NULL;
      if (manifest_read_file (o->files[f], m, &err) < 0)
        {
          fprintf (stderr, "berth run: %s\n", berth_error_msg (&err));
          berth_error_release (&err);
          return -1;
        }
      st->n_manifests++;
      cli_print_diags (o->files[f], "", &m->diags);
      bad += m->diags.len > 0;
      for (size_t i = 0; i < m->len; i++)
        {
          struct object *obj = m->objects[i];
          cli_print_diags (obj->file, obj->path_prefix, &obj->diags);
          if (!object_is_valid (obj))
            {
              bad++;
              continue;
            }
          if (st->n_objs < 256)
            st->objs[st->n_objs++] = obj;
          if (obj->info->id == KIND_JOB)
            st->n_jobs++;
          else if (obj->info->id == KIND_POD && st->n_pods < MAX_PODS)
            {
              st->pods[st->n_pods++] = obj->data;
              st->n_probed += pod_has_probes (obj->data);
            }
          else if (obj->info->id == KIND_CONFIG_MAP && st->n_cms < 256)
            st->cms[st->n_cms++] = obj->data;
          else if (obj->info->id == KIND_SECRET && st->n_secrets < 256)
            st->secrets[st->n_secrets++] = obj->data;
          else if (obj->info->id != KIND_NAMESPACE)
            fprintf (stderr,
                     "berth run: %s/%s: berth run runs Pods; this %s is "
                     "not run\n",
                     obj->info->resource, object_name (obj), obj->info->kind);
        }
    }
  if (bad)
    return -1;
  if (st->n_pods == 0 && st->n_jobs == 0)
    {
      fprintf (stderr, "berth run: no Pod or Job in the given files\n");
      return -1;
    }
  o->cfg.config_maps = st->cms;
  o->cfg.n_config_maps = st->n_cms;
  o->cfg.secrets = st->secrets;
  o->cfg.n_secrets = st->n_secrets;
  return 0;
}

static int
setup (struct run_opts *o, struct cgroup_fs **cg, struct image_store **images)
{
  berth_error_t err = NULL;
  if (!o->no_enforcement)
    {
      if (cgroup_fs_open (o->cgroup_root ? o->cgroup_root
                                         : CGROUP_FS_DEFAULT_ROOT,
                          cg, &err)
          < 0)
        {
          fprintf (stderr,
                   "berth run: %s\n"
                   "berth run: --no-resource-enforcement runs without "
                   "limits or accounting\n",
                   berth_error_msg (&err));
          berth_error_release (&err);
          return -1;
        }
      o->cfg.cgroups = *cg;
    }
  else
    fprintf (stderr, "berth run: resource enforcement is OFF: no cgroup "
                     "limits, no OOM or throttling accounting\n");
  pod_worker_node_capacity (&o->cfg.node);
  if (o->max_pods > 0)
    o->cfg.node.max_pods = o->max_pods;
  if (o->pod_pids_limit > 0)
    o->cfg.node.pod_pids_limit = o->pod_pids_limit;
  if (o->reserved
      && cgroup_node_parse_reserved (&o->cfg.node, o->reserved, &err) < 0)
    {
      fprintf (stderr, "berth run: --reserved %s: %s\n", o->reserved,
               berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  if (image_store_open (o->cfg.root, images, &err) < 0)
    {
      fprintf (stderr, "berth run: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  o->cfg.images = *images;
  return 0;
}

static bool
all_terminal (const struct run_state *st)
{
  for (size_t i = 0; i < st->n_started; i++)
    if (!st->runners[i].terminal)
      return false;
  return true;
}

/* Run until every pod is terminal, the deadline, or a signal.  Returns the
 * reason the run ended. */
static const char *
run_loop (struct run_opts *o, struct run_state *st, int sigfd, FILE *out)
{
  int64_t start = now_ms (), last_live = 0;
  for (;;)
    {
      struct pollfd pfd[1 + 64];
      int64_t now = now_ms (), wake = now + 250;
      size_t n = 1;
      for (size_t i = 0; i < st->n_started; i++)
        {
          int64_t next = -1;
          berth_error_t err = NULL;
          if (pod_runner_sync (&st->runners[i], now, &next, &err) < 0)
            berth_error_release (&err);
          if (next >= 0 && next < wake)
            wake = next;
          run_report_changes (out, &st->runners[i], &st->watch[i]);
        }
      if (now - last_live >= 1000)
        {
          for (size_t i = 0; i < st->n_started; i++)
            {
              pod_runner_sample (&st->runners[i]);
              run_report_live (out, &st->runners[i], &st->watch[i], now);
            }
          last_live = now;
        }
      if (all_terminal (st))
        return "every pod finished";
      if (o->timeout_ms > 0 && now - start >= o->timeout_ms)
        return "stopped at the timeout";
      if (o->timeout_ms > 0 && start + o->timeout_ms < wake)
        wake = start + o->timeout_ms;
      pfd[0] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
      for (size_t i = 0; i < st->n_started && n < 65; i++)
        {
          int fds[64];
          size_t k = pod_runner_poll_fds (&st->runners[i], fds, 65 - n);
          for (size_t j = 0; j < k; j++)
            pfd[n++] = (struct pollfd){ .fd = fds[j], .events = POLLIN };
        }
      if (poll (pfd, n, (int)(wake > now ? wake - now : 0)) > 0
          && (pfd[0].revents & POLLIN))
        {
          struct signalfd_siginfo si;
          if (read (sigfd, &si, sizeof (si)) > 0)
            return "interrupted";
        }
    }
}

int
cmd_run (int argc, char **argv)
{
  struct run_opts o = { .timeout_ms = -1 };
  struct run_state *st = calloc (1, sizeof (*st));
  struct cgroup_fs *cg = NULL;
  struct image_store *images = NULL;
  cleanup_close int sigfd = -1;
  const char *ending;
  struct node *report = NULL;
  sigset_t mask;
  int rc, status = 0;
  FILE *out;

  if (st == NULL)
    abort ();
  o.cfg.root = "/var/lib/berth";
  o.cfg.log_dir = "/var/log/pods";
  rc = parse_opts (argc, argv, &o);
  if (rc != 0 || load (&o, st) < 0 || setup (&o, &cg, &images) < 0)
    {
      status = rc == 1 ? 0 : rc ? rc : 1;
      goto done;
    }
  out = o.json ? stderr : stdout;
  /* Jobs, and pods with probes, run under the agent's controllers (the
   * Job controller, the pod worker with its prober) on a private store */
  if (st->n_jobs > 0 || st->n_probed > 0)
    {
      struct run_job_input in
          = { &o.cfg, o.timeout_ms, o.json, st->objs, st->n_objs };
      status = run_job (&in, out);
      goto done;
    }
  o.cfg.event = print_event;
  o.cfg.event_ctx = out;
  sigemptyset (&mask);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGTERM);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  for (size_t i = 0; i < st->n_pods; i++, st->n_started++)
    {
      berth_error_t err = NULL;
      if (pod_runner_start (&st->runners[i], &o.cfg, st->pods[i], &err) < 0)
        {
          fprintf (stderr, "berth run: %s\n", berth_error_msg (&err));
          berth_error_release (&err);
          st->runners[i].terminal = true;
        }
    }
  ending = run_loop (&o, st, sigfd, out);
  report = node_new_seq ();
  for (size_t i = 0; i < st->n_started; i++)
    {
      struct pod_runner *r = &st->runners[i];
      berth_error_t err = NULL;
      pod_runner_sample (r);
      if (pod_runner_stop (r, &err) < 0)
        {
          fprintf (stderr, "berth run: tear down %s: %s\n", r->ref,
                   berth_error_msg (&err));
          berth_error_release (&err);
        }
      run_report_changes (out, r, &st->watch[i]);
      if (o.json)
        node_seq_append (report, run_report_json (r, ending));
      else
        run_report_text (out, r, ending);
      if (r->phase != PHASE_SUCCEEDED)
        status = 1;
    }
  if (o.json)
    {
      cleanup_free char *text = NULL;
      size_t len = 0;
      berth_error_t err = NULL;
      if (node_write_json (report, true, &text, &len, &err) == 0)
        printf ("%s\n", text);
      berth_error_release (&err);
    }
done:
  for (size_t i = 0; i < st->n_started; i++)
    pod_runner_free (&st->runners[i]);
  for (size_t i = 0; i < st->n_manifests; i++)
    manifest_free (&st->manifests[i]);
  node_unref (report);
  if (images)
    image_store_close (images);
  if (cg)
    cgroup_fs_free (cg);
  free (st);
  return status;
}
