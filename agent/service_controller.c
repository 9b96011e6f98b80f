/* service_controller.c - see service_controller.h. */
#include "service_controller.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "codec.h"
#include "endpoints.h"
#include "fsutil.h"
#include "nft_service.h"
#include "types.h"

/* What a Service (uid) had allocated, to keep it across file edits. */
struct remembered
{
  char *uid;
  char *rv;
  struct object *obj;
};

struct service_controller
{
  struct controller base;
  struct service_controller_options opt;
  char *cluster_cidr, *table;
  struct nft_service nft;
  bool nft_open, nft_failed, table_present;
  bool swept; /* a stale table looked for */
  /* the last computed state: handed to nftables (then shown is its
   * committed state), or kept here without routing; its text is written
   * only when asked for (service_controller_ruleset) */
  struct nft_service_state *kept;
  const struct nft_service_state *shown;
  char *ruleset;
  struct remembered *mem;
  size_t nmem;
  struct service_controller_stats stats;
};

static int64_t
mono_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say (struct service_controller *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static void
say (struct service_controller *c, const char *fmt, ...)
{
  char buf[1024];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, sizeof (buf), fmt, ap);
  va_end (ap);
  if (c->opt.log)
    c->opt.log ("services: %s", buf);
  else
    fprintf (stderr, "services: %s\n", buf);
}

static bool
is_service (const struct store_entry *e)
{
  return e->obj->info && e->obj->info->id == KIND_SERVICE;
}

static const struct service_spec *
spec_of (const struct object *o)
{
  return &((const struct service *)o->data)->spec;
}

/* ---- 1. allocation ---- */

static struct remembered *
mem_find (struct service_controller *c, const char *uid)
{
  for (size_t i = 0; uid && i < c->nmem; i++)
    if (strcmp (c->mem[i].uid, uid) == 0)
      return &c->mem[i];
  return NULL;
}

static struct object *
copy_object (const struct object *o)
{
  struct node *n = object_encode (o);
  struct object *copy = object_from_node (o->file ?: "<store>", n, "");
  node_unref (n);
  return copy;
}

/* Remember the allocated Services of S (those whose version changed). */
static void
remember (struct service_controller *c, const struct store *s)
{
  for (size_t i = 0; i < s->len; i++)
    {
      const struct object *o = s->items[i]->obj;
      const struct object_meta *m;
      struct remembered *r;
      if (!is_service (s->items[i]) || !service_alloc_done (o))
        continue;
      m = object_meta (o);
      r = mem_find (c, m->uid);
      if (r && r->rv && m->resource_version
          && strcmp (r->rv, m->resource_version) == 0)
        continue;
      if (r == NULL)
        {
          c->mem = reallocarray (c->mem, c->nmem + 1, sizeof (*c->mem));
          if (c->mem == NULL)
            abort ();
          r = &c->mem[c->nmem++];
          memset (r, 0, sizeof (*r));
          r->uid = xstrdup (m->uid ?: "");
        }
      free (r->rv);
      r->rv = m->resource_version ? xstrdup (m->resource_version) : NULL;
      if (r->obj)
        object_free (r->obj);
      r->obj = copy_object (o);
    }
}

/* Forget the Services that are gone. */
static void
forget (struct service_controller *c, const struct store *s)
{
  for (size_t i = 0; i < c->nmem;)
    {
      bool found = false;
      for (size_t j = 0; j < s->len && !found; j++)
        found = is_service (s->items[j])
                && strcmp (object_meta (s->items[j]->obj)->uid ?: "",
                           c->mem[i].uid)
                       == 0;
      if (found)
        {
          i++;
          continue;
        }
      free (c->mem[i].uid);
      free (c->mem[i].rv);
      object_free (c->mem[i].obj);
      c->mem[i] = c->mem[--c->nmem];
    }
}

