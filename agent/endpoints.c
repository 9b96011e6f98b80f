/* endpoints.c - see endpoints.h. */
#include "endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "codec.h"
#include "k8s_json.h"
#include "types.h"

static const struct service_spec *
svc_spec (const struct store_entry *svc)
{
  return &((const struct service *)svc->obj->data)->spec;
}

bool
endpoints_selects (const struct store_entry *svc, const struct store_entry *pod)
{
  const struct strmap *sel = &svc_spec (svc)->selector;
  const struct pod *p = pod->obj->data;
  if (strcmp (object_namespace (svc->obj) ?: "",
              object_namespace (pod->obj) ?: "")
      != 0)
    return false;
  for (size_t i = 0; i < sel->len; i++)
    {
      const char *v = strmap_get (&p->metadata.labels, sel->keys[i]);
      if (v == NULL || strcmp (v, sel->values[i]) != 0)
        return false;
    }
  return true;
}

bool
endpoints_pod_ready (const struct store_entry *pod)
{
  const struct node *cs = k8s_get (pod->status, "conditions");
  if (cs == NULL || cs->kind != NODE_SEQ)
    return false;
  for (size_t i = 0; i < cs->len; i++)
    {
      const char *t = k8s_get_str (cs->items[i], "type");
      const char *st = k8s_get_str (cs->items[i], "status");
      if (t && strcmp (t, "Ready") == 0)
        return st && strcmp (st, "True") == 0;
    }
  return false;
}

/* The Pod's IPv4 address (status.podIPs, else status.podIP), or NULL. */
static const char *
pod_ip4 (const struct store_entry *pod)
{
  const struct node *ips = k8s_get (pod->status, "podIPs");
  const char *ip;
  for (size_t i = 0; ips && ips->kind == NODE_SEQ && i < ips->len; i++)
    {
      ip = k8s_get_str (ips->items[i], "ip");
      if (ip && strchr (ip, '.') && !strchr (ip, ':'))
        return ip;
    }
  ip = k8s_get_str (pod->status, "podIP");
  return ip && *ip && strchr (ip, '.') && !strchr (ip, ':') ? ip : NULL;
}

static bool
pod_has_ip (const struct store_entry *pod)
{
  const struct node *ips = k8s_get (pod->status, "podIPs");
  const char *ip = k8s_get_str (pod->status, "podIP");
  return (ip && *ip) || (ips && ips->kind == NODE_SEQ && ips->len > 0);
}

/* ShouldPodBeInEndpoints */
static bool
pod_in_endpoints (const struct store_entry *pod, bool include_terminating)
{
  const char *phase = k8s_get_str (pod->status, "phase");
  const struct pod *p = pod->obj->data;
  if (phase
      && (strcmp (phase, "Succeeded") == 0 || strcmp (phase, "Failed") == 0))
    return false;
  if (!pod_has_ip (pod))
    return false;
  if (!include_terminating && p->metadata.deletion_timestamp)
    return false;
  return true;
}

static int64_t
find_named (const struct container *c, size_t n, bool sidecars_only,
            const char *name, const char *proto)
{
  for (size_t i = 0; i < n; i++)
    {
      if (sidecars_only
          && (c[i].restart_policy == NULL
              || strcmp (c[i].restart_policy, "Always") != 0))
        continue;
      for (size_t j = 0; j < c[i].ports.len; j++)
        {
          const struct container_port *cp = &c[i].ports.items[j];
          if (cp->name && strcmp (cp->name, name) == 0
              && strcmp (cp->protocol ?: "TCP", proto) == 0)
            return cp->container_port.v;
        }
    }
  return -1;
}

/* FindPort: the port number of service port SP on POD, or -1. */
static int64_t
find_port (const struct store_entry *pod, const struct service_port *sp)
{
  const struct pod_spec *ps = &((const struct pod *)pod->obj->data)->spec;
  const char *proto = sp->protocol ?: "TCP";
  int64_t v;
  if (sp->target_port.type == IOS_INT)
    return sp->target_port.i;
  if (sp->target_port.type != IOS_STRING)
    return -1;
  v = find_named (ps->containers.items, ps->containers.len, false,
                  sp->target_port.s, proto);
  if (v < 0)
    v = find_named (ps->init_containers.items, ps->init_containers.len, true,
                    sp->target_port.s, proto);
  return v;
}

