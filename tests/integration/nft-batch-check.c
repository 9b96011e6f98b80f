/* nft-batch-check - test driver of tests/integration/test_svc_nft_batch.sh:
 * do the Service table's partial updates as libnftnl batches
 * (netns/nft_batch.c) leave the kernel with the table libnftables makes
 * of the same state?
 *
 *   nft-batch-check [-c CLUSTER_CIDR|-] [-s STEPS] [-r SEED]
 *
 * Starts from a full sync of a few Services (TCP with a NodePort, UDP with
 * a NodePort, SCTP, one with two ports, one that shares a ClusterIP),
 * then STEPS (200) random changes through nft_service_sync: one Service's
 * endpoints become a random subset of five (none included), and every
 * seventh step a Service is added or removed.  After each step the table
 * is listed and compared, normalized (chain and set blocks sorted, set
 * and vmap elements sorted: the kernel's order is not the order of
 * creation), with a table "berthref" that libnftables loads from the full
 * text of the same state.  Prints the differing lines and exits 1 at the
 * first mismatch; else "steps=N batched=B text=T" (how the partial updates
 * went) and exits 0.  Run it in a network namespace of its own. */
#include <getopt.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "nft_service.h"

#define NSVC 7
#define NEPS 5

struct svc
{
  const char *name, *ip, *proto, *port_name;
  int64_t port, node_port;
  bool present;
  struct nft_endpoint eps[NEPS];
  size_t neps;
};

static const struct nft_endpoint pool[NEPS] = { { "10.88.0.11", 8080 },
                                                { "10.88.0.12", 8080 },
                                                { "10.88.0.13", 8080 },
                                                { "10.88.0.14", 8080 },
                                                { "10.88.0.15", 8080 } };

static size_t
ports_of (struct svc *s, size_t ns, struct nft_service_port *out,
          const char *only)
{
  size_t n = 0;
  for (size_t i = 0; i < ns; i++)
    if (s[i].present && (only == NULL || strcmp (s[i].name, only) == 0))
      out[n++] = (struct nft_service_port){ .ns = "default",
                                            .name = s[i].name,
                                            .port_name = s[i].port_name,
                                            .protocol = s[i].proto,
                                            .cluster_ip = s[i].ip,
                                            .port = s[i].port,
                                            .node_port = s[i].node_port,
                                            .eps = s[i].eps,
                                            .neps = s[i].neps };
  return n;
}

static char *
run_list (struct nft_ctx *ctx, const char *table)
{
  char cmd[128];
  const char *out;
  snprintf (cmd, sizeof (cmd), "list table ip %s", table);
  if (nft_run_cmd_from_buffer (ctx, cmd) != 0)
    {
      fprintf (stderr, "%s: %s\n", cmd, nft_ctx_get_error_buffer (ctx));
      exit (2);
    }
  out = nft_ctx_get_output_buffer (ctx);
  return strdup (out ? out : "");
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

/* "{ a, b, c }" parts of LINE with their items sorted. */
static char *
sort_braces (const char *line)
{
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&out, &len);
  const char *p = line;
  while (*p)
    {
      const char *o = strstr (p, "{ "), *c = o ? strstr (o, " }") : NULL;
      char *inner, *save = NULL, *items[4096];
      size_t n = 0;
      if (o == NULL || c == NULL)
        {
          fputs (p, f);
          break;
        }
      fwrite (p, 1, (size_t)(o - p) + 2, f);
      inner = strndup (o + 2, (size_t)(c - o - 2));
      for (char *t = strtok_r (inner, ",", &save); t && n < 4096;
           t = strtok_r (NULL, ",", &save))
        items[n++] = t + strspn (t, " ");
      qsort (items, n, sizeof (char *), cmp_str);
      for (size_t i = 0; i < n; i++)
        fprintf (f, "%s%s", i ? ", " : "", items[i]);
      free (inner);
      p = c;
    }
  fclose (f);
  return out;
}

/* The listing with every block (chain, set, map) on one line, element
 * lists sorted, blocks sorted, table name and handles left out. */
static char *
normalize (const char *listing)
{
  cleanup_free char *copy = strdup (listing);
  char *blocks[2048], *cur = NULL, *save = NULL, *out = NULL;
  size_t nb = 0, clen = 0, len = 0;
  FILE *cf = NULL, *f;

  for (char *l = strtok_r (copy, "\n", &save); l;
       l = strtok_r (NULL, "\n", &save))
    {
      l += strspn (l, " \t");
      if (strncmp (l, "table ", 6) == 0 || *l == '\0')
        continue;
      if (cf == NULL)
        cf = open_memstream (&cur, &clen);
      fputs (l, cf);
      fputc (strchr (l, '{') || strchr (l, ',') ? ' ' : '|', cf);
      if (strcmp (l, "}") == 0 && cf)
        {
          fclose (cf);
          cf = NULL;
          blocks[nb++] = sort_braces (cur);
          free (cur);
        }
    }
  if (cf)
    {
      fclose (cf);
      blocks[nb++] = cur;
    }
  qsort (blocks, nb, sizeof (char *), cmp_str);
  f = open_memstream (&out, &len);
  for (size_t i = 0; i < nb; i++)
    {
      fprintf (f, "%s\n", blocks[i]);
      free (blocks[i]);
    }
  fclose (f);
  return out;
}