static int
allocate_one (struct service_controller *c, struct store *s,
              struct store_entry *e, berth_error_t *err)
{
  const struct object_meta *m = object_meta (e->obj);
  struct remembered *r = mem_find (c, m->uid);
  struct object *copy = copy_object (e->obj);
  struct service_alloc_error ae;
  enum store_result res;
  cleanup_free char *rv = xstrdup (m->resource_version ?: "");
  cleanup_free char *source = xstrdup (e->source);

  if (!object_is_valid (copy))
    {
      object_free (copy);
      return 0;
    }
  if (service_alloc_assign (&c->opt.ranges, s, copy, r ? r->obj : NULL, &ae)
      < 0)
    {
      cleanup_free char *msg = service_alloc_error_message (copy, &ae);
      store_event (s, "Warning", *ae.reason ? ae.reason : "FailedToAllocate",
                   "Service", object_namespace (copy), object_name (copy),
                   m->uid, *ae.event ? ae.event : msg);
      object_free (copy);
      return 0;
    }
  if (store_apply (s, copy, source, STORE_UPDATE_ONLY, rv, &res, NULL, err) < 0)
    return berth_error_wrap (err, "service %s/%s: store the allocation",
                             m->namespace, m->name);
  return 1;
}

/* Assign what the Services need; returns how many were written. */
static int
allocate (struct service_controller *c, struct store *s, berth_error_t *err)
{
  int n = 0;
  for (size_t i = 0; i < s->len; i++)
    {
      int r;
      if (!is_service (s->items[i]) || service_alloc_done (s->items[i]->obj))
        continue;
      r = allocate_one (c, s, s->items[i], err);
      if (r < 0)
        return -1;
      if (r > 0)
        {
          n++;
          i = (size_t)-1; /* the store changed under us: start over */
        }
    }
  return n;
}

/* ---- 2/3. routing ---- */

static int
cmp_age (const void *a, const void *b)
{
  const struct object *x = (*(const struct store_entry *const *)a)->obj;
  const struct object *y = (*(const struct store_entry *const *)b)->obj;
  int c = strcmp (object_meta (x)->creation_timestamp ?: "",
                  object_meta (y)->creation_timestamp ?: "");
  if (c == 0)
    c = strcmp (object_namespace (x) ?: "", object_namespace (y) ?: "");
  return c ? c : strcmp (object_name (x), object_name (y));
}

/* The repair controllers' check: may E be routed?  Its ClusterIP and
 * NodePorts must be in range and not held by an older Service. */
static bool
claim_ok (struct service_controller *c, struct store *s,
          const struct store_entry *e, uint32_t *ips, size_t *nips,
          int64_t *ports, size_t *nports)
{
  const struct service_spec *sp = spec_of (e->obj);
  const struct service_ranges *r = &c->opt.ranges;
  const struct object_meta *m = object_meta (e->obj);
  char msg[256];
  uint32_t ip;
  if (!service_parse_ip4 (sp->cluster_ip, &ip))
    return false;
  if (ip <= r->net || ip > r->net + r->max)
    {
      snprintf (msg, sizeof (msg),
                "Cluster IP [IPv4]: %s is not within the configured Service "
                "CIDR %s; please recreate service",
                sp->cluster_ip, r->cidr);
      store_event (s, "Warning", "ClusterIPOutOfRange", "Service", m->namespace,
                   m->name, m->uid, msg);
      return false;
    }
  for (size_t i = 0; i <= *nips; i++)
    if (i == *nips ? ip == r->net + 1 : ips[i] == ip)
      {
        snprintf (msg, sizeof (msg),
                  "Cluster IP [IPv4]:%s was assigned to multiple services; "
                  "please recreate service",
                  sp->cluster_ip);
        store_event (s, "Warning", "ClusterIPAlreadyAllocated", "Service",
                     m->namespace, m->name, m->uid, msg);
        return false;
      }
  for (size_t j = 0; j < sp->ports.len; j++)
    {
      int64_t np = sp->ports.items[j].node_port.v;
      if (!sp->ports.items[j].node_port.set || np == 0)
        continue;
      for (size_t i = 0; i < *nports; i++)
        if (ports[i] == np)
          {
            snprintf (msg, sizeof (msg),
                      "Port %lld was assigned to multiple services; please "
                      "recreate service",
                      (long long)np);
            store_event (s, "Warning", "PortAlreadyAllocated", "Service",
                         m->namespace, m->name, m->uid, msg);
            return false;
          }
    }
  ips[(*nips)++] = ip;
  for (size_t j = 0; j < sp->ports.len; j++)
    if (sp->ports.items[j].node_port.set && sp->ports.items[j].node_port.v)
      {
        bool dup = false;
        for (size_t k = 0; k < j; k++)
          dup |= sp->ports.items[k].node_port.v
                 == sp->ports.items[j].node_port.v;
        if (!dup)
          ports[(*nports)++] = sp->ports.items[j].node_port.v;
      }
  return true;
}

