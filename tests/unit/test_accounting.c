/* test_accounting.c - the accounting outputs of agent/pod_stats.c (the
 * status.berth block), agent/metrics.c (/metrics as cAdvisor prints it)
 * and agent/summary.c (/stats/summary), on fabricated pod runners: one
 * Burstable pod whose app container was OOM-killed twice under a 50Mi
 * limit and throttled under a 1-CPU limit, with an init container. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "k8s_json.h"
#include "metrics.h"
#include "pod_stats.h"
#include "summary.h"

#define MIB (1024 * 1024)
#define POD_DIR "/sys/fs/cgroup/berth/burstable/pod1234"

struct fixture
{
  struct pod pod;
  struct container init, app;
  struct cgroup_container_values cv[2];
  struct runner_container c[2];
  struct image_info image;
  struct pod_runner r;
};

static void
psi (struct cgroup_psi *p, double a10, double a60, double a300, uint64_t total)
{
  *p = (struct cgroup_psi){
    .set = true, .avg10 = a10, .avg60 = a60, .avg300 = a300, .total = total
  };
}

#define SET(field, value) ((field).set = true, (field).v = (value))

static void
fixture_init (struct fixture *f)
{
  memset (f, 0, sizeof (*f));
  f->pod.metadata.name = "memory-demo";
  f->pod.metadata.namespace = "mem-example";
  f->init.name = "setup";
  f->init.image = "busybox";
  f->app.name = "app";
  f->app.image = "stress";
  f->image.ref = "docker.io/library/stress:latest";

  f->r.pod = &f->pod;
  f->r.uid = "1234";
  f->r.qos = QOS_BURSTABLE;
  f->r.pod_cgroup = true;
  cgroup_values_init (&f->r.cv.pod);
  f->r.cv.pod.memory_max = 50 * MIB;
  f->r.cv.pod.cpu_quota = 100000;
  f->r.cv.pod.cpu_period = 100000;
  f->r.cv.pod.cpu_weight = 4;
  f->r.cv.n_containers = 2;
  f->r.cv.containers = f->cv;
  f->cv[0].name = "setup";
  f->cv[0].init = true;
  cgroup_values_init (&f->cv[0].values);
  f->cv[0].values.cpu_weight = 1;
  f->cv[0].values.memory_swap_max = 0;
  f->cv[1].name = "app";
  cgroup_values_init (&f->cv[1].values);
  f->cv[1].values.cpu_weight = 39;
  f->cv[1].values.cpu_quota = 100000;
  f->cv[1].values.cpu_period = 100000;
  f->cv[1].values.memory_max = 50 * MIB;
  f->cv[1].values.memory_swap_max = 0;
  f->r.n = 2;
  f->r.c = f->c;

  /* the init container ran and finished: its cgroup stays */
  f->c[0].spec = &f->init;
  f->c[0].init = true;
  f->c[0].cgroup_dir = POD_DIR "/setup";
  f->c[0].now.started_at = "2026-11-27T12:00:00Z";
  f->c[0].cpu_usec_total = 2000;
  SET (f->c[0].stats.cpu.usage_usec, 2000);
  SET (f->c[0].stats.memory_current, 0);
  SET (f->c[0].stats.working_set, 0);
  SET (f->c[0].stats.memory.anon, 0);
  SET (f->c[0].stats.memory_peak, 4096);
  f->c[0].memory_peak = 4096;
  SET (f->c[0].stats.events.oom_kill, 0);

  f->c[1].spec = &f->app;
  f->c[1].image = &f->image;
  f->c[1].cgroup_dir = POD_DIR "/app";
  f->c[1].now.started_at = "2026-11-27T12:00:05Z";
  f->c[1].restart_count = 2;
  f->c[1].oom_kills = 2;
  f->c[1].cpu_usec_total = 1578972;
  f->c[1].periods_total = 32;
  f->c[1].throttled_periods_total = 31;
  f->c[1].throttled_usec_total = 1578972;
  f->c[1].memory_peak = 50 * MIB;
  struct cgroup_stats *s = &f->c[1].stats;
  SET (s->cpu.usage_usec, 1578972);
  SET (s->cpu.nr_periods, 32);
  SET (s->cpu.nr_throttled, 31);
  SET (s->cpu.throttled_usec, 1578972);
  SET (s->memory_current, 49 * MIB);
  SET (s->memory_peak, 50 * MIB);
  SET (s->memory.inactive_file, 1 * MIB);
  SET (s->working_set, 48 * MIB);
  SET (s->memory.anon, 47 * MIB);
  SET (s->memory.pgfault, 12800);
  SET (s->memory.pgmajfault, 3);
  SET (s->events.low, 0);
  SET (s->events.high, 0);
  SET (s->events.max, 119);
  SET (s->events.oom, 2);
  SET (s->events.oom_kill, 2);
  SET (s->events.oom_group_kill, 0);
  psi (&s->cpu_pressure.some, 1.71, 2.36, 2.57, 230548833);
  psi (&s->cpu_pressure.full, 0.5, 0.25, 0.1, 1000);
  psi (&s->memory_pressure.some, 12.5, 3, 0.75, 4500000);
  psi (&s->memory_pressure.full, 12.25, 2.5, 0.5, 4400000);
  psi (&s->io_pressure.some, 0, 0, 0, 7);
  psi (&s->io_pressure.full, 0, 0, 0, 5);
}

