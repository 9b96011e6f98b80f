/* cgroup_values.c - see cgroup_values.h.  Sums are taken over exact
 * quantities (nano-units) and rounded up once at the end, as the kubelet
 * sums resource.Quantity values before calling Value or MilliValue. */
#include "cgroup_values.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "quantity.h"

enum
{
  R_CPU,
  R_MEM,
  R_COUNT,
};

/* A ResourceList restricted to cpu and memory. */
struct res
{
  __int128 v[R_COUNT];
  bool set[R_COUNT];
};

static const char *const res_names[R_COUNT] = { "cpu", "memory" };

/* schedulerutil.DefaultMemoryRequest, for the sidecar OOM rule. */
#define DEFAULT_MEMORY_REQUEST (200LL * 1024 * 1024)

void
cgroup_node_config_init (struct cgroup_node_config *c)
{
  memset (c, 0, sizeof (*c));
  c->max_pods = 110;
  c->eviction_memory = 100LL * 1024 * 1024;
  c->pod_pids_limit = -1;
  c->cpu_cfs_quota = true;
  c->memory_qos = false;
  c->memory_throttling_factor = 0.9;
  c->container_weight = CGROUP_WEIGHT_QUADRATIC;
}

void
cgroup_values_init (struct cgroup_values *v)
{
  v->cpu_shares = CGROUP_UNSET;
  v->cpu_weight = CGROUP_UNSET;
  v->cpu_quota = CGROUP_UNSET;
  v->cpu_period = CGROUP_UNSET;
  v->memory_max = CGROUP_UNSET;
  v->memory_high = CGROUP_UNSET;
  v->memory_min = CGROUP_UNSET;
  v->memory_swap_max = CGROUP_UNSET;
  v->memory_oom_group = CGROUP_UNSET;
  v->pids_max = CGROUP_UNSET;
}

static void
format_limit (char *buf, size_t size, int64_t v)
{
  if (v == CGROUP_MAX)
    snprintf (buf, size, "max");
  else
    snprintf (buf, size, "%" PRId64, v);
}

static size_t
add_entry (struct cgroup_entry *out, size_t n, const char *file, int64_t v)
{
  if (v == CGROUP_UNSET)
    return n;
  out[n].file = file;
  format_limit (out[n].value, sizeof (out[n].value), v);
  return n + 1;
}

size_t
cgroup_values_entries (const struct cgroup_values *v, struct cgroup_entry *out)
{
  size_t n = 0;

  n = add_entry (out, n, "cpu.weight", v->cpu_weight);
  if (v->cpu_quota != CGROUP_UNSET)
    {
      char quota[24];
      format_limit (quota, sizeof (quota), v->cpu_quota);
      out[n].file = "cpu.max";
      snprintf (out[n].value, sizeof (out[n].value), "%s %" PRId64, quota,
                v->cpu_period == CGROUP_UNSET ? (int64_t)CGROUP_CPU_PERIOD
                                              : v->cpu_period);
      n++;
    }
  /* memory.min and memory.high before memory.max: the kernel accepts any
   * order, but this is the order runc writes them. */
  n = add_entry (out, n, "memory.min", v->memory_min);
  n = add_entry (out, n, "memory.high", v->memory_high);
  n = add_entry (out, n, "memory.max", v->memory_max);
  n = add_entry (out, n, "memory.swap.max", v->memory_swap_max);
  n = add_entry (out, n, "memory.oom.group", v->memory_oom_group);
  n = add_entry (out, n, "pids.max", v->pids_max);
  return n;
}

/* ---- conversions ---- */

int64_t
cgroup_milli_cpu_to_shares (int64_t milli)
{
  if (milli <= 0)
    return CGROUP_MIN_SHARES;
  /* m * 1024 / 1000 without overflowing int64 for huge m. */
  __int128 shares = (__int128)milli * 1024 / 1000;
  if (shares < CGROUP_MIN_SHARES)
    return CGROUP_MIN_SHARES;
  if (shares > CGROUP_MAX_SHARES)
    return CGROUP_MAX_SHARES;
  return (int64_t)shares;
}

int64_t
cgroup_milli_cpu_to_quota (int64_t milli, int64_t period)
{
  if (milli <= 0)
    return 0;
  __int128 quota = (__int128)milli * period / 1000;
  if (quota < CGROUP_MIN_QUOTA)
    return CGROUP_MIN_QUOTA;
  if (quota > INT64_MAX)
    return INT64_MAX;
  return (int64_t)quota;
}