static int
cmp_pod_name (const void *a, const void *b)
{
  const struct store_entry *x = *(const struct store_entry *const *)a;
  const struct store_entry *y = *(const struct store_entry *const *)b;
  return strcmp (object_name (x->obj), object_name (y->obj));
}

static struct endpoint_group *
group_for (struct service_endpoints *out, const struct service_spec *sp,
           const int64_t *nums)
{
  struct endpoint_group *g;
  size_t n = 0;
  for (size_t i = 0; i < sp->ports.len; i++)
    n += nums[i] >= 0;
  for (size_t gi = 0; gi < out->ngroups; gi++)
    {
      size_t k = 0;
      bool same = out->groups[gi].nports == n;
      for (size_t i = 0; same && i < sp->ports.len; i++)
        if (nums[i] >= 0)
          same = out->groups[gi].ports[k++].port == nums[i]
                 && strcmp (out->groups[gi].ports[k - 1].name,
                            sp->ports.items[i].name ?: "")
                        == 0;
      if (same)
        return &out->groups[gi];
    }
  out->groups = reallocarray (out->groups, out->ngroups + 1, sizeof (*g));
  if (out->groups == NULL)
    abort ();
  g = &out->groups[out->ngroups++];
  memset (g, 0, sizeof (*g));
  g->ports = xcalloc (n + 1, sizeof (*g->ports));
  for (size_t i = 0; i < sp->ports.len; i++)
    if (nums[i] >= 0)
      g->ports[g->nports++] = (struct endpoint_port){
        .name = sp->ports.items[i].name ?: "",
        .protocol = sp->ports.items[i].protocol ?: "TCP",
        .app_protocol = sp->ports.items[i].app_protocol,
        .port = nums[i],
      };
  return g;
}

static void
add_endpoint (struct service_endpoints *out, const struct service_spec *sp,
              const struct store_entry *pod)
{
  const struct pod *p = pod->obj->data;
  cleanup_free int64_t *nums = xcalloc (sp->ports.len + 1, sizeof (int64_t));
  struct endpoint_group *g;
  struct endpoint *ep;
  const char *ip = pod_ip4 (pod);
  bool pnra = sp->publish_not_ready_addresses.set
              && sp->publish_not_ready_addresses.v;

  for (size_t i = 0; i < sp->ports.len; i++)
    nums[i] = find_port (pod, &sp->ports.items[i]);
  g = group_for (out, sp, nums);
  if (ip == NULL)
    return; /* an endpoint without an IPv4 address is left out */
  g->eps = reallocarray (g->eps, g->neps + 1, sizeof (*g->eps));
  if (g->eps == NULL)
    abort ();
  ep = &g->eps[g->neps++];
  memset (ep, 0, sizeof (*ep));
  ep->ip = ip;
  ep->pod = pod;
  ep->serving = endpoints_pod_ready (pod);
  ep->terminating = p->metadata.deletion_timestamp != NULL;
  ep->ready = pnra || (ep->serving && !ep->terminating);
  if (p->spec.hostname && *p->spec.hostname && p->spec.subdomain
      && strcmp (p->spec.subdomain, object_name (out->svc->obj)) == 0)
    ep->hostname = p->spec.hostname;
}

void
endpoints_compute (const struct store *s, const struct store_entry *svc,
                   struct service_endpoints *out)
{
  const struct service_spec *sp = svc_spec (svc);
  cleanup_free const struct store_entry **pods = NULL;
  size_t n = 0;

