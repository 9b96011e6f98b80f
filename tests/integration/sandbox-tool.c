/* sandbox-tool.c - test driver for the pod sandbox, CNI and volume modules
 * (tests/integration/test_sandbox.sh, test_cni.sh).  Not installed.
 *
 *   sandbox-tool [OPTIONS] create POD.yaml        key=value lines
 *   sandbox-tool [OPTIONS] destroy UID
 *   sandbox-tool [OPTIONS] loop N POD.yaml        create/destroy N times
 *   sandbox-tool [OPTIONS] bench N POD.yaml       median create time
 *   sandbox-tool volumes POD_DIR MANIFEST...      set up a pod's volumes
 *   sandbox-tool volumes-down POD_DIR
 * OPTIONS: --run-dir D --cni-conf-dir D --cni-path P --no-cni
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "manifest.h"
#include "sandbox.h"
#include "volumes.h"

struct objects
{
  struct manifest m[16];
  size_t n;
};

static void
die (berth_error_t *err)
{
  fprintf (stderr, "sandbox-tool: %s\n", berth_error_msg (err));
  exit (1);
}

static void *
find_kind (struct objects *o, enum kind_id id, const char *name)
{
  size_t i, j;
  for (i = 0; i < o->n; i++)
    for (j = 0; j < o->m[i].len; j++)
      {
        struct object *ob = o->m[i].objects[j];
        if (ob->info && ob->info->id == id
            && (name == NULL || strcmp (object_name (ob), name) == 0))
          return ob->data;
      }
  return NULL;
}

static const struct config_map *
lookup_cm (void *ctx, const char *ns, const char *name)
{
  (void)ns;
  return find_kind (ctx, KIND_CONFIG_MAP, name);
}

static const struct secret *
lookup_secret (void *ctx, const char *ns, const char *name)
{
  (void)ns;
  return find_kind (ctx, KIND_SECRET, name);
}

static void
read_manifest (struct objects *o, const char *path)
{
  berth_error_t err = NULL;
  if (o->n >= 16)
    exit (2);
  if (manifest_read_file (path, &o->m[o->n], &err) < 0)
    die (&err);
  o->n++;
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

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void
print_sandbox (const struct sandbox *sb)
{
  printf ("uid=%s\ndir=%s\nnet=%s\nipc=%s\nuts=%s\npid=%s\nreaper=%d\n"
          "ip=%s\nhostname=%s\nshm=%s\nhosts=%s\nresolv=%s\n",
          sb->uid, sb->dir, sb->net_ns ? sb->net_ns : "", sb->ipc_ns,
          sb->uts_ns ? sb->uts_ns : "", sb->pid_ns ? sb->pid_ns : "",
          (int)sb->reaper, sb->ip ? sb->ip : "", sb->hostname, sb->shm_dir,
          sb->hosts_path, sb->resolv_path);
  if (sb->warning)
    fprintf (stderr, "warning: %s\n", sb->warning);
}

static int
loop (const struct sandbox_config *cfg, const struct pod *pod, int n,
      bool bench)
{
  double *t = calloc ((size_t)n + 1, sizeof (double));
  int fds0 = count_dir ("/proc/self/fd"),
      m0 = count_lines ("/proc/self/mountinfo");
  int i;

  for (i = 0; i < n; i++)
    {
      berth_error_t err = NULL;
      struct sandbox *sb = NULL;
      double s = now_ms ();
      if (sandbox_create (cfg, pod, &sb, &err) < 0)
        die (&err);
      t[i] = now_ms () - s;
      if (sandbox_destroy (cfg, sb->uid, &err) < 0)
        die (&err);
      sandbox_free (sb);
    }
  qsort (t, (size_t)n, sizeof (double), cmp_double);
  if (bench)
    printf ("create_median_ms=%.1f\n", t[n / 2]);
  printf ("fds_before=%d\nfds_after=%d\nmounts_before=%d\nmounts_after=%d\n",
          fds0, count_dir ("/proc/self/fd"), m0,
          count_lines ("/proc/self/mountinfo"));
  free (t);
  return 0;
}

int
main (int argc, char **argv)
{
  struct sandbox_config cfg = { 0 };
  struct objects objs = { 0 };
  berth_error_t err = NULL;
  int i = 1;
  const char *cmd;

  for (; i + 1 < argc && strncmp (argv[i], "--", 2) == 0; i++)
    {
      if (strcmp (argv[i], "--no-cni") == 0)
        {
          cfg.no_cni = true;
          continue;
        }
      if (strcmp (argv[i], "--run-dir") == 0)
        cfg.run_dir = argv[++i];
      else if (strcmp (argv[i], "--cni-conf-dir") == 0)
        cfg.cni_conf_dir = argv[++i];
      else if (strcmp (argv[i], "--cni-path") == 0)
        cfg.cni_plugin_path = argv[++i];
      else
        break;
    }
  if (i >= argc)
    {
      fprintf (stderr, "usage: see tests/integration/sandbox-tool.c\n");
      return 2;
    }
  cmd = argv[i++];
  if (strcmp (cmd, "destroy") == 0 && i < argc)
    {
      if (sandbox_destroy (&cfg, argv[i], &err) < 0)
        die (&err);
      return 0;
    }
  if (strcmp (cmd, "volumes-down") == 0 && i < argc)
    {
      if (volumes_teardown (argv[i], &err) < 0)
        die (&err);
      return 0;
    }
  if (strcmp (cmd, "volumes") == 0 && i + 1 < argc)
    {
      struct volumes_lookup lk = { lookup_cm, lookup_secret, &objs };
      struct volumes_set set;
      const char *dir = argv[i++];
      struct pod *pod;
      size_t k;
      for (; i < argc; i++)
        read_manifest (&objs, argv[i]);
      pod = find_kind (&objs, KIND_POD, NULL);
      if (pod == NULL || volumes_setup (dir, pod, &lk, &set, &err) < 0)
        {
          if (pod == NULL)
            fprintf (stderr, "sandbox-tool: no pod\n");
          else
            die (&err);
          return 1;
        }
      for (k = 0; k < set.len; k++)
        printf ("%s=%s\n", set.items[k].name, set.items[k].path);
      volumes_set_clear (&set);
      return 0;
    }
  if (strcmp (cmd, "create") == 0 && i < argc)
    {
      struct sandbox *sb = NULL;
      struct pod *pod;
      read_manifest (&objs, argv[i]);
      pod = find_kind (&objs, KIND_POD, NULL);
      if (pod == NULL)
        return 1;
      if (sandbox_create (&cfg, pod, &sb, &err) < 0)
        die (&err);
      print_sandbox (sb);
      sandbox_free (sb);
      return 0;
    }
  if ((strcmp (cmd, "loop") == 0 || strcmp (cmd, "bench") == 0) && i + 1 < argc)
    {
      int n = atoi (argv[i]);
      struct pod *pod;
      read_manifest (&objs, argv[i + 1]);
      pod = find_kind (&objs, KIND_POD, NULL);
      if (pod == NULL || n <= 0)
        return 1;
      return loop (&cfg, pod, n, strcmp (cmd, "bench") == 0);
    }
  fprintf (stderr, "sandbox-tool: bad command\n");
  return 2;
}