struct routes
{
  struct nft_service_port *ports;
  size_t n;
  struct nft_endpoint **eps; /* owned, one array per port */
  struct service_endpoints *svcs;
  size_t nsvcs;
};

/* kube-proxy's CategorizeEndpoints for one service port: the ready
 * endpoints; if none, the serving terminating ones. */
static void
port_endpoints (const struct service_endpoints *e, const char *port_name,
                struct nft_service_port *out, struct nft_endpoint **owned)
{
  size_t total = 0, n = 0;
  for (size_t g = 0; g < e->ngroups; g++)
    total += e->groups[g].neps;
  *owned = xcalloc (total + 1, sizeof (**owned));
  for (int pass = 0; pass < 2 && n == 0; pass++)
    for (size_t g = 0; g < e->ngroups; g++)
      {
        const struct endpoint_group *grp = &e->groups[g];
        const struct endpoint_port *p = NULL;
        for (size_t k = 0; k < grp->nports && !p; k++)
          if (strcmp (grp->ports[k].name, port_name) == 0)
            p = &grp->ports[k];
        if (p == NULL)
          continue;
        for (size_t i = 0; i < grp->neps; i++)
          {
            const struct endpoint *ep = &grp->eps[i];
            if (pass == 0 ? !ep->ready : !(ep->serving && ep->terminating))
              continue;
            (*owned)[n++] = (struct nft_endpoint){ ep->ip, p->port };
          }
      }
  out->eps = *owned;
  out->neps = n;
}

/* A Pod's Ready condition as it is about to be written (the readiness
 * fast path), or none. */
struct ready_override
{
  const struct store_entry *pod;
  bool ready;
};

static void
routes_add_service (struct routes *rt, const struct store *s,
                    const struct store_entry *e,
                    const struct ready_override *ov)
{
  const struct service_spec *sp = spec_of (e->obj);
  struct service_endpoints *se;
  rt->svcs = reallocarray (rt->svcs, rt->nsvcs + 1, sizeof (*rt->svcs));
  if (rt->svcs == NULL)
    abort ();
  se = &rt->svcs[rt->nsvcs++];
  endpoints_compute (s, e, se);
  if (ov)
    endpoints_set_serving (se, ov->pod, ov->ready);
  for (size_t j = 0; j < sp->ports.len; j++)
    {
      const struct service_port *p = &sp->ports.items[j];
      struct nft_service_port *np;
      rt->ports = reallocarray (rt->ports, rt->n + 1, sizeof (*rt->ports));
      rt->eps = reallocarray (rt->eps, rt->n + 1, sizeof (*rt->eps));
      if (rt->ports == NULL || rt->eps == NULL)
        abort ();
      np = &rt->ports[rt->n];
      *np = (struct nft_service_port){
        .ns = object_namespace (e->obj) ?: "default",
        .name = object_name (e->obj),
        .port_name = p->name ?: "",
        .protocol = p->protocol ?: "TCP",
        .cluster_ip = sp->cluster_ip,
        .port = p->port.v,
        .node_port = p->node_port.set ? p->node_port.v : 0,
      };
      port_endpoints (se, np->port_name, np, &rt->eps[rt->n]);
      rt->n++;
    }
}