static char *
json (const struct node *n)
{
  char *out;
  size_t len;
  berth_error_t err = NULL;
  ck_assert_int_eq (node_write_json (n, false, &out, &len, &err), 0);
  return out;
}

/* The element of SEQ whose name is NAME. */
static struct node *
item (const struct node *seq, const char *name)
{
  for (size_t i = 0; seq && seq->kind == NODE_SEQ && i < seq->len; i++)
    if (strcmp (k8s_get_str (seq->items[i], "name") ?: "", name) == 0)
      return seq->items[i];
  ck_abort_msg ("no %s", name);
  return NULL;
}

/* ---- status.berth ---- */

START_TEST (test_berth_block)
{
  struct fixture f;
  struct node *b, *app;
  cleanup_free char *text = NULL;
  fixture_init (&f);
  b = pod_stats_berth_block (&f.r);
  text = json (b);
  ck_assert_str_eq (k8s_get_str (b, "resourceEnforcement"), "true");
  ck_assert_str_eq (k8s_get_str (b, "cgroup"), POD_DIR);
  /* every key of one container, in order */
  ck_assert_ptr_nonnull (strstr (
      text, "\"containers\":[{\"name\":\"app\",\"cgroup\":\"" POD_DIR
            "/app\",\"cpu\":{\"usageUsec\":1578972,\"nrPeriods\":32,"
            "\"nrThrottled\":31,\"throttledUsec\":1578972},"
            "\"memory\":{\"current\":51380224,\"peak\":52428800,"
            "\"workingSet\":50331648,\"limit\":52428800,\"events\":{"
            "\"low\":0,\"high\":0,\"max\":119,\"oom\":2,\"oomKill\":2,"
            "\"oomGroupKill\":0}},\"oomKills\":2,\"pressure\":{\"cpu\":{"
            "\"some\":{\"avg10\":1.71,\"avg60\":2.36,\"avg300\":2.57,"
            "\"total\":230548833},\"full\":{\"avg10\":0.50,\"avg60\":0.25,"
            "\"avg300\":0.10,\"total\":1000}},"));
  /* the init container: no limit, events the kernel did not give */
  ck_assert_str_eq (
      k8s_get_str (k8s_get (b, "initContainers")->items[0], "name"), "setup");
  ck_assert_ptr_nonnull (
      strstr (text, "\"limit\":null,\"events\":{\"low\":null,\"high\":null,"
                    "\"max\":null,\"oom\":null,\"oomKill\":0,"
                    "\"oomGroupKill\":null}},\"oomKills\":0,\"pressure\":{"
                    "\"cpu\":null,\"memory\":null,\"io\":null}}]"));
  /* the pod's sums and its own limit */
  ck_assert_str_eq (k8s_get_str (b, "pod.cpu.usageUsec"), "1580972");
  ck_assert_str_eq (k8s_get_str (b, "pod.cpu.nrThrottled"), "31");
  ck_assert_str_eq (k8s_get_str (b, "pod.memory.peak"), "52432896");
  ck_assert_str_eq (k8s_get_str (b, "pod.memory.limit"), "52428800");
  ck_assert_str_eq (k8s_get_str (b, "pod.memory.events.oomKill"), "2");
  ck_assert_str_eq (k8s_get_str (b, "pod.oomKills"), "2");
  ck_assert_ptr_null (k8s_get (b, "pod.pressure"));
  node_unref (b);

  /* never sampled: counters are null, not 0 */
  fixture_init (&f);
  memset (&f.c[1].stats, 0, sizeof (f.c[1].stats));
  f.c[1].cpu_usec_total = f.c[1].periods_total = 0;
  f.c[1].throttled_periods_total = f.c[1].throttled_usec_total = 0;
  f.c[1].memory_peak = 0;
  b = pod_stats_berth_block (&f.r);
  app = item (k8s_get (b, "containers"), "app");
  ck_assert (node_is_null (k8s_get (app, "cpu.usageUsec")));
  ck_assert (node_is_null (k8s_get (app, "memory.current")));
  ck_assert (node_is_null (k8s_get (app, "memory.peak")));
  ck_assert (node_is_null (k8s_get (app, "pressure.cpu")));
  ck_assert_str_eq (k8s_get_str (app, "oomKills"), "2");
  node_unref (b);
}
END_TEST

