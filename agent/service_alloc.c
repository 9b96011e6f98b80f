/* service_alloc.c - see service_alloc.h. */
#include "service_alloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "types.h"

bool
service_parse_ip4 (const char *s, uint32_t *out)
{
  struct in_addr a;
  if (s == NULL || inet_pton (AF_INET, s, &a) != 1)
    return false;
  *out = ntohl (a.s_addr);
  return true;
}

static void
ip4_format (uint32_t ip, char buf[16])
{
  snprintf (buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
            ip & 255);
}

static int
parse_port_range (struct service_ranges *r, const char *ports,
                  berth_error_t *err)
{
  char *end;
  long a = strtol (ports, &end, 10), b = a;
  if (end == ports)
    goto bad;
  if (*end == '-' || *end == '+')
    {
      char op = *end;
      const char *p = end + 1;
      b = strtol (p, &end, 10);
      if (end == p)
        goto bad;
      if (op == '+')
        b += a;
    }
  if (*end || a < 1 || b > 65535 || b < a)
    goto bad;
  r->port_base = (int)a;
  r->port_size = (int)(b - a + 1);
  snprintf (r->ports, sizeof (r->ports), "%d-%d", (int)a, (int)b);
  return 0;
bad:
  return berth_error_make (err, EINVAL,
                           "--service-node-port-range %s: not a port range "
                           "(30000-32767, or 30000+2767)",
                           ports);
}

int
service_ranges_parse (struct service_ranges *r, const char *cidr,
                      const char *ports, berth_error_t *err)
{
  char buf[32], *slash, *end;
  long bits;
  uint32_t ip, mask;

  memset (r, 0, sizeof (*r));
  snprintf (buf, sizeof (buf), "%s", cidr);
  slash = strchr (buf, '/');
  if (slash == NULL)
    goto bad;
  *slash = '\0';
  bits = strtol (slash + 1, &end, 10);
  if (*end || end == slash + 1 || bits < 0 || bits > 32
      || !service_parse_ip4 (buf, &ip))
    goto bad;
  /* kube-apiserver: at most 20 bits of addresses; berth also wants room
   * for more than the reserved first address. */
  if (bits < 12)
    return berth_error_make (err, EINVAL,
                             "--service-cluster-ip-range %s: specified CIDR is "
                             "too large; for 32-bit addresses, the mask must "
                             "be >= 12",
                             cidr);
  if (bits > 29)
    return berth_error_make (err, EINVAL,
                             "--service-cluster-ip-range %s: too small (at "
                             "most /29)",
                             cidr);
  mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
  r->net = ip & mask;
  r->bits = (unsigned)bits;
  r->max = (uint32_t)((1ull << (32 - bits)) - 2);
  {
    char n[16];
    ip4_format (r->net, n);
    snprintf (r->cidr, sizeof (r->cidr), "%s/%ld", n, bits);
  }
  return parse_port_range (r, ports, err);
bad:
  return berth_error_make (err, EINVAL,
                           "--service-cluster-ip-range %s: not an IPv4 CIDR "
                           "(10.96.0.0/12)",
                           cidr);
}

/* ---- what is in use ---- */

struct used
{
  uint32_t *v;
  size_t len, cap;
};