int64_t
cgroup_shares_to_weight (int64_t shares, enum cgroup_weight_formula f)
{
  if (f == CGROUP_WEIGHT_LINEAR)
    {
      /* getCPUWeight: shares are never below 2 there (MilliCPUToShares). */
      if (shares >= CGROUP_MAX_SHARES)
        return 10000;
      if (shares < CGROUP_MIN_SHARES)
        shares = CGROUP_MIN_SHARES;
      return 1 + ((shares - 2) * 9999) / 262142;
    }
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= CGROUP_MAX_SHARES)
    return 10000;
  double l = log2 ((double)shares);
  double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return (int64_t)ceil (pow (10, exponent));
}

/* ---- resource lists ---- */

static void
res_add_map (struct res *r, const struct quantity_map *m)
{
  for (size_t i = 0; i < m->len; i++)
    for (int k = 0; k < R_COUNT; k++)
      if (strcmp (m->keys[i], res_names[k]) == 0)
        {
          r->v[k] += m->values[i].nanos;
          r->set[k] = true;
        }
}

static void
res_add (struct res *r, const struct res *o)
{
  for (int k = 0; k < R_COUNT; k++)
    if (o->set[k])
      {
        r->v[k] += o->v[k];
        r->set[k] = true;
      }
}

static void
res_max (struct res *r, const struct res *o)
{
  for (int k = 0; k < R_COUNT; k++)
    if (o->set[k] && (!r->set[k] || o->v[k] > r->v[k]))
      {
        r->v[k] = o->v[k];
        r->set[k] = true;
      }
}

static bool
is_sidecar (const struct container *c)
{
  return c->restart_policy != NULL && strcmp (c->restart_policy, "Always") == 0;
}

static bool
pod_level_set (const struct quantity_map *m)
{
  for (size_t i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], "cpu") == 0 || strcmp (m->keys[i], "memory") == 0)
      return true;
  return false;
}

/* Replace R's cpu and memory with those of the pod-level map M. */
static void
res_override (struct res *r, const struct quantity_map *m)
{
  struct res p = { 0 };
  res_add_map (&p, m);
  for (int k = 0; k < R_COUNT; k++)
    if (p.set[k])
      {
        r->v[k] = p.v[k];
        r->set[k] = true;
      }
}

/* AggregateContainerRequests / AggregateContainerLimits (WHICH selects
 * requests or limits); DECLARED, when not NULL, gets cleared for a resource
 * some container step leaves at zero (ResourceConfigForPod's ContainerFn). */
static void
aggregate (const struct pod_spec *s, bool limits, struct res *out,
           bool declared[R_COUNT])
{
  struct res sum = { 0 }, restartable = { 0 }, init = { 0 };

  for (size_t i = 0; i < s->containers.len; i++)
    {
      const struct resource_requirements *r = &s->containers.items[i].resources;
      struct res step = { 0 };
      res_add_map (&step, limits ? &r->limits : &r->requests);
      for (int k = 0; declared != NULL && k < R_COUNT; k++)
        if (step.v[k] == 0)
          declared[k] = false;
      res_add (&sum, &step);
    }
  for (size_t i = 0; i < s->init_containers.len; i++)
    {
      const struct container *c = &s->init_containers.items[i];
      const struct quantity_map *m
          = limits ? &c->resources.limits : &c->resources.requests;
      struct res step = { 0 };
      if (is_sidecar (c))
        {
          res_add_map (&sum, m);
          res_add_map (&restartable, m);
          step = restartable;
        }
      else
        {
          res_add_map (&step, m);
          res_add (&step, &restartable);
        }
      for (int k = 0; declared != NULL && k < R_COUNT; k++)
        if (step.v[k] == 0)
          declared[k] = false;
      res_max (&init, &step);
    }
  res_max (&sum, &init);
  *out = sum;
}

static void
pod_requests_raw (const struct pod_spec *s, struct res *out)
{
  aggregate (s, false, out, NULL);
  if (s->resources != NULL && pod_level_set (&s->resources->requests))
    res_override (out, &s->resources->requests);
  res_add_map (out, &s->overhead);
}

