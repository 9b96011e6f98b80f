/* top_pods.c - see top_pods.h. */
#include "top_pods.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "k8s_json.h"

struct row
{
  const char *ns, *name;
  bool has_cpu, has_mem;
  uint64_t nanocores, working_set;
  char throttled[48], oom[24];
};

static bool
get_u64 (const struct node *n, const char *path, uint64_t *out)
{
  const char *s = k8s_get_str (n, path);
  char *end;
  if (s == NULL || *s < '0' || *s > '9')
    return false;
  *out = strtoull (s, &end, 10);
  return *end == '\0';
}

/* The pod of LIST with this uid, or name and namespace. */
static const struct node *
find_pod (const struct node *list, const char *uid, const char *ns,
          const char *name)
{
  const struct node *items = k8s_get (list, "items");
  for (size_t i = 0; items && items->kind == NODE_SEQ && i < items->len; i++)
    {
      const struct node *p = items->items[i];
      const char *u = k8s_get_str (p, "metadata.uid");
      const char *n = k8s_get_str (p, "metadata.name");
      const char *s = k8s_get_str (p, "metadata.namespace");
      if (uid && *uid && u
              ? strcmp (u, uid) == 0
              : n && s && strcmp (n, name) == 0 && strcmp (s, ns) == 0)
        return p;
    }
  return NULL;
}

static void
berth_columns (const struct node *pod, struct row *r)
{
  const struct node *b = k8s_get (pod, "status.berth");
  uint64_t periods, throttled, kills;
  bool on = false;
  snprintf (r->throttled, sizeof (r->throttled), "-");
  snprintf (r->oom, sizeof (r->oom), "-");
  if (b == NULL || !node_as_bool (node_map_get (b, "resourceEnforcement"), &on)
      || !on)
    return;
  if (get_u64 (b, "pod.cpu.nrPeriods", &periods)
      && get_u64 (b, "pod.cpu.nrThrottled", &throttled))
    snprintf (r->throttled, sizeof (r->throttled), "%" PRIu64 "/%" PRIu64,
              throttled, periods);
  if (get_u64 (b, "pod.oomKills", &kills))
    snprintf (r->oom, sizeof (r->oom), "%" PRIu64, kills);
}

static void
usage_columns (const struct node *ps, struct row *r)
{
  const struct node *cs = node_map_get (ps, "containers");
  for (size_t i = 0; cs && cs->kind == NODE_SEQ && i < cs->len; i++)
    {
      uint64_t v;
      if (get_u64 (cs->items[i], "cpu.usageNanoCores", &v))
        r->nanocores += v, r->has_cpu = true;
      if (get_u64 (cs->items[i], "memory.workingSetBytes", &v))
        r->working_set += v, r->has_mem = true;
    }
}

static int
row_cmp (const void *a, const void *b, void *data)
{
  const struct row *x = a, *y = b;
  enum top_sort sort_key = *(const enum top_sort *)data;
  int d;
  if (sort_key == TOP_SORT_CPU && x->nanocores != y->nanocores)
    return x->nanocores < y->nanocores ? 1 : -1;
  if (sort_key == TOP_SORT_MEMORY && x->working_set != y->working_set)
    return x->working_set < y->working_set ? 1 : -1;
  d = strcmp (x->ns, y->ns);
  return d ? d : strcmp (x->name, y->name);
}

static char *cell (const char *fmt, ...)
    __attribute__ ((format (printf, 1, 2)));

static char *
cell (const char *fmt, ...)
{
  va_list ap;
  char *s;
  va_start (ap, fmt);
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return s;
}

static void
print_rows (FILE *out, struct row *rows, size_t n, bool all_ns)
{
  struct cli_table t = { .ncols = all_ns ? 6 : 5 };
  char *head[]
      = { cell ("NAMESPACE"),     cell ("NAME"),      cell ("CPU(cores)"),
          cell ("MEMORY(bytes)"), cell ("THROTTLED"), cell ("OOM") };
  if (!all_ns)
    free (head[0]);
  cli_table_add (&t, all_ns ? head : head + 1);
  for (size_t i = 0; i < n; i++)
    {
      const struct row *r = &rows[i];
      char *c[6];
      c[0] = cell ("%s", r->ns);
      c[1] = cell ("%s", r->name);
      /* kubectl: Quantity.MilliValue (rounds up), Value() / Mi */
      c[2] = r->has_cpu
                 ? cell ("%" PRIu64 "m", (r->nanocores + 999999) / 1000000)
                 : cell ("-");
      c[3] = r->has_mem ? cell ("%" PRIu64 "Mi", r->working_set / (1024 * 1024))
                        : cell ("-");
      c[4] = cell ("%s", r->throttled);
      c[5] = cell ("%s", r->oom);
      if (!all_ns)
        free (c[0]);
      cli_table_add (&t, all_ns ? c : c + 1);
    }
  cli_table_print (out, &t, NULL);
}

size_t
top_pods_print (FILE *out, const struct node *summary, const struct node *pods,
                const char *ns, enum top_sort sort)
{
  const struct node *list = k8s_get (summary, "pods");
  struct row *rows;
  size_t n = 0;
  if (list == NULL || list->kind != NODE_SEQ || list->len == 0)
    return 0;
  rows = calloc (list->len, sizeof (*rows));
  if (rows == NULL)
    abort ();
  for (size_t i = 0; i < list->len; i++)
    {
      const struct node *ps = list->items[i];
      struct row *r = &rows[n];
      r->ns = k8s_get_str (ps, "podRef.namespace") ?: "";
      r->name = k8s_get_str (ps, "podRef.name") ?: "";
      if (ns != NULL && strcmp (r->ns, ns) != 0)
        continue;
      usage_columns (ps, r);
      berth_columns (
          find_pod (pods, k8s_get_str (ps, "podRef.uid"), r->ns, r->name), r);
      n++;
    }
  qsort_r (rows, n, sizeof (*rows), row_cmp, &sort);
  if (n > 0)
    print_rows (out, rows, n, ns == NULL);
  free (rows);
  return n;
}