static void
routes_free (struct routes *rt)
{
  for (size_t i = 0; i < rt->n; i++)
    free (rt->eps[i]);
  for (size_t i = 0; i < rt->nsvcs; i++)
    endpoints_free (&rt->svcs[i]);
  free (rt->eps);
  free (rt->ports);
  free (rt->svcs);
}

/* The routable Services of S, oldest first. */
static void
routes_build (struct service_controller *c, struct store *s, struct routes *rt)
{
  cleanup_free const struct store_entry **svcs
      = xcalloc (s->len + 1, sizeof (*svcs));
  cleanup_free uint32_t *ips = xcalloc (s->len + 1, sizeof (*ips));
  cleanup_free int64_t *ports = NULL;
  size_t n = 0, nips = 0, nports = 0, allports = 0;

  for (size_t i = 0; i < s->len; i++)
    {
      const struct service_spec *sp;
      if (!is_service (s->items[i]))
        continue;
      sp = spec_of (s->items[i]->obj);
      if (strcmp (sp->type ?: "", "ExternalName") == 0 || sp->cluster_ip == NULL
          || strcmp (sp->cluster_ip, "None") == 0 || !*sp->cluster_ip)
        continue;
      svcs[n++] = s->items[i];
      allports += sp->ports.len;
    }
  qsort (svcs, n, sizeof (*svcs), cmp_age);
  ports = xcalloc (allports + 1, sizeof (*ports));
  memset (rt, 0, sizeof (*rt));
  for (size_t i = 0; i < n; i++)
    if (claim_ok (c, s, svcs[i], ips, &nips, ports, &nports))
      routes_add_service (rt, s, svcs[i], NULL);
}

/* When the store changed for this commit: the round's first change, else
 * one made earlier in this round; 0 when unknown. */
static int64_t
change_time (const struct service_controller *c)
{
  if (c->opt.change_ns && *c->opt.change_ns > 0)
    return *c->opt.change_ns;
  if (c->opt.change_live_ns && *c->opt.change_live_ns > 0)
    return *c->opt.change_live_ns;
  return 0;
}

/* A commit from T_START to T_END, for a change made at CHANGED (0:
 * unknown). */
static void
record_latency (struct service_controller *c, int64_t changed, int64_t t_start,
                int64_t t_end)
{
  struct service_controller_stats *st = &c->stats;
  st->commits++;
  st->last_tx_ms = (double)(t_end - t_start) / 1e6;
  if (changed <= 0 || changed > t_end)
    return;
  st->measured++;
  st->last_ms = (double)(t_end - changed) / 1e6;
  if (st->last_ms > st->max_ms)
    st->max_ms = st->last_ms;
  st->samples[st->nsamples++ % SERVICE_LATENCY_SAMPLES] = st->last_ms;
}

static struct nft_service_config
nft_config (const struct service_controller *c)
{
  return (struct nft_service_config){
    .table = c->table,
    .service_cidr = c->opt.ranges.cidr,
    .cluster_cidr = c->cluster_cidr,
    .masq_mark = NFT_SERVICE_MASQ_MARK,
  };
}

/* Keep ST (the state not handed to nftables) for the ruleset text. */
static void
keep (struct service_controller *c, struct nft_service_state *st)
{
  c->kept = st;
  c->shown = st;
}

/* How a commit went, for the log: "full", "batched" (a partial one as a
 * libnftnl batch) or "partial" (through libnftables). */
static const char *
tx_kind (const struct nft_service_result *res)
{
  return res->full ? "full" : res->batched ? "batched" : "partial";
}