  memset (out, 0, sizeof (*out));
  out->svc = svc;
  if (sp->selector.len == 0 || strcmp (sp->type ?: "", "ExternalName") == 0)
    return;
  out->managed = true;
  pods = xcalloc (s->len + 1, sizeof (*pods));
  for (size_t i = 0; i < s->len; i++)
    {
      const struct store_entry *e = s->items[i];
      if (e->obj->info && e->obj->info->id == KIND_POD
          && endpoints_selects (svc, e) && pod_in_endpoints (e, true))
        pods[n++] = e;
    }
  qsort (pods, n, sizeof (*pods), cmp_pod_name);
  for (size_t i = 0; i < n; i++)
    add_endpoint (out, sp, pods[i]);
  /* a group can end up empty when its only Pod had no IPv4 address */
  for (size_t gi = 0; gi < out->ngroups;)
    if (out->groups[gi].neps == 0)
      {
        free (out->groups[gi].ports);
        memmove (&out->groups[gi], &out->groups[gi + 1],
                 (out->ngroups - gi - 1) * sizeof (*out->groups));
        out->ngroups--;
      }
    else
      gi++;
}

void
endpoints_set_serving (struct service_endpoints *e,
                       const struct store_entry *pod, bool serving)
{
  const struct service_spec *sp = svc_spec (e->svc);
  bool pnra = sp->publish_not_ready_addresses.set
              && sp->publish_not_ready_addresses.v;
  for (size_t g = 0; g < e->ngroups; g++)
    for (size_t i = 0; i < e->groups[g].neps; i++)
      {
        struct endpoint *ep = &e->groups[g].eps[i];
        if (ep->pod != pod)
          continue;
        ep->serving = serving;
        ep->ready = pnra || (ep->serving && !ep->terminating);
      }
}

void
endpoints_free (struct service_endpoints *e)
{
  for (size_t i = 0; i < e->ngroups; i++)
    {
      free (e->groups[i].ports);
      free (e->groups[i].eps);
    }
  free (e->groups);
  memset (e, 0, sizeof (*e));
}

/* ---- encoding ---- */

static uint64_t
fnv1a (uint64_t h, const char *s)
{
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;
}

