/* nft_service.c - see nft_service.h. */
#include "nft_service.h"

#include <ctype.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static void *
xcalloc_ (size_t n, size_t size)
{
  void *p = calloc (n ? n : 1, size);
  if (p == NULL)
    abort ();
  return p;
}

/* kube-proxy's hashAndTruncate: base32(sha256(name))[:8] + "-" + name, cut
 * to 240 characters ("..." at the end). */
static char *
hash_and_truncate (const char *name)
{
  static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  char hash[9], *out = NULL;
  uint64_t v = 0;
  if (EVP_Digest (name, strlen (name), md, &mdlen, EVP_sha256 (), NULL) != 1)
    abort ();
  for (int i = 0; i < 5; i++)
    v = (v << 8) | md[i];
  for (int i = 0; i < 8; i++)
    hash[i] = b32[(v >> (35 - 5 * i)) & 31];
  hash[8] = '\0';
  if (asprintf (&out, "%s-%s", hash, name) < 0)
    abort ();
  if (strlen (out) > 240)
    strcpy (out + 237, "...");
  return out;
}

static void
lower (char *dst, const char *src, size_t size)
{
  size_t i = 0;
  for (; src[i] && i + 1 < size; i++)
    dst[i] = (char)tolower ((unsigned char)src[i]);
  dst[i] = '\0';
}

char *
nft_service_chain_base (const struct nft_service_port *p,
                        const struct nft_endpoint *ep)
{
  cleanup_free char *name = NULL;
  char proto[8];
  int r;
  lower (proto, p->protocol, sizeof (proto));
  if (ep)
    r = asprintf (&name, "%s/%s/%s/%s__%s/%lld", p->ns, p->name, proto,
                  p->port_name, ep->ip, (long long)ep->port);
  else
    r = asprintf (&name, "%s/%s/%s/%s", p->ns, p->name, proto, p->port_name);
  if (r < 0)
    abort ();
  return hash_and_truncate (name);
}

static int
cmp_port (const void *a, const void *b)
{
  const struct nft_service_port *x = *(const struct nft_service_port *const *)a;
  const struct nft_service_port *y = *(const struct nft_service_port *const *)b;
  int c = strcmp (x->ns, y->ns);
  if (c == 0)
    c = strcmp (x->name, y->name);
  if (c == 0)
    c = strcmp (x->port_name, y->port_name);
  if (c == 0)
    c = strcmp (x->protocol, y->protocol);
  return c;
}

/* ---- the desired state: chains and map elements ---- */

enum
{
  E_CLUSTER_IPS,
  E_SERVICE_IPS,
  E_NODEPORTS,
  E_NOEP_SERVICES,
  E_NOEP_NODEPORTS,
  E_COUNT
};

static const char *const map_names[E_COUNT]
    = { "cluster-ips", "service-ips", "service-nodeports",
        "no-endpoint-services", "no-endpoint-nodeports" };

/* Each chain and element has an owner: the Service ("ns/name") whose port
 * made it, so that one Service's part can be replaced
 * (nft_service_state_update). */
struct nft_chain
{
  char *name;
  char *rules; /* one rule a line, each ending in '\n' */
  char *owner;
};

struct nft_elem
{
  char *key;
  char *verdict; /* NULL in a set */
  char *owner;
};

struct nft_service_state
{
  struct nft_chain *chains; /* in the order they are written */
  size_t nchains, chains_cap;
  struct nft_elem *elems[E_COUNT];
  size_t nelems[E_COUNT], elems_cap[E_COUNT];
  const char *owner; /* while building: the owner of what is added */
};

static char *
xstrdup_ (const char *s)
{
  char *d = strdup (s ? s : "");
  if (d == NULL)
    abort ();
  return d;
}

static char *xvasprintf_ (const char *fmt, va_list ap)
    __attribute__ ((format (printf, 1, 0)));
static char *
xvasprintf_ (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    abort ();
  return s;
}

/* ARR with room for one more item (N used, *CAP allocated). */
static void *
grow (void *arr, size_t n, size_t *cap, size_t size)
{
  if (n < *cap)
    return arr;
  *cap = *cap ? *cap * 2 : 16;
  arr = reallocarray (arr, *cap, size);
  if (arr == NULL)
    abort ();
  return arr;
}

