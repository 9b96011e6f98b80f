/* test_cgroup_stats.c - the parsers of cgroups/cgroup_stats.c on sample
 * file contents (as Linux 6.1 writes them), the OOM watch's delta logic on
 * a temporary memory.events, and the read-only parts of cgroup_fs and the
 * host check.  Nothing here touches a real cgroup. */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_fs.h"
#include "cgroup_host.h"
#include "cgroup_stats.h"
#include "cleanup.h"
#include "oom_watch.h"

static const char cpu_stat[] = "usage_usec 1578972\n"
                               "user_usec 1500000\n"
                               "system_usec 78972\n"
                               "core_sched.force_idle_usec 0\n"
                               "nr_periods 32\n"
                               "nr_throttled 31\n"
                               "throttled_usec 1578972\n"
                               "nr_bursts 0\n"
                               "burst_usec 0\n";

START_TEST (test_cpu_stat)
{
  struct cgroup_cpu_stat s;
  cgroup_stats_parse_cpu_stat (cpu_stat, &s);
  ck_assert (s.usage_usec.set && s.usage_usec.v == 1578972);
  ck_assert (s.user_usec.set && s.user_usec.v == 1500000);
  ck_assert (s.system_usec.set && s.system_usec.v == 78972);
  ck_assert (s.nr_periods.set && s.nr_periods.v == 32);
  ck_assert (s.nr_throttled.set && s.nr_throttled.v == 31);
  ck_assert (s.throttled_usec.set && s.throttled_usec.v == 1578972);

  /* Without the cpu controller, cpu.stat has only the first three keys. */
  cgroup_stats_parse_cpu_stat ("usage_usec 5\nuser_usec 3\nsystem_usec 2\n",
                               &s);
  ck_assert (s.usage_usec.set && s.usage_usec.v == 5);
  ck_assert (!s.nr_periods.set && !s.nr_throttled.set);
  /* Garbage and truncated lines are skipped, not misread. */
  cgroup_stats_parse_cpu_stat ("usage_usec x\nnr_periods 7 8\nnr_throttled",
                               &s);
  ck_assert (!s.usage_usec.set && !s.nr_periods.set && !s.nr_throttled.set);
  cgroup_stats_parse_cpu_stat ("", &s);
  ck_assert (!s.usage_usec.set);
}
END_TEST

START_TEST (test_memory_files)
{
  struct cgroup_memory_events e;
  struct cgroup_memory_stat m;
  struct cgroup_counter c;

  cgroup_stats_parse_memory_events ("low 0\nhigh 0\nmax 119\noom 2\n"
                                    "oom_kill 2\noom_group_kill 1\n",
                                    &e);
  ck_assert (e.low.set && e.low.v == 0);
  ck_assert (e.max.set && e.max.v == 119);
  ck_assert (e.oom.set && e.oom.v == 2);
  ck_assert (e.oom_kill.set && e.oom_kill.v == 2);
  ck_assert (e.oom_group_kill.set && e.oom_group_kill.v == 1);
  /* Kernels before 5.14 have no oom_group_kill. */
  cgroup_stats_parse_memory_events ("low 0\nhigh 0\nmax 0\noom 0\n"
                                    "oom_kill 0\n",
                                    &e);
  ck_assert (e.oom_kill.set && !e.oom_group_kill.set);

  cgroup_stats_parse_memory_stat ("anon 49152000\nfile 8192\nkernel 1000\n"
                                  "active_anon 0\ninactive_anon 49152000\n"
                                  "active_file 4096\ninactive_file 4096\n"
                                  "pgfault 12800\npgmajfault 3\n",
                                  &m);
  ck_assert (m.anon.set && m.anon.v == 49152000);
  ck_assert (m.file.set && m.file.v == 8192);
  ck_assert (m.inactive_file.set && m.inactive_file.v == 4096);
  ck_assert (m.active_file.set && m.active_file.v == 4096);
  ck_assert (m.pgmajfault.set && m.pgmajfault.v == 3);

  cgroup_stats_parse_value ("52428800\n", &c);
  ck_assert (c.set && c.v == 52428800);
  cgroup_stats_parse_value ("max\n", &c);
  ck_assert (!c.set);
  cgroup_stats_parse_value (NULL, &c);
  ck_assert (!c.set);

  /* cAdvisor: working set = usage - inactive_file, never below zero. */
  ck_assert_uint_eq (cgroup_stats_working_set (52428800, 4096), 52424704);
  ck_assert_uint_eq (cgroup_stats_working_set (4096, 8192), 0);
}
END_TEST

