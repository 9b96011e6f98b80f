/* summary.c - see summary.h. */
#include "summary.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "pod_stats.h"

/* ---- the node, from /proc ---- */

/* The number after "KEY" at the start of a line of TEXT (KEY includes
 * its separator, "MemTotal:" or "pgfault "). */
static bool
field (const char *text, const char *key, uint64_t *out)
{
  size_t klen = strlen (key);
  for (const char *p = text; p != NULL && *p; p = strchr (p, '\n'))
    {
      if (*p == '\n')
        p++;
      if (strncmp (p, key, klen) == 0)
        {
          char *end;
          errno = 0;
          *out = strtoull (p + klen, &end, 10);
          return errno == 0 && end != p + klen;
        }
    }
  return false;
}

int
summary_node_parse (const char *stat, const char *meminfo, const char *vmstat,
                    long clk_tck, int64_t now_ms,
                    struct summary_node_stats *out, berth_error_t *err)
{
  uint64_t t[8] = { 0 }, btime, total, free_kb, inactive = 0, anon = 0;
  memset (out, 0, sizeof (*out));
  /* cpu  user nice system idle iowait irq softirq steal ... */
  if (strncmp (stat, "cpu ", 4) != 0
      || sscanf (stat + 4,
                 "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                 " %" SCNu64 " %" SCNu64 " %" SCNu64,
                 &t[0], &t[1], &t[2], &t[3], &t[4], &t[5], &t[6], &t[7])
             < 7
      || !field (stat, "btime ", &btime) || clk_tck <= 0)
    return berth_error_make (err, EINVAL, "/proc/stat: no cpu or btime line");
  if (!field (meminfo, "MemTotal:", &total)
      || !field (meminfo, "MemFree:", &free_kb))
    return berth_error_make (err, EINVAL,
                             "/proc/meminfo: no MemTotal or MemFree");
  field (meminfo, "Inactive(file):", &inactive);
  field (meminfo, "AnonPages:", &anon);
  out->time_ms = now_ms;
  out->boot_ms = (int64_t)btime * 1000;
  /* user nice system irq softirq steal, in clock ticks */
  out->cpu_usage_ns = (t[0] + t[1] + t[2] + t[5] + t[6] + t[7])
                      * (1000000000 / (uint64_t)clk_tck);
  out->memory_total = total * 1024;
  out->memory_usage = (total - free_kb) * 1024;
  out->working_set = out->memory_usage > inactive * 1024
                         ? out->memory_usage - inactive * 1024
                         : 0;
  out->rss = anon * 1024;
  if (vmstat != NULL)
    {
      field (vmstat, "pgfault ", &out->page_faults);
      field (vmstat, "pgmajfault ", &out->major_page_faults);
    }
  return 0;
}

static int
read_proc (const char *path, char **out, berth_error_t *err)
{
  cleanup_file FILE *f = fopen (path, "re");
  size_t len = 0;
  if (f == NULL)
    return berth_error_sys (err, errno, "open %s", path);
  *out = NULL;
  if (getdelim (out, &len, '\0', f) < 0)
    {
      free (*out);
      return berth_error_sys (err, errno ? errno : EIO, "read %s", path);
    }
  return 0;
}

int
summary_node_read (int64_t now_ms, struct summary_node_stats *out,
                   berth_error_t *err)
{
  cleanup_free char *stat = NULL, *mem = NULL, *vm = NULL;
  if (read_proc ("/proc/stat", &stat, err) < 0
      || read_proc ("/proc/meminfo", &mem, err) < 0
      || read_proc ("/proc/vmstat", &vm, err) < 0)
    return -1;
  return summary_node_parse (stat, mem, vm, sysconf (_SC_CLK_TCK), now_ms, out,
                             err);
}

/* ---- CPU rates ---- */

struct summary_sample
{
  bool set;
  int64_t ms;
  uint64_t ns;
};

struct summary_rate
{
  char *key; /* "" node, "<uid>" pod, "<uid>/<container>" */
  struct summary_sample prev, cur;
};

void
summary_history_init (struct summary_history *h)
{
  memset (h, 0, sizeof (*h));
}

void
summary_history_free (struct summary_history *h)
{
  for (size_t i = 0; i < h->n; i++)
    free (h->rates[i].key);
  free (h->rates);
  memset (h, 0, sizeof (*h));
}

static const struct summary_rate *
rate_find (const struct summary_history *h, const char *key)
{
  for (size_t i = 0; i < h->n; i++)
    if (strcmp (h->rates[i].key, key) == 0)
      return &h->rates[i];
  return NULL;
}