/* Takes NAME and RULES. */
static void
put_chain (struct nft_service_state *st, char *name, char *rules)
{
  st->chains
      = grow (st->chains, st->nchains, &st->chains_cap, sizeof (*st->chains));
  st->chains[st->nchains].rules = rules;
  st->chains[st->nchains].owner = xstrdup_ (st->owner);
  st->chains[st->nchains++].name = name;
}

static void add_chain (struct nft_service_state *st, char *name,
                       const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Takes NAME. */
static void
add_chain (struct nft_service_state *st, char *name, const char *fmt, ...)
{
  va_list ap;
  char *rules;
  va_start (ap, fmt);
  rules = xvasprintf_ (fmt, ap);
  va_end (ap);
  put_chain (st, name, rules);
}

/* Takes KEY. */
static void
put_elem (struct nft_service_state *st, int map, const char *verdict, char *key)
{
  struct nft_elem *e;
  st->elems[map] = grow (st->elems[map], st->nelems[map], &st->elems_cap[map],
                         sizeof (*e));
  e = &st->elems[map][st->nelems[map]++];
  e->key = key;
  e->verdict = verdict ? xstrdup_ (verdict) : NULL;
  e->owner = xstrdup_ (st->owner);
}

static void add_elem (struct nft_service_state *st, int map,
                      const char *verdict, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));
static void
add_elem (struct nft_service_state *st, int map, const char *verdict,
          const char *fmt, ...)
{
  va_list ap;
  char *key;
  va_start (ap, fmt);
  key = xvasprintf_ (fmt, ap);
  va_end (ap);
  put_elem (st, map, verdict, key);
}

/* Is the same key already in the list?  Keys are unique in a map; the
 * first Service keeps it. */
static bool seen_key (char ***keys, size_t *n, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static bool
seen_key (char ***keys, size_t *n, const char *fmt, ...)
{
  va_list ap;
  char *k;
  va_start (ap, fmt);
  k = xvasprintf_ (fmt, ap);
  va_end (ap);
  for (size_t i = 0; i < *n; i++)
    if (strcmp ((*keys)[i], k) == 0)
      {
        free (k);
        return true;
      }
  *keys = reallocarray (*keys, *n + 1, sizeof (char *));
  if (*keys == NULL)
    abort ();
  (*keys)[(*n)++] = k;
  return false;
}

static char *
prefixed (const char *prefix, const char *base)
{
  char *s = NULL;
  if (asprintf (&s, "%s-%s", prefix, base) < 0)
    abort ();
  return s;
}

/* The service chain: masquerade what comes from outside the cluster,
 * then pick an endpoint at random; the NodePort's external chain. */
static void
add_service_chains (struct nft_service_state *st,
                    const struct nft_service_config *c,
                    const struct nft_service_port *p, const char *proto,
                    const char *svc_chain, char **ep_chains, size_t neps)
{
  cleanup_free char *masq = NULL;
  char *vmap = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&vmap, &len);

  if (f == NULL)
    abort ();
  if (c->cluster_cidr
      && asprintf (&masq,
                   "ip daddr %s %s dport %lld ip saddr != %s jump "
                   "mark-for-masquerade\n",
                   p->cluster_ip, proto, (long long)p->port, c->cluster_cidr)
             < 0)
    abort ();
  for (size_t i = 0; i < neps; i++)
    fprintf (f, "%s%zu : goto endpoint-%s", i ? ", " : "", i, ep_chains[i]);
  fclose (f);
  add_chain (st, prefixed ("service", svc_chain),
             "%snumgen random mod %zu vmap { %s }\n", masq ? masq : "", neps,
             vmap);
  free (vmap);
  if (p->node_port > 0)
    add_chain (st, prefixed ("external", svc_chain),
               "jump mark-for-masquerade\ngoto service-%s\n", svc_chain);
}

static int
cmp_endpoint (const void *a, const void *b)
{
  const struct nft_endpoint *x = a, *y = b;
  int c = strcmp (x->ip, y->ip);
  return c ? c : (x->port > y->port) - (x->port < y->port);
}

