/* test_cni.c - netns/cni.c: the default conflist, conflist parsing, the
 * per-plugin network config (name, cniVersion, prevResult, runtimeConfig),
 * result and error parsing (CNI SPEC.md 1.0.0 examples). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

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