START_TEST (test_berth_block_no_enforcement)
{
  struct fixture f;
  struct node *b;
  cleanup_free char *text = NULL;
  fixture_init (&f);
  f.r.pod_cgroup = false;
  f.c[0].cgroup_dir = f.c[1].cgroup_dir = NULL;
  b = pod_stats_berth_block (&f.r);
  text = json (b);
  ck_assert_str_eq (text, "{\"resourceEnforcement\":false}");
  node_unref (b);
}
END_TEST

/* What the pod worker stores (no counters) and what it serves on read:
 * the counters completed with what the stored block has besides (the
 * prober's records). */
START_TEST (test_berth_static_and_complete)
{
  struct fixture f;
  struct node *st, *b, *probes, *extra;
  cleanup_free char *text = NULL;
  fixture_init (&f);
  st = pod_stats_berth_static (&f.r);
  text = json (st);
  ck_assert_str_eq (text,
                    "{\"resourceEnforcement\":true,\"cgroup\":\"" POD_DIR
                    "\",\"initContainers\":[{\"name\":\"setup\","
                    "\"cgroup\":\"" POD_DIR "/setup\"}],"
                    "\"containers\":[{\"name\":\"app\",\"cgroup\":\"" POD_DIR
                    "/app\"}]}");
  /* the prober adds to the stored block: a container entry's probes, and
   * an entry of its own */
  probes = node_new_map ();
  node_map_set_str (probes, "readiness", "x");
  node_map_set (item (k8s_get (st, "containers"), "app"), "probes", probes);
  extra = node_new_map ();
  node_map_set_str (extra, "name", "gone");
  node_seq_append (k8s_get (st, "containers"), extra);
  node_map_set_str (st, "note", "kept");

  b = pod_stats_berth_block (&f.r);
  pod_stats_berth_complete (b, st);
  ck_assert_str_eq (k8s_get_str (b, "pod.cpu.nrThrottled"), "31");
  ck_assert_str_eq (
      k8s_get_str (item (k8s_get (b, "containers"), "app"), "probes.readiness"),
      "x");
  ck_assert_str_eq (
      k8s_get_str (item (k8s_get (b, "containers"), "app"), "memory.peak"),
      "52428800");
  ck_assert_ptr_nonnull (item (k8s_get (b, "containers"), "gone"));
  ck_assert_uint_eq (k8s_get (b, "containers")->len, 2);
  ck_assert_str_eq (k8s_get_str (b, "note"), "kept");
  /* the stored block is not changed */
  ck_assert_ptr_null (
      k8s_get (item (k8s_get (st, "containers"), "app"), "cpu"));
  node_unref (b);
  /* nothing stored: the counters alone */
  b = pod_stats_berth_block (&f.r);
  pod_stats_berth_complete (b, NULL);
  ck_assert_uint_eq (k8s_get (b, "containers")->len, 1);
  node_unref (b);
  node_unref (st);
}
END_TEST

/* ---- /metrics ---- */