/* One service port: its chains and its map elements.  The endpoints are
 * taken in a canonical order, so that the same set of endpoints is the
 * same state whatever order the caller found them in. */
static void
add_port (struct nft_service_state *st, const struct nft_service_config *c,
          const struct nft_service_port *p, char ***keys, size_t *nkeys)
{
  cleanup_free char *svc_chain = nft_service_chain_base (p, NULL);
  cleanup_free char *verdict = NULL;
  char **ep_chains = xcalloc_ (p->neps, sizeof (char *));
  struct nft_endpoint *eps = xcalloc_ (p->neps, sizeof (*eps));
  size_t neps = 0;
  char proto[8];
  cleanup_free char *owner = NULL;

  if (asprintf (&owner, "%s/%s", p->ns, p->name) < 0)
    abort ();
  st->owner = owner;
  lower (proto, p->protocol, sizeof (proto));
  if (seen_key (keys, nkeys, "%s . %s . %lld", p->cluster_ip, proto,
                (long long)p->port))
    goto out;
  if (!seen_key (keys, nkeys, "%s", p->cluster_ip))
    add_elem (st, E_CLUSTER_IPS, NULL, "%s", p->cluster_ip);
  if (p->neps)
    memcpy (eps, p->eps, p->neps * sizeof (*eps));
  qsort (eps, p->neps, sizeof (*eps), cmp_endpoint);
  for (size_t i = 0; i < p->neps; i++)
    {
      const struct nft_endpoint *ep = &eps[i];
      if (i > 0 && cmp_endpoint (&eps[i - 1], ep) == 0)
        continue;
      ep_chains[neps] = nft_service_chain_base (p, ep);
      add_chain (st, prefixed ("endpoint", ep_chains[neps]),
                 "ip saddr %s jump mark-for-masquerade\nmeta l4proto %s dnat "
                 "to %s:%lld\n",
                 ep->ip, proto, ep->ip, (long long)ep->port);
      neps++;
    }
  if (neps > 0)
    {
      add_service_chains (st, c, p, proto, svc_chain, ep_chains, neps);
      verdict = prefixed ("goto service", svc_chain);
      add_elem (st, E_SERVICE_IPS, verdict, "%s . %s . %lld", p->cluster_ip,
                proto, (long long)p->port);
    }
  else
    add_elem (st, E_NOEP_SERVICES, "goto reject-chain", "%s . %s . %lld",
              p->cluster_ip, proto, (long long)p->port);
  if (p->node_port > 0
      && !seen_key (keys, nkeys, "%s . %lld", proto, (long long)p->node_port))
    {
      free (verdict);
      verdict = prefixed ("goto external", svc_chain);
      if (neps > 0)
        add_elem (st, E_NODEPORTS, verdict, "%s . %lld", proto,
                  (long long)p->node_port);
      else
        add_elem (st, E_NOEP_NODEPORTS, "goto reject-chain", "%s . %lld", proto,
                  (long long)p->node_port);
    }
out:
  st->owner = NULL;
  for (size_t i = 0; i < neps; i++)
    free (ep_chains[i]);
  free (ep_chains);
  free (eps);
}

/* Add the ports' chains and elements to ST, in the ports' order (by
 * Service and port name); KEYS: the map keys ST holds already. */
static void
add_ports (struct nft_service_state *st, const struct nft_service_config *c,
           const struct nft_service_port *ports, size_t n, char ***keys,
           size_t *nkeys)
{
  const struct nft_service_port **sorted = xcalloc_ (n, sizeof (*sorted));
  for (size_t i = 0; i < n; i++)
    sorted[i] = &ports[i];
  qsort (sorted, n, sizeof (*sorted), cmp_port);
  for (size_t i = 0; i < n; i++)
    add_port (st, c, sorted[i], keys, nkeys);
  for (size_t i = 0; i < *nkeys; i++)
    free ((*keys)[i]);
  free (*keys);
  free (sorted);
}

struct nft_service_state *
nft_service_state_new (const struct nft_service_config *c,
                       const struct nft_service_port *ports, size_t n)
{
  struct nft_service_state *st = xcalloc_ (1, sizeof (*st));
  char **keys = NULL;
  size_t nkeys = 0;
  add_ports (st, c, ports, n, &keys, &nkeys);
  return st;
}

