/* run_report.c - see run_report.h. */
#include "run_report.h"
#include "pod_status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_stats.h"
#include "cleanup.h"
#include "codec.h"

void
run_format_bytes (char *buf, size_t size, uint64_t bytes)
{
  static const char *const units[] = { "", "Ki", "Mi", "Gi", "Ti" };
  double v = (double)bytes;
  int u = 0;
  while (v >= 1024 && u < 4)
    v /= 1024, u++;
  if (u == 0 || v == (double)(uint64_t)v)
    snprintf (buf, size, "%.0f%s", v, units[u]);
  else
    snprintf (buf, size, "%.1f%s", v, units[u]);
}

static const char *
pod_ns (const struct pod *p)
{
  return p->metadata.namespace ? p->metadata.namespace : "default";
}

/* ---- the watch ---- */

static void
ctr_close (struct run_ctr_watch *cw)
{
  if (cw->cpu_fd >= 0)
    close (cw->cpu_fd);
  if (cw->mem_fd >= 0)
    close (cw->mem_fd);
  cw->cpu_fd = cw->mem_fd = -1;
}

/* The watch of R's containers, grown to R->n. */
static void
watch_fit (const struct pod_runner *r, struct run_watch *w)
{
  if (w->n >= r->n)
    return;
  w->c = reallocarray (w->c, r->n, sizeof (*w->c));
  if (w->c == NULL)
    abort ();
  memset (&w->c[w->n], 0, (r->n - w->n) * sizeof (*w->c));
  for (size_t i = w->n; i < r->n; i++)
    w->c[i].cpu_fd = w->c[i].mem_fd = -1;
  w->n = r->n;
}

void
run_watch_free (struct run_watch *w)
{
  for (size_t i = 0; i < w->n; i++)
    ctr_close (&w->c[i]);
  free (w->c);
  w->c = NULL;
  w->n = 0;
}

/* ---- status transitions ---- */

static void
state_line (const struct runner_container *c, char *buf, size_t size)
{
  const struct lifecycle_status *s = &c->now.st;
  switch (s->state)
    {
    case CSTATE_RUNNING:
      /* with probes, their verdicts: readiness transitions show live */
      snprintf (buf, size, "Running (restarts %d)%s%s", c->restart_count,
                c->spec->startup_probe && !pod_status_container_started (c)
                    ? ", not started"
                    : "",
                c->spec->readiness_probe ? (
                    pod_status_container_ready (c) ? ", ready" : ", not ready")
                                         : "");
      break;
    case CSTATE_TERMINATED:
      snprintf (buf, size, "Terminated (%s, exit code %d)",
                c->now.reason ? c->now.reason : "?", s->exit_code);
      break;
    default:
      snprintf (buf, size, "Waiting (%s)",
                c->now.waiting_reason ? c->now.waiting_reason : "");
    }
}

void
run_report_changes (FILE *out, const struct pod_runner *r, struct run_watch *w)
{
  const char *name = r->pod->metadata.name;
  watch_fit (r, w);
  if (!w->phase_printed || w->phase != r->phase)
    {
      fprintf (out, "pod/%s/%s: %s%s%s\n", pod_ns (r->pod), name,
               lifecycle_phase_name (r->phase), r->reason ? " " : "",
               r->reason ? r->reason : "");
      w->phase = r->phase;
      w->phase_printed = true;
    }
  for (size_t i = 0; i < r->n; i++)
    {
      char line[sizeof (w->c[i].last)];
      state_line (&r->c[i], line, sizeof (line));
      if (strcmp (line, w->c[i].last) != 0)
        {
          fprintf (out, "  %s/%s: %s\n", name, r->c[i].spec->name, line);
          memcpy (w->c[i].last, line, sizeof (line));
        }
    }
  fflush (out);
}

/* ---- sampling ---- */

/* The whole of an open cgroup file (from offset 0) into BUF. */
static bool
pread_all (int fd, char *buf, size_t size)
{
  ssize_t n = pread (fd, buf, size - 1, 0);
  if (n < 0)
    return false;
  buf[n] = '\0';
  return true;
}

static int
open_in (const char *dir, const char *file)
{
  char path[4096];
  snprintf (path, sizeof (path), "%s/%s", dir, file);
  return open (path, O_RDONLY | O_CLOEXEC);
}