START_TEST (test_metrics_value_format)
{
  static const struct
  {
    double v;
    const char *want;
  } cases[] = {
    { 0, "0" },
    { 1, "1" },
    { -1, "-1" },
    { 12, "12" },
    { 100000, "100000" },
    { 999999, "999999" },
    { 1e6, "1e+06" },
    { 1048576, "1.048576e+06" },
    { 52428800, "5.24288e+07" },
    { 1.578972, "1.578972" },
    { 0.5, "0.5" },
    { -2.5, "-2.5" },
    { 0.0001, "0.0001" },
    { 0.00001, "1e-05" },
    { 2e-09, "2e-09" },
    { 123456.5, "123456.5" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 1.5e300, "1.5e+300" },
    { 230.548833, "230.548833" },
  };
  char buf[48];
  for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++)
    {
      metrics_format_value (buf, sizeof (buf), cases[i].v);
      ck_assert_str_eq (buf, cases[i].want);
    }
}
END_TEST

static char *
metrics_text (const struct pod_runner *const *pods, size_t n)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  metrics_write_pods (f, pods, n, 1795780800123);
  fclose (f);
  return text;
}

#define LABELS(ctr, id, image)                                                 \
  "{container=\"" ctr "\",id=\"" id "\",image=\"" image                        \
  "\",name=\"\",namespace=\"mem-example\",pod=\"memory-demo\"}"
#define APP                                                                    \
  LABELS ("app", "/berth/burstable/pod1234/app",                               \
          "docker.io/library/stress:latest")
#define SETUP LABELS ("setup", "/berth/burstable/pod1234/setup", "busybox")
#define POD LABELS ("", "/berth/burstable/pod1234", "")
#define TS " 1795780800123\n"

/* Each pod's series carry the time it was sampled, not the request's; a
 * pod never sampled has none; spec series never have one. */
START_TEST (test_metrics_sample_time)
{
  struct fixture f, g;
  const struct pod_runner *pods[] = { &f.r, &g.r };
  const int64_t sampled[] = { 1795780790000, 0 };
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  fixture_init (&f);
  fixture_init (&g);
  g.pod.metadata.name = "other";
  metrics_write_pods_sampled (out, pods, sampled, 2);
  fclose (out);
  ck_assert_ptr_nonnull (strstr (text, "container_memory_usage_bytes" APP
                                       " 5.1380224e+07 1795780790000\n"));
  ck_assert_ptr_nonnull (strstr (
      text, "container_memory_usage_bytes{container=\"app\",id=\"/berth/"
            "burstable/pod1234/app\",image=\"docker.io/library/"
            "stress:latest\",name=\"\",namespace=\"mem-example\","
            "pod=\"other\"} 5.1380224e+07\n"));
  ck_assert_ptr_nonnull (
      strstr (text, "container_spec_memory_limit_bytes" POD " 5.24288e+07\n"));
  free (text);
}
END_TEST