static void
pod_limits_raw (const struct pod_spec *s, struct res *out,
                bool declared[R_COUNT])
{
  aggregate (s, true, out, declared);
  if (s->resources != NULL
      && (pod_level_set (&s->resources->requests)
          || pod_level_set (&s->resources->limits)))
    {
      res_override (out, &s->resources->limits);
      struct res p = { 0 };
      res_add_map (&p, &s->resources->limits);
      for (int k = 0; k < R_COUNT; k++)
        if (p.v[k] != 0)
          declared[k] = true;
    }
  /* Overhead is added to the limits that exist only. */
  struct res o = { 0 };
  res_add_map (&o, &s->overhead);
  for (int k = 0; k < R_COUNT; k++)
    if (out->set[k] && o.set[k])
      out->v[k] += o.v[k];
}

/* Quantity.MilliValue / Value of an exact sum, rounded up. */
static int
res_milli (const struct res *r, int k, int64_t *out, berth_error_t *err)
{
  struct quantity q = { .nanos = r->v[k], .format = QUANTITY_DECIMAL_SI };
  if (quantity_milli_value (&q, out, err) < 0)
    return berth_error_wrap (err, "%s", res_names[k]);
  return 0;
}

static int
res_value (const struct res *r, int k, int64_t *out, berth_error_t *err)
{
  struct quantity q = { .nanos = r->v[k], .format = QUANTITY_BINARY_SI };
  if (quantity_value (&q, out, err) < 0)
    return berth_error_wrap (err, "%s", res_names[k]);
  return 0;
}

int
cgroup_pod_requests (const struct pod_spec *spec,
                     struct cgroup_pod_resources *out, berth_error_t *err)
{
  struct res r;
  pod_requests_raw (spec, &r);
  if (res_milli (&r, R_CPU, &out->cpu_milli, err) < 0
      || res_value (&r, R_MEM, &out->memory, err) < 0)
    return berth_error_wrap (err, "pod requests");
  return 0;
}

/* One container's cpu/memory request and limit as int64. */
struct container_res
{
  int64_t cpu_req, cpu_lim; /* millicores */
  int64_t mem_req, mem_lim; /* bytes */
  bool mem_req_set;
};

static int
container_res (const struct container *c, struct container_res *out,
               berth_error_t *err)
{
  struct res req = { 0 }, lim = { 0 };
  res_add_map (&req, &c->resources.requests);
  res_add_map (&lim, &c->resources.limits);
  out->mem_req_set = req.set[R_MEM];
  if (res_milli (&req, R_CPU, &out->cpu_req, err) < 0
      || res_milli (&lim, R_CPU, &out->cpu_lim, err) < 0
      || res_value (&req, R_MEM, &out->mem_req, err) < 0
      || res_value (&lim, R_MEM, &out->mem_lim, err) < 0)
    return berth_error_wrap (err, "container %s: resources", c->name);
  return 0;
}

/* ---- OOM score ---- */

/* min over the app containers of their memory request, a missing request
 * counting as DEFAULT_MEMORY_REQUEST (MinRegularContainerResourceList). */
static int
min_app_memory_request (const struct pod_spec *s, int64_t *out,
                        berth_error_t *err)
{
  bool found = false;
  for (size_t i = 0; i < s->containers.len; i++)
    {
      struct container_res r;
      if (container_res (&s->containers.items[i], &r, err) < 0)
        return -1;
      int64_t m = r.mem_req_set ? r.mem_req : DEFAULT_MEMORY_REQUEST;
      if (!found || m < *out)
        *out = m;
      found = true;
    }
  if (!found)
    *out = INT64_MAX;
  return 0;
}

static bool
is_init_container (const struct pod_spec *s, const struct container *c)
{
  for (size_t i = 0; i < s->init_containers.len; i++)
    if (strcmp (s->init_containers.items[i].name, c->name) == 0)
      return true;
  return false;
}

int
cgroup_oom_score_adj (const struct pod_spec *spec, const struct container *c,
                      int64_t memory_capacity, int *out, berth_error_t *err)
{
  if (spec->priority_class_name != NULL
      && strcmp (spec->priority_class_name, "system-node-critical") == 0)
    {
      *out = -997;
      return 0;
    }
  switch (qos_compute (spec))
    {
    case QOS_GUARANTEED:
      *out = -997;
      return 0;
    case QOS_BEST_EFFORT:
      *out = 1000;
      return 0;
    case QOS_BURSTABLE:
      break;
    }
  if (memory_capacity <= 0)
    return berth_error_make (
        err, 0, "oom_score_adj: memory capacity is %" PRId64, memory_capacity);

  struct container_res r;
  if (container_res (c, &r, err) < 0)
    return -1;
  __int128 adj = 1000 - ((__int128)1000 * r.mem_req) / memory_capacity;
  if (is_sidecar (c) && is_init_container (spec, c))
    {
      int64_t min = INT64_MAX;
      if (min_app_memory_request (spec, &min, err) < 0)
        return -1;
      int64_t own = r.mem_req_set ? r.mem_req : DEFAULT_MEMORY_REQUEST;
      if (own < min)
        min = own;
      adj = 1000 - ((__int128)1000 * min) / memory_capacity;
      if (min <= r.mem_req)
        adj += 1;
    }
  if (adj < 3)
    adj = 3;
  else if (adj == 1000)
    adj = 999;
  *out = (int)adj;
  return 0;
}

