/* test_nft_service.c - the nftables ruleset of Services, as text: kube-proxy's
 * chain names (checked against the names in kube-proxy's own tests), the
 * dispatch maps, random endpoint choice, hairpin masquerade, reject for
 * Services without endpoints, the one-transaction replacement and the
 * partial updates. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "nft_service.h"

static const struct nft_service_config cfg = {
  .table = "berth",
  .service_cidr = "10.96.0.0/12",
  .cluster_cidr = "10.88.0.0/16",
  .masq_mark = NFT_SERVICE_MASQ_MARK,
};

START_TEST (test_chain_names_as_kube_proxy)
{
  /* pkg/proxy/nftables/proxier_test.go: ns1/svc1 port p80 with endpoint
   * 10.180.0.1:80 */
  struct nft_service_port p
      = { .ns = "ns1", .name = "svc1", .port_name = "p80", .protocol = "TCP" };
  struct nft_endpoint ep = { "10.180.0.1", 80 };
  cleanup_free char *svc = nft_service_chain_base (&p, NULL);
  cleanup_free char *epc = nft_service_chain_base (&p, &ep);
  ck_assert_str_eq (svc, "ULMVA6XW-ns1/svc1/tcp/p80");
  ck_assert_str_eq (epc, "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80");
}
END_TEST

static bool
has_line (const char *text, const char *line)
{
  size_t l = strlen (line);
  for (const char *p = strstr (text, line); p; p = strstr (p + 1, line))
    if ((p == text || p[-1] == '\n' || p[-1] == '\t') && (p[l] == '\n'))
      return true;
  return false;
}

/* default/web port "http" 80, NodePort 30080, at 10.96.0.10. */
static struct nft_service_port
web_port (const struct nft_endpoint *eps, size_t n)
{
  return (struct nft_service_port){ .ns = "default",
                                    .name = "web",
                                    .port_name = "http",
                                    .protocol = "TCP",
                                    .cluster_ip = "10.96.0.10",
                                    .port = 80,
                                    .node_port = 30080,
                                    .eps = eps,
                                    .neps = n };
}

START_TEST (test_ruleset_two_endpoints)
{
  struct nft_endpoint eps[]
      = { { "10.88.0.11", 8080 }, { "10.88.0.12", 8080 } };
  struct nft_service_port p = web_port (eps, 2);
  cleanup_free char *svc = nft_service_chain_base (&p, NULL);
  cleanup_free char *e0 = nft_service_chain_base (&p, &eps[0]);
  cleanup_free char *e1 = nft_service_chain_base (&p, &eps[1]);
  cleanup_free char *text = nft_service_ruleset (&cfg, &p, 1);
  cleanup_free char *want = NULL;

  /* the table is replaced in one transaction */
  ck_assert (strncmp (text,
                      "add table ip berth\ndelete table ip berth\ntable ip "
                      "berth {\n",
                      58)
             == 0);
  ck_assert (has_line (text, "masquerade fully-random"));
  ck_assert (has_line (text, "mark set mark or 0x4000"));
  ck_assert (has_line (text, "mark and 0x4000 == 0 return"));
  ck_assert (has_line (text, "ip daddr . meta l4proto . th dport vmap "
                             "@service-ips"));
  ck_assert (has_line (text, "fib daddr type local ip daddr != 127.0.0.0/8 "
                             "meta l4proto . th dport vmap "
                             "@service-nodeports"));
  ck_assert (has_line (text, "ip daddr 10.96.0.0/12 drop comment \"Drop "
                             "traffic to unallocated ClusterIPs\""));
  /* the service chain: masquerade from outside the cluster CIDR, then a
   * random endpoint */
  if (asprintf (&want,
                "\tchain service-%s {\n\t\tip daddr 10.96.0.10 tcp dport 80 "
                "ip saddr != 10.88.0.0/16 jump mark-for-masquerade\n"
                "\t\tnumgen random mod 2 vmap { 0 : goto endpoint-%s, 1 : "
                "goto endpoint-%s }\n\t}\n",
                svc, e0, e1)
      < 0)
    abort ();
  ck_assert_msg (strstr (text, want), "%s", text);
  free (want);
  /* each endpoint: hairpin masquerade, dnat */
  if (asprintf (&want,
                "\tchain endpoint-%s {\n\t\tip saddr 10.88.0.12 jump "
                "mark-for-masquerade\n\t\tmeta l4proto tcp dnat to "
                "10.88.0.12:8080\n\t}\n",
                e1)
      < 0)
    abort ();
  ck_assert_msg (strstr (text, want), "%s", text);
  free (want);
  /* the NodePort: masquerade, then the service chain */
  if (asprintf (&want,
                "\tchain external-%s {\n\t\tjump mark-for-masquerade\n\t\tgoto "
                "service-%s\n\t}\n",
                svc, svc)
      < 0)
    abort ();
  ck_assert_msg (strstr (text, want), "%s", text);
  free (want);
  /* the maps, filled after the chains they point to */
  if (asprintf (&want,
                "add element ip berth service-ips { 10.96.0.10 . tcp . 80 : "
                "goto service-%s }",
                svc)
      < 0)
    abort ();
  ck_assert_msg (has_line (text, want), "%s", text);
  free (want);
  if (asprintf (&want,
                "add element ip berth service-nodeports { tcp . 30080 : goto "
                "external-%s }",
                svc)
      < 0)
    abort ();
  ck_assert_msg (has_line (text, want), "%s", text);
  ck_assert (
      has_line (text, "add element ip berth cluster-ips { 10.96.0.10 }"));
  ck_assert (strstr (text, "no-endpoint-services {") != NULL); /* the map */
  ck_assert (strstr (text, "add element ip berth no-endpoint") == NULL);
}
END_TEST

