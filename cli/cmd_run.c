/* cmd_run.c - `berth run -f FILE`: the experiment mode.  Reads and
 * validates the files, opens the cgroup root and the image store, and
 * hands the objects to the engine (run_job.h): the agent's pod worker and
 * Job controller in the foreground, without a daemon, streaming events, a
 * live line per container (memory and CPU against their limits,
 * throttling, readiness) and ending, when every pod is terminal, on
 * --timeout or on Ctrl-C, with the pods torn down cleanly and a report of
 * every container's attempts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "codec.h"
#include "commands.h"
#include "gostr.h"
#include "manifest.h"
#include "pod_runner.h"
#include "pod_worker.h"
#include "quantity.h"
#include "run_job.h"

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
  struct sysctl_allowlist sysctls; /* --allowed-unsafe-sysctls */
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
      "policy with CrashLoopBackOff, OOM detection, probes and hooks),\n"
      "streaming status changes, events and a live line per container\n"
      "(memory and CPU against the limits, throttling, ready), then print\n"
      "a report of every attempt: exit code and reason, restarts and\n"
      "back-off delays, CPU time, throttling, memory peak against the\n"
      "limit, OOM kills, probe results.  ConfigMaps and Secrets in the\n"
      "files are available to the Pods.\n"
      "\n"
      "It ends when every Pod is terminal, when the timeout passes, or on\n"
      "Ctrl-C; then the Pods are deleted as by berth delete (preStop, the\n"
      "stop signal, SIGKILL after the grace period) and the report printed.\n"
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
      "  -o, --output json            the report as JSON on stdout (each\n"
      "                               Pod's report, each Job with its\n"
      "                               status); the stream goes to stderr\n"
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
      "      --allowed-unsafe-sysctls LIST  sysctls (or prefixes ending in\n"
      "                               *) pods may set besides the safe set,\n"
      "                               comma-separated: "
      "'kernel.msg*,net.core.somaxconn'\n"
      "      --pod-pids-limit N       pids.max of each pod (unlimited)\n"
      "      --seccomp-default=false  Unconfined without a seccompProfile,\n"
      "                               as the kubelet without "
      "--seccomp-default\n"
      "  -h, --help                   this help\n");
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
    OPT_UNSAFE_SYSCTLS,
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
    { "allowed-unsafe-sysctls", required_argument, NULL, OPT_UNSAFE_SYSCTLS },
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
      case OPT_UNSAFE_SYSCTLS:
        {
          berth_error_t err = NULL;
          sysctl_allowlist_free (&o->sysctls);
          if (sysctl_allowlist_parse (optarg, &o->sysctls, &err) < 0)
            {
              fprintf (stderr, "berth run: --allowed-unsafe-sysctls: %s\n",
                       berth_error_msg (&err));
              berth_error_release (&err);
              return 2;
            }
          o->cfg.sysctls = &o->sysctls;
        }
        break;
      case OPT_MAX_PODS:
        if (cli_parse_positive ("run", "--max-pods", optarg, &o->max_pods) < 0)
          return 2;
        break;
      case OPT_PODS_PIDS:
        if (cli_parse_positive ("run", "--pod-pids-limit", optarg,
                                &o->pod_pids_limit)
            < 0)
          return 2;
        break;
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

#define MAX_OBJECTS 1024

struct run_state
{
  struct manifest manifests[64];
  size_t n_manifests;
  /* every valid object of the files, for the engine's store */
  const struct object *objs[MAX_OBJECTS];
  size_t n_objs, n_run; /* n_run: Pods and Jobs */
};

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
          enum kind_id id = obj->info->id;
          cli_print_diags (obj->file, obj->path_prefix, &obj->diags);
          if (!object_is_valid (obj))
            {
              bad++;
              continue;
            }
          if (st->n_objs == MAX_OBJECTS)
            {
              fprintf (stderr, "berth run: more than %d objects\n",
                       MAX_OBJECTS);
              return -1;
            }
          st->objs[st->n_objs++] = obj;
          st->n_run += id == KIND_POD || id == KIND_JOB;
          if (id != KIND_POD && id != KIND_JOB && id != KIND_CONFIG_MAP
              && id != KIND_SECRET && id != KIND_NAMESPACE)
            fprintf (stderr,
                     "berth run: %s/%s: berth run runs Pods and Jobs; this "
                     "%s is not run\n",
                     obj->info->resource, object_name (obj), obj->info->kind);
        }
    }
  if (bad)
    return -1;
  if (st->n_run == 0)
    {
      fprintf (stderr, "berth run: no Pod or Job in the given files\n");
      return -1;
    }
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

int
cmd_run (int argc, char **argv)
{
  struct run_opts o = { .timeout_ms = -1 };
  struct run_state *st = xcalloc (1, sizeof (*st));
  struct cgroup_fs *cg = NULL;
  struct image_store *images = NULL;
  int rc, status;

  o.cfg.root = "/var/lib/berth";
  o.cfg.log_dir = "/var/log/pods";
  rc = parse_opts (argc, argv, &o);
  if (rc != 0 || load (&o, st) < 0 || setup (&o, &cg, &images) < 0)
    status = rc == 1 ? 0 : rc ? rc : 1;
  else
    {
      struct run_job_input in
          = { &o.cfg, o.timeout_ms, o.json, st->objs, st->n_objs };
      status = run_job (&in, o.json ? stderr : stdout);
    }
  for (size_t i = 0; i < st->n_manifests; i++)
    manifest_free (&st->manifests[i]);
  if (images)
    image_store_close (images);
  if (cg)
    cgroup_fs_free (cg);
  sysctl_allowlist_free (&o.sysctls);
  free (st);
  return status;
}
