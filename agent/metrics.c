/* metrics.c - see metrics.h. */
#include "metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pod_stats.h"

/* ---- the writer ---- */

void
metrics_format_value (char *buf, size_t size, double v)
{
  char tmp[40], digits[24], *p;
  size_t nd = 0;
  int exp, prec;

  if (v == 0 || v == 1 || v == -1)
    {
      snprintf (buf, size, "%d", (int)v);
      return;
    }
  if (isnan (v) || isinf (v))
    {
      snprintf (buf, size, "%s", isnan (v) ? "NaN" : v > 0 ? "+Inf" : "-Inf");
      return;
    }
  /* the fewest digits that read back as V: Go's shortest representation */
  for (prec = 1; prec <= 17; prec++)
    {
      snprintf (tmp, sizeof (tmp), "%.*e", prec - 1, v);
      if (strtod (tmp, NULL) == v)
        break;
    }
  for (p = tmp; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9')
      digits[nd++] = *p;
  while (nd > 1 && digits[nd - 1] == '0')
    nd--;
  digits[nd] = '\0';
  exp = atoi (p + 1);
  /* %e when the exponent is < -4 or >= 6 (strconv's 'g' with precision -1) */
  if (exp < -4 || exp >= 6)
    {
      snprintf (buf, size, "%s%c%s%se%c%02d", v < 0 ? "-" : "", digits[0],
                nd > 1 ? "." : "", digits + 1, exp < 0 ? '-' : '+', abs (exp));
      return;
    }
  p = tmp;
  if (v < 0)
    *p++ = '-';
  if (exp < 0)
    {
      *p++ = '0', *p++ = '.';
      for (int z = 0; z < -exp - 1; z++)
        *p++ = '0';
      for (size_t i = 0; i < nd; i++)
        *p++ = digits[i];
    }
  else
    for (size_t i = 0; i < nd || i <= (size_t)exp; i++)
      {
        if (i == (size_t)exp + 1)
          *p++ = '.';
        *p++ = i < nd ? digits[i] : '0';
      }
  *p = '\0';
  snprintf (buf, size, "%s", tmp);
}

static void
write_escaped (FILE *out, const char *s, bool quote)
{
  for (; *s; s++)
    if (*s == '\\')
      fputs ("\\\\", out);
    else if (*s == '\n')
      fputs ("\\n", out);
    else if (*s == '"' && quote)
      fputs ("\\\"", out);
    else
      fputc (*s, out);
}

void
metrics_write_family (FILE *out, const char *name, const char *help,
                      const char *type)
{
  fprintf (out, "# HELP %s ", name);
  write_escaped (out, help, false);
  fprintf (out, "\n# TYPE %s %s\n", name, type);
}

void
metrics_write_sample (FILE *out, const char *name,
                      const struct metrics_label *labels, size_t n,
                      double value, int64_t timestamp_ms)
{
  char buf[48];
  fputs (name, out);
  for (size_t i = 0; i < n; i++)
    {
      fprintf (out, "%c%s=\"", i ? ',' : '{', labels[i].name);
      write_escaped (out, labels[i].value ? labels[i].value : "", true);
      fputc ('"', out);
    }
  if (n > 0)
    fputc ('}', out);
  metrics_format_value (buf, sizeof (buf), value);
  fprintf (out, " %s", buf);
  if (timestamp_ms != 0)
    fprintf (out, " %lld", (long long)timestamp_ms);
  fputc ('\n', out);
}

/* ---- the series: a container cgroup or a pod cgroup ---- */

struct target
{
  const struct pod_runner *r;
  const struct runner_container *c; /* NULL: the pod cgroup */
  const struct cgroup_values *spec; /* NULL: nothing written */
  char *id;
  const char *container, *image, *namespace, *pod;
  int64_t timestamp_ms; /* when R was sampled; 0: no timestamp */
};

/* cAdvisor's container name: the path below the cgroup2 mount. */
static char *
cgroup_id (const char *dir)
{
  static const char mount[] = "/sys/fs/cgroup";
  if (strncmp (dir, mount, sizeof (mount) - 1) == 0
      && dir[sizeof (mount) - 1] == '/')
    dir += sizeof (mount) - 1;
  return xstrdup (dir);
}

static int
target_cmp (const void *a, const void *b)
{
  const struct target *x = a, *y = b;
  const char *xs[] = { x->container, x->id, x->image, x->namespace, x->pod };
  const char *ys[] = { y->container, y->id, y->image, y->namespace, y->pod };
  for (size_t i = 0; i < sizeof (xs) / sizeof (xs[0]); i++)
    {
      int d = strcmp (xs[i], ys[i]);
      if (d != 0)
        return d;
    }
  return 0;
}

static size_t
collect (const struct pod_runner *const *pods, const int64_t *timestamps_ms,
         int64_t timestamp_ms, size_t n, struct target **out)
{
  size_t len = 0, cap = 0;
  struct target *t = NULL;
  for (size_t p = 0; p < n; p++)
    {
      const struct pod_runner *r = pods[p];
      char *pod_dir = pod_stats_enforced (r) ? pod_stats_pod_cgroup (r) : NULL;
      if (pod_dir == NULL)
        continue;
      for (size_t i = 0; i <= r->n; i++)
        {
          const struct runner_container *c = i < r->n ? &r->c[i] : NULL;
          if (c != NULL && c->cgroup_dir == NULL)
            continue;
          if (len == cap
              && (t = reallocarray (t, cap = cap ? 2 * cap : 16, sizeof (*t)))
                     == NULL)
            abort ();
          t[len] = (struct target){
            .r = r,
            .c = c,
            .spec = c ? pod_stats_container_values (r, c) : &r->cv.pod,
            .id = cgroup_id (c ? c->cgroup_dir : pod_dir),
            .container = c ? c->spec->name : "",
            .image = c == NULL                   ? ""
                     : c->image && c->image->ref ? c->image->ref
                     : c->spec->image            ? c->spec->image
                                                 : "",
            .namespace = pod_stats_namespace (r),
            .pod = r->pod->metadata.name ? r->pod->metadata.name : "",
            .timestamp_ms = timestamps_ms ? timestamps_ms[p] : timestamp_ms,
          };
          len++;
        }
      free (pod_dir);
    }
  if (len > 1)
    qsort (t, len, sizeof (*t), target_cmp);
  *out = t;
  return len;
}

/* ---- the families ---- */

/* What a pod's series sums over its containers. */
struct sums
{
  uint64_t usage_usec, current, working_set, anon;
  bool current_set, working_set_set, anon_set;
};

static void
pod_sums (const struct pod_runner *r, struct sums *s)
{
  memset (s, 0, sizeof (*s));
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      if (c->cgroup_dir == NULL)
        continue;
      s->usage_usec += c->cpu_usec_total;
      if (c->stats.memory_current.set)
        s->current += c->stats.memory_current.v, s->current_set = true;
      if (c->stats.working_set.set)
        s->working_set += c->stats.working_set.v, s->working_set_set = true;
      if (c->stats.memory.anon.set)
        s->anon += c->stats.memory.anon.v, s->anon_set = true;
    }
}

