/* test_cli_accounting.c - what a person reads: `berth describe pod`'s
 * Accounting section (cli/describe_accounting.c) from a pod's status JSON,
 * and the `berth top pods` table (cli/top_pods.c) from /stats/summary and a
 * PodList, with exact expected text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "describe_accounting.h"
#include "top_pods.h"

static struct node *
parse (const char *text)
{
  struct node_stream s;
  berth_error_t err = NULL;
  struct node *n;
  ck_assert_msg (node_stream_read (text, strlen (text), &s, &err) == 0, "%s",
                 err ? berth_error_msg (&err) : "");
  ck_assert_uint_eq (s.len, 1);
  n = node_ref (s.docs[0]);
  node_stream_free (&s);
  return n;
}

/* What FN printed for its arguments. */
#define CAPTURE(text, call)                                                    \
  do                                                                           \
    {                                                                          \
      size_t len_ = 0;                                                         \
      FILE *out = open_memstream (&(text), &len_);                             \
      call;                                                                    \
      fclose (out);                                                            \
    }                                                                          \
  while (0)

/* The berth block of a pod OOM-killed twice under 50Mi and throttled. */
static const char status_json[]
    = "{\"phase\":\"Running\",\"berth\":{"
      "\"resourceEnforcement\":true,"
      "\"cgroup\":\"/sys/fs/cgroup/berth/burstable/pod1234\","
      "\"initContainers\":[{\"name\":\"setup\",\"cgroup\":\"/x/setup\","
      "\"cpu\":{\"usageUsec\":2000,\"nrPeriods\":null,\"nrThrottled\":null,"
      "\"throttledUsec\":null},\"memory\":{\"current\":0,\"peak\":4096,"
      "\"workingSet\":0,\"limit\":null,\"events\":{\"low\":null,"
      "\"high\":null,\"max\":null,\"oom\":null,\"oomKill\":0,"
      "\"oomGroupKill\":null}},\"oomKills\":0,\"pressure\":{\"cpu\":null,"
      "\"memory\":null,\"io\":null}}],"
      "\"containers\":[{\"name\":\"app\",\"cgroup\":\"/x/app\","
      "\"cpu\":{\"usageUsec\":1578972,\"nrPeriods\":32,\"nrThrottled\":31,"
      "\"throttledUsec\":1578972},\"memory\":{\"current\":51380224,"
      "\"peak\":52428800,\"workingSet\":50331648,\"limit\":52428800,"
      "\"events\":{\"low\":0,\"high\":0,\"max\":119,\"oom\":2,\"oomKill\":2,"
      "\"oomGroupKill\":0}},\"oomKills\":2,\"pressure\":{"
      "\"cpu\":{\"some\":{\"avg10\":1.71,\"avg60\":2.36,\"avg300\":2.57,"
      "\"total\":230548833},\"full\":{\"avg10\":0.50,\"avg60\":0.25,"
      "\"avg300\":0.10,\"total\":1000}},\"memory\":{\"some\":{\"avg10\":12.50,"
      "\"avg60\":3.00,\"avg300\":0.75,\"total\":4500000},\"full\":null},"
      "\"io\":null}}],"
      "\"pod\":{\"cpu\":{\"usageUsec\":1580972,\"nrPeriods\":32,"
      "\"nrThrottled\":31,\"throttledUsec\":1578972},\"memory\":{"
      "\"current\":51380224,\"peak\":52432896,\"workingSet\":50331648,"
      "\"limit\":52428800,\"events\":{\"low\":0,\"high\":0,\"max\":119,"
      "\"oom\":2,\"oomKill\":2,\"oomGroupKill\":0}},\"oomKills\":2}}}";

START_TEST (test_describe_accounting)
{
  struct node *st = parse (status_json);
  cleanup_free char *text = NULL;
  CAPTURE (text, describe_accounting_print (out, st));
  ck_assert_str_eq (
      text, "Accounting:\n"
            "  Resource enforcement:  on (cgroup "
            "/sys/fs/cgroup/berth/burstable/pod1234)\n"
            "  setup (init):\n"
            "    CPU time: 0.00 s\n"
            "    Memory: 0 B now, 0 B working set\n"
            "    OOM kills: 0, peak 4.0 KiB (no limit)\n"
            "    Memory events: oom_kill 0\n"
            "  app:\n"
            "    CPU time: 1.58 s\n"
            "    CPU throttled in 31 of 32 periods (1.58 s)\n"
            "    Memory: 49.0 MiB now, 48.0 MiB working set\n"
            "    OOM kills: 2, peak 50.0 MiB of a 50 MiB limit\n"
            "    Memory events: low 0, high 0, max 119, oom 2, oom_kill 2, "
            "oom_group_kill 0\n"
            "    Pressure (% of time, avg10/avg60/avg300):\n"
            "      cpu:     some 1.71/2.36/2.57  full 0.50/0.25/0.10\n"
            "      memory:  some 12.50/3.00/0.75\n"
            "  Pod total:\n"
            "    CPU time: 1.58 s\n"
            "    CPU throttled in 31 of 32 periods (1.58 s)\n"
            "    Memory: 49.0 MiB now, 48.0 MiB working set\n"
            "    OOM kills: 2, peak 50.0 MiB of a 50 MiB limit\n"
            "    Memory events: low 0, high 0, max 119, oom 2, oom_kill 2, "
            "oom_group_kill 0\n");
  node_unref (st);
}
END_TEST