START_TEST (test_ruleset_no_endpoints_rejects)
{
  struct nft_service_port p = { .ns = "default",
                                .name = "web",
                                .port_name = "",
                                .protocol = "UDP",
                                .cluster_ip = "10.96.0.10",
                                .port = 53,
                                .node_port = 30053 };
  cleanup_free char *text = nft_service_ruleset (&cfg, &p, 1);
  ck_assert (has_line (text, "add element ip berth no-endpoint-services { "
                             "10.96.0.10 . udp . 53 : goto reject-chain }"));
  ck_assert (has_line (text, "add element ip berth no-endpoint-nodeports { "
                             "udp . 30053 : goto reject-chain }"));
  ck_assert (strstr (text, "service-ips {") != NULL);
  ck_assert (strstr (text, "add element ip berth service-ips") == NULL);
  /* no chain of its own */
  ck_assert (strstr (text, "default/web/udp") == NULL);
  /* the reject chain, reached from the filter hooks for new connections */
  ck_assert (has_line (text, "reject"));
  ck_assert (has_line (text, "ct state new jump service-endpoints-check"));
  ck_assert (has_line (text, "ct state new jump nodeport-endpoints-check"));
  ck_assert (has_line (text, "ip daddr @cluster-ips reject comment \"Reject "
                             "traffic to invalid ports of ClusterIPs\""));
}
END_TEST

START_TEST (test_ruleset_stable_and_deduplicated)
{
  struct nft_endpoint eps[] = { { "10.88.0.11", 80 }, { "10.88.0.11", 80 } };
  struct nft_service_port ports[] = {
    { .ns = "b",
      .name = "web",
      .port_name = "",
      .protocol = "TCP",
      .cluster_ip = "10.96.0.20",
      .port = 80,
      .eps = eps,
      .neps = 2 },
    { .ns = "a",
      .name = "web",
      .port_name = "",
      .protocol = "TCP",
      .cluster_ip = "10.96.0.20",
      .port = 80,
      .eps = eps,
      .neps = 1 },
  };
  struct nft_service_port swapped[] = { ports[1], ports[0] };
  cleanup_free char *t1 = nft_service_ruleset (&cfg, ports, 2);
  cleanup_free char *t2 = nft_service_ruleset (&cfg, swapped, 2);
  const char *p;
  size_t n = 0;
  /* the same input in another order is the same text: no needless
   * transactions */
  ck_assert_str_eq (t1, t2);
  /* one key per map (a/web, the first in order, keeps it), one endpoint
   * chain for a repeated endpoint */
  for (p = strstr (t1, "10.96.0.20 . tcp . 80"); p;
       p = strstr (p + 1, "10.96.0.20 . tcp . 80"))
    n++;
  ck_assert_uint_eq (n, 1);
  ck_assert (strstr (t1, "/a/web/") == NULL); /* names are ns/svc */
  ck_assert (strstr (t1, "-a/web/tcp/") != NULL);
  ck_assert (strstr (t1, "-b/web/tcp/") == NULL);
  ck_assert (strstr (t1, "numgen random mod 1 vmap") != NULL);
}
END_TEST