static bool
owner_in (const char *owner, const struct nft_service_port *ports, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      size_t l = strlen (ports[i].ns);
      if (strncmp (owner, ports[i].ns, l) == 0 && owner[l] == '/'
          && strcmp (owner + l + 1, ports[i].name) == 0)
        return true;
    }
  return false;
}

bool
nft_service_state_owns (const struct nft_service_state *st, const char *ns,
                        const char *name)
{
  struct nft_service_port p = { .ns = ns, .name = name };
  for (int m = 0; st && m < E_COUNT; m++)
    for (size_t i = 0; i < st->nelems[m]; i++)
      if (owner_in (st->elems[m][i].owner, &p, 1))
        return true;
  return false;
}

struct nft_service_state *
nft_service_state_update (const struct nft_service_config *c,
                          const struct nft_service_state *old,
                          const struct nft_service_port *ports, size_t n)
{
  struct nft_service_state *st = xcalloc_ (1, sizeof (*st));
  char **keys = NULL;
  size_t nkeys = 0, keys_cap = 0;

  for (size_t i = 0; i < old->nchains; i++)
    if (!owner_in (old->chains[i].owner, ports, n))
      {
        st->owner = old->chains[i].owner;
        put_chain (st, xstrdup_ (old->chains[i].name),
                   xstrdup_ (old->chains[i].rules));
      }
  for (int m = 0; m < E_COUNT; m++)
    for (size_t i = 0; i < old->nelems[m]; i++)
      {
        const struct nft_elem *e = &old->elems[m][i];
        if (owner_in (e->owner, ports, n))
          continue;
        st->owner = e->owner;
        put_elem (st, m, e->verdict, xstrdup_ (e->key));
        /* the keys the kept Services hold (seen_key's formats) */
        keys = grow (keys, nkeys, &keys_cap, sizeof (*keys));
        keys[nkeys++] = xstrdup_ (e->key);
      }
  st->owner = NULL;
  add_ports (st, c, ports, n, &keys, &nkeys);
  return st;
}

void
nft_service_state_free (struct nft_service_state *st)
{
  if (st == NULL)
    return;
  for (size_t i = 0; i < st->nchains; i++)
    {
      free (st->chains[i].name);
      free (st->chains[i].rules);
      free (st->chains[i].owner);
    }
  free (st->chains);
  for (int m = 0; m < E_COUNT; m++)
    {
      for (size_t i = 0; i < st->nelems[m]; i++)
        {
          free (st->elems[m][i].key);
          free (st->elems[m][i].verdict);
          free (st->elems[m][i].owner);
        }
      free (st->elems[m]);
    }
  free (st);
}

size_t
nft_service_state_chains (const struct nft_service_state *st)
{
  return st ? st->nchains : 0;
}

static const char head_sets[]
    = "\tset cluster-ips {\n\t\ttype ipv4_addr\n\t\tcomment \"Active "
      "ClusterIPs\"\n\t}\n"
      "\tmap service-ips {\n\t\ttype ipv4_addr . inet_proto . inet_service : "
      "verdict\n\t\tcomment \"ClusterIP, ExternalIP and LoadBalancer IP "
      "traffic\"\n\t}\n"
      "\tmap service-nodeports {\n\t\ttype inet_proto . inet_service : "
      "verdict\n\t\tcomment \"NodePort traffic\"\n\t}\n"
      "\tmap no-endpoint-services {\n\t\ttype ipv4_addr . inet_proto . "
      "inet_service : verdict\n\t\tcomment \"vmap to drop or reject packets "
      "to services with no endpoints\"\n\t}\n"
      "\tmap no-endpoint-nodeports {\n\t\ttype inet_proto . inet_service : "
      "verdict\n\t\tcomment \"vmap to drop or reject packets to service "
      "nodeports with no endpoints\"\n\t}\n"
      "\tchain mark-for-masquerade {\n\t\tmark set mark or 0x%x\n\t}\n"
      "\tchain masquerading {\n\t\tmark and 0x%x == 0 return\n"
      "\t\tmark set mark xor 0x%x\n\t\tmasquerade fully-random\n\t}\n"
      "\tchain reject-chain {\n\t\tcomment \"helper for "
      "@no-endpoint-services / @no-endpoint-nodeports\"\n\t\treject\n\t}\n";

