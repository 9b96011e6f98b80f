/* nft_service.c - see nft_service.h. */
#include "nft_service.h"

#include <ctype.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <openssl/evp.h>
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

/* The element lists, filled while the chains are written. */
struct elems
{
  FILE *cluster_ips, *service_ips, *nodeports, *noep_services, *noep_nodeports;
  char *bufs[5];
  size_t lens[5];
};

static void elem (FILE *f, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static void
elem (FILE *f, const char *fmt, ...)
{
  va_list ap;
  if (ftell (f) > 0)
    fputs (", ", f);
  va_start (ap, fmt);
  vfprintf (f, fmt, ap);
  va_end (ap);
}

/* Is the same key already in the list?  Keys are unique in a map; the
 * first Service keeps it. */
static bool seen_key (char ***keys, size_t *n, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
static bool
seen_key (char ***keys, size_t *n, const char *fmt, ...)
{
  va_list ap;
  char *k = NULL;
  va_start (ap, fmt);
  if (vasprintf (&k, fmt, ap) < 0)
    abort ();
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

static void
write_endpoints (FILE *f, const struct nft_service_config *c,
                 const struct nft_service_port *p, const char *proto,
                 const char *svc_chain, char **ep_chains, size_t neps)
{
  /* the service chain: masquerade what comes from outside the cluster,
   * then pick an endpoint at random */
  fprintf (f, "\tchain service-%s {\n", svc_chain);
  if (c->cluster_cidr)
    fprintf (f,
             "\t\tip daddr %s %s dport %lld ip saddr != %s jump "
             "mark-for-masquerade\n",
             p->cluster_ip, proto, (long long)p->port, c->cluster_cidr);
  fprintf (f, "\t\tnumgen random mod %zu vmap { ", neps);
  for (size_t i = 0; i < neps; i++)
    fprintf (f, "%s%zu : goto endpoint-%s", i ? ", " : "", i, ep_chains[i]);
  fputs (" }\n\t}\n", f);
  if (p->node_port > 0)
    fprintf (f,
             "\tchain external-%s {\n\t\tjump mark-for-masquerade\n"
             "\t\tgoto service-%s\n\t}\n",
             svc_chain, svc_chain);
}

/* One service port: its chains into F, its keys into E. */
static void
write_port (FILE *f, struct elems *e, const struct nft_service_config *c,
            const struct nft_service_port *p, char ***keys, size_t *nkeys)
{
  cleanup_free char *svc_chain = nft_service_chain_base (p, NULL);
  char **ep_chains = xcalloc_ (p->neps, sizeof (char *));
  size_t neps = 0;
  char proto[8];

  lower (proto, p->protocol, sizeof (proto));
  if (seen_key (keys, nkeys, "%s . %s . %lld", p->cluster_ip, proto,
                (long long)p->port))
    goto out;
  if (!seen_key (keys, nkeys, "%s", p->cluster_ip))
    elem (e->cluster_ips, "%s", p->cluster_ip);
  for (size_t i = 0; i < p->neps; i++)
    {
      const struct nft_endpoint *ep = &p->eps[i];
      bool dup = false;
      for (size_t j = 0; j < i; j++)
        dup |= strcmp (p->eps[j].ip, ep->ip) == 0 && p->eps[j].port == ep->port;
      if (dup)
        continue;
      ep_chains[neps] = nft_service_chain_base (p, ep);
      fprintf (f,
               "\tchain endpoint-%s {\n\t\tip saddr %s jump "
               "mark-for-masquerade\n\t\tmeta l4proto %s dnat to %s:%lld\n"
               "\t}\n",
               ep_chains[neps], ep->ip, proto, ep->ip, (long long)ep->port);
      neps++;
    }
  if (neps > 0)
    {
      write_endpoints (f, c, p, proto, svc_chain, ep_chains, neps);
      elem (e->service_ips, "%s . %s . %lld : goto service-%s", p->cluster_ip,
            proto, (long long)p->port, svc_chain);
    }
  else
    elem (e->noep_services, "%s . %s . %lld : goto reject-chain", p->cluster_ip,
          proto, (long long)p->port);
  if (p->node_port > 0
      && !seen_key (keys, nkeys, "%s . %lld", proto, (long long)p->node_port))
    {
      if (neps > 0)
        elem (e->nodeports, "%s . %lld : goto external-%s", proto,
              (long long)p->node_port, svc_chain);
      else
        elem (e->noep_nodeports, "%s . %lld : goto reject-chain", proto,
              (long long)p->node_port);
    }
out:
  for (size_t i = 0; i < neps; i++)
    free (ep_chains[i]);
  free (ep_chains);
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

char *
nft_service_ruleset (const struct nft_service_config *c,
                     const struct nft_service_port *ports, size_t n)
{
  const struct nft_service_port **sorted = xcalloc_ (n, sizeof (*sorted));
  static const char *const names[5]
      = { "cluster-ips", "service-ips", "service-nodeports",
          "no-endpoint-services", "no-endpoint-nodeports" };
  struct elems e = { 0 };
  FILE **fs[5] = { &e.cluster_ips, &e.service_ips, &e.nodeports,
                   &e.noep_services, &e.noep_nodeports };
  char *text = NULL, **keys = NULL, drop[128] = "";
  size_t len = 0, nkeys = 0;
  FILE *f = open_memstream (&text, &len);

  for (int i = 0; i < 5; i++)
    if ((*fs[i] = open_memstream (&e.bufs[i], &e.lens[i])) == NULL)
      abort ();
  if (f == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    sorted[i] = &ports[i];
  qsort (sorted, n, sizeof (*sorted), cmp_port);
  fprintf (f, "add table ip %s\ndelete table ip %s\ntable ip %s {\n", c->table,
           c->table, c->table);
  fputs ("\tcomment \"rules for berth Services\"\n", f);
  fprintf (f, head_sets, c->masq_mark, c->masq_mark, c->masq_mark);
  for (size_t i = 0; i < n; i++)
    write_port (f, &e, c, sorted[i], &keys, &nkeys);
  if (c->service_cidr)
    snprintf (drop, sizeof (drop),
              "\t\tip daddr %s drop comment \"Drop traffic to unallocated "
              "ClusterIPs\"\n",
              c->service_cidr);
  fprintf (f, tail_chains, drop);
  for (int i = 0; i < 5; i++)
    {
      fclose (*fs[i]);
      if (e.lens[i])
        fprintf (f, "add element ip %s %s { %s }\n", c->table, names[i],
                 e.bufs[i]);
      free (e.bufs[i]);
    }
  fclose (f);
  for (size_t i = 0; i < nkeys; i++)
    free (keys[i]);
  free (keys);
  free (sorted);
  return text;
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

int
nft_service_apply (struct nft_service *n, const char *text, bool *changed,
                   berth_error_t *err)
{
  *changed = false;
  if (n->applied && strcmp (n->applied, text) == 0)
    return 0;
  if (run (n, text, err) < 0)
    return berth_error_wrap (err, "update table ip %s", n->table);
  free (n->applied);
  n->applied = strdup (text);
  if (n->applied == NULL)
    abort ();
  *changed = true;
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
  free (n->applied);
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
  free (n->table);
  free (n->applied);
  memset (n, 0, sizeof (*n));
}
