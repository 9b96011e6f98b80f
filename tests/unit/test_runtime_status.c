/* test_runtime_status.c - the instance status file (runtime/monitor.c):
 * what the monitor writes is what container_status_read gives back, an
 * unknown exit code stays unknown, and a broken file is an error naming it.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "monitor.h"

START_TEST (test_roundtrip)
{
  char dir[] = "/tmp/test_status.XXXXXX";
  struct container_status in = { 0 }, out = { 0 };
  berth_error_t err = NULL;
  char path[256];

  ck_assert_ptr_nonnull (mkdtemp (dir));
  in.state = CONTAINER_EXITED;
  in.pid = 42;
  in.monitor_pid = 41;
  in.exit_code_set = true;
  in.exit_code = 137;
  in.signal = 9;
  in.stop_signal = 15;
  in.reason = (char *)"Error";
  in.message = (char *)"line \"1\"\nline 2\n";
  in.started_at = (char *)"2026-01-02T03:04:05.5Z";
  in.finished_at = (char *)"2026-01-02T03:04:06Z";
  ck_assert_int_eq (monitor_status_write (dir, &in, &err), 0);
  ck_assert_int_eq (container_status_read (dir, &out, &err), 0);
  ck_assert_int_eq (out.state, CONTAINER_EXITED);
  ck_assert_int_eq (out.pid, 42);
  ck_assert_int_eq (out.monitor_pid, 41);
  ck_assert (out.exit_code_set);
  ck_assert_int_eq (out.exit_code, 137);
  ck_assert_int_eq (out.signal, 9);
  ck_assert_int_eq (out.stop_signal, 15);
  ck_assert_str_eq (out.reason, "Error");
  ck_assert_str_eq (out.message, in.message);
  ck_assert_str_eq (out.started_at, in.started_at);
  ck_assert_str_eq (out.finished_at, in.finished_at);
  container_status_free (&out);

  /* Running: no exit code, none invented. */
  memset (&in, 0, sizeof (in));
  in.state = CONTAINER_RUNNING;
  in.pid = 7;
  ck_assert_int_eq (monitor_status_write (dir, &in, &err), 0);
  ck_assert_int_eq (container_status_read (dir, &out, &err), 0);
  ck_assert_int_eq (out.state, CONTAINER_RUNNING);
  ck_assert (!out.exit_code_set);
  ck_assert_ptr_null (out.reason);
  container_status_free (&out);

  snprintf (path, sizeof (path), "%s/status.json", dir);
  FILE *f = fopen (path, "w");
  fputs ("{\"state\": ", f);
  fclose (f);
  ck_assert_int_lt (container_status_read (dir, &out, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), path));
  berth_error_release (&err);
  unlink (path);
  ck_assert_int_lt (container_status_read (dir, &out, &err), 0);
  ck_assert_ptr_nonnull (strstr (berth_error_msg (&err), path));
  berth_error_release (&err);
  rmdir (dir);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("runtime_status");
  TCase *tc = tcase_create ("status");
  SRunner *sr;
  int failed;

  tcase_add_test (tc, test_roundtrip);
  suite_add_tcase (s, tc);
  sr = srunner_create (s);
  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