/* ---- per container ---- */

void
cgroup_node_allocatable (const struct cgroup_node_config *node,
                         struct cgroup_pod_resources *out)
{
  out->cpu_milli = node->cpu_capacity_milli - node->cpu_reserved_milli;
  out->memory
      = node->memory_capacity - node->memory_reserved - node->eviction_memory;
  if (out->cpu_milli < 0)
    out->cpu_milli = 0;
  if (out->memory < 0)
    out->memory = 0;
}

/* memory.high = floor ((req + f * (limit - req)) / pagesize) * pagesize,
 * computed in float64 as the kubelet does. */
static int64_t
memory_high (int64_t req, int64_t limit, double factor)
{
  double v = floor (((double)req + ((double)limit - (double)req) * factor)
                    / (double)CGROUP_PAGE_SIZE);
  return (int64_t)v * CGROUP_PAGE_SIZE;
}

int
cgroup_values_for_container (const struct pod_spec *spec,
                             const struct container *c,
                             const struct cgroup_node_config *node,
                             struct cgroup_values *v, berth_error_t *err)
{
  struct container_res r;
  (void)spec;
  if (container_res (c, &r, err) < 0)
    return -1;

  cgroup_values_init (v);
  if (r.cpu_req == 0 && r.cpu_lim != 0)
    v->cpu_shares = cgroup_milli_cpu_to_shares (r.cpu_lim);
  else
    v->cpu_shares = cgroup_milli_cpu_to_shares (r.cpu_req);
  v->cpu_weight
      = cgroup_shares_to_weight (v->cpu_shares, node->container_weight);
  if (node->cpu_cfs_quota)
    {
      int64_t quota = cgroup_milli_cpu_to_quota (r.cpu_lim, CGROUP_CPU_PERIOD);
      v->cpu_quota = quota > 0 ? quota : CGROUP_MAX;
      v->cpu_period = CGROUP_CPU_PERIOD;
    }
  v->memory_max = r.mem_lim != 0 ? r.mem_lim : CGROUP_MAX;
  v->memory_swap_max = 0;
  v->memory_oom_group = 1;
  v->pids_max = node->pod_pids_limit > 0 ? node->pod_pids_limit : CGROUP_MAX;

  if (node->memory_qos)
    {
      if (r.mem_req != 0)
        v->memory_min = r.mem_req;
      if (r.mem_req != r.mem_lim)
        {
          int64_t high = 0;
          if (r.mem_lim != 0)
            high = memory_high (r.mem_req, r.mem_lim,
                                node->memory_throttling_factor);
          else
            {
              struct cgroup_pod_resources alloc;
              cgroup_node_allocatable (node, &alloc);
              if (alloc.memory > 0)
                high = memory_high (r.mem_req, alloc.memory,
                                    node->memory_throttling_factor);
            }
          if (high != 0 && high > r.mem_req)
            v->memory_high = high;
        }
    }
  return 0;
}

/* ---- per pod ---- */

static int
pod_cgroup_values (const struct pod_spec *spec, enum qos_class qos,
                   const struct cgroup_node_config *node,
                   struct cgroup_values *v, berth_error_t *err)
{
  struct res reqs, limits;
  bool declared[R_COUNT] = { true, true };
  int64_t cpu_req, cpu_lim, mem_lim, mem_req;

  pod_requests_raw (spec, &reqs);
  pod_limits_raw (spec, &limits, declared);
  if (res_milli (&reqs, R_CPU, &cpu_req, err) < 0
      || res_milli (&limits, R_CPU, &cpu_lim, err) < 0
      || res_value (&limits, R_MEM, &mem_lim, err) < 0
      || res_value (&reqs, R_MEM, &mem_req, err) < 0)
    return berth_error_wrap (err, "pod resources");