START_TEST (test_describe_accounting_off)
{
  struct node *st = parse ("{\"berth\":{\"resourceEnforcement\":false}}");
  cleanup_free char *text = NULL, *none = NULL;
  CAPTURE (text, describe_accounting_print (out, st));
  ck_assert_str_eq (text,
                    "Accounting:\n"
                    "  Resource enforcement:  off (the agent runs with "
                    "--no-resource-enforcement: no limits, no accounting)\n");
  node_unref (st);
  st = parse ("{\"phase\":\"Pending\"}");
  CAPTURE (none, describe_accounting_print (out, st));
  ck_assert_str_eq (none, "Accounting:       <none>\n");
  node_unref (st);
}
END_TEST

START_TEST (test_describe_bytes)
{
  char b[32];
  describe_bytes (b, sizeof (b), 512, false);
  ck_assert_str_eq (b, "512 B");
  describe_bytes (b, sizeof (b), 50 * 1024 * 1024, false);
  ck_assert_str_eq (b, "50.0 MiB");
  describe_bytes (b, sizeof (b), 50 * 1024 * 1024, true);
  ck_assert_str_eq (b, "50 MiB");
  describe_bytes (b, sizeof (b), 100000000, true);
  ck_assert_str_eq (b, "95.4 MiB");
  describe_bytes (b, sizeof (b), 3ULL << 30, true);
  ck_assert_str_eq (b, "3 GiB");
  describe_bytes (b, sizeof (b), 1536, false);
  ck_assert_str_eq (b, "1.5 KiB");
}
END_TEST

/* /stats/summary with two pods in two namespaces; "web" has no CPU rate
 * yet (one sample). */
static const char summary_json[]
    = "{\"node\":{\"nodeName\":\"n\"},\"pods\":["
      "{\"podRef\":{\"name\":\"memory-demo\",\"namespace\":\"default\","
      "\"uid\":\"u1\"},\"containers\":["
      "{\"name\":\"app\",\"cpu\":{\"usageNanoCores\":1000001},"
      "\"memory\":{\"workingSetBytes\":52428799}},"
      "{\"name\":\"side\",\"cpu\":{\"usageNanoCores\":250000000},"
      "\"memory\":{\"workingSetBytes\":1048576}}]},"
      "{\"podRef\":{\"name\":\"cpu-demo\",\"namespace\":\"default\","
      "\"uid\":\"u2\"},\"containers\":["
      "{\"name\":\"c\",\"cpu\":{\"usageNanoCores\":998000000},"
      "\"memory\":{\"workingSetBytes\":2097152}}]},"
      "{\"podRef\":{\"name\":\"web\",\"namespace\":\"other\",\"uid\":\"u3\"},"
      "\"containers\":[{\"name\":\"c\",\"cpu\":{\"usageCoreNanoSeconds\":5},"
      "\"memory\":{\"workingSetBytes\":0}}]}]}";

static const char pods_json[]
    = "{\"kind\":\"PodList\",\"items\":["
      "{\"metadata\":{\"name\":\"cpu-demo\",\"namespace\":\"default\","
      "\"uid\":\"u2\"},\"status\":{\"berth\":{\"resourceEnforcement\":true,"
      "\"pod\":{\"cpu\":{\"nrPeriods\":84,\"nrThrottled\":81},"
      "\"oomKills\":0}}}},"
      "{\"metadata\":{\"name\":\"memory-demo\",\"namespace\":\"default\","
      "\"uid\":\"u1\"},\"status\":{\"berth\":{\"resourceEnforcement\":true,"
      "\"pod\":{\"cpu\":{\"nrPeriods\":0,\"nrThrottled\":0},"
      "\"oomKills\":12}}}}]}";

START_TEST (test_top_pods)
{
  struct node *sum = parse (summary_json), *pods = parse (pods_json);
  cleanup_free char *text = NULL, *all = NULL, *none = NULL;
  size_t n = 0;

  CAPTURE (text, n = top_pods_print (out, sum, pods, "default", TOP_SORT_NAME));
  ck_assert_uint_eq (n, 2);
  /* 1000001 + 250000000 nanocores: 252m (rounded up); 51.99 Mi + 1 Mi */
  ck_assert_str_eq (
      text, "NAME          CPU(cores)   MEMORY(bytes)   THROTTLED   OOM\n"
            "cpu-demo      998m         2Mi             81/84       0\n"
            "memory-demo   252m         50Mi            0/0         12\n");

  CAPTURE (all, n = top_pods_print (out, sum, NULL, NULL, TOP_SORT_MEMORY));
  ck_assert_uint_eq (n, 3);
  ck_assert_str_eq (all, "NAMESPACE   NAME          CPU(cores)   "
                         "MEMORY(bytes)   THROTTLED   OOM\n"
                         "default     memory-demo   252m         50Mi        "
                         "    -           -\n"
                         "default     cpu-demo      998m         2Mi         "
                         "    -           -\n"
                         "other       web           -            0Mi         "
                         "    -           -\n");

  CAPTURE (none,
           n = top_pods_print (out, sum, pods, "kube-system", TOP_SORT_CPU));
  ck_assert_uint_eq (n, 0);
  ck_assert_str_eq (none, "");
  node_unref (sum);
  node_unref (pods);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("cli_accounting");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_describe_accounting);
  tcase_add_test (tc, test_describe_accounting_off);
  tcase_add_test (tc, test_describe_bytes);
  tcase_add_test (tc, test_top_pods);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
