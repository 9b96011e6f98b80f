/* test_cni.c - netns/cni.c: the default conflist, conflist parsing, the
 * per-plugin network config (name, cniVersion, prevResult, runtimeConfig),
 * result and error parsing (CNI SPEC.md 1.0.0 examples). */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "cni.h"

static struct cni_network *
parse (const char *text)
{
  struct cni_network *net = NULL;
  berth_error_t err = NULL;
  ck_assert_int_eq (
      cni_parse_conflist ("t.conflist", text, strlen (text), &net, &err), 0);
  return net;
}

START_TEST (default_conflist)
{
  cleanup_free char *t = cni_default_conflist ("10.99.0.0/16", NULL);
  struct cni_network *net = parse (t);
  const struct node *p = node_map_get (net->config, "plugins");
  ck_assert_str_eq (net->name, "berth");
  ck_assert_str_eq (net->cni_version, "1.0.0");
  ck_assert_uint_eq (p->len, 2);
  ck_assert_str_eq (node_map_get (p->items[0], "type")->text, "bridge");
  ck_assert_str_eq (node_map_get (p->items[0], "bridge")->text, "berth0");
  ck_assert_ptr_nonnull (strstr (t, "\"subnet\": \"10.99.0.0/16\""));
  ck_assert_ptr_nonnull (strstr (t, "\"hairpinMode\": true"));
  ck_assert_str_eq (node_map_get (p->items[1], "type")->text, "portmap");
  cni_network_free (net);
}
END_TEST