START_TEST (test_pressure)
{
  struct cgroup_pressure p;
  cgroup_stats_parse_pressure (
      "some avg10=1.71 avg60=2.36 avg300=2.57 total=230548833\n"
      "full avg10=1.00 avg60=1.01 avg300=1.00 total=157622356\n",
      &p);
  ck_assert (p.some.set && p.full.set);
  ck_assert_double_eq_tol (p.some.avg10, 1.71, 1e-9);
  ck_assert_double_eq_tol (p.some.avg60, 2.36, 1e-9);
  ck_assert_double_eq_tol (p.some.avg300, 2.57, 1e-9);
  ck_assert_uint_eq (p.some.total, 230548833);
  ck_assert_double_eq_tol (p.full.avg60, 1.01, 1e-9);
  ck_assert_uint_eq (p.full.total, 157622356);

  /* cpu.pressure of the root cgroup on older kernels: "some" only. */
  cgroup_stats_parse_pressure (
      "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &p);
  ck_assert (p.some.set && !p.full.set);
  cgroup_stats_parse_pressure ("some avg10=0.00 avg60=x\n", &p);
  ck_assert (!p.some.set);
}
END_TEST

/* A scratch directory with files, removed at the end. */
static char *
scratch (void)
{
  char tmpl[] = "/tmp/test_cgroup_stats.XXXXXX";
  ck_assert_ptr_nonnull (mkdtemp (tmpl));
  return strdup (tmpl);
}

static void
put (const char *dir, const char *file, const char *text)
{
  cleanup_free char *path = NULL;
  ck_assert_int_ge (asprintf (&path, "%s/%s", dir, file), 0);
  cleanup_close int fd
      = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, text, strlen (text)), (ssize_t)strlen (text));
}

static void
rm (const char *dir, const char *file)
{
  cleanup_free char *path = NULL;
  ck_assert_int_ge (asprintf (&path, "%s/%s", dir, file), 0);
  unlink (path);
}

START_TEST (test_stats_read_missing_files)
{
  cleanup_free char *dir = scratch ();
  struct cgroup_stats s;
  berth_error_t err = NULL;
  put (dir, "cpu.stat", cpu_stat);
  put (dir, "memory.current", "52428800\n");
  put (dir, "memory.stat", "anon 100\nfile 50\ninactive_file 4096\n");
  ck_assert_int_eq (cgroup_stats_read_path (dir, &s, &err), 0);
  ck_assert (s.cpu.nr_throttled.set && s.cpu.nr_throttled.v == 31);
  ck_assert (s.memory_current.set && s.memory_current.v == 52428800);
  ck_assert (!s.memory_peak.set);       /* no memory.peak (< 5.19) */
  ck_assert (!s.events.oom_kill.set);   /* no memory.events */
  ck_assert (!s.cpu_pressure.some.set); /* no PSI */
  ck_assert (s.working_set.set && s.working_set.v == 52424704);
  rm (dir, "cpu.stat");
  rm (dir, "memory.current");
  rm (dir, "memory.stat");
  ck_assert_int_eq (rmdir (dir), 0);

  ck_assert_int_lt (cgroup_stats_read_path ("/nonexistent/cg", &s, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "/nonexistent/cg"));
  berth_error_release (&err);
}
END_TEST

START_TEST (test_oom_compare)
{
  struct cgroup_memory_events a, b;
  struct oom_delta d;
  cgroup_stats_parse_memory_events ("max 3\noom 1\noom_kill 1\n", &a);
  cgroup_stats_parse_memory_events ("max 9\noom 1\noom_kill 1\n", &b);
  ck_assert_int_eq (oom_watch_compare (&a, &b, &d), 0); /* max only */
  cgroup_stats_parse_memory_events ("max 9\noom 3\noom_kill 2\n"
                                    "oom_group_kill 1\n",
                                    &b);
  ck_assert_int_eq (oom_watch_compare (&a, &b, &d), 1);
  ck_assert_uint_eq (d.oom, 2);
  ck_assert_uint_eq (d.oom_kill, 1);
  ck_assert_uint_eq (d.oom_group_kill, 1);
  ck_assert_uint_eq (d.now.oom_kill.v, 2);
  /* A counter going down is a new cgroup: count from zero. */
  cgroup_stats_parse_memory_events ("oom 1\noom_kill 0\n", &b);
  cgroup_stats_parse_memory_events ("oom 5\noom_kill 4\n", &a);
  ck_assert_int_eq (oom_watch_compare (&a, &b, &d), 1);
  ck_assert_uint_eq (d.oom, 1);
  ck_assert_uint_eq (d.oom_kill, 0);
}
END_TEST