  int64_t shares = cgroup_milli_cpu_to_shares (cpu_req);
  int64_t quota = cgroup_milli_cpu_to_quota (cpu_lim, CGROUP_CPU_PERIOD);
  if (!node->cpu_cfs_quota || quota <= 0)
    quota = CGROUP_MAX;

  cgroup_values_init (v);
  if (qos == QOS_BEST_EFFORT)
    shares = CGROUP_MIN_SHARES;
  v->cpu_shares = shares;
  v->cpu_weight = cgroup_shares_to_weight (shares, CGROUP_WEIGHT_LINEAR);
  if (qos == QOS_GUARANTEED || (qos == QOS_BURSTABLE && declared[R_CPU]))
    {
      v->cpu_quota = quota;
      v->cpu_period = CGROUP_CPU_PERIOD;
    }
  if ((qos == QOS_GUARANTEED || (qos == QOS_BURSTABLE && declared[R_MEM]))
      && mem_lim > 0)
    v->memory_max = mem_lim;
  if (node->pod_pids_limit > 0)
    v->pids_max = node->pod_pids_limit;
  if (node->memory_qos && mem_req > 0)
    v->memory_min = mem_req;
  return 0;
}

int
cgroup_values_for_pod (const struct pod_spec *spec,
                       const struct cgroup_node_config *node,
                       struct cgroup_pod_values *out, berth_error_t *err)
{
  memset (out, 0, sizeof (*out));
  out->qos = qos_compute (spec);
  if (pod_cgroup_values (spec, out->qos, node, &out->pod, err) < 0)
    return -1;

  size_t n = spec->init_containers.len + spec->containers.len;
  cleanup_free struct cgroup_container_values *cv
      = calloc (n ? n : 1, sizeof (*cv));
  if (cv == NULL)
    return berth_error_sys (err, ENOMEM, "pod values");
  for (size_t i = 0; i < n; i++)
    {
      bool init = i < spec->init_containers.len;
      const struct container *c
          = init ? &spec->init_containers.items[i]
                 : &spec->containers.items[i - spec->init_containers.len];
      cv[i].name = c->name;
      cv[i].init = init;
      cv[i].sidecar = init && is_sidecar (c);
      if (cgroup_values_for_container (spec, c, node, &cv[i].values, err) < 0
          || cgroup_oom_score_adj (spec, c, node->memory_capacity,
                                   &cv[i].oom_score_adj, err)
                 < 0)
        return berth_error_wrap (err, "container %s", c->name);
    }
  out->n_containers = n;
  out->containers = steal_pointer (&cv);
  return 0;
}

void
cgroup_pod_values_free (struct cgroup_pod_values *v)
{
  free (v->containers);
  v->containers = NULL;
  v->n_containers = 0;
}

/* ---- QoS cgroups, root ---- */

int
cgroup_values_for_qos (const struct pod_spec *const *pods, size_t n,
                       const struct cgroup_node_config *node,
                       struct cgroup_qos_values *out, berth_error_t *err)
{
  struct res burstable_req = { 0 }, guaranteed_req = { 0 };
  int64_t cpu, mem_b, mem_g;

  for (size_t i = 0; i < n; i++)
    {
      struct res r;
      enum qos_class q = qos_compute (pods[i]);
      pod_requests_raw (pods[i], &r);
      if (q == QOS_BURSTABLE)
        res_add (&burstable_req, &r);
      else if (q == QOS_GUARANTEED)
        res_add (&guaranteed_req, &r);
    }
  if (res_milli (&burstable_req, R_CPU, &cpu, err) < 0
      || res_value (&burstable_req, R_MEM, &mem_b, err) < 0
      || res_value (&guaranteed_req, R_MEM, &mem_g, err) < 0)
    return berth_error_wrap (err, "QoS cgroups");

  cgroup_values_init (&out->besteffort);
  out->besteffort.cpu_shares = CGROUP_MIN_SHARES;
  out->besteffort.cpu_weight
      = cgroup_shares_to_weight (CGROUP_MIN_SHARES, CGROUP_WEIGHT_LINEAR);

  cgroup_values_init (&out->burstable);
  out->burstable.cpu_shares = cgroup_milli_cpu_to_shares (cpu);
  out->burstable.cpu_weight = cgroup_shares_to_weight (
      out->burstable.cpu_shares, CGROUP_WEIGHT_LINEAR);