START_TEST (conflist_errors)
{
  struct cni_network *net = NULL;
  berth_error_t err = NULL;
  const char *bad
      = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{}]}";
  ck_assert_int_lt (
      cni_parse_conflist ("x.conflist", bad, strlen (bad), &net, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "x.conflist: plugins[0].type: missing");
  berth_error_release (&err);
  bad = "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"bridge\"}]}";
  ck_assert_int_lt (
      cni_parse_conflist ("y.conflist", bad, strlen (bad), &net, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "y.conflist: no network name (name)");
  berth_error_release (&err);
}
END_TEST

START_TEST (single_conf)
{
  struct cni_network *net
      = parse ("{\"cniVersion\":\"1.0.0\",\"name\":\"one\",\"type\":\"ptp\","
               "\"ipam\":{\"type\":\"host-local\"}}");
  const struct node *p = node_map_get (net->config, "plugins");
  ck_assert_uint_eq (p->len, 1);
  ck_assert_str_eq (node_map_get (p->items[0], "type")->text, "ptp");
  cni_network_free (net);
}
END_TEST

START_TEST (plugin_config_chained)
{
  cleanup_free char *t = cni_default_conflist (NULL, "br9");
  struct cni_network *net = parse (t);
  struct cni_port_mapping pm = { 8080, 80, "tcp", NULL };
  struct node *prev = node_new_map (), *c0, *c1;
  cleanup_free char *j0 = NULL, *j1 = NULL;
  berth_error_t err = NULL;
  size_t len;

  node_map_set_str (prev, "cniVersion", "1.0.0");
  c0 = cni_plugin_config (net, 0, NULL, &pm, 1);
  c1 = cni_plugin_config (net, 1, prev, &pm, 1);
  ck_assert_int_eq (node_write_json (c0, false, &j0, &len, &err), 0);
  ck_assert_int_eq (node_write_json (c1, false, &j1, &len, &err), 0);
  ck_assert_ptr_nonnull (strstr (
      j0, "\"cniVersion\":\"1.0.0\",\"name\":\"berth\",\"type\":\"bridge\""));
  ck_assert_ptr_null (strstr (j0, "prevResult"));
  ck_assert_ptr_null (strstr (j0, "runtimeConfig")); /* no capability */
  ck_assert_ptr_nonnull (
      strstr (j1, "\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,"
                  "\"containerPort\":80,\"protocol\":\"tcp\"}]}"));
  ck_assert_ptr_nonnull (
      strstr (j1, "\"prevResult\":{\"cniVersion\":\"1.0.0\"}"));
  node_unref (c0);
  node_unref (c1);
  node_unref (prev);
  cni_network_free (net);
}
END_TEST

static const char result_json[]
    = "{\"cniVersion\":\"1.0.0\",\"interfaces\":["
      "{\"name\":\"berth0\",\"mac\":\"aa:bb:cc:dd:ee:ff\"},"
      "{\"name\":\"veth1\",\"mac\":\"aa:bb:cc:dd:ee:f0\"},"
      "{\"name\":\"eth0\",\"mac\":\"aa:bb:cc:dd:ee:f1\","
      "\"sandbox\":\"/run/berth/pods/x/ns/net\"}],"
      "\"ips\":[{\"interface\":2,\"address\":\"10.88.0.7/16\","
      "\"gateway\":\"10.88.0.1\"}],"
      "\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{}}";

START_TEST (result_ip)
{
  struct cni_result r;
  berth_error_t err = NULL;
  ck_assert_int_eq (cni_parse_result ("bridge", result_json,
                                      strlen (result_json), "eth0", &r, &err),
                    0);
  ck_assert_str_eq (r.ip, "10.88.0.7");
  ck_assert_str_eq (r.prefix, "10.88.0.7/16");
  ck_assert_str_eq (r.gateway, "10.88.0.1");
  cni_result_clear (&r);
}
END_TEST

START_TEST (result_error)
{
  const char *e = "{\"cniVersion\":\"1.0.0\",\"code\":7,"
                  "\"msg\":\"Invalid Configuration\","
                  "\"details\":\"Network 192.168.0.0/31 too small\"}";
  struct cni_result r;
  berth_error_t err = NULL;
  ck_assert_int_lt (
      cni_parse_result ("bridge", e, strlen (e), "eth0", &r, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "CNI plugin bridge failed: Invalid Configuration (code "
                    "7): Network 192.168.0.0/31 too small");
  berth_error_release (&err);
  ck_assert_int_lt (cni_parse_result ("bridge", "{", 1, "eth0", &r, &err), 0);
  berth_error_release (&err);
}
END_TEST

/* ---- ADD/DEL with fake plugins (shell scripts; no namespaces) ---- */

static char dir[64];

static const char fake_plugin[]
    = "#!/bin/sh\n"
      "d=$(dirname \"$0\"); n=$(basename \"$0\")\n"
      "cat > \"$d/$CNI_COMMAND-$n.json\"\n"
      "echo \"$CNI_COMMAND $n $CNI_CONTAINERID $CNI_IFNAME $CNI_NETNS\" "
      ">> \"$d/log\"\n"
      "case \"$n-$CNI_COMMAND\" in\n"
      "fail-ADD) echo '{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":"
      "\"boom\",\"details\":\"d\"}'; exit 1;;\n"
      "faildel-DEL) echo '{\"code\":5,\"msg\":\"del failed\"}'; exit 1;;\n"
      "esac\n"
      "[ \"$CNI_COMMAND\" = ADD ] && echo '{\"cniVersion\":\"1.0.0\","
      "\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/x\"}],"
      "\"ips\":[{\"address\":\"10.1.2.3/24\",\"interface\":0}]}'\n"
      "exit 0\n";

static void
write_file (const char *name, const char *text, mode_t mode)
{
  char p[128];
  FILE *f;
  snprintf (p, sizeof p, "%s/%s", dir, name);
  f = fopen (p, "we");
  ck_assert_ptr_nonnull (f);
  fputs (text, f);
  fclose (f);
  chmod (p, mode);
}

static char *
slurp (const char *name)
{
  char p[128], *buf = NULL;
  size_t len = 0;
  FILE *f, *m = open_memstream (&buf, &len);
  int c;
  snprintf (p, sizeof p, "%s/%s", dir, name);
  f = fopen (p, "re");
  while (f && (c = fgetc (f)) != EOF)
    fputc (c, m);
  if (f)
    fclose (f);
  fclose (m);
  return buf;
}

static void
fake_setup (void)
{
  static const char *const names[] = { "a", "b", "fail", "faildel" };
  size_t i;
  snprintf (dir, sizeof dir, "/tmp/test_cni.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (dir));
  for (i = 0; i < 4; i++)
    write_file (names[i], fake_plugin, 0755);
}

static void
fake_teardown (void)
{
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", dir);
  ck_assert_int_eq (system (cmd), 0);
}

static struct cni_network *
fake_net (const char *plugins)
{
  char text[512];
  snprintf (text, sizeof text,
            "{\"cniVersion\":\"1.0.0\",\"name\":\"fake\",\"plugins\":[%s]}",
            plugins);
  return parse (text);
}

#define FAKE_CFG                                                               \
  char cache[128];                                                             \
  struct cni_config cfg = { .plugin_path = dir, .cache_dir = cache };          \
  struct cni_pod_ref pod                                                       \
      = { .container_id = "pod1", .netns = "/x", .ifname = "eth0" };           \
  snprintf (cache, sizeof cache, "%s/cache", dir)

START_TEST (add_del_chain)
{
  FAKE_CFG;
  struct cni_network *net
      = fake_net ("{\"type\":\"a\",\"x\":1},{\"type\":\"b\"}");
  struct cni_result r;
  berth_error_t err = NULL;
  cleanup_free char *log = NULL, *b_add = NULL, *a_del = NULL;

  ck_assert_int_eq (cni_add (&cfg, net, &pod, NULL, 0, &r, &err), 0);
  ck_assert_str_eq (r.ip, "10.1.2.3");
  cni_result_clear (&r);
  cni_network_free (net);
  /* DEL from the cache alone, as after a restart. */
  ck_assert_int_eq (cni_del (&cfg, NULL, &pod, &err), 0);
  log = slurp ("log");
  ck_assert_str_eq (log, "ADD a pod1 eth0 /x\nADD b pod1 eth0 /x\n"
                         "DEL b pod1 eth0 /x\nDEL a pod1 eth0 /x\n");
  b_add = slurp ("ADD-b.json");
  ck_assert_ptr_nonnull (strstr (b_add, "\"prevResult\":{"));
  ck_assert_ptr_nonnull (strstr (b_add, "\"name\":\"fake\""));
  a_del = slurp ("DEL-a.json");
  ck_assert_ptr_nonnull (strstr (a_del, "\"x\":1"));
  ck_assert_ptr_nonnull (strstr (a_del, "\"prevResult\":{"));
  /* The cache is gone: another DEL does nothing. */
  ck_assert_int_eq (cni_del (&cfg, NULL, &pod, &err), 0);
}
END_TEST

START_TEST (add_failure_deletes)
{
  FAKE_CFG;
  struct cni_network *net
      = fake_net ("{\"type\":\"a\"},{\"type\":\"fail\"},{\"type\":\"b\"}");
  struct cni_result r;
  berth_error_t err = NULL;
  cleanup_free char *log = NULL;

  ck_assert_int_lt (cni_add (&cfg, net, &pod, NULL, 0, &r, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "CNI ADD: CNI plugin fail failed: boom (code 11): d");
  berth_error_release (&err);
  log = slurp ("log");
  ck_assert_str_eq (log, "ADD a pod1 eth0 /x\nADD fail pod1 eth0 /x\n"
                         "DEL b pod1 eth0 /x\nDEL fail pod1 eth0 /x\n"
                         "DEL a pod1 eth0 /x\n");
  cni_network_free (net);
}
END_TEST

START_TEST (del_errors_collected)
{
  FAKE_CFG;
  struct cni_network *net
      = fake_net ("{\"type\":\"faildel\"},{\"type\":\"a\"}");
  struct cni_result r;
  berth_error_t err = NULL;
  cleanup_free char *log = NULL;

  ck_assert_int_eq (cni_add (&cfg, net, &pod, NULL, 0, &r, &err), 0);
  cni_result_clear (&r);
  ck_assert_int_lt (cni_del (&cfg, net, &pod, &err), 0);
  ck_assert_str_eq (berth_error_msg (&err),
                    "CNI DEL: CNI plugin faildel failed: del failed (code 5)");
  berth_error_release (&err);
  log = slurp ("log");
  ck_assert_str_eq (log, "ADD faildel pod1 eth0 /x\nADD a pod1 eth0 /x\n"
                         "DEL a pod1 eth0 /x\nDEL faildel pod1 eth0 /x\n");
  cni_network_free (net);
}
END_TEST

START_TEST (load_writes_default)
{
  struct cni_config cfg = { .conf_dir = NULL, .plugin_path = dir };
  struct cni_network *net = NULL;
  berth_error_t err = NULL;
  char conf[128];

  snprintf (conf, sizeof conf, "%s/net.d", dir);
  cfg.conf_dir = conf;
  ck_assert_int_eq (cni_load (&cfg, &net, &err), 0);
  ck_assert_str_eq (net->name, "berth");
  /* no bridge plugin in DIR: loopback only, with a warning */
  ck_assert (net->loopback_only);
  ck_assert_ptr_nonnull (strstr (net->warning, "CNI plugin \"bridge\""));
  ck_assert_ptr_nonnull (strstr (net->warning, "loopback only"));
  cni_network_free (net);
  net = NULL;
  write_file ("net.d/05-a.conflist",
              "{\"cniVersion\":\"1.0.0\",\"name\":\"first\","
              "\"plugins\":[{\"type\":\"a\"}]}",
              0644);
  ck_assert_int_eq (cni_load (&cfg, &net, &err), 0);
  ck_assert_str_eq (net->name, "first");
  ck_assert (!net->loopback_only);
  cni_network_free (net);
}
END_TEST

static Suite *
cni_suite (void)
{
  Suite *s = suite_create ("cni");
  TCase *tc = tcase_create ("core");
  tcase_add_test (tc, default_conflist);
  tcase_add_test (tc, conflist_errors);
  tcase_add_test (tc, single_conf);
  tcase_add_test (tc, plugin_config_chained);
  tcase_add_test (tc, result_ip);
  tcase_add_test (tc, result_error);
  suite_add_tcase (s, tc);
  tc = tcase_create ("exec");
  tcase_add_checked_fixture (tc, fake_setup, fake_teardown);
  tcase_add_test (tc, add_del_chain);
  tcase_add_test (tc, add_failure_deletes);
  tcase_add_test (tc, del_errors_collected);
  tcase_add_test (tc, load_writes_default);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (cni_suite ());
  int failed;
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
