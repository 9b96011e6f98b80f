/* pod-cycle.c - create/delete cycles of one pod through the pod runner, in
 * one process, as a long-lived agent would run them (bench/leaks.sh).  Not
 * installed.
 *
 *   pod-cycle [OPTIONS] N POD.yaml
 *   OPTIONS: --root D --run-dir D --log-dir D --cgroup-root D
 *            --no-cni | --cni-conf-dir D
 *
 * Each cycle: pod_runner_start (admission, cgroups, sandbox with CNI,
 * volumes), pod_runner_sync until the pod is terminal (its containers ran
 * to their end), pod_runner_stop, pod_runner_free.  The pod should exit by
 * itself (restartPolicy Never); the file's ConfigMaps and Secrets are
 * available to it.  Prints key=value lines: cycles, seconds,
 * cycle_ms_median, cycle_ms_max, failed (cycles whose pod did not
 * succeed), and this process's fds_before/after and mounts_before/after.
 * Exit status 0, or 1 with the error on stderr.
 */
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "manifest.h"
#include "pod_runner.h"

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int64_t
wall_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int
count_dir (const char *path)
{
  cleanup_dir DIR *d = opendir (path);
  int n = 0;
  while (d && readdir (d))
    n++;
  return n;
}

static int
count_lines (const char *path)
{
  cleanup_file FILE *f = fopen (path, "re");
  int n = 0, c;
  while (f && (c = fgetc (f)) != EOF)
    n += c == '\n';
  return n;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int
die (const char *what, berth_error_t *err)
{
  fprintf (stderr, "pod-cycle: %s: %s\n", what, berth_error_msg (err));
  berth_error_release (err);
  return 1;
}

/* One pod from start to its end and its teardown; false if it failed. */
static bool
cycle (struct runner_config *cfg, const struct pod *pod)
{
  struct pod_runner r;
  berth_error_t err = NULL;
  int64_t deadline = wall_ms () + 60000, next = -1;
  bool ok;

  if (pod_runner_start (&r, cfg, pod, &err) < 0)
    {
      fprintf (stderr, "pod-cycle: start: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      r.terminal = true;
    }
  while (!r.terminal && wall_ms () < deadline)
    {
      if (pod_runner_sync (&r, wall_ms (), &next, &err) < 0)
        berth_error_release (&err);
      if (!r.terminal)
        poll (NULL, 0, 5);
    }
  ok = r.phase == PHASE_SUCCEEDED;
  if (!ok && r.reason)
    fprintf (stderr, "pod-cycle: %s: %s\n", r.reason,
             r.message ? r.message : "");
  if (pod_runner_stop (&r, &err) < 0)
    {
      fprintf (stderr, "pod-cycle: stop: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      ok = false;
    }
  pod_runner_free (&r);
  return ok;
}

int
main (int argc, char **argv)
{
  struct runner_config cfg
      = { .root = "/var/lib/berth", .log_dir = "/var/log/pods" };
  const char *cgroup_root = CGROUP_FS_DEFAULT_ROOT;
  struct cgroup_fs *cg = NULL;
  struct manifest m = { 0 };
  const struct pod *pod = NULL;
  const struct config_map *cms[16];
  const struct secret *secrets[16];
  size_t n_cms = 0, n_secrets = 0;
  berth_error_t err = NULL;
  struct sysinfo si;
  double *t, start;
  int i = 1, n, failed = 0, fds0, m0;

  for (; i + 1 < argc && strncmp (argv[i], "--", 2) == 0; i++)
    if (strcmp (argv[i], "--no-cni") == 0)
      cfg.sandbox.no_cni = true;
    else if (strcmp (argv[i], "--root") == 0)
      cfg.root = argv[++i];
    else if (strcmp (argv[i], "--run-dir") == 0)
      cfg.sandbox.run_dir = argv[++i];
    else if (strcmp (argv[i], "--log-dir") == 0)
      cfg.log_dir = argv[++i];
    else if (strcmp (argv[i], "--cgroup-root") == 0)
      cgroup_root = argv[++i];
    else if (strcmp (argv[i], "--cni-conf-dir") == 0)
      cfg.sandbox.cni_conf_dir = argv[++i];
    else
      break;
  if (i + 2 != argc || (n = atoi (argv[i])) <= 0)
    {
      fprintf (stderr, "usage: see tests/integration/pod-cycle.c\n");
      return 2;
    }
  if (manifest_read_file (argv[i + 1], &m, &err) < 0)
    return die ("read", &err);
  for (size_t k = 0; k < m.len; k++)
    {
      struct object *o = m.objects[k];
      if (o->info == NULL || !object_is_valid (o))
        continue;
      if (o->info->id == KIND_POD && pod == NULL)
        pod = o->data;
      else if (o->info->id == KIND_CONFIG_MAP && n_cms < 16)
        cms[n_cms++] = o->data;
      else if (o->info->id == KIND_SECRET && n_secrets < 16)
        secrets[n_secrets++] = o->data;
    }
  cfg.config_maps = cms;
  cfg.n_config_maps = n_cms;
  cfg.secrets = secrets;
  cfg.n_secrets = n_secrets;
  if (pod == NULL)
    {
      fprintf (stderr, "pod-cycle: no valid Pod in %s\n", argv[i + 1]);
      return 1;
    }
  if (cgroup_fs_open (cgroup_root, &cg, &err) < 0)
    return die ("cgroups", &err);
  cfg.cgroups = cg;
  cgroup_node_config_init (&cfg.node);
  cfg.node.cpu_capacity_milli = sysconf (_SC_NPROCESSORS_ONLN) * 1000;
  if (sysinfo (&si) == 0)
    cfg.node.memory_capacity = (int64_t)si.totalram * si.mem_unit;
  if (image_store_open (cfg.root, &cfg.images, &err) < 0)
    return die ("images", &err);

  /* One cycle first: what it opens once and keeps (the image store's
   * files, the CNI config) is not a leak. */
  failed += !cycle (&cfg, pod);
  fds0 = count_dir ("/proc/self/fd");
  m0 = count_lines ("/proc/self/mountinfo");
  t = calloc ((size_t)n, sizeof (*t));
  if (t == NULL)
    abort ();
  start = now_ms ();
  for (int c = 0; c < n; c++)
    {
      double s = now_ms ();
      failed += !cycle (&cfg, pod);
      t[c] = now_ms () - s;
      if ((c + 1) % 100 == 0)
        fprintf (stderr, "pod-cycle: %d cycles in %.0f s\n", c + 1,
                 (now_ms () - start) / 1000);
    }
  printf ("cycles=%d\nseconds=%.1f\n", n, (now_ms () - start) / 1000);
  qsort (t, (size_t)n, sizeof (*t), cmp_double);
  printf ("cycle_ms_median=%.1f\ncycle_ms_max=%.1f\nfailed=%d\n", t[n / 2],
          t[n - 1], failed);
  printf ("fds_before=%d\nfds_after=%d\nmounts_before=%d\nmounts_after=%d\n",
          fds0, count_dir ("/proc/self/fd"), m0,
          count_lines ("/proc/self/mountinfo"));
  free (t);
  image_store_close (cfg.images);
  cgroup_fs_free (cg);
  manifest_free (&m);
  return 0;
}