static void
sample_one (const struct runner_container *c, struct run_ctr_watch *cw,
            bool peak)
{
  struct cgroup_cpu_stat cpu;
  struct cgroup_counter v;
  char buf[1024];

  if (c->cgroup_dir == NULL || cw->gone)
    return;
  if (cw->cpu_fd < 0)
    {
      cw->cpu_fd = open_in (c->cgroup_dir, "cpu.stat");
      cw->mem_fd = open_in (c->cgroup_dir, "memory.current");
    }
  /* a removed cgroup's files read ENODEV: the last values stay */
  if (cw->cpu_fd < 0 || !pread_all (cw->cpu_fd, buf, sizeof (buf)))
    {
      cw->gone = true;
      ctr_close (cw);
      return;
    }
  cgroup_stats_parse_cpu_stat (buf, &cpu);
  cw->usage_usec = cpu.usage_usec.v;
  cw->periods = cpu.nr_periods.v;
  cw->throttled = cpu.nr_throttled.v;
  cw->throttled_usec = cpu.throttled_usec.v;
  cw->sampled = true;
  if (cw->mem_fd >= 0 && pread_all (cw->mem_fd, buf, sizeof (buf)))
    {
      cgroup_stats_parse_value (buf, &v);
      cw->mem_current = v.set ? v.v : 0;
    }
  if (peak)
    {
      int fd = open_in (c->cgroup_dir, "memory.peak");
      if (fd >= 0 && pread_all (fd, buf, sizeof (buf)))
        {
          cgroup_stats_parse_value (buf, &v);
          if (v.set && v.v > cw->mem_peak)
            cw->mem_peak = v.v;
        }
      if (fd >= 0)
        close (fd);
    }
}

void
run_report_sample (const struct pod_runner *r, struct run_watch *w, bool peak)
{
  watch_fit (r, w);
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].now.st.state == CSTATE_RUNNING)
      sample_one (&r->c[i], &w->c[i], peak);
}

/* The container's cumulative counters: the larger of the runner's and the
 * watch's (both count over every attempt). */
struct counters
{
  uint64_t usage_usec, periods, throttled, throttled_usec, mem_peak;
};

static uint64_t
max_u64 (uint64_t a, uint64_t b)
{
  return a > b ? a : b;
}

static void
counters_of (const struct runner_container *c, const struct run_ctr_watch *cw,
             struct counters *out)
{
  out->usage_usec = c->cpu_usec_total;
  out->periods = c->periods_total;
  out->throttled = c->throttled_periods_total;
  out->throttled_usec = c->throttled_usec_total;
  out->mem_peak = c->memory_peak;
  if (cw == NULL)
    return;
  out->usage_usec = max_u64 (out->usage_usec, cw->usage_usec);
  out->periods = max_u64 (out->periods, cw->periods);
  out->throttled = max_u64 (out->throttled, cw->throttled);
  out->throttled_usec = max_u64 (out->throttled_usec, cw->throttled_usec);
  out->mem_peak = max_u64 (out->mem_peak, cw->mem_peak);
}

/* The limit in bytes (memory) or millicores (cpu), or -1. */
static int64_t
limit_value (const struct container *c, const char *res)
{
  const struct quantity *q = quantity_map_get (&c->resources.limits, res);
  berth_error_t err = NULL;
  int64_t v = -1;
  if (q == NULL)
    return -1;
  if ((strcmp (res, "cpu") == 0 ? quantity_milli_value (q, &v, &err)
                                : quantity_value (q, &v, &err))
      < 0)
    {
      berth_error_release (&err);
      return -1;
    }
  return v;
}

static void
live_line (FILE *out, const struct pod_runner *r,
           const struct runner_container *c, struct run_ctr_watch *cw,
           int64_t now_ms)
{
  int64_t ml = limit_value (c->spec, "memory");
  int64_t cl = limit_value (c->spec, "cpu");
  char mem[32], lim[40] = "";
  double cpu = 0;

  if (cw->rate_ms > 0 && now_ms > cw->rate_ms
      && cw->usage_usec >= cw->rate_usec)
    cpu = (double)(cw->usage_usec - cw->rate_usec) / 1000.0
          / (double)(now_ms - cw->rate_ms);
  cw->rate_usec = cw->usage_usec;
  cw->rate_ms = now_ms;
  run_format_bytes (mem, sizeof (mem), cw->mem_current);
  if (ml >= 0)
    {
      char tmp[32];
      run_format_bytes (tmp, sizeof (tmp), (uint64_t)ml);
      snprintf (lim, sizeof (lim), "/%s", tmp);
    }
  fprintf (out, "  %s/%s: mem %s%s  cpu %.2f", r->pod->metadata.name,
           c->spec->name, mem, lim, cpu);
  if (cl >= 0)
    fprintf (out, "/%.2f", (double)cl / 1000.0);
  fprintf (out,
           "  throttled %" PRIu64 "/%" PRIu64 " periods (%.2fs)  oom %" PRIu64
           "  restarts %d  %s\n",
           cw->throttled, cw->periods, (double)cw->throttled_usec / 1e6,
           c->oom_kills, c->restart_count,
           pod_status_container_ready (c) ? "ready" : "not ready");
}

