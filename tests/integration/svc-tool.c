/* svc-tool - test driver of tests/integration/test_services.sh: an object
 * store and the services controller (allocation, endpoints, nftables
 * routing) driven by commands on standard input, one a line, without the
 * agent or the pod worker.  Pod statuses are written as the pod worker
 * writes them.  Each command that changes the store is followed by a
 * sync, and answered with one line:
 *
 *   apply FILE               store the objects of a manifest (as a file's)
 *   ready POD IP true|false  status: Running, podIP(s), Ready condition
 *   terminate POD            graceful delete (deletionTimestamp)
 *   remove POD               the Pod is gone
 *   get KIND NAME PATH       a field of a stored object (spec.clusterIP)
 *   rules                    the ruleset, then a line "."
 *   bench N POD IP           N readiness flips of POD (ready first),
 *                            latency statistics
 *   quit                     free the controller (deletes the table)
 *
 * "ok changed=1 latency_ms=0.84 tx_ms=0.61" answers a change;
 * "error: ..." a failure.  Everything happens in the caller's network
 * namespace. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "service_controller.h"
#include "store.h"

struct tool
{
  struct store store;
  struct controller *ctl;
  int64_t change_ns;
  bool quiet;      /* no answer lines (bench) */
  bool routing;    /* nftables programmed */
  double cycle_ms; /* the last store change to the end of its sync */
  double cpu_ms;   /* the CPU time of that sync */
};

static int64_t
cpu_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t
mono_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const struct kind_info *
kind_of (const char *k)
{
  if (strcmp (k, "pod") == 0)
    return kind_lookup ("Pod");
  if (strcmp (k, "svc") == 0 || strcmp (k, "service") == 0)
    return kind_lookup ("Service");
  return kind_lookup (k);
}