static const char tail_chains[]
    = "\tchain services {\n"
      "\t\tip daddr . meta l4proto . th dport vmap @service-ips\n"
      "\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th "
      "dport vmap @service-nodeports\n\t}\n"
      "\tchain service-endpoints-check {\n"
      "\t\tip daddr . meta l4proto . th dport vmap @no-endpoint-services\n"
      "\t}\n"
      "\tchain nodeport-endpoints-check {\n"
      "\t\tip daddr != 127.0.0.0/8 meta l4proto . th dport vmap "
      "@no-endpoint-nodeports\n\t}\n"
      "\tchain cluster-ips-check {\n"
      "\t\tip daddr @cluster-ips reject comment \"Reject traffic to invalid "
      "ports of ClusterIPs\"\n"
      "%s"
      "\t}\n"
      "\tchain filter-input {\n"
      "\t\ttype filter hook input priority -110; policy accept;\n"
      "\t\tct state new jump nodeport-endpoints-check\n"
      "\t\tct state new jump service-endpoints-check\n\t}\n"
      "\tchain filter-forward {\n"
      "\t\ttype filter hook forward priority -110; policy accept;\n"
      "\t\tct state new jump service-endpoints-check\n"
      "\t\tct state new jump cluster-ips-check\n\t}\n"
      "\tchain filter-output {\n"
      "\t\ttype filter hook output priority -110; policy accept;\n"
      "\t\tct state new jump service-endpoints-check\n\t}\n"
      "\tchain filter-output-post-dnat {\n"
      "\t\ttype filter hook output priority -90; policy accept;\n"
      "\t\tct state new jump cluster-ips-check\n\t}\n"
      "\tchain nat-prerouting {\n"
      "\t\ttype nat hook prerouting priority -100; policy accept;\n"
      "\t\tjump services\n\t}\n"
      "\tchain nat-output {\n"
      "\t\ttype nat hook output priority -100; policy accept;\n"
      "\t\tjump services\n\t}\n"
      "\tchain nat-postrouting {\n"
      "\t\ttype nat hook postrouting priority 100; policy accept;\n"
      "\t\tjump masquerading\n\t}\n"
      "}\n";

/* A chain's rules, one a line, each prefixed with PREFIX. */
static void
put_rules (FILE *f, const char *prefix, const char *rules)
{
  for (const char *l = rules; *l;)
    {
      const char *nl = strchr (l, '\n');
      size_t len = nl ? (size_t)(nl - l) : strlen (l);
      fprintf (f, "%s%.*s\n", prefix, (int)len, l);
      l += len + (nl ? 1 : 0);
    }
}

static void
put_elems (FILE *f, const struct nft_elem *e, size_t n)
{
  for (size_t i = 0; i < n; i++)
    fprintf (f, "%s%s%s%s", i ? ", " : "", e[i].key, e[i].verdict ? " : " : "",
             e[i].verdict ? e[i].verdict : "");
}

char *
nft_service_state_full (const struct nft_service_config *c,
                        const struct nft_service_state *st)
{
  char *text = NULL, drop[128] = "";
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  fprintf (f, "add table ip %s\ndelete table ip %s\ntable ip %s {\n", c->table,
           c->table, c->table);
  fputs ("\tcomment \"rules for berth Services\"\n", f);
  fprintf (f, head_sets, c->masq_mark, c->masq_mark, c->masq_mark);
  for (size_t i = 0; i < st->nchains; i++)
    {
      fprintf (f, "\tchain %s {\n", st->chains[i].name);
      put_rules (f, "\t\t", st->chains[i].rules);
      fputs ("\t}\n", f);
    }
  if (c->service_cidr)
    snprintf (drop, sizeof (drop),
              "\t\tip daddr %s drop comment \"Drop traffic to unallocated "
              "ClusterIPs\"\n",
              c->service_cidr);
  fprintf (f, tail_chains, drop);
  for (int m = 0; m < E_COUNT; m++)
    if (st->nelems[m])
      {
        fprintf (f, "add element ip %s %s { ", c->table, map_names[m]);
        put_elems (f, st->elems[m], st->nelems[m]);
        fputs (" }\n", f);
      }
  fclose (f);
  return text;
}