/* Does table berth hold what a full load of ST into berthref gives? */
static bool
same_table (struct nft_ctx *ctx, const struct nft_service_config *c,
            const struct nft_service_state *st)
{
  struct nft_service_config rc = *c;
  cleanup_free char *full = NULL, *a = NULL, *b = NULL, *na = NULL, *nb = NULL;
  rc.table = "berthref";
  full = nft_service_state_full (&rc, st);
  if (nft_run_cmd_from_buffer (ctx, full) != 0)
    {
      fprintf (stderr, "load berthref: %s\n", nft_ctx_get_error_buffer (ctx));
      exit (2);
    }
  a = run_list (ctx, "berth");
  b = run_list (ctx, "berthref");
  na = normalize (a);
  nb = normalize (b);
  if (strcmp (na, nb) == 0)
    return true;
  printf ("--- berth (batched updates)\n%s--- berthref (full load)\n%s", na,
          nb);
  return false;
}

int
main (int argc, char **argv)
{
  struct svc s[NSVC] = {
    { "web", "10.96.0.10", "TCP", "http", 80, 30080, true, { { 0 } }, 0 },
    { "dns", "10.96.0.11", "UDP", "", 53, 30053, true, { { 0 } }, 0 },
    { "sc", "10.96.0.12", "SCTP", "", 99, 0, true, { { 0 } }, 0 },
    { "two", "10.96.0.13", "TCP", "a", 81, 0, true, { { 0 } }, 0 },
    { "two", "10.96.0.13", "TCP", "b", 82, 0, true, { { 0 } }, 0 },
    { "alias", "10.96.0.10", "TCP", "", 443, 0, true, { { 0 } }, 0 },
    { "late", "10.96.0.20", "TCP", "", 80, 30090, false, { { 0 } }, 0 },
  };
  struct nft_service_config c = { .table = "berth",
                                  .service_cidr = "10.96.0.0/16",
                                  .cluster_cidr = "10.88.0.0/16",
                                  .masq_mark = NFT_SERVICE_MASQ_MARK };
  struct nft_service n;
  struct nft_service_port ports[NSVC];
  struct nft_service_result res;
  berth_error_t err = NULL;
  struct nft_ctx *ctx;
  unsigned seed = 1, steps = 200, batched = 0, text = 0;
  int opt;

  while ((opt = getopt (argc, argv, "c:s:r:")) != -1)
    if (opt == 'c')
      c.cluster_cidr = strcmp (optarg, "-") == 0 ? NULL : optarg;
    else if (opt == 's')
      steps = (unsigned)atoi (optarg);
    else if (opt == 'r')
      seed = (unsigned)atoi (optarg);
    else
      return 2;
  srand (seed);
  ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  nft_ctx_buffer_output (ctx);
  nft_ctx_buffer_error (ctx);
  if (nft_service_open (&n, c.table, &err) < 0
      || nft_service_sync (
             &n, &c,
             nft_service_state_new (&c, ports, ports_of (s, NSVC, ports, NULL)),
             0, &res, &err)
             < 0)
    {
      fprintf (stderr, "full sync: %s\n", berth_error_msg (&err));
      return 2;
    }
  for (unsigned k = 1; k <= steps; k++)
    {
      struct svc *v = &s[rand () % NSVC];
      struct nft_service_state *st;
      if (k % 7 == 0)
        {
          v->present = !v->present;
          st = nft_service_state_new (&c, ports,
                                      ports_of (s, NSVC, ports, NULL));
        }
      else
        {
          unsigned mask = (unsigned)rand () % (1u << NEPS);
          v->neps = 0;
          for (size_t i = 0; i < NEPS; i++)
            if (mask & (1u << i))
              v->eps[v->neps++] = pool[i];
          /* all the ports of the Service: nft_service_state_update's
           * contract */
          st = nft_service_state_update (&c, n.applied, ports,
                                         ports_of (s, NSVC, ports, v->name));
        }
      if (nft_service_sync (&n, &c, st, 1, &res, &err) < 0)
        {
          printf ("step %u: %s\n", k, berth_error_msg (&err));
          return 1;
        }
      if (res.changed)
        res.batched ? batched++ : text++;
      if (!same_table (ctx, &c, n.applied))
        {
          printf ("step %u: the tables differ\n", k);
          return 1;
        }
    }
  printf ("steps=%u batched=%u text=%u\n", steps, batched, text);
  nft_service_delete (&n, &err);
  nft_service_close (&n);
  nft_run_cmd_from_buffer (ctx, "delete table ip berthref");
  nft_ctx_free (ctx);
  return 0;
}