START_TEST (test_metrics_pods)
{
  struct fixture f;
  const struct pod_runner *pods[] = { &f.r };
  cleanup_free char *text = NULL;
  fixture_init (&f);
  text = metrics_text (pods, 1);

  /* the throttling counters: only for the container with a CPU quota */
  ck_assert_ptr_nonnull (strstr (
      text, "# HELP container_cpu_cfs_periods_total Number of elapsed "
            "enforcement period intervals.\n"
            "# TYPE container_cpu_cfs_periods_total counter\n"
            "container_cpu_cfs_periods_total" APP " 32" TS
            "# HELP container_cpu_cfs_throttled_periods_total Number of "
            "throttled period intervals.\n"
            "# TYPE container_cpu_cfs_throttled_periods_total counter\n"
            "container_cpu_cfs_throttled_periods_total" APP " 31" TS
            "# HELP container_cpu_cfs_throttled_seconds_total Total time "
            "duration the container has been throttled.\n"
            "# TYPE container_cpu_cfs_throttled_seconds_total counter\n"
            "container_cpu_cfs_throttled_seconds_total" APP " 1.578972" TS));
  /* usage: the pod (container="") first, its value the sum */
  ck_assert_ptr_nonnull (strstr (
      text,
      "# TYPE container_cpu_usage_seconds_total counter\n"
      "container_cpu_usage_seconds_total{container=\"\",cpu=\"total\","
      "id=\"/berth/burstable/pod1234\",image=\"\",name=\"\","
      "namespace=\"mem-example\",pod=\"memory-demo\"} 1.580972" TS
      "container_cpu_usage_seconds_total{container=\"app\",cpu=\"total\","
      "id=\"/berth/burstable/pod1234/app\",image=\"docker.io/library/"
      "stress:latest\",name=\"\",namespace=\"mem-example\","
      "pod=\"memory-demo\"} 1.578972" TS
      "container_cpu_usage_seconds_total{container=\"setup\",cpu=\"total\","
      "id=\"/berth/burstable/pod1234/setup\",image=\"busybox\",name=\"\","
      "namespace=\"mem-example\",pod=\"memory-demo\"} 0.002" TS));
  ck_assert_ptr_nonnull (
      strstr (text, "# HELP container_memory_working_set_bytes Current "
                    "working set in bytes.\n"
                    "# TYPE container_memory_working_set_bytes gauge\n"
                    "container_memory_working_set_bytes" POD " 5.0331648e+07" TS
                    "container_memory_working_set_bytes" APP " 5.0331648e+07" TS
                    "container_memory_working_set_bytes" SETUP " 0" TS));
  ck_assert_ptr_nonnull (
      strstr (text, "container_memory_usage_bytes" APP " 5.1380224e+07" TS));
  ck_assert_ptr_nonnull (
      strstr (text, "container_memory_max_usage_bytes" APP " 5.24288e+07" TS));
  ck_assert_ptr_nonnull (strstr (
      text, "# HELP container_oom_events_total Count of out of memory events "
            "observed for the container\n"
            "# TYPE container_oom_events_total counter\n"
            "container_oom_events_total" APP " 2" TS
            "container_oom_events_total" SETUP " 0" TS));
  ck_assert_ptr_nonnull (
      strstr (text, "container_pressure_cpu_waiting_seconds_total" APP
                    " 230.548833" TS));
  ck_assert_ptr_nonnull (strstr (
      text, "container_pressure_memory_stalled_seconds_total" APP " 4.4" TS));
  /* spec values: no timestamp; quota only where there is one */
  ck_assert_ptr_nonnull (
      strstr (text, "# HELP container_spec_cpu_quota CPU quota of the "
                    "container.\n# TYPE container_spec_cpu_quota gauge\n"
                    "container_spec_cpu_quota" POD " 100000\n"
                    "container_spec_cpu_quota" APP " 100000\n# HELP"));
  ck_assert_ptr_nonnull (
      strstr (text, "container_spec_cpu_period" SETUP " 100000\n"));
  /* cpu.weight 39 read back as cAdvisor does: 2 + 38*262142/9999 */
  ck_assert_ptr_nonnull (
      strstr (text, "container_spec_cpu_shares" APP " 998\n"));
  ck_assert_ptr_nonnull (
      strstr (text, "# TYPE container_spec_memory_limit_bytes gauge\n"
                    "container_spec_memory_limit_bytes" POD " 5.24288e+07\n"
                    "container_spec_memory_limit_bytes" APP " 5.24288e+07\n"
                    "container_spec_memory_limit_bytes" SETUP " 0\n"));
  /* no throttling counters for the init container (no quota) nor the pod */
  ck_assert_ptr_null (strstr (text, "container_cpu_cfs_periods_total" SETUP));
  ck_assert_ptr_null (strstr (text, "container_cpu_cfs_periods_total" POD));
  /* families in name order */
  ck_assert (strstr (text, "container_spec_cpu_period")
             > strstr (text, "container_pressure_memory_waiting"));
  ck_assert (strstr (text, "# HELP container_memory_rss")
             > strstr (text, "# HELP container_memory_max_usage_bytes"));
}
END_TEST