  /* The root: capacity - reserved, without the eviction threshold. */
  int64_t cpu_alloc = node->cpu_capacity_milli - node->cpu_reserved_milli;
  int64_t mem_alloc = node->memory_capacity - node->memory_reserved;
  cgroup_values_init (&out->root);
  out->root.cpu_shares
      = cgroup_milli_cpu_to_shares (cpu_alloc > 0 ? cpu_alloc : 0);
  out->root.cpu_weight
      = cgroup_shares_to_weight (out->root.cpu_shares, CGROUP_WEIGHT_LINEAR);
  out->root.memory_max = mem_alloc > 0 ? mem_alloc : 0;
  if (node->pids_capacity > 0)
    {
      int64_t pids = node->pids_capacity - node->pids_reserved;
      out->root.pids_max = pids > 0 ? pids : 0;
    }

  if (node->memory_qos)
    {
      if (mem_b > 0)
        out->burstable.memory_min = mem_b;
      if (mem_b + mem_g > 0)
        out->root.memory_min = mem_b + mem_g;
    }
  return 0;
}

/* ---- admission ---- */

static void
insufficient (struct cgroup_admission *out, const char *res, int64_t requested,
              int64_t used, int64_t capacity)
{
  out->admit = false;
  snprintf (out->reason, sizeof (out->reason), "OutOf%s", res);
  snprintf (out->message, sizeof (out->message),
            "Node didn't have enough resource: %s, requested: %" PRId64
            ", used: %" PRId64 ", capacity: %" PRId64,
            res, requested, used, capacity);
}

int
cgroup_admit (const struct pod_spec *spec,
              const struct pod_spec *const *admitted, size_t n,
              const struct cgroup_node_config *node,
              struct cgroup_admission *out, berth_error_t *err)
{
  struct cgroup_pod_resources req, alloc;
  struct res used_raw = { 0 };
  int64_t used_cpu, used_mem;

  memset (out, 0, sizeof (*out));
  out->admit = true;
  if (cgroup_pod_requests (spec, &req, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      struct res r;
      pod_requests_raw (admitted[i], &r);
      res_add (&used_raw, &r);
    }
  if (res_milli (&used_raw, R_CPU, &used_cpu, err) < 0
      || res_value (&used_raw, R_MEM, &used_mem, err) < 0)
    return berth_error_wrap (err, "admitted pods");
  cgroup_node_allocatable (node, &alloc);

  /* fitsRequest: pods first, then cpu, then memory; the kubelet reports the
   * first failure. */
  if ((int64_t)n + 1 > node->max_pods)
    {
      insufficient (out, "pods", 1, (int64_t)n, node->max_pods);
      return 0;
    }
  if (req.cpu_milli > 0 && req.cpu_milli > alloc.cpu_milli - used_cpu)
    {
      insufficient (out, "cpu", req.cpu_milli, used_cpu, alloc.cpu_milli);
      return 0;
    }
  if (req.memory > 0 && req.memory > alloc.memory - used_mem)
    insufficient (out, "memory", req.memory, used_mem, alloc.memory);
  return 0;
}

int
cgroup_node_parse_reserved (struct cgroup_node_config *node, const char *value,
                            berth_error_t *err)
{
  char *copy = strdup (value), *save = NULL;
  int ret = 0;
  if (copy == NULL)
    abort ();
  for (char *kv = strtok_r (copy, ",", &save); kv && ret == 0;
       kv = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (kv, '=');
      struct quantity q;
      if (eq == NULL)
        {
          ret = berth_error_make (err, EINVAL,
                                  "\"%s\" is not NAME=QUANTITY "
                                  "(cpu=100m,memory=100Mi,pid=1000)",
                                  kv);
          break;
        }
      *eq = '\0';
      if (quantity_parse (eq + 1, &q, err) < 0)
        ret = -1;
      else if (strcmp (kv, "cpu") == 0)
        ret = quantity_milli_value (&q, &node->cpu_reserved_milli, err);
      else if (strcmp (kv, "memory") == 0)
        ret = quantity_value (&q, &node->memory_reserved, err);
      else if (strcmp (kv, "pid") == 0)
        ret = quantity_value (&q, &node->pids_reserved, err);
      else
        ret = berth_error_make (
            err, EINVAL, "unknown resource \"%s\" (cpu, memory, pid)", kv);
      if (ret < 0 && strcmp (kv, "cpu") != 0 && strcmp (kv, "memory") != 0
          && strcmp (kv, "pid") != 0)
        break;
      if (ret < 0)
        berth_error_wrap (err, "%s", kv);
    }
  free (copy);
  return ret < 0 ? -1 : 0;
}