static int64_t
spec_quota (const struct target *t)
{
  return t->spec && t->spec->cpu_quota > 0 ? t->spec->cpu_quota : 0;
}

/* A memory file value as cAdvisor's specMemoryValue: 0 for "max". */
static double
spec_memory (const struct target *t, size_t offset)
{
  int64_t v;
  if (t->spec == NULL)
    return 0;
  v = *(const int64_t *)((const char *)t->spec + offset);
  return v >= 0 && v <= (INT64_C (1) << 62) ? (double)v : 0;
}

static const struct cgroup_pressure *
pressure (const struct target *t, int which)
{
  const struct cgroup_stats *s = &t->c->stats;
  return which == 0   ? &s->cpu_pressure
         : which == 1 ? &s->io_pressure
                      : &s->memory_pressure;
}

enum family_id
{
  F_CFS_PERIODS,
  F_CFS_THROTTLED_PERIODS,
  F_CFS_THROTTLED_SECONDS,
  F_CPU_USAGE,
  F_MEMORY_MAX_USAGE,
  F_MEMORY_RSS,
  F_MEMORY_USAGE,
  F_MEMORY_WORKING_SET,
  F_OOM_EVENTS,
  F_PSI_CPU_FULL,
  F_PSI_CPU_SOME,
  F_PSI_IO_FULL,
  F_PSI_IO_SOME,
  F_PSI_MEMORY_FULL,
  F_PSI_MEMORY_SOME,
  F_SPEC_CPU_PERIOD,
  F_SPEC_CPU_QUOTA,
  F_SPEC_CPU_SHARES,
  F_SPEC_MEMORY_LIMIT,
  F_SPEC_MEMORY_RESERVATION,
  F_SPEC_MEMORY_SWAP,
};

struct family
{
  enum family_id id;
  const char *name, *type, *help;
  bool spec; /* no timestamp */
};