START_TEST (test_ruleset_without_cluster_cidr)
{
  struct nft_endpoint ep = { "10.88.0.11", 80 };
  struct nft_service_config c = cfg;
  struct nft_service_port p = { .ns = "default",
                                .name = "web",
                                .port_name = "",
                                .protocol = "TCP",
                                .cluster_ip = "10.96.0.10",
                                .port = 80,
                                .eps = &ep,
                                .neps = 1 };
  cleanup_free char *text = NULL;
  c.cluster_cidr = NULL;
  text = nft_service_ruleset (&c, &p, 1);
  ck_assert (strstr (text, "ip saddr !=") == NULL);
  ck_assert (strstr (text, "ip saddr 10.88.0.11 jump mark-for-masquerade")
             != NULL);
  ck_assert (strstr (text, "chain external-") == NULL);
}
END_TEST

/* Partial updates: only the chains and elements that changed, in an
 * order the kernel accepts (chains before the rules and elements that
 * point to them; elements and rules that point to a chain before it goes). */
static size_t
pos (const char *text, const char *needle)
{
  const char *p = strstr (text, needle);
  ck_assert_msg (p != NULL, "no \"%s\" in:\n%s", needle, text);
  return (size_t)(p - text);
}

START_TEST (test_state_diff)
{
  struct nft_endpoint eps[]
      = { { "10.88.0.11", 8080 }, { "10.88.0.12", 8080 } };
  struct nft_service_port p = web_port (eps, 2);
  struct nft_service_port one = p, none = p, other = p;
  cleanup_free char *svc = nft_service_chain_base (&p, NULL);
  cleanup_free char *e1 = nft_service_chain_base (&p, &eps[1]);
  struct nft_service_state *a, *b, *c, *d;
  char *t, want[512];

  one.neps = 1;
  none.neps = 0;
  other.name = "api";
  other.cluster_ip = "10.96.0.11";
  other.node_port = 0;
  a = nft_service_state_new (&cfg, &p, 1);
  b = nft_service_state_new (&cfg, &one, 1);
  c = nft_service_state_new (&cfg, &none, 1);
  ck_assert_ptr_null (nft_service_state_diff ("berth", a, a));
  {
    /* the same endpoints found in another order: no change */
    struct nft_endpoint rev[] = { eps[1], eps[0] };
    struct nft_service_port q = p;
    struct nft_service_state *r;
    q.eps = rev;
    r = nft_service_state_new (&cfg, &q, 1);
    ck_assert_ptr_null (nft_service_state_diff ("berth", a, r));
    nft_service_state_free (r);
  }
  ck_assert_uint_eq (nft_service_state_chains (a), 4);

  /* one endpoint fewer: its chain goes, the service chain is refilled */
  t = nft_service_state_diff ("berth", a, b);
  ck_assert_ptr_null (strstr (t, "table ip berth {"));
  ck_assert_ptr_null (strstr (t, "element"));
  snprintf (want, sizeof (want),
            "flush chain ip berth service-%s\nadd rule ip berth service-%s "
            "ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.88.0.0/16 jump "
            "mark-for-masquerade\nadd rule ip berth service-%s numgen random "
            "mod 1 vmap { 0 : goto endpoint-",
            svc, svc, svc);
  ck_assert_uint_eq (pos (t, want), 0);
  snprintf (want, sizeof (want),
            "flush chain ip berth endpoint-%s\ndelete chain ip berth "
            "endpoint-%s\n",
            e1, e1);
  ck_assert (pos (t, want) > pos (t, "numgen"));
  free (t);

  /* and back: the chain is added before the rule that jumps to it */
  t = nft_service_state_diff ("berth", b, a);
  snprintf (want, sizeof (want), "add chain ip berth endpoint-%s\n", e1);
  ck_assert_uint_eq (pos (t, want), 0);
  snprintf (want, sizeof (want),
            "add rule ip berth endpoint-%s meta l4proto "
            "tcp dnat to 10.88.0.12:8080\n",
            e1);
  ck_assert (pos (t, want) > 0);
  ck_assert (pos (t, "numgen random mod 2") > 0);
  free (t);

  /* no endpoints: the keys move to the reject maps, then the chains go */
  t = nft_service_state_diff ("berth", a, c);
  ck_assert_uint_eq (pos (t, "delete element ip berth service-ips { 10.96.0.10 "
                             ". tcp . 80 }\n"),
                     0);
  ck_assert (pos (t, "delete element ip berth service-nodeports { tcp . "
                     "30080 }\n")
             > 0);
  ck_assert (pos (t, "add element ip berth no-endpoint-services { 10.96.0.10 "
                     ". tcp . 80 : goto reject-chain }\n")
             > pos (t, "delete element ip berth service-nodeports"));
  ck_assert (pos (t, "add element ip berth no-endpoint-nodeports { tcp . "
                     "30080 : goto reject-chain }\n")
             > 0);
  snprintf (want, sizeof (want), "flush chain ip berth external-%s\n", svc);
  ck_assert (pos (t, want) > pos (t, "add element"));
  snprintf (want, sizeof (want), "delete chain ip berth service-%s\n", svc);
  ck_assert (pos (t, want) > pos (t, "flush chain ip berth service-"));
  ck_assert_ptr_null (strstr (t, "add chain"));
  ck_assert_ptr_null (strstr (t, "add rule"));
  free (t);

  /* another Service: its chains and elements only */
  {
    struct nft_service_port two[] = { p, other };
    d = nft_service_state_new (&cfg, two, 2);
  }
  t = nft_service_state_diff ("berth", a, d);
  ck_assert_ptr_null (strstr (t, "delete"));
  ck_assert_ptr_null (strstr (t, "flush"));
  ck_assert_ptr_null (strstr (t, "default/web/"));
  ck_assert (pos (t, "add element ip berth cluster-ips { 10.96.0.11 }\n") > 0);
  ck_assert (pos (t, "add element ip berth service-ips { 10.96.0.11 . tcp . "
                     "80 : goto service-")
             > pos (t, "add rule"));
  free (t);
  /* the full ruleset is the same text as nft_service_ruleset's */
  t = nft_service_state_full (&cfg, a);
  {
    cleanup_free char *r = nft_service_ruleset (&cfg, &p, 1);
    ck_assert_str_eq (t, r);
  }
  free (t);
  nft_service_state_free (a);
  nft_service_state_free (b);
  nft_service_state_free (c);
  nft_service_state_free (d);
}
END_TEST