void
run_report_live (FILE *out, const struct pod_runner *r, struct run_watch *w,
                 int64_t now_ms)
{
  run_report_sample (r, w, false);
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].cgroup_dir && r->c[i].now.st.state == CSTATE_RUNNING
        && w->c[i].sampled && !w->c[i].gone)
      live_line (out, r, &r->c[i], &w->c[i], now_ms);
  fflush (out);
}

/* ---- probe counts ---- */

/* One label value at *P (after the opening quote), unescaped; *P moves
 * past the closing quote. */
static char *
label_value (const char **p)
{
  const char *s = *p;
  char *v = xcalloc (strlen (s) + 1, 1), *o = v;
  while (*s && *s != '"')
    {
      if (*s == '\\' && s[1])
        {
          s++;
          *o++ = *s == 'n' ? '\n' : *s;
        }
      else
        *o++ = *s;
      s++;
    }
  *p = *s == '"' ? s + 1 : s;
  return v;
}

static struct run_probe_total *
probe_total (struct run_probes *p, const char *uid, const char *ctr,
             const char *type)
{
  struct run_probe_total *t;
  for (size_t i = 0; i < p->n; i++)
    if (strcmp (p->items[i].pod_uid, uid) == 0
        && strcmp (p->items[i].container, ctr) == 0
        && strcmp (p->items[i].type, type) == 0)
      return &p->items[i];
  p->items = reallocarray (p->items, p->n + 1, sizeof (*p->items));
  if (p->items == NULL)
    abort ();
  t = &p->items[p->n++];
  memset (t, 0, sizeof (*t));
  t->pod_uid = xstrdup (uid);
  t->container = xstrdup (ctr);
  t->type = xstrdup (type);
  return t;
}

static bool
key_is (const char *key, const char *end, const char *name)
{
  return (size_t)(end - key) == strlen (name)
         && strncmp (key, name, (size_t)(end - key)) == 0;
}

/* One series line: prober_probe_total{k="v",...} N */
static void
parse_series (const char *line, struct run_probes *out)
{
  cleanup_free char *uid = NULL, *ctr = NULL, *type = NULL, *result = NULL;
  const char *p = line + strlen ("prober_probe_total{");
  struct run_probe_total *t;
  unsigned long long n;

  while (*p && *p != '}')
    {
      const char *key = p, *eq = strchr (p, '=');
      char **slot = NULL;
      char *v;
      if (eq == NULL || eq[1] != '"')
        return;
      p = eq + 2;
      v = label_value (&p);
      if (key_is (key, eq, "pod_uid"))
        slot = &uid;
      else if (key_is (key, eq, "container"))
        slot = &ctr;
      else if (key_is (key, eq, "probe_type"))
        slot = &type;
      else if (key_is (key, eq, "result"))
        slot = &result;
      if (slot)
        {
          free (*slot);
          *slot = v;
        }
      else
        free (v);
      if (*p == ',')
        p++;
    }
  if (*p != '}' || !uid || !ctr || !type || !result
      || sscanf (p + 1, " %llu", &n) != 1)
    return;
  t = probe_total (out, uid, ctr, type);
  if (strcmp (result, "successful") == 0)
    t->successful = n;
  else if (strcmp (result, "failed") == 0)
    t->failed = n;
  else
    t->unknown = n;
}

void
run_probes_parse (const char *metrics, struct run_probes *out)
{
  for (const char *l = metrics; l && *l;)
    {
      const char *nl = strchr (l, '\n');
      size_t len = nl ? (size_t)(nl - l) : strlen (l);
      if (strncmp (l, "prober_probe_total{", 19) == 0)
        {
          cleanup_free char *line = strndup (l, len);
          if (line == NULL)
            abort ();
          parse_series (line, out);
        }
      l = nl ? nl + 1 : NULL;
    }
}