/* Sorted by name, as client_golang's Gather sorts them. */
static const struct family families[] = {
  { F_CFS_PERIODS, "container_cpu_cfs_periods_total", "counter",
    "Number of elapsed enforcement period intervals.", false },
  { F_CFS_THROTTLED_PERIODS, "container_cpu_cfs_throttled_periods_total",
    "counter", "Number of throttled period intervals.", false },
  { F_CFS_THROTTLED_SECONDS, "container_cpu_cfs_throttled_seconds_total",
    "counter", "Total time duration the container has been throttled.", false },
  { F_CPU_USAGE, "container_cpu_usage_seconds_total", "counter",
    "Cumulative cpu time consumed in seconds.", false },
  { F_MEMORY_MAX_USAGE, "container_memory_max_usage_bytes", "gauge",
    "Maximum memory usage recorded in bytes", false },
  { F_MEMORY_RSS, "container_memory_rss", "gauge", "Size of RSS in bytes.",
    false },
  { F_MEMORY_USAGE, "container_memory_usage_bytes", "gauge",
    "Current memory usage in bytes, including all memory regardless of when "
    "it was accessed",
    false },
  { F_MEMORY_WORKING_SET, "container_memory_working_set_bytes", "gauge",
    "Current working set in bytes.", false },
  { F_OOM_EVENTS, "container_oom_events_total", "counter",
    "Count of out of memory events observed for the container", false },
  { F_PSI_CPU_FULL, "container_pressure_cpu_stalled_seconds_total", "counter",
    "Total time duration no tasks in the container could make progress due "
    "to CPU congestion.",
    false },
  { F_PSI_CPU_SOME, "container_pressure_cpu_waiting_seconds_total", "counter",
    "Total time duration tasks in the container have waited due to CPU "
    "congestion.",
    false },
  { F_PSI_IO_FULL, "container_pressure_io_stalled_seconds_total", "counter",
    "Total time duration no tasks in the container could make progress due "
    "to IO congestion.",
    false },
  { F_PSI_IO_SOME, "container_pressure_io_waiting_seconds_total", "counter",
    "Total time duration tasks in the container have waited due to IO "
    "congestion.",
    false },
  { F_PSI_MEMORY_FULL, "container_pressure_memory_stalled_seconds_total",
    "counter",
    "Total time duration no tasks in the container could make progress due "
    "to memory congestion.",
    false },
  { F_PSI_MEMORY_SOME, "container_pressure_memory_waiting_seconds_total",
    "counter",
    "Total time duration tasks in the container have waited due to memory "
    "congestion.",
    false },
  { F_SPEC_CPU_PERIOD, "container_spec_cpu_period", "gauge",
    "CPU period of the container.", true },
  { F_SPEC_CPU_QUOTA, "container_spec_cpu_quota", "gauge",
    "CPU quota of the container.", true },
  { F_SPEC_CPU_SHARES, "container_spec_cpu_shares", "gauge",
    "CPU share of the container.", true },
  { F_SPEC_MEMORY_LIMIT, "container_spec_memory_limit_bytes", "gauge",
    "Memory limit for the container.", true },
  { F_SPEC_MEMORY_RESERVATION, "container_spec_memory_reservation_limit_bytes",
    "gauge", "Memory reservation limit for the container.", true },
  { F_SPEC_MEMORY_SWAP, "container_spec_memory_swap_limit_bytes", "gauge",
    "Memory swap limit for the container.", true },
};

/* The stats families of a container cgroup; false: no sample. */
static bool
container_value (enum family_id f, const struct target *t, double *v)
{
  const struct runner_container *c = t->c;
  const struct cgroup_stats *s = &c->stats;
  const struct cgroup_pressure *p;
  switch (f)
    {
    case F_CFS_PERIODS:
      *v = (double)c->periods_total;
      return spec_quota (t) != 0;
    case F_CFS_THROTTLED_PERIODS:
      *v = (double)c->throttled_periods_total;
      return spec_quota (t) != 0;
    case F_CFS_THROTTLED_SECONDS:
      *v = (double)(c->throttled_usec_total * 1000) / 1e9;
      return spec_quota (t) != 0;
    case F_CPU_USAGE:
      *v = (double)(c->cpu_usec_total * 1000) / 1e9;
      return c->cpu_usec_total > 0;
    case F_MEMORY_MAX_USAGE:
      *v = (double)c->memory_peak;
      return s->memory_peak.set || c->memory_peak > 0;
    case F_MEMORY_RSS:
      *v = (double)s->memory.anon.v;
      return s->memory.anon.set;
    case F_MEMORY_USAGE:
      *v = (double)s->memory_current.v;
      return s->memory_current.set;
    case F_MEMORY_WORKING_SET:
      *v = (double)s->working_set.v;
      return s->working_set.set;
    case F_OOM_EVENTS:
      *v = (double)c->oom_kills;
      return true;
    default:
      p = pressure (t, (f - F_PSI_CPU_FULL) / 2);
      /* even ids are "full" (stalled), odd ones "some" (waiting) */
      if ((f - F_PSI_CPU_FULL) % 2 == 0)
        {
          *v = (double)p->full.total / 1e6;
          return p->full.set;
        }
      *v = (double)p->some.total / 1e6;
      return p->some.set;
    }
}