START_TEST (test_metrics_escaping_and_empty)
{
  struct fixture f;
  const struct pod_runner *pods[] = { &f.r };
  struct metrics_label l[] = { { "a", "x\"y\\z\nw" }, { "b", "" } };
  cleanup_free char *text = NULL, *out = NULL;
  size_t len = 0;
  FILE *mf;

  fixture_init (&f);
  f.r.pod_cgroup = false;
  f.c[0].cgroup_dir = f.c[1].cgroup_dir = NULL;
  text = metrics_text (pods, 1);
  ck_assert_str_eq (text, ""); /* no cgroups, no families */

  mf = open_memstream (&out, &len);
  metrics_write_family (mf, "prober_probe_total",
                        "Cumulative number\nof "
                        "probes \\ by type",
                        "counter");
  metrics_write_sample (mf, "prober_probe_total", l, 2, 3, 0);
  metrics_write_sample (mf, "up", NULL, 0, 1, 5);
  fclose (mf);
  ck_assert_str_eq (out, "# HELP prober_probe_total Cumulative number\\nof "
                         "probes \\\\ by type\n"
                         "# TYPE prober_probe_total counter\n"
                         "prober_probe_total{a=\"x\\\"y\\\\z\\nw\",b=\"\"} 3\n"
                         "up 1 5\n");
}
END_TEST

/* ---- /stats/summary ---- */

static const char proc_stat[]
    = "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"
      "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0\n"
      "intr 1\nctxt 2\nbtime 1795770000\nprocesses 3\n";
static const char proc_meminfo[] = "MemTotal:        2000000 kB\n"
                                   "MemFree:          500000 kB\n"
                                   "MemAvailable:    1200000 kB\n"
                                   "Inactive(file):   300000 kB\n"
                                   "AnonPages:        400000 kB\n";
static const char proc_vmstat[] = "nr_free_pages 1\npgfault 900\n"
                                  "pgmajfault 12\n";

START_TEST (test_summary_node_parse)
{
  struct summary_node_stats n;
  berth_error_t err = NULL;
  ck_assert_int_eq (summary_node_parse (proc_stat, proc_meminfo, proc_vmstat,
                                        100, 42, &n, &err),
                    0);
  /* user nice system irq softirq steal: 10132153 + 290696 + 3084719 + 0
   * + 25195 + 0 ticks of 10 ms */
  ck_assert_uint_eq (n.cpu_usage_ns, 13532763ULL * 10000000ULL);
  ck_assert_int_eq (n.boot_ms, 1795770000000LL);
  ck_assert_uint_eq (n.memory_usage, 1500000ULL * 1024);
  ck_assert_uint_eq (n.working_set, 1200000ULL * 1024);
  ck_assert_uint_eq (n.rss, 400000ULL * 1024);
  ck_assert_uint_eq (n.page_faults, 900);
  ck_assert_uint_eq (n.major_page_faults, 12);
  ck_assert_int_eq (
      summary_node_parse ("intr 1\n", proc_meminfo, NULL, 100, 42, &n, &err),
      -EINVAL);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "/proc/stat"));
  berth_error_release (&err);
}
END_TEST