static int
program (struct service_controller *c, const struct routes *rt,
         berth_error_t *err)
{
  struct nft_service_config cfg = nft_config (c);
  struct nft_service_result res;
  struct nft_service_state *st;
  int64_t t0;
  size_t neps = 0;

  st = nft_service_state_new (&cfg, rt->ports, rt->n);
  free (c->ruleset);
  c->ruleset = NULL;
  nft_service_state_free (c->kept);
  c->kept = NULL;
  c->shown = NULL;
  for (size_t i = 0; i < rt->n; i++)
    neps += rt->ports[i].neps;
  c->stats.routed_ports = rt->n;
  c->stats.routed_endpoints = neps;
  if (!c->opt.routing || c->nft_failed)
    {
      keep (c, st);
      return 0;
    }
  /* nothing to route and no table: no need for libnftables, unless a
   * killed agent may have left its table (the marker says so) */
  if (rt->n == 0 && !c->table_present
      && (c->swept
          || (c->opt.table_marker && access (c->opt.table_marker, F_OK) < 0)))
    {
      keep (c, st);
      c->swept = true;
      return 0;
    }
  if (!c->nft_open)
    {
      if (nft_service_open (&c->nft, c->table, err) < 0)
        {
          keep (c, st);
          return -1;
        }
      c->nft_open = true;
    }
  t0 = mono_ns ();
  if (rt->n == 0)
    {
      keep (c, st);
      /* nothing to route: no table at all (also none left by an agent
       * that was killed) */
      if ((c->table_present || !c->swept)
          && nft_service_delete (&c->nft, err) < 0)
        {
          if (c->table_present)
            return -1;
          say (c, "no routing: %s", berth_error_msg (err));
          berth_error_release (err);
          c->nft_failed = true;
          return 0;
        }
      c->swept = true;
      c->table_present = false;
      if (c->opt.table_marker)
        unlink (c->opt.table_marker);
      return 0;
    }
  if (nft_service_sync (&c->nft, &cfg, st, t0 / 1000000, &res, err) < 0)
    {
      if (!c->table_present)
        {
          /* never worked (no privilege, no nf_tables): say it once */
          say (c, "no routing: %s", berth_error_msg (err));
          berth_error_release (err);
          c->nft_failed = true;
          return 0;
        }
      return -1;
    }
  if (!c->table_present && c->opt.table_marker)
    {
      cleanup_free char *dir = xstrdup (c->opt.table_marker);
      berth_error_t e = NULL;
      int fd;
      *strrchr (dir, '/') = '\0';
      if (*dir && fs_mkdir_p (dir, 0755, &e) < 0)
        berth_error_release (&e);
      fd = open (c->opt.table_marker,
                 O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        say (c, "create %s: %s", c->opt.table_marker, strerror (errno));
      else
        close (fd);
    }
  c->table_present = true;
  c->swept = true;
  c->shown = c->nft.applied;
  if (res.changed)
    {
      record_latency (c, change_time (c), t0, mono_ns ());
      if (res.full)
        c->stats.full_syncs++;
      if (change_time (c) > 0)
        say (c,
             "table ip %s: %zu service ports, %zu endpoints, committed "
             "%.2f ms after the store change (%s transaction %.2f ms)",
             c->table, rt->n, neps, c->stats.last_ms, tx_kind (&res),
             c->stats.last_tx_ms);
    }
  return 0;
}

static int
sc_sync (struct controller *base, struct store *s, int64_t now_ms,
         int64_t *next_ms, berth_error_t *err)
{
  struct service_controller *c = (struct service_controller *)base;
  struct routes rt;
  int n, ret;
  (void)now_ms;
  *next_ms = -1;
  remember (c, s);
  n = allocate (c, s, err);
  if (n < 0)
    return -1;
  remember (c, s);
  forget (c, s);
  routes_build (c, s, &rt);
  ret = program (c, &rt, err);
  routes_free (&rt);
  return ret;
}

/* ---- the readiness fast path ---- */

/* Route the Services of POD that the committed table routes as if POD's
 * Ready condition were READY: their part of the state made anew, the
 * others' kept; a partial transaction when it changed. */
static int
reroute_pod (struct service_controller *c, struct store *s,
             const struct store_entry *pod, bool ready, int64_t t_hook,
             berth_error_t *err)
{
  struct ready_override ov = { pod, ready };
  struct nft_service_config cfg = nft_config (c);
  struct nft_service_result res;
  struct routes rt;
  int64_t t0;
  int ret = 0;

  memset (&rt, 0, sizeof (rt));
  for (size_t i = 0; i < s->len; i++)
    {
      const struct store_entry *e = s->items[i];
      if (is_service (e) && endpoints_selects (e, pod)
          && nft_service_state_owns (c->nft.applied,
                                     object_namespace (e->obj) ?: "default",
                                     object_name (e->obj)))
        routes_add_service (&rt, s, e, &ov);
    }
  if (rt.n > 0)
    {
      t0 = mono_ns ();
      ret = nft_service_sync (
          &c->nft, &cfg,
          nft_service_state_update (&cfg, c->nft.applied, rt.ports, rt.n),
          t0 / 1000000, &res, err);
      if (ret == 0 && res.changed)
        {
          free (c->ruleset);
          c->ruleset = NULL;
          c->shown = c->nft.applied;
          record_latency (c, t_hook, t0, mono_ns ());
          if (res.full)
            c->stats.full_syncs++;
          say (c,
               "table ip %s: pod %s/%s %s: committed %.2f ms after the "
               "readiness change (%s transaction %.2f ms)",
               c->table, object_namespace (pod->obj) ?: "default",
               object_name (pod->obj), ready ? "ready" : "not ready",
               c->stats.last_ms, tx_kind (&res), c->stats.last_tx_ms);
        }
    }
  routes_free (&rt);
  return ret;
}

void
service_controller_pod_ready (void *controller, struct store *s,
                              const struct store_entry *pod, bool ready)
{
  struct service_controller *c = controller;
  int64_t t_hook = mono_ns ();
  berth_error_t err = NULL;
  /* before the first commit, or without routing: the round does it */
  if (!c->opt.routing || c->nft_failed || !c->table_present
      || c->nft.applied == NULL)
    return;
  if (reroute_pod (c, s, pod, ready, t_hook, &err) < 0)
    {
      /* the round that follows commits the whole table */
      say (c, "%s", berth_error_msg (&err));
      berth_error_release (&err);
    }
}

static void
sc_free (struct controller *base)
{
  struct service_controller *c = (struct service_controller *)base;
  if (c->nft_open)
    {
      berth_error_t err = NULL;
      if (c->table_present && nft_service_delete (&c->nft, &err) < 0)
        {
          say (c, "%s", berth_error_msg (&err));
          berth_error_release (&err);
        }
      else if (c->table_present && c->opt.table_marker)
        unlink (c->opt.table_marker);
      nft_service_close (&c->nft);
    }
  for (size_t i = 0; i < c->nmem; i++)
    {
      free (c->mem[i].uid);
      free (c->mem[i].rv);
      object_free (c->mem[i].obj);
    }
  free (c->mem);
  free (c->ruleset);
  nft_service_state_free (c->kept);
  free (c->cluster_cidr);
  free (c->table);
  free (c);
}

static const struct controller_ops service_controller_ops = {
  .name = "services",
  .sync = sc_sync,
  .free = sc_free,
};

int
service_controller_new (const struct service_controller_options *o,
                        const struct store *initial, struct controller **out,
                        berth_error_t *err)
{
  struct service_controller *c = xcalloc (1, sizeof (*c));
  (void)err;
  c->base.ops = &service_controller_ops;
  c->opt = *o;
  c->cluster_cidr = o->cluster_cidr ? xstrdup (o->cluster_cidr) : NULL;
  c->table = xstrdup (o->table ? o->table : NFT_SERVICE_TABLE);
  c->opt.cluster_cidr = c->cluster_cidr;
  c->opt.table = c->table;
  if (initial)
    remember (c, initial);
  *out = &c->base;
  return 0;
}

const struct service_controller_stats *
service_controller_stats (const struct controller *c)
{
  return &((const struct service_controller *)c)->stats;
}

const char *
service_controller_ruleset (const struct controller *base)
{
  /* written on demand: a sync computes the state, not its text */
  struct service_controller *c = (struct service_controller *)base;
  if (c->ruleset == NULL && c->shown)
    {
      struct nft_service_config cfg = nft_config (c);
      c->ruleset = nft_service_state_full (&cfg, c->shown);
    }
  return c->ruleset;
}
