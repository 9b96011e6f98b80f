/* pod_stats.c - see pod_stats.h. */
#include "pod_stats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

bool
pod_stats_enforced (const struct pod_runner *r)
{
  if (r->pod_cgroup)
    return true;
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].cgroup_dir != NULL)
      return true;
  return r->cfg != NULL && r->cfg->cgroups != NULL;
}

char *
pod_stats_pod_cgroup (const struct pod_runner *r)
{
  char *rel, *path;
  /* a container leaf's parent is the pod cgroup */
  for (size_t i = 0; i < r->n; i++)
    if (r->c[i].cgroup_dir != NULL)
      {
        const char *slash = strrchr (r->c[i].cgroup_dir, '/');
        if (slash != NULL && slash != r->c[i].cgroup_dir)
          return strndup (r->c[i].cgroup_dir,
                          (size_t)(slash - r->c[i].cgroup_dir));
      }
  if (r->cfg == NULL || r->cfg->cgroups == NULL || r->uid == NULL)
    return NULL;
  rel = cgroup_fs_pod_path (r->qos, r->uid);
  if (rel == NULL)
    return NULL;
  if (asprintf (&path, "%s/%s", cgroup_fs_root (r->cfg->cgroups), rel) < 0)
    abort ();
  free (rel);
  return path;
}

const struct cgroup_values *
pod_stats_container_values (const struct pod_runner *r,
                            const struct runner_container *c)
{
  for (size_t i = 0; i < r->cv.n_containers; i++)
    if (r->cv.containers[i].name != NULL
        && strcmp (r->cv.containers[i].name, c->spec->name) == 0)
      return &r->cv.containers[i].values;
  return NULL;
}

int64_t
pod_stats_limit_bytes (int64_t memory_max)
{
  return memory_max >= 0 ? memory_max : -1;
}

const char *
pod_stats_namespace (const struct pod_runner *r)
{
  return r->pod->metadata.namespace ? r->pod->metadata.namespace : "default";
}

/* ---- building ---- */

static struct node *
u64_node (uint64_t v)
{
  char buf[24];
  snprintf (buf, sizeof (buf), "%" PRIu64, v);
  return node_new_scalar (buf, false);
}

static struct node *
null_node (void)
{
  return node_new_scalar ("null", false);
}

static void
set_counter (struct node *m, const char *key, struct cgroup_counter c)
{
  node_map_set (m, key, c.set ? u64_node (c.v) : null_node ());
}

/* A runner total that stays meaningful after the stats were cleared:
 * known when the file had the key, or when something was counted. */
static struct cgroup_counter
known (struct cgroup_counter file, uint64_t total)
{
  return (struct cgroup_counter){ .set = file.set || total > 0, .v = total };
}

static void
add (struct cgroup_counter *sum, struct cgroup_counter c)
{
  if (!c.set)
    return;
  sum->set = true;
  sum->v += c.v;
}

/* What one container contributes; also the pod's sums. */
struct counters
{
  struct cgroup_counter usage, periods, throttled, throttled_usec;
  struct cgroup_counter current, peak, working_set, limit;
  struct cgroup_counter low, high, max, oom, oom_kill, oom_group_kill;
  struct cgroup_counter oom_kills;
};

static void
counters_of (const struct pod_runner *r, const struct runner_container *c,
             struct counters *out)
{
  const struct cgroup_stats *s = &c->stats;
  const struct cgroup_values *v = pod_stats_container_values (r, c);
  int64_t limit = v ? pod_stats_limit_bytes (v->memory_max) : -1;
  memset (out, 0, sizeof (*out));
  out->usage = known (s->cpu.usage_usec, c->cpu_usec_total);
  out->periods = known (s->cpu.nr_periods, c->periods_total);
  out->throttled = known (s->cpu.nr_throttled, c->throttled_periods_total);
  out->throttled_usec = known (s->cpu.throttled_usec, c->throttled_usec_total);
  out->current = s->memory_current;
  out->peak = known (s->memory_peak, c->memory_peak);
  out->working_set = s->working_set;
  out->limit = (struct cgroup_counter){ .set = limit >= 0,
                                        .v = limit >= 0 ? (uint64_t)limit : 0 };
  out->low = s->events.low;
  out->high = s->events.high;
  out->max = s->events.max;
  out->oom = s->events.oom;
  out->oom_kill = s->events.oom_kill;
  out->oom_group_kill = s->events.oom_group_kill;
  out->oom_kills = (struct cgroup_counter){ .set = true, .v = c->oom_kills };
}