char *
nft_service_ruleset (const struct nft_service_config *c,
                     const struct nft_service_port *ports, size_t n)
{
  struct nft_service_state *st = nft_service_state_new (c, ports, n);
  char *text = nft_service_state_full (c, st);
  nft_service_state_free (st);
  return text;
}

/* ---- partial updates: what changed between two states ---- */

static int
cmp_chain_name (const void *a, const void *b)
{
  return strcmp ((*(const struct nft_chain *const *)a)->name,
                 (*(const struct nft_chain *const *)b)->name);
}

static int
cmp_elem_key (const void *a, const void *b)
{
  return strcmp ((*(const struct nft_elem *const *)a)->key,
                 (*(const struct nft_elem *const *)b)->key);
}

/* Pointers to ARR's N items of SIZE bytes, sorted with CMP. */
static const void **
sorted_refs (const void *arr, size_t n, size_t size,
             int (*cmp) (const void *, const void *))
{
  const void **v = xcalloc_ (n, sizeof (*v));
  for (size_t i = 0; i < n; i++)
    v[i] = (const char *)arr + i * size;
  qsort (v, n, sizeof (*v), cmp);
  return v;
}

/* The ops of a transaction, in six phases: new chains; rules (of the new
 * chains and of the refilled ones); element deletions; element additions
 * (a changed verdict is a deletion and an addition); flushes of removed
 * chains; their deletions.  New chains exist before a rule or an element
 * refers to them; removed ones are unreferenced before they go. */
enum
{
  PH_ADD_CHAINS,
  PH_RULES,
  PH_DEL_ELEMS,
  PH_ADD_ELEMS,
  PH_FLUSH_GONE,
  PH_DEL_CHAINS,
  PH_COUNT
};

struct op_list
{
  struct nft_op *v;
  size_t n;
};

static void
op_push (struct op_list *l, struct nft_op op)
{
  l->v = reallocarray (l->v, l->n + 1, sizeof (*l->v));
  if (l->v == NULL)
    abort ();
  l->v[l->n++] = op;
}

/* A chain's rules, one op a line. */
static void
push_rules (struct op_list *l, const struct nft_chain *c)
{
  for (const char *r = c->rules; *r;)
    {
      const char *nl = strchr (r, '\n');
      size_t len = nl ? (size_t)(nl - r) : strlen (r);
      op_push (l, (struct nft_op){ .kind = NFT_OP_ADD_RULE,
                                   .chain = c->name,
                                   .rule = r,
                                   .rule_len = len });
      r += len + (nl ? 1 : 0);
    }
}

static void
diff_chains (const struct nft_service_state *a,
             const struct nft_service_state *b, struct op_list *ph)
{
  const struct nft_chain **x = (const struct nft_chain **)sorted_refs (
      a->chains, a->nchains, sizeof (*a->chains), cmp_chain_name);
  const struct nft_chain **y = (const struct nft_chain **)sorted_refs (
      b->chains, b->nchains, sizeof (*b->chains), cmp_chain_name);
  size_t i = 0, j = 0;

  while (i < a->nchains || j < b->nchains)
    {
      int c = i == a->nchains   ? 1
              : j == b->nchains ? -1
                                : strcmp (x[i]->name, y[j]->name);
      if (c < 0)
        {
          op_push (&ph[PH_FLUSH_GONE],
                   (struct nft_op){ .kind = NFT_OP_FLUSH_CHAIN,
                                    .chain = x[i]->name });
          op_push (&ph[PH_DEL_CHAINS],
                   (struct nft_op){ .kind = NFT_OP_DELETE_CHAIN,
                                    .chain = x[i++]->name });
          continue;
        }
      if (c > 0)
        op_push (&ph[PH_ADD_CHAINS], (struct nft_op){ .kind = NFT_OP_ADD_CHAIN,
                                                      .chain = y[j]->name });
      else if (strcmp (x[i]->rules, y[j]->rules) != 0)
        op_push (&ph[PH_RULES], (struct nft_op){ .kind = NFT_OP_FLUSH_CHAIN,
                                                 .chain = y[j]->name });
      else
        {
          i++, j++;
          continue;
        }
      push_rules (&ph[PH_RULES], y[j]);
      i += c == 0;
      j++;
    }
  free (x);
  free (y);
}