/* A uid in the RFC 4122 shape, derived from TEXT. */
static char *
derived_uid (const char *text)
{
  uint64_t a = fnv1a (0xcbf29ce484222325ull, text);
  uint64_t b = fnv1a (a ^ 0x9e3779b97f4a7c15ull, text);
  char *u = NULL;
  if (asprintf (&u, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
                (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
                (unsigned)((b >> 48) & 0x3fff) | 0x8000,
                (unsigned long long)(b & 0xffffffffffffull))
      < 0)
    abort ();
  return u;
}

static struct node *
target_ref (const struct store_entry *pod)
{
  struct node *t = node_new_map ();
  node_map_set_str (t, "kind", "Pod");
  node_map_set_str (t, "namespace", object_namespace (pod->obj));
  node_map_set_str (t, "name", object_name (pod->obj));
  node_map_set_str (t, "uid", object_meta (pod->obj)->uid ?: "");
  return t;
}

static const char *
pod_node_name (const struct store_entry *pod)
{
  const char *n = ((const struct pod *)pod->obj->data)->spec.node_name;
  return n && *n ? n : NULL;
}

/* metadata shared by both kinds: labels are the Service's. */
static struct node *
derived_meta (const struct service_endpoints *e, const char *name,
              const char *uid_seed, uint64_t rv, struct node **labels)
{
  const struct object_meta *sm = object_meta (e->svc->obj);
  const struct service_spec *sp = svc_spec (e->svc);
  struct node *m = node_new_map ();
  cleanup_free char *uid = derived_uid (uid_seed);
  char rvs[24];
  snprintf (rvs, sizeof (rvs), "%llu", (unsigned long long)rv);
  node_map_set_str (m, "name", name);
  node_map_set_str (m, "namespace", sm->namespace ?: "default");
  node_map_set_str (m, "uid", uid);
  node_map_set_str (m, "resourceVersion", rvs);
  if (sm->creation_timestamp)
    node_map_set_str (m, "creationTimestamp", sm->creation_timestamp);
  *labels = node_new_map ();
  for (size_t i = 0; i < sm->labels.len; i++)
    node_map_set_str (*labels, sm->labels.keys[i], sm->labels.values[i]);
  if (sp->cluster_ip == NULL || *sp->cluster_ip == '\0'
      || strcmp (sp->cluster_ip, "None") == 0)
    node_map_set_str (*labels, "service.kubernetes.io/headless", "");
  return m;
}

static struct node *
encode_slice (const struct service_endpoints *e, const struct endpoint_group *g,
              size_t first, size_t count, size_t index, uint64_t rv)
{
  const struct object_meta *sm = object_meta (e->svc->obj);
  struct node *n = node_new_map (), *labels, *meta, *owner, *eps, *ports;
  cleanup_free char *seed = NULL, *name = NULL, *gen = NULL;
  static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
  uint64_t h;
  char suffix[6];

  if (asprintf (&seed, "%s/%s/%zu/%zu/%lld", sm->uid ?: "", sm->name,
                (size_t)(g ? g - e->groups : 0), index,
                (long long)(g && g->nports ? g->ports[0].port : 0))
      < 0)
    abort ();
  h = fnv1a (0xcbf29ce484222325ull, seed);
  for (int i = 0; i < 5; i++, h /= 27)
    suffix[i] = alpha[h % 27];
  suffix[5] = '\0';
  if (asprintf (&gen, "%s-", sm->name) < 0
      || asprintf (&name, "%s%s", gen, suffix) < 0)
    abort ();
  meta = derived_meta (e, name, seed, rv, &labels);
  node_map_set_str (meta, "generateName", gen);
  node_map_set_int (meta, "generation", 1);
  node_map_set_str (labels, "endpointslice.kubernetes.io/managed-by",
                    "endpointslice-controller.k8s.io");
  node_map_set_str (labels, "kubernetes.io/service-name", sm->name);
  node_map_set (meta, "labels", labels);
  owner = node_new_map ();
  node_map_set_str (owner, "apiVersion", "v1");
  node_map_set_str (owner, "kind", "Service");
  node_map_set_str (owner, "name", sm->name);
  node_map_set_str (owner, "uid", sm->uid ?: "");
  node_map_set_bool (owner, "controller", true);
  node_map_set_bool (owner, "blockOwnerDeletion", true);
  node_map_set (meta, "ownerReferences", node_new_seq ());
  node_seq_append (node_map_get (meta, "ownerReferences"), owner);

  node_map_set_str (n, "kind", "EndpointSlice");
  node_map_set_str (n, "apiVersion", "discovery.k8s.io/v1");
  node_map_set (n, "metadata", meta);
  node_map_set_str (n, "addressType", "IPv4");
  eps = count ? node_new_seq () : node_new_scalar ("null", false);
  for (size_t i = first; i < first + count; i++)
    {
      const struct endpoint *ep = &g->eps[i];
      struct node *x = node_new_map (), *addrs = node_new_seq (),
                  *cond = node_new_map ();
      node_seq_append (addrs, node_new_scalar (ep->ip, true));
      node_map_set (x, "addresses", addrs);
      node_map_set_bool (cond, "ready", ep->ready);
      node_map_set_bool (cond, "serving", ep->serving);
      node_map_set_bool (cond, "terminating", ep->terminating);
      node_map_set (x, "conditions", cond);
      if (ep->hostname)
        node_map_set_str (x, "hostname", ep->hostname);
      node_map_set (x, "targetRef", target_ref (ep->pod));
      if (pod_node_name (ep->pod))
        node_map_set_str (x, "nodeName", pod_node_name (ep->pod));
      node_seq_append (eps, x);
    }
  node_map_set (n, "endpoints", eps);
  ports = g && g->nports ? node_new_seq () : node_new_scalar ("null", false);
  for (size_t i = 0; g && i < g->nports; i++)
    {
      struct node *p = node_new_map ();
      node_map_set_str (p, "name", g->ports[i].name);
      node_map_set_str (p, "protocol", g->ports[i].protocol);
      node_map_set_int (p, "port", g->ports[i].port);
      if (g->ports[i].app_protocol)
        node_map_set_str (p, "appProtocol", g->ports[i].app_protocol);
      node_seq_append (ports, p);
    }
  node_map_set (n, "ports", ports);
  return n;
}

void
endpoints_encode_slices (const struct service_endpoints *e, uint64_t rv,
                         struct node *seq)
{
  size_t index = 0;
  if (!e->managed)
    return;
  for (size_t gi = 0; gi < e->ngroups; gi++)
    {
      const struct endpoint_group *g = &e->groups[gi];
      for (size_t first = 0; first < g->neps; first += ENDPOINTS_MAX_PER_SLICE)
        {
          size_t count = g->neps - first;
          if (count > ENDPOINTS_MAX_PER_SLICE)
            count = ENDPOINTS_MAX_PER_SLICE;
          node_seq_append (seq, encode_slice (e, g, first, count, index++, rv));
        }
    }
  if (index == 0) /* the placeholder slice */
    node_seq_append (seq, encode_slice (e, NULL, 0, 0, 0, rv));
}

/* ---- the legacy Endpoints (RepackSubsets) ---- */

struct v1_addr
{
  const struct endpoint *ep;
  bool ready;
};

struct v1_port
{
  const struct endpoint_port *port; /* NULL: headless without ports */
  struct v1_addr *addrs;
  size_t naddrs;
  bool merged;
};

static int
cmp_v1_addr (const void *a, const void *b)
{
  const struct v1_addr *x = a, *y = b;
  int c = strcmp (x->ep->ip, y->ep->ip);
  return c ? c
           : strcmp (object_meta (x->ep->pod->obj)->uid ?: "",
                     object_meta (y->ep->pod->obj)->uid ?: "");
}

static bool
same_port (const struct endpoint_port *a, const struct endpoint_port *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return a->port == b->port && strcmp (a->name, b->name) == 0
         && strcmp (a->protocol, b->protocol) == 0
         && strcmp (a->app_protocol ?: "", b->app_protocol ?: "") == 0;
}

static bool
same_addrs (const struct v1_port *a, const struct v1_port *b)
{
  if (a->naddrs != b->naddrs)
    return false;
  for (size_t i = 0; i < a->naddrs; i++)
    if (a->addrs[i].ep != b->addrs[i].ep
        || a->addrs[i].ready != b->addrs[i].ready)
      return false;
  return true;
}

static void
v1_add (struct v1_port **ports, size_t *n, const struct endpoint_port *p,
        const struct endpoint *ep, bool ready)
{
  struct v1_port *vp = NULL;
  for (size_t i = 0; i < *n && vp == NULL; i++)
    if (same_port ((*ports)[i].port, p))
      vp = &(*ports)[i];
  if (vp == NULL)
    {
      *ports = reallocarray (*ports, *n + 1, sizeof (**ports));
      if (*ports == NULL)
        abort ();
      vp = &(*ports)[(*n)++];
      memset (vp, 0, sizeof (*vp));
      vp->port = p;
    }
  vp->addrs = reallocarray (vp->addrs, vp->naddrs + 1, sizeof (*vp->addrs));
  if (vp->addrs == NULL)
    abort ();
  vp->addrs[vp->naddrs++] = (struct v1_addr){ ep, ready };
}

static struct node *
v1_address (const struct endpoint *ep)
{
  struct node *a = node_new_map ();
  node_map_set_str (a, "ip", ep->ip);
  if (ep->hostname)
    node_map_set_str (a, "hostname", ep->hostname);
  if (pod_node_name (ep->pod))
    node_map_set_str (a, "nodeName", pod_node_name (ep->pod));
  node_map_set (a, "targetRef", target_ref (ep->pod));
  return a;
}

/* truncateEndpoints: keep at most 1000 addresses, ready ones first, each
 * subset cut in proportion (rounded up). */
static bool
v1_truncate (struct v1_port *ports, size_t n)
{
  size_t ready = 0, notready = 0, max, total, can;
  bool cut_ready;
  for (size_t i = 0; i < n; i++)
    if (!ports[i].merged)
      for (size_t j = 0; j < ports[i].naddrs; j++)
        ports[i].addrs[j].ready ? ready++ : notready++;
  if (ready + notready <= ENDPOINTS_MAX_CAPACITY)
    return false;
  cut_ready = ready > ENDPOINTS_MAX_CAPACITY;
  max = cut_ready ? ENDPOINTS_MAX_CAPACITY : ENDPOINTS_MAX_CAPACITY - ready;
  total = cut_ready ? ready : notready;
  can = max;
  for (size_t i = 0; i < n; i++)
    {
      size_t in = 0, keep, kept = 0, w = 0;
      if (ports[i].merged)
        continue;
      for (size_t j = 0; j < ports[i].naddrs; j++)
        in += ports[i].addrs[j].ready == cut_ready;
      keep = (in * max + total - 1) / total;
      if (keep > can)
        keep = can;
      for (size_t j = 0; j < ports[i].naddrs; j++)
        {
          bool r = ports[i].addrs[j].ready;
          if (cut_ready && !r)
            continue; /* every not-ready address goes */
          if (r == cut_ready && kept++ >= keep)
            continue;
          ports[i].addrs[w++] = ports[i].addrs[j];
        }
      ports[i].naddrs = w;
      can -= kept < keep ? kept : keep;
    }
  return true;
}

static struct node *
v1_subsets (struct v1_port *ports, size_t n)
{
  struct node *subsets = node_new_seq ();
  for (size_t i = 0; i < n; i++)
    {
      struct node *ss, *ready = node_new_seq (), *notready = node_new_seq (),
                       *pl = node_new_seq ();
      if (ports[i].merged || ports[i].naddrs == 0)
        {
          node_unref (ready);
          node_unref (notready);
          node_unref (pl);
          continue;
        }
      ss = node_new_map ();
      for (size_t j = 0; j < ports[i].naddrs; j++)
        node_seq_append (ports[i].addrs[j].ready ? ready : notready,
                         v1_address (ports[i].addrs[j].ep));
      for (size_t k = i; k < n; k++)
        {
          struct node *p;
          if (ports[k].port == NULL || (k > i && ports[k].merged))
            continue;
          if (k > i && !same_addrs (&ports[i], &ports[k]))
            continue;
          ports[k].merged = k > i;
          p = node_new_map ();
          node_map_set_str (p, "name", ports[k].port->name);
          node_map_set_int (p, "port", ports[k].port->port);
          node_map_set_str (p, "protocol", ports[k].port->protocol);
          if (ports[k].port->app_protocol)
            node_map_set_str (p, "appProtocol", ports[k].port->app_protocol);
          node_seq_append (pl, p);
        }
      node_map_set (ss, "addresses", ready->len ? ready : NULL);
      node_map_set (ss, "notReadyAddresses", notready->len ? notready : NULL);
      node_map_set (ss, "ports", pl->len ? pl : NULL);
      if (!ready->len)
        node_unref (ready);
      if (!notready->len)
        node_unref (notready);
      if (!pl->len)
        node_unref (pl);
      node_seq_append (subsets, ss);
    }
  return subsets;
}

static int
cmp_v1_port (const void *a, const void *b)
{
  const struct endpoint_port *x = ((const struct v1_port *)a)->port,
                             *y = ((const struct v1_port *)b)->port;
  if (x == NULL || y == NULL)
    return (x != NULL) - (y != NULL);
  if (x->port != y->port)
    return x->port < y->port ? -1 : 1;
  return strcmp (x->name, y->name);
}

struct node *
endpoints_encode_v1 (const struct service_endpoints *e, uint64_t rv)
{
  const struct service_spec *sp = svc_spec (e->svc);
  const struct object_meta *sm = object_meta (e->svc->obj);
  bool pnra = sp->publish_not_ready_addresses.set
              && sp->publish_not_ready_addresses.v;
  struct v1_port *ports = NULL;
  size_t n = 0;
  struct node *o = node_new_map (), *labels, *meta, *subsets;
  cleanup_free char *seed = NULL;

  for (size_t gi = 0; gi < e->ngroups; gi++)
    for (size_t i = 0; i < e->groups[gi].neps; i++)
      {
        const struct endpoint *ep = &e->groups[gi].eps[i];
        bool ready = pnra || ep->serving;
        if (ep->terminating && !pnra)
          continue;
        if (sp->ports.len == 0)
          v1_add (&ports, &n, NULL, ep, ready);
        for (size_t k = 0; k < e->groups[gi].nports; k++)
          v1_add (&ports, &n, &e->groups[gi].ports[k], ep, ready);
      }
  for (size_t i = 0; i < n; i++)
    if (ports[i].naddrs > 1)
      qsort (ports[i].addrs, ports[i].naddrs, sizeof (*ports[i].addrs),
             cmp_v1_addr);
  if (n > 1)
    qsort (ports, n, sizeof (*ports), cmp_v1_port);
  if (asprintf (&seed, "%s/endpoints", sm->uid ?: sm->name) < 0)
    abort ();
  meta = derived_meta (e, sm->name, seed, rv, &labels);
  node_map_set_str (labels, "endpoints.kubernetes.io/managed-by",
                    "endpoint-controller");
  node_map_set (meta, "labels", labels);
  if (v1_truncate (ports, n))
    {
      struct node *ann = node_new_map ();
      node_map_set_str (ann, "endpoints.kubernetes.io/over-capacity",
                        "truncated");
      node_map_set (meta, "annotations", ann);
    }
  subsets = v1_subsets (ports, n);
  node_map_set_str (o, "kind", "Endpoints");
  node_map_set_str (o, "apiVersion", "v1");
  node_map_set (o, "metadata", meta);
  if (subsets->len)
    node_map_set (o, "subsets", subsets);
  else
    node_unref (subsets);
  for (size_t i = 0; i < n; i++)
    free (ports[i].addrs);
  free (ports);
  return o;
}

/* ---- the API's view ---- */

static int
cmp_entry (const void *a, const void *b)
{
  const struct object *x = (*(const struct store_entry *const *)a)->obj;
  const struct object *y = (*(const struct store_entry *const *)b)->obj;
  int c = strcmp (object_namespace (x) ?: "", object_namespace (y) ?: "");
  return c ? c : strcmp (object_name (x), object_name (y));
}

struct node *
endpoints_api_get (const struct store *s, bool slices, const char *ns,
                   const char *name)
{
  cleanup_free const struct store_entry **svcs
      = xcalloc (s->len + 1, sizeof (*svcs));
  struct node *items = node_new_seq ();
  size_t n = 0;

  for (size_t i = 0; i < s->len; i++)
    {
      const struct object *o = s->items[i]->obj;
      if (o->info && o->info->id == KIND_SERVICE
          && (ns == NULL || strcmp (object_namespace (o) ?: "", ns) == 0))
        svcs[n++] = s->items[i];
    }
  qsort (svcs, n, sizeof (*svcs), cmp_entry);
  for (size_t i = 0; i < n; i++)
    {
      struct service_endpoints e;
      if (!slices && name && strcmp (object_name (svcs[i]->obj), name) != 0)
        continue;
      endpoints_compute (s, svcs[i], &e);
      if (e.managed && slices)
        endpoints_encode_slices (&e, s->rv, items);
      else if (e.managed)
        node_seq_append (items, endpoints_encode_v1 (&e, s->rv));
      endpoints_free (&e);
    }
  if (name)
    {
      struct node *found = NULL;
      for (size_t i = 0; i < items->len && !found; i++)
        if (strcmp (k8s_get_str (items->items[i], "metadata.name") ?: "", name)
            == 0)
          found = node_ref (items->items[i]);
      node_unref (items);
      return found;
    }
  return k8s_list (slices ? "EndpointSliceList" : "EndpointsList",
                   slices ? "discovery.k8s.io/v1" : "v1", s->rv, items);
}
