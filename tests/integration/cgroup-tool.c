/* cgroup-tool.c - a test driver for the cgroups/ modules, used by
 * tests/integration/test_cgroup.sh (and handy by hand in the VM):
 *
 *   cgroup-tool values [NODE] FILE...        the computed values
 *   cgroup-tool admit [NODE] FILE...         admission, pod by pod
 *   cgroup-tool apply --root R [NODE] FILE... create the hierarchy
 *   cgroup-tool remove --root R [--timeout S] UID
 *   cgroup-tool run --root R REL -- CMD...   exec CMD in cgroup R/REL
 *   cgroup-tool watch-oom [--count N] [--timeout S] DIR
 *   cgroup-tool stats DIR
 *   cgroup-tool check-host [--root R]
 *   cgroup-tool cycles --root R [--count N] FILE  create/remove N times
 *   cgroup-tool delegate [NODE] [FILE...]    move into ./agent of our own
 *                                            cgroup, apply FILEs in ./pods
 *
 * NODE options: --cpu Q --memory Q --reserved-cpu Q --reserved-memory Q
 * --max-pods N --pids-limit N --memory-qos --linear --uid UID.  Values are
 * printed one per line as "PATH: FILE = VALUE", PATH relative to the root
 * ("." for the root itself). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_fs.h"
#include "cgroup_stats.h"
#include "cgroup_values.h"
#include "cleanup.h"
#include "manifest.h"
#include "oom_watch.h"
#include "quantity.h"

struct opts
{
  struct cgroup_node_config node;
  const char *root;
  const char *uid;
  int timeout_s;
  int count;
};

struct pods
{
  size_t len;
  struct manifest *manifests;
  size_t n_manifests;
  const struct pod **items;
  const char **files;
};

static int
fail (berth_error_t *err)
{
  fprintf (stderr, "cgroup-tool: %s\n", berth_error_msg (err));
  berth_error_release (err);
  return 1;
}

static int
usage (void)
{
  fprintf (stderr,
           "usage: cgroup-tool values|admit|apply|remove|run|watch-oom|stats|"
           "check-host ... (see the top of tests/integration/cgroup-tool.c)\n");
  return 2;
}

/* ---- options ---- */