/* The element changes of map M. */
static void
diff_elems (int m, const struct nft_service_state *a,
            const struct nft_service_state *b, struct op_list *ph)
{
  const struct nft_elem **x = (const struct nft_elem **)sorted_refs (
      a->elems[m], a->nelems[m], sizeof (**a->elems), cmp_elem_key);
  const struct nft_elem **y = (const struct nft_elem **)sorted_refs (
      b->elems[m], b->nelems[m], sizeof (**b->elems), cmp_elem_key);
  size_t i = 0, j = 0;

  while (i < a->nelems[m] || j < b->nelems[m])
    {
      int c = i == a->nelems[m]   ? 1
              : j == b->nelems[m] ? -1
                                  : strcmp (x[i]->key, y[j]->key);
      bool changed
          = c == 0 && strcmp (x[i]->verdict ?: "", y[j]->verdict ?: "") != 0;
      if (c < 0 || changed)
        op_push (&ph[PH_DEL_ELEMS], (struct nft_op){ .kind = NFT_OP_DELETE_ELEM,
                                                     .set = map_names[m],
                                                     .key = x[i]->key });
      if (c > 0 || changed)
        op_push (&ph[PH_ADD_ELEMS],
                 (struct nft_op){ .kind = NFT_OP_ADD_ELEM,
                                  .set = map_names[m],
                                  .key = y[j]->key,
                                  .verdict = y[j]->verdict });
      i += c <= 0;
      j += c >= 0;
    }
  free (x);
  free (y);
}

struct nft_op *
nft_service_state_ops (const struct nft_service_state *a,
                       const struct nft_service_state *b, size_t *n)
{
  struct op_list ph[PH_COUNT] = { { 0 } }, all = { 0 };

  diff_chains (a, b, ph);
  for (int m = 0; m < E_COUNT; m++)
    diff_elems (m, a, b, ph);
  for (int p = 0; p < PH_COUNT; p++)
    {
      for (size_t i = 0; i < ph[p].n; i++)
        op_push (&all, ph[p].v[i]);
      free (ph[p].v);
    }
  *n = all.n;
  return all.v;
}

static bool
same_elem_cmd (const struct nft_op *x, const struct nft_op *y)
{
  return x->kind == y->kind && strcmp (x->set, y->set) == 0;
}

char *
nft_service_ops_text (const char *table, const struct nft_op *ops, size_t n)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    {
      const struct nft_op *o = &ops[i];
      if (o->kind != NFT_OP_ADD_ELEM && o->kind != NFT_OP_DELETE_ELEM)
        {
          fprintf (f, "%s ip %s %s", nft_op_verb (o->kind), table, o->chain);
          if (o->kind == NFT_OP_ADD_RULE)
            fprintf (f, " %.*s", (int)o->rule_len, o->rule);
          fputc ('\n', f);
          continue;
        }
      /* consecutive elements of one set: one command */
      fprintf (f, "%s ip %s %s { ", nft_op_verb (o->kind), table, o->set);
      size_t j = i;
      for (; j < n && same_elem_cmd (&ops[j], o); j++)
        fprintf (f, "%s%s%s%s", j > i ? ", " : "", ops[j].key,
                 ops[j].verdict && o->kind == NFT_OP_ADD_ELEM ? " : " : "",
                 ops[j].verdict && o->kind == NFT_OP_ADD_ELEM ? ops[j].verdict
                                                              : "");
      fputs (" }\n", f);
      i = j - 1;
    }
  fclose (f);
  return text;
}

char *
nft_service_state_diff (const char *table, const struct nft_service_state *a,
                        const struct nft_service_state *b)
{
  size_t n;
  cleanup_free struct nft_op *ops = nft_service_state_ops (a, b, &n);
  return n ? nft_service_ops_text (table, ops, n) : NULL;
}

/* ---- libnftables ---- */