static void
record (struct summary_history *h, const char *key, int64_t ms, uint64_t ns)
{
  struct summary_rate *r = (struct summary_rate *)rate_find (h, key);
  if (r == NULL)
    {
      if (h->n == h->cap
          && (h->rates = reallocarray (h->rates, h->cap = h->cap * 2 + 8,
                                       sizeof (*h->rates)))
                 == NULL)
        abort ();
      r = &h->rates[h->n++];
      memset (r, 0, sizeof (*r));
      r->key = xstrdup (key);
    }
  if (r->cur.set && r->cur.ms == ms)
    return; /* the same sample again */
  r->prev = r->cur;
  r->cur = (struct summary_sample){ .set = true, .ms = ms, .ns = ns };
}

static char *
ctr_key (const struct pod_runner *r, const struct runner_container *c)
{
  char *k;
  if (asprintf (&k, "%s/%s", r->uid ? r->uid : "", c->spec->name) < 0)
    abort ();
  return k;
}

void
summary_history_record_pod (struct summary_history *h,
                            const struct pod_runner *r, int64_t sample_ms)
{
  uint64_t pod_ns = 0;
  bool any = false;
  for (size_t i = 0; i < r->n; i++)
    {
      cleanup_free char *k = NULL;
      if (r->c[i].cgroup_dir == NULL)
        continue;
      k = ctr_key (r, &r->c[i]);
      record (h, k, sample_ms, r->c[i].cpu_usec_total * 1000);
      pod_ns += r->c[i].cpu_usec_total * 1000;
      any = true;
    }
  if (any)
    record (h, r->uid ? r->uid : "", sample_ms, pod_ns);
}

void
summary_history_record_node (struct summary_history *h,
                             const struct summary_node_stats *n)
{
  record (h, "", n->time_ms, n->cpu_usage_ns);
}

void
summary_history_forget_pod (struct summary_history *h, const char *uid)
{
  size_t len = strlen (uid), j = 0;
  for (size_t i = 0; i < h->n; i++)
    {
      const char *k = h->rates[i].key;
      if (strncmp (k, uid, len) == 0 && (k[len] == '\0' || k[len] == '/'))
        free (h->rates[i].key);
      else
        h->rates[j++] = h->rates[i];
    }
  h->n = j;
}

/* ---- encoding ---- */

static struct node *
u64_node (uint64_t v)
{
  char buf[24];
  snprintf (buf, sizeof (buf), "%" PRIu64, v);
  return node_new_scalar (buf, false);
}

static void
set_time (struct node *m, const char *key, int64_t ms)
{
  cleanup_free char *t = k8s_rfc3339 (ms);
  node_map_set_str (m, key, t);
}

/* CPU stats of KEY: {time, usageNanoCores, usageCoreNanoSeconds}. */
static struct node *
cpu_node (const struct summary_history *h, const char *key)
{
  const struct summary_rate *r = rate_find (h, key);
  struct node *m;
  if (r == NULL || !r->cur.set)
    return NULL;
  m = node_new_map ();
  set_time (m, "time", r->cur.ms);
  if (r->prev.set && r->cur.ms > r->prev.ms && r->cur.ns >= r->prev.ns)
    node_map_set (m, "usageNanoCores",
                  u64_node ((uint64_t)((double)(r->cur.ns - r->prev.ns) * 1e3
                                       / (double)(r->cur.ms - r->prev.ms))));
  node_map_set (m, "usageCoreNanoSeconds", u64_node (r->cur.ns));
  return m;
}

static struct node *
psi_data (const struct cgroup_psi *p)
{
  struct node *m = node_new_map ();
  char buf[32];
  node_map_set (m, "total", u64_node (p->set ? p->total : 0));
  snprintf (buf, sizeof (buf), "%.2f", p->set ? p->avg10 : 0);
  node_map_set (m, "avg10", node_new_scalar (buf, false));
  snprintf (buf, sizeof (buf), "%.2f", p->set ? p->avg60 : 0);
  node_map_set (m, "avg60", node_new_scalar (buf, false));
  snprintf (buf, sizeof (buf), "%.2f", p->set ? p->avg300 : 0);
  node_map_set (m, "avg300", node_new_scalar (buf, false));
  return m;
}

static void
set_psi (struct node *m, const struct cgroup_pressure *p)
{
  struct node *psi;
  if (!p->some.set)
    return;
  psi = node_new_map ();
  node_map_set (psi, "full", psi_data (&p->full));
  node_map_set (psi, "some", psi_data (&p->some));
  node_map_set (m, "psi", psi);
}

struct mem
{
  bool set;
  uint64_t usage, working_set, rss, faults, major;
  int64_t limit; /* -1: none */
};

static struct node *
memory_node (int64_t time_ms, const struct mem *v)
{
  struct node *m = node_new_map ();
  set_time (m, "time", time_ms);
  if (v->limit >= 0)
    node_map_set (m, "availableBytes",
                  u64_node ((uint64_t)v->limit > v->working_set
                                ? (uint64_t)v->limit - v->working_set
                                : 0));
  node_map_set (m, "usageBytes", u64_node (v->usage));
  node_map_set (m, "workingSetBytes", u64_node (v->working_set));
  node_map_set (m, "rssBytes", u64_node (v->rss));
  node_map_set (m, "pageFaults", u64_node (v->faults));
  node_map_set (m, "majorPageFaults", u64_node (v->major));
  return m;
}