static bool
readable (int fd)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  return poll (&p, 1, 1000) == 1;
}

START_TEST (test_oom_watch_file)
{
  cleanup_free char *dir = scratch ();
  struct oom_watch *w = NULL;
  struct oom_delta d;
  berth_error_t err = NULL;

  /* OOMs from before the watch are the baseline. */
  put (dir, "memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
  ck_assert_msg (oom_watch_open (dir, &w, &err) == 0, "%s",
                 berth_error_msg (&err));
  ck_assert_int_ge (oom_watch_fd (w), 0);
  ck_assert_int_eq (fcntl (oom_watch_fd (w), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0);

  /* A change that is not an OOM: nothing reported, the watch goes on. */
  put (dir, "memory.events", "low 0\nhigh 4\nmax 7\noom 1\noom_kill 1\n");
  ck_assert (readable (oom_watch_fd (w)));
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0);

  /* An OOM kill. */
  put (dir, "memory.events", "low 0\nhigh 4\nmax 9\noom 2\noom_kill 2\n");
  ck_assert (readable (oom_watch_fd (w)));
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 1);
  ck_assert_uint_eq (d.oom, 1);
  ck_assert_uint_eq (d.oom_kill, 1);
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0); /* once only */

  /* Another one, found by the explicit check (no event read). */
  put (dir, "memory.events", "low 0\nhigh 4\nmax 9\noom 4\noom_kill 3\n");
  ck_assert_int_eq (oom_watch_check (w, &d, &err), 1);
  ck_assert_uint_eq (d.oom, 2);
  ck_assert_uint_eq (d.oom_kill, 1);
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0); /* already seen */

  /* A half-written file does not reset the baseline. */
  put (dir, "memory.events", "");
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0);
  put (dir, "memory.events", "low 0\nhigh 4\nmax 9\noom 4\noom_kill 3\n");
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0);

  /* The file goes away (the cgroup was removed). */
  rm (dir, "memory.events");
  ck_assert_int_eq (oom_watch_process (w, &d, &err), 0);
  ck_assert (oom_watch_gone (w));
  oom_watch_free (w);
  ck_assert_int_eq (rmdir (dir), 0);

  ck_assert_int_lt (oom_watch_open ("/nonexistent/cg", &w, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "/nonexistent/cg"));
  berth_error_release (&err);
}
END_TEST

START_TEST (test_fs_names)
{
  char buf[64];
  cleanup_free char *g = cgroup_fs_pod_path (QOS_GUARANTEED, "1234-ab");
  cleanup_free char *b = cgroup_fs_pod_path (QOS_BURSTABLE, "1234-ab");
  cleanup_free char *e = cgroup_fs_pod_path (QOS_BEST_EFFORT, "1234-ab");
  ck_assert_str_eq (g, "pod1234-ab");
  ck_assert_str_eq (b, "burstable/pod1234-ab");
  ck_assert_str_eq (e, "besteffort/pod1234-ab");
  ck_assert_ptr_null (cgroup_fs_pod_path (QOS_BURSTABLE, "../x"));
  ck_assert_ptr_null (cgroup_fs_pod_path (QOS_BURSTABLE, "a/b"));
  ck_assert_ptr_null (cgroup_fs_pod_path (QOS_BURSTABLE, ""));

  ck_assert (cgroup_fs_list_has ("cpuset cpu io memory pids\n", "cpu"));
  ck_assert (cgroup_fs_list_has ("cpuset cpu io memory pids\n", "pids"));
  ck_assert (!cgroup_fs_list_has ("cpuset io memory\n", "cpu"));
  ck_assert (!cgroup_fs_list_has ("", "cpu"));

  ck_assert_int_eq (
      cgroup_host_missing ("cpuset cpu io memory pids\n", buf, sizeof (buf)),
      0);
  ck_assert_int_eq (cgroup_host_missing ("hugetlb\n", buf, sizeof (buf)), 3);
  ck_assert_str_eq (buf, "cpu, memory, pids");
  ck_assert_int_eq (cgroup_host_missing ("memory io\n", buf, sizeof (buf)), 2);
  ck_assert_str_eq (buf, "cpu, pids");
}
END_TEST

