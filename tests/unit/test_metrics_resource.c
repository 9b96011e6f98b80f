/* test_metrics_resource.c - /metrics/resource from a Summary, line for
 * line as the kubelet's resource metrics collector prints it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "metrics_resource.h"
#include "node.h"

static char *
render (const char *json)
{
  struct node_stream st = { 0 };
  berth_error_t err = NULL;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  ck_assert_ptr_nonnull (f);
  if (json)
    {
      ck_assert_int_eq (node_stream_read (json, strlen (json), &st, &err), 0);
      metrics_write_resource (f, st.docs[0]);
      node_stream_free (&st);
    }
  else
    metrics_write_resource (f, NULL);
  fclose (f);
  return text;
}

START_TEST (test_resource_metrics)
{
  static const char summary[]
      = "{\"node\": {\"nodeName\": \"node1\",\n"
        "  \"cpu\": {\"time\": \"2026-11-27T10:00:05Z\", "
        "\"usageCoreNanoSeconds\": 1500000000000},\n"
        "  \"memory\": {\"time\": \"2026-11-27T10:00:05Z\", "
        "\"workingSetBytes\": 734003200}},\n"
        " \"pods\": [\n"
        "  {\"podRef\": {\"name\": \"web\", \"namespace\": \"default\"},\n"
        "   \"containers\": [\n"
        "    {\"name\": \"side\", \"startTime\": \"2026-11-27T09:59:00Z\",\n"
        "     \"cpu\": {\"time\": \"2026-11-27T10:00:00.250Z\", "
        "\"usageCoreNanoSeconds\": 20000000},\n"
        "     \"memory\": {\"time\": \"2026-11-27T10:00:00.250Z\", "
        "\"workingSetBytes\": 1048576}},\n"
        "    {\"name\": \"app\", \"startTime\": \"2026-11-27T09:58:00Z\",\n"
        "     \"cpu\": {\"time\": \"2026-11-27T10:00:00Z\", "
        "\"usageCoreNanoSeconds\": 63034000},\n"
        "     \"memory\": {\"time\": \"2026-11-27T10:00:00Z\", "
        "\"workingSetBytes\": 2097152}}],\n"
        "   \"cpu\": {\"time\": \"2026-11-27T10:00:00Z\", "
        "\"usageCoreNanoSeconds\": 83034000},\n"
        "   \"memory\": {\"time\": \"2026-11-27T10:00:00Z\", "
        "\"workingSetBytes\": 3145728}},\n"
        "  {\"podRef\": {\"name\": \"new\", \"namespace\": \"default\"},\n"
        "   \"containers\": [{\"name\": \"c\"}]}]}\n";
  static const char want[]
      = "# HELP container_cpu_usage_seconds_total [STABLE] Cumulative cpu "
        "time consumed by the container in core-seconds\n"
        "# TYPE container_cpu_usage_seconds_total counter\n"
        "container_cpu_usage_seconds_total{container=\"app\",namespace="
        "\"default\",pod=\"web\"} 0.063034 1795773600000\n"
        "container_cpu_usage_seconds_total{container=\"side\",namespace="
        "\"default\",pod=\"web\"} 0.02 1795773600250\n"
        "# HELP container_memory_working_set_bytes [STABLE] Current working "
        "set of the container in bytes\n"
        "# TYPE container_memory_working_set_bytes gauge\n"
        "container_memory_working_set_bytes{container=\"app\",namespace="
        "\"default\",pod=\"web\"} 2.097152e+06 1795773600000\n"
        "container_memory_working_set_bytes{container=\"side\",namespace="
        "\"default\",pod=\"web\"} 1.048576e+06 1795773600250\n"
        "# HELP container_start_time_seconds [STABLE] Start time of the "
        "container since unix epoch in seconds\n"
        "# TYPE container_start_time_seconds gauge\n"
        "container_start_time_seconds{container=\"app\",namespace="
        "\"default\",pod=\"web\"} 1.79577348e+09\n"
        "container_start_time_seconds{container=\"side\",namespace="
        "\"default\",pod=\"web\"} 1.79577354e+09\n"
        "# HELP node_cpu_usage_seconds_total [STABLE] Cumulative cpu time "
        "consumed by the node in core-seconds\n"
        "# TYPE node_cpu_usage_seconds_total counter\n"
        "node_cpu_usage_seconds_total 1500 1795773605000\n"
        "# HELP node_memory_working_set_bytes [STABLE] Current working set "
        "of the node in bytes\n"
        "# TYPE node_memory_working_set_bytes gauge\n"
        "node_memory_working_set_bytes 7.340032e+08 1795773605000\n"
        "# HELP pod_cpu_usage_seconds_total [STABLE] Cumulative cpu time "
        "consumed by the pod in core-seconds\n"
        "# TYPE pod_cpu_usage_seconds_total counter\n"
        "pod_cpu_usage_seconds_total{namespace=\"default\",pod=\"web\"} "
        "0.083034 1795773600000\n"
        "# HELP pod_memory_working_set_bytes [STABLE] Current working set of "
        "the pod in bytes\n"
        "# TYPE pod_memory_working_set_bytes gauge\n"
        "pod_memory_working_set_bytes{namespace=\"default\",pod=\"web\"} "
        "3.145728e+06 1795773600000\n"
        "# HELP resource_scrape_error [STABLE] 1 if there was an error while "
        "getting container metrics, 0 otherwise\n"
        "# TYPE resource_scrape_error gauge\n"
        "resource_scrape_error 0\n";
  cleanup_free char *got = render (summary);
  ck_assert_str_eq (got, want);
}
END_TEST

START_TEST (test_resource_metrics_error)
{
  cleanup_free char *got = render (NULL);
  ck_assert_str_eq (got, "# HELP resource_scrape_error [STABLE] 1 if there "
                         "was an error while getting container metrics, 0 "
                         "otherwise\n"
                         "# TYPE resource_scrape_error gauge\n"
                         "resource_scrape_error 1\n");
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("metrics_resource");
  TCase *tc = tcase_create ("resource");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_resource_metrics);
  tcase_add_test (tc, test_resource_metrics_error);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