static void
mem_of (const struct pod_runner *r, const struct runner_container *c,
        struct mem *out)
{
  const struct cgroup_stats *s = &c->stats;
  const struct cgroup_values *v = pod_stats_container_values (r, c);
  out->set = s->memory_current.set;
  out->usage = s->memory_current.v;
  out->working_set = s->working_set.v;
  out->rss = s->memory.anon.v;
  out->faults = s->memory.pgfault.v;
  out->major = s->memory.pgmajfault.v;
  out->limit = v ? pod_stats_limit_bytes (v->memory_max) : -1;
}

static const char *
first_start (const struct pod_runner *r)
{
  const char *best = NULL;
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      const char *s
          = c->n_attempts ? c->attempts[0].started_at : c->now.started_at;
      /* RFC 3339 UTC times compare as strings */
      if (s != NULL && (best == NULL || strcmp (s, best) < 0))
        best = s;
    }
  return best;
}

static void
set_start (struct node *m, const char *t)
{
  node_map_set (m, "startTime",
                t ? node_new_scalar (t, true)
                  : node_new_scalar ("null", false));
}

static struct node *
container_stats (const struct pod_runner *r, const struct runner_container *c,
                 const struct summary_history *h, struct mem *sum)
{
  struct node *m = node_new_map (), *cpu, *io;
  cleanup_free char *key = ctr_key (r, c);
  const struct summary_rate *rate = rate_find (h, key);
  struct mem v;
  node_map_set_str (m, "name", c->spec->name);
  set_start (m, c->now.started_at);
  if (rate == NULL)
    return m;
  cpu = cpu_node (h, key);
  set_psi (cpu, &c->stats.cpu_pressure);
  node_map_set (m, "cpu", cpu);
  mem_of (r, c, &v);
  if (v.set)
    {
      struct node *mem = memory_node (rate->cur.ms, &v);
      set_psi (mem, &c->stats.memory_pressure);
      node_map_set (m, "memory", mem);
      sum->set = true;
      sum->usage += v.usage;
      sum->working_set += v.working_set;
      sum->rss += v.rss;
      sum->faults += v.faults;
      sum->major += v.major;
    }
  if (c->stats.io_pressure.some.set)
    {
      io = node_new_map ();
      set_time (io, "time", rate->cur.ms);
      set_psi (io, &c->stats.io_pressure);
      node_map_set (m, "io", io);
    }
  return m;
}

static struct node *
pod_stats (const struct pod_runner *r, const char *start,
           const struct summary_history *h)
{
  struct node *m = node_new_map (), *ref = node_new_map ();
  struct node *ctrs = node_new_seq (), *cpu;
  const char *uid = r->uid ? r->uid : "";
  const struct summary_rate *rate = rate_find (h, uid);
  struct mem sum = { .limit = pod_stats_limit_bytes (r->cv.pod.memory_max) };

  node_map_set_str (ref, "name", r->pod->metadata.name);
  node_map_set_str (ref, "namespace", pod_stats_namespace (r));
  node_map_set_str (ref, "uid", uid);
  node_map_set (m, "podRef", ref);
  set_start (m, start ? start : first_start (r));
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].cgroup_dir != NULL || !pod_stats_enforced (r))
      node_seq_append (ctrs, container_stats (r, &r->c[i], h, &sum));
  node_map_set (m, "containers", ctrs);
  if ((cpu = cpu_node (h, uid)) != NULL)
    node_map_set (m, "cpu", cpu);
  if (rate != NULL && sum.set)
    node_map_set (m, "memory", memory_node (rate->cur.ms, &sum));
  return m;
}

struct node *
summary_encode (const char *node_name, const struct summary_node_stats *node,
                const struct pod_runner *const *pods,
                const char *const *start_times, size_t n,
                const struct summary_history *h)
{
  struct node *s = node_new_map (), *nm = node_new_map ();
  struct node *list = node_new_seq (), *cpu;
  node_map_set_str (nm, "nodeName", node_name ? node_name : "");
  if (node != NULL)
    {
      struct mem v = { .set = true,
                       .usage = node->memory_usage,
                       .working_set = node->working_set,
                       .rss = node->rss,
                       .faults = node->page_faults,
                       .major = node->major_page_faults,
                       .limit = (int64_t)node->memory_total };
      set_time (nm, "startTime", node->boot_ms);
      if ((cpu = cpu_node (h, "")) != NULL)
        node_map_set (nm, "cpu", cpu);
      node_map_set (nm, "memory", memory_node (node->time_ms, &v));
    }
  else
    set_start (nm, NULL);
  node_map_set (s, "node", nm);
  for (size_t i = 0; i < n; i++)
    node_seq_append (
        list, pod_stats (pods[i], start_times ? start_times[i] : NULL, h));
  node_map_set (s, "pods", list);
  return s;
}