static void
used_add (struct used *u, uint32_t v)
{
  if (u->len == u->cap)
    {
      u->cap = u->cap ? u->cap * 2 : 16;
      u->v = reallocarray (u->v, u->cap, sizeof (*u->v));
      if (u->v == NULL)
        abort ();
    }
  u->v[u->len++] = v;
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void
used_sort (struct used *u)
{
  if (u->len > 1)
    qsort (u->v, u->len, sizeof (*u->v), cmp_u32);
}

static bool
used_has (const struct used *u, uint32_t v)
{
  if (u->len == 0)
    return false;
  return bsearch (&v, u->v, u->len, sizeof (*u->v), cmp_u32) != NULL;
}

static bool
same_object (const struct object *a, const struct object *b)
{
  return strcmp (object_name (a), object_name (b)) == 0
         && strcmp (object_namespace (a) ?: "", object_namespace (b) ?: "")
                == 0;
}

static bool
needs_node_ports (const struct service_spec *s)
{
  return s->type
         && (strcmp (s->type, "NodePort") == 0
             || strcmp (s->type, "LoadBalancer") == 0);
}

/* The IPs and node ports the other Services hold; the range's first
 * address is the kubernetes Service's. */
static void
collect_used (const struct service_ranges *r, const struct store *s,
              const struct object *self, struct used *ips, struct used *ports)
{
  used_add (ips, r->net + 1);
  for (size_t i = 0; i < s->len; i++)
    {
      const struct object *o = s->items[i]->obj;
      const struct service_spec *sp;
      uint32_t ip;
      if (o->info == NULL || o->info->id != KIND_SERVICE
          || same_object (o, self))
        continue;
      sp = &((const struct service *)o->data)->spec;
      if (service_parse_ip4 (sp->cluster_ip, &ip))
        used_add (ips, ip);
      for (size_t j = 0; j < sp->ports.len; j++)
        if (sp->ports.items[j].node_port.set
            && sp->ports.items[j].node_port.v > 0)
          used_add (ports, (uint32_t)sp->ports.items[j].node_port.v);
    }
  used_sort (ips);
  used_sort (ports);
}

/* The allocators' random scan with an offset: a random start in the upper
 * band [BAND, MAX), scanning forward with wrap-around, then the same in
 * the lower band.  Returns the offset, or -1 when full. */
static int64_t
pick_free (uint32_t max, uint32_t band, uint32_t base, const struct used *u)
{
  uint32_t lo[2] = { band, 0 }, hi[2] = { max, band };
  for (int b = 0; b < 2; b++)
    {
      uint32_t n = hi[b] - lo[b], start;
      if (n == 0)
        continue;
      start = arc4random_uniform (n);
      for (uint32_t k = 0; k < n; k++)
        {
          uint32_t off = lo[b] + (start + k) % n;
          if (!used_has (u, base + off))
            return off;
        }
    }
  return -1;
}

static uint32_t
band_of (uint64_t size, uint64_t min, uint64_t step, uint64_t max)
{
  uint64_t o;
  if (size <= min)
    return 0;
  o = size / step;
  return (uint32_t)(o < min ? min : o > max ? max : o);
}

static void
set_str_list (void *list, const char *v)
{
  LIST_OF (char *) *l = list;
  for (size_t i = 0; i < l->len; i++)
    free (l->items[i]);
  free (l->items);
  l->items = xcalloc (1, sizeof (char *));
  l->items[0] = xstrdup (v);
  l->len = 1;
}

static int fail (struct service_alloc_error *e, const char *path,
                 const char *value, const char *reason, const char *event,
                 const char *fmt, ...) __attribute__ ((format (printf, 6, 7)));
static int
fail (struct service_alloc_error *e, const char *path, const char *value,
      const char *reason, const char *event, const char *fmt, ...)
{
  va_list ap;
  snprintf (e->path, sizeof (e->path), "%s", path);
  snprintf (e->value, sizeof (e->value), "%s", value);
  snprintf (e->reason, sizeof (e->reason), "%s", reason);
  snprintf (e->event, sizeof (e->event), "%s", event);
  va_start (ap, fmt);
  vsnprintf (e->msg, sizeof (e->msg), fmt, ap);
  va_end (ap);
  return -1;
}

static int
assign_cluster_ip (const struct service_ranges *r, struct service_spec *sp,
                   const struct service_spec *old, const struct used *ips,
                   struct service_alloc_error *e)
{
  uint32_t ip;
  char buf[16], value[80];
  const char *want = sp->cluster_ip && *sp->cluster_ip ? sp->cluster_ip
                     : sp->cluster_ips.len ? sp->cluster_ips.items[0]
                                           : NULL;
  if (want && !*want)
    want = NULL;
  if (want == NULL && old && old->cluster_ip && *old->cluster_ip)
    want = old->cluster_ip; /* patchAllocatedValues */
  if (want && strcmp (want, "None") == 0)
    {
      set_str_list (&sp->cluster_ips, "None");
      if (sp->selector.len > 0 && sp->ip_families.len == 0)
        set_str_list (&sp->ip_families, "IPv4");
      if (sp->selector.len > 0 && sp->ip_family_policy == NULL)
        sp->ip_family_policy = xstrdup ("SingleStack");
      return 0;
    }
  if (old && old->cluster_ip && *old->cluster_ip && want
      && strcmp (old->cluster_ip, want) != 0)
    {
      snprintf (value, sizeof (value), "[]string{\"%s\"}", want);
      return fail (e, "spec.clusterIPs[0]", value, "", "",
                   "may not change once set");
    }
  if (want == NULL)
    {
      int64_t off = pick_free (r->max, band_of (r->max + 2, 16, 16, 256),
                               r->net + 1, ips);
      if (off < 0)
        return fail (e, "spec.clusterIPs", "", "ClusterIPNotAllocated",
                     "Cluster IP [IPv4]: the range is full",
                     "failed to allocate a serviceIP: range is full");
      ip4_format (r->net + 1 + (uint32_t)off, buf);
      want = buf;
    }
  else if (!(old && old->cluster_ip && strcmp (old->cluster_ip, want) == 0))
    {
      char ev[160];
      snprintf (value, sizeof (value), "[]string{\"%s\"}", want);
      if (!service_parse_ip4 (want, &ip) || ip <= r->net
          || ip > r->net + r->max)
        {
          snprintf (ev, sizeof (ev),
                    "Cluster IP [IPv4]: %s is not within the configured "
                    "Service CIDR %s; please recreate service",
                    want, r->cidr);
          return fail (e, "spec.clusterIPs", value, "ClusterIPOutOfRange", ev,
                       "failed to allocate IP %s: the provided IP (%s) is "
                       "not in the valid range. The range of valid IPs is %s",
                       want, want, r->cidr);
        }
      if (used_has (ips, ip))
        {
          snprintf (ev, sizeof (ev),
                    "Cluster IP [IPv4]:%s was assigned to multiple "
                    "services; please recreate service",
                    want);
          return fail (e, "spec.clusterIPs", value, "ClusterIPAlreadyAllocated",
                       ev,
                       "failed to allocate IP %s: provided IP is already "
                       "allocated",
                       want);
        }
    }
  if (sp->cluster_ip != want)
    {
      char *c = xstrdup (want);
      free (sp->cluster_ip);
      sp->cluster_ip = c;
    }
  set_str_list (&sp->cluster_ips, sp->cluster_ip);
  set_str_list (&sp->ip_families, "IPv4");
  if (sp->ip_family_policy == NULL)
    sp->ip_family_policy = xstrdup ("SingleStack");
  return 0;
}

/* The node port the old version had for the same port and protocol. */
static int64_t
old_node_port (const struct service_spec *old, const struct service_port *p)
{
  if (old == NULL || !needs_node_ports (old))
    return 0;
  for (size_t j = 0; j < old->ports.len; j++)
    {
      const struct service_port *q = &old->ports.items[j];
      if (q->port.v == p->port.v && q->node_port.set
          && strcmp (q->protocol ?: "TCP", p->protocol ?: "TCP") == 0)
        return q->node_port.v;
    }
  return 0;
}

static bool
old_has_node_port (const struct service_spec *old, int64_t np)
{
  if (old == NULL || !needs_node_ports (old))
    return false;
  for (size_t j = 0; j < old->ports.len; j++)
    if (old->ports.items[j].node_port.set
        && old->ports.items[j].node_port.v == np)
      return true;
  return false;
}

static int
assign_node_ports (const struct service_ranges *r, struct service_spec *sp,
                   const struct service_spec *old, struct used *ports,
                   struct service_alloc_error *e)
{
  uint32_t band = band_of ((uint64_t)r->port_size, 16, 32, 128);
  for (size_t i = 0; i < sp->ports.len; i++)
    {
      struct service_port *p = &sp->ports.items[i];
      char path[48], value[24], ev[160];
      int64_t np = p->node_port.set ? p->node_port.v : 0;
      if (np == 0)
        np = old_node_port (old, p);
      /* a port number shares one node port across protocols */
      for (size_t j = 0; np == 0 && j < i; j++)
        if (sp->ports.items[j].port.v == p->port.v)
          np = sp->ports.items[j].node_port.v;
      snprintf (path, sizeof (path), "spec.ports[%zu].nodePort", i);
      if (np == 0)
        {
          int64_t off = pick_free ((uint32_t)r->port_size, band,
                                   (uint32_t)r->port_base, ports);
          if (off < 0)
            return fail (e, path, "", "PortNotAllocated",
                         "the node port range is full",
                         "failed to allocate a nodePort: range is full");
          np = r->port_base + off;
        }
      else if (!old_has_node_port (old, np))
        {
          bool again = false;
          for (size_t j = 0; j < i; j++)
            again |= sp->ports.items[j].node_port.v == np;
          snprintf (value, sizeof (value), "%lld", (long long)np);
          if (np < r->port_base || np >= r->port_base + r->port_size)
            {
              snprintf (ev, sizeof (ev),
                        "Port %lld is not within the port range %s; please "
                        "recreate service",
                        (long long)np, r->ports);
              return fail (e, path, value, "PortOutOfRange", ev,
                           "provided port is not in the valid range. The "
                           "range of valid ports is %s",
                           r->ports);
            }
          if (!again && used_has (ports, (uint32_t)np))
            {
              snprintf (ev, sizeof (ev),
                        "Port %lld was assigned to multiple services; "
                        "please recreate service",
                        (long long)np);
              return fail (e, path, value, "PortAlreadyAllocated", ev,
                           "provided port is already allocated");
            }
        }
      p->node_port.set = true;
      p->node_port.v = np;
      used_add (ports, (uint32_t)np);
      used_sort (ports);
    }
  return 0;
}

int
service_alloc_assign (const struct service_ranges *r, const struct store *s,
                      struct object *o, const struct object *old,
                      struct service_alloc_error *e)
{
  struct service_spec *sp = &((struct service *)o->data)->spec;
  const struct service_spec *osp = NULL;
  struct used ips = { 0 }, ports = { 0 };
  int ret = 0;

  memset (e, 0, sizeof (*e));
  if (o->info == NULL || o->info->id != KIND_SERVICE)
    return 0;
  if (old && old->info == o->info)
    osp = &((const struct service *)old->data)->spec;
  if (osp && strcmp (osp->type ?: "", "ExternalName") == 0)
    osp = NULL; /* nothing was allocated */
  if (strcmp (sp->type ?: "", "ExternalName") == 0)
    return 0;
  collect_used (r, s, o, &ips, &ports);
  ret = assign_cluster_ip (r, sp, osp, &ips, e);
  if (ret == 0 && needs_node_ports (sp))
    ret = assign_node_ports (r, sp, osp, &ports, e);
  free (ips.v);
  free (ports.v);
  return ret;
}

char *
service_alloc_error_message (const struct object *o,
                             const struct service_alloc_error *e)
{
  char *m = NULL;
  if (*e->value)
    {
      if (asprintf (&m, "Service \"%s\" is invalid: %s: Invalid value: %s: %s",
                    object_name (o), e->path, e->value, e->msg)
          < 0)
        abort ();
    }
  else if (asprintf (&m, "Internal error occurred: %s", e->msg) < 0)
    abort ();
  return m;
}

bool
service_alloc_done (const struct object *o)
{
  const struct service_spec *sp = &((const struct service *)o->data)->spec;
  if (strcmp (sp->type ?: "", "ExternalName") == 0)
    return true;
  if (sp->cluster_ip == NULL || *sp->cluster_ip == '\0')
    return false;
  if (needs_node_ports (sp))
    for (size_t i = 0; i < sp->ports.len; i++)
      if (!sp->ports.items[i].node_port.set
          || sp->ports.items[i].node_port.v == 0)
        return false;
  return true;
}