static int
parse_quantity (const char *opt, const char *s, bool milli, int64_t *out)
{
  struct quantity q;
  berth_error_t err = NULL;
  if (quantity_parse (s, &q, &err) < 0
      || (milli ? quantity_milli_value (&q, out, &err)
                : quantity_value (&q, out, &err))
             < 0)
    {
      fprintf (stderr, "cgroup-tool: --%s %s: %s\n", opt, s,
               berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  return 0;
}

static int64_t
meminfo_total (void)
{
  cleanup_file FILE *f = fopen ("/proc/meminfo", "re");
  char line[256];
  long long kb;
  while (f != NULL && fgets (line, sizeof (line), f) != NULL)
    if (sscanf (line, "MemTotal: %lld kB", &kb) == 1)
      return kb * 1024;
  return 0;
}

static int64_t
pid_max (void)
{
  cleanup_file FILE *f = fopen ("/proc/sys/kernel/pid_max", "re");
  long long v = 0;
  if (f == NULL || fscanf (f, "%lld", &v) != 1)
    return 0;
  return v;
}

enum
{
  O_CPU = 256,
  O_MEMORY,
  O_RCPU,
  O_RMEMORY,
  O_MAXPODS,
  O_PIDS,
  O_MEMQOS,
  O_LINEAR,
  O_UID,
  O_ROOT,
  O_TIMEOUT,
  O_COUNT,
};

static const struct option long_opts[] = {
  { "cpu", required_argument, NULL, O_CPU },
  { "memory", required_argument, NULL, O_MEMORY },
  { "reserved-cpu", required_argument, NULL, O_RCPU },
  { "reserved-memory", required_argument, NULL, O_RMEMORY },
  { "max-pods", required_argument, NULL, O_MAXPODS },
  { "pids-limit", required_argument, NULL, O_PIDS },
  { "memory-qos", no_argument, NULL, O_MEMQOS },
  { "linear", no_argument, NULL, O_LINEAR },
  { "uid", required_argument, NULL, O_UID },
  { "root", required_argument, NULL, O_ROOT },
  { "timeout", required_argument, NULL, O_TIMEOUT },
  { "count", required_argument, NULL, O_COUNT },
  { NULL, 0, NULL, 0 },
};

/* Parse the options after the subcommand; returns optind or -1. */
static int
parse_opts (int argc, char **argv, struct opts *o)
{
  struct cgroup_node_config *n = &o->node;
  int c;
  memset (o, 0, sizeof (*o));
  cgroup_node_config_init (n);
  n->cpu_capacity_milli = sysconf (_SC_NPROCESSORS_ONLN) * 1000;
  n->memory_capacity = meminfo_total ();
  n->pids_capacity = pid_max ();
  o->root = CGROUP_FS_DEFAULT_ROOT;
  o->timeout_s = 30;
  o->count = 1;
  optind = 1;
  while ((c = getopt_long (argc, argv, "+", long_opts, NULL)) != -1)
    {
      int r = 0;
      switch (c)
        {
        case O_CPU:
          r = parse_quantity ("cpu", optarg, true, &n->cpu_capacity_milli);
          break;
        case O_MEMORY:
          r = parse_quantity ("memory", optarg, false, &n->memory_capacity);
          break;
        case O_RCPU:
          r = parse_quantity ("reserved-cpu", optarg, true,
                              &n->cpu_reserved_milli);
          break;
        case O_RMEMORY:
          r = parse_quantity ("reserved-memory", optarg, false,
                              &n->memory_reserved);
          break;
        case O_MAXPODS:
          n->max_pods = atoll (optarg);
          break;
        case O_PIDS:
          n->pod_pids_limit = atoll (optarg);
          break;
        case O_MEMQOS:
          n->memory_qos = true;
          break;
        case O_LINEAR:
          n->container_weight = CGROUP_WEIGHT_LINEAR;
          break;
        case O_UID:
          o->uid = optarg;
          break;
        case O_ROOT:
          o->root = optarg;
          break;
        case O_TIMEOUT:
          o->timeout_s = atoi (optarg);
          break;
        case O_COUNT:
          o->count = atoi (optarg);
          break;
        default:
          return -1;
        }
      if (r < 0)
        return -1;
    }
  return optind;
}

/* ---- manifests ---- */

static void
pods_free (struct pods *p)
{
  for (size_t i = 0; i < p->n_manifests; i++)
    manifest_free (&p->manifests[i]);
  free (p->manifests);
  free (p->items);
  free (p->files);
}

/* Every valid Pod of FILES; invalid objects are an error. */
static int
pods_read (char **files, int n, struct pods *out)
{
  memset (out, 0, sizeof (*out));
  out->manifests = calloc ((size_t)n + 1, sizeof (*out->manifests));
  if (out->manifests == NULL)
    return -1;
  for (int i = 0; i < n; i++)
    {
      berth_error_t err = NULL;
      struct manifest *m = &out->manifests[out->n_manifests];
      if (manifest_read_file (files[i], m, &err) < 0)
        return fail (&err), -1;
      out->n_manifests++;
      for (size_t j = 0; j < m->len; j++)
        {
          const struct object *o = m->objects[j];
          if (o->info == NULL || o->info->id != KIND_POD
              || !object_is_valid (o))
            {
              fprintf (stderr, "cgroup-tool: %s: not a valid Pod\n", files[i]);
              return -1;
            }
          const struct pod **items
              = realloc (out->items, (out->len + 1) * sizeof (*items));
          const char **names
              = realloc (out->files, (out->len + 1) * sizeof (*names));
          if (items != NULL)
            out->items = items;
          if (names != NULL)
            out->files = names;
          if (items == NULL || names == NULL)
            return -1;
          out->items[out->len] = o->data;
          out->files[out->len++] = files[i];
        }
    }
  return 0;
}

/* The pod's cgroup name: --uid (one pod only), metadata.uid, or the name. */
static const char *
pod_uid (const struct opts *o, const struct pods *p, size_t i)
{
  if (o->uid != NULL && p->len == 1)
    return o->uid;
  if (p->items[i]->metadata.uid != NULL)
    return p->items[i]->metadata.uid;
  return p->items[i]->metadata.name;
}

static void
print_values (const char *path, const struct cgroup_values *v)
{
  struct cgroup_entry e[CGROUP_MAX_ENTRIES];
  size_t n = cgroup_values_entries (v, e);
  for (size_t i = 0; i < n; i++)
    printf ("%s: %s = %s\n", path, e[i].file, e[i].value);
}

static const struct pod_spec **
specs_of (const struct pods *p)
{
  const struct pod_spec **s = calloc (p->len + 1, sizeof (*s));
  for (size_t i = 0; s != NULL && i < p->len; i++)
    s[i] = &p->items[i]->spec;
  return s;
}

/* ---- values, admit ---- */

static int
cmd_values (const struct opts *o, struct pods *p)
{
  berth_error_t err = NULL;
  struct cgroup_qos_values q;
  cleanup_free const struct pod_spec **specs = specs_of (p);

  for (size_t i = 0; i < p->len; i++)
    {
      struct cgroup_pod_values v;
      const struct pod *pod = p->items[i];
      if (cgroup_values_for_pod (&pod->spec, &o->node, &v, &err) < 0)
        return fail (&err);
      cleanup_free char *path = cgroup_fs_pod_path (v.qos, pod_uid (o, p, i));
      printf ("# pod %s/%s: %s\n", pod->metadata.namespace, pod->metadata.name,
              qos_class_name (v.qos));
      print_values (path, &v.pod);
      for (size_t c = 0; c < v.n_containers; c++)
        {
          cleanup_free char *cpath = NULL;
          if (asprintf (&cpath, "%s/%s", path, v.containers[c].name) < 0)
            return 1;
          print_values (cpath, &v.containers[c].values);
          printf ("%s: oom_score_adj = %d\n", cpath,
                  v.containers[c].oom_score_adj);
        }
      cgroup_pod_values_free (&v);
    }
  if (cgroup_values_for_qos (specs, p->len, &o->node, &q, &err) < 0)
    return fail (&err);
  printf ("# node\n");
  print_values (".", &q.root);
  print_values ("burstable", &q.burstable);
  print_values ("besteffort", &q.besteffort);
  return 0;
}

static int
cmd_admit (const struct opts *o, struct pods *p)
{
  berth_error_t err = NULL;
  cleanup_free const struct pod_spec **admitted = specs_of (p);
  size_t n = 0;
  int rejected = 0;
  for (size_t i = 0; i < p->len; i++)
    {
      struct cgroup_admission a;
      const struct pod *pod = p->items[i];
      if (cgroup_admit (&pod->spec, admitted, n, &o->node, &a, &err) < 0)
        return fail (&err);
      if (a.admit)
        {
          admitted[n++] = &pod->spec;
          printf ("pod/%s/%s: admitted\n", pod->metadata.namespace,
                  pod->metadata.name);
        }
      else
        {
          rejected++;
          printf ("pod/%s/%s: %s: %s\n", pod->metadata.namespace,
                  pod->metadata.name, a.reason, a.message);
        }
    }
  return rejected ? 1 : 0;
}

/* ---- apply, remove, run ---- */

static int
cmd_apply (const struct opts *o, struct pods *p)
{
  berth_error_t err = NULL;
  struct cgroup_fs *fs = NULL;
  struct cgroup_qos_values q;
  cleanup_free const struct pod_spec **specs = specs_of (p);
  int rc = 0;

  if (cgroup_fs_open (o->root, &fs, &err) < 0)
    return fail (&err);
  if (cgroup_values_for_qos (specs, p->len, &o->node, &q, &err) < 0
      || cgroup_fs_apply_qos (fs, &q, &err) < 0)
    {
      cgroup_fs_free (fs);
      return fail (&err);
    }
  for (size_t i = 0; i < p->len && rc == 0; i++)
    {
      struct cgroup_pod_values v;
      const char *uid = pod_uid (o, p, i);
      if (cgroup_values_for_pod (&p->items[i]->spec, &o->node, &v, &err) < 0)
        {
          rc = fail (&err);
          break;
        }
      cleanup_free char *path = cgroup_fs_pod_path (v.qos, uid);
      if (cgroup_fs_pod_create (fs, v.qos, uid, &v.pod, &err) < 0)
        rc = fail (&err);
      else
        printf ("created %s/%s\n", o->root, path);
      for (size_t c = 0; rc == 0 && c < v.n_containers; c++)
        {
          const struct cgroup_container_values *cv = &v.containers[c];
          if (cgroup_fs_container_create (fs, v.qos, uid, cv->name, &cv->values,
                                          &err)
              < 0)
            rc = fail (&err);
          else
            printf ("created %s/%s/%s\n", o->root, path, cv->name);
        }
      cgroup_pod_values_free (&v);
    }
  cgroup_fs_free (fs);
  return rc;
}

/* Open the root without creating anything beyond what exists. */
static int
open_root (const struct opts *o, struct cgroup_fs **fs)
{
  berth_error_t err = NULL;
  if (cgroup_fs_open (o->root, fs, &err) < 0)
    return fail (&err);
  return 0;
}

static int
cmd_remove (const struct opts *o, int argc, char **argv)
{
  berth_error_t err = NULL;
  struct cgroup_fs *fs = NULL;
  if (argc != 1)
    return usage ();
  if (open_root (o, &fs) != 0)
    return 1;
  int r = cgroup_fs_pod_remove (fs, argv[0], o->timeout_s * 1000, &err);
  cgroup_fs_free (fs);
  if (r < 0)
    return fail (&err);
  printf (r == 0 ? "no pod %s\n" : "removed pod %s\n", argv[0]);
  return 0;
}

static int
cmd_run (const struct opts *o, int argc, char **argv)
{
  berth_error_t err = NULL;
  struct cgroup_fs *fs = NULL;
  if (argc < 2)
    return usage ();
  if (open_root (o, &fs) != 0)
    return 1;
  int r = cgroup_fs_move (fs, argv[0], getpid (), &err);
  cgroup_fs_free (fs);
  if (r < 0)
    return fail (&err);
  execvp (argv[1], argv + 1);
  fprintf (stderr, "cgroup-tool: exec %s: %s\n", argv[1], strerror (errno));
  return 127;
}

static int
count_fds (void)
{
  int n = 0;
  DIR *d = opendir ("/proc/self/fd");
  if (d == NULL)
    return -1;
  while (readdir (d) != NULL)
    n++;
  closedir (d);
  return n;
}

/* One cycle: create the pod's cgroups, optionally put a sleeping child in
 * its first container, remove everything. */
static int
one_cycle (struct cgroup_fs *fs, const struct cgroup_pod_values *v,
           const char *uid, bool with_child, berth_error_t *err)
{
  const struct cgroup_container_values *cv = &v->containers[0];
  cleanup_free char *pod = cgroup_fs_pod_path (v->qos, uid);
  cleanup_free char *rel = NULL;
  if (pod == NULL || asprintf (&rel, "%s/%s", pod, cv->name) < 0)
    return berth_error_make (err, EINVAL, "bad uid %s", uid);
  if (cgroup_fs_pod_create (fs, v->qos, uid, &v->pod, err) < 0)
    return -1;
  for (size_t c = 0; c < v->n_containers; c++)
    if (cgroup_fs_container_create (fs, v->qos, uid, v->containers[c].name,
                                    &v->containers[c].values, err)
        < 0)
      return -1;
  pid_t pid = -1;
  if (with_child)
    {
      pid = fork ();
      if (pid < 0)
        return berth_error_sys (err, errno, "fork");
      if (pid == 0)
        {
          pause ();
          _exit (0);
        }
      if (cgroup_fs_move (fs, rel, pid, err) < 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          return -1;
        }
    }
  int r = cgroup_fs_pod_remove (fs, uid, 10000, err);
  if (pid > 0)
    {
      int status;
      waitpid (pid, &status, 0);
      if (r > 0 && !(WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL))
        return berth_error_make (err, 0, "child was not killed");
    }
  if (r == 0)
    return berth_error_make (err, 0, "pod %s: no cgroup to remove", uid);
  return r < 0 ? -1 : 0;
}

static int
cmd_cycles (const struct opts *o, struct pods *p)
{
  berth_error_t err = NULL;
  struct cgroup_fs *fs = NULL;
  struct cgroup_pod_values v;
  int before = -1, rc = 0;

  if (p->len != 1 || p->items[0]->spec.containers.len == 0)
    return usage ();
  if (cgroup_values_for_pod (&p->items[0]->spec, &o->node, &v, &err) < 0)
    return fail (&err);
  if (open_root (o, &fs) != 0)
    {
      cgroup_pod_values_free (&v);
      return 1;
    }
  for (int i = 0; i < o->count && rc == 0; i++)
    {
      if (one_cycle (fs, &v, pod_uid (o, p, 0), i % 20 == 19, &err) < 0)
        rc = fail (&err);
      if (i == 0)
        before = count_fds ();
    }
  int after = count_fds ();
  printf ("cycles %d fds after first %d after last %d\n", o->count, before,
          after);
  cgroup_fs_free (fs);
  cgroup_pod_values_free (&v);
  return rc;
}

/* ---- watch-oom, stats, check-host ---- */

static void
print_delta (const struct oom_delta *d)
{
  printf ("oom=+%" PRIu64 " oom_kill=+%" PRIu64 " oom_group_kill=+%" PRIu64
          " (oom %" PRIu64 " oom_kill %" PRIu64 ")\n",
          d->oom, d->oom_kill, d->oom_group_kill, d->now.oom.v,
          d->now.oom_kill.v);
  fflush (stdout);
}

static int
cmd_watch_oom (const struct opts *o, int argc, char **argv)
{
  berth_error_t err = NULL;
  struct oom_watch *w = NULL;
  struct oom_delta d;
  int seen = 0;
  if (argc != 1)
    return usage ();
  if (oom_watch_open (argv[0], &w, &err) < 0)
    return fail (&err);
  printf ("ready\n");
  fflush (stdout);
  time_t end = time (NULL) + o->timeout_s;
  while (seen < o->count)
    {
      struct pollfd pfd = { .fd = oom_watch_fd (w), .events = POLLIN };
      int left = (int)(end - time (NULL));
      if (left <= 0 || oom_watch_gone (w))
        break;
      if (poll (&pfd, 1, left * 1000) < 0 && errno != EINTR)
        break;
      int r = oom_watch_process (w, &d, &err);
      if (r < 0)
        {
          oom_watch_free (w);
          return fail (&err);
        }
      if (r > 0)
        {
          print_delta (&d);
          seen++;
        }
    }
  /* Once more, as after a process exit. */
  if (seen < o->count && oom_watch_check (w, &d, &err) > 0)
    {
      print_delta (&d);
      seen++;
    }
  berth_error_release (&err);
  oom_watch_free (w);
  if (seen < o->count)
    {
      fprintf (stderr, "cgroup-tool: watch-oom %s: %d of %d OOM events\n",
               argv[0], seen, o->count);
      return 2;
    }
  return 0;
}

static void
print_counter (const char *name, const struct cgroup_counter *c)
{
  if (c->set)
    printf ("%s = %" PRIu64 "\n", name, c->v);
}

static void
print_psi (const char *name, const struct cgroup_pressure *p)
{
  if (p->some.set)
    printf ("%s.some = avg10=%.2f avg60=%.2f avg300=%.2f total=%" PRIu64 "\n",
            name, p->some.avg10, p->some.avg60, p->some.avg300, p->some.total);
  if (p->full.set)
    printf ("%s.full = avg10=%.2f avg60=%.2f avg300=%.2f total=%" PRIu64 "\n",
            name, p->full.avg10, p->full.avg60, p->full.avg300, p->full.total);
}

static int
cmd_stats (int argc, char **argv)
{
  berth_error_t err = NULL;
  struct cgroup_stats s;
  if (argc != 1)
    return usage ();
  if (cgroup_stats_read_path (argv[0], &s, &err) < 0)
    return fail (&err);
  print_counter ("cpu.usage_usec", &s.cpu.usage_usec);
  print_counter ("cpu.user_usec", &s.cpu.user_usec);
  print_counter ("cpu.system_usec", &s.cpu.system_usec);
  print_counter ("cpu.nr_periods", &s.cpu.nr_periods);
  print_counter ("cpu.nr_throttled", &s.cpu.nr_throttled);
  print_counter ("cpu.throttled_usec", &s.cpu.throttled_usec);
  print_counter ("memory.current", &s.memory_current);
  print_counter ("memory.peak", &s.memory_peak);
  print_counter ("memory.working_set", &s.working_set);
  print_counter ("memory.anon", &s.memory.anon);
  print_counter ("memory.file", &s.memory.file);
  print_counter ("memory.inactive_file", &s.memory.inactive_file);
  print_counter ("memory.events.max", &s.events.max);
  print_counter ("memory.events.oom", &s.events.oom);
  print_counter ("memory.events.oom_kill", &s.events.oom_kill);
  print_counter ("memory.events.oom_group_kill", &s.events.oom_group_kill);
  print_psi ("cpu.pressure", &s.cpu_pressure);
  print_psi ("memory.pressure", &s.memory_pressure);
  print_psi ("io.pressure", &s.io_pressure);
  return 0;
}

static int
cmd_delegate (struct opts *o, int argc, char **argv)
{
  berth_error_t err = NULL;
  cleanup_free char *root = NULL;
  struct pods p;
  if (cgroup_fs_delegated_root ("/sys/fs/cgroup", "agent", &root, &err) < 0)
    return fail (&err);
  printf ("root: %s\n", root);
  fflush (stdout);
  if (argc == 0)
    return 0;
  o->root = root;
  if (pods_read (argv, argc, &p) < 0)
    {
      pods_free (&p);
      return 1;
    }
  int rc = cmd_apply (o, &p);
  pods_free (&p);
  return rc;
}

static int
cmd_check_host (const struct opts *o)
{
  berth_error_t err = NULL;
  if (cgroup_fs_check_host (o->root, &err) < 0)
    return fail (&err);
  printf ("ok: %s\n", o->root);
  return 0;
}

int
main (int argc, char **argv)
{
  struct opts o;
  struct pods p;
  if (argc < 2)
    return usage ();
  const char *cmd = argv[1];
  int first = parse_opts (argc - 1, argv + 1, &o);
  if (first < 0)
    return usage ();
  int n = argc - 1 - first;
  char **rest = argv + 1 + first;

  if (strcmp (cmd, "values") == 0 || strcmp (cmd, "admit") == 0
      || strcmp (cmd, "apply") == 0 || strcmp (cmd, "cycles") == 0)
    {
      if (n < 1)
        return usage ();
      if (pods_read (rest, n, &p) < 0)
        {
          pods_free (&p);
          return 1;
        }
      int rc = strcmp (cmd, "values") == 0   ? cmd_values (&o, &p)
               : strcmp (cmd, "admit") == 0  ? cmd_admit (&o, &p)
               : strcmp (cmd, "cycles") == 0 ? cmd_cycles (&o, &p)
                                             : cmd_apply (&o, &p);
      pods_free (&p);
      return rc;
    }
  if (strcmp (cmd, "remove") == 0)
    return cmd_remove (&o, n, rest);
  if (strcmp (cmd, "run") == 0)
    {
      if (n > 1 && strcmp (rest[1], "--") == 0)
        {
          rest[1] = rest[0];
          rest++;
          n--;
        }
      return cmd_run (&o, n, rest);
    }
  if (strcmp (cmd, "watch-oom") == 0)
    return cmd_watch_oom (&o, n, rest);
  if (strcmp (cmd, "stats") == 0)
    return cmd_stats (n, rest);
  if (strcmp (cmd, "delegate") == 0)
    return cmd_delegate (&o, n, rest);
  if (strcmp (cmd, "check-host") == 0)
    return cmd_check_host (&o);
  return usage ();
}