/* One Service's part made anew (the readiness fast path): the same state
 * as made from all the ports, the other Services' part untouched. */
START_TEST (test_state_update)
{
  struct nft_endpoint eps[]
      = { { "10.88.0.11", 8080 }, { "10.88.0.12", 8080 } };
  struct nft_endpoint oeps[] = { { "10.88.0.13", 9090 } };
  struct nft_service_port web = web_port (eps, 2), web1,
                          api = web_port (oeps, 1);
  struct nft_service_port web_ports[2], all[3], all1[3];
  struct nft_service_state *a, *b, *u, *back;

  api.name = "api";
  api.cluster_ip = "10.96.0.11";
  api.node_port = 30081;
  web_ports[0] = web;
  web_ports[1] = web;
  web_ports[1].port_name = "metrics";
  web_ports[1].port = 9100;
  web_ports[1].node_port = 0;
  all[0] = api;
  all[1] = web_ports[0];
  all[2] = web_ports[1];
  memcpy (all1, all, sizeof (all));
  all1[1].neps = all1[2].neps = 1;
  web1 = web_ports[0];
  web1.neps = 1;
  a = nft_service_state_new (&cfg, all, 3);
  b = nft_service_state_new (&cfg, all1, 3);
  ck_assert (nft_service_state_owns (a, "default", "web"));
  ck_assert (nft_service_state_owns (a, "default", "api"));
  ck_assert (!nft_service_state_owns (a, "default", "we"));
  ck_assert (!nft_service_state_owns (a, "other", "web"));

  /* web with one endpoint fewer on both its ports */
  {
    struct nft_service_port w[] = { web1, all1[2] };
    u = nft_service_state_update (&cfg, a, w, 2);
  }
  ck_assert_ptr_null (nft_service_state_diff ("berth", u, b));
  ck_assert_ptr_null (nft_service_state_diff ("berth", b, u));
  {
    cleanup_free char *t = nft_service_state_diff ("berth", a, u);
    ck_assert_ptr_nonnull (t);
    ck_assert_ptr_null (strstr (t, "element"));
    ck_assert_ptr_null (strstr (t, "10.88.0.13"));
    ck_assert (pos (t, "numgen random mod 1") > 0);
  }
  /* and back */
  back = nft_service_state_update (&cfg, u, web_ports, 2);
  ck_assert_ptr_null (nft_service_state_diff ("berth", back, a));
  ck_assert_ptr_null (nft_service_state_diff ("berth", a, back));
  nft_service_state_free (back);
  /* no endpoints left: the reject maps, as from all the ports */
  {
    struct nft_service_port w[] = { web_ports[0], web_ports[1] };
    struct nft_service_state *c, *n;
    w[0].neps = w[1].neps = 0;
    all1[1].neps = all1[2].neps = 0;
    c = nft_service_state_update (&cfg, a, w, 2);
    n = nft_service_state_new (&cfg, all1, 3);
    ck_assert_ptr_null (nft_service_state_diff ("berth", c, n));
    ck_assert_ptr_null (nft_service_state_diff ("berth", n, c));
    nft_service_state_free (c);
    nft_service_state_free (n);
  }
  nft_service_state_free (a);
  nft_service_state_free (b);
  nft_service_state_free (u);
}
END_TEST