/* Sync as the agent does after a change; report what it cost. */
static int
sync_and_report (struct tool *t)
{
  const struct service_controller_stats *st = service_controller_stats (t->ctl);
  uint64_t before = st->commits;
  berth_error_t err = NULL;
  int64_t next, start = t->change_ns, cpu0 = cpu_ns ();
  int r = t->ctl->ops->sync (t->ctl, &t->store, 0, &next, &err);
  t->cpu_ms = (double)(cpu_ns () - cpu0) / 1e6;
  t->cycle_ms = start > 0 ? (double)(mono_ns () - start) / 1e6 : 0;
  if (r < 0)
    {
      printf ("error: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      t->change_ns = 0;
      return -1;
    }
  t->change_ns = 0;
  if (t->quiet)
    return 0;
  if (st->commits > before)
    printf ("ok changed=1 latency_ms=%.3f tx_ms=%.3f\n", st->last_ms,
            st->last_tx_ms);
  else
    printf ("ok changed=0\n");
  return 0;
}

static int
cmd_apply (struct tool *t, const char *file)
{
  struct manifest m;
  berth_error_t err = NULL;
  cleanup_free char *source = NULL;
  if (manifest_read_file (file, &m, &err) < 0)
    {
      printf ("error: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  if (asprintf (&source, "file:%s", file) < 0)
    abort ();
  t->change_ns = mono_ns ();
  for (size_t i = 0; i < m.len; i++)
    {
      struct object *o = m.objects[i];
      m.objects[i] = NULL;
      if (!object_is_valid (o))
        {
          printf ("error: %s: invalid object\n", file);
          object_free (o);
          manifest_free (&m);
          return -1;
        }
      enum store_result res;
      if (store_apply (&t->store, o, source, STORE_UPSERT, NULL, &res, NULL,
                       &err)
          < 0)
        {
          printf ("error: %s\n", berth_error_msg (&err));
          berth_error_release (&err);
        }
    }
  manifest_free (&m);
  return sync_and_report (t);
}

static struct store_entry *
pod_entry (struct tool *t, const char *name)
{
  struct store_entry *e
      = store_get (&t->store, kind_lookup ("Pod"), "default", name);
  if (e == NULL)
    printf ("error: pod %s not found\n", name);
  return e;
}

/* The status the pod worker writes for a running pod. */
static int
cmd_ready (struct tool *t, const char *name, const char *ip, bool ready)
{
  struct store_entry *e = pod_entry (t, name);
  struct node *st, *ips, *one, *conds, *c;
  berth_error_t err = NULL;
  if (e == NULL)
    return -1;
  st = node_new_map ();
  node_map_set_str (st, "phase", "Running");
  node_map_set_str (st, "podIP", ip);
  ips = node_new_seq ();
  one = node_new_map ();
  node_map_set_str (one, "ip", ip);
  node_seq_append (ips, one);
  node_map_set (st, "podIPs", ips);
  conds = node_new_seq ();
  c = node_new_map ();
  node_map_set_str (c, "type", "Ready");
  node_map_set_str (c, "status", ready ? "True" : "False");
  node_seq_append (conds, c);
  node_map_set (st, "conditions", conds);
  t->change_ns = mono_ns ();
  if (store_set_status (&t->store, e, st, &err) < 0)
    {
      printf ("error: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  return sync_and_report (t);
}

static int
cmd_delete (struct tool *t, const char *name, bool now)
{
  struct store_entry *removed = NULL;
  berth_error_t err = NULL;
  int r;
  if (pod_entry (t, name) == NULL)
    return -1;
  t->change_ns = mono_ns ();
  if (now)
    r = store_remove (&t->store, kind_lookup ("Pod"), "default", name, NULL,
                      &err);
  else
    r = store_delete (&t->store, kind_lookup ("Pod"), "default", name, &removed,
                      &err);
  if (r < 0)
    {
      printf ("error: %s\n", berth_error_msg (&err));
      berth_error_release (&err);
      return -1;
    }
  if (removed)
    store_entry_free (removed);
  return sync_and_report (t);
}

static int
cmd_get (struct tool *t, const char *kind, const char *name, const char *path)
{
  const struct kind_info *k = kind_of (kind);
  struct store_entry *e = k ? store_get (&t->store, k, "default", name) : NULL;
  struct node *n;
  if (e == NULL)
    {
      printf ("error: %s %s not found\n", kind, name);
      return -1;
    }
  n = store_entry_encode (e);
  printf ("%s\n", k8s_get_str (n, path) ?: "");
  node_unref (n);
  return 0;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* N readiness flips: the store change to committed transaction time. */
static int
cmd_bench (struct tool *t, long n, const char *pod, const char *ip)
{
  double *v = calloc ((size_t)n + 1, sizeof (double));
  double *cpu = calloc ((size_t)n + 1, sizeof (double));
  const struct service_controller_stats *st = service_controller_stats (t->ctl);
  long got = 0;
  if (v == NULL || cpu == NULL)
    abort ();
  for (long i = 0; i < n; i++)
    {
      uint64_t before = st->commits;
      t->quiet = true;
      cmd_ready (t, pod, ip, i % 2 == 0);
      t->quiet = false;
      if (st->commits > before)
        v[got] = st->last_ms;
      else if (!t->routing)
        v[got] = t->cycle_ms; /* the ruleset computed, not loaded */
      else
        continue;
      cpu[got++] = t->cpu_ms;
    }
  qsort (v, (size_t)got, sizeof (double), cmp_double);
  qsort (cpu, (size_t)got, sizeof (double), cmp_double);
  if (got == 0)
    printf ("error: no transaction\n");
  else
    printf ("bench flips=%ld commits=%ld median_ms=%.3f p90_ms=%.3f "
            "p99_ms=%.3f max_ms=%.3f cpu_median_ms=%.3f ports=%zu "
            "endpoints=%zu\n",
            n, got, v[got / 2], v[(got * 9) / 10], v[(got * 99) / 100],
            v[got - 1], cpu[got / 2], st->routed_ports, st->routed_endpoints);
  free (v);
  free (cpu);
  return 0;
}

static void
usage (FILE *f)
{
  fprintf (f, "Usage: svc-tool [--service-cluster-ip-range CIDR] "
              "[--service-node-port-range RANGE] [--cluster-cidr CIDR] "
              "[--table NAME] [--no-routing]\n"
              "Commands on standard input: apply FILE | ready POD IP "
              "true|false | terminate POD | remove POD | get KIND NAME PATH "
              "| rules | bench N POD IP | quit\n");
}

static int
run_line (struct tool *t, char *line)
{
  char *argv[8];
  int argc = 0;
  for (char *save = NULL, *tok = strtok_r (line, " \t\n", &save);
       tok && argc < 8; tok = strtok_r (NULL, " \t\n", &save))
    argv[argc++] = tok;
  if (argc == 0)
    return 0;
  if (strcmp (argv[0], "apply") == 0 && argc == 2)
    return cmd_apply (t, argv[1]);
  if (strcmp (argv[0], "ready") == 0 && argc == 4)
    return cmd_ready (t, argv[1], argv[2], strcmp (argv[3], "true") == 0);
  if (strcmp (argv[0], "terminate") == 0 && argc == 2)
    return cmd_delete (t, argv[1], false);
  if (strcmp (argv[0], "remove") == 0 && argc == 2)
    return cmd_delete (t, argv[1], true);
  if (strcmp (argv[0], "get") == 0 && argc == 4)
    return cmd_get (t, argv[1], argv[2], argv[3]);
  if (strcmp (argv[0], "rules") == 0)
    {
      const char *r = service_controller_ruleset (t->ctl);
      printf ("%s.\n", r ? r : "");
      return 0;
    }
  if (strcmp (argv[0], "bench") == 0 && argc == 4)
    return cmd_bench (t, strtol (argv[1], NULL, 10), argv[2], argv[3]);
  printf ("error: unknown command %s\n", argv[0]);
  return -1;
}

int
main (int argc, char **argv)
{
  static const struct option opts[]
      = { { "service-cluster-ip-range", required_argument, NULL, 'c' },
          { "service-node-port-range", required_argument, NULL, 'p' },
          { "cluster-cidr", required_argument, NULL, 'l' },
          { "table", required_argument, NULL, 't' },
          { "no-routing", no_argument, NULL, 'n' },
          { "help", no_argument, NULL, 'h' },
          { NULL, 0, NULL, 0 } };
  struct service_controller_options so = { 0 };
  const char *cidr = SERVICE_DEFAULT_CIDR, *ports = SERVICE_DEFAULT_NODE_PORTS;
  struct tool t = { 0 };
  berth_error_t err = NULL;
  char line[4096];
  int c;

  so.routing = true;
  so.cluster_cidr = "10.88.0.0/16";
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        cidr = optarg;
        break;
      case 'p':
        ports = optarg;
        break;
      case 'l':
        so.cluster_cidr = *optarg ? optarg : NULL;
        break;
      case 't':
        so.table = optarg;
        break;
      case 'n':
        so.routing = false;
        break;
      case 'h':
        usage (stdout);
        return 0;
      default:
        usage (stderr);
        return 2;
      }
  if (service_ranges_parse (&so.ranges, cidr, ports, &err) < 0)
    {
      fprintf (stderr, "svc-tool: %s\n", berth_error_msg (&err));
      return 2;
    }
  store_init (&t.store);
  t.store.node_name = "node1";
  t.store.graceful_pods = true;
  t.routing = so.routing;
  so.change_ns = &t.change_ns;
  if (service_controller_new (&so, NULL, &t.ctl, &err) < 0)
    {
      fprintf (stderr, "svc-tool: %s\n", berth_error_msg (&err));
      return 1;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  while (fgets (line, sizeof (line), stdin))
    {
      if (strncmp (line, "quit", 4) == 0)
        break;
      run_line (&t, line);
      fflush (stdout);
    }
  t.ctl->ops->free (t.ctl);
  store_free (&t.store);
  printf ("bye\n");
  return 0;
}