void
run_probes_free (struct run_probes *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      free (p->items[i].pod_uid);
      free (p->items[i].container);
      free (p->items[i].type);
    }
  free (p->items);
  p->items = NULL;
  p->n = 0;
}

/* The probes of container C of the pod UID: KIND_OUT[k] for liveness,
 * readiness, startup (NULL: no such probe, or none ran). */
static const char *const probe_types[] = { "Liveness", "Readiness", "Startup" };

static const struct probe *
probe_spec (const struct container *c, int k)
{
  return k == 0   ? c->liveness_probe
         : k == 1 ? c->readiness_probe
                  : c->startup_probe;
}

static const struct run_probe_total *
find_total (const struct run_probes *p, const char *uid, const char *ctr, int k)
{
  for (size_t i = 0; p && i < p->n; i++)
    if (strcmp (p->items[i].pod_uid, uid) == 0
        && strcmp (p->items[i].container, ctr) == 0
        && strcmp (p->items[i].type, probe_types[k]) == 0)
      return &p->items[i];
  return NULL;
}

static void
probes_text (FILE *out, const struct pod_runner *r,
             const struct runner_container *c, const struct run_probes *p)
{
  for (int k = 0; k < 3; k++)
    {
      const struct run_probe_total *t;
      if (probe_spec (c->spec, k) == NULL)
        continue;
      t = find_total (p, r->uid, c->spec->name, k);
      fprintf (out, "    %c%s probe: ", probe_types[k][0] - 'A' + 'a',
               probe_types[k] + 1);
      if (t == NULL)
        {
          fprintf (out, "no result\n");
          continue;
        }
      fprintf (
          out, "%" PRIu64 " probes, %" PRIu64 " successful, %" PRIu64 " failed",
          t->successful + t->failed + t->unknown, t->successful, t->failed);
      if (t->unknown)
        fprintf (out, ", %" PRIu64 " unknown", t->unknown);
      fputc ('\n', out);
    }
}

static struct node *
probes_json (const struct pod_runner *r, const struct runner_container *c,
             const struct run_probes *p)
{
  static const char *const keys[] = { "liveness", "readiness", "startup" };
  struct node *m = NULL;
  for (int k = 0; k < 3; k++)
    {
      const struct run_probe_total *t;
      struct node *e;
      if (probe_spec (c->spec, k) == NULL)
        continue;
      t = find_total (p, r->uid, c->spec->name, k);
      e = node_new_map ();
      node_map_set_int (e, "successful", t ? (int64_t)t->successful : 0);
      node_map_set_int (e, "failed", t ? (int64_t)t->failed : 0);
      node_map_set_int (e, "unknown", t ? (int64_t)t->unknown : 0);
      if (m == NULL)
        m = node_new_map ();
      node_map_set (m, keys[k], e);
    }
  return m;
}

/* ---- the final report ---- */

/* A termination message under its attempt, each line indented, without
 * its final newline. */
static void
print_message (FILE *out, const char *msg)
{
  size_t len = strlen (msg);
  while (len > 0 && msg[len - 1] == '\n')
    len--;
  fprintf (out, "      message: ");
  for (size_t i = 0; i < len; i++)
    {
      fputc (msg[i], out);
      if (msg[i] == '\n')
        fprintf (out, "               ");
    }
  fputc ('\n', out);
}

static const struct run_ctr_watch *
ctr_watch (const struct run_watch *w, size_t i)
{
  return w && i < w->n ? &w->c[i] : NULL;
}

static void
attempts_text (FILE *out, const struct runner_container *c)
{
  if (c->n_attempts == 0)
    fprintf (out, "    never finished; now %s\n",
             c->now.st.state == CSTATE_RUNNING
                 ? "running"
                 : (c->now.waiting_reason ? c->now.waiting_reason : "waiting"));
  for (size_t k = 0; k < c->n_attempts; k++)
    {
      fprintf (out, "    attempt %zu: exit code %d, %s", k + 1,
               c->attempts[k].exit_code, c->attempts[k].reason);
      if (k > 0)
        fprintf (out, " (started %.1f s after the previous exit)",
                 (double)c->attempts[k].backoff_ms / 1000.0);
      fputc ('\n', out);
      if (c->attempts[k].message)
        print_message (out, c->attempts[k].message);
    }
  fprintf (out, "    restarts: %d\n", c->restart_count);
}