START_TEST (test_summary_encode)
{
  struct fixture f;
  const struct pod_runner *pods[] = { &f.r };
  struct summary_history h;
  struct summary_node_stats n;
  berth_error_t err = NULL;
  struct node *s, *app;
  cleanup_free char *text = NULL;
  const int64_t t0 = 1795780800000;

  fixture_init (&f);
  summary_history_init (&h);
  ck_assert_int_eq (summary_node_parse (proc_stat, proc_meminfo, proc_vmstat,
                                        100, t0, &n, &err),
                    0);
  /* one sample: no rate yet */
  summary_history_record_pod (&h, &f.r, t0);
  summary_history_record_node (&h, &n);
  s = summary_encode ("node1", &n, pods, NULL, 1, &h);
  app = item (k8s_get (k8s_get (s, "pods")->items[0], "containers"), "app");
  ck_assert_str_eq (k8s_get_str (app, "cpu.usageCoreNanoSeconds"),
                    "1578972000");
  ck_assert_ptr_null (k8s_get (app, "cpu.usageNanoCores"));
  ck_assert_ptr_null (k8s_get (s, "node.cpu.usageNanoCores"));
  ck_assert_str_eq (k8s_get_str (s, "node.nodeName"), "node1");
  ck_assert_str_eq (k8s_get_str (s, "node.startTime"), "2026-11-27T09:00:00Z");
  node_unref (s);

  /* half a CPU over the next 2 s (recording the same sample twice is a
   * no-op) */
  f.c[1].cpu_usec_total += 1000000;
  n.time_ms = t0 + 2000;
  n.cpu_usage_ns += 3000000000ULL;
  summary_history_record_pod (&h, &f.r, t0 + 2000);
  summary_history_record_pod (&h, &f.r, t0 + 2000);
  summary_history_record_node (&h, &n);
  s = summary_encode ("node1", &n, pods, NULL, 1, &h);
  text = json (s);
  ck_assert_str_eq (k8s_get_str (s, "node.cpu.usageNanoCores"), "1500000000");
  ck_assert_str_eq (k8s_get_str (s, "node.memory.availableBytes"), "819200000");
  app = k8s_get (s, "pods")->items[0];
  ck_assert_str_eq (k8s_get_str (app, "podRef.name"), "memory-demo");
  ck_assert_str_eq (k8s_get_str (app, "podRef.namespace"), "mem-example");
  ck_assert_str_eq (k8s_get_str (app, "podRef.uid"), "1234");
  ck_assert_str_eq (k8s_get_str (app, "startTime"), "2026-11-27T12:00:00Z");
  ck_assert_str_eq (k8s_get_str (app, "cpu.usageNanoCores"), "500000000");
  ck_assert_str_eq (k8s_get_str (app, "cpu.usageCoreNanoSeconds"),
                    "2580972000");
  ck_assert_str_eq (k8s_get_str (app, "memory.workingSetBytes"), "50331648");
  ck_assert_str_eq (k8s_get_str (app, "memory.availableBytes"), "2097152");
  /* the app container, every field in the kubelet's order */
  ck_assert_ptr_nonnull (strstr (
      text,
      "{\"name\":\"app\",\"startTime\":\"2026-11-27T12:00:05Z\",\"cpu\":{"
      "\"time\":\"2026-11-27T12:00:02Z\",\"usageNanoCores\":500000000,"
      "\"usageCoreNanoSeconds\":2578972000,\"psi\":{\"full\":{\"total\":"
      "1000,\"avg10\":0.50,\"avg60\":0.25,\"avg300\":0.10},\"some\":{"
      "\"total\":230548833,\"avg10\":1.71,\"avg60\":2.36,\"avg300\":2.57}}},"
      "\"memory\":{\"time\":\"2026-11-27T12:00:02Z\",\"availableBytes\":"
      "2097152,\"usageBytes\":51380224,\"workingSetBytes\":50331648,"
      "\"rssBytes\":49283072,\"pageFaults\":12800,\"majorPageFaults\":3,"
      "\"psi\":"));
  ck_assert_ptr_nonnull (strstr (text,
                                 "\"io\":{\"time\":\"2026-11-27T12:00:"
                                 "02Z\",\"psi\":{\"full\":{\"total\":5,"));
  node_unref (s);

  /* a given startTime wins; a forgotten pod has no stats */
  summary_history_forget_pod (&h, "1234");
  {
    const char *starts[] = { "2026-11-27T11:59:59Z" };
    s = summary_encode ("node1", NULL, pods, starts, 1, &h);
  }
  app = k8s_get (s, "pods")->items[0];
  ck_assert_str_eq (k8s_get_str (app, "startTime"), "2026-11-27T11:59:59Z");
  ck_assert_ptr_null (k8s_get (app, "cpu"));
  ck_assert_ptr_null (k8s_get (app, "memory"));
  ck_assert_ptr_null (k8s_get (s, "node.cpu"));
  node_unref (s);
  summary_history_free (&h);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("accounting");
  TCase *tc = tcase_create ("core");
  SRunner *sr;
  int failed;
  tcase_add_test (tc, test_berth_block);
  tcase_add_test (tc, test_berth_block_no_enforcement);
  tcase_add_test (tc, test_berth_static_and_complete);
  tcase_add_test (tc, test_metrics_sample_time);
  tcase_add_test (tc, test_metrics_value_format);
  tcase_add_test (tc, test_metrics_pods);
  tcase_add_test (tc, test_metrics_escaping_and_empty);
  tcase_add_test (tc, test_summary_node_parse);
  tcase_add_test (tc, test_summary_encode);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_ENV);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? 1 : 0;
}