static void
counters_add (struct counters *sum, const struct counters *c)
{
  add (&sum->usage, c->usage);
  add (&sum->periods, c->periods);
  add (&sum->throttled, c->throttled);
  add (&sum->throttled_usec, c->throttled_usec);
  add (&sum->current, c->current);
  add (&sum->peak, c->peak);
  add (&sum->working_set, c->working_set);
  add (&sum->low, c->low);
  add (&sum->high, c->high);
  add (&sum->max, c->max);
  add (&sum->oom, c->oom);
  add (&sum->oom_kill, c->oom_kill);
  add (&sum->oom_group_kill, c->oom_group_kill);
  add (&sum->oom_kills, c->oom_kills);
}

/* cpu, memory and oomKills of C into M. */
static void
counters_set (struct node *m, const struct counters *c)
{
  struct node *cpu = node_new_map (), *mem = node_new_map ();
  struct node *ev = node_new_map ();
  set_counter (cpu, "usageUsec", c->usage);
  set_counter (cpu, "nrPeriods", c->periods);
  set_counter (cpu, "nrThrottled", c->throttled);
  set_counter (cpu, "throttledUsec", c->throttled_usec);
  node_map_set (m, "cpu", cpu);
  set_counter (mem, "current", c->current);
  set_counter (mem, "peak", c->peak);
  set_counter (mem, "workingSet", c->working_set);
  set_counter (mem, "limit", c->limit);
  set_counter (ev, "low", c->low);
  set_counter (ev, "high", c->high);
  set_counter (ev, "max", c->max);
  set_counter (ev, "oom", c->oom);
  set_counter (ev, "oomKill", c->oom_kill);
  set_counter (ev, "oomGroupKill", c->oom_group_kill);
  node_map_set (mem, "events", ev);
  node_map_set (m, "memory", mem);
  set_counter (m, "oomKills", c->oom_kills);
}

static struct node *
psi_node (const struct cgroup_psi *p)
{
  struct node *m;
  char buf[32];
  if (!p->set)
    return null_node ();
  m = node_new_map ();
  snprintf (buf, sizeof (buf), "%.2f", p->avg10);
  node_map_set (m, "avg10", node_new_scalar (buf, false));
  snprintf (buf, sizeof (buf), "%.2f", p->avg60);
  node_map_set (m, "avg60", node_new_scalar (buf, false));
  snprintf (buf, sizeof (buf), "%.2f", p->avg300);
  node_map_set (m, "avg300", node_new_scalar (buf, false));
  node_map_set (m, "total", u64_node (p->total));
  return m;
}

static struct node *
pressure_node (const struct cgroup_pressure *p)
{
  struct node *m;
  if (!p->some.set)
    return null_node ();
  m = node_new_map ();
  node_map_set (m, "some", psi_node (&p->some));
  node_map_set (m, "full", psi_node (&p->full));
  return m;
}

static struct node *
container_node (const struct pod_runner *r, const struct runner_container *c,
                struct counters *sum)
{
  struct node *m = node_new_map (), *psi = node_new_map ();
  struct counters k;
  node_map_set_str (m, "name", c->spec->name);
  node_map_set (m, "cgroup",
                c->cgroup_dir ? node_new_scalar (c->cgroup_dir, true)
                              : null_node ());
  counters_of (r, c, &k);
  counters_add (sum, &k);
  counters_set (m, &k);
  node_map_set (psi, "cpu", pressure_node (&c->stats.cpu_pressure));
  node_map_set (psi, "memory", pressure_node (&c->stats.memory_pressure));
  node_map_set (psi, "io", pressure_node (&c->stats.io_pressure));
  node_map_set (m, "pressure", psi);
  return m;
}