void
run_report_text (FILE *out, const struct pod_runner *r,
                 const struct run_watch *w, const struct run_probes *p,
                 const char *ending)
{
  fprintf (out, "\npod/%s/%s: %s (%s)\n", pod_ns (r->pod),
           r->pod->metadata.name, lifecycle_phase_name (r->phase), ending);
  if (r->reason)
    fprintf (out, "  %s: %s\n", r->reason, r->message ? r->message : "");
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      int64_t ml = limit_value (c->spec, "memory");
      struct counters k;
      char peak[32];
      fprintf (out, "  %scontainer %s (image %s):\n",
               c->init ? (c->sidecar ? "sidecar " : "init ") : "",
               c->spec->name, c->spec->image ? c->spec->image : "");
      attempts_text (out, c);
      probes_text (out, r, c, p);
      if (c->cgroup_dir == NULL)
        continue;
      counters_of (c, ctr_watch (w, i), &k);
      fprintf (out,
               "    CPU: %.2f s; throttled in %" PRIu64 " of %" PRIu64
               " periods (%.2f s)\n",
               (double)k.usage_usec / 1e6, k.throttled, k.periods,
               (double)k.throttled_usec / 1e6);
      run_format_bytes (peak, sizeof (peak), k.mem_peak);
      fprintf (out, "    memory peak: %s", peak);
      if (ml >= 0)
        {
          char lim[32];
          run_format_bytes (lim, sizeof (lim), (uint64_t)ml);
          fprintf (out, " of a %s limit", lim);
        }
      fprintf (out, "; OOM kills: %" PRIu64 "\n", c->oom_kills);
    }
}

static void
set_u64 (struct node *m, const char *key, uint64_t v)
{
  node_map_set_int (m, key, (int64_t)v);
}

static struct node *
attempts_json (const struct runner_container *c)
{
  struct node *att = node_new_seq ();
  for (size_t k = 0; k < c->n_attempts; k++)
    {
      struct node *a = node_new_map ();
      node_map_set_int (a, "exitCode", c->attempts[k].exit_code);
      node_map_set_str (a, "reason", c->attempts[k].reason);
      node_map_set_int (a, "backOffMs", c->attempts[k].backoff_ms);
      if (c->attempts[k].message)
        node_map_set_str (a, "message", c->attempts[k].message);
      if (c->attempts[k].started_at)
        node_map_set_str (a, "startedAt", c->attempts[k].started_at);
      if (c->attempts[k].finished_at)
        node_map_set_str (a, "finishedAt", c->attempts[k].finished_at);
      node_seq_append (att, a);
    }
  return att;
}

struct node *
run_report_json (const struct pod_runner *r, const struct run_watch *w,
                 const struct run_probes *p, const char *ending)
{
  struct node *pod = node_new_map (), *ctrs = node_new_seq ();
  node_map_set_str (pod, "name", r->pod->metadata.name);
  node_map_set_str (pod, "namespace", pod_ns (r->pod));
  node_map_set_str (pod, "uid", r->uid);
  node_map_set_str (pod, "phase", lifecycle_phase_name (r->phase));
  node_map_set_str (pod, "ending", ending);
  if (r->reason)
    {
      node_map_set_str (pod, "reason", r->reason);
      node_map_set_str (pod, "message", r->message ? r->message : "");
    }
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      struct node *m = node_new_map (), *probes;
      struct counters k;
      node_map_set_str (m, "name", c->spec->name);
      node_map_set_bool (m, "init", c->init);
      node_map_set_int (m, "restartCount", c->restart_count);
      node_map_set (m, "attempts", attempts_json (c));
      if ((probes = probes_json (r, c, p)) != NULL)
        node_map_set (m, "probes", probes);
      if (c->cgroup_dir)
        {
          counters_of (c, ctr_watch (w, i), &k);
          set_u64 (m, "cpuUsageUsec", k.usage_usec);
          set_u64 (m, "cfsPeriods", k.periods);
          set_u64 (m, "cfsThrottledPeriods", k.throttled);
          set_u64 (m, "cfsThrottledUsec", k.throttled_usec);
          set_u64 (m, "memoryPeakBytes", k.mem_peak);
          set_u64 (m, "oomKills", c->oom_kills);
        }
      node_seq_append (ctrs, m);
    }
  node_map_set (pod, "containers", ctrs);
  return pod;
}
