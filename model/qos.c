/* qos.c - see qos.h.  Like ComputePodQOS, the comparison is between the
 * sums over all containers (app and init), of cpu and memory only, and
 * counts only positive quantities. */
#include "qos.h"

#include <string.h>

enum
{
  RES_CPU,
  RES_MEMORY,
  RES_COUNT,
};

struct totals
{
  bool set[RES_COUNT];
  __int128 sum[RES_COUNT];
};

static int
res_index (const char *name)
{
  if (strcmp (name, "cpu") == 0)
    return RES_CPU;
  if (strcmp (name, "memory") == 0)
    return RES_MEMORY;
  return -1;
}

/* Add the positive cpu and memory quantities of M to T; returns a bit set of
 * the resources found. */
static unsigned
add_positive (struct totals *t, const struct quantity_map *m)
{
  unsigned found = 0;
  for (size_t i = 0; i < m->len; i++)
    {
      int r = res_index (m->keys[i]);
      if (r < 0 || m->values[i].nanos <= 0)
        continue;
      t->set[r] = true;
      t->sum[r] += m->values[i].nanos;
      found |= 1u << r;
    }
  return found;
}

static size_t
count_set (const struct totals *t)
{
  return (size_t)t->set[RES_CPU] + (size_t)t->set[RES_MEMORY];
}

static bool
pod_level_resources_set (const struct pod_spec *s)
{
  if (s->resources == NULL)
    return false;
  for (size_t i = 0; i < s->resources->requests.len; i++)
    if (res_index (s->resources->requests.keys[i]) >= 0)
      return true;
  for (size_t i = 0; i < s->resources->limits.len; i++)
    if (res_index (s->resources->limits.keys[i]) >= 0)
      return true;
  return false;
}

static void
add_container (struct totals *req, struct totals *lim, bool *guaranteed,
               const struct resource_requirements *r)
{
  const unsigned both = (1u << RES_CPU) | (1u << RES_MEMORY);
  add_positive (req, &r->requests);
  if ((add_positive (lim, &r->limits) & both) != both)
    *guaranteed = false;
}

enum qos_class
qos_compute (const struct pod_spec *s)
{
  struct totals req = { 0 }, lim = { 0 };
  bool guaranteed = true;

  if (pod_level_resources_set (s))
    add_container (&req, &lim, &guaranteed, s->resources);
  else
    {
      for (size_t i = 0; i < s->containers.len; i++)
        add_container (&req, &lim, &guaranteed,
                       &s->containers.items[i].resources);
      for (size_t i = 0; i < s->init_containers.len; i++)
        add_container (&req, &lim, &guaranteed,
                       &s->init_containers.items[i].resources);
    }
  if (count_set (&req) == 0 && count_set (&lim) == 0)
    return QOS_BEST_EFFORT;
  if (guaranteed)
    for (int r = 0; r < RES_COUNT; r++)
      if (req.set[r] && (!lim.set[r] || lim.sum[r] != req.sum[r]))
        {
          guaranteed = false;
          break;
        }
  if (guaranteed && count_set (&req) == count_set (&lim))
    return QOS_GUARANTEED;
  return QOS_BURSTABLE;
}

const char *
qos_class_name (enum qos_class c)
{
  switch (c)
    {
    case QOS_BEST_EFFORT:
      return "BestEffort";
    case QOS_BURSTABLE:
      return "Burstable";
    case QOS_GUARANTEED:
      return "Guaranteed";
    }
  return "Unknown";
}