int
nft_service_open (struct nft_service *n, const char *table, berth_error_t *err)
{
  memset (n, 0, sizeof (*n));
  n->ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  if (n->ctx == NULL)
    return berth_error_make (err, ENOMEM, "nftables: cannot create a context");
  nft_ctx_buffer_output (n->ctx);
  nft_ctx_buffer_error (n->ctx);
  n->table = strdup (table);
  if (n->table == NULL)
    abort ();
  return 0;
}

static int
run (struct nft_service *n, const char *text, berth_error_t *err)
{
  if (nft_run_cmd_from_buffer (n->ctx, text) != 0)
    {
      const char *msg = nft_ctx_get_error_buffer (n->ctx);
      char buf[2048];
      size_t l;
      snprintf (buf, sizeof (buf), "%s", msg && *msg ? msg : "failed");
      l = strlen (buf);
      while (l > 0 && buf[l - 1] == '\n')
        buf[--l] = '\0';
      return berth_error_make (err, EIO, "nftables: %s", buf);
    }
  return 0;
}

/* The partial transaction from the committed state to ST: a libnftnl
 * batch, else the same commands as text through libnftables. */
static int
sync_partial (struct nft_service *n, const struct nft_service_config *c,
              const struct nft_service_state *st,
              struct nft_service_result *res, berth_error_t *err)
{
  size_t nops;
  cleanup_free struct nft_op *ops
      = nft_service_state_ops (n->applied, st, &nops);
  cleanup_free char *text = NULL;

  if (nops == 0)
    return 0;
  if (n->batch == NULL && !n->no_batch
      && nft_batch_open (&n->batch, n->table, err) < 0)
    {
      berth_error_release (err);
      n->no_batch = true;
    }
  if (n->batch)
    {
      if (nft_batch_commit (n->batch, ops, nops, err) == 0)
        {
          res->changed = res->batched = true;
          return 0;
        }
      /* an encoding this module cannot do stays so: text from now on */
      if (*err && (*err)->status == ENOTSUP)
        n->no_batch = true;
      berth_error_release (err);
    }
  text = nft_service_ops_text (c->table, ops, nops);
  if (run (n, text, err) < 0)
    return berth_error_wrap (err, "update table ip %s", n->table);
  res->changed = true;
  return 0;
}

/* The whole table: at first, after a failure, and every
 * NFT_SERVICE_FULL_SYNC_MS; otherwise what changed. */
int
nft_service_sync (struct nft_service *n, const struct nft_service_config *c,
                  struct nft_service_state *st, int64_t now_ms,
                  struct nft_service_result *res, berth_error_t *err)
{
  bool full = n->applied == NULL || n->need_full
              || now_ms - n->full_ms >= NFT_SERVICE_FULL_SYNC_MS;
  cleanup_free char *text = full ? nft_service_state_full (c, st) : NULL;
  int ret;

  memset (res, 0, sizeof (*res));
  /* until this commits, the kernel's table is not known */
  n->need_full = true;
  ret = full ? run (n, text, err) : sync_partial (n, c, st, res, err);
  if (ret < 0)
    {
      nft_service_state_free (st);
      return full ? berth_error_wrap (err, "replace table ip %s", n->table)
                  : ret;
    }
  nft_service_state_free (n->applied);
  n->applied = st;
  n->need_full = false;
  if (full)
    {
      n->full_ms = now_ms;
      res->changed = res->full = true;
    }
  return 0;
}

int
nft_service_delete (struct nft_service *n, berth_error_t *err)
{
  cleanup_free char *cmd = NULL;
  if (n->ctx == NULL)
    return 0;
  if (asprintf (&cmd, "add table ip %s\ndelete table ip %s\n", n->table,
                n->table)
      < 0)
    abort ();
  nft_service_state_free (n->applied);
  n->applied = NULL;
  if (run (n, cmd, err) < 0)
    return berth_error_wrap (err, "delete table ip %s", n->table);
  return 0;
}

void
nft_service_close (struct nft_service *n)
{
  if (n->ctx)
    nft_ctx_free (n->ctx);
  nft_batch_close (n->batch);
  free (n->table);
  nft_service_state_free (n->applied);
  memset (n, 0, sizeof (*n));
}