/* A failed write names the controller when cgroup.controllers lacks it
 * (a plain directory stands in for a cgroup). */
START_TEST (test_fs_write_diagnosis)
{
  cleanup_free char *dir = scratch ();
  berth_error_t err = NULL;
  cleanup_close int fd = -1;
  put (dir, "cgroup.controllers", "memory pids\n");
  put (dir, "memory.max", "max\n");
  fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge (fd, 0);

  ck_assert_int_eq (cgroup_fs_write (fd, dir, "memory.max", "1048576", &err),
                    0);
  ck_assert_int_lt (cgroup_fs_write (fd, dir, "cpu.max", "max 100000", &err),
                    0);
  const char *msg = berth_error_msg (&err);
  ck_assert_ptr_nonnull (strstr (msg, "controller cpu not available"));
  ck_assert_ptr_nonnull (strstr (msg, dir));
  ck_assert_ptr_nonnull (strstr (msg, "\"memory pids\""));
  berth_error_release (&err);

  /* The controller is there, the file is not: the plain system error. */
  ck_assert_int_lt (cgroup_fs_write (fd, dir, "pids.max", "10", &err), 0);
  msg = berth_error_msg (&err);
  ck_assert_ptr_null (strstr (msg, "not available"));
  ck_assert_ptr_nonnull (strstr (msg, "pids.max = \"10\""));
  berth_error_release (&err);

  char *text = NULL;
  ck_assert_int_eq (cgroup_fs_read (fd, dir, "memory.max", &text, &err), 0);
  ck_assert_str_eq (text, "1048576");
  free (text);
  ck_assert_int_eq (cgroup_fs_read_opt (fd, dir, "memory.peak", &text, &err),
                    0);
  ck_assert_ptr_null (text);
  ck_assert_int_lt (cgroup_fs_read (fd, dir, "memory.peak", &text, &err), 0);
  berth_error_release (&err);

  rm (dir, "cgroup.controllers");
  rm (dir, "memory.max");
  ck_assert_int_eq (rmdir (dir), 0);
}
END_TEST

/* The host check only reads: run it on a plain directory, which is not
 * cgroup v2 on any machine. */
START_TEST (test_check_host_not_cgroup2)
{
  cleanup_free char *dir = scratch ();
  cleanup_free char *root = NULL;
  berth_error_t err = NULL;
  ck_assert_int_ge (asprintf (&root, "%s/berth", dir), 0);
  ck_assert_int_lt (cgroup_fs_check_host (root, &err), 0);
  const char *msg = berth_error_msg (&err);
  ck_assert_ptr_nonnull (strstr (msg, root));
  ck_assert_ptr_nonnull (strstr (msg, "not cgroup v2"));
  ck_assert_ptr_nonnull (strstr (msg, "cpu, memory, pids"));
  ck_assert_ptr_nonnull (strstr (msg, "systemd.unified_cgroup_hierarchy=1"));
  berth_error_release (&err);
  ck_assert_int_eq (rmdir (dir), 0);

  ck_assert_int_lt (cgroup_fs_check_host ("relative/berth", &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), "absolute"));
  berth_error_release (&err);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("cgroup_stats");
  TCase *tc = tcase_create ("stats");
  tcase_add_test (tc, test_cpu_stat);
  tcase_add_test (tc, test_memory_files);
  tcase_add_test (tc, test_pressure);
  tcase_add_test (tc, test_stats_read_missing_files);
  tcase_add_test (tc, test_oom_compare);
  tcase_add_test (tc, test_oom_watch_file);
  tcase_add_test (tc, test_fs_names);
  tcase_add_test (tc, test_fs_write_diagnosis);
  tcase_add_test (tc, test_check_host_not_cgroup2);
  suite_add_tcase (s, tc);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (suite ());
  srunner_run_all (sr, CK_NORMAL);
  int failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