static bool
pod_value (enum family_id f, const struct target *t, double *v)
{
  struct sums s;
  pod_sums (t->r, &s);
  switch (f)
    {
    case F_CPU_USAGE:
      *v = (double)(s.usage_usec * 1000) / 1e9;
      return s.usage_usec > 0;
    case F_MEMORY_RSS:
      *v = (double)s.anon;
      return s.anon_set;
    case F_MEMORY_USAGE:
      *v = (double)s.current;
      return s.current_set;
    case F_MEMORY_WORKING_SET:
      *v = (double)s.working_set;
      return s.working_set_set;
    default:
      return false;
    }
}

static bool
spec_value (enum family_id f, const struct target *t, double *v)
{
  int64_t w;
  switch (f)
    {
    case F_SPEC_CPU_PERIOD:
      *v = t->spec && t->spec->cpu_period > 0 ? (double)t->spec->cpu_period
                                              : 100000;
      return true;
    case F_SPEC_CPU_QUOTA:
      *v = (double)spec_quota (t);
      return spec_quota (t) != 0;
    case F_SPEC_CPU_SHARES:
      /* cAdvisor reads cpu.weight back into shares (kernel default 100) */
      w = t->spec && t->spec->cpu_weight > 0 ? t->spec->cpu_weight : 100;
      *v = (double)(2 + ((w - 1) * 262142) / 9999);
      return true;
    case F_SPEC_MEMORY_LIMIT:
      *v = spec_memory (t, offsetof (struct cgroup_values, memory_max));
      return true;
    case F_SPEC_MEMORY_RESERVATION:
      *v = spec_memory (t, offsetof (struct cgroup_values, memory_min));
      return true;
    case F_SPEC_MEMORY_SWAP:
      /* memory.swap.max: 0 as written for containers; "max" (0) otherwise */
      *v = spec_memory (t, offsetof (struct cgroup_values, memory_swap_max));
      return true;
    default:
      return false;
    }
}

static bool
value_of (const struct family *f, const struct target *t, double *v)
{
  if (f->spec)
    return spec_value (f->id, t, v);
  return t->c ? container_value (f->id, t, v) : pod_value (f->id, t, v);
}

static void
write_family (FILE *out, const struct family *f, const struct target *t,
              size_t n)
{
  bool header = false;
  for (size_t i = 0; i < n; i++)
    {
      double v;
      struct metrics_label l[7];
      size_t k = 0;
      if (!value_of (f, &t[i], &v))
        continue;
      if (!header)
        metrics_write_family (out, f->name, f->help, f->type);
      header = true;
      l[k++] = (struct metrics_label){ "container", t[i].container };
      if (f->id == F_CPU_USAGE)
        l[k++] = (struct metrics_label){ "cpu", "total" };
      l[k++] = (struct metrics_label){ "id", t[i].id };
      l[k++] = (struct metrics_label){ "image", t[i].image };
      l[k++] = (struct metrics_label){ "name", "" };
      l[k++] = (struct metrics_label){ "namespace", t[i].namespace };
      l[k++] = (struct metrics_label){ "pod", t[i].pod };
      metrics_write_sample (out, f->name, l, k, v,
                            f->spec ? 0 : t[i].timestamp_ms);
    }
}

static void
write_pods (FILE *out, const struct pod_runner *const *pods,
            const int64_t *timestamps_ms, int64_t timestamp_ms, size_t n)
{
  struct target *t = NULL;
  size_t len = collect (pods, timestamps_ms, timestamp_ms, n, &t);
  for (size_t f = 0; f < sizeof (families) / sizeof (families[0]); f++)
    write_family (out, &families[f], t, len);
  for (size_t i = 0; i < len; i++)
    free (t[i].id);
  free (t);
}

void
metrics_write_pods (FILE *out, const struct pod_runner *const *pods, size_t n,
                    int64_t timestamp_ms)
{
  write_pods (out, pods, NULL, timestamp_ms, n);
}

void
metrics_write_pods_sampled (FILE *out, const struct pod_runner *const *pods,
                            const int64_t *sampled_ms, size_t n)
{
  write_pods (out, pods, sampled_ms, 0, n);
}
