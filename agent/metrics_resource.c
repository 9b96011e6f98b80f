/* metrics_resource.c - see metrics_resource.h. */
#include "metrics_resource.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* One sample of a family: up to three label values, in label-name order
 * (container, namespace, pod). */
struct sample
{
  const char *values[3];
  double v;
  int64_t ts_ms;
};

struct family
{
  const char *name, *help, *type;
  const char *labels[3];
  size_t n_labels;
  struct sample *s;
  size_t n, cap;
};

static void
add (struct family *f, const char *const *values, double v, int64_t ts_ms)
{
  if (f->n == f->cap)
    {
      f->cap = f->cap ? f->cap * 2 : 16;
      f->s = reallocarray (f->s, f->cap, sizeof (*f->s));
      if (f->s == NULL)
        abort ();
    }
  f->s[f->n] = (struct sample){ { NULL, NULL, NULL }, v, ts_ms };
  for (size_t i = 0; i < f->n_labels; i++)
    f->s[f->n].values[i] = values[i] ? values[i] : "";
  f->n++;
}

static int
cmp_sample (const void *a, const void *b, void *n_labels)
{
  const struct sample *x = a, *y = b;
  for (size_t i = 0; i < *(const size_t *)n_labels; i++)
    {
      int c = strcmp (x->values[i], y->values[i]);
      if (c)
        return c;
    }
  return 0;
}

static void
write_family (FILE *out, struct family *f)
{
  if (f->n == 0)
    return;
  qsort_r (f->s, f->n, sizeof (*f->s), cmp_sample, &f->n_labels);
  metrics_write_family (out, f->name, f->help, f->type);
  for (size_t i = 0; i < f->n; i++)
    {
      struct metrics_label l[3];
      for (size_t k = 0; k < f->n_labels; k++)
        l[k] = (struct metrics_label){ f->labels[k], f->s[i].values[k] };
      metrics_write_sample (out, f->name, l, f->n_labels, f->s[i].v,
                            f->s[i].ts_ms);
    }
  free (f->s);
  f->s = NULL;
}

/* RFC 3339 (with or without a fraction) to ms; 0 when absent or bad. */
static int64_t
time_ms (const struct node *n)
{
  struct tm tm = { 0 };
  const char *end;
  int64_t ms = 0, scale = 100;
  if (n == NULL || n->kind != NODE_SCALAR || n->text == NULL)
    return 0;
  end = strptime (n->text, "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == NULL)
    return 0;
  if (*end == '.')
    for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
      ms += (*end - '0') * scale;
  if (strcmp (end, "Z") != 0)
    return 0;
  return (int64_t)timegm (&tm) * 1000 + ms;
}

static bool
number (const struct node *n, double *v)
{
  char *end;
  if (n == NULL || n->kind != NODE_SCALAR || n->text == NULL)
    return false;
  *v = strtod (n->text, &end);
  return end != n->text && *end == '\0';
}

static const char *
text (const struct node *n, const char *key)
{
  const struct node *v = node_map_get (n, key);
  return v && v->kind == NODE_SCALAR ? v->text : NULL;
}

enum
{
  F_CTR_CPU,
  F_CTR_MEM,
  F_CTR_START,
  F_NODE_CPU,
  F_NODE_MEM,
  F_POD_CPU,
  F_POD_MEM,
  F_SCRAPE_ERROR,
  F_COUNT
};

/* cpu.usageCoreNanoSeconds (in seconds) and memory.workingSetBytes of
 * STATS into the families CPU and MEM. */
static void
usage (struct family *cpu, struct family *mem, const struct node *stats,
       const char *const *values)
{
  const struct node *c = node_map_get (stats, "cpu");
  const struct node *m = node_map_get (stats, "memory");
  double v;
  if (number (node_map_get (c, "usageCoreNanoSeconds"), &v))
    add (cpu, values, v / 1e9, time_ms (node_map_get (c, "time")));
  if (number (node_map_get (m, "workingSetBytes"), &v))
    add (mem, values, v, time_ms (node_map_get (m, "time")));
}

void
metrics_write_resource (FILE *out, const struct node *summary)
{
  struct family f[F_COUNT] = {
    [F_CTR_CPU] = { "container_cpu_usage_seconds_total",
                    "[STABLE] Cumulative cpu time consumed by the container "
                    "in core-seconds",
                    "counter",
                    { "container", "namespace", "pod" },
                    3 },
    [F_CTR_MEM] = { "container_memory_working_set_bytes",
                    "[STABLE] Current working set of the container in bytes",
                    "gauge",
                    { "container", "namespace", "pod" },
                    3 },
    [F_CTR_START] = { "container_start_time_seconds",
                      "[STABLE] Start time of the container since unix epoch "
                      "in seconds",
                      "gauge",
                      { "container", "namespace", "pod" },
                      3 },
    [F_NODE_CPU] = { "node_cpu_usage_seconds_total",
                     "[STABLE] Cumulative cpu time consumed by the node in "
                     "core-seconds",
                     "counter" },
    [F_NODE_MEM]
    = { "node_memory_working_set_bytes",
        "[STABLE] Current working set of the node in bytes", "gauge" },
    [F_POD_CPU] = { "pod_cpu_usage_seconds_total",
                    "[STABLE] Cumulative cpu time consumed by the pod in "
                    "core-seconds",
                    "counter",
                    { "namespace", "pod" },
                    2 },
    [F_POD_MEM] = { "pod_memory_working_set_bytes",
                    "[STABLE] Current working set of the pod in bytes",
                    "gauge",
                    { "namespace", "pod" },
                    2 },
    [F_SCRAPE_ERROR] = { "resource_scrape_error",
                         "[STABLE] 1 if there was an error while getting "
                         "container metrics, 0 otherwise",
                         "gauge" },
  };
  const struct node *pods = node_map_get (summary, "pods");
  double error = summary == NULL;

  usage (&f[F_NODE_CPU], &f[F_NODE_MEM], node_map_get (summary, "node"), NULL);
  for (size_t i = 0; pods && pods->kind == NODE_SEQ && i < pods->len; i++)
    {
      const struct node *p = pods->items[i];
      const struct node *ref = node_map_get (p, "podRef");
      const struct node *ctrs = node_map_get (p, "containers");
      const char *pv[2] = { text (ref, "namespace"), text (ref, "name") };
      for (size_t k = 0; ctrs && ctrs->kind == NODE_SEQ && k < ctrs->len; k++)
        {
          const struct node *c = ctrs->items[k];
          const char *cv[3] = { text (c, "name"), pv[0], pv[1] };
          int64_t start = time_ms (node_map_get (c, "startTime"));
          if (start > 0)
            add (&f[F_CTR_START], cv, (double)start / 1000, 0);
          usage (&f[F_CTR_CPU], &f[F_CTR_MEM], c, cv);
        }
      usage (&f[F_POD_CPU], &f[F_POD_MEM], p, pv);
    }
  add (&f[F_SCRAPE_ERROR], NULL, error, 0);
  for (size_t i = 0; i < F_COUNT; i++)
    write_family (out, &f[i]);
}