/* The batch encoder takes the ops nft_service makes, and refuses anything
 * else before it sends a byte (ENOTSUP: the caller uses libnftables). */
START_TEST (test_state_ops_and_batch_refusal)
{
  struct nft_endpoint eps[]
      = { { "10.88.0.11", 8080 }, { "10.88.0.12", 8080 } };
  struct nft_service_port p = web_port (eps, 2), none = p;
  struct nft_service_state *a, *c;
  struct nft_op *ops, bad;
  struct nft_batch *b = NULL;
  berth_error_t err = NULL;
  size_t n, rules = 0, elems = 0;

  none.neps = 0;
  a = nft_service_state_new (&cfg, &p, 1);
  c = nft_service_state_new (&cfg, &none, 1);
  /* to no endpoints: the service-ips and nodeport elements move to the
   * no-endpoint maps; the chains are flushed, then deleted */
  ops = nft_service_state_ops (a, c, &n);
  ck_assert_uint_gt (n, 0);
  for (size_t i = 0; i < n; i++)
    {
      rules += ops[i].kind == NFT_OP_ADD_RULE;
      elems += ops[i].kind == NFT_OP_ADD_ELEM
               || ops[i].kind == NFT_OP_DELETE_ELEM;
      if (i > 0 && ops[i].kind == NFT_OP_DELETE_CHAIN)
        ck_assert (ops[i - 1].kind == NFT_OP_DELETE_CHAIN
                   || ops[i - 1].kind == NFT_OP_FLUSH_CHAIN);
    }
  ck_assert_uint_eq (rules, 0);
  ck_assert_uint_eq (elems, 4);
  ck_assert_int_eq (ops[n - 1].kind, NFT_OP_DELETE_CHAIN);
  {
    /* the text groups the elements of one map into one command */
    cleanup_free char *t = nft_service_ops_text ("berth", ops, n);
    cleanup_free char *d = nft_service_state_diff ("berth", a, c);
    ck_assert_str_eq (t, d);
    ck_assert_ptr_nonnull (
        strstr (t, "add element ip berth no-endpoint-services { 10.96.0.10 . "
                   "tcp . 80 : goto reject-chain }\n"));
  }
  free (ops);

  ck_assert_int_eq (nft_batch_open (&b, "berth", &err), 0);
  bad = (struct nft_op){ .kind = NFT_OP_ADD_RULE,
                         .chain = "x",
                         .rule = "ct state new counter accept",
                         .rule_len = 27 };
  ck_assert_int_lt (nft_batch_commit (b, &bad, 1, &err), 0);
  ck_assert_int_eq (err->status, ENOTSUP);
  ck_assert_str_eq (berth_error_msg (&err),
                    "nftables batch: cannot encode add rule x ct state new "
                    "counter accept");
  berth_error_release (&err);
  bad = (struct nft_op){ .kind = NFT_OP_ADD_ELEM,
                         .set = "service-ips",
                         .key = "10.96.0.300 . tcp . 80",
                         .verdict = "goto x" };
  ck_assert_int_lt (nft_batch_commit (b, &bad, 1, &err), 0);
  ck_assert_int_eq (err->status, ENOTSUP);
  berth_error_release (&err);
  nft_batch_close (b);
  nft_service_state_free (a);
  nft_service_state_free (c);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("nft_service");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_chain_names_as_kube_proxy);
  tcase_add_test (tc, test_ruleset_two_endpoints);
  tcase_add_test (tc, test_ruleset_no_endpoints_rejects);
  tcase_add_test (tc, test_ruleset_stable_and_deduplicated);
  tcase_add_test (tc, test_ruleset_without_cluster_cidr);
  tcase_add_test (tc, test_state_diff);
  tcase_add_test (tc, test_state_update);
  tcase_add_test (tc, test_state_ops_and_batch_refusal);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