struct node *
pod_stats_berth_block (const struct pod_runner *r)
{
  struct node *b = node_new_map (), *init = node_new_seq ();
  struct node *app = node_new_seq (), *pod = node_new_map ();
  struct counters sum;
  char *cg;
  int64_t limit;

  node_map_set_bool (b, "resourceEnforcement", pod_stats_enforced (r));
  if (!pod_stats_enforced (r))
    {
      node_unref (init);
      node_unref (app);
      node_unref (pod);
      return b;
    }
  cg = pod_stats_pod_cgroup (r);
  node_map_set (b, "cgroup", cg ? node_new_scalar (cg, true) : null_node ());
  free (cg);
  memset (&sum, 0, sizeof (sum));
  for (size_t i = 0; i < r->n; i++)
    node_seq_append (r->c[i].init ? init : app,
                     container_node (r, &r->c[i], &sum));
  node_map_set (b, "initContainers", init);
  node_map_set (b, "containers", app);
  limit = pod_stats_limit_bytes (r->cv.pod.memory_max);
  sum.limit = (struct cgroup_counter){ .set = limit >= 0,
                                       .v = limit >= 0 ? (uint64_t)limit : 0 };
  sum.oom_kills.set = true;
  counters_set (pod, &sum);
  node_map_set (b, "pod", pod);
  return b;
}

struct node *
pod_stats_berth_static (const struct pod_runner *r)
{
  struct node *b = node_new_map (), *init, *app;
  char *cg;

  node_map_set_bool (b, "resourceEnforcement", pod_stats_enforced (r));
  if (!pod_stats_enforced (r))
    return b;
  cg = pod_stats_pod_cgroup (r);
  node_map_set (b, "cgroup", cg ? node_new_scalar (cg, true) : null_node ());
  free (cg);
  init = node_new_seq ();
  app = node_new_seq ();
  for (size_t i = 0; i < r->n; i++)
    {
      const struct runner_container *c = &r->c[i];
      struct node *m = node_new_map ();
      node_map_set_str (m, "name", c->spec->name);
      node_map_set (m, "cgroup",
                    c->cgroup_dir ? node_new_scalar (c->cgroup_dir, true)
                                  : null_node ());
      node_seq_append (c->init ? init : app, m);
    }
  node_map_set (b, "initContainers", init);
  node_map_set (b, "containers", app);
  return b;
}

/* The keys of FROM that TO lacks, into TO (shared). */
static void
add_missing_keys (struct node *to, const struct node *from)
{
  for (size_t i = 0; from && from->kind == NODE_MAP && i < from->len; i++)
    if (node_map_get (to, from->pairs[i].key->text) == NULL)
      node_map_set (to, from->pairs[i].key->text,
                    node_ref (from->pairs[i].value));
}

static const struct node *
entry_named (const struct node *seq, const char *name)
{
  for (size_t i = 0; seq && seq->kind == NODE_SEQ && i < seq->len; i++)
    {
      const struct node *n = node_map_get (seq->items[i], "name");
      if (n && n->kind == NODE_SCALAR && strcmp (n->text, name) == 0)
        return seq->items[i];
    }
  return NULL;
}

/* The container list KEY of FRESH completed from STORED's. */
static void
merge_list (struct node *fresh, const struct node *stored, const char *key)
{
  struct node *to = node_map_get (fresh, key);
  const struct node *from = node_map_get (stored, key);
  if (from == NULL || from->kind != NODE_SEQ)
    return;
  if (to == NULL || to->kind != NODE_SEQ)
    {
      node_map_set (fresh, key, node_ref ((struct node *)from));
      return;
    }
  for (size_t i = 0; i < from->len; i++)
    {
      const struct node *name = node_map_get (from->items[i], "name");
      struct node *mine;
      if (name == NULL || name->kind != NODE_SCALAR)
        continue;
      mine = (struct node *)entry_named (to, name->text);
      if (mine)
        add_missing_keys (mine, from->items[i]);
      else
        node_seq_append (to, node_ref (from->items[i]));
    }
}

void
pod_stats_berth_complete (struct node *berth, const struct node *stored)
{
  if (stored == NULL || stored->kind != NODE_MAP)
    return;
  merge_list (berth, stored, "initContainers");
  merge_list (berth, stored, "containers");
  add_missing_keys (berth, stored);
}
